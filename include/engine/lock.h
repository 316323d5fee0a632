/*
 * lock.h — one writer per cube: an fcntl lock on OUTPUT.lock held for the whole scan.
 *
 * The lock file has two one-byte locks.  Byte 0 is the writer lock: rank 0 holds it exclusively
 * from before it looks at the output until the scan returns, and writes "pid P host H" into the
 * file so a refused run can say who holds it.  Byte 1 is the rank lock: every rank of the run
 * holds it shared, and rank 0 takes it exclusively (then downgrades) before starting, so a new
 * run also refuses while ranks of a killed run still live (Open MPI puts each rank in its own
 * process group: killing mpirun's group leaves them running for about a second).
 *
 * fcntl locks belong to the process: they vanish when it exits or dies (a stale lock file is
 * harmless and is reused), and closing the descriptor releases them.  They work on local file
 * systems and on NFS (with lockd) and Lustre mounted with `-o flock`; on NFS without lockd or
 * Lustre with `-o localflock` across nodes they do not exclude anything (README, "Outputs").
 * The lock file itself is left in place: removing it would let a run lock a file that no
 * longer has a name.
 */
#ifndef DIPSCAN_LOCK_H
#define DIPSCAN_LOCK_H

#include "util/common.h"

typedef struct output_lock {
  int fd;     /* -1 when not held */
  char *path; /* OUTPUT.lock */
} output_lock;

/* Rank 0: take the writer lock and the rank lock on OUTPUT.lock (creating the file and one level
 * of missing parent folder).  When another run holds either one, fails with DIP_EIO and the
 * message "OUTPUT is in use by a running scan (pid P on host H)" without touching anything. */
int output_lock_writer(output_lock *lk, const char *output, dip_error *err);

/* Other ranks, after rank 0 holds the writer lock: take the rank lock shared. */
int output_lock_rank(output_lock *lk, const char *output, dip_error *err);

/* Release (idempotent; also fine on a zeroed/never-taken lock with fd = -1). */
void output_lock_release(output_lock *lk);

#endif /* DIPSCAN_LOCK_H */
