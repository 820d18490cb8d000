/* lib/tunables: tunables validation and parsing (pure: no RCU, no DPDK; fuzzed by
 * tests/fuzz/fuzz_stats_input.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/jw_err.h"
#include "common/jw_common.h"
#include "tunables/tunables.h"

#define PARAMS_MAX 256

int
jw_tunables_validate(const struct jw_tunables *t, uint32_t cap, char *err, size_t errlen)
{
	if (t->window_min < 1) {
		jw_errf(err, errlen, "window_min must be at least 1");
		return -EINVAL;
	}
	if (t->window_max < t->window_min) {
		jw_errf(err, errlen, "window_max (%u) is below window_min (%u)", t->window_max,
			t->window_min);
		return -EINVAL;
	}
	if (t->window_max > cap) {
		jw_errf(err, errlen, "window_max (%u) exceeds the window capacity (%u)",
			t->window_max, cap);
		return -EINVAL;
	}
	if (t->ack_timeout_ms < JW_TUNABLES_ACK_TIMEOUT_MIN_MS ||
	    t->ack_timeout_ms > JW_TUNABLES_ACK_TIMEOUT_MAX_MS) {
		jw_errf(err, errlen, "ack_timeout_ms (%u) must be %u..%u", t->ack_timeout_ms,
			JW_TUNABLES_ACK_TIMEOUT_MIN_MS, JW_TUNABLES_ACK_TIMEOUT_MAX_MS);
		return -EINVAL;
	}
	if (t->ack_target_us > JW_TUNABLES_ACK_TARGET_MAX_US) { /* 0 = no ceiling */
		jw_errf(err, errlen, "ack_target_us (%u) must be %u..%u", t->ack_target_us,
			JW_TUNABLES_ACK_TARGET_MIN_US, JW_TUNABLES_ACK_TARGET_MAX_US);
		return -EINVAL;
	}
	return 0;
}

/* Copy at most 24 bytes of s[0..n) into out, replacing anything but [A-Za-z0-9_] by '?',
 * so an error message never echoes quotes, control bytes or a long hostile string. */
static void
safe_echo(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i, k = 0;

	for (i = 0; i < n && i < 24 && k + 1 < outlen; i++) {
		char c = s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '_';
		out[k++] = ok ? c : '?';
	}
	out[k] = '\0';
}

static int
parse_u32(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int
jw_tunables_parse(const char *params, struct jw_tunables *t, char *err, size_t errlen)
{
	static const char *const keys[] = { "window_min", "window_max", "ack_timeout_ms",
					    "ack_target_us" };
	struct jw_tunables nt = *t;
	unsigned seen = 0, n_pairs = 0;
	const char *p, *end;
	char echo[32];

	if (params == NULL || params[0] == '\0') {
		jw_errf(err, errlen,
			"no tunables given; use key=value[,key=value] with keys window_min, "
			"window_max, ack_timeout_ms, ack_target_us");
		return -EINVAL;
	}
	if (strnlen(params, PARAMS_MAX + 1) > PARAMS_MAX) {
		jw_errf(err, errlen, "parameters longer than %d bytes", PARAMS_MAX);
		return -EINVAL;
	}
	p = params;
	end = params + strlen(params);
	while (p < end) {
		const char *tok, *eq, *tok_end;
		uint32_t v, *field;
		unsigned k;

		while (p < end && (*p == ',' || *p == ' '))
			p++;
		if (p == end)
			break;
		tok = p;
		while (p < end && *p != ',' && *p != ' ')
			p++;
		tok_end = p;
		eq = memchr(tok, '=', (size_t)(tok_end - tok));
		if (eq == NULL) {
			safe_echo(tok, (size_t)(tok_end - tok), echo, sizeof(echo));
			jw_errf(err, errlen, "expected key=value, got '%s'", echo);
			return -EINVAL;
		}
		for (k = 0; k < JW_ARRAY_SIZE(keys); k++)
			if ((size_t)(eq - tok) == strlen(keys[k]) &&
			    memcmp(tok, keys[k], (size_t)(eq - tok)) == 0)
				break;
		if (k == JW_ARRAY_SIZE(keys)) {
			safe_echo(tok, (size_t)(eq - tok), echo, sizeof(echo));
			jw_errf(err, errlen,
				"unknown tunable '%s' (known: window_min, window_max, "
				"ack_timeout_ms, ack_target_us)", echo);
			return -EINVAL;
		}
		if (seen & (1u << k)) {
			jw_errf(err, errlen, "tunable %s given twice", keys[k]);
			return -EINVAL;
		}
		seen |= 1u << k;
		if (parse_u32(eq + 1, (size_t)(tok_end - eq - 1), &v) != 0) {
			safe_echo(eq + 1, (size_t)(tok_end - eq - 1), echo, sizeof(echo));
			jw_errf(err, errlen, "%s: '%s' is not a decimal number 0..4294967295",
				keys[k], echo);
			return -EINVAL;
		}
		field = k == 0 ? &nt.window_min : k == 1 ? &nt.window_max :
			k == 2 ? &nt.ack_timeout_ms : &nt.ack_target_us;
		*field = v;
		n_pairs++;
	}
	if (n_pairs == 0) {
		jw_errf(err, errlen, "no tunables given");
		return -EINVAL;
	}
	*t = nt;
	return 0;
}

