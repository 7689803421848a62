#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "exit-codes.h"
#include "utils.h"

/* A network namespace with its loopback up, made ahead of the container that
   will join it (--netns-fd): making one is most of a millisecond of kernel
   work (sysctl tables, lo, its IPv6 address), the slowest step of a start.
   The caller enters it for a moment and returns to HOST_NS; the new
   namespace lives on only through the returned fd. */
int
make_spare_network (int host_ns, launcher_error_t *err)
{
  cleanup_close int ns = -1;

  if (unshare (CLONE_NEWNET) < 0)
    return make_error (err, errno, "unshare `net`");
  if (bring_up_loopback (err) == 0)
    {
      ns = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
      if (ns < 0)
        make_error (err, errno, "open `/proc/self/ns/net`");
    }
  if (setns (host_ns, CLONE_NEWNET) < 0)
    {
      /* Stranded in a namespace of its own, this process must not go on. */
      make_error (err, errno, "setns `host network`");
      _exit (LAUNCHER_EXIT_NAMESPACES);
    }
  return ns < 0 ? -1 : steal_fd (&ns);
}

int
netns_hold (launcher_error_t *err)
{
  char buf[64];

  if (unshare (CLONE_NEWNET) < 0)
    return make_error (err, errno, "unshare `net`");
  if (bring_up_loopback (err) < 0)
    return -1;
  if (write_all (STDOUT_FILENO, "ready\n", 6) < 0)
    return make_error (err, errno, "write `stdout`");
  while (read (STDIN_FILENO, buf, sizeof (buf)) > 0)
    ;
  return 0;
}
