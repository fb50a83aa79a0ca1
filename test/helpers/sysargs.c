/* sysargs: makes system calls with negative arguments, for the tests of
 * how tracepoint fields are typed: lseek(fd, -5, SEEK_CUR), pread(fd, buf,
 * 1, -7) and openat(AT_FDCWD, ...), each once. Every call fails (EINVAL,
 * ENOENT), which is the point: the arguments are what is traced. */
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	char buf[1];
	int fd = open("/dev/null", O_RDONLY);

	if (fd < 0)
		return 1;
	syscall(SYS_lseek, fd, -5L, SEEK_CUR);
	syscall(SYS_pread64, fd, buf, 1UL, -7L);
	syscall(SYS_openat, AT_FDCWD, "/nonexistent/ply-sysargs", O_RDONLY);
	return 0;
}
