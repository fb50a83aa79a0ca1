#!/usr/bin/env bash
# kprobes and kretprobes, and the manual's examples that use them, in a
# kernel that has kprobes (test/vm runs this in Debian's 6.1 under qemu).
# The obsolete SyS_* names of the manual become this kernel's names.
. "$(dirname "$0")/../../e2e/lib.sh"

if [ ! -e /sys/bus/event_source/devices/kprobe ]; then
	echo "kprobe: 0 passed, 0 failed (this kernel has no kprobes)"
	exit 0
fi

# Manual: "Print all openated files on the system, and who opened them".
run_ply $TMP/out $TMP/err -c 'cat /etc/hostname >/dev/null' \
	'kprobe:do_sys_openat2 { print(comm, pid, str(arg1)); }'
expect_rc "manual, openat: exit 0" 0
expect_grep "manual, openat: cat, pid, /etc/hostname" $TMP/out '^cat, [0-9]+, /etc/hostname$'

# Manual: "Record the distribution of the return value of read(2)".
run_ply $TMP/out $TMP/err -c "$PLYLOAD read 100" \
	'kretprobe:ksys_read { @["dist"] = quantize(retval); }'
expect_rc "manual, read distribution: exit 0" 0
expect_grep "manual, read distribution: key dist" $TMP/out '^\{ dist +\}:'
expect_grep "manual, read distribution: 1-byte reads" $TMP/out '\[ *1, *2\) +[0-9]*1[0-9][0-9] '

# Manual: "Count all syscalls made on the system, grouped by function".
run_ply $TMP/out $TMP/err -c "$PLYLOAD getppid 100 1" \
	'kprobe:__x64_sys_* { @[caller] = count(); }'
expect_rc "manual, all syscalls by function: exit 0" 0
expect_grep "manual, all syscalls: getppid's entry, 100 calls or more" $TMP/out '^\{ __(x64|ia32)_sys_getppid(\+0x[0-9a-f]+)? *\}: [1-9][0-9][0-9]+$'

# Manual: "Count all syscalls made by every dd(1) process".
run_ply $TMP/out $TMP/err -c 'dd if=/dev/zero of=/dev/null bs=1 count=50 2>/dev/null' \
	'kprobe:__x64_sys_* / !strcmp(execname, "dd") / { @[caller] = count(); }'
expect_grep "manual, dd's syscalls: reads" $TMP/out '^\{ __(x64|ia32)_sys_read(\+0x[0-9a-f]+)? *\}: (5[0-9]|[6-9][0-9])$'
expect_nogrep "manual, dd's syscalls: only dd's" $TMP/out 'sys_getppid'

# Manual: "the time it takes an skb to go from netif_receive to ip_rcv".
# This kernel can't probe __netif_receive_skb_core (and it takes a
# struct sk_buff ** now); __netif_receive_skb_one_core takes the skb.
ip link set lo up 2>/dev/null
run_ply $TMP/out $TMP/err -c 'ping -c 3 -i 0.2 -W 1 127.0.0.1 >/dev/null 2>&1; true' \
	'kprobe:__netif_receive_skb_one_core { rx[arg0] = time; }
	 kprobe:ip_rcv / rx[arg0] / { @["diff"] = quantize(time - rx[arg0]); }'
expect_rc "manual, netif to ip_rcv: exit 0" 0
expect_grep "manual, netif to ip_rcv: a histogram of times" $TMP/out '^\{ diff +\}:'

# ply 2.4 lost the key and samples here: every read is a sample.
run_ply $TMP/out $TMP/err -c "$PLYLOAD read 300" \
	'kprobe:ksys_read /comm == "plyload"/ { t[kpid] = time; }
	 kretprobe:ksys_read /t[kpid]/ { @["lat"] = quantize(time - t[kpid]); delete t[kpid]; }'
expect_grep "latency: key lat" $TMP/out '^\{ lat +\}:'
total=$(grep -E '^\s*\[' $TMP/out | sed 's/.*) *\([0-9]*\) .*/\1/' | awk '{s+=$1} END {print s+0}')
expect_eq "latency: every read counted" "$total" 300

# retval of a failed open, and regs agree with argN.
run_ply $TMP/out $TMP/err -c 'cat /nonexistent/x 2>/dev/null; true' \
	'kretprobe:do_sys_openat2 /comm == "cat"/ { printf("ret=%d\n", retval); }'
expect_grep "retval: -ENOENT" $TMP/out '^ret=-2$'
run_ply $TMP/out $TMP/err -c 'cat /etc/hostname >/dev/null' \
	'kprobe:do_sys_openat2 /comm == "cat"/ { printf("%d %d\n", regs->si == arg1, regs->di == arg0); }'
expect_grep "regs->si is arg1" $TMP/out '^1 1$'

# An address and a symbol+offset.
addr=$(awk '$3 == "do_sys_openat2" { print "0x" $1; exit }' /proc/kallsyms)
run_ply $TMP/out $TMP/err -c 'cat /etc/hostname >/dev/null' "kprobe:$addr /comm == \"cat\"/ { @n = count(); }"
expect_grep "kprobe by address" $TMP/out '^@n: [1-9]'
run_ply $TMP/out $TMP/err -c 'cat /etc/hostname >/dev/null' 'kprobe:do_sys_openat2+0 /comm == "cat"/ { @n = count(); }'
expect_grep "kprobe by symbol+offset" $TMP/out '^@n: [1-9]'

# Errors in words.
run_ply $TMP/out $TMP/err -c true 'kprobe:no_such_function_here { @n = count(); }'
expect_rc "unknown function: exit 1" 1
expect_grep "unknown function: named" $TMP/err 'no_such_function_here'
run_ply $TMP/out $TMP/err -c true 'kprobe:zz_no_match_* { @n = count(); }'
expect_grep "glob without a match" $TMP/err "no traceable kernel function matches 'zz_no_match_\*'"

# Nothing is left in tracefs or in the kernel, even after SIGKILL.
"$PLY" 'BEGIN { printf("ready\n"); } kprobe:ksys_read { @n = count(); }' >$TMP/out 2>$TMP/err &
pid=$!
for i in $(seq 200); do grep -q ready $TMP/out && break; sleep 0.05; done
ids=$(prog_ids $pid)
kill -KILL $pid; wait $pid 2>/dev/null
wait_gone $ids && ok "SIGKILL: no program left" || nok "SIGKILL: no program left" "ply's programs: '$(echo $ids)'"
expect_eq "no kprobe_events entries" "$(cat /sys/kernel/tracing/kprobe_events 2>/dev/null | wc -l)" 0

finish kprobe
