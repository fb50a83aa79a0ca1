/* child: the -c command. Run through a guard process:
 *
 *	ply ── guard (a subreaper) ── the command ── what it starts
 *
 * The command is forked early (its pid is $target) and held on a pipe
 * until every probe is attached. A simple command is exec'd itself, not
 * through a shell, so that $target is its pid. The guard reports the
 * command's pid, a failed exec and its exit on a pipe; every process the
 * command starts stays below the guard (orphans are reparented to it),
 * and when ply closes the guard's "life" pipe, or dies however it dies
 * (the kernel closes it then), the guard kills the whole tree.
 *
 * The guard and the held command are forks of a process that may have
 * threads (ply is a library): they make only async-signal-safe calls. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "rt.h"

/* What the guard (and a command that could not exec) tell ply. */
struct child_msg {
	int32_t tag;
	int32_t val;
};

enum {
	MSG_PID = 'P',		/* val: the command's pid */
	MSG_FORK = 'F',		/* val: errno of the guard's fork */
	MSG_EXEC = 'E',		/* val: errno of the command's exec */
	MSG_EXIT = 'X',		/* val: the command's wait status */
};

/* ---- the command line: words, or a shell ---- */

/* Shell words that are not programs: putting `exec` before them, or
 * exec'ing them, would break the command. */
static const char *const shell_words[] = {
	"!", "{", "}", "[[", ".", ":", "alias", "bg", "break", "case", "cd",
	"command", "continue", "declare", "do", "done", "elif", "else",
	"esac", "eval", "exec", "exit", "export", "fc", "fg", "fi", "for",
	"function", "getopts", "hash", "if", "jobs", "let", "local",
	"readonly", "read", "return", "select", "set", "shift", "source",
	"then", "time", "times", "trap", "type", "typeset", "ulimit",
	"umask", "unalias", "unset", "until", "wait", "while",
};

static int word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("_-./,:+@%^", c);
}

/* The first word of s (up to a blank), if it is a plain word naming a
 * program; its length, or 0. */
static size_t program_word(const char *s)
{
	size_t n = 0, i;

	while (s[n] && word_char(s[n]))
		n++;
	if (!n || (s[n] && s[n] != ' ' && s[n] != '\t'))
		return 0;
	for (i = 0; i < ARRAY_SIZE(shell_words); i++)
		if (strlen(shell_words[i]) == n && !strncmp(s, shell_words[i], n))
			return 0;
	return n;
}

/* A simple command: plain words separated by blanks (and '=' only after
 * the first, which would be an assignment). */
static int is_simple(const char *cmd)
{
	const char *c;

	cmd += strspn(cmd, " \t");
	if (!program_word(cmd))
		return 0;
	for (c = cmd; *c; c++)
		if (!word_char(*c) && *c != ' ' && *c != '\t' && *c != '=')
			return 0;
	return 1;
}

/* Where `exec ` can go in a shell command so that the shell becomes its
 * last command (dash does not do it itself): the offset of the last
 * command, or -1 when that is not safe. Safe is: no grouping, subshells,
 * command substitution, functions, traps, comments or here-documents
 * anywhere, and the last command a plain program (not a builtin) at the
 * start or after ';', '&', '&&', '||' or a newline (after a '|' it runs
 * in a subshell anyway). Quotes are skipped over. */
static long exec_point(const char *cmd)
{
	size_t i, last = 0;
	char q = 0;

	if (strstr(cmd, "trap") || strstr(cmd, "<<"))
		return -1;
	for (i = 0; cmd[i]; i++) {
		char c = cmd[i];

		if (q) {
			if (c == q)
				q = 0;
			else if (c == '\\' && q == '"' && cmd[i + 1])
				i++;
			else if (q == '"' && (c == '`' ||
					      (c == '$' && cmd[i + 1] == '(')))
				return -1;
			continue;
		}
		if (c == '\'' || c == '"') {
			q = c;
		} else if (c == '\\') {
			if (!cmd[++i])
				return -1;
		} else if (strchr("(){}`#", c)) {
			return -1;
		} else if (c == ';' || c == '\n') {
			if (cmd[i + 1] == ';')
				return -1;
			last = i + 1;
		} else if (c == '&' || c == '|') {
			if (c == '&' && i && (cmd[i - 1] == '>' ||
					      cmd[i - 1] == '<'))
				continue;	/* 2>&1 */
			if (cmd[i + 1] == c)
				i++;
			else if (c == '|')
				return -1;	/* a pipe: last is a subshell */
			last = i + 1;
		}
	}
	if (q)
		return -1;
	last += strspn(cmd + last, " \t\n");
	if (!program_word(cmd + last))
		return -1;
	return (long)last;
}

static char **argv_alloc(size_t nargs, size_t text)
{
	return malloc((nargs + 1) * sizeof(char *) + text + 1);
}

/* The argv to exec for cmd, in one allocation: its words when it is a
 * simple command, else sh -c with `exec` before its last command where
 * that is safe. */
char **command_argv(const char *cmd)
{
	size_t len = strlen(cmd), n = 0;
	char **argv, *s, *w;
	long at;

	if (is_simple(cmd)) {
		argv = argv_alloc(len / 2 + 1, len);
		if (!argv)
			return NULL;
		s = (char *)(argv + len / 2 + 2);
		memcpy(s, cmd, len + 1);
		for (w = strtok(s, " \t"); w; w = strtok(NULL, " \t"))
			argv[n++] = w;
		argv[n] = NULL;
		return argv;
	}
	at = exec_point(cmd);
	argv = argv_alloc(3, len + 5);
	if (!argv)
		return NULL;
	s = (char *)(argv + 4);
	if (at < 0) {
		memcpy(s, cmd, len + 1);
	} else {
		memcpy(s, cmd, at);
		memcpy(s + at, "exec ", 5);
		memcpy(s + at + 5, cmd + at, len - at + 1);
	}
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = s;
	argv[3] = NULL;
	return argv;
}

/* ---- in the guard and the command: async-signal-safe only ---- */

static void msg_send(int fd, int tag, int val)
{
	struct child_msg m = { tag, val };
	ssize_t n;

	do
		n = write(fd, &m, sizeof(m));
	while (n < 0 && errno == EINTR);
}

/* The command: wait for the go byte (without it, ply failed or died: run
 * nothing), take back ply's signal mask and the default action of the
 * signals ply catches, exec. A failed exec is reported on msg, which is
 * close-on-exec. */
static _Noreturn void command_run(int go, int msg, char **argv,
				  const sigset_t *mask)
{
	struct sigaction sa;
	ssize_t n;
	char c = 0;
	int sig;

	do
		n = read(go, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || c != 'g')
		_exit(1);
	for (sig = 1; sig < NSIG; sig++)
		if (!sigaction(sig, NULL, &sa) && sa.sa_handler != SIG_DFL &&
		    sa.sa_handler != SIG_IGN) {
			sa.sa_handler = SIG_DFL;
			sa.sa_flags = 0;
			sigaction(sig, &sa, NULL);
		}
	sigprocmask(SIG_SETMASK, mask, NULL);
	if (strcmp(argv[0], "sh"))
		execvp(argv[0], argv);
	else
		execv("/bin/sh", argv);
	msg_send(msg, MSG_EXEC, errno);
	_exit(127);
}

static int dec(const char *s, const char *end)
{
	int v = 0;

	for (; s < end && *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return v;
}

/* The parent of pid, from /proc/pid/stat ("pid (comm) state ppid ..."),
 * read with raw calls; 0 if gone. */
static pid_t ppid_of(const char *pid)
{
	char path[64] = "/proc/", buf[512], *p = NULL, *e;
	size_t n = strlen(path);
	ssize_t r;
	int fd;

	while (*pid && n < sizeof(path) - 6)
		path[n++] = *pid++;
	memcpy(path + n, "/stat", 6);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return 0;
	buf[r] = '\0';
	for (e = buf; *e; e++)
		if (*e == ')')
			p = e;
	if (!p || p + 4 >= buf + r)
		return 0;
	p += 4;		/* ") S " */
	for (e = p; *e >= '0' && *e <= '9'; e++)
		;
	return dec(p, e);
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* SIGKILL every child of this process; how many there were. */
static int children_kill(void)
{
	char buf[4096];
	pid_t self = getpid();
	int fd, n = 0;
	long r, off;

	fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while ((r = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
		for (off = 0; off < r;) {
			struct linux_dirent64 *d = (void *)(buf + off);

			off += d->d_reclen;
			if (d->d_name[0] < '1' || d->d_name[0] > '9' ||
			    ppid_of(d->d_name) != self)
				continue;
			kill(dec(d->d_name, d->d_name + strlen(d->d_name)),
			     SIGKILL);
			n++;
		}
	close(fd);
	return n;
}

/* Kill the tree: a killed process's children come to the guard (the
 * subreaper) before it can be reaped, so rounds of kill-then-reap end
 * when nothing is left; a killed process forks nothing more. */
static void tree_kill(void)
{
	struct timespec ms = { 0, 1000000 };
	pid_t w;
	int n;

	for (;;) {
		n = children_kill();
		w = waitpid(-1, NULL, n ? 0 : WNOHANG);
		if (w < 0 && errno == ECHILD)
			break;
		if (!w)		/* one that /proc did not show yet */
			nanosleep(&ms, NULL);
	}
}

/* Close what an exec would close (the host's close-on-exec fds: its BPF
 * objects, sockets, ply's epoll), since the guard never execs; keep the
 * three pipes. Fds without close-on-exec are the command's to inherit. */
static void cloexec_close(int keep0, int keep1, int keep2)
{
	char buf[1024];
	long r, off;
	int dir, fd, fl;

	dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return;
	while ((r = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0)
		for (off = 0; off < r;) {
			struct linux_dirent64 *d = (void *)(buf + off);

			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			fd = dec(d->d_name, d->d_name + strlen(d->d_name));
			if (fd == dir || fd == keep0 || fd == keep1 ||
			    fd == keep2)
				continue;
			fl = fcntl(fd, F_GETFD);
			if (fl >= 0 && (fl & FD_CLOEXEC))
				close(fd);
		}
	close(dir);
}

static _Noreturn void guard_run(int go, int msg, int life, char **argv,
				const sigset_t *mask)
{
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	sigset_t chld;
	pid_t cmd, w;
	int status, sfd;

	/* every signal stays blocked here (ply blocked them for the fork):
	 * the guard ends only when ply goes, or by SIGKILL */
	cloexec_close(go, msg, life);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	cmd = fork();
	if (cmd == 0) {
		close(life);
		command_run(go, msg, argv, mask);
	}
	close(go);
	if (cmd < 0 || sfd < 0) {
		msg_send(msg, MSG_FORK, errno);
		_exit(1);
	}
	msg_send(msg, MSG_PID, cmd);
	pfd[0] = (struct pollfd){ .fd = life, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[0].revents)
			break;	/* ply closed it, or is gone */
		if (!pfd[1].revents)
			continue;
		while (read(sfd, &si, sizeof(si)) > 0)
			;
		while ((w = waitpid(-1, &status, WNOHANG)) > 0)
			if (w == cmd)
				msg_send(msg, MSG_EXIT, status);
	}
	tree_kill();
	_exit(0);
}

/* ---- in ply ---- */

static void child_done(struct runtime *rt)
{
	rt->child_done = 1;
	close_fd(&rt->child_msg);
}

static void exit_report(struct runtime *rt, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) >= 126 &&
	    rt->child_argv_shell && !rt->child_failed) {
		/* the shell reserves these: it could not run a command */
		out_msg(rt->out, "command '%s' could not run (the shell "
			"exited with status %d)", rt->child_cmd,
			WEXITSTATUS(status));
		rt->child_failed = 1;
		rt->failed = 1;
	}
	if (!rt->debug)
		return;
	if (WIFEXITED(status))
		out_msg(rt->out, "command exited with status %d",
			WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		out_msg(rt->out, "command killed by signal %d",
			WTERMSIG(status));
}

/* Read what the guard said; the guard gone is the command gone. */
void child_msg_read(struct runtime *rt)
{
	struct child_msg m;
	ssize_t n;

	while (rt->child_msg >= 0) {
		n = read(rt->child_msg, &m, sizeof(m));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n != sizeof(m)) {
			child_done(rt);
			return;
		}
		if (m.tag == MSG_EXEC) {
			out_msg(rt->out, "command '%s' could not run: %s",
				rt->child_cmd, strerror(m.val));
			rt->child_failed = 1;
			rt->failed = 1;
		} else if (m.tag == MSG_EXIT) {
			exit_report(rt, m.val);
			child_done(rt);
		}
	}
}

/* Close the guard's life pipe: it kills the command and everything it
 * started; wait until it has. A command never released dies of the closed
 * go pipe first. */
void child_kill(struct runtime *rt)
{
	pid_t r;

	if (!rt->guard)
		return;
	close_fd(&rt->child_go);
	close_fd(&rt->child_life);
	do
		r = waitpid(rt->guard, NULL, 0);
	while (r < 0 && errno == EINTR);
	rt->guard = 0;
	if (!rt->child_done)
		child_done(rt);
}

/* The guard's first word: the command's pid. */
static int pid_read(struct runtime *rt, const char *cmd)
{
	struct child_msg m;
	ssize_t n;

	do
		n = read(rt->child_msg, &m, sizeof(m));
	while (n < 0 && errno == EINTR);
	if (n == sizeof(m) && m.tag == MSG_PID) {
		rt->child = m.val;
		return 0;
	}
	rt_msg(rt, "command '%s': failed to fork: %s\n", cmd,
	       n == sizeof(m) ? strerror(m.val) : "the guard process died");
	return n == sizeof(m) ? -m.val : -ECHILD;
}

static int pipes(int go[2], int msg[2], int life[2])
{
	if (pipe2(go, O_CLOEXEC) || pipe2(msg, O_CLOEXEC) ||
	    pipe2(life, O_CLOEXEC))
		return -errno;
	return 0;
}

int runtime__spawn(struct runtime *rt, const char *cmd)
{
	int go[2] = { -1, -1 }, msg[2] = { -1, -1 }, life[2] = { -1, -1 };
	sigset_t all, old;
	char **argv = NULL;
	pid_t pid;
	int err;

	if (rt->guard)
		return -EBUSY;
	argv = command_argv(cmd);
	err = argv ? pipes(go, msg, life) : -ENOMEM;
	if (err) {
		rt_msg(rt, "command '%s': failed to set up: %s\n",
		       cmd, strerror(-err));
		goto cleanup;
	}
	rt->child_cmd = strdup(cmd);
	if (!rt->child_cmd) {
		err = -ENOMEM;
		goto cleanup;
	}
	rt->child_argv_shell = !strcmp(argv[0], "sh");
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		close(msg[0]);
		close(life[1]);
		guard_run(go[0], msg[1], life[0], argv, &old);
	}
	err = pid < 0 ? -errno : 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (err) {
		rt_msg(rt, "command '%s': failed to fork: %s\n",
		       cmd, strerror(-err));
		goto cleanup;
	}
	rt->guard = pid;
	rt->child_go = go[1];
	rt->child_msg = msg[0];
	rt->child_life = life[1];
	go[1] = msg[0] = life[1] = -1;
	err = pid_read(rt, cmd);
	if (!err && fcntl(rt->child_msg, F_SETFL, O_NONBLOCK))
		err = -errno;
	if (!err)
		err = epoll_add(rt, rt->child_msg, TAG_CHILD);
	if (err)
		child_kill(rt);
cleanup:
	close_fd(&go[0]);
	close_fd(&go[1]);
	close_fd(&msg[0]);
	close_fd(&msg[1]);
	close_fd(&life[0]);
	close_fd(&life[1]);
	free(argv);
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

	/* exit() in BEGIN or a stop ended the session before it began: the
	 * command is never run, runtime__free kills it. */
	if (!rt->guard || rt->child_go < 0 || stopping(rt))
		return 0;
	do
		n = go_write(rt->child_go);
	while (n < 0 && errno == EINTR);
	close_fd(&rt->child_go);
	if (n != 1) {
		rt_msg(rt, "command could not be started: %s\n",
		       n < 0 ? strerror(errno) : "short write");
		rt->failed = 1;
		return n < 0 ? -errno : -EIO;
	}
	return 0;
}
