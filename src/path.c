/* path: the kernel's d_path walk, emitted as ir (see path.h). */
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>

#include "btf.h"
#include "path.h"
#include "prog.h"

/* ---- offsets, from BTF ---- */

/* The bytes [lo, hi) a block read of these fields covers. */
static int span(const int *off, const int *size, int n, int *lo)
{
	int i, hi = 0;

	*lo = off[0];
	for (i = 0; i < n; i++) {
		if (off[i] < *lo)
			*lo = off[i];
		if (off[i] + size[i] > hi)
			hi = off[i] + size[i];
	}
	return hi - *lo;
}

/* Whether the kernel has bpf_loop, for the walk as a loop; PLY_PATH_LOOP=0
 * asks for the unrolled walk all the same. */
static int loop_usable(void)
{
	const char *e = getenv("PLY_PATH_LOOP");

	if (e && !strcmp(e, "0"))
		return 0;
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT,
				       BPF_FUNC_loop, NULL) == 1;
}

/* Fields read together in one helper call are on the stack at once. */
#define BLOCK_MAX 96

int path_offs_get(struct kbtf *k, struct path_offs *o, const char **why,
		  struct arena *a)
{
	static const struct {
		const char *sname, *members;
		size_t at;
	} need[] = {
#define F(s, m, field) { s, m, offsetof(struct path_offs, field) }
		F("task_struct", "fs", task_fs),
		F("task_struct", "files", task_files),
		F("fs_struct", "root", fs_root),
		F("fs_struct", "pwd", fs_pwd),
		F("path", "mnt", path_mnt),
		F("path", "dentry", path_dentry),
		F("files_struct", "fdt", files_fdt),
		F("fdtable", "max_fds", fdt_max_fds),
		F("fdtable", "fd", fdt_fd),
		F("file", "f_path", file_path),
		F("dentry", "d_hash.pprev", d_pprev),
		F("dentry", "d_parent", d_parent),
		F("dentry", "d_name.len", d_len),
		F("dentry", "d_name.name", d_name),
		F("mount", "mnt", mnt_mnt),
		F("mount", "mnt_parent", mnt_parent),
		F("mount", "mnt_mountpoint", mnt_mountpoint),
		F("vfsmount", "mnt_root", vfs_root),
		F("dentry", "d_op", d_op),
		F("dentry_operations", "d_dname", d_dname),
		F("dentry", "d_sb", d_sb),
		F("dentry", "d_inode", d_inode),
		F("super_block", "s_magic", sb_magic),
		F("inode", "i_ino", i_ino),
#undef F
	};
	size_t i;
	int lo;

	if (kbtf_load(k, why))
		return -1;
	for (i = 0; i < ARRAY_SIZE(need); i++) {
		if (kbtf_offsetof(k, need[i].sname, need[i].members,
				  (int *)((char *)o + need[i].at))) {
			*why = arena_printf(a, "this kernel's BTF has no "
					    "struct %s member %s, which the "
					    "path walk reads", need[i].sname,
					    need[i].members);
			return -1;
		}
	}
	if (span((int[]){ o->d_pprev, o->d_parent, o->d_len, o->d_name },
		 (int[]){ 8, 8, 4, 8 }, 4, &lo) > BLOCK_MAX ||
	    span((int[]){ o->mnt_parent, o->mnt_mountpoint }, (int[]){ 8, 8 },
		 2, &lo) > BLOCK_MAX ||
	    span((int[]){ o->fs_root, o->fs_pwd }, (int[]){ 16, 16 }, 2,
		 &lo) > BLOCK_MAX ||
	    span((int[]){ o->fdt_max_fds, o->fdt_fd }, (int[]){ 4, 8 }, 2,
		 &lo) > BLOCK_MAX) {
		*why = "this kernel's dentry, mount, fs_struct or fdtable "
			"has a layout the path walk does not expect";
		return -1;
	}
	o->loop = loop_usable();
	return 0;
}

/* ---- the walk, as ir ---- */

/* The state of the walk as a loop (see loop_step), after the path in the
 * buffer: */
enum {
	C_MNT = 0, C_DENT = 8, C_MROOT = 16,	/* where the walk is */
	C_RMNT = 24, C_RDENT = 32,		/* the task's root */
	C_POS = 40, C_ANY = 48,			/* as in the unrolled walk */
	C_END = 56,	/* how the walk ended (END_*) */
	C_TMP = 64,	/* 8 bytes to read into */
	C_BLK = 72,	/* the dentry's or the mount's block */
};
#define S(c)	(PATH_STATE + (c))	/* offsets in the buffer */
_Static_assert(S(C_BLK) + BLOCK_MAX <= PATH_BUF, "the state fits");

enum { END_STEPS, END_DONE, END_TRUNC, END_PSEUDO, END_FAIL };

struct walk {
	struct ir *ir;
	const struct path_offs *o;
	int fail;	/* label: nothing to walk */
	int scratch;	/* offset from mem of 8 bytes to read into */
	struct ir_opnd mem;	/* where blocks are read to: the stack (fp),
				 * or, in the loop's step, the buffer (a
				 * vreg) */
	int state;	/* in the loop's step: the walk's state is kept
			 * in the buffer */
	int idx;	/* in the loop's first step, the vreg of the
			 * callback's number (its block is read if not 0);
			 * else -1 */
};

static int vreg(struct walk *w)
{
	return ir_vreg(w->ir);
}

/* d = helper(args); an O_FP argument is the stack address fp+off, an
 * O_VREG one with an offset the address in it plus that. */
static int call(struct walk *w, int helper, int nargs, struct ir_opnd *args,
		const int *offs)
{
	struct ir_insn in = { .op = IR_CALL, .helper = helper, .nargs = nargs };
	int i;

	for (i = 0; i < nargs; i++) {
		in.args[i] = args[i];
		in.argoff[i] = offs ? offs[i] : 0;
	}
	in.d = ir_v(vreg(w));
	ir_emit(w->ir, in);
	return in.d.v;
}

/* size bytes at base+off into mem+slot; a read that fails goes to
 * fail. */
static void read_block(struct walk *w, int slot, int size, int base, int off)
{
	int r = call(w, BPF_FUNC_probe_read_kernel, 3,
		     (struct ir_opnd[]){ w->mem, ir_imm(size), ir_v(base) },
		     (int[]){ slot, 0, off });

	ir_jmp(w->ir, BPF_JSLT, ir_v(r), ir_imm(0), w->fail);
}

/* The pointer at base+off, into vreg d; NULL goes to fail. */
static void read_ptr(struct walk *w, int d, int slot, int base, int off)
{
	read_block(w, slot, 8, base, off);
	ir_ldx(w->ir, 8, d, w->mem, slot);
	ir_jmp(w->ir, BPF_JEQ, ir_v(d), ir_imm(0), w->fail);
}

static int max2(int a, int b)
{
	return a > b ? a : b;
}

/* buf[pos] = c, after pos -= 1 (pos stays in the first half of buf). */
static void prepend_char(struct walk *w, int buf, int pos, int c)
{
	int p = vreg(w);

	ir_alu(w->ir, BPF_SUB, pos, ir_imm(1));
	ir_alu(w->ir, BPF_AND, pos, ir_imm(PATH_SIZE - 1));
	ir_mov(w->ir, p, ir_v(buf));
	ir_alu(w->ir, BPF_ADD, p, ir_v(pos));
	ir_st(w->ir, 1, ir_v(p), 0, c);
}

/* In the loop's step, vreg v is the state's field c: fetched where it is
 * needed, kept as soon as it changes. */
static void fetch(struct walk *w, int c, int v)
{
	if (w->state)
		ir_ldx(w->ir, 8, v, w->mem, S(c));
}

static void keep(struct walk *w, int c, int v)
{
	if (w->state)
		ir_stx(w->ir, 8, w->mem, S(c), v);
}

/* One step from (mnt, dentry): stop at the task's root, cross to the
 * parent mount at a mount's root (stop at the global root), or prepend
 * dentry's name and go to its parent. The dentry block of dentry is at
 * dblk already if fresh. */
static void step(struct walk *w, int fresh, int buf, int pos, int any,
		 int mnt, int dentry, int mroot, int rmnt, int rdent,
		 int dblk, int dlo, int dsize, int mblk, int mlo, int msize,
		 int tmp, int done, int trunc, int escaped)
{
	const struct path_offs *o = w->o;
	struct ir *ir = w->ir;
	int notroot = ir_label(ir), comp = ir_label(ir), next = ir_label(ir);
	int m = vreg(w), parent = vreg(w), len = vreg(w), name = vreg(w);
	int t = vreg(w), p = vreg(w), r;

	ir_jmp(ir, BPF_JNE, ir_v(dentry), ir_v(rdent), notroot);
	ir_jmp(ir, BPF_JEQ, ir_v(mnt), ir_v(rmnt), done);
	ir_place(ir, notroot);
	ir_jmp(ir, BPF_JNE, ir_v(dentry), ir_v(mroot), comp);

	/* a mount's root: on to where it is mounted */
	ir_mov(ir, m, ir_v(mnt));
	ir_alu(ir, BPF_SUB, m, ir_imm(o->mnt_mnt));
	read_block(w, mblk, msize, m, mlo);
	ir_ldx(ir, 8, t, w->mem, mblk + o->mnt_parent - mlo);
	ir_jmp(ir, BPF_JEQ, ir_v(t), ir_v(m), done);	/* the global root */
	ir_ldx(ir, 8, dentry, w->mem, mblk + o->mnt_mountpoint - mlo);
	ir_mov(ir, mnt, ir_v(t));
	ir_alu(ir, BPF_ADD, mnt, ir_imm(o->mnt_mnt));
	read_ptr(w, mroot, tmp, mnt, o->vfs_root);
	keep(w, C_MNT, mnt);
	keep(w, C_DENT, dentry);
	keep(w, C_MROOT, mroot);
	ir_ja(ir, next);

	/* a component: "/name" in front of what is there */
	ir_place(ir, comp);
	if (!fresh && w->idx >= 0) {	/* the walk's first block is read */
		int skip = ir_label(ir);

		ir_jmp(ir, BPF_JEQ, ir_v(w->idx), ir_imm(0), skip);
		read_block(w, dblk, dsize, dentry, dlo);
		ir_place(ir, skip);
	} else if (!fresh) {
		read_block(w, dblk, dsize, dentry, dlo);
	}
	ir_ldx(ir, 8, parent, w->mem, dblk + o->d_parent - dlo);
	ir_jmp(ir, BPF_JEQ, ir_v(parent), ir_v(dentry), escaped);
	ir_ldx(ir, 4, len, w->mem, dblk + o->d_len - dlo);
	ir_ldx(ir, 8, name, w->mem, dblk + o->d_name - dlo);
	/* room for '/', the name and the truncation mark before it */
	fetch(w, C_POS, pos);
	ir_mov(ir, t, ir_v(pos));
	ir_alu(ir, BPF_SUB, t, ir_v(len));
	ir_jmp(ir, BPF_JSLT, ir_v(t), ir_imm(2), trunc);
	ir_mov(ir, pos, ir_v(t));
	ir_alu(ir, BPF_SUB, pos, ir_imm(1));
	/* what the verifier needs to see the write stays in buf */
	ir_alu(ir, BPF_AND, pos, ir_imm(PATH_SIZE - 1));
	ir_alu(ir, BPF_AND, len, ir_imm(PATH_SIZE - 1));
	ir_mov(ir, p, ir_v(buf));
	ir_alu(ir, BPF_ADD, p, ir_v(pos));
	ir_st(ir, 1, ir_v(p), 0, '/');
	ir_alu(ir, BPF_ADD, p, ir_imm(1));
	/* on to the parent (a read that fails leaves no path) */
	ir_mov(ir, dentry, ir_v(parent));
	ir_mov(ir, any, ir_imm(1));
	keep(w, C_POS, pos);
	keep(w, C_DENT, dentry);
	keep(w, C_ANY, any);
	r = call(w, BPF_FUNC_probe_read_kernel, 3,
		 (struct ir_opnd[]){ ir_v(p), ir_v(len), ir_v(name) }, NULL);
	ir_jmp(ir, BPF_JSLT, ir_v(r), ir_imm(0), w->fail);
	ir_place(ir, next);
}

/* Stores the bytes of s at p+off... (p: a vreg pointer). */
static void put_str(struct walk *w, int p, int off, const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		ir_st(w->ir, 1, ir_v(p), off + (int)i, (unsigned char)s[i]);
}

/* "pipe:[INO]": the inode number's digits back to front before "]", then
 * prefix. pos is PATH_SIZE - 1 here, so the verifier knows it exactly on
 * each of the paths, and the stores below it stay inside buf. */
static void pseudo_ino(struct walk *w, int buf, int pos, int dentry,
		       const char *prefix, int out)
{
	struct ir *ir = w->ir;
	int ino = vreg(w), dig = vreg(w), p = vreg(w), last = ir_label(ir);
	int i;

	read_ptr(w, ino, w->scratch, dentry, w->o->d_inode);
	read_block(w, w->scratch, 8, ino, w->o->i_ino);
	ir_ldx(ir, 8, ino, ir_fp(), w->scratch);
	ir_alu(ir, BPF_SUB, pos, ir_imm(1));
	ir_mov(ir, p, ir_v(buf));
	ir_alu(ir, BPF_ADD, p, ir_v(pos));
	ir_st(ir, 1, ir_v(p), 0, ']');
	for (i = 0; i < 20; i++) {	/* 2^64 has 20 digits */
		ir_mov(ir, dig, ir_v(ino));
		ir_alu(ir, BPF_MOD, dig, ir_imm(10));
		ir_alu(ir, BPF_ADD, dig, ir_imm('0'));
		ir_alu(ir, BPF_DIV, ino, ir_imm(10));
		ir_alu(ir, BPF_SUB, pos, ir_imm(1));
		ir_alu(ir, BPF_SUB, p, ir_imm(1));
		ir_stx(ir, 1, ir_v(p), 0, dig);
		ir_jmp(ir, BPF_JEQ, ir_v(ino), ir_imm(0), last);
	}
	ir_place(ir, last);
	put_str(w, p, -(int)strlen(prefix), prefix);
	ir_alu(ir, BPF_SUB, pos, ir_imm((int)strlen(prefix)));
	ir_ja(ir, out);
}

/* prefix NAME suffix, NAME being the dentry's own name; pos is
 * PATH_SIZE - 1. */
static void pseudo_named(struct walk *w, int buf, int pos, int dentry,
			 int dblk, int dlo, int dsize, const char *prefix,
			 const char *suffix, int trunc, int out)
{
	const struct path_offs *o = w->o;
	struct ir *ir = w->ir;
	int len = vreg(w), name = vreg(w), t = vreg(w), p = vreg(w), r;
	int np = (int)strlen(prefix), ns = (int)strlen(suffix);

	read_block(w, dblk, dsize, dentry, dlo);
	ir_ldx(ir, 4, len, ir_fp(), dblk + o->d_len - dlo);
	ir_ldx(ir, 8, name, ir_fp(), dblk + o->d_name - dlo);
	put_str(w, buf, PATH_SIZE - 1 - ns, suffix);
	/* t: where the name starts, with room for the prefix and a mark
	 * before it; the verifier learns t's range from the test */
	ir_mov(ir, t, ir_imm(PATH_SIZE - 1 - ns));
	ir_alu(ir, BPF_SUB, t, ir_v(len));
	ir_jmp(ir, BPF_JSLT, ir_v(t), ir_imm(np + 1), trunc);
	ir_alu(ir, BPF_AND, len, ir_imm(PATH_SIZE - 1));
	ir_mov(ir, p, ir_v(buf));
	ir_alu(ir, BPF_ADD, p, ir_v(t));
	r = call(w, BPF_FUNC_probe_read_kernel, 3,
		 (struct ir_opnd[]){ ir_v(p), ir_v(len), ir_v(name) }, NULL);
	ir_jmp(ir, BPF_JSLT, ir_v(r), ir_imm(0), w->fail);
	put_str(w, p, -np, prefix);
	ir_mov(ir, pos, ir_v(t));
	ir_alu(ir, BPF_SUB, pos, ir_imm(np));
	ir_ja(ir, out);
}

/* The first dentry is its own parent and not its mount's root: a file in
 * no tree. d_path asks its d_op->d_dname for a name; without one, "/". */
static void pseudo_name(struct walk *w, int buf, int pos, int any,
			int dentry, int dblk, int dlo, int dsize, int done,
			int trunc, int out)
{
	const struct path_offs *o = w->o;
	struct ir *ir = w->ir;
	int t = vreg(w), pipe = ir_label(ir), sock = ir_label(ir);
	int anon = ir_label(ir);

	read_block(w, w->scratch, 8, dentry, o->d_op);
	ir_ldx(ir, 8, t, ir_fp(), w->scratch);
	ir_jmp(ir, BPF_JEQ, ir_v(t), ir_imm(0), done);
	read_block(w, w->scratch, 8, t, o->d_dname);
	ir_ldx(ir, 8, t, ir_fp(), w->scratch);
	ir_jmp(ir, BPF_JEQ, ir_v(t), ir_imm(0), done);
	ir_mov(ir, any, ir_imm(1));
	read_ptr(w, t, w->scratch, dentry, o->d_sb);
	read_block(w, w->scratch, 8, t, o->sb_magic);
	ir_ldx(ir, 8, t, ir_fp(), w->scratch);
	ir_jmp(ir, BPF_JEQ, ir_v(t), ir_imm(PIPEFS_MAGIC), pipe);
	ir_jmp(ir, BPF_JEQ, ir_v(t), ir_imm(SOCKFS_MAGIC), sock);
	ir_jmp(ir, BPF_JEQ, ir_v(t), ir_imm(ANON_INODE_FS_MAGIC), anon);
	pseudo_named(w, buf, pos, dentry, dblk, dlo, dsize, "/", " (deleted)",
		     trunc, out);
	ir_place(ir, anon);
	pseudo_named(w, buf, pos, dentry, dblk, dlo, dsize, "anon_inode:", "",
		     trunc, out);
	ir_place(ir, pipe);
	pseudo_ino(w, buf, pos, dentry, "pipe:[", out);
	ir_place(ir, sock);
	pseudo_ino(w, buf, pos, dentry, "socket:[", out);
}

/* mnt and dentry of the struct path at base+off. */
static void read_path(struct walk *w, int slot, int base, int off, int mnt,
		      int dentry)
{
	const struct path_offs *o = w->o;
	int size = max2(o->path_mnt, o->path_dentry) + 8;

	read_block(w, slot, size, base, off);
	ir_ldx(w->ir, 8, mnt, ir_fp(), slot + o->path_mnt);
	ir_ldx(w->ir, 8, dentry, ir_fp(), slot + o->path_dentry);
}

/* ---- the walk as a loop ----
 *
 * With the kernel's bpf_loop helper (5.17), LOOP_STEPS steps are a
 * subprogram the helper calls up to PATH_DEPTH / LOOP_STEPS times: the
 * verifier checks LOOP_STEPS steps, not PATH_DEPTH, and one walk adds a
 * few milliseconds to loading, not a tenth of a second. The answers are
 * the unrolled walk's. Its state is in the per-CPU buffer, after the path
 * (PATH_STATE), where the verifier does not follow values: a step that
 * starts from any state is checked once, where values it knew on the
 * stack (pos, how the walk ended) would have it check a step per value.
 * The callback's context is 8 bytes of the caller's stack, in dst: the
 * buffer's address. */

/* Where a step leaves the walk: C_END = how, and no more calls. */
static void loop_end(struct walk *w, int label, int how)
{
	ir_place(w->ir, label);
	ir_st(w->ir, 8, w->mem, S(C_END), how);
	ir_ret(w->ir, ir_imm(1));
}

/* The step as a subprogram (index returned): (u32 i, void *ctx) -> 0 to
 * go on, 1 to stop, with C_END set. LOOP_STEPS steps, each from the state
 * and keeping it as it changes: a value lives in a register for one step
 * only, and few go to the stack. One per program: every walk's step is
 * the same. */
static int loop_step(struct ir *ir, const struct path_offs *o)
{
	struct ir *sub;
	int fresh, k = ir_sub(ir, "path_step", &sub, &fresh);
	struct walk w = { .ir = sub, .o = o, .fail = ir_label(sub),
			  .scratch = S(C_TMP), .state = 1 };
	int done = ir_label(sub), trunc = ir_label(sub), esc = ir_label(sub);
	int buf = vreg(&w), idx = vreg(&w), dlo, dsize, mlo, msize, i;
	int mnt, dentry, mroot, rmnt, rdent, on;

	if (!fresh)
		return k;
	dsize = span((int[]){ o->d_pprev, o->d_parent, o->d_len, o->d_name },
		     (int[]){ 8, 8, 4, 8 }, 4, &dlo);
	msize = span((int[]){ o->mnt_parent, o->mnt_mountpoint },
		     (int[]){ 8, 8 }, 2, &mlo);
	ir_mov(sub, idx, ir_arg(0));
	ir_mov(sub, buf, ir_arg(1));
	ir_ldx(sub, 8, buf, ir_v(buf), 0);
	w.mem = ir_v(buf);
	w.idx = idx;
	for (i = 0; i < LOOP_STEPS; i++) {
		mnt = vreg(&w);
		dentry = vreg(&w);
		mroot = vreg(&w);
		rmnt = vreg(&w);
		rdent = vreg(&w);
		fetch(&w, C_MNT, mnt);
		fetch(&w, C_DENT, dentry);
		fetch(&w, C_MROOT, mroot);
		fetch(&w, C_RMNT, rmnt);
		fetch(&w, C_RDENT, rdent);
		step(&w, 0, buf, vreg(&w), vreg(&w), mnt, dentry, mroot, rmnt,
		     rdent, S(C_BLK), dlo, dsize, S(C_BLK), mlo, msize,
		     S(C_TMP), done, trunc, i == 0 ? esc : done);
		if (i)
			continue;
		/* in no tree: a name of its own if the walk's first */
		on = ir_label(sub);
		ir_ja(sub, on);
		ir_place(sub, esc);
		ir_jmp(sub, BPF_JNE, ir_v(idx), ir_imm(0), done);
		loop_end(&w, ir_label(sub), END_PSEUDO);
		ir_place(sub, on);
		w.idx = -1;
	}
	ir_ret(sub, ir_imm(0));
	loop_end(&w, done, END_DONE);
	loop_end(&w, trunc, END_TRUNC);
	loop_end(&w, w.fail, END_FAIL);
	return k;
}

/* bpf_loop(PATH_DEPTH / LOOP_STEPS, step, fp+ctx, 0) from (mnt, dentry),
 * then on to done, trunc or pseudo as the step said; out of steps falls
 * through.
 * The first dentry's block is in the state already. */
static void loop_call(struct walk *w, int ctx, int buf, int pos, int any,
		      int mnt, int dentry, int mroot, int rmnt, int rdent,
		      int done, int trunc, int pseudo)
{
	struct ir *ir = w->ir;
	int f = vreg(w), end = vreg(w), steps = ir_label(ir);

	ir_stx(ir, 8, ir_fp(), ctx, buf);
	ir_stx(ir, 8, ir_v(buf), S(C_MNT), mnt);
	ir_stx(ir, 8, ir_v(buf), S(C_DENT), dentry);
	ir_stx(ir, 8, ir_v(buf), S(C_MROOT), mroot);
	ir_stx(ir, 8, ir_v(buf), S(C_RMNT), rmnt);
	ir_stx(ir, 8, ir_v(buf), S(C_RDENT), rdent);
	ir_stx(ir, 8, ir_v(buf), S(C_POS), pos);
	ir_stx(ir, 8, ir_v(buf), S(C_ANY), any);
	ir_st(ir, 8, ir_v(buf), S(C_END), END_STEPS);
	ir_ldfunc(ir, f, loop_step(ir, w->o));
	call(w, BPF_FUNC_loop, 4,
	     (struct ir_opnd[]){ ir_imm(PATH_DEPTH / LOOP_STEPS), ir_v(f),
				 ir_fp(), ir_imm(0) }, (int[]){ 0, 0, ctx, 0 });
	ir_ldx(ir, 8, mnt, ir_v(buf), S(C_MNT));
	ir_ldx(ir, 8, dentry, ir_v(buf), S(C_DENT));
	ir_ldx(ir, 8, pos, ir_v(buf), S(C_POS));
	ir_ldx(ir, 8, any, ir_v(buf), S(C_ANY));
	ir_ldx(ir, 8, end, ir_v(buf), S(C_END));
	ir_jmp(ir, BPF_JEQ, ir_v(end), ir_imm(END_DONE), done);
	ir_jmp(ir, BPF_JEQ, ir_v(end), ir_imm(END_TRUNC), trunc);
	ir_jmp(ir, BPF_JEQ, ir_v(end), ir_imm(END_FAIL), w->fail);
	ir_jmp(ir, BPF_JNE, ir_v(end), ir_imm(END_PSEUDO), steps);
	/* as unrolled, where the first step finds no tree: nothing was
	 * written, and the verifier must know pos exactly */
	ir_mov(ir, pos, ir_imm(PATH_SIZE - 1));
	ir_ja(ir, pseudo);
	ir_place(ir, steps);
}

/* (mnt, dentry) of the working directory, from the fs_struct read at
 * fp+fs (where its offset 0 would be). */
static void pwd_of(struct ir *ir, const struct path_offs *o, int fs, int mnt,
		   int dentry)
{
	ir_ldx(ir, 8, mnt, ir_fp(), fs + o->fs_pwd + o->path_mnt);
	ir_ldx(ir, 8, dentry, ir_fp(), fs + o->fs_pwd + o->path_dentry);
}

int path_gen(struct ir *ir, const struct path_offs *o, enum path_src src,
	     int arg, struct ir_opnd base, int dst)
{
	static const char deleted[] = " (deleted)";
	struct walk w = { .ir = ir, .o = o, .fail = ir_label(ir),
			  .mem = ir_fp(), .idx = -1 };
	int done = ir_label(ir), trunc = ir_label(ir), out = ir_label(ir);
	int end = ir_label(ir), live = ir_label(ir), pseudo = ir_label(ir);
	int at_cwd = ir_label(ir), walk = ir_label(ir);
	int ret = vreg(&w), buf, task, fs = vreg(&w), mnt = vreg(&w), size;
	int dentry = vreg(&w), mroot = vreg(&w), rmnt = vreg(&w);
	int rdent = vreg(&w), pos = vreg(&w), any = vreg(&w), t = vreg(&w);
	int psize = max2(o->path_mnt, o->path_dentry) + 8;
	int dlo, dsize, mlo, msize, flo, fsize, xlo, xsize;
	int key, tmp, fblk, dblk, mblk, xblk, scratch, scr, ctx, i;

	dsize = span((int[]){ o->d_pprev, o->d_parent, o->d_len, o->d_name },
		     (int[]){ 8, 8, 4, 8 }, 4, &dlo);
	msize = span((int[]){ o->mnt_parent, o->mnt_mountpoint },
		     (int[]){ 8, 8 }, 2, &mlo);
	fsize = span((int[]){ o->fs_root, o->fs_pwd }, (int[]){ psize, psize },
		     2, &flo);
	xsize = span((int[]){ o->fdt_max_fds, o->fdt_fd }, (int[]){ 4, 8 }, 2,
		     &xlo);
	/* Scratch for what is read is the start of dst when dst is on the
	 * stack: it is written last and is zero now, its first 8 bytes the
	 * key 0 of the buffer; it is zeroed again before dst is filled or
	 * left empty. Elsewhere (an event's record) the scratch is a stack
	 * slot of its own. Each value is taken out of it before it is
	 * written again. */
	scratch = max2(max2(max2(fsize, xsize), max2(dsize, msize)), psize);
	scratch = ALIGN_UP(scratch, 8);
	scr = dst;
	if (base.kind != O_FP) {
		scr = ir_stack(ir, scratch);
		ir_st(ir, 8, ir_fp(), scr, 0);
	}
	key = tmp = fblk = dblk = mblk = xblk = w.scratch = ctx = scr;

	ir_ldmap(ir, t, MAP_IDX_PATHBUF);
	buf = call(&w, BPF_FUNC_map_lookup_elem, 2,
		   (struct ir_opnd[]){ ir_v(t), ir_fp() }, (int[]){ 0, key });
	ir_jmp(ir, BPF_JEQ, ir_v(buf), ir_imm(0), w.fail);

	/* the task's root, and its working directory */
	task = call(&w, BPF_FUNC_get_current_task, 0, NULL, NULL);
	read_ptr(&w, fs, tmp, task, o->task_fs);
	read_block(&w, fblk, fsize, fs, flo);
	ir_ldx(ir, 8, rmnt, ir_fp(), fblk + o->fs_root - flo + o->path_mnt);
	ir_ldx(ir, 8, rdent, ir_fp(), fblk + o->fs_root - flo + o->path_dentry);

	switch (src) {
	case PATH_OF_CWD:
		pwd_of(ir, o, fblk - flo, mnt, dentry);
		break;
	case PATH_OF_PATH:
		ir_jmp(ir, BPF_JEQ, ir_v(arg), ir_imm(0), w.fail);
		read_path(&w, xblk, arg, 0, mnt, dentry);
		break;
	case PATH_OF_FD:
		/* AT_FDCWD, as the *at() calls read it: the working
		 * directory; else current->files->fdt->fd[fd], fd < max_fds */
		ir_jmp(ir, BPF_JEQ, ir_v(arg), ir_imm(AT_FDCWD), at_cwd);
		read_ptr(&w, t, tmp, task, o->task_files);
		read_ptr(&w, t, tmp, t, o->files_fdt);
		read_block(&w, xblk, xsize, t, xlo);
		ir_ldx(ir, 4, fs, ir_fp(), xblk + o->fdt_max_fds - xlo);
		ir_mov(ir, t, ir_v(arg));
		ir_jmp(ir, BPF_JGE, ir_v(t), ir_v(fs), w.fail);
		ir_alu(ir, BPF_LSH, t, ir_imm(3));
		ir_ldx(ir, 8, fs, ir_fp(), xblk + o->fdt_fd - xlo);
		ir_alu(ir, BPF_ADD, t, ir_v(fs));
		read_ptr(&w, t, tmp, t, 0);	/* the struct file */
		read_path(&w, xblk, t, o->file_path, mnt, dentry);
		ir_ja(ir, walk);
		ir_place(ir, at_cwd);
		pwd_of(ir, o, fblk - flo, mnt, dentry);
		ir_place(ir, walk);
		break;
	}
	ir_jmp(ir, BPF_JEQ, ir_v(mnt), ir_imm(0), w.fail);
	ir_jmp(ir, BPF_JEQ, ir_v(dentry), ir_imm(0), w.fail);
	read_ptr(&w, mroot, tmp, mnt, o->vfs_root);

	/* the end of the string, and " (deleted)" before it for a dentry
	 * that is unhashed and not a root (the kernel's d_unlinked) */
	ir_st(ir, 1, ir_v(buf), PATH_SIZE - 1, 0);
	ir_mov(ir, pos, ir_imm(PATH_SIZE - 1));
	ir_mov(ir, any, ir_imm(0));
	if (o->loop) {	/* the first step's block: in the state */
		w.mem = ir_v(buf);
		dblk = S(C_BLK);
	}
	read_block(&w, dblk, dsize, dentry, dlo);
	ir_ldx(ir, 8, t, w.mem, dblk + o->d_pprev - dlo);
	ir_jmp(ir, BPF_JNE, ir_v(t), ir_imm(0), live);
	ir_ldx(ir, 8, t, w.mem, dblk + o->d_parent - dlo);
	w.mem = ir_fp();
	dblk = scr;
	ir_jmp(ir, BPF_JEQ, ir_v(t), ir_v(dentry), live);
	for (i = 0; deleted[i]; i++)
		ir_st(ir, 1, ir_v(buf), PATH_SIZE - 1 - (int)strlen(deleted) + i,
		      deleted[i]);
	ir_mov(ir, pos, ir_imm(PATH_SIZE - 1 - (int)strlen(deleted)));
	ir_place(ir, live);

	if (o->loop) {
		loop_call(&w, ctx, buf, pos, any, mnt, dentry, mroot, rmnt,
			  rdent, done, trunc, pseudo);
	} else {
		for (i = 0; i < PATH_DEPTH; i++)
			step(&w, i == 0, buf, pos, any, mnt, dentry, mroot,
			     rmnt, rdent, dblk, dlo, dsize, mblk, mlo, msize,
			     tmp, done, trunc, i == 0 ? pseudo : done);
	}
	/* out of steps: done only if exactly at the root */
	ir_jmp(ir, BPF_JNE, ir_v(dentry), ir_v(rdent), trunc);
	ir_jmp(ir, BPF_JEQ, ir_v(mnt), ir_v(rmnt), done);
	ir_ja(ir, trunc);

	ir_place(ir, pseudo);	/* the file is a tree of its own */
	pseudo_name(&w, buf, pos, any, dentry, dblk, dlo, dsize, done, trunc,
		    out);

	ir_place(ir, trunc);
	prepend_char(&w, buf, pos, PATH_TRUNC);
	ir_ja(ir, out);

	ir_place(ir, done);	/* "/" for the root itself */
	ir_jmp(ir, BPF_JNE, ir_v(any), ir_imm(0), out);
	prepend_char(&w, buf, pos, '/');

	ir_place(ir, out);	/* buf[pos..PATH_SIZE) to base+dst, in order */
	if (base.kind == O_FP)
		ir_zero(ir, dst, scratch);
	ir_alu(ir, BPF_AND, pos, ir_imm(PATH_SIZE - 1));
	size = vreg(&w);
	ir_mov(ir, size, ir_imm(PATH_SIZE));
	ir_alu(ir, BPF_SUB, size, ir_v(pos));
	ir_alu(ir, BPF_ADD, buf, ir_v(pos));
	i = call(&w, BPF_FUNC_probe_read_kernel, 3,
		 (struct ir_opnd[]){ base, ir_v(size), ir_v(buf) },
		 (int[]){ dst, 0, 0 });
	ir_mov(ir, ret, ir_v(i));
	ir_ja(ir, end);

	ir_place(ir, w.fail);
	if (base.kind == O_FP)
		ir_zero(ir, dst, scratch);
	ir_mov(ir, ret, ir_imm(-1));
	ir_place(ir, end);
	return ret;
}
