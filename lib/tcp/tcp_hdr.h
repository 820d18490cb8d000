/* Building and finishing outgoing headers (TX lcore only; internal to lib/tcp). */
#ifndef JW_TCP_HDR_H
#define JW_TCP_HDR_H

#include <rte_ip.h>
#include <rte_tcp.h>

#include "tcp/tcp-t.h"

#define TCP_IP_OFF  RTE_ETHER_HDR_LEN
#define TCP_TCP_OFF (RTE_ETHER_HDR_LEN + (uint16_t)sizeof(struct rte_ipv4_hdr))

/* Writes Ethernet + IPv4 + TCP headers with the given TCP options into buf (>= TCP_HDR_MAX
 * bytes) for a segment of payload_len bytes; returns the header length. Checksums are
 * left zero (tcp_hdr_finish fills them). optlen must be a multiple of 4 and <= 40. */
uint16_t tcp_hdr_write(const struct tcp_conn *c, uint8_t *buf, const uint8_t *opts,
		       uint16_t optlen);

/* Patches a copy of the connection template at hdr (t_hdr_len bytes) for one segment:
 * flags, seq, ack = rcv_nxt, window, timestamps, IPv4 total length and id. */
void tcp_hdr_patch(struct tcp_conn *c, uint8_t *hdr, uint8_t flags, uint32_t seq,
		   uint32_t payload_len, uint64_t now_ns);

/* Sets the IPv4 and TCP checksums of the packet m (headers at its data start, payload
 * possibly chained): as offload flags when the port computes them, else in software with
 * the rte_net helpers. */
void tcp_hdr_finish(const struct tcp_conn *c, struct rte_mbuf *m, uint16_t tcp_hdr_len);

/* Marks the packet m (headers at its data start, payload chained) for TCP segmentation
 * offload: l2/l3/l4 lengths, tso_segsz = mss, RTE_MBUF_F_TX_TCP_SEG | IPV4 | IP_CKSUM, and
 * the pseudo-header checksum without the length (rte_ipv4_phdr_cksum with the TSO flag),
 * as the device fills in each segment's own. Only for ports with TSO enabled. */
void tcp_hdr_finish_tso(struct rte_mbuf *m, uint16_t tcp_hdr_len, uint16_t mss);

/* Our advertised window field value (rcv_buf scaled, capped to 16 bits). */
static inline uint16_t
tcp_adv_window(const struct tcp_conn *c, uint8_t shift)
{
	uint32_t w = c->p.rcv_buf >> shift;

	return (uint16_t)(w > 65535u ? 65535u : w);
}

static inline uint32_t
tcp_tsval(const struct tcp_conn *c, uint64_t now_ns)
{
	return (uint32_t)(now_ns / 1000000ull) + c->ts_offset;
}

#endif /* JW_TCP_HDR_H */
