/* sl-machine.c — see sl-machine.h.
 *
 * The file is outside input (it may come with a machine from anywhere), so
 * it goes through the strict JSON check first, as every parser of outside
 * JSON does (media/json/sl-json-check.h), then json-glib builds the tree
 * and every member is read with an explicit type check.  Unknown members
 * are refused rather than ignored: a misspelt "maks" that silently masked
 * nothing would send a patient's name.
 */
#include "sl-machine.h"
#include "sl-json-check.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* G_DEFINE_QUARK makes its first argument the domain's name. */
/* clang-format off */
G_DEFINE_QUARK (sl-machine-error-quark, sl_machine_error)
/* clang-format on */

#define MAX_DEPTH 4
#define MAX_NAME_BYTES 200
#define MAX_FRAME_WIDTH 1920
#define MAX_FRAME_HEIGHT 1080

static const gchar *const known_members[]
    = { "machine", "frame", "image", "masks", "mm_per_px" };

static gboolean fail (GError **error, gint code, const gchar *format, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError **error, gint code, const gchar *format, ...)
{
  va_list args;

  va_start (args, format);
  if (error != NULL)
    *error = g_error_new_valist (SL_MACHINE_ERROR, code, format, args);
  va_end (args);
  return FALSE;
}

/* An integer from 0 to @max in @node; FALSE if it is anything else. */
static gboolean
read_uint (JsonNode *node, guint max, guint *out)
{
  gint64 v;

  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (node);
  if (v < 0 || v > max)
    return FALSE;
  *out = (guint)v;
  return TRUE;
}

/* @n integers in an array, for "frame" ([w, h]) and rectangles
 * ([x, y, w, h]). */
static gboolean
read_uints (JsonNode *node, const gchar *what, guint n, guint *out,
            GError **error)
{
  JsonArray *array;

  if (!JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (array = json_node_get_array (node)) != n)
    return fail (error, SL_MACHINE_ERROR_MEMBER,
                 "%s must be an array of %u integers", what, n);
  for (guint i = 0; i < n; i++)
    if (!read_uint (json_array_get_element (array, i), G_MAXINT32, &out[i]))
      return fail (error, SL_MACHINE_ERROR_MEMBER,
                   "%s must hold integers from 0 up, not %s", what,
                   json_node_type_name (json_array_get_element (array, i)));
  return TRUE;
}

static gboolean
read_rect (JsonNode *node, const gchar *what, const SlMachineProfile *p,
           SlMachineRect *r, GError **error)
{
  guint v[4];

  if (!read_uints (node, what, 4, v, error))
    return FALSE;
  *r = (SlMachineRect){ v[0], v[1], v[2], v[3] };
  if (r->width == 0 || r->height == 0)
    return fail (error, SL_MACHINE_ERROR_VALUE,
                 "%s [x, y, width, height] has a zero width or height", what);
  if ((guint64)r->x + r->width > p->frame_width
      || (guint64)r->y + r->height > p->frame_height)
    return fail (error, SL_MACHINE_ERROR_VALUE,
                 "%s [%u, %u, %u, %u] reaches outside the %ux%u frame", what,
                 r->x, r->y, r->width, r->height, p->frame_width,
                 p->frame_height);
  return TRUE;
}

static gboolean
read_frame (JsonObject *obj, SlMachineProfile *p, GError **error)
{
  guint v[2];

  if (!json_object_has_member (obj, "frame"))
    return fail (error, SL_MACHINE_ERROR_MEMBER,
                 "\"frame\" [width, height] is missing: every rectangle is "
                 "in the frame's pixels");
  if (!read_uints (json_object_get_member (obj, "frame"), "\"frame\"", 2, v,
                   error))
    return FALSE;
  if (v[0] < SL_MACHINE_MIN_IMAGE || v[0] > MAX_FRAME_WIDTH
      || v[1] < SL_MACHINE_MIN_IMAGE || v[1] > MAX_FRAME_HEIGHT || v[0] % 2 != 0
      || v[1] % 2 != 0)
    return fail (error, SL_MACHINE_ERROR_VALUE,
                 "\"frame\" %ux%u is not supported: width and height must be "
                 "even, from %ux%u up to %ux%u",
                 v[0], v[1], SL_MACHINE_MIN_IMAGE, SL_MACHINE_MIN_IMAGE,
                 MAX_FRAME_WIDTH, MAX_FRAME_HEIGHT);
  p->frame_width = v[0];
  p->frame_height = v[1];
  return TRUE;
}

static gboolean
read_image (JsonObject *obj, SlMachineProfile *p, GError **error)
{
  SlMachineRect *r = &p->image;

  if (!json_object_has_member (obj, "image"))
    {
      *r = (SlMachineRect){ 0, 0, p->frame_width, p->frame_height };
      return TRUE;
    }
  if (!read_rect (json_object_get_member (obj, "image"), "\"image\"", p, r,
                  error))
    return FALSE;
  /* Odd offsets or sizes would split the I420 picture's chroma samples. */
  if (r->x % 2 != 0 || r->y % 2 != 0 || r->width % 2 != 0 || r->height % 2 != 0)
    return fail (error, SL_MACHINE_ERROR_VALUE,
                 "\"image\" [%u, %u, %u, %u] must have even x, y, width "
                 "and height",
                 r->x, r->y, r->width, r->height);
  if (r->width < SL_MACHINE_MIN_IMAGE || r->height < SL_MACHINE_MIN_IMAGE)
    return fail (error, SL_MACHINE_ERROR_VALUE,
                 "\"image\" %ux%u is too small: at least %ux%u", r->width,
                 r->height, SL_MACHINE_MIN_IMAGE, SL_MACHINE_MIN_IMAGE);
  return TRUE;
}

static gboolean
rect_contains (const SlMachineRect *a, const SlMachineRect *b)
{
  return b->x >= a->x && b->y >= a->y && b->x + b->width <= a->x + a->width
         && b->y + b->height <= a->y + a->height;
}

static gboolean
rects_meet (const SlMachineRect *a, const SlMachineRect *b)
{
  return a->x < b->x + b->width && b->x < a->x + a->width
         && a->y < b->y + b->height && b->y < a->y + a->height;
}

/* A mask that hides nothing that is sent, one inside another, or one that
 * hides the whole picture is a mistake in the coordinates, not a wish:
 * refused so the person looks again. */
static gboolean
check_mask (const SlMachineProfile *p, guint i, GError **error)
{
  const SlMachineRect *m = &p->masks[i];

  if (!rects_meet (m, &p->image))
    return fail (error, SL_MACHINE_ERROR_VALUE,
                 "\"masks\"[%u] [%u, %u, %u, %u] lies outside \"image\": it "
                 "would hide nothing that is sent (check the coordinates)",
                 i, m->x, m->y, m->width, m->height);
  if (rect_contains (m, &p->image))
    return fail (error, SL_MACHINE_ERROR_VALUE,
                 "\"masks\"[%u] covers the whole \"image\": nothing would be "
                 "left to send",
                 i);
  for (guint j = 0; j < i; j++)
    if (rect_contains (&p->masks[j], m) || rect_contains (m, &p->masks[j]))
      return fail (error, SL_MACHINE_ERROR_VALUE,
                   "\"masks\"[%u] and \"masks\"[%u]: one lies inside the "
                   "other",
                   MIN (i, j), MAX (i, j));
  return TRUE;
}

static gboolean
read_masks (JsonObject *obj, SlMachineProfile *p, GError **error)
{
  JsonNode *node = json_object_get_member (obj, "masks");
  JsonArray *array;
  guint n;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return fail (error, SL_MACHINE_ERROR_MEMBER,
                 "\"masks\" must be an array of [x, y, width, height]");
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n > SL_MACHINE_MAX_MASKS)
    return fail (error, SL_MACHINE_ERROR_VALUE,
                 "\"masks\" has %u rectangles: at most %u", n,
                 SL_MACHINE_MAX_MASKS);
  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *what = g_strdup_printf ("\"masks\"[%u]", i);

      if (!read_rect (json_array_get_element (array, i), what, p, &p->masks[i],
                      error))
        return FALSE;
      p->n_masks = i + 1;
      if (!check_mask (p, i, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_spacing (JsonObject *obj, SlMachineProfile *p, GError **error)
{
  JsonNode *node = json_object_get_member (obj, "mm_per_px");
  GType type;

  if (node == NULL)
    return TRUE;
  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node)
                                      : G_TYPE_INVALID;
  if (type != G_TYPE_DOUBLE && type != G_TYPE_INT64)
    return fail (error, SL_MACHINE_ERROR_MEMBER,
                 "\"mm_per_px\" must be a number");
  p->mm_per_px = json_node_get_double (node);
  if (!(p->mm_per_px >= SL_MACHINE_MIN_MM_PER_PX
        && p->mm_per_px <= SL_MACHINE_MAX_MM_PER_PX))
    return fail (error, SL_MACHINE_ERROR_VALUE,
                 "\"mm_per_px\" %g is not a pixel spacing: from %g to %g mm "
                 "per pixel, or leave it out when unknown",
                 p->mm_per_px, SL_MACHINE_MIN_MM_PER_PX,
                 SL_MACHINE_MAX_MM_PER_PX);
  return TRUE;
}

static gboolean
read_name (JsonObject *obj, SlMachineProfile *p, GError **error)
{
  JsonNode *node = json_object_get_member (obj, "machine");

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING
      || strlen (json_node_get_string (node)) > MAX_NAME_BYTES)
    return fail (error, SL_MACHINE_ERROR_MEMBER,
                 "\"machine\" must be a string of at most %d bytes",
                 MAX_NAME_BYTES);
  p->name = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
check_members (JsonObject *obj, GError **error)
{
  g_autoptr (GList) names = json_object_get_members (obj);

  for (GList *l = names; l != NULL; l = l->next)
    {
      gboolean known = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (known_members); i++)
        known = known || strcmp (l->data, known_members[i]) == 0;
      if (!known)
        return fail (error, SL_MACHINE_ERROR_MEMBER,
                     "unknown member \"%.40s\": a profile has \"machine\", "
                     "\"frame\", \"image\", \"masks\" and \"mm_per_px\"",
                     (const gchar *)l->data);
    }
  return TRUE;
}

SlMachineProfile *
sl_machine_profile_parse (const gchar *data, gsize len, GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (SlMachineProfile) p = g_new0 (SlMachineProfile, 1);
  g_autoptr (GError) json_error = NULL;
  JsonNode *root;
  JsonObject *obj;

  if (!sl_json_check (data, len, MAX_DEPTH, &json_error))
    {
      fail (error, SL_MACHINE_ERROR_SYNTAX, "not a JSON profile: %s",
            json_error->message);
      return NULL;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize)len, &json_error))
    {
      fail (error, SL_MACHINE_ERROR_SYNTAX, "not a JSON profile: %s",
            json_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      fail (error, SL_MACHINE_ERROR_SYNTAX, "a profile is one JSON object");
      return NULL;
    }
  obj = json_node_get_object (root);
  if (!check_members (obj, error) || !read_name (obj, p, error)
      || !read_frame (obj, p, error) || !read_image (obj, p, error)
      || !read_masks (obj, p, error) || !read_spacing (obj, p, error))
    return NULL;
  return g_steal_pointer (&p);
}

SlMachineProfile *
sl_machine_profile_load (const gchar *path, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree gchar *data = NULL;
  SlMachineProfile *p;
  gsize len;

  if (!g_file_get_contents (path, &data, &len, &local))
    {
      fail (error, SL_MACHINE_ERROR_FILE, "%s: cannot read it: %s", path,
            local->message);
      return NULL;
    }
  if (len > SL_MACHINE_MAX_FILE_BYTES)
    {
      fail (error, SL_MACHINE_ERROR_FILE,
            "%s: %" G_GSIZE_FORMAT " bytes is too big for a profile (at "
            "most %d)",
            path, len, SL_MACHINE_MAX_FILE_BYTES);
      return NULL;
    }
  p = sl_machine_profile_parse (data, len, &local);
  if (p == NULL)
    fail (error, local->code, "%s: %s", path, local->message);
  return p;
}

void
sl_machine_profile_free (SlMachineProfile *profile)
{
  if (profile == NULL)
    return;
  g_free (profile->name);
  g_free (profile);
}

static void
fill_rows (guint8 *plane, gint stride, guint x0, guint y0, guint x1, guint y1,
           guint8 value)
{
  for (guint y = y0; y < y1; y++)
    memset (plane + (gsize)y * stride + x0, value, x1 - x0);
}

void
sl_machine_mask_i420 (const SlMachineProfile *profile, guint8 *const planes[3],
                      const gint strides[3])
{
  for (guint i = 0; i < profile->n_masks; i++)
    {
      const SlMachineRect *m = &profile->masks[i];
      guint x1 = m->x + m->width, y1 = m->y + m->height;

      fill_rows (planes[0], strides[0], m->x, m->y, x1, y1, SL_MACHINE_FILL_Y);
      /* Outward: a chroma sample any masked pixel shares is filled. */
      for (guint c = 1; c < 3; c++)
        fill_rows (planes[c], strides[c], m->x / 2, m->y / 2, (x1 + 1) / 2,
                   (y1 + 1) / 2, SL_MACHINE_FILL_UV);
    }
}

/* The image region's place in the output, as videoscale add-borders=true
 * lays it out (gstvideoscale.c, set_info): the side that fills the output
 * is exact, the other is rounded down and centred. */
static void
content_rect (const SlMachineProfile *p, guint out_w, guint out_h,
              SlMachineRect *out)
{
  guint64 to_h = (guint64)out_w * p->image.height / p->image.width;

  if (to_h <= out_h)
    *out = (SlMachineRect){ 0, (guint)(out_h - to_h) / 2, out_w, (guint)to_h };
  else
    {
      guint64 to_w = (guint64)out_h * p->image.width / p->image.height;

      *out
          = (SlMachineRect){ (guint)(out_w - to_w) / 2, 0, (guint)to_w, out_h };
    }
}

gdouble
sl_machine_output_mm_per_px (const SlMachineProfile *profile,
                             gdouble source_mm_per_px, guint out_width,
                             guint out_height)
{
  gdouble mm = profile->mm_per_px > 0 ? profile->mm_per_px : source_mm_per_px;
  SlMachineRect c;

  if (mm <= 0 || out_width == 0 || out_height == 0)
    return 0;
  /* The scale of the side that fills the output, which is exact; the
   * other side's is rounded to whole pixels. */
  content_rect (profile, out_width, out_height, &c);
  if (c.width == out_width)
    return mm * profile->image.width / out_width;
  return mm * profile->image.height / out_height;
}

void
sl_machine_output_rect (const SlMachineProfile *profile,
                        const SlMachineRect *in, guint out_width,
                        guint out_height, SlMachineRect *rect)
{
  const SlMachineRect *im = &profile->image;
  SlMachineRect c;
  guint x0 = MAX (in->x, im->x), y0 = MAX (in->y, im->y);
  guint x1 = MIN (in->x + in->width, im->x + im->width);
  guint y1 = MIN (in->y + in->height, im->y + im->height);

  *rect = (SlMachineRect){ 0 };
  if (x0 >= x1 || y0 >= y1 || out_width == 0 || out_height == 0)
    return;
  content_rect (profile, out_width, out_height, &c);
  rect->x = c.x + (guint)((guint64)(x0 - im->x) * c.width / im->width);
  rect->y = c.y + (guint)((guint64)(y0 - im->y) * c.height / im->height);
  rect->width
      = c.x + (guint)((guint64)(x1 - im->x) * c.width / im->width) - rect->x;
  rect->height
      = c.y + (guint)((guint64)(y1 - im->y) * c.height / im->height) - rect->y;
}
