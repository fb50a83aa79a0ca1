/* test_api: libply through include/ply/ply.h alone, as a tool would use
 * it: options and their range checks, parameters, declared maps filled
 * from C, map lookup/update/delete/iterate, event sites described before
 * any event, exit() and print(@map) in the callback, stats as numbers,
 * the tool's name on the library's messages (prog_name),
 * ply__fd/ply__step in the caller's own poll loop, ply__stop from a
 * signal handler, and the -c command exec'd as itself. Real programs are
 * loaded (on tracepoints of getppid, which this process calls a known
 * number of times), so it needs root.
 *
 * The binary doubles as the traced command (--getppid N). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <sys/wait.h>

#include <ply/ply.h>

#include "test.h"

static char self[4096];

/* ---- helpers ---- */

struct cap {
	char *out, *err;
	size_t outn, errn;
	struct ply_opts opts;
};

static void cap_open(struct cap *c)
{
	memset(c, 0, sizeof(*c));
	c->opts.sz = sizeof(c->opts);
	c->opts.out = open_memstream(&c->out, &c->outn);
	c->opts.err = open_memstream(&c->err, &c->errn);
}

static void cap_close(struct cap *c)
{
	fclose(c->opts.out);
	fclose(c->opts.err);
}

static void cap_free(struct cap *c)
{
	free(c->out);
	free(c->err);
}

/* Compile text with c's options; the error output, for refusals. */
static int compile(struct ply **p, struct cap *c, const char *text)
{
	return ply__compile(p, text, &c->opts);
}

static void getppids(int n)
{
	while (n-- > 0)
		syscall(SYS_getppid);
}

/* Everything up to the loop; 0 if all of it worked. */
static int up(struct ply *p)
{
	return ply__load(p) || ply__attach(p) || ply__start(p);
}

struct events {
	int n, kinds[8], exit_code;
	char text[512];
	const char *map;
	struct ply_value first;
	char first_str[64];
};

static void on_event(struct ply *p, const struct ply_event *ev, void *ctx)
{
	struct events *e = ctx;
	FILE *f;

	if (e->n < 8)
		e->kinds[e->n] = ev->kind;
	e->n++;
	CHECK(ev->ply == p);
	if (ev->kind == PLY_EV_EXIT)
		e->exit_code = (int)ev->args[0].i;
	if (ev->kind == PLY_EV_PRINTMAP)
		e->map = ev->map;
	if (ev->nargs && e->n == 1) {
		e->first = ev->args[0];
		if (ev->args[0].kind == PLY_STR)
			snprintf(e->first_str, sizeof(e->first_str), "%.*s",
				 (int)ev->args[0].len, ev->args[0].s);
	}
	/* what ply would have printed */
	f = fmemopen(e->text + strlen(e->text),
		     sizeof(e->text) - strlen(e->text), "w");
	if (f) {
		ply_event__fprint(ev, f);
		fclose(f);
	}
}

/* ---- options ---- */

static void refused(struct ply_opts *o, const char *text, const char *want)
{
	struct cap c;
	struct ply *p = (struct ply *)1;
	size_t sz = o->sz;

	cap_open(&c);
	o->sz = sz ? sz : sizeof(*o);
	o->out = c.opts.out;
	o->err = c.opts.err;
	CHECK(ply__compile(&p, text, o) == -EINVAL);
	CHECK(p == NULL);
	cap_close(&c);
	if (!strstr(c.err, want)) {
		CHECK(!"message");
		fprintf(stderr, "  got:  %s  want: %s\n", c.err, want);
	}
	cap_free(&c);
}

static void test_options(void)
{
	struct ply_type u = { PLY_UINT, 0 }, bad = { PLY_HIST, 0 };
	struct ply_map_decl d = { "m", 1, &u, { PLY_INT, 0 }, 0 };
	const char *params[] = { "NOEQUALS", NULL };
	struct ply_opts o;
	const char *prog = "BEGIN { exit(0); }";

	memset(&o, 0, sizeof(o));
	o.strsize = PLY_STRSIZE_MAX + 1;
	refused(&o, prog, "option strsize: 257 is out of range (1 to 256");
	memset(&o, 0, sizeof(o));
	o.map_size = PLY_MAP_SIZE_MAX + 1;
	refused(&o, prog, "option map_size: 67108865 entries is out of range");
	memset(&o, 0, sizeof(o));
	o.command = " ";
	refused(&o, prog, "option command: the command is empty");
	memset(&o, 0, sizeof(o));
	o.params = params;
	refused(&o, prog, "option params: 'NOEQUALS' is not NAME=value");
	memset(&o, 0, sizeof(o));
	o.sz = 2;
	refused(&o, prog, "set sz to sizeof(struct ply_opts)");

	memset(&o, 0, sizeof(o));
	d.name = "@agg";
	o.maps = &d;
	o.nmaps = 1;
	refused(&o, prog, "declared map '@agg': the name of a plain map");
	d.name = "m";
	d.nkeys = 0;
	refused(&o, prog, "declared map m: 0 keys is out of range (1 to 8)");
	d.nkeys = 1;
	d.keys = &bad;
	refused(&o, prog, "declared map m: key 0: only PLY_INT, PLY_UINT and "
		"PLY_STR can be declared");
	d.keys = &u;
	d.value.kind = PLY_STR;
	d.value.size = 0;
	refused(&o, prog, "declared map m: value: a string of 0 bytes is out "
		"of range");
	d.value = (struct ply_type){ PLY_INT, 0 };
	d.max_entries = PLY_MAP_SIZE_MAX + 1;
	refused(&o, prog, "declared map m: max_entries 67108865 is out of range");
	/* the scope: one at a time, pids not with command, follow of
	 * something */
	memset(&o, 0, sizeof(o));
	{
		pid_t pids[] = { 1, 0 };
		const char *names[] = { "cron" };

		o.pids = pids;
		o.npids = 1;
		o.names = names;
		o.nnames = 1;
		refused(&o, prog, "options pids, names and cgroup: give one");
		o.nnames = 0;
		o.command = "true";
		refused(&o, prog, "options pids and command: give one");
		o.command = NULL;
		o.npids = 2;
		refused(&o, prog, "option pids: 0 is not a process id");
		o.npids = 0;
		o.follow = 1;
		refused(&o, prog, "option follow: follows the processes of "
			"pids, names or command, and none is given");
		o.cgroup = "/sys/fs/cgroup";
		refused(&o, prog, "option follow: a cgroup already holds");
	}
	memset(&o, 0, sizeof(o));
	o.maps = &d;
	o.nmaps = 1;
	/* the program's writes must agree with the declaration */
	d.max_entries = 0;
	refused(&o, "BEGIN { m[1] = \"str\"; }",
		"value of m is declared s64 by the program that runs ply");
}

/* ---- parameters, sites, exit and print(@map) in the callback ---- */

static void test_params_sites(void)
{
	const char *params[] = { "N=42", "S=hello", NULL };
	struct events e = { 0 };
	const struct ply_site *s;
	struct ply *p;
	struct cap c;
	size_t n;

	cap_open(&c);
	c.opts.params = params;
	c.opts.on_event = on_event;
	c.opts.ctx = &e;
	CHECK(compile(&p, &c, "BEGIN { printf(\"%-4d|%s\\n\", $N, $S); "
		      "@a[\"x\", 2] = count(); print(@a); exit(3); }") == 0);
	if (!p)
		return;
	/* described before anything runs */
	s = ply__sites(p, &n);
	CHECK(n == 3);
	if (n == 3) {
		CHECK(s[0].kind == PLY_EV_PRINTF && s[0].id == 0);
		CHECK_STR(s[0].fmt, "%-4d|%s\n");
		CHECK(s[0].nargs == 2);
		CHECK_STR(s[0].args[0].name, "$N");
		CHECK_STR(s[0].args[0].conv, "%-4d");
		CHECK(s[0].args[0].kind == PLY_INT && s[0].args[0].size == 8);
		CHECK_STR(s[0].args[1].name, "$S");
		CHECK_STR(s[0].args[1].conv, "%s");
		CHECK(s[0].args[1].kind == PLY_STR && s[0].args[1].size == 6);
		CHECK(s[0].args[1].offset == 16);
		CHECK(s[0].size == 24);
		CHECK(s[0].line == 1 && s[0].col == 9);
		CHECK(s[1].kind == PLY_EV_PRINTMAP);
		CHECK_STR(s[1].map, "@a");
		CHECK(s[2].kind == PLY_EV_EXIT && s[2].nargs == 1);
		CHECK_STR(s[2].args[0].name, "3");
	}
	CHECK(up(p) == 0);
	CHECK(ply__loop(p) == 0);
	CHECK(ply__finish(p) == 0);
	CHECK(ply__exit_status(p) == 3);
	CHECK(e.n == 3);
	CHECK(e.kinds[0] == PLY_EV_PRINTF && e.kinds[1] == PLY_EV_PRINTMAP &&
	      e.kinds[2] == PLY_EV_EXIT);
	CHECK(e.first.kind == PLY_INT && e.first.i == 42);
	CHECK(e.exit_code == 3);
	CHECK(e.map && !strcmp(e.map, "@a"));
	CHECK_STR(e.text, "42  |hello\n@a:\n{ x, 2 }: 1\n\n");
	ply__free(p);
	cap_close(&c);
	/* with a callback, nothing but the maps at the end is printed */
	CHECK_STR(c.out, "@a:\n{ x, 2 }: 1\n\n");
	CHECK_STR(c.err, "");
	cap_free(&c);
}

/* ---- a declared map filled from C, maps read and written ---- */

struct seen {
	int n;
	uint64_t sum;
};

static void on_entry(const struct ply_value *keys, size_t nkeys,
		     const struct ply_value *value, void *ctx)
{
	struct seen *s = ctx;

	s->n++;
	CHECK(nkeys == 1 && keys[0].kind == PLY_UINT);
	s->sum += value->u;
}

static void test_declared_map(void)
{
	struct ply_type pid_t_ = { PLY_UINT, 0 }, name = { PLY_STR, 16 };
	struct ply_map_decl decls[] = {
		{ "filter", 1, &pid_t_, { PLY_INT, 0 }, 0 },
		{ "names", 1, &name, { PLY_STR, 16 }, 8 },
	};
	const struct ply_map_info *mi;
	struct ply_value k, v;
	struct seen seen = { 0 };
	struct ply *p;
	struct cap c;
	char raw[16] = "raw", bytes[16] = "by bytes";
	int64_t one = 1;

	cap_open(&c);
	c.opts.maps = decls;
	c.opts.nmaps = 2;
	c.opts.no_maps = 1;
	CHECK(compile(&p, &c, "tracepoint:syscalls/sys_enter_getppid "
		      "/filter[pid] == 1/ { @n = count(); @by[pid] = count(); }")
	      == 0);
	if (!p)
		return;
	mi = ply__map_info(p, "filter");
	CHECK(mi && mi->nkeys == 1 && mi->keys[0].kind == PLY_UINT &&
	      mi->value.kind == PLY_INT && mi->key_size == 8 &&
	      mi->value_size == 8 && !mi->is_agg);
	mi = ply__map_info(p, "names");
	CHECK(mi && mi->max_entries == 8 && mi->keys[0].kind == PLY_STR &&
	      mi->key_size == 16);
	mi = ply__map_info(p, "@n");
	CHECK(mi && mi->is_agg && mi->nkeys == 0);
	CHECK(ply__map_info(p, "nope") == NULL);
	/* no map before load */
	k = ply_uint(getpid());
	v = ply_int(1);
	CHECK(ply__map_update(p, "filter", &k, 1, &v) == -EBADF);
	CHECK(ply__load(p) == 0);
	CHECK(ply__map_update(p, "filter", &k, 1, &v) == 0);
	/* wrong kinds, counts and names are refused */
	CHECK(ply__map_update(p, "filter", &k, 0, &v) == -EINVAL);
	v = ply_str("x");
	CHECK(ply__map_update(p, "filter", &k, 1, &v) == -EINVAL);
	CHECK(ply__map_update(p, "nope", &k, 1, &v) == -ENOENT);
	/* strings: shorter than their size */
	k = ply_str("0123456789abcdef");
	CHECK(ply__map_update(p, "names", &k, 1, &v) == -EINVAL);
	k = ply_str("key");
	v = ply_str("value");
	CHECK(ply__map_update(p, "names", &k, 1, &v) == 0);
	memset(&v, 0, sizeof(v));
	CHECK(ply__map_lookup(p, "names", &k, 1, &v) == 0);
	CHECK(v.kind == PLY_STR && v.len == 5 && !memcmp(v.s, "value", 5));
	CHECK(ply__map_update_raw(p, "names", raw, bytes) == 0);
	CHECK(ply__map_lookup_raw(p, "names", raw, raw) == 0);
	CHECK_STR(raw, "by bytes");
	CHECK(ply__map_delete(p, "names", &k, 1) == 0);
	CHECK(ply__map_lookup(p, "names", &k, 1, &v) == -ENOENT);
	CHECK(ply__map_delete(p, "names", &k, 1) == -ENOENT);

	CHECK(ply__attach(p) == 0 && ply__start(p) == 0);
	getppids(50);
	ply__stop(p);
	CHECK(ply__loop(p) == 0);
	CHECK(ply__finish(p) == 0);
	CHECK(ply__map_lookup(p, "@n", NULL, 0, &v) == 0);
	CHECK((v.kind == PLY_INT || v.kind == PLY_UINT) && v.i == 50);
	if (v.i != 50)
		fprintf(stderr, "  @n is %lld, want 50\n", (long long)v.i);
	/* an aggregation written from C: the value is on one CPU */
	v = ply_int(7);
	CHECK(ply__map_update(p, "@n", NULL, 0, &v) == 0);
	CHECK(ply__map_lookup(p, "@n", NULL, 0, &v) == 0 && v.i == 7);
	CHECK(ply__map_lookup_raw(p, "@n", NULL, &one) == 0 && one == 7);
	CHECK(ply__map_foreach(p, "@by", on_entry, &seen) == 0);
	CHECK(seen.n == 1 && seen.sum == 50);
	CHECK(ply__exit_status(p) == 0);
	ply__free(p);
	cap_close(&c);
	CHECK_STR(c.out, "");	/* no_maps */
	CHECK_STR(c.err, "");
	cap_free(&c);
}

/* ---- print(@m); clear(@m) with a callback: it reads the map whole ---- */

struct taken {
	int events, entries;
	uint64_t sum;
};

static void sum_entry(const struct ply_value *keys, size_t nkeys,
		      const struct ply_value *value, void *ctx)
{
	struct taken *t = ctx;

	(void)keys;
	(void)nkeys;
	t->entries++;
	t->sum += value->u;
}

static void on_take(struct ply *p, const struct ply_event *ev, void *ctx)
{
	struct taken *t = ctx;

	if (ev->kind != PLY_EV_PRINTMAP)
		return;
	t->events++;
	CHECK(ply__map_foreach(p, ev->map, sum_entry, t) == 0);
}

static void test_take_with_callback(void)
{
	char param[64];
	const char *params[] = { param, NULL };
	struct taken t = { 0 };
	struct ply_stats st;
	struct ply *p;
	struct cap c;
	size_t n;

	snprintf(param, sizeof(param), "ME=%d", (int)getpid());
	cap_open(&c);
	c.opts.params = params;
	c.opts.on_event = on_take;
	c.opts.ctx = &t;
	CHECK(compile(&p, &c, "tracepoint:syscalls/sys_enter_getppid "
		      "/pid == $ME/ { @[cpu] = count(); }\n"
		      "END { print(@); clear(@); printf(\"[%s]\\n\", "
		      "str(0)); }") == 0);
	if (!p)
		return;
	ply__sites(p, &n);
	CHECK(n == 3);
	CHECK(up(p) == 0);
	getppids(20);
	ply__stop(p);
	CHECK(ply__loop(p) == 0);
	CHECK(ply__finish(p) == 0);
	CHECK(t.events == 1 && t.entries >= 1 && t.sum == 20);
	CHECK(ply__map_foreach(p, "@", sum_entry, &t) == 0);
	CHECK(t.sum == 20);	/* cleared: nothing more */
	CHECK(ply__stats(p, &st) == 0);
	CHECK(st.nreads == 1);
	if (st.nreads == 1) {
		CHECK_STR(st.reads[0].fn, "str");
		CHECK(st.reads[0].line == 2 && st.reads[0].failed == 1);
	}
	ply__free(p);
	cap_close(&c);
	cap_free(&c);
}

/* ---- the ring buffer's size ---- */

/* 200 events of this process, nobody reading them until the end: as many
 * fit as the ring buffer has room for (each record with its 8-byte
 * header, 8-aligned), every other one is lost and counted. */
static void ringbuf_fill(size_t size, int calls)
{
	char param[64];
	const char *params[] = { param, NULL };
	const struct ply_site *sites;
	struct ply_stats st;
	struct events e;
	struct ply *p;
	struct cap c;
	size_t n, fit;

	memset(&e, 0, sizeof(e));
	snprintf(param, sizeof(param), "ME=%d", (int)getpid());
	cap_open(&c);
	c.opts.params = params;
	c.opts.ringbuf_size = size;
	c.opts.keep_going = 1;
	c.opts.on_event = on_event;
	c.opts.ctx = &e;
	CHECK(compile(&p, &c, "tracepoint:syscalls/sys_enter_getppid "
		      "/pid == $ME/ { print(pid, kpid, time); }") == 0);
	if (!p)
		return;
	sites = ply__sites(p, &n);
	CHECK(n == 1);
	fit = size ? size / (8 + (sites[0].size + 7) / 8 * 8) : (size_t)calls;
	CHECK(up(p) == 0);
	getppids(calls);
	ply__stop(p);
	CHECK(ply__loop(p) == 0);
	CHECK(ply__finish(p) == 0);
	CHECK(ply__stats(p, &st) == 0);
	CHECK(st.lost == calls - fit);
	CHECK(e.n == (int)fit);
	if (st.lost != calls - fit || e.n != (int)fit)
		fprintf(stderr, "  ringbuf %zu: %d events, %llu lost, "
			"want %zu and %zu\n", size, e.n, (unsigned long long)st.lost, fit,
			calls - fit);
	ply__free(p);
	cap_close(&c);
	cap_free(&c);
}

static void test_ringbuf_size(void)
{
	struct ply_opts o;
	const char *prog = "BEGIN { exit(0); }";

	memset(&o, 0, sizeof(o));
	o.ringbuf_size = 6000;
	refused(&o, prog, "option ringbuf_size: 6000 bytes is not a power of "
		"two from 4096 to 1073741824 (or 0 for 4 MiB)");
	memset(&o, 0, sizeof(o));
	o.ringbuf_size = 2048;
	refused(&o, prog, "option ringbuf_size: 2048 bytes");
	memset(&o, 0, sizeof(o));
	o.ringbuf_size = PLY_RINGBUF_SIZE_MAX * 2;
	refused(&o, prog, "option ringbuf_size: 2147483648 bytes");
	ringbuf_fill(4096, 200);	/* 102 of 40 bytes fit */
	ringbuf_fill(8192, 300);
	ringbuf_fill(0, 300);		/* 4 MiB: all of them */
}

/* ---- stats ---- */

static void test_stats(void)
{
	char param[64];
	const char *params[] = { param, NULL };
	struct ply_stats st;
	struct ply *p;
	struct cap c;
	size_t i;

	snprintf(param, sizeof(param), "ME=%d", (int)getpid());
	cap_open(&c);
	c.opts.params = params;
	c.opts.map_size = 4;
	CHECK(compile(&p, &c, "tracepoint:syscalls/sys_enter_getppid "
		      "/pid == $ME/ { @k[time] = count(); }") == 0);
	if (!p)
		return;
	CHECK(ply__stats(p, &st) == -EBADF);
	CHECK(up(p) == 0);
	getppids(10);
	ply__stop(p);
	CHECK(ply__loop(p) == 0);
	CHECK(ply__stats(p, &st) == 0);
	CHECK(st.lost == 0 && st.malformed == 0);
	CHECK(st.nmaps == 1 && !strcmp(st.maps[0].name, "@k"));
	CHECK(st.maps[0].dropped == 6);
	CHECK(st.nprobes == 1);
	for (i = 0; i < st.nprobes; i++) {
		CHECK_STR(st.probes[i].name,
			  "tracepoint:syscalls/sys_enter_getppid");
		CHECK(st.probes[i].skipped == 0);
	}
	CHECK(ply__finish(p) == 0);
	ply__free(p);
	cap_close(&c);
	CHECK(strstr(c.err, "ply: map @k is full: 6 updates dropped") != NULL);
	cap_free(&c);
}

/* ---- prog_name: the tool's name on the library's messages ---- */

static void test_prog_name_refused(void)
{
	char longname[PLY_PROG_NAME_MAX + 2];
	const char *prog = "BEGIN { exit(0); }";
	struct ply_opts o;
	struct ply *p;
	struct cap c;

	/* a bad name is no name: its refusal is said under ply's */
	memset(&o, 0, sizeof(o));
	o.prog_name = "file\nmon: forged";
	refused(&o, prog, "ply: error: option prog_name: it holds a newline");
	o.prog_name = "file\033[2Jmon";
	refused(&o, prog, "ply: error: option prog_name: it holds a control "
		"character");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	o.prog_name = longname;
	refused(&o, prog, "ply: error: option prog_name: it is longer than 64 "
		"bytes");
	/* another option's refusal, under a good name */
	memset(&o, 0, sizeof(o));
	o.prog_name = "sometool";
	o.strsize = PLY_STRSIZE_MAX + 1;
	refused(&o, prog, "sometool: error: option strsize: 257 is out of "
		"range");

	/* PLY_PROG_NAME_MAX bytes are a name */
	longname[PLY_PROG_NAME_MAX] = '\0';
	cap_open(&c);
	c.opts.prog_name = longname;
	CHECK(compile(&p, &c, prog) == 0);
	ply__free(p);
	cap_close(&c);
	CHECK_STR(c.err, "");
	cap_free(&c);

	/* the program's own errors keep file:line:col, opts.name's */
	cap_open(&c);
	c.opts.prog_name = "sometool";
	c.opts.name = "x.ply";
	CHECK(compile(&p, &c, "BEGIN { nosuch(); }") == -EINVAL);
	cap_close(&c);
	CHECK(!strncmp(c.err, "x.ply:1:9: error: ", 18));
	CHECK(!strstr(c.err, "sometool"));
	cap_free(&c);
}

/* What the runtime says while it runs: a -p of a process that is gone
 * (the runtime's own message) and a full map (a report of the output). */
static void test_prog_name(void)
{
	char name[32], want[128], param[64];
	const char *params[] = { param, NULL };
	pid_t dead;
	struct ply *p;
	struct cap c;

	snprintf(name, sizeof(name), "tool%d", (int)getpid());
	dead = fork();
	if (dead == 0)
		_exit(0);
	CHECK(dead > 0 && waitpid(dead, NULL, 0) == dead);
	cap_open(&c);
	c.opts.prog_name = name;
	c.opts.pids = &dead;
	c.opts.npids = 1;
	CHECK(compile(&p, &c, "tracepoint:syscalls/sys_enter_getppid "
		      "{ @n = count(); }") == 0);
	if (p) {
		CHECK(ply__load(p) == 0);
		CHECK(ply__attach(p) == -ESRCH);
		ply__free(p);
	}
	cap_close(&c);
	snprintf(want, sizeof(want), "%s: -p %d: no such process\n", name,
		 (int)dead);
	CHECK_STR(c.err, want);
	cap_free(&c);

	snprintf(param, sizeof(param), "ME=%d", (int)getpid());
	cap_open(&c);
	c.opts.prog_name = name;
	c.opts.params = params;
	c.opts.map_size = 4;
	CHECK(compile(&p, &c, "tracepoint:syscalls/sys_enter_getppid "
		      "/pid == $ME/ { @k[time] = count(); }") == 0);
	if (!p)
		return;
	CHECK(up(p) == 0);
	getppids(10);
	ply__stop(p);
	CHECK(ply__loop(p) == 0);
	CHECK(ply__finish(p) == 0);
	ply__free(p);
	cap_close(&c);
	snprintf(want, sizeof(want), "%s: map @k is full: 6 updates dropped",
		 name);
	CHECK(!strncmp(c.err, want, strlen(want)));
	CHECK(!strstr(c.err, "ply:"));
	cap_free(&c);
}

/* ---- metrics: ply__metrics_write, opts.metrics_file ---- */

static int file_has(const char *path, const char *want)
{
	char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, want) != NULL;
}

static void test_metrics(void)
{
	char param[64], path[] = "/tmp/ply-test-api-XXXXXX", file[64];
	const char *params[] = { param, NULL };
	struct ply_opts o = { .sz = sizeof(o), .metrics_interval = 86401 };
	char *text = NULL;
	size_t len = 0;
	struct ply *p;
	struct cap c;
	FILE *f;

	refused(&o, "BEGIN { exit(0); }", "option metrics_interval: 86401 "
		"seconds is out of range");
	CHECK(mkdtemp(path) != NULL);
	snprintf(file, sizeof(file), "%s/ply.prom", path);
	snprintf(param, sizeof(param), "ME=%d", (int)getpid());
	cap_open(&c);
	c.opts.params = params;
	c.opts.map_size = 4;
	c.opts.no_maps = 1;
	c.opts.metrics_file = file;
	CHECK(compile(&p, &c, "tracepoint:syscalls/sys_enter_getppid "
		      "/pid == $ME/ { @k[time] = count(); @n = count(); }") == 0);
	if (!p)
		return;
	CHECK(ply__metrics_write(p, stdout, 0) == -EBADF);
	CHECK(up(p) == 0);
	CHECK(file_has(file, "ply_build_info{version="));	/* at once */
	getppids(10);
	f = open_memstream(&text, &len);
	CHECK(ply__metrics_write(p, f, 1) == 0);
	fclose(f);
	CHECK(strstr(text, "\nply_n_total 10\n") != NULL);
	CHECK(strstr(text, "\nply_map_updates_dropped_total{map=\"@k\"} 6\n"));
	CHECK(strstr(text, "\nply_map_entries{map=\"@k\"} 4\n"));
	CHECK(strstr(text, "\nply_map_max_entries{map=\"@k\"} 4\n"));
	CHECK(len > 6 && !strcmp(text + len - 6, "# EOF\n"));
	free(text);
	ply__stop(p);
	CHECK(ply__loop(p) == 0);
	CHECK(ply__finish(p) == 0);
	/* written once more at the end */
	CHECK(file_has(file, "\nply_n_total 10\n"));
	ply__free(p);
	cap_close(&c);
	cap_free(&c);
	unlink(file);
	rmdir(path);

	/* nothing loads where the address is wrong */
	cap_open(&c);
	c.opts.metrics = "9470";
	CHECK(compile(&p, &c, "BEGIN { exit(0); }") == 0);
	if (p) {
		CHECK(ply__load(p) == -EINVAL);
		ply__free(p);
	}
	cap_close(&c);
	CHECK(strstr(c.err, "--metrics takes ADDR:PORT") != NULL);
	cap_free(&c);
}

/* ---- in the caller's loop: ply__fd, ply__step, ply__stop ---- */

static void test_own_loop(void)
{
	struct events e = { 0 };
	struct pollfd pfd;
	struct ply *p;
	struct cap c;
	int rounds = 0, r = 1;

	cap_open(&c);
	c.opts.on_event = on_event;
	c.opts.ctx = &e;
	CHECK(compile(&p, &c, "interval:20ms { printf(\"tick\\n\"); }") == 0);
	if (!p)
		return;
	CHECK(ply__fd(p) < 0);		/* not before load */
	CHECK(ply__step(p, 0) < 0);
	CHECK(up(p) == 0);
	pfd.fd = ply__fd(p);
	pfd.events = POLLIN;
	CHECK(pfd.fd >= 0);
	while (e.n < 3 && rounds++ < 500 && r > 0) {
		if (poll(&pfd, 1, 1000) < 0)
			break;
		r = ply__step(p, 0);
	}
	CHECK(r == 1);
	CHECK(e.n >= 3);
	ply__stop(p);
	CHECK(poll(&pfd, 1, 0) == 1);	/* the stop is seen on the fd */
	CHECK(ply__step(p, 0) == 0);
	CHECK(ply__step(p, 0) == 0);
	CHECK(ply__finish(p) == 0);
	CHECK(ply__exit_status(p) == 0);
	ply__free(p);
	cap_close(&c);
	CHECK_STR(c.err, "");
	cap_free(&c);
}

static struct ply *to_stop;

static void on_alarm(int sig)
{
	(void)sig;
	ply__stop(to_stop);
}

/* ply__loop ends on a stop from a signal handler; the library took no
 * signal of the process. */
static void test_stop_from_signal(void)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old, intr;
	struct itimerval it = { .it_value = { 0, 100000 } };
	sigset_t mask;
	struct ply *p;
	struct cap c;

	cap_open(&c);
	c.opts.no_maps = 1;
	CHECK(compile(&p, &c, "tracepoint:syscalls/sys_enter_getppid "
		      "{ @n = count(); }") == 0);
	if (!p)
		return;
	to_stop = p;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	CHECK(up(p) == 0);
	setitimer(ITIMER_REAL, &it, NULL);
	CHECK(ply__loop(p) == 0);
	CHECK(ply__finish(p) == 0);
	sigaction(SIGINT, NULL, &intr);
	CHECK(intr.sa_handler == SIG_DFL);
	sigprocmask(SIG_BLOCK, NULL, &mask);
	CHECK(!sigismember(&mask, SIGINT) && !sigismember(&mask, SIGTERM));
	sigaction(SIGALRM, &old, NULL);
	alarm(120);
	ply__free(p);
	cap_close(&c);
	CHECK_STR(c.out, "");
	cap_free(&c);
}

/* ---- the -c command: exec'd itself, so $target is its pid ---- */

static void test_command(void)
{
	char cmd[4200];
	struct ply_value v;
	struct ply *p;
	struct cap c;

	cap_open(&c);
	snprintf(cmd, sizeof(cmd), "%s --getppid 7", self);
	c.opts.command = cmd;
	c.opts.no_maps = 1;
	CHECK(compile(&p, &c, "tracepoint:syscalls/sys_enter_getppid "
		      "/pid == $target/ { @n = count(); }") == 0);
	if (!p)
		return;
	CHECK(ply__run(p) == 0);
	CHECK(ply__child(p) > 0);
	CHECK(ply__map_lookup(p, "@n", NULL, 0, &v) == 0 && v.i == 7);
	ply__free(p);
	cap_close(&c);
	CHECK_STR(c.err, "");
	cap_free(&c);

	/* one that cannot run: said, and a failure */
	cap_open(&c);
	c.opts.command = "/nonexistent/command";
	CHECK(compile(&p, &c, "BEGIN { }") == 0);
	if (!p)
		return;
	CHECK(ply__run(p) == 1);
	ply__free(p);
	cap_close(&c);
	CHECK(strstr(c.err, "ply: command '/nonexistent/command' could not "
		      "run: No such file or directory") != NULL);
	cap_free(&c);
}

/* ---- part 4: aggregations, JSON, -o, -l ---- */

static void test_aggs_json(void)
{
	char param[64], path[] = "/tmp/ply-test-api-XXXXXX", buf[4096] = "";
	const char *params[] = { param, NULL };
	const struct ply_map_info *mi;
	struct ply_value k, v;
	struct ply *p;
	struct cap c;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	snprintf(param, sizeof(param), "ME=%d", (int)getpid());
	cap_open(&c);
	c.opts.params = params;
	c.opts.format = PLY_OUTPUT_JSON;
	c.opts.output = path;
	CHECK(compile(&p, &c, "tracepoint:syscalls/sys_enter_getppid "
		      "/pid == $ME/ { @mn = min(-3); @mx = max(5); "
		      "@a = avg(4); @s[1] = stats(10); "
		      "@l = lhist(7, 0, 10, 5); }") == 0);
	if (!p)
		return;
	mi = ply__map_info(p, "@mn");
	CHECK(mi && mi->agg == PLY_AGG_MIN && mi->value.kind == PLY_INT);
	mi = ply__map_info(p, "@s");
	CHECK(mi && mi->agg == PLY_AGG_STATS && mi->value.kind == PLY_BYTES &&
	      mi->value_size == sizeof(struct ply_agg_stats));
	mi = ply__map_info(p, "@l");
	CHECK(mi && mi->agg == PLY_AGG_LHIST && mi->value.kind == PLY_HIST &&
	      mi->lhist.min == 0 && mi->lhist.max == 10 &&
	      mi->lhist.step == 5 && mi->lhist.nbuckets == 4);
	CHECK(up(p) == 0);
	getppids(3);
	ply__stop(p);
	CHECK(ply__loop(p) == 0);
	k = ply_int(0);
	CHECK(ply__map_lookup(p, "@mn", NULL, 0, &v) == 0 && v.i == -3);
	CHECK(ply__map_lookup(p, "@l", NULL, 0, &v) == 0 &&
	      ply_hist_count(&v, 2) == 3 && ply_hist_count(&v, 1) == 0);
	CHECK(ply__map_lookup(p, "@s", &k, 0, &v) == -EINVAL);
	k = ply_int(1);
	CHECK(ply__map_lookup(p, "@s", &k, 1, &v) == 0 && v.len == 16 &&
	      ((const struct ply_agg_stats *)v.s)->count == 3 &&
	      ((const struct ply_agg_stats *)v.s)->total == 30);
	/* a min set from C reads back as itself */
	v = ply_int(-100);
	CHECK(ply__map_update(p, "@mn", NULL, 0, &v) == 0);
	CHECK(ply__map_lookup(p, "@mn", NULL, 0, &v) == 0 && v.i == -100);
	CHECK(ply__finish(p) == 0);
	ply__free(p);
	cap_close(&c);
	CHECK_STR(c.out, "");	/* all went to the file */
	f = fopen(path, "r");
	if (f) {
		CHECK(fread(buf, 1, sizeof(buf) - 1, f) > 0);
		fclose(f);
	}
	unlink(path);
	CHECK(strstr(buf, "{\"type\":\"map\",\"name\":\"@mn\",\"kind\":"
		     "\"min\",\"value\":-100}\n") != NULL);
	CHECK(strstr(buf, "\"name\":\"@a\",\"kind\":\"avg\",\"value\":4}") != NULL);
	CHECK(strstr(buf, "{\"type\":\"map\",\"name\":\"@l\",\"kind\":"
		     "\"lhist\",\"value\":{\"buckets\":[{\"lo\":5,\"hi\":10,"
		     "\"count\":3}]}}\n") != NULL);
	CHECK(strstr(buf, "\"entries\":[{\"key\":[1],\"value\":{\"count\":3,"
		     "\"avg\":10,\"total\":30}}]") != NULL);
	cap_free(&c);

	cap_open(&c);
	c.opts.format = 7;
	CHECK(compile(&p, &c, "BEGIN { exit(0); }") == -EINVAL);
	cap_close(&c);
	CHECK(strstr(c.err, "option format: 7 is not a format") != NULL);
	cap_free(&c);
}

static void test_list(void)
{
	struct cap c;
	struct ply_list_opts lo = { .sz = sizeof(lo),
				    .glob = "syscalls:sys_enter_getpp*",
				    .verbose = 1 };

	cap_open(&c);
	lo.out = c.opts.out;
	CHECK(ply__list(&lo) == 1);
	lo.glob = "no_such_thing";
	CHECK(ply__list(&lo) == 0);
	lo.glob = "BEGIN";
	lo.verbose = 0;
	CHECK(ply__list(&lo) == 1);
	cap_close(&c);
	CHECK_STR(c.out, "tracepoint:syscalls/sys_enter_getppid\n"
		  "\tint __syscall_nr;\nBEGIN\n");
	cap_free(&c);
}

/* pids: this process only, counted in the kernel; with follow, what it
 * forks after the attach too. It is alive, so ply runs on. */
static void test_scope(void)
{
	pid_t me = getpid(), kid;
	struct ply_stats st;
	struct ply_value v;
	struct ply *p;
	struct cap c;
	int follow;

	for (follow = 0; follow <= 1; follow++) {
		cap_open(&c);
		c.opts.pids = &me;
		c.opts.npids = 1;
		c.opts.follow = follow;
		c.opts.no_maps = 1;
		CHECK(compile(&p, &c, "tracepoint:syscalls/sys_enter_getppid "
			      "{ @n = count(); }") == 0);
		if (!p)
			return;
		CHECK(up(p) == 0);
		getppids(5);
		kid = fork();
		if (kid == 0) {
			getppids(3);
			_exit(0);
		}
		waitpid(kid, NULL, 0);
		CHECK(ply__step(p, 50) == 1);
		CHECK(ply__map_lookup(p, "@n", NULL, 0, &v) == 0 &&
		      v.i == (follow ? 8 : 5));
		CHECK(ply__stats(p, &st) == 0 && st.scope_full == 0);
		CHECK(ply__finish(p) == 0);
		ply__free(p);
		cap_close(&c);
		CHECK_STR(c.err, "");
		cap_free(&c);
	}
}

int main(int argc, char **argv)
{
	ssize_t n;

	if (argc == 3 && !strcmp(argv[1], "--getppid")) {
		getppids(atoi(argv[2]));
		return 0;
	}
	alarm(120);	/* a hung loop fails the test */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	CHECK_STR(ply_version(), PLY_VERSION);

	test_options();
	test_params_sites();
	test_declared_map();
	test_take_with_callback();
	test_stats();
	test_prog_name_refused();
	test_prog_name();
	test_ringbuf_size();
	test_metrics();
	test_own_loop();
	test_stop_from_signal();
	test_command();
	test_aggs_json();
	test_list();
	test_scope();
	return test_report("api");
}
