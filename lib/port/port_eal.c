/* EAL arguments from the configuration. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port/port.h"

static int
add(struct jw_eal_args *a, const char *fmt, ...)
{
	va_list ap;
	int r;
	size_t room = sizeof(a->buf) - a->used;

	if (a->argc >= JW_EAL_MAX_ARGS)
		return -E2BIG;
	va_start(ap, fmt);
	r = vsnprintf(a->buf + a->used, room, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= room)
		return -E2BIG;
	a->argv[a->argc++] = a->buf + a->used;
	a->argv[a->argc] = NULL;
	a->used += (size_t)r + 1;
	return 0;
}

static uint64_t
read_u64(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned long long v = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* EAL needs a mounted hugetlbfs to use hugepages. */
static int
hugetlbfs_mounted(void)
{
	FILE *f = fopen("/proc/mounts", "r");
	char line[512];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, " hugetlbfs ") != NULL;
	fclose(f);
	return found;
}

uint64_t
jw_eal_free_hugepages_mb(void)
{
	const char *root = "/sys/kernel/mm/hugepages";
	DIR *d;
	struct dirent *e;
	uint64_t mb = 0;

	if (!hugetlbfs_mounted())
		return 0;
	d = opendir(root);
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		unsigned long kb;
		char path[512];

		if (sscanf(e->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		snprintf(path, sizeof(path), "%s/%s/free_hugepages", root, e->d_name);
		mb += read_u64(path) * kb / 1024;
	}
	closedir(d);
	return mb;
}

int
jw_eal_args_build(const struct jw_config *c, const char *prog, struct jw_eal_args *a,
		  char *err, size_t errlen)
{
	char extra[JW_CONFIG_STR_MAX];
	char *save = NULL, *tok;
	int r = 0;

	memset(a, 0, sizeof(*a));
	a->no_huge = c->eal.hugepages == JW_OFF ||
		     (c->eal.hugepages == JW_AUTO &&
		      jw_eal_free_hugepages_mb() < c->eal.memory_mb);
	r |= add(a, "%s", prog);
	r |= add(a, "--lcores=%s", c->eal.lcores);
	r |= add(a, "--file-prefix=%s", c->eal.file_prefix);
	r |= add(a, "-m");
	r |= add(a, "%u", c->eal.memory_mb);
	/* On hugepages, EAL's page files are unlinked once mapped: jetwire runs no secondary
	 * process that would attach to them, and left on the hugetlbfs they would hold memory_mb
	 * after every exit or crash, so that the next start under [eal] hugepages = auto found
	 * too few free pages (host-setup.sh reserves exactly what one instance needs) and fell
	 * back to --no-huge. The rings' own object is a different file and stays (restarts). */
	if (a->no_huge)
		r |= add(a, "--no-huge");
	else
		r |= add(a, "--huge-unlink");
	r |= add(a, "--log-level=%u", c->eal.log_level);
	/* [stats] enabled = no means no stats socket at all, not just no /jetwire/ commands. */
	if (!c->stats.enabled)
		r |= add(a, "--no-telemetry");
	if (c->port.vdev[0]) {
		r |= add(a, "--vdev=%s", c->port.vdev);
		r |= add(a, "--no-pci");
	} else {
		r |= add(a, "-a");
		r |= add(a, "%s", c->port.pci);
	}
	snprintf(extra, sizeof(extra), "%s", c->eal.extra);
	for (tok = strtok_r(extra, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
		r |= add(a, "%s", tok);
	if (r) {
		snprintf(err, errlen, "%s: [eal] too many or too long EAL arguments", c->path);
		return -E2BIG;
	}
	return 0;
}
