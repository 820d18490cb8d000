/* Validation of what producers hand to jetwire before it reaches a ring.
 * DPDK-free: used by the producer library, the TX lcores (re-validating shared memory,
 * which is not trusted) and the fuzz targets.
 */
#ifndef JW_NATS_VALIDATE_H
#define JW_NATS_VALIDATE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "nats/nats-t.h"

/* Checks a publish subject of len bytes (not NUL-terminated).
 * Accepts dot-separated non-empty tokens of printable bytes.
 * Rejects, with -EINVAL: an empty subject; an empty token (leading, trailing or double dot);
 * space, tab, CR, LF or any other control byte or DEL (they would break the control line);
 * a token that is exactly "*" or ">" (wildcards are for subscribing, not publishing).
 * Rejects with -E2BIG a subject longer than NATS_SUBJECT_MAX.
 * Returns 0 when the subject may be published. */
int nats_subject_check(const char *subject, size_t len);

/* The one walk over a subject that both checks below make: the first n bytes (to_nul
 * false: nats_subject_check's rules, a NUL byte is a control byte), or up to the NUL (to_nul
 * true: n is ignored, at most NATS_SUBJECT_MAX + 1 bytes are read). Sets *len on success.
 * Inline so that each caller's constant to_nul folds away. */
static inline int
nats_subject_walk(const char *s, size_t n, bool to_nul, size_t *len)
{
	size_t i, tok = 0;

	if (s == NULL || (!to_nul && n == 0))
		return -EINVAL;
	if (!to_nul && n > NATS_SUBJECT_MAX)
		return -E2BIG;
	for (i = 0;; i++) {
		bool end = to_nul ? s[i] == '\0' : i == n;

		if (end || s[i] == '.') {
			size_t tl = i - tok;

			if (tl == 0 || (tl == 1 && (s[tok] == '*' || s[tok] == '>')))
				return -EINVAL;
			if (end)
				break;
			tok = i + 1;
		} else if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] == 0x7f) {
			return -EINVAL;
		}
		if (i == NATS_SUBJECT_MAX)
			return -E2BIG; /* to_nul: byte NATS_SUBJECT_MAX + 1 is not the end */
	}
	*len = i;
	return 0;
}

/* nats_subject_check for a NUL-terminated subject, in the one pass the publish call can
 * afford (no strlen first): the same subjects are accepted, and *len gets the length.
 * Reads at most NATS_SUBJECT_MAX + 1 bytes, so an unterminated or huge string costs no more.
 * Returns 0, -EINVAL for NULL or anything nats_subject_check rejects with it, -E2BIG when
 * the first NATS_SUBJECT_MAX + 1 bytes hold no NUL and no earlier problem (so a subject
 * that is both too long and malformed may get either code). */
static inline int
nats_subject_scan(const char *s, size_t *len)
{
	return nats_subject_walk(s, 0, true, len);
}

/* Checks a caller-supplied header block of len bytes.
 * Accepts "NATS/1.0\r\n" followed by zero or more "Name: value\r\n" lines and a final
 * "\r\n". A name is 1..n bytes of printable ASCII without ':' or space; a value may be
 * empty and holds no CR or LF (those would let a producer inject protocol lines).
 * A status or description on the first line is rejected: producers do not send statuses.
 * Rejects with -EINVAL anything else, with -E2BIG a block over NATS_HDR_MAX.
 * len == 0 (no header block) is accepted. Returns 0 when valid. */
int nats_hdr_check(const char *hdr, size_t len);

#endif /* JW_NATS_VALIDATE_H */
