/* What the reference tracers' user sides share: load a .bpf.o, attach its
 * one program to a tracepoint, run the traced command. */
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

#endif
