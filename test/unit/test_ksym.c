/* Unit tests of ksym: the parser on small made-up kallsyms texts (which
 * symbols are kept, aliases, errors) and lookups in the real
 * /proc/kallsyms, which needs root to show addresses. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ksym.h"
#include "test.h"

static struct ksyms *parse(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct ksyms *k;

	if (!f)
		return NULL;
	k = ksyms__parse(f);
	fclose(f);
	return k;
}

/* Out of order across "modules", data symbols to skip, aliases. */
static const char fake[] =
	"ffffffffc0001000 t mod_init\t[mymod]\n"
	"ffffffffc0001040 T mod_exit\t[mymod]\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 t alias_local\n"
	"ffffffff81000100 T first_fn\n"
	"ffffffff81000180 W weak_fn\n"
	"ffffffff81000200 D some_data\n"
	"ffffffff81000300 b some_bss\n"
	"ffffffff81000400 t local_fn\n"
	"ffffffff81000500 t local_fn\n"
	"garbage line\n"
	"ffffffff81000600 T last_core\n";

static void check_find(const struct ksyms *k, uint64_t addr,
		       const char *want, uint64_t want_off)
{
	uint64_t off = ~0ULL;
	const char *name = ksyms__find(k, addr, &off);

	CHECK_STR(name, want);
	CHECK(off == want_off);
}

static void test_parse(void)
{
	struct ksyms *k = parse(fake);
	uint64_t off;

	CHECK(k != NULL);
	if (!k)
		return;
	check_find(k, 0xffffffff81000000, "_stext", 0);	/* T over t */
	check_find(k, 0xffffffff81000010, "_stext", 0x10);
	check_find(k, 0xffffffff81000105, "first_fn", 5);
	check_find(k, 0xffffffff81000190, "weak_fn", 0x10);
	/* data symbols are not functions: still weak_fn */
	check_find(k, 0xffffffff81000250, "weak_fn", 0xd0);
	check_find(k, 0xffffffff81000404, "local_fn", 4);
	check_find(k, 0xffffffffc0001000, "mod_init", 0);
	check_find(k, 0xffffffffc0001044, "mod_exit", 4);
	CHECK(ksyms__find(k, 0xffffffff80ffffff, &off) == NULL);
	CHECK(ksyms__find(k, 0, &off) == NULL);
	/* far past the last core symbol, before the modules: not a name */
	CHECK(ksyms__find(k, 0xffffffffa0000000, &off) == NULL);
	CHECK(ksyms__find(k, ~0ULL, &off) == NULL);

	CHECK(ksyms__addr(k, "first_fn") == 0xffffffff81000100);
	CHECK(ksyms__addr(k, "alias_local") == 0xffffffff81000000);
	CHECK(ksyms__addr(k, "mod_exit") == 0xffffffffc0001040);
	CHECK(ksyms__addr(k, "local_fn") == 0xffffffff81000400);
	CHECK(ksyms__addr(k, "some_data") == 0);
	CHECK(ksyms__addr(k, "nosuch") == 0);
	ksyms__free(k);
}

static void test_parse_errors(void)
{
	struct ksyms *k;

	/* what an unprivileged reader sees */
	errno = 0;
	k = parse("0000000000000000 T _stext\n0000000000000000 t foo\n");
	CHECK(k == NULL);
	CHECK(errno == EPERM);

	errno = 0;
	k = parse("ffffffff81000200 D some_data\n");
	CHECK(k == NULL);
	CHECK(errno == ENOENT);

	errno = 0;
	k = parse("");
	CHECK(k == NULL);
	CHECK(errno == ENOENT);

	ksyms__free(NULL);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_kallsyms(void)
{
	double t0 = now();
	struct ksyms *k = ksyms__load();
	double t1 = now();
	uint64_t a, off;

	CHECK(k != NULL);
	if (!k) {
		perror("ksyms__load");
		return;
	}
	printf("ksym: /proc/kallsyms loaded in %.1f ms\n", (t1 - t0) * 1e3);
	a = ksyms__addr(k, "schedule");
	CHECK(a != 0);
	check_find(k, a, "schedule", 0);
	check_find(k, a + 5, "schedule", 5);
	CHECK(ksyms__find(k, 0x1000, &off) == NULL);
	ksyms__free(k);
}

int main(void)
{
	test_parse();
	test_parse_errors();
	test_kallsyms();
	return test_report("ksym");
}
