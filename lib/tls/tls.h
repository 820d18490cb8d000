/* jetwire TLS: record layer, receive stream and client handshake driver. Types and the
 * ownership table: tls-t.h.
 *
 * Which thread may call what (calls on different objects may run concurrently):
 *
 *  | object           | calls                                                              |
 *  |------------------|--------------------------------------------------------------------|
 *  | tls_ctx          | tls_ctx_create/destroy: setup; read by tls_hs_create (C)          |
 *  | tls_hs           | every tls_hs_* call: its one owner (the control lcore)            |
 *  | tls_dir (tx)     | tls_seal, tls_seal_key_update, tls_dir_key_update: its one owner  |
 *  |                  | (the TX lcore after hand-over)                                     |
 *  | tls_rx           | tls_rx_*: its one owner (the control lcore)                       |
 *  | any              | tls_dir_records/bytes (relaxed counters), the *_str helpers       |
 */
#ifndef JW_TLS_H
#define JW_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tls/tls-t.h"

/* --- keys ---------------------------------------------------------------------------------- */

/* TLS 1.3 direction from its traffic secret (len = the suite's hash size: 32 for AES-128-GCM
 * and ChaCha20-Poly1305, 48 for AES-256-GCM): key and iv by HKDF-Expand-Label, sequence 0.
 * -EINVAL: unknown aead or a secret length that does not match it; -ENOMEM. */
int tls_dir_init13(struct tls_dir *d, enum tls_aead aead, const uint8_t *secret, size_t len);

/* TLS 1.2 AEAD direction from its key-block parts: key (16/32), iv (4 bytes for GCM, the
 * salt; 12 for ChaCha20-Poly1305, RFC 7905), and the first sequence number (1 after the
 * Finished message OpenSSL sent or read with sequence 0). -EINVAL on other lengths. */
int tls_dir_init12(struct tls_dir *d, enum tls_aead aead, const uint8_t *key, size_t key_len,
		   const uint8_t *iv, size_t iv_len, uint64_t seq);

/* A direction from handed-over key material (tls_hs_finish's tx keys): tls_dir_init13 or
 * tls_dir_init12 with k's fields; their errors. */
int tls_dir_from_keys(struct tls_dir *d, const struct tls_keys *k);

/* Frees the cipher context and wipes the keys. A zeroed or finished d is a no-op. */
void tls_dir_fini(struct tls_dir *d);

/* TLS 1.3 KeyUpdate of this direction: secret' = HKDF-Expand-Label(secret, "traffic upd"),
 * new key and iv, sequence 0. -EPROTO for TLS 1.2 (no KeyUpdate there); -ENOMEM. */
int tls_dir_key_update(struct tls_dir *d);

/* --- sealing (the direction's owner, normally the TX lcore) -------------------------------- */

/* Bytes a record adds around its plaintext: before (header, 1.2 GCM explicit nonce) and
 * after (1.3 inner content type, tag). */
static inline size_t tls_seal_prefix(const struct tls_dir *d) { return d->prefix; }
static inline size_t tls_seal_suffix(const struct tls_dir *d) { return d->suffix; }

/* Seals one record in place. rec is where the record starts; the plaintext (len bytes,
 * 0..TLS_PLAIN_MAX) is already at rec + tls_seal_prefix(d); cap is the room from rec.
 * Writes the header (and explicit nonce), encrypts in place, appends (inner type and) the
 * tag, advances the sequence number. type is the content type (1.3: the inner type).
 * Returns the record length (prefix + len + suffix), -EMSGSIZE when len is over
 * TLS_PLAIN_MAX or the record does not fit cap, -EINVAL for an unkeyed direction, -EIO
 * when the cipher fails (nothing usable was written). */
ssize_t tls_seal(struct tls_dir *d, uint8_t type, uint8_t *rec, size_t len, size_t cap);

/* TLS 1.3, a record sealed in pieces (a record spanning TCP segments, each piece encrypted in
 * place before its segment is handed to TCP). tls_seal_begin writes the 5-byte header at
 * hdr for an inner plaintext of inner_len bytes (content, then the inner content type, then
 * any zero padding: 2 .. TLS_PLAIN_MAX + 1) and starts the AEAD; tls_seal_update encrypts the
 * next n bytes of the inner plaintext in place (the pieces in order, inner_len in all);
 * tls_seal_final writes the 16-byte tag and advances the sequence number (content_len: the
 * plaintext bytes, for the counters). Nothing else may be sealed with d in between.
 * -EPROTO: TLS 1.2, or begin while a record is open, or update/final without one;
 * -EMSGSIZE: inner_len out of range, or pieces beyond it; -EINVAL: final before all of it;
 * -EIO: the cipher failed. */
int tls_seal_begin(struct tls_dir *d, uint8_t *hdr, size_t inner_len);
int tls_seal_update(struct tls_dir *d, uint8_t *p, size_t n);
int tls_seal_final(struct tls_dir *d, uint8_t *tag, size_t content_len);

/* TLS 1.3: seals a KeyUpdate handshake message (update_requested when `request`) with the
 * current key into rec (cap >= prefix + 5 + suffix), then moves this direction to the next
 * key. Returns the record length or a tls_seal/tls_dir_key_update error. */
ssize_t tls_seal_key_update(struct tls_dir *d, bool request, uint8_t *rec, size_t cap);

/* --- opening -------------------------------------------------------------------------------- */

/* Opens one whole record (header included, len bytes) into out (cap >= len). On success
 * *type is the content type (1.3: the inner type, padding removed) and the plaintext is
 * out[0 .. *plain_len). out may equal rec + tls_seal_prefix(d) (in place).
 * -EPROTO: bad header (type, version, length against len); -EMSGSIZE: over the limits;
 * -EBADMSG: authentication failed or a 1.3 inner plaintext without a content type; the
 * sequence number advances only on success. */
int tls_open(struct tls_dir *d, const uint8_t *rec, size_t len, uint8_t *out, size_t cap,
	     uint8_t *type, size_t *plain_len);

/* --- receive stream (control lcore) --------------------------------------------------------- */

/* Application data of an opened record. Returns 0, or a negative errno to stop the stream
 * (tls_rx_input then fails with it). */
typedef int (*tls_rx_data_fn)(void *ctx, const uint8_t *data, size_t len);

/* Takes dir (moved: the caller's copy must not be used or finalised afterwards) and
 * prepares the stream with nothing buffered. */
void tls_rx_init(struct tls_rx *rx, struct tls_dir *dir);
void tls_rx_fini(struct tls_rx *rx);

/* Bytes from the server, in order, cut anywhere. Opens every complete record: application
 * data goes to on_data, post-handshake messages are handled (see struct tls_rx).
 * Returns 0; or, and the stream stays failed: -ECONNRESET (close_notify), -ECONNABORTED
 * (fatal alert), -EBADMSG (record failed authentication), -EPROTO (bad header, unexpected
 * message or content type, a KeyUpdate not at a record's end), -EMSGSIZE (record too long),
 * or the callback's error. */
int tls_rx_input(struct tls_rx *rx, const uint8_t *data, size_t len, tls_rx_data_fn on_data,
		 void *ctx);

static inline uint64_t
tls_rx_key_update_requests(const struct tls_rx *rx)
{
	return atomic_load_explicit(&rx->key_update_req, memory_order_relaxed);
}

static inline uint64_t
tls_dir_records(const struct tls_dir *d)
{
	return atomic_load_explicit(&d->records, memory_order_relaxed);
}

static inline uint64_t
tls_dir_bytes(const struct tls_dir *d)
{
	return atomic_load_explicit(&d->bytes, memory_order_relaxed);
}

const char *tls_rx_error_str(enum tls_rx_error e);
/* RFC 8446 6 alert description names ("unknown" for others). */
const char *tls_alert_str(uint8_t desc);
const char *tls_aead_str(enum tls_aead a);
const char *tls_version_str(uint16_t v);

/* --- handshake (control lcore, libssl) ------------------------------------------------------ */

/* An SSL_CTX for jetwire's client: TLS 1.2..1.3 (min from cfg), only AEAD suites the record
 * layer implements (1.3: AES-128/256-GCM, ChaCha20-Poly1305; 1.2: ECDHE with the same
 * AEADs), peer verification on (the CA file or the system's paths), no renegotiation, no
 * compression, no session resumption. Returns NULL and a message in err on a bad
 * configuration (unreadable CA/cert/key file, key not matching the certificate, bad
 * version). */
struct tls_ctx *tls_ctx_create(const struct tls_client_cfg *cfg, char *err, size_t errlen);
void tls_ctx_destroy(struct tls_ctx *ctx);

/* Starts a client handshake whose certificate must be valid for `name` (an IPv4/IPv6
 * literal is checked against the certificate's IP addresses and sent without SNI; a DNS
 * name is checked and sent as SNI). The ClientHello is ready in tls_hs_output at once.
 * Returns NULL (errno EINVAL: NULL/empty name; ENOMEM). */
struct tls_hs *tls_hs_create(struct tls_ctx *ctx, const char *name);
void tls_hs_destroy(struct tls_hs *h);

/* Feeds server bytes (any split) and advances the handshake. Returns 0 while it goes on,
 * 1 once it is done (tls_hs_finish next), or -ECONNREFUSED / -EPROTO when it failed
 * (tls_hs_failure says why). Bytes after the server's last handshake record stay inside
 * and come out of tls_hs_finish. */
int tls_hs_input(struct tls_hs *h, const uint8_t *data, size_t len);

/* Bytes the handshake wants sent to the server (ClientHello, client Finished, an alert
 * after a failure): copies up to cap of them into out and returns how many (0: none). */
size_t tls_hs_output(struct tls_hs *h, uint8_t *out, size_t cap);

/* Why a handshake failed and OpenSSL's/the verifier's text for the log. */
enum tls_fail tls_hs_failure(const struct tls_hs *h, const char **detail);
const char *tls_fail_str(enum tls_fail f);

/* After tls_hs_input returned 1 and tls_hs_output was drained: the traffic keys (tx: ours,
 * as key material for whichever thread seals; rx: the server's, ready), what was negotiated, and the server bytes that
 * followed the handshake (records of the new keys, to be fed to tls_rx_input; up to cap,
 * *extra_len set). -EAGAIN if the handshake is not done or output is pending; -EPROTO for a
 * suite the record layer lacks; -ENOSPC if the extra bytes do not fit; -ENOMEM. */
int tls_hs_finish(struct tls_hs *h, struct tls_keys *tx, struct tls_dir *rx,
		  struct tls_session_info *info, uint8_t *extra, size_t cap, size_t *extra_len);

#endif /* JW_TLS_H */
