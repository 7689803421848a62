#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
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
     err ID MESSAGE      it could not be started */

#define MAX_CHILDREN 1024
#define MAX_ARGS 512
#define MAX_REQUEST 65536

struct child
{
  pid_t pid;
  int info; /* read end of the info pipe, or -1 once read */
  char id[64];
};

static struct child children[MAX_CHILDREN];

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

/* Forks and execs this launcher with ctl as fd 3, out as 1 and 2, info as 4. */
static pid_t
start (char **argv, int ctl, int out, int info_w, launcher_error_t *err)
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
      if (devnull < 0 || dup2 (devnull, 0) < 0 || dup2 (out, 1) < 0 || dup2 (out, 2) < 0
          || dup2 (ctl, 3) < 0 || dup2 (info_w, 4) < 0)
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
  char *argv[MAX_ARGS + 2];
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
  argv[0] = (char *) "tsfn-launcher";
  for (size_t i = 1; i < n; i++)
    argv[i] = fields[i];
  argv[n] = NULL;
  pid = start (argv, ctl, out, pipefd[1], &err);
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
  for (;;)
    {
      struct pollfd fds[2 + MAX_CHILDREN];
      struct child *watched[MAX_CHILDREN];
      size_t nfds = 2;

      fds[0] = (struct pollfd) { .fd = STDIN_FILENO, .events = POLLIN };
      fds[1] = (struct pollfd) { .fd = sfd, .events = POLLIN };
      for (size_t i = 0; i < MAX_CHILDREN; i++)
        if (children[i].pid != 0 && children[i].info >= 0)
          {
            watched[nfds - 2] = &children[i];
            fds[nfds++] = (struct pollfd) { .fd = children[i].info, .events = POLLIN };
          }
      if (poll (fds, nfds, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return LAUNCHER_EXIT_INTERNAL;
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
