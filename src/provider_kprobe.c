/* provider_kprobe: "kprobe:FUNC", "kprobe:FUNC+OFFSET", "kprobe:0xADDR",
 * "kprobe:GLOB" and the same for kretprobe. Probes are made through the
 * kprobe PMU (perf_event_open), never through tracefs's kprobe_events, so
 * they vanish with ply's file descriptors. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provider.h"
#include "sysroot.h"

#define KPROBE_PMU "/sys/bus/event_source/devices/kprobe/type"

struct kp {
	VEC(struct rt_kprobe) targets;
};

static int is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

struct sym {
	char *name;
	uint64_t addr;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_sym_addr(const void *a, const void *b)
{
	return cmp_u64(&((const struct sym *)a)->addr,
		       &((const struct sym *)b)->addr);
}

/* The names ftrace can trace, sorted; NULL when the list is unavailable. */
static char **traceable_names(size_t *n, struct arena *a)
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
		qsort(v.v, v.n, sizeof(*v.v), cmp_str);
	*n = v.n;
	return v.n ? v.v : NULL;
}

/* Every text symbol of /proc/kallsyms. */
static struct sym *text_symbols(size_t *n, struct arena *a)
{
	VEC(struct sym) v = { 0 };
	char line[512], name[256], type;
	unsigned long long addr;
	FILE *fp = fopen("/proc/kallsyms", "r");

	*n = 0;
	if (!fp)
		return NULL;
	while (fgets(line, sizeof(line), fp)) {
		struct sym s;

		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 ||
		    (type != 't' && type != 'T') || !addr)
			continue;
		s.name = arena_strdup(a, name);
		s.addr = addr;
		vec_push(a, &v, s);
	}
	fclose(fp);
	*n = v.n;
	return v.v;
}

/* A glob names the kernel functions that match it and that ftrace can
 * trace. ftrace lists one name per address, while kallsyms has every
 * alias (__x64_sys_getppid and __do_sys_getppid share one): so a function
 * is traceable when its address is that of a traceable name. Each address
 * is probed once. */
static int glob_expand(struct probe *p, struct kp *kp, const char *pat,
		       struct arena *a, struct diag *d)
{
	struct arena *tmp = arena__new();
	size_t nsyms, nnames, i, nok = 0, nmatch = 0;
	struct sym *syms = text_symbols(&nsyms, tmp);
	char **names = traceable_names(&nnames, tmp);
	uint64_t *ok = calloc(nsyms + 1, sizeof(*ok));
	struct sym *match = calloc(nsyms + 1, sizeof(*match));
	int err = 0;

	if (!syms || !ok || !match) {
		diag_error(d, p->loc, "cannot list the kernel's functions to "
			   "expand '%s' (/proc/kallsyms)", pat);
		err = -ENOENT;
		goto out;
	}
	for (i = 0; i < nsyms && names; i++)
		if (bsearch(&syms[i].name, names, nnames, sizeof(*names), cmp_str))
			ok[nok++] = syms[i].addr;
	qsort(ok, nok, sizeof(*ok), cmp_u64);
	for (i = 0; i < nsyms; i++)
		if (!fnmatch(pat, syms[i].name, 0) && (!names ||
		    bsearch(&syms[i].addr, ok, nok, sizeof(*ok), cmp_u64)))
			match[nmatch++] = syms[i];
	qsort(match, nmatch, sizeof(*match), cmp_sym_addr);
	for (i = 0; i < nmatch; i++) {
		struct rt_kprobe t = { 0 };

		if (i && match[i].addr == match[i - 1].addr)
			continue;
		t.sym = arena_strdup(a, match[i].name);
		vec_push(a, &kp->targets, t);
	}
	if (!kp->targets.n) {
		diag_error(d, p->loc, "no traceable kernel function matches '%s'",
			   pat);
		err = -ENOENT;
	}
out:
	free(ok);
	free(match);
	arena__free(tmp);
	return err;
}

static int kp_resolve(struct probe *p, struct arena *a, struct diag *d)
{
	int ret = !strcmp(p->provider, "kretprobe");
	struct kp *kp = arena_alloc(a, sizeof(*kp));
	struct rt_kprobe t = { 0 };
	char *plus, *end;

	if (access(KPROBE_PMU, R_OK)) {
		diag_error(d, p->loc, "this kernel has no kprobes "
			   "(CONFIG_KPROBES is not set)");
		return -EOPNOTSUPP;
	}
	if (!p->def[0]) {
		diag_error(d, p->loc, "%s needs a function: %s:FUNC, "
			   "%s:FUNC+OFFSET or %s:0xADDRESS", p->provider,
			   p->provider, p->provider, p->provider);
		return -EINVAL;
	}
	p->pdata = kp;
	if (p->def[0] >= '0' && p->def[0] <= '9') {
		t.addr = strtoull(p->def, &end, 0);
		if (*end || !t.addr) {
			diag_error(d, p->loc, "'%s' is not an address", p->def);
			return -EINVAL;
		}
		vec_push(a, &kp->targets, t);
		return 0;
	}
	t.sym = arena_strdup(a, p->def);
	plus = strchr(t.sym, '+');
	if (plus) {
		*plus = '\0';
		t.offset = strtoull(plus + 1, &end, 0);
		if (*end || plus[1] == '\0') {
			diag_error(d, p->loc, "'%s' is not an offset", plus + 1);
			return -EINVAL;
		}
		if (ret || is_glob(t.sym)) {
			diag_error(d, p->loc, "an offset goes with a single "
				   "function of a kprobe");
			return -EINVAL;
		}
	}
	if (is_glob(t.sym))
		return glob_expand(p, kp, t.sym, a, d);
	vec_push(a, &kp->targets, t);
	return 0;
}

static struct type *kp_var(struct probe *p, struct arena *a, const char *name,
			   int *ctx_off)
{
	int ret = !strcmp(p->provider, "kretprobe");

	return regs_var(a, name, ctx_off, !ret, ret);
}

static void kp_setup(const struct probe *p, struct rt_prog *rp)
{
	const struct kp *kp = p->pdata;

	rp->kprobes = kp->targets.v;
	rp->nkprobes = kp->targets.n;
	rp->retprobe = !strcmp(p->provider, "kretprobe");
}

const struct provider provider_kprobe = {
	.name = "kprobe",
	.prog_type = BPF_PROG_TYPE_KPROBE,
	.attach = RT_KPROBE,
	.resolve = kp_resolve,
	.var = kp_var,
	.setup = kp_setup,
};

const struct provider provider_kretprobe = {
	.name = "kretprobe",
	.prog_type = BPF_PROG_TYPE_KPROBE,
	.attach = RT_KPROBE,
	.resolve = kp_resolve,
	.var = kp_var,
	.setup = kp_setup,
};
