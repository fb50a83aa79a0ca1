/* printf: ply's printf, one parser of format strings for both the check
 * at compile time (fmt_check, called by sema) and the printing of events
 * (fmt_printf). The conversions are libc's own, rebuilt from what was
 * parsed and handed to libc, so they behave as C programmers expect; %v is
 * a value's default format. Text from the traced system (%s, %c, %v) is
 * escaped like every string ply prints (str_escape) unless the '#' flag
 * asks for the raw bytes. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "printf.h"

/* Widths and precisions above this are certainly typos; refusing them
 * keeps every rebuilt conversion spec in a small fixed buffer. */
#define CONV_MAX_NUM 4096

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
		return type_is_string(t) ? NULL : "a string";
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

/* The conversion ("%-8d") that takes argument i of fmt, in a, or NULL. */
const char *fmt_conv(struct arena *a, const char *fmt, size_t i)
{
	const char *p = fmt;
	struct conv cv;

	while ((p = strchr(p, '%'))) {
		enum conv_err err = conv_parse(p, &cv);

		p = cv.end;
		if (cv.c == '%' || err == CONV_INCOMPLETE)
			continue;
		if (!i--)
			return arena_strndup(a, cv.start, cv.end - cv.start);
	}
	return NULL;
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

/* A string argument's text, at most max bytes and up to its first NUL,
 * escaped (str_escape) into a malloc'd string. */
static char *escaped(const char *p, size_t max)
{
	struct strbuf b;

	str_escape(strbuf_open(&b), p, max);
	return strbuf_close(&b);
}

/* s padded to the width, as %s or %-s would. */
static void conv_print_padded(FILE *f, const struct conv *cv, const char *s)
{
	char spec[32];

	spec_build(spec, sizeof(spec), cv, FL_MINUS, -1, "s");
	fprintf(f, spec, s);
}

/* %s of a char[N] that need not hold a NUL: never read past N. The
 * precision counts the argument's bytes, the width what is printed. With
 * '#', the bytes go out raw. */
static void conv_print_str(FILE *f, const struct conv *cv,
			   const struct type *t, const char *p)
{
	int len = t->len > CONV_MAX_NUM ? CONV_MAX_NUM : (int)t->len;
	char spec[32], *s;

	if (cv->prec >= 0 && cv->prec < len)
		len = cv->prec;
	/* most strings have nothing to escape: no copy for them */
	if ((cv->flags & FL_HASH) || str_is_plain(p, len)) {
		spec_build(spec, sizeof(spec), cv, FL_MINUS, len, "s");
		fprintf(f, spec, p);
		return;
	}
	if (cv->width < 0) {
		str_escape(f, p, len);
		return;
	}
	s = escaped(p, len);
	conv_print_padded(f, cv, s);
	free(s);
}

/* %c: a byte that is not printable ASCII is escaped like %s, unless '#'
 * asks for it raw. */
static void conv_print_char(FILE *f, const struct conv *cv,
			    const struct type *t, const void *p)
{
	char spec[32], c = (char)value_bits(t, p), *s;

	if ((cv->flags & FL_HASH) || (c >= 0x20 && c < 0x7f)) {
		spec_build(spec, sizeof(spec), cv, FL_MINUS, -1, "c");
		fprintf(f, spec, (int)(unsigned char)c);
		return;
	}
	/* str_escape stops at a NUL: it is a string's end */
	s = c ? escaped(&c, 1) : NULL;
	conv_print_padded(f, cv, s ? s : "\\x00");
	free(s);
}

static void conv_print_value(FILE *f, struct fmt_ctx *c,
			     const struct conv *cv, const struct type *t,
			     const void *p)
{
	char spec[32], *s = value_str(c, t, p);

	spec_build(spec, sizeof(spec), cv, FL_MINUS, cv->prec, "s");
	fprintf(f, spec, s);
	free(s);
}

/* %d and %i print the value itself whatever the argument's size (a u8 of
 * 200 is 200, not -56); %u %x %X %o print its bits at its own size (an s8
 * of -1 is ff, as %hhx would). A u64 above INT64_MAX goes out through %llu
 * so it is not shown negative. */
static void conv_print_int(FILE *f, const struct conv *cv,
			   const struct type *t, const void *p)
{
	char spec[32], tail[4] = "ll";
	uint64_t v = value_int(t, p);
	int is_signed = cv->c == 'd' || cv->c == 'i';

	if (is_signed && !t->is_signed && (int64_t)v < 0)
		is_signed = 0;
	tail[2] = is_signed ? 'd' : cv->c == 'd' || cv->c == 'i' ? 'u' : cv->c;
	spec_build(spec, sizeof(spec), cv,
		   strchr("xXo", cv->c) ? ~0u : ~(unsigned)FL_HASH, cv->prec,
		   tail);
	if (is_signed)
		fprintf(f, spec, (long long)v);
	else
		fprintf(f, spec, (unsigned long long)value_bits(t, p));
}

static void conv_print(FILE *f, struct fmt_ctx *c, const struct conv *cv,
		       const struct type *t, const void *p)
{
	char spec[32];

	switch (cv->c) {
	case 's':
		conv_print_str(f, cv, t, p);
		return;
	case 'v':
		conv_print_value(f, c, cv, t, p);
		return;
	case 'c':
		conv_print_char(f, cv, t, p);
		return;
	case 'p':
		spec_build(spec, sizeof(spec), cv, FL_MINUS, -1, "p");
		fprintf(f, spec, (void *)(uintptr_t)value_bits(t, p));
		return;
	default:
		conv_print_int(f, cv, t, p);
		return;
	}
}

/* The format was accepted by fmt_check when the program was compiled, so
 * a spec that does not parse or a missing argument here is a bug. */
void fmt_printf(FILE *f, struct fmt_ctx *c, const char *fmt,
		const struct field *args, size_t nargs, const void *buf)
{
	const char *p = fmt, *pct;
	struct conv cv;
	size_t i = 0;

	while ((pct = strchr(p, '%'))) {
		fwrite(p, 1, pct - p, f);
		if (conv_parse(pct, &cv) != CONV_OK)
			unreachable();
		p = cv.end;
		if (cv.c == '%') {
			fputc('%', f);
			continue;
		}
		if (i >= nargs)
			unreachable();
		conv_print(f, c, &cv, args[i].type,
			   (const char *)buf + args[i].offset);
		i++;
	}
	fputs(p, f);
}
