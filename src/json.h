/* json: JSON text that is valid (RFC 8259) whatever bytes it carries. The
 * one escaper of the library: the JSON writer and the tools use it. */
#ifndef PLY_JSON_H
#define PLY_JSON_H

#include <stddef.h>
#include <stdio.h>

/* s[0..len) as a JSON string, quotes included. Valid UTF-8 is written as
 * itself, except '"', '\\' and the control characters, which are escaped
 * (\n, \t, \u001b ...). A byte that is not part of valid UTF-8 is written
 * as \udcXX (XX its value: a lone low surrogate, as Python's
 * "surrogateescape" does), so the exact bytes can be recovered and no two
 * different byte strings give the same JSON. */
void json_str(FILE *f, const void *s, size_t len);

/* The length of the valid UTF-8 sequence at s[0..len), or 0 if the bytes
 * there are not one (overlong forms, surrogates and code points past
 * U+10FFFF are not). */
size_t utf8_seq(const unsigned char *s, size_t len);

#endif
