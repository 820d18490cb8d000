/* ARP: the table, requests, replies, and resolution with retries. */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>

#include "net/net.h"
#include "net/net_priv.h"
#include "common/jw_atomic.h"

static struct jw_arp_entry *
find(struct jw_net *n, uint32_t ip_be)
{
	for (int i = 0; i < JW_ARP_MAX; i++)
		if (n->arp[i].state != JW_ARP_FREE && n->arp[i].ip_be == ip_be)
			return &n->arp[i];
	return NULL;
}

/* A free slot, or the oldest unreachable one. */
static struct jw_arp_entry *
alloc(struct jw_net *n, uint32_t ip_be)
{
	struct jw_arp_entry *victim = NULL;

	for (int i = 0; i < JW_ARP_MAX; i++) {
		struct jw_arp_entry *e = &n->arp[i];

		if (e->state == JW_ARP_FREE) {
			victim = e;
			break;
		}
		if (e->state == JW_ARP_UNREACHABLE && (!victim || e->next_ns < victim->next_ns))
			victim = e;
	}
	if (victim) {
		memset(victim, 0, sizeof(*victim));
		victim->ip_be = ip_be;
	}
	return victim;
}

int
jw_arp_lookup(const struct jw_net *n, uint32_t ip_be, struct rte_ether_addr *mac)
{
	for (int i = 0; i < JW_ARP_MAX; i++)
		if (n->arp[i].state == JW_ARP_RESOLVED && n->arp[i].ip_be == ip_be) {
			*mac = n->arp[i].mac;
			return 0;
		}
	return -ENOENT;
}

static struct rte_mbuf *
arp_frame(struct jw_net *n, struct rte_mempool *pool, uint16_t op,
	  const struct rte_ether_addr *eth_dst, const struct rte_ether_addr *tha,
	  uint32_t tip_be)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *e;
	struct rte_arp_hdr *a;

	if (!m)
		return NULL;
	e = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*e) + sizeof(*a));
	if (!e) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	a = (struct rte_arp_hdr *)(e + 1);
	jw_eth_fill(e, &n->mac, eth_dst, RTE_ETHER_TYPE_ARP);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(&n->mac, &a->arp_data.arp_sha);
	a->arp_data.arp_sip = n->ip_be;
	rte_ether_addr_copy(tha, &a->arp_data.arp_tha);
	a->arp_data.arp_tip = tip_be;
	m->l2_len = sizeof(*e);
	return m;
}

struct rte_mbuf *
jw_arp_request(struct jw_net *n, struct rte_mempool *pool, uint32_t target_be)
{
	static const struct rte_ether_addr bcast = {
		.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	static const struct rte_ether_addr zero = { .addr_bytes = { 0 } };
	struct rte_mbuf *m = arp_frame(n, pool, RTE_ARP_OP_REQUEST, &bcast, &zero, target_be);

	if (m)
		jw_stat_add(&n->st.tx_arp_request, 1);
	return m;
}

int
jw_arp_resolve(struct jw_net *n, uint32_t ip_be, uint64_t now_ns, struct rte_mempool *pool,
	       struct rte_ether_addr *mac, struct rte_mbuf **req)
{
	struct jw_arp_entry *e = find(n, ip_be);

	*req = NULL;
	if (e && e->state == JW_ARP_RESOLVED) {
		*mac = e->mac;
		return 0;
	}
	if (!e) {
		e = alloc(n, ip_be);
		if (!e)
			return -ENOSPC;
		e->state = JW_ARP_PENDING;
		e->next_ns = now_ns;
	}
	if (e->state == JW_ARP_UNREACHABLE) {
		if (now_ns < e->next_ns)
			return -EHOSTUNREACH;
		e->state = JW_ARP_PENDING; /* a new round */
		e->tries = 0;
		e->next_ns = now_ns;
	}
	if (now_ns >= e->next_ns) {
		if (e->tries >= JW_ARP_TRIES) {
			e->state = JW_ARP_UNREACHABLE;
			e->next_ns = now_ns + JW_ARP_HOLD_NS;
			return -EHOSTUNREACH;
		}
		*req = jw_arp_request(n, pool, ip_be);
		if (!*req)
			return -ENOMEM;
		e->tries++;
		e->next_ns = now_ns + JW_ARP_RETRY_NS;
	}
	return -EAGAIN;
}

/* Learn sender (ip, mac): refresh an existing entry; add one only when `add`. */
static void
learn(struct jw_net *n, uint32_t ip_be, const struct rte_ether_addr *mac, int add,
      uint64_t now_ns)
{
	struct jw_arp_entry *e = find(n, ip_be);

	if (!e && add)
		e = alloc(n, ip_be);
	if (!e)
		return;
	e->mac = *mac;
	e->state = JW_ARP_RESOLVED;
	e->tries = 0;
	e->updated_ns = now_ns;
}

struct rte_mbuf *
jw_arp_input(struct jw_net *n, struct rte_mbuf *m, struct rte_mempool *pool, uint64_t now_ns)
{
	const struct rte_arp_hdr *a;
	struct rte_ether_addr sha;
	uint32_t sip, tip;
	uint16_t op;
	struct rte_mbuf *reply = NULL;

	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr) + sizeof(*a))
		goto bad;
	a = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
	if (a->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    a->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    a->arp_hlen != RTE_ETHER_ADDR_LEN || a->arp_plen != 4)
		goto bad;
	op = rte_be_to_cpu_16(a->arp_opcode);
	sha = a->arp_data.arp_sha;
	sip = a->arp_data.arp_sip;
	tip = a->arp_data.arp_tip;
	if (!rte_is_unicast_ether_addr(&sha) || sip == 0 || sip == n->ip_be)
		goto bad;
	if (op == RTE_ARP_OP_REQUEST) {
		jw_stat_add(&n->st.rx_arp_request, 1);
		learn(n, sip, &sha, tip == n->ip_be, now_ns);
		if (tip == n->ip_be) {
			reply = arp_frame(n, pool, RTE_ARP_OP_REPLY, &sha, &sha, sip);
			if (reply)
				jw_stat_add(&n->st.tx_arp_reply, 1);
			else
				jw_stat_add(&n->st.drop[JW_DROP_NOMEM], 1);
		}
	} else if (op == RTE_ARP_OP_REPLY) {
		jw_stat_add(&n->st.rx_arp_reply, 1);
		/* Replies are learned only for addresses we asked about (in the table). */
		learn(n, sip, &sha, 0, now_ns);
	} else {
		goto bad;
	}
	rte_pktmbuf_free(m);
	return reply;
bad:
	jw_stat_add(&n->st.drop[JW_DROP_ARP_BAD], 1);
	rte_pktmbuf_free(m);
	return NULL;
}
