/* lex: turns program text into tokens. Hand-written; every token carries
 * its location. Probe specifications ("tracepoint:sched/sched_switch",
 * "kprobe:SyS_*", "BEGIN") are lexed in their own mode, since they contain
 * characters that are operators elsewhere. */
#ifndef PLY_LEX_H
#define PLY_LEX_H

#include <stdint.h>

#include "util.h"

enum tok_kind {
	TK_EOF,
	TK_ERROR,	/* the lexer already reported it */
	TK_PSPEC,	/* probe spec, lexed in LEX_PROBE mode only */
	TK_IDENT,	/* comm, data, count, m */
	TK_AGG,		/* @ or @name: text includes the '@' */
	TK_DOLLAR,	/* $name or $1: text excludes the '$' */
	TK_INT,		/* 42, 0x2a, 0b101010, 1_000; .ival */
	TK_STR,		/* "..." with escapes decoded into .str/.len */

	/* keywords */
	TK_IF, TK_ELSE, TK_DELETE, TK_RETURN,

	/* punctuation */
	TK_LBRACE, TK_RBRACE, TK_LPAREN, TK_RPAREN, TK_LBRACKET, TK_RBRACKET,
	TK_SEMI, TK_COMMA, TK_DOT, TK_ARROW, TK_QUESTION, TK_COLON,
	TK_ASSIGN,	/* = */
	TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_PERCENT,
	TK_AMP, TK_PIPE, TK_CARET, TK_TILDE, TK_BANG,
	TK_SHL, TK_SHR,
	TK_LT, TK_GT, TK_LE, TK_GE, TK_EQ, TK_NE,
	TK_ANDAND, TK_OROR,
	TK_INC, TK_DEC,	/* reserved: reported as unsupported by the parser */
	/* compound assignments: m[k] op= v is m[k] = m[k] op v */
	TK_ADD_ASSIGN, TK_SUB_ASSIGN, TK_MUL_ASSIGN, TK_DIV_ASSIGN,
	TK_MOD_ASSIGN, TK_AND_ASSIGN, TK_OR_ASSIGN, TK_XOR_ASSIGN,
	TK_SHL_ASSIGN, TK_SHR_ASSIGN,

	TK_NKINDS
};

struct token {
	enum tok_kind kind;
	struct loc loc;
	const char *text;	/* points into the source */
	size_t len;		/* length of text */
	uint64_t ival;		/* TK_INT */
	char *str;		/* TK_STR: decoded bytes, NUL-terminated (arena) */
	size_t slen;		/* TK_STR: decoded length, without the NUL */
};

enum lex_mode {
	LEX_CODE,	/* inside predicates and blocks */
	LEX_PROBE,	/* at top level: the next token is a probe spec */
};

struct lexer {
	const struct src *src;
	struct arena *arena;
	struct diag *diag;
	size_t pos;
	int line, col;
};

void lex_init(struct lexer *lx, const struct src *src, struct arena *a,
	      struct diag *d);
/* Next token. In LEX_PROBE mode, anything up to white space or '{' that
 * starts with a letter is one TK_PSPEC (so "tracepoint:a/b" is one token). */
struct token lex_next(struct lexer *lx, enum lex_mode mode);
/* "'{'", "identifier", ...: for messages like "expected ';' before ..." */
const char *tok_name(enum tok_kind k);

#endif
