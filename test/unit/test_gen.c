/* test_gen: the IR that snippets compile to, in the manner of Lua's
 * testes/code.lua. Each snippet goes through parse, sema and gen (against
 * the fake tracefs under test/); its IR is reduced to one word per
 * instruction ("map:0", "map_lookup_elem", "if==", "xadd", "ldx64@32") and
 * the words a check lists must come in that order (others may come
 * between). Where the numbers matter (a record's size, a context offset, a
 * stat key), they are in the words or checked on the instruction. No
 * kernel needed. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "parse.h"
#include "sema.h"
#include "sysroot.h"
#include "test.h"

#define NPROBES 4

struct run {
	struct arena *a;
	struct src src;
	struct program *prog;
	struct sema sema;
	struct ir ir[NPROBES];
	char *code[NPROBES];	/* the words, space-separated */
	int ok;
};

/* ---- the words ---- */

static const char *size_bits(int size)
{
	switch (size) {
	case 1: return "8";
	case 2: return "16";
	case 4: return "32";
	}
	return "64";
}

static void word(FILE *f, const struct ir_insn *in)
{
	switch (in->op) {
	case IR_LABEL:	fputs("L", f); return;
	case IR_MOV:
		if (in->a.kind == O_IMM)
			fprintf(f, "mov:%" PRId64, in->a.v);
		else
			fputs(in->a.kind == O_CTX ? "mov:ctx" : "mov", f);
		return;
	case IR_ALU:	fprintf(f, "alu:%s", bpf_alu_op(in->code)); return;
	case IR_NEG:	fputs("neg", f); return;
	case IR_LD64:	fputs("ld64", f); return;
	case IR_LDMAP:	fprintf(f, "map:%" PRId64, in->imm); return;
	case IR_LDCONST: fprintf(f, "const:%s", prog_const_name(in->imm));
		return;
	case IR_LDFUNC:	fprintf(f, "func:%" PRId64, in->imm); return;
	case IR_STACK:	fputs("stack", f); return;
	case IR_LDX:
		fprintf(f, "ldx%s@%d", size_bits(in->size), in->off);
		return;
	case IR_STX:	fprintf(f, "stx%s", size_bits(in->size)); return;
	case IR_ST:
		fprintf(f, "st%s:%" PRId64, size_bits(in->size), in->imm);
		return;
	case IR_JMP:
		if (in->code == BPF_JA)
			fputs("goto", f);
		else
			fprintf(f, "if%s", bpf_jmp_op(in->code));
		return;
	case IR_CALL:	fputs(bpf_helper_name(in->helper), f); return;
	case IR_RET:	fputs("ret", f); return;
	case IR_XADD:	fputs("xadd", f); return;
	}
	fputs("?", f);
}

static char *words(const struct ir *ir)
{
	char *s = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&s, &len);

	for (i = 0; i < ir->n; i++) {
		if (i)
			fputc(' ', f);
		word(f, &ir->insns[i]);
	}
	fclose(f);
	return s;
}

/* Do the words of want come in code in that order? */
static int in_order(const char *code, const char *want)
{
	char *c = strdup(code), *w = strdup(want), *cs = NULL, *ws = NULL;
	char *ct = strtok_r(c, " ", &cs), *wt;
	int ok = 1;

	for (wt = strtok_r(w, " ", &ws); wt && ok;
	     wt = strtok_r(NULL, " ", &ws)) {
		while (ct && strcmp(ct, wt))
			ct = strtok_r(NULL, " ", &cs);
		ok = ct != NULL;
		ct = strtok_r(NULL, " ", &cs);
	}
	free(c);
	free(w);
	return ok;
}

/* ---- compiling ---- */

static void run_opts(struct run *r, const char *text, int has_target,
		     enum prog_scope scope)
{
	struct diag d = { .out = stderr };
	struct probe *p;
	int i = 0;

	memset(r, 0, sizeof(*r));
	r->a = arena__new();
	r->src = (struct src){ "<input>", text, strlen(text) };
	r->sema.arena = r->a;
	r->sema.diag = &d;
	r->sema.has_target = has_target;
	r->sema.scope = scope;
	if (parse_program(&r->src, r->a, &d, &r->prog) ||
	    sema_program(&r->sema, r->prog))
		return;
	for (p = r->prog->probes; p && i < NPROBES; p = p->next, i++) {
		struct bpf_insn *insns = NULL;
		char err[128];
		size_t n;

		ir_init(&r->ir[i], r->a);
		if (gen_probe(&r->sema, p, &r->ir[i]))
			return;
		r->code[i] = words(&r->ir[i]);
		/* and the back end takes it */
		if (ir_to_bpf(&r->ir[i], &insns, &n, err, sizeof(err))) {
			fprintf(stderr, "ir_to_bpf: %s\n", err);
			return;
		}
		free(insns);
	}
	r->ok = 1;
}

static void run_target(struct run *r, const char *text, int has_target)
{
	run_opts(r, text, has_target, SCOPE_NONE);
}

static void run(struct run *r, const char *text)
{
	run_target(r, text, 0);
}

static void done(struct run *r)
{
	int i;

	for (i = 0; i < NPROBES; i++)
		free(r->code[i]);
	arena__free(r->a);
}

/* Probe i's words include want's, in order. */
#define CHECK_CODE(r, i, want) do {					\
	const char *_c = (r)->code[i];					\
	int _ok = _c && in_order(_c, want);				\
	CHECK(_ok);							\
	if (!_ok)							\
		fprintf(stderr, "  code: %s\n  want: %s\n",		\
			_c ? _c : "(none)", want);			\
} while (0)

/* ... and not these, in this order. */
#define CHECK_NOT_CODE(r, i, w) \
	CHECK((r)->code[i] && !in_order((r)->code[i], w))

/* The n-th call of helper in probe i, or NULL. */
static const struct ir_insn *call_of(const struct run *r, int i,
				     int helper, int nth)
{
	size_t k;

	for (k = 0; k < r->ir[i].n; k++) {
		const struct ir_insn *in = &r->ir[i].insns[k];

		if (in->op == IR_CALL && in->helper == helper && !nth--)
			return in;
	}
	return NULL;
}

#define OPENAT "tracepoint:syscalls/sys_enter_openat"

/* ---- the snippets ---- */

/* count(): look up, add in place; else insert 1 (NOEXIST), and if another
 * CPU inserted first, add to its entry; a full map bumps stats slot
 * STAT_MAP_FULL + 0. */
static void test_count(void)
{
	const struct ir_insn *in;
	struct run r;

	run(&r, "BEGIN { @ = count(); }");
	CHECK(r.ok);
	CHECK_CODE(&r, 0, "map:0 map_lookup_elem if== xadd goto L "
		   "stx64 map_update_elem if== map_lookup_elem if== xadd "
		   "st64:1 map:-2 map_lookup_elem if== xadd L ret");
	in = call_of(&r, 0, BPF_FUNC_map_update_elem, 0);
	CHECK(in && in->args[3].v == BPF_NOEXIST);
	done(&r);
}

/* m[pid] = data->flags: the key and value on the stack, the tracepoint's
 * field loaded from the context at its format's offset (32), as the int
 * it is declared (sign-extended). */
static void test_map_update(void)
{
	const struct ir_insn *in;
	struct run r;

	run(&r, OPENAT " { m[pid] = data->flags; }");
	CHECK(r.ok);
	CHECK_CODE(&r, 0, "mov:ctx get_current_pid_tgid alu:>> stx64 "
		   "ldx32@32 alu:<< alu:s>> stx64 map:0 map_update_elem if== "
		   "st64:1 map:-2");
	in = call_of(&r, 0, BPF_FUNC_map_update_elem, 0);
	CHECK(in && in->args[3].v == BPF_ANY);
	/* no lookup before the update: the only one is the stats' */
	CHECK_NOT_CODE(&r, 0, "map_lookup_elem map_lookup_elem");
	done(&r);
}

/* Reading m[1]: a lookup, 0 unless found, the value loaded only behind
 * the NULL check. */
static void test_map_lookup(void)
{
	struct run r;

	run(&r, "BEGIN { m[1] = 2; } END { printf(\"%d\\n\", m[1]); }");
	CHECK(r.ok);
	CHECK_CODE(&r, 1, "map:0 map_lookup_elem mov:0 if== ldx64@0 L "
		   "stx64 map:-1");
	CHECK_NOT_CODE(&r, 1, "map_update_elem");
	done(&r);
}

/* printf's record: the site id at 0, then each argument 8-aligned (pid at
 * 8 as a u32, comm's 16 bytes at 16), 32 bytes in all, reserved in the
 * ring buffer and written there, then submitted; the wake-up threshold is
 * the loader's; no room (a lost event) bumps STAT_LOST. */
static void test_printf_record(void)
{
	const struct type *rec;
	const struct ir_insn *out;
	struct run r;

	run(&r, "BEGIN { printf(\"%d %s\\n\", pid, comm); }");
	CHECK(r.ok);
	CHECK(r.sema.sites.n == 1);
	rec = r.sema.sites.v[0]->rec;
	CHECK(rec->size == 32 && rec->nfields == 3);
	CHECK(rec->fields[0].offset == 0 && rec->fields[1].offset == 8 &&
	      rec->fields[2].offset == 16);
	CHECK_CODE(&r, 0, "map:-1 ringbuf_reserve if== st64:0 "
		   "get_current_pid_tgid alu:>> stx32 get_current_comm "
		   "mov:1 map:-1 ringbuf_query const:rb_wakeup if< mov:2 L "
		   "ringbuf_submit goto L st64:0 map:-2 map_lookup_elem if== "
		   "xadd");
	CHECK_NOT_CODE(&r, 0, "ringbuf_output");
	out = call_of(&r, 0, BPF_FUNC_ringbuf_reserve, 0);
	CHECK(out && out->args[1].kind == O_IMM && out->args[1].v == 32);
	out = call_of(&r, 0, BPF_FUNC_get_current_comm, 0);
	CHECK(out && out->args[0].kind == O_VREG && out->argoff[0] == 16 &&
	      out->args[1].v == 16);
	done(&r);
	/* over the 512-byte stack: the record is not on it */
	run(&r, "BEGIN { print(comm, str(0, 256), str(0, 256), "
	    "str(0, 256)); }");
	CHECK(r.ok);
	CHECK(r.sema.sites.n == 1 &&
	      r.sema.sites.v[0]->rec->size == 8 + 16 + 3 * 256);
	done(&r);
	/* a map print(@m); clear(@m); swaps is read through its slot, which
	 * is never empty; were it, the record is given back, not leaked */
	run(&r, "BEGIN { m[1] = 2; print(m[1]); print(m); clear(m); }");
	CHECK(r.ok);
	CHECK_CODE(&r, 0, "ringbuf_reserve if== map_lookup_elem if!= goto L "
		   "map_lookup_elem ringbuf_submit goto L ringbuf_discard "
		   "goto");
	done(&r);
}

/* A predicate jumps to the probe's exit before anything of its body. */
static void test_predicate(void)
{
	const struct ir *ir;
	struct run r;
	size_t k, pred = 0;
	int out = -1;

	run(&r, OPENAT " /pid == 42/ { @ = count(); }");
	CHECK(r.ok);
	CHECK_CODE(&r, 0, "get_current_pid_tgid alu:>> mov:1 if== mov:0 L "
		   "if== map:0 map_lookup_elem");
	ir = &r.ir[0];
	for (k = 0; k < ir->n; k++) {
		if (ir->insns[k].op == IR_JMP && !pred &&
		    ir->insns[k].code == BPF_JEQ &&
		    ir->insns[k].b.kind == O_IMM && ir->insns[k].b.v == 0)
			pred = k;
		if (ir->insns[k].op == IR_LABEL && k + 1 < ir->n &&
		    ir->insns[k + 1].op == IR_RET)
			out = ir->insns[k].label;
	}
	CHECK(pred && ir->insns[pred].label == out);
	done(&r);
}

/* str(data->filename, 40): the pointer from the context (offset 24),
 * then probe_read_str of 40 bytes into the record; the default is 64. */
static void test_str(void)
{
	const struct ir_insn *in;
	struct run r;

	run(&r, OPENAT " { printf(\"%s\\n\", str(data->filename, 40)); }");
	CHECK(r.ok);
	CHECK_CODE(&r, 0, "ringbuf_reserve ldx64@24 probe_read_str "
		   "ringbuf_submit");
	in = call_of(&r, 0, BPF_FUNC_probe_read_str, 0);
	CHECK(in && in->args[1].v == 40);
	CHECK(r.sema.sites.v[0]->rec->size == 48);
	done(&r);
	run(&r, OPENAT " { @[str(data->filename)] = count(); }");
	CHECK(r.ok);
	in = call_of(&r, 0, BPF_FUNC_probe_read_str, 0);
	CHECK(in && in->args[1].v == 64);
	CHECK_CODE(&r, 0, "probe_read_str map:0 map_lookup_elem");
	done(&r);
}

/* A string compared with a literal: byte by byte, up to its NUL. */
static void test_string_compare(void)
{
	struct run r;

	run(&r, "BEGIN /comm == \"ply\"/ { @ = count(); }");
	CHECK(r.ok);
	CHECK_CODE(&r, 0, "get_current_comm ldx8@-16 if!= ldx8@-15 if!= "
		   "ldx8@-14 if!= ldx8@-13 if!= mov:1 L if== map:0");
	done(&r);
}

static int count_words(const char *code, const char *w)
{
	size_t l = strlen(w);
	const char *p;
	int n = 0;

	for (p = code; p && (p = strstr(p, w)); p += l)
		if ((p == code || p[-1] == ' ') && (!p[l] || p[l] == ' '))
			n++;
	return n;
}

/* strcmp compares up to the shorter string's end and its NUL; strncmp
 * stops after its n bytes: the unrolled compare is that long. */
static void test_strncmp(void)
{
	struct run r;

	run(&r, "BEGIN { x[1] = strcmp(comm, \"abcdef\"); "
	    "x[2] = strncmp(comm, \"abcdef\", 3); "
	    "x[3] = strncmp(comm, \"abcdef\", 100); }");
	CHECK(r.ok);
	/* 8 + 3 + 8 byte pairs ("abcdef" and its NUL), each one "if!=" */
	CHECK(r.code[0] && count_words(r.code[0], "if!=") == 19);
	/* a literal's bytes are immediates: it takes no stack */
	CHECK_CODE(&r, 0, "ldx8@-25 mov:0 if!= if== goto map_update_elem "
		   "get_current_comm mov:0 ldx8@-32 mov:97 if!= if== ldx8@-31 "
		   "mov:98 if!= if== ldx8@-30 mov:99 if!= if== goto L mov:1 "
		   "if> mov:-1 L stx64 map:0 map_update_elem");
	done(&r);
}

/* A compare's strings are dead once it has its answer: the next compare
 * and the statement's record reuse their stack (once a bug: a path
 * compared with two prefixes and printed needed 904 bytes). */
static void test_compare_stack(void)
{
	struct run r;

	run(&r, OPENAT " { p[kpid] = str(data->filename, 256); "
	    "if (strncmp(p[kpid], \"/etc/\", 5) == 0 || "
	    "strcmp(p[kpid], \"/etc\") == 0 || p[kpid] == \"/usr\") "
	    "print(pid, comm, p[kpid]); }");
	CHECK(r.ok);
	CHECK(r.ir[0].stack_max <= 512);
	done(&r);
}

/* $target is loaded from a value the loader fills in, not baked in. */
static void test_target(void)
{
	struct run r;

	run_target(&r, OPENAT " /pid == $target/ { @ = count(); }", 1);
	CHECK(r.ok);
	CHECK_CODE(&r, 0, "get_current_pid_tgid alu:>> const:target if==");
	done(&r);
}

/* exit() forces a wake-up: no threshold to compare with. */
static void test_exit(void)
{
	struct run r;

	run(&r, "BEGIN { exit(3); }");
	CHECK(r.ok);
	CHECK_CODE(&r, 0, "map:-1 ringbuf_reserve st64:0 mov:3 stx64 mov:2 "
		   "ringbuf_submit");
	CHECK_NOT_CODE(&r, 0, "ringbuf_query");
	CHECK_NOT_CODE(&r, 0, "const:rb_wakeup");
	done(&r);
}

/* profile's caller is pt_regs->ip (offset 128); stack an id from the
 * stack map. */
static void test_caller_stack(void)
{
	struct run r;

	run(&r, "profile:99hz { @[caller, stack] = count(); }");
	CHECK(r.ok);
	CHECK(r.sema.uses_stack);
	CHECK_CODE(&r, 0, "mov:ctx ldx64@128 stx64 map:-4 get_stackid stx64 "
		   "map:0 map_lookup_elem");
	done(&r);
}

/* quantize(): the bucket by halving shifts, then the histogram starts as
 * a copy of the zero map's value (too large for the stack) and the bucket
 * is bounds-checked before its add. */
static void test_quantize(void)
{
	struct run r;

	run(&r, "BEGIN { @h = quantize(5); }");
	CHECK(r.ok);
	CHECK_CODE(&r, 0, "mov:5 mov:0 ifs< mov:1 if== mov:2 "
		   "alu:>> alu:>> alu:>> alu:>> alu:>> alu:>> "
		   "map:0 map_lookup_elem if!= map:-3 map_lookup_elem "
		   "map_update_elem map_lookup_elem L if> alu:<< alu:+ xadd");
	done(&r);
}

/* sum() adds the value, delete deletes with the same key layout. */
static void test_sum_delete(void)
{
	struct run r;

	run(&r, "BEGIN { @s = sum(7); m[1] = 1; delete m[1]; }");
	CHECK(r.ok);
	CHECK_CODE(&r, 0, "mov:7 map:0 map_lookup_elem if== xadd "
		   "map:1 map_update_elem st64:2 map:-2 "
		   "st64:0 mov:1 stx64 map:1 map_delete_elem L ret");
	done(&r);
}

/* The words themselves: a check that could not fail would prove
 * nothing. */
/* The constant of the n-th ALU instruction that adds one (an offset). */
static int64_t member_add(const struct run *r, int i, int nth)
{
	size_t k;

	for (k = 0; k < r->ir[i].n; k++) {
		const struct ir_insn *in = &r->ir[i].insns[k];

		if (in->op == IR_ALU && in->code == BPF_ADD &&
		    in->a.kind == O_IMM && !nth--)
			return in->a.v;
	}
	return -1;
}

/* The constant of the n-th shift (of any kind). */
static int64_t shift_of(const struct run *r, int i, int nth)
{
	size_t k;

	for (k = 0; k < r->ir[i].n; k++) {
		const struct ir_insn *in = &r->ir[i].insns[k];

		if (in->op == IR_ALU && (in->code == BPF_LSH ||
		    in->code == BPF_RSH || in->code == BPF_ARSH) &&
		    in->a.kind == O_IMM && !nth--)
			return in->a.v;
	}
	return -1;
}

/* Compiled, or the rest of the check cannot look. */
#define REQUIRE(ok) do {						\
	CHECK(ok);							\
	if (!(ok)) {							\
		done(&r);						\
		return;							\
	}								\
} while (0)

/* How many calls of helper probe i makes. */
static int ncalls(const struct run *r, int i, int helper)
{
	int n = 0;

	while (call_of(r, i, helper, n))
		n++;
	return n;
}

/* A tuple: one update at the entry; at the return one lookup serves the
 * condition and every member read after it (their loads at the members'
 * offsets), until the delete; a lookup in a branch is not taken after it,
 * one before an update of the map is not taken after the update. */
/* Loads from the stack in probe i's code. */
static size_t nloads_fp(const struct run *r, int i)
{
	size_t k, n = 0;

	for (k = 0; k < r->ir[i].n; k++)
		n += r->ir[i].insns[k].op == IR_LDX &&
		     r->ir[i].insns[k].a.kind == O_FP;
	return n;
}

static void test_tuple_lookups(void)
{
	struct run r;

	run(&r, OPENAT " { e[kpid] = (time, data->filename, 7); } "
	    "tracepoint:syscalls/sys_exit_openat { if (e[kpid].0) { "
	    "print(e[kpid].0, e[kpid].2, str(e[kpid].1)); delete e[kpid]; "
	    "print(e[kpid].2); } }");
	REQUIRE(r.ok);
	CHECK(ncalls(&r, 0, BPF_FUNC_map_update_elem) == 1);
	CHECK(ncalls(&r, 0, BPF_FUNC_map_lookup_elem) == 1);	/* stats' */
	CHECK_CODE(&r, 1, "map_lookup_elem if== ldx64@0 L if== "
		   "ldx64@0 L if== ldx64@16 L if== ldx64@8 L "
		   "probe_read_str ringbuf_submit "
		   "map_delete_elem map_lookup_elem if== ldx64@16");
	/* 5: before the delete, after it, and the stats' for a failed read
	 * and for each lost event */
	CHECK(ncalls(&r, 1, BPF_FUNC_map_lookup_elem) == 5);
	done(&r);

	run(&r, "BEGIN { m[1] = (1, 2); } END { if (pid) { print(m[1].0); } "
	    "print(m[1].1); print(pid && m[2].0 ? m[2].1 : m[2].0); "
	    "m[1] = (m[1].1, 3); print(m[1].0); }");
	REQUIRE(r.ok);
	/* m[1] in the branch, in a record after it and in the value (a
	 * lookup made while a record is built is not kept: a full ring
	 * buffer skips it), m[2] after && and in each arm of ?:; and the
	 * stats' for each of four prints' lost events and the update's full
	 * map */
	CHECK(ncalls(&r, 1, BPF_FUNC_map_lookup_elem) == 4 + 3 + 4 + 1);
	done(&r);

	/* an entry a lookup found is written in place (the value built on
	 * the stack first); one not there is added */
	run(&r, OPENAT " { if (e[kpid].0) { print(1); } "
	    "e[kpid] = (time, 1); }");
	REQUIRE(r.ok);
	CHECK_CODE(&r, 0, "map_lookup_elem ktime_get_ns stx64 mov:1 stx64 "
		   "if== ldx64@-24 stx64 ldx64@-16 stx64 goto L map:0 "
		   "map_update_elem");
	CHECK(ncalls(&r, 0, BPF_FUNC_map_update_elem) == 1);
	CHECK(nloads_fp(&r, 0) == 2);	/* the value's two words */
	done(&r);
	run(&r, OPENAT " { e[kpid] = (time, 1); }");
	REQUIRE(r.ok);	/* no lookup to take: updated */
	CHECK_NOT_CODE(&r, 0, "map_lookup_elem if== ldx64 stx64");
	done(&r);
	/* another thread could delete a shared key's entry meanwhile, and
	 * its element be reused for another key: updated */
	run(&r, OPENAT " { if (e[1].0) { print(1); } e[1] = (time, 1); }");
	REQUIRE(r.ok);
	CHECK_CODE(&r, 0, "map_lookup_elem map:0 map_update_elem");
	CHECK(nloads_fp(&r, 0) == 0);	/* no copy of the value */
	done(&r);

	/* the same: the second record looks m[1] up again */
	run(&r, "BEGIN { m[1] = 1; } END { print(m[1]); print(m[1]); }");
	REQUIRE(r.ok);
	CHECK_CODE(&r, 1, "ringbuf_reserve if== map:0 map_lookup_elem "
		   "ringbuf_submit ringbuf_reserve if== map:0 "
		   "map_lookup_elem ringbuf_submit");
	done(&r);
}

/* Kernel types (the fake BTF of test/helpers/fakebtf.c): a chain a->b->c
 * is one probe_read_kernel per '->', of the member's size, at its offset,
 * with no other helper call (the cost of a hand-written read). */
static void test_member_chain(void)
{
	struct run r;

	run(&r, "BEGIN { @[curtask->real_parent->tgid] = count(); }");
	REQUIRE(r.ok);
	CHECK(ncalls(&r, 0, BPF_FUNC_get_current_task) == 1);
	CHECK(ncalls(&r, 0, BPF_FUNC_probe_read_kernel) == 2);
	CHECK_CODE(&r, 0, "get_current_task mov alu:+ probe_read_kernel "
		   "ldx64@-24 mov alu:+ probe_read_kernel ldx64@-16 alu:<< "
		   "alu:s>> stx64 mov:1 map:0 map_lookup_elem");
	CHECK(call_of(&r, 0, BPF_FUNC_probe_read_kernel, 0)->args[1].v == 8);
	CHECK(call_of(&r, 0, BPF_FUNC_probe_read_kernel, 1)->args[1].v == 4);
	CHECK(member_add(&r, 0, 0) == 1280);	/* real_parent */
	CHECK(member_add(&r, 0, 1) == 1268);	/* tgid */
	done(&r);

	/* ppid is that same chain */
	run(&r, "BEGIN { @[ppid] = count(); }");
	REQUIRE(r.ok);
	CHECK(ncalls(&r, 0, BPF_FUNC_probe_read_kernel) == 2);
	done(&r);

	/* a char[16] member goes straight into the record: one read of 16 */
	run(&r, "BEGIN { printf(\"%s\", curtask->comm); }");
	REQUIRE(r.ok);
	CHECK(ncalls(&r, 0, BPF_FUNC_probe_read_kernel) == 1);
	CHECK(call_of(&r, 0, BPF_FUNC_probe_read_kernel, 0)->args[1].v == 16);
	done(&r);
}

/* str() of a string is the string: of a char[N] member, its first size
 * bytes; of comm (not in memory, written whole by its helper), all 16,
 * so nothing is written past the record's field. */
static void test_str_of_string(void)
{
	struct run r;
	const struct ir_insn *c;

	run(&r, "BEGIN { printf(\"%s %s\", str(comm, 8), "
	    "str(curtask->comm, 4)); }");
	REQUIRE(r.ok);
	c = call_of(&r, 0, BPF_FUNC_get_current_comm, 0);
	CHECK(c && c->args[1].v == 16);
	c = call_of(&r, 0, BPF_FUNC_probe_read_kernel, 0);
	CHECK(c && c->args[1].v == 4);
	CHECK_STR(r.sema.sites.v[0]->rec->fields[1].type->name, "char[16]");
	CHECK_STR(r.sema.sites.v[0]->rec->fields[2].type->name, "char[4]");
	done(&r);
}

/* A bitfield reads its byte and keeps its bits: prio_bits is 5 signed
 * bits from bit 2, so << 57 then s>> 59; an unsigned one shifts right. */
static void test_bitfield(void)
{
	struct run r;
	const struct ir_insn *c;

	run(&r, "BEGIN { @[curtask->prio_bits, curtask->in_execve] = "
	    "count(); }");
	REQUIRE(r.ok);
	c = call_of(&r, 0, BPF_FUNC_probe_read_kernel, 0);
	CHECK(c && c->args[1].v == 1);
	CHECK_CODE(&r, 0, "probe_read_kernel ldx64@-24 alu:<< alu:s>> stx64 "
		   "probe_read_kernel ldx64@-32 alu:<< alu:>> stx64");
	CHECK(shift_of(&r, 0, 0) == 57 && shift_of(&r, 0, 1) == 59);
	CHECK(shift_of(&r, 0, 2) == 62 && shift_of(&r, 0, 3) == 63);
	done(&r);
}

/* An index: a constant one is an offset; a computed one is checked
 * against the array's length, past the read when out of bounds. */
static void test_index(void)
{
	struct run r;

	run(&r, "BEGIN { @[curtask->arr[2], curtask->arr[pid]] = count(); }");
	REQUIRE(r.ok);
	CHECK_CODE(&r, 0, "probe_read_kernel get_current_pid_tgid if>= "
		   "alu:* alu:+ probe_read_kernel L ldx64@-32");
	done(&r);
}

/* Casts keep an integer's width and sign; pointer steps are its size. */
static void test_cast_ptr(void)
{
	struct run r;

	run(&r, "BEGIN { @[(s8)pid, curtask + 2, (struct task_struct *)0 - "
	    "curtask] = count(); }");
	REQUIRE(r.ok);
	CHECK_CODE(&r, 0, "get_current_pid_tgid alu:>> mov alu:<< alu:s>> "
		   "stx64 get_current_task mov mov:2 alu:* alu:+ stx64 "
		   "get_current_task alu:- alu:s>> stx64");
	CHECK(shift_of(&r, 0, 1) == 56 && shift_of(&r, 0, 3) == 12);
	done(&r);
}

/* The scope: a probe of a PROV_TASK provider first looks the current
 * tgid up in the scope map (a u32 key) and leaves if it is not there, or
 * asks whether the task is under the cgroup in slot 0; BEGIN does
 * neither. */
static void test_scope(void)
{
	const struct ir_insn *in;
	struct run r;

	run_opts(&r, OPENAT " { @ = count(); } BEGIN { @ = count(); }", 0,
		 SCOPE_PIDS);
	CHECK(r.ok);
	CHECK_CODE(&r, 0, "mov:ctx get_current_pid_tgid alu:>> stx32 map:-6 "
		   "map_lookup_elem if== map:0 map_lookup_elem");
	in = call_of(&r, 0, BPF_FUNC_get_current_pid_tgid, 0);
	CHECK(in == &r.ir[0].insns[1]);
	CHECK_NOT_CODE(&r, 1, "map:-6");
	done(&r);

	run_opts(&r, OPENAT " { @ = count(); }", 0, SCOPE_CGROUP);
	CHECK(r.ok);
	CHECK_CODE(&r, 0, "mov:ctx map:-6 current_task_under_cgroup if!= "
		   "map:0 map_lookup_elem");
	in = call_of(&r, 0, BPF_FUNC_current_task_under_cgroup, 0);
	CHECK(in && in->args[1].kind == O_IMM && in->args[1].v == 0);
	done(&r);

	run(&r, OPENAT " { @ = count(); }");
	CHECK_NOT_CODE(&r, 0, "map:-6");
	done(&r);
}

static void test_words(void)
{
	CHECK(in_order("a b c", "a c"));
	CHECK(in_order("a b c", "c"));
	CHECK(!in_order("a b c", "c a"));
	CHECK(!in_order("ab c", "a"));
	CHECK(!in_order("a b", "a b b"));
}

int main(void)
{
	sysroot_set_tracefs(PLY_TEST_TRACEFS);
	sysroot_set_btf(PLY_TEST_BTF);
	test_words();
	test_member_chain();
	test_bitfield();
	test_str_of_string();
	test_index();
	test_cast_ptr();
	test_count();
	test_map_update();
	test_map_lookup();
	test_printf_record();
	test_predicate();
	test_str();
	test_string_compare();
	test_strncmp();
	test_compare_stack();
	test_target();
	test_exit();
	test_caller_stack();
	test_quantize();
	test_sum_delete();
	test_tuple_lookups();
	test_scope();
	return test_report("gen");
}
