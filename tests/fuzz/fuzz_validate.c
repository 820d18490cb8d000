/* libFuzzer target: subject and header-block validation, and what the encoder and parser do
 * with what validation accepts.
 *
 * Input: [selector][rest]. Whatever rest is, nats_subject_check() and nats_hdr_check() must
 * not crash, and nats_subject_scan() of rest as a C string accepts exactly what
 * nats_subject_check() of its bytes up to the first NUL accepts. When rest is accepted:
 *   - as a subject: the PUB frame's control line has exactly 3 blank-separated words and the
 *     subject comes back unchanged when the server echoes it as a MSG;
 *   - as a header block: the HPUB header with a Nats-Msg-Id composed in front is again a
 *     valid header block, and echoed as an HMSG it parses back to the same bytes, with the
 *     Msg-Id found by nats_hdr_get().
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nats/nats_enc.h"
#include "nats/nats_parser.h"
#include "nats/nats_validate.h"

static struct nats_parser parser;
static char payload_buf[NATS_HDR_MAX + 256];

/* Parses one complete message out of s[0..n) and returns it (abort on anything else). */
static struct nats_msg
parse_one(const char *s, size_t n)
{
	struct nats_event ev;
	size_t used;

	nats_parser_init(&parser, payload_buf, sizeof(payload_buf));
	if (nats_parser_next(&parser, s, n, &used, &ev) != 1 || used != n ||
	    (ev.op != NATS_OP_MSG && ev.op != NATS_OP_HMSG))
		abort();
	return ev.msg;
}

static void
subject_roundtrip(const char *s, size_t n)
{
	struct nats_pub m = { .subject = s, .subject_len = n, .payload = "x", .payload_len = 1 };
	char frame[NATS_SUBJECT_MAX + 64], echo[NATS_SUBJECT_MAX + 64];
	ssize_t fl = nats_pub_encode(frame, sizeof(frame), &m);
	int words = 0, el;
	struct nats_msg msg;

	if (fl <= 0)
		abort();
	for (ssize_t i = 0; i < fl && frame[i] != '\r'; i++)
		if (frame[i] != ' ' && (i == 0 || frame[i - 1] == ' '))
			words++;
	if (words != 3)
		abort();
	el = snprintf(echo, sizeof(echo), "MSG %.*s 1 1\r\nx\r\n", (int)n, s);
	msg = parse_one(echo, (size_t)el);
	if (msg.subject_len != n || memcmp(msg.subject, s, n) != 0 || msg.data_len != 1)
		abort();
}

static void
hdr_roundtrip(const char *h, size_t n)
{
	static char block[NATS_HDR_MAX + 256], echo[NATS_HDR_MAX + 512];
	size_t bl = nats_hdr_size(7, n);
	size_t wl = nats_hdr_compose(block, "jw-1-99", 7, h, n);
	int cl;
	struct nats_msg msg;
	const char *v;
	size_t vl;

	/* The composed block is the user's block plus one line, so it may pass the
	 * NATS_HDR_MAX limit that the user's block alone respected: then only the size
	 * check may fail it. */
	if (wl != bl || nats_hdr_check(block, bl) != (bl > NATS_HDR_MAX ? -E2BIG : 0))
		abort();
	cl = snprintf(echo, sizeof(echo), "HMSG s 1 %zu %zu\r\n", bl, bl + 2);
	memcpy(echo + cl, block, bl);
	memcpy(echo + cl + bl, "ab\r\n", 4);
	msg = parse_one(echo, (size_t)cl + bl + 4);
	if (msg.hdr_len != bl || memcmp(msg.hdr, block, bl) != 0 || msg.status != 0 ||
	    msg.data_len != 2 || memcmp(msg.data, "ab", 2) != 0)
		abort();
	if (nats_hdr_get(msg.hdr, msg.hdr_len, "Nats-Msg-Id", 11, &v, &vl) != 0 || vl != 7 ||
	    memcmp(v, "jw-1-99", 7) != 0)
		abort();
}

/* nats_subject_scan on a NUL-terminated copy of s[0..n) accepts what nats_subject_check
 * accepted (rc), with the same length, and rejects the rest (up to the first NUL, which the
 * copy ends at: scan must then agree with check of that prefix). */
static void
scan_agrees(const char *s, size_t n, int rc)
{
	static char copy[1 << 16];
	size_t len = 0, z = strnlen(s, n);
	int got;

	if (n >= sizeof(copy))
		return;
	memcpy(copy, s, n);
	copy[n] = '\0';
	got = nats_subject_scan(copy, &len);
	if (z < n) /* the copy ends at the embedded NUL */
		rc = nats_subject_check(s, z);
	if ((got == 0) != (rc == 0) || (got == 0 && len != z) ||
	    (got != 0 && got != -EINVAL && got != -E2BIG))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s;
	size_t n;
	int rc;

	if (size < 1)
		return 0;
	s = (const char *)data + 1;
	n = size - 1;
	if (data[0] & 1) {
		rc = nats_hdr_check(s, n);
		if (rc != 0 && rc != -EINVAL && rc != -E2BIG)
			abort();
		if (rc == 0 && n > 0)
			hdr_roundtrip(s, n);
	} else {
		rc = nats_subject_check(s, n);
		if (rc != 0 && rc != -EINVAL && rc != -E2BIG)
			abort();
		if (rc == 0)
			subject_roundtrip(s, n);
		scan_agrees(s, n, rc);
	}
	return 0;
}
