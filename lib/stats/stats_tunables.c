/* jetwire stats: runtime tunables published through RCU. */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu-qsbr.h>

#include "common/jw_common.h"
#include "stats/stats_tunables.h"

struct jw_tunables *jw_tunables_rcu_ptr;

static pthread_mutex_t update_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t window_cap;
static uint64_t n_applied, n_rejected;

#define PARAMS_MAX 256

static void
set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
jw_tunables_validate(const struct jw_tunables *t, uint32_t cap, char *err, size_t errlen)
{
	if (t->window_min < 1) {
		set_err(err, errlen, "window_min must be at least 1");
		return -EINVAL;
	}
	if (t->window_max < t->window_min) {
		set_err(err, errlen, "window_max (%u) is below window_min (%u)", t->window_max,
			t->window_min);
		return -EINVAL;
	}
	if (t->window_max > cap) {
		set_err(err, errlen, "window_max (%u) exceeds the window capacity (%u)",
			t->window_max, cap);
		return -EINVAL;
	}
	if (t->ack_timeout_ms < JW_TUNABLES_ACK_TIMEOUT_MIN_MS ||
	    t->ack_timeout_ms > JW_TUNABLES_ACK_TIMEOUT_MAX_MS) {
		set_err(err, errlen, "ack_timeout_ms (%u) must be %u..%u", t->ack_timeout_ms,
			JW_TUNABLES_ACK_TIMEOUT_MIN_MS, JW_TUNABLES_ACK_TIMEOUT_MAX_MS);
		return -EINVAL;
	}
	if (t->ack_target_us < JW_TUNABLES_ACK_TARGET_MIN_US ||
	    t->ack_target_us > JW_TUNABLES_ACK_TARGET_MAX_US) {
		set_err(err, errlen, "ack_target_us (%u) must be %u..%u", t->ack_target_us,
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
		set_err(err, errlen,
			"no tunables given; use key=value[,key=value] with keys window_min, "
			"window_max, ack_timeout_ms, ack_target_us");
		return -EINVAL;
	}
	if (strnlen(params, PARAMS_MAX + 1) > PARAMS_MAX) {
		set_err(err, errlen, "parameters longer than %d bytes", PARAMS_MAX);
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
			set_err(err, errlen, "expected key=value, got '%s'", echo);
			return -EINVAL;
		}
		for (k = 0; k < JW_ARRAY_SIZE(keys); k++)
			if ((size_t)(eq - tok) == strlen(keys[k]) &&
			    memcmp(tok, keys[k], (size_t)(eq - tok)) == 0)
				break;
		if (k == JW_ARRAY_SIZE(keys)) {
			safe_echo(tok, (size_t)(eq - tok), echo, sizeof(echo));
			set_err(err, errlen,
				"unknown tunable '%s' (known: window_min, window_max, "
				"ack_timeout_ms, ack_target_us)", echo);
			return -EINVAL;
		}
		if (seen & (1u << k)) {
			set_err(err, errlen, "tunable %s given twice", keys[k]);
			return -EINVAL;
		}
		seen |= 1u << k;
		if (parse_u32(eq + 1, (size_t)(tok_end - eq - 1), &v) != 0) {
			safe_echo(eq + 1, (size_t)(tok_end - eq - 1), echo, sizeof(echo));
			set_err(err, errlen, "%s: '%s' is not a decimal number 0..4294967295",
				keys[k], echo);
			return -EINVAL;
		}
		field = k == 0 ? &nt.window_min : k == 1 ? &nt.window_max :
			k == 2 ? &nt.ack_timeout_ms : &nt.ack_target_us;
		*field = v;
		n_pairs++;
	}
	if (n_pairs == 0) {
		set_err(err, errlen, "no tunables given");
		return -EINVAL;
	}
	*t = nt;
	return 0;
}

int
jw_tunables_init(const struct jw_tunables *initial, uint32_t cap, char *err, size_t errlen)
{
	struct jw_tunables *t;
	int rc;

	if (cap == 0) {
		set_err(err, errlen, "window capacity must be at least 1");
		return -EINVAL;
	}
	rc = jw_tunables_validate(initial, cap, err, errlen);
	if (rc)
		return rc;
	t = malloc(sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	*t = *initial;
	t->generation = 1;
	pthread_mutex_lock(&update_lock);
	if (jw_tunables_rcu_ptr != NULL) {
		pthread_mutex_unlock(&update_lock);
		free(t);
		set_err(err, errlen, "tunables already initialised");
		return -EALREADY;
	}
	window_cap = cap;
	rcu_assign_pointer(jw_tunables_rcu_ptr, t);
	pthread_mutex_unlock(&update_lock);
	return 0;
}

int
jw_tunables_update(const char *params, struct jw_tunables *applied, char *err, size_t errlen)
{
	struct jw_tunables *nt, *old;
	int rc;

	nt = malloc(sizeof(*nt));
	if (nt == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&update_lock);
	/* Updaters are serialised by update_lock, so the pointer cannot change under us. */
	old = jw_tunables_rcu_ptr;
	if (old == NULL) {
		pthread_mutex_unlock(&update_lock);
		free(nt);
		set_err(err, errlen, "tunables not initialised");
		return -ENOENT;
	}
	*nt = *old;
	rc = jw_tunables_parse(params, nt, err, errlen);
	if (rc == 0)
		rc = jw_tunables_validate(nt, window_cap, err, errlen);
	if (rc) {
		__atomic_fetch_add(&n_rejected, 1, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&update_lock);
		free(nt);
		return rc;
	}
	nt->generation = old->generation + 1;
	old = rcu_xchg_pointer(&jw_tunables_rcu_ptr, nt);
	__atomic_fetch_add(&n_applied, 1, __ATOMIC_RELAXED);
	if (applied)
		*applied = *nt;
	pthread_mutex_unlock(&update_lock);
	/* Every reader that could still hold `old` passes a quiescent state before this returns
	 * (a thread calling this while online is taken offline for the wait by liburcu). */
	synchronize_rcu();
	free(old);
	return 0;
}

int
jw_tunables_snapshot(struct jw_tunables *out)
{
	int rc = -ENOENT;

	/* Holding update_lock keeps the current set from being replaced and freed. */
	pthread_mutex_lock(&update_lock);
	if (jw_tunables_rcu_ptr != NULL) {
		*out = *jw_tunables_rcu_ptr;
		rc = 0;
	}
	pthread_mutex_unlock(&update_lock);
	return rc;
}

uint32_t
jw_tunables_window_cap(void)
{
	uint32_t c;

	pthread_mutex_lock(&update_lock);
	c = window_cap;
	pthread_mutex_unlock(&update_lock);
	return c;
}

uint64_t
jw_tunables_updates_applied(void)
{
	return __atomic_load_n(&n_applied, __ATOMIC_RELAXED);
}

uint64_t
jw_tunables_updates_rejected(void)
{
	return __atomic_load_n(&n_rejected, __ATOMIC_RELAXED);
}

void
jw_tunables_fini(void)
{
	struct jw_tunables *old;

	pthread_mutex_lock(&update_lock);
	old = rcu_xchg_pointer(&jw_tunables_rcu_ptr, NULL);
	window_cap = 0;
	pthread_mutex_unlock(&update_lock);
	synchronize_rcu();
	free(old);
}
