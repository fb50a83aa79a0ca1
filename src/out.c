/* out: what every writer shares: the context's lifetime, map sorting,
 * write errors, and the rule that the output stream is flushed before
 * anything goes to the error stream, so that a report never lands in the
 * middle of a line when both are the same file. */
#include <errno.h>
#include <stdarg.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "out.h"

struct out *out__new(const struct out_ops *ops, FILE *f, FILE *err)
{
	struct out *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->ops = ops ? ops : &out_text;
	o->f = f ? f : stdout;
	o->err = err ? err : stderr;
	fmt_ctx__init(&o->fmt);
	return o;
}

void out__free(struct out *o)
{
	if (!o)
		return;
	fmt_ctx__free(&o->fmt);
	free(o);
}

int out_failed(const struct out *o)
{
	return o->werr ? -o->werr : 0;
}

/* The first failed write. EPIPE (whoever read it is gone) is no news to
 * the reader, and EINTR is a signal's handler interrupting a write that
 * was blocked (the ply command's stop): neither is reported. */
static void werr_set(struct out *o, int err)
{
	o->werr = err ? err : EIO;
	if (o->werr == EPIPE || o->werr == EINTR)
		return;
	out_err(o, "error: cannot write the output: %s\n",
		strerror(o->werr));
	fflush(o->err);
}

/* Right after writing to f: a failed write is seen at once, without a
 * flush, which would block again on a pipe that nobody reads. */
static void write_check(struct out *o)
{
	int saved = errno;

	if (!o->werr && ferror(o->f))
		werr_set(o, saved);
	errno = saved;
}

/* Once a write failed, nothing more is written: it could block again. */
int out_flush(struct out *o)
{
	int saved = errno;

	if (o->werr)
		return out_failed(o);
	errno = 0;
	if (fflush(o->f) || ferror(o->f))
		werr_set(o, errno);
	errno = saved;
	return out_failed(o);
}

void out_event(struct out *o, const struct evsite *site, const void *rec,
	       size_t size)
{
	if (o->werr)
		return;
	o->ops->event(o, site, rec, size);
	write_check(o);
}

/* ---- maps ---- */

/* qsort has no context argument, so each entry carries its map. */
struct map_entry {
	const struct mapsym *m;
	const char *k, *v;
};

static int map_entry_cmp(const void *a, const void *b)
{
	const struct map_entry *x = a, *y = b;
	const struct mapsym *m = x->m;
	int c = 0;

	if (m->is_agg)
		c = agg_cmp(m, x->v, y->v);
	if (!c)
		c = value_cmp(m->ktype, x->k, y->k);
	return c;
}

/* Sort a permutation, then move keys and values into its order. */
void out_map_sort(const struct mapsym *m, void *keys_, void *vals_, size_t n)
{
	size_t ks, vs = m->vtype->size, i;
	char *keys = keys_, *vals = vals_, *k2, *v2;
	struct map_entry *e;

	if (n < 2 || !m->ktype)
		return;
	ks = m->ktype->size;
	e = xmalloc(n * sizeof(*e));
	k2 = xmalloc(n * ks);
	v2 = xmalloc(n * vs);
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

void out_map(struct out *o, const struct mapsym *m, void *keys, void *vals,
	     size_t n)
{
	if (o->werr)
		return;
	out_map_sort(m, keys, vals, n);
	o->ops->map(o, m, keys, vals, n);
	write_check(o);
}

/* ---- the error stream ---- */

void out_report(struct out *o, const struct out_report *r)
{
	out_flush(o);
	o->ops->report(o, r);
	write_check(o);	/* a writer may report on f */
}

void out_msg(struct out *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	out_flush(o);
	o->ops->message(o, buf);
	write_check(o);
}

void out_exit(struct out *o, int64_t code)
{
	if (o->werr)
		return;
	o->ops->exit(o, code);
	write_check(o);
}

void out_end(struct out *o)
{
	if (!o->werr)
		o->ops->end(o);
	out_flush(o);
	/* what could not be written is dropped, or exit() would try again
	 * (and block, on a pipe that nobody reads) */
	if (o->werr)
		__fpurge(o->f);
	fflush(o->err);
}
