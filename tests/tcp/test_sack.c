/* SACK, RACK-TLP, undo, delayed-ACK and pacing tests of lib/tcp over the fake device
 * (packetdrill style: inject the peer's segments, assert what leaves and when). Segment k of
 * a test's stream starts at S(k); the virtual clock moves only when a test moves it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "test_sack.h"

#define ISS  3000000u
#define PISN 8000000u
#define MSS  1448u /* 1460 - 12 bytes of timestamps */

static uint32_t iss_g = ISS;
#define S(k) (iss_g + 1u + (uint32_t)(k) * MSS)

static struct tcp_stats
st(void)
{
	struct tcp_stats s;

	tcp_conn_stats(H.c, &s);
	return s;
}

static void
adv_us(uint64_t us)
{
	H.now += us * 1000ull;
}

/* Opens a SACK connection (timestamps on) at iss and sends n full segments (IW10 lets at
 * most 10 go); returns how many left. Resent tail loss probes start with a 40 ms floor
 * (tlp_floor_ms), as if the path had shown loss (tlp_resent_probe_waits_for_a_loss tests
 * the default). */
static int
open_and_send(uint32_t iss, uint32_t nsegs, int expect)
{
	struct tcp_params p;
	struct pkt d;
	int got = 0;

	iss_g = iss;
	tcp_params_default(&p);
	p.tlp_floor_ms = 40; /* resent probes from the start (the default waits for a loss) */
	h_open(&p, iss);
	h_establish_sack(true, true, PISN);
	assert_true(st().sack_ok);
	assert_int_equal(h_write(nsegs * MSS, false), nsegs * MSS);
	h_poll();
	while (h_pop(&d)) {
		assert_int_equal(d.seq, S(got));
		assert_int_equal(d.len, MSS);
		got++;
	}
	assert_int_equal(got, expect);
	return got;
}

/* Pops everything sent; records the sequence numbers; returns the count. */
static int
pop_all(uint32_t *seqs, int max)
{
	struct pkt d;
	int n = 0;

	while (h_pop(&d)) {
		if (n < max)
			seqs[n] = d.seq;
		n++;
	}
	return n;
}

/* ---------- negotiation ---------- */

void
sack_negotiation_matrix(void **state)
{
	(void)state;
	for (int combo = 0; combo < 8; combo++) {
		bool offer = combo & 1, peer = combo & 2, ts = combo & 4, ok = offer && peer;
		struct tcp_params p;
		struct pkt syn, ack;
		uint8_t o[40], n;
		uint32_t seqs[8], mss = ts ? 1448 : 1460;
		uint32_t blk[2];

		tcp_params_default(&p);
		p.offer_sack = offer;
		p.offer_ts = ts;
		iss_g = ISS;
		h_open(&p, ISS);
		assert_int_equal(h_poll(), 1);
		assert_true(h_pop(&syn));
		assert_int_equal(syn.has_sack_perm, offer);
		assert_int_equal(syn.has_ts, ts);
		assert_true(syn.has_mss && syn.has_ws);
		n = h_synack_opts_sack(o, 1460, 7, ts, 5000, syn.tsval, peer);
		H.peer_seq = PISN + 1;
		assert_int_equal(h_inject(0x12, PISN, ISS + 1, 65535, o, n, NULL, 0), 0);
		assert_int_equal(h_poll(), 1);
		assert_true(h_pop(&ack));
		assert_int_equal(st().sack_ok, ok);
		h_ack(ISS + 1, 65535);
		h_write(6 * mss, false);
		assert_int_equal(h_poll(), 6);
		h_drain();
		adv_us(100);
		/* The peer lacks the first segment and SACKs the other five: only a SACK
		 * sender acts on it (RACK: five delivered segments sent after the first). */
		blk[0] = ISS + 1 + mss;
		blk[1] = ISS + 1 + 6 * mss;
		h_ack_sack(ISS + 1, 65535, syn.tsval, 1, blk);
		assert_int_equal(st().sack_blocks_in, ok ? 1 : 0);
		h_poll();
		if (ok) {
			assert_int_equal(pop_all(seqs, 8), 1);
			assert_int_equal(seqs[0], ISS + 1);
			assert_int_equal(st().retransmits, 1);
			assert_int_equal(st().rtx_fast, 1);
		} else {
			assert_int_equal(pop_all(seqs, 8), 0);
			assert_int_equal(st().retransmits, 0);
		}
		h_close();
	}
}

/* ---------- a SACK receiver model ---------- */

/* The peer, segment-granular (every test segment is one MSS): which segments it holds,
 * and the ACK it answers each arrival with: cumulative ACK, then a DSACK block when the
 * arrival was a duplicate (RFC 2883), then the block holding the arrival, then the other
 * blocks highest first (RFC 2018 §4), at most 3 with timestamps. */
#define PM_MAX 4096
struct pmodel {
	uint32_t nseg;
	uint32_t cum;               /* first segment it lacks */
	uint8_t have[PM_MAX];
	uint16_t arrivals[PM_MAX];
};
static struct pmodel PM;

struct pack {
	uint32_t ack, tsecr;
	int n;
	uint32_t blk[6];
};

static void
pm_block_of(uint32_t k, uint32_t *b)
{
	uint32_t lo = k, hi = k + 1;

	while (lo > PM.cum && PM.have[lo - 1])
		lo--;
	while (hi < PM.nseg && PM.have[hi])
		hi++;
	b[0] = S(lo);
	b[1] = S(hi);
}

/* A data segment arrives at the peer: returns the ACK it sends. */
static struct pack
pm_arrive(const struct pkt *d)
{
	uint32_t k = (d->seq - S(0)) / MSS;
	struct pack a = { 0 };
	bool dup;

	assert_true(d->len == MSS && (d->seq - S(0)) % MSS == 0 && k < PM.nseg);
	dup = PM.have[k] != 0;
	PM.have[k] = 1;
	PM.arrivals[k]++;
	while (PM.cum < PM.nseg && PM.have[PM.cum])
		PM.cum++;
	a.ack = S(PM.cum);
	a.tsecr = d->tsval;
	if (dup) {
		a.blk[0] = S(k);
		a.blk[1] = S(k + 1);
		a.n = 1;
	} else if (k > PM.cum) {
		pm_block_of(k, a.blk);
		a.n = 1;
	}
	for (uint32_t i = PM.nseg; i-- > PM.cum + 1 && a.n < 3;) {
		uint32_t b[2];
		bool known = false;
		if (!PM.have[i] || (i + 1 < PM.nseg && PM.have[i + 1]))
			continue; /* not the top of a block */
		pm_block_of(i, b);
		for (int j = 0; j < a.n; j++)
			known |= a.blk[2 * j] == b[0];
		if (known)
			continue;
		a.blk[2 * a.n] = b[0];
		a.blk[2 * a.n + 1] = b[1];
		a.n++;
	}
	return a;
}

static void
pm_reset(uint32_t nseg)
{
	memset(&PM, 0, sizeof(PM));
	assert_true(nseg <= PM_MAX);
	PM.nseg = nseg;
}

static void
pm_send_ack(const struct pack *a)
{
	h_ack_sack(a->ack, 65535, a->tsecr, a->n, a->blk);
}

/* ---------- scoreboard and RACK ---------- */

static void
scoreboard_case(uint32_t iss)
{
	uint32_t seqs[64], blk[2], snd_max;
	struct pack acks[256];
	int na;
	struct tcp_stats s;
	struct pkt d;

	iss_g = iss;
	pm_reset(40);
	h_open(NULL, iss);
	h_establish_sack(true, true, PISN);
	h_write(40 * MSS, false);
	h_poll();
	na = 0;
	while (h_pop(&d)) { /* segments 2 and 5 are lost */
		uint32_t k = (d.seq - S(0)) / MSS;
		if (k == 2 || k == 5)
			continue;
		acks[na++] = pm_arrive(&d);
	}
	snd_max = S(10);
	adv_us(100);
	/* The ACKs of 0, 1, 3 and 4: the peer holds two segments above the hole. */
	for (int i = 0; i < 4; i++)
		pm_send_ack(&acks[i]);
	assert_int_equal(st().sack_blocks_in, 2);
	h_poll();
	/* Two SACKed segments, no reordering seen, not in recovery: RACK allows min_rtt/4
	 * (25 us) of reordering: no retransmission yet, only new data (slow start), which
	 * arrives. */
	while (h_pop(&d)) {
		assert_true(SEQ_GEQ(d.seq, snd_max));
		snd_max = d.seq + MSS;
		acks[na++] = pm_arrive(&d);
	}
	assert_int_equal(st().retransmits, 0);
	adv_us(10);
	h_poll();
	assert_int_equal(pop_all(seqs, 64), 0); /* the reordering timer has not expired */
	adv_us(20);
	h_poll();
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, S(2));          /* exactly the hole */
	assert_false(h_pop(&d));
	s = st();
	assert_int_equal(s.retransmits, 1);
	assert_int_equal(s.rack_losses, 1);
	assert_int_equal(s.fast_retransmits, 1);
	/* That retransmission is lost too (popped, not delivered). Then the ACKs of 6-9 and
	 * of everything after arrive, one poll later each. */
	for (int i = 4; i < na; i++)
		acks[i - 4] = acks[i];
	na -= 4;
	for (int round = 0; round < 400 && PM.cum < PM.nseg; round++) {
		adv_us(50);
		for (int i = 0; i < na; i++)
			pm_send_ack(&acks[i]);
		na = 0;
		h_poll();
		while (h_pop(&d)) {
			assert_true(na < 256);
			acks[na++] = pm_arrive(&d);
		}
	}
	for (int i = 0; i < na; i++)
		pm_send_ack(&acks[i]);
	h_poll();
	assert_int_equal(PM.cum, PM.nseg);
	assert_int_equal(tcp_tx_unacked(H.c), 0);
	s = st();
	/* Sent again: 2 (twice: its first retransmission was lost, RACK saw later ones
	 * delivered) and 5, nothing else. */
	assert_int_equal(PM.arrivals[2], 1);
	assert_int_equal(PM.arrivals[5], 1);
	for (uint32_t k = 0; k < PM.nseg; k++)
		if (k != 2 && k != 5)
			assert_int_equal(PM.arrivals[k], 1);
	assert_int_equal(s.retransmits, 3);
	assert_int_equal(s.rack_losses, 3);
	assert_int_equal(s.rto_expiries, 0);
	assert_int_equal(s.spurious_undos, 0);
	(void)blk;
	h_close();
}

void
sack_scoreboard_resends_only_holes(void **state)
{
	(void)state;
	scoreboard_case(ISS);
	scoreboard_case(0xffffffffu - 3u * MSS); /* the holes straddle the sequence wrap */
}

/* A long transfer through a lossy, duplicating, reordering path (both directions): every
 * segment arrives, and nothing is resent that the scoreboard knew had arrived. */
void
sack_transfer_loss_dup_reorder(void **state)
{
	const uint32_t nseg = 3000;
	uint64_t rng = 12345;
	struct pack acks[512];
	uint32_t written = 0, drops = 0, dups = 0, reorders = 0;
	struct pkt d, held;
	bool have_held = false;
	struct tcp_stats s;
	int na = 0;

	(void)state;
	iss_g = 0xffffffffu - 700u * MSS; /* wraps mid-transfer */
	pm_reset(nseg);
	h_open(NULL, iss_g);
	h_establish_sack(true, true, PISN);
	for (int round = 0; round < 200000 && PM.cum < nseg; round++) {
#define RND() (rng = rng * 6364136223846793005ull + 1442695040888963407ull, (uint32_t)(rng >> 33) % 1000u)
		adv_us(20);
		for (int i = 0; i < na; i++)
			if (RND() >= 10) /* 1 % of ACKs lost */
				pm_send_ack(&acks[i]);
		na = 0;
		if (written < nseg * MSS)
			written += h_write(nseg * MSS - written, false);
		h_poll();
		while (h_pop(&d)) {
			uint32_t r = RND();
			if (r < 10) { /* 1 % lost */
				drops++;
				continue;
			}
			if (r < 20 && !have_held) { /* 1 % overtaken by the next one */
				held = d;
				have_held = true;
				reorders++;
				continue;
			}
			if (na < 500)
				acks[na++] = pm_arrive(&d);
			if (r < 30 && na < 500) { /* 1 % duplicated */
				acks[na++] = pm_arrive(&d);
				dups++;
			}
			if (have_held && na < 500) {
				acks[na++] = pm_arrive(&held);
				have_held = false;
			}
		}
		if (have_held && na == 0) { /* nothing to overtake it: release */
			acks[na++] = pm_arrive(&held);
			have_held = false;
		}
	}
	for (int i = 0; i < na; i++)
		pm_send_ack(&acks[i]);
	h_poll();
	s = st();
	print_message("drops %u dups %u reorders %u: retransmits %lu (rto %lu fast %lu tlp %lu) "
		      "rack_losses %lu undos %lu dsacks %lu rto_expiries %lu\n",
		      drops, dups, reorders, (unsigned long)s.retransmits, (unsigned long)s.rtx_rto,
		      (unsigned long)s.rtx_fast, (unsigned long)s.rtx_tlp,
		      (unsigned long)s.rack_losses, (unsigned long)s.spurious_undos,
		      (unsigned long)s.dsacks_in, (unsigned long)s.rto_expiries);
	assert_int_equal(PM.cum, nseg);
	assert_int_equal(tcp_tx_unacked(H.c), 0);
	assert_true(s.dsacks_in > 0);
	/* Each resend repairs a loss (of a segment or of an earlier resend) or answers a
	 * reordering the window did not cover yet: never more than those events. */
	assert_true(s.retransmits <= (uint64_t)drops + reorders);
	h_close();
}

void
sack_blocks_outside_flight_ignored(void **state)
{
	uint32_t blk[4], seqs[16];

	(void)state;
	open_and_send(ISS, 10, 10);
	adv_us(100);
	/* A block beyond snd_max and an inverted one mark nothing. */
	blk[0] = S(11);
	blk[1] = S(14);
	blk[2] = S(5);
	blk[3] = S(3);
	h_ack_sack(S(0), 65535, 0, 2, blk);
	adv_us(1000);
	h_poll();
	assert_int_equal(pop_all(seqs, 16), 0);
	assert_int_equal(st().retransmits, 0);
	assert_int_equal(st().sack_blocks_in, 2);
	h_close();
}

static void
rack_reordering_window_case(uint32_t iss)
{
	uint32_t blk[2], seqs[32];
	int n;

	open_and_send(iss, 30, 10);
	adv_us(100);
	/* Segment 0 arrives after segment 1 (reordered, never resent): RACK learns. */
	blk[0] = S(1);
	blk[1] = S(2);
	h_ack_sack(S(0), 65535, 0, 1, blk);
	h_poll();
	h_drain();
	h_ack_sack(S(2), 65535, 0, 0, NULL);
	h_poll();
	h_drain();
	assert_int_equal(st().retransmits, 0);
	adv_us(100);
	/* Now a hole at 2 under five SACKed segments: with reordering seen, RACK waits
	 * reo_wnd = min_rtt/4 (min RTT 100 us) before calling it lost. */
	blk[0] = S(3);
	blk[1] = S(8);
	h_ack_sack(S(2), 65535, 0, 1, blk);
	h_poll();
	n = pop_all(seqs, 32);
	for (int i = 0; i < n; i++)
		assert_true(SEQ_GEQ(seqs[i], S(10))); /* new data only */
	adv_us(20);
	h_poll();
	assert_int_equal(pop_all(seqs, 32), 0);
	adv_us(10);
	h_poll();
	n = pop_all(seqs, 32);
	assert_true(n >= 1);
	assert_int_equal(seqs[0], S(2));
	assert_int_equal(st().retransmits, 1);
	h_close();
}

void
rack_reordering_window(void **state)
{
	(void)state;
	rack_reordering_window_case(ISS);
	rack_reordering_window_case(0xffffffffu - 4u * MSS); /* across the sequence wrap */
}

/* RFC 8985 §6.2 step 4: a DSACK of a retransmission (the original was only late) shows
 * reordering and doubles RACK's reordering window (min_rtt/4 x 2 = 50 us here); a DSACK
 * of a segment sent once (a copy the network made) shows nothing: no window (three
 * segments SACKed, no reordering seen). Each half: a first loss episode and its DSACK,
 * then a hole under three SACKed segments, resent after RACK's RTT + the window. */
static void
rack_window_widens_on_dsack_of_rtx_case(uint32_t iss, bool of_rtx)
{
	uint32_t blk[4], seqs[32];
	int n;

	open_and_send(iss, 10, 10); /* segments 0..9 at t = 0 */
	adv_us(100);
	h_ack_sack(S(1), 65535, 0, 0, NULL); /* RTT 100 us */
	h_poll();
	h_drain();
	/* Segment 1 late under 2..5 SACKed (no reordering seen yet: no window): resent. */
	blk[0] = S(2);
	blk[1] = S(6);
	h_ack_sack(S(1), 65535, 0, 1, blk);
	h_poll();
	n = pop_all(seqs, 32);
	assert_true(n >= 1);
	assert_int_equal(seqs[0], S(1));
	assert_int_equal(st().retransmits, 1);
	adv_us(10);
	/* Everything arrives; the DSACK names our retransmission of 1 (the original was
	 * late: reordering) or segment 7, never resent (a network duplicate). */
	blk[0] = of_rtx ? S(1) : S(7);
	blk[1] = of_rtx ? S(2) : S(8);
	h_ack_sack(S(10), 65535, 0, 1, blk);
	h_poll();
	h_drain();
	assert_int_equal(st().dsacks_in, 1);
	/* More segments at t = 110 us (all ten after the undo, at least four after a real
	 * reduction); at 210 us a hole at 10 under 11..13 SACKed (DupThresh). */
	assert_int_equal(h_write(10 * MSS, false), 10 * MSS);
	h_poll();
	n = pop_all(seqs, 32);
	assert_int_equal(n >= 4, true);
	assert_int_equal(n == 10, of_rtx);
	adv_us(100);
	blk[0] = S(11);
	blk[1] = S(14);
	h_ack_sack(S(10), 65535, 0, 1, blk);
	h_poll();
	n = pop_all(seqs, 32);
	if (of_rtx) {
		/* Reordering seen, window doubled: 50 us after RACK's RTT. */
		assert_int_equal(n, 0);
		adv_us(45);
		h_poll();
		assert_int_equal(pop_all(seqs, 32), 0); /* inside the reordering window */
		adv_us(5);
		h_poll();
		n = pop_all(seqs, 32);
	}
	/* Else no reordering seen (the late original was resent, the DSACK named a network
	 * copy), three segments SACKed: no window at all, resent at once. */
	assert_true(n >= 1);
	assert_int_equal(seqs[0], S(10));
	assert_int_equal(st().retransmits, 2);
	h_close();
}

void
rack_window_widens_on_dsack_of_rtx(void **state)
{
	(void)state;
	rack_window_widens_on_dsack_of_rtx_case(ISS, true);
	rack_window_widens_on_dsack_of_rtx_case(ISS, false);
	rack_window_widens_on_dsack_of_rtx_case(0xffffffffu - 4u * MSS, true); /* the wrap */
	rack_window_widens_on_dsack_of_rtx_case(0xffffffffu - 4u * MSS, false);
}

/* ---------- TLP ---------- */

static void
tlp_probes_tail_then_rack_repairs_case(uint32_t iss)
{
	uint32_t blk[2], seqs[32];
	struct tcp_stats s0, s;
	int n;

	open_and_send(iss, 10, 10);
	adv_us(100);
	h_ack_sack(S(5), 65535, 0, 0, NULL); /* 5-9 are lost: a tail */
	h_poll();
	h_drain();
	s0 = st();
	/* PTO = max(2 SRTT, floor) after the last progress; the floor starts at 40 ms. */
	h_advance_ms(39);
	h_poll();
	assert_int_equal(pop_all(seqs, 32), 0);
	h_advance_ms(1);
	h_poll();
	n = pop_all(seqs, 32);
	assert_int_equal(n, 1);
	assert_int_equal(seqs[0], S(9)); /* nothing new to send: the last segment again */
	s = st();
	assert_int_equal(s.loss_probes, 1);
	assert_int_equal(s.rtx_tlp, 1);
	assert_int_equal(s.cwnd, s0.cwnd); /* a probe does not reduce cwnd */
	assert_int_equal(s.rto_expiries, 0);
	/* The probe arrives and is SACKed: RACK marks 5-8 lost (sent before it). */
	adv_us(100);
	blk[0] = S(9);
	blk[1] = S(10);
	h_ack_sack(S(5), 65535, 0, 1, blk);
	h_poll();
	n = pop_all(seqs, 32);
	assert_true(n >= 1);
	assert_int_equal(seqs[0], S(5));
	assert_int_equal(st().rack_losses, 4);
	for (uint32_t k = 6; k <= 9; k++) {
		adv_us(100);
		h_ack_sack(S(k), 65535, 0, 1, blk);
		h_poll();
		h_drain();
	}
	h_ack_sack(S(10), 65535, 0, 0, NULL);
	h_poll();
	s = st();
	assert_int_equal(s.rto_expiries, 0);
	assert_int_equal(s.retransmits, 5);  /* the probe and the four holes, once each */
	assert_int_equal(tcp_tx_unacked(H.c), 0);
	/* The probe found a real loss: the next resent one comes after 20 ms, not 40 (two
	 * segments, both inside cwnd = ssthresh = 2.5 MSS: nothing new is left to probe with). */
	h_write(2 * MSS, false);
	h_poll();
	h_drain();
	h_advance_ms(19);
	h_poll();
	assert_int_equal(pop_all(seqs, 32), 0);
	h_advance_ms(1);
	h_poll();
	assert_int_equal(pop_all(seqs, 32), 1);
	h_close();
}

void
tlp_probes_tail_then_rack_repairs(void **state)
{
	(void)state;
	tlp_probes_tail_then_rack_repairs_case(ISS);
	tlp_probes_tail_then_rack_repairs_case(0xffffffffu - 4u * MSS); /* across the sequence wrap */
}

/* Defaults: on a path that has lost nothing a resent probe never races the RTO (a busy
 * peer's delayed ACK is no loss); a real loss halves the floor to 100 ms. */
void
tlp_resent_probe_waits_for_a_loss(void **state)
{
	uint32_t blk[2], seqs[32];
	struct tcp_params p;
	struct pkt d;

	(void)state;
	iss_g = ISS;
	h_open(NULL, ISS);
	h_establish_sack(true, true, PISN);
	h_write(10 * MSS, false);
	h_poll();
	h_drain();
	adv_us(100);
	h_ack_sack(S(5), 65535, 0, 0, NULL); /* 5-9 outstanding, nothing new to send */
	h_poll();
	h_drain();
	h_advance_ms(199);
	h_poll();
	assert_int_equal(pop_all(seqs, 32), 0); /* no probe at 40 or 100 ms */
	h_advance_ms(1);
	h_poll();
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, S(5)); /* the RTO */
	assert_int_equal(st().loss_probes, 0);
	assert_int_equal(st().rto_expiries, 1);
	h_close();

	/* A loss RACK finds (segment 0, 1-9 SACKed): the floor halves to 100 ms; with
	 * [tcp] beta = 70 (the default) ssthresh keeps 70 % of the flight. */
	tcp_params_default(&p);
	p.beta_pct = 70;
	h_open(&p, ISS);
	h_establish_sack(true, true, PISN);
	h_write(10 * MSS, false);
	h_poll();
	h_drain();
	adv_us(100);
	blk[0] = S(1);
	blk[1] = S(10);
	h_ack_sack(S(0), 65535, 0, 1, blk);
	h_poll();
	assert_int_equal(pop_all(seqs, 32), 1);
	assert_int_equal(seqs[0], S(0));
	assert_int_equal(st().ssthresh, 7 * MSS);
	adv_us(100);
	h_ack_sack(S(10), 65535, 0, 0, NULL);
	h_poll();
	h_drain();
	h_write(5 * MSS, false); /* inside cwnd (7 MSS): nothing left to probe with */
	assert_int_equal(h_poll(), 5);
	h_drain();
	adv_us(100);
	h_ack_sack(S(12), 65535, 0, 0, NULL);
	h_poll();
	h_drain();
	h_advance_ms(99);
	h_poll();
	assert_int_equal(pop_all(seqs, 32), 0);
	h_advance_ms(1);
	h_poll();
	assert_int_equal(pop_all(seqs, 32), 1);
	assert_int_equal(st().loss_probes, 1);
	assert_int_equal(st().rto_expiries, 0);
	h_close();
}

void
tlp_sends_new_data_when_it_can(void **state)
{
	uint32_t seqs[8];

	(void)state;
	open_and_send(ISS, 14, 10); /* cwnd holds back 10 to 13 */
	/* A probe with new data retransmits nothing: it waits max(2 SRTT, 500 us), not the
	 * 40 ms floor of a resent probe. */
	adv_us(400);
	h_poll();
	assert_int_equal(pop_all(seqs, 8), 0);
	adv_us(100);
	h_poll();
	assert_int_equal(pop_all(seqs, 8), 1);
	assert_int_equal(seqs[0], S(10)); /* a new segment probes */
	assert_int_equal(st().loss_probes, 1);
	assert_int_equal(st().retransmits, 0);
	/* No answer (the probe or its ACK lost too): the next new segment after twice the
	 * wait, then after four times, then no more (TCP_TLP_FRESH_MAX = 3): the RTO's turn. */
	adv_us(900);
	h_poll();
	assert_int_equal(pop_all(seqs, 8), 0);
	adv_us(100);
	h_poll();
	assert_int_equal(pop_all(seqs, 8), 1);
	assert_int_equal(seqs[0], S(11));
	adv_us(1900);
	h_poll();
	assert_int_equal(pop_all(seqs, 8), 0);
	adv_us(100);
	h_poll();
	assert_int_equal(pop_all(seqs, 8), 1);
	assert_int_equal(seqs[0], S(12));
	h_advance_ms(40);
	h_poll();
	assert_int_equal(pop_all(seqs, 8), 0); /* three probes per episode at most */
	assert_int_equal(st().loss_probes, 3);
	assert_int_equal(st().retransmits, 0);
	assert_int_equal(st().rto_expiries, 0);
	h_close();
}

/* ---------- undo ---------- */

static void
dsack_undoes_spurious_retransmission_case(uint32_t iss)
{
	uint32_t blk[4], seqs[32];
	struct tcp_stats s;

	open_and_send(iss, 10, 10);
	adv_us(100);
	/* Segment 0 is late (reordered), 1-4 are SACKed: RACK resends 0 and reduces. */
	blk[0] = S(1);
	blk[1] = S(5);
	h_ack_sack(S(0), 65535, 0, 1, blk);
	h_poll();
	assert_int_equal(pop_all(seqs, 32), 1);
	assert_int_equal(seqs[0], S(0));
	s = st();
	assert_int_equal(s.retransmits, 1);
	assert_int_equal(s.ssthresh, 7 * MSS); /* beta 70 % (the default) of the flight of 10 */
	/* The original arrives (just after the retransmission left: acked faster than the
	 * min RTT, so RACK does not take it for the retransmission's delivery), then the
	 * rest. A DSACK for segment 2 (a duplicate the network made of a segment never
	 * resent) proves nothing. */
	adv_us(10);
	h_ack_sack(S(5), 65535, 0, 0, NULL);
	blk[0] = S(2);
	blk[1] = S(3);
	h_ack_sack(S(5), 65535, 0, 1, blk);
	h_poll();
	h_drain();
	s = st();
	assert_int_equal(s.dsacks_in, 1);
	assert_int_equal(s.spurious_undos, 0);
	/* Then our retransmission of 0 arrives: DSACK of exactly it: undo. */
	blk[0] = S(0);
	blk[1] = S(1);
	h_ack_sack(S(10), 65535, 0, 1, blk);
	h_poll();
	h_drain();
	s = st();
	assert_int_equal(s.dsacks_in, 2);
	assert_int_equal(s.undos_dsack, 1);
	assert_int_equal(s.spurious_undos, 1);
	assert_true(s.cwnd >= 10 * MSS);
	assert_int_equal(s.ssthresh, UINT32_MAX / 2);
	h_close();
}

void
dsack_undoes_spurious_retransmission(void **state)
{
	(void)state;
	dsack_undoes_spurious_retransmission_case(ISS);
	dsack_undoes_spurious_retransmission_case(0xffffffffu - 4u * MSS); /* across the sequence wrap */
}

static void
eifel_case(bool spurious)
{
	struct pkt d;
	uint32_t tsv_orig, tsv_rtx;
	struct tcp_stats s;

	iss_g = ISS;
	h_open(NULL, ISS);
	h_establish(true, PISN); /* no SACK: Eifel works with timestamps alone */
	h_write(MSS, false);     /* one segment: no loss probe, the RTO acts */
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	tsv_orig = d.tsval;
	h_drain();
	h_advance_ms(200); /* RTO (200 ms floor): the path was only slow */
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, S(0));
	tsv_rtx = d.tsval;
	assert_true(SEQ_GT(tsv_rtx, tsv_orig));
	s = st();
	assert_int_equal(s.rto_expiries, 1);
	assert_int_equal(s.cwnd, MSS);
	/* The first ACK echoes the original's TSval (spurious) or the retransmission's. */
	h_ack_sack(S(1), 65535, spurious ? tsv_orig : tsv_rtx, 0, NULL);
	h_poll();
	s = st();
	if (spurious) {
		assert_int_equal(s.undos_eifel, 1);
		assert_true(s.cwnd >= 10 * MSS);
		assert_int_equal(s.ssthresh, UINT32_MAX / 2);
	} else {
		assert_int_equal(s.undos_eifel, 0);
		assert_true(s.cwnd < 10 * MSS);
	}
	h_close();
}

void
eifel_undoes_spurious_rto(void **state)
{
	(void)state;
	eifel_case(true);
	eifel_case(false);
}

/* ---------- the control lcore's heartbeat ---------- */

void
rto_held_until_control_polls(void **state)
{
	struct pkt d;

	(void)state;
	iss_g = ISS;
	h_open(NULL, ISS);
	h_establish_sack(true, true, PISN);
	h_write(100, true);
	assert_int_equal(h_poll(), 1);
	h_drain();
	tcp_ctl_poll(H.c);                  /* the control lcore polled at t0 ... */
	h_advance_ms(250);                  /* ... and then not for 250 ms */
	assert_int_equal(h_poll(), 0);      /* its ACKs may be unread: no RTO */
	assert_true(st().rto_held >= 1);
	assert_int_equal(st().rto_expiries, 0);
	tcp_ctl_poll(H.c);                  /* it polls: nothing arrived, the RTO acts */
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, S(0));
	assert_int_equal(st().rto_expiries, 1);
	assert_int_equal(st().rtx_rto, 1);
	h_close();
}

/* ---------- delayed ACKs ---------- */

void
delayed_ack_timing(void **state)
{
	uint8_t data[3000];
	uint32_t r = PISN + 1;
	struct tcp_params p;
	struct pkt d;

	(void)state;
	memset(data, 0x5a, sizeof(data));
	h_open(NULL, ISS);
	h_establish(true, PISN);
	/* One segment: no ACK before the 2 ms timer, one pure ACK at it. */
	h_inject(0x18, r, ISS + 1, 65535, NULL, 0, data, 1000);
	assert_int_equal(h_poll(), 0);
	adv_us(1999);
	assert_int_equal(h_poll(), 0);
	adv_us(1);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, r + 1000);
	assert_int_equal(d.len, 0);
	assert_int_equal(st().delayed_acks, 1);
	r += 1000;
	h_advance_ms(5);
	assert_int_equal(h_poll(), 0); /* answered once */
	/* Two segments: the second is ACKed at once, together with the first. */
	h_inject(0x18, r, ISS + 1, 65535, NULL, 0, data, 1000);
	h_inject(0x18, r + 1000, ISS + 1, 65535, NULL, 0, data, 1000);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, r + 2000);
	r += 2000;
	h_advance_ms(5);
	assert_int_equal(h_poll(), 0); /* the first's timer is served by that ACK */
	/* One segment, then we send data: the ACK rides on it, no pure ACK follows. */
	h_inject(0x18, r, ISS + 1, 65535, NULL, 0, data, 500);
	r += 500;
	h_write(100, true);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.len, 100);
	assert_int_equal(d.ack, r);
	h_advance_ms(5);
	H.peer_seq = r;
	h_ack(ISS + 101, 65535);
	assert_int_equal(h_poll(), 0);
	/* Out of order: a dupack at once. */
	h_inject(0x18, r + 1000, ISS + 101, 65535, NULL, 0, data, 500);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, r);
	assert_int_equal(st().delayed_acks, 1);
	h_close();

	/* delack_ms = 0: every segment is ACKed at once. */
	tcp_params_default(&p);
	p.delack_ms = 0;
	h_open(&p, ISS);
	h_establish(true, PISN);
	r = PISN + 1;
	h_inject(0x18, r, ISS + 1, 65535, NULL, 0, data, 1000);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, r + 1000);
	h_close();
}

/* ---------- pacing ---------- */

void
pacing_intervals(void **state)
{
	struct tcp_stats s;
	uint64_t rate, seg_ns, t0;
	struct tcp_params p;
	int sent = 0, n;

	(void)state;
	iss_g = ISS;
	tcp_params_default(&p);
	p.pacing_gain_pct = 120;
	H.pacing = true;
	h_open(&p, ISS); /* gain 120 %, doubled in slow start; bursts of 4 */
	h_establish_sack(true, true, PISN);
	s = st();
	/* rate = 2 x 1.2 x cwnd / SRTT = 2.4 x 14480 B / 100 us */
	h_write(10 * MSS, false);
	n = h_poll();
	rate = 14480ull * 1000000000ull / 100000ull * 240 / 100;
	assert_int_equal(st().pacing_rate_bps, rate);
	assert_int_equal(n, 4);               /* one burst of pacing_burst segments */
	sent += n;
	h_drain();
	seg_ns = (uint64_t)MSS * 1000000000ull / rate;
	/* held: the pacer's clock is 4 segment times ahead, a burst (3 more) may be ahead */
	assert_int_equal(tcp_tx_pace_wait_ns(H.c, H.now),
			 seg_ns * 4 - 3ull * MSS * 1000000000ull / rate);
	assert_true(st().pacing_waits >= 1);
	/* Then one segment per MSS / rate; IW10 is out after 6 more segment times. */
	t0 = H.now;
	for (int i = 0; i < 6; i++) {
		H.now = t0 + (uint64_t)(i + 1) * seg_ns - seg_ns / 2;
		assert_int_equal(h_poll(), 0);
		H.now = t0 + (uint64_t)(i + 1) * seg_ns + 2;
		assert_int_equal(h_poll(), 1);
		h_drain();
		sent++;
	}
	assert_int_equal(sent, 10);
	assert_int_equal(tcp_tx_unacked(H.c), 10 * MSS);
	(void)s;
	h_close();

	/* pacing_gain = 0 (the default): IW10 leaves in one poll. */
	H.pacing = true;
	h_open(NULL, ISS);
	h_establish_sack(true, true, PISN);
	h_write(10 * MSS, false);
	assert_int_equal(h_poll(), 10);
	assert_int_equal(st().pacing_rate_bps, 0);
	h_close();
}

/* ---------- SACK blocks in our ACKs ---------- */

void
receiver_sends_sack_blocks(void **state)
{
	uint8_t data[1000];
	uint32_t r = PISN + 1;
	struct pkt d;

	(void)state;
	memset(data, 7, sizeof(data));
	iss_g = ISS;
	h_open(NULL, ISS);
	h_establish_sack(true, true, PISN);
	/* Segments 1 and 3 of 0..3 arrive (0 and 2 are missing). */
	h_inject(0x18, r + 1000, ISS + 1, 65535, NULL, 0, data, 1000);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, r);
	assert_int_equal(d.n_sack, 1);
	assert_int_equal(d.sack[0], r + 1000);
	assert_int_equal(d.sack[1], r + 2000);
	assert_true(d.cksum_ok);
	h_inject(0x18, r + 3000, ISS + 1, 65535, NULL, 0, data, 1000);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.n_sack, 2); /* the latest arrival's block first */
	assert_int_equal(d.sack[0], r + 3000);
	assert_int_equal(d.sack[2], r + 1000);
	/* 0 arrives: cumulative ACK to 2000, the block above stays. */
	h_inject(0x18, r, ISS + 1, 65535, NULL, 0, data, 1000);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, r + 2000);
	assert_int_equal(d.n_sack, 1);
	assert_int_equal(d.sack[0], r + 3000);
	/* 2 arrives: everything in order, no blocks. */
	h_inject(0x18, r + 2000, ISS + 1, 65535, NULL, 0, data, 1000);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, r + 4000);
	assert_int_equal(d.n_sack, 0);
	assert_int_equal(H.log.data_len, 4000);
	assert_int_equal(st().sack_blocks_out, 4);
	/* A duplicate of 1 (a needless retransmission): the dupack DSACKs it (RFC 2883). */
	h_inject(0x18, r + 1000, ISS + 1, 65535, NULL, 0, data, 1000);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, r + 4000);
	assert_int_equal(d.n_sack, 1);
	assert_int_equal(d.sack[0], r + 1000);
	assert_int_equal(d.sack[1], r + 2000);
	/* Reported once: the next ACKs carry no block. */
	h_inject(0x18, r + 4000, ISS + 1, 65535, NULL, 0, data, 1000);
	h_inject(0x18, r + 5000, ISS + 1, 65535, NULL, 0, data, 1000);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, r + 6000);
	assert_int_equal(d.n_sack, 0);
	h_close();

	/* Without SACK negotiated, dupacks carry no blocks. */
	h_open(NULL, ISS);
	h_establish(true, PISN);
	h_inject(0x18, r + 1000, ISS + 1, 65535, NULL, 0, data, 1000);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.n_sack, 0);
	h_close();
}

/* A hole followed by most of the advertised window (200 segments of 1000 bytes in the
 * default 256 KiB), across the sequence wrap: every segment is kept (none dropped for a
 * full out-of-order queue), each dupack's first block covers everything received so far,
 * and filling the hole delivers all of it in order. The queue's size follows rcv_buf
 * (a fixed 64 entries dropped the rest, so the peer's SACKs never came). */
void
receiver_holds_a_window_out_of_order(void **state)
{
	static uint8_t data[201000];
	uint32_t peer_isn = 0xffffffffu - 100000u, r = peer_isn + 1;
	struct pkt d;

	(void)state;
	for (uint32_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + (i >> 9));
	iss_g = ISS;
	h_open(NULL, ISS);
	h_establish_sack(true, true, peer_isn);
	for (uint32_t k = 1; k <= 200; k++) {
		h_inject(0x18, r + k * 1000, ISS + 1, 65535, NULL, 0, data + k * 1000, 1000);
		assert_int_equal(h_poll(), 1);
		assert_true(h_pop(&d));
		assert_int_equal(d.ack, r);
		assert_int_equal(d.n_sack, 1);
		assert_int_equal(d.sack[0], r + 1000);
		assert_int_equal(d.sack[1], r + (k + 1) * 1000);
	}
	assert_int_equal(st().ooo_drops, 0);
	assert_int_equal(H.log.data_len, 0);
	h_inject(0x18, r, ISS + 1, 65535, NULL, 0, data, 1000); /* the hole */
	assert_int_equal(H.log.data_len, sizeof(data));
	assert_memory_equal(H.log.data, data, sizeof(data));
	assert_int_equal(st().rcv_nxt, r + (uint32_t)sizeof(data));
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.ack, r + (uint32_t)sizeof(data));
	assert_int_equal(d.n_sack, 0);
	h_close();
}

/* A hundred holes (every other segment of 200 arrives), across the sequence wrap: each
 * dupack's first block is the latest arrival's range, then the highest others; a segment
 * that joins two ranges in the middle is reported as their merged range, then the top. */
void
receiver_sack_blocks_with_many_holes(void **state)
{
	uint8_t data[1000];
	uint32_t peer_isn = 0xffffffffu - 150000u, r = peer_isn + 1;
	struct pkt d;

	(void)state;
	memset(data, 3, sizeof(data));
	iss_g = ISS;
	h_open(NULL, ISS);
	h_establish_sack(true, true, peer_isn);
	for (uint32_t k = 1; k <= 100; k++) {
		h_inject(0x18, r + k * 2000, ISS + 1, 65535, NULL, 0, data, 1000);
		assert_int_equal(h_poll(), 1);
		assert_true(h_pop(&d));
		assert_int_equal(d.ack, r);
		assert_int_equal(d.n_sack, k < 3 ? (int)k : 3);
		assert_int_equal(d.sack[0], r + k * 2000);
		assert_int_equal(d.sack[1], r + k * 2000 + 1000);
		if (k >= 2)
			assert_int_equal(d.sack[2], r + (k - 1) * 2000);
	}
	assert_int_equal(st().ooo_drops, 0);
	h_inject(0x18, r + 101000, ISS + 1, 65535, NULL, 0, data, 1000); /* joins 50 and 51 */
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d));
	assert_int_equal(d.n_sack, 3);
	assert_int_equal(d.sack[0], r + 100000);
	assert_int_equal(d.sack[1], r + 103000);
	assert_int_equal(d.sack[2], r + 200000);
	assert_int_equal(d.sack[3], r + 201000);
	assert_int_equal(d.sack[4], r + 198000);
	assert_int_equal(d.sack[5], r + 199000);
	h_close();
}

/* SACK blocks on data segments (RFC 2018 §4), across the peer's sequence wrap: while we
 * hold out-of-order data, a segment whose payload leaves room in the MSS carries them
 * (first transmission, and a retransmission both through a clone while the NIC holds the
 * mbuf and in place once it let go); a full segment carries none; once the hole is
 * filled the in-place retransmission's header is laid out again without them. Every
 * checksum is checked by h_pop. */
void
data_segments_carry_sack_blocks(void **state)
{
	uint8_t data[1000];
	uint32_t peer_isn = 0xffffffffu - 500u, r = peer_isn + 1;
	struct pkt d;

	(void)state;
	memset(data, 9, sizeof(data));
	iss_g = ISS;
	h_open(NULL, ISS);
	h_establish_sack(true, true, peer_isn);
	h_inject(0x18, r + 1000, ISS + 1, 65535, NULL, 0, data, 1000); /* hole at r */
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&d)); /* the dupack */
	assert_int_equal(d.n_sack, 1);
	H.hold = true; /* the "NIC" keeps what follows referenced */
	assert_int_equal(h_write(100, true), 100);
	assert_int_equal(h_write(MSS, true), MSS);
	assert_int_equal(h_poll(), 2);
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, S(0));
	assert_int_equal(d.len, 100);
	assert_int_equal(d.ack, r);
	assert_int_equal(d.n_sack, 1);
	assert_int_equal(d.sack[0], r + 1000);
	assert_int_equal(d.sack[1], r + 2000);
	assert_int_equal(d.ip_len, 20 + 32 + 12 + 100);
	assert_true(h_pop(&d));
	assert_int_equal(d.len, MSS);
	assert_int_equal(d.n_sack, 0); /* no room beside a full segment */
	assert_int_equal(d.ip_len, 20 + 32 + MSS);
	/* The RTO resends the short segment while the "NIC" still holds it: a clone. */
	h_advance_ms(200);
	h_poll();
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, S(0));
	assert_int_equal(d.len, 100);
	assert_int_equal(d.n_sack, 1);
	assert_int_equal(d.sack[0], r + 1000);
	assert_true(d.nb_segs > 1);
	h_drain();
	for (int i = 0; i < H.n_held; i++)
		rte_pktmbuf_free(H.held[i]);
	H.n_held = 0;
	H.hold = false;
	assert_true(st().tx_clones >= 1);
	/* The hole is filled: the next resend (in place) has no blocks, its header shrinks. */
	h_inject(0x18, r, ISS + 1, 65535, NULL, 0, data, 1000);
	assert_int_equal(H.log.data_len, 2000);
	h_poll();
	h_drain();
	h_advance_ms(400);
	h_poll();
	assert_true(h_pop(&d));
	assert_int_equal(d.seq, S(0));
	assert_int_equal(d.len, 100);
	assert_int_equal(d.ack, r + 2000);
	assert_int_equal(d.n_sack, 0);
	assert_int_equal(d.ip_len, 20 + 32 + 100);
	assert_int_equal(d.nb_segs, 1);
	h_close();
}

static void
tlp_floor_adapts_to_needless_probes_case(uint32_t iss)
{
	uint32_t blk[2], seqs[32];
	struct pkt d;
	int n;

	open_and_send(iss, 10, 10);
	adv_us(100);
	h_ack_sack(S(5), 65535, 0, 0, NULL);
	h_poll();
	h_drain();
	h_advance_ms(40);
	h_poll();
	assert_int_equal(pop_all(seqs, 32), 1); /* the probe: segment 9 again */
	assert_int_equal(seqs[0], S(9));
	/* Nothing was lost, the peer was slow: everything acked, the probe DSACKed. */
	blk[0] = S(9);
	blk[1] = S(10);
	h_ack_sack(S(10), 65535, 0, 1, blk);
	h_poll();
	h_drain();
	/* Next flight: the probe waits 80 ms now. */
	h_write(10 * MSS, false);
	h_poll();
	n = 0;
	while (h_pop(&d))
		n++;
	assert_true(n >= 2);
	adv_us(100);
	h_ack_sack(S(11), 65535, 0, 0, NULL);
	h_poll();
	h_drain();
	h_advance_ms(79);
	h_poll();
	assert_int_equal(pop_all(seqs, 32), 0);
	h_advance_ms(1);
	h_poll();
	assert_int_equal(pop_all(seqs, 32), 1);
	assert_int_equal(st().loss_probes, 2);
	h_close();
}

void
tlp_floor_adapts_to_needless_probes(void **state)
{
	(void)state;
	tlp_floor_adapts_to_needless_probes_case(ISS);
	tlp_floor_adapts_to_needless_probes_case(0xffffffffu - 4u * MSS); /* across the sequence wrap */
}
