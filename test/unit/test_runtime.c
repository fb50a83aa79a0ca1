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
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <linux/bpf.h>
#include <linux/perf_event.h>

#include "out.h"
#include "provider.h"
#include "rt.h"
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
#define ALU64_REG(op, d, s)	INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
/* r2 = r10 + off */
#define STACK_PTR(r, off)	MOV64_REG(r, 10), ALU64_IMM(BPF_ADD, r, off)

/* A program of provider pv with attach data pd */
#define PROG(nm, pv, pd, ins) { .name = (nm), .prov = (pv), .pdata = (pd), \
	.insns = (ins), .ninsns = ARRAY_SIZE(ins) }
#define TP_PROG(nm, tp, ins) \
	PROG(nm, provider_find("tracepoint"), tracepoint_pdata(ar, tp), ins)
#define TP_GETPPID(ins) TP_PROG("tracepoint:syscalls/sys_enter_getppid", \
	"syscalls/sys_enter_getppid", ins)
#define BEGIN_PROG(ins) PROG("BEGIN", provider_find("BEGIN"), NULL, ins)

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
	struct probe_prog progs[2] = { TP_GETPPID(tp), BEGIN_PROG(begin) };
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
	struct probe_prog prog = BEGIN_PROG(ev_prog);
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
		CHECK(handler_calls == 4);	/* exit() reaches it too */
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
	struct probe_prog prog = TP_GETPPID(tp);
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

/* ---- the loop ends on the command's exit and on a stop request ---- */

/* The front end's stop, from a signal handler as the ply command does. */
static volatile sig_atomic_t stop_req;
static int stop_fd = -1;

static void on_alarm(int sig)
{
	uint64_t one = 1;

	(void)sig;
	stop_req = 1;
	if (write(stop_fd, &one, sizeof(one)) < 0)
		abort();
}

static void test_loop_stops(const char *cmd, int by_signal)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { .it_value = { 0, 200000 } };
	struct rt_spec spec = { 0 };
	struct capture c;
	struct runtime *rt;
	int fds = fd_count(), ok;
	sigset_t mask, before;
	pid_t pid;

	sigprocmask(SIG_BLOCK, NULL, &before);
	capture_open(&c);
	stop_req = 0;
	stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c.opts.stop_req = &stop_req;
	c.opts.stop_fd = stop_fd;
	rt = runtime__new(&spec, &c.opts);
	CHECK(runtime__spawn(rt, cmd) == 0);
	pid = runtime__child(rt);
	ok = runtime__load(rt) == 0 && runtime__attach(rt) == 0;
	CHECK(ok);
	CHECK(runtime__start(rt) == 0);
	if (by_signal) {
		sigaction(SIGALRM, &sa, &old);
		setitimer(ITIMER_REAL, &it, NULL);
	}
	CHECK(!ok || runtime__loop(rt) == 0);
	CHECK(runtime__finish(rt) == 0);
	CHECK(runtime__exit_status(rt) == 0);
	CHECK(!by_signal || stop_req);
	/* the runtime took no signal */
	sigprocmask(SIG_BLOCK, NULL, &mask);
	CHECK(sigismember(&mask, SIGINT) == sigismember(&before, SIGINT));
	CHECK(sigismember(&mask, SIGTERM) == sigismember(&before, SIGTERM));
	runtime__free(rt);
	if (by_signal)
		sigaction(SIGALRM, &old, NULL);
	CHECK(child_gone(pid));
	close(stop_fd);
	capture_close(&c);
	CHECK_STR(c.err, "");
	CHECK(fd_count() == fds);
	capture_free(&c);
}

/* ---- the -c command: its own words, or sh -c with exec ---- */

static void check_argv(const char *cmd, const char *const *want)
{
	char **argv = command_argv(cmd);
	size_t i;

	CHECK(argv != NULL);
	for (i = 0; argv && want[i]; i++)
		CHECK_STR(argv[i], want[i]);
	CHECK(argv && !argv[i]);
	free(argv);
}

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_command_argv(void)
{
	/* plain words: exec'd as they are */
	check_argv("sleep 1", ARGV("sleep", "1"));
	check_argv("  ls   -l\t/tmp ", ARGV("ls", "-l", "/tmp"));
	check_argv("dd if=/dev/zero count=1", ARGV("dd", "if=/dev/zero",
						   "count=1"));
	/* shell syntax: exec before the last command where that is safe */
	check_argv("FOO=1 env", ARGV("sh", "-c", "FOO=1 env"));
	check_argv("sleep 107; echo x", ARGV("sh", "-c", "sleep 107; exec echo x"));
	check_argv("a && b || c", ARGV("sh", "-c", "a && b || exec c"));
	check_argv("a 2>&1 & b", ARGV("sh", "-c", "a 2>&1 & exec b"));
	check_argv("echo 'x; y'", ARGV("sh", "-c", "exec echo 'x; y'"));
	check_argv("kill $PPID; x", ARGV("sh", "-c", "kill $PPID; exec x"));
	check_argv("a\nb", ARGV("sh", "-c", "a\nexec b"));
	/* and where it is not */
	check_argv("a | b", ARGV("sh", "-c", "a | b"));
	check_argv("a; exit 3", ARGV("sh", "-c", "a; exit 3"));
	check_argv("exit 3", ARGV("sh", "-c", "exit 3"));
	check_argv("a &", ARGV("sh", "-c", "a &"));
	check_argv("a; 'b c'", ARGV("sh", "-c", "a; 'b c'"));
	check_argv("a; (b)", ARGV("sh", "-c", "a; (b)"));
	check_argv("x=$(date); b", ARGV("sh", "-c", "x=$(date); b"));
	check_argv("trap 'echo bye' EXIT; b", ARGV("sh", "-c",
						   "trap 'echo bye' EXIT; b"));
	check_argv("f() { :; }; f", ARGV("sh", "-c", "f() { :; }; f"));
	check_argv("echo 'open", ARGV("sh", "-c", "echo 'open"));
	check_argv("a; wait", ARGV("sh", "-c", "a; wait"));
}

/* ---- (d) refusals: the verifier, a missing tracepoint ---- */

static void test_refused(void)
{
	struct bpf_insn bad[] = { MOV64_REG(R0, R2), EXIT() };
	struct probe_prog prog = TP_GETPPID(bad);
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

/* A provider's message starts with the front end's name (ply's when it
 * has none). */
static void test_no_tracepoint(void)
{
	struct bpf_insn ok[] = { MOV64_IMM(R0, 0), EXIT() };
	struct probe_prog prog = TP_PROG("tracepoint:syscalls/sys_enter_nope",
					 "syscalls/sys_enter_nope", ok);
	struct rt_spec spec = { .progs = &prog, .nprogs = 1 };
	const char *names[] = { NULL, "", "sometool" };
	const char *want[] = { "ply", "ply", "sometool" };
	char line[128];
	struct capture c;
	struct runtime *rt;
	int fds = fd_count();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		capture_open(&c);
		c.opts.prog = names[i];
		rt = runtime__new(&spec, &c.opts);
		CHECK(runtime__load(rt) == 0);
		CHECK(runtime__attach(rt) == -ENOENT);
		runtime__free(rt);
		capture_close(&c);
		snprintf(line, sizeof(line), "%s: probe 'tracepoint:syscalls/"
			 "sys_enter_nope': no such tracepoint\n", want[i]);
		CHECK_STR(c.err, line);
		CHECK(fd_count() == fds);
		capture_free(&c);
	}
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
	struct probe_prog prog = BEGIN_PROG(begin);
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

/* ---- part 2: perf events, the zero and stack maps, print/clear ---- */

#define KERNEL_ADDR 0xffff800000000000ull

/* Count into keyless map `map`: +1, or 1 if the key is not there yet. */
#define COUNT_INSNS(map)						\
	ST(BPF_W, R10, -4, 0),						\
	LD_MAP(R1, map), STACK_PTR(R2, -4),				\
	CALL(BPF_FUNC_map_lookup_elem),					\
	JMP_IMM(BPF_JEQ, R0, 0, 4),					\
	MOV64_IMM(R1, 1), XADD64(R0, R1, 0),				\
	MOV64_IMM(R0, 0), EXIT(),					\
	ST(BPF_DW, R10, -16, 1),					\
	LD_MAP(R1, map), STACK_PTR(R2, -4), STACK_PTR(R3, -16),	\
	MOV64_IMM(R4, BPF_NOEXIST), CALL(BPF_FUNC_map_update_elem),	\
	MOV64_IMM(R0, 0), EXIT()

/* A perf event of the CPU clock every per ns (or per Hz if fr) */
#define PERF_PROG(nm, ins, per, fr, c) \
	PROG(nm, provider_find("profile"), profile_pdata(ar, per, fr, c), ins)

/* Load, attach, run cmd to its end, finish; the runtime is kept for
 * reading its maps. */
static struct runtime *run_spec(const struct rt_spec *spec, struct capture *c,
				const char *cmd)
{
	struct runtime *rt;
	int ok;

	capture_open(c);
	rt = runtime__new(spec, &c->opts);
	CHECK(rt != NULL);
	if (!rt)
		return NULL;
	if (cmd)
		CHECK(runtime__spawn(rt, cmd) == 0);
	ok = runtime__load(rt) == 0 && runtime__attach(rt) == 0;
	CHECK(ok);
	CHECK(runtime__start(rt) == 0);
	if (ok && cmd)
		CHECK(runtime__loop(rt) == 0);
	CHECK(runtime__finish(rt) == 0);
	return rt;
}

/* The value of a keyless u64 map, 0 if unset. */
static uint64_t map_u64(struct runtime *rt, size_t i)
{
	void *keys = NULL, *vals = NULL;
	size_t n = 0;
	uint64_t v = 0;

	CHECK(runtime__map_read(rt, i, &keys, &vals, &n) == 0);
	if (n == 1)
		v = u64_at(vals, 0);
	free(keys);
	free(vals);
	return v;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Timer-driven counts are at the mercy of the machine: the kernel skips a
 * perf event's program while any other BPF program runs on that CPU (a
 * benchmark's hot tracepoint program drops most ticks), and a vCPU the
 * host stalls folds its missed periods into one. So a timing check that
 * fails gets one more try; a probe that never fires fails both. */
#define TIMING_TRIES 2

/* What a loaded machine may add to the error stream: the kernel's skipped
 * runs of a perf event's program, reported. */
static int only_missed(const char *err)
{
	const char *nl;

	for (; *err; err = nl + 1) {
		nl = strchr(err, '\n');
		if (!nl || strncmp(err, "ply: probe '", 12) ||
		    !memmem(err, nl - err, "runs missed", 11))
			return 0;
	}
	return 1;
}

/* interval:10ms (a 10 ms cpu-clock perf event on CPU 0) alone, after a
 * tracepoint probe (ply 2.4 never fired it there) or before one. The
 * programs are set after runtime__spawn, as a front end may set them.
 * The loop is stepped until the program has run 5 times and the
 * tracepoint has seen the command's getppid, for at most 30 s: a busy
 * machine makes that take longer, not fail. What must
 * hold whatever the load: no more runs, those the kernel skipped
 * included, than 10 ms periods in the time the test measured around
 * them (a timer that fires too often fails, as does one that never
 * fires). */
static void test_interval(int order)
{
	struct bpf_insn iv[] = { COUNT_INSNS(0) };
	struct bpf_insn tp[] = { COUNT_INSNS(1) };
	struct probe_prog ivp = PERF_PROG("interval:10ms", iv, 10000000, 0, 0);
	struct probe_prog tpp = TP_GETPPID(tp), progs[2];
	struct mapsym *maps[2];
	struct rt_spec spec = { .maps = maps, .nmaps = 2 };
	uint64_t dropped[2], missed[2], skipped[2], failed[1];
	struct rt_stats rs = { .map_dropped = dropped, .prog_missed = missed,
			       .prog_skipped = skipped, .read_failed = failed };
	struct capture c;
	struct runtime *rt;
	int fds = fd_count(), ok, done = 0;
	size_t n = 0, iv_i;
	uint64_t ticks = 0, calls = 0, runs;
	struct timespec t0;
	double ms;

	if (order != 2)
		progs[n++] = tpp;
	progs[n++] = ivp;
	if (order == 2)
		progs[n++] = tpp;
	if (order == 0)
		progs[0] = ivp, n = 1;
	iv_i = order == 1 ? 1 : 0;
	maps[0] = mapsym("@ticks", 0, NULL, &type_u64);
	maps[1] = mapsym("@calls", 1, NULL, &type_u64);
	maps[0]->is_agg = maps[1]->is_agg = 0;
	capture_open(&c);
	stop_req = 0;
	stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c.opts.stop_req = &stop_req;
	c.opts.stop_fd = stop_fd;
	rt = runtime__new(&spec, &c.opts);
	CHECK(runtime__spawn(rt, "echo $PPID >/dev/null; exec sleep 60") == 0);
	runtime__set_progs(rt, progs, n);
	clock_gettime(CLOCK_MONOTONIC, &t0);	/* before the timer starts */
	ok = runtime__load(rt) == 0 && runtime__attach(rt) == 0;
	CHECK(ok);
	CHECK(runtime__start(rt) == 0);
	while (ok && !done && ms_since(&t0) < 30000) {
		if (runtime__step(rt, 10) != 1 || runtime__stats(rt, &rs))
			break;
		ticks = map_u64(rt, 0);
		calls = map_u64(rt, 1);
		ms = ms_since(&t0);	/* after both reads */
		runs = ticks + missed[iv_i];
		if (runs > (uint64_t)(ms / 10) + 1) {
			fprintf(stderr, "  interval order %d: %llu runs of a "
				"10 ms timer in %.1f ms\n", order,
				(unsigned long long)runs, ms);
			CHECK(!"more runs than periods");
			break;
		}
		done = ticks >= 5 && (order == 0 || calls >= 1);
	}
	if (!done)
		fprintf(stderr, "  interval order %d: %llu ticks, %llu calls "
			"in %.0f ms\n", order, (unsigned long long)ticks,
			(unsigned long long)calls, ms_since(&t0));
	CHECK(done);
	CHECK(order == 0 ? calls == 0 : calls >= 1);
	stop_req = 1;
	CHECK(write(stop_fd, &(uint64_t){ 1 }, 8) == 8);
	CHECK(!ok || runtime__loop(rt) == 0);
	CHECK(runtime__finish(rt) == 0);
	runtime__free(rt);
	close(stop_fd);
	capture_close(&c);
	CHECK(only_missed(c.err));
	CHECK(fd_count() == fds);
	capture_free(&c);
}

/* profile:99hz fires on every online CPU: a count per CPU. */
static int profile_run(int last)
{
	struct bpf_insn prog[] = {
		CALL(BPF_FUNC_get_smp_processor_id),
		STX(BPF_DW, R10, R0, -8),	/* a tuple: 8 bytes */
		LD_MAP(R1, 0), STACK_PTR(R2, -8),
		CALL(BPF_FUNC_map_lookup_elem),
		JMP_IMM(BPF_JEQ, R0, 0, 4),
		MOV64_IMM(R1, 1), XADD64(R0, R1, 0),
		MOV64_IMM(R0, 0), EXIT(),
		ST(BPF_DW, R10, -16, 1),
		LD_MAP(R1, 0), STACK_PTR(R2, -8), STACK_PTR(R3, -16),
		MOV64_IMM(R4, BPF_NOEXIST), CALL(BPF_FUNC_map_update_elem),
		MOV64_IMM(R0, 0), EXIT(),
	};
	struct probe_prog p = PERF_PROG("profile:99hz", prog, 99, 1, -1);
	struct mapsym *maps[1];
	struct rt_spec spec = { .progs = &p, .nprogs = 1, .maps = maps,
				.nmaps = 1 };
	struct capture c;
	struct runtime *rt;
	void *keys = NULL, *vals = NULL;
	size_t n = 0, i;
	uint64_t total = 0;
	int fds = fd_count(), in_time;
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	maps[0] = mapsym("@cpu", 0, tuple(1, &type_u32, NULL, NULL),
			 &type_u64);
	maps[0]->is_agg = 0;
	/* An idle CPU takes no samples: keep each one busy. */
	rt = run_spec(&spec, &c, "timeout 0.2 sh -c 'while :; do :; done' & "
		      "timeout 0.2 sh -c 'while :; do :; done'; wait");
	CHECK(runtime__map_read(rt, 0, &keys, &vals, &n) == 0);
	for (i = 0; i < n; i++)
		total += u64_at(vals, i);
	in_time = total > 0 && (long)n == online; /* every CPU took samples */
	if (!in_time)
		fprintf(stderr, "  profile: %llu samples on %zu of %ld CPUs%s\n",
			(unsigned long long)total, n, online,
			last ? "" : ", trying again");
	if (in_time || last)
		CHECK(in_time);
	free(keys);
	free(vals);
	runtime__free(rt);
	capture_close(&c);
	CHECK_STR(c.err, "");
	CHECK(fd_count() == fds);
	capture_free(&c);
	return in_time;
}

static void test_profile(void)
{
	int try;

	for (try = 1; try <= TIMING_TRIES; try++)
		if (profile_run(try == TIMING_TRIES))
			break;
}

/* A quantize()-sized (528 bytes) per-CPU value, more than the BPF stack
 * holds, starts from the zero map; each pinned thread of the command
 * counts in its CPU's bucket and in the last; the read sums them. */
static void test_zero_map(void)
{
	struct bpf_insn tp[] = {
		CALL(BPF_FUNC_get_current_pid_tgid),		/* 0 */
		MOV64_REG(R6, R0), MOV64_REG(R7, R0),
		ALU64_IMM(BPF_RSH, R7, 32),
		JMP_IMM(BPF_JNE, R7, 0, 40),			/* 4: pid */
		ALU64_IMM(BPF_LSH, R6, 32), ALU64_IMM(BPF_RSH, R6, 32),
		JMP_IMM(BPF_JEQ, R6, 0, 37),			/* 7: pid */
		ST(BPF_DW, R10, -8, 1),				/* 8 */
		LD_MAP(R1, 0), STACK_PTR(R2, -8),
		CALL(BPF_FUNC_map_lookup_elem),			/* 13 */
		JMP_IMM(BPF_JNE, R0, 0, 20),
		ST(BPF_W, R10, -12, 0),				/* 15 */
		LD_MAP(R1, MAP_IDX_ZERO), STACK_PTR(R2, -12),
		CALL(BPF_FUNC_map_lookup_elem),			/* 20 */
		JMP_IMM(BPF_JEQ, R0, 0, 23),
		MOV64_REG(R3, R0),				/* 22 */
		LD_MAP(R1, 0), STACK_PTR(R2, -8),
		MOV64_IMM(R4, BPF_NOEXIST),
		CALL(BPF_FUNC_map_update_elem),			/* 28 */
		LD_MAP(R1, 0), STACK_PTR(R2, -8),
		CALL(BPF_FUNC_map_lookup_elem),			/* 33 */
		JMP_IMM(BPF_JEQ, R0, 0, 10),
		MOV64_REG(R6, R0),				/* 35 */
		CALL(BPF_FUNC_get_smp_processor_id),
		JMP_IMM(BPF_JGT, R0, 1, 7),
		ALU64_IMM(BPF_LSH, R0, 3),			/* 38 */
		MOV64_REG(R1, R6), ALU64_REG(BPF_ADD, R1, R0),
		MOV64_IMM(R2, 1), XADD64(R1, R2, 16),		/* bucket 2+cpu */
		MOV64_IMM(R2, 1), XADD64(R6, R2, 520),		/* bucket 65 */
		MOV64_IMM(R0, 0), EXIT(),			/* 45 */
	};
	struct probe_prog prog = TP_GETPPID(tp);
	struct mapsym *maps[1];
	struct rt_spec spec = { .progs = &prog, .nprogs = 1, .maps = maps,
				.nmaps = 1 };
	struct capture c;
	struct runtime *rt;
	void *keys = NULL, *vals = NULL;
	size_t n = 0, i, bad = 0;
	char cmd[4200];
	int fds = fd_count();
	pid_t pid;

	CHECK(ARRAY_SIZE(tp) == 47);
	maps[0] = mapsym("@q", 0, tuple(1, &type_u64, NULL, NULL),
			 type_array(ar, &type_u64, QUANTIZE_BUCKETS));
	maps[0]->agg = AGG_QUANTIZE;
	CHECK(maps[0]->vtype->size == 528);
	capture_open(&c);
	rt = runtime__new(&spec, &c.opts);
	snprintf(cmd, sizeof(cmd), "exec '%s' --child-getppid", self);
	CHECK(runtime__spawn(rt, cmd) == 0);
	pid = runtime__child(rt);
	tp[4].imm = pid;
	tp[7].imm = pid;
	CHECK(runtime__load(rt) == 0 && runtime__attach(rt) == 0);
	CHECK(runtime__start(rt) == 0);
	CHECK(runtime__loop(rt) == 0);
	CHECK(runtime__finish(rt) == 0);
	CHECK(runtime__map_read(rt, 0, &keys, &vals, &n) == 0);
	CHECK(n == 1);
	if (n == 1) {
		CHECK(u64_at(keys, 0) == 1);
		CHECK(u64_at(vals, 2) == NCALLS / 2);
		CHECK(u64_at(vals, 3) == NCALLS / 2);
		CHECK(u64_at(vals, 65) == NCALLS);
		for (i = 0; i < QUANTIZE_BUCKETS; i++)
			bad += i != 2 && i != 3 && i != 65 && u64_at(vals, i);
		CHECK(bad == 0);
	}
	free(keys);
	free(vals);
	runtime__free(rt);
	capture_close(&c);
	CHECK_STR(c.err, "");
	CHECK(fd_count() == fds);
	capture_free(&c);
}

/* The zero map stays zero: the verifier refuses a program writing it. */
static void test_zero_map_readonly(void)
{
	struct bpf_insn begin[] = {
		ST(BPF_W, R10, -4, 0),
		LD_MAP(R1, MAP_IDX_ZERO), STACK_PTR(R2, -4),
		CALL(BPF_FUNC_map_lookup_elem),
		JMP_IMM(BPF_JEQ, R0, 0, 1),
		ST(BPF_DW, R0, 0, 1),
		MOV64_IMM(R0, 0), EXIT(),
	};
	struct probe_prog prog = BEGIN_PROG(begin);
	struct rt_spec spec = { .progs = &prog, .nprogs = 1 };
	struct capture c;
	struct runtime *rt;
	int fds = fd_count();

	capture_open(&c);
	rt = runtime__new(&spec, &c.opts);
	CHECK(runtime__load(rt) == -EACCES);
	runtime__free(rt);
	capture_close(&c);
	CHECK(strstr(c.err, "ply: probe 'BEGIN': the kernel refused the "
		      "program") != NULL);
	CHECK(strstr(c.err, "write into map forbidden") != NULL);
	CHECK(fd_count() == fds);
	capture_free(&c);
}

/* A perf event the kernel refuses is explained, with its CPU. */
static void test_perf_refused(int cpu, uint64_t period, int freq,
			      const char *want)
{
	struct bpf_insn prog[] = { MOV64_IMM(R0, 0), EXIT() };
	struct probe_prog p = PERF_PROG("profile:x", prog, period, freq, cpu);
	struct rt_spec spec = { .progs = &p, .nprogs = 1 };
	struct capture c;
	struct runtime *rt;
	int fds = fd_count();

	capture_open(&c);
	rt = runtime__new(&spec, &c.opts);
	CHECK(runtime__load(rt) == 0);
	CHECK(runtime__attach(rt) < 0);
	runtime__free(rt);
	capture_close(&c);
	CHECK_STR(c.err, want);
	CHECK(fd_count() == fds);
	capture_free(&c);
}

static void test_perf_too_fast(void)
{
	char want[256], rate[32] = "";
	FILE *f = fopen("/proc/sys/kernel/perf_event_max_sample_rate", "r");

	CHECK(f && fgets(rate, sizeof(rate), f));
	if (f)
		fclose(f);
	rate[strcspn(rate, "\n")] = '\0';
	snprintf(want, sizeof(want), "ply: probe 'profile:x': failed to open "
		 "a perf event on CPU 0: 100000000 Hz is more than "
		 "kernel.perf_event_max_sample_rate (%s)\n", rate);
	test_perf_refused(0, 100000000, 1, want);
}

/* bpf_get_stackid in a profile program; the id resolves to kernel frames
 * through its output's format context while the runtime lives. */
static void test_stack_map(void)
{
	struct bpf_insn prog[] = {
		MOV64_REG(R6, R1),
		LD_MAP(R2, MAP_IDX_STACK), MOV64_REG(R1, R6),
		MOV64_IMM(R3, 0), CALL(BPF_FUNC_get_stackid),
		JMP_IMM(BPF_JSLT, R0, 0, 10),
		STX(BPF_DW, R10, R0, -16),
		ST(BPF_W, R10, -4, 0),
		LD_MAP(R1, 0), STACK_PTR(R2, -4), STACK_PTR(R3, -16),
		MOV64_IMM(R4, BPF_ANY), CALL(BPF_FUNC_map_update_elem),
		MOV64_IMM(R0, 0), EXIT(),
	};
	struct probe_prog p = PERF_PROG("profile:499hz", prog, 499, 1, -1);
	struct mapsym *maps[1];
	struct rt_spec spec = { .progs = &p, .nprogs = 1, .maps = maps,
				.nmaps = 1, .stack_depth = 32 };
	struct capture c;
	struct runtime *rt;
	struct fmt_ctx *fc;
	uint64_t ips[64] = { 0 };
	int64_t id;
	int fds = fd_count(), n;

	maps[0] = mapsym("__stack", 0, NULL, &type_s64);
	rt = run_spec(&spec, &c, "sleep 0.1");
	id = (int64_t)map_u64(rt, 0);
	fc = &runtime__out(rt)->fmt;
	CHECK(fc->stack_resolve != NULL && fc->stack_ctx == rt);
	n = fc->stack_resolve ? fc->stack_resolve(fc->stack_ctx, id, ips, 64) :
				-1;
	CHECK(n >= 1 && n <= 32);
	CHECK(n >= 1 && ips[0] >= KERNEL_ADDR && ips[n - 1] >= KERNEL_ADDR);
	CHECK(!fc->stack_resolve || fc->stack_resolve(fc->stack_ctx, id, ips,
						      1) == 1);
	CHECK(!fc->stack_resolve ||
	      fc->stack_resolve(fc->stack_ctx, -EFAULT, ips, 64) == -EFAULT);
	runtime__free(rt);
	capture_close(&c);
	CHECK_STR(c.err, "");
	CHECK(fd_count() == fds);
	capture_free(&c);
}

/* A program using stacks needs a stack map; one deeper than the kernel
 * keeps is refused in words. */
static void test_stack_map_refused(uint32_t depth, const char *want)
{
	struct bpf_insn prog[] = {
		LD_MAP(R2, MAP_IDX_STACK), MOV64_IMM(R3, 0),
		CALL(BPF_FUNC_get_stackid), MOV64_IMM(R0, 0), EXIT(),
	};
	struct probe_prog p = PERF_PROG("profile:99hz", prog, 99, 1, -1);
	struct rt_spec spec = { .progs = &p, .nprogs = 1,
				.stack_depth = depth };
	struct capture c;
	struct runtime *rt;
	int fds = fd_count();

	capture_open(&c);
	rt = runtime__new(&spec, &c.opts);
	CHECK(runtime__load(rt) < 0);
	runtime__free(rt);
	capture_close(&c);
	CHECK(strstr(c.err, want) != NULL);
	if (!strstr(c.err, want))
		fprintf(stderr, "  got: %s", c.err);
	CHECK(fd_count() == fds);
	capture_free(&c);
}

#define RB_OUT(off, size)						\
	LD_MAP(R1, MAP_IDX_RINGBUF), STACK_PTR(R2, off),		\
	MOV64_IMM(R3, size), MOV64_IMM(R4, 0),				\
	CALL(BPF_FUNC_ringbuf_output)

/* print(@m) and clear(@m) take effect in order with printf. */
static void test_print_clear(void)
{
	struct bpf_insn begin[] = {
		ST(BPF_DW, R10, -8, 1), ST(BPF_DW, R10, -16, 10),
		LD_MAP(R1, 0), STACK_PTR(R2, -8), STACK_PTR(R3, -16),
		MOV64_IMM(R4, BPF_ANY), CALL(BPF_FUNC_map_update_elem),
		ST(BPF_DW, R10, -8, 2), ST(BPF_DW, R10, -16, 20),
		LD_MAP(R1, 0), STACK_PTR(R2, -8), STACK_PTR(R3, -16),
		MOV64_IMM(R4, BPF_ANY), CALL(BPF_FUNC_map_update_elem),
		ST(BPF_DW, R10, -16, 0), ST(BPF_DW, R10, -8, 42),
		RB_OUT(-16, 16),
		ST(BPF_DW, R10, -8, 3), RB_OUT(-8, 8),		/* print(@m) */
		ST(BPF_DW, R10, -16, 0), ST(BPF_DW, R10, -8, 43),
		RB_OUT(-16, 16),
		ST(BPF_DW, R10, -8, 4), RB_OUT(-8, 8),		/* clear(@m) */
		ST(BPF_DW, R10, -16, 0), ST(BPF_DW, R10, -8, 44),
		RB_OUT(-16, 16),
		ST(BPF_DW, R10, -8, 3), RB_OUT(-8, 8),		/* print(@m) */
		ST(BPF_DW, R10, -8, 5), RB_OUT(-8, 8),		/* no such map */
		MOV64_IMM(R0, 0), EXIT(),
	};
	struct probe_prog prog = BEGIN_PROG(begin);
	struct evsite *sites[6];
	struct mapsym *maps[1];
	struct rt_spec spec = { .progs = &prog, .nprogs = 1, .maps = maps,
				.nmaps = 1, .sites = sites, .nsites = 6 };
	struct capture c;
	struct runtime *rt;
	void *keys = NULL, *vals = NULL;
	size_t n = 1;
	int fds = fd_count();

	memcpy(sites, ev_sites, 3 * sizeof(*sites));
	sites[3] = site(3, EV_PRINTMAP, NULL, NULL);
	sites[3]->map = 0;
	sites[4] = site(4, EV_CLEAR, NULL, tuple(1, &type_u64, NULL, NULL));
	sites[4]->map = 0;
	sites[5] = site(5, EV_PRINTMAP, NULL, NULL);
	sites[5]->map = 7;
	maps[0] = mapsym("@m", 0, tuple(1, &type_u64, NULL, NULL), &type_u64);
	rt = run_spec(&spec, &c, NULL);
	CHECK(runtime__map_read(rt, 0, &keys, &vals, &n) == 0 && n == 0);
	free(keys);
	free(vals);
	runtime__free(rt);
	capture_close(&c);
	CHECK_STR(c.out, "hello 42\n@m:\n{ 1 }: 10\n{ 2 }: 20\n\nhello 43\n"
		  "hello 44\n@m:\n\n@m:\n\n");
	CHECK_STR(c.err, "ply: warning: event of site 5 names map 7, which "
		  "does not exist\n");
	CHECK(fd_count() == fds);
	capture_free(&c);
}

/* Maps default to spec.map_size entries unless they set theirs; clear()
 * empties a map of many keys. */
static void test_map_size_clear(void)
{
	struct bpf_insn begin[] = {
		MOV64_IMM(R6, 0), MOV64_IMM(R7, 0),
		STX(BPF_DW, R10, R6, -8), STX(BPF_DW, R10, R6, -16), /* 2 */
		LD_MAP(R1, 0), STACK_PTR(R2, -8), STACK_PTR(R3, -16),
		MOV64_IMM(R4, BPF_ANY), CALL(BPF_FUNC_map_update_elem),
		JMP_IMM(BPF_JNE, R0, 0, 1),
		ALU64_IMM(BPF_ADD, R7, 1),
		LD_MAP(R1, 1), STACK_PTR(R2, -8), STACK_PTR(R3, -16),
		MOV64_IMM(R4, BPF_ANY), CALL(BPF_FUNC_map_update_elem),
		ALU64_IMM(BPF_ADD, R6, 1),
		JMP_IMM(BPF_JLT, R6, 300, -22),			/* 23 */
		ST(BPF_DW, R10, -16, 0), STX(BPF_DW, R10, R7, -8),
		RB_OUT(-16, 16),				/* 300 -> 200 */
		ST(BPF_DW, R10, -8, 1), RB_OUT(-8, 8),		/* clear */
		MOV64_IMM(R0, 0), EXIT(),
	};
	struct probe_prog prog = BEGIN_PROG(begin);
	struct evsite *sites[2];
	struct mapsym *maps[2];
	struct rt_spec spec = { .progs = &prog, .nprogs = 1, .maps = maps,
				.nmaps = 2, .sites = sites, .nsites = 2,
				.map_size = 200 };
	struct capture c;
	struct runtime *rt;
	void *keys = NULL, *vals = NULL;
	size_t n = 1;
	int fds = fd_count();

	sites[0] = ev_sites[0];
	sites[1] = site(1, EV_CLEAR, NULL, NULL);
	sites[1]->map = 0;
	maps[0] = mapsym("@big", 0, tuple(1, &type_u64, NULL, NULL),
			 &type_u64);
	maps[1] = mapsym("__own", 1, tuple(1, &type_u64, NULL, NULL),
			 &type_u64);
	maps[0]->is_agg = maps[1]->is_agg = 0;
	maps[1]->max_entries = 250;
	rt = run_spec(&spec, &c, NULL);
	CHECK(runtime__map_read(rt, 0, &keys, &vals, &n) == 0 && n == 0);
	free(keys);
	free(vals);
	CHECK(runtime__map_read(rt, 1, &keys, &vals, &n) == 0 && n == 250);
	free(keys);
	free(vals);
	runtime__free(rt);
	capture_close(&c);
	CHECK_STR(c.out, "hello 200\n@big:\n\n");
	CHECK_STR(c.err, "");
	CHECK(fd_count() == fds);
	capture_free(&c);
}

/* ---- kprobes: refused here in words; real ones where the PMU is ---- */

static int kprobe_run(const char *name, int retprobe,
		      struct kprobe_target *k, size_t nk, const char *want_err,
		      uint64_t *count)
{
	struct bpf_insn prog[] = { COUNT_INSNS(0) };
	struct probe_prog p = PROG(name, provider_find(retprobe ? "kretprobe" :
							       "kprobe"),
				   kprobe_pdata(ar, k, nk), prog);
	struct mapsym *maps[1];
	struct rt_spec spec = { .progs = &p, .nprogs = 1, .maps = maps,
				.nmaps = 1 };
	struct capture c;
	struct runtime *rt;
	int fds = fd_count(), err;

	maps[0] = mapsym("@n", 0, NULL, &type_u64);
	maps[0]->is_agg = 0;
	capture_open(&c);
	rt = runtime__new(&spec, &c.opts);
	CHECK(runtime__spawn(rt, "cat /dev/null") == 0);
	CHECK(runtime__load(rt) == 0);
	err = runtime__attach(rt);
	if (!err) {
		CHECK(runtime__start(rt) == 0);
		CHECK(runtime__loop(rt) == 0);
		CHECK(runtime__finish(rt) == 0);
		*count = map_u64(rt, 0);
	}
	runtime__free(rt);
	capture_close(&c);
	CHECK_STR(c.err, want_err);
	CHECK(fd_count() == fds);
	capture_free(&c);
	return err;
}

/* Up to max kernel text symbols starting with prefix, as a glob would
 * list them. */
static size_t ksyms_like(const char *prefix, struct kprobe_target *k,
			 size_t max)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], type, name[256];
	unsigned long long addr;
	size_t n = 0;

	while (f && n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3 &&
		    (type == 't' || type == 'T') && !strchr(name, '.') &&
		    !strncmp(name, prefix, strlen(prefix)))
			k[n++].sym = arena_strdup(ar, name);
	if (f)
		fclose(f);
	return n;
}

/* Many targets at once: how long attaching and detaching them take (the
 * kernel waits out an RCU grace period per kprobe it removes). */
static void kprobe_many(void)
{
	static struct kprobe_target k[40];
	struct bpf_insn prog[] = { COUNT_INSNS(0) };
	struct probe_prog p = PROG("kprobe:vfs_*", provider_find("kprobe"), NULL,
				   prog);
	struct mapsym *maps[1];
	struct rt_spec spec = { .progs = &p, .nprogs = 1, .maps = maps,
				.nmaps = 1 };
	struct timespec t0;
	struct capture c;
	struct runtime *rt;
	double load_ms, attach_ms;
	int fds = fd_count();
	size_t nk = ksyms_like("vfs_", k, ARRAY_SIZE(k));

	p.pdata = kprobe_pdata(ar, k, nk);
	CHECK(nk > 10);
	maps[0] = mapsym("@n", 0, NULL, &type_u64);
	maps[0]->is_agg = 0;
	capture_open(&c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rt = runtime__new(&spec, &c.opts);
	CHECK(runtime__load(rt) == 0);
	load_ms = ms_since(&t0);
	CHECK(runtime__attach(rt) == 0);
	attach_ms = ms_since(&t0) - load_ms;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(runtime__finish(rt) == 0);
	runtime__free(rt);
	capture_close(&c);
	fprintf(stderr, "  %zu kprobes: attached in %.0f ms, detached in "
		"%.0f ms\n", nk, attach_ms, ms_since(&t0));
	CHECK(c.err[0] == '\0' ||
	      !strncmp(c.err, "ply: warning: probe 'kprobe:vfs_*': ", 36));
	if (c.err[0])
		fprintf(stderr, "  %s", c.err);
	CHECK(fd_count() == fds);
	capture_free(&c);
}

static void test_kprobe(void)
{
	struct kprobe_target one[] = { { .sym = "do_sys_openat2" } };
	struct kprobe_target some[] = { { .sym = "do_sys_openat2" },
				    { .sym = "ply_no_such_function" } };
	struct kprobe_target none[] = { { .sym = "ply_no_such_function" },
				    { .sym = "ply_no_such_function_2" } };
	uint64_t n = 0;
	struct timespec t0;

	if (access("/sys/bus/event_source/devices/kprobe", F_OK)) {
		CHECK(kprobe_run("kprobe:do_sys_openat2", 0, one, 1,
				 "ply: probe 'kprobe:do_sys_openat2': this "
				 "kernel has no kprobes (CONFIG_KPROBES is not "
				 "set)\n", &n) == -EOPNOTSUPP);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(kprobe_run("kprobe:do_sys_openat2", 0, one, 1, "", &n) == 0);
	CHECK(n >= 1);
	fprintf(stderr, "  kprobe session: %.0f ms\n", ms_since(&t0));
	n = 0;
	CHECK(kprobe_run("kretprobe:do_sys_openat2", 1, one, 1, "", &n) == 0);
	CHECK(n >= 1);
	n = 0;
	CHECK(kprobe_run("kprobe:glob", 0, some, 2,
			 "ply: warning: probe 'kprobe:glob': 1 of 2 targets not "
			 "attached (first: ply_no_such_function: no such "
			 "function)\n", &n) == 0);
	CHECK(n >= 1);
	CHECK(kprobe_run("kprobe:ply_no_such_function", 0, none, 1,
			 "ply: probe 'kprobe:ply_no_such_function': cannot "
			 "attach to ply_no_such_function: no such function\n",
			 &n) == -ENOENT);
	CHECK(kprobe_run("kprobe:glob", 0, none, 2,
			 "ply: probe 'kprobe:glob': cannot attach to any of its "
			 "2 targets (first: ply_no_such_function: no such "
			 "function)\n", &n) == -ENOENT);
	kprobe_many();
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

	test_command_argv();
	test_tracepoint_count();
	test_events(0);
	test_events(1);
	test_exit_from_probe();
	test_loop_stops("exit 3", 0);
	test_loop_stops("sleep 10", 1);
	test_refused();
	test_no_tracepoint();
	test_stats();
	test_never_started();
	test_interval(0);
	test_interval(1);
	test_interval(2);
	test_profile();
	test_zero_map();
	test_zero_map_readonly();
	test_perf_refused(4095, 1000000, 0, "ply: probe 'profile:x': failed to "
			  "open a perf event on CPU 4095: no such CPU, or it is "
			  "offline\n");
	test_perf_refused(-1, 0, 1, "ply: probe 'profile:x': no period or "
			  "frequency\n");
	test_perf_too_fast();
	test_stack_map();
	test_stack_map_refused(0, "ply: probe 'profile:99hz': uses stacks, but "
			       "there is no stack map (stack depth 0)\n");
	test_stack_map_refused(100000, "ply: stacks of 100000 frames are more "
			       "than this kernel keeps");
	test_print_clear();
	test_map_size_clear();
	test_kprobe();

	arena__free(ar);
	return test_report("runtime");
}
