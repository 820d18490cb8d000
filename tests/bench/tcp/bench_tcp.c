/* Micro-benchmark of lib/tcp's TX lcore path over a null device (no NIC, no network):
 *   - cycles per segment for fill (the writer's stores) + tcp_tx_poll (headers from the
 *     template, software checksum, queueing) with the peer ACKing every burst;
 *   - the cost of the control lcore's tcp_input for a pure ACK;
 *   - retransmission: in place (device released the mbuf) vs a chained header + indirect
 *     clone (device still holds it) vs what a payload copy would cost (alloc + memcpy).
 * Prints one line per number; asserts nothing. `bench_tcp [segments]`.
 */
#define ALLOW_EXPERIMENTAL_API
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "tcp/tcp.h"

#define LOCAL_IP 0x020012c6u
#define PEER_IP  0x010012c6u

static uint64_t vnow = 1000000000ull;
static bool hold;
static struct rte_mbuf *held[64];
static int n_held;
static struct rte_mempool *pool;

static uint64_t
now_ns(void *ctx)
{
	(void)ctx;
	return vnow;
}

static uint16_t
null_tx(void *ctx, struct rte_mbuf **p, uint16_t n)
{
	(void)ctx;
	for (uint16_t i = 0; i < n; i++) {
		if (hold && n_held < 64)
			held[n_held++] = p[i];
		else
			rte_pktmbuf_free(p[i]);
	}
	return n;
}

static void
on_event(void *o, struct tcp_conn *c, enum tcp_event ev, enum tcp_reason why)
{
	(void)o; (void)c; (void)ev; (void)why;
}

static struct rte_mbuf *
peer_seg(struct tcp_conn *c, uint8_t flags, uint32_t seq, uint32_t ack, const uint8_t *opt,
	 uint8_t optlen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t tl = (uint16_t)(20 + optlen);
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + 20 + tl));
	struct rte_ipv4_hdr *ip = (void *)(d + 14);
	struct rte_tcp_hdr *th = (void *)(ip + 1);

	memset(d, 0, 14 + 20 + tl);
	d[12] = 0x08;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = PEER_IP;
	ip->dst_addr = LOCAL_IP;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + tl));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->src_port = rte_cpu_to_be_16(4222);
	th->dst_port = rte_cpu_to_be_16(c->src_port);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)((tl / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(65535);
	memcpy(th + 1, opt, optlen);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return m;
}

int
main(int argc, char **argv)
{
	static char a0[] = "bench_tcp", a1[] = "--no-huge", a2[] = "--no-pci", a3[] = "-m",
		    a4[] = "256", a6[] = "--log-level=error", a7[] = "--no-shconf";
	char pfx[64];
	char *eal[] = { a0, a1, a2, a3, a4, pfx, a6, a7, NULL };
	long segs = argc > 1 ? atol(argv[1]) : 200000;
	struct tcp_params p;
	struct tcp_io io = { .tx_burst = null_tx, .now_ns = now_ns };
	struct tcp_owner_ops ops = { NULL, on_event, NULL };
	struct tcp_endpoint ep = { .src_ip = LOCAL_IP, .dst_ip = PEER_IP, .dst_port = 4222 };
	uint8_t synack_opt[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 }; /* MSS 1460, WS 7, no TS */
	struct tcp_stack *st;
	struct tcp_conn *c;
	uint32_t iss, pisn = 12345, acked;
	uint64_t t_tx = 0, t_in = 0, n_sent = 0, n_acks = 0;

	snprintf(pfx, sizeof(pfx), "--file-prefix=jw-bench-tcp-%d", (int)getpid());
	if (rte_eal_init(8, eal) < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("bench", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (pool == NULL)
		return 1;
	io.pool = pool;
	tcp_params_default(&p);
	p.rcv_buf = 4u << 20;
	p.pacing_gain_pct = 0; /* the virtual clock barely moves: cost per segment, unpaced */
	st = tcp_stack_create(&io, &p, NULL);
	c = tcp_conn_create(st, &io, &ops);
	if (st == NULL || c == NULL || tcp_conn_connect(c, &ep) != 0)
		return 1;
	tcp_tx_poll(c);
	iss = c->iss;
	tcp_input(st, peer_seg(c, 0x12, pisn, iss + 1, synack_opt, sizeof(synack_opt)));
	tcp_tx_poll(c);
	acked = iss + 1;

	/* 1. Bulk: fill + poll, the peer ACKs each burst at once (cwnd/window never limit). */
	while ((long)n_sent < segs) {
		uint64_t t0 = rte_rdtsc();
		uint32_t room;
		uint8_t *b;
		for (int k = 0; k < 32 && (b = tcp_tx_buf(c, &room)) != NULL; k++) {
			memset(b, 'x', room);
			tcp_tx_commit(c, room);
		}
		uint16_t n = tcp_tx_poll(c);
		uint64_t t1 = rte_rdtsc();
		t_tx += t1 - t0;
		n_sent += n;
		acked = atomic_load(&c->snd_max);
		struct rte_mbuf *a = peer_seg(c, 0x10, pisn + 1, acked, NULL, 0);
		uint64_t t2 = rte_rdtsc();
		tcp_input(st, a);
		t_in += rte_rdtsc() - t2;
		n_acks++;
		vnow += 10000;
	}
	tcp_tx_poll(c);
	printf("tx_cycles_per_segment %.1f (fill 1448 B + template headers + sw checksum + "
	       "queue; %lu segments)\n", (double)t_tx / (double)n_sent, (unsigned long)n_sent);
	printf("ack_input_cycles %.1f (control lcore, one pure ACK incl. checksum verify)\n",
	       (double)t_in / (double)n_acks);

	/* 2. Retransmission cost: send 1 segment, let the RTO fire many times. */
	{
		uint32_t room;
		uint8_t *b = tcp_tx_buf(c, &room);
		static uint8_t payload[1448];
		uint64_t t_inplace = 0, t_chain = 0, t_copy = 0;
		const int R = 2000;
		memset(b, 'y', room);
		tcp_tx_commit(c, room);
		tcp_tx_poll(c);
		/* Phase A: the device frees at once, so retransmissions rewrite in place.
		 * Phase B: the device holds the first copy for the whole phase, so every
		 * retransmission chains a fresh header to a clone. */
		for (int i = 0; i < 2 * R; i++) {
			c->t_rto_ns = 200000000ull; /* rewind the backoff: one RTO per round */
			c->t_retries = 0;
			c->t_rto_deadline = vnow;
			hold = i >= R;
			uint64_t t0 = rte_rdtsc();
			tcp_tx_poll(c);
			uint64_t d = rte_rdtsc() - t0;
			if (i > R)
				t_chain += d;
			else if (i < R)
				t_inplace += d;
			for (int k = 1; k < n_held; k++)
				rte_pktmbuf_free(held[k]);
			n_held = n_held > 0 ? 1 : 0;
		}
		if (n_held > 0)
			rte_pktmbuf_free(held[0]);
		n_held = 0;
		for (int i = 0; i < R; i++) {
			uint64_t t0 = rte_rdtsc();
			struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
			uint8_t *dst = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(66 + 1448));
			memcpy(dst, c->t_tmpl, 66);
			memcpy(dst + 66, payload, 1448);
			struct rte_ipv4_hdr *ip = (void *)(dst + 14);
			ip->total_length = rte_cpu_to_be_16(20 + 20 + 1448);
			((struct rte_tcp_hdr *)(ip + 1))->cksum = rte_ipv4_udptcp_cksum(ip, ip + 1);
			rte_pktmbuf_free(m);
			t_copy += rte_rdtsc() - t0;
		}
		printf("rexmit_inplace_cycles %.1f (poll incl. RTO bookkeeping, sw checksum)\n",
		       (double)t_inplace / R);
		printf("rexmit_chain_cycles %.1f (fresh header mbuf + indirect clone, sw checksum)\n",
		       (double)t_chain / (R - 1));
		printf("payload_copy_cycles %.1f (alloc + copy 1448 B + checksum, for comparison)\n",
		       (double)t_copy / R);
	}
	printf("tsc_hz %lu\n", (unsigned long)rte_get_tsc_hz());
	tcp_conn_destroy(c);
	tcp_stack_destroy(st);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}
