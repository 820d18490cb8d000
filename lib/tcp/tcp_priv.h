/* Internal calls shared by the files of lib/tcp (not for other modules). */
#ifndef JW_TCP_PRIV_H
#define JW_TCP_PRIV_H

#include "common/jw_atomic.h"
#include "tcp/tcp-t.h"
#include "tcp/tcp_seq.h"

#define TCP_OPT_EOL       0
#define TCP_OPT_NOP       1
#define TCP_OPT_MSS       2
#define TCP_OPT_WS        3
#define TCP_OPT_SACK_PERM 4
#define TCP_OPT_SACK      5
#define TCP_OPT_TS        8
#define TCP_WSCALE_MAX    14

#define TCP_F_FIN 0x01
#define TCP_F_SYN 0x02
#define TCP_F_RST 0x04
#define TCP_F_PSH 0x08
#define TCP_F_ACK 0x10

#define NS_PER_MS 1000000ull

/* Port choice (tcp_isn.c), control lcore. */
uint16_t tcp_port_take(struct tcp_stack *st, uint32_t src_ip, uint32_t dst_ip,
		       uint16_t dst_port, uint64_t now_ns);
void tcp_port_release(struct tcp_stack *st, uint16_t port, uint64_t now_ns);

/* Connection objects (tcp_conn.c), control lcore. */
/* Moves the control side to CLOSED and reports TCP_EV_CLOSED once. */
void tcp_ctl_close(struct tcp_conn *c, enum tcp_reason why);
/* Queues a command for the TX lcore; returns 0 or -ENOBUFS when the ring is full. */
int tcp_cmd_push(struct tcp_conn *c, enum tcp_cmd cmd, uint32_t arg);
/* Publishes snd_una and the dupack count for the TX lcore. The store-release pairs with
 * the load-acquires of ack_state in tcp_take_acks (tcp_txack.c) and tx_closed
 * (tcp_txpoll.c): ack_tsecr, stored before it, is visible with it. */
static inline void
tcp_ctl_publish_ack(struct tcp_conn *c)
{
	atomic_store_explicit(&c->ack_state, ((uint64_t)c->c_snd_una << 32) | c->c_dupacks,
			      memory_order_release); /* [T2] */
}

/* The receive queue (tcp_ooo.c), control lcore. */
/* Hands len bytes of m from offset off to the owner, segment by segment; nothing once
 * the owner aborted from on_data. */
void tcp_deliver(struct tcp_conn *c, struct rte_mbuf *m, uint32_t off, uint32_t len);
/* Entries of the out-of-order queue for p: p->ooo_segs when set, else enough to hold the
 * advertised window (rcv_buf) twice over in full segments, 64..4096. */
uint16_t tcp_ooo_capacity(const struct tcp_params *p);
/* Frees the out-of-order queue. */
void tcp_ooo_clear(struct tcp_conn *c);
/* Keeps an out-of-order segment (payload [seq, seq+len) of m at off). Returns true when m
 * was kept, false when the caller must free it (duplicate, or the queue is full). */
bool tcp_ooo_insert(struct tcp_conn *c, struct rte_mbuf *m, uint32_t seq, uint32_t off,
		    uint32_t len, uint8_t fin);
/* The peer's FIN is in order: rcv_nxt passes it, peer_fin is published. */
void tcp_got_fin(struct tcp_conn *c);
/* Delivers queued out-of-order data that has become in order. True if a FIN did. */
bool tcp_ooo_drain(struct tcp_conn *c);
/* Publishes the SACK blocks of our next ACKs: with ds first a DSACK block [ds_s, ds_e),
 * then the out-of-order queue, the range holding recent first. No-op without SACK. */
void tcp_rsb_publish(struct tcp_conn *c, uint32_t recent, bool ds, uint32_t ds_s,
		     uint32_t ds_e);

/* The SACK scoreboard (tcp_sack.c), control lcore. */
/* Takes the SACK blocks of an acceptable ACK (snd_una already advanced) and publishes the
 * scoreboard when it changed. */
void tcp_sb_update(struct tcp_conn *c, const struct tcp_seg_info *si, uint32_t snd_max);

/* The send queue (tcp_txq.c). */
/* Frees the TX queue, the segment being filled and pending packets (TX side). */
void tcp_tx_release(struct tcp_conn *c);

static inline uint64_t
tcp_now(const struct tcp_io *io)
{
	return io->now_ns(io->ctx);
}

#endif /* JW_TCP_PRIV_H */
