/* Capturing what a function prints to a FILE *, for the output tests:
 * cap_begin gives a stream, cap_end the text written to it. */
#ifndef PLY_TEST_CAP_H
#define PLY_TEST_CAP_H

#include <stdio.h>
#include <stdlib.h>

struct cap {
	char *s;
	size_t n;
	FILE *f;
};

static char captured[8192];

static inline FILE *cap_begin(struct cap *c)
{
	c->s = NULL;
	c->n = 0;
	c->f = open_memstream(&c->s, &c->n);
	return c->f;
}

/* The text written since cap_begin, valid until the next cap_end. */
static inline const char *cap_end(struct cap *c)
{
	fclose(c->f);
	snprintf(captured, sizeof(captured), "%s", c->s ? c->s : "");
	free(c->s);
	return captured;
}

#endif
