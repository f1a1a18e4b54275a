// fuzz-guide-web.mjs — the browser station's guidance parser and picture
// (client/web/guide.js) fed the committed guide corpus and seeded
// mutations of it, in node.
//
//   node tests/fuzz/fuzz-guide-web.mjs [ITERATIONS] [SEED]
//
// Every input must either parse or be refused with a GuideError carrying
// a nack reason of docs/guidance.md; anything else thrown (a TypeError
// from a member of the wrong type, a RangeError from deep nesting) is a
// finding, and so is a picture that breaks its limits (64 marks, 32 undo
// steps).  Known answers pin the strict-JSON rules JSON.parse does not
// apply.  Exit status 1 on a finding.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { GuideError, GuideState, parseMessage, render } from "../../client/web/guide.js";

const here = dirname(fileURLToPath(import.meta.url));
const corpusDir = join(here, "corpus", "guide");
const iterations = Number(process.argv[2] || 20000);
let seed = Number(process.argv[3] || 1) >>> 0;
const REASONS = new Set(["malformed", "too_large", "unknown_version", "out_of_range", "unknown_type", "limit"]);

function rand(n) {
  // xorshift32: the same inputs on every run with one seed.
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed % n;
}

let findings = 0;
function finding(what, input) {
  findings++;
  console.error(`FINDING: ${what}\n  input: ${JSON.stringify(input).slice(0, 300)}`);
}

// A canvas context that records nothing: render() must not throw on any
// picture a message can make.
const nullContext = new Proxy(
  {},
  {
    get(target, key) {
      if (key === "measureText") return (t) => ({ width: 7 * String(t).length, fontBoundingBoxAscent: 10, fontBoundingBoxDescent: 3 });
      return target[key] ?? (() => {});
    },
    set(target, key, value) {
      target[key] = value;
      return true;
    },
  },
);

const state = new GuideState();
let now = 0;

function feed(text) {
  let msg;
  try {
    msg = parseMessage(text);
  } catch (e) {
    if (!(e instanceof GuideError) || !REASONS.has(e.reason)) finding(`parse threw ${e && e.name}: ${e && e.message}`, text);
    return null;
  }
  try {
    state.apply(msg, (now += 7));
  } catch (e) {
    if (!(e instanceof GuideError) || e.reason !== "limit") finding(`apply threw ${e && e.name}: ${e && e.message}`, text);
  }
  if (state.marks.length > 64 || state.history.length > 32) finding("picture over its limits", text);
  try {
    render(nullContext, 640, 360, [state], now);
  } catch (e) {
    finding(`render threw ${e.name}: ${e.message}`, text);
  }
  return msg;
}

function expectRefused(text, reason) {
  try {
    parseMessage(text);
    finding(`accepted, should be ${reason}`, text);
  } catch (e) {
    if (!(e instanceof GuideError) || e.reason !== reason) finding(`refused as ${e.reason || e.name}, should be ${reason}`, text);
  }
}

const corpus = readdirSync(corpusDir)
  .sort()
  .map((n) => readFileSync(join(corpusDir, n), "latin1"));

for (const text of corpus) feed(text);

// Known answers: what the C parser refuses and JSON.parse would take.
const box = '{"v":1,"type":"mark","media_ms":1,"id":"b","kind":"box","points":[[0.1,0.1],[0.2,0.2]]}';
if (!feed(box)) finding("a plain box refused", box);
expectRefused('{"v":1,"type":"undo","media_ms":1,"media_ms":2}', "malformed");
expectRefused('{"v":1,"type":"delete","media_ms":1,"id":"a\\u0000"}', "malformed");
expectRefused('{"v":1,"type":"undo","media_ms":1,"x":[[[[[[[[1]]]]]]]]}', "malformed");
expectRefused('{"v":2,"type":"undo","media_ms":1}', "unknown_version");
expectRefused('{"v":1,"type":"mark","media_ms":1,"id":"b","kind":"box","points":[[0.1,1.5],[0.2,0.2]]}', "out_of_range");
expectRefused('{"v":1,"type":"mark","media_ms":1,"id":"b","kind":"star","points":[[0.1,0.1]]}', "unknown_type");
const full = new GuideState();
for (let i = 0; i < 64; i++) full.apply(parseMessage(box.replace('"id":"b"', `"id":"m${i}"`)), 1);
try {
  full.apply(parseMessage(box.replace('"id":"b"', '"id":"m64"')), 1);
  finding("a 65th mark taken", "m64");
} catch (e) {
  if (e.reason !== "limit") finding("a 65th mark refused as " + e.reason, "m64");
}

// Mutations: flip, insert, delete, splice two inputs, truncate.
const alphabet = '{}[]",:0123456789.-eE\\u tfnrlva' + "\u0000\ud800\u00ff";
for (let i = 0; i < iterations; i++) {
  let t = corpus[rand(corpus.length)];
  const n = 1 + rand(4);
  for (let k = 0; k < n; k++) {
    const at = rand(t.length + 1);
    switch (rand(5)) {
      case 0:
        t = t.slice(0, at) + alphabet[rand(alphabet.length)] + t.slice(at + 1);
        break;
      case 1:
        t = t.slice(0, at) + alphabet[rand(alphabet.length)] + t.slice(at);
        break;
      case 2:
        t = t.slice(0, at) + t.slice(at + 1 + rand(8));
        break;
      case 3: {
        const o = corpus[rand(corpus.length)];
        t = t.slice(0, at) + o.slice(rand(o.length + 1));
        break;
      }
      default:
        t = t.slice(0, at);
    }
  }
  feed(t);
}

console.log(`${corpus.length} corpus inputs, ${iterations} mutations, ${findings} findings`);
process.exit(findings ? 1 : 0);
