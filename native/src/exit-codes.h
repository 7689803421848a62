/* The launcher's own exit codes, named once here and mirrored once in
   invoker/container/launcher-exit-codes.ts.  Anything else the launcher exits
   with is the payload's own status (128+N when it died of signal N). */
#ifndef TSFN_EXIT_CODES_H
#define TSFN_EXIT_CODES_H

#define LAUNCHER_EXIT_USAGE 110
#define LAUNCHER_EXIT_CGROUP 111
#define LAUNCHER_EXIT_NAMESPACES 112
#define LAUNCHER_EXIT_MOUNTS 113
#define LAUNCHER_EXIT_ROOTFS 114
#define LAUNCHER_EXIT_PRIVILEGES 115
#define LAUNCHER_EXIT_SECCOMP 116
#define LAUNCHER_EXIT_PROCESS 117
#define LAUNCHER_EXIT_ATTACH 118
#define LAUNCHER_EXIT_INTERNAL 119
#define LAUNCHER_EXIT_NOT_EXECUTABLE 126
#define LAUNCHER_EXIT_NOT_FOUND 127

#endif
