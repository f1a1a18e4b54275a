/* sl-hub.c — the hub's core: connections, rooms, and what each message
 * causes.
 *
 * A connection moves AWAITING_HELLO → JOINED → CLOSED, or straight from
 * AWAITING_HELLO to CLOSED when refused.  Every frame is charged to the
 * connection's rate limit first, then checked for size, then parsed; only
 * then does its type decide what happens.  The hello is the only message
 * that grants anything, and what it grants (room and role) comes from the
 * verified token, never from the station's own words; the station chooses
 * only its peer id, which lets it resume after a reconnect.
 *
 * A connection is reference-counted inside this file only: each entry
 * point holds a reference while it works, so that an adapter reporting the
 * socket closed from inside a transport callback cannot free the
 * connection under our feet.
 *
 * Logs identify a room by a short digest of its name (room names may be
 * chosen by people and say more than they should) and never contain a
 * token or an SDP.
 */
#include "sl-hub.h"

#include <string.h>

#include "sl-hub-rights.h"
#include "sl-ratelimit.h"
#include "sl-token.h"

typedef enum
{
  CONN_AWAITING_HELLO,
  CONN_JOINED,
  CONN_CLOSED,
} ConnState;

static const gchar *const conn_state_names[]
    = { "awaiting-hello", "joined", "closed" };

typedef struct _SlHubRoom SlHubRoom;

/* Relays refused by the pair rule that are logged as warnings on one
 * connection; later ones go to the debug log. */
#define MAX_LOGGED_REFUSED_RELAYS 3

struct _SlHubConn
{
  gint ref_count;
  SlHub *hub;
  gpointer data;
  gchar *remote;
  ConnState state;
  SlRateLimit rate;
  guint malformed;
  /* Set by a successful hello. */
  gchar *peer_id;
  SlRole role;
  SlHubRoom *room;
  guint refused_relays; /* relays refused by the pair rule */
  gboolean said_bye;    /* it left with bye, on purpose */
  gboolean no_record;   /* its token forbids recording */
  gboolean recording;   /* it said it records */
};

struct _SlHubRoom
{
  gchar *name;
  gchar digest[9];    /* first 8 hex digits of SHA-256(name), for logs */
  GPtrArray *members; /* SlHubConn*, in joining order, not owned */
};

struct _SlHub
{
  GBytes *secret;
  gsize max_message_size;
  gdouble rate;
  guint burst;
  gint64 (*now_unix) (void);
  gint64 (*now_monotonic_us) (void);
  SlHubTransport transport;
  gpointer user_data;
  GHashTable *rooms; /* name → SlHubRoom*, owned */
  GHashTable *conns; /* set of open SlHubConn*, not owned */
  guint n_peers;
};

static gint64
system_now_unix (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* ---- rooms ---- */

static SlHubRoom *
room_new (const gchar *name)
{
  SlHubRoom *room = g_new0 (SlHubRoom, 1);
  g_autofree gchar *sha
      = g_compute_checksum_for_string (G_CHECKSUM_SHA256, name, -1);

  room->name = g_strdup (name);
  g_strlcpy (room->digest, sha, sizeof room->digest);
  room->members = g_ptr_array_new ();
  return room;
}

static void
room_free (gpointer data)
{
  SlHubRoom *room = data;

  g_ptr_array_unref (room->members);
  g_free (room->name);
  g_free (room);
}

static SlHubConn *
room_find (SlHubRoom *room, const gchar *peer_id)
{
  for (guint i = 0; room != NULL && i < room->members->len; i++)
    {
      SlHubConn *member = room->members->pdata[i];
      if (g_str_equal (member->peer_id, peer_id))
        return member;
    }
  return NULL;
}

static guint
room_count_role (SlHubRoom *room, SlRole role)
{
  guint n = 0;

  for (guint i = 0; room != NULL && i < room->members->len; i++)
    if (((SlHubConn *)room->members->pdata[i])->role == role)
      n++;
  return n;
}

/* ---- connections ---- */

static SlHubConn *
conn_ref (SlHubConn *conn)
{
  conn->ref_count++;
  return conn;
}

static void
conn_unref (SlHubConn *conn)
{
  if (--conn->ref_count > 0)
    return;
  g_free (conn->remote);
  g_free (conn->peer_id);
  g_free (conn);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlHubConn, conn_unref)

static void
set_state (SlHubConn *conn, ConnState state)
{
  if (conn->state == state)
    return;
  /* CLOSED is final: nothing may bring a refused connection back. */
  g_return_if_fail (conn->state != CONN_CLOSED);
  g_debug ("connection from %s (%s): %s -> %s", conn->remote,
           conn->peer_id ? conn->peer_id : "no hello",
           conn_state_names[conn->state], conn_state_names[state]);
  conn->state = state;
}

static void
send_text (SlHubConn *conn, const gchar *text)
{
  SlHub *hub = conn->hub;

  if (conn->state != CONN_CLOSED)
    hub->transport.send (conn, text, hub->user_data);
}

static void
send_msg (SlHubConn *conn, const SlMsg *msg)
{
  g_autofree gchar *text = sl_msg_serialize (msg);

  send_text (conn, text);
}

static void
send_error (SlHubConn *conn, SlProtoError code, const gchar *message)
{
  g_autofree gchar *text = sl_msg_serialize_error (code, message);

  send_text (conn, text);
}

/* Tells the others in @room that @peer_id left, and whether it said bye
 * (a station that quits) or its connection was lost. */
static void
announce_left (SlHubRoom *room, const gchar *peer_id, gboolean bye)
{
  g_autoptr (SlMsg) msg = sl_msg_new (SL_MSG_PEER_LEFT);

  msg->peer_id = g_strdup (peer_id);
  msg->bye = bye;
  for (guint i = 0; i < room->members->len; i++)
    send_msg (room->members->pdata[i], msg);
}

/* Takes @conn out of its room, freeing the room once empty. */
static void
leave_room (SlHubConn *conn, gboolean announce)
{
  SlHub *hub = conn->hub;
  SlHubRoom *room = conn->room;

  if (room == NULL)
    return;
  g_ptr_array_remove (room->members, conn);
  conn->room = NULL;
  hub->n_peers--;
  g_message ("room %s: %s %s left (%u remaining)", room->digest,
             sl_role_name (conn->role), conn->peer_id, room->members->len);
  if (announce)
    announce_left (room, conn->peer_id, conn->said_bye);
  if (room->members->len == 0)
    g_hash_table_remove (hub->rooms, room->name);
}

/* Closes @conn: sends an error first when @error_code is >= 0. */
static void
close_conn (SlHubConn *conn, gushort close_code, const gchar *reason,
            gint error_code, const gchar *message, gboolean announce)
{
  SlHub *hub = conn->hub;

  if (conn->state == CONN_CLOSED)
    return;
  if (error_code >= 0)
    send_error (conn, (SlProtoError)error_code, message);
  leave_room (conn, announce);
  set_state (conn, CONN_CLOSED);
  hub->transport.close (conn, close_code, reason, hub->user_data);
}

/* A refusal is worth a warning: it names the reason and the remote
 * address, so an operator can tell a misconfigured station from an
 * attack. */
static void
refuse (SlHubConn *conn, gushort close_code, SlProtoError code,
        const gchar *detail, const gchar *message)
{
  g_warning ("%s: %s from %s%s%s", sl_proto_error_code_name (code), detail,
             conn->remote, conn->peer_id ? " peer " : "",
             conn->peer_id ? conn->peer_id : "");
  close_conn (conn, close_code, sl_proto_error_code_name (code), code, message,
              TRUE);
}

/* ---- hello ---- */

static SlTokenClaims *
check_hello (SlHubConn *conn, const SlMsg *hello)
{
  SlHub *hub = conn->hub;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *message = NULL;
  SlTokenClaims *claims;

  if (hello->version != SL_PROTO_VERSION)
    {
      message = g_strdup_printf ("this hub speaks protocol version %d, "
                                 "not %u; update the station",
                                 SL_PROTO_VERSION, hello->version);
      refuse (conn, SL_HUB_CLOSE_VERSION, SL_PROTO_ERROR_VERSION,
              "hello for another version", message);
      return NULL;
    }
  claims
      = sl_token_verify (hub->secret, hello->token, hub->now_unix (), &error);
  if (claims == NULL)
    {
      gboolean expired
          = g_error_matches (error, SL_TOKEN_ERROR, SL_TOKEN_ERROR_EXPIRED);
      /* sl_token_verify() promises its messages never quote the token. */
      refuse (conn, SL_HUB_CLOSE_AUTH,
              expired ? SL_PROTO_ERROR_EXPIRED : SL_PROTO_ERROR_AUTH,
              error->message, error->message);
      return NULL;
    }
  return claims;
}

/* Puts @conn in the place of @old, which has the same peer id and role:
 * a station reconnecting before the hub noticed its old socket died.  The
 * others see no change, so nothing is announced. */
static void
replace_member (SlHubConn *conn, SlHubConn *old)
{
  SlHubRoom *room = old->room;
  guint index = 0;

  g_ptr_array_find (room->members, old, &index);
  room->members->pdata[index] = conn;
  conn->room = room;
  old->room = NULL;
  g_message ("room %s: %s %s reconnected from %s; closing its old "
             "connection",
             room->digest, sl_role_name (conn->role), conn->peer_id,
             conn->remote);
  close_conn (old, SL_HUB_CLOSE_NORMAL, "replaced", -1, NULL, FALSE);
}

static void
send_welcome (SlHubConn *conn)
{
  g_autoptr (SlMsg) welcome = sl_msg_new (SL_MSG_WELCOME);
  SlHubRoom *room = conn->room;

  welcome->version = SL_PROTO_VERSION;
  welcome->peer_id = g_strdup (conn->peer_id);
  welcome->room = g_strdup (room->name);
  welcome->role = conn->role;
  welcome->record_forbidden = conn->no_record;
  for (guint i = 0; i < room->members->len; i++)
    {
      SlHubConn *member = room->members->pdata[i];
      if (member != conn)
        sl_msg_add_peer (welcome, member->peer_id, member->role);
    }
  send_msg (conn, welcome);
  /* Who records already: a late joiner is told as the others were. */
  for (guint i = 0; i < room->members->len; i++)
    {
      SlHubConn *member = room->members->pdata[i];
      g_autoptr (SlMsg) rec = NULL;

      if (member == conn || !member->recording)
        continue;
      rec = sl_msg_new (SL_MSG_RECORD);
      rec->peer_id = g_strdup (member->peer_id);
      rec->role = member->role;
      rec->recording = TRUE;
      send_msg (conn, rec);
    }
}

static void
announce_joined (SlHubConn *conn)
{
  g_autoptr (SlMsg) msg = sl_msg_new (SL_MSG_PEER_JOINED);
  SlHubRoom *room = conn->room;

  msg->peer_id = g_strdup (conn->peer_id);
  msg->role = conn->role;
  for (guint i = 0; i < room->members->len; i++)
    if (room->members->pdata[i] != conn)
      send_msg (room->members->pdata[i], msg);
}

/* Checks the room's rules for @conn (peer id and role already set).
 * Returns the member @conn replaces, NULL for a plain join, or sets
 * *@refused after refusing. */
static SlHubConn *
check_room_rules (SlHubConn *conn, SlHubRoom *room, gboolean *refused)
{
  SlHubConn *same_id = room_find (room, conn->peer_id);
  guint same_role = room_count_role (room, conn->role);
  g_autofree gchar *where
      = g_strdup_printf ("room %s", room ? room->digest : "-");
  g_autofree gchar *detail = NULL;
  g_autofree gchar *message = NULL;

  *refused = TRUE;
  if (same_id != NULL && same_id->role != conn->role)
    {
      detail
          = g_strconcat ("peer id in use with another role in ", where, NULL);
      refuse (conn, SL_HUB_CLOSE_CONFLICT, SL_PROTO_ERROR_STATE, detail,
              "this peer id is in use in the room with another role; choose "
              "another peer id");
    }
  else if (same_id == NULL && conn->role == SL_ROLE_TOWNSHIP && same_role > 0)
    {
      detail = g_strconcat ("second township for ", where, NULL);
      refuse (conn, SL_HUB_CLOSE_CONFLICT, SL_PROTO_ERROR_ROOM_OCCUPIED, detail,
              "another township station is already in this room");
    }
  else if (same_id == NULL && same_role >= sl_hub_role_places (conn->role))
    {
      /* Places are counted per role (sl-hub-rights.h), so one role's
       * tokens never fill the places of another. */
      detail = g_strdup_printf ("%s has no %s place left", where,
                                sl_role_name (conn->role));
      message = g_strdup_printf ("the room is full: all %u places for a "
                                 "%s are taken",
                                 sl_hub_role_places (conn->role),
                                 sl_role_name (conn->role));
      refuse (conn, SL_HUB_CLOSE_CONFLICT, SL_PROTO_ERROR_ROOM_OCCUPIED, detail,
              message);
    }
  else
    *refused = FALSE;
  return same_id;
}

static void
handle_hello (SlHubConn *conn, SlMsg *hello)
{
  SlHub *hub = conn->hub;
  g_autoptr (SlTokenClaims) claims = NULL;
  SlHubRoom *room;
  SlHubConn *old;
  gboolean refused;

  if (conn->state != CONN_AWAITING_HELLO)
    {
      send_error (conn, SL_PROTO_ERROR_STATE, "already joined");
      return;
    }
  claims = check_hello (conn, hello);
  if (claims == NULL)
    return;
  conn->peer_id = g_steal_pointer (&hello->peer_id);
  conn->role = claims->role;
  conn->no_record = claims->no_record;
  room = g_hash_table_lookup (hub->rooms, claims->room);
  old = check_room_rules (conn, room, &refused);
  if (refused)
    return;

  set_state (conn, CONN_JOINED);
  if (old != NULL)
    {
      replace_member (conn, old);
      send_welcome (conn);
      return;
    }
  hub->n_peers++;
  if (room == NULL)
    {
      room = room_new (claims->room);
      g_hash_table_insert (hub->rooms, room->name, room);
    }
  g_ptr_array_add (room->members, conn);
  conn->room = room;
  g_message ("room %s: %s %s joined from %s (%u present)", room->digest,
             sl_role_name (conn->role), conn->peer_id, conn->remote,
             room->members->len);
  send_welcome (conn);
  announce_joined (conn);
}

/* ---- relay and the rest ---- */

/* A relay the room's pairs do not allow (sl-hub-rights.h): the sender is
 * told, the target never sees it.  The first few are logged as warnings,
 * the rest at debug level, so a station looping on a refused offer cannot
 * fill the log; the SDP itself is never logged. */
static void
refuse_relay (SlHubConn *conn, SlHubConn *target, const SlMsg *msg)
{
  g_autofree gchar *message = NULL;
  const gchar *what = msg->type == SL_MSG_ICE                   ? "a candidate"
                      : g_strcmp0 (msg->sdp_type, "offer") == 0 ? "an offer"
                                                                : "an answer";

  if (++conn->refused_relays <= MAX_LOGGED_REFUSED_RELAYS)
    g_warning ("%s: %s %s from %s sent %s to %s %s in room %s%s",
               sl_proto_error_code_name (SL_PROTO_ERROR_ROLE),
               sl_role_name (conn->role), conn->peer_id, conn->remote, what,
               sl_role_name (target->role), target->peer_id, conn->room->digest,
               conn->refused_relays == MAX_LOGGED_REFUSED_RELAYS
                   ? "; further refusals on this connection are logged at "
                     "debug level"
                   : "");
  else
    g_debug ("role-refused: %s from %s to %s", what, conn->peer_id,
             target->peer_id);
  message = g_strdup_printf ("the %s role may not send %s to the %s role",
                             sl_role_name (conn->role), what,
                             sl_role_name (target->role));
  send_error (conn, SL_PROTO_ERROR_ROLE, message);
}

static void
handle_relay (SlHubConn *conn, SlMsg *msg)
{
  SlHubConn *target;
  g_autofree gchar *message = NULL;

  if (conn->state != CONN_JOINED)
    {
      send_error (conn, SL_PROTO_ERROR_STATE,
                  "send hello and wait for welcome before relaying");
      return;
    }
  target = msg->to ? room_find (conn->room, msg->to) : NULL;
  if (target == NULL || target == conn)
    {
      message = g_strdup_printf ("no other peer '%s' in this room",
                                 msg->to ? msg->to : "");
      send_error (conn, SL_PROTO_ERROR_UNKNOWN_PEER, message);
      return;
    }
  if (!sl_hub_relay_allowed (conn->role, target->role, msg->type,
                             msg->sdp_type))
    {
      refuse_relay (conn, target, msg);
      return;
    }
  /* The sender's own "from" is never trusted: the hub names the sender. */
  g_free (msg->from);
  msg->from = g_strdup (conn->peer_id);
  g_debug ("room %s: %s from %s to %s", conn->room->digest,
           sl_msg_type_name (msg->type), conn->peer_id, target->peer_id);
  /* The hub's "from" makes the message longer than the sender sent it; one
   * that now exceeds the limit would be refused by the receiving station,
   * which would drop its connection for it.  The sender is told instead. */
  message = sl_msg_serialize (msg);
  if (strlen (message) > SL_PROTO_MAX_MESSAGE_SIZE)
    {
      send_error (
          conn, SL_PROTO_ERROR_TOO_LARGE,
          "the message is too large to relay once the hub names its sender");
      return;
    }
  send_text (target, message);
}

/* A member says it started or stopped recording: refused if its token
 * forbids it; else logged and told to every member of the room, the
 * recorder included, so every station shows it (docs/signaling.md,
 * RECORDING). */
static void
handle_record (SlHubConn *conn, SlMsg *msg)
{
  g_autoptr (SlMsg) out = sl_msg_new (SL_MSG_RECORD);
  SlHubRoom *room = conn->room;

  if (conn->state != CONN_JOINED)
    {
      send_error (conn, SL_PROTO_ERROR_STATE,
                  "send hello and wait for welcome before recording");
      return;
    }
  if (msg->recording && conn->no_record)
    {
      g_message ("room %s: %s %s may not record (the token forbids it)",
                 room->digest, sl_role_name (conn->role), conn->peer_id);
      send_error (conn, SL_PROTO_ERROR_RECORD_FORBIDDEN,
                  "this room's token forbids recording");
      return;
    }
  if (msg->recording == conn->recording)
    return;
  conn->recording = msg->recording;
  g_message ("room %s: %s %s %s recording", room->digest,
             sl_role_name (conn->role), conn->peer_id,
             msg->recording ? "started" : "stopped");
  out->peer_id = g_strdup (conn->peer_id);
  out->role = conn->role;
  out->recording = msg->recording;
  for (guint i = 0; i < room->members->len; i++)
    send_msg (room->members->pdata[i], out);
}

static void
handle_message (SlHubConn *conn, SlMsg *msg)
{
  switch (msg->type)
    {
    case SL_MSG_HELLO:
      handle_hello (conn, msg);
      break;
    case SL_MSG_SDP:
    case SL_MSG_ICE:
      handle_relay (conn, msg);
      break;
    case SL_MSG_RECORD:
      handle_record (conn, msg);
      break;
    case SL_MSG_BYE:
      conn->said_bye = TRUE;
      close_conn (conn, SL_HUB_CLOSE_NORMAL, "bye", -1, NULL, TRUE);
      break;
    case SL_MSG_ERROR:
      /* Never answer an error with an error: two parties that did would
       * bounce messages for ever. */
      g_debug ("error '%s' from %s", sl_proto_error_code_name (msg->code),
               conn->remote);
      break;
    case SL_MSG_WELCOME:
    case SL_MSG_PEER_JOINED:
    case SL_MSG_PEER_LEFT:
      send_error (conn, SL_PROTO_ERROR_STATE,
                  "stations may send hello, sdp, ice and bye only");
      break;
    }
}

static void
count_malformed (SlHubConn *conn, SlProtoError code, const gchar *message)
{
  if (++conn->malformed >= SL_HUB_MAX_MALFORMED)
    {
      g_autofree gchar *text = g_strdup_printf (
          "%s; closing after %u malformed messages", message, conn->malformed);
      refuse (conn, SL_HUB_CLOSE_BAD_MESSAGE, code,
              "too many malformed "
              "messages",
              text);
      return;
    }
  g_debug ("malformed message from %s: %s", conn->remote, message);
  send_error (conn, code, message);
}

/* Charges one frame to the rate limit; closes @conn if it is over. */
static gboolean
charge_frame (SlHubConn *conn)
{
  SlHub *hub = conn->hub;

  if (conn->state == CONN_CLOSED)
    return FALSE;
  if (sl_rate_limit_take (&conn->rate, hub->now_monotonic_us ()))
    return TRUE;
  refuse (conn, SL_HUB_CLOSE_RATE, SL_PROTO_ERROR_RATE,
          "message rate "
          "exceeded",
          "too many messages; slow down");
  return FALSE;
}

void
sl_hub_conn_receive (SlHubConn *conn, const gchar *data, gsize len)
{
  g_autoptr (SlHubConn) hold = conn_ref (conn);
  g_autoptr (SlMsg) msg = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *message = NULL;

  if (!charge_frame (conn))
    return;
  if (len > conn->hub->max_message_size)
    {
      message = g_strdup_printf ("message of %" G_GSIZE_FORMAT " bytes "
                                 "exceeds the limit of %" G_GSIZE_FORMAT,
                                 len, conn->hub->max_message_size);
      refuse (conn, SL_HUB_CLOSE_TOO_LARGE, SL_PROTO_ERROR_TOO_LARGE,
              "message too large", message);
      return;
    }
  msg = sl_msg_parse (data, len, &error);
  if (msg == NULL)
    {
      count_malformed (conn, (SlProtoError)error->code, error->message);
      return;
    }
  handle_message (conn, msg);
}

void
sl_hub_conn_receive_binary (SlHubConn *conn)
{
  g_autoptr (SlHubConn) hold = conn_ref (conn);

  if (charge_frame (conn))
    count_malformed (
        conn, SL_PROTO_ERROR_BAD_MESSAGE,
        "binary frames are not part of the protocol; send JSON text");
}

void
sl_hub_conn_hello_timeout (SlHubConn *conn)
{
  g_autoptr (SlHubConn) hold = conn_ref (conn);

  if (conn->state == CONN_AWAITING_HELLO)
    refuse (conn, SL_HUB_CLOSE_HELLO_TIMEOUT, SL_PROTO_ERROR_STATE,
            "no hello in time", "no hello received in time");
}

void
sl_hub_conn_slow_reader (SlHubConn *conn, guint64 queued)
{
  g_autoptr (SlHubConn) hold = conn_ref (conn);

  if (conn->state == CONN_CLOSED)
    return;
  /* No error message: it would only join the queue nobody reads. */
  g_warning ("slow-reader: %" G_GUINT64_FORMAT " bytes queued toward %s%s%s "
             "that does not read them; closing it with %d",
             queued, conn->remote, conn->peer_id ? " peer " : "",
             conn->peer_id ? conn->peer_id : "", SL_HUB_CLOSE_SLOW_READER);
  close_conn (conn, SL_HUB_CLOSE_SLOW_READER, "slow-reader", -1, NULL, TRUE);
}

void
sl_hub_conn_closed (SlHubConn *conn)
{
  SlHub *hub = conn->hub;

  if (conn->state != CONN_CLOSED)
    {
      leave_room (conn, TRUE);
      set_state (conn, CONN_CLOSED);
    }
  g_hash_table_remove (hub->conns, conn);
  conn_unref (conn);
}

SlHubConn *
sl_hub_conn_new (SlHub *hub, const gchar *remote, gpointer data)
{
  SlHubConn *conn = g_new0 (SlHubConn, 1);

  conn->ref_count = 1;
  conn->hub = hub;
  conn->data = data;
  conn->remote = g_strdup (remote ? remote : "unknown");
  conn->state = CONN_AWAITING_HELLO;
  sl_rate_limit_init (&conn->rate, hub->rate, hub->burst,
                      hub->now_monotonic_us ());
  g_hash_table_add (hub->conns, conn);
  return conn;
}

gpointer
sl_hub_conn_get_data (SlHubConn *conn)
{
  return conn->data;
}

const gchar *
sl_hub_conn_get_peer_id (SlHubConn *conn)
{
  return conn->state == CONN_JOINED ? conn->peer_id : NULL;
}

gboolean
sl_hub_conn_is_joined (SlHubConn *conn)
{
  return conn->state == CONN_JOINED;
}

gboolean
sl_hub_conn_is_closing (SlHubConn *conn)
{
  return conn->state == CONN_CLOSED;
}

/* ---- the hub ---- */

SlHub *
sl_hub_new (const SlHubConfig *config, const SlHubTransport *transport,
            gpointer user_data)
{
  SlHub *hub;

  g_return_val_if_fail (config != NULL && config->secret != NULL, NULL);
  g_return_val_if_fail (transport != NULL && transport->send != NULL
                            && transport->close != NULL,
                        NULL);

  hub = g_new0 (SlHub, 1);
  hub->secret = g_bytes_ref (config->secret);
  hub->max_message_size = config->max_message_size ? config->max_message_size
                                                   : SL_PROTO_MAX_MESSAGE_SIZE;
  hub->rate = config->rate > 0 ? config->rate : SL_HUB_DEFAULT_RATE;
  hub->burst = config->burst ? config->burst : SL_HUB_DEFAULT_BURST;
  hub->now_unix = config->now_unix ? config->now_unix : system_now_unix;
  hub->now_monotonic_us = config->now_monotonic_us ? config->now_monotonic_us
                                                   : g_get_monotonic_time;
  hub->transport = *transport;
  hub->user_data = user_data;
  hub->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, room_free);
  hub->conns = g_hash_table_new (g_direct_hash, g_direct_equal);
  return hub;
}

void
sl_hub_close_all (SlHub *hub, gushort code, const gchar *reason)
{
  g_autoptr (GPtrArray) conns
      = g_ptr_array_new_with_free_func ((GDestroyNotify)conn_unref);
  GHashTableIter iter;
  gpointer key;

  /* Work on a held copy: closing may report a socket closed at once,
   * which removes it from hub->conns. */
  g_hash_table_iter_init (&iter, hub->conns);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (conns, conn_ref (key));
  for (guint i = 0; i < conns->len; i++)
    close_conn (conns->pdata[i], code, reason, -1, NULL, FALSE);
}

void
sl_hub_free (SlHub *hub)
{
  GHashTableIter iter;
  gpointer key;

  if (hub == NULL)
    return;
  g_hash_table_iter_init (&iter, hub->conns);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      SlHubConn *conn = key;
      conn->room = NULL;
      conn_unref (conn);
    }
  g_hash_table_unref (hub->conns);
  g_hash_table_unref (hub->rooms);
  g_bytes_unref (hub->secret);
  g_free (hub);
}

guint
sl_hub_get_n_rooms (SlHub *hub)
{
  return g_hash_table_size (hub->rooms);
}

guint
sl_hub_get_n_peers (SlHub *hub)
{
  return hub->n_peers;
}

guint
sl_hub_get_n_connections (SlHub *hub)
{
  return g_hash_table_size (hub->conns);
}
