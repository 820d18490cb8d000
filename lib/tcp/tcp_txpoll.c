/* One poll of the TX lcore (tcp_tx_poll): control's commands, the first poll's set-up,
 * the order of the work (ACKs in, loss timers, pacing, sending, persist), the ACK for the
 * peer's bytes (piggybacked, delayed or pure), and handing the packets to the device.
 */
#include <string.h>

#include "tcp/tcp_hdr.h"
#include "tcp/tcp_tx.h"

#define TCP_CMDS_PER_POLL 16

/* First poll after ESTABLISHED: template, MSS, initial window (IW10, RFC 6928). */
static void
tx_setup(struct tcp_txctx *x)
{
	struct tcp_conn *c = x->c;
	uint8_t opts[12];
	uint16_t optlen = 0, mss = c->p.mss < c->peer_mss ? c->p.mss : c->peer_mss;
	uint32_t room = rte_pktmbuf_data_room_size(c->io->pool);

	if (c->ts_ok) {
		opts[0] = TCP_OPT_NOP;
		opts[1] = TCP_OPT_NOP;
		opts[2] = TCP_OPT_TS;
		opts[3] = 10;
		memset(opts + 4, 0, 8);
		optlen = 12;
	}
	c->t_hdr_len = tcp_hdr_write(c, c->t_tmpl, opts, optlen);
	c->t_tcp_hdr_len = (uint16_t)(c->t_hdr_len - TCP_TCP_OFF);
	mss = (uint16_t)(mss - optlen);
	if (room < RTE_PKTMBUF_HEADROOM + c->t_hdr_len + 64u)
		mss = 64; /* absurdly small pool: still correct, just slow */
	else if (mss > room - RTE_PKTMBUF_HEADROOM - c->t_hdr_len)
		mss = (uint16_t)(room - RTE_PKTMBUF_HEADROOM - c->t_hdr_len);
	c->t_mss = mss;
	atomic_store_explicit(&c->st_mss, mss, memory_order_relaxed);
	tcp_tso_setup(c);
	c->t_snd_una = c->iss + 1;
	c->t_cwnd = 10u * mss;
	c->t_ssthresh = UINT32_MAX / 2;
	c->t_recover = c->iss;
	c->t_acks_seen = atomic_load_explicit(&c->acks_in, memory_order_relaxed);
	c->t_fack = c->t_snd_una;
	c->t_rack_reo_mult = 1;
	c->t_rack_dsack_round = c->iss + 1;
	c->t_lost_hint = c->t_head;
	c->t_last_ack = c->irs; /* != rcv_nxt: the handshake's ACK goes */
	c->t_pace_poll_ns = x->now;
	c->t_pace_next_ns = x->now;
	c->t_pto_floor_ns = (uint64_t)(c->p.tlp_floor_ms != 0 && c->p.tlp_floor_ms < c->p.rto_min_ms
					       ? c->p.tlp_floor_ms : c->p.rto_min_ms) * NS_PER_MS;
	if (c->t_syn_tries == 0) {
		tcp_rtt_sample(c, (int64_t)(x->now - c->t_rtt_start_ns));
		c->t_min_rtt_ns = (uint64_t)c->t_srtt_ns;
	} else {
		c->t_rto_ns = (uint64_t)c->p.rto_init_ms * NS_PER_MS;
	}
	tcp_rto_publish(c);
	publish_cc(c);
	c->t_ready = true;
}

/* Hands out[] to the device; what it does not take waits in t_pend for the next poll. */
static uint16_t
flush(struct tcp_conn *c, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = 0;

	while (sent < n) {
		uint16_t k = c->io->tx_burst(c->io->ctx, pkts + sent,
					     (uint16_t)JW_MIN(n - sent, TCP_TX_BURST));
		if (k == 0)
			break;
		sent = (uint16_t)(sent + k);
	}
	for (uint16_t i = sent; i < n; i++) {
		if (c->t_pend_n < JW_ARRAY_SIZE(c->t_pend))
			c->t_pend[c->t_pend_n++] = pkts[i];
		else
			rte_pktmbuf_free(pkts[i]); /* a drop like any other: TCP recovers */
	}
	return sent;
}


/* Hands the packets the device refused in the previous poll to it again. Returns how many
 * it took; the rest stay in t_pend (then this poll sends nothing else). */
static uint16_t
pend_retry(struct tcp_conn *c)
{
	uint16_t n = c->t_pend_n;
	struct rte_mbuf *p[JW_ARRAY_SIZE(c->t_pend)];

	if (n == 0)
		return 0;
	memcpy(p, c->t_pend, n * sizeof(p[0]));
	c->t_pend_n = 0;
	return flush(c, p, n);
}

/* Executes up to TCP_CMDS_PER_POLL of control's commands (SC dequeue: its acquire pairs
 * with the SP enqueue's release in tcp_cmd_push). RST and ABORT go at once; returns how
 * many ACK commands asked for a pure ACK. */
static uint16_t
run_cmds(struct tcp_txctx *x)
{
	struct tcp_conn *c = x->c;
	void *cmds[TCP_CMDS_PER_POLL];
	/* [T11] */
	unsigned int ncmd = rte_ring_sc_dequeue_burst(c->cmd, cmds, TCP_CMDS_PER_POLL, NULL);
	uint16_t pure_acks = 0;

	for (unsigned int i = 0; i < ncmd; i++) {
		uintptr_t v = (uintptr_t)cmds[i];
		uint32_t arg = (uint32_t)(v >> 8);
		switch ((enum tcp_cmd)(v & 0xff)) {
		case TCP_CMD_ACK:
			pure_acks++;
			break;
		case TCP_CMD_RST:
			if (room_for(x, 1))
				tcp_send_ctl(x, TCP_F_RST, arg);
			break;
		case TCP_CMD_ABORT:
			if (!c->t_stopped && c->t_syn_sent && room_for(x, 1))
				tcp_send_ctl(x, c->t_ready ? TCP_F_RST | TCP_F_ACK : TCP_F_RST,
					     c->t_snd_max);
			c->t_stopped = true;
			break;
		}
	}
	return pure_acks;
}

/* The connection is closed (control lcore) or TX stopped: count what the last ACKs
 * covered, answer late segments, free the queue, and once control closed and its commands
 * are drained, publish tx_released. */
static void
tx_closed(struct tcp_txctx *x, uint8_t s, uint16_t pure_acks)
{
	struct tcp_conn *c = x->c;

	if (c->t_ready) { /* account for what the last ACKs covered before letting go */
		/* Acquire pairs with tcp_ctl_publish_ack's store-release [T2]. */
		uint32_t una = (uint32_t)(atomic_load_explicit(&c->ack_state,
							       memory_order_acquire) >> 32);
		if (SEQ_GT(una, c->t_snd_una) && SEQ_LEQ(una, c->t_snd_max)) {
			jw_ctr_add(&c->st_bytes_acked, una - c->t_snd_una);
			c->t_snd_una = una;
		}
	}
	/* Late ACKs (a retransmitted peer FIN in TIME_WAIT) are still answered. */
	if (!c->t_stopped && pure_acks > 0 && c->t_ready && room_for(x, 1))
		tcp_send_ctl(x, TCP_F_ACK, cur_snd_nxt(c));
	tcp_tx_release(c);
	/* Release pairs with the load-acquire in tcp_conn_tx_released (tcp.h): the queue is
	 * freed and no command is left when the owner sees it. */
	if (!atomic_load_explicit(&c->tx_released, memory_order_relaxed) &&
	    rte_ring_empty(c->cmd) && s == TCP_CTL_CLOSED)
		atomic_store_explicit(&c->tx_released, 1, memory_order_release); /* [T17] */
}

/* ACKs for the peer's bytes: control asks at once (every second segment, FIN, a filled
 * hole: ack_req) or leaves a delayed-ACK deadline (delack, loaded before anything of this
 * poll was built). Any segment of this poll carries the ACK; a pure ACK goes only when
 * nothing else did and rcv_nxt moved since the last ACK sent. Commands (dupacks, challenge
 * ACKs: pure_acks) always go. Returns how many pure ACKs to send. */
static uint16_t
acks_due(struct tcp_txctx *x, uint64_t delack, uint16_t pure_acks)
{
	struct tcp_conn *c = x->c;
	/* Acquire-exchange pairs with request_ack's store-release (tcp_input.c). [T10] */
	bool want_ack = atomic_exchange_explicit(&c->ack_req, 0, memory_order_acquire) != 0;
	bool timer_ack = false;

	if (delack != 0 && delack != c->t_delack_served) {
		if (x->n > 0 || want_ack || pure_acks > 0) {
			c->t_delack_served = delack;
		} else if (x->now >= delack) {
			c->t_delack_served = delack;
			want_ack = true;
			timer_ack = true;
		}
	}
	/* Acquire pairs with publish_rcv's store-release (tcp_input.c). */
	if (want_ack && x->n == 0 && pure_acks == 0 &&
	    atomic_load_explicit(&c->rcv_nxt, memory_order_acquire) != c->t_last_ack) { /* [T4] */
		pure_acks = 1;
		if (timer_ack)
			jw_ctr_add(&c->st_delayed_acks, 1);
	}
	return pure_acks;
}

/* ESTABLISHED and its closing sub-states: ACKs in, loss timers, pacing, data, persist,
 * then the ACKs for the peer's bytes. pure_acks: ACK commands run_cmds found. */
static void
tx_established(struct tcp_txctx *x, uint16_t pure_acks)
{
	struct tcp_conn *c = x->c;
	uint64_t delack;

	if (!c->t_ready)
		tx_setup(x);
	/* Acquire pairs with the control lcore's store-release of delack_at in
	 * data_in_order (tcp_input.c; rcv_nxt published before it); loaded before anything
	 * is built, so every header of this poll ACKs at least that. */
	delack = atomic_load_explicit(&c->delack_at, memory_order_acquire); /* [T9] */
	tcp_take_acks(x);
	tcp_loss_probe(x);
	tcp_tlp_timer(x);
	tcp_rto_timer(x);
	tcp_pace_update(c);
	tcp_pace_begin(x);
	x->paced = false;
	if (!c->t_stopped) {
		tcp_send_data(x);
		tcp_persist_timer(x);
	}
	c->t_pace_held = x->paced;
	if (x->paced)
		jw_ctr_add(&c->st_pacing_waits, 1);
	pure_acks = acks_due(x, delack, pure_acks);
	if (!c->t_stopped)
		for (uint16_t i = 0; i < pure_acks && room_for(x, 1); i++) {
			tcp_send_ctl(x, TCP_F_ACK, cur_snd_nxt(c));
			jw_ctr_add(&c->st_pure_acks, 1);
		}
	publish_snd(c);
}

uint16_t
tcp_tx_poll(struct tcp_conn *c)
{
	/* Acquire pairs with the control lcore's store-release of ctl_state
	 * (tcp_conn_connect, syn_sent, tcp_ctl_close): what it wrote before, we see. */
	uint8_t s = atomic_load_explicit(&c->ctl_state, memory_order_acquire); /* [T1] */
	struct tcp_txctx x;
	uint16_t sent, pure_acks;

	if (s == TCP_CTL_IDLE)
		return 0;
	/* Acquire pairs with tcp_ctl_poll's store-release of ctl_poll_ns: loaded before the
	 * ACKs are taken, so what the control lcore had read by then is in ack_state and the
	 * scoreboard. */
	c->t_ctl_seen_ns = atomic_load_explicit(&c->ctl_poll_ns, memory_order_acquire); /* [T8] */
	x.c = c;
	x.now = tcp_now(c->io);
	x.n = 0;
	x.data_sent = 0;
	x.paced = false;
	sent = pend_retry(c);
	if (c->t_pend_n > 0)
		return sent;
	pure_acks = run_cmds(&x);
	if (s == TCP_CTL_CLOSED || c->t_stopped)
		tx_closed(&x, s, pure_acks);
	else if (s == TCP_CTL_SYN_SENT)
		tcp_syn_timer(&x);
	else
		tx_established(&x, pure_acks);
	return (uint16_t)(sent + flush(c, x.out, x.n));
}
