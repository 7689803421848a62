#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "libc-compat.h"

fd_path_t
fd_path (int fd)
{
  fd_path_t p;

  snprintf (p.s, sizeof (p.s), "/proc/self/fd/%d", fd);
  return p;
}

int
write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      p += n;
      len -= n;
    }
  return 0;
}

int
read_all (int fd, void *buf, size_t len)
{
  char *p = buf;
  size_t got = 0;

  while (got < len)
    {
      ssize_t n = read (fd, p + got, len - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      got += n;
    }
  return got;
}

static int
openat2_in_root (int rootfd, const char *path, int flags)
{
  struct open_how how = {
    .flags = flags | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };

  return syscall (SYS_openat2, rootfd, path, &how, sizeof (how));
}

int
open_in_root (int rootfd, const char *path, int flags, launcher_error_t *err)
{
  int fd = openat2_in_root (rootfd, path, flags);

  if (fd < 0)
    return make_error (err, errno, "openat2 `%s`", path);
  return fd;
}

int
ensure_dir_in_root (int rootfd, const char *path, launcher_error_t *err)
{
  char prefix[PATH_MAX];
  cleanup_close int cur = -1;
  size_t len = 0;
  int fd;

  fd = openat2_in_root (rootfd, path, O_PATH | O_DIRECTORY);
  if (fd >= 0 || errno != ENOENT)
    return fd >= 0 ? fd : make_error (err, errno, "openat2 `%s`", path);

  /* Down from the root one component at a time, each resolved from the root
     again, so that a symlink met on the way is still confined. */
  cur = openat2_in_root (rootfd, "/", O_PATH | O_DIRECTORY);
  if (cur < 0)
    return make_error (err, errno, "openat2 `/`");
  for (const char *p = path; *p;)
    {
      char name[NAME_MAX + 1];
      const char *end;
      size_t n;
      int next;

      while (*p == '/')
        p++;
      end = strchrnul (p, '/');
      n = end - p;
      if (n == 0)
        break;
      if (n > NAME_MAX || len + n + 2 > sizeof (prefix))
        return make_error (err, ENAMETOOLONG, "mkdirat `%s`", path);
      memcpy (name, p, n);
      name[n] = '\0';
      len += snprintf (prefix + len, sizeof (prefix) - len, "/%s", name);

      next = openat2_in_root (rootfd, prefix, O_PATH | O_DIRECTORY);
      if (next < 0 && errno == ENOENT)
        {
          if (mkdirat (cur, name, 0755) < 0 && errno != EEXIST)
            return make_error (err, errno, "mkdirat `%s`", prefix);
          next = openat2_in_root (rootfd, prefix, O_PATH | O_DIRECTORY);
        }
      if (next < 0)
        return make_error (err, errno, "openat2 `%s`", prefix);
      close (cur);
      cur = next;
      p = end;
    }
  return steal_fd (&cur);
}

int
ensure_file_in_root (int rootfd, const char *path, launcher_error_t *err)
{
  char dir[PATH_MAX];
  const char *base;
  cleanup_close int parent = -1;
  int fd;

  fd = openat2_in_root (rootfd, path, O_PATH);
  if (fd >= 0 || errno != ENOENT)
    return fd >= 0 ? fd : make_error (err, errno, "openat2 `%s`", path);

  base = strrchr (path, '/');
  base = base ? base + 1 : path;
  if (*base == '\0' || strcmp (base, ".") == 0 || strcmp (base, "..") == 0
      || (size_t) (base - path) >= sizeof (dir))
    return make_error (err, EINVAL, "openat `%s`", path);
  memcpy (dir, path, base - path);
  dir[base - path] = '\0';

  parent = ensure_dir_in_root (rootfd, dir[0] ? dir : "/", err);
  if (parent < 0)
    return parent;
  /* O_EXCL: an existing file is left alone (no copy-up from a lower layer). */
  fd = openat (parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 && errno != EEXIST)
    return make_error (err, errno, "openat `%s`", path);
  if (fd >= 0)
    close (fd);
  return open_in_root (rootfd, path, O_PATH, err);
}

int
mkdir_p (const char *path, launcher_error_t *err)
{
  char buf[PATH_MAX];
  size_t len = strlen (path);

  if (len >= sizeof (buf))
    return make_error (err, ENAMETOOLONG, "mkdir `%s`", path);
  memcpy (buf, path, len + 1);
  for (char *p = buf + 1; ; p++)
    {
      if (*p != '/' && *p != '\0')
        continue;
      char c = *p;
      *p = '\0';
      if (mkdir (buf, 0755) < 0 && errno != EEXIST)
        return make_error (err, errno, "mkdir `%s`", buf);
      *p = c;
      if (c == '\0')
        return 0;
    }
}

int
close_fds_except (const int *keep, size_t n, launcher_error_t *err)
{
  int sorted[n ? n : 1];
  unsigned int from = 0;

  memcpy (sorted, keep, n * sizeof (int));
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--)
      {
        int t = sorted[j];
        sorted[j] = sorted[j - 1];
        sorted[j - 1] = t;
      }
  for (size_t i = 0; i < n; i++)
    {
      unsigned int fd = sorted[i];
      if (fd > from && close_range (from, fd - 1, 0) < 0)
        return make_error (err, errno, "close_range `%u-%u`", from, fd - 1);
      if (fd >= from)
        from = fd + 1;
    }
  if (close_range (from, ~0U, 0) < 0)
    return make_error (err, errno, "close_range `%u-`", from);
  return 0;
}

#define MAX_PASSED_FDS 64

int
send_fds (int sock, const int *fds, size_t n)
{
  char byte = 0;
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  union
  {
    char buf[CMSG_SPACE (MAX_PASSED_FDS * sizeof (int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

  if (n > MAX_PASSED_FDS)
    {
      errno = E2BIG;
      return -1;
    }
  if (n > 0)
    {
      struct cmsghdr *c;

      msg.msg_control = control.buf;
      msg.msg_controllen = CMSG_SPACE (n * sizeof (int));
      c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (n * sizeof (int));
      memcpy (CMSG_DATA (c), fds, n * sizeof (int));
    }
  while (sendmsg (sock, &msg, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return -1;
  return 0;
}

int
recv_fds (int sock, int *fds, size_t n)
{
  char byte;
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  union
  {
    char buf[CMSG_SPACE (MAX_PASSED_FDS * sizeof (int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = control.buf,
    .msg_controllen = sizeof (control.buf),
  };
  struct cmsghdr *c;
  ssize_t got;

  do
    got = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (got < 0 && errno == EINTR);
  if (got < 0)
    return -1;
  if (got == 0)
    {
      errno = EPIPE;
      return -1;
    }
  c = CMSG_FIRSTHDR (&msg);
  if (got != 1 || (n > 0 && (c == NULL || c->cmsg_type != SCM_RIGHTS
                             || c->cmsg_len != CMSG_LEN (n * sizeof (int)))))
    {
      errno = EPROTO;
      return -1;
    }
  if (n > 0)
    memcpy (fds, CMSG_DATA (c), n * sizeof (int));
  return 0;
}
