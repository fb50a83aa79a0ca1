/* value: reading values as the kernel wrote them (host byte order, each
 * integer of its own size, not necessarily aligned) and their default text:
 * numbers, durations, times of day, kernel symbols and stacks, escaped
 * strings, arrays, structs, and quantize() histograms, as data and as
 * bars. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "json.h"
#include "ksym.h"
#include "value.h"

#define NSEC_PER_SEC 1000000000LL

/* ---- the context ---- */

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

void fmt_ctx__init(struct fmt_ctx *c)
{
	struct timespec boot, wall;

	memset(c, 0, sizeof(*c));
	clock_gettime(CLOCK_MONOTONIC, &boot);
	clock_gettime(CLOCK_REALTIME, &wall);
	c->boot_to_wall_ns = ts_ns(&wall) - ts_ns(&boot);
}

void fmt_ctx__free(struct fmt_ctx *c)
{
	if (!c)
		return;
	ksyms__free(c->ksyms);
	c->ksyms = NULL;
	c->ksyms_tried = 0;
}

const struct ksyms *fmt_ctx_ksyms(struct fmt_ctx *c)
{
	if (!c)
		return NULL;
	if (!c->ksyms_tried) {
		c->ksyms_tried = 1;
		c->ksyms = ksyms__load();
	}
	return c->ksyms;
}

/* ---- integers ---- */

/* The bits of the integer at p, zero-extended. memcpy because values in
 * event records and tracepoint data need not be aligned. */
uint64_t value_bits(const struct type *t, const void *p)
{
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	switch (t->size) {
	case 1: memcpy(&v8, p, 1); return v8;
	case 2: memcpy(&v16, p, 2); return v16;
	case 4: memcpy(&v32, p, 4); return v32;
	case 8: memcpy(&v64, p, 8); return v64;
	}
	unreachable();
}

/* The value at p widened to 64 bits: sign-extended when t is signed, so
 * (int64_t) of the result is the value. */
uint64_t value_int(const struct type *t, const void *p)
{
	uint64_t v = value_bits(t, p);
	unsigned bits = 8 * t->size;

	if (t->is_signed && bits < 64 && (v >> (bits - 1)) & 1)
		v |= ~0ULL << bits;
	return v;
}

static int int_is_negative(const struct type *t, uint64_t v)
{
	return t->is_signed && (int64_t)v < 0;
}

/* Durations (TF_TIME): below a microsecond, whole nanoseconds ("830ns");
 * above, three decimals in the largest of us, ms and s that keeps the
 * integer part at least 1 ("1.234s", "12.500ms", "830.000us"). Decimals
 * are truncated, not rounded, so 999999ns is "999.999us" and never
 * "1000.000us". Seconds is the largest unit: an hour is "3600.000s". */
static void time_print(FILE *out, int neg, uint64_t ns)
{
	static const struct {
		uint64_t div;
		const char *unit;
	} units[] = {
		{ 1000000000, "s" }, { 1000000, "ms" }, { 1000, "us" },
	};
	const char *sign = neg ? "-" : "";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(units); i++) {
		uint64_t div = units[i].div;

		if (ns >= div) {
			fprintf(out, "%s%" PRIu64 ".%03" PRIu64 "%s", sign,
				ns / div, ns % div / (div / 1000), units[i].unit);
			return;
		}
	}
	fprintf(out, "%s%" PRIu64 "ns", sign, ns);
}

/* Timestamps (TF_WALLTIME): local time of day with nanoseconds,
 * "HH:MM:SS.nnnnnnnnn". The date is left out: a trace rarely spans
 * midnight and the line stays short. */
static void walltime_print(FILE *out, const struct fmt_ctx *c,
			   int64_t boot_ns)
{
	int64_t ns = (int64_t)((uint64_t)boot_ns + (uint64_t)(c ? c->boot_to_wall_ns : 0));
	time_t sec = ns / NSEC_PER_SEC;
	long frac = ns % NSEC_PER_SEC;
	struct tm tm;

	if (frac < 0) {
		frac += NSEC_PER_SEC;
		sec--;
	}
	if (!localtime_r(&sec, &tm)) {
		fprintf(out, "%" PRId64 "ns", ns);
		return;
	}
	fprintf(out, "%02d:%02d:%02d.%09ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
		frac);
}

/* ---- kernel symbols and stacks ---- */

/* "schedule+0x10", "schedule" at offset 0, or the hex address. */
static void sym_print(FILE *out, struct fmt_ctx *c, uint64_t addr)
{
	const struct ksyms *k = fmt_ctx_ksyms(c);
	const char *name = NULL;
	uint64_t off = 0;

	if (k)
		name = ksyms__find(k, addr, &off);
	if (!name) {
		fprintf(out, "0x%" PRIx64, addr);
		return;
	}
	fputs(name, out);
	if (off)
		fprintf(out, "+0x%" PRIx64, off);
}

/* The kernel's default limit on frames (kernel.perf_event_max_stack). */
#define STACK_MAX_FRAMES 127

/* bpf_get_stackid's negative errno, in words. */
static const char *stack_error(int64_t id)
{
	if (id == -EEXIST)
		return "another stack has the same hash";
	if (id < -4095)
		return "invalid stack id";
	return strerror((int)-id);
}

/* Each frame on its own indented line, so the value starts with a
 * newline: after "print(stack)" or "{ " the frames line up alike. */
static void stack_print(FILE *out, struct fmt_ctx *c, int64_t id)
{
	uint64_t ips[STACK_MAX_FRAMES];
	int n = -ENOSYS, i;

	if (id < 0) {
		fprintf(out, "<no stack: %s>", stack_error(id));
		return;
	}
	if (c && c->stack_resolve)
		n = c->stack_resolve(c->stack_ctx, id, ips, ARRAY_SIZE(ips));
	if (n <= 0) {
		fprintf(out, "stack#%" PRId64, id);
		return;
	}
	if (n > (int)ARRAY_SIZE(ips))
		n = ARRAY_SIZE(ips);
	/* a stack shorter than the map's slots ends at a zero */
	for (i = 0; i < n && ips[i]; i++) {
		fputs("\n\t", out);
		sym_print(out, c, ips[i]);
	}
}

static void int_print(FILE *out, struct fmt_ctx *c, const struct type *t,
		      const void *p)
{
	uint64_t v = value_int(t, p);

	switch (t->fmt) {
	case TF_HEX:
		fprintf(out, "0x%" PRIx64, value_bits(t, p));
		return;
	case TF_TIME:
		time_print(out, int_is_negative(t, v),
			   int_is_negative(t, v) ? -v : v);
		return;
	case TF_WALLTIME:
		walltime_print(out, c, (int64_t)v);
		return;
	case TF_SYM:
		sym_print(out, c, value_bits(t, p));
		return;
	case TF_STACK:
		stack_print(out, c, (int64_t)v);
		return;
	case TF_NONE:
		break;
	}
	if (t->is_signed)
		fprintf(out, "%" PRId64, (int64_t)v);
	else
		fprintf(out, "%" PRIu64, v);
}

static int int_cmp(const struct type *t, const void *a, const void *b)
{
	uint64_t x = value_int(t, a), y = value_int(t, b);

	if (t->is_signed)
		return ((int64_t)x > (int64_t)y) - ((int64_t)x < (int64_t)y);
	return (x > y) - (x < y);
}

/* ---- strings, arrays, structs ---- */

static int is_byte_array(const struct type *t)
{
	return t->kind == T_ARRAY && t->elem && t->elem->kind == T_INT &&
		t->elem->size == 1;
}

int type_is_string(const struct type *t)
{
	return t->kind == T_STR || is_byte_array(t);
}

/* The bytes at s that print as themselves: printable ASCII, or a UTF-8
 * sequence that is valid and not a C1 control (U+0080..U+009F, terminal
 * commands too); 0 when s[0] must be escaped. */
static size_t plain_len(const unsigned char *s, size_t n)
{
	if (s[0] >= 0x20 && s[0] < 0x7f)
		return 1;
	if (s[0] == 0xc2 && n > 1 && s[1] < 0xa0)
		return 0;
	return s[0] >= 0x80 ? utf8_seq(s, n) : 0;
}

int str_is_plain(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i, n;

	for (i = 0; i < len && s[i]; i += n)
		if (s[i] == '\\' || !(n = plain_len(s + i, len - i)))
			return 0;
	return 1;
}

void str_escape(FILE *f, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i, n;

	for (i = 0; i < len && s[i]; i += n ? n : 1) {
		n = 1;
		if (s[i] == '\\')
			fputs("\\\\", f);
		else if (s[i] == '\n')
			fputs("\\n", f);
		else if (s[i] == '\t')
			fputs("\\t", f);
		else if (s[i] == '\r')
			fputs("\\r", f);
		else if ((n = plain_len(s + i, len - i)))
			fwrite(s + i, 1, n, f);
		else
			fprintf(f, "\\x%02x", s[i]);
	}
}

/* Byte arrays (addresses, hashes) as "01:02:ab"; others as "[a, b]". */
static void array_print(FILE *out, struct fmt_ctx *c, const struct type *t,
			const void *p)
{
	const unsigned char *b = p;
	int bytes = is_byte_array(t);
	size_t i;

	if (!bytes)
		fputc('[', out);
	for (i = 0; i < t->len; i++) {
		if (i)
			fputs(bytes ? ":" : ", ", out);
		if (bytes)
			fprintf(out, "%02x", b[i]);
		else
			value_print(out, c, t->elem, b + i * t->elem->size);
	}
	if (!bytes)
		fputc(']', out);
}

/* A kernel struct's bitfield: its bits of the bytes from its offset. */
static void bitfield_print(FILE *out, const struct type *st,
			   const struct field *f, const void *p)
{
	uint64_t raw = 0;
	size_t n = st->size - f->offset < 8 ? st->size - f->offset : 8;
	unsigned lo = 64 - f->bit_off - f->bit_size, hi = 64 - f->bit_size;

	if (f->bit_off + f->bit_size > 64) {
		fputs("?", out);	/* wider than ply reads */
		return;
	}
	memcpy(&raw, (const char *)p + f->offset, n);
	if (f->type->is_signed)
		fprintf(out, "%" PRId64, (int64_t)(raw << lo) >> hi);
	else
		fprintf(out, "%" PRIu64, (raw << lo) >> hi);
}

static void struct_print(FILE *out, struct fmt_ctx *c, const struct type *t,
			 const void *p)
{
	size_t i;

	fputs("{ ", out);
	for (i = 0; i < t->nfields; i++) {
		const struct field *f = &t->fields[i];

		if (i)
			fputs(", ", out);
		if (f->bit_size)
			bitfield_print(out, t, f, p);
		else
			value_print(out, c, f->type, (const char *)p + f->offset);
	}
	fputs(t->nfields ? " }" : "}", out);
}

static int struct_cmp(const struct type *t, const void *a, const void *b)
{
	size_t i;
	int c;

	for (i = 0; i < t->nfields; i++) {
		const struct field *f = &t->fields[i];

		c = value_cmp(f->type, (const char *)a + f->offset,
			      (const char *)b + f->offset);
		if (c)
			return c;
	}
	return 0;
}

void value_print(FILE *out, struct fmt_ctx *c, const struct type *t,
		 const void *p)
{
	switch (t->kind) {
	case T_VOID:
		return;
	case T_INT:
		int_print(out, c, t, p);
		return;
	case T_PTR:
		if (t->fmt == TF_SYM)
			sym_print(out, c, value_bits(t, p));
		else
			fprintf(out, "0x%" PRIx64, value_bits(t, p));
		return;
	case T_STR:
		str_escape(out, p, t->len);
		return;
	case T_ARRAY:
		if (type_is_hist(t))
			hist_print(out, t, p);
		else
			array_print(out, c, t, p);
		return;
	case T_STRUCT:
		struct_print(out, c, t, p);
		return;
	}
	unreachable();
}

int value_cmp(const struct type *t, const void *a, const void *b)
{
	switch (t->kind) {
	case T_VOID:
		return 0;
	case T_INT:
	case T_PTR:
		return int_cmp(t, a, b);
	case T_STR:
		return strncmp(a, b, t->len);
	case T_STRUCT:
		return struct_cmp(t, a, b);
	case T_ARRAY:
		return memcmp(a, b, t->size);
	}
	unreachable();
}

/* ---- histograms ---- */

#define HIST_COLS 32		/* bar width, in terminal cells */

int type_is_hist(const struct type *t)
{
	return t->kind == T_ARRAY && t->len == QUANTIZE_BUCKETS && t->elem &&
		t->elem->kind == T_INT && t->elem->size == 8 &&
		!t->elem->is_signed;
}

int hist_is_time(const struct type *t)
{
	return t->fmt == TF_TIME || t->elem->fmt == TF_TIME;
}

/* 2^e ns in the largest decimal unit it reaches, to three digits: the
 * bound the bucket really has ("1.02us" is 1024ns), never a round number
 * that it is not. */
static int time_bound(char *buf, size_t size, double ns)
{
	static const struct {
		double ns;
		const char *unit;
	} units[] = { { 1e9, "s" }, { 1e6, "ms" }, { 1e3, "us" } };
	size_t i;
	double v;

	for (i = 0; i < ARRAY_SIZE(units); i++) {
		if (ns < units[i].ns)
			continue;
		v = ns / units[i].ns;
		return snprintf(buf, size, v < 10 ? "%.2f%s" : v < 100 ?
				"%.1f%s" : "%.0f%s", v, units[i].unit);
	}
	return snprintf(buf, size, "%.0fns", ns);
}

/* 2^e as a short label: "512", "1K", "16E" (powers of 1024, so a bound is
 * always a whole number); in a time histogram see time_bound. */
static int hist_bound(char *buf, size_t size, unsigned e, int is_time)
{
	static const char *const sfx[] = { "", "K", "M", "G", "T", "P", "E" };
	unsigned u = e / 10;

	if (is_time)	/* e goes up to 64: a double holds 2^64 exactly */
		return time_bound(buf, size, e ?
				  (double)((uint64_t)1 << (e - 1)) * 2 : 1);
	return snprintf(buf, size, "%" PRIu64 "%s", (uint64_t)1 << (e - 10 * u),
			sfx[u]);
}

/* Bucket i's range, "[   4,    8)", or "< 0" and "0" right-aligned in
 * the same width. w is the width of each bound. */
static void hist_range(FILE *out, size_t i, int w, int is_time)
{
	char lo[24], hi[24];

	if (i < 2) {
		fprintf(out, "%*s", 2 * w + 4, i ? "0" : "< 0");
		return;
	}
	hist_bound(lo, sizeof(lo), i - 2, is_time);
	hist_bound(hi, sizeof(hi), i - 1, is_time);
	fprintf(out, "[%*s, %*s)", w, lo, w, hi);
}

/* count as a bar of HIST_COLS cells where max fills them all, in eighths
 * of a cell; any count above zero shows at least one eighth. */
static void hist_bar(FILE *out, uint64_t count, uint64_t max)
{
	static const char *const part[] = {
		"", "▏", "▎", "▍", "▌", "▋", "▊", "▉",
	};
	const uint64_t full = 8 * HIST_COLS;
	uint64_t e;
	unsigned i, cells;

	if (max > UINT64_MAX / full)
		e = count / (max / full);
	else
		e = count * full / max;
	if (e > full)
		e = full;
	if (!e && count)
		e = 1;
	for (i = 0; i < e / 8; i++)
		fputs("█", out);
	fputs(part[e % 8], out);
	cells = e / 8 + (e % 8 != 0);
	fprintf(out, "%*s", (int)(HIST_COLS - cells), "");
}

/* The widest bound label from bucket first to last. */
static int hist_bound_width(size_t first, size_t last, int is_time)
{
	char buf[24];
	int w = 4, n;
	size_t i;

	/* bucket i >= 2 is [2^(i-2), 2^(i-1)) */
	for (i = first < 2 ? 2 : first; i <= last; i++) {
		n = hist_bound(buf, sizeof(buf), i - 2, is_time);
		w = n > w ? n : w;
		n = hist_bound(buf, sizeof(buf), i - 1, is_time);
		w = n > w ? n : w;
	}
	return w;
}

void hist_read(struct hist *h, const struct type *t, const void *buckets)
{
	uint64_t b[QUANTIZE_BUCKETS];
	size_t i;

	memcpy(b, buckets, sizeof(b));
	memset(h, 0, sizeof(*h));
	h->is_time = hist_is_time(t);
	h->first = QUANTIZE_BUCKETS;
	for (i = 0; i < QUANTIZE_BUCKETS; i++) {
		struct hist_bucket *hb = &h->b[i];

		hb->count = b[i];
		hb->neg = i == 0;
		/* bucket i >= 2 is [2^(i-2), 2^(i-1)) */
		hb->lo = i < 2 ? 0 : (uint64_t)1 << (i - 2);
		hb->hi = i < 2 ? 0 : hb->lo + (hb->lo - 1);
		if (!b[i])
			continue;
		h->first = i < h->first ? i : h->first;
		h->last = i;
		h->max = b[i] > h->max ? b[i] : h->max;
	}
}

void hist_print(FILE *out, const struct type *t, const void *buckets)
{
	struct hist h;
	size_t i;
	int w, cw;

	hist_read(&h, t, buckets);
	if (!h.max)
		return;
	w = hist_bound_width(h.first, h.last, h.is_time);
	cw = snprintf(NULL, 0, "%" PRIu64, h.max);
	cw = cw > 9 ? cw : 9;
	for (i = h.first; i <= h.last; i++) {
		fputs("\n\t", out);
		hist_range(out, i, w, h.is_time);
		fprintf(out, " %*" PRIu64 " ┤", cw, h.b[i].count);
		hist_bar(out, h.b[i].count, h.max);
		fputs("│", out);
	}
}

char *value_str(struct fmt_ctx *c, const struct type *t, const void *p)
{
	struct strbuf b;

	value_print(strbuf_open(&b), c, t, p);
	return strbuf_close(&b);
}

/* ---- linear histograms ---- */

/* A bound of lhist bucket: a number, or a duration when durations were
 * counted. */
static void lbound(char *buf, size_t size, int64_t v, int is_time)
{
	struct type t = type_s64;
	char *s;

	if (!is_time) {
		snprintf(buf, size, "%" PRId64, v);
		return;
	}
	t.fmt = TF_TIME;
	s = value_str(NULL, &t, &v);
	snprintf(buf, size, "%s", s);
	free(s);
}

void lhist_print(FILE *out, const struct mapsym *m, const void *buckets)
{
	const struct type *t = m->vtype;
	size_t n = t->len, i, first = n, last = 0;
	int is_time = hist_is_time(t);
	int w = 1, cw, below, above;
	uint64_t c, max = 0;
	char lo[32], hi[32], open[40];
	int64_t l, h;

	for (i = 0; i < n; i++) {
		memcpy(&c, (const char *)buckets + 8 * i, sizeof(c));
		if (!c)
			continue;
		first = i < first ? i : first;
		last = i;
		max = c > max ? c : max;
	}
	if (!max)
		return;
	for (i = first; i <= last; i++) {
		agg_lhist_bounds(m, i, &below, &above, &l, &h);
		lbound(lo, sizeof(lo), l, is_time);
		lbound(hi, sizeof(hi), h, is_time);
		w = (int)strlen(lo) > w ? (int)strlen(lo) : w;
		w = (int)strlen(hi) > w ? (int)strlen(hi) : w;
	}
	cw = snprintf(NULL, 0, "%" PRIu64, max);
	cw = cw > 9 ? cw : 9;
	for (i = first; i <= last; i++) {
		memcpy(&c, (const char *)buckets + 8 * i, sizeof(c));
		agg_lhist_bounds(m, i, &below, &above, &l, &h);
		lbound(lo, sizeof(lo), l, is_time);
		lbound(hi, sizeof(hi), h, is_time);
		fputs("\n\t", out);
		if (below || above) {
			snprintf(open, sizeof(open), "%s %s", below ? "<" : ">=",
				 below ? hi : lo);
			fprintf(out, "%*s", 2 * w + 4, open);
		} else
			fprintf(out, "[%*s, %*s)", w, lo, w, hi);
		fprintf(out, " %*" PRIu64 " ┤", cw, c);
		hist_bar(out, c, max);
		fputs("│", out);
	}
}
