#!/usr/bin/env bash
# The scope (-p, -n, -c, -F, --cgroup), decided in the kernel: a process
# tree (test/helpers/sctree.c: children started before ply and after it
# attached, a grandchild, an orphan of a double fork, a thread, an exec)
# is counted exactly, call for call and process for process, and an
# unrelated process making the same calls is not; -p stops ply when the
# tree is gone; -n catches a program started after ply.
. "$(dirname "$0")/lib.sh"

SCTREE=$(dirname "$PLYLOAD")/sctree
# Names unique to this run: other tests may run beside it.
SC=$TMP/sc$$ SN=$TMP/sn$$ UN=$TMP/un$$
cp "$SCTREE" "$SC"; cp "$PLYLOAD" "$SN"; cp "$PLYLOAD" "$UN"
per_pid='tracepoint:syscalls/sys_enter_getppid { @[pid] = count(); }'
ready='BEGIN { printf("ready\n"); } '

# expect_same NAME GOT WANT: expect_eq, with ply's messages if not.
expect_same() { if [ "$2" == "$3" ]; then ok "$1"; else nok "$1" "got:  $2" "want: $3" "ply said: $(head -c 1000 $TMP/err)"; fi; }
wait_file() { local i; for i in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }
# wait_ready OUT: ply's BEGIN said ready (every probe attached); a
# machine busy with other tests may take its time. OUT is emptied before
# ply starts: the last run's "ready" must not be taken for this one's.
wait_ready() {
	local i
	for i in $(seq 1200); do grep -q '^ready$' "$1" 2>/dev/null && return 0; sleep 0.05; done
	nok "ply got ready within 60 s" "$(head -c 1000 $TMP/err)"
	return 1
}
# The tree's ground truth and ply's count, "pid calls" sorted.
truth() { sort -n "$1/truth" | awk '$2 > 0'; }
counts() { sed -n 's/^{ *\([0-9]*\) *}: \([0-9]*\)$/\1 \2/p' "$1" | sort -n; }
total() { awk '{ s += $2 } END { print s + 0 }'; }

# new_tree DIR: a tree whose first three children exist, waiting for go.
new_tree() {
	mkdir -p "$1"; rm -f "$1"/*
	"$SC" tree "$1" "$PLYLOAD" &
	TREE=$!
	wait_file "$1/ready"
}

# ---- -p PID -F: the whole tree, started before ply and after ----
new_tree $TMP/t1
: >$TMP/out
"$PLY" -p $TREE -F "$ready$per_pid" >$TMP/out 2>$TMP/err &
ply=$!
wait_ready $TMP/out
"$UN" getppid 500 0		# unrelated: the same calls, not counted
touch $TMP/t1/go
wait $TREE
for i in $(seq 100); do kill -0 $ply 2>/dev/null || break; sleep 0.05; done
if kill -0 $ply 2>/dev/null; then
	nok "-p -F: ply stops once the tree is gone" "still running"; kill -INT $ply
else
	ok "-p -F: ply stops once the tree is gone"
fi
wait $ply; rc=$?
expect_rc "-p -F: exit 0" 0
expect_eq "-p -F: 8 processes with calls (a thread's are its process's)" \
	"$(truth $TMP/t1 | wc -l)" 8
expect_same "-p -F: every process of the tree, exactly its calls" \
	"$(counts $TMP/out)" "$(truth $TMP/t1)"
expect_eq "-p -F: the total" "$(counts $TMP/out | total)" 155

# ---- -p without -F: the process only; stops when it is gone ----
new_tree $TMP/t2
: >$TMP/out
"$PLY" -p $TREE "$ready$per_pid" >$TMP/out 2>$TMP/err &
ply=$!
wait_ready $TMP/out
touch $TMP/t2/go
wait $TREE
for i in $(seq 100); do kill -0 $ply 2>/dev/null || break; sleep 0.05; done
kill -0 $ply 2>/dev/null && { kill -INT $ply; nok "-p: ply stops with its process"; } ||
	ok "-p: ply stops with its process"
wait $ply
expect_same "-p: only the process's own calls" "$(counts $TMP/out)" "$TREE 11"

# A thread's id stands for its process; a pid that is not there is an error.
run_ply $TMP/out $TMP/err -p 2147483 "$per_pid"
expect_rc "-p a missing process: exit 1" 1
expect_grep "-p a missing process: said" $TMP/err '^ply: -p 2147483: no such process$'

# ---- -c -F: the command and its tree; stops when the tree is gone ----
mkdir -p $TMP/t3; touch $TMP/t3/go
run_ply $TMP/out $TMP/err -F -c "$SC tree $TMP/t3 $PLYLOAD" "$per_pid"
expect_rc "-c -F: exit 0" 0
expect_same "-c -F: every process of the command's tree, exactly" \
	"$(counts $TMP/out)" "$(truth $TMP/t3)"

# ---- -n NAME -F: a program started after ply, and its tree ----
rm -rf $TMP/t4; mkdir -p $TMP/t4; touch $TMP/t4/go
: >$TMP/out
"$PLY" -n "sc$$" -F "$ready$per_pid" >$TMP/out 2>$TMP/err &
ply=$!
wait_ready $TMP/out
"$SC" tree $TMP/t4 "$PLYLOAD"
"$UN" getppid 300 0
kill -INT $ply; wait $ply
expect_same "-n -F: a tree started after ply, exactly" \
	"$(counts $TMP/out)" "$(truth $TMP/t4)"

# ---- -n NAME: processes running with that name before ply too; forks
# keep the name, and an exec'd process stays until it exits ----
new_tree $TMP/t6
: >$TMP/out
"$PLY" -n "sc$$" "$ready$per_pid" >$TMP/out 2>$TMP/err &
ply=$!
wait_ready $TMP/out
touch $TMP/t6/go
wait $TREE
kill -INT $ply; wait $ply
expect_same "-n: a tree named so since before ply, exactly" \
	"$(counts $TMP/out)" "$(truth $TMP/t6)"

# ---- -n NAME: that program only, not another making the same calls ----
: >$TMP/out
"$PLY" -n "sn$$" "$ready"'tracepoint:syscalls/sys_enter_getppid { @n = count(); }' >$TMP/out 2>$TMP/err &
ply=$!
wait_ready $TMP/out
"$SN" getppid 7 0
"$UN" getppid 9 0
"$SN" getppid 3 2		# two children, named as their parent
kill -INT $ply; wait $ply
expect_grep "-n: the named program's calls only" $TMP/out '^@n: 13$'

# ---- a profile sample of a process outside the scope is skipped ----
run_ply $TMP/out $TMP/err -F -c "$UN getppid 3000000 0" 'profile:997hz { @[comm] = count(); }'
expect_grep "profile -F -c: the command is sampled" $TMP/out "^\{ un$$ *\}: [0-9]+$"
# (the command's process is "ply" until it execs)
if [ "$(grep '^{ ' $TMP/out | grep -vcE "^\{ (un$$|ply) *\}")" = 0 ]; then
	ok "profile -F -c: no other process sampled"
else
	nok "profile -F -c: no other process sampled" "$(cat $TMP/out)"
fi

# ---- raw tracepoints check it too: the tree's two forks, no one else's ----
run_ply $TMP/out $TMP/err -F -c "$UN getppid 3 2" 'rawtracepoint:sched_process_fork { @n = count(); }'
expect_grep "rawtracepoint -F -c: the tree's forks only" $TMP/out '^@n: 2$'

# ---- a probe of sched_process_exit still sees the scope's exits: the
# scope's own program, which takes the process out, runs after it (the
# main thread's exit: these processes have one thread each, and 6.1's
# sched_process_exit has no group_dead) ----
run_ply $TMP/out $TMP/err -F -c "$UN getppid 3 2" 'BEGIN { print("target", $target); } tracepoint:task/task_newtask /!(data->clone_flags & 0x10000)/ { print("fork", data->pid); } tracepoint:sched/sched_process_exit /kpid == pid/ { print("exit", pid); }'
born=$(sed -n 's/^\(target\|fork\), \([0-9]*\)$/\2/p' $TMP/out | sort -n | tr '\n' ' ')
died=$(sed -n 's/^exit, \([0-9]*\)$/\1/p' $TMP/out | sort -n | tr '\n' ' ')
expect_same "sched_process_exit in the scope: each of the tree's 3 processes exits once" "$died" "$born"
expect_eq "sched_process_exit in the scope: 3 processes" "$(wc -w <<<"$born")" 3

# ---- kprobes check it too (where the kernel has them: the VM) ----
if grep -q ' __x64_sys_getppid$' /proc/kallsyms 2>/dev/null &&
   run_ply $TMP/out $TMP/err -F -c "$UN getppid 17 0" 'kprobe:__x64_sys_getppid { @n = count(); }' &&
   ! grep -qi 'kprobe.*\(not\|unknown\|no such\)' $TMP/err; then
	expect_grep "kprobe -F -c: the tree's calls only" $TMP/out '^@n: 17$'
else
	echo "  skip kprobe: this kernel has no kprobes"
fi

# ---- the scope map full: reported, never silent ----
# Four processes of the tree are alive when ply starts, for two places.
new_tree $TMP/t5
: >$TMP/out
"$PLY" -M 2 -p $TREE -F "$ready"'tracepoint:syscalls/sys_enter_getppid { @n = count(); }' >$TMP/out 2>$TMP/err &
ply=$!
wait_ready $TMP/out
touch $TMP/t5/go
wait $TREE
wait $ply
expect_grep "-M 2: a full scope is reported" $TMP/err \
	'^ply: the scope is full: [0-9]+ processes not traced \(max_entries 2, see -M\)$'

# ---- --cgroup: the tasks of a cgroup v2 directory ----
# cgroup v2 where it is mounted (in the VM: mounted here, for the test).
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -z "$CG2" ] && mkdir -p $TMP/cg2 && mount -t cgroup2 none $TMP/cg2 2>/dev/null; then
	CG2=$TMP/cg2; trap 'umount $TMP/cg2; rm -rf "$TMP"' EXIT
fi
CG=$CG2/plyscope$$
if [ -n "$CG2" ] && mkdir $CG 2>/dev/null; then
	: >$TMP/out
	"$PLY" --cgroup $CG "$ready"'tracepoint:syscalls/sys_enter_getppid { @n = count(); }' >$TMP/out 2>$TMP/err &
	ply=$!
	wait_ready $TMP/out
	sh -c "echo \$\$ > $CG/cgroup.procs && exec $UN getppid 21 0"
	"$UN" getppid 5 0
	kill -INT $ply; wait $ply
	expect_grep "--cgroup: the cgroup's calls only" $TMP/out '^@n: 21$'
	rmdir $CG
	run_ply $TMP/out $TMP/err --cgroup $TMP 'BEGIN { }'
	expect_grep "--cgroup not a cgroup: said" $TMP/err "not a cgroup v2 directory"
else
	echo "  skip --cgroup: no cgroup v2 to make a directory in"
fi

# ---- options that can't go together: exit 2, one line ----
for args in "-p 1 -c true" "-p 1 -n x" "-F" "-F --cgroup /sys/fs/cgroup -c true"; do
	run_ply $TMP/out $TMP/err $args 'BEGIN { }'
	if [ "$rc" = 2 ] && [ "$(wc -l <$TMP/err)" = 1 ] && grep -q '^ply: error: ' $TMP/err; then
		ok "usage error: $args"
	else
		nok "usage error: $args" "exit $rc" "$(cat $TMP/err)"
	fi
done

finish scope
