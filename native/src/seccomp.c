#include "container.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "exit-codes.h"
#include "syscall-compat.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define X32_SYSCALL_BIT 0x40000000
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "tsfn-launcher: no seccomp architecture for this target"
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LOW(i) (offsetof (struct seccomp_data, args) + 8 * (i))
#else
#define ARG_LOW(i) (offsetof (struct seccomp_data, args) + 8 * (i) + 4)
#endif

#define CLONE_NAMESPACE_FLAGS                                                                     \
  (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID     \
   | CLONE_NEWNET)

enum rule_kind
{
  DENY_EPERM,
  DENY_ENOSYS,        /* so that libc falls back to an older call */
  DENY_NAMESPACE_FLAGS, /* clone: EPERM when it asks for a new namespace */
  DENY_TTY_INJECTION, /* ioctl: EPERM for TIOCSTI and TIOCLINUX */
  ALLOW_PERSONALITY,  /* personality: only the values Docker allows */
};

/* The one table. Everything Docker's default profile denies, the new mount
   API, io_uring, and a few more that only serve an attacker here. Order does
   not matter: the filter searches it by number. */
static const struct syscall_rule
{
  long nr;
  enum rule_kind kind;
} rules[] = {
  { __NR_ioctl, DENY_TTY_INJECTION },
  { __NR_clone, DENY_NAMESPACE_FLAGS },
  { __NR_clone3, DENY_ENOSYS },
  { __NR_personality, ALLOW_PERSONALITY },
  { __NR_unshare, DENY_EPERM },
  { __NR_setns, DENY_EPERM },
  { __NR_mount, DENY_EPERM },
  { __NR_umount, DENY_EPERM },
  { __NR_umount2, DENY_EPERM },
  { __NR_pivot_root, DENY_EPERM },
  { __NR_chroot, DENY_EPERM },
  { __NR_fsopen, DENY_EPERM },
  { __NR_fsconfig, DENY_EPERM },
  { __NR_fsmount, DENY_EPERM },
  { __NR_fspick, DENY_EPERM },
  { __NR_move_mount, DENY_EPERM },
  { __NR_open_tree, DENY_EPERM },
  { __NR_open_tree_attr, DENY_EPERM },
  { __NR_mount_setattr, DENY_EPERM },
  { __NR_name_to_handle_at, DENY_EPERM },
  { __NR_open_by_handle_at, DENY_EPERM },
  { __NR_ptrace, DENY_EPERM },
  { __NR_process_vm_readv, DENY_EPERM },
  { __NR_process_vm_writev, DENY_EPERM },
  { __NR_pidfd_getfd, DENY_EPERM },
  { __NR_kcmp, DENY_EPERM },
  { __NR_bpf, DENY_EPERM },
  { __NR_perf_event_open, DENY_EPERM },
  { __NR_userfaultfd, DENY_EPERM },
  { __NR_io_uring_setup, DENY_EPERM },
  { __NR_io_uring_enter, DENY_EPERM },
  { __NR_io_uring_register, DENY_EPERM },
  { __NR_keyctl, DENY_EPERM },
  { __NR_add_key, DENY_EPERM },
  { __NR_request_key, DENY_EPERM },
  { __NR_init_module, DENY_EPERM },
  { __NR_finit_module, DENY_EPERM },
  { __NR_delete_module, DENY_EPERM },
  { __NR_create_module, DENY_EPERM },
  { __NR_get_kernel_syms, DENY_EPERM },
  { __NR_query_module, DENY_EPERM },
  { __NR_kexec_load, DENY_EPERM },
  { __NR_kexec_file_load, DENY_EPERM },
  { __NR_reboot, DENY_EPERM },
  { __NR_swapon, DENY_EPERM },
  { __NR_swapoff, DENY_EPERM },
  { __NR_acct, DENY_EPERM },
  { __NR_quotactl, DENY_EPERM },
  { __NR_quotactl_fd, DENY_EPERM },
  { __NR_syslog, DENY_EPERM },
  { __NR_vhangup, DENY_EPERM },
  { __NR_sethostname, DENY_EPERM },
  { __NR_setdomainname, DENY_EPERM },
  { __NR_settimeofday, DENY_EPERM },
  { __NR_stime, DENY_EPERM },
  { __NR_clock_settime, DENY_EPERM },
  { __NR_clock_adjtime, DENY_EPERM },
  { __NR_get_mempolicy, DENY_EPERM },
  { __NR_set_mempolicy, DENY_EPERM },
  { __NR_set_mempolicy_home_node, DENY_EPERM },
  { __NR_mbind, DENY_EPERM },
  { __NR_move_pages, DENY_EPERM },
  { __NR_migrate_pages, DENY_EPERM },
  { __NR_ioperm, DENY_EPERM },
  { __NR_iopl, DENY_EPERM },
  { __NR_modify_ldt, DENY_EPERM },
  { __NR_vm86, DENY_EPERM },
  { __NR_vm86old, DENY_EPERM },
  { __NR_lookup_dcookie, DENY_EPERM },
  { __NR_nfsservctl, DENY_EPERM },
  { __NR_sysfs, DENY_EPERM },
  { __NR__sysctl, DENY_EPERM },
  { __NR_uselib, DENY_EPERM },
  { __NR_ustat, DENY_EPERM },
  { __NR_fanotify_init, DENY_EPERM },
};

/* PER_LINUX, PER_LINUX32, UNAME26, PER_LINUX32|UNAME26, and the query. */
static const unsigned int allowed_personalities[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };

#define MAX_INSNS 1024

struct program
{
  struct sock_filter insns[MAX_INSNS];
  unsigned short len;
};

static void
emit (struct program *p, struct sock_filter insn)
{
  p->insns[p->len++] = insn;
}

#define LOAD(off) (struct sock_filter) BPF_STMT (BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(action) (struct sock_filter) BPF_STMT (BPF_RET | BPF_K, (action))
#define JEQ(k, jt, jf) (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))
#define JGE(k, jt, jf) (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JGE | BPF_K, (k), (jt), (jf))
#define JSET(k, jt, jf) (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, (k), (jt), (jf))
#define ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

/* A rule's block: compare the number, fall through to the next rule if it
   differs, else decide (reading an argument only for the three arg rules). */
static void
emit_rule (struct program *p, const struct syscall_rule *r)
{
  const size_t n_pers = sizeof (allowed_personalities) / sizeof (allowed_personalities[0]);

  switch (r->kind)
    {
    case DENY_EPERM:
    case DENY_ENOSYS:
      emit (p, JEQ (r->nr, 0, 1));
      emit (p, RET (ERRNO (r->kind == DENY_EPERM ? EPERM : ENOSYS)));
      return;
    case DENY_NAMESPACE_FLAGS:
      emit (p, JEQ (r->nr, 0, 4));
      emit (p, LOAD (ARG_LOW (0)));
      emit (p, JSET (CLONE_NAMESPACE_FLAGS, 0, 1));
      emit (p, RET (ERRNO (EPERM)));
      emit (p, RET (SECCOMP_RET_ALLOW));
      return;
    case DENY_TTY_INJECTION:
      emit (p, JEQ (r->nr, 0, 5));
      emit (p, LOAD (ARG_LOW (1)));
      emit (p, JEQ (TIOCSTI, 2, 0));
      emit (p, JEQ (TIOCLINUX, 1, 0));
      emit (p, RET (SECCOMP_RET_ALLOW));
      emit (p, RET (ERRNO (EPERM)));
      return;
    case ALLOW_PERSONALITY:
      emit (p, JEQ (r->nr, 0, n_pers + 3));
      emit (p, LOAD (ARG_LOW (0)));
      for (size_t i = 0; i < n_pers; i++)
        emit (p, JEQ (allowed_personalities[i], n_pers - i, 0));
      emit (p, RET (ERRNO (EPERM)));
      emit (p, RET (SECCOMP_RET_ALLOW));
      return;
    }
}

/* A binary search over the rules sorted by number: a syscall costs a handful
   of comparisons instead of one per rule, and so does the kernel's
   emulation of the filter for every syscall number when it builds its cache
   of always-allowed syscalls (those skip the filter entirely). Jumps only go
   forward: the left half follows its JGE, the right half follows the left. */
static int
emit_search (struct program *p, const struct syscall_rule *r, size_t n)
{
  size_t mid = n / 2;
  size_t jge;

  if (n <= 3)
    {
      for (size_t i = 0; i < n; i++)
        emit_rule (p, &r[i]);
      emit (p, RET (SECCOMP_RET_ALLOW));
      return 0;
    }
  jge = p->len;
  emit (p, JGE (r[mid].nr, 0, 0));
  if (emit_search (p, r, mid) < 0)
    return -1;
  if (p->len - jge - 1 > 255)
    return -1;
  p->insns[jge].jt = p->len - jge - 1;
  return emit_search (p, r + mid, n - mid);
}

static int
by_number (const void *a, const void *b)
{
  long x = ((const struct syscall_rule *) a)->nr;
  long y = ((const struct syscall_rule *) b)->nr;

  return (x > y) - (x < y);
}

static int
build_program (struct program *p)
{
  struct syscall_rule sorted[sizeof (rules) / sizeof (rules[0])];
  size_t n = 0;

  for (size_t i = 0; i < sizeof (rules) / sizeof (rules[0]); i++)
    if (rules[i].nr >= 0)
      sorted[n++] = rules[i];
  qsort (sorted, n, sizeof (sorted[0]), by_number);

  p->len = 0;
  emit (p, LOAD (offsetof (struct seccomp_data, arch)));
  emit (p, JEQ (NATIVE_ARCH, 1, 0));
  emit (p, RET (SECCOMP_RET_KILL_PROCESS));
  emit (p, LOAD (offsetof (struct seccomp_data, nr)));
#ifdef X32_SYSCALL_BIT
  emit (p, JGE (X32_SYSCALL_BIT, 0, 1));
  emit (p, RET (ERRNO (ENOSYS)));
#endif
  return emit_search (p, sorted, n);
}

/* Each rule takes at most 9 instructions, each search node 1, leaves 1 more. */
_Static_assert (sizeof (rules) / sizeof (rules[0]) * 11 + 16 < MAX_INSNS, "seccomp program too long");

int
install_seccomp (launcher_error_t *err)
{
  static struct program prog;
  struct sock_fprog fprog;

  if (build_program (&prog) < 0)
    return make_error (err, E2BIG, "seccomp `filter jump too long`");
  fprog.len = prog.len;
  fprog.filter = prog.insns;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return make_error (err, errno, "prctl `PR_SET_NO_NEW_PRIVS`");
  if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
    return make_error (err, errno, "seccomp `SECCOMP_SET_MODE_FILTER`");
  return 0;
}
