/* What the window's files share inside lib/flow (not for callers of flow.h). C only. */
#ifndef JW_FLOW_PRIV_H
#define JW_FLOW_PRIV_H

#include "flow/flow-t.h"

/* Queues a resend of live publish seq for T. Returns false when the queue is full (the
 * timeout scan asks again later). */
bool flow_request_resend(struct flow *f, uint64_t seq);

/* Makes the live publish of entry e final with answer a and reports it; answered_ns is when
 * the answer came (the latency samples), now_ns when it is reported. Returns 0, or
 * -EALREADY when e was final already (counted as a repeat ack). */
int flow_entry_answer(struct flow *f, struct flow_entry *e, const struct flow_ack *a,
		      uint64_t answered_ns, uint64_t now_ns, const struct flow_ops *ops);

/* Shared replies (flow_share.c). */
void flow_share_init(struct flow *f);
/* Queues the shared first sends below next in their classes (each once). */
void flow_share_scan(struct flow *f, uint64_t next, uint64_t now_ns);
/* When the shared publish seq was answered (provisionally), or 0. */
uint64_t flow_share_answered_ns(const struct flow *f, uint64_t seq);
/* Whether publish seq (live) waits in a class queue. */
bool flow_share_member(const struct flow *f, uint64_t seq);
/* An answer to a shared reply: matched to its class's oldest due member, provisionally.
 * Returns 0; -ESTALE for an older generation, -ENOENT for an unknown class (ignored);
 * -EPROTO when it showed the class out of step (broken: its unconfirmed members resent). */
int flow_share_answer(struct flow *f, const struct flow_ack *a, uint64_t now_ns);
/* The answer a to publish seq's unique reply, before seq is finalized: when seq is a
 * checkpoint of its class, reports the members before it or breaks the class. */
void flow_share_checkpoint(struct flow *f, uint64_t seq, const struct flow_entry *e,
			   const struct flow_ack *a, uint64_t now_ns, const struct flow_ops *ops);
/* Breaks the class of publish seq when seq is a member (it is about to be resent or
 * finalized another way). */
void flow_share_break_of(struct flow *f, uint64_t seq, uint64_t now_ns);
/* Empties every class queue without resends (the connection was replaced and T sends the
 * live range again; or everything fails) and moves every generation on. */
void flow_share_reset(struct flow *f, uint64_t now_ns);

#endif /* JW_FLOW_PRIV_H */
