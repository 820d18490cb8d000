/* jwtcpsend's deterministic byte pattern: byte i of the stream is
 * block[i % PATTERN_PERIOD], block[k] = ((k * 2654435761) mod 2^32) >> 24.
 * The period is a prime, so a segment misplaced by a multiple of any MSS changes the
 * sha256. tests/bench/tcp/ksend.py generates the same stream for the kernel sender. */
#ifndef JW_TCPSEND_PATTERN_H
#define JW_TCPSEND_PATTERN_H

#include <stdint.h>

#define PATTERN_PERIOD 65521u

void pattern_init(void);
/* Writes n bytes of the stream starting at stream offset off into dst. */
void pattern_fill(uint8_t *dst, uint64_t off, uint32_t n);
/* sha256 of the first n bytes of the stream, as 64 hex digits + NUL. */
void pattern_sha256(uint64_t n, char hex[65]);

#endif
