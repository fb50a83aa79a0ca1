/* test_ir: the back end against the real kernel. Each case builds ir by
 * hand, compiles it with ir_to_bpf, loads it as a raw tracepoint program
 * and runs it with BPF_PROG_TEST_RUN; the verifier checks the encoding and
 * the return value checks the meaning. The dumps are compared to exact
 * text. Needs root. */
#include <bpf/bpf.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ir.h"
#include "test.h"

static char log_buf[1 << 20];

/* The loader's job in ply; here it is enough to swap map index i for
 * fds[i] in every ld_imm64 that names a map. */
static void patch_maps(struct bpf_insn *insns, size_t n, const int *fds,
		       int nfds)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (insns[i].code != (BPF_LD | BPF_DW | BPF_IMM))
			continue;
		if (insns[i].src_reg == BPF_PSEUDO_MAP_FD &&
		    insns[i].imm >= 0 && insns[i].imm < nfds)
			insns[i].imm = fds[insns[i].imm];
		i++;
	}
}

/* What must hold for any program we emit: only r0-r10, r10 never
 * written, and no "mov rX, rX". */
static int sane(const struct bpf_insn *insns, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct bpf_insn *in = &insns[i];
		int cls = BPF_CLASS(in->code);

		if (in->dst_reg > 10 || in->src_reg > 10)
			return 0;
		if ((cls == BPF_ALU64 || cls == BPF_LDX) && in->dst_reg == 10)
			return 0;
		if (in->code == (BPF_ALU64 | BPF_MOV | BPF_X) &&
		    in->dst_reg == in->src_reg)
			return 0;
		if (in->code == (BPF_LD | BPF_DW | BPF_IMM))
			i++;
	}
	return 1;
}

static int compile(const struct ir *ir, struct bpf_insn **insns, size_t *n)
{
	char err[128] = "";
	int ret = ir_to_bpf(ir, insns, n, err, sizeof(err));

	if (ret) {
		fprintf(stderr, "ir_to_bpf: %d (%s)\n", ret, err);
		ir_dump(ir, stderr);
	}
	return ret;
}

/* Compile, load and run ir once; -1 (and a failed check) on any error. */
static int run_ir(const struct ir *ir, const int *fds, int nfds,
		  uint32_t *retval)
{
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .log_buf = log_buf,
		    .log_size = sizeof(log_buf));
	LIBBPF_OPTS(bpf_test_run_opts, to);
	struct bpf_insn *insns = NULL;
	size_t n;
	int fd = -1, ret = -1;

	if (compile(ir, &insns, &n))
		goto cleanup;
	CHECK(sane(insns, n));
	patch_maps(insns, n, fds, nfds);
	log_buf[0] = '\0';
	fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "test_ir", "GPL",
			   insns, n, &lo);
	if (fd < 0) {
		fprintf(stderr, "load failed: %s\n%s\nir:\n", strerror(-fd),
			log_buf);
		ir_dump(ir, stderr);
		fprintf(stderr, "bpf:\n");
		bpf_dump(insns, n, stderr);
		goto cleanup;
	}
	if (bpf_prog_test_run_opts(fd, &to)) {
		fprintf(stderr, "test run failed: %s\n", strerror(errno));
		goto cleanup;
	}
	*retval = to.retval;
	ret = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	free(insns);
	CHECK(ret == 0);
	return ret;
}

/* A builder computes a value into a vreg and returns it. */
typedef int (*build_fn)(struct ir *ir, const void *arg);

static int run_half(build_fn build, const void *arg, const int *fds,
		    int nfds, int hi, uint32_t *half)
{
	struct arena *a = arena__new();
	struct ir ir;
	int v, ret;

	ir_init(&ir, a);
	v = build(&ir, arg);
	if (hi)
		ir_alu(&ir, BPF_RSH, v, ir_imm(32));
	ir_ret(&ir, ir_v(v));
	ret = run_ir(&ir, fds, nfds, half);
	arena__free(a);
	return ret;
}

/* The test run returns only 32 bits, so run the program twice: once
 * returning the low half and once the high half. */
static uint64_t run64(build_fn build, const void *arg, const int *fds,
		      int nfds)
{
	uint32_t lo = 0, hi = 0;

	if (run_half(build, arg, fds, nfds, 0, &lo) ||
	    run_half(build, arg, fds, nfds, 1, &hi))
		return 0xdeadbeefdeadbeefULL;
	return (uint64_t)hi << 32 | lo;
}

/* ---- ALU ---- */

struct alu_case {
	int code;
	uint64_t a, b;
	int imm;		/* b as an immediate, not a register */
};

static int build_alu(struct ir *ir, const void *arg)
{
	const struct alu_case *c = arg;
	int d = ir_vreg(ir), b;

	ir_ld64(ir, d, c->a);
	if (c->imm) {
		ir_alu(ir, c->code, d, ir_imm((int64_t)c->b));
	} else {
		b = ir_vreg(ir);
		ir_ld64(ir, b, c->b);
		ir_alu(ir, c->code, d, ir_v(b));
	}
	return d;
}

static uint64_t alu_expect(int code, uint64_t a, uint64_t b)
{
	switch (code) {
	case BPF_ADD:	return a + b;
	case BPF_SUB:	return a - b;
	case BPF_MUL:	return a * b;
	case BPF_DIV:	return b ? a / b : 0;
	case BPF_MOD:	return b ? a % b : a;
	case BPF_OR:	return a | b;
	case BPF_AND:	return a & b;
	case BPF_XOR:	return a ^ b;
	case BPF_LSH:	return a << (b & 63);
	case BPF_RSH:	return a >> (b & 63);
	case BPF_ARSH:	return (uint64_t)((int64_t)a >> (b & 63));
	case BPF_NEG:	return -a;
	}
	return 0;
}

static int is_shift(int code)
{
	return code == BPF_LSH || code == BPF_RSH || code == BPF_ARSH;
}

static void test_alu(void)
{
	static const int codes[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV,
		BPF_MOD, BPF_OR, BPF_AND, BPF_XOR, BPF_LSH, BPF_RSH, BPF_ARSH };
	static const uint64_t as[] = { 0x123456789abcdef0ULL, -5ULL, 7,
				       0x8000000000000000ULL };
	static const uint64_t bs[] = { 3, -2ULL, 0x100000001ULL, 63 };
	size_t i, j, k;
	int imm;

	for (i = 0; i < ARRAY_SIZE(codes); i++)
	for (j = 0; j < ARRAY_SIZE(as); j++)
	for (k = 0; k < ARRAY_SIZE(bs); k++)
	for (imm = 0; imm < 2; imm++) {
		struct alu_case c = { codes[i], as[j], bs[k], imm };
		int64_t sb = (int64_t)c.b;
		uint64_t got, want;

		if (is_shift(c.code))
			c.b &= 63;
		/* immediates are 32-bit; keep divisors positive so the
		 * sign extension of the immediate isn't what's tested */
		if (imm && (sb < INT32_MIN || sb > INT32_MAX))
			continue;
		if (imm && (c.code == BPF_DIV || c.code == BPF_MOD) && sb < 0)
			continue;
		want = alu_expect(c.code, c.a, c.b);
		got = run64(build_alu, &c, NULL, 0);
		if (got != want)
			fprintf(stderr, "alu %s: %#llx op %#llx imm=%d: got "
				"%#llx want %#llx\n", bpf_alu_op(c.code),
				(unsigned long long)c.a,
				(unsigned long long)c.b, imm,
				(unsigned long long)got,
				(unsigned long long)want);
		CHECK(got == want);
	}
}

static int build_neg(struct ir *ir, const void *arg)
{
	int d = ir_vreg(ir);

	ir_ld64(ir, d, *(const uint64_t *)arg);
	ir_alu(ir, BPF_NEG, d, ir_imm(0));
	return d;
}

static void test_neg(void)
{
	static const uint64_t vs[] = { 1, 0x123456789ULL, -7ULL, 0 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vs); i++)
		CHECK(run64(build_neg, &vs[i], NULL, 0) == -vs[i]);
}

/* ---- conditional jumps ---- */

struct jmp_case {
	int code;
	int64_t a, b;
	int imm;
};

static int build_jmp(struct ir *ir, const void *arg)
{
	const struct jmp_case *c = arg;
	int a = ir_vreg(ir), b, r = ir_vreg(ir), l = ir_label(ir);

	ir_ld64(ir, a, c->a);
	ir_mov(ir, r, ir_imm(1));
	if (c->imm) {
		ir_jmp(ir, c->code, ir_v(a), ir_imm(c->b), l);
	} else {
		b = ir_vreg(ir);
		ir_ld64(ir, b, c->b);
		ir_jmp(ir, c->code, ir_v(a), ir_v(b), l);
	}
	ir_mov(ir, r, ir_imm(0));
	ir_place(ir, l);
	return r;
}

static int jmp_expect(int code, int64_t a, int64_t b)
{
	uint64_t ua = a, ub = b;

	switch (code) {
	case BPF_JEQ:	return a == b;
	case BPF_JNE:	return a != b;
	case BPF_JGT:	return ua > ub;
	case BPF_JGE:	return ua >= ub;
	case BPF_JLT:	return ua < ub;
	case BPF_JLE:	return ua <= ub;
	case BPF_JSGT:	return a > b;
	case BPF_JSGE:	return a >= b;
	case BPF_JSLT:	return a < b;
	case BPF_JSLE:	return a <= b;
	case BPF_JSET:	return (ua & ub) != 0;
	}
	return -1;
}

static void test_jmp(void)
{
	static const int codes[] = { BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JGE,
		BPF_JLT, BPF_JLE, BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE,
		BPF_JSET };
	static const int64_t pairs[][2] = { { 5, 5 }, { 5, 7 }, { 7, 5 },
		{ -1, 1 }, { 1, -1 }, { -3, -3 }, { 0x100000000LL, 0 },
		{ 6, 3 }, { 0x500000000LL, 0x400000000LL } };
	int taken[2] = { 0, 0 };
	size_t i, j;
	int imm;

	for (i = 0; i < ARRAY_SIZE(codes); i++)
	for (j = 0; j < ARRAY_SIZE(pairs); j++)
	for (imm = 0; imm < 2; imm++) {
		struct jmp_case c = { codes[i], pairs[j][0], pairs[j][1],
				      imm };
		uint32_t got = 2;
		int want = jmp_expect(c.code, c.a, c.b);
		struct arena *a;
		struct ir ir;

		if (imm && (c.b < INT32_MIN || c.b > INT32_MAX))
			continue;
		a = arena__new();
		ir_init(&ir, a);
		ir_ret(&ir, ir_v(build_jmp(&ir, &c)));
		if (!run_ir(&ir, NULL, 0, &got) && (int)got != want)
			fprintf(stderr, "jmp %lld %s %lld imm=%d: got %u\n",
				(long long)c.a, bpf_jmp_op(c.code),
				(long long)c.b, imm, got);
		CHECK((int)got == want);
		taken[want]++;
		arena__free(a);
	}
	/* every code was seen both ways */
	CHECK(taken[0] >= (int)ARRAY_SIZE(codes) * 2);
	CHECK(taken[1] >= (int)ARRAY_SIZE(codes) * 2);
}

/* ---- register pressure ---- */

#define NLIVE 20

static uint64_t live_value(int i)
{
	return 0x9e3779b97f4a7c15ULL * (i + 1) ^ (uint64_t)i << 7;
}

/* NLIVE values all live at once, some computed from pairs of others
 * (both likely spilled), a compare of two, and a checksum. arg != NULL:
 * calls ktime_get_ns in the middle, with everything live across it. */
static int build_pressure(struct ir *ir, const void *arg)
{
	int v[NLIVE], acc, t, i, skip = ir_label(ir);

	for (i = 0; i < NLIVE; i++) {
		v[i] = ir_vreg(ir);
		ir_ld64(ir, v[i], live_value(i));
	}
	if (arg) {
		t = ir_vreg(ir);
		ir_emit(ir, (struct ir_insn){ .op = IR_CALL, .d = ir_v(t),
			.helper = BPF_FUNC_ktime_get_ns });
		ir_alu(ir, BPF_AND, t, ir_imm(0));
		ir_alu(ir, BPF_ADD, v[7], ir_v(t));
	}
	for (i = 0; i < NLIVE / 2; i++)
		ir_alu(ir, BPF_XOR, v[i], ir_v(v[NLIVE - 1 - i]));
	ir_jmp(ir, BPF_JGT, ir_v(v[3]), ir_v(v[NLIVE - 2]), skip);
	ir_alu(ir, BPF_ADD, v[0], ir_imm(1));
	ir_place(ir, skip);
	acc = ir_vreg(ir);
	ir_mov(ir, acc, ir_imm(0));
	for (i = 0; i < NLIVE; i++) {
		ir_alu(ir, BPF_MUL, acc, ir_imm(31));
		ir_alu(ir, BPF_ADD, acc, ir_v(v[i]));
	}
	return acc;
}

static uint64_t pressure_expect(void)
{
	uint64_t v[NLIVE], acc = 0;
	int i;

	for (i = 0; i < NLIVE; i++)
		v[i] = live_value(i);
	for (i = 0; i < NLIVE / 2; i++)
		v[i] ^= v[NLIVE - 1 - i];
	if (!(v[3] > v[NLIVE - 2]))
		v[0] += 1;
	for (i = 0; i < NLIVE; i++)
		acc = acc * 31 + v[i];
	return acc;
}

/* Spill slots are 8-byte stores below the generator's stack. */
static int count_spill_stores(const struct bpf_insn *insns, size_t n,
			      int stack)
{
	int k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if ((BPF_CLASS(insns[i].code) == BPF_STX ||
		     BPF_CLASS(insns[i].code) == BPF_ST) &&
		    insns[i].dst_reg == BPF_REG_10 && insns[i].off < -stack)
			k++;
	return k;
}

static void test_pressure(void)
{
	static const int with_call = 1;
	struct bpf_insn *insns = NULL;
	struct arena *a = arena__new();
	struct ir ir;
	size_t n;

	CHECK(run64(build_pressure, NULL, NULL, 0) == pressure_expect());
	CHECK(run64(build_pressure, &with_call, NULL, 0) ==
	      pressure_expect());

	ir_init(&ir, a);
	ir_ret(&ir, ir_v(build_pressure(&ir, NULL)));
	if (!compile(&ir, &insns, &n))
		CHECK(count_spill_stores(insns, n, ir.stack) > 0);
	free(insns);
	arena__free(a);
}

/* ---- values across helper calls ---- */

/* Six values (two spilled) live across three calls; one reaches a helper
 * from a spill slot. */
static int build_calls(struct ir *ir, const void *arg)
{
	int v[6], t0 = ir_vreg(ir), t1 = ir_vreg(ir), cpu = ir_vreg(ir);
	int p = ir_vreg(ir), got = ir_vreg(ir), bad = ir_label(ir), i;
	int q = ir_vreg(ir);
	int buf = ir_stack(ir, 16);

	for (i = 0; i < 6; i++) {
		v[i] = ir_vreg(ir);
		ir_ld64(ir, v[i], 0x1111111111111111LL * (i + 1));
	}
	ir_st(ir, 8, ir_fp(), buf + 8, 0x7eadbeef);
	ir_stackaddr(ir, p, buf + 8);
	ir_emit(ir, (struct ir_insn){ .op = IR_CALL, .d = ir_v(t0),
		.helper = BPF_FUNC_ktime_get_ns });
	ir_emit(ir, (struct ir_insn){ .op = IR_CALL, .d = ir_v(cpu),
		.helper = BPF_FUNC_get_smp_processor_id });
	/* probe_read_kernel(fp + buf, 8, p): copies buf+8 to buf; q only
	 * lives up to the call, as its argument */
	ir_stackaddr(ir, q, buf);
	ir_emit(ir, (struct ir_insn){ .op = IR_CALL,
		.helper = BPF_FUNC_probe_read_kernel, .nargs = 3,
		.args = { ir_v(q), ir_imm(8), ir_v(p) } });
	ir_emit(ir, (struct ir_insn){ .op = IR_CALL, .d = ir_v(t1),
		.helper = BPF_FUNC_ktime_get_ns });
	ir_ldx(ir, 8, got, ir_fp(), buf);
	ir_jmp(ir, BPF_JLT, ir_v(t1), ir_v(t0), bad);
	ir_jmp(ir, BPF_JEQ, ir_v(t0), ir_imm(0), bad);
	ir_jmp(ir, BPF_JNE, ir_v(got), ir_imm(0x7eadbeef), bad);
	for (i = 1; i < 6; i++)
		ir_alu(ir, BPF_ADD, v[0], ir_v(v[i]));
	ir_alu(ir, BPF_AND, cpu, ir_imm(0));
	ir_alu(ir, BPF_ADD, v[0], ir_v(cpu));
	ir_place(ir, bad);
	return v[0];
}

static void test_calls(void)
{
	CHECK(run64(build_calls, NULL, NULL, 0) == 0x1111111111111111ULL * 21);
}

/* ---- stack ---- */

static int build_stack(struct ir *ir, const void *arg)
{
	int off = ir_stack(ir, 16), off2 = ir_stack(ir, 5);
	int b = ir_vreg(ir), x = ir_vreg(ir), r = ir_vreg(ir);
	int y = ir_vreg(ir);

	if (off != -16 || off2 != -24)
		return -1;
	ir_zero(ir, -24, 24);
	ir_st(ir, 8, ir_fp(), -16, 0x1122334455667788LL);
	ir_st(ir, 4, ir_fp(), -8, 0xa1b2c3d4);
	ir_stackaddr(ir, b, -16);
	ir_ld64(ir, x, 0xcafe);
	ir_stx(ir, 2, ir_v(b), 2, x);
	ir_stx(ir, 1, ir_fp(), -24, x);
	ir_st(ir, 1, ir_v(b), 12, 0x99);
	ir_ldx(ir, 8, r, ir_v(b), 0);
	ir_ldx(ir, 4, y, ir_v(b), 8);
	ir_alu(ir, BPF_XOR, r, ir_v(y));
	ir_ldx(ir, 8, y, ir_fp(), -24);
	ir_alu(ir, BPF_ADD, r, ir_v(y));
	ir_ldx(ir, 1, y, ir_v(b), 12);
	ir_alu(ir, BPF_ADD, r, ir_v(y));
	ir_ldx(ir, 2, y, ir_v(b), 2);
	ir_alu(ir, BPF_ADD, r, ir_v(y));
	return r;
}

/* The same stores on a little-endian byte array. */
static uint64_t stack_expect(void)
{
	uint8_t m[24] = { 0 };		/* m[0] is fp-24 */
	uint64_t u64 = 0x1122334455667788ULL, r, y = 0;
	uint32_t u32 = 0xa1b2c3d4, w;
	uint16_t h = 0xcafe, hh;

	memcpy(&m[8], &u64, 8);
	memcpy(&m[16], &u32, 4);
	memcpy(&m[10], &h, 2);
	m[0] = 0xfe;
	m[20] = 0x99;
	memcpy(&r, &m[8], 8);
	memcpy(&w, &m[16], 4);
	r ^= w;
	memcpy(&y, &m[0], 8);
	r += y;
	r += m[20];
	memcpy(&hh, &m[10], 2);
	return r + hh;
}

static void test_stack(void)
{
	struct arena *a = arena__new();
	struct ir ir;

	ir_init(&ir, a);
	CHECK(ir_stack(&ir, 16) == -16);
	CHECK(ir_stack(&ir, 1) == -24);
	CHECK(ir_stack(&ir, 8) == -32);
	CHECK(ir.stack == 32);
	arena__free(a);
	CHECK(run64(build_stack, NULL, NULL, 0) == stack_expect());
}

/* ---- maps ---- */

/* map[2] += 40 through map_lookup_elem, then += 2 atomically; map[3] =
 * 1234 through map_update_elem; returns map[2] before the atomic add. */
static void build_map(struct ir *ir)
{
	int key = ir_stack(ir, 8), key3 = ir_stack(ir, 8);
	int val = ir_stack(ir, 8);
	int m = ir_vreg(ir), p = ir_vreg(ir), x = ir_vreg(ir);
	int two = ir_vreg(ir), out = ir_label(ir);

	ir_st(ir, 4, ir_fp(), key, 2);
	ir_st(ir, 4, ir_fp(), key3, 3);
	ir_st(ir, 8, ir_fp(), val, 1234);
	ir_ldmap(ir, m, 0);
	ir_emit(ir, (struct ir_insn){ .op = IR_CALL, .d = ir_v(p),
		.helper = BPF_FUNC_map_lookup_elem, .nargs = 2,
		.args = { ir_v(m), ir_fp() }, .argoff = { 0, key } });
	ir_mov(ir, x, ir_imm(0));
	ir_jmp(ir, BPF_JEQ, ir_v(p), ir_imm(0), out);
	ir_ldx(ir, 8, x, ir_v(p), 0);
	ir_alu(ir, BPF_ADD, x, ir_imm(40));
	ir_stx(ir, 8, ir_v(p), 0, x);
	ir_mov(ir, two, ir_imm(2));
	ir_xadd(ir, 8, ir_v(p), 0, two);
	ir_emit(ir, (struct ir_insn){ .op = IR_CALL,
		.helper = BPF_FUNC_map_update_elem, .nargs = 4,
		.args = { ir_v(m), ir_fp(), ir_fp(), ir_imm(BPF_ANY) },
		.argoff = { 0, key3, val } });
	ir_place(ir, out);
	ir_ret(ir, ir_v(x));
}

static void test_map(void)
{
	struct arena *a = arena__new();
	uint64_t v = 2, got = 0;
	uint32_t k = 2, ret = 0;
	struct ir ir;
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "test_ir", 4, 8, 4, NULL);
	CHECK(fd >= 0);
	if (fd < 0)
		goto cleanup;
	CHECK(bpf_map_update_elem(fd, &k, &v, BPF_ANY) == 0);
	ir_init(&ir, a);
	build_map(&ir);
	CHECK(run_ir(&ir, &fd, 1, &ret) == 0);
	CHECK(ret == 42);
	CHECK(bpf_map_lookup_elem(fd, &k, &got) == 0 && got == 44);
	k = 3;
	CHECK(bpf_map_lookup_elem(fd, &k, &got) == 0 && got == 1234);
	close(fd);
cleanup:
	arena__free(a);
}

/* ---- limits and errors ---- */

static int try_compile(struct ir *ir, char *err, size_t errlen)
{
	struct bpf_insn *insns = NULL;
	size_t n = 0;
	int ret;

	err[0] = '\0';
	ret = ir_to_bpf(ir, &insns, &n, err, errlen);
	free(insns);
	return ret;
}

static void test_limits(void)
{
	struct arena *a = arena__new();
	char err[128];
	struct ir ir;
	uint32_t ret = 1;
	int v, l, i;

	ir_init(&ir, a);
	ir_stack(&ir, 520);
	ir_ret(&ir, ir_imm(0));
	CHECK(try_compile(&ir, err, sizeof(err)) == -E2BIG);
	CHECK_STR(err, "program needs 520 bytes of stack; the kernel allows "
		  "512");

	/* exactly 512 is fine, and the kernel agrees */
	ir_init(&ir, a);
	ir_zero(&ir, ir_stack(&ir, 512), 512);
	ir_ret(&ir, ir_imm(7));
	CHECK(run_ir(&ir, NULL, 0, &ret) == 0 && ret == 7);

	/* the generator's 504 bytes fit, the spill slots don't */
	ir_init(&ir, a);
	ir_stack(&ir, 504);
	ir_ret(&ir, ir_v(build_pressure(&ir, NULL)));
	CHECK(try_compile(&ir, err, sizeof(err)) == -E2BIG);
	CHECK(!strncmp(err, "program needs ", 14) && atoi(err + 14) > 512);

	/* a jump over more than 32767 instructions */
	ir_init(&ir, a);
	v = ir_vreg(&ir);
	l = ir_label(&ir);
	ir_mov(&ir, v, ir_imm(0));
	ir_jmp(&ir, BPF_JEQ, ir_v(v), ir_imm(0), l);
	for (i = 0; i < 33000; i++)
		ir_alu(&ir, BPF_ADD, v, ir_imm(1));
	ir_place(&ir, l);
	ir_ret(&ir, ir_v(v));
	CHECK(try_compile(&ir, err, sizeof(err)) == -E2BIG);
	CHECK_STR(err, "jump over 33000 instructions; the kernel allows "
		  "32767");

	/* once an abort: an offset beyond 16 bits is noted, then refused */
	ir_init(&ir, a);
	v = ir_vreg(&ir);
	ir_stackaddr(&ir, v, -8);
	ir_ldx(&ir, 8, v, ir_v(v), 40000);
	CHECK(ir.bad_off);
	ir_ret(&ir, ir_v(v));
	CHECK(try_compile(&ir, err, sizeof(err)) == -E2BIG);
	CHECK_STR(err, "a memory offset does not fit in the 16 bits of a BPF "
		  "instruction");
	arena__free(a);
}

/* A backward jump is a generator bug: the back end must abort, not emit
 * something with wrong live ranges. */
static void test_backward_jump(void)
{
	struct arena *a;
	struct ir ir;
	char err[64];
	int status = 0, l;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stderr);
		a = arena__new();
		ir_init(&ir, a);
		l = ir_label(&ir);
		ir_place(&ir, l);
		ir_ja(&ir, l);
		try_compile(&ir, err, sizeof(err));
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

/* ---- allocation quality ---- */

/* "v1 = v0" where v0 dies takes over v0's register: no move at all, and
 * with four or fewer values live nothing is spilled. */
static void test_coalesce(void)
{
	struct arena *a = arena__new();
	struct bpf_insn *insns = NULL;
	struct ir ir;
	uint32_t ret = 0;
	size_t n = 0;
	int v[4], w, i;

	ir_init(&ir, a);
	for (i = 0; i < 4; i++) {
		v[i] = ir_vreg(&ir);
		ir_mov(&ir, v[i], ir_imm(i + 1));
	}
	w = ir_vreg(&ir);
	ir_mov(&ir, w, ir_v(v[0]));
	for (i = 1; i < 4; i++)
		ir_alu(&ir, BPF_MUL, w, ir_v(v[i]));
	ir_ret(&ir, ir_v(w));
	if (!compile(&ir, &insns, &n)) {
		/* 4 movs, 3 muls, mov r0 + exit */
		CHECK(n == 9);
		CHECK(count_spill_stores(insns, n, 0) == 0);
		for (i = 0; i < (int)n; i++)
			CHECK(insns[i].dst_reg == 0 || (insns[i].dst_reg >= 3 &&
			      insns[i].dst_reg <= 9));
	}
	free(insns);
	CHECK(run_ir(&ir, NULL, 0, &ret) == 0 && ret == 24);
	arena__free(a);
}

/* ---- dumps ---- */

static char *dump_to_string(const struct ir *ir, int bpf)
{
	struct bpf_insn *insns = NULL;
	char *s = NULL;
	size_t len, n;
	FILE *f = open_memstream(&s, &len);

	if (!bpf) {
		ir_dump(ir, f);
	} else if (!compile(ir, &insns, &n)) {
		bpf_dump(insns, n, f);
		free(insns);
	}
	fclose(f);
	return s;
}

static void build_small(struct ir *ir)
{
	int key = ir_stack(ir, 8);
	int c = ir_vreg(ir), m = ir_vreg(ir), p = ir_vreg(ir);
	int x = ir_vreg(ir), out = ir_label(ir);

	ir_mov(ir, c, (struct ir_opnd){ .kind = O_CTX });
	ir_st(ir, 4, ir_fp(), key, 0);
	ir_ldmap(ir, m, 0);
	ir_emit(ir, (struct ir_insn){ .op = IR_CALL, .d = ir_v(p),
		.helper = BPF_FUNC_map_lookup_elem, .nargs = 2,
		.args = { ir_v(m), ir_fp() }, .argoff = { 0, key },
		.comment = "@count[0]" });
	ir_jmp(ir, BPF_JEQ, ir_v(p), ir_imm(0), out);
	ir_ldx(ir, 8, x, ir_v(p), 0);
	ir_alu(ir, BPF_ADD, x, ir_v(c));
	ir_alu(ir, BPF_ARSH, x, ir_imm(1));
	ir_stx(ir, 8, ir_v(p), 0, x);
	ir_xadd(ir, 8, ir_v(p), 0, c);
	ir_ld64(ir, x, 0x100000000LL);
	ir_emit(ir, (struct ir_insn){ .op = IR_CALL, .helper = 1000 });
	ir_place(ir, out);
	ir_ret(ir, ir_imm(0));
}

static void test_dumps(void)
{
	struct arena *a = arena__new();
	struct ir ir;
	char *s;

	ir_init(&ir, a);
	build_small(&ir);
	s = dump_to_string(&ir, 0);
	CHECK_STR(s,
		"  v0 = ctx\n"
		"  *(u32 *)(fp - 8) = 0\n"
		"  v1 = map#0\n"
		"  v2 = call map_lookup_elem(v1, fp-8)\t; @count[0]\n"
		"  if v2 == 0 goto L0\n"
		"  v3 = *(u64 *)(v2 + 0)\n"
		"  v3 += v0\n"
		"  v3 s>>= 1\n"
		"  *(u64 *)(v2 + 0) = v3\n"
		"  lock *(u64 *)(v2 + 0) += v0\n"
		"  v3 = 4294967296 ll\n"
		"  call helper#1000()\n"
		"L0:\n"
		"  return 0\n");
	free(s);
	s = dump_to_string(&ir, 1);
	CHECK_STR(s,
		"   0: (bf) r6 = r1\n"
		"   1: (62) *(u32 *)(r10 -8) = 0\n"
		"   2: (18) r7 = map[id:0]\n"
		"   4: (bf) r1 = r7\n"
		"   5: (bf) r2 = r10\n"
		"   6: (07) r2 += -8\n"
		"   7: (85) call map_lookup_elem#1\n"
		"   8: (bf) r3 = r0\n"
		"   9: (15) if r3 == 0x0 goto pc+8\n"
		"  10: (79) r4 = *(u64 *)(r3 +0)\n"
		"  11: (0f) r4 += r6\n"
		"  12: (c7) r4 s>>= 1\n"
		"  13: (7b) *(u64 *)(r3 +0) = r4\n"
		"  14: (db) lock *(u64 *)(r3 +0) += r6\n"
		"  15: (18) r4 = 0x100000000\n"
		"  17: (85) call unknown#1000\n"
		"  18: (b7) r0 = 0\n"
		"  19: (95) exit\n");
	free(s);
	arena__free(a);
}

/* A subprogram: bpf_loop's callback, after the program, its address an
 * ld_imm64 pseudo func relative to itself, its arguments in r1 and r2,
 * and one copy however often it is asked for. */
static void build_sub(struct ir *ir)
{
	struct ir *sub, *again;
	int fresh, k = ir_sub(ir, "add", &sub, &fresh), f = ir_vreg(ir);
	int r = ir_vreg(ir), i, c, x;

	CHECK(k == 0 && fresh);
	CHECK(ir_sub(ir, "add", &again, &fresh) == 0 && !fresh &&
	      again == sub);
	i = ir_vreg(sub);
	c = ir_vreg(sub);
	x = ir_vreg(sub);
	ir_mov(sub, i, ir_arg(0));
	ir_mov(sub, c, ir_arg(1));
	ir_ldx(sub, 8, x, ir_v(c), 0);
	ir_alu(sub, BPF_ADD, x, ir_v(i));
	ir_stx(sub, 8, ir_v(c), 0, x);
	ir_ret(sub, ir_imm(0));
	ir_st(ir, 8, ir_fp(), ir_stack(ir, 8), 0);
	ir_ldfunc(ir, f, k);
	ir_emit(ir, (struct ir_insn){ .op = IR_CALL, .helper = BPF_FUNC_loop,
				      .nargs = 4, .d = ir_v(r),
				      .args = { ir_imm(4), ir_v(f), ir_fp(),
						ir_imm(0) },
				      .argoff = { 0, 0, -8, 0 } });
	ir_ldx(ir, 8, r, ir_fp(), -8);
	ir_ret(ir, ir_v(r));
}

static void test_subprogram(void)
{
	struct arena *a = arena__new();
	struct ir ir;
	char *s;

	ir_init(&ir, a);
	build_sub(&ir);
	s = dump_to_string(&ir, 0);
	CHECK_STR(s,
		"  *(u64 *)(fp - 8) = 0\n"
		"  v0 = func#0\n"
		"  v1 = call loop(4, v0, fp-8, 0)\n"
		"  v1 = *(u64 *)(fp - 8)\n"
		"  return v1\n"
		"func#0 add:\n"
		"  v0 = ctx\n"
		"  v1 = arg1\n"
		"  v2 = *(u64 *)(v1 + 0)\n"
		"  v2 += v0\n"
		"  *(u64 *)(v1 + 0) = v2\n"
		"  return 0\n");
	free(s);
	s = dump_to_string(&ir, 1);
	CHECK_STR(s,	/* func[pc+11]: 1 + 1 + 11 is where it starts */
		"   0: (7a) *(u64 *)(r10 -8) = 0\n"
		"   1: (18) r6 = func[pc+11]\n"
		"   3: (b7) r1 = 4\n"
		"   4: (bf) r2 = r6\n"
		"   5: (bf) r3 = r10\n"
		"   6: (07) r3 += -8\n"
		"   7: (b7) r4 = 0\n"
		"   8: (85) call loop#181\n"
		"   9: (bf) r3 = r0\n"
		"  10: (79) r3 = *(u64 *)(r10 -8)\n"
		"  11: (bf) r0 = r3\n"
		"  12: (95) exit\n"
		"  13: (bf) r3 = r1\n"
		"  14: (bf) r4 = r2\n"
		"  15: (79) r5 = *(u64 *)(r4 +0)\n"
		"  16: (0f) r5 += r3\n"
		"  17: (7b) *(u64 *)(r4 +0) = r5\n"
		"  18: (b7) r0 = 0\n"
		"  19: (95) exit\n");
	free(s);
	arena__free(a);
}

/* Some kernels count a callback's frame with the program's, each rounded
 * up to 32 bytes: 480 and a callback fit in 512, 488 do not. */
static void test_subprogram_stack(void)
{
	struct arena *a = arena__new();
	struct bpf_insn *insns = NULL;
	struct ir ir;
	char err[128] = "";
	size_t n;
	int size;

	for (size = 480; size <= 488; size += 8) {
		ir_init(&ir, a);
		build_sub(&ir);
		/* after the return: only the stack it takes counts */
		ir_zero(&ir, ir_stack(&ir, size - 8), size - 8);
		CHECK(ir_to_bpf(&ir, &insns, &n, err, sizeof(err)) ==
		      (size == 480 ? 0 : -E2BIG));
		free(insns);
		insns = NULL;
	}
	CHECK_STR(err, "program needs 488 bytes of stack and its subprogram "
		  "0; the kernel allows 512 for both");
	arena__free(a);
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "test_ir: needs root to load BPF programs\n");
		return 1;
	}
	test_dumps();
	test_alu();
	test_neg();
	test_jmp();
	test_pressure();
	test_calls();
	test_stack();
	test_map();
	test_limits();
	test_backward_jump();
	test_coalesce();
	test_subprogram();
	test_subprogram_stack();
	return test_report("ir");
}
