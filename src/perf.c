/* perf: the attach services of attach.h that keep fds: perf events with a
 * probe's program hanging off them, timers (see loop.c), and closing them
 * all when the probes stop. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include <bpf/bpf.h>

#include "rt.h"

/* ---- perf events ---- */

/* Room for n more perf events: in the fd table we keep, and under
 * RLIMIT_NOFILE, whose usual soft limit (1024) a glob over a few hundred
 * functions, or a profile on many CPUs, would hit. */
#define NOFILE_SPARE	256

int attach_reserve(struct attach *at, size_t n)
{
	struct runtime *rt = at->rt;
	const struct probe_prog *p = &rt->spec.progs[at->i];
	size_t need = rt->nperf + n, cap = rt->perf_cap ? rt->perf_cap : 16;
	struct rlimit rl;
	int *fds;

	while (cap < need)
		cap *= 2;
	if (cap != rt->perf_cap) {
		fds = realloc(rt->perf_fds, cap * sizeof(*fds));
		if (!fds) {
			rt_msg(rt, "probe '%s': out of memory\n",
			       p->name);
			return -ENOMEM;
		}
		rt->perf_fds = fds;
		rt->perf_cap = cap;
	}
	need += NOFILE_SPARE;
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= need)
		return 0;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ?
		      rl.rlim_max : need;
	setrlimit(RLIMIT_NOFILE, &rl);	/* if it fails, EMFILE will say */
	return 0;
}

const char *attach_stage_words(enum attach_stage stage)
{
	return stage == ATTACH_OPEN ? "failed to open a perf event" :
				      "failed to attach";
}

/* Room must have been reserved. */
int attach_perf_event(struct attach *at, struct perf_event_attr *attr,
		      int cpu, enum attach_stage *stage)
{
	struct runtime *rt = at->rt;
	int pfd, err;

	attr->size = sizeof(*attr);
	attr->disabled = 1;
	*stage = ATTACH_OPEN;
	pfd = syscall(SYS_perf_event_open, attr, -1, cpu, -1,
		      PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return -errno;
	*stage = ATTACH_SET_BPF;
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, rt->prog_fds[at->i]) ||
	    ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0)) {
		err = -errno;
		close(pfd);
		return err;
	}
	if (rt->nperf >= rt->perf_cap)
		unreachable();
	rt->perf_fds[rt->nperf++] = pfd;
	return 0;
}

int attach_raw_tp(struct attach *at, const char *name)
{
	struct runtime *rt = at->rt;
	int fd;

	fd = bpf_raw_tracepoint_open(name, rt->prog_fds[at->i]);
	if (fd < 0)
		return -errno;
	if (rt->nperf >= rt->perf_cap)
		unreachable();
	rt->perf_fds[rt->nperf++] = fd;
	return 0;
}

/* ---- closing ---- */


/* Removing a kprobe (or a tracepoint's last perf event) waits out RCU grace
 * periods in the kernel, some of them under its event_mutex, some not:
 * closing from a few threads overlaps the latter. In Debian's 6.1 under
 * qemu, 75 kprobes took 6.8 s to close one by one, 3.4 s from 4 threads
 * (and no less from 64). */
#define CLOSERS		4
#define CLOSERS_FROM	8	/* fewer fds: not worth a thread */

struct closer {
	int *fds;
	size_t n;
};

static void *closer_run(void *arg)
{
	struct closer *c = arg;

	fds_close(c->fds, c->n);
	return NULL;
}

void probes_close(struct runtime *rt)
{
	struct closer c[CLOSERS];
	pthread_t t[CLOSERS];
	int started[CLOSERS] = { 0 };
	size_t k, nt = rt->nperf >= CLOSERS_FROM ? CLOSERS : 1, off = 0;
	size_t per = (rt->nperf + nt - 1) / nt;

	for (k = 0; k < rt->nattached; k++) {
		const struct probe_prog *p = &rt->spec.progs[k];
		struct attach at = { rt, k };

		if (p->prov->detach)
			p->prov->detach(&at, p);
	}
	rt->nattached = 0;
	if (!rt->nperf)
		return;
	for (k = 0; k < nt; k++) {
		c[k].fds = rt->perf_fds + off;
		c[k].n = rt->nperf - off < per ? rt->nperf - off : per;
		off += c[k].n;
		if (k)
			started[k] = !pthread_create(&t[k], NULL, closer_run,
						     &c[k]);
	}
	closer_run(&c[0]);
	for (k = 1; k < nt; k++) {
		if (started[k])
			pthread_join(t[k], NULL);
		else
			closer_run(&c[k]);
	}
	rt->nperf = 0;
}

