/*
 * fuzz.h — shared glue for the libFuzzer harnesses in tests/fuzz/.
 *
 * Each harness is written once with FUZZ_TARGET(name) and built two ways:
 *   - `make fuzz`: clang -fsanitize=fuzzer,address,undefined; FUZZ_TARGET becomes
 *     LLVMFuzzerTestOneInput and a broken invariant traps (libFuzzer saves the input as a crash);
 *   - tests/unit/test_fuzz_replay.c defines FUZZ_REPLAY before including the harnesses; FUZZ_TARGET
 *     then becomes an ordinary function and a broken invariant is counted, so the seed corpora and
 *     every saved regression input are replayed by `make check` and `make asan`.
 * Invariants checked on every input: no crash, no leak, no sanitizer report; a failed load leaves a
 * non-empty one-line message (no control characters) and a known status code.
 */
#ifndef DIPSCAN_FUZZ_H
#define DIPSCAN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/common.h"

#ifdef FUZZ_REPLAY
static int fuzz_violations = 0;
#define FUZZ_TARGET(name) static int name(const uint8_t *data, size_t size)
#define FUZZ_CHECK(cond, what)                                           \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fuzz_violations++;                                                 \
      fprintf(stderr, "fuzz invariant broken: %s (%s)\n", what, #cond);  \
    }                                                                    \
  } while (0)
#else
#define FUZZ_TARGET(name) int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#define FUZZ_CHECK(cond, what)                                           \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "fuzz invariant broken: %s (%s)\n", what, #cond);  \
      __builtin_trap();                                                  \
    }                                                                    \
  } while (0)
#endif

/* A reported error must carry a known status and a non-empty single-line message. */
static inline int fuzz_message_ok(int status, const dip_error *err) {
  if (status < DIP_EINVAL || status > DIP_ESTOPPED || err->status != status || !err->msg[0])
    return 0;
  for (const char *p = err->msg; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      return 0;
  return 1;
}

#endif /* DIPSCAN_FUZZ_H */
