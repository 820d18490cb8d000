/* Where an instance's shared memory lives and how both sides open it (internal to lib/shm).
 *
 * An object is either
 *   tmpfs      the file /dev/shm/jetwire.<instance> (shm_open name /jetwire.<instance>), or
 *   hugetlbfs  the file <mount>/jetwire.<instance>, while /dev/shm/jetwire.<instance> holds a
 *              struct jw_shm_redirect naming it.
 * Producers only ever open the name (shm_store_open_name); jetwire also finds a hugetlbfs file
 * whose redirect was removed (an "orphan": producers that still map it keep their records, so
 * a new jetwire adopts it instead of stranding them).
 *
 * All calls here run at start-up, attach or stop: never on a data path. Not thread-safe on one
 * struct jw_shm (it is being built); different instances are independent.
 */
#ifndef JW_SHM_STORE_H
#define JW_SHM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "shm/shm-t.h"

/* Mapping length for n bytes of shm's file: hugetlbfs maps and unmaps whole huge pages only. */
static inline uint64_t
shm_store_map_len(const struct jw_shm *shm, uint64_t n)
{
	uint64_t pg = shm->page_bytes ? shm->page_bytes : 4096;

	return (n + pg - 1) / pg * pg;
}

/* Opens the object behind shm->name read-write, following a redirect to a hugetlbfs file
 * (which must be on hugetlbfs and be named jetwire.<instance>: anything else is -EPROTO).
 * With orphan_dir (a hugetlbfs mount, jetwire only) also finds <orphan_dir>/jetwire.<instance>
 * when the name is absent. Sets shm->huge, page_bytes and path. Returns an fd, -ENOENT when
 * there is no object, or another negative errno. */
int shm_store_open(struct jw_shm *shm, const char *instance, const char *orphan_dir);

/* Creates a new object for shm->size bytes, exclusively (-EEXIST when one appeared), chosen by
 * p->hugepages: hugetlbfs in hugedir (NULL = none mounted) when allowed and the kernel can
 * reserve the pages, else tmpfs (for AUTO). Applies mode and group, sizes and maps it (sets
 * base, hdr, map_bytes) and says why in shm->note. Returns 0 or a negative errno with err. */
int shm_store_create(struct jw_shm *shm, const struct jw_shm_params *p, const char *instance,
		     const char *hugedir, char *err, size_t errlen);

/* Maps shm->size bytes of fd read-write, in whole pages of shm->page_bytes (sets base, hdr,
 * map_bytes). Returns 0 or -errno (ENOMEM: hugetlbfs could not reserve the pages). */
int shm_store_map(struct jw_shm *shm, int fd);

/* For a hugetlbfs object: (re)writes the redirect at shm->name atomically (a temporary file,
 * then rename), with the object's mode and group. No-op on tmpfs. Returns 0 or -errno. */
int shm_store_publish(const struct jw_shm *shm, const struct jw_shm_params *p, char *err,
		      size_t errlen);

/* Removes the name and, for a hugetlbfs object, its file. Errors other than ENOENT are
 * returned (first one), -errno. */
int shm_store_unlink(const struct jw_shm *shm);

/* Chmod/chgrp of fd per p (mode default JW_SHM_DEF_MODE; group by name or number). */
int shm_store_apply_owner(int fd, const struct jw_shm_params *p, char *err, size_t errlen);

/* The hugetlbfs mount to use: p->hugepage_dir when set (it must be a hugetlbfs: -ENOTSUP
 * otherwise), else the first hugetlbfs line of /proc/mounts. Returns 0 with the path in buf,
 * -ENOENT when none is mounted. */
int shm_store_hugedir(const struct jw_shm_params *p, char *buf, size_t len);

#endif /* JW_SHM_STORE_H */
