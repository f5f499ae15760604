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
  <section aria-labelledby="h-timeline">
    <h2 id="h-timeline">Coming 7 days</h2>
    <div id="timeline" class="scroll"><p class="muted">Loading&hellip;</p></div>
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

  function renderAttention(deliveries) {
    var items = deliveries.filter(function (d) { return ATTENTION_STATES.indexOf(d.state) >= 0; });
    if (!items.length) { fill("attention", el("p", { "class": "ok" }, "Nothing needs attention.")); return; }
    fill("attention", el("ul", { "class": "cards" }, items.map(function (d) {
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

  function render(status, deliveries) {
    var zone = status.timezone || "UTC";
    deliveries = deliveries.slice().sort(function (a, b) { return a.planned < b.planned ? -1 : a.planned > b.planned ? 1 : 0; });
    renderSummary(status, zone);
    renderPauses(status, zone);
    renderStore(status);
    renderCalendar(status, zone);
    renderShared(status);
    renderAttention(deliveries);
    renderTimeline(status, deliveries, zoned(status.now, zone).date);
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
