/* sl-record-sidecar.h — the recording's JSON Lines sidecar and timeline.
 *
 * Beside every recording FILE.mkv a station writes FILE.jsonl: one JSON
 * object a line, each line complete before the next begins (a crash
 * loses at most the line being written).  docs/recording.md, THE
 * SIDECAR, specifies the fields; this core writes and reads them.  The
 * same lines, one per block, form the Matroska file's guidance track.
 *
 * The timeline (SlRecordTimeline) maps a guidance message's media time
 * (the township's capture time, docs/guidance.md) to the recording's
 * time of the recorded picture with that media time, from the pairs the
 * recorder notes for the pictures it writes.
 *
 * Plain C with GLib and json-glib; not thread-safe (one caller at a time).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SL_RECORD_SIDECAR_VERSION 1

#define SL_RECORD_ERROR (sl_record_error_quark ())
GQuark sl_record_error_quark (void);

typedef enum
{
  SL_RECORD_ERROR_PARSE, /* a sidecar line that is not ours */
  SL_RECORD_ERROR_IO,    /* the directory or the disk refused */
  SL_RECORD_ERROR_FORBIDDEN,
} SlRecordError;

typedef enum
{
  SL_RECORD_EVENT_RECORDING, /* the first line: who records, what */
  SL_RECORD_EVENT_GUIDE,     /* a guidance message sent or received */
  SL_RECORD_EVENT_STILL,     /* a still saved beside the recording */
  SL_RECORD_EVENT_STOP,      /* the recording ended on purpose */
  SL_RECORD_EVENT_NOTE,      /* a reviewer's note, added after the fact */
} SlRecordEventType;

/* The longest text field a reader accepts (a still's path, a peer id). */
#define SL_RECORD_MAX_TEXT 1024

/* One line.  Times are ms; -1 where a field does not apply or is
 * unknown.  Strings are owned by the event (sl_record_event_clear). */
typedef struct
{
  SlRecordEventType type;
  gint64 t_ms;     /* when, on the recording's timeline */
  gint64 frame_ms; /* the recorded picture it refers to */
  gint64 media_ms; /* the media time it names (guidance) */
  gboolean sent;   /* GUIDE: sent by this station, else received */
  gchar *peer;     /* GUIDE: the other station's id */
  gchar *msg;      /* GUIDE: the message as on the wire (a JSON object) */
  gchar *path;     /* STILL: the file, relative to the recording's folder */
  gchar *station;  /* RECORDING: "township" or "expert" */
  gchar *file;     /* RECORDING: the Matroska file's name */
  gchar *started;  /* RECORDING: ISO 8601 UTC wall-clock start */
  guint64 frames;  /* STOP: video frames written */
  gchar *text;     /* NOTE: the note, one line of UTF-8 */
} SlRecordEvent;

void sl_record_event_clear (SlRecordEvent *event);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SlRecordEvent, sl_record_event_clear)

/* Returns (transfer full) @event as one line, without the newline; NULL
 * if a GUIDE event's msg is not a JSON object. */
gchar *sl_record_event_to_line (const SlRecordEvent *event);

/* Parses one line of @len bytes (need not be NUL-terminated; no newline)
 * into @out, which must be zeroed or cleared.  Returns FALSE with @error
 * (SL_RECORD_ERROR_PARSE) for anything that is not a line of version
 * SL_RECORD_SIDECAR_VERSION; @out is then left clear. */
gboolean sl_record_event_parse (const gchar *line, gsize len,
                                SlRecordEvent *out, GError **error);

/* ---- the timeline ---- */

#define SL_RECORD_TIMELINE_SIZE 256

typedef struct
{
  gint64 media_ms[SL_RECORD_TIMELINE_SIZE];
  gint64 t_ms[SL_RECORD_TIMELINE_SIZE];
  guint n, next;
} SlRecordTimeline;

void sl_record_timeline_init (SlRecordTimeline *tl);
/* Notes that the picture of media time @media_ms was recorded at @t_ms. */
void sl_record_timeline_add (SlRecordTimeline *tl, gint64 media_ms,
                             gint64 t_ms);
/* The recording time of the noted picture whose media time is closest to
 * @media_ms; -1 if none is noted or the closest is more than @tolerance_ms
 * away. */
gint64 sl_record_timeline_frame_for (const SlRecordTimeline *tl,
                                     gint64 media_ms, gint64 tolerance_ms);

G_END_DECLS
