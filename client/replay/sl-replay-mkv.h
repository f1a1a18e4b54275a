/* sl-replay-mkv.h — what a recording's Matroska file holds, in one pass.
 *
 * Before it plays or exports a recording, sonolink-replay needs to know
 * what GStreamer cannot tell it about a streamable file: how long it is
 * (the file has no Duration and no Cues, docs/recording.md), where its
 * pictures start and end, and which of its tracks hold any block at all
 * (a voice track may hold none, and a pipeline that waits for its first
 * buffer would wait for ever).  This core walks the file's EBML
 * elements — the header, the Segment of unknown size, its Clusters and
 * their SimpleBlocks — without decoding anything.
 *
 * The bytes come from a file the user names, which may be cut short by
 * a crash or be anything at all, so every size is checked against what
 * is left: a cut element ends the scan (what came before counts), and
 * bytes that are not our Matroska give a clear error.  Fuzzed
 * (tests/fuzz/fuzz-replay-mkv.c).  Pure: any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SL_REPLAY_ERROR (sl_replay_error_quark ())
GQuark sl_replay_error_quark (void);

typedef enum
{
  SL_REPLAY_ERROR_NOT_RECORDING, /* the file is not a sonolink recording */
  SL_REPLAY_ERROR_EMPTY,         /* a recording with no picture in it */
  SL_REPLAY_ERROR_RANGE,         /* a time outside the recording */
  SL_REPLAY_ERROR_NOTE,          /* a note that cannot be read */
  SL_REPLAY_ERROR_IO,            /* a file that cannot be read or written */
} SlReplayError;

/* Tracks 1 .. 4 (sl-record-mkv.h: video, two voices, guidance). */
#define SL_REPLAY_MAX_TRACK 4

typedef struct
{
  guint64 blocks[SL_REPLAY_MAX_TRACK + 1]; /* SimpleBlocks per track */
  gint64 first_video_ms, last_video_ms;    /* -1: no picture */
  gint64 last_ms;                          /* the newest block of any track */
  guint64 keyframes;
  guint clusters;
  gboolean cut; /* the file ends inside an element (a crash) */
  /* gint64: the times of the keyframes a decoder can start at, in
   * order (those whose SPS and PPS are known there, see
   * sl-replay-mkv.c). */
  GArray *keyframe_ms;
  /* gint64: when an SPS other than the one in force came (a new picture
   * size); the same SPS again, as every keyframe carries it, is not one. */
  GArray *sps_ms;
  GArray *video_ms; /* gint64: every picture's time, in order */
} SlReplayMkvInfo;

void sl_replay_mkv_info_clear (SlReplayMkvInfo *info);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SlReplayMkvInfo, sl_replay_mkv_info_clear)

/* The time of the last keyframe at or before @t_ms (the first keyframe
 * when none is). */
gint64 sl_replay_mkv_keyframe_before (const SlReplayMkvInfo *info, gint64 t_ms);

/* The time of the first picture after @t_ms, or of the last before it
 * (@after FALSE); -1 when there is none. */
gint64 sl_replay_mkv_picture_next (const SlReplayMkvInfo *info, gint64 t_ms,
                                   gboolean after);

/* Scans @len bytes of a recording.  Returns FALSE with @error
 * (SL_REPLAY_ERROR_NOT_RECORDING) if they do not begin with an EBML
 * header of DocType "matroska" followed by a Segment.  Clear @out with
 * sl_replay_mkv_info_clear() either way. */
gboolean sl_replay_mkv_scan (const guint8 *data, gsize len,
                             SlReplayMkvInfo *out, GError **error);

G_END_DECLS
