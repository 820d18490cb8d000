/* libFuzzer target: the PubAck parser. Any input: no crash, no read outside it (libFuzzer
 * hands an exact-size heap copy), and on success the result obeys its limits. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nats/nats_puback.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nats_puback a;
	int rc = nats_puback_parse((const char *)data, size, &a);

	if (rc != 0 && rc != -EPROTO && rc != -E2BIG && rc != -ERANGE)
		abort();
	if (rc == 0) {
		if (a.stream_len > NATS_PUBACK_STREAM_MAX || a.stream[a.stream_len] != '\0' ||
		    a.domain_len > NATS_PUBACK_DOMAIN_MAX || a.domain[a.domain_len] != '\0' ||
		    a.desc_len > NATS_PUBACK_DESC_MAX || a.description[a.desc_len] != '\0')
			abort();
		if (!a.is_error && a.stream_len == 0)
			abort();
	}
	return 0;
}
