/* Typed parsing and formatting of configuration values (one function pair per type). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/jw_range.h"
#include "config/config_schema.h"

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), -EINVAL)

static const char *const log_level_names[] = {
	NULL, "emergency", "alert", "critical", "error", "warning", "notice", "info", "debug",
};

/* Strict unsigned decimal: digits only, no sign, no blanks, no overflow past UINT64_MAX. */
static int
parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int
jw_cfg_parse_ipv4(const char *s, size_t len, uint32_t *ip_be)
{
	uint32_t ip = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t start = i;
		uint32_t v = 0;

		while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 3)
			v = v * 10 + (uint32_t)(s[i++] - '0');
		if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
			return -EINVAL;
		ip = (ip << 8) | v;
		if (part < 3) {
			if (i >= len || s[i] != '.')
				return -EINVAL;
			i++;
		}
	}
	if (i != len)
		return -EINVAL;
	*ip_be = htonl(ip);
	return 0;
}

static int
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "on", "true", "1" };
	static const char *const no[] = { "no", "off", "false", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, 0;
	}
	return -EINVAL;
}

static int
parse_size(const char *v, uint64_t *out)
{
	size_t len = strlen(v);
	uint64_t mult = 1, n;

	if (len > 0) {
		char last = (char)toupper((unsigned char)v[len - 1]);

		if (last == 'K' || last == 'M' || last == 'G') {
			mult = last == 'K' ? 1u << 10 : last == 'M' ? 1u << 20 : 1u << 30;
			len--;
		}
	}
	if (parse_u64(v, len, &n) < 0 || n > UINT64_MAX / mult)
		return -EINVAL;
	*out = n * mult;
	return 0;
}

static int
parse_servers(const char *v, struct jw_nats_config *nc, char *why, size_t whylen)
{
	const char *p = v;
	uint32_t n = 0;

	if (*v == '\0') {
		nc->n_servers = 0;
		return 0;
	}
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *colon;
		uint64_t port = 4222;
		uint32_t ip;

		while (len > 0 && isspace((unsigned char)*p))
			p++, len--;
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		bool tls = len >= 6 && strncmp(p, "tls://", 6) == 0;

		if (!tls && (len < 7 || strncmp(p, "nats://", 7) != 0))
			return WHY("\"%.*s\" is not nats://<IPv4>[:port] or tls://<IPv4>[:port]",
				   (int)len, p);
		p += tls ? 6 : 7, len -= tls ? 6 : 7;
		colon = memchr(p, ':', len);
		if (colon) {
			size_t plen = len - (size_t)(colon - p) - 1;

			if (parse_u64(colon + 1, plen, &port) < 0 || port == 0 || port > 65535)
				return WHY("bad port in server %zu", (size_t)n + 1);
			len = (size_t)(colon - p);
		}
		if (jw_cfg_parse_ipv4(p, len, &ip) < 0)
			return WHY("server %u: \"%.*s\" is not an IPv4 literal (names are not "
				   "resolved)", n + 1, (int)len, p);
		if (ip == 0 || ip == 0xffffffffu)
			return WHY("server %u: unusable address", n + 1);
		if (n == JW_CONFIG_MAX_SERVERS)
			return WHY("more than %d servers", JW_CONFIG_MAX_SERVERS);
		nc->servers[n].ip_be = ip;
		nc->servers[n].port = (uint16_t)port;
		nc->servers[n].tls = tls;
		n++;
		if (!end)
			break;
		p = end + 1;
	}
	nc->n_servers = n;
	return 0;
}

static int
parse_lcore_list(const char *v, struct jw_lcore_list *l, char *why, size_t whylen)
{
	const char *p = v;
	uint32_t n = 0;

	if (*v == '\0')
		return WHY("empty list");
	for (;;) {
		unsigned long a, b;
		int r;

		while (isspace((unsigned char)*p))
			p++;
		r = jw_range_item(&p, &a, &b);
		if (r == -EINVAL)
			return WHY("expected an lcore id at \"%s\"", p);
		if (r < 0)
			return WHY("bad range");
		if (a > b || b >= JW_CONFIG_MAX_LCORES)
			return WHY("lcore %lu is not below %d (or range reversed)", b,
				   JW_CONFIG_MAX_LCORES);
		for (unsigned long i = a; i <= b; i++) {
			for (uint32_t j = 0; j < n; j++)
				if (l->ids[j] == i)
					return WHY("lcore %lu listed twice", i);
			if (n == JW_CONFIG_MAX_TX)
				return WHY("more than %d lcores", JW_CONFIG_MAX_TX);
			l->ids[n++] = (uint16_t)i;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (*p != ',')
			return WHY("unexpected \"%s\"", p);
		p++;
	}
	l->n = n;
	return 0;
}

static int
is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static int
check_range(const struct jw_cfg_key *k, uint64_t n, char *why, size_t whylen)
{
	if (n < k->min || n > k->max)
		return WHY("%llu is outside %llu..%llu", (unsigned long long)n,
			   (unsigned long long)k->min, (unsigned long long)k->max);
	if ((k->flags & JW_CFG_F_POW2) && !is_pow2(n))
		return WHY("%llu is not a power of two", (unsigned long long)n);
	return 0;
}

int
jw_cfg_parse(const struct jw_cfg_key *k, const char *v, void *base, char *why, size_t whylen)
{
	void *f = (char *)base + k->off;
	uint64_t n;

	switch (k->type) {
	case JW_CFG_NAME:
		for (const char *c = v; *c; c++)
			if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.')
				return WHY("only letters, digits, '_', '-' and '.' are allowed");
		/* fall through */
	case JW_CFG_STR:
		if (strlen(v) >= k->size)
			return WHY("longer than %zu characters", k->size - 1);
		memcpy(f, v, strlen(v) + 1);
		return 0;
	case JW_CFG_U32:
		if (parse_u64(v, strlen(v), &n) < 0)
			return WHY("not a non-negative decimal number");
		if (check_range(k, n, why, whylen) < 0)
			return -EINVAL;
		*(uint32_t *)f = (uint32_t)n;
		return 0;
	case JW_CFG_U64:
		if (parse_u64(v, strlen(v), &n) < 0)
			return WHY("not a non-negative decimal number");
		*(uint64_t *)f = n;
		return 0;
	case JW_CFG_SIZE:
		if (parse_size(v, &n) < 0)
			return WHY("not a size (a number with an optional K, M or G suffix)");
		if (check_range(k, n, why, whylen) < 0)
			return -EINVAL;
		*(uint32_t *)f = (uint32_t)n;
		return 0;
	case JW_CFG_BOOL:
		if (parse_bool(v, (bool *)f) < 0)
			return WHY("expected yes or no");
		return 0;
	case JW_CFG_TRI: {
		bool b;

		if (strcasecmp(v, "auto") == 0)
			*(enum jw_tristate *)f = JW_AUTO;
		else if (parse_bool(v, &b) == 0)
			*(enum jw_tristate *)f = b ? JW_ON : JW_OFF;
		else
			return WHY("expected auto, on or off");
		return 0;
	}
	case JW_CFG_DEDUPE:
		if (strcasecmp(v, "msgid") == 0)
			*(enum jw_dedupe *)f = JW_DEDUPE_MSGID;
		else if (strcasecmp(v, "off") == 0)
			*(enum jw_dedupe *)f = JW_DEDUPE_OFF;
		else
			return WHY("expected msgid or off");
		return 0;
	case JW_CFG_TLSMODE:
		if (strcasecmp(v, "auto") == 0)
			*(enum jw_tls_mode *)f = JW_TLS_AUTO;
		else if (strcasecmp(v, "required") == 0)
			*(enum jw_tls_mode *)f = JW_TLS_REQUIRED;
		else if (strcasecmp(v, "off") == 0)
			*(enum jw_tls_mode *)f = JW_TLS_OFF;
		else
			return WHY("expected off, required or auto");
		return 0;
	case JW_CFG_TLSVER:
		if (strcmp(v, "1.2") == 0)
			*(uint32_t *)f = 0x0303;
		else if (strcmp(v, "1.3") == 0)
			*(uint32_t *)f = 0x0304;
		else
			return WHY("expected 1.2 or 1.3");
		return 0;
	case JW_CFG_WINDOW:
		if (strcasecmp(v, "adaptive") == 0) {
			*(uint32_t *)f = 0;
			return 0;
		}
		if (parse_u64(v, strlen(v), &n) < 0)
			return WHY("expected adaptive or a number");
		if (check_range(k, n, why, whylen) < 0)
			return -EINVAL;
		*(uint32_t *)f = (uint32_t)n;
		return 0;
	case JW_CFG_LOGLEVEL:
		for (uint32_t i = 1; i < 9; i++)
			if (strcasecmp(v, log_level_names[i]) == 0)
				return *(uint32_t *)f = i, 0;
		if (parse_u64(v, strlen(v), &n) == 0 && n >= 1 && n <= 8)
			return *(uint32_t *)f = (uint32_t)n, 0;
		return WHY("expected emergency, alert, critical, error, warning, notice, info, "
			   "debug or 1..8");
	case JW_CFG_OCTAL: {
		size_t len = strlen(v);

		n = 0;
		if (len == 0 || len > 4)
			return WHY("expected octal permission bits such as 0660");
		for (size_t i = 0; i < len; i++) {
			if (v[i] < '0' || v[i] > '7')
				return WHY("expected octal permission bits such as 0660");
			n = n * 8 + (uint64_t)(v[i] - '0');
		}
		if (n > k->max)
			return WHY("%llo has bits beyond 0777", (unsigned long long)n);
		*(uint32_t *)f = (uint32_t)n;
		return 0;
	}
	case JW_CFG_PROB: {
		char *end;
		double d;

		errno = 0;
		d = strtod(v, &end);
		if (*v == '\0' || *end != '\0' || errno != 0 || !(d >= 0.0 && d <= 1.0))
			return WHY("expected a probability between 0 and 1");
		*(double *)f = d;
		return 0;
	}
	case JW_CFG_IPV4:
		if (*v == '\0') {
			*(uint32_t *)f = 0;
			return 0;
		}
		if (jw_cfg_parse_ipv4(v, strlen(v), (uint32_t *)f) < 0)
			return WHY("not an IPv4 address");
		return 0;
	case JW_CFG_PREFIX: {
		struct jw_ipv4_prefix *pf = f;
		const char *slash = strchr(v, '/');
		uint32_t ip;

		if (!slash || jw_cfg_parse_ipv4(v, (size_t)(slash - v), &ip) < 0 ||
		    parse_u64(slash + 1, strlen(slash + 1), &n) < 0 || n < 1 || n > 32)
			return WHY("not an IPv4 address/prefix such as 198.18.0.2/24");
		pf->addr_be = ip;
		pf->len = (uint8_t)n;
		return 0;
	}
	case JW_CFG_SERVERS:
		return parse_servers(v, f, why, whylen);
	case JW_CFG_LCORES:
		return parse_lcore_list(v, f, why, whylen);
	}
	return WHY("unknown type");
}

static int
put(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return r < 0 || (size_t)r >= len ? -ENOSPC : 0;
}

static int
put_ipv4(char *buf, size_t len, uint32_t ip_be)
{
	uint32_t ip = ntohl(ip_be);

	return put(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
		   ip & 255);
}

int
jw_cfg_format(const struct jw_cfg_key *k, const void *base, char *buf, size_t len)
{
	const void *f = (const char *)base + k->off;
	static const char *const tri[] = { "auto", "on", "off" };

	if (len == 0)
		return -ENOSPC;
	switch (k->type) {
	case JW_CFG_STR:
	case JW_CFG_NAME:
		return put(buf, len, "%s", (const char *)f);
	case JW_CFG_U32:
	case JW_CFG_SIZE:
		return put(buf, len, "%u", *(const uint32_t *)f);
	case JW_CFG_U64:
		return put(buf, len, "%llu", (unsigned long long)*(const uint64_t *)f);
	case JW_CFG_BOOL:
		return put(buf, len, "%s", *(const bool *)f ? "yes" : "no");
	case JW_CFG_TRI:
		return put(buf, len, "%s", tri[*(const enum jw_tristate *)f]);
	case JW_CFG_DEDUPE:
		return put(buf, len, "%s",
			   *(const enum jw_dedupe *)f == JW_DEDUPE_MSGID ? "msgid" : "off");
	case JW_CFG_TLSMODE: {
		enum jw_tls_mode m = *(const enum jw_tls_mode *)f;

		return put(buf, len, "%s", m == JW_TLS_REQUIRED ? "required" :
					   m == JW_TLS_OFF ? "off" : "auto");
	}
	case JW_CFG_TLSVER:
		return put(buf, len, "%s", *(const uint32_t *)f == 0x0304 ? "1.3" : "1.2");
	case JW_CFG_WINDOW:
		if (*(const uint32_t *)f == 0)
			return put(buf, len, "adaptive");
		return put(buf, len, "%u", *(const uint32_t *)f);
	case JW_CFG_LOGLEVEL:
		return put(buf, len, "%s", log_level_names[*(const uint32_t *)f]);
	case JW_CFG_OCTAL:
		return put(buf, len, "0%o", *(const uint32_t *)f);
	case JW_CFG_PROB:
		return put(buf, len, "%g", *(const double *)f);
	case JW_CFG_IPV4:
		if (*(const uint32_t *)f == 0)
			return put(buf, len, "%s", "");
		return put_ipv4(buf, len, *(const uint32_t *)f);
	case JW_CFG_PREFIX: {
		const struct jw_ipv4_prefix *pf = f;
		size_t l;

		if (pf->len == 0)
			return put(buf, len, "%s", "");
		if (put_ipv4(buf, len, pf->addr_be) < 0)
			return -ENOSPC;
		l = strlen(buf);
		return put(buf + l, len - l, "/%u", pf->len);
	}
	case JW_CFG_SERVERS: {
		const struct jw_nats_config *nc = f;
		size_t l = 0;

		buf[0] = '\0';
		for (uint32_t i = 0; i < nc->n_servers; i++) {
			if (put(buf + l, len - l, "%s%s://", i ? "," : "",
				nc->servers[i].tls ? "tls" : "nats") < 0)
				return -ENOSPC;
			l = strlen(buf);
			if (put_ipv4(buf + l, len - l, nc->servers[i].ip_be) < 0)
				return -ENOSPC;
			l = strlen(buf);
			if (put(buf + l, len - l, ":%u", nc->servers[i].port) < 0)
				return -ENOSPC;
			l = strlen(buf);
		}
		return 0;
	}
	case JW_CFG_LCORES: {
		const struct jw_lcore_list *ll = f;
		size_t l = 0;

		buf[0] = '\0';
		for (uint32_t i = 0; i < ll->n; i++) {
			if (put(buf + l, len - l, "%s%u", i ? "," : "", ll->ids[i]) < 0)
				return -ENOSPC;
			l = strlen(buf);
		}
		return 0;
	}
	}
	return -EINVAL;
}
