/* sl-proto.c — the sonolink signalling message codec.
 *
 * Parsing treats every frame as hostile: the size is checked before anything
 * else, then the raw text must be strict JSON (sl-json-check.h: UTF-8, no
 * escapes json-glib reads its own way, no repeated member names, and a
 * bounded depth, since json-glib's parser is recursive and a 64 kB frame
 * of "[[[[" could otherwise exhaust the stack), and only then json-glib
 * builds a tree.  Each field is read through one
 * helper that checks its JSON type and its length, so no value reaches the
 * caller unchecked.  Error messages name fields, never their values: a
 * rejected hello must not copy its token into a log.
 */
#include "sl-proto.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/random.h>

#include "sl-json-check.h"

/* Signalling messages are flat; peers[] is the deepest part, at depth 3.
 * Anything much deeper is an attack on the parser, not a message. */
#define MAX_JSON_DEPTH 16

/* The highest m-line index accepted in an "ice" message. */
#define MAX_MLINE 63

/* G_DEFINE_QUARK makes its first argument the domain's name. */
/* clang-format off */
G_DEFINE_QUARK (sl-proto-error-quark, sl_proto_error)
/* clang-format on */

static const gchar *const error_names[] = {
  [SL_PROTO_ERROR_BAD_MESSAGE] = "bad-message",
  [SL_PROTO_ERROR_TOO_LARGE] = "too-large",
  [SL_PROTO_ERROR_VERSION] = "version-unsupported",
  [SL_PROTO_ERROR_AUTH] = "auth-failed",
  [SL_PROTO_ERROR_EXPIRED] = "token-expired",
  [SL_PROTO_ERROR_ROLE] = "role-refused",
  [SL_PROTO_ERROR_ROOM_OCCUPIED] = "room-occupied",
  [SL_PROTO_ERROR_RATE] = "rate-limited",
  [SL_PROTO_ERROR_UNKNOWN_PEER] = "unknown-peer",
  [SL_PROTO_ERROR_STATE] = "bad-state",
  [SL_PROTO_ERROR_INTERNAL] = "internal",
  [SL_PROTO_ERROR_RECORD_FORBIDDEN] = "record-forbidden",
};

static const gchar *const role_names[] = {
  [SL_ROLE_TOWNSHIP] = "township",
  [SL_ROLE_EXPERT] = "expert",
  [SL_ROLE_TRAINEE] = "trainee",
  [SL_ROLE_RECORDER] = "recorder",
};

static const gchar *const type_names[] = {
  [SL_MSG_HELLO] = "hello",
  [SL_MSG_WELCOME] = "welcome",
  [SL_MSG_ERROR] = "error",
  [SL_MSG_PEER_JOINED] = "peer-joined",
  [SL_MSG_PEER_LEFT] = "peer-left",
  [SL_MSG_SDP] = "sdp",
  [SL_MSG_ICE] = "ice",
  [SL_MSG_BYE] = "bye",
  [SL_MSG_RECORD] = "record",
};

/* Returns the index of @name in @names, or -1. */
static gint
lookup_name (const gchar *const *names, guint n_names, const gchar *name)
{
  if (name == NULL)
    return -1;
  for (guint i = 0; i < n_names; i++)
    if (g_str_equal (names[i], name))
      return (gint)i;
  return -1;
}

const gchar *
sl_proto_error_code_name (SlProtoError code)
{
  if ((guint)code >= G_N_ELEMENTS (error_names))
    return error_names[SL_PROTO_ERROR_INTERNAL];
  return error_names[code];
}

gboolean
sl_proto_error_code_from_name (const gchar *name, SlProtoError *code)
{
  gint i = lookup_name (error_names, G_N_ELEMENTS (error_names), name);

  if (i < 0)
    return FALSE;
  if (code != NULL)
    *code = (SlProtoError)i;
  return TRUE;
}

const gchar *
sl_role_name (SlRole role)
{
  if ((guint)role >= G_N_ELEMENTS (role_names))
    return "unknown";
  return role_names[role];
}

gboolean
sl_role_from_name (const gchar *name, SlRole *role)
{
  gint i = lookup_name (role_names, G_N_ELEMENTS (role_names), name);

  if (i < 0)
    return FALSE;
  if (role != NULL)
    *role = (SlRole)i;
  return TRUE;
}

const gchar *
sl_msg_type_name (SlMsgType type)
{
  if ((guint)type >= G_N_ELEMENTS (type_names))
    return "unknown";
  return type_names[type];
}

/* ---- messages ---- */

static void
peer_info_free (gpointer data)
{
  SlPeerInfo *info = data;

  g_free (info->peer_id);
  g_free (info);
}

SlMsg *
sl_msg_new (SlMsgType type)
{
  SlMsg *msg = g_new0 (SlMsg, 1);

  msg->type = type;
  return msg;
}

void
sl_msg_free (SlMsg *msg)
{
  if (msg == NULL)
    return;
  g_free (msg->token);
  g_free (msg->peer_id);
  g_free (msg->room);
  g_clear_pointer (&msg->peers, g_ptr_array_unref);
  g_free (msg->from);
  g_free (msg->to);
  g_free (msg->sdp_type);
  g_free (msg->sdp);
  g_free (msg->candidate);
  g_free (msg->message);
  g_free (msg);
}

void
sl_msg_add_peer (SlMsg *msg, const gchar *peer_id, SlRole role)
{
  SlPeerInfo *info = g_new0 (SlPeerInfo, 1);

  info->peer_id = g_strdup (peer_id);
  info->role = role;
  if (msg->peers == NULL)
    msg->peers = g_ptr_array_new_with_free_func (peer_info_free);
  g_ptr_array_add (msg->peers, info);
}

gboolean
sl_proto_id_is_valid (const gchar *id)
{
  gsize len = 0;

  if (id == NULL)
    return FALSE;
  for (const gchar *p = id; *p != '\0'; p++, len++)
    {
      if (len >= SL_PROTO_MAX_ID_LEN)
        return FALSE;
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
        return FALSE;
    }
  return len > 0;
}

/* ---- field readers ---- */

/* Sets a BAD_MESSAGE error naming @field and returns FALSE. */
static gboolean G_GNUC_PRINTF (2, 3)
    bad (GError **error, const gchar *format, ...)
{
  va_list args;

  if (error == NULL)
    return FALSE;
  va_start (args, format);
  *error = g_error_new_valist (SL_PROTO_ERROR, SL_PROTO_ERROR_BAD_MESSAGE,
                               format, args);
  va_end (args);
  return FALSE;
}

/* Finds @key in @obj.  A missing optional field yields TRUE and *@out NULL;
 * a missing required one is an error. */
static gboolean
find_member (JsonObject *obj, const gchar *key, gboolean required,
             JsonNode **out, GError **error)
{
  *out = json_object_get_member (obj, key);
  if (*out == NULL && required)
    return bad (error, "required field '%s' is missing", key);
  return TRUE;
}

static gboolean
read_string (JsonObject *obj, const gchar *key, gboolean required,
             gsize max_len, gchar **out, GError **error)
{
  JsonNode *node;
  const gchar *value;

  if (!find_member (obj, key, required, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return bad (error, "field '%s' must be a string", key);
  value = json_node_get_string (node);
  if (strlen (value) > max_len)
    {
      g_set_error (error, SL_PROTO_ERROR, SL_PROTO_ERROR_TOO_LARGE,
                   "field '%s' is longer than %" G_GSIZE_FORMAT " bytes", key,
                   max_len);
      return FALSE;
    }
  g_free (*out);
  *out = g_strdup (value);
  return TRUE;
}

/* An optional boolean; absent: FALSE. */
static gboolean
read_bool (JsonObject *obj, const gchar *key, gboolean *out, GError **error)
{
  JsonNode *node;

  if (!find_member (obj, key, FALSE, &node, error))
    return FALSE;
  *out = FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return bad (error, "field '%s' must be true or false", key);
  *out = json_node_get_boolean (node);
  return TRUE;
}

/* Reads an id: a peer id or a room name (sl_proto_id_is_valid). */
static gboolean
read_id (JsonObject *obj, const gchar *key, gboolean required, gchar **out,
         GError **error)
{
  if (!read_string (obj, key, required, SL_PROTO_MAX_ID_LEN, out, error))
    return FALSE;
  if (*out != NULL && !sl_proto_id_is_valid (*out))
    return bad (error,
                "field '%s' must be 1-%d characters from A-Z a-z 0-9 '-' '_'",
                key, SL_PROTO_MAX_ID_LEN);
  return TRUE;
}

static gboolean
read_uint (JsonObject *obj, const gchar *key, guint max, guint *out,
           GError **error)
{
  JsonNode *node;
  gint64 value;

  if (!find_member (obj, key, TRUE, &node, error))
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return bad (error, "field '%s' must be an integer", key);
  value = json_node_get_int (node);
  if (value < 0 || value > (gint64)max)
    return bad (error, "field '%s' is out of range", key);
  *out = (guint)value;
  return TRUE;
}

static gboolean
read_role (JsonObject *obj, const gchar *key, SlRole *out, GError **error)
{
  g_autofree gchar *name = NULL;

  if (!read_string (obj, key, TRUE, SL_PROTO_MAX_ID_LEN, &name, error))
    return FALSE;
  if (!sl_role_from_name (name, out))
    return bad (
        error, "field '%s' must be township, expert, trainee or recorder", key);
  return TRUE;
}

/* ---- per-type parsers ---- */

static gboolean
parse_peers (JsonObject *obj, SlMsg *msg, GError **error)
{
  JsonNode *node;
  JsonArray *array;
  guint n;

  if (!find_member (obj, "peers", TRUE, &node, error))
    return FALSE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return bad (error, "field '%s' must be an array", "peers");
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n > SL_PROTO_MAX_PEERS)
    {
      g_set_error (error, SL_PROTO_ERROR, SL_PROTO_ERROR_TOO_LARGE,
                   "field 'peers' lists more than %d peers",
                   SL_PROTO_MAX_PEERS);
      return FALSE;
    }
  msg->peers = g_ptr_array_new_with_free_func (peer_info_free);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree gchar *peer_id = NULL;
      SlRole role;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return bad (error, "each entry of '%s' must be an object", "peers");
      if (!read_id (json_node_get_object (element), "peer_id", TRUE, &peer_id,
                    error)
          || !read_role (json_node_get_object (element), "role", &role, error))
        return FALSE;
      sl_msg_add_peer (msg, peer_id, role);
    }
  return TRUE;
}

/* "to" and "from" are each optional, but a relayed message names at least
 * one of them: "to" on its way to the hub, "from" on its way out. */
static gboolean
parse_route (JsonObject *obj, SlMsg *msg, GError **error)
{
  if (!read_id (obj, "to", FALSE, &msg->to, error)
      || !read_id (obj, "from", FALSE, &msg->from, error))
    return FALSE;
  if (msg->to == NULL && msg->from == NULL)
    return bad (error, "a relayed message needs '%s' or 'from'", "to");
  return TRUE;
}

static gboolean
parse_sdp (JsonObject *obj, SlMsg *msg, GError **error)
{
  if (!parse_route (obj, msg, error)
      || !read_string (obj, "sdp_type", TRUE, SL_PROTO_MAX_ID_LEN,
                       &msg->sdp_type, error)
      || !read_string (obj, "sdp", TRUE, SL_PROTO_MAX_MESSAGE_SIZE, &msg->sdp,
                       error))
    return FALSE;
  if (!g_str_equal (msg->sdp_type, "offer")
      && !g_str_equal (msg->sdp_type, "answer"))
    return bad (error, "field '%s' must be \"offer\" or \"answer\"",
                "sdp_type");
  if (msg->sdp[0] == '\0')
    return bad (error, "field '%s' must not be empty", "sdp");
  return TRUE;
}

static gboolean
parse_error_msg (JsonObject *obj, SlMsg *msg, GError **error)
{
  g_autofree gchar *code = NULL;

  if (!read_string (obj, "code", TRUE, SL_PROTO_MAX_ID_LEN, &code, error)
      || !read_string (obj, "message", TRUE, SL_PROTO_MAX_TEXT_LEN,
                       &msg->message, error))
    return FALSE;
  /* A code this build does not know still tells the user something went
   * wrong; the message text carries the detail. */
  if (!sl_proto_error_code_from_name (code, &msg->code))
    msg->code = SL_PROTO_ERROR_BAD_MESSAGE;
  return TRUE;
}

/* "recording" is required; the hub's copy names who records ("peer_id"
 * and "role", both or neither). */
static gboolean
parse_record (JsonObject *obj, SlMsg *msg, GError **error)
{
  JsonNode *node;

  if (!find_member (obj, "recording", TRUE, &node, error)
      || !read_bool (obj, "recording", &msg->recording, error)
      || !read_id (obj, "peer_id", FALSE, &msg->peer_id, error))
    return FALSE;
  if (msg->peer_id != NULL)
    return read_role (obj, "role", &msg->role, error);
  if (json_object_has_member (obj, "role"))
    return bad (error, "field '%s' needs 'peer_id'", "role");
  return TRUE;
}

static gboolean
parse_fields (JsonObject *obj, SlMsg *msg, GError **error)
{
  switch (msg->type)
    {
    case SL_MSG_HELLO:
      return read_uint (obj, "version", G_MAXINT32, &msg->version, error)
             && read_string (obj, "token", TRUE, SL_PROTO_MAX_TOKEN_LEN,
                             &msg->token, error)
             && read_id (obj, "peer_id", TRUE, &msg->peer_id, error);
    case SL_MSG_WELCOME:
      return read_uint (obj, "version", G_MAXINT32, &msg->version, error)
             && read_id (obj, "peer_id", TRUE, &msg->peer_id, error)
             && read_id (obj, "room", TRUE, &msg->room, error)
             && read_role (obj, "role", &msg->role, error)
             && parse_peers (obj, msg, error)
             && read_bool (obj, "record_forbidden", &msg->record_forbidden,
                           error);
    case SL_MSG_ERROR:
      return parse_error_msg (obj, msg, error);
    case SL_MSG_PEER_JOINED:
      return read_id (obj, "peer_id", TRUE, &msg->peer_id, error)
             && read_role (obj, "role", &msg->role, error);
    case SL_MSG_PEER_LEFT:
      return read_id (obj, "peer_id", TRUE, &msg->peer_id, error)
             && read_bool (obj, "bye", &msg->bye, error);
    case SL_MSG_SDP:
      return parse_sdp (obj, msg, error);
    case SL_MSG_ICE:
      return parse_route (obj, msg, error)
             && read_uint (obj, "mline", MAX_MLINE, &msg->mline, error)
             && read_string (obj, "candidate", TRUE, SL_PROTO_MAX_CANDIDATE_LEN,
                             &msg->candidate, error);
    case SL_MSG_BYE:
      return TRUE;
    case SL_MSG_RECORD:
      return parse_record (obj, msg, error);
    }
  return bad (error, "message type %d is not handled", (gint)msg->type);
}

/* ---- parse ---- */

/* Checks what can be checked on the raw bytes: the size, then strict
 * JSON (sl-json-check.h), which also bounds the nesting before json-glib's
 * recursive parser sees the text and refuses what json-glib would read
 * its own way (octal and unknown escapes, NUL, duplicate member names). */
static gboolean
check_frame (const gchar *data, gsize len, GError **error)
{
  g_autoptr (GError) json_error = NULL;
  gsize i = 0;

  if (len > SL_PROTO_MAX_MESSAGE_SIZE)
    {
      g_set_error (error, SL_PROTO_ERROR, SL_PROTO_ERROR_TOO_LARGE,
                   "message of %" G_GSIZE_FORMAT
                   " bytes exceeds the limit of %d "
                   "bytes",
                   len, SL_PROTO_MAX_MESSAGE_SIZE);
      return FALSE;
    }
  if (data == NULL || len == 0)
    return bad (error, "message is empty");
  while (i < len && g_ascii_isspace (data[i]))
    i++;
  if (i == len || data[i] != '{')
    return bad (error, "message is not a JSON object");
  if (!sl_json_check (data, len, MAX_JSON_DEPTH, &json_error))
    /* The check's message gives an offset and a rule, never content. */
    return bad (error, "message is %s", json_error->message);
  return TRUE;
}

static JsonObject *
parse_object (const gchar *data, gsize len, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) json_error = NULL;
  JsonNode *root;

  if (!json_parser_load_from_data (parser, data, (gssize)len, &json_error))
    {
      /* json-glib's message quotes a position, not the content. */
      g_set_error (error, SL_PROTO_ERROR, SL_PROTO_ERROR_BAD_MESSAGE,
                   "message is not valid JSON: %s", json_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      bad (error, "message is not a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

SlMsg *
sl_msg_parse (const gchar *data, gsize len, GError **error)
{
  g_autoptr (JsonObject) obj = NULL;
  g_autoptr (SlMsg) msg = NULL;
  g_autofree gchar *type = NULL;
  gint type_index;

  if (!check_frame (data, len, error))
    return NULL;
  obj = parse_object (data, len, error);
  if (obj == NULL)
    return NULL;
  if (!read_string (obj, "type", TRUE, SL_PROTO_MAX_ID_LEN, &type, error))
    return NULL;
  type_index = lookup_name (type_names, G_N_ELEMENTS (type_names), type);
  if (type_index < 0)
    {
      bad (error, "unknown message type");
      return NULL;
    }
  msg = sl_msg_new ((SlMsgType)type_index);
  if (!parse_fields (obj, msg, error))
    return NULL;
  return g_steal_pointer (&msg);
}

/* ---- serialise ---- */

static void
add_string (JsonBuilder *builder, const gchar *key, const gchar *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (builder, key);
  json_builder_add_string_value (builder, value);
}

static void
add_int (JsonBuilder *builder, const gchar *key, gint64 value)
{
  json_builder_set_member_name (builder, key);
  json_builder_add_int_value (builder, value);
}

static void
add_peers (JsonBuilder *builder, const GPtrArray *peers)
{
  json_builder_set_member_name (builder, "peers");
  json_builder_begin_array (builder);
  for (guint i = 0; peers != NULL && i < peers->len; i++)
    {
      const SlPeerInfo *info = peers->pdata[i];

      json_builder_begin_object (builder);
      add_string (builder, "peer_id", info->peer_id);
      add_string (builder, "role", sl_role_name (info->role));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/* Cuts @text to at most SL_PROTO_MAX_TEXT_LEN bytes on a character
 * boundary, so that an over-long explanation never makes the whole error
 * message unparseable at the other end. */
static gchar *
clip_text (const gchar *text)
{
  const gchar *end;

  if (text == NULL)
    return g_strdup ("");
  if (strlen (text) <= SL_PROTO_MAX_TEXT_LEN)
    return g_strdup (text);
  end = g_utf8_find_prev_char (text, text + SL_PROTO_MAX_TEXT_LEN + 1);
  return g_strndup (text, end ? (gsize)(end - text) : 0);
}

static void
add_fields (JsonBuilder *builder, const SlMsg *msg)
{
  g_autofree gchar *text = NULL;

  switch (msg->type)
    {
    case SL_MSG_HELLO:
      add_int (builder, "version", msg->version);
      add_string (builder, "token", msg->token);
      add_string (builder, "peer_id", msg->peer_id);
      break;
    case SL_MSG_WELCOME:
      add_int (builder, "version", msg->version);
      add_string (builder, "peer_id", msg->peer_id);
      add_string (builder, "room", msg->room);
      add_string (builder, "role", sl_role_name (msg->role));
      add_peers (builder, msg->peers);
      if (msg->record_forbidden)
        {
          json_builder_set_member_name (builder, "record_forbidden");
          json_builder_add_boolean_value (builder, TRUE);
        }
      break;
    case SL_MSG_ERROR:
      text = clip_text (msg->message);
      add_string (builder, "code", sl_proto_error_code_name (msg->code));
      add_string (builder, "message", text);
      break;
    case SL_MSG_PEER_JOINED:
      add_string (builder, "peer_id", msg->peer_id);
      add_string (builder, "role", sl_role_name (msg->role));
      break;
    case SL_MSG_PEER_LEFT:
      add_string (builder, "peer_id", msg->peer_id);
      json_builder_set_member_name (builder, "bye");
      json_builder_add_boolean_value (builder, msg->bye);
      break;
    case SL_MSG_SDP:
      add_string (builder, "from", msg->from);
      add_string (builder, "to", msg->to);
      add_string (builder, "sdp_type", msg->sdp_type);
      add_string (builder, "sdp", msg->sdp);
      break;
    case SL_MSG_ICE:
      add_string (builder, "from", msg->from);
      add_string (builder, "to", msg->to);
      add_int (builder, "mline", msg->mline);
      add_string (builder, "candidate", msg->candidate ? msg->candidate : "");
      break;
    case SL_MSG_BYE:
      break;
    case SL_MSG_RECORD:
      if (msg->peer_id != NULL)
        {
          add_string (builder, "peer_id", msg->peer_id);
          add_string (builder, "role", sl_role_name (msg->role));
        }
      json_builder_set_member_name (builder, "recording");
      json_builder_add_boolean_value (builder, msg->recording);
      break;
    }
}

gchar *
sl_msg_serialize (const SlMsg *msg)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  g_return_val_if_fail (msg != NULL, NULL);

  json_builder_begin_object (builder);
  add_string (builder, "type", sl_msg_type_name (msg->type));
  add_fields (builder, msg);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

gchar *
sl_msg_serialize_error (SlProtoError code, const gchar *message)
{
  g_autoptr (SlMsg) msg = sl_msg_new (SL_MSG_ERROR);

  msg->code = code;
  msg->message = g_strdup (message);
  return sl_msg_serialize (msg);
}

/* ---- ids ---- */

/* Fills @buf from the kernel's random source.  Peer ids are not secrets
 * (a token is needed to use one), but ids that are hard to guess keep one
 * station from predicting, and so squatting on, another's. */
static void
fill_random (guint8 *buf, gsize len)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = getrandom (buf + done, len - done, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (gsize)n;
    }
  /* getrandom() cannot fail on Linux >= 3.17 once the pool is ready; the
   * fallback only keeps ids unique on odd kernels. */
  for (; done < len; done++)
    buf[done] = (guint8)g_random_int_range (0, 256);
}

gchar *
sl_proto_new_peer_id (void)
{
  static const gchar alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "abcdefghijklmnopqrstuvwxyz0123456789-_";
  guint8 bytes[22];
  gchar *id = g_new (gchar, sizeof bytes + 1);

  fill_random (bytes, sizeof bytes);
  /* 64 symbols divide 256 evenly, so masking keeps the draw uniform. */
  for (gsize i = 0; i < sizeof bytes; i++)
    id[i] = alphabet[bytes[i] & 63];
  id[sizeof bytes] = '\0';
  return id;
}
