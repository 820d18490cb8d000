/* jwstat: the top-like table. */
#include <string.h>

#include "jwstat.h"

/* Time base of the rates: since the previous sample, or since start. */
static double
rate_dt(const struct jwstat_sample *cur, const struct jwstat_sample *prev)
{
	if (prev != NULL)
		return cur->t - prev->t;
	return (double)jw_u64(cur->v[Q_INFO], "uptime_ns") / 1e9;
}

static const struct jw_json *
prev_of(const struct jwstat_sample *prev, int q)
{
	return prev ? prev->v[q] : NULL;
}

/* The child of prev's object `parent` with the same key as `c`. */
static const struct jw_json *
peer(const struct jw_json *parent, const struct jw_json *c)
{
	return parent ? jw_json_get(parent, c->key) : NULL;
}

static void
fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 10000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 10000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else if (ns < 10000000000ull)
		snprintf(buf, len, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.1fs", (double)ns / 1e9);
}

static void
print_hist(FILE *f, const char *title, const struct jw_json *h)
{
	static const char *const q[] = { "p50", "p90", "p99", "p999", "max" };
	char b[32];
	unsigned i;

	fprintf(f, "%-12s", title);
	if (h == NULL || jw_u64(h, "count") == 0) {
		fprintf(f, " (no samples)\n");
		return;
	}
	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		fmt_ns(b, sizeof(b), jw_u64(h, q[i]));
		fprintf(f, " %s %-9s", q[i], b);
	}
	fprintf(f, " n %llu\n", (unsigned long long)jw_u64(h, "count"));
}

void
jwstat_print_table(FILE *f, const struct jwstat_sample *cur, const struct jwstat_sample *prev,
		   const char *instance)
{
	const struct jw_json *info = cur->v[Q_INFO], *st = cur->v[Q_STATS], *c;
	const struct jw_json *pst = prev_of(prev, Q_STATS), *tun = cur->v[Q_TUNABLES];
	const struct jw_json *lat = cur->v[Q_LATENCY];
	double dt = rate_dt(cur, prev);
	uint64_t up = jw_u64(info, "uptime_s");

	fprintf(f, "jetwire %s  version %s  %s  up %lluh%02llum%02llus  (rates per second over "
		   "%.1fs)\n",
		jw_json_str(jw_json_get(info, "instance"), instance),
		jw_json_str(jw_json_get(info, "version"), "?"),
		jw_json_str(jw_json_get(info, "dpdk"), "?"), (unsigned long long)(up / 3600),
		(unsigned long long)(up / 60 % 60), (unsigned long long)(up % 60), dt);
	if (tun != NULL)
		fprintf(f, "window %llu..%llu  ack_timeout %llums  ack_target %lluus  "
			   "tunables gen %llu\n",
			(unsigned long long)jw_u64(tun, "window_min"),
			(unsigned long long)jw_u64(tun, "window_max"),
			(unsigned long long)jw_u64(tun, "ack_timeout_ms"),
			(unsigned long long)jw_u64(tun, "ack_target_us"),
			(unsigned long long)jw_u64(tun, "tunables_generation"));
	if (st != NULL) {
		fprintf(f, "\n%-10s %12s %12s %12s %10s %10s %10s %12s\n", "", "accepted", "sent",
			"acked", "failed", "resends", "rejected", "MB/s sent");
		fprintf(f, "%-10s %12.0f %12.0f %12.0f %10.0f %10.0f %10.0f %12.2f\n", "rate/s",
			jw_rate(st, pst, "accepted", dt), jw_rate(st, pst, "sent", dt),
			jw_rate(st, pst, "acked", dt), jw_rate(st, pst, "failed_total", dt),
			jw_rate(st, pst, "resends", dt), jw_rate(st, pst, "rejected_total", dt),
			jw_rate(st, pst, "wire_bytes", dt) / 1e6);
		fprintf(f, "%-10s %12llu %12llu %12llu %10llu %10llu %10llu %12.1f\n", "total",
			(unsigned long long)jw_u64(st, "accepted"),
			(unsigned long long)jw_u64(st, "sent"),
			(unsigned long long)jw_u64(st, "acked"),
			(unsigned long long)jw_u64(st, "failed_total"),
			(unsigned long long)jw_u64(st, "resends"),
			(unsigned long long)jw_u64(st, "rejected_total"),
			(double)jw_u64(st, "wire_bytes") / 1e6);
		fprintf(f, "in flight %llu  duplicate %llu  reconnects %llu  published %lld  "
			   "producers %llu",
			(unsigned long long)jw_u64(st, "in_flight"),
			(unsigned long long)jw_u64(st, "duplicate"),
			(unsigned long long)jw_u64(st, "reconnects"),
			jw_json_get(st, "published") ? (long long)jw_u64(st, "published") : -1LL,
			(unsigned long long)jw_u64(st, "producers"));
		for (c = jw_json_get(st, "failed") ? jw_json_get(st, "failed")->child : NULL; c;
		     c = c->next)
			if (jw_json_u64(c, 0))
				fprintf(f, "  failed.%s %llu", c->key,
					(unsigned long long)jw_json_u64(c, 0));
		for (c = jw_json_get(st, "rejected") ? jw_json_get(st, "rejected")->child : NULL;
		     c; c = c->next)
			fprintf(f, "  rejected.%s %llu", c->key,
				(unsigned long long)jw_json_u64(c, 0));
		fputc('\n', f);
	}
	if (lat != NULL) {
		fputc('\n', f);
		print_hist(f, "ack latency", jw_json_get(lat, "ack_latency_ns"));
		print_hist(f, "ring wait", jw_json_get(lat, "ring_wait_ns"));
	}
	if (cur->v[Q_LCORES] != NULL && cur->v[Q_LCORES]->child != NULL) {
		const struct jw_json *pl = prev_of(prev, Q_LCORES);

		fprintf(f, "\n%-6s %-8s %12s %6s %10s %10s %8s\n", "LCORE", "ROLE", "loops/s",
			"busy%", "bursts/s", "sent/s", "mbufs");
		for (c = cur->v[Q_LCORES]->child; c; c = c->next)
			fprintf(f, "%-6s %-8s %12.0f %6.1f %10.0f %10.0f %8llu\n", c->key,
				jw_json_str(jw_json_get(c, "role"), "?"),
				jw_rate(c, peer(pl, c), "loops", dt),
				(double)jw_u64(c, "busy_permille") / 10.0,
				jw_rate(c, peer(pl, c), "bursts", dt),
				jw_rate(c, peer(pl, c), "sent", dt),
				(unsigned long long)jw_u64(c, "mbufs_in_flight"));
	}
	if (cur->v[Q_CONNS] != NULL && cur->v[Q_CONNS]->child != NULL) {
		const struct jw_json *pc = prev_of(prev, Q_CONNS);

		fprintf(f, "\n%-5s %-12s %-22s %8s %8s %9s %6s %7s %8s %9s  %s\n", "CONN",
			"STATE", "SERVER", "cwnd", "srtt_us", "rto_us", "retx", "window",
			"inflight", "acks/s", "TLS");
		for (c = cur->v[Q_CONNS]->child; c; c = c->next)
			fprintf(f, "%-5s %-12.12s %-22.22s %8llu %8llu %9llu %6llu %7llu %8llu "
				   "%9.0f  %s\n",
				c->key, jw_json_str(jw_json_get(c, "state"), "?"),
				jw_json_str(jw_json_get(c, "server"), "?"),
				(unsigned long long)jw_u64(c, "cwnd_bytes"),
				(unsigned long long)jw_u64(c, "srtt_us"),
				(unsigned long long)jw_u64(c, "rto_us"),
				(unsigned long long)jw_u64(c, "retransmits"),
				(unsigned long long)jw_u64(c, "js_window"),
				(unsigned long long)jw_u64(c, "js_inflight"),
				jw_rate(c, peer(pc, c), "acks", dt),
				jw_json_str(jw_json_get(c, "tls_version"), "")[0] != '\0' ?
				jw_json_str(jw_json_get(c, "tls_version"), "") : "-");
	}
	if (cur->v[Q_PRODUCERS] != NULL && cur->v[Q_PRODUCERS]->child != NULL) {
		const struct jw_json *pp = prev_of(prev, Q_PRODUCERS);

		fprintf(f, "\n%-5s %3s %8s %-7s %12s %12s %7s %9s %9s %6s\n", "SLOT", "TX", "PID",
			"STATE", "published/s", "published", "fill%", "reports", "rejected", "bad");
		for (c = cur->v[Q_PRODUCERS]->child; c; c = c->next) {
			char pub[24] = "-", rate[24] = "-";

			if (jw_json_get(c, "published") != NULL) {
				snprintf(pub, sizeof(pub), "%llu",
					 (unsigned long long)jw_u64(c, "published"));
				snprintf(rate, sizeof(rate), "%.0f",
					 jw_rate(c, peer(pp, c), "published", dt));
			}
			fprintf(f, "%-5s %3llu %8llu %-7.7s %12s %12s %7.1f %9llu %9llu %6llu\n",
				c->key, (unsigned long long)jw_u64(c, "tx"),
				(unsigned long long)jw_u64(c, "pid"),
				jw_json_str(jw_json_get(c, "state"), "?"), rate, pub,
				(double)jw_u64(c, "ring_fill_permille") / 10.0,
				(unsigned long long)jw_u64(c, "reports_pending"),
				(unsigned long long)jw_u64(c, "rejected_total"),
				(unsigned long long)jw_u64(c, "bad_records"));
		}
	}
}
