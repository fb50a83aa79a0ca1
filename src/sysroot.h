/* sysroot: where ply finds the kernel's files. tracefs holds the
 * tracepoints' formats and ids and the functions ftrace can trace; BTF
 * describes the kernel's types. Tests point them at small fake trees under
 * test/ (the environment's PLY_TRACEFS and PLY_BTF_DIR, or sysroot_set) so
 * that what the compiler makes does not depend on the host's kernel. */
#ifndef PLY_SYSROOT_H
#define PLY_SYSROOT_H

#define SYSROOT_TRACEFS	"/sys/kernel/tracing"
#define SYSROOT_BTF	"/sys/kernel/btf"

/* The tracefs directory: the one set, else $PLY_TRACEFS, else the
 * kernel's (mounted on SYSROOT_TRACEFS if it is nowhere yet). NULL if
 * there is none; *err is then why mounting failed (0: it mounted, but
 * without events). */
const char *sysroot_tracefs(int *err);
/* The directory of the kernel's BTF (vmlinux and the modules'): the one
 * set, else $PLY_BTF_DIR, else SYSROOT_BTF. */
const char *sysroot_btf(void);

/* Override them (NULL: back to the environment and the kernel's). */
void sysroot_set_tracefs(const char *dir);
void sysroot_set_btf(const char *dir);

#endif
