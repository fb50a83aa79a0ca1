/* test_fdtab: filemon's pairing of opens and closes (tools/fdtab), fed
 * event sequences as the kernel would send them: a fork and the child's
 * close of an inherited fd, exec closing O_CLOEXEC fds, dup2 onto a
 * watched fd, close_range closing or marking, exit closing everything, an
 * fd opened again without its close, the files still open at the end.
 * Each sequence's reports are checked exactly, as lines. */
#include <stdlib.h>
#include <string.h>

#include "../../tools/fdtab.h"
#include "test.h"

static char got[8192];
static int show_flags;	/* the open's flags on each line */

static void on_event(const struct fd_event *ev, void *ctx)
{
	static const char *kinds[] = { "open", "close", "reopened", "still" };
	size_t n = strlen(got);
	const struct fd_file *f = ev->f;

	if (n + 512 > sizeof(got)) {	/* full: said, and never past it */
		snprintf(got, sizeof(got), "(too many reports)\n");
		return;
	}
	n += snprintf(got + n, sizeof(got) - n, "%s %u %d %s", kinds[ev->kind],
		      ev->who->pid, f->fd, f->path->s);
	if (ev->kind == FDEV_CLOSE)
		n += snprintf(got + n, sizeof(got) - n, " %s",
			      fd_how_names[ev->how]);
	if (f->inherited)
		n += snprintf(got + n, sizeof(got) - n, " inherited opener=%u",
			      f->opener_pid);
	if (show_flags)
		n += snprintf(got + n, sizeof(got) - n, " flags=%#llo",
			      (unsigned long long)f->flags);
	if (ev->kind == FDEV_REOPENED)
		n += snprintf(got + n, sizeof(got) - n, " prev=%s",
			      ev->prev->path->s);
	if (ev->kind == FDEV_CLOSE || ev->kind == FDEV_STILL_OPEN)
		n += snprintf(got + n, sizeof(got) - n, " d=%lld",
			      (long long)(ev->who->time - f->open_time));
	snprintf(got + n, sizeof(got) - n, "\n");
}

static struct fdtab *t;

static struct fd_who *at(uint32_t pid, int64_t time)
{
	static struct fd_who w;

	w = (struct fd_who){ time, pid, pid, 1, "comm" };
	return &w;
}

static void op(uint32_t pid, int64_t time, int fd, uint64_t flags,
	       const char *path)
{
	fdtab__open(t, at(pid, time), fd, flags, path, strlen(path));
}

static void start(void)
{
	got[0] = 0;
	t = fdtab__new(on_event, NULL);
}

static void end(const char *want)
{
	CHECK_STR(got, want);
	fdtab__free(t);
}

static void test_open_close(void)
{
	start();
	op(100, 10, 3, 0, "/etc/a");
	fdtab__close(t, at(100, 25), 3);
	fdtab__close(t, at(100, 26), 3);	/* not open any more */
	fdtab__close(t, at(100, 27), 4);	/* never watched */
	fdtab__close(t, at(200, 28), 3);	/* another process's fd 3 */
	CHECK(fdtab__count(t) == 0);
	end("open 100 3 /etc/a\n"
	    "close 100 3 /etc/a close d=15\n");
}

/* A shell's child closes the fd it inherited before userspace could have
 * copied anything: the close is the child's, paired with the parent's
 * open; the parent's own fd stays open. */
static void test_fork_inherited(void)
{
	start();
	op(100, 10, 3, 0, "/etc/a");
	fdtab__fork(t, at(100, 12), 101);
	fdtab__close(t, at(101, 20), 3);
	fdtab__fork(t, at(100, 21), 102);
	fdtab__fork(t, at(102, 22), 103);	/* a grandchild */
	fdtab__exit(t, at(102, 23));
	fdtab__close(t, at(100, 30), 3);
	fdtab__exec(t, at(103, 31), NULL, 0);		/* not O_CLOEXEC: stays */
	fdtab__exit(t, at(103, 40));
	fdtab__exit(t, at(101, 41));		/* nothing left */
	CHECK(fdtab__count(t) == 0);
	end("open 100 3 /etc/a\n"
	    "close 101 3 /etc/a close inherited opener=100 d=10\n"
	    "close 102 3 /etc/a exit inherited opener=100 d=13\n"
	    "close 100 3 /etc/a close d=20\n"
	    "close 103 3 /etc/a exit inherited opener=100 d=30\n");
}

static void test_exec_cloexec(void)
{
	start();
	op(100, 10, 3, FD_O_CLOEXEC, "/etc/a");
	op(100, 11, 4, 0, "/etc/b");
	op(100, 12, 5, FD_O_CLOEXEC | 1, "/etc/c");
	fdtab__exec(t, at(100, 20), NULL, 0);
	fdtab__exec(t, at(100, 21), NULL, 0);		/* nothing more */
	fdtab__exit(t, at(100, 30));
	end("open 100 3 /etc/a\n"
	    "open 100 4 /etc/b\n"
	    "open 100 5 /etc/c\n"
	    "close 100 3 /etc/a exec d=10\n"
	    "close 100 5 /etc/c exec d=8\n"
	    "close 100 4 /etc/b exit d=19\n");
}

/* fcntl(F_SETFD) decides what exec closes, whatever the open said; the
 * flags reported stay the open's. */
static void test_setfd(void)
{
	start();
	show_flags = 1;
	op(100, 10, 3, FD_O_CLOEXEC, "/etc/a");
	op(100, 11, 4, 0, "/etc/b");
	fdtab__setfd(t, at(100, 12), 3, 0);
	fdtab__setfd(t, at(100, 13), 4, 1);
	fdtab__setfd(t, at(100, 14), 9, 1);	/* not watched */
	fdtab__exec(t, at(100, 20), NULL, 0);
	CHECK(fdtab__count(t) == 1);
	fdtab__close(t, at(100, 30), 3);
	end("open 100 3 /etc/a flags=02000000\n"
	    "open 100 4 /etc/b flags=0\n"
	    "close 100 4 /etc/b exec flags=0 d=9\n"
	    "close 100 3 /etc/a close flags=02000000 d=20\n");
	show_flags = 0;
}

static void test_dup2(void)
{
	start();
	op(100, 10, 3, 0, "/etc/a");
	fdtab__dup2(t, at(100, 15), 4);	/* onto an fd not watched */
	fdtab__dup2(t, at(100, 16), 3);
	fdtab__close(t, at(100, 17), 3);	/* the other file now */
	end("open 100 3 /etc/a\n"
	    "close 100 3 /etc/a dup2 d=6\n");
}

static void test_close_range(void)
{
	start();
	op(100, 10, 3, 0, "/etc/a");
	op(100, 10, 4, 0, "/etc/b");
	op(100, 10, 5, 0, "/etc/c");
	op(100, 10, 9, 0, "/etc/d");
	fdtab__close_range(t, at(100, 20), 4, 5, 0);
	fdtab__close_range(t, at(100, 21), 6, 3, 0);	/* lo > hi: EINVAL */
	fdtab__close_range(t, at(100, 22), 0, ~0u, FD_CLOSE_RANGE_CLOEXEC);
	fdtab__exec(t, at(100, 30), NULL, 0);
	CHECK(fdtab__count(t) == 0);
	end("open 100 3 /etc/a\n"
	    "open 100 4 /etc/b\n"
	    "open 100 5 /etc/c\n"
	    "open 100 9 /etc/d\n"
	    "close 100 4 /etc/b close_range d=10\n"
	    "close 100 5 /etc/c close_range d=10\n"
	    "close 100 3 /etc/a exec d=20\n"
	    "close 100 9 /etc/d exec d=20\n");
}

static void test_exit_all(void)
{
	start();
	op(100, 10, 7, 0, "/etc/g");
	op(100, 11, 3, 0, "/etc/a");
	op(101, 12, 3, 0, "/etc/other");
	fdtab__exit(t, at(100, 50));
	CHECK(fdtab__count(t) == 1);
	end("open 100 7 /etc/g\n"
	    "open 100 3 /etc/a\n"
	    "open 101 3 /etc/other\n"
	    "close 100 3 /etc/a exit d=39\n"
	    "close 100 7 /etc/g exit d=40\n");
}

/* The seed's error: an fd returned again with no close seen. Said; the
 * new file takes the fd, and its close is paired with it. */
static void test_reopened(void)
{
	start();
	op(100, 10, 3, 0, "/etc/a");
	op(100, 20, 3, 0, "/etc/b");
	fdtab__close(t, at(100, 25), 3);
	end("open 100 3 /etc/a\n"
	    "reopened 100 3 /etc/b prev=/etc/a\n"
	    "open 100 3 /etc/b\n"
	    "close 100 3 /etc/b close d=5\n");
}

/* An open filemon does not watch got an fd the table has: the close
 * was not seen; said, and the fd dropped (its later close is not the
 * table's file's). */
static void test_reused(void)
{
	start();
	op(100, 10, 3, 0, "/etc/a");
	CHECK(fdtab__reused(t, at(100, 20), 3, 0, "/tmp/x", 6) == 1);
	fdtab__close(t, at(100, 25), 3);
	CHECK(fdtab__reused(t, at(100, 26), 3, 0, "/tmp/y", 6) == 0);
	CHECK(fdtab__reused(t, at(101, 27), 3, 0, "/tmp/y", 6) == 0);
	CHECK(fdtab__count(t) == 0);
	end("open 100 3 /etc/a\n"
	    "reopened 100 3 /tmp/x prev=/etc/a\n");
}

/* exec with the kernel's bitmap of open fds: what is not in it was
 * closed, whatever the flags said; from nbits on, the flags decide. */
static void test_exec_bitmap(void)
{
	uint8_t open[2] = { 1 << 3 | 1 << 5, 0 };

	start();
	op(100, 10, 3, FD_O_CLOEXEC, "/etc/a");	/* open: FD_CLOEXEC off */
	op(100, 11, 4, 0, "/etc/b");		/* closed: FIOCLEX */
	op(100, 12, 5, 0, "/etc/c");		/* open */
	op(100, 13, 9, 0, "/etc/d");		/* closed */
	op(100, 14, 16, 0, "/etc/e");		/* past nbits: stays */
	op(100, 15, 17, FD_O_CLOEXEC, "/etc/f");	/* past nbits: closed */
	fdtab__exec(t, at(100, 20), open, 16);
	CHECK(fdtab__count(t) == 3);
	fdtab__exit(t, at(100, 30));
	end("open 100 3 /etc/a\n"
	    "open 100 4 /etc/b\n"
	    "open 100 5 /etc/c\n"
	    "open 100 9 /etc/d\n"
	    "open 100 16 /etc/e\n"
	    "open 100 17 /etc/f\n"
	    "close 100 4 /etc/b exec d=9\n"
	    "close 100 9 /etc/d exec d=7\n"
	    "close 100 17 /etc/f exec d=5\n"
	    "close 100 3 /etc/a exit d=20\n"
	    "close 100 5 /etc/c exit d=18\n"
	    "close 100 16 /etc/e exit d=16\n");
}

static void test_finish(void)
{
	start();
	op(300, 10, 4, 0, "/etc/z");
	op(100, 20, 5, 0, "/etc/b");
	op(100, 30, 3, 0, "/etc/a");
	fdtab__fork(t, at(100, 35), 200);
	fdtab__close(t, at(200, 36), 5);
	fdtab__finish(t, 100);
	CHECK(fdtab__count(t) == 0);
	fdtab__close(t, at(100, 101), 3);	/* gone with the end */
	end("open 300 4 /etc/z\n"
	    "open 100 5 /etc/b\n"
	    "open 100 3 /etc/a\n"
	    "close 200 5 /etc/b close inherited opener=100 d=16\n"
	    "still 100 3 /etc/a d=70\n"
	    "still 100 5 /etc/b d=80\n"
	    "still 200 3 /etc/a inherited opener=100 d=70\n"
	    "still 300 4 /etc/z d=90\n");
}

/* Many processes: the hash grows and takes exits out; every one of them
 * is still found. */
static void test_many(void)
{
	uint32_t pid;
	int ok = 1;

	start();
	for (pid = 1000; pid < 6000; pid++) {
		got[0] = 0;
		op(pid, pid, 3, 0, "/etc/a");
	}
	for (pid = 1000; pid < 6000; pid += 2) {
		got[0] = 0;
		fdtab__exit(t, at(pid, 10000));
		ok &= strstr(got, "close ") == got;
	}
	CHECK(fdtab__count(t) == 2500);
	for (pid = 1001; pid < 6000; pid += 2) {
		got[0] = 0;
		fdtab__close(t, at(pid, 20000), 3);
		ok &= strstr(got, "close ") == got;
	}
	CHECK(ok);
	CHECK(fdtab__count(t) == 0);
	got[0] = 0;
	end("");
}

/* A pid used again: the child's table is its parent's copy, nothing of
 * the process that had the pid before. */
static void test_pid_reused(void)
{
	start();
	op(500, 1, 3, 0, "/etc/old");
	op(100, 10, 4, 0, "/etc/a");
	fdtab__fork(t, at(100, 11), 500);
	fdtab__exit(t, at(500, 20));
	end("open 500 3 /etc/old\n"
	    "open 100 4 /etc/a\n"
	    "close 500 4 /etc/a exit inherited opener=100 d=10\n");
}

int main(void)
{
	test_open_close();
	test_fork_inherited();
	test_exec_cloexec();
	test_setfd();
	test_dup2();
	test_close_range();
	test_exit_all();
	test_reopened();
	test_reused();
	test_exec_bitmap();
	test_finish();
	test_many();
	test_pid_reused();
	return test_report("fdtab");
}
