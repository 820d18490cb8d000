/* lib/telemetry: registry of views the telemetry thread reads.
 *
 * The engine and the shm module keep their own state; they register a view (a callback
 * and its context) that fills plain snapshots on request. The telemetry threads call
 * jw_stats_read_*(), which runs the callback inside an RCU read-side section (liburcu QSBR:
 * the calling thread is registered for the duration of the call and unregistered before it
 * returns). So a view may rcu_dereference() RCU-published objects (connection objects, the
 * producer slot table) and copy fields out of them; objects it reaches must stay valid until
 * a grace period after they are unpublished (synchronize_rcu()/call_rcu() on the writer side).
 *
 * Concurrency table:
 *   jw_stats_register_*      any thread NOT inside an RCU read-side section; waits for a
 *                            grace period before returning, so the previous view's ctx may be
 *                            freed as soon as it returns (also when unregistering with NULL)
 *   jw_stats_set_identity / jw_stats_set_info / jw_stats_set_reject_name
 *                            any thread (mutex)
 *   jw_stats_read_*          any thread that is NOT registered with liburcu-qsbr (the
 *                            telemetry threads, jwstat tests); concurrently with everything
 *   view callbacks           may be called by several telemetry threads at once: they must
 *                            only read (relaxed/acquire loads, rcu_dereference)
 * Ordering: a view is published with rcu_xchg_pointer (release) and read with
 * rcu_dereference (consume/acquire) in jw_stats_read_*.
 */
#ifndef JW_TELEMETRY_REGISTRY_H
#define JW_TELEMETRY_REGISTRY_H

#include <stdint.h>

#include "common/jw_common.h"
#include "telemetry/telemetry-t.h"

/* Install (or with fn NULL remove) the views. Return 0, or -ENOMEM. */
int jw_stats_register_conns(jw_stats_conns_fn fn, void *ctx);
int jw_stats_register_producers(jw_stats_producers_fn fn, void *ctx);
int jw_stats_register_servers(jw_stats_servers_fn fn, void *ctx);
int jw_stats_register_config(jw_stats_config_fn fn, void *ctx);

/* Instance name and version shown by /jetwire/info; also starts the uptime clock.
 * Rejects NULL and strings longer than 63 bytes (-EINVAL). */
int jw_stats_set_identity(const char *instance, const char *version);

/* An extra "key: value" line of the /jetwire/info config summary (set again to replace).
 * Rejects keys that are empty, longer than 31 bytes or not [A-Za-z0-9_] (telemetry keys
 * allow no more), values longer than 95 bytes, and more than 16 keys (-EINVAL / -ENOSPC). */
int jw_stats_set_info(const char *key, const char *value);

/* Short identifier for rejection code `code`: used as telemetry key and Prometheus label,
 * so [A-Za-z0-9_], at most 31 bytes. The JW_E* codes of jetwire.h are named already
 * ("EAGAIN", "E2BIG", ...); other codes show as "code_<n>" (n = -code) until named.
 * -EINVAL for a bad name, -ENOSPC when 32 codes are named. */
int jw_stats_set_reject_name(int code, const char *name);

/* ---- reader side (telemetry threads) ---- */

void jw_stats_read_identity(struct jw_stats_identity *out);

/* Name of rejection code `code` into buf. */
void jw_stats_reject_name(int code, char *buf, unsigned len);

/* Run the view into out[0..max). Return the count, or -ENOENT when no view is registered,
 * -EINVAL when out is NULL or max < 0. */
int jw_stats_read_conns(struct jw_stats_conn *out, int max);
/* The same for the servers view (shown by /jetwire/info). */
int jw_stats_read_servers(struct jw_stats_server *out, int max);
int jw_stats_read_producers(struct jw_stats_producer *out, int max);
int jw_stats_read_config(jw_stats_kv_emit_fn emit, void *ectx);

/* Remove every view and free the registry (process exit, tests). */
void jw_stats_registry_fini(void);

/* Enter/leave an RCU read-side section from a thread that is not registered with
 * liburcu-qsbr (registers it for the duration). Used by jw_stats_read_* and the tunables
 * readers on the telemetry side; exposed for tests. Not nestable. */
void jw_stats_reader_enter(void);
void jw_stats_reader_exit(void);

#endif /* JW_TELEMETRY_REGISTRY_H */
