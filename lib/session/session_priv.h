/* Internal to lib/session: what session.c and session_tls.c share. C = control lcore,
 * T = TX lcore, as in session-t.h. */
#ifndef JW_SESSION_PRIV_H
#define JW_SESSION_PRIV_H

#include "session/session.h"

/* C: a state change (release store; everything C wrote before is seen with it). */
void session_set_state(struct session *s, enum session_state st, uint64_t now_ns);
/* C: INFO accepted and TLS (if any) up: HANDSHAKE, T sends CONNECT/SUB/PING. */
void session_greet(struct session *s, uint64_t now_ns);
/* C: the NATS protocol on plaintext bytes (the server's stream without TLS, or what the
 * record layer opened). Returns as session_ctl_bytes. */
int session_plain_bytes(struct session *s, const char *data, size_t len, uint64_t now_ns,
			const struct session_cb *cb);

/* session_tls.c */
int session_tls_init(struct session *s);       /* 0, -ENOMEM */
void session_tls_fini(struct session *s);
/* C, per connection attempt: drops the previous handshake/record state. */
void session_tls_conn_reset(struct session *s);
/* C, on the first INFO: 0 = plain, 1 = TLS handshake started (state TLS), or a negative
 * errno after closing the session (TLS required but not offered, offered but refused, no
 * handshake object). */
int session_tls_decide(struct session *s, const struct nats_info *info, uint64_t now_ns);
/* C: true once this connection's bytes go to TLS (handshake or records). */
bool session_tls_active(const struct session *s);
/* C: the server's bytes on a TLS connection. */
int session_tls_bytes(struct session *s, const uint8_t *data, size_t len, uint64_t now_ns,
		      const struct session_cb *cb);
/* T: may T write protocol lines for epoch (true on a plain connection; on a TLS one only
 * once T took the keys). */
bool session_tls_tx_ready(const struct session *s, uint32_t epoch);

#endif /* JW_SESSION_PRIV_H */
