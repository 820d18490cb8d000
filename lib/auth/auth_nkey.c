/* NKey text forms (base32 + CRC16), seed decoding and ed25519 nonce signatures. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "auth/auth.h"
#include "common/jw_err.h"

static const char b32_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char b64url_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

uint16_t
jw_crc16(const uint8_t *data, size_t len)
{
	uint16_t crc = 0;

	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)((uint16_t)data[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

int
jw_base32_encode(const uint8_t *src, size_t len, char *dst, size_t cap)
{
	size_t need = (len * 8 + 4) / 5, n = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (cap <= need)
		return -ENOSPC;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | src[i];
		bits += 8;
		while (bits >= 5) {
			dst[n++] = b32_alpha[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		dst[n++] = b32_alpha[(acc << (5 - bits)) & 31];
	dst[n] = '\0';
	return (int)n;
}

static int
b32_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int
jw_base32_decode(const char *text, size_t len, uint8_t *dst, size_t cap)
{
	size_t rem = len % 8, n = 0;
	uint32_t acc = 0;
	int bits = 0;

	/* unpadded base32 ends in 0, 2, 4, 5 or 7 characters of a last group */
	if (rem == 1 || rem == 3 || rem == 6)
		return -EINVAL;
	if (len * 5 / 8 > cap)
		return -ENOSPC;
	for (size_t i = 0; i < len; i++) {
		int v = b32_val(text[i]);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			dst[n++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return (int)n;
}

int
jw_base64url_encode(const uint8_t *src, size_t len, char *dst, size_t cap)
{
	size_t need = (len * 4 + 2) / 3, n = 0, i = 0;

	if (cap <= need)
		return -ENOSPC;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];

		dst[n++] = b64url_alpha[(v >> 18) & 63];
		dst[n++] = b64url_alpha[(v >> 12) & 63];
		dst[n++] = b64url_alpha[(v >> 6) & 63];
		dst[n++] = b64url_alpha[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)src[i] << 16;

		dst[n++] = b64url_alpha[(v >> 18) & 63];
		dst[n++] = b64url_alpha[(v >> 12) & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;

		dst[n++] = b64url_alpha[(v >> 18) & 63];
		dst[n++] = b64url_alpha[(v >> 12) & 63];
		dst[n++] = b64url_alpha[(v >> 6) & 63];
	}
	dst[n] = '\0';
	return (int)n;
}

static const char *
prefix_name(unsigned p)
{
	switch (p) {
	case JW_NKEY_PREFIX_ACCOUNT: return "an account";
	case JW_NKEY_PREFIX_CLUSTER: return "a cluster";
	case JW_NKEY_PREFIX_SERVER: return "a server";
	case JW_NKEY_PREFIX_OPERATOR: return "an operator";
	case JW_NKEY_PREFIX_PRIVATE: return "a private";
	case JW_NKEY_PREFIX_SEED: return "a seed";
	case JW_NKEY_PREFIX_USER: return "a user";
	default: return "an unknown";
	}
}

static bool
valid_public_prefix(unsigned p)
{
	return p == JW_NKEY_PREFIX_ACCOUNT || p == JW_NKEY_PREFIX_CLUSTER ||
	       p == JW_NKEY_PREFIX_SERVER || p == JW_NKEY_PREFIX_OPERATOR ||
	       p == JW_NKEY_PREFIX_USER;
}

int
jw_nkey_public_encode(enum jw_nkey_prefix prefix, const uint8_t pk[32], char *dst, size_t cap)
{
	uint8_t raw[35];
	uint16_t crc;
	int n;

	if (!valid_public_prefix((unsigned)prefix) || pk == NULL || dst == NULL)
		return -EINVAL;
	raw[0] = (uint8_t)prefix;
	memcpy(raw + 1, pk, 32);
	crc = jw_crc16(raw, 33);
	raw[33] = (uint8_t)(crc & 0xff);
	raw[34] = (uint8_t)(crc >> 8);
	n = jw_base32_encode(raw, sizeof(raw), dst, cap);
	return n < 0 ? n : 0;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

int
jw_nkey_from_seed(const char *seed, size_t len, struct jw_nkey *out, char *err, size_t errlen)
{
	uint8_t raw[40];
	unsigned b1, b2;
	uint16_t crc;
	int n, rc = 0;

	if (seed == NULL || out == NULL) {
		jw_errf(err, errlen, "no seed");
		return -EINVAL;
	}
	while (len > 0 && is_space(seed[0])) {
		seed++;
		len--;
	}
	while (len > 0 && is_space(seed[len - 1]))
		len--;
	if (len != JW_NKEY_SEED_LEN) {
		jw_errf(err, errlen, "not an NKey seed: %zu characters, a user seed has %d", len,
			JW_NKEY_SEED_LEN);
		return -EINVAL;
	}
	n = jw_base32_decode(seed, len, raw, sizeof(raw));
	if (n != 36) {
		jw_errf(err, errlen, "not an NKey seed: a character outside the base32 alphabet "
			"(A-Z, 2-7)");
		rc = -EINVAL;
		goto out;
	}
	crc = (uint16_t)(raw[34] | raw[35] << 8);
	if (jw_crc16(raw, 34) != crc) {
		jw_errf(err, errlen, "NKey seed checksum (CRC16) mismatch: the seed is damaged");
		rc = -EBADMSG;
		goto out;
	}
	b1 = raw[0] & 248u;
	b2 = (unsigned)(raw[0] & 7u) << 5 | (unsigned)(raw[1] & 248u) >> 3;
	if (b1 != JW_NKEY_PREFIX_SEED) {
		jw_errf(err, errlen, "not an NKey seed: %s key (seeds start with S)",
			prefix_name(b1));
		rc = -EPROTO;
		goto out;
	}
	if (b2 != JW_NKEY_PREFIX_USER) {
		jw_errf(err, errlen, "not a user seed: the seed of %s key (user seeds start "
			"with SU)", prefix_name(b2));
		rc = -EPROTO;
		goto out;
	}
	if ((raw[1] & 7u) != 0) {
		/* the prefix's 3 spare bits: every encoder writes zeros there, so only one text
		 * stands for a seed (a damaged one whose checksum happens to match is refused) */
		jw_errf(err, errlen, "not an NKey seed: its prefix's spare bits are set (a "
			"user seed begins with SUA)");
		rc = -EINVAL;
		goto out;
	}
	if (sodium_init() < 0) {
		jw_errf(err, errlen, "libsodium failed to initialise");
		rc = -EIO;
		goto out;
	}
	if (crypto_sign_seed_keypair(out->pk, out->sk, raw + 2) != 0) {
		jw_errf(err, errlen, "ed25519 key derivation failed");
		rc = -EIO;
		goto out;
	}
	rc = jw_nkey_public_encode(JW_NKEY_PREFIX_USER, out->pk, out->public_key,
				   sizeof(out->public_key));
out:
	sodium_memzero(raw, sizeof(raw));
	if (rc != 0)
		sodium_memzero(out, sizeof(*out));
	return rc;
}

int
jw_nkey_sign(const struct jw_nkey *k, const void *msg, size_t len, char *sig, size_t cap)
{
	uint8_t s[crypto_sign_BYTES];

	if (k == NULL || sig == NULL || (msg == NULL && len > 0))
		return -EINVAL;
	if (cap <= JW_NKEY_SIG_LEN)
		return -ENOSPC;
	if (crypto_sign_detached(s, NULL, msg, len, k->sk) != 0)
		return -EIO;
	return jw_base64url_encode(s, sizeof(s), sig, cap);
}

static int
b64url_val(char c)
{
	const char *p = c ? strchr(b64url_alpha, c) : NULL;

	return p ? (int)(p - b64url_alpha) : -1;
}

int
jw_nkey_verify(const struct jw_nkey *k, const void *msg, size_t len, const char *sig)
{
	uint8_t s[crypto_sign_BYTES + 2];
	size_t n = 0, sl = sig ? strlen(sig) : 0;
	uint32_t acc = 0;
	int bits = 0;

	if (k == NULL || sl != JW_NKEY_SIG_LEN)
		return -EBADMSG;
	for (size_t i = 0; i < sl; i++) {
		int v = b64url_val(sig[i]);

		if (v < 0)
			return -EBADMSG;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			if (n < sizeof(s))
				s[n++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	if (n != crypto_sign_BYTES)
		return -EBADMSG;
	return crypto_sign_verify_detached(s, msg, len, k->pk) == 0 ? 0 : -EBADMSG;
}

void
jw_secret_wipe(void *buf, size_t len)
{
	if (buf != NULL)
		sodium_memzero(buf, len);
}

void
jw_nkey_wipe(struct jw_nkey *k)
{
	jw_secret_wipe(k, sizeof(*k));
}

void
jw_creds_wipe(struct jw_creds *c)
{
	jw_secret_wipe(c, sizeof(*c));
}
