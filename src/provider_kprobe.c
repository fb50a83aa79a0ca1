/* provider_kprobe: "kprobe:FUNC", "kprobe:FUNC+OFFSET", "kprobe:0xADDR",
 * "kprobe:GLOB" and the same for kretprobe. Probes are made through the
 * kprobe PMU (perf_event_open), never through tracefs's kprobe_events, so
 * they vanish with ply's file descriptors. */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "attach.h"
#include "btf.h"
#include "provider.h"
#include "sysroot.h"

#define KPROBE_PMU	"/sys/bus/event_source/devices/kprobe"

struct kp {
	VEC(struct kprobe_target) targets;
	/* one function by name, with BTF: its arguments (args->file) and
	 * its return type (retval) */
	struct type *args, *ret;
};

/* kprobe and kretprobe tell themselves apart by their table. */
extern const struct provider provider_kprobe, provider_kretprobe;

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
		struct kprobe_target t = { 0 };

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

/* A function's typed arguments (the first six, those in registers) and
 * return value, when the kernel's BTF has its prototype; otherwise a
 * kprobe has arg0-arg5 as u64 and nothing more. */
static void kp_types(struct probe *p, struct kp *kp, struct arena *a,
		     const char *func)
{
	struct field *args;
	struct type *ret;
	int offs[6];
	size_t n, i;

	if (kbtf_load(p->btf, NULL) || kbtf_func(p->btf, func, &args, &n, &ret))
		return;
	if (n > 6)
		n = 6;
	for (i = 0; i < n; i++)
		offs[i] = regs_arg_off(i);
	kp->args = args_type(a, arena_printf(a, "struct %s_args", func), args,
			     n, offs, 0);
	kp->ret = ret;
}

static int kp_resolve(struct probe *p, struct arena *a, struct diag *d)
{
	int ret = p->prov == &provider_kretprobe;
	struct kp *kp = arena_alloc(a, sizeof(*kp));
	struct kprobe_target t = { 0 };
	char *plus, *end;

	if (access(KPROBE_PMU "/type", R_OK)) {
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
	if (!t.offset)
		kp_types(p, kp, a, t.sym);
	return 0;
}

static struct type *kp_var(struct probe *p, struct arena *a, const char *name,
			   int *ctx_off)
{
	int ret = p->prov == &provider_kretprobe;
	const struct kp *kp = p->pdata;

	/* args->NAME is typed; arg0-arg5 stay the u64 registers they are */
	if (!ret && kp && kp->args && !strcmp(name, "args"))
		return args_var(kp->args, name, ctx_off);
	if (ret && kp && kp->ret && type_is_scalar(kp->ret) &&
	    !strcmp(name, "retval")) {
		regs_var(a, name, ctx_off, 0, 1);	/* where: ax */
		return kp->ret;
	}
	return regs_var(a, name, ctx_off, !ret, ret);
}

static const char *kp_var_hint(const char *name)
{
	if (!strncmp(name, "arg", 3) && name[3] >= '0' && name[3] <= '9')
		return " (arg0-arg5 are a kprobe's)";
	return regs_hint(name);
}

static const char *kretp_var_hint(const char *name)
{
	if (!strcmp(name, "retval"))
		return " (retval is a kretprobe's)";
	return regs_hint(name);
}

const void *kprobe_pdata(struct arena *a, const struct kprobe_target *t,
			 size_t n)
{
	struct kp *kp = arena_alloc(a, sizeof(*kp));
	size_t i;

	for (i = 0; i < n; i++)
		vec_push(a, &kp->targets, t[i]);
	return kp;
}

/* ---- attach ---- */

/* The kprobe PMU's type and retprobe bit ("config:0"): the kernel's, read
 * once. Without the PMU there are no kprobes for ply: it never writes
 * kprobe_events, whose probes would outlive it. */
static int pmu_type = -1, pmu_retbit = -1;

static int kprobe_pmu(struct attach *at, const struct probe_prog *p)
{
	char buf[64];
	unsigned int bit;
	int err, type;

	if (pmu_type >= 0)
		return 0;
	err = file_line(KPROBE_PMU "/type", buf, sizeof(buf));
	if (err == -ENOENT &&
	    access("/sys/bus/event_source/devices", F_OK) == 0) {
		attach_msg(at, "probe '%s': this kernel has no kprobes "
			   "(CONFIG_KPROBES is not set)\n", p->name);
		return -EOPNOTSUPP;
	}
	if (!err && sscanf(buf, "%d", &type) != 1)
		err = -EINVAL;
	if (err) {
		attach_msg(at, "probe '%s': cannot read the kprobe PMU "
			   "type from %s/type: %s\n", p->name, KPROBE_PMU,
			   err == -ENOENT ? "sysfs is not mounted on /sys" :
			   strerror(-err));
		return err;
	}
	if (!file_line(KPROBE_PMU "/format/retprobe", buf, sizeof(buf)) &&
	    sscanf(buf, "config:%u", &bit) == 1 && bit < 64)
		pmu_retbit = bit;
	pmu_type = type;
	return 0;
}

static void target_print(FILE *f, const struct kprobe_target *k)
{
	if (!k->sym)
		fprintf(f, "0x%" PRIx64, k->addr);
	else if (k->offset)
		fprintf(f, "%s+0x%" PRIx64, k->sym, k->offset);
	else
		fputs(k->sym, f);
}

#define ENOTSUPP_KERNEL	524	/* the kernel's own ENOTSUPP, may leak out */

/* Errors that concern one target only: a glob may list a few. */
static int err_local(int err)
{
	switch (-err) {
	case ENOENT: case EINVAL: case EILSEQ: case EBUSY: case EEXIST:
	case EADDRNOTAVAIL: case ENOTSUPP_KERNEL:
		return 1;
	}
	return 0;
}

static const char *err_words(int ret, const struct kprobe_target *k, int err)
{
	switch (-err) {
	case ENOENT:
		return k->sym ? "no such function" :
				"no kernel code at that address";
	case EINVAL:
		if (ret && k->sym && k->offset)
			return "a return probe must be at a function's entry";
		return "the kernel does not allow probing it (notrace, "
		       "blacklisted, or not code)";
	case EILSEQ:
		return "the offset is not at an instruction boundary";
	case EADDRNOTAVAIL:
		return "several functions have that name; give an address";
	case EMFILE:
		return "too many open files";
	case ENOTSUPP_KERNEL:
		return "not supported by this kernel";
	}
	return strerror(-err);
}

static void target_failed(FILE *f, int ret, const struct kprobe_target *k,
			  int err)
{
	target_print(f, k);
	fprintf(f, ": %s", err_words(ret, k, err));
}

static int attach_one(struct attach *at, int ret,
		      const struct kprobe_target *k, enum attach_stage *stage)
{
	struct perf_event_attr attr = {
		.type = pmu_type,
		.sample_period = 1,
		.wakeup_events = 1,
	};

	if (ret)
		attr.config |= 1ULL << pmu_retbit;
	if (k->sym) {
		attr.kprobe_func = (uint64_t)(uintptr_t)k->sym;
		attr.probe_offset = k->offset;
	} else {
		attr.kprobe_func = 0;
		attr.kprobe_addr = k->addr;
	}
	return attach_perf_event(at, &attr, 0, stage);
}

/* Every target gets its own perf event, all sharing the program. Of a
 * glob's many targets, those the kernel refuses (notrace functions that
 * are still listed, say) are skipped and counted; any other error, or
 * every target refused, fails the probe. */
static int kp_attach(struct attach *at, const struct probe_prog *p)
{
	const struct kp *kp = p->pdata;
	const struct kprobe_target *first = NULL, *k = kp->targets.v;
	size_t t, nfail = 0, n = kp->targets.n;
	int ret = p->prov == &provider_kretprobe;
	FILE *ferr = attach_err(at);
	enum attach_stage stage;
	int err, first_err = 0;

	err = kprobe_pmu(at, p);
	if (err)
		return err;
	if (ret && pmu_retbit < 0) {
		attach_msg(at, "probe '%s': this kernel's kprobe PMU "
			   "has no return probes\n", p->name);
		return -EOPNOTSUPP;
	}
	if (!n) {
		attach_msg(at, "probe '%s': no function to attach to\n",
			   p->name);
		return -ENOENT;
	}
	err = attach_reserve(at, n);
	if (err)
		return err;
	for (t = 0; t < n; t++) {
		err = attach_one(at, ret, &k[t], &stage);
		if (!err)
			continue;
		if (stage != ATTACH_OPEN) {
			attach_msg(at, "probe '%s': %s: %s\n", p->name,
				   attach_stage_words(stage), strerror(-err));
			return err;
		}
		if (n == 1 || !err_local(err)) {
			attach_msg(at, "probe '%s': cannot attach to ",
				   p->name);
			target_failed(ferr, ret, &k[t], err);
			fputc('\n', ferr);
			return err;
		}
		if (attach_debug(at)) {
			attach_msg(at, "probe '%s': skipped ", p->name);
			target_failed(ferr, ret, &k[t], err);
			fputc('\n', ferr);
		}
		if (!nfail++) {
			first = &k[t];
			first_err = err;
		}
	}
	if (!nfail)
		return 0;
	if (nfail == n)
		attach_msg(at, "probe '%s': cannot attach to any of its "
			   "%zu targets (first: ", p->name, nfail);
	else
		attach_msg(at, "warning: probe '%s': %zu of %zu targets "
			   "not attached (first: ", p->name, nfail, n);
	target_failed(ferr, ret, first, first_err);
	fputs(")\n", ferr);
	return nfail == n ? first_err : 0;
}

/* -l: every function ftrace can trace, where the kernel has kprobes
 * (kretprobe: takes the same ones). */
static int list_fns(struct list_req *r, const char *prov)
{
	char probe[300], **names;
	size_t n, i;
	int count = 0;

	if (access("/sys/bus/event_source/devices/kprobe/type", F_OK))
		return 0;
	names = traceable_names(&n, r->arena);
	for (i = 0; i < n; i++) {
		snprintf(probe, sizeof(probe), "%s:%s", prov, names[i]);
		count += list_probe(r, probe);
	}
	return count;
}

static int kp_list(struct list_req *r)
{
	return list_fns(r, "kprobe");
}

/* The same functions again only when asked for by name. */
static int kretp_list(struct list_req *r)
{
	return r->glob && !strncmp(r->glob, "kretprobe:", 10) ?
		list_fns(r, "kretprobe") : 0;
}

const struct provider provider_kprobe = {
	.name = "kprobe",
	.prog_type = BPF_PROG_TYPE_KPROBE,
	.flags = PROV_STACK | PROV_TASK,
	.resolve = kp_resolve,
	.var = kp_var,
	.vars = regs_vars_args,
	.var_hint = kp_var_hint,
	.attach = kp_attach,
	.list = kp_list,
};

const struct provider provider_kretprobe = {
	.name = "kretprobe",
	.prog_type = BPF_PROG_TYPE_KPROBE,
	.flags = PROV_STACK | PROV_TASK,
	.resolve = kp_resolve,
	.var = kp_var,
	.vars = regs_vars_ret,
	.var_hint = kretp_var_hint,
	.attach = kp_attach,
	.list = kretp_list,
};
