/* Types of jetwire's userspace TCP client (see tcp.h for the calls).
 *
 * One connection is split between two lcores (DESIGN.md, "one writer per datum"):
 *   - the CONTROL lcore does all input: tcp_input(), tcp_ctl_poll(), tcp_conn_connect(),
 *     tcp_conn_abort(); it owns what is learned from the wire;
 *   - the TX lcore does all output: tcp_tx_buf()/tcp_tx_commit()/tcp_tx_push()/tcp_tx_close()
 *     and tcp_tx_poll(); it owns what is sent: sequence numbers, the send/retransmit queue,
 *     the header template, the timers and congestion control.
 * Each side writes only its own fields; the other side reads them through C11 atomics.
 *
 * Field ownership (W = only writer; the other side reads with the ordering shown):
 *
 *  | field                    | W    | read by  | ordering                                     |
 *  |--------------------------|------|----------|----------------------------------------------|
 *  | ctl_state                | ctl  | tx, any  | store-release / load-acquire: publishes peer |
 *  |                          |      |          | options, irs, rcv_nxt written before it      |
 *  | peer_mss, snd_wscale,    | ctl  | tx       | plain; written before ctl_state=ESTABLISHED  |
 *  | rcv_wscale, ts_ok, irs,  |      |          | (release), read after acquire                |
 *  | sack_ok                  |      |          |                                              |
 *  | ack_state (una<<32|dup)  | ctl  | tx       | release/acquire; dup = consecutive dupacks   |
 *  | snd_wnd_edge             | ctl  | tx       | release/acquire (peer's right window edge)   |
 *  | acks_in                  | ctl  | tx       | relaxed: a count of accepted ACKs (slow-start |
 *  |                          |      |          | ACK counting, liveness of probes and RTOs)   |
 *  | rcv_nxt, ts_recent       | ctl  | tx       | release/acquire (go into every header)       |
 *  | ack_tsecr                | ctl  | tx       | plain atomic, stored before the ack_state     |
 *  |                          |      |          | release; TSecr of the last ACK that moved una|
 *  | sb (SACK scoreboard)     | ctl  | tx       | seqlock: sb.gen odd while writing; writer    |
 *  |                          |      |          | release fence / store-release of gen, reader |
 *  |                          |      |          | load-acquire of gen, acquire fence, recheck  |
 *  | ctl_poll_ns              | ctl  | tx       | release/acquire: "every ACK that arrived     |
 *  |                          |      |          | before this time is in ack_state and sb"     |
 *  | delack_at                | ctl  | tx       | release/acquire: rcv_nxt published before it |
 *  | rsb (our SACK blocks)    | ctl  | tx       | seqlock as sb; published before the ACK      |
 *  |                          |      |          | command that makes TX send them              |
 *  | ack_req                  | ctl  | tx (xchg)| ctl stores 1 (release), tx exchanges to 0    |
 *  | peer_fin, fin_acked,     | ctl  | any      | release/acquire (tcp_conn_state)             |
 *  | reason                   |      |          |                                              |
 *  | cmd ring                 | ctl  | tx       | rte_ring SP/SC (its own acquire/release)     |
 *  | snd_max, snd_nxt         | tx   | ctl      | release/acquire: ctl validates ACKs against  |
 *  |                          |      |          | snd_max (RFC 5961 §5.2)                      |
 *  | fin_seq, fin_sent        | tx   | ctl      | fin_seq written before fin_sent (release)    |
 *  | tx_fail                  | tx   | ctl      | release/acquire: retry limit reached         |
 *  | tx_released              | tx   | owner    | release/acquire: TX freed its queue          |
 *  | stats tx (cwnd, srtt...) | tx   | any      | relaxed, single writer                       |
 *  | stats ctl (segs_in...)   | ctl  | any      | relaxed, single writer                       |
 *
 * Acquire/release pairs (the tags mark each access; C = control lcore, T = TX lcore):
 *   [T1]  C: peer options, irs, windows, reason... then store-release ctl_state
 *         (tcp_conn_connect, syn_sent, tcp_ctl_close) -> T: load-acquire (tcp_tx_poll,
 *         writable); any: tcp_conn_state, tcp_conn_stats (sack_ok).
 *   [T2]  C: ack_tsecr (relaxed), then store-release ack_state (tcp_ctl_publish_ack) ->
 *         T: load-acquire (tcp_take_acks, tx_closed), then ack_tsecr (ack_eifel).
 *   [T3]  C: store-release snd_wnd_edge (process_ack) -> T: load-acquire (wnd_edge).
 *   [T4]  C: store-release rcv_nxt (publish_rcv) -> T: load-acquire (tcp_hdr_patch,
 *         acks_due, sack_opts_for for pure ACKs and data segments).
 *   [T5]  C: store-release ts_recent (synchronized) -> T: load-acquire (tcp_hdr_patch).
 *   [T6]  scoreboard seqlock: C gen odd, release fence, data, store-release gen even
 *         (sb_publish) -> T: load-acquire gen, data, acquire fence, gen again (sb_read).
 *   [T7]  our SACK blocks, the same seqlock: tcp_rsb_publish -> rsb_read (pure ACKs and,
 *         when they have room, data segments: sack_opts_for); published before the ACK
 *         command ([T11]) that makes T send them. sack_opts_for's relaxed look at rsb.n
 *         first is a hint only (0: skip the read); the blocks come from rsb_read.
 *   [T8]  C: store-release ctl_poll_ns (tcp_ctl_poll) -> T: load-acquire at the start of
 *         tcp_tx_poll, before the ACKs are taken.
 *   [T9]  C: rcv_nxt ([T4]), then store-release delack_at (data_in_order) -> T:
 *         load-acquire (tx_established).
 *   [T10] C: store-release ack_req (request_ack) -> T: acquire exchange (acks_due).
 *   [T11] cmd ring: rte_ring SP enqueue (tcp_cmd_push, release of the producer tail) ->
 *         SC dequeue (run_cmds, acquire).
 *   [T12] T: store-release snd_nxt and snd_max (publish_snd) -> C: load-acquire snd_max
 *         (process_ack).
 *   [T13] T: fin_seq (relaxed), then store-release fin_sent (tcp_xmit) -> C: load-acquire
 *         (process_ack), then fin_seq; any: tcp_conn_state.
 *   [T14] C: store-release fin_acked (process_ack) -> any: load-acquire (tcp_conn_state).
 *   [T15] C: store-release peer_fin (tcp_got_fin) -> any: load-acquire (tcp_conn_state).
 *   [T16] T: store-release tx_fail (tx_fail) -> C: load-acquire (tcp_ctl_poll).
 *   [T17] T: queue freed, then store-release tx_released (tx_closed) -> any: load-acquire
 *         (tcp_conn_tx_released).
 *   [T18] the device's refcount decrement (rte_pktmbuf_free, acq_rel) -> T: refcount read,
 *         acquire fence, then the header is rewritten in place (tcp_build_seg).
 *   Everything else shared is relaxed: counters and values that order nothing.
 *
 * Everything else in struct tcp_conn is private to one side, grouped by side on separate
 * cache lines (c_* control, t_* TX). Exception: tcp_conn_connect() (control) initialises
 * the TX side's t_* fields before its store-release of ctl_state = SYN_SENT; the TX lcore
 * touches nothing until it load-acquires a state other than IDLE. Unit tests drive both
 * sides from one thread, which is also allowed.
 */
#ifndef JW_TCP_T_H
#define JW_TCP_T_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "common/jw_common.h"

struct tcp_conn;
struct tcp_stack;

/* The I/O seam: how the TCP code reaches a device and a clock. One per TX lcore (or per
 * connection); the control lcore uses the stack's io for its clock only. */
struct tcp_io {
	/* Hands n packets to the device; returns how many it took (their ownership passes to
	 * the device, which frees them). The rest stay with the caller. */
	uint16_t (*tx_burst)(void *ctx, struct rte_mbuf **pkts, uint16_t n);
	/* Monotonic time in nanoseconds. */
	uint64_t (*now_ns)(void *ctx);
	void *ctx;
	/* Pool for segment, header and clone mbufs (data room >= RTE_PKTMBUF_HEADROOM + 1600). */
	struct rte_mempool *pool;
	/* The port computes IPv4 and TCP checksums (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM|TCP_CKSUM). */
	bool tx_cksum_offload;
	/* The port cannot send chained mbufs (no RTE_ETH_TX_OFFLOAD_MULTI_SEGS): a segment that
	 * cannot be rewritten in place is copied into one fresh mbuf instead of chaining a
	 * header to a clone. false (the default) = chaining allowed. */
	bool tx_no_chain;
	/* TCP segmentation offload (RTE_ETH_TX_OFFLOAD_TCP_TSO enabled on the queue): the
	 * device splits one packet of up to tso_max payload bytes into MSS-sized segments.
	 * 0 (the default) = no TSO: every packet is one segment. Used only together with
	 * tx_cksum_offload and chaining (!tx_no_chain); capped at what a 16-bit IPv4 total
	 * length holds (65535 - IPv4 - TCP headers). */
	uint32_t tso_max;
	/* Most mbufs one TSO packet may chain (header mbuf included), e.g. the device's
	 * tx_desc_lim.nb_seg_max; 0 = no limit beyond tso_max. */
	uint16_t tso_segs_max;
};

enum tcp_event {
	TCP_EV_ESTABLISHED = 1, /* handshake done: the TX lcore may write */
	TCP_EV_PEER_CLOSED,     /* the peer sent FIN: no more data will arrive */
	TCP_EV_CLOSED,          /* final: the connection is over, reason says why */
};

enum tcp_reason {
	TCP_R_NONE = 0,
	TCP_R_NORMAL,          /* FIN both ways, everything acknowledged */
	TCP_R_REFUSED,         /* RST in answer to our SYN */
	TCP_R_RESET,           /* peer reset an established connection */
	TCP_R_CONNECT_TIMEOUT, /* no SYN-ACK after syn_retries */
	TCP_R_TIMEOUT,         /* data or FIN not acknowledged after max_retries */
	TCP_R_FIN_TIMEOUT,     /* our FIN acked but the peer never closed (FIN_WAIT_2) */
	TCP_R_ABORTED,         /* tcp_conn_abort(): we sent RST */
	TCP_R_NOMEM,           /* mbuf pool exhausted for the handshake */
};

/* Called on the control lcore only. on_data gets the peer's bytes in order, each byte once;
 * the callee consumes them before returning (the window stays rcv_buf). Both callbacks may
 * call tcp_conn_abort() (no more data is delivered after it) but must not destroy the
 * connection. */
struct tcp_owner_ops {
	void (*on_data)(void *owner, struct tcp_conn *c, const uint8_t *data, uint32_t len);
	void (*on_event)(void *owner, struct tcp_conn *c, enum tcp_event ev, enum tcp_reason why);
	void *owner;
};

/* Tunables, normally from the [tcp] config section. tcp_params_default() fills them. */
struct tcp_params {
	uint16_t mss;              /* MSS offered and used at most (536..9000), default 1460 */
	uint32_t rcv_buf;          /* receive window in bytes (>= mss), default 256 KiB */
	uint32_t rto_min_ms;       /* RTO floor, default 200 (as Linux) */
	uint32_t rto_max_ms;       /* RTO ceiling, default 60000 */
	uint32_t rto_init_ms;      /* RTO before any RTT sample, default 1000 (RFC 6298) */
	uint8_t max_retries;       /* RTO expiries without progress before dead, default 8 */
	uint8_t syn_retries;       /* SYN retransmissions before connect timeout, default 6 */
	uint16_t snd_segs;         /* send queue in segments, power of two, default 1024 */
	uint16_t ooo_segs;         /* out-of-order segments held; default 0 = enough for the
				    * advertised window: 2 x rcv_buf / mss, 64..4096 */
	bool offer_wscale;         /* default true */
	bool offer_ts;             /* default true */
	bool offer_sack;           /* SACK-permitted in the SYN (RFC 2018), default true */
	uint16_t delack_ms;        /* delayed ACK timer for the peer's bytes: an in-order
				    * segment is ACKed with the second one or after this many
				    * ms (piggybacked when data leaves first); 0 = ACK every
				    * segment at once. Default 2 */
	uint16_t pacing_gain_pct;  /* pacing rate = gain x cwnd / SRTT (percent; slow start
				    * uses twice this), e.g. 120 as Linux; 0 = no pacing. Default
				    * 0: the engine's latency-bound bursts lose to it (README) */
	uint16_t pacing_burst;     /* most segments (or one TSO packet) per paced burst,
				    * default 4 */
	uint16_t tlp_floor_ms;     /* first PTO floor of a resent tail loss probe; 0 (default)
				    * = rto_min: no resent probe before the path lost something */
	uint8_t beta_pct;          /* multiplicative decrease: ssthresh = beta % of the flight
				    * on a loss (50 = Reno, 70 = CUBIC's beta, RFC 9438), at
				    * least 2 MSS; 50..90, default 70 */
	uint32_t fin_wait2_ms;     /* FIN_WAIT_2 limit, default 60000 */
	uint32_t challenge_acks_per_s; /* RFC 5961 §7 limit, default 10 */
};

/* Connection states as RFC 9293 names them (derived from both sides' fields). */
enum tcp_state {
	TCP_CLOSED = 0,
	TCP_SYN_SENT,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSING,
	TCP_TIME_WAIT,
	TCP_CLOSE_WAIT,
	TCP_LAST_ACK,
};

/* Control-side state word (ctl_state). */
enum tcp_ctl_state {
	TCP_CTL_IDLE = 0,
	TCP_CTL_SYN_SENT,
	TCP_CTL_ESTABLISHED,
	TCP_CTL_CLOSED,
};

/* Where a connection goes: filled by the caller (lib/net resolved the MACs). */
struct tcp_endpoint {
	struct rte_ether_addr src_mac, dst_mac;
	uint32_t src_ip, dst_ip;  /* network byte order */
	uint16_t dst_port;        /* host byte order */
};

/* Snapshot for the stats socket (tcp_conn_stats). */
struct tcp_stats {
	enum tcp_state state;
	enum tcp_reason reason;
	uint16_t src_port, dst_port;
	uint32_t snd_una, snd_nxt, snd_max, snd_wnd, rcv_nxt, rcv_wnd;
	uint32_t cwnd, ssthresh, srtt_us, rttvar_us, rto_ms, mss;
	uint64_t bytes_sent, bytes_acked, bytes_received;
	uint64_t segs_out, segs_in, retransmits, rto_expiries, fast_retransmits;
	uint64_t zero_window_probes, dupacks_in, ooo_segs_in, ooo_drops, dup_segs_in;
	uint64_t challenge_acks, bad_segs_in, tx_clones, tx_nomem;
	uint64_t zero_windows_in;          /* ACKs from the peer advertising a zero window */
	uint64_t loss_probes;              /* loss probes sent (TLP / PTO, tcp_recovery.c) */
	uint64_t tx_copies;                /* segments copied because the port cannot chain */
	uint64_t tso_pkts;                 /* packets the device split (TSO), counted once each;
					    * their wire segments are in segs_out */
	bool sack_ok;                      /* SACK negotiated */
	uint64_t sack_blocks_in;           /* SACK blocks received (DSACK blocks included) */
	uint64_t sack_blocks_out;          /* SACK blocks we sent for out-of-order data */
	uint64_t dsacks_in;                /* DSACK blocks received (RFC 2883) */
	uint64_t rtx_rto;                  /* retransmissions by cause: after an RTO */
	uint64_t rtx_fast;                 /*   loss recovery (RACK / dupacks / partial ACKs) */
	uint64_t rtx_tlp;                  /*   tail loss probes that resent a segment */
	uint64_t rtx_other;                /*   SYN, persist (a partial that was lost) */
	uint64_t rack_losses;              /* segments RACK marked lost */
	uint64_t spurious_undos;           /* cwnd/ssthresh restored: DSACK or Eifel */
	uint64_t undos_dsack, undos_eifel;
	uint64_t rto_held;                 /* timer expiries held back until the control lcore
					    * had polled past them */
	uint64_t pure_acks_out;            /* ACKs without data or SYN/FIN */
	uint64_t delayed_acks;             /* pure ACKs sent by the delayed-ACK timer */
	uint64_t pacing_waits;             /* polls where pacing held data back */
	uint64_t pacing_rate_bps;          /* current pacing rate, bytes/s (0 = not pacing) */
};

/* Commands control -> TX, carried in the SPSC ring as uintptr_t (cmd | arg << 8). */
enum tcp_cmd {
	TCP_CMD_ACK = 1,   /* send one pure ACK now (dupack, challenge ACK, window probe reply) */
	TCP_CMD_RST,       /* send RST with seq = arg (answer to an unacceptable SYN-ACK) */
	TCP_CMD_ABORT,     /* send RST with seq = snd_max and stop */
};

/* One queued segment (TX side). m holds the payload at a fixed offset (hdr_len after the
 * mbuf's buffer start + headroom); the headers are prepended on first transmission. */
struct tcp_seg {
	struct rte_mbuf *m;
	uint64_t xmit_ns;  /* last (re)transmission (RACK) */
	uint32_t seq;
	uint16_t len;      /* payload bytes */
	uint8_t fin;       /* FIN after the payload (occupies one sequence number) */
	uint8_t rexmit;    /* transmitted more than once (Karn: no RTT sample) */
	uint8_t sacked;    /* the peer SACKed all of it */
	uint8_t lost;      /* marked lost (RACK, RTO) and not retransmitted since: it does
			    * not count in pipe until it is sent again */
};

/* The SACK scoreboard the control lcore keeps: SACKed ranges above snd_una, sorted and
 * merged (at most TCP_SB_RANGES; when more arrive, the highest are dropped: the TX lcore
 * keeps per-segment marks, so a range it saw once stays marked), plus the last DSACK
 * blocks (RFC 2883) in a ring. Written under a seqlock (gen odd while writing); every
 * field is an atomic accessed relaxed inside it, so the reader's copy is race-free. */
#define TCP_SB_RANGES 16
#define TCP_SB_DSACKS 8
#define TCP_RTX_HIST  16 /* retransmitted ranges a DSACK is matched against (RACK) */
struct tcp_sack_board {
	_Atomic uint32_t gen;
	_Atomic uint32_t n;
	_Atomic uint32_t start[TCP_SB_RANGES], end[TCP_SB_RANGES];
	_Atomic uint32_t dsack_n;          /* DSACK blocks received so far (ring index) */
	_Atomic uint32_t ds_start[TCP_SB_DSACKS], ds_end[TCP_SB_DSACKS];
};

/* SACK blocks for our own ACKs (RFC 2018 §4, we as receiver): the out-of-order data the
 * control lcore holds, the block of the most recent arrival first; the TX lcore puts them
 * into pure ACKs. Same seqlock discipline as struct tcp_sack_board. */
#define TCP_RSB_MAX 4
struct tcp_rcv_sack {
	_Atomic uint32_t gen;
	_Atomic uint32_t n;
	_Atomic uint32_t dsack;           /* 1: block 0 reports a duplicate (RFC 2883), sent once */
	_Atomic uint32_t start[TCP_RSB_MAX], end[TCP_RSB_MAX];
};

/* Retransmissions of one loss episode that a DSACK may prove needless (TX-private). */
#define TCP_UNDO_RANGES 16

struct tcp_ooo {
	struct rte_mbuf *m;
	uint32_t seq;
	uint32_t len;
	uint32_t off;      /* payload offset in m */
	uint8_t fin;
};

#define TCP_TX_BURST 32
#define TCP_HDR_MAX  (RTE_ETHER_HDR_LEN + 20 + 60)
/* Most packets one tcp_tx_poll builds (data, probes, ACKs). */
#define TCP_POLL_OUT_MAX (TCP_TX_BURST * 2)

/* One arriving segment's header fields as tcp_input parsed them (control lcore). */
struct tcp_seg_info {
	uint32_t seq, ack, wnd;    /* wnd as in the header (unscaled) */
	uint8_t flags;
	uint32_t off, len;         /* payload offset in the mbuf and length */
	bool has_mss, has_ws, has_ts, has_sack_perm;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	uint8_t n_sack;            /* SACK blocks (RFC 2018 §3: at most 4 fit) */
	uint32_t sack_start[4], sack_end[4];
};

/* One tcp_tx_poll in progress (TX lcore, on its stack): the packets built so far. */
struct tcp_txctx {
	struct tcp_conn *c;
	uint64_t now;
	uint16_t n;                /* packets in out[] */
	uint16_t data_sent;        /* data packets among them */
	bool paced;                /* pacing held data back in this poll */
	struct rte_mbuf *out[TCP_POLL_OUT_MAX];
};

/* Why a segment is sent again (retransmission counters by cause). */
enum tcp_rtx_cause {
	TCP_RTX_AUTO = 0, /* decided by the state: after an RTO or in loss recovery */
	TCP_RTX_RTO,
	TCP_RTX_FAST,
	TCP_RTX_TLP,
	TCP_RTX_OTHER,
};

struct tcp_conn {
	/* ---- set by tcp_conn_create/connect before either side runs, then read-only ---- */
	struct tcp_stack *st;
	const struct tcp_io *io;          /* TX lcore's device and clock */
	struct tcp_owner_ops ops;
	struct tcp_params p;
	struct tcp_endpoint ep;
	uint16_t src_port;
	uint32_t iss;
	uint8_t rcv_wscale_offer;         /* our window-scale shift offered in SYN */
	struct rte_ring *cmd;             /* control -> TX commands */
	uint32_t ts_offset;               /* random TSval offset */

	/* ---- written by the CONTROL lcore ---- */
	jw_cache_aligned _Atomic uint8_t ctl_state;     /* enum tcp_ctl_state */
	_Atomic uint8_t peer_fin;         /* FIN received in order */
	_Atomic uint8_t fin_acked;        /* our FIN acknowledged */
	_Atomic uint8_t ack_req;          /* coalesced "ACK rcv_nxt soon" */
	_Atomic uint8_t reason;           /* enum tcp_reason once closed */
	_Atomic uint64_t ack_state;       /* snd_una << 32 | consecutive dupacks */
	_Atomic uint32_t snd_wnd_edge;    /* snd_una + scaled peer window */
	_Atomic uint32_t rcv_nxt;
	_Atomic uint32_t ts_recent;
	_Atomic uint64_t acks_in;
	_Atomic uint32_t ack_tsecr;
	_Atomic uint64_t ctl_poll_ns;     /* last tcp_ctl_poll (0 = never: timers not held) */
	_Atomic uint64_t delack_at;       /* delayed-ACK deadline for rcv_nxt (0 = none) */
	struct tcp_sack_board sb;
	struct tcp_rcv_sack rsb;          /* blocks for our ACKs (ctl writes, TX reads) */
	uint16_t peer_mss;
	uint8_t snd_wscale;               /* shift applied to the peer's window */
	uint8_t rcv_wscale;               /* shift applied to ours (0 unless both offered) */
	bool ts_ok;
	bool sack_ok;                     /* both offered SACK-permitted */
	uint32_t irs;

	/* control-private */
	jw_cache_aligned uint32_t c_snd_una;
	uint32_t c_dupacks;
	uint32_t c_snd_wnd;               /* scaled */
	uint32_t c_max_snd_wnd;
	uint32_t c_wl1, c_wl2;
	uint32_t c_rcv_nxt;
	uint64_t c_fin_acked_ns;          /* when FIN_WAIT_2 began */
	uint64_t c_chal_window_ns;        /* challenge-ACK rate window start */
	uint32_t c_chal_count;
	bool c_reported_closed;
	bool c_reported_peer_fin;
	bool c_registered;
	uint16_t c_ooo_n;
	struct tcp_ooo *c_ooo;            /* sorted by seq, p.ooo_segs entries */
	uint32_t c_sb_n;                  /* control's copy of the scoreboard ranges */
	uint32_t c_sb_start[TCP_SB_RANGES], c_sb_end[TCP_SB_RANGES];
	uint32_t c_dsack_n;
	uint32_t c_ds_start[TCP_SB_DSACKS], c_ds_end[TCP_SB_DSACKS];
	uint32_t c_unacked_segs;          /* in-order data segments not yet asked to be ACKed */
	/* control stats (relaxed, single writer) */
	_Atomic uint64_t st_segs_in, st_bytes_received, st_dupacks_in, st_ooo_segs_in,
		st_ooo_drops, st_dup_segs_in, st_challenge_acks, st_bad_segs_in, st_zero_wnd_in,
		st_sack_blocks_in, st_dsacks_in;

	/* ---- written by the TX lcore ---- */
	jw_cache_aligned _Atomic uint32_t snd_max;
	_Atomic uint32_t snd_nxt;
	_Atomic uint32_t fin_seq;
	_Atomic uint8_t fin_sent;
	_Atomic uint8_t tx_fail;          /* enum tcp_reason when TX gave up */
	_Atomic uint8_t tx_released;
	/* TX stats (relaxed, single writer) */
	_Atomic uint32_t st_cwnd, st_ssthresh, st_srtt_us, st_rttvar_us, st_rto_ms, st_mss;
	_Atomic uint64_t st_segs_out, st_bytes_sent, st_bytes_acked, st_retransmits,
		st_rto_expiries, st_fast_retransmits, st_zwp, st_tx_clones, st_tx_nomem,
		st_loss_probes, st_tx_copies, st_tso_pkts, st_rtx_rto, st_rtx_fast, st_rtx_tlp,
		st_rtx_other, st_rack_losses, st_undos_dsack, st_undos_eifel, st_rto_held,
		st_pure_acks, st_delayed_acks, st_pacing_waits, st_pacing_rate, st_sack_blocks_out;

	/* TX-private */
	jw_cache_aligned bool t_ready;    /* template built after ESTABLISHED */
	bool t_syn_sent;
	bool t_fin_queued;
	bool t_in_recovery;
	bool t_rtt_timing;
	bool t_push;                      /* send the partial segment */
	bool t_stopped;
	uint8_t t_syn_tries;
	uint8_t t_retries;                /* consecutive RTO expiries */
	uint8_t t_persist_backoff;
	uint8_t t_probes_unanswered;
	uint16_t t_hdr_len;               /* Ethernet + IPv4 + TCP with options (data segments) */
	uint16_t t_tcp_hdr_len;
	uint16_t t_mss;                   /* payload bytes per segment */
	uint16_t t_tso_segs;              /* most queued segments per TSO packet (0 = no TSO) */
	uint32_t t_tso_max;               /* most payload bytes per TSO packet (0 = no TSO) */
	uint32_t t_snd_una;
	uint32_t t_dup_seen;
	uint32_t t_next_seq;              /* sequence of the next byte appended */
	uint32_t t_snd_max;
	uint32_t t_cwnd, t_ssthresh, t_bytes_acked_ca, t_recover;
	uint32_t t_lt_extra;              /* limited transmit allowance (RFC 3042) */
	uint32_t t_probe_una;             /* snd_una when the last loss probe went */
	bool t_probed;                    /* a loss probe went at t_probe_una */
	uint64_t t_progress_ns;           /* last new data sent or snd_una advanced */
	uint64_t t_rto_acks_in;           /* acks_in at the last RTO expiry */
	uint32_t t_rtt_seq;
	uint64_t t_rtt_start_ns;
	int64_t t_srtt_ns, t_rttvar_ns;   /* srtt 0 = no sample yet */
	uint64_t t_rto_ns;
	uint64_t t_rto_deadline;          /* 0 = not armed */
	uint64_t t_persist_deadline;      /* 0 = not armed */
	uint64_t t_syn_deadline;
	uint64_t t_probe_acks_in;
	uint64_t t_acks_seen;             /* acks_in at the last tcp_take_acks */
	uint64_t t_ctl_seen_ns;           /* ctl_poll_ns loaded at this poll's start */
	/* SACK scoreboard as the TX lcore applied it, RACK (RFC 8985), PRR (RFC 6937) */
	uint32_t t_sb_gen;                /* scoreboard generation last applied */
	uint32_t t_sb_n;
	uint32_t t_sb_start[TCP_SB_RANGES], t_sb_end[TCP_SB_RANGES];
	uint32_t t_dsack_seen;
	bool t_sb_dirty;                  /* rescan the queue this poll */
	bool t_rack_reord;                /* reordering seen: use a reordering window */
	uint8_t t_rack_reo_mult;          /* reo_wnd = mult x min_rtt/4 (DSACKs raise it) */
	uint8_t t_rack_reo_persist;       /* recoveries left before mult goes back to 1 */
	uint8_t t_rtx_hist_i;             /* next slot of t_rtx_hist */
	uint32_t t_rack_dsack_round;      /* no further raise before snd_una passes this */
	uint32_t t_rtx_hist_s[TCP_RTX_HIST], t_rtx_hist_e[TCP_RTX_HIST]; /* last resent ranges */
	uint32_t t_rack_end_seq;          /* end of the most recently sent delivered segment */
	uint64_t t_rack_xmit_ns;          /* its transmission time */
	uint64_t t_rack_rtt_ns;           /* its RTT */
	uint64_t t_min_rtt_ns;
	uint64_t t_rack_deadline;         /* reordering timer (0 = not armed) */
	uint32_t t_fack;                  /* highest SACKed sequence + 1 */
	uint32_t t_lost_cnt;              /* queued segments marked lost, not yet resent */
	uint32_t t_lost_hint;             /* no lost segment below this queue index */
	uint32_t t_pipe;                  /* bytes in flight (RFC 6675 pipe) */
	uint32_t t_sacked_bytes;
	uint32_t t_prr_delivered, t_prr_out, t_recover_fs;
	uint64_t t_last_xmit_ns;          /* last data transmission (re-arms the TLP) */
	uint64_t t_pto_floor_ns;          /* PTO floor of a resent probe (rto_min at first,
					   * halved by losses, doubled by needless probes) */
	uint32_t t_tlp_high;              /* snd_max when the TLP went */
	uint32_t t_tlp_seq, t_tlp_end;    /* the segment a retransmitted TLP resent */
	bool t_tlp_out;                   /* a TLP episode is open */
	bool t_tlp_rtx;                   /* that TLP was a retransmission */
	bool t_tlp_dsacked;
	uint8_t t_tlp_n;                  /* probes with new data in this episode */
	bool t_zwp_on;                    /* t_zwp_seq is valid: */
	uint32_t t_zwp_seq;               /* the byte the last zero-window probe carried (beyond
					   * the peer's window: dropped, sent again as data) */
	bool t_part_on;                   /* t_part_end is valid: */
	uint32_t t_part_end;              /* end of what the persist timer sent of the head
					   * segment inside the peer's window (not a probe) */
	bool t_in_loss;                   /* after an RTO until snd_una passes t_recover */
	/* undo (DSACK, Eifel) */
	bool t_undo_on;                   /* an episode whose reduction may be undone */
	bool t_undo_overflow;             /* too many retransmissions to track: no DSACK undo */
	uint8_t t_undo_n, t_undo_dsacked;
	uint32_t t_undo_cwnd, t_undo_ssthresh;
	uint32_t t_undo_start[TCP_UNDO_RANGES], t_undo_end[TCP_UNDO_RANGES];
	uint16_t t_undo_mask;             /* which recorded ranges were DSACKed */
	bool t_eifel_on;                  /* first ACK after an RTO decides (RFC 3522) */
	uint32_t t_eifel_tsval, t_eifel_seq;
	uint32_t t_eifel_nxt;             /* t_nxt before the RTO (non-SACK go-back-N) */
	/* delayed ACKs */
	uint32_t t_last_ack;              /* rcv_nxt carried by the last segment sent */
	uint64_t t_delack_served;         /* delack_at value already answered */
	uint32_t t_rsb_ds_gen;            /* rsb generation whose DSACK block went out */
	/* pacing */
	uint64_t t_pace_next_ns;          /* no paced data before this time */
	uint64_t t_pace_rate;             /* bytes per second, 0 = unpaced */
	uint64_t t_pace_poll_ns;          /* previous poll (bounds the pacer's credit) */
	bool t_pace_held;                 /* the last poll held data back for pacing */
	uint32_t t_head, t_nxt, t_tail;   /* queue indices (free-running, masked) */
	uint32_t t_qmask;
	struct tcp_seg *t_q;
	struct rte_mbuf *t_fill;          /* segment being filled by the writer */
	uint16_t t_pend_n;                /* mbufs the device did not take yet */
	struct rte_mbuf *t_pend[TCP_TX_BURST * 2];
	uint8_t t_tmpl[TCP_HDR_MAX];      /* Ethernet + IPv4 + TCP(+options) template */
};

/* Ephemeral ports: RFC 6335 dynamic range. */
#define TCP_PORT_LO 49152u
#define TCP_PORT_HI 65535u
#define TCP_PORT_COUNT (TCP_PORT_HI - TCP_PORT_LO + 1)
/* A 4-tuple is not used again within this time after its connection ended (>= 2 MSL). */
#define TCP_TUPLE_QUIET_NS (60ull * 1000000000ull)
#define TCP_MAX_CONNS 64

/* Per-process TCP state, owned by the control lcore (connect, input, port choice). */
struct tcp_stack {
	const struct tcp_io *io;          /* clock (and pool) for the control lcore */
	struct tcp_params p;
	uint64_t isn_key[2];              /* SipHash key for ISNs (RFC 6528) */
	uint64_t port_key[2];             /* SipHash key for port offsets (RFC 6056 alg. 3) */
	uint32_t port_counter;
	bool isn_fixed;                   /* tests only: use isn_value instead of RFC 6528 */
	uint32_t isn_value;
	uint64_t port_free_at[TCP_PORT_COUNT]; /* ns when usable again; UINT64_MAX = in use */
	struct tcp_conn *conns[TCP_MAX_CONNS];
	_Atomic uint64_t st_no_conn;      /* segments for no connection */
	_Atomic uint64_t st_malformed;    /* bad IPv4/TCP header or checksum */
};

#endif /* JW_TCP_T_H */
