/* parse: recursive descent over the tokens of lex into an ast. */
#ifndef PLY_PARSE_H
#define PLY_PARSE_H

#include "ast.h"

/* Parses src into *out. Syntax errors are reported through d (all that can
 * be found after resynchronising at ';' or '}'); returns the number of
 * errors, 0 on success. */
int parse_program(const struct src *src, struct arena *a, struct diag *d,
		  struct program **out);

#endif
