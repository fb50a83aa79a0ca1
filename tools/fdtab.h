/* fdtab: the files the watched processes have open, by (process, fd), so
 * that each open is paired with its close whatever closed it: close(2),
 * the process's exit, exec (O_CLOEXEC), dup2/dup3 onto the fd,
 * close_range; and a child's copy of the fds it inherited at fork, closed
 * and paired with its parent's open. filemon feeds it the kernel's events
 * in order; it calls back with what to report. No I/O, no ply: its unit
 * test feeds it event sequences and checks what comes out. */
#ifndef TOOLS_FDTAB_H
#define TOOLS_FDTAB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FD_O_CLOEXEC		02000000	/* x86-64's O_CLOEXEC */
#define FD_CLOSE_RANGE_CLOEXEC	(1u << 2)	/* <linux/close_range.h> */
#define FD_CLOSE_RANGE_UNSHARE	(1u << 1)

/* What closed a file. */
enum fd_how {
	FD_CLOSE,		/* close(2) */
	FD_EXIT,		/* the process's last thread exited */
	FD_EXEC,		/* exec, of an O_CLOEXEC fd */
	FD_DUP2,		/* dup2/dup3 made the fd another file's */
	FD_CLOSE_RANGE,		/* close_range(2) */
};

extern const char *const fd_how_names[];	/* "close", "exit"... */

/* Who did something, and when (the kernel's monotonic ns). */
struct fd_who {
	int64_t time;
	uint32_t pid, tid, ppid;
	const char *comm;
};

/* A path shared by an open and its inherited copies. */
struct fd_path {
	int ref;
	size_t len;
	char s[];		/* NUL-terminated too */
};

/* One open file as the table holds it. */
struct fd_file {
	int fd;
	struct fd_path *path;
	uint64_t flags;		/* the open's */
	int cloexec;		/* closed at exec: O_CLOEXEC, or as fcntl or
				 * close_range made it since */
	int64_t open_time;
	uint32_t opener_pid;	/* the process that opened it */
	int inherited;		/* this process got it at fork */
};

enum fd_event_kind {
	FDEV_OPEN,		/* an open to report */
	FDEV_CLOSE,		/* a close: .how, duration from .f->open_time */
	FDEV_REOPENED,		/* an fd opened again with no close seen:
				 * .prev is what the table had (dropped);
				 * FDEV_OPEN of the new file follows if it
				 * is watched (fdtab__open) */
	FDEV_STILL_OPEN,	/* fdtab__finish: open until .who->time */
};

struct fd_event {
	enum fd_event_kind kind;
	const struct fd_who *who;	/* the process acting (STILL_OPEN: the
					 * one holding it, as last seen) */
	const struct fd_file *f;
	enum fd_how how;		/* FDEV_CLOSE */
	const struct fd_file *prev;	/* FDEV_REOPENED */
};

typedef void (*fd_event_fn)(const struct fd_event *ev, void *ctx);

struct fdtab;

struct fdtab *fdtab__new(fd_event_fn fn, void *ctx);
void fdtab__free(struct fdtab *t);

/* A watched open returned fd. */
void fdtab__open(struct fdtab *t, const struct fd_who *w, int fd,
		 uint64_t flags, const char *path, size_t len);
/* An open whose path is not watched returned fd: if the table has fd,
 * its close was not seen (a close filemon does not follow): said as
 * FDEV_REOPENED (.f the new file, .prev the table's), and the fd dropped.
 * Whether the table had it. */
int fdtab__reused(struct fdtab *t, const struct fd_who *w, int fd,
		  uint64_t flags, const char *path, size_t len);
/* close(fd): reported if the table has it. */
void fdtab__close(struct fdtab *t, const struct fd_who *w, int fd);
/* dup2(old, newfd) or dup3 succeeded with old != newfd. */
void fdtab__dup2(struct fdtab *t, const struct fd_who *w, int newfd);
/* close_range(lo, hi, flags) succeeded. */
void fdtab__close_range(struct fdtab *t, const struct fd_who *w,
			unsigned lo, unsigned hi, unsigned flags);
/* fcntl(fd, F_SETFD, cloexec ? FD_CLOEXEC : 0). */
void fdtab__setfd(struct fdtab *t, const struct fd_who *w, int fd,
		  int cloexec);
/* The process exec'd. open, when not NULL: the kernel's bitmap of the
 * fds open after it (bit fd % 8 of byte fd / 8), for fds below nbits;
 * each fd of the table not in it was closed by the exec, whatever made it
 * close-on-exec. An fd from nbits on, or every fd when open is NULL:
 * closed if it was close-on-exec as the table knows it (O_CLOEXEC, fcntl,
 * close_range). */
void fdtab__exec(struct fdtab *t, const struct fd_who *w,
		 const uint8_t *open, size_t nbits);
/* The process's last thread exited: every fd it had is closed. */
void fdtab__exit(struct fdtab *t, const struct fd_who *w);
/* w's process made the process child (not a thread): the child has a
 * copy of each of its fds, inherited. */
void fdtab__fork(struct fdtab *t, const struct fd_who *w, uint32_t child);
/* The end: each file still open, as FDEV_STILL_OPEN at time now, by
 * process then fd; the table is then empty. */
void fdtab__finish(struct fdtab *t, int64_t now);

/* The fds process pid has open, from the at-th (in fd order), at most
 * max of them into fds: how many. */
size_t fdtab__fds(const struct fdtab *t, uint32_t pid, size_t at, int *fds,
		  size_t max);

/* How many files are open in the table. */
size_t fdtab__count(const struct fdtab *t);

#endif
