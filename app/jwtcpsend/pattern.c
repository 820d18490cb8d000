#include <string.h>

#include <openssl/evp.h>

#include "pattern.h"

/* Two periods back to back, so any n <= PATTERN_PERIOD is one memcpy. */
static uint8_t block[2 * PATTERN_PERIOD];

void
pattern_init(void)
{
	for (uint32_t k = 0; k < PATTERN_PERIOD; k++)
		block[k] = block[k + PATTERN_PERIOD] = (uint8_t)((k * 2654435761u) >> 24);
}

void
pattern_fill(uint8_t *dst, uint64_t off, uint32_t n)
{
	while (n > 0) {
		uint32_t k = (uint32_t)(off % PATTERN_PERIOD);
		uint32_t len = n < PATTERN_PERIOD ? n : PATTERN_PERIOD;
		memcpy(dst, block + k, len);
		dst += len;
		off += len;
		n -= len;
	}
}

void
pattern_sha256(uint64_t n, char hex[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned int mdlen = 0;
	uint64_t off = 0;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while (off < n) {
		uint64_t k = off % PATTERN_PERIOD;
		uint64_t len = n - off < PATTERN_PERIOD ? n - off : PATTERN_PERIOD;
		EVP_DigestUpdate(ctx, block + k, len);
		off += len;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (int i = 0; i < 32; i++) {
		static const char x[] = "0123456789abcdef";
		hex[2 * i] = x[md[i] >> 4];
		hex[2 * i + 1] = x[md[i] & 15];
	}
	hex[64] = '\0';
}
