/* Unit tests of value: the default output of each type (integers,
 * durations, times of day, kernel symbols, stacks), the escaping of
 * strings, comparisons, and quantize() histograms as data and as bars. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ksym.h"
#include "printf.h"
#include "value.h"
#include "cap.h"
#include "test.h"

static struct arena *ar;
static struct fmt_ctx ctx;

/* fmt_printf with one argument of type t stored at p. */
static const char *printf1(const char *fmt, struct type *t, const void *p)
{
	struct field f = { .name = "0", .type = t, .offset = 0 };
	struct cap c;

	fmt_printf(cap_begin(&c), &ctx, fmt, &f, 1, p);
	return cap_end(&c);
}

static const char *value_text(const struct type *t, const void *p)
{
	struct cap c;

	value_print(cap_begin(&c), &ctx, t, p);
	return cap_end(&c);
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
	ctx.boot_to_wall_ns = 1700000000LL * 1000000000LL - 5000000000LL;
	CHECK_STR(value_text(t, &ns), "22:13:20.000000123");
	ns = 5000000000LL + 3661LL * 1000000000LL + 999999999LL;
	CHECK_STR(value_text(t, &ns), "23:14:21.999999999");
	setenv("TZ", "CET-1", 1);
	tzset();
	CHECK_STR(value_text(t, &ns), "00:14:21.999999999");
	ctx.boot_to_wall_ns = 0;
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
	/* a tab is \t since issue 8 item 10 (it was \x09) */
	CHECK_STR(value_text(type_str(ar, 8), tab), "a\\tb\\xff");
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

/* Strings read back unambiguously (the backslash is escaped too, so the
 * four characters \x0a and a newline differ) and cannot drive a terminal;
 * valid UTF-8 is itself. */
static const char *esc(const char *s, size_t len)
{
	struct cap c;

	str_escape(cap_begin(&c), s, len);
	return cap_end(&c);
}

static void test_escape(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "a\nb", "a\\nb" },
		{ "\\x0a", "\\\\x0a" },
		{ "tab\there\r", "tab\\there\\r" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "\xe2\x82\xac \xf0\x9f\x90\x9d", "\xe2\x82\xac \xf0\x9f\x90\x9d" },
		{ "\x1b]0;owned\a", "\\x1b]0;owned\\x07" },
		{ "\x7f", "\\x7f" },
		{ "\xc2\x9b" "31m", "\\xc2\\x9b31m" },		/* C1 CSI */
		{ "\xc2\xa0", "\xc2\xa0" },			/* NBSP */
		{ "\xff\xfe", "\\xff\\xfe" },
		{ "caf\xc3", "caf\\xc3" },			/* cut short */
		{ "\xc3(", "\\xc3(" },				/* bad continuation */
		{ "\xc0\xaf", "\\xc0\\xaf" },			/* overlong '/' */
		{ "\xe0\x80\xaf", "\\xe0\\x80\\xaf" },		/* overlong */
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },		/* surrogate */
		{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },	/* > U+10FFFF */
		{ "\xf0\x9f\x90", "\\xf0\\x9f\\x90" },		/* truncated */
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		CHECK_STR(esc(cases[i].in, strlen(cases[i].in)), cases[i].out);
		/* printf's shortcut for strings with nothing to escape */
		CHECK(str_is_plain(cases[i].in, strlen(cases[i].in)) ==
		      !strcmp(cases[i].in, cases[i].out));
	}
	/* the length bounds a sequence too: "é" cut after its first byte */
	CHECK_STR(esc("\xc3\xa9", 1), "\\xc3");
	CHECK_STR(esc("ab\0cd", 5), "ab");
	/* map keys and print() use the same escaper */
	CHECK_STR(value_text(type_str(ar, 16), "/tmp/a\ngt x"),
		  "/tmp/a\\ngt x");
	CHECK_STR(value_text(type_str(ar, 16), "caf\xc3\xa9"), "caf\xc3\xa9");
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

/* The same histogram as data: every bucket with its bounds, the
 * non-empty range and the largest count. */
static void test_hist_read(void)
{
	uint64_t b[QUANTIZE_BUCKETS] = { 0 };
	struct hist h;

	hist_read(&h, hist_type(TF_NONE), b);
	CHECK(h.max == 0 && h.first > h.last && !h.is_time);
	b[0] = 2;
	b[1] = 1;
	b[4] = 9;
	b[65] = 3;
	hist_read(&h, hist_type(TF_TIME), b);
	CHECK(h.is_time);
	CHECK(h.first == 0 && h.last == 65 && h.max == 9);
	CHECK(h.b[0].neg && h.b[0].count == 2);
	CHECK(!h.b[1].neg && h.b[1].lo == 0 && h.b[1].hi == 0);
	CHECK(h.b[2].lo == 1 && h.b[2].hi == 1);
	CHECK(h.b[4].lo == 4 && h.b[4].hi == 7 && h.b[4].count == 9);
	CHECK(h.b[5].count == 0);
	CHECK(h.b[65].lo == 1ULL << 63 && h.b[65].hi == UINT64_MAX);
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
static int fake_resolve(void *frames_ctx, int64_t id, uint64_t *ips,
			size_t max)
{
	const uint64_t *frames = frames_ctx;

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
	int64_t id = 1;

	CHECK_STR(value_text(t, &id), "stack#1");	/* no resolver */
	ctx.stack_resolve = fake_resolve;
	ctx.stack_ctx = frames;
	CHECK_STR(value_text(t, &id), "\n\tschedule+0x2a\n\tschedule");
	id = 2;
	CHECK_STR(value_text(t, &id), "stack#2");
	id = -EFAULT;
	CHECK_STR(value_text(t, &id), "<no stack: Bad address>");
	id = -EEXIST;
	CHECK_STR(value_text(t, &id),
		  "<no stack: another stack has the same hash>");
	ctx.stack_resolve = NULL;
	ctx.stack_ctx = NULL;
}

/* No context: nothing is looked up. A context owns the symbols it loaded
 * and frees them (the leak checker of the ASan build would say). */
static void test_ctx_free(void)
{
	struct type *t = type_with_fmt(ar, &type_u64, TF_SYM);
	struct type *st = type_with_fmt(ar, &type_s64, TF_STACK);
	struct fmt_ctx c;
	uint64_t v = sched_addr + 0x10;
	int64_t id = 1;
	char *s;

	s = value_str(NULL, t, &v);
	CHECK(s[0] == '0' && s[1] == 'x');
	free(s);
	s = value_str(NULL, st, &id);
	CHECK_STR(s, "stack#1");
	free(s);
	fmt_ctx__init(&c);
	CHECK(c.ksyms == NULL && !c.ksyms_tried);
	s = value_str(&c, t, &v);
	CHECK_STR(s, "schedule+0x10");
	free(s);
	CHECK(c.ksyms != NULL && c.ksyms_tried);
	fmt_ctx__free(&c);
	CHECK(c.ksyms == NULL);
}

/* A string stream gives back every byte written, NULs and all, past
 * stdio's buffer too, and an empty string (not NULL) when nothing was. */
static void test_strbuf(void)
{
	struct strbuf b;
	char *s, want[12];
	int i, ok = 1;

	strbuf_open(&b);
	s = strbuf_close(&b);
	CHECK(s && s[0] == 0 && b.len == 0);
	free(s);
	fwrite("a\0b", 1, 3, strbuf_open(&b));
	s = strbuf_close(&b);
	CHECK(b.len == 3 && !memcmp(s, "a\0b", 4));
	free(s);
	strbuf_open(&b);
	for (i = 0; i < 100000; i++)
		fprintf(b.f, "%05d", i);
	s = strbuf_close(&b);
	CHECK(b.len == 500000 && strlen(s) == 500000);
	for (i = 0; i < 100000 && ok; i += 997) {
		snprintf(want, sizeof(want), "%05d", i);
		ok = !memcmp(s + 5 * i, want, 5);
	}
	CHECK(ok);
	free(s);
}

int main(void)
{
	ar = arena__new();
	fmt_ctx__init(&ctx);
	test_time();
	test_walltime();
	test_value_print();
	test_escape();
	test_value_cmp();
	test_hist();
	test_hist_time();
	test_hist_read();
	test_sym();
	test_stack();
	test_ctx_free();
	test_strbuf();
	fmt_ctx__free(&ctx);
	arena__free(ar);
	return test_report("value");
}
