/* fuzz-machine.c — fuzzes machine profiles (probe-adapter/machine/).
 *
 * Beyond "does not crash", it holds the parser to its promises: whatever
 * it accepts has every rectangle inside the frame, an even image region
 * of at least the minimum size, masks that meet the image, and a spacing
 * in range; and masking a frame of the accepted size writes inside it
 * only (the sanitizers watch the buffer's bounds).
 */
#include <stdlib.h>

#include "sl-fuzz.h"
#include "sl-machine.h"

static void
check_rect (const SlMachineProfile *p, const SlMachineRect *r)
{
  if (r->width == 0 || r->height == 0 || r->x + r->width > p->frame_width
      || r->y + r->height > p->frame_height)
    abort ();
}

static void
check_profile (const SlMachineProfile *p)
{
  const SlMachineRect *im = &p->image;

  check_rect (p, im);
  if (im->x % 2 || im->y % 2 || im->width % 2 || im->height % 2
      || im->width < SL_MACHINE_MIN_IMAGE || im->height < SL_MACHINE_MIN_IMAGE
      || p->n_masks > SL_MACHINE_MAX_MASKS)
    abort ();
  for (guint i = 0; i < p->n_masks; i++)
    check_rect (p, &p->masks[i]);
  if (p->mm_per_px != 0
      && !(p->mm_per_px >= SL_MACHINE_MIN_MM_PER_PX
           && p->mm_per_px <= SL_MACHINE_MAX_MM_PER_PX))
    abort ();
}

/* An I420 frame of exactly the profile's size, masked. */
static void
mask_frame (const SlMachineProfile *p)
{
  gsize luma = (gsize)p->frame_width * p->frame_height;
  gsize chroma = luma / 4;
  g_autofree guint8 *data = g_malloc (luma + 2 * chroma);
  guint8 *planes[3] = { data, data + luma, data + luma + chroma };
  const gint strides[3] = { (gint)p->frame_width, (gint)p->frame_width / 2,
                            (gint)p->frame_width / 2 };

  sl_machine_mask_i420 (p, planes, strides);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SlMachineProfile) p
      = sl_machine_profile_parse ((const gchar *)data, size, &error);
  SlMachineRect out;

  if (p == NULL)
    {
      if (error == NULL || error->domain != SL_MACHINE_ERROR)
        abort ();
      return 0;
    }
  check_profile (p);
  mask_frame (p);
  for (guint i = 0; i < p->n_masks; i++)
    {
      sl_machine_output_rect (p, &p->masks[i], 640, 360, &out);
      if (out.x + out.width > 640 || out.y + out.height > 360)
        abort ();
    }
  if (sl_machine_output_mm_per_px (p, 0, 640, 360) < 0)
    abort ();
  return 0;
}
