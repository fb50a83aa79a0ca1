/* provider_tracepoint: "tracepoint:group/event". The probe's `data` is a
 * struct built from the event's format file in tracefs. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provider.h"

struct tp {
	const char *target;	/* "group/event" */
	struct type *data;	/* struct of the record */
	struct type *dataptr;	/* pointer to it: the type of `data` */
};

const char *tracefs_path(void)
{
	static const char *const paths[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	struct stat st;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		char probe[64];

		snprintf(probe, sizeof(probe), "%s/events", paths[i]);
		if (!stat(probe, &st))
			return paths[i];
	}
	/* Not mounted yet: that is the normal state on a fresh boot. */
	if (!mount("nodev", paths[0], "tracefs", 0, NULL))
		return paths[0];
	return NULL;
}

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

static struct type *field_type(struct arena *a, const char *base, long alen,
			       size_t size, int is_signed)
{
	/* char arrays are strings; unsigned char ones are bytes (a MAC) */
	int is_char = strstr(base, "char") && !strstr(base, "unsigned");

	if (strchr(base, '*'))
		return type_ptr(a, is_char ? &type_s8 : &type_void);
	if (alen > 0 && size % alen == 0) {
		size_t esz = size / alen;

		if (is_char && esz == 1)
			return type_str(a, alen);
		if (esz == 1 || esz == 2 || esz == 4 || esz == 8)
			return type_array(a, type_int(esz, is_signed), alen);
		return type_array(a, &type_u8, size);
	}
	if (size == 1 || size == 2 || size == 4 || size == 8)
		return type_int(size, is_signed);
	return type_array(a, &type_u8, size);
}

/* One "field:...;	offset:N;	size:N;	signed:N;" line. */
static int parse_field(struct arena *a, char *line, struct field *f)
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
	f->type = data_loc ? &type_u32 : field_type(a, base, alen, size, sgn);
	return 1;
}

static struct type *format_parse(struct arena *a, FILE *fp, const char *name)
{
	VEC(struct field) fields = { 0 };
	struct type *t;
	char line[1024];
	size_t end = 0;

	while (fgets(line, sizeof(line), fp)) {
		struct field f = { 0 };

		/* The kernel hands BPF the record with its first 8 bytes
		 * (the common_ fields) overwritten by a pt_regs pointer. */
		if (parse_field(a, line, &f) <= 0 || f.offset < 8)
			continue;
		vec_push(a, &fields, f);
		if (f.offset + f.type->size > end)
			end = f.offset + f.type->size;
	}
	t = arena_alloc(a, sizeof(*t));
	t->kind = T_STRUCT;
	t->name = arena_printf(a, "struct %s", name);
	t->fields = fields.v;
	t->nfields = fields.n;
	t->size = end;
	return t;
}

static int tp_resolve(struct probe *p, struct arena *a, struct diag *d)
{
	const char *root = tracefs_path(), *slash = strchr(p->def, '/');
	char path[512];
	struct tp *tp;
	FILE *fp;

	if (!slash || slash == p->def || !slash[1] || strchr(slash + 1, '/')) {
		diag_error(d, p->loc, "tracepoint probes are written "
			   "'tracepoint:group/event', not '%s'", p->spec);
		return -EINVAL;
	}
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
				   "/%s does not exist)", p->def, root, p->def);
		else
			diag_error(d, p->loc, "cannot read %s: %s", path,
				   strerror(errno));
		return -errno;
	}
	tp = arena_alloc(a, sizeof(*tp));
	tp->target = p->def;
	tp->data = format_parse(a, fp, slash + 1);
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

static void tp_setup(const struct probe *p, struct rt_prog *rp)
{
	rp->tp = ((struct tp *)p->pdata)->target;
}

const struct provider provider_tracepoint = {
	.name = "tracepoint",
	.prog_type = BPF_PROG_TYPE_TRACEPOINT,
	.attach = RT_TRACEPOINT,
	.ctx_min_off = 8,	/* the kernel puts a pt_regs pointer there */
	.resolve = tp_resolve,
	.var = tp_var,
	.setup = tp_setup,
};
