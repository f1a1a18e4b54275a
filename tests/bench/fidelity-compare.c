/* fidelity-compare.c — luma PSNR and SSIM of received pictures against the
 * source frames they came from, for tests/bench/fidelity.py.
 *
 * Both inputs are raw I420 files of one size, in GStreamer's layout: SOURCE holds the clip's
 * frames exactly as the township's file: probe makes them (decoded,
 * converted and scaled by the same elements), TEST the pictures to judge,
 * in the order they were shown.  Only the luma plane inside RECT (the
 * picture area: a letterboxed clip's image without its black bars) is
 * compared, with the engine's own measures (sl-fidelity.h).
 *
 * With --aligned, test frame i is source frame i modulo the clip's length
 * (an offline encode of the same frames).  Otherwise the pictures came
 * through the stations: the probe loops the clip, the engine may drop
 * frames (a full queue, a lower frame rate on a narrow link) and the
 * session starts anywhere in the clip.  Each picture is matched to the
 * source frame that follows the previous match by one to WINDOW frames
 * and resembles it most; the first picture, and any picture whose best
 * match in that window is over RESYNC_DB worse than its best match in the
 * whole clip (the clip looped, or frames were lost), is matched against
 * the whole clip instead and counted as a resync.  The search compares
 * every eighth row only, which is enough to tell moving speckle apart;
 * the reported figures use every pixel of the chosen frame.
 *
 *   sl-bench-fidelity-compare --size WxH [--rect X,Y,W,H] [--aligned]
 *                             [--skip N] [--log FILE] SOURCE.i420 TEST.i420
 *
 * Prints one JSON object: frames compared, mean PSNR (dB, the mean of the
 * per-frame values, as x264 reports it), mean SSIM, the worst frame's
 * PSNR and the number of resyncs.  --log writes one line per compared
 * picture: "TEST_INDEX SOURCE_INDEX PSNR SSIM".  Exit status 2 on bad arguments, 1 on
 * unreadable or inconsistent files.
 */
#include "sl-fidelity.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#define GST_ROUND_UP_4(n) (((n) + 3) & ~3u)

/* Frames searched after the previous match. */
#define WINDOW 8
/* A window match this much worse than the clip's best is a resync. */
#define RESYNC_DB 1.0
/* Rows compared by the search: one in SEARCH_ROW_STEP. */
#define SEARCH_ROW_STEP 8

typedef struct
{
  guint width, height;
  guint rx, ry, rw, rh;
  guint stride; /* of the luma plane */
  gsize frame_size;
} Geometry;

typedef struct
{
  GMappedFile *file;
  const guint8 *data;
  guint n_frames;
} Frames;

static gboolean
frames_open (Frames *f, const gchar *path, const Geometry *g, GError **error)
{
  f->file = g_mapped_file_new (path, FALSE, error);
  if (f->file == NULL)
    return FALSE;
  f->data = (const guint8 *)g_mapped_file_get_contents (f->file);
  f->n_frames = g_mapped_file_get_length (f->file) / g->frame_size;
  return TRUE;
}

static const guint8 *
luma_area (const Frames *f, const Geometry *g, guint index)
{
  return f->data + (gsize)index * g->frame_size + (gsize)g->ry * g->stride
         + g->rx;
}

/* PSNR over every SEARCH_ROW_STEP-th row of the picture area. */
static gdouble
search_psnr (const guint8 *a, const guint8 *b, const Geometry *g)
{
  gint stride = (gint)g->stride * SEARCH_ROW_STEP;

  return sl_fidelity_psnr (a, stride, b, stride, g->rw,
                           MAX (1, g->rh / SEARCH_ROW_STEP));
}

/* The source frame most like @test among @count frames from @first
 * (modulo the clip); its search PSNR in @best_db. */
static guint
best_match (const Frames *src, const Geometry *g, const guint8 *test,
            guint first, guint count, gdouble *best_db)
{
  guint i, best = first % src->n_frames;

  *best_db = -1;
  for (i = 0; i < count; i++)
    {
      guint k = (first + i) % src->n_frames;
      gdouble db = search_psnr (luma_area (src, g, k), test, g);

      if (db > *best_db)
        {
          *best_db = db;
          best = k;
        }
    }
  return best;
}

static gboolean
parse_args (int argc, char **argv, Geometry *g, gboolean *aligned, guint *skip,
            gchar **paths, gchar **log)
{
  g_autofree gchar *size = NULL, *rect = NULL;
  gint skip_frames = 0;
  gboolean al = FALSE;
  const GOptionEntry entries[] = {
    { "size", 0, 0, G_OPTION_ARG_STRING, &size, "Frame size", "WxH" },
    { "rect", 0, 0, G_OPTION_ARG_STRING, &rect,
      "Picture area compared (default: the whole frame)", "X,Y,W,H" },
    { "aligned", 0, 0, G_OPTION_ARG_NONE, &al,
      "Test frame i is source frame i (offline encodes)", NULL },
    { "skip", 0, 0, G_OPTION_ARG_INT, &skip_frames,
      "Test frames left out at the start (warm-up)", "N" },
    { "log", 0, 0, G_OPTION_ARG_FILENAME, log,
      "One line per compared picture: test and source index, PSNR, SSIM",
      "FILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx
      = g_option_context_new ("SOURCE.i420 TEST.i420");
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("sl-bench-fidelity-compare: %s\n", error->message);
      return FALSE;
    }
  if (argc != 3 || size == NULL
      || sscanf (size, "%ux%u", &g->width, &g->height) != 2 || g->width < 16
      || g->height < 16 || g->width % 2 || g->height % 2 || skip_frames < 0)
    {
      g_printerr ("sl-bench-fidelity-compare: need --size WxH (even, at "
                  "least 16) and two files; see --help\n");
      return FALSE;
    }
  g->rx = g->ry = 0;
  g->rw = g->width;
  g->rh = g->height;
  if (rect != NULL
      && (sscanf (rect, "%u,%u,%u,%u", &g->rx, &g->ry, &g->rw, &g->rh) != 4
          || g->rw < 8 || g->rh < 8 || g->rx + g->rw > g->width
          || g->ry + g->rh > g->height))
    {
      g_printerr ("sl-bench-fidelity-compare: --rect must be X,Y,W,H inside "
                  "the frame, at least 8x8\n");
      return FALSE;
    }
  /* GStreamer's I420 layout (what filesink and rawvideoparse use): each
   * row of each plane padded to a multiple of 4 bytes. */
  g->stride = GST_ROUND_UP_4 (g->width);
  g->frame_size = (gsize)g->stride * g->height
                  + (gsize)GST_ROUND_UP_4 (g->width / 2) * g->height;
  *aligned = al;
  *skip = (guint)skip_frames;
  paths[0] = argv[1];
  paths[1] = argv[2];
  return TRUE;
}

int
main (int argc, char **argv)
{
  Geometry g;
  Frames src = { 0 }, test = { 0 };
  g_autoptr (GError) error = NULL;
  gchar *paths[2];
  g_autofree gchar *log_path = NULL;
  FILE *log = NULL;
  gboolean aligned;
  guint skip, i, n = 0, resyncs = 0, prev = 0;
  gdouble sum_psnr = 0, sum_ssim = 0, min_psnr = SL_FIDELITY_PSNR_IDENTICAL;

  if (!parse_args (argc, argv, &g, &aligned, &skip, paths, &log_path))
    return 2;
  if (log_path != NULL && (log = fopen (log_path, "w")) == NULL)
    {
      g_printerr ("sl-bench-fidelity-compare: cannot write %s\n", log_path);
      return 1;
    }
  if (!frames_open (&src, paths[0], &g, &error)
      || !frames_open (&test, paths[1], &g, &error))
    {
      g_printerr ("sl-bench-fidelity-compare: %s\n", error->message);
      return 1;
    }
  if (src.n_frames == 0)
    {
      g_printerr ("sl-bench-fidelity-compare: %s holds no whole frame\n",
                  paths[0]);
      return 1;
    }
  for (i = 0; i < test.n_frames; i++)
    {
      const guint8 *t = luma_area (&test, &g, i);
      const guint8 *s;
      guint k;
      gdouble psnr, ssim, window_db, clip_db;

      if (aligned)
        k = i % src.n_frames;
      else
        {
          guint whole = best_match (&src, &g, t, 0, src.n_frames, &clip_db);

          k = best_match (&src, &g, t, prev + 1, WINDOW, &window_db);
          if (i == 0 || window_db < clip_db - RESYNC_DB)
            {
              k = whole;
              resyncs += i > 0;
            }
          prev = k;
        }
      if (i < skip)
        continue;
      s = luma_area (&src, &g, k);
      psnr = sl_fidelity_psnr (s, g.stride, t, g.stride, g.rw, g.rh);
      ssim = sl_fidelity_ssim (s, g.stride, t, g.stride, g.rw, g.rh);
      sum_psnr += psnr;
      sum_ssim += ssim;
      min_psnr = MIN (min_psnr, psnr);
      n++;
      if (log != NULL)
        fprintf (log, "%u %u %.3f %.4f\n", i, k, psnr, ssim);
    }
  if (log != NULL)
    fclose (log);
  if (n == 0)
    {
      g_printerr ("sl-bench-fidelity-compare: no frame to compare in %s\n",
                  paths[1]);
      return 1;
    }
  printf ("{\"frames\": %u, \"psnr\": %.3f, \"ssim\": %.4f, "
          "\"psnr_min\": %.3f, \"resyncs\": %u}\n",
          n, sum_psnr / n, sum_ssim / n, min_psnr, resyncs);
  g_mapped_file_unref (src.file);
  g_mapped_file_unref (test.file);
  return 0;
}
