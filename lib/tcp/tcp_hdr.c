/* Outgoing header construction: the per-connection template and checksums. */
/* rte_ipv4_udptcp_cksum_mbuf(_verify) are static inline "experimental" helpers. */
#define ALLOW_EXPERIMENTAL_API
#include <string.h>

#include <rte_byteorder.h>

#include "tcp/tcp.h"
#include "tcp/tcp_hdr.h"
#include "tcp/tcp_priv.h"

uint16_t
tcp_hdr_write(const struct tcp_conn *c, uint8_t *buf, const uint8_t *opts, uint16_t optlen)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + TCP_IP_OFF);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(buf + TCP_TCP_OFF);
	uint16_t tcp_len = (uint16_t)(sizeof(*th) + optlen);

	eth->src_addr = c->ep.src_mac;
	eth->dst_addr = c->ep.dst_mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = c->ep.src_ip;
	ip->dst_addr = c->ep.dst_ip;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + tcp_len));

	memset(th, 0, sizeof(*th));
	th->src_port = rte_cpu_to_be_16(c->src_port);
	th->dst_port = rte_cpu_to_be_16(c->ep.dst_port);
	th->data_off = (uint8_t)((tcp_len / 4) << 4);
	if (optlen > 0)
		memcpy(th + 1, opts, optlen);
	return (uint16_t)(TCP_TCP_OFF + tcp_len);
}

void
tcp_hdr_patch(struct tcp_conn *c, uint8_t *hdr, uint8_t flags, uint32_t seq,
	      uint32_t payload_len, uint64_t now_ns)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(hdr + TCP_IP_OFF);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(hdr + TCP_TCP_OFF);
	/* Acquire pairs with publish_rcv's store-release of rcv_nxt (tcp_input.c). */
	uint32_t rcv_nxt = atomic_load_explicit(&c->rcv_nxt, memory_order_acquire); /* [T4] */

	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + c->t_tcp_hdr_len + payload_len));
	ip->packet_id = rte_cpu_to_be_16((uint16_t)atomic_load_explicit(&c->st_segs_out,
									 memory_order_relaxed));
	ip->hdr_checksum = 0;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(rcv_nxt);
	c->t_last_ack = rcv_nxt; /* delayed ACKs: what the peer will have heard from us */
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(tcp_adv_window(c, c->rcv_wscale));
	th->cksum = 0;
	if (c->ts_ok) {
		/* Options laid out by the template: NOP NOP TS(kind 8, len 10, val, ecr). */
		uint8_t *o = (uint8_t *)(th + 1);
		uint32_t v = rte_cpu_to_be_32(tcp_tsval(c, now_ns));
		/* Acquire pairs with synchronized's store-release of ts_recent
		 * (tcp_input.c) [T5]. */
		uint32_t e = rte_cpu_to_be_32(atomic_load_explicit(&c->ts_recent,
								   memory_order_acquire));
		memcpy(o + 4, &v, 4);
		memcpy(o + 8, &e, 4);
	}
}

void
tcp_hdr_finish(const struct tcp_conn *c, struct rte_mbuf *m, uint16_t tcp_hdr_len)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, TCP_IP_OFF);
	struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, TCP_TCP_OFF);

	ip->hdr_checksum = 0;
	th->cksum = 0;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = sizeof(*ip);
	m->l4_len = tcp_hdr_len;
	if (c->io->tx_cksum_offload) {
		m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
		th->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
		return;
	}
	m->ol_flags = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (m->nb_segs == 1)
		th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	else
		th->cksum = rte_ipv4_udptcp_cksum_mbuf(m, ip, TCP_TCP_OFF);
}

void
tcp_hdr_finish_tso(struct rte_mbuf *m, uint16_t tcp_hdr_len, uint16_t mss)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, TCP_IP_OFF);
	struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, TCP_TCP_OFF);

	ip->hdr_checksum = 0;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = sizeof(*ip);
	m->l4_len = tcp_hdr_len;
	m->tso_segsz = mss;
	/* TCP_SEG implies TCP_CKSUM (rte_mbuf_core.h); with it rte_ipv4_phdr_cksum leaves the
	 * length out of the pseudo header, since every segment has its own. */
	m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	th->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
}
