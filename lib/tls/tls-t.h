/* Types of jetwire's TLS: the record layer (lib/tls/tls_rec.c), the receive stream
 * (tls_rx.c) and the client handshake driver over memory BIOs (tls_hs.c).
 *
 * Split as Linux kTLS splits it: OpenSSL runs the handshake and the certificate checks on
 * the control lcore, over memory BIOs (it never sees a socket); when the handshake is done
 * the negotiated traffic keys leave OpenSSL and go to two one-direction key states:
 *
 *   | object            | writer                     | what it holds                        |
 *   |-------------------|----------------------------|--------------------------------------|
 *   | struct tls_hs     | control lcore (C)          | the SSL object during the handshake  |
 *   | struct tls_keys   | C, then copied by T        | client write key material (no        |
 *   |                   |                            | OpenSSL object: a plain copy)        |
 *   | struct tls_dir tx | TX lcore (T)               | client write key/iv/secret, seq,     |
 *   |                   | (tls_dir_from_keys)        | records sealed                        |
 *   | struct tls_rx     | control lcore (C)          | server write key state, the partial  |
 *   |                   |                            | record, post-handshake messages      |
 *
 * So each direction's sequence number has one writer: T seals straight into the TCP
 * segments it fills, C opens what TCP hands it. The hand-over of tx from C to T is the
 * owner's business (lib/session publishes it with a release store before T may use it).
 * Counters in a tls_dir are _Atomic, written by its one owner with relaxed stores and read
 * by any thread (telemetry) with relaxed loads.
 *
 * Nothing here includes DPDK: the record layer is fuzzed and unit-tested on its own.
 */
#ifndef JW_TLS_T_H
#define JW_TLS_T_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define TLS_V12 0x0303
#define TLS_V13 0x0304

#define TLS_CT_CCS       20
#define TLS_CT_ALERT     21
#define TLS_CT_HANDSHAKE 22
#define TLS_CT_APPDATA   23

#define TLS_HDR_LEN       5
#define TLS_TAG_LEN       16
#define TLS_PLAIN_MAX     16384                 /* 2^14: largest plaintext of a record */
#define TLS_CIPHER_MAX    (TLS_PLAIN_MAX + 256) /* largest ciphertext we accept (1.3 rule) */
#define TLS_RECORD_MAX    (TLS_HDR_LEN + TLS_CIPHER_MAX)

/* TLS 1.3 (RFC 8446 5.5): AES-GCM keys must be changed well before 2^24.5 records; T sends
 * a KeyUpdate when its sequence number reaches this. */
#define TLS_KEY_UPDATE_RECORDS (1ull << 23)

enum tls_aead {
	TLS_AEAD_NONE = 0,
	TLS_AEAD_AES128GCM,
	TLS_AEAD_AES256GCM,
	TLS_AEAD_CHACHA20,
};

/* One direction's record protection (one writer, see the table above). */
struct tls_dir {
	uint16_t version;          /* TLS_V12 or TLS_V13 */
	uint8_t aead;              /* enum tls_aead */
	uint8_t key_len;           /* 16 or 32 */
	uint8_t iv_len;            /* 12 (1.3, 1.2 ChaCha), 4 (1.2 GCM: the implicit salt) */
	uint8_t secret_len;        /* 1.3: 32 or 48 (the HKDF hash), 0 for 1.2 */
	uint8_t prefix;            /* bytes before the plaintext: header (+ explicit nonce) */
	uint8_t suffix;            /* bytes after it: (inner type +) tag */
	uint8_t key[32];
	uint8_t iv[12];
	uint8_t secret[48];        /* 1.3 traffic secret, for KeyUpdate */
	const EVP_MD *md;          /* 1.3 HKDF hash */
	const EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *ctx;       /* keyed once per key and use; the nonce is set per record */
	int8_t keyed;              /* ctx holds the key for: 0 nothing, 1 sealing, 2 opening */
	uint64_t seq;              /* next record's sequence number */
	uint32_t stream_left;      /* tls_seal_begin..final: inner bytes still to come */
	bool streaming;            /* a record is being sealed in pieces */
	_Atomic uint64_t records;  /* records sealed or opened */
	_Atomic uint64_t bytes;    /* plaintext bytes sealed or opened */
	_Atomic uint64_t key_updates;
};

/* One direction's key material as plain bytes, without any OpenSSL object: what the
 * control lcore hands to the TX lcore, which makes its own cipher context from it
 * (tls_dir_from_keys). So nothing allocated crosses threads, and a copy is all a hand-over
 * needs. */
struct tls_keys {
	uint16_t version;          /* TLS_V12 / TLS_V13 */
	uint8_t aead;              /* enum tls_aead */
	uint8_t secret_len;        /* 1.3: traffic secret length */
	uint8_t key_len, iv_len;   /* 1.2 */
	uint8_t secret[48];        /* 1.3 */
	uint8_t key[32], iv[12];   /* 1.2 */
	uint64_t seq;              /* 1.2: first sequence number */
};

/* Why a receive stream gave up (tls_rx.last_error), also for the counters. */
enum tls_rx_error {
	TLS_RX_OK = 0,
	TLS_RX_BAD_HEADER,         /* record type/version/length not acceptable */
	TLS_RX_BAD_MAC,            /* authentication failed */
	TLS_RX_BAD_INNER,          /* 1.3 inner plaintext without a content type, too long */
	TLS_RX_UNEXPECTED,         /* a message not allowed after the handshake */
	TLS_RX_CLOSE_NOTIFY,       /* the server closed the TLS session */
	TLS_RX_ALERT,              /* the server sent a fatal alert */
	TLS_RX_CALLBACK,           /* the data consumer refused the bytes */
	TLS_RX_ERRORS
};

/* The receive side of a TLS session after the handshake: reassembles records from a byte
 * stream cut anywhere, opens them, hands application data to a callback and handles the
 * post-handshake messages (NewSessionTicket: skipped; KeyUpdate: rx key changed, and a
 * request to update ours counted in key_update_req; HelloRequest in 1.2: ignored;
 * alerts: close). Control lcore only. */
struct tls_rx {
	struct tls_dir dir;
	uint32_t have;             /* bytes of the current record in rec */
	uint8_t rec[TLS_RECORD_MAX];
	uint8_t plain[TLS_CIPHER_MAX];
	/* handshake message parsing across records */
	uint8_t hs_hdr[4];
	uint32_t hs_hdr_have;
	uint32_t hs_body_left;     /* body bytes of the current message still to come */
	uint8_t hs_type;
	bool failed;               /* sticky: input after an error is refused */
	enum tls_rx_error last_error;
	uint8_t alert_level, alert_desc;   /* the last alert received */
	/* single writer (C), relaxed, read by any thread */
	_Atomic uint64_t key_update_req;   /* KeyUpdate(update_requested) received: T answers */
	_Atomic uint64_t tickets;          /* NewSessionTickets skipped */
	_Atomic uint64_t alerts;
	_Atomic uint64_t errors[TLS_RX_ERRORS];
};

/* How a handshake ended (tls_hs_result). */
enum tls_fail {
	TLS_FAIL_NONE = 0,
	TLS_FAIL_UNTRUSTED,        /* the chain does not lead to a trusted CA */
	TLS_FAIL_NAME,             /* the certificate is not for the expected name */
	TLS_FAIL_EXPIRED,          /* a certificate expired (or is not yet valid) */
	TLS_FAIL_CERT,             /* another certificate problem (bad signature, purpose...) */
	TLS_FAIL_VERSION,          /* no common protocol version */
	TLS_FAIL_CIPHER,           /* no common cipher suite or group */
	TLS_FAIL_PEER_ALERT,       /* the server refused us (e.g. no client certificate) */
	TLS_FAIL_PROTOCOL,         /* malformed or unexpected handshake bytes */
	TLS_FAIL_INTERNAL,         /* no memory, key extraction failed */
	TLS_FAIL_NOT_OFFERED,      /* tls = required, the server offers no TLS */
	TLS_FAIL_DISABLED,         /* tls = off, the server requires TLS */
	TLS_FAIL_REASONS
};

/* The client configuration (tls_ctx_create). Strings are copied where needed. */
struct tls_client_cfg {
	const char *ca_file;       /* PEM CA bundle; NULL or "": the system's default paths */
	const char *cert_file;     /* client certificate chain (PEM), NULL: none */
	const char *key_file;      /* its private key (PEM), required with cert_file */
	uint16_t min_version;      /* TLS_V12 (default when 0) or TLS_V13 */
	uint16_t max_version;      /* 0: TLS_V13; for tests */
	bool no_verify;            /* tests only: skip chain and name checks */
};

struct tls_ctx;   /* an SSL_CTX with jetwire's settings (opaque) */
struct tls_hs;    /* one client handshake (opaque) */

/* What a finished handshake negotiated. */
struct tls_session_info {
	uint16_t version;          /* TLS_V12 / TLS_V13 */
	uint8_t aead;
	char cipher[64];           /* OpenSSL's standard (IANA) name of the suite */
	uint64_t handshake_ns;     /* from tls_hs_create to done (caller's clock) */
};

#endif /* JW_TLS_T_H */
