/* runtime: everything after compilation. Creates the maps, loads and
 * attaches the programs, holds and releases the -c command, reads the ring
 * buffer, runs END and prints the maps. Every kernel object lives only in a
 * file descriptor owned by struct runtime, so the kernel drops all probes
 * when ply exits, however it exits. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include <linux/perf_event.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fmt.h"
#include "runtime.h"

#define MAP_DEFAULT_ENTRIES	4096
#define VLOG_SIZE		(4u << 20)
#define KPROBE_PMU		"/sys/bus/event_source/devices/kprobe"
#define CPUS_ONLINE		"/sys/devices/system/cpu/online"

enum { TAG_RB, TAG_SIG, TAG_CHILD, TAG_TIMER };	/* TAG_TIMER + timer */

/* An interval probe: its timerfd (also in perf_fds, so it is closed with
 * the probes) and its program. */
struct rt_timer {
	int fd;
	size_t prog;
	uint64_t skipped;	/* ticks beyond TIMER_BATCH, reported */
};

/* At most this many runs of an interval probe per wake-up of the loop, so
 * a period shorter than a run (interval:1ns) can't starve the loop. */
#define TIMER_BATCH 1000

struct runtime {
	struct rt_spec spec;	/* shallow copy: the arrays stay the caller's */
	FILE *out, *err;
	int debug, keep_going;
	rt_event_fn handler;
	void *handler_ctx;

	int ncpus;
	uint64_t *cpu_buf;	/* one u64 per possible CPU, for the stats */
	const char *tracefs;

	int rb_fd, stats_fd;
	int zero_fd;		/* MAP_IDX_ZERO, if a program uses it */
	int stack_fd;		/* MAP_IDX_STACK, if spec.stack_depth */
	uint64_t *stack_buf;	/* spec.stack_depth frames */
	int *map_fds;		/* spec.nmaps */
	int *prog_fds;		/* spec.nprogs, from runtime__load on */
	int *perf_fds;		/* every attached perf event, any program */
	size_t nperf, perf_cap;
	struct rt_timer *timers;
	size_t ntimers;
	int kprobe_type;	/* the kprobe PMU, -1 until read */
	int kprobe_retbit;	/* its retprobe config bit, -1 if none */
	struct ring_buffer *rb;

	pid_t child;		/* 0 when there is no -c command */
	int child_pidfd;
	int child_go;		/* write end of the go pipe until released */
	int child_done;		/* reaped */

	int sig_fd;
	sigset_t old_mask;
	int mask_saved;

	int stop, have_exit, failed;
	int64_t exit_code;
	uint64_t lost_reported;
	uint64_t bad_events;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int *fds_new(size_t n)
{
	int *fds = malloc((n ? n : 1) * sizeof(*fds));
	size_t i;

	if (fds)
		for (i = 0; i < n; i++)
			fds[i] = -1;
	return fds;
}

static void fds_close(int *fds, size_t n)
{
	size_t i;

	for (i = 0; fds && i < n; i++)
		close_fd(&fds[i]);
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* The programs' timestamps come from bpf_ktime_get_ns: CLOCK_MONOTONIC. */
static int64_t boot_to_wall_ns(void)
{
	struct timespec boot, wall;

	clock_gettime(CLOCK_MONOTONIC, &boot);
	clock_gettime(CLOCK_REALTIME, &wall);
	return ts_ns(&wall) - ts_ns(&boot);
}

struct runtime *runtime__new(const struct rt_spec *spec,
			     const struct rt_opts *opts)
{
	struct runtime *rt = calloc(1, sizeof(*rt));
	int ncpus = libbpf_num_possible_cpus();

	if (!rt || ncpus <= 0)
		goto err;
	rt->spec = *spec;
	rt->out = opts && opts->out ? opts->out : stdout;
	rt->err = opts && opts->err ? opts->err : stderr;
	if (opts) {
		rt->debug = opts->debug;
		rt->keep_going = opts->keep_going;
		rt->handler = opts->handler;
		rt->handler_ctx = opts->handler_ctx;
	}
	rt->ncpus = ncpus;
	rt->rb_fd = rt->stats_fd = rt->zero_fd = rt->stack_fd = -1;
	rt->kprobe_type = rt->kprobe_retbit = -1;
	rt->child_pidfd = rt->child_go = rt->sig_fd = -1;
	rt->cpu_buf = calloc(ncpus, sizeof(*rt->cpu_buf));
	rt->map_fds = fds_new(spec->nmaps);
	if (!rt->cpu_buf || !rt->map_fds)
		goto err;
	fmt_boot_to_wall_ns = boot_to_wall_ns();
	return rt;
err:
	if (rt) {
		free(rt->cpu_buf);
		free(rt->map_fds);
		free(rt);
	}
	errno = ncpus <= 0 ? -ncpus : ENOMEM;
	return NULL;
}

/* Nothing looks at the programs before runtime__load. */
void runtime__set_progs(struct runtime *rt, struct rt_prog *progs, size_t n)
{
	if (rt->prog_fds)
		unreachable();	/* loaded already */
	rt->spec.progs = progs;
	rt->spec.nprogs = n;
}

/* ---- the -c command ---- */

static void child_reap(struct runtime *rt, int options)
{
	int status;
	pid_t r;

	if (!rt->child || rt->child_done)
		return;
	do
		r = waitpid(rt->child, &status, options);
	while (r < 0 && errno == EINTR);
	if (r != rt->child)
		return;
	rt->child_done = 1;
	close_fd(&rt->child_pidfd);
	if (rt->debug) {
		if (WIFEXITED(status))
			fprintf(rt->err, "ply: command exited with status %d\n",
				WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			fprintf(rt->err, "ply: command killed by signal %d\n",
				WTERMSIG(status));
	}
}

/* A child that ply no longer waits for dies with it, started or not. */
/* The parent of pid, from /proc/pid/stat ("pid (comm) state ppid ..."),
 * or 0. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 1, " %*c %d", &ppid);
	fclose(f);
	return ppid;
}

/* Kill every process below the command's shell too: a command that ply
 * stops (exit(), Ctrl-C on ply alone, an error) goes whole. Found by
 * walking /proc; a process is below when its parent chain reaches root. */
static void descendants_kill(pid_t root)
{
	pid_t *pids = NULL, *par = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	int found = 1;
	DIR *d = opendir("/proc");

	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t pid = atoi(de->d_name);

		if (pid <= 0)
			continue;
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 256;
			pid_t *np = realloc(pids, nc * sizeof(*np));
			pid_t *npar = np ? realloc(par, nc * sizeof(*npar)) : NULL;

			if (np)
				pids = np;
			if (!npar)
				break;
			par = npar;
			cap = nc;
		}
		pids[n] = pid;
		par[n++] = parent_of(pid);
	}
	closedir(d);
	/* mark: par[i] = -1 once pids[i] is known to be below root */
	while (found) {
		found = 0;
		for (i = 0; i < n; i++) {
			size_t j;

			if (par[i] == -1 || !par[i])
				continue;
			if (par[i] == root) {
				par[i] = -1;
				found = 1;
				continue;
			}
			for (j = 0; j < n; j++)
				if (pids[j] == par[i] && par[j] == -1) {
					par[i] = -1;
					found = 1;
					break;
				}
		}
	}
	for (i = 0; i < n; i++)
		if (par[i] == -1)
			kill(pids[i], SIGKILL);
	free(pids);
	free(par);
}

static void child_kill(struct runtime *rt)
{
	if (!rt->child || rt->child_done)
		return;
	kill(rt->child, SIGSTOP);	/* no new children while we look */
	descendants_kill(rt->child);
	kill(rt->child, SIGKILL);
	child_reap(rt, 0);
}

/* In the child: wait for the go byte; without it (ply failed or died) run
 * nothing. */
static _Noreturn void child_run(int go[2], pid_t parent, const char *cmd)
{
	sigset_t none;
	ssize_t n;
	char c = 0;

	close(go[1]);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	do
		n = read(go[0], &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || c != 'g')
		_exit(1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

int runtime__spawn(struct runtime *rt, const char *cmd)
{
	int go[2] = { -1, -1 }, err = 0, pidfd;
	pid_t parent = getpid(), pid;

	if (rt->child)
		return -EBUSY;
	if (pipe2(go, O_CLOEXEC)) {
		err = -errno;
		fprintf(rt->err, "ply: command '%s': failed to create a pipe: %s\n",
			cmd, strerror(-err));
		goto cleanup;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		fprintf(rt->err, "ply: command '%s': failed to fork: %s\n",
			cmd, strerror(-err));
		goto cleanup;
	}
	if (pid == 0)
		child_run(go, parent, cmd);

	pidfd = syscall(SYS_pidfd_open, pid, 0);
	rt->child = pid;
	if (pidfd < 0) {
		err = -errno;
		fprintf(rt->err, "ply: command '%s': pidfd_open failed: %s\n",
			cmd, strerror(-err));
		child_kill(rt);
		rt->child = 0;
		goto cleanup;
	}
	rt->child_pidfd = pidfd;
	rt->child_go = go[1];
	go[1] = -1;
cleanup:
	close_fd(&go[0]);
	close_fd(&go[1]);
	if (err)
		rt->failed = 1;
	return err;
}

pid_t runtime__child(const struct runtime *rt)
{
	return rt->child;
}

static int sig_block(struct runtime *rt);

/* Write the go byte without dying of SIGPIPE if the child is gone. */
static ssize_t go_write(int fd)
{
	sigset_t pipe_set, old;
	struct timespec zero = { 0, 0 };
	ssize_t n;
	int saved;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	n = write(fd, "g", 1);
	saved = errno;
	if (n < 0 && saved == EPIPE && !sigismember(&old, SIGPIPE))
		sigtimedwait(&pipe_set, NULL, &zero);
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return n;
}

int runtime__start(struct runtime *rt)
{
	ssize_t n;

	/* exit() in BEGIN ended the session before it began: the command
	 * is never run, runtime__free kills it. */
	if (!rt->child || rt->child_go < 0 || rt->stop)
		return 0;
	/* a signal the command sends at once waits for the loop */
	if (sig_block(rt))
		return -errno;
	n = go_write(rt->child_go);
	close_fd(&rt->child_go);
	if (n != 1) {
		fprintf(rt->err, "ply: command could not be started: %s\n",
			n < 0 ? strerror(errno) : "short write");
		rt->failed = 1;
		return n < 0 ? -errno : -EIO;
	}
	return 0;
}

/* ---- maps ---- */

/* bpf object names: 15 characters of [A-Za-z0-9_.] */
static void obj_name(char dst[BPF_OBJ_NAME_LEN], const char *prefix,
		     const char *name)
{
	size_t n = 0;

	for (; *prefix && n < BPF_OBJ_NAME_LEN - 1; prefix++)
		dst[n++] = *prefix;
	for (; *name && n < BPF_OBJ_NAME_LEN - 1; name++) {
		unsigned char c = *name;

		dst[n++] = isalnum(c) || c == '_' || c == '.' ? c : '_';
	}
	dst[n] = '\0';
}

static void map_name(char dst[BPF_OBJ_NAME_LEN], const char *name)
{
	if (!strcmp(name, "@"))
		name = "at";
	else if (name[0] == '@')
		name++;
	obj_name(dst, "ply_", name);
}

/* "tracepoint:sched/sched_switch" -> "sched_switch" */
static void prog_name(char dst[BPF_OBJ_NAME_LEN], const char *name)
{
	const char *p = name ? name : "ply";
	const char *s;

	if ((s = strrchr(p, ':')))
		p = s + 1;
	if ((s = strrchr(p, '/')))
		p = s + 1;
	obj_name(dst, "", p);
}

static size_t map_ksize(const struct mapsym *m)
{
	return m->ktype ? m->ktype->size : sizeof(uint32_t);
}

static uint32_t default_entries(const struct runtime *rt)
{
	return rt->spec.map_size ? rt->spec.map_size : MAP_DEFAULT_ENTRIES;
}

static uint32_t map_entries(const struct runtime *rt, const struct mapsym *m)
{
	return m->max_entries ? m->max_entries : default_entries(rt);
}

static int map_create_one(struct runtime *rt, size_t i)
{
	const struct mapsym *m = rt->spec.maps[i];
	enum bpf_map_type type = m->is_agg ? BPF_MAP_TYPE_PERCPU_HASH :
					     BPF_MAP_TYPE_HASH;
	char name[BPF_OBJ_NAME_LEN];
	int fd;

	if (!m->vtype || !m->vtype->size || !map_ksize(m)) {
		fprintf(rt->err, "ply: map %s: key or value has no size\n",
			m->name);
		return -EINVAL;
	}
	map_name(name, m->name);
	fd = bpf_map_create(type, name, map_ksize(m), m->vtype->size,
			    map_entries(rt, m), NULL);
	if (fd < 0) {
		fprintf(rt->err, "ply: map %s: failed to create: %s\n",
			m->name, strerror(-fd));
		return fd;
	}
	rt->map_fds[i] = fd;
	return 0;
}

static size_t ringbuf_size(size_t want)
{
	size_t page = sysconf(_SC_PAGESIZE), sz = page;

	if (!want)
		want = RINGBUF_DEFAULT;
	while (sz < want)
		sz <<= 1;
	return sz;
}

static int prog_uses_map(const struct rt_prog *p, int32_t idx)
{
	size_t i;

	for (i = 0; i + 1 < p->ninsns; i++) {
		if (p->insns[i].code != (BPF_LD | BPF_DW | BPF_IMM))
			continue;
		if (p->insns[i].src_reg == BPF_PSEUDO_MAP_FD &&
		    p->insns[i].imm == idx)
			return 1;
		i++;
	}
	return 0;
}

static int progs_use_map(const struct runtime *rt, int32_t idx)
{
	size_t i;

	for (i = 0; i < rt->spec.nprogs; i++)
		if (prog_uses_map(&rt->spec.progs[i], idx))
			return 1;
	return 0;
}

/* One value of zeros as large as any key or value of the program's maps:
 * what an aggregation too big for the BPF stack starts from. The programs
 * may only read it (BPF_F_RDONLY_PROG), so it stays zero. */
static int zero_map_create(struct runtime *rt)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_RDONLY_PROG);
	size_t size = sizeof(uint64_t), i;
	const struct mapsym *m;
	int fd;

	if (!progs_use_map(rt, MAP_IDX_ZERO))
		return 0;
	for (i = 0; i < rt->spec.nmaps; i++) {
		m = rt->spec.maps[i];
		if (m->vtype && m->vtype->size > size)
			size = m->vtype->size;
		if (map_ksize(m) > size)
			size = map_ksize(m);
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ply_zero", sizeof(uint32_t),
			    ALIGN_UP(size, 8), 1, &opts);
	if (fd < 0) {
		fprintf(rt->err, "ply: failed to create the map of zeros (%zu "
			"bytes): %s\n", ALIGN_UP(size, 8), strerror(-fd));
		return fd;
	}
	rt->zero_fd = fd;
	return 0;
}

static long sysctl_long(const char *path)
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

/* Frames of stack id, up to the first zero ip; for fmt (TF_STACK). */
static int stack_resolve(void *ctx, int64_t id, uint64_t *ips, size_t max)
{
	struct runtime *rt = ctx;
	uint32_t key = (uint32_t)id;
	size_t n;
	int err;

	if (id < 0)	/* bpf_get_stackid failed: id is its -errno */
		return id < -4095 ? -EINVAL : (int)id;
	if (id > UINT32_MAX || rt->stack_fd < 0)
		return -ENOENT;
	err = bpf_map_lookup_elem(rt->stack_fd, &key, rt->stack_buf);
	if (err)
		return err;
	for (n = 0; n < max && n < rt->spec.stack_depth && rt->stack_buf[n];
	     n++)
		ips[n] = rt->stack_buf[n];
	return (int)n;
}

static int stack_map_create(struct runtime *rt)
{
	uint32_t depth = rt->spec.stack_depth;
	long max;
	int fd;

	if (!depth)
		return 0;
	rt->stack_buf = calloc(depth, sizeof(*rt->stack_buf));
	if (!rt->stack_buf)
		return -ENOMEM;
	fd = bpf_map_create(BPF_MAP_TYPE_STACK_TRACE, "ply_stacks",
			    sizeof(uint32_t), depth * sizeof(uint64_t),
			    default_entries(rt), NULL);
	if (fd < 0) {
		max = sysctl_long("/proc/sys/kernel/perf_event_max_stack");
		if (max > 0 && depth > max)
			fprintf(rt->err, "ply: stacks of %" PRIu32 " frames are "
				"more than this kernel keeps "
				"(kernel.perf_event_max_stack = %ld)\n",
				depth, max);
		else
			fprintf(rt->err, "ply: failed to create the stack map: "
				"%s\n", strerror(-fd));
		return fd;
	}
	rt->stack_fd = fd;
	fmt_stack_resolve = stack_resolve;
	fmt_stack_ctx = rt;
	return 0;
}

static int event_cb(void *ctx, void *data, size_t size);

static int maps_create(struct runtime *rt)
{
	size_t i;
	int err;

	if (progs_use_map(rt, MAP_IDX_RINGBUF)) {
		rt->rb_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ply_events",
					   0, 0,
					   ringbuf_size(rt->spec.ringbuf_size),
					   NULL);
		if (rt->rb_fd < 0) {
			err = rt->rb_fd;
			fprintf(rt->err, "ply: failed to create the ring buffer: "
				"%s\n", strerror(-err));
			return err;
		}
	}
	rt->stats_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "ply_stats",
				      sizeof(uint32_t), sizeof(uint64_t),
				      STAT_MAP_FULL + rt->spec.nmaps, NULL);
	if (rt->stats_fd < 0) {
		err = rt->stats_fd;
		fprintf(rt->err, "ply: failed to create the stats map: %s\n",
			strerror(-err));
		return err;
	}
	for (i = 0; i < rt->spec.nmaps; i++) {
		err = map_create_one(rt, i);
		if (err)
			return err;
	}
	err = zero_map_create(rt);
	if (!err)
		err = stack_map_create(rt);
	if (err)
		return err;
	if (rt->rb_fd < 0)
		return 0;	/* the program sends no events */
	rt->rb = ring_buffer__new(rt->rb_fd, event_cb, rt, NULL);
	if (!rt->rb) {
		err = -errno;
		fprintf(rt->err, "ply: failed to map the ring buffer: %s\n",
			strerror(-err));
		return err;
	}
	return 0;
}

/* ---- programs ---- */

static int map_fd_of(const struct runtime *rt, int32_t idx)
{
	if (idx == MAP_IDX_RINGBUF)
		return rt->rb_fd;
	if (idx == MAP_IDX_STATS)
		return rt->stats_fd;
	if (idx == MAP_IDX_ZERO)
		return rt->zero_fd;
	if (idx == MAP_IDX_STACK)
		return rt->stack_fd;
	if (idx >= 0 && (size_t)idx < rt->spec.nmaps)
		return rt->map_fds[idx];
	return -1;
}

/* A copy of the program with map indices replaced by map fds. */
static int prog_patch(struct runtime *rt, const struct rt_prog *p,
		      struct bpf_insn **out)
{
	struct bpf_insn *insns = malloc(p->ninsns * sizeof(*insns) + 1);
	size_t i;
	int fd;

	if (!insns)
		return -ENOMEM;
	memcpy(insns, p->insns, p->ninsns * sizeof(*insns));
	for (i = 0; i < p->ninsns; i++) {
		if (insns[i].code != (BPF_LD | BPF_DW | BPF_IMM))
			continue;
		if (insns[i].src_reg == BPF_PSEUDO_MAP_FD) {
			fd = map_fd_of(rt, insns[i].imm);
			if (insns[i].imm == MAP_IDX_STACK && fd < 0) {
				fprintf(rt->err, "ply: probe '%s': uses stacks, "
					"but there is no stack map (stack depth "
					"0)\n", p->name);
				free(insns);
				return -EINVAL;
			}
			if (fd < 0 || i + 1 >= p->ninsns) {
				fprintf(rt->err, "ply: probe '%s': instruction %zu "
					"refers to map %d, which does not exist\n",
					p->name, i, insns[i].imm);
				free(insns);
				return -EINVAL;
			}
			insns[i].imm = fd;
		}
		i++;	/* the second half of the 16-byte load */
	}
	*out = insns;
	return 0;
}

static int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Lines of the verifier log that only summarise or trace state. */
static int vlog_line_is_noise(const char *l)
{
	static const char *const noise[] = {
		"processed ", "verification time", "stack depth",
		"max_states_per_insn", "mark_precise", "-- END", "func#",
		"from ", "last_idx", "parent ", "regs=", "Live regs",
	};
	size_t i;

	if (!*l || *l == ';' || isdigit((unsigned char)*l))
		return 1;
	for (i = 0; i < ARRAY_SIZE(noise); i++)
		if (starts_with(l, noise[i]))
			return 1;
	return 0;
}

/* The last meaningful line of the log, cut out in place. */
static const char *vlog_last(char *log)
{
	char *end = log + strlen(log), *start;

	while (end > log) {
		while (end > log && (end[-1] == '\n' || end[-1] == ' '))
			end--;
		*end = '\0';
		start = end;
		while (start > log && start[-1] != '\n')
			start--;
		if (!vlog_line_is_noise(start))
			return start;
		end = start;
	}
	return NULL;
}

struct vlog_hint {
	const char *match, *words;
};

static const struct vlog_hint vlog_hints[] = {
	{ "R0 !read_ok", "the program ends without setting its return value" },
	{ "!read_ok", "a register is read before anything was written to it" },
	{ "invalid indirect read from stack",
	  "a helper is given stack memory that was never written" },
	{ "invalid read from stack", "stack memory is read before it is written" },
	{ "invalid mem access 'scalar'", "a plain number is used as a pointer" },
	{ "invalid mem access 'map_value_or_null'",
	  "a map value is used without checking that the lookup found it" },
	{ "invalid mem access", "an invalid memory access" },
	{ "invalid access to map value", "a map value is accessed out of its bounds" },
	{ "invalid bpf_context access", "the probe's context is accessed out of bounds" },
	{ "unreachable insn", "the program has unreachable instructions" },
	{ "back-edge", "the program has a loop" },
	{ "infinite loop", "the program has a loop that may not end" },
	{ "unknown func", "the program calls a helper this probe type may not use" },
	{ "program is too large", "the program is too large" },
	{ "jump out of range", "a jump leaves the program" },
	{ "misaligned", "a misaligned memory access" },
	{ "last insn is not an exit", "the program does not end with an exit" },
	{ "invalid zero-sized read", "a helper is given a map it cannot use" },
	{ "min value is negative", "an index may be negative" },
};

static const char *vlog_words(const char *line)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vlog_hints); i++)
		if (strstr(line, vlog_hints[i].match))
			return vlog_hints[i].words;
	return NULL;
}

static void prog_refused(struct runtime *rt, const struct rt_prog *p, int err,
			 char *log)
{
	const char *last, *words;

	fprintf(rt->err, "ply: probe '%s': the kernel refused the program: %s\n",
		p->name, strerror(-err));
	if (!log || !*log)
		return;
	if (rt->debug)
		fprintf(rt->err, "ply: probe '%s': verifier log:\n%s\n",
			p->name, log);
	last = vlog_last(log);
	if (!last)
		return;
	words = vlog_words(last);
	if (words)
		fprintf(rt->err, "ply: probe '%s': %s (verifier: %s)\n",
			p->name, words, last);
	else
		fprintf(rt->err, "ply: probe '%s': verifier: %s\n",
			p->name, last);
}

/* Load once without a log; on refusal load again with one to explain. */
static int prog_load_one(struct runtime *rt, size_t i)
{
	const struct rt_prog *p = &rt->spec.progs[i];
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	struct bpf_insn *insns = NULL;
	char name[BPF_OBJ_NAME_LEN];
	char *log = NULL;
	int fd, err;

	err = prog_patch(rt, p, &insns);
	if (err)
		return err;
	prog_name(name, p->name);
	fd = bpf_prog_load(p->type, name, "GPL", insns, p->ninsns, &opts);
	if (fd < 0) {
		err = fd;
		log = calloc(1, VLOG_SIZE);
		if (log) {
			opts.log_buf = log;
			opts.log_size = VLOG_SIZE;
			opts.log_level = 1;
			fd = bpf_prog_load(p->type, name, "GPL", insns,
					   p->ninsns, &opts);
		}
	}
	if (fd < 0) {
		prog_refused(rt, p, err, log);
		goto cleanup;
	}
	err = 0;
	rt->prog_fds[i] = fd;
	if (rt->debug)
		fprintf(rt->err, "ply: probe '%s': loaded, %zu instructions\n",
			p->name, p->ninsns);
cleanup:
	free(insns);
	free(log);
	return err;
}

int runtime__load(struct runtime *rt)
{
	size_t i;
	int err;

	if (rt->prog_fds)
		return -EBUSY;
	rt->prog_fds = fds_new(rt->spec.nprogs);
	err = rt->prog_fds ? maps_create(rt) : -ENOMEM;
	for (i = 0; !err && i < rt->spec.nprogs; i++)
		err = prog_load_one(rt, i);
	if (err)
		rt->failed = 1;
	return err;
}

/* ---- probes ---- */

static int dir_exists(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/events", dir);
	return access(path, F_OK) == 0;
}

static const char *tracefs_dir(struct runtime *rt)
{
	static const char tracing[] = "/sys/kernel/tracing";
	static const char debug[] = "/sys/kernel/debug/tracing";
	int err;

	if (rt->tracefs)
		return rt->tracefs;
	if (dir_exists(tracing))
		return rt->tracefs = tracing;
	err = mount("nodev", tracing, "tracefs", 0, NULL) ? errno : 0;
	if (!err && dir_exists(tracing))
		return rt->tracefs = tracing;
	if (dir_exists(debug))
		return rt->tracefs = debug;
	fprintf(rt->err, "ply: tracefs is not mounted and mounting it on %s "
		"failed: %s\n", tracing, err ? strerror(err) : "no events");
	return NULL;
}

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
	dir = tracefs_dir(rt);
	if (!dir)
		return -ENOENT;
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

static int probes_reserve(struct runtime *rt, const struct rt_prog *p,
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
static int tp_attach(struct runtime *rt, size_t i)
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

/* The first line of a small (sysfs) file. */
static int file_line(const char *path, char *buf, int size)
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
static int kprobe_attach(struct runtime *rt, size_t i)
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
static int perf_attach(struct runtime *rt, size_t i)
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

static void probes_close(struct runtime *rt)
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

static int prog_run(struct runtime *rt, size_t i)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err;

	err = bpf_prog_test_run_opts(rt->prog_fds[i], &opts);
	if (err)
		fprintf(rt->err, "ply: probe '%s': failed to run: %s\n",
			rt->spec.progs[i].name, strerror(-err));
	return err;
}

static int progs_run(struct runtime *rt, enum rt_attach kind)
{
	size_t i;
	int err = 0, e;

	for (i = 0; rt->prog_fds && i < rt->spec.nprogs; i++) {
		if (rt->spec.progs[i].attach != kind || rt->prog_fds[i] < 0)
			continue;
		e = prog_run(rt, i);
		if (e && !err)
			err = e;
	}
	return err;
}

static int timer_attach(struct runtime *rt, size_t i)
{
	const struct rt_prog *p = &rt->spec.progs[i];
	struct itimerspec its = { 0 };
	struct rt_timer *t;
	int fd, err;

	if (!p->period)
		return -EINVAL;
	t = realloc(rt->timers, (rt->ntimers + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	rt->timers = t;
	err = probes_reserve(rt, p, 1);
	if (err)
		return err;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0) {
		err = -errno;
		fprintf(rt->err, "ply: probe '%s': failed to create a timer: "
			"%s\n", p->name, strerror(-err));
		return err;
	}
	its.it_value.tv_sec = p->period / 1000000000ULL;
	its.it_value.tv_nsec = p->period % 1000000000ULL;
	its.it_interval = its.it_value;
	if (timerfd_settime(fd, 0, &its, NULL)) {
		err = -errno;
		close(fd);
		fprintf(rt->err, "ply: probe '%s': failed to start its timer: "
			"%s\n", p->name, strerror(-err));
		return err;
	}
	rt->perf_fds[rt->nperf++] = fd;
	t[rt->ntimers].fd = fd;
	t[rt->ntimers].skipped = 0;
	t[rt->ntimers++].prog = i;
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

static int probe_attach(struct runtime *rt, size_t i)
{
	enum rt_attach kind = rt->spec.progs[i].attach;

	if (kind == RT_BEGIN || kind == RT_END)
		return 0;
	if (rt->prog_fds[i] < 0)
		return -EBADF;
	switch (kind) {
	case RT_TRACEPOINT:
		return tp_attach(rt, i);
	case RT_KPROBE:
		return kprobe_attach(rt, i);
	case RT_PERF:
		return perf_attach(rt, i);
	case RT_TIMER:
		return timer_attach(rt, i);
	default:
		unreachable();
	}
}

static int events_consume(struct runtime *rt);

int runtime__attach(struct runtime *rt)
{
	size_t i;
	int err = rt->prog_fds ? 0 : -EBADF;

	for (i = 0; !err && i < rt->spec.nprogs; i++)
		err = probe_attach(rt, i);
	if (!err)
		err = progs_run(rt, RT_BEGIN);
	if (!err && rt->rb)
		err = events_consume(rt);
	if (err)
		rt->failed = 1;
	return err;
}

/* ---- events ---- */

/* Warn once; the rest are counted and reported at the end. */
static void event_bad(struct runtime *rt, uint64_t id, size_t size, int known)
{
	if (rt->bad_events++)
		return;
	fflush(rt->out);
	fprintf(rt->err, known ?
		"ply: warning: event of site %" PRIu64 " is too short "
		"(%zu bytes), ignored\n" :
		"ply: warning: event with unknown site id %" PRIu64 " "
		"(%zu bytes) ignored\n", id, size);
}

static void event_print(struct runtime *rt, const struct evsite *site,
			const char *rec)
{
	const struct type *t = site->rec;
	size_t i;

	for (i = 1; i < t->nfields; i++) {
		if (i > 1)
			fputs(", ", rt->out);
		value_print(rt->out, t->fields[i].type, rec + t->fields[i].offset);
	}
	fputc('\n', rt->out);
}

static void event_exit(struct runtime *rt, const struct evsite *site,
		       const char *rec)
{
	const struct type *t = site->rec;
	int64_t code = 0;

	if (t && t->nfields > 1)
		memcpy(&code, rec + t->fields[1].offset, sizeof(code));
	if (!rt->have_exit) {
		rt->have_exit = 1;
		rt->exit_code = code;
	}
	rt->stop = 1;
}

static int map_show(struct runtime *rt, size_t i);
static int map_clear(struct runtime *rt, size_t i);

/* print(@map) and clear(@map), in order with the other events; done here
 * even when a handler takes the other events. */
static void event_map(struct runtime *rt, const struct evsite *site)
{
	size_t i = (size_t)site->map;
	int err;

	if (site->map < 0 || i >= rt->spec.nmaps || rt->map_fds[i] < 0) {
		fflush(rt->out);
		fprintf(rt->err, "ply: warning: event of site %d names map %d, "
			"which does not exist\n", site->id, site->map);
		return;
	}
	err = site->kind == EV_PRINTMAP ? map_show(rt, i) : map_clear(rt, i);
	if (err)
		rt->failed = 1;
}

/* The bytes an event of site must have: its record, or for print(@map)
 * and clear(@map), which may have none, the id. */
static size_t site_size(const struct evsite *site)
{
	if (site->rec)
		return site->rec->size;
	if (site->kind == EV_PRINTMAP || site->kind == EV_CLEAR)
		return sizeof(uint64_t);
	return SIZE_MAX;
}

static void event_handle(struct runtime *rt, const char *rec, size_t size)
{
	const struct evsite *site;
	uint64_t id;

	if (size < sizeof(id)) {
		event_bad(rt, 0, size, 1);
		return;
	}
	memcpy(&id, rec, sizeof(id));
	site = id < rt->spec.nsites ? rt->spec.sites[id] : NULL;
	if (!site || size < site_size(site)) {
		event_bad(rt, id, size, site != NULL);
		return;
	}
	if (site->kind == EV_EXIT)
		event_exit(rt, site, rec);
	else if (site->kind == EV_PRINTMAP || site->kind == EV_CLEAR)
		event_map(rt, site);
	else if (rt->handler)
		rt->handler(site, rec, size, rt->handler_ctx);
	else if (site->kind == EV_PRINTF)
		fmt_printf(rt->out, site->fmt, site->rec->fields + 1,
			   site->rec->nfields ? site->rec->nfields - 1 : 0, rec);
	else
		event_print(rt, site, rec);
}

static int event_cb(void *ctx, void *data, size_t size)
{
	event_handle(ctx, data, size);
	return 0;
}

static int events_consume(struct runtime *rt)
{
	int n;

	if (!rt->rb)
		return 0;
	n = ring_buffer__consume(rt->rb);

	fflush(rt->out);
	if (n < 0) {
		fprintf(rt->err, "ply: failed to read events: %s\n",
			strerror(-n));
		return n;
	}
	return 0;
}

/* ---- stats ---- */

static uint64_t stat_read(struct runtime *rt, uint32_t key)
{
	uint64_t sum = 0;
	int cpu;

	if (rt->stats_fd < 0 ||
	    bpf_map_lookup_elem(rt->stats_fd, &key, rt->cpu_buf))
		return 0;
	for (cpu = 0; cpu < rt->ncpus; cpu++)
		sum += rt->cpu_buf[cpu];
	return sum;
}

/* Returns 1 if events were lost since the last report. */
static int stats_report_lost(struct runtime *rt)
{
	uint64_t lost = stat_read(rt, STAT_LOST);

	if (lost <= rt->lost_reported)
		return 0;
	fflush(rt->out);
	fprintf(rt->err, "ply: %" PRIu64 " events lost (ring buffer full)\n",
		lost - rt->lost_reported);
	rt->lost_reported = lost;
	return 1;
}

/* The kernel does not run a tracing program that fires while another BPF
 * program runs on the same CPU (it would recurse); it counts each time. */
static void misses_report(struct runtime *rt)
{
	struct bpf_prog_info info;
	__u32 len;
	size_t i;

	for (i = 0; rt->prog_fds && i < rt->spec.nprogs; i++) {
		if (rt->prog_fds[i] < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(rt->prog_fds[i], &info, &len) ||
		    !info.recursion_misses)
			continue;
		fprintf(rt->err, "ply: probe '%s': %llu runs missed (the "
			"kernel skips a probe that fires while another BPF "
			"program runs on the same CPU)\n", rt->spec.progs[i].name,
			(unsigned long long)info.recursion_misses);
	}
}

static void stats_report(struct runtime *rt)
{
	const struct mapsym *m;
	uint64_t dropped;
	size_t i;

	stats_report_lost(rt);
	for (i = 0; i < rt->spec.nmaps; i++) {
		dropped = stat_read(rt, STAT_MAP_FULL + i);
		if (!dropped)
			continue;
		m = rt->spec.maps[i];
		fprintf(rt->err, "ply: map %s is full: %" PRIu64 " updates "
			"dropped (max_entries %" PRIu32 ")\n", m->name, dropped,
			map_entries(rt, m));
	}
	if (rt->bad_events > 1)
		fprintf(rt->err, "ply: %" PRIu64 " malformed events ignored\n",
			rt->bad_events);
	misses_report(rt);
	for (i = 0; i < rt->ntimers; i++)
		if (rt->timers[i].skipped)
			fprintf(rt->err, "ply: probe '%s': %" PRIu64 " ticks "
				"skipped (its period is shorter than a run)\n",
				rt->spec.progs[rt->timers[i].prog].name,
				rt->timers[i].skipped);
}

/* ---- the loop ---- */

static int sig_block(struct runtime *rt)
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
static void sig_restore(struct runtime *rt)
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
			fprintf(rt->err, "ply: stopping, since events were "
				"lost (-k keeps going)\n");
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
		fprintf(rt->err, "ply: failed to set up the event loop: %s\n",
			strerror(-err));
		goto cleanup;
	}
	while (!rt->stop && !err) {
		n = epoll_wait(epfd, evs, ARRAY_SIZE(evs),
			       rt->rb ? RINGBUF_POLL_MS : -1);
		if (n == 0)	/* events that asked for no wake-up */
			err = loop_event(rt, TAG_RB);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			fprintf(rt->err, "ply: epoll_wait failed: %s\n",
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

/* ---- maps, read back ---- */

static int type_summable(const struct type *t)
{
	size_t i;

	switch (t->kind) {
	case T_INT:
		return 1;
	case T_ARRAY:
		return t->elem && type_summable(t->elem);
	case T_STRUCT:
		for (i = 0; i < t->nfields; i++)
			if (!type_summable(t->fields[i].type))
				return 0;
		return 1;
	default:
		return 0;
	}
}

static uint64_t int_load(const char *p, size_t size)
{
	uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64;

	switch (size) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	case 4: memcpy(&u32, p, 4); return u32;
	case 8: memcpy(&u64, p, 8); return u64;
	}
	unreachable();
}

static void int_store(char *p, size_t size, uint64_t v)
{
	uint8_t u8 = v; uint16_t u16 = v; uint32_t u32 = v;

	switch (size) {
	case 1: memcpy(p, &u8, 1); return;
	case 2: memcpy(p, &u16, 2); return;
	case 4: memcpy(p, &u32, 4); return;
	case 8: memcpy(p, &v, 8); return;
	}
	unreachable();
}

/* Sum every integer of a per-CPU value; wrapping sums are right for signed
 * values too. */
static void value_sum(const struct type *t, const char *raw, size_t stride,
		      int ncpus, size_t off, char *dst)
{
	uint64_t sum = 0;
	size_t i;
	int cpu;

	switch (t->kind) {
	case T_INT:
		for (cpu = 0; cpu < ncpus; cpu++)
			sum += int_load(raw + cpu * stride + off, t->size);
		int_store(dst + off, t->size, sum);
		break;
	case T_ARRAY:
		for (i = 0; i < t->len; i++)
			value_sum(t->elem, raw, stride, ncpus,
				  off + i * t->elem->size, dst);
		break;
	case T_STRUCT:
		for (i = 0; i < t->nfields; i++)
			value_sum(t->fields[i].type, raw, stride, ncpus,
				  off + t->fields[i].offset, dst);
		break;
	default:
		unreachable();
	}
}

struct map_buf {
	char *keys, *vals;
	size_t n, cap, ksize, vsize;
};

static int map_buf_push(struct map_buf *b, const void *key)
{
	char *k, *v;
	size_t cap;

	if (b->n == b->cap) {
		cap = b->cap ? b->cap * 2 : 16;
		k = realloc(b->keys, cap * b->ksize);
		if (k)
			b->keys = k;
		v = realloc(b->vals, cap * b->vsize);
		if (v)
			b->vals = v;
		if (!k || !v)
			return -ENOMEM;
		b->cap = cap;
	}
	memcpy(b->keys + b->n * b->ksize, key, b->ksize);
	return 0;
}

/* Look key up and append it with its (summed) value; 1 if it was there. */
static int map_take(struct runtime *rt, size_t i, struct map_buf *b,
		    const void *key, char *raw)
{
	const struct mapsym *m = rt->spec.maps[i];
	size_t stride = ALIGN_UP(b->vsize, 8);
	char *dst;
	int err;

	err = bpf_map_lookup_elem(rt->map_fds[i], key, raw);
	if (err)
		return err == -ENOENT ? 0 : err;
	err = map_buf_push(b, key);
	if (err)
		return err;
	dst = b->vals + b->n * b->vsize;
	if (!m->is_agg)
		memcpy(dst, raw, b->vsize);
	else if (type_summable(m->vtype))
		value_sum(m->vtype, raw, stride, rt->ncpus, 0, dst);
	else
		memcpy(dst, raw, b->vsize);	/* CPU 0's */
	b->n++;
	return 1;
}

static int map_walk(struct runtime *rt, size_t i, struct map_buf *b, char *raw)
{
	const struct mapsym *m = rt->spec.maps[i];
	char *prev, *next, *tmp;
	uint32_t zero = 0;
	int err = 0, have_prev = 0;

	if (!m->ktype)
		return map_take(rt, i, b, &zero, raw) < 0 ? -EIO : 0;
	prev = malloc(b->ksize);
	next = malloc(b->ksize);
	if (!prev || !next) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* bounded: a map being updated meanwhile may restart the walk */
	while (b->n < map_entries(rt, m)) {
		err = bpf_map_get_next_key(rt->map_fds[i],
					   have_prev ? prev : NULL, next);
		if (err) {
			err = err == -ENOENT ? 0 : err;
			break;
		}
		err = map_take(rt, i, b, next, raw);
		if (err < 0)
			break;
		err = 0;
		tmp = prev, prev = next, next = tmp;
		have_prev = 1;
	}
cleanup:
	free(prev);
	free(next);
	return err;
}

int runtime__map_read(struct runtime *rt, size_t i, void **keys,
		      void **vals, size_t *n)
{
	const struct mapsym *m;
	struct map_buf b = { 0 };
	char *raw = NULL;
	int err;

	*keys = *vals = NULL;
	*n = 0;
	if (i >= rt->spec.nmaps || rt->map_fds[i] < 0)
		return -EINVAL;
	m = rt->spec.maps[i];
	b.ksize = map_ksize(m);
	b.vsize = m->vtype->size;
	raw = malloc(m->is_agg ? ALIGN_UP(b.vsize, 8) * rt->ncpus : b.vsize);
	err = raw ? map_walk(rt, i, &b, raw) : -ENOMEM;
	free(raw);
	if (err) {
		fprintf(rt->err, "ply: map %s: failed to read: %s\n", m->name,
			strerror(-err));
		free(b.keys);
		free(b.vals);
		return err;
	}
	*keys = b.keys;
	*vals = b.vals;
	*n = b.n;
	return 0;
}

/* ---- the end ---- */

static int map_show(struct runtime *rt, size_t i)
{
	void *keys, *vals;
	size_t n;
	int err;

	err = runtime__map_read(rt, i, &keys, &vals, &n);
	if (err)
		return err;
	map_print(rt->out, rt->spec.maps[i], keys, vals, n);
	free(keys);
	free(vals);
	return 0;
}

/* Delete every key. The next key is found before the current one is
 * deleted, because after a delete the walk would start over; bounded in
 * case programs keep adding keys meanwhile. */
static int map_clear(struct runtime *rt, size_t i)
{
	const struct mapsym *m = rt->spec.maps[i];
	size_t ksize = map_ksize(m), n, limit = 2 * (size_t)map_entries(rt, m);
	char *cur = NULL, *next = NULL, *tmp;
	int fd = rt->map_fds[i], err, more;
	uint32_t zero = 0;

	if (!m->ktype) {
		err = bpf_map_delete_elem(fd, &zero);
		err = err == -ENOENT ? 0 : err;
		goto cleanup;
	}
	cur = malloc(ksize);
	next = malloc(ksize);
	if (!cur || !next) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = bpf_map_get_next_key(fd, NULL, cur);
	for (n = 0; !err && n < limit; n++) {
		more = bpf_map_get_next_key(fd, cur, next);
		err = bpf_map_delete_elem(fd, cur);
		if (err == -ENOENT)
			err = 0;
		if (!err && more != -ENOENT)
			err = more;
		if (err || more)
			break;	/* ENOENT: that was the last */
		tmp = cur, cur = next, next = tmp;
	}
	if (err == -ENOENT)
		err = 0;
cleanup:
	if (err)
		fprintf(rt->err, "ply: map %s: failed to clear: %s\n", m->name,
			strerror(-err));
	free(cur);
	free(next);
	return err;
}

static int events_drain(struct runtime *rt)
{
	int n, rounds;

	/* a program still running on another CPU may commit late */
	for (rounds = 0; rounds < 8; rounds++) {
		n = ring_buffer__consume(rt->rb);
		if (n <= 0)
			break;
	}
	fflush(rt->out);
	if (n < 0)
		fprintf(rt->err, "ply: failed to read events: %s\n",
			strerror(-n));
	return n < 0 ? n : 0;
}

int runtime__finish(struct runtime *rt)
{
	size_t i;
	int err, e;

	probes_close(rt);
	err = progs_run(rt, RT_END);
	if (rt->rb) {
		e = events_drain(rt);
		err = err ? err : e;
	}
	for (i = 0; i < rt->spec.nmaps; i++) {
		if (rt->map_fds[i] < 0 || starts_with(rt->spec.maps[i]->name, "__"))
			continue;
		e = map_show(rt, i);
		err = err ? err : e;
	}
	stats_report(rt);
	fflush(rt->out);
	fflush(rt->err);
	sig_restore(rt);
	if (err)
		rt->failed = 1;
	return err;
}

int runtime__exit_status(const struct runtime *rt)
{
	if (rt->have_exit)
		return (int)rt->exit_code;
	return rt->failed ? 1 : 0;
}

void runtime__free(struct runtime *rt)
{
	if (!rt)
		return;
	probes_close(rt);
	child_kill(rt);
	sig_restore(rt);
	ring_buffer__free(rt->rb);
	fds_close(rt->prog_fds, rt->spec.nprogs);
	fds_close(rt->map_fds, rt->spec.nmaps);
	close_fd(&rt->rb_fd);
	close_fd(&rt->stats_fd);
	close_fd(&rt->zero_fd);
	close_fd(&rt->stack_fd);
	if (fmt_stack_ctx == rt) {
		fmt_stack_resolve = NULL;
		fmt_stack_ctx = NULL;
	}
	free(rt->stack_buf);
	close_fd(&rt->child_go);
	close_fd(&rt->child_pidfd);
	free(rt->cpu_buf);
	free(rt->map_fds);
	free(rt->prog_fds);
	free(rt->perf_fds);
	free(rt->timers);
	free(rt);
}
