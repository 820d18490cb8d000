/* Tests of the public producer API (lib/include/jetwire.h): every JW_E* path, headers, reports
 * and flush against a consumer thread, the C++ compile of the header, a multi-process
 * stress run (producer processes + this process as jetwire), and producers killed with
 * SIGKILL mid-publish. The test process plays jetwire with lib/shm's consumer calls.
 *
 * JW_STRESS_RECORDS (default 20000000) sets the stress run's total record count. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../common/fixtures.h"
#include "common/jw_time.h"
#include "jetwire.h"
#include "nats/nats_validate.h"
#include "producer/producer.h"
#include "shm/shm.h"

static char inst[JW_SHM_INSTANCE_MAX];

static void
new_instance(void)
{
	jwt_instance_name(inst, sizeof(inst), "tprod");
}

static int
open_rc(jw_producer **p, int tx)
{
	struct jw_open_opts o = { .instance = inst, .tx_lcore = tx };

	return jw_open(p, &o);
}

static struct jw_shm_slot *
slot_of(struct jw_shm *shm, jw_producer *p)
{
	uint32_t tx, idx;

	jw_producer_slot(p, &tx, &idx);
	return jw_shm_slot(shm, tx, idx);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ---- every error code ---- */

static void
einval_paths(void **state)
{
	struct jw_shm *shm;
	jw_producer *p = NULL;
	struct jw_open_opts bad = { .instance = "no/slash", .tx_lcore = -1 };
	struct jw_report r;
	struct jw_msg m = { .subject = "ok", .hdr = "NATS/1.0\r\nX:y\r\n", .hdr_len = 15 };
	char big[NATS_SUBJECT_MAX + 2];

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 2, 2, 8192, 16);
	assert_int_equal(jw_open(NULL, NULL), JW_EINVAL);
	assert_int_equal(jw_open(&p, &bad), JW_EINVAL);
	assert_int_equal(open_rc(&p, -2), JW_EINVAL);
	assert_int_equal(open_rc(&p, 2), JW_EINVAL);
	assert_null(p);
	assert_int_equal(open_rc(&p, 1), 0);
	assert_int_equal(jw_publish(NULL, "a", "x", 1, NULL), JW_EINVAL);
	assert_int_equal(jw_publish(p, NULL, "x", 1, NULL), JW_EINVAL);
	assert_int_equal(jw_publish(p, "", "x", 1, NULL), JW_EINVAL);
	assert_int_equal(jw_publish(p, "a b", "x", 1, NULL), JW_EINVAL);
	assert_int_equal(jw_publish(p, "a.*", "x", 1, NULL), JW_EINVAL);
	assert_int_equal(jw_publish(p, "a.>", "x", 1, NULL), JW_EINVAL);
	assert_int_equal(jw_publish(p, "a..b", "x", 1, NULL), JW_EINVAL);
	assert_int_equal(jw_publish(p, "a\r\nPUB", "x", 1, NULL), JW_EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(jw_publish(p, big, "x", 1, NULL), JW_EINVAL);
	assert_int_equal(jw_publish(p, "a", NULL, 1, NULL), JW_EINVAL);
	assert_int_equal(jw_publish_msg(p, NULL, NULL), JW_EINVAL);
	assert_int_equal(jw_publish_msg(p, &m, NULL), JW_EINVAL); /* no blank line */
	m.hdr = "NATS/1.0 503\r\n\r\n";
	m.hdr_len = 16;
	assert_int_equal(jw_publish_msg(p, &m, NULL), JW_EINVAL); /* status line */
	m.hdr = "NATS/1.0\r\nX: a\nb\r\n\r\n";
	m.hdr_len = strlen(m.hdr);
	assert_int_equal(jw_publish_msg(p, &m, NULL), JW_EINVAL); /* bare LF */
	m.hdr = NULL;
	m.hdr_len = 3;
	assert_int_equal(jw_publish_msg(p, &m, NULL), JW_EINVAL);
	assert_int_equal(jw_reports(NULL, &r, 1), JW_EINVAL);
	assert_int_equal(jw_reports(p, NULL, 1), JW_EINVAL);
	assert_int_equal(jw_reports(p, &r, -1), JW_EINVAL);
	assert_int_equal(jw_flush(NULL, 0), JW_EINVAL);
	assert_int_equal(jw_close(NULL), JW_EINVAL);
	/* nothing was appended by any refused call */
	assert_int_equal(slot_of(shm, p)->head, 0);
	assert_int_equal(jw_flush(p, 0), 0);
	jw_close(p);
	jw_shm_destroy(shm);
}

static void
enotrunning_paths(void **state)
{
	struct jw_shm *shm;
	jw_producer *p = NULL;
	pid_t pid;
	int st;

	(void)state;
	new_instance();
	assert_int_equal(open_rc(&p, -1), JW_ENOTRUNNING); /* never created */
	/* an engine that died without detaching */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct jw_shm_params prm = { .instance = inst, .ring_bytes = 4096,
					     .report_entries = 16, .slots_per_tx = 2 };
		_exit(jw_shm_create(&prm, NULL, 0) ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(open_rc(&p, -1), JW_ENOTRUNNING);
	/* a new engine takes over the dead one's object */
	shm = jwt_shm_mk(inst, 1, 2, 4096, 16);
	assert_int_equal(open_rc(&p, -1), 0);
	assert_int_equal(jw_publish(p, "a", "x", 1, NULL), 0);
	jw_shm_detach(shm); /* stopped cleanly */
	assert_int_equal(jw_publish(p, "a", "x", 1, NULL), JW_ENOTRUNNING);
	{
		jw_producer *q = NULL;
		assert_int_equal(open_rc(&q, -1), JW_ENOTRUNNING);
	}
	shm = jwt_shm_mk(inst, 1, 2, 4096, 16);
	assert_int_equal(jw_publish(p, "a", "x", 1, NULL), 0); /* back after restart */
	jw_close(p);
	jw_shm_destroy(shm);
}

static void
eagain_e2big_etimedout_paths(void **state)
{
	struct jw_shm *shm;
	jw_producer *p = NULL;
	static char buf[8192];
	uint64_t seq = 0;
	int rc, accepted = 0;

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 1, 1, 4096, 16);
	assert_int_equal(open_rc(&p, 0), 0);
	/* over the ring: a record may use at most half of it */
	assert_int_equal(jw_publish(p, "a", buf, 2048, NULL), JW_E2BIG);
	assert_int_equal(jw_publish(p, "a", buf, 2048 - 32, NULL), 0);
	/* over max_payload, counting jetwire's own header bytes */
	jw_shm_set_limits(shm, 1000, 80);
	assert_int_equal(jw_publish(p, "a", buf, 921, NULL), JW_E2BIG);
	{
		struct jw_msg m = { .subject = "a", .hdr = "NATS/1.0\r\nA: b\r\n\r\n", .hdr_len = 18,
				    .data = buf, .data_len = 903 };
		assert_int_equal(jw_publish_msg(p, &m, NULL), JW_E2BIG);
		m.data_len = 902;
		assert_int_equal(jw_publish_msg(p, &m, NULL), 0);
	}
	while ((rc = jw_publish(p, "a", buf, 100, &seq)) == 0)
		accepted++;
	assert_int_equal(rc, JW_EAGAIN);
	assert_true(accepted > 0);
	assert_int_equal(jw_producer_eagain(p), 1);
	/* waiting calls run out of time with nobody draining */
	assert_int_equal(jw_publish_wait(p, "a", buf, 100, NULL, 20), JW_ETIMEDOUT);
	assert_int_equal(jw_outstanding(p), seq);
	assert_int_equal(jw_flush(p, 20), JW_ETIMEDOUT);
	jw_close(p);
	jw_shm_destroy(shm);
}

static void
eclosed_ebusy_eversion_eperm_paths(void **state)
{
	struct jw_shm *shm;
	jw_producer *p = NULL, *q = NULL, *r = NULL;
	struct jw_shm_slot *s;
	uint64_t saved;
	pid_t pid;
	int st;

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 1, 2, 4096, 16);
	assert_int_equal(open_rc(&p, -1), 0);
	assert_int_equal(open_rc(&q, -1), 0);
	assert_int_equal(open_rc(&r, -1), JW_EBUSY);
	/* slot taken back from under a handle (e.g. jetwire judged it dead) */
	s = slot_of(shm, q);
	saved = s->owner;
	s->owner = JW_OWNER_MAKE(0, JW_OWNER_GEN(saved), JW_OWNER_FREE);
	assert_int_equal(jw_publish(q, "a", "x", 1, NULL), JW_ECLOSED);
	assert_int_equal(jw_flush(q, -1), 0); /* nothing outstanding */
	assert_int_equal(jw_publish(p, "a", "x", 1, NULL), 0);
	jw_close(q);
	/* instance with another layout version */
	shm->hdr->version = 99;
	assert_int_equal(open_rc(&r, -1), JW_EVERSION);
	shm->hdr->version = JW_SHM_VERSION;
	/* no permission: as root, an unprivileged user outside the object's group; otherwise
	 * the object's mode cleared for a moment */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		jw_producer *c = NULL;
		char path[96];

		snprintf(path, sizeof(path), "/dev/shm/jetwire.%s", inst);
		if (geteuid() == 0 ? (setgid(65534) != 0 || setuid(65534) != 0) : chmod(path, 0) != 0)
			_exit(2);
		st = open_rc(&c, -1);
		if (geteuid() != 0)
			chmod(path, 0660);
		_exit(st == JW_EPERM ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
	/* instance destroyed under an open handle */
	jw_shm_destroy(shm);
	assert_int_equal(jw_publish(p, "a", "x", 1, NULL), JW_ECLOSED);
	assert_int_equal(jw_flush(p, 1000), JW_ECLOSED);
	jw_close(p);
}

/* JW_ENOMEM: a child whose address space cannot take the instance's mapping. */
static void
enomem_path(void **state)
{
	struct jw_shm *shm;
	pid_t pid;
	int st;

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 1, 4, 16u << 20, 16); /* 64 MiB of rings */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		jw_producer *c = NULL;
		unsigned long pages = 0;
		struct rlimit rl;
		FILE *f = fopen("/proc/self/statm", "r");

		if (f == NULL || fscanf(f, "%lu", &pages) != 1)
			_exit(3);
		fclose(f);
		rl.rlim_cur = rl.rlim_max = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (8u << 20);
		if (setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(4);
		_exit(open_rc(&c, -1) == JW_ENOMEM ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	jw_shm_destroy(shm);
}

static void
strerror_covers_every_code(void **state)
{
	const int codes[] = { JW_OK, JW_EAGAIN, JW_EINVAL, JW_E2BIG, JW_ENOTRUNNING, JW_ECLOSED,
			      JW_ETIMEDOUT, JW_ENOMEM, JW_EBUSY, JW_EVERSION, JW_EPERM };
	const char *unknown = jw_strerror(12345);

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_non_null(jw_strerror(codes[i]));
		assert_string_not_equal(jw_strerror(codes[i]), unknown);
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(jw_strerror(codes[i]), jw_strerror(codes[k]));
	}
	for (int rsn = 0; rsn < JW_R_MAX; rsn++)
		assert_string_not_equal(jw_reason_str(rsn), jw_reason_str(-1));
}

/* ---- headers, reports and flush against a consumer thread ---- */

struct drain_ctx {
	struct jw_shm *shm;
	volatile int stop;
	uint64_t reported;
	uint64_t fail_every;      /* fail seq % fail_every == 0 with JW_R_NO_STREAM / 503 */
	char seen[8][160];        /* "subject|header|payload start" of the first records */
};

/* Plays jetwire for every slot: peek, send, report acked (stream seq = 100 + seq), release. */
static void *
drain_thread(void *arg)
{
	struct drain_ctx *c = arg;
	struct jw_shm_view v[32];

	while (!c->stop) {
		int idle = 1;
		for (uint32_t t = 0; t < c->shm->n_tx; t++)
			for (uint32_t i = 0; i < c->shm->slots_per_tx; i++) {
				struct jw_shm_slot *s = jw_shm_slot(c->shm, t, i);
				unsigned n = jw_shm_peek(c->shm, s, v, 32), k;
				uint64_t end = 0;

				for (k = 0; k < n; k++) {
					struct jw_shm_report r = { .seq = v[k].seq,
						.stream_seq = 100 + v[k].seq, .status = JW_ACKED };
					if (v[k].reason) {
						r.status = JW_FAILED;
						r.reason = (uint16_t)v[k].reason;
					}
					if (c->fail_every && v[k].seq % c->fail_every == 0) {
						r.status = JW_FAILED;
						r.reason = JW_R_NO_STREAM;
						r.code = 503;
					}
					if (c->reported < 8)
						snprintf(c->seen[c->reported], sizeof(c->seen[0]),
							 "%.*s|%.*s|%.*s", (int)v[k].subject_len,
							 v[k].subject, (int)v[k].hdr_len,
							 v[k].hdr ? v[k].hdr : "",
							 (int)JW_MIN(v[k].payload_len, 12u),
							 (const char *)v[k].payload);
					memcpy(r.stream, "S1", 2);
					if (jw_shm_report(c->shm, s, &r) != 0)
						break;
					end = v[k].end;
					c->reported++;
				}
				if (k) {
					jw_shm_mark_sent(c->shm, s, end);
					jw_shm_release(c->shm, s, end);
					idle = 0;
				}
			}
		if (idle)
			sleep_ms(1);
	}
	return NULL;
}

static void
headers_reports_and_flush(void **state)
{
	struct jw_shm *shm;
	jw_producer *p = NULL;
	struct drain_ctx c;
	pthread_t th;
	struct jw_report rep[64];
	const char hdr[] = "NATS/1.0\r\nTrace: abc\r\n\r\n";
	struct jw_msg m = { .subject = "h.x", .hdr = hdr, .hdr_len = sizeof(hdr) - 1,
			    .data = "body", .data_len = 4 };
	uint64_t seq, next = 1;
	const int total = 5000;

	(void)state;
	new_instance();
	/* small rings: waits and a full report ring happen */
	shm = jwt_shm_mk(inst, 1, 1, 4096, 16);
	assert_int_equal(open_rc(&p, 0), 0);
	{ /* the header block reaches the ring byte for byte */
		struct jw_shm_view v;
		struct jw_shm_slot *s = slot_of(shm, p);
		assert_int_equal(jw_publish_msg(p, &m, &seq), 0);
		assert_int_equal(jw_shm_peek(shm, s, &v, 1), 1);
		assert_int_equal(v.hdr_len, sizeof(hdr) - 1);
		assert_memory_equal(v.hdr, hdr, sizeof(hdr) - 1);
		assert_memory_equal(v.payload, "body", 4);
	}
	memset(&c, 0, sizeof(c));
	c.shm = shm;
	assert_int_equal(pthread_create(&th, NULL, drain_thread, &c), 0);
	for (int i = 1; i < total; i++) {
		assert_int_equal(jw_publish_msg_wait(p, &m, &seq, 10000), 0);
		assert_int_equal(seq, (uint64_t)i + 1);
	}
	assert_int_equal(jw_flush(p, 20000), 0);
	assert_int_equal(jw_outstanding(p), 0);
	for (;;) {
		int n = jw_reports(p, rep, 64);
		assert_true(n >= 0);
		if (n == 0)
			break;
		for (int k = 0; k < n; k++) {
			assert_int_equal(rep[k].seq, next);
			assert_int_equal(rep[k].status, JW_ACKED);
			assert_int_equal(rep[k].stream_seq, 100 + next);
			assert_string_equal(rep[k].stream, "S1");
			next++;
		}
	}
	assert_int_equal(next, (uint64_t)total + 1);
	c.stop = 1;
	pthread_join(th, NULL);
	jw_close(p);
	jw_shm_destroy(shm);
}

/* <root> of the tree this test binary was built in (<root>/<build>/tests/test_producer),
 * and <root>/<build>. */
static void
tree_paths(char *root, char *build, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	assert_true(n > 0);
	exe[n] = '\0';
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(exe, '/');
		assert_non_null(slash);
		*slash = '\0';
		if (up == 1)
			snprintf(build, len, "%s", exe);
	}
	snprintf(root, len, "%s", exe);
}

/* ---- jwpub against this process as jetwire ---- */

static void
jwpub_publishes_waits_and_reports(void **state)
{
	struct jw_shm *shm;
	struct drain_ctx c;
	pthread_t th;
	char root[PATH_MAX], build[PATH_MAX], cmd[2 * PATH_MAX], out[4096];
	FILE *f;
	size_t n;
	int st;

	(void)state;
	tree_paths(root, build, sizeof(root));
	new_instance();
	shm = jwt_shm_mk(inst, 1, 2, 8192, 16);
	memset(&c, 0, sizeof(c));
	c.shm = shm;
	c.fail_every = 100;
	assert_int_equal(pthread_create(&th, NULL, drain_thread, &c), 0);
	/* 3000 messages through an 8 KiB ring: EAGAIN retries, reports drained meanwhile */
	snprintf(cmd, sizeof(cmd), "%s/jwpub -i %s -s orders -n 3000 -z 40 --subjects 3 "
		 "-H 'Trace: t1' -H 'X-B: 2' --wait --timeout 20 --json", build, inst);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	st = pclose(f);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1); /* some failed */
	assert_non_null(strstr(out, "\"published\":3000,"));
	assert_non_null(strstr(out, "\"acked\":2970,"));
	assert_non_null(strstr(out, "\"failed\":30,"));
	assert_non_null(strstr(out, "\"missing\":0,"));
	assert_non_null(strstr(out, "\"no stream for subject (code 503, err_code 0)\":30"));
	assert_non_null(strstr(out, "\"p99\":"));
	assert_string_equal(c.seen[0], "orders.0|NATS/1.0\r\nTrace: t1\r\nX-B: 2\r\n\r\n|0 cdefghijkl");
	assert_string_equal(c.seen[1], "orders.1|NATS/1.0\r\nTrace: t1\r\nX-B: 2\r\n\r\n|1 cdefghijkl");
	assert_string_equal(c.seen[4], "orders.1|NATS/1.0\r\nTrace: t1\r\nX-B: 2\r\n\r\n|4 cdefghijkl");
	/* all acked: exit 0, text output */
	c.fail_every = 0;
	snprintf(cmd, sizeof(cmd), "%s/jwpub -i %s -s one -n 500 --rate 50000 --wait", build, inst);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	st = pclose(f);
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_non_null(strstr(out, "500 acked"));
	assert_non_null(strstr(out, "0 failed, 0 missing"));
	/* bad subject and bad header: usage errors, exit 2 */
	snprintf(cmd, sizeof(cmd), "%s/jwpub -i %s -s 'a b' 2>/dev/null >/dev/null", build, inst);
	assert_int_equal(WEXITSTATUS(system(cmd)), 2);
	snprintf(cmd, sizeof(cmd), "%s/jwpub -i %s -s a -H nocolon 2>/dev/null", build, inst);
	assert_int_equal(WEXITSTATUS(system(cmd)), 2);
	c.stop = 1;
	pthread_join(th, NULL);
	jw_shm_destroy(shm);
	snprintf(cmd, sizeof(cmd), "%s/jwpub -i %s -s a 2>/dev/null", build, inst);
	assert_int_equal(WEXITSTATUS(system(cmd)), 2); /* not running */
}

/* ---- the header compiles as C++ ---- */

static void
header_compiles_as_cxx(void **state)
{
	char root[PATH_MAX], build[PATH_MAX], src[] = "/tmp/jw-cxx-XXXXXX.cpp", cmd[3 * PATH_MAX];
	FILE *f;
	int fd;

	(void)state;
	tree_paths(root, build, sizeof(root));
	fd = mkstemps(src, 4);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("#include <jetwire.h>\n"
	      "#include <cstdio>\n"
	      "int main() {\n"
	      "  jw_producer *p = nullptr;\n"
	      "  jw_open_opts o = { \"default\", -1 };\n"
	      "  if (jw_open(&p, &o) != 0) return 1;\n"
	      "  jw_msg m = { \"a.b\", nullptr, 0, \"x\", 1 };\n"
	      "  uint64_t seq = 0;\n"
	      "  int rc = jw_publish_msg(p, &m, &seq) + jw_publish(p, \"a\", \"x\", 1, &seq);\n"
	      "  jw_report r[4] = {};\n"
	      "  rc += jw_reports(p, r, 4) + jw_flush(p, 10) + jw_publish_wait(p, \"a\", \"x\", 1, &seq, 1);\n"
	      "  std::printf(\"%s %s %d\\n\", jw_strerror(JW_EAGAIN), jw_reason_str(r[0].reason), rc);\n"
	      "  return jw_close(p) == JW_OK && rc != JW_ECLOSED ? 0 : 2;\n"
	      "}\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "g++ -std=c++11 -Wall -Wextra -Werror -pedantic -I%s/lib/include -c %s -o %s.o && "
		 "nm %s.o | grep -Eq ' U jw_open$' && nm %s.o | grep -Eq ' U jw_publish_msg$'",
		 root, src, src, src, src);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s.o", src);
	unlink(cmd);
	unlink(src);
}

/* ---- multi-process stress ---- */

#define STRESS_PRODUCERS 4

static size_t
stress_len(uint64_t i)
{
	return 24 + (size_t)((i * 7919) % 233); /* 24..256 bytes: wraps land everywhere */
}

/* Writes the decimal v at b; returns the number of digits. */
static size_t
put_dec(char *b, uint64_t v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		b[i] = tmp[n - 1 - i];
	return n;
}

/* Payload of record i of producer k: "k i " then letters, len bytes (len >= 24). */
static void
stress_fill(char *buf, unsigned k, uint64_t i, size_t len)
{
	size_t n = put_dec(buf, k);

	buf[n++] = ' ';
	n += put_dec(buf + n, i);
	buf[n++] = ' ';
	for (size_t b = n; b < len; b++)
		buf[b] = (char)('a' + (i + b) % 26);
}

/* Child: publish n records (seq i+1 carries "k i "), read every report in order, flush. */
static int
stress_producer(unsigned k, uint64_t n)
{
	jw_producer *p = NULL;
	struct jw_report rep[128];
	char subj[32], buf[300];
	uint64_t i = 0, seq, next_rep = 1, eagain = 0;

	snprintf(subj, sizeof(subj), "stress.%u", k);
	if (open_rc(&p, -1) != 0)
		return 10;
	while (i < n || next_rep <= n) {
		if (i < n) {
			size_t len = stress_len(i);
			stress_fill(buf, k, i, len);
			int rc = jw_publish(p, subj, buf, len, &seq);
			if (rc == 0) {
				if (seq != i + 1)
					return 11;
				i++;
			} else if (rc == JW_EAGAIN) {
				eagain++;
			} else {
				return 12;
			}
		}
		if (i == n || (i & 63) == 0 || eagain) {
			int m = jw_reports(p, rep, 128);
			for (int x = 0; x < m; x++) {
				if (rep[x].seq != next_rep || rep[x].status != JW_ACKED ||
				    strcmp(rep[x].stream, "STRESS") != 0)
					return 13;
				next_rep++;
			}
			if (m == 0 && (i == n || eagain))
				sched_yield();
			eagain = 0;
		}
	}
	if (jw_flush(p, 30000) != 0 || jw_outstanding(p) != 0)
		return 14;
	jw_close(p);
	return 0;
}

struct slot_check {
	uint64_t next_seq;   /* expected next producer seq */
	int k;               /* producer id seen in this slot, -1 before the first record */
	uint64_t prev_end;   /* released one round late: sent runs ahead of released */
};

/* Checks one view against what producer k wrote for seq. */
static int
stress_view_ok(const struct jw_shm_view *v, struct slot_check *sc)
{
	char want[300], subj[32];
	unsigned k = 0;
	uint64_t i;
	size_t len, sl;
	const uint8_t *q = v->payload, *e = v->payload + v->payload_len;

	if (v->reason != 0 || v->seq != sc->next_seq || v->payload_len < 4)
		return 0;
	while (q < e && *q >= '0' && *q <= '9')
		k = k * 10 + (unsigned)(*q++ - '0');
	if (sc->k < 0)
		sc->k = (int)k;
	if ((int)k != sc->k)
		return 0;
	i = v->seq - 1;
	len = stress_len(i);
	if (v->payload_len != len)
		return 0;
	stress_fill(want, k, i, len);
	memcpy(subj, "stress.", 7);
	sl = 7 + put_dec(subj + 7, k);
	return memcmp(v->payload, want, len) == 0 && v->subject_len == sl &&
	       memcmp(v->subject, subj, sl) == 0;
}

/* Children of the test that fails must not outlive it. */
static pid_t kids[16];
static int n_kids;

static pid_t
spawn(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(120); /* never outlive a stuck test */
		return 0;
	}
	kids[n_kids++] = pid;
	return pid;
}

static int
kill_kids(void **state)
{
	(void)state;
	for (int i = 0; i < n_kids; i++)
		if (kill(kids[i], SIGKILL) == 0)
			waitpid(kids[i], NULL, 0);
	n_kids = 0;
	return 0;
}

static void
multi_process_stress(void **state)
{
	const char *env = getenv("JW_STRESS_RECORDS");
	uint64_t total = env ? strtoull(env, NULL, 10) : 20000000ULL;
	uint64_t per = total / STRESS_PRODUCERS, got = 0, stream_seq = 0, report_full = 0;
	struct jw_shm *shm;
	struct slot_check sc[8];
	struct jw_shm_view v[64];
	int running = STRESS_PRODUCERS, bad = 0;
	uint64_t t0, t1;

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 2, 4, 65536, 256);
	for (int i = 0; i < 8; i++)
		sc[i] = (struct slot_check){ .next_seq = 1, .k = -1 };
	t0 = jw_mono_ns();
	for (unsigned k = 0; k < STRESS_PRODUCERS; k++) {
		if (spawn() == 0)
			_exit(stress_producer(k, per));
	}
	while (running > 0 || got < per * STRESS_PRODUCERS) {
		int idle = 1;
		for (uint32_t t = 0; t < 2; t++)
			for (uint32_t i = 0; i < 4; i++) {
				struct jw_shm_slot *s = jw_shm_slot(shm, t, i);
				struct slot_check *c = &sc[t * 4 + i];
				unsigned n = jw_shm_peek(shm, s, v, 64), x;
				uint64_t end = 0;

				for (x = 0; x < n; x++) {
					struct jw_shm_report r = { .seq = v[x].seq, .status = JW_ACKED };
					if (!stress_view_ok(&v[x], c)) {
						bad++;
						break;
					}
					memcpy(r.stream, "STRESS", 6);
					r.stream_seq = ++stream_seq;
					if (jw_shm_report(shm, s, &r) == -EAGAIN) {
						stream_seq--;
						report_full++;
						break;
					}
					c->next_seq++;
					end = v[x].end;
					got++;
				}
				if (x) {
					assert_int_equal(jw_shm_mark_sent(shm, s, end), 0);
					idle = 0;
				}
				/* release lags one round: [released, sent) is a live resend buffer */
				if (c->prev_end > jw_shm_released(s))
					assert_int_equal(jw_shm_release(shm, s, c->prev_end), 0);
				c->prev_end = jw_shm_sent(s);
			}
		assert_int_equal(bad, 0);
		if (idle) {
			int st;
			pid_t w;
			while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
				assert_true(WIFEXITED(st));
				if (WEXITSTATUS(st) != 0)
					fail_msg("producer exited %d", WEXITSTATUS(st));
				running--;
			}
			if (running > 0 || got < per * STRESS_PRODUCERS)
				sched_yield();
		}
	}
	t1 = jw_mono_ns();
	assert_int_equal(got, per * STRESS_PRODUCERS);
	for (int i = 0; i < 8; i++) {
		struct jw_shm_slot *s = jw_shm_slot(shm, (uint32_t)i / 4, (uint32_t)i % 4);
		assert_int_equal(jw_shm_release(shm, s, jw_shm_sent(s)), 0);
	}
	for (int i = 0; i < 8; i++) {
		struct jw_shm_slot *s = jw_shm_slot(shm, (uint32_t)i / 4, (uint32_t)i % 4);
		if (sc[i].k >= 0) {
			assert_int_equal(sc[i].next_seq, per + 1);
			assert_true(s->head > 100 * 65536ULL || per < 100000); /* many laps */
		}
		assert_int_equal(s->head, s->released);
		assert_int_equal(s->bad_records, 0);
	}
	fprintf(stderr, "stress: %" PRIu64 " records from %d processes in %.1f s, report ring "
		"full %" PRIu64 " times\n", got, STRESS_PRODUCERS,
		(double)(t1 - t0) / 1e9, report_full);
	n_kids = 0;
	jw_shm_destroy(shm);
}

/* ---- SIGKILL mid-publish ---- */

static void
sigkill_mid_publish_recovers(void **state)
{
	struct jw_shm *shm;
	struct jw_shm_slot *s;
	struct jw_shm_view v[64];

	(void)state;
	new_instance();
	shm = jwt_shm_mk(inst, 1, 1, 16384, 64);
	s = jw_shm_slot(shm, 0, 0);
	for (int round = 0; round < 6; round++) {
		uint64_t next = 1, target = 500 + 700 * (uint64_t)round;
		uint32_t gen_before;
		time_t t_end = time(NULL) + 30;
		pid_t pid;
		int st;

		pid = spawn();
		if (pid == 0) {
			jw_producer *c = NULL;
			char buf[300];
			uint64_t i = 0;
			if (open_rc(&c, 0) != 0)
				_exit(2);
			for (;;) { /* publish until killed */
				size_t len = stress_len(i);
				stress_fill(buf, 7, i, len);
				if (jw_publish(c, "stress.7", buf, len, NULL) == 0)
					i++;
			}
		}
		/* drain while it publishes, then kill it at an arbitrary point */
		while (next < target) {
			unsigned n = jw_shm_peek(shm, s, v, 64);
			for (unsigned x = 0; x < n; x++) {
				struct slot_check c = { .next_seq = next, .k = 7 };
				assert_true(stress_view_ok(&v[x], &c));
				next++;
			}
			if (n) {
				jw_shm_mark_sent(shm, s, v[n - 1].end);
				jw_shm_release(shm, s, v[n - 1].end);
			} else {
				assert_true(time(NULL) < t_end);
				sched_yield();
			}
		}
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFSIGNALED(st));
		/* whatever it committed is intact and in order; nothing torn follows */
		for (;;) {
			unsigned n = jw_shm_peek(shm, s, v, 64);
			if (n == 0)
				break;
			for (unsigned x = 0; x < n; x++) {
				struct slot_check c = { .next_seq = next, .k = 7 };
				assert_true(stress_view_ok(&v[x], &c));
				next++;
			}
			jw_shm_mark_sent(shm, s, v[n - 1].end);
			jw_shm_release(shm, s, v[n - 1].end);
		}
		assert_true(next > 1);
		assert_int_equal(s->head, s->released);
		assert_int_equal(s->bad_records, 0);
		gen_before = jw_shm_slot_gen(s);
		assert_int_equal(jw_shm_reclaim(shm), 1);
		assert_int_equal(JW_OWNER_STATE(s->owner), JW_OWNER_FREE);
		assert_int_equal(jw_shm_slot_gen(s), gen_before);
	}
	/* deterministic torn write: record bytes written, commit not, then SIGKILL */
	{
		pid_t pid = spawn();
		int st;
		if (pid == 0) {
			jw_producer *c = NULL;
			struct jw_shm *a = jw_shm_attach(inst);
			struct jw_shm_slot *cs;
			struct jw_shm_rec *r;
			uint64_t head;
			if (a == NULL || open_rc(&c, 0) != 0)
				_exit(2);
			for (int i = 0; i < 3; i++)
				if (jw_publish(c, "torn", "abc", 3, NULL) != 0)
					_exit(3);
			cs = jw_shm_slot(a, 0, 0);
			head = cs->head;
			r = (struct jw_shm_rec *)(void *)(jw_shm_slot_ring(a, cs) + (head & 16383));
			r->seq = 4;
			r->payload_len = 3;
			r->subject_len = 4;
			memcpy(r + 1, "tornab", 6); /* half written */
			raise(SIGKILL);
			_exit(4);
		}
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFSIGNALED(st));
		assert_int_equal(jw_shm_peek(shm, s, v, 64), 3);
		for (int x = 0; x < 3; x++) {
			assert_int_equal(v[x].reason, 0);
			assert_int_equal(v[x].seq, (uint64_t)x + 1);
		}
		jw_shm_mark_sent(shm, s, v[2].end);
		assert_int_equal(jw_shm_reclaim(shm), 0); /* orphan, records not final */
		jw_shm_release(shm, s, v[2].end);
		assert_int_equal(jw_shm_reclaim(shm), 1);
	}
	/* the slot serves a new producer */
	{
		jw_producer *p = NULL;
		uint64_t seq;
		assert_int_equal(open_rc(&p, 0), 0);
		assert_int_equal(jw_publish(p, "after.kill", "x", 1, &seq), 0);
		assert_int_equal(seq, 1);
		assert_int_equal(jw_shm_peek(shm, s, v, 64), 1);
		assert_int_equal(v[0].seq, 1);
		jw_close(p);
	}
	n_kids = 0;
	jw_shm_destroy(shm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(einval_paths),
		cmocka_unit_test(enotrunning_paths),
		cmocka_unit_test(eagain_e2big_etimedout_paths),
		cmocka_unit_test(eclosed_ebusy_eversion_eperm_paths),
		cmocka_unit_test(enomem_path),
		cmocka_unit_test(strerror_covers_every_code),
		cmocka_unit_test(headers_reports_and_flush),
		cmocka_unit_test(header_compiles_as_cxx),
		cmocka_unit_test(jwpub_publishes_waits_and_reports),
		cmocka_unit_test_teardown(multi_process_stress, kill_kids),
		cmocka_unit_test_teardown(sigkill_mid_publish_recovers, kill_kids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
