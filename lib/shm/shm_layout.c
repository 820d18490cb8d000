/* Creation, attachment and validation of the shared-memory object (layout in shm-t.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/jw_err.h"
#include "common/jw_time.h"
#include "shm/shm.h"

_Static_assert(sizeof(struct jw_shm_hdr) <= JW_SHM_HDR_BYTES, "header fits its page");
_Static_assert(sizeof(struct jw_shm_rec) == 24, "record header is 24 bytes");
_Static_assert(sizeof(struct jw_shm_report) == 64, "report entry is one cache line");
_Static_assert(sizeof(struct jw_shm_slot) % JW_CACHE_LINE == 0, "slot control is whole lines");

/* Largest object jw_shm_create agrees to make (a typo in a config must not eat the RAM). */
#define JW_SHM_MAX_TOTAL (64ULL << 30)

int
jw_shm_instance_check(const char *instance)
{
	size_t n;

	if (instance == NULL)
		return -EINVAL;
	n = strlen(instance);
	if (n == 0 || n >= JW_SHM_INSTANCE_MAX || instance[0] == '.')
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = instance[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return -EINVAL;
	}
	return 0;
}

int
jw_shm_name(const char *instance, char *buf, size_t len)
{
	int n;

	if (jw_shm_instance_check(instance) != 0)
		return -EINVAL;
	n = snprintf(buf, len, "%s%s", JW_SHM_NAME_PREFIX, instance);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

static uint32_t
fnv1a(uint32_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		h ^= (uint32_t)(v & 0xff);
		h *= 16777619u;
		v >>= 8;
	}
	return h;
}

uint32_t
jw_shm_layout_hash(uint32_t n_tx, uint32_t slots_per_tx, uint32_t ring_bytes,
		   uint32_t report_entries)
{
	uint32_t h = 2166136261u;

	h = fnv1a(h, JW_SHM_VERSION);
	h = fnv1a(h, sizeof(struct jw_shm_hdr));
	h = fnv1a(h, sizeof(struct jw_shm_slot));
	h = fnv1a(h, sizeof(struct jw_shm_rec));
	h = fnv1a(h, sizeof(struct jw_shm_report));
	h = fnv1a(h, n_tx);
	h = fnv1a(h, slots_per_tx);
	h = fnv1a(h, ring_bytes);
	h = fnv1a(h, report_entries);
	return h;
}

static int
is_pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static uint64_t
slot_stride_of(uint32_t ring_bytes, uint32_t report_entries)
{
	uint64_t b = sizeof(struct jw_shm_slot) +
		     (uint64_t)report_entries * sizeof(struct jw_shm_report) + ring_bytes;
	return JW_ALIGN_UP(b, (uint64_t)4096);
}

/* Checks layout parameters; fills the private copies of shm. Returns 0 or -EINVAL. */
static int
layout_set(struct jw_shm *shm, uint32_t n_tx, uint32_t spt, uint32_t ring, uint32_t reps)
{
	if (n_tx < 1 || n_tx > JW_SHM_MAX_TX || spt < 1 || spt > JW_SHM_MAX_SLOTS_PER_TX ||
	    !is_pow2(ring) || ring < JW_SHM_MIN_RING_BYTES || ring > JW_SHM_MAX_RING_BYTES ||
	    !is_pow2(reps) || reps < JW_SHM_MIN_REPORTS || reps > JW_SHM_MAX_REPORTS)
		return -EINVAL;
	shm->n_tx = n_tx;
	shm->slots_per_tx = spt;
	shm->ring_bytes = ring;
	shm->report_entries = reps;
	shm->slot_stride = slot_stride_of(ring, reps);
	shm->slots_offset = JW_SHM_HDR_BYTES;
	shm->size = shm->slots_offset + (uint64_t)n_tx * spt * shm->slot_stride;
	if (shm->size > JW_SHM_MAX_TOTAL)
		return -EINVAL;
	return 0;
}

/* Validates a mapped header against what this build understands and its file size.
 * Fills shm's private copies. Returns 0, or -EPROTO. */
static int
hdr_validate(struct jw_shm *shm, const struct jw_shm_hdr *h, uint64_t file_size)
{
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != JW_SHM_MAGIC ||
	    h->version != JW_SHM_VERSION)
		return -EPROTO;
	if (layout_set(shm, h->n_tx, h->slots_per_tx, h->ring_bytes, h->report_entries) != 0)
		return -EPROTO;
	if (h->layout_hash != jw_shm_layout_hash(h->n_tx, h->slots_per_tx, h->ring_bytes,
						 h->report_entries) ||
	    h->slot_stride != shm->slot_stride || h->slots_offset != shm->slots_offset ||
	    h->total_size != shm->size || file_size < shm->size)
		return -EPROTO;
	return 0;
}

static int
pid_alive(int32_t pid)
{
	if (pid <= 0)
		return 0;
	return !(kill(pid, 0) == -1 && errno == ESRCH);
}

/* Inode of this process's pid namespace, 0 when /proc does not tell. */
static uint64_t
self_pidns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static uint64_t
make_nonce(void)
{
	uint64_t n = 0;

	if (getrandom(&n, sizeof(n), GRND_NONBLOCK) != (ssize_t)sizeof(n)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		n = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16);
	}
	return n ? n : 1;
}

static int
map_fd(struct jw_shm *shm, int fd)
{
	void *m = mmap(NULL, shm->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (m == MAP_FAILED)
		return -errno;
	shm->base = m;
	shm->hdr = m;
	return 0;
}

/* Unreleased records of an existing object whose layout this build can read, or -1 when
 * it cannot tell. */
static int64_t
count_unreleased(int fd, uint64_t file_size)
{
	struct jw_shm probe;
	void *m;
	int64_t total = 0;

	memset(&probe, 0, sizeof(probe));
	if (file_size < JW_SHM_HDR_BYTES)
		return -1;
	m = mmap(NULL, JW_SHM_HDR_BYTES, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	if (hdr_validate(&probe, m, file_size) != 0) {
		uint64_t magic = ((const struct jw_shm_hdr *)m)->magic;
		munmap(m, JW_SHM_HDR_BYTES);
		return magic == 0 ? 0 : -1; /* magic 0: creation never finished, nothing inside */
	}
	munmap(m, JW_SHM_HDR_BYTES);
	m = mmap(NULL, probe.size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	probe.base = m;
	for (uint32_t t = 0; t < probe.n_tx; t++)
		for (uint32_t i = 0; i < probe.slots_per_tx; i++) {
			const struct jw_shm_slot *s = jw_shm_slot(&probe, t, i);
			if (s->head != s->released)
				total++;
		}
	munmap(m, probe.size);
	return total;
}

static int
apply_owner(int fd, const struct jw_shm_params *p, char *err, size_t errlen)
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

static void
init_fresh(struct jw_shm *shm, const char *instance)
{
	struct jw_shm_hdr *h = shm->hdr;

	h->version = JW_SHM_VERSION;
	h->n_tx = shm->n_tx;
	h->slots_per_tx = shm->slots_per_tx;
	h->ring_bytes = shm->ring_bytes;
	h->report_entries = shm->report_entries;
	h->layout_hash = jw_shm_layout_hash(shm->n_tx, shm->slots_per_tx, shm->ring_bytes,
					    shm->report_entries);
	h->slot_stride = shm->slot_stride;
	h->slots_offset = shm->slots_offset;
	h->total_size = shm->size;
	h->nonce = make_nonce();
	snprintf(h->instance, sizeof(h->instance), "%s", instance);
	for (uint32_t t = 0; t < shm->n_tx; t++)
		for (uint32_t i = 0; i < shm->slots_per_tx; i++) {
			struct jw_shm_slot *s = jw_shm_slot(shm, t, i);
			s->tx = t;
			s->index = i;
		}
	/* Readers check magic with load-acquire: everything above is visible to them. */
	__atomic_store_n(&h->magic, JW_SHM_MAGIC, __ATOMIC_RELEASE);
}

/* Marks the (fresh or kept) object as served by this process. */
static void
start_engine(struct jw_shm *shm)
{
	struct jw_shm_hdr *h = shm->hdr;

	for (uint32_t t = 0; t < shm->n_tx; t++)
		for (uint32_t i = 0; i < shm->slots_per_tx; i++)
			jw_shm_rewind(jw_shm_slot(shm, t, i));
	__atomic_store_n(&h->max_payload, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&h->engine_pid, (int32_t)getpid(), __ATOMIC_RELAXED);
	__atomic_store_n(&h->engine_pidns, self_pidns(), __ATOMIC_RELAXED);
	__atomic_fetch_add(&h->generation, 1, __ATOMIC_RELAXED);
	jw_shm_heartbeat(shm);
	__atomic_store_n(&h->state, JW_SHM_STATE_RUNNING, __ATOMIC_RELEASE);
}

struct jw_shm *
jw_shm_create(const struct jw_shm_params *p, char *err, size_t errlen)
{
	struct jw_shm_params defp;
	struct jw_shm *shm;
	const char *instance;
	struct stat st;
	int fd, rc, created = 0;

	if (p == NULL) {
		memset(&defp, 0, sizeof(defp));
		p = &defp;
	}
	instance = p->instance ? p->instance : "default";
	shm = calloc(1, sizeof(*shm));
	if (shm == NULL) {
		jw_errf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	shm->creator = 1;
	if (jw_shm_name(instance, shm->name, sizeof(shm->name)) != 0) {
		jw_errf(err, errlen, "bad instance name '%s' (1..%d of [A-Za-z0-9_.-])", instance,
		     JW_SHM_INSTANCE_MAX - 1);
		rc = -EINVAL;
		goto fail;
	}
	if (layout_set(shm, p->n_tx ? p->n_tx : JW_SHM_DEF_TX,
		       p->slots_per_tx ? p->slots_per_tx : JW_SHM_DEF_SLOTS_PER_TX,
		       p->ring_bytes ? p->ring_bytes : JW_SHM_DEF_RING_BYTES,
		       p->report_entries ? p->report_entries : JW_SHM_DEF_REPORTS) != 0) {
		jw_errf(err, errlen, "bad shm layout: tx 1..%d, slots 1..%d, ring_bytes and "
		     "report_entries powers of two in range, total under 64 GiB",
		     JW_SHM_MAX_TX, JW_SHM_MAX_SLOTS_PER_TX);
		rc = -EINVAL;
		goto fail;
	}

	for (int attempt = 0; attempt < 2; attempt++) {
		fd = shm_open(shm->name, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd >= 0) {
			created = 1;
			break;
		}
		if (errno != EEXIST) {
			rc = -errno;
			jw_errf(err, errlen, "shm_open %s: %s", shm->name, strerror(errno));
			goto fail;
		}
		fd = shm_open(shm->name, O_RDWR, 0);
		if (fd < 0) {
			rc = -errno;
			jw_errf(err, errlen, "shm_open %s: %s", shm->name, strerror(errno));
			goto fail;
		}
		if (fstat(fd, &st) != 0) {
			rc = -errno;
			close(fd);
			goto fail;
		}
		if ((uint64_t)st.st_size >= JW_SHM_HDR_BYTES) {
			void *m = mmap(NULL, JW_SHM_HDR_BYTES, PROT_READ, MAP_SHARED, fd, 0);
			struct jw_shm probe;
			int same = 0;

			if (m != MAP_FAILED) {
				memset(&probe, 0, sizeof(probe));
				same = hdr_validate(&probe, m, (uint64_t)st.st_size) == 0 &&
				       probe.n_tx == shm->n_tx && probe.slots_per_tx == shm->slots_per_tx &&
				       probe.ring_bytes == shm->ring_bytes &&
				       probe.report_entries == shm->report_entries;
				if (same) {
					const struct jw_shm_hdr *h = m;
					int32_t other = __atomic_load_n(&h->engine_pid, __ATOMIC_RELAXED);
					if (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) == JW_SHM_STATE_RUNNING &&
					    other != getpid() && pid_alive(other)) {
						munmap(m, JW_SHM_HDR_BYTES);
						close(fd);
						jw_errf(err, errlen, "instance '%s' is served by running jetwire pid %d",
						     instance, (int)other);
						rc = -EBUSY;
						goto fail;
					}
				} else if (probe.n_tx != 0) {
					jw_errf(err, errlen, "n_tx %u slots_per_tx %u ring_bytes %u report_entries %u",
					     probe.n_tx, probe.slots_per_tx, probe.ring_bytes, probe.report_entries);
				}
				munmap(m, JW_SHM_HDR_BYTES);
			}
			if (same) {
				rc = map_fd(shm, fd);
				if (rc == 0)
					rc = apply_owner(fd, p, err, errlen);
				close(fd);
				if (rc != 0) {
					if (shm->base)
						munmap(shm->base, shm->size);
					goto fail;
				}
				start_engine(shm);
				return shm;
			}
		}
		/* Another layout (or version): replace it only if it holds no records. */
		{
			char old[128];
			int64_t pending = count_unreleased(fd, (uint64_t)st.st_size);

			snprintf(old, sizeof(old), "%s", (err && errlen) ? err : "");
			close(fd);
			if (pending != 0) {
				if (pending < 0)
					jw_errf(err, errlen, "%s exists with an unknown layout or version; "
					     "remove it (rm /dev/shm%s) if no jetwire uses it",
					     shm->name, shm->name);
				else
					jw_errf(err, errlen, "%s holds %lld producer ring(s) with unreleased "
					     "records in another layout (%s; wanted n_tx %u slots_per_tx %u "
					     "ring_bytes %u report_entries %u): start with the old [shm] "
					     "settings to deliver them, or remove it (rm /dev/shm%s) to "
					     "discard them", shm->name, (long long)pending, old, shm->n_tx,
					     shm->slots_per_tx, shm->ring_bytes, shm->report_entries, shm->name);
				rc = -EEXIST;
				goto fail;
			}
			if (shm_unlink(shm->name) != 0 && errno != ENOENT) {
				rc = -errno;
				jw_errf(err, errlen, "shm_unlink %s: %s", shm->name, strerror(errno));
				goto fail;
			}
		}
	}
	if (!created) {
		rc = -EEXIST;
		jw_errf(err, errlen, "%s keeps reappearing", shm->name);
		goto fail;
	}
	rc = apply_owner(fd, p, err, errlen);
	if (rc == 0 && ftruncate(fd, (off_t)shm->size) != 0) {
		rc = -errno;
		jw_errf(err, errlen, "ftruncate %s to %llu bytes: %s", shm->name,
		     (unsigned long long)shm->size, strerror(errno));
	}
	if (rc == 0) {
		rc = map_fd(shm, fd);
		if (rc != 0)
			jw_errf(err, errlen, "mmap %s: %s", shm->name, strerror(-rc));
	}
	close(fd);
	if (rc != 0) {
		shm_unlink(shm->name);
		goto fail;
	}
	init_fresh(shm, instance);
	start_engine(shm);
	return shm;
fail:
	free(shm);
	errno = -rc;
	return NULL;
}

void
jw_shm_detach(struct jw_shm *shm)
{
	if (shm == NULL)
		return;
	__atomic_store_n(&shm->hdr->engine_pid, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&shm->hdr->state, JW_SHM_STATE_STOPPED, __ATOMIC_RELEASE);
	jw_shm_unmap(shm);
}

void
jw_shm_destroy(struct jw_shm *shm)
{
	if (shm == NULL)
		return;
	__atomic_store_n(&shm->hdr->engine_pid, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&shm->hdr->state, JW_SHM_STATE_DESTROYED, __ATOMIC_RELEASE);
	shm_unlink(shm->name);
	jw_shm_unmap(shm);
}

void
jw_shm_set_limits(struct jw_shm *shm, uint32_t max_payload, uint32_t msg_overhead)
{
	__atomic_store_n(&shm->hdr->msg_overhead, msg_overhead, __ATOMIC_RELAXED);
	__atomic_store_n(&shm->hdr->max_payload, max_payload, __ATOMIC_RELEASE);
}

void
jw_shm_heartbeat(struct jw_shm *shm)
{
	__atomic_store_n(&shm->hdr->heartbeat_ns, jw_mono_ns(), __ATOMIC_RELAXED);
}

int
jw_shm_engine_alive(const struct jw_shm *shm)
{
	const struct jw_shm_hdr *h = shm->hdr;
	int32_t pid = __atomic_load_n(&h->engine_pid, __ATOMIC_RELAXED);
	uint64_t beat = __atomic_load_n(&h->heartbeat_ns, __ATOMIC_RELAXED);
	uint64_t now;

	if (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) != JW_SHM_STATE_RUNNING || pid <= 0)
		return 0;
	if (__atomic_load_n(&h->engine_pidns, __ATOMIC_RELAXED) == self_pidns())
		return pid_alive(pid);
	now = jw_mono_ns();
	return beat <= now && now - beat < JW_SHM_HEARTBEAT_FRESH_NS;
}

uint64_t
jw_shm_nonce(const struct jw_shm *shm)
{
	return shm->hdr->nonce;
}

uint32_t
jw_shm_generation(const struct jw_shm *shm)
{
	return __atomic_load_n(&shm->hdr->generation, __ATOMIC_RELAXED);
}

struct jw_shm *
jw_shm_attach(const char *instance)
{
	struct jw_shm *shm;
	struct stat st;
	void *m;
	int fd, rc;

	shm = calloc(1, sizeof(*shm));
	if (shm == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (jw_shm_name(instance, shm->name, sizeof(shm->name)) != 0) {
		rc = -EINVAL;
		goto fail;
	}
	fd = shm_open(shm->name, O_RDWR, 0);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size < JW_SHM_HDR_BYTES) {
		rc = -EPROTO;
		close(fd);
		goto fail;
	}
	m = mmap(NULL, JW_SHM_HDR_BYTES, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	rc = hdr_validate(shm, m, (uint64_t)st.st_size);
	munmap(m, JW_SHM_HDR_BYTES);
	if (rc == 0)
		rc = map_fd(shm, fd);
	close(fd);
	/* The header may have been rewritten between the two maps: validate the real one. */
	if (rc == 0) {
		uint64_t mapped = shm->size;

		if (hdr_validate(shm, shm->hdr, (uint64_t)st.st_size) != 0 || shm->size != mapped) {
			munmap(shm->base, mapped);
			rc = -EPROTO;
		}
	}
	if (rc != 0)
		goto fail;
	return shm;
fail:
	free(shm);
	errno = -rc;
	return NULL;
}

void
jw_shm_unmap(struct jw_shm *shm)
{
	if (shm == NULL)
		return;
	if (shm->base)
		munmap(shm->base, shm->size);
	free(shm);
}
