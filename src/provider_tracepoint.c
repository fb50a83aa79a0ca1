/* provider_tracepoint: "tracepoint:group/event". The probe's `data` is a
 * struct built from the event's format file in tracefs; the program hangs
 * off the event's id through one perf event. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "attach.h"
#include "btf.h"
#include "provider.h"
#include "sysroot.h"

struct tp {
	const char *target;	/* "group/event" */
	struct type *data;	/* struct of the record */
	struct type *dataptr;	/* pointer to it: the type of `data` */
};

/* The part of a declaration before the member name: "const char *" from
 * "const char * filename", "char" from "char prev_comm[16]". */
static void decl_split(char *decl, char **base, char **name, long *alen)
{
	char *p, *br;

	*alen = -1;
	br = strchr(decl, '[');
	if (br) {
		/* "char name[16]" or "__data_loc char[] name" */
		char *close = strchr(br, ']');

		if (close && close[1] == '\0') {
			*alen = strtol(br + 1, NULL, 0);
			*br = '\0';
		}
	}
	p = decl + strlen(decl);
	while (p > decl && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
		p--;
	*name = p;
	while (p > decl && p[-1] == ' ')
		p--;
	*p = '\0';
	*base = decl;
}

/* Integer C types of format files, with their sign and size (0: the
 * field's own, for long-sized types). A syscall's format gives every
 * argument a u64 slot marked unsigned (int dfd is "size:8; signed:0"), so
 * the declared type is what says -100 is -100. */
static const struct {
	const char *name;
	int size, is_signed;
} c_ints[] = {
	{ "char", 1, -1 },	/* the kernel's char has no fixed sign */
	{ "signed char", 1, 1 }, { "unsigned char", 1, 0 },
	{ "short", 2, 1 }, { "short int", 2, 1 }, { "signed short", 2, 1 },
	{ "unsigned short", 2, 0 }, { "unsigned short int", 2, 0 },
	{ "int", 4, 1 }, { "signed int", 4, 1 }, { "signed", 4, 1 },
	{ "unsigned", 4, 0 }, { "unsigned int", 4, 0 },
	{ "long", 0, 1 }, { "long int", 0, 1 }, { "signed long", 0, 1 },
	{ "unsigned long", 0, 0 }, { "unsigned long int", 0, 0 },
	{ "long long", 8, 1 }, { "long long int", 8, 1 },
	{ "unsigned long long", 8, 0 }, { "unsigned long long int", 8, 0 },
	{ "bool", 1, 0 }, { "_Bool", 1, 0 },
	{ "s8", 1, 1 }, { "s16", 2, 1 }, { "s32", 4, 1 }, { "s64", 8, 1 },
	{ "u8", 1, 0 }, { "u16", 2, 0 }, { "u32", 4, 0 }, { "u64", 8, 0 },
	{ "__s8", 1, 1 }, { "__s16", 2, 1 }, { "__s32", 4, 1 },
	{ "__s64", 8, 1 }, { "__u8", 1, 0 }, { "__u16", 2, 0 },
	{ "__u32", 4, 0 }, { "__u64", 8, 0 },
	{ "int8_t", 1, 1 }, { "int16_t", 2, 1 }, { "int32_t", 4, 1 },
	{ "int64_t", 8, 1 }, { "uint8_t", 1, 0 }, { "uint16_t", 2, 0 },
	{ "uint32_t", 4, 0 }, { "uint64_t", 8, 0 },
	{ "size_t", 0, 0 }, { "ssize_t", 0, 1 }, { "loff_t", 8, 1 },
	{ "off_t", 0, 1 }, { "pid_t", 4, 1 }, { "uid_t", 4, 0 },
	{ "gid_t", 4, 0 }, { "qid_t", 4, 0 }, { "umode_t", 2, 0 },
	{ "mode_t", 4, 0 }, { "clockid_t", 4, 1 }, { "timer_t", 4, 1 },
	{ "mqd_t", 4, 1 }, { "key_t", 4, 1 }, { "key_serial_t", 4, 1 },
	{ "rwf_t", 4, 1 }, { "time_t", 0, 1 }, { "aio_context_t", 0, 0 },
};

/* base without "const", "volatile" and extra spaces, in buf. */
static const char *c_type_name(const char *base, char *buf, size_t len)
{
	const char *p = base, *w;
	size_t n = 0, wl;

	while (*p) {
		while (*p == ' ')
			p++;
		for (w = p; *p && *p != ' '; p++)
			;
		wl = p - w;
		if (!wl || (wl == 5 && !strncmp(w, "const", 5)) ||
		    (wl == 8 && !strncmp(w, "volatile", 8)))
			continue;
		if (n + wl + 2 > len)
			return "";
		if (n)
			buf[n++] = ' ';
		memcpy(buf + n, w, wl);
		n += wl;
	}
	buf[n] = '\0';
	return buf;
}

/* The sign and size of integer C type base, when it is one ply knows:
 * *size is left alone for long-sized types, *is_signed for char. */
static void c_int_type(const char *base, size_t *size, int *is_signed)
{
	char buf[64];
	const char *name = c_type_name(base, buf, sizeof(buf));
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c_ints); i++) {
		if (strcmp(c_ints[i].name, name))
			continue;
		if (c_ints[i].size && (size_t)c_ints[i].size < *size)
			*size = c_ints[i].size;
		if (c_ints[i].is_signed >= 0)
			*is_signed = c_ints[i].is_signed;
		return;
	}
}

/* What the format says a pointer field points to: a kernel struct or
 * union (from BTF, when the kernel has it: "struct task_struct *"), a
 * char, or anything else (void). Into user memory in a syscall's record. */
static struct type *ptr_field_type(struct arena *a, struct kbtf *btf,
				   const char *base, int is_char, int user)
{
	char buf[128], name[128];
	const char *decl = c_type_name(base, buf, sizeof(buf));
	struct type *t = NULL;
	enum kbtf_kind kind = KBTF_STRUCT;

	if (btf && (sscanf(decl, "struct %127[A-Za-z0-9_] *", name) == 1 ||
		    (kind = KBTF_UNION,
		     sscanf(decl, "union %127[A-Za-z0-9_] *", name) == 1)) &&
	    !strchr(strchr(decl, '*') + 1, '*'))
		t = kbtf_named(btf, kind, name);
	t = type_ptr(a, t ? t : is_char ? &type_s8 : &type_void);
	t->user = user;
	return t;
}

static struct type *field_type(struct arena *a, struct kbtf *btf,
			       const char *base, long alen, size_t size,
			       int is_signed, int user)
{
	/* char arrays are strings; unsigned char ones are bytes (a MAC) */
	int is_char = strstr(base, "char") && !strstr(base, "unsigned");

	if (strchr(base, '*'))
		return ptr_field_type(a, btf, base, is_char, user);
	if (alen > 0 && size % alen == 0) {
		size_t esz = size / alen, csz = esz;

		if (is_char && esz == 1)
			return type_str(a, alen);
		c_int_type(base, &csz, &is_signed);	/* its sign only */
		if (esz == 1 || esz == 2 || esz == 4 || esz == 8)
			return type_array(a, type_int(esz, is_signed), alen);
		return type_array(a, &type_u8, size);
	}
	if (size == 1 || size == 2 || size == 4 || size == 8) {
		c_int_type(base, &size, &is_signed);
		return type_int(size, is_signed);
	}
	return type_array(a, &type_u8, size);
}

/* One "field:...;	offset:N;	size:N;	signed:N;" line; *field_end
 * is where the field ends in the record, which its type may not fill. */
static int parse_field(struct arena *a, struct kbtf *btf, int user,
		       char *line, struct field *f, size_t *field_end)
{
	char *decl = strstr(line, "field:"), *end, *base, *name;
	unsigned long off, size;
	int sgn, data_loc;
	long alen;

	if (!decl)
		return 0;
	decl += 6;
	end = strchr(decl, ';');
	if (!end || sscanf(end, "; offset:%lu; size:%lu; signed:%d", &off,
			   &size, &sgn) != 3)
		return -EINVAL;
	*end = '\0';
	data_loc = !strncmp(decl, "__data_loc ", 11);
	decl_split(decl, &base, &name, &alen);
	f->name = arena_strdup(a, name);
	f->offset = off;
	f->data_loc = data_loc;
	f->type = data_loc ? &type_u32 : field_type(a, btf, base, alen, size,
						     sgn, user);
	*field_end = off + size;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	/* an int in a syscall's u64 slot is its last bytes */
	if (f->type->kind == T_INT && f->type->size < size)
		f->offset += size - f->type->size;
#endif
	return 1;
}

/* A syscall's pointers point into the calling process's memory. */
static struct type *format_parse(struct arena *a, struct kbtf *btf, int user,
				 FILE *fp, const char *name)
{
	VEC(struct field) fields = { 0 };
	struct type *t;
	char line[1024];
	size_t end = 0;

	while (fgets(line, sizeof(line), fp)) {
		struct field f = { 0 };
		size_t field_end = 0;

		/* The kernel hands BPF the record with its first 8 bytes
		 * (the common_ fields) overwritten by a pt_regs pointer. */
		if (parse_field(a, btf, user, line, &f, &field_end) <= 0 ||
		    f.offset < 8)
			continue;
		vec_push(a, &fields, f);
		if (field_end > end)
			end = field_end;
	}
	t = arena_alloc(a, sizeof(*t));
	t->kind = T_STRUCT;
	t->name = arena_printf(a, "struct %s", name);
	t->fields = fields.v;
	t->nfields = fields.n;
	t->size = end;
	return t;
}

/* The entry of directory path closest to name (a typo of it), or NULL. */
static const char *closest_entry(struct arena *a, const char *path,
				 const char *name)
{
	VEC(const char *) v = { 0 };
	DIR *dir = opendir(path);
	struct dirent *de;

	if (!dir)
		return NULL;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			vec_push(a, &v, arena_strdup(a, de->d_name));
	closedir(dir);
	return closest_name(name, v.v, v.n);
}

/* " (did you mean 'sched/sched_switch'?)" for a misspelt group or event. */
static const char *tp_suggest(struct arena *a, const char *root,
			      const char *def, const char *slash)
{
	const char *group = arena_strndup(a, def, slash - def), *best;
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/events/%s", root, group);
	if (stat(path, &st)) {
		snprintf(path, sizeof(path), "%s/events", root);
		best = closest_entry(a, path, group);
		if (!best)
			return "";
		snprintf(path, sizeof(path), "%s/events/%s/%s", root, best,
			 slash + 1);
		if (stat(path, &st))
			return arena_printf(a, "; did you mean the group '%s'?",
					    best);
		return arena_printf(a, "; did you mean '%s/%s'?", best,
				    slash + 1);
	}
	best = closest_entry(a, path, slash + 1);
	return best ? arena_printf(a, "; did you mean '%s/%s'?", group, best)
		: "";
}

static int tp_resolve(struct probe *p, struct arena *a, struct diag *d)
{
	const char *root, *slash = strchr(p->def, '/');
	char path[512];
	struct tp *tp;
	FILE *fp;
	int err;

	if (!slash || slash == p->def || !slash[1] || strchr(slash + 1, '/')) {
		diag_error(d, p->loc, "tracepoint probes are written "
			   "'tracepoint:group/event', not '%s'", p->spec);
		return -EINVAL;
	}
	root = sysroot_tracefs(&err);
	if (!root) {
		diag_error(d, p->loc, "tracefs is not available (mount it "
			   "with 'mount -t tracefs nodev /sys/kernel/tracing')");
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/events/%s/format", root, p->def);
	fp = fopen(path, "r");
	if (!fp) {
		if (errno == ENOENT)
			diag_error(d, p->loc, "no such tracepoint '%s' (%s/events"
				   "/%s does not exist%s)", p->def, root, p->def,
				   tp_suggest(a, root, p->def, slash));
		else
			diag_error(d, p->loc, "cannot read %s: %s", path,
				   strerror(errno));
		return -errno;
	}
	tp = arena_alloc(a, sizeof(*tp));
	tp->target = p->def;
	tp->data = format_parse(a, p->btf, !strncmp(p->def, "syscalls/", 9),
				fp, slash + 1);
	tp->dataptr = type_ptr(a, tp->data);
	fclose(fp);
	p->pdata = tp;
	return 0;
}

static struct type *tp_var(struct probe *p, struct arena *a,
			   const char *name, int *ctx_off)
{
	struct tp *tp = p->pdata;

	*ctx_off = -1;
	return !strcmp(name, "data") ? tp->dataptr : NULL;
}

const void *tracepoint_pdata(struct arena *a, const char *group_event)
{
	struct tp *tp = arena_alloc(a, sizeof(*tp));

	tp->target = group_event;
	return tp;
}

/* ---- attach ---- */

/* "group/event", neither part empty nor able to leave events/. */
static int tp_name_ok(const char *tp)
{
	const char *slash = tp ? strchr(tp, '/') : NULL;
	const char *c;

	if (!slash || slash == tp || !slash[1] || strchr(slash + 1, '/'))
		return 0;
	if (tp[0] == '.' || slash[1] == '.')
		return 0;
	for (c = tp; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_-./", *c))
			return 0;
	return 1;
}

static int tp_id(struct attach *at, const struct probe_prog *p,
		 const char *target)
{
	const char *dir;
	char path[512];
	FILE *f;
	int id, e;

	if (!tp_name_ok(target)) {
		attach_msg(at, "probe '%s': '%s' is not a tracepoint "
			   "name (group/event)\n", p->name,
			   target ? target : "");
		return -EINVAL;
	}
	dir = sysroot_tracefs(&e);
	if (!dir) {
		attach_msg(at, "tracefs is not mounted and mounting it on "
			   "%s failed: %s\n", SYSROOT_TRACEFS,
			   e ? strerror(e) : "no events");
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/events/%s/id", dir, target);
	f = fopen(path, "re");
	if (!f) {
		e = -errno;
		if (e == -ENOENT)
			attach_msg(at, "probe '%s': no such tracepoint\n",
				   p->name);
		else
			attach_msg(at, "probe '%s': failed to read %s: "
				   "%s\n", p->name, path, strerror(-e));
		return e;
	}
	if (fscanf(f, "%d", &id) != 1 || id < 0) {
		attach_msg(at, "probe '%s': %s holds no id\n", p->name,
			   path);
		id = -EINVAL;
	}
	fclose(f);
	return id;
}

/* One perf event is enough: the program hangs off the tracepoint itself
 * and runs on every CPU, whatever CPU the event was opened for. */
static int tp_attach(struct attach *at, const struct probe_prog *p)
{
	const struct tp *tp = p->pdata;
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.sample_period = 1,
		.wakeup_events = 1,
	};
	enum attach_stage stage;
	int id, err;

	id = tp_id(at, p, tp ? tp->target : NULL);
	if (id < 0)
		return id;
	attr.config = id;
	err = attach_reserve(at, 1);
	if (err)
		return err;
	err = attach_perf_event(at, &attr, 0, &stage);
	if (err)
		attach_msg(at, "probe '%s': %s: %s\n", p->name,
			   attach_stage_words(stage), strerror(-err));
	return err;
}

static const char *const tp_vars[] = { "data", NULL };

static const char *tp_var_hint(const char *name)
{
	return !strcmp(name, "data") ? " (data is a tracepoint's record)" :
				       NULL;
}

/* -v: a tracepoint's fields as its format file declares them, but the
 * common_ ones, which programs can't read. */
static void tp_list_fields(struct list_req *r, const char *dir)
{
	char path[1100], line[1024], *decl, *end;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/format", dir);
	fp = fopen(path, "r");
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		decl = strstr(line, "field:");
		end = decl ? strchr(decl, ';') : NULL;
		if (!end)
			continue;
		decl += 6;
		*end = '\0';
		if (!strstr(decl, " common_"))
			fprintf(r->out, "\t%s;\n", decl);
	}
	fclose(fp);
}

static int cmp_dirent(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* -l: every event of every group under tracefs' events. */
static int tp_list(struct list_req *r)
{
	struct dirent **groups = NULL, **events = NULL;
	char dir[1024], probe[600];
	int ng, ne, i, j, count = 0, err;
	const char *root = sysroot_tracefs(&err);

	if (!root)
		return 0;
	snprintf(dir, sizeof(dir), "%s/events", root);
	ng = scandir(dir, &groups, not_dot, cmp_dirent);
	for (i = 0; i < ng; i++) {
		snprintf(dir, sizeof(dir), "%s/events/%s", root,
			 groups[i]->d_name);
		ne = scandir(dir, &events, not_dot, cmp_dirent);
		for (j = 0; j < ne; j++) {
			snprintf(probe, sizeof(probe), "tracepoint:%s/%s",
				 groups[i]->d_name, events[j]->d_name);
			snprintf(dir, sizeof(dir), "%s/events/%s/%s", root,
				 groups[i]->d_name, events[j]->d_name);
			if (events[j]->d_type != DT_DIR ||
			    !list_match(r, probe))
				goto next;
			fprintf(r->out, "%s\n", probe);
			count++;
			if (r->verbose)
				tp_list_fields(r, dir);
next:
			free(events[j]);
		}
		free(events);
		events = NULL;
		free(groups[i]);
	}
	free(groups);
	return count;
}

const struct provider provider_tracepoint = {
	.name = "tracepoint",
	.prog_type = BPF_PROG_TYPE_TRACEPOINT,
	.flags = PROV_STACK | PROV_TASK,
	.ctx_min_off = 8,	/* the kernel puts a pt_regs pointer there */
	.resolve = tp_resolve,
	.var = tp_var,
	.vars = tp_vars,
	.var_hint = tp_var_hint,
	.attach = tp_attach,
	.list = tp_list,
};
