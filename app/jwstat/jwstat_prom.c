/* jwstat --prom: Prometheus text exposition format 0.0.4.
 * Every family gets HELP and TYPE lines and all its samples together; names carry the
 * jetwire_ prefix and their unit (_total for counters, _seconds, _bytes, _messages). */
#include <stdbool.h>
#include <string.h>

#include "jwstat.h"

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP jetwire_%s %s\n# TYPE jetwire_%s %s\n", name, help, name, type);
}

/* A label value with \, " and newline escaped as the format requires. */
static void
label_value(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* name{k1="v1",k2="v2"} value ; labels: NULL-terminated key/value list */
static void
sample(FILE *f, const char *name, const char *const *labels, double dv, uint64_t uv,
       int is_double)
{
	int first = 1;

	fprintf(f, "jetwire_%s", name);
	if (labels && labels[0]) {
		fputc('{', f);
		for (; labels[0]; labels += 2) {
			if (!first)
				fputc(',', f);
			fprintf(f, "%s=", labels[0]);
			label_value(f, labels[1] ? labels[1] : "");
			first = 0;
		}
		fputc('}', f);
	}
	fputc(' ', f);
	if (is_double)
		fprintf(f, "%.9g", dv);
	else
		fprintf(f, "%llu", (unsigned long long)uv);
	fputc('\n', f);
}

static void
u64_sample(FILE *f, const char *name, const char *const *labels, uint64_t v)
{
	sample(f, name, labels, 0, v, 0);
}

static void
sec_sample(FILE *f, const char *name, const char *const *labels, double v)
{
	sample(f, name, labels, v, 0, 1);
}

static void
counter(FILE *f, const struct jw_json *o, const char *key, const char *name, const char *help)
{
	if (o == NULL || jw_json_get(o, key) == NULL)
		return;
	family(f, name, "counter", help);
	u64_sample(f, name, NULL, jw_u64(o, key));
}

static void
summary(FILE *f, const char *name, const char *help, const struct jw_json *h)
{
	static const struct {
		const char *key, *q;
	} qs[] = { { "p50", "0.5" }, { "p90", "0.9" }, { "p99", "0.99" },
		   { "p999", "0.999" }, { "p9999", "0.9999" } };
	char n[96];
	unsigned i;

	if (h == NULL)
		return;
	family(f, name, "summary", help);
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		const char *l[] = { "quantile", qs[i].q, NULL };
		sec_sample(f, name, l, (double)jw_u64(h, qs[i].key) / 1e9);
	}
	snprintf(n, sizeof(n), "%s_sum", name);
	sec_sample(f, n, NULL, (double)jw_u64(h, "sum") / 1e9);
	snprintf(n, sizeof(n), "%s_count", name);
	u64_sample(f, n, NULL, jw_u64(h, "count"));
}

/* One family with a sample per child of `table` (lcores, conns, producers). */
struct per_entity {
	const char *key;   /* field in each child */
	const char *name;
	const char *type;
	const char *help;
	double scale;      /* 0: integer as is; else multiply (e.g. 1e-6 us -> s) */
};

static void
per_child(FILE *f, const struct jw_json *table, const char *id_label, const char *extra_label,
	  const char *extra_key, const struct per_entity *e)
{
	const struct jw_json *c;

	if (table == NULL)
		return;
	for (c = table->child; c; c = c->next) /* a family only when some entity has the field */
		if (jw_json_get(c, e->key) != NULL)
			break;
	if (c == NULL)
		return;
	family(f, e->name, e->type, e->help);
	for (c = table->child; c; c = c->next) {
		char extra[32];
		const char *ev = extra_key ? jw_json_str(jw_json_get(c, extra_key), NULL) : NULL;
		const char *l[] = { id_label, c->key, extra_label, ev, NULL };

		if (extra_key && ev == NULL) { /* numeric extra label (pid) */
			snprintf(extra, sizeof(extra), "%llu",
				 (unsigned long long)jw_u64(c, extra_key));
			l[3] = extra;
		}
		if (extra_label == NULL)
			l[2] = NULL;
		if (jw_json_get(c, e->key) == NULL)
			continue;
		if (e->scale != 0)
			sec_sample(f, e->name, l, (double)jw_u64(c, e->key) * e->scale);
		else
			u64_sample(f, e->name, l, jw_u64(c, e->key));
	}
}

/* One labelled counter family from the prefixed keys of every entity of table (an object of
 * objects): for entity c and each of its keys "<prefix><rest>" (rest not empty, the key not
 * skip), the sample name{id_label=c, label=rest}. The family's HELP and TYPE come with its
 * first sample, or always when the table has entities (a family that exists while empty). */
static void
per_child_by_key(FILE *f, const struct jw_json *table, const char *id_label, const char *prefix,
		 const char *skip, const char *label, const char *name, const char *help,
		 bool always)
{
	const size_t pl = strlen(prefix);
	const struct jw_json *c, *r;
	bool shown = false;

	if (table == NULL || table->child == NULL)
		return;
	if (always) {
		family(f, name, "counter", help);
		shown = true;
	}
	for (c = table->child; c; c = c->next) {
		for (r = c->child; r; r = r->next) {
			const char *l[] = { id_label, c->key, label, r->key + pl, NULL };

			if (r->key == NULL || strncmp(r->key, prefix, pl) != 0 || r->key[pl] == '\0' ||
			    (skip != NULL && strcmp(r->key, skip) == 0))
				continue;
			if (!shown)
				family(f, name, "counter", help);
			shown = true;
			u64_sample(f, name, l, jw_json_u64(r, 0));
		}
	}
}

void
jwstat_print_prom(FILE *f, const struct jwstat_sample *cur, const char *instance)
{
	static const struct per_entity lcore_fams[] = {
		{ "loops", "lcore_loops_total", "counter", "Poll-loop iterations.", 0 },
		{ "busy_cycles", "lcore_busy_cycles_total", "counter",
		  "TSC cycles of iterations that did work.", 0 },
		{ "idle_cycles", "lcore_idle_cycles_total", "counter",
		  "TSC cycles of idle iterations, sleeping included.", 0 },
		{ "bursts", "lcore_bursts_total", "counter", "Non-empty rx/tx bursts.", 0 },
		{ "mbufs_in_flight", "lcore_mbufs_in_flight", "gauge",
		  "Mbufs the lcore holds now.", 0 },
		{ "sched_batch", "lcore_sched_batch", "gauge",
		  "1 while the lcore runs SCHED_BATCH ([cores] sched_batch).", 0 },
	};
	static const struct per_entity conn_fams[] = {
		{ "cwnd_bytes", "conn_cwnd_bytes", "gauge", "TCP congestion window.", 0 },
		{ "peer_wnd_bytes", "conn_peer_window_bytes", "gauge",
		  "Peer's scaled TCP receive window.", 0 },
		{ "srtt_us", "conn_srtt_seconds", "gauge", "Smoothed TCP round-trip time.", 1e-6 },
		{ "rto_us", "conn_rto_seconds", "gauge", "TCP retransmission timeout.", 1e-6 },
		{ "retransmits", "conn_retransmits_total", "counter",
		  "TCP segments retransmitted.", 0 },
		{ "retransmits_rto", "conn_retransmits_rto_total", "counter",
		  "TCP retransmissions after a retransmission timeout.", 0 },
		{ "retransmits_fast", "conn_retransmits_fast_total", "counter",
		  "TCP retransmissions in loss recovery (RACK, dupacks).", 0 },
		{ "retransmits_tlp", "conn_retransmits_tlp_total", "counter",
		  "TCP tail loss probes that resent a segment.", 0 },
		{ "rto_expiries", "conn_rto_expiries_total", "counter",
		  "TCP retransmission timer expiries.", 0 },
		{ "fast_recoveries", "conn_fast_recoveries_total", "counter",
		  "TCP loss recovery episodes.", 0 },
		{ "spurious_undos", "conn_spurious_undos_total", "counter",
		  "TCP congestion reductions undone (DSACK or Eifel).", 0 },
		{ "sack_blocks_in", "conn_sack_blocks_in_total", "counter",
		  "SACK blocks received.", 0 },
		{ "segs_in", "conn_segs_in_total", "counter", "TCP segments received.", 0 },
		{ "segs_out", "conn_segs_out_total", "counter", "TCP segments sent.", 0 },
		{ "pure_acks_out", "conn_pure_acks_out_total", "counter",
		  "TCP ACKs sent without data.", 0 },
		{ "pacing_rate_bps", "conn_pacing_rate_bytes_per_second", "gauge",
		  "TCP pacing rate (0 = not pacing).", 0 },
		{ "js_window", "conn_js_window_messages", "gauge",
		  "Current JetStream window: most unacknowledged publishes.", 0 },
		{ "js_inflight", "conn_js_inflight_messages", "gauge",
		  "Publishes sent and not yet acknowledged.", 0 },
		{ "acks", "conn_acks_total", "counter", "PubAcks matched on the connection.", 0 },
		{ "js_shared_sent", "conn_js_shared_sent_total", "counter",
		  "First sends that carried their subject's shared reply subject.", 0 },
		{ "js_share_breaks", "conn_js_share_breaks_total", "counter",
		  "Shared-reply classes found out of step (their publishes resent).", 0 },
		{ "reconnects", "conn_reconnects_total", "counter", "Connection re-establishments.",
		  0 },
		{ "failovers", "conn_failovers_total", "counter",
		  "Times the connection came up on another server than before.", 0 },
		{ "ldm_moves", "conn_ldm_moves_total", "counter",
		  "Moves away from a server in lame-duck mode.", 0 },
		{ "auth_failures", "conn_auth_failures_total", "counter",
		  "Servers that refused the connection's credentials.", 0 },
		{ "backoff_waits", "conn_backoff_waits_total", "counter",
		  "Reconnects that waited a backoff.", 0 },
		{ "tls_handshakes", "conn_tls_handshakes_total", "counter",
		  "TLS handshakes completed.", 0 },
		{ "tls_failures", "conn_tls_failures_total", "counter",
		  "TLS handshakes failed or refused (any reason).", 0 },
		{ "tls_handshake_us", "conn_tls_handshake_seconds", "gauge",
		  "Duration of the last TLS handshake.", 1e-6 },
		{ "tls_records_sealed", "conn_tls_records_sealed_total", "counter",
		  "TLS records sealed by the TX lcore.", 0 },
		{ "tls_records_opened", "conn_tls_records_opened_total", "counter",
		  "TLS records opened by the control lcore.", 0 },
		{ "tls_key_updates", "conn_tls_key_updates_total", "counter",
		  "TLS 1.3 KeyUpdates sent and received.", 0 },
	};
	static const struct per_entity prod_fams[] = {
		{ "published", "producer_published_total", "counter",
		  "Records accepted by jw_publish in this slot.", 0 },
		{ "ring_used_bytes", "producer_ring_used_bytes", "gauge",
		  "Ring bytes appended and not yet released (outcome not final).", 0 },
		{ "ring_size_bytes", "producer_ring_size_bytes", "gauge", "Ring capacity.", 0 },
		{ "unsent_bytes", "producer_unsent_bytes", "gauge",
		  "Ring bytes appended and not yet sent.", 0 },
		{ "reports_pending", "producer_reports_pending", "gauge",
		  "Delivery reports not yet read by the producer.", 0 },
		{ "bad_records", "producer_bad_records_total", "counter",
		  "Records that failed validation on the TX lcore.", 0 },
		{ "reports_dropped", "producer_reports_dropped_total", "counter",
		  "Reports for closed or dead producers.", 0 },
	};
	const struct jw_json *info = cur->v[Q_INFO], *st = cur->v[Q_STATS], *c;
	const struct jw_json *tun = cur->v[Q_TUNABLES], *lat = cur->v[Q_LATENCY];
	unsigned i;

	{
		const char *l[] = { "instance", jw_json_str(jw_json_get(info, "instance"), instance),
				    "version", jw_json_str(jw_json_get(info, "version"), "unknown"),
				    "dpdk", jw_json_str(jw_json_get(info, "dpdk"), "unknown"),
				    NULL };
		family(f, "info", "gauge", "Instance identity (always 1).");
		u64_sample(f, "info", l, 1);
	}
	family(f, "uptime_seconds", "gauge", "Seconds since jetwire started.");
	sec_sample(f, "uptime_seconds", NULL, (double)jw_u64(info, "uptime_ns") / 1e9);

	counter(f, st, "accepted", "messages_accepted_total",
		"Records the TX lcores took from producer rings.");
	counter(f, st, "sent", "messages_sent_total", "HPUB frames sent for the first time.");
	counter(f, st, "acked", "messages_acked_total", "Final PubAcks, duplicates included.");
	counter(f, st, "duplicate", "messages_duplicate_total",
		"PubAcks reporting a duplicate (deduplicated by the stream).");
	counter(f, st, "resends", "messages_resent_total", "HPUB frames sent again.");
	counter(f, st, "published", "messages_published_total",
		"Records accepted by jw_publish over the producer slots in use.");
	counter(f, st, "bytes", "sent_payload_bytes_total", "Message payload bytes first sent.");
	counter(f, st, "wire_bytes", "sent_wire_bytes_total",
		"TCP payload bytes sent, resends included.");
	counter(f, st, "reconnects", "reconnects_total", "Connections re-established.");
	counter(f, st, "telemetry_errors", "telemetry_errors_total",
		"Rejected stats-socket requests.");
	counter(f, st, "tunables_rejected", "tunables_rejected_total",
		"Rejected tunables changes.");
	if (st != NULL) {
		family(f, "messages_failed_total", "counter",
		       "Publishes that ended as failed, by reason.");
		c = jw_json_get(st, "failed");
		for (c = c ? c->child : NULL; c; c = c->next) {
			const char *l[] = { "reason", c->key, NULL };
			u64_sample(f, "messages_failed_total", l, jw_json_u64(c, 0));
		}
		family(f, "publish_rejected_total", "counter",
		       "Calls jw_publish rejected at once, by error code.");
		c = jw_json_get(st, "rejected");
		for (c = c ? c->child : NULL; c; c = c->next) {
			const char *l[] = { "code", c->key, NULL };
			u64_sample(f, "publish_rejected_total", l, jw_json_u64(c, 0));
		}
		family(f, "messages_in_flight", "gauge",
		       "Publishes sent and not yet final (sent - acked - failed).");
		u64_sample(f, "messages_in_flight", NULL, jw_u64(st, "in_flight"));
		family(f, "producers", "gauge", "Producer slots in use.");
		u64_sample(f, "producers", NULL, jw_u64(st, "producers"));
	}
	if (tun != NULL) {
		family(f, "window_min_messages", "gauge", "Lower bound of the JetStream window.");
		u64_sample(f, "window_min_messages", NULL, jw_u64(tun, "window_min"));
		family(f, "window_max_messages", "gauge", "Upper bound of the JetStream window.");
		u64_sample(f, "window_max_messages", NULL, jw_u64(tun, "window_max"));
		family(f, "ack_timeout_seconds", "gauge", "PubAck timeout before a resend.");
		sec_sample(f, "ack_timeout_seconds", NULL, (double)jw_u64(tun, "ack_timeout_ms") / 1e3);
		family(f, "ack_target_seconds", "gauge",
		       "Ack latency the adaptive window aims at.");
		sec_sample(f, "ack_target_seconds", NULL, (double)jw_u64(tun, "ack_target_us") / 1e6);
	}
	if (lat != NULL) {
		summary(f, "ack_latency_seconds", "PubAck latency from first send.",
			jw_json_get(lat, "ack_latency_ns"));
		summary(f, "ring_wait_seconds", "Time records waited in producer rings.",
			jw_json_get(lat, "ring_wait_ns"));
	}
	for (i = 0; i < sizeof(lcore_fams) / sizeof(lcore_fams[0]); i++)
		per_child(f, cur->v[Q_LCORES], "lcore", "role", "role", &lcore_fams[i]);
	if (cur->v[Q_CONNS] != NULL && cur->v[Q_CONNS]->child != NULL) {
		family(f, "conn_info", "gauge", "Connection state and server (always 1).");
		for (c = cur->v[Q_CONNS]->child; c; c = c->next) {
			const char *l[] = { "conn", c->key,
					    "state", jw_json_str(jw_json_get(c, "state"), ""),
					    "server", jw_json_str(jw_json_get(c, "server"), ""),
					    NULL };
			u64_sample(f, "conn_info", l, 1);
		}
	}
	for (i = 0; i < sizeof(conn_fams) / sizeof(conn_fams[0]); i++)
		per_child(f, cur->v[Q_CONNS], "conn", NULL, NULL, &conn_fams[i]);
	/* tls_fail_<reason>, present once that reason happened ('-' as '_') */
	per_child_by_key(f, cur->v[Q_CONNS], "conn", "tls_fail_", NULL, "reason",
			 "conn_tls_failures_by_reason_total",
			 "TLS handshakes failed or refused, by reason.", false);
	if (cur->v[Q_PRODUCERS] != NULL && cur->v[Q_PRODUCERS]->child != NULL) {
		family(f, "producer_info", "gauge",
		       "Producer slot owner and state (always 1); other producer metrics are per "
		       "slot and keep counting across owners.");
		for (c = cur->v[Q_PRODUCERS]->child; c; c = c->next) {
			char pid[24];
			const char *l[] = { "slot", c->key, "pid", pid,
					    "state", jw_json_str(jw_json_get(c, "state"), ""),
					    NULL };

			snprintf(pid, sizeof(pid), "%llu", (unsigned long long)jw_u64(c, "pid"));
			u64_sample(f, "producer_info", l, 1);
		}
	}
	for (i = 0; i < sizeof(prod_fams) / sizeof(prod_fams[0]); i++)
		per_child(f, cur->v[Q_PRODUCERS], "slot", NULL, NULL, &prod_fams[i]);
	per_child_by_key(f, cur->v[Q_PRODUCERS], "slot", "rejected_", "rejected_total", "code",
			 "producer_rejected_total",
			 "Calls jw_publish rejected in this slot, by error code.", true);
}
