/* libFuzzer target: the publish-frame encoder. The input supplies subject, reply, msg id,
 * header block, payload and a segment size; the resumable writer cut into segments of that
 * size must produce exactly the fast-path bytes, of exactly nats_pub_size() bytes.
 *
 * Input: [seg_hi seg_lo][ls][lr][li][lh_hi lh_lo] then the bytes of subject, reply, msg id,
 * header block and payload (the rest). Lengths are taken modulo what is left.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nats/nats_enc.h"

static char fast[70000], slow[70000];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nats_pub m = { 0 };
	struct nats_frame f;
	size_t seg, at = 0, left, take;
	const char *p;
	ssize_t sz, n;

	if (size < 7)
		return 0;
	seg = ((size_t)data[0] << 8 | data[1]) % 2048 + 1;
	p = (const char *)data + 7;
	left = size - 7;
#define TAKE(ptr, len, want)                                                                      \
	do {                                                                                      \
		take = (want) % (left + 1);                                                       \
		(ptr) = p;                                                                        \
		(len) = take;                                                                     \
		p += take;                                                                        \
		left -= take;                                                                     \
	} while (0)
	TAKE(m.subject, m.subject_len, data[2]);
	TAKE(m.reply, m.reply_len, data[3]);
	TAKE(m.msg_id, m.msg_id_len, data[4] % 160);
	TAKE(m.hdr, m.hdr_len, ((size_t)data[5] << 8 | data[6]));
	m.payload = p;
	m.payload_len = left;

	sz = nats_pub_size(&m);
	n = nats_pub_encode(fast, sizeof(fast), &m);
	if (sz < 0) {
		if (n != sz || nats_frame_init(&f, &m) != sz)
			abort();
		return 0;
	}
	if (n != sz || (size_t)sz > sizeof(fast))
		abort();
	if (nats_pub_encode(fast, (size_t)sz - 1, &m) != -ENOSPC)
		abort();
	if (nats_frame_init(&f, &m) != 0 || f.size != (size_t)sz)
		abort();
	while (!nats_frame_done(&f)) {
		size_t w = nats_frame_write(&f, slow + at, seg);

		if (w == 0 || w > seg || (w < seg && !nats_frame_done(&f)))
			abort();
		at += w;
	}
	if (at != (size_t)sz || memcmp(fast, slow, at) != 0 || nats_frame_write(&f, slow, 1) != 0)
		abort();
	/* the frame ends in CRLF and starts with the right verb */
	if (memcmp(fast + sz - 2, "\r\n", 2) != 0 ||
	    memcmp(fast, (m.msg_id_len || m.hdr_len) ? "HPUB " : "PUB ", m.msg_id_len || m.hdr_len ? 5 : 4) != 0)
		abort();
	return 0;
}
