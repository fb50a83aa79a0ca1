/* btf: kernel types from the running kernel's BTF, loaded lazily and
 * turned into ply types on demand (see btf.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf.h"
#include "sysroot.h"

#define BTF_DIR		SYSROOT_BTF

struct kbtf {
	struct arena *arena;
	char *dir;
	struct btf *vmlinux;
	struct btf **mods;	/* every module's, once a name is not found
				 * in vmlinux */
	size_t nmods;
	int loaded, mods_loaded, err;
	const char *why;
};

struct kbtf *kbtf__new(struct arena *a, const char *dir)
{
	struct kbtf *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->arena = a;
	k->dir = strdup(dir ? dir : sysroot_btf());
	if (!k->dir) {
		free(k);
		return NULL;
	}
	return k;
}

void kbtf__free(struct kbtf *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->nmods; i++)
		btf__free(k->mods[i]);
	free(k->mods);
	btf__free(k->vmlinux);
	free(k->dir);
	free(k);
}

int kbtf_load(struct kbtf *k, const char **why)
{
	char path[4096];

	if (!k->loaded) {
		k->loaded = 1;
		snprintf(path, sizeof(path), "%s/vmlinux", k->dir);
		k->vmlinux = btf__parse(path, NULL);
		if (!k->vmlinux) {
			k->err = -errno;
			k->why = k->err == -ENOENT ?
				"this kernel has no BTF (" BTF_DIR "/vmlinux is "
				"missing: CONFIG_DEBUG_INFO_BTF is not set)" :
				"the kernel's BTF (" BTF_DIR "/vmlinux) could "
				"not be read";
		}
	}
	if (why)
		*why = k->why;
	return k->err;
}

/* Every module's BTF, split on vmlinux's, read once. */
static void mods_load(struct kbtf *k)
{
	char path[4096];
	struct dirent *de;
	struct btf *b, **grown;
	DIR *d;

	if (k->mods_loaded || !k->vmlinux)
		return;
	k->mods_loaded = 1;
	d = opendir(k->dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", k->dir, de->d_name);
		b = btf__parse_split(path, k->vmlinux);
		if (!b)
			continue;
		grown = realloc(k->mods, (k->nmods + 1) * sizeof(*grown));
		if (!grown) {
			btf__free(b);
			break;
		}
		k->mods = grown;
		k->mods[k->nmods++] = b;
	}
	closedir(d);
}

static char *name_join(struct arena *a, const char *prefix, const char *name)
{
	size_t lp = strlen(prefix), ln = strlen(name);
	char *s = arena_alloc(a, lp + ln + 1);

	memcpy(s, prefix, lp);
	memcpy(s + lp, name, ln + 1);
	return s;
}

static struct type *type_of(struct kbtf *k, const struct btf *b, int id);

static struct type *int_of(struct kbtf *k, const struct btf_type *t)
{
	int enc = btf_int_encoding(t), size = t->size;

	if (btf_int_bits(t) == 1 && size == 1)	/* bool */
		return &type_u8;
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		/* __int128 and such: bytes, not a number */
		return type_array(k->arena, &type_u8, size);
	}
	return type_int(size, !!(enc & BTF_INT_SIGNED));
}

static int is_char(const struct btf *b, int id)
{
	const struct btf_type *t;

	id = btf__resolve_type(b, id);
	t = id > 0 ? btf__type_by_id(b, id) : NULL;
	return t && btf_is_int(t) && t->size == 1 &&
	       !strcmp(btf__name_by_offset(b, t->name_off), "char");
}

static struct type *array_of(struct kbtf *k, const struct btf *b,
			     const struct btf_type *t)
{
	const struct btf_array *arr = btf_array(t);

	if (is_char(b, arr->type) && arr->nelems)
		return type_str(k->arena, arr->nelems);
	return type_array(k->arena, type_of(k, b, arr->type), arr->nelems);
}

/* A struct or union: its name and size now, its members on demand. */
static struct type *struct_of(struct kbtf *k, const struct btf *b, int id,
			      const struct btf_type *t)
{
	struct type *ty = arena_alloc(k->arena, sizeof(*ty));
	const char *name = btf__name_by_offset(b, t->name_off);

	ty->kind = T_STRUCT;
	ty->size = t->size;
	ty->name = name_join(k->arena, btf_is_union(t) ? "union " : "struct ",
			     name && *name ? name : "(anonymous)");
	ty->btf = b;
	ty->btf_id = id;
	return ty;
}

static int find(struct kbtf *k, const char *name, int kind,
		const struct btf **b);

/* Past typedefs and qualifiers, as btf__resolve_type, but also to a
 * forward declaration (which it refuses, having no size). */
static int skip_mods(const struct btf *b, int id)
{
	const struct btf_type *t = btf__type_by_id(b, id);
	int depth = 0;

	while (t && (btf_is_mod(t) || btf_is_typedef(t)) && depth++ < 32) {
		id = t->type;
		t = btf__type_by_id(b, id);
	}
	return t && depth < 32 ? id : -1;
}

/* A forward declaration: the struct or union of that name, where it is
 * defined (a module's BTF may only declare a kernel struct). */
static struct type *fwd_of(struct kbtf *k, const struct btf *b,
			   const struct btf_type *t)
{
	const char *name = btf__name_by_offset(b, t->name_off);
	const struct btf *db;
	int id;

	if (!name || !*name)
		return &type_void;
	id = find(k, name, btf_kflag(t) ? BTF_KIND_UNION : BTF_KIND_STRUCT,
		  &db);
	return id > 0 ? struct_of(k, db, id, btf__type_by_id(db, id)) :
			&type_void;
}

static struct type *type_of(struct kbtf *k, const struct btf *b, int id)
{
	const struct btf_type *t;
	int target;

	id = skip_mods(b, id);	/* past typedefs and qualifiers */
	t = id > 0 ? btf__type_by_id(b, id) : NULL;
	if (!t)
		return &type_void;
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		return int_of(k, t);
	case BTF_KIND_ENUM:
		return type_int(t->size, btf_kflag(t));
	case BTF_KIND_ENUM64:
		return type_int(8, btf_kflag(t));
	case BTF_KIND_PTR:
		target = btf__resolve_type(b, t->type);
		if (target > 0 && btf_is_func_proto(btf__type_by_id(b, target)))
			/* a function pointer: printed as the function */
			return type_with_fmt(k->arena,
					     type_ptr(k->arena, &type_void),
					     TF_SYM);
		return type_ptr(k->arena, type_of(k, b, t->type));
	case BTF_KIND_ARRAY:
		return array_of(k, b, t);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return struct_of(k, b, id, t);
	case BTF_KIND_FWD:	/* declared only here: defined elsewhere */
		return fwd_of(k, b, t);
	default:
		return &type_void;	/* functions, floats: nothing to read */
	}
}

struct members {
	struct field *v;
	size_t n, cap;
};

static void member_push(struct kbtf *k, struct members *m, struct field f)
{
	struct field *grown;

	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 16;
		grown = arena_alloc(k->arena, m->cap * sizeof(*grown));
		if (m->n)
			memcpy(grown, m->v, m->n * sizeof(*grown));
		m->v = grown;
	}
	m->v[m->n++] = f;
}

/* The members of struct/union id at bit offset base, anonymous members'
 * own members included in place. */
static void members_add(struct kbtf *k, const struct btf *b, int id,
			size_t base, struct members *out)
{
	const struct btf_type *t = btf__type_by_id(b, id);
	const struct btf_member *mb = btf_members(t);
	int i, rid;

	for (i = 0; i < btf_vlen(t); i++, mb++) {
		const char *name = btf__name_by_offset(b, mb->name_off);
		size_t bit = base + btf_member_bit_offset(t, i);
		unsigned bits = btf_member_bitfield_size(t, i);
		struct field f = { 0 };

		if (!name || !*name) {
			rid = btf__resolve_type(b, mb->type);
			if (rid > 0 && btf_is_composite(btf__type_by_id(b, rid)))
				members_add(k, b, rid, bit, out);
			continue;
		}
		f.name = name;
		f.type = type_of(k, b, mb->type);
		f.offset = bit / 8;
		if (bits) {
			f.bit_off = bit % 8;
			f.bit_size = bits;
		}
		member_push(k, out, f);
	}
}

void kbtf_complete(struct kbtf *k, struct type *t)
{
	struct members m = { 0 };

	if (!t || t->kind != T_STRUCT || !t->btf || t->fields)
		return;
	members_add(k, t->btf, t->btf_id, 0, &m);
	t->fields = m.v;
	t->nfields = m.n;
	if (!t->fields)	/* an empty struct: complete all the same */
		t->fields = arena_alloc(k->arena, sizeof(*t->fields));
}

static int btf_kind_of(enum kbtf_kind kind)
{
	switch (kind) {
	case KBTF_STRUCT: return BTF_KIND_STRUCT;
	case KBTF_UNION: return BTF_KIND_UNION;
	case KBTF_ENUM: return BTF_KIND_ENUM;
	case KBTF_FUNC: return BTF_KIND_FUNC;
	default: return BTF_KIND_TYPEDEF;
	}
}

/* Type id of name in vmlinux, else in a module; *b says which. */
static int find(struct kbtf *k, const char *name, int kind,
		const struct btf **b)
{
	size_t i;
	int id;

	if (kbtf_load(k, NULL))
		return -ENOENT;
	id = btf__find_by_name_kind(k->vmlinux, name, kind);
	if (id > 0) {
		*b = k->vmlinux;
		return id;
	}
	mods_load(k);
	for (i = 0; i < k->nmods; i++) {
		id = btf__find_by_name_kind(k->mods[i], name, kind);
		if (id > 0) {
			*b = k->mods[i];
			return id;
		}
	}
	return -ENOENT;
}

struct type *kbtf_named(struct kbtf *k, enum kbtf_kind kind, const char *name)
{
	const struct btf *b;
	int id = find(k, name, btf_kind_of(kind), &b);

	if (id < 0)
		return NULL;
	if (kind == KBTF_STRUCT || kind == KBTF_UNION)
		return struct_of(k, b, id, btf__type_by_id(b, id));
	return type_of(k, b, id);
}

const char *kbtf_closest(struct kbtf *k, enum kbtf_kind kind,
			 const char *prefix, const char *name)
{
	const char **names, *best;
	int i, n, kd = btf_kind_of(kind), nn = 0;
	size_t lp = strlen(prefix), len = strlen(name), room = (len + 2) / 3 + 1;

	if (kbtf_load(k, NULL))
		return NULL;
	n = btf__type_cnt(k->vmlinux);
	names = malloc(n * sizeof(*names));
	if (!names)
		return NULL;
	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(k->vmlinux, i);
		const char *tn = btf__name_by_offset(k->vmlinux, t->name_off);

		/* closest_name takes one edit in three characters: a name
		 * longer or shorter by more can't be it, and the edit
		 * distances of all of BTF's names take seconds under ASan */
		if (btf_kind(t) != kd || !tn || strncmp(tn, prefix, lp))
			continue;
		tn += lp;
		if (*tn && (size_t)labs((long)strlen(tn) - (long)len) <= room)
			names[nn++] = tn;
	}
	best = closest_name(name, names, nn);
	free(names);
	return best;
}

/* The parameters of prototype id, from parameter `skip` on. */
static int params_of(struct kbtf *k, const struct btf *b, int id, int skip,
		     struct field **args, size_t *n)
{
	const struct btf_type *t = btf__type_by_id(b, id);
	const struct btf_param *p;
	struct field *v;
	int i, vlen;

	if (!t || !btf_is_func_proto(t))
		return -ENOENT;
	vlen = btf_vlen(t);
	if (vlen < skip)
		return -ENOENT;
	v = arena_alloc(k->arena, (vlen - skip + 1) * sizeof(*v));
	p = btf_params(t) + skip;
	for (i = 0; i < vlen - skip; i++, p++) {
		const char *name = btf__name_by_offset(b, p->name_off);

		v[i].name = name && *name ? name : "";
		v[i].type = p->type ? type_of(k, b, p->type) : &type_void;
		v[i].offset = 8 * i;
	}
	*args = v;
	*n = vlen - skip;
	return 0;
}

int kbtf_func(struct kbtf *k, const char *func, struct field **args,
	      size_t *n, struct type **ret)
{
	const struct btf_type *t;
	const struct btf *b;
	int id = find(k, func, BTF_KIND_FUNC, &b);

	if (id < 0)
		return id;
	t = btf__type_by_id(b, id);
	t = btf__type_by_id(b, t->type);	/* the prototype */
	if (ret)
		*ret = t && t->type ? type_of(k, b, t->type) : &type_void;
	return params_of(k, b, btf__type_by_id(b, id)->type, 0, args, n);
}

int kbtf_func_id(struct kbtf *k, const char *func)
{
	const struct btf *b;
	int id = find(k, func, BTF_KIND_FUNC, &b);

	if (id < 0)
		return id;
	return b == k->vmlinux ? id : -EXDEV;
}

/* The tracepoint's arguments, after its leading void *__data: named in
 * the prototype of its __bpf_trace_NAME function; btf_trace_NAME, a
 * typedef of a pointer to the same prototype, has the types but no
 * names (kernels built without the function's BTF). */
int kbtf_rawtp(struct kbtf *k, const char *event, struct field **args,
	       size_t *n)
{
	char name[256];
	const struct btf_type *t;
	const struct btf *b;
	int id;

	snprintf(name, sizeof(name), "__bpf_trace_%s", event);
	id = find(k, name, BTF_KIND_FUNC, &b);
	if (id > 0)
		return params_of(k, b, btf__type_by_id(b, id)->type, 1, args, n);
	snprintf(name, sizeof(name), "btf_trace_%s", event);
	id = find(k, name, BTF_KIND_TYPEDEF, &b);
	if (id < 0)
		return id;
	t = btf__type_by_id(b, id);
	t = t ? btf__type_by_id(b, t->type) : NULL;
	if (!t || !btf_is_ptr(t))
		return -ENOENT;
	return params_of(k, b, t->type, 1, args, n);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void rawtp_names_of(struct kbtf *k, const struct btf *b, int from,
			   const char ***v, size_t *n, size_t *cap)
{
	int id, last = (int)btf__type_cnt(b) - 1;
	const struct btf_type *t;
	const char *name;

	for (id = from; id <= last; id++) {
		t = btf__type_by_id(b, id);
		if (!t || !btf_is_typedef(t))
			continue;
		name = btf__name_by_offset(b, t->name_off);
		if (!name || strncmp(name, "btf_trace_", 10))
			continue;
		if (*n == *cap) {
			const char **nv = arena_alloc(k->arena, (*cap = *cap ?
					   2 * *cap : 256) * sizeof(*nv));

			if (*n)
				memcpy(nv, *v, *n * sizeof(*nv));
			*v = nv;
		}
		(*v)[(*n)++] = name + 10;
	}
}

const char **kbtf_rawtp_names(struct kbtf *k, size_t *n)
{
	const char **v = NULL;
	size_t cap = 0, i;

	*n = 0;
	if (kbtf_load(k, NULL))
		return NULL;
	rawtp_names_of(k, k->vmlinux, 1, &v, n, &cap);
	mods_load(k);
	for (i = 0; i < k->nmods; i++)
		rawtp_names_of(k, k->mods[i], btf__type_cnt(k->vmlinux), &v, n,
			       &cap);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_name);
	return v;
}

const char **kbtf_func_names(struct kbtf *k, size_t *n)
{
	int id, last;
	const struct btf_type *t;
	const char **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (kbtf_load(k, NULL))
		return NULL;
	last = (int)btf__type_cnt(k->vmlinux) - 1;
	for (id = 1; id <= last; id++) {
		t = btf__type_by_id(k->vmlinux, id);
		if (!t || !btf_is_func(t))
			continue;
		if (*n == cap) {
			const char **nv = arena_alloc(k->arena, (cap = cap ?
					   2 * cap : 4096) * sizeof(*nv));

			if (*n)
				memcpy(nv, v, *n * sizeof(*nv));
			v = nv;
		}
		v[(*n)++] = btf__name_by_offset(k->vmlinux, t->name_off);
	}
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_name);
	return v;
}

int kbtf_offsetof(struct kbtf *k, const char *sname, const char *members,
		  int *out)
{
	struct type *t = kbtf_named(k, KBTF_STRUCT, sname);
	char *chain = arena_strdup(k->arena, members), *part, *save = NULL;
	const struct field *f;
	int off = 0;

	for (part = strtok_r(chain, ".", &save); part;
	     part = strtok_r(NULL, ".", &save)) {
		if (!t || t->kind != T_STRUCT)
			return -1;
		kbtf_complete(k, t);
		f = type_field(t, part);
		if (!f || f->bit_size)
			return -1;
		off += f->offset;
		t = f->type;
	}
	*out = off;
	return 0;
}
