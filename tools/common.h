/* common: what the file tools (opentrace, filemon) share: scope options,
 * user and errno names, open(2) flag names, human times and durations,
 * JSON lines written and read back, column selection, escaped text. They
 * use include/ply/ply.h and nothing else of ply. */
#ifndef TOOLS_COMMON_H
#define TOOLS_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* ---- scope: which processes are traced ---- */

#define SCOPE_MAX 64

struct scope {
	pid_t pids[SCOPE_MAX];		/* -p, repeatable */
	size_t npids;
	long long uid;			/* -u: -1 none */
	const char *command;		/* -c */
	const char *names[SCOPE_MAX];	/* -n, repeatable */
	size_t nnames;
	int follow;			/* -F */
};

void scope__init(struct scope *s);
/* -p, -u, -c, -n, -F: 0, or -1 with a one-line message on stderr. */
int scope__opt(struct scope *s, int opt, const char *arg, const char *tool);
/* The combinations seed 000 refuses, and -F without what it follows: -1
 * with one line saying why. */
int scope__check(const struct scope *s, const char *tool);
/* -p, -n, -F and -c go to the engine's scope (decided in the kernel, one
 * map lookup; ply stops once -p's processes or -c -F's tree are gone). */
struct ply_opts;
void scope__apply(const struct scope *s, struct ply_opts *po);
/* What is left to the program, as a predicate in ply source, "" for none:
 * -u ("uid == 1000"), and -c without -F ("pid == $target"). */
void scope__predicate(const struct scope *s, char *buf, size_t size);
/* The ply options that give the program the same scope ("-p 12 -F"), ""
 * for none; shell words. */
void scope__ply_args(const struct scope *s, char *buf, size_t size);
/* -S: the program to f, after "# run with: ply ARGS" (the scope is the
 * engine's, not in the text) when the scope has ply options. */
void scope__print_program(const struct scope *s, const char *prog, FILE *f);
/* Whether a recorded call matches the scope (for -r). */
int scope__match(const struct scope *s, pid_t pid, uint32_t uid,
		 const char *comm);

/* ---- usage errors ---- */

/* "TOOL: WHAT" on stderr, with " (see TOOL --help)" when help is set:
 * 2, the exit status of a usage error. */
int usage_error(const char *tool, int help, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- names ---- */

/* The user's name from the system's user database (NSS: files, LDAP...),
 * cached; NULL when it has none. */
const char *user_name(uint32_t uid);
/* A user name or a number: the uid, or -1. */
long long user_parse(const char *s);
/* "ENOENT", or NULL for an unknown number. */
const char *errno_name(int err);
/* "ENOENT", "enoent" or "2": the number, or -1. */
int errno_parse(const char *s);
/* open(2) flags as "O_RDONLY|O_CLOEXEC" (unknown bits as 0x...). */
void oflags_str(uint64_t flags, char *buf, size_t size);

/* ---- times ---- */

/* "10.17us", "3.20ms", "812ns". */
void human_ns(int64_t ns, char *buf, size_t size);
/* "10us", "1.5ms", "2s", "250" (ns): ns, or -1. */
int64_t duration_parse(const char *s);
/* Wall clock ns as "14:02:11.123456" (local time). */
void clock_str(uint64_t realtime_ns, char *buf, size_t size);
/* CLOCK_REALTIME - CLOCK_MONOTONIC, ns: a BPF time to wall clock. */
int64_t mono_to_real(void);

/* ---- paths ---- */

/* Whether path[0..len) is prefix or under it, whole components ("/etc"
 * and "/etc/" hold "/etc/hosts", not "/etcetera"; "/" holds every
 * absolute path). */
int path_under(const char *path, size_t len, const char *prefix);
/* A name made absolute with the directory it is relative to: a malloc'd
 * string; the name itself if absolute; NULL if it is relative and the
 * directory is not known (dl 0 or not absolute). */
char *path_join(const char *dir, size_t dl, const char *name, size_t nl);

/* ---- text ---- */

/* v in decimal into buf (24 bytes do), NUL-terminated: its length.
 * Integers by hand: a row is formatted for every call, at up to a
 * million calls a second, and printf is most of the cost. */
size_t fmt_i64(char *buf, int64_t v);
/* s[0..len) escaped as ply prints strings, into a malloc'd string. */
char *escape_dup(const char *s, size_t len);

/* ---- JSON lines ---- */

struct jw {			/* one object on one line, built in buf and
				 * written whole */
	FILE *f;
	int n;
	size_t len;
	char buf[1024];
};

void jw__begin(struct jw *w, FILE *f);
void jw__str(struct jw *w, const char *key, const char *s, size_t len);
void jw__int(struct jw *w, const char *key, int64_t v);
void jw__null(struct jw *w, const char *key);
void jw__bool(struct jw *w, const char *key, int v);
void jw__end(struct jw *w);	/* "}\n" */

/* One value of an object read back: a string's exact bytes (\udcXX
 * decoded to the byte), or a number, or null. */
struct jval {
	char *key;
	int type;		/* 's', 'n' (number), 'z' (null), 'b' (bool) */
	char *s;		/* 's': malloc'd, NUL-terminated */
	size_t len;
	int64_t n;
};

struct jobj {
	struct jval *v;
	size_t n;
};

/* A flat object (strings, integers, null, booleans) from one line: 0, or
 * -1 when it isn't one. */
int jobj__parse(struct jobj *o, const char *line, size_t len);
void jobj__free(struct jobj *o);
const struct jval *jobj__get(const struct jobj *o, const char *key);

/* ---- columns ---- */

struct col {
	const char *name;	/* for -o and --sort */
	const char *header;
	int width;		/* 0: the last, unaligned */
	int right;		/* right-aligned */
};

/* "time,user,pid" into indices of cols[0..ncols): the number chosen, or
 * -1 with a message naming the unknown column and the known ones. */
int cols_parse(const struct col *cols, size_t ncols, const char *spec,
	       int *out, size_t max, const char *tool);
int col_find(const struct col *cols, size_t ncols, const char *name);

/* ---- histograms ---- */

#define LOG2_BUCKETS 64

/* A log2 histogram of durations (ns) printed as ply prints quantize(). */
void lathist_add(uint64_t *b, int64_t ns);
void lathist_print(FILE *f, const uint64_t *b, const char *indent);

#endif
