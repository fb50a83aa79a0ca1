/* out_json: the JSON writer (-f json). One JSON object per line on the
 * output stream for everything: events, maps, reports of what was lost
 * or skipped, messages and exit(). Strings go through json_str, so every
 * line is valid JSON (RFC 8259) whatever bytes the traced data holds, and
 * those bytes can be recovered. Numbers are numbers (times in ns,
 * timestamps in ns since the epoch); kernel symbols and stacks are
 * strings. Aggregations print from their shape (agg.h):
 *
 *   {"type":"printf","site":0,"text":"cat 12\n","args":["cat",12]}
 *   {"type":"print","site":1,"args":["cat",12]}
 *   {"type":"map","name":"@","entries":[{"key":["cat"],"value":31}]}
 *   {"type":"map","name":"@t","value":{"count":2,"avg":6,"total":12}}
 *   {"type":"map","name":"@q","value":{"buckets":[{"lo":4,"hi":8,
 *    "count":1}]}}			(lo or hi null: no bound)
 *   {"type":"lost","count":3}		{"type":"exit","code":0} */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "json.h"
#include "out.h"
#include "printf.h"

static void json_value(FILE *f, struct fmt_ctx *c, const struct type *t,
		       const void *p);

/* A kernel symbol or stack as text, a stack's frames one string each. */
static void json_text(FILE *f, struct fmt_ctx *c, const struct type *t,
		      const void *p)
{
	char *s = value_str(c, t, p), *line, *save = NULL;
	int first = 1;

	if (t->fmt != TF_STACK) {
		json_str(f, s, strlen(s));
		free(s);
		return;
	}
	fputc('[', f);
	for (line = strtok_r(s, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (!*line)
			continue;
		if (!first)
			fputc(',', f);
		json_str(f, line, strlen(line));
		first = 0;
	}
	fputc(']', f);
	free(s);
}

static void json_int(FILE *f, struct fmt_ctx *c, const struct type *t,
		     const void *p)
{
	uint64_t v = value_int(t, p);

	if (t->fmt == TF_SYM || t->fmt == TF_STACK) {
		json_text(f, c, t, p);
		return;
	}
	if (t->fmt == TF_WALLTIME && c)
		v += (uint64_t)c->boot_to_wall_ns;
	if (t->kind == T_INT && t->is_signed)
		fprintf(f, "%" PRId64, (int64_t)v);
	else
		fprintf(f, "%" PRIu64, v);
}

/* A histogram: the buckets from the first non-empty one to the last,
 * each [lo, hi) with null for an open end. lhist's: */
static void json_bucket(FILE *f, int first, int has_lo, int64_t lo,
			int has_hi, int64_t hi, uint64_t count)
{
	fputs(first ? "{\"lo\":" : ",{\"lo\":", f);
	if (!has_lo)
		fputs("null", f);
	else
		fprintf(f, "%" PRId64, lo);
	fputs(",\"hi\":", f);
	if (!has_hi)
		fputs("null", f);
	else
		fprintf(f, "%" PRId64, hi);
	fprintf(f, ",\"count\":%" PRIu64 "}", count);
}

/* quantize: bucket 0 is [null, 0), 1 is [0, 1), k >= 2 [2^(k-2), 2^(k-1));
 * the last one's end, 2^64, is beyond u64 but not beyond JSON. */
static void json_hist(FILE *f, const struct type *t, const void *p)
{
	struct hist h;
	size_t i;

	hist_read(&h, t, p);
	fputs("{\"buckets\":[", f);
	for (i = h.first; i <= h.last && i < QUANTIZE_BUCKETS; i++) {
		fputs(i == h.first ? "{\"lo\":" : ",{\"lo\":", f);
		if (i == 0)
			fputs("null,\"hi\":0", f);
		else if (i == QUANTIZE_BUCKETS - 1)
			fprintf(f, "%" PRIu64 ",\"hi\":18446744073709551616",
				h.b[i].lo);
		else
			fprintf(f, "%" PRIu64 ",\"hi\":%" PRIu64, h.b[i].lo,
				h.b[i].hi + 1);
		fprintf(f, ",\"count\":%" PRIu64 "}", h.b[i].count);
	}
	fputs("]}", f);
}

static void json_lhist(FILE *f, const struct mapsym *m, const void *p)
{
	size_t n = m->vtype->len, i, first = n, last = 0;
	int below, above;
	int64_t lo, hi;
	uint64_t c;

	for (i = 0; i < n; i++) {
		memcpy(&c, (const char *)p + 8 * i, sizeof(c));
		if (c) {
			first = i < first ? i : first;
			last = i;
		}
	}
	fputs("{\"buckets\":[", f);
	for (i = first; i <= last && i < n; i++) {
		memcpy(&c, (const char *)p + 8 * i, sizeof(c));
		agg_lhist_bounds(m, i, &below, &above, &lo, &hi);
		json_bucket(f, i == first, !below, lo, !above, hi, c);
	}
	fputs("]}", f);
}

static int is_bytes(const struct type *t)
{
	return t->kind == T_ARRAY && t->elem && t->elem->kind == T_INT &&
		t->elem->size == 1;
}

static void json_value(FILE *f, struct fmt_ctx *c, const struct type *t,
		       const void *p)
{
	size_t i;

	switch (t->kind) {
	case T_VOID:
		fputs("null", f);
		return;
	case T_INT:
	case T_PTR:
		json_int(f, c, t, p);
		return;
	case T_STR:
		json_str(f, p, strnlen(p, t->len));
		return;
	case T_ARRAY:
		if (type_is_hist(t)) {
			json_hist(f, t, p);
		} else if (is_bytes(t)) {	/* mem(): every byte */
			json_str(f, p, t->size);
		} else {
			fputc('[', f);
			for (i = 0; i < t->len; i++) {
				if (i)
					fputc(',', f);
				json_value(f, c, t->elem, (const char *)p +
					   i * t->elem->size);
			}
			fputc(']', f);
		}
		return;
	case T_STRUCT:
		fputc('{', f);
		for (i = 0; i < t->nfields; i++) {
			const struct field *fl = &t->fields[i];
			char name[24];

			if (i)
				fputc(',', f);
			if (!fl->name)
				snprintf(name, sizeof(name), "%zu", i);
			json_str(f, fl->name ? fl->name : name,
				 strlen(fl->name ? fl->name : name));
			fputc(':', f);
			json_value(f, c, fl->type, (const char *)p + fl->offset);
		}
		fputc('}', f);
		return;
	}
	unreachable();
}

/* A tuple (an event's arguments from field `from`, a map's keys) as an
 * array. */
static void json_tuple(FILE *f, struct fmt_ctx *c, const struct type *t,
		       size_t from, const void *p)
{
	size_t i;

	fputc('[', f);
	for (i = from; t && i < t->nfields; i++) {
		if (i > from)
			fputc(',', f);
		json_value(f, c, t->fields[i].type,
			   (const char *)p + t->fields[i].offset);
	}
	fputc(']', f);
}

/* ---- events ---- */

void out_json_event(FILE *f, struct fmt_ctx *c, const struct evsite *site,
		    const void *rec)
{
	const struct type *t = site->rec;
	struct strbuf text;

	fprintf(f, "{\"type\":\"%s\",\"site\":%d",
		site->kind == EV_PRINTF ? "printf" : "print", site->id);
	if (site->kind == EV_PRINTF) {
		fmt_printf(strbuf_open(&text), c, site->fmt, t->fields + 1,
			   t->nfields ? t->nfields - 1 : 0, rec);
		strbuf_close(&text);
		fputs(",\"text\":", f);
		json_str(f, text.s, text.len);
		free(text.s);
	}
	fputs(",\"args\":", f);
	json_tuple(f, c, t, 1, rec);
	fputs("}\n", f);
}

static void json_event(struct out *o, const struct evsite *site,
		       const void *rec, size_t size)
{
	out_json_event(o->f, &o->fmt, site, rec);
}

/* ---- maps ---- */

/* A value of map m, printed from its aggregation's shape. */
static void json_map_value(FILE *f, struct fmt_ctx *c, const struct mapsym *m,
			   const void *v)
{
	const struct agg_def *d = agg_of(m);
	const struct type *t;
	uint64_t x, count;
	int64_t total, avg;

	switch (d ? d->shape : AGG_SHAPE_NUMBER) {
	case AGG_SHAPE_NUMBER:
		if (!d) {
			json_value(f, c, m->vtype, v);
			return;
		}
		t = agg_number(m, v, &x);
		json_value(f, c, t, &x);
		return;
	case AGG_SHAPE_STATS:
		agg_stats_read(m, v, &count, &total, &avg, &t);
		fprintf(f, "{\"count\":%" PRIu64 ",\"avg\":", count);
		json_value(f, c, t, &avg);
		fputs(",\"total\":", f);
		json_value(f, c, t, &total);
		fputc('}', f);
		return;
	case AGG_SHAPE_HIST:
		json_hist(f, m->vtype, v);
		return;
	case AGG_SHAPE_LHIST:
		json_lhist(f, m, v);
		return;
	}
	unreachable();
}

static const char *agg_name(const struct mapsym *m)
{
	const struct agg_def *d = agg_of(m);

	return d ? d->fn : "map";
}

void out_json_map(FILE *f, struct fmt_ctx *c, const struct mapsym *m,
		  const void *keys, const void *vals, size_t n)
{
	size_t i;

	fputs("{\"type\":\"map\",\"name\":", f);
	json_str(f, m->name, strlen(m->name));
	fprintf(f, ",\"kind\":\"%s\"", agg_name(m));
	if (!m->ktype) {
		fputs(",\"value\":", f);
		if (n)
			json_map_value(f, c, m, vals);
		else
			fputs("null", f);
		fputs("}\n", f);
		return;
	}
	fputs(",\"entries\":[", f);
	for (i = 0; i < n; i++) {
		fputs(i ? ",{\"key\":" : "{\"key\":", f);
		json_tuple(f, c, m->ktype, 0,
			   (const char *)keys + i * m->ktype->size);
		fputs(",\"value\":", f);
		json_map_value(f, c, m, (const char *)vals +
			       i * m->vtype->size);
		fputc('}', f);
	}
	fputs("]}\n", f);
}

static void json_map(struct out *o, const struct mapsym *m, const void *keys,
		     const void *vals, size_t n)
{
	out_json_map(o->f, &o->fmt, m, keys, vals, n);
}

/* ---- reports, messages, exit ---- */

static void json_report(struct out *o, const struct out_report *r)
{
	FILE *f = o->f;

	if (o->werr)
		return;
	switch (r->kind) {
	case OUT_LOST:
		fprintf(f, "{\"type\":\"lost\",\"count\":%" PRIu64 "}\n",
			r->count);
		return;
	case OUT_STOP_LOST:
		fputs("{\"type\":\"stopping\",\"reason\":\"events lost\"}\n", f);
		return;
	case OUT_MAP_FULL:
		fputs("{\"type\":\"map_full\",\"map\":", f);
		json_str(f, r->map->name, strlen(r->map->name));
		fprintf(f, ",\"dropped\":%" PRIu64 ",\"max_entries\":%" PRIu32
			"}\n", r->count, r->max_entries);
		return;
	case OUT_SCOPE_FULL:
		fprintf(f, "{\"type\":\"scope_full\",\"not_traced\":%" PRIu64
			",\"max_entries\":%" PRIu32 "}\n", r->count,
			r->max_entries);
		return;
	case OUT_MISSED:
	case OUT_SKIPPED:
		fprintf(f, "{\"type\":\"%s\",\"probe\":", r->kind == OUT_MISSED ?
			"missed" : "skipped");
		json_str(f, r->probe, strlen(r->probe));
		fprintf(f, ",\"count\":%" PRIu64 "}\n", r->count);
		return;
	case OUT_READ_FAILED: {
		const char *file = r->loc.src ? r->loc.src->name : "<input>";

		fprintf(f, "{\"type\":\"read_failed\",\"fn\":\"%s\",\"file\":",
			r->fn);
		json_str(f, file, strlen(file));
		fprintf(f, ",\"line\":%d,\"col\":%d,\"count\":%" PRIu64 "}\n",
			r->loc.line, r->loc.col, r->count);
		return;
	}
	case OUT_MALFORMED:
		fprintf(f, "{\"type\":\"malformed\",\"count\":%" PRIu64 "}\n",
			r->count);
		return;
	case OUT_BAD_EVENT:
		fprintf(f, "{\"type\":\"bad_event\",\"site\":%" PRIu64 ","
			"\"size\":%zu,\"known\":%s}\n", r->site, r->size,
			r->known ? "true" : "false");
		return;
	case OUT_BAD_MAP:
		fprintf(f, "{\"type\":\"bad_map\",\"site\":%" PRIu64 ",\"map\":"
			"%d}\n", r->site, r->map_index);
		return;
	}
	unreachable();
}

static void json_message(struct out *o, const char *text)
{
	if (o->werr)
		return;
	fputs("{\"type\":\"message\",\"text\":", o->f);
	json_str(o->f, text, strlen(text));
	fputs("}\n", o->f);
}

static void json_exit(struct out *o, int64_t code)
{
	fprintf(o->f, "{\"type\":\"exit\",\"code\":%" PRId64 "}\n", code);
}

static void json_end(struct out *o)
{
}

const struct out_ops out_json = {
	.name = "json",
	.event = json_event,
	.map = json_map,
	.report = json_report,
	.message = json_message,
	.exit = json_exit,
	.end = json_end,
};
