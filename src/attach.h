/* attach: what the runtime offers a provider's attach and detach. Open a
 * perf event and hang the probe's program off it, watch a timer in the
 * event loop, run the program once at the beginning or at the end: the
 * runtime keeps every fd this opens and closes them when the probes stop.
 * Providers include this, never rt.h. */
#ifndef PLY_ATTACH_H
#define PLY_ATTACH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "prog.h"

struct perf_event_attr;

struct attach;	/* one probe of a runtime, being attached */

FILE *attach_err(const struct attach *at);	/* for the messages, */
/* which start here ("NAME: " and fmt; fmt ends the line, so it may go on
 * through attach_err) */
void attach_msg(const struct attach *at, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int attach_debug(const struct attach *at);	/* -d */
int attach_ncpus(const struct attach *at);	/* possible CPUs */

/* Room for n more fds (perf events, timers), in the runtime's table and
 * under RLIMIT_NOFILE; before attach_perf_event and attach_timer. */
int attach_reserve(struct attach *at, size_t n);

/* Which step of attach_perf_event failed, and its words for messages. */
enum attach_stage { ATTACH_OPEN, ATTACH_SET_BPF };
const char *attach_stage_words(enum attach_stage stage);

/* Open a perf event (disabled) on cpu, hang the probe's program off it,
 * enable it and keep it. attr->size and attr->disabled are set here. */
int attach_perf_event(struct attach *at, struct perf_event_attr *attr,
		      int cpu, enum attach_stage *stage);

/* Attach the probe's program to the raw tracepoint `name` (NULL: where
 * the program was loaded for, as fentry's) through an fd, and keep it:
 * the attachment ends when ply closes it. 0 or -errno. */
int attach_raw_tp(struct attach *at, const char *name);

/* Keep the timer fd (a timerfd, nonblocking) and watch it from the event
 * loop: each expiry runs the probe's program through BPF_PROG_TEST_RUN. */
int attach_timer(struct attach *at, int fd);

/* Run the probe's program once through BPF_PROG_TEST_RUN: after every
 * probe is attached, or after they are all stopped. */
enum attach_when { ATTACH_NEVER, ATTACH_BEGIN, ATTACH_END };
void attach_run_at(struct attach *at, enum attach_when when);

/* Small files of /proc and /sys: the first line (0 or -errno), a number
 * (-1 if unreadable). */
int file_line(const char *path, char *buf, int size);
long sysctl_long(const char *path);

#endif
