#!/usr/bin/env bash
# The path walk's two forms: a loop over a subprogram that bpf_loop calls
# (kernels from 5.17, which have the helper), else PATH_DEPTH steps
# unrolled, which PLY_PATH_LOOP=0 asks for. Which form the listing has;
# then paths.sh, which checks the answers against the kernel's own, with
# the unrolled walk: on a kernel with bpf_loop, the run of paths.sh
# itself checks the loop.
. "$(dirname "$0")/lib.sh"
PROG='tracepoint:syscalls/sys_enter_getppid { printf("%s\n", cwd); printf("%s\n", fdpath(0)); }'
IFS=.- read -r KMAJ KMIN _ <<<"$(uname -r)"

run_ply $TMP/loop $TMP/err -S -c true "$PROG"
expect_rc "ply -S ran" 0
if [ "$KMAJ" -gt 5 ] || { [ "$KMAJ" = 5 ] && [ "$KMIN" -ge 17 ]; }; then
	expect_grep "kernel $KMAJ.$KMIN has bpf_loop: the walk calls it" \
		$TMP/loop 'call loop#181$'
	expect_grep "its step is a subprogram after the program" \
		$TMP/loop '= func\[pc\+[0-9]+\]$'
	expect_eq "two walks, one step subprogram" \
		"$(grep -c '^func#[0-9]' $TMP/loop)" 1
	# Some kernels (6.1) count the step's frame (32 bytes) with the
	# program's: a program of 480 bytes has room for it, one of 488 or
	# more gets the walk unrolled. A map's key is built on the stack
	# (an event's record is not): the path, comm and str() of n bytes.
	for n in 128 136; do
		run_ply $TMP/big.$n $TMP/err -S -c true "tracepoint:syscalls/sys_enter_getppid {
			@[fdpath(0), comm, str(0, $n)] = count(); }"
		expect_rc "a walk in a program with a $n-byte string on its stack loads" 0
	done
	expect_grep "... 128: the walk is a loop" $TMP/big.128 'call loop#181$'
	expect_nogrep "... 136: no room for the loop's frame: unrolled" \
		$TMP/big.136 'call loop#'
fi
PLY_PATH_LOOP=0 run_ply $TMP/unrolled $TMP/err -S -c true "$PROG"
expect_rc "ply -S ran, PLY_PATH_LOOP=0" 0
expect_nogrep "PLY_PATH_LOOP=0: no bpf_loop" $TMP/unrolled 'call loop#'
expect_nogrep "PLY_PATH_LOOP=0: no subprogram" $TMP/unrolled 'func\['

out=$(PLY_PATH_LOOP=0 bash "$(dirname "$0")/paths.sh" 2>&1)
if grep -Eq '^paths: [1-9][0-9]* passed, 0 failed' <<<"$out"; then
	ok "paths.sh with the walk unrolled ($(grep -E "^paths: " <<<"$out"))"
else
	nok "paths.sh with the walk unrolled" "$(grep -E 'FAIL|passed|^    ' <<<"$out" | head -40)"
fi
finish pathloop
