/* test_runtime: the runtime end to end on this kernel, with hand-assembled
 * programs: maps, tracepoints across CPUs, the ring buffer, exit(), the -c
 * command, verifier refusals, and that nothing is left behind. Needs root.
 * The binary doubles as the traced command (--child-*). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/bpf.h>

#include "runtime.h"
#include "test.h"
#include "type.h"
#include "util.h"

/* ---- a tiny assembler ---- */
#define INSN(c, d, s, o, i) \
	{ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }
#define MOV64_IMM(d, i)		INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV64_REG(d, s)		INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ALU64_IMM(op, d, i)	INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define LDX(sz, d, s, o)	INSN(BPF_LDX | (sz) | BPF_MEM, d, s, o, 0)
#define STX(sz, d, s, o)	INSN(BPF_STX | (sz) | BPF_MEM, d, s, o, 0)
#define ST(sz, d, o, i)		INSN(BPF_ST | (sz) | BPF_MEM, d, 0, o, i)
#define XADD64(d, s, o)		INSN(BPF_STX | BPF_DW | BPF_ATOMIC, d, s, o, BPF_ADD)
#define JMP_IMM(op, d, i, o)	INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define CALL(f)			INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT()			INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define LD_MAP(d, idx) \
	INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, idx), \
	INSN(0, 0, 0, 0, 0)
/* r2 = r10 + off */
#define STACK_PTR(r, off)	MOV64_REG(r, 10), ALU64_IMM(BPF_ADD, r, off)

#define R0 0
#define R1 1
#define R2 2
#define R3 3
#define R4 4
#define R6 6
#define R7 7
#define R10 10

#define NCALLS 20000

static struct arena *ar;
static char self[4096];

/* ---- the traced command ---- */

static void *child_thread(void *arg)
{
	long cpu = (long)arg, i;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return (void *)1;
	for (i = 0; i < NCALLS / 2; i++)
		syscall(SYS_getppid);
	return NULL;
}

/* Two threads, one pinned on each CPU, NCALLS getppid in all. */
static int child_getppid(void)
{
	pthread_t t[2];
	void *r0 = NULL, *r1 = NULL;

	if (pthread_create(&t[0], NULL, child_thread, (void *)0L) ||
	    pthread_create(&t[1], NULL, child_thread, (void *)1L))
		return 2;
	pthread_join(t[0], &r0);
	pthread_join(t[1], &r1);
	return r0 || r1 ? 3 : 0;
}

static int child_main(const char *mode)
{
	if (!strcmp(mode, "--child-getppid"))
		return child_getppid();
	if (!strcmp(mode, "--child-getppid-pause")) {
		syscall(SYS_getppid);
		pause();
		return 0;
	}
	return 99;
}

/* ---- helpers ---- */

static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static struct type *tuple(size_t n, struct type *a, struct type *b,
			  struct type *c)
{
	struct type *m[3] = { a, b, c };

	return type_tuple(ar, "rec", m, n);
}

static struct evsite *site(int id, enum ev_kind kind, const char *fmt,
			   struct type *rec)
{
	struct evsite *s = arena_alloc(ar, sizeof(*s));

	s->id = id;
	s->kind = kind;
	s->fmt = fmt;
	s->rec = rec;
	return s;
}

static struct mapsym *mapsym(const char *name, int index, struct type *k,
			     struct type *v)
{
	struct mapsym *m = arena_alloc(ar, sizeof(*m));

	m->name = name;
	m->is_agg = name[0] == '@';
	m->agg = m->is_agg ? AGG_COUNT : AGG_NONE;
	m->ktype = k;
	m->vtype = v;
	m->index = index;
	return m;
}

struct capture {
	char *out, *err;
	size_t outn, errn;
	FILE *fout, *ferr;
	struct rt_opts opts;
};

static void capture_open(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->fout = open_memstream(&c->out, &c->outn);
	c->ferr = open_memstream(&c->err, &c->errn);
	c->opts.out = c->fout;
	c->opts.err = c->ferr;
}

static void capture_close(struct capture *c)
{
	fclose(c->fout);
	fclose(c->ferr);
}

static void capture_free(struct capture *c)
{
	free(c->out);
	free(c->err);
}

static int child_gone(pid_t pid)
{
	return kill(pid, 0) == -1 && errno == ESRCH &&
	       waitpid(pid, NULL, WNOHANG) == -1 && errno == ECHILD;
}

/* ---- (a) a tracepoint counting getppid across both CPUs ---- */

static uint64_t u64_at(const void *p, size_t i)
{
	uint64_t v;

	memcpy(&v, (const char *)p + i * 8, 8);
	return v;
}

static void test_tracepoint_count(void)
{
	struct bpf_insn begin[] = {
		ST(BPF_W, R10, -4, 0),
		ST(BPF_DW, R10, -16, 0),
		LD_MAP(R1, 0), STACK_PTR(R2, -4), STACK_PTR(R3, -16),
		MOV64_IMM(R4, BPF_ANY), CALL(BPF_FUNC_map_update_elem),
		ST(BPF_DW, R10, -24, 0),
		LD_MAP(R1, 1), STACK_PTR(R2, -24), STACK_PTR(R3, -16),
		MOV64_IMM(R4, BPF_ANY), CALL(BPF_FUNC_map_update_elem),
		ST(BPF_DW, R10, -24, 1),
		LD_MAP(R1, 1), STACK_PTR(R2, -24), STACK_PTR(R3, -16),
		MOV64_IMM(R4, BPF_ANY), CALL(BPF_FUNC_map_update_elem),
		MOV64_IMM(R0, 0), EXIT(),
	};
	/* count only the command's own threads (the pid goes in at [4] and
	 * [7]): the shell's getppid (for $PPID) runs in the main thread */
	struct bpf_insn tp[] = {
		CALL(BPF_FUNC_get_current_pid_tgid),
		MOV64_REG(R6, R0), MOV64_REG(R7, R0),
		ALU64_IMM(BPF_RSH, R7, 32),
		JMP_IMM(BPF_JNE, R7, 0, 23),
		ALU64_IMM(BPF_LSH, R6, 32), ALU64_IMM(BPF_RSH, R6, 32),
		JMP_IMM(BPF_JEQ, R6, 0, 20),
		ST(BPF_W, R10, -4, 0),
		LD_MAP(R1, 0), STACK_PTR(R2, -4),
		CALL(BPF_FUNC_map_lookup_elem),
		JMP_IMM(BPF_JEQ, R0, 0, 13),
		LDX(BPF_DW, R1, R0, 0), ALU64_IMM(BPF_ADD, R1, 1),
		STX(BPF_DW, R0, R1, 0),
		CALL(BPF_FUNC_get_smp_processor_id),
		STX(BPF_DW, R10, R0, -16),
		LD_MAP(R1, 1), STACK_PTR(R2, -16),
		CALL(BPF_FUNC_map_lookup_elem),
		JMP_IMM(BPF_JEQ, R0, 0, 2),
		MOV64_IMM(R1, 1), XADD64(R0, R1, 0),
		MOV64_IMM(R0, 0), EXIT(),
	};
	struct rt_prog progs[2] = {
		{ "tracepoint:syscalls/sys_enter_getppid",
		  BPF_PROG_TYPE_TRACEPOINT, RT_TRACEPOINT,
		  "syscalls/sys_enter_getppid", tp, ARRAY_SIZE(tp) },
		{ "BEGIN", BPF_PROG_TYPE_RAW_TRACEPOINT, RT_BEGIN, NULL,
		  begin, ARRAY_SIZE(begin) },
	};
	struct mapsym *maps[3];
	struct rt_spec spec = { .progs = progs, .nprogs = 2, .maps = maps,
				.nmaps = 3 };
	struct capture c;
	struct runtime *rt;
	void *keys = NULL, *vals = NULL;
	size_t n = 0;
	int fds = fd_count(), pid, ok;
	char cmd[4200];

	maps[0] = mapsym("@", 0, NULL, &type_u64);
	maps[1] = mapsym("@cpu", 1, tuple(1, &type_u32, NULL, NULL), &type_u64);
	maps[1]->is_agg = 0;	/* a plain HASH, updated atomically */
	maps[2] = mapsym("__hidden", 2, tuple(1, &type_u32, NULL, NULL),
			 &type_u64);
	capture_open(&c);
	rt = runtime__new(&spec, &c.opts);
	CHECK(rt != NULL);
	if (!rt)
		return;
	snprintf(cmd, sizeof(cmd), "exec '%s' --child-getppid", self);
	CHECK(runtime__spawn(rt, cmd) == 0);
	pid = runtime__child(rt);
	CHECK(pid > 0);
	tp[4].imm = pid;
	tp[7].imm = pid;

	ok = runtime__load(rt) == 0 && runtime__attach(rt) == 0;
	CHECK(ok);
	CHECK(runtime__start(rt) == 0);
	CHECK(!ok || runtime__loop(rt) == 0);
	CHECK(runtime__finish(rt) == 0);

	CHECK(runtime__map_read(rt, 0, &keys, &vals, &n) == 0);
	CHECK(n == 1);
	CHECK(n == 1 && u64_at(vals, 0) == NCALLS);
	if (n == 1 && u64_at(vals, 0) != NCALLS)
		fprintf(stderr, "  count %llu, want %d\n",
			(unsigned long long)u64_at(vals, 0), NCALLS);
	free(keys);
	free(vals);
	CHECK(runtime__map_read(rt, 1, &keys, &vals, &n) == 0);
	CHECK(n == 2);
	if (n == 2) {
		size_t k0 = u64_at(keys, 0) == 0 ? 0 : 1;

		/* each pinned thread's calls, seen on its own CPU */
		CHECK(u64_at(keys, k0) == 0 && u64_at(keys, !k0) == 1);
		CHECK(u64_at(vals, k0) == NCALLS / 2);
		CHECK(u64_at(vals, !k0) == NCALLS / 2);
	}
	free(keys);
	free(vals);
	CHECK(runtime__exit_status(rt) == 0);
	runtime__free(rt);
	capture_close(&c);
	CHECK(strstr(c.out, "__hidden") == NULL);
	CHECK(strstr(c.out, "@cpu") != NULL);
	CHECK_STR(c.err, "");
	CHECK(child_gone(pid));
	CHECK(fd_count() == fds);
	capture_free(&c);
}

/* ---- (b) printf and print events, an unknown site, a handler ---- */

static struct bpf_insn ev_prog[] = {
	/* printf site 0: { id, 42 } */
	ST(BPF_DW, R10, -16, 0), ST(BPF_DW, R10, -8, 42),
	LD_MAP(R1, MAP_IDX_RINGBUF), STACK_PTR(R2, -16),
	MOV64_IMM(R3, 16), MOV64_IMM(R4, 0), CALL(BPF_FUNC_ringbuf_output),
	/* print site 1: { id, 7, -8 } */
	ST(BPF_DW, R10, -24, 1), ST(BPF_DW, R10, -16, 7),
	ST(BPF_DW, R10, -8, -8),
	LD_MAP(R1, MAP_IDX_RINGBUF), STACK_PTR(R2, -24),
	MOV64_IMM(R3, 24), MOV64_IMM(R4, 0), CALL(BPF_FUNC_ringbuf_output),
	/* unknown site 9 */
	ST(BPF_DW, R10, -16, 9),
	LD_MAP(R1, MAP_IDX_RINGBUF), STACK_PTR(R2, -16),
	MOV64_IMM(R3, 16), MOV64_IMM(R4, 0), CALL(BPF_FUNC_ringbuf_output),
	/* exit site 2: { id, 5 } */
	ST(BPF_DW, R10, -16, 2), ST(BPF_DW, R10, -8, 5),
	LD_MAP(R1, MAP_IDX_RINGBUF), STACK_PTR(R2, -16),
	MOV64_IMM(R3, 16), MOV64_IMM(R4, 0), CALL(BPF_FUNC_ringbuf_output),
	/* printed too: it is in the same batch as the exit */
	ST(BPF_DW, R10, -16, 0), ST(BPF_DW, R10, -8, 43),
	LD_MAP(R1, MAP_IDX_RINGBUF), STACK_PTR(R2, -16),
	MOV64_IMM(R3, 16), MOV64_IMM(R4, 0), CALL(BPF_FUNC_ringbuf_output),
	MOV64_IMM(R0, 0), EXIT(),
};

static struct evsite *ev_sites[3];

static void ev_sites_init(void)
{
	ev_sites[0] = site(0, EV_PRINTF, "hello %d\n",
			   tuple(2, &type_u64, &type_s64, NULL));
	ev_sites[1] = site(1, EV_PRINT, NULL,
			   tuple(3, &type_u64, &type_s64, &type_s64));
	ev_sites[2] = site(2, EV_EXIT, NULL,
			   tuple(2, &type_u64, &type_s64, NULL));
}

static int handler_calls;

static void count_handler(const struct evsite *s, const void *rec,
			  size_t size, void *ctx)
{
	handler_calls++;
	CHECK(ctx == &handler_calls);
	CHECK(size >= s->rec->size);
}

static void test_events(int with_handler)
{
	struct rt_prog prog = { "BEGIN", BPF_PROG_TYPE_RAW_TRACEPOINT,
				RT_BEGIN, NULL, ev_prog, ARRAY_SIZE(ev_prog) };
	struct rt_spec spec = { .progs = &prog, .nprogs = 1, .sites = ev_sites,
				.nsites = 3, .ringbuf_size = 5000 };
	struct capture c;
	struct runtime *rt;
	int fds = fd_count(), ok;

	capture_open(&c);
	if (with_handler) {
		c.opts.handler = count_handler;
		c.opts.handler_ctx = &handler_calls;
	}
	rt = runtime__new(&spec, &c.opts);
	ok = runtime__load(rt) == 0 && runtime__attach(rt) == 0;
	CHECK(ok);
	CHECK(runtime__start(rt) == 0);
	CHECK(!ok || runtime__loop(rt) == 0);	/* exit() in BEGIN: returns at once */
	CHECK(runtime__finish(rt) == 0);
	CHECK(runtime__exit_status(rt) == 5);
	runtime__free(rt);
	capture_close(&c);
	if (with_handler) {
		CHECK(handler_calls == 3);
		CHECK_STR(c.out, "");
	} else {
		CHECK_STR(c.out, "hello 42\n7, -8\nhello 43\n");
	}
	CHECK(strstr(c.err, "unknown site id 9") != NULL);
	CHECK(fd_count() == fds);
	capture_free(&c);
}

/* ---- (c) exit() from a tracepoint ends the loop ---- */

static void test_exit_from_probe(void)
{
	struct bpf_insn tp[] = {
		CALL(BPF_FUNC_get_current_pid_tgid),
		ALU64_IMM(BPF_RSH, R0, 32),
		JMP_IMM(BPF_JNE, R0, 0, 9),
		ST(BPF_DW, R10, -16, 2), ST(BPF_DW, R10, -8, 7),
		LD_MAP(R1, MAP_IDX_RINGBUF), STACK_PTR(R2, -16),
		MOV64_IMM(R3, 16), MOV64_IMM(R4, 0),
		CALL(BPF_FUNC_ringbuf_output),
		MOV64_IMM(R0, 0), EXIT(),
	};
	struct rt_prog prog = { "tracepoint:syscalls/sys_enter_getppid",
				BPF_PROG_TYPE_TRACEPOINT, RT_TRACEPOINT,
				"syscalls/sys_enter_getppid", tp,
				ARRAY_SIZE(tp) };
	struct rt_spec spec = { .progs = &prog, .nprogs = 1, .sites = ev_sites,
				.nsites = 3 };
	struct capture c;
	struct runtime *rt;
	struct timespec t0, t1;
	char cmd[4200];
	int fds = fd_count(), ok;
	pid_t pid;

	capture_open(&c);
	rt = runtime__new(&spec, &c.opts);
	snprintf(cmd, sizeof(cmd), "exec '%s' --child-getppid-pause", self);
	CHECK(runtime__spawn(rt, cmd) == 0);
	pid = runtime__child(rt);
	tp[2].imm = pid;
	ok = runtime__load(rt) == 0 && runtime__attach(rt) == 0;
	CHECK(ok);
	CHECK(runtime__start(rt) == 0);
	CHECK(!ok || runtime__loop(rt) == 0);
	CHECK(runtime__finish(rt) == 0);
	CHECK(runtime__exit_status(rt) == 7);
	CHECK(kill(pid, 0) == 0);	/* paused, not reaped yet */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	runtime__free(rt);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec < 2);
	CHECK(child_gone(pid));
	capture_close(&c);
	CHECK_STR(c.err, "");
	CHECK(fd_count() == fds);
	capture_free(&c);
}

/* ---- the loop ends on the command's exit and on SIGTERM ---- */

static void test_loop_stops(const char *cmd, int want_status)
{
	struct rt_spec spec = { 0 };
	struct capture c;
	struct runtime *rt;
	int fds = fd_count(), ok;
	sigset_t mask;
	pid_t pid;

	capture_open(&c);
	rt = runtime__new(&spec, &c.opts);
	CHECK(runtime__spawn(rt, cmd) == 0);
	pid = runtime__child(rt);
	ok = runtime__load(rt) == 0 && runtime__attach(rt) == 0;
	CHECK(ok);
	CHECK(runtime__start(rt) == 0);
	CHECK(!ok || runtime__loop(rt) == 0);
	CHECK(runtime__finish(rt) == 0);
	CHECK(runtime__exit_status(rt) == want_status);
	sigprocmask(SIG_BLOCK, NULL, &mask);
	CHECK(!sigismember(&mask, SIGINT) && !sigismember(&mask, SIGTERM));
	runtime__free(rt);
	CHECK(child_gone(pid));
	capture_close(&c);
	CHECK_STR(c.err, "");
	CHECK(fd_count() == fds);
	capture_free(&c);
}

/* ---- (d) refusals: the verifier, a missing tracepoint ---- */

static void test_refused(void)
{
	struct bpf_insn bad[] = { MOV64_REG(R0, R2), EXIT() };
	struct rt_prog prog = { "tracepoint:syscalls/sys_enter_getppid",
				BPF_PROG_TYPE_TRACEPOINT, RT_TRACEPOINT,
				"syscalls/sys_enter_getppid", bad,
				ARRAY_SIZE(bad) };
	struct rt_spec spec = { .progs = &prog, .nprogs = 1 };
	struct capture c;
	struct runtime *rt;
	int fds = fd_count(), pid;

	capture_open(&c);
	rt = runtime__new(&spec, &c.opts);
	CHECK(runtime__spawn(rt, "true") == 0);
	pid = runtime__child(rt);
	CHECK(runtime__load(rt) < 0);
	CHECK(runtime__exit_status(rt) == 1);
	runtime__free(rt);
	CHECK(child_gone(pid));
	capture_close(&c);
	CHECK(strstr(c.err, "ply: probe 'tracepoint:syscalls/sys_enter_getppid':"
		      " the kernel refused the program: ") != NULL);
	CHECK(strstr(c.err, "R2 !read_ok") != NULL);
	CHECK(strstr(c.err, "read before") != NULL);
	CHECK(fd_count() == fds);
	if (test_failed)
		fprintf(stderr, "%s", c.err);
	capture_free(&c);
}

static void test_no_tracepoint(void)
{
	struct bpf_insn ok[] = { MOV64_IMM(R0, 0), EXIT() };
	struct rt_prog prog = { "tracepoint:syscalls/sys_enter_nope",
				BPF_PROG_TYPE_TRACEPOINT, RT_TRACEPOINT,
				"syscalls/sys_enter_nope", ok, ARRAY_SIZE(ok) };
	struct rt_spec spec = { .progs = &prog, .nprogs = 1 };
	struct capture c;
	struct runtime *rt;
	int fds = fd_count();

	capture_open(&c);
	rt = runtime__new(&spec, &c.opts);
	CHECK(runtime__load(rt) == 0);
	CHECK(runtime__attach(rt) == -ENOENT);
	runtime__free(rt);
	capture_close(&c);
	CHECK_STR(c.err, "ply: probe 'tracepoint:syscalls/sys_enter_nope': "
		  "no such tracepoint\n");
	CHECK(fd_count() == fds);
	capture_free(&c);
}

/* ---- losses counted by the programs are reported, never dropped ---- */

static void test_stats(void)
{
	struct bpf_insn begin[] = {
		ST(BPF_W, R10, -4, STAT_LOST),
		LD_MAP(R1, MAP_IDX_STATS), STACK_PTR(R2, -4),
		CALL(BPF_FUNC_map_lookup_elem),
		JMP_IMM(BPF_JEQ, R0, 0, 2),
		MOV64_IMM(R1, 3), STX(BPF_DW, R0, R1, 0),
		ST(BPF_W, R10, -4, STAT_MAP_FULL + 1),
		LD_MAP(R1, MAP_IDX_STATS), STACK_PTR(R2, -4),
		CALL(BPF_FUNC_map_lookup_elem),
		JMP_IMM(BPF_JEQ, R0, 0, 2),
		MOV64_IMM(R1, 2), STX(BPF_DW, R0, R1, 0),
		MOV64_IMM(R0, 0), EXIT(),
	};
	struct rt_prog prog = { "BEGIN", BPF_PROG_TYPE_RAW_TRACEPOINT,
				RT_BEGIN, NULL, begin, ARRAY_SIZE(begin) };
	struct mapsym *maps[2];
	struct rt_spec spec = { .progs = &prog, .nprogs = 1, .maps = maps,
				.nmaps = 2 };
	struct capture c;
	struct runtime *rt;
	int fds = fd_count();

	maps[0] = mapsym("@a", 0, NULL, &type_u64);
	maps[1] = mapsym("@b", 1, tuple(1, &type_u64, NULL, NULL), &type_u64);
	maps[1]->max_entries = 10;
	capture_open(&c);
	rt = runtime__new(&spec, &c.opts);
	CHECK(runtime__load(rt) == 0);
	CHECK(runtime__attach(rt) == 0);
	CHECK(runtime__finish(rt) == 0);
	runtime__free(rt);
	capture_close(&c);
	CHECK_STR(c.err, "ply: 3 events lost (ring buffer full)\n"
		  "ply: map @b is full: 2 updates dropped (max_entries 10)\n");
	CHECK(fd_count() == fds);
	capture_free(&c);
}

/* ---- (f) a command never started is killed, and never ran ---- */

static void test_never_started(void)
{
	struct rt_spec spec = { 0 };
	struct capture c;
	struct runtime *rt;
	char marker[64], cmd[128];
	int fds = fd_count();
	pid_t pid;

	snprintf(marker, sizeof(marker), "/tmp/ply_rt_marker.%d", getpid());
	unlink(marker);
	snprintf(cmd, sizeof(cmd), "touch %s", marker);
	capture_open(&c);
	rt = runtime__new(&spec, &c.opts);
	CHECK(runtime__spawn(rt, cmd) == 0);
	pid = runtime__child(rt);
	CHECK(pid > 0 && kill(pid, 0) == 0);
	runtime__free(rt);
	CHECK(child_gone(pid));
	CHECK(access(marker, F_OK) != 0);
	capture_close(&c);
	CHECK(fd_count() == fds);
	capture_free(&c);
}

int main(int argc, char **argv)
{
	ssize_t n;

	if (argc > 1)
		return child_main(argv[1]);
	alarm(120);	/* a hung loop fails the test instead of the CI */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	ar = arena__new();
	ev_sites_init();

	test_tracepoint_count();
	test_events(0);
	test_events(1);
	test_exit_from_probe();
	test_loop_stops("exit 3", 0);
	test_loop_stops("kill -TERM $PPID; sleep 10", 0);
	test_refused();
	test_no_tracepoint();
	test_stats();
	test_never_started();

	arena__free(ar);
	return test_report("runtime");
}
