/* test_tools: tools/common through ply.h alone: the library's escapers as
 * the tools use them, JSON lines written and read back byte-exact, open(2)
 * flags, errno names, durations and human times, scope checks, -S's
 * comment, columns, usage errors. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ply/ply.h>

#include "../../tools/common.h"
#include "test.h"

static char *json_of(const void *s, size_t len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	ply_json_str(f, s, len);
	fclose(f);
	return buf;
}

/* What a call writes to stderr: stderr_begin(), the call, stderr_end()
 * (the text, until the next stderr_end). */
static FILE *err_file;
static int err_saved;

static void stderr_begin(void)
{
	err_file = tmpfile();
	err_saved = dup(2);
	fflush(stderr);
	dup2(fileno(err_file), 2);
}

static const char *stderr_end(void)
{
	static char msg[512];
	size_t n;

	fflush(stderr);
	dup2(err_saved, 2);
	close(err_saved);
	rewind(err_file);
	n = fread(msg, 1, sizeof(msg) - 1, err_file);
	msg[n] = 0;
	fclose(err_file);
	return msg;
}

static char *text_of(const char *s, size_t len)
{
	return escape_dup(s, len);
}

/* Every byte string comes back from a line the writer made. */
static void roundtrip(const char *s, size_t len)
{
	char *line = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&line, &n);
	struct jw w;
	struct jobj o;
	const struct jval *v;

	jw__begin(&w, f);
	jw__str(&w, "name", s, len);
	jw__int(&w, "n", -42);
	jw__null(&w, "z");
	jw__end(&w);
	fclose(f);
	CHECK(jobj__parse(&o, line, n) == 0);
	v = jobj__get(&o, "name");
	CHECK(v && v->type == 's' && v->len == len && !memcmp(v->s, s, len));
	v = jobj__get(&o, "n");
	CHECK(v && v->type == 'n' && v->n == -42);
	v = jobj__get(&o, "z");
	CHECK(v && v->type == 'z');
	jobj__free(&o);
	free(line);
}

static void test_json(void)
{
	char *s, all[256];
	struct jobj o;
	int i;

	s = json_of("a\"b\\\n\x1b\xff\xc3\xa9", 9);
	CHECK_STR(s, "\"a\\\"b\\\\\\n\\u001b\\udcff\xc3\xa9\"");
	free(s);
	for (i = 0; i < 256; i++)
		all[i] = (char)i;
	roundtrip(all, sizeof(all));
	roundtrip("", 0);
	roundtrip("\xed\xa0\x80 not a surrogate, \xf0\x9f\x98\x80", 24);
	CHECK(jobj__parse(&o, "{\"a\":\"\\ud83d\\ude00\"}", 20) == 0 &&
	      o.n == 1 && !strcmp(o.v[0].s, "\xf0\x9f\x98\x80"));
	jobj__free(&o);
	CHECK(jobj__parse(&o, "{\"a\":1", 6) < 0);
	CHECK(jobj__parse(&o, "{\"a\":1} x", 9) < 0);
	CHECK(jobj__parse(&o, "{\"a\":\"\\udc\"}", 12) < 0);
	CHECK(jobj__parse(&o, "[]", 2) < 0);
}

static void test_text(void)
{
	char *s = text_of("x\n  0.1 root\t\x1b[2J\\\xff", 19);

	CHECK_STR(s, "x\\n  0.1 root\\t\\x1b[2J\\\\\\xff");
	CHECK(!strchr(s, '\n'));
	free(s);
}

static void test_names(void)
{
	char buf[128];

	oflags_str(0, buf, sizeof(buf));
	CHECK_STR(buf, "O_RDONLY");
	oflags_str(02000000, buf, sizeof(buf));
	CHECK_STR(buf, "O_RDONLY|O_CLOEXEC");
	oflags_str(01101, buf, sizeof(buf));
	CHECK_STR(buf, "O_WRONLY|O_CREAT|O_TRUNC");
	oflags_str(2 | 0x80000000u, buf, sizeof(buf));
	CHECK_STR(buf, "O_RDWR|0x80000000");
	CHECK_STR(errno_name(2), "ENOENT");
	CHECK_STR(errno_name(13), "EACCES");
	CHECK(errno_name(4000) == NULL);
	CHECK(errno_parse("enoent") == 2 && errno_parse("13") == 13);
	CHECK(errno_parse("ENOPE") < 0 && errno_parse("0") < 0);
	CHECK(user_parse("root") == 0 && user_parse("1234") == 1234);
	CHECK(user_parse("no such user, surely") < 0);
	CHECK_STR(user_name(0), "root");
}

static void test_times(void)
{
	char buf[32];

	human_ns(812, buf, sizeof(buf));
	CHECK_STR(buf, "812ns");
	human_ns(10170, buf, sizeof(buf));
	CHECK_STR(buf, "10.17us");
	human_ns(3200000, buf, sizeof(buf));
	CHECK_STR(buf, "3.20ms");
	human_ns(2500000000LL, buf, sizeof(buf));
	CHECK_STR(buf, "2.50s");
	human_ns(0, buf, sizeof(buf));
	CHECK_STR(buf, "0ns");
	human_ns(999, buf, sizeof(buf));
	CHECK_STR(buf, "999ns");
	human_ns(1000, buf, sizeof(buf));
	CHECK_STR(buf, "1.00us");
	human_ns(-1234567, buf, sizeof(buf));
	CHECK_STR(buf, "-1.23ms");
	human_ns(123456789012345LL, buf, sizeof(buf));
	CHECK_STR(buf, "123456.78s");
	human_ns(INT64_MIN, buf, sizeof(buf));
	CHECK_STR(buf, "-9223372036.85s");
	human_ns(123456789012345LL, buf, 5);	/* cut, terminated */
	CHECK_STR(buf, "1234");
	CHECK(duration_parse("10us") == 10000);
	CHECK(duration_parse("1.5ms") == 1500000);
	CHECK(duration_parse("2s") == 2000000000LL);
	CHECK(duration_parse("250") == 250);
	CHECK(duration_parse("5 parsecs") < 0 && duration_parse("-1us") < 0);
}

static void test_scope(void)
{
	struct ply_opts po = { .sz = sizeof(po) };
	struct scope s;
	char pred[256];

	scope__init(&s);
	CHECK(scope__opt(&s, 'p', "12", "t") == 0);
	CHECK(scope__opt(&s, 'p', "13", "t") == 0);
	CHECK(scope__opt(&s, 'p', "x", "t") < 0);
	/* -p is the engine's: nothing in the program */
	scope__predicate(&s, pred, sizeof(pred));
	CHECK_STR(pred, "");
	scope__ply_args(&s, pred, sizeof(pred));
	CHECK_STR(pred, "-p 12 -p 13");
	scope__apply(&s, &po);
	CHECK(po.npids == 2 && po.pids[0] == 12 && po.pids[1] == 13 &&
	      !po.names && !po.follow && !po.command);
	CHECK(scope__check(&s, "t") == 0);
	CHECK(scope__opt(&s, 'F', NULL, "t") == 0);
	CHECK(scope__check(&s, "t") == 0);
	scope__ply_args(&s, pred, sizeof(pred));
	CHECK_STR(pred, "-p 12 -p 13 -F");
	CHECK(scope__opt(&s, 'c', "true", "t") == 0);
	CHECK(scope__check(&s, "t") < 0);	/* -p with -c */
	scope__init(&s);
	CHECK(scope__opt(&s, 'F', NULL, "t") == 0);
	CHECK(scope__check(&s, "t") < 0);	/* -F alone follows nothing */
	scope__init(&s);
	CHECK(scope__opt(&s, 'u', "root", "t") == 0);
	CHECK(scope__opt(&s, 'n', "cat", "t") == 0);
	CHECK(scope__opt(&s, 'n', "my cat", "t") == 0);
	CHECK(scope__opt(&s, 'n', "a\"b", "t") < 0);
	scope__predicate(&s, pred, sizeof(pred));
	CHECK_STR(pred, "uid == 0");
	scope__ply_args(&s, pred, sizeof(pred));
	CHECK_STR(pred, "-n cat -n 'my cat'");
	CHECK(scope__match(&s, 5, 0, "cat") && !scope__match(&s, 5, 1, "cat"));
	CHECK(!scope__match(&s, 5, 0, "dog"));
	/* -c alone is the command's process, in the program; with -F its
	 * tree, in the engine */
	scope__init(&s);
	CHECK(scope__opt(&s, 'c', "cat 'a b'", "t") == 0);
	scope__predicate(&s, pred, sizeof(pred));
	CHECK_STR(pred, "pid == $target");
	scope__ply_args(&s, pred, sizeof(pred));
	CHECK_STR(pred, "-c 'cat '\\''a b'\\'''");
	CHECK(scope__opt(&s, 'F', NULL, "t") == 0);
	scope__predicate(&s, pred, sizeof(pred));
	CHECK_STR(pred, "");
	memset(&po, 0, sizeof(po));
	scope__apply(&s, &po);
	CHECK(po.follow && po.command && !strcmp(po.command, "cat 'a b'") &&
	      !po.npids);
	/* -S: the program after the options that give its scope */
	{
		char *buf = NULL;
		size_t n = 0;
		FILE *f = open_memstream(&buf, &n);

		scope__print_program(&s, "BEGIN { exit(0); }\n", f);
		fclose(f);
		CHECK_STR(buf, "# run with: ply -c 'cat '\\''a b'\\''' -F\n"
			  "BEGIN { exit(0); }\n");
		free(buf);
		scope__init(&s);	/* no scope: no comment */
		f = open_memstream(&buf, &n);
		scope__print_program(&s, "BEGIN { exit(0); }\n", f);
		fclose(f);
		CHECK_STR(buf, "BEGIN { exit(0); }\n");
		free(buf);
	}
}

static void test_cols(void)
{
	static const struct col c[] = { { "time", "TIME", 8, 1 },
					{ "path", "PATH", 0, 0 } };
	int out[4];

	CHECK(cols_parse(c, 2, "path,time", out, 4, "t") == 2 &&
	      out[0] == 1 && out[1] == 0);
	CHECK(cols_parse(c, 2, "time,nope", out, 4, "t") < 0);
	CHECK(cols_parse(c, 2, ",", out, 4, "t") < 0);
	/* more columns than there is room for: said as such, not as an
	 * unknown column */
	stderr_begin();
	CHECK(cols_parse(c, 2, "time,path,time", out, 2, "t") < 0);
	CHECK_STR(stderr_end(), "t: -o: at most 2 columns\n");
}

/* One line on stderr, exit status 2; filemon's points to --help. */
static void test_usage(void)
{
	int r;

	stderr_begin();
	r = usage_error("opentrace", 0, "--path: too many");
	CHECK_STR(stderr_end(), "opentrace: --path: too many\n");
	CHECK(r == 2);
	stderr_begin();
	r = usage_error("filemon", 1, "unknown option or missing argument: %s",
			"--bogus");
	CHECK_STR(stderr_end(), "filemon: unknown option or missing argument: "
		  "--bogus (see filemon --help)\n");
	CHECK(r == 2);
}

int main(void)
{
	test_json();
	test_text();
	test_names();
	test_times();
	test_scope();
	test_cols();
	test_usage();
	return test_report("tools");
}
