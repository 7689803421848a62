#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "exit-codes.h"
#include "libc-compat.h"
#include "utils.h"

/* `tsfn-launcher favor-dynmods`: keeps the kernel's cgroup favordynmods mode
   on for as long as it runs. On cgroup v1 the first write of a pid to a
   cgroup.procs after a quiet spell waits for an RCU grace period (10-15 ms
   here, on every container start); while any hierarchy root with
   favordynmods exists, migrations skip that wait and fork and exit pay a
   little instead. It makes such a root, a named hierarchy without
   controllers, and keeps it as a detached mount: no mount point, in no mount
   table. Answers one line on stdout, `held`, `unneeded` (no v1 controllers:
   on v2 the mode is an option of the host's cgroup2 mount, not ours to
   change) or `unsupported <reason>` (the kernel refused; exits 0 all the
   same), then, if held, waits for EOF on stdin, SIGTERM or SIGINT. When it
   exits, however it dies, the fd closes and the hierarchy goes away. */

#define HIERARCHY_NAME "tsfn-dynmods"

static int
say (const char *line, launcher_error_t *err)
{
  if (write_all (STDOUT_FILENO, line, strlen (line)) < 0)
    return make_error (err, errno, "write `stdout`");
  return 0;
}

/* /proc/self/cgroup has a line `ID:CONTROLLERS:PATH` for every v1 hierarchy
   in the kernel, whatever this mount namespace shows (`name=X` for a named
   one, `0::PATH` for v2). */
static int
v1_controllers_bound (launcher_error_t *err)
{
  char buf[8192];
  cleanup_close int fd = open ("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  char *line, *save = NULL;
  int n;

  if (fd < 0)
    return make_error (err, errno, "open `/proc/self/cgroup`");
  n = read_all (fd, buf, sizeof (buf) - 1);
  if (n < 0)
    return make_error (err, errno, "read `/proc/self/cgroup`");
  buf[n] = '\0';
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *controllers = strchr (line, ':');
      char *end = controllers ? strchr (controllers + 1, ':') : NULL;
      char *item, *save_item = NULL;

      if (end == NULL)
        continue;
      *end = '\0';
      for (item = strtok_r (controllers + 1, ",", &save_item); item;
           item = strtok_r (NULL, ",", &save_item))
        if (strncmp (item, "name=", 5) != 0)
          return 1;
    }
  return 0;
}

/* The mount fd of a new favordynmods hierarchy, or < 0 with ERR naming the
   syscall the kernel refused. */
static int
make_hierarchy (launcher_error_t *err)
{
  cleanup_close int fs = fsopen ("cgroup", FSOPEN_CLOEXEC);
  int mnt;

  if (fs < 0)
    return make_error (err, errno, "fsopen `cgroup`");
  if (fsconfig (fs, FSCONFIG_SET_FLAG, "none", NULL, 0) < 0)
    return make_error (err, errno, "fsconfig `none`");
  if (fsconfig (fs, FSCONFIG_SET_STRING, "name", HIERARCHY_NAME, 0) < 0)
    return make_error (err, errno, "fsconfig `name=" HIERARCHY_NAME "`");
  if (fsconfig (fs, FSCONFIG_SET_FLAG, "favordynmods", NULL, 0) < 0)
    return make_error (err, errno, "fsconfig `favordynmods`");
  if (fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return make_error (err, errno, "fsconfig `create`");
  mnt = fsmount (fs, FSMOUNT_CLOEXEC, 0);
  if (mnt < 0)
    return make_error (err, errno, "fsmount `cgroup`");
  return mnt;
}

/* A hierarchy of that name released a moment ago takes some 20-50 ms to be
   destroyed, and meanwhile `create` fails with EBUSY (seen on 6.18; not the
   refusal of an unsupported kernel). Waits for it, up to 1 s. */
static int
make_hierarchy_retrying (launcher_error_t *err)
{
  for (int i = 0;; i++)
    {
      int mnt = make_hierarchy (err);

      if (mnt >= 0 || err->errnum != EBUSY || i == 100)
        return mnt;
      usleep (10000);
    }
}

static int
unsupported (const launcher_error_t *refused, launcher_error_t *err)
{
  char line[sizeof (refused->msg) + 128];

  snprintf (line, sizeof (line), "unsupported %s: %s\n", refused->msg, strerror (refused->errnum));
  return say (line, err);
}

/* SIGTERM and SIGINT, as a signalfd: they end the wait like EOF does. */
static int
stop_signals (launcher_error_t *err)
{
  sigset_t stop;
  int sfd;

  sigemptyset (&stop);
  sigaddset (&stop, SIGTERM);
  sigaddset (&stop, SIGINT);
  if (sigprocmask (SIG_BLOCK, &stop, NULL) < 0)
    return make_error (err, errno, "sigprocmask");
  sfd = signalfd (-1, &stop, SFD_CLOEXEC);
  if (sfd < 0)
    return make_error (err, errno, "signalfd");
  return sfd;
}

/* Until stdin reaches EOF (or fails) or SFD reports a signal. */
static int
wait_for_release (int sfd, launcher_error_t *err)
{
  for (;;)
    {
      struct pollfd fds[2] = {
        { .fd = STDIN_FILENO, .events = POLLIN },
        { .fd = sfd, .events = POLLIN },
      };
      char buf[256];
      ssize_t n;

      if (poll (fds, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return make_error (err, errno, "poll");
        }
      if (fds[1].revents)
        return 0;
      if (fds[0].revents == 0)
        continue;
      n = read (STDIN_FILENO, buf, sizeof (buf));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
        return 0;
    }
}

int
favor_dynmods (launcher_error_t *err)
{
  launcher_error_t refused = { 0 };
  cleanup_close int sfd = -1;
  cleanup_close int mnt = -1;
  int v1 = v1_controllers_bound (err);

  if (v1 < 0)
    return error_code (err, LAUNCHER_EXIT_CGROUP);
  if (v1 == 0)
    return say ("unneeded\n", err) < 0 ? error_code (err, LAUNCHER_EXIT_INTERNAL) : 0;
  sfd = stop_signals (err);
  if (sfd < 0)
    return error_code (err, LAUNCHER_EXIT_INTERNAL);
  signal (SIGPIPE, SIG_IGN);
  mnt = make_hierarchy_retrying (&refused);
  if (mnt < 0)
    return unsupported (&refused, err) < 0 ? error_code (err, LAUNCHER_EXIT_INTERNAL) : 0;
  if (say ("held\n", err) < 0 || wait_for_release (sfd, err) < 0)
    return error_code (err, LAUNCHER_EXIT_INTERNAL);
  return 0;
}
