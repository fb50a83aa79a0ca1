/* metrics: a running program's maps as Prometheus metrics, served over
 * HTTP at /metrics (libmicrohttpd) and/or written to a file for
 * node_exporter's textfile collector. Everything runs in ply's own loop
 * (runtime__watch): a scrape reads the maps between two rounds of events,
 * never at the same time, and no thread is started. */
#ifndef PLY_METRICS_H
#define PLY_METRICS_H

#include <stdio.h>

#include "out_prom.h"
#include "runtime.h"

struct metrics;

struct metrics_opts {
	const char *addr;	/* "ADDR:PORT" to serve, or NULL */
	const char *file;	/* the textfile, or NULL */
	unsigned interval;	/* seconds between writes of file */
	FILE *err;
	const char *prog;	/* err's messages start with it: NULL, "ply" */
};

/* Once the runtime is loaded: binds addr, writes file a first time,
 * watches both from the loop. Errors are printed to err. */
int metrics__new(struct metrics **out, struct runtime *rt,
		 const struct rt_spec *spec, const struct metrics_opts *o);
/* Writes the file one last time (the maps as they are now); closes the
 * server. */
int metrics__end(struct metrics *m);
void metrics__free(struct metrics *m);

/* Every exported map and ply's own counters, as a scrape gets them. */
int metrics_write(struct metrics *m, FILE *f, enum prom_format fmt);

/* The same, without a server: for ply__metrics_write. */
int metrics_write_once(struct runtime *rt, const struct rt_spec *spec,
		       FILE *f, enum prom_format fmt);

#endif
