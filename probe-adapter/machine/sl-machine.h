/* sl-machine.h — a machine profile: where the image is on an ultrasound
 * machine's screen, what must never leave the township, and how big a
 * pixel is.
 *
 * An ultrasound machine's video output shows its whole screen: the image,
 * the machine's menus, and a banner with the patient's name, ID and date
 * of birth.  A profile, one small JSON file per machine model
 * (docs/probe-adapters.md has the format), says:
 *
 *   frame      the size of the screen as the probe adapter delivers it;
 *              every rectangle is in these pixels
 *   image      the rectangle the picture is cropped to (default: all)
 *   masks      rectangles filled with black before anything is encoded
 *   mm_per_px  the pixel spacing of the screen, so calipers measure
 *
 * This is the plain-C core: parsing, validation and the arithmetic the
 * pipeline and the calipers need (masking a frame in memory, the spacing
 * at the size the picture is sent at).  probe-adapter/machine/
 * sl-machine-stage.c is the GStreamer glue.  Pure functions on immutable
 * profiles: callable from any thread.  Error messages name the member and
 * the rule broken, so a person can fix the file from the message alone.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SL_MACHINE_ERROR (sl_machine_error_quark ())
GQuark sl_machine_error_quark (void);

typedef enum
{
  SL_MACHINE_ERROR_SYNTAX, /* not strict JSON, or not an object */
  SL_MACHINE_ERROR_MEMBER, /* unknown member, or a member of the wrong type */
  SL_MACHINE_ERROR_VALUE,  /* a value out of range, a rectangle that makes
                              no sense */
  SL_MACHINE_ERROR_FILE,   /* the file cannot be read */
} SlMachineError;

/* Limits: the probe adapters' frame sizes, and enough masks for any
 * screen (a banner, a date, an operator's name, a few measurement
 * boxes). */
#define SL_MACHINE_MAX_MASKS 32
#define SL_MACHINE_MIN_IMAGE 64
#define SL_MACHINE_MAX_FILE_BYTES (64 * 1024)
#define SL_MACHINE_MIN_MM_PER_PX 0.001
#define SL_MACHINE_MAX_MM_PER_PX 10.0

/* Luma and chroma of a masked pixel: video black (ITU-R BT.601/709
 * limited range), which the encoder, the stills and the preview all
 * carry unchanged. */
#define SL_MACHINE_FILL_Y 16
#define SL_MACHINE_FILL_UV 128

typedef struct
{
  guint x, y, width, height;
} SlMachineRect;

typedef struct _SlMachineProfile
{
  gchar *name;       /* "machine", or NULL */
  guint frame_width; /* the screen as the adapter delivers it */
  guint frame_height;
  SlMachineRect image; /* the crop; the whole frame when not given */
  SlMachineRect masks[SL_MACHINE_MAX_MASKS];
  guint n_masks;
  gdouble mm_per_px; /* at the frame's pixels; 0 when not given */
} SlMachineProfile;

/* Parses and validates the @len bytes at @data.  Returns (transfer full)
 * the profile, or NULL with @error set in SL_MACHINE_ERROR. */
SlMachineProfile *sl_machine_profile_parse (const gchar *data, gsize len,
                                            GError **error);

/* Reads @path (at most SL_MACHINE_MAX_FILE_BYTES) and parses it; errors
 * start with the path. */
SlMachineProfile *sl_machine_profile_load (const gchar *path, GError **error);

void sl_machine_profile_free (SlMachineProfile *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlMachineProfile, sl_machine_profile_free)

/* Fills every mask of @profile, in the frame's coordinates, in an I420
 * picture of the profile's frame size: luma planes[0] with stride
 * strides[0], chroma planes[1] and [2].  A chroma sample is filled when
 * any of the four luma pixels it covers is masked, so no colour of a
 * masked pixel survives either.  Allocates nothing: runs on the video
 * path. */
void sl_machine_mask_i420 (const SlMachineProfile *profile,
                           guint8 *const planes[3], const gint strides[3]);

/* The image region is scaled to fit @out_width × @out_height with
 * borders, as videoscale add-borders=true does.  Returns the pixel spacing
 * there: the profile's "mm_per_px" (or, when it gives none,
 * @source_mm_per_px, what the adapter knows of the frame's spacing)
 * divided by the scale factor; 0 when neither is known. */
gdouble sl_machine_output_mm_per_px (const SlMachineProfile *profile,
                                     gdouble source_mm_per_px, guint out_width,
                                     guint out_height);

/* Sets @rect to where @in, a rectangle in the frame's coordinates, lands
 * in that output (clipped to the image region; zero width and height when
 * it lies outside). */
void sl_machine_output_rect (const SlMachineProfile *profile,
                             const SlMachineRect *in, guint out_width,
                             guint out_height, SlMachineRect *rect);

G_END_DECLS
