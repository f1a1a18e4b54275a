/* sl-guide.h — the messages of the guidance layer.
 *
 * The expert points at the probe image and coaches the township's hands:
 * marks (arrows, ellipses, freehand lines, labels, boxes, calipers) with
 * ids that can be updated, deleted, undone and cleared, a live pointer,
 * probe-manoeuvre cues, preset prompts, and lossless stills sent back by
 * the township.  docs/guidance.md is the protocol; this module is its
 * codec.  Messages are JSON text carried on two data channels: a reliable
 * ordered one ("sl-guide") and an unreliable unordered one for the pointer
 * ("sl-pointer").  The bytes come from the peer, so parsing checks every
 * member's JSON type, every length and every range before a value reaches
 * the caller, and is fuzzed (tests/fuzz/fuzz-guide.c).
 *
 * Messages are plain structs with fixed-size arrays, so that they can be
 * copied by assignment; only a still chunk's data and a nack's detail are
 * allocated, and sl_guide_msg_clear() frees them.  Pure functions; any
 * thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SL_GUIDE_ERROR (sl_guide_error_quark ())
GQuark sl_guide_error_quark (void);

typedef enum
{
  SL_GUIDE_ERROR_MALFORMED,       /* not JSON, wrong member type or shape */
  SL_GUIDE_ERROR_TOO_LARGE,       /* message, string or array over a limit */
  SL_GUIDE_ERROR_UNKNOWN_VERSION, /* "v" is not a major version we speak */
  SL_GUIDE_ERROR_OUT_OF_RANGE,    /* a number or enumerated value outside
                                     its range */
  SL_GUIDE_ERROR_UNKNOWN_TYPE,    /* unknown "type", or unknown mark "kind" */
  SL_GUIDE_ERROR_LIMIT,    /* the receiver's state is full (marks alive) */
  SL_GUIDE_ERROR_SEQUENCE, /* still chunks missing, repeated or misordered */
  SL_GUIDE_ERROR_CHECKSUM, /* a still's SHA-256 does not match */
  SL_GUIDE_ERROR_IMAGE,    /* a picture could not be encoded or decoded */
} SlGuideError;

/* The protocol's major version; "v" must be exactly this. */
#define SL_GUIDE_VERSION 1

/* The data channels' labels. */
#define SL_GUIDE_CHANNEL "sl-guide"
#define SL_GUIDE_POINTER_CHANNEL "sl-pointer"

/* Limits (docs/guidance.md, LIMITS). */
#define SL_GUIDE_MAX_SIZE (32 * 1024) /* bytes of one message */
#define SL_GUIDE_MAX_ID_LEN 64        /* bytes of an id or request id */
#define SL_GUIDE_MAX_POINTS 256       /* points of a polyline */
#define SL_GUIDE_MAX_TEXT_LEN 256     /* bytes of a label (UTF-8) */
#define SL_GUIDE_MAX_DETAIL_LEN 256   /* bytes of a nack's detail */
#define SL_GUIDE_MAX_MARKS 64         /* marks alive at a receiver */
#define SL_GUIDE_MAX_TTL_MS 600000    /* ten minutes */
#define SL_GUIDE_MIN_DURATION_MS 500  /* cue and prompt display time */
#define SL_GUIDE_MAX_DURATION_MS 30000
#define SL_GUIDE_DEFAULT_DURATION_MS 3000
#define SL_GUIDE_MIN_WIDTH 0.5 /* line width factor */
#define SL_GUIDE_MAX_WIDTH 4.0
#define SL_GUIDE_MIN_MM_PER_PX 0.001 /* pixel spacing, mm per pixel */
#define SL_GUIDE_MAX_MM_PER_PX 10.0
#define SL_GUIDE_MAX_IMAGE_SIDE 8192 /* pixels, image and still sides */
#define SL_GUIDE_STILL_CHUNK_SIZE                                              \
  16384 /* raw bytes in every chunk but the                                    \
           last */
#define SL_GUIDE_STILL_MAX_BYTES (16 * 1024 * 1024) /* PNG bytes of a still */
/* The largest media time, sequence number or count: 2^53 - 1, the largest
 * integer a JavaScript station holds exactly. */
#define SL_GUIDE_MAX_INT G_GINT64_CONSTANT (9007199254740991)

typedef enum
{
  SL_GUIDE_MARK,          /* add a mark, or replace the one with its id */
  SL_GUIDE_DELETE,        /* remove the mark with an id */
  SL_GUIDE_UNDO,          /* revert the last mark, delete or clear */
  SL_GUIDE_CLEAR,         /* remove every mark */
  SL_GUIDE_POINTER,       /* the live pointer (on "sl-pointer") */
  SL_GUIDE_CUE,           /* a probe manoeuvre to show */
  SL_GUIDE_PROMPT,        /* a preset prompt to show */
  SL_GUIDE_IMAGE,         /* the probe image's size and pixel spacing */
  SL_GUIDE_STILL_REQUEST, /* please send the raw frame at media_ms */
  SL_GUIDE_STILL_META,    /* a still follows: its size and checksum */
  SL_GUIDE_STILL_CHUNK,   /* one piece of a still's PNG */
  SL_GUIDE_STILL_END,     /* the last piece has been sent */
  SL_GUIDE_NACK,          /* a message was refused, and why */
} SlGuideType;
#define SL_GUIDE_N_TYPES (SL_GUIDE_NACK + 1)

typedef enum
{
  SL_GUIDE_KIND_ARROW,    /* 2 points: tail, head */
  SL_GUIDE_KIND_ELLIPSE,  /* 2 points: opposite corners of its box */
  SL_GUIDE_KIND_POLYLINE, /* 2 .. SL_GUIDE_MAX_POINTS points */
  SL_GUIDE_KIND_TEXT,     /* 1 point: the label's top-left corner */
  SL_GUIDE_KIND_BOX,      /* 2 points: opposite corners */
  SL_GUIDE_KIND_CALIPER,  /* 2 points: the ends of the measurement */
} SlGuideMarkKind;
#define SL_GUIDE_N_KINDS (SL_GUIDE_KIND_CALIPER + 1)

/* A fixed palette, every colour bright enough to read on grey speckle
 * over its dark outline; the first is the default. */
typedef enum
{
  SL_GUIDE_COLOR_YELLOW,
  SL_GUIDE_COLOR_CYAN,
  SL_GUIDE_COLOR_GREEN,
  SL_GUIDE_COLOR_MAGENTA,
  SL_GUIDE_COLOR_ORANGE,
  SL_GUIDE_COLOR_RED,
  SL_GUIDE_COLOR_WHITE,
} SlGuideColor;
#define SL_GUIDE_N_COLORS (SL_GUIDE_COLOR_WHITE + 1)

/* Probe manoeuvres; NONE takes the current cue down. */
typedef enum
{
  SL_GUIDE_CUE_NONE,
  SL_GUIDE_CUE_SLIDE,    /* left, right, up, down */
  SL_GUIDE_CUE_ROCK,     /* left, right: in plane, handle tips that way */
  SL_GUIDE_CUE_TILT,     /* up, down: out of plane, handle tips that way */
  SL_GUIDE_CUE_ROTATE,   /* cw, ccw, seen from above */
  SL_GUIDE_CUE_COMPRESS, /* press, release */
} SlGuideCueKind;
#define SL_GUIDE_N_CUES (SL_GUIDE_CUE_COMPRESS + 1)

/* Directions in the probe's frame: seen from above, the probe's marker
 * (the image's left edge) to the sonographer's left; "up" is away from
 * the sonographer. */
typedef enum
{
  SL_GUIDE_DIR_NONE,
  SL_GUIDE_DIR_LEFT,
  SL_GUIDE_DIR_RIGHT,
  SL_GUIDE_DIR_UP,
  SL_GUIDE_DIR_DOWN,
  SL_GUIDE_DIR_CW,
  SL_GUIDE_DIR_CCW,
  SL_GUIDE_DIR_PRESS,
  SL_GUIDE_DIR_RELEASE,
} SlGuideDir;
#define SL_GUIDE_N_DIRS (SL_GUIDE_DIR_RELEASE + 1)

/* Preset prompts; NONE takes the current prompt down. */
typedef enum
{
  SL_GUIDE_PROMPT_NONE,
  SL_GUIDE_PROMPT_DOPPLER,    /* "Add colour Doppler" */
  SL_GUIDE_PROMPT_FREEZE,     /* "Freeze" */
  SL_GUIDE_PROMPT_UNFREEZE,   /* "Unfreeze" */
  SL_GUIDE_PROMPT_DEPTH_UP,   /* "Increase depth" */
  SL_GUIDE_PROMPT_DEPTH_DOWN, /* "Decrease depth" */
  SL_GUIDE_PROMPT_GAIN_UP,    /* "Increase gain" */
  SL_GUIDE_PROMPT_GAIN_DOWN,  /* "Decrease gain" */
  SL_GUIDE_PROMPT_HOLD,       /* "Hold — good" */
  SL_GUIDE_PROMPT_SLOWER,     /* "Slower" */
  SL_GUIDE_PROMPT_BACK,       /* "Go back" */
} SlGuidePromptKind;
#define SL_GUIDE_N_PROMPTS (SL_GUIDE_PROMPT_BACK + 1)

/* Why a message was refused, carried by a nack. */
typedef enum
{
  SL_GUIDE_REASON_OTHER, /* also any reason a later version adds */
  SL_GUIDE_REASON_MALFORMED,
  SL_GUIDE_REASON_TOO_LARGE,
  SL_GUIDE_REASON_UNKNOWN_VERSION,
  SL_GUIDE_REASON_OUT_OF_RANGE,
  SL_GUIDE_REASON_UNKNOWN_TYPE,
  SL_GUIDE_REASON_LIMIT,
  SL_GUIDE_REASON_SEQUENCE,
  SL_GUIDE_REASON_CHECKSUM,
  SL_GUIDE_REASON_UNAVAILABLE, /* no frame for that media time */
  SL_GUIDE_REASON_BUSY,        /* a still is already being sent */
} SlGuideReason;
#define SL_GUIDE_N_REASONS (SL_GUIDE_REASON_BUSY + 1)

/* A position on the probe image: 0,0 its top-left corner, 1,1 its
 * bottom-right one, whatever its size in pixels. */
typedef struct
{
  gdouble x, y;
} SlGuidePoint;

typedef struct
{
  gchar id[SL_GUIDE_MAX_ID_LEN + 1];
  SlGuideMarkKind kind;
  SlGuideColor color;
  gdouble width;  /* line width factor, SL_GUIDE_MIN_WIDTH .. MAX_WIDTH */
  gint64 ttl_ms;  /* 1 .. SL_GUIDE_MAX_TTL_MS, or 0: until removed */
  guint n_points; /* as the kind requires */
  SlGuidePoint points[SL_GUIDE_MAX_POINTS];
  gchar text[SL_GUIDE_MAX_TEXT_LEN + 1]; /* TEXT: the label; others: "" */
} SlGuideMark;

typedef struct
{
  guint64 seq;      /* grows with each pointer message of a channel */
  gboolean visible; /* FALSE: the expert's pointer left the image */
  SlGuidePoint at;  /* meaningful when visible */
  SlGuideColor color;
} SlGuidePointer;

typedef struct
{
  SlGuideCueKind cue;
  SlGuideDir dir;     /* one the cue allows; NONE with CUE_NONE */
  gint64 duration_ms; /* MIN_DURATION_MS .. MAX_DURATION_MS */
} SlGuideCue;

typedef struct
{
  SlGuidePromptKind prompt;
  gint64 duration_ms;
} SlGuidePrompt;

typedef struct
{
  guint width, height; /* the probe image, pixels */
  gdouble mm_per_px_x; /* pixel spacing, or 0 for both: unknown */
  gdouble mm_per_px_y;
} SlGuideImage;

typedef struct
{
  gchar req[SL_GUIDE_MAX_ID_LEN + 1];
  guint width, height;  /* of the picture in the PNG */
  guint64 bytes;        /* PNG bytes, 1 .. SL_GUIDE_STILL_MAX_BYTES */
  gchar sha256[64 + 1]; /* of the PNG bytes, lower-case hex */
  gdouble mm_per_px_x;  /* or 0 for both: unknown */
  gdouble mm_per_px_y;
} SlGuideStillMeta;

typedef struct
{
  gchar req[SL_GUIDE_MAX_ID_LEN + 1];
  guint index;  /* 0 .. chunks - 1 */
  guint8 *data; /* (owned) the decoded bytes */
  gsize len;    /* 1 .. SL_GUIDE_STILL_CHUNK_SIZE */
} SlGuideStillChunk;

typedef struct
{
  SlGuideReason reason;
  gchar ref_type[32 + 1]; /* "type" of the refused message, or "" */
  gchar ref_id[SL_GUIDE_MAX_ID_LEN + 1]; /* its id or req, or "" */
  gchar *detail;                         /* (owned) (nullable) for the log */
} SlGuideNack;

typedef struct
{
  SlGuideType type;
  gint64 media_ms; /* 0 .. SL_GUIDE_MAX_INT: the media time it refers to */
  union
  {
    SlGuideMark mark;                   /* MARK */
    gchar id[SL_GUIDE_MAX_ID_LEN + 1];  /* DELETE */
    SlGuidePointer pointer;             /* POINTER */
    SlGuideCue cue;                     /* CUE */
    SlGuidePrompt prompt;               /* PROMPT */
    SlGuideImage image;                 /* IMAGE */
    gchar req[SL_GUIDE_MAX_ID_LEN + 1]; /* STILL_REQUEST, _END */
    SlGuideStillMeta still;             /* STILL_META */
    SlGuideStillChunk chunk;            /* STILL_CHUNK */
    SlGuideNack nack;                   /* NACK */
  };
} SlGuideMsg;

/* Parses @len bytes of @text (not necessarily NUL-terminated) into @out,
 * which is overwritten (never read) and must be released with
 * sl_guide_msg_clear() whether or not the parse succeeded.  Unknown
 * members are ignored.  Returns FALSE with @error in SL_GUIDE_ERROR on
 * anything it cannot accept; error messages name members, never their
 * values. */
gboolean sl_guide_parse (const gchar *text, gsize len, SlGuideMsg *out,
                         GError **error);

/* Returns (transfer full) @msg as JSON text, which sl_guide_parse() reads
 * back to the same message (coordinates are written to 1e-5, about 0.02
 * pixel at 1920 wide).  @msg must hold values in range: a message from
 * sl_guide_parse() or built by the caller within the documented limits. */
gchar *sl_guide_serialize (const SlGuideMsg *msg);

/* Frees what @msg owns and zeroes it, so it may be cleared twice. */
void sl_guide_msg_clear (SlGuideMsg *msg);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SlGuideMsg, sl_guide_msg_clear)

/* Fills @out with a nack for a message refused with @error (a
 * SL_GUIDE_ERROR; any other domain gives REASON_OTHER), its detail the
 * error's message.  @ref_type and @ref_id may be NULL; they are copied
 * only if they are a valid type name and id.  Free with
 * sl_guide_msg_clear(). */
void sl_guide_nack_init (SlGuideMsg *out, const GError *error, gint64 media_ms,
                         const gchar *ref_type, const gchar *ref_id);

/* The data channel a message of @type travels on: SL_GUIDE_POINTER_CHANNEL
 * for the pointer, SL_GUIDE_CHANNEL for every other type. */
const gchar *sl_guide_channel_for (SlGuideType type);

/* The wire names, for logs; "unknown" out of range. */
const gchar *sl_guide_type_name (SlGuideType type);
const gchar *sl_guide_kind_name (SlGuideMarkKind kind);
const gchar *sl_guide_reason_name (SlGuideReason reason);
const gchar *sl_guide_cue_name (SlGuideCueKind cue);
const gchar *sl_guide_dir_name (SlGuideDir dir);
const gchar *sl_guide_prompt_name (SlGuidePromptKind prompt);

/* TRUE if @dir is one that @cue takes (NONE for CUE_NONE). */
gboolean sl_guide_cue_allows (SlGuideCueKind cue, SlGuideDir dir);

/* TRUE if @id is a valid id: 1 .. SL_GUIDE_MAX_ID_LEN bytes of ASCII
 * letters, digits and "-_.:". */
gboolean sl_guide_id_is_valid (const gchar *id);

G_END_DECLS
