/* jetwire: the data-plane process.
 *
 *   build/jetwire -c FILE [--set section.key=value ...] [--check] [--dump-config]
 *   build/jetwire --help | --version
 *
 * Loads and validates the configuration (errors name the file, the key and the problem;
 * exit 2), initialises EAL from it, opens the port, starts the engine and runs the control
 * lcore until stopped: SIGTERM/SIGINT drain first ([engine] drain_timeout_s, see
 * supervise.h), a second one stops at once; SIGHUP reloads the [flow] tunables. Then joins
 * the lcores, stops and closes the port and exits 0. Runtime failures exit 1; credentials that
 * every server refuses before any connection came up exit 2 (one line naming the server and
 * the kind of credentials), as does a secret file that others may read or that is malformed.
 *   --check        validate the configuration and exit 0 (no EAL, no port)
 *   --dump-config  print every key as "section.key = value" (secrets redacted) and exit
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_version.h>

#include "auth/auth.h"
#include "config/config.h"
#include "config/config_schema.h"
#include "ctl.h"
#include "engine_run.h"
#include "log.h"
#include "net/net.h"
#include "port/port.h"
#include "supervise.h"
#include "tls/tls.h"
#include "version.h"

#define MAX_OVERRIDES 64

int jw_logtype;
static atomic_bool stop_flag;

static void
on_signal(int sig)
{
	jw_supervise_signal(sig);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: jetwire -c FILE [--set section.key=value ...] [--check] "
		   "[--dump-config]\n"
		   "       jetwire --help | --version\n");
}

static void
help(void)
{
	usage(stdout);
	printf("\n"
	       "jetwire publishes what local producers append to its shared-memory rings to NATS\n"
	       "JetStream over its own userspace TCP on a DPDK port.\n\n"
	       "  -c, --config FILE     INI configuration (rte_cfgfile); required\n"
	       "  -s, --set S.K=V       override key K of section [S] after the file (repeatable,\n"
	       "                        up to %d), e.g. --set flow.window_max=2048\n"
	       "      --check           validate the configuration and exit (0 valid, 2 not)\n"
	       "      --dump-config     print every key's effective value (secrets redacted)\n"
	       "  -h, --help            this text\n"
	       "  -V, --version         version and DPDK version\n\n"
	       "Sections:", MAX_OVERRIDES);
	for (size_t i = 0; i < jw_cfg_nsections; i++)
		printf(" [%s]", jw_cfg_sections[i]);
	printf("\n"
	       "Every key, its default and range: README.md, \"Configuration files\" (and\n"
	       "--dump-config for the values in effect); examples in dpdk-config/.\n\n"
	       "Signals: SIGTERM/SIGINT drain (no new records; wait up to [engine]\n"
	       "drain_timeout_s for acks of what was sent; unsent records stay in the rings for\n"
	       "the next start), a second one stops at once; SIGHUP re-reads the [flow] tunables.\n"
	       "Under systemd (NOTIFY_SOCKET): READY=1 once every NATS connection is up,\n"
	       "WATCHDOG=1, STATUS=. Exit status: 0 stopped, 1 runtime failure, 2 usage or\n"
	       "configuration error.\n");
}

static int
print_kv(const char *section, const char *key, const char *value, void *arg)
{
	(void)arg;
	printf("%s.%s = %s\n", section, key, value);
	return 0;
}

static void
log_summary(const struct jw_ctl *ctl, const struct jw_port *p)
{
	const struct jw_net_stats *s = &ctl->net.st;
	struct jw_fault_counters frx, ftx;
	uint64_t rx = 0, tx = 0;

	for (uint16_t q = 0; q < p->n_rxq; q++)
		rx += jw_stat_read(&p->rxq[q].st.pkts);
	for (uint16_t q = 0; q < p->n_txq; q++)
		tx += jw_stat_read(&p->txq[q].st.pkts);
	JW_LOG(INFO, "port: rx %lu tx %lu packets; arp requests in %lu out %lu, replies in %lu "
	       "out %lu; echo requests %lu replies %lu; tcp in %lu",
	       (unsigned long)rx, (unsigned long)tx, (unsigned long)s->rx_arp_request,
	       (unsigned long)s->tx_arp_request, (unsigned long)s->rx_arp_reply,
	       (unsigned long)s->tx_arp_reply, (unsigned long)s->rx_echo_request,
	       (unsigned long)s->tx_echo_reply, (unsigned long)s->rx_tcp);
	{
		/* what the device itself lost before jetwire polled it (net_af_packet: its
		 * ring was full; the peer's TCP then has to retransmit) */
		struct rte_eth_stats es;

		if (rte_eth_stats_get(p->port_id, &es) == 0 &&
		    (es.imissed || es.ierrors || es.rx_nombuf || es.oerrors))
			JW_LOG(WARNING, "port: the device missed %lu received packets (its ring was "
			       "full), rx errors %lu, no mbuf %lu, tx errors %lu",
			       (unsigned long)es.imissed, (unsigned long)es.ierrors,
			       (unsigned long)es.rx_nombuf, (unsigned long)es.oerrors);
	}
	for (int r = 0; r < JW_DROP_REASONS; r++)
		if (s->drop[r])
			JW_LOG(INFO, "dropped %lu: %s", (unsigned long)s->drop[r],
			       jw_drop_reason_str((enum jw_drop_reason)r));
	if (p->fault_enabled) {
		jw_port_fault_totals(p, &frx, &ftx);
		JW_LOG(INFO, "fault stage: rx dropped %lu dup %lu reordered %lu; tx dropped %lu "
		       "dup %lu reordered %lu", (unsigned long)frx.dropped,
		       (unsigned long)frx.duplicated, (unsigned long)frx.reordered,
		       (unsigned long)ftx.dropped, (unsigned long)ftx.duplicated,
		       (unsigned long)ftx.reordered);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "check", no_argument, NULL, 'k' },
		{ "dump-config", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct jw_supervise sup;
	static struct jw_config cfg;
	static struct jw_eal_args eal;
	static struct jw_ctl ctl;
	static struct jw_engine_run run;
	static struct jw_creds creds;
	const struct jw_creds *credp = NULL;
	const char *overrides[MAX_OVERRIDES];
	const char *path = NULL;
	int n_ov = 0, check = 0, dump = 0, o, r;
	char err[512], mac[RTE_ETHER_ADDR_FMT_SIZE];
	struct jw_port *port;
	struct sigaction sa;

	while ((o = getopt_long(argc, argv, "c:s:hV", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			path = optarg;
			break;
		case 's':
			if (n_ov == MAX_OVERRIDES) {
				fprintf(stderr, "jetwire: more than %d --set\n", MAX_OVERRIDES);
				return 2;
			}
			overrides[n_ov++] = optarg;
			break;
		case 'k':
			check = 1;
			break;
		case 'd':
			dump = 1;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("jetwire %s (%s)\n", JETWIRE_VERSION, rte_version());
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		return 2;
	}
	r = jw_config_load(path, overrides, n_ov, &cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "jetwire: %s\n", err);
		return 2;
	}
	if (dump) {
		jw_config_foreach(&cfg, print_kv, NULL);
		return 0;
	}
	/* secret files: checked (mode) and parsed now, also for --check; never printed */
	if (cfg.nats.nkey_seed_file[0] || cfg.nats.creds_file[0]) {
		r = jw_auth_load(cfg.nats.nkey_seed_file, cfg.nats.creds_file, &creds, err,
				 sizeof(err));
		if (r < 0) {
			fprintf(stderr, "jetwire: %s: %s\n", path, err);
			return 2;
		}
		credp = &creds;
	}
	/* TLS files (CA, client certificate and key): loaded once now, also for --check */
	if (cfg.nats.tls != JW_TLS_OFF) {
		struct tls_client_cfg tc = {
			.ca_file = cfg.nats.tls_ca_file, .cert_file = cfg.nats.tls_cert_file,
			.key_file = cfg.nats.tls_key_file,
			.min_version = (uint16_t)cfg.nats.tls_min_version,
		};
		struct tls_ctx *tctx = tls_ctx_create(&tc, err, sizeof(err));

		if (tctx == NULL) {
			fprintf(stderr, "jetwire: %s: [nats] tls: %s\n", path, err);
			jw_creds_wipe(&creds);
			return 2;
		}
		tls_ctx_destroy(tctx);
	}
	if (check) {
		jw_creds_wipe(&creds);
		return 0;
	}
	if (cfg.nats.n_servers == 0) {
		fprintf(stderr, "jetwire: %s: [nats] servers: at least one server is required\n",
			path);
		return 2;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	r = jw_eal_args_build(&cfg, argv[0], &eal, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "jetwire: %s\n", err);
		return 2;
	}
	if (rte_eal_init(eal.argc, eal.argv) < 0) {
		fprintf(stderr, "jetwire: %s: EAL initialisation failed: %s (check [eal] and "
			"[port])\n", path, rte_strerror(rte_errno));
		return 1;
	}
	jw_logtype = rte_log_register_type_and_pick_level("jetwire", RTE_LOG_INFO);
	if (jw_logtype < 0)
		jw_logtype = RTE_LOGTYPE_USER1;
	rte_log_set_level(jw_logtype, cfg.eal.log_level);
	JW_LOG(INFO, "config %s, EAL %s, lcores %s (main %u, control %u)", path,
	       eal.no_huge ? "without hugepages" : "with hugepages", cfg.eal.lcores,
	       rte_get_main_lcore(), cfg.cores.control);

	port = jw_port_open(&cfg, err, sizeof(err));
	if (!port) {
		JW_LOG(ERR, "%s", err);
		rte_eal_cleanup();
		return 1;
	}
	rte_ether_format_addr(mac, sizeof(mac), &port->mac);
	JW_LOG(INFO, "port %u %s (%s) mac %s mtu %u, %u RX / %u TX queues, checksum offload %s, "
	       "TSO %s, fault stage %s", port->port_id, port->name, port->driver, mac, port->mtu,
	       port->n_rxq, port->n_txq, port->tx_cksum_offload ? "on" : "off",
	       port->tx_tso ? "on" : "off", port->fault_enabled ? "ON" : "off");

	r = jw_ctl_init(&ctl, &cfg, port, &stop_flag);
	if (r < 0) {
		JW_LOG(ERR, "control setup failed: %s", strerror(-r));
		jw_port_close(port);
		rte_eal_cleanup();
		return 1;
	}
	{
		const uint8_t *a = (const uint8_t *)&cfg.net.addr.addr_be;

		JW_LOG(INFO, "serving %u.%u.%u.%u/%u", a[0], a[1], a[2], a[3], cfg.net.addr.len);
	}
	r = jw_engine_start(&run, &cfg, port, &ctl, credp, err, sizeof(err));
	if (r < 0) {
		JW_LOG(ERR, "%s", err);
		jw_port_close(port);
		rte_eal_cleanup();
		return 1;
	}

	/* drain, reload and notifications run on the control lcore from here on */
	jw_supervise_init(&sup, path, overrides, n_ov, &cfg, run.e, &stop_flag);
	run.sup = &sup;

	if (cfg.cores.control == rte_get_main_lcore()) {
		jw_ctl_run(&ctl);
	} else {
		r = rte_eal_remote_launch(jw_ctl_run, &ctl, cfg.cores.control);
		if (r != 0) {
			JW_LOG(ERR, "cannot launch the control lcore %u: %s", cfg.cores.control,
			       strerror(-r));
			atomic_store_explicit(&stop_flag, true, memory_order_seq_cst);
		}
		while (!atomic_load_explicit(&stop_flag, memory_order_seq_cst))
			usleep(50 * 1000);
	}
	JW_LOG(INFO, "stopping");
	jw_engine_finish(&run);
	rte_eal_mp_wait_lcore();
	log_summary(&ctl, port);
	jw_port_close(port);
	JW_LOG(INFO, "port closed, exiting");
	jw_supervise_fini(&sup);
	rte_eal_cleanup();
	jw_creds_wipe(&creds);
	if (jw_engine_fatal(&run) != NULL) {
		fprintf(stderr, "jetwire: %s: %s\n", path, jw_engine_fatal(&run));
		return 2;
	}
	return 0;
}
