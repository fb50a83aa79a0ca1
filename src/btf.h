/* btf: the running kernel's own types, read from its BTF
 * (/sys/kernel/btf/vmlinux, and a module's file beside it when a type lives
 * in a module). Nothing is read until a program names a kernel type; then
 * each type becomes a ply type when it is first used, and a struct's
 * members only when one of them is asked for, since a task_struct reaches
 * thousands of types. Offsets come straight from the running kernel, so
 * programs need no headers and no relocations. */
#ifndef PLY_BTF_H
#define PLY_BTF_H

#include <stddef.h>

#include "type.h"
#include "util.h"

struct kbtf;

/* dir: where vmlinux and the modules' BTF are; NULL: sysroot_btf()
 * ($PLY_BTF_DIR, else /sys/kernel/btf). Types are allocated from a. Loads
 * nothing yet. */
struct kbtf *kbtf__new(struct arena *a, const char *dir);
void kbtf__free(struct kbtf *k);

/* Load vmlinux's BTF if not done yet: 0, or a negative errno with *why
 * saying what is missing in words. */
int kbtf_load(struct kbtf *k, const char **why);

enum kbtf_kind {
	KBTF_STRUCT,
	KBTF_UNION,
	KBTF_ENUM,
	KBTF_TYPEDEF,
	KBTF_FUNC,	/* for kbtf_closest only */
};

/* The kernel's `struct NAME` (union, enum, typedef) as a ply type, or NULL
 * if there is none (or no BTF: see kbtf_load). */
struct type *kbtf_named(struct kbtf *k, enum kbtf_kind kind, const char *name);

/* Of the `kind` types named prefix + something, the something closest
 * to a misspelt name, or NULL. */
const char *kbtf_closest(struct kbtf *k, enum kbtf_kind kind,
			 const char *prefix, const char *name);

/* Fill in the members of a struct or union made by this module (a no-op
 * for any other type). Members of anonymous structs and unions are
 * members of their parent too, at their real offsets. */
void kbtf_complete(struct kbtf *k, struct type *t);

/* The byte offset of a chain of members, "d_name.len", in the kernel's
 * struct sname (an anonymous struct's or union's members count as its
 * parent's): 0 with *off set, or -1 if there is no such struct or member
 * (or no BTF), or the last is a bitfield. */
int kbtf_offsetof(struct kbtf *k, const char *sname, const char *members,
		  int *off);

/* A function's parameters (a kernel function for kprobe/fentry, or a raw
 * tracepoint's btf_trace_NAME prototype with its leading context pointer
 * dropped): *args gets n fields named as in the source, each at offset
 * 8 * i; *ret the return type (type_void if none). -ENOENT if unknown. */
int kbtf_func(struct kbtf *k, const char *func, struct field **args,
	      size_t *n, struct type **ret);
/* The BTF id of kernel function func in vmlinux (what fentry attaches
 * to): -ENOENT if there is no such function, -EXDEV if it is a module's. */
int kbtf_func_id(struct kbtf *k, const char *func);
int kbtf_rawtp(struct kbtf *k, const char *event, struct field **args,
	       size_t *n);

/* Every raw tracepoint the kernel has (its btf_trace_NAME typedefs, in
 * vmlinux and the modules), sorted; NULL with *n 0 without BTF. */
const char **kbtf_rawtp_names(struct kbtf *k, size_t *n);
/* Every function of vmlinux's BTF (not the modules'), sorted. */
const char **kbtf_func_names(struct kbtf *k, size_t *n);

#endif
