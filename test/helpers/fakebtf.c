/* fakebtf DIR: writes DIR/vmlinux, a small BTF standing in for the
 * kernel's in the compiler's tests (golden files, test_gen, test_sema), so
 * what they print does not depend on the host's kernel. Offsets are made
 * up; the shapes are the kernel's: nested, anonymous and bit members,
 * arrays, typedefs, a raw tracepoint's and a function's prototypes.
 *
 *	struct task_struct {			// 4096 bytes
 *		unsigned int __state;			@0
 *		unsigned sched_reset_on_fork:1;		@8 bit 0
 *		unsigned in_execve:1;			@8 bit 1
 *		int prio_bits:5;			@8 bit 2
 *		union { long a; unsigned int b; };	@16
 *		struct load_weight { unsigned long weight;
 *				     u32 inv_weight; } load;	@24
 *		pid_t pid;				@1264
 *		pid_t tgid;				@1268
 *		struct task_struct *real_parent;	@1280
 *		struct signal_struct *signal;		@1296
 *		int arr[4];				@1312
 *		char comm[16];				@1752
 *	};
 *	struct signal_struct { struct rlimit { u64 cur, max; } rlim[16]; };
 *	struct linux_binprm { char buf[256]; const char *filename; };
 *	__bpf_trace_sched_process_fork(void *, struct task_struct *parent,
 *				       struct task_struct *child);
 *	__bpf_trace_sched_process_exec(void *, struct task_struct *p,
 *				       pid_t old_pid, struct linux_binprm *bprm);
 *	long do_sys_openat2(int dfd, const char *filename, void *how);	*/
#include <stdio.h>
#include <stdlib.h>

#include <bpf/btf.h>

int main(int argc, char **argv)
{
	struct btf *b = btf__new_empty();
	int i32, u32, u64, l64, c8, cc8, pid_t_, vptr, cptr;
	int task, ptask, sig, psig, lw, anon, rl, rlarr, iarr, carr, bprm,
	    pbprm, cbuf, proto;
	char path[4096];
	const void *raw;
	__u32 size;
	FILE *out;

	if (argc != 2) {
		fprintf(stderr, "usage: fakebtf DIR\n");
		return 2;
	}
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	u32 = btf__add_int(b, "unsigned int", 4, 0);
	u64 = btf__add_int(b, "long unsigned int", 8, 0);
	l64 = btf__add_int(b, "long int", 8, BTF_INT_SIGNED);
	c8 = btf__add_int(b, "char", 1, BTF_INT_SIGNED);
	cc8 = btf__add_const(b, c8);
	pid_t_ = btf__add_typedef(b, "pid_t", i32);
	vptr = btf__add_ptr(b, 0);
	cptr = btf__add_ptr(b, cc8);
	task = btf__add_fwd(b, "task_struct", BTF_FWD_STRUCT);
	ptask = btf__add_ptr(b, task);
	sig = btf__add_fwd(b, "signal_struct", BTF_FWD_STRUCT);
	psig = btf__add_ptr(b, sig);
	iarr = btf__add_array(b, u32, i32, 4);
	carr = btf__add_array(b, u32, c8, 16);
	cbuf = btf__add_array(b, u32, c8, 256);

	lw = btf__add_struct(b, "load_weight", 16);
	btf__add_field(b, "weight", u64, 0, 0);
	btf__add_field(b, "inv_weight", u32, 64, 0);
	anon = btf__add_union(b, NULL, 8);
	btf__add_field(b, "a", l64, 0, 0);
	btf__add_field(b, "b", u32, 0, 0);
	rl = btf__add_struct(b, "rlimit", 16);
	btf__add_field(b, "rlim_cur", u64, 0, 0);
	btf__add_field(b, "rlim_max", u64, 64, 0);
	rlarr = btf__add_array(b, u32, rl, 16);

	/* the forward declarations above resolve to these by name, as
	 * kernels' BTF has both; kbtf_named finds the struct */
	btf__add_struct(b, "task_struct", 4096);
	btf__add_field(b, "__state", u32, 0, 0);
	btf__add_field(b, "sched_reset_on_fork", u32, 64, 1);
	btf__add_field(b, "in_execve", u32, 65, 1);
	btf__add_field(b, "prio_bits", i32, 66, 5);
	btf__add_field(b, NULL, anon, 128, 0);
	btf__add_field(b, "load", lw, 192, 0);
	btf__add_field(b, "pid", pid_t_, 1264 * 8, 0);
	btf__add_field(b, "tgid", pid_t_, 1268 * 8, 0);
	btf__add_field(b, "real_parent", ptask, 1280 * 8, 0);
	btf__add_field(b, "signal", psig, 1296 * 8, 0);
	btf__add_field(b, "arr", iarr, 1312 * 8, 0);
	btf__add_field(b, "comm", carr, 1752 * 8, 0);
	btf__add_struct(b, "signal_struct", 256);
	btf__add_field(b, "rlim", rlarr, 0, 0);
	bprm = btf__add_struct(b, "linux_binprm", 264);
	btf__add_field(b, "buf", cbuf, 0, 0);
	btf__add_field(b, "filename", cptr, 256 * 8, 0);
	pbprm = btf__add_ptr(b, bprm);

	proto = btf__add_func_proto(b, 0);
	btf__add_func_param(b, "__data", vptr);
	btf__add_func_param(b, "parent", ptask);
	btf__add_func_param(b, "child", ptask);
	btf__add_func(b, "__bpf_trace_sched_process_fork", BTF_FUNC_STATIC,
		      proto);
	proto = btf__add_func_proto(b, 0);
	btf__add_func_param(b, "__data", vptr);
	btf__add_func_param(b, "p", ptask);
	btf__add_func_param(b, "old_pid", pid_t_);
	btf__add_func_param(b, "bprm", pbprm);
	btf__add_func(b, "__bpf_trace_sched_process_exec", BTF_FUNC_STATIC,
		      proto);
	proto = btf__add_func_proto(b, l64);
	btf__add_func_param(b, "dfd", i32);
	btf__add_func_param(b, "filename", cptr);
	btf__add_func_param(b, "how", vptr);
	btf__add_func(b, "do_sys_openat2", BTF_FUNC_STATIC, proto);

	raw = btf__raw_data(b, &size);
	snprintf(path, sizeof(path), "%s/vmlinux", argv[1]);
	out = fopen(path, "w");
	if (!out || !raw || fwrite(raw, 1, size, out) != size ||
	    fclose(out)) {
		perror(path);
		return 1;
	}
	btf__free(b);
	return 0;
}
