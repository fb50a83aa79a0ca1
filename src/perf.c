/* perf: attaching programs through perf events (tracepoints, kprobes,
 * sampling events) and closing them all. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <linux/perf_event.h>

#include <bpf/libbpf.h>

#include "rt.h"
#include "sysroot.h"

/* ---- probes ---- */

/* "group/event", neither part empty nor able to leave events/. */
static int tp_name_ok(const char *tp)
{
	const char *slash = tp ? strchr(tp, '/') : NULL;
	const char *c;

	if (!slash || slash == tp || !slash[1] || strchr(slash + 1, '/'))
		return 0;
	if (tp[0] == '.' || slash[1] == '.')
		return 0;
	for (c = tp; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_-./", *c))
			return 0;
	return 1;
}

static int tp_id(struct runtime *rt, const struct rt_prog *p)
{
	const char *dir;
	char path[512];
	FILE *f;
	int id, err;

	if (!tp_name_ok(p->tp)) {
		fprintf(rt->err, "ply: probe '%s': '%s' is not a tracepoint "
			"name (group/event)\n", p->name, p->tp ? p->tp : "");
		return -EINVAL;
	}
	dir = sysroot_tracefs(&err);
	if (!dir) {
		fprintf(rt->err, "ply: tracefs is not mounted and mounting it on "
			"%s failed: %s\n", SYSROOT_TRACEFS,
			err ? strerror(err) : "no events");
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/events/%s/id", dir, p->tp);
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		if (err == -ENOENT)
			fprintf(rt->err, "ply: probe '%s': no such tracepoint\n",
				p->name);
		else
			fprintf(rt->err, "ply: probe '%s': failed to read %s: "
				"%s\n", p->name, path, strerror(-err));
		return err;
	}
	if (fscanf(f, "%d", &id) != 1 || id < 0) {
		fprintf(rt->err, "ply: probe '%s': %s holds no id\n",
			p->name, path);
		id = -EINVAL;
	}
	fclose(f);
	return id;
}

/* Room for n more perf events: in the fd table we keep, and under
 * RLIMIT_NOFILE, whose usual soft limit (1024) a glob over a few hundred
 * functions, or a profile on many CPUs, would hit. */
#define NOFILE_SPARE	256

int probes_reserve(struct runtime *rt, const struct rt_prog *p,
			  size_t n)
{
	size_t need = rt->nperf + n, cap = rt->perf_cap ? rt->perf_cap : 16;
	struct rlimit rl;
	int *fds;

	while (cap < need)
		cap *= 2;
	if (cap != rt->perf_cap) {
		fds = realloc(rt->perf_fds, cap * sizeof(*fds));
		if (!fds) {
			fprintf(rt->err, "ply: probe '%s': out of memory\n",
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

/* Which step of perf_event_attach failed, for the messages. */
enum perf_stage { PERF_OPEN, PERF_SET_BPF };

static const char *const perf_stage_words[] = {
	[PERF_OPEN] = "failed to open a perf event",
	[PERF_SET_BPF] = "failed to attach",
};

/* Open a perf event (disabled), hang program i off it, enable it and keep
 * it; room must have been reserved. */
static int perf_event_attach(struct runtime *rt, size_t i,
			     struct perf_event_attr *attr, int cpu,
			     enum perf_stage *stage)
{
	int pfd, err;

	attr->size = sizeof(*attr);
	attr->disabled = 1;
	*stage = PERF_OPEN;
	pfd = syscall(SYS_perf_event_open, attr, -1, cpu, -1,
		      PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return -errno;
	*stage = PERF_SET_BPF;
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, rt->prog_fds[i]) ||
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

/* One perf event is enough: the program hangs off the tracepoint itself
 * and runs on every CPU, whatever CPU the event was opened for. */
int tp_attach(struct runtime *rt, size_t i)
{
	const struct rt_prog *p = &rt->spec.progs[i];
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.sample_period = 1,
		.wakeup_events = 1,
	};
	enum perf_stage stage;
	int id, err;

	id = tp_id(rt, p);
	if (id < 0)
		return id;
	attr.config = id;
	err = probes_reserve(rt, p, 1);
	if (err)
		return err;
	err = perf_event_attach(rt, i, &attr, 0, &stage);
	if (err)
		fprintf(rt->err, "ply: probe '%s': %s: %s\n", p->name,
			perf_stage_words[stage], strerror(-err));
	return err;
}

/* ---- kprobes ---- */


/* The kprobe PMU's type and retprobe bit ("config:0"), read once. Without
 * the PMU there are no kprobes for ply: it never writes kprobe_events,
 * whose probes would outlive it. */
static int kprobe_pmu(struct runtime *rt, const struct rt_prog *p)
{
	char buf[64];
	unsigned int bit;
	int err, type;

	if (rt->kprobe_type >= 0)
		return 0;
	err = file_line(KPROBE_PMU "/type", buf, sizeof(buf));
	if (err == -ENOENT &&
	    access("/sys/bus/event_source/devices", F_OK) == 0) {
		fprintf(rt->err, "ply: probe '%s': this kernel has no kprobes "
			"(CONFIG_KPROBES is not set)\n", p->name);
		return -EOPNOTSUPP;
	}
	if (!err && sscanf(buf, "%d", &type) != 1)
		err = -EINVAL;
	if (err) {
		fprintf(rt->err, "ply: probe '%s': cannot read the kprobe PMU "
			"type from %s/type: %s\n", p->name, KPROBE_PMU,
			err == -ENOENT ? "sysfs is not mounted on /sys" :
			strerror(-err));
		return err;
	}
	if (!file_line(KPROBE_PMU "/format/retprobe", buf, sizeof(buf)) &&
	    sscanf(buf, "config:%u", &bit) == 1 && bit < 64)
		rt->kprobe_retbit = bit;
	rt->kprobe_type = type;
	return 0;
}

static void kprobe_target_print(FILE *f, const struct rt_kprobe *k)
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
static int kprobe_err_local(int err)
{
	switch (-err) {
	case ENOENT: case EINVAL: case EILSEQ: case EBUSY: case EEXIST:
	case EADDRNOTAVAIL: case ENOTSUPP_KERNEL:
		return 1;
	}
	return 0;
}

static const char *kprobe_err_words(const struct rt_prog *p,
				    const struct rt_kprobe *k, int err)
{
	switch (-err) {
	case ENOENT:
		return k->sym ? "no such function" :
				"no kernel code at that address";
	case EINVAL:
		if (p->retprobe && k->sym && k->offset)
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

static void kprobe_failed(struct runtime *rt, const struct rt_prog *p,
			  const struct rt_kprobe *k, int err)
{
	kprobe_target_print(rt->err, k);
	fprintf(rt->err, ": %s", kprobe_err_words(p, k, err));
}

static int kprobe_attach_one(struct runtime *rt, size_t i,
			     const struct rt_kprobe *k, enum perf_stage *stage)
{
	const struct rt_prog *p = &rt->spec.progs[i];
	struct perf_event_attr attr = {
		.type = rt->kprobe_type,
		.sample_period = 1,
		.wakeup_events = 1,
	};

	if (p->retprobe)
		attr.config |= 1ULL << rt->kprobe_retbit;
	if (k->sym) {
		attr.kprobe_func = (uint64_t)(uintptr_t)k->sym;
		attr.probe_offset = k->offset;
	} else {
		attr.kprobe_func = 0;
		attr.kprobe_addr = k->addr;
	}
	return perf_event_attach(rt, i, &attr, 0, stage);
}

/* Every target gets its own perf event, all sharing the program. Of a
 * glob's many targets, those the kernel refuses (notrace functions that
 * are still listed, say) are skipped and counted; any other error, or
 * every target refused, fails the probe. */
int kprobe_attach(struct runtime *rt, size_t i)
{
	const struct rt_prog *p = &rt->spec.progs[i];
	const struct rt_kprobe *first = NULL;
	enum perf_stage stage;
	size_t t, nfail = 0;
	int err, first_err = 0;

	err = kprobe_pmu(rt, p);
	if (err)
		return err;
	if (p->retprobe && rt->kprobe_retbit < 0) {
		fprintf(rt->err, "ply: probe '%s': this kernel's kprobe PMU "
			"has no return probes\n", p->name);
		return -EOPNOTSUPP;
	}
	if (!p->nkprobes) {
		fprintf(rt->err, "ply: probe '%s': no function to attach to\n",
			p->name);
		return -ENOENT;
	}
	err = probes_reserve(rt, p, p->nkprobes);
	if (err)
		return err;
	for (t = 0; t < p->nkprobes; t++) {
		err = kprobe_attach_one(rt, i, &p->kprobes[t], &stage);
		if (!err)
			continue;
		if (stage != PERF_OPEN) {
			fprintf(rt->err, "ply: probe '%s': %s: %s\n", p->name,
				perf_stage_words[stage], strerror(-err));
			return err;
		}
		if (p->nkprobes == 1 || !kprobe_err_local(err)) {
			fprintf(rt->err, "ply: probe '%s': cannot attach to ",
				p->name);
			kprobe_failed(rt, p, &p->kprobes[t], err);
			fputc('\n', rt->err);
			return err;
		}
		if (rt->debug) {
			fprintf(rt->err, "ply: probe '%s': skipped ", p->name);
			kprobe_failed(rt, p, &p->kprobes[t], err);
			fputc('\n', rt->err);
		}
		if (!nfail++) {
			first = &p->kprobes[t];
			first_err = err;
		}
	}
	if (!nfail)
		return 0;
	if (nfail == p->nkprobes)
		fprintf(rt->err, "ply: probe '%s': cannot attach to any of its "
			"%zu targets (first: ", p->name, nfail);
	else
		fprintf(rt->err, "ply: warning: probe '%s': %zu of %zu targets "
			"not attached (first: ", p->name, nfail, p->nkprobes);
	kprobe_failed(rt, p, first, first_err);
	fputs(")\n", rt->err);
	return nfail == p->nkprobes ? first_err : 0;
}

/* ---- perf events: interval, profile ---- */

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

static const char *perf_err_words(const struct runtime *rt,
				  const struct rt_prog *p, int cpu, int err)
{
	static char buf[128];
	long max;

	switch (-err) {
	case ENOENT: case EOPNOTSUPP:
		return "this kernel or CPU has no such event";
	case ENODEV:
		return "no such CPU, or it is offline";
	case EINVAL:
		if (cpu >= rt->ncpus)
			return "no such CPU, or it is offline";
		max = sysctl_long("/proc/sys/kernel/perf_event_max_sample_rate");
		if (!p->freq || max < 0 || p->period <= (uint64_t)max)
			break;
		snprintf(buf, sizeof(buf), "%" PRIu64 " Hz is more than "
			 "kernel.perf_event_max_sample_rate (%ld)", p->period,
			 max);
		return buf;
	case EMFILE:
		return "too many open files";
	}
	return strerror(-err);
}

/* A sampling event on p->cpu or on every online CPU: unlike a tracepoint,
 * it only fires on the CPU it was opened for. */
int perf_attach(struct runtime *rt, size_t i)
{
	const struct rt_prog *p = &rt->spec.progs[i];
	struct perf_event_attr attr = {
		.type = p->perf_type,
		.config = p->perf_config,
	};
	enum perf_stage stage;
	char line[4096];
	int one = p->cpu, *online = NULL, err = 0;
	const int *cpus = &one;
	size_t n = 1, c;

	if (!p->period) {
		fprintf(rt->err, "ply: probe '%s': no period or frequency\n",
			p->name);
		return -EINVAL;
	}
	if (p->freq) {
		attr.freq = 1;
		attr.sample_freq = p->period;
	} else {
		attr.sample_period = p->period;
	}
	if (p->cpu < 0) {
		err = file_line(CPUS_ONLINE, line, sizeof(line));
		if (!err)
			err = cpus_parse(line, &online, &n);
		if (err)
			fprintf(rt->err, "ply: probe '%s': cannot read the "
				"online CPUs from %s: %s\n", p->name,
				CPUS_ONLINE, strerror(-err));
		cpus = online;
	}
	if (!err)
		err = probes_reserve(rt, p, n);
	for (c = 0; !err && c < n; c++) {
		err = perf_event_attach(rt, i, &attr, cpus[c], &stage);
		if (err)
			fprintf(rt->err, "ply: probe '%s': %s on CPU %d: %s\n",
				p->name, perf_stage_words[stage], cpus[c],
				perf_err_words(rt, p, cpus[c], err));
	}
	free(online);
	return err;
}

/* ---- attach, detach, BEGIN and END ---- */

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

