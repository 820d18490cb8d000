/* The NATS session of one jetwire connection: greeting, keepalive, server PINGs, -ERR,
 * replies on the ack inbox, reconnect backoff. DPDK-free: TCP is driven by the owner
 * (lib/engine), which tells the session what TCP did and writes the bytes the session asks
 * for. Types, states and the threading contract: session-t.h. Times are nanoseconds.
 */
#ifndef JW_SESSION_H
#define JW_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "session/session-t.h"

/* Checks p and prepares the session in DOWN, ready to connect at once. Builds the greeting
 * (CONNECT with verbose false, pedantic false, headers, no_responders, echo false, name,
 * auth_token or user/pass; SUB <inbox>.* 1; PING); with an NKey the CONNECT (nkey, or jwt,
 * and sig of the server's nonce) is built again for each INFO. Rejects with -EINVAL: no
 * name, both a token and a user, an NKey with a token or user, a JWT without its NKey, a
 * user without password, zero connect_timeout, backoff_min 0 or above
 * backoff_max, max_pings_out 0 with a ping interval, payload_cap below 1024;
 * -E2BIG when the greeting does not fit SESSION_HS_MAX; -ENOMEM. */
int session_init(struct session *s, const struct session_params *p);
void session_fini(struct session *s);

static inline enum session_state
session_state(const struct session *s)
{
	/* acquire: pairs with set_state's release [S1] (session-t.h) */
	return (enum session_state)atomic_load_explicit(&s->c.state, memory_order_acquire);
}

const char *session_state_str(enum session_state st);
const char *session_close_str(enum session_close_reason r);

/* --- C ------------------------------------------------------------------------------------ */

/* Why the last connection closed (SESSION_CLOSE_* of the latest close). C only. */
static inline enum session_close_reason
session_last_close(const struct session *s)
{
	return s->x.last_close;
}

/* The kind of the last fatal -ERR the server sent. C only. */
static inline enum nats_err_kind
session_last_err(const struct session *s)
{
	return s->x.last_err;
}

/* What the owner must do after session_ctl_poll. */
enum session_action {
	SESSION_ACT_NONE = 0,
	SESSION_ACT_CONNECT,   /* start a TCP connection, then call session_ctl_connecting */
	SESSION_ACT_ABORT,     /* give the TCP connection up (reset it): the session is CLOSING */
};

/* Timers: reconnect after the backoff, the connect timeout, keepalive PINGs and staleness.
 * Call once per control-loop iteration (cheap). */
enum session_action session_ctl_poll(struct session *s, uint64_t now_ns);

/* The owner started a TCP connection (DOWN -> TCP_CONNECTING, new epoch). */
void session_ctl_connecting(struct session *s, uint64_t now_ns);

/* TCP is established: expect INFO (parser reset). Ignored unless TCP_CONNECTING. */
void session_ctl_established(struct session *s, uint64_t now_ns);

/* Bytes from the server, in order, any split. Handles INFO, PING, PONG, +OK, -ERR and
 * MSG/HMSG on the inbox (through cb). Returns 0, or SESSION_ACT_ABORT's reason as a
 * negative errno when the connection must be given up (credentials refused — -ERR
 * Authorization Violation, Authentication Timeout, expired, revoked: -EACCES, counted in
 * auth_failures; other fatal -ERR: -ECONNABORTED; parse error: -EPROTO, server without headers/JetStream: -EPROTONOSUPPORT, lame duck:
 * -ESHUTDOWN); the session is then CLOSING. */
int session_ctl_bytes(struct session *s, const char *data, size_t len, uint64_t now_ns,
		      const struct session_cb *cb);

/* A liveness probe (READY only; ignored otherwise or while one is out): asks T for a PING
 * now; its PONG reaches the owner through cb->on_pong with the request time. Unanswered
 * for liveness_timeout_ns, the session closes as STALE (session_ctl_poll says ABORT). The
 * window asks for it when publishes are overdue and nothing comes back. */
void session_ctl_probe(struct session *s, uint64_t now_ns);

/* Gives the connection up for `why` (CLOSING). The owner resets TCP. */
void session_ctl_close(struct session *s, enum session_close_reason why, uint64_t now_ns);

/* TCP ended: DOWN, reconnect after the backoff (which doubles unless the connection had
 * reached READY), less a random part of up to jitter_permille of it. */
void session_ctl_tcp_closed(struct session *s, uint64_t now_ns);

/* DOWN only: the next connect no sooner than at_ns (the owner knows that no server may be
 * tried before then, e.g. every one refused our credentials). Ignored in other states. */
void session_ctl_retry_at(struct session *s, uint64_t at_ns);

/* Lame duck, make before break: after INFO ldm closed a READY session (-ESHUTDOWN, reason
 * lame-duck, CLOSING) the owner may keep the old TCP connection open to read its last
 * acks. This hands the current parser (mid-stream state and all) to that drain, gives the
 * session a fresh one and goes DOWN with an immediate reconnect (no backoff). *rest (may be
 * NULL) gets the bytes that followed the ldm INFO in the session_ctl_bytes call that
 * returned -ESHUTDOWN (still in the caller's buffer, len 0 when none): feed them to
 * session_ctl_drain_bytes before anything newer. Returns the
 * drain's parser index for session_ctl_drain_bytes, or -EBUSY: a drain is active already,
 * or the session was not closed for lame duck; -EOPNOTSUPP on a TLS connection (its
 * records need the TLS state the next connection resets: it is dropped instead). */
int session_ctl_handoff(struct session *s, uint64_t now_ns, struct session_rest *rest);

/* Bytes of the lame-duck connection: its replies on our inbox go to cb->on_ack (as on the
 * live connection); everything else (INFO, PING, -ERR) is ignored. 0, -EPROTO when the
 * stream does not parse (the owner resets that connection), -EINVAL for a parser that is
 * not the drain's. */
int session_ctl_drain_bytes(struct session *s, int parser, const char *data, size_t len,
			    const struct session_cb *cb);

/* The lame-duck connection ended: its parser is free for the next handoff. */
void session_ctl_drain_done(struct session *s);

/* The reply mark (flow_ident.h) of publishes sent on the connection of epoch e: an answer
 * that carries session_reply_mark(session_ctl_epoch(s)) answers a publish sent on the
 * current connection, never one of an earlier connection (never 0: 0 is "no mark"). */
static inline uint64_t
session_reply_mark(uint32_t epoch)
{
	return (uint64_t)epoch + 1;
}

/* C: the epoch of the current connection (C writes it: relaxed). */
static inline uint32_t
session_ctl_epoch(const struct session *s)
{
	return atomic_load_explicit(&s->c.epoch, memory_order_relaxed);
}

/* --- T ------------------------------------------------------------------------------------ */

/* Writes the protocol lines C asked for and T has not sent yet, into buf (cap >=
 * SESSION_HS_MAX + 64): the greeting of the current epoch, PONGs, PINGs. Returns the
 * bytes written (0: nothing to send). The lines count as sent: the caller must put all of
 * them on the wire, in order, before any later publish frame. */
size_t session_tx_control(struct session *s, char *buf, size_t cap);

/* The epoch T sees (a change means a new connection: drop any partial output). */
static inline uint32_t
session_tx_epoch(const struct session *s)
{
	return atomic_load_explicit(&s->c.epoch, memory_order_acquire); /* [S1] */
}

static inline uint32_t
session_max_payload(const struct session *s)
{
	return atomic_load_explicit(&s->c.max_payload, memory_order_relaxed);
}

/* A relaxed snapshot of the counters, any thread. */
void session_counters_read(const struct session *s, struct session_counters *out);

/* --- TLS (session_tls.c) ------------------------------------------------------------------ */

/* C, before session_ctl_connecting: the next connection's TLS target. required: TLS even
 * when the mode is auto (a tls:// server); name: the name its certificate must carry (the
 * configured tls_server_name, else the server's address), copied; NULL keeps the last. */
void session_ctl_tls_target(struct session *s, bool required, const char *name);

/* C: true when the current connection runs TLS (its handshake done). */
bool session_tls_on(const struct session *s);

/* C: why the last TLS attempt failed (TLS_FAIL_NONE if it did not), with OpenSSL's or the
 * verifier's text. */
enum tls_fail session_tls_failure(const struct session *s, const char **detail);

/* T: handshake bytes C asked for that T has not sent yet (raw: not sealed). Returns how many
 * start at *p (0: none). */
size_t session_tx_tls_pending(struct session *s, const uint8_t **p);
/* T: n of those bytes were written into TCP. */
void session_tx_tls_sent(struct session *s, size_t n);
/* T: once every handshake byte of the current epoch is sent and the keys are ready: copies
 * the send keys into *k and returns 1 (from then on T seals everything it writes on this
 * connection); 0 otherwise (also when the connection is plain). */
int session_tx_tls_keys(struct session *s, struct tls_keys *k);
/* T: KeyUpdates the server asked for (update_requested) that T must still answer; T calls
 * session_tx_tls_ku_sent after sealing each. */
uint64_t session_tx_tls_ku_due(struct session *s);
void session_tx_tls_ku_sent(struct session *s, bool asked);
/* T: records and plaintext bytes sealed, padding bytes sealed (counters). */
void session_tx_tls_sealed(struct session *s, uint64_t records, uint64_t bytes);
void session_tx_tls_padded(struct session *s, uint64_t bytes);

/* Any thread: TLS of the current or last connection and the counters. */
void session_tls_read(const struct session *s, struct session_tls_stats *out);

#endif /* JW_SESSION_H */
