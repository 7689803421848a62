#include "stamp.h"

#ifdef TSFN_TIMING
#include <stdio.h>
#include <time.h>

void
stamp (const char *step)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  dprintf (2, "T %s %lld\n", step, (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec);
}
#else
typedef int stamps_compiled_out; /* no empty translation unit */
#endif
