#!/usr/bin/env bash
# What newcomers write: compound assignments on plain maps, a statement
# without ';' before '}', as they run on the kernel.
. "$(dirname "$0")/lib.sh"

run_ply $TMP/out $TMP/err 'BEGIN { x[1] = 5; x[1] += 3; x[1] -= 1; x[1] *= 2;
	x[1] /= 7; x[1] <<= 4; x[1] >>= 1; x[1] |= 1; x[1] ^= 3; x[1] &= 0xff;
	x[1] %= 5; n[comm] += 1; n[comm] += 1; print(x[1], n[comm]); exit(0) }'
expect_rc "compound assignments and a missing ';' compile and run" 0
# ((((((5+3-1)*2)/7)<<4)>>1)|1)^3 & 0xff % 5, as C computes it
expect_grep "each compound operator computes as in C" $TMP/out '^3, 2$'

# Every usage error exits 2 (a bad value, an unknown option, no program),
# as options that don't go together do: scripts can tell them from a
# program the kernel refused (1)
for args in "-M 0" "-M x" "-B 3" "--metrics-interval 0" "--no-such-option" \
	"-f yaml" "-p x"; do
	run_ply $TMP/out $TMP/err $args 'BEGIN { exit(0) }'
	expect_rc "usage error exits 2: $args" 2
done
"$PLY" >$TMP/out 2>$TMP/err; rc=$?
expect_rc "usage error exits 2: no program" 2
"$PLY" 'BEGIN { }' 'BEGIN { }' >$TMP/out 2>$TMP/err; rc=$?
expect_rc "usage error exits 2: two programs" 2
run_ply $TMP/out $TMP/err 'BEGIN { x = ; }'
expect_rc "a program that does not compile exits 1" 1

finish usability
