/* Unit tests of the lexer: every token kind, literals, comments, locations,
 * the probe-spec mode and the errors with their caret lines. */
#include <stdlib.h>
#include <string.h>

#include "lex.h"
#include "test.h"

#define MAXTOK 64

/* One lexing run: the tokens and whatever diagnostics were printed. */
struct run {
	struct arena *a;
	struct src src;
	struct token t[MAXTOK];
	int n;
	int nerrors;
	char *diag;
	size_t diaglen;
};

static void run_mode(struct run *r, const char *text, enum lex_mode mode)
{
	struct diag d = { 0 };
	struct lexer lx;

	memset(r, 0, sizeof(*r));
	r->a = arena__new();
	r->src = (struct src){ "<input>", text, strlen(text) };
	d.out = open_memstream(&r->diag, &r->diaglen);
	lex_init(&lx, &r->src, r->a, &d);
	do {
		r->t[r->n] = lex_next(&lx, mode);
	} while (r->t[r->n++].kind != TK_EOF && r->n < MAXTOK);
	fclose(d.out);
	r->nerrors = d.nerrors;
}

static void run(struct run *r, const char *text)
{
	run_mode(r, text, LEX_CODE);
}

static void done(struct run *r)
{
	arena__free(r->a);
	free(r->diag);
}

static const char *text(struct run *r, int i)
{
	return arena_strndup(r->a, r->t[i].text, r->t[i].len);
}

/* Lexes text, which must be a single integer without errors. */
static uint64_t int_value(const char *s)
{
	struct run r;
	uint64_t v;
	int ok;

	run(&r, s);
	ok = r.n == 2 && r.t[0].kind == TK_INT && r.nerrors == 0 &&
	     r.t[0].len == strlen(s);
	v = r.t[0].ival;
	done(&r);
	if (!ok) {
		fprintf(stderr, "  not one clean integer: %s\n", s);
		return ~0ull - 1;
	}
	return v;
}

/* The diagnostics from lexing s, which must report exactly nerr errors. */
static void check_error(const char *s, int nerr, const char *want)
{
	struct run r;

	run(&r, s);
	CHECK(r.nerrors == nerr);
	CHECK_STR(r.diag, want);
	done(&r);
}

static void test_punctuation(void)
{
	static const enum tok_kind want[] = {
		TK_LBRACE, TK_RBRACE, TK_LPAREN, TK_RPAREN, TK_LBRACKET,
		TK_RBRACKET, TK_SEMI, TK_COMMA, TK_DOT, TK_ARROW, TK_QUESTION,
		TK_COLON, TK_ASSIGN, TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH,
		TK_PERCENT, TK_AMP, TK_PIPE, TK_CARET, TK_TILDE, TK_BANG,
		TK_SHL, TK_SHR, TK_LT, TK_GT, TK_LE, TK_GE, TK_EQ, TK_NE,
		TK_ANDAND, TK_OROR, TK_INC, TK_DEC, TK_ADD_ASSIGN,
		TK_SUB_ASSIGN, TK_MUL_ASSIGN, TK_DIV_ASSIGN, TK_MOD_ASSIGN,
		TK_AND_ASSIGN, TK_OR_ASSIGN, TK_XOR_ASSIGN, TK_SHL_ASSIGN,
		TK_SHR_ASSIGN, TK_EOF,
	};
	struct run r;
	size_t i;

	run(&r, "{ } ( ) [ ] ; , . -> ? : = + - * / % & | ^ ~ ! << >> "
	    "< > <= >= == != && || ++ -- += -= *= /= %= &= |= ^= <<= >>=");
	CHECK(r.n == (int)ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want) && i < (size_t)r.n; i++) {
		if (r.t[i].kind != want[i])
			fprintf(stderr, "  token %zu: got %s want %s\n", i,
				tok_name(r.t[i].kind), tok_name(want[i]));
		CHECK(r.t[i].kind == want[i]);
	}
	CHECK(r.nerrors == 0);
	done(&r);

	/* maximal munch without spaces */
	run(&r, "a->b<<=c!==d&&&e---f");
	CHECK(r.t[1].kind == TK_ARROW);
	CHECK(r.t[3].kind == TK_SHL_ASSIGN && r.t[4].kind == TK_IDENT);
	CHECK(r.t[5].kind == TK_NE && r.t[6].kind == TK_ASSIGN);
	CHECK(r.t[8].kind == TK_ANDAND && r.t[9].kind == TK_AMP);
	CHECK(r.t[11].kind == TK_DEC && r.t[12].kind == TK_MINUS);
	CHECK(r.t[13].kind == TK_IDENT && r.t[14].kind == TK_EOF);
	done(&r);
	/* "=-" is two tokens: m[1]=-1 assigns -1 */
	run(&r, "m=-1");
	CHECK(r.t[1].kind == TK_ASSIGN && r.t[2].kind == TK_MINUS);
	done(&r);
}

static void test_names(void)
{
	struct run r;

	run(&r, "if else delete return iff _x9 comm @ @cnt $target $1 @_a");
	CHECK(r.t[0].kind == TK_IF);
	CHECK(r.t[1].kind == TK_ELSE);
	CHECK(r.t[2].kind == TK_DELETE);
	CHECK(r.t[3].kind == TK_RETURN);
	CHECK(r.t[4].kind == TK_IDENT);
	CHECK_STR(text(&r, 4), "iff");
	CHECK(r.t[5].kind == TK_IDENT);
	CHECK_STR(text(&r, 5), "_x9");
	CHECK(r.t[6].kind == TK_IDENT);
	CHECK(r.t[7].kind == TK_AGG);
	CHECK_STR(text(&r, 7), "@");
	CHECK(r.t[8].kind == TK_AGG);
	CHECK_STR(text(&r, 8), "@cnt");
	CHECK(r.t[9].kind == TK_DOLLAR);
	CHECK_STR(text(&r, 9), "target");
	CHECK(r.t[10].kind == TK_DOLLAR);
	CHECK_STR(text(&r, 10), "1");
	CHECK_STR(text(&r, 11), "@_a");
	CHECK(r.t[12].kind == TK_EOF);
	CHECK(r.nerrors == 0);
	done(&r);

	/* '@' followed by '[' is the anonymous aggregation */
	run(&r, "@[comm]");
	CHECK(r.t[0].kind == TK_AGG && r.t[0].len == 1);
	CHECK(r.t[1].kind == TK_LBRACKET);
	done(&r);
}

static void test_numbers(void)
{
	CHECK(int_value("0") == 0);
	CHECK(int_value("42") == 42);
	CHECK(int_value("0x2a") == 42);
	CHECK(int_value("0X2A") == 42);
	CHECK(int_value("0xdeadBEEF") == 0xdeadbeef);
	CHECK(int_value("0b101010") == 42);
	CHECK(int_value("0B1") == 1);
	CHECK(int_value("052") == 42);
	CHECK(int_value("00") == 0);
	CHECK(int_value("1_000_000") == 1000000);
	CHECK(int_value("0xffff_ffff") == 0xffffffff);
	CHECK(int_value("0b1010_1010") == 0xaa);
	CHECK(int_value("0_7") == 7);
	CHECK(int_value("42u") == 42);
	CHECK(int_value("42U") == 42);
	CHECK(int_value("42l") == 42);
	CHECK(int_value("42ul") == 42);
	CHECK(int_value("42ULL") == 42);
	CHECK(int_value("0x10ull") == 16);
	CHECK(int_value("18446744073709551615") == UINT64_MAX);
	CHECK(int_value("0xffffffffffffffff") == UINT64_MAX);
	CHECK(int_value("'a'") == 'a');
	CHECK(int_value("'\\n'") == '\n');
	CHECK(int_value("'\\''") == '\'');
	CHECK(int_value("'\\x41'") == 0x41);
	CHECK(int_value("'\\0'") == 0);
	CHECK(int_value("'\\377'") == 0xff);
}

static void test_number_errors(void)
{
	struct run r;

	check_error("x = 18446744073709551616;", 1,
		    "<input>:1:5: error: integer constant is too large for 64 bits\n"
		    "x = 18446744073709551616;\n"
		    "    ^\n");
	check_error("0x1_0000_0000_0000_0000", 1,
		    "<input>:1:1: error: integer constant is too large for 64 bits\n"
		    "0x1_0000_0000_0000_0000\n"
		    "^\n");
	check_error("  09", 1,
		    "<input>:1:3: error: invalid digit '9' in octal constant\n"
		    "  09\n"
		    "  ^\n");
	check_error("0b12", 1,
		    "<input>:1:1: error: invalid digit '2' in binary constant\n"
		    "0b12\n"
		    "^\n");
	check_error("0x", 1,
		    "<input>:1:1: error: no digits in hexadecimal constant\n"
		    "0x\n"
		    "^\n");
	check_error("12abc", 1,
		    "<input>:1:1: error: invalid suffix 'abc' on integer constant\n"
		    "12abc\n"
		    "^\n");
	check_error("1__0", 1,
		    "<input>:1:2: error: '_' must separate digits\n"
		    "1__0\n"
		    " ^\n");
	check_error("10_", 1,
		    "<input>:1:3: error: '_' must separate digits\n"
		    "10_\n"
		    "  ^\n");
	check_error("''", 1,
		    "<input>:1:1: error: empty character constant\n"
		    "''\n"
		    "^\n");
	check_error("'ab'", 1,
		    "<input>:1:1: error: multi-character character constant\n"
		    "'ab'\n"
		    "^\n");
	check_error("'a", 1,
		    "<input>:1:1: error: unterminated character constant\n"
		    "'a\n"
		    "^\n");

	/* a bad number is still one integer token: no cascade */
	run(&r, "12abc + 1");
	CHECK(r.n == 4 && r.t[0].kind == TK_INT && r.t[1].kind == TK_PLUS);
	done(&r);
}

static void test_strings(void)
{
	struct run r;

	run(&r, "\"a\\n\\t\\r\\\\\\\"\\'\\0\\a\\b\\f\\v\\x41\\101\\7z\" \"\"");
	CHECK(r.t[0].kind == TK_STR);
	CHECK(r.t[0].slen == 16);
	CHECK(!memcmp(r.t[0].str, "a\n\t\r\\\"'\0\a\b\f\v" "AA\7z", 17));
	CHECK(r.t[0].str[16] == '\0');
	CHECK(r.t[0].len == 36);
	CHECK(r.t[1].kind == TK_STR && r.t[1].slen == 0);
	CHECK(r.t[1].str && r.t[1].str[0] == '\0');
	CHECK(r.t[2].kind == TK_EOF);
	CHECK(r.nerrors == 0);
	done(&r);

	/* \x takes at most two digits, octal at most three */
	run(&r, "\"\\x414\\1234\"");
	CHECK(r.t[0].slen == 4 && !memcmp(r.t[0].str, "A4S4", 4));
	done(&r);

	/* comment markers inside a string are not comments */
	run(&r, "\"# // /* x */\"");
	CHECK(r.t[0].kind == TK_STR && r.t[0].slen == 12);
	done(&r);
}

static void test_string_errors(void)
{
	struct run r;

	check_error("print(\"abc\n);", 1,
		    "<input>:1:7: error: unterminated string\n"
		    "print(\"abc\n"
		    "      ^\n");
	check_error("\"abc\\", 1,
		    "<input>:1:1: error: unterminated string\n"
		    "\"abc\\\n"
		    "^\n");
	check_error("\"a\\qb\"", 1,
		    "<input>:1:3: error: unknown escape sequence '\\q'\n"
		    "\"a\\qb\"\n"
		    "  ^\n");
	check_error("\"\\xg\"", 1,
		    "<input>:1:2: error: \\x used with no following hex digits\n"
		    "\"\\xg\"\n"
		    " ^\n");
	check_error("\"\\777\"", 1,
		    "<input>:1:2: error: octal escape sequence out of range\n"
		    "\"\\777\"\n"
		    " ^\n");

	/* lexing goes on with the next line */
	run(&r, "\"abc\nx");
	CHECK(r.t[0].kind == TK_ERROR);
	CHECK(r.t[1].kind == TK_IDENT && r.t[1].loc.line == 2);
	done(&r);
}

static void test_comments(void)
{
	struct run r;

	run(&r, "a # hash\nb // slashes\nc /* block\n * more */ d /**/e/***/f"
	    " # at end");
	CHECK(r.n == 7);
	CHECK_STR(text(&r, 0), "a");
	CHECK_STR(text(&r, 1), "b");
	CHECK_STR(text(&r, 2), "c");
	CHECK_STR(text(&r, 3), "d");
	CHECK(r.t[3].loc.line == 4 && r.t[3].loc.col == 12);
	CHECK_STR(text(&r, 4), "e");
	CHECK_STR(text(&r, 5), "f");
	CHECK(r.t[6].kind == TK_EOF);
	CHECK(r.nerrors == 0);
	done(&r);

	/* a lone '/' is still division */
	run(&r, "a / b");
	CHECK(r.n == 4 && r.t[1].kind == TK_SLASH);
	done(&r);

	check_error("x\n  /* open\n\n", 1,
		    "<input>:2:3: error: unterminated comment\n"
		    "  /* open\n"
		    "  ^\n");
}

static void test_locations(void)
{
	struct run r;

	run(&r, "a bc\n\n  d\t e\n@f");
	CHECK(r.t[0].loc.line == 1 && r.t[0].loc.col == 1);
	CHECK(r.t[1].loc.line == 1 && r.t[1].loc.col == 3);
	CHECK(r.t[1].len == 2);
	CHECK(r.t[2].loc.line == 3 && r.t[2].loc.col == 3);
	/* a tab is one column */
	CHECK(r.t[3].loc.line == 3 && r.t[3].loc.col == 6);
	CHECK(r.t[4].loc.line == 4 && r.t[4].loc.col == 1);
	CHECK(r.t[5].kind == TK_EOF);
	CHECK(r.t[5].loc.line == 4 && r.t[5].loc.col == 3);
	CHECK(r.t[0].loc.src == &r.src);
	done(&r);

	/* a string across escapes keeps counting columns */
	run(&r, "\"\\t\\x41\" z");
	CHECK(r.t[1].loc.col == 10);
	done(&r);

	/* the empty program */
	run(&r, "");
	CHECK(r.n == 1 && r.t[0].kind == TK_EOF);
	CHECK(r.t[0].loc.line == 1 && r.t[0].loc.col == 1);
	done(&r);
}

static void test_probe_mode(void)
{
	static const char *specs[] = {
		"tracepoint:syscalls/sys_enter_openat", "kprobe:SyS_*",
		"kprobe:dev_hard_start_xmit+8", "interval:500ms",
		"profile:100hz", "BEGIN", "END", "kretprobe:vfs_read",
	};
	struct run r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(specs); i++) {
		char buf[128];

		snprintf(buf, sizeof(buf), "  # c\n %s{", specs[i]);
		run_mode(&r, buf, LEX_PROBE);
		CHECK(r.t[0].kind == TK_PSPEC);
		CHECK_STR(text(&r, 0), specs[i]);
		CHECK(r.t[0].loc.line == 2 && r.t[0].loc.col == 2);
		CHECK(r.t[1].kind == TK_LBRACE);
		done(&r);
	}

	/* ended by white space; a non-identifier start lexes normally */
	run_mode(&r, "kprobe:SyS_* / x", LEX_PROBE);
	CHECK(r.t[0].kind == TK_PSPEC && r.t[0].len == 12);
	CHECK(r.t[1].kind == TK_SLASH);
	CHECK(r.t[2].kind == TK_PSPEC);
	done(&r);

	run_mode(&r, "/* c */ 12 }", LEX_PROBE);
	CHECK(r.t[0].kind == TK_INT && r.t[0].ival == 12);
	CHECK(r.t[1].kind == TK_RBRACE);
	done(&r);

	run_mode(&r, " \n // only a comment", LEX_PROBE);
	CHECK(r.n == 1 && r.t[0].kind == TK_EOF);
	done(&r);

	/* the same text in code mode is many tokens */
	run(&r, "kprobe:SyS_*");
	CHECK(r.n == 5 && r.t[0].kind == TK_IDENT && r.t[1].kind == TK_COLON);
	done(&r);
}

static void test_bad_characters(void)
{
	struct run r;

	run(&r, "a ` b\n  \x01 c");
	CHECK(r.nerrors == 2);
	CHECK(r.t[1].kind == TK_ERROR);
	CHECK(r.t[1].loc.col == 3);
	CHECK(r.t[2].kind == TK_IDENT);
	CHECK(r.t[3].kind == TK_ERROR);
	CHECK(r.t[4].kind == TK_IDENT);
	CHECK_STR(r.diag,
		  "<input>:1:3: error: unexpected character '`'\n"
		  "a ` b\n"
		  "  ^\n"
		  "<input>:2:3: error: unexpected character '\\x01'\n"
		  "  \x01 c\n"
		  "  ^\n");
	done(&r);

	check_error("$ x", 1,
		    "<input>:1:1: error: expected a name after '$'\n"
		    "$ x\n"
		    "^\n");
}

/* A line of garbage is one error per character, but only the first
 * DIAG_MAX_SHOWN are printed, each with its line: the output stays small
 * however long the line (found by fuzzing: 15 KB gave 223 MB). */
static void test_error_limit(void)
{
	struct arena *a = arena__new();
	struct src src;
	struct diag d = { 0 };
	struct lexer lx;
	char *text = malloc(1001), *out = NULL;
	size_t len = 0, n = 0;
	const char *p;

	memset(text, '`', 1000);
	text[1000] = '\0';
	src = (struct src){ "<input>", text, 1000 };
	d.out = open_memstream(&out, &len);
	lex_init(&lx, &src, a, &d);
	while (lex_next(&lx, LEX_CODE).kind != TK_EOF)
		;
	fclose(d.out);
	CHECK(d.nerrors == 1000);
	for (p = out; (p = strstr(p, ": error: unexpected")); p++)
		n++;
	CHECK(n == DIAG_MAX_SHOWN);
	CHECK(strstr(out, "ply: error: too many errors, the rest are not "
		      "shown\n") != NULL);
	CHECK(len < (DIAG_MAX_SHOWN + 1) * 2100);
	free(out);
	free(text);
	arena__free(a);
}

static void test_tok_name(void)
{
	int k;

	CHECK_STR(tok_name(TK_SEMI), "';'");
	CHECK_STR(tok_name(TK_EOF), "end of input");
	CHECK_STR(tok_name(TK_IDENT), "identifier");
	CHECK_STR(tok_name(TK_ARROW), "'->'");
	for (k = 0; k < TK_NKINDS; k++)
		CHECK(tok_name(k) && *tok_name(k));
}

int main(void)
{
	test_punctuation();
	test_names();
	test_numbers();
	test_number_errors();
	test_strings();
	test_string_errors();
	test_comments();
	test_locations();
	test_probe_mode();
	test_bad_characters();
	test_error_limit();
	test_tok_name();
	return test_report("lex");
}
