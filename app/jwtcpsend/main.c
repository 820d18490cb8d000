/* jwtcpsend: sends N bytes of a deterministic pattern over jetwire's userspace TCP and
 * closes cleanly; a diagnostic for the path to a server host, and the interop test driver.
 *
 *   jwtcpsend -c CONFIG --dst IP:PORT --bytes N [--set section.key=value ...]
 *             [--timeout S] [--quiet]
 *
 * The lcore roles of jetwire, from the same configuration ([cores] control and the first
 * [cores] tx lcore; they may share CPUs): the TX lcore writes the pattern straight into
 * segment mbufs and runs tcp_tx_poll on its TX queue; the control lcore polls every RX
 * queue, answers ARP/ICMP (lib/net) and runs tcp_input/tcp_ctl_poll. Both sleep when idle.
 * Everything goes through lib/port, so the [fault] stage applies (--set fault.tx_drop=...).
 * The EAL file prefix is jw-tcpsend-<pid>, so it runs beside a jetwire.
 * The last line is `sent N bytes sha256 <hex>`; exit 0 only when every byte was
 * acknowledged and the close completed (FIN both ways).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "common/jw_time.h"
#include "config/config.h"
#include "net/net.h"
#include "pattern.h"
#include "port/port.h"
#include "tcp/tcp.h"

#define MAX_OVERRIDES 64
#define IDLE_SPINS    32
#define IDLE_SLEEP_NS 20000
#define PACE_SPIN_NS  50000
#define ARP_WAIT_NS   3000000000ull

static atomic_int interrupted;

struct opts {
	const char *config;
	const char *overrides[MAX_OVERRIDES];
	int n_overrides;
	char dst_str[64];
	uint32_t dst_ip_be;
	uint16_t dst_port;
	uint64_t bytes;
	uint32_t timeout_s;
	uint32_t trace_ms;    /* --trace-ms: a line of counters every this many ms (0 = none) */
	bool quiet;
};

struct sender {
	struct opts o;
	struct jw_config cfg;
	struct jw_port *port;
	struct jw_net net;
	struct tcp_stack *st;
	struct tcp_conn *c;
	struct tcp_io io_tx, io_ctl;
	uint16_t txq_data, txq_ctl;
	unsigned int tx_lcore, ctl_lcore;
	_Atomic int stop;
	_Atomic int established;
	/* control lcore results */
	enum tcp_reason end_reason;
	bool ended;
	int ctl_rc;
	uint64_t t_start, t_end;
	/* TX lcore results */
	uint64_t written;
	uint64_t tx_cycles, dev_cycles;
};

static uint64_t
now_ns(void *ctx)
{
	(void)ctx;
	return jw_mono_ns();
}

/* The TX lcore's device: lib/port's burst (with the fault stage), timed for the report. */
static uint16_t
tx_data(void *ctx, struct rte_mbuf **p, uint16_t n)
{
	struct sender *s = ctx;
	uint64_t t0 = rte_rdtsc();
	uint16_t k = jw_port_tx_burst(s->port, s->txq_data, p, n);

	s->dev_cycles += rte_rdtsc() - t0;
	return k;
}

static uint16_t
tx_ctl(void *ctx, struct rte_mbuf **p, uint16_t n)
{
	struct sender *s = ctx;

	return jw_port_tx_burst(s->port, s->txq_ctl, p, n);
}

static void
ctl_send(struct sender *s, struct rte_mbuf *m)
{
	if (m != NULL && jw_port_tx_burst(s->port, s->txq_ctl, &m, 1) != 1)
		rte_pktmbuf_free(m);
}

static void
idle_sleep(void)
{
	struct timespec ts = { 0, IDLE_SLEEP_NS };

	nanosleep(&ts, NULL);
}

static void
on_event(void *owner, struct tcp_conn *c, enum tcp_event ev, enum tcp_reason why)
{
	struct sender *s = owner;

	(void)c;
	if (ev == TCP_EV_ESTABLISHED) {
		atomic_store_explicit(&s->established, 1, memory_order_release);
	} else if (ev == TCP_EV_CLOSED) {
		s->ended = true;
		s->end_reason = why;
	}
}

/* The TX lcore: fill, poll, sleep when there is nothing to do. */
static int
tx_main(void *arg)
{
	struct sender *s = arg;
	uint64_t total = s->o.bytes;
	bool closed = false;
	unsigned int idle = 0;

	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		uint64_t t0 = rte_rdtsc();
		uint64_t before = s->written;
		uint32_t room;
		uint8_t *b;
		uint16_t n;

		if (atomic_load_explicit(&s->established, memory_order_acquire)) {
			while (s->written < total && (b = tcp_tx_buf(s->c, &room)) != NULL) {
				uint32_t k = room;
				if (k > total - s->written)
					k = (uint32_t)(total - s->written);
				pattern_fill(b, s->written, k);
				tcp_tx_commit(s->c, k);
				s->written += k;
			}
			if (s->written == total && !closed) {
				int rc = tcp_tx_close(s->c);
				closed = rc == 0 || rc == -EPIPE || rc == -EALREADY;
			}
		}
		n = tcp_tx_poll(s->c);
		if (n > 0 || s->written != before) {
			s->tx_cycles += rte_rdtsc() - t0;
			idle = 0;
		} else if (tcp_tx_pace_wait_ns(s->c, now_ns(NULL)) - 1u < PACE_SPIN_NS) {
			/* pacing holds data for less than a sleep lasts: keep polling (a longer
			 * wait sleeps; the pacer credits the time a sleep overshoots) */
			jw_port_tx_flush(s->port, s->txq_data);
			idle = 0;
		} else if (++idle >= IDLE_SPINS) {
			jw_port_tx_flush(s->port, s->txq_data);
			idle_sleep();
		}
	}
	return 0;
}

/* One control-lcore receive pass: every RX queue, ARP/ICMP to lib/net, TCP to lib/tcp.
 * Returns the number of frames handled. */
static unsigned int
ctl_rx(struct sender *s)
{
	struct rte_mbuf *pkts[32];
	unsigned int total = 0;

	for (uint16_t q = 0; q < s->port->n_rxq; q++) {
		uint16_t n = jw_port_rx_burst(s->port, q, pkts, 32);
		for (uint16_t i = 0; i < n; i++) {
			switch (jw_net_classify(&s->net, pkts[i], NULL)) {
			case JW_RX_TCP:
				(void)tcp_input(s->st, pkts[i]);
				break;
			case JW_RX_ARP:
			case JW_RX_ICMP:
				ctl_send(s, jw_net_input(&s->net, pkts[i], s->port->pool, now_ns(NULL)));
				break;
			default:
				rte_pktmbuf_free(pkts[i]);
				break;
			}
		}
		total += n;
	}
	return total;
}

static int
resolve_peer(struct sender *s, struct rte_ether_addr *mac)
{
	uint64_t start = now_ns(NULL);
	uint32_t hop;
	int rc = jw_net_next_hop(&s->net, s->o.dst_ip_be, &hop);

	if (rc != 0)
		return rc;
	for (;;) {
		struct rte_mbuf *req = NULL;
		rc = jw_arp_resolve(&s->net, hop, now_ns(NULL), s->port->pool, mac, &req);
		ctl_send(s, req);
		if (rc == 0 || (rc != -EAGAIN && rc != -ENOMEM))
			return rc;
		if (now_ns(NULL) - start > ARP_WAIT_NS ||
		    atomic_load_explicit(&interrupted, memory_order_seq_cst))
			return -EHOSTUNREACH;
		if (ctl_rx(s) == 0)
			idle_sleep();
	}
}

/* --trace-ms: one line of the connection's counters on stderr (time since connect in ms),
 * to see where a transfer stalls or how cwnd moves. */
static void
trace_line(const struct sender *s, uint64_t now)
{
	struct tcp_stats t;

	tcp_conn_stats(s->c, &t);
	fprintf(stderr, "trace %.1f acked %" PRIu64 " cwnd %u ssthresh %u srtt_us %u rtx %" PRIu64
		" fast %" PRIu64 " tlp %" PRIu64 " rto %" PRIu64 " undo %" PRIu64 " snd_wnd %u\n",
		(double)(now - s->t_start) / 1e6, t.bytes_acked, t.cwnd, t.ssthresh, t.srtt_us,
		t.retransmits, t.fast_retransmits, t.loss_probes, t.rto_expiries, t.spurious_undos,
		t.snd_wnd);
}

/* The control lcore: connect, then input until the connection ends (or time is up). */
static int
ctl_main(void *arg)
{
	struct sender *s = arg;
	struct tcp_endpoint ep;
	unsigned int idle = 0;
	uint64_t deadline, next_trace;
	int rc;

	memset(&ep, 0, sizeof(ep));
	rc = resolve_peer(s, &ep.dst_mac);
	if (rc != 0) {
		fprintf(stderr, "jwtcpsend: %s: no ARP answer (%s)\n", s->o.dst_str, strerror(-rc));
		s->ctl_rc = rc;
		return 0;
	}
	ep.src_mac = s->port->mac;
	ep.src_ip = s->cfg.net.addr.addr_be;
	ep.dst_ip = s->o.dst_ip_be;
	ep.dst_port = s->o.dst_port;
	rc = tcp_conn_connect(s->c, &ep);
	if (rc != 0) {
		fprintf(stderr, "jwtcpsend: connect: %s\n", strerror(-rc));
		s->ctl_rc = rc;
		return 0;
	}
	s->t_start = now_ns(NULL);
	deadline = s->t_start + (uint64_t)s->o.timeout_s * 1000000000ull;
	next_trace = s->t_start;
	while (!s->ended) {
		unsigned int n = ctl_rx(s);
		tcp_ctl_poll(s->c);
		if (s->o.trace_ms != 0 && now_ns(NULL) >= next_trace) {
			trace_line(s, now_ns(NULL));
			next_trace += (uint64_t)s->o.trace_ms * 1000000ull;
		}
		if (atomic_load_explicit(&interrupted, memory_order_seq_cst) ||
		    now_ns(NULL) > deadline) {
			fprintf(stderr, "jwtcpsend: %s, aborting\n",
				atomic_load_explicit(&interrupted, memory_order_seq_cst) ?
				"interrupted" : "timeout");
			tcp_conn_abort(s->c);
			break;
		}
		if (n > 0) {
			idle = 0;
		} else if (++idle >= IDLE_SPINS) {
			jw_port_tx_flush(s->port, s->txq_ctl);
			idle_sleep();
		}
	}
	s->t_end = now_ns(NULL);
	/* Keep answering while the TX lcore sends the last ACK (or RST) and lets go. */
	for (int i = 0; i < 500 && !tcp_conn_tx_released(s->c); i++) {
		ctl_rx(s);
		idle_sleep();
	}
	atomic_store_explicit(&s->stop, 1, memory_order_seq_cst);
	return 0;
}

/* Waits for the worker lcores by sleeping: rte_eal_mp_wait_lcore spins, and a spinning main
 * lcore takes a whole CPU from the TX and control lcores and the sink on a small host (on
 * the 2-CPU reference box it held one CPU at 100 % for the whole transfer). */
static void
wait_workers(void)
{
	unsigned int l;

	RTE_LCORE_FOREACH_WORKER(l)
		while (rte_eal_get_lcore_state(l) == RUNNING)
			usleep(1000);
	rte_eal_mp_wait_lcore();
}

static void
on_signal(int sig)
{
	(void)sig;
	atomic_store_explicit(&interrupted, 1, memory_order_seq_cst);
}

static int
parse_size(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (end == v || errno != 0 || *v == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': n <<= 10; end++; break;
	case 'm': case 'M': n <<= 20; end++; break;
	case 'g': case 'G': n <<= 30; end++; break;
	default: break;
	}
	if (*end != '\0')
		return -1;
	*out = n;
	return 0;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dst", required_argument, NULL, 'd' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "set", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "trace-ms", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_bytes = false;
	int opt;

	memset(o, 0, sizeof(*o));
	o->timeout_s = 600;
	while ((opt = getopt_long(argc, argv, "c:d:b:s:t:qh", lo, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o->config = optarg;
			break;
		case 'd': {
			char ip[64], *colon;
			long port;
			snprintf(o->dst_str, sizeof(o->dst_str), "%s", optarg);
			snprintf(ip, sizeof(ip), "%s", optarg);
			colon = strrchr(ip, ':');
			if (colon == NULL)
				goto bad_dst;
			*colon = '\0';
			port = strtol(colon + 1, NULL, 10);
			if (inet_pton(AF_INET, ip, &o->dst_ip_be) != 1 || port <= 0 || port > 65535)
				goto bad_dst;
			o->dst_port = (uint16_t)port;
			break;
		bad_dst:
			fprintf(stderr, "jwtcpsend: --dst %s: want IPv4:PORT\n", optarg);
			return -1;
		}
		case 'b':
			if (parse_size(optarg, &o->bytes) != 0) {
				fprintf(stderr, "jwtcpsend: --bytes %s: not a byte count\n", optarg);
				return -1;
			}
			have_bytes = true;
			break;
		case 's':
			if (o->n_overrides == MAX_OVERRIDES) {
				fprintf(stderr, "jwtcpsend: more than %d --set\n", MAX_OVERRIDES);
				return -1;
			}
			o->overrides[o->n_overrides++] = optarg;
			break;
		case 't':
			o->timeout_s = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'T':
			o->trace_ms = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		default:
			return -1;
		}
	}
	if (o->config == NULL || o->dst_port == 0 || !have_bytes || optind != argc)
		return -1;
	return 0;
}

static void
tcp_params_from_config(const struct jw_config *cfg, struct tcp_params *p)
{
	uint32_t mss = cfg->tcp.mss != 0 ? cfg->tcp.mss : cfg->port.mtu - 40;

	tcp_params_default(p);
	p->mss = (uint16_t)(mss < 536 ? 536 : mss > 9000 ? 9000 : mss);
	p->rcv_buf = cfg->tcp.rcv_buf < p->mss ? p->mss : cfg->tcp.rcv_buf;
	p->rto_min_ms = cfg->tcp.rto_min_ms;
	if (p->rto_init_ms < p->rto_min_ms)
		p->rto_init_ms = p->rto_min_ms;
	if (p->rto_max_ms < p->rto_init_ms)
		p->rto_max_ms = p->rto_init_ms;
	p->max_retries = (uint8_t)(cfg->tcp.max_retries > 255 ? 255 : cfg->tcp.max_retries);
	p->syn_retries = (uint8_t)(cfg->tcp.syn_retries > 255 ? 255 : cfg->tcp.syn_retries);
	p->offer_sack = cfg->tcp.sack;
	p->delack_ms = (uint16_t)cfg->tcp.delack_ms;
	p->pacing_gain_pct = (uint16_t)cfg->tcp.pacing_gain;
	p->pacing_burst = (uint16_t)cfg->tcp.pacing_burst;
	p->beta_pct = (uint8_t)cfg->tcp.beta;
}

static void
print_stats(const struct sender *s, double secs)
{
	struct jw_fault_counters frx, ftx;
	struct tcp_stats t;

	tcp_conn_stats(s->c, &t);
	printf("state %s reason \"%s\"\n", tcp_state_str(t.state), tcp_reason_str(t.reason));
	printf("bytes_acked %" PRIu64 " segs_out %" PRIu64 " segs_in %" PRIu64
	       " retransmits %" PRIu64 " rto_expiries %" PRIu64 " fast_retransmits %" PRIu64
	       " zero_window_probes %" PRIu64 " zero_windows_in %" PRIu64 " loss_probes %" PRIu64 "\n",
	       t.bytes_acked, t.segs_out, t.segs_in, t.retransmits, t.rto_expiries,
	       t.fast_retransmits, t.zero_window_probes, t.zero_windows_in, t.loss_probes);
	printf("dupacks_in %" PRIu64 " ooo_segs_in %" PRIu64 " dup_segs_in %" PRIu64
	       " challenge_acks %" PRIu64 " bad_segs_in %" PRIu64 " tx_clones %" PRIu64
	       " tx_copies %" PRIu64 " tx_nomem %" PRIu64 " tso_pkts %" PRIu64 "\n",
	       t.dupacks_in, t.ooo_segs_in, t.dup_segs_in, t.challenge_acks, t.bad_segs_in,
	       t.tx_clones, t.tx_copies, t.tx_nomem, t.tso_pkts);
	printf("sack_ok %d sack_blocks_in %" PRIu64 " dsacks_in %" PRIu64 " rtx_rto %" PRIu64
	       " rtx_fast %" PRIu64 " rtx_tlp %" PRIu64 " rtx_other %" PRIu64 " rack_losses %" PRIu64
	       " spurious_undos %" PRIu64 " undos_dsack %" PRIu64 " undos_eifel %" PRIu64
	       " rto_held %" PRIu64 " pure_acks_out %" PRIu64 " delayed_acks %" PRIu64
	       " pacing_waits %" PRIu64 " pacing_rate_bps %" PRIu64 "\n",
	       t.sack_ok, t.sack_blocks_in, t.dsacks_in, t.rtx_rto, t.rtx_fast, t.rtx_tlp,
	       t.rtx_other, t.rack_losses, t.spurious_undos, t.undos_dsack, t.undos_eifel,
	       t.rto_held, t.pure_acks_out, t.delayed_acks, t.pacing_waits, t.pacing_rate_bps);
	printf("stack_no_conn %" PRIu64 " stack_malformed %" PRIu64 "\n",
	       atomic_load_explicit(&s->st->st_no_conn, memory_order_relaxed),
	       atomic_load_explicit(&s->st->st_malformed, memory_order_relaxed));
	if (s->port->fault_enabled) {
		jw_port_fault_totals(s->port, &frx, &ftx);
		printf("fault rx_drop %" PRIu64 " rx_dup %" PRIu64 " rx_reorder %" PRIu64
		       " tx_drop %" PRIu64 " tx_dup %" PRIu64 " tx_reorder %" PRIu64 "\n",
		       frx.dropped, frx.duplicated, frx.reordered, ftx.dropped, ftx.duplicated,
		       ftx.reordered);
	}
	printf("mss %u cwnd %u ssthresh %u srtt_us %u rto_ms %u snd_wnd %u\n", t.mss, t.cwnd,
	       t.ssthresh, t.srtt_us, t.rto_ms, t.snd_wnd);
	if (t.segs_out > 0)
		printf("tx_cycles_per_segment %.1f (device tx_burst included) %.1f (TCP only)\n",
		       (double)s->tx_cycles / (double)t.segs_out,
		       (double)(s->tx_cycles - s->dev_cycles) / (double)t.segs_out);
	printf("seconds %.3f throughput_mbit_s %.1f\n", secs,
	       secs > 0 ? (double)t.bytes_acked * 8 / secs / 1e6 : 0.0);
}

int
main(int argc, char **argv)
{
	static struct sender s;
	struct tcp_params p;
	struct tcp_owner_ops ops = { NULL, on_event, &s };
	struct jw_eal_args eal;
	struct tcp_stats st;
	char hex[65], err[512];
	int rc, exit_code = 1;

	if (parse_opts(argc, argv, &s.o) != 0) {
		fprintf(stderr, "usage: jwtcpsend -c CONFIG --dst IP:PORT --bytes N "
				"[--set section.key=value ...] [--timeout S] [--trace-ms MS] [--quiet]\n");
		return 2;
	}
	rc = jw_config_load(s.o.config, s.o.overrides, s.o.n_overrides, &s.cfg, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "jwtcpsend: %s\n", err);
		return 2;
	}
	snprintf(s.cfg.eal.file_prefix, sizeof(s.cfg.eal.file_prefix), "jw-tcpsend-%d",
		 (int)getpid());
	if (jw_eal_args_build(&s.cfg, "jwtcpsend", &eal, err, sizeof(err)) != 0) {
		fprintf(stderr, "jwtcpsend: %s\n", err);
		return 2;
	}
	pattern_init();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	(void)prctl(PR_SET_TIMERSLACK, 1000UL);
	if (rte_eal_init(eal.argc, eal.argv) < 0) {
		fprintf(stderr, "jwtcpsend: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	s.ctl_lcore = s.cfg.cores.control;
	s.tx_lcore = s.cfg.cores.tx.ids[0];
	s.txq_data = 0;
	s.txq_ctl = jw_port_ctl_txq(&s.cfg);
	s.port = jw_port_open(&s.cfg, err, sizeof(err));
	if (s.port == NULL) {
		fprintf(stderr, "jwtcpsend: %s\n", err);
		goto out_eal;
	}
	rc = jw_net_init(&s.net, &s.port->mac, s.cfg.net.addr.addr_be, s.cfg.net.addr.len,
			 s.cfg.net.gateway_be);
	if (rc != 0) {
		fprintf(stderr, "jwtcpsend: net: %s\n", strerror(-rc));
		goto out_port;
	}
	tcp_params_from_config(&s.cfg, &p);
	s.io_tx = (struct tcp_io){ tx_data, now_ns, &s, s.port->pool, s.port->tx_cksum_offload,
				   !s.port->tx_multi_seg, jw_port_tso_max(s.port),
				   s.port->tx_seg_max };
	s.io_ctl = (struct tcp_io){ tx_ctl, now_ns, &s, s.port->pool, s.port->tx_cksum_offload,
				    !s.port->tx_multi_seg, 0, 0 };
	s.st = tcp_stack_create(&s.io_ctl, &p, NULL);
	s.c = s.st != NULL ? tcp_conn_create(s.st, &s.io_tx, &ops) : NULL;
	if (s.c == NULL) {
		fprintf(stderr, "jwtcpsend: tcp: %s\n", strerror(errno));
		goto out_tcp;
	}

	/* TX lcore first (it idles until connect publishes SYN_SENT), then control. */
	if (rte_eal_remote_launch(tx_main, &s, s.tx_lcore) != 0) {
		fprintf(stderr, "jwtcpsend: cannot launch the TX lcore %u\n", s.tx_lcore);
		goto out_tcp;
	}
	if (s.ctl_lcore == rte_get_main_lcore()) {
		ctl_main(&s);
	} else if (rte_eal_remote_launch(ctl_main, &s, s.ctl_lcore) != 0) {
		fprintf(stderr, "jwtcpsend: cannot launch the control lcore %u\n", s.ctl_lcore);
		atomic_store_explicit(&s.stop, 1, memory_order_seq_cst);
	}
	wait_workers();

	tcp_conn_stats(s.c, &st);
	if (!s.o.quiet && s.ctl_rc == 0)
		print_stats(&s, (double)(s.t_end - s.t_start) / 1e9);
	if (s.ended && s.end_reason == TCP_R_NORMAL && s.written == s.o.bytes &&
	    st.bytes_acked == s.o.bytes + 1 /* + our FIN */) {
		pattern_sha256(s.o.bytes, hex);
		printf("sent %" PRIu64 " bytes sha256 %s\n", s.o.bytes, hex);
		exit_code = 0;
	} else {
		printf("failed: %s; %" PRIu64 " of %" PRIu64 " bytes acked\n",
		       s.ctl_rc != 0 ? "no connection" :
		       s.ended ? tcp_reason_str(s.end_reason) : "did not finish",
		       st.bytes_acked > s.o.bytes ? s.o.bytes : st.bytes_acked, s.o.bytes);
	}
out_tcp:
	tcp_conn_destroy(s.c);
	tcp_stack_destroy(s.st);
out_port:
	jw_port_close(s.port);
out_eal:
	rte_eal_cleanup();
	return exit_code;
}
