/* json: escaping any bytes into a valid JSON string (see json.h). */
#include <stdint.h>

#include "json.h"

size_t utf8_seq(const unsigned char *s, size_t len)
{
	uint32_t cp;
	size_t n, i;

	if (!len)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void json_str(FILE *f, const void *s, size_t len)
{
	const unsigned char *p = s, *end = p + len;
	size_t n;

	fputc('"', f);
	while (p < end) {
		unsigned char c = *p;
		const unsigned char *run = p;

		/* printable ASCII as it is, a run at a time (most names) */
		while (run < end && *run >= 0x20 && *run < 0x7f && *run != '"' &&
		       *run != '\\')
			run++;
		if (run > p) {
			fwrite(p, 1, run - p, f);
			p = run;
			continue;
		}
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			p++;
		} else if (c == '\n') {
			fputs("\\n", f), p++;
		} else if (c == '\t') {
			fputs("\\t", f), p++;
		} else if (c == '\r') {
			fputs("\\r", f), p++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c), p++;
		} else if ((n = utf8_seq(p, end - p))) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			fprintf(f, "\\udc%02x", c);
			p++;
		}
	}
	fputc('"', f);
}
