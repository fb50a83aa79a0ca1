/* runtime: everything after compilation. Creates the maps, loads the
 * programs, attaches them (through file descriptors only, so the kernel
 * drops every probe when ply exits, however it exits), starts the -c
 * command, reads the ring buffer until a stop condition, runs END, drains,
 * and prints the maps. */
#ifndef PLY_RUNTIME_H
#define PLY_RUNTIME_H

#include <linux/bpf.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "prog.h"
#include "util.h"

/* Programs ask for a wake-up only once the ring buffer is a quarter full
 * (PROG_CONST_RB_WAKEUP, or for exit()); the loop reads it every
 * RINGBUF_POLL_MS anyway. One wake-up per event would cost more than the
 * event. */
#define RINGBUF_DEFAULT		(4u << 20)
#define RINGBUF_POLL_MS		10

/* Called for each event record; rec starts with the u64 site id. The
 * default handler (handler NULL) prints printf/print events to out. */
typedef void (*rt_event_fn)(const struct evsite *site, const void *rec,
			    size_t size, void *ctx);

/* The scope (prog.h's enum prog_scope): which processes the probes run
 * for. The runtime makes the map the probes check and keeps it up to
 * date from the kernel (scope.c). */
struct rt_scope {
	const pid_t *pids;	/* -p: these processes (a thread id stands
				 * for its process) */
	size_t npids;
	const char *const *names;	/* -n: the processes of these comms,
					 * running now or when they exec */
	size_t nnames;
	const char *cgroup;	/* --cgroup: a cgroup v2 directory */
	int follow;		/* -F: and every descendant, now and later */
	int command;		/* the -c command is in it (with follow) */
};

struct rt_spec {
	struct probe_prog *progs;
	size_t nprogs;
	struct mapsym **maps;	/* maps[i]->index == i */
	size_t nmaps;
	struct evsite **sites;	/* sites[i]->id == i */
	size_t nsites;
	struct readsite **reads;	/* reads[i]->id == i */
	size_t nreads;
	size_t ringbuf_size;	/* bytes, a power of two >= 4096 */
	uint32_t map_size;	/* max_entries of maps that don't set theirs;
				 * 0: 4096 */
	uint32_t stack_depth;	/* frames kept per stack; 0: no stack map */
	const struct rt_scope *scope;	/* NULL: no scope */
};

struct rt_opts {
	FILE *out;		/* events and maps; stdout if NULL */
	FILE *err;		/* messages; stderr if NULL */
	const char *prog;	/* what they start with (msg_print): NULL,
				 * "ply" */
	int debug;		/* -d: verifier log on refusal, more messages */
	int keep_going;		/* -k */
	int no_maps;		/* don't print the maps at the end */
	rt_event_fn handler;
	void *handler_ctx;
	const struct out_ops *format;	/* how out is written: NULL, text */
	/* The front end's stop (ply__stop, from a signal handler maybe):
	 * the flag, and an fd that is readable once it is set. The runtime
	 * takes no signal itself. */
	const volatile sig_atomic_t *stop_req;
	int stop_fd;
};

struct runtime;
struct out;
struct out_ops;

struct runtime *runtime__new(const struct rt_spec *spec,
			     const struct rt_opts *opts);
void runtime__free(struct runtime *rt);	/* detaches everything, kills a
					 * child that was never started */

/* Fork the -c command now, held until runtime__start; its pid is patched
 * into the programs that use $target when they load. */
int runtime__spawn(struct runtime *rt, const char *cmd);
pid_t runtime__child(const struct runtime *rt);

int runtime__load(struct runtime *rt);		/* maps + programs */
int runtime__attach(struct runtime *rt);	/* probes, then BEGIN */
int runtime__start(struct runtime *rt);		/* release the command */
/* Read events until a stop (the front end's, exit() or the command's
 * exit). */
int runtime__loop(struct runtime *rt);
/* One round of the loop: wait at most timeout_ms (-1: no limit) for
 * anything on runtime__fd, handle it. 1 while running, 0 once stopped, or
 * a negative errno. */
int runtime__step(struct runtime *rt, int timeout_ms);
/* An epoll fd that is readable whenever runtime__step has work. */
int runtime__fd(const struct runtime *rt);

/* Counters, as numbers; the arrays have spec.nmaps, spec.nprogs and
 * spec.nreads entries. */
struct rt_stats {
	uint64_t lost;		/* events that did not fit the ring buffer */
	uint64_t bad_events;	/* malformed events ignored */
	uint64_t *map_dropped;	/* updates that failed because map i was
				 * full */
	uint64_t *prog_missed;	/* runs of program i the kernel skipped */
	uint64_t *prog_skipped;	/* ticks of interval program i skipped */
	uint64_t *read_failed;	/* failed reads of read site i */
	uint64_t scope_full;	/* processes the scope map had no room for */
};
int runtime__stats(struct runtime *rt, struct rt_stats *st);
/* Stop probes, run END, drain events, print maps, report losses. */
int runtime__finish(struct runtime *rt);
/* What ply should exit with: 1 if the output could not be written (other
 * than to a closed pipe), else exit()'s argument, else 0 (or 1 on
 * error). */
int runtime__exit_status(const struct runtime *rt);

/* Read map i as n entries of keys and per-CPU-summed values (malloc'ed);
 * used by runtime__finish and by front ends. */
int runtime__map_read(struct runtime *rt, size_t i, void **keys,
		      void **vals, size_t *n);

/* The output: its format context (clock, symbols, stacks) serves front
 * ends that print events themselves. */
struct out *runtime__out(struct runtime *rt);

/* Handle one ring-buffer record as the event loop does: rec starts with
 * the u64 site id, size is what the kernel said it wrote. For tests and
 * the decoding fuzzer; the loop calls it for every record. */
void runtime__event(struct runtime *rt, const void *rec, size_t size);

/* One entry of map i by its raw key (NULL for a keyless map): per-CPU
 * values are summed on lookup; an update of a per-CPU map puts the value
 * on CPU 0 and zeros on the others. */
int runtime__map_lookup(struct runtime *rt, size_t i, const void *key,
			void *val);
int runtime__map_update(struct runtime *rt, size_t i, const void *key,
			const void *val);
int runtime__map_delete(struct runtime *rt, size_t i, const void *key);

/* Call fn(ctx) from the loop whenever fd (the caller's) is readable, as
 * part of runtime__step: what fn does is serialised with the events and
 * the maps (metrics.c serves scrapes so). From runtime__load on. */
typedef void (*rt_watch_fn)(void *ctx);
int runtime__watch(struct runtime *rt, int fd, rt_watch_fn fn, void *ctx);
/* Stop watching fd (before closing it). */
void runtime__unwatch(struct runtime *rt, int fd);

/* The programs, if they were not in the spec. Before runtime__load. */
void runtime__set_progs(struct runtime *rt, struct probe_prog *progs,
			size_t n);

#endif
