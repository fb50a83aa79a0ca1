/* progstat: what the BPF programs of a tracer cost in the kernel while a
 * command runs.
 *
 *   progstat -o OUT [-P PID] -- CMD ARGS...
 *
 * Run it as the tracer's own -c command, or beside a tracer started
 * before it, named by -P (its pid). It reads run_cnt and run_time_ns
 * of every BPF program before and after CMD (the kernel keeps them while
 * kernel.bpf_stats_enabled is 1) and writes to OUT one line per program
 * that ran, then a total over the tracer's programs:
 *
 *   prog id=I type=T name=N owned=0|1 run_cnt=C run_time_ns=R
 *   total match=owned|tracepoint progs=K run_cnt=C run_time_ns=R
 *
 * The tracer's programs are those an ancestor process (or -P) holds a file
 * descriptor to (its /proc/PID/fdinfo says prog_id). A tracer that keeps
 * no program fd open after attaching leaves none to find: then the total
 * falls back to every tracepoint program that ran ("match=tracepoint").
 * Exits with CMD's status.
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PROGS 4096

struct prog {
	uint32_t id, type;
	char name[BPF_OBJ_NAME_LEN];
	uint64_t cnt, ns;
	int owned;
};

struct snap {
	struct prog v[MAX_PROGS];
	int n;
};

static struct snap before, after;
static uint32_t owned[MAX_PROGS];
static int nowned;

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 1, " %*c %d", &ppid);
	fclose(f);
	return ppid;
}

static void scan_fds(pid_t pid)
{
	char path[320], line[128];
	struct dirent *de;
	unsigned id;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && nowned < MAX_PROGS) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "prog_id: %u", &id) == 1)
				owned[nowned++] = id;
		fclose(f);
	}
	closedir(d);
}

/* Every ancestor up to (not including) init. */
static void find_owned(void)
{
	pid_t pid = getppid();

	while (pid > 1) {
		scan_fds(pid);
		pid = parent_of(pid);
	}
}

static int is_owned(uint32_t id)
{
	int i;

	for (i = 0; i < nowned; i++)
		if (owned[i] == id)
			return 1;
	return 0;
}

static int snap_take(struct snap *s)
{
	uint32_t id = 0;

	s->n = 0;
	while (!bpf_prog_get_next_id(id, &id) && s->n < MAX_PROGS) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);
		struct prog *p;
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;	/* gone meanwhile */
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			close(fd);
			continue;
		}
		close(fd);
		p = &s->v[s->n++];
		p->id = id;
		p->type = info.type;
		p->cnt = info.run_cnt;
		p->ns = info.run_time_ns;
		p->owned = is_owned(id);
		memcpy(p->name, info.name, sizeof(p->name));
		p->name[sizeof(p->name) - 1] = 0;
	}
	return errno == ENOENT || s->n == MAX_PROGS ? 0 : -errno;
}

static const struct prog *snap_find(const struct snap *s, uint32_t id)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].id == id)
			return &s->v[i];
	return NULL;
}

static void report(FILE *f)
{
	uint64_t cnt[2] = { 0, 0 }, ns[2] = { 0, 0 };
	int progs[2] = { 0, 0 }, i, m;

	for (i = 0; i < after.n; i++) {
		const struct prog *a = &after.v[i], *b = snap_find(&before, a->id);
		uint64_t dc = a->cnt - (b ? b->cnt : 0);
		uint64_t dn = a->ns - (b ? b->ns : 0);

		if (!dc)
			continue;
		fprintf(f, "prog id=%u type=%u name=%s owned=%d run_cnt=%llu "
			"run_time_ns=%llu\n", a->id, a->type,
			a->name[0] ? a->name : "-", a->owned,
			(unsigned long long)dc, (unsigned long long)dn);
		m = a->owned ? 0 : a->type == BPF_PROG_TYPE_TRACEPOINT ? 1 : -1;
		if (m < 0)
			continue;
		cnt[m] += dc;
		ns[m] += dn;
		progs[m]++;
	}
	m = progs[0] ? 0 : 1;
	fprintf(f, "total match=%s progs=%d run_cnt=%llu run_time_ns=%llu\n",
		m ? "tracepoint" : "owned", progs[m],
		(unsigned long long)cnt[m], (unsigned long long)ns[m]);
}

int main(int argc, char **argv)
{
	const char *outp = NULL;
	int opt, status, err;
	pid_t pid;
	FILE *f;

	while ((opt = getopt(argc, argv, "+o:P:")) != -1) {
		if (opt == 'o')
			outp = optarg;
		else if (opt == 'P')
			scan_fds(atoi(optarg));
		else
			goto usage;
	}
	if (!outp || optind >= argc)
		goto usage;

	find_owned();
	err = snap_take(&before);
	if (err) {
		fprintf(stderr, "progstat: listing BPF programs: %s\n", strerror(-err));
		return 1;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "progstat: cannot run %s: %s\n", argv[optind],
			strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	snap_take(&after);

	f = fopen(outp, "w");
	if (!f) {
		perror(outp);
		return 1;
	}
	report(f);
	fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
usage:
	fprintf(stderr, "usage: progstat -o OUT [-P PID] -- CMD ARGS...\n");
	return 2;
}
