#!/usr/bin/env bash
# Kernel types on this kernel, each checked against a ground truth the
# test makes itself: the pids a helper forked, the path it was started
# by, getppid()'s own return value, a limit the test set, a scheduling
# flag the test set.
. "$(dirname "$0")/lib.sh"
# Our own copies of the helper, named for this run: probes match only them.
FK=fk$$ PP=pp$$ EX=ex$$ BF=bf$$
for h in $FK $PP $EX $BF; do cp "$PLYLOAD" "$TMP/$h"; done

# rawtracepoint sched_process_fork: exactly the parent -> child pairs
run_ply $TMP/out $TMP/err -c "$TMP/$FK fork 5 $TMP/pairs" '
rawtracepoint:sched_process_fork /args->parent->comm == "'$FK'"/ {
	printf("%d -> %d\n", args->parent->tgid, args->child->pid); }'
expect_rc "fork probe ran" 0
expect_eq "fork: the 5 parent -> child pairs the helper made" \
	"$(sort $TMP/out)" "$(sort $TMP/pairs)"

# rawtracepoint sched_process_exec: the file the kernel executed
run_ply $TMP/out $TMP/err -c "exec $TMP/$EX read 1" '
rawtracepoint:sched_process_exec /str(args->bprm->filename) == "'$TMP/$EX'"/ {
	printf("%s %d\n", str(args->bprm->filename), args->p->pid == pid); }'
expect_rc "exec probe ran" 0
expect_eq "exec: bprm->filename is the path run" "$(cat $TMP/out)" "$TMP/$EX 1"

# curtask, ppid: getppid()'s return value is the parent's tgid; comm
run_ply $TMP/out $TMP/err -c "$TMP/$PP getppid 3 0" '
tracepoint:syscalls/sys_exit_getppid /comm == "'$PP'"/ {
	printf("%d %d %d %s %s %d\n", data->ret, ppid,
	       curtask->real_parent->tgid, str(curtask->comm), comm,
	       curtask->pid == kpid); }'
expect_rc "getppid probe ran" 0
expect_eq "3 getppid calls seen" "$(wc -l <$TMP/out)" 3
expect_eq "ppid and curtask->real_parent->tgid are getppid()'s" \
	"$(awk '$1 == $2 && $2 == $3 && $4 == $5 && $6 == 1 { n++ } END { print n + 0 }' $TMP/out)" 3
expect_grep "curtask->comm is comm" $TMP/out " $PP $PP 1\$"

# an array of structs by constant and computed index; a char by index
run_ply $TMP/out $TMP/err -c "ulimit -n 777; exec $TMP/$PP getppid 1 0" '
tracepoint:syscalls/sys_enter_getppid /comm == "'$PP'"/ {
	printf("%d %d %d %c %d\n", curtask->signal->rlim[7].rlim_cur,
	       curtask->signal->rlim[pid - pid + 7].rlim_cur,
	       curtask->signal->rlim[pid + 100].rlim_cur,
	       curtask->comm[kpid - kpid + 1], curtask->comm[15]); }'
expect_rc "rlimit probe ran" 0
expect_eq "rlim[RLIMIT_NOFILE] as the test set it; out of bounds reads 0" \
	"$(cat $TMP/out)" "777 777 0 ${PP:1:1} 0"

# a bitfield: task_struct's sched_reset_on_fork, set by chrt -R
if chrt -R -o 0 true 2>/dev/null; then
	run_ply $TMP/out $TMP/err -c "chrt -R -o 0 $TMP/$BF getppid 1 0; $TMP/$BF getppid 1 0" '
	tracepoint:syscalls/sys_enter_getppid /comm == "'$BF'"/ {
		printf("%d %d\n", curtask->sched_reset_on_fork,
		       curtask->sched_reset_on_fork + curtask->sched_reset_on_fork); }'
	expect_rc "bitfield probe ran" 0
	expect_eq "sched_reset_on_fork: 1 under chrt -R, else 0" \
		"$(cat $TMP/out)" "$(printf '1 2\n0 0')"
else
	echo "  skip bitfield (no chrt -R here)"
fi

# casts, pointer arithmetic
run_ply $TMP/out $TMP/err -c "$TMP/$PP getppid 1 0" '
tracepoint:syscalls/sys_enter_getppid /comm == "'$PP'"/ {
	printf("%d %d %d %d %d %d\n",
	       ((struct task_struct *)(curtask + 0))->pid == kpid,
	       (curtask + 1) - curtask, (u8)0x1234, *(&curtask->pid) == kpid,
	       &curtask->comm[3] - &curtask->comm[1], (curtask)[0].tgid == pid); }'
expect_rc "cast probe ran" 0
expect_eq "casts, pointer steps, & and *" "$(cat $TMP/out)" "1 1 52 1 2 1"

# fentry works, or says what this kernel lacks (this one has no BPF
# trampolines; the VM's 6.1 does: test/vm/e2e/btfargs.sh)
run_ply $TMP/out $TMP/err -c true 'fentry:do_sys_openat2 { @ = count(); }'
if [ "$rc" = 0 ]; then
	ok "fentry attached"
else
	expect_grep "no fentry: said in words" $TMP/err \
		"this kernel has no fentry/fexit .*CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS"
fi

finish types
