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
	/* Check p->def, fill p->pdata; report errors through d. */
	int (*resolve)(struct probe *p, struct arena *a, struct diag *d);
	/* The type of a provider variable such as "data", or NULL. */
	struct type *(*var)(struct probe *p, const char *name);
	/* The tracefs "group/event" an RT_TRACEPOINT probe attaches to. */
	const char *(*target)(const struct probe *p);
};

const struct provider *provider_find(const char *name);

extern const struct provider provider_tracepoint;
extern const struct provider provider_begin;
extern const struct provider provider_end;

/* tracefs: where the tracepoint formats are (mounting it if need be). */
const char *tracefs_path(void);

#endif
