/* The client handshake: OpenSSL (libssl) over two memory BIOs, on the control lcore. It
 * never touches a socket: the owner feeds it the server's bytes and sends what it writes.
 * When the handshake is done the traffic keys are taken out of OpenSSL and the SSL object
 * is no longer used for records (see tls-t.h):
 *   - TLS 1.3: OpenSSL 3.0 has no call that returns the application traffic secrets, but
 *     it hands them to the key-log callback (CLIENT_/SERVER_TRAFFIC_SECRET_0, the NSS
 *     key-log format); we keep those two lines' secrets (never written anywhere) and derive
 *     key and iv ourselves (tls_dir_init13);
 *   - TLS 1.2: the key block is PRF(master_secret, "key expansion", server_random +
 *     client_random) (RFC 5246 6.3) from SSL_SESSION_get_master_key and the two randoms,
 *     computed with EVP's TLS1-PRF; the Finished messages used sequence number 0, so both
 *     directions continue at 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/jw_common.h"
#include "tls/tls.h"

struct tls_ctx {
	SSL_CTX *ssl;
};

struct tls_hs {
	SSL *ssl;
	BIO *rbio, *wbio;          /* owned by ssl */
	int state;                 /* 0 running, 1 done, -1 failed */
	enum tls_fail fail;
	char detail[160];
	uint8_t cs[48], ss[48];    /* 1.3 client / server application traffic secrets */
	uint8_t cs_len, ss_len;
};

static const char *const fail_names[] = {
	[TLS_FAIL_NONE] = "none",
	[TLS_FAIL_UNTRUSTED] = "untrusted-certificate",
	[TLS_FAIL_NAME] = "name-mismatch",
	[TLS_FAIL_EXPIRED] = "certificate-expired",
	[TLS_FAIL_CERT] = "bad-certificate",
	[TLS_FAIL_VERSION] = "no-common-version",
	[TLS_FAIL_CIPHER] = "no-common-cipher",
	[TLS_FAIL_PEER_ALERT] = "refused-by-server",
	[TLS_FAIL_PROTOCOL] = "protocol",
	[TLS_FAIL_INTERNAL] = "internal",
	[TLS_FAIL_NOT_OFFERED] = "server-without-tls",
	[TLS_FAIL_DISABLED] = "server-requires-tls",
};

const char *
tls_fail_str(enum tls_fail f)
{
	return (unsigned)f < JW_ARRAY_SIZE(fail_names) ? fail_names[f] : "?";
}

/* --- context ------------------------------------------------------------------------------- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "LABEL <client_random hex> <secret hex>": keeps the two application traffic secrets. */
static void
keylog_cb(const SSL *ssl, const char *line)
{
	struct tls_hs *h = SSL_get_app_data(ssl);
	uint8_t *dst;
	uint8_t *len;
	const char *p;
	size_t n = 0;

	if (h == NULL)
		return;
	if (strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0) {
		dst = h->cs;
		len = &h->cs_len;
	} else if (strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24) == 0) {
		dst = h->ss;
		len = &h->ss_len;
	} else {
		return;
	}
	p = strchr(line + 24, ' ');
	if (p == NULL)
		return;
	p++;
	while (p[0] != '\0' && p[1] != '\0' && n < 48) {
		int hi = hexval(p[0]), lo = hexval(p[1]);

		if (hi < 0 || lo < 0)
			break;
		dst[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	*len = (p[0] == '\0' || p[0] == '\n') ? (uint8_t)n : 0;
}

static void
ssl_errf(char *err, size_t errlen, const char *what, const char *path)
{
	unsigned long e, last = 0, sys = 0;
	const char *why;
	char buf[160];

	while ((e = ERR_get_error()) != 0) { /* a system error (no such file) says it best */
		if (ERR_SYSTEM_ERROR(e) && sys == 0)
			sys = e;
		last = e;
	}
	why = last ? ERR_reason_error_string(last) : NULL;
	if (sys != 0) {
		snprintf(buf, sizeof(buf), "%s", strerror(ERR_GET_REASON(sys)));
		why = buf;
	} else if (why == NULL) {
		why = path != NULL ? "cannot read or parse the file" : "failed";
	}
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s%s%s%s: %s", what, path ? " '" : "", path ? path : "",
			 path ? "'" : "", why);
	ERR_clear_error();
}

struct tls_ctx *
tls_ctx_create(const struct tls_client_cfg *cfg, char *err, size_t errlen)
{
	struct tls_ctx *t;
	SSL_CTX *c;
	int minv, maxv;

	if (cfg == NULL || (cfg->min_version != 0 && cfg->min_version != TLS_V12 &&
			    cfg->min_version != TLS_V13) ||
	    (cfg->max_version != 0 && cfg->max_version != TLS_V12 &&
	     cfg->max_version != TLS_V13) ||
	    ((cfg->cert_file != NULL && cfg->cert_file[0]) !=
	     (cfg->key_file != NULL && cfg->key_file[0]))) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "bad TLS settings (versions 1.2/1.3; a client "
				 "certificate needs its key and the other way round)");
		errno = EINVAL;
		return NULL;
	}
	minv = cfg->min_version == TLS_V13 ? TLS1_3_VERSION : TLS1_2_VERSION;
	maxv = cfg->max_version == TLS_V12 ? TLS1_2_VERSION : TLS1_3_VERSION;
	if (minv > maxv) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "TLS minimum version above the maximum");
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	c = SSL_CTX_new(TLS_client_method());
	if (c == NULL) {
		ssl_errf(err, errlen, "SSL_CTX_new", NULL);
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->ssl = c;
	if (SSL_CTX_set_min_proto_version(c, minv) != 1 ||
	    SSL_CTX_set_max_proto_version(c, maxv) != 1 ||
	    SSL_CTX_set_ciphersuites(c, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
				     "TLS_CHACHA20_POLY1305_SHA256") != 1 ||
	    SSL_CTX_set_cipher_list(c, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
				    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
				    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1) {
		ssl_errf(err, errlen, "TLS versions/ciphers", NULL);
		goto bad;
	}
	SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
			       SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(c, cfg->no_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	if (cfg->ca_file != NULL && cfg->ca_file[0] != '\0') {
		if (SSL_CTX_load_verify_locations(c, cfg->ca_file, NULL) != 1) {
			ssl_errf(err, errlen, "cannot load CA file", cfg->ca_file);
			goto bad;
		}
	} else if (SSL_CTX_set_default_verify_paths(c) != 1) {
		ssl_errf(err, errlen, "cannot load the system's CA paths", NULL);
		goto bad;
	}
	if (cfg->cert_file != NULL && cfg->cert_file[0] != '\0') {
		if (SSL_CTX_use_certificate_chain_file(c, cfg->cert_file) != 1) {
			ssl_errf(err, errlen, "cannot load client certificate", cfg->cert_file);
			goto bad;
		}
		if (SSL_CTX_use_PrivateKey_file(c, cfg->key_file, SSL_FILETYPE_PEM) != 1) {
			ssl_errf(err, errlen, "cannot load client key", cfg->key_file);
			goto bad;
		}
		if (SSL_CTX_check_private_key(c) != 1) {
			ssl_errf(err, errlen, "client key does not match certificate",
				 cfg->key_file);
			goto bad;
		}
	}
	SSL_CTX_set_keylog_callback(c, keylog_cb);
	return t;
bad:
	tls_ctx_destroy(t);
	errno = EINVAL;
	return NULL;
}

void
tls_ctx_destroy(struct tls_ctx *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ssl);
	free(t);
}

/* --- handshake ----------------------------------------------------------------------------- */

static enum tls_fail
verify_fail(long v)
{
	switch (v) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return TLS_FAIL_EXPIRED;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return TLS_FAIL_NAME;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED:
		return TLS_FAIL_UNTRUSTED;
	default:
		return TLS_FAIL_CERT;
	}
}

static void
classify(struct tls_hs *h)
{
	long v = SSL_get_verify_result(h->ssl);
	unsigned long e = ERR_peek_last_error();
	int reason = ERR_GET_REASON(e);

	h->state = -1;
	if (v != X509_V_OK) {
		h->fail = verify_fail(v);
		snprintf(h->detail, sizeof(h->detail), "%s", X509_verify_cert_error_string(v));
	} else {
		if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256) {
			int alert = reason - SSL_AD_REASON_OFFSET;

			h->fail = alert == SSL_AD_PROTOCOL_VERSION ? TLS_FAIL_VERSION :
				  alert == SSL_AD_HANDSHAKE_FAILURE ||
				  alert == SSL_AD_INSUFFICIENT_SECURITY ? TLS_FAIL_CIPHER :
				  TLS_FAIL_PEER_ALERT;
		} else if (reason == SSL_R_UNSUPPORTED_PROTOCOL ||
			   reason == SSL_R_NO_PROTOCOLS_AVAILABLE ||
			   reason == SSL_R_WRONG_SSL_VERSION ||
			   reason == SSL_R_VERSION_TOO_LOW || reason == SSL_R_VERSION_TOO_HIGH) {
			h->fail = TLS_FAIL_VERSION;
		} else if (reason == SSL_R_NO_SHARED_CIPHER ||
			   reason == SSL_R_NO_CIPHERS_AVAILABLE ||
			   reason == SSL_R_WRONG_CIPHER_RETURNED ||
			   reason == SSL_R_NO_SUITABLE_KEY_SHARE) {
			h->fail = TLS_FAIL_CIPHER;
		} else if (reason == ERR_R_MALLOC_FAILURE) {
			h->fail = TLS_FAIL_INTERNAL;
		} else {
			h->fail = TLS_FAIL_PROTOCOL;
		}
		snprintf(h->detail, sizeof(h->detail), "%s",
			 e != 0 && ERR_reason_error_string(e) != NULL ?
			 ERR_reason_error_string(e) : "handshake failed");
	}
	ERR_clear_error();
}

static int
step(struct tls_hs *h)
{
	int rc, e;

	if (h->state != 0)
		return h->state;
	ERR_clear_error();
	rc = SSL_do_handshake(h->ssl);
	if (rc == 1) {
		h->state = 1;
		return 1;
	}
	e = SSL_get_error(h->ssl, rc);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	classify(h);
	return -1;
}

struct tls_hs *
tls_hs_create(struct tls_ctx *ctx, const char *name)
{
	struct tls_hs *h;
	unsigned char addr[16];
	bool ip;

	if (ctx == NULL || name == NULL || name[0] == '\0') {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->ssl = SSL_new(ctx->ssl);
	h->rbio = BIO_new(BIO_s_mem());
	h->wbio = BIO_new(BIO_s_mem());
	if (h->ssl == NULL || h->rbio == NULL || h->wbio == NULL) {
		BIO_free(h->rbio);
		BIO_free(h->wbio);
		SSL_free(h->ssl);
		free(h);
		ERR_clear_error();
		errno = ENOMEM;
		return NULL;
	}
	BIO_set_mem_eof_return(h->rbio, -1); /* empty: "retry", not end of file */
	SSL_set_bio(h->ssl, h->rbio, h->wbio);
	SSL_set_app_data(h->ssl, h);
	SSL_set_connect_state(h->ssl);
	ip = inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
	if (ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(h->ssl), name) != 1 :
	    (SSL_set_tlsext_host_name(h->ssl, name) != 1 || SSL_set1_host(h->ssl, name) != 1)) {
		tls_hs_destroy(h);
		ERR_clear_error();
		errno = EINVAL;
		return NULL;
	}
	(void)step(h); /* the ClientHello */
	return h;
}

void
tls_hs_destroy(struct tls_hs *h)
{
	if (h == NULL)
		return;
	SSL_free(h->ssl);
	OPENSSL_cleanse(h->cs, sizeof(h->cs));
	OPENSSL_cleanse(h->ss, sizeof(h->ss));
	free(h);
}

int
tls_hs_input(struct tls_hs *h, const uint8_t *data, size_t len)
{
	if (h->state < 0)
		return h->fail == TLS_FAIL_PROTOCOL ? -EPROTO : -ECONNREFUSED;
	if (len > (size_t)INT32_MAX || (len > 0 && BIO_write(h->rbio, data, (int)len) != (int)len)) {
		h->state = -1;
		h->fail = TLS_FAIL_INTERNAL;
		snprintf(h->detail, sizeof(h->detail), "memory BIO write failed");
		return -ECONNREFUSED;
	}
	if (step(h) < 0)
		return h->fail == TLS_FAIL_PROTOCOL ? -EPROTO : -ECONNREFUSED;
	return h->state;
}

size_t
tls_hs_output(struct tls_hs *h, uint8_t *out, size_t cap)
{
	size_t pend = BIO_ctrl_pending(h->wbio);
	int n;

	if (pend == 0 || cap == 0)
		return 0;
	n = BIO_read(h->wbio, out, (int)JW_MIN(pend, cap));
	return n > 0 ? (size_t)n : 0;
}

enum tls_fail
tls_hs_failure(const struct tls_hs *h, const char **detail)
{
	if (detail != NULL)
		*detail = h->detail;
	return h->state < 0 ? h->fail : TLS_FAIL_NONE;
}

static enum tls_aead
aead_of(const SSL_CIPHER *c)
{
	switch (SSL_CIPHER_get_cipher_nid(c)) {
	case NID_aes_128_gcm: return TLS_AEAD_AES128GCM;
	case NID_aes_256_gcm: return TLS_AEAD_AES256GCM;
	case NID_chacha20_poly1305: return TLS_AEAD_CHACHA20;
	default: return TLS_AEAD_NONE;
	}
}

/* TLS 1.2 key block (RFC 5246 6.3) through EVP's TLS1-PRF. */
static int
key_block12(SSL *ssl, const EVP_MD *md, uint8_t *out, size_t len)
{
	uint8_t master[48], cr[32], sr[32];
	char label[] = "key expansion";
	size_t ml = SSL_SESSION_get_master_key(SSL_get_session(ssl), master, sizeof(master));
	EVP_KDF *kdf;
	EVP_KDF_CTX *k;
	OSSL_PARAM pr[6];
	int ok;

	if (ml == 0 || SSL_get_client_random(ssl, cr, 32) != 32 ||
	    SSL_get_server_random(ssl, sr, 32) != 32)
		return -EPROTO;
	kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	k = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (k == NULL) {
		OPENSSL_cleanse(master, sizeof(master));
		return -ENOMEM;
	}
	pr[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						 (char *)(uintptr_t)EVP_MD_get0_name(md), 0);
	pr[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, master, ml);
	pr[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, label, 13);
	pr[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, sr, 32);
	pr[4] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, cr, 32);
	pr[5] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(k, out, len, pr);
	EVP_KDF_CTX_free(k);
	OPENSSL_cleanse(master, sizeof(master));
	return ok == 1 ? 0 : -EPROTO;
}

int
tls_hs_finish(struct tls_hs *h, struct tls_keys *tx, struct tls_dir *rx,
	      struct tls_session_info *info, uint8_t *extra, size_t cap, size_t *extra_len)
{
	const SSL_CIPHER *c;
	enum tls_aead aead;
	int ver, rc;
	size_t pend;

	if (h->state != 1 || BIO_ctrl_pending(h->wbio) != 0)
		return -EAGAIN;
	pend = BIO_ctrl_pending(h->rbio);
	if (pend > cap)
		return -ENOSPC;
	c = SSL_get_current_cipher(h->ssl);
	ver = SSL_version(h->ssl);
	aead = c != NULL ? aead_of(c) : TLS_AEAD_NONE;
	if (aead == TLS_AEAD_NONE || (ver != TLS1_2_VERSION && ver != TLS1_3_VERSION))
		return -EPROTO;
	if (ver == TLS1_3_VERSION) {
		size_t want = aead == TLS_AEAD_AES256GCM ? 48 : 32;

		if (h->cs_len != want || h->ss_len != want)
			return -EPROTO;
		memset(tx, 0, sizeof(*tx));
		tx->version = TLS_V13;
		tx->aead = (uint8_t)aead;
		tx->secret_len = (uint8_t)want;
		memcpy(tx->secret, h->cs, want);
		rc = tls_dir_init13(rx, aead, h->ss, want);
	} else {
		uint8_t kb[2 * 32 + 2 * 12];
		size_t kl = aead == TLS_AEAD_AES128GCM ? 16 : 32;
		size_t il = aead == TLS_AEAD_CHACHA20 ? 12 : 4;
		const EVP_MD *md = SSL_CIPHER_get_handshake_digest(c);

		if (md == NULL)
			return -EPROTO;
		rc = key_block12(h->ssl, md, kb, 2 * kl + 2 * il);
		/* client key, server key, client iv, server iv (no MAC keys with an AEAD) */
		if (rc == 0) {
			memset(tx, 0, sizeof(*tx));
			tx->version = TLS_V12;
			tx->aead = (uint8_t)aead;
			tx->key_len = (uint8_t)kl;
			tx->iv_len = (uint8_t)il;
			memcpy(tx->key, kb, kl);
			memcpy(tx->iv, kb + 2 * kl, il);
			tx->seq = 1;
			rc = tls_dir_init12(rx, aead, kb + kl, kl, kb + 2 * kl + il, il, 1);
		}
		OPENSSL_cleanse(kb, sizeof(kb));
	}
	OPENSSL_cleanse(h->cs, sizeof(h->cs));
	OPENSSL_cleanse(h->ss, sizeof(h->ss));
	if (rc != 0) {
		OPENSSL_cleanse(tx, sizeof(*tx));
		return rc;
	}
	*extra_len = 0;
	if (pend > 0) {
		int n = BIO_read(h->rbio, extra, (int)pend);

		*extra_len = n > 0 ? (size_t)n : 0;
	}
	if (info != NULL) {
		memset(info, 0, sizeof(*info));
		info->version = ver == TLS1_3_VERSION ? TLS_V13 : TLS_V12;
		info->aead = (uint8_t)aead;
		snprintf(info->cipher, sizeof(info->cipher), "%s", SSL_CIPHER_standard_name(c));
	}
	return 0;
}
