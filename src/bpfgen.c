/* bpfgen: from ir to real BPF. Three steps:
 * - liveness: jumps only go forward, so a vreg's live range is simply
 *   [first appearance, last appearance] in program order;
 * - linear-scan allocation onto r6-r9, which helper calls preserve, so no
 *   value ever needs saving around a call. A range no call falls in may
 *   also take r3-r5: calls are the only thing that touches those, since
 *   scratch is r0-r2. When no register fits, the interval that ends last
 *   goes to an 8-byte stack slot below ir->stack;
 * - emission, using r0-r2 as scratch within one ir instruction only (and
 *   r1-r5 for a call's arguments), then jump resolution from label
 *   positions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "prog.h"

/* Allocatable registers: the first NSAVED survive calls. */
static const int regs[] = { BPF_REG_6, BPF_REG_7, BPF_REG_8, BPF_REG_9,
			    BPF_REG_3, BPF_REG_4, BPF_REG_5 };
#define NREGS		((int)ARRAY_SIZE(regs))
#define NSAVED		4

enum vloc_kind { VL_NONE, VL_REG, VL_SLOT };

struct vloc {
	enum vloc_kind kind;
	int reg;		/* VL_REG: the BPF register */
	int ri;			/* VL_REG: its index in regs[] */
	int off;		/* VL_SLOT: fp offset */
};

struct interval {
	int start, end;		/* ir indices; start < 0: never used */
	int hint;		/* vreg whose register this one would like */
	int dead;		/* defined and never read: needs no home */
	int calls;		/* a call falls in (start, end] */
};

struct fixup {
	size_t at;		/* index of the jump in out */
	int label;
};

struct gen {
	const struct ir *ir;
	struct interval *iv;
	struct vloc *loc;
	int owner[ARRAY_SIZE(regs)];	/* vreg in regs[i], or -1 */
	int *slot_end;		/* per slot: last ir index it is busy */
	int nslots, slotcap;
	int base;		/* bytes of stack above the spill slots */
	int *labelpos;		/* label -> bpf index, -1 until placed */
	struct bpf_insn *out;
	size_t n, cap;
	struct fixup *fix;
	size_t nfix, fixcap;
	struct fixup *funcs;	/* ld_imm64 of a subprogram: label is
				 * its index */
	size_t nfuncs;
	int past_args;		/* an instruction other than MOV vN, ctx
				 * was emitted */
	int nomem;
};

/* ---- liveness ---- */

static void live_touch(struct gen *g, struct ir_opnd o, int i)
{
	struct interval *iv;

	if (o.kind != O_VREG)
		return;
	if (o.v < 0 || o.v >= g->ir->nvregs)
		unreachable();
	iv = &g->iv[o.v];
	if (iv->start < 0)
		iv->start = i;
	iv->end = i;
}

/* Ops whose d is written without being read first. */
static int defines_d(const struct ir_insn *in)
{
	switch (in->op) {
	case IR_MOV: case IR_LD64: case IR_LDMAP: case IR_LDCONST:
	case IR_LDFUNC: case IR_STACK: case IR_LDX: case IR_CALL:
		return in->d.kind == O_VREG;
	default:
		return 0;
	}
}

/* A backward jump would make the simple live ranges wrong (and the kernel
 * rejects loops anyway), so it can only be a bug in the generator. */
static int check_labels(const struct ir *ir)
{
	int *at = calloc(ir->nlabels > 0 ? ir->nlabels : 1, sizeof(*at));
	size_t i;

	if (!at)
		return -ENOMEM;
	for (i = 0; i < ir->n; i++) {
		const struct ir_insn *in = &ir->insns[i];

		if (in->op != IR_LABEL && in->op != IR_JMP)
			continue;
		if (in->label < 0 || in->label >= ir->nlabels)
			unreachable();
		if (in->op == IR_LABEL) {
			if (at[in->label])
				unreachable();
			at[in->label] = 1;
		} else if (at[in->label]) {
			unreachable();
		}
	}
	free(at);
	return 0;
}

/* Which live ranges have a call in (start, end]: a call at start only
 * defines the value, after clobbering r1-r5. */
static int mark_calls(struct gen *g)
{
	const struct ir *ir = g->ir;
	int *ncalls = malloc((ir->n + 1) * sizeof(*ncalls));
	struct interval *iv;
	size_t i;
	int v;

	if (!ncalls)
		return -ENOMEM;
	ncalls[0] = 0;
	for (i = 0; i < ir->n; i++)
		ncalls[i + 1] = ncalls[i] + (ir->insns[i].op == IR_CALL);
	for (v = 0; v < ir->nvregs; v++) {
		iv = &g->iv[v];
		if (iv->start >= 0)
			iv->calls = ncalls[iv->end + 1] > ncalls[iv->start + 1];
	}
	free(ncalls);
	return 0;
}

static void liveness(struct gen *g)
{
	const struct ir *ir = g->ir;
	size_t i;
	int k, v;

	for (v = 0; v < ir->nvregs; v++)
		g->iv[v] = (struct interval){ .start = -1, .end = -1,
					      .hint = -1 };
	for (i = 0; i < ir->n; i++) {
		const struct ir_insn *in = &ir->insns[i];

		live_touch(g, in->d, i);
		live_touch(g, in->a, i);
		live_touch(g, in->b, i);
		for (k = 0; in->op == IR_CALL && k < in->nargs; k++)
			live_touch(g, in->args[k], i);
	}
	for (i = 0; i < ir->n; i++) {
		const struct ir_insn *in = &ir->insns[i];
		struct interval *iv;

		if (!defines_d(in))
			continue;
		iv = &g->iv[in->d.v];
		if (iv->start != (int)i)
			continue;
		iv->dead = iv->end == (int)i;
		/* "d = a" where a dies here: d may take over a's register
		 * and the move disappears. */
		if (in->op == IR_MOV && in->a.kind == O_VREG &&
		    g->iv[in->a.v].end == (int)i)
			iv->hint = in->a.v;
	}
}

/* ---- linear scan ---- */

static const struct interval *sort_iv;

static int cmp_start(const void *pa, const void *pb)
{
	int a = *(const int *)pa, b = *(const int *)pb;

	if (sort_iv[a].start != sort_iv[b].start)
		return sort_iv[a].start < sort_iv[b].start ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Free the registers of intervals that are over at s. One ending exactly
 * at s is over too: every instruction reads its sources before it writes
 * its destination, so the new interval may share the register. */
static void expire(struct gen *g, int s)
{
	int r, o;

	for (r = 0; r < NREGS; r++) {
		o = g->owner[r];
		if (o < 0)
			continue;
		if (g->iv[o].end < s ||
		    (g->iv[o].end == s && g->iv[o].start < s))
			g->owner[r] = -1;
	}
}

/* regs[r] can hold v: a call would clobber r3-r5. */
static int usable(const struct gen *g, int v, int r)
{
	return r < NSAVED || !g->iv[v].calls;
}

/* The hinted register if free (the move then vanishes); else, for a range
 * without calls, r3-r5 first, keeping r6-r9 for ranges that need them. */
static int pick_reg(struct gen *g, int v)
{
	int h = g->iv[v].hint, r, i;

	if (h >= 0 && g->loc[h].kind == VL_REG) {
		r = g->loc[h].ri;
		if (g->owner[r] < 0 && usable(g, v, r))
			return r;
	}
	for (i = 0; i < NREGS; i++) {
		r = g->iv[v].calls ? i : (i + NSAVED) % NREGS;
		if (g->owner[r] < 0 && usable(g, v, r))
			return r;
	}
	return -1;
}

/* A slot is reused only when everything it held ended before v starts. */
static int take_slot(struct gen *g, int v)
{
	const struct interval *iv = &g->iv[v];
	int k;

	for (k = 0; k < g->nslots; k++)
		if (g->slot_end[k] < iv->start)
			break;
	if (k == g->nslots) {
		if (g->nslots == g->slotcap) {
			int cap = g->slotcap ? g->slotcap * 2 : 8;
			int *p = realloc(g->slot_end, cap * sizeof(*p));

			if (!p) {
				g->nomem = 1;
				return 0;
			}
			g->slot_end = p;
			g->slotcap = cap;
		}
		g->nslots++;
	}
	g->slot_end[k] = iv->end;
	return -(g->base + 8 * (k + 1));
}

static void spill(struct gen *g, int v)
{
	g->loc[v] = (struct vloc){ .kind = VL_SLOT, .off = take_slot(g, v) };
}

static void assign(struct gen *g, int v, int r)
{
	g->owner[r] = v;
	g->loc[v] = (struct vloc){ .kind = VL_REG, .reg = regs[r], .ri = r };
}

/* No register v can use is free: of v and the holders of those registers,
 * the interval reaching furthest goes to the stack. */
static void alloc_blocked(struct gen *g, int v)
{
	int r, far = -1;

	for (r = 0; r < NREGS; r++) {
		if (!usable(g, v, r))
			continue;
		if (far < 0 || g->iv[g->owner[r]].end >
			       g->iv[g->owner[far]].end)
			far = r;
	}
	if (g->iv[g->owner[far]].end > g->iv[v].end) {
		spill(g, g->owner[far]);
		assign(g, v, far);
	} else {
		spill(g, v);
	}
}

static int alloc_regs(struct gen *g)
{
	int nv = g->ir->nvregs, *order, n = 0, v, i, r;

	order = calloc(nv > 0 ? nv : 1, sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (v = 0; v < nv; v++)
		if (g->iv[v].start >= 0 && !g->iv[v].dead)
			order[n++] = v;
	sort_iv = g->iv;
	qsort(order, n, sizeof(*order), cmp_start);
	for (r = 0; r < NREGS; r++)
		g->owner[r] = -1;
	for (i = 0; i < n; i++) {
		v = order[i];
		expire(g, g->iv[v].start);
		r = pick_reg(g, v);
		if (r >= 0)
			assign(g, v, r);
		else
			alloc_blocked(g, v);
	}
	free(order);
	return g->nomem ? -ENOMEM : 0;
}

/* ---- emission ---- */

static void emit(struct gen *g, struct bpf_insn in)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 256;
		struct bpf_insn *p = realloc(g->out, cap * sizeof(*p));

		if (!p) {
			g->nomem = 1;
			return;
		}
		g->out = p;
		g->cap = cap;
	}
	g->out[g->n++] = in;
}

static struct bpf_insn insn(int code, int dst, int src, int off, int imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst,
				  .src_reg = src, .off = off, .imm = imm };
}

static int fits32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

static int bpf_size(int size)
{
	switch (size) {
	case 1: return BPF_B;
	case 2: return BPF_H;
	case 4: return BPF_W;
	case 8: return BPF_DW;
	}
	unreachable();
}

static void emit_mov(struct gen *g, int dst, int src)
{
	if (dst != src)
		emit(g, insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0));
}

static void emit_ld64(struct gen *g, int dst, int src, int64_t imm)
{
	uint64_t u = (uint64_t)imm;

	emit(g, insn(BPF_LD | BPF_DW | BPF_IMM, dst, src, 0, (int32_t)u));
	emit(g, insn(0, 0, 0, 0, (int32_t)(u >> 32)));
}

static void emit_movimm(struct gen *g, int dst, int64_t imm)
{
	if (fits32(imm))
		emit(g, insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm));
	else
		emit_ld64(g, dst, 0, imm);
}

static void spill_load(struct gen *g, int dst, int off)
{
	emit(g, insn(BPF_LDX | BPF_MEM | BPF_DW, dst, BPF_REG_10, off, 0));
}

static void spill_store(struct gen *g, int off, int src)
{
	emit(g, insn(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, src, off, 0));
}

static const struct vloc *vloc_of(struct gen *g, struct ir_opnd o)
{
	if (o.kind != O_VREG || g->loc[o.v].kind == VL_NONE)
		unreachable();
	return &g->loc[o.v];
}

/* Put operand o in register dst, whatever its home. */
static void load_into(struct gen *g, int dst, struct ir_opnd o)
{
	const struct vloc *l;

	switch (o.kind) {
	case O_IMM:
		emit_movimm(g, dst, o.v);
		return;
	case O_FP:
		emit_mov(g, dst, BPF_REG_10);
		return;
	case O_CTX:
		emit_mov(g, dst, BPF_REG_1 + (int)o.v);
		return;
	case O_VREG:
		l = vloc_of(g, o);
		if (l->kind == VL_REG)
			emit_mov(g, dst, l->reg);
		else
			spill_load(g, dst, l->off);
		return;
	case O_NONE:
		break;
	}
	unreachable();
}

/* The register holding o, loading it into scratch when it has none. */
static int opnd_reg(struct gen *g, struct ir_opnd o, int scratch)
{
	if (o.kind == O_FP)
		return BPF_REG_10;
	if (o.kind == O_CTX)
		return BPF_REG_1 + (int)o.v;
	if (o.kind == O_VREG && vloc_of(g, o)->kind == VL_REG)
		return g->loc[o.v].reg;
	load_into(g, scratch, o);
	return scratch;
}

/* The register to compute d in: its own, or scratch when spilled. */
static int dst_reg(struct gen *g, struct ir_opnd d, int scratch)
{
	const struct vloc *l = vloc_of(g, d);

	return l->kind == VL_REG ? l->reg : scratch;
}

static void dst_done(struct gen *g, struct ir_opnd d, int reg)
{
	const struct vloc *l = vloc_of(g, d);

	if (l->kind == VL_SLOT)
		spill_store(g, l->off, reg);
}

static int is_dead(struct gen *g, struct ir_opnd d)
{
	return d.kind == O_VREG && g->iv[d.v].dead;
}

static void gen_mov(struct gen *g, const struct ir_insn *in)
{
	const struct vloc *d = vloc_of(g, in->d), *a;

	if (d->kind == VL_REG) {
		load_into(g, d->reg, in->a);
		return;
	}
	if (in->a.kind == O_IMM && fits32(in->a.v)) {
		emit(g, insn(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0,
			     d->off, in->a.v));
		return;
	}
	if (in->a.kind == O_VREG) {
		a = vloc_of(g, in->a);
		if (a->kind == VL_SLOT && a->off == d->off)
			return;
	}
	spill_store(g, d->off, opnd_reg(g, in->a, BPF_REG_0));
}

static void gen_alu(struct gen *g, const struct ir_insn *in)
{
	int d = dst_reg(g, in->d, BPF_REG_0), a;

	if (d == BPF_REG_0)
		load_into(g, d, in->d);
	if (in->a.kind == O_IMM && fits32(in->a.v)) {
		emit(g, insn(BPF_ALU64 | in->code | BPF_K, d, 0, 0, in->a.v));
	} else {
		a = opnd_reg(g, in->a, BPF_REG_1);
		emit(g, insn(BPF_ALU64 | in->code | BPF_X, d, a, 0, 0));
	}
	dst_done(g, in->d, d);
}

static void gen_neg(struct gen *g, const struct ir_insn *in)
{
	int d = dst_reg(g, in->d, BPF_REG_0);

	if (d == BPF_REG_0)
		load_into(g, d, in->d);
	emit(g, insn(BPF_ALU64 | BPF_NEG | BPF_K, d, 0, 0, 0));
	dst_done(g, in->d, d);
}

static void gen_ld64(struct gen *g, const struct ir_insn *in, int src)
{
	int d = dst_reg(g, in->d, BPF_REG_0);

	if (src == BPF_PSEUDO_FUNC)
		g->funcs[g->nfuncs++] = (struct fixup){ .at = g->n,
							.label = in->imm };
	if (src == BPF_PSEUDO_MAP_FD || src == PROG_PSEUDO_CONST ||
	    src == BPF_PSEUDO_FUNC)
		emit_ld64(g, d, src, (uint32_t)(int32_t)in->imm);
	else
		emit_ld64(g, d, src, in->imm);
	dst_done(g, in->d, d);
}

static void gen_stackaddr(struct gen *g, const struct ir_insn *in)
{
	int d = dst_reg(g, in->d, BPF_REG_0);

	emit_mov(g, d, BPF_REG_10);
	emit(g, insn(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, in->off));
	dst_done(g, in->d, d);
}

static void gen_ldx(struct gen *g, const struct ir_insn *in)
{
	int base = opnd_reg(g, in->a, BPF_REG_1);
	int d = dst_reg(g, in->d, BPF_REG_0);

	emit(g, insn(BPF_LDX | BPF_MEM | bpf_size(in->size), d, base,
		     in->off, 0));
	dst_done(g, in->d, d);
}

static void gen_stx(struct gen *g, const struct ir_insn *in)
{
	int base = opnd_reg(g, in->d, BPF_REG_1);
	int a = opnd_reg(g, in->a, BPF_REG_2);

	emit(g, insn(BPF_STX | BPF_MEM | bpf_size(in->size), base, a,
		     in->off, 0));
}

static void gen_xadd(struct gen *g, const struct ir_insn *in)
{
	int base = opnd_reg(g, in->d, BPF_REG_1);
	int a = opnd_reg(g, in->a, BPF_REG_2);

	if (in->size != 4 && in->size != 8)
		unreachable();
	emit(g, insn(BPF_STX | BPF_ATOMIC | bpf_size(in->size), base, a,
		     in->off, BPF_ADD));
}

/* BPF_ST takes a 32-bit immediate, sign-extended for u64 stores; only a
 * wider u64 constant needs a register. */
static void gen_st(struct gen *g, const struct ir_insn *in)
{
	int base = opnd_reg(g, in->d, BPF_REG_1);

	if (in->size == 8 && !fits32(in->imm)) {
		emit_ld64(g, BPF_REG_2, 0, in->imm);
		emit(g, insn(BPF_STX | BPF_MEM | BPF_DW, base, BPF_REG_2,
			     in->off, 0));
		return;
	}
	emit(g, insn(BPF_ST | BPF_MEM | bpf_size(in->size), base, 0, in->off,
		     (int32_t)in->imm));
}

static void emit_jump(struct gen *g, struct bpf_insn j, int label)
{
	if (g->nfix == g->fixcap) {
		size_t cap = g->fixcap ? g->fixcap * 2 : 64;
		struct fixup *p = realloc(g->fix, cap * sizeof(*p));

		if (!p) {
			g->nomem = 1;
			return;
		}
		g->fix = p;
		g->fixcap = cap;
	}
	g->fix[g->nfix++] = (struct fixup){ .at = g->n, .label = label };
	emit(g, j);
}

static void gen_jmp(struct gen *g, const struct ir_insn *in)
{
	int a, b;

	if (in->code == BPF_JA) {
		emit_jump(g, insn(BPF_JMP | BPF_JA, 0, 0, 0, 0), in->label);
		return;
	}
	a = opnd_reg(g, in->a, BPF_REG_1);
	if (in->b.kind == O_IMM && fits32(in->b.v)) {
		emit_jump(g, insn(BPF_JMP | in->code | BPF_K, a, 0, 0,
				  in->b.v), in->label);
		return;
	}
	b = opnd_reg(g, in->b, BPF_REG_2);
	emit_jump(g, insn(BPF_JMP | in->code | BPF_X, a, b, 0, 0), in->label);
}

/* Arguments go straight from their homes into r1-r5: a vreg live at a
 * call is in r6-r9 or on the stack, so no argument's set-up clobbers
 * another. */
static void gen_call(struct gen *g, const struct ir_insn *in)
{
	int k, r;

	if (in->nargs < 0 || in->nargs > 5)
		unreachable();
	for (k = 0; k < in->nargs; k++) {
		r = BPF_REG_1 + k;
		load_into(g, r, in->args[k]);
		if (in->args[k].kind == O_FP ||
		    (in->args[k].kind == O_VREG && in->argoff[k]))
			emit(g, insn(BPF_ALU64 | BPF_ADD | BPF_K, r, 0, 0,
				     in->argoff[k]));
	}
	emit(g, insn(BPF_JMP | BPF_CALL, 0, 0, 0, in->helper));
	if (in->d.kind == O_VREG && !is_dead(g, in->d)) {
		r = dst_reg(g, in->d, BPF_REG_0);
		emit_mov(g, r, BPF_REG_0);
		dst_done(g, in->d, r);
	}
}

static void gen_insn(struct gen *g, const struct ir_insn *in)
{
	/* the arguments are in r1-r5 only before anything runs */
	if (in->op == IR_MOV && in->a.kind == O_CTX) {
		if (g->past_args || in->a.v < 0 || in->a.v > 4)
			unreachable();
	} else if (in->op != IR_LABEL) {
		g->past_args = 1;
	}
	if (defines_d(in) && in->op != IR_CALL && is_dead(g, in->d))
		return;
	switch (in->op) {
	case IR_LABEL:
		g->labelpos[in->label] = g->n;
		return;
	case IR_MOV:	gen_mov(g, in); return;
	case IR_ALU:	gen_alu(g, in); return;
	case IR_NEG:	gen_neg(g, in); return;
	case IR_LD64:	gen_ld64(g, in, 0); return;
	case IR_LDMAP:	gen_ld64(g, in, BPF_PSEUDO_MAP_FD); return;
	case IR_LDCONST: gen_ld64(g, in, PROG_PSEUDO_CONST); return;
	case IR_LDFUNC:	gen_ld64(g, in, BPF_PSEUDO_FUNC); return;
	case IR_STACK:	gen_stackaddr(g, in); return;
	case IR_LDX:	gen_ldx(g, in); return;
	case IR_STX:	gen_stx(g, in); return;
	case IR_ST:	gen_st(g, in); return;
	case IR_XADD:	gen_xadd(g, in); return;
	case IR_JMP:	gen_jmp(g, in); return;
	case IR_CALL:	gen_call(g, in); return;
	case IR_RET:
		load_into(g, BPF_REG_0, in->a);
		emit(g, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
		return;
	}
	unreachable();
}

static int resolve_jumps(struct gen *g, char *err, size_t errlen)
{
	size_t i;
	long off;
	int at;

	for (i = 0; i < g->nfix; i++) {
		at = g->labelpos[g->fix[i].label];
		if (at < 0)
			unreachable();	/* jump to a label never placed */
		off = (long)at - (long)(g->fix[i].at + 1);
		if (off < INT16_MIN || off > INT16_MAX) {
			snprintf(err, errlen, "jump over %ld instructions; "
				 "the kernel allows %d", off, INT16_MAX);
			return -E2BIG;
		}
		g->out[g->fix[i].at].off = off;
	}
	return 0;
}

static int gen_alloc(struct gen *g, const struct ir *ir)
{
	size_t k;
	int i;

	g->ir = ir;
	g->base = ALIGN_UP(ir->stack_max, 8);
	g->iv = calloc(ir->nvregs ? ir->nvregs : 1, sizeof(*g->iv));
	g->loc = calloc(ir->nvregs ? ir->nvregs : 1, sizeof(*g->loc));
	g->labelpos = malloc((ir->nlabels ? ir->nlabels : 1) *
			     sizeof(*g->labelpos));
	for (k = 0; k < ir->n; k++)
		g->nfuncs += ir->insns[k].op == IR_LDFUNC;
	g->funcs = calloc(g->nfuncs ? g->nfuncs : 1, sizeof(*g->funcs));
	g->nfuncs = 0;
	if (!g->iv || !g->loc || !g->labelpos || !g->funcs)
		return -ENOMEM;
	for (i = 0; i < ir->nlabels; i++)
		g->labelpos[i] = -1;
	return 0;
}

static void gen_free(struct gen *g)
{
	free(g->iv);
	free(g->loc);
	free(g->labelpos);
	free(g->slot_end);
	free(g->fix);
	free(g->funcs);
	free(g->out);
}

/* The subprograms after the program, each compiled on its own, and the
 * program's ld_imm64 of each pointed at its first instruction. */
static int compile(const struct ir *ir, struct bpf_insn **out, size_t *n,
		   int *need, char *err, size_t errlen);

/* A frame as some kernels (6.1) count it towards the 512 bytes that a
 * program and a callback it hands a helper may take together. */
static int frame(int need)
{
	return ALIGN_UP(need > 0 ? need : 1, 32);
}

static int gen_subs(struct gen *g, int need, char *err, size_t errlen)
{
	const struct ir *ir = g->ir;
	size_t *start, i, n;
	struct bpf_insn *sub;
	int k, ret = 0, sneed;

	if (!ir->nsubs)
		return 0;
	start = calloc(ir->nsubs, sizeof(*start));
	if (!start)
		return -ENOMEM;
	for (k = 0; k < ir->nsubs && !ret; k++) {
		if (ir->subs[k]->nsubs)
			unreachable();	/* a callback's callbacks */
		ret = compile(ir->subs[k], &sub, &n, &sneed, err, errlen);
		if (ret)
			break;
		if (frame(need) + frame(sneed) > BPF_STACK_SIZE) {
			snprintf(err, errlen, "program needs %d bytes of stack "
				 "and its subprogram %d; the kernel allows %d "
				 "for both", need, sneed, BPF_STACK_SIZE);
			free(sub);
			ret = -E2BIG;
			break;
		}
		start[k] = g->n;
		for (i = 0; i < n; i++)
			emit(g, sub[i]);
		free(sub);
		if (g->nomem)
			ret = -ENOMEM;
	}
	for (i = 0; i < g->nfuncs && !ret; i++) {
		if (g->funcs[i].label < 0 || g->funcs[i].label >= ir->nsubs)
			unreachable();
		g->out[g->funcs[i].at].imm = (int32_t)(start[g->funcs[i].label] -
						       (g->funcs[i].at + 1));
	}
	free(start);
	return ret;
}

int ir_to_bpf(const struct ir *ir, struct bpf_insn **out, size_t *n,
	      char *err, size_t errlen)
{
	int need;

	return compile(ir, out, n, &need, err, errlen);
}

/* ir_to_bpf, and how much stack it takes in *need. */
static int compile(const struct ir *ir, struct bpf_insn **out, size_t *n,
		   int *need, char *err, size_t errlen)
{
	struct gen g = { 0 };
	char dummy[1];
	size_t i;
	int ret;

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	ret = check_labels(ir);
	if (!ret)
		ret = gen_alloc(&g, ir);
	if (ret)
		goto nomem;
	liveness(&g);
	ret = mark_calls(&g);
	if (ret)
		goto nomem;
	ret = alloc_regs(&g);
	if (ret)
		goto nomem;
	*need = g.base + 8 * g.nslots;
	if (ir->bad_off) {
		snprintf(err, errlen, "a memory offset does not fit in the "
			 "16 bits of a BPF instruction");
		ret = -E2BIG;
		goto cleanup;
	}
	if (*need > BPF_STACK_SIZE) {
		snprintf(err, errlen, "program needs %d bytes of stack; "
			 "the kernel allows %d", *need, BPF_STACK_SIZE);
		ret = -E2BIG;
		goto cleanup;
	}
	for (i = 0; i < ir->n && !g.nomem; i++)
		gen_insn(&g, &ir->insns[i]);
	if (g.nomem)
		goto nomem;
	ret = resolve_jumps(&g, err, errlen);
	if (!ret)
		ret = gen_subs(&g, *need, err, errlen);
	if (ret == -ENOMEM)
		goto nomem;
	if (ret)
		goto cleanup;
	*out = g.out;
	*n = g.n;
	g.out = NULL;
	goto cleanup;
nomem:
	snprintf(err, errlen, "out of memory generating BPF");
	ret = -ENOMEM;
cleanup:
	gen_free(&g);
	return ret;
}
