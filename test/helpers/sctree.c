/* sctree: a process tree that makes a known number of getppid() calls in
 * each of its processes, for the tests of ply's scope (-p, -n, -c, -F).
 *
 *   sctree tree DIR PLYLOAD   the tree below; DIR/ready gets the parent's
 *                             pid once its first three children exist,
 *                             then all wait for DIR/go; each process
 *                             appends "PID CALLS" to DIR/truth (CALLS: all
 *                             its threads made, an exec'd program too)
 *   sctree calls N            getppid() N times: the unrelated process
 *
 * The tree, P the process started:
 *   P   11 calls, after the go
 *   C1  started before the go; a thread makes 13 calls, C1 itself 12
 *   C2  started before; 14 calls, then execs PLYLOAD getppid 15 0
 *   C3  started before; 16 calls
 *   C4  started after the go; 17 calls; its child G 18
 *   C5  started after; forks M, which forks O and exits at once, so O is
 *       reparented (to init or a subreaper); C5 makes 19 calls, O 20
 *       once it has seen its new parent
 * P exits last: once every process of the tree, O too, has ended (they
 * all hold the write end of one pipe). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *dir;

static void calls(long n)
{
	long i;

	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static void truth(pid_t pid, int n)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/truth", dir);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0)
		_exit(3);
	dprintf(fd, "%d %d\n", (int)pid, n);
	close(fd);
}

static void wait_go(void)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/go", dir);
	while (access(path, F_OK))
		usleep(2000);
}

/* The parent as /proc says, without a getppid() call that would count. */
static pid_t parent(void)
{
	char buf[512], *p;
	int fd = open("/proc/self/stat", O_RDONLY), ppid = -1;
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	p = strrchr(buf, ')');
	if (p && sscanf(p + 2, "%*c %d", &ppid) != 1)
		ppid = -1;
	return ppid;
}

static void *thread_run(void *arg)
{
	calls(13);
	return arg;
}

static void c1(void)
{
	pthread_t t;

	wait_go();
	if (pthread_create(&t, NULL, thread_run, NULL))
		_exit(4);
	pthread_join(t, NULL);
	calls(12);
	truth(getpid(), 25);
}

static void c2(const char *plyload)
{
	wait_go();
	calls(14);
	truth(getpid(), 14 + 15);
	execl(plyload, "plyload", "getppid", "15", "0", (char *)NULL);
	_exit(5);
}

static void c4(void)
{
	pid_t g = fork();

	if (g == 0) {
		calls(18);
		truth(getpid(), 18);
		_exit(0);
	}
	calls(17);
	truth(getpid(), 17);
	waitpid(g, NULL, 0);
}

/* M forks O and exits: O waits to be an orphan, then calls. */
static void c5(void)
{
	pid_t m = fork(), o;

	if (m == 0) {
		o = fork();
		if (o == 0) {
			while (parent() == m)
				usleep(1000);
			calls(20);
			truth(getpid(), 20);
			_exit(0);
		}
		_exit(0);
	}
	waitpid(m, NULL, 0);
	calls(19);
	truth(getpid(), 19);
}

static pid_t child(void (*fn)(void))
{
	pid_t pid = fork();

	if (pid == 0) {
		fn();
		_exit(0);
	}
	return pid;
}

static const char *plyload_path;

static void c2_run(void)
{
	c2(plyload_path);
}

static void c3(void)
{
	wait_go();
	calls(16);
	truth(getpid(), 16);
}

static int tree(const char *plyload)
{
	char path[4096], tmp[4096], c;
	int done[2], fd;
	pid_t kids[5];
	int i;

	plyload_path = plyload;
	if (pipe(done))
		return 1;
	kids[0] = child(c1);
	kids[1] = child(c2_run);
	kids[2] = child(c3);
	snprintf(tmp, sizeof(tmp), "%s/ready.tmp", dir);
	snprintf(path, sizeof(path), "%s/ready", dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return 1;
	dprintf(fd, "%d\n", (int)getpid());
	close(fd);
	rename(tmp, path);
	wait_go();
	kids[3] = child(c4);
	kids[4] = child(c5);
	calls(11);
	truth(getpid(), 11);
	for (i = 0; i < 5; i++)
		waitpid(kids[i], NULL, 0);
	close(done[1]);
	while (read(done[0], &c, 1) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "tree")) {
		dir = argv[2];
		return tree(argv[3]);
	}
	if (argc == 3 && !strcmp(argv[1], "calls")) {
		calls(atol(argv[2]));
		return 0;
	}
	fprintf(stderr, "usage: sctree tree DIR PLYLOAD | sctree calls N\n");
	return 2;
}
