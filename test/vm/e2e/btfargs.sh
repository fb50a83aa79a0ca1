#!/usr/bin/env bash
# Arguments typed from the kernel's BTF in a kernel with kprobes and
# fentry/fexit (test/vm runs this in Debian's 6.1 under qemu): kprobe's
# args->NAME, kretprobe's typed retval, fentry and fexit. The ground truth
# is what the helper did: open(PATH) N times, relative to the cwd.
. "$(dirname "$0")/../../e2e/lib.sh"

OP=op$$
cp "$PLYLOAD" "$TMP/$OP"
F=$TMP/file$$
: >"$F"

if [ -e /sys/bus/event_source/devices/kprobe ]; then
	run_ply $TMP/out $TMP/err -c "$TMP/$OP open $F 3" '
	kprobe:do_sys_openat2 /comm == "'$OP'"/ {
		printf("%d %s %d\n", args->dfd, str(args->filename),
		       args->how->flags & 3); }
	kretprobe:do_sys_openat2 /comm == "'$OP'"/ {
		@[retval >= 0, retval < 0] = count(); }'
	expect_rc "kprobe args: exit 0" 0
	expect_eq "kprobe: args->dfd, args->filename, args->how->flags" \
		"$(grep -c "^-100 $F 0\$" $TMP/out)" 3
	expect_grep "kretprobe: a typed retval, 3 opens succeeded" $TMP/out '^\{ 1, 0 \}: 3$'
else
	echo "  skip kprobe args (no kprobes here)"
fi

# fentry/fexit: arguments by name, retval
run_ply $TMP/out $TMP/err -c "$TMP/$OP open $F 4" '
fentry:do_sys_openat2 /comm == "'$OP'"/ {
	printf("entry %d %s %d %d\n", args->dfd, str(args->filename),
	       args->how->flags & 3, arg0); }
fexit:do_sys_openat2 /comm == "'$OP'"/ {
	printf("exit %d %s %d\n", retval >= 0, str(args->filename), args->dfd); }'
if grep -q "this kernel has no fentry/fexit" $TMP/err; then
	echo "  skip fentry/fexit (this kernel has none)"
else
	expect_rc "fentry/fexit: exit 0" 0
	expect_eq "fentry: args->dfd, args->filename, how->flags, arg0" \
		"$(grep -c "^entry -100 $F 0 -100\$" $TMP/out)" 4
	expect_eq "fexit: retval >= 0, and the arguments still there" \
		"$(grep -c "^exit 1 $F -100\$" $TMP/out)" 4
fi

# a function with no BTF (this kernel's __x64_sys_getpid) says so
run_ply $TMP/out $TMP/err -e 'fentry:__x64_sys_getpid { }'
if [ "$rc" = 0 ]; then
	ok "fentry on __x64_sys_getpid compiles (it has BTF here)"
else
	expect_grep "fentry without BTF: said" $TMP/err "has no function '__x64_sys_getpid'"
fi

finish btfargs
