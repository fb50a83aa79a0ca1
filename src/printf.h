/* printf: format strings, checked when the program is compiled and
 * printed when its events arrive, by one parser. */
#ifndef PLY_PRINTF_H
#define PLY_PRINTF_H

#include <stdio.h>

#include "type.h"
#include "util.h"
#include "value.h"

/* Check fmt against the argument types; errors point at floc (the format
 * string) or at arglocs[i]. Returns the number of errors. */
int fmt_check(struct diag *d, struct loc floc, const char *fmt,
	      struct type **args, const struct loc *arglocs, size_t nargs);

/* The conversion ("%-8d") that takes argument i of fmt, in a, or NULL. */
const char *fmt_conv(struct arena *a, const char *fmt, size_t i);

/* printf: args[i] describes argument i (type and offset into buf). The
 * format must have passed fmt_check with the same types. */
void fmt_printf(FILE *f, struct fmt_ctx *c, const char *fmt,
		const struct field *args, size_t nargs, const void *buf);

#endif
