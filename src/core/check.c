#include <config.h>
#include "core/check.h"

#include <stdio.h>
#include <stdlib.h>

void check__fail(const char *file, int line, const char *kind, const char *expr)
{
    fprintf(stderr, "%s:%d: %s(%s) failed\n", file, line, kind, expr);
    fflush(stderr);
    abort();
}
