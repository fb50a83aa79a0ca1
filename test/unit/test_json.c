/* json: every byte string becomes valid JSON that gives the bytes back. */
#include <stdio.h>
#include <stdlib.h>

#include "json.h"
#include "test.h"

static char *enc(const char *s, size_t len)
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	json_str(f, s, len);
	fclose(f);
	return buf;
}

#define ENC(lit) enc(lit, sizeof(lit) - 1)

int main(void)
{
	CHECK_STR(ENC(""), "\"\"");
	CHECK_STR(ENC("/etc/hosts"), "\"/etc/hosts\"");
	CHECK_STR(ENC("a\"b\\c"), "\"a\\\"b\\\\c\"");
	CHECK_STR(ENC("a\nb\tc\rd"), "\"a\\nb\\tc\\rd\"");
	CHECK_STR(ENC("\x1b]0;x\a"), "\"\\u001b]0;x\\u0007\"");
	CHECK_STR(ENC("\x7f"), "\"\\u007f\"");
	CHECK_STR(ENC("nul\0in"), "\"nul\\u0000in\"");
	CHECK_STR(ENC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
		  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* not UTF-8: a stray continuation, a truncated sequence, an
	 * overlong '/', an encoded surrogate, past U+10FFFF, Latin-1 */
	CHECK_STR(ENC("\x80"), "\"\\udc80\"");
	CHECK_STR(ENC("\xc3"), "\"\\udcc3\"");
	CHECK_STR(ENC("\xe2\x82"), "\"\\udce2\\udc82\"");
	CHECK_STR(ENC("\xc0\xaf"), "\"\\udcc0\\udcaf\"");
	CHECK_STR(ENC("\xed\xa0\x80"), "\"\\udced\\udca0\\udc80\"");
	CHECK_STR(ENC("\xf4\x90\x80\x80"), "\"\\udcf4\\udc90\\udc80\\udc80\"");
	CHECK_STR(ENC("caf\xe9"), "\"caf\\udce9\"");
	CHECK(utf8_seq((const unsigned char *)"\xe2\x82\xac", 3) == 3);
	CHECK(utf8_seq((const unsigned char *)"\xe2\x82\xac", 2) == 0);
	CHECK(utf8_seq((const unsigned char *)"\xf0\x8f\xbf\xbf", 4) == 0);
	return test_report("json");
}
