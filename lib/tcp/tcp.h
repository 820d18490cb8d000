/* jetwire userspace TCP client: calls. Types and the field-ownership table are in tcp-t.h.
 *
 * Which lcore may call what (calls in different rows may run concurrently on their lcores):
 *
 *  | caller          | calls                                                              |
 *  |-----------------|--------------------------------------------------------------------|
 *  | setup/owner     | tcp_params_default/check, tcp_stack_create/destroy,               |
 *  |                 | tcp_conn_create/destroy (destroy only when neither lcore uses it)  |
 *  | control lcore   | tcp_conn_connect, tcp_input, tcp_ctl_poll, tcp_conn_abort          |
 *  | TX lcore        | tcp_tx_buf, tcp_tx_commit, tcp_tx_push, tcp_tx_close, tcp_tx_poll, |
 *  |                 | tcp_tx_unacked                                                     |
 *  | any thread      | tcp_conn_state, tcp_conn_stats, tcp_conn_tx_released,             |
 *  |                 | tcp_reason_str, tcp_state_str                                      |
 *
 * Life of a connection: the control lcore calls tcp_conn_connect(); the TX lcore's
 * tcp_tx_poll() sends the SYN; tcp_input() on the control lcore takes the SYN-ACK and
 * reports TCP_EV_ESTABLISHED; the TX lcore writes with tcp_tx_buf/commit (+push) and
 * tcp_tx_poll() sends; tcp_tx_close() queues our FIN; every end is reported once with
 * TCP_EV_CLOSED and a reason (on the control lcore, from tcp_input or tcp_ctl_poll).
 * A connection object is used for one connection; reconnect with a new one.
 */
#ifndef JW_TCP_H
#define JW_TCP_H

#include "tcp/tcp-t.h"
#include "tcp/tcp_seq.h"

/* Fills p with the defaults documented in struct tcp_params. */
void tcp_params_default(struct tcp_params *p);
/* 0 if p is usable; -EINVAL names no field, so callers check before use: mss 536..9000,
 * rcv_buf >= mss and <= 1 GiB, rto_min <= rto_init <= rto_max, snd_segs a power of two
 * 16..65536, ooo_segs 0 (from rcv_buf) or 1..4096, retries >= 1, beta_pct 50..90, delack_ms <= 500,
 * pacing_gain_pct <= 1000 and (when pacing) pacing_burst 1..64. */
int tcp_params_check(const struct tcp_params *p);

/* Creates the per-process stack. io gives the control lcore its clock and pool. key: 32
 * secret bytes for ISNs and port offsets, or NULL to draw them from getrandom(). Returns
 * NULL (errno EINVAL/ENOMEM) on bad params or no memory. */
struct tcp_stack *tcp_stack_create(const struct tcp_io *io, const struct tcp_params *p,
				   const uint8_t *key32);
/* Frees the stack; every connection must have been destroyed. NULL is a no-op. */
void tcp_stack_destroy(struct tcp_stack *st);

/* Creates an idle connection whose segments leave through tx_io (the TX lcore's queue).
 * ops->on_event is required, on_data may be NULL (bytes are then counted and dropped).
 * Returns NULL with errno EINVAL (missing io/pool/ops) or ENOMEM. */
struct tcp_conn *tcp_conn_create(struct tcp_stack *st, const struct tcp_io *tx_io,
				 const struct tcp_owner_ops *ops);
/* Frees the connection and every mbuf it holds, and releases its port (kept quiet for
 * 60 s). Only when neither lcore runs it any more. NULL is a no-op. */
void tcp_conn_destroy(struct tcp_conn *c);

/* Control lcore. Starts an active open to ep: picks a source port whose 4-tuple was not
 * used in the last 60 s, the ISN (RFC 6528), and hands the SYN to the TX lcore.
 * -EINVAL: bad endpoint (zero address/port); -EISCONN: not idle; -EADDRINUSE: no port
 * free; -ENOSPC: stack's connection table full. */
int tcp_conn_connect(struct tcp_conn *c, const struct tcp_endpoint *ep);
/* Control lcore. Consumes m (a frame from rx_burst, data at the Ethernet header) always.
 * Returns 0 when a connection took it, -ENOENT when no connection matches, -EBADMSG for a
 * malformed frame or bad checksum, -EPROTONOSUPPORT when it is not IPv4/TCP. */
int tcp_input(struct tcp_stack *st, struct rte_mbuf *m);
/* Control lcore, once per loop iteration per connection: reports a TX-side failure
 * (retries exhausted) and the FIN_WAIT_2 timeout. */
void tcp_ctl_poll(struct tcp_conn *c);
/* Control lcore. Resets the connection (the TX lcore sends RST) and reports
 * TCP_EV_CLOSED/TCP_R_ABORTED. -EALREADY if it is already closed. */
int tcp_conn_abort(struct tcp_conn *c);

/* TX lcore. Returns where to write the next bytes of the stream and how many fit (*room,
 * >= 1) in the current MSS-sized segment; NULL when the connection is not (yet) writable
 * or the send queue is full (-> wait for acks; errno EAGAIN) or closed (errno EPIPE) or
 * the pool is empty (errno ENOMEM). */
uint8_t *tcp_tx_buf(struct tcp_conn *c, uint32_t *room);
/* TX lcore. Commits n bytes written at the pointer tcp_tx_buf returned (n <= *room; larger
 * n is clamped). A full segment is queued for sending at once. */
void tcp_tx_commit(struct tcp_conn *c, uint32_t n);
/* TX lcore. Queues the partially filled segment, so the next tcp_tx_poll sends it. */
void tcp_tx_push(struct tcp_conn *c);
/* TX lcore. Pushes pending data and queues our FIN (sent after the data). -EPIPE if the
 * connection is closed; -EALREADY if FIN is already queued; -ENOMEM if no mbuf. */
int tcp_tx_close(struct tcp_conn *c);
/* TX lcore, once per loop iteration: executes control's commands, takes in acks,
 * runs the RTO and persist timers, sends what the congestion and peer windows allow (new
 * data as TSO packets when tcp_io.tso_max offers it), and pure ACKs. Returns the number of
 * packets handed to the device (a TSO packet counts once). */
uint16_t tcp_tx_poll(struct tcp_conn *c);
/* TX lcore. Bytes written but not yet acknowledged (queued, in flight and being filled). */
uint64_t tcp_tx_unacked(const struct tcp_conn *c);
/* TX lcore. When the last tcp_tx_poll held data back for pacing: nanoseconds from now_ns
 * until it may go (0 = nothing held, or it may go now). A poll loop that sleeps when idle
 * should not sleep longer than this. */
uint64_t tcp_tx_pace_wait_ns(const struct tcp_conn *c, uint64_t now_ns);

/* Any thread. True once the TX lcore has seen the connection closed, freed its queue and
 * drained control's commands: after TCP_EV_CLOSED and this, tcp_conn_destroy is safe once
 * the TX lcore stops calling tcp_tx_poll on it. */
static inline bool
tcp_conn_tx_released(const struct tcp_conn *c)
{
	/* Acquire pairs with the TX lcore's store-release in tx_closed (tcp_txpoll.c). */
	return atomic_load_explicit(&c->tx_released, memory_order_acquire) != 0; /* [T17] */
}

/* Any thread. The RFC 9293 state, derived from both sides' published fields. */
enum tcp_state tcp_conn_state(const struct tcp_conn *c);
/* Any thread. A snapshot of counters and windows (relaxed reads; fields may be from
 * slightly different instants). */
void tcp_conn_stats(const struct tcp_conn *c, struct tcp_stats *out);
const char *tcp_reason_str(enum tcp_reason r);
const char *tcp_state_str(enum tcp_state s);

/* Exposed for tests: SipHash-2-4 of len bytes under key k. */
uint64_t tcp_siphash(const uint64_t k[2], const void *data, size_t len);
/* Exposed for tests: the RFC 6528 ISN for a tuple at time now_ns. */
uint32_t tcp_isn(const struct tcp_stack *st, uint32_t src_ip, uint16_t src_port,
		 uint32_t dst_ip, uint16_t dst_port, uint64_t now_ns);

#endif /* JW_TCP_H */
