/* Types of the NATS session of one jetwire connection (one per TX lcore).
 *
 * The session is the NATS layer between TCP and the pending window:
 *   DOWN -> (control connects TCP) -> TCP_CONNECTING -> (established) -> WAIT_INFO
 *   -> (INFO) -> HANDSHAKE: the TX lcore sends CONNECT (headers, no_responders, echo false,
 *      token, user/password, or an NKey / user JWT with the ed25519 signature of the INFO
 *      nonce), SUB to the ack inbox `_JW.<run>.<conn>.*`, PING
 *   -> (PONG) -> READY: publishing; server PINGs are answered with PONGs; our own PINGs
 *      every ping_interval detect a stale server, and so does a liveness probe (a PING the
 *      owner asks for when acks stop coming) left unanswered for liveness_timeout
 *   -> (fatal -ERR, parse error, stale, timeout, TCP end) -> CLOSING -> DOWN, and a
 *      reconnect after a backoff that doubles from backoff_min to backoff_max.
 *
 * Threads (as in flow-t.h): C = control lcore, which sees every byte the server sends and
 * decides every state change; T = TX lcore, which writes every byte we send. C asks T for
 * protocol lines through counters:
 *
 *   | field                     | writer | reader | ordering                             |
 *   |---------------------------|--------|--------|--------------------------------------|
 *   | state, epoch              | C      | T, any | release/acquire: epoch before state  |
 *   | hs_req (epoch to greet)   | C      | T      | release/acquire                      |
 *   | hs[e & 1], hs_len[e & 1]  | C      | T      | C writes the greeting of epoch e     |
 *   |                           |        |        | before hs_req/state (release); T     |
 *   |                           |        |        | copies it, then re-reads epoch       |
 *   |                           |        |        | (acquire) and drops the copy if it   |
 *   |                           |        |        | moved on (a seqlock: C rewrites a    |
 *   |                           |        |        | buffer only two epochs later)        |
 *   | pong_req, ping_req        | C      | T      | release/acquire (totals requested)   |
 *   | max_payload               | C      | T      | relaxed (also published in the shm)  |
 *   | hs_sent, pong_sent,       | T      | C, any | relaxed (C only reads them for stats |
 *   | ping_sent                 |        |        | and tests)                           |
 *   | parser, info, timers      | C      | -      | C private                            |
 *
 * Acquire/release pairs (tagged at each access in session.c):
 *   [S1] C: epoch, hs_req, hs[], max_payload, then store-release state (set_state)
 *        -> T: load-acquire epoch, state, hs_req (session_tx_control) and copies hs[].
 *   [S2] T: after copying hs[e & 1], fence-acquire, then reloads epoch: pairs with [S1]'s
 *        release of a later epoch (the seqlock check; a moved epoch drops the copy).
 *   [S3] C: store-release pong_req / ping_req (totals asked for) -> T: load-acquire them.
 *   TLS epochs and output of session_tls.c are ordered as that file says.
 *
 * Calls: session_ctl_* on C only, session_tx_* on T only, session_init/fini when neither
 * runs, session_state/session_counters_read from any thread.
 */
#ifndef JW_SESSION_T_H
#define JW_SESSION_T_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/jw_common.h"
#include "flow/flow-t.h"
#include "nats/nats-t.h"
#include "tls/tls-t.h"

struct jw_nkey;

enum session_state {
	SESSION_DOWN = 0,         /* no connection; reconnect when the backoff expires */
	SESSION_TCP_CONNECTING,   /* TCP handshake under way */
	SESSION_WAIT_INFO,        /* TCP up, waiting for the server's INFO */
	SESSION_HANDSHAKE,        /* CONNECT, SUB, PING sent (or being sent), waiting for PONG */
	SESSION_READY,            /* publishing */
	SESSION_CLOSING,          /* giving the connection up, waiting for TCP to end */
	SESSION_TLS,              /* after INFO: TLS handshake under way (session_tls.c) */
};

/* Why a session gave its connection up (session_ctl_close, counters). */
enum session_close_reason {
	SESSION_CLOSE_NONE = 0,
	SESSION_CLOSE_TCP,           /* TCP ended (reset, refused, timeout, FIN) */
	SESSION_CLOSE_SERVER_ERR,    /* fatal -ERR */
	SESSION_CLOSE_PROTOCOL,      /* the server stream did not parse */
	SESSION_CLOSE_STALE,         /* our PINGs went unanswered */
	SESSION_CLOSE_TIMEOUT,       /* no INFO or no PONG within connect_timeout */
	SESSION_CLOSE_UNSUPPORTED,   /* server without headers or JetStream support */
	SESSION_CLOSE_LAME_DUCK,     /* INFO with ldm: the server is going away */
	SESSION_CLOSE_AUTH,          /* -ERR Authorization Violation / Authentication Timeout /
	                              * expired or revoked credentials */
	SESSION_CLOSE_SHUTDOWN,      /* jetwire is stopping */
	SESSION_CLOSE_TLS,           /* TLS handshake failed, TLS refused, bad record, alert */
	SESSION_CLOSE_REASONS
};

struct session_params {
	uint64_t run_id;             /* random per jetwire run (ack inbox) */
	uint32_t conn_index;         /* connection / TX lcore index */
	const char *name;            /* CONNECT name */
	const char *token;           /* auth_token, or NULL/"" */
	const char *user;            /* user + pass, or NULL/"" */
	const char *pass;
	const struct jw_nkey *nkey;  /* NKey auth (or the key of a .creds file), or NULL; the
	                              * caller keeps it alive and unchanged while the session
	                              * lives */
	const char *jwt;             /* user JWT (.creds), or NULL/""; needs nkey */
	uint64_t connect_timeout_ns; /* TCP connect to PONG */
	uint64_t ping_interval_ns;   /* our keepalive PING period; 0 = none */
	uint32_t max_pings_out;      /* unanswered PINGs before the server is stale */
	uint64_t liveness_timeout_ns;/* a liveness probe (session_ctl_probe) unanswered this
	                              * long: the server is stale; 0 = probes never close */
	uint64_t backoff_min_ns;     /* first reconnect delay */
	uint64_t backoff_max_ns;     /* cap of the doubling */
	uint32_t jitter_permille;    /* each delay is drawn from [b - b*j/1000, b]; 0 = exact */
	uint64_t jitter_seed;        /* seeds the draw (differs per connection) */
	uint32_t payload_cap;        /* largest MSG payload accepted (PubAcks are small) */
	/* TLS: tls_mode is enum session_tls_mode; tls_ctx (shared by every session, read-only
	 * while they run) is required for REQUIRED; without one the session is plain and
	 * refuses servers that require TLS */
	uint32_t tls_mode;
	struct tls_ctx *tls_ctx;
};

/* When a connection uses TLS ([nats] tls). */
enum session_tls_mode {
	SESSION_TLS_AUTO = 0,        /* when INFO says tls_required or tls_available */
	SESSION_TLS_REQUIRED,        /* always; a server that offers none is refused */
	SESSION_TLS_OFF,             /* never; a server that requires TLS is refused */
};

#define SESSION_TLS_OUT_MAX 16384    /* handshake bytes of one flight (certificates included) */
#define SESSION_TLS_NAME_MAX 256

/* TLS state of a session (lib/session/session_tls.c), allocated with the session.
 * The handshake runs on C (OpenSSL over memory BIOs); its output goes to T as raw bytes; the
 * send keys go to T as plain key material; T seals everything after them (lib/engine), C
 * opens what arrives (tls_rx). Sharing, beyond the table above:
 *
 *   | field                       | writer | reader | ordering                               |
 *   |-----------------------------|--------|--------|----------------------------------------|
 *   | c.epoch (epoch that uses    | C      | T      | relaxed, published by the release of   |
 *   | TLS)                        |        |        | state TLS                              |
 *   | c.out[], c.out_len          | C      | T      | bytes, then out_len release / acquire  |
 *   | c.keys, c.ready_epoch       | C      | T      | keys, then ready_epoch release;        |
 *   |                             |        |        | T acquire, copy, acquire fence, epoch  |
 *   |                             |        |        | re-read (C rewrites keys only after a  |
 *   |                             |        |        | new epoch + release fence: seqlock)    |
 *   | c.ku_req                    | C      | T      | release / acquire (KeyUpdates asked)   |
 *   | t.* (sent, adopted, records)| T      | C, any | relaxed                                |
 *   | x.info_seq, x.info          | C      | any    | seqlock: odd while C rewrites info     |
 *   | x.* counters                | C      | any    | relaxed                                |
 *   | x.hs, x.rx, x.name, scratch | C      | -      | C private                              |
 *
 * Acquire/release pairs (tagged at each access in session_tls.c):
 *   [S4] C: store-release c.epoch (the epoch that uses TLS, after resetting out_len) ->
 *        T: load-acquire c.epoch (tx_tls_pending, tx_ready) before reading out_len.
 *   [S5] C: handshake bytes into out[], then store-release out_len -> T: load-acquire
 *        out_len, then reads out[].
 *   [S6] C: keys, then store-release ready_epoch -> T: load-acquire ready_epoch, copies the
 *        keys, fence-acquire, re-reads the epoch; C's release fence after a new epoch
 *        (conn reset) orders it before any rewrite of the keys (seqlock).
 *   [S7] C: store-release ku_req -> T: load-acquire ku_req (KeyUpdates asked for).
 *   [S8] x.info seqlock: C makes info_seq odd, release fence, rewrites info, store-release
 *        the even value -> readers: load-acquire info_seq, copy, fence-acquire, re-read.
 */
struct session_tls_info {
	uint16_t version;            /* TLS_V12 / TLS_V13, 0 = plain */
	uint8_t aead;
	char cipher[64];
	uint64_t handshake_ns;
};

struct session_tls {
	struct {
		_Atomic uint32_t epoch;
		_Atomic uint32_t out_len;
		_Atomic uint32_t ready_epoch;
		_Atomic uint64_t ku_req;
		struct tls_keys keys;
		uint8_t out[SESSION_TLS_OUT_MAX];
	} c jw_cache_aligned;
	struct {
		_Atomic uint32_t out_sent;
		_Atomic uint32_t adopted;     /* epoch whose keys T took */
		_Atomic uint64_t ku_sent;
		_Atomic uint64_t records, bytes;   /* sealed, all connections */
		_Atomic uint64_t key_updates;      /* sent */
		_Atomic uint64_t pad_bytes;        /* TLS 1.3 padding sealed */
	} t jw_cache_aligned;
	uint32_t t_out_epoch;             /* T private: the epoch out_sent counts for */
	struct {
		struct tls_hs *hs;
		struct tls_rx *rx;
		bool in_records;              /* handshake done: bytes go to rx */
		bool required;                /* this connection: TLS required (tls:// or mode) */
		char name[SESSION_TLS_NAME_MAX];
		uint8_t *scratch;             /* bytes left over after the handshake */
		uint64_t start_ns;
		uint64_t ku_seen;             /* rx's KeyUpdate requests already passed to T */
		enum tls_fail last_fail;
		char detail[160];
		_Atomic uint32_t info_seq;
		struct session_tls_info info;
		_Atomic uint64_t handshakes, fails[TLS_FAIL_REASONS], records, bytes,
			rx_errors, key_updates;
	} x jw_cache_aligned;
};

/* A snapshot of a session's TLS (session_tls_read, any thread). */
struct session_tls_stats {
	struct session_tls_info info;  /* of the current / last connection */
	uint64_t handshakes;           /* completed */
	uint64_t fails[TLS_FAIL_REASONS];
	uint64_t records_sealed, bytes_sealed, records_opened, bytes_opened, pad_bytes;
	uint64_t key_updates_sent, key_updates_received, rx_errors;
};

/* What the session hands to its owner on the control lcore. */
struct session_cb {
	/* A reply on our inbox for publish `seq`: a PubAck, a JetStream error, a 503. */
	void (*on_ack)(void *ctx, uint64_t seq, const struct flow_ack *a);
	/* READY: publishing may (re)start; the owner rearms the window and T resends. */
	void (*on_ready)(void *ctx);
	/* INFO's max_payload (on every INFO). */
	void (*on_max_payload)(void *ctx, uint32_t max_payload);
	/* An -ERR from the server (fatal or not), for the log. text is not NUL-terminated. */
	void (*on_server_err)(void *ctx, const char *text, size_t len, bool fatal);
	/* READY: a PONG answered the PING that C asked for at asked_ns (0 if not known): the
	 * server has read every byte sent before that request. May be NULL. */
	void (*on_pong)(void *ctx, uint64_t asked_ns);
	void *ctx;
	/* Every INFO that parsed (connect_urls, ldm, ...), before the session acts on it; may
	 * be NULL. */
	void (*on_info)(void *ctx, const struct nats_info *info);
};

/* Bytes of the caller's input that followed an INFO ldm (session_ctl_handoff). */
struct session_rest {
	const char *data;
	size_t len;
};

struct session_counters {
	uint64_t connects;           /* TCP connects started */
	uint64_t ready;              /* times READY was reached */
	uint64_t closes[SESSION_CLOSE_REASONS];
	uint64_t server_pings;       /* PINGs from the server */
	uint64_t pongs_sent;
	uint64_t pings_sent;
	uint64_t pongs_received;
	uint64_t probes;             /* liveness probes asked for (acks stopped) */
	uint64_t server_errs;        /* -ERR lines */
	uint64_t acks;               /* inbox messages matched to a sequence */
	uint64_t foreign_msgs;       /* MSGs not for our inbox, or with a bad sequence */
	uint64_t bad_acks;           /* inbox payloads that did not parse */
	uint64_t infos;
	uint64_t auth_failures;      /* -ERRs refusing our credentials */
	uint64_t signatures;         /* nonces signed */
	uint64_t backoff_waits;      /* reconnects that waited a backoff */
	uint64_t drained_acks;       /* acks read from a lame-duck connection after handoff */
};

#define SESSION_HS_MAX 10240 /* CONNECT (with credentials, a JWT up to 8 KiB) + SUB + PING */
#define SESSION_PINGS_TRACKED 8 /* request times of outstanding READY PINGs kept */

struct session {
	/* read-only after session_init */
	struct session_params p;
	struct flow_inbox inbox;
	bool sign;                   /* the greeting carries a nonce signature: built per INFO
				      * (so is a TLS connection's: "tls_required":true) */

	/* the greeting, CONNECT ... SUB ... PING, of epoch e in hs[e & 1] (see the table) */
	char hs[2][SESSION_HS_MAX];
	uint32_t hs_len[2];
	bool hs_tls[2];              /* C private: hs[i] says "tls_required":true */

	/* C-written, read by T */
	struct {
		_Atomic uint32_t state;
		_Atomic uint32_t epoch;      /* +1 per connection attempt */
		_Atomic uint32_t hs_req;     /* the epoch whose greeting T must send */
		_Atomic uint32_t max_payload;
		_Atomic uint64_t pong_req;
		_Atomic uint64_t ping_req;
	} c jw_cache_aligned;

	/* T-written */
	struct {
		_Atomic uint32_t hs_sent;
		_Atomic uint64_t pong_sent;
		_Atomic uint64_t ping_sent;
	} t jw_cache_aligned;

	/* C private */
	struct {
		/* two parsers: the current connection's, and one a lame-duck connection may
		 * keep reading its last acks with (session_ctl_handoff) */
		struct nats_parser parsers[2];
		char *payloads[2];
		uint32_t pcur;               /* the current connection's parser */
		bool drain_busy;             /* parsers[pcur ^ 1] is in use by a drain */
		const char *ldm_rest;        /* bytes after an ldm INFO in the caller's input */
		size_t ldm_rest_len;
		uint64_t state_since_ns;
		uint64_t connect_start_ns;   /* the connect timeout runs from here */
		uint64_t last_ping_ns;
		uint32_t pings_out;
		/* request times of READY PINGs not answered yet, oldest first (PONGs come in
		 * order); the liveness probe's deadline, 0 when none is out */
		uint64_t ping_asked[SESSION_PINGS_TRACKED];
		uint32_t ping_head, ping_tail;
		uint64_t probe_deadline_ns;
		uint64_t backoff_ns;
		uint64_t next_connect_ns;
		uint64_t rng;                /* jitter draws (xorshift64) */
		enum session_close_reason last_close;
		struct nats_info info;
		/* counters, single writer, relaxed */
		_Atomic uint64_t connects, ready, closes[SESSION_CLOSE_REASONS], server_pings,
			pongs_received, probes, server_errs, acks, foreign_msgs, bad_acks, infos,
			auth_failures, signatures, backoff_waits, drained_acks;
		enum nats_err_kind last_err;  /* kind of the last fatal -ERR */
	} x jw_cache_aligned;

	struct session_tls *tls;         /* session_tls.c; allocated by session_init */
};

#endif /* JW_SESSION_T_H */
