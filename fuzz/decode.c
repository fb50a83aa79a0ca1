/* A libFuzzer target over the decoding of what the kernel hands back: the
 * ring-buffer records of printf/print/exit/print(@)/clear(@) and the keys
 * and values of maps, decoded and printed against a compiled program's
 * layout (its event sites and map types). The input is a program, a NUL,
 * then the bytes:
 *	records:  (u16 length, that many bytes)... up to a zero length
 *	maps:     for each map of the program, a count byte n (n % 8
 *	          entries), then n keys and n values; bytes past the end of
 *	          the input read as zeros
 * Each record and each map's entries sit in a buffer of exactly their
 * size, so a read past what the kernel gave is an ASan report. It goes
 * through the narrowest entry points there are: the runtime's record
 * handler (runtime__event, into the output) and the output's map printer
 * (out_map), with the text writer or, for a program of odd length, the
 * JSON one (both in one run would load the kernel's symbols twice); stay
 * one small file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"
#include "parse.h"
#include "runtime.h"
#include "sema.h"
#include "sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct bytes {
	const uint8_t *p;
	size_t n;
};

/* n bytes into a new buffer of exactly n, zeros past the input's end. */
static void *take(struct bytes *b, size_t n)
{
	uint8_t *buf = malloc(n ? n : 1);
	size_t have = n < b->n ? n : b->n;

	if (!buf)
		abort();
	memcpy(buf, b->p, have);
	memset(buf + have, 0, n - have);
	b->p += have;
	b->n -= have;
	return buf;
}

static size_t take_int(struct bytes *b, size_t width)
{
	uint8_t *v = take(b, width);
	size_t x = 0, i;

	for (i = 0; i < width; i++)
		x |= (size_t)v[i] << (8 * i);
	free(v);
	return x;
}

static void events(const struct rt_spec *spec, struct bytes *b,
		   const struct out_ops *w)
{
	struct rt_opts ro = { .out = sink__devnull(), .err = sink__devnull(), .format = w };
	struct runtime *rt = runtime__new(spec, &ro);
	size_t len;
	void *rec;

	if (!rt)
		abort();
	while (b->n && (len = take_int(b, 2))) {
		rec = take(b, len);
		runtime__event(rt, rec, len);
		free(rec);
	}
	runtime__free(rt);
}

static void maps(const struct rt_spec *spec, struct bytes *b,
		 const struct out_ops *w)
{
	struct out *o = out__new(w, sink__devnull(), sink__devnull());
	size_t i, n, ksize;
	void *keys, *vals;

	if (!o)
		abort();
	for (i = 0; i < spec->nmaps; i++) {
		const struct mapsym *m = spec->maps[i];

		n = take_int(b, 1) % 8;
		ksize = m->ktype ? m->ktype->size : sizeof(uint32_t);
		keys = take(b, n * ksize);
		vals = take(b, n * m->vtype->size);
		out_map(o, m, keys, vals, n);
		free(keys);
		free(vals);
	}
	out__free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t plen = nul ? (size_t)(nul - data) : size;
	struct arena *a = arena__new();
	struct diag diag = { .out = sink__devnull() };
	struct sema sema = { .arena = a, .diag = &diag, .has_target = 1 };
	struct src src = { .name = "fuzz", .len = plen };
	struct bytes b = { .p = data + plen, .n = size - plen };
	struct program *prog;
	struct rt_spec spec = { 0 };
	char *text = arena_alloc(a, plen + 1);

	memcpy(text, data, plen);
	text[plen] = '\0';
	src.text = text;
	if (b.n) {
		b.p++;
		b.n--;
	}
	if (!parse_program(&src, a, &diag, &prog) &&
	    !sema_program(&sema, prog)) {
		spec.maps = sema.maps.v;
		spec.nmaps = sema.maps.n;
		spec.sites = sema.sites.v;
		spec.nsites = sema.sites.n;
		spec.reads = sema.reads.v;
		spec.nreads = sema.reads.n;
		const struct out_ops *w = plen & 1 ? &out_json : &out_text;

		events(&spec, &b, w);
		maps(&spec, &b, w);
	}
	arena__free(a);
	return 0;
}
