/* sysroot: the one place that knows where tracefs and BTF are. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include "sysroot.h"

static const char *tracefs_set, *btf_set;

static int has_events(const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/events", dir);
	return access(path, F_OK) == 0;
}

const char *sysroot_tracefs(int *err)
{
	static const char debug[] = "/sys/kernel/debug/tracing";
	static const char *found;
	const char *env = getenv("PLY_TRACEFS");

	*err = 0;
	if (tracefs_set)
		return tracefs_set;
	if (env && *env)
		return env;
	if (found)
		return found;
	if (has_events(SYSROOT_TRACEFS))
		return found = SYSROOT_TRACEFS;
	if (has_events(debug))
		return found = debug;
	/* Not mounted yet: that is the normal state on a fresh boot. */
	if (mount("nodev", SYSROOT_TRACEFS, "tracefs", 0, NULL))
		*err = errno;
	else if (has_events(SYSROOT_TRACEFS))
		return found = SYSROOT_TRACEFS;
	return NULL;
}

const char *sysroot_btf(void)
{
	const char *env = getenv("PLY_BTF_DIR");

	if (btf_set)
		return btf_set;
	return env && *env ? env : SYSROOT_BTF;
}

void sysroot_set_tracefs(const char *dir)
{
	tracefs_set = dir;
}

void sysroot_set_btf(const char *dir)
{
	btf_set = dir;
}
