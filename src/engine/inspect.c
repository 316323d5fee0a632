/*
 * inspect.c — recognise an output before touching it (inspect.h).
 *
 * Checks run from the cheapest to the one that needs HDF5: can we open it for writing (errno),
 * does it start like an HDF5 file (the 8-byte superblock signature; dipscan writes no user block)
 * or a journal, is it flock-ed by another process (HDF5 >= 1.10 takes a flock on every open unless
 * HDF5_USE_FILE_LOCKING=FALSE; a non-blocking exclusive flock of ours fails then), and does HDF5
 * find the cube's config_hash attribute in it.
 */
#include "engine/inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>


static const char hdf5_signature[8] = {'\211', 'H', 'D', 'F', '\r', '\n', '\032', '\n'};

static int signature_is(int fd, const char *magic, size_t n, int *empty) {
  char head[8] = {0};
  ssize_t got = pread(fd, head, sizeof head, 0);
  *empty = got == 0;
  return got >= (ssize_t)n && memcmp(head, magic, n) == 0;
}

/* Another process holds a flock on it (HDF5's file locking: h5py, HDFView, another dipscan). */
static int flocked_elsewhere(int fd) {
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);
    return 0;
  }
  return errno == EWOULDBLOCK;
}

static int has_cube_attribute(const char *path) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0)
    return -1;
  int yes = H5Aexists(file, "config_hash") > 0;
  H5Fclose(file);
  return yes;
}

/* The kind's content check on an open, unlocked file. */
static int check_content(const char *path, int fd, output_kind kind, dip_error *err) {
  int empty = 0;
  if (kind == OUTPUT_JOURNAL)
    return signature_is(fd, "DIPJRNL", 7, &empty) || empty
               ? DIP_SUCCESS
               : dip_error_set(err, DIP_EMISMATCH, "%s is not a dipscan journal", path);
  int hdf5 = signature_is(fd, hdf5_signature, sizeof hdf5_signature, &empty);
  if (kind == OUTPUT_PARTIAL && (hdf5 || empty))
    return DIP_SUCCESS;
  if (!hdf5)
    return dip_error_set(err, DIP_EMISMATCH, "%s is not an HDF5 file", path);
  int cube = has_cube_attribute(path);
  if (cube < 0)
    return dip_error_set(err, DIP_EMISMATCH, "%s looks like an HDF5 file but HDF5 cannot open it "
                         "(damaged or truncated?  If it is yours, remove it yourself)", path);
  return cube ? DIP_SUCCESS
              : dip_error_set(err, DIP_EMISMATCH, "%s is an HDF5 file but not a dipscan cube (no "
                              "config_hash attribute)", path);
}

int output_inspect(const char *path, output_kind kind, int *exists, dip_error *err) {
  struct stat st;
  *exists = 0;
  if (stat(path, &st) != 0 && errno == ENOENT)
    return DIP_SUCCESS;
  if (!S_ISREG(st.st_mode))
    return dip_error_set(err, DIP_EMISMATCH, "%s is not a regular file", path);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return dip_error_set(err, DIP_EIO, "%s: %s (permission or file system problem)", path,
                         strerror(errno));
  int status = DIP_SUCCESS;
  if (kind != OUTPUT_JOURNAL && flocked_elsewhere(fd))
    status = dip_error_set(err, DIP_EIO, "%s is locked by another process (an HDF5 program such "
                           "as h5py, HDFView or h5dump has it open: close it first)", path);
  else
    status = check_content(path, fd, kind, err);
  close(fd);
  *exists = status == DIP_SUCCESS;
  return status;
}
