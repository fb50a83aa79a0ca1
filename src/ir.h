/* ir: eBPF-shaped instructions over an unbounded set of virtual registers,
 * labels instead of jump offsets, and helper calls that carry their
 * arguments. gen fills an ir from the ast; ir_to_bpf allocates registers
 * (spilling to the stack), resolves jumps and emits real BPF.
 *
 * Conventions the back end relies on:
 * - all arithmetic is 64-bit;
 * - jumps only go forward (the kernel forbids loops), so a virtual register
 *   is live from its first definition to its last use in program order;
 * - stack memory the generator needs (keys, strings, records) is taken with
 *   ir_stack(); spill slots are placed below it by the back end. */
#ifndef PLY_IR_H
#define PLY_IR_H

#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

enum ir_opnd_kind {
	O_NONE,
	O_VREG,		/* v: virtual register number (>= 0) */
	O_IMM,		/* v: signed 32-bit immediate */
	O_FP,		/* the frame pointer r10, as a base for LDX/STX/ST */
	O_CTX,		/* argument v at program entry (0: r1, the context;
			 * a subprogram's r1-r5): only as the source of the
			 * first instructions (MOV vN, ctx) */
};

struct ir_opnd {
	enum ir_opnd_kind kind;
	int64_t v;
};

enum ir_op {
	IR_LABEL,	/* label: */
	IR_MOV,		/* d = a            (a: vreg, imm or ctx) */
	IR_ALU,		/* d = d <alu> a    (alu: BPF_ADD, BPF_SUB, BPF_MUL,
			 *  BPF_DIV, BPF_MOD, BPF_OR, BPF_AND, BPF_XOR,
			 *  BPF_LSH, BPF_RSH, BPF_ARSH; a: vreg or imm) */
	IR_NEG,		/* d = -d */
	IR_LD64,	/* d = imm64 */
	IR_LDMAP,	/* d = map (ld_imm64 pseudo map fd; imm = map index) */
	IR_LDCONST,	/* d = a value the loader fills in (ld_imm64
			 * PROG_PSEUDO_CONST; imm = PROG_CONST_*) */
	IR_STACK,	/* d = fp + off */
	IR_LDX,		/* d = *(size *)(a + off)     (a: vreg or fp) */
	IR_STX,		/* *(size *)(d + off) = a     (d: vreg or fp; a: vreg) */
	IR_ST,		/* *(size *)(d + off) = imm   (d: vreg or fp) */
	IR_JMP,		/* if (a <jmp> b) goto label  (jmp: BPF_JEQ ... BPF_JSLE,
			 *  or BPF_JA with no operands; b: vreg or imm) */
	IR_CALL,	/* d = helper(args[0..nargs-1]); d may be O_NONE.
			 * args: vreg, imm, or fp (then off is added: a stack
			 * address). r1-r5 are clobbered, as by the kernel. */
	IR_RET,		/* return a (vreg or imm) */
	IR_XADD,	/* atomic *(size *)(d + off) += a  (size 4 or 8; d: vreg;
			 * a: vreg) — BPF_STX | BPF_ATOMIC, imm BPF_ADD */
	IR_LDFUNC,	/* d = the address of subprogram imm (ir->subs[imm]),
			 * for a helper that calls it back (ld_imm64 pseudo
			 * func) */
};

struct ir_insn {
	enum ir_op op;
	uint8_t code;		/* IR_ALU: BPF_ADD..; IR_JMP: BPF_JEQ.. / BPF_JA */
	uint8_t size;		/* IR_LDX/STX/ST: 1, 2, 4 or 8 */
	struct ir_opnd d, a, b;
	int16_t off;		/* IR_LDX/STX/ST/STACK offset */
	int64_t imm;		/* IR_LD64, IR_ST, IR_LDMAP (map index),
				 * IR_LDCONST (which) */
	int label;		/* IR_LABEL, IR_JMP */
	int helper;		/* IR_CALL: BPF_FUNC_* */
	int nargs;
	struct ir_opnd args[5];
	int argoff[5];		/* IR_CALL: offset added to an O_FP or
				 * O_VREG argument (an address) */
	const char *comment;	/* shown by ir_dump, optional */
};

struct ir {
	struct arena *arena;
	struct ir_insn *insns;
	size_t n, cap;
	int nvregs;
	int nlabels;
	int stack;		/* bytes taken by ir_stack(), fp-stack..fp;
				 * the generator may lower it again to reuse
				 * memory once a statement is done */
	int stack_max;		/* the most it ever was: spills go below */
	int bad_off;		/* an LDX/STX/ST/STACK offset did not fit
				 * in 16 bits */
	/* Subprograms (callbacks), emitted after the program in this
	 * order, each a function of its own: its own vregs, labels and
	 * stack frame, its arguments in O_CTX 0-4, its end an IR_RET. */
	struct ir **subs;
	const char **sub_names;
	int nsubs;
};

/* The stack a BPF program has (MAX_BPF_STACK). ply builds keys, values,
 * strings and event records there, so none can be larger. */
#define BPF_STACK_SIZE 512

void ir_init(struct ir *ir, struct arena *a);
int ir_vreg(struct ir *ir);
int ir_label(struct ir *ir);
/* Reserve size bytes of stack, 8-aligned; returns the (negative) fp offset. */
int ir_stack(struct ir *ir, size_t size);
struct ir_insn *ir_emit(struct ir *ir, struct ir_insn in);
/* The subprogram named name: its index in ir->subs, *sub set to it. A new
 * one (*fresh set) is empty for the caller to fill; one that exists is
 * shared by all who ask for it. */
int ir_sub(struct ir *ir, const char *name, struct ir **sub, int *fresh);

static inline struct ir_opnd ir_v(int v)
{ return (struct ir_opnd){ .kind = O_VREG, .v = v }; }
static inline struct ir_opnd ir_imm(int64_t v)
{ return (struct ir_opnd){ .kind = O_IMM, .v = v }; }
static inline struct ir_opnd ir_fp(void)
{ return (struct ir_opnd){ .kind = O_FP }; }
static inline struct ir_opnd ir_arg(int i)
{ return (struct ir_opnd){ .kind = O_CTX, .v = i }; }

/* Shorthands over ir_emit. */
void ir_mov(struct ir *ir, int d, struct ir_opnd a);
void ir_alu(struct ir *ir, int code, int d, struct ir_opnd a);
void ir_ld64(struct ir *ir, int d, int64_t imm);
void ir_ldmap(struct ir *ir, int d, int map);
void ir_ldconst(struct ir *ir, int d, int which);
void ir_ldfunc(struct ir *ir, int d, int sub);
void ir_stackaddr(struct ir *ir, int d, int off);
void ir_ldx(struct ir *ir, int size, int d, struct ir_opnd base, int off);
void ir_stx(struct ir *ir, int size, struct ir_opnd base, int off, int a);
void ir_st(struct ir *ir, int size, struct ir_opnd base, int off, int64_t imm);
void ir_xadd(struct ir *ir, int size, struct ir_opnd base, int off, int a);
void ir_jmp(struct ir *ir, int code, struct ir_opnd a, struct ir_opnd b,
	    int label);
void ir_ja(struct ir *ir, int label);
void ir_place(struct ir *ir, int label);
void ir_ret(struct ir *ir, struct ir_opnd a);
/* Zero size bytes (a multiple of 8) of stack at fp+off; ir_zero_at, of
 * the memory at base+off (base: fp or a vreg holding a pointer). */
void ir_zero(struct ir *ir, int off, size_t size);
void ir_zero_at(struct ir *ir, struct ir_opnd base, int off, size_t size);

void ir_dump(const struct ir *ir, FILE *out);

/* Names both dumps share: a helper's name from its BPF_FUNC_* number (NULL
 * when not one of the common ones), and the operator of a BPF_ALU code
 * ("+", "s>>") or BPF_JMP code ("==", "s<=", "&"). */
const char *bpf_helper_name(int func);
const char *bpf_alu_op(int code);
const char *bpf_jmp_op(int code);
/* The name of a load-time value (PROG_CONST_*): "target". */
const char *prog_const_name(int which);

/* Back end: register allocation over r6-r9 (spilling the rest to stack
 * slots below ir->stack), jump resolution, emission; then each subprogram
 * the same way, after the program. On success *out is a malloc'ed array
 * the caller frees. Returns 0, or -E2BIG with a message in
 * err (e.g. "program needs 600 bytes of stack; the kernel allows 512"). */
int ir_to_bpf(const struct ir *ir, struct bpf_insn **out, size_t *n,
	      char *err, size_t errlen);

/* One line per instruction, in the style of bpftool's xlated dump. */
void bpf_dump(const struct bpf_insn *insns, size_t n, FILE *out);

#endif
