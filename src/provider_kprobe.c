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

#define KPROBE_PMU "/sys/bus/event_source/devices/kprobe/type"

struct kp {
	VEC(struct rt_kprobe) targets;
};

static int is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int seen(const struct kp *kp, const char *name)
{
	size_t i;

	for (i = 0; i < kp->targets.n; i++)
		if (!strcmp(kp->targets.v[i].sym, name))
			return 1;
	return 0;
}

/* The functions the kernel lets us trace, or every text symbol when that
 * list isn't available. */
static FILE *functions_open(int *kallsyms)
{
	const char *root = tracefs_path();
	char path[512];
	FILE *fp = NULL;

	*kallsyms = 0;
	if (root) {
		snprintf(path, sizeof(path), "%s/available_filter_functions",
			 root);
		fp = fopen(path, "r");
	}
	if (!fp) {
		*kallsyms = 1;
		fp = fopen("/proc/kallsyms", "r");
	}
	return fp;
}

static int glob_expand(struct probe *p, struct kp *kp, const char *pat,
		       struct arena *a, struct diag *d)
{
	char line[512], name[256], type;
	int kallsyms;
	FILE *fp = functions_open(&kallsyms);

	if (!fp) {
		diag_error(d, p->loc, "cannot list the kernel's functions to "
			   "expand '%s': %s", pat, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), fp)) {
		struct rt_kprobe t = { 0 };

		if (kallsyms ? sscanf(line, "%*s %c %255s", &type, name) != 2 ||
		    (type != 't' && type != 'T') :
		    sscanf(line, "%255s", name) != 1)
			continue;
		if (fnmatch(pat, name, 0) || seen(kp, name))
			continue;
		t.sym = arena_strdup(a, name);
		vec_push(a, &kp->targets, t);
	}
	fclose(fp);
	if (!kp->targets.n) {
		diag_error(d, p->loc, "no traceable kernel function matches '%s'",
			   pat);
		return -ENOENT;
	}
	return 0;
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
