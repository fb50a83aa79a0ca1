/* ply(1): the command line front end over libply's public API. It owns
 * the process's signals: SIGINT and SIGTERM stop ply. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ply/ply.h>

extern char **environ;

static const char usage[] =
"usage: ply [options] program-file | program-text\n"
"       ply -l [-v] [GLOB]\n"
"\n"
"Compile a ply program to eBPF, attach it to the running kernel, and print\n"
"what it gathers when it ends (Ctrl-C, exit() in the program, or the end of\n"
"the -c command).\n"
"\n"
"options:\n"
"  -B, --buffer-size=SIZE\n"
"                      the ring buffer events go through: bytes, or with\n"
"                      K, M or G; a power of two from 4K to 1G (default\n"
"                      4M); events that find it full are counted lost\n"
"  -c, --command=CMD   run CMD once every probe is attached (as plain\n"
"                      words, or with sh -c if it has shell syntax);\n"
"                      stop when it exits; $target is its pid.\n"
"                      Everything it starts is killed when ply ends,\n"
"                      however ply ends\n"
"  -d, --debug         debug output: the verifier's log when the kernel\n"
"                      refuses a program\n"
"  -e, --dry-run       compile only, attach nothing (with -S: show the code)\n"
"  -f, --format=FMT    text (the default) or json: one JSON object per line\n"
"                      for each event, map, report and exit()\n"
"  -F, --follow        with -p, -n or -c: and every process they start, now\n"
"                      and later, at any depth (with -c: stop when the whole\n"
"                      tree has exited)\n"
"  -h, --help          this help\n"
"  -k, --keep-going    keep going when events are lost (the loss is still\n"
"                      reported)\n"
"  -l, --list          list the probes that match GLOB (all without one),\n"
"                      one per line as a program writes them; with -v, each\n"
"                      one's arguments and their types\n"
"  -M, --map-size=N    entries each map (and the scope) can hold (default\n"
"                      4096, at most 67108864); updates that don't fit are\n"
"                      counted and reported\n"
"  -o, --output=FILE   write the output to FILE (created or truncated)\n"
"  -n, --name=NAME     only processes named NAME (their comm), running now\n"
"                      or when they exec; repeatable\n"
"  -p, --pid=PID[,PID] only these processes (and their threads); stop when\n"
"                      the last has exited; repeatable\n"
"      --cgroup=DIR    only the tasks of this cgroup v2 directory and of\n"
"                      those below it\n"
"  -S, --dump          print the syntax tree, the IR and the BPF listing\n"
"      --metrics=ADDR:PORT\n"
"                      serve the maps as Prometheus metrics at\n"
"                      http://ADDR:PORT/metrics while the program runs\n"
"                      (port 0: any free one, said on stderr)\n"
"      --metrics-file=PATH\n"
"                      write them to PATH (atomically) every\n"
"                      --metrics-interval seconds and at the end, for\n"
"                      node_exporter's textfile collector\n"
"      --metrics-interval=N\n"
"                      seconds between writes of --metrics-file\n"
"                      (default 15)\n"
"  -v, --version       print the version (with -l: --verbose)\n"
"\n"
"-p, -n and --cgroup go one at a time; -p not with -c. The scope is checked\n"
"in the kernel by every tracepoint, rawtracepoint, kprobe, fentry and\n"
"profile probe; BEGIN, END and interval always run.\n"
"\n"
"examples:\n"
"  ply -c 'cat /etc/hostname' \\\n"
"      'tracepoint:syscalls/sys_enter_openat { @[comm] = count(); }'\n"
"  ply -f json -c 'dd if=/dev/zero of=/dev/null count=8' \\\n"
"      'tracepoint:syscalls/sys_exit_read { @[comm] = stats(data->ret); }'\n"
"  ply -l 'syscalls:sys_enter_open*'      ply -l -v sched:sched_process_fork\n"
"  ply -p 1234 -F 'tracepoint:syscalls/sys_enter_openat { @[comm] = count(); }'\n"
"  ply -F -c 'make -j2' \\\n"
"      'tracepoint:syscalls/sys_enter_openat { @[comm] = count(); }'\n"
"  ply -n postfix -F \\\n"
"      'tracepoint:syscalls/sys_enter_connect { @[comm] = count(); }'\n"
"\n"
"$NAME in a program is the environment variable NAME.\n"
"See ply(1) for the language.\n";

enum { OPT_METRICS = 256, OPT_METRICS_FILE, OPT_METRICS_INTERVAL };

static const struct option longopts[] = {
	{ "buffer-size", required_argument, NULL, 'B' },
	{ "cgroup", required_argument, NULL, 'C' },
	{ "command", required_argument, NULL, 'c' },
	{ "debug", no_argument, NULL, 'd' },
	{ "dry-run", no_argument, NULL, 'e' },
	{ "format", required_argument, NULL, 'f' },
	{ "list", no_argument, NULL, 'l' },
	{ "output", required_argument, NULL, 'o' },
	{ "verbose", no_argument, NULL, 'V' },
	{ "follow", no_argument, NULL, 'F' },
	{ "help", no_argument, NULL, 'h' },
	{ "keep-going", no_argument, NULL, 'k' },
	{ "map-size", required_argument, NULL, 'M' },
	{ "name", required_argument, NULL, 'n' },
	{ "pid", required_argument, NULL, 'p' },
	{ "dump", no_argument, NULL, 'S' },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "metrics-interval", required_argument, NULL, OPT_METRICS_INTERVAL },
	{ "version", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

/* The whole of a file, NUL-terminated, or NULL with errno set. */
static char *read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!fp)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap += 65536);

			if (!nb) {
				free(buf);
				fclose(fp);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
	} while (n > 0);
	buf[len] = '\0';
	fclose(fp);
	return buf;
}

/* An argument that names a regular file is a program file; anything else
 * is program text, as in ply. */
static char *program_text(const char *arg, const char **name)
{
	struct stat st;
	char *text;

	if (stat(arg, &st) || !S_ISREG(st.st_mode)) {
		*name = NULL;
		return strdup(arg);
	}
	*name = arg;
	text = read_file(arg);
	if (!text)
		fprintf(stderr, "ply: error: cannot read %s: %s\n", arg,
			strerror(errno));
	return text;
}

/* Program text that is no program but looks like a file name was meant
 * as one: say that there is no such file rather than what the parser
 * thinks of "/". */
static int looks_like_path(const char *arg)
{
	size_t n = strlen(arg);

	return arg[0] == '/' || !strncmp(arg, "./", 2) ||
	       !strncmp(arg, "../", 3) || (n > 4 && !strcmp(arg + n - 4, ".ply"));
}

static int compile(struct ply **p, const char *arg, const char *text,
		   struct ply_opts *opts)
{
	char *msgs = NULL;
	struct stat st;
	size_t len = 0;
	int err;

	if (opts->name || !looks_like_path(arg))
		return ply__compile(p, text, opts);
	opts->err = open_memstream(&msgs, &len);
	if (!opts->err) {
		opts->err = NULL;
		return ply__compile(p, text, opts);
	}
	err = ply__compile(p, text, opts);
	fclose(opts->err);
	opts->err = NULL;
	if (err && stat(arg, &st))
		fprintf(stderr, "ply: error: cannot read %s: %s\n", arg,
			strerror(errno));
	else if (err && S_ISDIR(st.st_mode))
		fprintf(stderr, "ply: error: cannot read %s: %s\n", arg,
			strerror(EISDIR));
	else
		fputs(msgs, stderr);
	free(msgs);
	return err;
}

/* -p, -n, --cgroup and -F as given. */
struct scope_args {
	pid_t *pids;
	size_t npids;
	const char **names;
	size_t nnames;
};

/* "64M", "4096": bytes, a power of two in the ring buffer's range; 0 if
 * not one. */
static size_t size_parse(const char *s)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (errno || *end || v > PLY_RINGBUF_SIZE_MAX >> shift)
		return 0;
	v <<= shift;
	if (v < PLY_RINGBUF_SIZE_MIN || (v & (v - 1)))
		return 0;
	return v;
}

/* -p 12,34: appended to the pids; 0, or -1 and a message. */
static int pids_add(struct scope_args *sa, const char *arg)
{
	const char *s = arg;
	char *end;
	long v;

	do {
		pid_t *np = realloc(sa->pids, (sa->npids + 1) * sizeof(*np));

		errno = 0;
		v = strtol(s, &end, 10);
		if (!np || errno || end == s || v <= 0 || v > 0x7fffffff ||
		    (*end && *end != ',')) {
			if (np)
				sa->pids = np;
			fprintf(stderr, "ply: error: -p takes process ids, "
				"separated by commas: '%s'\n", arg);
			return -1;
		}
		sa->pids = np;
		sa->pids[sa->npids++] = v;
		s = end + 1;
	} while (*end);
	return 0;
}

static int names_add(struct scope_args *sa, const char *arg)
{
	const char **nn = realloc(sa->names, (sa->nnames + 1) * sizeof(*nn));

	if (!nn || !*arg) {
		if (nn)
			sa->names = nn;
		fprintf(stderr, "ply: error: -n takes a process name\n");
		return -1;
	}
	sa->names = nn;
	sa->names[sa->nnames++] = arg;
	return 0;
}

/* Options that can't go together: a usage error, said in one line. */
static const char *scope_conflict(const struct ply_opts *o)
{
	if (o->npids && o->command)
		return "-p and -c both say which processes to follow; give one";
	if (!!o->npids + !!o->nnames + !!o->cgroup > 1)
		return "-p, -n and --cgroup go one at a time";
	if (o->follow && o->cgroup)
		return "-F with --cgroup: the cgroup holds what its tasks start already";
	if (o->follow && !o->npids && !o->nnames && !o->command)
		return "-F follows the processes of -p, -n or -c; none is given";
	return NULL;
}

static struct ply *running;

static void on_stop_signal(int sig)
{
	(void)sig;
	if (running)
		ply__stop(running);
}

/* Without SA_RESTART: a write blocked on a full pipe returns, and ply
 * stops instead of waiting for a reader that may never read. */
static void signals_take(struct ply *p)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	running = p;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void scope_free(struct scope_args *sa)
{
	free(sa->pids);
	free(sa->names);
}

static int run(struct ply_opts *opts, int argc, char **argv, int dry_run,
	       int dump)
{
	const char *name;
	struct ply *p;
	char *text;
	int status;

	if (optind != argc - 1) {
		fprintf(stderr, "ply: error: %s\n\n%s", optind == argc ?
			"no program given" : "more than one program given", usage);
		return 2;
	}
	text = program_text(argv[optind], &name);
	if (!text)
		return 1;
	opts->name = name;
	if (compile(&p, argv[optind], text, opts)) {
		free(text);
		return 1;
	}
	free(text);
	if (dump && ply__dump(p, stdout)) {
		ply__free(p);
		return 1;
	}
	if (dry_run) {
		status = ply__generate(p) ? 1 : 0;
		ply__free(p);
		return status;
	}
	signals_take(p);
	status = ply__run(p);
	running = NULL;
	ply__free(p);
	return status;
}

/* -l [GLOB]: 0 when some probe matched. */
static int list_probes(const char *glob, int verbose, int nargs)
{
	struct ply_list_opts lo = { .sz = sizeof(lo), .glob = glob,
				    .verbose = verbose };
	int n;

	if (nargs > 1) {
		fputs("ply: error: -l takes one glob\n", stderr);
		return 2;
	}
	n = ply__list(&lo);
	if (n == 0)
		fprintf(stderr, "ply: no probe matches '%s'\n", glob);
	return n > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct ply_opts opts = {
		.sz = sizeof(opts), .params = (const char *const *)environ,
	};
	struct scope_args sa = { 0 };
	const char *why;
	char *end;
	int dry_run = 0, dump = 0, list = 0, v = 0, c, status = 1;

	while ((c = getopt_long(argc, argv, "+B:c:def:FhklM:n:o:p:Sv", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': opts.command = optarg; break;
		case 'C': opts.cgroup = optarg; break;
		case 'd': opts.debug = 1; break;
		case 'e': dry_run = 1; break;
		case 'f':
			if (!strcmp(optarg, "json")) {
				opts.format = PLY_OUTPUT_JSON;
			} else if (!strcmp(optarg, "text")) {
				opts.format = PLY_OUTPUT_TEXT;
			} else {
				fprintf(stderr, "ply: error: -f takes text or "
					"json, not '%s'\n", optarg);
				goto usage_error;
			}
			break;
		case 'F': opts.follow = 1; break;
		case 'l': list = 1; break;
		case 'o': opts.output = optarg; break;
		case 'n':
			if (names_add(&sa, optarg))
				goto usage_error;
			break;
		case 'p':
			if (pids_add(&sa, optarg))
				goto usage_error;
			break;
		case 'h': fputs(usage, stdout); status = 0; goto out;
		case 'k': opts.keep_going = 1; break;
		case 'B':
			opts.ringbuf_size = size_parse(optarg);
			if (!opts.ringbuf_size) {
				fprintf(stderr, "ply: error: -B takes a size, "
					"a power of two from 4K to 1G (64M, "
					"16777216)\n");
				goto usage_error;
			}
			break;
		case 'M':
			opts.map_size = strtoul(optarg, &end, 0);
			if (*end || !opts.map_size || opts.map_size > 1u << 26) {
				fprintf(stderr, "ply: error: -M takes a number "
					"of entries from 1 to %u\n", 1u << 26);
				goto usage_error;
			}
			break;
		case 'S': dump = 1; break;
		case OPT_METRICS: opts.metrics = optarg; break;
		case OPT_METRICS_FILE: opts.metrics_file = optarg; break;
		case OPT_METRICS_INTERVAL:
			opts.metrics_interval = strtoul(optarg, &end, 10);
			if (*end || !*optarg || !opts.metrics_interval ||
			    opts.metrics_interval > 86400) {
				fprintf(stderr, "ply: error: --metrics-interval "
					"takes seconds from 1 to 86400\n");
				goto usage_error;
			}
			break;
		case 'v': v = 1; break;
		case 'V': v = 2; break;
		default: fputs(usage, stderr); goto usage_error;
		}
	}
	if (list) {
		status = list_probes(optind < argc ? argv[optind] : NULL, v,
				     argc - optind);
		goto out;
	}
	if (v == 1) {
		printf("ply %s\n", ply_version());
		status = 0;
		goto out;
	}
	opts.pids = sa.pids;
	opts.npids = sa.npids;
	opts.names = sa.names;
	opts.nnames = sa.nnames;
	why = scope_conflict(&opts);
	if (why) {
		fprintf(stderr, "ply: error: %s\n", why);
		goto usage_error;
	}
	status = run(&opts, argc, argv, dry_run, dump);
out:
	scope_free(&sa);
	return status;
usage_error:
	status = 2;
	goto out;
}
