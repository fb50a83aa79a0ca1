/* ast: the syntax tree of a ply program. Every node carries its location;
 * sema fills in types and resolves names. */
#ifndef PLY_AST_H
#define PLY_AST_H

#include <stdint.h>
#include <stdio.h>

#include "lex.h"
#include "util.h"

struct type;
struct kbtf;
struct mapsym;
struct provider;

enum node_kind {
	/* expressions */
	N_INT,		/* ival */
	N_STR,		/* str, slen */
	N_IDENT,	/* name: comm, pid, data, ... (a built-in variable) */
	N_DOLLAR,	/* name: $target, $NAME */
	N_MAP,		/* name[keys] or name (keyless @agg); keys may be NULL */
	N_CALL,		/* name(args) */
	N_UNARY,	/* op a: op is TK_MINUS, TK_BANG, TK_TILDE, TK_STAR(deref) */
	N_BINARY,	/* a op b: op is the TK_ of the operator, incl && || */
	N_COND,		/* c ? a : b */
	N_MEMBER,	/* a->name (arrow=1) or a.name (arrow=0) */
	N_INDEX,	/* a[b] on an array or pointer value */
	N_CAST,		/* (name *...)a: name is "struct file", "pid_t";
			 * ival counts the '*' */
	N_TUPLE,	/* (a, b, ...): args; a map's value, read back
			 * member by member (m[k].0) */

	/* statements */
	N_BLOCK,	/* body: list of statements */
	N_IF,		/* c, a (then), b (else, may be NULL) */
	N_ASSIGN,	/* a (an N_MAP) = b */
	N_DELETE,	/* delete a (an N_MAP) */
	N_EXPR,		/* a; (a call such as printf or exit) */
};

struct node {
	enum node_kind kind;
	struct loc loc;
	struct node *next;	/* next in a list: keys, args, statements */

	uint64_t ival;		/* N_INT */
	int neg;		/* N_INT: ival is a negative int64 ($NAME) */
	char *str;		/* N_STR */
	size_t slen;
	const char *name;	/* N_IDENT, N_DOLLAR, N_MAP, N_CALL, N_MEMBER */
	int op;			/* N_UNARY, N_BINARY: an enum tok_kind */
	int arrow;		/* N_MEMBER */
	struct node *a, *b, *c;	/* operands, see above */
	struct node *keys;	/* N_MAP: list via next, NULL if keyless */
	struct node *args;	/* N_CALL, N_TUPLE: list via next */
	struct node *body;	/* N_BLOCK: statements via next */

	/* filled in by sema */
	struct type *type;
	struct mapsym *map;	/* N_MAP */
	const void *sym;	/* N_IDENT/N_CALL: the builtin resolved */
	int site;		/* N_CALL printf/print/exit: event site id;
				 * str/mem/dyn: read site id */
};

struct probe {
	struct loc loc;
	const char *spec;	/* whole spec: "tracepoint:syscalls/sys_enter_openat" */
	const char *provider;	/* "tracepoint", "BEGIN", ... */
	const char *def;	/* after the ':', "" if none */
	struct node *pred;	/* may be NULL */
	struct node *body;	/* N_BLOCK */
	struct probe *next;
	int index;

	/* filled in by sema */
	const struct provider *prov;
	void *pdata;		/* provider's own (the tracepoint's format) */
	struct kbtf *btf;	/* the kernel's types, for its provider */
};

struct program {
	const struct src *src;
	struct probe *probes;
	int nprobes;
};

struct node *node_new(struct arena *a, enum node_kind k, struct loc l);
/* S-expression dump, with types once sema has run. */
void ast_dump(FILE *out, const struct program *prog);
const char *op_str(int op);	/* TK_PLUS -> "+" */

#endif
