/* Internal to lib/net. */
#ifndef JW_NET_PRIV_H
#define JW_NET_PRIV_H

#include "net/net.h"

/* Consume an ARP frame; return a reply to send, or NULL. */
struct rte_mbuf *jw_arp_input(struct jw_net *n, struct rte_mbuf *m, struct rte_mempool *pool,
			      uint64_t now_ns);

/* Consume an ICMP frame; return the echo reply (m rewritten in place), or NULL. */
struct rte_mbuf *jw_icmp_input(struct jw_net *n, struct rte_mbuf *m);

#endif /* JW_NET_PRIV_H */
