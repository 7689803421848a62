#ifndef TSFN_ERROR_H
#define TSFN_ERROR_H

/* Every fallible function returns < 0 and fills one of these; the error is
   printed once, by main (or, inside the container, sent to the outer launcher
   over a pipe and printed there). It is a flat struct so that it can cross
   that pipe in one atomic write. */
typedef struct launcher_error
{
  int code;   /* exit code from exit-codes.h; 0 until a stage names it */
  int errnum; /* errno, or 0 for errors that have none (usage) */
  char msg[400];
} launcher_error_t;

int make_error (launcher_error_t *err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Names the stage that failed, unless a deeper function already did. */
int error_code (launcher_error_t *err, int code);

void error_print (const launcher_error_t *err);

#endif
