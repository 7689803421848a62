#ifndef TSFN_PROBE_H
#define TSFN_PROBE_H

/* "ok", or the errno name (EPERM, ENOENT...) when R < 0. */
const char *result (long r);
void report (const char *name, long r);

/* syscalls.c */
int cmd_syscalls (void);
int cmd_i386 (void);

/* files.c */
int cmd_cat (const char *path);
int cmd_ls (const char *path);
int cmd_write (const char *path);
int cmd_open (const char *path);
int cmd_stat (const char *path);
int cmd_readlink (const char *path);
int cmd_fill (const char *path);
int cmd_statfs (const char *path);
int cmd_climb (void);

#endif
