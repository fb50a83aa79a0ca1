/* fmt: turning raw values into text. Default output of each type (kernel
 * addresses as symbols, stacks as frames, histograms as bars), printf with
 * libc's conversions checked at compile time, and the printing of a whole
 * map (aggregations sorted by value, histograms and plain maps by key). */
#ifndef PLY_FMT_H
#define PLY_FMT_H

#include <stdint.h>
#include <stdio.h>

#include "prog.h"
#include "type.h"
#include "util.h"

/* Add to a nanoseconds-since-boot value to get nanoseconds since the
 * epoch; set by the runtime before any TF_WALLTIME value is printed. */
extern int64_t fmt_boot_to_wall_ns;

/* Set by the runtime: fills ips with the frames of stack id (at most max),
 * returns how many, or a negative errno. Used to print TF_STACK values. */
extern int (*fmt_stack_resolve)(void *ctx, int64_t id, uint64_t *ips,
				size_t max);
extern void *fmt_stack_ctx;

/* Check fmt against the argument types; errors point at floc (the format
 * string) or at arglocs[i]. Returns the number of errors. */
int fmt_check(struct diag *d, struct loc floc, const char *fmt,
	      struct type **args, const struct loc *arglocs, size_t nargs);

/* printf: args[i] describes argument i (type and offset into buf). */
void fmt_printf(FILE *out, const char *fmt, const struct field *args,
		size_t nargs, const void *buf);

/* The default output format of a value of type t stored at p. */
void value_print(FILE *out, const struct type *t, const void *p);

/* A quantize() histogram: QUANTIZE_BUCKETS u64 counters (prog.h). The
 * array type or its element has fmt TF_TIME when durations were counted.
 * value_print of such an array prints the histogram. */
int type_is_hist(const struct type *t);
/* One line per bucket from the first non-empty to the last, each starting
 * with "\n\t": range, count, a bar scaled to the largest count. Nothing
 * when every bucket is empty. */
void hist_print(FILE *out, const struct type *t, const void *buckets);

/* Compare two values of type t (integers by value and sign, strings as C
 * strings, others bytewise): <0, 0, >0. */
int value_cmp(const struct type *t, const void *a, const void *b);

/* Print map m: n entries, keys at keys + i * ksize, values at vals + i *
 * vsize (per-CPU values already summed). Sorts in place. */
void map_print(FILE *out, const struct mapsym *m, void *keys, void *vals,
	       size_t n);

#endif
