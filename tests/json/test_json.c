#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json/json_tree.h"
#include "json_tests.h"

static struct jw_json *
parse(const char *s)
{
	char err[128];

	return jw_json_parse(s, strlen(s), err, sizeof(err));
}

static char *
write_to_string(const struct jw_json *j)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	jw_json_write(f, j);
	fclose(f);
	return buf;
}

static void
parses_telemetry_reply(void **state)
{
	const char *s = "{\"/jetwire/stats\": {\"accepted\": 18446744073709551615, \"sent\": 0,"
			" \"failed\": {\"timeout\": 2}, \"name\": \"a\\\"b\\\\c\\u00e9\\ud83d\\ude00\","
			" \"arr\": [1, -2.5e3, true, false, null, []], \"e\": {}}}";
	struct jw_json *j = parse(s);
	const struct jw_json *v;
	char *out;

	(void)state;
	assert_non_null(j);
	v = jw_json_get(j, "/jetwire/stats");
	assert_non_null(v);
	assert_int_equal(jw_json_u64(jw_json_get(v, "accepted"), 7), UINT64_MAX);
	assert_int_equal(jw_json_u64(jw_json_get(v, "sent"), 7), 0);
	assert_int_equal(jw_json_u64(jw_json_get(jw_json_get(v, "failed"), "timeout"), 0), 2);
	assert_string_equal(jw_json_str(jw_json_get(v, "name"), NULL),
			    "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80");
	assert_int_equal(jw_json_u64(jw_json_get(v, "missing"), 9), 9);
	assert_int_equal(jw_json_u64(jw_json_get(v, "name"), 9), 9);       /* not a number */
	assert_int_equal(jw_json_u64(jw_json_get(v, "arr")->child->next, 9), 9); /* negative */
	assert_true(jw_json_get(v, "arr")->child->next->num == -2500.0);
	out = write_to_string(j);
	assert_string_equal(out,
			    "{\"/jetwire/stats\":{\"accepted\":18446744073709551615,\"sent\":0,"
			    "\"failed\":{\"timeout\":2},\"name\":\"a\\\"b\\\\c\xc3\xa9\xf0\x9f\x98\x80\","
			    "\"arr\":[1,-2.5e3,true,false,null,[]],\"e\":{}}}");
	free(out);
	jw_json_free(j);
}

static void
rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"", " ", "{", "}", "[1,]", "{\"a\":}", "{\"a\" 1}", "{a:1}", "{\"a\":1,}", "01",
		"1.", ".5", "-", "1e", "+1", "\"abc", "\"a\\x\"", "\"\\u12\"", "\"\\ud800\"",
		"\"\\udc00\"", "\"a\nb\"", "tru", "nul", "{} {}", "[1 2]", "\"\\", "{\"a\":1}x",
	};
	char err[128];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jw_json *j;

		err[0] = '\0';
		j = jw_json_parse(bad[i], strlen(bad[i]), err, sizeof(err));
		if (j != NULL)
			fail_msg("accepted malformed input '%s'", bad[i]);
		assert_true(err[0] != '\0');
	}
	assert_null(jw_json_parse(NULL, 0, err, sizeof(err)));
	/* embedded NUL inside the length is not JSON */
	assert_null(jw_json_parse("{}\0", 3, err, sizeof(err)));
}

static void
limits_nesting(void **state)
{
	char deep[2 * (JW_JSON_MAX_DEPTH + 2) + 1];
	struct jw_json *j;
	int n;

	(void)state;
	for (n = 0; n <= JW_JSON_MAX_DEPTH; n++)
		deep[n] = '[';
	for (; n < 2 * (JW_JSON_MAX_DEPTH + 1); n++)
		deep[n] = ']';
	deep[n] = '\0';
	j = parse(deep); /* depth exactly JW_JSON_MAX_DEPTH + 1 levels: 0..MAX */
	assert_non_null(j);
	jw_json_free(j);
	memmove(deep + 1, deep, strlen(deep) + 1);
	deep[0] = '[';
	strcat(deep, "]");
	assert_null(parse(deep));
}

int
run_json_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_telemetry_reply),
		cmocka_unit_test(rejects_malformed),
		cmocka_unit_test(limits_nesting),
	};
	return cmocka_run_group_tests_name("stats_json", tests, NULL, NULL);
}
