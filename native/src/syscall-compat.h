/* Syscall numbers the build's kernel headers may lack: those added after
   them, and those the target architecture never had (-1, skipped when the
   seccomp filter is built). Keeps the deny table in seccomp.c one table. */
#ifndef TSFN_SYSCALL_COMPAT_H
#define TSFN_SYSCALL_COMPAT_H

#include <sys/syscall.h>

/* Numbers from 424 on are the same on every architecture. */
#ifndef __NR_open_tree
#define __NR_open_tree 428
#endif
#ifndef __NR_move_mount
#define __NR_move_mount 429
#endif
#ifndef __NR_fsopen
#define __NR_fsopen 430
#endif
#ifndef __NR_fsconfig
#define __NR_fsconfig 431
#endif
#ifndef __NR_fsmount
#define __NR_fsmount 432
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd 438
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#ifndef __NR_quotactl_fd
#define __NR_quotactl_fd 443
#endif
#ifndef __NR_set_mempolicy_home_node
#define __NR_set_mempolicy_home_node 450
#endif
#ifndef __NR_open_tree_attr
#define __NR_open_tree_attr 467
#endif

#define COMPAT_ABSENT(name) (-1)

#ifndef __NR_create_module
#define __NR_create_module COMPAT_ABSENT (create_module)
#endif
#ifndef __NR_get_kernel_syms
#define __NR_get_kernel_syms COMPAT_ABSENT (get_kernel_syms)
#endif
#ifndef __NR_query_module
#define __NR_query_module COMPAT_ABSENT (query_module)
#endif
#ifndef __NR_ioperm
#define __NR_ioperm COMPAT_ABSENT (ioperm)
#endif
#ifndef __NR_iopl
#define __NR_iopl COMPAT_ABSENT (iopl)
#endif
#ifndef __NR_modify_ldt
#define __NR_modify_ldt COMPAT_ABSENT (modify_ldt)
#endif
#ifndef __NR_uselib
#define __NR_uselib COMPAT_ABSENT (uselib)
#endif
#ifndef __NR_ustat
#define __NR_ustat COMPAT_ABSENT (ustat)
#endif
#ifndef __NR_sysfs
#define __NR_sysfs COMPAT_ABSENT (sysfs)
#endif
#ifndef __NR__sysctl
#define __NR__sysctl COMPAT_ABSENT (_sysctl)
#endif
#ifndef __NR_vm86
#define __NR_vm86 COMPAT_ABSENT (vm86)
#endif
#ifndef __NR_vm86old
#define __NR_vm86old COMPAT_ABSENT (vm86old)
#endif
#ifndef __NR_stime
#define __NR_stime COMPAT_ABSENT (stime)
#endif
#ifndef __NR_umount
#define __NR_umount COMPAT_ABSENT (umount)
#endif
#ifndef __NR_nfsservctl
#define __NR_nfsservctl COMPAT_ABSENT (nfsservctl)
#endif

#endif
