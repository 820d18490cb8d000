/* libFuzzer target: the NKey seed decoder and the .creds parser (lib/auth). Any input: no
 * crash, no read outside it; an accepted seed re-encodes to exactly the input (trimmed), so
 * nothing but the one canonical text of a user seed is accepted; an accepted .creds file's
 * JWT is a line of the input and its key is a valid user key that signs and verifies. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_key(const struct jw_nkey *k)
{
	char sig[JW_NKEY_SIG_LEN + 1];

	if (strlen(k->public_key) != JW_NKEY_PUBLIC_LEN || k->public_key[0] != 'U')
		abort();
	if (jw_nkey_sign(k, "nonce", 5, sig, sizeof(sig)) != JW_NKEY_SIG_LEN ||
	    jw_nkey_verify(k, "nonce", 5, sig) != 0)
		abort();
}

static void
seed_case(const char *in, size_t size)
{
	struct jw_nkey k;
	char err[200], text[64];
	uint8_t raw[36];
	uint16_t crc;
	size_t b = 0, e = size;
	int rc = jw_nkey_from_seed(in, size, &k, err, sizeof(err));

	if (rc != 0) {
		if (rc != -EINVAL && rc != -EBADMSG && rc != -EPROTO)
			abort();
		return;
	}
	check_key(&k);
	/* rebuild the seed text from the key: it must be the input without white space */
	raw[0] = (uint8_t)(JW_NKEY_PREFIX_SEED | (JW_NKEY_PREFIX_USER >> 5));
	raw[1] = (uint8_t)((JW_NKEY_PREFIX_USER & 31) << 3);
	memcpy(raw + 2, k.sk, 32);
	crc = jw_crc16(raw, 34);
	raw[34] = (uint8_t)crc;
	raw[35] = (uint8_t)(crc >> 8);
	if (jw_base32_encode(raw, 36, text, sizeof(text)) != JW_NKEY_SEED_LEN)
		abort();
	while (b < e && strchr(" \t\r\n\f\v", in[b]) && in[b])
		b++;
	while (e > b && strchr(" \t\r\n\f\v", in[e - 1]) && in[e - 1])
		e--;
	/* base32's last character carries 2 spare bits: only the canonical one re-encodes */
	if (e - b != JW_NKEY_SEED_LEN || memcmp(in + b, text, JW_NKEY_SEED_LEN - 1) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jw_creds c;
	const char *in = (const char *)data;
	char err[200];
	int rc;

	seed_case(in, size);
	rc = jw_creds_parse(in, size, &c, err, sizeof(err));
	if (rc != 0) {
		if (rc != -EINVAL && rc != -EBADMSG && rc != -EPROTO && rc != -E2BIG)
			abort();
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return 0;
	}
	if (c.jwt_len == 0 || c.jwt_len > JW_JWT_MAX || strlen(c.jwt) != c.jwt_len ||
	    memmem(in, size, c.jwt, c.jwt_len) == NULL)
		abort();
	check_key(&c.key);
	return 0;
}
