/* runtime: the lifecycle of a loaded program: create, attach (each probe
 * by its provider's table, then BEGIN), finish (END, drain, print, report)
 * and free; the small attach services (attach.h) that need no fd.
 * Every kernel object lives only in a file descriptor owned by struct
 * runtime, so the kernel drops all probes when ply exits, however it
 * exits. The parts live beside it: child.c, maps.c, load.c, perf.c,
 * events.c, loop.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>


#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "rt.h"

void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int *fds_new(size_t n)
{
	int *fds = malloc((n ? n : 1) * sizeof(*fds));
	size_t i;

	if (fds)
		for (i = 0; i < n; i++)
			fds[i] = -1;
	return fds;
}

void fds_close(int *fds, size_t n)
{
	size_t i;

	for (i = 0; fds && i < n; i++)
		close_fd(&fds[i]);
}

struct runtime *runtime__new(const struct rt_spec *spec,
			     const struct rt_opts *opts)
{
	struct runtime *rt = calloc(1, sizeof(*rt));
	int ncpus = libbpf_num_possible_cpus();

	if (!rt || ncpus <= 0)
		goto err;
	rt->epfd = -1;
	rt->spec = *spec;
	rt->out = out__new(opts ? opts->format : NULL, opts ? opts->out : NULL,
			   opts ? opts->err : NULL);
	if (!rt->out)
		goto err;
	rt->err = rt->out->err;
	if (opts) {
		rt->out->prog = opts->prog;
		rt->debug = opts->debug;
		rt->keep_going = opts->keep_going;
		rt->no_maps = opts->no_maps;
		rt->handler = opts->handler;
		rt->handler_ctx = opts->handler_ctx;
		rt->stop_req = opts->stop_req;
	}
	rt->ncpus = ncpus;
	rt->rb_fd = rt->stats_fd = rt->zero_fd = rt->stack_fd = -1;
	rt->pathbuf_fd = rt->func_btf_fd = -1;
	rt->child_msg = rt->child_life = rt->child_go = -1;
	rt->poll_fd = -1;
	rt->stop_fd = opts && opts->stop_req ? opts->stop_fd : -1;
	rt->epfd = epoll_create1(EPOLL_CLOEXEC);
	rt->cpu_buf = calloc(ncpus, sizeof(*rt->cpu_buf));
	rt->map_fds = fds_new(spec->nmaps);
	if (!rt->cpu_buf || !rt->map_fds || rt->epfd < 0)
		goto err;
	if (rt->stop_fd >= 0 && epoll_add(rt, rt->stop_fd, TAG_STOP))
		goto err;
	return rt;
err:
	if (rt) {
		out__free(rt->out);
		if (rt->epfd >= 0)
			close(rt->epfd);
		free(rt->cpu_buf);
		free(rt->map_fds);
		free(rt);
	}
	errno = ncpus <= 0 ? -ncpus : ENOMEM;
	return NULL;
}

/* Nothing looks at the programs before runtime__load. */
void runtime__set_progs(struct runtime *rt, struct probe_prog *progs,
			size_t n)
{
	if (rt->prog_fds)
		unreachable();	/* loaded already */
	rt->spec.progs = progs;
	rt->spec.nprogs = n;
}


long sysctl_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}


/* The first line of a small (sysfs) file. */
int file_line(const char *path, char *buf, int size)
{
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, size, f))
		err = ferror(f) ? -EIO : -ENODATA;
	fclose(f);
	return err;
}


int prog_run(struct runtime *rt, size_t i)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err;

	err = bpf_prog_test_run_opts(rt->prog_fds[i], &opts);
	if (err)
		out_msg(rt->out, "probe '%s': failed to run: %s",
			rt->spec.progs[i].name, strerror(-err));
	return err;
}

static int progs_run(struct runtime *rt, enum attach_when when)
{
	size_t i;
	int err = 0, e;

	for (i = 0; rt->run_at && i < rt->spec.nprogs; i++) {
		if (rt->run_at[i] != when || rt->prog_fds[i] < 0)
			continue;
		e = prog_run(rt, i);
		if (e && !err)
			err = e;
	}
	return err;
}

/* ---- what attach.h offers without fds ---- */

FILE *attach_err(const struct attach *at)
{
	return at->rt->err;
}

void attach_msg(const struct attach *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vprint(at->rt->err, at->rt->out->prog, fmt, ap);
	va_end(ap);
}

int attach_debug(const struct attach *at)
{
	return at->rt->debug;
}

int attach_ncpus(const struct attach *at)
{
	return at->rt->ncpus;
}

void attach_run_at(struct attach *at, enum attach_when when)
{
	at->rt->run_at[at->i] = when;
}

static int probe_attach(struct runtime *rt, size_t i)
{
	const struct probe_prog *p = &rt->spec.progs[i];
	struct attach at = { rt, i };
	int err;

	if (rt->prog_fds[i] < 0)
		return -EBADF;
	err = p->prov->attach(&at, p);
	if (!err)
		rt->nattached = i + 1;
	return err;
}

int runtime__attach(struct runtime *rt)
{
	size_t i;
	int err = rt->prog_fds ? 0 : -EBADF;

	if (!err && !rt->run_at) {
		rt->run_at = calloc(rt->spec.nprogs + 1, sizeof(*rt->run_at));
		err = rt->run_at ? 0 : -ENOMEM;
	}
	for (i = 0; !err && i < rt->spec.nprogs; i++)
		err = probe_attach(rt, i);
	/* The scope's programs after the probes: the kernel runs a
	 * tracepoint's programs in the order they were attached, so a probe
	 * of sched_process_exit still sees the exiting process in the scope
	 * (the scope's own program then takes it out). Until the scope is
	 * seeded, just below, the probes run for no one. */
	if (!err)
		err = scope_attach(rt);
	if (!err)
		err = progs_run(rt, ATTACH_BEGIN);
	if (!err && rt->rb)
		err = events_consume(rt);
	if (err)
		rt->failed = 1;
	return err;
}


int runtime__finish(struct runtime *rt)
{
	size_t i;
	int err, e;

	probes_close(rt);
	err = progs_run(rt, ATTACH_END);
	if (rt->rb) {
		e = events_drain(rt);
		err = err ? err : e;
	}
	/* nobody reads the maps if the output is gone */
	for (i = 0; !rt->no_maps && !out_failed(rt->out) &&
	     i < rt->spec.nmaps; i++) {
		if (rt->map_fds[i] < 0 || starts_with(rt->spec.maps[i]->name, "__"))
			continue;
		e = map_show(rt, i);
		err = err ? err : e;
	}
	stats_report(rt);
	out_end(rt->out);
	if (err)
		rt->failed = 1;
	return err;
}

int runtime__exit_status(const struct runtime *rt)
{
	int werr = out_failed(rt->out);

	if (werr && werr != -EPIPE && werr != -EINTR)
		return 1;
	if (rt->have_exit)
		return (int)rt->exit_code;
	return rt->failed ? 1 : 0;
}

void runtime__free(struct runtime *rt)
{
	if (!rt)
		return;
	probes_close(rt);
	scope_free(rt);
	child_kill(rt);
	ring_buffer__free(rt->rb);
	fds_close(rt->prog_fds, rt->spec.nprogs);
	fds_close(rt->map_fds, rt->spec.nmaps);
	fds_close(rt->outer_fds, rt->spec.nmaps);
	fds_close(rt->spare_fds, rt->spec.nmaps);
	close_fd(&rt->rb_fd);
	close_fd(&rt->stats_fd);
	close_fd(&rt->zero_fd);
	close_fd(&rt->stack_fd);
	close_fd(&rt->pathbuf_fd);
	close_fd(&rt->func_btf_fd);
	free(rt->stack_buf);
	close_fd(&rt->child_go);
	close_fd(&rt->child_msg);
	free(rt->child_cmd);
	close_fd(&rt->poll_fd);
	close_fd(&rt->epfd);
	free(rt->cpu_buf);
	free(rt->watches);
	free(rt->map_fds);
	free(rt->outer_fds);
	free(rt->spare_fds);
	free(rt->prog_fds);
	free(rt->run_at);
	free(rt->perf_fds);
	free(rt->timers);
	out__free(rt->out);
	free(rt);
}

struct out *runtime__out(struct runtime *rt)
{
	return rt->out;
}

