/* Ethernet/IPv4 header helpers (static inline: used on the hot path by TCP and ICMP).
 * Addresses are network byte order (*_be); lengths host order. */
#ifndef JW_NET_IPV4_H
#define JW_NET_IPV4_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

/* Fill an Ethernet header. */
static inline void
jw_eth_fill(struct rte_ether_hdr *e, const struct rte_ether_addr *src,
	    const struct rte_ether_addr *dst, uint16_t ether_type)
{
	rte_ether_addr_copy(dst, &e->dst_addr);
	rte_ether_addr_copy(src, &e->src_addr);
	e->ether_type = rte_cpu_to_be_16(ether_type);
}

/* Fill a 20-byte IPv4 header (no options, DF set) carrying payload_len bytes of proto.
 * The header checksum is left 0: call jw_ipv4_cksum_set(), or let the NIC fill it
 * (RTE_MBUF_F_TX_IP_CKSUM with l2_len/l3_len set). */
static inline void
jw_ipv4_fill(struct rte_ipv4_hdr *h, uint32_t src_be, uint32_t dst_be, uint8_t proto,
	     uint16_t payload_len, uint16_t id, uint8_t ttl)
{
	h->version_ihl = RTE_IPV4_VHL_DEF;
	h->type_of_service = 0;
	h->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*h) + payload_len));
	h->packet_id = rte_cpu_to_be_16(id);
	h->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	h->time_to_live = ttl;
	h->next_proto_id = proto;
	h->hdr_checksum = 0;
	h->src_addr = src_be;
	h->dst_addr = dst_be;
}

/* Compute and store the IPv4 header checksum in software (rte_ipv4_cksum). */
static inline void
jw_ipv4_cksum_set(struct rte_ipv4_hdr *h)
{
	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);
}

/* Check an IPv4 header that starts `avail` bytes before the end of the frame: version 4,
 * IHL >= 5, total length within avail and covering the header, checksum valid (skipped
 * when the NIC already verified it: pass cksum_good). Returns the header length in bytes,
 * or 0 when the header is bad. */
static inline uint32_t
jw_ipv4_hdr_check(const struct rte_ipv4_hdr *h, uint32_t avail, bool cksum_good)
{
	uint32_t ihl, tot;

	if (avail < sizeof(*h) || (h->version_ihl >> 4) != 4)
		return 0;
	ihl = (uint32_t)(h->version_ihl & 0xf) * 4;
	tot = rte_be_to_cpu_16(h->total_length);
	if (ihl < sizeof(*h) || ihl > avail || tot < ihl || tot > avail)
		return 0;
	if (!cksum_good && rte_raw_cksum(h, ihl) != 0xffff)
		return 0;
	return ihl;
}

/* Whether the IPv4 header is a fragment (MF set or a non-zero offset). */
static inline bool
jw_ipv4_is_fragment(const struct rte_ipv4_hdr *h)
{
	return (h->fragment_offset &
		rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
}

/* Software TCP/UDP checksum over the IPv4 pseudo-header and the L4 bytes (rte_ipv4_udptcp_cksum).
 * l4 must be contiguous. */
static inline uint16_t
jw_ipv4_l4_cksum(const struct rte_ipv4_hdr *h, const void *l4)
{
	return rte_ipv4_udptcp_cksum(h, l4);
}

#endif /* JW_NET_IPV4_H */
