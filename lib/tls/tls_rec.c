/* TLS record protection: TLS 1.3 (RFC 8446 5.2-5.3, 7.1-7.3) and TLS 1.2 AEAD records
 * (RFC 5288 AES-GCM with an explicit nonce, RFC 7905 ChaCha20-Poly1305 with an xored one),
 * through OpenSSL's EVP AEAD interface. No allocation per record: the cipher context is
 * keyed once per key, only the nonce changes from record to record. */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>

#include "tls/tls.h"

#define RELAXED memory_order_relaxed
#define BUMP(ctr, n) atomic_store_explicit(&(ctr), atomic_load_explicit(&(ctr), RELAXED) + (n), RELAXED)

static void
put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static const EVP_CIPHER *
cipher_of(enum tls_aead a, uint8_t *key_len)
{
	switch (a) {
	case TLS_AEAD_AES128GCM:
		*key_len = 16;
		return EVP_aes_128_gcm();
	case TLS_AEAD_AES256GCM:
		*key_len = 32;
		return EVP_aes_256_gcm();
	case TLS_AEAD_CHACHA20:
		*key_len = 32;
		return EVP_chacha20_poly1305();
	case TLS_AEAD_NONE:
	default:
		return NULL;
	}
}

/* HKDF-Expand-Label(secret, label, "", out_len) of RFC 8446 7.1. */
static int
hkdf_expand_label(const EVP_MD *md, const uint8_t *secret, size_t secret_len,
		  const char *label, uint8_t *out, size_t out_len)
{
	uint8_t info[2 + 1 + 255 + 1];
	size_t ll = strlen(label), n = 0;
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx;
	OSSL_PARAM params[5];
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, ok;

	if (6 + ll > 255)
		return -EINVAL;
	put16(info, out_len);
	info[2] = (uint8_t)(6 + ll);
	memcpy(info + 3, "tls13 ", 6);
	memcpy(info + 9, label, ll);
	n = 9 + ll;
	info[n++] = 0; /* empty context */
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (kdf == NULL)
		return -ENOMEM;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (kctx == NULL)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)(uintptr_t)EVP_MD_get0_name(md), 0);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						      (void *)(uintptr_t)secret, secret_len);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n);
	params[4] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kctx, out, out_len, params);
	EVP_KDF_CTX_free(kctx);
	OPENSSL_cleanse(info, sizeof(info));
	return ok == 1 ? 0 : -EINVAL;
}

static int
derive13(struct tls_dir *d)
{
	int rc = hkdf_expand_label(d->md, d->secret, d->secret_len, "key", d->key, d->key_len);

	if (rc == 0)
		rc = hkdf_expand_label(d->md, d->secret, d->secret_len, "iv", d->iv, 12);
	d->keyed = 0;
	d->seq = 0;
	return rc;
}

static int
dir_common(struct tls_dir *d, enum tls_aead aead)
{
	uint8_t kl = 0;

	memset(d, 0, sizeof(*d));
	d->cipher = cipher_of(aead, &kl);
	if (d->cipher == NULL)
		return -EINVAL;
	d->aead = (uint8_t)aead;
	d->key_len = kl;
	d->ctx = EVP_CIPHER_CTX_new();
	return d->ctx == NULL ? -ENOMEM : 0;
}

int
tls_dir_init13(struct tls_dir *d, enum tls_aead aead, const uint8_t *secret, size_t len)
{
	size_t want = aead == TLS_AEAD_AES256GCM ? 48 : 32;
	int rc;

	if (secret == NULL || len != want || cipher_of(aead, &(uint8_t){ 0 }) == NULL) {
		memset(d, 0, sizeof(*d));
		return -EINVAL;
	}
	rc = dir_common(d, aead);
	if (rc != 0)
		return rc;
	d->version = TLS_V13;
	d->md = want == 48 ? EVP_sha384() : EVP_sha256();
	d->secret_len = (uint8_t)len;
	memcpy(d->secret, secret, len);
	d->iv_len = 12;
	d->prefix = TLS_HDR_LEN;
	d->suffix = 1 + TLS_TAG_LEN;
	rc = derive13(d);
	if (rc != 0)
		tls_dir_fini(d);
	return rc;
}

int
tls_dir_init12(struct tls_dir *d, enum tls_aead aead, const uint8_t *key, size_t key_len,
	       const uint8_t *iv, size_t iv_len, uint64_t seq)
{
	uint8_t kl = 0;
	int rc;

	if (key == NULL || iv == NULL || cipher_of(aead, &kl) == NULL || key_len != kl ||
	    iv_len != (aead == TLS_AEAD_CHACHA20 ? 12u : 4u)) {
		memset(d, 0, sizeof(*d));
		return -EINVAL;
	}
	rc = dir_common(d, aead);
	if (rc != 0)
		return rc;
	d->version = TLS_V12;
	memcpy(d->key, key, key_len);
	memcpy(d->iv, iv, iv_len);
	d->iv_len = (uint8_t)iv_len;
	d->prefix = TLS_HDR_LEN + (aead == TLS_AEAD_CHACHA20 ? 0 : 8);
	d->suffix = TLS_TAG_LEN;
	d->seq = seq;
	return 0;
}

int
tls_dir_from_keys(struct tls_dir *d, const struct tls_keys *k)
{
	if (k->version == TLS_V13)
		return tls_dir_init13(d, (enum tls_aead)k->aead, k->secret, k->secret_len);
	if (k->version == TLS_V12)
		return tls_dir_init12(d, (enum tls_aead)k->aead, k->key, k->key_len, k->iv,
				      k->iv_len, k->seq);
	memset(d, 0, sizeof(*d));
	return -EINVAL;
}

void
tls_dir_fini(struct tls_dir *d)
{
	if (d->ctx != NULL)
		EVP_CIPHER_CTX_free(d->ctx);
	d->ctx = NULL;
	d->keyed = 0;
	OPENSSL_cleanse(d->key, sizeof(d->key));
	OPENSSL_cleanse(d->iv, sizeof(d->iv));
	OPENSSL_cleanse(d->secret, sizeof(d->secret));
}

int
tls_dir_key_update(struct tls_dir *d)
{
	uint8_t next[48];
	int rc;

	if (d->version != TLS_V13 || d->ctx == NULL || d->streaming)
		return -EPROTO;
	rc = hkdf_expand_label(d->md, d->secret, d->secret_len, "traffic upd", next,
			       d->secret_len);
	if (rc != 0)
		return rc;
	memcpy(d->secret, next, d->secret_len);
	OPENSSL_cleanse(next, sizeof(next));
	rc = derive13(d);
	if (rc == 0)
		BUMP(d->key_updates, 1);
	return rc;
}

/* The per-record nonce: 1.3 and 1.2 ChaCha xor the sequence into the iv's last 8 bytes;
 * 1.2 GCM is the 4-byte salt followed by the explicit 8 bytes. */
static void
nonce_of(const struct tls_dir *d, const uint8_t *explicit8, uint8_t nonce[12])
{
	if (d->iv_len == 4) {
		memcpy(nonce, d->iv, 4);
		memcpy(nonce + 4, explicit8, 8);
		return;
	}
	memcpy(nonce, d->iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(d->seq >> (56 - 8 * i));
}

static int
key_for(struct tls_dir *d, int8_t mode)
{
	if (d->keyed == mode)
		return 0;
	if (EVP_CipherInit_ex(d->ctx, d->cipher, NULL, NULL, NULL, mode == 1 ? 1 : 0) != 1 ||
	    EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_CipherInit_ex(d->ctx, NULL, NULL, d->key, NULL, mode == 1 ? 1 : 0) != 1) {
		d->keyed = 0;
		return -EIO;
	}
	d->keyed = mode;
	return 0;
}

ssize_t
tls_seal(struct tls_dir *d, uint8_t type, uint8_t *rec, size_t len, size_t cap)
{
	uint8_t nonce[12], aad[13], *pt;
	size_t total, clen, aad_len;
	int outl = 0, fl = 0;

	if (d == NULL || d->ctx == NULL || rec == NULL)
		return -EINVAL;
	if (d->streaming)
		return -EPROTO;
	if (len > TLS_PLAIN_MAX)
		return -EMSGSIZE;
	total = (size_t)d->prefix + len + d->suffix;
	if (total > cap)
		return -EMSGSIZE;
	if (d->seq == UINT64_MAX || key_for(d, 1) != 0)
		return -EIO;
	pt = rec + d->prefix;
	rec[1] = 0x03;
	rec[2] = 0x03;
	put16(rec + 3, total - TLS_HDR_LEN);
	if (d->version == TLS_V13) {
		rec[0] = TLS_CT_APPDATA;
		pt[len] = type;
		clen = len + 1;
		memcpy(aad, rec, TLS_HDR_LEN);
		aad_len = TLS_HDR_LEN;
		nonce_of(d, NULL, nonce);
	} else {
		rec[0] = type;
		clen = len;
		put64(aad, d->seq);
		aad[8] = type;
		aad[9] = 0x03;
		aad[10] = 0x03;
		put16(aad + 11, len);
		aad_len = 13;
		if (d->iv_len == 4)
			put64(rec + TLS_HDR_LEN, d->seq); /* explicit nonce: the sequence */
		nonce_of(d, rec + TLS_HDR_LEN, nonce);
	}
	if (EVP_CipherInit_ex(d->ctx, NULL, NULL, NULL, nonce, 1) != 1 ||
	    EVP_EncryptUpdate(d->ctx, NULL, &outl, aad, (int)aad_len) != 1 ||
	    EVP_EncryptUpdate(d->ctx, pt, &outl, pt, (int)clen) != 1 ||
	    EVP_EncryptFinal_ex(d->ctx, pt + outl, &fl) != 1 ||
	    (size_t)(outl + fl) != clen ||
	    EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_GET_TAG, TLS_TAG_LEN, pt + clen) != 1)
		return -EIO;
	d->seq++;
	BUMP(d->records, 1);
	BUMP(d->bytes, len);
	return (ssize_t)total;
}

int
tls_seal_begin(struct tls_dir *d, uint8_t *hdr, size_t inner_len)
{
	uint8_t nonce[12];
	int outl = 0;

	if (d == NULL || d->ctx == NULL || hdr == NULL)
		return -EINVAL;
	if (d->version != TLS_V13 || d->streaming)
		return -EPROTO;
	if (inner_len < 2 || inner_len > TLS_PLAIN_MAX + 1)
		return -EMSGSIZE;
	if (d->seq == UINT64_MAX || key_for(d, 1) != 0)
		return -EIO;
	hdr[0] = TLS_CT_APPDATA;
	hdr[1] = 0x03;
	hdr[2] = 0x03;
	put16(hdr + 3, inner_len + TLS_TAG_LEN);
	nonce_of(d, NULL, nonce);
	if (EVP_CipherInit_ex(d->ctx, NULL, NULL, NULL, nonce, 1) != 1 ||
	    EVP_EncryptUpdate(d->ctx, NULL, &outl, hdr, TLS_HDR_LEN) != 1)
		return -EIO;
	d->streaming = true;
	d->stream_left = (uint32_t)inner_len;
	return 0;
}

int
tls_seal_update(struct tls_dir *d, uint8_t *p, size_t n)
{
	int outl = 0;

	if (d == NULL || !d->streaming)
		return -EPROTO;
	if (n > d->stream_left)
		return -EMSGSIZE;
	if (n == 0)
		return 0;
	if (EVP_EncryptUpdate(d->ctx, p, &outl, p, (int)n) != 1 || (size_t)outl != n) {
		d->streaming = false;
		return -EIO;
	}
	d->stream_left -= (uint32_t)n;
	return 0;
}

int
tls_seal_final(struct tls_dir *d, uint8_t *tag, size_t content_len)
{
	uint8_t end[16];
	int fl = 0;

	if (d == NULL || !d->streaming)
		return -EPROTO;
	if (d->stream_left != 0)
		return -EINVAL;
	d->streaming = false;
	if (EVP_EncryptFinal_ex(d->ctx, end, &fl) != 1 || fl != 0 ||
	    EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_GET_TAG, TLS_TAG_LEN, tag) != 1)
		return -EIO;
	d->seq++;
	BUMP(d->records, 1);
	BUMP(d->bytes, content_len);
	return 0;
}

ssize_t
tls_seal_key_update(struct tls_dir *d, bool request, uint8_t *rec, size_t cap)
{
	ssize_t n;
	uint8_t *m;
	int rc;

	if (d == NULL || d->version != TLS_V13)
		return -EPROTO;
	if (cap < (size_t)d->prefix + 5 + d->suffix)
		return -EMSGSIZE;
	m = rec + d->prefix;
	m[0] = 24; /* key_update */
	m[1] = 0;
	m[2] = 0;
	m[3] = 1;
	m[4] = request ? 1 : 0;
	n = tls_seal(d, TLS_CT_HANDSHAKE, rec, 5, cap);
	if (n < 0)
		return n;
	rc = tls_dir_key_update(d);
	return rc != 0 ? rc : n;
}

int
tls_open(struct tls_dir *d, const uint8_t *rec, size_t len, uint8_t *out, size_t cap,
	 uint8_t *type, size_t *plain_len)
{
	uint8_t nonce[12], aad[13], tag[TLS_TAG_LEN], t;
	size_t rl, clen, aad_len, n;
	int outl = 0, fl = 0;

	if (d == NULL || d->ctx == NULL || rec == NULL || out == NULL)
		return -EINVAL;
	if (len < TLS_HDR_LEN)
		return -EPROTO;
	t = rec[0];
	rl = (size_t)rec[3] << 8 | rec[4];
	if (rl + TLS_HDR_LEN != len || rec[1] != 0x03 || rec[2] != 0x03)
		return -EPROTO;
	if (rl > TLS_CIPHER_MAX)
		return -EMSGSIZE;
	if (d->version == TLS_V13 ? t != TLS_CT_APPDATA :
	    (t != TLS_CT_APPDATA && t != TLS_CT_HANDSHAKE && t != TLS_CT_ALERT))
		return -EPROTO;
	if (len < (size_t)d->prefix + d->suffix)
		return -EPROTO; /* shorter than (nonce +) (inner type +) tag */
	/* 1.3: the inner type counted in suffix is part of the ciphertext */
	clen = len - d->prefix - TLS_TAG_LEN;
	if (clen > cap)
		return -EMSGSIZE;
	if (d->seq == UINT64_MAX || key_for(d, 2) != 0)
		return -EIO;
	memcpy(tag, rec + len - TLS_TAG_LEN, TLS_TAG_LEN);
	if (d->version == TLS_V13) {
		memcpy(aad, rec, TLS_HDR_LEN);
		aad_len = TLS_HDR_LEN;
		nonce_of(d, NULL, nonce);
	} else {
		put64(aad, d->seq);
		aad[8] = t;
		aad[9] = 0x03;
		aad[10] = 0x03;
		put16(aad + 11, clen);
		aad_len = 13;
		nonce_of(d, rec + TLS_HDR_LEN, nonce);
	}
	if (EVP_CipherInit_ex(d->ctx, NULL, NULL, NULL, nonce, 0) != 1 ||
	    EVP_DecryptUpdate(d->ctx, NULL, &outl, aad, (int)aad_len) != 1 ||
	    EVP_DecryptUpdate(d->ctx, out, &outl, rec + d->prefix, (int)clen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_TAG, TLS_TAG_LEN, tag) != 1 ||
	    EVP_DecryptFinal_ex(d->ctx, out + outl, &fl) != 1)
		return -EBADMSG;
	n = (size_t)(outl + fl);
	if (n != clen)
		return -EBADMSG;
	if (d->version == TLS_V13) {
		while (n > 0 && out[n - 1] == 0)
			n--;
		if (n == 0)
			return -EBADMSG; /* no content type: unexpected_message */
		t = out[--n];
	}
	if (n > TLS_PLAIN_MAX)
		return -EMSGSIZE;
	d->seq++;
	BUMP(d->records, 1);
	BUMP(d->bytes, n);
	*type = t;
	*plain_len = n;
	return 0;
}

const char *
tls_aead_str(enum tls_aead a)
{
	switch (a) {
	case TLS_AEAD_AES128GCM: return "AES-128-GCM";
	case TLS_AEAD_AES256GCM: return "AES-256-GCM";
	case TLS_AEAD_CHACHA20: return "ChaCha20-Poly1305";
	case TLS_AEAD_NONE:
	default: return "none";
	}
}

const char *
tls_version_str(uint16_t v)
{
	return v == TLS_V13 ? "TLSv1.3" : v == TLS_V12 ? "TLSv1.2" : "none";
}
