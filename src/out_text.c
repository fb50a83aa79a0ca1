/* out_text: the text writer. Events one per line (printf as formatted,
 * print as comma-separated default formats), maps as aligned rows of
 * "{ key, key }: value" (histograms as bars under their key), reports and
 * messages on the error stream as "ply: ..." lines (out_err: the front
 * end's name). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "out.h"
#include "printf.h"

/* ---- events ---- */

void out_text_event(FILE *f, struct fmt_ctx *c, const struct evsite *site,
		    const void *rec)
{
	const struct type *t = site->rec;
	size_t i;

	if (site->kind == EV_PRINTF) {
		fmt_printf(f, c, site->fmt, t->fields + 1,
			   t->nfields ? t->nfields - 1 : 0, rec);
		return;
	}
	for (i = 1; i < t->nfields; i++) {
		if (i > 1)
			fputs(", ", f);
		value_print(f, c, t->fields[i].type,
			    (const char *)rec + t->fields[i].offset);
	}
	fputc('\n', f);
}

static void text_event(struct out *o, const struct evsite *site,
		       const void *rec, size_t size)
{
	out_text_event(o->f, &o->fmt, site, rec);
}

/* ---- maps ---- */

/* The widest printed value of each key column. A stack is many lines and
 * is not padded; its width stays 0. */
static size_t *map_widths(struct fmt_ctx *c, const struct type *kt,
			  const char *keys, size_t n)
{
	size_t *w = xmalloc(kt->nfields * sizeof(*w)), i, j, len;
	char *s;

	for (j = 0; j < kt->nfields; j++) {
		w[j] = 0;
		if (kt->fields[j].type->fmt == TF_STACK)
			continue;
		for (i = 0; i < n; i++) {
			s = value_str(c, kt->fields[j].type,
				      keys + i * kt->size + kt->fields[j].offset);
			len = strlen(s);
			w[j] = len > w[j] ? len : w[j];
			free(s);
		}
	}
	return w;
}

/* Numbers are right-aligned so their digits line up; text (and symbols,
 * and times of day) left. */
static void map_cell_print(FILE *out, struct fmt_ctx *c,
			   const struct type *t, const void *p, size_t width)
{
	char *s = value_str(c, t, p);
	int number = t->kind == T_INT && t->fmt != TF_SYM &&
		t->fmt != TF_WALLTIME;

	fprintf(out, number ? "%*s" : "%-*s", (int)width, s);
	free(s);
}

static void map_key_print(FILE *out, struct fmt_ctx *c, const struct type *kt,
			  const size_t *widths, const char *k)
{
	size_t j;

	fputs("{ ", out);
	for (j = 0; j < kt->nfields; j++) {
		if (j)
			fputs(", ", out);
		map_cell_print(out, c, kt->fields[j].type,
			       k + kt->fields[j].offset, widths[j]);
	}
	fputs(" }", out);
}

/* An aggregation's value, printed from its shape (agg.h); a plain map's
 * by its type. */
static void agg_print(FILE *out, struct fmt_ctx *c, const struct mapsym *m,
		      const char *v)
{
	const struct agg_def *d = agg_of(m);
	const struct type *t;
	uint64_t x, count;
	int64_t total, avg;

	switch (d ? d->shape : AGG_SHAPE_NUMBER) {
	case AGG_SHAPE_NUMBER:
		if (!d) {
			value_print(out, c, m->vtype, v);
			return;
		}
		t = agg_number(m, v, &x);
		value_print(out, c, t, &x);
		return;
	case AGG_SHAPE_STATS:
		agg_stats_read(m, v, &count, &total, &avg, &t);
		fprintf(out, "count %" PRIu64 ", avg ", count);
		value_print(out, c, t, &avg);
		fputs(", total ", out);
		value_print(out, c, t, &total);
		return;
	case AGG_SHAPE_HIST:
		hist_print(out, m->vtype, v);
		return;
	case AGG_SHAPE_LHIST:
		lhist_print(out, m, v);
		return;
	}
	unreachable();
}

static int is_hist(const struct mapsym *m)
{
	return agg_shape(m) == AGG_SHAPE_HIST || agg_shape(m) == AGG_SHAPE_LHIST;
}

/* One key's entry, "key: value". A histogram starts on its own line, so
 * its key line ends at the colon; a blank line after each keeps
 * neighbours apart. */
static void map_entry_print(FILE *out, struct fmt_ctx *c,
			    const struct mapsym *m, const size_t *widths,
			    const char *k, const char *v, int hist)
{
	map_key_print(out, c, m->ktype, widths, k);
	fputs(hist ? ":" : ": ", out);
	agg_print(out, c, m, v);
	fputs(hist ? "\n\n" : "\n", out);
}

void out_text_map(FILE *out, struct fmt_ctx *c, const struct mapsym *m,
		  const void *keys, const void *vals, size_t n)
{
	int hist = is_hist(m);
	size_t *widths, i;

	if (!m->ktype) {
		fprintf(out, "%s:", m->name);
		if (n && !hist)
			fputc(' ', out);
		if (n)
			agg_print(out, c, m, vals);
		fputs("\n\n", out);
		return;
	}
	widths = map_widths(c, m->ktype, keys, n);
	fprintf(out, "%s:\n", m->name);
	for (i = 0; i < n; i++)
		map_entry_print(out, c, m, widths,
				(const char *)keys + i * m->ktype->size,
				(const char *)vals + i * m->vtype->size, hist);
	if (!hist || !n)
		fputc('\n', out);
	free(widths);
}

static void text_map(struct out *o, const struct mapsym *m,
		     const void *keys, const void *vals, size_t n)
{
	out_text_map(o->f, &o->fmt, m, keys, vals, n);
}

/* ---- the error stream ---- */

static void text_report(struct out *o, const struct out_report *r)
{
	switch (r->kind) {
	case OUT_LOST:
		out_err(o, "%" PRIu64 " events lost (ring buffer full)\n",
			r->count);
		return;
	case OUT_STOP_LOST:
		out_err(o, "stopping, since events were lost (-k keeps "
			"going)\n");
		return;
	case OUT_MAP_FULL:
		out_err(o, "map %s is full: %" PRIu64 " updates dropped "
			"(max_entries %" PRIu32 ")\n", r->map->name, r->count,
			r->max_entries);
		return;
	case OUT_SCOPE_FULL:
		out_err(o, "the scope is full: %" PRIu64 " processes "
			"not traced (max_entries %" PRIu32 ", see -M)\n",
			r->count, r->max_entries);
		return;
	case OUT_MISSED:
		out_err(o, "probe '%s': %" PRIu64 " runs missed (the "
			"kernel skips a probe that fires while another BPF "
			"program runs on the same CPU)\n", r->probe, r->count);
		return;
	case OUT_SKIPPED:
		out_err(o, "probe '%s': %" PRIu64 " ticks skipped (its "
			"period is shorter than a run)\n", r->probe, r->count);
		return;
	case OUT_READ_FAILED:
		out_err(o, "%s:%d:%d: %s(): %" PRIu64 " read%s failed "
			"(the address could not be read; %s)\n",
			r->loc.src ? r->loc.src->name : "<input>", r->loc.line,
			r->loc.col, r->fn, r->count, r->count == 1 ? "" : "s",
			strcmp(r->fn, "mem") ? "printed as an empty string" :
			"printed as zeros");
		return;
	case OUT_MALFORMED:
		out_err(o, "%" PRIu64 " malformed events ignored\n",
			r->count);
		return;
	case OUT_BAD_EVENT:
		out_err(o, r->known ?
			"warning: event of site %" PRIu64 " is too short "
			"(%zu bytes), ignored\n" :
			"warning: event with unknown site id %" PRIu64 " "
			"(%zu bytes) ignored\n", r->site, r->size);
		return;
	case OUT_BAD_MAP:
		out_err(o, "warning: event of site %" PRIu64 " names map "
			"%d, which does not exist\n", r->site, r->map_index);
		return;
	}
	unreachable();
}

static void text_message(struct out *o, const char *text)
{
	out_err(o, "%s\n", text);
}

/* exit() shows in ply's exit status, not in its output. */
static void text_exit(struct out *o, int64_t code)
{
}

static void text_end(struct out *o)
{
}

const struct out_ops out_text = {
	.name = "text",
	.event = text_event,
	.map = text_map,
	.report = text_report,
	.message = text_message,
	.exit = text_exit,
	.end = text_end,
};
