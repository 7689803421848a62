#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>

#include "exit-codes.h"
#include "libc-compat.h"
#include "utils.h"

/* The tree is cloned and made read-only while still in the host's
   namespace, detached, then moved into the container: the host's mount table
   never sees it. */
static int
attach (const struct attach_config *cfg, launcher_error_t *err)
{
  cleanup_close int tree = open_tree (AT_FDCWD, cfg->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  cleanup_close int ns = -1;
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
  char ns_path[64];
  struct stat target, own;

  if (tree < 0)
    return make_error (err, errno, "open_tree `%s`", cfg->source);
  if (mount_setattr (tree, "", AT_EMPTY_PATH, &attr, sizeof (attr)) < 0)
    return make_error (err, errno, "mount_setattr `%s`", cfg->source);
  snprintf (ns_path, sizeof (ns_path), "/proc/%d/ns/mnt", (int) cfg->pid);
  ns = open (ns_path, O_RDONLY | O_CLOEXEC);
  if (ns < 0)
    return make_error (err, errno, "open `%s`", ns_path);
  /* A stale pid now naming a host process must not get the mount. */
  if (fstat (ns, &target) < 0 || stat ("/proc/self/ns/mnt", &own) < 0)
    return make_error (err, errno, "stat `%s`", ns_path);
  if (target.st_ino == own.st_ino && target.st_dev == own.st_dev)
    return make_error (err, EINVAL, "setns `%s`", ns_path);
  if (setns (ns, CLONE_NEWNS) < 0)
    return make_error (err, errno, "setns `%s`", ns_path);
  if (move_mount (tree, "", AT_FDCWD, cfg->target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return make_error (err, errno, "move_mount `%s`", cfg->target);
  return 0;
}

int
attach_mount (const struct attach_config *cfg, launcher_error_t *err)
{
  if (attach (cfg, err) < 0)
    return error_code (err, LAUNCHER_EXIT_ATTACH);
  return 0;
}
