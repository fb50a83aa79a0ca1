/* parse: recursive descent from the tokens of lex to the ast. One function
 * per grammar rule, the rule written above it. Errors put the parser in
 * panic mode: further reports are held back until it has resynchronised at
 * the next ';' or '}' of the current block (or, at top level, the next
 * probe), so every real error in a program is reported once and the
 * confusion it causes is not. */
#include <stdarg.h>
#include <string.h>

#include "parse.h"

struct parser {
	struct lexer lx;
	struct arena *a;
	struct diag *d;
	struct token tok;	/* the current token */
	enum lex_mode mode;	/* the mode the next token is lexed in */
	int panic;		/* an error was reported, wait for resync */
	int in_pred;		/* a '/' ends the predicate, it doesn't divide */
	int depth;		/* of the recursive rules, see enter() */
	int too_deep;		/* that error was reported */
};

/* Deeper programs are refused rather than overflowing the C stack: the
 * parser's own recursion stops at MAX_DEPTH, and the tree it builds (a
 * chain like 1 + 1 + ... + 1 is deep without nesting in the text) at
 * MAX_HEIGHT, so the recursive passes after it (sema, gen, the dump) are
 * safe by construction. */
#define MAX_DEPTH 1000
#define MAX_HEIGHT 2000

static struct node *expr(struct parser *p);
static struct node *stmt(struct parser *p);
static struct node *block(struct parser *p, int top);

/* ---- tokens ---- */

static void next(struct parser *p)
{
	p->tok = lex_next(&p->lx, p->mode);
}

static int at(const struct parser *p, enum tok_kind k)
{
	return p->tok.kind == k;
}

static int accept(struct parser *p, enum tok_kind k)
{
	if (!at(p, k))
		return 0;
	next(p);
	return 1;
}

/* "identifier 'foo'", "';'", "end of input": what the user wrote. */
static const char *describe(struct parser *p, const struct token *t)
{
	switch (t->kind) {
	case TK_IDENT: case TK_AGG: case TK_INT: case TK_PSPEC:
		return arena_printf(p->a, "%s '%.*s'", tok_name(t->kind),
				    (int)t->len, t->text);
	case TK_DOLLAR:
		return arena_printf(p->a, "'$%.*s'", (int)t->len, t->text);
	default:
		return tok_name(t->kind);
	}
}

/* ---- errors ---- */

static void verror(struct parser *p, struct loc l, const char *fmt,
		   va_list ap)
{
	char buf[512];

	if (p->panic)
		return;
	p->panic = 1;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	diag_error(p->d, l, "%s", buf);
}

/* An error about a node that parsed fine ("can only assign to a map"):
 * the parser is still in step with the text, so no panic. */
static void __attribute__((format(printf, 3, 4)))
error_at(struct parser *p, struct loc l, const char *fmt, ...)
{
	va_list ap;

	if (p->panic)
		return;
	va_start(ap, fmt);
	verror(p, l, fmt, ap);
	va_end(ap);
	p->panic = 0;
}

/* An error at the current token; quiet if the lexer already complained
 * about it. */
static void __attribute__((format(printf, 2, 3)))
error_tok(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (at(p, TK_ERROR)) {
		p->panic = 1;
		return;
	}
	va_start(ap, fmt);
	verror(p, p->tok.loc, fmt, ap);
	va_end(ap);
}

/* Once panicking the parser only unwinds: it consumes nothing more that
 * expect() asks for, so resync sees the ';' or '}' the error was near. */
static int expect(struct parser *p, enum tok_kind k)
{
	if (p->panic)
		return 0;
	if (accept(p, k))
		return 1;
	error_tok(p, "expected %s, found %s", tok_name(k),
		  describe(p, &p->tok));
	return 0;
}

static void unsupported(struct parser *p)
{
	error_tok(p, "%s is not supported: write m[key] %s 1, or @m[key] = "
		  "count() to count", tok_name(p->tok.kind),
		  at(p, TK_INC) ? "+=" : "-=");
	next(p);
}

/* Skips past the next ';', or up to the '}' closing this block. */
static void sync_stmt(struct parser *p)
{
	int depth = 0;

	for (; !at(p, TK_EOF); next(p)) {
		if (at(p, TK_LBRACE)) {
			depth++;
		} else if (at(p, TK_RBRACE)) {
			if (!depth)
				break;
			depth--;
		} else if (at(p, TK_SEMI) && !depth) {
			next(p);
			break;
		}
	}
	p->panic = 0;
}

/* Skips to the next probe spec outside of any block. Panic lasts until a
 * probe's body is reached: the spec found may be junk that only looks like
 * one ("kprobe:a print(); }"), and it shouldn't cause a second error. */
static void sync_top(struct parser *p)
{
	int depth = 0;

	while (!at(p, TK_EOF) && !(at(p, TK_PSPEC) && !depth)) {
		if (at(p, TK_LBRACE))
			depth++;
		else if (at(p, TK_RBRACE) && depth)
			depth--;
		p->mode = depth ? LEX_CODE : LEX_PROBE;
		next(p);
	}
}

/* Every recursive rule (statements, ?:, unary operators, and through them
 * parentheses, calls and subscripts) enters here; reported once, then the
 * parser unwinds in panic mode. */
static int enter(struct parser *p, const char *what)
{
	int depth = 0;

	if (p->depth >= MAX_DEPTH) {
		if (!p->too_deep++)
			error_tok(p, "%s nests too deeply (more than %d "
				  "levels)", what, MAX_DEPTH);
		p->panic = 1;
		/* Give up on the rest of this block: resynchronising at each
		 * ';' of a chain of else-ifs would report its every 'else'. */
		for (; !at(p, TK_EOF); next(p)) {
			if (at(p, TK_LBRACE))
				depth++;
			else if (at(p, TK_RBRACE) && !depth--)
				break;
		}
		return 0;
	}
	p->depth++;
	return 1;
}

static void leave(struct parser *p)
{
	p->depth--;
}

/* ---- expressions ---- */

static struct node *new_node(struct parser *p, enum node_kind k)
{
	return node_new(p->a, k, p->tok.loc);
}

static const char *tok_text(struct parser *p)
{
	return arena_strndup(p->a, p->tok.text, p->tok.len);
}

static int starts_expr(enum tok_kind k)
{
	switch (k) {
	case TK_INT: case TK_STR: case TK_LPAREN: case TK_DOLLAR:
	case TK_IDENT: case TK_AGG: case TK_MINUS: case TK_PLUS:
	case TK_BANG: case TK_TILDE: case TK_STAR: case TK_AMP: case TK_INC:
	case TK_DEC:
		return 1;
	default:
		return 0;
	}
}

/* A placeholder for an expression that could not be parsed; the statement
 * holding it is dropped at resync. */
static struct node *bad_expr(struct parser *p)
{
	error_tok(p, "expected expression, found %s", describe(p, &p->tok));
	return new_node(p, N_INT);
}

/* exprs = expr (',' expr)* */
static struct node *exprs(struct parser *p)
{
	struct node *head = expr(p), *tail = head;

	while (accept(p, TK_COMMA))
		tail = tail->next = expr(p);
	return head;
}

/* Parses what is between brackets with '/' meaning division again, so a
 * predicate can say / (a / b) > 1 /. */
static struct node *nested(struct parser *p, struct node *(*rule)(struct parser *))
{
	int in_pred = p->in_pred;
	struct node *n;

	p->in_pred = 0;
	n = rule(p);
	p->in_pred = in_pred;
	return n;
}

/* call = IDENT '(' exprs? ')' */
static struct node *call(struct parser *p, struct node *n)
{
	n->kind = N_CALL;
	next(p);
	if (at(p, TK_RPAREN)) {
		next(p);
		return n;
	}
	if (!starts_expr(p->tok.kind)) {
		expect(p, TK_RPAREN);
		return n;
	}
	n->args = nested(p, exprs);
	expect(p, TK_RPAREN);
	return n;
}

/* keys = '[' exprs ']' */
static struct node *keys(struct parser *p)
{
	struct node *k;

	next(p);
	k = nested(p, exprs);
	expect(p, TK_RBRACKET);
	return k;
}

/* ident = IDENT (call | keys)? */
static struct node *ident(struct parser *p)
{
	struct node *n = new_node(p, N_IDENT);

	n->name = tok_text(p);
	next(p);
	if (at(p, TK_LPAREN))
		return call(p, n);
	if (at(p, TK_LBRACKET)) {
		n->kind = N_MAP;
		n->keys = keys(p);
	}
	return n;
}

/* agg = AGG keys? */
static struct node *agg(struct parser *p)
{
	struct node *n = new_node(p, N_MAP);

	n->name = tok_text(p);
	next(p);
	if (at(p, TK_LBRACKET))
		n->keys = keys(p);
	return n;
}

/* strings = STR+, adjacent literals concatenated as in C */
static struct node *strings(struct parser *p)
{
	struct node *n = new_node(p, N_STR);
	size_t len = 0;
	char *buf;

	n->str = p->tok.str;
	n->slen = p->tok.slen;
	next(p);
	while (at(p, TK_STR)) {
		len = n->slen + p->tok.slen;
		buf = arena_alloc(p->a, len + 1);
		memcpy(buf, n->str, n->slen);
		memcpy(buf + n->slen, p->tok.str, p->tok.slen);
		n->str = buf;
		n->slen = len;
		next(p);
	}
	return n;
}

static struct node *unary(struct parser *p);

static int tok_is(const struct parser *p, const char *word)
{
	return at(p, TK_IDENT) && p->tok.len == strlen(word) &&
	       !strncmp(p->tok.text, word, p->tok.len);
}

/* After '(' and an identifier: is the rest "* ... )"? Then the identifier
 * names a type (a typedef), as "(x * )" is no expression. Read from the
 * text, since the parser looks only one token ahead. */
static int stars_then_paren(const struct parser *p)
{
	const char *t = p->lx.src->text + p->lx.pos;
	int stars = 0;

	for (; *t == ' ' || *t == '\t' || *t == '*'; t++)
		stars += *t == '*';
	return stars && *t == ')';
}

/* "(u8)" ... "(s64)": ply's own integer types. */
static int int_cast(const struct parser *p)
{
	static const char *const ints[] = {
		"u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64",
	};
	const char *t = p->lx.src->text + p->lx.pos;
	size_t i;

	while (*t == ' ' || *t == '\t')
		t++;
	for (i = 0; *t == ')' && i < ARRAY_SIZE(ints); i++)
		if (tok_is(p, ints[i]))
			return 1;
	return 0;
}

/* cast = '(' (('struct' | 'union' | 'enum') IDENT | IDENT) '*'* ')' unary
 * (a bare IDENT only with a '*', or one of ply's integers: "(pid_t)"
 * could be a parenthesised name) */
static struct node *cast(struct parser *p)
{
	struct node *n = new_node(p, N_CAST);
	const char *kw = "";

	if (tok_is(p, "struct") || tok_is(p, "union") || tok_is(p, "enum")) {
		kw = tok_text(p);
		next(p);
		n->loc = p->tok.loc;
	}
	n->name = at(p, TK_IDENT) ? arena_printf(p->a, "%s%s%.*s", kw,
						 *kw ? " " : "", (int)p->tok.len,
						 p->tok.text) : "";
	if (!expect(p, TK_IDENT))
		return n;
	while (accept(p, TK_STAR))
		n->ival++;
	expect(p, TK_RPAREN);
	n->a = unary(p);
	return n;
}

/* paren = '(' expr ')' | tuple | cast
 * tuple = '(' expr (',' expr)+ ')' */
static struct node *paren(struct parser *p)
{
	struct node *n, *t, **tail;

	next(p);
	if (tok_is(p, "struct") || tok_is(p, "union") || tok_is(p, "enum") ||
	    (at(p, TK_IDENT) && stars_then_paren(p)) || int_cast(p))
		return cast(p);
	n = nested(p, expr);
	if (at(p, TK_COMMA)) {
		t = new_node(p, N_TUPLE);
		t->loc = n->loc;
		t->args = n;
		tail = &n->next;
		while (accept(p, TK_COMMA)) {
			*tail = nested(p, expr);
			tail = &(*tail)->next;
		}
		n = t;
	}
	expect(p, TK_RPAREN);
	return n;
}

/* primary = INT | strings | paren | DOLLAR | ident | agg */
static struct node *primary(struct parser *p)
{
	struct node *n;

	switch (p->tok.kind) {
	case TK_INT:
		n = new_node(p, N_INT);
		n->ival = p->tok.ival;
		next(p);
		return n;
	case TK_DOLLAR:
		n = new_node(p, N_DOLLAR);
		n->name = tok_text(p);
		next(p);
		return n;
	case TK_STR: return strings(p);
	case TK_LPAREN: return paren(p);
	case TK_IDENT: return ident(p);
	case TK_AGG: return agg(p);
	default: return bad_expr(p);
	}
}

/* member = ('->' | '.') IDENT | '.' INT (a tuple's member, from 0) */
static struct node *member(struct parser *p, struct node *base)
{
	struct node *n = new_node(p, N_MEMBER);

	n->arrow = at(p, TK_ARROW);
	n->a = base;
	next(p);
	n->name = "";
	if (!n->arrow && at(p, TK_INT)) {
		n->name = arena_printf(p->a, "%llu",
				       (unsigned long long)p->tok.ival);
		next(p);
		return n;
	}
	if (at(p, TK_IDENT))
		n->name = tok_text(p);
	expect(p, TK_IDENT);
	return n;
}

/* subscript = '[' expr ']' */
static struct node *subscript(struct parser *p, struct node *base)
{
	struct node *n = new_node(p, N_INDEX);

	next(p);
	n->a = base;
	n->b = nested(p, expr);
	expect(p, TK_RBRACKET);
	return n;
}

/* postfix = primary (member | subscript)* */
static struct node *postfix(struct parser *p)
{
	struct node *n = primary(p);

	for (;;) {
		switch (p->tok.kind) {
		case TK_ARROW: case TK_DOT:
			n = member(p, n);
			break;
		case TK_LBRACKET:
			n = subscript(p, n);
			break;
		case TK_INC: case TK_DEC:
			unsupported(p);
			return n;
		default:
			return n;
		}
	}
}

static struct node *unary_nest(struct parser *p);

/* unary = ('-' | '!' | '~' | '*' | '&') unary | '+' unary | postfix */
static struct node *unary(struct parser *p)
{
	struct node *n;

	if (!enter(p, "expression"))
		return new_node(p, N_INT);
	n = unary_nest(p);
	leave(p);
	return n;
}

static struct node *unary_nest(struct parser *p)
{
	struct node *n;

	switch (p->tok.kind) {
	case TK_PLUS:
		next(p);
		return unary(p);
	case TK_MINUS: case TK_BANG: case TK_TILDE: case TK_STAR: case TK_AMP:
		n = new_node(p, N_UNARY);
		n->op = p->tok.kind;
		next(p);
		n->a = unary(p);
		return n;
	case TK_INC: case TK_DEC:
		unsupported(p);
		return unary(p);
	default:
		return postfix(p);
	}
}

static int in_ops(const enum tok_kind *ops, enum tok_kind k)
{
	for (; *ops != TK_EOF; ops++)
		if (*ops == k)
			return 1;
	return 0;
}

/* One left-associative level: operand (op operand)*, ops ends in TK_EOF. */
static struct node *binary(struct parser *p, const enum tok_kind *ops,
			   struct node *(*operand)(struct parser *))
{
	struct node *l = operand(p), *n;

	while (in_ops(ops, p->tok.kind) &&
	       !(at(p, TK_SLASH) && p->in_pred)) {
		n = new_node(p, N_BINARY);
		n->op = p->tok.kind;
		next(p);
		n->a = l;
		n->b = operand(p);
		l = n;
	}
	return l;
}

/* multiplicative = unary (('*' | '/' | '%') unary)* */
static struct node *multiplicative(struct parser *p)
{
	static const enum tok_kind ops[] = {
		TK_STAR, TK_SLASH, TK_PERCENT, TK_EOF,
	};

	return binary(p, ops, unary);
}

/* additive = multiplicative (('+' | '-') multiplicative)* */
static struct node *additive(struct parser *p)
{
	static const enum tok_kind ops[] = { TK_PLUS, TK_MINUS, TK_EOF };

	return binary(p, ops, multiplicative);
}

/* shift = additive (('<<' | '>>') additive)* */
static struct node *shift(struct parser *p)
{
	static const enum tok_kind ops[] = { TK_SHL, TK_SHR, TK_EOF };

	return binary(p, ops, additive);
}

/* relational = shift (('<' | '<=' | '>' | '>=') shift)* */
static struct node *relational(struct parser *p)
{
	static const enum tok_kind ops[] = {
		TK_LT, TK_LE, TK_GT, TK_GE, TK_EOF,
	};

	return binary(p, ops, shift);
}

/* equality = relational (('==' | '!=') relational)* */
static struct node *equality(struct parser *p)
{
	static const enum tok_kind ops[] = { TK_EQ, TK_NE, TK_EOF };

	return binary(p, ops, relational);
}

/* bitand = equality ('&' equality)* */
static struct node *bitand(struct parser *p)
{
	static const enum tok_kind ops[] = { TK_AMP, TK_EOF };

	return binary(p, ops, equality);
}

/* bitxor = bitand ('^' bitand)* */
static struct node *bitxor(struct parser *p)
{
	static const enum tok_kind ops[] = { TK_CARET, TK_EOF };

	return binary(p, ops, bitand);
}

/* bitor = bitxor ('|' bitxor)* */
static struct node *bitor(struct parser *p)
{
	static const enum tok_kind ops[] = { TK_PIPE, TK_EOF };

	return binary(p, ops, bitxor);
}

/* andand = bitor ('&&' bitor)* */
static struct node *andand(struct parser *p)
{
	static const enum tok_kind ops[] = { TK_ANDAND, TK_EOF };

	return binary(p, ops, bitor);
}

/* oror = andand ('||' andand)* */
static struct node *oror(struct parser *p)
{
	static const enum tok_kind ops[] = { TK_OROR, TK_EOF };

	return binary(p, ops, andand);
}

static struct node *cond_nest(struct parser *p);

/* cond = oror ('?' expr ':' cond)? */
static struct node *cond(struct parser *p)
{
	struct node *n;

	if (!enter(p, "expression"))
		return new_node(p, N_INT);
	n = cond_nest(p);
	leave(p);
	return n;
}

static struct node *cond_nest(struct parser *p)
{
	struct node *c = oror(p), *n;

	if (p->panic || !at(p, TK_QUESTION))
		return c;
	n = new_node(p, N_COND);
	next(p);
	n->c = c;
	n->a = expr(p);
	expect(p, TK_COLON);
	n->b = cond(p);
	return n;
}

/* expr = cond */
static struct node *expr(struct parser *p)
{
	return cond(p);
}

/* ---- statements ---- */

/* A statement that is a branch of an if: resynchronised on its own so an
 * error in it doesn't turn the following 'else' into a second one. */
static struct node *branch(struct parser *p)
{
	struct loc l = p->tok.loc;
	struct node *s = stmt(p);

	if (p->panic) {
		sync_stmt(p);
		s = NULL;
	}
	return s ? s : node_new(p->a, N_BLOCK, l);
}

/* if_stmt = 'if' '(' expr ')' stmt ('else' stmt)? */
static struct node *if_stmt(struct parser *p)
{
	struct node *n = new_node(p, N_IF);

	next(p);
	expect(p, TK_LPAREN);
	n->c = expr(p);
	expect(p, TK_RPAREN);
	if (p->panic)
		return n;
	n->a = branch(p);
	if (accept(p, TK_ELSE))
		n->b = branch(p);
	return n;
}

/* A statement ends with ';', which may be left out before a '}' (as in
 * bpftrace and awk). */
static void end_stmt(struct parser *p)
{
	if (!at(p, TK_RBRACE))
		expect(p, TK_SEMI);
}

/* delete_stmt = 'delete' map ';' */
static struct node *delete_stmt(struct parser *p)
{
	struct node *n = new_node(p, N_DELETE);

	next(p);
	n->a = postfix(p);
	if (n->a->kind != N_MAP)
		error_at(p, n->a->loc, "can only delete a map element");
	end_stmt(p);
	return n;
}

/* The operator of a compound assignment, TK_EOF for anything else. */
static enum tok_kind compound_op(enum tok_kind k)
{
	switch (k) {
	case TK_ADD_ASSIGN: return TK_PLUS;
	case TK_SUB_ASSIGN: return TK_MINUS;
	case TK_MUL_ASSIGN: return TK_STAR;
	case TK_DIV_ASSIGN: return TK_SLASH;
	case TK_MOD_ASSIGN: return TK_PERCENT;
	case TK_AND_ASSIGN: return TK_AMP;
	case TK_OR_ASSIGN: return TK_PIPE;
	case TK_XOR_ASSIGN: return TK_CARET;
	case TK_SHL_ASSIGN: return TK_SHL;
	case TK_SHR_ASSIGN: return TK_SHR;
	default: return TK_EOF;
	}
}

/* m[k] op= v is m[k] = m[k] op v, with a copy of the map node: the keys
 * are evaluated twice, which is harmless as they have no side effects. An
 * aggregation's value cannot be read, so it has its functions instead. */
static struct node *compound(struct parser *p, struct node *e,
			     enum tok_kind op)
{
	struct node *b = new_node(p, N_BINARY), *copy;

	if (e->kind == N_MAP && e->name[0] == '@')
		error_at(p, b->loc, "%s cannot be updated with %s: write "
			 "%s = count() to count, or %s = sum(expr) to add",
			 e->name, tok_name(p->tok.kind), e->name, e->name);
	next(p);
	copy = arena_dup(p->a, e, sizeof(*e));
	copy->next = NULL;
	b->op = op;
	b->a = copy;
	b->b = expr(p);
	return b;
}

/* simple_stmt = map ('=' | op '=') expr ';' | expr ';' */
static struct node *simple_stmt(struct parser *p)
{
	struct node *e = expr(p), *n;
	enum tok_kind op = compound_op(p->tok.kind);

	if (at(p, TK_ASSIGN) || op != TK_EOF) {
		n = node_new(p->a, N_ASSIGN, e->loc);
		if (e->kind == N_IDENT)
			error_at(p, e->loc, "can only assign to a map: write "
				 "%s[key] = ..., or @%s = ... for an aggregation",
				 e->name, e->name);
		else if (e->kind != N_MAP)
			error_at(p, e->loc, "can only assign to a map");
		n->a = e;
		if (op != TK_EOF) {
			n->b = compound(p, e, op);
		} else {
			next(p);
			n->b = expr(p);
		}
	} else {
		n = node_new(p->a, N_EXPR, e->loc);
		n->a = e;
	}
	end_stmt(p);
	return n;
}

static struct node *stmt_nest(struct parser *p);

/* stmt = ';' | block | if_stmt | delete_stmt | simple_stmt */
static struct node *stmt(struct parser *p)
{
	struct node *n;

	if (!enter(p, "statement"))
		return NULL;
	n = stmt_nest(p);
	leave(p);
	return n;
}

static struct node *stmt_nest(struct parser *p)
{
	switch (p->tok.kind) {
	case TK_SEMI:
		next(p);
		return NULL;
	case TK_LBRACE: return block(p, 0);
	case TK_IF: return if_stmt(p);
	case TK_DELETE: return delete_stmt(p);
	default: return simple_stmt(p);
	}
}

/* block = '{' stmt* '}'. A probe's body (top) hands the token after its
 * '}' to the probe-spec mode of the lexer. */
static struct node *block(struct parser *p, int top)
{
	struct node *b = new_node(p, N_BLOCK), **tail = &b->body, *s;
	int unclosed;

	next(p);
	while (!at(p, TK_RBRACE) && !at(p, TK_EOF)) {
		s = stmt(p);
		if (p->panic) {
			sync_stmt(p);
			continue;
		}
		if (s) {
			*tail = s;
			tail = &s->next;
		}
	}
	unclosed = at(p, TK_EOF) && !p->panic;
	if (top)
		p->mode = LEX_PROBE;
	expect(p, TK_RBRACE);
	if (unclosed)
		diag_note(p->d, b->loc, "to match this '{'");
	return b;
}

/* ---- probes ---- */

static void split_spec(struct parser *p, struct probe *pr)
{
	const char *colon;

	pr->spec = tok_text(p);
	colon = strchr(pr->spec, ':');
	if (!colon) {
		pr->provider = pr->spec;
		pr->def = "";
		return;
	}
	pr->provider = arena_strndup(p->a, pr->spec, colon - pr->spec);
	pr->def = colon + 1;
}

/* predicate = '/' expr '/' */
static struct node *predicate(struct parser *p)
{
	struct node *e;

	p->mode = LEX_CODE;
	next(p);
	p->in_pred = 1;
	e = expr(p);
	p->in_pred = 0;
	if (!accept(p, TK_SLASH))
		error_tok(p, "expected '/' after the predicate, found %s",
			  describe(p, &p->tok));
	return e;
}

/* probe = PSPEC predicate? block. The token after the spec is lexed as a
 * probe spec too, so a forgotten body doesn't swallow the next probe. */
static struct probe *probe(struct parser *p)
{
	struct probe *pr = arena_alloc(p->a, sizeof(*pr));

	pr->loc = p->tok.loc;
	split_spec(p, pr);
	next(p);
	if (at(p, TK_SLASH))
		pr->pred = predicate(p);
	if (!at(p, TK_LBRACE)) {
		error_tok(p, "expected '{' after the probe specifier, found %s",
			  describe(p, &p->tok));
		sync_top(p);
		return NULL;
	}
	/* a bad predicate is over once its block starts */
	p->panic = 0;
	p->mode = LEX_CODE;
	pr->body = block(p, 1);
	return pr;
}

/* program = probe* */
static struct program *program(struct parser *p, const struct src *src)
{
	struct program *prog = arena_alloc(p->a, sizeof(*prog));
	struct probe **tail = &prog->probes, *pr;

	prog->src = src;
	p->mode = LEX_PROBE;
	next(p);
	while (!at(p, TK_EOF)) {
		if (!at(p, TK_PSPEC)) {
			error_tok(p, "expected a probe specifier, found %s",
				  describe(p, &p->tok));
			sync_top(p);
			continue;
		}
		pr = probe(p);
		if (!pr)
			continue;
		pr->index = prog->nprobes++;
		*tail = pr;
		tail = &pr->next;
	}
	return prog;
}

/* ---- the height of the tree ---- */

struct frame {
	struct node *n;
	int h;
};

typedef VEC(struct frame) frames_t;

static void push_list(struct arena *a, frames_t *st, struct node *n, int h)
{
	for (; n; n = n->next)
		vec_push(a, st, ((struct frame){ n, h }));
}

static void push_one(struct arena *a, frames_t *st, struct node *n, int h)
{
	if (n)
		vec_push(a, st, ((struct frame){ n, h }));
}

/* Walks each probe's tree with a stack of its own (no recursion) and
 * refuses it at the first node deeper than MAX_HEIGHT. Such nodes lose
 * their children, so even the tree of a failed parse can be dumped. */
static void check_height(struct parser *p, struct probe *pr)
{
	frames_t st = { 0 };
	struct frame f;
	int reported = 0;

	if (pr->pred)
		vec_push(p->a, &st, ((struct frame){ pr->pred, 1 }));
	vec_push(p->a, &st, ((struct frame){ pr->body, 1 }));
	while (st.n) {
		f = st.v[--st.n];
		if (f.h > MAX_HEIGHT) {
			if (!reported++)
				diag_error(p->d, f.n->loc, "%s nests too deeply "
					   "(more than %d levels)",
					   f.n->kind >= N_BLOCK ? "statement" :
					   "expression", MAX_HEIGHT);
			f.n->kind = N_INT;
			f.n->a = f.n->b = f.n->c = NULL;
			f.n->keys = f.n->args = f.n->body = NULL;
			continue;
		}
		push_one(p->a, &st, f.n->c, f.h + 1);
		push_one(p->a, &st, f.n->a, f.h + 1);
		push_one(p->a, &st, f.n->b, f.h + 1);
		push_list(p->a, &st, f.n->keys, f.h + 1);
		push_list(p->a, &st, f.n->args, f.h + 1);
		push_list(p->a, &st, f.n->body, f.h + 1);
	}
}

int parse_program(const struct src *src, struct arena *a, struct diag *d,
		  struct program **out)
{
	struct parser p = { .a = a, .d = d };
	int before = d->nerrors;
	struct probe *pr;

	lex_init(&p.lx, src, a, d);
	*out = program(&p, src);
	for (pr = (*out)->probes; pr; pr = pr->next)
		check_height(&p, pr);
	if (!(*out)->nprobes && d->nerrors == before)
		diag_error(d, p.tok.loc, "program has no probes");
	return d->nerrors - before;
}
