/* A libFuzzer target over ply's compile path, as `ply -e -S` runs it:
 * parse, check, generate the IR and the BPF code, and dump all three.
 * Nothing is loaded into the kernel. The input is the program text (up to
 * its first NUL); a -c command is given, so $target compiles. Diagnostics
 * go to /dev/null: a script error is an ordinary outcome, only a crash,
 * an internal error (abort), a sanitizer report, a leak or a slow input
 * is a finding. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ply/ply.h>

#include "sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ply_opts opts = {
		.sz = sizeof(opts), .name = "fuzz", .err = sink__devnull(),
		.out = sink__devnull(), .command = "true",
	};
	struct ply *p;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!ply__compile(&p, text, &opts)) {
		ply__dump(p, sink__devnull());
		ply__free(p);
	}
	free(text);
	return 0;
}
