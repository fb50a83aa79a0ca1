/* paths: the reference tracer of absolute paths (kernel side:
 * paths.bpf.c).
 *
 *   paths [-o OBJ] -t syscalls/sys_exit_openat CMD ARGS...
 *
 * Attaches, runs CMD and prints "comm path" for every file opened until
 * CMD exits, then drains the ring. Events that found the ring full are
 * reported on stderr as "lost N". Exits with CMD's status.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "ref.h"
#include "run.h"

static int on_event(void *ctx, void *data, size_t size)
{
	const struct fdpath_event *e = data;

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	printf("%.*s %.*s\n", REF_COMM_LEN, e->comm, REF_FDPATH_LEN, e->path);
	return 0;
}

static uint64_t lost_events(int fd)
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

int main(int argc, char **argv)
{
	struct bpf_object *obj = NULL;
	struct bpf_link *link = NULL;
	struct ring_buffer *rb = NULL;
	struct ref_opts o;
	int status = 0, ret = 1, err;
	pid_t pid;

	ref_parse(&o, argc, argv, "paths.bpf.o");
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
		lost_events(bpf_object__find_map_fd_by_name(obj, "lost")));
	ret = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
cleanup:
	ring_buffer__free(rb);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return ret;
}
