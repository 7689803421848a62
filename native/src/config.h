#ifndef TSFN_CONFIG_H
#define TSFN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

#define LAUNCHER_VERSION "0.1.0"

struct bind_spec
{
  const char *src;
  const char *dst;
  bool read_only;
};

/* `tsfn-launcher run`, parsed. Lists point into argv or into arrays sized by
   argc; nothing is freed, the process execs or exits. */
struct run_config
{
  const char **layers; /* first given = top of the overlay stack */
  size_t n_layers;
  unsigned long long upper_size;
  unsigned long long upper_inodes;
  unsigned long long fsize;
  unsigned long long shm_size;
  unsigned long long nofile;
  const char *scratch;
  const char **cgroups;
  size_t n_cgroups;
  struct bind_spec *binds;
  size_t n_binds;
  const char *hostname;
  uid_t uid;
  gid_t gid;
  char **env; /* NULL-terminated */
  const char *cwd;
  int *pass_fds;
  size_t n_pass_fds;
  int info_fd; /* -1 when not asked */
  int netns_fd; /* a network namespace made ahead to join, or -1: the launcher makes one */
  bool userns;
  uid_t userns_base; /* host id of container id 0 under --userns */
  char **argv; /* the payload's CMD and ARGs, NULL-terminated */
  /* The launcher's own argv strings up to CMD (contiguous in memory), which
     init wipes before it forks the payload: /proc/1/cmdline is readable by
     any process in the container. env and cwd are copied out of them. */
  char *options;
  size_t options_len;
};

struct attach_config
{
  pid_t pid;
  const char *source;
  const char *target;
};

int parse_run_args (int argc, char **argv, struct run_config *cfg, launcher_error_t *err);
int parse_attach_args (int argc, char **argv, struct attach_config *cfg, launcher_error_t *err);

#endif
