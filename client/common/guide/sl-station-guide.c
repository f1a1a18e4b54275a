/* sl-station-guide.c — the guidance layer at a station (docs/guidance.md).
 *
 * The township keeps one SlGuideState per viewer that draws on its
 * picture and applies what arrives on the session's guidance channels;
 * when "sl-guide" opens it says what its probe image is (size, pixel
 * spacing).  The expert keeps one state of what it sent — every message
 * it sends is applied to it — so both stations draw the same marks with
 * the same renderer: the township over its raw probe frames (--snapshot),
 * the expert over its window (blended in front of the sink) and
 * its --snapshot.  The expert's messages come from a timed script
 * (--guidance-script, sl-guide-script.h) and from the mouse and keys in
 * its window (sl-guide-input.h); both go out by the same path
 * (send_own), so the expert's own picture shows them alike.
 *
 * media_ms at the expert (docs/guidance.md, SCRIPTS AND MEDIA TIME): the
 * township's `image` message names the township's media time when it was
 * sent; the expert anchors its own monotonic clock to it (half the
 * control channel's round trip added for the trip) and names, for a
 * gesture made now, the township's media time now less the estimated
 * glass-to-glass latency: the frame on the expert's screen.
 *
 * Threading: control thread, except the draw function, which runs on the
 * display's streaming thread or a snapshot worker and takes `lock`, and
 * on_window_input, which runs on the display sink's event thread: it
 * only queues the event under `input_lock` and adds an idle source, and
 * the control thread maps the queued events to messages.
 */
#include "sl-station-private.h"
#include "sl-guide-input.h"
#include "sl-guide-render.h"
#include "sl-guide-script.h"
#include "sl-guide-view.h"
#include "sl-snapshot.h"

#include <errno.h>

/* The expert's own picture, in the states table. */
#define OWN_STATE "self"
/* docs/guidance.md, POINTER: a resting pointer is repeated this often. */
#define POINTER_REPEAT_MS 250
/* Raw frames the township keeps for stills: about 130 ms at 30 fps, which
 * covers the expert's estimate of the frame it looked at. */
#define KEPT_FRAMES 4
/* Window events queued for the control thread at most: a stalled loop
 * drops the excess rather than grow without bound. */
#define MAX_QUEUED_INPUT 1024

struct _SlStationGuide
{
  SlStation *st;
  /* Guards states and style: the draw function reads them on streaming
   * and worker threads while the control thread applies messages. */
  GMutex lock;
  GHashTable *states; /* peer id (or OWN_STATE) → SlGuideState, owned */
  SlGuideStyle style; /* township: its probe image */
  gchar *room;        /* from the hub's welcome: names the stills */
  FILE *log;          /* --guide-log, or NULL */

  /* expert */
  GArray *script; /* element-type SlGuideScriptEntry, or NULL */
  guint script_pos;
  gint64 script_t0_us; /* when the replay started, 0: not yet */
  guint script_timer;
  SlSession *active; /* the session whose "sl-guide" is open; not owned */
  guint64 pointer_seq;
  SlGuideMsg last_pointer; /* the latest pointer sent, for repeats */
  guint pointer_timer;
  gboolean anchored; /* the township's media clock is known */
  gint64 anchor_media_ms, anchor_local_ms;
  guint64 script_sent, nacks_received;

  /* expert, its window's mouse and keys (control thread) */
  SlGuideInput *input;
  guint input_flush_timer;
  /* Guards input_queue and input_idle: the sink's event thread queues
   * events, the control thread takes them. */
  GMutex input_lock;
  GQueue input_queue; /* of SlGuideInputEvent, owned */
  guint input_idle;
};

static gint64
now_ms (void)
{
  return sl_media_now_us () / 1000;
}

static SlGuideState *
state_for (SlStationGuide *g, const gchar *key)
{
  SlGuideState *state = g_hash_table_lookup (g->states, key);

  if (state == NULL)
    {
      state = sl_guide_state_new ();
      g_hash_table_insert (g->states, g_strdup (key), state);
    }
  return state;
}

/* --guide-log: one line per event, "EVENT TYPE ID MONOTONIC_US", for the
 * benchmark that times a mark from the expert to the township. */
static void
log_event (SlStationGuide *g, const gchar *event, const SlGuideMsg *msg)
{
  if (g->log == NULL)
    return;
  fprintf (g->log, "%s %s %s %" G_GINT64_FORMAT "\n", event,
           sl_guide_type_name (msg->type),
           msg->type == SL_GUIDE_MARK ? msg->mark.id : "-", sl_media_now_us ());
}

/* ---- drawing ---- */

static void
draw_states (cairo_t *cr, guint width, guint height, gpointer user_data)
{
  SlStationGuide *g = user_data;
  GHashTableIter iter;
  gpointer state;
  gint64 now = now_ms ();

  g_mutex_lock (&g->lock);
  g_hash_table_iter_init (&iter, g->states);
  while (g_hash_table_iter_next (&iter, NULL, &state))
    sl_guide_render (cr, width, height, state,
                     g->style.source_width ? &g->style : NULL, now);
  g_mutex_unlock (&g->lock);
}

/* The window's drawing: the marks, then what the station says about
 * itself (sl-status-view.h), which never goes into a snapshot. */
static void
draw_window (cairo_t *cr, guint width, guint height, gpointer user_data)
{
  SlStationGuide *g = user_data;
  SlStation *st = g->st;
  SlStatusInfo info;
  gint64 last;

  draw_states (cr, width, height, g);
  g_mutex_lock (&st->status_lock);
  info = st->status;
  g_mutex_unlock (&st->status_lock);
  last = __atomic_load_n (&st->last_picture_us, __ATOMIC_RELAXED);
  info.picture_age_ms = last == 0 ? -1 : (sl_media_now_us () - last) / 1000;
  sl_status_view_draw (cr, width, height, &info);
}

/* The window's own keys, on the sink's event thread: `i` shows or hides
 * the status strip, `?` the key help.  TRUE if @event was one. */
static gboolean
window_key (SlStationGuide *g, const SlGuideInputEvent *event)
{
  SlStation *st = g->st;
  const gboolean strip = g_str_equal (event->key, "i");
  /* The X sinks name a key by its unshifted symbol: `?` comes as
   * "slash" (with Shift), on a US keyboard at least. */
  const gboolean help = g_str_equal (event->key, "question")
                        || g_str_equal (event->key, "slash");

  if (!strip && !help)
    return FALSE;
  if (event->type == SL_GUIDE_INPUT_KEY_PRESS)
    {
      g_mutex_lock (&st->status_lock);
      if (strip)
        st->status.strip = !st->status.strip;
      else
        st->status.help = !st->status.help;
      g_mutex_unlock (&st->status_lock);
    }
  return TRUE;
}

/* SlGuideViewInputFunc of a window that takes no guidance (the
 * township's, a trainee's): its own keys only. */
static void
on_window_keys (const SlGuideInputEvent *event, gpointer user_data)
{
  if (event->type == SL_GUIDE_INPUT_KEY_PRESS
      || event->type == SL_GUIDE_INPUT_KEY_RELEASE)
    window_key (user_data, event);
}

gboolean
sl_station_guide_write_png (SlStation *st, GstSample *frame, const gchar *path,
                            GError **error)
{
  if (st->guide == NULL)
    return sl_snapshot_write_png (frame, path, error);
  return sl_guide_view_write_png (frame, draw_states, st->guide, path, error);
}

GstSample *
sl_station_guide_snapshot_frame (SlStation *st, gboolean only_new)
{
  GstSample *sample = NULL;

  if (st->opt->kind == SL_STATION_TOWNSHIP && st->capture != NULL)
    return sl_capture_get_frame (st->capture, -1, NULL);
  g_mutex_lock (&st->sample_lock);
  if (st->last_sample != NULL && (st->sample_is_new || !only_new))
    sample = gst_sample_ref (st->last_sample);
  st->sample_is_new = FALSE;
  g_mutex_unlock (&st->sample_lock);
  return sample;
}

static void on_input_message (const SlGuideMsg *msg, gpointer user_data);
static gboolean own_last_mark (gchar id[SL_GUIDE_MAX_ID_LEN + 1],
                               gpointer user_data);
static void on_window_input (const SlGuideInputEvent *event,
                             gpointer user_data);

/* The R key in the window. */
static void
on_record_key (gpointer user_data)
{
  sl_station_record_toggle (user_data);
}

GstElement *
sl_station_guide_wrap_sink (SlStation *st, GstElement *sink,
                            const gchar *description)
{
  /* No overlay for a sink that shows nothing: it would only cost a
   * conversion of every frame. */
  SlStationGuide *g = st->guide;

  if (g == NULL || sink == NULL || description == NULL
      || g_str_has_prefix (description, "none"))
    return sink;
  /* The township draws on its own picture from no window, and a trainee
   * watches (the township would refuse its marks): their windows take
   * only their own keys.  An expert's role is known from its token
   * only after the hub's welcome, and its window opens before: one
   * whose token is a trainee's has the input mapping but its events
   * are dropped (on_input_idle). */
  if (st->opt->kind == SL_STATION_TOWNSHIP)
    return sl_guide_view_wrap_sink (sink, draw_window, on_window_keys, g);
  if (g->input == NULL)
    {
      g->input = sl_guide_input_new (on_input_message, own_last_mark, g);
      sl_guide_input_set_record_toggle (g->input, on_record_key, g->st);
    }
  return sl_guide_view_wrap_sink (sink, draw_window, on_window_input, g);
}

/* ---- media time ---- */

/* Expert: the township's media time of the picture on screen now. */
static gint64
expert_media_ms (SlStationGuide *g, SlSession *session)
{
  SlSessionStats stats;
  gint64 ms;

  if (!g->anchored)
    return 0;
  sl_session_get_stats (session, &stats);
  ms = g->anchor_media_ms + (now_ms () - g->anchor_local_ms);
  if (stats.latency_estimate_ms > 0)
    ms -= (gint64)stats.latency_estimate_ms;
  return CLAMP (ms, 0, SL_GUIDE_MAX_INT);
}

static void
anchor_media_time (SlStationGuide *g, SlSession *session, gint64 media_ms)
{
  SlSessionStats stats;

  sl_session_get_stats (session, &stats);
  g->anchor_media_ms
      = media_ms + (stats.dc_rtt_ms > 0 ? (gint64)(stats.dc_rtt_ms / 2) : 0);
  g->anchor_local_ms = now_ms ();
  g->anchored = TRUE;
}

/* ---- sending (expert) ---- */

static gboolean
send_and_apply (SlStationGuide *g, SlSession *session, SlGuideMsg *msg)
{
  g_autoptr (GError) error = NULL;
  gboolean ok;

  msg->media_ms = expert_media_ms (g, session);
  if (msg->type == SL_GUIDE_POINTER)
    msg->pointer.seq = ++g->pointer_seq;
  if (!sl_session_send_guide (session, msg))
    return FALSE;
  log_event (g, "sent", msg);
  sl_station_record_guide (g->st, session, TRUE, msg);
  g_mutex_lock (&g->lock);
  ok = sl_guide_state_apply (state_for (g, OWN_STATE), msg, now_ms (), &error);
  g_mutex_unlock (&g->lock);
  if (!ok)
    sl_station_log (g->st, "guidance: own picture refused a %s: %s",
                    sl_guide_type_name (msg->type), error->message);
  return TRUE;
}

static gboolean
on_pointer_repeat (gpointer user_data)
{
  SlStationGuide *g = user_data;
  SlGuideMsg msg = g->last_pointer;

  if (g->active != NULL)
    send_and_apply (g, g->active, &msg);
  return G_SOURCE_CONTINUE;
}

/* A resting pointer is repeated, so that a lost message (the pointer
 * channel does not retransmit) is made good within POINTER_REPEAT_MS. */
static void
note_pointer (SlStationGuide *g, const SlGuideMsg *msg)
{
  g->last_pointer = *msg;
  g_clear_handle_id (&g->pointer_timer, g_source_remove);
  if (msg->pointer.visible)
    g->pointer_timer = g_timeout_add (POINTER_REPEAT_MS, on_pointer_repeat, g);
}

/* Sends one of the expert's own messages, a script's or the window's,
 * and does what follows from it: a pointer is repeated while it rests, a
 * still request waits for its still.  FALSE if it could not go. */
static gboolean
send_own (SlStationGuide *g, SlGuideMsg *msg)
{
  if (g->active == NULL || !send_and_apply (g, g->active, msg))
    return FALSE;
  if (msg->type == SL_GUIDE_POINTER)
    note_pointer (g, msg);
  if (msg->type == SL_GUIDE_STILL_REQUEST)
    sl_station_still_on_message (g->st, g->active, msg);
  return TRUE;
}

static void schedule_script (SlStationGuide *g);

/* Sends one entry; FALSE if it must wait for the channel.  A pointer
 * position that cannot go now is dropped: the next one replaces it. */
static gboolean
send_entry (SlStationGuide *g, const SlGuideScriptEntry *entry)
{
  SlGuideMsg msg = entry->msg;

  if (!send_own (g, &msg))
    return msg.type == SL_GUIDE_POINTER;
  g->script_sent++;
  return TRUE;
}

static gboolean
on_script_timer (gpointer user_data)
{
  SlStationGuide *g = user_data;
  gint64 now = sl_media_now_us ();

  g->script_timer = 0;
  while (g->active != NULL && g->script_pos < g->script->len)
    {
      const SlGuideScriptEntry *entry
          = &g_array_index (g->script, SlGuideScriptEntry, g->script_pos);

      if (g->script_t0_us + entry->at_ms * 1000 > now)
        break;
      if (!send_entry (g, entry))
        return G_SOURCE_REMOVE; /* resumed when the channel opens again */
      g->script_pos++;
    }
  if (g->script_pos == g->script->len)
    sl_station_log (g->st, "guidance script: all %u entries sent",
                    g->script->len);
  else
    schedule_script (g);
  return G_SOURCE_REMOVE;
}

static void
schedule_script (SlStationGuide *g)
{
  const SlGuideScriptEntry *entry;
  gint64 due_us, wait_ms;

  if (g->script == NULL || g->active == NULL || g->script_timer != 0
      || g->script_pos >= g->script->len)
    return;
  if (g->script_t0_us == 0)
    {
      g->script_t0_us = sl_media_now_us ();
      sl_station_log (g->st, "guidance script: starting (%u entries)",
                      g->script->len);
    }
  entry = &g_array_index (g->script, SlGuideScriptEntry, g->script_pos);
  due_us = g->script_t0_us + entry->at_ms * 1000;
  wait_ms = MAX (0, (due_us - sl_media_now_us () + 999) / 1000);
  g->script_timer = g_timeout_add ((guint)wait_ms, on_script_timer, g);
}

/* ---- the window's mouse and keys (expert) ---- */

/* SlGuideInputSendFunc.  What the window makes while no channel is open
 * is dropped: a gesture is made on the picture in front of the expert
 * now, and means nothing after a reconnection. */
static void
on_input_message (const SlGuideMsg *msg, gpointer user_data)
{
  SlStationGuide *g = user_data;
  SlGuideMsg copy = *msg;
  gboolean sent = send_own (g, &copy);

  if (msg->type == SL_GUIDE_POINTER)
    return;
  if (!sent)
    sl_station_log (g->st, "guidance: not connected, dropped the window's %s",
                    sl_guide_type_name (msg->type));
  else if (msg->type == SL_GUIDE_MARK)
    sl_station_log (g->st, "guidance: drew %s %s (%u points) in the window",
                    sl_guide_kind_name (msg->mark.kind), msg->mark.id,
                    msg->mark.n_points);
  else if (msg->type == SL_GUIDE_CUE)
    sl_station_log (g->st, "guidance: cue %s %s from the window",
                    sl_guide_cue_name (msg->cue.cue),
                    sl_guide_dir_name (msg->cue.dir));
  else if (msg->type == SL_GUIDE_PROMPT)
    sl_station_log (g->st, "guidance: prompt %s from the window",
                    sl_guide_prompt_name (msg->prompt.prompt));
  else
    sl_station_log (g->st, "guidance: %s from the window",
                    sl_guide_type_name (msg->type));
}

/* SlGuideInputLastMarkFunc: the topmost live mark of the own picture. */
static gboolean
own_last_mark (gchar id[SL_GUIDE_MAX_ID_LEN + 1], gpointer user_data)
{
  SlStationGuide *g = user_data;
  SlGuideState *own;
  gint64 now = now_ms ();
  gboolean found = FALSE;

  g_mutex_lock (&g->lock);
  own = g_hash_table_lookup (g->states, OWN_STATE);
  for (guint i = own ? sl_guide_state_n_marks (own) : 0; i-- > 0 && !found;)
    {
      gint64 expires;
      const SlGuideMark *mark = sl_guide_state_nth_mark (own, i, &expires);

      if (expires > now)
        {
          g_strlcpy (id, mark->id, SL_GUIDE_MAX_ID_LEN + 1);
          found = TRUE;
        }
    }
  g_mutex_unlock (&g->lock);
  return found;
}

static void schedule_input_flush (SlStationGuide *g);

/* A pointer position held back by the rate limit goes when it is due. */
static gboolean
on_input_flush (gpointer user_data)
{
  SlStationGuide *g = user_data;

  g->input_flush_timer = 0;
  sl_guide_input_flush (g->input, now_ms ());
  schedule_input_flush (g);
  return G_SOURCE_REMOVE;
}

static void
schedule_input_flush (SlStationGuide *g)
{
  gint64 due = sl_guide_input_due_ms (g->input);

  if (due < 0 || g->input_flush_timer != 0)
    return;
  g->input_flush_timer
      = g_timeout_add ((guint)MAX (0, due - now_ms ()), on_input_flush, g);
}

/* Control thread: maps the events the window queued, in order. */
static gboolean
on_input_idle (gpointer user_data)
{
  SlStationGuide *g = user_data;
  GQueue batch;
  SlGuideInputEvent *event;
  gint away = -1; /* not asked yet */

  g_mutex_lock (&g->input_lock);
  batch = g->input_queue;
  g_queue_init (&g->input_queue);
  g->input_idle = 0;
  g_mutex_unlock (&g->input_lock);
  while ((event = g_queue_pop_head (&batch)) != NULL)
    {
      /* A move the sink reports after the window watch saw the mouse
       * leave (the sink reads X on a thread of its own, this idle runs
       * behind timers) would show the pointer again, and its repeats
       * would keep it at the township as long as the mouse stays away:
       * X is asked where the mouse is now. */
      if (event->type == SL_GUIDE_INPUT_MOVE)
        {
          if (away < 0)
            away = sl_station_window_mouse_away (g->st);
          event->away = away;
        }
      /* A trainee's token: the window opened before the hub said so,
       * and a trainee draws nothing. */
      if (g->st->my_role == SL_ROLE_EXPERT)
        sl_guide_input_handle (g->input, event);
      g_free (event);
    }
  schedule_input_flush (g);
  sl_station_report_status (g->st);
  return G_SOURCE_REMOVE;
}

/* SlGuideViewInputFunc, on the sink's event thread.  An idle source and
 * not g_main_context_invoke: invoke runs the function on the calling
 * thread whenever it can acquire the context (before the loop runs, or
 * while it stops), and the mapping belongs to the control thread. */
static void
on_window_input (const SlGuideInputEvent *event, gpointer user_data)
{
  SlStationGuide *g = user_data;

  if ((event->type == SL_GUIDE_INPUT_KEY_PRESS
       || event->type == SL_GUIDE_INPUT_KEY_RELEASE)
      && window_key (g, event))
    return;
  g_mutex_lock (&g->input_lock);
  if (g->input_queue.length < MAX_QUEUED_INPUT)
    g_queue_push_tail (&g->input_queue, g_memdup2 (event, sizeof *event));
  if (g->input_idle == 0)
    g->input_idle = g_idle_add (on_input_idle, g);
  g_mutex_unlock (&g->input_lock);
}

void
sl_station_guide_mouse_left (SlStation *st)
{
  SlStationGuide *g = st->guide;
  SlGuideInputEvent left = { .type = SL_GUIDE_INPUT_MOVE, .x = -1, .y = -1 };

  if (g == NULL || g->input == NULL || st->my_role != SL_ROLE_EXPERT)
    return;
  left.time_ms = g_get_monotonic_time () / 1000; /* as the window's events */
  sl_guide_input_handle (g->input, &left);
  schedule_input_flush (g);
}

/* Expert, a new "sl-guide": a township that lost the previous channel may
 * have lost messages too, so it is told the marks as they stand (a clear,
 * then each live mark in drawing order). */
/* Sends @session the marks of @state still live at @now (a mark with a
 * time to live gets what is left of it), as `mark` messages stamped
 * @media_ms; returns how many went. */
static guint
send_live_marks (SlSession *session, SlGuideState *state, gint64 now,
                 gint64 media_ms)
{
  SlGuideMsg msg = { .type = SL_GUIDE_MARK, .media_ms = media_ms };
  guint sent = 0;

  for (guint i = 0; i < sl_guide_state_n_marks (state); i++)
    {
      gint64 expires;
      const SlGuideMark *mark = sl_guide_state_nth_mark (state, i, &expires);

      if (expires <= now)
        continue;
      msg.mark = *mark;
      if (mark->ttl_ms > 0)
        msg.mark.ttl_ms = MAX (1, expires - now);
      sent += sl_session_send_guide (session, &msg) ? 1 : 0;
    }
  return sent;
}

static void
resend_marks (SlStationGuide *g, SlSession *session)
{
  SlGuideState *own = g_hash_table_lookup (g->states, OWN_STATE);
  SlGuideMsg clear = { .type = SL_GUIDE_CLEAR };
  guint n = own ? sl_guide_state_n_marks (own) : 0;

  if (n == 0)
    return;
  clear.media_ms = expert_media_ms (g, session);
  sl_session_send_guide (session, &clear);
  send_live_marks (session, own, now_ms (), clear.media_ms);
  sl_station_log (g->st, "guidance: sent the %u live marks again", n);
}

/* ---- to the trainees ---- */

/* Township: whether @session's peer watches the lesson (a trainee). */
static gboolean
is_trainee_session (SlStationGuide *g, SlSession *session)
{
  SlPeerRole peer = sl_station_session_peer (g->st, session);

  return peer.known && peer.role == SL_ROLE_TRAINEE;
}

/* Township: an expert's message it applied, passed on to every trainee,
 * so that trainees see what the township's own screen shows. */
static void
forward_to_trainees (SlStationGuide *g, const SlGuideMsg *msg)
{
  GHashTableIter iter;
  gpointer session;

  g_hash_table_iter_init (&iter, g->st->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &session))
    if (is_trainee_session (g, session))
      sl_session_send_guide (session, msg);
}

/* Township: a trainee's guidance channel opened: the marks the experts
 * have on the picture now, after a clear. */
static void
catch_trainee_up (SlStationGuide *g, SlSession *trainee)
{
  SlGuideMsg clear = { .type = SL_GUIDE_CLEAR };
  GHashTableIter iter;
  gpointer state;
  gint64 now = now_ms ();
  guint sent = 0;

  sl_session_send_guide (trainee, &clear);
  g_mutex_lock (&g->lock);
  g_hash_table_iter_init (&iter, g->states);
  while (g_hash_table_iter_next (&iter, NULL, &state))
    sent += send_live_marks (trainee, state, now, 0);
  g_mutex_unlock (&g->lock);
  if (sent > 0)
    sl_station_log (g->st, "guidance: %u live marks sent to trainee %s", sent,
                    sl_session_get_peer_id (trainee));
}

/* ---- receiving ---- */

/* Township: one line for each mark, cue and prompt applied, saying what
 * it is (never a text label's words: the expert may type anything).
 * Pointer moves, up to thirty a second, are not announced. */
static void
announce (SlStationGuide *g, SlSession *session, const SlGuideMsg *msg)
{
  const gchar *from = sl_session_get_peer_id (session);

  switch (msg->type)
    {
    case SL_GUIDE_MARK:
      sl_station_log (g->st, "guidance from %.8s: mark %s %s", from,
                      sl_guide_kind_name (msg->mark.kind), msg->mark.id);
      break;
    case SL_GUIDE_DELETE:
      sl_station_log (g->st, "guidance from %.8s: delete %s", from, msg->id);
      break;
    case SL_GUIDE_UNDO:
    case SL_GUIDE_CLEAR:
      sl_station_log (g->st, "guidance from %.8s: %s", from,
                      sl_guide_type_name (msg->type));
      break;
    case SL_GUIDE_CUE:
      sl_station_log (g->st, "guidance from %.8s: cue %s %s", from,
                      sl_guide_cue_name (msg->cue.cue),
                      sl_guide_dir_name (msg->cue.dir));
      break;
    case SL_GUIDE_PROMPT:
      sl_station_log (g->st, "guidance from %.8s: prompt %s", from,
                      sl_guide_prompt_name (msg->prompt.prompt));
      break;
    default:
      break;
    }
}

static void
township_apply (SlStationGuide *g, SlSession *session, const SlGuideMsg *msg)
{
  g_autoptr (GError) error = NULL;
  gboolean ok;

  /* Rights by the role the peer had when its session was opened: an
   * expert draws, a trainee watches, and a peer whose role the station
   * never learnt does nothing (not role 0, the township, as it was). */
  if (!sl_peer_may_guide (sl_station_session_peer (g->st, session)))
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "only an expert draws on the picture");
      g_info ("guidance: refused a %s: %s", sl_guide_type_name (msg->type),
              error->message);
      sl_session_send_guide_nack (session, error, msg->media_ms,
                                  sl_guide_type_name (msg->type), NULL);
      return;
    }
  g_mutex_lock (&g->lock);
  ok = sl_guide_state_apply (state_for (g, sl_session_get_peer_id (session)),
                             msg, now_ms (), &error);
  g_mutex_unlock (&g->lock);
  if (ok)
    {
      log_event (g, "applied", msg);
      announce (g, session, msg);
      forward_to_trainees (g, msg);
      return;
    }
  g_info ("guidance: refused a %s: %s", sl_guide_type_name (msg->type),
          error->message);
  sl_session_send_guide_nack (session, error, msg->media_ms,
                              sl_guide_type_name (msg->type),
                              msg->type == SL_GUIDE_MARK ? msg->mark.id : NULL);
}

void
sl_station_guide_on_message (SlStation *st, SlSession *session,
                             const SlGuideMsg *msg)
{
  SlStationGuide *g = st->guide;
  const gboolean township = st->opt->kind == SL_STATION_TOWNSHIP;

  if (g == NULL)
    return;
  sl_station_record_guide (st, session, FALSE, msg);
  switch (msg->type)
    {
    case SL_GUIDE_NACK:
      g->nacks_received++;
      sl_station_log (st, "guidance: the peer refused a %s message (%s)",
                      msg->nack.ref_type[0] ? msg->nack.ref_type : "guidance",
                      sl_guide_reason_name (msg->nack.reason));
      sl_station_still_on_message (st, session, msg);
      break;
    case SL_GUIDE_STILL_REQUEST:
    case SL_GUIDE_STILL_META:
    case SL_GUIDE_STILL_CHUNK:
    case SL_GUIDE_STILL_END:
      sl_station_still_on_message (st, session, msg);
      break;
    case SL_GUIDE_IMAGE:
      if (township)
        break;
      anchor_media_time (g, session, msg->media_ms);
      g_mutex_lock (&g->lock);
      sl_guide_state_apply (state_for (g, OWN_STATE), msg, now_ms (), NULL);
      g_mutex_unlock (&g->lock);
      break;
    default:
      /* Marks, pointer, cues, prompts: what a viewer draws on the
       * township's picture.  A township draws nothing on the expert's;
       * a trainee draws what the township passes on from the experts. */
      if (township)
        township_apply (g, session, msg);
      else if (st->my_role == SL_ROLE_TRAINEE)
        {
          g_autoptr (GError) error = NULL;

          /* Into the station's own state, beside the probe image the
           * township announced, so calipers measure in mm here too: a
           * trainee sends nothing of its own. */
          g_mutex_lock (&g->lock);
          if (!sl_guide_state_apply (state_for (g, OWN_STATE), msg, now_ms (),
                                     &error))
            g_info ("guidance: a %s from the township not shown: %s",
                    sl_guide_type_name (msg->type), error->message);
          g_mutex_unlock (&g->lock);
        }
      break;
    }
}

static void
send_image (SlStation *st, SlSession *session)
{
  SlGuideMsg msg = { .type = SL_GUIDE_IMAGE };

  if (st->probe_width == 0 || st->probe_height == 0)
    return;
  msg.media_ms = MAX (0, sl_capture_media_now_ms (st->capture));
  msg.image.width = st->probe_width;
  msg.image.height = st->probe_height;
  msg.image.mm_per_px_x = msg.image.mm_per_px_y = st->probe_mm_per_px;
  if (!sl_session_send_guide (session, &msg))
    g_info ("guidance: could not announce the probe image");
}

void
sl_station_guide_on_channel (SlStation *st, SlSession *session,
                             const gchar *label, gboolean open)
{
  SlStationGuide *g = st->guide;
  const gboolean pointer = g_str_equal (label, SL_GUIDE_POINTER_CHANNEL);

  if (g == NULL)
    return;
  if (st->opt->kind == SL_STATION_TOWNSHIP)
    {
      if (open && pointer)
        {
          g_mutex_lock (&g->lock);
          sl_guide_state_reset_pointer (
              state_for (g, sl_session_get_peer_id (session)));
          g_mutex_unlock (&g->lock);
        }
      else if (open && st->capture != NULL)
        {
          send_image (st, session);
          if (is_trainee_session (g, session))
            catch_trainee_up (g, session);
        }
      return;
    }
  if (pointer)
    {
      /* A new channel's receiver forgets the last seq: start again. */
      if (open)
        g->pointer_seq = 0;
      return;
    }
  if (!open)
    {
      if (g->active == session)
        g->active = NULL;
      g_clear_handle_id (&g->script_timer, g_source_remove);
      return;
    }
  g->active = session;
  resend_marks (g, session);
  schedule_script (g);
}

void
sl_station_guide_session_removed (SlStation *st, SlSession *session)
{
  SlStationGuide *g = st->guide;

  if (g == NULL)
    return;
  sl_station_still_session_removed (st, session);
  if (g->active == session)
    {
      g->active = NULL;
      g_clear_handle_id (&g->script_timer, g_source_remove);
      g_clear_handle_id (&g->pointer_timer, g_source_remove);
    }
}

void
sl_station_guide_input_status (SlStation *st, SlStatusInfo *info)
{
  SlStationGuide *g = st->guide;
  static const gchar *const tools[] = {
    [SL_GUIDE_INPUT_TOOL_FREEHAND] = "freehand",
    [SL_GUIDE_INPUT_TOOL_ARROW] = "arrow",
    [SL_GUIDE_INPUT_TOOL_BOX] = "box",
    [SL_GUIDE_INPUT_TOOL_ELLIPSE] = "ellipse",
    [SL_GUIDE_INPUT_TOOL_CALIPER] = "caliper",
  };
  SlGuideCueKind cue;

  info->expert = st->opt->kind == SL_STATION_EXPERT
                 && st->my_role != SL_ROLE_TRAINEE && g != NULL
                 && g->input != NULL;
  if (!info->expert)
    return;
  g_strlcpy (info->tool, tools[sl_guide_input_get_tool (g->input)],
             sizeof info->tool);
  cue = sl_guide_input_get_armed_cue (g->input);
  g_strlcpy (info->cue, cue == SL_GUIDE_CUE_NONE ? "" : sl_guide_cue_name (cue),
             sizeof info->cue);
}

void
sl_station_guide_tick (SlStation *st)
{
  if (st->guide != NULL)
    sl_station_still_tick (st);
}

/* ---- stats ---- */

static void
add_state_stats (SlStationGuide *g, const gchar *key, JsonObject *rec)
{
  SlGuideState *state;
  SlGuidePointer pointer;
  SlGuideCue cue;
  SlGuidePrompt prompt;
  JsonObject *calipers = NULL;
  gint64 now = now_ms ();
  guint live = 0;

  g_mutex_lock (&g->lock);
  state = g_hash_table_lookup (g->states, key);
  if (state == NULL)
    {
      g_mutex_unlock (&g->lock);
      return;
    }
  for (guint i = 0; i < sl_guide_state_n_marks (state); i++)
    {
      gint64 expires;
      const SlGuideMark *mark = sl_guide_state_nth_mark (state, i, &expires);

      live += expires > now;
      /* What each caliper reads, as drawn: the township's own spacing,
       * or at the expert the one the township's "image" message gave, so
       * a reader can check the mm end to end. */
      if (expires > now && mark->kind == SL_GUIDE_KIND_CALIPER)
        {
          g_autofree gchar *label = sl_guide_caliper_label (
              mark, state, g->style.source_width ? &g->style : NULL, 0, 0);

          if (calipers == NULL)
            calipers = json_object_new ();
          json_object_set_string_member (calipers, mark->id, label);
        }
    }
  json_object_set_int_member (rec, "guide_marks", live);
  if (calipers != NULL)
    json_object_set_object_member (rec, "guide_calipers", calipers);
  json_object_set_int_member (rec, "guide_undo", sl_guide_state_n_undo (state));
  if (sl_guide_state_get_pointer (state, now, &pointer))
    {
      json_object_set_double_member (rec, "guide_pointer_x", pointer.at.x);
      json_object_set_double_member (rec, "guide_pointer_y", pointer.at.y);
      json_object_set_int_member (rec, "guide_pointer_seq", pointer.seq);
    }
  if (sl_guide_state_get_cue (state, now, &cue, NULL))
    json_object_set_string_member (rec, "guide_cue",
                                   sl_guide_cue_name (cue.cue));
  if (sl_guide_state_get_prompt (state, now, &prompt))
    json_object_set_string_member (rec, "guide_prompt",
                                   sl_guide_prompt_name (prompt.prompt));
  g_mutex_unlock (&g->lock);
}

void
sl_station_guide_add_stats (SlStation *st, SlSession *session, JsonObject *rec)
{
  SlStationGuide *g = st->guide;
  SlSessionGuideStats gs;

  if (g == NULL)
    return;
  sl_session_get_guide_stats (session, &gs);
  json_object_set_boolean_member (
      rec, "guide_open", sl_session_guide_is_open (session, SL_GUIDE_MARK));
  json_object_set_int_member (rec, "guide_received", gs.received);
  json_object_set_int_member (rec, "guide_refused", gs.refused);
  json_object_set_int_member (rec, "guide_sent", gs.sent);
  json_object_set_int_member (rec, "guide_nacks_sent", gs.nacks_sent);
  json_object_set_int_member (rec, "guide_nacks_received", g->nacks_received);
  add_state_stats (g,
                   st->opt->kind == SL_STATION_TOWNSHIP
                       ? sl_session_get_peer_id (session)
                       : OWN_STATE,
                   rec);
  if (g->script != NULL)
    {
      json_object_set_int_member (rec, "guide_script_sent", g->script_sent);
      json_object_set_boolean_member (rec, "guide_script_done",
                                      g->script_pos == g->script->len);
    }
  sl_station_still_add_stats (st, rec);
  if (st->opt->kind == SL_STATION_EXPERT && g->anchored)
    json_object_set_int_member (rec, "guide_media_ms",
                                expert_media_ms (g, session));
}

/* ---- life ---- */

void
sl_station_guide_set_room (SlStation *st, const gchar *room)
{
  if (st->guide == NULL || room == NULL)
    return;
  g_free (st->guide->room);
  st->guide->room = g_strdup (room);
}

const gchar *
sl_station_guide_room (SlStation *st)
{
  return st->guide && st->guide->room ? st->guide->room : "room";
}

static SlExitStatus
load_script (SlStation *st, SlStationGuide *g)
{
  g_autoptr (GError) error = NULL;

  if (st->opt->guidance_script == NULL)
    return SL_EXIT_OK;
  g->script = sl_guide_script_load (st->opt->guidance_script, &error);
  if (g->script == NULL)
    {
      g_printerr ("%s: --guidance-script: %s\n", st->name, error->message);
      return SL_EXIT_USAGE;
    }
  sl_station_log (
      st, "guidance script %s: %u entries over %.1f s",
      st->opt->guidance_script, g->script->len,
      g_array_index (g->script, SlGuideScriptEntry, g->script->len - 1).at_ms
          / 1000.0);
  return SL_EXIT_OK;
}

SlExitStatus
sl_station_guide_prepare (SlStation *st)
{
  SlStationGuide *g = g_new0 (SlStationGuide, 1);

  g->st = st;
  g_mutex_init (&g->lock);
  g_mutex_init (&g->input_lock);
  g_queue_init (&g->input_queue);
  g->states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify)sl_guide_state_free);
  st->guide = g;
  if (st->opt->kind == SL_STATION_TOWNSHIP)
    {
      g->style.source_width = st->probe_width;
      g->style.source_height = st->probe_height;
      g->style.mm_per_px_x = g->style.mm_per_px_y = st->probe_mm_per_px;
      if (st->capture != NULL)
        sl_capture_keep_frames (st->capture, KEPT_FRAMES);
    }
  if (st->opt->guide_log != NULL)
    {
      g->log = fopen (st->opt->guide_log, "a");
      if (g->log == NULL)
        {
          g_printerr ("%s: cannot open --guide-log %s: %s\n", st->name,
                      st->opt->guide_log, g_strerror (errno));
          return SL_EXIT_USAGE;
        }
      setvbuf (g->log, NULL, _IOLBF, 0);
    }
  return load_script (st, g);
}

void
sl_station_guide_finish (SlStation *st)
{
  g_autoptr (GstSample) frame = NULL;

  if (st->guide == NULL || st->opt->kind != SL_STATION_TOWNSHIP
      || st->capture == NULL)
    return;
  /* The final snapshot is written after the capture is gone: keep its
   * newest frame where the report looks for the last picture. */
  frame = sl_capture_get_frame (st->capture, -1, NULL);
  if (frame == NULL)
    return;
  g_mutex_lock (&st->sample_lock);
  g_clear_pointer (&st->last_sample, gst_sample_unref);
  st->last_sample = g_steal_pointer (&frame);
  g_mutex_unlock (&st->sample_lock);
}

void
sl_station_guide_free (SlStation *st)
{
  SlStationGuide *g = st->guide;

  if (g == NULL)
    return;
  sl_station_still_free (st);
  g_clear_handle_id (&g->script_timer, g_source_remove);
  g_clear_handle_id (&g->pointer_timer, g_source_remove);
  g_clear_handle_id (&g->input_flush_timer, g_source_remove);
  g_mutex_lock (&g->input_lock);
  g_clear_handle_id (&g->input_idle, g_source_remove);
  g_queue_clear_full (&g->input_queue, g_free);
  g_mutex_unlock (&g->input_lock);
  g_mutex_clear (&g->input_lock);
  g_clear_pointer (&g->input, sl_guide_input_free);
  g_clear_pointer (&g->script, g_array_unref);
  g_clear_pointer (&g->states, g_hash_table_unref);
  g_clear_pointer (&g->log, fclose);
  g_mutex_clear (&g->lock);
  g_free (g->room);
  g_free (g);
  st->guide = NULL;
}
