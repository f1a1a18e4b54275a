// station.js — the browser expert and trainee station (docs/browser-station.md).
//
// It speaks the hub's signalling protocol (docs/signaling.md) over the
// hub's own WebSocket, answers the township's offer with the browser's
// WebRTC, and speaks sl-control (docs/control-channel.md) and the guidance
// protocol (docs/guidance.md, guide.js) on the data channels the township
// opens.  The room token is read from the address's fragment, which a
// browser never sends to a server, or asked for; it is never logged.

import { GuideError, GuideState, parseMessage, render, PROMPTS, CUES } from "./guide.js";

const $ = (id) => document.getElementById(id);
const video = $("video");
const overlay = $("overlay");
const notice = $("notice");

// What tests and the latency bench read (window.sonolink).
const probe = {
  role: null,
  peerId: null,
  framesShown: 0,
  sessions: 0, // offers answered
  hub: "connecting",
  stills: [],
  nacks: [],
  errors: [],
  // Every notice shown over the picture and every link word of the status
  // bar, in order (the last 200): what the recovery tests read.
  said: [],
  links: [],
  voicePeakHz: () => voicePeakHz(),
  // The marks drawn on this page: its own (expert) or the lesson's (trainee).
  marks: () => (S.role === "trainee" ? S.theirs : S.own).liveMarks(performance.now()).map((m) => m.id),
  // The overlay's colour at a point of the picture (0..1), as drawn.
  overlayAt: (fx, fy) => Array.from(overlay.getContext("2d").getImageData(Math.round(fx * (overlay.width - 1)), Math.round(fy * (overlay.height - 1)), 1, 1).data),
  notice: () => (notice.hidden ? null : notice.textContent),
  // This page's marks drawn alone on a w × h canvas, as a PNG data URL:
  // the side-by-side check against the C renderer (tests/browser).
  renderMarks: (w, h) => {
    const c = document.createElement("canvas");
    c.width = w;
    c.height = h;
    const state = S.role === "trainee" ? S.theirs : S.own;
    const saved = state.pointer;
    state.pointer = null;
    render(c.getContext("2d"), w, h, [state], performance.now());
    state.pointer = saved;
    return c.toDataURL("image/png");
  },
};
window.sonolink = probe;

const S = {
  // `#…&stamps=1`: read the township's --latency-stamp from every frame.
  readStamps: new URLSearchParams(location.hash.slice(1)).get("stamps") === "1",
  ws: null,
  token: null,
  peerId: randomId(),
  role: null,
  township: null, // its peer id
  hubState: "connecting",
  hubFailures: 0,
  fatal: false,
  pc: null,
  control: null,
  guideCh: null,
  pointerCh: null,
  own: new GuideState(), // what this station sends, drawn as sent
  theirs: new GuideState(), // what the township passes on (a trainee's lesson)
  image: null,
  clock: null, // {media, at}: the township's media time at our performance.now()
  sendMs: null, // the township's capture-to-send time (its pings' send_ms)
  rttMs: null, // sl-control's last round trip
  pongs: 0,
  lastPongs: 0,
  rtcpRtt: null, // {n, ms}: the last RTCP round trip and how many so far
  freshRttMs: null, // the round trip measured in the last second, or null
  receiveMs: null, // last second's median of packet in to picture out
  rxDelays: [],
  pingSeq: 0,
  pings: new Map(),
  tool: "polyline",
  armedCue: null,
  markSeq: 0,
  stillSeq: 0,
  stillWaiting: new Map(),
  still: null,
  pointerSeq: 0,
  pointerAt: null,
  pointerSent: 0,
  lastStats: null,
  fps: 0,
  kbps: 0,
  lossPct: null,
  lastFrameAt: 0,
  lastPacketAt: 0, // the last time anything came from the township
  packetsIn: 0,
  lost: false, // the link was lost and has not come back yet
  recovering: false,
  recoverFrames: 0,
  recoverUntil: 0,
  recorders: new Map(),
  stream: null,
  mic: null,
  audioEl: null,
  analyser: null,
};

function randomId() {
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const bytes = crypto.getRandomValues(new Uint8Array(22));
  return Array.from(bytes, (b) => abc[b & 63]).join("");
}

function say(words, colour) {
  if (words === null) {
    notice.hidden = true;
    return;
  }
  if (notice.hidden || notice.textContent !== words) remember(probe.said, words);
  notice.hidden = false;
  notice.textContent = words;
  notice.className = colour;
}

function remember(list, words) {
  list.push(words);
  if (list.length > 200) list.shift();
}

function log(...args) {
  // Never the token, never an SDP.
  console.log("sonolink:", ...args);
}

// ---- the hub ----

function tokenFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  return params.get("token");
}

function hubUrl() {
  return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
}

function send(msg) {
  if (S.ws && S.ws.readyState === WebSocket.OPEN) S.ws.send(JSON.stringify(msg));
}

const FATAL_CODES = {
  "auth-failed": "The room token was refused: it is not a valid token for this hub. Ask for a new link.",
  "token-expired": "The room token has expired. Ask for a new link.",
  "version-unsupported": "This hub speaks another protocol version.",
  "room-occupied": "The room is full.",
};

function connect() {
  S.hubState = "connecting";
  updateStatus();
  const ws = new WebSocket(hubUrl());
  S.ws = ws;
  ws.onopen = () => {
    send({ type: "hello", version: 1, token: S.token, peer_id: S.peerId });
  };
  ws.onmessage = (ev) => {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch (e) {
      return;
    }
    if (msg && typeof msg.type === "string") onHubMessage(msg);
  };
  ws.onclose = (ev) => {
    if (S.ws !== ws) return;
    S.ws = null;
    if (S.fatal) return;
    if (S.hubState !== "connected") S.hubFailures++;
    S.hubState = S.hubFailures > 0 ? "unreachable" : "connecting";
    if (!S.pc) say(S.hubFailures > 0 ? `Hub unreachable, retrying (${S.hubFailures})` : "Connecting to the hub", S.hubFailures > 0 ? "red" : "amber");
    updateStatus();
    setTimeout(connect, Math.min(10000, 500 * 2 ** Math.min(S.hubFailures, 5)));
  };
}

function fatal(words) {
  S.fatal = true;
  probe.errors.push(words);
  say(words, "red");
  document.body.classList.add("refused");
  if (S.ws) S.ws.close(1000);
}

function onHubMessage(msg) {
  switch (msg.type) {
    case "welcome": {
      if (msg.role !== "expert" && msg.role !== "trainee") {
        send({ type: "bye" });
        fatal(`This token is for a ${msg.role} station; the browser station joins as an expert or a trainee.`);
        return;
      }
      S.role = msg.role;
      probe.role = msg.role;
      probe.peerId = S.peerId;
      S.hubState = "connected";
      S.hubFailures = 0;
      document.body.classList.add(msg.role);
      $("tools").hidden = msg.role !== "expert";
      $("st-role").textContent = msg.role;
      const town = (msg.peers || []).find((p) => p.role === "township");
      S.township = town ? town.peer_id : null;
      if (!S.pc) say(town ? "Waiting for the township's picture" : "Waiting for the township", "amber");
      updateStatus();
      layout();
      break;
    }
    case "error":
      log("hub error", msg.code, msg.message);
      if (msg.code in FATAL_CODES) fatal(FATAL_CODES[msg.code] + (msg.message ? ` (${msg.message})` : ""));
      break;
    case "peer-joined":
      if (msg.role === "township") {
        S.township = msg.peer_id;
        if (!S.pc) say("Waiting for the township's picture", "amber");
      }
      break;
    case "peer-left":
      if (msg.peer_id === S.township && msg.bye) {
        closeSession();
        say("The township left; waiting for the township", "amber");
      }
      S.recorders.delete(msg.peer_id);
      updateStatus();
      break;
    case "record":
      if (msg.peer_id) {
        if (msg.recording) S.recorders.set(msg.peer_id, true);
        else S.recorders.delete(msg.peer_id);
        updateStatus();
      }
      break;
    case "sdp":
      if (msg.sdp_type === "offer" && typeof msg.sdp === "string") onOffer(msg.from, msg.sdp);
      break;
    case "ice":
      if (S.pc && msg.from === S.pcPeer && typeof msg.candidate === "string" && msg.candidate !== "")
        S.pc.addIceCandidate({ candidate: msg.candidate, sdpMLineIndex: msg.mline }).catch((e) => log("ice", e.message));
      break;
  }
}

// ---- the session ----

function closeSession() {
  if (S.pc) S.pc.close();
  S.pc = null;
  S.control = S.guideCh = S.pointerCh = null;
  S.lastStats = null;
  S.lastFrameAt = S.lastPacketAt = S.packetsIn = 0;
  S.sendMs = S.rtcpRtt = S.freshRttMs = S.receiveMs = null;
  video.classList.add("stale");
}

async function onOffer(from, sdp) {
  closeSession();
  const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle", iceServers: [] });
  S.pc = pc;
  probe.sessions++;
  S.pcPeer = from;
  S.township = from;
  say("Waiting for the township's picture", "amber");
  pc.onicecandidate = (ev) => {
    if (ev.candidate && ev.candidate.candidate)
      send({ type: "ice", to: from, mline: ev.candidate.sdpMLineIndex ?? 0, candidate: ev.candidate.candidate });
  };
  pc.ontrack = (ev) => onTrack(ev);
  pc.ondatachannel = (ev) => onChannel(ev.channel);
  pc.onconnectionstatechange = () => {
    log("connection", pc.connectionState);
    updateStatus();
  };
  try {
    await pc.setRemoteDescription({ type: "offer", sdp: voiceApart(sdp) });
    for (const t of pc.getTransceivers()) {
      if (t.receiver.track.kind === "video") {
        // Ask for the smallest receive delay Chromium will allow.
        const target = receiveDelayMs();
        if (target !== null && "jitterBufferTarget" in t.receiver) t.receiver.jitterBufferTarget = target;
      }
      if (t.receiver.track.kind === "audio") {
        if (S.role === "expert") {
          const mic = await microphone();
          if (mic) {
            await t.sender.replaceTrack(mic);
            t.direction = "sendrecv";
          } else t.direction = "recvonly";
        } else t.direction = "recvonly";
      }
    }
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    if (S.pc !== pc) return;
    probe.answer = pc.localDescription.sdp;
    send({ type: "sdp", to: from, sdp_type: "answer", sdp: pc.localDescription.sdp });
  } catch (e) {
    log("could not answer the township's offer:", e.message);
    say(`Cannot play the township's offer: ${e.message}`, "red");
  }
}

// The township names one media stream for its picture and its voice, and
// Chromium then holds the picture back to keep it in step with the voice
// (lip sync), by as much as its audio jitter buffer holds.  An expert
// steering a hand needs the picture now; the page puts the voice in a
// stream of its own so that neither waits for the other.
function voiceApart(sdp) {
  return sdp
    .split(/(?=^m=)/m)
    .map((section) => (section.startsWith("m=audio") ? section.replace(/^(a=(?:ssrc:\d+ )?msid:)\S+/gm, "$1sonolink-voice") : section))
    .join("");
}

// The receive delay asked of Chromium, in ms: `#…&delay_ms=N` (0 to
// 4000); absent, Chromium's own choice.
function receiveDelayMs() {
  const v = new URLSearchParams(location.hash.slice(1)).get("delay_ms");
  return v !== null && /^\d{1,4}$/.test(v) && Number(v) <= 4000 ? Number(v) : null;
}

async function microphone() {
  if (S.mic) return S.mic;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: false },
    });
    S.mic = stream.getAudioTracks()[0];
  } catch (e) {
    log("no microphone:", e.message);
    S.mic = null;
  }
  return S.mic;
}

function onTrack(ev) {
  if (!S.stream) S.stream = new MediaStream();
  const kind = ev.track.kind;
  for (const t of S.stream.getTracks()) if (t.kind === kind) S.stream.removeTrack(t);
  S.stream.addTrack(ev.track);
  if (kind === "video") {
    video.srcObject = new MediaStream([ev.track]);
    video.play().catch(() => {});
  } else {
    if (!S.audioEl) {
      S.audioEl = new Audio();
      S.audioEl.autoplay = true;
    }
    S.audioEl.srcObject = new MediaStream([ev.track]);
    S.audioEl.play().catch(() => {
      $("sound").hidden = false;
    });
    listenTo(ev.track);
  }
}

$("sound").onclick = () => {
  $("sound").hidden = true;
  if (S.audioEl) S.audioEl.play().catch(() => {});
  if (S.audioCtx) S.audioCtx.resume();
};

// The township's voice through an analyser, for the level in tests.
function listenTo(track) {
  try {
    S.audioCtx = S.audioCtx || new AudioContext();
    const src = S.audioCtx.createMediaStreamSource(new MediaStream([track]));
    S.analyser = S.audioCtx.createAnalyser();
    S.analyser.fftSize = 8192;
    src.connect(S.analyser);
  } catch (e) {
    log("no analyser:", e.message);
  }
}

function voicePeakHz() {
  if (!S.analyser) return null;
  const bins = new Float32Array(S.analyser.frequencyBinCount);
  S.analyser.getFloatFrequencyData(bins);
  let best = 1;
  for (let i = 2; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
  if (!(bins[best] > -80)) return null;
  return (best * S.audioCtx.sampleRate) / S.analyser.fftSize;
}

// ---- data channels ----

function onChannel(ch) {
  if (ch.label === "sl-control") {
    S.control = ch;
    ch.onmessage = (ev) => onControl(ev.data);
  } else if (ch.label === "sl-guide") {
    S.guideCh = ch;
    if (ch.readyState === "open") onGuideOpen();
    else ch.onopen = () => onGuideOpen();
    ch.onmessage = (ev) => onGuide(ev.data, ch);
  } else if (ch.label === "sl-pointer") {
    S.pointerCh = ch;
    S.pointerSeq = 0;
    S.theirs.resetPointer();
    ch.onmessage = (ev) => onGuide(ev.data, ch);
  }
}

function onControl(text) {
  let msg;
  try {
    msg = JSON.parse(text);
  } catch (e) {
    return;
  }
  if (!msg || typeof msg !== "object" || !Number.isInteger(msg.seq) || msg.seq < 0) return;
  S.lastPacketAt = performance.now();
  if (msg.type === "ping") {
    if (typeof msg.send_ms === "number" && msg.send_ms >= 0 && msg.send_ms <= 10000) S.sendMs = msg.send_ms;
    sendControl({ type: "pong", seq: msg.seq });
  } else if (msg.type === "pong" && S.pings.has(msg.seq)) {
    S.rttMs = performance.now() - S.pings.get(msg.seq);
    S.pongs++;
    S.pings.delete(msg.seq);
  }
}

function sendControl(msg) {
  if (S.control && S.control.readyState === "open") S.control.send(JSON.stringify(msg));
}

function nack(ch, msg, reason, detail) {
  probe.nacks.push({ reason, type: msg && msg.type, detail });
  if (!ch || ch.readyState !== "open") return;
  const n = { v: 1, type: "nack", media_ms: msg && Number.isInteger(msg.media_ms) ? msg.media_ms : 0, reason };
  if (msg && typeof msg.type === "string") n.ref_type = msg.type.slice(0, 64);
  if (detail) n.detail = String(detail).slice(0, 200).replace(/[^\x20-\x7e]/g, "?");
  ch.send(JSON.stringify(n));
}

function onGuideOpen() {
  // A new channel: the township may have lost what the old one carried.
  if (S.role !== "expert") return;
  sendGuide({ type: "clear" }, false);
  for (const m of S.own.liveMarks(performance.now())) sendGuide(markMessage(m), false);
}

function onGuide(text, ch) {
  let msg;
  try {
    msg = parseMessage(text);
  } catch (e) {
    let partial = null;
    try {
      partial = JSON.parse(text);
    } catch (e2) {}
    if (e instanceof GuideError) {
      if (!(partial && partial.type === "nack")) nack(ch, partial, e.reason, e.message);
      log("guidance refused:", e.reason, e.message);
      return;
    }
    throw e;
  }
  if (msg.type === "pointer" && ch.label !== "sl-pointer") return nack(ch, msg, "other", "pointer on sl-guide");
  if (msg.type !== "pointer" && ch.label === "sl-pointer") return;
  const now = performance.now();
  switch (msg.type) {
    case "image":
      S.image = S.theirs.image = S.own.image = {
        width: msg.width,
        height: msg.height,
        mmPerPx: msg.mm_per_px || null,
      };
      S.clock = { media: msg.media_ms + (S.rttMs || 0) / 2, at: now };
      break;
    case "still_meta":
    case "still_chunk":
    case "still_end":
      onStill(msg, ch);
      break;
    case "nack":
      probe.nacks.push({ reason: msg.reason, type: msg.ref_type, from: "township" });
      log("the township refused", msg.ref_type, msg.reason);
      break;
    case "still_request":
      nack(ch, msg, "other", "stills are the township's");
      break;
    default:
      // The lesson a trainee watches: the township passes on the expert's.
      if (S.role !== "trainee") return nack(ch, msg, "other", "the township sends no guidance");
      try {
        S.theirs.apply(msg, now);
      } catch (e) {
        if (e instanceof GuideError) nack(ch, msg, e.reason, e.message);
      }
  }
}

// The township's media time of the frame on screen now.
function mediaNow() {
  if (!S.clock) return 0;
  const t = S.clock.media + (performance.now() - S.clock.at) - latencyMs();
  return Math.max(0, Math.round(t));
}

function latencyMs() {
  return estimateMs() ?? 0;
}

// The latency estimate, as the C expert's (docs/stats.md,
// `latency_estimate_ms`): the township's capture-to-send time, half the
// round trip measured in the last second (RTCP's when a report brought a
// new one, else sl-control's ping), and the receiving side: here the
// median over the last second of each picture's time from its last
// packet's arrival to its hand-over for display (requestVideoFrameCallback's
// receiveTime and presentationTime), which takes in Chromium's jitter
// buffer, decoding and the hand-over, where the C expert adds its decode
// and output stages (its jitter buffer passes packets on at once).
// Unknown (null) while any part is.
function estimateMs() {
  if (S.sendMs === null || S.freshRttMs === null || S.receiveMs === null) return null;
  return S.sendMs + S.freshRttMs / 2 + S.receiveMs;
}

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

function sendGuide(body, apply = true) {
  const msg = Object.assign({ v: 1 }, body, { media_ms: mediaNow() });
  // Key order as the reference writer's: v, type, media_ms, then the rest.
  const ordered = { v: 1, type: msg.type, media_ms: msg.media_ms };
  for (const k of Object.keys(body)) if (k !== "type") ordered[k] = body[k];
  if (apply) {
    try {
      S.own.apply(ordered, performance.now());
    } catch (e) {
      if (e instanceof GuideError) {
        log("not sent:", e.reason);
        return false;
      }
      throw e;
    }
  }
  const ch = body.type === "pointer" ? S.pointerCh : S.guideCh;
  if (!ch || ch.readyState !== "open") {
    if (body.type !== "pointer") log("guidance channel closed: dropped", body.type);
    return false;
  }
  ch.send(JSON.stringify(ordered));
  return true;
}

function markMessage(m) {
  const msg = { type: "mark", id: m.id, kind: m.kind, points: m.points.map(roundPoint) };
  if (m.color !== "yellow") msg.color = m.color;
  if (m.width !== 1) msg.width = m.width;
  if (m.kind === "text") msg.text = m.text;
  return msg;
}

function roundPoint(p) {
  const r = (v) => Math.round(Math.min(1, Math.max(0, v)) * 1e5) / 1e5;
  return [r(p[0]), r(p[1])];
}

// ---- stills ----

function requestStill() {
  if (S.role !== "expert") return;
  const req = `still-${++S.stillSeq}`;
  if (sendGuide({ type: "still_request", req }, false)) {
    S.stillWaiting.set(req, performance.now());
    if (S.stillWaiting.size > 8) S.stillWaiting.delete(S.stillWaiting.keys().next().value);
  }
}

function onStill(msg, ch) {
  const now = performance.now();
  for (const [req, at] of S.stillWaiting) if (now - at > 60000) S.stillWaiting.delete(req);
  if (msg.type === "still_meta") {
    if (!S.stillWaiting.has(msg.req)) return nack(ch, msg, "sequence", "a still nobody asked for");
    S.stillWaiting.delete(msg.req);
    S.still = { meta: msg, parts: [], got: 0, at: now };
    return;
  }
  const st = S.still;
  if (!st || st.meta.req !== msg.req) return;
  const abandon = (reason, detail) => {
    S.still = null;
    log("still abandoned:", reason, detail);
    nack(ch, { type: msg.type, media_ms: msg.media_ms, req: msg.req }, reason, detail);
  };
  if (msg.type === "still_chunk") {
    if (msg.index !== st.parts.length) return abandon("sequence", "chunk out of order");
    let bytes;
    try {
      bytes = Uint8Array.from(atob(msg.data), (c) => c.charCodeAt(0));
    } catch (e) {
      return abandon("malformed", "base64");
    }
    const last = st.got + bytes.length >= st.meta.bytes;
    if (bytes.length !== (last ? st.meta.bytes - st.got : 16384) || st.got + bytes.length > st.meta.bytes)
      return abandon("malformed", "chunk length");
    st.parts.push(bytes);
    st.got += bytes.length;
    return;
  }
  // still_end
  if (st.got !== st.meta.bytes) return abandon("sequence", "end before the last byte");
  S.still = null;
  finishStill(st, abandon);
}

async function finishStill(st, abandon) {
  const blob = new Blob(st.parts, { type: "image/png" });
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  if (hex !== st.meta.sha256) return abandon("checksum", "SHA-256 differs");
  if (!pngMatches(bytes, st.meta.width, st.meta.height)) return abandon("other", "not the PNG promised");
  const name = `sonolink-still-${st.meta.media_ms}ms.png`;
  const url = URL.createObjectURL(blob);
  probe.stills.push({ req: st.meta.req, sha256: hex, bytes: bytes.length, name, width: st.meta.width, height: st.meta.height });
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.title = `SHA-256 ${hex}`;
  const img = document.createElement("img");
  img.src = url;
  img.alt = `still at ${st.meta.media_ms} ms`;
  a.append(img, document.createTextNode(`${name} (${st.meta.width}×${st.meta.height}) — download`));
  $("stills").prepend(a);
  log("still saved", name, hex);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// The PNG signature, an intact IHDR, W × H, 8-bit grey or RGB.
function pngMatches(b, w, h) {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (b.length < 33 || sig.some((v, i) => b[i] !== v)) return false;
  const dv = new DataView(b.buffer, b.byteOffset);
  if (dv.getUint32(8) !== 13 || String.fromCharCode(...b.slice(12, 16)) !== "IHDR") return false;
  if (crc32(b.slice(12, 29)) !== dv.getUint32(29)) return false;
  return dv.getUint32(16) === w && dv.getUint32(20) === h && b[24] === 8 && (b[25] === 0 || b[25] === 2);
}

// ---- drawing with the mouse ----

let drag = null;

function toImage(ev) {
  const r = overlay.getBoundingClientRect();
  return [(ev.clientX - r.left) / r.width, (ev.clientY - r.top) / r.height];
}

function inside(p) {
  return p[0] >= 0 && p[0] <= 1 && p[1] >= 0 && p[1] <= 1;
}

function clampPoint(p) {
  return [Math.min(1, Math.max(0, p[0])), Math.min(1, Math.max(0, p[1]))];
}

overlay.addEventListener("pointerdown", (ev) => {
  if (S.role !== "expert" || (ev.button !== 0 && ev.button !== 2)) return;
  ev.preventDefault();
  overlay.setPointerCapture(ev.pointerId);
  const kind = ev.button === 2 ? "arrow" : ev.shiftKey ? "box" : S.tool;
  drag = { kind, points: [clampPoint(toImage(ev))] };
});

overlay.addEventListener("pointermove", (ev) => {
  if (S.role !== "expert") return;
  const p = toImage(ev);
  movePointer(inside(p) || drag ? clampPoint(p) : null);
  if (!drag) return;
  const q = clampPoint(p);
  if (drag.kind === "polyline") {
    const last = drag.points[drag.points.length - 1];
    if (Math.hypot(q[0] - last[0], q[1] - last[1]) >= 0.004) drag.points.push(q);
  } else drag.points[1] = q;
});

overlay.addEventListener("pointerup", (ev) => {
  if (!drag) return;
  const d = drag;
  drag = null;
  const q = clampPoint(toImage(ev));
  if (d.kind === "polyline") d.points.push(q);
  else d.points[1] = q;
  finishDrag(d);
});

overlay.addEventListener("pointerleave", () => {
  if (!drag) movePointer(null);
});
overlay.addEventListener("contextmenu", (ev) => ev.preventDefault());

function finishDrag(d) {
  const a = d.points[0];
  const b = d.points[d.points.length - 1];
  const extent = Math.max(...d.points.map((p) => Math.hypot(p[0] - a[0], p[1] - a[1])));
  if (d.kind === "text") {
    const text = prompt("Label");
    if (!text) return;
    sendMark({ kind: "text", points: [a], text: text.slice(0, 200) });
    return;
  }
  if (extent < 0.01) return; // a click draws nothing
  const points = d.kind === "polyline" ? thin(d.points) : [a, b];
  sendMark({ kind: d.kind, points });
}

function thin(points) {
  if (points.length <= 256) return points;
  const out = [];
  for (let i = 0; i < 256; i++) out.push(points[Math.round((i * (points.length - 1)) / 255)]);
  return out;
}

function sendMark(m) {
  const msg = markMessage({ id: `draw-${++S.markSeq}`, color: "yellow", width: 1, ...m });
  sendGuide(msg);
}

function movePointer(p) {
  const now = performance.now();
  if (p === null) {
    if (S.pointerAt !== null) sendGuide({ type: "pointer", seq: S.pointerSeq++, visible: false });
    S.pointerAt = null;
    return;
  }
  S.pointerAt = p;
  if (now - S.pointerSent < 1000 / 30) return;
  sendPointer(now);
}

function sendPointer(now) {
  S.pointerSent = now;
  const [x, y] = roundPoint(S.pointerAt);
  sendGuide({ type: "pointer", seq: S.pointerSeq++, x, y });
}

setInterval(() => {
  if (S.pointerAt !== null && performance.now() - S.pointerSent >= 250) sendPointer(performance.now());
}, 50);

// ---- buttons and keys ----

const TOOL_KEYS = { f: "polyline", a: "arrow", b: "box", e: "ellipse", l: "caliper", t: "text" };
const CUE_KEYS = { 1: "slide", 2: "rock", 3: "tilt", 4: "rotate", 5: "compress" };
const ARROWS = {
  slide: { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" },
  rock: { ArrowLeft: "left", ArrowRight: "right" },
  tilt: { ArrowUp: "up", ArrowDown: "down" },
  rotate: { ArrowLeft: "ccw", ArrowRight: "cw" },
  compress: { ArrowUp: "release", ArrowDown: "press" },
};
const PROMPT_KEYS = { d: "doppler", h: "hold", z: "freeze", x: "unfreeze", n: "none" };

function setTool(tool) {
  S.tool = tool;
  for (const b of document.querySelectorAll("[data-tool]")) b.classList.toggle("on", b.dataset.tool === tool);
  updateStatus();
}

function sendCue(cue, dir) {
  sendGuide(cue === "none" ? { type: "cue", cue } : { type: "cue", cue, dir });
}

function arm(cue) {
  S.armedCue = cue;
  $("armed").textContent = cue ? `(${cue} armed: arrow keys)` : "";
  updateStatus();
}

function deleteTop() {
  const marks = S.own.liveMarks(performance.now());
  if (marks.length) sendGuide({ type: "delete", id: marks[marks.length - 1].id });
}

for (const b of document.querySelectorAll("[data-tool]")) b.onclick = () => setTool(b.dataset.tool);
for (const b of document.querySelectorAll("[data-cue]"))
  b.onclick = () => {
    sendCue(b.dataset.cue, b.dataset.dir);
    arm(b.dataset.cue === "none" ? null : b.dataset.cue);
  };
for (const b of document.querySelectorAll("[data-prompt]")) b.onclick = () => sendGuide({ type: "prompt", prompt: b.dataset.prompt });
$("undo").onclick = () => sendGuide({ type: "undo" });
$("clear").onclick = () => sendGuide({ type: "clear" });
$("delete").onclick = deleteTop;
$("still").onclick = requestStill;

document.addEventListener("keydown", (ev) => {
  if (S.role !== "expert" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.target instanceof HTMLInputElement) return;
  const k = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
  let handled = true;
  if (k in TOOL_KEYS) setTool(TOOL_KEYS[k]);
  else if (k in CUE_KEYS) arm(CUE_KEYS[k]);
  else if (k === "0") {
    sendCue("none");
    arm(null);
  } else if (S.armedCue && ARROWS[S.armedCue][k]) sendCue(S.armedCue, ARROWS[S.armedCue][k]);
  else if (k === "Escape") {
    drag = null;
    arm(null);
  } else if (k === "u") sendGuide({ type: "undo" });
  else if (k === "c") sendGuide({ type: "clear" });
  else if (k === "Delete" || k === "Backspace") deleteTop();
  else if (k === "s") requestStill();
  else if (k in PROMPT_KEYS) sendGuide({ type: "prompt", prompt: PROMPT_KEYS[k] });
  else handled = false;
  if (handled) ev.preventDefault();
});

// ---- layout, drawing, frames ----

// The overlay covers exactly the picture inside the video element
// (object-fit: contain), at the screen's pixel density.
function layout() {
  const stage = $("stage").getBoundingClientRect();
  const vw = video.videoWidth || 16;
  const vh = video.videoHeight || 9;
  const scale = Math.min(stage.width / vw, stage.height / vh);
  const w = vw * scale;
  const h = vh * scale;
  overlay.style.left = `${(stage.width - w) / 2}px`;
  overlay.style.top = `${(stage.height - h) / 2}px`;
  overlay.style.width = `${w}px`;
  overlay.style.height = `${h}px`;
  const dpr = window.devicePixelRatio || 1;
  overlay.width = Math.max(1, Math.round(w * dpr));
  overlay.height = Math.max(1, Math.round(h * dpr));
}

window.addEventListener("resize", layout);
video.addEventListener("resize", layout);

function draw() {
  const g = overlay.getContext("2d");
  g.clearRect(0, 0, overlay.width, overlay.height);
  const now = performance.now();
  const states = S.role === "trainee" ? [S.theirs] : [S.own];
  render(g, overlay.width, overlay.height, states, now);
  if (drag && drag.points.length > 1) {
    const preview = new GuideState();
    preview.image = S.image;
    const pts = drag.kind === "polyline" ? thin(drag.points) : [drag.points[0], drag.points[drag.points.length - 1]];
    try {
      preview.apply({ type: "mark", id: "preview", kind: drag.kind === "text" ? "box" : drag.kind, points: pts }, now);
      render(g, overlay.width, overlay.height, [preview], now);
    } catch (e) {}
  }
  requestAnimationFrame(draw);
}
requestAnimationFrame(draw);

// --latency-stamp (probe-adapter/synthetic/sl-stamp.c): 4 rows of 28
// black or white blocks, block side max(8, width / 160) of the sent
// picture, at the top right on a 16-pixel boundary; each row 4 sync bits
// (1 0 and the row number) and 3 bytes: the township's monotonic clock in
// µs, big-endian, then its CRC-32.  Read from each frame shown
// (requestVideoFrameCallback).  The clock is the township machine's
// CLOCK_MONOTONIC: the page keeps the pairs (stamp, presentation time on
// its own clock) for a bench on the same machine to put on one clock
// (tests/bench/latency.py --browser).
//
// Only the stamp's few blocks are read, from the decoded frame's luma
// (VideoFrame.copyTo with a rectangle): drawing the whole picture into a
// canvas to read them costs a conversion of every pixel on the page's
// thread, and headless Chromium then showed only 17-20 of the 30 pictures
// a second it decoded, each later.
const STAMP_KEEP = 4000;
probe.stamps = [];
probe.stampErrors = 0;
let stampCanvas = null;

function onFrame(now, meta) {
  probe.framesShown++;
  S.lastFrameAt = performance.now();
  if (notice.textContent === "Waiting for the township's picture" || notice.textContent.startsWith("Picture frozen") || notice.textContent.startsWith("Link lost")) say(null);
  video.classList.remove("stale");
  if (meta.receiveTime > 0 && meta.presentationTime >= meta.receiveTime && S.rxDelays.length < 1000)
    S.rxDelays.push(meta.presentationTime - meta.receiveTime);
  if (S.readStamps) readStamp(meta).catch(() => probe.stampErrors++);
  video.requestVideoFrameCallback(onFrame);
}
video.requestVideoFrameCallback(onFrame);

// The stamp's rectangle in the shown picture, whose width is @w (the
// township may send a smaller picture than its source: the stamp scales
// with it).
function stampRect(w, h) {
  const srcW = S.image ? S.image.width : w;
  if (!w || !h || srcW < 480) return null;
  const scale = w / srcW;
  const block = Math.max(8, Math.floor(srcW / 160));
  const x0 = Math.floor((srcW - 28 * block) / 16) * 16;
  // Even edges: a 4:2:0 frame copies whole chroma samples.
  const sx = Math.floor((x0 * scale) / 2) * 2;
  const sw = Math.min(w - sx, (Math.ceil(28 * block * scale) + 2) & ~1);
  const sh = Math.min(h, (Math.ceil(4 * block * scale) + 2) & ~1);
  return { sx, sw, sh, bw: block * scale, off: x0 * scale - sx };
}

// The luma (0..255, full range) of the stamp's rectangle @r, row by row.
async function stampLuma(r) {
  let frame = null;
  try {
    frame = new VideoFrame(video);
  } catch (e) {
    frame = null;
  }
  try {
    const planar = frame && ["I420", "I420A", "I422", "I444", "NV12"].includes(frame.format);
    probe.stampPath = planar ? `copyTo ${frame.format}` : "canvas";
    if (planar) {
      const v = frame.visibleRect;
      const rect = { x: v.x + r.sx, y: v.y, width: r.sw, height: r.sh };
      const buf = new Uint8Array(frame.allocationSize({ rect }));
      const layout = await frame.copyTo(buf, { rect });
      const { offset, stride } = layout[0];
      const y = new Float32Array(r.sw * r.sh);
      for (let j = 0; j < r.sh; j++)
        for (let i = 0; i < r.sw; i++) y[j * r.sw + i] = ((buf[offset + j * stride + i] - 16) * 255) / 219;
      return y;
    }
    // Any other frame (RGB, or one only the GPU holds): through a canvas.
    if (!stampCanvas) stampCanvas = document.createElement("canvas");
    stampCanvas.width = r.sw;
    stampCanvas.height = r.sh;
    const ctx = stampCanvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(frame || video, r.sx, 0, r.sw, r.sh, 0, 0, r.sw, r.sh);
    const px = ctx.getImageData(0, 0, r.sw, r.sh).data;
    const y = new Float32Array(r.sw * r.sh);
    for (let k = 0; k < y.length; k++) y[k] = 0.299 * px[4 * k] + 0.587 * px[4 * k + 1] + 0.114 * px[4 * k + 2];
    return y;
  } finally {
    if (frame) frame.close();
  }
}

async function readStamp(meta) {
  const r = stampRect(video.videoWidth, video.videoHeight);
  if (!r) return;
  const luma = await stampLuma(r);
  const bit = (row, col) => {
    let sum = 0;
    let n = 0;
    const cx0 = Math.round(r.off + (col + 0.25) * r.bw);
    const cx1 = Math.max(cx0 + 1, Math.round(r.off + (col + 0.75) * r.bw));
    const cy0 = Math.round((row + 0.25) * r.bw);
    const cy1 = Math.max(cy0 + 1, Math.round((row + 0.75) * r.bw));
    for (let y = cy0; y < cy1; y++)
      for (let x = cx0; x < cx1; x++, n++) sum += luma[y * r.sw + x];
    const mean = sum / n;
    // A block near mid-grey is not trusted, as in the C reader.
    if (Math.abs(mean - 127.5) < 32) return -1;
    return mean > 127.5 ? 1 : 0;
  };
  const bytes = new Uint8Array(12);
  for (let row = 0; row < 4; row++)
    for (let col = 0; col < 28; col++) {
      const b = bit(row, col);
      if (b < 0) return void probe.stampErrors++;
      if (col < 4) {
        if (b !== (((0x8 | row) >> (3 - col)) & 1)) return void probe.stampErrors++;
      } else if (b) {
        const k = row * 24 + (col - 4);
        bytes[k >> 3] |= 0x80 >> (k & 7);
      }
    }
  const crc = crc32(bytes.slice(0, 8));
  const dv = new DataView(bytes.buffer);
  if (dv.getUint32(8) !== crc) return void probe.stampErrors++;
  const stampUs = Number(dv.getBigUint64(0));
  probe.stamps.push([stampUs, meta.presentationTime, meta.expectedDisplayTime, meta.receiveTime || 0]);
  if (probe.stamps.length > STAMP_KEEP) probe.stamps.splice(0, probe.stamps.length - STAMP_KEEP);
}

// ---- status ----

async function pollStats() {
  const pc = S.pc;
  if (!pc) return;
  const report = await pc.getStats();
  if (S.pc !== pc) return;
  let inv = null;
  let pair = null;
  let packets = 0;
  let rtcp = null;
  report.forEach((s) => {
    if (s.type === "remote-inbound-rtp" && s.roundTripTimeMeasurements > 0 && (!rtcp || s.roundTripTimeMeasurements > rtcp.n))
      rtcp = { n: s.roundTripTimeMeasurements, ms: 1000 * s.roundTripTime };
    if (s.type === "inbound-rtp") packets += s.packetsReceived || 0;
    if (s.type === "inbound-rtp" && s.kind === "video") inv = s;
    if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") pair = s;
  });
  // Any packet of the picture or the voice since the last poll: the
  // township is there (its pings on sl-control count too, onControl).
  if (packets > S.packetsIn) {
    S.packetsIn = packets;
    S.lastPacketAt = performance.now();
  }
  if (inv) {
    const codec = inv.codecId ? report.get(inv.codecId) : null;
    probe.videoCodec = codec ? codec.mimeType : null;
    probe.framesDecoded = inv.framesDecoded || 0;
    probe.keyframeRequests = (inv.pliCount || 0) + (inv.firCount || 0);
    probe.decoder = inv.decoderImplementation || null;
    const prev = S.lastStats;
    if (prev) {
      const dt = (inv.timestamp - prev.timestamp) / 1000;
      S.fps = Math.round((inv.framesDecoded - prev.framesDecoded) / dt);
      S.kbps = Math.round(((inv.bytesReceived - prev.bytesReceived) * 8) / dt / 1000);
      const got = inv.packetsReceived - prev.packetsReceived;
      const lost = Math.max(0, inv.packetsLost - prev.packetsLost);
      S.lossPct = got + lost > 0 ? (100 * lost) / (got + lost) : 0;
      const jbDelay = inv.jitterBufferDelay - prev.jitterBufferDelay;
      const jbCount = inv.jitterBufferEmittedCount - prev.jitterBufferEmittedCount;
      if (jbCount > 0) S.jitterMs = (1000 * jbDelay) / jbCount;
      const dec = inv.totalDecodeTime - prev.totalDecodeTime;
      const decN = inv.framesDecoded - prev.framesDecoded;
      if (decN > 0) S.decodeMs = (1000 * dec) / decN;
    }
    S.lastStats = inv;
    probe.jitterMs = S.jitterMs;
  }
  // A round trip nothing renewed in the last second is not current (a
  // stalled link measures nothing), as in the C stations.
  if (rtcp && (!S.rtcpRtt || rtcp.n > S.rtcpRtt.n)) S.freshRttMs = rtcp.ms;
  else if (S.pongs > S.lastPongs) S.freshRttMs = S.rttMs;
  else S.freshRttMs = null;
  S.rtcpRtt = rtcp || S.rtcpRtt;
  S.lastPongs = S.pongs;
  S.receiveMs = S.rxDelays.length ? median(S.rxDelays) : null;
  S.rxDelays = [];
  probe.estimate = { sendMs: S.sendMs, rttMs: S.freshRttMs, receiveMs: S.receiveMs, jitterMs: S.jitterMs, decodeMs: S.decodeMs };
  if (pair && typeof pair.currentRoundTripTime === "number") S.iceRttMs = pair.currentRoundTripTime * 1000;
  const ping = { type: "ping", seq: S.pingSeq };
  if (S.lossPct !== null) ping.lost_pct = Math.round(S.lossPct * 100) / 100;
  S.pings.set(S.pingSeq++, performance.now());
  if (S.pings.size > 30) S.pings.delete(S.pings.keys().next().value);
  sendControl(ping);
}

// The township's silence: the time since anything came from it, ms (0
// before anything did).
function silenceMs() {
  return S.lastPacketAt ? performance.now() - S.lastPacketAt : 0;
}

// As the C stations (docs/stats.md, `link`): lost when nothing came from
// the township for over a second (or ICE says so); recovering once
// something comes again, or a new session follows a lost one, until
// pictures have flowed again for 3 s; degraded when 2 % or more of the
// video's packets were lost in the last second or the picture froze.
function linkWord() {
  const now = performance.now();
  if (!S.pc) return S.lost ? ["LINK LOST", "lost"] : ["NO LINK", "none"];
  const st = S.pc.connectionState;
  if (st === "failed" || st === "disconnected" || silenceMs() > 1000) {
    S.lost = true;
    S.recovering = false;
    return ["LINK LOST", "lost"];
  }
  if (S.lost) {
    S.lost = false;
    S.recovering = true;
    S.recoverFrames = probe.framesShown;
    S.recoverUntil = 0;
  }
  if (S.recovering) {
    if (!S.recoverUntil && probe.framesShown > S.recoverFrames) S.recoverUntil = now + 3000;
    if (!S.recoverUntil || now < S.recoverUntil) return ["LINK RECOVERING", "recovering"];
    S.recovering = false;
  }
  if (!S.lastFrameAt) return ["NO LINK", "none"];
  if (now - S.lastFrameAt > 1000) return ["LINK DEGRADED", "degraded"];
  if (S.lossPct !== null && S.lossPct >= 2) return ["LINK DEGRADED", "degraded"];
  return ["LINK GOOD", "good"];
}

function updateStatus() {
  const [word, cls] = linkWord();
  const el = $("st-link");
  el.textContent = word;
  el.className = `link ${cls}`;
  if (probe.link !== word) remember(probe.links, word);
  probe.link = word;
  const live = !!S.pc && !!S.lastFrameAt;
  $("st-fps").textContent = live ? `${S.fps} fps` : "– fps";
  $("st-kbps").textContent = live ? `${S.kbps} kb/s` : "– kb/s";
  $("st-rtt").textContent = S.freshRttMs !== null && S.pc ? `rtt ${Math.round(S.freshRttMs)} ms` : "rtt –";
  $("st-loss").textContent = S.lossPct !== null && S.pc ? `loss ${S.lossPct.toFixed(1)} %` : "loss –";
  const est = estimateMs();
  $("st-latency").textContent = est !== null && S.pc ? `latency ~${Math.round(est)} ms` : "latency -";
  $("st-hub").textContent = `hub ${S.hubState}`;
  probe.hub = S.hubState;
  const others = [...S.recorders.keys()].filter((p) => p !== S.peerId).length;
  $("st-rec").textContent = others === 0 ? "" : others === 1 ? "REC by 1 other" : "REC by others";
  $("st-tool").textContent = S.role === "expert" ? `tool ${S.tool === "polyline" ? "freehand" : S.tool}   cue ${S.armedCue || "none"}` : "";
}

setInterval(() => {
  pollStats().catch((e) => log("stats", e.message));
  updateStatus();
  if (S.pc && !S.fatal) watchLink();
}, 1000);

// The C expert's --restart-after: a session silent this long is given up,
// and the page waits for the township to offer a new one (it does when
// it runs again, docs/link-recovery.md).
const GIVE_UP_MS = 6000;

function watchLink() {
  const silent = silenceMs();
  if (silent >= GIVE_UP_MS || S.pc.connectionState === "failed") {
    log("nothing from the township for", Math.round(silent / 1000), "s: giving the session up");
    closeSession();
    S.lost = true;
    say("Waiting for the township's picture", "amber");
    updateStatus();
    return;
  }
  if (silent > 1000 || (S.lastFrameAt && S.pc.connectionState === "disconnected")) {
    video.classList.add("stale");
    say("Link lost, recovering", "red");
    return;
  }
  const quiet = S.lastFrameAt ? (performance.now() - S.lastFrameAt) / 1000 : 0;
  if (quiet >= 1) {
    video.classList.add("stale");
    say(`Picture frozen ${Math.floor(quiet)} s`, "red");
  }
}

// ---- start ----

function start(token) {
  S.token = token;
  connect();
}

const fromUrl = tokenFromFragment();
if (fromUrl) start(fromUrl);
else {
  say("No room token", "amber");
  const dlg = $("join");
  dlg.showModal();
  $("join-form").addEventListener("submit", () => {
    const t = $("join-token").value.trim();
    if (!t) return;
    // The fragment only: never a query string, which servers log.
    history.replaceState(null, "", `#token=${encodeURIComponent(t)}`);
    start(t);
  });
}
setTool("polyline");
layout();
export { PROMPTS, CUES };
