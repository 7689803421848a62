#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "libc-compat.h"
#include "utils.h"

struct masked_path
{
  const char *name;
  bool is_dir;
};

/* What runc and containerd mask and make read-only by default. */
static const struct masked_path proc_masks[] = {
  { "kcore", false },         { "keys", false },        { "timer_list", false },
  { "timer_stats", false },   { "sched_debug", false }, { "latency_stats", false },
  { "acpi", true },           { "asound", true },       { "scsi", true },
};
static const char *const proc_read_only[] = { "sys", "sysrq-trigger", "bus", "fs", "irq" };
static const struct masked_path sys_masks[] = {
  { "firmware", true },
  { "devices/virtual/powercap", true },
};
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
static const struct
{
  const char *name;
  const char *target;
} dev_links[] = {
  { "fd", "/proc/self/fd" },
  { "stdin", "/proc/self/fd/0" },
  { "stdout", "/proc/self/fd/1" },
  { "stderr", "/proc/self/fd/2" },
};

#define MS_SAFE (MS_NOSUID | MS_NODEV | MS_NOEXEC)
#define OVERLAY_OPTS_MAX 4096 /* mount(2) copies one page of options */

typedef struct
{
  char s[PATH_MAX];
} path_t;

/* "/proc/self/fd/DIRFD/NAME": a path below a directory opened safely. */
static int
below (path_t *out, int dirfd, const char *name, launcher_error_t *err)
{
  int n = snprintf (out->s, sizeof (out->s), "%s/%s", fd_path (dirfd).s, name);

  if (n < 0 || n >= (int) sizeof (out->s))
    return make_error (err, ENAMETOOLONG, "mount `%s`", name);
  return 0;
}

/* Appends FMT to the overlay options, failing when they outgrow a page. */
static int __attribute__ ((format (printf, 4, 5)))
append (char *opts, size_t *len, launcher_error_t *err, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (opts + *len, OVERLAY_OPTS_MAX - *len, fmt, ap);
  va_end (ap);
  if (n < 0 || (size_t) n >= OVERLAY_OPTS_MAX - *len)
    return make_error (err, E2BIG, "mount `overlay options`");
  *len += n;
  return 0;
}

/* The layer I as an overlay lowerdir: its fd's /proc/self/fd path, or, for an
   idmapped layer, the path where it is attached below the scratch tmpfs
   (overlayfs takes no detached mount as a layer). */
static int
lower_path (const struct run_config *cfg, const int *layer_fds, int scratchfd, size_t i,
            int *fd, path_t *out, launcher_error_t *err)
{
  char name[32];

  if (layer_fds == NULL)
    {
      *fd = open (cfg->layers[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (*fd < 0)
        return make_error (err, errno, "open `%s`", cfg->layers[i]);
      snprintf (out->s, sizeof (out->s), "%s", fd_path (*fd).s);
      return 0;
    }
  snprintf (name, sizeof (name), "lower%zu", i);
  if (mkdirat (scratchfd, name, 0755) < 0)
    return make_error (err, errno, "mkdirat `%s/%s`", cfg->scratch, name);
  if (move_mount (layer_fds[i], "", scratchfd, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return make_error (err, errno, "move_mount `%s`", cfg->layers[i]);
  return below (out, scratchfd, name, err);
}

/* Layers and the upper dir are named by /proc/self/fd paths: no escaping of
   ',' or ':' in host paths, and no host path shown in the container's
   mountinfo. */
static int
mount_overlay (const struct run_config *cfg, const int *layer_fds, int scratchfd,
               launcher_error_t *err)
{
  int fds[cfg->n_layers];
  char opts[OVERLAY_OPTS_MAX];
  size_t len = 0;
  fd_path_t s = fd_path (scratchfd);
  path_t target;
  int ret = 0;

  for (size_t i = 0; i < cfg->n_layers; i++)
    fds[i] = -1;
  for (size_t i = 0; i < cfg->n_layers && ret == 0; i++)
    {
      path_t lower;
      ret = lower_path (cfg, layer_fds, scratchfd, i, &fds[i], &lower, err);
      if (ret == 0)
        ret = append (opts, &len, err, "%s%s", i ? ":" : "lowerdir=", lower.s);
    }
  if (ret == 0)
    ret = append (opts, &len, err, ",upperdir=%s/upper,workdir=%s/work%s", s.s, s.s,
                  cfg->userns ? ",userxattr" : "");
  if (ret == 0)
    ret = below (&target, scratchfd, "root", err);
  if (ret == 0 && mount ("overlay", target.s, "overlay", MS_NOSUID | MS_NODEV, opts) < 0)
    ret = make_error (err, errno, "mount `%s/root`", cfg->scratch);
  for (size_t i = 0; i < cfg->n_layers; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  return ret;
}

/* Mounts FSTYPE on the directory PATH under ROOTFD (created if missing) and
   returns an O_PATH fd of the new mount's root. */
static int
mount_special (int rootfd, const char *path, const char *fstype, unsigned long flags,
               const char *opts, launcher_error_t *err)
{
  cleanup_close int mp = ensure_dir_in_root (rootfd, path, err);

  if (mp < 0)
    return -1;
  if (mount (fstype, fd_path (mp).s, fstype, flags, opts) < 0)
    return make_error (err, errno, "mount `%s`", path);
  return open_in_root (rootfd, path, O_PATH | O_DIRECTORY, err);
}

/* Files are covered by /dev/null; directories by one empty read-only tmpfs,
   mounted once and bound everywhere else (one superblock to build and tear
   down, not one per path). Paths this kernel does not have are skipped. */
static int
mask_paths (int *empty_dir, int dirfd, const char *where,
            const struct masked_path *masks, size_t n, launcher_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      path_t p;
      int r;

      if (below (&p, dirfd, masks[i].name, err) < 0)
        return -1;
      if (! masks[i].is_dir)
        r = mount ("/dev/null", p.s, NULL, MS_BIND, NULL);
      else if (*empty_dir >= 0)
        r = mount (fd_path (*empty_dir).s, p.s, NULL, MS_BIND, NULL);
      else
        {
          r = mount ("tmpfs", p.s, "tmpfs", MS_RDONLY | MS_SAFE, "mode=0555,nr_inodes=1");
          if (r == 0)
            {
              *empty_dir = openat (dirfd, masks[i].name, O_PATH | O_DIRECTORY | O_CLOEXEC);
              if (*empty_dir < 0)
                return make_error (err, errno, "openat `%s/%s`", where, masks[i].name);
            }
        }
      if (r < 0 && errno != ENOENT)
        return make_error (err, errno, "mount `%s/%s`", where, masks[i].name);
    }
  return 0;
}

static int
make_read_only (int dirfd, const char *where, const char *const *names, size_t n,
                launcher_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      path_t p;

      if (below (&p, dirfd, names[i], err) < 0)
        return -1;
      if (mount (p.s, p.s, NULL, MS_BIND | MS_REC, NULL) < 0)
        {
          if (errno == ENOENT)
            continue;
          return make_error (err, errno, "mount `%s/%s`", where, names[i]);
        }
      if (mount (NULL, p.s, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_SAFE, NULL) < 0)
        return make_error (err, errno, "mount `%s/%s`", where, names[i]);
    }
  return 0;
}

static int
mount_proc (int *empty_dir, int rootfd, launcher_error_t *err)
{
  cleanup_close int procfd = mount_special (rootfd, "/proc", "proc", MS_SAFE, NULL, err);

  if (procfd < 0)
    return -1;
  if (mask_paths (empty_dir, procfd, "/proc", proc_masks,
                  sizeof (proc_masks) / sizeof (proc_masks[0]), err) < 0)
    return -1;
  return make_read_only (procfd, "/proc", proc_read_only,
                         sizeof (proc_read_only) / sizeof (proc_read_only[0]), err);
}

static int
mount_sys (int *empty_dir, int rootfd, launcher_error_t *err)
{
  cleanup_close int sysfd
      = mount_special (rootfd, "/sys", "sysfs", MS_RDONLY | MS_SAFE, NULL, err);

  if (sysfd < 0)
    return -1;
  return mask_paths (empty_dir, sysfd, "/sys", sys_masks,
                     sizeof (sys_masks) / sizeof (sys_masks[0]), err);
}

/* A tmpfs holding bind mounts of the host's harmless character devices: the
   tmpfs itself is nodev, so nothing created in it could ever be a device. */
static int
mount_dev (const struct run_config *cfg, int rootfd, launcher_error_t *err)
{
  cleanup_close int devfd = mount_special (rootfd, "/dev", "tmpfs", MS_SAFE,
                                           "mode=0755,size=64k,nr_inodes=64", err);
  char opts[64];
  path_t p;

  if (devfd < 0)
    return -1;
  for (size_t i = 0; i < sizeof (dev_nodes) / sizeof (dev_nodes[0]); i++)
    {
      char host[32];

      /* An empty regular file to mount on: mknodat makes one without an fd. */
      if (mknodat (devfd, dev_nodes[i], S_IFREG | 0666, 0) < 0)
        return make_error (err, errno, "mknodat `/dev/%s`", dev_nodes[i]);
      snprintf (host, sizeof (host), "/dev/%s", dev_nodes[i]);
      if (below (&p, devfd, dev_nodes[i], err) < 0)
        return -1;
      if (mount (host, p.s, NULL, MS_BIND, NULL) < 0)
        return make_error (err, errno, "mount `%s`", host);
    }
  for (size_t i = 0; i < sizeof (dev_links) / sizeof (dev_links[0]); i++)
    if (symlinkat (dev_links[i].target, devfd, dev_links[i].name) < 0)
      return make_error (err, errno, "symlinkat `/dev/%s`", dev_links[i].name);

  if (mkdirat (devfd, "shm", 01777) < 0)
    return make_error (err, errno, "mkdirat `/dev/shm`");
  snprintf (opts, sizeof (opts), "mode=1777,size=%llu", cfg->shm_size);
  if (below (&p, devfd, "shm", err) < 0)
    return -1;
  if (mount ("shm", p.s, "tmpfs", MS_SAFE, opts) < 0)
    return make_error (err, errno, "mount `/dev/shm`");
  return 0;
}

/* New mount API: the clone is made read-only before it is attached, so it is
   never writable, not even for an instant. */
static int
mount_bind (int rootfd, const struct bind_spec *b, launcher_error_t *err)
{
  cleanup_close int tree = open_tree (AT_FDCWD, b->src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  cleanup_close int target = -1;
  struct mount_attr attr = {
    .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (b->read_only ? MOUNT_ATTR_RDONLY : 0),
  };
  struct stat st;

  if (tree < 0)
    return make_error (err, errno, "open_tree `%s`", b->src);
  if (fstat (tree, &st) < 0)
    return make_error (err, errno, "fstat `%s`", b->src);
  if (mount_setattr (tree, "", AT_EMPTY_PATH, &attr, sizeof (attr)) < 0)
    return make_error (err, errno, "mount_setattr `%s`", b->src);
  target = S_ISDIR (st.st_mode) ? ensure_dir_in_root (rootfd, b->dst, err)
                                : ensure_file_in_root (rootfd, b->dst, err);
  if (target < 0)
    return -1;
  if (move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return make_error (err, errno, "move_mount `%s`", b->dst);
  return 0;
}

/* uid=0,gid=0 are read in the mounter's user namespace: under --userns the
   tmpfs belongs to the container's root, who fills it after this. */
int
mount_scratch (const struct run_config *cfg, struct rootfs *rootfs, launcher_error_t *err)
{
  char opts[128];

  snprintf (opts, sizeof (opts), "size=%llu,nr_inodes=%llu,mode=0755,uid=0,gid=0",
            cfg->upper_size, cfg->upper_inodes);
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return make_error (err, errno, "mount `/`");
  if (mount ("tsfn-upper", cfg->scratch, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
    return make_error (err, errno, "mount `%s`", cfg->scratch);
  rootfs->scratch = open (cfg->scratch, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfs->scratch < 0)
    return make_error (err, errno, "open `%s`", cfg->scratch);
  return 0;
}

int
mount_rootfs (const struct run_config *cfg, const int *layer_fds, struct rootfs *rootfs,
              launcher_error_t *err)
{
  for (const char *const *d = (const char *const[]) { "upper", "work", "root", NULL }; *d; d++)
    if (mkdirat (rootfs->scratch, *d, 0755) < 0)
      return make_error (err, errno, "mkdirat `%s/%s`", cfg->scratch, *d);
  if (mount_overlay (cfg, layer_fds, rootfs->scratch, err) < 0)
    return -1;
  rootfs->root = openat (rootfs->scratch, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfs->root < 0)
    return make_error (err, errno, "open `%s/root`", cfg->scratch);
  if (mount_proc (&rootfs->empty_dir, rootfs->root, err) < 0
      || mount_dev (cfg, rootfs->root, err) < 0)
    return -1;
  return 0;
}

int
mount_rootfs_finish (const struct run_config *cfg, struct rootfs *rootfs, launcher_error_t *err)
{
  if (mount_sys (&rootfs->empty_dir, rootfs->root, err) < 0)
    return -1;
  for (size_t i = 0; i < cfg->n_binds; i++)
    if (mount_bind (rootfs->root, &cfg->binds[i], err) < 0)
      return -1;
  return 0;
}

void
rootfs_close (struct rootfs *rootfs)
{
  int *fds[] = { &rootfs->scratch, &rootfs->root, &rootfs->empty_dir };

  for (size_t i = 0; i < sizeof (fds) / sizeof (fds[0]); i++)
    if (*fds[i] >= 0)
      {
        close (*fds[i]);
        *fds[i] = -1;
      }
}
