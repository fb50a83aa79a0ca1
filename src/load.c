/* load: map indices patched to fds, programs loaded; a refusal explained
 * in words from the verifier's log. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>


#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "rt.h"

/* ---- programs ---- */

/* "tracepoint:sched/sched_switch" -> "sched_switch" */
static void prog_name(char dst[BPF_OBJ_NAME_LEN], const char *name)
{
	const char *p = name ? name : "ply";
	const char *s;

	if ((s = strrchr(p, ':')))
		p = s + 1;
	if ((s = strrchr(p, '/')))
		p = s + 1;
	obj_name(dst, "", p);
}

static int map_fd_of(const struct runtime *rt, int32_t idx)
{
	if (idx == MAP_IDX_RINGBUF)
		return rt->rb_fd;
	if (idx == MAP_IDX_STATS)
		return rt->stats_fd;
	if (idx == MAP_IDX_ZERO)
		return rt->zero_fd;
	if (idx == MAP_IDX_STACK)
		return rt->stack_fd;
	if (idx == MAP_IDX_PATHBUF)
		return rt->pathbuf_fd;
	if (idx == MAP_IDX_SCOPE)
		return scope_fd(rt);
	if (idx >= 0 && (size_t)idx < rt->spec.nmaps)
		return rt->map_fds[idx];
	idx = MAP_IDX_OUTER_OF(idx);
	if (idx >= 0 && (size_t)idx < rt->spec.nmaps && rt->outer_fds)
		return rt->outer_fds[idx];
	return -1;
}

/* The value of a PROG_PSEUDO_CONST load, or -1 with a message. */
static int64_t const_of(struct runtime *rt, const struct probe_prog *p,
			int32_t which)
{
	switch (which) {
	case PROG_CONST_TARGET:
		if (rt->child > 0)
			return rt->child;
		rt_msg(rt, "probe '%s': uses $target, but there is "
		       "no command\n", p->name);
		return -1;
	case PROG_CONST_RB_WAKEUP:	/* a quarter full */
		return rt->rb_size / 4;
	}
	rt_msg(rt, "probe '%s': loads value %d, which does not "
	       "exist\n", p->name, which);
	return -1;
}

/* Fill ld_imm64 i with a load-time value. */
static int patch_const(struct runtime *rt, const struct probe_prog *p,
		       struct bpf_insn *insn)
{
	int64_t v = const_of(rt, p, insn[0].imm);

	if (v < 0)
		return -EINVAL;
	insn[0].src_reg = 0;
	insn[0].imm = (uint32_t)v;
	insn[1].imm = (uint32_t)((uint64_t)v >> 32);
	return 0;
}

/* A copy of the program with map indices replaced by map fds, and
 * load-time values filled in. */
static int prog_patch(struct runtime *rt, const struct probe_prog *p,
		      struct bpf_insn **out)
{
	struct bpf_insn *insns = malloc(p->ninsns * sizeof(*insns) + 1);
	size_t i;
	int fd;

	if (!insns)
		return -ENOMEM;
	memcpy(insns, p->insns, p->ninsns * sizeof(*insns));
	for (i = 0; i < p->ninsns; i++) {
		if (insns[i].code != (BPF_LD | BPF_DW | BPF_IMM))
			continue;
		if (insns[i].src_reg == PROG_PSEUDO_CONST &&
		    (i + 1 >= p->ninsns || patch_const(rt, p, &insns[i]))) {
			free(insns);
			return -EINVAL;
		}
		if (insns[i].src_reg == BPF_PSEUDO_MAP_FD) {
			fd = map_fd_of(rt, insns[i].imm);
			if (insns[i].imm == MAP_IDX_STACK && fd < 0) {
				rt_msg(rt, "probe '%s': uses stacks, "
				       "but there is no stack map (stack depth "
				       "0)\n", p->name);
				free(insns);
				return -EINVAL;
			}
			if (fd < 0 || i + 1 >= p->ninsns) {
				rt_msg(rt, "probe '%s': instruction %zu "
				       "refers to map %d, which does not "
				       "exist\n", p->name, i, insns[i].imm);
				free(insns);
				return -EINVAL;
			}
			insns[i].imm = fd;
		}
		i++;	/* the second half of the 16-byte load */
	}
	*out = insns;
	return 0;
}

/* ---- subprograms: their BTF ----
 *
 * A program that hands a subprogram to a helper (bpf_loop's callback, an
 * ld_imm64 with src_reg BPF_PSEUDO_FUNC) must say where each function
 * starts and what its type is (func_info), in terms of a BTF of its own:
 * the program "long (void *ctx)", each subprogram a static
 * "long (u32 i, void *ctx)". */

/* The start of each subprogram, in order, in starts[]; returns how many
 * (0: none, the program is one function; more than max: too many, and
 * starts[] holds max of them). */
static size_t sub_starts(const struct bpf_insn *insns, size_t n,
			 uint32_t *starts, size_t max)
{
	size_t i, k, ns = 0;
	long at;

	for (i = 0; i + 1 < n; i++) {
		if (insns[i].code != (BPF_LD | BPF_DW | BPF_IMM))
			continue;
		at = (long)i + 1 + insns[i].imm;
		if (insns[i].src_reg == BPF_PSEUDO_FUNC && at > 0 &&
		    at < (long)n) {
			for (k = 0; k < ns && starts[k] != (uint32_t)at; k++)
				;
			if (k == ns && ns++ < max)
				starts[k] = (uint32_t)at;
			if (ns > max)
				return ns;
		}
		i++;
	}
	for (i = 1; i < ns; i++)	/* in order: few, so by insertion */
		for (k = i; k > 0 && starts[k - 1] > starts[k]; k--) {
			uint32_t t = starts[k];

			starts[k] = starts[k - 1];
			starts[k - 1] = t;
		}
	return ns;
}

/* The BTF both kinds of function refer to, loaded once: its fd, or a
 * negative errno. */
static int func_btf(struct runtime *rt)
{
	struct btf *b;
	int lng, u32, vp, proto, m, sub, err = 0;

	if (rt->func_btf_fd >= 0)
		return rt->func_btf_fd;
	b = btf__new_empty();
	if (!b)
		return -errno;
	lng = btf__add_int(b, "long", 8, BTF_INT_SIGNED);
	u32 = btf__add_int(b, "unsigned int", 4, 0);
	vp = btf__add_ptr(b, 0);
	proto = btf__add_func_proto(b, lng);
	if (proto < 0 || btf__add_func_param(b, "ctx", vp))
		err = -EINVAL;
	m = btf__add_func(b, "ply_probe", BTF_FUNC_GLOBAL, proto);
	proto = btf__add_func_proto(b, lng);
	if (proto < 0 || btf__add_func_param(b, "i", u32) ||
	    btf__add_func_param(b, "ctx", vp))
		err = -EINVAL;
	sub = btf__add_func(b, "ply_sub", BTF_FUNC_STATIC, proto);
	if (lng < 0 || u32 < 0 || vp < 0 || m < 0 || sub < 0 || err)
		err = -EINVAL;
	if (!err)
		err = btf__load_into_kernel(b);
	if (!err)
		rt->func_btf_fd = dup(btf__fd(b));
	if (!err && rt->func_btf_fd < 0)
		err = -errno;
	btf__free(b);
	if (err) {
		fprintf(rt->err, "ply: the kernel refused the BTF of the "
			"programs' functions: %s\n", strerror(-err));
		return err;
	}
	rt->func_m = m;
	rt->func_sub = sub;
	return rt->func_btf_fd;
}

/* func_info for the program in opts, when it has subprograms; info has
 * room for SUBS_MAX + 1. */
#define SUBS_MAX 8
static int func_info(struct runtime *rt, const struct probe_prog *p,
		     struct bpf_func_info *info, struct bpf_prog_load_opts *opts)
{
	uint32_t starts[SUBS_MAX];
	size_t ns = sub_starts(p->insns, p->ninsns, starts, SUBS_MAX), i;
	int fd;

	if (!ns)
		return 0;
	if (ns > SUBS_MAX) {
		fprintf(rt->err, "ply: probe '%s': more than %d subprograms\n",
			p->name, SUBS_MAX);
		return -E2BIG;
	}
	fd = func_btf(rt);
	if (fd < 0)
		return fd;
	info[0] = (struct bpf_func_info){ .insn_off = 0,
					  .type_id = rt->func_m };
	for (i = 0; i < ns; i++)
		info[i + 1] = (struct bpf_func_info){ .insn_off = starts[i],
						      .type_id = rt->func_sub };
	opts->prog_btf_fd = fd;
	opts->func_info = info;
	opts->func_info_cnt = ns + 1;
	opts->func_info_rec_size = sizeof(*info);
	return 0;
}

int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Lines of the verifier log that only summarise or trace state. */
static int vlog_line_is_noise(const char *l)
{
	static const char *const noise[] = {
		"processed ", "verification time", "stack depth",
		"max_states_per_insn", "mark_precise", "-- END", "func#",
		"from ", "last_idx", "parent ", "regs=", "Live regs",
	};
	size_t i;

	if (!*l || *l == ';' || isdigit((unsigned char)*l))
		return 1;
	for (i = 0; i < ARRAY_SIZE(noise); i++)
		if (starts_with(l, noise[i]))
			return 1;
	return 0;
}

/* The last meaningful line of the log, cut out in place. */
static const char *vlog_last(char *log)
{
	char *end = log + strlen(log), *start;

	while (end > log) {
		while (end > log && (end[-1] == '\n' || end[-1] == ' '))
			end--;
		*end = '\0';
		start = end;
		while (start > log && start[-1] != '\n')
			start--;
		if (!vlog_line_is_noise(start))
			return start;
		end = start;
	}
	return NULL;
}

struct vlog_hint {
	const char *match, *words;
};

static const struct vlog_hint vlog_hints[] = {
	{ "R0 !read_ok", "the program ends without setting its return value" },
	{ "!read_ok", "a register is read before anything was written to it" },
	{ "invalid indirect read from stack",
	  "a helper is given stack memory that was never written" },
	{ "invalid read from stack", "stack memory is read before it is written" },
	{ "invalid mem access 'scalar'", "a plain number is used as a pointer" },
	{ "invalid mem access 'map_value_or_null'",
	  "a map value is used without checking that the lookup found it" },
	{ "invalid mem access", "an invalid memory access" },
	{ "invalid access to map value", "a map value is accessed out of its bounds" },
	{ "invalid bpf_context access", "the probe's context is accessed out of bounds" },
	{ "unreachable insn", "the program has unreachable instructions" },
	{ "back-edge", "the program has a loop" },
	{ "infinite loop", "the program has a loop that may not end" },
	{ "unknown func", "the program calls a helper this probe type may not use" },
	{ "program is too large", "the program is too large" },
	{ "jump out of range", "a jump leaves the program" },
	{ "misaligned", "a misaligned memory access" },
	{ "last insn is not an exit", "the program does not end with an exit" },
	{ "invalid zero-sized read", "a helper is given a map it cannot use" },
	{ "min value is negative", "an index may be negative" },
};

static const char *vlog_words(const char *line)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vlog_hints); i++)
		if (strstr(line, vlog_hints[i].match))
			return vlog_hints[i].words;
	return NULL;
}

static void prog_refused(struct runtime *rt, const struct probe_prog *p,
			 int err, char *log)
{
	const char *last, *words;

	rt_msg(rt, "probe '%s': the kernel refused the program: %s\n",
	       p->name, strerror(-err));
	if (!log || !*log)
		return;
	if (rt->debug)
		rt_msg(rt, "probe '%s': verifier log:\n%s\n",
		       p->name, log);
	last = vlog_last(log);
	if (!last)
		return;
	words = vlog_words(last);
	if (words)
		rt_msg(rt, "probe '%s': %s (verifier: %s)\n",
		       p->name, words, last);
	else
		rt_msg(rt, "probe '%s': verifier: %s\n",
		       p->name, last);
}

/* Load once without a log; on refusal load again with one to explain. */
static int prog_load_one(struct runtime *rt, size_t i)
{
	const struct probe_prog *p = &rt->spec.progs[i];
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	struct bpf_func_info info[SUBS_MAX + 1];
	struct bpf_insn *insns = NULL;
	char name[BPF_OBJ_NAME_LEN];
	char *log = NULL;
	int fd, err;

	if (!p->prov || !p->prov->attach) {
		rt_msg(rt, "probe '%s': no provider\n", p->name);
		return -EINVAL;
	}
	err = prog_patch(rt, p, &insns);
	if (!err)
		err = func_info(rt, p, info, &opts);
	if (err) {
		free(insns);
		return err;
	}
	prog_name(name, p->name);
	if (p->prov->load_attrs) {
		struct load_attrs la = { 0 };

		err = p->prov->load_attrs(p, &la, &(struct attach){ rt, i });
		if (err)
			goto cleanup;
		opts.expected_attach_type = la.attach_type;
		opts.attach_btf_id = la.btf_id;
	}
	fd = bpf_prog_load(p->prov->prog_type, name, "GPL", insns, p->ninsns,
			   &opts);
	if (fd < 0) {
		err = fd;
		log = calloc(1, VLOG_SIZE);
		if (log) {
			opts.log_buf = log;
			opts.log_size = VLOG_SIZE;
			opts.log_level = 1;
			fd = bpf_prog_load(p->prov->prog_type, name, "GPL",
					   insns, p->ninsns, &opts);
		}
	}
	if (fd < 0) {
		prog_refused(rt, p, err, log);
		goto cleanup;
	}
	err = 0;
	rt->prog_fds[i] = fd;
	if (rt->debug)
		rt_msg(rt, "probe '%s': loaded, %zu instructions\n",
		       p->name, p->ninsns);
cleanup:
	free(insns);
	free(log);
	return err;
}

int runtime__load(struct runtime *rt)
{
	size_t i;
	int err;

	if (rt->prog_fds)
		return -EBUSY;
	rt->prog_fds = fds_new(rt->spec.nprogs);
	err = rt->prog_fds ? maps_create(rt) : -ENOMEM;
	if (!err)
		err = scope_load(rt);
	for (i = 0; !err && i < rt->spec.nprogs; i++)
		err = prog_load_one(rt, i);
	if (err)
		rt->failed = 1;
	return err;
}

