/* rt: what the parts of the runtime share (runtime.c, child.c, maps.c,
 * load.c, perf.c, events.c, loop.c): struct runtime and the functions one
 * part calls in another. Private to them; runtime.h is the interface. */
#ifndef PLY_RT_H
#define PLY_RT_H

#include <signal.h>
#include <stdint.h>

#include "attach.h"
#include "out.h"
#include "runtime.h"

#define MAP_DEFAULT_ENTRIES	4096
#define VLOG_SIZE		(4u << 20)

enum { TAG_RB, TAG_STOP, TAG_CHILD, TAG_POLL, TAG_SCOPE, TAG_TIMER };	/* TAG_TIMER + timer */
#define TAG_WATCH	0x80000000u	/* TAG_WATCH + watch (runtime__watch) */

struct rt_watch {
	int fd;
	rt_watch_fn fn;
	void *ctx;
};

/* A timer of attach_timer: its fd (also in perf_fds, so it is closed with
 * the probes) and its program. */
struct rt_timer {
	int fd;
	size_t prog;
	uint64_t skipped;	/* ticks beyond TIMER_BATCH, reported */
};

/* At most this many runs of a timer's program per wake-up of the loop, so
 * a period shorter than a run (interval:1ns) can't starve the loop. */
#define TIMER_BATCH 1000

struct runtime {
	struct rt_spec spec;	/* shallow copy: the arrays stay the caller's */
	struct out *out;	/* events, maps, reports: everything printed
				 * while the program runs */
	FILE *err;		/* out's error stream, for setting up */
	int debug, keep_going, no_maps;
	rt_event_fn handler;
	void *handler_ctx;
	const volatile sig_atomic_t *stop_req;	/* the front end's stop */
	int stop_fd;		/* borrowed: readable once stop_req is set */
	int epfd;		/* everything the loop waits for */
	int poll_fd;		/* timerfd: read the ring buffer every
				 * RINGBUF_POLL_MS */

	int ncpus;
	uint64_t *cpu_buf;	/* one u64 per possible CPU, for the stats */
	size_t rb_size;		/* the ring buffer's, in bytes */

	int rb_fd, stats_fd;
	int zero_fd;		/* MAP_IDX_ZERO, if a program uses it */
	int stack_fd;		/* MAP_IDX_STACK, if spec.stack_depth */
	int pathbuf_fd;		/* MAP_IDX_PATHBUF, if a program uses it */
	int func_btf_fd;	/* the BTF of programs with subprograms
				 * (their func_info), once one has */
	int func_m, func_sub;	/* its FUNC ids: a program, a subprogram */
	uint64_t *stack_buf;	/* spec.stack_depth frames */
	int *map_fds;		/* spec.nmaps */
	int *outer_fds;		/* spec.nmaps: map i's map of maps, if swap */
	int *spare_fds;		/* spec.nmaps: map i's empty copy, if swap */
	int *prog_fds;		/* spec.nprogs, from runtime__load on */
	enum attach_when *run_at; /* spec.nprogs: BEGIN, END */
	size_t nattached;	/* progs 0..nattached-1 are attached */
	int *perf_fds;		/* every attached perf event, any program */
	size_t nperf, perf_cap;
	struct rt_timer *timers;
	size_t ntimers;
	struct ring_buffer *rb;
	struct rt_watch *watches;	/* runtime__watch */
	size_t nwatches;

	pid_t child;		/* the command; 0 when there is no -c */
	pid_t guard;		/* ply's child, the command's parent */
	int child_msg;		/* read end of the guard's messages */
	int child_life;		/* write end: its closing kills the command
				 * and everything it started */
	int child_go;		/* write end of the go pipe until released */
	int child_done;		/* the command ended */
	int child_failed;	/* it could not run */
	char *child_cmd;	/* as given, for messages */
	int child_argv_shell;	/* run by sh -c, not exec'd itself */

	int stop, have_exit, failed;
	int64_t exit_code;
	uint64_t lost_reported;
	uint64_t bad_events;
	struct scope *scope;	/* scope.c's, when spec.scope */
};

/* A message of the runtime's, on its error stream: "NAME: " and fmt. */
#define rt_msg(rt, ...) \
	msg_print((rt)->err, (rt)->out->prog, __VA_ARGS__)

/* What attach.h's services act on: program i of rt. */
struct attach {
	struct runtime *rt;
	size_t i;
};

/* runtime.c */
void close_fd(int *fd);
int *fds_new(size_t n);
void fds_close(int *fds, size_t n);
int prog_run(struct runtime *rt, size_t i);

/* child.c */
char **command_argv(const char *cmd);
void child_msg_read(struct runtime *rt);
void child_kill(struct runtime *rt);

/* maps.c */
size_t map_ksize(const struct mapsym *m);
uint32_t default_entries(const struct runtime *rt);
uint32_t map_entries(const struct runtime *rt, const struct mapsym *m);
void obj_name(char dst[BPF_OBJ_NAME_LEN], const char *prefix,
	      const char *name);
int maps_create(struct runtime *rt);
int map_show(struct runtime *rt, size_t i);
int map_clear(struct runtime *rt, size_t i);
/* show prints (or hands out) map i as it is now */
typedef int (*map_show_fn)(struct runtime *rt, size_t i, void *ctx);
int map_take_whole(struct runtime *rt, size_t i, map_show_fn show, void *ctx);

/* load.c */
int starts_with(const char *s, const char *prefix);

/* perf.c */
void probes_close(struct runtime *rt);	/* detach, close every fd kept */

/* events.c */
int event_cb(void *ctx, void *data, size_t size);
int events_consume(struct runtime *rt);
int events_drain(struct runtime *rt);
int stats_report_lost(struct runtime *rt);
void stats_report(struct runtime *rt);

/* scope.c: the scope map and the programs that keep it (fork, exec,
 * exit), made in runtime__load, attached and seeded first in
 * runtime__attach. */
int scope_load(struct runtime *rt);
int scope_attach(struct runtime *rt);
int scope_fd(const struct runtime *rt);	/* MAP_IDX_SCOPE, or -1 */
void scope_event(struct runtime *rt);	/* TAG_SCOPE: maybe it is empty */
int scope_has_command(const struct runtime *rt);	/* -c -F */
uint64_t scope_full(struct runtime *rt);
void scope_free(struct runtime *rt);

/* The stats map's slot for the scope map's failed updates: the last. */
static inline uint32_t stat_scope_slot(const struct rt_spec *s)
{
	return STAT_MAP_FULL + s->nmaps + s->nreads;
}

/* loop.c */
int epoll_add(struct runtime *rt, int fd, uint32_t tag);
int stopping(const struct runtime *rt);

#endif
