/*
 * lock.c — the output lock (lock.h): fcntl record locks on OUTPUT.lock.
 *
 * F_SETLK (never F_SETLKW): a run that finds the lock taken refuses at once.  The holder's
 * identity comes from the text the holder wrote into the file, or, when it has not written it
 * yet (or the conflict is with an orphaned rank), from F_GETLK.
 */
#include "engine/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { BYTE_WRITER = 0, BYTE_RANKS = 1 };

/* A lock of `type` on one byte of the lock file. */
static struct flock byte_lock(short type, off_t byte) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = byte;
  fl.l_len = 1;
  return fl;
}

static int set_lock(int fd, short type, off_t byte) {
  struct flock fl = byte_lock(type, byte);
  return fcntl(fd, F_SETLK, &fl);
}

/* pid of a process holding a lock that conflicts with `type` on byte (0 if none or unknown). */
static long holder_pid(int fd, short type, off_t byte) {
  struct flock fl = byte_lock(type, byte);
  return fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK ? (long)fl.l_pid : 0;
}

/* Make sure the folder of path exists (one level, like results/). */
static void make_parent_dir(const char *path) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = '\0';
    mkdir(dir, 0777);
  }
}

static int open_lock_file(output_lock *lk, const char *output, int flags, dip_error *err) {
  size_t n = strlen(output) + 6;
  lk->fd = -1;
  if (!(lk->path = dip_calloc(n, 1, err)))
    return DIP_ENOMEM;
  snprintf(lk->path, n, "%s.lock", output);
  if (flags & O_CREAT)
    make_parent_dir(output);
  lk->fd = open(lk->path, flags | O_CLOEXEC, 0666);
  if (lk->fd < 0) {
    int status = dip_error_set(err, DIP_EIO, "%s: cannot open the lock file: %s", lk->path,
                               strerror(errno));
    output_lock_release(lk);
    return status;
  }
  return DIP_SUCCESS;
}

/* The refusal message: "OUTPUT is in use by a running scan (pid P on host H)". */
static int refuse(output_lock *lk, const char *output, short type, off_t byte, dip_error *err) {
  char text[256] = "", host[200] = "unknown";
  long pid = 0;
  ssize_t n = pread(lk->fd, text, sizeof text - 1, 0);
  if (n > 0)
    text[n] = '\0';
  if (sscanf(text, "pid %ld host %199s", &pid, host) < 1 || byte == BYTE_RANKS)
    pid = holder_pid(lk->fd, type, byte);
  int status = dip_error_set(err, DIP_EIO, "%s is in use by a running scan (pid %ld on host %s)",
                             output, pid, host);
  output_lock_release(lk);
  return status;
}

static int locked_out(void) { return errno == EAGAIN || errno == EACCES; }

/* Any other fcntl failure, e.g. ENOLCK on NFS without lockd: no run can be excluded there. */
static int lock_failed(output_lock *lk, dip_error *err) {
  int status = dip_error_set(err, DIP_EIO, "%s: cannot lock: %s%s", lk->path, strerror(errno),
                             errno == ENOLCK ? " (this file system does not support fcntl locks; "
                                               "see README, Outputs)" : "");
  output_lock_release(lk);
  return status;
}

int output_lock_writer(output_lock *lk, const char *output, dip_error *err) {
  DIP_TRY(open_lock_file(lk, output, O_RDWR | O_CREAT, err));
  if (set_lock(lk->fd, F_WRLCK, BYTE_WRITER) != 0)
    return locked_out() ? refuse(lk, output, F_WRLCK, BYTE_WRITER, err) : lock_failed(lk, err);
  if (set_lock(lk->fd, F_WRLCK, BYTE_RANKS) != 0)
    return locked_out() ? refuse(lk, output, F_WRLCK, BYTE_RANKS, err) : lock_failed(lk, err);
  char host[200] = "unknown", text[256];
  gethostname(host, sizeof host - 1);
  int len = snprintf(text, sizeof text, "pid %ld host %s\n", (long)getpid(), host);
  if (set_lock(lk->fd, F_RDLCK, BYTE_RANKS) != 0 || ftruncate(lk->fd, 0) != 0 ||
      pwrite(lk->fd, text, (size_t)len, 0) != len)
    return lock_failed(lk, err);
  return DIP_SUCCESS;
}

int output_lock_rank(output_lock *lk, const char *output, dip_error *err) {
  DIP_TRY(open_lock_file(lk, output, O_RDONLY, err));
  return set_lock(lk->fd, F_RDLCK, BYTE_RANKS) == 0 ? DIP_SUCCESS : lock_failed(lk, err);
}

void output_lock_release(output_lock *lk) {
  if (lk->fd >= 0)
    close(lk->fd);
  lk->fd = -1;
  free(lk->path);
  lk->path = NULL;
}
