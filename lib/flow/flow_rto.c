/* PubAck timeouts from evidence, not from a clock alone (C only).
 *
 * A publish on a connection that is still up is acked or refused eventually unless the
 * server lost it (a stream leader change, a restart behind a proxy). Resending one that is
 * merely late costs a server that is already behind, and with dedupe = off it stores a
 * duplicate. So an overdue publish is resent only on evidence that it was lost:
 *
 *   overdue   no ack for rto << retries since its last (re)send, where rto is the TCP-style
 *             estimate max(ack_timeout floor, srtt + 4 rttvar) over clean ack latencies
 *             (RFC 6298's filter; Karn: resent publishes give no sample);
 *   lost      overdue, and either a publish first sent after its last send has been acked
 *             (acks of one stream come in order, so it was passed over), or the server has
 *             answered a PING asked for after that send, has kept answering for a whole
 *             timeout, and still acked nothing (it read the publish and dropped it);
 *   stalled   overdue without such evidence: nothing comes back at all. Nothing is resent;
 *             the window asks once for a liveness PING (flow_ctl_take_probe), and the
 *             session's liveness timeout decides whether the connection is dead, in which
 *             case the reconnect path resends everything live.
 *
 * Resends on evidence are bounded per round trip (max(16, W/8) per max(srtt, 1 ms)), so a
 * burst of losses is repaired at a pace the server can take; the rest wait for the next
 * scan (counted as budget_deferred).
 */
#include <string.h>

#include "common/jw_atomic.h"
#include "flow/flow.h"

#define RELAXED memory_order_relaxed

#define BUDGET_MIN 16u
#define BUDGET_ROUND_MIN_NS 1000000ull
#define BACKOFF_MAX_SHIFT 6

void
flow_rto_init(struct flow *f)
{
	memset(&f->ctl.rto, 0, sizeof(f->ctl.rto));
	atomic_store_explicit(&f->ctl.rto_ns, f->p.ack_timeout_ns, RELAXED);
}

uint64_t
flow_rto_ns(const struct flow *f)
{
	const struct flow_rto *r = &f->ctl.rto;
	uint64_t est;

	if (r->srtt_ns == 0)
		return f->p.ack_timeout_ns;
	est = r->srtt_ns + 4 * r->rttvar_ns;
	return JW_MAX(est, f->p.ack_timeout_ns);
}

void
flow_rto_on_ack(struct flow *f, uint64_t sent_ns, uint64_t latency_ns, bool clean,
		uint64_t now_ns)
{
	struct flow_rto *r = &f->ctl.rto;

	r->last_ack_ns = now_ns;
	if (sent_ns > r->acked_sent_ns)
		r->acked_sent_ns = sent_ns;
	r->stall_since_ns = 0;
	if (!clean)
		return;
	if (r->srtt_ns == 0) {
		r->srtt_ns = latency_ns;
		r->rttvar_ns = latency_ns / 2;
	} else {
		uint64_t dev = latency_ns > r->srtt_ns ? latency_ns - r->srtt_ns :
			       r->srtt_ns - latency_ns;

		r->rttvar_ns = r->rttvar_ns - r->rttvar_ns / 4 + dev / 4;
		r->srtt_ns = r->srtt_ns - r->srtt_ns / 8 + latency_ns / 8;
	}
	atomic_store_explicit(&f->ctl.srtt_ns, r->srtt_ns, RELAXED);
	atomic_store_explicit(&f->ctl.rttvar_ns, r->rttvar_ns, RELAXED);
	atomic_store_explicit(&f->ctl.rto_ns, flow_rto_ns(f), RELAXED);
}

enum flow_overdue
flow_rto_judge(const struct flow *f, uint64_t last_send_ns, uint32_t retries, uint64_t now_ns)
{
	const struct flow_rto *r = &f->ctl.rto;
	uint64_t wait = flow_rto_ns(f) << JW_MIN(retries, (uint32_t)BACKOFF_MAX_SHIFT);

	if (now_ns < last_send_ns + wait)
		return FLOW_NOT_DUE;
	if (r->acked_sent_ns > last_send_ns)
		return FLOW_LOST;
	if (r->alive_ns > last_send_ns && r->alive_rx_ns > r->last_ack_ns &&
	    now_ns >= r->alive_rx_ns + wait)
		return FLOW_LOST;
	return FLOW_STALLED;
}

bool
flow_rto_budget_take(struct flow *f, uint64_t now_ns)
{
	struct flow_rto *r = &f->ctl.rto;
	uint64_t round = JW_MAX(r->srtt_ns, BUDGET_ROUND_MIN_NS);
	uint32_t budget = JW_MAX(BUDGET_MIN, flow_window(f) / 8);

	if (now_ns >= r->budget_start_ns + round) {
		r->budget_start_ns = now_ns;
		r->budget_used = 0;
	}
	if (r->budget_used >= budget) {
		JW_INC(f->ctlc.budget_deferred);
		return false;
	}
	r->budget_used++;
	return true;
}

void
flow_rto_stalled(struct flow *f, uint64_t now_ns)
{
	struct flow_rto *r = &f->ctl.rto;

	if (r->stall_since_ns == 0)
		r->stall_since_ns = now_ns;
}

bool
flow_ctl_take_probe(struct flow *f, uint64_t now_ns)
{
	struct flow_rto *r = &f->ctl.rto;

	if (r->stall_since_ns == 0 || r->probe_ns != 0 ||
	    (r->last_probe_ns != 0 && now_ns < r->last_probe_ns + flow_rto_ns(f)))
		return false; /* one probe in flight, at most one per timeout */
	r->probe_ns = now_ns;
	r->last_probe_ns = now_ns;
	JW_INC(f->ctlc.liveness_probes);
	return true;
}

void
flow_ctl_server_alive(struct flow *f, uint64_t asked_ns, uint64_t now_ns)
{
	struct flow_rto *r = &f->ctl.rto;

	if (asked_ns > r->alive_ns)
		r->alive_ns = asked_ns;
	/* answering since: the first PONG after the last ack */
	if (r->alive_rx_ns <= r->last_ack_ns)
		r->alive_rx_ns = now_ns;
	if (r->probe_ns != 0 && asked_ns >= r->probe_ns)
		r->probe_ns = 0; /* answered: another stall may probe again */
}

void
flow_rto_connection_replaced(struct flow *f)
{
	struct flow_rto *r = &f->ctl.rto;

	/* the old connection's PINGs and acks say nothing about the new one */
	r->probe_ns = 0;
	r->last_probe_ns = 0;
	r->stall_since_ns = 0;
	r->alive_ns = 0;
	r->alive_rx_ns = 0;
}
