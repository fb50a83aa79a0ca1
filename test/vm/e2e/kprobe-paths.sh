#!/usr/bin/env bash
# Runs only in the VM (test/vm/run; the host kernel has no kprobes): the
# path builtins from kprobes too, where the probe interrupts the kernel
# in the middle of the open. fdpath() of the fd do_sys_openat2 returns is
# the file; cwd at its entry is where a relative name is looked up.
. "$(dirname "$0")/../../e2e/lib.sh"
OPENER=$TMP/pk$$		# a comm of this run's own
cp "$PLYLOAD" "$OPENER"
mkdir -p $TMP/a/b
echo x >$TMP/f

cd $TMP/a/b
run_ply $TMP/out $TMP/err -c "$OPENER open ../../f 2" "
kprobe:do_sys_openat2 /comm == \"pk$$\"/ { printf(\"enter %s in %s\n\", str(arg1), cwd); }
kretprobe:do_sys_openat2 /comm == \"pk$$\" && retval >= 0/ {
	printf(\"exit %s\n\", fdpath(retval)); }"
cd - >/dev/null
expect_rc "kprobe and kretprobe with paths ran" 0
expect_grep "cwd in a kprobe" $TMP/out "^enter \.\./\.\./f in $TMP/a/b$"
expect_grep "fdpath in a kretprobe" $TMP/out "^exit $TMP/f$"
n=$(grep -c "^exit $TMP/f$" $TMP/out)
expect_eq "both opens" "$n" 2

finish kprobe-paths
