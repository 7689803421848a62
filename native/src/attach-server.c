#include "container.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exit-codes.h"

/* `tsfn-launcher attach-server`: the invoker keeps one running and sends it
   one request per line on stdin, `PID<TAB>SOURCE<TAB>TARGET`, and reads one
   answer per line on stdout, in order: `ok`, or `err <code> <message>`. Each
   attach runs in a forked child, because setns cannot be undone; forking this
   small static process costs far less than the invoker forking itself for
   every prewarmed container it specialises. */

static void
answer (const char *line)
{
  size_t len = strlen (line);
  while (len > 0)
    {
      ssize_t n = write (STDOUT_FILENO, line, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        exit (0);
      line += n;
      len -= (size_t) n;
    }
}

static void
answer_error (const launcher_error_t *err)
{
  char line[sizeof (err->msg) + 64];
  char *nl;
  if (err->errnum)
    snprintf (line, sizeof (line), "err %d %s: %s\n", err->code, err->msg, strerror (err->errnum));
  else
    snprintf (line, sizeof (line), "err %d %s\n", err->code, err->msg);
  /* One line per answer, whatever the message holds. */
  while ((nl = strchr (line, '\n')) != NULL && nl[1] != '\0')
    *nl = ' ';
  answer (line);
}

static int
parse_request (char *line, struct attach_config *cfg, launcher_error_t *err)
{
  char *pid = line;
  char *source = strchr (pid, '\t');
  char *target = source ? strchr (source + 1, '\t') : NULL;
  char *end = NULL;
  long value;

  if (source == NULL || target == NULL || strchr (target + 1, '\t') != NULL)
    return make_error (err, 0, "a request is PID<TAB>SOURCE<TAB>TARGET");
  *source++ = '\0';
  *target++ = '\0';
  errno = 0;
  value = strtol (pid, &end, 10);
  if (errno != 0 || end == pid || *end != '\0' || value <= 0 || value > 0x7fffffff)
    return make_error (err, 0, "invalid pid `%s`", pid);
  if (source[0] != '/' || target[0] != '/')
    return make_error (err, 0, "source and target must be absolute paths");
  *cfg = (struct attach_config) { .pid = (pid_t) value, .source = source, .target = target };
  return 0;
}

int
attach_server (void)
{
  char line[8192];

  while (fgets (line, sizeof (line), stdin) != NULL)
    {
      launcher_error_t err = { 0 };
      struct attach_config cfg;
      size_t len = strlen (line);
      pid_t child;
      int status;

      if (len == 0 || line[len - 1] != '\n')
        {
          make_error (&err, 0, "request too long or not ended by a newline");
          error_code (&err, LAUNCHER_EXIT_USAGE);
          answer_error (&err);
          return LAUNCHER_EXIT_USAGE;
        }
      line[len - 1] = '\0';
      if (parse_request (line, &cfg, &err) < 0)
        {
          error_code (&err, LAUNCHER_EXIT_USAGE);
          answer_error (&err);
          continue;
        }
      child = fork ();
      if (child < 0)
        {
          make_error (&err, errno, "fork");
          error_code (&err, LAUNCHER_EXIT_ATTACH);
          answer_error (&err);
          continue;
        }
      if (child == 0)
        {
          if (attach_mount (&cfg, &err) < 0)
            {
              answer_error (&err);
              _exit (err.code);
            }
          _exit (0);
        }
      while (waitpid (child, &status, 0) < 0)
        if (errno != EINTR)
          break;
      if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
        answer ("ok\n");
      else if (!WIFEXITED (status))
        {
          make_error (&err, 0, "attach child died of signal %d", WTERMSIG (status));
          error_code (&err, LAUNCHER_EXIT_INTERNAL);
          answer_error (&err);
        }
    }
  return 0;
}
