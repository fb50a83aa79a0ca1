/* provider_interval: "interval:N[m|s|ms|us|ns]" runs every N, from a timer
 * in ply's event loop, through BPF_PROG_TEST_RUN: a perf event's program
 * would be skipped, silently, whenever it fires while another BPF program
 * runs on its CPU. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "attach.h"
#include "provider.h"

struct interval {
	uint64_t period;	/* ns */
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
	struct interval *iv = arena_alloc(a, sizeof(*iv));
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
	iv->period = n * units[i].ns;
	p->pdata = iv;
	return 0;
bad:
	diag_error(d, p->loc, "interval takes a period like interval:1s, "
		   "interval:500ms (units m, s, ms, us, ns), not '%s'", p->def);
	return -EINVAL;
}

static struct type *interval_var(struct probe *p, struct arena *a,
				 const char *name, int *ctx_off)
{
	return NULL;	/* it runs from ply's timer: nothing was interrupted */
}

static int interval_attach(struct attach *at, const struct probe_prog *p)
{
	const struct interval *iv = p->pdata;
	struct itimerspec its = { 0 };
	int fd, err;

	if (!iv || !iv->period)
		return -EINVAL;
	err = attach_reserve(at, 1);
	if (err)
		return err;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0) {
		err = -errno;
		attach_msg(at, "probe '%s': failed to create a "
			   "timer: %s\n", p->name, strerror(-err));
		return err;
	}
	its.it_value.tv_sec = iv->period / 1000000000ULL;
	its.it_value.tv_nsec = iv->period % 1000000000ULL;
	its.it_interval = its.it_value;
	if (timerfd_settime(fd, 0, &its, NULL)) {
		err = -errno;
		close(fd);
		attach_msg(at, "probe '%s': failed to start its "
			   "timer: %s\n", p->name, strerror(-err));
		return err;
	}
	return attach_timer(at, fd);
}

/* -l: the form, as there is one probe for every period. */
static int interval_list(struct list_req *r)
{
	return list_probe(r, "interval:N[m|s|ms|us|ns]");
}

const struct provider provider_interval = {
	.name = "interval",
	.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT,
	.resolve = interval_resolve,
	.var = interval_var,
	.attach = interval_attach,
	.list = interval_list,
};
