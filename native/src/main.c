#include <stdio.h>
#include <string.h>

#include "config.h"
#include "container.h"
#include "exit-codes.h"
#include "stamp.h"

static const char usage[]
    = "usage: tsfn-launcher run [OPTIONS] -- CMD [ARG]...\n"
      "         --layer DIR            read-only layer (repeatable, first = top; at least one)\n"
      "         --upper-size BYTES     tmpfs size of the writable layer [67108864]\n"
      "         --upper-inodes N       tmpfs nr_inodes of the writable layer [16384]\n"
      "         --scratch DIR          host dir the tmpfs is mounted on, privately [/run/tsfn-launcher]\n"
      "         --cgroup DIR           cgroup to join before anything runs (repeatable)\n"
      "         --bind SRC:DST[:ro|rw] bind mount, nosuid,nodev [ro]\n"
      "         --hostname NAME        [tsfn]\n"
      "         --uid N --gid N        payload ids [65534]\n"
      "         --env K=V              payload environment, exactly (repeatable)\n"
      "         --cwd DIR              [/]\n"
      "         --pass-fd N            keep fd N open into the payload (repeatable)\n"
      "         --nofile N             RLIMIT_NOFILE [1024]\n"
      "         --fsize BYTES          RLIMIT_FSIZE [the upper size]\n"
      "         --shm-size BYTES       /dev/shm size [16777216]\n"
      "         --info-fd N            write {\"pid\":<host pid of pid 1>} once the payload runs\n"
      "         --userns[=BASE]        user namespace: container ids 0-65535 are host BASE+ [524288]\n"
      "         --netns-fd N           join this network namespace, made ahead for this container\n"
      "                                alone, instead of making one (not with --userns)\n"
      "       tsfn-launcher attach --pid PID --source HOSTDIR --target CTRPATH\n"
      "       tsfn-launcher attach-server    (requests PID<TAB>SOURCE<TAB>TARGET per line on stdin)\n"
      "       tsfn-launcher spawn-server SOCKET   (requests ID\\0ARG\\0...\\0\\0 on stdin; see spawn-server.c)\n"
      "       tsfn-launcher favor-dynmods    (cgroup favordynmods on until stdin closes; see favor-dynmods.c)\n"
      "       tsfn-launcher netns-hold       (a new network namespace, lo up, held until stdin closes)\n"
      "       tsfn-launcher --version\n";

int
main (int argc, char **argv)
{
  launcher_error_t err = { 0 };
  int ret;

  STAMP ("main");
  if (argc >= 2 && strcmp (argv[1], "--version") == 0)
    {
      fputs ("tsfn-launcher " LAUNCHER_VERSION "\n", stdout);
      return 0;
    }
  if (argc >= 2 && strcmp (argv[1], "--help") == 0)
    {
      fputs (usage, stdout);
      return 0;
    }
  if (argc >= 2 && strcmp (argv[1], "run") == 0)
    {
      struct run_config cfg;
      ret = parse_run_args (argc, argv, &cfg, &err);
      if (ret == 0)
        ret = run_container (&cfg, &err);
    }
  else if (argc >= 2 && strcmp (argv[1], "attach") == 0)
    {
      struct attach_config cfg;
      ret = parse_attach_args (argc, argv, &cfg, &err);
      if (ret == 0)
        ret = attach_mount (&cfg, &err);
    }
  else if (argc == 2 && strcmp (argv[1], "attach-server") == 0)
    return attach_server ();
  else if (argc == 3 && strcmp (argv[1], "spawn-server") == 0)
    return spawn_server (argv[2]);
  else if (argc == 2 && strcmp (argv[1], "favor-dynmods") == 0)
    ret = favor_dynmods (&err);
  else if (argc == 2 && strcmp (argv[1], "netns-hold") == 0)
    ret = netns_hold (&err);
  else
    {
      make_error (&err, 0, "unknown command `%s` (see tsfn-launcher --help)",
                  argc >= 2 ? argv[1] : "");
      ret = error_code (&err, LAUNCHER_EXIT_USAGE);
    }
  if (ret < 0)
    {
      error_print (&err);
      return err.code;
    }
  return ret;
}
