// SPDX-License-Identifier: GPL-2.0
/* The streaming references' ring (stream.bpf.c, paths.bpf.c; read by
 * ref_stream in run.c): one record per event, written in place
 * (reserve/submit, no copy), and a wake-up of the reader only once a
 * quarter of the ring is filled: batching the wake-ups is what keeps the
 * per-call cost low. Records that find the ring full are counted in
 * `lost`.
 */
#ifndef BENCH_REF_RING_BPF_H
#define BENCH_REF_RING_BPF_H

#include "ref.h"

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

/* A record of size bytes, or NULL (counted in lost) when the ring is full. */
static __always_inline void *ring_reserve(__u64 size)
{
	void *e;

	e = bpf_ringbuf_reserve(&events, size, 0);
	if (!e) {
		__u32 zero = 0;
		__u64 *n;

		n = bpf_map_lookup_elem(&lost, &zero);
		if (n)
			*n += 1;
	}
	return e;
}

/* Hands the record to the reader, waking it once a quarter of the ring
 * waits. */
static __always_inline void ring_submit(void *e)
{
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >=
			   REF_WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

#endif
