/* libply: compile a ply program to eBPF, load and attach it, run it and
 * read what it produced. This header is the whole public interface; the
 * ply command and every other front end use nothing else.
 *
 *	struct ply *p;
 *	int err = ply__compile(&p, "tracepoint:sched/sched_switch "
 *			       "{ @[comm] = count(); }", NULL);
 *	if (!err)
 *		err = ply__run(p);	// until Ctrl-C; prints @ at the end
 *	ply__free(p);
 *
 * Functions return 0 or a negative errno, and print what went wrong to
 * the opts' err stream, except where said otherwise. */
#ifndef PLY_PLY_H
#define PLY_PLY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ply;

enum ply_value_kind {
	PLY_INT,	/* .i */
	PLY_UINT,	/* .u */
	PLY_STR,	/* .s, .len (without the NUL) */
	PLY_BYTES,	/* .s, .len: an array or struct, raw */
};

struct ply_value {
	enum ply_value_kind kind;
	int64_t i;
	uint64_t u;
	const char *s;
	size_t len;
};

enum ply_event_kind {
	PLY_EV_PRINTF,
	PLY_EV_PRINT,
};

/* One printf() or print() of the program, valid during the callback. */
struct ply_event {
	enum ply_event_kind kind;
	int site;		/* which printf/print in the program, from 0 */
	const char *fmt;	/* PLY_EV_PRINTF: the format string */
	size_t nargs;
	const struct ply_value *args;
	const void *raw;	/* the record as the kernel wrote it */
	size_t raw_size;
};

typedef void (*ply_event_fn)(struct ply *p, const struct ply_event *ev,
			     void *ctx);

struct ply_opts {
	size_t sz;		/* sizeof(struct ply_opts) */
	const char *name;	/* program file name for messages, or NULL:
				 * "<input>" */
	FILE *out;		/* events and maps: stdout if NULL */
	FILE *err;		/* diagnostics: stderr if NULL */
	int debug;		/* -d: verifier logs, more detail */
	int keep_going;		/* -k */
	size_t strsize;		/* default size of str()/dyn(): 64 if 0 */
	ply_event_fn on_event;	/* NULL: print events to out */
	void *ctx;		/* passed to on_event */
	const char *command;	/* the -c command: ply__run starts it once
				 * every probe is attached; $target is its
				 * pid */
	uint32_t map_size;	/* entries per map: 0 means 4096 */
};

/* Parse and check a program. On a script error, every error found is
 * printed as "file:line:col: error: ..." with the source line and a caret,
 * and -EINVAL is returned with *out NULL. */
int ply__compile(struct ply **out, const char *text,
		 const struct ply_opts *opts);
void ply__free(struct ply *p);	/* detaches everything */

/* Step by step (ply__run does all of them in order). */
int ply__spawn(struct ply *p, const char *command);	/* as opts.command */
pid_t ply__child(const struct ply *p);
int ply__generate(struct ply *p);	/* BPF code; implied by load/dump */
int ply__dump(struct ply *p, FILE *out);	/* AST, IR and BPF listing */
int ply__load(struct ply *p);
int ply__attach(struct ply *p);		/* probes, then BEGIN */
int ply__start(struct ply *p);		/* release the spawned command */
int ply__loop(struct ply *p);		/* until a signal, exit() or the
					 * command's exit */
int ply__finish(struct ply *p);		/* END, drain, print maps */
int ply__exit_status(const struct ply *p);

/* Compile-to-exit in one call, as the ply command does. Returns the status
 * ply should exit with. */
int ply__run(struct ply *p);

/* Print one event the way ply would. */
void ply_event__fprint(const struct ply_event *ev, FILE *out);

/* Maps, after ply__loop or ply__finish: calls fn for each entry. keys is
 * NULL for a keyless aggregation. */
typedef void (*ply_map_fn)(const struct ply_value *keys, size_t nkeys,
			   const struct ply_value *value, void *ctx);
int ply__map_foreach(struct ply *p, const char *name, ply_map_fn fn,
		     void *ctx);

const char *ply_version(void);

#ifdef __cplusplus
}
#endif

#endif
