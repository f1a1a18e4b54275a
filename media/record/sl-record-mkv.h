/* sl-record-mkv.h — a recording's Matroska bytes, without any I/O.
 *
 * The writer turns what a station records — H.264 access units, Opus
 * packets and guidance lines — into a streamable Matroska file
 * (docs/recording.md, THE FILE): an EBML header, a Segment of unknown
 * size, the Info and Tracks, then Clusters of about @cluster_ms each.  A
 * cluster is handed out whole, with its size known, once it is complete,
 * so a file cut short by a crash ends at a cluster boundary and plays up
 * to there.
 *
 * The tracks are fixed: 1 the probe video (V_MPEG4/ISO/AVC), 2 the
 * township's voice, 3 the expert's voice (A_OPUS), 4 the guidance events
 * (S_TEXT/UTF8, one JSON object per block).  The header goes out with the
 * first video keyframe that carries its SPS and PPS (the avcC of the
 * track comes from them); anything offered before it is dropped.  Every
 * keyframe carries the SPS and PPS in force, in band (its own, or the
 * last ones seen), so a decoder can start at any keyframe, and a change
 * of picture size needs neither a new track nor a new file: decoders take
 * the new SPS as it comes (matroskamux refuses exactly that caps change,
 * hence this writer).
 *
 * Not thread-safe: one caller at a time (sl-recorder.c holds a lock).
 * Times are milliseconds on the recording's timeline and must not go
 * backwards by more than a cluster.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SL_RECORD_TRACK_VIDEO = 1,
  SL_RECORD_TRACK_VOICE_TOWNSHIP = 2,
  SL_RECORD_TRACK_VOICE_EXPERT = 3,
  SL_RECORD_TRACK_GUIDE = 4,
} SlRecordTrack;

/* How the access units of the video are framed. */
typedef enum
{
  SL_RECORD_H264_BYTE_STREAM, /* Annex B start codes */
  SL_RECORD_H264_AVC,         /* big-endian length prefixes */
} SlRecordH264Format;

typedef struct _SlRecordMkv SlRecordMkv;

/* A writer whose clusters last about @cluster_ms (100 .. 30000). */
SlRecordMkv *sl_record_mkv_new (guint cluster_ms);
void sl_record_mkv_free (SlRecordMkv *mkv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlRecordMkv, sl_record_mkv_free)

/* The avcC of a stream in SL_RECORD_H264_AVC framing (its caps'
 * codec_data): the length of its NAL prefixes, and the SPS and PPS,
 * which that framing carries out of band.  They go in band before every
 * keyframe that has none of its own, until others come (a new avcC, or
 * an access unit that carries them).  FALSE (nothing changed) for bytes
 * that are not a valid avcC. */
gboolean sl_record_mkv_set_avcc (SlRecordMkv *mkv, const guint8 *data,
                                 gsize len);

/* Adds one access unit of @len bytes at @t_ms.  @width and @height (0:
 * unknown) fill the track header.  Whatever became ready to write (the header, a finished
 * cluster) is appended to @out.  Returns FALSE, adding nothing, for an
 * access unit that is not valid H.264 framing or comes before the first
 * keyframe with SPS and PPS. */
gboolean sl_record_mkv_add_video (SlRecordMkv *mkv, const guint8 *data,
                                  gsize len, SlRecordH264Format format,
                                  guint width, guint height, gint64 t_ms,
                                  GByteArray *out);

/* Adds one Opus packet to a voice track.  FALSE if the header is not out
 * yet or @len is 0 (a lost packet's placeholder). */
gboolean sl_record_mkv_add_voice (SlRecordMkv *mkv, SlRecordTrack track,
                                  const guint8 *data, gsize len, gint64 t_ms,
                                  GByteArray *out);

/* Adds one guidance line (UTF-8, no newline) to the guidance track. */
gboolean sl_record_mkv_add_text (SlRecordMkv *mkv, const gchar *text,
                                 gint64 t_ms, GByteArray *out);

/* Ends the open cluster if it began @cluster_ms or more before @now_ms,
 * so that a quiet recording still reaches the disk. */
void sl_record_mkv_cut_if_due (SlRecordMkv *mkv, gint64 now_ms,
                               GByteArray *out);

/* After the caller dropped a cluster it was handed (the disk did not
 * keep up, sl-record-backlog.h): drops the open cluster too and takes no
 * video until the next keyframe, which goes out with the newest SPS and
 * PPS, so that the pictures after the gap decode.  Voice and guidance go
 * on at once. */
void sl_record_mkv_skip_to_keyframe (SlRecordMkv *mkv);

/* Ends the open cluster whatever its age (at the end of a recording). */
void sl_record_mkv_finish (SlRecordMkv *mkv, GByteArray *out);

/* Counts what went into the file so far. */
guint64 sl_record_mkv_video_frames (SlRecordMkv *mkv);
gboolean sl_record_mkv_started (SlRecordMkv *mkv);

/* The codec private data of the video track (ISO 14496-15 avcC) for one
 * SPS and one PPS, NAL headers included.  Exposed for the tests. */
GByteArray *sl_record_avcc_new (const guint8 *sps, gsize sps_len,
                                const guint8 *pps, gsize pps_len);

G_END_DECLS
