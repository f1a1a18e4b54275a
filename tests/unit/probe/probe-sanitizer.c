/* probe-sanitizer.c — sanitizer defaults for the probe tests and bench.
 *
 * These tests load many GStreamer plugins.  GLib deliberately drops its
 * old quark table when it grows (lookups stay lock-free), and some plugin
 * libraries allocate in their static constructors and never free; both
 * happen in library initialisers (_dl_init).  LeakSanitizer can only see
 * that with full stack unwinding, as Debian's libraries have no frame
 * pointers.  The hooks below add to whatever ASAN_OPTIONS and
 * LSAN_OPTIONS the run sets; they do nothing in a build without
 * sanitizers.
 */
const char *__asan_default_options (void);
const char *__lsan_default_suppressions (void);

const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}

const char *
__lsan_default_suppressions (void)
{
  return "leak:_dl_init\n";
}
