/* btf: kernel types from BTF. A small BTF made here (written to a
 * directory as its "vmlinux") checks each conversion exactly; the running
 * kernel's own BTF, where there is one, checks a few well-known members. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "btf.h"
#include "test.h"

/*	struct task { int pid; char comm[16]; struct task *parent;
 *		      union { long a; unsigned int b; };
 *		      unsigned int flag : 1, mode : 3;
 *		      void (*fn)(void); pid_t tgid; };
 *	int open_it(struct task *t, long flags);
 *	typedef void (*btf_trace_ev)(void *, struct task *p, int n);	*/
static int fake_btf(const char *dir)
{
	struct btf *b = btf__new_empty();
	int i32, u32, c8, l64, task, ptask, anon, proto, fptr, pid_t_id, arr;
	int tp_proto, tp_ptr, vptr;
	char path[256];
	const void *raw;
	__u32 size;
	FILE *out;

	/* libbpf adds members to the struct added last: types first */
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);		/* 1 */
	u32 = btf__add_int(b, "unsigned int", 4, 0);			/* 2 */
	c8 = btf__add_int(b, "char", 1, BTF_INT_SIGNED);		/* 3 */
	l64 = btf__add_int(b, "long", 8, BTF_INT_SIGNED);		/* 4 */
	pid_t_id = btf__add_typedef(b, "pid_t", i32);			/* 5 */
	proto = btf__add_func_proto(b, 0);				/* 6 */
	fptr = btf__add_ptr(b, proto);					/* 7 */
	arr = btf__add_array(b, u32, c8, 16);				/* 8 */
	anon = btf__add_union(b, NULL, 8);				/* 9 */
	btf__add_field(b, "a", l64, 0, 0);
	btf__add_field(b, "b", u32, 0, 0);
	ptask = btf__add_ptr(b, anon + 2);				/* 10 */
	task = btf__add_struct(b, "task", 64);				/* 11 */
	btf__add_field(b, "pid", i32, 0, 0);
	btf__add_field(b, "comm", arr, 32, 0);
	btf__add_field(b, "parent", ptask, 160, 0);
	btf__add_field(b, NULL, anon, 224, 0);
	btf__add_field(b, "flag", u32, 288, 1);
	btf__add_field(b, "mode", u32, 289, 3);
	btf__add_field(b, "fn", fptr, 320, 0);
	btf__add_field(b, "tgid", pid_t_id, 384, 0);
	proto = btf__add_func_proto(b, i32);
	btf__add_func_param(b, "t", ptask);
	btf__add_func_param(b, "flags", l64);
	btf__add_func(b, "open_it", BTF_FUNC_GLOBAL, proto);
	vptr = btf__add_ptr(b, 0);
	tp_proto = btf__add_func_proto(b, 0);
	btf__add_func_param(b, "__data", vptr);
	btf__add_func_param(b, "p", ptask);
	btf__add_func_param(b, "n", i32);
	tp_ptr = btf__add_ptr(b, tp_proto);
	btf__add_typedef(b, "btf_trace_ev", tp_ptr);
	/* the names are in __bpf_trace_NAME's prototype; btf_trace_NAME's
	 * (above, named too here) is the fallback */
	btf__add_func(b, "__bpf_trace_named", BTF_FUNC_STATIC, tp_proto);

	if (task != ptask + 1)
		return -1;
	raw = btf__raw_data(b, &size);
	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	out = fopen(path, "w");
	if (!out || !raw || fwrite(raw, 1, size, out) != size) {
		btf__free(b);
		return -1;
	}
	fclose(out);
	btf__free(b);
	return 0;
}

static const struct field *member(struct kbtf *k, struct type *t,
				  const char *name)
{
	kbtf_complete(k, t);
	return type_field(t, name);
}

static void test_fake(struct arena *a, const char *dir)
{
	struct kbtf *k = kbtf__new(a, dir);
	const struct field *f;
	struct field *args;
	struct type *t, *ret;
	const char *why = NULL;
	size_t n;

	CHECK(kbtf_load(k, &why) == 0);
	t = kbtf_named(k, KBTF_STRUCT, "task");
	CHECK(t && t->kind == T_STRUCT && t->size == 64);
	CHECK_STR(t ? t->name : NULL, "struct task");
	CHECK(t && !t->fields);		/* members only when asked for */
	CHECK(kbtf_named(k, KBTF_STRUCT, "nosuch") == NULL);

	f = member(k, t, "pid");
	CHECK(f && f->offset == 0 && f->type->kind == T_INT &&
	      f->type->size == 4 && f->type->is_signed);
	f = member(k, t, "comm");
	CHECK(f && f->offset == 4 && f->type->kind == T_STR &&
	      f->type->len == 16);
	f = member(k, t, "parent");
	CHECK(f && f->offset == 20 && f->type->kind == T_PTR &&
	      f->type->elem->kind == T_STRUCT);
	if (f)
		CHECK(member(k, f->type->elem, "tgid") != NULL);
	/* an anonymous union's members are the struct's own */
	f = member(k, t, "a");
	CHECK(f && f->offset == 28 && f->type->size == 8);
	f = member(k, t, "b");
	CHECK(f && f->offset == 28 && !f->type->is_signed);
	f = member(k, t, "flag");
	CHECK(f && f->offset == 36 && f->bit_off == 0 && f->bit_size == 1);
	f = member(k, t, "mode");
	CHECK(f && f->offset == 36 && f->bit_off == 1 && f->bit_size == 3);
	f = member(k, t, "fn");
	CHECK(f && f->offset == 40 && f->type->kind == T_PTR &&
	      f->type->fmt == TF_SYM);
	f = member(k, t, "tgid");	/* through the typedef */
	CHECK(f && f->offset == 48 && f->type->kind == T_INT &&
	      f->type->is_signed);

	t = kbtf_named(k, KBTF_TYPEDEF, "pid_t");
	CHECK(t && t->kind == T_INT && t->size == 4);

	CHECK(kbtf_func(k, "open_it", &args, &n, &ret) == 0);
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(args[0].name, "t");
		CHECK(args[0].type->kind == T_PTR && args[0].offset == 0);
		CHECK_STR(args[1].name, "flags");
		CHECK(args[1].offset == 8 && args[1].type->size == 8);
	}
	CHECK(ret && ret->kind == T_INT);
	CHECK(kbtf_func(k, "nosuch", &args, &n, &ret) == -ENOENT);

	CHECK(kbtf_rawtp(k, "ev", &args, &n) == 0);
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(args[0].name, "p");
		CHECK_STR(args[1].name, "n");
		CHECK(args[1].offset == 8 && args[1].type->size == 4);
	}
	CHECK(kbtf_rawtp(k, "named", &args, &n) == 0 && n == 2);
	CHECK(kbtf_rawtp(k, "nosuch", &args, &n) == -ENOENT);
	kbtf__free(k);
}

static void test_missing(struct arena *a)
{
	struct kbtf *k = kbtf__new(a, "/nonexistent");
	const char *why = NULL;

	CHECK(kbtf_load(k, &why) == -ENOENT);
	CHECK(why && strstr(why, "CONFIG_DEBUG_INFO_BTF"));
	CHECK(kbtf_named(k, KBTF_STRUCT, "task_struct") == NULL);
	kbtf__free(k);
}

/* The running kernel: members every kernel since 5.x has. */
static void test_kernel(struct arena *a)
{
	struct kbtf *k;
	const struct field *f;
	struct field *args;
	struct type *t;
	size_t n;

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		printf("btf: no kernel BTF here, its checks skipped\n");
		return;
	}
	k = kbtf__new(a, "/sys/kernel/btf");
	t = kbtf_named(k, KBTF_STRUCT, "task_struct");
	CHECK(t && t->size > 1000);
	f = t ? member(k, t, "comm") : NULL;
	CHECK(f && f->type->kind == T_STR && f->type->len == 16);
	f = t ? member(k, t, "real_parent") : NULL;
	CHECK(f && f->type->kind == T_PTR &&
	      !strcmp(f->type->elem->name, "struct task_struct"));
	f = t ? member(k, t, "tgid") : NULL;
	CHECK(f && f->type->kind == T_INT && f->type->size == 4);
	CHECK(kbtf_rawtp(k, "sched_process_fork", &args, &n) == 0 && n == 2);
	if (n == 2) {
		CHECK_STR(args[0].name, "parent");
		CHECK_STR(args[1].name, "child");
	}
	kbtf__free(k);
}

int main(void)
{
	char dir[] = "/tmp/ply-btf-XXXXXX";
	struct arena *a = arena__new();
	char path[300];

	CHECK(mkdtemp(dir) != NULL);
	CHECK(fake_btf(dir) == 0);
	test_fake(a, dir);
	test_missing(a);
	test_kernel(a);
	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	unlink(path);
	rmdir(dir);
	arena__free(a);
	return test_report("btf");
}
