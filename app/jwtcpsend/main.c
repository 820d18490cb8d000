/* jwtcpsend: sends N bytes of a deterministic pattern over jetwire's userspace TCP and
 * closes cleanly; a diagnostic for the path to a server host, and the interop test driver.
 *
 *   jwtcpsend -c CONFIG --dst IP:PORT --bytes N [--set section.key=value ...]
 *             [--timeout S] [--quiet]
 *
 * Two lcores as in jetwire (they may share CPUs): the TX lcore writes the pattern straight
 * into segment mbufs and runs tcp_tx_poll; the control (main) lcore receives, answers
 * ARP/ICMP and runs tcp_input/tcp_ctl_poll. Both sleep when idle.
 * The last line is `sent N bytes sha256 <hex>`; exit 0 only when every byte was
 * acknowledged and the close completed (FIN both ways).
 */
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
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "link.h"
#include "pattern.h"
#include "sendcfg.h"
#include "tcp/tcp.h"

#define IDLE_SPINS 32
#define IDLE_SLEEP_NS 20000

static volatile sig_atomic_t interrupted;

struct sender {
	struct send_cfg cfg;
	struct link link;
	struct tcp_stack *st;
	struct tcp_conn *c;
	struct tcp_io io_tx, io_ctl;
	_Atomic int stop;
	_Atomic int established;
	enum tcp_reason end_reason;
	bool ended;
	/* TX lcore results */
	uint64_t written;
	uint64_t tx_cycles, dev_cycles;
	int close_rc;
};

static uint64_t
now_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint16_t
tx_data(void *ctx, struct rte_mbuf **p, uint16_t n)
{
	struct sender *s = ctx;
	uint64_t t0 = rte_rdtsc();
	uint16_t k = rte_eth_tx_burst(s->link.port_id, s->link.txq_data, p, n);

	s->dev_cycles += rte_rdtsc() - t0;
	return k;
}

static uint16_t
tx_ctl(void *ctx, struct rte_mbuf **p, uint16_t n)
{
	struct sender *s = ctx;

	return rte_eth_tx_burst(s->link.port_id, s->link.txq_ctl, p, n);
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
		atomic_store(&s->established, 1);
	} else if (ev == TCP_EV_CLOSED) {
		s->ended = true;
		s->end_reason = why;
	}
}

static void
on_data(void *owner, struct tcp_conn *c, const uint8_t *d, uint32_t len)
{
	(void)owner; (void)c; (void)d; (void)len; /* a sink says nothing; count only */
}

/* The TX lcore: fill, poll, sleep when there is nothing to do. */
static int
tx_main(void *arg)
{
	struct sender *s = arg;
	uint64_t total = s->cfg.bytes;
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
				s->close_rc = tcp_tx_close(s->c);
				closed = s->close_rc == 0 || s->close_rc == -EPIPE;
			}
		}
		n = tcp_tx_poll(s->c);
		if (n > 0 || s->written != before) {
			s->tx_cycles += rte_rdtsc() - t0;
			idle = 0;
		} else if (++idle >= IDLE_SPINS) {
			idle_sleep();
		}
	}
	return 0;
}

static int
resolve_peer(struct sender *s, uint64_t timeout_ns)
{
	uint64_t start = now_ns(NULL), last = 0;
	struct rte_mbuf *pkts[32];

	while (!s->link.peer_known) {
		uint64_t t = now_ns(NULL);
		if (t - start > timeout_ns || interrupted)
			return -ETIMEDOUT;
		if (t - last > 200000000ull) {
			link_arp_request(&s->link, s->cfg.dst_ip_be);
			last = t;
		}
		uint16_t n = link_rx(&s->link, pkts, 32);
		for (uint16_t i = 0; i < n; i++)
			link_input(&s->link, pkts[i]);
		if (n == 0)
			idle_sleep();
	}
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void
print_stats(const struct sender *s, double secs)
{
	struct tcp_stats t;

	tcp_conn_stats(s->c, &t);
	printf("state %s reason \"%s\"\n", tcp_state_str(t.state), tcp_reason_str(t.reason));
	printf("bytes_acked %" PRIu64 " segs_out %" PRIu64 " segs_in %" PRIu64
	       " retransmits %" PRIu64 " rto_expiries %" PRIu64 " fast_retransmits %" PRIu64
	       " zero_window_probes %" PRIu64 " zero_windows_in %" PRIu64 "\n",
	       t.bytes_acked, t.segs_out, t.segs_in, t.retransmits, t.rto_expiries,
	       t.fast_retransmits, t.zero_window_probes, t.zero_windows_in);
	printf("dupacks_in %" PRIu64 " ooo_segs_in %" PRIu64 " challenge_acks %" PRIu64
	       " bad_segs_in %" PRIu64 " tx_clones %" PRIu64 " tx_nomem %" PRIu64 "\n",
	       t.dupacks_in, t.ooo_segs_in, t.challenge_acks, t.bad_segs_in, t.tx_clones,
	       t.tx_nomem);
	printf("stack_no_conn %" PRIu64 " stack_malformed %" PRIu64 " link_arp_in %" PRIu64
	       " link_icmp_in %" PRIu64 " link_other_in %" PRIu64 "\n",
	       atomic_load(&s->st->st_no_conn), atomic_load(&s->st->st_malformed),
	       s->link.arp_in, s->link.icmp_in, s->link.other_in);
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
	struct tcp_owner_ops ops = { on_data, on_event, &s };
	struct tcp_endpoint ep;
	struct rte_mempool *pool;
	struct rte_mbuf *pkts[32];
	char *eal_argv[32];
	int eal_argc, rc, exit_code = 1;
	unsigned int tx_lcore, idle = 0;
	uint64_t t_start, t_end, deadline;
	struct tcp_stats st;
	char hex[65], err[512];

	if (send_cfg_parse(argc, argv, &s.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "jwtcpsend: %s\n", err);
		return 2;
	}
	pattern_init();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	(void)prctl(PR_SET_TIMERSLACK, 1000UL);
	eal_argc = send_cfg_eal_argv(&s.cfg, eal_argv, 32);
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "jwtcpsend: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	tx_lcore = rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
	if (tx_lcore >= RTE_MAX_LCORE) {
		fprintf(stderr, "jwtcpsend: need two lcores (TX and control)\n");
		goto out_eal;
	}
	if (rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "jwtcpsend: no DPDK port (check port.vdev / port.pci)\n");
		goto out_eal;
	}
	pool = rte_pktmbuf_pool_create("jwtcpsend", s.cfg.mbufs, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "jwtcpsend: mbuf pool: %s\n", rte_strerror(rte_errno));
		goto out_eal;
	}
	rc = link_start(&s.link, 0, pool, s.cfg.local_ip_be, s.cfg.mtu, s.cfg.cksum_offload);
	if (rc != 0) {
		fprintf(stderr, "jwtcpsend: port start: %s\n", strerror(-rc));
		goto out_eal;
	}
	if (resolve_peer(&s, 3000000000ull) != 0) {
		fprintf(stderr, "jwtcpsend: no ARP answer from %s\n", s.cfg.dst_str);
		goto out_link;
	}

	tcp_params_default(&p);
	send_cfg_tcp_params(&s.cfg, &p);
	s.io_tx = (struct tcp_io){ tx_data, now_ns, &s, pool, s.link.cksum_offload };
	s.io_ctl = (struct tcp_io){ tx_ctl, now_ns, &s, pool, s.link.cksum_offload };
	s.st = tcp_stack_create(&s.io_ctl, &p, NULL);
	s.c = s.st != NULL ? tcp_conn_create(s.st, &s.io_tx, &ops) : NULL;
	if (s.c == NULL) {
		fprintf(stderr, "jwtcpsend: tcp: %s\n", strerror(errno));
		goto out_link;
	}
	memset(&ep, 0, sizeof(ep));
	ep.src_mac = s.link.mac;
	ep.dst_mac = s.link.peer_mac;
	ep.src_ip = s.cfg.local_ip_be;
	ep.dst_ip = s.cfg.dst_ip_be;
	ep.dst_port = s.cfg.dst_port;
	rc = tcp_conn_connect(s.c, &ep);
	if (rc != 0) {
		fprintf(stderr, "jwtcpsend: connect: %s\n", strerror(-rc));
		goto out_tcp;
	}
	t_start = now_ns(NULL);
	deadline = t_start + (uint64_t)s.cfg.timeout_s * 1000000000ull;
	rte_eal_remote_launch(tx_main, &s, tx_lcore);

	/* The control lcore. */
	while (!s.ended) {
		uint16_t n = link_rx(&s.link, pkts, 32);
		for (uint16_t i = 0; i < n; i++) {
			if (link_is_tcp(&s.link, pkts[i]))
				(void)tcp_input(s.st, pkts[i]);
			else
				link_input(&s.link, pkts[i]);
		}
		tcp_ctl_poll(s.c);
		if (interrupted || now_ns(NULL) > deadline) {
			fprintf(stderr, "jwtcpsend: %s, aborting\n",
				interrupted ? "interrupted" : "timeout");
			tcp_conn_abort(s.c);
			break;
		}
		if (n > 0)
			idle = 0;
		else if (++idle >= IDLE_SPINS)
			idle_sleep();
	}
	t_end = now_ns(NULL);
	/* Let the TX lcore send the last ACK of the peer's FIN (or the RST), then stop it. */
	for (int i = 0; i < 50 && !atomic_load(&s.c->tx_released); i++)
		idle_sleep();
	atomic_store(&s.stop, 1);
	rte_eal_wait_lcore(tx_lcore);

	tcp_conn_stats(s.c, &st);
	if (!s.cfg.quiet)
		print_stats(&s, (double)(t_end - t_start) / 1e9);
	if (s.ended && s.end_reason == TCP_R_NORMAL && s.written == s.cfg.bytes &&
	    st.bytes_acked == s.cfg.bytes + 1 /* our FIN */) {
		pattern_sha256(s.cfg.bytes, hex);
		printf("sent %" PRIu64 " bytes sha256 %s\n", s.cfg.bytes, hex);
		exit_code = 0;
	} else {
		printf("failed: %s; %" PRIu64 " of %" PRIu64 " bytes acked\n",
		       s.ended ? tcp_reason_str(s.end_reason) : "did not finish",
		       st.bytes_acked > s.cfg.bytes ? s.cfg.bytes : st.bytes_acked, s.cfg.bytes);
	}
out_tcp:
	tcp_conn_destroy(s.c);
	tcp_stack_destroy(s.st);
out_link:
	link_stop(&s.link);
out_eal:
	rte_eal_cleanup();
	return exit_code;
}
