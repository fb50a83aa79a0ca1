// SPDX-License-Identifier: GPL-2.0
/* The floor for count-by-comm: what a person writing C by hand against
 * libbpf would load for `@[comm] = count()` on one tracepoint. One
 * per-CPU slot per comm, so the common case is a lookup and a plain
 * (non-atomic) add on this CPU's copy; the first event of a comm on a CPU
 * inserts it. bench/ref/count.c attaches it to the tracepoint it is told.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "ref.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, REF_MAX_COMMS);
	__type(key, struct comm_key);
	__type(value, __u64);
} counts SEC(".maps");

SEC("tracepoint")
int count_by_comm(void *ctx)
{
	struct comm_key key;
	__u64 one = 1, *v;

	__builtin_memset(&key, 0, sizeof(key));
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	v = bpf_map_lookup_elem(&counts, &key);
	if (v) {
		*v += 1;
	} else if (bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST)) {
		/* another CPU inserted the comm first: this CPU's slot is
		 * there now, at 0 */
		v = bpf_map_lookup_elem(&counts, &key);
		if (v)
			*v += 1;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
