/* Ethernet/ARP/IPv4/ICMP for the control lcore: classify a received frame, answer ARP for
 * our address and ICMP echo, and resolve next hops by ARP with retries.
 *
 * Threading: every call here runs on the control lcore only (struct jw_net is its
 * private state). Other lcores get what they need as copies (e.g. a resolved MAC copied
 * into a TCP endpoint). Counters may be read anywhere with jw_stat_read().
 *
 * Frames are mbufs with data at the Ethernet header, one segment (the port sizes mbufs for
 * a full frame).
 */
#ifndef JW_NET_H
#define JW_NET_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "net/ipv4.h"
#include "net/net-t.h"

/* Set our identity: MAC, IPv4 address/prefix length, optional gateway (0 = none), and
 * clear the ARP table and counters. Returns 0, or -EINVAL for prefix_len outside 1..32. */
int jw_net_init(struct jw_net *n, const struct rte_ether_addr *mac, uint32_t ip_be,
		uint8_t prefix_len, uint32_t gateway_be);

/* Classify a received frame without consuming it. Accepts: ARP (any, checked later),
 * IPv4 unicast to our address with a valid header (checksum checked in software unless
 * the NIC marked it good), not a fragment, protocol ICMP or TCP. For TCP, the packet's
 * l2_len/l3_len are set. On JW_RX_DROP the reason is counted and *reason set (may be NULL);
 * the caller frees the frame. */
enum jw_rx_class jw_net_classify(struct jw_net *n, struct rte_mbuf *m,
				 enum jw_drop_reason *reason);

/* Consume an ARP or ICMP frame (as classified). ARP: a request or reply from a host in our
 * table refreshes its MAC (RFC 826 merge); a request for our address also adds the sender
 * and is answered. ICMP: an echo request is answered. Returns a reply to transmit (the
 * frame itself rewritten in place, or a new mbuf from `pool`) or NULL; the input frame is
 * either returned as the reply or freed. */
struct rte_mbuf *jw_net_input(struct jw_net *n, struct rte_mbuf *m, struct rte_mempool *pool,
			      uint64_t now_ns);

/* The next hop for dst: dst itself when on our prefix, else the gateway. Returns 0, or
 * -ENETUNREACH when dst is off-link and there is no gateway. */
int jw_net_next_hop(const struct jw_net *n, uint32_t dst_be, uint32_t *hop_be);

/* Resolve ip (a next hop) to a MAC. Returns 0 with *mac set when resolved. Otherwise
 * starts or continues resolution and returns -EAGAIN; when an ARP request is due (at once,
 * then every JW_ARP_RETRY_NS) *req is set to a frame to transmit (else NULL). After
 * JW_ARP_TRIES unanswered requests it returns -EHOSTUNREACH for JW_ARP_HOLD_NS, then tries
 * again. -ENOSPC: the table is full; -ENOMEM: no mbuf for the request (retried next call). */
int jw_arp_resolve(struct jw_net *n, uint32_t ip_be, uint64_t now_ns,
		   struct rte_mempool *pool, struct rte_ether_addr *mac, struct rte_mbuf **req);

/* Look up ip in the table. Returns 0 and *mac when resolved, -ENOENT otherwise. */
int jw_arp_lookup(const struct jw_net *n, uint32_t ip_be, struct rte_ether_addr *mac);

/* Build an ARP request for target_be from pool (broadcast). NULL when the pool is empty. */
struct rte_mbuf *jw_arp_request(struct jw_net *n, struct rte_mempool *pool,
				uint32_t target_be);

/* Name of a drop reason, for logs and stats ("short", "not_us", ...). */
const char *jw_drop_reason_str(enum jw_drop_reason r);

#endif /* JW_NET_H */
