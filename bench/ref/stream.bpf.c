// SPDX-License-Identifier: GPL-2.0
/* The floor for streaming every openat() with its file name: one ring
 * buffer record per event, written in place (reserve/submit, no copy), and
 * a wake-up of the reader only once a quarter of the ring is filled:
 * batching the wake-ups is what keeps the per-call cost low. Records that
 * find the ring full are counted in `lost`.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "ref.h"

/* syscalls/sys_enter_openat, from its format file (the common_ fields,
 * __syscall_nr, then each argument in an 8-byte slot). */
struct enter_openat {
	__u64 common;
	__s32 syscall_nr;
	__u32 pad;
	__u64 dfd;
	const char *filename;
	__u64 flags;
	__u64 mode;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, REF_RINGBUF);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

SEC("tracepoint")
int stream_opens(struct enter_openat *ctx)
{
	struct open_event *e;
	__u32 zero = 0;
	__u64 *n;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		n = bpf_map_lookup_elem(&lost, &zero);
		if (n)
			*n += 1;
		return 0;
	}
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->path, sizeof(e->path), ctx->filename);
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >=
			   REF_WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
