#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exit-codes.h"
#include "libc-compat.h"
#include "utils.h"

#define USERNS_SIZE 65536

/* A writer privileged in the parent namespace may map any range, and
   setgroups stays allowed, so init can still empty its groups. */
static int
write_map (pid_t init, const char *file, unsigned int base, launcher_error_t *err)
{
  char path[64];
  char map[64];
  int len = snprintf (map, sizeof (map), "0 %u %u\n", base, USERNS_SIZE);
  cleanup_close int fd = -1;

  snprintf (path, sizeof (path), "/proc/%d/%s", (int) init, file);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error (err, errno, "open `%s`", path);
  if (write (fd, map, len) != len)
    return make_error (err, errno, "write `%s`", path);
  return 0;
}

/* Files in the layers belong to host root, which the user namespace does not
   map: seen through plain mounts they would be nobody's, and overlayfs could
   not copy them up. Idmapped clones show them as the container's root.
   Only a process privileged on the host can make them, hence here. */
static int
idmapped_layers (pid_t init, const struct run_config *cfg, int *fds, launcher_error_t *err)
{
  char path[64];
  cleanup_close int userns = -1;
  struct mount_attr attr = {
    .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
  };

  snprintf (path, sizeof (path), "/proc/%d/ns/user", (int) init);
  userns = open (path, O_RDONLY | O_CLOEXEC);
  if (userns < 0)
    return make_error (err, errno, "open `%s`", path);
  attr.userns_fd = userns;
  for (size_t i = 0; i < cfg->n_layers; i++)
    {
      fds[i] = open_tree (AT_FDCWD, cfg->layers[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
      if (fds[i] < 0)
        return make_error (err, errno, "open_tree `%s`", cfg->layers[i]);
      if (mount_setattr (fds[i], "", AT_EMPTY_PATH, &attr, sizeof (attr)) < 0)
        return make_error (err, errno, "mount_setattr `%s`", cfg->layers[i]);
    }
  return 0;
}

int
prepare_user_namespace (pid_t init, const struct run_config *cfg, int syncfd,
                        launcher_error_t *err)
{
  int fds[cfg->n_layers];
  int ret;

  for (size_t i = 0; i < cfg->n_layers; i++)
    fds[i] = -1;
  ret = write_map (init, "uid_map", cfg->userns_base, err);
  if (ret == 0)
    ret = write_map (init, "gid_map", cfg->userns_base, err);
  if (ret == 0 && idmapped_layers (init, cfg, fds, err) < 0)
    ret = error_code (err, LAUNCHER_EXIT_MOUNTS);
  /* EPIPE: init has already failed, and its report is in the error pipe. */
  if (ret == 0 && send_fds (syncfd, fds, cfg->n_layers) < 0 && errno != EPIPE)
    ret = make_error (err, errno, "sendmsg `idmapped layers`");
  for (size_t i = 0; i < cfg->n_layers; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  return ret;
}
