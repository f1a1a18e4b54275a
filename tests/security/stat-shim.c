/* stat-shim.c — makes a web-root FIFO look like a regular file to stat().
 *
 * Preloaded into sonolink-hub by test_web_fifo.py, so that the race of
 * issue 14 (a file swapped for a FIFO between the hub's check and its
 * read) happens on every request instead of once in a while: stat() of a
 * path ending in "/swapped.html" reports a small regular file while the
 * path is in fact a FIFO.  A hub that trusts its stat() and then opens
 * the path blocks on the FIFO; one that opens non-blocking and checks the
 * descriptor it got does not.
 */
/* Both entry points are defined here, each with its own struct: the
 * build's 64-bit offsets would turn stat() into a second stat64(). */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <string.h>
#include <sys/stat.h>

/* TRUE when @path's stat must lie: a FIFO named swapped.html. */
static int
swapped (const char *path, int r, mode_t mode)
{
  static const char suffix[] = "/swapped.html";
  size_t n = strlen (path), k = sizeof suffix - 1;

  return r == 0 && n >= k && strcmp (path + n - k, suffix) == 0
         && S_ISFIFO (mode);
}

int
stat (const char *restrict path, struct stat *restrict st)
{
  static int (*real) (const char *, struct stat *);

  int r;

  if (real == NULL)
    *(void **)&real = dlsym (RTLD_NEXT, "stat");
  r = real (path, st);
  if (swapped (path, r, st->st_mode))
    {
      st->st_mode = (st->st_mode & ~S_IFMT) | S_IFREG;
      st->st_size = 16;
    }
  return r;
}

/* What the hub calls, built with 64-bit file offsets. */
int
stat64 (const char *restrict path, struct stat64 *restrict st)
{
  static int (*real) (const char *, struct stat64 *);
  int r;

  if (real == NULL)
    *(void **)&real = dlsym (RTLD_NEXT, "stat64");
  r = real (path, st);
  if (swapped (path, r, st->st_mode))
    {
      st->st_mode = (st->st_mode & ~S_IFMT) | S_IFREG;
      st->st_size = 16;
    }
  return r;
}
