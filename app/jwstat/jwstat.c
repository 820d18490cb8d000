/* jwstat: live view of a jetwire instance's stats socket (DPDK telemetry v2).
 *
 *   jwstat [-i INSTANCE] [--prefix FILE_PREFIX | --socket PATH] [--json | --prom]
 *          [--once] [--interval S] [--count N] [--listen [ADDR:]PORT]
 *
 * The table is a live view by default; --json and --prom print one sample and exit unless
 * --interval or --count asks for more (so `jwstat --json | jq` ends). A live view keeps
 * retrying when jetwire goes away and resumes when it is back. --prom --listen serves the
 * exposition over HTTP instead (jwstat_http.c). Exit status: 0 ok, 1 cannot reach or
 * understand the socket (or cannot listen), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/jw_time.h"
#include "jwstat_client.h"
#include "jwstat.h"

const char *const jwstat_cmd_names[Q__COUNT] = {
	"/jetwire/info",     "/jetwire/stats",   "/jetwire/lcores",   "/jetwire/conns",
	"/jetwire/producers", "/jetwire/latency", "/jetwire/tunables", "/jetwire/config",
};
const char *const jwstat_cmd_keys[Q__COUNT] = {
	"info", "stats", "lcores", "conns", "producers", "latency", "tunables", "config",
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

uint64_t
jw_u64(const struct jw_json *o, const char *key)
{
	return jw_json_u64(jw_json_get(o, key), 0);
}

double
jw_rate(const struct jw_json *cur, const struct jw_json *prev, const char *key, double dt)
{
	uint64_t c = jw_u64(cur, key), p = prev ? jw_u64(prev, key) : 0;

	if (dt <= 0)
		return 0;
	return c >= p ? (double)(c - p) / dt : 0; /* a restart resets counters: show 0 */
}

static double
now_s(void)
{
	return (double)jw_mono_ns() / 1e9;
}

void
jwstat_sample_free(struct jwstat_sample *s)
{
	int i;

	for (i = 0; i < Q__COUNT; i++) {
		jw_json_free(s->root[i]);
		s->root[i] = NULL;
		s->v[i] = NULL;
	}
}

int
jwstat_sample_take(struct jw_stats_client *c, struct jwstat_sample *s)
{
	char err[256];
	int i, rc;

	memset(s, 0, sizeof(*s));
	s->t = now_s();
	for (i = 0; i < Q__COUNT; i++) {
		rc = jw_stats_client_query(c, jwstat_cmd_names[i], &s->root[i], &s->v[i], err,
					   sizeof(err));
		if (rc == -EPROTO) {
			fprintf(stderr, "jwstat: %s\n", err);
			continue;
		}
		if (rc != 0) {
			fprintf(stderr, "jwstat: %s\n", err);
			jwstat_sample_free(s);
			return rc;
		}
		/* null (command unknown to this jetwire) or {"error": ...}: treat as absent */
		if (s->v[i]->type != JW_JSON_OBJECT || jw_json_get(s->v[i], "error") != NULL)
			s->v[i] = NULL;
	}
	if (s->v[Q_INFO] == NULL) {
		fprintf(stderr, "jwstat: the socket does not answer /jetwire/info: "
				"not a jetwire instance?\n");
		jwstat_sample_free(s);
		return -EPROTO;
	}
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: jwstat [-i INSTANCE] [--prefix FILE_PREFIX | --socket PATH]\n"
		"              [--json | --prom] [--once] [--interval S] [--count N]\n"
		"       jwstat --prom --listen [ADDR:]PORT [-i INSTANCE | --prefix P | --socket PATH]\n"
		"  -i, --instance   jetwire instance (default \"default\"; socket of EAL\n"
		"                   file prefix jetwire-INSTANCE)\n"
		"  --prefix         EAL file prefix of the instance instead\n"
		"  --socket         telemetry socket path instead\n"
		"  --json           one JSON object per sample\n"
		"  --prom           Prometheus text exposition per sample\n"
		"                   (--json, --prom: one sample and exit unless --interval or\n"
		"                   --count is given; the table is a live view)\n"
		"  --once           one sample, then exit (rates: averages since start)\n"
		"  --interval S     seconds between samples (default 1, at least 0.1)\n"
		"  --count N        stop after N samples\n"
		"  --listen A:P     with --prom: serve HTTP GET /metrics on ADDR:PORT (ADDR\n"
		"                   default 127.0.0.1; [::1]:PORT for IPv6), one telemetry\n"
		"                   read per scrape\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "instance", required_argument, NULL, 'i' },
		{ "prefix", required_argument, NULL, 'P' },
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "prom", no_argument, NULL, 'p' },
		{ "once", no_argument, NULL, '1' },
		{ "interval", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *instance = "default", *prefix = NULL, *sock = NULL, *listen_on = NULL;
	enum { OUT_TABLE, OUT_JSON, OUT_PROM } out = OUT_TABLE;
	struct jwstat_sample cur, prev;
	struct jw_stats_client client;
	double interval = 1.0;
	long count = -1, n;
	char path[512], err[256], *end;
	int opt, rc, have_prev = 0, tty, have_interval = 0;

	while ((opt = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'i': instance = optarg; break;
		case 'P': prefix = optarg; break;
		case 'S': sock = optarg; break;
		case 'j':
		case 'p':
			if (out != OUT_TABLE) {
				fprintf(stderr, "jwstat: --json and --prom exclude each other\n");
				return 2;
			}
			out = opt == 'j' ? OUT_JSON : OUT_PROM;
			break;
		case '1': count = 1; break;
		case 'n':
			interval = strtod(optarg, &end);
			if (*end != '\0' || !(interval >= 0.1) || interval > 86400) {
				fprintf(stderr, "jwstat: --interval wants seconds 0.1 .. 86400\n");
				return 2;
			}
			have_interval = 1;
			break;
		case 'c':
			count = strtol(optarg, &end, 10);
			if (*end != '\0' || count < 1) {
				fprintf(stderr, "jwstat: --count wants a positive number\n");
				return 2;
			}
			break;
		case 'L': listen_on = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (listen_on != NULL && (out != OUT_PROM || count > 0 || have_interval)) {
		fprintf(stderr, "jwstat: --listen serves --prom; it takes no --once, --interval "
				"or --count\n");
		return 2;
	}
	/* scripts: `jwstat --json | jq` must end; the table stays a live view */
	if (out != OUT_TABLE && count < 0 && !have_interval)
		count = 1;
	if (sock != NULL) {
		snprintf(path, sizeof(path), "%s", sock);
	} else if (jw_stats_socket_path(instance, prefix, path, sizeof(path)) != 0) {
		fprintf(stderr, "jwstat: bad instance or prefix name\n");
		return 2;
	}
	if (listen_on != NULL) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGPIPE, SIG_IGN);
		return jwstat_serve_http(listen_on, path, instance, &stop);
	}
	rc = jw_stats_client_open(&client, path, 2000, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "jwstat: %s\n", err);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	tty = isatty(1);
	memset(&prev, 0, sizeof(prev));
	for (n = 0; !stop && (count < 0 || n < count); n++) {
		if (n > 0) {
			struct timespec ts = { (time_t)interval,
					       (long)((interval - floor(interval)) * 1e9) };
			while (nanosleep(&ts, &ts) != 0 && !stop)
				;
			if (stop)
				break;
		}
		if (client.fd < 0) { /* live view: jetwire went away; try again each interval */
			if (jw_stats_client_open(&client, path, 2000, err, sizeof(err)) != 0)
				continue;
			fprintf(stderr, "jwstat: reconnected to %s\n", path);
			if (have_prev)
				jwstat_sample_free(&prev);
			have_prev = 0; /* counters may have restarted: no rates across it */
		}
		rc = jwstat_sample_take(&client, &cur);
		if (rc != 0 && count < 0 && rc != -EPROTO) {
			fprintf(stderr, "jwstat: lost %s; retrying every %.1fs (Ctrl-C to quit)\n",
				path, interval);
			jw_stats_client_close(&client);
			rc = 0;
			continue;
		}
		if (rc != 0)
			break;
		switch (out) {
		case OUT_TABLE:
			if (tty && count != 1)
				fputs("\033[H\033[2J", stdout); /* home, clear */
			jwstat_print_table(stdout, &cur, have_prev ? &prev : NULL, instance);
			break;
		case OUT_JSON:
			jwstat_print_json(stdout, &cur, have_prev ? &prev : NULL, instance);
			break;
		case OUT_PROM:
			jwstat_print_prom(stdout, &cur, instance);
			break;
		}
		fflush(stdout);
		if (have_prev)
			jwstat_sample_free(&prev);
		prev = cur;
		have_prev = 1;
	}
	if (have_prev)
		jwstat_sample_free(&prev);
	jw_stats_client_close(&client);
	return rc == 0 ? 0 : 1;
}
