/* libFuzzer target: the NATS server-stream parser (plus the INFO, PubAck and header readers
 * on what it returns).
 *
 * Input: [cap_hi cap_lo][nsplit][nsplit x (hi lo)] then the stream. cap bounds message
 * payloads; the stream is parsed once whole and once cut at the fuzzer-chosen split points,
 * each chunk in its own exact-size heap copy. Both runs must return the same events and
 * the same final result (no desynchronisation by how TCP cut the bytes), every byte an
 * event points to is read (so ASan flags pointers outside live memory), and *used never
 * exceeds the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nats/nats_parser.h"
#include "nats/nats_puback.h"

#define MAX_SPLITS 16

struct digest {
	uint64_t h;
	size_t events;
	int rc;
};

static void
mix(struct digest *d, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		d->h = (d->h ^ b[i]) * 0x100000001b3ull;
	d->h = (d->h ^ n) * 0x100000001b3ull;
}

static void
digest_event(struct digest *d, const struct nats_event *ev)
{
	int op = (int)ev->op;

	mix(d, &op, sizeof(op));
	d->events++;
	switch (ev->op) {
	case NATS_OP_INFO: {
		struct nats_info info;
		int rc;

		mix(d, ev->info.json, ev->info.len);
		rc = nats_info_parse(ev->info.json, ev->info.len, &info);
		mix(d, &rc, sizeof(rc));
		break;
	}
	case NATS_OP_MSG:
	case NATS_OP_HMSG: {
		const struct nats_msg *m = &ev->msg;
		struct nats_puback a;
		const char *v;
		size_t vl;
		int rc;

		mix(d, m->subject, m->subject_len);
		mix(d, m->reply ? m->reply : "", m->reply_len);
		mix(d, &m->sid, sizeof(m->sid));
		mix(d, m->hdr ? m->hdr : "", m->hdr_len);
		mix(d, m->data, m->data_len);
		mix(d, &m->status, sizeof(m->status));
		mix(d, m->status_desc ? m->status_desc : "", m->status_desc_len);
		if (m->subject_len == 0)
			abort();
		rc = nats_puback_parse(m->data, m->data_len, &a);
		mix(d, &rc, sizeof(rc));
		if (rc == 0)
			mix(d, &a.seq, sizeof(a.seq));
		if (m->hdr_len) {
			rc = nats_hdr_get(m->hdr, m->hdr_len, "Nats-Msg-Id", 11, &v, &vl);
			if (rc == 0) {
				if (v < m->hdr || v + vl > m->hdr + m->hdr_len)
					abort();
				mix(d, v, vl);
			}
		}
		break;
	}
	case NATS_OP_ERR:
		mix(d, ev->err.text, ev->err.len);
		mix(d, &ev->err.kind, sizeof(ev->err.kind));
		mix(d, &ev->err.fatal, sizeof(ev->err.fatal));
		break;
	case NATS_OP_PING:
	case NATS_OP_PONG:
	case NATS_OP_OK:
		break;
	default:
		abort();
	}
}

static void
run(struct nats_parser *p, const uint8_t *in, size_t n, const size_t *cuts, size_t ncuts,
    struct digest *d)
{
	size_t start = 0;

	d->h = 0xcbf29ce484222325ull;
	d->events = 0;
	d->rc = 0;
	for (size_t c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : n;
		size_t clen = end - start, at = 0;
		char *chunk = malloc(clen ? clen : 1);

		memcpy(chunk, in + start, clen);
		for (;;) {
			struct nats_event ev;
			size_t used = 12345;
			int rc = nats_parser_next(p, chunk + at, clen - at, &used, &ev);

			if (used > clen - at)
				abort();
			if (rc < 0) {
				if (used != 0 || p->state != NATS_PARSER_FAILED)
					abort();
				/* sticky */
				if (nats_parser_next(p, chunk, clen, &used, &ev) != rc || used != 0)
					abort();
				d->rc = rc;
				free(chunk);
				return;
			}
			at += used;
			if (rc == 0) {
				if (at != clen)
					abort();
				break;
			}
			digest_event(d, &ev);
		}
		free(chunk);
		start = end;
	}
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static struct nats_parser parser;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap, nsplit, hdr, n;
	size_t cuts[MAX_SPLITS];
	const uint8_t *in;
	struct digest whole, split;
	char *payload;

	if (size < 3)
		return 0;
	cap = ((size_t)data[0] << 8 | data[1]) % 4097;
	nsplit = data[2] % (MAX_SPLITS + 1);
	hdr = 3 + 2 * nsplit;
	if (size < hdr)
		return 0;
	in = data + hdr;
	n = size - hdr;
	for (size_t i = 0; i < nsplit; i++)
		cuts[i] = n ? ((size_t)data[3 + 2 * i] << 8 | data[4 + 2 * i]) % (n + 1) : 0;
	qsort(cuts, nsplit, sizeof(cuts[0]), cmp_size);

	payload = malloc(cap ? cap : 1);
	nats_parser_init(&parser, cap ? payload : NULL, cap);
	run(&parser, in, n, NULL, 0, &whole);
	nats_parser_init(&parser, cap ? payload : NULL, cap);
	run(&parser, in, n, cuts, nsplit, &split);
	if (whole.rc != split.rc || whole.events != split.events || whole.h != split.h) {
		fprintf(stderr, "split changed the result: rc %d/%d events %zu/%zu\n", whole.rc,
			split.rc, whole.events, split.events);
		abort();
	}
	free(payload);
	return 0;
}
