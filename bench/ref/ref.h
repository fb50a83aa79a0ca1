/* Shared by the reference tracers' kernel and user sides: map keys and the
 * layout of a streamed event. */
#ifndef BENCH_REF_H
#define BENCH_REF_H

#define REF_MAX_COMMS	10240
#define REF_COMM_LEN	16
#define REF_PATH_LEN	64	/* as ply's and bpftrace's default str() */
#define REF_RINGBUF	(1 << 20)	/* as ply's ring buffer */
/* The kernel side wakes the reader only once this much is waiting; the
 * reader also polls every REF_POLL_MS, so a quiet tail is not stranded. */
#define REF_WAKEUP_BYTES	(REF_RINGBUF / 4)
#define REF_POLL_MS	10

struct comm_key {
	char comm[REF_COMM_LEN];
};

#define REF_FDPATH_LEN	256	/* as ply's paths (PATH_SIZE) */

struct fdpath_event {
	char comm[REF_COMM_LEN];
	char path[REF_FDPATH_LEN];
};

struct open_event {
	char comm[REF_COMM_LEN];
	char path[REF_PATH_LEN];
};

#endif
