#!/usr/bin/env bash
# The rest of ply's language on this kernel: quantize, clear, print of a
# map, strcmp, mem, interval, profile, stack, $target and $NAME, map sizes.
# (kprobes are tested in the VM kernel: test/vm.)
. "$(dirname "$0")/lib.sh"

# quantize(): every sample lands in its log2 bucket; the key is kept.
run_ply $TMP/out $TMP/err -c "$LOADER getppid 100 1" \
	'tracepoint:syscalls/sys_enter_getppid /comm == $LOADER_COMM/ { @["pids"] = quantize(pid); @["one"] = quantize(1); @["zero"] = quantize(0); @["neg"] = quantize(-5); }'
expect_rc "quantize: exit 0" 0
expect_grep "quantize: the key is kept" $TMP/out '^\{ pids +\}:'
expect_grep "quantize: 1 in [1, 2)" $TMP/out '\[ *1, *2\) +100 '
expect_grep "quantize: a zero bucket" $TMP/out '^[[:space:]]+0 +100 '
expect_grep "quantize: a negative bucket" $TMP/out '< 0 +100 '

# Latency from entry to exit: every call is a sample, and times get units
# (ply 2.4 lost the key and samples here).
run_ply $TMP/out $TMP/err -c "$LOADER getppid 1000 1" \
	'tracepoint:syscalls/sys_enter_getppid /comm == $LOADER_COMM/ { t[kpid] = time; }
	 tracepoint:syscalls/sys_exit_getppid /t[kpid]/ { @["lat"] = quantize(time - t[kpid]); delete t[kpid]; }'
expect_grep "latency: key lat" $TMP/out '^\{ lat +\}:'
total=$(grep -E '^\s*\[' $TMP/out | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\)$/ || $i ~ /\)$/) { print $(i+1); break } }' | awk '{s+=$1} END {print s+0}')
expect_eq "latency: every call counted" "$total" 1000
expect_grep "latency: time units" $TMP/out '[0-9](ns|us|ms|s)[ ,)]'

# An interval probe after a tracepoint probe fires (ply 2.4 broke this).
run_ply $TMP/out $TMP/err -c 'sleep 1' \
	'tracepoint:syscalls/sys_enter_getppid { @calls = count(); }
	 interval:100ms { @ticks = count(); }'
n=$(sed -n 's/^@ticks: //p' $TMP/out)
[ "${n:-0}" -ge 3 ] && ok "interval after a tracepoint fires ($n ticks)" || nok "interval after a tracepoint fires" "$(cat $TMP/out $TMP/err)"

# print(@map) and clear(@map) happen in ply, in the order of the events
# (after the probe that asked for them has run).
run_ply $TMP/out $TMP/err \
	'BEGIN { @n = count(); @n = count(); print(@n); clear(@n); print(@n); exit(0); }'
expect_eq "print, clear, print, and the empty map at the end" \
	"$(grep -E '^@n' $TMP/out | tr '\n' ' ')" "@n: 2 @n: @n: "

# print(@); clear(@) from an interval, the manual's idiom, loses nothing:
# two writers' 3,000,000 calls are all in the printed counts.
run_ply $TMP/out $TMP/err -c "$LOADER getppid 1500000 2" \
	'tracepoint:syscalls/sys_enter_getppid /comm == $LOADER_COMM/ { @[cpu] = count(); }
	 interval:2ms { print(@); clear(@); }'
expect_eq "print then clear: every update printed once" \
	"$(sed -n 's/^{ *[0-9]* }: \([0-9]*\)$/\1/p' $TMP/out | awk '{ s += $1 } END { print s }')" 3000000

# A str() or mem() of an address that can't be read is counted and
# reported where it is, not only printed as an empty string or zeros.
run_ply $TMP/out $TMP/err 'BEGIN { printf("[%s]\n", str(0)); print(mem(8, 4)); exit(0); }'
expect_grep "failed str() read: reported" $TMP/err '^ply: <input>:1:26: str\(\): 1 read failed \(the address could not be read; printed as an empty string\)$'
expect_grep "failed mem() read: reported" $TMP/err '^ply: <input>:1:41: mem\(\): 1 read failed'

# profile: samples on every CPU.
run_ply $TMP/out $TMP/err -c "$LOADER getppid 3000000 2" 'profile:99hz { @[cpu] = count(); }'
expect_grep "profile: samples" $TMP/out '^\{ +[0-9]+ \}: [0-9]+$'

# stack: symbolized kernel frames. (Not on a syscall tracepoint: before
# 6.x the kernel hands those the user registers, and there is no kernel
# stack to walk.)
run_ply $TMP/out $TMP/err -c "$LOADER getppid 10 1" \
	'tracepoint:sched/sched_process_exit /comm == $LOADER_COMM/ { @[stack] = count(); }'
expect_grep "stack: frames with symbols" $TMP/out '^\s+[a-z_][a-z_0-9.]*(\+0x[0-9a-f]+)?$'

# strcmp() and mem().
run_ply $TMP/out $TMP/err 'BEGIN { printf("%d %d %d %d\n", strcmp("abc", "abd"), strcmp("b", "a"), strcmp("same", "same"), strcmp("ab", "abc")); exit(0); }'
expect_grep "strcmp: -1 1 0 -1" $TMP/out '^-1 1 0 -1$'
run_ply $TMP/out $TMP/err -c "cat /etc/hostname >/dev/null" \
	'tracepoint:syscalls/sys_enter_openat /!strcmp(comm, "cat")/ { @[comm] = count(); }'
expect_grep "strcmp as a predicate" $TMP/out '^\{ cat +\}: [1-9]'
run_ply $TMP/out $TMP/err -c "$LOADER open /etc/hostname 1" \
	'tracepoint:syscalls/sys_enter_openat /comm == $LOADER_COMM/ { print(mem(data->filename, 4)); }'
expect_grep "mem(): the bytes of /etc" $TMP/out '2f:65:74:63'

# strncmp(): the first n bytes; a path's whole first component, computed
# in the kernel.
run_ply $TMP/out $TMP/err 'BEGIN { printf("%d %d %d %d\n", strncmp("abc", "abd", 2), strncmp("abc", "abd", 3), strncmp("ab", "abc", 9), strncmp("b", "a", 1)); exit(0); }'
expect_grep "strncmp: 0 -1 -1 1" $TMP/out '^0 -1 -1 1$'
run_ply $TMP/out $TMP/err -c "$PLYLOAD open /etc/hostname 1" \
	'tracepoint:syscalls/sys_exit_openat /comm == "plyload" && data->ret >= 0/ { printf("etc %d\n", strncmp(fdpath(data->ret), "/etc/", 5)); printf("etcx %d\n", strncmp(fdpath(data->ret), "/etcx", 5)); }'
expect_grep "strncmp of fdpath: under /etc/" $TMP/out '^etc 0$'
expect_grep "strncmp of fdpath: not /etcx" $TMP/out '^etcx -1$'

# $target is the -c command's pid; $NAME reads the environment.
run_ply $TMP/out $TMP/err -c "$LOADER getppid 50 1" \
	'tracepoint:syscalls/sys_enter_getppid /pid == $target/ { @n = count(); }'
expect_rc "\$target: exit 0" 0
run_ply $TMP/out $TMP/err -c "exec $LOADER getppid 50 0" \
	'tracepoint:syscalls/sys_enter_getppid /pid == $target && comm == $LOADER_COMM/ { @n = count(); }'
expect_grep "\$target: the command's own calls" $TMP/out '^@n: 50$'
PLY_N=7 PLY_S=hello run_ply $TMP/out $TMP/err 'BEGIN { printf("%d %s\n", $PLY_N * 6, $PLY_S); exit(0); }'
expect_grep "\$NAME from the environment" $TMP/out '^42 hello$'
run_ply $TMP/out $TMP/err -e 'BEGIN { printf("%d\n", $target); }'
expect_rc "\$target without -c: refused" 1

# More than 1024 keys, and a full map is reported, never silent.
run_ply $TMP/out $TMP/err -c "$LOADER getppid 3000 1" \
	'tracepoint:syscalls/sys_enter_getppid /comm == $LOADER_COMM/ { @[time] = count(); }'
expect_eq "3000 keys" "$(grep -c '^{' $TMP/out)" 3000
run_ply $TMP/out $TMP/err -M 100 -c "$LOADER getppid 300 1" \
	'tracepoint:syscalls/sys_enter_getppid /comm == $LOADER_COMM/ { @[time] = count(); }'
expect_eq "-M 100: 100 keys" "$(grep -c '^{' $TMP/out)" 100
expect_grep "-M 100: the rest reported" $TMP/err 'map @ is full: 200 updates dropped'

# Events that don't fit in the ring buffer (ply is stuck writing to a pipe
# nobody reads yet): without -k ply says how many and stops; with -k it
# goes on; the count is reported either way.
prog='tracepoint:syscalls/sys_enter_getppid /comm == $LOADER_COMM/ { printf("%s %d %d %d\n", comm, pid, kpid, cpu); }'
timeout 60 "$PLY" -c "$LOADER getppid 300000 1" "$prog" 2>$TMP/err | { sleep 2; cat >/dev/null; }
rc=${PIPESTATUS[0]}
expect_rc "lost events: exit 1 without -k" 1
expect_grep "lost events: counted" $TMP/err '^ply: [0-9]+ events lost \(ring buffer full\)$'
expect_grep "lost events: stops and says why" $TMP/err 'stopping, since events were lost'
timeout 60 "$PLY" -k -c "$LOADER getppid 300000 1" "$prog" 2>$TMP/err | { sleep 2; cat >/dev/null; }
rc=${PIPESTATUS[0]}
expect_rc "lost events with -k: exit 0" 0
expect_grep "lost events with -k: still counted" $TMP/err '^ply: [0-9]+ events lost \(ring buffer full\)$'

# kprobes: this kernel has none, and ply says so.
run_ply $TMP/out $TMP/err -c true 'kprobe:do_sys_openat2 { @ = count(); }'
if [ -e /sys/bus/event_source/devices/kprobe ]; then
	expect_rc "kprobe works here" 0
else
	expect_rc "no kprobes: exit 1" 1
	expect_grep "no kprobes: says why" $TMP/err 'this kernel has no kprobes \(CONFIG_KPROBES is not set\)'
fi

finish part2
