/* Unit tests of the output layer and its text writer: whole maps (sorted,
 * aligned, histograms under their keys), events, reports, messages after
 * the output is flushed, and write errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ksym.h"
#include "out.h"
#include "cap.h"
#include "test.h"

static struct arena *ar;
static uint64_t sched_addr;

/* A text output writing to a capture; err goes to stderr. */
static struct out *out_begin(struct cap *c)
{
	struct out *o = out__new(NULL, cap_begin(c), stderr);

	CHECK(o != NULL);
	if (!o)
		abort();
	return o;
}

static const char *out_text_end(struct out *o, struct cap *c)
{
	out__free(o);
	return cap_end(c);
}

static struct type *hist_type(enum type_fmt f)
{
	return type_with_fmt(ar, type_array(ar, &type_u64, QUANTIZE_BUCKETS), f);
}

/* ---- maps ---- */

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
	struct out *o = out_begin(&c);

	out_map(o, m, keys, vals, n);
	return out_text_end(o, &c);
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

/* A stack id in a key prints its frames through the context's resolver. */
static int fake_resolve(void *frames_ctx, int64_t id, uint64_t *ips,
			size_t max)
{
	const uint64_t *frames = frames_ctx;

	if (id != 1)
		return -ENOENT;
	ips[0] = frames[0];
	ips[1] = frames[1];
	return 2;
}

static void test_map_stack(void)
{
	struct ksyms *k = ksyms__load();
	uint64_t frames[2];
	struct type *t = type_with_fmt(ar, &type_s64, TF_STACK);
	struct type *km[] = { t };
	struct mapsym m = { .name = "@", .is_agg = 1, .agg = AGG_COUNT,
			    .ktype = type_tuple(ar, "k", km, 1),
			    .vtype = &type_u64 };
	int64_t keys[2] = { 2, 1 };
	uint64_t vals[2] = { 7, 3 };
	struct out *o;
	struct cap c;

	CHECK(k != NULL);
	if (!k)
		return;
	sched_addr = ksyms__addr(k, "schedule");
	ksyms__free(k);
	frames[0] = sched_addr + 0x2a;
	frames[1] = sched_addr;
	o = out_begin(&c);
	o->fmt.stack_resolve = fake_resolve;
	o->fmt.stack_ctx = frames;
	out_map(o, &m, keys, vals, 2);
	/* not padded to the width of a one-line key */
	CHECK_STR(out_text_end(o, &c),
		  "@:\n"
		  "{ \n\tschedule+0x2a\n\tschedule }: 3\n"
		  "{ stack#2 }: 7\n"
		  "\n");
}

/* ---- events ---- */

static struct evsite *site_new(enum ev_kind kind, const char *fmt)
{
	struct type *m[] = { &type_u64, &type_s32, type_str(ar, 16) };
	struct evsite *site = arena_alloc(ar, sizeof(*site));

	site->kind = kind;
	site->fmt = fmt;
	site->rec = type_tuple(ar, "rec", m, ARRAY_SIZE(m));
	return site;
}

static void test_events(void)
{
	struct evsite *pf = site_new(EV_PRINTF, "pid %d opened %s\n");
	struct evsite *pr = site_new(EV_PRINT, NULL);
	char rec[64] = { 0 };
	int32_t pid = -4;
	struct out *o;
	struct cap c;

	memcpy(rec + pf->rec->fields[1].offset, &pid, 4);
	strcpy(rec + pf->rec->fields[2].offset, "a\nb");
	o = out_begin(&c);
	out_event(o, pf, rec, pf->rec->size);
	out_event(o, pr, rec, pr->rec->size);
	out_exit(o, 3);		/* not printed: it is the exit status */
	out_end(o);
	CHECK_STR(out_text_end(o, &c), "pid -4 opened a\\nb\n-4, a\\nb\n");

	/* what front ends call for an event they took themselves */
	out_text_event(cap_begin(&c), NULL, pr, rec);
	CHECK_STR(cap_end(&c), "-4, a\\nb\n");
}

/* ---- reports and messages ---- */

static const char *report_text(const struct out_report *r)
{
	struct cap c, e;
	struct out *o = out__new(NULL, cap_begin(&c), cap_begin(&e));

	out_report(o, r);
	out__free(o);
	CHECK_STR(cap_end(&c), "");
	return cap_end(&e);
}

static void test_reports(void)
{
	static const struct src src = { "t.ply", "", 0 };
	struct mapsym m = { .name = "@big" };
	struct out_report r[] = {
		{ .kind = OUT_LOST, .count = 3 },
		{ .kind = OUT_STOP_LOST },
		{ .kind = OUT_MAP_FULL, .map = &m, .count = 7,
		  .max_entries = 16 },
		{ .kind = OUT_MISSED, .probe = "kprobe:f", .count = 2 },
		{ .kind = OUT_SKIPPED, .probe = "interval:1ns", .count = 99 },
		{ .kind = OUT_READ_FAILED, .fn = "str", .count = 1,
		  .loc = { &src, 3, 14 } },
		{ .kind = OUT_READ_FAILED, .fn = "mem", .count = 4,
		  .loc = { NULL, 1, 2 } },
		{ .kind = OUT_MALFORMED, .count = 5 },
		{ .kind = OUT_BAD_EVENT, .site = 9, .size = 12 },
		{ .kind = OUT_BAD_EVENT, .site = 1, .size = 8, .known = 1 },
		{ .kind = OUT_BAD_MAP, .site = 5, .map_index = 7 },
	};
	static const char *const want[] = {
		"ply: 3 events lost (ring buffer full)\n",
		"ply: stopping, since events were lost (-k keeps going)\n",
		"ply: map @big is full: 7 updates dropped (max_entries 16)\n",
		"ply: probe 'kprobe:f': 2 runs missed (the kernel skips a "
		"probe that fires while another BPF program runs on the same "
		"CPU)\n",
		"ply: probe 'interval:1ns': 99 ticks skipped (its period is "
		"shorter than a run)\n",
		"ply: t.ply:3:14: str(): 1 read failed (the address could not "
		"be read; printed as an empty string)\n",
		"ply: <input>:1:2: mem(): 4 reads failed (the address could "
		"not be read; printed as zeros)\n",
		"ply: 5 malformed events ignored\n",
		"ply: warning: event with unknown site id 9 (12 bytes) "
		"ignored\n",
		"ply: warning: event of site 1 is too short (8 bytes), "
		"ignored\n",
		"ply: warning: event of site 5 names map 7, which does not "
		"exist\n",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(r); i++)
		CHECK_STR(report_text(&r[i]), want[i]);
}

/* stdout and stderr on one file, the first buffered as stdout is when it
 * is not a terminal: whatever was printed comes before the report, never
 * around it. */
static void test_shared_file(void)
{
	char path[] = "/tmp/ply-test-out-XXXXXX", buf[256] = "";
	struct mapsym m = { .name = "@", .is_agg = 1, .agg = AGG_COUNT,
			    .vtype = &type_u64 };
	struct out_report r = { .kind = OUT_LOST, .count = 1 };
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "a"), *err = fopen(path, "a");
	uint64_t v = 5;
	struct out *o;
	ssize_t n;

	CHECK(fd >= 0 && f && err);
	if (fd < 0 || !f || !err)
		return;
	setvbuf(f, NULL, _IOFBF, 4096);
	setvbuf(err, NULL, _IONBF, 0);
	o = out__new(NULL, f, err);
	out_map(o, &m, NULL, &v, 1);
	out_report(o, &r);
	out_msg(o, "map %s: failed to read: %s", "@x", "Bad address");
	fputs("tail\n", f);
	out_end(o);
	out__free(o);
	fclose(f);
	fclose(err);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(path);
	CHECK(n > 0);
	CHECK_STR(buf, "@: 5\n\nply: 1 events lost (ring buffer full)\n"
		  "ply: map @x: failed to read: Bad address\ntail\n");
}

/* A write that fails is an error, reported once on err; a closed pipe is
 * not worth a word. */
static void test_write_errors(void)
{
	struct evsite *pr = site_new(EV_PRINT, NULL);
	char rec[64] = { 0 };
	int fds[2];
	struct out *o;
	struct cap e;
	FILE *f = fopen("/dev/full", "w");

	CHECK(f != NULL);
	if (!f)
		return;
	o = out__new(NULL, f, cap_begin(&e));
	out_event(o, pr, rec, sizeof(rec));
	CHECK(out_failed(o) == 0);	/* still buffered */
	CHECK(out_flush(o) == -ENOSPC);
	CHECK(out_failed(o) == -ENOSPC);
	out_event(o, pr, rec, sizeof(rec));
	out_end(o);
	CHECK(out_failed(o) == -ENOSPC);
	out__free(o);
	fclose(f);
	CHECK_STR(cap_end(&e), "ply: error: cannot write the output: No "
		  "space left on device\n");

	signal(SIGPIPE, SIG_IGN);
	CHECK(pipe(fds) == 0);
	close(fds[0]);
	f = fdopen(fds[1], "w");
	o = out__new(NULL, f, cap_begin(&e));
	out_event(o, pr, rec, sizeof(rec));
	CHECK(out_flush(o) == -EPIPE);
	out_end(o);
	out__free(o);
	fclose(f);
	CHECK_STR(cap_end(&e), "");
	signal(SIGPIPE, SIG_DFL);
}

/* A stream whose writes block until a signal: each fails with EINTR. */
static int eintr_writes;

static ssize_t eintr_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	(void)buf;
	(void)size;
	eintr_writes++;
	errno = EINTR;
	return -1;
}

/* A write interrupted by a signal (the ply command's stop, on a pipe that
 * nobody reads) ends the output quietly: the failure is seen at once,
 * nothing more is written or flushed (it would block again), and what was
 * buffered is dropped at the end. */
static void test_write_interrupted(void)
{
	cookie_io_functions_t io = { .write = eintr_write };
	static char buf[64];
	struct evsite *pr = site_new(EV_PRINT, NULL);
	char rec[64] = { 0 };
	struct out *o;
	struct cap e;
	FILE *f = fopencookie(NULL, "w", io);
	int i;

	CHECK(f != NULL);
	if (!f)
		return;
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	o = out__new(NULL, f, cap_begin(&e));
	for (i = 0; i < 100 && !out_failed(o); i++)
		out_event(o, pr, rec, sizeof(rec));
	CHECK(out_failed(o) == -EINTR);	/* seen without a flush */
	CHECK(eintr_writes == 1);
	out_event(o, pr, rec, sizeof(rec));
	CHECK(out_flush(o) == -EINTR);
	out_end(o);
	CHECK(eintr_writes == 1);	/* no write tried after the first */
	out__free(o);
	fclose(f);
	CHECK_STR(cap_end(&e), "");
}

int main(void)
{
	ar = arena__new();
	test_map_print();
	test_map_agg_negative();
	test_map_keyless();
	test_map_quantize();
	test_map_stack();
	test_events();
	test_reports();
	test_shared_file();
	test_write_errors();
	test_write_interrupted();
	arena__free(ar);
	return test_report("out");
}
