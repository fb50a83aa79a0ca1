/* Unit tests of out_prom: families by aggregation (counters, histograms,
 * gauges, summaries), both formats, label values made of any bytes, durations in
 * seconds, ply's own metrics and the names that would clash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "cap.h"
#include "out_prom.h"
#include "test.h"

static struct arena *ar;

static const char *label(const char *s, size_t len)
{
	struct cap c;

	prom_label_value(cap_begin(&c), s, len);
	return cap_end(&c);
}

static void test_labels(void)
{
	CHECK_STR(label("cat", 3), "cat");
	CHECK_STR(label("a\"b\\c\nd", 7), "a\\\"b\\\\c\\nd");
	/* a control character and bytes that are not UTF-8: the four
	 * characters \xNN, their backslash escaped */
	CHECK_STR(label("\x1b[2J\xff\xc3", 6), "\\\\x1b[2J\\\\xff\\\\xc3");
	CHECK_STR(label("h\xc3\xa9", 3), "h\xc3\xa9");
	CHECK_STR(label("a\0b", 3), "a\\\\x00b");
}

static const char *map_prom(const struct mapsym *m, const void *keys,
			    const void *vals, size_t n, enum prom_format fmt)
{
	struct cap c;

	prom_map(cap_begin(&c), NULL, fmt, m, keys, vals, n);
	return cap_end(&c);
}

static struct type *str_key(size_t len)
{
	struct type *km[] = { type_str(ar, len) };

	return type_tuple(ar, "k", km, 1);
}

static void test_counters(void)
{
	struct mapsym m = { .name = "@opens", .is_agg = 1, .agg = AGG_COUNT,
			    .ktype = str_key(8), .vtype = &type_u64 };
	struct mapsym s = { .name = "@", .is_agg = 1, .agg = AGG_SUM,
			    .vtype = type_with_fmt(ar, &type_s64, TF_TIME) };
	char keys[2][8] = { "cat", "d\"d" };
	uint64_t vals[2] = { 31, 7 };
	int64_t ns = 1500000001, neg = -2500000000;

	CHECK_STR(map_prom(&m, keys, vals, 2, PROM_TEXT),
		  "# HELP ply_opens_total ply map @opens: count()\n"
		  "# TYPE ply_opens_total counter\n"
		  "ply_opens_total{key0=\"cat\"} 31\n"
		  "ply_opens_total{key0=\"d\\\"d\"} 7\n");
	CHECK_STR(map_prom(&m, keys, vals, 1, PROM_OPENMETRICS),
		  "# HELP ply_opens ply map @opens: count()\n"
		  "# TYPE ply_opens counter\n"
		  "ply_opens_total{key0=\"cat\"} 31\n");
	/* "@" is ply_at, as its kernel map; durations in exact seconds */
	CHECK_STR(map_prom(&s, NULL, &ns, 1, PROM_TEXT),
		  "# HELP ply_at_total ply map @: sum()\n"
		  "# TYPE ply_at_total counter\n"
		  "ply_at_total 1.500000001\n");
	CHECK_STR(map_prom(&s, NULL, &neg, 1, PROM_TEXT) +
		  strlen("# HELP ply_at_total ply map @: sum()\n"
			 "# TYPE ply_at_total counter\n"),
		  "ply_at_total -2.5\n");
}

static void test_gauges(void)
{
	struct type *km[] = { &type_u32, type_str(ar, 4) };
	struct mapsym t = { .name = "t", .agg = AGG_NONE,
			    .ktype = type_tuple(ar, "k", km, 2),
			    .vtype = &type_s64 };
	struct mapsym hidden = t, str = t;
	char key[16] = { 0 };
	int64_t v = -3;
	uint32_t pid = 42;

	memcpy(key, &pid, 4);
	memcpy(key + 8, "ab", 2);
	CHECK_STR(map_prom(&t, key, &v, 1, PROM_TEXT),
		  "# HELP ply_t ply map t: a plain map\n"
		  "# TYPE ply_t gauge\n"
		  "ply_t{key0=\"42\",key1=\"ab\"} -3\n");
	/* labels named as the program keys the map, where they can be */
	{
		const char *names[] = { "pid", "le" };
		const char *dup[] = { "pid", "pid" };

		t.knames = names;
		CHECK_STR(map_prom(&t, key, &v, 1, PROM_TEXT),
			  "# HELP ply_t ply map t: a plain map\n"
			  "# TYPE ply_t gauge\n"
			  "ply_t{pid=\"42\",key1=\"ab\"} -3\n");
		t.knames = dup;
		CHECK(strstr(map_prom(&t, key, &v, 1, PROM_TEXT),
			     "ply_t{pid=\"42\",key1=\"ab\"} -3\n") != NULL);
		t.knames = NULL;
	}
	hidden.name = "__t";
	CHECK(!prom_exported(&hidden));
	str.vtype = type_str(ar, 8);
	CHECK(!prom_exported(&str));
	CHECK(prom_exported(&t));
}

static void test_histogram(void)
{
	struct type *ht = type_array(ar, &type_u64, QUANTIZE_BUCKETS);
	struct mapsym m = { .name = "@lat", .is_agg = 1, .agg = AGG_QUANTIZE,
			    .ktype = str_key(4), .vtype = ht };
	struct mapsym t = { .name = "@ns", .is_agg = 1, .agg = AGG_QUANTIZE,
			    .vtype = type_with_fmt(ar, ht, TF_TIME) };
	char keys[2][8] = { "a", "b" };	/* tuple fields: 8-aligned */
	uint64_t vals[2][QUANTIZE_BUCKETS] = { { 0 } };

	vals[0][3] = 2;		/* a: two values in [2, 4) */
	vals[1][5] = 1;		/* b: one in [8, 16) */
	vals[1][1] = 1;		/*    and a zero */
	/* every key the same buckets, from the lowest non-empty one of any
	 * to the highest; le inclusive (values are integers); no _sum, which
	 * could only be an estimate */
	CHECK_STR(map_prom(&m, keys, vals, 2, PROM_TEXT),
		  "# HELP ply_lat ply map @lat: quantize(), log2 buckets\n"
		  "# TYPE ply_lat histogram\n"
		  "ply_lat_bucket{key0=\"a\",le=\"0\"} 0\n"
		  "ply_lat_bucket{key0=\"a\",le=\"1\"} 0\n"
		  "ply_lat_bucket{key0=\"a\",le=\"3\"} 2\n"
		  "ply_lat_bucket{key0=\"a\",le=\"7\"} 2\n"
		  "ply_lat_bucket{key0=\"a\",le=\"15\"} 2\n"
		  "ply_lat_bucket{key0=\"a\",le=\"+Inf\"} 2\n"
		  "ply_lat_count{key0=\"a\"} 2\n"
		  "ply_lat_bucket{key0=\"b\",le=\"0\"} 1\n"
		  "ply_lat_bucket{key0=\"b\",le=\"1\"} 1\n"
		  "ply_lat_bucket{key0=\"b\",le=\"3\"} 1\n"
		  "ply_lat_bucket{key0=\"b\",le=\"7\"} 1\n"
		  "ply_lat_bucket{key0=\"b\",le=\"15\"} 2\n"
		  "ply_lat_bucket{key0=\"b\",le=\"+Inf\"} 2\n"
		  "ply_lat_count{key0=\"b\"} 2\n");
	/* nor in OpenMetrics, where a histogram's _sum is the real sum */
	CHECK_STR(map_prom(&t, NULL, vals[0], 1, PROM_OPENMETRICS),
		  "# HELP ply_ns ply map @ns: quantize(), log2 buckets\n"
		  "# TYPE ply_ns histogram\n"
		  "ply_ns_bucket{le=\"0.000000003\"} 2\n"
		  "ply_ns_bucket{le=\"+Inf\"} 2\n"
		  "ply_ns_count 2\n");
	/* durations: bounds in seconds; negative values below -1ns */
	vals[0][0] = 1;
	CHECK_STR(map_prom(&t, NULL, vals[0], 1, PROM_OPENMETRICS),
		  "# HELP ply_ns ply map @ns: quantize(), log2 buckets\n"
		  "# TYPE ply_ns histogram\n"
		  "ply_ns_bucket{le=\"-0.000000001\"} 1\n"
		  "ply_ns_bucket{le=\"0\"} 1\n"
		  "ply_ns_bucket{le=\"0.000000001\"} 1\n"
		  "ply_ns_bucket{le=\"0.000000003\"} 3\n"
		  "ply_ns_bucket{le=\"+Inf\"} 3\n"
		  "ply_ns_count 3\n");
	/* no key yet: the +Inf bucket alone */
	CHECK_STR(map_prom(&t, NULL, vals, 0, PROM_TEXT),
		  "# HELP ply_ns ply map @ns: quantize(), log2 buckets\n"
		  "# TYPE ply_ns histogram\n");
}

static struct type *stats_type(struct type *total)
{
	struct type *m[] = { &type_u64, total };

	return type_tuple(ar, "stats", m, 2);
}

/* stats(): a summary without quantiles, _sum the total (seconds for
 * durations), _count; no negative _sum in OpenMetrics, where it is a
 * counter. */
static void test_stats(void)
{
	struct type *tt = type_with_fmt(ar, &type_s64, TF_TIME);
	struct mapsym s = { .name = "@lat", .is_agg = 1, .agg = AGG_STATS,
			    .ktype = str_key(8), .vtype = stats_type(tt) };
	struct mapsym d = { .name = "@delta", .is_agg = 1, .agg = AGG_STATS,
			    .vtype = stats_type(&type_s64) };
	struct agg_stats sv[2] = { { 2, 3000 }, { 1, 10 } }, dv = { 4, -10 };
	char keys[2][8] = { "x", "y" };
	const char *head = "# HELP ply_delta ply map @delta: stats(), the "
		"count and sum of the values (average: sum / count)\n"
		"# TYPE ply_delta summary\n";

	CHECK(prom_exported(&s) && prom_exported(&d));
	CHECK_STR(map_prom(&s, keys, sv, 2, PROM_TEXT),
		  "# HELP ply_lat ply map @lat: stats(), the count and sum of "
		  "the values (average: sum / count)\n"
		  "# TYPE ply_lat summary\n"
		  "ply_lat_sum{key0=\"x\"} 0.000003\n"
		  "ply_lat_count{key0=\"x\"} 2\n"
		  "ply_lat_sum{key0=\"y\"} 0.00000001\n"
		  "ply_lat_count{key0=\"y\"} 1\n");
	CHECK_STR(map_prom(&d, NULL, &dv, 1, PROM_TEXT) + strlen(head),
		  "ply_delta_sum -10\nply_delta_count 4\n");
	CHECK_STR(map_prom(&d, NULL, &dv, 1, PROM_OPENMETRICS) + strlen(head),
		  "ply_delta_count 4\n");
	dv.total = 10;
	CHECK_STR(map_prom(&d, NULL, &dv, 1, PROM_OPENMETRICS) + strlen(head),
		  "ply_delta_sum 10\nply_delta_count 4\n");
}

/* lhist(): every declared bucket, le its largest integer (hi - 1), the
 * one below min first, the one at or above max as +Inf; cumulative;
 * _count, and no _sum (lhist keeps none). */
static void test_lhist(void)
{
	struct mapsym l = { .name = "@l", .is_agg = 1, .agg = AGG_LHIST,
			    .ktype = str_key(4), .lh_min = -10, .lh_max = 25,
			    .lh_step = 10 };
	struct mapsym t = { .name = "@lt", .is_agg = 1, .agg = AGG_LHIST,
			    .lh_min = 0, .lh_max = 2000000,
			    .lh_step = 1000000 };
	struct mapsym w = { .name = "@lw", .is_agg = 1, .agg = AGG_LHIST,
			    .lh_min = INT64_MIN, .lh_max = 0,
			    .lh_step = INT64_C(1) << 62 };
	uint64_t lb[6] = { 2, 0, 1, 0, 0, 7 }, tb[4] = { 0, 1, 2, 3 };
	uint64_t wb[4] = { 0, 5, 1, 2 };
	char key[8] = "k";
	const char *want =
		"# HELP ply_l ply map @l: lhist(), linear buckets\n"
		"# TYPE ply_l histogram\n"
		"ply_l_bucket{key0=\"k\",le=\"-11\"} 2\n"
		"ply_l_bucket{key0=\"k\",le=\"-1\"} 2\n"
		"ply_l_bucket{key0=\"k\",le=\"9\"} 3\n"
		"ply_l_bucket{key0=\"k\",le=\"19\"} 3\n"
		"ply_l_bucket{key0=\"k\",le=\"24\"} 3\n"
		"ply_l_bucket{key0=\"k\",le=\"+Inf\"} 10\n"
		"ply_l_count{key0=\"k\"} 10\n";

	l.vtype = type_array(ar, &type_u64, 6);
	t.vtype = type_with_fmt(ar, type_array(ar, &type_u64, 4), TF_TIME);
	w.vtype = type_array(ar, &type_u64, 4);
	CHECK(prom_exported(&l));
	CHECK_STR(map_prom(&l, key, lb, 1, PROM_TEXT), want);
	/* the same in OpenMetrics but for the family's name in HELP/TYPE */
	CHECK_STR(strstr(map_prom(&l, key, lb, 1, PROM_OPENMETRICS),
			 "ply_l_bucket"), strstr(want, "ply_l_bucket"));
	/* durations: bounds in seconds, the one below 0 at -1ns */
	CHECK_STR(map_prom(&t, NULL, tb, 1, PROM_TEXT),
		  "# HELP ply_lt ply map @lt: lhist(), linear buckets\n"
		  "# TYPE ply_lt histogram\n"
		  "ply_lt_bucket{le=\"-0.000000001\"} 0\n"
		  "ply_lt_bucket{le=\"0.000999999\"} 1\n"
		  "ply_lt_bucket{le=\"0.001999999\"} 3\n"
		  "ply_lt_bucket{le=\"+Inf\"} 6\n"
		  "ply_lt_count 6\n");
	/* from INT64_MIN: no bucket below it, nothing can be */
	CHECK_STR(map_prom(&w, NULL, wb, 1, PROM_TEXT) +
		  strlen("# HELP ply_lw ply map @lw: lhist(), linear buckets\n"
			 "# TYPE ply_lw histogram\n"),
		  "ply_lw_bucket{le=\"-4611686018427387905\"} 5\n"
		  "ply_lw_bucket{le=\"-1\"} 6\n"
		  "ply_lw_bucket{le=\"+Inf\"} 8\n"
		  "ply_lw_count 8\n");
}

static void test_self(void)
{
	struct mapsym m = { .name = "@x", .is_agg = 1, .agg = AGG_COUNT,
			    .vtype = &type_u64 };
	const struct mapsym *maps[] = { &m };
	uint64_t dropped = 3, entries = 4096;
	uint32_t max = 4096;
	const char *probes[] = { "tracepoint:a/b" };
	uint64_t missed = 1, skipped = 0;
	struct prom_self s = {
		.version = "1.2.3", .lost = 5, .nmaps = 1, .maps = maps,
		.dropped = &dropped, .entries = &entries,
		.max_entries = &max, .nprobes = 1, .probes = probes,
		.missed = &missed, .skipped = &skipped, .scope_full = 6,
	};
	struct cap c;
	const char *got;

	prom_self(cap_begin(&c), PROM_OPENMETRICS, &s);
	prom_end(c.f, PROM_OPENMETRICS);
	got = cap_end(&c);
	CHECK(strstr(got, "# TYPE ply_build info\n"
		     "ply_build_info{version=\"1.2.3\"} 1\n") != NULL);
	CHECK(strstr(got, "\nply_events_lost_total 5\n") != NULL);
	CHECK(strstr(got, "# TYPE ply_scope_full counter\n"
		     "ply_scope_full_total 6\n") != NULL);
	CHECK(strstr(got, "\nply_map_updates_dropped_total{map=\"@x\"} 3\n"));
	CHECK(strstr(got, "\nply_map_entries{map=\"@x\"} 4096\n"));
	CHECK(strstr(got, "\nply_map_max_entries{map=\"@x\"} 4096\n"));
	CHECK(strstr(got, "\nply_probe_runs_missed_total{probe=\"tracepoint:a/b\"} 1\n"));
	CHECK(strstr(got, "\n# EOF\n") && !strcmp(strstr(got, "# EOF\n"), "# EOF\n"));
	prom_self(cap_begin(&c), PROM_TEXT, &s);
	got = cap_end(&c);
	CHECK(strstr(got, "# TYPE ply_build_info gauge\n") != NULL);
	CHECK(strstr(got, "# TYPE ply_events_lost_total counter\n") != NULL);
}

/* The message about the first clash among a and b (b NULL: a alone), or
 * "" when there is none. */
static const char *clash(const struct mapsym *a, const struct mapsym *b)
{
	static char msg[256];
	const struct mapsym *maps[] = { a, b };

	if (!prom_clash(maps, b ? 2 : 1, msg, sizeof(msg)))
		msg[0] = '\0';
	return msg;
}

static void test_clash(void)
{
	struct type *ht = type_array(ar, &type_u64, QUANTIZE_BUCKETS);
	struct mapsym a = { .name = "@x", .is_agg = 1, .agg = AGG_COUNT,
			    .vtype = &type_u64 };
	struct mapsym b = { .name = "@x_total", .is_agg = 1, .agg = AGG_QUANTIZE,
			    .vtype = ht };
	struct mapsym own = { .name = "@events_lost", .is_agg = 1,
			      .agg = AGG_SUM, .vtype = &type_u64 };
	struct mapsym ok = { .name = "@y", .agg = AGG_NONE,
			     .vtype = &type_u64 };
	struct mapsym scope = { .name = "@scope_full", .is_agg = 1,
				.agg = AGG_COUNT, .vtype = &type_u64 };
	struct mapsym st = { .name = "@z", .is_agg = 1, .agg = AGG_STATS,
			     .vtype = stats_type(&type_s64) };
	struct mapsym zc = { .name = "@z_count", .is_agg = 1, .agg = AGG_MAX,
			     .vtype = &type_u64 };

	CHECK_STR(clash(&a, &ok), "");
	CHECK_STR(clash(&a, &b), "maps @x and @x_total would both give the "
		  "metric ply_x_total");
	CHECK_STR(clash(&ok, &own), "map @events_lost would give the metric "
		  "ply_events_lost_total, which is ply's own");
	CHECK_STR(clash(&scope, NULL), "map @scope_full would give the metric "
		  "ply_scope_full_total, which is ply's own");
	/* a summary's samples too */
	CHECK_STR(clash(&st, &zc), "maps @z and @z_count would both give the "
		  "metric ply_z_count");
}

int main(void)
{
	ar = arena__new();
	test_labels();
	test_counters();
	test_gauges();
	test_histogram();
	test_stats();
	test_lhist();
	test_self();
	test_clash();
	arena__free(ar);
	return test_report("prom");
}
