/* runtime: everything after compilation. Creates the maps, loads the
 * programs, attaches them (through file descriptors only, so the kernel
 * drops every probe when ply exits, however it exits), starts the -c
 * command, reads the ring buffer until a stop condition, runs END, drains,
 * and prints the maps. */
#ifndef PLY_RUNTIME_H
#define PLY_RUNTIME_H

#include <linux/bpf.h>
#include <stdio.h>
#include <sys/types.h>

#include "prog.h"
#include "util.h"

/* Map indices the compiler may use in IR_LDMAP besides the program's own
 * maps (0..nmaps-1). */
#define MAP_IDX_RINGBUF	(-1)	/* BPF_MAP_TYPE_RINGBUF for events */
#define MAP_IDX_STATS	(-2)	/* PERCPU_ARRAY of u64 counters, below */

/* Counters in the stats map: key STAT_LOST counts events that did not fit
 * in the ring buffer; key STAT_MAP_FULL + i counts updates of map i that
 * failed (map full). */
#define STAT_LOST	0
#define STAT_MAP_FULL	1

enum rt_attach {
	RT_TRACEPOINT,	/* perf_event_open(PERF_TYPE_TRACEPOINT, id) */
	RT_BEGIN,	/* BPF_PROG_TEST_RUN once, before the command starts */
	RT_END,		/* BPF_PROG_TEST_RUN once, after the stop */
};

struct rt_prog {
	const char *name;	/* the probe spec, used in every message */
	enum bpf_prog_type type;
	enum rt_attach attach;
	const char *tp;		/* RT_TRACEPOINT: "group/event" */
	struct bpf_insn *insns;	/* LD_IMM64 with src_reg BPF_PSEUDO_MAP_FD
				 * carries a map index (or MAP_IDX_*) in imm;
				 * the runtime patches in the fd */
	size_t ninsns;
};

/* Called for each event record; rec starts with the u64 site id. The
 * default handler (handler NULL) prints printf/print events to out. */
typedef void (*rt_event_fn)(const struct evsite *site, const void *rec,
			    size_t size, void *ctx);

struct rt_spec {
	struct rt_prog *progs;
	size_t nprogs;
	struct mapsym **maps;	/* maps[i]->index == i */
	size_t nmaps;
	struct evsite **sites;	/* sites[i]->id == i */
	size_t nsites;
	size_t ringbuf_size;	/* bytes, a power of two >= 4096 */
};

struct rt_opts {
	FILE *out;		/* events and maps; stdout if NULL */
	FILE *err;		/* messages; stderr if NULL */
	int debug;		/* -d: verifier log on refusal, more messages */
	int keep_going;		/* -k */
	rt_event_fn handler;
	void *handler_ctx;
};

struct runtime;

struct runtime *runtime__new(const struct rt_spec *spec,
			     const struct rt_opts *opts);
void runtime__free(struct runtime *rt);	/* detaches everything, kills a
					 * child that was never started */

/* Fork the -c command now, held until runtime__start (so its pid is known
 * before code generation needs it). */
int runtime__spawn(struct runtime *rt, const char *cmd);
pid_t runtime__child(const struct runtime *rt);

int runtime__load(struct runtime *rt);		/* maps + programs */
int runtime__attach(struct runtime *rt);	/* probes, then BEGIN */
int runtime__start(struct runtime *rt);		/* release the command */
/* Read events until SIGINT, SIGTERM, exit() or the command's exit. */
int runtime__loop(struct runtime *rt);
/* Stop probes, run END, drain events, print maps, report losses. */
int runtime__finish(struct runtime *rt);
/* What ply should exit with: exit()'s argument, else 0 (or 1 on error). */
int runtime__exit_status(const struct runtime *rt);

/* Read map i as n entries of keys and per-CPU-summed values (malloc'ed);
 * used by runtime__finish and by front ends. */
int runtime__map_read(struct runtime *rt, size_t i, void **keys,
		      void **vals, size_t *n);

#endif
