#!/usr/bin/env bash
# What ply writes, checked where it goes wrong: a full disk, a reader that
# went away, and (below) text from the traced system that tries to pass
# for ply's own lines or to drive the terminal.
. "$(dirname "$0")/lib.sh"

# A write that fails is an error with a message and a non-zero status,
# even when exit() said 0.
timeout -k 5 60 "$PLY" 'BEGIN { printf("x\n"); exit(0); }' >/dev/full 2>$TMP/err </dev/null
rc=$?
expect_rc "output to /dev/full: exit 1" 1
expect_grep "output to /dev/full: says why" $TMP/err '^ply: error: cannot write the output: No space left on device$'
timeout -k 5 60 "$PLY" -c 'true' 'BEGIN { @n = count(); }' >/dev/full 2>$TMP/err </dev/null
rc=$?
expect_rc "maps to /dev/full: exit 1" 1
expect_eq "maps to /dev/full: said once" "$(grep -c 'cannot write' $TMP/err)" 1

# A reader that goes away (SIGPIPE ignored, so writes fail with EPIPE):
# ply stops without a word, long before its command would end.
(
	trap '' PIPE
	timeout -k 5 60 "$PLY" -c "sleep 5; touch $TMP/done" \
		'interval:10ms { printf("tick\n"); }' 2>$TMP/err </dev/null |
		(sleep 0.5; exec head -c0)
	echo "${PIPESTATUS[0]}" >$TMP/rc
)
rc=$(cat $TMP/rc)
expect_rc "closed pipe: exit 0" 0
expect_eq "closed pipe: nothing said" "$(cat $TMP/err)" ""
[ ! -e $TMP/done ] && ok "closed pipe: ply stopped, and its command with it" ||
	nok "closed pipe: ply stopped, and its command with it" "the command ran to its end"

finish output
