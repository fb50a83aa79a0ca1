/* fmt: turning raw values into text. The default output format of each
 * type (value_print), kernel addresses and stacks as symbols, quantize()
 * histograms (hist_print), printf with libc's own conversions after a
 * check at compile time (fmt_check, fmt_printf), and the printing of whole
 * maps (map_print). Everything here reads values as the kernel wrote them:
 * host byte order, each integer of its own size. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt.h"
#include "ksym.h"

int64_t fmt_boot_to_wall_ns;
int (*fmt_stack_resolve)(void *ctx, int64_t id, uint64_t *ips, size_t max);
void *fmt_stack_ctx;

#define NSEC_PER_SEC 1000000000LL

/* Widths and precisions above this are certainly typos; refusing them
 * keeps every rebuilt conversion spec in a small fixed buffer. */
#define CONV_MAX_NUM 4096

static void *fmt_alloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p) {
		fputs("ply: out of memory\n", stderr);
		abort();
	}
	return p;
}

/* ---- integers ---- */

/* The bits of the integer at p, zero-extended. memcpy because values in
 * event records and tracepoint data need not be aligned. */
static uint64_t int_bits(const struct type *t, const void *p)
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
static uint64_t int_value(const struct type *t, const void *p)
{
	uint64_t v = int_bits(t, p);
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
static void walltime_print(FILE *out, int64_t boot_ns)
{
	int64_t ns = (int64_t)((uint64_t)boot_ns + (uint64_t)fmt_boot_to_wall_ns);
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

/* Loaded on the first address printed and kept to the end: the static
 * pointer keeps it reachable, which leak checkers do not report. A
 * failed load (not root) is not retried for every value. */
static struct ksyms *fmt_ksyms;
static int fmt_ksyms_tried;

static const struct ksyms *fmt_ksyms_get(void)
{
	if (!fmt_ksyms_tried) {
		fmt_ksyms_tried = 1;
		fmt_ksyms = ksyms__load();
	}
	return fmt_ksyms;
}

/* "schedule+0x10", "schedule" at offset 0, or the hex address. */
static void sym_print(FILE *out, uint64_t addr)
{
	const struct ksyms *k = fmt_ksyms_get();
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
static void stack_print(FILE *out, int64_t id)
{
	uint64_t ips[STACK_MAX_FRAMES];
	int n = -ENOSYS, i;

	if (id < 0) {
		fprintf(out, "<no stack: %s>", stack_error(id));
		return;
	}
	if (fmt_stack_resolve)
		n = fmt_stack_resolve(fmt_stack_ctx, id, ips, ARRAY_SIZE(ips));
	if (n <= 0) {
		fprintf(out, "stack#%" PRId64, id);
		return;
	}
	if (n > (int)ARRAY_SIZE(ips))
		n = ARRAY_SIZE(ips);
	/* a stack shorter than the map's slots ends at a zero */
	for (i = 0; i < n && ips[i]; i++) {
		fputs("\n\t", out);
		sym_print(out, ips[i]);
	}
}

static void int_print(FILE *out, const struct type *t, const void *p)
{
	uint64_t v = int_value(t, p);

	switch (t->fmt) {
	case TF_HEX:
		fprintf(out, "0x%" PRIx64, int_bits(t, p));
		return;
	case TF_TIME:
		time_print(out, int_is_negative(t, v),
			   int_is_negative(t, v) ? -v : v);
		return;
	case TF_WALLTIME:
		walltime_print(out, (int64_t)v);
		return;
	case TF_SYM:
		sym_print(out, int_bits(t, p));
		return;
	case TF_STACK:
		stack_print(out, (int64_t)v);
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
	uint64_t x = int_value(t, a), y = int_value(t, b);

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

/* What %s accepts: a string, or a byte array such as mem()'s result. */
static int is_string(const struct type *t)
{
	return t->kind == T_STR || is_byte_array(t);
}

/* Up to the first NUL, escaping what a terminal would not show as-is so
 * a binary comm or path cannot garble the output. */
static void str_print(FILE *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && s[i]; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f)
			fputc(c, out);
		else
			fprintf(out, "\\x%02x", c);
	}
}

/* Byte arrays (addresses, hashes) as "01:02:ab"; others as "[a, b]". */
static void array_print(FILE *out, const struct type *t, const void *p)
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
			value_print(out, t->elem, b + i * t->elem->size);
	}
	if (!bytes)
		fputc(']', out);
}

static void struct_print(FILE *out, const struct type *t, const void *p)
{
	size_t i;

	fputs("{ ", out);
	for (i = 0; i < t->nfields; i++) {
		if (i)
			fputs(", ", out);
		value_print(out, t->fields[i].type,
			    (const char *)p + t->fields[i].offset);
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

void value_print(FILE *out, const struct type *t, const void *p)
{
	switch (t->kind) {
	case T_VOID:
		return;
	case T_INT:
		int_print(out, t, p);
		return;
	case T_PTR:
		if (t->fmt == TF_SYM)
			sym_print(out, int_bits(t, p));
		else
			fprintf(out, "0x%" PRIx64, int_bits(t, p));
		return;
	case T_STR:
		str_print(out, p, t->len);
		return;
	case T_ARRAY:
		if (type_is_hist(t))
			hist_print(out, t, p);
		else
			array_print(out, t, p);
		return;
	case T_STRUCT:
		struct_print(out, t, p);
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

void hist_print(FILE *out, const struct type *t, const void *buckets)
{
	int is_time = t->fmt == TF_TIME || t->elem->fmt == TF_TIME;
	size_t first = QUANTIZE_BUCKETS, last = 0, i;
	uint64_t b[QUANTIZE_BUCKETS], max = 0;
	int w, cw;

	memcpy(b, buckets, sizeof(b));
	for (i = 0; i < QUANTIZE_BUCKETS; i++) {
		if (!b[i])
			continue;
		first = i < first ? i : first;
		last = i;
		max = b[i] > max ? b[i] : max;
	}
	if (!max)
		return;
	w = hist_bound_width(first, last, is_time);
	cw = snprintf(NULL, 0, "%" PRIu64, max);
	cw = cw > 9 ? cw : 9;
	for (i = first; i <= last; i++) {
		fputs("\n\t", out);
		hist_range(out, i, w, is_time);
		fprintf(out, " %*" PRIu64 " ┤", cw, b[i]);
		hist_bar(out, b[i], max);
		fputs("│", out);
	}
}

/* value_print into a malloc'd string, for padding and %v widths. */
static char *value_str(const struct type *t, const void *p)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	if (!f) {
		fputs("ply: out of memory\n", stderr);
		abort();
	}
	value_print(f, t, p);
	fclose(f);
	return s;
}

/* ---- printf conversions ---- */

static const char conv_flagchars[] = "-+ #0";

enum {
	FL_MINUS = 1 << 0,	/* bit i is conv_flagchars[i] */
	FL_HASH = 1 << 3,
};

enum conv_err {
	CONV_OK,
	CONV_UNKNOWN,		/* a conversion character libc or ply lacks */
	CONV_STAR,		/* '*' width or precision */
	CONV_LARGE,		/* width or precision above CONV_MAX_NUM */
	CONV_INCOMPLETE,	/* the format ends inside the spec */
};

/* One "%...c" spec of a format string. */
struct conv {
	const char *start;	/* the '%' */
	const char *end;	/* just past the conversion character */
	unsigned flags;		/* bit i: conv_flagchars[i] was given */
	int width, prec;	/* -1 when not given */
	char c;			/* the conversion character, 0 at the end */
};

/* Digits at *pp; *n is -1 when they run over CONV_MAX_NUM. */
static void conv_num(const char **pp, int *n)
{
	const char *p = *pp;
	long v = 0;

	for (; *p >= '0' && *p <= '9'; p++)
		if (v <= CONV_MAX_NUM)
			v = v * 10 + (*p - '0');
	*n = v > CONV_MAX_NUM ? -1 : (int)v;
	*pp = p;
}

/* Length modifiers are accepted for C habits but ignored: the argument's
 * own type says how wide it is. */
static const char *conv_skip_length(const char *p)
{
	static const char *const mods[] = { "hh", "h", "ll", "l", "z", "j",
					    "t" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mods); i++)
		if (!strncmp(p, mods[i], strlen(mods[i])))
			return p + strlen(mods[i]);
	return p;
}

/* Width or precision: digits, or '*' which would need an argument ply
 * has no way to pass. */
static enum conv_err conv_field(const char **pp, int *n)
{
	if (**pp == '*') {
		(*pp)++;
		return CONV_STAR;
	}
	conv_num(pp, n);
	return *n < 0 ? CONV_LARGE : CONV_OK;
}

/* Parse the spec starting at the '%' at p. The whole spec is consumed
 * even when it is wrong, so checking can go on after it. */
static enum conv_err conv_parse(const char *p, struct conv *cv)
{
	enum conv_err err = CONV_OK, e;
	const char *f;

	memset(cv, 0, sizeof(*cv));
	cv->start = p++;
	cv->width = cv->prec = -1;
	for (; *p && (f = strchr(conv_flagchars, *p)); p++)
		cv->flags |= 1u << (f - conv_flagchars);
	if ((*p >= '0' && *p <= '9') || *p == '*')
		err = conv_field(&p, &cv->width);
	if (*p == '.') {
		p++;
		if ((e = conv_field(&p, &cv->prec)) != CONV_OK)
			err = e;
	}
	p = conv_skip_length(p);
	cv->c = *p;
	cv->end = *p ? p + 1 : p;
	if (!*p)
		return CONV_INCOMPLETE;
	if (!strchr("diuxXocsp%v", *p))
		return CONV_UNKNOWN;
	return err;
}

/* ---- fmt_check ---- */

static const char *type_desc(const struct type *t)
{
	static const char *const kinds[] = {
		[T_VOID] = "void", [T_INT] = "an integer",
		[T_PTR] = "a pointer", [T_STR] = "a string",
		[T_ARRAY] = "an array", [T_STRUCT] = "a struct",
	};

	return t->name ? t->name : kinds[t->kind];
}

/* What conversion c wants when t does not fit it; NULL when t fits. */
static const char *conv_mismatch(char c, const struct type *t)
{
	if (t->kind == T_VOID)
		return "a value";
	switch (c) {
	case 'v':
		return NULL;
	case 's':
		return is_string(t) ? NULL : "a string";
	case 'p':
		return type_is_scalar(t) ? NULL : "a pointer";
	default:
		return type_is_scalar(t) ? NULL : "an integer";
	}
}

static void conv_report(struct diag *d, struct loc floc,
			const struct conv *cv, enum conv_err err)
{
	int n = (int)(cv->end - cv->start);

	switch (err) {
	case CONV_UNKNOWN:
		diag_error(d, floc, "unknown conversion '%.*s' in format "
			   "string", n, cv->start);
		return;
	case CONV_STAR:
		diag_error(d, floc, "'*' width or precision in '%.*s' is not "
			   "supported; write the number", n, cv->start);
		return;
	case CONV_LARGE:
		diag_error(d, floc, "width or precision in '%.*s' is larger "
			   "than %d", n, cv->start, CONV_MAX_NUM);
		return;
	case CONV_INCOMPLETE:
		diag_error(d, floc, "incomplete conversion '%.*s' at the end "
			   "of the format string", n, cv->start);
		return;
	case CONV_OK:
		return;
	}
	unreachable();
}

static const char *plural(size_t n, const char *word, const char *words)
{
	return n == 1 ? word : words;
}

/* Too many arguments is reported at the first one without a conversion,
 * too few at the format string, which is where one is missing. */
static void count_check(struct diag *d, struct loc floc,
			const struct loc *arglocs, size_t nconv, size_t nargs)
{
	struct loc l = floc;

	if (nconv == nargs)
		return;
	if (nargs > nconv && arglocs)
		l = arglocs[nconv];
	diag_error(d, l, "format string has %zu %s but %zu %s", nconv,
		   plural(nconv, "conversion", "conversions"), nargs,
		   plural(nargs, "argument", "arguments"));
}

int fmt_check(struct diag *d, struct loc floc, const char *fmt,
	      struct type **args, const struct loc *arglocs, size_t nargs)
{
	int before = d->nerrors;
	const char *p = fmt, *want;
	size_t nconv = 0;
	enum conv_err err;
	struct conv cv;

	while ((p = strchr(p, '%'))) {
		err = conv_parse(p, &cv);
		p = cv.end;
		if (err)
			conv_report(d, floc, &cv, err);
		if (cv.c == '%' || err == CONV_INCOMPLETE)
			continue;
		/* a wrong spec still takes its argument, so the ones after
		 * it are checked against the right conversions */
		if (!err && nconv < nargs &&
		    (want = conv_mismatch(cv.c, args[nconv])))
			diag_error(d, arglocs ? arglocs[nconv] : floc,
				   "%%%c expects %s, argument %zu is %s", cv.c,
				   want, nconv + 1, type_desc(args[nconv]));
		nconv++;
	}
	count_check(d, floc, arglocs, nconv, nargs);
	return d->nerrors - before;
}

/* ---- fmt_printf ---- */

/* Rebuild a spec for libc: "%", the user's flags in mask, the width, the
 * precision prec (none when < 0) and tail (length modifier and
 * conversion). Flags a conversion does not define are masked out rather
 * than handed to libc as undefined behaviour. */
static void spec_build(char *spec, size_t size, const struct conv *cv,
		       unsigned mask, int prec, const char *tail)
{
	size_t n = 0, i;

	spec[n++] = '%';
	for (i = 0; conv_flagchars[i]; i++)
		if (cv->flags & mask & (1u << i))
			spec[n++] = conv_flagchars[i];
	if (cv->width >= 0)
		n += snprintf(spec + n, size - n, "%d", cv->width);
	if (prec >= 0)
		n += snprintf(spec + n, size - n, ".%d", prec);
	snprintf(spec + n, size - n, "%s", tail);
}

/* %s of a char[N] that need not hold a NUL: never read past N. */
static void conv_print_str(FILE *out, const struct conv *cv,
			   const struct type *t, const char *p)
{
	int len = t->len > CONV_MAX_NUM ? CONV_MAX_NUM : (int)t->len;
	char spec[32];

	if (cv->prec >= 0 && cv->prec < len)
		len = cv->prec;
	spec_build(spec, sizeof(spec), cv, FL_MINUS, len, "s");
	fprintf(out, spec, p);
}

static void conv_print_value(FILE *out, const struct conv *cv,
			     const struct type *t, const void *p)
{
	char spec[32], *s = value_str(t, p);

	spec_build(spec, sizeof(spec), cv, FL_MINUS, cv->prec, "s");
	fprintf(out, spec, s);
	free(s);
}

/* %d and %i print the value itself whatever the argument's size (a u8 of
 * 200 is 200, not -56); %u %x %X %o print its bits at its own size (an s8
 * of -1 is ff, as %hhx would). A u64 above INT64_MAX goes out through %llu
 * so it is not shown negative. */
static void conv_print_int(FILE *out, const struct conv *cv,
			   const struct type *t, const void *p)
{
	char spec[32], tail[4] = "ll";
	uint64_t v = int_value(t, p);
	int is_signed = cv->c == 'd' || cv->c == 'i';

	if (is_signed && !t->is_signed && (int64_t)v < 0)
		is_signed = 0;
	tail[2] = is_signed ? 'd' : cv->c == 'd' || cv->c == 'i' ? 'u' : cv->c;
	spec_build(spec, sizeof(spec), cv,
		   strchr("xXo", cv->c) ? ~0u : ~(unsigned)FL_HASH, cv->prec,
		   tail);
	if (is_signed)
		fprintf(out, spec, (long long)v);
	else
		fprintf(out, spec, (unsigned long long)int_bits(t, p));
}

static void conv_print(FILE *out, const struct conv *cv,
		       const struct type *t, const void *p)
{
	char spec[32];

	switch (cv->c) {
	case 's':
		conv_print_str(out, cv, t, p);
		return;
	case 'v':
		conv_print_value(out, cv, t, p);
		return;
	case 'c':
		spec_build(spec, sizeof(spec), cv, FL_MINUS, -1, "c");
		fprintf(out, spec, (int)(unsigned char)int_bits(t, p));
		return;
	case 'p':
		spec_build(spec, sizeof(spec), cv, FL_MINUS, -1, "p");
		fprintf(out, spec, (void *)(uintptr_t)int_bits(t, p));
		return;
	default:
		conv_print_int(out, cv, t, p);
		return;
	}
}

/* The format was accepted by fmt_check when the program was compiled, so
 * a spec that does not parse or a missing argument here is a bug. */
void fmt_printf(FILE *out, const char *fmt, const struct field *args,
		size_t nargs, const void *buf)
{
	const char *p = fmt, *pct;
	struct conv cv;
	size_t i = 0;

	while ((pct = strchr(p, '%'))) {
		fwrite(p, 1, pct - p, out);
		if (conv_parse(pct, &cv) != CONV_OK)
			unreachable();
		p = cv.end;
		if (cv.c == '%') {
			fputc('%', out);
			continue;
		}
		if (i >= nargs)
			unreachable();
		conv_print(out, &cv, args[i].type,
			   (const char *)buf + args[i].offset);
		i++;
	}
	fputs(p, out);
}

/* ---- map_print ---- */

/* qsort has no context argument, so each entry carries its map. */
struct map_entry {
	const struct mapsym *m;
	const char *k, *v;
};

/* Aggregations by value, so the biggest ends up last, next to the
 * prompt; then (and plain maps only) by key. */
static int map_entry_cmp(const void *a, const void *b)
{
	const struct map_entry *x = a, *y = b;
	const struct mapsym *m = x->m;
	int c = 0;

	if (m->is_agg && m->agg != AGG_QUANTIZE)
		c = value_cmp(m->vtype, x->v, y->v);
	if (!c)
		c = value_cmp(m->ktype, x->k, y->k);
	return c;
}

/* Sort a permutation, then move keys and values into its order. */
static void map_sort(const struct mapsym *m, char *keys, char *vals,
		     size_t n)
{
	size_t ks = m->ktype->size, vs = m->vtype->size, i;
	struct map_entry *e;
	char *k2, *v2;

	if (n < 2)
		return;
	e = fmt_alloc(n * sizeof(*e));
	k2 = fmt_alloc(n * ks);
	v2 = fmt_alloc(n * vs);
	for (i = 0; i < n; i++)
		e[i] = (struct map_entry){ m, keys + i * ks, vals + i * vs };
	qsort(e, n, sizeof(*e), map_entry_cmp);
	for (i = 0; i < n; i++) {
		memcpy(k2 + i * ks, e[i].k, ks);
		memcpy(v2 + i * vs, e[i].v, vs);
	}
	memcpy(keys, k2, n * ks);
	memcpy(vals, v2, n * vs);
	free(e);
	free(k2);
	free(v2);
}

/* The widest printed value of each key column. A stack is many lines and
 * is not padded; its width stays 0. */
static size_t *map_widths(const struct type *kt, const char *keys, size_t n)
{
	size_t *w = fmt_alloc(kt->nfields * sizeof(*w)), i, j, len;
	char *s;

	for (j = 0; j < kt->nfields; j++) {
		w[j] = 0;
		if (kt->fields[j].type->fmt == TF_STACK)
			continue;
		for (i = 0; i < n; i++) {
			s = value_str(kt->fields[j].type,
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
static void map_cell_print(FILE *out, const struct type *t, const void *p,
			   size_t width)
{
	char *s = value_str(t, p);
	int number = t->kind == T_INT && t->fmt != TF_SYM &&
		t->fmt != TF_WALLTIME;

	fprintf(out, number ? "%*s" : "%-*s", (int)width, s);
	free(s);
}

static void map_key_print(FILE *out, const struct type *kt,
			  const size_t *widths, const char *k)
{
	size_t j;

	fputs("{ ", out);
	for (j = 0; j < kt->nfields; j++) {
		if (j)
			fputs(", ", out);
		map_cell_print(out, kt->fields[j].type, k + kt->fields[j].offset,
			       widths[j]);
	}
	fputs(" }", out);
}

static void map_entry_print(FILE *out, const struct mapsym *m,
			    const size_t *widths, const char *k,
			    const char *v)
{
	map_key_print(out, m->ktype, widths, k);
	fputs(": ", out);
	value_print(out, m->vtype, v);
	fputc('\n', out);
}

/* A histogram starts on its own line, so the key line ends at the colon;
 * a blank line after each keeps neighbours apart. */
static void map_hist_print(FILE *out, const struct mapsym *m,
			   const size_t *widths, const char *k, const char *v)
{
	map_key_print(out, m->ktype, widths, k);
	fputc(':', out);
	hist_print(out, m->vtype, v);
	fputs("\n\n", out);
}

void map_print(FILE *out, const struct mapsym *m, void *keys, void *vals,
	       size_t n)
{
	int hist = m->agg == AGG_QUANTIZE;
	size_t *widths, i;

	if (!m->ktype && hist) {
		fprintf(out, "%s:", m->name);
		if (n)
			hist_print(out, m->vtype, vals);
		fputs("\n\n", out);
		return;
	}
	if (!m->ktype) {
		fprintf(out, "%s:", m->name);
		if (n) {
			fputc(' ', out);
			value_print(out, m->vtype, vals);
		}
		fputs("\n\n", out);
		return;
	}
	map_sort(m, keys, vals, n);
	widths = map_widths(m->ktype, keys, n);
	fprintf(out, "%s:\n", m->name);
	for (i = 0; i < n; i++)
		(hist ? map_hist_print : map_entry_print)(out, m, widths,
			(char *)keys + i * m->ktype->size,
			(char *)vals + i * m->vtype->size);
	if (!hist || !n)
		fputc('\n', out);
	free(widths);
}
