/* provider_special: BEGIN and END, which run once through
 * BPF_PROG_TEST_RUN: BEGIN once every other probe is attached, before the
 * command starts; END once they are all stopped. */
#include "attach.h"
#include "provider.h"

static int special_resolve(struct probe *p, struct arena *a, struct diag *d)
{
	if (p->def[0]) {
		diag_error(d, p->loc, "%s takes no probe definition", p->provider);
		return -1;
	}
	return 0;
}

static struct type *special_var(struct probe *p, struct arena *a,
				const char *name, int *ctx_off)
{
	return NULL;
}

static int begin_attach(struct attach *at, const struct probe_prog *p)
{
	attach_run_at(at, ATTACH_BEGIN);
	return 0;
}

static int end_attach(struct attach *at, const struct probe_prog *p)
{
	attach_run_at(at, ATTACH_END);
	return 0;
}

const struct provider provider_begin = {
	.name = "BEGIN",
	.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT,
	.resolve = special_resolve,
	.var = special_var,
	.attach = begin_attach,
};

const struct provider provider_end = {
	.name = "END",
	.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT,
	.resolve = special_resolve,
	.var = special_var,
	.attach = end_attach,
};
