/* ir: building the virtual-register program the generator produces, and
 * printing it (-S, golden files). Register allocation and emission of real
 * BPF live in bpfgen.c. */
#include <inttypes.h>
#include <string.h>

#include "ir.h"
#include "prog.h"

void ir_init(struct ir *ir, struct arena *a)
{
	memset(ir, 0, sizeof(*ir));
	ir->arena = a;
}

int ir_vreg(struct ir *ir)
{
	return ir->nvregs++;
}

int ir_label(struct ir *ir)
{
	return ir->nlabels++;
}

int ir_stack(struct ir *ir, size_t size)
{
	ir->stack += ALIGN_UP(size, 8);
	if (ir->stack > ir->stack_max)
		ir->stack_max = ir->stack;
	return -ir->stack;
}

int ir_sub(struct ir *ir, const char *name, struct ir **sub, int *fresh)
{
	struct ir **subs;
	const char **names;
	int i;

	*fresh = 0;
	for (i = 0; i < ir->nsubs; i++) {
		if (!strcmp(ir->sub_names[i], name)) {
			*sub = ir->subs[i];
			return i;
		}
	}
	subs = arena_alloc(ir->arena, (ir->nsubs + 1) * sizeof(*subs));
	names = arena_alloc(ir->arena, (ir->nsubs + 1) * sizeof(*names));
	if (ir->nsubs) {
		memcpy(subs, ir->subs, ir->nsubs * sizeof(*subs));
		memcpy(names, ir->sub_names, ir->nsubs * sizeof(*names));
	}
	subs[ir->nsubs] = arena_alloc(ir->arena, sizeof(**subs));
	ir_init(subs[ir->nsubs], ir->arena);
	names[ir->nsubs] = arena_strdup(ir->arena, name);
	ir->subs = subs;
	ir->sub_names = names;
	*sub = subs[ir->nsubs];
	*fresh = 1;
	return ir->nsubs++;
}

/* The returned pointer is only good until the next ir_emit: the array
 * moves when it grows. */
struct ir_insn *ir_emit(struct ir *ir, struct ir_insn in)
{
	if (ir->n == ir->cap) {
		size_t cap = ir->cap ? ir->cap * 2 : 64;
		struct ir_insn *v = arena_alloc(ir->arena, cap * sizeof(*v));

		if (ir->n)
			memcpy(v, ir->insns, ir->n * sizeof(*v));
		ir->insns = v;
		ir->cap = cap;
	}
	ir->insns[ir->n] = in;
	return &ir->insns[ir->n++];
}

/* ---- shorthands ---- */

void ir_mov(struct ir *ir, int d, struct ir_opnd a)
{
	ir_emit(ir, (struct ir_insn){ .op = IR_MOV, .d = ir_v(d), .a = a });
}

/* BPF_NEG has no source operand, so it gets its own IR op. */
void ir_alu(struct ir *ir, int code, int d, struct ir_opnd a)
{
	if (code == BPF_NEG) {
		ir_emit(ir, (struct ir_insn){ .op = IR_NEG, .d = ir_v(d) });
		return;
	}
	ir_emit(ir, (struct ir_insn){ .op = IR_ALU, .code = code,
				      .d = ir_v(d), .a = a });
}

void ir_ld64(struct ir *ir, int d, int64_t imm)
{
	ir_emit(ir, (struct ir_insn){ .op = IR_LD64, .d = ir_v(d),
				      .imm = imm });
}

void ir_ldmap(struct ir *ir, int d, int map)
{
	ir_emit(ir, (struct ir_insn){ .op = IR_LDMAP, .d = ir_v(d),
				      .imm = map });
}

void ir_ldconst(struct ir *ir, int d, int which)
{
	ir_emit(ir, (struct ir_insn){ .op = IR_LDCONST, .d = ir_v(d),
				      .imm = which });
}

void ir_ldfunc(struct ir *ir, int d, int sub)
{
	ir_emit(ir, (struct ir_insn){ .op = IR_LDFUNC, .d = ir_v(d),
				      .imm = sub });
}

const char *prog_const_name(int which)
{
	static const char *const names[] = {
		[PROG_CONST_TARGET] = "target",
		[PROG_CONST_RB_WAKEUP] = "rb_wakeup",
	};

	if (which < 0 || which >= PROG_CONST_NUM)
		return "unknown";
	return names[which];
}

/* Offsets are int16_t in the insn, as in BPF. One that does not fit is
 * not an internal error: sema bounds every value, but a statement can
 * still ask for more stack than that. It is noted in the ir for gen to
 * report at the statement, and ir_to_bpf refuses such an ir. */
static int16_t ir_off16(struct ir *ir, int off)
{
	if (off < INT16_MIN || off > INT16_MAX) {
		ir->bad_off = 1;
		return 0;
	}
	return (int16_t)off;
}

void ir_stackaddr(struct ir *ir, int d, int off)
{
	ir_emit(ir, (struct ir_insn){ .op = IR_STACK, .d = ir_v(d),
				      .off = ir_off16(ir, off) });
}

void ir_ldx(struct ir *ir, int size, int d, struct ir_opnd base, int off)
{
	ir_emit(ir, (struct ir_insn){ .op = IR_LDX, .size = size,
				      .d = ir_v(d), .a = base,
				      .off = ir_off16(ir, off) });
}

void ir_stx(struct ir *ir, int size, struct ir_opnd base, int off, int a)
{
	ir_emit(ir, (struct ir_insn){ .op = IR_STX, .size = size, .d = base,
				      .a = ir_v(a), .off = ir_off16(ir, off) });
}

void ir_st(struct ir *ir, int size, struct ir_opnd base, int off, int64_t imm)
{
	ir_emit(ir, (struct ir_insn){ .op = IR_ST, .size = size, .d = base,
				      .off = ir_off16(ir, off), .imm = imm });
}

void ir_xadd(struct ir *ir, int size, struct ir_opnd base, int off, int a)
{
	if (size != 4 && size != 8)
		unreachable();	/* the kernel has no narrower atomics */
	ir_emit(ir, (struct ir_insn){ .op = IR_XADD, .size = size, .d = base,
				      .a = ir_v(a), .off = ir_off16(ir, off) });
}

void ir_jmp(struct ir *ir, int code, struct ir_opnd a, struct ir_opnd b,
	    int label)
{
	ir_emit(ir, (struct ir_insn){ .op = IR_JMP, .code = code, .a = a,
				      .b = b, .label = label });
}

void ir_ja(struct ir *ir, int label)
{
	ir_emit(ir, (struct ir_insn){ .op = IR_JMP, .code = BPF_JA,
				      .label = label });
}

void ir_place(struct ir *ir, int label)
{
	ir_emit(ir, (struct ir_insn){ .op = IR_LABEL, .label = label });
}

void ir_ret(struct ir *ir, struct ir_opnd a)
{
	ir_emit(ir, (struct ir_insn){ .op = IR_RET, .a = a });
}

/* Whole words first; a ragged tail (not expected, but cheap to allow)
 * gets the widest stores that fit. */
void ir_zero_at(struct ir *ir, struct ir_opnd base, int off, size_t size)
{
	static const int widths[] = { 8, 4, 2, 1 };
	size_t i, done = 0;

	for (i = 0; i < ARRAY_SIZE(widths); i++) {
		for (; size - done >= (size_t)widths[i]; done += widths[i])
			ir_st(ir, widths[i], base, off + (int)done, 0);
	}
}

void ir_zero(struct ir *ir, int off, size_t size)
{
	ir_zero_at(ir, ir_fp(), off, size);
}

/* ---- dump ---- */

const char *bpf_helper_name(int func)
{
	switch (func) {
	case BPF_FUNC_map_lookup_elem:		return "map_lookup_elem";
	case BPF_FUNC_map_update_elem:		return "map_update_elem";
	case BPF_FUNC_map_delete_elem:		return "map_delete_elem";
	case BPF_FUNC_probe_read:		return "probe_read";
	case BPF_FUNC_probe_read_str:		return "probe_read_str";
	case BPF_FUNC_probe_read_kernel:	return "probe_read_kernel";
	case BPF_FUNC_probe_read_user:		return "probe_read_user";
	case BPF_FUNC_probe_read_kernel_str:	return "probe_read_kernel_str";
	case BPF_FUNC_probe_read_user_str:	return "probe_read_user_str";
	case BPF_FUNC_ktime_get_ns:		return "ktime_get_ns";
	case BPF_FUNC_ktime_get_boot_ns:	return "ktime_get_boot_ns";
	case BPF_FUNC_get_current_pid_tgid:	return "get_current_pid_tgid";
	case BPF_FUNC_get_current_uid_gid:	return "get_current_uid_gid";
	case BPF_FUNC_get_current_comm:		return "get_current_comm";
	case BPF_FUNC_get_smp_processor_id:	return "get_smp_processor_id";
	case BPF_FUNC_ringbuf_output:		return "ringbuf_output";
	case BPF_FUNC_ringbuf_query:		return "ringbuf_query";
	case BPF_FUNC_ringbuf_reserve:		return "ringbuf_reserve";
	case BPF_FUNC_ringbuf_submit:		return "ringbuf_submit";
	case BPF_FUNC_ringbuf_discard:		return "ringbuf_discard";
	case BPF_FUNC_get_stackid:		return "get_stackid";
	case BPF_FUNC_perf_event_output:	return "perf_event_output";
	case BPF_FUNC_get_current_task:		return "get_current_task";
	case BPF_FUNC_current_task_under_cgroup:
		return "current_task_under_cgroup";
	case BPF_FUNC_loop:			return "loop";
	}
	return NULL;
}

/* The operator both dumps share, e.g. "+" so callers print "+=". */
const char *bpf_alu_op(int code)
{
	switch (code) {
	case BPF_ADD:	return "+";
	case BPF_SUB:	return "-";
	case BPF_MUL:	return "*";
	case BPF_DIV:	return "/";
	case BPF_MOD:	return "%";
	case BPF_OR:	return "|";
	case BPF_AND:	return "&";
	case BPF_XOR:	return "^";
	case BPF_LSH:	return "<<";
	case BPF_RSH:	return ">>";
	case BPF_ARSH:	return "s>>";
	}
	return "?";
}

const char *bpf_jmp_op(int code)
{
	switch (code) {
	case BPF_JEQ:	return "==";
	case BPF_JNE:	return "!=";
	case BPF_JGT:	return ">";
	case BPF_JGE:	return ">=";
	case BPF_JLT:	return "<";
	case BPF_JLE:	return "<=";
	case BPF_JSGT:	return "s>";
	case BPF_JSGE:	return "s>=";
	case BPF_JSLT:	return "s<";
	case BPF_JSLE:	return "s<=";
	case BPF_JSET:	return "&";
	}
	return "?";
}

static void dump_opnd(struct ir_opnd o, FILE *out)
{
	switch (o.kind) {
	case O_VREG:	fprintf(out, "v%" PRId64, o.v); break;
	case O_IMM:	fprintf(out, "%" PRId64, o.v); break;
	case O_FP:	fputs("fp", out); break;
	case O_CTX:
		if (o.v)
			fprintf(out, "arg%" PRId64, o.v);
		else
			fputs("ctx", out);
		break;
	case O_NONE:	fputs("_", out); break;
	}
}

/* "*(u32 *)(v2 + 16)" */
static void dump_mem(int size, struct ir_opnd base, int off, FILE *out)
{
	fprintf(out, "*(u%d *)(", size * 8);
	dump_opnd(base, out);
	fprintf(out, " %c %d)", off < 0 ? '-' : '+', off < 0 ? -off : off);
}

static void dump_call(const struct ir_insn *in, FILE *out)
{
	const char *name = bpf_helper_name(in->helper);
	int i;

	if (in->d.kind != O_NONE) {
		dump_opnd(in->d, out);
		fputs(" = ", out);
	}
	if (name)
		fprintf(out, "call %s(", name);
	else
		fprintf(out, "call helper#%d(", in->helper);
	for (i = 0; i < in->nargs; i++) {
		if (i)
			fputs(", ", out);
		if (in->args[i].kind == O_FP) {
			fprintf(out, "fp%+d", in->argoff[i]);
		} else {
			dump_opnd(in->args[i], out);
			if (in->argoff[i])
				fprintf(out, "%+d", in->argoff[i]);
		}
	}
	fputc(')', out);
}

static void dump_jmp(const struct ir_insn *in, FILE *out)
{
	if (in->code == BPF_JA) {
		fprintf(out, "goto L%d", in->label);
		return;
	}
	fputs("if ", out);
	dump_opnd(in->a, out);
	fprintf(out, " %s ", bpf_jmp_op(in->code));
	dump_opnd(in->b, out);
	fprintf(out, " goto L%d", in->label);
}

static void dump_insn(const struct ir_insn *in, FILE *out)
{
	switch (in->op) {
	case IR_LABEL:
		fprintf(out, "L%d:", in->label);
		return;
	case IR_MOV:
		fputs("  ", out);
		dump_opnd(in->d, out);
		fputs(" = ", out);
		dump_opnd(in->a, out);
		return;
	case IR_ALU:
		fputs("  ", out);
		dump_opnd(in->d, out);
		fprintf(out, " %s= ", bpf_alu_op(in->code));
		dump_opnd(in->a, out);
		return;
	case IR_NEG:
		fputs("  ", out);
		dump_opnd(in->d, out);
		fputs(" = -", out);
		dump_opnd(in->d, out);
		return;
	case IR_LD64:
		fputs("  ", out);
		dump_opnd(in->d, out);
		fprintf(out, " = %" PRId64 " ll", in->imm);
		return;
	case IR_LDMAP:
		fputs("  ", out);
		dump_opnd(in->d, out);
		fprintf(out, " = map#%" PRId64, in->imm);
		return;
	case IR_LDCONST:
		fputs("  ", out);
		dump_opnd(in->d, out);
		fprintf(out, " = const %s", prog_const_name(in->imm));
		return;
	case IR_LDFUNC:
		fputs("  ", out);
		dump_opnd(in->d, out);
		fprintf(out, " = func#%" PRId64, in->imm);
		return;
	case IR_STACK:
		fputs("  ", out);
		dump_opnd(in->d, out);
		fprintf(out, " = fp %c %d", in->off < 0 ? '-' : '+',
			in->off < 0 ? -in->off : in->off);
		return;
	case IR_LDX:
		fputs("  ", out);
		dump_opnd(in->d, out);
		fputs(" = ", out);
		dump_mem(in->size, in->a, in->off, out);
		return;
	case IR_STX:
		fputs("  ", out);
		dump_mem(in->size, in->d, in->off, out);
		fputs(" = ", out);
		dump_opnd(in->a, out);
		return;
	case IR_ST:
		fputs("  ", out);
		dump_mem(in->size, in->d, in->off, out);
		fprintf(out, " = %" PRId64, in->imm);
		return;
	case IR_XADD:
		fputs("  lock ", out);
		dump_mem(in->size, in->d, in->off, out);
		fputs(" += ", out);
		dump_opnd(in->a, out);
		return;
	case IR_JMP:
		fputs("  ", out);
		dump_jmp(in, out);
		return;
	case IR_CALL:
		fputs("  ", out);
		dump_call(in, out);
		return;
	case IR_RET:
		fputs("  return ", out);
		dump_opnd(in->a, out);
		return;
	}
	unreachable();
}

void ir_dump(const struct ir *ir, FILE *out)
{
	size_t i;
	int k;

	for (i = 0; i < ir->n; i++) {
		dump_insn(&ir->insns[i], out);
		if (ir->insns[i].comment)
			fprintf(out, "\t; %s", ir->insns[i].comment);
		fputc('\n', out);
	}
	for (k = 0; k < ir->nsubs; k++) {
		fprintf(out, "func#%d %s:\n", k, ir->sub_names[k]);
		ir_dump(ir->subs[k], out);
	}
}
