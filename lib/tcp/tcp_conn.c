/* Connection objects: create/connect/abort/destroy, the control lcore's close reporting,
 * derived state and statistics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "tcp/tcp.h"
#include "tcp/tcp_priv.h"

#define TCP_CMD_RING_SIZE 256

struct tcp_conn *
tcp_conn_create(struct tcp_stack *st, const struct tcp_io *tx_io, const struct tcp_owner_ops *ops)
{
	struct tcp_conn *c;
	size_t ring_sz;

	if (st == NULL || tx_io == NULL || tx_io->tx_burst == NULL || tx_io->now_ns == NULL ||
	    tx_io->pool == NULL || ops == NULL || ops->on_event == NULL) {
		errno = EINVAL;
		return NULL;
	}
	c = aligned_alloc(JW_CACHE_LINE, JW_ALIGN_UP(sizeof(*c), (size_t)JW_CACHE_LINE));
	if (c == NULL)
		goto nomem;
	memset(c, 0, sizeof(*c));
	c->st = st;
	c->io = tx_io;
	c->ops = *ops;
	c->p = st->p;
	c->t_q = calloc(c->p.snd_segs, sizeof(*c->t_q));
	c->p.ooo_segs = tcp_ooo_capacity(&c->p);
	c->c_ooo = calloc(c->p.ooo_segs, sizeof(*c->c_ooo));
	ring_sz = (size_t)rte_ring_get_memsize(TCP_CMD_RING_SIZE);
	c->cmd = aligned_alloc(JW_CACHE_LINE, JW_ALIGN_UP(ring_sz, (size_t)JW_CACHE_LINE));
	if (c->t_q == NULL || c->c_ooo == NULL || c->cmd == NULL)
		goto nomem_free;
	if (rte_ring_init(c->cmd, "tcpcmd", TCP_CMD_RING_SIZE, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0)
		goto nomem_free;
	c->t_qmask = c->p.snd_segs - 1u;
	return c;

nomem_free:
	free(c->cmd);
	free(c->c_ooo);
	free(c->t_q);
	free(c);
nomem:
	errno = ENOMEM;
	return NULL;
}

/* Takes c out of the stack's connection table (control lcore or owner). */
static void
stack_unregister(struct tcp_conn *c)
{
	for (unsigned int i = 0; i < TCP_MAX_CONNS; i++)
		if (c->st->conns[i] == c)
			c->st->conns[i] = NULL;
	c->c_registered = false;
}

void
tcp_conn_destroy(struct tcp_conn *c)
{
	if (c == NULL)
		return;
	if (c->c_registered) {
		stack_unregister(c);
		if (!c->c_reported_closed)
			tcp_port_release(c->st, c->src_port, tcp_now(c->st->io));
	}
	tcp_ooo_clear(c);
	tcp_tx_release(c);
	free(c->cmd);
	free(c->c_ooo);
	free(c->t_q);
	free(c);
}

/* The smallest window-scale shift (at most 14) that lets rcv_buf fit the 16-bit field. */
static uint8_t
wscale_for(uint32_t rcv_buf)
{
	uint8_t s = 0;

	while (s < TCP_WSCALE_MAX && (rcv_buf >> s) > 65535u)
		s++;
	return s;
}

int
tcp_conn_connect(struct tcp_conn *c, const struct tcp_endpoint *ep)
{
	struct tcp_stack *st = c->st;
	uint64_t now = tcp_now(st->io);
	unsigned int slot;
	uint16_t port;

	if (ep == NULL || ep->src_ip == 0 || ep->dst_ip == 0 || ep->dst_port == 0)
		return -EINVAL;
	if (atomic_load_explicit(&c->ctl_state, memory_order_relaxed) != TCP_CTL_IDLE)
		return -EISCONN;
	for (slot = 0; slot < TCP_MAX_CONNS; slot++)
		if (st->conns[slot] == NULL)
			break;
	if (slot == TCP_MAX_CONNS)
		return -ENOSPC;
	port = tcp_port_take(st, ep->src_ip, ep->dst_ip, ep->dst_port, now);
	if (port == 0)
		return -EADDRINUSE;
	st->conns[slot] = c;
	c->c_registered = true;
	c->ep = *ep;
	c->src_port = port;
	c->iss = st->isn_fixed ? st->isn_value
			       : tcp_isn(st, ep->src_ip, port, ep->dst_ip, ep->dst_port, now);
	c->ts_offset = (uint32_t)tcp_siphash(st->isn_key, &c->iss, sizeof(c->iss));
	c->rcv_wscale_offer = c->p.offer_wscale ? wscale_for(c->p.rcv_buf) : 0;

	/* Control side. */
	c->c_snd_una = c->iss;
	c->c_dupacks = 0;
	tcp_ctl_publish_ack(c);
	atomic_store_explicit(&c->snd_wnd_edge, c->iss, memory_order_relaxed);

	/* TX side: written here before the TX lcore looks at the connection, published by the
	 * ctl_state store-release below (TX load-acquires ctl_state first in tcp_tx_poll). */
	c->t_snd_una = c->iss;
	c->t_next_seq = c->iss + 1;
	c->t_snd_max = c->iss;
	c->t_rto_ns = (uint64_t)c->p.rto_init_ms * NS_PER_MS;
	atomic_store_explicit(&c->st_rto_ms, c->p.rto_init_ms, memory_order_relaxed);
	atomic_store_explicit(&c->snd_max, c->iss, memory_order_relaxed);
	atomic_store_explicit(&c->snd_nxt, c->iss, memory_order_relaxed);

	/* Release pairs with the load-acquire of ctl_state in tcp_tx_poll (tcp_txpoll.c). */
	atomic_store_explicit(&c->ctl_state, TCP_CTL_SYN_SENT, memory_order_release); /* [T1] */
	return 0;
}

int
tcp_cmd_push(struct tcp_conn *c, enum tcp_cmd cmd, uint32_t arg)
{
	uintptr_t v = (uintptr_t)cmd | ((uintptr_t)arg << 8);

	/* rte_ring SP enqueue: release store of the producer tail pairs with the SC dequeue's
	 * acquire load in tcp_tx_poll, so the TX lcore sees the command and what preceded it. */
	return rte_ring_sp_enqueue(c->cmd, (void *)v) == 0 ? 0 : -ENOBUFS; /* [T11] */
}

void
tcp_ctl_close(struct tcp_conn *c, enum tcp_reason why)
{
	if (c->c_reported_closed)
		return;
	c->c_reported_closed = true;
	atomic_store_explicit(&c->reason, (uint8_t)why, memory_order_relaxed);
	/* Release pairs with the load-acquires of ctl_state in tcp_tx_poll (tcp_txpoll.c),
	 * writable (tcp_txq.c) and tcp_conn_state: whoever sees CLOSED sees reason. */
	atomic_store_explicit(&c->ctl_state, TCP_CTL_CLOSED, memory_order_release); /* [T1] */
	tcp_port_release(c->st, c->src_port, tcp_now(c->st->io));
	tcp_ooo_clear(c);
	c->ops.on_event(c->ops.owner, c, TCP_EV_CLOSED, why);
}

int
tcp_conn_abort(struct tcp_conn *c)
{
	uint8_t s = atomic_load_explicit(&c->ctl_state, memory_order_relaxed);

	if (s == TCP_CTL_CLOSED || s == TCP_CTL_IDLE)
		return -EALREADY;
	(void)tcp_cmd_push(c, TCP_CMD_ABORT, 0);
	tcp_ctl_close(c, TCP_R_ABORTED);
	return 0;
}

void
tcp_ctl_poll(struct tcp_conn *c)
{
	uint8_t s = atomic_load_explicit(&c->ctl_state, memory_order_relaxed);
	uint8_t fail;

	if (s != TCP_CTL_SYN_SENT && s != TCP_CTL_ESTABLISHED)
		return;
	/* Heartbeat: every frame the caller received before this call has been through
	 * tcp_input, so ack_state and the scoreboard hold what arrived until now. Release
	 * pairs with the TX lcore's acquire at the start of tcp_tx_poll (tcp_txpoll.c),
	 * which holds its loss timers (RTO, TLP, RACK) until the control lcore has polled
	 * past them: a late control poll is not mistaken for loss. [T8] */
	atomic_store_explicit(&c->ctl_poll_ns, tcp_now(c->st->io) | 1u, memory_order_release);
	/* Acquire pairs with the store-release in tx_fail (tcp_tx.h). */
	fail = atomic_load_explicit(&c->tx_fail, memory_order_acquire); /* [T16] */
	if (fail != TCP_R_NONE) {
		tcp_ctl_close(c, (enum tcp_reason)fail);
		return;
	}
	if (c->c_fin_acked_ns != 0 && !atomic_load_explicit(&c->peer_fin, memory_order_relaxed) &&
	    tcp_now(c->st->io) - c->c_fin_acked_ns >= (uint64_t)c->p.fin_wait2_ms * NS_PER_MS) {
		(void)tcp_cmd_push(c, TCP_CMD_ABORT, 0);
		tcp_ctl_close(c, TCP_R_FIN_TIMEOUT);
	}
}

enum tcp_state
tcp_conn_state(const struct tcp_conn *c)
{
	/* Acquire pairs with the store-releases of ctl_state in tcp_conn_connect,
	 * tcp_ctl_close and syn_sent (tcp_input.c). */
	uint8_t s = atomic_load_explicit(&c->ctl_state, memory_order_acquire); /* [T1] */
	bool fin_sent, fin_acked, peer_fin;

	switch (s) {
	case TCP_CTL_SYN_SENT:
		return TCP_SYN_SENT;
	case TCP_CTL_ESTABLISHED:
		break;
	case TCP_CTL_CLOSED:
		if (atomic_load_explicit(&c->reason, memory_order_relaxed) == TCP_R_NORMAL &&
		    atomic_load_explicit(&c->fin_sent, memory_order_relaxed))
			return TCP_TIME_WAIT;
		return TCP_CLOSED;
	default:
		return TCP_CLOSED;
	}
	/* Acquires pair with the store-releases of fin_sent in tcp_xmit (tcp_xmit.c),
	 * fin_acked in process_ack (tcp_input.c) and peer_fin in tcp_got_fin (tcp_ooo.c). */
	fin_sent = atomic_load_explicit(&c->fin_sent, memory_order_acquire); /* [T13] */
	fin_acked = atomic_load_explicit(&c->fin_acked, memory_order_acquire); /* [T14] */
	peer_fin = atomic_load_explicit(&c->peer_fin, memory_order_acquire); /* [T15] */
	if (!fin_sent)
		return peer_fin ? TCP_CLOSE_WAIT : TCP_ESTABLISHED;
	if (!peer_fin)
		return fin_acked ? TCP_FIN_WAIT_2 : TCP_FIN_WAIT_1;
	return fin_acked ? TCP_TIME_WAIT : TCP_LAST_ACK;
}

#define LD(x) atomic_load_explicit(&c->x, memory_order_relaxed)

void
tcp_conn_stats(const struct tcp_conn *c, struct tcp_stats *o)
{
	uint64_t ack = LD(ack_state);

	memset(o, 0, sizeof(*o));
	o->state = tcp_conn_state(c);
	o->reason = (enum tcp_reason)LD(reason);
	o->src_port = c->src_port;
	o->dst_port = c->ep.dst_port;
	o->snd_una = (uint32_t)(ack >> 32);
	o->snd_nxt = LD(snd_nxt);
	o->snd_max = LD(snd_max);
	o->snd_wnd = LD(snd_wnd_edge) - o->snd_una;
	o->rcv_nxt = LD(rcv_nxt);
	o->rcv_wnd = c->p.rcv_buf;
	o->cwnd = LD(st_cwnd);
	o->ssthresh = LD(st_ssthresh);
	o->srtt_us = LD(st_srtt_us);
	o->rttvar_us = LD(st_rttvar_us);
	o->rto_ms = LD(st_rto_ms);
	o->mss = LD(st_mss);
	o->bytes_sent = LD(st_bytes_sent);
	o->bytes_acked = LD(st_bytes_acked);
	o->bytes_received = LD(st_bytes_received);
	o->segs_out = LD(st_segs_out);
	o->segs_in = LD(st_segs_in);
	o->retransmits = LD(st_retransmits);
	o->rto_expiries = LD(st_rto_expiries);
	o->fast_retransmits = LD(st_fast_retransmits);
	o->zero_window_probes = LD(st_zwp);
	o->dupacks_in = LD(st_dupacks_in);
	o->ooo_segs_in = LD(st_ooo_segs_in);
	o->ooo_drops = LD(st_ooo_drops);
	o->dup_segs_in = LD(st_dup_segs_in);
	o->challenge_acks = LD(st_challenge_acks);
	o->bad_segs_in = LD(st_bad_segs_in);
	o->tx_clones = LD(st_tx_clones);
	o->tx_nomem = LD(st_tx_nomem);
	o->zero_windows_in = LD(st_zero_wnd_in);
	o->loss_probes = LD(st_loss_probes);
	o->tx_copies = LD(st_tx_copies);
	o->tso_pkts = LD(st_tso_pkts);
	/* Acquire pairs with syn_sent's store-release of ESTABLISHED: sack_ok is set. [T1] */
	o->sack_ok = atomic_load_explicit(&c->ctl_state, memory_order_acquire) >= TCP_CTL_ESTABLISHED &&
		     c->sack_ok;
	o->sack_blocks_in = LD(st_sack_blocks_in);
	o->dsacks_in = LD(st_dsacks_in);
	o->sack_blocks_out = LD(st_sack_blocks_out);
	o->rtx_rto = LD(st_rtx_rto);
	o->rtx_fast = LD(st_rtx_fast);
	o->rtx_tlp = LD(st_rtx_tlp);
	o->rtx_other = LD(st_rtx_other);
	o->rack_losses = LD(st_rack_losses);
	o->undos_dsack = LD(st_undos_dsack);
	o->undos_eifel = LD(st_undos_eifel);
	o->spurious_undos = o->undos_dsack + o->undos_eifel;
	o->rto_held = LD(st_rto_held);
	o->pure_acks_out = LD(st_pure_acks);
	o->delayed_acks = LD(st_delayed_acks);
	o->pacing_waits = LD(st_pacing_waits);
	o->pacing_rate_bps = LD(st_pacing_rate);
}

const char *
tcp_reason_str(enum tcp_reason r)
{
	switch (r) {
	case TCP_R_NONE: return "none";
	case TCP_R_NORMAL: return "closed normally";
	case TCP_R_REFUSED: return "connection refused";
	case TCP_R_RESET: return "reset by peer";
	case TCP_R_CONNECT_TIMEOUT: return "connect timed out";
	case TCP_R_TIMEOUT: return "retransmission limit reached";
	case TCP_R_FIN_TIMEOUT: return "peer did not close (FIN_WAIT_2 timeout)";
	case TCP_R_ABORTED: return "aborted locally";
	case TCP_R_NOMEM: return "out of mbufs";
	}
	return "unknown";
}

const char *
tcp_state_str(enum tcp_state s)
{
	static const char *const names[] = {
		"CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
		"CLOSING", "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK",
	};
	return (unsigned int)s < JW_ARRAY_SIZE(names) ? names[s] : "?";
}
