#ifndef TSFN_SIGNALS_H
#define TSFN_SIGNALS_H

#include <signal.h>
#include <sys/wait.h>

/* Forwarded by the outer launcher to init and by init to the payload. */
static const int forwarded_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

/* The forwarded signals and SIGCHLD: blocked from before the container's
   first fork and collected with sigwaitinfo, so none is lost or handled
   twice. */
static inline void
waited_signals (sigset_t *set)
{
  sigemptyset (set);
  for (size_t i = 0; i < sizeof (forwarded_signals) / sizeof (forwarded_signals[0]); i++)
    sigaddset (set, forwarded_signals[i]);
  sigaddset (set, SIGCHLD);
}

/* A wait status as a shell would report it: the code, or 128+N for signal N. */
static inline int
exit_status (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 255;
}

#endif
