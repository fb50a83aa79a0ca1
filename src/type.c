/* type: constructors and comparisons of ply's types. */
#include <string.h>

#include "type.h"

#define INT_TYPE(nm, sz, sgn) \
	struct type type_##nm = { .kind = T_INT, .size = sz, .is_signed = sgn, .name = #nm }

struct type type_void = { .kind = T_VOID, .name = "void" };
INT_TYPE(s8, 1, 1);
INT_TYPE(s16, 2, 1);
INT_TYPE(s32, 4, 1);
INT_TYPE(s64, 8, 1);
INT_TYPE(u8, 1, 0);
INT_TYPE(u16, 2, 0);
INT_TYPE(u32, 4, 0);
INT_TYPE(u64, 8, 0);

struct type *type_int(int size, int is_signed)
{
	switch (size) {
	case 1: return is_signed ? &type_s8 : &type_u8;
	case 2: return is_signed ? &type_s16 : &type_u16;
	case 4: return is_signed ? &type_s32 : &type_u32;
	case 8: return is_signed ? &type_s64 : &type_u64;
	}
	unreachable();
}

struct type *type_with_fmt(struct arena *a, struct type *t, enum type_fmt f)
{
	struct type *n;

	if (t->fmt == f)
		return t;
	n = arena_dup(a, t, sizeof(*t));
	n->fmt = f;
	return n;
}

struct type *type_str(struct arena *a, size_t len)
{
	struct type *t = arena_alloc(a, sizeof(*t));

	t->kind = T_STR;
	t->size = len;
	t->len = len;
	t->elem = &type_s8;
	t->name = arena_printf(a, "char[%zu]", len);
	return t;
}

struct type *type_ptr(struct arena *a, struct type *elem)
{
	struct type *t = arena_alloc(a, sizeof(*t));

	t->kind = T_PTR;
	t->size = 8;
	t->elem = elem;
	t->fmt = TF_HEX;
	t->name = arena_printf(a, "%s *", elem->name);
	return t;
}

struct type *type_array(struct arena *a, struct type *elem, size_t len)
{
	struct type *t = arena_alloc(a, sizeof(*t));

	t->kind = T_ARRAY;
	t->size = elem->size * len;
	t->elem = elem;
	t->len = len;
	t->name = arena_printf(a, "%s[%zu]", elem->name, len);
	return t;
}

struct type *type_tuple(struct arena *a, const char *name,
			struct type **members, size_t n)
{
	struct type *t = arena_alloc(a, sizeof(*t));
	size_t i, off = 0;

	t->kind = T_STRUCT;
	t->name = name;
	t->nfields = n;
	t->fields = arena_alloc(a, n * sizeof(*t->fields));
	for (i = 0; i < n; i++) {
		t->fields[i].name = arena_printf(a, "%zu", i);
		t->fields[i].type = members[i];
		t->fields[i].offset = off;
		off = ALIGN_UP(off + members[i]->size, 8);
	}
	t->size = off;
	return t;
}

int type_equal(const struct type *a, const struct type *b)
{
	size_t i;

	if (a == b)
		return 1;
	if (!a || !b || a->kind != b->kind || a->size != b->size)
		return 0;
	switch (a->kind) {
	case T_VOID:
		return 1;
	case T_INT:
		return a->is_signed == b->is_signed;
	case T_STR:
		return a->len == b->len;
	case T_PTR:
	case T_ARRAY:
		return a->len == b->len && type_equal(a->elem, b->elem);
	case T_STRUCT:
		if (a->nfields != b->nfields)
			return 0;
		for (i = 0; i < a->nfields; i++)
			if (a->fields[i].offset != b->fields[i].offset ||
			    !type_equal(a->fields[i].type, b->fields[i].type))
				return 0;
		return 1;
	}
	unreachable();
}

int type_is_scalar(const struct type *t)
{
	return t && (t->kind == T_INT || t->kind == T_PTR);
}

const struct field *type_field(const struct type *t, const char *name)
{
	size_t i;

	if (t->kind != T_STRUCT)
		return NULL;
	for (i = 0; i < t->nfields; i++)
		if (!strcmp(t->fields[i].name, name))
			return &t->fields[i];
	return NULL;
}
