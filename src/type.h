/* type: ply's C-like types. Integers of 8-64 bits, strings (NUL-padded
 * char[N]), pointers, arrays and structs (a tracepoint's data, the key tuple
 * of a map, the record of an event). A type also carries the default output
 * format of its values (plain, a time difference, a timestamp). */
#ifndef PLY_TYPE_H
#define PLY_TYPE_H

#include <stddef.h>

#include "util.h"

enum type_kind {
	T_VOID,
	T_INT,
	T_PTR,
	T_STR,		/* char[len], printed up to the first NUL */
	T_ARRAY,	/* elem[len] */
	T_STRUCT,
};

enum type_fmt {
	TF_NONE,
	TF_TIME,	/* nanoseconds, a duration */
	TF_WALLTIME,	/* nanoseconds since boot, printed as a wall-clock time */
	TF_HEX,		/* printed in hex by default (pointers, addresses) */
	TF_SYM,		/* a kernel address, printed as symbol+offset */
	TF_STACK,	/* a stack id (bpf_get_stackid), printed as frames */
};

struct field {
	const char *name;
	struct type *type;
	size_t offset;
	int data_loc;	/* tracepoint __data_loc member: u32 (len << 16 | off) */
	unsigned bit_off;	/* a bitfield: bit_size bits (0: not one) */
	unsigned bit_size;	/* from bit bit_off of byte offset */
};

struct type {
	enum type_kind kind;
	size_t size;		/* bytes of storage */
	int is_signed;		/* T_INT */
	enum type_fmt fmt;
	const char *name;	/* "u32", "char[16]", "struct sys_enter_openat" */
	struct type *elem;	/* T_PTR target, T_ARRAY element */
	size_t len;		/* T_ARRAY, T_STR: number of elements */
	struct field *fields;	/* T_STRUCT */
	size_t nfields;
	/* a kernel struct or union from BTF (btf.c): its members are read
	 * when first needed, from type btf_id of btf */
	const void *btf;
	int btf_id;
	int user;		/* T_PTR: into user memory (a syscall's
				 * argument), read with probe_read_user */
	int tuple;		/* T_STRUCT: a tuple the program made,
				 * (a, b) as a map's value */
};

extern struct type type_void;
extern struct type type_s8, type_s16, type_s32, type_s64;
extern struct type type_u8, type_u16, type_u32, type_u64;

struct type *type_int(int size, int is_signed);	/* one of the statics */
struct type *type_with_fmt(struct arena *a, struct type *t, enum type_fmt f);
struct type *type_str(struct arena *a, size_t len);
struct type *type_ptr(struct arena *a, struct type *elem);
struct type *type_array(struct arena *a, struct type *elem, size_t len);
/* A struct whose fields each start on an 8-byte boundary, in order; used
 * for map key tuples and event records so padding is easy to zero. */
struct type *type_tuple(struct arena *a, const char *name,
			struct type **members, size_t n);

int type_equal(const struct type *a, const struct type *b);
int type_is_scalar(const struct type *t);	/* int or pointer */
const struct field *type_field(const struct type *t, const char *name);

#endif
