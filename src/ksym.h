/* ksym: kernel addresses to names, from /proc/kallsyms. Loaded only when
 * a value that needs it (a stack, a caller) is first printed. */
#ifndef PLY_KSYM_H
#define PLY_KSYM_H

#include <stdint.h>
#include <stdio.h>

struct ksyms;

struct ksyms *ksyms__load(void);	/* NULL with errno on failure */
/* The same from kallsyms text in f; for tests. EPERM when every address
 * is zero (an unprivileged reader), ENOENT when no text symbol is found. */
struct ksyms *ksyms__parse(FILE *f);
void ksyms__free(struct ksyms *k);
/* The symbol containing addr, and addr's offset into it; NULL if none. */
const char *ksyms__find(const struct ksyms *k, uint64_t addr, uint64_t *off);
/* The address of a symbol, or 0. */
uint64_t ksyms__addr(const struct ksyms *k, const char *name);

#endif
