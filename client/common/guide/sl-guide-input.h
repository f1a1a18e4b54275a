/* sl-guide-input.h — the expert's mouse and keys, turned into guidance.
 *
 * In a window the expert draws on the picture with the mouse and sends
 * cues, prompts and still requests with keys (the keymap is in
 * docs/sonolink-expert.md, DRAWING IN THE WINDOW).  This module is the
 * mapping alone: it takes input events whose positions are already
 * normalised to the picture and produces the messages of
 * docs/guidance.md through the caller's send function.  It knows nothing
 * of GStreamer or of a clock (each event carries its own time), so it is
 * unit-tested with synthetic event sequences.  The window's events are
 * adapted in sl-guide-view.c; the messages are sent, like a script's, by
 * sl-station-guide.c.
 *
 * Not thread-safe: one thread calls every function (the station's
 * control thread).  The send and last-mark functions are called from
 * inside sl_guide_input_handle() and sl_guide_input_flush().
 */
#pragma once

#include "sl-guide.h"

G_BEGIN_DECLS

/* The pointer is sent at most this often while it moves (about 30 a
 * second, half what docs/guidance.md allows); the latest position wins. */
#define SL_GUIDE_INPUT_POINTER_INTERVAL_MS 33
/* A freehand line keeps a point only this far (normalised) from the last
 * one it kept: about 2.5 pixels of a 640-wide picture. */
#define SL_GUIDE_INPUT_FREEHAND_STEP 0.004
/* A drag shorter than this (normalised) is a click and draws nothing. */
#define SL_GUIDE_INPUT_MIN_DRAG 0.01
/* Bytes of a key name, as the window names it. */
#define SL_GUIDE_INPUT_KEY_LEN 31

typedef enum
{
  SL_GUIDE_INPUT_MOVE,
  SL_GUIDE_INPUT_BUTTON_PRESS,
  SL_GUIDE_INPUT_BUTTON_RELEASE,
  SL_GUIDE_INPUT_KEY_PRESS,
  SL_GUIDE_INPUT_KEY_RELEASE,
} SlGuideInputType;

typedef struct
{
  SlGuideInputType type;
  gint64 time_ms; /* monotonic, any origin, never decreasing */
  /* Mouse events: the position on the picture, normalised like the
   * protocol's points; outside 0..1 the mouse is off the picture (the
   * window's border around a letterboxed picture). */
  gdouble x, y;
  guint button;   /* BUTTON_*: 1 left, 2 middle, 3 right */
  gboolean shift; /* a Shift key is held, as the window reported it */
  /* MOVE: the mouse is no longer over the window (a move reported late,
   * after it left): it still draws, but shows no pointer. */
  gboolean away;
  /* KEY_*: the X keysym name ("a", "1", "Left", "BackSpace", "Shift_L"),
   * which is also what GStreamer's video sinks report. */
  gchar key[SL_GUIDE_INPUT_KEY_LEN + 1];
} SlGuideInputEvent;

/* What a left drag draws. */
typedef enum
{
  SL_GUIDE_INPUT_TOOL_FREEHAND, /* the default */
  SL_GUIDE_INPUT_TOOL_ARROW,
  SL_GUIDE_INPUT_TOOL_BOX,
  SL_GUIDE_INPUT_TOOL_ELLIPSE,
  SL_GUIDE_INPUT_TOOL_CALIPER,
} SlGuideInputTool;

typedef struct _SlGuideInput SlGuideInput;

/* Sends @msg (media_ms 0, a pointer's seq 0: the sender fills them in).
 * @msg is only valid during the call. */
typedef void (*SlGuideInputSendFunc) (const SlGuideMsg *msg,
                                      gpointer user_data);
/* Copies the id of the topmost live mark of the sender's picture into
 * @id; FALSE if it has none.  Delete removes that one, whoever drew it
 * (a script or the mouse). */
typedef gboolean (*SlGuideInputLastMarkFunc) (gchar id[SL_GUIDE_MAX_ID_LEN + 1],
                                              gpointer user_data);

/* Returns (transfer full) a new mapping with the freehand tool chosen and
 * no cue armed.  @last_mark may be NULL (then Delete does nothing). */
SlGuideInput *sl_guide_input_new (SlGuideInputSendFunc send,
                                  SlGuideInputLastMarkFunc last_mark,
                                  gpointer user_data);
void sl_guide_input_free (SlGuideInput *in);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlGuideInput, sl_guide_input_free)

/* Takes one event; sends what it completes (a mark on release, a cue on
 * an arrow key, ...).  A pointer move that comes too soon after the last
 * one sent is kept instead, for sl_guide_input_flush(). */
void sl_guide_input_handle (SlGuideInput *in, const SlGuideInputEvent *event);

/* When a kept pointer position is due, in the events' clock; -1: none. */
gint64 sl_guide_input_due_ms (const SlGuideInput *in);

/* Sends the kept pointer position if it is due at @now_ms. */
void sl_guide_input_flush (SlGuideInput *in, gint64 now_ms);

SlGuideInputTool sl_guide_input_get_tool (const SlGuideInput *in);

/* The R key starts or stops the station's recording through @toggle
 * (NULL: the key does nothing); docs/recording.md. */
void sl_guide_input_set_record_toggle (SlGuideInput *in,
                                       void (*toggle) (gpointer user_data),
                                       gpointer user_data);

/* The cue the arrow keys send (CUE_NONE: none armed). */
SlGuideCueKind sl_guide_input_get_armed_cue (const SlGuideInput *in);

G_END_DECLS
