/* bpfdump: real BPF as text, in the style of the kernel verifier log and
 * bpftool's xlated dump, so what -S shows can be read next to either. */
#include <inttypes.h>

#include "ir.h"
#include "prog.h"

static const char *size_name(int size)
{
	switch (size) {
	case BPF_B:	return "u8";
	case BPF_H:	return "u16";
	case BPF_W:	return "u32";
	case BPF_DW:	return "u64";
	}
	return "u?";
}

/* 64-bit ALU works on rN, 32-bit on wN (we only emit the former). */
static void dump_alu(const struct bpf_insn *in, FILE *out)
{
	char r = BPF_CLASS(in->code) == BPF_ALU64 ? 'r' : 'w';
	int op = BPF_OP(in->code);

	if (op == BPF_NEG) {
		fprintf(out, "%c%d = -%c%d", r, in->dst_reg, r, in->dst_reg);
		return;
	}
	if (op == BPF_MOV)
		fprintf(out, "%c%d = ", r, in->dst_reg);
	else
		fprintf(out, "%c%d %s= ", r, in->dst_reg, bpf_alu_op(op));
	if (BPF_SRC(in->code) == BPF_X)
		fprintf(out, "%c%d", r, in->src_reg);
	else
		fprintf(out, "%d", in->imm);
}

static void dump_call(const struct bpf_insn *in, FILE *out)
{
	const char *name = bpf_helper_name(in->imm);

	fprintf(out, "call %s#%d", name ? name : "unknown", in->imm);
}

static void dump_jmp(const struct bpf_insn *in, FILE *out)
{
	int op = BPF_OP(in->code);

	switch (op) {
	case BPF_JA:
		fprintf(out, "goto pc%+d", in->off);
		return;
	case BPF_CALL:
		dump_call(in, out);
		return;
	case BPF_EXIT:
		fputs("exit", out);
		return;
	}
	fprintf(out, "if r%d %s ", in->dst_reg, bpf_jmp_op(op));
	if (BPF_SRC(in->code) == BPF_X)
		fprintf(out, "r%d", in->src_reg);
	else
		fprintf(out, "0x%x", (uint32_t)in->imm);
	fprintf(out, " goto pc%+d", in->off);
}

/* Only the plain atomic add is emitted; anything else is shown raw. */
static void dump_atomic(const struct bpf_insn *in, FILE *out)
{
	if (in->imm != BPF_ADD) {
		fprintf(out, "atomic#%#x", (uint32_t)in->imm);
		return;
	}
	fprintf(out, "lock *(%s *)(r%d %+d) += r%d",
		size_name(BPF_SIZE(in->code)), in->dst_reg, in->off,
		in->src_reg);
}

/* Returns how many instructions it took: 2 for ld_imm64. */
static size_t dump_ld(const struct bpf_insn *in, size_t left, FILE *out)
{
	uint64_t v;

	if (in->code != (BPF_LD | BPF_DW | BPF_IMM) || left < 2) {
		fputs("unknown", out);
		return 1;
	}
	if (in->src_reg == BPF_PSEUDO_MAP_FD) {
		fprintf(out, "r%d = map[id:%d]", in->dst_reg, in->imm);
		return 2;
	}
	if (in->src_reg == BPF_PSEUDO_FUNC) {
		fprintf(out, "r%d = func[pc%+d]", in->dst_reg, in->imm);
		return 2;
	}
	if (in->src_reg == PROG_PSEUDO_CONST) {
		fprintf(out, "r%d = const[%s]", in->dst_reg,
			prog_const_name(in->imm));
		return 2;
	}
	v = (uint32_t)in[0].imm | (uint64_t)(uint32_t)in[1].imm << 32;
	fprintf(out, "r%d = 0x%" PRIx64, in->dst_reg, v);
	return 2;
}

static size_t dump_insn(const struct bpf_insn *in, size_t left, FILE *out)
{
	int size = BPF_SIZE(in->code);

	switch (BPF_CLASS(in->code)) {
	case BPF_ALU64:
	case BPF_ALU:
		dump_alu(in, out);
		return 1;
	case BPF_JMP:
		dump_jmp(in, out);
		return 1;
	case BPF_LDX:
		fprintf(out, "r%d = *(%s *)(r%d %+d)", in->dst_reg,
			size_name(size), in->src_reg, in->off);
		return 1;
	case BPF_STX:
		if (BPF_MODE(in->code) == BPF_ATOMIC) {
			dump_atomic(in, out);
			return 1;
		}
		fprintf(out, "*(%s *)(r%d %+d) = r%d", size_name(size),
			in->dst_reg, in->off, in->src_reg);
		return 1;
	case BPF_ST:
		fprintf(out, "*(%s *)(r%d %+d) = %d", size_name(size),
			in->dst_reg, in->off, in->imm);
		return 1;
	case BPF_LD:
		return dump_ld(in, left, out);
	}
	fputs("unknown", out);
	return 1;
}

void bpf_dump(const struct bpf_insn *insns, size_t n, FILE *out)
{
	size_t i = 0;

	while (i < n) {
		fprintf(out, "%4zu: (%02x) ", i, insns[i].code);
		i += dump_insn(&insns[i], n - i, out);
		fputc('\n', out);
	}
}
