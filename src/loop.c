/* loop: the event loop on epoll (ring buffer, signals, the command's
 * pidfd, the timers of attach_timer). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>


#include <bpf/libbpf.h>

#include "rt.h"

int attach_timer(struct attach *at, int fd)
{
	struct runtime *rt = at->rt;
	struct rt_timer *t;

	if (rt->nperf >= rt->perf_cap)
		unreachable();	/* attach_reserve comes first */
	t = realloc(rt->timers, (rt->ntimers + 1) * sizeof(*t));
	if (!t) {
		close(fd);
		return -ENOMEM;
	}
	rt->timers = t;
	rt->perf_fds[rt->nperf++] = fd;
	t[rt->ntimers].fd = fd;
	t[rt->ntimers].skipped = 0;
	t[rt->ntimers++].prog = at->i;
	return 0;
}

/* A timer expired (n times, if the loop was late): run its program as
 * often, so that an interval probe counting ticks counts them all. */
static int timer_fire(struct runtime *rt, size_t k)
{
	uint64_t n = 0, j;
	int err = 0;

	if (read(rt->timers[k].fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	for (j = 0; j < n && j < TIMER_BATCH && !err; j++)
		err = prog_run(rt, rt->timers[k].prog);
	rt->timers[k].skipped += n - j;
	return err;
}


/* ---- the loop ---- */

int sig_block(struct runtime *rt)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (!rt->mask_saved) {
		if (sigprocmask(SIG_BLOCK, &set, &rt->old_mask))
			return -errno;
		rt->mask_saved = 1;
	}
	if (rt->sig_fd < 0) {
		rt->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
		if (rt->sig_fd < 0)
			return -errno;
	}
	return 0;
}

/* Signals that came after the one that stopped us are dropped: unblocked,
 * they would kill ply before it gives its exit status. */
void sig_restore(struct runtime *rt)
{
	struct signalfd_siginfo si;

	if (rt->sig_fd >= 0)
		while (read(rt->sig_fd, &si, sizeof(si)) == sizeof(si))
			;
	close_fd(&rt->sig_fd);
	if (rt->mask_saved)
		sigprocmask(SIG_SETMASK, &rt->old_mask, NULL);
	rt->mask_saved = 0;
}

static int epoll_add(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int loop_setup(struct runtime *rt, int *epfd)
{
	size_t k;
	int err;

	err = sig_block(rt);
	if (err)
		return err;
	*epfd = epoll_create1(EPOLL_CLOEXEC);
	if (*epfd < 0)
		return -errno;
	err = rt->rb ? epoll_add(*epfd, ring_buffer__epoll_fd(rt->rb),
				 TAG_RB) : 0;
	if (!err)
		err = epoll_add(*epfd, rt->sig_fd, TAG_SIG);
	if (!err && rt->child && !rt->child_done)
		err = epoll_add(*epfd, rt->child_pidfd, TAG_CHILD);
	for (k = 0; !err && k < rt->ntimers; k++)
		err = epoll_add(*epfd, rt->timers[k].fd, TAG_TIMER + k);
	return err;
}

static int loop_event(struct runtime *rt, uint32_t tag)
{
	struct signalfd_siginfo si;
	int err = 0;

	switch (tag) {
	case TAG_RB:
		err = events_consume(rt);
		if (stats_report_lost(rt) && !rt->keep_going) {
			struct out_report r = { .kind = OUT_STOP_LOST };

			out_report(rt->out, &r);
			rt->failed = 1;
			rt->stop = 1;
		}
		break;
	case TAG_SIG:
		if (read(rt->sig_fd, &si, sizeof(si)) == sizeof(si))
			rt->stop = 1;
		break;
	case TAG_CHILD:
		child_reap(rt, WNOHANG);
		rt->stop = 1;
		break;
	default:
		err = timer_fire(rt, tag - TAG_TIMER);
		if (!err)
			err = events_consume(rt);
		break;
	}
	return err;
}

int runtime__loop(struct runtime *rt)
{
	struct epoll_event evs[8];
	int epfd = -1, err = 0, n, i;

	if (rt->stop)
		return 0;
	err = loop_setup(rt, &epfd);
	if (err) {
		out_msg(rt->out, "failed to set up the event loop: %s",
			strerror(-err));
		goto cleanup;
	}
	/* whoever read the output is gone, or it is full: BEGIN may have
	 * found out already */
	while (!rt->stop && !err && !out_failed(rt->out)) {
		n = epoll_wait(epfd, evs, ARRAY_SIZE(evs),
			       rt->rb ? RINGBUF_POLL_MS : -1);
		if (n == 0)	/* events that asked for no wake-up */
			err = loop_event(rt, TAG_RB);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			out_msg(rt->out, "epoll_wait failed: %s",
				strerror(-err));
			break;
		}
		for (i = 0; i < n && !err; i++)
			err = loop_event(rt, evs[i].data.u32);
	}
cleanup:
	close_fd(&epfd);
	if (err)
		rt->failed = 1;
	return err;
}

