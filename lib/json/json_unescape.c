/* JSON string escapes (json_unescape.h). */
#include <errno.h>
#include <stdint.h>

#include "json/json_unescape.h"

/* Four hex digits at p (the caller checked that they are inside the input). */
static int
hex4(const char *p, uint32_t *v)
{
	uint32_t acc = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			return -EILSEQ;
		acc = acc << 4 | d;
	}
	*v = acc;
	return 0;
}

static int
put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

int
jw_json_unescape(const char *p, const char *end, char out[4], size_t *used)
{
	uint32_t cp, lo;

	if (end - p < 2)
		return -EINVAL;
	*used = 2;
	switch (p[1]) {
	case '"': out[0] = '"'; return 1;
	case '\\': out[0] = '\\'; return 1;
	case '/': out[0] = '/'; return 1;
	case 'b': out[0] = '\b'; return 1;
	case 'f': out[0] = '\f'; return 1;
	case 'n': out[0] = '\n'; return 1;
	case 'r': out[0] = '\r'; return 1;
	case 't': out[0] = '\t'; return 1;
	case 'u':
		break;
	default:
		return -EINVAL;
	}
	if (end - p < 6 || hex4(p + 2, &cp) != 0)
		return -EILSEQ;
	*used = 6;
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return -EDOM;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8, &lo) != 0 ||
		    lo < 0xDC00 || lo > 0xDFFF)
			return -ERANGE;
		*used = 12;
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	}
	return put_utf8(out, cp);
}
