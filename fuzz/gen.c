/* gen: writes the large and deep ply programs that mutation rarely builds
 * into a seed directory: programs over 4 KB, deep nesting of every
 * recursive rule, string literals over 32 KiB, long chains of maps, many
 * probes, keys and arguments, and values of every kind stored in a map and
 * read back through '->' or '[]'. Each family comes in sizes on both sides
 * of the limits a compiler has to keep (the parser's 1000 levels, a 16-bit
 * stack offset, the 512-byte BPF stack).
 *
 *	gen DIR		one file per program, named after its family
 *	gen --decode DIR	programs of every value kind, each followed by
 *			records and map entries for fuzz/decode.c */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *dir;
static FILE *out;
static int nwritten;

static void open_seed(const char *fmt, ...)
{
	char name[256], path[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/gen-%s", dir, name);
	out = fopen(path, "w");
	if (!out) {
		fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void close_seed(void)
{
	if (fclose(out)) {
		perror("gen");
		exit(1);
	}
	nwritten++;
}

static void rep(const char *s, long n)
{
	while (n-- > 0)
		fputs(s, out);
}

/* The depths tried for every nesting family: fine, at the parser's limit,
 * and far past it (a parser without a limit overflows its stack there). */
static const long depths[] = { 100, 999, 1001, 16384, 60000 };

static void nesting(void)
{
	size_t i;
	long n;

	for (i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		n = depths[i];
		open_seed("blocks-%ld.ply", n);
		fputs("BEGIN ", out), rep("{", n), rep("}", n), fputs("\n", out);
		close_seed();
		open_seed("if-%ld.ply", n);
		fputs("BEGIN { ", out), rep("if(1){", n);
		fputs("x[0] = 1; ", out), rep("}", n), fputs("}\n", out);
		close_seed();
		open_seed("else-if-%ld.ply", n);
		fputs("BEGIN { ", out), rep("if(0);else ", n);
		fputs("x[0] = 2; }\n", out);
		close_seed();
		open_seed("parens-%ld.ply", n);
		fputs("BEGIN { x[0] = ", out), rep("(", n), fputs("1", out);
		rep(")", n), fputs("; }\n", out);
		close_seed();
		open_seed("ternary-right-%ld.ply", n);
		fputs("BEGIN { x[0] = ", out), rep("1?2:", n);
		fputs("3; }\n", out);
		close_seed();
		open_seed("ternary-middle-%ld.ply", n);
		fputs("BEGIN { x[0] = ", out), rep("1?", n), fputs("2", out);
		rep(":3", n), fputs("; }\n", out);
		close_seed();
		open_seed("unary-%ld.ply", n);
		fputs("BEGIN { x[0] = ", out), rep("-!~", n / 3 + 1);
		fputs("1; }\n", out);
		close_seed();
		open_seed("plus-%ld.ply", n);
		fputs("BEGIN { x[0] = ", out), rep("+", n), fputs("1; }\n", out);
		close_seed();
		open_seed("binary-%ld.ply", n);
		fputs("BEGIN { x[0] = 1", out), rep("+1", n);
		fputs("; }\n", out);
		close_seed();
		open_seed("call-args-%ld.ply", n);
		fputs("BEGIN { x[0] = ", out), rep("strcmp(", n);
		fputs("\"a\"", out), rep(",\"b\")", n), fputs("; }\n", out);
		close_seed();
		open_seed("keys-%ld.ply", n);
		fputs("BEGIN { x[0] = ", out), rep("x[", n), fputs("0", out);
		rep("]", n), fputs("; }\n", out);
		close_seed();
		open_seed("predicate-%ld.ply", n);
		fputs("BEGIN /", out), rep("(", n), fputs("1", out);
		rep(")", n), fputs("/ { x[0] = 1; }\n", out);
		close_seed();
	}
}

/* String literals around the 32 KiB a 16-bit stack offset can reach, used
 * as a map value, a key, a printf argument and a comparison. */
static void strings(void)
{
	static const long lens[] = { 511, 32767, 40000 };
	size_t i;
	long n;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		n = lens[i];
		open_seed("str-value-%ld.ply", n);
		fputs("BEGIN { m[1] = \"", out), rep("a", n);
		fputs("\"; }\n", out);
		close_seed();
		open_seed("str-key-%ld.ply", n);
		fputs("BEGIN { @[\"", out), rep("b", n);
		fputs("\"] = count(); }\n", out);
		close_seed();
		open_seed("str-printf-%ld.ply", n);
		fputs("BEGIN { printf(\"%s\\n\", \"", out), rep("c", n);
		fputs("\"); }\n", out);
		close_seed();
		open_seed("str-print-%ld.ply", n);
		fputs("BEGIN { print(\"", out), rep("d", n);
		fputs("\", 1); }\n", out);
		close_seed();
		open_seed("str-cmp-%ld.ply", n);
		fputs("tracepoint:syscalls/sys_enter_openat /comm == \"", out);
		rep("e", n), fputs("\"/ { @ = count(); }\n", out);
		close_seed();
		open_seed("str-format-%ld.ply", n);
		fputs("BEGIN { printf(\"", out), rep("%d", n / 2);
		fputs("\\n\"", out), rep(", 1", n / 2), fputs("); }\n", out);
		close_seed();
		open_seed("str-stored-print-%ld.ply", n);
		fputs("BEGIN { print(m[1]); } END { m[1] = \"", out);
		rep("f", n), fputs("\"; }\n", out);
		close_seed();
		open_seed("str-stored-printf-%ld.ply", n);
		fputs("BEGIN { printf(\"%s\", m[1]); m[1] = \"", out);
		rep("g", n), fputs("\"; }\n", out);
		close_seed();
		open_seed("str-stored-key-%ld.ply", n);
		fputs("BEGIN { @[m[1]] = count(); m[1] = \"", out);
		rep("h", n), fputs("\"; }\n", out);
		close_seed();
		open_seed("str-stored-cmp-%ld.ply", n);
		fputs("BEGIN { if (m[1] == \"x\") exit(0); m[1] = \"", out);
		rep("i", n), fputs("\"; }\n", out);
		close_seed();
		open_seed("str-concat-%ld.ply", n);
		fputs("BEGIN { m[1] = ", out), rep("\"abcdefghijklmno\" ", n / 16);
		fputs("; }\n", out);
		close_seed();
	}
}

/* a0[1] = a1[1]; a1[1] = a2[1]; ... aN[1] = 1: every map's type is known
 * only once the last is, in the order that makes inference go backwards. */
static void chains(void)
{
	static const long lens[] = { 10, 100, 300, 1000 };
	size_t i;
	long n, j;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		n = lens[i];
		open_seed("map-chain-%ld.ply", n);
		fputs("BEGIN {", out);
		for (j = 0; j < n; j++)
			fprintf(out, " m%ld[1] = m%ld[1];", j, j + 1);
		fprintf(out, " m%ld[1] = 1; }\n", n);
		close_seed();
		open_seed("map-chain-probes-%ld.ply", n);
		for (j = 0; j < n; j++)
			fprintf(out, "BEGIN { m%ld[1] = m%ld[1]; }\n", j, j + 1);
		fprintf(out, "END { m%ld[1] = \"s\"; }\n", n);
		close_seed();
		open_seed("map-chain-keys-%ld.ply", n);
		fputs("BEGIN {", out);
		for (j = 0; j < n; j++)
			fprintf(out, " k%ld[k%ld[0]] = 1;", j, j + 1);
		fprintf(out, " k%ld[0] = comm; }\n", n);
		close_seed();
	}
}

/* Wide rather than deep: many probes, statements, keys, arguments. */
static void wide(void)
{
	static const long ns[] = { 40, 300, 1000 };
	size_t i;
	long n, j;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		n = ns[i];
		open_seed("probes-%ld.ply", n);
		for (j = 0; j < n; j++)
			fprintf(out, "interval:%ldms { @c%ld = count(); }\n",
				j + 1, j);
		close_seed();
		open_seed("stmts-%ld.ply", n);
		fputs("BEGIN {\n", out);
		for (j = 0; j < n; j++)
			fprintf(out, "\tm[%ld] = m[%ld] + %ld * cpu;\n", j, j ? j - 1 : 0, j);
		fputs("}\n", out);
		close_seed();
		open_seed("keys-wide-%ld.ply", n);
		fputs("BEGIN { @[1", out);
		for (j = 1; j < n; j++)
			fprintf(out, ", %ld", j);
		fputs("] = count(); }\n", out);
		close_seed();
		open_seed("keys-str-%ld.ply", n);
		fputs("BEGIN { @[comm", out);
		for (j = 1; j < n; j++)
			fputs(", comm", out);
		fputs("] = count(); }\n", out);
		close_seed();
		open_seed("args-%ld.ply", n);
		fputs("BEGIN { printf(\"", out), rep("%d ", n);
		fputs("\\n\"", out);
		for (j = 0; j < n; j++)
			fprintf(out, ", %ld", j);
		fputs("); }\n", out);
		close_seed();
		open_seed("print-args-%ld.ply", n);
		fputs("BEGIN { print(comm", out), rep(", comm, time", n);
		fputs("); }\n", out);
		close_seed();
		open_seed("maps-%ld.ply", n);
		fputs("BEGIN {", out);
		for (j = 0; j < n; j++)
			fprintf(out, " @q%ld[cpu, comm] = quantize(time);", j);
		fputs(" }\n", out);
		close_seed();
		open_seed("ident-%ld.ply", n);
		fputs("BEGIN { ", out), rep("abcdefghij", n);
		fputs("[1] = 1; }\n", out);
		close_seed();
		open_seed("str-size-%ld.ply", n);
		fprintf(out, "tracepoint:syscalls/sys_enter_openat "
			"{ m[str(data->filename, %ld)] = mem(data->filename, "
			"%ld); }\n", n, n);
		close_seed();
	}
}

/* Every variable of every provider stored in a map, then read back
 * through what its type allows and what it does not. */
static void stored(void)
{
	static const char *const probes[] = {
		"BEGIN", "END", "interval:1s", "profile:1hz",
		"tracepoint:syscalls/sys_enter_openat",
		"tracepoint:sched/sched_switch", "kprobe:vfs_read",
		"kretprobe:vfs_read",
	};
	static const char *const vars[] = {
		"regs", "data", "comm", "stack", "caller", "arg0", "arg1",
		"retval", "time", "walltime", "pid", "$target", "str(arg1)",
		"mem(arg1, 8)", "data->filename", "str(data->filename)",
		"data->prev_comm", "\"lit\"", "quantize(1)", "count()",
	};
	static const char *const uses[] = {
		"m[1]->ip", "m[1]->filename", "m[1].ip", "m[1][0]", "*m[1]",
		"m[1]->x->y", "str(m[1])", "mem(m[1], 4)", "m[1] + 1",
		"m[1] == m[1]", "-m[1]", "m[1] ? m[1] : 0", "(m[1])[1]",
	};
	size_t i, j, k;

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		for (j = 0; j < sizeof(vars) / sizeof(vars[0]); j++) {
			open_seed("stored-%zu-%zu.ply", i, j);
			for (k = 0; k < sizeof(uses) / sizeof(uses[0]); k++)
				fprintf(out, "%s { m[1] = %s; print(%s); }\n",
					probes[i], vars[j], uses[k]);
			close_seed();
			/* and one use alone, so one bad use does not hide
			 * the others behind its error */
			open_seed("stored-%zu-%zu-ip.ply", i, j);
			fprintf(out, "%s { m[1] = %s; print(m[1]->ip); }\n",
				probes[i], vars[j]);
			close_seed();
		}
}

/* ---- the decode target: a program, a NUL, then records and map entries
 * (fuzz/decode.c) ---- */

static uint32_t lcg = 1;

static unsigned char noise(int style)
{
	lcg = lcg * 1103515245 + 12345;
	switch (style) {
	case 0: return (lcg >> 16) % 4 ? 0 : (lcg >> 20) & 0x7f;
	case 1: return lcg >> 16;
	default: return (lcg >> 16) % 3 ? 0xff : 0x80;
	}
}

/* Records of every site id the program may have, of a few lengths, then
 * up to 7 entries of each map with keys and values as large as a
 * histogram's. */
static void decode_bytes(int style)
{
	static const int lens[] = { 8, 24, 64, 200, 600 };
	unsigned id, i, k;
	int n;

	fputc(0, out);
	for (id = 0; id < 8; id++)
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			n = lens[(i + id) % 5];
			fputc(n & 0xff, out), fputc(n >> 8, out);
			fputc(id, out);
			for (k = 1; k < 8; k++)
				fputc(0, out);
			for (k = 8; k < (unsigned)n; k++)
				fputc(noise(style), out);
		}
	fputc(0, out), fputc(0, out);
	for (i = 0; i < 8; i++) {
		fputc(3 + i % 5, out);
		for (k = 0; k < 7 * (64 + 528); k++)
			fputc(noise(style), out);
	}
}

static void decode_seeds(void)
{
	static const char *const progs[] = {
		"BEGIN { printf(\"%d %i %u %x %X %o %c %p %s %v %5.2s %-8d %#x %08llu %%\\n\", -1, pid, cpu, uid, gid, 255, 65, kpid, comm, time, comm, cpu, 255, walltime); print(comm, time, walltime, -1, kpid, \"lit\"); exit(3); }",
		"BEGIN { @c = count(); @s[comm, pid] = sum(time); @q = quantize(time); @qk[cpu] = quantize(-1); m[comm] = walltime; n[1, 2] = \"a string\"; print(@c); clear(@s); print(@q); }",
		"profile:1hz { @[stack] = count(); t[caller] = regs; printf(\"%v %s %p\\n\", stack, comm, caller); print(caller, stack, regs); }",
		"tracepoint:syscalls/sys_enter_openat { print(data); m[str(data->filename)] = data->flags; @[comm, data->dfd] = quantize(data->mode); printf(\"%s %d %x\\n\", str(data->filename), data->dfd, data->flags); }",
		"tracepoint:sched/sched_switch { print(data->prev_comm, data->next_comm, data->prev_state); @[data->prev_comm] = sum(data->prev_pid); m[data->next_comm] = data->prev_comm; printf(\"%s %v\\n\", data->prev_comm, data->next_comm); }",
		"tracepoint:sched/sched_process_exec { printf(\"%s %d\\n\", dyn(data->filename), data->pid); @[dyn(data->filename)] = count(); }",
		"interval:1s { print(@a); print(@b); @a = count(); @b[time] = quantize(walltime); x[-1] = -1; y[1] = time - walltime; print(y[1], x[-1] < 0 ? 1 : 2); }",
		"BEGIN { @mn[comm] = min(-3); @mx = max(time); @a[pid] = avg(-7); @st[cpu] = stats(time); @l[comm] = lhist(pid, -100, 1000, 50); @l2 = lhist(time, 0, 10, 1); print(@mn); print(@st); print(@l); }",
		"END { @u[uid, gid, cpu, comm, pid, kpid] = sum(-5); printf(\"%-20s|%20s|%.3s\\n\", comm, comm, comm); print(@u); exit(-1); }",
	};
	size_t i;
	int style;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		for (style = 0; style < 3; style++) {
			open_seed("decode-%zu-%d", i, style);
			fputs(progs[i], out);
			decode_bytes(style);
			close_seed();
		}
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--decode")) {
		dir = argv[2];
		decode_seeds();
		printf("gen: %d inputs in %s\n", nwritten, dir);
		return 0;
	}
	if (argc != 2) {
		fputs("usage: gen DIR | gen --decode DIR\n", stderr);
		return 2;
	}
	dir = argv[1];
	nesting();
	strings();
	chains();
	wide();
	stored();
	printf("gen: %d programs in %s\n", nwritten, dir);
	return 0;
}
