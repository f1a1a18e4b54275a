// pwdriver.mjs — Debian's chromium, driven by playwright-core, on behalf of
// a Python test (slbrowser.py): one JSON command a line on stdin, one JSON
// answer a line on stdout.  Never downloads a browser; loopback only.
//
//   {"id":1,"cmd":"open","url":"http://127.0.0.1:PORT/#token=…","width":1600,"height":1000}
//   {"id":2,"cmd":"eval","page":0,"js":"window.sonolink.framesShown"}
//   {"id":3,"cmd":"mouse","page":0,"steps":[["move",x,y],["down"],["move",x,y,10],["up"]]}
//   {"id":4,"cmd":"key","page":0,"key":"s"}
//   {"id":5,"cmd":"click","page":0,"selector":"#undo"}
//   {"id":5,"cmd":"fill","page":0,"selector":"#join-token","text":"…"}
//   {"id":6,"cmd":"screenshot","page":0,"path":"…png"}
//   {"id":7,"cmd":"quit"}
import { chromium } from "playwright-core";
import readline from "node:readline";

const executablePath = process.env.SL_CHROMIUM || "/usr/bin/chromium";
const tone = process.env.SL_FAKE_AUDIO;
const args = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  "--autoplay-policy=no-user-gesture-required",
];
if (process.env.SL_CHROMIUM_ARGS) args.push(...process.env.SL_CHROMIUM_ARGS.split(" "));
if (tone) args.push(`--use-file-for-fake-audio-capture=${tone}`);

const browser = await chromium.launch({ executablePath, headless: true, args });
const pages = [];

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

async function run(c) {
  const page = pages[c.page ?? 0];
  switch (c.cmd) {
    case "open": {
      const ctx = await browser.newContext({
        viewport: { width: c.width || 1600, height: c.height || 1000 },
        acceptDownloads: true,
      });
      const p = await ctx.newPage();
      p.on("console", (m) => process.stderr.write(`[page ${pages.length}] ${m.text()}\n`));
      p.on("pageerror", (e) => process.stderr.write(`[page error] ${e.message}\n`));
      pages.push(p);
      await p.goto(c.url);
      return pages.length - 1;
    }
    case "eval":
      return await page.evaluate(c.js);
    case "mouse":
      for (const [what, x, y, steps] of c.steps) {
        if (what === "move") await page.mouse.move(x, y, { steps: steps || 1 });
        else if (what === "down") await page.mouse.down({ button: x || "left" });
        else if (what === "up") await page.mouse.up({ button: x || "left" });
      }
      return true;
    case "key":
      await page.keyboard.press(c.key);
      return true;
    case "click":
      await page.click(c.selector);
      return true;
    case "fill":
      await page.fill(c.selector, c.text);
      return true;
    case "box":
      return await page.locator(c.selector).boundingBox();
    case "screenshot":
      await page.screenshot({ path: c.path });
      return true;
    case "download": {
      const [dl] = await Promise.all([page.waitForEvent("download"), page.click(c.selector)]);
      await dl.saveAs(c.path);
      return c.path;
    }
    case "quit":
      await browser.close();
      out({ id: c.id, ok: true, value: null });
      process.exit(0);
  }
  throw new Error(`unknown command ${c.cmd}`);
}

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  let c;
  try {
    c = JSON.parse(line);
    out({ id: c.id, ok: true, value: (await run(c)) ?? null });
  } catch (e) {
    out({ id: c && c.id, ok: false, error: String(e && e.message ? e.message : e) });
  }
}
await browser.close();
