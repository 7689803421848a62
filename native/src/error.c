#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
make_error (launcher_error_t *err, int errnum, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (err->msg, sizeof (err->msg), fmt, ap);
  va_end (ap);
  err->errnum = errnum;
  err->code = 0;
  return -1;
}

int
error_code (launcher_error_t *err, int code)
{
  if (err->code == 0)
    err->code = code;
  return -1;
}

void
error_print (const launcher_error_t *err)
{
  char line[sizeof (err->msg) + 128];
  int n;

  if (err->errnum)
    n = snprintf (line, sizeof (line), "tsfn-launcher: %s: %s\n", err->msg, strerror (err->errnum));
  else
    n = snprintf (line, sizeof (line), "tsfn-launcher: %s\n", err->msg);
  if (n < 0)
    return;
  if (n > (int) sizeof (line) - 1)
    {
      n = sizeof (line) - 1;
      line[n - 1] = '\n';
    }
  /* One write, so that the line never interleaves with the payload's output. */
  if (write (STDERR_FILENO, line, n) < 0)
    return;
}
