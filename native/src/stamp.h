/* Timing stamps of a container start's steps, for `npm run
   bench:launcher-phases`: compiled in only by `make TIMING=1`
   (build/tsfn-launcher-timing), which writes "T <step> <CLOCK_MONOTONIC ns>"
   lines to stderr; in every other build they are nothing. */
#ifndef TSFN_STAMP_H
#define TSFN_STAMP_H

#ifdef TSFN_TIMING
void stamp (const char *step);
#define STAMP(step) stamp (step)
#else
#define STAMP(step) ((void) 0)
#endif

#endif
