/* linkem-options.c — parses sl-linkem's command line (linkem-options.h).
 *
 * Each link option is a row of a table: its name, the "kind" of setting
 * it makes (the rate and the trace are one kind, the capacity; the two
 * queue limits another) and the function that checks its value and writes
 * it into a configuration.  Parsing fills one configuration per level
 * (both directions, up, down) and remembers which option set each kind at
 * each level; merging then takes, per direction and per kind, the
 * direction's own setting or else the plain one.
 */
#include "linkem-options.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

typedef enum
{
  LEVEL_BOTH,
  LEVEL_UP,
  LEVEL_DOWN,
  N_LEVELS
} Level;

typedef enum
{
  KIND_DELAY,
  KIND_JITTER,
  KIND_REORDER,
  KIND_LOSS,
  KIND_BURST,
  KIND_CAPACITY,
  KIND_QUEUE,
  KIND_OUTAGE,
  N_KINDS
} Kind;

typedef gboolean (*ApplyFunc) (SlLinkemConfig *c, const gchar *value,
                               GError **error);

typedef struct
{
  const gchar *name;
  Kind kind;
  gboolean takes_value;
  ApplyFunc apply;
} LinkOption;

static gboolean
bad_value (GError **error, const gchar *message)
{
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       message);
  return FALSE;
}

/* A decimal number in [min, max], all of @s; a final '%' is allowed when
 * @percent. */
static gboolean
parse_number (const gchar *s, gboolean percent, gdouble min, gdouble max,
              gdouble *out)
{
  gchar *end;
  gdouble v = g_ascii_strtod (s, &end);

  if (percent && *end == '%')
    end++;
  if (end == s || *end != '\0' || !isfinite (v) || v < min || v > max)
    return FALSE;
  *out = v;
  return TRUE;
}

static gboolean
parse_ms (const gchar *s, gdouble min, gint64 *out_us)
{
  gdouble ms;

  if (!parse_number (s, FALSE, min, 60000, &ms))
    return FALSE;
  *out_us = (gint64)llround (ms * 1000);
  return TRUE;
}

static gboolean
apply_delay (SlLinkemConfig *c, const gchar *value, GError **error)
{
  return parse_ms (value, 0, &c->delay_us)
         || bad_value (error, "the delay is 0 to 60000 ms");
}

static gboolean
apply_jitter (SlLinkemConfig *c, const gchar *value, GError **error)
{
  return parse_ms (value, 0, &c->jitter_us)
         || bad_value (error, "the jitter is 0 to 60000 ms");
}

static gboolean
apply_reorder (SlLinkemConfig *c, const gchar *value, GError **error)
{
  c->reorder = TRUE;
  return TRUE;
}

static gboolean
apply_loss (SlLinkemConfig *c, const gchar *value, GError **error)
{
  gdouble pct;

  if (!parse_number (value, TRUE, 0, 100, &pct))
    return bad_value (error, "the loss is a percentage from 0 to 100");
  c->loss = pct / 100;
  return TRUE;
}

static gboolean
apply_burst (SlLinkemConfig *c, const gchar *value, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (value, ",", 0);
  gdouble gb, bg;

  if (g_strv_length (parts) != 2 || !parse_number (parts[0], TRUE, 0, 100, &gb)
      || !parse_number (parts[1], TRUE, 0, 100, &bg))
    return bad_value (error, "expected P_GB,P_BG: two percentages from 0 to "
                             "100, e.g. 1,25");
  if (gb > 0 && bg <= 0)
    return bad_value (error, "P_BG must be above 0, or the first burst never "
                             "ends");
  c->burst_p_gb = gb / 100;
  c->burst_p_bg = bg / 100;
  return TRUE;
}

static gboolean
apply_rate (SlLinkemConfig *c, const gchar *value, GError **error)
{
  guint64 kbps;

  if (!g_ascii_string_to_unsigned (value, 10, 1, SL_LINKEM_MAX_RATE_KBPS, &kbps,
                                   NULL))
    return bad_value (error, "the rate is a whole number of kbit/s from 1 "
                             "to 100000000");
  c->rate_kbps = kbps;
  return TRUE;
}

static gboolean
apply_trace (SlLinkemConfig *c, const gchar *value, GError **error)
{
  g_autofree gchar *text = NULL;
  gsize len;
  GStatBuf st;

  if (g_stat (value, &st) == 0 && st.st_size > SL_LINKEM_TRACE_MAX_BYTES)
    return bad_value (error, "the trace file is larger than 128 MiB");
  if (!g_file_get_contents (value, &text, &len, error))
    return FALSE;
  c->trace = sl_linkem_trace_parse (text, len, error);
  return c->trace != NULL;
}

static gboolean
apply_queue (SlLinkemConfig *c, const gchar *value, GError **error)
{
  if (!parse_ms (value, 0.001, &c->queue_us) || c->queue_us <= 0)
    return bad_value (error, "the queue is above 0 and up to 60000 ms");
  return TRUE;
}

static gboolean
apply_queue_bytes (SlLinkemConfig *c, const gchar *value, GError **error)
{
  if (!g_ascii_string_to_unsigned (value, 10, 1, SL_LINKEM_MAX_QUEUE_BYTES,
                                   &c->queue_bytes, NULL))
    return bad_value (error, "the queue is a whole number of bytes from 1 "
                             "to 1073741824");
  return TRUE;
}

static gboolean
apply_outage (SlLinkemConfig *c, const gchar *value, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (value, "+", 0);
  gdouble at, len;

  if (g_strv_length (parts) != 2
      || !parse_number (parts[0], FALSE, 0, 365 * 86400.0, &at)
      || !parse_number (parts[1], FALSE, 1e-6, 365 * 86400.0, &len))
    return bad_value (error, "expected AT_S+LEN_S in seconds from the "
                             "start, LEN_S above 0, e.g. 10+0.15");
  if (c->n_outages >= SL_LINKEM_MAX_OUTAGES)
    return bad_value (error, "at most 64 outages");
  c->outages[c->n_outages].start_us = (gint64)llround (at * G_USEC_PER_SEC);
  c->outages[c->n_outages].length_us = (gint64)llround (len * G_USEC_PER_SEC);
  c->n_outages++;
  return TRUE;
}

static const LinkOption link_options[] = {
  { "delay", KIND_DELAY, TRUE, apply_delay },
  { "jitter", KIND_JITTER, TRUE, apply_jitter },
  { "reorder", KIND_REORDER, FALSE, apply_reorder },
  { "loss", KIND_LOSS, TRUE, apply_loss },
  { "burst-loss", KIND_BURST, TRUE, apply_burst },
  { "rate", KIND_CAPACITY, TRUE, apply_rate },
  { "trace", KIND_CAPACITY, TRUE, apply_trace },
  { "queue", KIND_QUEUE, TRUE, apply_queue },
  { "queue-bytes", KIND_QUEUE, TRUE, apply_queue_bytes },
  { "outage", KIND_OUTAGE, TRUE, apply_outage },
};

static const gchar *const global_options[] = {
  "path-change", "seed", "stats", "mtu", "help", "version",
};

typedef struct
{
  SlLinkemOptions *opts;
  SlLinkemConfig level[N_LEVELS];
  const gchar *set_by[N_LEVELS][N_KINDS]; /* the argument that set it */
} Parser;

/* Finds the link option named @name ("up-delay", "loss", …). */
static const LinkOption *
find_link_option (const gchar *name, Level *level_out)
{
  *level_out = LEVEL_BOTH;
  if (g_str_has_prefix (name, "up-"))
    *level_out = LEVEL_UP, name += 3;
  else if (g_str_has_prefix (name, "down-"))
    *level_out = LEVEL_DOWN, name += 5;
  for (guint i = 0; i < G_N_ELEMENTS (link_options); i++)
    if (strcmp (name, link_options[i].name) == 0)
      return &link_options[i];
  return NULL;
}

static gboolean
apply_link (Parser *p, const LinkOption *o, Level level, const gchar *arg,
            const gchar *value, GError **error)
{
  const gchar **set_by = &p->set_by[level][o->kind];

  if (*set_by != NULL && o->kind != KIND_OUTAGE)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s already sets this for %s", *set_by,
                   level == LEVEL_BOTH ? "both directions"
                   : level == LEVEL_UP ? "the uplink"
                                       : "the downlink");
      return FALSE;
    }
  *set_by = arg;
  return o->apply (&p->level[level], value, error);
}

static gboolean
apply_global (Parser *p, const gchar *name, const gchar *value, GError **error)
{
  SlLinkemOptions *o = p->opts;
  guint64 u;
  gdouble s;

  if (strcmp (name, "path-change") == 0)
    {
      if (!parse_number (value, FALSE, 0, 365 * 86400.0, &s))
        return bad_value (error, "expected AT_S, seconds from the start");
      o->path_change_us = (gint64)llround (s * G_USEC_PER_SEC);
    }
  else if (strcmp (name, "seed") == 0)
    {
      if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT64, &o->seed,
                                       NULL))
        return bad_value (error, "the seed is a whole number");
    }
  else if (strcmp (name, "stats") == 0)
    {
      g_free (o->stats_path);
      o->stats_path = g_strdup (value);
    }
  else if (strcmp (name, "mtu") == 0)
    {
      if (!g_ascii_string_to_unsigned (value, 10, 576, 9000, &u, NULL))
        return bad_value (error, "the MTU is 576 to 9000 bytes");
      o->mtu = (guint)u;
    }
  else if (strcmp (name, "help") == 0)
    o->help = TRUE;
  else
    o->version = TRUE;
  return TRUE;
}

static gboolean
takes_value (const gchar *global_name)
{
  return strcmp (global_name, "help") != 0
         && strcmp (global_name, "version") != 0;
}

/* Handles argv[*i], an option, and the value after it if it takes one. */
static gboolean
parse_option (Parser *p, int argc, char **argv, int *i, GError **error)
{
  g_autofree gchar *name = g_strdup (argv[*i] + 2);
  g_autofree gchar *arg = NULL;
  gchar *eq = strchr (name, '=');
  const gchar *value = eq ? eq + 1 : NULL;
  const LinkOption *link;
  gboolean global = FALSE, wants_value;
  Level level;
  gboolean ok;

  if (eq)
    *eq = '\0';
  link = find_link_option (name, &level);
  for (guint k = 0; link == NULL && k < G_N_ELEMENTS (global_options); k++)
    global = global || strcmp (name, global_options[k]) == 0;
  if (link == NULL && !global)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                   "unknown option --%s", name);
      return FALSE;
    }
  wants_value = link ? link->takes_value : takes_value (name);
  if (wants_value && value == NULL)
    {
      if (*i + 1 >= argc)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "--%s needs a value", name);
          return FALSE;
        }
      value = argv[++*i];
    }
  else if (!wants_value && value != NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--%s takes no value", name);
      return FALSE;
    }
  arg = value ? g_strdup_printf ("--%s %s", name, value)
              : g_strdup_printf ("--%s", name);
  ok = link ? apply_link (p, link, level, g_intern_string (arg), value, error)
            : apply_global (p, name, value, error);
  if (!ok)
    g_prefix_error (error, "%s: ", arg);
  return ok;
}

/* Copies the settings of @kind from @src into @dst. */
static gboolean
copy_kind (SlLinkemConfig *dst, const SlLinkemConfig *src, Kind kind)
{
  switch (kind)
    {
    case KIND_DELAY:
      dst->delay_us = src->delay_us;
      break;
    case KIND_JITTER:
      dst->jitter_us = src->jitter_us;
      break;
    case KIND_REORDER:
      dst->reorder = src->reorder;
      break;
    case KIND_LOSS:
      dst->loss = src->loss;
      break;
    case KIND_BURST:
      dst->burst_p_gb = src->burst_p_gb;
      dst->burst_p_bg = src->burst_p_bg;
      break;
    case KIND_CAPACITY:
      dst->rate_kbps = src->rate_kbps;
      g_clear_pointer (&dst->trace, sl_linkem_trace_unref);
      dst->trace = src->trace ? sl_linkem_trace_ref (src->trace) : NULL;
      break;
    case KIND_QUEUE:
      dst->queue_bytes = src->queue_bytes;
      dst->queue_us = src->queue_us;
      break;
    case KIND_OUTAGE:
      if (dst->n_outages + src->n_outages > SL_LINKEM_MAX_OUTAGES)
        return FALSE;
      memcpy (dst->outages + dst->n_outages, src->outages,
              src->n_outages * sizeof (SlLinkemOutage));
      dst->n_outages += src->n_outages;
      break;
    case N_KINDS:
      g_assert_not_reached ();
    }
  return TRUE;
}

static gboolean
merge (Parser *p, Level dir, SlLinkemConfig *out, GError **error)
{
  for (Kind k = 0; k < N_KINDS; k++)
    {
      gboolean ok = TRUE;

      if (k == KIND_OUTAGE)
        ok = copy_kind (out, &p->level[LEVEL_BOTH], k)
             && copy_kind (out, &p->level[dir], k);
      else if (p->set_by[dir][k] != NULL)
        copy_kind (out, &p->level[dir], k);
      else if (p->set_by[LEVEL_BOTH][k] != NULL)
        copy_kind (out, &p->level[LEVEL_BOTH], k);
      if (!ok)
        return bad_value (error, "at most 64 outages per direction");
    }
  if (!sl_linkem_config_check (out, error))
    {
      g_prefix_error (error,
                      "the %s: ", dir == LEVEL_UP ? "uplink" : "downlink");
      return FALSE;
    }
  return TRUE;
}

gboolean
sl_linkem_options_parse (SlLinkemOptions *opts, int argc, char **argv,
                         GError **error)
{
  Parser p = { .opts = opts };
  gboolean ok = TRUE;
  int i;

  memset (opts, 0, sizeof (*opts));
  sl_linkem_config_init (&opts->up);
  sl_linkem_config_init (&opts->down);
  opts->path_change_us = -1;
  opts->seed = 1;
  opts->mtu = 1500;
  for (Level l = 0; l < N_LEVELS; l++)
    sl_linkem_config_init (&p.level[l]);

  for (i = 1; ok && i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        {
          i++;
          break;
        }
      if (argv[i][0] != '-')
        break;
      if (strcmp (argv[i], "-h") == 0)
        opts->help = TRUE;
      else if (g_str_has_prefix (argv[i], "--"))
        ok = parse_option (&p, argc, argv, &i, error);
      else
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                       "unknown option %s", argv[i]);
          ok = FALSE;
        }
    }
  if (ok && i < argc)
    opts->command = g_strdupv (argv + i);
  ok = ok && merge (&p, LEVEL_UP, &opts->up, error)
       && merge (&p, LEVEL_DOWN, &opts->down, error);
  for (Level l = 0; l < N_LEVELS; l++)
    sl_linkem_trace_unref (p.level[l].trace);
  return ok;
}

void
sl_linkem_options_clear (SlLinkemOptions *opts)
{
  g_clear_pointer (&opts->up.trace, sl_linkem_trace_unref);
  g_clear_pointer (&opts->down.trace, sl_linkem_trace_unref);
  g_clear_pointer (&opts->stats_path, g_free);
  g_clear_pointer (&opts->command, g_strfreev);
}

const gchar *
sl_linkem_options_help (void)
{
  return "\
Usage: sl-linkem [OPTION]... [--] [CMD [ARG]...]\n\
\n\
Runs CMD in a network namespace of its own whose only way out is an\n\
emulated link to this machine: delay, jitter, loss, capacity, queueing,\n\
outages and an address change, set per direction.  CMD reaches this host\n\
at $SL_LINKEM_HOST; its own address is $SL_LINKEM_ADDR.  Without CMD,\n\
runs $SHELL.  sl-linkem exits when CMD does, with CMD's exit status.\n\
Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and /dev/net/tun.\n\
\n\
Link options apply to both directions.  Each also has an --up-... and a\n\
--down-... form (--up-delay, --down-loss, --up-trace, ...) for one\n\
direction, which overrides the plain form whatever the order.  Up is\n\
from CMD toward the host: run the township as CMD and up is its uplink.\n\
Options take their value as --option VALUE or --option=VALUE.\n\
\n\
  --delay MS            fixed one-way delay, 0 to 60000 ms (decimals\n\
                        allowed; default 0)\n\
  --jitter MS           add to each packet's delay a uniform random\n\
                        amount in [-MS, +MS] (never below 0 in total)\n\
  --reorder             let jitter reorder packets; without it a packet\n\
                        never leaves before the one ahead of it (it waits\n\
                        for it, so the delay's spread is skewed upward)\n\
  --loss PCT            lose each packet with probability PCT %, 0 to 100\n\
  --burst-loss PGB,PBG  bursty loss (Gilbert-Elliott): a good and a bad\n\
                        state; before each packet the link goes from good\n\
                        to bad with probability PGB % and from bad to good\n\
                        with PBG %; every packet in the bad state is lost.\n\
                        Bursts average 100/PBG packets, the loss rate is\n\
                        PGB/(PGB+PBG).  E.g. 1,25: bursts of 4, 3.8 %.\n\
                        Combines with --loss (either loses a packet).\n\
  --rate KBPS           capacity in kbit/s (1 kbit = 1000 bit) of IP\n\
                        packets: a packet of B bytes takes 8*B/KBPS ms\n\
  --trace FILE          capacity from a mahimahi delivery trace (see\n\
                        TRACES); instead of --rate\n\
  --queue MS            drop-tail queue in front of the link: a packet\n\
                        that would wait more than MS ms before the link\n\
                        starts carrying it is dropped\n\
  --queue-bytes N       drop-tail queue of N bytes, the packet being sent\n\
                        included.  Default: no limit, up to 64 MiB held\n\
                        per direction.  Only meaningful with a capacity.\n\
  --outage AT+LEN       the link is down for LEN s from AT s after the\n\
                        start (decimals allowed; repeatable, up to 64):\n\
                        packets that arrive then, or that are still\n\
                        queued when it begins, are dropped, not held\n\
\n\
Other options:\n\
  --path-change AT      at AT s after the start, CMD's address changes\n\
                        from $SL_LINKEM_ADDR to $SL_LINKEM_NEW_ADDR: the\n\
                        old address is removed, so sockets using it fail\n\
                        and packets sent to it are lost, as when a phone\n\
                        moves from one network to another\n\
  --seed N              seed of the random loss and jitter (default 1);\n\
                        the same seed, options and traffic lose the same\n\
                        packets\n\
  --stats FILE          at exit, write the counters of each direction to\n\
                        FILE as JSON\n\
  --mtu N               MTU of both ends of the link, 576 to 9000\n\
                        (default 1500)\n\
  -h, --help            show this help and exit\n\
  --version             show the version and exit\n\
\n\
A packet goes through, in order: the outage check, the queue, the link\n\
(rate or trace), the loss model, then delay and jitter.  A lost packet\n\
has used its share of the capacity, as on a radio link.\n\
\n\
TRACES\n\
  One line per delivery opportunity, each a whole number of milliseconds\n\
  from the start, never decreasing (mahimahi's format).  Each opportunity\n\
  carries up to 1504 bytes of the queue, as in mahimahi: several small\n\
  packets share one, a packet that does not fit goes on in the next ones\n\
  and leaves with its last byte.  Bytes that find the queue empty are\n\
  lost, nothing is banked.  The trace repeats with a period of its last\n\
  timestamp, which must be above 0.\n\
\n\
CMD'S ENVIRONMENT\n\
  SL_LINKEM_HOST      the host's address, e.g. 10.201.7.1\n\
  SL_LINKEM_ADDR      CMD's address, e.g. 10.201.7.2\n\
  SL_LINKEM_NEW_ADDR  CMD's address after --path-change (only with it)\n\
  SL_LINKEM_EPOCH_US  the start, on CLOCK_MONOTONIC in microseconds, from\n\
                      which outages, traces and the path change count\n\
\n\
  CMD reaches the host's services that listen on 0.0.0.0 or on one of\n\
  the host's own addresses, such as $SL_LINKEM_HOST; not those bound to\n\
  127.0.0.1, which inside CMD's namespace is CMD's own loopback.  Nothing\n\
  beyond the host is reachable: there is no forwarding or NAT.\n\
\n\
SIGNALS AND EXIT\n\
  SIGINT, SIGTERM and SIGHUP are passed on to CMD (unless the terminal\n\
  sent them, as it did to CMD too); CMD is killed if still running 5 s\n\
  later.  When CMD exits, processes it left in the namespace get SIGTERM\n\
  and, a second later, SIGKILL.  The devices and the namespace go with\n\
  sl-linkem.  A summary of the counters is printed on standard error.\n\
  Exit status: CMD's, or 128+N if a signal N ended it; 127 if CMD could\n\
  not be run; 2 for a bad command line; 1 if the link could not be set\n\
  up.\n\
\n\
Example: a 5G uplink while driving, 16 ms each way, 200 ms of buffer, a\n\
150 ms handover gap at 10 s and a new address at 20 s:\n\
\n\
  sl-linkem --delay 16 --jitter 4 --up-trace 5g-driving.mm --up-queue 200 \\\n\
      --outage 10+0.15 --path-change 20 --stats link.json -- \\\n\
      sh -c 'exec sonolink-township --hub ws://$SL_LINKEM_HOST:8443 ...'\n";
}
