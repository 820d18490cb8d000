/* The TX lcore's writer (engine_out.c): protocol bytes and publish frames into TCP
 * segments, sealed into TLS records when the session is encrypted. T only (one writer per
 * connection); the state is the connection's T part (struct engine_conn.t, engine-t.h).
 * engine_tx.c frames records; this writes them. */
#ifndef JW_ENGINE_OUT_H
#define JW_ENGINE_OUT_H

#include <stdbool.h>
#include <sys/types.h>

#include "engine/engine-t.h"
#include "nats/nats-t.h"
#include "tcp/tcp.h"

/* Forgets what a connection had pending (protocol bytes, an active frame, an open record,
 * the TLS send direction): a new TCP connection starts from nothing. */
void engine_out_reset(struct engine_conn *c);

/* TLS handshake: the bytes the control lcore's OpenSSL wrote go out raw, then T takes the
 * send keys and seals from here on. Returns true when it wrote something. */
bool engine_out_tls_handshake(struct engine_conn *c, struct tcp_conn *tcp);

/* Writes pending protocol bytes, then the rest of the active frame. Returns true when
 * nothing is pending any more (false: TCP is out of room; call again). */
bool engine_out_flush(struct engine_conn *c, struct tcp_conn *tcp);

/* Writes one frame: whole into the current segment when it fits, else across segments
 * (the frame stays active when TCP runs out of room). m's strings must be T-owned copies
 * or ring bytes that stay held until the frame is done. Returns the frame size, or a
 * negative errno from the encoder (nothing written). */
ssize_t engine_out_frame(struct engine_conn *c, struct tcp_conn *tcp, const struct nats_pub *m);

/* The end of an iteration's writing: the open record is sealed and TCP may send a short
 * segment (see the function). */
void engine_out_push(struct engine_conn *c, struct tcp_conn *tcp);

/* An iteration that wrote nothing (TLS only; plain: nothing to do): the record opened for a
 * frame that did not fit is sealed, a spanning one finished when TCP has room, and a
 * KeyUpdate the server asked for goes out now rather than before the next publish. */
void engine_out_idle(struct engine_conn *c, struct tcp_conn *tcp);

#endif /* JW_ENGINE_OUT_H */
