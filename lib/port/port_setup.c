/* Opening a port from the configuration: pool, queues, offloads, MTU, fault stage, start. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "port/fault.h"
#include "port/port.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

#define MBUF_CACHE 256
#define TX_CKSUM (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM)
#define RX_CKSUM (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM)

/* Seeds per queue and direction, so each queue draws its own reproducible stream. */
static uint64_t
fault_seed(uint64_t seed, int tx, uint16_t q)
{
	return seed ^ ((uint64_t)tx << 63) ^ ((uint64_t)q * 0x9E3779B97F4A7C15ull);
}

static int
find_port(const struct jw_config *c, uint16_t *pid)
{
	char name[JW_CONFIG_STR_MAX];
	uint16_t id;

	if (c->port.vdev[0]) {
		snprintf(name, sizeof(name), "%s", c->port.vdev);
		name[strcspn(name, ",")] = '\0';
		return rte_eth_dev_get_port_by_name(name, pid);
	}
	/* PCI: the ethdev may be named by the full or the short address, and a device with
	 * several ports (mlx5) names them "<pci>_p<n>" or similar: match the device name. */
	if (rte_eth_dev_get_port_by_name(c->port.pci, pid) == 0)
		return 0;
	RTE_ETH_FOREACH_DEV(id) {
		struct rte_eth_dev_info info;
		const char *dn;
		size_t pl = strlen(c->port.pci), dl;

		if (rte_eth_dev_info_get(id, &info) != 0 || !info.device)
			continue;
		dn = rte_dev_name(info.device);
		dl = strlen(dn);
		if (strcmp(dn, c->port.pci) == 0 ||
		    (dl > pl && strcmp(dn + dl - pl, c->port.pci) == 0 && dn[dl - pl - 1] == ':')) {
			*pid = id;
			return 0;
		}
	}
	return -ENODEV;
}

/* auto: take it when offered; on: required; off: never. Returns 1/0, or -1 if required
 * and missing. */
static int
want(enum jw_tristate t, uint64_t capa, uint64_t bits)
{
	bool has = (capa & bits) == bits;

	if (t == JW_OFF)
		return 0;
	if (t == JW_ON && !has)
		return -1;
	return has;
}

struct jw_port *
jw_port_open(const struct jw_config *c, char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_txconf txc;
	struct rte_eth_rxconf rxc;
	struct jw_port *p;
	uint16_t pid, nrx = (uint16_t)c->port.rx_queues, ntx = (uint16_t)c->port.tx_queues;
	uint16_t rxd = (uint16_t)c->port.rx_desc, txd = (uint16_t)c->port.tx_desc;
	const char *what = c->port.vdev[0] ? "vdev" : "pci";
	const char *dev = c->port.vdev[0] ? c->port.vdev : c->port.pci;
	char pool_name[RTE_MEMPOOL_NAMESIZE];
	uint32_t room;
	int r, csum, tso;
	bool started = false, configured = false;

	p = rte_zmalloc("jw_port", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (!p) {
		snprintf(err, errlen, "out of memory for the port");
		return NULL;
	}
	if (find_port(c, &pid) != 0)
		FAIL("%s: [port] %s = \"%s\": no such DPDK port (is the device present and its "
		     "driver loaded?)", c->path, what, dev);
	p->port_id = pid;
	rte_eth_dev_get_name_by_port(pid, p->name);
	r = rte_eth_dev_info_get(pid, &info);
	if (r != 0)
		FAIL("%s: [port] %s: cannot query the device: %s", c->path, what, strerror(-r));
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	if (nrx > info.max_rx_queues)
		FAIL("%s: [port] rx_queues = %u: the device has at most %u", c->path, nrx,
		     info.max_rx_queues);
	if (ntx > info.max_tx_queues)
		FAIL("%s: [port] tx_queues = %u: the device has at most %u", c->path, ntx,
		     info.max_tx_queues);
	if (strstr(info.driver_name, "af_packet") && nrx != info.max_rx_queues)
		FAIL("%s: [port] rx_queues = %u: the af_packet vdev has qpairs=%u and each "
		     "qpair receives a share of the traffic; rx_queues must equal qpairs",
		     c->path, nrx, info.max_rx_queues);
	if (c->port.mtu > info.max_mtu || c->port.mtu < info.min_mtu)
		FAIL("%s: [port] mtu = %u: the device allows %u..%u", c->path, c->port.mtu,
		     info.min_mtu, info.max_mtu);

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mtu = c->port.mtu;
	csum = want(c->port.checksum_offload, info.tx_offload_capa, TX_CKSUM);
	if (csum < 0)
		FAIL("%s: [port] checksum_offload = on: %s cannot offload IPv4/TCP checksums",
		     c->path, info.driver_name);
	tso = want(c->port.tso, info.tx_offload_capa, RTE_ETH_TX_OFFLOAD_TCP_TSO);
	if (tso < 0)
		FAIL("%s: [port] tso = on: %s has no TCP segmentation offload", c->path,
		     info.driver_name);
	if (tso && !csum)
		tso = 0; /* TSO needs the device to fill the checksums of every segment */
	if (csum)
		conf.txmode.offloads |= TX_CKSUM;
	if (tso)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (c->port.checksum_offload != JW_OFF && (info.rx_offload_capa & RX_CKSUM) == RX_CKSUM)
		conf.rxmode.offloads |= RX_CKSUM;
	if (nrx > 1 && info.flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP) &
						   info.flow_type_rss_offloads;
	}
	r = rte_eth_dev_configure(pid, nrx, ntx, &conf);
	if (r != 0)
		FAIL("%s: [port] %s = \"%s\": configure failed (%u RX, %u TX queues): %s", c->path,
		     what, dev, nrx, ntx, strerror(-r));
	configured = true;
	r = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
	if (r != 0)
		FAIL("%s: [port] rx_desc/tx_desc: %s", c->path, strerror(-r));

	/* Room for a full frame in one mbuf, so received packets are never chained. */
	room = JW_MAX((uint32_t)RTE_MBUF_DEFAULT_DATAROOM,
		      c->port.mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 2 * RTE_VLAN_HLEN);
	snprintf(pool_name, sizeof(pool_name), "jw_mbuf_p%u", pid);
	p->pool = rte_pktmbuf_pool_create(pool_name, c->port.mbufs, MBUF_CACHE, 0,
					  (uint16_t)(room + RTE_PKTMBUF_HEADROOM),
					  (int)rte_eth_dev_socket_id(pid));
	if (!p->pool)
		FAIL("%s: [port] mbufs = %u: cannot create the mbuf pool (%s); lower mbufs or "
		     "raise [eal] memory_mb", c->path, c->port.mbufs, rte_strerror(rte_errno));
	if (c->port.mbufs < (uint32_t)nrx * rxd + (uint32_t)ntx * txd + 2 * MBUF_CACHE)
		FAIL("%s: [port] mbufs = %u: fewer than the descriptors need (%u)", c->path,
		     c->port.mbufs, (uint32_t)nrx * rxd + (uint32_t)ntx * txd + 2 * MBUF_CACHE);
	p->mbuf_data_room = room;

	rxc = info.default_rxconf;
	rxc.offloads = conf.rxmode.offloads;
	for (uint16_t q = 0; q < nrx; q++) {
		r = rte_eth_rx_queue_setup(pid, q, rxd, (unsigned int)rte_eth_dev_socket_id(pid),
					   &rxc, p->pool);
		if (r != 0)
			FAIL("%s: [port] rx_queues: RX queue %u setup failed: %s", c->path, q,
			     strerror(-r));
		p->rxq[q].port_id = pid;
		p->rxq[q].qid = q;
		jw_fault_init(&p->rxq[q].fault, c->fault.rx_drop, c->fault.rx_dup,
			      c->fault.rx_reorder, fault_seed(c->fault.seed, 0, q));
	}
	txc = info.default_txconf;
	txc.offloads = conf.txmode.offloads;
	for (uint16_t q = 0; q < ntx; q++) {
		r = rte_eth_tx_queue_setup(pid, q, txd, (unsigned int)rte_eth_dev_socket_id(pid),
					   &txc);
		if (r != 0)
			FAIL("%s: [port] tx_queues: TX queue %u setup failed: %s", c->path, q,
			     strerror(-r));
		p->txq[q].port_id = pid;
		p->txq[q].qid = q;
		jw_fault_init(&p->txq[q].fault, c->fault.tx_drop, c->fault.tx_dup,
			      c->fault.tx_reorder, fault_seed(c->fault.seed, 1, q));
	}
	p->n_rxq = nrx;
	p->n_txq = ntx;
	p->fault_enabled = p->rxq[0].fault.enabled || p->txq[0].fault.enabled;
	p->tx_offloads = conf.txmode.offloads;
	p->tx_cksum_offload = csum > 0;
	p->tx_tso = tso > 0;
	p->tx_multi_seg = (conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
	p->tx_seg_max = p->tx_multi_seg ? info.tx_desc_lim.nb_seg_max : 1;
	p->rx_cksum_offload = (conf.rxmode.offloads & RX_CKSUM) == RX_CKSUM;

	r = rte_eth_dev_start(pid);
	if (r != 0)
		FAIL("%s: [port] %s = \"%s\": start failed: %s", c->path, what, dev,
		     strerror(-r));
	started = true;
	{
		uint16_t mtu = 0;

		if (rte_eth_dev_get_mtu(pid, &mtu) == 0 && mtu != c->port.mtu) {
			r = rte_eth_dev_set_mtu(pid, (uint16_t)c->port.mtu);
			if (r != 0)
				FAIL("%s: [port] mtu = %u: the device is at %u and refused: %s",
				     c->path, c->port.mtu, mtu, strerror(-r));
		}
	}
	p->mtu = c->port.mtu;
	r = rte_eth_macaddr_get(pid, &p->mac);
	if (r != 0)
		FAIL("%s: [port] %s: no MAC address: %s", c->path, what, strerror(-r));
	return p;

fail:
	if (started)
		rte_eth_dev_stop(pid);
	if (configured)
		rte_eth_dev_close(pid);
	if (p->pool)
		rte_mempool_free(p->pool);
	rte_free(p);
	return NULL;
}

void
jw_port_close(struct jw_port *p)
{
	if (!p)
		return;
	rte_eth_dev_stop(p->port_id);
	for (uint16_t q = 0; q < p->n_txq; q++)
		jw_fault_discard(&p->txq[q].fault);
	for (uint16_t q = 0; q < p->n_rxq; q++) {
		struct jw_port_queue *rq = &p->rxq[q];

		jw_fault_discard(&rq->fault);
		rte_pktmbuf_free_bulk(rq->stash + rq->stash_head, rq->stash_n);
		rq->stash_n = 0;
	}
	rte_eth_dev_close(p->port_id);
	rte_mempool_free(p->pool);
	rte_free(p);
}
