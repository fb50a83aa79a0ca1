// SPDX-License-Identifier: GPL-2.0
/* The floor for `printf("%s %s\n", comm, fdpath(data->ret))` at
 * syscalls/sys_exit_openat: what a person writing C by hand against
 * libbpf would load to stream the absolute path of every opened file. The
 * same walk as ply's (src/path.c) and the kernel's d_path: fd -> file ->
 * f_path, then dentry -> d_parent up to the mount's root, across to the
 * parent mount, until the task's root or the global root; " (deleted)"
 * for an unlinked file; a path over REF_FDPATH_LEN - 1 bytes keeps its
 * last whole components after a '+'. The same reads, too: fields that lie
 * together are read in one bpf_probe_read_kernel. Offsets are CO-RE
 * relocations (clang's preserve_access_index, resolved by libbpf against
 * the running kernel's BTF), so they are constants in the loaded program.
 * The path is built back to front in a per-CPU buffer and copied straight
 * into a ring buffer record, as ring.bpf.h writes them (the same as
 * stream.bpf.c's).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "ref.h"
#include "ring.bpf.h"

#define DEPTH	64			/* as ply's PATH_DEPTH */
#define MASK	(REF_FDPATH_LEN - 1)

/* Only the members read; libbpf finds each by name in the kernel's BTF. */
struct hlist_bl_node { void *next, **pprev; } __attribute__((preserve_access_index));
struct qstr {
	union {
		struct { __u32 hash, len; };
		__u64 hash_len;
	};
	const unsigned char *name;
} __attribute__((preserve_access_index));
struct dentry {
	struct hlist_bl_node d_hash;
	struct dentry *d_parent;
	struct qstr d_name;
} __attribute__((preserve_access_index));
struct vfsmount { struct dentry *mnt_root; } __attribute__((preserve_access_index));
struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
} __attribute__((preserve_access_index));
struct path { struct vfsmount *mnt; struct dentry *dentry; } __attribute__((preserve_access_index));
struct file { struct path f_path; } __attribute__((preserve_access_index));
struct fdtable { unsigned int max_fds; struct file **fd; } __attribute__((preserve_access_index));
struct files_struct { struct fdtable *fdt; } __attribute__((preserve_access_index));
struct fs_struct { struct path root, pwd; } __attribute__((preserve_access_index));
struct task_struct {
	struct fs_struct *fs;
	struct files_struct *files;
} __attribute__((preserve_access_index));

/* syscalls/sys_exit_openat, from its format file. */
struct exit_openat {
	__u64 common;
	__s32 syscall_nr;
	__u32 pad;
	__s64 ret;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[2 * REF_FDPATH_LEN]);
} buffer SEC(".maps");

#define OFF(type, field)	((unsigned long)bpf_core_field_offset(type, field))
/* the u64 at kernel offset off of a block read from offset lo */
#define AT(blk, lo, off)	(*(__u64 *)((char *)(blk) + ((off) - (lo))))
#define rd(dst, size, src)	bpf_probe_read_kernel(dst, size, (const void *)(src))

/* Writes the path of (mnt, dentry) back to front into buf, ending at
 * buf[MASK]; returns where it starts. */
static __always_inline long walk(char *buf, struct vfsmount *vmnt,
				 struct dentry *dentry, struct path *root)
{
	/* the dentry's d_hash.pprev .. d_name.name, and the mount's
	 * mnt_parent .. mnt_mountpoint, each in one read */
	const unsigned long d_lo = OFF(struct dentry, d_hash.pprev);
	const unsigned long m_lo = OFF(struct mount, mnt_parent);
	const unsigned long mnt_off = OFF(struct mount, mnt);
	__u64 d[4], m[2];
	struct dentry *mroot, *parent;
	struct mount *mnt, *mparent;
	long pos = MASK, any = 0, t;
	__u32 len;
	int i;

	buf[MASK] = 0;
	if (rd(&mroot, 8, (char *)vmnt + OFF(struct vfsmount, mnt_root)) ||
	    rd(d, sizeof(d), (char *)dentry + d_lo))
		return -1;
	parent = (void *)AT(d, d_lo, OFF(struct dentry, d_parent));
	if (!d[0] && parent != dentry) {
		__builtin_memcpy(buf + MASK - 10, " (deleted)", 10);
		pos = MASK - 10;
	}
	for (i = 0; i < DEPTH; i++) {
		if (dentry == root->dentry && vmnt == root->mnt)
			goto done;
		if (dentry == mroot) {
			mnt = (void *)((char *)vmnt - mnt_off);
			if (rd(m, sizeof(m), (char *)mnt + m_lo))
				return -1;
			mparent = (void *)AT(m, m_lo, OFF(struct mount, mnt_parent));
			if (mparent == mnt)
				goto done;
			dentry = (void *)AT(m, m_lo, OFF(struct mount, mnt_mountpoint));
			vmnt = (void *)((char *)mparent + mnt_off);
			if (rd(&mroot, 8, (char *)vmnt + OFF(struct vfsmount, mnt_root)))
				return -1;
			continue;
		}
		if (i && rd(d, sizeof(d), (char *)dentry + d_lo))
			return -1;
		parent = (void *)AT(d, d_lo, OFF(struct dentry, d_parent));
		if (parent == dentry)
			goto done;
		len = *(__u32 *)((char *)d + (OFF(struct dentry, d_name.len) - d_lo));
		t = pos - len;
		if (t < 2)
			goto trunc;
		pos = (t - 1) & MASK;
		buf[pos] = '/';
		if (rd(buf + pos + 1, len & MASK,
		       AT(d, d_lo, OFF(struct dentry, d_name.name))))
			return -1;
		dentry = parent;
		any = 1;
	}
	if (dentry != root->dentry || vmnt != root->mnt)
		goto trunc;
done:
	if (!any) {
		pos = (pos - 1) & MASK;
		buf[pos] = '/';
	}
	return pos;
trunc:
	pos = (pos - 1) & MASK;
	buf[pos] = '+';
	return pos;
}

SEC("tracepoint")
int stream_fdpaths(struct exit_openat *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fs_struct *fs;
	struct files_struct *files;
	struct fdtable *fdt;
	struct file *file, **fda;
	struct path root, fp;
	struct fdpath_event *e;
	unsigned int max_fds;
	__u32 zero = 0;
	long pos;
	char *buf;

	if (ctx->ret < 0)
		return 0;
	buf = bpf_map_lookup_elem(&buffer, &zero);
	if (!buf || rd(&fs, 8, &task->fs) || !fs || rd(&root, sizeof(root), &fs->root) ||
	    rd(&files, 8, &task->files) || !files || rd(&fdt, 8, &files->fdt) || !fdt ||
	    rd(&max_fds, 4, &fdt->max_fds) || (__u64)ctx->ret >= max_fds ||
	    rd(&fda, 8, &fdt->fd) || rd(&file, 8, fda + ctx->ret) || !file ||
	    rd(&fp, sizeof(fp), &file->f_path) || !fp.mnt || !fp.dentry)
		return 0;
	pos = walk(buf, fp.mnt, fp.dentry, &root);
	if (pos < 0)
		return 0;
	e = ring_reserve(sizeof(*e));
	if (!e)
		return 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	pos &= MASK;
	bpf_probe_read_kernel(e->path, REF_FDPATH_LEN - pos, buf + pos);
	ring_submit(e);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
