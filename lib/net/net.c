/* Identity, classification of received frames, next hops. */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_icmp.h>

#include "net/net.h"
#include "net/net_priv.h"
#include "common/jw_atomic.h"

static const char *const drop_names[JW_DROP_REASONS] = {
	[JW_DROP_SHORT] = "short",
	[JW_DROP_NOT_US] = "not_us",
	[JW_DROP_ETHERTYPE] = "ethertype",
	[JW_DROP_IP_HDR] = "ip_header",
	[JW_DROP_FRAGMENT] = "fragment",
	[JW_DROP_PROTO] = "ip_proto",
	[JW_DROP_ARP_BAD] = "arp_bad",
	[JW_DROP_ICMP_OTHER] = "icmp_other",
	[JW_DROP_NO_TCP] = "no_tcp_consumer",
	[JW_DROP_NOMEM] = "nomem",
};

const char *
jw_drop_reason_str(enum jw_drop_reason r)
{
	return (unsigned int)r < JW_DROP_REASONS ? drop_names[r] : "?";
}

int
jw_net_init(struct jw_net *n, const struct rte_ether_addr *mac, uint32_t ip_be,
	    uint8_t prefix_len, uint32_t gateway_be)
{
	if (prefix_len < 1 || prefix_len > 32)
		return -EINVAL;
	memset(n, 0, sizeof(*n));
	n->mac = *mac;
	n->ip_be = ip_be;
	n->mask_be = rte_cpu_to_be_32(~0u << (32 - prefix_len));
	n->gateway_be = gateway_be;
	return 0;
}

int
jw_net_next_hop(const struct jw_net *n, uint32_t dst_be, uint32_t *hop_be)
{
	if ((dst_be & n->mask_be) == (n->ip_be & n->mask_be)) {
		*hop_be = dst_be;
		return 0;
	}
	if (!n->gateway_be)
		return -ENETUNREACH;
	*hop_be = n->gateway_be;
	return 0;
}

static enum jw_rx_class
drop(struct jw_net *n, enum jw_drop_reason why, enum jw_drop_reason *reason)
{
	jw_stat_add(&n->st.drop[why], 1);
	if (reason)
		*reason = why;
	return JW_RX_DROP;
}

enum jw_rx_class
jw_net_classify(struct jw_net *n, struct rte_mbuf *m, enum jw_drop_reason *reason)
{
	uint32_t len = rte_pktmbuf_data_len(m);
	const struct rte_ether_hdr *e;
	const struct rte_ipv4_hdr *ip;
	uint32_t ihl;
	bool good;

	if (len < sizeof(*e))
		return drop(n, JW_DROP_SHORT, reason);
	e = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (e->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
		if (!rte_is_broadcast_ether_addr(&e->dst_addr) &&
		    !rte_is_same_ether_addr(&e->dst_addr, &n->mac))
			return drop(n, JW_DROP_NOT_US, reason);
		return JW_RX_ARP;
	}
	if (e->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return drop(n, JW_DROP_ETHERTYPE, reason);
	if (!rte_is_same_ether_addr(&e->dst_addr, &n->mac))
		return drop(n, JW_DROP_NOT_US, reason);
	ip = (const struct rte_ipv4_hdr *)(e + 1);
	good = (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	ihl = jw_ipv4_hdr_check(ip, len - (uint32_t)sizeof(*e), good);
	if (ihl == 0)
		return drop(n, len < sizeof(*e) + sizeof(*ip) ? JW_DROP_SHORT : JW_DROP_IP_HDR,
			    reason);
	if (ip->dst_addr != n->ip_be)
		return drop(n, JW_DROP_NOT_US, reason);
	if (jw_ipv4_is_fragment(ip))
		return drop(n, JW_DROP_FRAGMENT, reason);
	/* Drop Ethernet padding beyond the IPv4 total length. */
	{
		uint32_t frame = (uint32_t)sizeof(*e) + rte_be_to_cpu_16(ip->total_length);

		if (frame < len)
			rte_pktmbuf_trim(m, (uint16_t)(len - frame));
	}
	switch (ip->next_proto_id) {
	case IPPROTO_ICMP:
		return JW_RX_ICMP;
	case IPPROTO_TCP:
		m->l2_len = sizeof(*e);
		m->l3_len = ihl;
		jw_stat_add(&n->st.rx_tcp, 1);
		return JW_RX_TCP;
	default:
		return drop(n, JW_DROP_PROTO, reason);
	}
}

struct rte_mbuf *
jw_icmp_input(struct jw_net *n, struct rte_mbuf *m)
{
	struct rte_ether_hdr *e = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(e + 1);
	uint32_t ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
	uint32_t icmp_len = rte_be_to_cpu_16(ip->total_length) - ihl;
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	uint32_t tmp;

	if (icmp_len < sizeof(*ic) || ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST ||
	    ic->icmp_code != 0 || rte_raw_cksum(ic, icmp_len) != 0xffff) {
		jw_stat_add(&n->st.drop[JW_DROP_ICMP_OTHER], 1);
		rte_pktmbuf_free(m);
		return NULL;
	}
	jw_stat_add(&n->st.rx_echo_request, 1);
	/* The reply is the request turned around: same id, sequence and payload. */
	rte_ether_addr_copy(&e->src_addr, &e->dst_addr);
	rte_ether_addr_copy(&n->mac, &e->src_addr);
	tmp = ip->src_addr;
	ip->src_addr = n->ip_be;
	ip->dst_addr = tmp;
	ip->time_to_live = JW_IPV4_TTL;
	ip->packet_id = rte_cpu_to_be_16(n->ip_id++);
	jw_ipv4_cksum_set(ip);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, icmp_len);
	m->ol_flags = 0;
	jw_stat_add(&n->st.tx_echo_reply, 1);
	return m;
}

struct rte_mbuf *
jw_net_input(struct jw_net *n, struct rte_mbuf *m, struct rte_mempool *pool, uint64_t now_ns)
{
	const struct rte_ether_hdr *e = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (e->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
		return jw_arp_input(n, m, pool, now_ns);
	return jw_icmp_input(n, m);
}
