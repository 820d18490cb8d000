#define ALLOW_EXPERIMENTAL_API
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "../common/fixtures.h"
#include "harness.h"

struct harness H;
struct rte_mempool *test_pool;

#define QCAP 2048

static uint64_t
fake_now(void *ctx)
{
	(void)ctx;
	return H.now;
}

static void
parse_pkt(struct rte_mbuf *m, struct pkt *p)
{
	uint8_t buf[10000];
	const uint8_t *d = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
	const struct rte_ipv4_hdr *ip = (const void *)(d + RTE_ETHER_HDR_LEN);
	const struct rte_tcp_hdr *th = (const void *)(d + RTE_ETHER_HDR_LEN + 20);
	uint32_t doff = (uint32_t)(th->data_off >> 4) * 4, i = 20;

	memset(p, 0, offsetof(struct pkt, payload));
	p->flags = th->tcp_flags;
	p->seq = rte_be_to_cpu_32(th->sent_seq);
	p->ack = rte_be_to_cpu_32(th->recv_ack);
	p->win = rte_be_to_cpu_16(th->rx_win);
	p->sport = rte_be_to_cpu_16(th->src_port);
	p->dport = rte_be_to_cpu_16(th->dst_port);
	p->ip_len = rte_be_to_cpu_16(ip->total_length);
	p->len = p->ip_len - 20 - doff;
	assert_true(p->len <= sizeof(p->payload));
	memcpy(p->payload, (const uint8_t *)th + doff, p->len);
	p->nb_segs = m->nb_segs;
	p->ol_flags = m->ol_flags;
	if (m->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM) {
		p->cksum_ok = th->cksum == rte_ipv4_phdr_cksum(ip, 0) && ip->hdr_checksum == 0;
	} else {
		p->cksum_ok = rte_ipv4_cksum(ip) == 0 && rte_ipv4_udptcp_cksum_verify(ip, th) == 0;
	}
	assert_int_equal(m->pkt_len, RTE_ETHER_HDR_LEN + p->ip_len);
	while (i < doff) {
		const uint8_t *o = (const uint8_t *)th + i;
		if (o[0] == 0)
			break;
		if (o[0] == 1) {
			i++;
			continue;
		}
		if (o[0] == 2) {
			p->has_mss = true;
			p->mss = (uint16_t)(o[2] << 8 | o[3]);
		} else if (o[0] == 4 && o[1] == 2) {
			p->has_sack_perm = true;
		} else if (o[0] == 5) {
			for (int b = 0; b < (o[1] - 2) / 8 && b < 4; b++) {
				uint32_t v, e;
				memcpy(&v, o + 2 + 8 * b, 4);
				memcpy(&e, o + 6 + 8 * b, 4);
				p->sack[2 * b] = rte_be_to_cpu_32(v);
				p->sack[2 * b + 1] = rte_be_to_cpu_32(e);
				p->n_sack++;
			}
		} else if (o[0] == 3) {
			p->has_ws = true;
			p->ws = o[2];
		} else if (o[0] == 8) {
			uint32_t v, e;
			memcpy(&v, o + 2, 4);
			memcpy(&e, o + 6, 4);
			p->has_ts = true;
			p->tsval = rte_be_to_cpu_32(v);
			p->tsecr = rte_be_to_cpu_32(e);
		}
		i += o[1];
	}
}

/* What a NIC does with a TSO packet: checks the offload fields the stack must set, then
 * cuts the payload into tso_segsz pieces, each with the header (seq advanced, FIN/PSH only
 * on the last, IPv4 length and checksum of its own), queued as captured wire segments. */
static void
split_tso(struct rte_mbuf *m)
{
	static uint8_t buf[70000];
	const uint8_t *d;
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *th;
	uint32_t doff, total, seq, off = 0;
	uint8_t flags;

	assert_true(m->pkt_len <= sizeof(buf));
	d = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
	ip = (const void *)(d + RTE_ETHER_HDR_LEN);
	th = (const void *)(d + RTE_ETHER_HDR_LEN + 20);
	doff = (uint32_t)(th->data_off >> 4) * 4;
	assert_int_equal(m->l2_len, RTE_ETHER_HDR_LEN);
	assert_int_equal(m->l3_len, 20);
	assert_int_equal(m->l4_len, doff);
	assert_true(m->tso_segsz > 0);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_IPV4);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
	assert_int_equal(ip->hdr_checksum, 0);
	/* Pseudo header without the length (TSO semantics of rte_ipv4_phdr_cksum). */
	assert_int_equal(th->cksum, rte_ipv4_phdr_cksum(ip, RTE_MBUF_F_TX_TCP_SEG));
	assert_int_equal(m->pkt_len, RTE_ETHER_HDR_LEN + rte_be_to_cpu_16(ip->total_length));
	total = rte_be_to_cpu_16(ip->total_length) - 20 - doff;
	assert_true(total > m->tso_segsz); /* TSO only when it makes several segments */
	seq = rte_be_to_cpu_32(th->sent_seq);
	flags = th->tcp_flags;
	H.tso_pkts++;
	if (total > H.tso_max_seen)
		H.tso_max_seen = total;
	while (off < total) {
		uint32_t len = JW_MIN((uint32_t)m->tso_segsz, total - off);
		struct pkt *p;

		assert_true(H.q_tail < QCAP);
		p = &H.q[H.q_tail++];
		memset(p, 0, offsetof(struct pkt, payload));
		p->flags = off + len < total ? (uint8_t)(flags & ~0x09) : flags;
		p->seq = seq + off;
		p->ack = rte_be_to_cpu_32(th->recv_ack);
		p->win = rte_be_to_cpu_16(th->rx_win);
		p->sport = rte_be_to_cpu_16(th->src_port);
		p->dport = rte_be_to_cpu_16(th->dst_port);
		p->ip_len = (uint16_t)(20 + doff + len);
		p->len = len;
		memcpy(p->payload, (const uint8_t *)th + doff + off, len);
		p->nb_segs = m->nb_segs;
		p->ol_flags = m->ol_flags;
		p->cksum_ok = true; /* the device computes it; the pseudo header was checked */
		p->tso_id = H.tso_pkts;
		p->tso_len = total;
		p->tso_segsz = m->tso_segsz;
		if (doff >= 32 && ((const uint8_t *)(th + 1))[2] == 8) {
			uint32_t v, e;
			memcpy(&v, (const uint8_t *)(th + 1) + 4, 4);
			memcpy(&e, (const uint8_t *)(th + 1) + 8, 4);
			p->has_ts = true;
			p->tsval = rte_be_to_cpu_32(v);
			p->tsecr = rte_be_to_cpu_32(e);
		}
		off += len;
	}
}

static uint16_t
fake_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	(void)ctx;
	if (H.accept != 0 && n > H.accept)
		n = H.accept;
	for (uint16_t i = 0; i < n; i++) {
		if (pkts[i]->ol_flags & RTE_MBUF_F_TX_TCP_SEG) {
			split_tso(pkts[i]);
		} else {
			assert_true(H.q_tail < QCAP);
			parse_pkt(pkts[i], &H.q[H.q_tail++]);
		}
		if (H.hold && H.n_held < (int)JW_ARRAY_SIZE(H.held))
			H.held[H.n_held++] = pkts[i];
		else
			rte_pktmbuf_free(pkts[i]);
	}
	return n;
}

int
harness_eal_init(void)
{
	return jwt_eal_setup("tcp", 8191, &test_pool);
}

static void
on_data(void *o, struct tcp_conn *c, const uint8_t *d, uint32_t len)
{
	(void)o;
	(void)c;
	assert_true(H.log.data_len + len <= sizeof(H.log.data));
	memcpy(H.log.data + H.log.data_len, d, len);
	H.log.data_len += len;
	if (H.abort_after != 0 && H.log.data_len >= H.abort_after)
		assert_int_equal(tcp_conn_abort(c), 0);
}

static void
on_event(void *o, struct tcp_conn *c, enum tcp_event ev, enum tcp_reason why)
{
	(void)o;
	(void)c;
	assert_true(H.log.n_events < 16);
	H.log.ev[H.log.n_events] = ev;
	H.log.why[H.log.n_events] = why;
	H.log.n_events++;
}

void
h_open(const struct tcp_params *p, uint32_t iss)
{
	static const uint8_t key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	struct tcp_owner_ops ops = { on_data, on_event, NULL };
	struct tcp_endpoint ep = { .src_ip = LOCAL_IP, .dst_ip = PEER_IP, .dst_port = PEER_PORT };

	if (H.q == NULL)
		H.q = calloc(QCAP, sizeof(*H.q));
	if (H.c != NULL) { /* a failed test left its connection: clean up, do not cascade */
		for (int i = 0; i < H.n_held; i++)
			rte_pktmbuf_free(H.held[i]);
		tcp_conn_destroy(H.c);
		tcp_stack_destroy(H.st);
		H.c = NULL;
	}
	H.q_head = H.q_tail = 0;
	H.n_held = 0;
	H.hold = false;
	H.accept = 0;
	H.abort_after = 0;
	H.tso_pkts = 0;
	H.tso_max_seen = 0;
	memset(&H.log, 0, sizeof(H.log));
	H.now = 1000000000ull;
	H.io = (struct tcp_io){ fake_tx, fake_now, NULL, test_pool, false, false, 0, 0 };
	if (p != NULL)
		H.p = *p;
	else
		tcp_params_default(&H.p);
	if (!H.pacing)
		H.p.pacing_gain_pct = 0;
	H.pacing = false;
	H.st = tcp_stack_create(&H.io, &H.p, key);
	assert_non_null(H.st);
	H.st->isn_fixed = true;
	H.st->isn_value = iss;
	H.c = tcp_conn_create(H.st, &H.io, &ops);
	assert_non_null(H.c);
	ep.dst_mac.addr_bytes[0] = 0x02;
	assert_int_equal(tcp_conn_connect(H.c, &ep), 0);
}

void
h_close(void)
{
	for (int i = 0; i < H.n_held; i++)
		rte_pktmbuf_free(H.held[i]);
	H.n_held = 0;
	tcp_conn_destroy(H.c);
	tcp_stack_destroy(H.st);
	H.c = NULL;
	H.st = NULL;
	/* every mbuf went back: nothing leaked by the connection */
	assert_int_equal(rte_mempool_in_use_count(test_pool), 0);
}

int
h_poll(void)
{
	return tcp_tx_poll(H.c);
}

bool
h_pop(struct pkt *out)
{
	if (H.q_head == H.q_tail)
		return false;
	*out = H.q[H.q_head++];
	assert_true(out->cksum_ok);
	if (H.q_head == H.q_tail)
		H.q_head = H.q_tail = 0;
	return true;
}

int
h_pending(void)
{
	return H.q_tail - H.q_head;
}

void
h_drain(void)
{
	H.q_head = H.q_tail = 0;
}

int
h_inject(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, const uint8_t *opts,
	 uint8_t optlen, const void *payload, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(test_pool);
	uint16_t tcplen = (uint16_t)(20 + optlen);
	uint8_t *d;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;

	assert_non_null(m);
	d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(RTE_ETHER_HDR_LEN + 20 + tcplen + len));
	if (d == NULL)
		rte_pktmbuf_free(m);
	assert_non_null(d);
	eth = (void *)d;
	memset(eth, 0, sizeof(*eth));
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (void *)(d + RTE_ETHER_HDR_LEN);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = PEER_IP;
	ip->dst_addr = LOCAL_IP;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + tcplen + len));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th = (void *)(ip + 1);
	memset(th, 0, sizeof(*th));
	th->src_port = rte_cpu_to_be_16(PEER_PORT);
	th->dst_port = rte_cpu_to_be_16(H.c->src_port);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)((tcplen / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(win);
	if (optlen)
		memcpy(th + 1, opts, optlen);
	if (len)
		memcpy((uint8_t *)th + tcplen, payload, len);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return tcp_input(H.st, m);
}

uint8_t
h_synack_opts(uint8_t *o, uint16_t mss, int ws, bool ts, uint32_t tsval, uint32_t tsecr)
{
	uint8_t n = 0;

	if (mss) {
		o[n++] = 2; o[n++] = 4; o[n++] = (uint8_t)(mss >> 8); o[n++] = (uint8_t)mss;
	}
	if (ts) {
		uint32_t v = rte_cpu_to_be_32(tsval), e = rte_cpu_to_be_32(tsecr);
		o[n++] = 1; o[n++] = 1; o[n++] = 8; o[n++] = 10;
		memcpy(o + n, &v, 4);
		memcpy(o + n + 4, &e, 4);
		n = (uint8_t)(n + 8);
	}
	if (ws >= 0) {
		o[n++] = 1; o[n++] = 3; o[n++] = 3; o[n++] = (uint8_t)ws;
	}
	return n;
}

uint8_t
h_synack_opts_sack(uint8_t *o, uint16_t mss, int ws, bool ts, uint32_t tsval, uint32_t tsecr,
		   bool sack)
{
	uint8_t n = h_synack_opts(o, mss, ws, ts, tsval, tsecr);

	if (sack) {
		o[n++] = 1; o[n++] = 1; o[n++] = 4; o[n++] = 2;
	}
	return n;
}

void
h_establish(bool with_ts, uint32_t peer_isn)
{
	h_establish_sack(with_ts, false, peer_isn);
}

void
h_establish_sack(bool with_ts, bool sack, uint32_t peer_isn)
{
	struct pkt syn, ack;
	uint8_t o[40], n;

	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&syn));
	assert_int_equal(syn.flags, 0x02);
	n = h_synack_opts_sack(o, 1460, 7, with_ts, 5000, syn.tsval, sack);
	H.peer_isn = peer_isn;
	H.peer_seq = peer_isn + 1;
	H.now += 100000; /* 100 µs RTT */
	assert_int_equal(h_inject(0x12, peer_isn, syn.seq + 1, 65535, o, n, NULL, 0), 0);
	assert_int_equal(H.log.n_events, 1);
	assert_int_equal(H.log.ev[0], TCP_EV_ESTABLISHED);
	assert_int_equal(h_poll(), 1);
	assert_true(h_pop(&ack));
	assert_int_equal(ack.flags, 0x10);
	assert_int_equal(ack.ack, peer_isn + 1);
	assert_int_equal(ack.seq, syn.seq + 1);
	/* The peer's first window update (scaled from now on), as Linux sends with its data. */
	assert_int_equal(h_ack(syn.seq + 1, 65535), 0);
}

uint32_t
h_write(uint32_t n, bool push)
{
	static uint32_t pattern;
	uint32_t done = 0, room;
	uint8_t *b;

	while (done < n && (b = tcp_tx_buf(H.c, &room)) != NULL) {
		uint32_t k = JW_MIN(room, n - done);
		for (uint32_t i = 0; i < k; i++)
			b[i] = (uint8_t)(pattern++ * 7u);
		tcp_tx_commit(H.c, k);
		done += k;
	}
	if (push)
		tcp_tx_push(H.c);
	return done;
}

int
h_ack(uint32_t ack, uint16_t win)
{
	uint8_t o[12];
	uint8_t n = 0;

	if (H.c->ts_ok)
		n = h_synack_opts(o, 0, -1, true, 6000, 0);
	return h_inject(0x10, H.peer_seq, ack, win, o, n, NULL, 0);
}

int
h_ack_sack(uint32_t ack, uint16_t win, uint32_t tsecr, int n, const uint32_t *blk)
{
	uint8_t o[40];
	uint8_t k = 0;

	if (H.c->ts_ok)
		k = h_synack_opts(o, 0, -1, true, 6000, tsecr);
	if (n > 0) {
		assert_true(n <= (H.c->ts_ok ? 3 : 4));
		o[k++] = 1;
		o[k++] = 1;
		o[k++] = 5;
		o[k++] = (uint8_t)(2 + 8 * n);
		for (int i = 0; i < 2 * n; i++) {
			uint32_t v = rte_cpu_to_be_32(blk[i]);
			memcpy(o + k, &v, 4);
			k = (uint8_t)(k + 4);
		}
	}
	return h_inject(0x10, H.peer_seq, ack, win, o, k, NULL, 0);
}

void
h_advance_ms(uint64_t ms)
{
	H.now += ms * 1000000ull;
}
