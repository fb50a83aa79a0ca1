/* test_path: the path walk's two forms, as generated (path_gen), against
 * made-up offsets: unrolled, PATH_DEPTH steps in the program; and as a
 * loop, one subprogram of LOOP_STEPS steps that the kernel's bpf_loop
 * calls, shared by every walk of a program. That the answers are the
 * kernel's is for test/e2e/paths.sh (and pathloop.sh, for the unrolled
 * form on a kernel that has bpf_loop). No kernel needed. */
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "test.h"

static const struct path_offs offs = {
	.task_fs = 1800, .task_files = 1808, .fs_root = 24, .fs_pwd = 40,
	.path_mnt = 0, .path_dentry = 8, .files_fdt = 32, .fdt_max_fds = 0,
	.fdt_fd = 8, .file_path = 16, .d_pprev = 16, .d_parent = 24,
	.d_len = 36, .d_name = 40, .mnt_mnt = 32, .mnt_parent = 16,
	.mnt_mountpoint = 24, .vfs_root = 0, .d_op = 96, .d_dname = 64,
	.d_sb = 104, .d_inode = 48, .sb_magic = 96, .i_ino = 64,
};

struct form {
	size_t n;		/* instructions */
	int loops;		/* calls of bpf_loop */
	int reads;		/* calls of probe_read_kernel */
	int funcs;		/* ld_imm64 of a subprogram */
	int nsubs;
	int bad;		/* a func[] or loop call that is wrong */
};

/* nwalks walks (cwd, then fdpath(3)...) in one program, compiled. */
static struct form gen(int loop, int nwalks)
{
	struct path_offs o = offs;
	struct form f = { 0 };
	struct arena *a = arena__new();
	struct bpf_insn *insns = NULL;
	struct ir ir;
	char err[128] = "";
	size_t i, j;
	int k, fd, dst, sub = -1;

	o.loop = loop;
	ir_init(&ir, a);
	fd = ir_vreg(&ir);
	ir_mov(&ir, fd, ir_imm(3));
	dst = ir_stack(&ir, PATH_SIZE);	/* each walk a statement of its own */
	for (k = 0; k < nwalks; k++) {
		ir_zero(&ir, dst, PATH_SIZE);
		path_gen(&ir, &o, k ? PATH_OF_FD : PATH_OF_CWD, fd, ir_fp(),
			 dst);
	}
	ir_ret(&ir, ir_imm(0));
	f.nsubs = ir.nsubs;
	if (ir_to_bpf(&ir, &insns, &f.n, err, sizeof(err))) {
		fprintf(stderr, "ir_to_bpf: %s\n", err);
		f.bad = 1;
	}
	for (i = 0; insns && i < f.n; i++) {
		const struct bpf_insn *in = &insns[i];

		if (in->code == (BPF_JMP | BPF_CALL) &&
		    in->imm == BPF_FUNC_probe_read_kernel)
			f.reads++;
		if (in->code == (BPF_JMP | BPF_CALL) &&
		    in->imm == BPF_FUNC_loop) {
			f.loops++;
			/* r1: the number of calls, set last in the few
			 * instructions before */
			for (j = i - 1; j > 0 && j + 6 > i &&
			     insns[j].dst_reg != BPF_REG_1; j--)
				;
			if (insns[j].code != (BPF_ALU64 | BPF_MOV | BPF_K) ||
			    insns[j].dst_reg != BPF_REG_1 ||
			    insns[j].imm * LOOP_STEPS != PATH_DEPTH)
				f.bad = 1;
		}
		if (in->code == (BPF_LD | BPF_DW | BPF_IMM)) {
			if (in->src_reg == BPF_PSEUDO_FUNC) {
				f.funcs++;
				/* each points at the same subprogram, past
				 * the program's exits */
				if (sub < 0)
					sub = (int)i + 1 + in->imm;
				if ((int)i + 1 + in->imm != sub)
					f.bad = 1;
			}
			i++;
		}
	}
	if (sub >= 0 && (sub >= (int)f.n || insns[sub - 1].code !=
					    (BPF_JMP | BPF_EXIT)))
		f.bad = 1;
	free(insns);
	arena__free(a);
	return f;
}

static void test_unrolled(void)
{
	struct form f = gen(0, 1);

	CHECK(!f.bad);
	CHECK(f.nsubs == 0 && f.funcs == 0 && f.loops == 0);
	/* a step reads a dentry's block and its name */
	CHECK(f.reads > 2 * PATH_DEPTH);
}

static void test_loop(void)
{
	struct form u = gen(0, 1), f = gen(1, 1), two = gen(1, 2);

	CHECK(!f.bad && !two.bad);
	CHECK(f.nsubs == 1 && f.funcs == 1 && f.loops == 1);
	CHECK(f.reads < 2 * PATH_DEPTH);
	CHECK(f.n * 4 < u.n);
	/* a second walk calls the same step */
	CHECK(two.nsubs == 1 && two.funcs == 2 && two.loops == 2);
	CHECK(two.n < 2 * f.n);
}

int main(void)
{
	test_unrolled();
	test_loop();
	return test_report("path");
}
