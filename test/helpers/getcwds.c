/* getcwds: the metrics tests' known workload. getcwds N [SECONDS] makes N
 * getcwd(2) calls, the i-th (from 0) with a buffer of 2^(i % 8) * 64 bytes
 * (64 to 8192), then sleeps SECONDS (default 0), so that a scrape can see
 * it alive. A system call nothing else makes in a test run, by a program
 * that the tests copy under a name of their own. */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[8192];
	long n = argc > 1 ? atol(argv[1]) : 0, i;

	for (i = 0; i < n; i++)
		syscall(SYS_getcwd, buf, (size_t)64 << (i % 8));
	if (argc > 2)
		sleep(atoi(argv[2]));
	return 0;
}
