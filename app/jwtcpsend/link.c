#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "link.h"

int
link_start(struct link *l, uint16_t port_id, struct rte_mempool *pool, uint32_t ip_be,
	   uint32_t mtu, bool want_cksum_offload)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint64_t ck = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	int rc;

	memset(l, 0, sizeof(*l));
	memset(&conf, 0, sizeof(conf));
	l->port_id = port_id;
	l->pool = pool;
	l->ip_be = ip_be;
	l->txq_data = 0;
	l->txq_ctl = 1;
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0)
		return rc;
	if (want_cksum_offload && (info.tx_offload_capa & ck) == ck) {
		conf.txmode.offloads |= ck;
		l->cksum_offload = true;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	/* Two RX queues as well: net_af_packet's qpairs sockets share the traffic by a flow
	 * hash (PACKET_FANOUT), so every RX queue must be polled. */
	rc = rte_eth_dev_configure(port_id, LINK_RXQ, 2, &conf);
	if (rc != 0)
		return rc;
	(void)rte_eth_dev_set_mtu(port_id, (uint16_t)mtu);
	rc = 0;
	for (uint16_t q = 0; rc == 0 && q < LINK_RXQ; q++)
		rc = rte_eth_rx_queue_setup(port_id, q, 512, (unsigned)rte_eth_dev_socket_id(port_id),
					    NULL, pool);
	for (uint16_t q = 0; rc == 0 && q < 2; q++)
		rc = rte_eth_tx_queue_setup(port_id, q, 512, (unsigned)rte_eth_dev_socket_id(port_id),
					    NULL);
	if (rc != 0)
		return rc;
	rc = rte_eth_dev_start(port_id);
	if (rc != 0)
		return rc;
	(void)rte_eth_promiscuous_enable(port_id);
	return rte_eth_macaddr_get(port_id, &l->mac);
}

void
link_stop(struct link *l)
{
	(void)rte_eth_dev_stop(l->port_id);
	(void)rte_eth_dev_close(l->port_id);
}

static void
send_ctl(struct link *l, struct rte_mbuf *m)
{
	if (rte_eth_tx_burst(l->port_id, l->txq_ctl, &m, 1) != 1)
		rte_pktmbuf_free(m);
}

int
link_arp_request(struct link *l, uint32_t peer_ip_be)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(l->pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	if (m == NULL)
		return -ENOMEM;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	arp = (struct rte_arp_hdr *)(eth + 1);
	l->peer_ip_be = peer_ip_be;
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	eth->src_addr = l->mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	arp->arp_data.arp_sha = l->mac;
	arp->arp_data.arp_sip = l->ip_be;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = peer_ip_be;
	send_ctl(l, m);
	return 0;
}

static bool
arp_input(struct link *l, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	if (m->data_len < sizeof(*eth) + sizeof(*arp) ||
	    arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return false;
	l->arp_in++;
	if (arp->arp_data.arp_sip == l->peer_ip_be && l->peer_ip_be != 0) {
		l->peer_mac = arp->arp_data.arp_sha;
		l->peer_known = true;
	}
	if (arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) &&
	    arp->arp_data.arp_tip == l->ip_be) {
		/* Answer in place. */
		arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
		arp->arp_data.arp_tha = arp->arp_data.arp_sha;
		arp->arp_data.arp_tip = arp->arp_data.arp_sip;
		arp->arp_data.arp_sha = l->mac;
		arp->arp_data.arp_sip = l->ip_be;
		eth->dst_addr = eth->src_addr;
		eth->src_addr = l->mac;
		send_ctl(l, m);
		return true;
	}
	rte_pktmbuf_free(m);
	return true;
}

static bool
icmp_input(struct link *l, struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
{
	uint32_t ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint32_t tmp;

	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ip->dst_addr != l->ip_be)
		return false;
	l->icmp_in++;
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, rte_be_to_cpu_16(ip->total_length) - ihl);
	tmp = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = tmp;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = l->mac;
	m->ol_flags = 0;
	send_ctl(l, m);
	return true;
}

uint16_t
link_rx(struct link *l, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t got = 0;

	for (uint16_t q = 0; q < LINK_RXQ && got < n; q++)
		got = (uint16_t)(got + rte_eth_rx_burst(l->port_id, q, pkts + got, (uint16_t)(n - got)));
	return got;
}

bool
link_is_tcp(const struct link *l, const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);

	return m->data_len >= sizeof(*eth) + sizeof(*ip) &&
	       eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) &&
	       ip->next_proto_id == IPPROTO_TCP && ip->dst_addr == l->ip_be;
}

bool
link_input(struct link *l, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	if (m->data_len >= sizeof(*eth) && eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
		if (arp_input(l, m))
			return true;
	} else if (m->data_len >= sizeof(*eth) + sizeof(struct rte_ipv4_hdr) + 8 &&
		   eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
		if (ip->next_proto_id == IPPROTO_ICMP && icmp_input(l, m, ip))
			return true;
	}
	l->other_in++;
	rte_pktmbuf_free(m);
	return false;
}
