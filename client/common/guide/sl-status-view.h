/* sl-status-view.h — what a station's window says about itself.
 *
 * Both windows (the expert's on the township's picture, the township's
 * preview of its own) carry a status strip along the bottom edge: the
 * link's state in a word and a colour, frames a second, bitrate, round
 * trip, latency, the hub connection and, at the expert, the drawing tool
 * and the armed cue.  When there is nothing live to trust — no hub, no
 * peer, a lost link, a picture that stopped — the window says so over the
 * whole picture (the expert's, whose picture is the peer's) or in a
 * banner (the township's, whose picture is its own probe and stays
 * live).  `?` shows the keys over the picture.
 *
 * This module decides what to say (sl_status_view_screen, pure) and draws
 * it with cairo (sl_status_view_draw); the station fills SlStatusInfo
 * once a second and on every key, and draws it on screen only, never into
 * a snapshot or a still.  Any thread; no state of its own.
 */
#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

/* A picture older than this is called frozen. */
#define SL_STATUS_FROZEN_MS 1000

typedef enum
{
  SL_STATUS_SCREEN_LIVE,            /* nothing over the picture */
  SL_STATUS_SCREEN_CONNECTING,      /* the hub not reached yet, no error */
  SL_STATUS_SCREEN_HUB_UNREACHABLE, /* the hub refused or timed out */
  SL_STATUS_SCREEN_WAITING_PEER,    /* joined, the other station absent */
  SL_STATUS_SCREEN_WAITING_PICTURE, /* expert: a session, no picture yet */
  SL_STATUS_SCREEN_LINK_LOST,       /* nothing arrives from the peer */
  SL_STATUS_SCREEN_FROZEN,          /* expert: the picture stopped */
} SlStatusScreen;

typedef enum
{
  SL_STATUS_LINK_NONE, /* no session: nothing to say */
  SL_STATUS_LINK_GOOD,
  SL_STATUS_LINK_DEGRADED,
  SL_STATUS_LINK_LOST,
  SL_STATUS_LINK_RECOVERING,
} SlStatusLink;

typedef struct
{
  gboolean township; /* the township's own window (else a viewer's) */
  gboolean expert;   /* the expert's window: tool, cue and its keys */
  /* The hub: joined, or how many tries in a row failed (0: the first
   * is under way). */
  gboolean hub_joined;
  guint hub_failures;
  /* A session with the peer exists; and whether one existed before
   * (then the peer left). */
  gboolean peer_present, peer_was_here;
  SlStatusLink link;
  /* The last second's figures; < 0: unknown (shown as "-"). */
  gdouble fps, kbps, rtt_ms, latency_ms;
  gboolean latency_measured; /* from stamps, not the estimate */
  /* Viewer: milliseconds since the last new picture; < 0: none yet. */
  gint64 picture_age_ms;
  gchar tool[16], cue[16]; /* expert; "" for no cue armed */
  gboolean strip, help;    /* what the keys turned on */
  /* This station records (docs/recording.md); how many other members
   * of the room say they record. */
  gboolean recording;
  guint others_recording;
} SlStatusInfo;

/* What the window says over its picture now; with @text (nullable) the
 * words (transfer full; NULL for SL_STATUS_SCREEN_LIVE). */
SlStatusScreen sl_status_view_screen (const SlStatusInfo *info, gchar **text);

/* The strip's one line (transfer full), as drawn. */
gchar *sl_status_view_strip_text (const SlStatusInfo *info);

/* The strip's height on a @height-pixel picture. */
guint sl_status_view_strip_height (guint height);

/* Draws the state, the strip (when info->strip) and the key help (when
 * info->help) onto @cr, a @width × @height picture. */
void sl_status_view_draw (cairo_t *cr, guint width, guint height,
                          const SlStatusInfo *info);

G_END_DECLS
