/* Unit tests of printf: every conversion checked against libc's own
 * printf of the same value, arguments at their offsets in an event record,
 * escaping of what the traced system wrote (and '#' for the raw bytes), and
 * the compile-time check's diagnostics from the same parser. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "printf.h"
#include "cap.h"
#include "test.h"

static struct arena *ar;
static struct fmt_ctx ctx;

static char expected[8192];

/* libc's own output, for comparison. Not a literal format on purpose:
 * the test builds libc specs from the same pieces as ply's. */
static const char *libc_fmt(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(expected, sizeof(expected), fmt, ap);
	va_end(ap);
	return expected;
}

/* fmt_printf with one argument of type t stored at p. */
static const char *printf1(const char *fmt, struct type *t, const void *p)
{
	struct field f = { .name = "0", .type = t, .offset = 0 };
	struct cap c;

	fmt_printf(cap_begin(&c), &ctx, fmt, &f, 1, p);
	return cap_end(&c);
}

/* ---- integer conversions against libc ---- */

/* Store v, truncated to t's size, the way the kernel would. */
static void int_store(void *buf, const struct type *t, int64_t v)
{
	int8_t v8 = (int8_t)v;
	int16_t v16 = (int16_t)v;
	int32_t v32 = (int32_t)v;

	switch (t->size) {
	case 1: memcpy(buf, &v8, 1); break;
	case 2: memcpy(buf, &v16, 2); break;
	case 4: memcpy(buf, &v32, 4); break;
	default: memcpy(buf, &v, 8); break;
	}
}

/* The value of the bytes stored by int_store, as t reads them. */
static long long int_load(const struct type *t, const void *buf)
{
	int8_t s8; uint8_t u8; int16_t s16; uint16_t u16;
	int32_t s32; uint32_t u32; int64_t s64;

	switch (t->size) {
	case 1: memcpy(&s8, buf, 1); memcpy(&u8, buf, 1);
		return t->is_signed ? s8 : u8;
	case 2: memcpy(&s16, buf, 2); memcpy(&u16, buf, 2);
		return t->is_signed ? s16 : u16;
	case 4: memcpy(&s32, buf, 4); memcpy(&u32, buf, 4);
		return t->is_signed ? s32 : (long long)u32;
	default: memcpy(&s64, buf, 8);
		return s64;
	}
}

/* What libc prints for the conversion head+c of the value in buf: %d
 * and %i print the value, the unsigned conversions its bits at the
 * type's own size (libc's hh/h/ll modifiers do the truncation). */
static const char *libc_int(const char *head, char c, const struct type *t,
			    const void *buf)
{
	static const char *const mods[] = { "", "hh", "h", "", "", "", "",
					    "", "ll" };
	long long v = int_load(t, buf);
	char spec[64];

	if (c == 'd' || c == 'i') {
		if (!t->is_signed && t->size == 8 && v < 0) {
			snprintf(spec, sizeof(spec), "%sllu", head);
			return libc_fmt(spec, (unsigned long long)v);
		}
		snprintf(spec, sizeof(spec), "%sll%c", head, c);
		return libc_fmt(spec, v);
	}
	snprintf(spec, sizeof(spec), "%s%s%c", head, mods[t->size], c);
	switch (t->size) {
	case 1: return libc_fmt(spec, (unsigned char)v);
	case 2: return libc_fmt(spec, (unsigned short)v);
	case 4: return libc_fmt(spec, (unsigned int)v);
	default: return libc_fmt(spec, (unsigned long long)v);
	}
}

static void test_int_conversions(void)
{
	static const struct {
		struct type *t;
		int64_t v;
	} vals[] = {
		{ &type_s8, -1 }, { &type_s8, -128 }, { &type_s8, 127 },
		{ &type_u8, 200 }, { &type_u8, 255 },
		{ &type_s16, -300 }, { &type_s16, -32768 },
		{ &type_u16, 65535 },
		{ &type_s32, -1 }, { &type_s32, INT32_MIN },
		{ &type_s32, 123456 }, { &type_u32, 4294967295LL },
		{ &type_u32, 0 },
		{ &type_s64, -1 }, { &type_s64, INT64_MIN },
		{ &type_s64, INT64_MAX }, { &type_u64, -1 },
		{ &type_u64, 42 },
	};
	static const char *const heads[] = {
		"%", "%5", "%-6", "%+", "% ", "%06", "%.4", "%8.3", "%-+8",
		"%#", "%#12", "%-#12", "%020",
	};
	static const char convs[] = "diuxXo";
	char buf[8], spec[32], want[128];
	size_t i, j, k;

	for (i = 0; i < ARRAY_SIZE(vals); i++) {
		int_store(buf, vals[i].t, vals[i].v);
		for (j = 0; j < ARRAY_SIZE(heads); j++) {
			for (k = 0; convs[k]; k++) {
				/* '#' is undefined for d, i, u in libc */
				if (strchr(heads[j], '#') && k < 3)
					continue;
				snprintf(spec, sizeof(spec), "<%s%c>",
					 heads[j], convs[k]);
				snprintf(want, sizeof(want), "<%s>",
					 libc_int(heads[j], convs[k],
						  vals[i].t, buf));
				CHECK_STR(printf1(spec, vals[i].t, buf), want);
			}
		}
	}
}

static void test_length_modifiers(void)
{
	int8_t s8 = -5;
	uint32_t u32 = 4000000000u;
	uint64_t u64 = 0x1234567890ULL;

	/* ignored: the argument's own size wins */
	CHECK_STR(printf1("%lld", &type_s8, &s8), "-5");
	CHECK_STR(printf1("%hhd", &type_u32, &u32), "4000000000");
	CHECK_STR(printf1("%hx", &type_u64, &u64), "1234567890");
	CHECK_STR(printf1("%zu", &type_u32, &u32), "4000000000");
	CHECK_STR(printf1("[%jd]", &type_s8, &s8), "[-5]");
	CHECK_STR(printf1("[%tu]", &type_s8, &s8), "[251]");
}

/* ---- %c %p %s %% %v ---- */

static void test_char_ptr(void)
{
	uint8_t c = 'A';
	uint64_t addr = 0xffff888012345678ULL;
	struct type *ptr = type_ptr(ar, &type_void);

	CHECK_STR(printf1("%c", &type_u8, &c), libc_fmt("%c", 'A'));
	CHECK_STR(printf1("[%3c]", &type_u8, &c), libc_fmt("[%3c]", 'A'));
	CHECK_STR(printf1("[%-3c]", &type_u8, &c), libc_fmt("[%-3c]", 'A'));
	CHECK_STR(printf1("%p", ptr, &addr), libc_fmt("%p", (void *)addr));
	CHECK_STR(printf1("[%24p]", &type_u64, &addr),
		  libc_fmt("[%24p]", (void *)addr));
	CHECK_STR(printf1("[%-24p]", ptr, &addr),
		  libc_fmt("[%-24p]", (void *)addr));
	CHECK_STR(printf1("%#lx", ptr, &addr), libc_fmt("%#lx", addr));
	CHECK_STR(printf1("100%% of %d%%", &type_u8, &c), "100% of 65%");
}

static void test_strings(void)
{
	/* "abcdefgh" fills char[8] with no NUL; the bytes after must not
	 * leak out */
	char buf[16] = "abcdefghXYZ";
	char arr[4] = "hi";
	struct type *s8 = type_str(ar, 8);
	struct type *bytes = type_array(ar, &type_u8, 4);
	static const char *const fmts[] = {
		"[%s]", "[%.3s]", "[%10s]", "[%-10s]", "[%.20s]", "[%5.2s]",
		"[%-5.2s]", "[%lls]",
	};
	static const char *const libc[] = {
		"[%s]", "[%.3s]", "[%10s]", "[%-10s]", "[%.20s]", "[%5.2s]",
		"[%-5.2s]", "[%s]",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fmts); i++)
		CHECK_STR(printf1(fmts[i], s8, buf),
			  libc_fmt(libc[i], "abcdefgh"));
	CHECK_STR(printf1("[%s]", bytes, arr), "[hi]");
	CHECK_STR(printf1("[%-4s]", bytes, arr), "[hi  ]");
}

static void test_value_conversion(void)
{
	int64_t ns = 1234567890;
	struct type *t = type_with_fmt(ar, &type_s64, TF_TIME);
	char s[8] = "a\001b";
	int16_t v = -7;

	CHECK_STR(printf1("%v", t, &ns), "1.234s");
	CHECK_STR(printf1("[%10v]", t, &ns), "[    1.234s]");
	CHECK_STR(printf1("[%-10v]", t, &ns), "[1.234s    ]");
	CHECK_STR(printf1("[%v]", type_str(ar, 8), s), "[a\\x01b]");
	CHECK_STR(printf1("%v", &type_s16, &v), "-7");
}

/* Several arguments at their offsets in an event record, the way the
 * runtime hands them over: field 0 is the site id, not an argument. */
static void test_record(void)
{
	struct type *m[] = { &type_u64, &type_s8, type_str(ar, 16),
			     &type_u16, &type_s64 };
	struct type *rec = type_tuple(ar, "rec", m, ARRAY_SIZE(m));
	char buf[64] = { 0 };
	int8_t a = -3;
	uint16_t b = 0xbeef;
	int64_t c = -1234567890123LL;
	struct cap cp;

	memcpy(buf + rec->fields[1].offset, &a, 1);
	strcpy(buf + rec->fields[2].offset, "bash");
	memcpy(buf + rec->fields[3].offset, &b, 2);
	memcpy(buf + rec->fields[4].offset, &c, 8);
	fmt_printf(cap_begin(&cp), &ctx, "a=%d s=%-6s| b=%#x c=%lld\n",
		   rec->fields + 1, 4, buf);
	CHECK_STR(cap_end(&cp), "a=-3 s=bash  | b=0xbeef c=-1234567890123\n");
	fmt_printf(cap_begin(&cp), &ctx, "no conversions\\n\n", NULL, 0, buf);
	CHECK_STR(cap_end(&cp), "no conversions\\n\n");
}

/* What the traced system wrote is escaped in %s, %c and %v: a file name
 * can't forge a line, retitle the terminal or overwrite with \r; '#' asks
 * for the raw bytes. Width counts what is printed, precision the
 * argument's bytes. */
static void test_escaping(void)
{
	struct type *s32 = type_str(ar, 32);
	char forged[32] = "/tmp/a\ngt /etc/shadow";
	char title[32] = "\x1b]0;owned\a";
	char cr[32] = "ok\rFAIL";
	char cafe[32] = "caf\xc3\xa9";
	char bs[32] = "\\x0a";
	uint8_t esc = 0x1b, nul = 0, a = 'a';

	CHECK_STR(printf1("open %s\n", s32, forged),
		  "open /tmp/a\\ngt /etc/shadow\n");
	CHECK_STR(printf1("%s", s32, title), "\\x1b]0;owned\\x07");
	CHECK_STR(printf1("%s", s32, cr), "ok\\rFAIL");
	CHECK_STR(printf1("%s", s32, cafe), "caf\xc3\xa9");
	CHECK_STR(printf1("%s", s32, bs), "\\\\x0a");
	CHECK_STR(printf1("%v", s32, forged), "/tmp/a\\ngt /etc/shadow");
	/* raw on request, with libc's own width and precision */
	CHECK_STR(printf1("%#s", s32, forged), forged);
	CHECK_STR(printf1("[%#-8.4s]", s32, title),
		  libc_fmt("[%-8.4s]", title));
	/* width pads what is printed; precision cuts the argument */
	CHECK_STR(printf1("[%9s]", s32, cr), "[ ok\\rFAIL]");
	CHECK_STR(printf1("[%-6.3s]", s32, cr), "[ok\\r  ]");
	CHECK_STR(printf1("[%.4s]", s32, cafe), "[caf\\xc3]");
	/* %c */
	CHECK_STR(printf1("[%c]", &type_u8, &esc), "[\\x1b]");
	CHECK_STR(printf1("[%5c]", &type_u8, &esc), "[ \\x1b]");
	CHECK_STR(printf1("[%c]", &type_u8, &nul), "[\\x00]");
	CHECK_STR(printf1("[%c]", &type_u8, &a), "[a]");
	CHECK(!strcmp(printf1("%#c", &type_u8, &esc), "\x1b"));
}


/* ---- fmt_check ---- */

static const char prog_text[] =
	"BEGIN {\n"
	"\tprintf(\"%d %s\\n\", pid, comm);\n"
	"}\n";
static const struct src prog = { "t.ply", prog_text, sizeof(prog_text) - 1 };

struct check_result {
	int n;
	const char *text;
};

/* Run fmt_check with the format at 2:9 and the arguments at 2:20 and
 * 2:25 (where pid and comm are), then 2:30 and 2:35; returns the error
 * count and the diagnostics printed. */
static struct check_result check(const char *fmt, struct type **args,
				 size_t nargs)
{
	struct loc floc = { &prog, 2, 9 };
	struct loc arglocs[4] = {
		{ &prog, 2, 20 }, { &prog, 2, 25 }, { &prog, 2, 30 },
		{ &prog, 2, 35 },
	};
	struct cap c;
	struct diag d = { .out = cap_begin(&c) };
	struct check_result r;

	r.n = fmt_check(&d, floc, fmt, args, arglocs, nargs);
	r.text = cap_end(&c);
	CHECK(r.n == d.nerrors);
	return r;
}

static void test_check_ok(void)
{
	struct type *str = type_str(ar, 16);
	struct type *ptr = type_ptr(ar, &type_void);
	struct type *bytes = type_array(ar, &type_u8, 4);
	struct type *m[] = { str, &type_u32 };
	struct type *tup = type_tuple(ar, "k", m, 2);
	struct type *a1[] = { &type_u32, str };
	struct type *a2[] = { ptr, ptr, bytes, tup };
	struct type *a3[] = { &type_s8, &type_u64, &type_s16, str };
	struct check_result r;

	r = check("%d %s\n", a1, 2);
	CHECK(r.n == 0);
	CHECK_STR(r.text, "");
	CHECK(check("%p %#lx %s %v", a2, 4).n == 0);
	CHECK(check("%-+05hhd %llu %zx %-20.10s 100%%", a3, 4).n == 0);
	CHECK(check("%c %5i %o %v", a3, 4).n == 0);
	CHECK(check("no conversions %%", NULL, 0).n == 0);
}

static void test_check_errors(void)
{
	struct type *str = type_str(ar, 16);
	struct type *m[] = { str, &type_u32 };
	struct type *tup = type_tuple(ar, "k", m, 2);
	struct type *a1[] = { &type_u32, &type_u32 };
	struct type *a2[] = { str, tup, type_array(ar, &type_u32, 2) };
	struct type *a3[] = { &type_void };
	struct check_result r;

	r = check("%y", a1, 1);
	CHECK(r.n == 1);
	CHECK_STR(r.text,
		  "t.ply:2:9: error: unknown conversion '%y' in format string\n"
		  "\tprintf(\"%d %s\\n\", pid, comm);\n"
		  "\t       ^\n");

	r = check("%d %d %d", a1, 2);
	CHECK(r.n == 1);
	CHECK_STR(r.text,
		  "t.ply:2:9: error: format string has 3 conversions but 2 "
		  "arguments\n"
		  "\tprintf(\"%d %s\\n\", pid, comm);\n"
		  "\t       ^\n");

	r = check("%d\n", a1, 2);
	CHECK(r.n == 1);
	CHECK_STR(r.text,
		  "t.ply:2:25: error: format string has 1 conversion but 2 "
		  "arguments\n"
		  "\tprintf(\"%d %s\\n\", pid, comm);\n"
		  "\t                       ^\n");

	r = check("%d %s", a1, 2);
	CHECK(r.n == 1);
	CHECK(strstr(r.text, "t.ply:2:25: error: %s expects a string, "
		     "argument 2 is u32\n") == r.text);

	r = check("%d %x %u", a2, 3);
	CHECK(r.n == 3);
	CHECK(strstr(r.text, "2:20: error: %d expects an integer, argument 1 "
		     "is char[16]\n") != NULL);
	CHECK(strstr(r.text, "2:25: error: %x expects an integer, argument 2 "
		     "is k\n") != NULL);
	CHECK(strstr(r.text, "2:30: error: %u expects an integer, argument 3 "
		     "is u32[2]\n") != NULL);

	r = check("%p %c", a2, 2);
	CHECK(r.n == 2);
	CHECK(strstr(r.text, "%p expects a pointer, argument 1 is char[16]"));
	CHECK(strstr(r.text, "%c expects an integer, argument 2 is k"));

	/* a bad spec still takes its argument: %s is checked against the
	 * second one, and the counts agree */
	r = check("%-5y %s", a1, 2);
	CHECK(r.n == 2);
	CHECK(strstr(r.text, "unknown conversion '%-5y' in format string"));
	CHECK(strstr(r.text, "%s expects a string, argument 2 is u32"));

	r = check("%*d", a1, 1);
	CHECK(r.n == 1);
	CHECK(strstr(r.text, "error: '*' width or precision in '%*d' is not "
		     "supported"));
	r = check("%.*s", a2, 1);
	CHECK(r.n == 1);
	CHECK(strstr(r.text, "'%.*s' is not supported"));

	r = check("%d %", a1, 1);
	CHECK(r.n == 1);
	CHECK(strstr(r.text, "incomplete conversion '%' at the end of the "
		     "format string"));

	r = check("%99999d", a1, 1);
	CHECK(r.n == 1);
	CHECK(strstr(r.text, "width or precision in '%99999d' is larger"));

	r = check("%v", a3, 1);
	CHECK(r.n == 1);
	CHECK(strstr(r.text, "%v expects a value, argument 1 is void"));

	r = check("%y %q %d", a1, 0);
	CHECK(r.n == 3);
	CHECK(strstr(r.text, "has 3 conversions but 0 arguments"));
}

int main(void)
{
	ar = arena__new();
	fmt_ctx__init(&ctx);
	test_int_conversions();
	test_length_modifiers();
	test_char_ptr();
	test_strings();
	test_value_conversion();
	test_record();
	test_escaping();
	test_check_ok();
	test_check_errors();
	fmt_ctx__free(&ctx);
	arena__free(ar);
	return test_report("printf");
}
