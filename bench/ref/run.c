/* The reference tracers' common user side (see run.h). */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ref.h"
#include "run.h"

static char objpath[PATH_MAX];

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-o OBJ] -t CATEGORY/NAME CMD ARGS...\n", prog);
	exit(2);
}

void ref_parse(struct ref_opts *o, int argc, char **argv, const char *defobj)
{
	char *slash;
	int opt;
	ssize_t n;

	memset(o, 0, sizeof(*o));
	while ((opt = getopt(argc, argv, "+o:t:")) != -1) {
		switch (opt) {
		case 'o': o->obj = optarg; break;
		case 't': o->tp = optarg; break;
		default: usage(argv[0]);
		}
	}
	if (!o->tp || !strchr(o->tp, '/') || optind >= argc)
		usage(argv[0]);
	o->cmd = argv + optind;
	if (o->obj)
		return;
	n = readlink("/proc/self/exe", objpath, sizeof(objpath) - 1);
	if (n < 0)
		n = 0;
	objpath[n] = 0;
	slash = strrchr(objpath, '/');
	if (slash)
		slash[1] = 0;
	if (strlen(objpath) + strlen(defobj) >= sizeof(objpath))
		usage(argv[0]);
	strcat(objpath, defobj);
	o->obj = objpath;
}

int ref_load(const struct ref_opts *o, struct bpf_object **obj,
	     struct bpf_link **link)
{
	char cat[128], *name;
	struct bpf_program *prog;
	int err;

	libbpf_set_print(quiet_print);
	snprintf(cat, sizeof(cat), "%s", o->tp);
	name = strchr(cat, '/');
	*name++ = 0;

	*obj = bpf_object__open_file(o->obj, NULL);
	if (!*obj) {
		err = -errno;
		fprintf(stderr, "ref: %s: cannot open: %s\n", o->obj, strerror(-err));
		return err;
	}
	err = bpf_object__load(*obj);
	if (err) {
		fprintf(stderr, "ref: %s: cannot load: %s\n", o->obj, strerror(-err));
		return err;
	}
	prog = bpf_object__next_program(*obj, NULL);
	if (!prog) {
		fprintf(stderr, "ref: %s: no program\n", o->obj);
		return -ENOENT;
	}
	*link = bpf_program__attach_tracepoint(prog, cat, name);
	if (!*link) {
		err = -errno;
		fprintf(stderr, "ref: prog '%s': cannot attach to %s: %s\n",
			bpf_program__name(prog), o->tp, strerror(-err));
		return err;
	}
	return 0;
}

pid_t ref_spawn(const struct ref_opts *o)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execvp(o->cmd[0], o->cmd);
		fprintf(stderr, "ref: cannot run %s: %s\n", o->cmd[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		fprintf(stderr, "ref: fork: %s\n", strerror(errno));
	return pid;
}

/* The per-CPU slots of key 0 of a per-CPU array, added up. */
static uint64_t percpu_sum(int fd)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	uint64_t *vals, sum = 0;
	uint32_t zero = 0;

	vals = ncpu > 0 ? calloc(ncpu, sizeof(*vals)) : NULL;
	if (vals && !bpf_map_lookup_elem(fd, &zero, vals))
		for (i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

int ref_stream(int argc, char **argv, const char *defobj, ref_event_fn on_event)
{
	struct bpf_object *obj = NULL;
	struct bpf_link *link = NULL;
	struct ring_buffer *rb = NULL;
	struct ref_opts o;
	int status = 0, ret = 1, err;
	pid_t pid;

	ref_parse(&o, argc, argv, defobj);
	if (ref_load(&o, &obj, &link))
		goto cleanup;
	rb = ring_buffer__new(bpf_object__find_map_fd_by_name(obj, "events"),
			      on_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "ref: cannot open the ring buffer\n");
		goto cleanup;
	}
	pid = ref_spawn(&o);
	if (pid < 0)
		goto cleanup;
	for (;;) {
		err = ring_buffer__poll(rb, REF_POLL_MS);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "ref: ring buffer: %d\n", err);
			goto cleanup;
		}
		err = waitpid(pid, &status, WNOHANG);
		if (err == pid)
			break;
		if (err < 0)
			goto cleanup;
	}
	ring_buffer__consume(rb);
	fflush(stdout);
	fprintf(stderr, "lost %llu\n", (unsigned long long)
		percpu_sum(bpf_object__find_map_fd_by_name(obj, "lost")));
	ret = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
cleanup:
	ring_buffer__free(rb);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return ret;
}
