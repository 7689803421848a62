/* The hostile half of the probe: syscalls a container must not be allowed,
   each reported as `name result` (EPERM expected; see test/launcher.test.ts). */
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

const char *
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

void
report (const char *name, long r)
{
  printf ("%s %s\n", name, result (r));
}

int
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
int
cmd_i386 (void)
{
  long r;

  fflush (stdout);
  __asm__ volatile ("int $0x80" : "=a"(r) : "a"(20) : "memory");
  printf ("i386 survived %ld\n", r);
  return 0;
}

