/* util: the arena every compilation allocates from, growable vectors,
 * strings written through a stream, source locations and the diagnostics
 * printer. */
#ifndef PLY_UTIL_H
#define PLY_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- arena: one per compilation, freed whole ---- */
struct arena;

struct arena *arena__new(void);
void arena__free(struct arena *a);
void *arena_alloc(struct arena *a, size_t size);	/* zeroed, 16-aligned */
void *arena_dup(struct arena *a, const void *p, size_t size);
/* fn(arg) when the arena is freed (before its memory goes): for what the
 * compilation holds outside it, such as the kernel's BTF. */
void arena_defer(struct arena *a, void (*fn)(void *), void *arg);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Growable array living in an arena: VEC(int) v = {0}; vec_push(a, &v, 3); */
#define VEC(T) struct { T *v; size_t n, cap; }
#define vec_push(ar, vec, x) do {					\
	if ((vec)->n == (vec)->cap) {					\
		size_t _nc = (vec)->cap ? (vec)->cap * 2 : 8;		\
		void *_nv = arena_alloc((ar), _nc * sizeof(*(vec)->v));	\
		if ((vec)->n)						\
			memcpy(_nv, (vec)->v, (vec)->n * sizeof(*(vec)->v)); \
		(vec)->v = _nv;						\
		(vec)->cap = _nc;					\
	}								\
	(vec)->v[(vec)->n++] = (x);					\
} while (0)

/* ---- memory outside the arena: what can't be had ends ply ("ply: out
 * of memory", under msg_name_default's name), as it does in the arena ---- */
void *xmalloc(size_t size);		/* size 0 gives a pointer too */

/* ---- text written through a stream, kept as a string ----
 *	struct strbuf b;
 *	FILE *f = strbuf_open(&b);
 *	fprintf(f, ...);
 *	s = strbuf_close(&b);		(malloc'd, NUL-terminated; free it)
 * Both end ply with "ply: out of memory" when memory can't be had. */
struct strbuf {
	FILE *f;
	char *s;
	size_t len;
};

FILE *strbuf_open(struct strbuf *b);
char *strbuf_close(struct strbuf *b);

/* ---- source text and locations ---- */
struct src {
	const char *name;	/* file name, or "<input>" for program text */
	const char *text;	/* NUL-terminated */
	size_t len;
};

struct loc {
	const struct src *src;
	int line, col;		/* 1-based */
};

/* ---- diagnostics ----
 * Every error prints "name:line:col: error: msg", the source line and a
 * caret under the column. Passes report all they find; the pipeline stops
 * between passes when nerrors > 0. */
struct diag {
	FILE *out;
	const char *prog;	/* diag_plain's prefix (msg_print): NULL,
				 * "ply" */
	int nerrors;
};

/* Errors past this many are counted but not shown (a line of garbage
 * would otherwise print itself once per bad character); one line says so. */
#define DIAG_MAX_SHOWN 50

void diag_error(struct diag *d, struct loc l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_note(struct diag *d, struct loc l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error with no source location ("ply: error: ...", msg's prefix). */
void diag_plain(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- messages without a source location ----
 * Every message the library writes that is not a diagnostic of the
 * program starts "NAME: ": NAME is the front end's name for itself
 * (ply_opts.prog_name), "ply" when prog is NULL or empty. msg_print
 * writes it and then the text as fmt says, on f (stderr if NULL); fmt
 * ends the line itself, so a message may go on in more writes to f. */
void msg_print(FILE *f, const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void msg_vprint(FILE *f, const char *prog, const char *fmt, va_list ap);
/* Why prog can't be a name for messages (a control character, more than
 * PLY_PROG_NAME_MAX bytes), or NULL if it can. */
const char *msg_name_bad(const char *prog);
/* The name of the messages that can come from anywhere and have no stream
 * nor name at hand (out of memory, internal errors): the last one set
 * (ply__compile sets its prog_name), "ply" until then. */
void msg_name_default(const char *prog);

/* ---- suggestions ("did you mean 'pid'?") ---- */
/* Edits (insert, delete, change, swap of neighbours) from a to b. */
size_t str_distance(const char *a, const char *b);
/* The candidate closest to name when close enough to be a typo of it (one
 * edit in three characters, at least one), else NULL. */
const char *closest_name(const char *name, const char *const *cands,
			 size_t n);

/* Internal bugs end here, never in a silent wrong answer. */
#define unreachable() ply_unreachable(__FILE__, __LINE__, __func__)
_Noreturn void ply_unreachable(const char *file, int line, const char *func);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((size_t)(a) - 1))

#endif
