/* ply: the public API, the pipeline from text to running probes:
 * parse -> sema -> gen -> ir_to_bpf -> runtime. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ply/ply.h>

#include "gen.h"
#include "out.h"
#include "parse.h"
#include "provider.h"
#include "runtime.h"
#include "sema.h"

struct ply {
	struct ply_opts opts;
	struct arena *arena;	/* everything the compilation made */
	struct src src;
	struct diag diag;
	struct program *prog;
	struct sema sema;

	int generated;
	struct ir *irs;		/* one per probe */
	struct probe_prog *progs;
	struct rt_spec spec;
	struct runtime *rt;
	const char *command;
	int failed;
};

/* What the runtime hands the front end's callback. */
struct event_priv {
	struct ply_event ev;
	const struct evsite *site;
	struct fmt_ctx *fmt;
};

const char *ply_version(void)
{
	return PLY_VERSION;
}

static FILE *err_of(const struct ply *p)
{
	return p->opts.err ? p->opts.err : stderr;
}

int ply__compile(struct ply **out, const char *text,
		 const struct ply_opts *opts)
{
	struct ply *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return -ENOMEM;
	if (opts)
		memcpy(&p->opts, opts, opts->sz < sizeof(p->opts) ?
		       opts->sz : sizeof(p->opts));
	p->arena = arena__new();
	p->src.name = p->opts.name ? p->opts.name : "<input>";
	p->src.text = arena_strdup(p->arena, text);
	p->src.len = strlen(text);
	p->diag.out = err_of(p);
	p->sema.arena = p->arena;
	p->sema.diag = &p->diag;
	p->sema.strsize = p->opts.strsize;
	p->sema.has_target = p->opts.command != NULL;
	p->command = p->opts.command;
	if (parse_program(&p->src, p->arena, &p->diag, &p->prog) ||
	    sema_program(&p->sema, p->prog)) {
		ply__free(p);
		return -EINVAL;
	}
	p->spec.maps = p->sema.maps.v;
	p->spec.nmaps = p->sema.maps.n;
	p->spec.sites = p->sema.sites.v;
	p->spec.nsites = p->sema.sites.n;
	p->spec.reads = p->sema.reads.v;
	p->spec.nreads = p->sema.reads.n;
	p->spec.map_size = p->opts.map_size;
	p->spec.stack_depth = p->sema.uses_stack ? 64 : 0;
	*out = p;
	return 0;
}

static void progs_free(struct ply *p)
{
	size_t i;

	for (i = 0; i < p->spec.nprogs; i++)
		free(p->progs[i].insns);
	free(p->progs);
	free(p->irs);
	p->progs = NULL;
	p->irs = NULL;
	p->spec.progs = NULL;
	p->spec.nprogs = 0;
	p->generated = 0;
}

void ply__free(struct ply *p)
{
	if (!p)
		return;
	runtime__free(p->rt);
	progs_free(p);
	arena__free(p->arena);
	free(p);
}

int ply__spawn(struct ply *p, const char *command)
{
	p->command = command;
	p->sema.has_target = 1;
	return 0;
}

pid_t ply__child(const struct ply *p)
{
	return p->rt ? runtime__child(p->rt) : 0;
}

static int generate_probe(struct ply *p, struct probe *pr, size_t i)
{
	struct probe_prog *rp = &p->progs[i];
	char err[256];
	int ret;

	ir_init(&p->irs[i], p->arena);
	if (gen_probe(&p->sema, pr, &p->irs[i]))
		return -EINVAL;
	ret = ir_to_bpf(&p->irs[i], &rp->insns, &rp->ninsns, err, sizeof(err));
	if (ret) {
		diag_error(&p->diag, pr->loc, "%s", err);
		return ret;
	}
	rp->name = pr->spec;
	rp->prov = pr->prov;
	rp->pdata = pr->pdata;
	return 0;
}

int ply__generate(struct ply *p)
{
	struct probe *pr;
	size_t i = 0;
	int ret;

	if (p->generated)
		return 0;
	progs_free(p);
	p->irs = calloc(p->prog->nprobes, sizeof(*p->irs));
	p->progs = calloc(p->prog->nprobes, sizeof(*p->progs));
	if (!p->irs || !p->progs)
		return -ENOMEM;
	for (pr = p->prog->probes; pr; pr = pr->next, i++) {
		ret = generate_probe(p, pr, i);
		if (ret)
			return ret;
		p->spec.nprogs = i + 1;
	}
	p->spec.progs = p->progs;
	p->generated = 1;
	return 0;
}

int ply__dump(struct ply *p, FILE *out)
{
	struct probe *pr;
	size_t i = 0;
	int ret;

	fputs("-- ast\n", out);
	ast_dump(out, p->prog);
	ret = ply__generate(p);
	if (ret)
		return ret;
	for (pr = p->prog->probes; pr; pr = pr->next, i++) {
		fprintf(out, "-- ir: %s\n", pr->spec);
		ir_dump(&p->irs[i], out);
		fprintf(out, "-- bpf: %s\n", pr->spec);
		bpf_dump(p->progs[i].insns, p->progs[i].ninsns, out);
	}
	return 0;
}

/* Values as the front ends see them. */
static struct ply_value value_of(const struct type *t, const void *raw)
{
	struct ply_value v = { .kind = PLY_BYTES, .s = raw, .len = t->size };
	uint64_t u = 0;

	switch (t->kind) {
	case T_INT:
		memcpy(&u, raw, t->size);
		if (t->is_signed && t->size < 8 && (u >> (8 * t->size - 1)) & 1)
			u |= ~0ULL << (8 * t->size);
		v.kind = t->is_signed ? PLY_INT : PLY_UINT;
		v.i = (int64_t)u;
		v.u = u;
		break;
	case T_PTR:
		memcpy(&u, raw, 8);
		v.kind = PLY_UINT;
		v.u = u;
		v.i = (int64_t)u;
		break;
	case T_STR:
		v.kind = PLY_STR;
		v.len = strnlen(raw, t->len);
		break;
	default:
		break;
	}
	return v;
}

void ply_event__fprint(const struct ply_event *ev, FILE *out)
{
	const struct event_priv *e = (const struct event_priv *)ev;

	out_text_event(out, e->fmt, e->site, ev->raw);
}

static void on_event(const struct evsite *site, const void *rec, size_t size,
		     void *ctx)
{
	struct ply *p = ctx;
	const struct type *t = site->rec;
	struct ply_value args[32];
	struct event_priv e = { .site = site,
				.fmt = &runtime__out(p->rt)->fmt };
	size_t i;

	for (i = 1; i < t->nfields && i <= ARRAY_SIZE(args); i++)
		args[i - 1] = value_of(t->fields[i].type,
				       (const char *)rec + t->fields[i].offset);
	e.ev.kind = site->kind == EV_PRINTF ? PLY_EV_PRINTF : PLY_EV_PRINT;
	e.ev.site = site->id;
	e.ev.fmt = site->fmt;
	e.ev.nargs = t->nfields - 1;
	e.ev.args = args;
	e.ev.raw = rec;
	e.ev.raw_size = size;
	p->opts.on_event(p, &e.ev, p->opts.ctx);
}

int ply__load(struct ply *p)
{
	struct rt_opts ro = {
		.out = p->opts.out, .err = p->opts.err, .debug = p->opts.debug,
		.keep_going = p->opts.keep_going,
	};
	int ret;

	if (p->opts.on_event) {
		ro.handler = on_event;
		ro.handler_ctx = p;
	}
	ret = ply__generate(p);
	if (ret)
		return ret;
	p->rt = runtime__new(&p->spec, &ro);
	if (!p->rt)
		return -ENOMEM;
	/* The command exists (held) before loading: $target is patched in
	 * as its pid. */
	if (p->command) {
		ret = runtime__spawn(p->rt, p->command);
		if (ret)
			return ret;
	}
	return runtime__load(p->rt);
}

int ply__attach(struct ply *p)
{
	return runtime__attach(p->rt);
}

int ply__start(struct ply *p)
{
	return runtime__start(p->rt);
}

int ply__loop(struct ply *p)
{
	return runtime__loop(p->rt);
}

int ply__finish(struct ply *p)
{
	return runtime__finish(p->rt);
}

int ply__exit_status(const struct ply *p)
{
	if (p->failed || !p->rt)
		return 1;
	return runtime__exit_status(p->rt);
}

int ply__run(struct ply *p)
{
	int ret;

	ret = ply__load(p);
	if (!ret)
		ret = ply__attach(p);
	if (!ret)
		ret = ply__start(p);
	if (!ret)
		ret = ply__loop(p);
	if (ret) {
		/* Nothing ran, or not all of it: no END, no maps to show.
		 * ply__free detaches what was attached. */
		p->failed = 1;
		return 1;
	}
	if (ply__finish(p))
		p->failed = 1;
	return ply__exit_status(p);
}

int ply__map_foreach(struct ply *p, const char *name, ply_map_fn fn,
		     void *ctx)
{
	const struct mapsym *m = NULL;
	struct ply_value keys[16], val;
	void *kbuf = NULL, *vbuf = NULL;
	size_t i, j, n;
	int ret;

	for (i = 0; i < p->spec.nmaps; i++)
		if (!strcmp(p->spec.maps[i]->name, name))
			m = p->spec.maps[i];
	if (!m || !p->rt)
		return -ENOENT;
	ret = runtime__map_read(p->rt, m->index, &kbuf, &vbuf, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		const char *k = (const char *)kbuf + i * (m->ktype ? m->ktype->size : 4);
		size_t nk = m->ktype ? m->ktype->nfields : 0;

		for (j = 0; j < nk && j < ARRAY_SIZE(keys); j++)
			keys[j] = value_of(m->ktype->fields[j].type,
					   k + m->ktype->fields[j].offset);
		val = value_of(m->vtype, (const char *)vbuf + i * m->vtype->size);
		fn(nk ? keys : NULL, nk, &val, ctx);
	}
	free(kbuf);
	free(vbuf);
	return 0;
}
