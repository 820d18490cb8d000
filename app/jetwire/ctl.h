/* The control lcore of jetwire (app/jetwire): polls every RX queue, answers ARP and ping,
 * resolves the next hops of the NATS servers by ARP, and hands TCP segments for us to
 * whoever registered for them.
 *
 * Hooks for the TCP and engine code (register before jw_ctl_run() starts, from the main
 * thread; they are then called on the control lcore only):
 *
 *   jw_ctl_set_tcp_input(ctl, fn, arg)
 *       fn(arg, m) receives every frame classified JW_RX_TCP (IPv4 to our address, header
 *       and checksum checked, not a fragment; m->l2_len/l3_len set, data at the Ethernet
 *       header) and consumes it (frees or keeps it), e.g. a wrapper around tcp_input().
 *       Without a hook such frames are freed and counted (drop reason no_tcp_consumer).
 *
 *   jw_ctl_set_poll(ctl, fn, arg)
 *       fn(arg, now_ns) runs once per loop iteration after RX and ARP work; it returns how
 *       much work it did (0 = idle), which drives the idle back-off.
 *
 * From the hooks the engine may transmit on the control TX queue with jw_ctl_tx(), look
 * up resolved MACs with jw_ctl_server_mac(), and read the identity in ctl->net.
 */
#ifndef JW_APP_CTL_H
#define JW_APP_CTL_H

#include <stdatomic.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "config/config-t.h"
#include "net/net.h"
#include "port/port.h"

typedef void (*jw_ctl_tcp_input_fn)(void *arg, struct rte_mbuf *m);
typedef unsigned int (*jw_ctl_poll_fn)(void *arg, uint64_t now_ns);

#define JW_CTL_IDLE_MIN_US 10
#define JW_CTL_TARGETS_MAX 16
#define JW_CTL_IDLE_MAX_US 500

struct jw_ctl_target {
	uint32_t ip_be;          /* the server */
	uint32_t hop_be;         /* its next hop (itself, or the gateway) */
	struct rte_ether_addr mac;
	int resolved;
	int reported_unreachable;
};

struct jw_ctl {
	const struct jw_config *cfg;
	struct jw_port *port;
	uint16_t txq;                        /* the control lcore's TX queue */
	struct jw_net net;
	atomic_bool *stop;                   /* set by the signal handler */
	jw_ctl_tcp_input_fn tcp_input;
	void *tcp_arg;
	jw_ctl_poll_fn poll;
	void *poll_arg;
	struct jw_ctl_target targets[JW_CTL_TARGETS_MAX]; /* configured, then discovered */
	uint32_t n_targets;
	uint64_t loops, idle_sleeps;         /* control lcore's counters */
	uint64_t tx_dropped;                 /* replies the TX queue refused */
};

/* Prepare the control state for port p and config c. Returns 0 or -EINVAL (a server
 * without a route: checked by the config already, so only on inconsistent input). */
int jw_ctl_init(struct jw_ctl *ctl, const struct jw_config *c, struct jw_port *p,
		atomic_bool *stop);

void jw_ctl_set_tcp_input(struct jw_ctl *ctl, jw_ctl_tcp_input_fn fn, void *arg);
void jw_ctl_set_poll(struct jw_ctl *ctl, jw_ctl_poll_fn fn, void *arg);

/* Transmit n frames on the control TX queue; frames the device refuses are freed and
 * counted. Control lcore only. */
void jw_ctl_tx(struct jw_ctl *ctl, struct rte_mbuf **pkts, uint16_t n);

/* The MAC of the next hop of server ip_be once resolved: 0, or -EAGAIN while resolving (an
 * address not seen before, e.g. a discovered server, is added and resolved from now on);
 * -EHOSTUNREACH when it has no route (off-link without [net] gateway) or the table is full.
 * Control lcore. */
int jw_ctl_server_mac(struct jw_ctl *ctl, uint32_t ip_be, struct rte_ether_addr *mac);

/* The loop, for rte_eal_remote_launch (arg = struct jw_ctl *), or called directly on the
 * main lcore. Returns 0 when *stop becomes true. */
int jw_ctl_run(void *arg);

#endif /* JW_APP_CTL_H */
