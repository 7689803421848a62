#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "utils.h"

/* The outer launcher joins before it forks, so every container process is
   inside the quota from its first instruction. */
int
join_cgroups (const struct run_config *cfg, launcher_error_t *err)
{
  char pid[16];
  int len = snprintf (pid, sizeof (pid), "%d\n", getpid ());

  for (size_t i = 0; i < cfg->n_cgroups; i++)
    {
      char path[PATH_MAX];
      cleanup_close int fd = -1;

      if (snprintf (path, sizeof (path), "%s/cgroup.procs", cfg->cgroups[i]) >= (int) sizeof (path))
        return make_error (err, ENAMETOOLONG, "open `%s/cgroup.procs`", cfg->cgroups[i]);
      fd = open (path, O_WRONLY | O_CLOEXEC);
      if (fd < 0)
        return make_error (err, errno, "open `%s`", path);
      if (write (fd, pid, len) != len)
        return make_error (err, errno, "write `%s`", path);
    }
  return 0;
}
