/* out: everything a running program makes ply print goes through one
 * interface: its events (printf and print records, decoded against their
 * site's layout), whole maps, reports of what was lost or skipped,
 * messages, exit() and the end. A writer (struct out_ops) lays them out:
 * out_text.c as text; a JSON writer is one more file implementing the same
 * operations. Writers get typed data (the site's or map's types and the
 * raw bytes, read through value.h; histograms as buckets with bounds;
 * reports as numbers and names) and a format context, never the runtime. */
#ifndef PLY_OUT_H
#define PLY_OUT_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "prog.h"
#include "value.h"

enum out_report_kind {
	OUT_LOST,	/* count events lost since the last report: the ring
			 * buffer was full */
	OUT_STOP_LOST,	/* stopping, since events were lost (no -k) */
	OUT_MAP_FULL,	/* map: count updates dropped, max_entries */
	OUT_MISSED,	/* probe: count runs the kernel skipped because
			 * another BPF program ran on the same CPU */
	OUT_SKIPPED,	/* probe: count interval ticks skipped */
	OUT_READ_FAILED,	/* the fn() call at loc: count reads of an
				 * address that could not be read */
	OUT_SCOPE_FULL,	/* count processes the scope map (max_entries)
			 * had no room for: not traced */
	OUT_MALFORMED,	/* count malformed events ignored in all */
	OUT_BAD_EVENT,	/* the first malformed event: site (known: it
			 * exists, and the record is too short), size */
	OUT_BAD_MAP,	/* the event of site names map_index, which does
			 * not exist */
};

struct out_report {
	enum out_report_kind kind;
	uint64_t count;
	const char *probe;		/* OUT_MISSED, OUT_SKIPPED */
	const struct mapsym *map;	/* OUT_MAP_FULL */
	uint32_t max_entries;		/* OUT_MAP_FULL */
	uint64_t site;			/* OUT_BAD_EVENT, OUT_BAD_MAP */
	size_t size;			/* OUT_BAD_EVENT: bytes received */
	int known;			/* OUT_BAD_EVENT */
	int map_index;			/* OUT_BAD_MAP */
	const char *fn;			/* OUT_READ_FAILED: "str", "mem" */
	struct loc loc;			/* OUT_READ_FAILED */
};

struct out;

/* A writer. Every operation may be called at any time after out__new;
 * none is optional. */
struct out_ops {
	const char *name;		/* "text" */
	/* a printf or print record: rec holds site->rec (field 0 is the
	 * site id, the arguments follow); size is what arrived */
	void (*event)(struct out *o, const struct evsite *site,
		      const void *rec, size_t size);
	/* a whole map, sorted (out_map): n keys of m->ktype (u32 slots
	 * when keyless) and n values of m->vtype, per-CPU values summed;
	 * a quantize() value is read with hist_read */
	void (*map)(struct out *o, const struct mapsym *m, const void *keys,
		    const void *vals, size_t n);
	void (*report)(struct out *o, const struct out_report *r);
	/* an error or a warning in words, without "ply: " (o->prog) */
	void (*message)(struct out *o, const char *text);
	void (*exit)(struct out *o, int64_t code);	/* exit() ran */
	void (*end)(struct out *o);	/* nothing follows */
};

/* The format context and the two streams; the writer's state in priv. */
struct out {
	const struct out_ops *ops;
	FILE *f;		/* events and maps */
	FILE *err;		/* reports and messages */
	const char *prog;	/* what they start with (msg_print): NULL,
				 * "ply" */
	struct fmt_ctx fmt;
	int werr;		/* errno of the first failed write to f */
	void *priv;
};

extern const struct out_ops out_text;
extern const struct out_ops out_json;

/* ops NULL: text. NULL when out of memory. */
struct out *out__new(const struct out_ops *ops, FILE *f, FILE *err);
void out__free(struct out *o);	/* f and err stay open */

void out_event(struct out *o, const struct evsite *site, const void *rec,
	       size_t size);
/* Sorts keys and vals in place first: aggregations by value (the biggest
 * last, next to the prompt), then, and plain maps only, by key. */
void out_map(struct out *o, const struct mapsym *m, void *keys, void *vals,
	     size_t n);
void out_report(struct out *o, const struct out_report *r);
void out_msg(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Text on err: "NAME: " (o->prog, msg_print) and fmt, whatever the
 * writer: the text writer's reports and messages, write errors. */
#define out_err(o, ...)	msg_print((o)->err, (o)->prog, __VA_ARGS__)
void out_exit(struct out *o, int64_t code);
void out_end(struct out *o);

/* Push what is buffered to f. A write that failed is reported once on
 * err ("cannot write the output"), except EPIPE (whoever read it is gone,
 * which is no news to them) and EINTR (a signal handler interrupted a
 * blocked write: the ply command's stop). After a failed write nothing
 * more is written. Returns the failure as a -errno, or 0. */
int out_flush(struct out *o);
/* The first failed write's -errno (-EPIPE included), or 0. */
int out_failed(const struct out *o);

/* out_map's order, for those who print a map themselves. */
void out_map_sort(const struct mapsym *m, void *keys, void *vals, size_t n);

/* The text writer's layout of one event and of a whole (sorted) map, for
 * front ends that take the events themselves and print some. */
void out_text_event(FILE *f, struct fmt_ctx *c, const struct evsite *site,
		    const void *rec);
void out_text_map(FILE *f, struct fmt_ctx *c, const struct mapsym *m,
		  const void *keys, const void *vals, size_t n);
/* The JSON writer's line of one event and of a whole (sorted) map. */
void out_json_event(FILE *f, struct fmt_ctx *c, const struct evsite *site,
		    const void *rec);
void out_json_map(FILE *f, struct fmt_ctx *c, const struct mapsym *m,
		  const void *keys, const void *vals, size_t n);

#endif
