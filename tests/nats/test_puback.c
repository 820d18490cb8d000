#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "nats/nats_puback.h"
#include "nats_tests.h"

/* Parses with nats_puback_parse() and checks the general parser agrees exactly. */
static int
parse(const char *s, struct nats_puback *a)
{
	struct nats_puback g;
	int rc = nats_puback_parse(s, strlen(s), a);

	assert_int_equal(nats_puback_parse_general(s, strlen(s), &g), rc);
	if (rc == 0) {
		assert_int_equal(a->is_error, g.is_error);
		assert_int_equal(a->duplicate, g.duplicate);
		assert_true(a->seq == g.seq);
		assert_int_equal(a->stream_len, g.stream_len);
		assert_memory_equal(a->stream, g.stream, a->stream_len + 1);
		assert_int_equal(a->domain_len, g.domain_len);
		assert_memory_equal(a->domain, g.domain, a->domain_len + 1);
		assert_int_equal(a->code, g.code);
		assert_int_equal(a->err_code, g.err_code);
		assert_int_equal(a->desc_len, g.desc_len);
		assert_memory_equal(a->description, g.description, a->desc_len + 1);
	}
	return rc;
}

static void
puback_success(void **state)
{
	struct nats_puback a;

	(void)state;
	assert_int_equal(parse("{\"stream\":\"ORDERS\",\"seq\":42}", &a), 0);
	assert_false(a.is_error);
	assert_string_equal(a.stream, "ORDERS");
	assert_int_equal(a.stream_len, 6);
	assert_int_equal(a.seq, 42);
	assert_false(a.duplicate);
	assert_int_equal(a.domain_len, 0);

	assert_int_equal(parse(" \r\n{ \"stream\" :\t\"S\" ,\n \"seq\" : 18446744073709551615 , "
			       "\"duplicate\" : true , \"domain\":\"hub\" }\n ", &a), 0);
	assert_string_equal(a.stream, "S");
	assert_true(a.seq == UINT64_MAX);
	assert_true(a.duplicate);
	assert_string_equal(a.domain, "hub");

	/* unknown members of every kind are skipped */
	assert_int_equal(parse("{\"x\":{\"a\":[1,2,{\"b\":\"}]\\\"\"}],\"c\":null},"
			       "\"stream\":\"S\\u0041\\n\",\"y\":[],\"z\":-1.5e+3,\"w\":false,"
			       "\"v\":\"esc \\\\ \\\" \\/ \\ud83d\\ude00\",\"seq\":0,\"u\":{}}", &a), 0);
	assert_string_equal(a.stream, "SA\n");
	assert_int_equal(a.seq, 0);

	/* exactly as nats-server 2.9 sends them (recorded) */
	assert_int_equal(parse("{\"stream\":\"ORDERS\", \"seq\":1}", &a), 0);
	assert_int_equal(a.seq, 1);
	assert_int_equal(parse("{\"stream\":\"ORDERS\", \"seq\":5, \"duplicate\": true}", &a), 0);
	assert_int_equal(a.seq, 5);
	assert_true(a.duplicate);
	assert_int_equal(parse("{\"stream\":\"ORDERS\", \"domain\":\"hub\", \"seq\":7}", &a), 0);
	assert_string_equal(a.domain, "hub");
	assert_int_equal(a.seq, 7);
	assert_int_equal(parse("{\"stream\":\"S\",\"seq\":12345678901234567890}", &a), 0);
	assert_true(a.seq == 12345678901234567890ull);
	/* duplicate false, later member wins */
	assert_int_equal(parse("{\"stream\":\"a\",\"seq\":1,\"seq\":2,\"duplicate\":false}", &a), 0);
	assert_int_equal(a.seq, 2);
	assert_false(a.duplicate);
	/* an escaped member name counts as unknown */
	assert_int_equal(parse("{\"stream\":\"a\",\"seq\":1,\"s\\u0065q\":\"x\"}", &a), 0);
	assert_int_equal(a.seq, 1);
}

static void
puback_error(void **state)
{
	struct nats_puback a;

	(void)state;
	assert_int_equal(parse("{\"error\":{\"code\":503,\"err_code\":10039,"
			       "\"description\":\"no \\\"stream\\\" matches subject\"}}", &a), 0);
	assert_true(a.is_error);
	assert_int_equal(a.code, 503);
	assert_int_equal(a.err_code, 10039);
	assert_string_equal(a.description, "no \"stream\" matches subject");
	assert_false(a.desc_truncated);

	assert_int_equal(parse("{ \"error\" : { \"description\":\"d\", \"code\" : 400 ,"
			       "\"extra\":[{}] } , \"stream\":\"S\" }", &a), 0);
	assert_true(a.is_error);
	assert_int_equal(a.code, 400);
	assert_int_equal(a.err_code, 0);
	assert_string_equal(a.stream, "S");

	/* a long description is cut, not rejected */
	char big[1200];
	strcpy(big, "{\"error\":{\"code\":500,\"description\":\"");
	size_t at = strlen(big);
	memset(big + at, 'x', 600);
	strcpy(big + at + 600, "\"}}");
	assert_int_equal(parse(big, &a), 0);
	assert_true(a.desc_truncated);
	assert_int_equal(a.desc_len, NATS_PUBACK_DESC_MAX);
	assert_int_equal(strlen(a.description), NATS_PUBACK_DESC_MAX);
	assert_int_equal(parse("{\"error\":{\"code\":-5}}", &a), 0);
	assert_int_equal(a.code, -5);
}

static void
puback_malformed(void **state)
{
	static const char *bad[] = {
		"", " ", "{", "}", "[]", "null", "\"x\"", "{}",
		"{\"stream\":\"S\"}",			/* no seq */
		"{\"seq\":1}",				/* no stream */
		"{\"stream\":\"\",\"seq\":1}",		/* empty stream */
		"{\"stream\":\"S\",\"seq\":\"1\"}",
		"{\"stream\":\"S\",\"seq\":-1}",
		"{\"stream\":\"S\",\"seq\":1.5}",
		"{\"stream\":\"S\",\"seq\":1e3}",
		"{\"stream\":\"S\",\"seq\":01}",
		"{\"stream\":\"S\",\"seq\":}",
		"{\"stream\":S,\"seq\":1}",
		"{\"stream\":\"S\" \"seq\":1}",
		"{\"stream\":\"S\",\"seq\":1,}",
		"{,\"stream\":\"S\",\"seq\":1}",
		"{\"stream\":\"S\",\"seq\":1}x",
		"{\"stream\":\"S\",\"seq\":1}{}",
		"{\"stream\":\"S\",\"seq\":1",
		"{\"stream\":\"S\\x\",\"seq\":1}",
		"{\"stream\":\"S\\u12\",\"seq\":1}",
		"{\"stream\":\"S\\ud800\",\"seq\":1}",
		"{\"stream\":\"S\\udc00\",\"seq\":1}",
		"{\"stream\":\"a\nb\",\"seq\":1}",
		"{\"stream\":\"S\",\"seq\":1,\"duplicate\":1}",
		"{\"stream\":\"S\",\"seq\":1,\"duplicate\":tru}",
		"{\"stream\":\"S\",\"seq\":1,\"x\":[1,]}",
		"{\"stream\":\"S\",\"seq\":1,\"x\":[1 2]}",
		"{\"stream\":\"S\",\"seq\":1,\"x\":{\"a\"}}",
		"{\"stream\":\"S\",\"seq\":1,\"x\":-}",
		"{\"stream\":\"S\",\"seq\":1,\"x\":1.}",
		"{\"stream\":\"S\",\"seq\":1,\"x\":nul}",
		"{\"error\":{\"code\":\"503\"}}",
		"{\"error\":[]}",
		"{\"error\":{\"code\":1,}}",
		"{\"error\":{\"description\":5}}",
	};
	struct nats_puback a;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i], &a);

		if (rc == 0)
			fail_msg("accepted malformed ack: %s", bad[i]);
	}
	assert_int_equal(parse("{\"stream\":\"S\",\"seq\":18446744073709551616}", &a), -ERANGE);
	assert_int_equal(parse("{\"error\":{\"code\":2147483648}}", &a), -ERANGE);
	assert_int_equal(nats_puback_parse(NULL, 0, &a), -EPROTO);
	/* a NUL inside the range is a raw control byte: rejected */
	assert_int_equal(nats_puback_parse("{\"stream\":\"S\0\",\"seq\":1}", 23, &a), -EPROTO);
}

static void
puback_limits(void **state)
{
	char doc[1024];
	struct nats_puback a;
	size_t at;

	(void)state;
	strcpy(doc, "{\"seq\":1,\"stream\":\"");
	at = strlen(doc);
	memset(doc + at, 's', NATS_PUBACK_STREAM_MAX);
	strcpy(doc + at + NATS_PUBACK_STREAM_MAX, "\"}");
	assert_int_equal(parse(doc, &a), 0);
	assert_int_equal(a.stream_len, NATS_PUBACK_STREAM_MAX);
	memset(doc + at, 's', NATS_PUBACK_STREAM_MAX + 1);
	strcpy(doc + at + NATS_PUBACK_STREAM_MAX + 1, "\"}");
	assert_int_equal(parse(doc, &a), -E2BIG);

	/* nesting beyond the depth limit is rejected instead of recursing on */
	char deep[200];
	at = 0;
	at += (size_t)sprintf(deep, "{\"stream\":\"S\",\"seq\":1,\"x\":");
	for (int i = 0; i < 40; i++)
		deep[at++] = '[';
	for (int i = 0; i < 40; i++)
		deep[at++] = ']';
	deep[at++] = '}';
	deep[at] = '\0';
	assert_int_equal(parse(deep, &a), -EPROTO);
	/* ... while reasonable nesting is fine */
	at = (size_t)sprintf(deep, "{\"stream\":\"S\",\"seq\":1,\"x\":");
	for (int i = 0; i < 20; i++)
		deep[at++] = '[';
	for (int i = 0; i < 20; i++)
		deep[at++] = ']';
	deep[at++] = '}';
	deep[at] = '\0';
	assert_int_equal(parse(deep, &a), 0);
}

/* Every prefix of a valid ack is rejected (nothing reads past the given length). */
static void
puback_prefixes_rejected(void **state)
{
	static const char ack[] = "{\"stream\":\"ORDERS\",\"seq\":42,\"duplicate\":true,"
				  "\"domain\":\"d\",\"x\":[{\"y\":\"z\"}]}";
	struct nats_puback a;

	(void)state;
	for (size_t n = 0; n < sizeof(ack) - 1; n++) {
		char *copy = test_malloc(n + 1);

		memcpy(copy, ack, n);
		assert_int_not_equal(nats_puback_parse(copy, n, &a), 0);
		test_free(copy);
	}
	assert_int_equal(nats_puback_parse(ack, sizeof(ack) - 1, &a), 0);
}

int
run_puback_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(puback_success),
		cmocka_unit_test(puback_error),
		cmocka_unit_test(puback_malformed),
		cmocka_unit_test(puback_limits),
		cmocka_unit_test(puback_prefixes_rejected),
	};
	return cmocka_run_group_tests_name("nats_puback", tests, NULL, NULL);
}
