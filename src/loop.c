/* loop: the event loop on one epoll fd (the ring buffer and its poll
 * timer, the front end's stop, the command's guard, interval timers),
 * run a step at a time so that a front end can run it from its own loop.
 * It takes no signals: the front end owns them and calls ply__stop. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>


#include <bpf/libbpf.h>

#include "rt.h"

int attach_timer(struct attach *at, int fd)
{
	struct runtime *rt = at->rt;
	struct rt_timer *t;
	int err;

	if (rt->nperf >= rt->perf_cap)
		unreachable();	/* attach_reserve comes first */
	t = realloc(rt->timers, (rt->ntimers + 1) * sizeof(*t));
	if (!t) {
		close(fd);
		return -ENOMEM;
	}
	rt->timers = t;
	rt->perf_fds[rt->nperf++] = fd;
	err = epoll_add(rt, fd, TAG_TIMER + rt->ntimers);
	if (err)
		return err;
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

int epoll_add(struct runtime *rt, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(rt->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* The front end asked to stop (maybe from a signal handler), the
 * runtime decided to, or the output failed (whoever read it is gone, or
 * it is full, or the stopping signal interrupted a write to it): BEGIN's
 * events may have found that out already. */
int stopping(const struct runtime *rt)
{
	return rt->stop || (rt->stop_req && *rt->stop_req) ||
	       out_failed(rt->out);
}

static void fd_drain(int fd)
{
	uint64_t n;

	while (read(fd, &n, sizeof(n)) > 0)
		;
}

int runtime__watch(struct runtime *rt, int fd, rt_watch_fn fn, void *ctx)
{
	struct rt_watch *w;
	size_t i;

	for (i = 0; i < rt->nwatches && rt->watches[i].fd >= 0; i++)
		;
	if (i == rt->nwatches) {
		w = realloc(rt->watches, (i + 1) * sizeof(*w));
		if (!w)
			return -ENOMEM;
		rt->watches = w;
		rt->nwatches++;
	}
	rt->watches[i] = (struct rt_watch){ fd, fn, ctx };
	return epoll_add(rt, fd, TAG_WATCH + i);
}

void runtime__unwatch(struct runtime *rt, int fd)
{
	size_t i;

	for (i = 0; i < rt->nwatches; i++)
		if (rt->watches[i].fd == fd && fd >= 0) {
			epoll_ctl(rt->epfd, EPOLL_CTL_DEL, fd, NULL);
			rt->watches[i].fd = -1;
		}
}

static int loop_event(struct runtime *rt, uint32_t tag)
{
	int err = 0;

	if (tag >= TAG_WATCH) {
		if (tag - TAG_WATCH < rt->nwatches &&
		    rt->watches[tag - TAG_WATCH].fd >= 0)
			rt->watches[tag - TAG_WATCH].fn(
				rt->watches[tag - TAG_WATCH].ctx);
		return 0;
	}

	switch (tag) {
	case TAG_POLL:
		fd_drain(rt->poll_fd);
		/* fall through */
	case TAG_RB:
		err = events_consume(rt);
		if (stats_report_lost(rt) && !rt->keep_going) {
			struct out_report r = { .kind = OUT_STOP_LOST };

			out_report(rt->out, &r);
			rt->failed = 1;
			rt->stop = 1;
		}
		break;
	case TAG_STOP:
		/* the eventfd stays readable: the front end's loop sees it
		 * too, until ply__free */
		rt->stop = 1;
		break;
	case TAG_CHILD:
		child_msg_read(rt);
		/* with -F, the command's tree may outlive it */
		if (rt->child_done && !scope_has_command(rt))
			rt->stop = 1;
		break;
	case TAG_SCOPE:
		scope_event(rt);
		break;
	default:
		err = timer_fire(rt, tag - TAG_TIMER);
		if (!err)
			err = events_consume(rt);
		break;
	}
	return err;
}

int runtime__fd(const struct runtime *rt)
{
	return rt->epfd;
}

int runtime__step(struct runtime *rt, int timeout_ms)
{
	struct epoll_event evs[8];
	int err = 0, n, i;

	if (stopping(rt))
		return rt->stop = 1, 0;
	n = epoll_wait(rt->epfd, evs, ARRAY_SIZE(evs), timeout_ms);
	if (n < 0 && errno == EINTR)
		return stopping(rt) ? (rt->stop = 1, 0) : 1;
	if (n < 0) {
		err = -errno;
		out_msg(rt->out, "epoll_wait failed: %s", strerror(-err));
	}
	for (i = 0; i < n && !err; i++)
		err = loop_event(rt, evs[i].data.u32);
	if (err) {
		rt->failed = 1;
		return err;
	}
	if (stopping(rt))
		rt->stop = 1;
	return !rt->stop;
}

int runtime__loop(struct runtime *rt)
{
	int ret;

	do
		ret = runtime__step(rt, -1);
	while (ret > 0);
	return ret;
}
