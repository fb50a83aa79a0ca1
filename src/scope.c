/* scope: which processes the probes run for (-p, -n, -c with -F,
 * --cgroup), decided in the kernel. Every probe of a PROV_TASK provider
 * first looks the current tgid up in one map (MAP_IDX_SCOPE; see gen.c);
 * this file makes that map and keeps it true with three small programs of
 * its own, built here instruction by instruction and never shown as the
 * user's probes:
 *
 *	task/task_newtask	a new process (not a thread: threads are
 *				their process's) whose creator is in the
 *				scope (-F), or whose comm is a -n name, joins
 *	sched/sched_process_exec	a process that execs into a -n name joins
 *	sched/sched_process_exit	a process whose last thread exits leaves
 *				(so a reused pid is never traced by mistake;
 *				the tracepoint's group_dead says which is the
 *				last, or on older kernels, the count of live
 *				threads read through the kernel's BTF);
 *				with -p or -c -F, the loop is told, and ply
 *				stops once the scope is empty
 *
 * They are attached before the scope is seeded from /proc, so a process
 * forked meanwhile is either seen by the scan or caught by the program.
 * An update the map has no room for is counted and reported. With
 * --cgroup the map is a CGROUP_ARRAY and the kernel answers alone. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <linux/perf_event.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "btf.h"
#include "rt.h"
#include "sysroot.h"

#define COMM_LEN	16
#define SCOPE_CLONE_THREAD	0x00010000	/* <sched.h>'s CLONE_THREAD */

enum { TRK_FORK, TRK_EXEC, TRK_EXIT, TRK_NUM };

static const char *const trk_tp[TRK_NUM] = {
	"task/task_newtask", "sched/sched_process_exec",
	"sched/sched_process_exit",
};

struct scope {
	const struct rt_scope *spec;
	enum prog_scope kind;
	int map_fd;		/* MAP_IDX_SCOPE */
	int names_fd;		/* -n: HASH of comm -> u32 */
	int rb_fd;		/* the exit program's word that one left */
	struct ring_buffer *rb;
	int cg_fd;		/* --cgroup: the directory */
	int prog_fds[TRK_NUM];
	int perf_fds[TRK_NUM];
	uint64_t seed_full;	/* processes the seed had no room for */
};

/* ---- the tracking programs ---- */

/* A program being written: instructions, and jumps to labels resolved at
 * the end. */
#define TRK_MAX 64
struct trk {
	struct bpf_insn v[TRK_MAX];
	int n;
	int label[4];		/* where each label is */
	int jump_label[TRK_MAX];	/* -1, or the label insn i jumps to */
};

enum { L_OUT, L_ADD, L_KEY };

static void emit(struct trk *t, struct bpf_insn in)
{
	if (t->n >= TRK_MAX)
		unreachable();
	t->jump_label[t->n] = -1;
	t->v[t->n++] = in;
}

static struct bpf_insn insn(uint8_t code, int dst, int src, int16_t off,
			    int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst,
				  .src_reg = src, .off = off, .imm = imm };
}

#define MOV_REG(d, s)	insn(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_IMM(d, i)	insn(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ALU_IMM(op, d, i) insn(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define LDX(sz, d, s, o) insn(BPF_LDX | (sz) | BPF_MEM, d, s, o, 0)
#define STX(sz, d, s, o) insn(BPF_STX | (sz) | BPF_MEM, d, s, o, 0)
#define ST(sz, d, o, i)	insn(BPF_ST | (sz) | BPF_MEM, d, 0, o, i)
#define CALL(f)		insn(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT()		insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static void jmp(struct trk *t, int op, int reg, int32_t imm, int label)
{
	emit(t, insn(BPF_JMP | op | BPF_K, reg, 0, 0, imm));
	t->jump_label[t->n - 1] = label;
}

static void place(struct trk *t, int label)
{
	t->label[label] = t->n;
}

static void ld_map(struct trk *t, int reg, int fd)
{
	emit(t, insn(BPF_LD | BPF_DW | BPF_IMM, reg, BPF_PSEUDO_MAP_FD, 0, fd));
	emit(t, insn(0, 0, 0, 0, 0));
}

static void resolve(struct trk *t)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (t->jump_label[i] >= 0)
			t->v[i].off = t->label[t->jump_label[i]] - i - 1;
}

/* fp-8 (u64) = the current tgid: the scope map's key. */
static void key_tgid(struct trk *t)
{
	emit(t, CALL(BPF_FUNC_get_current_pid_tgid));
	emit(t, ALU_IMM(BPF_RSH, BPF_REG_0, 32));
	emit(t, STX(BPF_DW, BPF_REG_10, BPF_REG_0, -8));
}

/* if (map[fp+off]) goto label */
static void lookup_goto(struct trk *t, int fd, int off, int label)
{
	ld_map(t, BPF_REG_1, fd);
	emit(t, MOV_REG(BPF_REG_2, BPF_REG_10));
	emit(t, ALU_IMM(BPF_ADD, BPF_REG_2, off));
	emit(t, CALL(BPF_FUNC_map_lookup_elem));
	jmp(t, BPF_JNE, BPF_REG_0, 0, label);
}

/* Is the current comm a -n name: goto label. The key is zeroed first:
 * some kernels (6.1) copy the comm without padding it. */
static void comm_goto(struct trk *t, const struct scope *s, int label)
{
	emit(t, ST(BPF_DW, BPF_REG_10, -24, 0));
	emit(t, ST(BPF_DW, BPF_REG_10, -16, 0));
	emit(t, MOV_REG(BPF_REG_1, BPF_REG_10));
	emit(t, ALU_IMM(BPF_ADD, BPF_REG_1, -24));
	emit(t, MOV_IMM(BPF_REG_2, COMM_LEN));
	emit(t, CALL(BPF_FUNC_get_current_comm));
	lookup_goto(t, s->names_fd, -24, label);
}

/* L_ADD: scope[fp-8] = 1 unless it is there; room lacking is counted in
 * the stats map. Then L_OUT: return 0. */
static void add_and_out(struct trk *t, const struct runtime *rt,
			const struct scope *s)
{
	place(t, L_ADD);
	emit(t, ST(BPF_W, BPF_REG_10, -16, 1));
	ld_map(t, BPF_REG_1, s->map_fd);
	emit(t, MOV_REG(BPF_REG_2, BPF_REG_10));
	emit(t, ALU_IMM(BPF_ADD, BPF_REG_2, -8));
	emit(t, MOV_REG(BPF_REG_3, BPF_REG_10));
	emit(t, ALU_IMM(BPF_ADD, BPF_REG_3, -16));
	emit(t, MOV_IMM(BPF_REG_4, BPF_NOEXIST));
	emit(t, CALL(BPF_FUNC_map_update_elem));
	jmp(t, BPF_JNE, BPF_REG_0, -E2BIG, L_OUT);
	emit(t, ST(BPF_W, BPF_REG_10, -16, stat_scope_slot(&rt->spec)));
	ld_map(t, BPF_REG_1, rt->stats_fd);
	emit(t, MOV_REG(BPF_REG_2, BPF_REG_10));
	emit(t, ALU_IMM(BPF_ADD, BPF_REG_2, -16));
	emit(t, CALL(BPF_FUNC_map_lookup_elem));
	jmp(t, BPF_JEQ, BPF_REG_0, 0, L_OUT);
	emit(t, MOV_IMM(BPF_REG_1, 1));
	emit(t, insn(BPF_STX | BPF_DW | BPF_ATOMIC, BPF_REG_0, BPF_REG_1, 0,
		     BPF_ADD));
	place(t, L_OUT);
	emit(t, MOV_IMM(BPF_REG_0, 0));
	emit(t, EXIT());
}

/* task_newtask(pid, comm, clone_flags): a process, not a thread, made by
 * one in the scope (-F) or named as -n says, joins. */
static void trk_fork(struct trk *t, const struct runtime *rt,
		     const struct scope *s, int pid_off, int flags_off)
{
	emit(t, MOV_REG(BPF_REG_6, BPF_REG_1));
	emit(t, LDX(BPF_DW, BPF_REG_2, BPF_REG_6, flags_off));
	emit(t, ALU_IMM(BPF_AND, BPF_REG_2, SCOPE_CLONE_THREAD));
	jmp(t, BPF_JNE, BPF_REG_2, 0, L_OUT);
	if (s->spec->follow) {
		key_tgid(t);
		lookup_goto(t, s->map_fd, -8, L_KEY);
	}
	if (s->names_fd >= 0)
		comm_goto(t, s, L_KEY);
	emit(t, MOV_IMM(BPF_REG_0, 0));
	emit(t, EXIT());
	/* the key: the new process's pid, which is its tgid */
	place(t, L_KEY);
	emit(t, LDX(BPF_W, BPF_REG_2, BPF_REG_6, pid_off));
	emit(t, STX(BPF_DW, BPF_REG_10, BPF_REG_2, -8));
	add_and_out(t, rt, s);
}

/* sched_process_exec: a process that execs into a -n name joins. */
static void trk_exec(struct trk *t, const struct runtime *rt,
		     const struct scope *s)
{
	comm_goto(t, s, L_KEY);
	emit(t, MOV_IMM(BPF_REG_0, 0));
	emit(t, EXIT());
	place(t, L_KEY);
	key_tgid(t);
	add_and_out(t, rt, s);
}

/* Where task_struct's signal and signal_struct's live.counter are, from
 * the kernel's BTF: -1 when it has none or they are not there. */
struct live_offs {
	int signal;
	int live;
};

static void live_offs_find(struct live_offs *lo)
{
	struct arena *a = arena__new();
	struct kbtf *k = a ? kbtf__new(a, NULL) : NULL;
	const char *why;

	lo->signal = lo->live = -1;
	/* live is an atomic_t: its counter first */
	if (k && !kbtf_load(k, &why) &&
	    (kbtf_offsetof(k, "signal_struct", "live", &lo->live) ||
	     kbtf_offsetof(k, "task_struct", "signal", &lo->signal)))
		lo->signal = lo->live = -1;
	kbtf__free(k);
	arena__free(a);
}

/* fp-16 = size bytes of kernel memory at reg + off; if they can't be
 * read, goto L_OUT. */
static void read_at(struct trk *t, int reg, int off, int size)
{
	emit(t, MOV_REG(BPF_REG_3, reg));
	emit(t, ALU_IMM(BPF_ADD, BPF_REG_3, off));
	emit(t, MOV_REG(BPF_REG_1, BPF_REG_10));
	emit(t, ALU_IMM(BPF_ADD, BPF_REG_1, -16));
	emit(t, MOV_IMM(BPF_REG_2, size));
	emit(t, CALL(BPF_FUNC_probe_read_kernel));
	jmp(t, BPF_JNE, BPF_REG_0, 0, L_OUT);
}

/* sched_process_exit: the process leaves with its last thread. The
 * kernel says so in group_dead (6.16 on); before it, the exiting thread
 * has already counted itself out of task->signal->live, so 0 there is the
 * last (two threads ending at once may both read 0: the second delete
 * finds nothing, and says nothing); a kernel without either (no BTF),
 * with its main thread. With -p or -c -F, tell the loop. */
static void trk_exit(struct trk *t, const struct scope *s, int gd_off,
		     const struct live_offs *lo, int stop)
{
	if (gd_off >= 0) {
		emit(t, LDX(BPF_B, BPF_REG_2, BPF_REG_1, gd_off));
		jmp(t, BPF_JEQ, BPF_REG_2, 0, L_OUT);
	} else if (lo->signal >= 0) {
		/* fp-16 = task->signal, then its live.counter */
		emit(t, CALL(BPF_FUNC_get_current_task));
		read_at(t, BPF_REG_0, lo->signal, 8);
		emit(t, LDX(BPF_DW, BPF_REG_0, BPF_REG_10, -16));
		read_at(t, BPF_REG_0, lo->live, 4);
		emit(t, LDX(BPF_W, BPF_REG_2, BPF_REG_10, -16));
		jmp(t, BPF_JNE, BPF_REG_2, 0, L_OUT);
	} else {
		emit(t, CALL(BPF_FUNC_get_current_pid_tgid));
		emit(t, MOV_REG(BPF_REG_2, BPF_REG_0));
		emit(t, ALU_IMM(BPF_LSH, BPF_REG_2, 32));
		emit(t, ALU_IMM(BPF_RSH, BPF_REG_2, 32));
		emit(t, ALU_IMM(BPF_RSH, BPF_REG_0, 32));
		emit(t, insn(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_0, BPF_REG_2,
			     0, 0));
		t->jump_label[t->n - 1] = L_OUT;
	}
	key_tgid(t);
	ld_map(t, BPF_REG_1, s->map_fd);
	emit(t, MOV_REG(BPF_REG_2, BPF_REG_10));
	emit(t, ALU_IMM(BPF_ADD, BPF_REG_2, -8));
	emit(t, CALL(BPF_FUNC_map_delete_elem));
	if (stop) {
		jmp(t, BPF_JNE, BPF_REG_0, 0, L_OUT);
		ld_map(t, BPF_REG_1, s->rb_fd);
		emit(t, MOV_REG(BPF_REG_2, BPF_REG_10));
		emit(t, ALU_IMM(BPF_ADD, BPF_REG_2, -8));
		emit(t, MOV_IMM(BPF_REG_3, 8));
		emit(t, MOV_IMM(BPF_REG_4, 0));
		emit(t, CALL(BPF_FUNC_ringbuf_output));
	}
	place(t, L_OUT);
	emit(t, MOV_IMM(BPF_REG_0, 0));
	emit(t, EXIT());
}

/* The offset of a tracepoint's field from its format, or -1. */
static int tp_field(const char *tp, const char *decl)
{
	char path[512], line[256];
	const char *dir, *o;
	int e, off = -1;
	FILE *f;

	dir = sysroot_tracefs(&e);
	if (!dir)
		return -1;
	snprintf(path, sizeof(path), "%s/events/%s/format", dir, tp);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (off < 0 && fgets(line, sizeof(line), f))
		if (strstr(line, decl) && (o = strstr(line, "offset:")))
			off = atoi(o + 7);
	fclose(f);
	return off;
}

static int tp_id(const char *tp)
{
	char path[512], buf[32];
	const char *dir;
	int e;

	dir = sysroot_tracefs(&e);
	if (!dir)
		return e ? -e : -ENOENT;
	snprintf(path, sizeof(path), "%s/events/%s/id", dir, tp);
	e = file_line(path, buf, sizeof(buf));
	return e ? e : atoi(buf);
}

static int trk_load(struct runtime *rt, struct scope *s, int which)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	static const char *const names[TRK_NUM] = {
		"ply_scope_fork", "ply_scope_exec", "ply_scope_exit",
	};
	struct trk t = { .n = 0 };
	struct live_offs lo = { -1, -1 };
	int pid_off, flags_off, gd_off;

	switch (which) {
	case TRK_FORK:
		pid_off = tp_field(trk_tp[TRK_FORK], " pid;");
		flags_off = tp_field(trk_tp[TRK_FORK], " clone_flags;");
		if (pid_off < 0 || flags_off < 0)
			return -ENOENT;
		trk_fork(&t, rt, s, pid_off, flags_off);
		break;
	case TRK_EXEC:
		trk_exec(&t, rt, s);
		break;
	default:
		gd_off = tp_field(trk_tp[TRK_EXIT], " group_dead;");
		if (gd_off < 0)
			live_offs_find(&lo);
		trk_exit(&t, s, gd_off, &lo, s->rb_fd >= 0);
		break;
	}
	resolve(&t);
	s->prog_fds[which] = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT,
					   names[which], "GPL", t.v, t.n,
					   &opts);
	return s->prog_fds[which] < 0 ? s->prog_fds[which] : 0;
}

/* ---- the maps ---- */

static int names_fill(struct scope *s)
{
	char key[COMM_LEN];
	uint32_t one = 1;
	size_t i;

	for (i = 0; i < s->spec->nnames; i++) {
		memset(key, 0, sizeof(key));
		strncpy(key, s->spec->names[i], COMM_LEN - 1);
		if (bpf_map_update_elem(s->names_fd, key, &one, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int cgroup_open(struct runtime *rt, struct scope *s)
{
	const char *dir = s->spec->cgroup;
	struct statfs st;
	uint32_t zero = 0;

	s->cg_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->cg_fd < 0 || fstatfs(s->cg_fd, &st)) {
		rt_msg(rt, "--cgroup %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	if (st.f_type != CGROUP2_SUPER_MAGIC) {
		rt_msg(rt, "--cgroup %s: not a cgroup v2 directory\n",
		       dir);
		return -EINVAL;
	}
	s->map_fd = bpf_map_create(BPF_MAP_TYPE_CGROUP_ARRAY, "ply_scope",
				   sizeof(uint32_t), sizeof(uint32_t), 1, NULL);
	if (s->map_fd < 0 ||
	    bpf_map_update_elem(s->map_fd, &zero, &s->cg_fd, BPF_ANY)) {
		rt_msg(rt, "--cgroup %s: failed to make its map: "
		       "%s\n", dir, strerror(errno));
		return -errno;
	}
	return 0;
}

static int maps_make(struct runtime *rt, struct scope *s)
{
	const struct rt_scope *sp = s->spec;

	if (s->kind == SCOPE_CGROUP)
		return cgroup_open(rt, s);
	s->map_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "ply_scope",
				   sizeof(uint32_t), sizeof(uint32_t),
				   default_entries(rt), NULL);
	if (s->map_fd < 0)
		return s->map_fd;
	if (sp->nnames) {
		s->names_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "ply_scope_n",
					     COMM_LEN, sizeof(uint32_t),
					     sp->nnames, NULL);
		if (s->names_fd < 0)
			return s->names_fd;
		if (names_fill(s))
			return -errno;
	}
	if (sp->npids || sp->command) {
		s->rb_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ply_scope_rb",
					  0, 0, 4096, NULL);
		if (s->rb_fd < 0)
			return s->rb_fd;
	}
	return 0;
}

static int scope_new(struct runtime *rt)
{
	const struct rt_scope *sp = rt->spec.scope;
	struct scope *s = calloc(1, sizeof(*s));
	int i;

	if (!s)
		return -ENOMEM;
	s->spec = sp;
	s->kind = sp->cgroup ? SCOPE_CGROUP : SCOPE_PIDS;
	s->map_fd = s->names_fd = s->rb_fd = s->cg_fd = -1;
	for (i = 0; i < TRK_NUM; i++)
		s->prog_fds[i] = s->perf_fds[i] = -1;
	rt->scope = s;
	return 0;
}

static int rb_noop(void *ctx, void *data, size_t size)
{
	return 0;
}

int scope_load(struct runtime *rt)
{
	struct scope *s;
	int err, i;

	if (!rt->spec.scope)
		return 0;
	err = scope_new(rt);
	if (err)
		return err;
	s = rt->scope;
	err = maps_make(rt, s);
	if (err) {
		if (s->kind != SCOPE_CGROUP)	/* that one says why itself */
			rt_msg(rt, "failed to create the scope's "
			       "maps: %s\n", strerror(-err));
		return err;
	}
	if (s->kind == SCOPE_CGROUP)
		return 0;
	for (i = 0; i < TRK_NUM; i++) {
		if ((i == TRK_FORK && !s->spec->follow && s->names_fd < 0) ||
		    (i == TRK_EXEC && s->names_fd < 0))
			continue;
		err = trk_load(rt, s, i);
		if (err) {
			rt_msg(rt, "the scope's program for %s "
			       "could not be loaded: %s\n", trk_tp[i],
			       strerror(-err));
			return err;
		}
	}
	if (s->rb_fd < 0)
		return 0;
	s->rb = ring_buffer__new(s->rb_fd, rb_noop, NULL, NULL);
	err = s->rb ? epoll_add(rt, ring_buffer__epoll_fd(s->rb), TAG_SCOPE) :
		      -errno;
	if (err)
		rt_msg(rt, "failed to watch the scope's exits: %s\n",
		       strerror(-err));
	return err;
}

/* ---- attaching and seeding ---- */

static int trk_attach(struct runtime *rt, struct scope *s, int which)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr),
		.sample_period = 1, .wakeup_events = 1,
	};
	int id = tp_id(trk_tp[which]), fd;

	if (id < 0)
		return id;
	attr.config = id;
	fd = syscall(SYS_perf_event_open, &attr, -1, 0, -1,
		     PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	s->perf_fds[which] = fd;
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, s->prog_fds[which]) ||
	    ioctl(fd, PERF_EVENT_IOC_ENABLE, 0))
		return -errno;
	return 0;
}

static int in_scope(const struct scope *s, uint32_t tgid)
{
	uint32_t v;

	return !bpf_map_lookup_elem(s->map_fd, &tgid, &v);
}

/* Put a process in: 1 if it is new, 0 if it was there, -1 if full. */
static int scope_add(struct scope *s, uint32_t tgid)
{
	uint32_t one = 1;

	if (!bpf_map_update_elem(s->map_fd, &tgid, &one, BPF_NOEXIST))
		return 1;
	return errno == EEXIST ? 0 : -1;
}

/* The process of a live task (its Tgid in /proc/PID/status), or -1 if
 * there is none, or only a zombie that will never exit again. */
static long live_tgid(const char *pid)
{
	char path[300], line[256];
	long v = -1;
	int zombie = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "State:", 6))
			zombie = strchr(line, 'Z') != NULL;
		if (!strncmp(line, "Tgid:", 5))
			v = atol(line + 5);
	}
	fclose(f);
	return zombie ? -1 : v;
}

/* The parent from /proc/PID/stat ("pid (comm) state ppid ..."), the
 * comm too if asked; -1 if gone. */
static long stat_ppid(const char *pid, char comm[COMM_LEN])
{
	char path[300], buf[512], *lp, *rp;
	long ppid = -1;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	lp = strchr(buf, '(');
	rp = strrchr(buf, ')');
	if (!lp || !rp || rp < lp || rp + 4 >= buf + r)
		return -1;
	if (comm) {
		memset(comm, 0, COMM_LEN);
		memcpy(comm, lp + 1, rp - lp - 1 < COMM_LEN - 1 ?
		       rp - lp - 1 : COMM_LEN - 1);
	}
	sscanf(rp + 4, "%ld", &ppid);
	return ppid;
}

static int name_match(const struct scope *s, const char *comm)
{
	size_t i;

	for (i = 0; i < s->spec->nnames; i++)
		if (!strncmp(s->spec->names[i], comm, COMM_LEN - 1))
			return 1;
	return 0;
}

/* One pass over /proc: processes named as -n says, and with -F those
 * whose parent is in the scope. How many joined; *full: how many had no
 * room. */
static int proc_pass(struct scope *s, uint64_t *full)
{
	char comm[COMM_LEN];
	struct dirent *d;
	int added = 0, r;
	long ppid;
	DIR *dir;

	dir = opendir("/proc");
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		uint32_t pid;

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		pid = strtoul(d->d_name, NULL, 10);
		ppid = stat_ppid(d->d_name, comm);
		if (ppid < 0 || in_scope(s, pid))
			continue;
		if ((!s->spec->follow || ppid <= 0 || !in_scope(s, ppid)) &&
		    !name_match(s, comm))
			continue;
		r = scope_add(s, pid);
		added += r > 0;
		*full += r < 0;
	}
	closedir(dir);
	return added;
}

static int roots_add(struct runtime *rt, struct scope *s)
{
	char buf[24];
	long tgid;
	size_t i;

	for (i = 0; i < s->spec->npids; i++) {
		snprintf(buf, sizeof(buf), "%d", (int)s->spec->pids[i]);
		tgid = s->spec->pids[i] > 0 ? live_tgid(buf) : -1;
		if (tgid <= 0) {
			rt_msg(rt, "-p %s: no such process\n", buf);
			return -ESRCH;
		}
		s->seed_full += scope_add(s, tgid) < 0;
	}
	if (s->spec->command && rt->child > 0)
		s->seed_full += scope_add(s, rt->child) < 0;
	return 0;
}

/* The tracking programs first, then what is running now: a process that
 * forks after its parent was seeded is caught in the kernel, and one that
 * forked before shows in the next pass. */
int scope_attach(struct runtime *rt)
{
	struct scope *s = rt->scope;
	uint64_t full;
	int i, err;

	if (!s || s->kind == SCOPE_CGROUP)
		return 0;
	for (i = 0; i < TRK_NUM; i++) {
		if (s->prog_fds[i] < 0)
			continue;
		err = trk_attach(rt, s, i);
		if (err) {
			rt_msg(rt, "the scope's program for %s "
			       "could not be attached: %s\n", trk_tp[i],
			       strerror(-err));
			return err;
		}
	}
	err = roots_add(rt, s);
	if (err)
		return err;
	/* until a pass finds no one new; what did not fit is counted once,
	 * from the last pass */
	if (s->spec->follow || s->names_fd >= 0) {
		do
			full = 0;
		while (proc_pass(s, &full));
		s->seed_full += full;
	}
	scope_event(rt);
	return 0;
}

/* With -p or -c -F, ply stops once no process is left in the scope. */
void scope_event(struct runtime *rt)
{
	struct scope *s = rt->scope;
	uint32_t key;

	if (!s || !s->rb)
		return;
	ring_buffer__consume(s->rb);
	if (bpf_map_get_next_key(s->map_fd, NULL, &key) && errno == ENOENT)
		rt->stop = 1;
}

int scope_fd(const struct runtime *rt)
{
	return rt->scope ? rt->scope->map_fd : -1;
}

int scope_has_command(const struct runtime *rt)
{
	return rt->scope && rt->scope->spec->command;
}

uint64_t scope_full(struct runtime *rt)
{
	return rt->scope ? rt->scope->seed_full : 0;
}

void scope_free(struct runtime *rt)
{
	struct scope *s = rt->scope;
	int i;

	if (!s)
		return;
	for (i = 0; i < TRK_NUM; i++) {
		close_fd(&s->perf_fds[i]);
		close_fd(&s->prog_fds[i]);
	}
	ring_buffer__free(s->rb);
	close_fd(&s->rb_fd);
	close_fd(&s->names_fd);
	close_fd(&s->map_fd);
	close_fd(&s->cg_fd);
	free(s);
	rt->scope = NULL;
}
