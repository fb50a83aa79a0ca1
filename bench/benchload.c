/* benchload: the traced workload of the bench. Its name is its comm, so a
 * tracer's output can be filtered down to the calls it made.
 *
 *   benchload open PATH N [REPORT]     openat(PATH)+close N times
 *   benchload getppid N PROCS [REPORT] PROCS processes, pinned round robin
 *                                      to the CPUs, N getppid() calls each
 *   benchload stamp FILE               write CLOCK_MONOTONIC (ns) to FILE
 *   benchload getcwd N [SECONDS]       N getcwd() calls, the i-th (from 0)
 *                                      with a buffer of 2^(i % 8) * 64
 *                                      bytes, then sleep SECONDS: the
 *                                      metrics tests' known workload
 *   benchload keys N                   N getcwd() calls with sizes 1 to N:
 *                                      as many keys for a map by size
 *
 * open and getppid time their own loop and write "loop_ns=T calls=C" to
 * REPORT (default: stdout): the tracer's start-up and tear-down stay out
 * of the figure. Calls go through syscall(2) so the C library cannot add
 * or merge any.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int report(const char *path, int64_t ns, long calls)
{
	FILE *f = path ? fopen(path, "w") : stdout;

	if (!f) {
		perror(path);
		return 1;
	}
	fprintf(f, "loop_ns=%lld calls=%ld\n", (long long)ns, calls);
	return path ? fclose(f) != 0 : fflush(f) != 0;
}

static void pin(int i)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(i % (ncpu > 0 ? ncpu : 1), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int open_load(const char *path, long n, const char *rep)
{
	int64_t t0;
	long k, ok = 0;

	t0 = now_ns();
	for (k = 0; k < n; k++) {
		long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);

		if (fd >= 0) {
			syscall(SYS_close, fd);
			ok++;
		}
	}
	if (ok != n) {
		fprintf(stderr, "benchload: %ld of %ld opens of %s failed\n",
			n - ok, n, path);
		return 1;
	}
	return report(rep, now_ns() - t0, n);
}

static int getppid_load(long n, int procs, const char *rep)
{
	int i, status, ret = 0;
	int64_t t0 = now_ns();

	for (i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			long k;

			pin(i);
			for (k = 0; k < n; k++)
				syscall(SYS_getppid);
			_exit(0);
		}
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			ret = 1;
	return ret ? ret : report(rep, now_ns() - t0, n * procs);
}

static int stamp(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return 1;
	fprintf(f, "%lld\n", (long long)now_ns());
	return fclose(f) != 0;
}

/* getcwd(2) is a call that nothing else in a test run makes. */
static int getcwd_load(long n, int secs, int distinct)
{
	static char buf[8192];
	long i;

	for (i = 0; i < n; i++)
		syscall(SYS_getcwd, buf, distinct ? (size_t)i + 1 :
			(size_t)64 << (i % 8));
	if (secs > 0)
		sleep(secs);
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "open"))
		return open_load(argv[2], atol(argv[3]), argc == 5 ? argv[4] : NULL);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "getppid"))
		return getppid_load(atol(argv[2]), atoi(argv[3]),
				    argc == 5 ? argv[4] : NULL);
	if (argc == 3 && !strcmp(argv[1], "stamp"))
		return stamp(argv[2]);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "getcwd"))
		return getcwd_load(atol(argv[2]), argc == 4 ? atoi(argv[3]) : 0, 0);
	if (argc == 3 && !strcmp(argv[1], "keys"))
		return getcwd_load(atol(argv[2]), 0, 1);
	fprintf(stderr, "usage: benchload open PATH N [REPORT] | "
		"getppid N PROCS [REPORT] | stamp FILE | getcwd N [SECONDS] | "
		"keys N\n");
	return 2;
}
