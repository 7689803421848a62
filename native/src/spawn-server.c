#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exit-codes.h"
#include "utils.h"

/* `tsfn-launcher spawn-server SOCKET`: starts containers for the invoker. The
   invoker is a large Node process: every fork of it copies its page tables
   (5-10 ms at 100-150 MiB, blocking its event loop). This small static
   process forks instead. Requests on stdin are NUL-separated fields, ended by
   an empty field: `ID \0 ARG \0 ... \0 \0`, the ARGs being those of `run`.
   For each, it connects twice to the invoker's unix socket SOCKET, says
   `ctl ID\n` on one and `out ID\n` on the other, and runs this launcher with
   the first as fd 3 (control channel), the second as stdout and stderr, and a
   pipe as the info fd (4). Answers on stdout, one line each:
     spawned ID PID      the launcher runs as PID
     pid ID INITPID      the container's pid 1 runs the payload (--info-fd)
     exit ID CODE        the launcher exited (128+N for signal N)
     err ID MESSAGE      it could not be started
   When idle for SPARE_DELAY_MS it makes network namespaces ahead (netns.c), up to
   SPARE_NETNS, and gives each to one `run` without --userns as --netns-fd:
   a cold start then joins a namespace instead of making one. Each is used
   once; they live only as this process's fds, and die with it. */

#define MAX_CHILDREN 1024
#define MAX_ARGS 512
#define MAX_REQUEST 65536
#define SPARE_NETNS 2
/* Idle time before a spare is made: not while a container just spawned starts. */
#define SPARE_DELAY_MS 50
#define NETNS_FD 5 /* in the launcher: after ctl (3) and info (4) */

struct child
{
  pid_t pid;
  int info; /* read end of the info pipe, or -1 once read */
  char id[64];
};

static struct child children[MAX_CHILDREN];

static struct
{
  int host; /* this process's own network namespace, or -1: no spares */
  int fds[SPARE_NETNS];
  size_t n;
} spares = { .host = -1 };

static void
say (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static void
say (const char *fmt, ...)
{
  char line[512];
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (line, sizeof (line), fmt, ap);
  va_end (ap);
  if (n > (int) sizeof (line) - 1)
    n = sizeof (line) - 1;
  if (write_all (STDOUT_FILENO, line, (size_t) n) < 0)
    exit (0);
}

static int
connect_as (const char *path, const char *role, const char *id, launcher_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  char hello[96];
  int n;

  if (fd < 0)
    return make_error (err, errno, "socket `%s`", path);
  if (strlen (path) >= sizeof (addr.sun_path))
    return make_error (err, ENAMETOOLONG, "connect `%s`", path);
  strcpy (addr.sun_path, path);
  if (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return make_error (err, errno, "connect `%s`", path);
  n = snprintf (hello, sizeof (hello), "%s %s\n", role, id);
  if (write_all (fd, hello, (size_t) n) < 0)
    return make_error (err, errno, "write `%s`", path);
  return steal_fd (&fd);
}

/* One more spare namespace; a failure (say, no CAP_SYS_ADMIN) ends spares for
   good, and every launcher makes its own namespace as before. */
static void
make_spare (void)
{
  launcher_error_t err = { 0 };
  int fd = make_spare_network (spares.host, &err);

  if (fd < 0)
    {
      close (spares.host);
      spares.host = -1;
      return;
    }
  spares.fds[spares.n++] = fd;
}

/* A spare for this request (ownership passes to the caller), or -1: not a
   `run`, or one under --userns, whose init makes its namespace in the user
   namespace, or one that brings its own. */
static int
take_spare (char **fields, size_t n)
{
  if (spares.n == 0 || n < 2 || strcmp (fields[1], "run") != 0)
    return -1;
  for (size_t i = 2; i < n && strcmp (fields[i], "--") != 0; i++)
    if (strncmp (fields[i], "--userns", 8) == 0 || strncmp (fields[i], "--netns-fd", 10) == 0)
      return -1;
  return spares.fds[--spares.n];
}

/* Forks and execs this launcher with ctl as fd 3, out as 1 and 2, info as 4,
   and NETNS (unless -1) as NETNS_FD. */
static pid_t
start (char **argv, int ctl, int out, int info_w, int netns, launcher_error_t *err)
{
  pid_t pid = fork ();

  if (pid < 0)
    return make_error (err, errno, "fork");
  if (pid == 0)
    {
      int devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      sigset_t none;

      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      /* Above NETNS_FD first: dup2 onto itself would keep O_CLOEXEC. */
      bool give_netns = netns >= 0;

      if (give_netns && netns <= NETNS_FD)
        netns = fcntl (netns, F_DUPFD_CLOEXEC, NETNS_FD + 1);
      if (devnull < 0 || dup2 (devnull, 0) < 0 || dup2 (out, 1) < 0 || dup2 (out, 2) < 0
          || dup2 (ctl, 3) < 0 || dup2 (info_w, 4) < 0 || (give_netns && (netns < 0 || dup2 (netns, NETNS_FD) < 0)))
        _exit (LAUNCHER_EXIT_INTERNAL);
      execv ("/proc/self/exe", argv);
      _exit (LAUNCHER_EXIT_INTERNAL);
    }
  return pid;
}

static void
spawn_request (const char *path, char **fields, size_t n)
{
  launcher_error_t err = { 0 };
  cleanup_close int ctl = -1;
  cleanup_close int out = -1;
  int pipefd[2];
  char *argv[MAX_ARGS + 4];
  char netns_arg[] = "--netns-fd", netns_fd[] = { '0' + NETNS_FD, '\0' };
  cleanup_close int netns = -1;
  size_t argc = 0;
  const char *id = fields[0];
  struct child *slot = NULL;
  pid_t pid;

  for (size_t i = 0; i < MAX_CHILDREN && slot == NULL; i++)
    if (children[i].pid == 0)
      slot = &children[i];
  if (slot == NULL || strlen (id) >= sizeof (slot->id) || strpbrk (id, " \n") != NULL)
    {
      say ("err %s too many containers or a bad id\n", id);
      return;
    }
  if ((ctl = connect_as (path, "ctl", id, &err)) < 0 || (out = connect_as (path, "out", id, &err)) < 0)
    {
      say ("err %s %s: %s\n", id, err.msg, strerror (err.errnum));
      return;
    }
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    {
      say ("err %s pipe2: %s\n", id, strerror (errno));
      return;
    }
  netns = take_spare (fields, n);
  argv[argc++] = (char *) "tsfn-launcher";
  for (size_t i = 1; i < n; i++)
    {
      argv[argc++] = fields[i];
      if (i == 1 && netns >= 0)
        {
          argv[argc++] = netns_arg;
          argv[argc++] = netns_fd;
        }
    }
  argv[argc] = NULL;
  pid = start (argv, ctl, out, pipefd[1], netns, &err);
  close (pipefd[1]);
  if (pid < 0)
    {
      close (pipefd[0]);
      say ("err %s %s: %s\n", id, err.msg, strerror (err.errnum));
      return;
    }
  *slot = (struct child) { .pid = pid, .info = pipefd[0] };
  strcpy (slot->id, id);
  say ("spawned %s %d\n", id, (int) pid);
}

/* The launcher writes {"pid":N}\n to its info fd once the payload runs. */
static void
read_info (struct child *c)
{
  char buf[64] = { 0 };
  const char *p;
  ssize_t n = read (c->info, buf, sizeof (buf) - 1);

  if (n > 0 && (p = strstr (buf, "\"pid\":")) != NULL)
    say ("pid %s %d\n", c->id, atoi (p + 6));
  close (c->info);
  c->info = -1;
}

static void
reap (void)
{
  int status;
  pid_t pid;

  while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
    for (size_t i = 0; i < MAX_CHILDREN; i++)
      if (children[i].pid == pid)
        {
          if (children[i].info >= 0)
            read_info (&children[i]);
          say ("exit %s %d\n", children[i].id,
               WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status));
          children[i].pid = 0;
          break;
        }
}

/* Runs every complete request at the front of BUF; returns the bytes used. */
static size_t
take_requests (const char *path, char *buf, size_t len)
{
  size_t pos = 0;

  for (;;)
    {
      char *fields[MAX_ARGS + 1];
      size_t n = 0, total = 0, i = pos;
      int complete = 0;

      while (i < len)
        {
          char *end = memchr (buf + i, '\0', len - i);
          if (end == NULL)
            break;
          if (end == buf + i)
            {
              complete = 1;
              i++;
              break;
            }
          if (n < MAX_ARGS + 1)
            fields[n++] = buf + i;
          total++;
          i = (size_t) (end - buf) + 1;
        }
      if (!complete)
        return pos;
      if (total > MAX_ARGS)
        say ("err %s too many arguments\n", fields[0]);
      else if (n > 0)
        spawn_request (path, fields, n);
      pos = i;
    }
}

int
spawn_server (const char *path)
{
  static char buf[MAX_REQUEST];
  size_t used = 0;
  sigset_t chld;
  cleanup_close int sfd = -1;

  sigemptyset (&chld);
  sigaddset (&chld, SIGCHLD);
  sigprocmask (SIG_BLOCK, &chld, NULL);
  sfd = signalfd (-1, &chld, SFD_CLOEXEC);
  if (sfd < 0)
    return LAUNCHER_EXIT_INTERNAL;
  signal (SIGPIPE, SIG_IGN);
  spares.host = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  for (;;)
    {
      struct pollfd fds[2 + MAX_CHILDREN];
      struct child *watched[MAX_CHILDREN];
      size_t nfds = 2;
      bool want_spare = spares.host >= 0 && spares.n < SPARE_NETNS;
      int ready;

      fds[0] = (struct pollfd) { .fd = STDIN_FILENO, .events = POLLIN };
      fds[1] = (struct pollfd) { .fd = sfd, .events = POLLIN };
      for (size_t i = 0; i < MAX_CHILDREN; i++)
        if (children[i].pid != 0 && children[i].info >= 0)
          {
            watched[nfds - 2] = &children[i];
            fds[nfds++] = (struct pollfd) { .fd = children[i].info, .events = POLLIN };
          }
      /* Spares are made only when nothing has happened for a while: a request
         never waits for one, nor does a start compete with one for the CPU. */
      ready = poll (fds, nfds, want_spare ? SPARE_DELAY_MS : -1);
      if (ready < 0)
        {
          if (errno == EINTR)
            continue;
          return LAUNCHER_EXIT_INTERNAL;
        }
      if (ready == 0)
        {
          make_spare ();
          continue;
        }
      for (size_t i = 2; i < nfds; i++)
        if (fds[i].revents)
          read_info (watched[i - 2]);
      if (fds[1].revents)
        {
          struct signalfd_siginfo si;
          if (read (sfd, &si, sizeof (si)) > 0)
            reap ();
        }
      if (fds[0].revents)
        {
          ssize_t n = read (STDIN_FILENO, buf + used, sizeof (buf) - used);
          size_t done;
          if (n <= 0)
            return 0; /* the invoker is gone; containers die with their cgroups */
          used += (size_t) n;
          done = take_requests (path, buf, used);
          memmove (buf, buf + done, used - done);
          used -= done;
          if (used == sizeof (buf))
            return LAUNCHER_EXIT_USAGE;
        }
    }
}
