/* test-machine.c — machine profiles (probe-adapter/machine/sl-machine.c):
 * parsing, every refusal a person can meet with its message, masking a
 * frame in memory and the spacing and rectangles after crop and scale. */
#include "sl-machine.h"

#include <glib/gstdio.h>
#include <string.h>

static SlMachineProfile *
parse (const gchar *text, GError **error)
{
  return sl_machine_profile_parse (text, strlen (text), error);
}

static void
test_full (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SlMachineProfile) p
      = parse ("{\"machine\": \"Scanner X, convex\", \"frame\": [1280, 720],"
               " \"image\": [256, 32, 792, 632],"
               " \"masks\": [[256, 32, 400, 40], [900, 600, 148, 64]],"
               " \"mm_per_px\": 0.25}",
               &error);

  g_assert_no_error (error);
  g_assert_cmpstr (p->name, ==, "Scanner X, convex");
  g_assert_cmpuint (p->frame_width, ==, 1280);
  g_assert_cmpuint (p->frame_height, ==, 720);
  g_assert_cmpuint (p->image.x, ==, 256);
  g_assert_cmpuint (p->image.y, ==, 32);
  g_assert_cmpuint (p->image.width, ==, 792);
  g_assert_cmpuint (p->image.height, ==, 632);
  g_assert_cmpuint (p->n_masks, ==, 2);
  g_assert_cmpuint (p->masks[1].x, ==, 900);
  g_assert_cmpuint (p->masks[1].height, ==, 64);
  g_assert_cmpfloat (p->mm_per_px, ==, 0.25);
}

static void
test_minimal (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SlMachineProfile) p = parse ("{\"frame\": [640, 480]}", &error);

  g_assert_no_error (error);
  g_assert_null (p->name);
  /* No "image": the whole frame; no spacing: unknown. */
  g_assert_cmpuint (p->image.x, ==, 0);
  g_assert_cmpuint (p->image.width, ==, 640);
  g_assert_cmpuint (p->image.height, ==, 480);
  g_assert_cmpuint (p->n_masks, ==, 0);
  g_assert_cmpfloat (p->mm_per_px, ==, 0);
}

/* Each bad profile, the error code and a piece of the message that tells
 * the person what to fix. */
static void
test_refused (void)
{
  static const struct
  {
    const gchar *text;
    gint code;
    const gchar *says;
  } cases[] = {
    { "", SL_MACHINE_ERROR_SYNTAX, "not a JSON profile" },
    { "{\"frame\": [640, 480],}", SL_MACHINE_ERROR_SYNTAX, "not a JSON" },
    { "[640, 480]", SL_MACHINE_ERROR_SYNTAX, "one JSON object" },
    { "{\"frame\": [640, 480], \"frame\": [640, 480]}", SL_MACHINE_ERROR_SYNTAX,
      "not a JSON profile" },
    { "{\"frame\": [640, 480], \"maks\": []}", SL_MACHINE_ERROR_MEMBER,
      "unknown member \"maks\"" },
    { "{}", SL_MACHINE_ERROR_MEMBER, "\"frame\" [width, height] is missing" },
    { "{\"frame\": [640]}", SL_MACHINE_ERROR_MEMBER, "array of 2 integers" },
    { "{\"frame\": [640.5, 480]}", SL_MACHINE_ERROR_MEMBER, "integers" },
    { "{\"frame\": [641, 480]}", SL_MACHINE_ERROR_VALUE, "must be even" },
    { "{\"frame\": [4000, 480]}", SL_MACHINE_ERROR_VALUE, "up to 1920x1080" },
    { "{\"frame\": [640, 480], \"image\": [0, 0, 642, 480]}",
      SL_MACHINE_ERROR_VALUE, "reaches outside the 640x480 frame" },
    { "{\"frame\": [640, 480], \"image\": [-2, 0, 100, 100]}",
      SL_MACHINE_ERROR_MEMBER, "integers from 0 up" },
    { "{\"frame\": [640, 480], \"image\": [1, 0, 100, 100]}",
      SL_MACHINE_ERROR_VALUE, "even x, y, width and height" },
    { "{\"frame\": [640, 480], \"image\": [0, 0, 32, 100]}",
      SL_MACHINE_ERROR_VALUE, "too small" },
    { "{\"frame\": [640, 480], \"image\": [0, 0, 0, 100]}",
      SL_MACHINE_ERROR_VALUE, "zero width or height" },
    { "{\"frame\": [640, 480], \"masks\": [[600, 0, 50, 10]]}",
      SL_MACHINE_ERROR_VALUE, "\"masks\"[0] [600, 0, 50, 10] reaches outside" },
    { "{\"frame\": [640, 480], \"masks\": [[4294967295, 0, 2, 2]]}",
      SL_MACHINE_ERROR_MEMBER, "integers" },
    { "{\"frame\": [640, 480], \"masks\": {\"x\": 1}}", SL_MACHINE_ERROR_MEMBER,
      "array of [x, y, width, height]" },
    { "{\"frame\": [640, 480], \"image\": [100, 100, 200, 200],"
      " \"masks\": [[0, 0, 50, 50]]}",
      SL_MACHINE_ERROR_VALUE, "lies outside \"image\"" },
    { "{\"frame\": [640, 480], \"image\": [100, 100, 200, 200],"
      " \"masks\": [[90, 90, 220, 220]]}",
      SL_MACHINE_ERROR_VALUE, "covers the whole \"image\"" },
    { "{\"frame\": [640, 480], \"masks\": [[0, 0, 100, 20], [10, 5, 20, 5]]}",
      SL_MACHINE_ERROR_VALUE, "one lies inside the other" },
    { "{\"frame\": [640, 480], \"masks\": [[0, 0, 100, 20], [0, 0, 100, 20]]}",
      SL_MACHINE_ERROR_VALUE, "one lies inside the other" },
    { "{\"frame\": [640, 480], \"mm_per_px\": 0}", SL_MACHINE_ERROR_VALUE,
      "not a pixel spacing" },
    { "{\"frame\": [640, 480], \"mm_per_px\": -0.2}", SL_MACHINE_ERROR_VALUE,
      "not a pixel spacing" },
    { "{\"frame\": [640, 480], \"mm_per_px\": 11}", SL_MACHINE_ERROR_VALUE,
      "not a pixel spacing" },
    { "{\"frame\": [640, 480], \"mm_per_px\": \"0.2\"}",
      SL_MACHINE_ERROR_MEMBER, "must be a number" },
    { "{\"frame\": [640, 480], \"machine\": 3}", SL_MACHINE_ERROR_MEMBER,
      "\"machine\" must be a string" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SlMachineProfile) p = parse (cases[i].text, &error);

      if (p != NULL || !g_error_matches (error, SL_MACHINE_ERROR, cases[i].code)
          || strstr (error->message, cases[i].says) == NULL)
        g_error ("case %u (%s): %s", i, cases[i].text,
                 error ? error->message : "accepted");
    }
}

static void
test_too_many_masks (void)
{
  g_autoptr (GString) s
      = g_string_new ("{\"frame\": [1280, 720], \"masks\": [");
  g_autoptr (GError) error = NULL;
  g_autoptr (SlMachineProfile) p = NULL;

  for (guint i = 0; i <= SL_MACHINE_MAX_MASKS; i++)
    g_string_append_printf (s, "%s[%u, 0, 10, 10]", i ? ", " : "", i * 20);
  g_string_append (s, "]}");
  p = parse (s->str, &error);
  g_assert_error (error, SL_MACHINE_ERROR, SL_MACHINE_ERROR_VALUE);
  g_assert_nonnull (strstr (error->message, "at most 32"));
}

static void
test_load (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("sl-machine-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "bad.json", NULL);
  g_autofree gchar *missing = g_build_filename (dir, "none.json", NULL);
  g_autoptr (SlMachineProfile) p = NULL;

  g_assert_true (g_file_set_contents (path,
                                      "{\"frame\": [640, 480], "
                                      "\"mm_per_px\": -1}",
                                      -1, NULL));
  p = sl_machine_profile_load (path, &error);
  g_assert_null (p);
  g_assert_error (error, SL_MACHINE_ERROR, SL_MACHINE_ERROR_VALUE);
  /* The message starts with the file, so the person knows which. */
  g_assert_true (g_str_has_prefix (error->message, path));
  g_clear_error (&error);
  p = sl_machine_profile_load (missing, &error);
  g_assert_error (error, SL_MACHINE_ERROR, SL_MACHINE_ERROR_FILE);
  g_remove (path);
  g_rmdir (dir);
}

/* The masks are filled exactly, chroma rounded outward, and nothing
 * else is touched. */
static void
test_mask_i420 (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SlMachineProfile) p
      = parse ("{\"frame\": [64, 64], \"masks\": [[3, 5, 10, 7]]}", &error);
  enum
  {
    W = 64,
    H = 64,
    CW = 32,
    CH = 32,
    PAD = 8
  };
  guint8 y[(W + PAD) * H], u[(CW + PAD) * CH], v[(CW + PAD) * CH];
  guint8 *planes[3] = { y, u, v };
  const gint strides[3] = { W + PAD, CW + PAD, CW + PAD };

  g_assert_no_error (error);
  memset (y, 200, sizeof y);
  memset (u, 60, sizeof u);
  memset (v, 70, sizeof v);
  sl_machine_mask_i420 (p, planes, strides);
  for (guint r = 0; r < H; r++)
    for (guint c = 0; c < W + PAD; c++)
      {
        gboolean in = c >= 3 && c < 13 && r >= 5 && r < 12;

        g_assert_cmpuint (y[r * (W + PAD) + c], ==,
                          in ? SL_MACHINE_FILL_Y : 200);
      }
  /* Luma columns 3..12 and rows 5..11: chroma columns 1..6, rows 2..5. */
  for (guint r = 0; r < CH; r++)
    for (guint c = 0; c < CW + PAD; c++)
      {
        gboolean in = c >= 1 && c < 7 && r >= 2 && r < 6;

        g_assert_cmpuint (u[r * (CW + PAD) + c], ==,
                          in ? SL_MACHINE_FILL_UV : 60);
        g_assert_cmpuint (v[r * (CW + PAD) + c], ==,
                          in ? SL_MACHINE_FILL_UV : 70);
      }
}

/* Scaled to fit with borders: the spacing follows the crop and the scale,
 * and rectangles land where videoscale add-borders puts them. */
static void
test_output_geometry (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SlMachineProfile) p
      = parse ("{\"frame\": [1280, 720], \"image\": [240, 40, 800, 600],"
               " \"masks\": [[200, 40, 240, 40]], \"mm_per_px\": 0.2}",
               &error);
  g_autoptr (SlMachineProfile) unknown
      = parse ("{\"frame\": [1280, 720]}", &error);
  SlMachineRect r, outside = { 0, 0, 100, 30 };

  g_assert_no_error (error);
  /* 800x600 into 640x360: height fills (scale 0.6), 480 wide, centred. */
  g_assert_cmpfloat_with_epsilon (sl_machine_output_mm_per_px (p, 0, 640, 360),
                                  0.2 / 0.6, 1e-12);
  /* Into 800x600 itself: unchanged. */
  g_assert_cmpfloat (sl_machine_output_mm_per_px (p, 0, 800, 600), ==, 0.2);
  /* Into 1600x900: the height fills again (scale 1.5). */
  g_assert_cmpfloat_with_epsilon (sl_machine_output_mm_per_px (p, 0, 1600, 900),
                                  0.2 / 1.5, 1e-12);
  /* No spacing in the profile: the adapter's, scaled the same way. */
  g_assert_cmpfloat (sl_machine_output_mm_per_px (unknown, 0, 640, 360), ==, 0);
  g_assert_cmpfloat_with_epsilon (
      sl_machine_output_mm_per_px (unknown, 0.5, 640, 360), 0.5 * 2, 1e-12);
  /* The mask, clipped to the image (240..440 x 40..80), at 0.6 from
   * (80, 0). */
  sl_machine_output_rect (p, &p->masks[0], 640, 360, &r);
  g_assert_cmpuint (r.x, ==, 80);
  g_assert_cmpuint (r.y, ==, 0);
  g_assert_cmpuint (r.width, ==, 120);
  g_assert_cmpuint (r.height, ==, 24);
  sl_machine_output_rect (p, &outside, 640, 360, &r);
  g_assert_cmpuint (r.width, ==, 0);
  g_assert_cmpuint (r.height, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/machine/full", test_full);
  g_test_add_func ("/machine/minimal", test_minimal);
  g_test_add_func ("/machine/refused", test_refused);
  g_test_add_func ("/machine/too-many-masks", test_too_many_masks);
  g_test_add_func ("/machine/load", test_load);
  g_test_add_func ("/machine/mask-i420", test_mask_i420);
  g_test_add_func ("/machine/output-geometry", test_output_geometry);
  return g_test_run ();
}
