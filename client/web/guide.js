// guide.js — the guidance protocol of docs/guidance.md in the browser:
// checking what arrives, the picture of marks, pointer, cue and prompt a
// station keeps per sender, and drawing it on a canvas by the rules the C
// renderer (media/guide/sl-guide-render.c) follows, so that a mark drawn
// here and one drawn by sonolink-township cover the same pixels.
//
// No DOM is touched at import time: tests/browser/guide-fuzz.mjs loads
// this module in node and feeds it mutated messages.

export const MAX_MESSAGE = 32768;
export const MAX_MARKS = 64;
export const MAX_POINTS = 256;
export const UNDO_DEPTH = 32;
export const POINTER_TIMEOUT_MS = 1000;
export const DEFAULT_SHOW_MS = 3000;

// sRGB, as in docs/guidance.md, DRAWING (the C palette's 0..1 values
// times 255).
export const PALETTE = {
  yellow: [255, 230, 0],
  cyan: [0, 230, 255],
  green: [77, 255, 77],
  magenta: [255, 89, 255],
  orange: [255, 153, 26],
  red: [255, 64, 64],
  white: [255, 255, 255],
};

export const KINDS = {
  arrow: [2, 2],
  ellipse: [2, 2],
  polyline: [2, MAX_POINTS],
  text: [1, 1],
  box: [2, 2],
  caliper: [2, 2],
};

export const CUES = {
  slide: ["left", "right", "up", "down"],
  rock: ["left", "right"],
  tilt: ["up", "down"],
  rotate: ["cw", "ccw"],
  compress: ["press", "release"],
};

export const PROMPTS = {
  doppler: "Add colour Doppler",
  freeze: "Freeze",
  unfreeze: "Unfreeze",
  depth_up: "Increase depth",
  depth_down: "Decrease depth",
  gain_up: "Increase gain",
  gain_down: "Decrease gain",
  hold: "Hold \u2014 good",
  slower: "Slower",
  back: "Go back",
};

const CUE_WORDS = {
  slide: "SLIDE",
  rock: "ROCK",
  tilt: "TILT",
  rotate: "ROTATE",
  compress: "COMPRESS",
};

const MAX_MEDIA_MS = 2 ** 53 - 1;
const ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

// A refusal: the nack reason of docs/guidance.md, NACKS.
export class GuideError extends Error {
  constructor(reason, detail) {
    super(detail);
    this.reason = reason;
  }
}

function fail(reason, detail) {
  throw new GuideError(reason, detail);
}

function isInt(v) {
  return typeof v === "number" && Number.isInteger(v);
}

function checkInt(msg, key, lo, hi, required) {
  const v = msg[key];
  if (v === undefined) {
    if (required) fail("malformed", `${key} missing`);
    return undefined;
  }
  if (!isInt(v)) fail("malformed", `${key} is not an integer`);
  if (v < lo || v > hi) fail("out_of_range", `${key} out of range`);
  return v;
}

function checkNumber(v, lo, hi, what) {
  if (typeof v !== "number" || !Number.isFinite(v)) fail("malformed", `${what} is not a number`);
  if (v < lo || v > hi) fail("out_of_range", `${what} out of range`);
  return v;
}

function checkId(v, what) {
  if (typeof v !== "string") fail("malformed", `${what} is not a string`);
  if (v.length > 64) fail("too_large", `${what} too long`);
  if (!ID_RE.test(v)) fail("malformed", `${what} has other characters`);
  return v;
}

function checkColor(msg, fallback) {
  if (msg.color === undefined) return fallback;
  if (typeof msg.color !== "string") fail("malformed", "color is not a string");
  if (!(msg.color in PALETTE)) fail("out_of_range", "unknown colour");
  return msg.color;
}

function checkShow(msg) {
  const d = checkInt(msg, "duration_ms", 500, 30000, false);
  return d === undefined ? DEFAULT_SHOW_MS : d;
}

function utf8Length(s) {
  return new TextEncoder().encode(s).length;
}

// Strict JSON as docs/guidance.md, THE ENVELOPE, asks: what JSON.parse
// lets through that the protocol refuses (a member twice, \u0000, lone
// surrogates, nesting deeper than 8).  JSON.parse already refuses bad
// escapes, raw control characters and trailing text.
function checkStrict(text) {
  if (text.includes("\u0000") || /\\u0000/i.test(text)) fail("malformed", "NUL");
  let depth = 0;
  const stack = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      let raw = "";
      while (j < text.length && text[j] !== '"') {
        if (text[j] === "\\") {
          raw += text.slice(j, j + 2);
          j += 2;
        } else {
          raw += text[j];
          j++;
        }
      }
      const value = JSON.parse('"' + raw + '"');
      if (/[\ud800-\udbff](?![\udc00-\udfff])|(?:[^\ud800-\udbff]|^)[\udc00-\udfff]/.test(value))
        fail("malformed", "lone surrogate");
      // A member name: the next non-space is a colon.
      let k = j + 1;
      while (k < text.length && " \t\r\n".includes(text[k])) k++;
      if (text[k] === ":" && stack.length > 0 && stack[stack.length - 1] !== null) {
        const names = stack[stack.length - 1];
        if (names.has(value)) fail("malformed", "member twice");
        names.add(value);
      }
      i = j;
    } else if (c === "{" || c === "[") {
      depth++;
      if (depth > 8) fail("malformed", "nested too deep");
      stack.push(c === "{" ? new Set() : null);
    } else if (c === "}" || c === "]") {
      depth--;
      stack.pop();
    }
  }
}

// Parses one message as text off a channel.  Returns the object, checked
// for its type's members; throws GuideError otherwise.
export function parseMessage(text) {
  if (typeof text !== "string") fail("malformed", "not text");
  if (utf8Length(text) > MAX_MESSAGE) fail("too_large", "message over 32768 bytes");
  let msg;
  try {
    msg = JSON.parse(text);
  } catch (e) {
    fail("malformed", "not JSON");
  }
  if (msg === null || typeof msg !== "object" || Array.isArray(msg)) fail("malformed", "not an object");
  checkStrict(text);
  if (!isInt(msg.v)) fail("malformed", "v missing");
  if (msg.v !== 1) fail("unknown_version", "v is not 1");
  if (typeof msg.type !== "string") fail("malformed", "type missing");
  checkInt(msg, "media_ms", 0, MAX_MEDIA_MS, true);
  switch (msg.type) {
    case "mark":
      checkMark(msg);
      break;
    case "delete":
      checkId(msg.id, "id");
      break;
    case "undo":
    case "clear":
      break;
    case "pointer":
      checkInt(msg, "seq", 0, MAX_MEDIA_MS, true);
      if (msg.visible !== undefined && typeof msg.visible !== "boolean") fail("malformed", "visible");
      if (msg.visible !== false || msg.x !== undefined) {
        checkNumber(msg.x, 0, 1, "x");
        checkNumber(msg.y, 0, 1, "y");
      }
      checkColor(msg, "cyan");
      break;
    case "cue":
      if (typeof msg.cue !== "string") fail("malformed", "cue");
      if (msg.cue !== "none") {
        if (!(msg.cue in CUES)) fail("out_of_range", "unknown cue");
        if (typeof msg.dir !== "string") fail("malformed", "dir");
        if (!CUES[msg.cue].includes(msg.dir)) fail("out_of_range", "unknown direction");
      }
      checkShow(msg);
      break;
    case "prompt":
      if (typeof msg.prompt !== "string") fail("malformed", "prompt");
      if (msg.prompt !== "none" && !(msg.prompt in PROMPTS)) fail("out_of_range", "unknown prompt");
      checkShow(msg);
      break;
    case "image":
      checkInt(msg, "width", 1, 8192, true);
      checkInt(msg, "height", 1, 8192, true);
      checkSpacing(msg);
      break;
    case "still_request":
      checkId(msg.req, "req");
      break;
    case "still_meta":
      checkId(msg.req, "req");
      checkInt(msg, "width", 1, 8192, true);
      checkInt(msg, "height", 1, 8192, true);
      checkInt(msg, "bytes", 1, 16777216, true);
      if (msg.format !== "png") fail(typeof msg.format === "string" ? "out_of_range" : "malformed", "format");
      if (typeof msg.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(msg.sha256)) fail("malformed", "sha256");
      checkSpacing(msg);
      break;
    case "still_chunk":
      checkId(msg.req, "req");
      checkInt(msg, "index", 0, 1023, true);
      if (typeof msg.data !== "string") fail("malformed", "data");
      if (msg.data.length > 21848) fail("too_large", "chunk data");
      break;
    case "still_end":
      checkId(msg.req, "req");
      break;
    case "nack":
      if (typeof msg.reason !== "string") fail("malformed", "reason");
      break;
    default:
      fail("unknown_type", "unknown type");
  }
  return msg;
}

function checkSpacing(msg) {
  if (msg.mm_per_px === undefined) return;
  if (!Array.isArray(msg.mm_per_px) || msg.mm_per_px.length !== 2) fail("malformed", "mm_per_px");
  checkNumber(msg.mm_per_px[0], 0.001, 10, "mm_per_px");
  checkNumber(msg.mm_per_px[1], 0.001, 10, "mm_per_px");
}

function checkMark(msg) {
  checkId(msg.id, "id");
  if (typeof msg.kind !== "string") fail("malformed", "kind");
  if (!(msg.kind in KINDS)) fail("unknown_type", "unknown kind");
  if (!Array.isArray(msg.points)) fail("malformed", "points");
  if (msg.points.length > MAX_POINTS) fail("too_large", "too many points");
  const [lo, hi] = KINDS[msg.kind];
  if (msg.points.length < lo || msg.points.length > hi) fail("malformed", "wrong number of points");
  for (const p of msg.points) {
    if (!Array.isArray(p) || p.length !== 2) fail("malformed", "point");
    checkNumber(p[0], 0, 1, "point");
    checkNumber(p[1], 0, 1, "point");
  }
  checkColor(msg, "yellow");
  if (msg.width !== undefined) checkNumber(msg.width, 0.5, 4, "width");
  checkInt(msg, "ttl_ms", 1, 600000, false);
  if (msg.kind === "text") {
    if (typeof msg.text !== "string") fail("malformed", "text");
    const n = utf8Length(msg.text);
    if (n > 256) fail("too_large", "text");
    if (n < 1 || /[\u0000-\u001f\u007f]/.test(msg.text)) fail("malformed", "text");
  }
}

// The picture one sender's messages make at a receiver (as
// media/guide/sl-guide-state.c keeps it).  Times are the receiver's clock
// in milliseconds, passed in so that tests can drive it.
export class GuideState {
  constructor() {
    this.marks = []; // {mark, expires}
    this.history = []; // undo records
    this.pointer = null; // {x, y, color, at}
    this.pointerSeq = -1;
    this.cue = null; // {cue, dir, until}
    this.prompt = null; // {prompt, until}
    this.image = null; // {width, height, mmPerPx}
  }

  _remember(record) {
    this.history.push(record);
    if (this.history.length > UNDO_DEPTH) this.history.shift();
  }

  _live(now) {
    this.marks = this.marks.filter((m) => m.expires > now);
  }

  // Applies a checked message.  Throws GuideError("limit") for a 65th mark.
  apply(msg, now) {
    this._live(now);
    switch (msg.type) {
      case "mark": {
        const entry = {
          mark: {
            id: msg.id,
            kind: msg.kind,
            points: msg.points.map((p) => [p[0], p[1]]),
            color: msg.color || "yellow",
            width: msg.width === undefined ? 1 : msg.width,
            text: msg.text,
          },
          expires: msg.ttl_ms === undefined ? Infinity : now + msg.ttl_ms,
        };
        const i = this.marks.findIndex((m) => m.mark.id === msg.id);
        if (i >= 0) {
          this._remember({ op: "update", index: i, old: this.marks[i] });
          this.marks[i] = entry;
        } else {
          if (this.marks.length >= MAX_MARKS) fail("limit", "65th mark");
          this.marks.push(entry);
          this._remember({ op: "add", id: msg.id });
        }
        return true;
      }
      case "delete": {
        const i = this.marks.findIndex((m) => m.mark.id === msg.id);
        if (i < 0) return false;
        this._remember({ op: "delete", index: i, old: this.marks[i] });
        this.marks.splice(i, 1);
        return true;
      }
      case "clear":
        if (this.marks.length === 0) return false;
        this._remember({ op: "clear", old: this.marks.slice() });
        this.marks = [];
        return true;
      case "undo":
        return this._undo(now);
      case "pointer":
        if (msg.seq <= this.pointerSeq) return false;
        this.pointerSeq = msg.seq;
        this.pointer =
          msg.visible === false ? null : { x: msg.x, y: msg.y, color: msg.color || "cyan", at: now };
        return true;
      case "cue":
        this.cue = msg.cue === "none" ? null : { cue: msg.cue, dir: msg.dir, until: now + checkShow(msg) };
        return true;
      case "prompt":
        this.prompt = msg.prompt === "none" ? null : { prompt: msg.prompt, until: now + checkShow(msg) };
        return true;
      case "image":
        this.image = {
          width: msg.width,
          height: msg.height,
          mmPerPx: msg.mm_per_px ? [msg.mm_per_px[0], msg.mm_per_px[1]] : null,
        };
        return true;
      default:
        return false;
    }
  }

  _undo(now) {
    const r = this.history.pop();
    if (r === undefined) return false;
    const alive = (e) => e.expires > now;
    switch (r.op) {
      case "add":
        this.marks = this.marks.filter((m) => m.mark.id !== r.id);
        break;
      case "update": {
        const i = this.marks.findIndex((m) => m.mark.id === r.old.mark.id);
        if (i >= 0) this.marks[i] = r.old;
        break;
      }
      case "delete":
        if (alive(r.old) && this.marks.length < MAX_MARKS)
          this.marks.splice(Math.min(r.index, this.marks.length), 0, r.old);
        break;
      case "clear":
        this.marks = r.old.filter(alive).concat(this.marks).slice(0, MAX_MARKS);
        break;
    }
    return true;
  }

  // Forgets the pointer's sequence (its channel reopened).
  resetPointer() {
    this.pointerSeq = -1;
  }

  liveMarks(now) {
    this._live(now);
    return this.marks.map((e) => e.mark);
  }
}

// ---- drawing: media/guide/sl-guide-render.c on a canvas ----

const OUTLINE_ALPHA = 0.8;
const BOX_ALPHA = 0.75;
const FONT_FACE = "sans-serif";

export function metrics(h) {
  return {
    line: Math.max(2.0, h / 200),
    outline: Math.max(1.5, h / 480),
    font: Math.max(12.0, h / 30),
    pointer: Math.max(6.0, h / 80),
    cue: h / 5,
    margin: h / 40,
  };
}

function rgbCss(name) {
  const c = PALETTE[name] || PALETTE.yellow;
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

const WHITE = "rgb(255,255,255)";

function strokeOutlined(c, colour, width) {
  const g = c.g;
  g.strokeStyle = `rgba(0,0,0,${OUTLINE_ALPHA})`;
  g.lineWidth = width + 2 * c.m.outline;
  g.stroke();
  g.strokeStyle = colour;
  g.lineWidth = width;
  g.stroke();
  g.beginPath();
}

function fillOutlined(c, colour) {
  const g = c.g;
  g.strokeStyle = `rgba(0,0,0,${OUTLINE_ALPHA})`;
  g.lineWidth = 2 * c.m.outline;
  g.stroke();
  g.fillStyle = colour;
  g.fill();
  g.beginPath();
}

function arrow(c, x0, y0, x1, y1, width, head, colour) {
  const g = c.g;
  const len = Math.hypot(x1 - x0, y1 - y0);
  g.beginPath();
  if (len < 1) {
    g.arc(x1, y1, width, 0, 2 * Math.PI);
    fillOutlined(c, colour);
    return;
  }
  head = Math.min(head, len * 0.6);
  const ux = (x1 - x0) / len;
  const uy = (y1 - y0) / len;
  const bx = x1 - ux * head;
  const by = y1 - uy * head;
  const hw = Math.max(head * 0.6, width);
  g.moveTo(x0, y0);
  g.lineTo(bx + ux * head * 0.3, by + uy * head * 0.3);
  strokeOutlined(c, colour, width);
  g.moveTo(x1, y1);
  g.lineTo(bx - uy * hw, by + ux * hw);
  g.lineTo(bx + uy * hw, by - ux * hw);
  g.closePath();
  fillOutlined(c, colour);
}

function label(c, text, size, x, y, centred, colour, border) {
  const g = c.g;
  const pad = size * 0.3;
  g.font = `bold ${size}px ${FONT_FACE}`;
  const tm = g.measureText(text);
  const ascent = tm.fontBoundingBoxAscent ?? size * 0.93;
  const descent = tm.fontBoundingBoxDescent ?? size * 0.24;
  const bw = tm.width + 2 * pad;
  const bh = ascent + descent + 2 * pad;
  if (centred) {
    x -= bw / 2;
    y -= bh / 2;
  }
  x = Math.min(Math.max(x, 0), Math.max(0, c.w - bw));
  y = Math.min(Math.max(y, 0), Math.max(0, c.h - bh));
  g.beginPath();
  g.rect(x, y, bw, bh);
  g.fillStyle = `rgba(0,0,0,${BOX_ALPHA})`;
  g.fill();
  if (border) {
    g.strokeStyle = border;
    g.lineWidth = c.m.outline;
    g.stroke();
  }
  g.beginPath();
  g.fillStyle = colour;
  g.textBaseline = "alphabetic";
  g.fillText(text, x + pad, y + pad + ascent);
}

// The caliper's words: mm when the spacing is known, else probe pixels.
export function caliperText(mark, image, w, h) {
  const sw = image ? image.width : w;
  const sh = image ? image.height : h;
  const dx = (mark.points[1][0] - mark.points[0][0]) * sw;
  const dy = (mark.points[1][1] - mark.points[0][1]) * sh;
  if (image && image.mmPerPx) return `${Math.hypot(dx * image.mmPerPx[0], dy * image.mmPerPx[1]).toFixed(1)} mm`;
  return `${Math.hypot(dx, dy).toFixed(0)} px`;
}

function drawMark(c, m, image) {
  const g = c.g;
  const colour = rgbCss(m.color);
  const width = c.m.line * m.width;
  const P = (p) => [p[0] * c.w, p[1] * c.h];
  const [x0, y0] = P(m.points[0]);
  const [x1, y1] = m.points.length > 1 ? P(m.points[1]) : [0, 0];
  g.beginPath();
  switch (m.kind) {
    case "arrow":
      arrow(c, x0, y0, x1, y1, width, Math.max(width * 4, c.h / 36), colour);
      break;
    case "ellipse": {
      const rx = Math.max(Math.abs(x1 - x0) / 2, 0.5);
      const ry = Math.max(Math.abs(y1 - y0) / 2, 0.5);
      g.ellipse((x0 + x1) / 2, (y0 + y1) / 2, rx, ry, 0, 0, 2 * Math.PI);
      strokeOutlined(c, colour, width);
      break;
    }
    case "polyline":
      g.moveTo(x0, y0);
      for (let i = 1; i < m.points.length; i++) g.lineTo(...P(m.points[i]));
      strokeOutlined(c, colour, width);
      break;
    case "text":
      label(c, m.text, c.m.font * m.width, x0, y0, false, colour, null);
      break;
    case "box":
      g.rect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
      strokeOutlined(c, colour, width);
      break;
    case "caliper": {
      const len = Math.hypot(x1 - x0, y1 - y0);
      const tick = Math.max(width * 3, c.h / 90);
      let nx = 0;
      let ny = -1;
      if (len >= 1) {
        nx = -(y1 - y0) / len;
        ny = (x1 - x0) / len;
      }
      g.moveTo(x0, y0);
      g.lineTo(x1, y1);
      g.moveTo(x0 - nx * tick, y0 - ny * tick);
      g.lineTo(x0 + nx * tick, y0 + ny * tick);
      g.moveTo(x1 - nx * tick, y1 - ny * tick);
      g.lineTo(x1 + nx * tick, y1 + ny * tick);
      strokeOutlined(c, colour, width);
      if (ny > 0) {
        nx = -nx;
        ny = -ny;
      }
      const off = tick + c.m.font;
      label(c, caliperText(m, image, c.w, c.h), c.m.font, (x0 + x1) / 2 + nx * off, (y0 + y1) / 2 + ny * off, true, colour, null);
      break;
    }
  }
}

// ---- cues: a unit square in the top-right corner ----

function unitArrow(c, b, x0, y0, x1, y1, colour) {
  arrow(c, b.x + x0 * b.size, b.y + y0 * b.size, b.x + x1 * b.size, b.y + y1 * b.size, b.size / 14, b.size / 4.5, colour);
}

function unitArcArrow(c, b, cx, cy, r, a0, a1, colour) {
  const head = 0.22;
  const sign = a1 > a0 ? 1 : -1;
  const back = a1 - (sign * head) / r;
  const ex = cx + r * Math.cos(a1);
  const ey = cy + r * Math.sin(a1);
  const tx = -sign * Math.sin(a1);
  const ty = sign * Math.cos(a1);
  const g = c.g;
  g.beginPath();
  g.arc(b.x + cx * b.size, b.y + cy * b.size, r * b.size, a0, back, sign < 0);
  strokeOutlined(c, colour, b.size / 14);
  unitArrow(c, b, ex - tx * head, ey - ty * head, ex, ey, colour);
}

function footprint(c, b) {
  const g = c.g;
  g.beginPath();
  g.rect(b.x + 0.36 * b.size, b.y + 0.39 * b.size, 0.28 * b.size, 0.12 * b.size);
  fillOutlined(c, WHITE);
  g.arc(b.x + 0.41 * b.size, b.y + 0.45 * b.size, 0.035 * b.size, 0, 2 * Math.PI);
  g.fillStyle = "rgb(0,0,0)";
  g.fill();
  g.beginPath();
}

function drawCueGlyph(c, b, cue, colour) {
  const neg = cue.dir === "left" || cue.dir === "up" || cue.dir === "ccw";
  const g = c.g;
  if (cue.cue === "compress") {
    const from = cue.dir === "press" ? 0.1 : 0.55;
    const to = cue.dir === "press" ? 0.55 : 0.1;
    g.beginPath();
    g.moveTo(b.x + 0.08 * b.size, b.y + 0.66 * b.size);
    g.lineTo(b.x + 0.92 * b.size, b.y + 0.66 * b.size);
    strokeOutlined(c, WHITE, b.size / 30);
    g.rect(b.x + 0.42 * b.size, b.y + 0.14 * b.size, 0.16 * b.size, 0.5 * b.size);
    fillOutlined(c, WHITE);
    unitArrow(c, b, 0.24, from, 0.24, to, colour);
    unitArrow(c, b, 0.76, from, 0.76, to, colour);
    return;
  }
  footprint(c, b);
  switch (cue.cue) {
    case "slide":
      if (cue.dir === "left" || cue.dir === "right") unitArrow(c, b, neg ? 0.88 : 0.12, 0.2, neg ? 0.12 : 0.88, 0.2, colour);
      else unitArrow(c, b, 0.5, neg ? 0.76 : 0.08, 0.5, neg ? 0.06 : 0.78, colour);
      break;
    case "rock":
      unitArcArrow(c, b, 0.5, 1.05, 0.8, -Math.PI / 2 + (neg ? 0.3 : -0.3), -Math.PI / 2 + (neg ? -0.6 : 0.6), colour);
      break;
    case "tilt":
      unitArcArrow(c, b, 0.05, 0.45, 0.75, neg ? 0.3 : -0.3, neg ? -0.55 : 0.45, colour);
      break;
    case "rotate":
      unitArcArrow(c, b, 0.5, 0.45, 0.3, -Math.PI / 2 + 0.4, -Math.PI / 2 + 0.4 + (neg ? -1.6 : 1.6) * Math.PI, colour);
      break;
  }
}

function drawCue(c, cue) {
  const g = c.g;
  const b = { x: c.w - c.m.margin - c.m.cue, y: c.m.margin, size: c.m.cue };
  const colour = rgbCss("yellow");
  g.beginPath();
  g.rect(b.x, b.y, b.size, b.size);
  g.fillStyle = `rgba(0,0,0,${BOX_ALPHA})`;
  g.fill();
  g.strokeStyle = colour;
  g.lineWidth = c.m.outline;
  g.stroke();
  g.save();
  g.beginPath();
  g.rect(b.x, b.y, b.size, b.size);
  g.clip();
  g.beginPath();
  drawCueGlyph(c, b, cue, colour);
  g.restore();
  label(c, CUE_WORDS[cue.cue], b.size / 8, b.x + 0.5 * b.size, b.y + 0.9 * b.size, true, WHITE, null);
}

// Draws @states (GuideState, in order) over a w × h canvas context.
export function render(g, w, h, states, now) {
  const c = { g, w, h, m: metrics(h) };
  g.save();
  g.beginPath();
  g.rect(0, 0, w, h);
  g.clip();
  g.lineCap = "round";
  g.lineJoin = "round";
  for (const s of states) for (const m of s.liveMarks(now)) drawMark(c, m, s.image || imageOf(states));
  for (const s of states) if (s.cue && s.cue.until > now) drawCue(c, s.cue);
  for (const s of states)
    if (s.prompt && s.prompt.until > now) {
      const size = h / 22;
      label(c, PROMPTS[s.prompt.prompt], size, w / 2, h - c.m.margin - size, true, WHITE, rgbCss("yellow"));
    }
  for (const s of states)
    if (s.pointer && now - s.pointer.at < POINTER_TIMEOUT_MS) {
      g.beginPath();
      g.arc(s.pointer.x * w, s.pointer.y * h, c.m.pointer, 0, 2 * Math.PI);
      fillOutlined(c, rgbCss(s.pointer.color));
    }
  g.restore();
}

function imageOf(states) {
  for (const s of states) if (s.image) return s.image;
  return null;
}
