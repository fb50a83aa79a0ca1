/* sema: resolve names, infer and check types.
 *
 * Map types are learned from assignments anywhere in the program, so a
 * probe may read a map that a later probe fills. Statements are checked
 * silently, and again when a map they read learns more, until nothing
 * changes; a last pass then reports every error it finds. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "btf.h"
#include "ir.h"
#include "path.h"
#include "printf.h"
#include "provider.h"
#include "sema.h"

static const struct builtin builtins[] = {
	{ "comm", BI_COMM, 0 },
	{ "execname", BI_COMM, 0 },
	{ "pid", BI_PID, 0 },
	{ "kpid", BI_KPID, 0 },
	{ "uid", BI_UID, 0 },
	{ "gid", BI_GID, 0 },
	{ "cpu", BI_CPU, 0 },
	{ "time", BI_TIME, 0 },
	{ "walltime", BI_WALLTIME, 0 },
	{ "stack", BI_STACK, 0 },
	{ "curtask", BI_CURTASK, 0 },
	{ "ppid", BI_PPID, 0 },
	/* the aggregating functions, one row each in agg.c's table too */
	{ "count", BI_AGG, 1 },
	{ "sum", BI_AGG, 1 },
	{ "min", BI_AGG, 1 },
	{ "max", BI_AGG, 1 },
	{ "avg", BI_AGG, 1 },
	{ "stats", BI_AGG, 1 },
	{ "quantize", BI_AGG, 1 },
	{ "lhist", BI_AGG, 1 },
	{ "str", BI_STR, 1 },
	{ "dyn", BI_DYN, 1 },
	{ "mem", BI_MEM, 1 },
	{ "strcmp", BI_STRCMP, 1 },
	{ "strncmp", BI_STRNCMP, 1 },
	{ "printf", BI_PRINTF, 1 },
	{ "print", BI_PRINT, 1 },
	{ "exit", BI_EXIT, 1 },
	{ "clear", BI_CLEAR, 1 },
	{ "path", BI_PATH, 1 },
	{ "fdpath", BI_FDPATH, 1 },
	{ "cwd", BI_CWD, 0 },
};

static const struct builtin provider_var = { "(provider)", BI_PROVIDER_VAR, 0 };

static const struct builtin *builtin_find(const char *name, int is_func)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(builtins); i++)
		if (builtins[i].is_func == is_func &&
		    !strcmp(builtins[i].name, name))
			return &builtins[i];
	return NULL;
}

#define error(s, l, ...) do {					\
	if ((s)->final)						\
		diag_error((s)->diag, (l), __VA_ARGS__);	\
} while (0)

static struct type *check_expr(struct sema *s, struct node *n);
static struct type *check_expr_kind(struct sema *s, struct node *n);
static const char *name_hint(struct sema *s, const char *name, int is_func);

static int nargs(const struct node *args)
{
	int n = 0;

	for (; args; args = args->next)
		n++;
	return n;
}

/* ply builds every key, value, string buffer and event record on the BPF
 * stack, so one larger than that can never work: refused where it is
 * made, rather than as a stack overflow of the whole statement. */
/* A kernel struct held by value (printed, a map's key or value): its
 * members, and theirs, known. Pointers are not followed; a struct that
 * fits the stack holds finitely many. */
static void complete(struct sema *s, struct type *t)
{
	size_t i;

	if (!t || t->size > BPF_STACK_SIZE)
		return;
	if (t->kind == T_ARRAY)
		complete(s, t->elem);
	if (t->kind != T_STRUCT || !t->btf || t->fields)
		return;
	kbtf_complete(s->kbtf, t);
	for (i = 0; i < t->nfields; i++)
		complete(s, t->fields[i].type);
}

static int fits_stack(struct sema *s, struct loc l, struct type *t,
		      const char *what)
{
	complete(s, t);
	if (!t || t->size <= BPF_STACK_SIZE)
		return 1;
	error(s, l, "%s too long for %s: %zu bytes, and the BPF stack it is "
	      "built on has %d", t->kind == T_STR ? "string" :
	      t->kind == T_ARRAY ? "array" : "value", what, t->size,
	      BPF_STACK_SIZE);
	return 0;
}

/* ---- map type inference ---- */

/* Integers are kept 64 bits wide in maps so any integer can go in. */
static struct type *widen(struct sema *s, struct type *t)
{
	if (t->kind == T_INT && t->size < 8)
		return type_with_fmt(s->arena, type_int(8, t->is_signed), t->fmt);
	return t;
}

static struct type *merge(struct sema *s, struct type *old, struct type *new);
static struct type *tuple_of(struct sema *s, struct type **members, size_t n);

/* Two tuples of as many members: member by member. */
static struct type *merge_tuple(struct sema *s, struct type *old,
				struct type *new)
{
	struct type **m = arena_alloc(s->arena, old->nfields * sizeof(*m));
	size_t i;
	int same = 1;

	for (i = 0; i < old->nfields; i++) {
		m[i] = merge(s, old->fields[i].type, new->fields[i].type);
		if (!m[i])
			return NULL;
		same &= m[i] == old->fields[i].type;
	}
	return same ? old : tuple_of(s, m, old->nfields);
}

/* The type that holds both old and new, or NULL if they conflict. It
 * only ever moves one way (signed, plain, longer), so inference ends: an
 * integer stored both signed and unsigned is signed, and values stored
 * with different formats (a time and a size) get no format. */
static struct type *merge(struct sema *s, struct type *old, struct type *new)
{
	struct type *t = old;

	if (!old)
		return new;
	if (type_is_scalar(old) && type_is_scalar(new)) {
		if (old->kind == T_INT && !old->is_signed && new->kind == T_INT &&
		    new->is_signed)
			t = type_with_fmt(s->arena, &type_s64, old->fmt);
	} else if (old->kind == T_STR && new->kind == T_STR) {
		return new->len > old->len ? new : old;
	} else if (old->tuple && new->tuple && old->nfields == new->nfields) {
		return merge_tuple(s, old, new);
	} else if (!type_equal(old, new)) {
		return NULL;
	}
	if (t->fmt != new->fmt && t->fmt != TF_NONE) {
		t = type_with_fmt(s->arena, t, TF_NONE);
		if (t->kind == T_ARRAY)		/* a histogram's buckets */
			t->elem = type_with_fmt(s->arena, t->elem, TF_NONE);
	}
	return t;
}

/* ---- the inference's bookkeeping ----
 * Map types are learned from statements anywhere in the program. Instead
 * of checking the whole program again until nothing changes (cubic on a
 * chain of copies a1[1] = a2[1]; a2[1] = a3[1]; ...), the program is cut
 * into units (a statement, a condition, a predicate), each unit records
 * the maps it reads, and a unit is checked again only when the value type
 * of a map it reads has changed. Units are taken in program order within
 * a sweep; one that must be checked again but comes before the unit that
 * changed a map waits for the next sweep, which is the order a full pass
 * would check them in. */

enum unit_kind { U_PRED, U_COND, U_STMT };

struct unit {
	enum unit_kind kind;
	struct probe *probe;
	struct node *n;
	VEC(int) reads;		/* map indices */
	int queued;		/* the sweep it is queued for, 0 if none */
};

struct mapinfo {
	VEC(int) readers;	/* unit indices */
	int stamp;		/* the check that last read it */
};

struct infer {
	VEC(struct unit) units;
	VEC(struct mapinfo) maps;	/* by map index */
	struct mapsym **table;		/* open addressing, by name */
	size_t tcap;
	VEC(int) heap;		/* this sweep's units, a min-heap */
	VEC(int) next;		/* the next sweep's */
	int cur;		/* the unit being checked, -1 if none */
	int sweep;
	int stamp;		/* counts checks */
};

static size_t name_hash(const char *name)
{
	size_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

static struct mapsym **map_slot(struct infer *inf, const char *name)
{
	size_t i = name_hash(name) & (inf->tcap - 1);

	while (inf->table[i] && strcmp(inf->table[i]->name, name))
		i = (i + 1) & (inf->tcap - 1);
	return &inf->table[i];
}

static void map_table_grow(struct sema *s)
{
	struct infer *inf = s->inf;
	size_t i;

	inf->tcap = inf->tcap ? inf->tcap * 2 : 64;
	inf->table = arena_alloc(s->arena, inf->tcap * sizeof(*inf->table));
	for (i = 0; i < s->maps.n; i++)
		*map_slot(inf, s->maps.v[i]->name) = s->maps.v[i];
}

static struct infer *infer_state(struct sema *s)
{
	if (!s->inf) {
		s->inf = arena_alloc(s->arena, sizeof(*s->inf));
		s->inf->cur = -1;
		map_table_grow(s);
	}
	return s->inf;
}

/* The map called name, or NULL. */
static struct mapsym *map_find(struct sema *s, const char *name)
{
	return *map_slot(infer_state(s), name);
}

/* Enter m in the program's map table. */
static void map_add(struct sema *s, struct mapsym *m)
{
	struct infer *inf = infer_state(s);
	struct mapinfo mi = { 0 };

	m->index = s->maps.n;
	vec_push(s->arena, &s->maps, m);
	vec_push(s->arena, &inf->maps, mi);
	if (2 * s->maps.n > inf->tcap)
		map_table_grow(s);
	else
		*map_slot(inf, m->name) = m;
}

static struct mapsym *map_get(struct sema *s, struct node *n)
{
	struct mapsym *m;

	if (n->map)
		return n->map;
	m = map_find(s, n->name);
	if (m)
		return m;
	m = arena_alloc(s->arena, sizeof(*m));
	m->name = n->name;
	m->is_agg = n->name[0] == '@';
	m->kloc.line = -1;
	m->vloc.line = -1;
	map_add(s, m);
	return m;
}

static void heap_push(struct sema *s, int u)
{
	struct infer *inf = s->inf;
	size_t i;
	int t, *h;

	vec_push(s->arena, &inf->heap, u);
	h = inf->heap.v;
	for (i = inf->heap.n - 1; i && h[(i - 1) / 2] > h[i]; i = (i - 1) / 2) {
		t = h[i];
		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
	}
}

static int heap_pop(struct infer *inf)
{
	int *h = inf->heap.v, top = h[0], t;
	size_t n = --inf->heap.n, i = 0, c;

	h[0] = h[n];
	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && h[c + 1] < h[c])
			c++;
		if (h[i] <= h[c])
			break;
		t = h[i];
		h[i] = h[c];
		h[c] = t;
		i = c;
	}
	return top;
}

/* Unit u is to be checked again: in this sweep if it comes after the unit
 * being checked, else in the next. */
static void unit_requeue(struct sema *s, int u)
{
	struct infer *inf = s->inf;
	struct unit *un = &inf->units.v[u];

	if (u > inf->cur) {
		if (un->queued != inf->sweep) {
			un->queued = inf->sweep;
			heap_push(s, u);
		}
	} else if (un->queued != inf->sweep + 1) {
		un->queued = inf->sweep + 1;
		vec_push(s->arena, &inf->next, u);
	}
}

/* m's value type changed: what reads it must be checked again. */
static void value_changed(struct sema *s, struct mapsym *m)
{
	struct mapinfo *mi;
	size_t i;

	s->changed = 1;
	if (!s->inf || s->final)
		return;
	mi = &s->inf->maps.v[m->index];
	for (i = 0; i < mi->readers.n; i++)
		unit_requeue(s, mi->readers.v[i]);
}

/* The unit being checked reads m. */
static void map_read(struct sema *s, struct mapsym *m)
{
	struct infer *inf = s->inf;
	struct mapinfo *mi;
	struct unit *u;
	size_t i;

	if (!inf || inf->cur < 0 || s->final)
		return;
	mi = &inf->maps.v[m->index];
	if (mi->stamp == inf->stamp)
		return;
	mi->stamp = inf->stamp;
	u = &inf->units.v[inf->cur];
	for (i = 0; i < u->reads.n; i++)
		if (u->reads.v[i] == m->index)
			return;
	vec_push(s->arena, &u->reads, m->index);
	vec_push(s->arena, &mi->readers, inf->cur);
}

static void conflict(struct sema *s, struct loc here, struct loc there,
		     const char *what, const char *name, const struct type *a,
		     const struct type *b)
{
	if (!s->final)
		return;
	diag_error(s->diag, here, "%s of map %s: %s here conflicts with %s",
		   what, name, b->name, a->name);
	if (there.line)
		diag_note(s->diag, there, "%s of %s first set to %s here",
			  what, name, a->name);
	else
		diag_note(s->diag, here, "%s of %s is declared %s by the "
			  "program that runs ply", what, name, a->name);
}

/* The name of each key of m, from this use's key expressions: a bare
 * variable (comm) or a field (data->ret: ret) names it, if every use
 * agrees; anything else, or uses that differ, leave it unnamed (""). */
static void learn_key_names(struct sema *s, struct node *n, struct mapsym *m,
			    int nk)
{
	const char *name;
	struct node *k;
	int i;

	if (!nk || (m->ktype && (int)m->ktype->nfields != nk))
		return;
	if (!m->knames) {
		m->knames = arena_alloc(s->arena, nk * sizeof(*m->knames));
		for (i = 0, k = n->keys; k; k = k->next, i++)
			m->knames[i] = k->kind == N_IDENT ||
				k->kind == N_MEMBER ? k->name : "";
		return;
	}
	for (i = 0, k = n->keys; k; k = k->next, i++) {
		name = k->kind == N_IDENT || k->kind == N_MEMBER ? k->name : "";
		if (strcmp(name, m->knames[i]))
			m->knames[i] = "";
	}
}

/* Learn or check the key tuple of n's map from its key expressions. */
static void check_keys(struct sema *s, struct node *n, struct mapsym *m)
{
	struct type *kt[16], *merged;
	struct node *k;
	int i, nk = nargs(n->keys), known = 1, grew = 0;

	if (nk > (int)ARRAY_SIZE(kt)) {
		error(s, n->loc, "map %s has more than %zu keys", n->name,
		      ARRAY_SIZE(kt));
		return;
	}
	for (i = 0, k = n->keys; k; k = k->next, i++) {
		kt[i] = check_expr(s, k);
		if (!kt[i])
			known = 0;
		else if (kt[i]->kind == T_VOID) {
			error(s, k->loc, "a map key must have a value");
			known = 0;
		} else if (!fits_stack(s, k->loc, kt[i], "a map key")) {
			known = 0;
		} else
			kt[i] = widen(s, kt[i]);
	}
	if (m->kloc.line < 0) {
		if (!known)
			return;
		m->ktype = nk ? type_tuple(s->arena, "key", kt, nk) : NULL;
		learn_key_names(s, n, m, nk);
		m->kloc = n->loc;
		s->changed = 1;
		return;
	}
	if ((int)(m->ktype ? m->ktype->nfields : 0) != nk) {
		if (s->final) {
			diag_error(s->diag, n->loc, "map %s used with %d "
				   "key%s here and with %zu elsewhere", n->name,
				   nk, nk == 1 ? "" : "s",
				   m->ktype ? m->ktype->nfields : 0);
			diag_note(s->diag, m->kloc, "used with %zu key%s here",
				  m->ktype ? m->ktype->nfields : 0,
				  m->ktype && m->ktype->nfields == 1 ? "" : "s");
		}
		return;
	}
	if (!known || !nk)
		return;
	learn_key_names(s, n, m, nk);
	for (i = 0; i < nk; i++) {
		struct type *old = m->ktype->fields[i].type;

		merged = merge(s, old, kt[i]);
		if (!merged) {
			conflict(s, n->loc, m->kloc, "key", n->name, old, kt[i]);
			return;
		}
		grew |= merged != old;
		kt[i] = merged;
	}
	if (grew) {
		s->changed = 1;
		m->ktype = type_tuple(s->arena, "key", kt, nk);
	}
}

static void learn_value(struct sema *s, struct node *n, struct mapsym *m,
			struct type *t)
{
	struct type *merged;

	if (!t)
		return;
	t = widen(s, t);
	merged = merge(s, m->vtype, t);
	if (!merged) {
		conflict(s, n->loc, m->vloc, "value", n->name, m->vtype, t);
		return;
	}
	if (merged != m->vtype) {
		if (!m->vtype)
			m->vloc = n->loc;
		m->vtype = merged;
		value_changed(s, m);
	}
}

/* ---- expressions ---- */

/* A struct the probe's context is (a tracepoint's record, pt_regs): read
 * only through the probe's own pointer to it. */
static int is_ctx_struct(const struct type *t)
{
	return t->kind == T_STRUCT && !t->btf;
}

/* Where a value is in memory, so that '.', '[]' and '&' can reach into
 * it: a member, an element, what a pointer points to. */
static int in_memory(const struct node *n)
{
	return n->kind == N_MEMBER || n->kind == N_INDEX ||
	       (n->kind == N_UNARY && n->op == TK_STAR);
}

/* A tuple of these members, named after them: "(s64, char[16])". */
static struct type *tuple_of(struct sema *s, struct type **members, size_t n)
{
	struct type *t = type_tuple(s->arena, NULL, members, n);
	char *name = "(";
	size_t i;

	for (i = 0; i < n; i++)
		name = arena_printf(s->arena, "%s%s%s", name, i ? ", " : "",
				    members[i]->name);
	t->name = arena_printf(s->arena, "%s)", name);
	t->tuple = 1;
	return t;
}

/* (a, b, ...), a map's value: integers 64 bits wide, as in maps. */
static struct type *check_tuple(struct sema *s, struct node *n)
{
	struct type **m, *t;
	struct node *a;
	size_t i = 0;
	int bad = 0;

	m = arena_alloc(s->arena, nargs(n->args) * sizeof(*m));
	for (a = n->args; a; a = a->next) {
		t = a->kind == N_TUPLE ? NULL : check_expr(s, a);
		if (a->kind == N_TUPLE)
			error(s, a->loc, "a tuple cannot hold a tuple");
		else if (t && t->kind == T_VOID)
			error(s, a->loc, "this expression has no value to "
			      "hold");
		if (!t || t->kind == T_VOID) {
			bad = 1;
			continue;
		}
		m[i++] = widen(s, t);
	}
	return bad ? NULL : tuple_of(s, m, i);
}

static struct type *check_map_read(struct sema *s, struct node *n)
{
	struct mapsym *m = map_get(s, n);

	n->map = m;
	map_read(s, m);
	check_keys(s, n, m);
	if (m->is_agg) {
		error(s, n->loc, "aggregation %s cannot be read in a probe: its "
		      "value is kept per CPU and only summed when printed; use "
		      "a plain map (without '@') to carry values between probes",
		      n->name);
		return NULL;
	}
	if (!m->rloc.line)
		m->rloc = n->loc;
	return m->vtype;
}

/* The kernel's offsets for the path walk, read from its BTF once. */
static int path_offs_need(struct sema *s, struct loc l)
{
	const char *why = NULL;

	if (s->paths)
		return 0;
	s->paths = arena_alloc(s->arena, sizeof(*s->paths));
	if (s->kbtf && !path_offs_get(s->kbtf, s->paths, &why, s->arena))
		return 0;
	s->paths = NULL;
	error(s, l, "paths are read from kernel structures, and %s",
	      why ? why : "the kernel's BTF could not be read");
	return -1;
}

/* A call whose failed reads are counted (str, mem, dyn, path, fdpath,
 * cwd) gets a read site, on the final pass only. */
static void read_site_add(struct sema *s, struct node *n)
{
	struct readsite *r = arena_alloc(s->arena, sizeof(*r));

	r->id = n->site = s->reads.n;
	r->fn = n->name;
	r->loc = n->loc;
	vec_push(s->arena, &s->reads, r);
}

/* What path() takes: an address (an integer, a pointer), and once the
 * language has kernel types, a struct path *. */
static int path_arg_ok(const struct type *t)
{
	if (t->kind == T_PTR && t->elem && t->elem->kind == T_STRUCT)
		return !strcmp(t->elem->name, "struct path");
	return type_is_scalar(t);
}

/* path(p), fdpath(fd), cwd: a string of PATH_SIZE bytes. */
static struct type *check_path(struct sema *s, struct node *n)
{
	const struct builtin *bi = n->sym;
	struct type *t;

	if (bi->id != BI_CWD) {
		if (nargs(n->args) != 1) {
			error(s, n->loc, "%s() takes one argument, %s",
			      n->name, bi->id == BI_PATH ? "a struct path *" :
			      "a file descriptor");
			return NULL;
		}
		t = check_expr(s, n->args);
		if (!t)
			return NULL;
		if (bi->id == BI_PATH ? !path_arg_ok(t) : t->kind != T_INT) {
			error(s, n->args->loc, "%s() takes %s, not %s", n->name,
			      bi->id == BI_PATH ? "a struct path *" :
			      "a file descriptor (an integer)", t->name);
			return NULL;
		}
	}
	if (path_offs_need(s, n->loc))
		return NULL;
	if (s->final)
		read_site_add(s, n);
	return type_str(s->arena, PATH_SIZE);
}

/* ---- kernel types ---- */

static const char *const kind_words[] = {
	[KBTF_STRUCT] = "struct ", [KBTF_UNION] = "union ",
	[KBTF_ENUM] = "enum ", [KBTF_TYPEDEF] = "",
};

/* The kernel's type `kind name`, or NULL with an error at l: no BTF, or
 * no such type (with the closest name it has). */
static struct type *ktype(struct sema *s, struct loc l, enum kbtf_kind kind,
			  const char *name)
{
	const char *why, *best;
	struct type *t;

	if (kbtf_load(s->kbtf, &why)) {
		error(s, l, "%s", why);
		return NULL;
	}
	t = kbtf_named(s->kbtf, kind, name);
	if (t || !s->final)
		return t;
	best = kbtf_closest(s->kbtf, kind, "", name);
	error(s, l, "the kernel has no type %s%s%s%s%s%s", kind_words[kind],
	      name, best ? " (did you mean '" : "", best ? kind_words[kind] : "",
	      best ? best : "", best ? "'?)" : "");
	return NULL;
}

/* struct task_struct *: curtask's type. */
static struct type *task_ptr(struct sema *s, struct loc l)
{
	struct type *t = ktype(s, l, KBTF_STRUCT, "task_struct");

	return t ? type_ptr(s->arena, t) : NULL;
}

static struct type *check_member(struct sema *s, struct node *n);

/* ppid is curtask->real_parent->tgid, and becomes that. */
static struct type *check_ppid(struct sema *s, struct node *n)
{
	struct node *task = node_new(s->arena, N_IDENT, n->loc);
	struct node *parent = node_new(s->arena, N_MEMBER, n->loc);

	task->name = "curtask";
	parent->arrow = 1;
	parent->name = "real_parent";
	parent->a = task;
	n->kind = N_MEMBER;
	n->arrow = 1;
	n->name = "tgid";
	n->a = parent;
	n->sym = NULL;
	return check_member(s, n);
}

static struct type *check_ident(struct sema *s, struct node *n)
{
	const struct builtin *bi = builtin_find(n->name, 0);
	struct type *t;

	if (!bi) {
		if (builtin_find(n->name, 1)) {
			error(s, n->loc, "%s is a function: write %s(...)",
			      n->name, n->name);
			return NULL;
		}
		int ctx_off = -1;

		t = s->probe->prov->var(s->probe, s->arena, n->name, &ctx_off);
		if (!t) {
			error(s, n->loc, "unknown variable '%s'%s", n->name,
			      s->final ? name_hint(s, n->name, 0) : "");
			return NULL;
		}
		n->sym = &provider_var;
		n->ival = (uint64_t)(int64_t)ctx_off;
		return t;
	}
	n->sym = bi;
	switch (bi->id) {
	case BI_COMM:
		return type_str(s->arena, 16);
	case BI_PID: case BI_KPID: case BI_UID: case BI_GID: case BI_CPU:
		return &type_u32;
	case BI_TIME:
		return type_with_fmt(s->arena, &type_s64, TF_TIME);
	case BI_WALLTIME:
		return type_with_fmt(s->arena, &type_s64, TF_WALLTIME);
	case BI_CWD:
		return check_path(s, n);
	case BI_STACK:
		if (!(s->probe->prov->flags & PROV_STACK)) {
			error(s, n->loc, "stack is not available in %s",
			      s->probe->provider);
			return NULL;
		}
		s->uses_stack = 1;
		return type_with_fmt(s->arena, &type_s64, TF_STACK);
	case BI_CURTASK:
		return task_ptr(s, n->loc);
	case BI_PPID:
		return check_ppid(s, n);
	default:
		unreachable();
	}
}

/* What bpftrace users write, and how ply says it. */
static const struct {
	const char *name, *hint;
} habits[] = {
	{ "args", " (bpftrace's args: a tracepoint's record is data in ply, "
	  "as in data->filename; a kprobe's arguments are arg0-arg5, and "
	  "args where the kernel's BTF has the function; rawtracepoint and "
	  "fentry have args)" },
	{ "tid", " (bpftrace's tid is kpid in ply; pid is the process's)" },
	{ "nsecs", " (bpftrace's nsecs is time in ply: nanoseconds since "
	  "boot)" },
	{ "kstack", " (bpftrace's kstack is stack in ply)" },
	{ "ustack", " (ply has kernel stacks only: stack)" },
	{ "cpid", " (bpftrace's cpid is $target in ply)" },
	{ "func", " (in ply the probed address is caller, printed as "
	  "symbol+offset)" },
	{ "hist", " (bpftrace's hist() is quantize() in ply)" },
};

/* Why a variable or function name is unknown: a bpftrace habit, a
 * provider variable of other probes, or a typo of a name that is there. */
static const char *name_hint(struct sema *s, const char *name, int is_func)
{
	const char *const *pvars = s->probe->prov->vars;
	const char **cands;
	const char *hint, *best;
	size_t i, n = 0, npvars = 0;

	for (i = 0; i < ARRAY_SIZE(habits); i++)
		if (!strcmp(habits[i].name, name))
			return habits[i].hint;
	hint = is_func ? "" : provider_var_hint(name);
	if (*hint)
		return hint;
	while (pvars && pvars[npvars])
		npvars++;
	cands = arena_alloc(s->arena, (ARRAY_SIZE(builtins) + npvars) *
			    sizeof(*cands));
	for (i = 0; i < ARRAY_SIZE(builtins); i++)
		if (builtins[i].is_func == is_func)
			cands[n++] = builtins[i].name;
	for (i = 0; !is_func && i < npvars; i++)
		cands[n++] = pvars[i];
	best = closest_name(name, cands, n);
	return best ? arena_printf(s->arena, " (did you mean '%s'?)", best)
		: "";
}

/* Integer constant of a size argument, e.g. the 32 of str(p, 32). The
 * buffer is built on the 512-byte BPF stack with the rest of the
 * statement: up to STR_MAX leaves room for a key or a few other values. */
static int const_size(struct sema *s, struct node *n, size_t *out)
{
	if (n->kind != N_INT || n->neg || n->ival == 0 || n->ival > STR_MAX) {
		error(s, n->loc, "size must be a constant from 1 to %d",
		      STR_MAX);
		return -1;
	}
	*out = n->ival;
	return 0;
}

/* data->filename where filename is a __data_loc field: a u32 saying where
 * in the record its string is, which only dyn() reads. */
static int is_data_loc(const struct node *n)
{
	return n->kind == N_MEMBER && n->sym &&
		((const struct field *)n->sym)->data_loc;
}

static struct type *check_strfn(struct sema *s, struct node *n)
{
	const struct builtin *bi = n->sym;
	struct node *arg = n->args;
	struct type *t;
	size_t size = s->strsize;

	if (!arg || nargs(arg) > 2) {
		error(s, n->loc, "%s() takes an address and an optional size",
		      n->name);
		return NULL;
	}
	t = check_expr(s, arg);
	if (arg->next && const_size(s, arg->next, &size))
		return NULL;
	if (!t)
		return NULL;
	if (bi->id == BI_DYN) {
		if (arg->kind != N_MEMBER || !arg->sym ||
		    !((const struct field *)arg->sym)->data_loc) {
			error(s, arg->loc, "dyn() takes a __data_loc member of "
			      "data, such as data->filename");
			return NULL;
		}
	} else if (bi->id == BI_STR && t->kind == T_STR) {
		/* a string is itself; a char[N] member, up to size */
		return arg->next && size < t->len && in_memory(arg) ?
		       type_str(s->arena, size) : t;
	} else if (is_data_loc(arg)) {
		error(s, arg->loc, "%s() of a __data_loc field reads nothing: "
		      "its value is where the data is in the record; use "
		      "dyn(data->%s)", n->name, arg->name);
		return NULL;
	} else if (!type_is_scalar(t)) {
		error(s, arg->loc, "%s() takes an address, not %s", n->name,
		      t->name);
		return NULL;
	}
	arg->type = t;
	if (s->final)
		read_site_add(s, n);
	if (bi->id == BI_MEM)
		return type_with_fmt(s->arena, type_array(s->arena, &type_u8,
							  arg->next ? size : 64),
				     TF_HEX);
	return type_str(s->arena, size);
}

/* strcmp(a, b), strncmp(a, b, n): two strings (and n, a positive
 * integer constant: the unrolled compare is as long as it). */
static struct type *check_strcmp(struct sema *s, struct node *n)
{
	const struct builtin *bi = n->sym;
	struct node *a = n->args;
	struct type *ta, *tb;
	const char *what;
	int want = bi->id == BI_STRNCMP ? 3 : 2;

	if (nargs(a) != want) {
		error(s, n->loc, bi->id == BI_STRNCMP ?
		      "strncmp() takes two strings and a length" :
		      "strcmp() takes two strings");
		return NULL;
	}
	ta = check_expr(s, a);
	tb = check_expr(s, a->next);
	if (ta && ta->kind != T_STR) {
		error(s, a->loc, "%s() takes strings, not %s", n->name,
		      ta->name);
		return NULL;
	}
	if (tb && tb->kind != T_STR) {
		error(s, a->next->loc, "%s() takes strings, not %s", n->name,
		      tb->name);
		return NULL;
	}
	if (want == 3) {
		struct node *l = a->next->next;

		if (l->kind != N_INT || l->neg || l->ival == 0) {
			error(s, l->loc, "strncmp()'s length must be a "
			      "positive integer constant");
			return NULL;
		}
		l->type = &type_u64;
	}
	what = arena_printf(s->arena, "%s()", n->name);
	if (!fits_stack(s, a->loc, ta, what) ||
	    !fits_stack(s, a->next->loc, tb, what))
		return NULL;
	return ta && tb ? &type_s64 : NULL;
}

static struct type *check_call(struct sema *s, struct node *n)
{
	const struct builtin *bi = builtin_find(n->name, 1);

	if (!bi) {
		if (builtin_find(n->name, 0))
			error(s, n->loc, "%s is a variable, not a function",
			      n->name);
		else
			error(s, n->loc, "unknown function '%s'%s", n->name,
			      s->final ? name_hint(s, n->name, 1) : "");
		return NULL;
	}
	n->sym = bi;
	switch (bi->id) {
	case BI_STR:
	case BI_DYN:
	case BI_MEM:
		return check_strfn(s, n);
	case BI_STRCMP:
	case BI_STRNCMP:
		return check_strcmp(s, n);
	case BI_PATH:
	case BI_FDPATH:
		return check_path(s, n);
	case BI_AGG:
		error(s, n->loc, "%s() can only be assigned to an aggregation "
		      "such as @%s[key]", n->name, n->name);
		return NULL;
	default:
		error(s, n->loc, "%s() is a statement, not a value", n->name);
		return NULL;
	}
}

/* After C's promotion of everything to 64 bits, only these stay unsigned. */
static int unsigned64(const struct type *t)
{
	return (t->kind == T_PTR || !t->is_signed) && t->size == 8;
}

static struct type *arith_type(struct sema *s, int op, struct type *a,
			       struct type *b)
{
	int is_unsigned = unsigned64(a);
	enum type_fmt f = TF_NONE;
	struct type *t;

	/* a shift has its left operand's type, as in C */
	if (op != TK_SHL && op != TK_SHR)
		is_unsigned |= unsigned64(b);
	t = type_int(8, !is_unsigned);
	if (op == TK_MINUS && a->fmt == TF_WALLTIME && b->fmt == TF_WALLTIME)
		f = TF_TIME;
	else if (op == TK_PLUS || op == TK_MINUS || op == TK_STAR ||
		 op == TK_SLASH || op == TK_PERCENT)
		f = a->fmt == TF_HEX ? b->fmt : a->fmt ? a->fmt : b->fmt;
	if (f == TF_HEX)
		f = TF_NONE;
	return type_with_fmt(s->arena, t, f);
}

static int is_strlit(const struct node *n)
{
	return n->kind == N_STR;
}

/* The value of a constant: a literal or number $NAME, maybe under unary
 * '-' or '~'. Returns 0 if n is not one; *big is set for a magnitude over
 * INT64_MAX, which *v cannot hold. */
static int const_int(const struct node *n, int64_t *v, int *big)
{
	if (n->kind == N_INT) {
		*big = !n->neg && n->ival > INT64_MAX;
		*v = (int64_t)n->ival;
		return 1;
	}
	if (n->kind != N_UNARY || (n->op != TK_MINUS && n->op != TK_TILDE) ||
	    !const_int(n->a, v, big) || *big)
		return 0;
	*v = n->op == TK_MINUS ? (int64_t)(0 - (uint64_t)*v) : ~*v;
	return 1;
}

/* A constant shift count must be 0 to 63, as the BPF instruction takes it
 * modulo 64 and C leaves the rest undefined. */
static int shift_ok(struct sema *s, const struct node *b)
{
	int64_t v;
	int big;

	if (!const_int(b, &v, &big) || (!big && v >= 0 && v <= 63))
		return 1;
	if (big)
		error(s, b->loc, "a shift by %llu is out of range (0 to 63)",
		      (unsigned long long)v);
	else
		error(s, b->loc, "a shift by %lld is out of range (0 to 63)",
		      (long long)v);
	return 0;
}

/* The size a pointer to t steps by: t's, or 1 for void as in GNU C. */
size_t sema_step(const struct type *ptr)
{
	return ptr->elem && ptr->elem->size ? ptr->elem->size : 1;
}

/* p + i and p - i step by what p points to; p - q counts those steps. */
static struct type *check_ptr_arith(struct sema *s, struct node *n,
				    struct type *a, struct type *b)
{
	if (a->kind == T_PTR && b->kind == T_PTR) {
		if (n->op == TK_PLUS || sema_step(a) != sema_step(b)) {
			error(s, n->loc, "operator '%s' cannot take %s and %s",
			      op_str(n->op), a->name, b->name);
			return NULL;
		}
		return &type_s64;
	}
	if (a->kind != T_PTR && n->op == TK_MINUS) {
		error(s, n->loc, "a pointer cannot be subtracted from a number");
		return NULL;
	}
	return a->kind == T_PTR ? a : b;
}

static struct type *check_binary(struct sema *s, struct node *n)
{
	struct type *a = check_expr(s, n->a), *b = check_expr(s, n->b);
	int cmp = n->op == TK_EQ || n->op == TK_NE || n->op == TK_LT ||
		n->op == TK_GT || n->op == TK_LE || n->op == TK_GE;

	if (!a || !b)
		return NULL;
	if ((n->op == TK_EQ || n->op == TK_NE) && a->kind == T_STR &&
	    b->kind == T_STR) {
		if (!is_strlit(n->a) && !is_strlit(n->b)) {
			error(s, n->loc, "strings can be compared with == and "
			      "!= only against a string literal");
			return NULL;
		}
		return &type_s64;
	}
	if (!type_is_scalar(a) || !type_is_scalar(b)) {
		struct node *bad = type_is_scalar(a) ? n->b : n->a;

		error(s, bad->loc, "operator '%s' needs numbers, not %s",
		      op_str(n->op), (bad == n->a ? a : b)->name);
		return NULL;
	}
	if (cmp || n->op == TK_ANDAND || n->op == TK_OROR)
		return &type_s64;
	if ((n->op == TK_PLUS || n->op == TK_MINUS) &&
	    (a->kind == T_PTR || b->kind == T_PTR))
		return check_ptr_arith(s, n, a, b);
	if ((n->op == TK_SHL || n->op == TK_SHR) && !shift_ok(s, n->b))
		return NULL;
	return arith_type(s, n->op, a, b);
}

static struct type *check_unary(struct sema *s, struct node *n)
{
	struct type *a = check_expr(s, n->a);

	if (!a)
		return NULL;
	if (n->op == TK_AMP) {
		if (!in_memory(n->a) || (n->a->kind == N_MEMBER && n->a->sym &&
		    ((const struct field *)n->a->sym)->bit_size)) {
			error(s, n->loc, "'&' takes a member, an element or *p "
			      "(not a bitfield), not %s", a->name);
			return NULL;
		}
		return type_ptr(s->arena, a);
	}
	if (n->op == TK_STAR) {
		if (a->kind != T_PTR || a->elem->kind == T_VOID ||
		    is_ctx_struct(a->elem)) {
			error(s, n->loc, "only a pointer to a kernel value can be "
			      "dereferenced, not %s; use str() or a member "
			      "access", a->name);
			return NULL;
		}
		return a->elem;
	}
	if (!type_is_scalar(a)) {
		error(s, n->a->loc, "operator '%s' needs a number, not %s",
		      op_str(n->op), a->name);
		return NULL;
	}
	if (n->op == TK_BANG)
		return &type_s64;
	return type_int(8, !unsigned64(a));
}

/* " (did you mean 'filename'?); its members are dfd, filename, ..." */
static const char *members_hint(struct sema *s, const struct type *st,
				const char *name)
{
	const char **names = arena_alloc(s->arena, (st->nfields + 1) *
					 sizeof(*names));
	const char *best, *list = "";
	size_t i;

	for (i = 0; i < st->nfields; i++) {
		names[i] = st->fields[i].name;
		list = arena_printf(s->arena, "%s%s%s", list, i ? ", " : "",
				    names[i]);
	}
	best = closest_name(name, names, st->nfields);
	if (st->btf)	/* a kernel struct: too many to list */
		list = "";
	return arena_printf(s->arena, "%s%s%s%s%s", best ? " (did you mean '" :
			    "", best ? best : "", best ? "'?)" : "",
			    *list ? "; its members are " : "", list);
}

static struct type *check_member(struct sema *s, struct node *n)
{
	struct type *t = check_expr(s, n->a), *st;
	const struct field *f;

	if (!t)
		return NULL;
	st = t;
	if (n->arrow) {
		if (t->kind != T_PTR || t->elem->kind != T_STRUCT) {
			error(s, n->loc, "'->' needs a pointer to a struct, not "
			      "%s%s", t->name, t->kind == T_STRUCT ?
			      " (did you mean '.'?)" : "");
			return NULL;
		}
		st = t->elem;
		if (is_ctx_struct(st) && (n->a->kind != N_IDENT ||
					  n->a->sym != &provider_var)) {
			error(s, n->loc, "'->' reads only the probe's own %s: a "
			      "copy of the pointer (in a map, say) points at a "
			      "context that is gone once its probe has run",
			      t->elem->name);
			return NULL;
		}
	} else if (t->kind != T_STRUCT) {
		error(s, n->loc, "'.' needs a struct, not %s%s", t->name,
		      t->kind == T_PTR ? " (did you mean '->'?)" : "");
		return NULL;
	} else if (t->tuple && n->a->kind != N_MAP) {
		error(s, n->loc, "'.' reads a member of a tuple held in a map "
		      "(m[k].0)");
		return NULL;
	} else if (!t->tuple && !in_memory(n->a)) {
		error(s, n->loc, "'.' reads a member of a struct in the "
		      "kernel's memory (p->a.b), not of %s held by ply",
		      t->name);
		return NULL;
	}
	kbtf_complete(s->kbtf, st);
	f = type_field(st, n->name);
	if (!f && !strncmp(n->name, "common_", 7) && !st->btf) {
		error(s, n->loc, "%s is not available to BPF programs (the "
		      "kernel overwrites it); use kpid, cpu, ...", n->name);
		return NULL;
	} else if (!f) {
		error(s, n->loc, "%s has no member '%s'%s", st->name, n->name,
		      s->final ? members_hint(s, st, n->name) : "");
		return NULL;
	}
	if (f->bit_size && f->bit_off + f->bit_size > 64) {
		error(s, n->loc, "bitfield %s spans more than 64 bits; ply "
		      "reads at most 8 bytes", n->name);
		return NULL;
	}
	n->sym = f;
	return f->type;
}

/* An index that is a constant: checked against the array's length now. */
static int index_const_ok(struct sema *s, struct node *n, const struct type *t)
{
	if (n->b->kind != N_INT)
		return 1;
	if (n->b->neg || n->b->ival >= t->len) {
		error(s, n->b->loc, n->b->neg ? "index %lld is out of bounds "
		      "of %s" : "index %llu is out of bounds of %s",
		      (unsigned long long)n->b->ival, t->name);
		return 0;
	}
	return 1;
}

/* a[i] on an array member (i checked against its length: now if it is a
 * constant, else when the probe runs) or on a pointer, as in C. */
static struct type *check_index(struct sema *s, struct node *n)
{
	struct type *t = check_expr(s, n->a), *ti = check_expr(s, n->b);

	if (!t || !ti)
		return NULL;
	if (ti->kind != T_INT) {
		error(s, n->b->loc, "an index must be an integer, not %s",
		      ti->name);
		return NULL;
	}
	if (t->kind == T_PTR) {
		if (t->elem->kind == T_VOID || is_ctx_struct(t->elem)) {
			error(s, n->loc, "%s cannot be indexed: %s", t->name,
			      t->elem->kind == T_VOID ? "it points to void (cast "
			      "it first)" : "it is the probe's context");
			return NULL;
		}
		return t->elem;
	}
	if (t->kind != T_ARRAY && t->kind != T_STR) {
		error(s, n->loc, "only arrays and pointers can be indexed, not "
		      "%s", t->name);
		return NULL;
	}
	if (!in_memory(n->a)) {
		error(s, n->loc, "only an array in the kernel's memory (a "
		      "member) can be indexed, not %s held by ply", t->name);
		return NULL;
	}
	if (!index_const_ok(s, n, t))
		return NULL;
	return t->kind == T_STR ? &type_s8 : t->elem;
}

/* The type a cast names: a kernel struct, union, enum or typedef, or one
 * of ply's integers, under n->ival pointers. */
static struct type *cast_type(struct sema *s, struct node *n)
{
	static const char *const ints[] = {
		"u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64",
	};
	static const struct { const char *kw; enum kbtf_kind kind; } kws[] = {
		{ "struct ", KBTF_STRUCT }, { "union ", KBTF_UNION },
		{ "enum ", KBTF_ENUM },
	};
	struct type *t = NULL;
	uint64_t i;

	for (i = 0; i < ARRAY_SIZE(ints); i++)
		if (!strcmp(n->name, ints[i]))
			t = type_int(1 << (i % 4), i >= 4);
	if (!strcmp(n->name, "void"))
		t = &type_void;
	for (i = 0; !t && i < ARRAY_SIZE(kws); i++)
		if (!strncmp(n->name, kws[i].kw, strlen(kws[i].kw)))
			return ktype(s, n->loc, kws[i].kind, n->name +
				     strlen(kws[i].kw));
	if (!t)
		t = ktype(s, n->loc, KBTF_TYPEDEF, n->name);
	return t;
}

/* (struct file *)x: a number seen as a kernel pointer (or an integer of
 * another width). */
static struct type *check_cast(struct sema *s, struct node *n)
{
	struct type *a = check_expr(s, n->a), *t = cast_type(s, n);
	uint64_t i;

	if (!a || !t)
		return NULL;
	for (i = 0; i < n->ival; i++)
		t = type_ptr(s->arena, t);
	if (t->kind == T_PTR && a->kind == T_PTR && a->user) {
		t = arena_dup(s->arena, t, sizeof(*t));
		t->user = 1;	/* still the user's memory */
	}
	if (!type_is_scalar(a)) {
		error(s, n->a->loc, "only a number can be cast, not %s",
		      a->name);
		return NULL;
	}
	if (!type_is_scalar(t)) {
		error(s, n->loc, "a cast makes a pointer or an integer, not %s "
		      "(write (%s *) and read it with '->')", t->name, t->name);
		return NULL;
	}
	return t;
}

static struct type *check_cond(struct sema *s, struct node *n)
{
	struct type *c = check_expr(s, n->c), *a = check_expr(s, n->a),
		*b = check_expr(s, n->b);

	if (!c || !a || !b)
		return NULL;
	if (!type_is_scalar(c) || !type_is_scalar(a) || !type_is_scalar(b)) {
		error(s, n->loc, "'?:' needs numbers");
		return NULL;
	}
	return arith_type(s, TK_QUESTION, a, b);
}

/* The value of parameter name: params holds "NAME=value" strings. */
static const char *param_get(const struct sema *s, const char *name)
{
	const char *const *p;
	size_t len = strlen(name);

	for (p = s->params; p && *p; p++)
		if (!strncmp(*p, name, len) && (*p)[len] == '=')
			return *p + len + 1;
	return NULL;
}

/* $NAME as a number: 1 when v reads as one (into n), 0 when it does not
 * (it is a string then), -1 when it does but does not fit 64 bits. A
 * leading '-' makes a signed value, anything else an unsigned one. */
static int dollar_number(const char *v, struct node *n)
{
	const char *q = v;
	char *end;

	while (isspace((unsigned char)*q))
		q++;
	errno = 0;
	if (*q == '-') {
		long long x = strtoll(q, &end, 0);

		n->ival = (uint64_t)x;
		n->neg = x < 0;
	} else {
		n->ival = strtoull(q, &end, 0);
	}
	if (end == q || *end)
		return 0;
	return errno == ERANGE ? -1 : 1;
}

/* $target: the -c command's pid, known once it is spawned; $NAME: the
 * parameter NAME (the ply command's environment), a number if it reads as
 * one, else a string. */
static struct type *check_dollar(struct sema *s, struct node *n)
{
	const char *v;
	int num;

	if (!strcmp(n->name, "target")) {
		if (!s->has_target) {
			error(s, n->loc, "$target is the pid of the -c command, "
			      "and there is none");
			return NULL;
		}
		return &type_u32;
	}
	v = param_get(s, n->name);
	if (!v) {
		error(s, n->loc, "$%s: there is no parameter (environment "
		      "variable) %s", n->name, n->name);
		return NULL;
	}
	num = dollar_number(v, n);
	if (num < 0) {
		error(s, n->loc, "$%s is %s, which does not fit in 64 bits "
		      "(%s to %s)", n->name, v, "-9223372036854775808",
		      "18446744073709551615");
		return NULL;
	}
	if (num) {
		/* from now on a constant like any other */
		n->kind = N_INT;
		return check_expr_kind(s, n);
	}
	n->kind = N_STR;
	n->str = arena_strdup(s->arena, v);
	n->slen = strlen(v);
	return type_str(s->arena, n->slen + 1);
}

static struct type *check_expr_kind(struct sema *s, struct node *n)
{
	switch (n->kind) {
	case N_INT:
		return !n->neg && n->ival > INT64_MAX ? &type_u64 : &type_s64;
	case N_STR:
		return type_str(s->arena, n->slen + 1);
	case N_IDENT:
		return check_ident(s, n);
	case N_DOLLAR:
		return check_dollar(s, n);
	case N_MAP:
		return check_map_read(s, n);
	case N_CALL:
		return check_call(s, n);
	case N_UNARY:
		return check_unary(s, n);
	case N_BINARY:
		return check_binary(s, n);
	case N_COND:
		return check_cond(s, n);
	case N_MEMBER:
		return check_member(s, n);
	case N_INDEX:
		return check_index(s, n);
	case N_CAST:
		return check_cast(s, n);
	case N_TUPLE:
		error(s, n->loc, "a tuple is a map's value (m[k] = (a, b)), "
		      "read back by member (m[k].0)");
		return NULL;
	default:
		unreachable();
	}
}

/* The parser bounds the tree's height, so this recursion is safe. */
static struct type *check_expr(struct sema *s, struct node *n)
{
	n->type = check_expr_kind(s, n);
	return n->type;
}

/* ---- statements ---- */

static struct evsite *site_new(struct sema *s, struct node *call,
			       enum ev_kind kind, struct type **args, size_t n)
{
	struct evsite *e = arena_alloc(s->arena, sizeof(*e));
	struct type **members = arena_alloc(s->arena, (n + 1) * sizeof(*members));

	members[0] = &type_u64;
	if (n)
		memcpy(members + 1, args, n * sizeof(*args));
	e->id = s->sites.n;
	e->kind = kind;
	e->loc = call->loc;
	e->rec = type_tuple(s->arena, "event", members, n + 1);
	vec_push(s->arena, &s->sites, e);
	call->site = e->id;
	return e;
}

/* printf, print, exit: they send an event to ply. */
/* The map a whole-map argument names: @agg, or a plain map's bare name. */
static struct mapsym *whole_map(struct sema *s, struct node *a)
{
	if (a->kind == N_MAP && !a->keys)
		return a->map = map_get(s, a);
	if (a->kind != N_IDENT || builtin_find(a->name, 0))
		return NULL;
	return map_find(s, a->name);
}

/* print(@map) and clear(@map): the runtime does them, in event order. */
static int check_map_event(struct sema *s, struct node *n)
{
	const struct builtin *bi = n->sym;
	struct mapsym *m = n->args && !n->args->next ?
		whole_map(s, n->args) : NULL;
	struct evsite *e;

	if (!m) {
		if (bi->id == BI_CLEAR)
			error(s, n->loc, "clear() takes a map, such as "
			      "clear(@counts)");
		return bi->id == BI_CLEAR;
	}
	if (s->final) {
		e = site_new(s, n, bi->id == BI_CLEAR ? EV_CLEAR : EV_PRINTMAP,
			     NULL, 0);
		e->map = m->index;
	}
	return 1;
}

/* fmt_check, with a __data_loc argument described so that "%s expects a
 * string" says how to get one. */
static int printf_check(struct sema *s, struct node *n, struct type **args,
			const struct loc *locs, size_t na)
{
	struct type *chk[32], *t;
	struct node *a = n->args->next;
	size_t i;

	for (i = 0; i < na; i++, a = a->next) {
		chk[i] = args[i];
		if (!is_data_loc(a))
			continue;
		t = arena_dup(s->arena, args[i], sizeof(*t));
		t->name = arena_printf(s->arena, "a __data_loc field (its string "
				       "is read with dyn(data->%s))", a->name);
		chk[i] = t;
	}
	return fmt_check(s->diag, n->args->loc, n->args->str, chk, locs, na);
}

static void check_event(struct sema *s, struct node *n)
{
	const struct builtin *bi = n->sym;
	struct node *a, *first = n->args;
	struct type *args[32];
	struct loc locs[32];
	size_t na = 0, size = 8;	/* the site id */
	int ok = 1;

	if ((bi->id == BI_PRINT || bi->id == BI_CLEAR) && check_map_event(s, n))
		return;

	if (bi->id == BI_PRINTF) {
		if (!first || first->kind != N_STR) {
			error(s, first ? first->loc : n->loc, "printf() needs "
			      "a format string literal as its first argument");
			return;
		}
		first = first->next;
	}
	for (a = first; a; a = a->next) {
		struct type *t = check_expr(s, a);

		if (na == ARRAY_SIZE(args)) {
			error(s, a->loc, "too many arguments (at most %zu)",
			      ARRAY_SIZE(args));
			return;
		}
		if (t && t->kind == T_VOID) {
			error(s, a->loc, "this argument has no value");
			t = NULL;
		}
		if (!fits_stack(s, a->loc, t, arena_printf(s->arena, "%s()",
							    n->name)))
			t = NULL;
		ok &= t != NULL;
		if (t)
			size += ALIGN_UP(t->size, 8);
		locs[na] = a->loc;
		args[na++] = t;
	}
	if (bi->id == BI_EXIT && (na != 1 || (args[0] && !type_is_scalar(args[0])))) {
		error(s, n->loc, "exit() takes one integer, the exit status");
		return;
	}
	if (!ok || !s->final)
		return;
	if (size > EVENT_MAX) {
		error(s, n->loc, "the arguments of %s() take %zu bytes, and an "
		      "event holds at most %d", n->name, size, EVENT_MAX);
		return;
	}
	if (bi->id == BI_PRINTF) {
		if (printf_check(s, n, args, locs, na))
			return;
		site_new(s, n, EV_PRINTF, args, na)->fmt = n->args->str;
	} else if (bi->id == BI_EXIT) {
		args[0] = &type_s64;
		site_new(s, n, EV_EXIT, args, 1);
	} else {
		site_new(s, n, EV_PRINT, args, na);
	}
}

/* lhist's min, max and step: integer constants, -N included. */
static int lhist_const(const struct node *n, int64_t *v)
{
	int big;

	return const_int(n, v, &big) && !big;
}

#define LHIST_MAX_BUCKETS 1024

/* lhist(expr, min, max, step): the same constants in every call on m. */
static int check_lhist(struct sema *s, struct node *rhs, struct mapsym *m,
		       int first)
{
	struct node *a = rhs->args->next;
	int64_t min, max, step;

	if (!lhist_const(a, &min) || !lhist_const(a->next, &max) ||
	    !lhist_const(a->next->next, &step)) {
		error(s, rhs->loc, "lhist(expr, min, max, step) takes integer "
		      "constants for min, max and step");
		return 0;
	}
	if (max <= min || step <= 0 ||
	    agg_lhist_nbuckets(min, max, step) - 2 > LHIST_MAX_BUCKETS) {
		error(s, rhs->loc, "lhist(): min must be below max, step above "
		      "0, and (max - min) / step at most %d buckets",
		      LHIST_MAX_BUCKETS);
		return 0;
	}
	if (first) {
		m->lh_min = min, m->lh_max = max, m->lh_step = step;
	} else if (m->lh_min != min || m->lh_max != max || m->lh_step != step) {
		error(s, rhs->loc, "%s is an lhist(expr, %lld, %lld, %lld) "
		      "elsewhere; every lhist() of a map has the same bounds",
		      m->name, (long long)m->lh_min, (long long)m->lh_max,
		      (long long)m->lh_step);
		return 0;
	}
	return 1;
}

/* What an aggregation keeps per CPU (agg.h), from its argument's type t
 * (an s64 or u64 with t's format). */
static struct type *agg_vtype(struct sema *s, const struct mapsym *m,
			      struct type *t)
{
	struct type *f[2];
	size_t n;

	switch (m->agg) {
	case AGG_COUNT:
		return &type_u64;
	case AGG_AVG:
	case AGG_STATS:
		f[0] = &type_u64;
		f[1] = t;
		return type_tuple(s->arena, "stats", f, 2);
	case AGG_QUANTIZE:
	case AGG_LHIST:
		n = m->agg == AGG_QUANTIZE ? QUANTIZE_BUCKETS :
			agg_lhist_nbuckets(m->lh_min, m->lh_max, m->lh_step);
		return type_with_fmt(s->arena, type_array(s->arena,
				     type_with_fmt(s->arena, &type_u64, t->fmt),
				     n), t->fmt);
	default:
		return t;
	}
}

static void check_agg_assign(struct sema *s, struct node *n, struct mapsym *m)
{
	struct node *rhs = n->b;
	const struct builtin *bi = rhs->kind == N_CALL ?
		builtin_find(rhs->name, 1) : NULL;
	const struct agg_def *d = bi && bi->id == BI_AGG ?
		agg_find(rhs->name) : NULL;
	int first;
	struct type *t;

	if (rhs->kind == N_CALL && !bi) {
		const char *hint = s->final ? name_hint(s, rhs->name, 1) : "";

		error(s, rhs->loc, "unknown function '%s'%s", rhs->name, *hint ?
		      hint : s->final ? arena_printf(s->arena, " (an "
		      "aggregation takes %s)", agg_list()) : "");
		return;
	}
	if (!d) {
		error(s, rhs->loc, "aggregation %s can only be assigned %s",
		      m->name, agg_list());
		return;
	}
	rhs->sym = bi;
	if (m->agg && m->agg != d->kind) {
		if (s->final) {
			diag_error(s->diag, rhs->loc, "%s is aggregated with %s() "
				   "here and with another function elsewhere",
				   m->name, rhs->name);
			diag_note(s->diag, m->aloc, "first aggregated here");
		}
		return;
	}
	first = !m->agg || (m->aloc.line == rhs->loc.line && m->aloc.col == rhs->loc.col);
	if (!m->agg) {
		m->agg = d->kind;
		m->aloc = rhs->loc;
	}
	if (nargs(rhs->args) != d->nargs) {
		if (d->nargs)
			error(s, rhs->loc, "%s() takes %d argument%s: %s(%s)",
			      rhs->name, d->nargs, d->nargs == 1 ? "" : "s",
			      d->fn, d->args);
		else
			error(s, rhs->args->loc, "%s() takes no arguments",
			      rhs->name);
		if (d->nargs)
			return;
	}
	t = &type_u64;
	if (d->nargs) {
		t = check_expr(s, rhs->args);
		if (!t)
			return;
		if (!type_is_scalar(t)) {
			error(s, rhs->args->loc, "%s() needs a number, not %s",
			      rhs->name, t->name);
			return;
		}
		t = type_with_fmt(s->arena, type_int(8, t->kind == T_INT &&
				  (t->is_signed || t->size < 8)),
				  t->fmt == TF_HEX ? TF_NONE : t->fmt);
	}
	if (d->kind == AGG_LHIST && !check_lhist(s, rhs, m, first))
		return;
	t = agg_vtype(s, m, t);
	rhs->type = t;
	learn_value(s, n->a, m, t);
}

/* count(), sum(), quantize() ...: only aggregations take them. */
static int is_agg_call(const struct node *n)
{
	const struct builtin *bi = n->kind == N_CALL ?
		builtin_find(n->name, 1) : NULL;

	return bi && bi->id == BI_AGG;
}

static void check_assign(struct sema *s, struct node *n)
{
	struct node *lhs = n->a;
	struct mapsym *m = map_get(s, lhs);
	struct type *t;

	lhs->map = m;
	check_keys(s, lhs, m);
	m->assigned = 1;
	if (m->is_agg) {
		check_agg_assign(s, n, m);
		return;
	}
	if (is_agg_call(n->b)) {
		error(s, n->b->loc, "%s() can only be assigned to an "
		      "aggregation, whose name starts with '@' (@%s)",
		      n->b->name, lhs->name);
		return;
	}
	if (n->b->kind == N_TUPLE)
		t = n->b->type = check_tuple(s, n->b);
	else
		t = check_expr(s, n->b);
	if (t && t->kind == T_VOID) {
		error(s, n->b->loc, "this expression has no value to assign");
		return;
	}
	if (!fits_stack(s, n->b->loc, t, "a map value"))
		return;
	learn_value(s, lhs, m, t);
}

/* The event site of statement n if it is print(@m) or clear(@m). */
static struct evsite *map_event_of(struct sema *s, const struct node *n)
{
	const struct node *c = n && n->kind == N_EXPR ? n->a : NULL;
	struct evsite *e;

	if (!c || c->kind != N_CALL || !c->sym || c->site < 0 ||
	    (size_t)c->site >= s->sites.n)
		return NULL;
	e = s->sites.v[c->site];
	/* c->site is 0 when no site was made: the site must be c's own */
	return e->loc.line == c->loc.line && e->loc.col == c->loc.col &&
	       (e->kind == EV_PRINTMAP || e->kind == EV_CLEAR) ? e : NULL;
}

/* `print(@m); clear(@m);` (the idiom of interval probes) prints what it
 * clears: read and deleted in one step per entry, so an update between
 * the two is never lost. */
static void pair_print_clear(struct sema *s, const struct node *n)
{
	struct evsite *p = map_event_of(s, n), *c = map_event_of(s, n->next);

	if (p && c && p->kind == EV_PRINTMAP && c->kind == EV_CLEAR &&
	    p->map == c->map) {
		p->take = c->take = 1;
		s->maps.v[p->map]->swap = 1;
	}
}

static void check_cond_of_if(struct sema *s, struct node *n)
{
	struct type *t = check_expr(s, n->c);

	if (t && !type_is_scalar(t))
		error(s, n->c->loc, "a condition must be a number, not %s",
		      t->name);
}

static void check_stmt(struct sema *s, struct node *n)
{
	struct node *c;

	switch (n->kind) {
	case N_BLOCK:
		for (c = n->body; c; c = c->next)
			check_stmt(s, c);
		for (c = n->body; s->final && c; c = c->next)
			pair_print_clear(s, c);
		break;
	case N_IF:
		check_cond_of_if(s, n);
		check_stmt(s, n->a);
		if (n->b)
			check_stmt(s, n->b);
		break;
	case N_ASSIGN:
		check_assign(s, n);
		break;
	case N_DELETE:
		n->a->map = map_get(s, n->a);
		check_keys(s, n->a, n->a->map);
		break;
	case N_EXPR:
		c = n->a;
		if (c->kind == N_CALL) {
			const struct builtin *bi = builtin_find(c->name, 1);

			if (bi && (bi->id == BI_PRINTF || bi->id == BI_PRINT ||
				   bi->id == BI_EXIT || bi->id == BI_CLEAR)) {
				c->sym = bi;
				check_event(s, c);
				break;
			}
		}
		if (check_expr(s, c))
			error(s, c->loc, "this statement has no effect");
		break;
	default:
		unreachable();
	}
}

static void check_pred(struct sema *s, struct node *pred)
{
	struct type *t = check_expr(s, pred);

	if (t && !type_is_scalar(t))
		error(s, pred->loc, "a predicate must be a number, not %s",
		      t->name);
}

static void check_probe(struct sema *s, struct probe *p)
{
	s->probe = p;
	if (p->pred)
		check_pred(s, p->pred);
	check_stmt(s, p->body);
}

static void btf_free(void *k)
{
	kbtf__free(k);
}

static int resolve_probes(struct sema *s, struct program *prog)
{
	struct probe *p;
	int errs = s->diag->nerrors;

	if (!s->kbtf) {
		s->kbtf = kbtf__new(s->arena, NULL);
		if (!s->kbtf) {
			diag_plain(s->diag, "out of memory");
			return 1;
		}
		arena_defer(s->arena, btf_free, s->kbtf);
	}
	for (p = prog->probes; p; p = p->next) {
		p->btf = s->kbtf;
		p->prov = provider_find(p->provider);
		if (!p->prov) {
			const char *best = provider_closest(p->provider);

			diag_error(s->diag, p->loc, "unknown provider '%s' (%s%s%s"
				   "ply knows %s)", p->provider,
				   best ? "did you mean '" : "", best ? best : "",
				   best ? "'? " : "", provider_names(s->arena));
			continue;
		}
		p->prov->resolve(p, s->arena, s->diag);
	}
	return s->diag->nerrors - errs;
}

/* ---- inference ---- */

static void unit_add(struct sema *s, enum unit_kind k, struct probe *p,
		     struct node *n)
{
	struct unit u = { .kind = k, .probe = p, .n = n };

	vec_push(s->arena, &s->inf->units, u);
}

/* A statement's units: an if's condition and each simple statement. */
static void units_of(struct sema *s, struct probe *p, struct node *n)
{
	struct node *c;

	switch (n->kind) {
	case N_BLOCK:
		for (c = n->body; c; c = c->next)
			units_of(s, p, c);
		return;
	case N_IF:
		unit_add(s, U_COND, p, n);
		units_of(s, p, n->a);
		if (n->b)
			units_of(s, p, n->b);
		return;
	default:
		unit_add(s, U_STMT, p, n);
	}
}

static void unit_check(struct sema *s, int i)
{
	struct unit *u = &s->inf->units.v[i];

	s->inf->cur = i;
	s->inf->stamp++;
	s->probe = u->probe;
	switch (u->kind) {
	case U_PRED: check_pred(s, u->n); break;
	case U_COND: check_cond_of_if(s, u->n); break;
	case U_STMT: check_stmt(s, u->n); break;
	}
	s->inf->cur = -1;
}

/* Checks the queued units, silently, until none is left. Each check can
 * only learn more, and there is a finite amount to learn (strings widen
 * at most to the largest size in the program); the bound is a safety net
 * that no program is known to reach. */
static void infer_run(struct sema *s)
{
	struct infer *inf = s->inf;
	size_t limit = inf->units.n * (64 + 4 * s->maps.n), checks = 0;
	size_t i;

	while (inf->heap.n || inf->next.n) {
		if (!inf->heap.n) {
			inf->sweep++;
			for (i = 0; i < inf->next.n; i++)
				heap_push(s, inf->next.v[i]);
			inf->next.n = 0;
		}
		unit_check(s, heap_pop(inf));
		s->infer_checks++;
		if (++checks > limit)
			break;
	}
	inf->heap.n = inf->next.n = 0;
}

static void infer(struct sema *s, struct program *prog)
{
	struct infer *inf = infer_state(s);
	struct probe *p;
	size_t i;

	for (p = prog->probes; p; p = p->next) {
		if (p->pred)
			unit_add(s, U_PRED, p, p->pred);
		units_of(s, p, p->body);
	}
	inf->sweep = 1;
	for (i = 0; i < inf->units.n; i++) {
		inf->units.v[i].queued = 1;
		vec_push(s->arena, &inf->heap, (int)i);	/* sorted: a heap */
	}
	infer_run(s);
}

int sema_program(struct sema *s, struct program *prog)
{
	int errs = s->diag->nerrors;
	struct probe *p;
	size_t i;

	if (!s->strsize)
		s->strsize = 64;
	if (s->strsize > STR_MAX) {
		diag_plain(s->diag, "the default string size, %zu, is out of "
			   "range (1 to %d)", s->strsize, STR_MAX);
		return s->diag->nerrors - errs;
	}
	if (resolve_probes(s, prog))
		return s->diag->nerrors - errs;
	for (i = 0; i < s->ndecls; i++)	/* typed already, line 0 */
		map_add(s, s->decls[i]);
	infer(s, prog);
	/* A map only ever assigned from itself (n[k] = n[k] + 1) learns
	 * nothing: it counts, so it is a signed integer. */
	for (i = 0; i < s->maps.n; i++) {
		struct mapsym *m = s->maps.v[i];

		if (!m->vtype && m->assigned) {
			m->vtype = &type_s64;
			m->vloc = m->rloc.line ? m->rloc : prog->probes->loc;
			value_changed(s, m);
		}
	}
	infer_run(s);
	s->final = 1;
	for (p = prog->probes; p; p = p->next)
		check_probe(s, p);
	for (i = 0; i < s->maps.n && s->diag->nerrors == errs; i++) {
		struct mapsym *m = s->maps.v[i];

		if (m->vtype)
			continue;
		if (m->rloc.line)
			diag_error(s->diag, m->rloc, "cannot infer the type of "
				   "map %s: it is read but never assigned",
				   m->name);
		else
			diag_error(s->diag, m->kloc.line > 0 ? m->kloc :
				   prog->probes->loc, "map %s is never assigned "
				   "a value", m->name);
	}
	return s->diag->nerrors - errs;
}
