/* The steps that turn the launcher's first child into a container's pid 1.
   Each returns < 0 with ERR filled; the caller names the stage (exit code). */
#ifndef TSFN_CONTAINER_H
#define TSFN_CONTAINER_H

#include <sys/types.h>

#include "config.h"
#include "error.h"

/* mounts.c, in three steps. mount_scratch: the private root and the scratch
   tmpfs (under --userns, while init can still reach the host path as host
   root). mount_rootfs: the overlay, /proc and /dev. mount_rootfs_finish: /sys
   and the binds, once in the container's network namespace (which /sys
   shows, and which the outer launcher makes in parallel, run.c). */
struct rootfs
{
  int scratch;   /* O_PATH fd of the scratch tmpfs */
  int root;      /* O_PATH fd of the new root */
  int empty_dir; /* O_PATH fd of the empty tmpfs used to mask directories */
};
int mount_scratch (const struct run_config *cfg, struct rootfs *rootfs, launcher_error_t *err);
/* LAYER_FDS: idmapped layers under --userns, else NULL (opened by path). */
int mount_rootfs (const struct run_config *cfg, const int *layer_fds, struct rootfs *rootfs,
                  launcher_error_t *err);
int mount_rootfs_finish (const struct run_config *cfg, struct rootfs *rootfs,
                         launcher_error_t *err);
void rootfs_close (struct rootfs *rootfs);
#define cleanup_rootfs __attribute__ ((cleanup (rootfs_close)))

/* rootfs.c */
int pivot_into (int rootfd, launcher_error_t *err);

/* userns.c: run by the outer launcher once init exists in its new user
   namespace: id maps, then idmapped layers sent over SYNCFD. */
int prepare_user_namespace (pid_t init, const struct run_config *cfg, int syncfd,
                            launcher_error_t *err);

/* cgroup.c */
int join_cgroups (const struct run_config *cfg, launcher_error_t *err);

/* process.c */
int bring_up_loopback (launcher_error_t *err);

/* netns.c: a fresh network namespace, loopback up, as an fd; the caller stays in HOST_NS. */
int make_spare_network (int host_ns, launcher_error_t *err);
/* `netns-hold`: enters a new network namespace (lo up), says `ready`, and
   holds it until stdin closes; for benches and tests, as /proc/PID/ns/net. */
int netns_hold (launcher_error_t *err);
int set_limits (const struct run_config *cfg, launcher_error_t *err);

/* caps.c */
int drop_privileges (uid_t uid, gid_t gid, launcher_error_t *err);

/* seccomp.c */
int install_seccomp (launcher_error_t *err);

/* What the outer launcher and init share, all inherited across the fork. */
struct channel
{
  int errfd;   /* write end: init's or the payload's launcher_error_t, if any */
  int syncfd;  /* init's end of a socket pair: one byte once the outer launcher has
                  made the network namespace, or under --userns mapped the ids
                  (the byte then carries the idmapped layers) */
  pid_t outer; /* the outer launcher's pid, whose network namespace init joins */
};

/* init.c: pid 1. Never returns; failures go to ch->errfd. */
void container_main (const struct run_config *cfg, const struct channel *ch)
    __attribute__ ((noreturn));

/* run.c, attach.c: the two commands, run in the host's namespaces. They
   return the launcher's exit status, or < 0 with ERR filled. */
int run_container (struct run_config *cfg, launcher_error_t *err);
int attach_mount (const struct attach_config *cfg, launcher_error_t *err);

/* Serves attach requests read from stdin until it closes (attach-server.c). */
int attach_server (void);

/* Starts containers on requests read from stdin (spawn-server.c). */
int spawn_server (const char *socket_path);

/* Holds a favordynmods cgroup hierarchy until stdin closes (favor-dynmods.c).
   Returns 0 also when it is unneeded or the kernel refuses. */
int favor_dynmods (launcher_error_t *err);

#endif
