#ifndef TSFN_UTILS_H
#define TSFN_UTILS_H

#include <stddef.h>
#include <unistd.h>

#include "error.h"

static inline void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}

#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))

/* Hands an fd out of a cleanup_close variable without closing it. */
static inline int
steal_fd (int *fd)
{
  int r = *fd;

  *fd = -1;
  return r;
}

/* "/proc/self/fd/N": how mount(2) and overlayfs are given a target or a
   layer that was resolved safely (or opened once) beforehand. */
typedef struct
{
  char s[32];
} fd_path_t;
fd_path_t fd_path (int fd);

int write_all (int fd, const void *buf, size_t len);
int read_all (int fd, void *buf, size_t len); /* bytes read, < len only at EOF */

/* Opens PATH under ROOTFD as if ROOTFD were "/": symlinks and ".." cannot
   leave it (openat2 RESOLVE_IN_ROOT). */
int open_in_root (int rootfd, const char *path, int flags, launcher_error_t *err);

/* Like mkdir -p / touch under ROOTFD, every step confined as above; returns an
   O_PATH fd of the directory or file. */
int ensure_dir_in_root (int rootfd, const char *path, launcher_error_t *err);
int ensure_file_in_root (int rootfd, const char *path, launcher_error_t *err);

int mkdir_p (const char *path, launcher_error_t *err);

/* One byte over a unix socket, carrying N fds (SCM_RIGHTS, N <= 64). */
int send_fds (int sock, const int *fds, size_t n);
int recv_fds (int sock, int *fds, size_t n); /* -1: errno EPIPE at EOF, EPROTO if short */

/* Closes every fd except those in KEEP (any order, may repeat). */
int close_fds_except (const int *keep, size_t n, launcher_error_t *err);

#endif
