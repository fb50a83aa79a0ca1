/* driver: runs one command and measures it, for bench/run.
 *
 *   driver [-o OUT] [-e ERR] [-t SECONDS] -- CMD ARGS...
 *
 * Starts CMD (stdin from /dev/null, stdout and stderr to OUT and ERR, or
 * /dev/null), waits for it and prints one line on its own stdout:
 *
 *   start_ns=S wall_ns=W maxrss_kb=R status=X
 *
 * S is CLOCK_MONOTONIC just before fork(), so a stamp the command takes
 * with the same clock (benchload stamp) can be placed on the same axis.
 * W runs from there to the moment wait4() returns. R is the peak resident
 * set of CMD or of any descendant it waited for (the kernel keeps the
 * largest, not the sum). X is the exit code, 128+N for signal N, or
 * "timeout" when CMD (its whole process group) was killed after SECONDS.
 * The driver's own exit code is 0 whenever it measured something.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int open_out(const char *path)
{
	return open(path ? path : "/dev/null",
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

/* In the child: own process group (so a timeout kills all of it), then
 * the redirections, then exec. Any failure is exit 127, as in a shell. */
static void child(char **argv, int out, int err)
{
	int in = open("/dev/null", O_RDONLY);
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	execvp(argv[0], argv);
	fprintf(stderr, "driver: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Waits for pid, at most timeout_s seconds (0: no limit); SIGCHLD is
 * blocked by the caller so sigtimedwait() sees it. Returns 1 on timeout. */
static int wait_child(pid_t pid, int timeout_s, int *status, struct rusage *ru)
{
	int64_t deadline = now_ns() + (int64_t)timeout_s * 1000000000;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		pid_t r = wait4(pid, status, WNOHANG, ru);
		int64_t left = deadline - now_ns();
		struct timespec ts;

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (timeout_s && left <= 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			wait4(pid, status, 0, ru);
			return 1;
		}
		ts.tv_sec = timeout_s ? left / 1000000000 : 3600;
		ts.tv_nsec = timeout_s ? left % 1000000000 : 0;
		sigtimedwait(&set, NULL, &ts);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: driver [-o OUT] [-e ERR] [-t SECONDS] -- CMD ARGS...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *outp = NULL, *errp = NULL;
	int timeout_s = 0, out, err, status = 0, opt, timed_out;
	struct rusage ru;
	int64_t t0, t1;
	sigset_t set;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+o:e:t:")) != -1) {
		switch (opt) {
		case 'o': outp = optarg; break;
		case 'e': errp = optarg; break;
		case 't': timeout_s = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	out = open_out(outp);
	err = open_out(errp);
	if (out < 0 || err < 0) {
		perror("driver: output file");
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);

	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("driver: fork");
		return 1;
	}
	if (pid == 0)
		child(argv + optind, out, err);
	setpgid(pid, pid);	/* also here: no race with a quick kill */
	memset(&ru, 0, sizeof(ru));
	timed_out = wait_child(pid, timeout_s, &status, &ru);
	t1 = now_ns();
	if (timed_out < 0) {
		perror("driver: wait4");
		return 1;
	}
	printf("start_ns=%lld wall_ns=%lld maxrss_kb=%ld status=", (long long)t0,
	       (long long)(t1 - t0), ru.ru_maxrss);
	if (timed_out)
		printf("timeout\n");
	else if (WIFSIGNALED(status))
		printf("%d\n", 128 + WTERMSIG(status));
	else
		printf("%d\n", WEXITSTATUS(status));
	return 0;
}
