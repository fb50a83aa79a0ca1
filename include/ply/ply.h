/* libply: compile a ply program to eBPF, load and attach it, run it and
 * read what it produced. This header is the whole public interface; the
 * ply command and every other front end use nothing else.
 *
 *	struct ply *p;
 *	int err = ply__compile(&p, "tracepoint:sched/sched_switch "
 *			       "{ @[comm] = count(); }", NULL);
 *	if (!err)
 *		err = ply__run(p);	// until ply__stop(); prints @ at the end
 *	ply__free(p);
 *
 * The library takes no signal: a front end that wants Ctrl-C to stop ply
 * installs its own handler and calls ply__stop() from it.
 *
 * Functions return 0 or a negative errno, and print what went wrong to
 * the opts' err stream, except where said otherwise. */
#ifndef PLY_PLY_H
#define PLY_PLY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ply;

/* ---- values ---- */

enum ply_value_kind {
	PLY_INT,	/* .i (and .u, the same bits) */
	PLY_UINT,	/* .u (and .i) */
	PLY_STR,	/* .s, .len (without the NUL) */
	PLY_BYTES,	/* .s, .len: an array or struct, raw */
	PLY_HIST,	/* .s, .len: a histogram's u64 counters, read
			 * with ply_hist_count(): quantize()'s
			 * PLY_HIST_BUCKETS, or lhist()'s (see
			 * ply_map_info.lhist) */
};

/* How ply prints a value by default (print(), maps, %v). */
enum ply_format {
	PLY_FMT_PLAIN,
	PLY_FMT_TIME,		/* nanoseconds, a duration: "1.5ms" */
	PLY_FMT_WALLTIME,	/* nanoseconds since boot (CLOCK_MONOTONIC),
				 * shown as the time of day */
	PLY_FMT_HEX,		/* an address: "0xffff..." */
	PLY_FMT_SYM,		/* a kernel address: "vfs_read+0x12" */
	PLY_FMT_STACK,		/* a stack id: the kernel stack's frames */
};

struct ply_value {
	enum ply_value_kind kind;
	enum ply_format format;
	int64_t i;
	uint64_t u;
	const char *s;
	size_t len;
};

/* quantize(): bucket 0 counts negative values, bucket 1 zero, bucket
 * k >= 2 the values in [2^(k-2), 2^(k-1)). */
#define PLY_HIST_BUCKETS 66

static inline uint64_t ply_hist_count(const struct ply_value *v, size_t k)
{
	uint64_t c = 0;

	if (v->kind == PLY_HIST && k < v->len / 8)
		memcpy(&c, v->s + 8 * k, sizeof(c));
	return c;
}

static inline struct ply_value ply_int(int64_t i)
{
	struct ply_value v = { PLY_INT, PLY_FMT_PLAIN, i, (uint64_t)i, NULL, 0 };
	return v;
}

static inline struct ply_value ply_uint(uint64_t u)
{
	struct ply_value v = { PLY_UINT, PLY_FMT_PLAIN, (int64_t)u, u, NULL, 0 };
	return v;
}

static inline struct ply_value ply_str(const char *s)
{
	struct ply_value v = { PLY_STR, PLY_FMT_PLAIN, 0, 0, s, strlen(s) };
	return v;
}

static inline struct ply_value ply_bytes(const void *p, size_t len)
{
	struct ply_value v = { PLY_BYTES, PLY_FMT_PLAIN, 0, 0,
			       (const char *)p, len };
	return v;
}

/* Where a value lies in raw bytes (an event record, a map key or value)
 * and how it prints. Integers are little-endian, of their size; strings
 * are NUL-padded to their size. */
struct ply_field {
	const char *name;	/* an event argument: its source text
				 * ("pid", "str(data->filename)"); a map
				 * key: "key0", "key1", ...; "value" */
	enum ply_value_kind kind;
	enum ply_format format;
	size_t offset, size;	/* bytes */
	const char *conv;	/* printf: this argument's conversion
				 * ("%-8d"); else NULL: format says */
};

/* ---- events ---- */

enum ply_event_kind {
	PLY_EV_PRINTF,		/* printf(fmt, args...) */
	PLY_EV_PRINT,		/* print(args...) */
	PLY_EV_EXIT,		/* exit(code): args[0] is the code; ply
				 * stops after it */
	PLY_EV_PRINTMAP,	/* print(@map): .map names it; read it with
				 * ply__map_foreach, or print it with
				 * ply_event__fprint */
	PLY_EV_CLEAR,		/* clear(@map): a site only, never an event
				 * (ply clears the map itself) */
};

/* Each printf(), print(), exit() and print(@map) of the program, known
 * from ply__compile on, before any event arrives. */
struct ply_site {
	int id;			/* the index in ply__sites() */
	enum ply_event_kind kind;
	const char *fmt;	/* PLY_EV_PRINTF: the format string */
	const char *map;	/* PLY_EV_PRINTMAP: the map's name */
	size_t nargs;
	const struct ply_field *args;	/* offsets into the raw record */
	size_t size;		/* of the raw record */
	int line, col;		/* where it is in the program */
};

/* One event, valid during the callback. */
struct ply_event {
	enum ply_event_kind kind;
	int site;		/* which site, from 0 */
	const char *fmt;	/* PLY_EV_PRINTF: the format string */
	size_t nargs;
	const struct ply_value *args;
	const void *raw;	/* the record as the kernel wrote it */
	size_t raw_size;
	const char *map;	/* PLY_EV_PRINTMAP: the map's name */
	struct ply *ply;
};

typedef void (*ply_event_fn)(struct ply *p, const struct ply_event *ev,
			     void *ctx);

/* ---- options ---- */

/* A map that the front end fills and the program reads (or both): its
 * types can't be learned from the program's writes. Plain maps only (no
 * '@'). Integers are 8 bytes wide in maps. */
struct ply_type {
	enum ply_value_kind kind;	/* PLY_INT, PLY_UINT or PLY_STR
					 * (size with the NUL); nothing
					 * else can be declared */
	size_t size;			/* PLY_STR: bytes, 1 to
					 * PLY_STRSIZE_MAX */
};

struct ply_map_decl {
	const char *name;		/* "filter": read as filter[k] */
	size_t nkeys;			/* 1 to 8 */
	const struct ply_type *keys;
	struct ply_type value;
	uint32_t max_entries;		/* 0: opts.map_size */
};

/* How ply writes events, maps and reports (ply_opts.format). */
enum ply_output_format {
	PLY_OUTPUT_TEXT,	/* lines for people; reports on err */
	PLY_OUTPUT_JSON,	/* one JSON object per line, reports and
				 * messages included, all on out: see
				 * ply(1), "JSON output" */
};

struct ply_opts {
	size_t sz;		/* sizeof(struct ply_opts) */
	const char *name;	/* program file name for diagnostics
				 * (file:line:col), or NULL: "<input>";
				 * not the front end's: see prog_name */
	FILE *out;		/* events and maps: stdout if NULL */
	FILE *err;		/* diagnostics: stderr if NULL */
	int debug;		/* -d: verifier logs, more detail */
	int keep_going;		/* -k */
	size_t strsize;		/* default size of str()/dyn(): 64 if 0;
				 * 1 to PLY_STRSIZE_MAX */
	ply_event_fn on_event;	/* NULL: print events to out */
	void *ctx;		/* passed to on_event */
	const char *command;	/* the -c command: ply__run starts it once
				 * every probe is attached; $target is its
				 * pid. Plain words are exec'd as they are;
				 * anything else runs with sh -c */
	uint32_t map_size;	/* entries per map: 0 means 4096; at most
				 * PLY_MAP_SIZE_MAX */

	int no_maps;		/* don't print the maps at the end */
	/* $NAME in the program: "NAME=value" strings, NULL-terminated, in
	 * the form of environ (the ply command passes its environment).
	 * A value that reads as an integer is one. NULL: none. */
	const char *const *params;
	const struct ply_map_decl *maps;	/* declared maps */
	size_t nmaps;

	/* Metrics for Prometheus while the program runs (ply__load on;
	 * served and written from ply__step, so only while the loop runs).
	 * Each exported map is a family ply_NAME, its keys labels named
	 * after the variable or field it is keyed by (comm; else key0,
	 * key1...); ply's own counters beside them. */
	const char *metrics;		/* "ADDR:PORT": serve /metrics there
					 * (port 0: any free one; the address
					 * is said on err). NULL: nothing
					 * listens */
	const char *metrics_file;	/* rewrite this file atomically every
					 * metrics_interval seconds and once
					 * more at ply__finish */
	unsigned metrics_interval;	/* seconds: 0 means 15 */

	enum ply_output_format format;	/* -f */
	/* -o: a file to write the output to instead of out, created (or
	 * truncated, mode 0644 before the umask) by ply__load and closed by
	 * ply__free. NULL: out. */
	const char *output;
	/* The scope: which processes the probes of tracepoints, raw
	 * tracepoints, kprobes, fentry and profile run for, decided in the kernel (BEGIN, END and interval
	 * always run). At most one of pids, names and cgroup; pids not with
	 * command. */
	const pid_t *pids;	/* these processes (a thread's id stands for
				 * its process); ply__loop stops when the
				 * last has exited */
	size_t npids;
	const char *const *names;	/* the processes whose comm is one of
					 * these (running, or when they
					 * exec); compared up to 15 bytes */
	size_t nnames;
	const char *cgroup;	/* a cgroup v2 directory: its tasks and
				 * those of the cgroups below it */
	int follow;		/* with pids, names or command: and every
				 * process they start, now and later, at any
				 * depth; with command, ply__loop stops when
				 * the whole tree has exited */
	/* The front end's name, which starts every message the library
	 * writes that is not a diagnostic of the program ("filemon: -p 12:
	 * no such process", where the ply command says "ply: ..."); those
	 * keep "file:line:col: error: ...". NULL or "": "ply". At most
	 * PLY_PROG_NAME_MAX bytes, no control characters. Out of memory and
	 * internal errors, which can happen anywhere, carry the name of the
	 * latest ply__compile. */
	const char *prog_name;
	/* Bytes of the ring buffer that carries events to ply (a program
	 * without printf, print or exit makes none): a power of two from
	 * PLY_RINGBUF_SIZE_MIN to PLY_RINGBUF_SIZE_MAX; 0 means 4 MiB.
	 * Events that find it full are lost and counted (ply_stats.lost).
	 * Programs wake ply when it is a quarter full; ply reads it every
	 * 10 ms anyway. */
	size_t ringbuf_size;
};

#define PLY_STRSIZE_MAX		256
#define PLY_PROG_NAME_MAX	64
#define PLY_MAP_SIZE_MAX	(1u << 26)
#define PLY_RINGBUF_SIZE_MIN	((size_t)4096)
#define PLY_RINGBUF_SIZE_MAX	((size_t)1 << 30)

/* ---- the pipeline ---- */

/* Parse and check a program. On a script error, every error found is
 * printed as "file:line:col: error: ..." with the source line and a caret,
 * and -EINVAL is returned with *out NULL; so it is for options out of
 * range, with a message. */
int ply__compile(struct ply **out, const char *text,
		 const struct ply_opts *opts);
void ply__free(struct ply *p);	/* detaches everything; kills the
				 * command and all it started */

/* Step by step (ply__run does all of them in order). */
pid_t ply__child(const struct ply *p);	/* the command's pid, from load */
int ply__generate(struct ply *p);	/* BPF code; implied by load/dump */
int ply__dump(struct ply *p, FILE *out);	/* AST, IR and BPF listing */
int ply__load(struct ply *p);		/* maps and programs; forks the
					 * command, held */
int ply__attach(struct ply *p);		/* probes, then BEGIN */
int ply__start(struct ply *p);		/* release the command */
int ply__loop(struct ply *p);		/* ply__step until stopped */
int ply__finish(struct ply *p);		/* END, drain, print maps */
int ply__exit_status(const struct ply *p);

/* Compile-to-exit in one call, as the ply command does. Returns the status
 * ply should exit with. */
int ply__run(struct ply *p);

/* ---- running inside another program's loop ---- */

/* One fd, from ply__load on, that is readable whenever ply__step has
 * work: the ring buffer (and a 10 ms timer that reads it), the command's
 * end, interval timers and ply__stop. Poll it for reading. */
int ply__fd(const struct ply *p);
/* Handle what is ready, waiting at most timeout_ms for it (0: don't wait,
 * -1: no limit). Returns 1 while running, 0 once stopped (by ply__stop,
 * exit() or the command's end: then call ply__finish), or a negative
 * errno. */
int ply__step(struct ply *p, int timeout_ms);
/* Ask ply to stop: the loop ends, the command (if it was never started)
 * never runs. Async-signal-safe: a signal handler may call it. From
 * ply__compile on. */
void ply__stop(struct ply *p);

/* ---- what the program is made of ---- */

const struct ply_site *ply__sites(const struct ply *p, size_t *n);

/* What an aggregation keeps, and how its value reads (combined over the
 * CPUs by ply):
 *   COUNT, SUM, MIN, MAX	an integer
 *   AVG, STATS		PLY_BYTES of struct ply_agg_stats; AVG prints as
 *			total / count
 *   QUANTIZE, LHIST	PLY_HIST: counters (lhist: see ply_map_info) */
enum ply_agg {
	PLY_AGG_NONE,		/* a plain map */
	PLY_AGG_COUNT,
	PLY_AGG_SUM,
	PLY_AGG_MIN,
	PLY_AGG_MAX,
	PLY_AGG_AVG,
	PLY_AGG_STATS,
	PLY_AGG_QUANTIZE,
	PLY_AGG_LHIST,
};

struct ply_agg_stats {
	uint64_t count;
	int64_t total;		/* of the values (unsigned ones too) */
};

struct ply_map_info {
	const char *name;
	int is_agg;		/* '@': per CPU, read combined */
	enum ply_agg agg;	/* what it aggregates with */
	/* PLY_AGG_LHIST: counter 0 counts values below min, counter i
	 * (1 to nbuckets - 2) those in [min + (i-1)*step, min + i*step),
	 * the last those at or above max */
	struct {
		int64_t min, max, step;
		size_t nbuckets;
	} lhist;
	int hidden;		/* "__": not printed at the end */
	size_t nkeys;		/* 0: a keyless aggregation */
	const struct ply_field *keys;	/* offsets into the key */
	size_t key_size;
	struct ply_field value;
	size_t value_size;
	uint32_t max_entries;
};

const struct ply_map_info *ply__maps(const struct ply *p, size_t *n);
const struct ply_map_info *ply__map_info(const struct ply *p,
					 const char *name);

/* ---- maps, from ply__load on (-EBADF before) ---- */

/* By typed keys (nkeys as the map has; an integer key takes PLY_INT or
 * PLY_UINT, a string key PLY_STR shorter than its size, others PLY_BYTES
 * of their size). A lookup's .s points into p, valid until the next map
 * call. An update of an aggregation sets its value on one CPU and zero on
 * the others. -ENOENT: no such map or key; -EINVAL: keys or value of the
 * wrong kind or size. */
int ply__map_lookup(struct ply *p, const char *name,
		    const struct ply_value *keys, size_t nkeys,
		    struct ply_value *value);
int ply__map_update(struct ply *p, const char *name,
		    const struct ply_value *keys, size_t nkeys,
		    const struct ply_value *value);
int ply__map_delete(struct ply *p, const char *name,
		    const struct ply_value *keys, size_t nkeys);

/* By raw bytes laid out as ply__map_info says (key NULL for a keyless
 * map). */
int ply__map_lookup_raw(struct ply *p, const char *name, const void *key,
			void *value);
int ply__map_update_raw(struct ply *p, const char *name, const void *key,
			const void *value);
int ply__map_delete_raw(struct ply *p, const char *name, const void *key);

/* Calls fn for each entry (keys NULL for a keyless aggregation). */
typedef void (*ply_map_fn)(const struct ply_value *keys, size_t nkeys,
			   const struct ply_value *value, void *ctx);
int ply__map_foreach(struct ply *p, const char *name, ply_map_fn fn,
		     void *ctx);
/* Print a map the way ply does at the end (as opts.format says). */
int ply__map_print(struct ply *p, const char *name, FILE *out);

/* ---- what went wrong, as numbers ---- */

struct ply_map_stats {
	const char *name;
	uint64_t dropped;	/* updates that failed: the map was full */
};

struct ply_probe_stats {
	const char *name;	/* the probe spec */
	uint64_t missed;	/* runs the kernel skipped (it fired while
				 * another BPF program ran on its CPU) */
	uint64_t skipped;	/* interval ticks not run (the period is
				 * shorter than a run) */
};

struct ply_read_stats {
	const char *fn;		/* "str", "mem" or "dyn" */
	int line, col;		/* the call, in the program */
	uint64_t failed;	/* reads of an address that could not be
				 * read (an empty string or zeros instead) */
};

struct ply_stats {
	uint64_t lost;		/* events that did not fit the ring buffer */
	uint64_t malformed;	/* events ignored */
	size_t nmaps;
	const struct ply_map_stats *maps;	/* as ply__maps */
	size_t nprobes;
	const struct ply_probe_stats *probes;	/* in program order */
	size_t nreads;
	const struct ply_read_stats *reads;	/* each str/mem/dyn call */
	uint64_t scope_full;	/* processes not traced: the scope map
				 * (map_size entries) had no room */
};

/* From ply__load on (-EBADF before); the arrays live in p until the next
 * call. */
int ply__stats(struct ply *p, struct ply_stats *st);

/* The exposition a scrape of /metrics gets, now (openmetrics: in
 * OpenMetrics 1.0, else the text format 0.0.4). From ply__load on. */
int ply__metrics_write(struct ply *p, FILE *out, int openmetrics);

/* Print one event the way ply would (print(@map): the map), as
 * opts.format says. */
void ply_event__fprint(const struct ply_event *ev, FILE *out);

/* ---- probes the running kernel offers (-l) ---- */

struct ply_list_opts {
	size_t sz;		/* sizeof(struct ply_list_opts) */
	const char *glob;	/* "syscalls:sys_enter_open*", matched
				 * against the probe as written (a ':' or a
				 * '/' after the provider matches either);
				 * a glob without a provider's name matches
				 * every provider's probes. NULL: all */
	int verbose;		/* each probe's arguments, with their types */
	FILE *out;		/* NULL: stdout */
	FILE *err;		/* NULL: stderr */
};

/* List every probe that matches, one per line as a program would write
 * it ("tracepoint:sched/sched_switch"), each provider in turn (the forms
 * of interval, profile, BEGIN and END too); with verbose, each one's
 * arguments under it, "\tTYPE NAME;" as in C. Returns how many probes
 * were listed (0: none matched), or a negative errno. */
int ply__list(const struct ply_list_opts *opts);

const char *ply_version(void);

/* ---- the library's escapers, for front ends that write their own ---- */

/* s[0..len) as a JSON string, quotes included, valid whatever the bytes:
 * valid UTF-8 as itself, '"', '\\' and control characters escaped, every
 * other byte as \udcXX (a lone low surrogate, as Python's
 * "surrogateescape"), so the exact bytes can be read back. */
void ply_json_str(FILE *f, const void *s, size_t len);
/* s[0..len), up to the first NUL, as ply's %s prints it: valid UTF-8 as
 * itself, '\\' doubled, \n \t \r, every other control character and
 * every byte not part of valid UTF-8 as \xNN; it can't forge a line or
 * drive a terminal. */
void ply_str_escape(FILE *f, const char *s, size_t len);

#ifdef __cplusplus
}
#endif

#endif
