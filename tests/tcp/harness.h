/* packetdrill-style harness for lib/tcp: a fake device that captures what the connection
 * sends, a virtual clock, a scripted peer that injects segments, and an owner that records
 * data and events. One connection at a time; both lcore halves driven from this thread. */
#ifndef JW_TEST_TCP_HARNESS_H
#define JW_TEST_TCP_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp/tcp.h"

#define PEER_IP  0x010012c6u /* 198.18.0.1 in network order on little endian */
#define LOCAL_IP 0x020012c6u /* 198.18.0.2 */
#define PEER_PORT 4222

/* A parsed captured segment. */
struct pkt {
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	uint16_t sport, dport;
	uint32_t len;              /* payload length */
	bool has_mss, has_ws, has_ts, has_sack_perm;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	int n_sack;                /* SACK blocks in the segment */
	uint32_t sack[8];          /* start, end pairs */
	uint16_t nb_segs;
	bool cksum_ok;
	uint64_t ol_flags;
	uint16_t ip_len;
	/* TSO: the fake device split one packet into MSS segments, as a NIC does; each wire
	 * segment names its packet (tso_id, 1-based; 0 = not TSO) and that packet's payload. */
	uint32_t tso_id;
	uint32_t tso_len;
	uint16_t tso_segsz;
	uint8_t payload[9000];     /* last: parse_pkt clears the fields before it */
};

struct owner_log {
	uint8_t data[1 << 20];
	uint32_t data_len;
	int n_events;
	enum tcp_event ev[16];
	enum tcp_reason why[16];
};

struct harness {
	struct tcp_io io;
	struct tcp_stack *st;
	struct tcp_conn *c;
	struct tcp_params p;
	uint64_t now;
	bool hold;                 /* keep sent mbufs referenced as a NIC still reading them */
	uint16_t accept;           /* device takes at most this many per call (0 = all) */
	struct rte_mbuf *held[4096];
	int n_held;
	struct pkt *q;             /* captured, not yet popped */
	int q_head, q_tail;
	struct owner_log log;
	uint32_t peer_seq;         /* peer's next sequence number */
	uint32_t peer_isn;
	uint32_t abort_after;       /* on_data aborts once this many bytes arrived (0 = never) */
	uint32_t tso_pkts;          /* TSO packets the fake device split */
	uint32_t tso_max_seen;      /* largest TSO payload */
	bool pacing;                /* set before h_open: keep the params' pacing (else off,
				     * so tests see whole bursts in one poll) */
};

extern struct harness H;
extern struct rte_mempool *test_pool;

int harness_eal_init(void);
/* New stack and connection with params p (NULL = defaults), fixed ISN iss. */
void h_open(const struct tcp_params *p, uint32_t iss);
void h_close(void);
/* tcp_tx_poll; captured packets are queued for h_pop. Returns the poll's count. */
int h_poll(void);
/* Pops the oldest captured segment; false when none. */
bool h_pop(struct pkt *out);
int h_pending(void);
void h_drain(void);
/* Injects a segment from the peer. opts: raw TCP option bytes (multiple of 4) or NULL. */
int h_inject(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, const uint8_t *opts,
	     uint8_t optlen, const void *payload, uint32_t len);
/* Builds SYN-ACK options: mss (0 = none), ws (-1 = none), ts (tsecr echo when ts). */
uint8_t h_synack_opts(uint8_t *o, uint16_t mss, int ws, bool ts, uint32_t tsval, uint32_t tsecr);
/* As h_synack_opts, plus SACK-permitted when sack (NOP NOP SACK_PERM). */
uint8_t h_synack_opts_sack(uint8_t *o, uint16_t mss, int ws, bool ts, uint32_t tsval,
			   uint32_t tsecr, bool sack);
/* Connects and completes the handshake (peer: mss 1460, ws 7, ts if with_ts). */
void h_establish(bool with_ts, uint32_t peer_isn);
/* The same with the peer offering SACK-permitted when sack. */
void h_establish_sack(bool with_ts, bool sack, uint32_t peer_isn);
/* A pure ACK from the peer with n SACK blocks (start, end pairs in blk) and, when the
 * connection uses timestamps, TSval 6000 and the given TSecr. */
int h_ack_sack(uint32_t ack, uint16_t win, uint32_t tsecr, int n, const uint32_t *blk);
/* Writes n bytes of pattern through tcp_tx_buf/commit; returns bytes written. */
uint32_t h_write(uint32_t n, bool push);
/* Injects a pure ACK from the peer with optional timestamps. */
int h_ack(uint32_t ack, uint16_t win);
void h_advance_ms(uint64_t ms);

#endif
