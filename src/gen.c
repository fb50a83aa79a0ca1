/* gen: typed ast to ir, one probe at a time. */
#include <string.h>

#include "agg.h"
#include "gen.h"
#include "path.h"
#include "prog.h"
#include "provider.h"

/* A map lookup the rest of the probe can use again (see map_lookup). */
struct lookup {
	const struct mapsym *m;		/* NULL: forgotten */
	const struct node *keys;
	int p;				/* vreg: the value's address, or 0 */
};

#define LOOKUPS_MAX 16

struct gen {
	struct sema *s;
	struct ir *ir;
	struct probe *probe;
	int ctx;		/* vreg holding the program's context */
	int out;		/* label of the program's exit */
	int bail;		/* label to leave by where ply's own state is
				 * not as it keeps it: the exit, or, while an
				 * event's record is reserved, where it is
				 * given back */
	int nbail;		/* jumps to bail so far */
	int nerrors;
	struct lookup lookups[LOOKUPS_MAX];
	int nlookups;
};

struct arg {
	struct ir_opnd o;
	int off;		/* for O_FP, or an O_VREG address: added */
};

/* Where a value is written: the stack at fp+off, or memory a vreg points
 * to (an event's record, reserved in the ring buffer) at base+off. */
struct place {
	struct ir_opnd base;
	int off;
};

static struct arg A_V(int v) { return (struct arg){ ir_v(v), 0 }; }
static struct arg A_I(int64_t i) { return (struct arg){ ir_imm(i), 0 }; }
static struct arg A_FP(int off) { return (struct arg){ ir_fp(), off }; }
static struct arg A_AT(struct place p) { return (struct arg){ p.base, p.off }; }
static struct place P_FP(int off) { return (struct place){ ir_fp(), off }; }

static struct place at(struct place p, size_t k)
{
	p.off += (int)k;
	return p;
}

static int gen_scalar(struct gen *g, struct node *n);
static int gen_copy(struct gen *g, struct node *n);
static void gen_into(struct gen *g, struct node *n, struct place to,
		     const struct type *dst);

/* d = helper(args...); returns d. */
static int call(struct gen *g, int helper, int nargs, ...)
{
	struct ir_insn in = { .op = IR_CALL, .helper = helper, .nargs = nargs };
	va_list ap;
	int i;

	va_start(ap, nargs);
	for (i = 0; i < nargs; i++) {
		struct arg a = va_arg(ap, struct arg);

		in.args[i] = a.o;
		in.argoff[i] = a.off;
	}
	va_end(ap);
	in.d = ir_v(ir_vreg(g->ir));
	ir_emit(g->ir, in);
	return in.d.v;
}

static int map_fd_reg(struct gen *g, int index)
{
	int v = ir_vreg(g->ir);

	ir_ldmap(g->ir, v, index);
	return v;
}

/* A register holding map index. A map that print(@m); clear(@m); takes
 * whole is the one in slot 0 of its map of maps at this moment. */
static int map_reg(struct gen *g, int index)
{
	int key, p, ok;

	if (index < 0 || !g->s->maps.v[index]->swap)
		return map_fd_reg(g, index);
	key = ir_stack(g->ir, 8);
	ok = ir_label(g->ir);
	ir_st(g->ir, 8, ir_fp(), key, 0);
	p = call(g, BPF_FUNC_map_lookup_elem, 2,
		 A_V(map_fd_reg(g, MAP_IDX_OUTER(index))), A_FP(key));
	ir_jmp(g->ir, BPF_JNE, ir_v(p), ir_imm(0), ok);
	ir_ja(g->ir, g->bail);	/* never: ply keeps the slot filled */
	g->nbail++;
	ir_place(g->ir, ok);
	return p;
}

/* stats[idx] += 1: how losses are counted instead of being silent. */
static void stat_inc(struct gen *g, int idx)
{
	int key = ir_stack(g->ir, 8), v, skip = ir_label(g->ir), one;

	ir_st(g->ir, 8, ir_fp(), key, idx);
	v = call(g, BPF_FUNC_map_lookup_elem, 2, A_V(map_reg(g, MAP_IDX_STATS)),
		 A_FP(key));
	ir_jmp(g->ir, BPF_JEQ, ir_v(v), ir_imm(0), skip);
	one = ir_vreg(g->ir);
	ir_mov(g->ir, one, ir_imm(1));
	ir_xadd(g->ir, 8, ir_v(v), 0, one);
	ir_place(g->ir, skip);
}

static int is_signed(const struct type *t)
{
	return t->kind == T_INT && t->is_signed;
}

/* Signedness of an operation on a and b, after C's promotion to 64 bits. */
static int op_signed(const struct type *a, const struct type *b)
{
	int ua = (a->kind == T_PTR || !a->is_signed) && a->size == 8;
	int ub = (b->kind == T_PTR || !b->is_signed) && b->size == 8;

	return !ua && !ub;
}

static void sign_extend(struct gen *g, int v, int size)
{
	if (size >= 8)
		return;
	ir_alu(g->ir, BPF_LSH, v, ir_imm(64 - 8 * size));
	ir_alu(g->ir, BPF_ARSH, v, ir_imm(64 - 8 * size));
}

/* ---- the context (a tracepoint's data) ---- */

/* The kernel lets tracepoint programs load naturally aligned fields of
 * their context directly; anything else is copied with probe_read. */
static int ctx_direct(struct gen *g, int off, int size)
{
	return (size == 1 || size == 2 || size == 4 || size == 8) &&
		off % size == 0 && off >= g->probe->prov->ctx_min_off;
}

static int ctx_addr(struct gen *g, int off)
{
	int a = ir_vreg(g->ir);

	ir_mov(g->ir, a, ir_v(g->ctx));
	ir_alu(g->ir, BPF_ADD, a, ir_imm(off));
	return a;
}

static int ctx_load(struct gen *g, int off, const struct type *t)
{
	int v = ir_vreg(g->ir), tmp;

	if (ctx_direct(g, off, t->size)) {
		ir_ldx(g->ir, t->size, v, ir_v(g->ctx), off);
	} else {
		tmp = ir_stack(g->ir, 8);
		ir_zero(g->ir, tmp, 8);
		call(g, BPF_FUNC_probe_read_kernel, 3, A_FP(tmp), A_I(t->size),
		     A_V(ctx_addr(g, off)));
		ir_ldx(g->ir, 8, v, ir_fp(), tmp);
	}
	if (is_signed(t))
		sign_extend(g, v, t->size);
	return v;
}

static void ctx_copy(struct gen *g, int off, size_t size, struct place to)
{
	size_t i;

	if (off % 8 == 0 && size % 8 == 0 && ctx_direct(g, off, 8)) {
		for (i = 0; i < size; i += 8) {
			int v = ir_vreg(g->ir);

			ir_ldx(g->ir, 8, v, ir_v(g->ctx), off + i);
			ir_stx(g->ir, 8, to.base, to.off + (int)i, v);
		}
		return;
	}
	call(g, BPF_FUNC_probe_read_kernel, 3, A_AT(to), A_I(size),
	     A_V(ctx_addr(g, off)));
}

/* ---- memory: the context and the kernel's ---- */

/* Where a member, an element or a pointer's target is: in the context at
 * off (base -1), or in kernel memory at base + off, base a vreg holding an
 * address. A computed index out of its array's bounds jumps to skip, past
 * the read, leaving its zeroed result (-1: no such index). */
struct lval {
	int base;
	int64_t off;
	int skip;
	int user;	/* base points into user memory */
};

/* The context's own structs (a tracepoint's record, pt_regs) are read
 * through the context pointer; kernel structs (from BTF) anywhere. */
static int is_ctx_struct(const struct type *t)
{
	return t->kind == T_STRUCT && !t->btf;
}

static void gen_lval(struct gen *g, struct node *n, struct lval *lv);

/* lv as one address in a register, fresh (safe to modify) */
static int lval_addr(struct gen *g, const struct lval *lv)
{
	int a = ir_vreg(g->ir);

	int big;

	ir_mov(g->ir, a, ir_v(lv->base < 0 ? g->ctx : lv->base));
	if (lv->off >= INT32_MIN && lv->off <= INT32_MAX) {
		if (lv->off)
			ir_alu(g->ir, BPF_ADD, a, ir_imm(lv->off));
		return a;
	}
	big = ir_vreg(g->ir);	/* p[1L << 40]: no immediate holds it */
	ir_ld64(g->ir, big, lv->off);
	ir_alu(g->ir, BPF_ADD, a, ir_v(big));
	return a;
}

/* a[i] with i computed: the address a + i * size, i checked against len
 * (0: a pointer's, not checked). */
static void index_computed(struct gen *g, struct node *n, struct lval *lv,
			   size_t size, size_t len)
{
	int a = lval_addr(g, lv), i = gen_copy(g, n->b);

	if (len) {
		if (lv->skip < 0)
			lv->skip = ir_label(g->ir);
		ir_jmp(g->ir, BPF_JGE, ir_v(i), ir_imm(len), lv->skip);
	}
	if (size > 1)
		ir_alu(g->ir, BPF_MUL, i, ir_imm(size));
	ir_alu(g->ir, BPF_ADD, a, ir_v(i));
	lv->base = a;
	lv->off = 0;
}

static void gen_index_lval(struct gen *g, struct node *n, struct lval *lv)
{
	const struct type *t = n->a->type;
	size_t size = n->type->size, len = 0;

	if (t->kind == T_PTR) {
		lv->base = gen_scalar(g, n->a);
		lv->off = 0;
		lv->skip = -1;
		lv->user = t->user;
	} else {
		gen_lval(g, n->a, lv);
		len = t->len;
	}
	if (n->b->kind == N_INT)	/* in bounds: sema checked */
		lv->off += (int64_t)n->b->ival * (int64_t)size;
	else
		index_computed(g, n, lv, size, len ? len : 0);
}

static void gen_lval(struct gen *g, struct node *n, struct lval *lv)
{
	const struct field *f = n->sym;

	switch (n->kind) {
	case N_MEMBER:
		if (!n->arrow) {
			gen_lval(g, n->a, lv);
		} else if (is_ctx_struct(n->a->type->elem)) {
			lv->base = -1;
			lv->off = 0;
			lv->skip = -1;
		} else {
			lv->base = gen_scalar(g, n->a);
			lv->off = 0;
			lv->skip = -1;
			lv->user = n->a->type->user;
		}
		lv->off += f->offset;
		return;
	case N_INDEX:
		gen_index_lval(g, n, lv);
		return;
	case N_UNARY:	/* *p */
		lv->base = gen_scalar(g, n->a);
		lv->off = 0;
		lv->skip = -1;
		lv->user = n->a->type->user;
		return;
	default:
		unreachable();
	}
}

/* A member of the context at a constant offset (data->x, args->y,
 * data->arr[2]): loaded directly where the kernel allows. */
static int is_ctx_member(const struct node *n)
{
	const struct field *f = n->sym;

	if (n->kind == N_INDEX)
		return n->b->kind == N_INT && n->a->type->kind != T_PTR &&
		       is_ctx_member(n->a);
	return n->kind == N_MEMBER && n->arrow && !f->bit_size &&
	       is_ctx_struct(n->a->type->elem);
}

/* Its offset in the context. */
static int64_t member_off(const struct node *n)
{
	const struct field *f = n->sym;

	if (n->kind == N_INDEX)
		return member_off(n->a) + (int64_t)n->b->ival *
		       (int64_t)n->type->size;
	return f->offset;
}

/* The bytes to read for a bitfield: a power of two covering its bits. */
static size_t bitfield_bytes(const struct field *f)
{
	size_t need = (f->bit_off + f->bit_size + 7) / 8, n = 1;

	while (n < need)
		n *= 2;
	return n;
}

/* The scalar value of a member, element or pointer target: one read of
 * exactly its size into the stack (a direct load from the context where
 * the kernel allows it). A bitfield reads the bytes holding it and keeps
 * its bits, sign-extended if it is signed. */
static int lval_load(struct gen *g, struct node *n)
{
	const struct field *f = n->kind == N_MEMBER ? n->sym : NULL;
	const struct type *t = n->type;
	int bits = f && f->bit_size, v, tmp;
	struct lval lv = { 0 };
	size_t size;

	if (is_ctx_member(n))
		return ctx_load(g, member_off(n), t);
	/* zeroed before an index check may jump past the read */
	tmp = ir_stack(g->ir, 8);
	ir_zero(g->ir, tmp, 8);
	gen_lval(g, n, &lv);
	size = bits ? bitfield_bytes(f) : t->size;
	call(g, lv.user ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel,
	     3, A_FP(tmp), A_I(size),
	     A_V(lv.base >= 0 && !lv.off ? lv.base : lval_addr(g, &lv)));
	if (lv.skip >= 0)
		ir_place(g->ir, lv.skip);
	v = ir_vreg(g->ir);
	ir_ldx(g->ir, 8, v, ir_fp(), tmp);
	if (bits) {
		ir_alu(g->ir, BPF_LSH, v, ir_imm(64 - f->bit_off - f->bit_size));
		ir_alu(g->ir, is_signed(t) ? BPF_ARSH : BPF_RSH, v,
		       ir_imm(64 - f->bit_size));
	} else if (is_signed(t)) {
		sign_extend(g, v, t->size);
	}
	return v;
}

/* The first size bytes of a member, element or pointer target (a struct,
 * string or array), read straight into their place. */
static void lval_copy(struct gen *g, struct node *n, size_t size,
		      struct place to)
{
	struct lval lv = { 0 };

	gen_lval(g, n, &lv);
	if (lv.base < 0 && lv.skip < 0) {
		ctx_copy(g, lv.off, size, to);
		return;
	}
	call(g, lv.user ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel,
	     3, A_AT(to), A_I(size),
	     A_V(lv.base >= 0 && !lv.off ? lv.base : lval_addr(g, &lv)));
	if (lv.skip >= 0)
		ir_place(g->ir, lv.skip);
}

/* ---- maps ---- */

/* Builds n's key in a fresh zeroed stack slot; returns its offset. */
static int gen_key(struct gen *g, struct node *n)
{
	const struct mapsym *m = n->map;
	struct node *k;
	size_t i;
	int off;

	if (!m->ktype) {
		off = ir_stack(g->ir, 8);
		ir_st(g->ir, 8, ir_fp(), off, 0);
		return off;
	}
	off = ir_stack(g->ir, m->ktype->size);
	ir_zero(g->ir, off, m->ktype->size);
	for (i = 0, k = n->keys; k; k = k->next, i++)
		gen_into(g, k, P_FP(off + m->ktype->fields[i].offset),
			 m->ktype->fields[i].type);
	return off;
}

/* Keys that are the same all through a run of the probe: constants,
 * $NAME, and who runs it (pid, kpid, uid, gid, cpu). */
static int keys_stable(const struct node *k)
{
	const struct builtin *bi;

	for (; k; k = k->next) {
		if (k->kind == N_INT || k->kind == N_DOLLAR)
			continue;
		if (k->kind != N_IDENT)
			return 0;
		bi = k->sym;
		if (bi->id != BI_PID && bi->id != BI_KPID && bi->id != BI_UID &&
		    bi->id != BI_GID && bi->id != BI_CPU)
			return 0;
	}
	return 1;
}

/* Keys that name the running thread: kpid among them. */
static int keys_thread(const struct node *k)
{
	for (; k; k = k->next)
		if (k->kind == N_IDENT &&
		    ((const struct builtin *)k->sym)->id == BI_KPID)
			return 1;
	return 0;
}

static int keys_same(const struct node *a, const struct node *b)
{
	for (; a && b; a = a->next, b = b->next) {
		if (a->kind != b->kind)
			return 0;
		if (a->kind == N_INT && (a->ival != b->ival || a->neg != b->neg))
			return 0;
		if (a->kind == N_DOLLAR && strcmp(a->name, b->name))
			return 0;
		if (a->kind == N_IDENT && a->sym != b->sym)
			return 0;
	}
	return !a && !b;
}

/* The pointer an earlier lookup of n found, as map_lookup would take it;
 * -1 if there is none to take. */
static int lookup_kept(struct gen *g, struct node *n)
{
	struct lookup *l;
	int i;

	if (!keys_stable(n->keys) || n->map->swap)
		return -1;
	for (i = 0; i < g->nlookups; i++) {
		l = &g->lookups[i];
		if (l->m == n->map && keys_same(l->keys, n->keys))
			return l->p;
	}
	return -1;
}

/* Looks n up; returns the vreg holding the value pointer (or 0). A map
 * read again with the same stable keys (m[kpid] in the condition, then
 * m[kpid].0, m[kpid].1 in a print) takes the first lookup's pointer: no
 * statement of the probe has changed the entry since (an update or
 * delete of the map forgets its lookups), and the first lookup is on
 * every path to this one (a lookup made in a branch is forgotten at the
 * branch's end). Maps swapped by print-and-clear are looked up each time. */
static int map_lookup(struct gen *g, struct node *n)
{
	int stable = keys_stable(n->keys) && !n->map->swap, key, p;
	struct lookup *l;

	if ((p = lookup_kept(g, n)) >= 0)
		return p;
	key = gen_key(g, n);
	p = call(g, BPF_FUNC_map_lookup_elem, 2,
		 A_V(map_reg(g, n->map->index)), A_FP(key));
	if (stable && g->nlookups < LOOKUPS_MAX) {
		l = &g->lookups[g->nlookups++];
		l->m = n->map;
		l->keys = n->keys;
		l->p = p;
	}
	return p;
}

/* Before an update or delete of m: its lookups are stale. They stay
 * forgotten after a branch that does it (see branch_end). */
static void lookups_forget(struct gen *g, const struct mapsym *m)
{
	int i;

	for (i = 0; i < g->nlookups; i++)
		if (g->lookups[i].m == m)
			g->lookups[i].m = NULL;
}

/* Code that runs on one path only (an if's branch, the right of && or ||,
 * an arm of ?:) starts at branch_start; its lookups go at its end. */
static int branch_start(const struct gen *g)
{
	return g->nlookups;
}

static void branch_end(struct gen *g, int mark)
{
	g->nlookups = mark;
}

/* Copies size bytes from one place to another, in the widest moves that
 * fit. */
static void copy_mem(struct gen *g, struct place from, struct place to,
		     size_t size)
{
	static const int widths[] = { 8, 4, 2, 1 };
	size_t i = 0, k;
	int v;

	for (k = 0; k < ARRAY_SIZE(widths); k++) {
		for (; size - i >= (size_t)widths[k]; i += widths[k]) {
			v = ir_vreg(g->ir);
			ir_ldx(g->ir, widths[k], v, from.base,
			       from.off + (int)i);
			ir_stx(g->ir, widths[k], to.base, to.off + (int)i, v);
		}
	}
}

/* m[k], or a member of the tuple it holds (m[k].1), a number: 0 if the
 * key is not there. */
static int gen_map_read(struct gen *g, struct node *n)
{
	const struct field *f = n->kind == N_MEMBER ? n->sym : NULL;
	int p = map_lookup(g, f ? n->a : n), v = ir_vreg(g->ir);
	int none = ir_label(g->ir);

	ir_mov(g->ir, v, ir_imm(0));
	ir_jmp(g->ir, BPF_JEQ, ir_v(p), ir_imm(0), none);
	ir_ldx(g->ir, 8, v, ir_v(p), f ? f->offset : 0);
	ir_place(g->ir, none);
	return v;
}

/* A tuple's member held in a map (m[k].0): its members are 8-byte
 * integers and strings. */
static int is_map_member(const struct node *n)
{
	return n->kind == N_MEMBER && n->a->kind == N_MAP;
}

/* ---- scalars ---- */

static int gen_builtin_var(struct gen *g, struct node *n)
{
	const struct builtin *bi = n->sym;
	int v;

	switch (bi->id) {
	case BI_PID:
	case BI_KPID:
		v = call(g, BPF_FUNC_get_current_pid_tgid, 0);
		break;
	case BI_UID:
	case BI_GID:
		v = call(g, BPF_FUNC_get_current_uid_gid, 0);
		break;
	case BI_CPU:
		return call(g, BPF_FUNC_get_smp_processor_id, 0);
	case BI_TIME:
	case BI_WALLTIME:
		return call(g, BPF_FUNC_ktime_get_ns, 0);
	case BI_PROVIDER_VAR:	/* data, regs: the context; arg0: in it */
		if ((int64_t)n->ival < 0)
			return g->ctx;
		return ctx_load(g, n->ival, n->type);
	case BI_STACK:
		return call(g, BPF_FUNC_get_stackid, 3, A_V(g->ctx),
			    A_V(map_reg(g, MAP_IDX_STACK)), A_I(0));
	case BI_CURTASK:
		return call(g, BPF_FUNC_get_current_task, 0);
	default:
		unreachable();
	}
	if (bi->id == BI_PID || bi->id == BI_GID) {
		ir_alu(g->ir, BPF_RSH, v, ir_imm(32));
	} else {
		ir_alu(g->ir, BPF_LSH, v, ir_imm(32));
		ir_alu(g->ir, BPF_RSH, v, ir_imm(32));
	}
	return v;
}

/* A constant that fits an instruction's signed 32-bit immediate. */
static int is_imm32(const struct node *n)
{
	int64_t v = (int64_t)n->ival;

	return n->kind == N_INT &&
		(n->neg ? v >= INT32_MIN : n->ival <= INT32_MAX);
}

static struct ir_opnd operand(struct gen *g, struct node *n)
{
	if (is_imm32(n))
		return ir_imm((int64_t)n->ival);
	return ir_v(gen_scalar(g, n));
}

/* A fresh copy of n's value, safe to modify in place. */
static int gen_copy(struct gen *g, struct node *n)
{
	int v = ir_vreg(g->ir);

	ir_mov(g->ir, v, operand(g, n));
	return v;
}

static int jmp_code(int op, int sgn)
{
	switch (op) {
	case TK_EQ: return BPF_JEQ;
	case TK_NE: return BPF_JNE;
	case TK_LT: return sgn ? BPF_JSLT : BPF_JLT;
	case TK_LE: return sgn ? BPF_JSLE : BPF_JLE;
	case TK_GT: return sgn ? BPF_JSGT : BPF_JGT;
	case TK_GE: return sgn ? BPF_JSGE : BPF_JGE;
	}
	unreachable();
}

/* A zeroed stack copy of string n, 8-aligned; returns its offset. */
static int str_buf(struct gen *g, struct node *n)
{
	size_t size = ALIGN_UP(n->type->size, 8);
	int off = ir_stack(g->ir, size);

	ir_zero(g->ir, off, size);
	gen_into(g, n, P_FP(off), n->type);
	return off;
}

/* "abc" == s: compares the literal's bytes and its NUL. */
static int gen_streq(struct gen *g, struct node *n)
{
	struct node *lit = n->a->kind == N_STR ? n->a : n->b;
	struct node *s = lit == n->a ? n->b : n->a;
	int top = g->ir->stack, buf = str_buf(g, s);
	int r = ir_vreg(g->ir), differ = ir_label(g->ir), done = ir_label(g->ir);
	size_t i, len = lit->slen + 1;

	ir_mov(g->ir, r, ir_imm(n->op == TK_EQ ? 0 : 1));
	if (len > s->type->len)
		goto out;	/* the literal cannot fit: never equal */
	for (i = 0; i < len; i++) {
		int c = ir_vreg(g->ir);

		ir_ldx(g->ir, 1, c, ir_fp(), buf + i);
		ir_jmp(g->ir, BPF_JNE, ir_v(c),
		       ir_imm(i < lit->slen ? (unsigned char)lit->str[i] : 0),
		       differ);
	}
	ir_mov(g->ir, r, ir_imm(n->op == TK_EQ ? 1 : 0));
out:
	ir_ja(g->ir, done);
	ir_place(g->ir, differ);
	ir_place(g->ir, done);
	g->ir->stack = top;	/* the string is dead: its memory is free */
	return r;
}

/* Byte i of string n into reg: from its buffer on the stack, or, for a
 * literal, the byte itself (a literal takes no stack); past the end, its
 * padding, NUL. */
static void str_byte(struct gen *g, struct node *n, int buf, size_t i, int reg)
{
	if (n->kind == N_STR)
		ir_mov(g->ir, reg, ir_imm(i < n->slen ?
					  (unsigned char)n->str[i] : 0));
	else if (i < n->type->len)
		ir_ldx(g->ir, 1, reg, ir_fp(), buf + i);
	else
		ir_mov(g->ir, reg, ir_imm(0));
}

/* strcmp(a, b): -1, 0 or 1, comparing bytes as unsigned like C;
 * strncmp(a, b, n) the same over at most the first n bytes. Unrolled, as
 * long as the shorter string and its NUL (or n): no loop to verify. */
static int gen_strcmp(struct gen *g, struct node *n)
{
	struct node *a = n->args, *b = a->next;
	size_t la = a->type->len, lb = b->type->len, i, len = la < lb ? la : lb;
	int top = g->ir->stack;
	int ba = a->kind == N_STR ? 0 : str_buf(g, a);
	int bb = b->kind == N_STR ? 0 : str_buf(g, b);
	int r = ir_vreg(g->ir), ca = ir_vreg(g->ir), cb = ir_vreg(g->ir);
	int differ = ir_label(g->ir), done = ir_label(g->ir);

	/* past the shorter one's end both differ or both end: len + 1 */
	len++;
	if (b->next && b->next->ival < len)
		len = b->next->ival;
	ir_mov(g->ir, r, ir_imm(0));
	for (i = 0; i < len; i++) {
		str_byte(g, a, ba, i, ca);
		str_byte(g, b, bb, i, cb);
		ir_jmp(g->ir, BPF_JNE, ir_v(ca), ir_v(cb), differ);
		ir_jmp(g->ir, BPF_JEQ, ir_v(ca), ir_imm(0), done);
	}
	ir_ja(g->ir, done);
	ir_place(g->ir, differ);
	ir_mov(g->ir, r, ir_imm(1));
	ir_jmp(g->ir, BPF_JGT, ir_v(ca), ir_v(cb), done);
	ir_mov(g->ir, r, ir_imm(-1));
	ir_place(g->ir, done);
	g->ir->stack = top;	/* the strings are dead: their memory is free */
	return r;
}

/* a || b, a && b. The result is set after both sides, on each path, so
 * it is live across neither side: a long chain (a path against many
 * prefixes) holds no register, and spills nothing, while its sides run. */
static int gen_logical(struct gen *g, struct node *n)
{
	int short_val = n->op == TK_OROR, code = short_val ? BPF_JNE : BPF_JEQ;
	int shortcut = ir_label(g->ir), done = ir_label(g->ir), a, b, r, mark;

	a = gen_scalar(g, n->a);
	ir_jmp(g->ir, code, ir_v(a), ir_imm(0), shortcut);
	mark = branch_start(g);
	b = gen_scalar(g, n->b);
	branch_end(g, mark);
	r = ir_vreg(g->ir);
	ir_jmp(g->ir, code, ir_v(b), ir_imm(0), shortcut);
	ir_mov(g->ir, r, ir_imm(!short_val));
	ir_ja(g->ir, done);
	ir_place(g->ir, shortcut);
	ir_mov(g->ir, r, ir_imm(short_val));
	ir_place(g->ir, done);
	return r;
}

static int gen_compare(struct gen *g, struct node *n)
{
	int r = ir_vreg(g->ir), yes = ir_label(g->ir);
	int a = gen_scalar(g, n->a);
	struct ir_opnd b = operand(g, n->b);

	ir_mov(g->ir, r, ir_imm(1));
	ir_jmp(g->ir, jmp_code(n->op, op_signed(n->a->type, n->b->type)),
	       ir_v(a), b, yes);
	ir_mov(g->ir, r, ir_imm(0));
	ir_place(g->ir, yes);
	return r;
}

/* x = |x|, flipping *neg when x was negative. */
static void gen_abs(struct gen *g, int x, int neg)
{
	int pos = ir_label(g->ir);

	ir_jmp(g->ir, BPF_JSGE, ir_v(x), ir_imm(0), pos);
	ir_emit(g->ir, (struct ir_insn){ .op = IR_NEG, .d = ir_v(x) });
	ir_alu(g->ir, BPF_XOR, neg, ir_imm(1));
	ir_place(g->ir, pos);
}

/* BPF divides unsigned only: C's signed / and % (truncating toward zero,
 * the remainder taking the dividend's sign) are built around it. Division
 * by zero gives 0, as in BPF. */
static int gen_sdiv(struct gen *g, struct node *n)
{
	int a = gen_copy(g, n->a), b = gen_copy(g, n->b);
	int neg = ir_vreg(g->ir), keep = ir_label(g->ir);

	ir_mov(g->ir, neg, ir_imm(0));
	gen_abs(g, a, neg);
	if (n->op == TK_SLASH) {
		gen_abs(g, b, neg);
	} else {
		int dummy = ir_vreg(g->ir);

		ir_mov(g->ir, dummy, ir_imm(0));
		gen_abs(g, b, dummy);
	}
	ir_alu(g->ir, n->op == TK_SLASH ? BPF_DIV : BPF_MOD, a, ir_v(b));
	ir_jmp(g->ir, BPF_JEQ, ir_v(neg), ir_imm(0), keep);
	ir_emit(g->ir, (struct ir_insn){ .op = IR_NEG, .d = ir_v(a) });
	ir_place(g->ir, keep);
	return a;
}

static int alu_code(int op, int sgn)
{
	switch (op) {
	case TK_PLUS: return BPF_ADD;
	case TK_MINUS: return BPF_SUB;
	case TK_STAR: return BPF_MUL;
	case TK_SLASH: return BPF_DIV;
	case TK_PERCENT: return BPF_MOD;
	case TK_AMP: return BPF_AND;
	case TK_PIPE: return BPF_OR;
	case TK_CARET: return BPF_XOR;
	case TK_SHL: return BPF_LSH;
	case TK_SHR: return sgn ? BPF_ARSH : BPF_RSH;
	}
	unreachable();
}

/* (T)x: an integer cast keeps T's width and sign; a pointer is the
 * number as it is. */
static int gen_cast(struct gen *g, struct node *n)
{
	const struct type *t = n->type;
	int v = gen_copy(g, n->a);

	if (t->kind != T_INT || t->size >= 8)
		return v;
	ir_alu(g->ir, BPF_LSH, v, ir_imm(64 - 8 * t->size));
	ir_alu(g->ir, t->is_signed ? BPF_ARSH : BPF_RSH, v,
	       ir_imm(64 - 8 * t->size));
	return v;
}

static int log2_exact(size_t n)
{
	int k = 0;

	while ((n & 1) == 0 && n > 1) {
		n >>= 1;
		k++;
	}
	return n == 1 ? k : -1;
}

/* p + i, i + p and p - i step by what p points to; p - q counts steps
 * (the byte difference divided as C does: toward zero). */
static int gen_ptr_arith(struct gen *g, struct node *n)
{
	struct node *p = n->a->type->kind == T_PTR ? n->a : n->b;
	struct node *i = p == n->a ? n->b : n->a;
	size_t step = sema_step(p->type);
	int r = gen_copy(g, p), x, k = log2_exact(step), neg, pos;

	if (i->type->kind == T_PTR) {	/* p - q */
		ir_alu(g->ir, BPF_SUB, r, ir_v(gen_scalar(g, i)));
		if (step == 1)
			return r;
		if (k > 0) {
			ir_alu(g->ir, BPF_ARSH, r, ir_imm(k));
			return r;
		}
		neg = ir_vreg(g->ir);
		ir_mov(g->ir, neg, ir_imm(0));
		gen_abs(g, r, neg);
		ir_alu(g->ir, BPF_DIV, r, ir_imm(step));
		pos = ir_label(g->ir);
		ir_jmp(g->ir, BPF_JEQ, ir_v(neg), ir_imm(0), pos);
		ir_emit(g->ir, (struct ir_insn){ .op = IR_NEG, .d = ir_v(r) });
		ir_place(g->ir, pos);
		return r;
	}
	x = gen_copy(g, i);
	if (step > 1)
		ir_alu(g->ir, BPF_MUL, x, ir_imm(step));
	ir_alu(g->ir, n->op == TK_PLUS ? BPF_ADD : BPF_SUB, r, ir_v(x));
	return r;
}

static int gen_binary(struct gen *g, struct node *n)
{
	int sgn, r;

	switch (n->op) {
	case TK_ANDAND:
	case TK_OROR:
		return gen_logical(g, n);
	case TK_EQ: case TK_NE:
		if (n->a->type->kind == T_STR)
			return gen_streq(g, n);
		/* fallthrough */
	case TK_LT: case TK_LE: case TK_GT: case TK_GE:
		return gen_compare(g, n);
	}
	if ((n->op == TK_PLUS || n->op == TK_MINUS) &&
	    (n->a->type->kind == T_PTR || n->b->type->kind == T_PTR))
		return gen_ptr_arith(g, n);
	sgn = op_signed(n->a->type, n->b->type);
	if (sgn && (n->op == TK_SLASH || n->op == TK_PERCENT))
		return gen_sdiv(g, n);
	r = gen_copy(g, n->a);
	/* The verifier refuses a division by a constant 0; by a register
	 * that holds 0 it gives 0 (and x % 0 == x). */
	if ((n->op == TK_SLASH || n->op == TK_PERCENT) &&
	    n->b->kind == N_INT && n->b->ival == 0)
		ir_alu(g->ir, alu_code(n->op, 0), r, ir_v(gen_scalar(g, n->b)));
	else
		ir_alu(g->ir, alu_code(n->op, is_signed(n->a->type)), r,
		       operand(g, n->b));
	return r;
}

static int gen_unary(struct gen *g, struct node *n)
{
	int r, z;

	if (n->op == TK_STAR)
		return lval_load(g, n);
	if (n->op == TK_AMP) {	/* &a[i] out of its bounds is NULL */
		struct lval lv = { 0 };

		r = ir_vreg(g->ir);
		ir_mov(g->ir, r, ir_imm(0));
		gen_lval(g, n->a, &lv);
		ir_mov(g->ir, r, ir_v(lval_addr(g, &lv)));
		if (lv.skip >= 0)
			ir_place(g->ir, lv.skip);
		return r;
	}
	r = gen_copy(g, n->a);
	switch (n->op) {
	case TK_MINUS:
		ir_emit(g->ir, (struct ir_insn){ .op = IR_NEG, .d = ir_v(r) });
		return r;
	case TK_TILDE:
		ir_alu(g->ir, BPF_XOR, r, ir_imm(-1));
		return r;
	case TK_BANG:
		z = ir_label(g->ir);
		ir_jmp(g->ir, BPF_JEQ, ir_v(r), ir_imm(0), z);
		ir_mov(g->ir, r, ir_imm(-1));
		ir_place(g->ir, z);
		ir_alu(g->ir, BPF_ADD, r, ir_imm(1));
		return r;
	}
	unreachable();
}

static int gen_cond(struct gen *g, struct node *n)
{
	int r = ir_vreg(g->ir), no = ir_label(g->ir), done = ir_label(g->ir);
	int mark;

	ir_jmp(g->ir, BPF_JEQ, ir_v(gen_scalar(g, n->c)), ir_imm(0), no);
	mark = branch_start(g);
	ir_mov(g->ir, r, operand(g, n->a));
	branch_end(g, mark);
	ir_ja(g->ir, done);
	ir_place(g->ir, no);
	ir_mov(g->ir, r, operand(g, n->b));
	branch_end(g, mark);
	ir_place(g->ir, done);
	return r;
}

static int gen_scalar(struct gen *g, struct node *n)
{
	int v;

	switch (n->kind) {
	case N_INT:
		v = ir_vreg(g->ir);
		if (is_imm32(n))
			ir_mov(g->ir, v, ir_imm((int64_t)n->ival));
		else
			ir_ld64(g->ir, v, n->ival);
		return v;
	case N_IDENT:
		return gen_builtin_var(g, n);
	case N_DOLLAR:	/* $target: the -c command's pid, at load time */
		v = ir_vreg(g->ir);
		ir_ldconst(g->ir, v, PROG_CONST_TARGET);
		return v;
	case N_CALL:	/* strcmp() and strncmp(), the functions with a number */
		return gen_strcmp(g, n);
	case N_MAP:
		return gen_map_read(g, n);
	case N_UNARY:
		return gen_unary(g, n);
	case N_BINARY:
		return gen_binary(g, n);
	case N_COND:
		return gen_cond(g, n);
	case N_MEMBER:
		if (is_map_member(n))
			return gen_map_read(g, n);
		return lval_load(g, n);
	case N_INDEX:
		return lval_load(g, n);
	case N_CAST:
		return gen_cast(g, n);
	default:
		unreachable();
	}
}

/* ---- values in memory ---- */

static void gen_strlit(struct gen *g, struct node *n, struct place to,
		       size_t room)
{
	size_t i, len = n->slen < room ? n->slen : room - 1;

	for (i = 0; i < len; i += 8) {
		uint64_t w = 0;
		int v = ir_vreg(g->ir);

		memcpy(&w, n->str + i, len - i < 8 ? len - i : 8);
		ir_ld64(g->ir, v, (int64_t)w);
		ir_stx(g->ir, 8, to.base, to.off + (int)i, v);
	}
}

/* A read helper's result r: a failure is counted for n's read site. */
static void read_check(struct gen *g, struct node *n, int r)
{
	int ok = ir_label(g->ir);

	ir_jmp(g->ir, BPF_JSGE, ir_v(r), ir_imm(0), ok);
	stat_inc(g, STAT_MAP_FULL + (int)g->s->maps.n + n->site);
	ir_place(g->ir, ok);
}

/* str(p[, size]) and dyn(data->member[, size]) into zeroed memory. */
static void gen_strfn(struct gen *g, struct node *n, struct place to)
{
	const struct builtin *bi = n->sym;
	size_t size = n->type->kind == T_STR ? n->type->len : n->type->size;
	int addr, r;

	if (bi->id == BI_STR && n->args->type->kind == T_STR) {
		gen_into(g, n->args, to, n->type);	/* a char[N] member */
		return;
	}
	if (bi->id == BI_STR || bi->id == BI_MEM) {
		addr = gen_scalar(g, n->args);
		r = call(g, bi->id == BI_STR ? BPF_FUNC_probe_read_str :
			 BPF_FUNC_probe_read, 3, A_AT(to), A_I(size),
			 A_V(addr));
		read_check(g, n, r);
		return;
	}
	/* __data_loc: the low 16 bits are the offset in the record */
	addr = gen_copy(g, n->args);
	ir_alu(g->ir, BPF_AND, addr, ir_imm(0xffff));
	ir_alu(g->ir, BPF_ADD, addr, ir_v(g->ctx));
	r = call(g, BPF_FUNC_probe_read_kernel_str, 3, A_AT(to), A_I(size),
		 A_V(addr));
	read_check(g, n, r);
}

/* path(p), fdpath(fd), cwd: the kernel's walk (path.c), into zeroed
 * memory; nothing to walk is counted for n's read site. */
static void gen_path(struct gen *g, struct node *n, struct place to)
{
	const struct builtin *bi = n->sym;
	enum path_src src = bi->id == BI_PATH ? PATH_OF_PATH :
		bi->id == BI_FDPATH ? PATH_OF_FD : PATH_OF_CWD;
	int arg = src == PATH_OF_CWD ? -1 : gen_scalar(g, n->args);

	read_check(g, n, path_gen(g->ir, g->s->paths, src, arg, to.base,
				  to.off));
}

/* Writes n's value in its place as a dst, into memory the caller
 * zeroed. */
static void gen_into(struct gen *g, struct node *n, struct place to,
		     const struct type *dst)
{
	const struct type *t = n->type;
	const struct field *f = n->sym;
	struct node *a;
	size_t i;
	int p, none;

	if (type_is_scalar(dst)) {
		ir_stx(g->ir, dst->size, to.base, to.off, gen_scalar(g, n));
		return;
	}
	switch (n->kind) {
	case N_STR:
		gen_strlit(g, n, to, dst->size);
		return;
	case N_IDENT:	/* comm, cwd */
		if (((const struct builtin *)n->sym)->id == BI_CWD) {
			gen_path(g, n, to);
			return;
		}
		call(g, BPF_FUNC_get_current_comm, 2, A_AT(to), A_I(16));
		return;
	case N_CALL:
		if (((const struct builtin *)n->sym)->id == BI_PATH ||
		    ((const struct builtin *)n->sym)->id == BI_FDPATH) {
			gen_path(g, n, to);
			return;
		}
		gen_strfn(g, n, to);
		return;
	case N_TUPLE:	/* at the offsets and types of dst, the map's */
		for (a = n->args, i = 0; a; a = a->next, i++)
			gen_into(g, a, at(to, dst->fields[i].offset),
				 dst->fields[i].type);
		return;
	case N_MEMBER:
		if (is_map_member(n)) {
			p = map_lookup(g, n->a);
			none = ir_label(g->ir);
			ir_jmp(g->ir, BPF_JEQ, ir_v(p), ir_imm(0), none);
			copy_mem(g, (struct place){ ir_v(p), f->offset }, to,
				 t->size < dst->size ? t->size : dst->size);
			ir_place(g->ir, none);
			return;
		}
		/* fall through */
	case N_INDEX:
	case N_UNARY:	/* *p of a struct */
		lval_copy(g, n, t->size < dst->size ? t->size : dst->size, to);
		return;
	case N_MAP:
		p = map_lookup(g, n);
		none = ir_label(g->ir);
		ir_jmp(g->ir, BPF_JEQ, ir_v(p), ir_imm(0), none);
		copy_mem(g, (struct place){ ir_v(p), 0 }, to,
			 n->map->vtype->size);
		ir_place(g->ir, none);
		return;
	default:
		unreachable();
	}
}

/* ---- statements ---- */

/* Wake ply only once PROG_CONST_RB_WAKEUP bytes wait in the ring buffer,
 * or to stop it; otherwise it reads the buffer every few milliseconds. */
static int wakeup_flags(struct gen *g, const struct evsite *e)
{
	int flags = ir_vreg(g->ir), avail, wake, quiet = ir_label(g->ir);

	if (e->kind == EV_EXIT) {
		ir_mov(g->ir, flags, ir_imm(BPF_RB_FORCE_WAKEUP));
		return flags;
	}
	ir_mov(g->ir, flags, ir_imm(BPF_RB_NO_WAKEUP));
	avail = call(g, BPF_FUNC_ringbuf_query, 2,
		     A_V(map_reg(g, MAP_IDX_RINGBUF)), A_I(BPF_RB_AVAIL_DATA));
	wake = ir_vreg(g->ir);
	ir_ldconst(g->ir, wake, PROG_CONST_RB_WAKEUP);
	ir_jmp(g->ir, BPF_JLT, ir_v(avail), ir_v(wake), quiet);
	ir_mov(g->ir, flags, ir_imm(BPF_RB_FORCE_WAKEUP));
	ir_place(g->ir, quiet);
	return flags;
}

/* An event's record is built where ply reads it: reserved in the ring
 * buffer, filled, submitted. No copy, and no bound but EVENT_MAX from the
 * stack; a full buffer is a lost event, counted, and nothing is built. */
static void gen_event(struct gen *g, struct node *n)
{
	const struct evsite *e = g->s->sites.v[n->site];
	const struct type *rec = e->rec;
	struct node *a = n->args;
	int lost = ir_label(g->ir), give = ir_label(g->ir);
	int done = ir_label(g->ir), bail = g->bail, nbail = g->nbail, r, mark;
	struct place to;
	size_t i;

	if (e->kind == EV_PRINTF)
		a = a->next;	/* the format stays in ply */
	if (e->kind == EV_PRINTMAP || e->kind == EV_CLEAR)
		a = NULL;	/* the map is named by the site */
	r = call(g, BPF_FUNC_ringbuf_reserve, 3,
		 A_V(map_reg(g, MAP_IDX_RINGBUF)), A_I(rec->size), A_I(0));
	ir_jmp(g->ir, BPF_JEQ, ir_v(r), ir_imm(0), lost);
	to = (struct place){ ir_v(r), 0 };
	ir_st(g->ir, 8, to.base, 0, e->id);
	ir_zero_at(g->ir, to.base, 8, rec->size - 8);
	g->bail = give;
	mark = branch_start(g);	/* a full buffer skips the lookups here */
	for (i = 1; a; a = a->next, i++)
		gen_into(g, a, at(to, rec->fields[i].offset),
			 rec->fields[i].type);
	branch_end(g, mark);
	g->bail = bail;
	call(g, BPF_FUNC_ringbuf_submit, 2, A_V(r), A_V(wakeup_flags(g, e)));
	ir_ja(g->ir, done);
	if (g->nbail != nbail) {	/* never: see map_reg */
		ir_place(g->ir, give);
		call(g, BPF_FUNC_ringbuf_discard, 2, A_V(r), A_I(0));
		ir_ja(g->ir, bail);
		g->nbail++;
	}
	ir_place(g->ir, lost);
	stat_inc(g, STAT_LOST);
	ir_place(g->ir, done);
}

/* The quantize() bucket of v (see QUANTIZE_BUCKETS): a binary search for
 * v's highest set bit. v is consumed. */
static int gen_bucket(struct gen *g, int v, int sgn)
{
	int idx = ir_vreg(g->ir), t = ir_vreg(g->ir), done = ir_label(g->ir);
	int shift;

	ir_mov(g->ir, idx, ir_imm(0));
	if (sgn)
		ir_jmp(g->ir, BPF_JSLT, ir_v(v), ir_imm(0), done);
	ir_mov(g->ir, idx, ir_imm(1));
	ir_jmp(g->ir, BPF_JEQ, ir_v(v), ir_imm(0), done);
	ir_mov(g->ir, idx, ir_imm(2));
	for (shift = 32; shift; shift /= 2) {
		int skip = ir_label(g->ir);

		ir_mov(g->ir, t, ir_v(v));
		ir_alu(g->ir, BPF_RSH, t, ir_imm(shift));
		ir_jmp(g->ir, BPF_JEQ, ir_v(t), ir_imm(0), skip);
		ir_mov(g->ir, v, ir_v(t));
		ir_alu(g->ir, BPF_ADD, idx, ir_imm(shift));
		ir_place(g->ir, skip);
	}
	ir_place(g->ir, done);
	return idx;
}

/* lhist(x, min, max, step)'s bucket of x (see agg.h): 0 below min, the
 * last at or above max, else 1 + (x - min) / step. x is consumed. */
static int gen_lbucket(struct gen *g, const struct mapsym *m, int x, int sgn)
{
	size_t n = agg_lhist_nbuckets(m->lh_min, m->lh_max, m->lh_step);
	int idx = ir_vreg(g->ir), lo = ir_vreg(g->ir), done = ir_label(g->ir);

	/* min and max may not fit an instruction's 32-bit immediate */
	ir_mov(g->ir, idx, ir_imm(0));
	ir_mov(g->ir, lo, ir_imm((int64_t)(m->lh_min)));
	ir_jmp(g->ir, sgn ? BPF_JSLT : BPF_JLT, ir_v(x), ir_v(lo), done);
	ir_mov(g->ir, idx, ir_imm((int64_t)n - 1));
	ir_mov(g->ir, lo, ir_imm((int64_t)(m->lh_max)));
	ir_jmp(g->ir, sgn ? BPF_JSGE : BPF_JGE, ir_v(x), ir_v(lo), done);
	ir_mov(g->ir, lo, ir_imm((int64_t)(m->lh_min)));
	ir_alu(g->ir, BPF_SUB, x, ir_v(lo));
	ir_mov(g->ir, lo, ir_imm((int64_t)(m->lh_step)));
	ir_alu(g->ir, BPF_DIV, x, ir_v(lo));
	ir_mov(g->ir, idx, ir_v(x));
	ir_alu(g->ir, BPF_ADD, idx, ir_imm(1));
	ir_place(g->ir, done);
	return idx;
}

/* After an insert (which may have found the key there already): p = the
 * key's entry, on to have; when there is none, the map is full: count
 * that and go to out. */
static void gen_relookup(struct gen *g, const struct mapsym *m, int map,
			 int key, int p, int have, int out)
{
	int q = call(g, BPF_FUNC_map_lookup_elem, 2, A_V(map), A_FP(key));

	ir_mov(g->ir, p, ir_v(q));
	ir_jmp(g->ir, BPF_JNE, ir_v(p), ir_imm(0), have);
	stat_inc(g, STAT_MAP_FULL + m->index);
	ir_ja(g->ir, out);
}

/* @m[k] = quantize(x) or lhist(x, ...): one more in x's bucket of this
 * CPU's histogram. A new histogram starts as a copy of the zero map's
 * value, since it may be too large for the stack. */
static void gen_hist(struct gen *g, struct node *n)
{
	struct node *lhs = n->a, *arg = n->b->args;
	const struct mapsym *m = lhs->map;
	size_t nb = m->vtype->len;
	int key = gen_key(g, lhs), zkey, map, p, z, one, idx;
	int have = ir_label(g->ir), out = ir_label(g->ir);

	/* an unsigned value is compared signed too when min is below 0 */
	if (m->agg == AGG_LHIST)
		idx = gen_lbucket(g, m, gen_copy(g, arg),
				  is_signed(arg->type) || m->lh_min < 0);
	else
		idx = gen_bucket(g, gen_copy(g, arg), is_signed(arg->type));
	map = map_reg(g, m->index);
	p = call(g, BPF_FUNC_map_lookup_elem, 2, A_V(map), A_FP(key));
	ir_jmp(g->ir, BPF_JNE, ir_v(p), ir_imm(0), have);
	zkey = ir_stack(g->ir, 8);
	ir_st(g->ir, 8, ir_fp(), zkey, 0);
	z = call(g, BPF_FUNC_map_lookup_elem, 2,
		 A_V(map_reg(g, MAP_IDX_ZERO)), A_FP(zkey));
	ir_jmp(g->ir, BPF_JEQ, ir_v(z), ir_imm(0), out);
	call(g, BPF_FUNC_map_update_elem, 4, A_V(map), A_FP(key), A_V(z),
	     A_I(BPF_NOEXIST));
	gen_relookup(g, m, map, key, p, have, out);

	ir_place(g->ir, have);
	/* idx is at most nb - 1 already; say so to the verifier, which must
	 * see the access stay inside the value. */
	ir_jmp(g->ir, BPF_JGT, ir_v(idx), ir_imm((int64_t)nb - 1), out);
	ir_alu(g->ir, BPF_LSH, idx, ir_imm(3));
	ir_alu(g->ir, BPF_ADD, p, ir_v(idx));
	one = ir_vreg(g->ir);
	ir_mov(g->ir, one, ir_imm(1));
	ir_xadd(g->ir, 8, ir_v(p), 0, one);
	ir_place(g->ir, out);
}

/* What count(), sum(x), avg(x) and stats(x) add to their entry: one
 * word, or avg's and stats' two (count, total; agg.h). */
static int gen_addends(struct gen *g, struct node *n, const struct mapsym *m,
		       int *w)
{
	if (m->agg == AGG_SUM) {
		w[0] = gen_scalar(g, n->b->args);
		return 1;
	}
	w[0] = ir_vreg(g->ir);
	ir_mov(g->ir, w[0], ir_imm(1));
	if (m->agg == AGG_COUNT)
		return 1;
	w[1] = gen_scalar(g, n->b->args);
	return 2;
}

/* Add the nw words w to the value p points to, atomically. */
static void gen_add_words(struct gen *g, int p, const int *w, int nw)
{
	int i;

	for (i = 0; i < nw; i++)
		ir_xadd(g->ir, 8, ir_v(p), 8 * i, w[i]);
}

/* @m[k] = count() / sum(x) / avg(x) / stats(x): add to this CPU's slot,
 * creating it if new. */
static void gen_aggregate(struct gen *g, struct node *n)
{
	struct node *lhs = n->a;
	const struct mapsym *m = lhs->map;
	int key = gen_key(g, lhs), val = ir_stack(g->ir, m->vtype->size);
	int fresh = ir_label(g->ir), done = ir_label(g->ir);
	int map, p, r, nw, w[2], i;

	nw = gen_addends(g, n, m, w);
	map = map_reg(g, m->index);
	p = call(g, BPF_FUNC_map_lookup_elem, 2, A_V(map), A_FP(key));
	ir_jmp(g->ir, BPF_JEQ, ir_v(p), ir_imm(0), fresh);
	gen_add_words(g, p, w, nw);
	ir_ja(g->ir, done);

	ir_place(g->ir, fresh);
	for (i = 0; i < nw; i++)
		ir_stx(g->ir, 8, ir_fp(), val + 8 * i, w[i]);
	r = call(g, BPF_FUNC_map_update_elem, 4, A_V(map), A_FP(key),
		 A_FP(val), A_I(BPF_NOEXIST));
	ir_jmp(g->ir, BPF_JEQ, ir_v(r), ir_imm(0), done);
	/* Someone created it between our lookup and update: add again. */
	p = call(g, BPF_FUNC_map_lookup_elem, 2, A_V(map), A_FP(key));
	fresh = ir_label(g->ir);
	ir_jmp(g->ir, BPF_JEQ, ir_v(p), ir_imm(0), fresh);
	gen_add_words(g, p, w, nw);
	ir_ja(g->ir, done);
	ir_place(g->ir, fresh);
	stat_inc(g, STAT_MAP_FULL + m->index);
	ir_place(g->ir, done);
}

/* @m[k] = min(x) / max(x): this CPU's slot keeps the better encoding
 * (agg.h), 0 being none yet. Tracing programs don't nest on one CPU (the
 * kernel skips, and counts, a probe that fires while another runs), so
 * the compare and the store of a per-CPU slot are not interleaved. */
static void gen_minmax(struct gen *g, struct node *n)
{
	struct node *lhs = n->a;
	const struct mapsym *m = lhs->map;
	int key = gen_key(g, lhs), val = ir_stack(g->ir, 8), map, p, r, e, cur;
	int done = ir_label(g->ir), have = ir_label(g->ir);

	e = gen_copy(g, n->b->args);
	if (m->vtype->is_signed) {
		cur = ir_vreg(g->ir);
		ir_mov(g->ir, cur, ir_imm(INT64_MIN));
		ir_alu(g->ir, BPF_XOR, e, ir_v(cur));
	}
	if (m->agg == AGG_MIN)
		ir_alu(g->ir, BPF_XOR, e, ir_imm(-1));
	map = map_reg(g, m->index);
	p = call(g, BPF_FUNC_map_lookup_elem, 2, A_V(map), A_FP(key));
	ir_jmp(g->ir, BPF_JNE, ir_v(p), ir_imm(0), have);

	ir_stx(g->ir, 8, ir_fp(), val, e);
	r = call(g, BPF_FUNC_map_update_elem, 4, A_V(map), A_FP(key),
		 A_FP(val), A_I(BPF_NOEXIST));
	ir_jmp(g->ir, BPF_JEQ, ir_v(r), ir_imm(0), done);
	/* Someone created it between our lookup and update */
	gen_relookup(g, m, map, key, p, have, done);

	ir_place(g->ir, have);
	cur = ir_vreg(g->ir);
	ir_ldx(g->ir, 8, cur, ir_v(p), 0);
	ir_jmp(g->ir, BPF_JLE, ir_v(e), ir_v(cur), done);
	ir_stx(g->ir, 8, ir_v(p), 0, e);
	ir_place(g->ir, done);
}

static void gen_assign(struct gen *g, struct node *n)
{
	const struct mapsym *m = n->a->map;
	int key, val, r, p, ok = ir_label(g->ir), update;
	size_t vsize = ALIGN_UP(m->vtype->size, 8);

	if (m->agg == AGG_QUANTIZE || m->agg == AGG_LHIST) {
		gen_hist(g, n);
		return;
	}
	if (m->agg == AGG_MIN || m->agg == AGG_MAX) {
		gen_minmax(g, n);
		return;
	}
	if (m->is_agg) {
		gen_aggregate(g, n);
		return;
	}
	key = gen_key(g, n->a);
	val = ir_stack(g->ir, vsize);
	if (!type_is_scalar(m->vtype))
		ir_zero(g->ir, val, vsize);
	gen_into(g, n->b, P_FP(val), m->vtype);
	/* A thread's own entry (kpid among the keys) that an earlier lookup
	 * found is written where it is: a hash update would take a new
	 * element and free the old one. Only the thread itself writes it,
	 * so no other CPU can delete it meanwhile and have its element
	 * reused for another key. (Built on the stack first: the value may
	 * read the entry.) */
	if (keys_thread(n->a->keys) && (p = lookup_kept(g, n->a)) >= 0) {
		update = ir_label(g->ir);
		ir_jmp(g->ir, BPF_JEQ, ir_v(p), ir_imm(0), update);
		copy_mem(g, P_FP(val), (struct place){ ir_v(p), 0 },
			 m->vtype->size);
		ir_ja(g->ir, ok);
		ir_place(g->ir, update);
	}
	lookups_forget(g, m);	/* after the value, which may read m */
	r = call(g, BPF_FUNC_map_update_elem, 4, A_V(map_reg(g, m->index)),
		 A_FP(key), A_FP(val), A_I(BPF_ANY));
	ir_jmp(g->ir, BPF_JEQ, ir_v(r), ir_imm(0), ok);
	stat_inc(g, STAT_MAP_FULL + m->index);
	ir_place(g->ir, ok);
}

/* After statement (or predicate) n: the first one that took more stack
 * than a BPF program has is reported where it is, once per probe. (The
 * spill slots added later can still make the whole too large: ir_to_bpf
 * says so, at the probe.) */
static void stack_check(struct gen *g, struct node *n)
{
	if (g->nerrors)
		return;
	if (g->ir->stack_max > BPF_STACK_SIZE)
		diag_error(g->s->diag, n->loc, "this statement needs %d bytes "
			   "of stack; a BPF program has %d", g->ir->stack_max,
			   BPF_STACK_SIZE);
	else if (g->ir->bad_off)
		diag_error(g->s->diag, n->loc, "this statement reaches memory "
			   "beyond the 16-bit offsets of BPF instructions");
	else
		return;
	g->nerrors++;
}

static void gen_stmt(struct gen *g, struct node *n)
{
	struct node *c;
	int no, done, mark;

	switch (n->kind) {
	case N_BLOCK:
		/* A statement's stack memory (keys, strings, records) is dead
		 * once it is done: the next one reuses it. */
		for (c = n->body; c; c = c->next) {
			int stack = g->ir->stack;

			gen_stmt(g, c);
			stack_check(g, c);
			g->ir->stack = stack;
		}
		break;
	case N_IF:
		no = ir_label(g->ir);
		ir_jmp(g->ir, BPF_JEQ, ir_v(gen_scalar(g, n->c)), ir_imm(0), no);
		mark = branch_start(g);
		gen_stmt(g, n->a);
		branch_end(g, mark);
		if (n->b) {
			done = ir_label(g->ir);
			ir_ja(g->ir, done);
			ir_place(g->ir, no);
			gen_stmt(g, n->b);
			branch_end(g, mark);
			ir_place(g->ir, done);
		} else {
			ir_place(g->ir, no);
		}
		break;
	case N_ASSIGN:
		gen_assign(g, n);
		break;
	case N_DELETE:
		c = n->a;
		lookups_forget(g, c->map);
		call(g, BPF_FUNC_map_delete_elem, 2,
		     A_V(map_reg(g, c->map->index)), A_FP(gen_key(g, c)));
		break;
	case N_EXPR:
		gen_event(g, n->a);
		break;
	default:
		unreachable();
	}
}

/* Leave at once when the current task is out of the scope: the first
 * thing a probe of a PROV_TASK provider does. */
static void gen_scope(struct gen *g)
{
	int top = g->ir->stack, key, v;

	if (g->s->scope == SCOPE_CGROUP) {
		v = call(g, BPF_FUNC_current_task_under_cgroup, 2,
			 A_V(map_fd_reg(g, MAP_IDX_SCOPE)), A_I(0));
		ir_jmp(g->ir, BPF_JNE, ir_v(v), ir_imm(1), g->out);
		return;
	}
	v = call(g, BPF_FUNC_get_current_pid_tgid, 0);
	ir_alu(g->ir, BPF_RSH, v, ir_imm(32));
	key = ir_stack(g->ir, 8);
	ir_stx(g->ir, 4, ir_fp(), key, v);
	v = call(g, BPF_FUNC_map_lookup_elem, 2,
		 A_V(map_fd_reg(g, MAP_IDX_SCOPE)), A_FP(key));
	ir_jmp(g->ir, BPF_JEQ, ir_v(v), ir_imm(0), g->out);
	g->ir->stack = top;	/* the key is dead: its memory is free */
}

int gen_probe(struct sema *s, struct probe *p, struct ir *ir)
{
	struct gen g = { .s = s, .ir = ir, .probe = p };

	g.ctx = ir_vreg(ir);
	g.out = ir_label(ir);
	g.bail = g.out;
	ir_emit(ir, (struct ir_insn){ .op = IR_MOV, .d = ir_v(g.ctx),
				      .a = { .kind = O_CTX } });
	if (s->scope != SCOPE_NONE && (p->prov->flags & PROV_TASK))
		gen_scope(&g);
	if (p->pred) {
		ir_jmp(ir, BPF_JEQ, ir_v(gen_scalar(&g, p->pred)), ir_imm(0),
		       g.out);
		stack_check(&g, p->pred);
	}
	gen_stmt(&g, p->body);
	ir_place(ir, g.out);
	ir_ret(ir, ir_imm(0));
	return g.nerrors;
}
