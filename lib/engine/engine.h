/* The jetwire engine: TX lcore loops and the control lcore loop over lib/tcp, lib/session,
 * lib/flow and lib/shm. Types and the threading contract: engine-t.h.
 *
 *   app main:   e = engine_create(&params, &net_ops, shm)
 *               rte_eal_remote_launch(engine_tx_main, &e->conns[k], tx_lcore[k]) for each k
 *               the app's control loop: engine_ctl_input(e, m) for TCP frames,
 *               engine_ctl_poll(e, now) every iteration, engine_ctl_shutdown(e) at the end
 *               engine_stop(e) from the signal path or another thread
 *               after every loop returned: engine_destroy(e)
 */
#ifndef JW_ENGINE_H
#define JW_ENGINE_H

#include "common/jw_common.h"
#include "engine/engine-t.h"

/* Builds the engine: the TCP stack, one window and session per connection, the ack inbox
 * run id. Checks the parameters (flow_params_check, session_init's checks, at least one
 * server and connection, n_conns equal to the shm's TX ring sets). Returns NULL with errno
 * EINVAL (err says why) or ENOMEM. shm stays owned by the caller. */
struct engine *engine_create(const struct engine_params *p, const struct engine_net_ops *net,
			     struct jw_shm *shm, char *err, size_t errlen);

/* Frees what engine_create made; every loop must have returned. Publishes without an
 * outcome stay unreleased in the rings: the next jetwire start sends them again. */
void engine_destroy(struct engine *e);

/* Asks every loop to return (any thread, async-signal-safe). */
void engine_stop(struct engine *e);

/* Graceful stop, first half (any thread, async-signal-safe): the TX lcores take no new
 * records from the rings any more; publishes already sent keep being served (resends after
 * timeouts or a reconnect, TCP retransmissions) and acknowledged. Records never sent stay in
 * the rings for the next start. Cannot be undone. */
void engine_drain(struct engine *e);

/* What a drain waits for (any thread): publishes sent but without a final outcome, plus
 * delivery reports still queued in jetwire because a producer's report ring was full (their
 * records are released only once the report is written). 0 = nothing would be resent if
 * jetwire stopped now. A snapshot of relaxed counters: exact once the lanes are quiet. */
uint64_t engine_unfinished(const struct engine *e);

/* The first-answer gate of a TX lcore (engine_ctl.c "first answer"): how many publishes,
 * new or resent, T may send now. gated: the connection has had no answer from the stream
 * yet (C clears it at the first); *sent: T's one publish under the gate is out (T's state,
 * reset per connection); live: the window still holds a live publish. Unlimited once
 * ungated; else 1, and 0 while that one is live: when it ended without an answer (failed
 * at its timeouts) the next one may go, so a silent stream never wedges the connection. */
static inline uint32_t
engine_gate_budget(bool gated, bool *sent, bool live)
{
	if (!gated)
		return UINT32_MAX;
	if (*sent && !live)
		*sent = false;
	return *sent ? 0 : 1;
}

/* The idle back-off of a TX lcore loop: the sleep after an iteration that did no work.
 * engine_idle_next(s, p, busy, now) accepts any sequence of iterations and returns how long
 * to sleep, in us (0 after a busy one: poll again at once): p->idle_sleep_us while the idle
 * spell is shorter than p->idle_backoff_ns, then twice the previous sleep per idle
 * iteration, up to p->idle_sleep_max_us (p->idle_sleep_us = 0: never sleeps). So a loop
 * under traffic with short gaps keeps its short sleep, and an idle instance wakes some
 * 2,000 times a second instead of 14,000 (each wakeup costs the host a timer and two
 * switches); the first record after a long silence waits at most the current sleep.
 * The state is struct engine_idle (engine-t.h), one per loop. */
static inline uint32_t
engine_idle_next(struct engine_idle *s, const struct engine_params *p, bool busy,
		 uint64_t now_ns)
{
	if (busy || p->idle_sleep_us == 0) {
		s->idle = false;
		return 0;
	}
	if (!s->idle) {
		s->idle = true;
		s->since_ns = now_ns;
		s->sleep_us = p->idle_sleep_us;
	} else if (now_ns - s->since_ns >= p->idle_backoff_ns &&
		   s->sleep_us < p->idle_sleep_max_us) {
		s->sleep_us = JW_MIN(s->sleep_us * 2, p->idle_sleep_max_us);
	}
	return s->sleep_us;
}

/* [flow] coalesce_us: records that wait in the rings less than this many bytes are left
 * there for a while, so that the next ones go out with them in full segments back to back
 * (a producer writing 16 publishes every 320 us otherwise makes the server wake, read and
 * answer once per batch; a kernel client's flusher coalesces ~1 ms of writes the same way). */
#define ENGINE_COALESCE_BYTES 16384u

/* [flow] coalesce_us: whether a TX loop lets the records in its rings wait this iteration.
 * *until_ns is the loop's state (0: no records seen; else their deadline, kept past it
 * while records remain), pending the bytes of records not yet framed, may_wait false when
 * waiting would hold the stream up (the first-answer gate, a drain). Only new records
 * wait: resends and a hold's probe go out as before.
 * Returns true to wait: records pending, fewer than ENGINE_COALESCE_BYTES, may_wait, and
 * hold_ns not yet gone since the first iteration that saw them. Returns false (frame them
 * now) for hold_ns = 0, at and after the deadline until an iteration finds the rings empty
 * (so a drain that takes several iterations never waits again), and whenever enough bytes
 * fill segments by themselves (a burst or flood never waits: floods keep the rings full). */
static inline bool
engine_coalesce_wait(uint64_t *until_ns, uint64_t hold_ns, uint64_t pending, bool may_wait,
		     uint64_t now_ns)
{
	if (hold_ns == 0 || pending == 0) {
		*until_ns = 0;
		return false;
	}
	if (pending >= ENGINE_COALESCE_BYTES || !may_wait)
		return false;
	if (*until_ns == 0)
		*until_ns = now_ns + hold_ns;
	return now_ns < *until_ns;
}

/* The idle sleep of a TX loop whose records wait until until_ns (engine_coalesce_wait; 0:
 * none): sleep_us (engine_idle_next), shortened so that the loop wakes by the deadline. A
 * deadline already past changes nothing: the records went out at it, and an idle iteration
 * after it waits for the window, not for the clock (no spinning while the window is full). */
static inline uint32_t
engine_hold_sleep_us(uint32_t sleep_us, uint64_t until_ns, uint64_t now_ns)
{
	uint64_t left_us;

	if (until_ns <= now_ns || sleep_us == 0)
		return sleep_us;
	left_us = (until_ns - now_ns + 999) / 1000;
	return left_us < sleep_us ? (uint32_t)left_us : sleep_us;
}

/* How often a TX loop looks at its producers' ring heads for engine_burst_next (during a
 * flood, whose end takes flood_ns of quiet, every ENGINE_FLOOD_LOOK_NS: fewer loads of
 * the lines the producers write, in the TX loop's busiest time), and how long without a
 * new record ends their writing spell. */
#define ENGINE_BURST_LOOK_NS 20000ull
#define ENGINE_FLOOD_LOOK_NS 1000000ull
#define ENGINE_BURST_QUIET_NS 1000000ull
/* A spell that begins this soon after a flood ended goes on with the flood (no burst). */
#define ENGINE_FLOOD_MEMORY_NS 100000000ull

/* One look at the producers of a TX loop: heads is any value that moves when they write a
 * record or are refused one (the engine sums their slots' heads and refusal counts).
 * Returns true when s->burst changed. A writing spell begins at a look that sees heads
 * move and ends at one that has seen them still for ENGINE_BURST_QUIET_NS, or for flood_ns
 * once the spell has lasted flood_ns (a flood whose producer waits for ring space, its
 * calls refused while the window is full, has not paused); s->burst is true from the
 * spell's first look until it ends or has lasted flood_ns (then it is a flood). Only a
 * look that sees nothing new ends a spell: a look after a long gap (the lcore waited for
 * the CPU while the producer kept it) that sees new records continues it, so a producer
 * that keeps the CPU still becomes a flood. A spell that begins within
 * ENGINE_FLOOD_MEMORY_NS of a flood's end is no burst either: a flooding producer that lost
 * the CPU for flood_ns (a loaded 2-core host: seen in CI, 28 ms of SCHED_BATCH amid a
 * flood) is still flooding. Such a spell does not itself renew that memory unless it
 * lasts flood_ns, so bursts that keep coming after a flood become bursts again once one
 * comes ENGINE_FLOOD_MEMORY_NS after the flood. Looks closer together than
 * ENGINE_BURST_LOOK_NS (ENGINE_FLOOD_LOOK_NS in a flood) are skipped (returns false).
 * Why: [cores] sched_batch = auto runs the lcores SCHED_BATCH while their producers burst,
 * so that a waking lcore does not preempt a producer in the middle of its calls (the
 * reference burst submitted in 4.1-5.9 ms so, 6.0-8.9 ms without, interleaved on a slow
 * hour of the development box), and SCHED_OTHER otherwise: in a flood, and while the
 * window drains a burst's backlog, the control lcore must read PubAcks when they come, not
 * when another thread's time slice ends (session 4 measured 20 % of a sustained flood with
 * Msg-Id lost to that). */
static inline bool
engine_burst_next(struct engine_burst *s, uint64_t heads, uint64_t now_ns, uint64_t flood_ns)
{
	bool was = s->burst;

	if (now_ns < s->next_look_ns)
		return false;
	if (heads != s->heads) {
		if (!s->writing) {
			s->since_ns = now_ns;
			s->carried = s->flood_end_ns != 0 &&
				     now_ns - s->flood_end_ns < ENGINE_FLOOD_MEMORY_NS;
		}
		s->writing = true;
		s->heads = heads;
		s->last_write_ns = now_ns;
	} else if (s->writing) {
		/* a flood pauses while the window is full and the ring with it: only a pause as
		 * long as flood_ns ends it */
		bool flood = s->last_write_ns - s->since_ns >= flood_ns;

		if (now_ns - s->last_write_ns >= (flood ? flood_ns : ENGINE_BURST_QUIET_NS)) {
			s->writing = false;
			if (flood)
				s->flood_end_ns = now_ns;
		}
	}
	s->burst = s->writing && !s->carried && now_ns - s->since_ns < flood_ns;
	s->next_look_ns = now_ns + (s->writing && !s->burst ? ENGINE_FLOOD_LOOK_NS :
				    ENGINE_BURST_LOOK_NS);
	return s->burst != was;
}

/* How many TX loops see their producers burst now (sched_batch = auto: the control lcore
 * runs SCHED_BATCH while any does). Any thread. */
static inline int
engine_bursts(struct engine *e)
{
	return atomic_load_explicit(&e->bursts, memory_order_relaxed);
}

/* TX lcore loop of one connection (arg: struct engine_conn *). Registers the lcore with
 * liburcu QSBR and the stats. Returns 0 after engine_stop. */
int engine_tx_main(void *arg);

/* One TX iteration (tests, custom loops); returns whether it did any work. */
bool engine_tx_iteration(struct engine_conn *c, uint64_t now_ns);

/* Control lcore: a TCP frame for our address (consumed). */
void engine_ctl_input(struct engine *e, struct rte_mbuf *m);

/* Control lcore, once per iteration after RX: sessions, reconnects, timeouts, reports,
 * housekeeping. The first call registers the thread with liburcu QSBR and the stats; the
 * thread is an online reader only inside the call (offline between calls, so the app's
 * loop may sleep or end freely). Returns how much work it did (0 = idle). */
unsigned engine_ctl_poll(struct engine *e, uint64_t now_ns);

/* On the control lcore's thread, after its loop ended: resets every connection (records
 * stay in the rings for the next start; the TX lcores send the RSTs, so stop them a few
 * milliseconds later) and unregisters the thread from liburcu. */
void engine_ctl_shutdown(struct engine *e);

/* Builds the producer's delivery report for a final outcome (pure; exposed for tests). */
void engine_report_of(const struct flow_outcome *o, struct jw_shm_report *r);

/* Snapshot of a connection for the stats socket (any thread). */
struct jw_stats_conn;
void engine_conn_stats(const struct engine_conn *c, struct jw_stats_conn *out);

/* The start-up failure the app must exit on with status 2 (every server refused our
 * credentials before any connection was READY), or NULL. Any thread. */
const char *engine_fatal(const struct engine *e);

/* The known servers (configured, then discovered) for the stats socket: fills at most max
 * entries, returns how many. Any thread (relaxed snapshot). */
struct jw_stats_server;
int engine_servers_view(const struct engine *e, struct jw_stats_server *out, int max);

/* --- the server table (control lcore; exposed for tests) --- */

/* Parses a server address of INFO connect_urls: "a.b.c.d:port" or "nats://a.b.c.d[:port]"
 * (4222 when absent). 0, or -EINVAL for anything else: host names and IPv6 (jetwire has no
 * resolver), a port of 0 or above 65535, trailing bytes. */
int engine_server_parse_url(const char *u, uint32_t *ip_be, uint16_t *port);

/* The first server from index start on (round robin) that is active and neither refusing
 * our credentials nor in lame-duck mode at now_ns; -1 when none, with *retry_at the earliest
 * time one may be tried (now + the maximum backoff when none is active). */
int32_t engine_server_pick(const struct engine *e, uint32_t start, uint64_t now_ns,
			   uint64_t *retry_at);

/* INFO connect_urls ([nats] discover = yes): adds every IPv4 server listed (at most
 * ENGINE_SERVERS_MAX in all; the rest and unparsable entries counted in discover_ignored);
 * when the list is complete, drops the discovered servers it no longer names that no
 * connection uses. Configured servers are never dropped; an INFO without connect_urls
 * changes nothing. */
void engine_servers_apply_info(struct engine *e, const struct nats_info *info);

/* Every active server has refused our credentials at least once (the start-up exit). */
bool engine_servers_all_refused(const struct engine *e);

/* Sum of every connection's window counters (any thread): for tests and the summary. */
void engine_flow_totals(const struct engine *e, struct flow_counters *out);

/* Resends dropped as torn, summed over the connections (each counter has one writer, its
 * TX lcore; read relaxed, from any thread). */
uint64_t engine_resend_torn(const struct engine *e);

#endif /* JW_ENGINE_H */
