/* filemon: every file a process tree opens and closes, with how long it
 * stayed open.
 *
 * A front end over include/ply/ply.h: it writes a ply program from its
 * options (-S shows it) that sends, for the watched processes only (the
 * engine's scope, in the kernel), each successful open whose file's
 * absolute path is under a prefix (decided in the kernel: the path is
 * computed once, in a map, and compared with strncmp), every close(2),
 * dup2/dup3 onto an fd, close_range, exec, the exit of a process's last
 * thread and each new process. The pairing of opens and closes is done
 * here, by tools/fdtab; this file formats what it reports. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <search.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ply/ply.h>

#include "common.h"
#include "fdtab.h"

#define TOOL "filemon"
#define MAX_PREFIX 32
#define PREFIX_BYTES 2400	/* the prefixes' bytes, together */
#define AT_FDCWD_ (-100)
#define CLONE_THREAD_ 0x00010000
#define EXEC_FDS 2048	/* the fds whose close at exec is read from the
			 * kernel's table (mem() reads at most 256 bytes) */

/* ---- options ---- */

static struct {
	struct scope scope;		/* -p, -n, -c */
	int no_children;
	int text;			/* -t */
	int failed;			/* -x */
	int summary;
	const char *output;		/* -o */
	int show;			/* -S */
	char *prefix[MAX_PREFIX];	/* without a trailing '/' ("/" alone
					 * stays) */
	size_t nprefix;
	int all;			/* no prefix, or "/": every path */
} o;

static void usage(FILE *f)
{
	fprintf(f,
"usage: " TOOL " (-p PID... | -n NAME... | -c CMD) [options] [PATH_PREFIX...]\n"
"\n"
"Every file the watched processes open and close, paired, with how long it\n"
"stayed open; only paths under a PATH_PREFIX (whole components: /etc is\n"
"/etc and /etc/hosts, not /etcetera) when some are given (at most 32, of\n"
"2400 bytes together).\n"
"\n"
"Which processes (one of -p, -n, -c), and all they start, at any depth:\n"
"  -p, --pid=PID        this process (repeatable; a thread id stands for its\n"
"                       process); filemon ends when they have all exited\n"
"  -n, --name=NAME      processes whose command name is NAME, running now or\n"
"                       exec'd later (repeatable); runs until interrupted\n"
"  -c, --command=CMD    run CMD once the probes are attached; filemon ends\n"
"                       when it and all it started have exited\n"
"      --no-children    only those processes, not their descendants\n"
"What to report:\n"
"  -x, --failed         failed opens too, as error events\n"
"      --summary        at the end, per path: opens, total and longest time\n"
"                       open, by which commands\n"
"Output (JSON lines by default, see filemon(1)):\n"
"  -t, --text           an aligned text table instead\n"
"  -o, --output=FILE    write to FILE instead of standard output\n"
"  -S, --program        print the generated ply program and exit\n"
"  -h, --help           this help\n");
}

/* ---- the program ---- */

/* What each print of the program is, in program order (ply__sites()). */
enum site_kind {
	S_OPEN,		/* who, fd, flags, path */
	S_REUSED,	/* who, fd, flags, path: not watched, but the fd
			 * was (a close not seen) */
	S_CUT,		/* pid: an open whose path was cut (over 255
			 * bytes: "+..."), so no prefix could match it */
	S_FAILED,	/* who, ret, flags, dfd, name (-x) */
	S_FAILED_DIR,	/* kpid, the name's directory (-x) */
	S_CLOSE,	/* who, fd */
	S_DUP2,		/* who, newfd */
	S_RANGE,	/* who, lo | hi << 32, flags */
	S_SETFD,	/* who, fd, FD_CLOEXEC or 0 */
	S_EXEC,		/* who, max_fds, the open fds' bitmap */
	S_EXIT,		/* who */
	S_FORK,		/* who, child pid */
};

#define MAX_SITES 32
static enum site_kind site_of[MAX_SITES];
static size_t nsites;

static void site(enum site_kind k)
{
	if (nsites == MAX_SITES)
		abort();
	site_of[nsites++] = k;
}

/* Every event starts with who did it, when. */
#define WHO "time, pid | kpid << 32, ppid, comm"

struct sys {
	const char *name;
	const char *flags;	/* the open's flags, from the entry */
	const char *fname;	/* the name's field */
	int dfd;
};

static const struct sys syscalls[] = {
	{ "open", "data->flags & 0xffffffff", "filename", 0 },
	{ "openat", "data->flags & 0xffffffff", "filename", 1 },
	{ "openat2", "data->how->flags", "filename", 1 },
	{ "creat", "577", "pathname", 0 },	/* O_CREAT|O_WRONLY|O_TRUNC */
};
#define NSYS (sizeof(syscalls) / sizeof(syscalls[0]))

/* The condition on the path in __p[kpid]: under one of prefixes
 * [from, to), whole components. */
#define CHUNK 4
static void gen_match(FILE *f, size_t from, size_t to)
{
	size_t i, l;

	for (i = from; i < to; i++) {
		l = strlen(o.prefix[i]);
		fprintf(f, "%sstrncmp(__p[kpid], \"%s/\", %zu) == 0 || "
			"strcmp(__p[kpid], \"%s\") == 0",
			i > from ? " ||\n\t\t    " : "", o.prefix[i], l + 1,
			o.prefix[i]);
	}
}

/* The open, sent if its path is under a prefix. The prefixes are tested
 * CHUNK at a time, each chunk a statement of its own that sets __m: one
 * condition over many long prefixes would jump further than BPF can. */
static void gen_prefixes(FILE *f)
{
	static const char send[] = "print(" WHO ", data->ret, __f[kpid], "
				   "__p[kpid]);\n";
	size_t i;
	/* not watched, on an fd the kernel has as watched: its close was
	 * not seen (ioctl FIOCLEX then exec, io_uring, a CLONE_FILES
	 * sibling...); sent so that it is said, never taken later for the
	 * close of the old file */
	const char *reused = o.no_children ? "" : " || __a[pid]";

	fprintf(f, "\tif (data->ret >= 0) {\n"
		"\t\t__p[kpid] = fdpath(data->ret);\n");
	for (i = 0; i < o.nprefix; i += CHUNK) {
		fprintf(f, "\t\tif (");
		gen_match(f, i, i + CHUNK < o.nprefix ? i + CHUNK : o.nprefix);
		if (o.nprefix <= CHUNK)
			fprintf(f, ") {\n\t\t\t%s\t\t\t__w[pid, data->ret] = 1;"
				"\n\t\t}", send);
		else
			fprintf(f, ")\n\t\t\t__m[kpid] = 1;\n");
	}
	if (o.nprefix > CHUNK)
		fprintf(f, "\t\tif (__m[kpid]) {\n\t\t\t%s"
			"\t\t\t__w[pid, data->ret] = 1;\n"
			"\t\t\tdelete __m[kpid];\n\t\t}", send);
	fprintf(f, " else if (__w[pid, data->ret]%s) {\n\t\t\t%s"
		"\t\t\tdelete __w[pid, data->ret];\n\t\t} else if "
		"(strncmp(__p[kpid], \"+\", 1) == 0) {\n"
		"\t\t\tprint(pid);\n\t\t}\n"
		"\t\tdelete __p[kpid];\n\t}\n", reused, send);
	site(S_OPEN);
	site(S_REUSED);
	site(S_CUT);
}

static void gen_open(FILE *f, const struct sys *s, const char *pred)
{
	fprintf(f, "tracepoint:syscalls/sys_enter_%s /%s/ {\n"
		"\t__f[kpid] = %s;\n", s->name, pred, s->flags);
	if (o.failed) {
		fprintf(f, "\t__n[kpid] = data->%s;\n", s->fname);
		if (s->dfd)
			fprintf(f, "\t__d[kpid] = data->dfd;\n");
	}
	fprintf(f, "}\n");

	fprintf(f, "tracepoint:syscalls/sys_exit_%s /%s/ {\n", s->name, pred);
	/* __w[pid, fd]: the fd is watched, its close is sent */
	if (o.all) {
		fprintf(f, "\tif (data->ret >= 0) {\n\t\tprint(" WHO ", "
			"data->ret, __f[kpid], fdpath(data->ret));\n"
			"\t\t__w[pid, data->ret] = 1;\n\t}\n");
	} else {
		/* the path walk once, into a map; compared there */
		gen_prefixes(f);
	}
	if (o.all)
		site(S_OPEN);
	if (o.failed) {
		/* the name and its directory: two events, both would not fit
		 * the 512 bytes of BPF stack */
		fprintf(f, "\tif (data->ret < 0) {\n\t\tprint(" WHO ", data->ret, "
			"__f[kpid], %s, str(__n[kpid], 256));\n",
			s->dfd ? "__d[kpid]" : "-100");
		site(S_FAILED);
		if (s->dfd) {
			fprintf(f, "\t\tif (__d[kpid] != -100)\n\t\t\t"
				"print(kpid, fdpath(__d[kpid]));\n");
			site(S_FAILED_DIR);
		}
		fprintf(f, "\t}\n\tif (data->ret < 0%s)\n\t\tprint(kpid, cwd);\n",
			s->dfd ? " && __d[kpid] == -100" : "");
		site(S_FAILED_DIR);
		fprintf(f, "\tdelete __n[kpid];\n");
		if (s->dfd)
			fprintf(f, "\tdelete __d[kpid];\n");
	}
	fprintf(f, "\tdelete __f[kpid];\n}\n");
}

static char *gen_program(void)
{
	char pred[64], *s = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		abort();
	/* Never filemon itself (its parent may be in the scope). With -c and
	 * --no-children, the command alone (the engine scopes -c with its
	 * tree only). */
	snprintf(pred, sizeof(pred), "pid != %d%s", (int)getpid(),
		 o.scope.command && o.no_children ? " && pid == $target" : "");
	nsites = 0;
	for (i = 0; i < NSYS; i++)
		gen_open(f, &syscalls[i], pred);
	/* The closes of watched fds, and every close of a new process until
	 * filemon has told the kernel which fds it inherited (__a: the
	 * child closes them before user space could know). */
	fprintf(f, "tracepoint:syscalls/sys_enter_close /%s && "
		"(__w[pid, data->fd & 0xffffffff]%s)/ {\n"
		"\tprint(" WHO ", data->fd & 0xffffffff);\n"
		"\tdelete __w[pid, data->fd & 0xffffffff];\n}\n", pred,
		o.no_children ? "" : " || __a[pid]");
	site(S_CLOSE);
	/* dup2(fd, fd) closes nothing; dup3 refuses it */
	for (i = 2; i <= 3; i++)
		fprintf(f, "tracepoint:syscalls/sys_enter_dup%zu /%s/ {\n"
			"\tif (data->oldfd != data->newfd)\n"
			"\t\t__u[kpid] = (data->newfd & 0xffffffff) + 1;\n}\n"
			"tracepoint:syscalls/sys_exit_dup%zu /%s && __u[kpid]/ {\n"
			"\tif (data->ret >= 0) {\n\t\tprint(" WHO ", data->ret);\n"
			"\t\tdelete __w[pid, data->ret];\n\t}\n"
			"\tdelete __u[kpid];\n}\n", i, pred, i, pred);
	site(S_DUP2);
	site(S_DUP2);
	fprintf(f, "tracepoint:syscalls/sys_enter_close_range /%s/ {\n"
		"\t__r[kpid] = (data->fd & 0xffffffff) | data->max_fd << 32;\n"
		"\t__rf[kpid] = (data->flags & 0xffffffff) | 1 << 32;\n}\n"
		"tracepoint:syscalls/sys_exit_close_range /%s && __rf[kpid]/ {\n"
		"\tif (data->ret == 0)\n\t\tprint(" WHO ", __r[kpid], "
		"__rf[kpid] & 0xffffffff);\n"
		"\tdelete __r[kpid];\n\tdelete __rf[kpid];\n}\n", pred, pred);
	site(S_RANGE);
	/* fcntl(F_SETFD) of a watched fd: what exec will close */
	fprintf(f, "tracepoint:syscalls/sys_enter_fcntl /%s && "
		"(data->cmd & 0xffffffff) == 2 && "
		"(__w[pid, data->fd & 0xffffffff]%s)/ {\n"
		"\tprint(" WHO ", data->fd & 0xffffffff, data->arg & 1);\n}\n",
		pred, o.no_children ? "" : " || __a[pid]");
	site(S_SETFD);
	/* after the exec's close-on-exec pass: which fds are open (the
	 * bitmap's first EXEC_FDS bits), whatever made the others
	 * close-on-exec */
	fprintf(f, "tracepoint:sched/sched_process_exec /%s/ {\n"
		"\tprint(" WHO ", curtask->files->fdt->max_fds, "
		"mem(curtask->files->fdt->open_fds, %d));\n}\n", pred,
		EXEC_FDS / 8);
	site(S_EXEC);
	/* the last thread: the kernel has counted it out of the live ones
	 * before the tracepoint (what 6.16's group_dead field says; older
	 * kernels lack the field, the count is in every one) */
	fprintf(f, "tracepoint:sched/sched_process_exit /%s && "
		"curtask->signal->live.counter == 0/ {\n\tprint(" WHO ");\n%s}\n", pred,
		o.no_children ? "" : "\tdelete __a[pid];\n");
	site(S_EXIT);
	if (!o.no_children) {
		fprintf(f, "tracepoint:task/task_newtask /%s && "
			"!(data->clone_flags & %#x)/ {\n"
			"\t__a[data->pid] = 1;\n"
			"\tprint(" WHO ", data->pid);\n}\n", pred,
			CLONE_THREAD_);
		site(S_FORK);
	}
	if (fclose(f))
		abort();
	return s;
}

/* ---- output ---- */

static FILE *out;
static struct fdtab *tab;
static int64_t mono_real;	/* kernel time + this = wall clock */
static uint64_t nopens, ncloses, nstill, nlost;
static uint64_t ncut;		/* opens whose path was cut */

enum { T_OPEN, T_CLOSE, T_STILL, T_ERROR };

static void text_header(void)
{
	fprintf(out, "%-15s %-8s %7s %-16s %4s %9s %-18s %s\n", "TIME",
		"EVENT", "PID", "COMM", "FD", "DURATION", "HOW", "PATH");
}

/* One text row; path (escaped here) last. */
static void text_row(int64_t t, const char *ev, uint32_t pid,
		     const char *comm, int fd, int64_t dur, const char *how,
		     const char *path, size_t plen)
{
	char ts[32], d[32] = "-", fds[16] = "-", *c, *p;

	clock_str(t + mono_real, ts, sizeof(ts));
	if (dur >= 0)
		human_ns(dur, d, sizeof(d));
	if (fd >= 0)
		snprintf(fds, sizeof(fds), "%d", fd);
	c = escape_dup(comm, strlen(comm));
	p = escape_dup(path, plen);
	fprintf(out, "%-15s %-8s %7u %-16s %4s %9s %-18s %s\n", ts, ev, pid,
		c, fds, d, how, p);
	free(c);
	free(p);
}

/* event, time, [error,] comm, pid, ppid, tid */
static void json_who(struct jw *w, const char *event, int64_t t,
		     const char *error, const struct fd_who *who)
{
	jw__begin(w, out);
	jw__str(w, "event", event, strlen(event));
	jw__int(w, "time", t + mono_real);
	if (error)
		jw__str(w, "error", error, strlen(error));
	jw__str(w, "comm", who->comm, strlen(who->comm));
	jw__int(w, "pid", who->pid);
	jw__int(w, "ppid", who->ppid);
	jw__int(w, "tid", who->tid);
}

static void json_file(struct jw *w, const struct fd_file *f)
{
	static char fl[256];
	static uint64_t last = ~(uint64_t)0;

	/* the same few flags over and over: named once */
	if (f->flags != last) {
		oflags_str(f->flags, fl, sizeof(fl));
		last = f->flags;
	}
	jw__str(w, "path", f->path->s, f->path->len);
	jw__int(w, "fd", f->fd);
	jw__str(w, "flags", fl, strlen(fl));
}

/* ---- --summary: per path ---- */

struct usage {
	char *path;
	size_t len;
	uint64_t opens;
	int64_t total, max;
	char comms[256];	/* "cat,sh" */
};

static void *usage_tree;

static int usage_cmp(const void *a, const void *b)
{
	const struct usage *x = a, *y = b;
	int r = memcmp(x->path, y->path, x->len < y->len ? x->len : y->len);

	return r ? r : (x->len > y->len) - (x->len < y->len);
}

static struct usage *usage_of(const struct fd_path *p)
{
	struct usage key = { .path = (char *)p->s, .len = p->len }, *u, **r;

	r = tfind(&key, &usage_tree, usage_cmp);
	if (r)
		return *r;
	u = calloc(1, sizeof(*u));
	if (!u || !(u->path = malloc(p->len + 1)))
		abort();
	memcpy(u->path, p->s, p->len + 1);
	u->len = p->len;
	if (!tsearch(u, &usage_tree, usage_cmp))
		abort();
	return u;
}

static void usage_comm(struct usage *u, const char *comm)
{
	size_t n = strlen(comm), at = strlen(u->comms);
	const char *c;

	for (c = u->comms; (c = strstr(c, comm)); c += n)
		if ((c == u->comms || c[-1] == ',') && (!c[n] || c[n] == ','))
			return;
	if (at + n + 2 > sizeof(u->comms))
		return;		/* a long list keeps its first names */
	snprintf(u->comms + at, sizeof(u->comms) - at, "%s%s", at ? "," : "",
		 comm);
}

static void usage_time(const struct fd_file *f, int64_t d)
{
	struct usage *u;

	if (!o.summary || f->inherited)
		return;
	u = usage_of(f->path);
	u->total += d;
	if (d > u->max)
		u->max = d;
}

static void usage_print(const void *node, VISIT v, int depth)
{
	const struct usage *u = *(const struct usage *const *)node;
	char tot[32], max[32], *p;
	struct jw w;

	if (v != postorder && v != leaf)
		return;
	if (o.text) {
		human_ns(u->total, tot, sizeof(tot));
		human_ns(u->max, max, sizeof(max));
		p = escape_dup(u->path, u->len);
		fprintf(out, "%7" PRIu64 " %10s %10s %-24s %s\n", u->opens, tot,
			max, u->comms, p);
		free(p);
		return;
	}
	jw__begin(&w, out);
	jw__str(&w, "event", "summary", 7);
	jw__str(&w, "path", u->path, u->len);
	jw__int(&w, "opens", u->opens);
	jw__int(&w, "total_ns", u->total);
	jw__int(&w, "max_ns", u->max);
	jw__str(&w, "comms", u->comms, strlen(u->comms));
	jw__end(&w);
}

static void usage_free(void *node)
{
	struct usage *u = node;

	free(u->path);
	free(u);
}

static void summary(void)
{
	if (!o.summary)
		return;
	if (o.text)
		fprintf(out, "\n%7s %10s %10s %-24s %s\n", "OPENS", "TOTAL",
			"LONGEST", "COMMS", "PATH");
	twalk(usage_tree, usage_print);
	tdestroy(usage_tree, usage_free);
	usage_tree = NULL;
}

/* ---- what the table reports ---- */

static void on_open(const struct fd_event *ev)
{
	struct jw w;

	nopens++;
	if (o.summary) {
		struct usage *u = usage_of(ev->f->path);

		u->opens++;
		usage_comm(u, ev->who->comm);
	}
	if (o.text) {
		text_row(ev->who->time, "open", ev->who->pid, ev->who->comm,
			 ev->f->fd, -1, "-", ev->f->path->s, ev->f->path->len);
		return;
	}
	json_who(&w, "open", ev->who->time, NULL, ev->who);
	json_file(&w, ev->f);
	jw__end(&w);
}

static void on_close(const struct fd_event *ev)
{
	const char *how = fd_how_names[ev->how];
	int64_t d = ev->who->time - ev->f->open_time;
	char hw[32];
	struct jw w;

	ncloses++;
	usage_time(ev->f, d);
	if (o.text) {
		snprintf(hw, sizeof(hw), "%s%s", ev->f->inherited ?
			 "inherited/" : "", how);
		text_row(ev->who->time, "close", ev->who->pid, ev->who->comm,
			 ev->f->fd, d, hw, ev->f->path->s, ev->f->path->len);
		return;
	}
	json_who(&w, "close", ev->who->time, NULL, ev->who);
	json_file(&w, ev->f);
	jw__int(&w, "duration_ns", d);
	if (ev->f->inherited) {
		jw__str(&w, "how", "inherited", 9);
		jw__str(&w, "via", how, strlen(how));
		jw__int(&w, "opener_pid", ev->f->opener_pid);
	} else {
		jw__str(&w, "how", how, strlen(how));
	}
	jw__end(&w);
}

static void on_still_open(const struct fd_event *ev)
{
	int64_t d = ev->who->time - ev->f->open_time;
	struct jw w;

	nstill++;
	usage_time(ev->f, d);
	if (o.text) {
		text_row(ev->who->time, "open", ev->who->pid, ev->who->comm,
			 ev->f->fd, d, ev->f->inherited ? "still/inherited" :
			 "still", ev->f->path->s, ev->f->path->len);
		return;
	}
	json_who(&w, "open", ev->f->open_time, NULL, ev->who);
	json_file(&w, ev->f);
	jw__bool(&w, "still_open", 1);
	jw__int(&w, "duration_ns", d);
	if (ev->f->inherited)
		jw__int(&w, "opener_pid", ev->f->opener_pid);
	jw__end(&w);
}

static void on_reopened(const struct fd_event *ev)
{
	struct jw w;

	if (o.text) {
		text_row(ev->who->time, "error", ev->who->pid, ev->who->comm,
			 ev->f->fd, -1, "reopened", ev->prev->path->s,
			 ev->prev->path->len);
		return;
	}
	json_who(&w, "error", ev->who->time, "reopened", ev->who);
	json_file(&w, ev->f);
	jw__str(&w, "previous_path", ev->prev->path->s, ev->prev->path->len);
	jw__end(&w);
}

/* ---- the kernel's copy of which fds are watched (__w) ---- */

static struct ply *ply;

static void kernel_fd(uint32_t pid, int fd, int watched)
{
	struct ply_value k[2] = { ply_uint(pid), ply_int(fd) }, one = ply_int(1);

	if (watched)
		ply__map_update(ply, "__w", k, 2, &one);
	else
		ply__map_delete(ply, "__w", k, 2);
}

/* Which entries of __w go: never one of a live process from here (the
 * process may have opened another watched file on that fd since the
 * event, and its entry is the same key), but those of a process that
 * exited. An entry an exec, close_range or a child's early close left
 * stale costs one event, the next close or open of that fd number (which
 * deletes it in the kernel), and the table ignores it; those of exited
 * processes, there or not in the table, go here and in kernel_gc. */
static void kernel_closed(const struct fd_event *ev)
{
	if (ev->how == FD_EXIT)
		kernel_fd(ev->who->pid, ev->f->fd, 0);
}

struct gc {
	struct ply_value (*keys)[2];
	size_t n, cap;
};

static void gc_entry(const struct ply_value *keys, size_t nkeys,
		     const struct ply_value *value, void *ctx)
{
	struct gc *g = ctx;

	if (nkeys != 2 || !kill(keys[0].u, 0) || errno != ESRCH)
		return;
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->keys = realloc(g->keys, g->cap * sizeof(*g->keys));
		if (!g->keys)
			abort();
	}
	g->keys[g->n][0] = ply_uint(keys[0].u);
	g->keys[g->n++][1] = ply_int(keys[1].i);
}

/* The entries of processes gone: each second, so that the map does not
 * fill with the fds of processes whose exit came before their stale
 * entries were made (kernel_forked). */
static void kernel_gc(void)
{
	struct gc g = { 0 };
	size_t i;

	if (ply__map_foreach(ply, "__w", gc_entry, &g))
		return;
	for (i = 0; i < g.n; i++)
		ply__map_delete(ply, "__w", g.keys[i], 2);
	free(g.keys);
}

/* A new process: the kernel sends all its closes (__a) until it knows
 * which fds it inherited. */
static void kernel_forked(uint32_t child)
{
	struct ply_value k = ply_uint(child);
	int fds[64];
	size_t n, i, at = 0;

	do {
		n = fdtab__fds(tab, child, at, fds, 64);
		for (i = 0; i < n; i++)
			kernel_fd(child, fds[i], 1);
		at += n;
	} while (n == 64);
	ply__map_delete(ply, "__a", &k, 1);
}

static void on_fd_event(const struct fd_event *ev, void *ctx)
{
	switch (ev->kind) {
	case FDEV_OPEN: on_open(ev); break;
	case FDEV_CLOSE: on_close(ev); kernel_closed(ev); break;
	case FDEV_STILL_OPEN: on_still_open(ev); break;
	case FDEV_REOPENED: on_reopened(ev); break;
	}
}

/* ---- failed opens (-x): the name, then its directory ---- */

struct failed {
	struct fd_who who;
	char comm[17];
	int64_t err;
	uint64_t flags;
	char *name;
	size_t name_len;
};

static struct failed *pending;	/* at most one per thread */
static size_t npending;

static void failed_emit(size_t i, const char *dir, size_t dl)
{
	struct failed *f = &pending[i];
	char *path = NULL, fl[256];
	const char *e = errno_name(-f->err);
	size_t k, plen;
	struct jw w;
	int show = o.all;

	f->who.comm = f->comm;
	/* a directory not known: the name as it was given */
	path = path_join(dir, dl, f->name, f->name_len);
	if (!path && !(path = strdup(f->name)))
		abort();
	plen = strlen(path);
	for (k = 0; k < o.nprefix && !show; k++)
		show = path_under(path, plen, o.prefix[k]);
	if (show && o.text) {
		text_row(f->who.time, "error", f->who.pid, f->comm, -1, -1,
			 e ? e : "open_failed", path, plen);
	} else if (show) {
		json_who(&w, "error", f->who.time, "open_failed", &f->who);
		jw__str(&w, "path", path, plen);
		jw__int(&w, "errno", -f->err);
		e ? jw__str(&w, "errno_name", e, strlen(e)) :
		    jw__null(&w, "errno_name");
		oflags_str(f->flags, fl, sizeof(fl));
		jw__str(&w, "flags", fl, strlen(fl));
		jw__end(&w);
	}
	free(path);
	free(f->name);
	pending[i] = pending[--npending];
}

static void failed_add(const struct fd_who *w, const struct ply_value *a)
{
	struct failed *f;
	size_t i;

	/* the thread's last one lost its directory: its name as it is */
	for (i = 0; i < npending; i++)
		if (pending[i].who.tid == w->tid) {
			failed_emit(i, NULL, 0);
			break;
		}
	f = realloc(pending, (npending + 1) * sizeof(*f));
	if (!f)
		abort();
	pending = f;
	f = &pending[npending++];
	f->who = *w;
	memcpy(f->comm, w->comm, sizeof(f->comm));
	f->err = a[4].i;
	f->flags = a[5].u;
	/* a relative name of an openat with a directory fd whose path the
	 * kernel sends next; AT_FDCWD: the cwd, sent next too */
	f->name_len = strnlen(a[7].s, a[7].len);
	f->name = malloc(f->name_len + 1);
	if (!f->name)
		abort();
	memcpy(f->name, a[7].s, f->name_len);
	f->name[f->name_len] = 0;
}

static void failed_dir(const struct ply_value *a)
{
	size_t i;

	for (i = 0; i < npending; i++)
		if (pending[i].who.tid == (uint32_t)a[0].u) {
			failed_emit(i, a[1].s, strnlen(a[1].s, a[1].len));
			return;
		}
}

/* ---- events ---- */

static char comm_buf[17];

static void who_of(const struct ply_value *a, struct fd_who *w)
{
	size_t n = a[3].len < 16 ? a[3].len : 16;

	memcpy(comm_buf, a[3].s, n);
	comm_buf[n] = 0;
	w->time = a[0].i;
	w->pid = a[1].u & 0xffffffff;
	w->tid = a[1].u >> 32;
	w->ppid = a[2].i;
	w->comm = comm_buf;
}

/* The exec's closes, from the bitmap of the fds open after it: max_fds
 * bits of it are the table's (the rest of the read is past it); none
 * open at all is taken as a read that failed, and the flags decide. */
static void exec_closes(const struct fd_who *w, const struct ply_value *a)
{
	size_t nbits = a[5].len * 8, i;
	const uint8_t *bits = (const uint8_t *)a[5].s;

	if (a[4].u < nbits)
		nbits = a[4].u;
	for (i = 0; i < nbits / 8 && !bits[i]; i++)
		;
	fdtab__exec(tab, w, i < nbits / 8 ? bits : NULL, nbits);
}

static void on_event(struct ply *p, const struct ply_event *ev, void *ctx)
{
	const struct ply_value *a = ev->args;
	struct fd_who w;

	if (ev->kind != PLY_EV_PRINT || ev->site < 0 ||
	    (size_t)ev->site >= nsites)
		return;
	if (site_of[ev->site] == S_FAILED_DIR) {
		failed_dir(a);
		return;
	}
	if (site_of[ev->site] == S_CUT) {
		ncut++;
		return;
	}
	who_of(a, &w);
	switch (site_of[ev->site]) {
	case S_OPEN:
		ncut += a[6].s[0] == '+';	/* all paths: said as it is */
		fdtab__open(tab, &w, a[4].i, a[5].u, a[6].s,
			    strnlen(a[6].s, a[6].len));
		break;
	case S_REUSED:
		ncut += a[6].s[0] == '+';
		/* the kernel has dropped its entry */
		fdtab__reused(tab, &w, a[4].i, a[5].u, a[6].s,
			      strnlen(a[6].s, a[6].len));
		break;
	case S_FAILED: failed_add(&w, a); break;
	case S_CLOSE: fdtab__close(tab, &w, (int)a[4].u); break;
	case S_DUP2: fdtab__dup2(tab, &w, a[4].i); break;
	case S_RANGE:
		fdtab__close_range(tab, &w, a[4].u & 0xffffffff, a[4].u >> 32,
				   a[5].u);
		break;
	case S_SETFD: fdtab__setfd(tab, &w, a[4].u, a[5].u); break;
	case S_EXEC: exec_closes(&w, a); break;
	case S_EXIT: fdtab__exit(tab, &w); break;
	case S_FORK:
		fdtab__fork(tab, &w, a[4].u);
		kernel_forked(a[4].u);
		break;
	case S_FAILED_DIR: case S_CUT: break;
	}
}

/* ---- losses: never silent ---- */

struct losses {
	uint64_t ring, missed, map_full, scope_full, unresolved;
};

static struct losses seen;

static uint64_t losses_sum(const struct losses *l)
{
	return l->ring + l->missed + l->map_full + l->scope_full +
	       l->unresolved;
}

static int losses_read(struct ply *p, struct losses *l)
{
	struct ply_stats st;
	size_t i;

	memset(l, 0, sizeof(*l));
	if (ply__stats(p, &st))
		return -1;
	l->ring = st.lost;
	l->scope_full = st.scope_full;
	for (i = 0; i < st.nprobes; i++)
		l->missed += st.probes[i].missed;
	for (i = 0; i < st.nmaps; i++)
		l->map_full += st.maps[i].dropped;
	for (i = 0; i < st.nreads; i++)
		if (!strcmp(st.reads[i].fn, "fdpath"))
			l->unresolved += st.reads[i].failed;
	return 0;
}

static int64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Whatever was lost since the last look, as an error event. */
static void losses_check(struct ply *p)
{
	struct losses l, d;
	char what[160];
	struct jw w;

	if (losses_read(p, &l) || losses_sum(&l) == losses_sum(&seen))
		return;
	d.ring = l.ring - seen.ring;
	d.missed = l.missed - seen.missed;
	d.map_full = l.map_full - seen.map_full;
	d.scope_full = l.scope_full - seen.scope_full;
	d.unresolved = l.unresolved - seen.unresolved;
	seen = l;
	nlost += losses_sum(&d);
	if (o.text) {
		snprintf(what, sizeof(what), "lost: %" PRIu64 " events (ring "
			 "buffer), %" PRIu64 " probe runs, %" PRIu64 " map "
			 "updates, %" PRIu64 " processes (scope full), %" PRIu64
			 " paths", d.ring, d.missed, d.map_full, d.scope_full,
			 d.unresolved);
		text_row(mono_now(), "error", 0, "-", -1, -1, "lost", what,
			 strlen(what));
		return;
	}
	jw__begin(&w, out);
	jw__str(&w, "event", "error", 5);
	jw__int(&w, "time", mono_now() + mono_real);
	jw__str(&w, "error", "lost", 4);
	jw__int(&w, "count", losses_sum(&d));
	jw__int(&w, "ring_buffer", d.ring);
	jw__int(&w, "probe_runs", d.missed);
	jw__int(&w, "map_updates", d.map_full);
	jw__int(&w, "scope_full", d.scope_full);
	jw__int(&w, "paths", d.unresolved);
	jw__end(&w);
}

/* ---- start and end lines ---- */

static void start_line(void)
{
	char *scope = NULL, *paths = NULL;
	size_t sl = 0, pl = 0, i;
	FILE *sf = open_memstream(&scope, &sl), *pf;
	struct jw w;

	pf = open_memstream(&paths, &pl);
	if (!sf || !pf)
		abort();
	for (i = 0; i < o.scope.npids; i++)
		fprintf(sf, "%s-p %d", i ? " " : "", (int)o.scope.pids[i]);
	for (i = 0; i < o.scope.nnames; i++)
		fprintf(sf, "%s-n %s", i ? " " : "", o.scope.names[i]);
	if (o.scope.command)
		fprintf(sf, "-c %s", o.scope.command);
	for (i = 0; i < o.nprefix; i++)
		fprintf(pf, "%s%s", i ? ":" : "", o.prefix[i]);
	if (fclose(sf) || fclose(pf))
		abort();
	if (o.text) {
		fprintf(stderr, TOOL ": watching %s%s, paths %s; Ctrl-C to "
			"end\n", scope, o.no_children ? "" : " and its "
			"descendants", pl ? paths : "(all)");
		text_header();
	} else {
		jw__begin(&w, out);
		jw__str(&w, "event", "start", 5);
		jw__int(&w, "time", mono_now() + mono_real);
		jw__str(&w, "scope", scope, sl);
		jw__bool(&w, "children", !o.no_children);
		jw__str(&w, "paths", paths, pl);
		jw__end(&w);
	}
	fflush(out);
	free(scope);
	free(paths);
}

/* The opens whose path was too long for a prefix to match: said. */
static void cut_line(void)
{
	char what[96];
	struct jw w;

	if (!ncut)
		return;
	if (o.text) {
		snprintf(what, sizeof(what), "%" PRIu64 " opens of paths over "
			 "255 bytes, not compared with the prefixes", ncut);
		text_row(mono_now(), "error", 0, "-", -1, -1, "paths_cut", what,
			 strlen(what));
		return;
	}
	jw__begin(&w, out);
	jw__str(&w, "event", "error", 5);
	jw__int(&w, "time", mono_now() + mono_real);
	jw__str(&w, "error", "paths_cut", 9);
	jw__int(&w, "count", ncut);
	jw__end(&w);
}

static void end_line(void)
{
	struct jw w;

	if (o.text) {
		fprintf(stderr, TOOL ": %" PRIu64 " opens, %" PRIu64 " closes, "
			"%" PRIu64 " still open, %" PRIu64 " lost, %" PRIu64
			" paths cut\n", nopens, ncloses, nstill, nlost, ncut);
		return;
	}
	jw__begin(&w, out);
	jw__str(&w, "event", "end", 3);
	jw__int(&w, "time", mono_now() + mono_real);
	jw__int(&w, "opens", nopens);
	jw__int(&w, "closes", ncloses);
	jw__int(&w, "still_open", nstill);
	jw__int(&w, "lost", nlost);
	jw__int(&w, "paths_cut", ncut);
	jw__end(&w);
}

/* ---- running ---- */

static void on_signal(int sig)
{
	if (ply)
		ply__stop(ply);
}

static int compile(void)
{
	struct ply_opts po = { .sz = sizeof(po) };
	const struct ply_site *sites;
	char *prog = gen_program();
	size_t n;
	int err;

	po.name = TOOL;
	po.prog_name = TOOL;
	po.on_event = on_event;
	po.no_maps = 1;
	po.keep_going = 1;	/* losses are said as error events */
	po.map_size = 16384;
	scope__apply(&o.scope, &po);
	err = ply__compile(&ply, prog, &po);
	free(prog);
	if (err)
		return -1;
	sites = ply__sites(ply, &n);
	if (n != nsites || !sites) {
		fprintf(stderr, TOOL ": internal: %zu sites, want %zu\n", n,
			nsites);
		return -1;
	}
	return 0;
}

static int run(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int64_t next = 0;
	int r = 0, failed;

	if (compile())
		goto fail;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	tab = fdtab__new(on_fd_event, NULL);
	if (ply__load(ply) || ply__attach(ply))
		goto fail;
	mono_real = mono_to_real();
	start_line();
	failed = ply__start(ply) < 0;
	while (!failed && (r = ply__step(ply, -1)) > 0) {
		if (mono_now() >= next) {
			losses_check(ply);
			kernel_gc();
			next = mono_now() + 1000000000;
		}
		if (fflush(out)) {
			fprintf(stderr, TOOL ": output: %s\n", strerror(errno));
			ply__stop(ply);
		}
	}
	if (!failed && r < 0) {
		fprintf(stderr, TOOL ": %s\n", strerror(-r));
		failed = 1;
	}
	ply__finish(ply);
	while (npending)
		failed_emit(0, NULL, 0);
	free(pending);
	losses_check(ply);
	fdtab__finish(tab, mono_now());
	summary();
	cut_line();
	fflush(out);	/* the table before the counts on stderr (-t) */
	end_line();
	if (fflush(out) || ferror(out)) {
		fprintf(stderr, TOOL ": the output could not be written\n");
		failed = 1;
	}
	r = ply__exit_status(ply);
	ply__free(ply);
	fdtab__free(tab);
	return r ? r : failed;
fail:
	ply__free(ply);
	fdtab__free(tab);
	return 1;
}

/* ---- main ---- */

enum { OPT_NO_CHILDREN = 256, OPT_SUMMARY };

static const struct option longopts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "name", required_argument, NULL, 'n' },
	{ "command", required_argument, NULL, 'c' },
	{ "no-children", no_argument, NULL, OPT_NO_CHILDREN },
	{ "text", no_argument, NULL, 't' },
	{ "failed", no_argument, NULL, 'x' },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "output", required_argument, NULL, 'o' },
	{ "program", no_argument, NULL, 'S' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* A usage error: one line, exit 2. */
#define bad(...) usage_error(TOOL, 1, __VA_ARGS__)

/* An absolute path prefix without its trailing slashes ("/" stays);
 * it goes into the program as a string literal. */
static int prefix_add(const char *arg)
{
	size_t l = strlen(arg);
	const char *c;

	if (arg[0] != '/')
		return bad("a path prefix is an absolute path");
	for (c = arg; *c; c++)
		if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
			return bad("a path prefix without quotes, backslashes "
				   "or control characters");
	while (l > 1 && arg[l - 1] == '/')
		l--;
	if (l > 254)	/* ply's paths are at most 255 bytes */
		return bad("a path prefix is at most 254 bytes");
	if (l == 1) {
		o.all = 1;
		return 0;
	}
	if (o.nprefix == MAX_PREFIX)
		return bad("at most 32 path prefixes");
	o.prefix[o.nprefix] = strndup(arg, l);
	if (!o.prefix[o.nprefix++])
		abort();
	return 0;
}

static int parse_opts(int argc, char **argv)
{
	size_t i;
	int c, n;

	opterr = 0;	/* one line of ours instead */
	while ((c = getopt_long(argc, argv, "p:n:c:txo:Sh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'p': case 'n': case 'c':
			if (scope__opt(&o.scope, c, optarg, TOOL))
				return 2;
			break;
		case OPT_NO_CHILDREN: o.no_children = 1; break;
		case 't': o.text = 1; break;
		case 'x': o.failed = 1; break;
		case OPT_SUMMARY: o.summary = 1; break;
		case 'o': o.output = optarg; break;
		case 'S': o.show = 1; break;
		case 'h': usage(stdout); exit(0);
		default:
			return bad("unknown option or missing argument: "
				   "%s", argv[optind - 1]);
		}
	}
	for (; optind < argc; optind++)
		if ((n = prefix_add(argv[optind])))
			return n;
	if (!o.nprefix)
		o.all = 1;
	if (o.all) {		/* "/" among others: every path */
		while (o.nprefix)
			free(o.prefix[--o.nprefix]);
	}
	for (n = 0, i = 0; i < o.nprefix; i++)
		n += strlen(o.prefix[i]) + 1;
	/* Each byte is compare code unrolled in the kernel, all inside one
	 * branch, whose jump reaches 32767 instructions. */
	if (n > PREFIX_BYTES)
		return bad("the path prefixes are %d bytes together; "
			   "at most %d", n, PREFIX_BYTES);
	n = !!o.scope.npids + !!o.scope.nnames + !!o.scope.command;
	if (n == 0)
		return bad("which processes: give -p, -n or -c");
	if (n > 1)
		return bad("give one of -p, -n and -c");
	o.scope.follow = !o.no_children;	/* descendants, unless told */
	return 0;
}

int main(int argc, char **argv)
{
	char *prog;
	int r;

	scope__init(&o.scope);
	r = parse_opts(argc, argv);
	if (r)
		return r;
	if (o.show) {
		/* The scope is the engine's, not in the text: say which ply
		 * options give it. */
		prog = gen_program();
		scope__print_program(&o.scope, prog, stdout);
		free(prog);
		return 0;
	}
	out = stdout;
	if (o.output && !(out = fopen(o.output, "w"))) {
		fprintf(stderr, TOOL ": %s: %s\n", o.output, strerror(errno));
		return 1;
	}
	if (!isatty(fileno(out)))
		setvbuf(out, NULL, _IOFBF, 1 << 16);
	r = run();
	if (out != stdout && fclose(out)) {
		fprintf(stderr, TOOL ": %s: %s\n", o.output, strerror(errno));
		r = r ? r : 1;
	}
	return r;
}
