/* sema: names and types. Resolves each probe's provider, the built-in
 * variables and functions, infers the key and value types of every map
 * across all probes (checking again only what reads a map whose type
 * changed), and creates the event sites of printf/print/exit. */
#ifndef PLY_SEMA_H
#define PLY_SEMA_H

#include "ast.h"
#include "prog.h"

struct kbtf;
struct path_offs;

enum bi_id {
	BI_COMM, BI_PID, BI_KPID, BI_UID, BI_GID, BI_CPU, BI_TIME,
	BI_WALLTIME,
	BI_STACK,
	BI_CURTASK, BI_PPID,
	BI_AGG, BI_STR, BI_DYN, BI_MEM, BI_STRCMP, BI_STRNCMP,
	BI_PRINTF, BI_PRINT, BI_EXIT, BI_CLEAR,
	BI_PATH, BI_FDPATH, BI_CWD,	/* absolute paths (path.h) */
	BI_PROVIDER_VAR,	/* e.g. `data`: resolved by the probe's provider */
};

/* The largest size str(), dyn() and mem() take. */
#define STR_MAX 256

struct builtin {
	const char *name;
	enum bi_id id;
	int is_func;
};

struct sema {
	struct arena *arena;
	struct diag *diag;
	size_t strsize;		/* default size of str() and dyn() */
	int has_target;		/* $target will be known (ply runs -c) */
	enum prog_scope scope;	/* checked first by PROV_TASK probes */
	const char *const *params;	/* $NAME: "NAME=value", NULL-ended */
	/* maps the front end declared, typed before inference: their
	 * kloc/vloc have line 0 */
	struct mapsym **decls;
	size_t ndecls;

	/* results */
	int uses_stack;		/* some probe reads `stack` */
	struct path_offs *paths;	/* the kernel's offsets the path walk
					 * reads, once a probe uses one */
	VEC(struct mapsym *) maps;
	VEC(struct evsite *) sites;
	VEC(struct readsite *) reads;

	/* pass state */
	int final;		/* report errors (the last pass) */
	int changed;		/* a map type was learned */
	struct probe *probe;
	struct infer *inf;	/* sema.c's inference bookkeeping */
	struct kbtf *kbtf;	/* the kernel's types (loaded once needed);
				 * NULL: made from sysroot_btf() and freed
				 * with the arena */
	size_t infer_checks;	/* units checked while inferring (tests) */
};

/* What p + 1 adds to pointer type ptr: its target's size (1 for void). */
size_t sema_step(const struct type *ptr);

/* Returns the number of errors reported. */
int sema_program(struct sema *s, struct program *prog);

#endif
