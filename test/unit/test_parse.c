/* Unit tests of the parser: the tree for each construct, C precedence and
 * associativity, probe specs and predicates, the AST dump, and errors:
 * their wording, their carets and recovery after them. */
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "test.h"
#include "type.h"

struct run {
	struct arena *a;
	struct src src;
	struct program *prog;
	int nerrors;
	char *diag;
	size_t diaglen;
};

static void run(struct run *r, const char *text)
{
	struct diag d = { 0 };

	memset(r, 0, sizeof(*r));
	r->a = arena__new();
	r->src = (struct src){ "<input>", text, strlen(text) };
	d.out = open_memstream(&r->diag, &r->diaglen);
	r->nerrors = parse_program(&r->src, r->a, &d, &r->prog);
	fclose(d.out);
	if (r->nerrors != d.nerrors)
		r->nerrors = -1;
}

static void done(struct run *r)
{
	arena__free(r->a);
	free(r->diag);
}

/* ---- a compact rendering of expressions, to state trees in one line ---- */

static void sexp(FILE *f, const struct node *n);

static void sexp_list(FILE *f, const struct node *n)
{
	for (; n; n = n->next) {
		fputc(' ', f);
		sexp(f, n);
	}
}

static void sexp(FILE *f, const struct node *n)
{
	if (!n) {
		fputs("(null)", f);
		return;
	}
	switch (n->kind) {
	case N_INT: fprintf(f, "%llu", (unsigned long long)n->ival); return;
	case N_STR: fprintf(f, "\"%.*s\"", (int)n->slen, n->str); return;
	case N_IDENT: fputs(n->name, f); return;
	case N_DOLLAR: fprintf(f, "$%s", n->name); return;
	case N_MAP:
		fprintf(f, "(map %s", n->name);
		if (!n->keys)
			fputs(" nokeys", f);
		sexp_list(f, n->keys);
		break;
	case N_CALL:
		fprintf(f, "(call %s", n->name);
		sexp_list(f, n->args);
		break;
	case N_UNARY:
		fprintf(f, "(u%s ", op_str(n->op));
		sexp(f, n->a);
		break;
	case N_BINARY:
		fprintf(f, "(%s ", op_str(n->op));
		sexp(f, n->a);
		fputc(' ', f);
		sexp(f, n->b);
		break;
	case N_COND:
		fputs("(? ", f);
		sexp(f, n->c);
		sexp_list(f, n->a);
		fputc(' ', f);
		sexp(f, n->b);
		break;
	case N_MEMBER:
		fprintf(f, "(%s ", n->arrow ? "->" : ".");
		sexp(f, n->a);
		fprintf(f, " %s", n->name);
		break;
	case N_INDEX:
		fputs("(index ", f);
		sexp(f, n->a);
		fputc(' ', f);
		sexp(f, n->b);
		break;
	default:
		fputs("(stmt?", f);
	}
	fputc(')', f);
}

static const char *render(struct arena *a, const struct node *n)
{
	char *buf = NULL, *s;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sexp(f, n);
	fclose(f);
	s = arena_strdup(a, buf);
	free(buf);
	return s;
}

/* A failed check that later checks depend on ends the test function. */
#define REQUIRE(r, cond) do {						\
	CHECK(cond);							\
	if (!(cond)) {							\
		done(r);						\
		return;							\
	}								\
} while (0)

/* The i-th probe, or NULL. */
static const struct probe *nth_probe(struct run *r, int i)
{
	const struct probe *p = r->prog->probes;

	while (p && i--)
		p = p->next;
	return p;
}

/* The first statement of the only probe. */
static const struct node *first_stmt(struct run *r)
{
	if (!r->prog->probes || !r->prog->probes->body)
		return NULL;
	return r->prog->probes->body->body;
}

/* The expression statement "BEGIN { text; }" parses to, rendered. */
static const char *expr_of(struct run *r, const char *text)
{
	char *prog = malloc(strlen(text) + 16);
	const struct node *s;
	const char *out;

	sprintf(prog, "BEGIN { %s; }", text);
	run(r, prog);
	s = first_stmt(r);
	if (r->nerrors || !s || s->kind != N_EXPR || s->next)
		out = r->diag && *r->diag ? r->diag : "(not one expression)";
	else
		out = render(r->a, s->a);
	out = arena_strdup(r->a, out);
	r->src.text = NULL;
	free(prog);
	return out;
}

#define CHECK_EXPR(text, want) do {					\
	struct run _r;							\
	CHECK_STR(expr_of(&_r, text), want);				\
	done(&_r);							\
} while (0)

/* The diagnostics from text, which must report exactly nerr errors. */
#define CHECK_ERRORS(text, nerr, want) do {				\
	struct run _r;							\
	run(&_r, text);							\
	CHECK(_r.nerrors == (nerr));					\
	CHECK_STR(_r.diag, want);					\
	done(&_r);							\
} while (0)

static const char *dump(struct run *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *s;

	ast_dump(f, r->prog);
	fclose(f);
	s = arena_strdup(r->a, buf);
	free(buf);
	return s;
}

/* ---- tests ---- */

static void test_precedence(void)
{
	CHECK_EXPR("1 + 2 * 3", "(+ 1 (* 2 3))");
	CHECK_EXPR("1 * 2 + 3", "(+ (* 1 2) 3)");
	CHECK_EXPR("1 - 2 - 3", "(- (- 1 2) 3)");
	CHECK_EXPR("8 / 4 % 3 * 2", "(* (% (/ 8 4) 3) 2)");
	CHECK_EXPR("a || b && c", "(|| a (&& b c))");
	CHECK_EXPR("a && b || c", "(|| (&& a b) c)");
	CHECK_EXPR("-x * y", "(* (u- x) y)");
	CHECK_EXPR("a ? b : c ? d : e", "(? a b (? c d e))");
	CHECK_EXPR("a ? b ? c : d : e", "(? a (? b c d) e)");
	CHECK_EXPR("a || b ? c : d", "(? (|| a b) c d)");
	CHECK_EXPR("a | b ^ c & d", "(| a (^ b (& c d)))");
	CHECK_EXPR("a & b == c", "(& a (== b c))");
	CHECK_EXPR("a == b < c", "(== a (< b c))");
	CHECK_EXPR("a != b >= c", "(!= a (>= b c))");
	CHECK_EXPR("a < b << c", "(< a (<< b c))");
	CHECK_EXPR("a <= b > c", "(> (<= a b) c)");
	CHECK_EXPR("a << b + c", "(<< a (+ b c))");
	CHECK_EXPR("a >> 1 >> 2", "(>> (>> a 1) 2)");
	CHECK_EXPR("(1 + 2) * 3", "(* (+ 1 2) 3)");
	CHECK_EXPR("!a == ~b", "(== (u! a) (u~ b))");
	CHECK_EXPR("*p + 1", "(+ (u* p) 1)");
	CHECK_EXPR("- - x", "(u- (u- x))");
	CHECK_EXPR("+x", "x");
	CHECK_EXPR("+-+x", "(u- x)");
	CHECK_EXPR("-a->b", "(u- (-> a b))");
	CHECK_EXPR("*a.b[2]", "(u* (index (. a b) 2))");
}

static void test_primaries(void)
{
	CHECK_EXPR("42", "42");
	CHECK_EXPR("0x10", "16");
	CHECK_EXPR("'A'", "65");
	CHECK_EXPR("\"a\" \"b\"   \"cd\"", "\"abcd\"");
	CHECK_EXPR("$target + $1", "(+ $target $1)");
	CHECK_EXPR("comm", "comm");
	CHECK_EXPR("count()", "(call count)");
	CHECK_EXPR("printf(\"%d %s\\n\", pid, comm)",
		   "(call printf \"%d %s\n\" pid comm)");
	CHECK_EXPR("str(data->filename)", "(call str (-> data filename))");
	CHECK_EXPR("f(g(1), 2 ? 3 : 4)", "(call f (call g 1) (? 2 3 4))");
	CHECK_EXPR("data->saddr[0]", "(index (-> data saddr) 0)");
	CHECK_EXPR("data->a.b->c", "(-> (. (-> data a) b) c)");
	CHECK_EXPR("t[kpid]", "(map t kpid)");
	CHECK_EXPR("t[kpid, cpu]", "(map t kpid cpu)");
	CHECK_EXPR("t[1][2]", "(index (map t 1) 2)");
	CHECK_EXPR("@", "(map @ nokeys)");
	CHECK_EXPR("@a", "(map @a nokeys)");
	CHECK_EXPR("@[comm]", "(map @ comm)");
	CHECK_EXPR("@a[comm, pid + 1]", "(map @a comm (+ pid 1))");
}

/* Strings concatenate with their lengths, NUL bytes included. */
static void test_string_concat(void)
{
	struct run r;
	const struct node *s;

	run(&r, "BEGIN { print(\"a\\0\" \"b\"); }");
	s = first_stmt(&r);
	CHECK(r.nerrors == 0);
	REQUIRE(&r, s && s->a && s->a->args && s->a->args->kind == N_STR);
	CHECK(s->a->args->slen == 3);
	CHECK(!memcmp(s->a->args->str, "a\0b", 4));
	done(&r);
}

static void test_statements(void)
{
	struct run r;
	const struct node *s;

	run(&r, "kprobe:k { @[comm] = count(); @n = sum(arg2); t[kpid] = time;"
	    " delete t[kpid]; delete @n; ; {} printf(\"x\"); }");
	REQUIRE(&r, r.nerrors == 0);
	s = first_stmt(&r);
	REQUIRE(&r, s && s->kind == N_ASSIGN && s->a->kind == N_MAP);
	CHECK_STR(render(r.a, s->a), "(map @ comm)");
	CHECK_STR(render(r.a, s->b), "(call count)");
	s = s->next;
	REQUIRE(&r, s && s->kind == N_ASSIGN);
	CHECK_STR(render(r.a, s->a), "(map @n nokeys)");
	CHECK_STR(render(r.a, s->b), "(call sum arg2)");
	s = s->next;
	REQUIRE(&r, s && s->kind == N_ASSIGN);
	CHECK_STR(render(r.a, s->a), "(map t kpid)");
	CHECK_STR(render(r.a, s->b), "time");
	s = s->next;
	REQUIRE(&r, s && s->kind == N_DELETE);
	CHECK_STR(render(r.a, s->a), "(map t kpid)");
	s = s->next;
	REQUIRE(&r, s && s->kind == N_DELETE);
	CHECK_STR(render(r.a, s->a), "(map @n nokeys)");
	/* the empty statement leaves nothing, the empty block stays */
	s = s->next;
	REQUIRE(&r, s && s->kind == N_BLOCK && !s->body);
	s = s->next;
	REQUIRE(&r, s && s->kind == N_EXPR);
	CHECK_STR(render(r.a, s->a), "(call printf \"x\")");
	CHECK(!s->next);
	done(&r);
}

/* m[k] op= v is m[k] = m[k] op v, for every C compound operator. */
static void test_compound(void)
{
	static const char *const ops[] = {
		"+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>",
	};
	struct run r;
	const struct node *s;
	char text[64], want[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		snprintf(text, sizeof(text), "BEGIN { m[pid, 1] %s= 2 + 3; }",
			 ops[i]);
		run(&r, text);
		REQUIRE(&r, r.nerrors == 0);
		s = first_stmt(&r);
		REQUIRE(&r, s && s->kind == N_ASSIGN);
		CHECK_STR(render(r.a, s->a), "(map m pid 1)");
		snprintf(want, sizeof(want), "(%s (map m pid 1) (+ 2 3))",
			 ops[i]);
		CHECK_STR(render(r.a, s->b), want);
		done(&r);
	}
}

static void test_if_else(void)
{
	struct run r;
	const struct node *s;

	run(&r, "BEGIN { if (a) x(); else if (b) { y(); z(); } else w();"
	    " if (c) ; if (d) {} else ; }");
	REQUIRE(&r, r.nerrors == 0);
	s = first_stmt(&r);
	REQUIRE(&r, s && s->kind == N_IF && s->a && s->b);
	CHECK_STR(render(r.a, s->c), "a");
	CHECK(s->a->kind == N_EXPR);
	REQUIRE(&r, s->b->kind == N_IF && s->b->a && s->b->b);
	CHECK_STR(render(r.a, s->b->c), "b");
	CHECK(s->b->a->kind == N_BLOCK);
	CHECK(s->b->a->body && s->b->a->body->next &&
	      !s->b->a->body->next->next);
	CHECK(s->b->b->kind == N_EXPR);
	CHECK_STR(render(r.a, s->b->b->a), "(call w)");
	/* an empty branch is an empty block, a missing else is NULL */
	s = s->next;
	REQUIRE(&r, s && s->kind == N_IF && s->a && s->a->kind == N_BLOCK &&
		!s->a->body && !s->b);
	s = s->next;
	REQUIRE(&r, s && s->kind == N_IF && s->b && s->b->kind == N_BLOCK);
	CHECK(!s->next);
	done(&r);

	/* the dangling else goes with the nearest if */
	run(&r, "BEGIN { if (a) if (b) x(); else y(); }");
	s = first_stmt(&r);
	REQUIRE(&r, s && s->kind == N_IF && !s->b && s->a);
	CHECK(s->a->kind == N_IF && s->a->b);
	done(&r);
}

static void test_probes(void)
{
	struct run r;
	const struct probe *p;

	run(&r, "BEGIN { }\n"
	    "tracepoint:syscalls/sys_enter_openat / pid == 1 / { }\n"
	    "interval:500ms{}END{}");
	CHECK(r.nerrors == 0);
	REQUIRE(&r, r.prog->nprobes == 4 && nth_probe(&r, 3));
	CHECK(r.prog->src == &r.src);
	p = r.prog->probes;
	CHECK_STR(p->spec, "BEGIN");
	CHECK_STR(p->provider, "BEGIN");
	CHECK_STR(p->def, "");
	CHECK(p->index == 0 && !p->pred && p->body->kind == N_BLOCK);
	CHECK(p->loc.line == 1 && p->loc.col == 1);
	p = p->next;
	CHECK_STR(p->provider, "tracepoint");
	CHECK_STR(p->def, "syscalls/sys_enter_openat");
	CHECK(p->index == 1);
	CHECK_STR(render(r.a, p->pred), "(== pid 1)");
	CHECK(p->loc.line == 2);
	p = p->next;
	CHECK_STR(p->spec, "interval:500ms");
	CHECK(p->index == 2);
	p = p->next;
	CHECK_STR(p->spec, "END");
	CHECK(p->index == 3 && !p->next);
	done(&r);

	/* a spec runs up to white space or '{', so it can eat a predicate */
	run(&r, "kprobe:SyS_*/x/{ }");
	REQUIRE(&r, r.nerrors == 0 && r.prog->probes);
	CHECK_STR(r.prog->probes->def, "SyS_*/x/");
	CHECK(r.prog->probes->pred == NULL);
	done(&r);

	/* with white space around the spec, the predicate is parsed */
	run(&r, "kprobe:SyS_* / !strcmp(execname, \"dd\") / { }\n"
	    "kprobe:dev_hard_start_xmit+8 { } interval:500ms {} END {}");
	REQUIRE(&r, r.nerrors == 0 && nth_probe(&r, 3));
	p = r.prog->probes;
	CHECK_STR(p->provider, "kprobe");
	CHECK_STR(p->def, "SyS_*");
	CHECK_STR(render(r.a, p->pred), "(u! (call strcmp execname \"dd\"))");
	p = p->next;
	CHECK_STR(p->def, "dev_hard_start_xmit+8");
	CHECK(p->index == 1);
	p = p->next;
	CHECK_STR(p->provider, "interval");
	CHECK_STR(p->def, "500ms");
	p = p->next;
	CHECK_STR(p->spec, "END");
	CHECK(p->index == 3 && !p->next);
	CHECK(r.prog->nprobes == 4);
	done(&r);

	/* in a predicate '/' ends it, except inside brackets */
	run(&r, "kprobe:a / (x / 2) > t[y / 3] && f(z / 4) / { }");
	REQUIRE(&r, r.nerrors == 0 && r.prog->probes);
	CHECK_STR(render(r.a, r.prog->probes->pred),
		  "(&& (> (/ x 2) (map t (/ y 3))) (call f (/ z 4)))");
	done(&r);

	/* but division works as usual in the body */
	run(&r, "kprobe:a / x / { @ = sum(a / b); }");
	REQUIRE(&r, r.nerrors == 0 && first_stmt(&r));
	CHECK_STR(render(r.a, first_stmt(&r)->b), "(call sum (/ a b))");
	done(&r);
}

static void test_locations(void)
{
	struct run r;
	const struct node *s;

	run(&r, "BEGIN {\n  @a[pid] = 1 +\n\t2;\n}");
	s = first_stmt(&r);
	REQUIRE(&r, s && s->kind == N_ASSIGN && s->a->keys && s->b->b);
	CHECK(s->loc.line == 2 && s->loc.col == 3);
	CHECK(s->a->loc.line == 2 && s->a->loc.col == 3);
	CHECK(s->a->keys->loc.line == 2 && s->a->keys->loc.col == 6);
	/* a binary node sits at its operator */
	CHECK(s->b->loc.line == 2 && s->b->loc.col == 15);
	CHECK(s->b->b->loc.line == 3 && s->b->b->loc.col == 2);
	CHECK(s->loc.src == &r.src);
	done(&r);
}

static void test_dump(void)
{
	struct run r;
	struct type t = { .kind = T_INT, .size = 4, .name = "u32" };

	run(&r, "tracepoint:syscalls/sys_enter_openat /pid == 1/ { "
	    "@[comm] = count(); printf(\"%s\\n\", str(data->filename)); }");
	CHECK(r.nerrors == 0);
	CHECK_STR(dump(&r),
		  "probe 0 tracepoint:syscalls/sys_enter_openat\n"
		  "  pred\n"
		  "    binary ==\n"
		  "      ident pid\n"
		  "      int 1\n"
		  "  block\n"
		  "    assign\n"
		  "      map @\n"
		  "        ident comm\n"
		  "      call count\n"
		  "    expr\n"
		  "      call printf\n"
		  "        str \"%s\\n\"\n"
		  "        call str\n"
		  "          member ->filename\n"
		  "            ident data\n");
	/* sema's types show up after a colon */
	REQUIRE(&r, r.prog->probes && r.prog->probes->pred);
	r.prog->probes->pred->a->type = &t;
	CHECK(strstr(dump(&r), "      ident pid : u32\n") != NULL);
	done(&r);

	run(&r, "BEGIN { if (!a) { delete m[$1]; } else x.y[-1] ? "
	    "~\"q\\t\\001\" : 2; }");
	CHECK(r.nerrors == 0);
	CHECK_STR(dump(&r),
		  "probe 0 BEGIN\n"
		  "  block\n"
		  "    if\n"
		  "      unary !\n"
		  "        ident a\n"
		  "      block\n"
		  "        delete\n"
		  "          map m\n"
		  "            dollar $1\n"
		  "    else\n"
		  "      expr\n"
		  "        cond\n"
		  "          index\n"
		  "            member .y\n"
		  "              ident x\n"
		  "            unary -\n"
		  "              int 1\n"
		  "          unary ~\n"
		  "            str \"q\\t\\001\"\n"
		  "          int 2\n");
	done(&r);

	/* a tuple, and its members by number */
	run(&r, "BEGIN { m[1] = (time, \"a\", (3)); print(m[1].2, m[1].0x1); }");
	CHECK(r.nerrors == 0);
	CHECK_STR(dump(&r),
		  "probe 0 BEGIN\n"
		  "  block\n"
		  "    assign\n"
		  "      map m\n"
		  "        int 1\n"
		  "      tuple\n"
		  "        ident time\n"
		  "        str \"a\"\n"
		  "        int 3\n"
		  "    expr\n"
		  "      call print\n"
		  "        member .2\n"
		  "          map m\n"
		  "            int 1\n"
		  "        member .1\n"
		  "          map m\n"
		  "            int 1\n");
	done(&r);
}

static void test_op_str(void)
{
	static const struct {
		int op;
		const char *s;
	} ops[] = {
		{ TK_PLUS, "+" }, { TK_MINUS, "-" }, { TK_STAR, "*" },
		{ TK_SLASH, "/" }, { TK_PERCENT, "%" }, { TK_AMP, "&" },
		{ TK_PIPE, "|" }, { TK_CARET, "^" }, { TK_TILDE, "~" },
		{ TK_BANG, "!" }, { TK_SHL, "<<" }, { TK_SHR, ">>" },
		{ TK_LT, "<" }, { TK_GT, ">" }, { TK_LE, "<=" },
		{ TK_GE, ">=" }, { TK_EQ, "==" }, { TK_NE, "!=" },
		{ TK_ANDAND, "&&" }, { TK_OROR, "||" }, { TK_ASSIGN, "=" },
		{ TK_ARROW, "->" }, { TK_DOT, "." }, { TK_QUESTION, "?" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		CHECK_STR(op_str(ops[i].op), ops[i].s);
}

static void test_errors(void)
{
	CHECK_ERRORS("tracepoint:syscalls/sys_enter_openat { @[comm] = count( ; }",
		     1,
		     "<input>:1:57: error: expected ')', found ';'\n"
		     "tracepoint:syscalls/sys_enter_openat { @[comm] = count( ; }\n"
		     "                                                        ^\n");
	/* a ';' may be left out before '}' (once an error), not elsewhere */
	CHECK_ERRORS("BEGIN { print(1) }", 0, "");
	CHECK_ERRORS("BEGIN { if (pid) { delete m[1] } else print(2) }", 0, "");
	CHECK_ERRORS("BEGIN { print(1) print(2) }", 1,
		     "<input>:1:18: error: expected ';', found identifier 'print'\n"
		     "BEGIN { print(1) print(2) }\n"
		     "                 ^\n");
	/* compound assignments are plain maps' (see test_compound) */
	CHECK_ERRORS("BEGIN { @a[pid] += 2; }", 1,
		     "<input>:1:17: error: @a cannot be updated with '+=': write "
		     "@a = count() to count, or @a = sum(expr) to add\n"
		     "BEGIN { @a[pid] += 2; }\n"
		     "                ^\n");
	CHECK_ERRORS("BEGIN {\n\tx = 1;\n}", 1,
		     "<input>:2:2: error: can only assign to a map: write x[key] = ..., or @x = ... for an aggregation\n"
		     "\tx = 1;\n"
		     "\t^\n");
	CHECK_ERRORS("BEGIN { data->x = 1; }", 1,
		     "<input>:1:13: error: can only assign to a map\n"
		     "BEGIN { data->x = 1; }\n"
		     "            ^\n");
	CHECK_ERRORS("BEGIN { delete pid; }", 1,
		     "<input>:1:16: error: can only delete a map element\n"
		     "BEGIN { delete pid; }\n"
		     "               ^\n");
	CHECK_ERRORS("BEGIN { @a[pid]++; }", 1,
		     "<input>:1:16: error: '++' is not supported: write m[key] += "
		     "1, or @m[key] = count() to count\n"
		     "BEGIN { @a[pid]++; }\n"
		     "               ^\n");
	CHECK_ERRORS("BEGIN { --x; }", 1,
		     "<input>:1:9: error: '--' is not supported: write m[key] -= "
		     "1, or @m[key] = count() to count\n"
		     "BEGIN { --x; }\n"
		     "        ^\n");
	CHECK_ERRORS("BEGIN { return; }", 1,
		     "<input>:1:9: error: expected expression, found 'return'\n"
		     "BEGIN { return; }\n"
		     "        ^\n");
	CHECK_ERRORS("BEGIN { a->1; }", 1,
		     "<input>:1:12: error: expected identifier, found integer '1'\n"
		     "BEGIN { a->1; }\n"
		     "           ^\n");
	CHECK_ERRORS("BEGIN { f(1 2); }", 1,
		     "<input>:1:13: error: expected ')', found integer '2'\n"
		     "BEGIN { f(1 2); }\n"
		     "            ^\n");
	CHECK_ERRORS("BEGIN { @a[] = 1; }", 1,
		     "<input>:1:12: error: expected expression, found ']'\n"
		     "BEGIN { @a[] = 1; }\n"
		     "           ^\n");
	CHECK_ERRORS("BEGIN { a ? b; }", 1,
		     "<input>:1:14: error: expected ':', found ';'\n"
		     "BEGIN { a ? b; }\n"
		     "             ^\n");
	CHECK_ERRORS("BEGIN { if x { } }", 1,
		     "<input>:1:12: error: expected '(', found identifier 'x'\n"
		     "BEGIN { if x { } }\n"
		     "           ^\n");
	CHECK_ERRORS("kprobe:a / pid == 1 { }", 1,
		     "<input>:1:21: error: expected '/' after the predicate, "
		     "found '{'\n"
		     "kprobe:a / pid == 1 { }\n"
		     "                    ^\n");
	CHECK_ERRORS("kprobe:a print(); }", 1,
		     "<input>:1:10: error: expected '{' after the probe "
		     "specifier, found probe specifier 'print();'\n"
		     "kprobe:a print(); }\n"
		     "         ^\n");
	CHECK_ERRORS("BEGIN { regs->ip(1); }", 1,
		     "<input>:1:17: error: expected ';', found '('\n"
		     "BEGIN { regs->ip(1); }\n"
		     "                ^\n");
	CHECK_ERRORS("BEGIN { f((2, )); }", 1,
		     "<input>:1:15: error: expected expression, found ')'\n"
		     "BEGIN { f((2, )); }\n"
		     "              ^\n");
	CHECK_ERRORS("BEGIN { m[1]->0; }", 1,
		     "<input>:1:15: error: expected identifier, found integer '0'\n"
		     "BEGIN { m[1]->0; }\n"
		     "              ^\n");
	CHECK_ERRORS("{ }", 1,
		     "<input>:1:1: error: expected a probe specifier, found '{'\n"
		     "{ }\n"
		     "^\n");
	CHECK_ERRORS("BEGIN { print(1);", 1,
		     "<input>:1:18: error: expected '}', found end of input\n"
		     "BEGIN { print(1);\n"
		     "                 ^\n"
		     "<input>:1:7: note: to match this '{'\n"
		     "BEGIN { print(1);\n"
		     "      ^\n");
	CHECK_ERRORS("", 1,
		     "<input>:1:1: error: program has no probes\n"
		     "\n"
		     "^\n");
	CHECK_ERRORS("# just a comment\n", 1,
		     "<input>:2:1: error: program has no probes\n"
		     "\n"
		     "^\n");
	/* the lexer's error is the only one */
	CHECK_ERRORS("BEGIN { print(`); }", 1,
		     "<input>:1:15: error: unexpected character '`'\n"
		     "BEGIN { print(`); }\n"
		     "              ^\n");
	CHECK_ERRORS("BEGIN { x = 0x; }", 2,
		     "<input>:1:9: error: can only assign to a map: write x[key] = ..., or @x = ... for an aggregation\n"
		     "BEGIN { x = 0x; }\n"
		     "        ^\n"
		     "<input>:1:13: error: no digits in hexadecimal constant\n"
		     "BEGIN { x = 0x; }\n"
		     "            ^\n");
}

static void test_recovery(void)
{
	struct run r;

	/* two errors in one program, both reported, nothing else */
	CHECK_ERRORS("BEGIN {\n  print(1 +);\n  @a = count();\n"
		     "  printf(\"%d\" pid);\n}",
		     2,
		     "<input>:2:12: error: expected expression, found ')'\n"
		     "  print(1 +);\n"
		     "           ^\n"
		     "<input>:4:15: error: expected ')', found identifier 'pid'\n"
		     "  printf(\"%d\" pid);\n"
		     "              ^\n");

	/* errors in several probes, a good statement between them kept */
	run(&r, "kprobe:a { f(; @ok = count(); }\n"
	    "kprobe:b { if (x) { g(; } else h(; @[1] = 2; }\n"
	    "kprobe:c { ) }\n"
	    "kprobe:d { @last = count(); }");
	CHECK(r.nerrors == 4);
	REQUIRE(&r, r.prog->nprobes == 4 && first_stmt(&r) &&
		nth_probe(&r, 3)->body->body);
	CHECK(strstr(r.diag, "<input>:1:14: error: expected ')', found ';'\n"));
	CHECK(strstr(r.diag, "<input>:2:23: error: expected ')', found ';'\n"));
	CHECK(strstr(r.diag, "<input>:2:34: error: expected ')', found ';'\n"));
	CHECK(strstr(r.diag, "<input>:3:12: error: expected expression, "
		     "found ')'\n"));
	CHECK_STR(render(r.a, first_stmt(&r)->a), "(map @ok nokeys)");
	CHECK(first_stmt(&r)->next == NULL);
	CHECK_STR(nth_probe(&r, 3)->spec, "kprobe:d");
	CHECK(nth_probe(&r, 3)->index == 3);
	CHECK_STR(render(r.a, nth_probe(&r, 3)->body->body->a),
		  "(map @last nokeys)");
	done(&r);

	/* a bad predicate doesn't hide errors in the body */
	CHECK_ERRORS("kprobe:a / pid == / { f(; }", 2,
		     "<input>:1:19: error: expected expression, found '/'\n"
		     "kprobe:a / pid == / { f(; }\n"
		     "                  ^\n"
		     "<input>:1:25: error: expected ')', found ';'\n"
		     "kprobe:a / pid == / { f(; }\n"
		     "                        ^\n");

	/* a probe without a body doesn't swallow the next one */
	run(&r, "kprobe:a\nkprobe:b { @ = count(); }");
	CHECK(r.nerrors == 1);
	REQUIRE(&r, r.prog->nprobes == 1);
	CHECK_STR(r.prog->probes->spec, "kprobe:b");
	CHECK(r.prog->probes->index == 0);
	CHECK(strstr(r.diag, "<input>:2:1: error: expected '{' after the "
		     "probe specifier, found probe specifier 'kprobe:b'\n"));
	done(&r);

	/* junk at top level is skipped up to the next probe */
	run(&r, "42 { a; { b; } } BEGIN { }");
	CHECK(r.nerrors == 1);
	REQUIRE(&r, r.prog->nprobes == 1);
	CHECK_STR(r.prog->probes->spec, "BEGIN");
	done(&r);

	/* an error inside a nested block resumes in that block */
	run(&r, "BEGIN { { f(; g(); } h(); }");
	CHECK(r.nerrors == 1);
	REQUIRE(&r, first_stmt(&r) && first_stmt(&r)->body &&
		first_stmt(&r)->next);
	CHECK_STR(render(r.a, first_stmt(&r)->body->a), "(call g)");
	CHECK_STR(render(r.a, first_stmt(&r)->next->a), "(call h)");
	done(&r);
}

/* "BEGIN { print(" pre x n, mid, post x npost, " }": a generated deep
 * program (no "print(" when pre opens a statement). */
static char *deep(const char *pre, size_t n, const char *mid,
		  const char *post, size_t npost)
{
	size_t lp = strlen(pre), lq = strlen(post), i;
	char *s = malloc(32 + n * lp + strlen(mid) + npost * lq), *e = s;
	int is_stmt = *pre == '{' || *pre == 'i';

	e += sprintf(e, "BEGIN { %s", is_stmt ? "" : "print(");
	for (i = 0; i < n; i++, e += lp)
		memcpy(e, pre, lp);
	e += sprintf(e, "%s", mid);
	for (i = 0; i < npost; i++, e += lq)
		memcpy(e, post, lq);
	sprintf(e, " }");
	return s;
}

/* Exactly one error, starting with want. */
static void check_deep(char *text, const char *want)
{
	struct run r;

	run(&r, text);
	CHECK(r.nerrors == 1);
	CHECK(r.diag && strstr(r.diag, want) && strstr(r.diag, want) ==
	      strchr(r.diag, ' ') + 1);
	if (r.nerrors != 1 || !r.diag || !strstr(r.diag, want))
		fprintf(stderr, "  got: %.200s\n", r.diag ? r.diag : "");
	done(&r);
	free(text);
}

/* Once a stack overflow: every recursive rule stops at a depth, reports it
 * once and recovers without a cascade; the tree's height is bounded too,
 * so the passes after the parser can recurse. */
static void test_nesting(void)
{
	const char *e = "error: expression nests too deeply (more than 1000 ";
	const char *st = "error: statement nests too deeply (more than 1000 ";
	struct run r;
	char *text;

	check_deep(deep("{", 20000, "", "}", 20000), st);
	check_deep(deep("if (1) print(1); else ", 100000, "print(2);", "", 0),
		   e);
	check_deep(deep("1?", 1000000, "1", ":1", 1000000), e);
	check_deep(deep("1?1:", 100000, "1);", "", 0), e);
	check_deep(deep("- ", 100000, "1);", "", 0), e);
	check_deep(deep("!", 100000, "1);", "", 0), e);
	check_deep(deep("(", 100000, "1", ")", 100000), e);
	check_deep(deep("m[", 100000, "1", "]", 100000), e);
	check_deep(deep("f(", 100000, "1", ")", 100000), e);
	check_deep(deep("1+", 100000, "1);", "", 0),
		   "error: expression nests too deeply (more than 2000 ");
	/* within the limits: parses, and the dump gets through it */
	text = deep("1+", 1500, "1);", "", 0);
	run(&r, text);
	CHECK(r.nerrors == 0);
	if (!r.nerrors) {
		FILE *f = fopen("/dev/null", "w");

		ast_dump(f, r.prog);
		fclose(f);
	}
	done(&r);
	free(text);
	text = deep("{", 900, "print(1);", "}", 900);
	run(&r, text);
	CHECK(r.nerrors == 0);
	done(&r);
	free(text);
}

int main(void)
{
	test_precedence();
	test_primaries();
	test_string_concat();
	test_statements();
	test_compound();
	test_if_else();
	test_probes();
	test_locations();
	test_dump();
	test_op_str();
	test_errors();
	test_recovery();
	test_nesting();
	return test_report("parse");
}
