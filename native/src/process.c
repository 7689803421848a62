#include "container.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "utils.h"

/* A fresh network namespace has only lo, and it is down. */
int
bring_up_loopback (launcher_error_t *err)
{
  cleanup_close int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = { 0 };

  if (s < 0)
    return make_error (err, errno, "socket `AF_INET`");
  strcpy (ifr.ifr_name, "lo");
  if (ioctl (s, SIOCGIFFLAGS, &ifr) < 0)
    return make_error (err, errno, "ioctl `SIOCGIFFLAGS lo`");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl (s, SIOCSIFFLAGS, &ifr) < 0)
    return make_error (err, errno, "ioctl `SIOCSIFFLAGS lo`");
  return 0;
}

static int
set_limit (int resource, const char *name, unsigned long long value, launcher_error_t *err)
{
  struct rlimit rl = { .rlim_cur = value, .rlim_max = value };

  if (setrlimit (resource, &rl) < 0)
    return make_error (err, errno, "setrlimit `%s=%llu`", name, value);
  return 0;
}

/* RLIMIT_CORE 0: a core_pattern that pipes to a host helper must never be
   fed by a container. */
int
set_limits (const struct run_config *cfg, launcher_error_t *err)
{
  if (sethostname (cfg->hostname, strlen (cfg->hostname)) < 0)
    return make_error (err, errno, "sethostname `%s`", cfg->hostname);
  if (set_limit (RLIMIT_NOFILE, "RLIMIT_NOFILE", cfg->nofile, err) < 0
      || set_limit (RLIMIT_FSIZE, "RLIMIT_FSIZE", cfg->fsize, err) < 0
      || set_limit (RLIMIT_CORE, "RLIMIT_CORE", 0, err) < 0)
    return -1;
  return 0;
}
