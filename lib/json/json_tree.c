/* lib/json: small JSON reader and writer. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json/json_unescape.h"
#include "json/json_tree.h"

struct parser {
	const char *p, *end;
	char *err;
	size_t errlen;
	int failed;
};

static void
fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = 1;
	if (ps->err && ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err, ps->errlen, fmt, ap);
		va_end(ap);
	}
}

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

/* At the opening quote. Returns a malloc'd decoded string or NULL. */
static char *
parse_string(struct parser *ps)
{
	const char *s = ps->p + 1;
	char *out, *o;
	size_t used;
	int n;

	/* decoded text is never longer than the source */
	out = malloc((size_t)(ps->end - s) + 1);
	if (out == NULL) {
		fail(ps, "out of memory");
		return NULL;
	}
	o = out;
	while (s < ps->end && *s != '"') {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20) {
			fail(ps, "control character in string");
			goto bad;
		}
		if (c != '\\') {
			*o++ = (char)c;
			s++;
			continue;
		}
		n = jw_json_unescape(s, ps->end, o, &used);
		if (n < 0) {
			if (n == -EINVAL && s + 1 >= ps->end)
				fail(ps, "unterminated escape");
			else if (n == -EINVAL)
				fail(ps, "bad escape \\%c",
				     s[1] >= 0x20 && s[1] < 0x7f ? s[1] : '?');
			else if (n == -EILSEQ)
				fail(ps, "bad \\u escape");
			else if (n == -EDOM)
				fail(ps, "lone low surrogate");
			else
				fail(ps, "lone high surrogate");
			goto bad;
		}
		o += n;
		s += used;
	}
	if (s >= ps->end) {
		fail(ps, "unterminated string");
		goto bad;
	}
	*o = '\0';
	ps->p = s + 1;
	return out;
bad:
	free(out);
	return NULL;
}

static int
parse_number(struct parser *ps, struct jw_json *j)
{
	const char *s = ps->p, *q = s;

	if (q < ps->end && *q == '-')
		q++;
	if (q >= ps->end || !(*q >= '0' && *q <= '9'))
		goto bad;
	if (*q == '0')
		q++;
	else
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	if (q < ps->end && *q == '.') {
		q++;
		if (q >= ps->end || !(*q >= '0' && *q <= '9'))
			goto bad;
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || !(*q >= '0' && *q <= '9'))
			goto bad;
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	j->str = strndup(s, (size_t)(q - s));
	if (j->str == NULL) {
		fail(ps, "out of memory");
		return -1;
	}
	j->num = strtod(j->str, NULL);
	j->type = JW_JSON_NUMBER;
	ps->p = q;
	return 0;
bad:
	fail(ps, "malformed number");
	return -1;
}

static struct jw_json *parse_value(struct parser *ps, int depth);

static int
parse_container(struct parser *ps, struct jw_json *j, int depth)
{
	int is_obj = *ps->p == '{';
	char close = is_obj ? '}' : ']';
	struct jw_json **tail = &j->child;

	j->type = is_obj ? JW_JSON_OBJECT : JW_JSON_ARRAY;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		struct jw_json *v;

		skip_ws(ps);
		if (is_obj) {
			if (ps->p >= ps->end || *ps->p != '"') {
				fail(ps, "expected a member name");
				return -1;
			}
			key = parse_string(ps);
			if (key == NULL)
				return -1;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				fail(ps, "expected ':'");
				return -1;
			}
			ps->p++;
		}
		v = parse_value(ps, depth + 1);
		if (v == NULL) {
			free(key);
			return -1;
		}
		v->key = key;
		*tail = v;
		tail = &v->next;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return 0;
		}
		fail(ps, "expected ',' or '%c'", close);
		return -1;
	}
}

static struct jw_json *
parse_value(struct parser *ps, int depth)
{
	struct jw_json *j;
	size_t left;

	if (depth > JW_JSON_MAX_DEPTH) {
		fail(ps, "nesting deeper than %d", JW_JSON_MAX_DEPTH);
		return NULL;
	}
	skip_ws(ps);
	if (ps->p >= ps->end) {
		fail(ps, "unexpected end of input");
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		fail(ps, "out of memory");
		return NULL;
	}
	left = (size_t)(ps->end - ps->p);
	switch (*ps->p) {
	case '{':
	case '[':
		if (parse_container(ps, j, depth) != 0)
			goto bad;
		return j;
	case '"':
		j->type = JW_JSON_STRING;
		j->str = parse_string(ps);
		if (j->str == NULL)
			goto bad;
		return j;
	case 't':
		if (left >= 4 && memcmp(ps->p, "true", 4) == 0) {
			j->type = JW_JSON_TRUE;
			ps->p += 4;
			return j;
		}
		break;
	case 'f':
		if (left >= 5 && memcmp(ps->p, "false", 5) == 0) {
			j->type = JW_JSON_FALSE;
			ps->p += 5;
			return j;
		}
		break;
	case 'n':
		if (left >= 4 && memcmp(ps->p, "null", 4) == 0) {
			j->type = JW_JSON_NULL;
			ps->p += 4;
			return j;
		}
		break;
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
			if (parse_number(ps, j) != 0)
				goto bad;
			return j;
		}
		break;
	}
	fail(ps, "unexpected character 0x%02x", (unsigned char)*ps->p);
bad:
	jw_json_free(j);
	return NULL;
}

struct jw_json *
jw_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct parser ps = { .p = text, .end = text + len, .err = err, .errlen = errlen };
	struct jw_json *j;

	if (text == NULL) {
		fail(&ps, "no input");
		return NULL;
	}
	j = parse_value(&ps, 0);
	if (j == NULL)
		return NULL;
	skip_ws(&ps);
	if (ps.p != ps.end) {
		fail(&ps, "trailing bytes after the value");
		jw_json_free(j);
		return NULL;
	}
	return j;
}

void
jw_json_free(struct jw_json *j)
{
	while (j != NULL) {
		struct jw_json *next = j->next;

		jw_json_free(j->child);
		free(j->key);
		free(j->str);
		free(j);
		j = next;
	}
}

const struct jw_json *
jw_json_get(const struct jw_json *j, const char *key)
{
	const struct jw_json *c;

	if (j == NULL || j->type != JW_JSON_OBJECT || key == NULL)
		return NULL;
	for (c = j->child; c != NULL; c = c->next)
		if (strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

uint64_t
jw_json_u64(const struct jw_json *j, uint64_t dflt)
{
	unsigned long long v;
	const char *s;
	char *end;

	if (j == NULL || j->type != JW_JSON_NUMBER)
		return dflt;
	s = j->str;
	if (*s < '0' || *s > '9')
		return dflt;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return dflt;
	return (uint64_t)v;
}

const char *
jw_json_str(const struct jw_json *j, const char *dflt)
{
	return (j != NULL && j->type == JW_JSON_STRING) ? j->str : dflt;
}

void
jw_json_write_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void
jw_json_write(FILE *f, const struct jw_json *j)
{
	const struct jw_json *c;

	switch (j->type) {
	case JW_JSON_NULL: fputs("null", f); break;
	case JW_JSON_FALSE: fputs("false", f); break;
	case JW_JSON_TRUE: fputs("true", f); break;
	case JW_JSON_NUMBER: fputs(j->str, f); break;
	case JW_JSON_STRING: jw_json_write_string(f, j->str); break;
	case JW_JSON_ARRAY:
	case JW_JSON_OBJECT:
		fputc(j->type == JW_JSON_OBJECT ? '{' : '[', f);
		for (c = j->child; c != NULL; c = c->next) {
			if (c != j->child)
				fputc(',', f);
			if (j->type == JW_JSON_OBJECT) {
				jw_json_write_string(f, c->key);
				fputc(':', f);
			}
			jw_json_write(f, c);
		}
		fputc(j->type == JW_JSON_OBJECT ? '}' : ']', f);
		break;
	}
}
