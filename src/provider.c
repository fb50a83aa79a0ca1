/* provider: the list of providers, and BEGIN/END, which run once through
 * BPF_PROG_TEST_RUN before the command starts and after it stops. */
#include <string.h>

#include "provider.h"

static int special_resolve(struct probe *p, struct arena *a, struct diag *d)
{
	if (p->def[0]) {
		diag_error(d, p->loc, "%s takes no probe definition", p->provider);
		return -1;
	}
	return 0;
}

static struct type *special_var(struct probe *p, const char *name)
{
	return NULL;
}

const struct provider provider_begin = {
	.name = "BEGIN",
	.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT,
	.attach = RT_BEGIN,
	.resolve = special_resolve,
	.var = special_var,
};

const struct provider provider_end = {
	.name = "END",
	.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT,
	.attach = RT_END,
	.resolve = special_resolve,
	.var = special_var,
};

static const struct provider *const providers[] = {
	&provider_tracepoint,
	&provider_begin,
	&provider_end,
};

const struct provider *provider_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(providers); i++)
		if (!strcmp(providers[i]->name, name))
			return providers[i];
	return NULL;
}
