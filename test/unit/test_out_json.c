/* Unit tests of the JSON writer: events (printf with its text and typed
 * arguments, print), every map shape (plain, keyless, count, min, avg,
 * stats, quantize, lhist), every report kind, messages and exit, hostile
 * strings; and of the text writer's new aggregations. Each JSON line is
 * compared whole, and every line written is also parsed by python3's json
 * module (when there is a python3) to be sure it is valid RFC 8259. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "out.h"
#include "cap.h"
#include "test.h"

static struct arena *ar;
static FILE *parser;	/* python3 reading every line we wrote */

static void parse_check(const char *text)
{
	if (parser)
		fputs(text, parser);
}

static struct out *json_begin(struct cap *c)
{
	struct out *o = out__new(&out_json, cap_begin(c), stderr);

	CHECK(o != NULL);
	if (!o)
		abort();
	return o;
}

static const char *json_end(struct out *o, struct cap *c)
{
	const char *s;

	out_end(o);
	out__free(o);
	s = cap_end(c);
	parse_check(s);
	return s;
}

static const char *map_json(struct mapsym *m, void *keys, void *vals,
			    size_t n)
{
	struct cap c;
	struct out *o = json_begin(&c);

	out_map(o, m, keys, vals, n);
	return json_end(o, &c);
}

static const char *map_text(struct mapsym *m, void *keys, void *vals,
			    size_t n)
{
	struct cap c;
	struct out *o = out__new(NULL, cap_begin(&c), stderr);

	out_map(o, m, keys, vals, n);
	out__free(o);
	return cap_end(&c);
}

static struct type *str_key(size_t len)
{
	struct type *m[] = { type_str(ar, len) };

	return type_tuple(ar, "k", m, 1);
}

static struct type *stats_type(struct type *total)
{
	struct type *m[] = { &type_u64, total };

	return type_tuple(ar, "stats", m, 2);
}

/* ---- events ---- */

static void test_events(void)
{
	struct type *m[] = { &type_u64, &type_s32, type_str(ar, 16),
			     type_with_fmt(ar, &type_u64, TF_TIME) };
	struct evsite pf = { .id = 0, .kind = EV_PRINTF,
			     .fmt = "%d opened %s in %v\n" };
	struct evsite pr = { .id = 1, .kind = EV_PRINT };
	char rec[64] = { 0 };
	int32_t pid = -4;
	uint64_t ns = 1500;
	struct out *o;
	struct cap c;

	pf.rec = pr.rec = type_tuple(ar, "rec", m, ARRAY_SIZE(m));
	memcpy(rec + pf.rec->fields[1].offset, &pid, 4);
	/* a quote, a backslash, a newline, ESC, a byte that is not UTF-8 */
	memcpy(rec + pf.rec->fields[2].offset, "a\"\\\n\x1b\xff\xc3\xa9", 8);
	memcpy(rec + pf.rec->fields[3].offset, &ns, 8);
	o = json_begin(&c);
	out_event(o, &pf, rec, pf.rec->size);
	out_event(o, &pr, rec, pr.rec->size);
	out_exit(o, 3);
	CHECK_STR(json_end(o, &c),
		  "{\"type\":\"printf\",\"site\":0,\"text\":\"-4 opened "
		  "a\\\"\\\\\\\\\\\\n\\\\x1b\\\\xffé in 1.500us\\n\",\"args\":[-4,"
		  "\"a\\\"\\\\\\n\\u001b\\udcffé\",1500]}\n"
		  "{\"type\":\"print\",\"site\":1,\"args\":[-4,"
		  "\"a\\\"\\\\\\n\\u001b\\udcffé\",1500]}\n"
		  "{\"type\":\"exit\",\"code\":3}\n");

	out_json_event(cap_begin(&c), NULL, &pr, rec);
	CHECK_STR(cap_end(&c), "{\"type\":\"print\",\"site\":1,\"args\":[-4,"
		  "\"a\\\"\\\\\\n\\u001b\\udcffé\",1500]}\n");
}

/* ---- maps ---- */

static void test_maps_plain(void)
{
	struct mapsym m = { .name = "t", .ktype = str_key(8),
			    .vtype = &type_s64 };
	struct mapsym k = { .name = "@n\"ame", .is_agg = 1, .agg = AGG_COUNT,
			    .vtype = &type_u64 };
	char keys[2][8] = { "b\n", "a" };
	int64_t vals[2] = { -1, 5 };
	uint64_t v = 42;

	CHECK_STR(map_json(&m, keys, vals, 2),
		  "{\"type\":\"map\",\"name\":\"t\",\"kind\":\"map\",\"entries\":"
		  "[{\"key\":[\"a\"],\"value\":5},{\"key\":[\"b\\n\"],"
		  "\"value\":-1}]}\n");
	CHECK_STR(map_json(&m, keys, vals, 0),
		  "{\"type\":\"map\",\"name\":\"t\",\"kind\":\"map\",\"entries\":"
		  "[]}\n");
	CHECK_STR(map_json(&k, NULL, &v, 1),
		  "{\"type\":\"map\",\"name\":\"@n\\\"ame\",\"kind\":\"count\","
		  "\"value\":42}\n");
	CHECK_STR(map_json(&k, NULL, &v, 0),
		  "{\"type\":\"map\",\"name\":\"@n\\\"ame\",\"kind\":\"count\","
		  "\"value\":null}\n");
}

static void test_maps_minmax(void)
{
	struct mapsym m = { .name = "@lo", .is_agg = 1, .agg = AGG_MIN,
			    .ktype = str_key(8), .vtype = &type_s64 };
	char keys[3][8] = { "a", "b", "c" };
	int64_t vals[3] = { 7, -3, 0 };
	uint64_t raw[2], e;
	int64_t x;

	CHECK_STR(map_json(&m, keys, vals, 3),
		  "{\"type\":\"map\",\"name\":\"@lo\",\"kind\":\"min\",\"entries\":"
		  "[{\"key\":[\"b\"],\"value\":-3},{\"key\":[\"c\"],\"value\":0},"
		  "{\"key\":[\"a\"],\"value\":7}]}\n");
	CHECK_STR(map_text(&m, keys, vals, 3),
		  "@lo:\n{ b }: -3\n{ c }: 0\n{ a }: 7\n\n");

	/* combined per CPU: the smallest of the CPUs that ran, a CPU that
	 * never ran (0) is no value */
	raw[0] = agg_minmax_encode(AGG_MIN, 1, (uint64_t)-5);
	raw[1] = 0;
	agg_def(AGG_MIN)->combine(&m, (char *)raw, 8, 2, (char *)&x);
	CHECK(x == -5);
	raw[1] = agg_minmax_encode(AGG_MIN, 1, (uint64_t)INT64_MIN);
	agg_def(AGG_MIN)->combine(&m, (char *)raw, 8, 2, (char *)&x);
	CHECK(x == INT64_MIN);
	m.agg = AGG_MAX;
	raw[0] = agg_minmax_encode(AGG_MAX, 1, (uint64_t)-5);
	raw[1] = agg_minmax_encode(AGG_MAX, 1, (uint64_t)-9);
	agg_def(AGG_MAX)->combine(&m, (char *)raw, 8, 2, (char *)&x);
	CHECK(x == -5);
	/* a value set from C goes to one CPU, encoded */
	agg_def(AGG_MAX)->split(&m, (char *)&x, (char *)&e);
	CHECK(e == raw[0]);
}

static void test_maps_stats(void)
{
	struct type *tt = type_with_fmt(ar, &type_s64, TF_TIME);
	struct mapsym a = { .name = "@a", .is_agg = 1, .agg = AGG_AVG,
			    .vtype = stats_type(&type_s64) };
	struct mapsym s = { .name = "@s", .is_agg = 1, .agg = AGG_STATS,
			    .ktype = str_key(8), .vtype = stats_type(tt) };
	struct agg_stats v = { 4, -10 }, sv[2] = { { 2, 3000 }, { 1, 10 } };
	char keys[2][8] = { "x", "y" };

	CHECK_STR(map_json(&a, NULL, &v, 1),
		  "{\"type\":\"map\",\"name\":\"@a\",\"kind\":\"avg\","
		  "\"value\":-2}\n");
	CHECK_STR(map_text(&a, NULL, &v, 1), "@a: -2\n\n");
	/* sorted by average: y (10) before x (1500) */
	CHECK_STR(map_json(&s, keys, sv, 2),
		  "{\"type\":\"map\",\"name\":\"@s\",\"kind\":\"stats\","
		  "\"entries\":[{\"key\":[\"y\"],\"value\":{\"count\":1,"
		  "\"avg\":10,\"total\":10}},{\"key\":[\"x\"],\"value\":"
		  "{\"count\":2,\"avg\":1500,\"total\":3000}}]}\n");
	CHECK_STR(map_text(&s, keys, sv, 2),
		  "@s:\n{ y }: count 1, avg 10ns, total 10ns\n"
		  "{ x }: count 2, avg 1.500us, total 3.000us\n\n");
}

static void test_maps_hist(void)
{
	struct mapsym q = { .name = "@q", .is_agg = 1, .agg = AGG_QUANTIZE,
			    .vtype = type_array(ar, &type_u64,
						QUANTIZE_BUCKETS) };
	struct mapsym l = { .name = "@l", .is_agg = 1, .agg = AGG_LHIST,
			    .ktype = str_key(4), .lh_min = -10, .lh_max = 25,
			    .lh_step = 10 };
	uint64_t b[QUANTIZE_BUCKETS] = { 0 }, lb[6] = { 2, 0, 1, 0, 0, 7 };
	char key[4] = "k";
	const char *qwant = "{\"type\":\"map\",\"name\":\"@q\",\"kind\":\"quantize\","
		  "\"value\":{\"buckets\":[{\"lo\":null,\"hi\":0,\"count\":1},"
		  "{\"lo\":0,\"hi\":1,\"count\":2},{\"lo\":1,\"hi\":2,\"count\":0},"
		  "{\"lo\":2,\"hi\":4,\"count\":0},{\"lo\":4,\"hi\":8,\"count\":3}"
		  ",{\"lo\":8,\"hi\":16,\"count\":0}";

	CHECK(agg_lhist_nbuckets(-10, 25, 10) == 6);
	l.vtype = type_array(ar, &type_u64, 6);
	b[0] = 1;	/* < 0 */
	b[1] = 2;	/* 0 */
	b[4] = 3;	/* [4, 8) */
	b[QUANTIZE_BUCKETS - 2] = 5;	/* [2^62, 2^63): its end is past
					 * INT64_MAX (found by fuzzing) */
	b[QUANTIZE_BUCKETS - 1] = 4;	/* [2^63, 2^64) */
	CHECK(!strncmp(map_json(&q, NULL, b, 1), qwant, strlen(qwant)));
	CHECK(strstr(map_json(&q, NULL, b, 1), ",{\"lo\":4611686018427387904,"
		     "\"hi\":9223372036854775808,\"count\":5},"));
	CHECK(strstr(map_json(&q, NULL, b, 1), ",{\"lo\":9223372036854775808,"
		     "\"hi\":18446744073709551616,\"count\":4}]}}\n"));
	CHECK_STR(map_json(&l, key, lb, 1),
		  "{\"type\":\"map\",\"name\":\"@l\",\"kind\":\"lhist\","
		  "\"entries\":[{\"key\":[\"k\"],\"value\":{\"buckets\":["
		  "{\"lo\":null,\"hi\":-10,\"count\":2},"
		  "{\"lo\":-10,\"hi\":0,\"count\":0},"
		  "{\"lo\":0,\"hi\":10,\"count\":1},"
		  "{\"lo\":10,\"hi\":20,\"count\":0},"
		  "{\"lo\":20,\"hi\":25,\"count\":0},"
		  "{\"lo\":25,\"hi\":null,\"count\":7}]}}]}\n");
	CHECK_STR(map_text(&l, key, lb, 1),
		  "@l:\n{ k }:\n"
		  "\t     < -10         2 ┤█████████▏                      │\n"
		  "\t[-10,   0)         0 ┤                                │\n"
		  "\t[  0,  10)         1 ┤████▌                           │\n"
		  "\t[ 10,  20)         0 ┤                                │\n"
		  "\t[ 20,  25)         0 ┤                                │\n"
		  "\t     >= 25         7 ┤████████████████████████████████│\n"
		  "\n");
	memset(lb, 0, sizeof(lb));
	CHECK_STR(map_json(&l, key, lb, 1),
		  "{\"type\":\"map\",\"name\":\"@l\",\"kind\":\"lhist\","
		  "\"entries\":[{\"key\":[\"k\"],\"value\":{\"buckets\":[]}}]}\n");
}

/* ---- reports and messages ---- */

static void test_reports(void)
{
	static const struct src src = { "t\n.ply", "", 0 };
	struct mapsym m = { .name = "@big" };
	struct out_report r[] = {
		{ .kind = OUT_LOST, .count = 3 },
		{ .kind = OUT_STOP_LOST },
		{ .kind = OUT_MAP_FULL, .map = &m, .count = 7,
		  .max_entries = 16 },
		{ .kind = OUT_SCOPE_FULL, .count = 4, .max_entries = 2 },
		{ .kind = OUT_MISSED, .probe = "kprobe:f", .count = 2 },
		{ .kind = OUT_SKIPPED, .probe = "interval:1ns", .count = 99 },
		{ .kind = OUT_READ_FAILED, .fn = "str", .count = 1,
		  .loc = { &src, 3, 14 } },
		{ .kind = OUT_MALFORMED, .count = 5 },
		{ .kind = OUT_BAD_EVENT, .site = 9, .size = 12 },
		{ .kind = OUT_BAD_MAP, .site = 5, .map_index = 7 },
	};
	struct cap c;
	struct out *o = json_begin(&c);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(r); i++)
		out_report(o, &r[i]);
	out_msg(o, "map %s: failed to read: %s", "@\"x", "No such file");
	CHECK_STR(json_end(o, &c),
		  "{\"type\":\"lost\",\"count\":3}\n"
		  "{\"type\":\"stopping\",\"reason\":\"events lost\"}\n"
		  "{\"type\":\"map_full\",\"map\":\"@big\",\"dropped\":7,"
		  "\"max_entries\":16}\n"
		  "{\"type\":\"scope_full\",\"not_traced\":4,\"max_entries\":2}\n"
		  "{\"type\":\"missed\",\"probe\":\"kprobe:f\",\"count\":2}\n"
		  "{\"type\":\"skipped\",\"probe\":\"interval:1ns\",\"count\":99}\n"
		  "{\"type\":\"read_failed\",\"fn\":\"str\",\"file\":\"t\\n.ply\","
		  "\"line\":3,\"col\":14,\"count\":1}\n"
		  "{\"type\":\"malformed\",\"count\":5}\n"
		  "{\"type\":\"bad_event\",\"site\":9,\"size\":12,\"known\":false}\n"
		  "{\"type\":\"bad_map\",\"site\":5,\"map\":7}\n"
		  "{\"type\":\"message\",\"text\":\"map @\\\"x: failed to read: "
		  "No such file\"}\n");
}

int main(void)
{
	ar = arena__new();
	parser = popen("command -v python3 >/dev/null || exit 0; python3 -c '"
		       "import json, sys\n"
		       "n = 0\n"
		       "for l in sys.stdin:\n"
		       "    json.loads(l); n += 1\n"
		       "sys.exit(0 if n > 20 else 1)'", "w");
	test_events();
	test_maps_plain();
	test_maps_minmax();
	test_maps_stats();
	test_maps_hist();
	test_reports();
	CHECK(parser && pclose(parser) == 0);	/* every line parsed */
	arena__free(ar);
	return test_report("out_json");
}
