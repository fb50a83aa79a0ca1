#!/usr/bin/env bash
# Runs only in the VM (test/vm/run): checks that its kernel really has
# what the kprobe provider's tests, which will live beside this one, need.
. "$(dirname "$0")/../../e2e/lib.sh"

PMU=/sys/bus/event_source/devices/kprobe

# ply's kprobe provider opens perf events of the kprobe PMU: its type
# number, and the config bit that makes a probe a return probe.
if [ -r $PMU/type ]; then
	ok "kprobe PMU: type $(cat $PMU/type)"
else
	nok "kprobe PMU" "no $PMU/type: this kernel has no kprobes"
fi
expect_grep "kprobe PMU: a retprobe config bit" $PMU/format/retprobe '^config:[0-9]+$'

# A function both kernels' probes will use, in the symbol table.
expect_grep "kallsyms: do_sys_openat2" /proc/kallsyms ' [tT] do_sys_openat2$'

# fentry/fexit attach by BTF id: the kernel must describe itself.
[ -s /sys/kernel/btf/vmlinux ] && ok "BTF: /sys/kernel/btf/vmlinux" ||
	nok "BTF: /sys/kernel/btf/vmlinux" "missing or empty"

# The legacy text interface works too (it's what tools fall back to).
if [ -w /sys/kernel/tracing/kprobe_events ]; then
	echo 'p:ply_smoke do_sys_openat2' >>/sys/kernel/tracing/kprobe_events 2>$TMP/err
	expect_grep "kprobe_events: a probe can be defined" /sys/kernel/tracing/kprobe_events '^p:kprobes/ply_smoke do_sys_openat2'
	echo '-:ply_smoke' >>/sys/kernel/tracing/kprobe_events 2>/dev/null
	expect_nogrep "kprobe_events: and removed" /sys/kernel/tracing/kprobe_events 'ply_smoke'
else
	nok "kprobe_events" "no writable /sys/kernel/tracing/kprobe_events"
fi

finish kprobe-smoke
