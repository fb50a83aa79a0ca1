/* prog: the contract between the compiler and the runtime. What a compiled
 * program is made of: its maps, its event sites (printf, print, exit), its
 * probes (each with its provider's table and attach data) and the markers
 * in its instructions that the loader fills in. The compiler (sema, gen,
 * ir, bpfgen) fills it; the runtime reads it and nothing else of the
 * compiler. */
#ifndef PLY_PROG_H
#define PLY_PROG_H

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "type.h"
#include "util.h"

enum agg_kind {
	AGG_NONE,	/* a plain map: m[k] = v */
	AGG_COUNT,
	AGG_SUM,
	AGG_QUANTIZE,
	AGG_MIN,
	AGG_MAX,
	AGG_AVG,
	AGG_STATS,
	AGG_LHIST,
};

struct mapsym {
	const char *name;	/* "@", "@lat", "t" */
	int is_agg;		/* name starts with '@' */
	enum agg_kind agg;
	struct type *ktype;	/* a tuple (type_tuple); NULL when keyless */
	struct type *vtype;
	struct loc kloc, vloc;	/* where ktype/vtype were first fixed */
	struct loc rloc;	/* where it is first read, if it is */
	int assigned;		/* some statement assigns it */
	struct loc aloc;	/* where its aggregating function is first
				 * seen */
	int index;		/* position in the program's map table */
	int swap;		/* `print(@m); clear(@m);` takes it whole:
				 * programs reach it through a one-slot map
				 * of maps, so ply can swap in an empty copy
				 * and read the old one once no program
				 * holds it (see maps.c) */
	uint32_t max_entries;
	/* what each key is named after, for the metrics' labels: the
	 * variable or field it is at every use ("comm", "ret" of
	 * data->ret), or "" where uses differ or it is anything else;
	 * NULL until a use with keys is seen */
	const char **knames;
	/* lhist(expr, min, max, step): every call on the map has the same */
	int64_t lh_min, lh_max, lh_step;
	struct mapsym *next;
};

/* quantize(): a log2 histogram of QUANTIZE_BUCKETS u64 counters. Bucket 0
 * counts negative values, bucket 1 zero, bucket k >= 2 the values in
 * [2^(k-2), 2^(k-1)); the last holds [2^63, 2^64). */
#define QUANTIZE_BUCKETS 66

/* A str(), mem() or dyn() call. Its reads that fail (an address that
 * can't be read) are counted in the stats map, slot STAT_MAP_FULL + nmaps
 * + id, and reported with the call's location: never just an empty
 * string or zeros that look like data. */
struct readsite {
	int id;
	const char *fn;		/* "str", "mem", "dyn" */
	struct loc loc;
};

/* An event's record is built in the ring buffer (reserved, filled,
 * submitted), not on the BPF stack: at most this many bytes. */
#define EVENT_MAX	16384

enum ev_kind {
	EV_PRINTF,
	EV_PRINT,
	EV_EXIT,
	EV_PRINTMAP,	/* print(@map): print map `map` now */
	EV_CLEAR,	/* clear(@map): delete every entry of map `map` */
};

/* An event record in the ring buffer is a tuple: field 0 is the u64 site
 * id, fields 1.. are the arguments, each 8-aligned. */
struct evsite {
	int id;
	enum ev_kind kind;
	const char *fmt;	/* EV_PRINTF */
	struct type *rec;
	struct loc loc;
	int map;		/* EV_PRINTMAP, EV_CLEAR: the map's index */
	int take;		/* `print(@m); clear(@m);`: the print takes
				 * the map whole (mapsym.swap), the clear
				 * has nothing left to do */
	struct evsite *next;
};

/* ---- instructions: what the loader fills in ----
 *
 * An ld_imm64 with src_reg BPF_PSEUDO_MAP_FD carries a map index in imm:
 * one of the program's maps (0..nmaps-1) or one of the runtime's own
 * below. The loader puts the map's fd there. */
#define MAP_IDX_RINGBUF	(-1)	/* BPF_MAP_TYPE_RINGBUF for events: made
				 * only if a program uses it */
#define MAP_IDX_STATS	(-2)	/* PERCPU_ARRAY of u64 counters, below */
#define MAP_IDX_ZERO	(-3)	/* ARRAY of one all-zero value, as large as
				 * the largest map value: the initial value
				 * of an aggregation too big for the stack */
#define MAP_IDX_STACK	(-4)	/* STACK_TRACE map: stack ids to kernel
				 * stacks (stack_depth frames) */
#define MAP_IDX_PATHBUF	(-5)	/* PERCPU_ARRAY of one PATH_BUF-byte value:
				 * where path(), fdpath() and cwd build a
				 * path back to front (path.h); made only if
				 * a program uses it */
#define PATH_SIZE	256		/* a path's string, NUL included */
#define PATH_STATE	(2 * PATH_SIZE)	/* in the buffer's value: after twice
					 * PATH_SIZE, so that a write at a
					 * masked offset below PATH_SIZE of a
					 * masked length stays below, as the
					 * verifier checks, the walk's state
					 * when it is a loop */
#define PATH_BUF	(PATH_STATE + 192)	/* the buffer's value */
#define MAP_IDX_SCOPE	(-6)	/* the scope (enum prog_scope): a HASH of
				 * u32 tgid -> u32, the processes traced;
				 * or a one-slot CGROUP_ARRAY */

/* The one-slot map of maps through which programs reach map i when
 * mapsym.swap is set. */
#define MAP_IDX_OUTER(i)	(-1000 - (i))
#define MAP_IDX_OUTER_OF(idx)	(-1000 - (idx))

/* An ld_imm64 with src_reg PROG_PSEUDO_CONST (a value the kernel never
 * sees: the loader rewrites it to a plain ld_imm64) carries in imm which
 * value, known only at load time, to load. */
#define PROG_PSEUDO_CONST	0xf

enum prog_const {
	PROG_CONST_TARGET,	/* the -c command's pid ($target) */
	PROG_CONST_RB_WAKEUP,	/* bytes waiting in the ring buffer before
				 * an event wakes ply up */
	PROG_CONST_NUM,
};

/* Which tasks the probes of a PROV_TASK provider run for: every probe
 * checks first, in the kernel, that the current task is in the scope
 * (MAP_IDX_SCOPE), and returns at once if not. The runtime's scope.c
 * fills the map and keeps it up to date. */
enum prog_scope {
	SCOPE_NONE,	/* every task */
	SCOPE_PIDS,	/* the current tgid is a key of the scope map */
	SCOPE_CGROUP,	/* the current task is under the cgroup in slot 0 */
};

/* Counters in the stats map: key STAT_LOST counts events that did not fit
 * in the ring buffer; key STAT_MAP_FULL + i counts updates of map i that
 * failed (map full); key STAT_MAP_FULL + nmaps + j counts the failed reads
 * of read site j (struct readsite). */
#define STAT_LOST	0
#define STAT_MAP_FULL	1

/* ---- probes ---- */

struct arena;
struct attach;
struct list_req;
struct diag;
struct probe;
struct probe_prog;

/* What the kernel must be told when loading a probe's program. */
struct load_attrs {
	enum bpf_attach_type attach_type;	/* expected_attach_type */
	uint32_t btf_id;			/* attach_btf_id (vmlinux) */
};

/* What a provider allows in its probes. */
enum {
	PROV_STACK = 1 << 0,	/* `stack`: it interrupts a kernel path (not
				 * ply's own run of the program) */
	PROV_TASK = 1 << 1,	/* it runs for the current task, so the scope
				 * (-p, -n, --cgroup) applies to it */
};

/* A provider: one kind of probe, one file (provider_NAME.c) holding this
 * table and its private data, one line in provider.c's list. The compiler
 * calls the first part, the runtime the second; neither names a provider. */
struct provider {
	const char *name;		/* "tracepoint", "BEGIN", ... */
	enum bpf_prog_type prog_type;
	unsigned flags;			/* PROV_* */
	int ctx_min_off;		/* lowest context offset the kernel lets
					 * programs load directly */

	/* Check p->def and fill p->pdata, the provider's own data, which
	 * is also what attach gets; report errors through d. */
	int (*resolve)(struct probe *p, struct arena *a, struct diag *d);
	/* A provider variable such as "data" or "arg1": its type, or NULL if
	 * the provider has none of that name. *ctx_off is -1 when the value
	 * is the context pointer itself, else the offset of the u64 in the
	 * context that holds it. */
	struct type *(*var)(struct probe *p, struct arena *a,
			    const char *name, int *ctx_off);
	/* The names var knows, NULL-terminated, for "did you mean". */
	const char *const *vars;
	/* Why `name`, a variable this provider has, is not in another
	 * probe: " (data is a tracepoint's record)"; NULL if it has none
	 * of that name. Optional. */
	const char *(*var_hint)(const char *name);

	/* What loading the program needs beyond its type: fentry's attach
	 * type and function (BTF id); 0, or -errno when this kernel cannot
	 * load it, said in words through attach_msg. Optional. */
	int (*load_attrs)(const struct probe_prog *p, struct load_attrs *la,
			  const struct attach *at);
	/* Attach the loaded program through the runtime's services
	 * (attach.h); what they open, the runtime closes. Messages are the
	 * provider's, through attach_msg. */
	int (*attach)(struct attach *at, const struct probe_prog *p);
	/* Undo what attach did beyond the runtime's services. Optional. */
	void (*detach)(struct attach *at, const struct probe_prog *p);

	/* -l: each probe of this provider the kernel offers that matches
	 * (list_probe, provider.h), with its arguments when verbose. The
	 * number listed. Optional: a provider without has nothing to list
	 * beyond its name. */
	int (*list)(struct list_req *r);
};

/* One probe's program, as the compiler hands it to the runtime. */
struct probe_prog {
	const char *name;		/* the probe spec, for every message */
	const struct provider *prov;
	const void *pdata;		/* the provider's attach data */
	struct bpf_insn *insns;		/* with the markers above */
	size_t ninsns;
};

#endif
