/* jwstat: shared definitions of the live view, JSON and Prometheus outputs. */
#ifndef JWSTAT_H
#define JWSTAT_H

#include <signal.h>
#include <stdio.h>

#include "json/json_tree.h"

enum jwstat_cmd {
	Q_INFO,
	Q_STATS,
	Q_LCORES,
	Q_CONNS,
	Q_PRODUCERS,
	Q_LATENCY,
	Q_TUNABLES,
	Q_CONFIG,
	Q__COUNT
};

/* One poll of every command. v[i] is the reply's value (an object) or NULL. */
struct jwstat_sample {
	double t; /* CLOCK_MONOTONIC seconds when taken */
	struct jw_json *root[Q__COUNT];
	const struct jw_json *v[Q__COUNT];
};

extern const char *const jwstat_cmd_names[Q__COUNT]; /* "/jetwire/info", ... */
extern const char *const jwstat_cmd_keys[Q__COUNT];  /* "info", ... */

/* Member u64 of object o (0 when missing). */
uint64_t jw_u64(const struct jw_json *o, const char *key);

/* Per-second rate of counter `key` of object `cur` relative to `prev` (same key path),
 * or over `uptime_s` when prev is NULL. */
double jw_rate(const struct jw_json *cur, const struct jw_json *prev, const char *key,
	       double dt);

struct jw_stats_client;

/* Query every command into s. 0, or a negative errno when the socket fails (message printed
 * to stderr; s is then empty); -EPROTO when it is not a jetwire instance. */
int jwstat_sample_take(struct jw_stats_client *c, struct jwstat_sample *s);
void jwstat_sample_free(struct jwstat_sample *s);

/* --prom --listen: serve GET /metrics on listen_spec ([ADDR:]PORT) until *stop, reading the
 * telemetry socket at sock_path once per scrape. Returns the exit status (0, or 1 when the
 * address cannot be bound). */
int jwstat_serve_http(const char *listen_spec, const char *sock_path, const char *instance,
		      volatile sig_atomic_t *stop);

void jwstat_print_table(FILE *f, const struct jwstat_sample *cur,
			const struct jwstat_sample *prev, const char *instance);
void jwstat_print_json(FILE *f, const struct jwstat_sample *cur,
		       const struct jwstat_sample *prev, const char *instance);
void jwstat_print_prom(FILE *f, const struct jwstat_sample *cur, const char *instance);

#endif
