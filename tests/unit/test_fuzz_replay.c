/*
 * test_fuzz_replay.c — replays the fuzz seed corpora and every saved fuzz regression input through
 * the libFuzzer harnesses of tests/fuzz/ (built here as plain functions, FUZZ_REPLAY), so `make check`
 * and `make asan` keep each fixed crash fixed without needing clang.  One PASS/FAIL line per input
 * directory; a failure names the harness invariant that broke (stderr) — or the process crashes.
 * Inputs are found under $DIPSCAN_ROOT/tests/fuzz (tests/run.sh sets DIPSCAN_ROOT), else ./tests/fuzz.
 */
#define FUZZ_REPLAY
#include <dirent.h>
#include <stdlib.h>

#include "../fuzz/fuzz_card.c"
#include "../fuzz/fuzz_config.c"
#include "../fuzz/fuzz_yamlx.c"
#include "test.h"

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

/* Run every regular file of dir through fn; returns the number of inputs run (-1: no directory). */
static int replay_dir(const char *dir, fuzz_fn fn) {
  DIR *d = opendir(dir);
  if (!d)
    return -1;
  int count = 0;
  struct dirent *entry;
  while ((entry = readdir(d)) != NULL) {
    if (entry->d_name[0] == '.')
      continue;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
    char *bytes = NULL;
    size_t len = 0;
    dip_error err;
    if (dip_read_file(path, &bytes, &len, &err) != DIP_SUCCESS) {
      fprintf(stderr, "%s\n", err.msg);
      fuzz_violations++;
      continue;
    }
    fprintf(stderr, "replay %s\n", path);
    fn((const uint8_t *)bytes, len);
    free(bytes);
    count++;
  }
  closedir(d);
  return count;
}

static void replay(const char *root, const char *harness, fuzz_fn fn) {
  static const char *const kinds[] = {"corpus_%s", "regressions/%s"};
  for (size_t k = 0; k < 2; k++) {
    char sub[256], dir[4200], name[300];
    snprintf(sub, sizeof sub, kinds[k], harness);
    snprintf(dir, sizeof dir, "%s/tests/fuzz/%s", root, sub);
    int before = fuzz_violations;
    int n = replay_dir(dir, fn);
    snprintf(name, sizeof name, "fuzz_%s replays %s", harness, sub);
    if (k == 1 && n < 0)
      continue; /* a harness without regressions yet */
    test_report(n > 0 && fuzz_violations == before, name, "%d inputs, %d invariants broken", n,
                fuzz_violations - before);
  }
}

int main(void) {
  dip_gsl_quiet();
  test_suite("fuzz-replay");
  const char *root = getenv("DIPSCAN_ROOT");
  if (!root || !*root)
    root = ".";
  replay(root, "yamlx", fuzz_yamlx);
  replay(root, "card", fuzz_card);
  replay(root, "config", fuzz_config);
  return test_summary();
}
