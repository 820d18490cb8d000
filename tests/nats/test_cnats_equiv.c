/* Byte-for-byte equivalence of jetwire's publish frames with cnats (libnats 3.4).
 *
 * A minimal fake NATS server on a loopback socket (a thread) sends INFO with headers:true
 * and a small max_payload, answers PONG to every PING, and records every byte the client
 * writes. cnats connects to it and publishes a corpus with natsConnection_PublishMsg:
 * subjects of many shapes, with and without a reply, header sets made with
 * natsMsgHeader_Set/Add/Delete, payloads of 0 bytes up to max_payload (bytes that include
 * CR, LF and "PING\r\n", so only length framing works). After natsConnection_Flush (the
 * server has seen everything before its PING) the recording is compared, frame by frame,
 * with nats_pub_encode() and the resumable nats_frame_write() for the same message.
 *
 * cnats's header order: natsMsgHeader_encode() walks its header hash map (natsStrHash)
 * bucket by bucket, so the order of distinct names is the hash order, not the order they
 * were set; several values of one name (natsMsgHeader_Add) stay together in the order they
 * were added. cnats puts no status on the first line, writes "name: value" with one space,
 * and sends an HPUB with the 12-byte block "NATS/1.0\r\n\r\n" when a header map exists but
 * is empty (all names deleted). The test therefore reads the order cnats chose from its
 * block, checks that the block holds exactly the header lines the corpus set, and builds
 * jetwire's frame from the same ordered lines: through the Nats-Msg-Id composer when cnats
 * wrote Nats-Msg-Id first (as jetwire always does), otherwise as a caller header block
 * built with nats_hdr_build(). Either way the whole frame (control line, lengths, header
 * block, payload, CRLF) must be identical.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>
#include <nats/nats.h>

#include "common/jw_common.h"
#include "nats/nats_enc.h"
#include "nats/nats_validate.h"
#include "nats_tests.h"

#define MAX_PAYLOAD 65536

/* ---- fake server ------------------------------------------------------------------- */

struct fake_server {
	int lfd;
	int port;
	pthread_t thread;
	char *rec;		/* every byte the client wrote */
	size_t rec_len, rec_cap;
	size_t handshake_end;	/* offset after the CONNECT line and the first PING */
	size_t pings;
	int error;		/* nonzero: the client stream was not NATS as expected */
};

static void
rec_add(struct fake_server *s, const char *p, size_t n)
{
	if (s->rec_len + n > s->rec_cap) {
		s->rec_cap = (s->rec_len + n) * 2;
		s->rec = realloc(s->rec, s->rec_cap);
		if (s->rec == NULL)
			abort();
	}
	memcpy(s->rec + s->rec_len, p, n);
	s->rec_len += n;
}

/* Length of the last blank-separated number of line[0..n), or -1. */
static long
last_number(const char *line, size_t n)
{
	size_t e = n, b;

	while (e > 0 && (line[e - 1] == '\r' || line[e - 1] == ' '))
		e--;
	b = e;
	while (b > 0 && line[b - 1] >= '0' && line[b - 1] <= '9')
		b--;
	if (b == e)
		return -1;
	return strtol(line + b, NULL, 10);
}

static void *
server_main(void *arg)
{
	struct fake_server *s = arg;
	char info[256], buf[65536];
	size_t at = 0;
	struct timeval tv = { 20, 0 };
	int fd = accept(s->lfd, NULL, NULL);
	int n;

	if (fd < 0) {
		s->error = errno;
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = snprintf(info, sizeof(info),
		     "INFO {\"server_id\":\"FAKE\",\"version\":\"2.9.10\",\"proto\":1,\"go\":\"go\","
		     "\"host\":\"127.0.0.1\",\"port\":%d,\"headers\":true,\"max_payload\":%d}\r\n",
		     s->port, MAX_PAYLOAD);
	if (write(fd, info, (size_t)n) != n)
		s->error = EIO;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r <= 0)
			break;
		rec_add(s, buf, (size_t)r);
		/* frame what has arrived: lines, and PUB/HPUB payloads by their length */
		for (;;) {
			char *line = s->rec + at;
			char *nl = memchr(line, '\n', s->rec_len - at);
			size_t ll;

			if (nl == NULL)
				break;
			ll = (size_t)(nl - line) + 1;
			if (ll >= 4 && (memcmp(line, "PUB ", 4) == 0 || memcmp(line, "HPUB ", 5) == 0)) {
				long total = last_number(line, ll - 1);

				if (total < 0) {
					s->error = EPROTO;
					break;
				}
				if (s->rec_len - at < ll + (size_t)total + 2)
					break; /* payload not complete yet */
				at += ll + (size_t)total + 2;
				continue;
			}
			at += ll;
			if (ll >= 4 && memcmp(line, "PING", 4) == 0) {
				if (s->pings++ == 0)
					s->handshake_end = at;
				if (write(fd, "PONG\r\n", 6) != 6)
					s->error = EIO;
			}
		}
	}
	close(fd);
	return NULL;
}

static int
server_start(struct fake_server *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);

	memset(s, 0, sizeof(*s));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(s->lfd, 1) != 0 || getsockname(s->lfd, (struct sockaddr *)&a, &al) != 0)
		return -errno;
	s->port = ntohs(a.sin_port);
	return pthread_create(&s->thread, NULL, server_main, s) == 0 ? 0 : -EAGAIN;
}

/* ---- corpus ------------------------------------------------------------------------ */

struct hdr_kv {
	const char *name;
	const char *value;
	int op; /* 0 Set, 1 Add, 2 Delete (value unused) */
};

#define HSET_MAX 12

struct hset {
	struct hdr_kv kv[HSET_MAX];
	int n;
	bool has_headers; /* whether a header map is created at all */
};

static const struct hset hsets[] = {
	{ .n = 0, .has_headers = false },
	{ .kv = { { "Nats-Msg-Id", "jw1-0-1", 0 } }, .n = 1, .has_headers = true },
	{ .kv = { { "Nats-Msg-Id", "jw1-3-18446744073709551615", 0 }, { "X-A", "1", 0 } },
	  .n = 2, .has_headers = true },
	{ .kv = { { "X-Trace", "abc def", 0 }, { "Content-Type", "application/json", 0 },
		  { "Nats-Msg-Id", "m-42", 0 }, { "X-Multi", "v1", 1 }, { "X-Multi", "v2", 1 },
		  { "X-Multi", "v3", 1 }, { "Empty", "", 0 } },
	  .n = 7, .has_headers = true },
	{ .kv = { { "A", "1", 0 }, { "B", "2", 0 }, { "C", "3", 0 }, { "D", "4", 0 },
		  { "E", "5", 0 }, { "F", "6", 0 }, { "G", "7", 0 }, { "H", "8", 0 },
		  { "Nats-Msg-Id", "x", 0 } },
	  .n = 9, .has_headers = true },
	{ .kv = { { "Nats-Expected-Stream", "ORDERS", 0 }, { "Nats-Expected-Last-Sequence", "7", 0 },
		  { "X-Colon", "a:b: c", 0 } },
	  .n = 3, .has_headers = true },
	{ .kv = { { "X-Gone", "v", 0 }, { "X-Gone", NULL, 2 } }, .n = 2, .has_headers = true },
	{ .kv = { { "Nats-Msg-Id", "first", 0 }, { "Nats-Msg-Id", "second", 0 },
		  { "Long", "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
			    "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv", 0 } },
	  .n = 3, .has_headers = true },
};

static char long_subject[NATS_SUBJECT_MAX + 1];

static const char *subjects[] = {
	"a", "orders", "orders.eu.new", "a*b.c>d", "foo-bar_baz.123.$x", "$JS.API.STREAM.INFO.S",
	"_INBOX.aBcD1234.x", "\xc3\xbcnicode.subj.\xe2\x82\xac", long_subject,
};

static const char *replies[] = { NULL, "_INBOX.r", "_JW.inst-1.3.18446744073709551615" };

static const size_t sizes[] = { 0, 1, 2, 15, 16, 127, 128, 1023, 1024, 1460, 4095, 4096,
				65535, MAX_PAYLOAD };

struct corpus_msg {
	const char *subject;
	const char *reply;
	const struct hset *h;
	size_t size;
	size_t seed;
};

static void
fill_payload(char *p, size_t n, size_t seed)
{
	static const char pat[] = "PING\r\nPUB x 1\r\n\r\n\0\xff";

	for (size_t i = 0; i < n; i++)
		p[i] = (i + seed) % 7 == 0 ? pat[(i / 7 + seed) % (sizeof(pat) - 1)]
					   : (char)(i * 131 + seed * 7);
}

/* Expected header lines of a set after its operations, as "name: value" strings. */
static int
expected_lines(const struct hset *h, char out[][256])
{
	int n = 0;

	for (int i = 0; i < h->n; i++) {
		const struct hdr_kv *kv = &h->kv[i];

		if (kv->op == 0 || kv->op == 2) { /* Set and Delete drop earlier values */
			int w = 0;

			for (int k = 0; k < n; k++) {
				size_t nl = strlen(kv->name);

				if (!(strncmp(out[k], kv->name, nl) == 0 && out[k][nl] == ':'))
					memmove(out[w++], out[k], 256);
			}
			n = w;
		}
		if (kv->op != 2)
			snprintf(out[n++], 256, "%s: %s", kv->name, kv->value);
	}
	return n;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* ---- the test ---------------------------------------------------------------------- */

static natsStatus
cnats_publish(natsConnection *nc, const struct corpus_msg *c, const char *payload)
{
	natsMsg *m = NULL;
	natsStatus s = natsMsg_Create(&m, c->subject, c->reply, payload, (int)c->size);

	for (int i = 0; s == NATS_OK && c->h->has_headers && i < c->h->n; i++) {
		const struct hdr_kv *kv = &c->h->kv[i];

		if (kv->op == 0)
			s = natsMsgHeader_Set(m, kv->name, kv->value);
		else if (kv->op == 1)
			s = natsMsgHeader_Add(m, kv->name, kv->value);
		else
			s = natsMsgHeader_Delete(m, kv->name);
	}
	if (s == NATS_OK)
		s = natsConnection_PublishMsg(nc, m);
	natsMsg_Destroy(m);
	return s;
}

/* Compares the cnats frame at rec[0..) with jetwire's frame for c; returns its length.
 * *via_msgid counts frames built through the Nats-Msg-Id composer. */
static size_t
check_frame(const char *rec, size_t rec_len, const struct corpus_msg *c, const char *payload,
	    int *via_msgid)
{
	const char *nl = memchr(rec, '\n', rec_len);
	struct nats_pub m = { 0 };
	char hdrbuf[4096], lines[HSET_MAX][256], want[HSET_MAX][256];
	struct nats_hdr_field f[HSET_MAX];
	int nf = 0;
	ssize_t size;
	char *mine;

	assert_non_null(nl);
	m.subject = c->subject;
	m.subject_len = strlen(c->subject);
	m.reply = c->reply;
	m.reply_len = c->reply ? strlen(c->reply) : 0;
	m.payload = payload;
	m.payload_len = c->size;

	if (c->h->has_headers) {
		/* cnats's header block follows its control line: HPUB ... <hdr> <total>\r\n */
		const char *ctl_end = nl + 1, *sp;
		long hlen;
		const char *hb, *p, *e;

		assert_memory_equal(rec, "HPUB ", 5);
		sp = nl - 1;
		while (*sp != ' ')
			sp--;
		sp--;
		while (*sp != ' ')
			sp--;
		hlen = strtol(sp + 1, NULL, 10);
		assert_true(hlen >= 12);
		hb = ctl_end;
		assert_memory_equal(hb, "NATS/1.0\r\n", 10);
		assert_memory_equal(hb + hlen - 2, "\r\n", 2);
		/* its lines, in cnats's order */
		p = hb + 10;
		e = hb + hlen - 2;
		while (p < e) {
			const char *le = memchr(p, '\r', (size_t)(e - p));
			const char *colon;

			assert_non_null(le);
			assert_true(nf < HSET_MAX);
			snprintf(lines[nf], 256, "%.*s", (int)(le - p), p);
			colon = memchr(p, ':', (size_t)(le - p));
			assert_non_null(colon);
			f[nf].name = p;
			f[nf].name_len = (size_t)(colon - p);
			f[nf].value = colon + 2;
			f[nf].value_len = (size_t)(le - colon - 2);
			nf++;
			p = le + 2;
		}
		/* exactly the lines the corpus set, whatever their order */
		{
			int nw = expected_lines(c->h, want);

			assert_int_equal(nw, nf);
			qsort(want, (size_t)nw, 256, cmp_str);
			qsort(lines, (size_t)nf, 256, cmp_str);
			for (int i = 0; i < nf; i++)
				assert_string_equal(lines[i], want[i]);
		}
		if (nf > 0 && f[0].name_len == 11 && memcmp(f[0].name, "Nats-Msg-Id", 11) == 0) {
			m.msg_id = f[0].value;
			m.msg_id_len = f[0].value_len;
			(*via_msgid)++;
			if (nf > 1) {
				ssize_t hl = nats_hdr_build(hdrbuf, sizeof(hdrbuf), f + 1, (size_t)nf - 1);

				assert_true(hl > 0);
				m.hdr = hdrbuf;
				m.hdr_len = (size_t)hl;
			}
		} else {
			ssize_t hl = nats_hdr_build(hdrbuf, sizeof(hdrbuf), f, (size_t)nf);

			assert_true(hl >= 12);
			assert_int_equal(nats_hdr_check(hdrbuf, (size_t)hl), 0);
			m.hdr = hdrbuf;
			m.hdr_len = (size_t)hl;
		}
	}
	size = nats_pub_size(&m);
	assert_true(size > 0);
	assert_true((size_t)size <= rec_len);
	mine = malloc((size_t)size);
	assert_non_null(mine);
	assert_int_equal(nats_pub_encode(mine, (size_t)size, &m), size);
	if (memcmp(mine, rec, (size_t)size) != 0)
		fail_msg("frame differs from cnats: subject %s size %zu\ncnats: %.*s\nmine:  %.*s",
			 c->subject, c->size, (int)JW_MIN((size_t)size, 200u), rec,
			 (int)JW_MIN((size_t)size, 200u), mine);
	/* the resumable writer, in 1460-byte segments, gives the same bytes */
	{
		struct nats_frame fr;
		size_t at = 0, n;
		char seg[1460];

		assert_int_equal(nats_frame_init(&fr, &m), 0);
		while ((n = nats_frame_write(&fr, seg, sizeof(seg))) > 0) {
			assert_memory_equal(seg, rec + at, n);
			at += n;
		}
		assert_int_equal(at, (size_t)size);
	}
	free(mine);
	return (size_t)size;
}

static void
cnats_frames_identical(void **state)
{
	struct fake_server srv;
	natsOptions *opts = NULL;
	natsConnection *nc = NULL;
	char url[64];
	struct corpus_msg *corpus;
	size_t ncorpus = 0, cap, at;
	char *payload = malloc(MAX_PAYLOAD);
	int via_msgid = 0, hpubs = 0, pubs = 0;

	(void)state;
	assert_non_null(payload);
	/* a 512-byte subject of several tokens */
	memset(long_subject, 'k', NATS_SUBJECT_MAX);
	for (size_t i = 50; i < NATS_SUBJECT_MAX; i += 50)
		long_subject[i] = '.';
	long_subject[NATS_SUBJECT_MAX] = '\0';
	assert_int_equal(nats_subject_check(long_subject, NATS_SUBJECT_MAX), 0);

	/* corpus: every subject x reply x header set, payload sizes cycling; plus every size
	 * for a few shapes */
	cap = JW_ARRAY_SIZE(subjects) * JW_ARRAY_SIZE(replies) * JW_ARRAY_SIZE(hsets) +
	      JW_ARRAY_SIZE(sizes) * JW_ARRAY_SIZE(hsets);
	corpus = calloc(cap, sizeof(*corpus));
	assert_non_null(corpus);
	for (size_t s = 0; s < JW_ARRAY_SIZE(subjects); s++)
		for (size_t r = 0; r < JW_ARRAY_SIZE(replies); r++)
			for (size_t h = 0; h < JW_ARRAY_SIZE(hsets); h++) {
				struct corpus_msg *c = &corpus[ncorpus];

				c->subject = subjects[s];
				c->reply = replies[r];
				c->h = &hsets[h];
				c->size = sizes[ncorpus % 9]; /* up to 1023 bytes */
				c->seed = ncorpus;
				ncorpus++;
			}
	for (size_t z = 0; z < JW_ARRAY_SIZE(sizes); z++)
		for (size_t h = 0; h < JW_ARRAY_SIZE(hsets); h++) {
			struct corpus_msg *c = &corpus[ncorpus];

			c->subject = subjects[(z + h) % JW_ARRAY_SIZE(subjects)];
			c->reply = replies[(z + h) % JW_ARRAY_SIZE(replies)];
			c->h = &hsets[h];
			c->size = sizes[z];
			if (c->size > MAX_PAYLOAD - 1024 && hsets[h].has_headers) {
				/* cnats (like nats-server) bounds header + payload by max_payload:
				 * make the total exactly max_payload */
				char l[HSET_MAX][256];
				int nl = expected_lines(&hsets[h], l);
				size_t hl = 12;

				for (int i = 0; i < nl; i++)
					hl += strlen(l[i]) + 2;
				if (c->size + hl > MAX_PAYLOAD)
					c->size = MAX_PAYLOAD - hl;
			}
			c->seed = ncorpus;
			ncorpus++;
		}

	assert_int_equal(server_start(&srv), 0);
	snprintf(url, sizeof(url), "nats://127.0.0.1:%d", srv.port);
	assert_int_equal(natsOptions_Create(&opts), NATS_OK);
	assert_int_equal(natsOptions_SetURL(opts, url), NATS_OK);
	assert_int_equal(natsOptions_SetAllowReconnect(opts, false), NATS_OK);
	assert_int_equal(natsOptions_SetTimeout(opts, 5000), NATS_OK);
	assert_int_equal(natsConnection_Connect(&nc, opts), NATS_OK);
	for (size_t i = 0; i < ncorpus; i++) {
		fill_payload(payload, corpus[i].size, corpus[i].seed);
		natsStatus ps = cnats_publish(nc, &corpus[i], payload);

		if (ps != NATS_OK)
			fail_msg("cnats publish %zu (subject %s, %zu bytes) failed: %s", i,
				 corpus[i].subject, corpus[i].size, nats_GetLastError(NULL));
	}
	assert_int_equal(natsConnection_Flush(nc), NATS_OK);
	/* cnats refuses a payload over max_payload, as the server would */
	{
		struct corpus_msg big = { "a", NULL, &hsets[0], MAX_PAYLOAD + 1, 0 };
		char *bp = calloc(1, MAX_PAYLOAD + 1);

		assert_non_null(bp);
		assert_int_equal(cnats_publish(nc, &big, bp), NATS_MAX_PAYLOAD);
		free(bp);
	}
	natsConnection_Close(nc);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(opts);
	pthread_join(srv.thread, NULL);
	close(srv.lfd);
	assert_int_equal(srv.error, 0);
	assert_true(srv.pings >= 2);

	/* the recording: CONNECT, PING, the frames, the flush's PING */
	assert_true(srv.rec_len > 8 && memcmp(srv.rec, "CONNECT ", 8) == 0);
	at = srv.handshake_end;
	for (size_t i = 0; i < ncorpus; i++) {
		fill_payload(payload, corpus[i].size, corpus[i].seed);
		if (corpus[i].h->has_headers)
			hpubs++;
		else
			pubs++;
		at += check_frame(srv.rec + at, srv.rec_len - at, &corpus[i], payload, &via_msgid);
	}
	assert_true(srv.rec_len - at >= 6);
	assert_memory_equal(srv.rec + at, "PING\r\n", 6);
	/* both header paths were exercised, on many frames */
	assert_true(via_msgid >= 30);
	assert_true(hpubs - via_msgid >= 30);
	assert_true(pubs >= 30);
	print_message("cnats equivalence: %zu frames (%d PUB, %d HPUB of which %d via the "
		      "Nats-Msg-Id composer), %zu bytes identical\n",
		      ncorpus, pubs, hpubs, via_msgid, at - srv.handshake_end);
	free(srv.rec);
	free(corpus);
	free(payload);
}

static int
teardown_nats(void **state)
{
	(void)state;
	nats_CloseAndWait(5000);
	return 0;
}

int
run_cnats_equiv_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cnats_frames_identical),
	};
	return cmocka_run_group_tests_name("nats_cnats_equiv", tests, NULL, teardown_nats);
}
