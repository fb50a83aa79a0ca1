/* ksym: kernel addresses to names. /proc/kallsyms is read once, in one
 * pass, into an array of text symbols sorted by address, with all the
 * names in one buffer; lookups by address are a binary search. The file
 * has over 100k lines and is read when the first address is printed, so
 * the pass avoids per-symbol allocations and scanf: of the ~70ms a load
 * takes with 120k symbols, ~50ms is the kernel producing the text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ksym.h"

/* No kernel function is this long; an address further than this from
 * the symbol before it is in data, a hole or past the end, and naming it
 * after that symbol would be a confident wrong answer. */
#define KSYM_MAX_OFF 0x100000

struct ksym {
	uint64_t addr;
	uint32_t name;		/* offset into ksyms.names */
	uint32_t rank;		/* among aliases, the lowest is printed */
};

struct ksyms {
	struct ksym *syms;
	size_t n, cap;
	char *names;
	size_t names_len, names_cap;
};

/* Aliases share an address (_stext and _text); a global name (T) is the
 * one people know, weak ones (W) are usually the generic fallbacks. */
static int ksym_rank(char type)
{
	switch (type) {
	case 'T': return 0;
	case 't': return 1;
	case 'W': return 2;
	case 'w': return 3;
	}
	return -1;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t nc = *cap ? *cap : 4096 / elem;
	void *np;

	if (need <= *cap)
		return 0;
	while (nc < need)
		nc *= 2;
	np = realloc(*p, nc * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = nc;
	return 0;
}

static int ksyms_add(struct ksyms *k, uint64_t addr, int rank,
		     const char *name, size_t len)
{
	void *names = k->names, *syms = k->syms;
	int err;

	err = grow(&names, &k->names_cap, k->names_len + len + 1, 1);
	k->names = names;
	if (!err)
		err = grow(&syms, &k->cap, k->n + 1, sizeof(*k->syms));
	k->syms = syms;
	if (err)
		return err;
	memcpy(k->names + k->names_len, name, len);
	k->names[k->names_len + len] = '\0';
	k->syms[k->n++] = (struct ksym){ addr, (uint32_t)k->names_len,
					 (uint32_t)rank };
	k->names_len += len + 1;
	return 0;
}

/* One line: "ffffffff81000000 T _stext\t[module]". Returns 1 when the
 * line was a text symbol with an address, 0 when it was skipped, 2 when
 * it had a zero address (kallsyms hides them from the unprivileged),
 * -errno on failure. */
static int ksyms_line(struct ksyms *k, char *line)
{
	char *p, *name;
	uint64_t addr;
	size_t len;
	int rank;

	addr = strtoull(line, &p, 16);
	if (p == line || *p != ' ')
		return 0;
	rank = ksym_rank(p[1]);
	if (rank < 0 || p[2] != ' ')
		return 0;
	name = p + 3;
	len = strcspn(name, " \t\n");
	if (!len)
		return 0;
	if (!addr)
		return 2;
	if (ksyms_add(k, addr, rank, name, len))
		return -ENOMEM;
	return 1;
}

static const struct ksyms *sort_ctx;

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	/* the same choice on every run, whatever qsort does with ties */
	return strcmp(sort_ctx->names + x->name, sort_ctx->names + y->name);
}

/* kallsyms is sorted within the core kernel and within each module, not
 * across them; skip the sort when the whole file happened to be. */
static void ksyms_sort(struct ksyms *k)
{
	size_t i;

	sort_ctx = k;
	for (i = 1; i < k->n; i++)
		if (ksym_cmp(&k->syms[i - 1], &k->syms[i]) > 0)
			break;
	if (i < k->n)
		qsort(k->syms, k->n, sizeof(*k->syms), ksym_cmp);
	sort_ctx = NULL;
}

struct ksyms *ksyms__parse(FILE *f)
{
	struct ksyms *k = calloc(1, sizeof(*k));
	int zeros = 0, err = 0, r;
	char *line = NULL;
	size_t cap = 0;

	if (!k)
		return errno = ENOMEM, NULL;
	while (getline(&line, &cap, f) >= 0) {
		r = ksyms_line(k, line);
		if (r < 0) {
			err = r;
			goto cleanup;
		}
		zeros += r == 2;
	}
	if (ferror(f))
		err = -EIO;
	else if (!k->n)
		err = zeros ? -EPERM : -ENOENT;
	else
		ksyms_sort(k);
cleanup:
	free(line);
	if (err) {
		ksyms__free(k);
		errno = -err;
		return NULL;
	}
	return k;
}

struct ksyms *ksyms__load(void)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	struct ksyms *k;
	int err;

	if (!f)
		return NULL;
	k = ksyms__parse(f);
	err = errno;
	fclose(f);
	errno = err;
	return k;
}

void ksyms__free(struct ksyms *k)
{
	if (!k)
		return;
	free(k->syms);
	free(k->names);
	free(k);
}

const char *ksyms__find(const struct ksyms *k, uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi = k->n, mid;

	/* the first symbol above addr is at lo */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr - k->syms[lo - 1].addr > KSYM_MAX_OFF)
		return NULL;
	lo--;
	while (lo && k->syms[lo - 1].addr == k->syms[lo].addr)
		lo--;
	if (off)
		*off = addr - k->syms[lo].addr;
	return k->names + k->syms[lo].name;
}

/* A linear scan: names are looked up once per probe, not per event.
 * Static functions can share a name; the global one wins, then the
 * lowest address. */
uint64_t ksyms__addr(const struct ksyms *k, const char *name)
{
	const struct ksym *best = NULL;
	size_t i;

	for (i = 0; i < k->n; i++) {
		const struct ksym *s = &k->syms[i];

		if (strcmp(k->names + s->name, name))
			continue;
		if (!best || s->rank < best->rank)
			best = s;
	}
	return best ? best->addr : 0;
}
