/* libFuzzer target: what the stats side reads from outside.
 *   first byte even: the bytes are a telemetry reply jwstat parses (lib/json/json_tree.c):
 *     a parsed tree must write back to JSON that parses again and writes identically;
 *   first byte odd: the bytes are /jetwire/set parameters (lib/tunables/tunables_parse.c):
 *     parsing never crashes, leaves the set untouched on error, and the error message
 *     never carries a quote, backslash or control byte (it goes into a JSON string).
 * lib/json is linked like every DPDK-free module; tunables_parse.c (DPDK- and liburcu-free)
 * is compiled into this target. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json_tree.h"
#include "tunables/tunables_parse.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
to_json(const struct jw_json *j, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL)
		abort();
	jw_json_write(f, j);
	fclose(f);
	return buf;
}

static void
json_case(const uint8_t *data, size_t size)
{
	struct jw_json *a, *b;
	char err[128], *out1, *out2;
	size_t l1, l2;

	a = jw_json_parse((const char *)data, size, err, sizeof(err));
	if (a == NULL)
		return;
	(void)jw_json_u64(jw_json_get(a, "max_output_len"), 0);
	out1 = to_json(a, &l1);
	b = jw_json_parse(out1, l1, err, sizeof(err));
	if (b == NULL)
		abort(); /* what we write must parse */
	out2 = to_json(b, &l2);
	if (l1 != l2 || memcmp(out1, out2, l1) != 0)
		abort(); /* and write back identically */
	free(out1);
	free(out2);
	jw_json_free(a);
	jw_json_free(b);
}

static void
tunables_case(const uint8_t *data, size_t size)
{
	const struct jw_tunables base = { 16, 1024, 2000, 500, 1 };
	struct jw_tunables t = base;
	char params[600], err[128] = "";
	size_t i, n = size < sizeof(params) - 1 ? size : sizeof(params) - 1;
	int rc;

	memcpy(params, data, n);
	params[n] = '\0';
	rc = jw_tunables_parse(params, &t, err, sizeof(err));
	if (rc != 0 && memcmp(&t, &base, sizeof(t)) != 0)
		abort();
	if (rc == 0)
		rc = jw_tunables_validate(&t, 4096, err, sizeof(err));
	for (i = 0; rc != 0 && err[i]; i++)
		if (err[i] == '"' || err[i] == '\\' || (unsigned char)err[i] < 0x20)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		tunables_case(data + 1, size - 1);
	else
		json_case(data + 1, size - 1);
	return 0;
}
