/* What the fuzz targets share: a sink for the output and diagnostics
 * they don't judge. */
#ifndef FUZZ_SINK_H
#define FUZZ_SINK_H

#include <stdio.h>

/* /dev/null, opened once for the process; aborts if it can't be. */
FILE *sink__devnull(void);

#endif
