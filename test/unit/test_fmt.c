/* Unit tests of fmt: printf conversions checked against libc's own
 * printf of the same value, the default output of each type, the
 * compile-time format check's diagnostics, map printing, histograms,
 * kernel symbols and stacks. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt.h"
#include "ksym.h"
#include "test.h"

static struct arena *ar;

/* ---- capturing output ---- */

struct cap {
	char *s;
	size_t n;
	FILE *f;
};

static char captured[8192];

static FILE *cap_begin(struct cap *c)
{
	c->s = NULL;
	c->n = 0;
	c->f = open_memstream(&c->s, &c->n);
	return c->f;
}

/* The text written since cap_begin, valid until the next cap_end. */
static const char *cap_end(struct cap *c)
{
	fclose(c->f);
	snprintf(captured, sizeof(captured), "%s", c->s ? c->s : "");
	free(c->s);
	return captured;
}

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

	fmt_printf(cap_begin(&c), fmt, &f, 1, p);
	return cap_end(&c);
}

static const char *value_text(const struct type *t, const void *p)
{
	struct cap c;

	value_print(cap_begin(&c), t, p);
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
	fmt_printf(cap_begin(&cp), "a=%d s=%-6s| b=%#x c=%lld\n",
		   rec->fields + 1, 4, buf);
	CHECK_STR(cap_end(&cp), "a=-3 s=bash  | b=0xbeef c=-1234567890123\n");
	fmt_printf(cap_begin(&cp), "no conversions\\n\n", NULL, 0, buf);
	CHECK_STR(cap_end(&cp), "no conversions\\n\n");
}

/* ---- value_print ---- */

static void test_time(void)
{
	static const struct {
		int64_t ns;
		const char *text;
	} cases[] = {
		{ 0, "0ns" }, { 45, "45ns" }, { 999, "999ns" },
		{ 1000, "1.000us" }, { 830000, "830.000us" },
		{ 999999, "999.999us" }, { 12500000, "12.500ms" },
		{ 1234567890, "1.234s" }, { 3600000000000LL, "3600.000s" },
		{ -1500, "-1.500us" }, { INT64_MIN, "-9223372036.854s" },
	};
	struct type *t = type_with_fmt(ar, &type_s64, TF_TIME);
	struct type *u32 = type_with_fmt(ar, &type_u32, TF_TIME);
	uint32_t big = 4000000000u;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		CHECK_STR(value_text(t, &cases[i].ns), cases[i].text);
	CHECK_STR(value_text(u32, &big), "4.000s");
}

static void test_walltime(void)
{
	struct type *t = type_with_fmt(ar, &type_s64, TF_WALLTIME);
	int64_t ns = 5000000123LL;

	/* 1700000000 is 2023-11-14 22:13:20 UTC */
	setenv("TZ", "UTC0", 1);
	tzset();
	fmt_boot_to_wall_ns = 1700000000LL * 1000000000LL - 5000000000LL;
	CHECK_STR(value_text(t, &ns), "22:13:20.000000123");
	ns = 5000000000LL + 3661LL * 1000000000LL + 999999999LL;
	CHECK_STR(value_text(t, &ns), "23:14:21.999999999");
	setenv("TZ", "CET-1", 1);
	tzset();
	CHECK_STR(value_text(t, &ns), "00:14:21.999999999");
	fmt_boot_to_wall_ns = 0;
}

static void test_value_print(void)
{
	uint8_t mac[3] = { 1, 2, 0xab };
	int16_t shorts[2] = { -1, 2 };
	int32_t neg = -1;
	uint64_t addr = 0xffff888000001000ULL;
	char s[4] = { 'a', 'b', 'c', 'd' };	/* no NUL within len */
	char tab[8] = "a\tb\xff";
	struct type *m[] = { type_str(ar, 16), &type_s32 };
	struct type *tup = type_tuple(ar, "k", m, 2);
	char key[24] = "bash";
	int32_t seven = 7;
	int64_t big = INT64_MIN;
	uint64_t ubig = UINT64_MAX;

	memcpy(key + 16, &seven, 4);
	CHECK_STR(value_text(type_array(ar, &type_u8, 3), mac), "01:02:ab");
	CHECK_STR(value_text(type_array(ar, &type_s16, 2), shorts),
		  "[-1, 2]");
	CHECK_STR(value_text(type_with_fmt(ar, &type_s32, TF_HEX), &neg),
		  "0xffffffff");
	CHECK_STR(value_text(type_ptr(ar, &type_u8), &addr),
		  "0xffff888000001000");
	CHECK_STR(value_text(type_str(ar, 4), s), "abcd");
	CHECK_STR(value_text(type_str(ar, 8), tab), "a\\x09b\\xff");
	CHECK_STR(value_text(tup, key), "{ bash, 7 }");
	CHECK_STR(value_text(&type_s32, &neg), "-1");
	CHECK_STR(value_text(&type_u32, &neg), "4294967295");
	CHECK_STR(value_text(&type_s64, &big), "-9223372036854775808");
	CHECK_STR(value_text(&type_u64, &ubig), "18446744073709551615");
	CHECK_STR(value_text(&type_void, &neg), "");
}

static void test_value_cmp(void)
{
	int32_t a = -1, b = 1;
	char s1[4] = "abc", s2[4] = { 'a', 'b', 'c', 'x' };

	CHECK(value_cmp(&type_s32, &a, &b) < 0);
	CHECK(value_cmp(&type_u32, &a, &b) > 0);
	CHECK(value_cmp(&type_s32, &a, &a) == 0);
	CHECK(value_cmp(type_str(ar, 3), s1, s2) == 0);
	CHECK(value_cmp(type_str(ar, 4), s1, s2) < 0);
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

/* ---- map_print ---- */

static struct type *comm_pid_key(void)
{
	struct type *m[] = { type_str(ar, 16), &type_u32 };

	return type_tuple(ar, "k", m, 2);
}

/* Four entries of (comm, pid) -> count; the ties on 3 are sorted by key. */
static void map_fill(char *keys, uint64_t *vals, size_t ksize)
{
	static const struct {
		const char *comm;
		uint32_t pid;
		uint64_t v;
	} e[] = {
		{ "cat", 20, 12 }, { "bash", 300, 3 }, { "sshd", 5, 1 },
		{ "bash", 1, 3 },
	};
	size_t i;

	memset(keys, 0, 4 * ksize);
	for (i = 0; i < 4; i++) {
		strcpy(keys + i * ksize, e[i].comm);
		memcpy(keys + i * ksize + 16, &e[i].pid, 4);
		vals[i] = e[i].v;
	}
}

static const char *map_text(struct mapsym *m, void *keys, void *vals,
			    size_t n)
{
	struct cap c;

	map_print(cap_begin(&c), m, keys, vals, n);
	return cap_end(&c);
}

static void test_map_print(void)
{
	struct mapsym m = { .name = "@", .is_agg = 1, .agg = AGG_COUNT,
			    .ktype = comm_pid_key(), .vtype = &type_u64 };
	char keys[4 * 24];
	uint64_t vals[4];

	map_fill(keys, vals, m.ktype->size);
	CHECK_STR(map_text(&m, keys, vals, 4),
		  "@:\n"
		  "{ sshd,   5 }: 1\n"
		  "{ bash,   1 }: 3\n"
		  "{ bash, 300 }: 3\n"
		  "{ cat ,  20 }: 12\n"
		  "\n");
	/* sorted in place, keys and values together */
	CHECK_STR(keys + 3 * 24, "cat");
	CHECK(vals[3] == 12);

	m.name = "procs";
	m.is_agg = 0;
	m.agg = AGG_NONE;
	map_fill(keys, vals, m.ktype->size);
	CHECK_STR(map_text(&m, keys, vals, 4),
		  "procs:\n"
		  "{ bash,   1 }: 3\n"
		  "{ bash, 300 }: 3\n"
		  "{ cat ,  20 }: 12\n"
		  "{ sshd,   5 }: 1\n"
		  "\n");
	CHECK_STR(map_text(&m, keys, vals, 0), "procs:\n\n");
}

static void test_map_agg_negative(void)
{
	struct type *km[] = { &type_s32 };
	struct type *kt = type_tuple(ar, "k", km, 1);
	struct mapsym m = { .name = "@sum", .is_agg = 1, .agg = AGG_SUM,
			    .ktype = kt, .vtype = &type_s64 };
	int64_t keys[3] = { 7, -12, 100 };	/* s32 in 8-byte slots */
	int64_t vals[3] = { 5, -40, 0 };

	CHECK_STR(map_text(&m, keys, vals, 3),
		  "@sum:\n"
		  "{ -12 }: -40\n"
		  "{ 100 }: 0\n"
		  "{   7 }: 5\n"
		  "\n");
}

static void test_map_keyless(void)
{
	struct mapsym m = { .name = "@total", .is_agg = 1, .agg = AGG_COUNT,
			    .vtype = &type_u64 };
	struct mapsym t = { .name = "start",
			    .vtype = type_with_fmt(ar, &type_s64, TF_TIME) };
	uint64_t v = 42;
	int64_t ns = 12500000;

	CHECK_STR(map_text(&m, NULL, &v, 1), "@total: 42\n\n");
	CHECK_STR(map_text(&m, NULL, &v, 0), "@total:\n\n");
	CHECK_STR(map_text(&t, NULL, &ns, 1), "start: 12.500ms\n\n");
}

/* ---- histograms ---- */

static struct type *hist_type(enum type_fmt f)
{
	return type_with_fmt(ar, type_array(ar, &type_u64, QUANTIZE_BUCKETS), f);
}

static const char *hist_text(const struct type *t, const uint64_t *b)
{
	struct cap c;

	hist_print(cap_begin(&c), t, b);
	return cap_end(&c);
}

static void test_hist(void)
{
	struct type *t = hist_type(TF_NONE);
	uint64_t b[QUANTIZE_BUCKETS] = { 0 };

	CHECK(type_is_hist(t));
	CHECK(!type_is_hist(type_array(ar, &type_u64, 4)));
	CHECK(!type_is_hist(type_array(ar, &type_s32, QUANTIZE_BUCKETS)));
	CHECK_STR(hist_text(t, b), "");

	/* [4,8) is bucket 4; 12 of 40 is 9.6 cells: 9 full and 4 eighths
	 * (rounded down); 1 of 40 is 6.4 eighths */
	b[4] = 12;
	b[5] = 40;
	b[7] = 1;
	CHECK_STR(hist_text(t, b),
		  "\n\t[   4,    8)        12 ┤█████████▌                      │"
		  "\n\t[   8,   16)        40 ┤████████████████████████████████│"
		  "\n\t[  16,   32)         0 ┤                                │"
		  "\n\t[  32,   64)         1 ┤▊                               │");

	/* negative and zero buckets; suffixes in powers of 1024 */
	memset(b, 0, sizeof(b));
	b[0] = 3;
	b[1] = 1;
	b[12] = 2;
	CHECK(strstr(hist_text(t, b),
		     "\n\t         < 0         3 ┤████████████████████████████████│"
		     "\n\t           0         1 ┤██████████▋                     │"
		     "\n\t[   1,    2)         0 ┤"));
	CHECK(strstr(hist_text(t, b),
		     "\n\t[ 512,   1K)         0 ┤                                │"
		     "\n\t[  1K,   2K)         2 ┤█████████████████████▎          │"));

	/* the top bucket and a count wider than the column */
	memset(b, 0, sizeof(b));
	b[65] = 12345678901ULL;
	b[64] = 1;
	CHECK_STR(hist_text(t, b),
		  "\n\t[  4E,   8E)           1 ┤▏                               │"
		  "\n\t[  8E,  16E) 12345678901 ┤████████████████████████████████│");
}

static void test_hist_time(void)
{
	uint64_t b[QUANTIZE_BUCKETS] = { 0 };
	struct type *t = hist_type(TF_TIME);
	struct type *te = type_array(ar, type_with_fmt(ar, &type_u64, TF_TIME),
				     QUANTIZE_BUCKETS);
	/* bounds are 2^k ns, written in decimal units to three digits */
	const char *want =
		"\n\t[1.02us, 2.05us)         8 ┤████████████████████████████████│"
		"\n\t[2.05us, 4.10us)         2 ┤████████                        │";

	b[12] = 8;
	b[13] = 2;
	CHECK_STR(hist_text(t, b), want);
	CHECK_STR(hist_text(te, b), want);	/* TF_TIME on the element */
	CHECK_STR(value_text(t, b), want);	/* value_print of the array */

	b[10] = 4;	/* [256ns, 512ns) */
	b[40] = 1;	/* [2^38ns, 2^39ns) */
	CHECK(strstr(hist_text(t, b),
		     "\n\t[ 256ns,  512ns)         4 ┤████████████████                │"
		     "\n\t[ 512ns, 1.02us)         0 ┤"));
	CHECK(strstr(hist_text(t, b),
		     "\n\t[  275s,   550s)         1 ┤████                            │"));
	b[65] = 1;	/* [2^63ns, 2^64ns): seconds stay seconds, and the
			 * top bound is 2^64, not an overflow */
	CHECK(strstr(hist_text(t, b),
		     "[ 9223372037s, 18446744074s)"));
}

static void test_map_quantize(void)
{
	struct type *km[] = { type_str(ar, 8) };
	struct mapsym m = { .name = "@lat", .is_agg = 1, .agg = AGG_QUANTIZE,
			    .ktype = type_tuple(ar, "k", km, 1),
			    .vtype = hist_type(TF_NONE) };
	struct mapsym k0 = m;
	char keys[2][8] = { "sshd", "cat" };
	uint64_t vals[2][QUANTIZE_BUCKETS] = { { 0 } }, one[QUANTIZE_BUCKETS];

	vals[0][2] = 1;		/* sshd: one 1, two 2s */
	vals[0][3] = 2;
	vals[1][4] = 100;	/* cat: far more, but sorted by key */
	CHECK_STR(map_text(&m, keys, vals, 2),
		  "@lat:\n"
		  "{ cat  }:\n"
		  "\t[   4,    8)       100 ┤████████████████████████████████│\n"
		  "\n"
		  "{ sshd }:\n"
		  "\t[   1,    2)         1 ┤████████████████                │\n"
		  "\t[   2,    4)         2 ┤████████████████████████████████│\n"
		  "\n");
	CHECK_STR(map_text(&m, keys, vals, 0), "@lat:\n\n");

	k0.name = "@";
	k0.ktype = NULL;
	memset(one, 0, sizeof(one));
	one[6] = 100;
	CHECK_STR(map_text(&k0, NULL, one, 1),
		  "@:\n"
		  "\t[  16,   32)       100 ┤████████████████████████████████│\n"
		  "\n");
	CHECK_STR(map_text(&k0, NULL, one, 0), "@:\n\n");
}

/* ---- kernel symbols and stacks ---- */

static uint64_t sched_addr;

static void test_sym(void)
{
	struct ksyms *k = ksyms__load();
	struct type *t = type_with_fmt(ar, &type_u64, TF_SYM);
	struct type *pt = type_with_fmt(ar, type_ptr(ar, &type_void), TF_SYM);
	uint64_t v;

	CHECK(k != NULL);
	if (!k)
		return;
	sched_addr = ksyms__addr(k, "schedule");
	ksyms__free(k);
	CHECK(sched_addr != 0);

	v = sched_addr + 0x10;
	CHECK_STR(value_text(t, &v), "schedule+0x10");
	CHECK_STR(value_text(pt, &v), "schedule+0x10");
	CHECK_STR(printf1("at %v!", t, &v), "at schedule+0x10!");
	v = sched_addr;
	CHECK_STR(value_text(t, &v), "schedule");
	v = 0x10;		/* below every kernel symbol */
	CHECK_STR(value_text(t, &v), "0x10");
	CHECK_STR(printf1("%d", t, &v), "16");
}

/* A stack map of two stacks: id 1 has two frames, id 2 is unknown. */
static int fake_resolve(void *ctx, int64_t id, uint64_t *ips, size_t max)
{
	const uint64_t *frames = ctx;

	if (id != 1)
		return -ENOENT;
	CHECK(max >= 2);
	ips[0] = frames[0];
	ips[1] = frames[1];
	return 2;
}

static void test_stack(void)
{
	uint64_t frames[2] = { sched_addr + 0x2a, sched_addr };
	struct type *t = type_with_fmt(ar, &type_s64, TF_STACK);
	struct type *km[] = { t };
	struct mapsym m = { .name = "@", .is_agg = 1, .agg = AGG_COUNT,
			    .ktype = type_tuple(ar, "k", km, 1),
			    .vtype = &type_u64 };
	int64_t id = 1, keys[2] = { 2, 1 };
	uint64_t vals[2] = { 7, 3 };

	CHECK_STR(value_text(t, &id), "stack#1");	/* no resolver */
	fmt_stack_resolve = fake_resolve;
	fmt_stack_ctx = frames;
	CHECK_STR(value_text(t, &id), "\n\tschedule+0x2a\n\tschedule");
	id = 2;
	CHECK_STR(value_text(t, &id), "stack#2");
	id = -EFAULT;
	CHECK_STR(value_text(t, &id), "<no stack: Bad address>");
	id = -EEXIST;
	CHECK_STR(value_text(t, &id),
		  "<no stack: another stack has the same hash>");

	/* not padded to the width of a one-line key */
	CHECK_STR(map_text(&m, keys, vals, 2),
		  "@:\n"
		  "{ \n\tschedule+0x2a\n\tschedule }: 3\n"
		  "{ stack#2 }: 7\n"
		  "\n");
	fmt_stack_resolve = NULL;
	fmt_stack_ctx = NULL;
}

int main(void)
{
	ar = arena__new();
	test_int_conversions();
	test_length_modifiers();
	test_char_ptr();
	test_strings();
	test_value_conversion();
	test_record();
	test_time();
	test_walltime();
	test_value_print();
	test_value_cmp();
	test_check_ok();
	test_check_errors();
	test_map_print();
	test_map_agg_negative();
	test_map_keyless();
	test_hist();
	test_hist_time();
	test_map_quantize();
	test_sym();
	test_stack();
	arena__free(ar);
	return test_report("fmt");
}
