/* value: what a value of a ply type is, read from the bytes the kernel
 * wrote (host byte order, each integer of its own size), and its default
 * text: integers, times, kernel symbols, stacks, strings escaped so they
 * read back and cannot drive a terminal, and quantize() histograms, also
 * as data (buckets with their bounds) for writers that are not text. */
#ifndef PLY_VALUE_H
#define PLY_VALUE_H

#include <stdint.h>
#include <stdio.h>

#include "prog.h"
#include "type.h"

struct ksyms;

/* What formatting needs from outside: owned by the output (out.h), never
 * a global. A NULL context is allowed everywhere: timestamps count from
 * boot, addresses print in hex, stacks as their id. */
struct fmt_ctx {
	/* add to a nanoseconds-since-boot value (bpf_ktime_get_ns, i.e.
	 * CLOCK_MONOTONIC) to get nanoseconds since the epoch */
	int64_t boot_to_wall_ns;
	/* fills ips with the frames of stack id (at most max), returns how
	 * many or a negative errno; NULL: stacks print as "stack#id" */
	int (*stack_resolve)(void *ctx, int64_t id, uint64_t *ips,
			     size_t max);
	void *stack_ctx;
	/* kernel symbols: loaded on the first address printed, freed by
	 * fmt_ctx__free; a failed load (not root) is not retried */
	struct ksyms *ksyms;
	int ksyms_tried;
};

void fmt_ctx__init(struct fmt_ctx *c);	/* zeroed, with the clock offset */
void fmt_ctx__free(struct fmt_ctx *c);	/* the symbols; not c itself */
/* The symbols, loaded now if they were not; NULL if they can't be. */
const struct ksyms *fmt_ctx_ksyms(struct fmt_ctx *c);

/* ---- values as data ---- */

/* The bits of the integer (or pointer) of type t at p, zero-extended;
 * p need not be aligned. */
uint64_t value_bits(const struct type *t, const void *p);
/* The same sign-extended when t is signed: (int64_t) of it is the value. */
uint64_t value_int(const struct type *t, const void *p);
/* Compare two values of type t (integers by value and sign, strings as C
 * strings, others bytewise): <0, 0, >0. */
int value_cmp(const struct type *t, const void *a, const void *b);
/* What %s accepts: a string, or a byte array such as mem()'s result. */
int type_is_string(const struct type *t);

/* ---- values as text ---- */

/* The default output format of a value of type t stored at p. */
void value_print(FILE *f, struct fmt_ctx *c, const struct type *t,
		 const void *p);
/* The same into a malloc'd string (never NULL: aborts when out of
 * memory). */
char *value_str(struct fmt_ctx *c, const struct type *t, const void *p);

/* s[0..len), up to the first NUL, so that it reads back unambiguously and
 * cannot drive a terminal: valid UTF-8 as itself; '\\' doubled; \n, \t,
 * \r; every other control character (C0, DEL, C1) and every byte that is
 * not part of valid UTF-8 as \xNN. The one escaper of the output. */
void str_escape(FILE *f, const char *s, size_t len);
/* Whether str_escape would print s[0..len) unchanged. */
int str_is_plain(const char *s, size_t len);

/* ---- histograms ---- */

/* A quantize() histogram: QUANTIZE_BUCKETS u64 counters (prog.h). The
 * array type or its element has fmt TF_TIME when durations were counted.
 * value_print of such an array prints the histogram. */
int type_is_hist(const struct type *t);
/* Whether a histogram's (quantize or lhist) counters are of durations:
 * its array type or their element has fmt TF_TIME. */
int hist_is_time(const struct type *t);

/* A histogram as data. Bucket i holds count values v with, for i == 0,
 * v < 0 (neg set); otherwise lo <= v <= hi. */
struct hist_bucket {
	int neg;
	uint64_t lo, hi;
	uint64_t count;
};

struct hist {
	int is_time;		/* the values were durations in ns */
	size_t first, last;	/* the non-empty range; first > last when
				 * every bucket is empty */
	uint64_t max;		/* the largest count */
	struct hist_bucket b[QUANTIZE_BUCKETS];
};

void hist_read(struct hist *h, const struct type *t, const void *buckets);

/* One line per bucket from the first non-empty to the last, each starting
 * with "\n\t": range, count, a bar scaled to the largest count. Nothing
 * when every bucket is empty. */
void hist_print(FILE *f, const struct type *t, const void *buckets);

/* lhist()'s buckets of map m, from the first non-empty to the last, the
 * same way: "< min", "[lo, hi)", ">= max". */
void lhist_print(FILE *f, const struct mapsym *m, const void *buckets);

#endif
