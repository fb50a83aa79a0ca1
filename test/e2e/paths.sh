#!/usr/bin/env bash
# fdpath(), cwd and path() against the kernel's own view: pathload opens
# files where a path walk can go wrong and writes down what
# readlink /proc/self/fd/N and getcwd() say; ply, tracing the lseek it
# calls on each, must print the same (a path over 255 bytes: its last
# whole components after a '+').
. "$(dirname "$0")/lib.sh"
PATHLOAD=$TMP/pt$$		# a comm of this run's own
cp "${PLYLOAD%/*}/pathload" "$PATHLOAD"
COMM=${PATHLOAD##*/}
mkdir "$TMP/d"

run_ply $TMP/out $TMP/err -c "$PATHLOAD $TMP/rec $TMP/d" "
tracepoint:syscalls/sys_enter_lseek /comm == \"$COMM\"/ {
	printf(\"fd %d %s\n\", data->fd, fdpath(data->fd));
	printf(\"cwd %d %s\n\", data->fd, cwd);
}"
expect_rc "ply ran pathload" 0
expect_grep "pathload wrote its record" $TMP/rec '^fd [0-9]+ /'

# what ply must print: the record, with paths over 255 bytes cut to the
# longest tail of whole components that fits in 254, after a '+'
awk '{
	sp = index($0, " "); rest = substr($0, sp + 1); sp2 = index(rest, " ")
	head = substr($0, 1, sp + sp2); path = substr(rest, sp2 + 1)
	if (length(path) > 255) {
		for (i = 1; i <= length(path); i++)
			if (substr(path, i, 1) == "/" && length(path) - i + 1 <= 254)
				break
		path = "+" substr(path, i)
	}
	print head path
}' $TMP/rec | sort >$TMP/want
sort $TMP/out >$TMP/got
if diff $TMP/want $TMP/got >$TMP/diff; then
	ok "every path and working directory as the kernel shows it ($(wc -l <$TMP/want) lines)"
else
	nok "paths differ from the kernel's (- kernel, + ply)" "$(head -c 3000 $TMP/diff)"
fi

# the cases one by one, so a failure says which
D=$TMP/d
chk() { expect_grep "$1" $TMP/got "$2"; }
chk "nested directories" "^fd [0-9]+ $D/n1/n2/n3/n4/file$"
chk "relative open after chdir: cwd" "^cwd [0-9]+ $D/n1/n2$"
chk "openat with a directory fd (the directory)" "^fd [0-9]+ $D/n1$"
chk "a tmpfs mount" "^fd [0-9]+ $D/t/sub/file$"
chk "cwd inside a tmpfs mount" "^cwd [0-9]+ $D/t$"
chk "a bind mount shows the mount's path" "^fd [0-9]+ $D/b/n3/n4/file$"
chk "a mount over a mount" "^fd [0-9]+ $D/b/n3/over$"
chk "/proc" "^fd [0-9]+ /proc/[0-9]+/status$"
chk "/dev" "^fd [0-9]+ /dev/null$"
chk "/sys" "^fd [0-9]+ /sys/devices/system/cpu/online$"
chk "deleted while open" "^fd [0-9]+ $D/gone \(deleted\)$"
chk "spaces, newlines, non-UTF-8 bytes, escaped" \
	"^fd [0-9]+ $D/sp ace\\\\nnew\\\\xff\\\\xfeline$"
chk "too long: marked with a leading +" "^fd [0-9]+ \+/long-[0-9]{4}/.*/long-0029/file$"
chk "a chroot: the path inside it" "^fd [0-9]+ /etc/f$"
chk "a chroot: its root" "^fd [0-9]+ /$"
chk "a chroot: cwd inside it" "^cwd [0-9]+ /etc$"
chk "a pipe" "^fd [0-9]+ pipe:\[[0-9]+\]$"
chk "a socket" "^fd [0-9]+ socket:\[[0-9]+\]$"
chk "a memfd" "^fd [0-9]+ /memfd:ply-memfd \(deleted\)$"
chk "an eventfd" "^fd [0-9]+ anon_inode:\[eventfd\]$"
chk "an fd that is not open: empty" "^fd 9999 $"
expect_grep "the fd that is not open is reported" $TMP/err \
	'fdpath\(\): 1 read failed'

# the examples of the manual: fdpath at the open's exit, cwd at its entry
# (plyload open: open()+close() of a file, under a name of this run's own)
mkdir -p $TMP/a/b
echo hello >$TMP/f
OPENER=$TMP/po$$
cp "$PLYLOAD" "$OPENER"
run_ply $TMP/out $TMP/err -c "$OPENER open $TMP/f 1" \
	"tracepoint:syscalls/sys_exit_openat /data->ret >= 0 && comm == \"po$$\"/ {
	printf(\"%s %s\n\", comm, fdpath(data->ret)); }"
expect_rc "fdpath at sys_exit_openat ran" 0
expect_grep "fdpath(data->ret) is the opened file" $TMP/out "^po$$ $TMP/f$"
cd $TMP/a/b
# fdpath(data->dfd): open() is openat(AT_FDCWD, ...), and fdpath(-100) is
# the working directory; the record (8 + 256 + 256 + 256 + 256 bytes) is
# over the 512-byte stack, built in the ring buffer
run_ply $TMP/out $TMP/err -c "$OPENER open ../../f 1" \
	"tracepoint:syscalls/sys_enter_openat /comm == \"po$$\"/ {
	printf(\"%s in %s|%s|%s\n\", str(data->filename, 256), cwd,
	       fdpath(data->dfd), fdpath(-100)); }"
cd - >/dev/null
expect_grep "cwd beside a relative name" $TMP/out "^\.\./\.\./f in $TMP/a/b\|"
expect_grep "fdpath(AT_FDCWD) is the working directory, in a record over the stack" \
	$TMP/out "^\.\./\.\./f in $TMP/a/b\|$TMP/a/b\|$TMP/a/b$"

# a path as a map key, and path() of an address that is not a struct path
run_ply $TMP/out $TMP/err -c "$PATHLOAD $TMP/rec2 $TMP/d2" "
tracepoint:syscalls/sys_enter_lseek /comm == \"$COMM\"/ { @[fdpath(data->fd)] = count(); }
tracepoint:syscalls/sys_enter_lseek /comm == \"$COMM\" && data->fd == 9999/ {
	printf(\"<%s>\n\", path(0)); }"
expect_grep "paths as map keys" $TMP/out "^\{ $TMP/d2/n1/n2/n3/n4/file +\}: 4$"
expect_grep "path(0) is empty" $TMP/out '^<>$'
expect_grep "path(0) is reported" $TMP/err 'path\(\): 1 read failed'

finish paths
