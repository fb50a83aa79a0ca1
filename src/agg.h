/* agg: the aggregating functions, one row each in one table: the name a
 * program calls, its arguments, the shape of what it keeps, how the
 * per-CPU values of one entry combine into one, and the shape a writer
 * prints. sema checks calls against the table, gen.c has each one's code
 * generation, the runtime combines with it and every writer (text, JSON,
 * the next one) prints from the shape, so a new aggregation is one row,
 * its code generation and its combine function.
 *
 * What each keeps per CPU (vtype), and how it combines:
 *   count, sum        u64/s64, summed
 *   min, max          one u64 holding the value encoded so that a larger
 *                     encoding is the better value and 0 is "none yet"
 *                     (a CPU that never ran the probe holds 0): combined
 *                     as the largest, then decoded, so a read gives the
 *                     value itself
 *   avg, stats        { u64 count; s64 total; }, summed
 *   quantize, lhist   u64 counters, summed bucket by bucket */
#ifndef PLY_AGG_H
#define PLY_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "prog.h"

enum agg_shape {
	AGG_SHAPE_NUMBER,	/* one number: agg_number */
	AGG_SHAPE_STATS,	/* count, average, total: agg_stats */
	AGG_SHAPE_HIST,		/* log2 buckets: hist_read (value.h) */
	AGG_SHAPE_LHIST,	/* linear buckets: agg_lhist_bucket */
};

struct agg_def {
	enum agg_kind kind;
	const char *fn;		/* the function a program calls */
	const char *args;	/* for messages: "expr" */
	int nargs;
	enum agg_shape shape;
	/* ncpus per-CPU values at raw, stride bytes apart, into one value
	 * at dst (vtype->size bytes) */
	void (*combine)(const struct mapsym *m, const char *raw,
			size_t stride, int ncpus, char *dst);
	/* the reverse for one CPU: a combined value (from the front end)
	 * into what that CPU keeps; NULL: the same bytes */
	void (*split)(const struct mapsym *m, const char *val, char *raw);
};

const struct agg_def *agg_def(enum agg_kind kind);	/* NULL: AGG_NONE */
/* Map m's aggregation (NULL: a plain map), and the shape a writer prints
 * its values in (a plain map's is NUMBER). */
const struct agg_def *agg_of(const struct mapsym *m);
enum agg_shape agg_shape(const struct mapsym *m);
const struct agg_def *agg_find(const char *fn);
/* "count(), sum(expr), ..." for messages */
const char *agg_list(void);

/* min()/max(): the encoding of x as kept (see above) */
uint64_t agg_minmax_encode(enum agg_kind kind, int is_signed, uint64_t x);

/* avg() and stats() keep this, 8-aligned fields of a tuple */
struct agg_stats {
	uint64_t count;
	int64_t total;
};

/* A combined value of a NUMBER aggregation: the number, and the type
 * (size 8) whose format prints it. */
const struct type *agg_number(const struct mapsym *m, const void *v,
			      uint64_t *out);
/* A STATS (or avg) value: count, total and their average (total/count,
 * rounded toward zero; 0 when count is 0); t prints total and avg. */
void agg_stats_read(const struct mapsym *m, const void *v,
		    uint64_t *count, int64_t *total, int64_t *avg,
		    const struct type **t);

/* lhist(expr, min, max, step): bucket 0 counts values below min, bucket
 * i in 1..n the values in [min + (i-1)*step, min + i*step) (the last one
 * ending at max), bucket n+1 the values >= max. */
size_t agg_lhist_nbuckets(int64_t min, int64_t max, int64_t step);
/* Bucket i's bounds: *below (no lower bound) or *above (no upper bound),
 * else [*lo, *hi) */
void agg_lhist_bounds(const struct mapsym *m, size_t i, int *below,
		      int *above, int64_t *lo, int64_t *hi);

/* Entries of map m in print order: <0, 0, >0 by value (NUMBER: the
 * number, STATS: the average; histograms are all equal). */
int agg_cmp(const struct mapsym *m, const void *a, const void *b);

#endif
