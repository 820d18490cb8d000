/* jwtcpsend's link layer: one DPDK port with a TX queue for the TX lcore and one for the
 * control lcore, our IPv4 address, ARP (answer requests for us, resolve the peer) and
 * ICMP echo replies. */
#ifndef JW_TCPSEND_LINK_H
#define JW_TCPSEND_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

struct link {
	uint16_t port_id;
	struct rte_mempool *pool;
	struct rte_ether_addr mac;
	uint32_t ip_be;
	bool cksum_offload;
	uint16_t txq_data;   /* the TX lcore's queue */
	uint16_t txq_ctl;    /* the control lcore's queue */
	/* the one neighbour we talk to */
	uint32_t peer_ip_be;
	struct rte_ether_addr peer_mac;
	bool peer_known;
	uint64_t arp_in, icmp_in, other_in;
};

#define LINK_RXQ 2

/* Receives from every RX queue (the control lcore). */
uint16_t link_rx(struct link *l, struct rte_mbuf **pkts, uint16_t n);
/* Starts port_id with 2 RX and 2 TX queues. Returns 0 or a negative errno. */
int link_start(struct link *l, uint16_t port_id, struct rte_mempool *pool, uint32_t ip_be,
	       uint32_t mtu, bool want_cksum_offload);
void link_stop(struct link *l);
/* Handles a non-TCP frame (ARP, ICMP echo); consumes m. Returns true if it was ours. */
bool link_input(struct link *l, struct rte_mbuf *m);
/* Sends an ARP request for peer_ip_be from the control queue. */
int link_arp_request(struct link *l, uint32_t peer_ip_be);
/* True when m is IPv4/TCP addressed to us (tcp_input takes it). */
bool link_is_tcp(const struct link *l, const struct rte_mbuf *m);

#endif
