/* util: arena allocator, string streams and diagnostics with source
 * carets. */
#include <stdlib.h>
#include <string.h>

#include <ply/ply.h>

#include "util.h"

struct chunk {
	struct chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char mem[];
};

struct deferred {
	struct deferred *next;
	void (*fn)(void *);
	void *arg;
};

struct arena {
	struct chunk *head;
	struct deferred *deferred;	/* run at arena__free, newest first */
};

/* msg_name_default's: a copy, as the name it was given may not outlive
 * the ply that had it. */
static char default_name[PLY_PROG_NAME_MAX + 1];

static _Noreturn void out_of_memory(void)
{
	msg_print(stderr, default_name, "out of memory\n");
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		out_of_memory();
	return p;
}

struct arena *arena__new(void)
{
	return xcalloc(1, sizeof(struct arena));
}

void arena__free(struct arena *a)
{
	struct chunk *c, *next;

	if (!a)
		return;
	while (a->deferred) {
		struct deferred *d = a->deferred;

		a->deferred = d->next;
		d->fn(d->arg);
	}
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void *arena_alloc(struct arena *a, size_t size)
{
	struct chunk *c = a->head;
	void *p;

	size = ALIGN_UP(size ? size : 1, 16);
	if (!c || c->size - c->used < size) {
		size_t csize = size > 32768 ? size : 32768;

		c = xcalloc(1, sizeof(*c) + csize);
		c->size = csize;
		c->next = a->head;
		a->head = c;
	}
	p = c->mem + c->used;
	c->used += size;
	return p;
}

FILE *strbuf_open(struct strbuf *b)
{
	b->s = NULL;
	b->len = 0;
	b->f = open_memstream(&b->s, &b->len);
	if (!b->f)
		out_of_memory();
	return b->f;
}

char *strbuf_close(struct strbuf *b)
{
	if (fclose(b->f) || !b->s)
		out_of_memory();
	b->f = NULL;
	return b->s;
}

void arena_defer(struct arena *a, void (*fn)(void *), void *arg)
{
	struct deferred *d = arena_alloc(a, sizeof(*d));

	d->fn = fn;
	d->arg = arg;
	d->next = a->deferred;
	a->deferred = d;
}

void *arena_dup(struct arena *a, const void *p, size_t size)
{
	void *d = arena_alloc(a, size);

	memcpy(d, p, size);
	return d;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *d = arena_alloc(a, n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = arena_alloc(a, n + 1);
	va_start(ap, fmt);
	vsnprintf(s, n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* Print the line l points into, and a caret under its column. Tabs are
 * kept in the indent so the caret lines up in a terminal. */
static void diag_caret(FILE *out, struct loc l)
{
	const char *p, *end;
	int line = 1, i;

	if (!l.src || !l.src->text)
		return;
	for (p = l.src->text; *p && line < l.line; p++)
		if (*p == '\n')
			line++;
	for (end = p; *end && *end != '\n'; end++)
		;
	fprintf(out, "%.*s\n", (int)(end - p), p);
	for (i = 1; i < l.col && p + i - 1 < end; i++)
		fputc(p[i - 1] == '\t' ? '\t' : ' ', out);
	fputs("^\n", out);
}

static void diag_vreport(struct diag *d, struct loc l, const char *kind,
			 const char *fmt, va_list ap)
{
	FILE *out = d->out ? d->out : stderr;

	fprintf(out, "%s:%d:%d: %s: ", l.src ? l.src->name : "<input>",
		l.line, l.col, kind);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	diag_caret(out, l);
}

void diag_error(struct diag *d, struct loc l, const char *fmt, ...)
{
	va_list ap;

	if (d->nerrors++ >= DIAG_MAX_SHOWN) {
		if (d->nerrors == DIAG_MAX_SHOWN + 1)
			msg_print(d->out, d->prog, "error: too many errors, "
				  "the rest are not shown\n");
		return;
	}
	va_start(ap, fmt);
	diag_vreport(d, l, "error", fmt, ap);
	va_end(ap);
}

/* A note belongs to the error before it, shown or not. */
void diag_note(struct diag *d, struct loc l, const char *fmt, ...)
{
	va_list ap;

	if (d->nerrors > DIAG_MAX_SHOWN)
		return;
	va_start(ap, fmt);
	diag_vreport(d, l, "note", fmt, ap);
	va_end(ap);
}

void diag_plain(struct diag *d, const char *fmt, ...)
{
	FILE *out = d->out ? d->out : stderr;
	va_list ap;

	msg_print(out, d->prog, "error: ");
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	d->nerrors++;
}

/* ---- messages ---- */

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

void msg_vprint(FILE *f, const char *prog, const char *fmt, va_list ap)
{
	if (!f)
		f = stderr;
	fprintf(f, "%s: ", prog && *prog ? prog : "ply");
	vfprintf(f, fmt, ap);
}

void msg_print(FILE *f, const char *prog, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vprint(f, prog, fmt, ap);
	va_end(ap);
}

const char *msg_name_bad(const char *prog)
{
	const char *c;

	if (!prog)
		return NULL;
	if (strlen(prog) > PLY_PROG_NAME_MAX)
		return "it is longer than " STRINGIFY(PLY_PROG_NAME_MAX)
		       " bytes";
	for (c = prog; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return *c == '\n' ? "it holds a newline" :
			       "it holds a control character";
	return NULL;
}

void msg_name_default(const char *prog)
{
	snprintf(default_name, sizeof(default_name), "%s",
		 prog && !msg_name_bad(prog) ? prog : "");
}

/* ---- suggestions ---- */

#define DIST_MAX_LEN 64

size_t str_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, c, v;
	size_t d[DIST_MAX_LEN + 1][DIST_MAX_LEN + 1];

	if (la > DIST_MAX_LEN || lb > DIST_MAX_LEN)
		return la > lb ? la : lb;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			c = a[i - 1] != b[j - 1];
			v = d[i - 1][j - 1] + c;
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *closest_name(const char *name, const char *const *cands,
			 size_t n)
{
	size_t i, d, best = (strlen(name) + 2) / 3 + 1;
	const char *found = NULL;

	for (i = 0; i < n; i++) {
		if (!cands[i] || !strcmp(cands[i], name))
			continue;
		d = str_distance(name, cands[i]);
		if (d < best) {
			best = d;
			found = cands[i];
		}
	}
	return found;
}

void ply_unreachable(const char *file, int line, const char *func)
{
	msg_print(stderr, default_name, "internal error at %s:%d (%s); please "
	    "report this with the output of -S\n", file, line, func);
	abort();
}
