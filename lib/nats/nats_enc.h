/* NATS client protocol encoder: PUB/HPUB frames, header blocks, CONNECT, SUB, UNSUB, PING,
 * PONG. DPDK-free; no allocation; never printf-family formatting on the hot path.
 *
 * Publish frames are byte-identical to what cnats 3.4 (natsConn_publish) writes for the same
 * message and the same ordered header lines (proved by tests/nats/test_cnats_equiv.c):
 *   PUB <subject> [<reply>] <#payload>\r\n<payload>\r\n
 *   HPUB <subject> [<reply>] <#hdr> <#hdr+#payload>\r\n<header block><payload>\r\n
 * A frame is HPUB when it carries a header block (a Nats-Msg-Id or caller headers), PUB
 * otherwise.
 *
 * Two ways to write a frame:
 *   - fast path: nats_pub_size() then nats_pub_encode() into one buffer that has room for the
 *     whole frame (the common case: a frame that fits the rest of the current TCP segment);
 *   - resumable: nats_frame_init() once, then nats_frame_write() into as many fixed-size
 *     buffers as it takes (a frame that straddles TCP segments); each call says how many
 *     bytes it wrote and nats_frame_done() says when the frame is complete.
 * Both produce the same bytes.
 */
#ifndef JW_NATS_ENC_H
#define JW_NATS_ENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "nats/nats-t.h"
#include "nats/nats_validate.h"

/* ---- digits ------------------------------------------------------------------------ */

/* Number of decimal digits of v (1..20). */
static inline unsigned
nats_u64_digits(uint64_t v)
{
	unsigned n = 1;

	while (v >= 10000) {
		v /= 10000;
		n += 4;
	}
	if (v >= 10)
		n++;
	if (v >= 100)
		n++;
	if (v >= 1000)
		n++;
	return n;
}

extern const char nats_digit_pairs[200];

/* Writes exactly n = nats_u64_digits(v) decimal digits of v at dst (no NUL). */
static inline void
nats_u64_render_n(char *dst, uint64_t v, unsigned n)
{
	char *p = dst + n;

	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);

		v /= 100;
		p -= 2;
		memcpy(p, &nats_digit_pairs[2 * r], 2);
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, &nats_digit_pairs[2 * v], 2);
	} else {
		*--p = (char)('0' + v);
	}
}

/* Writes the decimal digits of v at dst (room for 20 bytes needed, no NUL written);
 * returns how many. */
static inline size_t
nats_u64_render(char *dst, uint64_t v)
{
	unsigned n = nats_u64_digits(v);

	nats_u64_render_n(dst, v, n);
	return n;
}

/* Formats prefix + decimal(v) into dst[0..cap) and NUL-terminates it (ids and reply
 * subjects: e.g. prefix "_JW.a1.0." and the publish sequence). Returns the length without
 * the NUL, or -ENOSPC when cap is too small (dst untouched). */
int nats_token_format(char *dst, size_t cap, const char *prefix, size_t prefix_len, uint64_t v);

/* Parses exactly len decimal digits (no sign, no spaces, no leading zero unless "0").
 * Returns 0, -EINVAL for any other byte or empty input, -ERANGE above UINT64_MAX. */
int nats_u64_parse(const char *s, size_t len, uint64_t *v);

/* ---- header blocks ----------------------------------------------------------------- */

/* Size of the header block jetwire sends for a message with a msg_id_len-byte Nats-Msg-Id
 * (0: none) and a caller header block of user_hdr_len bytes (0: none, else >= 12 as
 * nats_hdr_check() guarantees): "NATS/1.0\r\n" ["Nats-Msg-Id: " id "\r\n"] user lines "\r\n".
 * 0 when there is neither, i.e. the frame is a PUB. */
static inline size_t
nats_hdr_size(size_t msg_id_len, size_t user_hdr_len)
{
	if (msg_id_len == 0)
		return user_hdr_len;
	return 10 + 13 + msg_id_len + 2 + (user_hdr_len ? user_hdr_len - 12 : 0) + 2;
}

/* Writes that header block at dst (nats_hdr_size() bytes, caller guarantees room) straight
 * from its parts, without an intermediate copy. Returns bytes written. The caller's block
 * contributes its lines without its "NATS/1.0\r\n" first line and final "\r\n". */
size_t nats_hdr_compose(char *dst, const char *msg_id, size_t msg_id_len, const char *user_hdr,
			size_t user_hdr_len);

/* Builds a header block "NATS/1.0\r\n" + "name: value\r\n"... + "\r\n" from n fields in
 * their given order (as cnats writes them: name, ": ", value). Names must be 1+ printable
 * ASCII bytes without ':' or space, values hold no CR, LF or NUL. Returns the block length,
 * -EINVAL for a bad field, -ENOSPC when cap is too small. */
ssize_t nats_hdr_build(char *dst, size_t cap, const struct nats_hdr_field *f, size_t n);

/* ---- publish frames ---------------------------------------------------------------- */

/* Exact size in bytes of the publish frame for m. Returns -EINVAL when m is unusable (no
 * subject, header block shorter than 12 bytes), -E2BIG when subject, reply or msg id
 * exceed their limits. */
ssize_t nats_pub_size(const struct nats_pub *m);

/* Fast path: writes the whole frame for m at dst if cap holds it. Returns the bytes written
 * (== nats_pub_size(m)), -ENOSPC when cap is smaller (nothing written), or the errors of
 * nats_pub_size(). */
ssize_t nats_pub_encode(char *dst, size_t cap, const struct nats_pub *m);

/* Prepares f to write the frame for m piecewise. Returns 0, or the errors of
 * nats_pub_size(). m itself need not outlive the call; the bytes it points to must. */
int nats_frame_init(struct nats_frame *f, const struct nats_pub *m);

/* Writes the next bytes of the frame into dst[0..cap) and returns how many (cap, or fewer
 * when the frame ends). Returns 0 once the frame is done. */
size_t nats_frame_write(struct nats_frame *f, char *dst, size_t cap);

static inline bool
nats_frame_done(const struct nats_frame *f)
{
	return f->off == f->size;
}

static inline size_t
nats_frame_remaining(const struct nats_frame *f)
{
	return f->size - f->off;
}

/* ---- other client operations ------------------------------------------------------- */

/* Each writes one protocol line at dst and returns its length, or -ENOSPC when cap is too
 * small (dst contents then unspecified), or -EINVAL for unusable arguments. */

/* CONNECT {json}\r\n with verbose false, pedantic false, headers true, no_responders true,
 * protocol 1, echo false, lang, version, name and the auth fields that are set. Strings are
 * JSON-escaped. */
ssize_t nats_connect_encode(char *dst, size_t cap, const struct nats_connect_opts *o);

/* SUB <subject> [<queue>] <sid>\r\n. Subject: 1..NATS_SUBJECT_MAX bytes without space,
 * tab, CR, LF or other control bytes (wildcards allowed); queue likewise, may be empty. */
ssize_t nats_sub_encode(char *dst, size_t cap, const char *subject, size_t subject_len,
			const char *queue, size_t queue_len, uint64_t sid);

/* UNSUB <sid> [<max>]\r\n; max 0 means unsubscribe now. */
ssize_t nats_unsub_encode(char *dst, size_t cap, uint64_t sid, uint64_t max);

#define NATS_PING_LINE "PING\r\n"
#define NATS_PONG_LINE "PONG\r\n"

/* PING\r\n and PONG\r\n. */
ssize_t nats_ping_encode(char *dst, size_t cap);
ssize_t nats_pong_encode(char *dst, size_t cap);

#endif /* JW_NATS_ENC_H */
