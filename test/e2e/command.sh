#!/usr/bin/env bash
# The -c command and ply's own end: $target is the command itself, a
# command that cannot run is an error, everything the command started dies
# with ply however ply dies, a signal stops ply even while its output is
# blocked, and a missing program file is said to be missing.
. "$(dirname "$0")/lib.sh"

prog='tracepoint:syscalls/sys_enter_getppid /pid == $target/ { @n = count(); }'

# Plain words are exec'd: $target is the program, not a shell.
run_ply $TMP/out $TMP/err -c "$LOADER getppid 5 0" "$prog"
expect_grep "\$target of plain words is the command" $TMP/out '^@n: 5$'
# Shell syntax: the shell execs its last command (the shell's own
# getppid, for $PPID, has the same pid but another comm).
prog_sh='tracepoint:syscalls/sys_enter_getppid /pid == $target && comm == $LOADER_COMM/ { @n = count(); }'
run_ply $TMP/out $TMP/err -c "true; $LOADER getppid 6 0" "$prog_sh"
expect_grep "\$target after 'true;' is the last command" $TMP/out '^@n: 6$'
run_ply $TMP/out $TMP/err -c "$LOADER getppid 7 0 >/dev/null 2>&1" "$prog_sh"
expect_grep "\$target with redirections is the command" $TMP/out '^@n: 7$'

# A command that cannot run: said, with why, and exit 1.
run_ply $TMP/out $TMP/err -c ply_no_such_command 'BEGIN { }'
expect_rc "-c missing command: exit 1" 1
expect_grep "-c missing command: says why" $TMP/err \
	"^ply: command 'ply_no_such_command' could not run: No such file or directory$"
run_ply $TMP/out $TMP/err -c "true; ply_no_such_command" 'BEGIN { }'
expect_rc "-c missing command through sh: exit 1" 1
expect_grep "-c missing command through sh: says so" $TMP/err \
	"could not run \(the shell exited with status 127\)"
run_ply $TMP/out $TMP/err -c "$TMP" 'BEGIN { }'
expect_grep "-c a directory: permission denied" $TMP/err "could not run: Permission denied"
run_ply $TMP/out $TMP/err -c "exit 3" 'BEGIN { }'
expect_rc "-c a command's own failure is not ply's" 0

# kill -9 of ply: the command, and what it started and left (a double
# fork: its grandchild's parent died), die too.
"$PLY" -c "sh -c 'sleep 107 & echo \$! > $TMP/orphan'; echo \$\$ > $TMP/cmd; sleep 108" \
	'tracepoint:syscalls/sys_enter_getppid { @n = count(); }' >$TMP/out 2>$TMP/err &
pid=$!
for i in $(seq 100); do [ -s $TMP/orphan ] && [ -s $TMP/cmd ] && break; sleep 0.05; done
orphan=$(cat $TMP/orphan 2>/dev/null); cmd=$(cat $TMP/cmd 2>/dev/null)
ids=$(prog_ids $pid)	# all attached: the command runs
[ -n "$orphan" ] && [ "$(awk '{ print $4 }' /proc/$orphan/stat 2>/dev/null)" != 1 ] &&
	ok "the orphan stays below ply" || nok "the orphan stays below ply" "pid '$orphan'"
kill -KILL $pid; wait $pid 2>/dev/null
gone() { [ -n "$1" ] && { [ ! -e /proc/$1 ] || [ "$(awk '{ print $3 }' /proc/$1/stat 2>/dev/null)" = Z ]; }; }
for i in $(seq 50); do gone "$orphan" && gone "$cmd" && break; sleep 0.1; done
gone "$cmd" && ok "kill -9: the command dies" || nok "kill -9: the command dies" "pid '$cmd' is alive"
gone "$orphan" && ok "kill -9: its orphan dies" || nok "kill -9: its orphan dies" "pid '$orphan' is alive"
wait_gone $ids && ok "kill -9: no program left" ||
	nok "kill -9: no program left" "ply's programs: '$(echo $ids)', $(progs_left $ids) still loaded"

# When the command ends by itself, what it left in the background goes
# when ply ends.
run_ply $TMP/out $TMP/err -c "sleep 109 & echo \$! > $TMP/bg" 'BEGIN { }'
bg=$(cat $TMP/bg 2>/dev/null)
for i in $(seq 50); do gone "$bg" && break; sleep 0.1; done
gone "$bg" && ok "the command's background job ends with ply" ||
	nok "the command's background job ends with ply" "pid '$bg' is alive"

# SIGINT while ply is blocked writing to a fifo whose reader stopped: ply
# stops at once, exits 0, leaves nothing loaded.
mkfifo $TMP/fifo
(exec 3<$TMP/fifo; kill -STOP $BASHPID; cat <&3 >/dev/null) &
reader=$!
"$PLY" 'BEGIN { printf("ready\n"); } interval:1ms { printf("%s\n", "0123456789012345678901234567890123456789012345678901234567890123456789"); }' \
	>$TMP/fifo 2>$TMP/err &
pid=$!
for i in $(seq 100); do [ "$(awk '{ print $3 }' /proc/$reader/stat 2>/dev/null)" = T ] && break; sleep 0.05; done
sleep 1	# the fifo is full: ply is blocked in write()
state=$(awk '{ print $3 }' /proc/$pid/stat 2>/dev/null)
ids=$(prog_ids $pid)
kill -INT $pid
for i in $(seq 50); do [ -e /proc/$pid ] || break; sleep 0.1; done
if [ -e /proc/$pid ]; then
	nok "SIGINT with stdout blocked: ply stops" "still running (was in state $state)"
	kill -KILL $pid
fi
wait $pid; rc=$?
expect_rc "SIGINT with stdout blocked: exit 0" 0
[ "$state" = S ] && ok "SIGINT with stdout blocked: it was blocked" ||
	nok "SIGINT with stdout blocked: it was blocked" "state $state"
kill -KILL $reader; wait $reader 2>/dev/null
wait_gone $ids && ok "SIGINT with stdout blocked: no program left" ||
	nok "SIGINT with stdout blocked: no program left" "ply's programs: '$(echo $ids)'"

# A program file that is not there.
run_ply $TMP/out $TMP/err /nonexistent.ply
expect_rc "missing program file: exit 1" 1
expect_grep "missing program file: says so" $TMP/err \
	'^ply: error: cannot read /nonexistent.ply: No such file or directory$'
expect_nogrep "missing program file: no parse error" $TMP/err 'probe specifier'
run_ply $TMP/out $TMP/err ./nope/x.ply
expect_grep "missing ./ file: says so" $TMP/err 'cannot read ./nope/x.ply'
run_ply $TMP/out $TMP/err /dev/x
expect_grep "missing /-path: says so" $TMP/err 'cannot read /dev/x: No such file'
run_ply $TMP/out $TMP/err $TMP/
expect_grep "a directory: says so" $TMP/err "cannot read $TMP/: Is a directory"
# Program text is still program text.
run_ply $TMP/out $TMP/err 'BEGIN { printf("a.ply\n"); exit(0); }'
expect_grep "program text is not a path" $TMP/out '^a.ply$'

finish command
