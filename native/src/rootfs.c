#include "container.h"

#include <errno.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

/* crun's and runc's trick: pivot_root(".", ".") stacks the old root on top
   of the new one, and detaching "." then drops the old root, with no
   directory needed to park it in. The namespace is already private, so the
   detach cannot propagate to the host. */
int
pivot_into (int rootfd, launcher_error_t *err)
{
  if (fchdir (rootfd) < 0)
    return make_error (err, errno, "fchdir `new root`");
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return make_error (err, errno, "pivot_root `.`");
  if (umount2 (".", MNT_DETACH) < 0)
    return make_error (err, errno, "umount2 `old root`");
  if (chdir ("/") < 0)
    return make_error (err, errno, "chdir `/`");
  return 0;
}
