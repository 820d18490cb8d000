/* Unit tests of the session's TLS (lib/session/session_tls.c) with OpenSSL as the server
 * over memory BIOs, the test playing both lcores: the control side feeds the server's
 * bytes to session_ctl_bytes; the TX side takes the raw handshake flights
 * (session_tx_tls_pending), then the keys (session_tx_tls_keys), then seals what
 * session_tx_control hands out. Checks the hand-over order (nothing in clear, CONNECT only
 * after the keys, the last flight before the first record), KeyUpdate requests, a bad
 * record closing the session, the refusals (tls off vs tls_required, required vs none), and
 * that a new connection starts plain again. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "session/session.h"
#include "tls/tls.h"

#define MS 1000000ull

int session_tls_tests(void);

static const char info_tls[] =
	"INFO {\"server_id\":\"X\",\"version\":\"2.9.10\",\"proto\":1,\"headers\":true,"
	"\"max_payload\":1048576,\"jetstream\":true,\"tls_required\":true}\r\n";
static const char info_plain[] =
	"INFO {\"server_id\":\"X\",\"version\":\"2.9.10\",\"proto\":1,\"headers\":true,"
	"\"max_payload\":1048576,\"jetstream\":true}\r\n";

struct srv {
	SSL_CTX *ctx;
	SSL *s;
	BIO *rbio, *wbio;
};

static int ready_count;
static void on_ready(void *ctx) { (void)ctx; ready_count++; }
static void on_ack(void *ctx, uint64_t seq, const struct flow_ack *a) { (void)ctx; (void)seq; (void)a; }

static const struct session_cb cb = { .on_ack = on_ack, .on_ready = on_ready };

static void
srv_init(struct srv *v)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();

	assert_non_null(k);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"nats.test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	v->ctx = SSL_CTX_new(TLS_server_method());
	assert_int_equal(SSL_CTX_use_certificate(v->ctx, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(v->ctx, k), 1);
	X509_free(x);
	EVP_PKEY_free(k);
	v->s = SSL_new(v->ctx);
	v->rbio = BIO_new(BIO_s_mem());
	v->wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(v->rbio, -1);
	SSL_set_bio(v->s, v->rbio, v->wbio);
	SSL_set_accept_state(v->s);
}

static void
srv_free(struct srv *v)
{
	SSL_free(v->s);
	SSL_CTX_free(v->ctx);
}

static size_t
srv_out(struct srv *v, uint8_t *buf, size_t cap)
{
	int n = BIO_read(v->wbio, buf, (int)cap);

	return n > 0 ? (size_t)n : 0;
}

static struct session_params
params(struct tls_ctx *ctx, uint32_t mode)
{
	struct session_params p = {
		.run_id = 0xabc, .conn_index = 0, .name = "jetwire",
		.connect_timeout_ns = 1000 * MS, .ping_interval_ns = 0,
		.backoff_min_ns = 10 * MS, .backoff_max_ns = 40 * MS, .payload_cap = 4096,
		.tls_mode = mode, .tls_ctx = ctx,
	};
	return p;
}

/* The TX side: raw flights to the server; returns how many bytes. */
static size_t
tx_raw(struct session *s, struct srv *v)
{
	const uint8_t *p;
	size_t n, total = 0;

	while ((n = session_tx_tls_pending(s, &p)) > 0) {
		assert_int_equal(BIO_write(v->rbio, p, (int)n), (int)n);
		session_tx_tls_sent(s, n);
		total += n;
	}
	return total;
}

/* The TX side: the protocol lines session_tx_control hands out, sealed, to the server;
 * returns what the server read. */
static size_t
tx_sealed(struct session *s, struct tls_dir *d, struct srv *v, char *got, size_t cap)
{
	char buf[SESSION_HS_MAX + 64];
	uint8_t rec[TLS_RECORD_MAX];
	size_t n = session_tx_control(s, buf, sizeof(buf)), total = 0;
	ssize_t r;

	if (n == 0)
		return 0;
	memcpy(rec + tls_seal_prefix(d), buf, n);
	r = tls_seal(d, TLS_CT_APPDATA, rec, n, sizeof(rec));
	assert_true(r > 0);
	assert_int_equal(BIO_write(v->rbio, rec, (int)r), (int)r);
	while (total < n) {
		int k = SSL_read(v->s, got + total, (int)(cap - total));

		assert_true(k > 0);
		total += (size_t)k;
	}
	return total;
}

static int
connect_to_info(struct session *s, const char *info, uint64_t now)
{
	assert_int_equal(session_ctl_poll(s, now), SESSION_ACT_CONNECT);
	session_ctl_tls_target(s, false, "nats.test");
	session_ctl_connecting(s, now);
	session_ctl_established(s, now);
	return session_ctl_bytes(s, info, strlen(info), now, &cb);
}

static void
tls_session_end_to_end(void **state)
{
	struct tls_client_cfg cc = { .no_verify = true };
	struct tls_ctx *ctx = tls_ctx_create(&cc, NULL, 0);
	struct session_params p = params(ctx, SESSION_TLS_AUTO);
	struct session s;
	struct srv v;
	struct tls_keys k;
	struct tls_dir d;
	struct session_tls_stats st;
	static uint8_t buf[1 << 16];
	char got[4096], line[SESSION_HS_MAX + 64];
	size_t n;

	(void)state;
	assert_non_null(ctx);
	srv_init(&v);
	assert_int_equal(session_init(&s, &p), 0);
	ready_count = 0;
	assert_int_equal(connect_to_info(&s, info_tls, 0), 0);
	assert_int_equal(session_state(&s), SESSION_TLS);
	assert_int_equal(session_tx_control(&s, line, sizeof(line)), 0); /* nothing in clear */
	assert_int_equal(session_tx_tls_keys(&s, &k), 0);
	assert_true(tx_raw(&s, &v) > 100); /* ClientHello */
	(void)SSL_do_handshake(v.s);
	n = srv_out(&v, buf, sizeof(buf));
	assert_true(n > 0);
	/* the server's flight, cut in two */
	assert_int_equal(session_ctl_bytes(&s, (const char *)buf, 50, 1 * MS, &cb), 0);
	assert_int_equal(session_state(&s), SESSION_TLS);
	assert_int_equal(session_ctl_bytes(&s, (const char *)buf + 50, n - 50, 1 * MS, &cb), 0);
	assert_int_equal(session_state(&s), SESSION_HANDSHAKE);
	/* CONNECT waits for T to take the keys, and the keys wait for the last flight */
	assert_int_equal(session_tx_control(&s, line, sizeof(line)), 0);
	assert_int_equal(session_tx_tls_keys(&s, &k), 0);
	assert_true(tx_raw(&s, &v) > 0); /* client Finished */
	assert_int_equal(session_tx_tls_keys(&s, &k), 1);
	assert_int_equal(session_tx_tls_keys(&s, &k), 0); /* once per connection */
	assert_int_equal(tls_dir_from_keys(&d, &k), 0);
	assert_int_equal(SSL_do_handshake(v.s), 1);
	n = tx_sealed(&s, &d, &v, got, sizeof(got));
	assert_true(n > 20);
	got[n] = '\0';
	assert_memory_equal(got, "CONNECT {", 9);
	assert_non_null(strstr(got, "\"tls_required\":true,")); /* as nats.c says it */
	assert_null(strstr(got, "\"tls_required\":false"));
	assert_non_null(strstr(got, "\r\nSUB _JW."));
	assert_non_null(strstr(got, "PING\r\n"));
	/* the server's tickets, then PONG: READY */
	assert_int_equal(SSL_write(v.s, "PONG\r\n", 6), 6);
	n = srv_out(&v, buf, sizeof(buf));
	for (size_t off = 0; off < n; off += 9)
		assert_int_equal(session_ctl_bytes(&s, (const char *)buf + off,
						   JW_MIN((size_t)9, n - off), 2 * MS, &cb), 0);
	assert_int_equal(session_state(&s), SESSION_READY);
	assert_int_equal(ready_count, 1);
	/* a KeyUpdate the server asks for, then its PING: T answers both */
	assert_int_equal(SSL_key_update(v.s, SSL_KEY_UPDATE_REQUESTED), 1);
	assert_int_equal(SSL_write(v.s, "PING\r\n", 6), 6);
	n = srv_out(&v, buf, sizeof(buf));
	assert_int_equal(session_ctl_bytes(&s, (const char *)buf, n, 3 * MS, &cb), 0);
	assert_int_equal(session_tx_tls_ku_due(&s), 1);
	{
		uint8_t rec[64];
		ssize_t r = tls_seal_key_update(&d, false, rec, sizeof(rec));

		assert_true(r > 0);
		assert_int_equal(BIO_write(v.rbio, rec, (int)r), (int)r);
		session_tx_tls_ku_sent(&s, true);
	}
	assert_int_equal(session_tx_tls_ku_due(&s), 0);
	n = tx_sealed(&s, &d, &v, got, sizeof(got));
	assert_int_equal(n, 6);
	assert_memory_equal(got, "PONG\r\n", 6);
	session_tx_tls_sealed(&s, 2, 100);
	session_tls_read(&s, &st);
	assert_int_equal(st.info.version, TLS_V13);
	assert_memory_equal(st.info.cipher, "TLS_AES_128_GCM_SHA256", 23); /* our first */
	assert_int_equal(st.handshakes, 1);
	assert_true(st.records_opened >= 4); /* 2 tickets, PONG, PING (KeyUpdate too) */
	assert_int_equal(st.key_updates_received, 1);
	assert_int_equal(st.key_updates_sent, 1);
	assert_int_equal(st.records_sealed, 2);
	/* a damaged record closes the session */
	assert_int_equal(SSL_write(v.s, "+OK\r\n", 5), 5);
	n = srv_out(&v, buf, sizeof(buf));
	buf[n - 1] ^= 1;
	assert_true(session_ctl_bytes(&s, (const char *)buf, n, 4 * MS, &cb) < 0);
	assert_int_equal(session_state(&s), SESSION_CLOSING);
	{
		struct session_counters sc;

		session_counters_read(&s, &sc);
		assert_int_equal(sc.closes[SESSION_CLOSE_TLS], 1);
	}
	session_tls_read(&s, &st);
	assert_int_equal(st.rx_errors, 1);
	/* the next connection is plain until its INFO says otherwise */
	session_ctl_tcp_closed(&s, 5 * MS);
	assert_int_equal(connect_to_info(&s, info_plain, 100 * MS), 0);
	assert_int_equal(session_state(&s), SESSION_HANDSHAKE);
	{
		const uint8_t *pp;

		assert_int_equal(session_tx_tls_pending(&s, &pp), 0);
	}
	assert_int_equal(session_tx_tls_keys(&s, &k), 0);
	n = session_tx_control(&s, line, sizeof(line) - 1);
	assert_true(n > 0); /* in clear: plain server */
	line[n] = '\0';
	assert_memory_equal(line, "CONNECT {", 9);
	assert_non_null(strstr(line, "\"tls_required\":false,")); /* not a TLS connection */
	tls_dir_fini(&d);
	session_fini(&s);
	srv_free(&v);
	tls_ctx_destroy(ctx);
}

static void
tls_refusals(void **state)
{
	struct tls_client_cfg cc = { .no_verify = true };
	struct tls_ctx *ctx = tls_ctx_create(&cc, NULL, 0);
	struct session s;
	struct session_params p;
	const char *detail = NULL;
	struct session_tls_stats st;

	(void)state;
	/* tls = off, the server requires TLS */
	p = params(NULL, SESSION_TLS_OFF);
	assert_int_equal(session_init(&s, &p), 0);
	assert_int_equal(session_ctl_poll(&s, 0), SESSION_ACT_CONNECT);
	session_ctl_connecting(&s, 0);
	session_ctl_established(&s, 0);
	assert_int_equal(session_ctl_bytes(&s, info_tls, strlen(info_tls), 0, &cb), -ECONNREFUSED);
	assert_int_equal(session_state(&s), SESSION_CLOSING);
	assert_int_equal(session_tls_failure(&s, &detail), TLS_FAIL_DISABLED);
	assert_non_null(strstr(detail, "tls = off"));
	session_tls_read(&s, &st);
	assert_int_equal(st.fails[TLS_FAIL_DISABLED], 1);
	session_fini(&s);
	/* required, the server offers none; and a tls:// target in auto mode */
	p = params(ctx, SESSION_TLS_REQUIRED);
	assert_int_equal(session_init(&s, &p), 0);
	assert_int_equal(connect_to_info(&s, info_plain, 0), -ECONNREFUSED);
	assert_int_equal(session_state(&s), SESSION_CLOSING);
	assert_int_equal(session_tls_failure(&s, NULL), TLS_FAIL_NOT_OFFERED);
	session_fini(&s);
	p = params(ctx, SESSION_TLS_AUTO);
	assert_int_equal(session_init(&s, &p), 0);
	assert_int_equal(session_ctl_poll(&s, 0), SESSION_ACT_CONNECT);
	session_ctl_tls_target(&s, true, "nats.test");
	session_ctl_connecting(&s, 0);
	session_ctl_established(&s, 0);
	assert_int_equal(session_ctl_bytes(&s, info_plain, strlen(info_plain), 0, &cb),
			 -ECONNREFUSED);
	assert_int_equal(session_tls_failure(&s, NULL), TLS_FAIL_NOT_OFFERED);
	session_fini(&s);
	/* required without a context is a bad parameter */
	p = params(NULL, SESSION_TLS_REQUIRED);
	assert_int_equal(session_init(&s, &p), -EINVAL);
	p = params(ctx, 7);
	assert_int_equal(session_init(&s, &p), -EINVAL);
	tls_ctx_destroy(ctx);
}

int
session_tls_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tls_session_end_to_end),
		cmocka_unit_test(tls_refusals),
	};
	return cmocka_run_group_tests_name("session_tls", tests, NULL, NULL);
}
