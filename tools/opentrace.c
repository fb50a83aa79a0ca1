/* opentrace: who opens which file, how long it takes, which opens fail.
 *
 * A front end over include/ply/ply.h: it writes a ply program from its
 * options (-S shows it), in which each open, openat, openat2 and creat is
 * merged in the kernel (its entry's time and arguments kept in one map,
 * a tuple keyed by thread id, until its return), runs it through the library, the
 * scope (-p, -n, -F, -c -F) the engine's, decided in the kernel, and
 * formats the typed events it gets: text rows, JSON lines, a recording
 * that -r reports on later with the same filters. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ply/ply.h>

#include "common.h"

#define TOOL "opentrace"
#define AT_FDCWD_ (-100)

/* ---- one call ---- */

enum status {
	ST_MERGED,	/* entry and return seen */
	ST_NO_ENTRY,	/* return only: started before ply */
	ST_NO_RETURN,	/* entry only: its return never came */
};

static const char *status_names[] = { "merged", "no_entry", "no_return" };

struct call {
	enum status status;
	const char *sys;		/* "openat" */
	uint64_t start_ns;		/* wall clock */
	uint64_t rel_ns;		/* since opentrace started */
	int64_t lat_ns;			/* -1: not known */
	int64_t pid, tid, ppid;		/* ppid -1: not known */
	int64_t uid, gid;
	char *comm;
	int64_t flags, mode;		/* -1: not known */
	int64_t ret;			/* fd, or -errno */
	int has_ret;
	int64_t dfd;
	char *name;			/* as passed; NULL: not known */
	size_t name_len;
	char *path;			/* absolute; NULL: not known */
	size_t path_len;
	int owned;			/* the strings are malloc'd (-r); live,
					 * they are the event's or static */
};

static void call__free(struct call *c)
{
	if (!c->owned)
		return;
	free(c->comm);
	free(c->name);
	free(c->path);
}

/* ---- options ---- */

#define MAX_PREFIX 32

static struct {
	struct scope scope;
	int failed;			/* -x */
	int err;			/* -e: 0 none */
	int64_t slower;			/* -d: ns, -1 none */
	const char *prefix[MAX_PREFIX];	/* --path */
	size_t nprefix;
	int cols[32];			/* -o */
	int ncols;
	int wall;			/* -T */
	int json;			/* -j */
	const char *record;		/* -w */
	const char *report;		/* -r */
	int sort;			/* --sort: a column, -1 none */
	int summary;
	int show;			/* -S */
} o;

enum col_id {
	C_TIME, C_USER, C_UID, C_GID, C_PID, C_TID, C_PPID, C_COMM, C_CALL,
	C_FLAGS, C_MODE, C_RESULT, C_LAT, C_NAME, C_PATH,
};

static const struct col cols[] = {
	[C_TIME]   = { "time", "TIME", 15, 1 },
	[C_USER]   = { "user", "USER", 10, 0 },
	[C_UID]    = { "uid", "UID", 6, 1 },
	[C_GID]    = { "gid", "GID", 6, 1 },
	[C_PID]    = { "pid", "PID", 7, 1 },
	[C_TID]    = { "tid", "TID", 7, 1 },
	[C_PPID]   = { "ppid", "PPID", 7, 1 },
	[C_COMM]   = { "comm", "COMM", 16, 0 },
	[C_CALL]   = { "call", "CALL", 7, 0 },
	[C_FLAGS]  = { "flags", "FLAGS", 24, 0 },
	[C_MODE]   = { "mode", "MODE", 5, 1 },
	[C_RESULT] = { "result", "FD/ERR", 12, 0 },
	[C_LAT]    = { "latency", "LATENCY", 9, 1 },
	[C_NAME]   = { "name", "NAME", 0, 0 },
	[C_PATH]   = { "path", "PATH", 0, 0 },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))
#define DEFAULT_COLS "time,user,pid,comm,result,latency,path"

static void usage(FILE *f)
{
	fprintf(f,
"usage: " TOOL " [options]          trace open, openat, openat2, creat\n"
"       " TOOL " -r FILE [options]  report on a recording\n"
"\n"
"Which processes (-p, -n and -c one at a time; -p or -c not with -u):\n"
"  -p, --pid=PID        this process (repeatable); stop once all have exited\n"
"  -u, --user=USER      processes of this user (name or uid)\n"
"  -c, --command=CMD    run CMD once the probes are attached, trace it,\n"
"                       stop when it exits\n"
"  -n, --name=NAME      processes whose command name is NAME (repeatable)\n"
"  -F, --follow         and the processes they start, at any depth\n"
"Which calls:\n"
"  -x, --failed         failed opens only\n"
"  -e, --errno=ERRNO    opens failing with ERRNO (ENOENT or 2)\n"
"      --path=PREFIX    paths under PREFIX, whole components (repeatable,\n"
"                       up to 32)\n"
"  -d, --slower=DUR     calls slower than DUR (10us, 1.5ms, 2s; ns alone)\n"
"Output:\n"
"  -o, --columns=LIST   columns, in order, of: time user uid gid pid tid\n"
"                       ppid comm call flags mode result latency name path\n"
"                       (default " DEFAULT_COLS ")\n"
"  -T, --wall           wall-clock times (default: time since start)\n"
"  -j, --json           JSON lines, one object per call, raw values\n"
"  -w, --write=FILE     record to FILE as JSON lines (- : stdout, not with -j)\n"
"  -r, --read=FILE      report from a recording (- : stdin); not with -w,\n"
"                       -c, -F or -S\n"
"      --sort=COLUMN    with -r: sort by COLUMN (latency: slowest first)\n"
"      --summary        with -r: counts and latency histograms by user,\n"
"                       by path prefix, by errno\n"
"  -S, --program        print the generated ply program and exit\n"
"  -h, --help           this help\n");
}

/* ---- the program ---- */

struct sys {
	const char *name;
	const char *fname;	/* the name's field */
	int dfd;		/* has data->dfd */
	int how;		/* openat2: flags and mode in *how */
	const char *flags;	/* creat: its implied flags */
};

static const struct sys syscalls[] = {
	{ "open", "filename", 0, 0, NULL },
	{ "openat", "filename", 1, 0, NULL },
	{ "openat2", "filename", 1, 1, NULL },
	{ "creat", "pathname", 0, 0, "577" },	/* O_CREAT|O_WRONLY|O_TRUNC */
};
#define NSYS (sizeof(syscalls) / sizeof(syscalls[0]))

/* What each print of the program is, in program order (the order of
 * ply__sites()). */
enum site_kind {
	SITE_LOST,	/* kpid, start: an entry whose return never came */
	SITE_MERGED,	/* the call, with its name and path */
	SITE_NOENTRY,	/* a return whose entry was not seen */
};

#define MAX_SITES 32
static struct { const struct sys *sys; enum site_kind kind; } site_of[MAX_SITES];
static size_t nsite_of;

static void site_add(const struct sys *s, enum site_kind k)
{
	if (nsite_of == MAX_SITES)
		abort();
	site_of[nsite_of].sys = s;
	site_of[nsite_of++].kind = k;
}

struct buf {
	char *s;
	size_t len;
	FILE *f;
};

/* What a return must be to be shown, decided in the kernel. */
static void ret_filter(FILE *f)
{
	if (o.err)
		fprintf(f, "data->ret == %d", -o.err);
	else if (o.failed)
		fprintf(f, "data->ret < 0");
}

static void gen_sys(FILE *f, const struct sys *s, const char *pred)
{
	const char *ind = "\t\t";
	char slow[64] = "";
	int rf = o.err || o.failed;

	fprintf(f, "tracepoint:syscalls/sys_enter_%s /%s && __on[0]/ {\n",
		s->name, pred);
	fprintf(f, "\tif (__e[kpid].0)\t/* the previous call's return was "
		"not seen */\n\t\tprint(kpid, __e[kpid].0);\n");
	site_add(s, SITE_LOST);
	/* The entry in one map value, a tuple: its time, the name's
	 * address, flags and mode (openat2: its struct open_how's address),
	 * the directory fd. */
	fprintf(f, "\t__e[kpid] = (time, data->%s, ", s->fname);
	if (s->how)
		fprintf(f, "data->how");
	else if (s->flags)
		fprintf(f, "%s | data->mode << 32", s->flags);
	else
		fprintf(f, "(data->flags & 0xffffffff) | data->mode << 32");
	fprintf(f, ", %s);\n}\n", s->dfd ? "data->dfd" : "-100");

	if (o.slower > 0)
		snprintf(slow, sizeof(slow), "time - __e[kpid].0 > %" PRId64,
			 o.slower);
	fprintf(f, "tracepoint:syscalls/sys_exit_%s /%s/ {\n", s->name, pred);
	fprintf(f, "\tif (__e[kpid].0) {\n");
	if (rf || *slow) {
		fprintf(f, "\t\tif (");
		ret_filter(f);
		fprintf(f, "%s%s) {\n", rf && *slow ? " && " : "", slow);
		ind = "\t\t\t";
	}
	/* One record per call (pid and tid, uid and gid two to a word).
	 * The name is read at the return, when its page is in. The path is
	 * computed in the kernel: the opened file's on success; on failure
	 * the directory the name is relative to (fdpath(AT_FDCWD) is the
	 * working directory), which user space joins with the name. */
	fprintf(f, "%sprint(__e[kpid].0, time, pid | kpid << 32, uid | gid << 32, "
		"comm, %s, data->ret, %s, ppid, str(__e[kpid].1, 256),\n%s      "
		"fdpath(data->ret >= 0 ? data->ret : %s));\n", ind,
		s->how ? "mem(__e[kpid].2, 16)" : "__e[kpid].2",
		s->dfd ? "__e[kpid].3" : "-100", ind,
		s->dfd ? "__e[kpid].3" : "-100");
	site_add(s, SITE_MERGED);
	if (rf || *slow)
		fprintf(f, "\t\t}\n");
	/* Done: the entry stays, its time 0, for the thread's next call to
	 * write in place (an update and a delete of a hash entry cost more
	 * than the rest of the entry probe); it goes when the thread exits. */
	fprintf(f, "\t\t__e[kpid] = (0, 0, 0, 0);\n");
	fprintf(f, "\t} else if (");
	if (rf) {
		ret_filter(f);
		fprintf(f, " && ");
	}
	fprintf(f, "__on[0]) {\n");
	fprintf(f, "\t\t/* its entry was not seen: it began before the "
		"probes */\n\t\tprint(time, pid, kpid, uid, gid, comm, "
		"data->ret, ppid);\n\t}\n}\n");
	site_add(s, SITE_NOENTRY);
}

static char *gen_program(void)
{
	char pred[4096], *s = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		abort();
	scope__predicate(&o.scope, pred, sizeof(pred));
	/* Never trace opentrace itself: its own opens of /proc would be
	 * traced, and print, and be traced... */
	snprintf(pred + strlen(pred), sizeof(pred) - strlen(pred),
		 "%spid != %d", *pred ? " && " : "", (int)getpid());
	/* __on[0]: tracing is on from BEGIN (every probe attached) until
	 * opentrace turns it off before draining; so the probes attached and
	 * detached one by one make no returns without their entry. It is
	 * checked where a call starts (and for a return without its entry):
	 * a return whose entry was kept is shown. */
	fprintf(f, "BEGIN {\n\t__on[0] = 1;\n}\n");
	for (i = 0; i < NSYS; i++)
		gen_sys(f, &syscalls[i], pred);
	fprintf(f, "tracepoint:sched/sched_process_exit /%s/ {\n"
		"\tdelete __e[kpid];\n}\n", pred);
	if (fclose(f))
		abort();
	return s;
}

/* ---- the absolute path ---- */

/* ---- filters in user space (all of them for -r) ---- */

static int wanted(const struct call *c, int all)
{
	size_t i;

	if (all) {
		if (!scope__match(&o.scope, c->pid, c->uid, c->comm))
			return 0;
		if (o.failed && !(c->has_ret && c->ret < 0))
			return 0;
		if (o.err && !(c->has_ret && c->ret == -o.err))
			return 0;
	}
	if (o.slower >= 0 && !(c->lat_ns > o.slower))
		return 0;
	if (!o.nprefix)
		return 1;
	for (i = 0; i < o.nprefix; i++)
		if (c->path && path_under(c->path, c->path_len, o.prefix[i]))
			return 1;
	return 0;
}

/* ---- output ---- */

static int64_t start_mono, mono_real;
static FILE *out, *rec;
static uint64_t nseen, nshown, nlost_ret, nno_entry, nunresolved;

static void cell(const struct call *c, int id, char *buf, size_t size)
{
	const char *u, *e;
	size_t n;

	buf[0] = 0;
	switch (id) {
	case C_TIME:
		if (o.wall) {
			clock_str(c->start_ns, buf, size);
		} else {	/* seconds, and microseconds in 6 digits */
			n = fmt_i64(buf, c->rel_ns / 1000000000);
			buf[n++] = '.';
			fmt_i64(buf + n, 1000000 + c->rel_ns % 1000000000 /
				1000);
			memmove(buf + n, buf + n + 1, 7);
		}
		break;
	case C_USER:
		if (c->uid < 0) {
			snprintf(buf, size, "?");
			break;
		}
		u = user_name(c->uid);
		if (u && (n = strlen(u)) < size)
			memcpy(buf, u, n + 1);
		else
			fmt_i64(buf, c->uid);
		break;
	case C_UID: fmt_i64(buf, c->uid); break;
	case C_GID: fmt_i64(buf, c->gid); break;
	case C_PID: fmt_i64(buf, c->pid); break;
	case C_TID: fmt_i64(buf, c->tid); break;
	case C_PPID:
		if (c->ppid >= 0)
			fmt_i64(buf, c->ppid);
		else
			snprintf(buf, size, "-");
		break;
	case C_CALL: snprintf(buf, size, "%s", c->sys); break;
	case C_FLAGS:
		if (c->flags >= 0)
			oflags_str(c->flags, buf, size);
		else
			snprintf(buf, size, "?");
		break;
	case C_MODE:
		if (c->mode >= 0)
			snprintf(buf, size, "%04" PRIo64, c->mode);
		else
			snprintf(buf, size, "?");
		break;
	case C_RESULT:
		if (!c->has_ret)
			snprintf(buf, size, "?");
		else if (c->ret >= 0)
			fmt_i64(buf, c->ret);
		else if ((e = errno_name(-c->ret)))
			snprintf(buf, size, "%s", e);
		else
			snprintf(buf, size, "E%" PRId64, -c->ret);
		break;
	case C_LAT:
		if (c->lat_ns >= 0)
			human_ns(c->lat_ns, buf, size);
		else
			snprintf(buf, size, "?");
		break;
	}
}

/* Printable ASCII but '\\': what the escaper would leave as it is. */
static int plain(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e ||
		    s[i] == '\\')
			return 0;
	return 1;
}

/* A string cell, escaped so that no name forges a row; a call not merged
 * says so where its name would be. Returns the text and its length; *tofree
 * is set when it was allocated. */
static const char *str_cell(const struct call *c, int id, size_t *len,
			    char **tofree)
{
	const char *s = id == C_NAME ? c->name : id == C_PATH ? c->path :
			c->comm;
	size_t l = !s ? 0 : id == C_NAME ? c->name_len :
		   id == C_PATH ? c->path_len : strlen(c->comm);
	const char *msg = NULL;
	char *e;

	*tofree = NULL;
	if (id != C_COMM && c->status == ST_NO_ENTRY)
		msg = "(entry not seen: the call began before the probes)";
	else if (id != C_COMM && c->status == ST_NO_RETURN)
		msg = "(return not seen)";
	else if (!s && id == C_PATH && c->name) {
		/* Unknown directory: the name as passed, marked. */
		e = escape_dup(c->name, c->name_len);
		if (asprintf(tofree, "?/%s", e) < 0)
			abort();
		free(e);
		*len = strlen(*tofree);
		return *tofree;
	} else if (!s)
		msg = "?";
	if (msg) {
		*len = strlen(msg);
		return msg;
	}
	if (plain(s, l)) {
		*len = l;
		return s;
	}
	*tofree = escape_dup(s, l);
	*len = strlen(*tofree);
	return *tofree;
}

static void print_header(FILE *f)
{
	int i, id;

	for (i = 0; i < o.ncols; i++) {
		id = o.cols[i];
		if (i + 1 == o.ncols)
			fprintf(f, "%s", cols[id].header);
		else
			fprintf(f, cols[id].right ? "%*s " : "%-*s ",
				cols[id].width, cols[id].header);
	}
	fputc('\n', f);
	fflush(f);
}

/* A cell padded to its column (the last one is not). */
static void put_cell(FILE *f, const char *s, size_t len, int id, int last)
{
	static const char sp[] = "                                ";
	size_t w = cols[id].width, pad = !last && len < w ? w - len : 0;

	if (cols[id].right)
		fwrite_unlocked(sp, 1, pad, f);
	fwrite_unlocked(s, 1, len, f);
	if (!cols[id].right)
		fwrite_unlocked(sp, 1, pad, f);
	if (!last)
		fputc_unlocked(' ', f);
}

static void print_row(FILE *f, const struct call *c)
{
	char buf[256], *tofree;
	const char *s;
	size_t len;
	int i, id, last;

	for (i = 0; i < o.ncols; i++) {
		id = o.cols[i];
		last = i + 1 == o.ncols;
		if (id == C_COMM || id == C_NAME || id == C_PATH) {
			s = str_cell(c, id, &len, &tofree);
			put_cell(f, s, len, id, last);
			free(tofree);
			continue;
		}
		cell(c, id, buf, sizeof(buf));
		put_cell(f, buf, strlen(buf), id, last);
	}
	fputc_unlocked('\n', f);
}

static void write_json(FILE *f, const struct call *c)
{
	struct jw w;
	const char *u, *e;
	char fl[256];

	jw__begin(&w, f);
	jw__str(&w, "status", status_names[c->status],
		strlen(status_names[c->status]));
	jw__str(&w, "call", c->sys, strlen(c->sys));
	jw__int(&w, "time_ns", c->start_ns);
	jw__int(&w, "rel_ns", c->rel_ns);
	c->lat_ns >= 0 ? jw__int(&w, "latency_ns", c->lat_ns) :
			 jw__null(&w, "latency_ns");
	jw__int(&w, "pid", c->pid);
	jw__int(&w, "tid", c->tid);
	c->ppid >= 0 ? jw__int(&w, "ppid", c->ppid) : jw__null(&w, "ppid");
	if (c->uid >= 0) {	/* an entry alone: its user is not known */
		jw__int(&w, "uid", c->uid);
		u = user_name(c->uid);
		u ? jw__str(&w, "user", u, strlen(u)) : jw__null(&w, "user");
		jw__int(&w, "gid", c->gid);
	} else {
		jw__null(&w, "uid");
		jw__null(&w, "user");
		jw__null(&w, "gid");
	}
	jw__str(&w, "comm", c->comm, strlen(c->comm));
	if (c->flags >= 0) {
		oflags_str(c->flags, fl, sizeof(fl));
		jw__int(&w, "flags", c->flags);
		jw__str(&w, "flag_names", fl, strlen(fl));
		jw__int(&w, "mode", c->mode);
	} else {
		jw__null(&w, "flags");
		jw__null(&w, "flag_names");
		jw__null(&w, "mode");
	}
	if (c->has_ret) {
		jw__int(&w, "ret", c->ret);
		if (c->ret < 0) {
			jw__int(&w, "errno", -c->ret);
			e = errno_name(-c->ret);
			e ? jw__str(&w, "errno_name", e, strlen(e)) :
			    jw__null(&w, "errno_name");
		}
	} else {
		jw__null(&w, "ret");
	}
	jw__int(&w, "dfd", c->dfd);
	c->name ? jw__str(&w, "name", c->name, c->name_len) :
		  jw__null(&w, "name");
	c->path ? jw__str(&w, "path", c->path, c->path_len) :
		  jw__null(&w, "path");
	jw__end(&w);
}

static void emit(struct call *c, int all)
{
	nseen++;
	if (c->status == ST_MERGED && !c->path)
		nunresolved++;
	if (!wanted(c, all))
		return;
	nshown++;
	if (rec)
		write_json(rec, c);
	if (o.json)
		write_json(out, c);
	else if (!(rec && rec == stdout))
		print_row(out, c);
}

/* ---- events ---- */

static void time_set(struct call *c, uint64_t mono)
{
	c->start_ns = mono + mono_real;
	c->rel_ns = mono > (uint64_t)start_mono ? mono - start_mono : 0;
}

/* A string of the event into buf, NUL-terminated (live calls own no
 * memory: the rows are written before the next event). */
static char *copy_str(const struct ply_value *v, char *buf, size_t size,
		      size_t *len)
{
	size_t n = v->len < size - 1 ? v->len : size - 1;

	memcpy(buf, v->s, n);
	buf[n] = 0;
	n = strlen(buf);
	if (len)
		*len = n;
	return buf;
}

static char comm_buf[PLY_STRSIZE_MAX + 1], name_buf[PLY_STRSIZE_MAX + 1];
static char path_buf[2 * PLY_STRSIZE_MAX + 2];	/* a directory, '/', a name */

/* The call's path from the kernel's fdpath() v: the opened file's; for a
 * failed open, the directory its name is relative to, joined with the
 * name. An empty one (not readable) leaves the path unknown, counted. */
static void merged_path(struct call *c, const struct ply_value *v)
{
	size_t dl = strnlen(v->s, v->len);
	char *joined;

	if (dl > PLY_STRSIZE_MAX)
		dl = PLY_STRSIZE_MAX;
	if (!dl)
		return;
	if (c->ret >= 0) {
		memcpy(path_buf, v->s, dl);
		path_buf[dl] = 0;
		c->path = path_buf;
	} else if ((joined = path_join(v->s, dl, c->name, c->name_len))) {
		/* its one malloc; a failed open is the rarer kind */
		memcpy(path_buf, joined, strlen(joined) + 1);
		free(joined);
		c->path = path_buf;
	}
	if (c->path)
		c->path_len = strlen(c->path);
}

static void on_merged(const struct sys *s, const struct ply_value *a,
		      struct call *c)
{
	uint64_t how[2];

	c->status = ST_MERGED;
	time_set(c, a[0].u);
	c->lat_ns = a[1].u - a[0].u;	/* in user space: one lookup less */
	c->pid = a[2].u & 0xffffffff;
	c->tid = a[2].u >> 32;
	c->uid = a[3].u & 0xffffffff;
	c->gid = a[3].u >> 32;
	c->comm = copy_str(&a[4], comm_buf, sizeof(comm_buf), NULL);
	if (s->how) {
		memset(how, 0, sizeof(how));
		memcpy(how, a[5].s, a[5].len < 16 ? a[5].len : 16);
		c->flags = how[0];
		c->mode = how[1];
	} else {
		c->flags = a[5].u & 0xffffffff;
		c->mode = a[5].u >> 32 & 07777;
	}
	/* As the kernel does (build_open_how): without O_CREAT or O_TMPFILE
	 * the mode argument is whatever the register held, and unused. */
	if (!(c->flags & (0100 | 020000000)))
		c->mode = 0;
	c->ret = a[6].i;
	c->has_ret = 1;
	c->dfd = a[7].i;
	c->ppid = a[8].i;
	c->name = copy_str(&a[9], name_buf, sizeof(name_buf), &c->name_len);
	merged_path(c, &a[10]);
}

static void on_noentry(const struct ply_value *a, struct call *c)
{
	c->status = ST_NO_ENTRY;
	time_set(c, a[0].u);
	c->pid = a[1].i;
	c->tid = a[2].i;
	c->uid = a[3].u;
	c->gid = a[4].u;
	c->comm = copy_str(&a[5], comm_buf, sizeof(comm_buf), NULL);
	c->ret = a[6].i;
	c->has_ret = 1;
	c->ppid = a[7].i;
	nno_entry++;
}

static void no_return(const struct sys *s, int64_t tid, uint64_t t0)
{
	struct call c = { 0 };

	c.status = ST_NO_RETURN;
	c.sys = s ? s->name : "open*";
	time_set(&c, t0);
	c.lat_ns = c.flags = c.mode = c.ppid = -1;
	c.pid = c.tid = tid;
	c.uid = c.gid = -1;
	c.dfd = AT_FDCWD_;
	c.comm = "?";
	nlost_ret++;
	emit(&c, 0);
	call__free(&c);
}

static void on_event(struct ply *p, const struct ply_event *ev, void *ctx)
{
	const struct sys *s;
	struct call c = { 0 };

	if (ev->kind != PLY_EV_PRINT || ev->site < 0 ||
	    (size_t)ev->site >= nsite_of)
		return;
	s = site_of[ev->site].sys;
	c.sys = s->name;
	c.lat_ns = c.flags = c.mode = c.ppid = -1;
	c.dfd = AT_FDCWD_;
	switch (site_of[ev->site].kind) {
	case SITE_LOST:
		/* A thread entered again before its last return was seen:
		 * that call is reported, never merged with this one. */
		no_return(s, ev->args[0].i, ev->args[1].u);
		return;
	case SITE_MERGED:
		on_merged(s, ev->args, &c);
		break;
	case SITE_NOENTRY:
		on_noentry(ev->args, &c);
		break;
	}
	emit(&c, 0);
	call__free(&c);
}

/* Entries still waiting for their return when tracing stopped: the
 * first member of their tuple is the time. */
static void on_pending(const struct ply_value *keys, size_t nkeys,
		       const struct ply_value *value, void *ctx)
{
	uint64_t t0 = 0;

	memcpy(&t0, value->s, value->len < 8 ? value->len : 8);
	if (t0)		/* 0: the thread's last call is done */
		no_return(NULL, keys[0].i, t0);
}

/* ---- live ---- */

static struct ply *ply;

static void on_signal(int sig)
{
	if (ply)
		ply__stop(ply);
}

static int open_record(void)
{
	if (!o.record)
		return 0;
	if (!strcmp(o.record, "-")) {
		rec = stdout;
		return 0;
	}
	rec = fopen(o.record, "w");
	if (!rec) {
		fprintf(stderr, TOOL ": %s: %s\n", o.record, strerror(errno));
		return -1;
	}
	return 0;
}

static int end_report(struct ply *p)
{
	struct ply_stats st;
	uint64_t missed = 0, dropped = 0, failed = 0;
	size_t i;

	if (ply__stats(p, &st))
		return -1;
	for (i = 0; i < st.nprobes; i++)
		missed += st.probes[i].missed;
	for (i = 0; i < st.nmaps; i++)
		dropped += st.maps[i].dropped;
	for (i = 0; i < st.nreads; i++)
		failed += st.reads[i].failed;
	fprintf(stderr, TOOL ": %" PRIu64 " calls seen, %" PRIu64 " shown; "
		"lost: %" PRIu64 " events (ring buffer full), %" PRIu64
		" probe runs skipped by the kernel, %" PRIu64 " entries that "
		"did not fit the map, %" PRIu64 " processes the scope had no "
		"room for; %" PRIu64 " returns without their entry, "
		"%" PRIu64 " entries without their return, %" PRIu64 " names "
		"that could not be read, %" PRIu64 " paths that could not "
		"be read\n", nseen, nshown, st.lost, missed, dropped,
		st.scope_full, nno_entry, nlost_ret, failed, nunresolved);
	return st.lost || missed || dropped || st.scope_full ? 1 : 0;
}

static int live(void)
{
	struct ply_opts po = { .sz = sizeof(po) };
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec ts;
	char *prog;
	const struct ply_site *sites;
	size_t nsites;
	struct ply_value off;
	int err, r = 0, lossy = 0, failed;

	prog = gen_program();
	if (o.show) {
		/* The scope is the engine's, not in the text: say which ply
		 * options give it. */
		scope__print_program(&o.scope, prog, stdout);
		free(prog);
		return 0;
	}
	po.name = TOOL;
	po.prog_name = TOOL;
	po.on_event = on_event;
	po.no_maps = 1;
	po.keep_going = 1;	/* losses are counted and said at the end */
	po.strsize = 64;
	scope__apply(&o.scope, &po);
	po.map_size = 32768;	/* a thread's entry lives as long as it */
	/* A call is one event of about 610 bytes: 32 MiB holds some 55,000
	 * calls, a consumer held up for a tenth of a second by a loop of
	 * opens on a busy machine (4 MiB lost events then). */
	po.ringbuf_size = 32 << 20;
	err = ply__compile(&ply, prog, &po);
	free(prog);
	if (err)
		return 1;
	sites = ply__sites(ply, &nsites);
	if (nsites != nsite_of || !sites) {
		fprintf(stderr, TOOL ": internal: %zu sites, want %zu\n",
			nsites, nsite_of);
		goto fail;
	}
	if (open_record())
		goto fail;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (ply__load(ply) || ply__attach(ply))
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	start_mono = ts.tv_sec * 1000000000LL + ts.tv_nsec;
	mono_real = mono_to_real();
	fprintf(stderr, TOOL ": tracing open, openat, openat2, creat; "
		"Ctrl-C to end\n");
	if (!o.json && !(rec && rec == stdout))
		print_header(out);
	/* From here on, whatever ends the tracing, what was seen is shown
	 * and counted. A stop asked for before the start (Ctrl-C right
	 * after the header) is no error. */
	failed = ply__start(ply) < 0;
	/* Rows are flushed once per batch, so a pipe's reader sees them
	 * soon; a reader that went away stops the tracing. */
	while (!failed && (r = ply__step(ply, -1)) > 0)
		if (fflush(out) || (rec && fflush(rec))) {
			fprintf(stderr, TOOL ": output: %s\n", strerror(errno));
			ply__stop(ply);
		}
	if (!failed && r < 0) {
		fprintf(stderr, TOOL ": %s\n", strerror(-r));
		failed = 1;
	}
	off = ply_int(0);
	ply__map_update(ply, "__on", &off, 1, &off);
	ply__finish(ply);
	ply__map_foreach(ply, "__e", on_pending, NULL);
	fflush(out);
	if (rec && rec != stdout && fclose(rec))
		fprintf(stderr, TOOL ": %s: %s\n", o.record, strerror(errno));
	lossy = end_report(ply);
	if (ferror(out) || (rec && ferror(rec))) {
		fprintf(stderr, TOOL ": the output could not be written (a "
			"closed pipe, a full disk): rows are missing from it\n");
		lossy = 1;
	}
	r = ply__exit_status(ply);
	ply__free(ply);
	return r ? r : lossy || failed;
fail:
	ply__free(ply);
	return 1;
}

/* ---- report from a recording ---- */

static struct call *calls;
static size_t ncalls;

static int64_t jint(const struct jobj *j, const char *key, int64_t dflt)
{
	const struct jval *v = jobj__get(j, key);

	return v && v->type == 'n' ? v->n : dflt;
}

static char *jstr(const struct jobj *j, const char *key, size_t *len)
{
	const struct jval *v = jobj__get(j, key);
	char *s;

	if (!v || v->type != 's')
		return NULL;
	s = malloc(v->len + 1);
	if (!s)
		abort();
	memcpy(s, v->s, v->len + 1);
	if (len)
		*len = v->len;
	return s;
}

static const char *sys_name(const char *s)
{
	size_t i;

	for (i = 0; s && i < NSYS; i++)
		if (!strcmp(s, syscalls[i].name))
			return syscalls[i].name;
	return "open*";
}

static int from_json(const struct jobj *j, struct call *c)
{
	const struct jval *v;
	char *s;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->owned = 1;
	s = jstr(j, "status", NULL);
	for (i = 0; s && i < 3; i++)
		if (!strcmp(s, status_names[i]))
			c->status = i;
	free(s);
	s = jstr(j, "call", NULL);
	c->sys = sys_name(s);
	free(s);
	c->start_ns = jint(j, "time_ns", 0);
	c->rel_ns = jint(j, "rel_ns", 0);
	c->lat_ns = jint(j, "latency_ns", -1);
	c->pid = jint(j, "pid", -1);
	c->tid = jint(j, "tid", -1);
	c->ppid = jint(j, "ppid", -1);
	c->uid = jint(j, "uid", -1);
	c->gid = jint(j, "gid", -1);
	c->comm = jstr(j, "comm", NULL);
	c->flags = jint(j, "flags", -1);
	c->mode = jint(j, "mode", -1);
	v = jobj__get(j, "ret");
	c->has_ret = v && v->type == 'n';
	c->ret = c->has_ret ? v->n : 0;
	c->dfd = jint(j, "dfd", AT_FDCWD_);
	c->name = jstr(j, "name", &c->name_len);
	c->path = jstr(j, "path", &c->path_len);
	if (!c->comm)
		c->comm = strdup("?");
	return c->pid < 0 ? -1 : 0;
}

static int read_recording(void)
{
	FILE *f = strcmp(o.report, "-") ? fopen(o.report, "r") : stdin;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	struct jobj j;
	struct call c, *nc;
	int bad = 0, ok;

	if (!f) {
		fprintf(stderr, TOOL ": %s: %s\n", o.report, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		lineno++;
		memset(&c, 0, sizeof(c));
		ok = !jobj__parse(&j, line, n) && !from_json(&j, &c);
		jobj__free(&j);
		if (!ok) {
			call__free(&c);
			if (!bad++)
				fprintf(stderr, TOOL ": %s:%zu: not a recorded "
					"call\n", o.report, lineno);
			continue;
		}
		nc = realloc(calls, (ncalls + 1) * sizeof(*nc));
		if (!nc)
			abort();
		calls = nc;
		calls[ncalls++] = c;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	if (bad)
		fprintf(stderr, TOOL ": %s: %d lines skipped\n", o.report, bad);
	return 0;
}

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
	int r = memcmp(a ? a : "", b ? b : "", al < bl ? al : bl);

	return r ? r : (al > bl) - (al < bl);
}

static int cmp_num(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static int cmp_calls(const void *pa, const void *pb)
{
	const struct call *a = pa, *b = pb;
	const char *ua, *ub;
	int r = 0;

	switch (o.sort) {
	case C_TIME: r = cmp_num(a->start_ns, b->start_ns); break;
	case C_LAT: r = -cmp_num(a->lat_ns, b->lat_ns); break;	/* slowest */
	case C_UID: case C_USER:
		ua = user_name(a->uid), ub = user_name(b->uid);
		r = o.sort == C_USER && ua && ub ? strcmp(ua, ub) :
		    cmp_num(a->uid, b->uid);
		break;
	case C_GID: r = cmp_num(a->gid, b->gid); break;
	case C_PID: r = cmp_num(a->pid, b->pid); break;
	case C_TID: r = cmp_num(a->tid, b->tid); break;
	case C_PPID: r = cmp_num(a->ppid, b->ppid); break;
	case C_COMM: r = strcmp(a->comm, b->comm); break;
	case C_CALL: r = strcmp(a->sys, b->sys); break;
	case C_FLAGS: r = cmp_num(a->flags, b->flags); break;
	case C_MODE: r = cmp_num(a->mode, b->mode); break;
	case C_RESULT: r = cmp_num(a->ret, b->ret); break;
	case C_NAME: r = cmp_bytes(a->name, a->name_len, b->name, b->name_len);
		break;
	case C_PATH: r = cmp_bytes(a->path, a->path_len, b->path, b->path_len);
		break;
	}
	return r ? r : cmp_num(a->start_ns, b->start_ns);
}

/* ---- --summary ---- */

struct group {
	char *key;
	uint64_t n;
	uint64_t hist[LOG2_BUCKETS];
};

static void group_add(struct group **g, size_t *n, const char *key,
		      int64_t lat)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*g)[i].key, key))
			break;
	if (i == *n) {
		*g = realloc(*g, (*n + 1) * sizeof(**g));
		if (!*g)
			abort();
		memset(&(*g)[i], 0, sizeof(**g));
		(*g)[i].key = strdup(key);
		(*n)++;
	}
	(*g)[i].n++;
	if (lat >= 0)
		lathist_add((*g)[i].hist, lat);
}

static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	return x->n != y->n ? (x->n < y->n) - (x->n > y->n) :
	       strcmp(x->key, y->key);
}

static void groups_print(const char *title, struct group *g, size_t n)
{
	size_t i;
	char *e;

	qsort(g, n, sizeof(*g), cmp_group);
	printf("by %s:\n", title);
	for (i = 0; i < n; i++) {
		e = escape_dup(g[i].key, strlen(g[i].key));
		printf("  %-40s %8" PRIu64 " calls\n", e, g[i].n);
		free(e);
		lathist_print(stdout, g[i].hist, "    ");
		free(g[i].key);
	}
	free(g);
	printf("\n");
}

/* The prefix a path is counted under: the --path prefix it is under, or
 * the first two components of its directory ("/usr/lib", "/etc"). */
static void path_group(const struct call *c, char *buf, size_t size)
{
	size_t i, dir = 0, n, slashes = 0;

	if (!c->path || c->path[0] != '/') {
		snprintf(buf, size, "(unknown)");
		return;
	}
	for (i = 0; i < o.nprefix; i++)
		if (path_under(c->path, c->path_len, o.prefix[i])) {
			snprintf(buf, size, "%s", o.prefix[i]);
			return;
		}
	for (i = 0; i < c->path_len; i++)	/* the last '/' */
		if (c->path[i] == '/')
			dir = i;
	for (n = 0; n < dir && n + 1 < size; n++) {
		if (c->path[n] == '/' && ++slashes == 3)
			break;
		buf[n] = c->path[n];
	}
	buf[n] = 0;
	if (!n)
		snprintf(buf, size, "/");
}

static void summary(struct call **sel, size_t n)
{
	struct group *gu = NULL, *gp = NULL, *ge = NULL;
	size_t nu = 0, np = 0, ne = 0, i;
	char key[PATH_MAX];
	const char *e;

	for (i = 0; i < n; i++) {
		const struct call *c = sel[i];

		cell(c, C_USER, key, sizeof(key));
		group_add(&gu, &nu, key, c->lat_ns);
		path_group(c, key, sizeof(key));
		group_add(&gp, &np, key, c->lat_ns);
		if (!c->has_ret)
			snprintf(key, sizeof(key), "(no return)");
		else if (c->ret >= 0)
			snprintf(key, sizeof(key), "(success)");
		else if ((e = errno_name(-c->ret)))
			snprintf(key, sizeof(key), "%s", e);
		else
			snprintf(key, sizeof(key), "E%" PRId64, -c->ret);
		group_add(&ge, &ne, key, c->lat_ns);
	}
	printf("%zu calls\n\n", n);
	groups_print("user", gu, nu);
	groups_print("path prefix", gp, np);
	groups_print("errno", ge, ne);
}

static int report(void)
{
	struct call **sel;
	size_t n = 0, i;

	if (read_recording())
		return 1;
	sel = calloc(ncalls + 1, sizeof(*sel));
	if (!sel)
		abort();
	if (o.sort >= 0)
		qsort(calls, ncalls, sizeof(*calls), cmp_calls);
	for (i = 0; i < ncalls; i++)
		if (wanted(&calls[i], 1))
			sel[n++] = &calls[i];
	if (o.summary) {
		summary(sel, n);
	} else {
		if (!o.json)
			print_header(out);
		for (i = 0; i < n; i++)
			o.json ? write_json(out, sel[i]) :
				 print_row(out, sel[i]);
	}
	fprintf(stderr, TOOL ": %zu recorded calls, %zu shown\n", ncalls, n);
	for (i = 0; i < ncalls; i++)
		call__free(&calls[i]);
	free(calls);
	free(sel);
	return fflush(out) ? 1 : 0;
}

/* ---- main ---- */

enum { OPT_PATH = 256, OPT_SORT, OPT_SUMMARY };

static const struct option longopts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "user", required_argument, NULL, 'u' },
	{ "command", required_argument, NULL, 'c' },
	{ "name", required_argument, NULL, 'n' },
	{ "follow", no_argument, NULL, 'F' },
	{ "failed", no_argument, NULL, 'x' },
	{ "errno", required_argument, NULL, 'e' },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "slower", required_argument, NULL, 'd' },
	{ "columns", required_argument, NULL, 'o' },
	{ "wall", no_argument, NULL, 'T' },
	{ "json", no_argument, NULL, 'j' },
	{ "write", required_argument, NULL, 'w' },
	{ "read", required_argument, NULL, 'r' },
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "program", no_argument, NULL, 'S' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* A usage error: one line, exit 2. */
#define bad(...) usage_error(TOOL, 0, __VA_ARGS__)

static int parse_opts(int argc, char **argv)
{
	const char *colspec = DEFAULT_COLS;
	int c;

	while ((c = getopt_long(argc, argv, "p:u:c:n:Fxe:d:o:Tjw:r:Sh",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'p': case 'u': case 'c': case 'n': case 'F':
			if (scope__opt(&o.scope, c, optarg, TOOL))
				return 2;
			break;
		case 'x': o.failed = 1; break;
		case 'e':
			o.err = errno_parse(optarg);
			if (o.err < 0)
				return bad("-e %s: not an errno name or "
					   "number", optarg);
			break;
		case OPT_PATH:
			if (optarg[0] != '/')
				return bad("--path: an absolute path");
			if (o.nprefix == MAX_PREFIX)
				return bad("--path: too many");
			o.prefix[o.nprefix++] = optarg;
			break;
		case 'd':
			o.slower = duration_parse(optarg);
			if (o.slower < 0)
				return bad("-d %s: not a duration (10us, "
					   "1.5ms, 2s)", optarg);
			break;
		case 'o': colspec = optarg; break;
		case 'T': o.wall = 1; break;
		case 'j': o.json = 1; break;
		case 'w': o.record = optarg; break;
		case 'r': o.report = optarg; break;
		case OPT_SORT:
			o.sort = col_find(cols, NCOLS, optarg);
			if (o.sort < 0 && !strcmp(optarg, "lat"))
				o.sort = C_LAT;
			if (o.sort < 0)
				return bad("--sort %s: no such column",
					   optarg);
			break;
		case OPT_SUMMARY: o.summary = 1; break;
		case 'S': o.show = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		return bad("no arguments besides options (a command goes "
			   "with -c)");
	o.ncols = cols_parse(cols, NCOLS, colspec, o.cols, 32, TOOL);
	if (o.ncols < 0)
		return 2;
	if (scope__check(&o.scope, TOOL))
		return 2;
	if (o.report && (o.record || o.scope.command || o.show))
		return bad("-r is mutually exclusive with -w, -c and -S");
	if (o.report && o.scope.follow)
		return bad("-F does not go with -r: a recording does not hold "
			   "the process tree");
	if (!o.report && (o.sort >= 0 || o.summary))
		return bad("--sort and --summary go with -r");
	if (o.record && !strcmp(o.record, "-") && o.json)
		return bad("-w - and -j both write JSON lines to stdout");
	return 0;
}

int main(int argc, char **argv)
{
	int r;

	scope__init(&o.scope);
	o.sort = -1;
	o.slower = -1;
	r = parse_opts(argc, argv);
	if (r)
		return r;
	out = stdout;
	if (!isatty(fileno(out)))
		setvbuf(out, NULL, _IOFBF, 1 << 16);
	return o.report ? report() : live();
}
