/* The control lcore loop (see ctl.h). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ether.h>

#include "common/jw_time.h"
#include "ctl.h"
#include "lcore_sched.h"
#include "log.h"

#define RX_BURST 32

int
jw_ctl_init(struct jw_ctl *ctl, const struct jw_config *c, struct jw_port *p,
	    atomic_bool *stop)
{
	int r;

	memset(ctl, 0, sizeof(*ctl));
	ctl->cfg = c;
	ctl->port = p;
	ctl->stop = stop;
	ctl->txq = jw_port_ctl_txq(c);
	r = jw_net_init(&ctl->net, &p->mac, c->net.addr.addr_be, c->net.addr.len,
			c->net.gateway_be);
	if (r < 0)
		return r;
	for (uint32_t i = 0; i < c->nats.n_servers; i++) {
		struct jw_ctl_target *t = &ctl->targets[i];

		t->ip_be = c->nats.servers[i].ip_be;
		r = jw_net_next_hop(&ctl->net, t->ip_be, &t->hop_be);
		if (r < 0)
			return -EINVAL;
	}
	ctl->n_targets = c->nats.n_servers;
	return 0;
}

void
jw_ctl_set_tcp_input(struct jw_ctl *ctl, jw_ctl_tcp_input_fn fn, void *arg)
{
	ctl->tcp_input = fn;
	ctl->tcp_arg = arg;
}

void
jw_ctl_set_poll(struct jw_ctl *ctl, jw_ctl_poll_fn fn, void *arg)
{
	ctl->poll = fn;
	ctl->poll_arg = arg;
}

void
jw_ctl_tx(struct jw_ctl *ctl, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t k = jw_port_tx_burst(ctl->port, ctl->txq, pkts, n);

	if (k < n) {
		rte_pktmbuf_free_bulk(pkts + k, (unsigned int)(n - k));
		ctl->tx_dropped += (uint64_t)(n - k);
	}
}

int
jw_ctl_server_mac(struct jw_ctl *ctl, uint32_t ip_be, struct rte_ether_addr *mac)
{
	struct jw_ctl_target *t;
	uint32_t i;

	for (i = 0; i < ctl->n_targets; i++)
		if (ctl->targets[i].ip_be == ip_be)
			break;
	if (i == ctl->n_targets) {
		if (i == JW_CTL_TARGETS_MAX)
			return -EHOSTUNREACH;
		t = &ctl->targets[i];
		memset(t, 0, sizeof(*t));
		t->ip_be = ip_be;
		if (jw_net_next_hop(&ctl->net, ip_be, &t->hop_be) < 0)
			return -EHOSTUNREACH;
		ctl->n_targets++;  /* resolve_targets asks ARP from the next iteration on */
	}
	if (!ctl->targets[i].resolved)
		return -EAGAIN;
	*mac = ctl->targets[i].mac;
	return 0;
}

static void
ip_str(uint32_t ip_be, char *buf, size_t len)
{
	const uint8_t *b = (const uint8_t *)&ip_be;

	snprintf(buf, len, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
}

/* Keep resolving every server's next hop; log each first resolution, MAC change and
 * unreachable verdict. Returns the work done (frames sent). */
static unsigned int
resolve_targets(struct jw_ctl *ctl, uint64_t now)
{
	unsigned int work = 0;

	for (uint32_t i = 0; i < ctl->n_targets; i++) {
		struct jw_ctl_target *t = &ctl->targets[i];
		struct rte_ether_addr mac;
		struct rte_mbuf *req;
		char ip[16], hop[16], mb[RTE_ETHER_ADDR_FMT_SIZE];
		int r = jw_arp_resolve(&ctl->net, t->hop_be, now, ctl->port->pool, &mac, &req);

		if (req) {
			jw_ctl_tx(ctl, &req, 1);
			work++;
		}
		ip_str(t->ip_be, ip, sizeof(ip));
		ip_str(t->hop_be, hop, sizeof(hop));
		if (r == 0 && (!t->resolved || !rte_is_same_ether_addr(&mac, &t->mac))) {
			rte_ether_format_addr(mb, sizeof(mb), &mac);
			if (t->hop_be == t->ip_be)
				JW_LOG(INFO, "resolved %s is at %s", ip, mb);
			else
				JW_LOG(INFO, "resolved gateway %s (for %s) is at %s", hop, ip, mb);
			t->mac = mac;
			t->resolved = 1;
			t->reported_unreachable = 0;
		} else if (r == -EHOSTUNREACH && !t->reported_unreachable) {
			JW_LOG(WARNING, "no ARP answer from %s (next hop of %s) after %d tries; "
			       "retrying", hop, ip, JW_ARP_TRIES);
			t->reported_unreachable = 1;
		}
	}
	return work;
}

static unsigned int
poll_rx(struct jw_ctl *ctl, uint64_t now)
{
	struct rte_mbuf *rx[RX_BURST], *tx[RX_BURST];
	unsigned int work = 0;

	for (uint16_t q = 0; q < ctl->port->n_rxq; q++) {
		uint16_t n = jw_port_rx_burst(ctl->port, q, rx, RX_BURST), ntx = 0;

		work += n;
		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = rx[i], *reply;

			switch (jw_net_classify(&ctl->net, m, NULL)) {
			case JW_RX_ARP:
			case JW_RX_ICMP:
				reply = jw_net_input(&ctl->net, m, ctl->port->pool, now);
				if (reply)
					tx[ntx++] = reply;
				break;
			case JW_RX_TCP:
				if (ctl->tcp_input) {
					ctl->tcp_input(ctl->tcp_arg, m);
				} else {
					jw_stat_add(&ctl->net.st.drop[JW_DROP_NO_TCP], 1);
					rte_pktmbuf_free(m);
				}
				break;
			case JW_RX_DROP:
				rte_pktmbuf_free(m);
				break;
			}
		}
		if (ntx)
			jw_ctl_tx(ctl, tx, ntx);
	}
	return work;
}

int
jw_ctl_run(void *arg)
{
	struct jw_ctl *ctl = arg;
	unsigned int idle_us = JW_CTL_IDLE_MIN_US;

	bool batch = ctl->cfg->cores.sched_batch == JW_ON; /* auto: engine_run.c */
	int rc = batch ? jw_lcore_sched_set(true) : 0;

	if (rc != 0)
		JW_LOG(WARNING, "control lcore %u: [cores] sched_batch: cannot use SCHED_BATCH "
		       "(%s); it keeps the default policy", rte_lcore_id(), strerror(-rc));
	JW_LOG(INFO, "control lcore %u polling %u RX queue(s), TX queue %u%s", rte_lcore_id(),
	       ctl->port->n_rxq, ctl->txq,
	       ctl->cfg->cores.sched_batch == JW_AUTO ? ", SCHED_BATCH while producers burst" :
	       batch && rc == 0 ? ", SCHED_BATCH" : "");
	while (!atomic_load_explicit(ctl->stop, memory_order_relaxed)) {
		uint64_t now = jw_mono_ns();
		unsigned int work = poll_rx(ctl, now);

		work += resolve_targets(ctl, now);
		if (ctl->poll)
			work += ctl->poll(ctl->poll_arg, now);
		ctl->loops++;
		if (work) {
			idle_us = JW_CTL_IDLE_MIN_US;
			continue;
		}
		/* Idle: a reply the reorder fault holds back goes out now, late but not lost. */
		jw_port_tx_flush(ctl->port, ctl->txq);
		/* Idle: sleep, doubling up to JW_CTL_IDLE_MAX_US, so a 2-CPU host stays usable. */
		rte_delay_us_sleep(idle_us);
		ctl->idle_sleeps++;
		idle_us = JW_MIN(idle_us * 2, (unsigned int)JW_CTL_IDLE_MAX_US);
	}
	return 0;
}
