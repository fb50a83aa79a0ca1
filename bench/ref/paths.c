/* paths: the reference tracer of absolute paths (kernel side:
 * paths.bpf.c).
 *
 *   paths [-o OBJ] -t syscalls/sys_exit_openat CMD ARGS...
 *
 * Attaches, runs CMD and prints "comm path" for every file opened until
 * CMD exits, then drains the ring. Events that found the ring full are
 * reported on stderr as "lost N". Exits with CMD's status.
 */
#include <stdio.h>

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

int main(int argc, char **argv)
{
	return ref_stream(argc, argv, "paths.bpf.o", on_event);
}
