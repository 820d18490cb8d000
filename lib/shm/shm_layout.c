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
#include "shm/shm_store.h"

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

/* Maps the header page of fd read-only (a whole huge page on hugetlbfs). */
static const void *
map_hdr(const struct jw_shm *shm, int fd)
{
	void *m = mmap(NULL, shm_store_map_len(shm, JW_SHM_HDR_BYTES), PROT_READ, MAP_SHARED, fd, 0);

	return m == MAP_FAILED ? NULL : m;
}

static void
unmap_hdr(const struct jw_shm *shm, const void *m)
{
	munmap((void *)(uintptr_t)m, shm_store_map_len(shm, JW_SHM_HDR_BYTES));
}

/* Unreleased records of an existing object whose layout this build can read, or -1 when
 * it cannot tell. */
static int64_t
count_unreleased(const struct jw_shm *shm, int fd, uint64_t file_size)
{
	struct jw_shm probe;
	const void *h;
	void *m;
	int64_t total = 0;

	memset(&probe, 0, sizeof(probe));
	probe.page_bytes = shm->page_bytes;
	if (file_size < JW_SHM_HDR_BYTES)
		return -1;
	h = map_hdr(shm, fd);
	if (h == NULL)
		return -1;
	if (hdr_validate(&probe, h, file_size) != 0) {
		uint64_t magic = ((const struct jw_shm_hdr *)h)->magic;
		unmap_hdr(shm, h);
		return magic == 0 ? 0 : -1; /* magic 0: creation never finished, nothing inside */
	}
	unmap_hdr(shm, h);
	m = mmap(NULL, shm_store_map_len(shm, probe.size), PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	probe.base = m;
	for (uint32_t t = 0; t < probe.n_tx; t++)
		for (uint32_t i = 0; i < probe.slots_per_tx; i++) {
			const struct jw_shm_slot *s = jw_shm_slot(&probe, t, i);
			if (s->head != s->released)
				total++;
		}
	munmap(m, shm_store_map_len(shm, probe.size));
	return total;
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

/* An object exists at fd (shm->huge, page_bytes, path set by shm_store_open). Same layout:
 * keeps it with its records and producers (returns 0, shm mapped and started). Served by
 * another live jetwire: -EBUSY. Another layout or version holding records (or unreadable):
 * -EEXIST, with err saying how to deliver or discard them. Another layout without records:
 * removes it and returns -EAGAIN (create anew). */
static int
adopt_existing(struct jw_shm *shm, const struct jw_shm_params *p, const char *instance, int fd,
	       char *err, size_t errlen)
{
	struct jw_shm probe;
	struct stat st;
	const void *m;
	char old[128] = "";
	int same = 0, rc;
	int64_t pending;

	if (fstat(fd, &st) != 0)
		return -errno;
	memset(&probe, 0, sizeof(probe));
	if ((uint64_t)st.st_size >= JW_SHM_HDR_BYTES && (m = map_hdr(shm, fd)) != NULL) {
		same = hdr_validate(&probe, m, (uint64_t)st.st_size) == 0 &&
		       probe.n_tx == shm->n_tx && probe.slots_per_tx == shm->slots_per_tx &&
		       probe.ring_bytes == shm->ring_bytes &&
		       probe.report_entries == shm->report_entries;
		if (same) {
			const struct jw_shm_hdr *h = m;
			int32_t other = __atomic_load_n(&h->engine_pid, __ATOMIC_RELAXED);
			if (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) == JW_SHM_STATE_RUNNING &&
			    other != getpid() && pid_alive(other)) {
				unmap_hdr(shm, m);
				jw_errf(err, errlen, "instance '%s' is served by running jetwire pid %d",
					instance, (int)other);
				return -EBUSY;
			}
		} else if (probe.n_tx != 0) {
			snprintf(old, sizeof(old), "n_tx %u slots_per_tx %u ring_bytes %u "
				 "report_entries %u", probe.n_tx, probe.slots_per_tx,
				 probe.ring_bytes, probe.report_entries);
		}
		unmap_hdr(shm, m);
	}
	if (same) {
		rc = shm_store_map(shm, fd);
		if (rc == 0)
			rc = shm_store_apply_owner(fd, p, err, errlen);
		if (rc == 0)
			rc = shm_store_publish(shm, p, err, errlen);
		if (rc != 0) {
			if (shm->base)
				munmap(shm->base, shm->map_bytes);
			shm->base = NULL;
			return rc;
		}
		snprintf(shm->note, sizeof(shm->note), "%s, %s, kept from the last run",
			 shm->huge ? "hugetlbfs" : "tmpfs", shm->path);
		start_engine(shm);
		return 0;
	}
	/* Another layout (or version): replace it only if it holds no records. */
	pending = count_unreleased(shm, fd, (uint64_t)st.st_size);
	if (pending != 0) {
		if (pending < 0)
			jw_errf(err, errlen, "%s exists with an unknown layout or version; "
				"remove it (rm %s) if no jetwire uses it", shm->path, shm->path);
		else
			jw_errf(err, errlen, "%s holds %lld producer ring(s) with unreleased "
				"records in another layout (%s; wanted n_tx %u slots_per_tx %u "
				"ring_bytes %u report_entries %u): start with the old [shm] "
				"settings to deliver them, or remove it (rm %s%s%s) to discard them",
				shm->path, (long long)pending, old, shm->n_tx, shm->slots_per_tx,
				shm->ring_bytes, shm->report_entries, shm->path,
				shm->huge ? " /dev/shm" : "", shm->huge ? shm->name : "");
		return -EEXIST;
	}
	rc = shm_store_unlink(shm);
	if (rc != 0) {
		jw_errf(err, errlen, "remove %s: %s", shm->path, strerror(-rc));
		return rc;
	}
	return -EAGAIN;
}

struct jw_shm *
jw_shm_create(const struct jw_shm_params *p, char *err, size_t errlen)
{
	struct jw_shm_params defp;
	struct jw_shm *shm;
	const char *instance;
	char hugedir[JW_SHM_PATH_MAX] = "";
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

	if (p->hugepages != JW_SHM_HUGE_OFF) {
		rc = shm_store_hugedir(p, hugedir, sizeof(hugedir));
		if (rc != 0 && (p->hugepages == JW_SHM_HUGE_ON ||
				(p->hugepage_dir != NULL && p->hugepage_dir[0] != '\0'))) {
			jw_errf(err, errlen, "[shm] hugepage_dir %s: %s",
				p->hugepage_dir && p->hugepage_dir[0] ? p->hugepage_dir : "(any)",
				rc == -ENOTSUP ? "not a hugetlbfs mount" :
				rc == -ENOENT ? "no hugetlbfs mounted" : strerror(-rc));
			rc = -EINVAL;
			goto fail;
		}
		if (rc != 0)
			hugedir[0] = '\0';
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		fd = shm_store_open(shm, instance, hugedir[0] ? hugedir : NULL);
		if (fd == -ENOENT) {
			rc = shm_store_create(shm, p, instance, hugedir[0] ? hugedir : NULL, err, errlen);
			if (rc == -EEXIST)
				continue; /* another creator won the race: look again */
			if (rc != 0)
				goto fail;
			created = 1;
			break;
		}
		if (fd < 0) {
			rc = fd;
			jw_errf(err, errlen, "open %s: %s", shm->name,
				rc == -EPROTO ? "its redirect names no hugetlbfs file of this instance"
					      : strerror(-rc));
			goto fail;
		}
		rc = adopt_existing(shm, p, instance, fd, err, errlen);
		close(fd);
		if (rc == 0)
			return shm;
		if (rc != -EAGAIN)
			goto fail;
		/* Another layout without records: removed, create anew. */
	}
	if (!created) {
		rc = -EEXIST;
		jw_errf(err, errlen, "%s keeps reappearing", shm->name);
		goto fail;
	}
	init_fresh(shm, instance);
	rc = shm_store_publish(shm, p, err, errlen);
	if (rc != 0) {
		munmap(shm->base, shm->map_bytes);
		shm_store_unlink(shm);
		goto fail;
	}
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
	shm_store_unlink(shm);
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
	const void *m;
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
	fd = shm_store_open(shm, instance, NULL);
	if (fd < 0) {
		rc = fd;
		goto fail;
	}
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size < JW_SHM_HDR_BYTES) {
		rc = -EPROTO;
		close(fd);
		goto fail;
	}
	m = map_hdr(shm, fd);
	if (m == NULL) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	rc = hdr_validate(shm, m, (uint64_t)st.st_size);
	unmap_hdr(shm, m);
	if (rc == 0)
		rc = shm_store_map(shm, fd);
	close(fd);
	/* The header may have been rewritten between the two maps: validate the real one. */
	if (rc == 0) {
		uint64_t mapped = shm->size, mapped_bytes = shm->map_bytes;

		if (hdr_validate(shm, shm->hdr, (uint64_t)st.st_size) != 0 || shm->size != mapped) {
			munmap(shm->base, mapped_bytes);
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
		munmap(shm->base, shm->map_bytes);
	free(shm);
}
