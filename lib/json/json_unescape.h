/* JSON string escapes (RFC 8259 section 7): the one decoder, used by lib/nats's scanner
 * (PubAcks, INFO) and by the jwstat JSON reader. DPDK-free, no allocation. */
#ifndef JW_JSON_UNESCAPE_H
#define JW_JSON_UNESCAPE_H

#include <stddef.h>

/* Decodes the escape whose backslash is at p (p < end; the caller found the backslash):
 * \" \\ \/ \b \f \n \r \t, and \uXXXX as UTF-8 (a high surrogate must be followed by
 * \uXXXX with a low one; the pair becomes one 4-byte sequence). Writes 1..4 bytes to out and
 * returns how many; *used gets the source bytes consumed (backslash included).
 * Rejects, reading nothing past end: -EINVAL no byte after the backslash, or an unknown
 * escape letter; -EILSEQ \u without four hex digits; -EDOM a lone low surrogate; -ERANGE a
 * high surrogate without its low one. */
int jw_json_unescape(const char *p, const char *end, char out[4], size_t *used);

#endif /* JW_JSON_UNESCAPE_H */
