/* Names on the wire that identify a publish.
 *
 * Reply subject (ack inbox): `_JW.<run-id>.<conn>.<seq>`, or `_JW.<run-id>.<conn>.<seq>g<mark>`
 * for a marked publish. run-id is 64 random bits per jetwire run in FLOW_ID64_LEN base-62
 * digits (0-9A-Za-z), so acks meant for another run or instance never match; conn is the
 * connection (TX lcore) index; seq is the publish's full connection sequence in decimal,
 * whose low bits index the pending window. Each connection subscribes to
 * `_JW.<run-id>.<conn>.*`. The mark (decimal, not 0) tells which TCP connection a publish
 * went out on (session_reply_mark): a cluster delivers every PubAck to every subscription
 * of the inbox, so a new connection's subscription also receives the answers to what the
 * old connection sent; only the mark tells them apart (the first-answer gate needs it).
 *
 * Nats-Msg-Id: `<shm-nonce>-<lcore>-<slot>-<gen>-<producer seq>` (the nonce in base 62 as
 * the run-id, the rest in decimal): the record's identity,
 * stable across resends, reconnects and jetwire restarts that keep the shared memory (the
 * nonce is created with it), and distinct for a new producer in a reused slot (gen).
 */
#ifndef JW_FLOW_IDENT_H
#define JW_FLOW_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow-t.h"

/* Writes v in decimal at dst (no NUL) and returns the digit count (1..20). dst needs 20
 * bytes. The hot path's number rendering: no snprintf. */
static inline uint32_t
flow_u64_dec(char *dst, uint64_t v)
{
	char tmp[20];
	uint32_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (uint32_t i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}

/* The digit count flow_u64_dec writes for v (1..20), without writing them. */
static inline uint32_t
flow_u64_len(uint64_t v)
{
	uint32_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* Sets up the inbox of connection `conn` of the run `run_id`. Always succeeds. */
void flow_inbox_init(struct flow_inbox *ib, uint64_t run_id, uint32_t conn);

/* Writes the SUB subject `<prefix>*` with a NUL into buf. Returns its length, or -ENOSPC
 * when cap is too small. */
int flow_inbox_sub(const struct flow_inbox *ib, char *buf, size_t cap);

/* Writes the reply subject of sequence seq (no NUL) into buf, which must hold
 * FLOW_REPLY_MAX bytes; mark 0 writes none. Returns its length. */
static inline uint32_t
flow_reply_format(const struct flow_inbox *ib, uint64_t seq, uint64_t mark, char *buf)
{
	uint32_t n = ib->len;

	for (uint32_t i = 0; i < ib->len; i++)
		buf[i] = ib->prefix[i];
	n += flow_u64_dec(buf + n, seq);
	if (mark != 0) {
		buf[n++] = 'g';
		n += flow_u64_dec(buf + n, mark);
	}
	return n;
}

/* The length flow_reply_format writes for (seq, mark), without writing it (sizing TLS
 * records). */
static inline uint32_t
flow_reply_len(const struct flow_inbox *ib, uint64_t seq, uint64_t mark)
{
	return ib->len + flow_u64_len(seq) + (mark != 0 ? 1 + flow_u64_len(mark) : 0);
}

/* Writes the shared reply of class k (0-based) in generation gen (>= 1), `<prefix>c<k>e<gen>`
 * (no NUL), into buf (FLOW_REPLY_MAX bytes). Returns its length. */
static inline uint32_t
flow_reply_format_shared(const struct flow_inbox *ib, uint32_t k, uint32_t gen, char *buf)
{
	uint32_t n = ib->len;

	for (uint32_t i = 0; i < ib->len; i++)
		buf[i] = ib->prefix[i];
	buf[n++] = 'c';
	n += flow_u64_dec(buf + n, k);
	buf[n++] = 'e';
	n += flow_u64_dec(buf + n, gen);
	return n;
}

/* The length flow_reply_format_shared(ib, k, gen, buf) writes. */
static inline uint32_t
flow_reply_shared_len(const struct flow_inbox *ib, uint32_t k, uint32_t gen)
{
	return ib->len + 2 + flow_u64_len(k) + flow_u64_len(gen);
}

/* Reads class and generation out of a shared reply received for this inbox. Accepts
 * exactly the prefix, 'c', a class below FLOW_SHARE_CLASSES, 'e', a generation 1..2^32-1,
 * both in decimal without leading zeros; rejects anything else with -EINVAL. */
int flow_reply_parse_shared(const struct flow_inbox *ib, const char *subj, size_t len,
			    uint32_t *k, uint32_t *gen);

/* Reads the sequence and the mark (0: none) out of a reply subject received for this
 * inbox. Accepts exactly the prefix, then 1..20 decimal digits without a leading zero
 * (except "0") that fit 64 bits, then optionally 'g' and a mark written the same way and
 * not 0. Rejects with -EINVAL any other subject (other inbox, other run, garbage), so a
 * forged or foreign reply cannot touch the window. */
int flow_reply_parse(const struct flow_inbox *ib, const char *subj, size_t len, uint64_t *seq,
		     uint64_t *mark);

/* Writes the Msg-Id (no NUL) into buf, which must hold FLOW_MSGID_MAX bytes; returns its
 * length. Only hex digits, decimal digits and '-': always a valid header value. */
uint32_t flow_msgid_format(const struct flow_msgid_parts *m, char *buf);

/* The length flow_msgid_format writes for m, without writing it (sizing TLS records). */
static inline uint32_t
flow_msgid_len(const struct flow_msgid_parts *m)
{
	return FLOW_ID64_LEN + 4 + flow_u64_len(m->lcore) + flow_u64_len(m->slot) + flow_u64_len(m->gen) +
	       flow_u64_len(m->producer_seq);
}

#endif /* JW_FLOW_IDENT_H */
