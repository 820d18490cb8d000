/* lib/telemetry: the /jetwire/ commands on the DPDK telemetry socket, and its permissions.
 *
 * Commands (all answer one JSON object; see README "Stats socket and jwstat"):
 *   /jetwire/info       version, instance, uptime, config summary, tunables
 *   /jetwire/stats      totals: accepted, sent, acked, duplicate, failed by reason,
 *                       rejected at publish by code, bytes, resends, reconnects
 *   /jetwire/lcores     per lcore: role, loops, busy/idle cycles and share, bursts, mbufs
 *   /jetwire/conns      per connection (view registered by the engine)
 *   /jetwire/producers  per producer slot (view registered by the shm module)
 *   /jetwire/latency    ack-latency and ring-wait percentiles (merged histograms)
 *   /jetwire/config     the effective configuration (view registered by the app)
 *   /jetwire/tunables   the current runtime tunables
 *   /jetwire/set,k=v[,k=v]  change tunables (tunables.h); bad input answers
 *                       {"error": "..."} and counts, it never crashes or changes anything
 *
 * Concurrency: DPDK runs every telemetry client on its own thread, so the handlers run
 * concurrently with each other and with the data path. They read lcore blocks with relaxed
 * loads and views inside RCU read-side sections (telemetry_registry.h), and never block the
 * data path (the only wait is synchronize_rcu in /jetwire/set, on the telemetry thread).
 */
#ifndef JW_TELEMETRY_H
#define JW_TELEMETRY_H

#include <stddef.h>
#include <stdint.h>

/* Register the /jetwire/ commands with rte_telemetry. Call once, before or after
 * rte_eal_init (EAL must not run with --no-telemetry for them to be reachable).
 * Returns 0, or the first negative error of rte_telemetry_register_cmd. */
int jw_stats_telemetry_register(void);

/* Requests to /jetwire/ commands that were rejected (bad parameters), since start. */
uint64_t jw_stats_telemetry_errors(void);

/* Restrict or open the telemetry socket after rte_eal_init:
 * chmod the socket(s) in rte_eal_get_runtime_dir() to `mode` (0 .. 0777) and, when group is
 * neither NULL nor empty, chown them to that group (name or number); the runtime directory
 * (EAL creates it 0700) gets the matching search bit (g+x, o+x) and the group, so that the
 * granted users can reach the socket by path without listing the directory; its parent
 * (/var/run/dpdk, also 0700, shared by all DPDK processes) gets o+x only (search, no list).
 * Returns 0; -EINVAL (mode out of range), -ENOENT (no such group, no socket: telemetry off),
 * or the negative errno of chmod/chown; the reason goes to err. */
int jw_stats_socket_set_perms(unsigned mode, const char *group, char *err, size_t errlen);

/* The rte_log type of this module: "jetwire.stats" (so --log-level='jetwire.*:debug'
 * covers it together with the foundation's "jetwire" type). */
extern int jw_stats_logtype;

#endif /* JW_TELEMETRY_H */
