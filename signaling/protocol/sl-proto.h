/* sl-proto.h — the sonolink signalling message codec.
 *
 * Every message between a station and sonolink-hub is one JSON object in one
 * WebSocket text frame.  This module turns such frames into SlMsg values and
 * back; it is shared by the hub and by the stations so that both sides check
 * the same rules.  It has no I/O and no global state: every function may be
 * called from any thread.  The wire format is specified in docs/signaling.md.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The protocol version spoken by this build.  A hello naming another
 * version is refused with SL_PROTO_ERROR_VERSION. */
#define SL_PROTO_VERSION 1

/* Upper bound on one signalling message, in bytes.  An SDP offer with audio,
 * video and a data channel is about 4 kB; 64 kB leaves room for many
 * candidates and codecs while keeping a hostile client's cost small. */
#define SL_PROTO_MAX_MESSAGE_SIZE (64 * 1024)

/* Upper bounds on individual fields, checked by the parser. */
#define SL_PROTO_MAX_ID_LEN 64
#define SL_PROTO_MAX_TOKEN_LEN 1024
#define SL_PROTO_MAX_CANDIDATE_LEN 1024
#define SL_PROTO_MAX_TEXT_LEN 512
#define SL_PROTO_MAX_PEERS 64

#define SL_PROTO_ERROR (sl_proto_error_quark ())
GQuark sl_proto_error_quark (void);

/* Error codes.  Each has a stable wire name (sl_proto_error_code_name) that
 * travels in "error" messages so a station can tell the user what to do. */
typedef enum
{
  SL_PROTO_ERROR_BAD_MESSAGE,   /* "bad-message": not JSON, wrong types, ... */
  SL_PROTO_ERROR_TOO_LARGE,     /* "too-large": over a size limit */
  SL_PROTO_ERROR_VERSION,       /* "version-unsupported" */
  SL_PROTO_ERROR_AUTH,          /* "auth-failed": missing/forged/malformed */
  SL_PROTO_ERROR_EXPIRED,       /* "token-expired" */
  SL_PROTO_ERROR_ROLE,          /* "role-refused": role not allowed here */
  SL_PROTO_ERROR_ROOM_OCCUPIED, /* "room-occupied": a township is present */
  SL_PROTO_ERROR_RATE,          /* "rate-limited" */
  SL_PROTO_ERROR_UNKNOWN_PEER,  /* "unknown-peer": relay target not here */
  SL_PROTO_ERROR_STATE,         /* "bad-state": e.g. relay before hello */
  SL_PROTO_ERROR_INTERNAL,      /* "internal" */
  SL_PROTO_ERROR_RECORD_FORBIDDEN, /* "record-forbidden": the token says
                                      this room is not recorded */
} SlProtoError;

const gchar *sl_proto_error_code_name (SlProtoError code);
/* Returns FALSE if @name is not a known code. */
gboolean sl_proto_error_code_from_name (const gchar *name, SlProtoError *code);

typedef enum
{
  SL_ROLE_TOWNSHIP,
  SL_ROLE_EXPERT,
  SL_ROLE_TRAINEE,
  SL_ROLE_RECORDER,
} SlRole;

/* "township", "expert", "trainee", "recorder". */
const gchar *sl_role_name (SlRole role);
gboolean sl_role_from_name (const gchar *name, SlRole *role);

typedef enum
{
  SL_MSG_HELLO,   /* station → hub, first message: version, token, peer_id */
  SL_MSG_WELCOME, /* hub → station: version, peer_id, room, role, peers */
  SL_MSG_ERROR,   /* either way: code, message */
  SL_MSG_PEER_JOINED, /* hub → station: peer_id, role */
  SL_MSG_PEER_LEFT,   /* hub → station: peer_id, bye */
  SL_MSG_SDP,         /* relayed: to/from, sdp_type, sdp */
  SL_MSG_ICE,         /* relayed: to/from, mline, candidate ("" = end) */
  SL_MSG_BYE,         /* station → hub: leaving on purpose */
  /* station → hub: recording, started or stopped; hub → every member:
   * peer_id, role, recording (docs/signaling.md, RECORDING). */
  SL_MSG_RECORD,
} SlMsgType;

const gchar *sl_msg_type_name (SlMsgType type);

typedef struct
{
  gchar *peer_id;
  SlRole role;
} SlPeerInfo;

/* A decoded message.  Which fields are meaningful depends on @type (see the
 * SlMsgType comments); the others are NULL/0.  Owned strings throughout;
 * free with sl_msg_free. */
typedef struct
{
  SlMsgType type;
  guint version;      /* HELLO, WELCOME */
  gchar *token;       /* HELLO */
  gchar *peer_id;     /* HELLO (own id), WELCOME, PEER_JOINED, PEER_LEFT */
  gchar *room;        /* WELCOME */
  SlRole role;        /* WELCOME, PEER_JOINED */
  GPtrArray *peers;   /* WELCOME: element-type SlPeerInfo, owned */
  gchar *from;        /* SDP, ICE: set by the hub when relaying */
  gchar *to;          /* SDP, ICE */
  gchar *sdp_type;    /* SDP: "offer" or "answer" */
  gchar *sdp;         /* SDP */
  guint mline;        /* ICE */
  gchar *candidate;   /* ICE */
  SlProtoError code;  /* ERROR */
  gchar *message;     /* ERROR: human-readable, no secrets */
  gboolean bye;       /* PEER_LEFT: the peer said bye (left on purpose) */
  gboolean recording; /* RECORD: started (TRUE) or stopped */
  /* WELCOME: the room's token forbids recording (absent: allowed). */
  gboolean record_forbidden;
} SlMsg;

SlMsg *sl_msg_new (SlMsgType type);
void sl_msg_free (SlMsg *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlMsg, sl_msg_free)

/* Adds a peer to a WELCOME message (copies @peer_id). */
void sl_msg_add_peer (SlMsg *msg, const gchar *peer_id, SlRole role);

/* Parses one frame.  @data need not be NUL-terminated.  Returns (transfer
 * full) the message, or NULL with @error set in SL_PROTO_ERROR: TOO_LARGE if
 * @len exceeds SL_PROTO_MAX_MESSAGE_SIZE or a field its limit, BAD_MESSAGE
 * for anything malformed (invalid JSON or UTF-8, not an object, unknown type,
 * missing or mistyped field, bad id characters).  Version checking is the
 * caller's business: a HELLO with version 7 parses fine. */
SlMsg *sl_msg_parse (const gchar *data, gsize len, GError **error);

/* Serialises @msg to compact JSON (transfer full, NUL-terminated). */
gchar *sl_msg_serialize (const SlMsg *msg);

/* Convenience: an ERROR message serialised. */
gchar *sl_msg_serialize_error (SlProtoError code, const gchar *message);

/* Peer ids are chosen by stations: 1..SL_PROTO_MAX_ID_LEN characters from
 * [A-Za-z0-9_-].  Room names follow the same rule. */
gboolean sl_proto_id_is_valid (const gchar *id);

/* A fresh random peer id (transfer full), 22 url-safe characters. */
gchar *sl_proto_new_peer_id (void);

G_END_DECLS
