/* .creds files: a user JWT block and a user seed block between dashed lines, e.g.
 *
 *   -----BEGIN NATS USER JWT-----
 *   eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJ...In0.sig...
 *   ------END NATS USER JWT------
 *   (banner text)
 *   -----BEGIN USER NKEY SEED-----
 *   SUA...
 *   ------END USER NKEY SEED------
 *
 * As the NATS clients do, the first block is the JWT and the second the seed, whatever the
 * titles say; a block is an opening dashed line, one content line (blank lines around it
 * are skipped) and a closing dashed line. */
#include <errno.h>
#include <string.h>

#include "auth/auth.h"
#include "common/jw_err.h"

struct line {
	const char *p;
	size_t n;
};

/* The next line of [*pos, end), trimmed of blanks and CR; false at the end. */
static bool
next_line(const char **pos, const char *end, struct line *l)
{
	const char *s = *pos, *e;

	if (s >= end)
		return false;
	e = memchr(s, '\n', (size_t)(end - s));
	*pos = e ? e + 1 : end;
	if (e == NULL)
		e = end;
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	l->p = s;
	l->n = (size_t)(e - s);
	return true;
}

/* At least three dashes, something, at least three dashes. */
static bool
is_dash_line(const struct line *l)
{
	return l->n >= 6 && memcmp(l->p, "---", 3) == 0 && memcmp(l->p + l->n - 3, "---", 3) == 0;
}

static bool
content_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '=';
}

/* Finds the next block; 1 with its content, 0 when there is none, <0 for a broken one. */
static int
next_block(const char **pos, const char *end, struct line *content, const char *what,
	   char *err, size_t errlen)
{
	struct line l;

	for (;;) {
		if (!next_line(pos, end, &l))
			return 0;
		if (is_dash_line(&l))
			break;
	}
	do {
		if (!next_line(pos, end, &l)) {
			jw_errf(err, errlen, "the %s block is empty and not closed", what);
			return -EINVAL;
		}
	} while (l.n == 0);
	if (is_dash_line(&l)) {
		jw_errf(err, errlen, "the %s block is empty", what);
		return -EINVAL;
	}
	for (size_t i = 0; i < l.n; i++)
		if (!content_char(l.p[i])) {
			jw_errf(err, errlen, "the %s block holds a character that belongs in "
				"neither a JWT nor a seed (line of %zu characters)", what, l.n);
			return -EINVAL;
		}
	*content = l;
	do {
		if (!next_line(pos, end, &l)) {
			jw_errf(err, errlen, "the %s block is not closed (no ------END...------ "
				"line)", what);
			return -EINVAL;
		}
	} while (l.n == 0);
	if (!is_dash_line(&l)) {
		jw_errf(err, errlen, "the %s block has more than one line or is not closed", what);
		return -EINVAL;
	}
	return 1;
}

/* header.claims.signature, each non-empty base64url without padding. */
static bool
jwt_shape_ok(const char *p, size_t n)
{
	unsigned dots = 0;
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (c == '.') {
			if (run == 0)
				return false;
			dots++;
			run = 0;
		} else if (c == '=') {
			return false;
		} else {
			run++;
		}
	}
	return dots == 2 && run > 0;
}

int
jw_creds_parse(const char *text, size_t len, struct jw_creds *out, char *err, size_t errlen)
{
	const char *pos = text, *end;
	struct line jwt, seed;
	char why[160];
	int rc;

	if (text == NULL || out == NULL) {
		jw_errf(err, errlen, "no credentials");
		return -EINVAL;
	}
	end = text + len;
	memset(out, 0, sizeof(*out));
	rc = next_block(&pos, end, &jwt, "user JWT", err, errlen);
	if (rc == 0) {
		jw_errf(err, errlen, "no user JWT block (-----BEGIN NATS USER JWT-----)");
		return -EINVAL;
	}
	if (rc < 0)
		return rc;
	if (jwt.n > JW_JWT_MAX) {
		jw_errf(err, errlen, "the user JWT is %zu bytes, more than %d", jwt.n, JW_JWT_MAX);
		return -E2BIG;
	}
	if (!jwt_shape_ok(jwt.p, jwt.n)) {
		jw_errf(err, errlen, "the first block is not a JWT (three base64url parts joined "
			"by dots)");
		return -EINVAL;
	}
	rc = next_block(&pos, end, &seed, "user seed", err, errlen);
	if (rc == 0) {
		jw_errf(err, errlen, "no user seed block (-----BEGIN USER NKEY SEED-----) after "
			"the JWT");
		return -EINVAL;
	}
	if (rc < 0)
		return rc;
	rc = jw_nkey_from_seed(seed.p, seed.n, &out->key, why, sizeof(why));
	if (rc != 0) {
		jw_errf(err, errlen, "the seed block: %s", why);
		jw_creds_wipe(out);
		return rc;
	}
	memcpy(out->jwt, jwt.p, jwt.n);
	out->jwt[jwt.n] = '\0';
	out->jwt_len = jwt.n;
	return 0;
}
