/* provider: the list of providers and what they share. Each provider is
 * one file, provider_NAME.c, defining its struct provider (prog.h) as
 * provider_NAME: a new one is that file and one word in provider.c's
 * list. Nothing else names a provider; others find them by name. */
#ifndef PLY_PROVIDER_H
#define PLY_PROVIDER_H

#include "ast.h"
#include "prog.h"
#include "type.h"
#include "util.h"

/* The provider of that name, or NULL. */
const struct provider *provider_find(const char *name);
/* Every provider's name, for messages: "tracepoint, kprobe and END". */
const char *provider_names(struct arena *a);
/* The provider whose name is closest to a misspelt one, or NULL. */
const char *provider_closest(const char *name);
/* Why no provider variable `name` is here: which probes have it ("" if
 * none does). */
const char *provider_var_hint(const char *name);

/* The variables of a probe whose context is a struct pt_regs (kprobes,
 * perf events): regs, caller, arg0-arg5 (when args), retval (when ret);
 * and the hint for regs and caller. */
struct type *regs_var(struct arena *a, const char *name, int *ctx_off,
		      int args, int ret);
const char *regs_hint(const char *name);
/* Where argument i (0-5) of a function is in its struct pt_regs. */
int regs_arg_off(int i);
extern const char *const regs_vars[];		/* regs, caller */
extern const char *const regs_vars_args[];	/* and arg0-arg5 */
extern const char *const regs_vars_ret[];	/* and retval */

/* Typed arguments, from a BTF prototype (kbtf_func, kbtf_rawtp): the
 * struct that `args` points to, argument i (named as in the kernel's
 * source, else argI) at offs[i] of the context, or at 8 * i if offs is
 * NULL. widen: integers take their whole u64 slot (raw tracepoints, whose
 * context the kernel reads only 8 bytes at a time; the value was widened
 * to it). */
struct type *args_type(struct arena *a, const char *name,
		       const struct field *args, size_t n, const int *offs,
		       int widen);
/* `args` (the context itself) or `argN` of args_type t: its type and
 * context offset; NULL if name is neither. */
struct type *args_var(struct type *t, const char *name, int *ctx_off);
extern const char *const args_vars[];	/* args, arg0-arg11 */

/* -l: what is asked, and where the list goes. */
struct list_req {
	const char *glob;	/* NULL: everything */
	int verbose;
	FILE *out;
	struct arena *arena;	/* for the providers' scratch */
};

/* Whether probe (as written: "tracepoint:sched/sched_switch") matches the
 * request's glob; ':' and '/' match each other, and a glob without a
 * provider's name is tried against the probe without it. */
int list_match(const struct list_req *r, const char *probe);
/* Print probe if it matches: 1 if it did. */
int list_probe(struct list_req *r, const char *probe);
/* Every provider's probes that match; the count. */
int provider_list(struct list_req *r);

/* Attach data made by hand rather than by resolve, for the runtime's
 * tests: a tracepoint "group/event"; kprobe targets (the program is
 * attached to every one); a perf event of the CPU clock every period
 * (nanoseconds, or Hz if freq) on cpu (-1: every online CPU). */
struct kprobe_target {
	const char *sym;	/* NULL: addr */
	uint64_t offset;
	uint64_t addr;
};

const void *tracepoint_pdata(struct arena *a, const char *group_event);
const void *kprobe_pdata(struct arena *a, const struct kprobe_target *t,
			 size_t n);
const void *profile_pdata(struct arena *a, uint64_t period, int freq,
			  int cpu);

#endif
