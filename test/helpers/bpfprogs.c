/* bpfprogs: prints how many BPF programs the kernel has loaded, so tests
 * can check that ply leaves none behind however it exits. */
#include <errno.h>
#include <stdio.h>

#include <bpf/bpf.h>

int main(void)
{
	__u32 id = 0;
	long n = 0;

	while (!bpf_prog_get_next_id(id, &id))
		n++;
	if (errno != ENOENT) {
		perror("bpfprogs: BPF_PROG_GET_NEXT_ID");
		return 1;
	}
	printf("%ld\n", n);
	return 0;
}
