#include "container.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Order matters: the bounding set can only be dropped while CAP_SETPCAP is
   still held, i.e. before the uid switch; the uid switch clears permitted and
   effective, and capset then clears inheritable, which it does not. */
int
drop_privileges (uid_t uid, gid_t gid, launcher_error_t *err)
{
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { { 0 } };

  for (int cap = 0;; cap++)
    if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
      {
        if (errno == EINVAL && cap > 0)
          break;
        return make_error (err, errno, "prctl `PR_CAPBSET_DROP %d`", cap);
      }
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    return make_error (err, errno, "prctl `PR_CAP_AMBIENT_CLEAR_ALL`");
  if (setgroups (0, NULL) < 0)
    return make_error (err, errno, "setgroups `[]`");
  if (setresgid (gid, gid, gid) < 0)
    return make_error (err, errno, "setresgid `%u`", (unsigned) gid);
  if (setresuid (uid, uid, uid) < 0)
    return make_error (err, errno, "setresuid `%u`", (unsigned) uid);
  if (syscall (SYS_capset, &hdr, data) < 0)
    return make_error (err, errno, "capset `all`");
  return 0;
}
