/* What glibc declares (close_range since 2.34, the new mount API since 2.36)
   and musl does not. The launcher builds with either: with musl where
   musl-gcc is installed, whose static start faults in a fifth of the pages
   glibc's does (Makefile). The wrappers are the raw syscalls, as glibc's are. */
#ifndef TSFN_LIBC_COMPAT_H
#define TSFN_LIBC_COMPAT_H

#include <sys/mount.h>
#include <unistd.h>

#ifndef __GLIBC__
#include <linux/mount.h>
#include "syscall-compat.h"

static inline int
open_tree (int dfd, const char *path, unsigned int flags)
{
  return syscall (__NR_open_tree, dfd, path, flags);
}

static inline int
move_mount (int from_dfd, const char *from_path, int to_dfd, const char *to_path, unsigned int flags)
{
  return syscall (__NR_move_mount, from_dfd, from_path, to_dfd, to_path, flags);
}

static inline int
mount_setattr (int dfd, const char *path, unsigned int flags, struct mount_attr *attr, size_t size)
{
  return syscall (__NR_mount_setattr, dfd, path, flags, attr, size);
}

static inline int
fsopen (const char *fsname, unsigned int flags)
{
  return syscall (__NR_fsopen, fsname, flags);
}

static inline int
fsconfig (int fd, unsigned int cmd, const char *key, const void *value, int aux)
{
  return syscall (__NR_fsconfig, fd, cmd, key, value, aux);
}

static inline int
fsmount (int fd, unsigned int flags, unsigned int attr_flags)
{
  return syscall (__NR_fsmount, fd, flags, attr_flags);
}

static inline int
close_range (unsigned int first, unsigned int last, int flags)
{
  return syscall (__NR_close_range, first, last, flags);
}
#endif

#endif
