/* provider_fentry: "fentry:FUNC" and "fexit:FUNC", BPF programs that the
 * kernel calls from a trampoline at a function's entry or return
 * (BPF_PROG_TYPE_TRACING). The function's arguments are typed and named
 * from its BTF prototype (args->file, or arg0..argN); fexit also has the
 * return value, retval. Loaded for the function's BTF id and attached
 * through an fd, so the trampoline goes with ply. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "attach.h"
#include "btf.h"
#include "provider.h"
#include "sysroot.h"

struct fent {
	const char *func;
	uint32_t btf_id;
	struct type *args;	/* pointer to the args struct */
	struct type *ret;
	size_t nargs;
};

extern const struct provider provider_fentry, provider_fexit;

static int fent_resolve(struct probe *p, struct arena *a, struct diag *d)
{
	struct field *args;
	struct type *ret;
	const char *why;
	struct fent *f;
	size_t n;
	int id;

	if (!p->def[0] || strpbrk(p->def, "*?[+")) {
		diag_error(d, p->loc, "%s needs one kernel function by name: "
			   "%s:FUNC", p->provider, p->provider);
		return -EINVAL;
	}
	if (kbtf_load(p->btf, &why)) {
		diag_error(d, p->loc, "%s needs the kernel's BTF, and %s",
			   p->provider, why);
		return -ENOENT;
	}
	id = kbtf_func_id(p->btf, p->def);
	if (id == -EXDEV) {
		diag_error(d, p->loc, "%s is a module's function: ply's %s "
			   "attaches to the kernel's own only", p->def,
			   p->provider);
		return id;
	}
	if (id < 0 || kbtf_func(p->btf, p->def, &args, &n, &ret)) {
		diag_error(d, p->loc, "the kernel's BTF has no function '%s' "
			   "(inlined, static or not traceable)", p->def);
		return -ENOENT;
	}
	if (n > 12) {
		diag_error(d, p->loc, "%s has %zu arguments; %s takes at most "
			   "12", p->def, n, p->provider);
		return -EINVAL;
	}
	f = arena_alloc(a, sizeof(*f));
	f->func = p->def;
	f->btf_id = id;
	f->ret = ret;
	f->nargs = n;
	f->args = args_type(a, arena_printf(a, "struct %s_args", p->def),
			    args, n, NULL, 0);
	p->pdata = f;
	return 0;
}

static struct type *fent_var(struct probe *p, struct arena *a,
			     const char *name, int *ctx_off)
{
	const struct fent *f = p->pdata;

	if (p->prov == &provider_fexit && !strcmp(name, "retval")) {
		if (f->ret->kind == T_VOID)
			return NULL;
		*ctx_off = 8 * f->nargs;	/* after the arguments */
		return f->ret;
	}
	return args_var(f->args, name, ctx_off);
}

static const char *fexit_var_hint(const char *name)
{
	return !strcmp(name, "retval") ? " (fexit and kretprobe have it)" :
					 NULL;
}

/* A kernel without BPF trampolines refuses every tracing program (this
 * one says EPERM, others EINVAL or ENOTSUPP): found out once, and said. */
static int fent_attrs(const struct probe_prog *p, struct load_attrs *la,
		      const struct attach *at)
{
	const struct fent *f = p->pdata;
	static int supported = -1;

	if (supported < 0)
		supported = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACING,
						       NULL) == 1;
	if (!supported) {
		attach_msg(at, "probe '%s': this kernel has no fentry/fexit "
			   "(it loads no BPF_PROG_TYPE_TRACING program; they "
			   "need BPF trampolines: a BPF JIT, "
			   "CONFIG_FUNCTION_TRACER and "
			   "CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)\n",
			   p->name);
		return -EOPNOTSUPP;
	}
	la->attach_type = p->prov == &provider_fexit ? BPF_TRACE_FEXIT :
						       BPF_TRACE_FENTRY;
	la->btf_id = f->btf_id;
	return 0;
}

static int fent_attach(struct attach *at, const struct probe_prog *p)
{
	const struct fent *f = p->pdata;
	int err;

	err = attach_reserve(at, 1);
	if (err)
		return err;
	err = attach_raw_tp(at, NULL);
	if (err)
		attach_msg(at, "probe '%s': cannot attach to %s: "
			   "%s\n", p->name, f->func, strerror(-err));
	return err;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ftrace's traceable functions, sorted (fentry attaches only to those). */
static char **traceable(struct arena *a, size_t *n)
{
	VEC(char *) v = { 0 };
	char path[512], line[512], name[256];
	const char *root;
	FILE *fp;
	int err;

	*n = 0;
	root = sysroot_tracefs(&err);
	if (!root)
		return NULL;
	snprintf(path, sizeof(path), "%s/available_filter_functions", root);
	fp = fopen(path, "r");
	if (!fp)
		return NULL;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "%255s", name) == 1)
			vec_push(a, &v, arena_strdup(a, name));
	fclose(fp);
	if (v.n)
		qsort(v.v, v.n, sizeof(*v.v), cmp_name);
	*n = v.n;
	return v.v;
}

/* -l: the kernel's own functions that its BTF describes and ftrace can
 * trace, where the kernel has fentry; -v: their typed arguments. */
static int list_funcs(struct list_req *r, const char *prov)
{
	struct kbtf *k;
	const char **names;
	char **ok, probe[300];
	struct field *args;
	struct type *ret;
	size_t n, nok, i, j, na;
	int count = 0;

	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACING, NULL) != 1)
		return 0;
	k = kbtf__new(r->arena, NULL);
	if (!k)
		return 0;
	names = kbtf_func_names(k, &n);
	ok = traceable(r->arena, &nok);
	for (i = 0; i < n; i++) {
		if (!bsearch(&names[i], ok, nok, sizeof(*ok), cmp_name))
			continue;
		snprintf(probe, sizeof(probe), "%s:%s", prov, names[i]);
		if (!list_probe(r, probe))
			continue;
		count++;
		if (!r->verbose || kbtf_func(k, names[i], &args, &na, &ret))
			continue;
		for (j = 0; j < na; j++)
			fprintf(r->out, "\t%s %s;\n", args[j].type->name ?
				args[j].type->name : "?", args[j].name);
	}
	kbtf__free(k);
	return count;
}

static int fent_list(struct list_req *r)
{
	return list_funcs(r, "fentry");
}

/* The same functions again only when asked for by name. */
static int fexit_list(struct list_req *r)
{
	return r->glob && !strncmp(r->glob, "fexit:", 6) ?
		list_funcs(r, "fexit") : 0;
}

static const char *const fexit_vars[] = {
	"args", "retval", "arg0", "arg1", "arg2", "arg3", "arg4", "arg5",
	"arg6", "arg7", "arg8", "arg9", "arg10", "arg11", NULL,
};

const struct provider provider_fentry = {
	.name = "fentry",
	.prog_type = BPF_PROG_TYPE_TRACING,
	.flags = PROV_STACK | PROV_TASK,
	.resolve = fent_resolve,
	.var = fent_var,
	.vars = args_vars,
	.load_attrs = fent_attrs,
	.attach = fent_attach,
	.list = fent_list,
};

const struct provider provider_fexit = {
	.name = "fexit",
	.prog_type = BPF_PROG_TYPE_TRACING,
	.flags = PROV_STACK | PROV_TASK,
	.resolve = fent_resolve,
	.var = fent_var,
	.vars = fexit_vars,
	.var_hint = fexit_var_hint,
	.load_attrs = fent_attrs,
	.attach = fent_attach,
	.list = fexit_list,
};
