/* out_prom: a running program's maps and ply's own counters as metrics in
 * the Prometheus text exposition format (0.0.4) or in OpenMetrics 1.0,
 * for the /metrics endpoint and the textfile of metrics.c. */
#ifndef PLY_OUT_PROM_H
#define PLY_OUT_PROM_H

#include <stdint.h>
#include <stdio.h>

#include "prog.h"
#include "value.h"

enum prom_format {
	PROM_TEXT,		/* text/plain; version=0.0.4 */
	PROM_OPENMETRICS,	/* application/openmetrics-text; 1.0.0 */
};

#define PROM_CTYPE_TEXT	"text/plain; version=0.0.4; charset=utf-8"
#define PROM_CTYPE_OM	"application/openmetrics-text; version=1.0.0; " \
			"charset=utf-8"

/* Whether map m becomes a metric family: not hidden ("__"), and with a
 * value that is a number, stats() or a histogram (quantize(), lhist()). */
int prom_exported(const struct mapsym *m);

/* The family's name: "ply_" and the map's name without '@' ("ply_at" for
 * "@", as the kernel map is named). Returns the length; buf gets at most
 * size - 1 characters. */
size_t prom_name(char *buf, size_t size, const struct mapsym *m);

/* The first name clash between the samples of maps[0..n) and ply's own
 * metrics or each other (@x's ply_x_total and @x_total's ply_x_total, say)
 * as a message in buf, or 0 if there is none. */
int prom_clash(const struct mapsym *const *maps, size_t n, char *buf,
	       size_t size);

/* One map as one family: n keys and values as out_map gets them (values
 * summed across CPUs). */
void prom_map(FILE *f, struct fmt_ctx *c, enum prom_format fmt,
	      const struct mapsym *m, const void *keys, const void *vals,
	      size_t n);

/* ply's own metrics, each family with all of its samples. */
struct prom_self {
	const char *version;
	uint64_t lost, malformed;
	uint64_t scope_full;		/* processes the scope had no room for */
	size_t nmaps;			/* exported maps only */
	const struct mapsym *const *maps;
	const uint64_t *dropped;	/* updates that didn't fit, per map */
	const uint64_t *entries;	/* keys now, per map */
	const uint32_t *max_entries;
	size_t nprobes;
	const char *const *probes;	/* probe specs */
	const uint64_t *missed, *skipped;
	size_t nreads;
	const struct readsite *const *reads;
	const uint64_t *failed;
};

void prom_self(FILE *f, enum prom_format fmt, const struct prom_self *s);

/* The end of the exposition ("# EOF" in OpenMetrics). */
void prom_end(FILE *f, enum prom_format fmt);

/* s[0..len) as a label value between its quotes: valid UTF-8 as itself,
 * '\\' '"' and newline escaped as the format asks, and every other
 * control character or byte that is not valid UTF-8 as the four
 * characters \xNN (written "\\xNN"), so any bytes give a value that
 * Prometheus accepts and no two give the same value. */
void prom_label_value(FILE *f, const char *s, size_t len);

#endif
