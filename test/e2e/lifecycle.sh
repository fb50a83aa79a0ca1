#!/usr/bin/env bash
# How ply starts and stops: errors, signals, the -c command, and nothing
# left attached afterwards, however ply exits.
. "$(dirname "$0")/lib.sh"

# A script error: file:line:col, the line, a caret; exit 1; the -c command
# never runs.
run_ply $TMP/out $TMP/err -c "touch $TMP/ran" \
	'tracepoint:syscalls/sys_enter_openat { @[comm] = count( ; }'
expect_rc "syntax error: exit 1" 1
expect_grep "syntax error: location" $TMP/err '^<input>:1:[0-9]+: error: '
expect_grep "syntax error: caret" $TMP/err '^ +\^$'
[ -e $TMP/ran ] && nok "syntax error: command never ran" || ok "syntax error: command never ran"

# A probe the kernel doesn't have: a clear error, the command never runs.
run_ply $TMP/out $TMP/err -c "touch $TMP/ran" \
	'tracepoint:syscalls/no_such_event { @[comm] = count(); }'
expect_rc "missing tracepoint: exit 1" 1
expect_grep "missing tracepoint: says so" $TMP/err 'no such tracepoint'
[ -e $TMP/ran ] && nok "missing tracepoint: command never ran" || ok "missing tracepoint: command never ran"
sleep 0.2
expect_eq "no child left behind" "$(pgrep -f "touch $TMP/ran" | wc -l)" 0

# Program files get their own name in messages.
printf 'tracepoint:syscalls/sys_enter_openat {\n\t@[comm] = cnt();\n}\n' > $TMP/bad.ply
run_ply $TMP/out $TMP/err $TMP/bad.ply
expect_grep "file:line:col for a program file" $TMP/err "^$TMP/bad.ply:2:[0-9]+: error: unknown function 'cnt'"

# -e compiles without attaching.
run_ply $TMP/out $TMP/err -e 'tracepoint:syscalls/sys_enter_openat { @[comm] = count(); }'
expect_rc "dry run: exit 0" 0

# Which programs are ply's is read from its fds once it runs (BEGIN has
# printed "ready"); each must be gone from the kernel once ply is.
# ready_ids PID: waits for "ready" in $TMP/out, then sets ids.
ready_ids() {
	local i
	for i in $(seq 100); do grep -q ready $TMP/out && break; sleep 0.05; done
	ids=$(prog_ids "$1")
}

# SIGINT: maps are printed, exit 0, nothing stays loaded.
timeout 60 "$PLY" 'BEGIN { printf("ready\n"); } tracepoint:syscalls/sys_enter_getppid { @n = count(); }' >$TMP/out 2>$TMP/err &
pid=$!
ready_ids $pid
$LOADER getppid 10 1
kill -INT $pid; wait $pid; rc=$?
expect_rc "SIGINT: exit 0" 0
expect_grep "SIGINT: map printed" $TMP/out '^@n: [0-9]+$'
wait_gone $ids && ok "SIGINT: no program left" ||
	nok "SIGINT: no program left" "of ply's programs ($(echo $ids)), $(progs_left $ids) are still loaded"

# SIGKILL: the kernel drops every probe with ply's file descriptors.
"$PLY" 'BEGIN { printf("ready\n"); } tracepoint:syscalls/sys_enter_getppid { @n = count(); }' >$TMP/out 2>$TMP/err &
pid=$!
ready_ids $pid
# BEGIN and the tracepoint, each a program
[ -n "$ids" ] && [ "$(progs_left $ids)" -ge 2 ] && ok "running: programs loaded" ||
	nok "running: programs loaded" "ply holds the programs '$(echo $ids)'"
kill -KILL $pid; wait $pid 2>/dev/null
wait_gone $ids && ok "SIGKILL: no program left" ||
	nok "SIGKILL: no program left" "of ply's programs ($(echo $ids)), $(progs_left $ids) are still loaded"

# The -c command's end stops ply, and its exit doesn't need any event
# (BEGIN's comes at the start, long before).
timeout 60 "$PLY" -c 'sleep 1' 'BEGIN { printf("ready\n"); } tracepoint:syscalls/sys_enter_getppid { @n = count(); }' >$TMP/out 2>$TMP/err </dev/null &
pid=$!
ready_ids $pid
wait $pid; rc=$?
expect_rc "-c: ply ends with the command" 0
wait_gone $ids && ok "-c: no program left" || nok "-c: no program left" "ply's programs: '$(echo $ids)'"

# When ply stops the command (here by exit()), everything the command
# started goes too.
run_ply $TMP/out $TMP/err -c "sleep 30 & echo \$! > $TMP/sleeper; sleep 31" \
	'interval:300ms { exit(0); }'
sleeper=$(cat $TMP/sleeper 2>/dev/null)
sleep 0.2
state=$(awk '{ print $3 }' /proc/$sleeper/stat 2>/dev/null)
[ -n "$sleeper" ] && { [ -z "$state" ] || [ "$state" = Z ]; } &&
	ok "the command's own children are killed" ||
	nok "the command's own children are killed" "pid $sleeper is in state '$state'"

# A program the kernel won't attach (65 programs on one tracepoint, one
# more than it takes): ply says why, and runs neither END nor the map
# printing, since the probes never all ran.
prog='END { printf("END ran\n"); }'
for i in $(seq 65); do prog="$prog tracepoint:syscalls/sys_enter_getppid { @n$i = count(); }"; done
run_ply $TMP/out $TMP/err -c true "$prog"
expect_rc "attach refused: exit 1" 1
expect_grep "attach refused: says why" $TMP/err "probe 'tracepoint:syscalls/sys_enter_getppid'"
expect_nogrep "attach refused: no END, no maps" $TMP/out 'END ran|^@n'

# -S before running: the dump is made before the command exists, and the
# program that runs still has its pid as $target.
run_ply $TMP/out $TMP/err -S -c "exec $LOADER getppid 5 0" \
	'tracepoint:syscalls/sys_enter_getppid /pid == $target && comm == $LOADER_COMM/ { @n = count(); }'
expect_grep "-S with \$target: the right pid" $TMP/out '^@n: 5$'

finish lifecycle
