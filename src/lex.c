/* lex: a hand-written scanner for ply programs. The parser asks for one
 * token at a time and says which mode to lex it in, because a probe spec
 * such as "kprobe:SyS_*" is made of characters that are operators inside
 * a block. Malformed literals are reported here and still returned as a
 * literal, so the parser carries on without a second, cascading error. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "lex.h"

static const char *const tok_names[TK_NKINDS] = {
	[TK_EOF] = "end of input",
	[TK_ERROR] = "invalid token",
	[TK_PSPEC] = "probe specifier",
	[TK_IDENT] = "identifier",
	[TK_AGG] = "aggregation",
	[TK_DOLLAR] = "variable",
	[TK_INT] = "integer",
	[TK_STR] = "string",
	[TK_IF] = "'if'",
	[TK_ELSE] = "'else'",
	[TK_DELETE] = "'delete'",
	[TK_RETURN] = "'return'",
	[TK_LBRACE] = "'{'",
	[TK_RBRACE] = "'}'",
	[TK_LPAREN] = "'('",
	[TK_RPAREN] = "')'",
	[TK_LBRACKET] = "'['",
	[TK_RBRACKET] = "']'",
	[TK_SEMI] = "';'",
	[TK_COMMA] = "','",
	[TK_DOT] = "'.'",
	[TK_ARROW] = "'->'",
	[TK_QUESTION] = "'?'",
	[TK_COLON] = "':'",
	[TK_ASSIGN] = "'='",
	[TK_PLUS] = "'+'",
	[TK_MINUS] = "'-'",
	[TK_STAR] = "'*'",
	[TK_SLASH] = "'/'",
	[TK_PERCENT] = "'%'",
	[TK_AMP] = "'&'",
	[TK_PIPE] = "'|'",
	[TK_CARET] = "'^'",
	[TK_TILDE] = "'~'",
	[TK_BANG] = "'!'",
	[TK_SHL] = "'<<'",
	[TK_SHR] = "'>>'",
	[TK_LT] = "'<'",
	[TK_GT] = "'>'",
	[TK_LE] = "'<='",
	[TK_GE] = "'>='",
	[TK_EQ] = "'=='",
	[TK_NE] = "'!='",
	[TK_ANDAND] = "'&&'",
	[TK_OROR] = "'||'",
	[TK_INC] = "'++'",
	[TK_DEC] = "'--'",
	[TK_ADD_ASSIGN] = "'+='",
	[TK_SUB_ASSIGN] = "'-='",
	[TK_MUL_ASSIGN] = "'*='",
	[TK_DIV_ASSIGN] = "'/='",
	[TK_MOD_ASSIGN] = "'%='",
	[TK_AND_ASSIGN] = "'&='",
	[TK_OR_ASSIGN] = "'|='",
	[TK_XOR_ASSIGN] = "'^='",
	[TK_SHL_ASSIGN] = "'<<='",
	[TK_SHR_ASSIGN] = "'>>='",
};

const char *tok_name(enum tok_kind k)
{
	if ((unsigned)k >= TK_NKINDS || !tok_names[k])
		unreachable();
	return tok_names[k];
}

/* Longest first, so "->" wins over "-". */
static const struct {
	const char *s;
	enum tok_kind k;
} puncts[] = {
	{ "<<=", TK_SHL_ASSIGN }, { ">>=", TK_SHR_ASSIGN },
	{ "+=", TK_ADD_ASSIGN }, { "-=", TK_SUB_ASSIGN },
	{ "*=", TK_MUL_ASSIGN }, { "/=", TK_DIV_ASSIGN },
	{ "%=", TK_MOD_ASSIGN }, { "&=", TK_AND_ASSIGN },
	{ "|=", TK_OR_ASSIGN }, { "^=", TK_XOR_ASSIGN },
	{ "->", TK_ARROW }, { "++", TK_INC }, { "--", TK_DEC },
	{ "<<", TK_SHL }, { ">>", TK_SHR }, { "<=", TK_LE }, { ">=", TK_GE },
	{ "==", TK_EQ }, { "!=", TK_NE }, { "&&", TK_ANDAND },
	{ "||", TK_OROR },
	{ "{", TK_LBRACE }, { "}", TK_RBRACE }, { "(", TK_LPAREN },
	{ ")", TK_RPAREN }, { "[", TK_LBRACKET }, { "]", TK_RBRACKET },
	{ ";", TK_SEMI }, { ",", TK_COMMA }, { ".", TK_DOT },
	{ "?", TK_QUESTION }, { ":", TK_COLON }, { "=", TK_ASSIGN },
	{ "+", TK_PLUS }, { "-", TK_MINUS }, { "*", TK_STAR },
	{ "/", TK_SLASH }, { "%", TK_PERCENT }, { "&", TK_AMP },
	{ "|", TK_PIPE }, { "^", TK_CARET }, { "~", TK_TILDE },
	{ "!", TK_BANG }, { "<", TK_LT }, { ">", TK_GT },
};

static const struct {
	const char *s;
	enum tok_kind k;
} keywords[] = {
	{ "if", TK_IF }, { "else", TK_ELSE }, { "delete", TK_DELETE },
	{ "return", TK_RETURN },
};

void lex_init(struct lexer *lx, const struct src *src, struct arena *a,
	      struct diag *d)
{
	lx->src = src;
	lx->arena = a;
	lx->diag = d;
	lx->pos = 0;
	lx->line = 1;
	lx->col = 1;
}

/* The character off places ahead, 0 at (and never past) the end. */
static int peek(const struct lexer *lx, size_t off)
{
	const char *s = lx->src->text + lx->pos;
	size_t i;

	for (i = 0; i < off; i++)
		if (!s[i])
			return 0;
	return (unsigned char)s[off];
}

static int advance(struct lexer *lx)
{
	int c = peek(lx, 0);

	if (!c)
		return 0;
	lx->pos++;
	if (c == '\n') {
		lx->line++;
		lx->col = 1;
	} else {
		lx->col++;
	}
	return c;
}

static struct loc here(const struct lexer *lx)
{
	return (struct loc){ .src = lx->src, .line = lx->line, .col = lx->col };
}

static int is_ident_start(int c)
{
	return isalpha(c) || c == '_';
}

static int is_ident_char(int c)
{
	return isalnum(c) || c == '_';
}

static struct token make(const struct lexer *lx, enum tok_kind k,
			 size_t start, struct loc l)
{
	return (struct token){
		.kind = k, .loc = l, .text = lx->src->text + start,
		.len = lx->pos - start,
	};
}

/* ---- white space and comments ---- */

static void skip_line(struct lexer *lx)
{
	while (peek(lx, 0) && peek(lx, 0) != '\n')
		advance(lx);
}

static void skip_block_comment(struct lexer *lx)
{
	struct loc start = here(lx);

	advance(lx);
	advance(lx);
	while (peek(lx, 0) && !(peek(lx, 0) == '*' && peek(lx, 1) == '/'))
		advance(lx);
	if (!peek(lx, 0)) {
		diag_error(lx->diag, start, "unterminated comment");
		return;
	}
	advance(lx);
	advance(lx);
}

static void skip_space(struct lexer *lx)
{
	for (;;) {
		int c = peek(lx, 0);

		if (isspace(c))
			advance(lx);
		else if (c == '#' || (c == '/' && peek(lx, 1) == '/'))
			skip_line(lx);
		else if (c == '/' && peek(lx, 1) == '*')
			skip_block_comment(lx);
		else
			return;
	}
}

/* ---- integers ---- */

static int digit_value(int c)
{
	if (isdigit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* Consumes a base prefix ("0x", "0b", the 0 of an octal) and returns the
 * base. The octal 0 is itself a digit, so "0_7" is fine. */
static int number_base(struct lexer *lx, int *ndigits)
{
	int c = peek(lx, 1);

	*ndigits = 0;
	if (peek(lx, 0) != '0')
		return 10;
	if (c == 'x' || c == 'X' || c == 'b' || c == 'B') {
		advance(lx);
		advance(lx);
		return (c == 'x' || c == 'X') ? 16 : 2;
	}
	if (isdigit(c) || c == '_') {
		advance(lx);
		*ndigits = 1;
		return 8;
	}
	return 10;
}

/* u, l, ul, lu, ll, ull, llu in any case: accepted and ignored. */
static int valid_suffix(const char *s, size_t n)
{
	static const char *const ok[] = {
		"", "u", "l", "ul", "lu", "ll", "ull", "llu",
	};
	char low[4] = "";
	size_t i;

	if (n > 3)
		return 0;
	for (i = 0; i < n; i++)
		low[i] = tolower((unsigned char)s[i]);
	low[n] = '\0';
	for (i = 0; i < ARRAY_SIZE(ok); i++)
		if (!strcmp(low, ok[i]))
			return 1;
	return 0;
}

static const char *base_name(int base)
{
	switch (base) {
	case 2: return "binary";
	case 8: return "octal";
	case 16: return "hexadecimal";
	default: return "decimal";
	}
}

/* Reads the digits and '_' separators of a number into *v. Returns 0 if
 * a problem was reported. */
static int number_digits(struct lexer *lx, struct loc l, int base,
			 int *ndigits, uint64_t *v)
{
	int ok = 1;

	for (;;) {
		int c = peek(lx, 0), d;

		if (c == '_') {
			if (!*ndigits || digit_value(peek(lx, 1)) >= base) {
				diag_error(lx->diag, here(lx),
					   "'_' must separate digits");
				ok = 0;
			}
			advance(lx);
			continue;
		}
		d = digit_value(c);
		if (d >= base)
			return ok;
		if (ok && *v > (UINT64_MAX - d) / base) {
			diag_error(lx->diag, l, "integer constant is too large "
				   "for 64 bits");
			ok = 0;
		}
		*v = *v * base + d;
		(*ndigits)++;
		advance(lx);
	}
}

/* int = ('0x' hex+ | '0b' bin+ | '0' oct* | dec+) suffix?, with '_'
 * between digits */
static struct token lex_number(struct lexer *lx)
{
	struct loc l = here(lx);
	size_t start = lx->pos, sfx;
	int ndigits, base = number_base(lx, &ndigits), ok;
	uint64_t v = 0;
	struct token t;

	ok = number_digits(lx, l, base, &ndigits, &v);
	sfx = lx->pos;
	while (is_ident_char(peek(lx, 0)))
		advance(lx);
	t = make(lx, TK_INT, start, l);
	if (ok && !ndigits) {
		diag_error(lx->diag, l, "no digits in %s constant",
			   base_name(base));
	} else if (ok && !valid_suffix(t.text + (sfx - start), lx->pos - sfx)) {
		const char *s = t.text + (sfx - start);

		if (isdigit((unsigned char)*s))
			diag_error(lx->diag, l, "invalid digit '%c' in %s "
				   "constant", *s, base_name(base));
		else
			diag_error(lx->diag, l, "invalid suffix '%.*s' on "
				   "integer constant", (int)(lx->pos - sfx), s);
	}
	t.ival = v;
	return t;
}

/* ---- strings and characters ---- */

static int lex_hex_escape(struct lexer *lx, struct loc l)
{
	int v = 0, n;

	for (n = 0; n < 2 && isxdigit(peek(lx, 0)); n++)
		v = v * 16 + digit_value(advance(lx));
	if (!n)
		diag_error(lx->diag, l, "\\x used with no following hex "
			   "digits");
	return v;
}

static int lex_octal_escape(struct lexer *lx, struct loc l)
{
	int v = 0, n;

	for (n = 0; n < 3 && peek(lx, 0) >= '0' && peek(lx, 0) <= '7'; n++)
		v = v * 8 + advance(lx) - '0';
	if (v > 0xff)
		diag_error(lx->diag, l, "octal escape sequence out of range");
	return v & 0xff;
}

/* Decodes the escape at the backslash; the caller made sure it is not
 * followed by a newline or the end. */
static int lex_escape(struct lexer *lx)
{
	struct loc l = here(lx);
	int c;

	advance(lx);
	c = peek(lx, 0);
	if (c >= '0' && c <= '7')
		return lex_octal_escape(lx, l);
	advance(lx);
	switch (c) {
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case 'a': return '\a';
	case 'b': return '\b';
	case 'f': return '\f';
	case 'v': return '\v';
	case '\\': case '"': case '\'': return c;
	case 'x': return lex_hex_escape(lx, l);
	}
	diag_error(lx->diag, l, "unknown escape sequence '\\%c'", c);
	return c;
}

/* Where a quoted literal that starts at the quote ends: the offset of its
 * closing quote, or of the newline or end that cuts it short. */
static size_t quoted_end(const struct lexer *lx, int quote, int *closed)
{
	const char *s = lx->src->text + lx->pos + 1;
	size_t i = 0;

	while (s[i] && s[i] != '\n' && s[i] != quote) {
		if (s[i] == '\\' && s[i + 1] && s[i + 1] != '\n')
			i++;
		i++;
	}
	*closed = s[i] == quote;
	return i;
}

static struct token unterminated(struct lexer *lx, size_t start,
				 struct loc l, const char *what)
{
	diag_error(lx->diag, l, "unterminated %s", what);
	skip_line(lx);
	return make(lx, TK_ERROR, start, l);
}

/* str = '"' (char | escape)* '"' */
static struct token lex_string(struct lexer *lx)
{
	struct loc l = here(lx);
	size_t start = lx->pos, n, len = 0;
	int closed;
	struct token t;
	char *buf;

	n = quoted_end(lx, '"', &closed);
	if (!closed)
		return unterminated(lx, start, l, "string");
	buf = arena_alloc(lx->arena, n + 1);
	advance(lx);
	while (peek(lx, 0) != '"')
		buf[len++] = peek(lx, 0) == '\\' ? lex_escape(lx)
						   : advance(lx);
	advance(lx);
	t = make(lx, TK_STR, start, l);
	t.str = buf;
	t.slen = len;
	return t;
}

/* char = '\'' (char | escape) '\'', an integer */
static struct token lex_char(struct lexer *lx)
{
	struct loc l = here(lx);
	size_t start = lx->pos;
	uint64_t v = 0;
	int closed;
	struct token t;

	if (!quoted_end(lx, '\'', &closed) && closed)
		diag_error(lx->diag, l, "empty character constant");
	if (!closed)
		return unterminated(lx, start, l, "character constant");
	advance(lx);
	if (peek(lx, 0) != '\'')
		v = peek(lx, 0) == '\\' ? lex_escape(lx) : advance(lx);
	if (peek(lx, 0) != '\'') {
		diag_error(lx->diag, l, "multi-character character constant");
		while (peek(lx, 0) != '\'')
			if (advance(lx) == '\\')
				advance(lx);
	}
	advance(lx);
	t = make(lx, TK_INT, start, l);
	t.ival = v;
	return t;
}

/* ---- names and punctuation ---- */

static struct token lex_ident(struct lexer *lx)
{
	struct loc l = here(lx);
	size_t start = lx->pos, i;
	struct token t;

	while (is_ident_char(peek(lx, 0)))
		advance(lx);
	t = make(lx, TK_IDENT, start, l);
	for (i = 0; i < ARRAY_SIZE(keywords); i++)
		if (strlen(keywords[i].s) == t.len &&
		    !memcmp(keywords[i].s, t.text, t.len))
			t.kind = keywords[i].k;
	return t;
}

/* agg = '@' name?, the text keeps the '@' */
static struct token lex_agg(struct lexer *lx)
{
	struct loc l = here(lx);
	size_t start = lx->pos;

	advance(lx);
	while (is_ident_char(peek(lx, 0)))
		advance(lx);
	return make(lx, TK_AGG, start, l);
}

/* dollar = '$' name, the text drops the '$' */
static struct token lex_dollar(struct lexer *lx)
{
	struct loc l = here(lx);
	size_t start;
	struct token t;

	advance(lx);
	start = lx->pos;
	while (is_ident_char(peek(lx, 0)))
		advance(lx);
	t = make(lx, TK_DOLLAR, start, l);
	if (!t.len) {
		diag_error(lx->diag, l, "expected a name after '$'");
		t.kind = TK_ERROR;
	}
	return t;
}

static struct token lex_punct(struct lexer *lx)
{
	struct loc l = here(lx);
	size_t start = lx->pos, i, n;
	const char *s = lx->src->text + lx->pos;
	int c = peek(lx, 0);

	for (i = 0; i < ARRAY_SIZE(puncts); i++) {
		n = strlen(puncts[i].s);
		if (!strncmp(s, puncts[i].s, n)) {
			while (n--)
				advance(lx);
			return make(lx, puncts[i].k, start, l);
		}
	}
	if (isprint(c))
		diag_error(lx->diag, l, "unexpected character '%c'", c);
	else
		diag_error(lx->diag, l, "unexpected character '\\x%02x'", c);
	advance(lx);
	return make(lx, TK_ERROR, start, l);
}

/* pspec = ident-start (not space, not '{')* */
static struct token lex_pspec(struct lexer *lx)
{
	struct loc l = here(lx);
	size_t start = lx->pos;
	int c;

	while ((c = peek(lx, 0)) && !isspace(c) && c != '{')
		advance(lx);
	return make(lx, TK_PSPEC, start, l);
}

struct token lex_next(struct lexer *lx, enum lex_mode mode)
{
	int c;

	skip_space(lx);
	c = peek(lx, 0);
	if (!c)
		return make(lx, TK_EOF, lx->pos, here(lx));
	if (mode == LEX_PROBE && is_ident_start(c))
		return lex_pspec(lx);
	if (isdigit(c))
		return lex_number(lx);
	if (is_ident_start(c))
		return lex_ident(lx);
	switch (c) {
	case '"': return lex_string(lx);
	case '\'': return lex_char(lx);
	case '@': return lex_agg(lx);
	case '$': return lex_dollar(lx);
	}
	return lex_punct(lx);
}
