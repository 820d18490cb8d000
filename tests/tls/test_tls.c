/* Unit tests of lib/tls with OpenSSL itself as the peer: an OpenSSL server SSL object over
 * memory BIOs shakes hands with jetwire's handshake driver (tls_hs), then records sealed by
 * jetwire's record layer must be read by OpenSSL and records OpenSSL writes must be opened
 * by tls_rx, for every suite of TLS 1.3 and TLS 1.2, across KeyUpdates in both directions.
 * The CA and certificates are made in-process with OpenSSL's X509 API. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls/tls.h"

#define NAME "nats.test"
#define JW_TLS_MIN(a, b) ((a) < (b) ? (a) : (b))

struct pki {
	EVP_PKEY *ca_key, *ca2_key, *srv_key, *cli_key;
	X509 *ca, *ca2, *srv, *srv_expired, *cli;
	char dir[64], ca_file[96], ca2_file[96], cli_file[96], cli_key_file[96];
};

static struct pki pki;
static long serial = 1;

static EVP_PKEY *
mkkey(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_non_null(k);
	return k;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v;
	X509_EXTENSION *e;

	X509V3_set_ctx_nodb(&v);
	X509V3_set_ctx(&v, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A certificate for key, signed by (issuer, ikey) or self-signed, valid from..to seconds
 * from now. */
static X509 *
mkcert(EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, const char *cn, const char *san,
       long from, long to, bool ca)
{
	X509 *x = X509_new();
	X509_NAME *n;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : n);
	add_ext(x, issuer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (ca)
		add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	add_ext(x, issuer, NID_subject_key_identifier, "hash");
	if (san != NULL)
		add_ext(x, issuer, NID_subject_alt_name, san);
	assert_true(X509_sign(x, ikey != NULL ? ikey : key, EVP_sha256()) > 0);
	return x;
}

static void
write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	if (x != NULL)
		assert_int_equal(PEM_write_X509(f, x), 1);
	if (k != NULL)
		assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
}

static int
pki_setup(void **state)
{
	(void)state;
	pki.ca_key = mkkey();
	pki.ca2_key = mkkey();
	pki.srv_key = mkkey();
	pki.cli_key = mkkey();
	pki.ca = mkcert(pki.ca_key, NULL, NULL, "jetwire test CA", NULL, -60, 86400, true);
	pki.ca2 = mkcert(pki.ca2_key, NULL, NULL, "other CA", NULL, -60, 86400, true);
	pki.srv = mkcert(pki.srv_key, pki.ca, pki.ca_key, NAME, "DNS:" NAME ",IP:198.18.0.5",
			 -60, 86400, false);
	pki.srv_expired = mkcert(pki.srv_key, pki.ca, pki.ca_key, NAME, "DNS:" NAME,
				 -2 * 86400, -86400, false);
	pki.cli = mkcert(pki.cli_key, pki.ca, pki.ca_key, "jetwire client", NULL, -60, 86400,
			 false);
	snprintf(pki.dir, sizeof(pki.dir), "/tmp/jw-tls-test-XXXXXX");
	assert_non_null(mkdtemp(pki.dir));
	snprintf(pki.ca_file, sizeof(pki.ca_file), "%s/ca.pem", pki.dir);
	snprintf(pki.ca2_file, sizeof(pki.ca2_file), "%s/ca2.pem", pki.dir);
	snprintf(pki.cli_file, sizeof(pki.cli_file), "%s/client.pem", pki.dir);
	snprintf(pki.cli_key_file, sizeof(pki.cli_key_file), "%s/client.key", pki.dir);
	write_pem(pki.ca_file, pki.ca, NULL);
	write_pem(pki.ca2_file, pki.ca2, NULL);
	write_pem(pki.cli_file, pki.cli, NULL);
	write_pem(pki.cli_key_file, NULL, pki.cli_key);
	return 0;
}

static int
pki_teardown(void **state)
{
	(void)state;
	unlink(pki.ca_file);
	unlink(pki.ca2_file);
	unlink(pki.cli_file);
	unlink(pki.cli_key_file);
	rmdir(pki.dir);
	X509_free(pki.ca);
	X509_free(pki.ca2);
	X509_free(pki.srv);
	X509_free(pki.srv_expired);
	X509_free(pki.cli);
	EVP_PKEY_free(pki.ca_key);
	EVP_PKEY_free(pki.ca2_key);
	EVP_PKEY_free(pki.srv_key);
	EVP_PKEY_free(pki.cli_key);
	return 0;
}

/* --- an OpenSSL server over memory BIOs ---------------------------------------------------- */

struct srv_opts {
	int minv, maxv;            /* 0: 1.2 .. 1.3 */
	const char *suites13;      /* NULL: OpenSSL's default */
	const char *ciphers12;
	X509 *cert;                /* NULL: pki.srv */
	bool verify_client;
};

struct peer {
	SSL_CTX *sctx;
	SSL *s;
	BIO *rbio, *wbio;
	struct tls_ctx *cctx;
	struct tls_hs *hs;
	struct tls_keys txk;
	struct tls_dir tx;
	struct tls_rx rx;
	struct tls_session_info info;
	uint8_t extra[TLS_RECORD_MAX * 2];
	size_t extra_len;
	/* what tls_rx handed over */
	uint8_t got[1 << 18];
	size_t got_len;
};

static void
srv_create(struct peer *p, const struct srv_opts *o)
{
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());

	assert_non_null(c);
	SSL_CTX_set_min_proto_version(c, o->minv ? o->minv : TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(c, o->maxv ? o->maxv : TLS1_3_VERSION);
	if (o->suites13 != NULL)
		assert_int_equal(SSL_CTX_set_ciphersuites(c, o->suites13), 1);
	if (o->ciphers12 != NULL)
		assert_int_equal(SSL_CTX_set_cipher_list(c, o->ciphers12), 1);
	assert_int_equal(SSL_CTX_use_certificate(c, o->cert ? o->cert : pki.srv), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(c, pki.srv_key), 1);
	if (o->verify_client) {
		X509_STORE *st = SSL_CTX_get_cert_store(c);

		assert_int_equal(X509_STORE_add_cert(st, pki.ca), 1);
		SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	p->sctx = c;
	p->s = SSL_new(c);
	p->rbio = BIO_new(BIO_s_mem());
	p->wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(p->rbio, -1);
	SSL_set_bio(p->s, p->rbio, p->wbio);
	SSL_set_accept_state(p->s);
}

/* Moves the server's pending output into buf. */
static size_t
srv_out(struct peer *p, uint8_t *buf, size_t cap)
{
	int n = BIO_read(p->wbio, buf, (int)cap);

	return n > 0 ? (size_t)n : 0;
}

static int
collect(void *ctx, const uint8_t *data, size_t len)
{
	struct peer *p = ctx;

	assert_true(p->got_len + len <= sizeof(p->got));
	memcpy(p->got + p->got_len, data, len);
	p->got_len += len;
	return 0;
}

/* Runs the handshake between the server and jetwire's driver. Returns tls_hs_input's last
 * result (1: done; negative: failed); the server's state is left as it is. */
static int
handshake(struct peer *p, const struct srv_opts *so, const struct tls_client_cfg *cc,
	  const char *name)
{
	static uint8_t buf[1 << 16];
	char err[256] = "";
	int rc = 0;

	memset(p, 0, sizeof(*p));
	srv_create(p, so);
	p->cctx = tls_ctx_create(cc, err, sizeof(err));
	assert_non_null(p->cctx);
	p->hs = tls_hs_create(p->cctx, name);
	assert_non_null(p->hs);
	for (int round = 0; round < 20; round++) {
		size_t n = tls_hs_output(p->hs, buf, sizeof(buf));

		if (n > 0)
			assert_int_equal(BIO_write(p->rbio, buf, (int)n), (int)n);
		if (rc != 0)
			break; /* our last flight (Finished, or an alert) is with the server */
		ERR_clear_error();
		(void)SSL_do_handshake(p->s);
		ERR_clear_error();
		n = srv_out(p, buf, sizeof(buf));
		rc = tls_hs_input(p->hs, buf, n);
	}
	return rc;
}

static void
finish(struct peer *p)
{
	static uint8_t buf[1 << 16];
	size_t n;

	/* the client's last flight (Finished) goes to the server first */
	n = tls_hs_output(p->hs, buf, sizeof(buf));
	if (n > 0)
		assert_int_equal(BIO_write(p->rbio, buf, (int)n), (int)n);
	assert_int_equal(tls_hs_finish(p->hs, &p->txk, &p->rx.dir, &p->info, p->extra,
				       sizeof(p->extra), &p->extra_len), 0);
	assert_int_equal(tls_dir_from_keys(&p->tx, &p->txk), 0);
	{
		struct tls_dir rd = p->rx.dir;

		tls_rx_init(&p->rx, &rd);
	}
	if (p->extra_len > 0)
		assert_int_equal(tls_rx_input(&p->rx, p->extra, p->extra_len, collect, p), 0);
	ERR_clear_error();
	assert_int_equal(SSL_do_handshake(p->s), 1);
	/* tickets the server sent after its handshake */
	n = srv_out(p, buf, sizeof(buf));
	if (n > 0)
		assert_int_equal(tls_rx_input(&p->rx, buf, n, collect, p), 0);
}

static void
peer_free(struct peer *p)
{
	SSL_free(p->s);
	SSL_CTX_free(p->sctx);
	tls_hs_destroy(p->hs);
	tls_ctx_destroy(p->cctx);
	tls_dir_fini(&p->tx);
	tls_rx_fini(&p->rx);
}

static void
fill(uint8_t *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 31 + seed);
}

/* Server -> us: OpenSSL writes, tls_rx opens (fed whole, then in 7-byte cuts). */
static void
server_to_us(struct peer *p, size_t len, unsigned seed)
{
	static uint8_t data[40000], wire[1 << 17];
	size_t n, cut = (seed & 1) ? 7 : SIZE_MAX;

	assert_true(len <= sizeof(data));
	fill(data, len, seed);
	assert_int_equal(SSL_write(p->s, data, (int)len), (int)len);
	n = srv_out(p, wire, sizeof(wire));
	assert_true(n > len);
	p->got_len = 0;
	for (size_t off = 0; off < n;) {
		size_t k = JW_TLS_MIN(cut, n - off);

		assert_int_equal(tls_rx_input(&p->rx, wire + off, k, collect, p), 0);
		off += k;
	}
	assert_int_equal(p->got_len, len);
	assert_memory_equal(p->got, data, len);
}

/* Us -> server: tls_seal in place, in records of at most rec_max plaintext bytes. */
static void
us_to_server(struct peer *p, size_t len, size_t rec_max, unsigned seed)
{
	static uint8_t data[40000], rec[TLS_RECORD_MAX], back[40000];
	size_t off = 0, got = 0;

	fill(data, len, seed);
	while (off < len) {
		size_t k = JW_TLS_MIN(rec_max, len - off);
		ssize_t r;

		memcpy(rec + tls_seal_prefix(&p->tx), data + off, k);
		r = tls_seal(&p->tx, TLS_CT_APPDATA, rec, k, sizeof(rec));
		assert_int_equal(r, (ssize_t)(tls_seal_prefix(&p->tx) + k + tls_seal_suffix(&p->tx)));
		assert_int_equal(BIO_write(p->rbio, rec, (int)r), (int)r);
		off += k;
	}
	while (got < len) {
		int n = SSL_read(p->s, back + got, (int)(sizeof(back) - got));

		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_int_equal(got, len);
	assert_memory_equal(back, data, len);
}

static void
exchange(struct peer *p)
{
	static const size_t sizes[] = { 1, 100, 1448, 16384, 20000, 35000 };

	for (unsigned i = 0; i < JW_TLS_MIN(sizeof(sizes) / sizeof(sizes[0]), 6u); i++) {
		server_to_us(p, sizes[i], i);
		us_to_server(p, sizes[i], i % 2 ? 1421 : TLS_PLAIN_MAX, i);
	}
	assert_true(tls_dir_records(&p->tx) > 6);
	assert_true(tls_dir_records(&p->rx.dir) >= 6);
}

static void
tls13_every_suite(void **state)
{
	static const struct { const char *suite; enum tls_aead aead; } s[] = {
		{ "TLS_AES_128_GCM_SHA256", TLS_AEAD_AES128GCM },
		{ "TLS_AES_256_GCM_SHA384", TLS_AEAD_AES256GCM },
		{ "TLS_CHACHA20_POLY1305_SHA256", TLS_AEAD_CHACHA20 },
	};
	struct tls_client_cfg cc = { .ca_file = pki.ca_file };

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		struct peer *p = calloc(1, sizeof(*p));
		struct srv_opts so = { .suites13 = s[i].suite };

		assert_int_equal(handshake(p, &so, &cc, NAME), 1);
		finish(p);
		assert_int_equal(p->info.version, TLS_V13);
		assert_int_equal(p->info.aead, s[i].aead);
		assert_string_equal(p->info.cipher, s[i].suite);
		/* OpenSSL's server sends two NewSessionTickets after the handshake: skipped */
		assert_int_equal(atomic_load(&p->rx.tickets), 2);
		exchange(p);
		peer_free(p);
		free(p);
	}
}

static void
tls12_every_suite(void **state)
{
	static const struct { const char *c; enum tls_aead aead; const char *std; } s[] = {
		{ "ECDHE-ECDSA-AES128-GCM-SHA256", TLS_AEAD_AES128GCM,
		  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
		{ "ECDHE-ECDSA-AES256-GCM-SHA384", TLS_AEAD_AES256GCM,
		  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
		{ "ECDHE-ECDSA-CHACHA20-POLY1305", TLS_AEAD_CHACHA20,
		  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	};
	struct tls_client_cfg cc = { .ca_file = pki.ca_file };

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		struct peer *p = calloc(1, sizeof(*p));
		struct srv_opts so = { .maxv = TLS1_2_VERSION, .ciphers12 = s[i].c };

		assert_int_equal(handshake(p, &so, &cc, NAME), 1);
		finish(p);
		assert_int_equal(p->info.version, TLS_V12);
		assert_int_equal(p->info.aead, s[i].aead);
		assert_string_equal(p->info.cipher, s[i].std);
		exchange(p);
		peer_free(p);
		free(p);
	}
}

/* TLS 1.2: the server's Finished and its first application record arrive in one piece; the
 * record is left over from the handshake and opened by tls_rx. */
static void
tls12_bytes_after_handshake(void **state)
{
	static uint8_t buf[1 << 16];
	struct tls_client_cfg cc = { .ca_file = pki.ca_file };
	struct srv_opts so = { .maxv = TLS1_2_VERSION };
	struct peer *p = calloc(1, sizeof(*p));
	size_t n;
	int rc = 0;

	(void)state;
	memset(p, 0, sizeof(*p));
	srv_create(p, &so);
	p->cctx = tls_ctx_create(&cc, NULL, 0);
	p->hs = tls_hs_create(p->cctx, NAME);
	for (int round = 0; round < 10 && rc == 0; round++) {
		n = tls_hs_output(p->hs, buf, sizeof(buf));
		BIO_write(p->rbio, buf, (int)n);
		if (SSL_do_handshake(p->s) == 1)
			assert_int_equal(SSL_write(p->s, "early data", 10), 10);
		n = srv_out(p, buf, sizeof(buf));
		rc = tls_hs_input(p->hs, buf, n);
	}
	assert_int_equal(rc, 1);
	assert_int_equal(tls_hs_finish(p->hs, &p->txk, &p->rx.dir, &p->info, p->extra,
				       sizeof(p->extra), &p->extra_len), 0);
	assert_int_equal(tls_dir_from_keys(&p->tx, &p->txk), 0);
	assert_int_equal(p->tx.seq, 1); /* the client Finished was record 0 */
	assert_true(p->extra_len > 10);
	{
		struct tls_dir rd = p->rx.dir;

		tls_rx_init(&p->rx, &rd);
	}
	assert_int_equal(tls_rx_input(&p->rx, p->extra, p->extra_len, collect, p), 0);
	assert_int_equal(p->got_len, 10);
	assert_memory_equal(p->got, "early data", 10);
	us_to_server(p, 3000, 1000, 3);
	peer_free(p);
	free(p);
}

/* TLS 1.3 records sealed in pieces (as the TX lcore seals a record spanning TCP segments):
 * content in 1400-byte pieces, the inner type, zero padding, the tag; OpenSSL reads the
 * content back. And the misuse errors. */
static void
streamed_records(void **state)
{
	static uint8_t wire[TLS_RECORD_MAX + 64], data[TLS_PLAIN_MAX], back[TLS_PLAIN_MAX];
	struct tls_client_cfg cc = { .ca_file = pki.ca_file };
	struct srv_opts so = { .suites13 = "TLS_CHACHA20_POLY1305_SHA256" };
	struct peer *p = calloc(1, sizeof(*p));
	static const size_t content[] = { 10000, 1, TLS_PLAIN_MAX, 0, 1400 };
	static const size_t pad[] = { 500, 0, 0, 3, 2000 };

	(void)state;
	assert_int_equal(handshake(p, &so, &cc, NAME), 1);
	finish(p);
	for (unsigned t = 0; t < 5; t++) {
		size_t len = content[t], inner = len + 1 + pad[t], off = 5, got = 0;

		fill(data, len, t);
		assert_int_equal(tls_seal_begin(&p->tx, wire, inner), 0);
		assert_int_equal(tls_seal_begin(&p->tx, wire, inner), -EPROTO);
		assert_int_equal(tls_seal(&p->tx, TLS_CT_APPDATA, wire, 1, sizeof(wire)), -EPROTO);
		assert_int_equal(tls_dir_key_update(&p->tx), -EPROTO);
		for (size_t c = 0; c < len; c += 1400) {
			size_t k = JW_TLS_MIN((size_t)1400, len - c);

			memcpy(wire + off, data + c, k);
			assert_int_equal(tls_seal_update(&p->tx, wire + off, k), 0);
			off += k;
		}
		wire[off] = TLS_CT_APPDATA;
		memset(wire + off + 1, 0, pad[t]);
		assert_int_equal(tls_seal_final(&p->tx, wire + off, 0), -EINVAL); /* too early */
		assert_int_equal(tls_seal_update(&p->tx, wire + off, 1), 0);
		if (pad[t] > 0)
			assert_int_equal(tls_seal_update(&p->tx, wire + off + 1, pad[t]), 0);
		assert_int_equal(tls_seal_update(&p->tx, wire + off, 1), -EMSGSIZE);
		off += 1 + pad[t];
		assert_int_equal(tls_seal_final(&p->tx, wire + off, len), 0);
		off += TLS_TAG_LEN;
		assert_int_equal(off, 5 + inner + TLS_TAG_LEN);
		assert_int_equal(BIO_write(p->rbio, wire, (int)off), (int)off);
		if (len == 0) {
			assert_true(SSL_read(p->s, back, sizeof(back)) <= 0); /* nothing to read */
			ERR_clear_error();
			continue;
		}
		while (got < len) {
			int n = SSL_read(p->s, back + got, (int)(sizeof(back) - got));

			assert_true(n > 0);
			got += (size_t)n;
		}
		assert_int_equal(got, len);
		assert_memory_equal(back, data, len);
	}
	assert_int_equal(tls_seal_update(&p->tx, wire, 1), -EPROTO);
	assert_int_equal(tls_seal_begin(&p->tx, wire, TLS_PLAIN_MAX + 2), -EMSGSIZE);
	us_to_server(p, 3000, 1000, 9); /* whole records still work after the pieces */
	peer_free(p);
	free(p);
	{
		struct tls_dir d12;
		uint8_t key[16] = { 0 }, iv[4] = { 0 };

		assert_int_equal(tls_dir_init12(&d12, TLS_AEAD_AES128GCM, key, 16, iv, 4, 1), 0);
		assert_int_equal(tls_seal_begin(&d12, wire, 100), -EPROTO);
		tls_dir_fini(&d12);
	}
}

/* KeyUpdate started by the server (update_requested): our rx key changes, we are asked to
 * answer, our answer moves our tx key, and data keeps flowing both ways. */
static void
key_update_from_server(void **state)
{
	static uint8_t buf[1 << 16], rec[64];
	struct tls_client_cfg cc = { .ca_file = pki.ca_file };
	struct srv_opts so = { 0 };
	struct peer *p = calloc(1, sizeof(*p));
	ssize_t r;

	(void)state;
	assert_int_equal(handshake(p, &so, &cc, NAME), 1);
	finish(p);
	for (int k = 1; k <= 3; k++) {
		assert_int_equal(SSL_key_update(p->s, SSL_KEY_UPDATE_REQUESTED), 1);
		server_to_us(p, 500, (unsigned)k); /* the KeyUpdate goes out before the data */
		assert_int_equal(tls_rx_key_update_requests(&p->rx), (uint64_t)k);
		assert_int_equal(atomic_load(&p->rx.dir.key_updates), (uint64_t)k);
		r = tls_seal_key_update(&p->tx, false, rec, sizeof(rec));
		assert_true(r > 0);
		assert_int_equal(BIO_write(p->rbio, rec, (int)r), (int)r);
		assert_int_equal(atomic_load(&p->tx.key_updates), (uint64_t)k);
		assert_int_equal(p->tx.seq, 0);
		us_to_server(p, 2000, 700, (unsigned)k);
		server_to_us(p, 300, (unsigned)k + 10);
	}
	/* the server's view: it read our KeyUpdates (its read sequence restarted) */
	(void)buf;
	peer_free(p);
	free(p);
}

/* KeyUpdate started by us with update_requested: the server answers with its own, which
 * tls_rx takes without asking us for another. */
static void
key_update_from_us(void **state)
{
	static uint8_t rec[64];
	struct tls_client_cfg cc = { .ca_file = pki.ca_file };
	struct srv_opts so = { .suites13 = "TLS_AES_256_GCM_SHA384" };
	struct peer *p = calloc(1, sizeof(*p));
	ssize_t r;

	(void)state;
	assert_int_equal(handshake(p, &so, &cc, NAME), 1);
	finish(p);
	for (int k = 1; k <= 3; k++) {
		r = tls_seal_key_update(&p->tx, true, rec, sizeof(rec));
		assert_true(r > 0);
		assert_int_equal(BIO_write(p->rbio, rec, (int)r), (int)r);
		us_to_server(p, 5000, 1400, (unsigned)k);
		server_to_us(p, 400, (unsigned)k); /* preceded by the server's KeyUpdate */
		assert_int_equal(atomic_load(&p->rx.dir.key_updates), (uint64_t)k);
		assert_int_equal(tls_rx_key_update_requests(&p->rx), 0);
	}
	/* KeyUpdate is a TLS 1.3 message */
	{
		struct tls_dir d12;
		uint8_t key[16] = { 0 }, iv[4] = { 0 };

		assert_int_equal(tls_dir_init12(&d12, TLS_AEAD_AES128GCM, key, 16, iv, 4, 1), 0);
		assert_int_equal(tls_seal_key_update(&d12, false, rec, sizeof(rec)), -EPROTO);
		assert_int_equal(tls_dir_key_update(&d12), -EPROTO);
		tls_dir_fini(&d12);
	}
	peer_free(p);
	free(p);
}

static void
mutual_tls(void **state)
{
	struct tls_client_cfg with = { .ca_file = pki.ca_file, .cert_file = pki.cli_file,
				       .key_file = pki.cli_key_file };
	struct tls_client_cfg without = { .ca_file = pki.ca_file };
	struct srv_opts so = { .verify_client = true };
	static uint8_t buf[1 << 16];
	struct peer *p = calloc(1, sizeof(*p));
	size_t n;

	(void)state;
	assert_int_equal(handshake(p, &so, &with, NAME), 1);
	finish(p);
	exchange(p);
	peer_free(p);

	/* without a certificate: a TLS 1.3 client finishes before the server judges it; the
	 * server's alert then closes the stream */
	assert_int_equal(handshake(p, &so, &without, NAME), 1);
	n = tls_hs_output(p->hs, buf, sizeof(buf));
	BIO_write(p->rbio, buf, (int)n);
	assert_int_equal(tls_hs_finish(p->hs, &p->txk, &p->rx.dir, &p->info, p->extra,
				       sizeof(p->extra), &p->extra_len), 0);
	assert_int_equal(tls_dir_from_keys(&p->tx, &p->txk), 0);
	{
		struct tls_dir rd = p->rx.dir;

		tls_rx_init(&p->rx, &rd);
	}
	ERR_clear_error();
	assert_true(SSL_do_handshake(p->s) <= 0);
	n = srv_out(p, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(tls_rx_input(&p->rx, buf, n, collect, p), -ECONNABORTED);
	assert_int_equal(p->rx.last_error, TLS_RX_ALERT);
	assert_int_equal(p->rx.alert_desc, 116);
	assert_string_equal(tls_alert_str(p->rx.alert_desc), "certificate_required");
	assert_int_equal(tls_rx_input(&p->rx, buf, 1, collect, p), -EPROTO); /* sticky */
	peer_free(p);

	/* TLS 1.2: the server refuses during the handshake */
	so.maxv = TLS1_2_VERSION;
	assert_true(handshake(p, &so, &without, NAME) < 0);
	assert_int_equal(tls_hs_failure(p->hs, NULL), TLS_FAIL_CIPHER); /* handshake_failure */
	peer_free(p);
	free(p);
}

static void
failures_are_classified(void **state)
{
	struct tls_client_cfg good = { .ca_file = pki.ca_file };
	struct tls_client_cfg wrong_ca = { .ca_file = pki.ca2_file };
	struct tls_client_cfg only13 = { .ca_file = pki.ca_file, .min_version = TLS_V13 };
	struct tls_client_cfg only12 = { .ca_file = pki.ca_file, .max_version = TLS_V12 };
	struct srv_opts plain = { 0 }, expired = { .cert = pki.srv_expired };
	struct srv_opts srv12 = { .maxv = TLS1_2_VERSION }, srv13 = { .minv = TLS1_3_VERSION };
	struct peer *p = calloc(1, sizeof(*p));
	const char *detail = NULL;
	static uint8_t buf[4096];
	const struct {
		struct tls_client_cfg *cc;
		struct srv_opts *so;
		const char *name;
		enum tls_fail want;
	} t[] = {
		{ &wrong_ca, &plain, NAME, TLS_FAIL_UNTRUSTED },
		{ &good, &plain, "other.test", TLS_FAIL_NAME },
		{ &good, &plain, "198.18.0.6", TLS_FAIL_NAME },
		{ &good, &expired, NAME, TLS_FAIL_EXPIRED },
		{ &only13, &srv12, NAME, TLS_FAIL_VERSION },
		{ &only12, &srv13, NAME, TLS_FAIL_VERSION },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = handshake(p, t[i].so, t[i].cc, t[i].name);

		assert_int_equal(rc, -ECONNREFUSED);
		assert_int_equal(tls_hs_failure(p->hs, &detail), t[i].want);
		assert_non_null(detail);
		assert_true(detail[0] != '\0');
		assert_int_equal(tls_hs_input(p->hs, NULL, 0), -ECONNREFUSED); /* stays failed */
		assert_int_equal(tls_hs_finish(p->hs, &p->txk, &p->rx.dir, NULL, buf,
					       sizeof(buf), &p->extra_len), -EAGAIN);
		peer_free(p);
	}
	/* the IP literal in the certificate is accepted */
	assert_int_equal(handshake(p, &plain, &good, "198.18.0.5"), 1);
	finish(p);
	exchange(p);
	peer_free(p);
	/* configuration errors */
	{
		char err[256];
		struct tls_client_cfg bad_ca = { .ca_file = "/nonexistent/ca.pem" };
		struct tls_client_cfg half = { .ca_file = pki.ca_file, .cert_file = pki.cli_file };
		struct tls_client_cfg mism = { .ca_file = pki.ca_file, .cert_file = pki.cli_file,
					       .key_file = pki.ca_file };
		struct tls_client_cfg ver = { .min_version = 0x0302 };

		assert_null(tls_ctx_create(&bad_ca, err, sizeof(err)));
		assert_non_null(strstr(err, "/nonexistent/ca.pem"));
		assert_null(tls_ctx_create(&half, err, sizeof(err)));
		assert_null(tls_ctx_create(&mism, err, sizeof(err)));
		assert_null(tls_ctx_create(&ver, err, sizeof(err)));
		{
			struct tls_client_cfg inv = { .min_version = TLS_V13, .max_version = TLS_V12 };

			assert_null(tls_ctx_create(&inv, NULL, 0)); /* no message buffer: fine */
			assert_null(tls_ctx_create(&ver, NULL, 0));
		}
		assert_null(tls_hs_create(NULL, NAME));
	}
	free(p);
}

/* Damaged records: a flipped bit, a bad header, an oversize length; errors are sticky. */
static void
bad_records_close(void **state)
{
	static uint8_t wire[4096];
	struct tls_client_cfg cc = { .ca_file = pki.ca_file };
	struct srv_opts so = { 0 };
	struct peer *p = calloc(1, sizeof(*p));
	size_t n;

	(void)state;
	assert_int_equal(handshake(p, &so, &cc, NAME), 1);
	finish(p);
	assert_int_equal(SSL_write(p->s, "abcdef", 6), 6);
	n = srv_out(p, wire, sizeof(wire));
	wire[n - 3] ^= 0x40;
	assert_int_equal(tls_rx_input(&p->rx, wire, n, collect, p), -EBADMSG);
	assert_int_equal(p->rx.last_error, TLS_RX_BAD_MAC);
	assert_int_equal(tls_rx_input(&p->rx, wire, n, collect, p), -EPROTO);
	peer_free(p);

	assert_int_equal(handshake(p, &so, &cc, NAME), 1);
	finish(p);
	{
		uint8_t h[] = { 23, 3, 1, 0, 20 };

		assert_int_equal(tls_rx_input(&p->rx, h, 5, collect, p), 0); /* waits for body */
		memset(wire, 0, 20);
		assert_int_equal(tls_rx_input(&p->rx, wire, 20, collect, p), -EPROTO);
		assert_int_equal(p->rx.last_error, TLS_RX_BAD_HEADER);
	}
	peer_free(p);

	assert_int_equal(handshake(p, &so, &cc, NAME), 1);
	finish(p);
	{
		uint8_t h[] = { 23, 3, 3, 0x48, 0x01 }; /* 18433 > 2^14 + 256 */

		assert_int_equal(tls_rx_input(&p->rx, h, 5, collect, p), -EMSGSIZE);
	}
	peer_free(p);

	/* close_notify from the server */
	assert_int_equal(handshake(p, &so, &cc, NAME), 1);
	finish(p);
	(void)SSL_shutdown(p->s);
	n = srv_out(p, wire, sizeof(wire));
	assert_int_equal(tls_rx_input(&p->rx, wire, n, collect, p), -ECONNRESET);
	assert_int_equal(p->rx.last_error, TLS_RX_CLOSE_NOTIFY);
	peer_free(p);
	free(p);
}

/* Our own sealer against our own opener (same secret): post-handshake messages cut across
 * records, padding, and the rules OpenSSL would not break for us. */
static void
post_handshake_messages(void **state)
{
	uint8_t secret[32];
	struct tls_dir tx, rd;
	struct tls_rx *rx = calloc(1, sizeof(*rx));
	struct peer *p = calloc(1, sizeof(*p));
	uint8_t rec[512];
	/* NewSessionTicket of 40 body bytes, then a KeyUpdate(not requested) */
	uint8_t nst[44] = { 4, 0, 0, 40 };
	ssize_t r;

	(void)state;
	fill(secret, sizeof(secret), 9);
	assert_int_equal(tls_dir_init13(&tx, TLS_AEAD_AES128GCM, secret, 32), 0);
	assert_int_equal(tls_dir_init13(&rd, TLS_AEAD_AES128GCM, secret, 32), 0);
	tls_rx_init(rx, &rd);
	/* the ticket split over three records */
	for (int part = 0; part < 3; part++) {
		size_t off = (size_t)part * 15, k = part < 2 ? 15 : 44 - 30;

		memcpy(rec + 5, nst + off, k);
		r = tls_seal(&tx, TLS_CT_HANDSHAKE, rec, k, sizeof(rec));
		assert_true(r > 0);
		assert_int_equal(tls_rx_input(rx, rec, (size_t)r, collect, p), 0);
	}
	assert_int_equal(atomic_load(&rx->tickets), 1);
	/* application data with 1.3 padding: sealing "padded", 0x17, 19 zeros with inner type 0
	 * gives the inner plaintext "padded", type 0x17, then 20 zeros of padding */
	memcpy(rec + 5, "padded", 6);
	rec[5 + 6] = TLS_CT_APPDATA;
	memset(rec + 5 + 7, 0, 19);
	r = tls_seal(&tx, 0, rec, 6 + 1 + 19, sizeof(rec));
	assert_true(r > 0);
	p->got_len = 0;
	assert_int_equal(tls_rx_input(rx, rec, (size_t)r, collect, p), 0);
	assert_int_equal(p->got_len, 6);
	assert_memory_equal(p->got, "padded", 6);
	/* a record that is nothing but padding: no content type */
	memset(rec + 5, 0, 8);
	r = tls_seal(&tx, 0, rec, 8, sizeof(rec));
	assert_int_equal(tls_rx_input(rx, rec, (size_t)r, collect, p), -EBADMSG);
	tls_rx_fini(rx);

	/* a KeyUpdate followed by more bytes in the same record is refused */
	tls_dir_fini(&tx);
	assert_int_equal(tls_dir_init13(&tx, TLS_AEAD_CHACHA20, secret, 32), 0);
	assert_int_equal(tls_dir_init13(&rd, TLS_AEAD_CHACHA20, secret, 32), 0);
	tls_rx_init(rx, &rd);
	{
		uint8_t m[] = { 24, 0, 0, 1, 0, 23 };

		memcpy(rec + 5, m, sizeof(m));
		r = tls_seal(&tx, TLS_CT_HANDSHAKE, rec, sizeof(m), sizeof(rec));
		assert_int_equal(tls_rx_input(rx, rec, (size_t)r, collect, p), -EPROTO);
		assert_int_equal(rx->last_error, TLS_RX_UNEXPECTED);
	}
	tls_rx_fini(rx);
	/* a ClientHello-type message after the handshake is refused; so is a CCS record */
	assert_int_equal(tls_dir_init13(&rd, TLS_AEAD_CHACHA20, secret, 32), 0);
	tls_dir_fini(&tx);
	assert_int_equal(tls_dir_init13(&tx, TLS_AEAD_CHACHA20, secret, 32), 0);
	tls_rx_init(rx, &rd);
	{
		uint8_t m[] = { 1, 0, 0, 0 };

		memcpy(rec + 5, m, sizeof(m));
		r = tls_seal(&tx, TLS_CT_HANDSHAKE, rec, sizeof(m), sizeof(rec));
		assert_int_equal(tls_rx_input(rx, rec, (size_t)r, collect, p), -EPROTO);
	}
	tls_rx_fini(rx);
	/* seal limits */
	{
		static uint8_t big[TLS_RECORD_MAX + 64];

		assert_int_equal(tls_seal(&tx, TLS_CT_APPDATA, big, TLS_PLAIN_MAX + 1, sizeof(big)),
				 -EMSGSIZE);
		assert_int_equal(tls_seal(&tx, TLS_CT_APPDATA, big, 100, 100 + 5 + 16), -EMSGSIZE);
		assert_int_equal(tls_seal(&tx, TLS_CT_APPDATA, big, 100, 100 + 5 + 17), 122);
		assert_int_equal(tls_dir_init13(&rd, TLS_AEAD_AES256GCM, secret, 32), -EINVAL);
	}
	tls_dir_fini(&tx);
	free(rx);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tls13_every_suite),
		cmocka_unit_test(tls12_every_suite),
		cmocka_unit_test(tls12_bytes_after_handshake),
		cmocka_unit_test(streamed_records),
		cmocka_unit_test(key_update_from_server),
		cmocka_unit_test(key_update_from_us),
		cmocka_unit_test(mutual_tls),
		cmocka_unit_test(failures_are_classified),
		cmocka_unit_test(bad_records_close),
		cmocka_unit_test(post_handshake_messages),
	};

	return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
