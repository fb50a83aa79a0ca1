// SPDX-License-Identifier: GPL-2.0
/* The floor for streaming every openat() with its file name: one ring
 * buffer record per event, as ring.bpf.h writes them.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "ref.h"
#include "ring.bpf.h"

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

SEC("tracepoint")
int stream_opens(struct enter_openat *ctx)
{
	struct open_event *e;

	e = ring_reserve(sizeof(*e));
	if (!e)
		return 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->path, sizeof(e->path), ctx->filename);
	ring_submit(e);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
