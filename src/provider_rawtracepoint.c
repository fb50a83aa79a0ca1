/* provider_rawtracepoint: "rawtracepoint:EVENT" (or GROUP/EVENT, the
 * group ignored). The program gets the tracepoint's own arguments, before
 * the kernel formats any record: typed from the kernel's BTF prototype of
 * the event and named as in its TP_PROTO (args->parent, args->child of
 * sched_process_fork), or arg0..argN. Attached through an fd
 * (BPF_RAW_TRACEPOINT_OPEN), so it ends with ply. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "attach.h"
#include "btf.h"
#include "provider.h"

struct rawtp {
	const char *event;
	struct type *args;	/* pointer to the args struct */
};

static int rawtp_resolve(struct probe *p, struct arena *a, struct diag *d)
{
	const char *event = strchr(p->def, '/') ? strchr(p->def, '/') + 1 :
		p->def, *why, *best;
	struct rawtp *r;
	struct field *args;
	size_t n;
	int err;

	if (!*event) {
		diag_error(d, p->loc, "rawtracepoint needs an event: "
			   "rawtracepoint:sched_process_fork");
		return -EINVAL;
	}
	if (kbtf_load(p->btf, &why)) {
		diag_error(d, p->loc, "raw tracepoints take their arguments' "
			   "types from the kernel's BTF, and %s", why);
		return -ENOENT;
	}
	err = kbtf_rawtp(p->btf, event, &args, &n);
	if (err) {
		best = kbtf_closest(p->btf, KBTF_FUNC, "__bpf_trace_", event);
		diag_error(d, p->loc, "no raw tracepoint '%s' (the kernel's BTF "
			   "has no btf_trace_%s%s%s%s)", event, event,
			   best ? "; did you mean '" : "",
			   best ? best : "",
			   best ? "'?" : "");
		return err;
	}
	r = arena_alloc(a, sizeof(*r));
	r->event = event;
	r->args = args_type(a, arena_printf(a, "struct %s_args", event), args,
			    n, NULL, 1);
	p->pdata = r;
	return 0;
}

static struct type *rawtp_var(struct probe *p, struct arena *a,
			      const char *name, int *ctx_off)
{
	const struct rawtp *r = p->pdata;

	return args_var(r->args, name, ctx_off);
}

static int rawtp_attach(struct attach *at, const struct probe_prog *p)
{
	const struct rawtp *r = p->pdata;
	int err;

	err = attach_reserve(at, 1);
	if (err)
		return err;
	err = attach_raw_tp(at, r->event);
	if (err)
		attach_msg(at, "probe '%s': cannot attach to raw "
			   "tracepoint %s: %s\n", p->name, r->event,
			   err == -ENOENT ? "no such tracepoint" :
			   strerror(-err));
	return err;
}

/* -l: every btf_trace_EVENT of the kernel's BTF; -v: its arguments. */
static int rawtp_list(struct list_req *r)
{
	struct kbtf *k = kbtf__new(r->arena, NULL);
	const char **names;
	struct field *args;
	size_t n, i, j, na;
	int count = 0;

	if (!k)
		return 0;
	names = kbtf_rawtp_names(k, &n);
	for (i = 0; i < n; i++) {
		char probe[300];

		snprintf(probe, sizeof(probe), "rawtracepoint:%s", names[i]);
		if (!list_probe(r, probe))
			continue;
		count++;
		if (!r->verbose || kbtf_rawtp(k, names[i], &args, &na))
			continue;
		for (j = 0; j < na; j++)
			fprintf(r->out, "\t%s %s;\n", args[j].type->name ?
				args[j].type->name : "?", args[j].name);
	}
	kbtf__free(k);
	return count;
}

const struct provider provider_rawtracepoint = {
	.name = "rawtracepoint",
	.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT,
	.flags = PROV_STACK | PROV_TASK,
	.resolve = rawtp_resolve,
	.var = rawtp_var,
	.vars = args_vars,
	.attach = rawtp_attach,
	.list = rawtp_list,
};
