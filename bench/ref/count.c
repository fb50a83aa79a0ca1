/* count: the reference count-by-comm tracer (kernel side: count.bpf.c).
 *
 *   count [-o OBJ] -t CATEGORY/NAME CMD ARGS...
 *
 * Attaches, runs CMD, and when it exits prints "@[comm]: N" per comm, the
 * per-CPU slots added up, as bpftrace and ply print a count() map.
 * Exits with CMD's status.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "ref.h"
#include "run.h"

static int print_counts(int fd)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct comm_key key, next, *prev = NULL;
	uint64_t *vals, sum;

	if (ncpu <= 0)
		return 1;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return 1;
	printf("@:\n");
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		for (sum = 0, i = 0; i < ncpu; i++)
			sum += vals[i];
		printf("@[%.*s]: %llu\n", REF_COMM_LEN, key.comm,
		       (unsigned long long)sum);
	}
	free(vals);
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj = NULL;
	struct bpf_link *link = NULL;
	struct ref_opts o;
	int status = 0, ret = 1;
	pid_t pid;

	ref_parse(&o, argc, argv, "count.bpf.o");
	if (ref_load(&o, &obj, &link))
		goto cleanup;
	pid = ref_spawn(&o);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		goto cleanup;
	if (print_counts(bpf_object__find_map_fd_by_name(obj, "counts")))
		goto cleanup;
	ret = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
cleanup:
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return ret;
}
