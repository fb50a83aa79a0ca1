/* agg: the table of aggregating functions and what the runtime and the
 * writers need of each (see agg.h). */
#include <string.h>

#include "agg.h"
#include "value.h"

/* ---- combining ---- */

static uint64_t u64_at(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Every u64 of the value summed over the CPUs; wrapping sums are right
 * for signed totals too. */
static void combine_sum(const struct mapsym *m, const char *raw,
			size_t stride, int ncpus, char *dst)
{
	size_t off, size = m->vtype->size;
	uint64_t sum;
	int cpu;

	for (off = 0; off + 8 <= size; off += 8) {
		sum = 0;
		for (cpu = 0; cpu < ncpus; cpu++)
			sum += u64_at(raw + cpu * stride + off);
		memcpy(dst + off, &sum, sizeof(sum));
	}
}

#define SIGN_BIT ((uint64_t)1 << 63)

/* A larger encoding is the better value; 0 stays "none yet": max keeps
 * x in unsigned order (the sign bit flipped when signed, so INT64_MIN is
 * 0, and is no better than nothing), min its complement. */
uint64_t agg_minmax_encode(enum agg_kind kind, int is_signed, uint64_t x)
{
	uint64_t e = is_signed ? x ^ SIGN_BIT : x;

	return kind == AGG_MIN ? ~e : e;
}

static uint64_t minmax_decode(enum agg_kind kind, int is_signed, uint64_t e)
{
	uint64_t x = kind == AGG_MIN ? ~e : e;

	return is_signed ? x ^ SIGN_BIT : x;
}

static void combine_minmax(const struct mapsym *m, const char *raw,
			   size_t stride, int ncpus, char *dst)
{
	uint64_t best = 0, e, x;
	int cpu;

	for (cpu = 0; cpu < ncpus; cpu++) {
		e = u64_at(raw + cpu * stride);
		best = e > best ? e : best;
	}
	x = minmax_decode(m->agg, m->vtype->is_signed, best);
	memcpy(dst, &x, sizeof(x));
}

static void split_minmax(const struct mapsym *m, const char *val, char *raw)
{
	uint64_t e = agg_minmax_encode(m->agg, m->vtype->is_signed,
				       u64_at(val));

	memcpy(raw, &e, sizeof(e));
}

/* ---- the table ---- */

static const struct agg_def defs[] = {
	{ AGG_COUNT, "count", "", 0, AGG_SHAPE_NUMBER, combine_sum, NULL },
	{ AGG_SUM, "sum", "expr", 1, AGG_SHAPE_NUMBER, combine_sum, NULL },
	{ AGG_MIN, "min", "expr", 1, AGG_SHAPE_NUMBER, combine_minmax,
	  split_minmax },
	{ AGG_MAX, "max", "expr", 1, AGG_SHAPE_NUMBER, combine_minmax,
	  split_minmax },
	{ AGG_AVG, "avg", "expr", 1, AGG_SHAPE_NUMBER, combine_sum, NULL },
	{ AGG_STATS, "stats", "expr", 1, AGG_SHAPE_STATS, combine_sum, NULL },
	{ AGG_QUANTIZE, "quantize", "expr", 1, AGG_SHAPE_HIST, combine_sum,
	  NULL },
	{ AGG_LHIST, "lhist", "expr, min, max, step", 4, AGG_SHAPE_LHIST,
	  combine_sum, NULL },
};

const struct agg_def *agg_def(enum agg_kind kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(defs); i++)
		if (defs[i].kind == kind)
			return &defs[i];
	return NULL;
}

const struct agg_def *agg_of(const struct mapsym *m)
{
	return m->is_agg ? agg_def(m->agg) : NULL;
}

enum agg_shape agg_shape(const struct mapsym *m)
{
	const struct agg_def *d = agg_of(m);

	return d ? d->shape : AGG_SHAPE_NUMBER;
}

const struct agg_def *agg_find(const char *fn)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(defs); i++)
		if (!strcmp(defs[i].fn, fn))
			return &defs[i];
	return NULL;
}

const char *agg_list(void)
{
	static char buf[256];
	size_t i, n = 0;

	if (buf[0])
		return buf;
	for (i = 0; i < ARRAY_SIZE(defs) && n < sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s%s(%s)",
			      i ? ", " : "", i + 1 == ARRAY_SIZE(defs) ?
			      "or " : "", defs[i].fn, defs[i].args);
	return buf;
}

/* ---- reading ---- */

void agg_stats_read(const struct mapsym *m, const void *v,
		    uint64_t *count, int64_t *total, int64_t *avg,
		    const struct type **t)
{
	struct agg_stats s;

	memcpy(&s, v, sizeof(s));
	*count = s.count;
	*total = s.total;
	*t = m->vtype->fields[1].type;
	if (!s.count)
		*avg = 0;
	else if ((*t)->is_signed)
		*avg = s.total / (int64_t)s.count;
	else
		*avg = (int64_t)((uint64_t)s.total / s.count);
}

const struct type *agg_number(const struct mapsym *m, const void *v,
			      uint64_t *out)
{
	const struct type *t;
	uint64_t count;
	int64_t total, avg;

	if (m->agg == AGG_AVG) {
		agg_stats_read(m, v, &count, &total, &avg, &t);
		*out = (uint64_t)avg;
		return t;
	}
	*out = value_int(m->vtype, v);
	return m->vtype;
}

size_t agg_lhist_nbuckets(int64_t min, int64_t max, int64_t step)
{
	uint64_t span = (uint64_t)max - (uint64_t)min;

	return 2 + span / (uint64_t)step + (span % (uint64_t)step != 0);
}

void agg_lhist_bounds(const struct mapsym *m, size_t i, int *below,
		      int *above, int64_t *lo, int64_t *hi)
{
	size_t n = agg_lhist_nbuckets(m->lh_min, m->lh_max, m->lh_step);

	*below = i == 0;
	*above = i == n - 1;
	if (*below || *above) {
		*lo = *hi = *below ? m->lh_min : m->lh_max;
		return;
	}
	/* in u64, where min + k * step wraps as the kernel's sum does */
	*lo = (int64_t)((uint64_t)m->lh_min + (i - 1) * (uint64_t)m->lh_step);
	*hi = i == n - 2 ? m->lh_max :
		(int64_t)((uint64_t)*lo + (uint64_t)m->lh_step);
}

int agg_cmp(const struct mapsym *m, const void *a, const void *b)
{
	const struct agg_def *d = agg_def(m->agg);
	const struct type *t;
	uint64_t x, y, ca, cb;
	int64_t ta, tb, aa, ab;

	if (!d)
		return 0;
	switch (d->shape) {
	case AGG_SHAPE_NUMBER:
		t = agg_number(m, a, &x);
		agg_number(m, b, &y);
		return value_cmp(t, &x, &y);
	case AGG_SHAPE_STATS:
		agg_stats_read(m, a, &ca, &ta, &aa, &t);
		agg_stats_read(m, b, &cb, &tb, &ab, &t);
		return value_cmp(t, &aa, &ab);
	default:
		return 0;
	}
}
