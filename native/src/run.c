#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exit-codes.h"
#include "signals.h"
#include "stamp.h"
#include "utils.h"

/* The channel's fds are moved above every fd the caller asked to pass, so
   that no --pass-fd number can collide with them. */
static int
make_channel_fds (const struct run_config *cfg, bool socket, int fds[2], launcher_error_t *err)
{
  int p[2];
  int floor = 3;

  for (size_t i = 0; i < cfg->n_pass_fds; i++)
    if (cfg->pass_fds[i] >= floor)
      floor = cfg->pass_fds[i] + 1;
  if (cfg->info_fd >= floor)
    floor = cfg->info_fd + 1;
  if (cfg->netns_fd >= floor)
    floor = cfg->netns_fd + 1;
  if (socket ? socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0 : pipe2 (p, O_CLOEXEC) < 0)
    return make_error (err, errno, "%s `container`", socket ? "socketpair" : "pipe2");
  for (int i = 0; i < 2; i++)
    {
      fds[i] = p[i] >= floor ? p[i] : fcntl (p[i], F_DUPFD_CLOEXEC, floor);
      if (fds[i] < 0)
        return make_error (err, errno, "fcntl `F_DUPFD_CLOEXEC`");
      if (fds[i] != p[i])
        close (p[i]);
    }
  return 0;
}

/* The network namespace is the slowest to make (sysctls, lo, its IPv6
   address: most of a millisecond), so the outer launcher, which needs no
   network of its own, makes it while init builds the root filesystem; init
   then joins it (init.c). */
static int
make_network (int syncfd, launcher_error_t *err)
{
  if (unshare (CLONE_NEWNET) < 0)
    return make_error (err, errno, "unshare `net`");
  if (bring_up_loopback (err) < 0)
    return -1;
  /* EPIPE: init has already failed, and its report is in the error pipe. */
  if (send_fds (syncfd, NULL, 0) < 0 && errno != EPIPE)
    return make_error (err, errno, "sendmsg `network ready`");
  return 0;
}

/* EOF on the pipe without a record means every write end is closed: init's
   by itself after forking the payload, the payload's by a successful exec. */
static int
await_exec (pid_t init, int readfd, launcher_error_t *err)
{
  int n = read_all (readfd, err, sizeof (*err));

  if (n == 0)
    return 0;
  if (n != (int) sizeof (*err))
    make_error (err, n < 0 ? errno : EPROTO, "read `container errors`");
  waitpid (init, NULL, 0);
  return error_code (err, LAUNCHER_EXIT_INTERNAL);
}

static void
report_pid (int info_fd, pid_t init)
{
  char line[32];
  int n = snprintf (line, sizeof (line), "{\"pid\":%d}\n", init);

  write_all (info_fd, line, n);
  close (info_fd);
}

static int
wait_forwarding (pid_t init, const sigset_t *set)
{
  for (;;)
    {
      int status;
      int sig;

      if (waitpid (init, &status, WNOHANG) == init)
        {
          STAMP ("exited");
          return exit_status (status);
        }
      sig = sigwaitinfo (set, NULL);
      if (sig > 0 && sig != SIGCHLD)
        kill (init, sig);
    }
}

/* A raw clone, not unshare + fork: a user namespace must be created with
   (or before) the pid namespace for init to own it, and so to mount /proc.
   The child is single-threaded and never uses glibc's cached thread id. */
static pid_t
clone_init (const struct run_config *cfg)
{
  unsigned long flags = CLONE_NEWPID | (cfg->userns ? CLONE_NEWUSER : 0) | SIGCHLD;

  return syscall (SYS_clone, flags, NULL, NULL, NULL, NULL);
}

int
run_container (struct run_config *cfg, launcher_error_t *err)
{
  cleanup_close int readfd = -1;
  cleanup_close int syncfd = -1;
  struct channel ch = { .outer = getpid () };
  int errpipe[2], syncpair[2];
  sigset_t set;
  pid_t init;
  int ret;

  if (mkdir_p (cfg->scratch, err) < 0)
    return error_code (err, LAUNCHER_EXIT_MOUNTS);
  if (join_cgroups (cfg, err) < 0)
    return error_code (err, LAUNCHER_EXIT_CGROUP);
  if (make_channel_fds (cfg, false, errpipe, err) < 0)
    return error_code (err, LAUNCHER_EXIT_INTERNAL);
  readfd = errpipe[0];
  ch.errfd = errpipe[1];
  if (make_channel_fds (cfg, true, syncpair, err) < 0)
    {
      close (ch.errfd);
      return error_code (err, LAUNCHER_EXIT_INTERNAL);
    }
  syncfd = syncpair[0];
  ch.syncfd = syncpair[1];

  signal (SIGPIPE, SIG_IGN);
  waited_signals (&set);
  sigprocmask (SIG_BLOCK, &set, NULL);
  STAMP ("clone");
  init = clone_init (cfg);
  if (init == 0)
    container_main (cfg, &ch);
  if (init < 0)
    make_error (err, errno, "clone `init`");
  close (ch.errfd);
  close (ch.syncfd);
  if (init < 0)
    return error_code (err, LAUNCHER_EXIT_NAMESPACES);
  /* The container holds the passed fds now; so must no one else. */
  for (size_t i = 0; i < cfg->n_pass_fds; i++)
    if (cfg->pass_fds[i] > 2 && cfg->pass_fds[i] != cfg->info_fd)
      close (cfg->pass_fds[i]);
  /* Given a network namespace made ahead, init joins it without waiting. */
  if (cfg->netns_fd >= 0)
    {
      close (cfg->netns_fd);
      ret = 0;
    }
  else
    ret = cfg->userns ? prepare_user_namespace (init, cfg, syncfd, err) : make_network (syncfd, err);
  if (ret < 0)
    {
      kill (init, SIGKILL);
      waitpid (init, NULL, 0);
      return error_code (err, LAUNCHER_EXIT_NAMESPACES);
    }
  if (await_exec (init, readfd, err) < 0)
    return -1;
  STAMP ("execd");
  if (cfg->info_fd >= 0)
    report_pid (cfg->info_fd, init);
  return wait_forwarding (init, &set);
}
