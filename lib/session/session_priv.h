/* Internal to lib/session: what session.c and session_tls.c share. C = control lcore,
 * T = TX lcore, as in session-t.h. */
#ifndef JW_SESSION_PRIV_H
#define JW_SESSION_PRIV_H

#include "session/session.h"

/* What the TLS layer (session_tls.c) hands up to the NATS protocol (session.c), which
 * provides it: session_tls.c calls nothing of session.c but through these. C only. */
struct session_tls_up {
	/* the plaintext the record layer opened; returns as session_ctl_bytes (a negative
	 * value when the protocol closed the session) */
	int (*plain)(struct session *s, const char *data, size_t len, uint64_t now_ns,
		     const struct session_cb *cb);
	/* the handshake is done and T has the keys: the NATS greeting may go */
	void (*established)(struct session *s, uint64_t now_ns);
};

/* session_tls.c */
int session_tls_init(struct session *s);       /* 0, -ENOMEM */
void session_tls_fini(struct session *s);
/* C, per connection attempt: drops the previous handshake/record state. */
void session_tls_conn_reset(struct session *s);
/* C, on the first INFO: 0 = plain, 1 = TLS handshake started (the caller enters state
 * TLS), or a negative errno with the failure recorded (TLS required but not offered,
 * offered but refused, no handshake object): the caller closes the session (TLS). */
int session_tls_decide(struct session *s, const struct nats_info *info, uint64_t now_ns);
/* C: true once this connection's bytes go to TLS (handshake or records). */
bool session_tls_active(const struct session *s);
/* C: the server's bytes on a TLS connection: handshake input, or records whose plaintext
 * goes to up->plain. Negative: the handshake or the record layer failed (recorded; the
 * caller closes the session, TLS), or up->plain's own negative value (it closed it). */
int session_tls_bytes(struct session *s, const uint8_t *data, size_t len, uint64_t now_ns,
		      const struct session_cb *cb, const struct session_tls_up *up);
/* T: may T write protocol lines for epoch (true on a plain connection; on a TLS one only
 * once T took the keys). */
bool session_tls_tx_ready(const struct session *s, uint32_t epoch);

#endif /* JW_SESSION_PRIV_H */
