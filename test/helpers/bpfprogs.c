/* bpfprogs: of the BPF program ids given, prints those the kernel still
 * has loaded, one per line, so a test can check that ply leaves none of
 * its own behind however it exits (lib.sh's prog_ids finds them in ply's
 * fds). Only the ids asked about: other programs on the machine, another
 * test run's say, don't count. Exits 1 if an id can't be looked up for a
 * reason other than its being gone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/bpf.h>

int main(int argc, char **argv)
{
	unsigned long id;
	char *end;
	int i, fd;

	for (i = 1; i < argc; i++) {
		id = strtoul(argv[i], &end, 10);
		if (end == argv[i] || *end || !id || id > 0xffffffffUL) {
			fprintf(stderr, "bpfprogs: '%s' is not a program id\n",
				argv[i]);
			return 1;
		}
		fd = bpf_prog_get_fd_by_id((__u32)id);
		if (fd >= 0) {
			printf("%lu\n", id);
			close(fd);
		} else if (errno != ENOENT) {
			perror("bpfprogs: BPF_PROG_GET_FD_BY_ID");
			return 1;
		}
	}
	return 0;
}
