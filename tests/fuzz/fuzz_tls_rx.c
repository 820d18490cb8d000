/* libFuzzer target: the input side of jetwire's TLS record layer (lib/tls/tls_rx.c and
 * tls_open in tls_rec.c), the bytes a server sends after the handshake.
 *
 * Byte 0 picks the protection (TLS 1.3 AES-128-GCM / AES-256-GCM / ChaCha20-Poly1305, TLS 1.2
 * AES-128-GCM / ChaCha20-Poly1305) and the mode:
 *   raw (bit 7 clear): the rest is fed as the server's stream, cut every byte-1 bytes:
 *     headers, gathering and authentication failures; whatever arrives, tls_rx_input
 *     returns one of its documented codes, hands out nothing unauthenticated, and stays
 *     failed after an error;
 *   sealed (bit 7 set): the rest is a list of records [type, len_hi, len_lo, bytes...] that
 *     a sealer with the same key turns into real records (so the fuzzer reaches the
 *     post-handshake message parser: tickets, KeyUpdates, alerts, cut handshake messages);
 *     one record may be damaged on request. Application data must come out exactly as put
 *     in, until the first error.
 * Both lib files are DPDK-free and compiled into this target; they need libcrypto. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls_rec.c"
#include "tls/tls_rx.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tls_rx rx;
static uint8_t expect[1 << 17], got[1 << 17], rec[TLS_RECORD_MAX + 64];
static size_t expect_len, got_len;

static int
collect(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	if (n == 0 || n > TLS_PLAIN_MAX || got_len + n > sizeof(got))
		abort();
	memcpy(got + got_len, p, n);
	got_len += n;
	return 0;
}

static int
setup(uint8_t sel, struct tls_dir *a, struct tls_dir *b)
{
	static const uint8_t secret[48] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const uint8_t key[32] = { 7 }, iv[12] = { 3 };

	switch ((sel & 0x7f) % 5) {
	case 0:
		return tls_dir_init13(a, TLS_AEAD_AES128GCM, secret, 32) |
		       tls_dir_init13(b, TLS_AEAD_AES128GCM, secret, 32);
	case 1:
		return tls_dir_init13(a, TLS_AEAD_AES256GCM, secret, 48) |
		       tls_dir_init13(b, TLS_AEAD_AES256GCM, secret, 48);
	case 2:
		return tls_dir_init13(a, TLS_AEAD_CHACHA20, secret, 32) |
		       tls_dir_init13(b, TLS_AEAD_CHACHA20, secret, 32);
	case 3:
		return tls_dir_init12(a, TLS_AEAD_AES128GCM, key, 16, iv, 4, 1) |
		       tls_dir_init12(b, TLS_AEAD_AES128GCM, key, 16, iv, 4, 1);
	default:
		return tls_dir_init12(a, TLS_AEAD_CHACHA20, key, 32, iv, 12, 1) |
		       tls_dir_init12(b, TLS_AEAD_CHACHA20, key, 32, iv, 12, 1);
	}
}

static void
check_rc(int rc)
{
	if (rc != 0 && rc != -ECONNRESET && rc != -ECONNABORTED && rc != -EBADMSG &&
	    rc != -EPROTO && rc != -EMSGSIZE)
		abort();
	if (rc != 0 && !rx.failed)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_dir tx, rd;
	int rc = 0;

	if (size < 2)
		return 0;
	if (setup(data[0], &tx, &rd) != 0)
		abort();
	tls_rx_init(&rx, &rd);
	got_len = 0;
	expect_len = 0;
	if (!(data[0] & 0x80)) {
		size_t cut = (size_t)data[1] + 1;

		for (size_t off = 2; off < size && rc == 0; off += cut) {
			rc = tls_rx_input(&rx, data + off, JW_MIN(cut, size - off), collect, NULL);
			check_rc(rc);
		}
		if (got_len > 0 && tls_dir_records(&rx.dir) == 0)
			abort(); /* data without an authenticated record */
	} else {
		uint8_t damage = data[1];
		size_t off = 2;
		unsigned n = 0;
		bool damaged = false;

		while (off + 3 <= size && rc == 0) {
			uint8_t type = data[off], eff_type;
			size_t len = (size_t)data[off + 1] << 8 | data[off + 2], eff_len;
			const uint8_t *plain;
			uint64_t ku = atomic_load(&rx.dir.key_updates);
			ssize_t r;

			off += 3;
			len = JW_MIN(len, JW_MIN(size - off, (size_t)TLS_PLAIN_MAX));
			plain = data + off;
			off += len;
			if (type != TLS_CT_APPDATA && type != TLS_CT_HANDSHAKE &&
			    type != TLS_CT_ALERT && (tx.version == TLS_V12 || type != 0))
				type = TLS_CT_APPDATA;
			/* what the opener must see: with 1.3 and inner type 0 the plaintext's
			 * trailing zeros are padding and the byte before them the type */
			eff_type = type;
			eff_len = len;
			if (tx.version == TLS_V13 && type == 0) {
				while (eff_len > 0 && plain[eff_len - 1] == 0)
					eff_len--;
				eff_type = eff_len > 0 ? plain[eff_len - 1] : 0xff;
				eff_len = eff_len > 0 ? eff_len - 1 : 0;
			}
			memcpy(rec + tx.prefix, plain, len);
			r = tls_seal(&tx, type, rec, len, sizeof(rec));
			if (r < 0)
				abort();
			if (damage != 0 && n == (unsigned)(damage >> 4)) {
				rec[(size_t)damage % (size_t)r] ^= (uint8_t)(1u << (damage & 7));
				damaged = true;
			} else if (eff_type == TLS_CT_APPDATA && eff_len > 0) {
				memcpy(expect + expect_len, plain, eff_len);
				expect_len += eff_len;
			}
			rc = tls_rx_input(&rx, rec, (size_t)r, collect, NULL);
			check_rc(rc);
			if (rc == 0 && atomic_load(&rx.dir.key_updates) != ku &&
			    tls_dir_key_update(&tx) != 0)
				abort();
			n++;
			if (expect_len > sizeof(expect) - TLS_PLAIN_MAX)
				break;
		}
		/* what came out is what went in, up to the first error or damage; all of it
		 * otherwise (a damaged length may leave later records waiting inside it) */
		if (got_len > expect_len || memcmp(got, expect, got_len) != 0)
			abort();
		if (rc == 0 && !damaged && got_len != expect_len)
			abort();
	}
	if (rc != 0 && tls_rx_input(&rx, data, 1, collect, NULL) != -EPROTO)
		abort(); /* sticky */
	tls_rx_fini(&rx);
	tls_dir_fini(&tx);
	return 0;
}
