#include "daemon/status_page.hpp"

namespace herald {

namespace {

// The page is one document with no build step: edit it here. Rules it keeps:
// - no external assets, fetches only its own API by relative URL;
// - data from the API reaches the page only as text nodes and attribute
//   values (never innerHTML), so a post's text cannot inject markup;
// - inline <style> and <script> only, which the CSP below allows;
// - no template literals or "{{" in the script, so a grep for template holes
//   in the test stays meaningful.
constexpr const char* kPage = R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>herald status</title>
<style>
:root { color-scheme: light; --fg: #1b1b1b; --muted: #555; --line: #d0d0d0; --bg: #fff; --soft: #f4f4f4;
        --bad: #a4001d; --warn: #7a4b00; --warnbg: #fff4d6; --ok: #1d6b2f; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
header, main { max-width: 1400px; margin: 0 auto; padding: 0 1rem; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .25rem 1.5rem; padding-top: .75rem; }
h1 { font-size: 1.4rem; margin: 0; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
#updated { color: var(--muted); margin: 0; }
#updated.stale { color: var(--bad); font-weight: 600; }
#summary { color: var(--muted); margin: 0; }
#pauses { background: var(--bad); color: #fff; padding: .6rem 1rem; margin: .75rem 0 0; }
#pauses h2 { margin: 0 0 .25rem; color: #fff; }
#pauses p { margin: .2rem 0; }
#pauses code { background: rgba(255,255,255,.18); color: #fff; }
#store { background: #fde7ea; color: var(--bad); border: 1px solid #f0a8b3; padding: .5rem 1rem; margin: .75rem 0 0; }
#calendar { background: var(--warnbg); color: var(--warn); border: 1px solid #e8c872; padding: .5rem 1rem; margin: .75rem 0 0; }
#calendar pre { white-space: pre-wrap; margin: .25rem 0 0; color: var(--fg); }
#shared { background: var(--warnbg); color: var(--warn); border: 1px solid #e8c872; padding: .5rem 1rem; margin: .75rem 0 0; }
code { font: 13px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; background: var(--soft); padding: .05rem .3rem; border-radius: 3px; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: .3rem .45rem; text-align: left; vertical-align: top; }
thead th { background: var(--soft); font-weight: 600; white-space: nowrap; }
.timeline td, .timeline thead th { width: 11%; }
.timeline th[scope=row] { width: 10rem; }
.today { background: #f3f8ff; }
.timeline ul { list-style: none; margin: 0; padding: 0; }
.timeline li { margin: 0 0 .3rem; line-height: 1.25; }
.timeline time { font-variant-numeric: tabular-nums; font-weight: 600; margin-right: .3rem; }
.post { overflow-wrap: anywhere; }
.note { display: block; font-size: .85em; }
.kind { display: block; color: var(--muted); font-weight: normal; font-size: .85em; }
.badge { display: inline-block; font-size: .78em; padding: 0 .35rem; margin-left: .3rem; border-radius: 3px; background: var(--soft); color: var(--fg); border: 1px solid var(--line); white-space: nowrap; }
.badge.waiting, .badge.held, .badge.retry_wait { background: var(--warnbg); color: var(--warn); border-color: #e8c872; }
.badge.failed, .badge.needs_review { background: #fde7ea; color: var(--bad); border-color: #f0a8b3; }
.badge.sending { background: #e6f0ff; color: #0b3d91; border-color: #a9c5f5; }
.cards { list-style: none; margin: 0; padding: 0; display: grid; gap: .6rem; grid-template-columns: repeat(auto-fill, minmax(24rem, 1fr)); }
.card { border: 1px solid #f0a8b3; border-left: 5px solid var(--bad); padding: .5rem .75rem; }
.card p { margin: .25rem 0; }
.reason { font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
.warn { color: var(--warn); font-weight: 600; }
.ok { color: var(--ok); }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
.calbar { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; margin: 0 0 .6rem; }
.calbar button, .pc button, #detail button { font: inherit; padding: .2rem .6rem; border: 1px solid var(--line); background: var(--soft); border-radius: 3px; cursor: pointer; }
.calbar button[aria-pressed=true] { background: var(--fg); color: var(--bg); }
.week { display: grid; grid-template-columns: repeat(7, minmax(0, 1fr)); gap: .4rem; }
.day { border: 1px solid var(--line); min-height: 6rem; padding: .3rem; }
.day h3 { font-size: .9rem; margin: 0 0 .3rem; }
.day.today { background: #f3f8ff; }
.pc { border: 1px solid var(--line); border-left: 4px solid #8aa4c8; padding: .3rem .4rem; margin: 0 0 .4rem; background: var(--bg); font-size: .88rem; }
.pc.published { border-left-color: var(--ok); }
.pc.failed, .pc.needs_review { border-left-color: var(--bad); }
.pc.waiting, .pc.held, .pc.retry_wait { border-left-color: #e8c872; }
.pc .top { display: flex; flex-wrap: wrap; gap: .25rem; align-items: baseline; }
.pc .txt { margin: .2rem 0; white-space: pre-wrap; overflow-wrap: anywhere; display: -webkit-box; -webkit-line-clamp: 5; -webkit-box-orient: vertical; overflow: hidden; }
.pc img, #detail img { max-width: 100%; max-height: 7rem; display: block; margin: .2rem 0; border: 1px solid var(--line); }
.pc .ctr, #detail .ctr { color: var(--muted); font-size: .85em; }
.month { display: grid; grid-template-columns: repeat(7, minmax(0, 1fr)); gap: 2px; }
.month .cell { border: 1px solid var(--line); min-height: 5.5rem; padding: .2rem; font-size: .8rem; }
.month .cell.other { background: var(--soft); color: var(--muted); }
.month .cell.today { background: #f3f8ff; }
.month .item { display: block; width: 100%; text-align: left; border: 0; border-left: 3px solid #8aa4c8; background: transparent; padding: 0 .2rem; margin: 0 0 1px; font: inherit; cursor: pointer; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
.month .item.published { border-left-color: var(--ok); }
.month .item.failed, .month .item.needs_review { border-left-color: var(--bad); }
.charts { display: grid; gap: .8rem; grid-template-columns: repeat(auto-fill, minmax(19rem, 1fr)); }
.chart figcaption { font-size: .9rem; }
.chart svg { width: 100%; height: 64px; display: block; background: var(--soft); }
.chart rect { fill: #3b6fb6; }
#detail { position: fixed; top: 0; right: 0; bottom: 0; width: min(36rem, 100%); overflow-y: auto; background: var(--bg); border-left: 2px solid var(--fg); padding: .75rem 1rem; box-shadow: -4px 0 16px rgba(0,0,0,.15); }
#detail pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--soft); padding: .4rem; }
#detail svg { width: 100%; height: 80px; background: var(--soft); }
#detail polyline { fill: none; stroke: #3b6fb6; stroke-width: 2; }
@media (max-width: 760px) {
  .week { grid-template-columns: 1fr; }
  .month .item .ch { display: none; }
  body { font-size: 14px; }
}
footer { max-width: 1400px; margin: 2rem auto 1rem; padding: 0 1rem; color: var(--muted); font-size: .85em; }
</style>
</head>
<body>
<header>
  <h1>herald status</h1>
  <p id="updated" role="status" aria-live="polite">loading the status from herald&hellip;</p>
  <p id="summary"></p>
</header>
<main>
  <div id="pauses" role="alert" hidden></div>
  <div id="store" role="alert" hidden></div>
  <div id="calendar" role="alert" hidden></div>
  <div id="shared" role="status" hidden></div>
  <section aria-labelledby="h-attention">
    <h2 id="h-attention">Needs attention</h2>
    <div id="attention"><p class="muted">Loading&hellip;</p></div>
  </section>
  <section aria-labelledby="h-cal">
    <h2 id="h-cal">Calendar</h2>
    <div class="calbar" role="toolbar" aria-label="Calendar view">
      <button type="button" id="cal-prev" aria-label="Earlier">&larr;</button>
      <button type="button" id="cal-today">Today</button>
      <button type="button" id="cal-next" aria-label="Later">&rarr;</button>
      <button type="button" id="cal-week" aria-pressed="true">Week</button>
      <button type="button" id="cal-month" aria-pressed="false">Month</button>
      <label>Channel <select id="cal-channel"><option value="">all channels</option></select></label>
      <span id="cal-range" class="muted"></span>
    </div>
    <div id="cal"><p class="muted">Loading&hellip;</p></div>
  </section>
  <section aria-labelledby="h-charts">
    <h2 id="h-charts">Engagement of the last 30 days</h2>
    <div id="charts"><p class="muted">Loading&hellip;</p></div>
  </section>
  <section aria-labelledby="h-timeline">
    <h2 id="h-timeline">Coming 7 days</h2>
    <div id="timeline" class="scroll"><p class="muted">Loading&hellip;</p></div>
  </section>
  <section aria-labelledby="h-drafts">
    <h2 id="h-drafts">Drafts awaiting approval</h2>
    <div id="drafts"><p class="muted">Loading&hellip;</p></div>
  </section>
  <section aria-labelledby="h-waiting">
    <h2 id="h-waiting">Waiting</h2>
    <div id="waiting"><p class="muted">Loading&hellip;</p></div>
  </section>
  <section aria-labelledby="h-channels">
    <h2 id="h-channels">Channels</h2>
    <div id="channels" class="scroll"><p class="muted">Loading&hellip;</p></div>
  </section>
  <noscript><p class="bad">This page needs JavaScript to read the status from herald (api/v1/status).</p></noscript>
</main>
<div id="detail" role="dialog" aria-labelledby="detail-title" hidden></div>
<svg id="svgns" hidden></svg>
<footer>Times are in herald's time zone. The page refreshes itself every 10 seconds.</footer>
<script>
(function () {
  "use strict";
  var REFRESH_MS = 10000;
  var FETCH_TIMEOUT_MS = 8000;
  var DAYS = 7;
  var TIMELINE_STATES = ["planned", "waiting", "held", "sending", "retry_wait"];
  var WAITING_STATES = ["waiting", "held", "retry_wait"];
  var ATTENTION_STATES = ["failed", "needs_review"];
  var QUEUE_LIMIT = 500;
  var LABEL = { planned: "planned", waiting: "waiting", held: "held (paused)", sending: "sending",
                retry_wait: "retrying", published: "published", failed: "failed",
                needs_review: "needs review", cancelled: "cancelled" };
  var lastGood = "";

  // DOM building: data only ever becomes text nodes or attribute values.
  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, String(attrs[k]));
    });
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function fill(id) {
    var node = document.getElementById(id);
    while (node.firstChild) node.removeChild(node.firstChild);
    for (var i = 1; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function label(state) { return LABEL[state] || String(state); }

  // Times. Deliveries carry "local" (RFC 3339 with the zone's offset), shown
  // as written; other instants are converted to the daemon's zone.
  function zoned(iso, zone) {
    var d = new Date(iso);
    if (!iso || isNaN(d.getTime())) return { date: "", time: String(iso || ""), zone: "" };
    try {
      var parts = {};
      new Intl.DateTimeFormat("en-GB", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" })
        .formatToParts(d).forEach(function (p) { parts[p.type] = p.value; });
      return { date: parts.year + "-" + parts.month + "-" + parts.day,
               time: parts.hour + ":" + parts.minute + ":" + parts.second, zone: zone };
    } catch (e) {
      var s = d.toISOString();
      return { date: s.slice(0, 10), time: s.slice(11, 19), zone: "UTC" };
    }
  }
  function dayLabel(date) {
    var d = new Date(date + "T00:00:00Z");
    if (isNaN(d.getTime())) return date;
    return d.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
  }
  function addDays(date, n) {
    var d = new Date(date + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }
  function when(iso, zone) {
    var z = zoned(iso, zone);
    return z.date ? dayLabel(z.date) + " " + z.time.slice(0, 5) : z.time;
  }
  function localDate(d) { return String(d.local || "").slice(0, 10); }
  function localClock(d) { return String(d.local || "").slice(11, 16); }
  function localText(d) { return dayLabel(localDate(d)) + " " + localClock(d); }

  // A key as one shell word: keys may hold '#', which a shell reads as a comment.
  function shellWord(s) {
    s = String(s);
    return /^[A-Za-z0-9@%+=:,.\/_-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'";
  }

  function renderSummary(status, zone) {
    var parts = ["herald " + status.version, status.posts + " posts in the calendar", "zone " + zone,
                 "up since " + when(status.started, zone)];
    if (status.calendar && status.calendar.last_reload) parts.push("calendar read " + when(status.calendar.last_reload, zone));
    fill("summary", parts.join(" \u00b7 "));
  }

  function renderPauses(status, zone) {
    var pauses = [];
    if (status.paused) pauses.push(status.paused);
    (status.channels || []).forEach(function (c) { if (c.paused) pauses.push(c.paused); });
    var box = fill("pauses");
    box.hidden = pauses.length === 0;
    document.title = (status.paused ? "PAUSED - " : "") + "herald status";
    if (!pauses.length) return;
    append(box, el("h2", null, status.paused ? "Paused: nothing is being published" : "Some channels are paused"));
    pauses.forEach(function (p) {
      var who = p.channel ? "Channel " + p.channel + " is paused" : "Everything is paused";
      var span = " (since " + when(p.since, zone) + (p.until ? ", until " + when(p.until, zone) : ", until resumed") + ")";
      append(box, el("p", null, who + ": ", el("strong", null, p.reason || "no reason given"), span,
        " \u2014 resume with ", el("code", null, p.channel ? "herald resume --channel " + shellWord(p.channel) : "herald resume")));
    });
  }

  function renderStore(status) {
    var store = status.store || { ok: true };
    var box = fill("store");
    box.hidden = store.ok !== false;
    if (store.ok !== false) return;
    append(box, [el("strong", null, "herald's state database is unavailable: nothing is being published until it is usable again."),
      el("p", null, store.problem || "")]);
  }

  function renderCalendar(status, zone) {
    var cal = status.calendar || { ok: true };
    var box = fill("calendar");
    box.hidden = cal.ok !== false && !cal.held;
    if (cal.ok === false) {
      // append() takes one child (or an array): both parts go in one array.
      append(box, [el("strong", null, "The last calendar edit" + (cal.last_reload ? " (" + when(cal.last_reload, zone) + ")" : "") +
        " was rejected; herald keeps publishing the calendar it had before."), el("pre", null, cal.error || "")]);
    }
    if (cal.held) {
      append(box, [el("strong", null, "A calendar edit (" + when(cal.held.at, zone) + ") is held: it would cancel " +
        cal.held.cancelled + " of the " + cal.held.pending + " pending deliveries; herald keeps publishing the calendar it had before."),
        el("p", null, "It would cancel: " + (cal.held.sample || "") + "."),
        el("p", null, "If that is intended: herald reload --accept-cancellations")]);
    }
  }

  function renderShared(status) {
    var shared = status.shared;
    var box = fill("shared");
    box.hidden = !shared || (shared.role === "active" && !shared.calendar_differs);
    if (box.hidden) return;
    var parts = [];
    if (shared.role !== "active")
      parts.push(el("strong", null, "This instance (" + shared.instance + ") is standing by: it dispatches nothing. The active instance is " +
        (shared.active_instance || "none yet") + "."));
    if (shared.calendar_differs)
      parts.push(el("p", null, "This host's calendar (" + shared.calendar + ") is not the one whose plan the shared store holds (" +
        shared.store_calendar + ")" + (shared.keeping_store_plan
          ? "; the store's plan is kept: only deliveries this calendar plans the same are sent. Deploy the same calendar here, or apply this one with herald reload."
          : "; deploy the same calendar on every host.")));
    append(box, parts);
  }

  // First what a person must act on: a held calendar edit, credentials
  // refused or about to expire, then failed and unsure deliveries.
  function renderAttention(status, deliveries) {
    var items = deliveries.filter(function (d) { return ATTENTION_STATES.indexOf(d.state) >= 0; });
    var notes = [];
    var held = status.calendar && status.calendar.held;
    if (held) notes.push(el("li", { "class": "card" }, el("h3", null, "A calendar edit is held"),
      el("p", { "class": "reason" }, "It would cancel " + held.cancelled + " of " + held.pending + " pending deliveries (" + held.sample + ")."),
      el("p", null, "If that is meant: ", el("code", null, "herald reload --accept-cancellations"))));
    (status.channels || []).forEach(function (c) {
      if (c.warning) notes.push(el("li", { "class": "card" }, el("h3", null, "Credentials of " + c.name),
        el("p", { "class": "reason" }, c.warning)));
    });
    if (!items.length && !notes.length) { fill("attention", el("p", { "class": "ok" }, "Nothing needs attention.")); return; }
    fill("attention", el("ul", { "class": "cards" }, notes, items.map(function (d) {
      var key = shellWord(d.key);
      return el("li", { "class": "card " + d.state },
        el("h3", null, d.key),
        el("p", null, el("span", { "class": "badge " + d.state }, label(d.state)),
          " planned " + localText(d) + ", " + d.attempts + (d.attempts === 1 ? " attempt" : " attempts")),
        el("p", { "class": "reason" }, d.last_error || "no reason recorded"),
        d.state === "needs_review"
          ? el("p", null, "Check on the platform whether it went out.")
          : null,
        el("p", null, "If it went out: ", el("code", null, "herald resolve " + key + " --url URL")),
        el("p", null, d.state === "needs_review" ? "If it did not: " : "To send it again: ",
          el("code", null, "herald retry " + key)),
        d.text ? el("details", null, el("summary", null, "Text"), el("pre", null, d.text)) : null);
    })));
  }

  function timelineItem(d, day) {
    var overdue = localDate(d) < day;
    return el("li", { "class": "d " + d.state, title: d.key + " \u2014 " + label(d.state) + (d.last_error ? ": " + d.last_error : "") },
      el("time", { datetime: d.planned }, overdue ? localText(d) : localClock(d)),
      el("span", { "class": "post" }, d.post),
      d.state !== "planned" ? el("span", { "class": "badge " + d.state }, label(d.state)) : null);
  }

  function renderTimeline(status, deliveries, today) {
    var days = [];
    for (var i = 0; i < DAYS; i++) days.push(addDays(today, i));
    var end = addDays(today, DAYS);
    var head = el("tr", null, el("th", { scope: "col" }, "Channel"),
      days.map(function (day, n) {
        return el("th", { scope: "col", "class": n === 0 ? "today" : null }, n === 0 ? "Today, " + dayLabel(day) : dayLabel(day));
      }),
      el("th", { scope: "col" }, "Later"));
    var rows = (status.channels || []).map(function (c) {
      var mine = deliveries.filter(function (d) { return d.channel === c.name && TIMELINE_STATES.indexOf(d.state) >= 0; });
      var cells = days.map(function (day, n) {
        // Today's cell also holds what is overdue (due earlier, still not out).
        var here = mine.filter(function (d) { return n === 0 ? localDate(d) <= day : localDate(d) === day; });
        return el("td", { "class": n === 0 ? "today" : null },
          here.length ? el("ul", null, here.map(function (d) { return timelineItem(d, day); })) : null);
      });
      var later = mine.filter(function (d) { return localDate(d) >= end; });
      cells.push(el("td", null, later.length
        ? later.length + " more, next " + localText(later[0]) + " " + later[0].post : null));
      var note = !c.can_publish ? el("span", { "class": "note bad" }, "cannot publish")
        : c.paused ? el("span", { "class": "note warn" }, "paused") : null;
      return el("tr", null, el("th", { scope: "row" }, c.name, el("span", { "class": "kind" }, c.kind), note), cells);
    });
    var table = el("table", { "class": "timeline" }, el("caption", { "class": "muted" },
      "Deliveries not yet out, by their planned local time"), el("thead", null, head), el("tbody", null, rows));
    fill("timeline", table, deliveries.length >= QUEUE_LIMIT
      ? el("p", { "class": "warn" }, "Showing the first " + QUEUE_LIMIT + " deliveries only.") : null);
  }

  function pauseFor(status, channel) {
    if (status.paused) return status.paused;
    var c = (status.channels || []).filter(function (x) { return x.name === channel; })[0];
    return c && c.paused ? c.paused : null;
  }

  function renderWaiting(status, deliveries, zone) {
    // Held, waiting and retrying deliveries, and planned ones that are due
    // but held back (spacing, a rate limit, a lost answer being settled).
    var items = deliveries.filter(function (d) {
      return WAITING_STATES.indexOf(d.state) >= 0 ||
        (d.state === "planned" && d.why && d.why !== "due; goes out next");
    });
    if (!items.length) { fill("waiting", el("p", { "class": "ok" }, "Nothing is waiting.")); return; }
    fill("waiting", el("table", null,
      el("thead", null, el("tr", null, ["Delivery", "State", "Planned", "Why"].map(function (h) { return el("th", { scope: "col" }, h); }))),
      el("tbody", null, items.map(function (d) {
        var why = d.why || d.last_error;
        if (!why && d.state === "held") { var p = pauseFor(status, d.channel); why = p ? "paused: " + p.reason : "paused"; }
        if (!d.why && d.state === "retry_wait" && d.next_attempt) why = (why ? why + "; " : "") + "next try " + when(d.next_attempt, zone);
        return el("tr", null, el("td", null, el("code", null, d.key)),
          el("td", null, el("span", { "class": "badge " + d.state }, label(d.state))),
          el("td", null, localText(d)), el("td", { "class": "reason" }, why || "\u2014"));
      }))));
  }

  // Drafts (draft: true) are planned but never published; removing the
  // flag in the calendar is the approval. One whose time passed says so.
  function renderDrafts(status, zone) {
    var drafts = status.drafts || [];
    if (!drafts.length) { fill("drafts", el("p", { "class": "ok" }, "No drafts.")); return; }
    fill("drafts", el("table", null,
      el("thead", null, el("tr", null, ["Delivery", "Planned", ""].map(function (h) { return el("th", { scope: "col" }, h); }))),
      el("tbody", null, drafts.map(function (d) {
        return el("tr", { "class": d.passed ? "draft passed" : "draft" }, el("td", null, el("code", null, d.key)),
          el("td", null, when(d.at, zone)),
          el("td", { "class": "reason" }, d.passed ? "its time has passed: not published (still a draft)"
                                                   : "remove draft: true to approve"));
      }))));
  }

  function renderChannels(status) {
    var cols = [["planned", "Planned"], ["waiting", "Waiting"], ["held", "Held"], ["retry_wait", "Retrying"],
                ["failed", "Failed"], ["needs_review", "Needs review"], ["published", "Published"]];
    fill("channels", el("table", null,
      el("thead", null, el("tr", null, el("th", { scope: "col" }, "Channel"), el("th", { scope: "col" }, "Publishing"),
        el("th", { scope: "col" }, "Next"), cols.map(function (c) { return el("th", { scope: "col", "class": "num" }, c[1]); }))),
      el("tbody", null, (status.channels || []).map(function (c) {
        var state;
        if (!c.can_publish) state = el("span", { "class": "bad" }, "cannot publish: " + (c.problem || "unknown problem"));
        else if (c.paused) state = el("span", { "class": "warn" }, "paused: " + c.paused.reason);
        else if (status.paused) state = el("span", { "class": "warn" }, "paused (everything)");
        else if (c.warning) state = el("span", { "class": "warn" }, "ok, but " + c.warning);
        else state = el("span", { "class": "ok" }, "ok");
        var counts = c.counts || {};
        return el("tr", null, el("th", { scope: "row" }, c.name, el("span", { "class": "kind" }, c.kind)),
          el("td", null, state),
          el("td", null, c.next ? localText(c.next) + " " + c.next.post : "\u2014"),
          cols.map(function (col) { return el("td", { "class": "num" }, String(counts[col[0]] || 0)); }));
      }))));
  }

  // --- the calendar: a week or a month of what is planned and what went out ---
  var SVG_NS = document.getElementById("svgns").namespaceURI;
  var CHART_DAYS = 30;
  var view = { mode: "week", anchor: "", zone: "UTC", today: "", channel: "" };
  var calendarEntries = [];
  var chartEntries = [];

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function weekday(date) { return (new Date(date + "T00:00:00Z").getUTCDay() + 6) % 7; }  // Monday 0
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }
  function counterText(c) {
    if (!c) return "";
    var parts = [];
    [["views", "view", "views"], ["likes", "like", "likes"], ["shares", "share", "shares"],
     ["replies", "reply", "replies"], ["clicks", "click", "clicks"]].forEach(function (w) {
      if (c[w[0]] !== null && c[w[0]] !== undefined) parts.push(plural(c[w[0]], w[1], w[2]));
    });
    return parts.join(" \u00b7 ");
  }
  // The days the view shows: a week from Monday, or six weeks around a month.
  function viewDays() {
    var first, n;
    if (view.mode === "month") {
      var start = view.anchor.slice(0, 8) + "01";
      first = addDays(start, -weekday(start));
      n = 42;
    } else {
      first = addDays(view.anchor, -weekday(view.anchor));
      n = 7;
    }
    var days = [];
    for (var i = 0; i < n; i++) days.push(addDays(first, i));
    return days;
  }
  // Wide enough for any zone's offset; the days are picked by local date.
  function spanQuery(first, last) {
    return "from=" + addDays(first, -1) + "T00:00:00Z&to=" + addDays(last, 2) + "T00:00:00Z";
  }
  function openButton(d, text, cls) {
    return el("button", { type: "button", "class": cls, "data-key": d.key, title: d.key + " \u2014 " + label(d.state) }, text);
  }
  function postCard(d) {
    var m = (d.media || [])[0];
    return el("article", { "class": "pc " + d.state },
      el("div", { "class": "top" }, el("time", { datetime: d.planned }, localClock(d)),
        el("span", { "class": "badge" }, d.channel), el("span", { "class": "badge " + d.state }, label(d.state))),
      d.title ? el("strong", null, d.title) : null,
      el("p", { "class": "txt" }, d.text || "(composed when it goes out)"),
      m ? el("img", { src: m.url, alt: m.alt || "", loading: "lazy" }) : null,
      d.url ? el("a", { href: d.url, rel: "noopener", target: "_blank" }, "on " + (d.channel_kind || d.channel)) : null,
      d.counters ? el("p", { "class": "ctr" }, counterText(d.counters)) : null,
      d.why ? el("p", { "class": "ctr" }, d.why) : null,
      openButton(d, "Details", "more"));
  }
  function renderWeek(days, byDay) {
    return el("div", { "class": "week" }, days.map(function (day) {
      var here = byDay[day] || [];
      return el("section", { "class": "day" + (day === view.today ? " today" : ""), "aria-label": dayLabel(day) },
        el("h3", null, dayLabel(day)), here.length ? here.map(postCard) : el("p", { "class": "muted" }, "nothing"));
    }));
  }
  function renderMonth(days, byDay) {
    var month = view.anchor.slice(0, 7);
    var head = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map(function (w) { return el("div", { "class": "muted" }, w); });
    return el("div", { "class": "month" }, head, days.map(function (day) {
      var here = byDay[day] || [];
      var shown = here.slice(0, 5);
      return el("div", { "class": "cell" + (day.slice(0, 7) !== month ? " other" : "") + (day === view.today ? " today" : "") },
        el("div", null, String(Number(day.slice(8, 10)))),
        shown.map(function (d) {
          return openButton(d, [localClock(d) + " ", el("span", { "class": "ch" }, d.channel + " "), d.post], "item " + d.state);
        }),
        here.length > shown.length ? el("div", { "class": "muted" }, "+" + (here.length - shown.length) + " more") : null);
    }));
  }
  function renderCalendarView() {
    var days = viewDays();
    var byDay = {};
    calendarEntries.forEach(function (d) {
      if (view.channel && d.channel !== view.channel) return;
      (byDay[localDate(d)] = byDay[localDate(d)] || []).push(d);
    });
    Object.keys(byDay).forEach(function (k) {
      byDay[k].sort(function (a, b) { return a.planned < b.planned ? -1 : a.planned > b.planned ? 1 : a.key < b.key ? -1 : 1; });
    });
    fill("cal-range", dayLabel(days[0]) + " \u2013 " + dayLabel(days[days.length - 1]));
    document.getElementById("cal-week").setAttribute("aria-pressed", String(view.mode === "week"));
    document.getElementById("cal-month").setAttribute("aria-pressed", String(view.mode === "month"));
    fill("cal", view.mode === "month" ? renderMonth(days, byDay) : renderWeek(days, byDay));
  }
  function loadCalendar() {
    var days = viewDays();
    return fetchJson("api/v1/calendar?" + spanQuery(days[0], days[days.length - 1])).then(function (r) {
      var started = performance.now();
      calendarEntries = r.deliveries || [];
      renderCalendarView();
      // How long drawing took, for the benchmark of a large calendar (bench/page).
      var cal = document.getElementById("cal");
      cal.setAttribute("data-render-ms", String(Math.round(performance.now() - started)));
      cal.setAttribute("data-drawn-at-ms", String(Math.round(performance.now())));  // since the page was asked for
    }, function (e) {
      fill("cal", el("p", { "class": "bad" }, "cannot read the calendar from herald: " + e.message));
    });
  }

  // --- small charts: engagement of what went out, per day, by channel and by kind ---
  function barChart(title, series, days) {
    var max = 1, total = 0;
    days.forEach(function (day) { max = Math.max(max, series[day] || 0); total += series[day] || 0; });
    var w = 300, h = 60, bw = w / days.length;
    return el("figure", { "class": "chart" },
      el("figcaption", null, el("strong", null, title), " \u2014 " + plural(total, "interaction", "interactions")),
      svg("svg", { viewBox: "0 0 " + w + " " + h, preserveAspectRatio: "none", role: "img",
                   "aria-label": title + ": engagement per day of the posts that went out that day" },
        days.map(function (day) {
          var v = series[day] || 0, bh = Math.round((v / max) * (h - 4));
          return svg("rect", { x: (days.indexOf(day) * bw + 1).toFixed(1), y: h - bh, width: Math.max(1, bw - 2).toFixed(1), height: bh },
            svg("title", null, dayLabel(day) + ": " + v));
        })));
  }
  function renderCharts() {
    var days = [];
    for (var i = CHART_DAYS - 1; i >= 0; i--) days.push(addDays(view.today, -i));
    var byChannel = {}, byKind = {};
    chartEntries.forEach(function (d) {
      if (d.state !== "published" || !d.counters) return;
      var day = localDate(d), kind = d.post_kind || "other";
      (byChannel[d.channel] = byChannel[d.channel] || {})[day] = ((byChannel[d.channel] || {})[day] || 0) + d.engagement;
      (byKind[kind] = byKind[kind] || {})[day] = ((byKind[kind] || {})[day] || 0) + d.engagement;
    });
    var channels = Object.keys(byChannel).sort(), kinds = Object.keys(byKind).sort();
    if (!channels.length) { fill("charts", el("p", { "class": "muted" }, "No counters read yet: herald reads them 1 hour, 1 day and 1 week after a post goes out.")); return; }
    fill("charts", el("h3", null, "By channel"), el("div", { "class": "charts" }, channels.map(function (c) { return barChart(c, byChannel[c], days); })),
      el("h3", null, "By kind"), el("div", { "class": "charts" }, kinds.map(function (k) { return barChart(k, byKind[k], days); })));
  }
  function loadCharts() {
    return fetchJson("api/v1/calendar?" + spanQuery(addDays(view.today, -CHART_DAYS), view.today)).then(function (r) {
      chartEntries = r.deliveries || [];
      renderCharts();
    }, function (e) {
      fill("charts", el("p", { "class": "bad" }, "cannot read the engagement from herald: " + e.message));
    });
  }

  // --- one delivery in detail: its text, media, link, counters over time, history ---
  function sparkline(samples) {
    var at = {}, times = [];
    samples.forEach(function (s) {
      if (["likes", "shares", "replies", "clicks"].indexOf(s.common) < 0) return;
      if (!(s.at in at)) { at[s.at] = 0; times.push(s.at); }
      at[s.at] += s.value;
    });
    if (times.length < 1) return el("p", { "class": "muted" }, "No counters read yet.");
    var max = 1;
    times.forEach(function (t) { max = Math.max(max, at[t]); });
    var w = 300, h = 70, pts = times.map(function (t, i) {
      var x = times.length === 1 ? w / 2 : (i / (times.length - 1)) * (w - 10) + 5;
      return x.toFixed(1) + "," + (h - 5 - (at[t] / max) * (h - 10)).toFixed(1);
    });
    return svg("svg", { viewBox: "0 0 " + w + " " + h, role: "img", "aria-label": "engagement over time" },
      svg("polyline", { points: pts.join(" ") }));
  }
  function showDetail(d, history, samples) {
    var box = fill("detail",
      el("button", { type: "button", id: "detail-close", style: "float:right" }, "Close"),
      el("h2", { id: "detail-title" }, d.key),
      el("p", null, el("span", { "class": "badge " + d.state }, label(d.state)), " " + localText(d) + " on " + d.channel,
        d.campaign ? " \u00b7 campaign " + d.campaign : "", d.post_kind ? " \u00b7 " + d.post_kind : ""),
      d.url ? el("p", null, el("a", { href: d.url, rel: "noopener", target: "_blank" }, d.url)) : null,
      d.last_error ? el("p", { "class": "reason" }, d.last_error) : null,
      d.why ? el("p", null, d.why) : null,
      d.title ? el("h3", null, d.title) : null,
      el("pre", null, d.text || "(composed when it goes out)"),
      (d.thread || []).map(function (t) { return el("pre", null, t); }),
      (d.media || []).map(function (m) { return el("img", { src: m.url, alt: m.alt || "" }); }),
      el("h3", null, "Engagement"),
      d.counters ? el("p", { "class": "ctr" }, counterText(d.counters)) : null,
      sparkline(samples),
      el("h3", null, "History"),
      el("ol", null, history.map(function (e) {
        return el("li", null, el("time", { datetime: e.at }, when(e.at, view.zone)), " " + e.event + (e.detail ? ": " + e.detail : ""));
      })));
    box.hidden = false;
    document.getElementById("detail-close").addEventListener("click", closeDetail);
  }
  function closeDetail() {
    document.getElementById("detail").hidden = true;
    if (location.hash.indexOf("delivery=") >= 0) history.replaceState(null, "", location.pathname + location.search);
  }
  function openDetail(key) {
    var known = calendarEntries.concat(chartEntries).filter(function (d) { return d.key === key; })[0];
    var path = "api/v1/deliveries/" + encodeURIComponent(key);
    Promise.all([known ? Promise.resolve(known) : fetchJson(path),
                 fetchJson("api/v1/history?limit=100&key=" + encodeURIComponent(key)),
                 fetchJson(path + "/engagement").catch(function () { return { samples: [] }; })])
      .then(function (r) { showDetail(r[0], (r[1].events || []).slice().reverse(), r[2].samples || []); },
            function (e) { fill("detail", el("p", { "class": "bad" }, "cannot show " + key + ": " + e.message)).hidden = false; });
  }
  document.addEventListener("click", function (e) {
    var t = e.target && e.target.closest ? e.target.closest("[data-key]") : null;
    if (t) openDetail(t.getAttribute("data-key"));
  });
  function move(n) {
    view.anchor = view.mode === "month" ? addDays(view.anchor.slice(0, 8) + "15", 30 * n).slice(0, 8) + "01" : addDays(view.anchor, 7 * n);
    loadCalendar();
  }
  document.getElementById("cal-prev").addEventListener("click", function () { move(-1); });
  document.getElementById("cal-next").addEventListener("click", function () { move(1); });
  document.getElementById("cal-today").addEventListener("click", function () { view.anchor = view.today; loadCalendar(); });
  document.getElementById("cal-week").addEventListener("click", function () { view.mode = "week"; loadCalendar(); });
  document.getElementById("cal-month").addEventListener("click", function () { view.mode = "month"; loadCalendar(); });
  document.getElementById("cal-channel").addEventListener("change", function (e) {
    view.channel = e.target.value;
    renderCalendarView();
  });
  // The channel list follows the settings; the choice stays.
  function renderChannelChoice(status) {
    var names = (status.channels || []).map(function (c) { return c.name; });
    if (view.channel && names.indexOf(view.channel) < 0) names.push(view.channel);
    fill("cal-channel", el("option", { value: "" }, "all channels"), names.map(function (n) {
      return el("option", n === view.channel ? { value: n, selected: "selected" } : { value: n }, n);
    }));
  }
  // A link can open a view: #month, #date=2027-03-01, #delivery=KEY.
  function readHash() {
    var out = {};
    location.hash.slice(1).split("&").forEach(function (p) {
      if (!p) return;
      var i = p.indexOf("=");
      out[i < 0 ? p : p.slice(0, i)] = i < 0 ? true : decodeURIComponent(p.slice(i + 1));
    });
    return out;
  }
  var opened = false;
  function firstLook(status) {
    if (view.today) return;
    view.zone = status.timezone || "UTC";
    view.today = zoned(status.now, view.zone).date;
    var h = readHash();
    view.mode = h.month ? "month" : "week";
    view.anchor = /^\d{4}-\d{2}-\d{2}$/.test(h.date || "") ? h.date : view.today;
    view.channel = typeof h.channel === "string" ? h.channel : "";
  }
  function refreshViews() {
    return Promise.all([loadCalendar(), loadCharts()]).then(function () {
      var h = readHash();
      if (!opened && h.delivery) { opened = true; openDetail(h.delivery); }
    });
  }

  function render(status, deliveries) {
    var zone = status.timezone || "UTC";
    deliveries = deliveries.slice().sort(function (a, b) { return a.planned < b.planned ? -1 : a.planned > b.planned ? 1 : 0; });
    renderSummary(status, zone);
    renderPauses(status, zone);
    renderStore(status);
    renderCalendar(status, zone);
    renderShared(status);
    renderAttention(status, deliveries);
    renderTimeline(status, deliveries, zoned(status.now, zone).date);
    renderDrafts(status, zone);
    renderWaiting(status, deliveries, zone);
    renderChannels(status);
    return zoned(status.now, zone);
  }

  function setUpdated(text, stale) {
    var node = fill("updated", text);
    node.className = stale ? "stale" : "";
  }

  function fetchJson(url) {
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, FETCH_TIMEOUT_MS);
    return fetch(url, { signal: ctl.signal, cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (!r.ok) throw new Error((body && body.error) || ("HTTP " + r.status));
          return body;
        });
      })
      .finally(function () { clearTimeout(timer); });
  }

  // Each turn: read status and queue, redraw everything, then schedule the next turn.
  function refresh() {
    Promise.all([fetchJson("api/v1/status"), fetchJson("api/v1/queue?limit=" + QUEUE_LIMIT)])
      .then(function (res) {
        try {
          firstLook(res[0]);
          renderChannelChoice(res[0]);
          var now = render(res[0], res[1].deliveries || []);
          lastGood = now.time;
          setUpdated("updated " + now.time + (now.zone ? " (" + now.zone + ")" : ""), false);
        } catch (e) {
          setUpdated("cannot show the status: " + (e && e.message ? e.message : String(e)), true);
        }
      }, function (e) {
        var why = e && e.name === "AbortError" ? "no answer in time" : (e && e.message ? e.message : String(e));
        setUpdated("cannot reach herald: " + why + (lastGood ? "; showing what it said at " + lastGood : ""), true);
      })
      .then(function () { return view.today ? refreshViews().catch(function () {}) : null; })
      .then(function () { setTimeout(refresh, REFRESH_MS); });
  }
  refresh();
})();
</script>
</body>
</html>
)HTML";

}  // namespace

std::string status_page_html() { return kPage; }

std::string_view status_page_content_security_policy() {
  return "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
         "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
}

}  // namespace herald
