/* bench_codec: NATS codec throughput. No EAL, no network; single thread.
 *
 * 1. Encoding publish frames (20-byte subject, 20-byte reply, payloads of 16, 128 and 1024
 *    bytes) as PUB (dedupe=off) and as HPUB with a Nats-Msg-Id (dedupe=msgid), through the
 *    fast path (nats_pub_size + nats_pub_encode) and the resumable path (nats_frame_init +
 *    nats_frame_write into 1460-byte segments), beside a plain memcpy of the same number of
 *    bytes into the same destinations (the physical limit). Destinations advance through a
 *    1 MiB buffer like successive TCP segments.
 * 2. PubAck parsing on a stream recorded from nats-server 2.9 (puback_recording.c): the JSON
 *    parser alone, and the whole control path (stream parser + PubAck parser).
 * Each figure is the best of several runs. Prints a table; asserts nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/jw_time.h"
#include "nats/nats_enc.h"
#include "nats/nats_parser.h"
#include "nats/nats_puback.h"
#include "puback_recording.h"

#define OUT_SIZE (1u << 20)
#define SEG 1460
#define REPEATS 41 /* best of many short runs: robust against preemption on a shared machine */

static char out_buf[OUT_SIZE + 4096];

static inline void
clobber(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static double
now_ns(void)
{
	return (double)jw_mono_ns();
}

enum mode { FAST, SEGMENTS, MEMCPY };

/* ns per frame for n frames of m in the given mode. */
static double
run_encode(const struct nats_pub *m, size_t frame, enum mode mode, unsigned n)
{
	double best = 1e30;
	const char *src = m->payload;
	static char src_frame[4096];

	memset(src_frame, 'x', sizeof(src_frame));
	(void)src;
	for (int r = 0; r < REPEATS; r++) {
		size_t off = 0;
		double t0 = now_ns(), dt;

		for (unsigned i = 0; i < n; i++) {
			char *dst = out_buf + off;

			switch (mode) {
			case FAST: {
				ssize_t sz = nats_pub_encode(dst, OUT_SIZE - off + 4096, m);

				if (sz < 0)
					abort();
				break;
			}
			case SEGMENTS: {
				struct nats_frame f;
				size_t at = 0;

				if (nats_frame_init(&f, m) != 0)
					abort();
				while (!nats_frame_done(&f))
					at += nats_frame_write(&f, dst + at, SEG);
				break;
			}
			case MEMCPY:
				memcpy(dst, src_frame, frame);
				break;
			}
			clobber(dst);
			off += frame;
			if (off + frame > OUT_SIZE)
				off = 0;
		}
		dt = (now_ns() - t0) / n;
		if (dt < best)
			best = dt;
	}
	return best;
}

static void
bench_encode(void)
{
	static const size_t sizes[] = { 16, 128, 1024 };
	static char payload[1024];
	const char *subject = "orders.eu.west.new.x"; /* 20 bytes */
	const char *reply = "_JW.a1b2.0.123456789";   /* 20 bytes */
	const char *msg_id = "a1b2-0-123456789";

	memset(payload, 'p', sizeof(payload));
	printf("Encoding (20-byte subject and reply; ns per frame, GB/s of frame bytes; best of %d)\n",
	       REPEATS);
	printf("%-7s %-12s %6s | %8s %7s | %8s %7s | %8s %7s | %9s %9s\n", "payload", "frame",
	       "bytes", "fast ns", "GB/s", "seg ns", "GB/s", "memcpy", "GB/s", "fast/mcpy",
	       "seg/mcpy");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (int with_id = 0; with_id < 2; with_id++) {
			struct nats_pub m = {
				.subject = subject, .subject_len = 20,
				.reply = reply, .reply_len = 20,
				.msg_id = with_id ? msg_id : NULL, .msg_id_len = with_id ? 16 : 0,
				.payload = payload, .payload_len = sizes[s],
			};
			size_t frame = (size_t)nats_pub_size(&m);
			unsigned n = (unsigned)(20u * 1000 * 1000 / (frame + 200));
			double fast = run_encode(&m, frame, FAST, n);
			double seg = run_encode(&m, frame, SEGMENTS, n);
			double mc = run_encode(&m, frame, MEMCPY, n);

			printf("%-7zu %-12s %6zu | %8.2f %7.2f | %8.2f %7.2f | %8.2f %7.2f | %8.2fx %8.2fx\n",
			       sizes[s], with_id ? "HPUB+msgid" : "PUB", frame, fast, frame / fast, seg,
			       frame / seg, mc, frame / mc, fast / mc, seg / mc);
		}
	}
}

struct ack_ref {
	const char *json;
	size_t len;
};

static void
bench_puback(void)
{
	struct ack_ref *acks = calloc(puback_recording_acks, sizeof(*acks));
	static struct nats_parser parser;
	static char payload[4096];
	unsigned n = 0, rounds = 40;
	size_t at = 0, used;
	struct nats_event ev;
	struct nats_puback a;
	double best_json = 1e30, best_full = 1e30;
	uint64_t check = 0;

	/* split the recording into its JSON payloads, with the codec's own parser */
	nats_parser_init(&parser, payload, sizeof(payload));
	while (at < puback_recording_len &&
	       nats_parser_next(&parser, puback_recording + at, puback_recording_len - at, &used,
				&ev) == 1) {
		at += used;
		if (ev.op != NATS_OP_MSG || n == puback_recording_acks)
			abort();
		acks[n].json = ev.msg.data;
		acks[n].len = ev.msg.data_len;
		n++;
	}
	if (n != puback_recording_acks)
		abort();

	for (int r = 0; r < REPEATS; r++) {
		double t0 = now_ns(), dt;

		for (unsigned k = 0; k < rounds; k++)
			for (unsigned i = 0; i < n; i++) {
				if (nats_puback_parse(acks[i].json, acks[i].len, &a) != 0)
					abort();
				check += a.seq;
			}
		dt = (now_ns() - t0) / ((double)rounds * n);
		if (dt < best_json)
			best_json = dt;
	}
	for (int r = 0; r < REPEATS; r++) {
		double t0 = now_ns(), dt;

		for (unsigned k = 0; k < rounds; k++) {
			at = 0;
			while (at < puback_recording_len) {
				int rc = nats_parser_next(&parser, puback_recording + at,
							  puback_recording_len - at, &used, &ev);

				if (rc != 1)
					abort();
				at += used;
				if (nats_puback_parse(ev.msg.data, ev.msg.data_len, &a) != 0)
					abort();
				check += a.seq;
			}
		}
		dt = (now_ns() - t0) / ((double)rounds * n);
		if (dt < best_full)
			best_full = dt;
	}
	printf("\nPubAck parsing (%u acks recorded from nats-server 2.9, %zu bytes; best of %d; "
	       "target > 20 M acks/s)\n", n, puback_recording_len, REPEATS);
	printf("%-34s %8s %12s\n", "path", "ns/ack", "M acks/s");
	printf("%-34s %8.2f %12.1f\n", "nats_puback_parse (JSON only)", best_json, 1e3 / best_json);
	printf("%-34s %8.2f %12.1f\n", "nats_parser_next + nats_puback_parse", best_full,
	       1e3 / best_full);
	if (check == 42)
		printf("\n");
	free(acks);
}

int
main(void)
{
	bench_encode();
	bench_puback();
	return 0;
}
