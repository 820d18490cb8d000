/* lib/telemetry: permissions of the DPDK telemetry socket. */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_log.h>

#include "common/jw_err.h"
#include "telemetry/telemetry.h"

/* Group name or decimal number to gid. 0 or -ENOENT. */
static int
lookup_group(const char *group, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096], *end;
	long v;

	errno = 0;
	v = strtol(group, &end, 10);
	if (*end == '\0' && errno == 0 && v >= 0) {
		*gid = (gid_t)v;
		return 0;
	}
	if (getgrnam_r(group, &gr, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -ENOENT;
	*gid = gr.gr_gid;
	return 0;
}

int
jw_stats_socket_set_perms(unsigned mode, const char *group, char *err, size_t errlen)
{
	static const char *const names[] = { "dpdk_telemetry.v2", "telemetry" };
	const char *dir = rte_eal_get_runtime_dir();
	gid_t gid = (gid_t)-1;
	char path[4096];
	struct stat st;
	unsigned i, found = 0;
	mode_t dir_mode;

	if (mode > 0777) {
		jw_errf(err, errlen, "socket mode %o is not within 0..0777", mode);
		return -EINVAL;
	}
	if (group != NULL && group[0] != '\0' && lookup_group(group, &gid) != 0) {
		jw_errf(err, errlen, "no such group '%.64s'", group);
		return -ENOENT;
	}
	if (dir == NULL || dir[0] == '\0') {
		jw_errf(err, errlen, "EAL runtime directory unknown (call after rte_eal_init)");
		return -ENOENT;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
			continue;
		found++;
		if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) != 0) {
			int e = errno;
			jw_errf(err, errlen, "chown %s: %s", path, strerror(e));
			return -e;
		}
		if (chmod(path, (mode_t)mode) != 0) {
			int e = errno;
			jw_errf(err, errlen, "chmod %s: %s", path, strerror(e));
			return -e;
		}
	}
	if (found == 0) {
		jw_errf(err, errlen, "no telemetry socket in %s (EAL ran with --no-telemetry?)",
			dir);
		return -ENOENT;
	}
	/* The runtime directory is 0700: grant search (not listing) to whom the socket is for. */
	if (stat(dir, &st) != 0) {
		int e = errno;
		jw_errf(err, errlen, "stat %s: %s", dir, strerror(e));
		return -e;
	}
	dir_mode = st.st_mode & 07777;
	if (mode & 0070)
		dir_mode |= S_IXGRP;
	if (mode & 0007)
		dir_mode |= S_IXOTH;
	if (gid != (gid_t)-1 && chown(dir, (uid_t)-1, gid) != 0) {
		int e = errno;
		jw_errf(err, errlen, "chown %s: %s", dir, strerror(e));
		return -e;
	}
	if (chmod(dir, dir_mode) != 0) {
		int e = errno;
		jw_errf(err, errlen, "chmod %s: %s", dir, strerror(e));
		return -e;
	}
	/* EAL creates the parent (/var/run/dpdk) 0700 too. It is shared by every DPDK process,
	 * so it only gets o+x (search, no listing): the instance directory's group and mode
	 * still decide who reaches the socket. */
	if (mode & 0077) {
		char parent[4096], *slash;

		snprintf(parent, sizeof(parent), "%s", dir);
		slash = strrchr(parent, '/');
		if (slash != NULL && slash != parent) {
			*slash = '\0';
			if (stat(parent, &st) == 0 && !(st.st_mode & S_IXOTH) &&
			    chmod(parent, (st.st_mode & 07777) | S_IXOTH) != 0) {
				int e = errno;
				jw_errf(err, errlen, "chmod %s: %s", parent, strerror(e));
				return -e;
			}
		}
	}
	rte_log(RTE_LOG_INFO, jw_stats_logtype,
		"jetwire.stats: telemetry socket mode %03o group %s in %s\n", mode,
		(group && group[0]) ? group : "(unchanged)", dir);
	return 0;
}
