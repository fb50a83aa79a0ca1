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

finish usability
