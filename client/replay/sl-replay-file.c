/* sl-replay-file.c — see sl-replay-file.h. */
#include "sl-replay-file.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* @path with its extension (if any) replaced by @ext. */
static gchar *
with_extension (const gchar *path, const gchar *ext)
{
  const gchar *dot = strrchr (path, '.');
  const gchar *slash = strrchr (path, '/');
  g_autofree gchar *stem = NULL;

  if (dot == NULL || (slash != NULL && dot < slash))
    return g_strconcat (path, ext, NULL);
  stem = g_strndup (path, dot - path);
  return g_strconcat (stem, ext, NULL);
}

static gboolean
load_sidecar (SlReplayFile *file, GError **error)
{
  g_autofree gchar *data = NULL;
  gsize len;
  g_autoptr (GError) local = NULL;

  if (!g_file_get_contents (file->sidecar_path, &data, &len, &local))
    {
      g_set_error (error, G_FILE_ERROR, local->code,
                   "cannot read the recording's sidecar: %s", local->message);
      return FALSE;
    }
  if (!sl_replay_timeline_load (file->timeline, data, len, &file->skipped_lines,
                                error))
    {
      g_prefix_error (error, "%s: ", file->sidecar_path);
      return FALSE;
    }
  return TRUE;
}

SlReplayFile *
sl_replay_file_open (const gchar *path, GError **error)
{
  g_autoptr (SlReplayFile) file = g_new0 (SlReplayFile, 1);
  g_autoptr (GMappedFile) map = NULL;
  g_autoptr (GError) local = NULL;

  if (g_str_has_suffix (path, ".jsonl"))
    {
      file->sidecar_path = g_strdup (path);
      file->mkv_path = with_extension (path, ".mkv");
    }
  else
    {
      file->mkv_path = g_strdup (path);
      file->sidecar_path = with_extension (path, ".jsonl");
    }
  map = g_mapped_file_new (file->mkv_path, FALSE, &local);
  if (map == NULL)
    {
      g_set_error (error, G_FILE_ERROR, local->code,
                   "cannot read the recording: %s", local->message);
      return NULL;
    }
  if (!sl_replay_mkv_scan ((const guint8 *)g_mapped_file_get_contents (map),
                           g_mapped_file_get_length (map), &file->info, error))
    {
      g_prefix_error (error, "%s: ", file->mkv_path);
      return NULL;
    }
  if (file->info.first_video_ms < 0)
    {
      g_set_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_EMPTY,
                   "%s: the recording holds no picture", file->mkv_path);
      return NULL;
    }
  file->timeline = sl_replay_timeline_new ();
  if (!load_sidecar (file, error))
    return NULL;
  return g_steal_pointer (&file);
}

void
sl_replay_file_free (SlReplayFile *file)
{
  if (file == NULL)
    return;
  g_free (file->mkv_path);
  g_free (file->sidecar_path);
  g_free (file->station);
  sl_replay_mkv_info_clear (&file->info);
  g_clear_pointer (&file->timeline, sl_replay_timeline_free);
  g_free (file);
}

gint64
sl_replay_file_start_ms (const SlReplayFile *file)
{
  return file->info.first_video_ms;
}

gint64
sl_replay_file_end_ms (const SlReplayFile *file)
{
  return file->info.last_video_ms;
}

/* TRUE if the file at @fd is empty or ends with a newline. */
static gboolean
ends_with_newline (int fd)
{
  char last;
  off_t end = lseek (fd, 0, SEEK_END);

  if (end <= 0)
    return TRUE;
  return pread (fd, &last, 1, end - 1) == 1 && last == '\n';
}

gboolean
sl_replay_file_add_note (SlReplayFile *file, gint64 t_ms, const gchar *text,
                         GError **error)
{
  SlRecordEvent event = { .type = SL_RECORD_EVENT_NOTE, .t_ms = t_ms };
  g_autofree gchar *line = NULL;
  g_autofree gchar *whole = NULL;
  gsize len;
  ssize_t n;
  int fd;

  if (!sl_replay_note_text_is_valid (text, error))
    return FALSE;
  event.text = (gchar *)text;
  line = sl_record_event_to_line (&event);
  fd = g_open (file->sidecar_path, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot add the note to %s: %s", file->sidecar_path,
                   g_strerror (saved));
      return FALSE;
    }
  whole = g_strconcat (ends_with_newline (fd) ? "" : "\n", line, "\n", NULL);
  len = strlen (whole);
  n = write (fd, whole, len);
  if (n != (ssize_t)len || fdatasync (fd) != 0)
    {
      int saved = n < 0 || n == (ssize_t)len ? errno : ENOSPC;

      close (fd);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot add the note to %s: %s", file->sidecar_path,
                   g_strerror (saved));
      return FALSE;
    }
  if (close (fd) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot add the note to %s: %s", file->sidecar_path,
                   g_strerror (saved));
      return FALSE;
    }
  return sl_replay_timeline_add (file->timeline, &event, error);
}
