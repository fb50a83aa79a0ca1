/* provider: the table every probe type fills in. A new provider is one new
 * file defining a struct provider and one line in provider.c's list. */
#ifndef PLY_PROVIDER_H
#define PLY_PROVIDER_H

#include <linux/bpf.h>

#include "ast.h"
#include "runtime.h"
#include "type.h"
#include "util.h"

struct provider {
	const char *name;		/* "tracepoint", "BEGIN", ... */
	enum bpf_prog_type prog_type;
	enum rt_attach attach;
	int ctx_min_off;		/* lowest context offset the kernel lets
					 * programs load directly */
	/* Check p->def, fill p->pdata; report errors through d. */
	int (*resolve)(struct probe *p, struct arena *a, struct diag *d);
	/* A provider variable such as "data" or "arg1": its type, or NULL if
	 * the provider has none of that name. *ctx_off is -1 when the value
	 * is the context pointer itself, else the offset of the u64 in the
	 * context that holds it. */
	struct type *(*var)(struct probe *p, struct arena *a,
			    const char *name, int *ctx_off);
	/* Fill in how rp attaches (tracepoint, kprobe targets, perf event). */
	void (*setup)(const struct probe *p, struct rt_prog *rp);
};

const struct provider *provider_find(const char *name);

extern const struct provider provider_tracepoint;
extern const struct provider provider_begin;
extern const struct provider provider_end;
extern const struct provider provider_kprobe;
extern const struct provider provider_kretprobe;
extern const struct provider provider_interval;
extern const struct provider provider_profile;

/* The variables of a probe whose context is a struct pt_regs (kprobes,
 * perf events): regs, caller, arg0-arg5 (when args), retval (when ret). */
struct type *regs_var(struct arena *a, const char *name, int *ctx_off,
		      int args, int ret);

#endif
