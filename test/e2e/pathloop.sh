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
	# the program's own 512 bytes of stack (and its walk's ctx in
	# them): the step's frame is not added to them
	run_ply $TMP/out $TMP/err -c true "tracepoint:syscalls/sys_enter_getppid {
		printf(\"%s %s %s$(printf ' %%d%.0s' $(seq 18))\n\", fdpath(0), comm,
		       str(curtask->comm)$(printf ', pid%.0s' $(seq 18))); }"
	expect_rc "a walk in a program whose stack is full loads" 0
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
