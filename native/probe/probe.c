/* A static test payload for the launcher's tests: `probe SUBCOMMAND [ARG]...`
   runs one check inside a container and prints what it saw, one fact per
   line, errors by errno name (EPERM, ENOENT...). Hostile on purpose. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *
result (long r)
{
  return r < 0 ? strerrorname_np (errno) : "ok";
}

/* A child created by a syscall that should have been refused leaves at once. */
static long
forked (long r)
{
  if (r == 0)
    _exit (0);
  if (r > 0)
    waitpid (r, NULL, 0);
  return r;
}

static void
report (const char *name, long r)
{
  printf ("%s %s\n", name, result (r));
}

static int
cmd_syscalls (void)
{
  struct timeval tv;
  struct timespec ts;
  char buf[64] = { 0 };
  struct iovec local = { buf, 8 }, remote = { buf + 8, 8 };
  struct perf_event_attr pea = { .size = sizeof (pea) };
  char handle[128] = { 0 };
  int mount_id;
  char uring_params[120] = { 0 };
  unsigned long nodemask = 0;
  struct
  {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
  } clone3_args = { .exit_signal = SIGCHLD };
  int nsfd = open ("/proc/self/ns/uts", O_RDONLY);

  gettimeofday (&tv, NULL);
  clock_gettime (CLOCK_REALTIME, &ts);
  report ("mount", mount ("none", "/tmp", "tmpfs", 0, NULL));
  report ("umount2", umount2 ("/proc", MNT_DETACH));
  report ("pivot_root", syscall (SYS_pivot_root, "/tmp", "/tmp"));
  report ("chroot", chroot ("/tmp"));
  report ("unshare_newns", unshare (CLONE_NEWNS));
  report ("unshare_newuser", unshare (CLONE_NEWUSER));
  report ("unshare_newnet", unshare (CLONE_NEWNET));
  report ("setns", setns (nsfd, 0));
  report ("keyctl", syscall (SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
  report ("add_key", syscall (SYS_add_key, "user", "x", "y", 1, KEY_SPEC_PROCESS_KEYRING));
  report ("request_key", syscall (SYS_request_key, "user", "x", NULL, 0));
  report ("bpf", syscall (SYS_bpf, 0, buf, 48));
  report ("ptrace_attach", ptrace (PTRACE_ATTACH, 1, 0, 0));
  report ("ptrace_traceme", forked (ptrace (PTRACE_TRACEME, 0, 0, 0)));
  report ("mknod", mknod ("/tmp/mem", S_IFCHR | 0666, makedev (1, 1)));
  report ("sethostname", sethostname ("evil", 4));
  report ("setdomainname", setdomainname ("evil", 4));
  report ("settimeofday", settimeofday (&tv, NULL));
  report ("clock_settime", clock_settime (CLOCK_REALTIME, &ts));
  report ("clone_newns", forked (syscall (SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0)));
  report ("clone_newuser", forked (syscall (SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)));
  report ("clone_newpid", forked (syscall (SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0)));
  report ("clone_newnet", forked (syscall (SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0)));
  report ("clone_plain", forked (syscall (SYS_clone, SIGCHLD, 0, 0, 0, 0)));
  report ("clone3", forked (syscall (SYS_clone3, &clone3_args, sizeof (clone3_args))));
  report ("name_to_handle_at", syscall (SYS_name_to_handle_at, AT_FDCWD, "/", handle, &mount_id, 0));
  report ("open_by_handle_at", syscall (SYS_open_by_handle_at, AT_FDCWD, handle, O_RDONLY));
  report ("perf_event_open", syscall (SYS_perf_event_open, &pea, 0, -1, -1, 0));
  report ("userfaultfd", syscall (SYS_userfaultfd, 0));
  report ("io_uring_setup", syscall (SYS_io_uring_setup, 1, uring_params));
  report ("open_tree", syscall (SYS_open_tree, AT_FDCWD, "/", 1));
  report ("fsopen", syscall (SYS_fsopen, "tmpfs", 0));
  report ("fspick", syscall (SYS_fspick, AT_FDCWD, "/", 0));
  report ("move_mount", syscall (SYS_move_mount, AT_FDCWD, "/tmp", AT_FDCWD, "/", 0));
  report ("mount_setattr", syscall (442, AT_FDCWD, "/", 0, buf, 32));
  report ("open_tree_attr", syscall (467, AT_FDCWD, "/", 1, NULL, 0));
  report ("init_module", syscall (SYS_init_module, buf, 0, ""));
  report ("finit_module", syscall (SYS_finit_module, 0, "", 0));
  report ("delete_module", syscall (SYS_delete_module, "x", 0));
  report ("kexec_load", syscall (SYS_kexec_load, 0, 0, NULL, 0));
  report ("reboot", syscall (SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
                             LINUX_REBOOT_CMD_CAD_OFF, NULL));
  report ("swapon", swapon ("/tmp/swap", 0));
  report ("syslog", klogctl (10, NULL, 0));
  report ("acct", acct (NULL));
  report ("kcmp", syscall (SYS_kcmp, getpid (), getpid (), 0, 0, 0));
  report ("process_vm_readv", process_vm_readv (getpid (), &local, 1, &remote, 1, 0));
  report ("process_vm_writev", process_vm_writev (getpid (), &local, 1, &remote, 1, 0));
  report ("personality_addr_no_randomize", personality (ADDR_NO_RANDOMIZE));
  report ("personality_query", personality (0xffffffff));
  report ("ioctl_tiocsti", ioctl (0, TIOCSTI, "x"));
  report ("ioctl_tiocsti_high_bits", syscall (SYS_ioctl, 0, (1UL << 32) | TIOCSTI, "x"));
  report ("modify_ldt", syscall (SYS_modify_ldt, 0, buf, sizeof (buf)));
  report ("get_mempolicy", syscall (SYS_get_mempolicy, NULL, NULL, 0, NULL, 0));
  report ("set_mempolicy", syscall (SYS_set_mempolicy, 0, NULL, 0));
  report ("mbind", syscall (SYS_mbind, buf, 4096, 0, &nodemask, 64, 0));
  report ("iopl", syscall (SYS_iopl, 3));
  report ("ioperm", syscall (SYS_ioperm, 0x80, 1, 1));
  report ("pidfd_getfd", syscall (438, 0, 0, 0));
  report ("fanotify_init", syscall (SYS_fanotify_init, 0, 0));
  report ("quotactl", syscall (SYS_quotactl, 0, "/", 0, NULL));
  report ("vhangup", vhangup ());
  report ("lookup_dcookie", syscall (SYS_lookup_dcookie, 0, buf, sizeof (buf)));
  report ("x32_getpid", syscall (0x40000000 | SYS_getpid));
  return 0;
}

/* A foreign-architecture syscall (i386 getpid through int 0x80): the filter
   must kill the process, so nothing after it prints. */
static int
cmd_i386 (void)
{
  long r;

  fflush (stdout);
  __asm__ volatile ("int $0x80" : "=a"(r) : "a"(20) : "memory");
  printf ("i386 survived %ld\n", r);
  return 0;
}

static int
cmd_cat (const char *path)
{
  char buf[65536];
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    {
      printf ("ERR %s\n", strerrorname_np (errno));
      return 1;
    }
  fflush (stdout);
  while ((n = read (fd, buf, sizeof (buf))) > 0)
    fwrite (buf, 1, n, stdout);
  if (n < 0)
    {
      printf ("ERR %s\n", strerrorname_np (errno));
      return 1;
    }
  return 0;
}

static int
compare (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Sorted entries, without ".", ".." and, for /proc/self/fd, the fd of the
   listing itself. */
static int
cmd_ls (const char *path)
{
  DIR *d = opendir (path);
  char *names[4096];
  size_t n = 0;
  char self[16];
  struct dirent *e;

  if (d == NULL)
    {
      printf ("ERR %s\n", strerrorname_np (errno));
      return 1;
    }
  snprintf (self, sizeof (self), "%d", dirfd (d));
  while ((e = readdir (d)) && n < 4096)
    if (strcmp (e->d_name, ".") && strcmp (e->d_name, "..")
        && ! (strcmp (path, "/proc/self/fd") == 0 && strcmp (e->d_name, self) == 0))
      names[n++] = strdup (e->d_name);
  closedir (d);
  qsort (names, n, sizeof (names[0]), compare);
  for (size_t i = 0; i < n; i++)
    puts (names[i]);
  return 0;
}

static int
cmd_write (const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

  if (fd < 0)
    {
      printf ("open %s\n", strerrorname_np (errno));
      return 1;
    }
  report ("write", write (fd, "1\n", 2));
  return 0;
}

static int
cmd_open (const char *path)
{
  char buf[16];
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    {
      printf ("open %s\n", strerrorname_np (errno));
      return 1;
    }
  report ("read", read (fd, buf, sizeof (buf)));
  return 0;
}

static int
cmd_readlink (const char *path)
{
  char buf[4096];
  ssize_t n = readlink (path, buf, sizeof (buf) - 1);

  if (n < 0)
    {
      printf ("ERR %s\n", strerrorname_np (errno));
      return 1;
    }
  buf[n] = '\0';
  puts (buf);
  return 0;
}

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
cmd_fill (const char *path)
{
  static char chunk[65536];
  unsigned long long total = 0;
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ssize_t n;

  signal (SIGXFSZ, SIG_IGN);
  if (fd < 0)
    {
      printf ("open %s\n", strerrorname_np (errno));
      return 1;
    }
  memset (chunk, 'x', sizeof (chunk));
  while ((n = write (fd, chunk, sizeof (chunk))) > 0)
    total += n;
  printf ("%s %llu\n", n < 0 ? strerrorname_np (errno) : "EOF", total);
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

static int
cmd_statfs (const char *path)
{
  struct statvfs st;

  if (statvfs (path, &st) < 0)
    {
      printf ("ERR %s\n", strerrorname_np (errno));
      return 1;
    }
  printf ("size %llu\nflags%s%s%s%s\n", (unsigned long long) st.f_blocks * st.f_frsize,
          (st.f_flag & ST_RDONLY) ? " ro" : "", (st.f_flag & ST_NOSUID) ? " nosuid" : "",
          (st.f_flag & ST_NODEV) ? " nodev" : "", (st.f_flag & ST_NOEXEC) ? " noexec" : "");
  return 0;
}

static int
cmd_climb (void)
{
  char cwd[4096];

  for (int i = 0; i < 64; i++)
    if (chdir ("..") < 0)
      {
        printf ("chdir %s\n", strerrorname_np (errno));
        return 1;
      }
  printf ("cwd %s\n", getcwd (cwd, sizeof (cwd)) ? cwd : strerrorname_np (errno));
  return cmd_ls (".");
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
