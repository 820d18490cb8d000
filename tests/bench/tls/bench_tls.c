/* bench_tls: what jetwire's record layer costs per TCP segment (tests/bench/tls/run.sh, make bench).
 * Seals full-segment records (1438 bytes of plaintext: MSS 1460 minus TLS 1.3's 22 bytes) in
 * place, as the TX lcore does, for each AEAD of TLS 1.3 and TLS 1.2 AES-128-GCM, and opens
 * 120-byte records (a PubAck's size) as the control lcore does, and seals TLS 1.3 records
 * spanning segments (16 KiB and ~7 KB, encrypted one 1460-byte segment share at a time, as
 * engine_tx.c's spanning records are). Prints ns and TSC cycles per
 * record and GB/s of plaintext, the best of 7 runs of 100,000 records each (the machine is
 * shared). memcpy of the same bytes is the yardstick for "no extra copy". */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "common/jw_time.h"
#include "tls/tls.h"

#define RECORDS 100000
#define RUNS 7

static double
now_s(void)
{
	return (double)jw_mono_ns() * 1e-9;
}

static uint8_t rec[TLS_RECORD_MAX], dst[TLS_RECORD_MAX];
static volatile uint8_t sink;

static void
seal_bench(const char *name, struct tls_dir *d, size_t len)
{
	double best = 1e30, best_cyc = 0;

	memset(rec, 0x5a, sizeof(rec));
	for (int run = 0; run < RUNS; run++) {
		double t0 = now_s();
		uint64_t c0 = __rdtsc();

		for (int i = 0; i < RECORDS; i++)
			if (tls_seal(d, TLS_CT_APPDATA, rec, len, sizeof(rec)) < 0)
				return;
		double t = now_s() - t0;
		uint64_t c = __rdtsc() - c0;

		if (t < best) {
			best = t;
			best_cyc = (double)c;
		}
	}
	printf("tls: seal %-18s %5zu B  %7.1f ns/record  %7.0f cycles/record  %5.2f GB/s\n", name,
	       len, best * 1e9 / RECORDS, best_cyc / RECORDS, (double)len * RECORDS / best / 1e9);
}

/* A TLS 1.3 record spanning segments, as the TX lcore seals it: content bytes of `content`,
 * encrypted in place one segment's share (seg bytes) at a time, then inner type and tag.
 * Prints cycles per record and per segment share: the fixed cost is paid once per record. */
static void
span_bench(const char *name, struct tls_dir *d, size_t content, size_t seg)
{
	double best = 1e30, best_cyc = 0;
	int recs = RECORDS / 10;

	memset(rec, 0x5a, sizeof(rec));
	for (int run = 0; run < RUNS; run++) {
		double t0 = now_s();
		uint64_t c0 = __rdtsc();

		for (int i = 0; i < recs; i++) {
			uint8_t tag[16];

			if (tls_seal_begin(d, rec, content + 1) != 0)
				return;
			for (size_t off = 0; off < content; off += seg)
				(void)tls_seal_update(d, rec + 5 + off,
						      content - off < seg ? content - off : seg);
			rec[5 + content] = TLS_CT_APPDATA;
			(void)tls_seal_update(d, rec + 5 + content, 1);
			if (tls_seal_final(d, tag, content) != 0)
				return;
		}
		double t = now_s() - t0;
		uint64_t c = __rdtsc() - c0;

		if (t < best) {
			best = t;
			best_cyc = (double)c;
		}
	}
	size_t segs = (content + seg - 1) / seg;

	printf("tls: span %-18s %5zu B  %7.1f ns/record  %7.0f cycles/record  %5.2f GB/s  "
	       "%6.0f cycles per %zu-byte segment share\n", name, content, best * 1e9 / recs,
	       best_cyc / recs, (double)content * recs / best / 1e9, best_cyc / recs / (double)segs,
	       seg);
}

static void
memcpy_bench(size_t len)
{
	double best = 1e30, best_cyc = 0;

	for (int run = 0; run < RUNS; run++) {
		double t0 = now_s();
		uint64_t c0 = __rdtsc();

		for (int i = 0; i < RECORDS; i++) {
			memcpy(dst, rec + (i & 7), len);
			sink = dst[i & 63];
		}
		double t = now_s() - t0;
		uint64_t c = __rdtsc() - c0;

		if (t < best) {
			best = t;
			best_cyc = (double)c;
		}
	}
	printf("tls: memcpy %-16s %5zu B  %7.1f ns/record  %7.0f cycles/record  %5.2f GB/s\n", "",
	       len, best * 1e9 / RECORDS, best_cyc / RECORDS, (double)len * RECORDS / best / 1e9);
}

static void
open_bench(void)
{
	static const uint8_t secret[32] = { 3 };
	static uint8_t recs[RECORDS / 10][160];
	struct tls_dir tx, rx;
	double best = 1e30;
	ssize_t n = 0;

	for (int run = 0; run < RUNS; run++) {
		tls_dir_init13(&tx, TLS_AEAD_AES128GCM, secret, 32);
		tls_dir_init13(&rx, TLS_AEAD_AES128GCM, secret, 32);
		for (int i = 0; i < RECORDS / 10; i++) {
			memset(recs[i] + 5, 'a', 120);
			n = tls_seal(&tx, TLS_CT_APPDATA, recs[i], 120, sizeof(recs[i]));
		}
		double t0 = now_s();

		for (int i = 0; i < RECORDS / 10; i++) {
			uint8_t type;
			size_t pl;

			if (tls_open(&rx, recs[i], (size_t)n, dst, sizeof(dst), &type, &pl) != 0)
				return;
		}
		double t = now_s() - t0;

		if (t < best)
			best = t;
		tls_dir_fini(&tx);
		tls_dir_fini(&rx);
	}
	printf("tls: open AES-128-GCM (1.3)   120 B  %7.1f ns/record\n", best * 1e9 / (RECORDS / 10));
}

int
main(void)
{
	static const uint8_t s32[32] = { 1 }, s48[48] = { 2 }, key[16] = { 4 }, iv[4] = { 5 };
	struct tls_dir d;
	size_t len = 1460 - 22;

	tls_dir_init13(&d, TLS_AEAD_AES128GCM, s32, 32);
	seal_bench("AES-128-GCM (1.3)", &d, len);
	span_bench("AES-128-GCM (1.3)", &d, TLS_PLAIN_MAX, 1460);
	span_bench("AES-128-GCM (1.3)", &d, 7300, 1460);
	tls_dir_fini(&d);
	tls_dir_init13(&d, TLS_AEAD_AES256GCM, s48, 48);
	seal_bench("AES-256-GCM (1.3)", &d, len);
	tls_dir_fini(&d);
	tls_dir_init13(&d, TLS_AEAD_CHACHA20, s32, 32);
	seal_bench("ChaCha20 (1.3)", &d, len);
	tls_dir_fini(&d);
	tls_dir_init12(&d, TLS_AEAD_AES128GCM, key, 16, iv, 4, 1);
	seal_bench("AES-128-GCM (1.2)", &d, 1460 - 29);
	tls_dir_fini(&d);
	memcpy_bench(len);
	open_bench();
	return 0;
}
