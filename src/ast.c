/* ast: node allocation and the dump behind -S. The dump is one node per
 * line, indented two spaces per level, "kind detail" followed by " : type"
 * once sema has typed the node; it goes into golden files, so it prints
 * nothing that changes between runs (no addresses, no locations). */
#include <ctype.h>
#include <inttypes.h>

#include "ast.h"
#include "type.h"

struct node *node_new(struct arena *a, enum node_kind k, struct loc l)
{
	struct node *n = arena_alloc(a, sizeof(*n));

	n->kind = k;
	n->loc = l;
	return n;
}

static const char *const op_strs[TK_NKINDS] = {
	[TK_DOT] = ".", [TK_ARROW] = "->", [TK_QUESTION] = "?",
	[TK_COLON] = ":", [TK_ASSIGN] = "=", [TK_COMMA] = ",",
	[TK_PLUS] = "+", [TK_MINUS] = "-", [TK_STAR] = "*",
	[TK_SLASH] = "/", [TK_PERCENT] = "%", [TK_AMP] = "&",
	[TK_PIPE] = "|", [TK_CARET] = "^", [TK_TILDE] = "~",
	[TK_BANG] = "!", [TK_SHL] = "<<", [TK_SHR] = ">>",
	[TK_LT] = "<", [TK_GT] = ">", [TK_LE] = "<=", [TK_GE] = ">=",
	[TK_EQ] = "==", [TK_NE] = "!=", [TK_ANDAND] = "&&",
	[TK_OROR] = "||", [TK_INC] = "++", [TK_DEC] = "--",
};

const char *op_str(int op)
{
	if (op < 0 || op >= TK_NKINDS || !op_strs[op])
		unreachable();
	return op_strs[op];
}

static void dump_quoted(FILE *out, const char *s, size_t n)
{
	size_t i;

	fputc('"', out);
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		switch (c) {
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		case '\\': fputs("\\\\", out); break;
		case '"': fputs("\\\"", out); break;
		default:
			if (isprint(c))
				fputc(c, out);
			else
				fprintf(out, "\\%03o", c);
		}
	}
	fputc('"', out);
}

/* Where sema found a member: " @OFFSET", and " bits FROM+SIZE" for a
 * bitfield. */
static void dump_field(FILE *out, const struct field *f)
{
	fprintf(out, " @%zu", f->offset);
	if (f->bit_size)
		fprintf(out, " bits %u+%u", f->bit_off, f->bit_size);
}

/* The "kind detail" part of a node's line. */
static void dump_head(FILE *out, const struct node *n)
{
	switch (n->kind) {
	case N_INT:
		if (n->neg)
			fprintf(out, "int %" PRId64, (int64_t)n->ival);
		else
			fprintf(out, "int %" PRIu64, n->ival);
		break;
	case N_STR: fputs("str ", out); dump_quoted(out, n->str, n->slen); break;
	case N_IDENT: fprintf(out, "ident %s", n->name); break;
	case N_DOLLAR: fprintf(out, "dollar $%s", n->name); break;
	case N_MAP: fprintf(out, "map %s", n->name); break;
	case N_CALL: fprintf(out, "call %s", n->name); break;
	case N_UNARY: fprintf(out, "unary %s", op_str(n->op)); break;
	case N_BINARY: fprintf(out, "binary %s", op_str(n->op)); break;
	case N_COND: fputs("cond", out); break;
	case N_MEMBER:
		fprintf(out, "member %s%s", n->arrow ? "->" : ".", n->name);
		if (n->sym)
			dump_field(out, n->sym);
		break;
	case N_INDEX: fputs("index", out); break;
	case N_TUPLE: fputs("tuple", out); break;
	case N_CAST:
		fprintf(out, "cast (%s%s%.*s)", n->name, n->ival ? " " : "",
			(int)(n->ival < 32 ? n->ival : 32),
			"********************************");
		break;
	case N_BLOCK: fputs("block", out); break;
	case N_IF: fputs("if", out); break;
	case N_ASSIGN: fputs("assign", out); break;
	case N_DELETE: fputs("delete", out); break;
	case N_EXPR: fputs("expr", out); break;
	default: unreachable();
	}
}

static void dump_node(FILE *out, const struct node *n, int depth);

static void dump_list(FILE *out, const struct node *n, int depth)
{
	for (; n; n = n->next)
		dump_node(out, n, depth);
}

static void dump_label(FILE *out, const char *label, int depth)
{
	fprintf(out, "%*s%s\n", depth * 2, "", label);
}

/* Children in a fixed order: cond, operands, keys, args, statements. An
 * if's else branch is announced by an "else" line so chains read well. */
static void dump_node(FILE *out, const struct node *n, int depth)
{
	fprintf(out, "%*s", depth * 2, "");
	dump_head(out, n);
	if (n->type)
		fprintf(out, " : %s", n->type->name ? n->type->name : "?");
	fputc('\n', out);
	if (n->c)
		dump_node(out, n->c, depth + 1);
	if (n->a)
		dump_node(out, n->a, depth + 1);
	if (n->b && n->kind == N_IF)
		dump_label(out, "else", depth);
	if (n->b)
		dump_node(out, n->b, depth + 1);
	dump_list(out, n->keys, depth + 1);
	dump_list(out, n->args, depth + 1);
	dump_list(out, n->body, depth + 1);
}

static void dump_probe(FILE *out, const struct probe *p)
{
	fprintf(out, "probe %d %s\n", p->index, p->spec);
	if (p->pred) {
		dump_label(out, "pred", 1);
		dump_node(out, p->pred, 2);
	}
	if (p->body)
		dump_node(out, p->body, 1);
}

void ast_dump(FILE *out, const struct program *prog)
{
	const struct probe *p;

	for (p = prog->probes; p; p = p->next)
		dump_probe(out, p);
}
