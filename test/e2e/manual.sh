#!/usr/bin/env bash
# The probes the manual names as examples, on this kernel (the kprobe
# ones run where kprobes exist: here if this kernel has them, and in the
# VM kernel of test/vm).
. "$(dirname "$0")/lib.sh"

run_ply $TMP/out $TMP/err -c 'sleep 0.2' 'tracepoint:sched/sched_wakeup { @[comm] = count(); }'
expect_rc "tracepoint:sched/sched_wakeup" 0
expect_grep "sched_wakeup: wakeups counted" $TMP/out '^\{ .* \}: [1-9]'
run_ply $TMP/out $TMP/err -c 'sleep 0.2' 'tracepoint:irq/irq_handler_entry { @[data->irq] = count(); }'
expect_rc "tracepoint:irq/irq_handler_entry" 0
run_ply $TMP/out $TMP/err 'interval:1 { printf("one second\n"); exit(0); }'
expect_grep "interval:1 (seconds)" $TMP/out '^one second$'
run_ply $TMP/out $TMP/err -c 'sleep 1.2' 'interval:500ms { @ticks = count(); }'
expect_grep "interval:500ms" $TMP/out '^@ticks: 2$'
run_ply $TMP/out $TMP/err 'BEGIN { printf("begin\n"); exit(0); } END { printf("end\n"); }'
expect_eq "BEGIN and END" "$(tr '\n' ' ' < $TMP/out)" "begin end "

if [ -e /sys/bus/event_source/devices/kprobe ]; then
	run_ply $TMP/out $TMP/err -c 'sleep 0.1' 'kretprobe:schedule { @ = count(); }'
	expect_grep "kretprobe:schedule" $TMP/out '^@: [1-9]'
	# an offset inside an instruction is refused by the kernel, in words
	run_ply $TMP/out $TMP/err -c 'ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1; true' \
		'kprobe:dev_hard_start_xmit+8 { @ = count(); }'
	if [ "$rc" = 0 ]; then ok "kprobe:dev_hard_start_xmit+8"
	else expect_grep "kprobe:dev_hard_start_xmit+8: refused in words" $TMP/err "dev_hard_start_xmit\+0?x?8"; fi
fi

finish manual
