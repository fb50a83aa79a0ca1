/* What the reference tracers' user sides share: load a .bpf.o, attach its
 * one program to a tracepoint, run the traced command; for the streaming
 * tracers, the whole run around their ring buffer. */
#ifndef BENCH_REF_RUN_H
#define BENCH_REF_RUN_H

#include <sys/types.h>

struct bpf_object;
struct bpf_link;

struct ref_opts {
	const char *obj;	/* the .bpf.o; default: beside the executable */
	const char *tp;		/* "category/name" */
	char **cmd;		/* the traced command, run once attached */
};

/* Parses "[-o OBJ] -t CATEGORY/NAME CMD ARGS..."; exits on misuse. */
void ref_parse(struct ref_opts *o, int argc, char **argv, const char *defobj);
/* Opens and loads o->obj and attaches its first program to o->tp.
 * Returns 0 or a negative errno, having said what failed. */
int ref_load(const struct ref_opts *o, struct bpf_object **obj,
	     struct bpf_link **link);
/* Starts o->cmd; returns its pid or -1. */
pid_t ref_spawn(const struct ref_opts *o);

/* Called with each record of the ring buffer (libbpf's
 * ring_buffer_sample_fn). */
typedef int (*ref_event_fn)(void *ctx, void *data, size_t size);

/* A streaming tracer's main (stream.c, paths.c): parses argv as
 * ref_parse, loads and attaches, runs the command with on_event called for
 * each record of the object's ring buffer "events", polling every
 * REF_POLL_MS until the command exits, then drains the ring and prints
 * "lost N" on stderr, N the per-CPU slots of the object's "lost" map added
 * up. Returns the command's exit status, or 1 if anything failed. */
int ref_stream(int argc, char **argv, const char *defobj, ref_event_fn on_event);

#endif
