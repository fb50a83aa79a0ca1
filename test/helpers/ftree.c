/* ftree: a process tree that opens and closes known files in every way a
 * file can be closed, and writes down exactly what it did: the ground truth
 * of filemon's tests (test/e2e/filemon.sh, test/e2e/filemon.py).
 *
 *   ftree tree DIR    the tree below, over the files named in DIR/list
 *                     (NUL-separated, so names may hold newlines); DIR/ready
 *                     gets the parent's pid once its first three children
 *                     exist, then all wait for DIR/go
 *   ftree once DIR    opens and closes every listed file once, creat(2)s
 *                     DIR/files/new-PID and closes it, then fails to open
 *                     "missing-PID" in DIR/files (ENOENT), by that
 *                     relative name from there
 *   ftree other DIR   the unrelated process: opens and closes the listed
 *                     files until DIR/stop exists, writing nothing down but
 *                     "PID ROUNDS" to DIR/other at the end
 *   ftree hold DIR FILE  opens FILE, writes it down, and keeps it open
 *                     until DIR/release exists (a thread waits too: its
 *                     id in a line "role HT TID"); then closes it, and
 *                     opens and closes FILE once more
 *   ftree fioclex DIR F1 F2  opens F1, sets its close-on-exec by
 *                     ioctl(FIOCLEX) and execs itself, which opens F2 (on
 *                     the fd the exec closed) and closes it
 *   ftree cfiles DIR F1 F2  opens F1; a process S it makes sharing its
 *                     fd table (clone CLONE_FILES) closes it; then opens F2
 *                     (on that fd: the close filemon saw was S's, not its
 *                     own) and closes it
 *   ftree now         CLOCK_MONOTONIC in ns
 *
 * Every process appends lines to DIR/truth (one write(2) each, O_APPEND):
 *   role NAME PID
 *   close PID TID FD HOW VIA OPID OTID OPPID FLAGS T0 T1 T2 T3 PATH
 *     one per open of a file that ended: PID/TID closed it, OPID/OTID
 *     opened it (their parent then was OPPID) with FLAGS (decimal); HOW is
 *     close, exit, exec, dup2, close_range, inherited (VIA then says which,
 *     else "-"); CLOCK_MONOTONIC ns before and after the open (T0, T1) and
 *     before and after the close (T2, T3). T3 is "X" when the process's
 *     exit closed it (see its "reaped" line) or "E" when exec did (see its
 *     "exec" line). PATH is what /proc/self/fd says the fd is, in hex.
 *   open PID TID FD - - PID TID OPPID FLAGS T0 T1 - - PATH
 *     a file held open (hold)
 *   failed PID TID ERRNO PATH   an open that failed (PATH made absolute)
 *   reaped PID T   a parent's wait for PID returned at T
 *   exec PID T     the image PID exec'd began at T
 *
 * The tree (P the process started; every process opens and closes each
 * listed file once, through open, openat or openat2 in turn, besides what
 * is said):
 *   P   after the go; reaps C1-C5 and writes down when
 *   C1  started before filemon; a thread T does the files too, and closes
 *       a file C1's main thread opened; a file open across the thread's
 *       exit is closed after it (the process lives on); then two files
 *       closed by one close_range
 *   C2  started before; opens files O_CLOEXEC, made close-on-exec by
 *       fcntl, by close_range(CLOSE_RANGE_CLOEXEC), without, and O_CLOEXEC
 *       taken off by fcntl, then execs ftree (X): exec closes the first
 *       three; X closes the other two (they survived the exec), does the
 *       files, and exits with one open
 *   C3  started before; dup2 of one file's fd onto another's, then is
 *       killed by SIGKILL with a file open
 *   C4  started after the go; opens two files and forks G, which closes
 *       one (inherited, via close) and exits with the other (inherited, via
 *       exit); then C4 closes both itself. G also opens a directory under
 *       /usr/lib and a file relative to it (openat with a dirfd)
 *   C5  started after; forks M, which forks O and exits at once: O is
 *       reparented; once it has seen its new parent, O does the files and
 *       one by a name relative to its working directory (/etc). Then C5
 *       opens two files, starts a thread and its main thread exits; the
 *       thread, the last, closes one and ends the process with the other
 *       open
 * P exits once every process of the tree, O too, has ended (they all
 * hold the write end of one pipe). Static (see the Makefile), so that an
 * exec opens no shared library.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXFILES 64

static const char *dir, *self;
static char *files[MAXFILES];
static int nfiles;

/* One open: who, when, what the kernel says the fd is. */
struct op {
	int fd, flags;
	pid_t opid, otid, oppid;
	long long t0, t1;
	char path[8192];
};

static long long now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ftree %d: ", (int)getpid());
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (%s)\n", strerror(errno));
	va_end(ap);
	_exit(3);
}

static void dpath(char *buf, size_t size, const char *name)
{
	if ((size_t)snprintf(buf, size, "%s/%s", dir, name) >= size)
		die("%s/%s: name too long", dir, name);
}

/* Appends one line to DIR/truth, in one write. */
static void say(const char *fmt, ...)
{
	char path[4096], line[20000];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		die("truth line too long");
	dpath(path, sizeof(path), "truth");
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, n) != n)
		die("%s", path);
	close(fd);
}

static void hex(char *out, const char *s)
{
	for (; *s; s++, out += 2)
		sprintf(out, "%02x", (unsigned char)*s);
	*out = '\0';
}

static void role(const char *name)
{
	say("role %s %d\n", name, (int)getpid());
}

static void wait_for(const char *name)
{
	char path[4096];

	dpath(path, sizeof(path), name);
	while (access(path, F_OK))
		usleep(1000);
}

/* The system call itself, so that the C library adds nothing: open(2),
 * openat(2) or openat2(2) by KIND (0, 1, 2), from the directory AT. */
static int sys_open(int kind, int at, const char *name, int flags)
{
	struct open_how how = { .flags = (unsigned)flags };

	switch (kind % 3) {
	case 0:
		if (at == AT_FDCWD)
			return syscall(SYS_open, name, flags);
		/* open(2) has no directory */
		return syscall(SYS_openat, at, name, flags);
	case 1:
		return syscall(SYS_openat, at, name, flags);
	default:
		return syscall(SYS_openat2, at, name, &how, sizeof(how));
	}
}

static void open_at(struct op *o, int kind, int at, const char *name, int flags)
{
	char link[64];
	ssize_t n;

	o->t0 = now();
	o->fd = sys_open(kind, at, name, flags);
	o->t1 = now();
	if (o->fd < 0)
		die("open %s", name);
	o->flags = flags;
	o->opid = getpid();
	o->otid = gettid();
	o->oppid = getppid();
	snprintf(link, sizeof(link), "/proc/self/fd/%d", o->fd);
	n = readlink(link, o->path, sizeof(o->path) - 1);
	if (n < 0)
		die("%s", link);
	o->path[n] = '\0';
}

static void open_file(struct op *o, int kind, const char *name, int flags)
{
	open_at(o, kind, AT_FDCWD, name, flags);
}

/* Writes down the end of an open: HOW/VIA, the close's times (T3 a
 * number, or "X", "E"). */
static void ended(const struct op *o, const char *how, const char *via,
		  long long t2, const char *t3)
{
	char h[sizeof(o->path) * 2 + 1];

	hex(h, o->path);
	say("close %d %d %d %s %s %d %d %d %d %lld %lld %lld %s %s\n",
	    (int)getpid(), (int)gettid(), o->fd, how, via, (int)o->opid,
	    (int)o->otid, (int)o->oppid, o->flags, o->t0, o->t1, t2, t3, h);
}

static void close_op(const struct op *o)
{
	long long t2, t3;
	char buf[32];
	int inherited = o->opid != getpid();

	t2 = now();
	if (syscall(SYS_close, o->fd))
		die("close %d", o->fd);
	t3 = now();
	snprintf(buf, sizeof(buf), "%lld", t3);
	ended(o, inherited ? "inherited" : "close", inherited ? "close" : "-",
	      t2, buf);
}

/* Writes down that the exit will close O (the parent writes down when it
 * reaped this process). */
static void at_exit_op(const struct op *o)
{
	int inherited = o->opid != getpid();

	ended(o, inherited ? "inherited" : "exit", inherited ? "exit" : "-",
	      now(), "X");
}

/* Opens and closes every listed file once, the call chosen by KIND. */
static void do_files(int kind)
{
	struct op o;
	int i;

	for (i = 0; i < nfiles; i++) {
		open_file(&o, kind + i, files[i], O_RDONLY);
		close_op(&o);
	}
}

/* Waits for PID and writes down when it was reaped. */
static void reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		die("waitpid %d", (int)pid);
	say("reaped %d %lld\n", (int)pid, now());
	if ((!WIFEXITED(status) || WEXITSTATUS(status)) &&
	    !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
		fprintf(stderr, "ftree: process %d ended with status %#x\n",
			(int)pid, status);
}

static void exit_now(void)
{
	_exit(0);
}

/* The thread: the files, and a file its process's main thread opened. */
static void *thread_run(void *arg)
{
	say("role T %d\n", (int)gettid());
	do_files(2);
	close_op(arg);
	return NULL;
}

static void c1(void)
{
	struct op a, b, cross, held;
	pthread_t t;
	long long t2, t3;
	char buf[32];

	role("C1");
	wait_for("go");
	open_file(&cross, 1, files[0], O_RDONLY);
	open_file(&held, 2, files[1 % nfiles], O_RDONLY);
	if (pthread_create(&t, NULL, thread_run, &cross))
		die("pthread_create");
	do_files(0);
	pthread_join(t, NULL);
	/* the thread's exit closed nothing: the process lives on */
	close_op(&held);
	open_file(&a, 1, files[0], O_RDONLY);
	open_file(&b, 1, files[1 % nfiles], O_RDONLY);
	if (b.fd != a.fd + 1)
		die("close_range: fds %d and %d not next to each other", a.fd, b.fd);
	t2 = now();
	if (syscall(SYS_close_range, a.fd, b.fd, 0))
		die("close_range");
	t3 = now();
	snprintf(buf, sizeof(buf), "%lld", t3);
	ended(&a, "close_range", "-", t2, buf);
	ended(&b, "close_range", "-", t2, buf);
}

/* Exec closes: opened O_CLOEXEC; made close-on-exec by fcntl, and by
 * close_range(CLOSE_RANGE_CLOEXEC). Survive it: opened without; opened
 * O_CLOEXEC and the flag taken off by fcntl. X gets the survivors as
 * "FD T0 T1 PPID FLAGS" each. */
static void c2(void)
{
	struct op ce[3], keep[2];
	char arg[2][128];
	int i;

	role("C2");
	wait_for("go");
	do_files(1);
	open_file(&ce[0], 1, files[0], O_RDONLY | O_CLOEXEC);
	open_file(&ce[1], 2, files[1 % nfiles], O_RDONLY);
	if (fcntl(ce[1].fd, F_SETFD, FD_CLOEXEC))
		die("fcntl");
	open_file(&ce[2], 0, files[2 % nfiles], O_RDONLY);
	if (syscall(SYS_close_range, ce[2].fd, ce[2].fd, CLOSE_RANGE_CLOEXEC))
		die("close_range");
	open_file(&keep[0], 2, files[1 % nfiles], O_RDONLY);
	open_file(&keep[1], 1, files[3 % nfiles], O_RDONLY | O_CLOEXEC);
	if (fcntl(keep[1].fd, F_SETFD, 0))
		die("fcntl");
	for (i = 0; i < 2; i++)
		snprintf(arg[i], sizeof(arg[i]), "%d %lld %lld %d %d", keep[i].fd,
			 keep[i].t0, keep[i].t1, (int)keep[i].oppid, keep[i].flags);
	for (i = 0; i < 3; i++)
		ended(&ce[i], "exec", "-", now(), "E");
	execl(self, self, "execd", dir, arg[0], arg[1], (char *)NULL);
	die("exec %s", self);
}

/* C2 after its exec: the fds that survived it are still there. */
static int execd(char **argv)
{
	struct op keep, held;
	long long t = now();
	char link[64];
	ssize_t n;
	int i;

	say("exec %d %lld\n", (int)getpid(), t);
	role("X");
	for (i = 0; i < 2; i++) {
		if (sscanf(argv[i], "%d %lld %lld %d %d", &keep.fd, &keep.t0,
			   &keep.t1, &keep.oppid, &keep.flags) != 5)
			die("execd: %s", argv[i]);
		keep.opid = keep.otid = getpid();
		snprintf(link, sizeof(link), "/proc/self/fd/%d", keep.fd);
		n = readlink(link, keep.path, sizeof(keep.path) - 1);
		if (n < 0)
			die("the fd kept across exec: %s", link);
		keep.path[n] = '\0';
		close_op(&keep);
	}
	do_files(2);
	open_file(&held, 0, files[0], O_RDONLY);
	at_exit_op(&held);
	return 0;
}

static void c3(void)
{
	struct op a, b;
	long long t2, t3;
	char buf[32];

	role("C3");
	wait_for("go");
	do_files(2);
	open_file(&a, 0, files[0], O_RDONLY);
	open_file(&b, 1, files[1 % nfiles], O_RDONLY);
	t2 = now();
	if (dup2(b.fd, a.fd) != a.fd)
		die("dup2");
	t3 = now();
	snprintf(buf, sizeof(buf), "%lld", t3);
	ended(&a, "dup2", "-", t2, buf);
	/* a.fd is now b's file again: its close is no open's end */
	syscall(SYS_close, a.fd);
	close_op(&b);
	open_file(&a, 2, files[2 % nfiles], O_RDONLY);
	at_exit_op(&a);
	/* an exit by a signal closes it too */
	kill(getpid(), SIGKILL);
}

static void c4(void)
{
	struct op f1, f2, d, r;
	pid_t g;

	role("C4");
	do_files(0);
	open_file(&f1, 1, files[0], O_RDONLY);
	open_file(&f2, 2, files[1 % nfiles], O_RDONLY);
	g = fork();
	if (g < 0)
		die("fork");
	if (g == 0) {
		role("G");
		close_op(&f1);
		do_files(1);
		open_file(&d, 1, "/usr/lib", O_RDONLY | O_DIRECTORY);
		open_at(&r, 2, d.fd, "os-release", O_RDONLY);
		close_op(&r);
		close_op(&d);
		at_exit_op(&f2);
		exit_now();
	}
	reap(g);
	close_op(&f1);
	close_op(&f2);
}

/* Whether the main thread still runs (not a zombie), as /proc says. */
static int leader_alive(void)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* C5's last thread: it closes one file of the main thread's, which has
 * exited before it, and ends the process with the other open. */
static void *last_thread(void *arg)
{
	struct op *f = arg;

	while (leader_alive())
		usleep(1000);
	close_op(&f[0]);
	at_exit_op(&f[1]);
	exit_now();
	return NULL;
}

static void leader_exits_first(void)
{
	static struct op f[2];
	pthread_t t;

	open_file(&f[0], 1, files[0], O_RDONLY);
	open_file(&f[1], 2, files[1 % nfiles], O_RDONLY);
	if (pthread_create(&t, NULL, last_thread, f))
		die("pthread_create");
	pthread_exit(NULL);
}

static void c5(void)
{
	struct op o;
	pid_t m, p;

	role("C5");
	m = fork();
	if (m < 0)
		die("fork");
	if (m == 0) {
		role("M");
		p = fork();
		if (p < 0)
			die("fork");
		if (p == 0) {
			while (getppid() == m)
				usleep(1000);
			role("O");
			do_files(2);
			if (chdir("/etc"))
				die("chdir /etc");
			open_file(&o, 1, "passwd", O_RDONLY);
			close_op(&o);
			exit_now();
		}
		exit_now();
	}
	reap(m);
	do_files(1);
	leader_exits_first();
}

static pid_t child(void (*fn)(void))
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		fn();
		exit_now();
	}
	return pid;
}

static int tree(void)
{
	char path[4096], tmp[4096], c;
	int done[2], fd, i;
	pid_t kids[5];

	/* not O_CLOEXEC: X, C2's exec, holds it too */
	if (pipe(done))
		die("pipe");
	role("P");
	kids[0] = child(c1);
	kids[1] = child(c2);
	kids[2] = child(c3);
	dpath(tmp, sizeof(tmp), "ready.tmp");
	dpath(path, sizeof(path), "ready");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dprintf(fd, "%d\n", (int)getpid()) < 0 || close(fd))
		die("%s", tmp);
	if (rename(tmp, path))
		die("%s", path);
	wait_for("go");
	kids[3] = child(c4);
	kids[4] = child(c5);
	do_files(0);
	for (i = 0; i < 5; i++)
		reap(kids[i]);
	close(done[1]);
	while (read(done[0], &c, 1) > 0)
		;
	return 0;
}

/* The list of files: DIR/list, NUL-separated. */
static void read_list(void)
{
	static char buf[65536];
	char path[4096];
	ssize_t n;
	size_t off = 0;
	int fd;

	dpath(path, sizeof(path), "list");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s", path);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		die("%s: empty or unreadable", path);
	close(fd);
	buf[n] = '\0';
	while (off < (size_t)n && nfiles < MAXFILES) {
		files[nfiles++] = buf + off;
		off += strlen(buf + off) + 1;
	}
}

/* The listed files once, then a failed open by a relative name. */
static int once(void)
{
	char name[64], path[4096], h[8192 + 1];
	struct op o;
	int fd, err;

	role("P");
	do_files(1);
	/* creat(2) */
	snprintf(name, sizeof(name), "new-%d", (int)getpid());
	dpath(path, sizeof(path), "files/");
	strcat(path, name);
	o.t0 = now();
	o.fd = syscall(SYS_creat, path, 0600);
	o.t1 = now();
	if (o.fd < 0)
		die("creat %s", path);
	o.flags = O_WRONLY | O_CREAT | O_TRUNC;
	o.opid = o.otid = getpid();
	o.oppid = getppid();
	snprintf(o.path, sizeof(o.path), "%s", path);
	close_op(&o);
	snprintf(name, sizeof(name), "missing-%d", (int)getpid());
	dpath(path, sizeof(path), "files");
	if (chdir(path))
		die("chdir %s", path);
	fd = syscall(SYS_openat, AT_FDCWD, name, O_RDONLY);
	err = errno;
	if (fd >= 0)
		die("%s/%s exists", path, name);
	dpath(path, sizeof(path), "files/");
	strcat(path, name);
	hex(h, path);
	say("failed %d %d %d %s\n", (int)getpid(), (int)gettid(), err, h);
	return 0;
}

static int other(void)
{
	char path[4096];
	long rounds = 0;
	int i, fd;

	dpath(path, sizeof(path), "stop");
	while (access(path, F_OK)) {
		for (i = 0; i < nfiles; i++) {
			fd = sys_open(i + rounds, AT_FDCWD, files[i], O_RDONLY);
			if (fd >= 0)
				syscall(SYS_close, fd);
		}
		rounds++;
		usleep(500);
	}
	dpath(path, sizeof(path), "other");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dprintf(fd, "%d %ld\n", (int)getpid(), rounds) < 0)
		die("%s", path);
	return close(fd) != 0;
}

/* hold's thread: a thread id to name the process by (-p TID). */
static void *held_thread(void *arg)
{
	say("role HT %d\n", (int)gettid());
	wait_for("release");
	return arg;
}

static int hold(const char *file)
{
	static char h[sizeof(((struct op *)0)->path) * 2 + 1];
	struct op o;
	pthread_t t;

	role("H");
	open_file(&o, 1, file, O_RDONLY);
	hex(h, o.path);
	say("open %d %d %d - - %d %d %d %d %lld %lld - - %s\n", (int)o.opid,
	    (int)o.otid, o.fd, (int)o.opid, (int)o.otid, (int)o.oppid,
	    o.flags, o.t0, o.t1, h);
	if (pthread_create(&t, NULL, held_thread, NULL))
		die("pthread_create");
	wait_for("release");
	pthread_join(t, NULL);
	/* its open was before anyone watched: no open's end */
	syscall(SYS_close, o.fd);
	open_file(&o, 1, file, O_RDONLY);
	close_op(&o);
	return 0;
}

/* A close filemon does not see: close-on-exec set by ioctl(FIOCLEX), then
 * the exec; the new image opens F2, which takes F1's fd. */
static int fioclex(const char *f1, const char *f2)
{
	struct op o;
	char fd[16];

	role("P");
	open_file(&o, 1, f1, O_RDONLY);
	if (ioctl(o.fd, FIOCLEX))
		die("ioctl FIOCLEX");
	snprintf(fd, sizeof(fd), "%d", o.fd);
	ended(&o, "exec", "-", now(), "E");
	execl(self, self, "fioclex2", dir, f2, fd, (char *)NULL);
	die("exec %s", self);
	return 1;
}

static int fioclex2(const char *f2, int fd)
{
	struct op o;

	say("exec %d %lld\n", (int)getpid(), now());
	open_file(&o, 1, f2, O_RDONLY);
	if (o.fd != fd)
		die("%s: fd %d, not the exec's closed %d", f2, o.fd, fd);
	close_op(&o);
	return 0;
}

/* A close filemon does not see as this process's: S, sharing the fd
 * table, closes F1; F2 then takes its fd. */
static int cfiles(const char *f1, const char *f2)
{
	struct op o, o2;
	pid_t s;
	int st;

	role("P");
	open_file(&o, 1, f1, O_RDONLY);
	s = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
	if (s < 0)
		die("clone");
	if (s == 0) {
		role("S");
		close_op(&o);	/* inherited, via close */
		_exit(0);
	}
	if (waitpid(s, &st, 0) != s || !WIFEXITED(st) || WEXITSTATUS(st))
		die("S");
	say("reaped %d %lld\n", (int)s, now());
	open_file(&o2, 1, f2, O_RDONLY);
	if (o2.fd != o.fd)
		die("%s: fd %d, not S's closed %d", f2, o2.fd, o.fd);
	close_op(&o2);
	return 0;
}

int main(int argc, char **argv)
{
	static char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	/* what C2 execs: this program under its own name (its comm) */
	if (n <= 0)
		die("/proc/self/exe");
	exe[n] = '\0';
	self = exe;
	if (argc == 2 && !strcmp(argv[1], "now")) {
		printf("%lld\n", now());
		return 0;
	}
	if (argc < 3)
		goto usage;
	dir = argv[2];
	if (argc == 4 && !strcmp(argv[1], "hold"))
		return hold(argv[3]);
	if (argc == 5 && !strcmp(argv[1], "fioclex"))
		return fioclex(argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "cfiles"))
		return cfiles(argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "fioclex2"))
		return fioclex2(argv[3], atoi(argv[4]));
	if (argc != 3 && strcmp(argv[1], "execd"))
		goto usage;
	read_list();
	if (!strcmp(argv[1], "tree"))
		return tree();
	if (!strcmp(argv[1], "once"))
		return once();
	if (!strcmp(argv[1], "other"))
		return other();
	if (argc == 5 && !strcmp(argv[1], "execd"))
		return execd(argv + 3);
usage:
	fprintf(stderr, "usage: ftree tree|once|other DIR | ftree hold DIR FILE"
		" | ftree now\n");
	return 2;
}
