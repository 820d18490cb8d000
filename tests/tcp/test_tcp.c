/* Unit tests of lib/tcp over the fake device and virtual clock (packetdrill-style: inject
 * segments, assert on what is emitted and when). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <stdlib.h>

#include "harness.h"
#include "test_tso.h"
#include "test_sack.h"
#include "tcp/tcp_priv.h"

#define ISS 1000000u
#define PISN 5000000u
#define A(x) (uint8_t)(x)

/* ---------- sequence arithmetic, SipHash, ISN, ports ---------- */

static void
seq_macros_wrap(void **state)
{
	(void)state;
	assert_true(SEQ_LT(0xfffffff0u, 0x10u));
	assert_true(SEQ_GT(0x10u, 0xfffffff0u));
	assert_true(SEQ_LEQ(5u, 5u) && SEQ_GEQ(5u, 5u));
	assert_false(SEQ_LT(5u, 5u));
	assert_true(SEQ_LT(0x7ffffff0u, 0x80000010u));
	assert_true(SEQ_IN(0x2u, 0xfffffffeu, 0x10u));
	assert_false(SEQ_IN(0x10u, 0xfffffffeu, 0x10u));
	assert_int_equal(SEQ_MAX(0xffffffffu, 3u), 3u);
	assert_int_equal(SEQ_MIN(0xffffffffu, 3u), 0xffffffffu);
	assert_int_equal(SEQ_DIFF(2u, 0xfffffffeu), 4);
}

static void
siphash_reference_vector(void **state)
{
	/* SipHash-2-4 reference (Aumasson & Bernstein, appendix A): key 00..0f, msg 00..0e. */
	uint64_t k[2] = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	uint8_t msg[15];

	(void)state;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	assert_int_equal(tcp_siphash(k, msg, 15), 0xa129ca6149be45e5ull);
	assert_int_equal(tcp_siphash(k, msg, 0), 0x726fdb47dd0e0e31ull);
}

static void
isn_keyed_and_clocked(void **state)
{
	struct tcp_params p;
	struct tcp_io io = { 0 };
	uint8_t k1[32] = { 1 }, k2[32] = { 2 };
	struct tcp_stack *a, *b;
	uint32_t i1, i2;

	(void)state;
	io.now_ns = (uint64_t (*)(void *))(void *)0x1; /* never called here */
	tcp_params_default(&p);
	a = tcp_stack_create(&io, &p, k1);
	b = tcp_stack_create(&io, &p, k2);
	assert_non_null(a);
	assert_non_null(b);
	i1 = tcp_isn(a, LOCAL_IP, 50000, PEER_IP, 4222, 0);
	i2 = tcp_isn(b, LOCAL_IP, 50000, PEER_IP, 4222, 0);
	assert_int_not_equal(i1, i2);                                   /* keyed */
	assert_int_not_equal(i1, tcp_isn(a, LOCAL_IP, 50001, PEER_IP, 4222, 0)); /* per tuple */
	assert_int_equal(tcp_isn(a, LOCAL_IP, 50000, PEER_IP, 4222, 4000000) - i1, 1000u); /* 4 µs */
	tcp_stack_destroy(a);
	tcp_stack_destroy(b);
}

static uint64_t fixed_now;
static uint64_t
get_fixed_now(void *ctx)
{
	(void)ctx;
	return fixed_now;
}

static void
ports_never_reuse_tuple_within_60s(void **state)
{
	struct tcp_params p;
	struct tcp_io io = { .now_ns = get_fixed_now };
	uint8_t k[32] = { 3 };
	struct tcp_stack *st;
	uint16_t first, port;

	(void)state;
	tcp_params_default(&p);
	st = tcp_stack_create(&io, &p, k);
	assert_non_null(st);
	fixed_now = 1;
	first = tcp_port_take(st, LOCAL_IP, PEER_IP, 4222, fixed_now);
	assert_true(first >= TCP_PORT_LO);
	tcp_port_release(st, first, fixed_now);
	/* Every other port gets used while first is quiet: first must not come back. */
	for (unsigned int i = 0; i < TCP_PORT_COUNT - 1; i++) {
		fixed_now += 1000000; /* 1 ms */
		port = tcp_port_take(st, LOCAL_IP, PEER_IP, 4222, fixed_now);
		assert_int_not_equal(port, 0);
		assert_int_not_equal(port, first);
		tcp_port_release(st, port, fixed_now);
		if (fixed_now >= TCP_TUPLE_QUIET_NS)
			break;
	}
	/* All quiet and the one in use... after 60 s it is available again. */
	fixed_now = 1 + TCP_TUPLE_QUIET_NS + 70ull * 1000000000ull;
	for (unsigned int i = 0; i < TCP_PORT_COUNT; i++) {
		port = tcp_port_take(st, LOCAL_IP, PEER_IP, 4222, fixed_now);
		assert_int_not_equal(port, 0);
		if (port == first)
			break;
	}
	assert_int_equal(port, first);
	tcp_stack_destroy(st);
}

static void
params_checked(void **state)
{
	struct tcp_params p;

	(void)state;
	tcp_params_default(&p);
	assert_int_equal(tcp_params_check(&p), 0);
	p.snd_segs = 1000;
	assert_int_equal(tcp_params_check(&p), -EINVAL);
	tcp_params_default(&p);
	p.mss = 100;
	assert_int_equal(tcp_params_check(&p), -EINVAL);
	tcp_params_default(&p);
	p.rto_min_ms = 2000;
	assert_int_equal(tcp_params_check(&p), -EINVAL);
}

/* ---------- handshake ---------- */

static void
handshake_option_matrix(void **state)
{
	(void)state;
	for (int combo = 0; combo < 32; combo++) {
		struct tcp_params p;
		bool offer_ts = combo & 1, offer_ws = combo & 2;
		bool peer_ts = combo & 4, peer_ws = combo & 8, peer_mss = combo & 16;
		bool ts_ok = offer_ts && peer_ts, ws_ok = offer_ws && peer_ws;
		struct pkt syn, ack, d;
		uint8_t o[40], n;
		uint32_t mss;

		tcp_params_default(&p);
		p.offer_ts = offer_ts;
		p.offer_wscale = offer_ws;
		h_open(&p, ISS);
		assert_int_equal(h_poll(), 1);
		assert_true(h_pop(&syn));
		assert_int_equal(syn.flags, 0x02);
		assert_int_equal(syn.seq, ISS);
		assert_true(syn.has_mss);
		assert_int_equal(syn.mss, 1460);
		assert_int_equal(syn.has_ts, offer_ts);
		assert_int_equal(syn.has_ws, offer_ws);
		if (offer_ws)
			assert_int_equal(syn.ws, 3); /* 256 KiB >> 3 fits 16 bits */
		assert_int_equal(syn.win, 65535);
		assert_int_equal(syn.dport, PEER_PORT);
		assert_true(syn.sport >= TCP_PORT_LO);

		n = h_synack_opts(o, peer_mss ? 1200 : 0, peer_ws ? 2 : -1, peer_ts, 777, syn.tsval);
		H.peer_seq = PISN + 1;
		assert_int_equal(h_inject(0x12, PISN, ISS + 1, 4000, o, n, NULL, 0), 0);
		assert_int_equal(tcp_conn_state(H.c), TCP_ESTABLISHED);
		assert_int_equal(h_poll(), 1);
		assert_true(h_pop(&ack));
		assert_int_equal(ack.flags, 0x10);
		assert_int_equal(ack.ack, PISN + 1);
		if (ack.has_ts != ts_ok)
			fail_msg("combo %d: ack has_ts %d", combo, ack.has_ts);
		if (ts_ok)
			assert_int_equal(ack.tsecr, 777);
		assert_int_equal(ack.win, ws_ok ? (256 * 1024) >> 3 : 65535);

		/* Segment size: min(ours, peer's or 536) minus the timestamp option. */
		mss = (peer_mss ? 1200u : 536u) - (ts_ok ? 12u : 0u);
		assert_int_equal(h_write(3000, true), 3000);
		assert_true(h_poll() >= 1);
		assert_true(h_pop(&d));
		assert_int_equal(d.len, mss);
		assert_int_equal(d.seq, ISS + 1);
		assert_true(d.flags & 0x10);
		h_drain();
		/* The peer's window: 4000 in the SYN-ACK is not scaled; afterwards win << ws. */
		{
			struct tcp_stats s;
			tcp_conn_stats(H.c, &s);
			assert_int_equal(s.snd_wnd, 4000);
			assert_int_equal(s.mss, mss);
			h_ack(ISS + 1, 1000);
			tcp_conn_stats(H.c, &s);
			assert_int_equal(s.snd_wnd, ws_ok ? 4000 : 1000);
		}
		h_close();
	}
}

static void
syn_retransmit_backoff_then_timeout(void **state)
{
	struct tcp_params p;
	struct pkt syn;
	uint64_t t0;

	(void)state;
	tcp_params_default(&p);
	p.syn_retries = 3;
	h_open(&p, ISS);
	t0 = H.now;
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&syn));
	/* 1 s, then 2 s, then 4 s between SYNs; nothing in between. */
	uint64_t gaps[] = { 1000, 2000, 4000 };
	for (int i = 0; i < 3; i++) {
		h_advance_ms(gaps[i] - 1);
		assert_int_equal(h_poll(), 0);
		h_advance_ms(1);
		assert_int_equal(h_poll(), 1);
		assert_true(h_pop(&syn));
		assert_int_equal(syn.flags, 0x02);
		assert_int_equal(syn.seq, ISS);
	}
	assert_int_equal(H.now - t0, 7000ull * 1000000ull);
	h_advance_ms(8000);
	assert_int_equal(h_poll(), 0);
	tcp_ctl_poll(H.c);
	assert_int_equal(H.log.n_events, 1);
	assert_int_equal(H.log.ev[0], TCP_EV_CLOSED);
	assert_int_equal(H.log.why[0], TCP_R_CONNECT_TIMEOUT);
	tcp_ctl_poll(H.c);
	assert_int_equal(H.log.n_events, 1); /* reported once */
	h_close();
}

static void
rst_to_syn_is_refused(void **state)
{
	struct pkt syn;

	(void)state;
	h_open(NULL, ISS);
	h_poll();
	assert_true(h_pop(&syn));
	/* RST without ACK in SYN_SENT: ignored. RST|ACK with a wrong ack: ignored. */
	h_inject(0x04, 0, 0, 0, NULL, 0, NULL, 0);
	h_inject(0x14, 0, ISS + 7, 0, NULL, 0, NULL, 0);
	assert_int_equal(H.log.n_events, 0);
	assert_int_equal(tcp_conn_state(H.c), TCP_SYN_SENT);
	h_inject(0x14, 0, ISS + 1, 0, NULL, 0, NULL, 0);
	assert_int_equal(H.log.n_events, 1);
	assert_int_equal(H.log.ev[0], TCP_EV_CLOSED);
	assert_int_equal(H.log.why[0], TCP_R_REFUSED);
	assert_int_equal(tcp_conn_state(H.c), TCP_CLOSED);
	h_poll();
	assert_int_equal(h_pending(), 0);
	assert_true(tcp_conn_tx_released(H.c));
	h_close();
}

static void
stale_tuple_ack_in_syn_sent_gets_rst_then_syn_again(void **state)
{
	struct pkt syn, rst;

	(void)state;
	h_open(NULL, ISS);
	h_poll();
	assert_true(h_pop(&syn));
	/* The peer still holds an old connection on this tuple and answers our SYN with a
	 * challenge ACK for its old sequence space (RFC 5961 §4). */
	h_inject(0x10, 77777, 123456, 1000, NULL, 0, NULL, 0);
	h_poll();
	assert_true(h_pop(&rst));
	assert_int_equal(rst.flags, 0x04);
	assert_int_equal(rst.seq, 123456);
	assert_int_equal(tcp_conn_state(H.c), TCP_SYN_SENT);
	h_advance_ms(1000);
	h_poll();
	assert_true(h_pop(&syn));
	assert_int_equal(syn.flags, 0x02);
	h_inject(0x12, PISN, ISS + 1, 65535, NULL, 0, NULL, 0);
	assert_int_equal(tcp_conn_state(H.c), TCP_ESTABLISHED);
	h_close();
}

/* ---------- sending, windows, retransmission ---------- */

/* After a 1024-byte partial of a 1448-byte write went out and the window opened: the next
 * poll sends exactly the rest (1448 - 1024 bytes at ISS + 1 + 1024), and its ack under
 * window win leaves nothing unacknowledged. */
static void
rest_of_partial_then_drain(uint16_t win)
{
	struct pkt d;

	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, ISS + 1 + 1024);
	assert_int_equal(d.len, 1448 - 1024);
	h_ack(ISS + 1 + 1448, win);
	h_poll();
	assert_int_equal(tcp_tx_unacked(H.c), 0);
}

static void
initial_window_is_ten_segments_then_ack_clocked(void **state)
{
	struct pkt d;
	uint32_t mss = 1448;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	assert_int_equal(h_write(20 * mss, false), 20 * mss);
	assert_int_equal(h_poll(), 10);
	for (uint32_t i = 0; i < 10; i++) {
		assert_true(h_pop(&d));
		assert_int_equal(d.seq, ISS + 1 + i * mss);
		assert_int_equal(d.len, mss);
		assert_int_equal(d.ack, PISN + 1);
		assert_int_equal(d.nb_segs, 1); /* zero copy: headers prepended in place */
	}
	assert_int_equal(h_poll(), 0);
	/* ACK of 2 segments: slow start grows cwnd by the bytes acked: 2 + 2 more go. */
	h_ack(ISS + 1 + 2 * mss, 65535);
	assert_int_equal(h_poll(), 4);
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, ISS + 1 + 10 * mss);
	h_drain();
	assert_int_equal(tcp_tx_unacked(H.c), 18 * mss);
	h_close();
}

static void
slow_start_caps_stretch_acks(void **state)
{
	struct tcp_stats s;
	const uint32_t mss = 1448;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	h_write(10 * mss, false);
	assert_int_equal(h_poll(), 10);
	h_drain();
	/* One ACK covering all ten segments grows cwnd by L = 2 SMSS, not by 10 (RFC 3465). */
	h_ack(ISS + 1 + 10 * mss, 65535);
	h_poll();
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.cwnd, 12 * mss);
	assert_int_equal(s.bytes_acked, 10 * mss);
	h_close();
}

static void
peer_window_limits_sending(void **state)
{
	struct pkt d;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	h_ack(ISS + 1, 23); /* 23 << 7 = 2944 bytes: two 1448-byte segments */
	h_write(5 * 1448, false);
	assert_int_equal(h_poll(), 2);
	h_drain();
	h_ack(ISS + 1 + 2 * 1448, 23);
	assert_int_equal(h_poll(), 2);
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, ISS + 1 + 2 * 1448);
	h_drain();
	h_close();
}

static void
rto_timing_backoff_and_death(void **state)
{
	struct tcp_params p;
	struct pkt d;

	(void)state;
	tcp_params_default(&p);
	p.max_retries = 4;
	h_open(&p, ISS);
	h_establish(true, PISN);
	h_write(100, true);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	/* srtt 100 µs -> RTO is the 200 ms floor, then 400, 800, 1600 ms. */
	uint64_t rto = 200;
	for (int i = 0; i < 4; i++) {
		h_advance_ms(rto - 1);
		assert_int_equal(h_poll(), 0);
		h_advance_ms(1);
		assert_int_equal(h_poll(), 1);
		assert_true(h_pop(&d));
		assert_int_equal(d.seq, ISS + 1);
		assert_int_equal(d.len, 100);
		rto *= 2;
	}
	h_advance_ms(rto);
	h_poll();
	assert_int_equal(h_pending(), 0);
	tcp_ctl_poll(H.c);
	assert_int_equal(H.log.n_events, 2);
	assert_int_equal(H.log.why[1], TCP_R_TIMEOUT);
	{
		struct tcp_stats s;
		tcp_conn_stats(H.c, &s);
		assert_int_equal(s.rto_expiries, 4);
		assert_int_equal(s.retransmits, 4);
	}
	h_close();
}

static void
rtt_sample_sets_rto_and_ack_resets_backoff(void **state)
{
	struct tcp_stats s;
	struct pkt d;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.srtt_us, 100);
	assert_int_equal(s.rto_ms, 200);
	h_write(100, true);
	h_poll();
	h_drain();
	H.now += 300ull * 1000000ull; /* RTO fires at 200 ms: retransmission */
	assert_int_equal(h_poll(), 1);
	h_drain();
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.rto_ms, 400);
	h_ack(ISS + 101, 1000);
	h_poll();
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.srtt_us, 100); /* Karn: no sample from the retransmitted segment */
	assert_int_equal(s.rto_ms, 200);  /* backoff forgotten on new data acked */
	/* A clean 1 s sample moves srtt by 1/8 of the difference. */
	h_write(100, true);
	h_poll();
	assert_true(h_pop(&d));
	h_advance_ms(1000);
	h_ack(ISS + 201, 1000);
	h_poll();
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.srtt_us, (7 * 100 + 1000000) / 8);
	h_close();
}

static void
fast_retransmit_and_newreno_partial_acks(void **state)
{
	struct pkt d;
	struct tcp_stats s;
	struct tcp_params p;
	const uint32_t mss = 1448;

	(void)state;
	tcp_params_default(&p);
	p.beta_pct = 50; /* Reno's halving, as RFC 6582 has it (the default is 70) */
	h_open(&p, ISS);
	h_establish(true, PISN);
	h_write(30 * mss, false);
	assert_int_equal(h_poll(), 10); /* segments 0..9 in flight; 0 and 4 get lost */
	h_drain();
	for (int i = 0; i < 3; i++)
		h_ack(ISS + 1, 65535);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, ISS + 1);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.fast_retransmits, 1);
	assert_int_equal(s.ssthresh, 5 * mss);
	assert_int_equal(s.cwnd, 8 * mss);
	/* More dupacks inflate cwnd: each lets one new segment go once flight allows. */
	for (int i = 0; i < 4; i++)
		h_ack(ISS + 1, 65535);
	h_poll();
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.cwnd, 12 * mss);
	assert_int_equal(h_pending(), 2); /* 12 - 10 in flight */
	h_drain();
	/* Partial ACK up to the second hole (segment 4): retransmit it at once. */
	h_ack(ISS + 1 + 4 * mss, 65535);
	h_poll();
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, ISS + 1 + 4 * mss);
	h_drain();
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.cwnd, 12 * mss - 4 * mss + mss);
	assert_int_equal(s.fast_retransmits, 1);
	/* Full ACK of everything up to recover (segment 10): leave recovery, cwnd <= ssthresh. */
	h_ack(ISS + 1 + 12 * mss, 65535);
	h_poll();
	h_drain();
	tcp_conn_stats(H.c, &s);
	assert_true(s.cwnd <= 5 * mss);
	assert_int_equal(s.retransmits, 2);
	h_close();
}

static void
limited_transmit_and_early_retransmit(void **state)
{
	struct pkt d;
	struct tcp_stats s;
	const uint32_t mss = 1448;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	h_write(12 * mss, false);
	assert_int_equal(h_poll(), 10);
	h_drain();
	/* RFC 3042: the first and second dupack each release one new segment. */
	h_ack(ISS + 1, 65535);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, ISS + 1 + 10 * mss);
	h_ack(ISS + 1, 65535);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, ISS + 1 + 11 * mss);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.fast_retransmits, 0);
	assert_int_equal(s.cwnd, 10 * mss); /* the window itself did not grow */
	h_close();

	/* RFC 5827: two segments in flight, nothing else to send: one dupack is enough. */
	h_open(NULL, ISS);
	h_establish(true, PISN);
	h_write(2 * mss, false);
	assert_int_equal(h_poll(), 2);
	h_drain();
	h_ack(ISS + 1, 65535);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, ISS + 1);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.fast_retransmits, 1);
	h_close();
}

static void
loss_probe_repairs_a_lost_tail_before_the_rto(void **state)
{
	struct pkt d;
	struct tcp_stats s;
	const uint32_t mss = 1448;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN); /* srtt 100 µs: PTO is the 10 ms floor */
	h_write(5 * mss, false);
	assert_int_equal(h_poll(), 5);
	h_drain();
	h_ack(ISS + 1 + 3 * mss, 65535); /* the last two segments are lost */
	h_poll();
	h_advance_ms(9);
	assert_int_equal(h_poll(), 0);
	h_advance_ms(1);
	assert_int_equal(h_poll(), 1);   /* probe: the first unacked segment */
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, ISS + 1 + 3 * mss);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.loss_probes, 1);
	assert_int_equal(s.rto_expiries, 0);
	assert_int_equal(s.ssthresh, 2 * mss); /* recovery entered: half the flight, >= 2 MSS */
	h_advance_ms(50);
	assert_int_equal(h_poll(), 0);   /* one probe per snd_una */
	h_ack(ISS + 1 + 4 * mss, 65535); /* partial ACK: NewReno resends the next hole */
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, ISS + 1 + 4 * mss);
	h_ack(ISS + 1 + 5 * mss, 65535);
	h_poll();
	assert_int_equal(tcp_tx_unacked(H.c), 0);
	h_close();
}

static void
window_closed_on_data_in_flight_never_times_out(void **state)
{
	struct tcp_params p;
	struct tcp_stats s;
	struct pkt d;

	(void)state;
	tcp_params_default(&p);
	p.max_retries = 3;
	h_open(&p, ISS);
	h_establish(true, PISN);
	h_write(4 * 1448, false);
	assert_int_equal(h_poll(), 4);
	h_drain();
	/* The peer acks one segment and closes its window on the other three (it keeps
	 * them, unacked). Silence for 10 ms is not a loss here: no loss probe. */
	h_ack(ISS + 1 + 1448, 0);
	h_poll();
	h_advance_ms(50);
	assert_int_equal(h_poll(), 0);
	/* The RTO takes the unacked data back (go-back-N) but the window admits none of it:
	 * from then on the persist timer probes with one byte; each probe is answered
	 * (window still 0), so the connection lives far beyond max_retries = 3. */
	h_advance_ms(200);
	assert_int_equal(h_poll(), 0);
	for (int i = 0; i < 8; i++) {
		h_advance_ms(60000);
		assert_int_equal(h_poll(), 1);
		assert_true(h_pop(&d));
		assert_int_equal(d.seq, ISS + 1 + 1448);
		assert_int_equal(d.len, 1);
		h_ack(ISS + 1 + 1448, 0);
		tcp_ctl_poll(H.c);
	}
	assert_int_equal(H.log.n_events, 1);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.loss_probes, 0);
	/* A silent peer, on the other hand, is declared dead after max_retries. */
	for (int i = 0; i < 5; i++) {
		h_advance_ms(60000);
		h_poll();
	}
	tcp_ctl_poll(H.c);
	assert_int_equal(H.log.n_events, 2);
	assert_int_equal(H.log.why[1], TCP_R_TIMEOUT);
	h_close();
}

static void
zero_window_persist_probes_one_byte(void **state)
{
	struct pkt d;
	struct tcp_stats s;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	h_ack(ISS + 1, 0); /* window closed */
	h_write(3000, true);
	assert_int_equal(h_poll(), 0);
	/* Persist: first probe after one RTO (200 ms), then 400 ms, 800 ms. */
	uint64_t ival = 200;
	uint8_t probe_byte = 0;
	for (int i = 0; i < 3; i++) {
		h_advance_ms(ival - 1);
		assert_int_equal(h_poll(), 0);
		h_advance_ms(1);
		assert_int_equal(h_poll(), 1);
		assert_true(h_pop(&d));
		assert_int_equal(d.len, 1);
		assert_int_equal(d.seq, ISS + 1);
		if (i > 0)
			assert_int_equal(d.payload[0], probe_byte);
		probe_byte = d.payload[0];
		h_ack(ISS + 1, 0); /* the probe is answered: still zero */
		assert_int_equal(h_poll(), 0);
		ival *= 2;
	}
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.zero_window_probes, 3);
	assert_int_equal(s.zero_windows_in, 4);
	/* Window opens: the data goes, from the first unacked byte. */
	h_ack(ISS + 1, 100);
	assert_int_equal(h_poll(), 3);
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, ISS + 1);
	assert_int_equal(d.len, 1448);
	assert_int_equal(d.payload[0], probe_byte); /* the probe carried the stream's first byte */
	h_drain();
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.retransmits, 0); /* the probe's byte, dropped by the peer, is data now */
	h_close();
}

static void
small_window_sends_the_part_that_fits(void **state)
{
	struct pkt d;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	h_ack(ISS + 1, 8); /* 8 << 7 = 1024 bytes: less than one 1448-byte segment */
	h_write(1448, true);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, ISS + 1);
	assert_int_equal(d.len, 1024);
	assert_int_equal(d.nb_segs, 2); /* header + clone of the part: the segment stays whole */
	assert_int_equal(h_poll(), 0);   /* nothing more until the window moves */
	h_ack(ISS + 1 + 1024, 8);
	rest_of_partial_then_drain(8); /* now the rest fits and goes, not the acked part */
	/* A lost partial is resent by the persist timer. */
	h_write(1448, true);
	h_ack(ISS + 1 + 1448, 4); /* 512 bytes */
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.len, 512);
	h_advance_ms(200);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, ISS + 1 + 1448);
	assert_int_equal(d.len, 512);
	h_close();
}

/* The window opens before the partial is acknowledged: only the rest of the segment goes
 * (the partial's bytes are in flight: sending them again would be a retransmission on a
 * loss-free path), and a zero-window probe's byte, which the peer drops, is not skipped
 * (zero_window_persist_probes_one_byte). */
static void
small_window_partial_then_the_rest(void **state)
{
	struct pkt d;
	struct tcp_stats s;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	h_ack(ISS + 1, 8); /* 1024 bytes */
	h_write(1448, true);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.len, 1024);
	h_ack(ISS + 1, 100); /* a window update: 12800 bytes, the partial not acked yet */
	rest_of_partial_then_drain(100);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.retransmits, 0);
	assert_int_equal(s.bytes_sent, 1448);
	h_close();
}

static void
retransmit_never_rewrites_header_the_nic_holds(void **state)
{
	struct pkt d1, d2;
	struct tcp_stats s;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	H.hold = true; /* the "NIC" keeps every mbuf referenced */
	h_write(1448, false);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d1));
	assert_int_equal(d1.nb_segs, 1);
	uint8_t hdr_before[80];
	memcpy(hdr_before, rte_pktmbuf_mtod(H.held[0], uint8_t *), 80);
	h_advance_ms(200);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d2));
	assert_int_equal(d2.nb_segs, 2); /* fresh header + clone of the payload */
	assert_int_equal(d2.seq, d1.seq);
	assert_memory_equal(d2.payload, d1.payload, 1448);
	assert_memory_equal(rte_pktmbuf_mtod(H.held[0], uint8_t *), hdr_before, 80);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.tx_clones, 1);
	/* Once the NIC lets go, a retransmission reuses the segment in place. */
	for (int i = 0; i < H.n_held; i++)
		rte_pktmbuf_free(H.held[i]);
	H.n_held = 0;
	H.hold = false;
	h_advance_ms(400);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d2));
	assert_int_equal(d2.nb_segs, 1);
	assert_memory_equal(d2.payload, d1.payload, 1448);
	h_close();

	/* A port that cannot send chains gets a copy in one mbuf instead. */
	h_open(NULL, ISS);
	H.io.tx_no_chain = true;
	h_establish(true, PISN);
	H.hold = true;
	h_write(1448, false);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d1));
	h_advance_ms(200);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d2));
	assert_int_equal(d2.nb_segs, 1);
	assert_int_equal(d2.seq, d1.seq);
	assert_int_equal(d2.len, 1448);
	assert_memory_equal(d2.payload, d1.payload, 1448);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.tx_copies, 1);
	assert_int_equal(s.tx_clones, 0);
	h_close();
}

static void
checksum_offload_sets_flags_and_pseudo_header(void **state)
{
	struct pkt d;

	(void)state;
	h_open(NULL, ISS);
	H.io.tx_cksum_offload = true;
	h_establish(true, PISN);
	h_write(500, true);
	h_poll();
	assert_true(h_pop(&d));
	assert_true(d.ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
	assert_true(d.ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
	h_close();
}

static void
device_backpressure_keeps_order(void **state)
{
	struct pkt d;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	h_write(10 * 1448, false);
	H.accept = 3;
	h_poll();
	H.accept = 0;
	h_poll();
	for (uint32_t i = 0; i < 10; i++) {
		assert_true(h_pop(&d));
		assert_int_equal(d.seq, ISS + 1 + i * 1448);
	}
	assert_int_equal(h_pending(), 0);
	h_close();
}

/* ---------- RST, SYN and ACK validation in synchronized states (RFC 5961) ---------- */

static void
rst_exact_resets_inwindow_challenged_outside_ignored(void **state)
{
	struct pkt d;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	h_inject(0x04, PISN + 1 + 10, 0, 0, NULL, 0, NULL, 0);  /* in window, not exact */
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.flags, 0x10);                        /* challenge ACK */
	assert_int_equal(d.ack, PISN + 1);
	h_inject(0x04, PISN + 1 + 10000000, 0, 0, NULL, 0, NULL, 0); /* outside: silently dropped */
	assert_int_equal(h_poll(), 0);
	assert_int_equal(H.log.n_events, 1);
	h_inject(0x02, PISN + 50, 0, 65535, NULL, 0, NULL, 0);  /* SYN: challenge ACK */
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.flags, 0x10);
	assert_int_equal(tcp_conn_state(H.c), TCP_ESTABLISHED);
	h_inject(0x04, PISN + 1, 0, 0, NULL, 0, NULL, 0);       /* exact: reset */
	assert_int_equal(H.log.n_events, 2);
	assert_int_equal(H.log.ev[1], TCP_EV_CLOSED);
	assert_int_equal(H.log.why[1], TCP_R_RESET);
	h_inject(0x04, PISN + 1, 0, 0, NULL, 0, NULL, 0);
	assert_int_equal(H.log.n_events, 2); /* every end reported once */
	h_close();
}

static void
challenge_acks_rate_limited(void **state)
{
	struct tcp_stats s;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	for (int i = 0; i < 25; i++)
		h_inject(0x04, PISN + 100, 0, 0, NULL, 0, NULL, 0);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.challenge_acks, 10);
	h_advance_ms(1000);
	h_inject(0x04, PISN + 100, 0, 0, NULL, 0, NULL, 0);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.challenge_acks, 11);
	h_close();
}

static void
ack_of_unsent_data_is_dropped_and_answered(void **state)
{
	struct pkt d;
	struct tcp_stats s;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	h_write(100, true);
	h_poll();
	h_drain();
	h_ack(ISS + 1 + 5000, 65535); /* acks bytes never sent */
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.snd_una, ISS + 1);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.flags, 0x10);
	assert_int_equal(d.len, 0);
	h_ack(ISS - 20000000, 65535); /* older than snd_una - max window (8 MiB): challenge */
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.challenge_acks, 1);
	assert_int_equal(s.snd_una, ISS + 1);
	h_close();
}

/* ---------- receiving ---------- */

static void
receive_in_order_ooo_and_duplicates(void **state)
{
	uint8_t data[4000];
	struct pkt d;
	struct tcp_stats s;

	(void)state;
	for (int i = 0; i < 4000; i++)
		data[i] = (uint8_t)(i * 13);
	h_open(NULL, ISS);
	h_establish(false, PISN);
	uint32_t r = PISN + 1;
	h_inject(0x18, r, ISS + 1, 65535, NULL, 0, data, 1000);          /* in order */
	assert_int_equal(H.log.data_len, 1000);
	assert_int_equal(h_poll(), 0);                                  /* delayed ACK ... */
	h_advance_ms(2);
	assert_int_equal(h_poll(), 1);                                  /* ... 2 ms later */
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, r + 1000);
	h_inject(0x18, r + 2000, ISS + 1, 65535, NULL, 0, data + 2000, 1000); /* hole */
	h_inject(0x18, r + 3000, ISS + 1, 65535, NULL, 0, data + 3000, 1000);
	assert_int_equal(H.log.data_len, 1000);
	assert_int_equal(h_poll(), 2);                                  /* a dupack each */
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, r + 1000);
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, r + 1000);
	h_inject(0x18, r + 3000, ISS + 1, 65535, NULL, 0, data + 3000, 1000); /* dup of ooo */
	h_inject(0x18, r + 500, ISS + 1, 65535, NULL, 0, data + 500, 1500);   /* overlaps */
	assert_int_equal(H.log.data_len, 4000);
	assert_memory_equal(H.log.data, data, 4000);
	h_inject(0x18, r, ISS + 1, 65535, NULL, 0, data, 1000);         /* old duplicate */
	assert_int_equal(H.log.data_len, 4000);
	h_poll();
	while (h_pop(&d))
		assert_int_equal(d.ack, r + 4000);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.bytes_received, 4000);
	assert_int_equal(s.rcv_nxt, r + 4000);
	assert_true(s.dup_segs_in >= 2);
	h_close();
}

static void
ooo_queue_is_bounded(void **state)
{
	struct tcp_params p;
	uint8_t data[100] = { 0 };
	struct tcp_stats s;

	(void)state;
	tcp_params_default(&p);
	p.ooo_segs = 4;
	h_open(&p, ISS);
	h_establish(false, PISN);
	for (int i = 1; i <= 8; i++)
		h_inject(0x18, PISN + 1 + (uint32_t)i * 100, ISS + 1, 65535, NULL, 0, data, 100);
	tcp_conn_stats(H.c, &s);
	assert_int_equal(s.ooo_drops, 4);
	h_inject(0x18, PISN + 1, ISS + 1, 65535, NULL, 0, data, 100);
	assert_int_equal(H.log.data_len, 500);
	h_close();
}

static void
owner_abort_from_on_data_is_safe(void **state)
{
	uint8_t data[1000];
	struct pkt d;

	(void)state;
	memset(data, 0x5a, sizeof(data));
	h_open(NULL, ISS);
	h_establish(false, PISN);
	/* Three segments wait out of order; the hole is filled; the owner aborts on the
	 * first bytes of the drain: nothing more is delivered and nothing is freed twice. */
	for (uint32_t i = 1; i <= 3; i++)
		h_inject(0x18, PISN + 1 + i * 1000, ISS + 1, 65535, NULL, 0, data, 1000);
	H.abort_after = 1500;
	h_inject(0x18, PISN + 1, ISS + 1, 65535, NULL, 0, data, 1000);
	assert_int_equal(H.log.data_len, 2000);
	assert_int_equal(H.log.n_events, 2);
	assert_int_equal(H.log.why[1], TCP_R_ABORTED);
	h_drain();
	h_poll();
	assert_true(h_pop(&d));
	assert_true(d.flags & 0x04);
	h_close(); /* asserts every mbuf went back to the pool */
}

static void
paws_drops_old_timestamps(void **state)
{
	uint8_t o[12], n, data[100];
	struct pkt d;

	(void)state;
	memset(data, 7, sizeof(data));
	h_open(NULL, ISS);
	h_establish(true, PISN); /* peer TSvals 5000 (SYN-ACK), 6000 (window update) */
	h_poll();
	h_drain();
	n = h_synack_opts(o, 0, -1, true, 5999, 0);
	h_inject(0x18, PISN + 1, ISS + 1, 65535, o, n, data, 100); /* old TSval: dropped */
	assert_int_equal(H.log.data_len, 0);
	assert_int_equal(h_poll(), 1); /* but answered with an ACK */
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, PISN + 1);
	assert_int_equal(d.tsecr, 6000);
	n = h_synack_opts(o, 0, -1, true, 6001, 0);
	h_inject(0x18, PISN + 1, ISS + 1, 65535, o, n, data, 100);
	assert_int_equal(H.log.data_len, 100);
	h_advance_ms(2); /* delayed ACK */
	h_poll();
	assert_true(h_pop(&d));
	assert_int_equal(d.tsecr, 6001);
	h_close();
}

/* ---------- closing ---------- */

static void
active_close_fin_both_ways(void **state)
{
	struct pkt d;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	h_write(100, false);
	assert_int_equal(tcp_tx_close(H.c), 0);
	assert_int_equal(tcp_tx_close(H.c), -EALREADY);
	assert_null(tcp_tx_buf(H.c, &(uint32_t){ 0 }));
	assert_int_equal(h_poll(), 2);
	assert_true(h_pop(&d));
	assert_int_equal(d.len, 100);
	assert_true(h_pop(&d));
	assert_int_equal(d.flags, 0x11);
	assert_int_equal(d.seq, ISS + 101);
	assert_int_equal(tcp_conn_state(H.c), TCP_FIN_WAIT_1);
	h_ack(ISS + 102, 65535);
	assert_int_equal(tcp_conn_state(H.c), TCP_FIN_WAIT_2);
	assert_int_equal(tcp_tx_unacked(H.c), 100 + 1); /* TX has not polled yet */
	h_poll();
	assert_int_equal(tcp_tx_unacked(H.c), 0);
	h_inject(0x11, PISN + 1, ISS + 102, 65535, NULL, 0, NULL, 0);
	assert_int_equal(H.log.n_events, 3);
	assert_int_equal(H.log.ev[1], TCP_EV_PEER_CLOSED);
	assert_int_equal(H.log.ev[2], TCP_EV_CLOSED);
	assert_int_equal(H.log.why[2], TCP_R_NORMAL);
	assert_int_equal(tcp_conn_state(H.c), TCP_TIME_WAIT);
	h_poll();
	assert_true(h_pop(&d));
	assert_int_equal(d.flags, 0x10);
	assert_int_equal(d.ack, PISN + 2);
	/* A retransmitted FIN in TIME_WAIT is ACKed again. */
	h_inject(0x11, PISN + 1, ISS + 102, 65535, NULL, 0, NULL, 0);
	h_poll();
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, PISN + 2);
	h_close();
}

static void
passive_close_and_fin_retransmission(void **state)
{
	struct pkt d;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	h_inject(0x11, PISN + 1, ISS + 1, 65535, NULL, 0, NULL, 0);
	assert_int_equal(H.log.ev[1], TCP_EV_PEER_CLOSED);
	assert_int_equal(tcp_conn_state(H.c), TCP_CLOSE_WAIT);
	H.peer_seq = PISN + 2;
	h_poll();
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, PISN + 2);
	assert_int_equal(tcp_tx_close(H.c), 0);
	h_poll();
	assert_true(h_pop(&d));
	assert_int_equal(d.flags, 0x11);
	assert_int_equal(tcp_conn_state(H.c), TCP_LAST_ACK);
	h_advance_ms(200); /* FIN lost: retransmitted by the RTO */
	h_poll();
	assert_true(h_pop(&d));
	assert_int_equal(d.flags, 0x11);
	h_ack(ISS + 2, 65535);
	assert_int_equal(H.log.n_events, 3);
	assert_int_equal(H.log.why[2], TCP_R_NORMAL);
	h_close();
}

static void
fin_wait2_times_out(void **state)
{
	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	tcp_tx_close(H.c);
	h_poll();
	h_ack(ISS + 2, 65535);
	h_advance_ms(59999);
	tcp_ctl_poll(H.c);
	assert_int_equal(H.log.n_events, 1);
	h_advance_ms(1);
	tcp_ctl_poll(H.c);
	assert_int_equal(H.log.n_events, 2);
	assert_int_equal(H.log.why[1], TCP_R_FIN_TIMEOUT);
	h_drain();
	h_poll();
	struct pkt d;
	assert_true(h_pop(&d));
	assert_true(d.flags & 0x04); /* RST tells the peer */
	h_close();
}

static void
abort_sends_rst_and_reports(void **state)
{
	struct pkt d;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	h_write(3000, true);
	assert_int_equal(tcp_conn_abort(H.c), 0);
	assert_int_equal(tcp_conn_abort(H.c), -EALREADY);
	assert_int_equal(H.log.why[1], TCP_R_ABORTED);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.flags, 0x14);
	assert_null(tcp_tx_buf(H.c, &(uint32_t){ 0 }));
	h_close();
}

/* ---------- sequence wrap-around ---------- */

static void
transfer_across_sequence_wrap(void **state)
{
	const uint32_t iss = 0xffffffffu - 5000, pisn = 0xffffffffu - 700;
	uint8_t data[1400];
	struct pkt d;
	uint32_t acked;

	(void)state;
	for (int i = 0; i < 1400; i++)
		data[i] = (uint8_t)i;
	h_open(NULL, iss);
	h_establish(true, pisn);
	h_write(20 * 1448, false);
	acked = iss + 1;
	for (int round = 0; round < 6 && tcp_tx_unacked(H.c) > 0; round++) {
		h_poll();
		while (h_pop(&d))
			if (SEQ_GT(d.seq + d.len, acked))
				acked = d.seq + d.len;
		h_ack(acked, 65535);
	}
	h_poll();
	assert_int_equal(tcp_tx_unacked(H.c), 0);
	assert_true(acked < iss); /* wrapped */
	h_inject(0x18, pisn + 1, acked, 65535, NULL, 0, data, 1400); /* peer wraps too */
	assert_int_equal(H.log.data_len, 1400);
	assert_memory_equal(H.log.data, data, 1400);
	h_advance_ms(2); /* delayed ACK */
	h_poll();
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, pisn + 1 + 1400);
	assert_true(d.ack < pisn);
	h_close();
}

static void
malformed_frames_counted_not_crashing(void **state)
{
	struct rte_mbuf *m;

	(void)state;
	h_open(NULL, ISS);
	h_establish(true, PISN);
	m = rte_pktmbuf_alloc(test_pool);
	rte_pktmbuf_append(m, 20);
	memset(rte_pktmbuf_mtod(m, void *), 0, 20);
	assert_int_equal(tcp_input(H.st, m), -EBADMSG);
	/* A good segment with a corrupted checksum. */
	m = rte_pktmbuf_alloc(test_pool);
	{
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, 54);
		memset(p, 0, 54);
		p[12] = 0x08; p[14] = 0x45; p[17] = 40; p[22] = 64; p[23] = 6;
		p[14 + 12 + 0] = 198; p[14 + 12 + 1] = 18; p[14 + 12 + 3] = 1;
		p[14 + 32] = 0x50;
		p[14 + 36] = 0xde; /* bogus checksum */
	}
	assert_int_equal(tcp_input(H.st, m), -EBADMSG);
	assert_int_equal(atomic_load(&H.st->st_malformed), 2);
	h_close();
}

static uint32_t
xorshift(uint32_t *st)
{
	uint32_t x = *st;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *st = x;
}

/* Hostile peer: 20,000 segments with random flags, sequence numbers near and far from the
 * window, random ACKs, windows, option bytes (malformed lengths included) and payloads,
 * interleaved with TX polls and time steps. Nothing may crash, leak (h_close checks the
 * pool) or deliver bytes out of order. */
static void
random_segments_never_crash(void **state)
{
	uint8_t opts[40], payload[1400];
	uint32_t rng = 12345;

	(void)state;
	for (int round = 0; round < 4; round++) {
		uint32_t delivered_before;
		h_open(NULL, ISS + (uint32_t)round * 0x40000000u);
		h_establish(round & 1, PISN);
		h_write(20 * 1448, false);
		uint32_t trimmed = 0; /* bytes dropped from the front of the log */
		for (int i = 0; i < 5000; i++) {
			uint32_t r = xorshift(&rng), seq;
			/* mostly ACK(+PSH) segments; one in 64 with random flags (SYN/RST/FIN...) */
			uint8_t flags = (r >> 20) % 64 == 0 ? (uint8_t)(xorshift(&rng) & 0x3f)
							    : (uint8_t)(0x10 | (xorshift(&rng) & 0x08));
			if ((flags & 0x04) && (r >> 26) % 16 != 0)
				flags &= (uint8_t)~0x04; /* RSTs rarer still: let the connection live */
			uint8_t optlen = (uint8_t)((r & 7) * 4 > 40 ? 40 : (r & 7) * 4);
			uint32_t len = (r >> 8) % 5 == 0 ? xorshift(&rng) % 1400 : 0;
			for (int k = 0; k < optlen; k++)
				opts[k] = (uint8_t)xorshift(&rng);
			switch ((r >> 3) & 3) {
			case 0: seq = H.peer_seq; break;                          /* in order */
			case 1: seq = xorshift(&rng); break;                      /* anywhere */
			default: seq = H.peer_seq + (xorshift(&rng) % 6000) - 1000; /* near */
			}
			for (uint32_t k = 0; k < len; k++)
				payload[k] = (uint8_t)(seq + k); /* each byte names its sequence number */
			delivered_before = H.log.data_len;
			h_inject(flags, seq, H.c->iss + (xorshift(&rng) % 40000), (uint16_t)xorshift(&rng),
				 opts, optlen, payload, len);
			for (uint32_t k = delivered_before; k < H.log.data_len; k++)
				assert_int_equal(H.log.data[k], (uint8_t)(PISN + 1 + trimmed + k));
			if (H.log.data_len > sizeof(H.log.data) - 4096) {
				trimmed += H.log.data_len; /* keep the log bounded */
				H.log.data_len = 0;
			}
			H.peer_seq = PISN + 1 + trimmed + H.log.data_len;
			if ((r & 3) == 0)
				h_poll();
			h_drain();
			H.now += (xorshift(&rng) % 50) * 1000000ull;
			tcp_ctl_poll(H.c);
		}
		{
			struct tcp_stats st;
			tcp_conn_stats(H.c, &st);
			print_message("round %d: %s (%s) after %u bytes in, segs_in %lu\n", round,
				      tcp_state_str(st.state), tcp_reason_str(st.reason),
				      trimmed + H.log.data_len, (unsigned long)st.segs_in);
		}
		h_close();
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seq_macros_wrap),
		cmocka_unit_test(siphash_reference_vector),
		cmocka_unit_test(isn_keyed_and_clocked),
		cmocka_unit_test(ports_never_reuse_tuple_within_60s),
		cmocka_unit_test(params_checked),
		cmocka_unit_test(handshake_option_matrix),
		cmocka_unit_test(syn_retransmit_backoff_then_timeout),
		cmocka_unit_test(rst_to_syn_is_refused),
		cmocka_unit_test(stale_tuple_ack_in_syn_sent_gets_rst_then_syn_again),
		cmocka_unit_test(initial_window_is_ten_segments_then_ack_clocked),
		cmocka_unit_test(slow_start_caps_stretch_acks),
		cmocka_unit_test(peer_window_limits_sending),
		cmocka_unit_test(rto_timing_backoff_and_death),
		cmocka_unit_test(rtt_sample_sets_rto_and_ack_resets_backoff),
		cmocka_unit_test(fast_retransmit_and_newreno_partial_acks),
		cmocka_unit_test(limited_transmit_and_early_retransmit),
		cmocka_unit_test(loss_probe_repairs_a_lost_tail_before_the_rto),
		cmocka_unit_test(window_closed_on_data_in_flight_never_times_out),
		cmocka_unit_test(zero_window_persist_probes_one_byte),
		cmocka_unit_test(small_window_sends_the_part_that_fits),
		cmocka_unit_test(small_window_partial_then_the_rest),
		cmocka_unit_test(retransmit_never_rewrites_header_the_nic_holds),
		cmocka_unit_test(checksum_offload_sets_flags_and_pseudo_header),
		cmocka_unit_test(device_backpressure_keeps_order),
		cmocka_unit_test(rst_exact_resets_inwindow_challenged_outside_ignored),
		cmocka_unit_test(challenge_acks_rate_limited),
		cmocka_unit_test(ack_of_unsent_data_is_dropped_and_answered),
		cmocka_unit_test(receive_in_order_ooo_and_duplicates),
		cmocka_unit_test(ooo_queue_is_bounded),
		cmocka_unit_test(owner_abort_from_on_data_is_safe),
		cmocka_unit_test(paws_drops_old_timestamps),
		cmocka_unit_test(active_close_fin_both_ways),
		cmocka_unit_test(passive_close_and_fin_retransmission),
		cmocka_unit_test(fin_wait2_times_out),
		cmocka_unit_test(abort_sends_rst_and_reports),
		cmocka_unit_test(transfer_across_sequence_wrap),
		cmocka_unit_test(malformed_frames_counted_not_crashing),
		cmocka_unit_test(random_segments_never_crash),
		cmocka_unit_test(tso_packet_carries_offload_fields),
		cmocka_unit_test(tso_not_used_unless_offered),
		cmocka_unit_test(tso_bounded_by_port_and_peer_window),
		cmocka_unit_test(tso_transfer_clean),
		cmocka_unit_test(tso_loss_inside_packet_fast_retransmit),
		cmocka_unit_test(tso_blackout_rto_recovers),
		cmocka_unit_test(tso_partial_ack_trims_resend),
		cmocka_unit_test(tso_retransmit_while_nic_holds_packet),
		cmocka_unit_test(sack_negotiation_matrix),
		cmocka_unit_test(sack_scoreboard_resends_only_holes),
		cmocka_unit_test(sack_transfer_loss_dup_reorder),
		cmocka_unit_test(sack_blocks_outside_flight_ignored),
		cmocka_unit_test(rack_reordering_window),
		cmocka_unit_test(tlp_probes_tail_then_rack_repairs),
		cmocka_unit_test(tlp_sends_new_data_when_it_can),
		cmocka_unit_test(tlp_resent_probe_waits_for_a_loss),
		cmocka_unit_test(tlp_floor_adapts_to_needless_probes),
		cmocka_unit_test(dsack_undoes_spurious_retransmission),
		cmocka_unit_test(eifel_undoes_spurious_rto),
		cmocka_unit_test(rto_held_until_control_polls),
		cmocka_unit_test(delayed_ack_timing),
		cmocka_unit_test(pacing_intervals),
		cmocka_unit_test(receiver_sends_sack_blocks),
		cmocka_unit_test(rack_window_widens_on_dsack_of_rtx),
		cmocka_unit_test(receiver_holds_a_window_out_of_order),
		cmocka_unit_test(receiver_sack_blocks_with_many_holes),
		cmocka_unit_test(data_segments_carry_sack_blocks),
	};
	int rc;

	if (harness_eal_init() != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	rc = cmocka_run_group_tests_name("tcp", tests, NULL, NULL);
	if (H.q != NULL)
		free(H.q);
	rte_mempool_free(test_pool);
	rte_eal_cleanup();
	return rc;
}
