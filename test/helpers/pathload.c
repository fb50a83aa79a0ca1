/* pathload: opens files in the places a path walk can go wrong, and writes
 * down what the kernel itself says each one is, for the paths test to hold
 * ply's fdpath() and cwd against.
 *
 *   pathload RECORD DIR
 *
 * In a mount namespace of its own (so its mounts vanish with it), under
 * DIR: nested directories, a relative open after chdir, openat with a
 * directory fd, a tmpfs mount, a bind mount, files under /proc, /dev and
 * /sys, a file deleted while open, a path longer than ply's bound, a name
 * with spaces, a newline and bytes that are not UTF-8, a pipe, a socket, a
 * memfd and an eventfd, and last a chroot.
 * For each open file it writes to RECORD
 *     fd N <readlink /proc/self/fd/N>
 *     cwd N <getcwd()>
 * (escaped as ply escapes strings) and then calls lseek(N, 0, SEEK_CUR),
 * where the test's probe reads fdpath(N) and cwd. Files stay open, so
 * every N is different. Last it calls lseek on fd 9999, which is not
 * open: "fd 9999 " with no path. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int rec = -1, procfd = -1;

/* Not dprintf: glibc's calls lseek on the record, which the test traces. */
static void put(const char *fmt, ...)
{
	char line[4 * 8192 + 64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (write(rec, line, n) != n)
		exit(1);
}

static void die(const char *what)
{
	fprintf(stderr, "pathload: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* As ply prints a string: \\ \n \t \r, printable ASCII, and \xNN for the
 * rest (the names here have no valid multi-byte UTF-8). */
static void escape(char *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '\\')
			out += sprintf(out, "\\\\");
		else if (c == '\n')
			out += sprintf(out, "\\n");
		else if (c == '\t')
			out += sprintf(out, "\\t");
		else if (c == '\r')
			out += sprintf(out, "\\r");
		else if (c >= 0x20 && c < 0x7f)
			*out++ = c;
		else
			out += sprintf(out, "\\x%02x", c);
	}
	*out = 0;
}

static void note(int fd)
{
	char name[32], link[8192], cwd[8192], esc[4 * 8192 + 1];
	ssize_t n;

	snprintf(name, sizeof(name), "%d", fd);
	n = readlinkat(procfd, name, link, sizeof(link));
	if (n < 0)
		die("readlink");
	escape(esc, link, n);
	put("fd %d %s\n", fd, esc);
	if (!getcwd(cwd, sizeof(cwd)))
		die("getcwd");
	escape(esc, cwd, strlen(cwd));
	put("cwd %d %s\n", fd, esc);
	lseek(fd, 0, SEEK_CUR);
}

static int open_note(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die(path);
	note(fd);
	return fd;
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	if (fd < 0)
		die(path);
	close(fd);
}

static void mkdirs(const char *path)
{
	char p[4096], *s;

	snprintf(p, sizeof(p), "%s", path);
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

int main(int argc, char **argv)
{
	char p[4 * 4096 + 1], q[4096];
	const char *dir;
	size_t len;
	int fd, i;

	if (argc != 3) {
		fprintf(stderr, "usage: pathload RECORD DIR\n");
		return 2;
	}
	dir = argv[2];
	rec = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	procfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
	if (rec < 0 || procfd < 0)
		die("record or /proc/self/fd");
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		die("a mount namespace");

	/* nested directories */
	snprintf(p, sizeof(p), "%s/n1/n2/n3/n4", dir);
	mkdirs(p);
	snprintf(p, sizeof(p), "%s/n1/n2/n3/n4/file", dir);
	touch(p);
	open_note(p);

	/* relative, after chdir */
	snprintf(p, sizeof(p), "%s/n1/n2", dir);
	if (chdir(p))
		die("chdir");
	open_note("n3/n4/file");
	open_note("../n2/./n3/../n3/n4/file");

	/* openat with a directory fd; the directory itself */
	snprintf(p, sizeof(p), "%s/n1", dir);
	i = open(p, O_RDONLY | O_DIRECTORY);
	if (i < 0)
		die(p);
	note(i);
	fd = openat(i, "n2/n3/n4/file", O_RDONLY);
	if (fd < 0)
		die("openat");
	note(fd);

	/* a tmpfs mount, and a working directory inside it */
	snprintf(p, sizeof(p), "%s/t", dir);
	mkdirs(p);
	if (mount("tmpfs", p, "tmpfs", 0, NULL))
		die("mount tmpfs");
	snprintf(p, sizeof(p), "%s/t/sub", dir);
	mkdirs(p);
	snprintf(p, sizeof(p), "%s/t/sub/file", dir);
	touch(p);
	open_note(p);
	snprintf(p, sizeof(p), "%s/t", dir);
	if (chdir(p))
		die("chdir tmpfs");
	open_note("sub/file");
	open_note(".");

	/* a bind mount of a directory deep inside another */
	snprintf(p, sizeof(p), "%s/b", dir);
	mkdirs(p);
	snprintf(q, sizeof(q), "%s/n1/n2", dir);
	if (mount(q, p, NULL, MS_BIND, NULL))
		die("bind mount");
	snprintf(p, sizeof(p), "%s/b/n3/n4/file", dir);
	open_note(p);
	/* a mount on top of a mount on the same directory */
	snprintf(p, sizeof(p), "%s/b/n3", dir);
	if (mount("tmpfs", p, "tmpfs", 0, NULL))
		die("mount over");
	snprintf(p, sizeof(p), "%s/b/n3/over", dir);
	touch(p);
	open_note(p);

	/* the kernel's own file systems */
	if (chdir(dir))
		die("chdir dir");
	open_note("/proc/self/status");
	open_note("/dev/null");
	open_note("/sys/devices/system/cpu/online");

	/* deleted while open */
	snprintf(p, sizeof(p), "%s/gone", dir);
	touch(p);
	fd = open(p, O_RDONLY);
	if (fd < 0 || unlink(p))
		die("gone");
	note(fd);

	/* a name with a space, a newline and bytes that are not UTF-8 */
	snprintf(p, sizeof(p), "%s/sp ace\nnew\xff\xfeline", dir);
	touch(p);
	open_note(p);

	/* longer than ply's 255 bytes */
	len = snprintf(p, sizeof(p), "%s", dir);
	for (i = 0; i < 30; i++)
		len += snprintf(p + len, sizeof(p) - len, "/long-%04d", i);
	mkdirs(p);
	snprintf(p + len, sizeof(p) - len, "/file");
	touch(p);
	open_note(p);

	/* in no directory tree: named as /proc names them */
	{
		int pfd[2];

		if (pipe(pfd))
			die("pipe");
		note(pfd[0]);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		note(fd);
		fd = memfd_create("ply-memfd", 0);
		if (fd < 0)
			die("memfd_create");
		note(fd);
		fd = eventfd(0, 0);
		if (fd < 0)
			die("eventfd");
		note(fd);
	}

	/* not open: no path */
	put("fd 9999 \n");
	if (!getcwd(q, sizeof(q)))
		die("getcwd");
	escape(p, q, strlen(q));
	put("cwd 9999 %s\n", p);
	lseek(9999, 0, SEEK_CUR);

	/* a chroot: paths as the process inside sees them */
	snprintf(p, sizeof(p), "%s/root/etc", dir);
	mkdirs(p);
	snprintf(p, sizeof(p), "%s/root/etc/f", dir);
	touch(p);
	snprintf(p, sizeof(p), "%s/root", dir);
	if (chroot(p) || chdir("/etc"))
		die("chroot");
	open_note("f");
	open_note("/");
	return 0;
}
