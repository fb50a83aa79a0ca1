/* child: the -c command. Forked early (its pid is $target), held on a pipe
 * until every probe is attached, killed with everything below it when ply
 * stops it, and dead with ply if ply dies (PR_SET_PDEATHSIG). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>


#include <bpf/libbpf.h>

#include "rt.h"

/* ---- the -c command ---- */

void child_reap(struct runtime *rt, int options)
{
	int status;
	pid_t r;

	if (!rt->child || rt->child_done)
		return;
	do
		r = waitpid(rt->child, &status, options);
	while (r < 0 && errno == EINTR);
	if (r != rt->child)
		return;
	rt->child_done = 1;
	close_fd(&rt->child_pidfd);
	if (rt->debug) {
		if (WIFEXITED(status))
			out_msg(rt->out, "command exited with status %d",
				WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			out_msg(rt->out, "command killed by signal %d",
				WTERMSIG(status));
	}
}

/* A child that ply no longer waits for dies with it, started or not. */
/* The parent of pid, from /proc/pid/stat ("pid (comm) state ppid ..."),
 * or 0. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 1, " %*c %d", &ppid);
	fclose(f);
	return ppid;
}

/* Kill every process below the command's shell too: a command that ply
 * stops (exit(), Ctrl-C on ply alone, an error) goes whole. Found by
 * walking /proc; a process is below when its parent chain reaches root. */
static void descendants_kill(pid_t root)
{
	pid_t *pids = NULL, *par = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	int found = 1;
	DIR *d = opendir("/proc");

	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t pid = atoi(de->d_name);

		if (pid <= 0)
			continue;
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 256;
			pid_t *np = realloc(pids, nc * sizeof(*np));
			pid_t *npar = np ? realloc(par, nc * sizeof(*npar)) : NULL;

			if (np)
				pids = np;
			if (!npar)
				break;
			par = npar;
			cap = nc;
		}
		pids[n] = pid;
		par[n++] = parent_of(pid);
	}
	closedir(d);
	/* mark: par[i] = -1 once pids[i] is known to be below root */
	while (found) {
		found = 0;
		for (i = 0; i < n; i++) {
			size_t j;

			if (par[i] == -1 || !par[i])
				continue;
			if (par[i] == root) {
				par[i] = -1;
				found = 1;
				continue;
			}
			for (j = 0; j < n; j++)
				if (pids[j] == par[i] && par[j] == -1) {
					par[i] = -1;
					found = 1;
					break;
				}
		}
	}
	for (i = 0; i < n; i++)
		if (par[i] == -1)
			kill(pids[i], SIGKILL);
	free(pids);
	free(par);
}

void child_kill(struct runtime *rt)
{
	if (!rt->child || rt->child_done)
		return;
	kill(rt->child, SIGSTOP);	/* no new children while we look */
	descendants_kill(rt->child);
	kill(rt->child, SIGKILL);
	child_reap(rt, 0);
}

/* In the child: wait for the go byte; without it (ply failed or died) run
 * nothing. */
static _Noreturn void child_run(int go[2], pid_t parent, const char *cmd)
{
	sigset_t none;
	ssize_t n;
	char c = 0;

	close(go[1]);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	do
		n = read(go[0], &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || c != 'g')
		_exit(1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

int runtime__spawn(struct runtime *rt, const char *cmd)
{
	int go[2] = { -1, -1 }, err = 0, pidfd;
	pid_t parent = getpid(), pid;

	if (rt->child)
		return -EBUSY;
	if (pipe2(go, O_CLOEXEC)) {
		err = -errno;
		fprintf(rt->err, "ply: command '%s': failed to create a pipe: %s\n",
			cmd, strerror(-err));
		goto cleanup;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		fprintf(rt->err, "ply: command '%s': failed to fork: %s\n",
			cmd, strerror(-err));
		goto cleanup;
	}
	if (pid == 0)
		child_run(go, parent, cmd);

	pidfd = syscall(SYS_pidfd_open, pid, 0);
	rt->child = pid;
	if (pidfd < 0) {
		err = -errno;
		fprintf(rt->err, "ply: command '%s': pidfd_open failed: %s\n",
			cmd, strerror(-err));
		child_kill(rt);
		rt->child = 0;
		goto cleanup;
	}
	rt->child_pidfd = pidfd;
	rt->child_go = go[1];
	go[1] = -1;
cleanup:
	close_fd(&go[0]);
	close_fd(&go[1]);
	if (err)
		rt->failed = 1;
	return err;
}

pid_t runtime__child(const struct runtime *rt)
{
	return rt->child;
}


/* Write the go byte without dying of SIGPIPE if the child is gone. */
static ssize_t go_write(int fd)
{
	sigset_t pipe_set, old;
	struct timespec zero = { 0, 0 };
	ssize_t n;
	int saved;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	n = write(fd, "g", 1);
	saved = errno;
	if (n < 0 && saved == EPIPE && !sigismember(&old, SIGPIPE))
		sigtimedwait(&pipe_set, NULL, &zero);
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return n;
}

int runtime__start(struct runtime *rt)
{
	ssize_t n;

	/* exit() in BEGIN ended the session before it began: the command
	 * is never run, runtime__free kills it. */
	if (!rt->child || rt->child_go < 0 || rt->stop)
		return 0;
	/* a signal the command sends at once waits for the loop */
	if (sig_block(rt))
		return -errno;
	n = go_write(rt->child_go);
	close_fd(&rt->child_go);
	if (n != 1) {
		fprintf(rt->err, "ply: command could not be started: %s\n",
			n < 0 ? strerror(errno) : "short write");
		rt->failed = 1;
		return n < 0 ? -errno : -EIO;
	}
	return 0;
}

