/* Types of the Ethernet/ARP/IPv4/ICMP layer (see net.h and ipv4.h for the calls). */
#ifndef JW_NET_T_H
#define JW_NET_T_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "common/jw_common.h"

#define JW_ARP_MAX          32      /* ARP table entries */
#define JW_ARP_RETRY_NS     (500ull * 1000 * 1000)   /* between requests while pending */
#define JW_ARP_TRIES        6       /* requests before an address counts as unreachable */
#define JW_ARP_HOLD_NS      (3000ull * 1000 * 1000)  /* unreachable verdict lasts this long */
#define JW_IPV4_TTL         64

/* What a received frame is, for the control loop. */
enum jw_rx_class {
	JW_RX_DROP = 0,   /* not for us, or malformed: freed by the caller, reason counted */
	JW_RX_ARP,        /* ARP: hand to jw_net_input() */
	JW_RX_ICMP,       /* ICMP to our address: hand to jw_net_input() */
	JW_RX_TCP,        /* TCP to our address, IPv4 header checked: the TCP input's */
};

/* Why jw_net_classify() said JW_RX_DROP (index into jw_net_stats.drop). */
enum jw_drop_reason {
	JW_DROP_SHORT = 0,   /* shorter than the headers it claims */
	JW_DROP_NOT_US,      /* Ethernet or IPv4 destination is not ours */
	JW_DROP_ETHERTYPE,   /* neither IPv4 nor ARP (IPv6, LLDP, VLAN...) */
	JW_DROP_IP_HDR,      /* bad version, IHL, length or header checksum */
	JW_DROP_FRAGMENT,    /* IPv4 fragment: we never send anything that needs them */
	JW_DROP_PROTO,       /* IPv4 protocol other than ICMP and TCP */
	JW_DROP_ARP_BAD,     /* ARP that is not Ethernet/IPv4, or not for our address */
	JW_DROP_ICMP_OTHER,  /* ICMP other than echo request, or bad ICMP checksum */
	JW_DROP_NO_TCP,      /* TCP arrived but nothing consumes TCP yet */
	JW_DROP_NOMEM,       /* no mbuf for a reply */
	JW_DROP_REASONS
};

/* Counters of the control lcore (single writer; read with jw_stat_read()). */
struct jw_net_stats {
	uint64_t rx_arp_request, rx_arp_reply, tx_arp_request, tx_arp_reply;
	uint64_t rx_echo_request, tx_echo_reply;
	uint64_t rx_tcp;
	uint64_t drop[JW_DROP_REASONS];
};

enum jw_arp_state {
	JW_ARP_FREE = 0,
	JW_ARP_PENDING,      /* requests going out, no answer yet */
	JW_ARP_RESOLVED,
	JW_ARP_UNREACHABLE,  /* JW_ARP_TRIES requests unanswered; retried after JW_ARP_HOLD_NS */
};

struct jw_arp_entry {
	uint32_t ip_be;
	enum jw_arp_state state;
	struct rte_ether_addr mac;
	uint32_t tries;          /* requests sent in this round */
	uint64_t next_ns;        /* pending: next request; unreachable: next round */
	uint64_t updated_ns;     /* last time an ARP from this host confirmed the MAC */
};

/* Our identity on the link, the ARP table and the counters. Written by the control lcore
 * only; no other thread may read the table (copy a MAC out instead). */
struct jw_net {
	struct rte_ether_addr mac;
	uint32_t ip_be;
	uint32_t mask_be;
	uint32_t gateway_be;     /* 0 = none */
	uint16_t ip_id;          /* IPv4 identification for what we originate */
	struct jw_arp_entry arp[JW_ARP_MAX];
	struct jw_net_stats st;
};

#endif /* JW_NET_T_H */
