#!/usr/bin/env bash
# Maps and aggregations: exact counts under concurrency, keys, plain maps
# carrying values between probes.
. "$(dirname "$0")/lib.sh"

N=200000

# Two processes, one per CPU, hitting the same key: the total is exact.
run_ply $TMP/out $TMP/err -c "$LOADER getppid $N 2" \
	'tracepoint:syscalls/sys_enter_getppid /comm == $LOADER_COMM/ { @[comm] = count(); }'
expect_rc "concurrent count: exit 0" 0
expect_grep "concurrent count: exactly 2 x $N" $TMP/out "^\{ $LOADER_COMM +\}: $((2 * N))\$"

# The same with a keyless aggregation and with sum().
run_ply $TMP/out $TMP/err -c "$LOADER getppid $N 2" \
	'tracepoint:syscalls/sys_enter_getppid /comm == $LOADER_COMM/ { @calls = count(); @total = sum(2); }'
expect_grep "keyless count" $TMP/out "^@calls: $((2 * N))\$"
expect_grep "sum(2)" $TMP/out "^@total: $((4 * N))\$"

# Several keys, printed in columns.
run_ply $TMP/out $TMP/err -c "$LOADER getppid 1000 1" \
	'tracepoint:syscalls/sys_enter_getppid /comm == $LOADER_COMM/ { @[comm, uid] = count(); }'
expect_grep "two keys" $TMP/out "^\{ $LOADER_COMM, +0 \}: 1000\$"

# A plain map carries a value from one probe to another, and delete works:
# every open that entered also returned, so each kpid is counted once per open.
run_ply $TMP/out $TMP/err -c "$LOADER open /etc/hostname 500" \
	'tracepoint:syscalls/sys_enter_openat /comm == $LOADER_COMM/ { t[kpid] = 1; }
	 tracepoint:syscalls/sys_exit_openat /t[kpid]/ { @done = count(); delete t[kpid]; }'
expect_grep "enter/exit pairs through a plain map" $TMP/out '^@done: 50[0-9]$'
expect_grep "the plain map is empty after delete" $TMP/out '^t:$'

# sum() of a value stored in a plain map (ply 2.4 summed the wrong thing).
run_ply $TMP/out $TMP/err -c "$LOADER getppid 10 1" \
	'tracepoint:syscalls/sys_enter_getppid /comm == $LOADER_COMM/ { v[0] = 7; @s = sum(v[0]); }'
expect_grep "sum of a map value" $TMP/out '^@s: 70$'

# Strings as keys are compared in full (zero padded, never stale bytes).
run_ply $TMP/out $TMP/err -c "$LOADER open /etc/hostname 3; $LOADER open /etc/hosts 2" \
	'tracepoint:syscalls/sys_enter_openat /comm == $LOADER_COMM/ { @[str(data->filename)] = count(); }'
expect_grep "string keys: hostname" $TMP/out '^\{ /etc/hostname +\}: 3$'
expect_grep "string keys: hosts" $TMP/out '^\{ /etc/hosts +\}: 2$'

# A tuple carries a call's entry to its return in one map value: the name's
# pointer, flags and dfd as the process passed them, read at the return.
LOADT=$TMP/pltup_$$
cp "$PLYLOAD" "$LOADT"
mkdir -p $TMP/tup && echo x >$TMP/tup/f
run_ply $TMP/out $TMP/err -c "$LOADT opens openat $TMP/tup/f at $TMP/tup nope" \
	'tracepoint:syscalls/sys_enter_openat /comm == "pltup_'$$'"/ {
		e[kpid] = (time, data->filename, data->flags, data->dfd, "tag");
	 }
	 tracepoint:syscalls/sys_exit_openat /e[kpid].0/ {
		printf("%s flags=%d cwd=%d ret=%d lat=%d %s\n", str(e[kpid].1),
		       e[kpid].2, e[kpid].3 == -100, data->ret,
		       time - e[kpid].0 > 0, e[kpid].4);
		delete e[kpid];
	 }'
expect_rc "tuple: exit 0" 0
expect_grep "tuple: openat's name, flags and AT_FDCWD from its entry" $TMP/out \
	"^$TMP/tup/f flags=0 cwd=1 ret=[0-9]+ lat=1 tag\$"
expect_grep "tuple: openat with a directory fd, failed" $TMP/out \
	'^nope flags=0 cwd=0 ret=-2 lat=1 tag$'

finish maps
