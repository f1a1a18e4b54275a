/* sl-replay-timeline.c — see sl-replay-timeline.h.
 *
 * The messages sit in one array sorted by the time they are keyed to
 * (ties in the sidecar's order, which is the order they were applied at
 * the station).  A seek forwards applies the messages between the last
 * time and the new one; a seek backwards empties the states and applies
 * from the start, which for an hour of marks and pointer (some 10^5
 * messages) stays well under a frame's time.
 */
#include "sl-replay-timeline.h"
#include "sl-guide-render.h"

#include <stdlib.h>
#include <string.h>

#define SELF "self"

typedef struct
{
  gint64 at_ms;   /* frame_ms, else t_ms */
  guint order;    /* in the sidecar */
  guint drawer;   /* index into drawers */
  SlGuideMsg msg; /* parsed: what the state takes */
} Event;

struct _SlReplayTimeline
{
  GArray *events;    /* Event, sorted by at_ms then order once sorted */
  gboolean sorted;   /* events is in order */
  GPtrArray *names;  /* drawer names, gchar *, in the order first seen */
  GPtrArray *states; /* SlGuideState *, one per drawer */
  guint applied;     /* events applied to the states */
  gint64 now_ms;     /* the time of the last seek; G_MININT64 before one */
  GArray *notes;     /* SlReplayNote, sorted by t_ms once sorted */
  gboolean notes_sorted;
};

static void
event_clear (gpointer p)
{
  sl_guide_msg_clear (&((Event *)p)->msg);
}

static void
note_clear (gpointer p)
{
  g_free (((SlReplayNote *)p)->text);
}

SlReplayTimeline *
sl_replay_timeline_new (void)
{
  SlReplayTimeline *tl = g_new0 (SlReplayTimeline, 1);

  tl->events = g_array_new (FALSE, FALSE, sizeof (Event));
  g_array_set_clear_func (tl->events, event_clear);
  tl->names = g_ptr_array_new_with_free_func (g_free);
  tl->states
      = g_ptr_array_new_with_free_func ((GDestroyNotify)sl_guide_state_free);
  tl->notes = g_array_new (FALSE, FALSE, sizeof (SlReplayNote));
  g_array_set_clear_func (tl->notes, note_clear);
  tl->now_ms = G_MININT64;
  tl->sorted = tl->notes_sorted = TRUE;
  return tl;
}

void
sl_replay_timeline_free (SlReplayTimeline *tl)
{
  if (tl == NULL)
    return;
  g_array_unref (tl->events);
  g_ptr_array_unref (tl->names);
  g_ptr_array_unref (tl->states);
  g_array_unref (tl->notes);
  g_free (tl);
}

static guint
drawer_for (SlReplayTimeline *tl, const gchar *name)
{
  for (guint i = 0; i < tl->names->len; i++)
    if (g_strcmp0 (tl->names->pdata[i], name) == 0)
      return i;
  g_ptr_array_add (tl->names, g_strdup (name));
  g_ptr_array_add (tl->states, sl_guide_state_new ());
  return tl->names->len - 1;
}

gboolean
sl_replay_timeline_add (SlReplayTimeline *tl, const SlRecordEvent *event,
                        GError **error)
{
  g_autoptr (GError) guide_error = NULL;
  Event e = { 0 };

  if (event->type == SL_RECORD_EVENT_NOTE)
    {
      SlReplayNote note = { event->t_ms, g_strdup (event->text) };

      g_array_append_val (tl->notes, note);
      tl->notes_sorted = FALSE;
      return TRUE;
    }
  if (event->type != SL_RECORD_EVENT_GUIDE)
    return TRUE;
  if (!sl_guide_parse (event->msg, strlen (event->msg), &e.msg, &guide_error))
    {
      sl_guide_msg_clear (&e.msg);
      g_set_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_NOTE,
                   "a guidance message that cannot be read: %s",
                   guide_error->message);
      return FALSE;
    }
  e.at_ms = event->frame_ms >= 0 ? event->frame_ms : MAX (event->t_ms, 0);
  e.order = tl->events->len;
  e.drawer = drawer_for (tl, event->sent ? SELF : event->peer);
  g_array_append_val (tl->events, e);
  tl->sorted = FALSE;
  tl->now_ms = G_MININT64; /* what was applied no longer holds */
  return TRUE;
}

gboolean
sl_replay_timeline_load (SlReplayTimeline *tl, const gchar *data, gsize len,
                         guint *skipped, GError **error)
{
  const gchar *p = data, *end = data + len;
  guint bad = 0, n = 0;

  while (p < end)
    {
      const gchar *nl = memchr (p, '\n', end - p);
      const gchar *line_end = nl != NULL ? nl : end;
      g_auto (SlRecordEvent) event = { 0 };

      if (line_end > p && sl_record_event_parse (p, line_end - p, &event, NULL))
        {
          if (n == 0 && event.type != SL_RECORD_EVENT_RECORDING)
            break;
          if (!sl_replay_timeline_add (tl, &event, NULL))
            bad++;
          n++;
        }
      else if (line_end > p)
        {
          if (n == 0)
            break;
          bad++;
        }
      p = line_end + 1;
    }
  if (n == 0)
    {
      g_set_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_NOT_RECORDING,
                   "the sidecar does not begin with a recording line");
      return FALSE;
    }
  if (skipped != NULL)
    *skipped = bad;
  return TRUE;
}

static gint
compare_events (gconstpointer a, gconstpointer b)
{
  const Event *x = a, *y = b;

  if (x->at_ms != y->at_ms)
    return x->at_ms < y->at_ms ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static gint
compare_notes (gconstpointer a, gconstpointer b)
{
  const SlReplayNote *x = a, *y = b;

  return x->t_ms < y->t_ms ? -1 : x->t_ms > y->t_ms;
}

static void
sort (SlReplayTimeline *tl)
{
  if (!tl->sorted)
    g_array_sort (tl->events, compare_events);
  if (!tl->notes_sorted)
    g_array_sort (tl->notes, compare_notes);
  tl->sorted = tl->notes_sorted = TRUE;
}

void
sl_replay_timeline_seek (SlReplayTimeline *tl, gint64 t_ms)
{
  sort (tl);
  if (t_ms < tl->now_ms || tl->now_ms == G_MININT64)
    {
      for (guint i = 0; i < tl->states->len; i++)
        {
          sl_guide_state_free (tl->states->pdata[i]);
          tl->states->pdata[i] = sl_guide_state_new ();
        }
      tl->applied = 0;
    }
  for (; tl->applied < tl->events->len; tl->applied++)
    {
      Event *e = &g_array_index (tl->events, Event, tl->applied);

      if (e->at_ms > t_ms)
        break;
      /* A message the live station refused (a 65th mark) is refused
       * here alike: the picture stays as it was shown. */
      sl_guide_state_apply (tl->states->pdata[e->drawer], &e->msg, e->at_ms,
                            NULL);
    }
  for (guint i = 0; i < tl->states->len; i++)
    sl_guide_state_expire (tl->states->pdata[i], t_ms);
  tl->now_ms = t_ms;
}

guint
sl_replay_timeline_n_marks (SlReplayTimeline *tl)
{
  guint n = 0;

  for (guint i = 0; i < tl->states->len; i++)
    n += sl_guide_state_n_marks (tl->states->pdata[i]);
  return n;
}

gboolean
sl_replay_timeline_has_mark (SlReplayTimeline *tl, const gchar *id)
{
  for (guint i = 0; i < tl->states->len; i++)
    if (sl_guide_state_lookup (tl->states->pdata[i], id, tl->now_ms) != NULL)
      return TRUE;
  return FALSE;
}

void
sl_replay_timeline_render (SlReplayTimeline *tl, cairo_t *cr, guint width,
                           guint height)
{
  for (guint i = 0; i < tl->states->len; i++)
    sl_guide_render (cr, width, height, tl->states->pdata[i], NULL, tl->now_ms);
}

const SlReplayNote *
sl_replay_timeline_notes (SlReplayTimeline *tl, guint *n_notes)
{
  sort (tl);
  *n_notes = tl->notes->len;
  return (const SlReplayNote *)tl->notes->data;
}

const SlReplayNote *
sl_replay_timeline_note_at (SlReplayTimeline *tl, gint64 t_ms)
{
  const SlReplayNote *found = NULL;

  sort (tl);
  for (guint i = 0; i < tl->notes->len; i++)
    {
      const SlReplayNote *note = &g_array_index (tl->notes, SlReplayNote, i);

      if (note->t_ms > t_ms)
        break;
      if (t_ms - note->t_ms < SL_REPLAY_NOTE_SHOW_MS)
        found = note;
    }
  return found;
}

/* ---- WebVTT ---- */

/* What shows at the last seek, as one cue text per line, in a stable
 * order: the marks of each drawer in drawing order, then cues and
 * prompts. */
static GPtrArray *
labels_now (SlReplayTimeline *tl)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < tl->states->len; i++)
    {
      SlGuideState *state = tl->states->pdata[i];
      SlGuideCue cue;
      SlGuidePrompt prompt;

      for (guint m = 0; m < sl_guide_state_n_marks (state); m++)
        {
          gint64 expires;
          const SlGuideMark *mark
              = sl_guide_state_nth_mark (state, m, &expires);

          if (expires <= tl->now_ms)
            continue;
          if (mark->kind == SL_GUIDE_KIND_TEXT)
            g_ptr_array_add (out, g_strdup_printf ("mark %s (label): %s",
                                                   mark->id, mark->text));
          else
            g_ptr_array_add (out,
                             g_strdup_printf ("mark %s (%s)", mark->id,
                                              sl_guide_kind_name (mark->kind)));
        }
      if (sl_guide_state_get_cue (state, tl->now_ms, &cue, NULL)
          && cue.cue != SL_GUIDE_CUE_NONE)
        g_ptr_array_add (out, g_strdup_printf ("cue: %s %s",
                                               sl_guide_cue_name (cue.cue),
                                               sl_guide_dir_name (cue.dir)));
      if (sl_guide_state_get_prompt (state, tl->now_ms, &prompt)
          && prompt.prompt != SL_GUIDE_PROMPT_NONE)
        g_ptr_array_add (
            out, g_strdup_printf ("prompt: %s",
                                  sl_guide_prompt_text (prompt.prompt)));
    }
  return out;
}

static void
append_time (GString *s, gint64 ms)
{
  ms = MAX (ms, 0);
  g_string_append_printf (s, "%02" G_GINT64_FORMAT ":%02d:%02d.%03d",
                          ms / 3600000, (gint)(ms / 60000 % 60),
                          (gint)(ms / 1000 % 60), (gint)(ms % 1000));
}

typedef struct
{
  gint64 start, end;
  gchar *text;
} Cue;

static void
cue_clear (gpointer p)
{
  g_free (((Cue *)p)->text);
}

static gint
compare_cues (gconstpointer a, gconstpointer b)
{
  const Cue *x = a, *y = b;

  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}

static void
add_cue (GArray *cues, gint64 start, gint64 end, const gchar *text)
{
  Cue cue = { start, end, g_strdup (text) };

  g_array_append_val (cues, cue);
}

static void
append_cue (GString *s, gint64 start, gint64 end, const gchar *text)
{
  g_string_append_c (s, '\n');
  append_time (s, start);
  g_string_append (s, " --> ");
  append_time (s, end);
  g_string_append_c (s, '\n');
  /* "-->" and a blank line would end the cue early: neither can be in
   * a label or a note (one line, and "-->" is spelt apart). */
  for (const gchar *p = text; *p != '\0'; p++)
    {
      if (g_str_has_prefix (p, "-->"))
        {
          g_string_append (s, "--&gt;");
          p += 2;
        }
      else if (*p == '<')
        g_string_append (s, "&lt;");
      else if (*p == '&')
        g_string_append (s, "&amp;");
      else
        g_string_append_c (s, *p);
    }
  g_string_append_c (s, '\n');
}

static gint
compare_times (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

/* The times at which what shows may change: every message's time and,
 * for what has one, the end of its time on screen. */
static GArray *
change_times (SlReplayTimeline *tl, gint64 from_ms, gint64 to_ms)
{
  GArray *times = g_array_new (FALSE, FALSE, sizeof (gint64));

  g_array_append_val (times, from_ms);
  for (guint i = 0; i < tl->events->len; i++)
    {
      const Event *e = &g_array_index (tl->events, Event, i);
      gint64 t[2] = { e->at_ms, -1 };

      if (e->msg.type == SL_GUIDE_POINTER)
        continue;
      if (e->msg.type == SL_GUIDE_MARK && e->msg.mark.ttl_ms > 0)
        t[1] = e->at_ms + e->msg.mark.ttl_ms;
      else if (e->msg.type == SL_GUIDE_CUE)
        t[1] = e->at_ms + e->msg.cue.duration_ms;
      else if (e->msg.type == SL_GUIDE_PROMPT)
        t[1] = e->at_ms + e->msg.prompt.duration_ms;
      for (guint k = 0; k < 2; k++)
        if (t[k] > from_ms && t[k] < to_ms)
          g_array_append_val (times, t[k]);
    }
  g_array_sort (times, compare_times);
  return times;
}

gchar *
sl_replay_timeline_to_vtt (SlReplayTimeline *tl, gint64 from_ms, gint64 to_ms)
{
  GString *s = g_string_new ("WEBVTT\n");
  g_autoptr (GArray) times = NULL;
  g_autoptr (GPtrArray) open = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) since = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) cues = g_array_new (FALSE, FALSE, sizeof (Cue));

  g_array_set_clear_func (cues, cue_clear);
  sort (tl);
  times = change_times (tl, from_ms, to_ms);
  for (guint i = 0; i <= times->len; i++)
    {
      gint64 t = i < times->len ? g_array_index (times, gint64, i) : to_ms;
      g_autoptr (GPtrArray) now = NULL;

      if (i > 0 && i < times->len && t == g_array_index (times, gint64, i - 1))
        continue;
      sl_replay_timeline_seek (tl, t);
      now = i < times->len ? labels_now (tl)
                           : g_ptr_array_new_with_free_func (g_free);
      /* Close what no longer shows, open what is new. */
      for (guint k = open->len; k-- > 0;)
        if (!g_ptr_array_find_with_equal_func (now, open->pdata[k], g_str_equal,
                                               NULL))
          {
            add_cue (cues, g_array_index (since, gint64, k) - from_ms,
                     t - from_ms, open->pdata[k]);
            g_ptr_array_remove_index (open, k);
            g_array_remove_index (since, k);
          }
      for (guint k = 0; k < now->len; k++)
        if (!g_ptr_array_find_with_equal_func (open, now->pdata[k], g_str_equal,
                                               NULL))
          {
            g_ptr_array_add (open, g_strdup (now->pdata[k]));
            g_array_append_val (since, t);
          }
    }
  for (guint i = 0; i < tl->notes->len; i++)
    {
      const SlReplayNote *note = &g_array_index (tl->notes, SlReplayNote, i);
      g_autofree gchar *text = g_strdup_printf ("note: %s", note->text);

      if (note->t_ms < from_ms || note->t_ms > to_ms)
        continue;
      add_cue (cues, note->t_ms - from_ms,
               MIN (note->t_ms + SL_REPLAY_NOTE_SHOW_MS, to_ms) - from_ms,
               text);
    }
  /* WebVTT wants the cues in the order they start. */
  g_array_sort (cues, compare_cues);
  for (guint i = 0; i < cues->len; i++)
    {
      const Cue *cue = &g_array_index (cues, Cue, i);

      append_cue (s, cue->start, cue->end, cue->text);
    }
  return g_string_free (s, FALSE);
}

/* ---- notes ---- */

static gboolean
note_error (GError **error, const gchar *why)
{
  g_set_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_NOTE,
               "a note is \"SECONDS: TEXT\", e.g. \"12.4: probe too "
               "lateral\": %s",
               why);
  return FALSE;
}

gboolean
sl_replay_note_text_is_valid (const gchar *text, GError **error)
{
  if (!g_utf8_validate (text, -1, NULL))
    return note_error (error, "the text is not UTF-8");
  if (*text == '\0')
    return note_error (error, "the text is empty");
  if (strlen (text) > SL_RECORD_MAX_TEXT)
    return note_error (error, "the text is longer than 1024 bytes");
  for (const gchar *p = text; *p != '\0'; p++)
    if ((guchar)*p < 0x20 || *p == 0x7F)
      return note_error (error, "the text holds a control character");
  return TRUE;
}

/* Reads digits into *@v (at most 9 of them); returns how many. */
static guint
read_digits (const gchar **p, gint64 *v)
{
  guint n = 0;

  *v = 0;
  while (g_ascii_isdigit (**p) && n < 9)
    {
      *v = *v * 10 + (**p - '0');
      (*p)++;
      n++;
    }
  return n;
}

/* Reads "S[.fff]" or "M:SS[.fff]" at *@p into *@ms, moving *@p past it;
 * NULL or why not. */
static const gchar *
read_time (const gchar **p, gint64 *ms)
{
  gint64 a, b = -1, frac = 0;
  guint n_frac = 0;

  if (read_digits (p, &a) == 0)
    return "it does not begin with a time";
  if (**p == ':' && g_ascii_isdigit ((*p)[1]))
    {
      (*p)++;
      if (read_digits (p, &b) != 2 || b > 59)
        return "seconds after minutes are two digits";
    }
  if (**p == '.')
    {
      (*p)++;
      while (g_ascii_isdigit (**p) && n_frac < 3)
        {
          frac = frac * 10 + (*(*p)++ - '0');
          n_frac++;
        }
      if (n_frac == 0 || g_ascii_isdigit (**p))
        return "a time has one to three decimals";
      while (n_frac++ < 3)
        frac *= 10;
    }
  *ms = b < 0 ? a * 1000 + frac : (a * 60 + b) * 1000 + frac;
  return NULL;
}

gboolean
sl_replay_time_parse (const gchar *arg, gint64 *ms, GError **error)
{
  const gchar *p = arg;
  const gchar *why = read_time (&p, ms);

  if (why == NULL && *p != '\0')
    why = "something follows the time";
  if (why != NULL)
    {
      g_set_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_RANGE,
                   "a time is SECONDS (12.4) or MINUTES:SECONDS (1:02.5): %s",
                   why);
      return FALSE;
    }
  return TRUE;
}

gboolean
sl_replay_note_parse (const gchar *arg, gint64 *t_ms, gchar **text,
                      GError **error)
{
  const gchar *p = arg;
  const gchar *why = read_time (&p, t_ms);
  g_autofree gchar *stripped = NULL;

  if (why != NULL)
    return note_error (error, why);
  if (*p != ':')
    return note_error (error, "no colon after the time");
  stripped = g_strstrip (g_strdup (p + 1));
  if (!sl_replay_note_text_is_valid (stripped, error))
    return FALSE;
  *text = g_steal_pointer (&stripped);
  return TRUE;
}
