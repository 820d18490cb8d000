/* Unit tests of lib/shm's backing store (shm_store.c): rings on hugetlbfs behind a redirect,
 * restart and orphan adoption, the fall-back to tmpfs, and redirects that must be refused.
 *
 * The group reserves a few 2 MiB huge pages (vm.nr_hugepages + HUGE_PAGES, restored after)
 * and mounts a hugetlbfs in a private mount namespace of this process, so nothing outside
 * the test sees it. Needs root, as every test of `make test`. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "shm/shm.h"
#include "test_shm.h"

#define HUGE_PAGES 8 /* 16 MiB: enough for the small layouts below, not for BIG_RING */
#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"

static char hugedir[64];
static char inst[JW_SHM_INSTANCE_MAX];
static long saved_pages = -1;

static long
read_pages(void)
{
	FILE *f = fopen(NR_HUGEPAGES, "r");
	long n = -1;

	if (f != NULL) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

static int
write_pages(long n)
{
	FILE *f = fopen(NR_HUGEPAGES, "w");
	int rc;

	if (f == NULL)
		return -1;
	rc = fprintf(f, "%ld\n", n) > 0 ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

static int
group_setup(void **state)
{
	(void)state;
	saved_pages = read_pages();
	if (saved_pages < 0 || write_pages(saved_pages + HUGE_PAGES) != 0 ||
	    read_pages() < saved_pages + HUGE_PAGES) {
		fprintf(stderr, "cannot reserve %d huge pages in %s\n", HUGE_PAGES, NR_HUGEPAGES);
		return -1;
	}
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		perror("private mount namespace");
		return -1;
	}
	snprintf(hugedir, sizeof(hugedir), "/tmp/jw-huge-%d", (int)getpid());
	if (mkdir(hugedir, 0700) != 0 ||
	    mount("none", hugedir, "hugetlbfs", 0, "pagesize=2M") != 0) {
		perror(hugedir);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	umount(hugedir);
	rmdir(hugedir);
	if (saved_pages >= 0)
		write_pages(saved_pages);
	return 0;
}

static const char *
new_instance(void)
{
	static int n;

	snprintf(inst, sizeof(inst), "thuge%d-%d", (int)getpid(), n++);
	return inst;
}

static struct jw_shm_params
params(enum jw_shm_huge mode, uint32_t ring_bytes)
{
	struct jw_shm_params p = { .instance = inst, .n_tx = 1, .slots_per_tx = 2,
				   .ring_bytes = ring_bytes, .report_entries = 64,
				   .hugepages = mode, .hugepage_dir = hugedir };
	return p;
}

static struct jw_shm *
create(enum jw_shm_huge mode, uint32_t ring_bytes)
{
	struct jw_shm_params p = params(mode, ring_bytes);
	char err[512] = "";
	struct jw_shm *shm = jw_shm_create(&p, err, sizeof(err));

	if (shm == NULL)
		fprintf(stderr, "jw_shm_create: %s\n", err);
	assert_non_null(shm);
	return shm;
}

static void
path_of(char *buf, size_t len, const char *dir)
{
	snprintf(buf, len, "%s/jetwire.%s", dir, inst);
}

/* The name holds a redirect to the hugetlbfs file; a producer maps the same memory. */
static void
rings_on_hugetlbfs_behind_a_redirect(void **state)
{
	struct jw_shm *shm, *prod;
	struct jw_shm_redirect r;
	char file[128], name[128];
	struct stat st;
	int fd;

	(void)state;
	new_instance();
	shm = create(JW_SHM_HUGE_ON, 1u << 20);
	assert_int_equal(shm->huge, 1);
	assert_int_equal(shm->page_bytes, 2u << 20);
	assert_int_equal(shm->map_bytes % (2u << 20), 0);
	assert_non_null(strstr(shm->note, "hugetlbfs"));
	path_of(file, sizeof(file), hugedir);
	assert_string_equal(shm->path, file);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, JW_SHM_DEF_MODE);

	path_of(name, sizeof(name), "/dev/shm");
	fd = open(name, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &r, sizeof(r), 0), (ssize_t)sizeof(r));
	close(fd);
	assert_true(r.magic == JW_SHM_REDIRECT_MAGIC);
	assert_string_equal(r.path, file);

	prod = jw_shm_attach(inst);
	assert_non_null(prod);
	assert_int_equal(prod->huge, 1);
	assert_true(prod->hdr->nonce == shm->hdr->nonce);
	/* One memory: a write through the producer's mapping is seen by jetwire's. */
	jw_shm_slot(prod, 0, 1)->eagain = 12345;
	assert_int_equal(jw_shm_slot(shm, 0, 1)->eagain, 12345);
	jw_shm_unmap(prod);

	jw_shm_destroy(shm);
	assert_int_equal(stat(file, &st), -1);
	assert_int_equal(stat(name, &st), -1);
}

/* A restart keeps the hugetlbfs object; so does one after the redirect was removed (an
 * orphan: producers may still map it, so its records must not be stranded). */
static void
restart_and_orphan_keep_the_object(void **state)
{
	struct jw_shm *shm;
	char name[128];
	uint64_t nonce;
	struct stat st;

	(void)state;
	new_instance();
	shm = create(JW_SHM_HUGE_ON, 1u << 20);
	nonce = shm->hdr->nonce;
	jw_shm_detach(shm);

	shm = create(JW_SHM_HUGE_ON, 1u << 20);
	assert_true(shm->hdr->nonce == nonce);
	assert_non_null(strstr(shm->note, "kept"));
	jw_shm_detach(shm);

	path_of(name, sizeof(name), "/dev/shm");
	assert_int_equal(unlink(name), 0);
	shm = create(JW_SHM_HUGE_AUTO, 1u << 20);
	assert_int_equal(shm->huge, 1);
	assert_true(shm->hdr->nonce == nonce);
	assert_int_equal(stat(name, &st), 0); /* the redirect is back */
	jw_shm_destroy(shm);
}

/* Parameters for more memory than the free huge pages hold (64 MiB rings, enough slots). */
static struct jw_shm *
create_too_big(enum jw_shm_huge mode, struct jw_shm_params *p)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
	long free_pages = 0;
	char err[512] = "";
	struct jw_shm *shm;

	if (f != NULL) {
		if (fscanf(f, "%ld", &free_pages) != 1)
			free_pages = 0;
		fclose(f);
	}
	*p = params(mode, 64u << 20);
	p->slots_per_tx = (uint32_t)(free_pages / 32 + 2); /* 32 pages of 2 MiB per ring */
	shm = jw_shm_create(p, err, sizeof(err));
	if (shm == NULL)
		fprintf(stderr, "jw_shm_create: %s\n", err);
	assert_non_null(shm);
	return shm;
}

/* Too little reserved: AUTO falls back to tmpfs and says why; ON refuses. */
static void
not_enough_pages_falls_back_or_fails(void **state)
{
	struct jw_shm_params p;
	struct jw_shm *shm;
	char err[512] = "", file[128];
	struct stat st;

	(void)state;
	new_instance();
	shm = create_too_big(JW_SHM_HUGE_AUTO, &p);
	assert_int_equal(shm->huge, 0);
	assert_non_null(strstr(shm->note, "tmpfs"));
	assert_non_null(strstr(shm->note, "nr_hugepages"));
	path_of(file, sizeof(file), hugedir);
	assert_int_equal(stat(file, &st), -1); /* the failed attempt left nothing behind */
	jw_shm_destroy(shm);

	new_instance();
	p.hugepages = JW_SHM_HUGE_ON;
	p.instance = inst;
	assert_null(jw_shm_create(&p, err, sizeof(err)));
	assert_int_equal(errno, ENOMEM);
	assert_non_null(strstr(err, "hugepages = on"));

	/* OFF never touches hugetlbfs. */
	shm = create(JW_SHM_HUGE_OFF, 1u << 20);
	assert_int_equal(shm->huge, 0);
	jw_shm_destroy(shm);
}

/* A hugepage_dir that is not a hugetlbfs mount is a configuration error. */
static void
hugepage_dir_must_be_hugetlbfs(void **state)
{
	struct jw_shm_params p;
	char err[512] = "";

	(void)state;
	new_instance();
	p = params(JW_SHM_HUGE_AUTO, 1u << 20);
	p.hugepage_dir = "/tmp";
	assert_null(jw_shm_create(&p, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "not a hugetlbfs"));
}

/* A redirect a producer must not follow: a file not on hugetlbfs, another name, "..". */
static void
hostile_redirects_are_refused(void **state)
{
	char name[128], tmpfile[128];
	int fd;

	(void)state;
	new_instance();
	path_of(name, sizeof(name), "/dev/shm");
	snprintf(tmpfile, sizeof(tmpfile), "/tmp/jetwire.%s", inst);
	fd = open(tmpfile, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	for (int i = 0; i < 4; i++) {
		struct jw_shm_redirect r = { .magic = JW_SHM_REDIRECT_MAGIC,
					     .version = JW_SHM_VERSION };

		if (i == 0) /* right name, but tmpfs */
			snprintf(r.path, sizeof(r.path), "%s", tmpfile);
		else if (i == 1) /* hugetlbfs, another name */
			snprintf(r.path, sizeof(r.path), "%s/jetwire.other", hugedir);
		else if (i == 2)
			snprintf(r.path, sizeof(r.path), "%s/../jetwire.%s", hugedir, inst);
		else
			snprintf(r.path, sizeof(r.path), "relative/jetwire.%s", inst);
		fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, &r, sizeof(r)), (ssize_t)sizeof(r));
		close(fd);
		errno = 0;
		assert_null(jw_shm_attach(inst));
		assert_true(errno == EPROTO || errno == ENOENT);
	}
	unlink(name);
	unlink(tmpfile);
}

int
run_store_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rings_on_hugetlbfs_behind_a_redirect),
		cmocka_unit_test(restart_and_orphan_keep_the_object),
		cmocka_unit_test(not_enough_pages_falls_back_or_fails),
		cmocka_unit_test(hugepage_dir_must_be_hugetlbfs),
		cmocka_unit_test(hostile_redirects_are_refused),
	};

	return cmocka_run_group_tests_name("shm_store", tests, group_setup, group_teardown);
}
