/* path: absolute file paths computed in the kernel, as the kernel's own
 * d_path() does: from a dentry up its d_parent chain to the root of its
 * mount, across to the parent mount (mnt_mountpoint, mnt_parent), until
 * the current task's root (task->fs->root: a chroot sees its own root) or
 * the global root. The builtins path(p), fdpath(fd) and cwd compile to
 * this walk. Every offset comes from the running kernel's BTF, read once
 * by sema (path_offs_get); the walk itself is emitted as ir by gen through
 * path_gen: where the kernel has the bpf_loop helper, as a loop over a
 * subprogram of LOOP_STEPS steps, which the verifier checks once; else as
 * PATH_DEPTH steps unrolled. Both give the same answers.
 *
 * The result is a string of PATH_SIZE bytes. It is built back to front in
 * a per-CPU buffer (MAP_IDX_PATHBUF, PATH_BUF bytes), then copied out in
 * order. Limits:
 * - at most PATH_DEPTH steps (a step is one component or one mount
 *   crossing), and PATH_SIZE - 1 bytes;
 * - a path that does not fit keeps its last whole components and starts
 *   with PATH_TRUNC ('+'), which no absolute path starts with:
 *   "+/c/d/file" is a path that ends in /c/d/file;
 * - an unlinked file gets " (deleted)" appended, as in /proc/PID/fd;
 * - a file that is in no directory tree, whose name d_path asks of its
 *   file system (d_op->d_dname), gets the name the kernel's own d_dname
 *   functions give: "pipe:[INO]", "socket:[INO]" (by the file system's
 *   magic), "anon_inode:NAME", else simple_dname's "/NAME (deleted)"
 *   (memfd, shm); other d_dname functions are not reproduced;
 * - no rename or mount lock is taken: a path read during a concurrent
 *   rename or mount may mix old and new names. */
#ifndef PLY_PATH_H
#define PLY_PATH_H

#include "ir.h"
#include "prog.h"

struct kbtf;

#define PATH_DEPTH	64	/* steps of the walk */
#define LOOP_STEPS	4	/* steps per call of the walk as a loop: a
				 * call costs some, and the verifier checks
				 * each of these once */
_Static_assert(PATH_DEPTH % LOOP_STEPS == 0, "whole calls");
#define PATH_TRUNC	'+'

/* Byte offsets in the running kernel's structs. */
struct path_offs {
	int task_fs, task_files;		/* task_struct */
	int fs_root, fs_pwd;			/* fs_struct */
	int path_mnt, path_dentry;		/* path */
	int files_fdt;				/* files_struct */
	int fdt_max_fds, fdt_fd;		/* fdtable */
	int file_path;				/* file.f_path */
	int d_pprev, d_parent, d_len, d_name;	/* dentry: d_hash.pprev,
						 * d_parent, d_name.len,
						 * d_name.name */
	int mnt_mnt, mnt_parent, mnt_mountpoint;	/* mount */
	int vfs_root;				/* vfsmount.mnt_root */
	/* files with no place in a tree (pipes, sockets, anonymous inodes,
	 * memfds), which d_path names through d_op->d_dname */
	int d_op, d_dname, d_sb, d_inode;	/* dentry, dentry_operations */
	int sb_magic, i_ino;			/* super_block, inode */
	int loop;	/* the walk is a bpf_loop over one step (the kernel
			 * has the helper), not PATH_DEPTH steps unrolled */
};

/* Reads the offsets from BTF: 0, or -1 with *why saying what is missing. */
int path_offs_get(struct kbtf *k, struct path_offs *o, const char **why,
		  struct arena *a);

enum path_src {
	PATH_OF_PATH,	/* a struct path * */
	PATH_OF_FD,	/* a file descriptor of the current process */
	PATH_OF_CWD,	/* the current working directory */
};

/* Emits the walk: the path of src (arg: the vreg holding the struct path
 * pointer or the fd; unused for PATH_OF_CWD) written at base+dst (base:
 * fp, or a vreg pointing to an event's record), PATH_SIZE bytes the
 * caller zeroed. Returns a vreg that is 0 on success and
 * negative when there was nothing to walk (no such fd, no fs, a read that
 * failed): the result is then the empty string. */
int path_gen(struct ir *ir, const struct path_offs *o, enum path_src src,
	     int arg, struct ir_opnd base, int dst);

#endif
