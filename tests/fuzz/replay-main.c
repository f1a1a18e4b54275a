/* replay-main.c — runs fuzz corpora through a fuzz target, without
 * libFuzzer.
 *
 * Arguments are files or directories (whose regular files are read, not
 * recursively).  Each input is copied into a buffer of exactly its size,
 * as libFuzzer does, so a sanitizer build catches over-reads.  Fails if
 * no input was found, so a mistyped corpus path cannot pass silently.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "sl-fuzz.h"

static gboolean
run_file (const gchar *path, guint *count)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *contents = NULL;
  g_autofree guint8 *exact = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      fprintf (stderr, "replay: %s\n", error->message);
      return FALSE;
    }
  exact = g_malloc (len ? len : 1);
  memcpy (exact, contents, len);
  LLVMFuzzerTestOneInput (exact, len);
  (*count)++;
  return TRUE;
}

static gboolean
run_path (const gchar *path, guint *count)
{
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) names = NULL;
  const gchar *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return run_file (path, count);
  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return FALSE;
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_build_filename (path, name, NULL));
  for (guint i = 0; i < names->len; i++)
    if (g_file_test (names->pdata[i], G_FILE_TEST_IS_REGULAR)
        && !run_file (names->pdata[i], count))
      return FALSE;
  return TRUE;
}

int
main (int argc, char **argv)
{
  guint count = 0;

  for (int i = 1; i < argc; i++)
    if (!run_path (argv[i], &count))
      return 1;
  if (count == 0)
    {
      fprintf (stderr, "replay: no corpus input found\n");
      return 1;
    }
  printf ("replayed %u inputs\n", count);
  return 0;
}
