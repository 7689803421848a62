/* The probe's file-system commands: what a path holds, and what the payload
   may do with it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "probe.h"

int
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
int
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

int
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

int
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

int
cmd_stat (const char *path)
{
  struct stat st;

  if (stat (path, &st) < 0)
    {
      printf ("ERR %s\n", strerrorname_np (errno));
      return 1;
    }
  printf ("%u %u %o\n", st.st_uid, st.st_gid, st.st_mode & 07777);
  return 0;
}

int
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

int
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

int
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

int
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
