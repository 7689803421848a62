/* A static test payload for the launcher's tests: `probe SUBCOMMAND [ARG]...`
   runs one check inside a container and prints what it saw, one fact per
   line, errors by errno name (EPERM, ENOENT...). Hostile on purpose. */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

extern char **environ;

static int
cmd_id (void)
{
  uid_t r, e, s;
  gid_t rg, eg, sg;
  gid_t groups[64];

  getresuid (&r, &e, &s);
  getresgid (&rg, &eg, &sg);
  printf ("uid %u %u %u\ngid %u %u %u\ngroups %d\n", r, e, s, rg, eg, sg,
          getgroups (64, groups));
  return 0;
}

static int
cmd_net (void)
{
  struct if_nameindex *ifs = if_nameindex ();
  int s = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int l = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof (addr);
  char buf[8] = { 0 };
  int c, a;

  for (struct if_nameindex *i = ifs; i && i->if_index; i++)
    {
      struct ifreq ifr = { 0 };
      snprintf (ifr.ifr_name, sizeof (ifr.ifr_name), "%s", i->if_name);
      ioctl (s, SIOCGIFFLAGS, &ifr);
      printf ("if %s %s\n", i->if_name, (ifr.ifr_flags & IFF_UP) ? "up" : "down");
    }
  close (s);
  if (bind (l, (struct sockaddr *) &addr, sizeof (addr)) < 0 || listen (l, 1) < 0
      || getsockname (l, (struct sockaddr *) &addr, &len) < 0)
    {
      printf ("tcp %s\n", strerrorname_np (errno));
      return 1;
    }
  c = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect (c, (struct sockaddr *) &addr, sizeof (addr)) < 0 || (a = accept (l, NULL, NULL)) < 0
      || write (c, "hi", 2) != 2 || read (a, buf, 2) != 2)
    {
      printf ("tcp %s\n", strerrorname_np (errno));
      return 1;
    }
  printf ("tcp %s\n", buf);
  return 0;
}

static int
cmd_echo_fd (int fd)
{
  char buf[256];
  ssize_t n = read (fd, buf, sizeof (buf));

  if (n <= 0)
    {
      printf ("read %s\n", n < 0 ? strerrorname_np (errno) : "EOF");
      return 1;
    }
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] >= 'a' && buf[i] <= 'z')
      buf[i] -= 32;
  report ("write", write (fd, buf, n));
  return 0;
}

static int
cmd_rlimits (void)
{
  struct rlimit nofile, fsize, core;

  getrlimit (RLIMIT_NOFILE, &nofile);
  getrlimit (RLIMIT_FSIZE, &fsize);
  getrlimit (RLIMIT_CORE, &core);
  printf ("nofile %llu %llu\nfsize %llu\ncore %llu\n", (unsigned long long) nofile.rlim_cur,
          (unsigned long long) nofile.rlim_max, (unsigned long long) fsize.rlim_cur,
          (unsigned long long) core.rlim_max);
  return 0;
}

/* Forks up to N sleeping children, reports how many it got, kills them. */
static int
cmd_fork (int n)
{
  pid_t kids[256];
  int got = 0;
  const char *why = "none";

  for (; got < n && got < 256; got++)
    {
      pid_t p = fork ();
      if (p == 0)
        {
          pause ();
          _exit (0);
        }
      if (p < 0)
        {
          why = strerrorname_np (errno);
          break;
        }
      kids[got] = p;
    }
  printf ("forked %d %s\n", got, why);
  for (int i = 0; i < got; i++)
    {
      kill (kids[i], SIGKILL);
      waitpid (kids[i], NULL, 0);
    }
  return 0;
}

static void *
thread_main (void *arg)
{
  return arg;
}

static int
cmd_thread (void)
{
  pthread_t t;
  int r = pthread_create (&t, NULL, thread_main, NULL);

  if (r)
    {
      printf ("thread %s\n", strerrorname_np (r));
      return 1;
    }
  pthread_join (t, NULL);
  puts ("thread ok");
  return 0;
}

static int
cmd_kill_init (void)
{
  struct timespec delay = { 0, 100 * 1000 * 1000 };

  report ("kill", kill (1, SIGKILL));
  nanosleep (&delay, NULL);
  puts (access ("/proc/1", F_OK) == 0 ? "init alive" : "init gone");
  return 0;
}

static void
on_signal (int sig)
{
  char line[32];
  int n = snprintf (line, sizeof (line), "got %d\n", sig);

  if (write (1, line, n) < 0)
    _exit (2);
  _exit (0);
}

static int __attribute__ ((noreturn))
cmd_wait (int trap)
{
  if (trap)
    for (int sig = 1; sig < 32; sig++)
      if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD)
        signal (sig, on_signal);
  puts ("ready");
  fflush (stdout);
  for (;;)
    pause ();
}

static int
cmd_kill_self (int sig)
{
  fflush (stdout);
  kill (getpid (), sig);
  pause ();
  return 0;
}

static int
cmd_hostname (void)
{
  struct utsname u;

  uname (&u);
  puts (u.nodename);
  return 0;
}

static int
cmd_env (void)
{
  for (char **e = environ; *e; e++)
    puts (*e);
  return 0;
}

static int
cmd_cwd (void)
{
  char cwd[4096];

  puts (getcwd (cwd, sizeof (cwd)) ? cwd : strerrorname_np (errno));
  return 0;
}

/* Opens up to N more inotify instances and keeps them (a per-user budget of
   the kernel: fs.inotify.max_user_instances); prints how many it opened and
   why it stopped. */
static int
cmd_inotify (int n)
{
  static int held[65536];
  static int n_held;
  int opened = 0;
  long r = 0;

  while (opened < n && n_held < (int) (sizeof (held) / sizeof (held[0])))
    {
      r = inotify_init1 (IN_CLOEXEC);
      if (r < 0)
        break;
      held[n_held++] = (int) r;
      opened++;
    }
  printf ("inotify %d %s\n", opened, result (r));
  return 0;
}

static int dispatch (const char *cmd, const char *arg);

/* Reads "SUBCOMMAND [ARG]" lines from stdin and answers each, followed by a
   line "end": lets a test act on a container while it runs. */
static int
cmd_repl (void)
{
  char line[4096];

  puts ("ready");
  fflush (stdout);
  while (fgets (line, sizeof (line), stdin))
    {
      char *arg;

      line[strcspn (line, "\n")] = '\0';
      arg = strchr (line, ' ');
      if (arg)
        *arg++ = '\0';
      dispatch (line, arg ? arg : "");
      puts ("end");
      fflush (stdout);
    }
  return 0;
}

static int
dispatch (const char *cmd, const char *arg)
{
  if (strcmp (cmd, "syscalls") == 0)
    return cmd_syscalls ();
  if (strcmp (cmd, "i386") == 0)
    return cmd_i386 ();
  if (strcmp (cmd, "cat") == 0)
    return cmd_cat (arg);
  if (strcmp (cmd, "ls") == 0)
    return cmd_ls (arg);
  if (strcmp (cmd, "write") == 0)
    return cmd_write (arg);
  if (strcmp (cmd, "open") == 0)
    return cmd_open (arg);
  if (strcmp (cmd, "stat") == 0)
    return cmd_stat (arg);
  if (strcmp (cmd, "readlink") == 0)
    return cmd_readlink (arg);
  if (strcmp (cmd, "id") == 0)
    return cmd_id ();
  if (strcmp (cmd, "net") == 0)
    return cmd_net ();
  if (strcmp (cmd, "fill") == 0)
    return cmd_fill (arg);
  if (strcmp (cmd, "echo-fd") == 0)
    return cmd_echo_fd (atoi (arg));
  if (strcmp (cmd, "rlimits") == 0)
    return cmd_rlimits ();
  if (strcmp (cmd, "fork") == 0)
    return cmd_fork (atoi (arg));
  if (strcmp (cmd, "thread") == 0)
    return cmd_thread ();
  if (strcmp (cmd, "kill-init") == 0)
    return cmd_kill_init ();
  if (strcmp (cmd, "statfs") == 0)
    return cmd_statfs (arg);
  if (strcmp (cmd, "climb") == 0)
    return cmd_climb ();
  if (strcmp (cmd, "sleep") == 0)
    return cmd_wait (0);
  if (strcmp (cmd, "trap") == 0)
    return cmd_wait (1);
  if (strcmp (cmd, "kill-self") == 0)
    return cmd_kill_self (atoi (arg));
  if (strcmp (cmd, "exit") == 0)
    return atoi (arg);
  if (strcmp (cmd, "hostname") == 0)
    return cmd_hostname ();
  if (strcmp (cmd, "env") == 0)
    return cmd_env ();
  if (strcmp (cmd, "cwd") == 0)
    return cmd_cwd ();
  if (strcmp (cmd, "repl") == 0)
    return cmd_repl ();
  if (strcmp (cmd, "inotify") == 0)
    return cmd_inotify (atoi (arg));
  if (strcmp (cmd, "true") == 0 || strcmp (cmd, "--version") == 0)
    return 0;
  fprintf (stderr, "probe: unknown subcommand `%s`\n", cmd);
  return 2;
}

int
main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IOFBF, 1 << 16);
  return dispatch (argc > 1 ? argv[1] : "", argc > 2 ? argv[2] : "");
}
