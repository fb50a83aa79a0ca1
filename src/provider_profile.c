/* provider_profile: "profile:[CPU:]Nhz" samples N times a second on every
 * online CPU (or on one) through perf events of the CPU clock. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <linux/perf_event.h>

#include "attach.h"
#include "provider.h"

#define CPUS_ONLINE	"/sys/devices/system/cpu/online"

struct profile {
	uint64_t period;	/* ns, or Hz when freq */
	int freq;
	int cpu;		/* a CPU, or -1 for every online CPU */
};

static int profile_resolve(struct probe *p, struct arena *a, struct diag *d)
{
	struct profile *pf = arena_alloc(a, sizeof(*pf));
	const char *s = p->def, *colon = strchr(s, ':');
	char *end;

	pf->cpu = -1;
	pf->freq = 1;
	if (colon) {
		pf->cpu = strtol(s, &end, 10);
		if (end != colon || pf->cpu < 0)
			goto bad;
		s = colon + 1;
	}
	errno = 0;
	pf->period = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || end == s || !pf->period || errno ||
	    (*end && strcmp(end, "hz")))
		goto bad;
	p->pdata = pf;
	return 0;
bad:
	diag_error(d, p->loc, "profile takes a frequency like profile:99hz "
		   "or profile:CPU:99hz, not '%s'", p->def);
	return -EINVAL;
}

static struct type *profile_var(struct probe *p, struct arena *a,
				const char *name, int *ctx_off)
{
	/* bpf_perf_event_data starts with the interrupted pt_regs */
	return regs_var(a, name, ctx_off, 0, 0);
}

const void *profile_pdata(struct arena *a, uint64_t period, int freq,
			  int cpu)
{
	struct profile *pf = arena_alloc(a, sizeof(*pf));

	pf->period = period;
	pf->freq = freq;
	pf->cpu = cpu;
	return pf;
}

/* ---- attach ---- */

/* "0-3,5,7-8\n" */
static int cpus_parse(const char *s, int **cpus, size_t *n)
{
	long a, b, c;
	char *end;
	int *v;

	*cpus = NULL;
	*n = 0;
	while (*s && *s != '\n') {
		a = b = strtol(s, &end, 10);
		if (end == s || a < 0)
			return -EINVAL;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a)
				return -EINVAL;
		}
		v = realloc(*cpus, (*n + (b - a) + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		*cpus = v;
		for (c = a; c <= b; c++)
			v[(*n)++] = (int)c;
		s = *end == ',' ? end + 1 : end;
	}
	return *n ? 0 : -EINVAL;
}

static const char *err_words(const struct attach *at,
			     const struct profile *pf, int cpu, int err)
{
	static char buf[128];
	long max;

	switch (-err) {
	case ENOENT: case EOPNOTSUPP:
		return "this kernel or CPU has no such event";
	case ENODEV:
		return "no such CPU, or it is offline";
	case EINVAL:
		if (cpu >= attach_ncpus(at))
			return "no such CPU, or it is offline";
		max = sysctl_long("/proc/sys/kernel/perf_event_max_sample_rate");
		if (!pf->freq || max < 0 || pf->period <= (uint64_t)max)
			break;
		snprintf(buf, sizeof(buf), "%" PRIu64 " Hz is more than "
			 "kernel.perf_event_max_sample_rate (%ld)", pf->period,
			 max);
		return buf;
	case EMFILE:
		return "too many open files";
	}
	return strerror(-err);
}

/* A sampling event on pf->cpu or on every online CPU: unlike a
 * tracepoint, it only fires on the CPU it was opened for. */
static int profile_attach(struct attach *at, const struct probe_prog *p)
{
	const struct profile *pf = p->pdata;
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
	};
	enum attach_stage stage;
	char line[4096];
	int one = pf->cpu, *online = NULL, err = 0;
	const int *cpus = &one;
	size_t n = 1, c;

	if (!pf->period) {
		attach_msg(at, "probe '%s': no period or frequency\n",
			   p->name);
		return -EINVAL;
	}
	if (pf->freq) {
		attr.freq = 1;
		attr.sample_freq = pf->period;
	} else {
		attr.sample_period = pf->period;
	}
	if (pf->cpu < 0) {
		err = file_line(CPUS_ONLINE, line, sizeof(line));
		if (!err)
			err = cpus_parse(line, &online, &n);
		if (err)
			attach_msg(at, "probe '%s': cannot read the online "
				   "CPUs from %s: %s\n", p->name, CPUS_ONLINE,
				   strerror(-err));
		cpus = online;
	}
	if (!err)
		err = attach_reserve(at, n);
	for (c = 0; !err && c < n; c++) {
		err = attach_perf_event(at, &attr, cpus[c], &stage);
		if (err)
			attach_msg(at, "probe '%s': %s on CPU %d: %s\n",
				   p->name, attach_stage_words(stage), cpus[c],
				   err_words(at, pf, cpus[c], err));
	}
	free(online);
	return err;
}

static int profile_list(struct list_req *r)
{
	return list_probe(r, "profile:[CPU:]Nhz");
}

const struct provider provider_profile = {
	.name = "profile",
	.prog_type = BPF_PROG_TYPE_PERF_EVENT,
	.flags = PROV_STACK | PROV_TASK,
	.resolve = profile_resolve,
	.var = profile_var,
	.vars = regs_vars,
	.var_hint = regs_hint,
	.attach = profile_attach,
	.list = profile_list,
};
