/* lib/telemetry: bring the stats socket up from the loaded configuration (lib/config).
 *
 * jetwire's main calls, after rte_eal_init and before the lcores start:
 *     jw_stats_start(&cfg, JETWIRE_VERSION, window_cap, err, sizeof(err));
 * which sets the identity and info lines, publishes the initial tunables from [flow],
 * registers the /jetwire/config view over cfg (cfg must outlive the telemetry commands),
 * registers the /jetwire/ commands and applies [stats] socket_mode / socket_group.
 * With [stats] enabled = no it only publishes the tunables (the engine reads them anyway)
 * and the app should pass --no-telemetry to EAL.
 * Call once, from a thread that is not inside an RCU read-side section.
 */
#ifndef JW_TELEMETRY_CONFIG_H
#define JW_TELEMETRY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "config/config-t.h"
#include "telemetry/telemetry_registry.h"
#include "tunables/tunables.h"

/* Initial tunables from [flow]: window_min/max, or both = window when the window is fixed,
 * ack_timeout_ms, ack_target_us. */
void jw_tunables_from_config(const struct jw_flow_config *flow, struct jw_tunables *t);

/* A jw_stats_config_fn over jw_config_foreach(); ctx is the const struct jw_config *. */
int jw_stats_config_view(void *ctx, jw_stats_kv_emit_fn emit, void *ectx);

/* See the top of this header. window_cap: the most publishes the engine's pending window
 * can hold per connection (upper bound of window_max at run time). Returns 0, or a negative
 * errno with the reason in err (tunables rejected, telemetry registration, socket perms). */
int jw_stats_start(const struct jw_config *cfg, const char *version, uint32_t window_cap,
		   char *err, size_t errlen);

/* Undo jw_stats_start's registrations (views, tunables); the telemetry commands stay
 * registered with DPDK but answer empty views. Call before freeing cfg. */
void jw_stats_stop(void);

#endif /* JW_TELEMETRY_CONFIG_H */
