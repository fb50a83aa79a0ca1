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

# A failure found by BEGIN's output stops ply there, with its command.
timeout -k 5 60 "$PLY" -c "sleep 5; touch $TMP/done" 'BEGIN { printf("x\n"); }' >/dev/full 2>$TMP/err </dev/null
rc=$?
expect_rc "BEGIN's output to /dev/full: exit 1" 1
[ ! -e $TMP/done ] && ok "BEGIN's output to /dev/full: ply stopped at once" ||
	nok "BEGIN's output to /dev/full: ply stopped at once" "the command ran to its end"

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

# Hostile file names, opened by plyload: printf("%s") escapes them, so a
# name can't forge a line, retitle the terminal or overwrite one; map keys
# escape the backslash too, so no two names print alike; valid UTF-8 is
# itself; %#s gives the raw bytes on request.
forged=$'/tmp/a\ngt /etc/shadow' title=$'/tmp/\e]0;owned\a' cr=$'/tmp/ok\rFAIL'
backslash='/tmp/\x0a' newline=$'/tmp/\n' cafe='/tmp/café'
{
	for n in "$forged" "$title" "$cr" "$backslash" "$newline" "$cafe"; do
		printf '%q open %q 1\n' "$LOADER" "$n"
	done
} >$TMP/hostile.sh
run_ply $TMP/out $TMP/err -c "bash $TMP/hostile.sh" \
	'tracepoint:syscalls/sys_enter_openat /comm == $LOADER_COMM/ {
		printf("open %s\n", str(data->filename));
		@[str(data->filename)] = count(); }'
expect_rc "hostile names: exit 0" 0
expect_grep "hostile names: the newline escaped" $TMP/out '^open /tmp/a\\ngt /etc/shadow$'
expect_nogrep "hostile names: no forged line" $TMP/out '^gt '
expect_grep "hostile names: the escape sequence shown" $TMP/out '^open /tmp/\\x1b]0;owned\\x07$'
expect_eq "hostile names: no escape byte, no bell, no carriage return" \
	"$(tr -cd '\033\007\015' <$TMP/out | wc -c)" 0
expect_grep "hostile names: the carriage return shown" $TMP/out '^open /tmp/ok\\rFAIL$'
expect_grep "hostile names: UTF-8 as itself" $TMP/out '^open /tmp/café$'
expect_grep "map keys: a backslash is escaped" $TMP/out '^\{ /tmp/\\\\x0a +\}: 1$'
expect_grep "map keys: a newline is escaped" $TMP/out '^\{ /tmp/\\n +\}: 1$'
expect_grep "map keys: UTF-8 as itself" $TMP/out '^\{ /tmp/café +\}: 1$'

run_ply $TMP/out $TMP/err -c "bash $TMP/hostile.sh" \
	'tracepoint:syscalls/sys_enter_openat /comm == $LOADER_COMM/ {
		printf("open %#s\n", str(data->filename)); }'
expect_grep "%#s: the raw bytes" $TMP/out '^gt /etc/shadow$'
expect_eq "%#s: the escape byte too" "$(tr -cd '\033' <$TMP/out | wc -c)" 1

finish output
