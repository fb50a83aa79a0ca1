/* provider: the list of providers, and the pt_regs variables that kprobes
 * and perf events share. */
#include <stdlib.h>
#include <string.h>

#include <fnmatch.h>

#include "provider.h"

/* x86_64's struct pt_regs, in the kernel's order and names. */
static const char *const regs_names[] = {
	"r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8",
	"ax", "cx", "dx", "si", "di", "orig_ax", "ip", "cs", "flags", "sp",
	"ss",
};
#define REG_OFF(i) ((i) * 8)
#define REG_AX 10
#define REG_IP 16

/* The System V calling convention: where arg0..arg5 arrive. */
static const int arg_regs[] = { 14, 13, 12, 11, 9, 8 };

static struct type *regs_type(struct arena *a)
{
	struct type *st;
	size_t i;

	st = arena_alloc(a, sizeof(*st));
	st->kind = T_STRUCT;
	st->name = "struct pt_regs";
	st->nfields = ARRAY_SIZE(regs_names);
	st->fields = arena_alloc(a, st->nfields * sizeof(*st->fields));
	for (i = 0; i < st->nfields; i++) {
		st->fields[i].name = regs_names[i];
		st->fields[i].type = &type_u64;
		st->fields[i].offset = REG_OFF(i);
	}
	st->size = REG_OFF(st->nfields);
	return type_ptr(a, st);
}

struct type *regs_var(struct arena *a, const char *name, int *ctx_off,
		      int args, int ret)
{
	if (!strcmp(name, "regs")) {
		*ctx_off = -1;
		return regs_type(a);
	}
	if (!strcmp(name, "caller")) {
		*ctx_off = REG_OFF(REG_IP);
		return type_with_fmt(a, &type_u64, TF_SYM);
	}
	if (ret && !strcmp(name, "retval")) {
		*ctx_off = REG_OFF(REG_AX);
		return &type_s64;
	}
	if (args && !strncmp(name, "arg", 3) && name[3] >= '0' &&
	    name[3] <= '5' && !name[4]) {
		*ctx_off = REG_OFF(arg_regs[name[3] - '0']);
		return &type_u64;
	}
	return NULL;
}

int regs_arg_off(int i)
{
	return REG_OFF(arg_regs[i]);
}

const char *const regs_vars[] = { "regs", "caller", NULL };
const char *const regs_vars_args[] = {
	"regs", "caller", "arg0", "arg1", "arg2", "arg3", "arg4", "arg5", NULL,
};
const char *const regs_vars_ret[] = { "regs", "caller", "retval", NULL };

const char *regs_hint(const char *name)
{
	if (!strcmp(name, "regs") || !strcmp(name, "caller"))
		return " (kprobes, kretprobes and profile have it)";
	return NULL;
}

/* ---- typed arguments ---- */

struct type *args_type(struct arena *a, const char *name,
		       const struct field *args, size_t n, const int *offs,
		       int widen)
{
	struct type *st = arena_alloc(a, sizeof(*st));
	size_t i, end = 0;

	st->kind = T_STRUCT;
	st->name = name;
	st->nfields = n;
	st->fields = arena_alloc(a, (n + 1) * sizeof(*st->fields));
	for (i = 0; i < n; i++) {
		struct field *f = &st->fields[i];

		f->name = args[i].name[0] ? args[i].name :
			  arena_printf(a, "arg%zu", i);
		f->type = args[i].type;
		if (widen && f->type->kind == T_INT)
			f->type = type_with_fmt(a, type_int(8, f->type->is_signed),
						f->type->fmt);
		f->offset = offs ? (size_t)offs[i] : 8 * i;
		if (f->offset + 8 > end)
			end = f->offset + 8;
	}
	st->size = end;
	return type_ptr(a, st);
}

struct type *args_var(struct type *t, const char *name, int *ctx_off)
{
	char *end;
	unsigned long i;

	if (!t)
		return NULL;
	if (!strcmp(name, "args")) {
		*ctx_off = -1;
		return t;
	}
	if (strncmp(name, "arg", 3) || name[3] < '0' || name[3] > '9')
		return NULL;
	i = strtoul(name + 3, &end, 10);
	if (*end || i >= t->elem->nfields)
		return NULL;
	*ctx_off = t->elem->fields[i].offset;
	return t->elem->fields[i].type;
}

const char *const args_vars[] = {
	"args", "arg0", "arg1", "arg2", "arg3", "arg4", "arg5", "arg6",
	"arg7", "arg8", "arg9", "arg10", "arg11", NULL,
};

/* ---- the list ---- */

/* Every provider, in the order messages list them: a new one is its file
 * (provider_NAME.c, defining struct provider provider_NAME) and NAME
 * here. A file may hold two close ones (kprobe and kretprobe; BEGIN and
 * END in provider_special.c). */
#define PROVIDERS(X) \
	X(tracepoint) X(rawtracepoint) X(kprobe) X(kretprobe) X(fentry) \
	X(fexit) X(interval) X(profile) X(begin) X(end)

#define DECLARE(name) extern const struct provider provider_##name;
#define ENTRY(name) &provider_##name,
PROVIDERS(DECLARE)

static const struct provider *const providers[] = { PROVIDERS(ENTRY) };

const struct provider *provider_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(providers); i++)
		if (!strcmp(providers[i]->name, name))
			return providers[i];
	return NULL;
}

const char *provider_names(struct arena *a)
{
	const char *s = providers[0]->name;
	size_t i, n = ARRAY_SIZE(providers);

	for (i = 1; i < n; i++)
		s = arena_printf(a, "%s%s%s", s, i + 1 < n ? ", " : " and ",
				 providers[i]->name);
	return s;
}

const char *provider_closest(const char *name)
{
	const char *names[ARRAY_SIZE(providers)];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(providers); i++)
		names[i] = providers[i]->name;
	return closest_name(name, names, ARRAY_SIZE(names));
}

const char *provider_var_hint(const char *name)
{
	const char *h;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(providers); i++)
		if (providers[i]->var_hint &&
		    (h = providers[i]->var_hint(name)))
			return h;
	return "";
}

/* ---- -l ---- */

static void list_norm(char *s)
{
	for (; *s; s++)
		if (*s == '/')
			*s = ':';
}

int list_match(const struct list_req *r, const char *probe)
{
	char g[512], p[512];
	const char *rest;

	if (!r->glob)
		return 1;
	snprintf(g, sizeof(g), "%s", r->glob);
	snprintf(p, sizeof(p), "%s", probe);
	list_norm(g);
	list_norm(p);
	if (!fnmatch(g, p, 0))
		return 1;
	rest = strchr(p, ':');
	return rest && !fnmatch(g, rest + 1, 0);
}

int list_probe(struct list_req *r, const char *probe)
{
	if (!list_match(r, probe))
		return 0;
	fprintf(r->out, "%s\n", probe);
	return 1;
}

int provider_list(struct list_req *r)
{
	int n = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(providers); i++) {
		if (providers[i]->list)
			n += providers[i]->list(r);
		else
			n += list_probe(r, providers[i]->name);
	}
	return n;
}
