/* JetStream PubAck parser. DPDK-free, no allocation.
 *
 * A PubAck is the JSON payload JetStream sends to a publish's reply subject:
 *   {"stream":"S","seq":N}  optionally with "duplicate":true and "domain":"D"
 *   {"error":{"code":C,"err_code":E,"description":"..."}}  (optionally beside "stream")
 * Whitespace may appear anywhere JSON allows it; unknown members are skipped (objects,
 * arrays, strings with escapes, numbers, literals), after checking they are well-formed.
 * Member names are compared as written: a name spelled with escapes counts as unknown.
 * A member that appears twice: the last one wins. null for a known member = absent.
 */
#ifndef JW_NATS_PUBACK_H
#define JW_NATS_PUBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nats/nats-t.h"

/* Parses the PubAck JSON in json[0..len) into *out.
 * Returns 0 for a success ack (is_error false, stream and seq present) or an error ack
 * (is_error true, the error members that were present are set, absent ones are 0/empty).
 * Returns -EPROTO for malformed JSON, a top level that is not one object, trailing bytes,
 * wrong member types (e.g. "seq":"1", "seq":-1, "seq":1.5), or a success ack without
 * "stream" or "seq"; -E2BIG for a stream or domain name over its limit; -ERANGE for a seq
 * over UINT64_MAX or a code outside int32. *out is unspecified after an error. */
int nats_puback_parse(const char *json, size_t len, struct nats_puback *out);

/* The same parse without the fast path for the exact form nats-server sends (see
 * nats_puback.c); nats_puback_parse() must agree with it on every input. For tests and the
 * fuzz target. */
int nats_puback_parse_general(const char *json, size_t len, struct nats_puback *out);

#endif /* JW_NATS_PUBACK_H */
