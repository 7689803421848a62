#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "exit-codes.h"

#define DEFAULT_UPPER_SIZE (64ULL << 20)
#define DEFAULT_UPPER_INODES 16384ULL
#define DEFAULT_SHM_SIZE (16ULL << 20)
#define DEFAULT_NOFILE 1024ULL
#define DEFAULT_ID 65534
/* systemd's range for container ids (524288-1879048191): no host user there. */
#define DEFAULT_USERNS_BASE 524288ULL
#define USERNS_SIZE 65536ULL
#define MAX_LAYERS 64 /* what one SCM_RIGHTS message carries under --userns */

static int
usage_error (launcher_error_t *err, const char *what, const char *value)
{
  make_error (err, 0, "%s `%s` (see tsfn-launcher --help)", what, value);
  return error_code (err, LAUNCHER_EXIT_USAGE);
}

static int
out_of_memory (launcher_error_t *err, const char *what)
{
  make_error (err, ENOMEM, "malloc `%s`", what);
  return error_code (err, LAUNCHER_EXIT_INTERNAL);
}

static int
parse_u64 (const char *opt, const char *s, unsigned long long max, unsigned long long *out,
           launcher_error_t *err)
{
  char *end;

  errno = 0;
  if (*s < '0' || *s > '9')
    return usage_error (err, opt, s);
  *out = strtoull (s, &end, 10);
  if (errno || *end || *out > max)
    return usage_error (err, opt, s);
  return 0;
}

static int
parse_fd (const char *opt, const char *s, int *out, launcher_error_t *err)
{
  unsigned long long v;

  if (parse_u64 (opt, s, INT_MAX, &v, err) < 0)
    return -1;
  if (fcntl ((int) v, F_GETFD) < 0)
    {
      make_error (err, errno, "fcntl `%s %s`", opt, s);
      return error_code (err, LAUNCHER_EXIT_USAGE);
    }
  *out = v;
  return 0;
}

/* A network namespace made ahead for this container alone (the spawn
   server's spare, spawn-server.c); anything else is refused. */
static int
parse_netns_fd (const char *s, int *out, launcher_error_t *err)
{
  int type;

  if (parse_fd ("--netns-fd", s, out, err) < 0)
    return -1;
  type = ioctl (*out, NS_GET_NSTYPE);
  if (type != CLONE_NEWNET)
    {
      make_error (err, type < 0 ? errno : EINVAL, "ioctl `NS_GET_NSTYPE --netns-fd %s`: not a network namespace", s);
      return error_code (err, LAUNCHER_EXIT_USAGE);
    }
  if (fcntl (*out, F_SETFD, FD_CLOEXEC) < 0)
    {
      make_error (err, errno, "fcntl `--netns-fd %s`", s);
      return error_code (err, LAUNCHER_EXIT_USAGE);
    }
  return 0;
}

/* A directory fd would be a way out: openat (fd, "..") climbs the host's
   tree, whatever the container's root. */
static int
parse_pass_fd (const char *s, int *out, launcher_error_t *err)
{
  struct stat st;

  if (parse_fd ("--pass-fd", s, out, err) < 0)
    return -1;
  if (fstat (*out, &st) < 0)
    make_error (err, errno, "fstat `--pass-fd %s`", s);
  else if (S_ISDIR (st.st_mode))
    make_error (err, EISDIR, "fstat `--pass-fd %s`", s);
  else
    return 0;
  return error_code (err, LAUNCHER_EXIT_USAGE);
}

/* SRC:DST[:ro|rw]; paths cannot contain ':' (none of ours do). */
static int
parse_bind (char *s, struct bind_spec *b, launcher_error_t *err)
{
  char *dst = strchr (s, ':');
  char *mode;

  if (dst == NULL)
    return usage_error (err, "--bind needs SRC:DST, got", s);
  *dst++ = '\0';
  b->src = s;
  b->dst = dst;
  b->read_only = true;
  mode = strchr (dst, ':');
  if (mode)
    {
      *mode++ = '\0';
      if (strcmp (mode, "rw") == 0)
        b->read_only = false;
      else if (strcmp (mode, "ro") != 0)
        return usage_error (err, "--bind mode must be ro or rw, got", mode);
    }
  if (b->src[0] != '/' || b->dst[0] != '/')
    return usage_error (err, "--bind paths must be absolute, got", b->src[0] != '/' ? b->src : b->dst);
  return 0;
}

static bool
match (const char *arg, const char *name, const char **inline_value)
{
  size_t n = strlen (name);

  if (strncmp (arg, name, n) != 0)
    return false;
  if (arg[n] == '\0')
    {
      *inline_value = NULL;
      return true;
    }
  if (arg[n] == '=')
    {
      *inline_value = arg + n + 1;
      return true;
    }
  return false;
}

enum run_option
{
  OPT_LAYER,
  OPT_UPPER_SIZE,
  OPT_UPPER_INODES,
  OPT_SCRATCH,
  OPT_CGROUP,
  OPT_BIND,
  OPT_HOSTNAME,
  OPT_UID,
  OPT_GID,
  OPT_ENV,
  OPT_CWD,
  OPT_PASS_FD,
  OPT_NOFILE,
  OPT_FSIZE,
  OPT_SHM_SIZE,
  OPT_INFO_FD,
  OPT_USERNS,
  OPT_NETNS_FD,
};

static const struct
{
  const char *name;
  enum run_option id;
  bool takes_value;
} run_options[] = {
  { "--layer", OPT_LAYER, true },
  { "--upper-size", OPT_UPPER_SIZE, true },
  { "--upper-inodes", OPT_UPPER_INODES, true },
  { "--scratch", OPT_SCRATCH, true },
  { "--cgroup", OPT_CGROUP, true },
  { "--bind", OPT_BIND, true },
  { "--hostname", OPT_HOSTNAME, true },
  { "--uid", OPT_UID, true },
  { "--gid", OPT_GID, true },
  { "--env", OPT_ENV, true },
  { "--cwd", OPT_CWD, true },
  { "--pass-fd", OPT_PASS_FD, true },
  { "--nofile", OPT_NOFILE, true },
  { "--fsize", OPT_FSIZE, true },
  { "--shm-size", OPT_SHM_SIZE, true },
  { "--info-fd", OPT_INFO_FD, true },
  { "--userns", OPT_USERNS, false }, /* or --userns=BASE */
  { "--netns-fd", OPT_NETNS_FD, true },
};

static int
apply_run_option (enum run_option id, const char *name, char *value, struct run_config *cfg,
                  bool *fsize_given, launcher_error_t *err)
{
  unsigned long long v;

  switch (id)
    {
    case OPT_LAYER:
      if (value[0] != '/')
        return usage_error (err, "--layer must be absolute, got", value);
      cfg->layers[cfg->n_layers++] = value;
      return 0;
    case OPT_UPPER_SIZE:
      return parse_u64 (name, value, ULLONG_MAX, &cfg->upper_size, err);
    case OPT_UPPER_INODES:
      return parse_u64 (name, value, ULLONG_MAX, &cfg->upper_inodes, err);
    case OPT_SCRATCH:
      if (value[0] != '/')
        return usage_error (err, "--scratch must be absolute, got", value);
      cfg->scratch = value;
      return 0;
    case OPT_CGROUP:
      cfg->cgroups[cfg->n_cgroups++] = value;
      return 0;
    case OPT_BIND:
      return parse_bind (value, &cfg->binds[cfg->n_binds++], err);
    case OPT_HOSTNAME:
      if (strlen (value) > HOST_NAME_MAX)
        return usage_error (err, "--hostname too long", value);
      cfg->hostname = value;
      return 0;
    case OPT_UID:
      if (parse_u64 (name, value, UINT_MAX - 1, &v, err) < 0)
        return -1;
      cfg->uid = v;
      return 0;
    case OPT_GID:
      if (parse_u64 (name, value, UINT_MAX - 1, &v, err) < 0)
        return -1;
      cfg->gid = v;
      return 0;
    case OPT_ENV:
      {
        size_t n = 0;
        if (strchr (value, '=') == NULL || value[0] == '=')
          return usage_error (err, "--env needs K=V, got", value);
        while (cfg->env[n])
          n++;
        cfg->env[n] = strdup (value);
        return cfg->env[n] ? 0 : out_of_memory (err, name);
      }
    case OPT_CWD:
      if (value[0] != '/')
        return usage_error (err, "--cwd must be absolute, got", value);
      cfg->cwd = strdup (value);
      return cfg->cwd ? 0 : out_of_memory (err, name);
    case OPT_PASS_FD:
      return parse_pass_fd (value, &cfg->pass_fds[cfg->n_pass_fds++], err);
    case OPT_NOFILE:
      return parse_u64 (name, value, ULLONG_MAX, &cfg->nofile, err);
    case OPT_FSIZE:
      *fsize_given = true;
      return parse_u64 (name, value, ULLONG_MAX, &cfg->fsize, err);
    case OPT_SHM_SIZE:
      return parse_u64 (name, value, ULLONG_MAX, &cfg->shm_size, err);
    case OPT_INFO_FD:
      return parse_fd (name, value, &cfg->info_fd, err);
    case OPT_NETNS_FD:
      return parse_netns_fd (value, &cfg->netns_fd, err);
    case OPT_USERNS:
      cfg->userns = true;
      if (value && parse_u64 ("--userns", value, UINT_MAX - USERNS_SIZE, &v, err) < 0)
        return -1;
      cfg->userns_base = value ? v : DEFAULT_USERNS_BASE;
      return 0;
    }
  return usage_error (err, "unknown option", name);
}

int
parse_run_args (int argc, char **argv, struct run_config *cfg, launcher_error_t *err)
{
  bool fsize_given = false;
  int i;

  *cfg = (struct run_config) {
    .upper_size = DEFAULT_UPPER_SIZE,
    .upper_inodes = DEFAULT_UPPER_INODES,
    .shm_size = DEFAULT_SHM_SIZE,
    .nofile = DEFAULT_NOFILE,
    .scratch = "/run/tsfn-launcher",
    .hostname = "tsfn",
    .uid = DEFAULT_ID,
    .gid = DEFAULT_ID,
    .cwd = "/",
    .info_fd = -1,
    .netns_fd = -1,
  };
  cfg->layers = calloc (argc, sizeof (*cfg->layers));
  cfg->cgroups = calloc (argc, sizeof (*cfg->cgroups));
  cfg->binds = calloc (argc, sizeof (*cfg->binds));
  cfg->env = calloc (argc + 1, sizeof (*cfg->env));
  cfg->pass_fds = calloc (argc, sizeof (*cfg->pass_fds));
  if (! cfg->layers || ! cfg->cgroups || ! cfg->binds || ! cfg->env || ! cfg->pass_fds)
    return out_of_memory (err, "options");

  for (i = 2; i < argc; i++)
    {
      const char *arg = argv[i];
      const char *inline_value = NULL;
      size_t k;

      if (strcmp (arg, "--") == 0)
        break;
      for (k = 0; k < sizeof (run_options) / sizeof (run_options[0]); k++)
        if (match (arg, run_options[k].name, &inline_value))
          break;
      if (k == sizeof (run_options) / sizeof (run_options[0]))
        return usage_error (err, "unknown option", arg);

      char *value = (char *) inline_value;
      if (run_options[k].takes_value && value == NULL)
        {
          if (i + 1 >= argc)
            return usage_error (err, "missing value for", arg);
          value = argv[++i];
        }
      else if (! run_options[k].takes_value && value != NULL && run_options[k].id != OPT_USERNS)
        return usage_error (err, "option takes no value", arg);
      if (apply_run_option (run_options[k].id, run_options[k].name, value, cfg, &fsize_given, err) < 0)
        return -1;
    }

  if (cfg->n_layers == 0)
    return usage_error (err, "missing", "--layer");
  if (cfg->userns && cfg->netns_fd >= 0)
    return usage_error (err, "--netns-fd cannot be combined with", "--userns");
  if (cfg->netns_fd >= 0 && cfg->netns_fd == cfg->info_fd)
    return usage_error (err, "--netns-fd must differ from", "--info-fd");
  for (size_t j = 0; cfg->netns_fd >= 0 && j < cfg->n_pass_fds; j++)
    if (cfg->pass_fds[j] == cfg->netns_fd)
      return usage_error (err, "--netns-fd must differ from", "--pass-fd");
  if (cfg->n_layers > MAX_LAYERS)
    return usage_error (err, "too many layers, at most", "64");
  if (i + 1 >= argc)
    return usage_error (err, "missing", "-- CMD");
  cfg->argv = argv + i + 1;
  cfg->options = argv[0];
  cfg->options_len = cfg->argv[0] - argv[0];
  if (! fsize_given)
    cfg->fsize = cfg->upper_size;
  return 0;
}

int
parse_attach_args (int argc, char **argv, struct attach_config *cfg, launcher_error_t *err)
{
  unsigned long long pid = 0;

  *cfg = (struct attach_config) { 0 };
  for (int i = 2; i < argc; i++)
    {
      const char *arg = argv[i];
      const char *value = NULL;

      if (i + 1 >= argc)
        return usage_error (err, "missing value for", arg);
      value = argv[++i];
      if (strcmp (arg, "--pid") == 0)
        {
          if (parse_u64 (arg, value, INT_MAX, &pid, err) < 0)
            return -1;
          cfg->pid = pid;
        }
      else if (strcmp (arg, "--source") == 0)
        cfg->source = value;
      else if (strcmp (arg, "--target") == 0)
        cfg->target = value;
      else
        return usage_error (err, "unknown option", arg);
    }
  if (cfg->pid <= 0)
    return usage_error (err, "missing", "--pid");
  if (cfg->source == NULL || cfg->source[0] != '/')
    return usage_error (err, "missing or relative", "--source");
  if (cfg->target == NULL || cfg->target[0] != '/')
    return usage_error (err, "missing or relative", "--target");
  return 0;
}
