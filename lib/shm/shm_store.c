/* Where an instance's shared memory lives: tmpfs or hugetlbfs, redirects, creation, removal.
 * See shm_store.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/jw_err.h"
#include "shm/shm_store.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

#define SHM_DIR "/dev/shm" /* where glibc's shm_open puts names */

static int
on_hugetlbfs(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 && (unsigned long)sf.f_type == (unsigned long)HUGETLBFS_MAGIC;
}

/* A redirect target is acceptable only as an absolute path whose last component is
 * jetwire.<instance>, without "..": a producer must never be sent to another file. */
static int
target_ok(const char *path, const char *instance)
{
	const char *slash = strrchr(path, '/');
	char want[sizeof(JW_SHM_NAME_PREFIX) + JW_SHM_INSTANCE_MAX];

	if (path[0] != '/' || slash == NULL || strstr(path, "/../") != NULL)
		return 0;
	snprintf(want, sizeof(want), "%s%s", JW_SHM_NAME_PREFIX, instance);
	return strcmp(slash, want) == 0;
}

static int
open_huge_file(struct jw_shm *shm, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	if (!on_hugetlbfs(fd) || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EPROTO;
	}
	shm->huge = 1;
	shm->page_bytes = (uint32_t)st.st_blksize;
	snprintf(shm->path, sizeof(shm->path), "%s", path);
	return fd;
}

int
shm_store_open(struct jw_shm *shm, const char *instance, const char *orphan_dir)
{
	struct jw_shm_redirect r;
	struct stat st;
	int fd = shm_open(shm->name, O_RDWR, 0);

	if (fd < 0) {
		int e = errno;
		char path[JW_SHM_PATH_MAX];

		if (e != ENOENT || orphan_dir == NULL || orphan_dir[0] == '\0')
			return -e;
		if (snprintf(path, sizeof(path), "%s%s%s", orphan_dir, JW_SHM_NAME_PREFIX,
			     instance) >= (int)sizeof(path))
			return -ENOENT;
		fd = open_huge_file(shm, path);
		return fd == -EPROTO ? -ENOENT : fd;
	}
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	memset(&r, 0, sizeof(r));
	if ((size_t)st.st_size >= sizeof(r) && pread(fd, &r, sizeof(r), 0) == (ssize_t)sizeof(r) &&
	    r.magic == JW_SHM_REDIRECT_MAGIC) {
		close(fd);
		r.path[sizeof(r.path) - 1] = '\0';
		if (r.version != JW_SHM_VERSION || !target_ok(r.path, instance))
			return -EPROTO;
		return open_huge_file(shm, r.path);
	}
	shm->huge = 0;
	shm->page_bytes = (uint32_t)(st.st_blksize > 0 ? st.st_blksize : 4096);
	snprintf(shm->path, sizeof(shm->path), "%s%s", SHM_DIR, shm->name);
	return fd;
}

int
shm_store_apply_owner(int fd, const struct jw_shm_params *p, char *err, size_t errlen)
{
	mode_t mode = p->mode ? (mode_t)p->mode : JW_SHM_DEF_MODE;

	if (fchmod(fd, mode & 07777) != 0) {
		int e = errno;
		jw_errf(err, errlen, "fchmod %o: %s", mode, strerror(e));
		return -e;
	}
	if (p->group != NULL && p->group[0] != '\0') {
		char *endp;
		unsigned long g = strtoul(p->group, &endp, 10);
		gid_t gid;

		if (*endp == '\0') {
			gid = (gid_t)g;
		} else {
			struct group *gr = getgrnam(p->group);
			if (gr == NULL) {
				jw_errf(err, errlen, "shm group '%s' does not exist", p->group);
				return -EINVAL;
			}
			gid = gr->gr_gid;
		}
		if (fchown(fd, (uid_t)-1, gid) != 0) {
			int e = errno;
			jw_errf(err, errlen, "chgrp %s: %s", p->group, strerror(e));
			return -e;
		}
	}
	return 0;
}

int
shm_store_hugedir(const struct jw_shm_params *p, char *buf, size_t len)
{
	char line[512], dev[128], mnt[256], fs[64];
	FILE *f;

	if (p->hugepage_dir != NULL && p->hugepage_dir[0] != '\0') {
		struct statfs sf;

		if (statfs(p->hugepage_dir, &sf) != 0)
			return -errno;
		if ((unsigned long)sf.f_type != (unsigned long)HUGETLBFS_MAGIC)
			return -ENOTSUP;
		snprintf(buf, len, "%s", p->hugepage_dir);
		return 0;
	}
	f = fopen("/proc/mounts", "re");
	if (f == NULL)
		return -ENOENT;
	while (fgets(line, sizeof(line), f) != NULL) {
		/* Mount points with blanks are octal-escaped in /proc/mounts: skip those. */
		if (sscanf(line, "%127s %255s %63s", dev, mnt, fs) == 3 &&
		    strcmp(fs, "hugetlbfs") == 0 && strchr(mnt, '\\') == NULL &&
		    strlen(mnt) < len) {
			snprintf(buf, len, "%s", mnt);
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -ENOENT;
}

int
shm_store_map(struct jw_shm *shm, int fd)
{
	void *m;

	shm->map_bytes = shm_store_map_len(shm, shm->size);
	/* On hugetlbfs a shared mapping reserves every page now: ENOMEM here, not SIGBUS later. */
	m = mmap(NULL, shm->map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	shm->base = m;
	shm->hdr = m;
	return 0;
}

static int
map_new(struct jw_shm *shm, int fd)
{
	if (ftruncate(fd, (off_t)shm_store_map_len(shm, shm->size)) != 0)
		return -errno;
	return shm_store_map(shm, fd);
}

/* Tries hugetlbfs; returns 0 (mapped), or a negative errno with the reason in shm->note. */
static int
create_huge(struct jw_shm *shm, const struct jw_shm_params *p, const char *instance,
	    const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	if (snprintf(shm->path, sizeof(shm->path), "%s%s%s", dir, JW_SHM_NAME_PREFIX, instance) >=
	    (int)sizeof(shm->path)) {
		snprintf(shm->note, sizeof(shm->note), "hugetlbfs path %s too long", dir);
		return -ENAMETOOLONG;
	}
	fd = open(shm->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(shm->note, sizeof(shm->note), "cannot create %s: %s", shm->path,
			 strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) != 0 || !on_hugetlbfs(fd)) {
		rc = -ENOTSUP;
		snprintf(shm->note, sizeof(shm->note), "%s is not on hugetlbfs", shm->path);
		goto fail;
	}
	shm->huge = 1;
	shm->page_bytes = (uint32_t)st.st_blksize;
	rc = shm_store_apply_owner(fd, p, err, errlen);
	if (rc != 0) {
		snprintf(shm->note, sizeof(shm->note), "%s", err ? err : "owner");
		goto fail;
	}
	rc = map_new(shm, fd);
	if (rc != 0) {
		snprintf(shm->note, sizeof(shm->note), "hugetlbfs %s cannot hold %llu MiB in %u kB "
			 "pages (%s): reserve more (vm.nr_hugepages)", dir,
			 (unsigned long long)(shm->map_bytes >> 20), shm->page_bytes / 1024,
			 strerror(-rc));
		goto fail;
	}
	close(fd);
	snprintf(shm->note, sizeof(shm->note), "hugetlbfs, %u kB pages, %s", shm->page_bytes / 1024,
		 shm->path);
	return 0;
fail:
	close(fd);
	unlink(shm->path);
	shm->huge = 0;
	shm->path[0] = '\0';
	return rc;
}

int
shm_store_create(struct jw_shm *shm, const struct jw_shm_params *p, const char *instance,
		 const char *hugedir, char *err, size_t errlen)
{
	char why[sizeof(shm->note)] = "";
	struct stat st;
	int fd, rc;

	if (p->hugepages != JW_SHM_HUGE_OFF) {
		if (hugedir != NULL) {
			rc = create_huge(shm, p, instance, hugedir, err, errlen);
			if (rc == 0 || rc == -EEXIST)
				return rc;
			snprintf(why, sizeof(why), "%s", shm->note);
		} else {
			snprintf(why, sizeof(why), "no hugetlbfs mounted");
		}
		if (p->hugepages == JW_SHM_HUGE_ON) {
			jw_errf(err, errlen, "[shm] hugepages = on: %s", why);
			return -ENOMEM;
		}
	} else {
		snprintf(why, sizeof(why), "hugepages off");
	}
	fd = shm_open(shm->name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		rc = -errno;
		if (rc != -EEXIST)
			jw_errf(err, errlen, "shm_open %s: %s", shm->name, strerror(-rc));
		return rc;
	}
	shm->huge = 0;
	shm->page_bytes = fstat(fd, &st) == 0 && st.st_blksize > 0 ? (uint32_t)st.st_blksize : 4096;
	snprintf(shm->path, sizeof(shm->path), "%s%s", SHM_DIR, shm->name);
	rc = shm_store_apply_owner(fd, p, err, errlen);
	if (rc == 0) {
		rc = map_new(shm, fd);
		if (rc != 0)
			jw_errf(err, errlen, "size and map %s to %llu bytes: %s", shm->name,
				(unsigned long long)shm->size, strerror(-rc));
	}
	close(fd);
	if (rc != 0) {
		shm_unlink(shm->name);
		return rc;
	}
	/* The note is for a log line: a long reason may be cut, never the backing's name. */
	{
		int n = snprintf(shm->note, sizeof(shm->note), "tmpfs, %s (", shm->path);

		if (n > 0 && (size_t)n < sizeof(shm->note) - 2)
			snprintf(shm->note + n, sizeof(shm->note) - (size_t)n, "%.*s)",
				 (int)(sizeof(shm->note) - (size_t)n - 2), why);
	}
	return 0;
}

int
shm_store_publish(const struct jw_shm *shm, const struct jw_shm_params *p, char *err,
		  size_t errlen)
{
	struct jw_shm_redirect r;
	char tmp[JW_SHM_PATH_MAX], dst[JW_SHM_PATH_MAX];
	int fd, rc = 0;

	if (!shm->huge)
		return 0;
	memset(&r, 0, sizeof(r));
	r.magic = JW_SHM_REDIRECT_MAGIC;
	r.version = JW_SHM_VERSION;
	r.page_bytes = shm->page_bytes;
	snprintf(r.path, sizeof(r.path), "%s", shm->path);
	/* The temporary name is no instance's name (those never start with '.'). */
	snprintf(tmp, sizeof(tmp), "%s/.jetwire-redirect.%s.%d", SHM_DIR,
		 shm->name + sizeof(JW_SHM_NAME_PREFIX) - 1, (int)getpid());
	snprintf(dst, sizeof(dst), "%s%s", SHM_DIR, shm->name);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		jw_errf(err, errlen, "create %s: %s", tmp, strerror(-rc));
		return rc;
	}
	if (pwrite(fd, &r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		rc = errno ? -errno : -EIO;
		jw_errf(err, errlen, "write %s: %s", tmp, strerror(-rc));
	}
	if (rc == 0)
		rc = shm_store_apply_owner(fd, p, err, errlen);
	close(fd);
	if (rc == 0 && rename(tmp, dst) != 0) {
		rc = -errno;
		jw_errf(err, errlen, "rename %s to %s: %s", tmp, dst, strerror(-rc));
	}
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int
shm_store_unlink(const struct jw_shm *shm)
{
	int rc = 0;

	if (shm_unlink(shm->name) != 0 && errno != ENOENT)
		rc = -errno;
	if (shm->huge && shm->path[0] != '\0' && unlink(shm->path) != 0 && errno != ENOENT &&
	    rc == 0)
		rc = -errno;
	return rc;
}
