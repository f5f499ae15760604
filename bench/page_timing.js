// Loads a page N times in Debian's headless Chromium over the DevTools
// protocol (on a pipe: no dependency beyond Node itself), in real time (no
// virtual time, which stops the page's clock), and prints per load the
// page's own figures: data-render-ms (drawing the calendar) and
// data-drawn-at-ms (from asking for the page to the calendar drawn), and the
// number of cards. Usage: node bench/page_timing.js URL LOADS PROFILE_DIR
"use strict";
const { spawn } = require("child_process");
const [url, loads, profile] = [process.argv[2], Number(process.argv[3] || 10), process.argv[4]];
const chrome = spawn(process.env.HERALD_CHROMIUM || "/usr/bin/chromium",
  ["--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--window-size=1280,1000",
   "--user-data-dir=" + profile, "about:blank"],
  { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"] });
const toChrome = chrome.stdio[3];
const fromChrome = chrome.stdio[4];
let next = 0, buffer = "";
const waiting = new Map();
fromChrome.on("data", (chunk) => {
  buffer += chunk.toString();
  for (let end = buffer.indexOf("\0"); end >= 0; end = buffer.indexOf("\0")) {
    const message = JSON.parse(buffer.slice(0, end));
    buffer = buffer.slice(end + 1);
    if (message.id && waiting.has(message.id)) {
      waiting.get(message.id)(message);
      waiting.delete(message.id);
    }
  }
});
function send(method, params, sessionId) {
  return new Promise((resolve) => {
    const message = { id: ++next, method, params: params || {} };
    if (sessionId) message.sessionId = sessionId;
    waiting.set(message.id, resolve);
    toChrome.write(JSON.stringify(message) + "\0");
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const probe = "(function () { var c = document.getElementById('cal');" +
  " if (!c || !c.getAttribute('data-drawn-at-ms')) return '';" +
  " return c.getAttribute('data-render-ms') + ' ' + c.getAttribute('data-drawn-at-ms') + ' ' +" +
  " document.querySelectorAll('article.pc').length; })()";
(async () => {
  const target = await send("Target.createTarget", { url: "about:blank" });
  const attached = await send("Target.attachToTarget", { targetId: target.result.targetId, flatten: true });
  const session = attached.result.sessionId;
  for (let i = 0; i < loads; i++) {
    await send("Page.navigate", { url: "about:blank" }, session);
    await send("Page.navigate", { url }, session);
    let answer = "";
    for (const start = Date.now(); !answer && Date.now() - start < 30000; await sleep(20)) {
      const r = await send("Runtime.evaluate", { expression: probe, returnByValue: true }, session);
      answer = (r.result && r.result.result && r.result.result.value) || "";
    }
    console.log(answer || "timeout");
  }
  chrome.kill();
  process.exit(0);
})();
