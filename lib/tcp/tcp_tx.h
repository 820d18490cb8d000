/* Internal calls of the TX lcore's half of a connection (not for other modules).
 *
 * The TX half is cut by job, each file calling only the ones below it (no file cycle):
 *
 *  | file           | job                                                          | calls     |
 *  |----------------|--------------------------------------------------------------|-----------|
 *  | tcp_txpoll.c   | tcp_tx_poll: commands, set-up, the order of one poll, ACK    | all below |
 *  |                | decisions, handing packets to the device                     |           |
 *  | tcp_txack.c    | taking in what control published: cumulative ACK, RTT        | recovery, |
 *  |                | sample, Eifel, TLP episode end, cwnd growth                  | cc        |
 *  | tcp_recovery.c | loss recovery: SACK scoreboard copy, RACK, PRR, DSACK, TLP;  | xmit, cc  |
 *  |                | NewReno dupacks and loss probe without SACK                  |           |
 *  | tcp_timer.c    | RTO, persist (zero/small window) and SYN timers              | xmit, cc  |
 *  | tcp_xmit.c     | packets: SYN, pure ACK/RST (with SACK blocks), data segments | cc, pace, |
 *  |                | (in place, clone, copy), TSO, the send loop                  | hdr       |
 *  | tcp_cc.c       | RTT/RTO estimate, congestion window, reductions and undo     | -         |
 *  | tcp_pace.c     | pacing rate and the pacer's clock                            | -         |
 *  | tcp_txq.c      | the writer API and the send queue                            | -         |
 *
 * Everything here runs on the TX lcore only (or on the control lcore in tcp_conn_connect
 * before the TX lcore looks at the connection, see tcp-t.h).
 */
#ifndef JW_TCP_TX_H
#define JW_TCP_TX_H

#include "tcp/tcp.h"
#include "tcp/tcp_priv.h"

#define TCP_POLL_DATA_MAX (TCP_POLL_OUT_MAX - 8)       /* data packets per poll */
#define TCP_PTO_MIN_NS    (10ull * 1000000ull) /* TLP's lowest floor */
#define TCP_PTO_FRESH_NS  (500ull * 1000ull)   /* floor of a probe with new data */
#define TCP_TLP_FRESH_MAX 3                    /* probes with new data per episode */

static inline struct tcp_seg *
qseg(const struct tcp_conn *c, uint32_t idx)
{
	return &c->t_q[idx & c->t_qmask];
}

static inline uint32_t
seg_end(const struct tcp_seg *s)
{
	return s->seq + s->len + s->fin;
}

/* The sequence number the next new transmission starts at (RFC SND.NXT). */
static inline uint32_t
cur_snd_nxt(const struct tcp_conn *c)
{
	return c->t_nxt != c->t_tail ? qseg(c, c->t_nxt)->seq : c->t_next_seq;
}

static inline uint32_t
flight_size(const struct tcp_conn *c)
{
	int32_t f = SEQ_DIFF(cur_snd_nxt(c), c->t_snd_una);

	return f > 0 ? (uint32_t)f : 0;
}

static inline void
publish_cc(struct tcp_conn *c)
{
	atomic_store_explicit(&c->st_cwnd, c->t_cwnd, memory_order_relaxed);
	atomic_store_explicit(&c->st_ssthresh, c->t_ssthresh, memory_order_relaxed);
}

static inline void
publish_snd(struct tcp_conn *c)
{
	/* Release pairs with the control lcore's load-acquire of snd_max in process_ack
	 * (tcp_input.c): it validates ACKs against what was really sent. */
	atomic_store_explicit(&c->snd_nxt, cur_snd_nxt(c), memory_order_release); /* [T12] */
	atomic_store_explicit(&c->snd_max, c->t_snd_max, memory_order_release); /* [T12] */
}

/* The TX side gives up (retry limit): stops sending, the control lcore reports the end. */
static inline void
tx_fail(struct tcp_conn *c, enum tcp_reason why)
{
	c->t_stopped = true;
	/* Release pairs with tcp_ctl_poll's load-acquire of tx_fail (tcp_conn.c). */
	atomic_store_explicit(&c->tx_fail, (uint8_t)why, memory_order_release); /* [T16] */
}

static inline void
emit(struct tcp_txctx *x, struct rte_mbuf *m)
{
	x->out[x->n++] = m;
	jw_ctr_add(&x->c->st_segs_out, 1);
}

static inline bool
room_for(const struct tcp_txctx *x, uint16_t n)
{
	return x->n + n <= TCP_POLL_OUT_MAX;
}

/* The peer's right window edge. Acquire pairs with the control lcore's store-release of
 * snd_wnd_edge in process_ack (tcp_input.c). */
static inline uint32_t
wnd_edge(const struct tcp_conn *c)
{
	return atomic_load_explicit(&c->snd_wnd_edge, memory_order_acquire); /* [T3] */
}

/* May a loss timer that expired at deadline act? Only when the control lcore has polled
 * since (its heartbeat, loaded at this poll's start before the ACKs were taken): whatever
 * arrived before the deadline has then been read. A control lcore that never polls
 * (heartbeat 0: tests, tools driving tcp_input only) holds nothing. */
static inline bool
ctl_caught_up(const struct tcp_conn *c, uint64_t deadline)
{
	return c->t_ctl_seen_ns == 0 || c->t_ctl_seen_ns >= deadline;
}

/* ---- tcp_xmit.c ---- */

/* A headers-only SYN with our options (MSS, SACK-permitted, timestamps, window scale). */
void tcp_send_syn(struct tcp_txctx *x);
/* A pure ACK (with SACK blocks for our out-of-order data when negotiated) or RST with
 * sequence number seq; flags TCP_F_ACK, TCP_F_RST or both. Nothing when out of mbufs. */
void tcp_send_ctl(struct tcp_txctx *x, uint8_t flags, uint32_t seq);
/* The packet for len bytes of queued segment s from byte off (len < s->len only for a
 * window probe or a partial segment); NULL when out of mbufs. Does not emit it. */
struct rte_mbuf *tcp_build_seg(struct tcp_txctx *x, struct tcp_seg *s, uint32_t off,
			       uint32_t len);
/* Counts one retransmission by cause (TCP_RTX_AUTO: by the loss state). */
void tcp_rtx_count(struct tcp_conn *c, enum tcp_rtx_cause why);
/* Transmits queued segment idx whole (from snd_una when part of it was acknowledged) and
 * keeps the books (pipe, PRR, RACK's send time, undo record, RTT timing, snd_max, FIN).
 * False when out of mbufs. The caller checked room_for(x, 1). */
bool tcp_xmit(struct tcp_txctx *x, uint32_t idx, enum tcp_rtx_cause why);
/* Sends what both windows and the pacer allow: with SACK the segments marked lost first,
 * then new data (as TSO packets when the port offers it). */
void tcp_send_data(struct tcp_txctx *x);
/* TSO limits for this connection from its io (after t_mss and the template are set). */
void tcp_tso_setup(struct tcp_conn *c);

/* ---- tcp_cc.c ---- */

/* Publishes t_rto_ns for the stats. */
void tcp_rto_publish(struct tcp_conn *c);
/* RTO = SRTT + max(4 RTTVAR, 1 ms) within [rto_min, rto_max] (forgets the backoff). */
void tcp_rto_from_srtt(struct tcp_conn *c);
/* RFC 6298 §2: one RTT sample of r ns (<= 0 counts as 1). */
void tcp_rtt_sample(struct tcp_conn *c, int64_t r);
/* ssthresh after a loss: beta_pct of the flight, at least two segments (RFC 5681 eq. 4
 * with beta 50 %, RFC 9438 §4.6 with 70 %). */
uint32_t tcp_loss_ssthresh(const struct tcp_conn *c);
/* acked new bytes outside recovery: slow start (byte counting, L = 2 SMSS per ACK of the
 * n_acks this poll took in) or congestion avoidance. */
void tcp_cc_on_ack(struct tcp_conn *c, uint32_t acked, uint64_t n_acks);
/* A loss episode begins: remember cwnd and ssthresh before its reduction. */
void tcp_undo_begin(struct tcp_conn *c);
/* A retransmission [seq, end) of the episode that a DSACK may prove needless. */
void tcp_undo_record(struct tcp_conn *c, uint32_t seq, uint32_t end);
/* The episode's reduction was for nothing (DSACK, or Eifel when eifel): restore. */
void tcp_undo(struct tcp_conn *c, bool eifel);

/* ---- tcp_pace.c ---- */

/* Recomputes the pacing rate from cwnd and SRTT (0 = not pacing). */
void tcp_pace_update(struct tcp_conn *c);
/* At the start of a poll: bounds the credit a sleeping poll loop earned. */
void tcp_pace_begin(struct tcp_txctx *x);
/* May the next data packet go now? Sets x->paced when not. */
bool tcp_pace_ok(struct tcp_txctx *x);
/* A data packet of bytes payload went: advance the pacer's clock. */
void tcp_pace_sent(struct tcp_txctx *x, uint32_t bytes);

/* ---- tcp_recovery.c ---- */

/* Queue segment s was delivered (SACKed or first cumulatively acked): RACK's state. */
void tcp_rack_delivered(struct tcp_txctx *x, const struct tcp_seg *s);
/* SACK connections, after this poll's ACKs: scoreboard, DSACKs, RACK, recovery, PRR. */
void tcp_sack_after_acks(struct tcp_txctx *x, bool una_moved, uint32_t delivered);
/* Non-SACK connections: a cumulative ACK of acked bytes up to una in NewReno recovery
 * (full ACK leaves it, partial ACK resends the next hole, RFC 6582). */
void tcp_newreno_ack(struct tcp_txctx *x, uint32_t una, uint32_t acked);
/* Non-SACK connections: the control lcore's consecutive dupack count is dup. */
void tcp_newreno_dupacks(struct tcp_txctx *x, uint32_t dup);
/* Non-SACK loss probe, and the SACK connections' tail loss probe (RFC 8985 §7). */
void tcp_loss_probe(struct tcp_txctx *x);
void tcp_tlp_timer(struct tcp_txctx *x);

/* ---- tcp_timer.c ---- */

void tcp_rto_timer(struct tcp_txctx *x);
/* The head segment does not fit the peer's window with nothing in flight: partial segment
 * or zero-window probe (RFC 9293 §3.8.6.1). */
void tcp_persist_timer(struct tcp_txctx *x);
/* SYN_SENT: first SYN, then retransmissions with backoff up to syn_retries. */
void tcp_syn_timer(struct tcp_txctx *x);

/* ---- tcp_txack.c ---- */

/* Takes in what the control lcore published since the last poll. */
void tcp_take_acks(struct tcp_txctx *x);

#endif /* JW_TCP_TX_H */
