/* libFuzzer target: the PubAck parser. Any input: no crash, no read outside it (libFuzzer
 * hands an exact-size heap copy), on success the result obeys its limits, and the parser
 * with its fast path agrees exactly with the general parser. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nats/nats_puback.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nats_puback a, g;
	int rc = nats_puback_parse((const char *)data, size, &a);
	int rg = nats_puback_parse_general((const char *)data, size, &g);

	if (rc != 0 && rc != -EPROTO && rc != -E2BIG && rc != -ERANGE)
		abort();
	if (rc != rg)
		abort();
	if (rc == 0) {
		if (a.stream_len > NATS_PUBACK_STREAM_MAX || a.stream[a.stream_len] != '\0' ||
		    a.domain_len > NATS_PUBACK_DOMAIN_MAX || a.domain[a.domain_len] != '\0' ||
		    a.desc_len > NATS_PUBACK_DESC_MAX || a.description[a.desc_len] != '\0')
			abort();
		if (!a.is_error && a.stream_len == 0)
			abort();
		if (a.is_error != g.is_error || a.duplicate != g.duplicate || a.seq != g.seq ||
		    a.stream_len != g.stream_len || memcmp(a.stream, g.stream, a.stream_len) != 0 ||
		    a.domain_len != g.domain_len || memcmp(a.domain, g.domain, a.domain_len) != 0 ||
		    a.code != g.code || a.err_code != g.err_code || a.desc_len != g.desc_len ||
		    memcmp(a.description, g.description, a.desc_len) != 0)
			abort();
	}
	return 0;
}
