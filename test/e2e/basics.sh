#!/usr/bin/env bash
# The examples every ply user starts with, checked against what really
# happened on this kernel.
. "$(dirname "$0")/lib.sh"

# The README's first example: count opens by process name.
run_ply $TMP/out $TMP/err -c 'cat /etc/hostname' \
	'tracepoint:syscalls/sys_enter_openat { @[comm] = count(); }'
expect_rc "count by comm: exit 0" 0
expect_grep "count by comm: a row for cat" $TMP/out '^\{ cat +\}: [1-9][0-9]*$'
expect_grep "count by comm: the map's name" $TMP/out '^@:$'

# The README's second example: one line per open, with the file name.
# (cat's own output goes elsewhere: cat writes with copy_file_range, whose
# file position races with ply's writes to a shared regular file.)
run_ply $TMP/out $TMP/err -c 'cat /etc/hostname >/dev/null' \
	'tracepoint:syscalls/sys_enter_openat { printf("%s %s\n", comm, str(data->filename)); }'
expect_rc "printf opens: exit 0" 0
expect_grep "printf opens: cat /etc/hostname" $TMP/out '^cat /etc/hostname$'

# A signed field: the failed open's return value is -ENOENT.
run_ply $TMP/out $TMP/err -c 'cat /nonexistent/ply-test 2>/dev/null' \
	'tracepoint:syscalls/sys_exit_openat /comm == "cat" && data->ret < 0/ { printf("ret=%d\n", data->ret); }'
expect_grep "signed tracepoint field: ret=-2" $TMP/out '^ret=-2$'

# dyn() on a __data_loc string.
run_ply $TMP/out $TMP/err -c '/bin/true' \
	'tracepoint:sched/sched_process_exec { printf("exec %s\n", dyn(data->filename)); }'
expect_grep "dyn(): the exec'd file" $TMP/out '^exec /bin/true$'

# The common_ fields are overwritten by the kernel before BPF sees the
# record: asking for one is an error, not a garbage value.
run_ply $TMP/out $TMP/err -e 'tracepoint:syscalls/sys_enter_openat { @[data->common_pid] = count(); }'
expect_rc "common_pid: refused" 1
expect_grep "common_pid: says why" $TMP/err 'common_pid is not available'

# A field that is not 8-byte aligned (sched_switch's prev_pid at 24, and
# next_pid at 56 after a char[16]) and a char[16] member.
run_ply $TMP/out $TMP/err -c "$LOADER getppid 1 1" \
	'tracepoint:sched/sched_process_exit /data->pid == kpid/ { printf("exit %s %d\n", data->comm, data->pid == pid); }'
expect_grep "char[16] member and an int field" $TMP/out "^exit $LOADER_COMM 1\$"

# Built-in variables agree with what the shell knows.
run_ply $TMP/out $TMP/err -c 'sh -c "echo \$\$ > '$TMP'/pid; cat /etc/hostname >/dev/null"' \
	'tracepoint:syscalls/sys_enter_openat /comm == "cat"/ { printf("uid=%d gid=%d pid=%d kpid=%d cpu_ok=%d\n", uid, gid, pid, kpid, cpu < 4096); }'
expect_grep "uid/gid are root's" $TMP/out '^uid=0 gid=0 '
expect_grep "pid == kpid for a single thread" $TMP/out 'pid=([0-9]+) kpid=\1 cpu_ok=1'

# BEGIN and END run once each, around the probes.
run_ply $TMP/out $TMP/err -c 'true' 'BEGIN { printf("begin\n"); } END { printf("end\n"); }'
expect_eq "BEGIN then END" "$(tr '\n' ' ' < $TMP/out)" "begin end "

# exit() ends ply with its status, after its event is printed.
run_ply $TMP/out $TMP/err 'BEGIN { printf("bye\n"); exit(3); }'
expect_rc "exit(3) is ply's status" 3
expect_grep "events before exit() are printed" $TMP/out '^bye$'

# print() uses each value's default format.
run_ply $TMP/out $TMP/err 'BEGIN { print("a", 1, -2); exit(0); }'
expect_grep "print(): comma separated" $TMP/out '^a, 1, -2$'

finish basics
