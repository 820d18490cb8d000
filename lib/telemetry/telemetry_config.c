/* lib/telemetry: start the stats socket from the configuration. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "telemetry/telemetry_config.h"
#include "telemetry/telemetry.h"

void
jw_tunables_from_config(const struct jw_flow_config *flow, struct jw_tunables *t)
{
	memset(t, 0, sizeof(*t));
	t->window_min = flow->window ? flow->window : flow->window_min;
	t->window_max = flow->window ? flow->window : flow->window_max;
	t->ack_timeout_ms = flow->ack_timeout_ms;
	t->ack_target_us = flow->ack_target_us;
}

struct visit_ctx {
	jw_stats_kv_emit_fn emit;
	void *ectx;
};

static int
visit(const char *section, const char *key, const char *value, void *arg)
{
	struct visit_ctx *v = arg;

	v->emit(v->ectx, section, key, value);
	return 0;
}

int
jw_stats_config_view(void *ctx, jw_stats_kv_emit_fn emit, void *ectx)
{
	struct visit_ctx v = { .emit = emit, .ectx = ectx };

	return jw_config_foreach(ctx, visit, &v);
}

int
jw_stats_start(const struct jw_config *cfg, const char *version, uint32_t window_cap,
	       char *err, size_t errlen)
{
	struct jw_tunables t;
	char buf[96], ip[INET_ADDRSTRLEN];
	struct in_addr a;
	int rc;

	if (cfg == NULL || version == NULL) {
		snprintf(err, errlen, "jw_stats_start: no configuration");
		return -EINVAL;
	}
	rc = jw_stats_set_identity(cfg->shm.instance, version);
	if (rc) {
		snprintf(err, errlen, "stats: instance or version name too long");
		return rc;
	}
	jw_stats_set_info("config", cfg->path[0] ? cfg->path : "(defaults)");
	if (cfg->nats.n_servers > 0) {
		a.s_addr = cfg->nats.servers[0].ip_be;
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "%s:%u (%u configured)", ip,
			 (unsigned)cfg->nats.servers[0].port, cfg->nats.n_servers);
		jw_stats_set_info("server", buf);
	}
	jw_stats_set_info("dedupe", cfg->flow.dedupe == JW_DEDUPE_OFF ? "off" : "msgid");
	jw_stats_set_info("window_mode", cfg->flow.window ? "fixed" : "adaptive");
	snprintf(buf, sizeof(buf), "%u", cfg->cores.tx.n);
	jw_stats_set_info("tx_lcores", buf);
	snprintf(buf, sizeof(buf), "%u", cfg->cores.control);
	jw_stats_set_info("control_lcore", buf);
	jw_stats_set_info("file_prefix", cfg->eal.file_prefix);

	jw_tunables_from_config(&cfg->flow, &t);
	rc = jw_tunables_init(&t, window_cap, err, errlen);
	if (rc)
		return rc;
	rc = jw_stats_register_config(jw_stats_config_view, (void *)(uintptr_t)cfg);
	if (rc) {
		snprintf(err, errlen, "stats: cannot register the config view");
		return rc;
	}
	if (!cfg->stats.enabled)
		return 0;
	rc = jw_stats_telemetry_register();
	if (rc) {
		snprintf(err, errlen, "stats: cannot register telemetry commands: %s",
			 strerror(-rc));
		return rc;
	}
	return jw_stats_socket_set_perms(cfg->stats.socket_mode, cfg->stats.socket_group, err,
					 errlen);
}

void
jw_stats_stop(void)
{
	jw_stats_registry_fini();
	jw_tunables_fini();
}
