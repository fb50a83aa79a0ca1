/* gen: from a typed probe to ir. Scalars live in virtual registers;
 * strings, keys and event records are built in stack memory that is zeroed
 * first, since the kernel compares keys bytewise and the verifier wants
 * every byte it passes to a helper initialised. */
#ifndef PLY_GEN_H
#define PLY_GEN_H

#include "ast.h"
#include "ir.h"
#include "sema.h"

/* Generates p's program into ir (initialised by the caller). Returns the
 * number of errors reported through s->diag. */
int gen_probe(struct sema *s, struct probe *p, struct ir *ir);

#endif
