/* ply: the public API, the pipeline from text to running probes:
 * parse -> sema -> gen -> ir_to_bpf -> runtime. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <ply/ply.h>

#include "gen.h"
#include "json.h"
#include "out.h"
#include "parse.h"
#include "path.h"
#include "printf.h"
#include "provider.h"
#include "metrics.h"
#include "runtime.h"
#include "sema.h"
#include "value.h"

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
	struct rt_scope scope;
	struct runtime *rt;
	struct metrics *metrics;	/* opts.metrics, opts.metrics_file */
	FILE *out_file;		/* opts.output, ours */
	const char *command;
	int failed;

	/* ply__stop: the flag and an eventfd in the runtime's epoll set */
	volatile sig_atomic_t stop_req;
	int stop_fd;

	/* descriptions for the front end, in the arena */
	struct ply_site *sites;
	struct ply_map_info *maps;

	/* ply__stats' arrays and ply__map_lookup's value, malloc'ed */
	struct ply_map_stats *map_stats;
	struct ply_probe_stats *probe_stats;
	struct ply_read_stats *read_stats;
	uint64_t *stat_buf;
	char *val_buf;
	size_t val_cap;
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

/* The name messages start with (msg_print), once it is known to be
 * one. */
static const char *prog_of(const struct ply *p)
{
	return msg_name_bad(p->opts.prog_name) ? NULL : p->opts.prog_name;
}

/* ---- options ---- */

_Static_assert(PLY_STRSIZE_MAX == STR_MAX, "ply.h's PLY_STRSIZE_MAX is "
	       "sema's STR_MAX");

/* The scope options: which go together, and what each holds. */
static void scope_check(struct ply *p)
{
	const struct ply_opts *o = &p->opts;
	size_t i;

	if ((o->npids && !o->pids) || (o->nnames && !o->names))
		diag_plain(&p->diag, "option %s: a count but no array",
			   o->npids && !o->pids ? "pids" : "names");
	for (i = 0; o->pids && i < o->npids; i++)
		if (o->pids[i] <= 0)
			diag_plain(&p->diag, "option pids: %d is not a process "
				   "id", (int)o->pids[i]);
	for (i = 0; o->names && i < o->nnames; i++)
		if (!o->names[i] || !*o->names[i])
			diag_plain(&p->diag, "option names: name %zu is empty",
				   i);
	if (o->cgroup && !*o->cgroup)
		diag_plain(&p->diag, "option cgroup: the directory is empty");
	if (!!o->npids + !!o->nnames + !!o->cgroup > 1)
		diag_plain(&p->diag, "options pids, names and cgroup: give one "
			   "of them");
	if (o->npids && o->command)
		diag_plain(&p->diag, "options pids and command: give one of "
			   "them");
	if (o->follow && o->cgroup)
		diag_plain(&p->diag, "option follow: a cgroup already holds "
			   "what its tasks start");
	else if (o->follow && !o->npids && !o->nnames && !o->command)
		diag_plain(&p->diag, "option follow: follows the processes of "
			   "pids, names or command, and none is given");
}

/* The options as given, range-checked; every problem is reported. */
static int opts_check(struct ply *p)
{
	const struct ply_opts *o = &p->opts;
	const char *const *pa;
	const char *why = msg_name_bad(o->prog_name);
	int errs = p->diag.nerrors;

	if (why)
		diag_plain(&p->diag, "option prog_name: %s", why);
	if (o->strsize > PLY_STRSIZE_MAX)
		diag_plain(&p->diag, "option strsize: %zu is out of range (1 "
			   "to %d, or 0 for 64)", o->strsize, PLY_STRSIZE_MAX);
	if (o->map_size > PLY_MAP_SIZE_MAX)
		diag_plain(&p->diag, "option map_size: %" PRIu32 " entries is "
			   "out of range (1 to %u, or 0 for 4096)", o->map_size,
			   PLY_MAP_SIZE_MAX);
	if (o->ringbuf_size && (o->ringbuf_size < PLY_RINGBUF_SIZE_MIN ||
				o->ringbuf_size > PLY_RINGBUF_SIZE_MAX ||
				(o->ringbuf_size & (o->ringbuf_size - 1))))
		diag_plain(&p->diag, "option ringbuf_size: %zu bytes is not a "
			   "power of two from %zu to %zu (or 0 for 4 MiB)",
			   o->ringbuf_size, PLY_RINGBUF_SIZE_MIN,
			   PLY_RINGBUF_SIZE_MAX);
	if (o->metrics_interval > 86400)
		diag_plain(&p->diag, "option metrics_interval: %u seconds is "
			   "out of range (1 to 86400, or 0 for 15)",
			   o->metrics_interval);
	if (o->command && !o->command[strspn(o->command, " \t\n")])
		diag_plain(&p->diag, "option command: the command is empty");
	for (pa = o->params; pa && *pa; pa++)
		if (!strchr(*pa, '=') || **pa == '=')
			diag_plain(&p->diag, "option params: '%s' is not "
				   "NAME=value", *pa);
	if (o->format != PLY_OUTPUT_TEXT && o->format != PLY_OUTPUT_JSON)
		diag_plain(&p->diag, "option format: %d is not a format",
			   (int)o->format);
	if (o->output && !*o->output)
		diag_plain(&p->diag, "option output: the file name is empty");
	if (o->nmaps && !o->maps)
		diag_plain(&p->diag, "option maps: %zu maps but no array",
			   o->nmaps);
	scope_check(p);
	return p->diag.nerrors - errs;
}

static int ident_ok(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static struct type *decl_type(struct ply *p, const char *map, const char *what,
			      const struct ply_type *t)
{
	switch (t->kind) {
	case PLY_INT:
		return &type_s64;
	case PLY_UINT:
		return &type_u64;
	case PLY_STR:
		if (t->size >= 1 && t->size <= PLY_STRSIZE_MAX)
			return type_str(p->arena, t->size);
		diag_plain(&p->diag, "declared map %s: %s: a string of %zu "
			   "bytes is out of range (1 to %d, with the NUL)", map,
			   what, t->size, PLY_STRSIZE_MAX);
		return NULL;
	default:
		diag_plain(&p->diag, "declared map %s: %s: only PLY_INT, "
			   "PLY_UINT and PLY_STR can be declared", map, what);
		return NULL;
	}
}

static struct mapsym *decl_map(struct ply *p, const struct ply_map_decl *d)
{
	struct mapsym *m = arena_alloc(p->arena, sizeof(*m));
	struct type *kt[8];
	char what[32];
	size_t i;
	int ok = 1;

	if (!ident_ok(d->name)) {
		diag_plain(&p->diag, "declared map '%s': the name of a plain "
			   "map is a letter or '_', then letters, digits or "
			   "'_' (aggregations can't be declared)",
			   d->name ? d->name : "(null)");
		return NULL;
	}
	if (!d->nkeys || d->nkeys > ARRAY_SIZE(kt) || !d->keys) {
		diag_plain(&p->diag, "declared map %s: %zu keys is out of "
			   "range (1 to %zu)", d->name, d->nkeys,
			   ARRAY_SIZE(kt));
		return NULL;
	}
	if (d->max_entries > PLY_MAP_SIZE_MAX) {
		diag_plain(&p->diag, "declared map %s: max_entries %" PRIu32
			   " is out of range (1 to %u, or 0 for map_size)",
			   d->name, d->max_entries, PLY_MAP_SIZE_MAX);
		ok = 0;
	}
	for (i = 0; i < d->nkeys; i++) {
		snprintf(what, sizeof(what), "key %zu", i);
		ok &= (kt[i] = decl_type(p, d->name, what, &d->keys[i])) != NULL;
	}
	m->vtype = decl_type(p, d->name, "value", &d->value);
	if (!ok || !m->vtype)
		return NULL;
	m->name = arena_strdup(p->arena, d->name);
	m->ktype = type_tuple(p->arena, "key", kt, d->nkeys);
	m->max_entries = d->max_entries;
	return m;
}

static int decls_make(struct ply *p)
{
	const struct ply_opts *o = &p->opts;
	size_t i, j;
	int errs = p->diag.nerrors;

	p->sema.decls = arena_alloc(p->arena, (o->nmaps + 1) *
				    sizeof(*p->sema.decls));
	for (i = 0; i < o->nmaps; i++) {
		struct mapsym *m = decl_map(p, &o->maps[i]);

		for (j = 0; m && j < p->sema.ndecls; j++)
			if (!strcmp(p->sema.decls[j]->name, m->name)) {
				diag_plain(&p->diag, "declared map %s: declared "
					   "twice", m->name);
				m = NULL;
			}
		if (m)
			p->sema.decls[p->sema.ndecls++] = m;
	}
	return p->diag.nerrors - errs;
}

/* ---- descriptions ---- */

static enum ply_format format_of(const struct type *t)
{
	switch (t->fmt) {
	case TF_TIME: return PLY_FMT_TIME;
	case TF_WALLTIME: return PLY_FMT_WALLTIME;
	case TF_HEX: return PLY_FMT_HEX;
	case TF_SYM: return PLY_FMT_SYM;
	case TF_STACK: return PLY_FMT_STACK;
	default: return t->kind == T_PTR ? PLY_FMT_HEX : PLY_FMT_PLAIN;
	}
}

static enum ply_value_kind kind_of(const struct type *t)
{
	switch (t->kind) {
	case T_INT: return t->is_signed ? PLY_INT : PLY_UINT;
	case T_PTR: return PLY_UINT;
	case T_STR: return PLY_STR;
	default: return type_is_hist(t) ? PLY_HIST : PLY_BYTES;
	}
}

static struct ply_field field_of(const char *name, const struct field *f)
{
	struct ply_field pf = {
		.name = name, .kind = kind_of(f->type),
		.format = format_of(f->type), .offset = f->offset,
		.size = f->type->size,
	};

	return pf;
}

/* The source text of each argument of the call at loc: split at the
 * commas outside brackets, strings and characters. */
static void arg_names(struct ply *p, struct loc loc, const char **names,
		      size_t n, int skip)
{
	const char *t = p->src.text, *start;
	int line = 1, depth = 0;
	size_t k = 0;

	while (*t && line < loc.line)
		line += *t++ == '\n';
	t += loc.col - 1;
	while (*t && *t != '(')
		t++;
	if (!*t)
		return;
	for (start = ++t; *t && k < n + skip; t++) {
		if (*t == '"' || *t == '\'') {
			char q = *t;

			while (t[1] && t[1] != q)
				t += t[1] == '\\' && t[2] ? 2 : 1;
			if (t[1])
				t++;
		} else if (strchr("([{", *t)) {
			depth++;
		} else if (strchr(")]}", *t) && depth) {
			depth--;
		} else if (*t == ',' || *t == ')') {
			if (depth)
				continue;
			while (isspace((unsigned char)*start))
				start++;
			if (k >= (size_t)skip)
				names[k - skip] = arena_strndup(p->arena, start,
								t - start);
			k++;
			start = t + 1;
			if (*t == ')')
				break;
		}
	}
	for (k = 0; k < n; k++) {
		char *e;

		if (!names[k]) {
			names[k] = arena_printf(p->arena, "arg%zu", k);
			continue;
		}
		e = (char *)names[k] + strlen(names[k]);
		while (e > names[k] && isspace((unsigned char)e[-1]))
			*--e = '\0';
	}
}

static const enum ply_event_kind ev_kinds[] = {
	[EV_PRINTF] = PLY_EV_PRINTF, [EV_PRINT] = PLY_EV_PRINT,
	[EV_EXIT] = PLY_EV_EXIT, [EV_PRINTMAP] = PLY_EV_PRINTMAP,
	[EV_CLEAR] = PLY_EV_CLEAR,
};

static void site_describe(struct ply *p, const struct evsite *e,
			  struct ply_site *ps)
{
	const struct type *rec = e->rec;
	size_t n = rec && rec->nfields ? rec->nfields - 1 : 0, i;
	const char **names = arena_alloc(p->arena, (n + 1) * sizeof(*names));
	struct ply_field *f = arena_alloc(p->arena, (n + 1) * sizeof(*f));

	ps->id = e->id;
	ps->kind = ev_kinds[e->kind];
	ps->fmt = e->fmt;
	ps->map = e->map >= 0 && (size_t)e->map < p->sema.maps.n &&
		  (e->kind == EV_PRINTMAP || e->kind == EV_CLEAR) ?
		  p->sema.maps.v[e->map]->name : NULL;
	ps->line = e->loc.line;
	ps->col = e->loc.col;
	ps->size = rec ? rec->size : sizeof(uint64_t);
	arg_names(p, e->loc, names, n, e->kind == EV_PRINTF);
	for (i = 0; i < n; i++) {
		f[i] = field_of(names[i], &rec->fields[i + 1]);
		if (e->kind == EV_PRINTF)
			f[i].conv = fmt_conv(p->arena, e->fmt, i);
	}
	ps->nargs = n;
	ps->args = f;
}

static void map_describe(struct ply *p, const struct mapsym *m,
			 struct ply_map_info *mi)
{
	size_t n = m->ktype ? m->ktype->nfields : 0, i;
	struct ply_field *f = arena_alloc(p->arena, (n + 1) * sizeof(*f));
	struct field v = { .type = m->vtype };

	static const enum ply_agg aggs[] = {
		[AGG_NONE] = PLY_AGG_NONE, [AGG_COUNT] = PLY_AGG_COUNT,
		[AGG_SUM] = PLY_AGG_SUM, [AGG_QUANTIZE] = PLY_AGG_QUANTIZE,
		[AGG_MIN] = PLY_AGG_MIN, [AGG_MAX] = PLY_AGG_MAX,
		[AGG_AVG] = PLY_AGG_AVG, [AGG_STATS] = PLY_AGG_STATS,
		[AGG_LHIST] = PLY_AGG_LHIST,
	};

	mi->name = m->name;
	mi->is_agg = m->is_agg;
	mi->agg = aggs[m->agg];
	if (m->agg == AGG_LHIST) {
		mi->lhist.min = m->lh_min;
		mi->lhist.max = m->lh_max;
		mi->lhist.step = m->lh_step;
		mi->lhist.nbuckets = m->vtype->len;
	}
	mi->hidden = !strncmp(m->name, "__", 2);
	for (i = 0; i < n; i++)
		f[i] = field_of(arena_printf(p->arena, "key%zu", i),
				&m->ktype->fields[i]);
	mi->nkeys = n;
	mi->keys = f;
	mi->key_size = m->ktype ? m->ktype->size : sizeof(uint32_t);
	mi->value = field_of("value", &v);
	if (m->agg == AGG_LHIST)
		mi->value.kind = PLY_HIST;
	mi->value_size = m->vtype->size;
	mi->max_entries = m->max_entries ? m->max_entries :
			  p->opts.map_size ? p->opts.map_size : 4096;
}

static void describe(struct ply *p)
{
	size_t i;

	p->sites = arena_alloc(p->arena, (p->spec.nsites + 1) *
			       sizeof(*p->sites));
	for (i = 0; i < p->spec.nsites; i++)
		site_describe(p, p->spec.sites[i], &p->sites[i]);
	p->maps = arena_alloc(p->arena, (p->spec.nmaps + 1) *
			      sizeof(*p->maps));
	for (i = 0; i < p->spec.nmaps; i++)
		map_describe(p, p->spec.maps[i], &p->maps[i]);
}

/* ---- compile ---- */

/* The runtime's scope from the options, copied: the caller's arrays need
 * not outlive the call. The -c command is in it only with follow. */
static void scope_spec(struct ply *p)
{
	const struct ply_opts *o = &p->opts;
	struct rt_scope *s = &p->scope;
	const char **names;
	pid_t *pids;
	size_t i;

	s->npids = o->pids ? o->npids : 0;
	s->pids = pids = arena_alloc(p->arena, (s->npids + 1) * sizeof(*pids));
	for (i = 0; i < s->npids; i++)
		pids[i] = o->pids[i];
	s->nnames = o->names ? o->nnames : 0;
	s->names = names = arena_alloc(p->arena,
				       (s->nnames + 1) * sizeof(*names));
	for (i = 0; i < s->nnames; i++)
		names[i] = o->names[i] ? arena_strdup(p->arena, o->names[i]) :
					 "";
	s->cgroup = o->cgroup ? arena_strdup(p->arena, o->cgroup) : NULL;
	s->follow = o->follow;
	s->command = o->follow && o->command;
	if (s->cgroup)
		p->sema.scope = SCOPE_CGROUP;
	else if (s->npids || s->nnames || s->command)
		p->sema.scope = SCOPE_PIDS;
	if (p->sema.scope != SCOPE_NONE)
		p->spec.scope = s;
}

/* The caller's opts, of any size: fields this library does not know must
 * be zero. */
static int opts_copy(struct ply *p, const struct ply_opts *opts)
{
	const char *extra;
	size_t i;

	if (!opts)
		return 0;
	if (opts->sz < sizeof(size_t))
		return -EINVAL;
	memcpy(&p->opts, opts, opts->sz < sizeof(p->opts) ?
	       opts->sz : sizeof(p->opts));
	extra = (const char *)opts;
	for (i = sizeof(p->opts); i < opts->sz; i++)
		if (extra[i])
			return -E2BIG;
	return 0;
}

int ply__compile(struct ply **out, const char *text,
		 const struct ply_opts *opts)
{
	struct ply *p = calloc(1, sizeof(*p));
	int err;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->stop_fd = -1;
	err = opts_copy(p, opts);
	msg_name_default(prog_of(p));
	if (err) {
		msg_print(opts->err, prog_of(p), "error: ply_opts of %zu "
			  "bytes: %s\n", opts->sz, err == -E2BIG ?
			  "it has options this libply does not know" :
			  "set sz to sizeof(struct ply_opts)");
		free(p);
		return -EINVAL;
	}
	p->arena = arena__new();
	if (prog_of(p))
		p->opts.prog_name = arena_strdup(p->arena, p->opts.prog_name);
	p->src.name = p->opts.name ? p->opts.name : "<input>";
	p->src.text = arena_strdup(p->arena, text ? text : "");
	p->src.len = strlen(p->src.text);
	p->diag.out = err_of(p);
	p->diag.prog = prog_of(p);
	p->sema.arena = p->arena;
	p->sema.diag = &p->diag;
	p->sema.strsize = p->opts.strsize;
	p->sema.has_target = p->opts.command != NULL;
	p->sema.params = p->opts.params;
	p->command = p->opts.command;
	p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->stop_fd < 0) {
		err = -errno;
		ply__free(p);
		return err;
	}
	scope_spec(p);
	if (opts_check(p) || decls_make(p) ||
	    parse_program(&p->src, p->arena, &p->diag, &p->prog) ||
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
	p->spec.ringbuf_size = p->opts.ringbuf_size;
	p->spec.stack_depth = p->sema.uses_stack ? 64 : 0;
	describe(p);
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
	metrics__free(p->metrics);
	runtime__free(p->rt);
	if (p->out_file)
		fclose(p->out_file);
	progs_free(p);
	arena__free(p->arena);
	if (p->stop_fd >= 0)
		close(p->stop_fd);
	free(p->map_stats);
	free(p->probe_stats);
	free(p->read_stats);
	free(p->stat_buf);
	free(p->val_buf);
	free(p);
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
	if (ret == -E2BIG && p->irs[i].nsubs && p->sema.paths &&
	    p->sema.paths->loop) {
		/* no room on the stack for the path walk's loop beside the
		 * program (some kernels count both): the walk unrolled */
		p->sema.paths->loop = 0;
		ir_init(&p->irs[i], p->arena);
		ret = gen_probe(&p->sema, pr, &p->irs[i]) ? -EINVAL :
		      ir_to_bpf(&p->irs[i], &rp->insns, &rp->ninsns, err,
				sizeof(err));
		p->sema.paths->loop = 1;
		if (ret == -EINVAL)
			return ret;
	}
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
	struct ply_value v = { .kind = kind_of(t), .format = format_of(t),
			       .s = raw, .len = t->size };
	uint64_t u = 0;

	switch (t->kind) {
	case T_INT:
		memcpy(&u, raw, t->size);
		if (t->is_signed && t->size < 8 && (u >> (8 * t->size - 1)) & 1)
			u |= ~0ULL << (8 * t->size);
		v.i = (int64_t)u;
		v.u = u;
		v.s = NULL;
		v.len = 0;
		break;
	case T_PTR:
		memcpy(&u, raw, 8);
		v.u = u;
		v.i = (int64_t)u;
		v.s = NULL;
		v.len = 0;
		break;
	case T_STR:
		v.len = strnlen(raw, t->len);
		break;
	default:
		break;
	}
	return v;
}

/* A map's value: an lhist's counters are a histogram too. */
static struct ply_value map_value_of(const struct mapsym *m, const void *raw)
{
	struct ply_value v = value_of(m->vtype, raw);

	if (m->agg == AGG_LHIST)
		v.kind = PLY_HIST;
	return v;
}

static int map_index(const struct ply *p, const char *name)
{
	size_t i;

	for (i = 0; name && i < p->spec.nmaps; i++)
		if (!strcmp(p->spec.maps[i]->name, name))
			return (int)i;
	return -ENOENT;
}

int ply__map_print(struct ply *p, const char *name, FILE *out)
{
	int i = map_index(p, name), err;
	void *keys, *vals;
	size_t n;

	if (i < 0 || !p->rt)
		return i < 0 ? i : -EBADF;
	err = runtime__map_read(p->rt, i, &keys, &vals, &n);
	if (err)
		return err;
	out_map_sort(p->spec.maps[i], keys, vals, n);
	(p->opts.format == PLY_OUTPUT_JSON ? out_json_map : out_text_map)
		(out, &runtime__out(p->rt)->fmt, p->spec.maps[i], keys, vals, n);
	free(keys);
	free(vals);
	return 0;
}

void ply_event__fprint(const struct ply_event *ev, FILE *out)
{
	const struct event_priv *e = (const struct event_priv *)ev;

	switch (e->site->kind) {
	case EV_PRINTF:
	case EV_PRINT:
		if (ev->ply->opts.format == PLY_OUTPUT_JSON)
			out_json_event(out, e->fmt, e->site, ev->raw);
		else
			out_text_event(out, e->fmt, e->site, ev->raw);
		return;
	case EV_PRINTMAP:
		ply__map_print(ev->ply, ev->map, out);
		return;
	default:
		return;
	}
}

static void on_event(const struct evsite *site, const void *rec, size_t size,
		     void *ctx)
{
	struct ply *p = ctx;
	const struct type *t = site->rec;
	struct ply_value args[32];
	struct event_priv e = { .site = site,
				.fmt = &runtime__out(p->rt)->fmt };
	size_t i, n = t && t->nfields ? t->nfields - 1 : 0;

	for (i = 0; i < n && i < ARRAY_SIZE(args); i++)
		args[i] = value_of(t->fields[i + 1].type,
				   (const char *)rec + t->fields[i + 1].offset);
	e.ev.kind = ev_kinds[site->kind];
	e.ev.site = site->id;
	e.ev.fmt = site->fmt;
	e.ev.nargs = i;
	e.ev.args = args;
	e.ev.raw = rec;
	e.ev.raw_size = size;
	e.ev.map = p->sites[site->id].map;
	e.ev.ply = p;
	p->opts.on_event(p, &e.ev, p->opts.ctx);
}

static int metrics_start(struct ply *p)
{
	struct metrics_opts mo = {
		.addr = p->opts.metrics, .file = p->opts.metrics_file,
		.interval = p->opts.metrics_interval, .err = p->opts.err,
		.prog = prog_of(p),
	};

	if (!mo.addr && !mo.file)
		return 0;
	return metrics__new(&p->metrics, p->rt, &p->spec, &mo);
}

int ply__metrics_write(struct ply *p, FILE *out, int openmetrics)
{
	if (!p->rt)
		return -EBADF;
	return metrics_write_once(p->rt, &p->spec, out, openmetrics ?
				  PROM_OPENMETRICS : PROM_TEXT);
}

int ply__load(struct ply *p)
{
	struct rt_opts ro = {
		.out = p->opts.out, .err = p->opts.err, .debug = p->opts.debug,
		.format = p->opts.format == PLY_OUTPUT_JSON ? &out_json : NULL,
		.keep_going = p->opts.keep_going, .no_maps = p->opts.no_maps,
		.stop_req = &p->stop_req, .stop_fd = p->stop_fd,
		.prog = prog_of(p),
	};
	int ret;

	if (p->rt)
		return -EBUSY;
	if (p->opts.on_event) {
		ro.handler = on_event;
		ro.handler_ctx = p;
	}
	ret = ply__generate(p);
	if (ret)
		return ret;
	if (p->opts.output) {
		p->out_file = fopen(p->opts.output, "we");
		if (!p->out_file) {
			ret = -errno;
			msg_print(p->opts.err, prog_of(p), "error: cannot "
				  "write %s: %s\n", p->opts.output,
				  strerror(-ret));
			return ret;
		}
		ro.out = p->out_file;
	}
	p->rt = runtime__new(&p->spec, &ro);
	if (!p->rt)
		return -errno;
	/* The command exists (held) before loading: $target is patched in
	 * as its pid. */
	if (p->command) {
		ret = runtime__spawn(p->rt, p->command);
		if (ret)
			return ret;
	}
	ret = runtime__load(p->rt);
	return ret ? ret : metrics_start(p);
}

int ply__attach(struct ply *p)
{
	return p->rt ? runtime__attach(p->rt) : -EBADF;
}

int ply__start(struct ply *p)
{
	return p->rt ? runtime__start(p->rt) : -EBADF;
}

int ply__loop(struct ply *p)
{
	return p->rt ? runtime__loop(p->rt) : -EBADF;
}

int ply__fd(const struct ply *p)
{
	return p->rt ? runtime__fd(p->rt) : -EBADF;
}

int ply__step(struct ply *p, int timeout_ms)
{
	return p->rt ? runtime__step(p->rt, timeout_ms) : -EBADF;
}

void ply__stop(struct ply *p)
{
	uint64_t one = 1;
	int saved = errno;
	ssize_t n;

	p->stop_req = 1;
	n = write(p->stop_fd, &one, sizeof(one));	/* fails only when
							 * it is readable */
	(void)n;
	errno = saved;
}

/* The textfile is written after END, with the maps as they end. */
int ply__finish(struct ply *p)
{
	int err, merr;

	if (!p->rt)
		return -EBADF;
	err = runtime__finish(p->rt);
	merr = metrics__end(p->metrics);
	return err ? err : merr;
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

/* ---- descriptions ---- */

const struct ply_site *ply__sites(const struct ply *p, size_t *n)
{
	*n = p->spec.nsites;
	return p->sites;
}

const struct ply_map_info *ply__maps(const struct ply *p, size_t *n)
{
	*n = p->spec.nmaps;
	return p->maps;
}

const struct ply_map_info *ply__map_info(const struct ply *p,
					 const char *name)
{
	int i = map_index(p, name);

	return i < 0 ? NULL : &p->maps[i];
}

/* ---- maps ---- */

/* The map by name, loaded: its index, or a negative errno. */
static int map_loaded(const struct ply *p, const char *name)
{
	int i = map_index(p, name);

	if (i >= 0 && !p->rt)
		return -EBADF;
	return i;
}

/* One typed value into its bytes at dst: an integer of any size, a string
 * shorter than its size (NUL-padded), bytes of exactly its size. */
static int value_put(const struct type *t, const struct ply_value *v,
		     char *dst)
{
	uint64_t u;

	memset(dst, 0, t->size);
	switch (t->kind) {
	case T_INT:
	case T_PTR:
		if (v->kind != PLY_INT && v->kind != PLY_UINT)
			return -EINVAL;
		u = v->kind == PLY_INT ? (uint64_t)v->i : v->u;
		memcpy(dst, &u, t->size < 8 ? t->size : 8);
		return 0;
	case T_STR:
		if (v->kind != PLY_STR || v->len >= t->size ||
		    (v->len && !v->s) || memchr(v->s, '\0', v->len))
			return -EINVAL;
		memcpy(dst, v->s, v->len);
		return 0;
	default:
		if ((v->kind != PLY_BYTES && v->kind != PLY_HIST) ||
		    v->len != t->size || !v->s)
			return -EINVAL;
		memcpy(dst, v->s, t->size);
		return 0;
	}
}

/* Typed keys into the key buffer of map i (at least 4 bytes). */
static int key_put(const struct ply *p, size_t i, const struct ply_value *keys,
		   size_t nkeys, char *buf)
{
	const struct mapsym *m = p->spec.maps[i];
	size_t k, n = m->ktype ? m->ktype->nfields : 0;
	int err;

	if (nkeys != n)
		return -EINVAL;
	if (!n) {
		memset(buf, 0, sizeof(uint32_t));
		return 0;
	}
	memset(buf, 0, m->ktype->size);
	for (k = 0; k < n; k++) {
		err = value_put(m->ktype->fields[k].type, &keys[k],
				buf + m->ktype->fields[k].offset);
		if (err)
			return err;
	}
	return 0;
}

static char *val_buf(struct ply *p, size_t size)
{
	char *b;

	if (size <= p->val_cap)
		return p->val_buf;
	b = realloc(p->val_buf, size);
	if (!b)
		return NULL;
	p->val_cap = size;
	return p->val_buf = b;
}

static size_t map_key_size(const struct mapsym *m)
{
	return m->ktype ? m->ktype->size : sizeof(uint32_t);
}

/* key and value buffers of map name, the key filled from keys. */
static int typed_key(struct ply *p, const char *name,
		     const struct ply_value *keys, size_t nkeys, char **key,
		     char **val)
{
	int i = map_loaded(p, name), err;
	const struct mapsym *m;

	if (i < 0)
		return i;
	m = p->spec.maps[i];
	*key = val_buf(p, ALIGN_UP(map_key_size(m), 8) +
			    ALIGN_UP(m->vtype->size, 8));
	if (!*key)
		return -ENOMEM;
	*val = *key + ALIGN_UP(map_key_size(m), 8);
	err = key_put(p, i, keys, nkeys, *key);
	return err ? err : i;
}

int ply__map_lookup(struct ply *p, const char *name,
		    const struct ply_value *keys, size_t nkeys,
		    struct ply_value *value)
{
	char *key, *val;
	int i = typed_key(p, name, keys, nkeys, &key, &val), err;

	if (i < 0)
		return i;
	err = runtime__map_lookup(p->rt, i, key, val);
	if (!err)
		*value = map_value_of(p->spec.maps[i], val);
	return err;
}

int ply__map_update(struct ply *p, const char *name,
		    const struct ply_value *keys, size_t nkeys,
		    const struct ply_value *value)
{
	char *key, *val;
	int i = typed_key(p, name, keys, nkeys, &key, &val), err;

	if (i < 0)
		return i;
	err = value_put(p->spec.maps[i]->vtype, value, val);
	return err ? err : runtime__map_update(p->rt, i, key, val);
}

int ply__map_delete(struct ply *p, const char *name,
		    const struct ply_value *keys, size_t nkeys)
{
	char *key, *val;
	int i = typed_key(p, name, keys, nkeys, &key, &val);

	return i < 0 ? i : runtime__map_delete(p->rt, i, key);
}

int ply__map_lookup_raw(struct ply *p, const char *name, const void *key,
			void *value)
{
	int i = map_loaded(p, name);

	return i < 0 ? i : runtime__map_lookup(p->rt, i, key, value);
}

int ply__map_update_raw(struct ply *p, const char *name, const void *key,
			const void *value)
{
	int i = map_loaded(p, name);

	return i < 0 ? i : runtime__map_update(p->rt, i, key, value);
}

int ply__map_delete_raw(struct ply *p, const char *name, const void *key)
{
	int i = map_loaded(p, name);

	return i < 0 ? i : runtime__map_delete(p->rt, i, key);
}

int ply__map_foreach(struct ply *p, const char *name, ply_map_fn fn,
		     void *ctx)
{
	const struct mapsym *m;
	struct ply_value keys[16], val;
	void *kbuf = NULL, *vbuf = NULL;
	size_t i, j, n, nk;
	int ret, mi = map_loaded(p, name);

	if (mi < 0)
		return mi;
	m = p->spec.maps[mi];
	ret = runtime__map_read(p->rt, mi, &kbuf, &vbuf, &n);
	if (ret)
		return ret;
	nk = m->ktype ? m->ktype->nfields : 0;
	for (i = 0; i < n; i++) {
		const char *k = (const char *)kbuf + i * map_key_size(m);

		for (j = 0; j < nk && j < ARRAY_SIZE(keys); j++)
			keys[j] = value_of(m->ktype->fields[j].type,
					   k + m->ktype->fields[j].offset);
		val = map_value_of(m, (const char *)vbuf + i * m->vtype->size);
		fn(nk ? keys : NULL, nk, &val, ctx);
	}
	free(kbuf);
	free(vbuf);
	return 0;
}

/* ---- stats ---- */

int ply__stats(struct ply *p, struct ply_stats *st)
{
	size_t nm = p->spec.nmaps, np = p->spec.nprogs, nr = p->spec.nreads, i;
	struct rt_stats rs = { 0 };
	uint64_t *b;
	int err;

	memset(st, 0, sizeof(*st));
	if (!p->rt)
		return -EBADF;
	if (!p->stat_buf) {
		p->stat_buf = calloc(nm + 2 * np + nr + 1, sizeof(*p->stat_buf));
		p->map_stats = calloc(nm + 1, sizeof(*p->map_stats));
		p->probe_stats = calloc(np + 1, sizeof(*p->probe_stats));
		p->read_stats = calloc(nr + 1, sizeof(*p->read_stats));
		if (!p->stat_buf || !p->map_stats || !p->probe_stats ||
		    !p->read_stats)
			return -ENOMEM;
	}
	b = p->stat_buf;
	rs.map_dropped = b;
	rs.prog_missed = b + nm;
	rs.prog_skipped = b + nm + np;
	rs.read_failed = b + nm + 2 * np;
	err = runtime__stats(p->rt, &rs);
	if (err)
		return err;
	for (i = 0; i < nm; i++) {
		p->map_stats[i].name = p->spec.maps[i]->name;
		p->map_stats[i].dropped = rs.map_dropped[i];
	}
	for (i = 0; i < np; i++) {
		p->probe_stats[i].name = p->progs[i].name;
		p->probe_stats[i].missed = rs.prog_missed[i];
		p->probe_stats[i].skipped = rs.prog_skipped[i];
	}
	for (i = 0; i < nr; i++) {
		p->read_stats[i].fn = p->spec.reads[i]->fn;
		p->read_stats[i].line = p->spec.reads[i]->loc.line;
		p->read_stats[i].col = p->spec.reads[i]->loc.col;
		p->read_stats[i].failed = rs.read_failed[i];
	}
	st->nreads = nr;
	st->reads = p->read_stats;
	st->lost = rs.lost;
	st->malformed = rs.bad_events;
	st->nmaps = nm;
	st->maps = p->map_stats;
	st->nprobes = np;
	st->probes = p->probe_stats;
	st->scope_full = rs.scope_full;
	return 0;
}

void ply_json_str(FILE *f, const void *s, size_t len)
{
	json_str(f, s, len);
}

void ply_str_escape(FILE *f, const char *s, size_t len)
{
	str_escape(f, s, len);
}

/* ---- -l ---- */

int ply__list(const struct ply_list_opts *opts)
{
	struct list_req r = { 0 };
	struct arena *a;
	int n;

	if (!opts || opts->sz < sizeof(size_t))
		return -EINVAL;
	if (opts->sz > sizeof(*opts)) {
		const char *extra = (const char *)opts;
		size_t i;

		for (i = sizeof(*opts); i < opts->sz; i++)
			if (extra[i])
				return -E2BIG;
	}
	a = arena__new();
	if (!a)
		return -ENOMEM;
	r.glob = opts->glob && *opts->glob ? opts->glob : NULL;
	r.verbose = opts->sz > offsetof(struct ply_list_opts, verbose) ?
		opts->verbose : 0;
	r.out = opts->sz > offsetof(struct ply_list_opts, out) && opts->out ?
		opts->out : stdout;
	r.arena = a;
	n = provider_list(&r);
	fflush(r.out);
	arena__free(a);
	return n;
}
