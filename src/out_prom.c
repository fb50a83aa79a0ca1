/* out_prom: maps and ply's own counters as Prometheus metrics (see
 * out_prom.h). Each exported map is one family named after it, its keys
 * labels named after what the program keys it by (comm, pid; else key0,
 * key1 ...) with values as ply's text output prints them, its
 * value the samples of the type its aggregation becomes (prom_kinds):
 * a number is one sample, stats() a summary (_sum, _count), quantize()
 * and lhist() histograms (_bucket, _count; no _sum, which would be an
 * estimate: their buckets keep no values);
 * durations are in seconds, as Prometheus recommends. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "json.h"
#include "out_prom.h"

enum prom_type { PT_GAUGE, PT_COUNTER, PT_HISTOGRAM, PT_SUMMARY, PT_INFO };

/* What each aggregation becomes: one row per kind. */
static const struct prom_kind {
	enum agg_kind agg;
	enum prom_type type;
	const char *help;
} prom_kinds[] = {
	{ AGG_NONE,	PT_GAUGE,	"a plain map" },
	{ AGG_COUNT,	PT_COUNTER,	"count()" },
	{ AGG_SUM,	PT_COUNTER,	"sum()" },
	{ AGG_QUANTIZE,	PT_HISTOGRAM,	"quantize(), log2 buckets" },
	{ AGG_MIN,	PT_GAUGE,	"min()" },
	{ AGG_MAX,	PT_GAUGE,	"max()" },
	{ AGG_AVG,	PT_GAUGE,	"avg()" },
	{ AGG_STATS,	PT_SUMMARY,	"stats(), the count and sum of the values "
					"(average: sum / count)" },
	{ AGG_LHIST,	PT_HISTOGRAM,	"lhist(), linear buckets" },
};

static const struct prom_kind *prom_kind(const struct mapsym *m)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(prom_kinds); i++)
		if (prom_kinds[i].agg == m->agg)
			return &prom_kinds[i];
	return NULL;
}

static const char *const type_names[] = {
	[PT_GAUGE] = "gauge", [PT_COUNTER] = "counter",
	[PT_HISTOGRAM] = "histogram", [PT_SUMMARY] = "summary",
	[PT_INFO] = "info",
};

/* The samples a family of each type writes, after its name. */
static const char *const type_suffixes[][4] = {
	[PT_GAUGE] = { "" },
	[PT_COUNTER] = { "_total" },
	[PT_HISTOGRAM] = { "_bucket", "_sum", "_count" },
	[PT_SUMMARY] = { "_sum", "_count" },
	[PT_INFO] = { "_info" },
};

static int value_is_number(const struct type *t)
{
	return t->kind == T_INT || t->kind == T_PTR;
}

int prom_exported(const struct mapsym *m)
{
	const char *name = m->name[0] == '@' ? m->name + 1 : m->name;
	const struct prom_kind *k = prom_kind(m);

	if (!k || !m->vtype || !strncmp(name, "__", 2))
		return 0;
	switch (agg_shape(m)) {
	case AGG_SHAPE_NUMBER:
		return m->is_agg ? agg_of(m) != NULL : value_is_number(m->vtype);
	case AGG_SHAPE_HIST:
		return type_is_hist(m->vtype);
	case AGG_SHAPE_STATS:
	case AGG_SHAPE_LHIST:
		return 1;
	}
	unreachable();
}

size_t prom_name(char *buf, size_t size, const struct mapsym *m)
{
	const char *name = m->name[0] == '@' ? m->name + 1 : m->name;
	int n = snprintf(buf, size, "ply_%s", *name ? name : "at");

	return n < 0 ? 0 : (size_t)n;
}

/* ---- names that must not clash ---- */

struct prom_family_name {
	const char *what;	/* for the message: "map @x", "ply's own" */
	char base[128];
	enum prom_type type;
};

static const struct {
	const char *base;
	enum prom_type type;
} self_families[] = {
	{ "ply_build", PT_INFO },
	{ "ply_events_lost", PT_COUNTER },
	{ "ply_events_malformed", PT_COUNTER },
	{ "ply_scope_full", PT_COUNTER },
	{ "ply_map_updates_dropped", PT_COUNTER },
	{ "ply_map_entries", PT_GAUGE },
	{ "ply_map_max_entries", PT_GAUGE },
	{ "ply_probe_runs_missed", PT_COUNTER },
	{ "ply_probe_ticks_skipped", PT_COUNTER },
	{ "ply_reads_failed", PT_COUNTER },
};

/* Whether a name of family a (its own or one of its samples') is one of
 * b's; the clashing name in out. */
static int family_clash(const struct prom_family_name *a,
			const struct prom_family_name *b, char *out,
			size_t size)
{
	char x[160], y[160];
	int i, j;

	/* the samples' names first (they are what a query names), then the
	 * family's own (OpenMetrics names a family apart) */
	for (i = 0; i < 5; i++) {
		if (i < 4 && !type_suffixes[a->type][i])
			i = 4;
		snprintf(x, sizeof(x), "%s%s", a->base,
			 i == 4 ? "" : type_suffixes[a->type][i]);
		for (j = 0; j < 5; j++) {
			if (j < 4 && !type_suffixes[b->type][j])
				j = 4;
			snprintf(y, sizeof(y), "%s%s", b->base,
				 j == 4 ? "" : type_suffixes[b->type][j]);
			if (!strcmp(x, y)) {
				snprintf(out, size, "%s", x);
				return 1;
			}
		}
	}
	return 0;
}

int prom_clash(const struct mapsym *const *maps, size_t n, char *buf,
	       size_t size)
{
	size_t nf = n + ARRAY_SIZE(self_families), i, j;
	struct prom_family_name *f = calloc(nf ? nf : 1, sizeof(*f));
	char name[160];
	int found = 0;

	if (!f)
		return snprintf(buf, size, "out of memory"), 1;
	for (i = 0; i < ARRAY_SIZE(self_families); i++) {
		f[i].what = NULL;
		snprintf(f[i].base, sizeof(f[i].base), "%s",
			 self_families[i].base);
		f[i].type = self_families[i].type;
	}
	for (j = 0; j < n; j++, i++) {
		f[i].what = maps[j]->name;
		prom_name(f[i].base, sizeof(f[i].base), maps[j]);
		f[i].type = prom_kind(maps[j])->type;
	}
	for (i = ARRAY_SIZE(self_families); i < nf && !found; i++)
		for (j = 0; j < i && !found; j++) {
			if (!family_clash(&f[i], &f[j], name, sizeof(name)))
				continue;
			found = 1;
			if (f[j].what)
				snprintf(buf, size, "maps %s and %s would both "
					 "give the metric %s", f[j].what,
					 f[i].what, name);
			else
				snprintf(buf, size, "map %s would give the "
					 "metric %s, which is ply's own",
					 f[i].what, name);
		}
	free(f);
	return found;
}

/* ---- text ---- */

void prom_label_value(FILE *f, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i, n;

	for (i = 0; i < len; i += n) {
		n = 1;
		if (s[i] == '\\')
			fputs("\\\\", f);
		else if (s[i] == '"')
			fputs("\\\"", f);
		else if (s[i] == '\n')
			fputs("\\n", f);
		else if (s[i] < 0x20 || s[i] == 0x7f)
			fprintf(f, "\\\\x%02x", s[i]);
		else if ((n = utf8_seq(s + i, len - i)))
			fwrite(s + i, 1, n, f);
		else
			n = 1, fprintf(f, "\\\\x%02x", s[i]);
	}
}

/* A HELP text: only '\\' and newline are escaped. */
static void help_text(FILE *f, const char *s)
{
	for (; *s; s++)
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
}

/* The HELP and TYPE lines. The text format names a counter's family by
 * its sample (x_total) and has no info type; OpenMetrics names the family
 * (x) and has. */
static void family_head(FILE *f, enum prom_format fmt, const char *base,
			enum prom_type type, const char *help)
{
	char name[160];

	if (fmt == PROM_OPENMETRICS)
		snprintf(name, sizeof(name), "%s", base);
	else
		snprintf(name, sizeof(name), "%s%s", base,
			 type == PT_COUNTER ? "_total" :
			 type == PT_INFO ? "_info" : "");
	fprintf(f, "# HELP %s ", name);
	help_text(f, help);
	fprintf(f, "\n# TYPE %s %s\n", name,
		fmt == PROM_TEXT && type == PT_INFO ? "gauge" : type_names[type]);
}

/* ns nanoseconds as exact decimal seconds: "0.000000511", "2", "-1.5". */
static void seconds_print(FILE *f, int neg, uint64_t ns)
{
	char frac[16];
	int n;

	n = snprintf(frac, sizeof(frac), "%09" PRIu64, ns % 1000000000);
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	fprintf(f, "%s%" PRIu64 "%s%s", neg ? "-" : "", ns / 1000000000,
		n ? "." : "", frac);
}

static void sample_value(FILE *f, struct fmt_ctx *c, const struct type *t,
			 const void *p)
{
	uint64_t v = value_int(t, p);
	int neg = t->kind == T_INT && t->is_signed && (int64_t)v < 0;

	if (t->fmt == TF_WALLTIME && c) {
		v += (uint64_t)c->boot_to_wall_ns;
		neg = (int64_t)v < 0;
	}
	if (t->fmt == TF_TIME || t->fmt == TF_WALLTIME)
		seconds_print(f, neg, neg ? -v : v);
	else if (neg)
		fprintf(f, "%" PRId64, (int64_t)v);
	else
		fprintf(f, "%" PRIu64, v);
}

/* Key i's label: what the program names it after (comm, pid, ret), if
 * that is a label name of its own in the family; else key0, key1 ... */
static void label_name(char *buf, size_t size, const struct mapsym *m,
		       size_t i)
{
	const char *n = m->knames ? m->knames[i] : "";
	size_t j;

	snprintf(buf, size, "key%zu", i);
	if (!*n || !strcmp(n, "le") || !strncmp(n, "__", 2) ||
	    !strncmp(n, "key", 3) || strspn(n, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(n))
		return;
	for (j = 0; j < i; j++)
		if (!strcmp(m->knames[j], n))
			return;
	snprintf(buf, size, "%s", n);
}

/* The key's labels, each as ply's text output prints the key; extra
 * (le="...") last. Nothing at all when there are no labels. */
static void labels_print(FILE *f, struct fmt_ctx *c, const struct mapsym *m,
			 const char *k, const char *extra)
{
	const struct type *kt = m->ktype;
	char name[64];
	size_t i;
	char *s;

	if (!kt && !extra)
		return;
	fputc('{', f);
	for (i = 0; kt && i < kt->nfields; i++) {
		s = value_str(c, kt->fields[i].type, k + kt->fields[i].offset);
		label_name(name, sizeof(name), m, i);
		fprintf(f, "%s%s=\"", i ? "," : "", name);
		prom_label_value(f, s, strlen(s));
		fputc('"', f);
		free(s);
	}
	if (extra)
		fprintf(f, "%s%s", kt && kt->nfields ? "," : "", extra);
	fputc('}', f);
}

/* ---- histograms ---- */

/* le="v" for the bucket of values up to v, inclusive (values are
 * integers): -mag when neg; in seconds for durations. */
static void le_label(char *buf, size_t size, int neg, uint64_t mag,
		     int is_time)
{
	FILE *f = fmemopen(buf, size, "w");

	if (!f) {
		snprintf(buf, size, "le=\"?\"");
		return;
	}
	fputs("le=\"", f);
	if (is_time)
		seconds_print(f, neg, mag);
	else
		fprintf(f, "%s%" PRIu64, neg ? "-" : "", mag);
	fputc('"', f);
	fclose(f);
}

/* A sample of key k that counts: name and suffix, the key's labels and
 * extra, the count. */
static void count_sample(FILE *f, struct fmt_ctx *c, const char *name,
			 const char *suffix, const struct mapsym *m,
			 const char *k, const char *extra, uint64_t v)
{
	fprintf(f, "%s%s", name, suffix);
	labels_print(f, c, m, k, extra);
	fprintf(f, " %" PRIu64 "\n", v);
}

/* A quantize() key: its buckets from first to last, each le the largest
 * value it holds (-1 for the negative values, then 0, 1, 3 ... 2^k - 1),
 * +Inf and _count. No _sum: the buckets keep no values, and a histogram's
 * _sum must be the real sum (rate(_sum) / rate(_count) is an average), so
 * none is better than an estimate. */
static void hist_key(FILE *f, struct fmt_ctx *c, const char *name,
		     const struct mapsym *m, const char *k, const char *v,
		     size_t first, size_t last)
{
	uint64_t cum = 0;
	char le[64];
	struct hist h;
	size_t i;

	hist_read(&h, m->vtype, v);
	for (i = 0; i < QUANTIZE_BUCKETS; i++) {
		cum += h.b[i].count;
		if (i < first || i > last)
			continue;
		le_label(le, sizeof(le), i == 0, i == 0 ? 1 : h.b[i].hi,
			 h.is_time);
		count_sample(f, c, name, "_bucket", m, k, le, cum);
	}
	count_sample(f, c, name, "_bucket", m, k, "le=\"+Inf\"", cum);
	count_sample(f, c, name, "_count", m, k, NULL, cum);
}

/* An lhist() key: every bucket the program declared, whatever their
 * counts, so the series are there from the first scrape. A bucket
 * [lo, hi) holds the values up to hi - 1, so that is its le; the one of
 * values below min comes first (le min - 1), the one of values at or
 * above max is +Inf. Then _count, and no _sum: lhist() keeps no values
 * either (see hist_key). */
static void lhist_key(FILE *f, struct fmt_ctx *c, const char *name,
		      const struct mapsym *m, const char *k, const char *v)
{
	int is_time = hist_is_time(m->vtype), below, above;
	size_t n = m->vtype->len, i;
	uint64_t cum = 0, b;
	int64_t lo, hi;
	char le[64];

	for (i = 0; i < n; i++) {
		memcpy(&b, v + 8 * i, sizeof(b));
		cum += b;
		agg_lhist_bounds(m, i, &below, &above, &lo, &hi);
		/* above: +Inf, below; below INT64_MIN: nothing, ever */
		if (above || hi == INT64_MIN)
			continue;
		hi--;
		le_label(le, sizeof(le), hi < 0,
			 hi < 0 ? -(uint64_t)hi : (uint64_t)hi, is_time);
		count_sample(f, c, name, "_bucket", m, k, le, cum);
	}
	count_sample(f, c, name, "_bucket", m, k, "le=\"+Inf\"", cum);
	count_sample(f, c, name, "_count", m, k, NULL, cum);
}

/* A stats() key as a summary without quantiles: _sum, the total (in
 * seconds for durations), and _count. OpenMetrics makes a summary's sum a
 * counter, which can't be negative: there a negative total is left out
 * (the average is then avg's, or stats() of the negated value). */
static void stats_key(FILE *f, struct fmt_ctx *c, enum prom_format fmt,
		      const char *name, const struct mapsym *m, const char *k,
		      const char *v)
{
	const struct type *t;
	uint64_t count;
	int64_t total, avg;

	agg_stats_read(m, v, &count, &total, &avg, &t);
	if (fmt == PROM_TEXT || !t->is_signed || total >= 0) {
		fprintf(f, "%s_sum", name);
		labels_print(f, c, m, k, NULL);
		fputc(' ', f);
		sample_value(f, c, t, &total);
		fputc('\n', f);
	}
	count_sample(f, c, name, "_count", m, k, NULL, count);
}

/* Every key gets the same buckets: from the lowest non-empty one of any
 * key to the highest. Counts only grow, so neither end ever moves back and
 * a bucket's series, once there, stays. */
static void hist_range(const struct mapsym *m, const char *vals, size_t n,
		       size_t *first, size_t *last)
{
	struct hist h;
	size_t i;

	*first = QUANTIZE_BUCKETS;
	*last = 0;
	for (i = 0; i < n; i++) {
		hist_read(&h, m->vtype, vals + i * m->vtype->size);
		if (h.first > h.last)
			continue;
		*first = h.first < *first ? h.first : *first;
		*last = h.last > *last ? h.last : *last;
	}
}

/* A number: a plain map's value, or an aggregation's as agg.h reads it
 * (avg's total / count). */
static void gauge_value(FILE *f, struct fmt_ctx *c, const struct mapsym *m,
			const void *v)
{
	const struct type *t;
	uint64_t x;

	if (!m->is_agg) {
		sample_value(f, c, m->vtype, v);
		return;
	}
	t = agg_number(m, v, &x);
	sample_value(f, c, t, &x);
}

/* ---- families ---- */

void prom_map(FILE *f, struct fmt_ctx *c, enum prom_format fmt,
	      const struct mapsym *m, const void *keys_, const void *vals_,
	      size_t n)
{
	const struct prom_kind *kind = prom_kind(m);
	const char *keys = keys_, *vals = vals_;
	size_t ks = m->ktype ? m->ktype->size : 0, vs = m->vtype->size;
	size_t i, first = 0, last = 0;
	char base[128], help[160];

	if (!prom_exported(m))
		return;
	prom_name(base, sizeof(base), m);
	snprintf(help, sizeof(help), "ply map %s: %s", m->name, kind->help);
	family_head(f, fmt, base, kind->type, help);
	if (agg_shape(m) == AGG_SHAPE_HIST)
		hist_range(m, vals, n, &first, &last);
	for (i = 0; i < n; i++) {
		const char *k = keys + i * ks, *v = vals + i * vs;

		switch (agg_shape(m)) {
		case AGG_SHAPE_HIST:
			hist_key(f, c, base, m, k, v, first, last);
			break;
		case AGG_SHAPE_LHIST:
			lhist_key(f, c, base, m, k, v);
			break;
		case AGG_SHAPE_STATS:
			stats_key(f, c, fmt, base, m, k, v);
			break;
		case AGG_SHAPE_NUMBER:
			fprintf(f, "%s%s", base, type_suffixes[kind->type][0]);
			labels_print(f, c, m, k, NULL);
			fputc(' ', f);
			gauge_value(f, c, m, v);
			fputc('\n', f);
			break;
		}
	}
}

static void self_sample(FILE *f, const char *name, const char *label,
			const char *lvalue, uint64_t v)
{
	fputs(name, f);
	if (label) {
		fprintf(f, "{%s=\"", label);
		prom_label_value(f, lvalue, strlen(lvalue));
		fputs("\"}", f);
	}
	fprintf(f, " %" PRIu64 "\n", v);
}

static void self_maps(FILE *f, enum prom_format fmt, const struct prom_self *s)
{
	size_t i;

	family_head(f, fmt, "ply_map_updates_dropped", PT_COUNTER,
		    "map updates that failed because the map was full");
	for (i = 0; i < s->nmaps; i++)
		self_sample(f, "ply_map_updates_dropped_total", "map",
			    s->maps[i]->name, s->dropped[i]);
	family_head(f, fmt, "ply_map_entries", PT_GAUGE,
		    "keys in the map");
	for (i = 0; i < s->nmaps; i++)
		self_sample(f, "ply_map_entries", "map", s->maps[i]->name,
			    s->entries[i]);
	family_head(f, fmt, "ply_map_max_entries", PT_GAUGE,
		    "keys the map can hold (-M)");
	for (i = 0; i < s->nmaps; i++)
		self_sample(f, "ply_map_max_entries", "map", s->maps[i]->name,
			    s->max_entries[i]);
}

static void self_probes(FILE *f, enum prom_format fmt,
			const struct prom_self *s)
{
	size_t i;

	family_head(f, fmt, "ply_probe_runs_missed", PT_COUNTER,
		    "probe runs the kernel skipped (it fired while another "
		    "BPF program ran on its CPU)");
	for (i = 0; i < s->nprobes; i++)
		self_sample(f, "ply_probe_runs_missed_total", "probe",
			    s->probes[i], s->missed[i]);
	family_head(f, fmt, "ply_probe_ticks_skipped", PT_COUNTER,
		    "interval ticks not run (the period is shorter than a run)");
	for (i = 0; i < s->nprobes; i++)
		self_sample(f, "ply_probe_ticks_skipped_total", "probe",
			    s->probes[i], s->skipped[i]);
}

static void self_reads(FILE *f, enum prom_format fmt,
		       const struct prom_self *s)
{
	const struct readsite *r;
	size_t i;

	if (!s->nreads)
		return;
	family_head(f, fmt, "ply_reads_failed", PT_COUNTER,
		    "str(), mem() or dyn() reads of an address that could "
		    "not be read");
	for (i = 0; i < s->nreads; i++) {
		r = s->reads[i];
		fprintf(f, "ply_reads_failed_total{fn=\"%s\",at=\"", r->fn);
		fprintf(f, "%d:%d\"} %" PRIu64 "\n", r->loc.line, r->loc.col,
			s->failed[i]);
	}
}

void prom_self(FILE *f, enum prom_format fmt, const struct prom_self *s)
{
	family_head(f, fmt, "ply_build", PT_INFO, "the ply that runs");
	self_sample(f, "ply_build_info", "version", s->version, 1);
	family_head(f, fmt, "ply_events_lost", PT_COUNTER,
		    "events that did not fit the ring buffer");
	self_sample(f, "ply_events_lost_total", NULL, NULL, s->lost);
	family_head(f, fmt, "ply_events_malformed", PT_COUNTER,
		    "malformed events ignored");
	self_sample(f, "ply_events_malformed_total", NULL, NULL,
		    s->malformed);
	family_head(f, fmt, "ply_scope_full", PT_COUNTER,
		    "processes not traced: the scope (-p, -n, --cgroup, -F) "
		    "had no room for them (-M)");
	self_sample(f, "ply_scope_full_total", NULL, NULL, s->scope_full);
	if (s->nmaps)
		self_maps(f, fmt, s);
	if (s->nprobes)
		self_probes(f, fmt, s);
	self_reads(f, fmt, s);
}

void prom_end(FILE *f, enum prom_format fmt)
{
	if (fmt == PROM_OPENMETRICS)
		fputs("# EOF\n", f);
}
