#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exit-codes.h"
#include "signals.h"
#include "stamp.h"
#include "utils.h"

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
/* The network namespace is not here: the outer launcher makes it (run.c). */
#define CONTAINER_NAMESPACES (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP)

/* Reports to the outer launcher, which prints it; CODE names the stage unless
   a deeper function already did. */
static void __attribute__ ((noreturn))
fail (int errfd, launcher_error_t *err, int code)
{
  error_code (err, code);
  write_all (errfd, err, sizeof (*err));
  _exit (err->code);
}

/* NETFD: the namespace to join (--netns-fd), kept until joined, or -1. */
static int
close_unpassed_fds (const struct run_config *cfg, int errfd, int syncfd, int netfd, launcher_error_t *err)
{
  int keep[cfg->n_pass_fds + 6];
  size_t n = 0;

  keep[n++] = 0;
  keep[n++] = 1;
  keep[n++] = 2;
  keep[n++] = errfd;
  if (syncfd >= 0)
    keep[n++] = syncfd;
  if (netfd >= 0)
    keep[n++] = netfd;
  for (size_t i = 0; i < cfg->n_pass_fds; i++)
    keep[n++] = cfg->pass_fds[i];
  return close_fds_except (keep, n, err);
}

/* The outer launcher may have died before PR_SET_PDEATHSIG was set: then no
   one reads the pipe any more, and its write end reports POLLERR. */
static int
die_with_parent (int errfd, launcher_error_t *err)
{
  struct pollfd pfd = { .fd = errfd, .events = POLLOUT };

  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
    return make_error (err, errno, "prctl `PR_SET_PDEATHSIG`");
  if (poll (&pfd, 1, 0) == 1 && (pfd.revents & POLLERR))
    _exit (LAUNCHER_EXIT_INTERNAL);
  return 0;
}

/* The outer launcher's go-ahead, sent by make_network (run.c) or
   prepare_user_namespace (userns.c). EOF instead means that the outer
   launcher failed: it reports that itself. */
static int
await_go_ahead (const struct channel *ch, int *fds, size_t n, launcher_error_t *err)
{
  if (recv_fds (ch->syncfd, fds, n) < 0)
    {
      if (errno == EPIPE)
        _exit (LAUNCHER_EXIT_INTERNAL);
      make_error (err, errno, "recvmsg `go-ahead`");
      return error_code (err, LAUNCHER_EXIT_INTERNAL);
    }
  close (ch->syncfd);
  return 0;
}

/* The namespace given with --netns-fd, or else the one the outer launcher made. */
static int
join_network (const struct run_config *cfg, pid_t outer, launcher_error_t *err)
{
  cleanup_close int ns = -1;
  char path[64];

  if (cfg->netns_fd >= 0)
    {
      ns = cfg->netns_fd;
      if (setns (ns, CLONE_NEWNET) < 0)
        return make_error (err, errno, "setns `--netns-fd %d`", ns);
      return 0;
    }
  snprintf (path, sizeof (path), "/proc/%d/ns/net", (int) outer);
  ns = open (path, O_RDONLY | O_CLOEXEC);
  if (ns < 0)
    return make_error (err, errno, "open `%s`", path);
  if (setns (ns, CLONE_NEWNET) < 0)
    return make_error (err, errno, "setns `%s`", path);
  return 0;
}

static int
unshare_namespaces (int flags, const char *names, launcher_error_t *err)
{
  if (unshare (flags) < 0)
    {
      make_error (err, errno, "unshare `%s`", names);
      return error_code (err, LAUNCHER_EXIT_NAMESPACES);
    }
  return 0;
}

static int
become_root (launcher_error_t *err)
{
  if (setresgid (0, 0, 0) < 0)
    make_error (err, errno, "setresgid `0`");
  else if (setresuid (0, 0, 0) < 0)
    make_error (err, errno, "setresuid `0`");
  else
    return 0;
  return error_code (err, LAUNCHER_EXIT_PRIVILEGES);
}

/* Under --userns, init holds every capability in its new user namespace from
   the clone on, and the outer launcher maps it before the go-ahead. It makes
   its own network namespace, so that the namespace belongs to the user
   namespace and /sys may be mounted; it mounts the scratch tmpfs while its
   ids are still the host's, which may walk a root-only host path; then it
   becomes the container's root. */
static int
build_root_in_userns (const struct run_config *cfg, struct rootfs *rootfs, int *layer_fds,
                      const struct channel *ch, launcher_error_t *err)
{
  if (await_go_ahead (ch, layer_fds, cfg->n_layers, err) < 0)
    return -1;
  if (unshare_namespaces (CONTAINER_NAMESPACES | CLONE_NEWNET, "mnt,uts,ipc,cgroup,net", err) < 0)
    return -1;
  if (mount_scratch (cfg, rootfs, err) < 0)
    return error_code (err, LAUNCHER_EXIT_MOUNTS);
  if (become_root (err) < 0)
    return -1;
  if (bring_up_loopback (err) < 0)
    return error_code (err, LAUNCHER_EXIT_NAMESPACES);
  if (mount_rootfs (cfg, layer_fds, rootfs, err) < 0)
    return error_code (err, LAUNCHER_EXIT_MOUNTS);
  return 0;
}

static int
build_root_in_host_userns (const struct run_config *cfg, struct rootfs *rootfs,
                           const struct channel *ch, launcher_error_t *err)
{
  if (unshare_namespaces (CONTAINER_NAMESPACES, "mnt,uts,ipc,cgroup", err) < 0)
    return -1;
  if (mount_scratch (cfg, rootfs, err) < 0 || mount_rootfs (cfg, NULL, rootfs, err) < 0)
    return error_code (err, LAUNCHER_EXIT_MOUNTS);
  if (cfg->netns_fd >= 0)
    close (ch->syncfd); /* no go-ahead: the namespace is there */
  else if (await_go_ahead (ch, NULL, 0, err) < 0)
    return -1;
  if (join_network (cfg, ch->outer, err) < 0)
    return error_code (err, LAUNCHER_EXIT_NAMESPACES);
  return 0;
}

static int
build_root (const struct run_config *cfg, const struct channel *ch, launcher_error_t *err)
{
  cleanup_rootfs struct rootfs rootfs = { -1, -1, -1 };
  int layer_fds[cfg->n_layers];
  int ret;

  for (size_t i = 0; i < cfg->n_layers; i++)
    layer_fds[i] = -1;
  if (cfg->userns)
    ret = build_root_in_userns (cfg, &rootfs, layer_fds, ch, err);
  else
    ret = build_root_in_host_userns (cfg, &rootfs, ch, err);
  for (size_t i = 0; i < cfg->n_layers; i++)
    if (layer_fds[i] >= 0)
      close (layer_fds[i]);
  if (ret < 0)
    return -1;
  if (mount_rootfs_finish (cfg, &rootfs, err) < 0)
    return error_code (err, LAUNCHER_EXIT_MOUNTS);
  STAMP ("mounted");
  if (pivot_into (rootfs.root, err) < 0)
    return error_code (err, LAUNCHER_EXIT_ROOTFS);
  return 0;
}

static int
setup (const struct run_config *cfg, const struct channel *ch, launcher_error_t *err)
{
  int errfd = ch->errfd;

  if (close_unpassed_fds (cfg, errfd, ch->syncfd, cfg->netns_fd, err) < 0)
    return error_code (err, LAUNCHER_EXIT_PROCESS);
  if (die_with_parent (errfd, err) < 0)
    return error_code (err, LAUNCHER_EXIT_PROCESS);
  /* Own session: terminal signals reach the outer launcher only, which
     forwards them once. */
  if (setsid () < 0)
    {
      make_error (err, errno, "setsid `init`");
      return error_code (err, LAUNCHER_EXIT_PROCESS);
    }
  umask (022);
  if (build_root (cfg, ch, err) < 0)
    return -1;
  if (set_limits (cfg, err) < 0)
    return error_code (err, LAUNCHER_EXIT_PROCESS);
  if (drop_privileges (cfg->uid, cfg->gid, err) < 0)
    return error_code (err, LAUNCHER_EXIT_PRIVILEGES);
  /* Non-dumpable: the payload, same uid, can neither ptrace init nor open its
     /proc/1/{fd,mem,root,environ}. */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    {
      make_error (err, errno, "prctl `PR_SET_DUMPABLE`");
      return error_code (err, LAUNCHER_EXIT_PRIVILEGES);
    }
  STAMP ("seccomp");
  if (install_seccomp (err) < 0)
    return error_code (err, LAUNCHER_EXIT_SECCOMP);
  return 0;
}

static int
exec_error (launcher_error_t *err, int errnum, const char *path)
{
  make_error (err, errnum, "execve `%s`", path);
  return error_code (err, errnum == ENOENT || errnum == ENOTDIR ? LAUNCHER_EXIT_NOT_FOUND
                                                                : LAUNCHER_EXIT_NOT_EXECUTABLE);
}

/* execvpe, except that PATH comes from the payload's environment, not ours,
   and that nothing is ever run through /bin/sh. As in execvp, EACCES on one
   candidate does not stop the search but is reported if nothing else runs. */
static int
exec_payload (const struct run_config *cfg, launcher_error_t *err)
{
  const char *file = cfg->argv[0];
  const char *path = DEFAULT_PATH;
  char denied[PATH_MAX] = "";

  if (strchr (file, '/'))
    {
      execve (file, cfg->argv, cfg->env);
      return exec_error (err, errno, file);
    }
  for (char **e = cfg->env; *e; e++)
    if (strncmp (*e, "PATH=", 5) == 0)
      path = *e + 5;
  for (const char *p = path;; p++)
    {
      const char *end = strchrnul (p, ':');
      int len = end - p;
      char candidate[PATH_MAX];
      int n = snprintf (candidate, sizeof (candidate), "%.*s/%s", len ? len : 1, len ? p : ".", file);

      if (n > 0 && n < (int) sizeof (candidate))
        {
          execve (candidate, cfg->argv, cfg->env);
          if (errno == EACCES && denied[0] == '\0')
            memcpy (denied, candidate, n + 1);
          else if (errno != EACCES && errno != ENOENT && errno != ENOTDIR)
            return exec_error (err, errno, candidate);
        }
      if (*end == '\0')
        break;
      p = end;
    }
  if (denied[0])
    return exec_error (err, EACCES, denied);
  return exec_error (err, ENOENT, file);
}

static void __attribute__ ((noreturn))
start_payload (const struct run_config *cfg, int errfd)
{
  launcher_error_t err = { 0 };
  sigset_t none;

  STAMP ("payload");
  sigemptyset (&none);
  for (int sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  sigprocmask (SIG_SETMASK, &none, NULL);
  if (close_unpassed_fds (cfg, errfd, -1, -1, &err) < 0)
    fail (errfd, &err, LAUNCHER_EXIT_PROCESS);
  /* Passed fds must survive the exec even if the caller left them CLOEXEC. */
  for (size_t i = 0; i < cfg->n_pass_fds; i++)
    if (fcntl (cfg->pass_fds[i], F_SETFD, 0) < 0)
      {
        make_error (&err, errno, "fcntl `fd %d`", cfg->pass_fds[i]);
        fail (errfd, &err, LAUNCHER_EXIT_PROCESS);
      }
  if (chdir (cfg->cwd) < 0)
    {
      make_error (&err, errno, "chdir `%s`", cfg->cwd);
      fail (errfd, &err, LAUNCHER_EXIT_ROOTFS);
    }
  STAMP ("exec");
  exec_payload (cfg, &err);
  fail (errfd, &err, LAUNCHER_EXIT_NOT_EXECUTABLE);
}

struct payload_start
{
  const struct run_config *cfg;
  int errfd;
};

static int
payload_main (void *arg)
{
  const struct payload_start *start = arg;

  start_payload (start->cfg, start->errfd);
}

/* The payload starts as posix_spawn starts a child: in init's memory, on a
   stack of its own, until it execs (CLONE_VM | CLONE_VFORK), while init waits
   suspended. A fork would copy init's page tables and make its pages
   copy-on-write, to be faulted back one by one: about 0.45 ms on a VM here,
   against 0.04 (BENCHMARKS.md). The payload writes nothing of init's but this
   stack and errno (the thread pointer is shared, init reads errno only after
   a call of its own); its fds, signal actions, root and cwd are its own
   copies (no CLONE_FILES, CLONE_SIGHAND or CLONE_FS), and it leaves by exec
   or _exit. */
static pid_t
spawn_payload (const struct run_config *cfg, int errfd)
{
  static char stack[256 * 1024] __attribute__ ((aligned (16)));
  struct payload_start start = { cfg, errfd };

  return clone (payload_main, stack + sizeof (stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
}

/* pid 1: reaps every zombie, forwards signals to the payload, and leaves with
   the payload's status as soon as it is gone (the kernel then kills whatever
   else is left in the namespace). */
static void __attribute__ ((noreturn))
init_loop (pid_t payload)
{
  sigset_t set;

  waited_signals (&set);
  for (;;)
    {
      int sig = sigwaitinfo (&set, NULL);

      if (sig == SIGCHLD)
        {
          int status;
          pid_t pid;

          while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
            if (pid == payload)
              {
                STAMP ("reaped");
                _exit (exit_status (status));
              }
        }
      else if (sig > 0)
        kill (payload, sig);
    }
}

void
container_main (const struct run_config *cfg, const struct channel *ch)
{
  launcher_error_t err = { 0 };
  int errfd = ch->errfd;
  pid_t payload;

  STAMP ("init");
  if (setup (cfg, ch, &err) < 0)
    fail (errfd, &err, LAUNCHER_EXIT_INTERNAL);
  /* The options name host paths (layers, scratch, cgroups, binds). */
  memset (cfg->options, 0, cfg->options_len);
  STAMP ("vfork");
  payload = spawn_payload (cfg, errfd);
  if (payload < 0)
    {
      make_error (&err, errno, "clone `payload`");
      fail (errfd, &err, LAUNCHER_EXIT_NAMESPACES);
    }
  /* From here the only fds init holds are the standard ones it inherited. */
  close (errfd);
  for (size_t i = 0; i < cfg->n_pass_fds; i++)
    if (cfg->pass_fds[i] > 2)
      close (cfg->pass_fds[i]);
  init_loop (payload);
}
