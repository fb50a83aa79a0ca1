#!/usr/bin/env bash
# Expression semantics on the real kernel: C expressions evaluated by the
# BPF programs ply generates, against what C (gcc, at test time) or the
# man page says they are; printf's conversions; if/else and predicates in
# probes that fire a known number of times.
. "$(dirname "$0")/lib.sh"

# ply_eval NAME EXPR...: BEGIN programs printing each value on a line,
# left in $TMP/out. Ten values a program: each printf's record takes its
# own stack space, and a BPF program has 512 bytes.
ply_eval() {
	local name=$1 prog e; shift
	: >$TMP/evals
	while [ $# -gt 0 ]; do
		prog="BEGIN {"
		for e in "${@:1:10}"; do prog+=" printf(\"%d\\n\", $e);"; done
		shift $(($# < 10 ? $# : 10))
		run_ply $TMP/out $TMP/err "$prog exit(0); }"
		cat $TMP/out >>$TMP/evals
		if [ "$rc" != 0 ]; then nok "$name: ply ran" "exit status $rc" "$(head -c 2000 $TMP/err)"; fi
	done
	mv $TMP/evals $TMP/out
}

# check_table NAME: $TMP/exprs holds "ply-expr ;; c-expr" lines (c-expr
# defaults to the ply one with the L/UL suffixes C needs to compute in 64
# bits removed). Each is compared with what gcc computes.
check_table() {
	local name=$1 i=0 pe ce got want
	local -a pexprs cexprs
	while IFS= read -r line; do
		[ -z "$line" ] && continue
		case "$line" in \#*) continue;; esac
		if [[ "$line" == *' ;; '* ]]; then
			pe=${line%% ;; *}; ce=${line#* ;; }
		else
			ce=$line
			pe=$(sed -E 's/\b(0x[0-9a-fA-F]+|[0-9]+)U?L\b/\1/g' <<<"$line")
		fi
		pexprs+=("$pe"); cexprs+=("$ce")
	done <"$TMP/exprs"
	{
		echo '#include <stdio.h>'
		echo '#define P(x) _Generic((x), unsigned long: printf("%lu\n", (unsigned long)(x)), unsigned long long: printf("%llu\n", (unsigned long long)(x)), default: printf("%lld\n", (long long)(x)))'
		echo 'int main(void) {'
		for ce in "${cexprs[@]}"; do echo "P($ce);"; done
		echo 'return 0; }'
	} >$TMP/want.c
	if ! gcc -w -o $TMP/want $TMP/want.c 2>$TMP/gccerr; then
		nok "$name: C reference compiles" "$(head -c 2000 $TMP/gccerr)"; return
	fi
	$TMP/want >$TMP/want.out
	ply_eval "$name" "${pexprs[@]}"
	for ((i = 0; i < ${#pexprs[@]}; i++)); do
		got=$(sed -n "$((i + 1))p" $TMP/out)
		want=$(sed -n "$((i + 1))p" $TMP/want.out)
		expect_eq "$name: ${pexprs[$i]} == $want" "$got" "$want"
	done
}

if ! command -v gcc >/dev/null; then
	echo "  skip C reference tables (no gcc)"
else

# Division and remainder: C truncates toward zero, the remainder takes the
# dividend's sign; unsigned when one side is a 64-bit unsigned value.
cat >$TMP/exprs <<'EOF'
7L / 2L
-7L / 2L
7L / -2L
-7L / -2L
7L % 3L
-7L % 3L
7L % -3L
-7L % -3L
-9223372036854775807L / 2L
-9223372036854775807L % 10L
9223372036854775807L / -1L
0xffffffffffffffffUL / 2L
0xffffffffffffffffUL % 10L
0x8000000000000000UL / 3L
-1L / 0xffffffffffffffffUL
-10L / 3L * 3L + -10L % 3L
-3L * 7L
123456789L * 1000L
0xffffffffffffffffUL + 1L
0L - 1L
10L - 2L - 3L
100L / 10L / 5L
EOF
check_table "div/mod"

# Shifts: arithmetic on a signed left side, logical on an unsigned one
# (C: the left operand's type alone decides).
cat >$TMP/exprs <<'EOF'
-16L >> 2L
-1L >> 63L
0xfffffffffffffff0UL >> 2L
0x8000000000000000UL >> 63L
1L << 40L
1L << 63L
3L << 2L + 1L
-16L >> (0xffffffffffffffffUL - 0xfffffffffffffffdUL)
EOF
check_table "shifts"

# Comparisons, logic, bitwise, unary, ?: and precedence.
cat >$TMP/exprs <<'EOF'
-1L < 1L
-1L < 0xffffffffffffffffUL
-1L == 0xffffffffffffffffUL
-1L != 0xffffffffffffffffUL
-1L > 0x8000000000000000UL
0xffffffffffffffffUL > 1L
-5L <= -5L
3L >= 4L
-5L < -4L
3L && 4L
3L && 0L
0L || 7L
0L || 0L
!0L
!7L
!-1L
~0L
~5L
-(-5L)
-0xffffffffffffffffUL
0xf0L & 0x3cL
0xf0L | 0x0fL
0xffL ^ 0x0fL
3L > 2L ? 10L : 20L
0L ? 1L : 2L
1L ? 0L ? 5L : 6L : 7L
2L + 3L * 4L
(2L + 3L) * 4L
7L & 3L == 3L
1L | 2L ^ 3L & 4L
-2L * -3L
1L < 2L == 1L
5L > 3L && 2L > 1L || 0L
1L + 2L > 2L && !0L
-7L / 2L * 2L
- -3L
~-1L
EOF
check_table "operators"

# Literals ply writes differently from C.
cat >$TMP/exprs <<'EOF'
0x1F ;; 0x1FL
017 ;; 017L
0b1010 ;; 10L
0B11 ;; 3L
1_000_000 ;; 1000000L
0xffff_ffff_ffff_ffff ;; 0xffffffffffffffffUL
'a' ;; 'a'
'\n' ;; '\n'
'\\' ;; '\\'
'\'' ;; '\''
'a' + 1 ;; 'a' + 1
9223372036854775807 ;; 9223372036854775807L
9223372036854775808 ;; 9223372036854775808UL
EOF
check_table "literals"
fi

# Division by zero gives 0 (the man page); the remainder of x % 0 is x, as
# in BPF. A constant zero as well as a computed one.
ply_eval "x/0" '5 / 0' '-5 / 0' '5 / (pid - pid)' '-5 / (pid - pid)' \
	'0xffffffffffffffff / (pid - pid)' '5 % 0' '-5 % 0' '-5 % (pid - pid)' \
	'0xffffffffffffffff % (pid - pid)'
expect_eq "x/0 == 0, x%0 == x" "$(tr '\n' ' ' <$TMP/out)" \
	"0 0 0 0 0 5 -5 -5 18446744073709551615 "
ply_eval "u64/0 constant" '0xffffffffffffffff / 0' '0xffffffffffffffff % 0'
expect_eq "u64 x/0 == 0, x%0 == x (constant 0)" "$(tr '\n' ' ' <$TMP/out)" \
	"0 18446744073709551615 "

# 32-bit values take part as 64-bit signed ones (the man page), unary
# minus and ~ as well as binary ones.
ply_eval "u32 promotion" '0 - pid < 0' '-pid < 0' '~pid < 0' '-pid == 0 - pid' \
	'pid - (pid + 1)'
expect_eq "u32 promotes to s64 in unary and binary operators" \
	"$(tr '\n' ' ' <$TMP/out)" "1 1 1 1 -1 "

# Strings against literals; ply's own comm in BEGIN.
ply_eval "strings" 'comm == "ply"' 'comm != "ply"' '"ply" == comm' \
	'comm == "pl"' 'comm == "plyx"' 'comm == ""' '"ab" == "ab"' \
	'"ab" != "abc"' 'execname == "ply"'
expect_eq "comm == literal" "$(tr '\n' ' ' <$TMP/out)" "1 0 1 0 0 0 1 1 1 "

# printf conversions, flags and widths, as libc prints them.
run_ply $TMP/out $TMP/err 'BEGIN {
	printf("[%5d][%-5d][%05d][%+d][% d][%i][%u]\n", 42, 42, 42, 5, 5, -3, 7);
	printf("[%x][%X][%#x][%#o][%o][%8.3x][%-#6x]\n", 255, 255, 255, 8, 8, 255, 255);
	printf("[%c][%c][%%][%s][%-5s|][%5s][%.2s][%-8.3s]\n", 65, 0x7a, "ab", "ab", "ab", "abcdef", "abcdef");
	printf("[%d][%u][%x][%ld][%lld][%hhd]\n", -1, 0xffffffffffffffff, 0xffffffffffffffff, -2, 3, 4);
	printf("[%v][%v][%v][%v]\n", 5, -5, "s", 0xffffffffffffffff);
	printf("[%s][%5s][%-4s]\n", comm, comm, comm);
	printf("no conversion\n");
	exit(0); }'
expect_rc "printf: exit 0" 0
{
	printf '[%5d][%-5d][%05d][%+d][% d][%i][%u]\n' 42 42 42 5 5 -3 7
	printf '[%x][%X][%#x][%#o][%o][%8.3x][%-#6x]\n' 255 255 255 8 8 255 255
	printf '[A][z][%%][%s][%-5s|][%5s][%.2s][%-8.3s]\n' ab ab ab abcdef abcdef
	printf '[-1][18446744073709551615][ffffffffffffffff][-2][3][4]\n'
	printf '[5][-5][s][18446744073709551615]\n'
	printf '[ply][  ply][ply ]\n'
	printf 'no conversion\n'
} >$TMP/want
expect_eq "printf conversions" "$(cat $TMP/out)" "$(cat $TMP/want)"

# print(): default formats, comma separated.
run_ply $TMP/out $TMP/err 'BEGIN { print(1, -2, "x", comm, 0xffffffffffffffff, 3 > 2, pid > 0); print(7); exit(0); }'
expect_eq "print() of several values" "$(cat $TMP/out)" "$(printf '1, -2, x, ply, 18446744073709551615, 1, 1\n7')"

# if / else if / else chains, nested, and blocks.
run_ply $TMP/out $TMP/err 'BEGIN {
	if (1 > 2) printf("a\n"); else if (2 > 2) printf("b\n"); else if (3 > 2) printf("c\n"); else printf("d\n");
	if (0) printf("e\n"); else { if (1) { printf("f\n"); printf("g\n"); } else printf("h\n"); }
	if (1) if (0) printf("i\n"); else printf("j\n");
	if (comm == "ply" && !(pid == 0)) printf("k\n");
	if (0 || 0) printf("l\n");
	exit(0); }'
expect_eq "if/else chains" "$(tr '\n' ' ' <$TMP/out)" "c f g j k "

# Predicates and conditions in a tracepoint probe, checked against an
# exact number of getppid() calls.
# (n is given its type in BEGIN: n[1] = n[1] + 1 alone does not compile.)
run_ply $TMP/out $TMP/err -c "$LOADER getppid 10 1" '
BEGIN { n[1] = 0; }
tracepoint:syscalls/sys_enter_getppid /comm == $LOADER_COMM/ {
	@all = count();
	n[1] = n[1] + 1;
	if (n[1] % 3 == 0) { @three = count(); }
	else if (n[1] % 3 == 1) { @one = count(); }
	else { @two = count(); }
	@sum = sum(n[1]);
}
tracepoint:syscalls/sys_enter_getppid /comm == $LOADER_COMM && n[1] > 7/ { @late = count(); }
tracepoint:syscalls/sys_enter_getppid /comm != $LOADER_COMM ? 0 : 1/ { @viacond = count(); }
tracepoint:syscalls/sys_enter_getppid /comm == $LOADER_COMM ? 0 : 0/ { @never = count(); }'
expect_rc "predicates: exit 0" 0
expect_grep "predicate: every call counted" $TMP/out '^@all: 10$'
expect_grep "if: n % 3 == 0 three times" $TMP/out '^@three: 3$'
expect_grep "else if: n % 3 == 1 four times" $TMP/out '^@one: 4$'
expect_grep "else: n % 3 == 2 three times" $TMP/out '^@two: 3$'
expect_grep "sum of 1..10" $TMP/out '^@sum: 55$'
# the later probe sees the map after the first (same event, in order)
expect_grep "predicate on a map value" $TMP/out '^@late: 3$'
expect_nogrep "a predicate that is always 0 never fires" $TMP/out '^@never: *[0-9]'
expect_grep "a ?: predicate" $TMP/out '^@viacond: 10$'

finish expr
