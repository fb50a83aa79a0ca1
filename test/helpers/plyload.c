/* plyload: makes an exact, known number of system calls, so tests can
 * check that ply counted every one of them.
 *
 *   plyload getppid N P   P processes, one pinned per CPU (round robin),
 *                         each calling getppid() N times; with P = 0,
 *                         the calls are made by plyload itself
 *   plyload open PATH N   open()+close() PATH N times
 *   plyload read N        read() one byte from /dev/zero N times
 *   plyload fork N FILE   fork N children, one after the other, each
 *                         exiting at once; FILE gets "PARENT -> CHILD"
 *                         (pids) for each, the ground truth of a fork probe
 *   plyload opens OP ARG.. each OP once, in order, through syscall(2):
 *                         cd DIR; open PATH (SYS_open); openat PATH;
 *                         at DIR NAME (openat on an fd of DIR);
 *                         at2 DIR NAME (openat2 likewise, O_RDONLY|O_CLOEXEC);
 *                         creat PATH (mode 0600); then unlink PATH
 *   plyload sizes L1 L2.. one process per list, pinned to CPU i, each
 *                         read()ing /dev/zero once for each size of its
 *                         comma-separated list ("1,2,300"), one after
 *                         the other, under their parent's name with
 *                         an 'r' added (so the loader's reads before
 *                         them are not theirs)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void pin(int i)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(i % (ncpu > 0 ? ncpu : 1), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int getppid_load(long n, int procs)
{
	int i, status, ret = 0;
	long k;

	if (procs == 0) {
		for (k = 0; k < n; k++)
			syscall(SYS_getppid);
		return 0;
	}
	for (i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			pin(i);
			for (k = 0; k < n; k++)
				syscall(SYS_getppid);
			_exit(0);
		}
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			ret = 1;
	return ret;
}

static int open_load(const char *path, long n)
{
	long k;

	for (k = 0; k < n; k++) {
		int fd = open(path, O_RDONLY);

		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int read_load(long n)
{
	int fd = open("/dev/zero", O_RDONLY);
	char c;
	long k;

	if (fd < 0)
		return 1;
	for (k = 0; k < n; k++)
		if (read(fd, &c, 1) != 1)
			return 1;
	close(fd);
	return 0;
}

static int fork_load(long n, const char *path)
{
	FILE *out = fopen(path, "w");
	int status;
	long k;

	if (!out)
		return 1;
	for (k = 0; k < n; k++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0)
			_exit(0);
		fprintf(out, "%d -> %d\n", (int)getpid(), (int)pid);
		waitpid(pid, &status, 0);
	}
	return fclose(out) != 0;
}

static long close_ret(long fd)
{
	if (fd >= 0)
		close(fd);
	return fd;
}

/* The file tools' cases: each kind of open, with relative names. */
static int opens(int argc, char **argv)
{
	struct { uint64_t flags, mode, resolve; } how = {
		O_RDONLY | O_CLOEXEC, 0, 0 };
	int i, dfd;

	for (i = 0; i < argc; i++) {
		const char *op = argv[i], *a = i + 1 < argc ? argv[i + 1] : NULL;
		const char *b = i + 2 < argc ? argv[i + 2] : NULL;

		if (!a)
			return 2;
		if (!strcmp(op, "cd")) {
			if (chdir(a))
				return 1;
		} else if (!strcmp(op, "open")) {
			close_ret(syscall(SYS_open, a, O_RDONLY));
		} else if (!strcmp(op, "openat")) {
			close_ret(syscall(SYS_openat, AT_FDCWD, a, O_RDONLY));
		} else if (!strcmp(op, "creat")) {
			close_ret(syscall(SYS_creat, a, 0600));
			unlink(a);
		} else if ((!strcmp(op, "at") || !strcmp(op, "at2")) && b) {
			dfd = open(a, O_RDONLY | O_DIRECTORY);
			if (dfd < 0)
				return 1;
			if (op[2])
				close_ret(syscall(SYS_openat2, dfd, b, &how,
						  sizeof(how)));
			else
				close_ret(syscall(SYS_openat, dfd, b, O_RDONLY));
			close(dfd);
			i++;
		} else {
			return 2;
		}
		i++;
	}
	return 0;
}

static int sizes_one(const char *list)
{
	static char buf[1 << 16];
	int fd = open("/dev/zero", O_RDONLY);
	char *end, name[17] = "";
	long n;

	prctl(PR_GET_NAME, name);
	name[14] = '\0';
	strcat(name, "r");
	prctl(PR_SET_NAME, name);
	if (fd < 0)
		return 1;
	while (*list) {
		n = strtol(list, &end, 10);
		if (end == list || n < 0 || n > (long)sizeof(buf))
			return 1;
		if (read(fd, buf, n) != n)
			return 1;
		list = *end == ',' ? end + 1 : end;
	}
	close(fd);
	return 0;
}

/* One after the other, so each list's reads are all on its CPU. */
static int sizes_load(int nlists, char **lists)
{
	int i, status, ret = 0;
	pid_t pid;

	for (i = 0; i < nlists; i++) {
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			pin(i);
			_exit(sizes_one(lists[i]));
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			ret = 1;
	}
	return ret;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "fork"))
		return fork_load(atol(argv[2]), argv[3]);
	if (argc >= 2 && !strcmp(argv[1], "opens"))
		return opens(argc - 2, argv + 2);
	if (argc >= 3 && !strcmp(argv[1], "sizes"))
		return sizes_load(argc - 2, argv + 2);
	if (argc == 3 && !strcmp(argv[1], "read"))
		return read_load(atol(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "getppid"))
		return getppid_load(atol(argv[2]), atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "open"))
		return open_load(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: plyload getppid N PROCS | open PATH N | read N | "
		"fork N FILE | opens OP ARG... | sizes LIST...\n");
	return 2;
}
