/* provider_perf: probes fired by time. "interval:N[m|s|ms|us|ns]" runs
 * every N, from a timer of ply's; "profile:[CPU:]Nhz" samples N times a
 * second on every CPU (or on one) through perf events. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>

#include "provider.h"

struct perf {
	uint64_t period;	/* ns, or Hz when freq */
	int freq;
	int cpu;
};

static const struct {
	const char *suffix;
	uint64_t ns;
} units[] = {
	{ "m", 60000000000ULL }, { "s", 1000000000ULL }, { "ms", 1000000ULL },
	{ "us", 1000ULL }, { "ns", 1ULL }, { "", 1000000000ULL },
};

static int interval_resolve(struct probe *p, struct arena *a, struct diag *d)
{
	struct perf *pf = arena_alloc(a, sizeof(*pf));
	char *end;
	uint64_t n;
	size_t i;

	errno = 0;
	n = strtoull(p->def, &end, 10);
	if (p->def[0] < '0' || p->def[0] > '9' || end == p->def || !n || errno)
		goto bad;
	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(end, units[i].suffix))
			break;
	if (i == ARRAY_SIZE(units) || n > UINT64_MAX / units[i].ns)
		goto bad;
	pf->period = n * units[i].ns;
	pf->cpu = 0;
	p->pdata = pf;
	return 0;
bad:
	diag_error(d, p->loc, "interval takes a period like interval:1s, "
		   "interval:500ms (units m, s, ms, us, ns), not '%s'", p->def);
	return -EINVAL;
}

static int profile_resolve(struct probe *p, struct arena *a, struct diag *d)
{
	struct perf *pf = arena_alloc(a, sizeof(*pf));
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

static struct type *interval_var(struct probe *p, struct arena *a,
				 const char *name, int *ctx_off)
{
	return NULL;	/* it runs from ply's timer: nothing was interrupted */
}

static void interval_setup(const struct probe *p, struct rt_prog *rp)
{
	rp->period = ((const struct perf *)p->pdata)->period;
}

static struct type *perf_var(struct probe *p, struct arena *a,
			     const char *name, int *ctx_off)
{
	/* bpf_perf_event_data starts with the interrupted pt_regs */
	return regs_var(a, name, ctx_off, 0, 0);
}

static void perf_setup(const struct probe *p, struct rt_prog *rp)
{
	const struct perf *pf = p->pdata;

	rp->perf_type = PERF_TYPE_SOFTWARE;
	rp->perf_config = PERF_COUNT_SW_CPU_CLOCK;
	rp->period = pf->period;
	rp->freq = pf->freq;
	rp->cpu = pf->cpu;
}

/* An interval probe runs from a timer in ply's event loop, through
 * BPF_PROG_TEST_RUN: a perf event's program would be skipped, silently,
 * whenever it fires while another BPF program runs on its CPU. */
const struct provider provider_interval = {
	.name = "interval",
	.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT,
	.attach = RT_TIMER,
	.resolve = interval_resolve,
	.var = interval_var,
	.setup = interval_setup,
};

const struct provider provider_profile = {
	.name = "profile",
	.prog_type = BPF_PROG_TYPE_PERF_EVENT,
	.attach = RT_PERF,
	.resolve = profile_resolve,
	.var = perf_var,
	.setup = perf_setup,
};
