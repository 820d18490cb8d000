/* TSO tests of lib/tcp over the fake device: the port advertises TCP segmentation offload
 * (tcp_io.tso_max), the fake device checks the offload fields and cuts each TSO packet
 * into MSS segments as a NIC would (harness.c, split_tso), and a peer model with a
 * reassembly map receives those segments, checks every byte against the pattern at its
 * stream offset and ACKs each one (so losses produce real dupacks). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "test_tso.h"

#define ISS  7000000u
#define PISN 9000000u
#define MSS  1448u               /* 1460 - 12 bytes of timestamps */
#define TOTAL (3u << 20)         /* bytes per transfer */

static uint8_t
pat(uint32_t off)
{
	return (uint8_t)(off * 7u + (off >> 9));
}

/* Writes up to n more bytes of pat() (stream offset *written); returns bytes written. */
static uint32_t
w_write(uint32_t *written, uint32_t n)
{
	uint32_t done = 0, room;
	uint8_t *b;

	while (done < n && (b = tcp_tx_buf(H.c, &room)) != NULL) {
		uint32_t k = JW_MIN(room, n - done);
		for (uint32_t i = 0; i < k; i++)
			b[i] = pat(*written + i);
		tcp_tx_commit(H.c, k);
		*written += k;
		done += k;
	}
	return done;
}

static void
tso_on(void)
{
	H.io.tx_cksum_offload = true;
	H.io.tso_max = 65535;
}

/* ---------- peer model ---------- */

struct peer {
	uint32_t base;             /* sequence number of stream offset 0 */
	uint32_t rcv_nxt;          /* stream offset of the first missing byte */
	uint32_t sent_end;         /* highest stream offset + 1 seen on the wire (lost too) */
	uint16_t win;              /* window field it advertises (scaled by 7) */
	uint64_t wire_segs, dropped, rexmits_seen;
	uint8_t have[TOTAL];
};

static struct peer P;

static void
peer_init(uint16_t win)
{
	memset(&P, 0, offsetof(struct peer, have));
	memset(P.have, 0, sizeof(P.have));
	P.base = ISS + 1;
	P.win = win;
}

/* The sender's view of one wire segment: nothing beyond MSS, a TSO piece says its MSS,
 * and a retransmission is never part of a TSO packet (the rule this implementation uses:
 * retransmissions go one queued segment per packet). */
static void
peer_check_wire(const struct pkt *d)
{
	uint32_t off = d->seq - P.base;

	assert_true(d->len <= MSS);
	if (d->tso_id != 0)
		assert_int_equal(d->tso_segsz, MSS);
	if (d->len > 0 && off < P.sent_end) {
		P.rexmits_seen++;
		assert_int_equal(d->tso_id, 0);
	}
	if (d->len > 0 && off + d->len > P.sent_end)
		P.sent_end = off + d->len;
	P.wire_segs++;
}

/* Receives one wire segment: every byte must be the pattern at its offset; then ACKs the
 * first missing byte (a duplicate ACK when this segment left a hole). */
static void
peer_rx(const struct pkt *d)
{
	uint32_t off = d->seq - P.base;

	if (d->len == 0)
		return;
	assert_true(off + d->len <= TOTAL);
	for (uint32_t k = 0; k < d->len; k++) {
		assert_int_equal(d->payload[k], pat(off + k));
		P.have[off + k] = 1;
	}
	while (P.rcv_nxt < TOTAL && P.have[P.rcv_nxt])
		P.rcv_nxt++;
	h_ack(P.base + P.rcv_nxt, P.win);
}

typedef bool (*drop_fn)(const struct pkt *d, uint32_t off);

/* Sends TOTAL bytes through TSO to the peer, dropping what drop says, until everything is
 * acknowledged (bounded). Every poll checks flight against cwnd and the peer's window. */
static void
transfer(drop_fn drop, bool check_cwnd)
{
	uint32_t written = 0;
	struct tcp_stats s;
	struct pkt d;

	for (int round = 0; round < 20000; round++) {
		uint32_t una_before;

		if (written < TOTAL && w_write(&written, TOTAL - written) > 0 && written == TOTAL)
			tcp_tx_push(H.c); /* the last partial segment goes too */
		if (written == TOTAL && tcp_tx_unacked(H.c) == 0)
			break;
		una_before = P.base + P.rcv_nxt;
		h_poll();
		tcp_conn_stats(H.c, &s);
		/* The peer's window: nothing beyond what it last advertised. */
		assert_true(SEQ_LEQ(s.snd_max, una_before + ((uint32_t)P.win << 7)));
		if (check_cwnd) /* no loss: flight never exceeds cwnd */
			assert_true(s.snd_nxt - s.snd_una <= s.cwnd);
		while (h_pop(&d)) {
			peer_check_wire(&d);
			if (drop != NULL && drop(&d, d.seq - P.base)) {
				P.dropped++;
				continue;
			}
			peer_rx(&d);
		}
		tcp_ctl_poll(H.c);
		h_advance_ms(1);
	}
	assert_int_equal(written, TOTAL);
	assert_int_equal(tcp_tx_unacked(H.c), 0);
	assert_int_equal(P.rcv_nxt, TOTAL);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.bytes_acked, TOTAL);
	assert_true(s.tso_pkts > 0);
	assert_int_equal(s.tso_pkts, H.tso_pkts);
	assert_int_equal(s.state, TCP_ESTABLISHED);
}

/* ---------- tests ---------- */

/* IW10 leaves as one TSO packet: header mbuf + 10 payload clones, the offload fields set,
 * cut by the device into 10 MSS segments with PSH only on the last. */
void
tso_packet_carries_offload_fields(void **state)
{
	uint32_t written = 0;
	struct tcp_stats s;
	struct pkt d;

	(void)state;
	h_open(NULL, ISS);
	tso_on();
	h_establish(true, PISN);
	peer_init(65535);
	w_write(&written, 30 * MSS);
	assert_int_equal(h_poll(), 1); /* one mbuf chain handed to the device */
	assert_int_equal(H.tso_pkts, 1);
	for (uint32_t i = 0; i < 10; i++) {
		assert_true(h_pop(&d));
		assert_int_equal(d.tso_id, 1);
		assert_int_equal(d.tso_len, 10 * MSS);
		assert_int_equal(d.tso_segsz, MSS);
		assert_int_equal(d.nb_segs, 11);
		assert_int_equal(d.ol_flags, RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 |
				 RTE_MBUF_F_TX_IP_CKSUM);
		assert_int_equal(d.seq, ISS + 1 + i * MSS);
		assert_int_equal(d.len, MSS);
		assert_int_equal(d.flags, i == 9 ? 0x18 : 0x10);
		assert_int_equal(d.ack, PISN + 1);
		assert_true(d.has_ts);
		for (uint32_t k = 0; k < MSS; k++)
			assert_int_equal(d.payload[k], pat(i * MSS + k));
	}
	assert_int_equal(h_pending(), 0);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.segs_out, 2 + 10); /* SYN, ACK, then 10 wire segments */
	assert_int_equal(s.tso_pkts, 1);
	assert_int_equal(s.bytes_sent, 10 * MSS);
	/* One ACK for all: slow start adds 2 MSS, so 12 segments leave as one packet. */
	h_ack(ISS + 1 + 10 * MSS, 65535);
	assert_int_equal(h_poll(), 1);
	assert_int_equal(h_pending(), 12);
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, ISS + 1 + 10 * MSS);
	assert_int_equal(d.tso_len, 12 * MSS);
	h_drain();
	h_close();
}

/* Without TSO offered, or without checksum offload (TSO needs it), or with no chaining,
 * the path is the per-segment one. */
void
tso_not_used_unless_offered(void **state)
{
	uint32_t written = 0;
	struct pkt d;

	(void)state;
	for (int mode = 0; mode < 3; mode++) {
		h_open(NULL, ISS);
		tso_on();
		if (mode == 0)
			H.io.tso_max = 0;
		else if (mode == 1)
			H.io.tx_cksum_offload = false;
		else
			H.io.tx_no_chain = true;
		h_establish(true, PISN);
		written = 0;
		w_write(&written, 30 * MSS);
		assert_int_equal(h_poll(), 10);
		assert_int_equal(H.tso_pkts, 0);
		while (h_pop(&d)) {
			assert_int_equal(d.tso_id, 0);
			assert_false(d.ol_flags & RTE_MBUF_F_TX_TCP_SEG);
			assert_int_equal(d.len, MSS);
		}
		h_close();
	}
}

/* The port's byte bound, its chain-length bound and the peer's window each cut TSO packets
 * at whole queued segments. */
void
tso_bounded_by_port_and_peer_window(void **state)
{
	uint32_t written = 0;
	struct pkt d;

	(void)state;
	/* tso_max of 4 segments and a bit: IW10 = 4 + 4 + 2. */
	h_open(NULL, ISS);
	tso_on();
	H.io.tso_max = 4 * MSS + 100;
	h_establish(true, PISN);
	w_write(&written, 30 * MSS);
	assert_int_equal(h_poll(), 3);
	assert_int_equal(H.tso_pkts, 3);
	assert_int_equal(H.tso_max_seen, 4 * MSS);
	h_drain();
	h_close();

	/* At most 3 mbufs per packet: header + 2 segments. */
	h_open(NULL, ISS);
	tso_on();
	H.io.tso_segs_max = 3;
	h_establish(true, PISN);
	written = 0;
	w_write(&written, 30 * MSS);
	assert_int_equal(h_poll(), 5);
	while (h_pop(&d))
		assert_int_equal(d.nb_segs, 3);
	h_close();

	/* The peer's window (40 << 7 = 5120 bytes) takes 3 whole segments. */
	h_open(NULL, ISS);
	tso_on();
	h_establish(true, PISN);
	h_ack(ISS + 1, 40);
	written = 0;
	w_write(&written, 30 * MSS);
	assert_int_equal(h_poll(), 1);
	assert_int_equal(h_pending(), 3);
	assert_int_equal(H.tso_max_seen, 3 * MSS);
	h_drain();
	h_close();
}

/* 3 MiB through a clean link: flight within cwnd and the peer's window at every poll,
 * packets up to the 16-bit IPv4 bound, every byte in order. */
void
tso_transfer_clean(void **state)
{
	struct tcp_stats s;

	(void)state;
	h_open(NULL, ISS);
	tso_on();
	h_establish(true, PISN);
	peer_init(65535);
	transfer(NULL, true);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.retransmits, 0);
	assert_true(H.tso_max_seen <= 65535u - 20u - 32u);
	assert_true(H.tso_max_seen >= 40u * MSS); /* cwnd grew past the IPv4 bound */
	assert_int_equal(P.rexmits_seen, 0);
	h_close();

	/* A 32 KiB peer window is the limit instead (transfer() checks it every poll). */
	h_open(NULL, ISS);
	tso_on();
	h_establish(true, PISN);
	peer_init(256);
	h_ack(ISS + 1, 256);
	transfer(NULL, false);
	assert_true(H.tso_max_seen <= 256u << 7);
	h_close();
}

static uint32_t drop_target;
static int drop_left, drop_first;

static bool
drop_one(const struct pkt *d, uint32_t off)
{
	if (d->len > 0 && off == drop_target && drop_left > 0) {
		if (drop_left-- == drop_first)
			assert_true(d->tso_id != 0); /* the first loss is inside a TSO packet */
		return true;
	}
	return false;
}

/* One MSS lost inside a TSO packet: the dupacks of the pieces after it trigger a fast
 * retransmit of that one segment (not of the whole packet), and the stream completes. */
void
tso_loss_inside_packet_fast_retransmit(void **state)
{
	struct tcp_stats s;

	(void)state;
	h_open(NULL, ISS);
	tso_on();
	h_establish(true, PISN);
	peer_init(65535);
	drop_target = 15 * MSS; /* 6th piece of the second TSO packet (segments 10..21) */
	drop_left = drop_first = 1;
	transfer(drop_one, false);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(drop_left, 0);
	assert_int_equal(s.fast_retransmits, 1);
	assert_int_equal(s.rto_expiries, 0);
	assert_int_equal(s.retransmits, 1); /* exactly the lost MSS went again */
	assert_int_equal(P.rexmits_seen, 1);
	h_close();

	/* Twice lost (the fast retransmission too): the loss probe or the RTO repairs it. */
	h_open(NULL, ISS);
	tso_on();
	h_establish(true, PISN);
	peer_init(65535);
	drop_target = 15 * MSS;
	drop_left = drop_first = 2;
	transfer(drop_one, false);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(drop_left, 0);
	assert_true(s.loss_probes + s.rto_expiries >= 1);
	h_close();
}

static uint64_t blackout_from, blackout_to;

static bool
drop_blackout(const struct pkt *d, uint32_t off)
{
	if (blackout_from == 0 && off >= (256u << 10)) { /* mid-transfer, cwnd large */
		assert_true(d->tso_id != 0);
		blackout_from = H.now;
		blackout_to = H.now + 700ull * 1000000ull;
	}
	return d->len > 0 && blackout_from != 0 && H.now >= blackout_from && H.now < blackout_to;
}

/* Every data segment lost for 700 ms from the first TSO packet past 256 KiB on: loss probes and
 * RTOs fire; what is resent after an RTO starts with one segment (cwnd = 1 MSS), no
 * retransmission is a TSO packet, and the stream completes in order. */
void
tso_blackout_rto_recovers(void **state)
{
	struct tcp_stats s;

	(void)state;
	h_open(NULL, ISS);
	tso_on();
	h_establish(true, PISN);
	peer_init(65535);
	blackout_from = blackout_to = 0;
	transfer(drop_blackout, false);
	tcp_conn_stats(H.c, &s);
	assert_true(s.rto_expiries >= 1);
	assert_true(P.rexmits_seen >= 1);
	h_close();
}

/* A TSO packet acknowledged up to the middle of one of its segments: the segments fully
 * covered are released, and the resend starts exactly at snd_una with the rest of that
 * segment only (loss probe here: 7 segments still in flight). */
void
tso_partial_ack_trims_resend(void **state)
{
	uint32_t written = 0, una = ISS + 1 + 3 * MSS + 700;
	struct tcp_stats s;
	struct pkt d;

	(void)state;
	h_open(NULL, ISS);
	tso_on();
	h_establish(true, PISN);
	peer_init(65535);
	w_write(&written, 10 * MSS);
	assert_int_equal(h_poll(), 1);
	h_drain();
	h_ack(una, 65535);
	h_poll();
	h_drain();
	assert_int_equal(tcp_tx_unacked(H.c), 10 * MSS - (una - ISS - 1));
	h_advance_ms(15); /* PTO = 10 ms */
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.tso_id, 0);
	assert_int_equal(d.seq, una);
	assert_int_equal(d.len, MSS - 700);
	for (uint32_t k = 0; k < d.len; k++)
		assert_int_equal(d.payload[k], pat(una - ISS - 1 + k));
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.loss_probes, 1);
	/* Then the RTO: again from snd_una, one segment's rest. */
	h_advance_ms(200);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, una);
	assert_int_equal(d.len, MSS - 700);
	assert_int_equal(d.tso_id, 0);
	/* Everything acknowledged: the queue drains, no mbuf leaks (h_close checks). */
	h_ack(ISS + 1 + 10 * MSS, 65535);
	h_poll();
	h_drain();
	assert_int_equal(tcp_tx_unacked(H.c), 0);
	h_close();
}

/* The NIC still holds the TSO packet (its clones reference the segments) when a segment is
 * retransmitted: the retransmission uses the segment's own headroom (never part of the TSO
 * packet) and later ones chain a fresh header; the held TSO packet's bytes never change. */
void
tso_retransmit_while_nic_holds_packet(void **state)
{
	uint32_t written = 0;
	uint8_t before[4 * MSS];
	struct rte_mbuf *tso;
	struct pkt d;

	(void)state;
	h_open(NULL, ISS);
	tso_on();
	h_establish(true, PISN);
	H.hold = true;
	w_write(&written, 4 * MSS);
	assert_int_equal(h_poll(), 1);
	h_drain();
	tso = H.held[H.n_held - 1];
	assert_true(tso->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	{
		uint8_t tmp[4 * MSS];
		const uint8_t *b = rte_pktmbuf_read(tso, 0, sizeof(tmp), tmp);
		assert_non_null(b);
		memcpy(before, b, sizeof(before));
	}
	for (int i = 0; i < 2; i++) {
		h_advance_ms(i == 0 ? 15 : 400);
		assert_int_equal(h_poll(), 1);
		assert_true(h_pop(&d));
		assert_int_equal(d.seq, ISS + 1);
		assert_int_equal(d.len, MSS);
		for (uint32_t k = 0; k < MSS; k++)
			assert_int_equal(d.payload[k], pat(k));
		{
			uint8_t now[4 * MSS];
			assert_memory_equal(rte_pktmbuf_read(tso, 0, sizeof(now), now), before,
					    sizeof(before));
		}
	}
	h_close();
}
