/* Resumable parser of the NATS server-to-client stream. DPDK-free, no allocation.
 *
 * The control lcore feeds it whatever TCP delivers, in pieces of any size; it returns one
 * protocol operation at a time as a struct nats_event:
 *   INFO {json}            -> NATS_OP_INFO (raw JSON; nats_info_parse() reads it)
 *   MSG / HMSG             -> NATS_OP_MSG / NATS_OP_HMSG (subject, sid, reply, header
 *                             block, status code of "NATS/1.0 503" style headers, data)
 *   PING, PONG, +OK        -> NATS_OP_PING / NATS_OP_PONG / NATS_OP_OK
 *   -ERR '<text>'          -> NATS_OP_ERR, classified, with whether the server closes the
 *                             connection after it
 * Op names are case-insensitive; lines end in CRLF (a bare LF is accepted); arguments are
 * separated by spaces or tabs.
 *
 * Memory is bounded and owned by the caller: the parser struct holds one control line of at
 * most NATS_CTL_MAX bytes (including its CRLF); message payloads (header block + data) are
 * buffered in a caller-supplied buffer of payload_cap bytes, and a message announcing more
 * is an error. Choice: payloads are buffered whole (not delivered in chunks) because what
 * jetwire receives are PubAcks and status messages of a few hundred bytes; a message that
 * lies entirely inside the bytes of one call is returned in place, without any copy.
 *
 * Errors are sticky: after a negative return the parser stays in NATS_PARSER_FAILED and
 * returns the same code on every call, consuming nothing, until nats_parser_reset() (the
 * connection is to be reset anyway). Error codes:
 *   -EPROTO    not the NATS protocol (unknown op, bad arguments, missing CRLF after a
 *              payload, malformed header block);
 *   -E2BIG     a control line longer than NATS_CTL_MAX;
 *   -EMSGSIZE  a message payload larger than payload_cap.
 *
 * Concurrency: a parser belongs to one thread (the control lcore); no call is thread-safe.
 */
#ifndef JW_NATS_PARSER_H
#define JW_NATS_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nats/nats-t.h"

/* ---- functions --------------------------------------------------------------------- */

/* Prepares p with the caller's payload buffer payload[0..payload_cap) (payload_cap may be
 * 0: then only messages without payload are accepted). */
void nats_parser_init(struct nats_parser *p, char *payload, size_t payload_cap);

/* Forgets everything buffered and any error; for a new connection. */
void nats_parser_reset(struct nats_parser *p);

/* Parses in[0..len). Returns:
 *   1  one operation is in *ev; *used bytes of in were consumed: call again with the rest
 *      (also when *used == len, to learn there is nothing more);
 *   0  all of in was consumed (*used == len) and the operation is not complete yet;
 *  <0  an error (see above); *used is 0 and the parser is FAILED.
 * ev's pointers stay valid until the next call on p, while in stays unchanged. */
int nats_parser_next(struct nats_parser *p, const char *in, size_t len, size_t *used,
		     struct nats_event *ev);

/* Classifies an -ERR text (without quotes) and says whether the server closes the
 * connection after sending it. Matching is case-insensitive on the known prefixes;
 * unknown texts are NATS_ERR_OTHER and fatal (a reset is always safe: resends carry the same
 * Nats-Msg-Id). */
enum nats_err_kind nats_err_classify(const char *text, size_t len, bool *fatal);

/* Looks up the first header named name (exact, case-sensitive, as cnats does) in a header
 * block; returns 0 and the value (leading spaces trimmed) through value/value_len, or
 * -ENOENT. The block is not validated beyond what the lookup walks over. */
int nats_hdr_get(const char *hdr, size_t hdr_len, const char *name, size_t name_len,
		 const char **value, size_t *value_len);

/* Parses INFO JSON into *out (all fields zeroed first; unknown members skipped).
 * Returns 0, -EPROTO for malformed JSON or wrong member types, -E2BIG for a string member
 * longer than NATS_INFO_STR_MAX-1 bytes (connect_urls beyond NATS_INFO_URLS_MAX are only
 * counted), -ERANGE for numbers out of range. */
int nats_info_parse(const char *json, size_t len, struct nats_info *out);

#endif /* JW_NATS_PARSER_H */
