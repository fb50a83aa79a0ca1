/* common: the parts of the file tools written once (see common.h). */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ply/ply.h>

#include "common.h"

/* ---- scope ---- */

void scope__init(struct scope *s)
{
	memset(s, 0, sizeof(*s));
	s->uid = -1;
}

static int scope_pid(struct scope *s, const char *arg, const char *tool)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v <= 0 || v > 0x7fffffff) {
		fprintf(stderr, "%s: -p %s: not a process id\n", tool, arg);
		return -1;
	}
	if (s->npids == SCOPE_MAX) {
		fprintf(stderr, "%s: -p: at most %d processes\n", tool,
			SCOPE_MAX);
		return -1;
	}
	s->pids[s->npids++] = v;
	return 0;
}

/* The name goes into the program as a string literal: nothing that would
 * need escaping there, and comm is 15 bytes. */
static int scope_name(struct scope *s, const char *arg, const char *tool)
{
	const char *c;

	for (c = arg; *c; c++)
		if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
			break;
	if (!*arg || *c || strlen(arg) > 15) {
		fprintf(stderr, "%s: -n %s: a process name is 1 to 15 bytes, "
			"without quotes, backslashes or control characters\n",
			tool, arg);
		return -1;
	}
	if (s->nnames == SCOPE_MAX) {
		fprintf(stderr, "%s: -n: at most %d names\n", tool, SCOPE_MAX);
		return -1;
	}
	s->names[s->nnames++] = arg;
	return 0;
}

int scope__opt(struct scope *s, int opt, const char *arg, const char *tool)
{
	switch (opt) {
	case 'p':
		return scope_pid(s, arg, tool);
	case 'u':
		s->uid = user_parse(arg);
		if (s->uid < 0) {
			fprintf(stderr, "%s: -u %s: no such user\n", tool, arg);
			return -1;
		}
		return 0;
	case 'c':
		s->command = arg;
		return 0;
	case 'n':
		return scope_name(s, arg, tool);
	case 'F':
		s->follow = 1;
		return 0;
	}
	return -1;
}

int scope__check(const struct scope *s, const char *tool)
{
	const char *why = NULL;

	if (s->npids && s->command)
		why = "-p and -c are mutually exclusive";
	else if ((s->npids || s->command) && s->uid >= 0)
		why = "-p or -c are mutually exclusive with -u";
	else if (s->nnames && (s->npids || s->command))
		why = "-n is mutually exclusive with -p and -c";
	else if (s->follow && !s->npids && !s->nnames && !s->command)
		why = "-F follows the processes of -p, -n or -c: give one";
	if (!why)
		return 0;
	fprintf(stderr, "%s: %s\n", tool, why);
	return -1;
}

static size_t cat(char *buf, size_t size, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t cat(char *buf, size_t size, size_t at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (at >= size)
		return at;
	va_start(ap, fmt);
	n = vsnprintf(buf + at, size - at, fmt, ap);
	va_end(ap);
	return n < 0 ? at : at + n;
}

/* -c alone is the command's process only: the engine's scope holds a
 * command with its tree (-F), so without -F it is a predicate. */
void scope__predicate(const struct scope *s, char *buf, size_t size)
{
	size_t at = 0;

	buf[0] = 0;
	if (s->command && !s->follow)
		at = cat(buf, size, at, "pid == $target");
	if (s->uid >= 0)
		at = cat(buf, size, at, "%suid == %lld", at ? " && " : "",
			 s->uid);
}

void scope__apply(const struct scope *s, struct ply_opts *po)
{
	po->pids = s->npids ? s->pids : NULL;
	po->npids = s->npids;
	po->names = s->nnames ? s->names : NULL;
	po->nnames = s->nnames;
	po->follow = s->follow;
	po->command = s->command;
}

/* s as one shell word, in single quotes unless it needs none. */
static size_t cat_word(char *buf, size_t size, size_t at, const char *s)
{
	const char *c;

	for (c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_-./,:=+@%", *c))
			break;
	if (*s && !*c)
		return cat(buf, size, at, "%s", s);
	at = cat(buf, size, at, "'");
	for (c = s; *c; c++)
		at = *c == '\'' ? cat(buf, size, at, "'\\''") :
				  cat(buf, size, at, "%c", *c);
	return cat(buf, size, at, "'");
}

void scope__ply_args(const struct scope *s, char *buf, size_t size)
{
	size_t at = 0, i;

	buf[0] = 0;
	for (i = 0; i < s->npids; i++)
		at = cat(buf, size, at, "%s-p %d", at ? " " : "",
			 (int)s->pids[i]);
	for (i = 0; i < s->nnames; i++) {
		at = cat(buf, size, at, "%s-n ", at ? " " : "");
		at = cat_word(buf, size, at, s->names[i]);
	}
	if (s->command) {
		at = cat(buf, size, at, "%s-c ", at ? " " : "");
		at = cat_word(buf, size, at, s->command);
	}
	if (s->follow)
		at = cat(buf, size, at, "%s-F", at ? " " : "");
}

void scope__print_program(const struct scope *s, const char *prog, FILE *f)
{
	char args[4096];

	scope__ply_args(s, args, sizeof(args));
	if (*args)
		fprintf(f, "# run with: ply %s\n", args);
	fputs(prog, f);
}

int scope__match(const struct scope *s, pid_t pid, uint32_t uid,
		 const char *comm)
{
	size_t i;
	int ok;

	if (s->npids) {
		for (ok = 0, i = 0; i < s->npids; i++)
			ok |= s->pids[i] == pid;
		if (!ok)
			return 0;
	}
	if (s->nnames) {
		for (ok = 0, i = 0; i < s->nnames; i++)
			ok |= !strncmp(s->names[i], comm, 15);
		if (!ok)
			return 0;
	}
	return s->uid < 0 || s->uid == uid;
}

/* ---- usage errors ---- */

int usage_error(const char *tool, int help, const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s%s%s%s\n", tool, what, help ? " (see " : "",
		help ? tool : "", help ? " --help)" : "");
	return 2;
}

/* ---- names ---- */

struct uname {
	uint32_t uid;
	char *name;		/* NULL: the database has none */
};

static struct uname *unames;
static size_t nunames;

const char *user_name(uint32_t uid)
{
	struct passwd *pw;
	struct uname *u;
	size_t i;

	for (i = 0; i < nunames; i++)
		if (unames[i].uid == uid)
			return unames[i].name;
	u = realloc(unames, (nunames + 1) * sizeof(*u));
	if (!u)
		return NULL;
	unames = u;
	pw = getpwuid(uid);
	u[nunames].uid = uid;
	u[nunames].name = pw ? strdup(pw->pw_name) : NULL;
	return u[nunames++].name;
}

long long user_parse(const char *s)
{
	struct passwd *pw;
	char *end;
	long long v;

	pw = getpwnam(s);
	if (pw)
		return pw->pw_uid;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 0xffffffffLL)
		return -1;
	return v;
}

#define E(x) { x, #x }
static const struct { int n; const char *name; } errnos[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV),
	E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
	E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK),
	E(EPIPE), E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK),
	E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(ENOSTR),
	E(ENODATA), E(ETIME), E(ENOSR), E(EREMOTE), E(ENOLINK), E(EPROTO),
	E(EBADMSG), E(EOVERFLOW), E(EILSEQ), E(EUSERS), E(ENOTSOCK),
	E(EOPNOTSUPP), E(ESTALE), E(EDQUOT), E(ECANCELED), E(EOWNERDEAD),
	E(ENOTRECOVERABLE), E(ERFKILL), E(EHWPOISON), E(ENOMEDIUM),
	E(EMEDIUMTYPE), E(ENOKEY), E(EKEYEXPIRED), E(EKEYREVOKED),
	E(EKEYREJECTED), E(ETIMEDOUT), E(ECONNREFUSED), E(ENOBUFS),
	E(EADDRINUSE), E(EINPROGRESS), E(EALREADY),
};
#undef E

const char *errno_name(int err)
{
	size_t i;

	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].n == err)
			return errnos[i].name;
	return NULL;
}

int errno_parse(const char *s)
{
	char *end;
	size_t i;
	long v;

	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (!strcasecmp(errnos[i].name, s))
			return errnos[i].n;
	v = strtol(s, &end, 10);
	if (*end || end == s || v <= 0 || v > 4095)
		return -1;
	return v;
}

/* The kernel's x86-64 values (glibc's O_LARGEFILE is 0 there). */
static const struct { uint64_t bit; const char *name; } oflags[] = {
	{ 0100, "O_CREAT" }, { 0200, "O_EXCL" }, { 0400, "O_NOCTTY" },
	{ 01000, "O_TRUNC" }, { 02000, "O_APPEND" }, { 04000, "O_NONBLOCK" },
	{ 010000, "O_DSYNC" }, { 020000, "O_ASYNC" }, { 040000, "O_DIRECT" },
	{ 0100000, "O_LARGEFILE" }, { 0200000, "O_DIRECTORY" },
	{ 0400000, "O_NOFOLLOW" }, { 01000000, "O_NOATIME" },
	{ 02000000, "O_CLOEXEC" },
	{ 04000000, "O_SYNC" },		/* __O_SYNC: O_SYNC is it | O_DSYNC */
	{ 010000000, "O_PATH" },
	{ 020000000, "O_TMPFILE" },	/* __O_TMPFILE, with O_DIRECTORY */
};

void oflags_str(uint64_t flags, char *buf, size_t size)
{
	static const char *acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR",
				     "O_ACCMODE" };
	size_t at, i;

	at = cat(buf, size, 0, "%s", acc[flags & 3]);
	flags &= ~(uint64_t)3;
	for (i = 0; i < sizeof(oflags) / sizeof(oflags[0]); i++)
		if (flags & oflags[i].bit) {
			at = cat(buf, size, at, "|%s", oflags[i].name);
			flags &= ~oflags[i].bit;
		}
	if (flags)
		cat(buf, size, at, "|0x%" PRIx64, flags);
}

/* ---- times ---- */

void human_ns(int64_t ns, char *buf, size_t size)
{
	static const char *unit[] = { "ns", "us", "ms", "s" };
	uint64_t v = ns < 0 ? -(uint64_t)ns : (uint64_t)ns, div = 1, ip;
	char tmp[48], dig[24];
	size_t n = 0, k = 0;
	unsigned frac;
	int u = 0;

	/* Integers only, and no printf: this runs once per row. */
	while (u < 3 && v >= div * 1000)
		div *= 1000, u++;
	if (ns < 0)
		tmp[n++] = '-';
	ip = v / div;
	do
		dig[k++] = '0' + ip % 10;
	while (ip /= 10);
	while (k)
		tmp[n++] = dig[--k];
	if (u) {
		frac = v % div * 100 / div;
		tmp[n++] = '.';
		tmp[n++] = '0' + frac / 10;
		tmp[n++] = '0' + frac % 10;
	}
	memcpy(tmp + n, unit[u], strlen(unit[u]) + 1);
	n += strlen(unit[u]);
	if (!size)
		return;
	if (n >= size)
		n = size - 1;
	memcpy(buf, tmp, n);
	buf[n] = 0;
}

int64_t duration_parse(const char *s)
{
	static const struct { const char *u; double m; } units[] = {
		{ "", 1 }, { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 },
		{ "s", 1e9 },
	};
	char *end;
	double v;
	size_t i;

	v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].u))
			return (int64_t)(v * units[i].m + 0.5);
	return -1;
}

void clock_str(uint64_t ns, char *buf, size_t size)
{
	time_t t = ns / 1000000000;
	struct tm tm;

	localtime_r(&t, &tm);
	snprintf(buf, size, "%02d:%02d:%02d.%06u", tm.tm_hour, tm.tm_min,
		 tm.tm_sec, (unsigned)(ns % 1000000000 / 1000));
}

int64_t mono_to_real(void)
{
	struct timespec m0, r, m1;

	clock_gettime(CLOCK_MONOTONIC, &m0);
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m1);
	return (r.tv_sec * 1000000000LL + r.tv_nsec) -
	       ((m0.tv_sec + m1.tv_sec) * 500000000LL +
		(m0.tv_nsec + m1.tv_nsec) / 2);
}

/* ---- paths ---- */

int path_under(const char *path, size_t len, const char *prefix)
{
	size_t pl = strlen(prefix);

	while (pl > 1 && prefix[pl - 1] == '/')
		pl--;
	if (pl == 1 && prefix[0] == '/')
		return len && path[0] == '/';
	return len >= pl && !memcmp(path, prefix, pl) &&
	       (len == pl || path[pl] == '/');
}

char *path_join(const char *dir, size_t dl, const char *name, size_t nl)
{
	char *p;

	if (nl && name[0] == '/')
		dl = 0;
	else if (!dl || dir[0] != '/')
		return NULL;
	p = malloc(dl + 1 + nl + 1);
	if (!p)
		abort();
	if (dl)
		memcpy(p, dir, dl);
	if (dl > 1)		/* "/" and the name: no second slash */
		p[dl++] = '/';
	if (nl)
		memcpy(p + dl, name, nl);
	p[dl + nl] = 0;
	return p;
}

/* ---- text ---- */

size_t fmt_i64(char *buf, int64_t v)
{
	char tmp[24];
	size_t n = 0, i = 0;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do
		tmp[n++] = '0' + u % 10;
	while (u /= 10);
	if (v < 0)
		buf[i++] = '-';
	while (n)
		buf[i++] = tmp[--n];
	buf[i] = 0;
	return i;
}

char *escape_dup(const char *s, size_t len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		abort();
	ply_str_escape(f, s, len);
	if (fclose(f) || !buf)
		abort();
	return buf;
}

/* ---- JSON lines ---- */

/* A line is built in w->buf and written with one call: a row per event,
 * at up to a million events a second, and stdio's per-call cost was most
 * of the time. */
static void jw_flush(struct jw *w)
{
	fwrite_unlocked(w->buf, 1, w->len, w->f);
	w->len = 0;
}

static void jw_put(struct jw *w, const char *s, size_t len)
{
	if (w->len + len > sizeof(w->buf))
		jw_flush(w);
	if (len > sizeof(w->buf)) {
		fwrite_unlocked(s, 1, len, w->f);
		return;
	}
	memcpy(w->buf + w->len, s, len);
	w->len += len;
}

void jw__begin(struct jw *w, FILE *f)
{
	w->f = f;
	w->n = 0;
	w->len = 0;
	jw_put(w, "{", 1);
}

static void jw_key(struct jw *w, const char *key)
{
	if (w->n++)
		jw_put(w, ",", 1);
	jw_put(w, "\"", 1);
	jw_put(w, key, strlen(key));
	jw_put(w, "\":", 2);
}

/* Printable ASCII but '"' and '\\': what the library's escaper writes as
 * it is. */
static int json_plain(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e ||
		    s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

void jw__str(struct jw *w, const char *key, const char *s, size_t len)
{
	jw_key(w, key);
	if (json_plain(s, len)) {
		jw_put(w, "\"", 1);
		jw_put(w, s, len);
		jw_put(w, "\"", 1);
		return;
	}
	jw_flush(w);		/* anything else: the library escapes it */
	ply_json_str(w->f, s, len);
}

void jw__int(struct jw *w, const char *key, int64_t v)
{
	char buf[24];

	jw_key(w, key);
	jw_put(w, buf, fmt_i64(buf, v));
}

void jw__null(struct jw *w, const char *key)
{
	jw_key(w, key);
	jw_put(w, "null", 4);
}

void jw__bool(struct jw *w, const char *key, int v)
{
	jw_key(w, key);
	jw_put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw__end(struct jw *w)
{
	jw_put(w, "}\n", 2);
	jw_flush(w);
}

struct jin {
	const char *p, *end;
};

static void jin_ws(struct jin *in)
{
	while (in->p < in->end && strchr(" \t\r\n", *in->p))
		in->p++;
}

static int hex4(struct jin *in, unsigned *v)
{
	int i;

	*v = 0;
	if (in->end - in->p < 4)
		return -1;
	for (i = 0; i < 4; i++, in->p++) {
		if (!isxdigit((unsigned char)*in->p))
			return -1;
		*v = *v << 4 | (isdigit((unsigned char)*in->p) ?
				*in->p - '0' : (tolower(*in->p) - 'a' + 10));
	}
	return 0;
}

static void put_utf8(FILE *f, unsigned cp)
{
	if (cp < 0x80) {
		fputc(cp, f);
	} else if (cp < 0x800) {
		fputc(0xc0 | cp >> 6, f);
		fputc(0x80 | (cp & 0x3f), f);
	} else if (cp < 0x10000) {
		fputc(0xe0 | cp >> 12, f);
		fputc(0x80 | (cp >> 6 & 0x3f), f);
		fputc(0x80 | (cp & 0x3f), f);
	} else {
		fputc(0xf0 | cp >> 18, f);
		fputc(0x80 | (cp >> 12 & 0x3f), f);
		fputc(0x80 | (cp >> 6 & 0x3f), f);
		fputc(0x80 | (cp & 0x3f), f);
	}
}

/* A string's escapes back to its bytes: \udcXX (a lone low surrogate, as
 * the library's escaper writes a byte that is not UTF-8) is that byte. */
static int jin_escape(struct jin *in, FILE *f)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *c;
	unsigned v, lo;

	if (in->p >= in->end)
		return -1;
	if ((c = strchr(from, *in->p)) && *in->p) {
		fputc(to[c - from], f);
		in->p++;
		return 0;
	}
	if (*in->p++ != 'u' || hex4(in, &v))
		return -1;
	if (v >= 0xdc80 && v <= 0xdcff) {
		fputc(v & 0xff, f);
		return 0;
	}
	if (v >= 0xd800 && v <= 0xdbff) {
		if (in->end - in->p < 6 || in->p[0] != '\\' || in->p[1] != 'u')
			return -1;
		in->p += 2;
		if (hex4(in, &lo) || lo < 0xdc00 || lo > 0xdfff)
			return -1;
		v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
	} else if (v >= 0xdc00 && v <= 0xdfff) {
		return -1;
	}
	put_utf8(f, v);
	return 0;
}

static int jin_str(struct jin *in, char **out, size_t *len)
{
	FILE *f;
	int err = 0;

	if (in->p >= in->end || *in->p != '"')
		return -1;
	in->p++;
	*out = NULL;
	f = open_memstream(out, len);
	if (!f)
		abort();
	while (!err) {
		if (in->p >= in->end) {
			err = -1;
		} else if (*in->p == '"') {
			in->p++;
			break;
		} else if (*in->p == '\\') {
			in->p++;
			err = jin_escape(in, f);
		} else if ((unsigned char)*in->p < 0x20) {
			err = -1;
		} else {
			fputc(*in->p++, f);
		}
	}
	if (fclose(f))
		abort();
	if (err) {
		free(*out);
		*out = NULL;
	}
	return err;
}

static int jin_value(struct jin *in, struct jval *v)
{
	static const struct { const char *w; int type, n; } words[] = {
		{ "null", 'z', 0 }, { "true", 'b', 1 }, { "false", 'b', 0 },
	};
	char *end;
	size_t i, l;

	if (in->p < in->end && *in->p == '"') {
		v->type = 's';
		return jin_str(in, &v->s, &v->len);
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		l = strlen(words[i].w);
		if ((size_t)(in->end - in->p) >= l &&
		    !memcmp(in->p, words[i].w, l)) {
			v->type = words[i].type;
			v->n = words[i].n;
			in->p += l;
			return 0;
		}
	}
	if (in->p >= in->end || !(*in->p == '-' || isdigit((unsigned char)*in->p)))
		return -1;
	errno = 0;
	v->type = 'n';
	v->n = strtoll(in->p, &end, 10);
	if (errno || end > in->end || end == in->p)
		return -1;
	in->p = end;
	return 0;
}

int jobj__parse(struct jobj *o, const char *line, size_t len)
{
	struct jin in = { line, line + len };
	struct jval v, *nv;

	memset(o, 0, sizeof(*o));
	jin_ws(&in);
	if (in.p >= in.end || *in.p++ != '{')
		return -1;
	jin_ws(&in);
	if (in.p < in.end && *in.p == '}')
		goto end;
	for (;;) {
		memset(&v, 0, sizeof(v));
		jin_ws(&in);
		if (jin_str(&in, &v.key, &v.len))
			goto fail;
		jin_ws(&in);
		if (in.p >= in.end || *in.p++ != ':')
			goto fail_key;
		jin_ws(&in);
		if (jin_value(&in, &v))
			goto fail_key;
		nv = realloc(o->v, (o->n + 1) * sizeof(*nv));
		if (!nv)
			abort();
		o->v = nv;
		o->v[o->n++] = v;
		jin_ws(&in);
		if (in.p < in.end && *in.p == ',') {
			in.p++;
			continue;
		}
		if (in.p < in.end && *in.p == '}')
			break;
		goto fail;
	}
end:
	in.p++;
	jin_ws(&in);
	if (in.p != in.end)
		goto fail;
	return 0;
fail_key:
	free(v.key);
	free(v.s);
fail:
	jobj__free(o);
	return -1;
}

void jobj__free(struct jobj *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		free(o->v[i].key);
		free(o->v[i].s);
	}
	free(o->v);
	memset(o, 0, sizeof(*o));
}

const struct jval *jobj__get(const struct jobj *o, const char *key)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (!strcmp(o->v[i].key, key))
			return &o->v[i];
	return NULL;
}

/* ---- columns ---- */

int col_find(const struct col *cols, size_t ncols, const char *name)
{
	size_t i;

	for (i = 0; i < ncols; i++)
		if (!strcmp(cols[i].name, name))
			return i;
	return -1;
}

int cols_parse(const struct col *cols, size_t ncols, const char *spec,
	       int *out, size_t max, const char *tool)
{
	char *copy = strdup(spec), *tok, *save = NULL;
	size_t n = 0, i;
	int c;

	if (!copy)
		abort();
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		c = col_find(cols, ncols, tok);
		if (c >= 0 && n == max) {
			fprintf(stderr, "%s: -o: at most %zu columns\n", tool,
				max);
			free(copy);
			return -1;
		}
		if (c < 0) {
			fprintf(stderr, "%s: %s: no such column (", tool, tok);
			for (i = 0; i < ncols; i++)
				fprintf(stderr, "%s%s", i ? ", " : "",
					cols[i].name);
			fprintf(stderr, ")\n");
			free(copy);
			return -1;
		}
		out[n++] = c;
	}
	free(copy);
	if (!n)
		fprintf(stderr, "%s: -o: no columns\n", tool);
	return n ? (int)n : -1;
}

/* ---- histograms ---- */

void lathist_add(uint64_t *b, int64_t ns)
{
	int k = 0;

	while (ns > 1 && k < LOG2_BUCKETS - 1)
		ns >>= 1, k++;
	b[k]++;
}

void lathist_print(FILE *f, const uint64_t *b, const char *indent)
{
	char lo[32], hi[32];
	uint64_t max = 0;
	int k, first = -1, last = -1, w;

	for (k = 0; k < LOG2_BUCKETS; k++)
		if (b[k]) {
			if (first < 0)
				first = k;
			last = k;
			if (b[k] > max)
				max = b[k];
		}
	for (k = first; k >= 0 && k <= last; k++) {
		human_ns(k ? 1LL << k : 0, lo, sizeof(lo));
		human_ns(1LL << (k + 1), hi, sizeof(hi));
		w = (int)(b[k] * 32 / max);
		fprintf(f, "%s[%8s, %8s) %8" PRIu64 " |%-32.*s|\n", indent, lo,
			hi, b[k], w, "################################");
	}
}
