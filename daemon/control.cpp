#include "daemon/control.hpp"

#include "daemon/direct_control.hpp"
#include "daemon/plan_output.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <ostream>
#include <vector>

namespace herald {

namespace {

namespace json = boost::json;

// The endpoint is a peer built separately; a missing or odd field shows as
// empty rather than stopping the command.
std::string str(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t num(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->as_double());
  return 0;
}

bool flag(const json::object& o, std::string_view name, bool otherwise) {
  const auto* v = o.if_contains(name);
  return v && v->is_bool() ? v->as_bool() : otherwise;
}

const json::object* obj(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

const json::array* arr(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_array() ? &v->as_array() : nullptr;
}

std::optional<Instant> instant(const json::object& o, std::string_view name) {
  const std::string text = str(o, name);
  if (text.empty()) return std::nullopt;
  std::string error;
  auto ts = parse_timestamp(text, error);
  if (!ts) return std::nullopt;
  if (const auto* at = std::get_if<Instant>(&*ts)) return *at;
  return std::nullopt;
}

// An RFC 3339 field as the tables show it; the raw text if it does not parse.
std::string when(const json::object& o, std::string_view name, const date::time_zone& zone) {
  if (auto at = instant(o, name)) return local_display(zone, *at);
  const std::string raw = str(o, name);
  return raw.empty() ? "-" : raw;
}

// A table whose columns are as wide as their widest cell; numbers to the
// right. Lines carry no trailing spaces.
class Table {
 public:
  Table(std::vector<std::string> headers, std::vector<bool> right) : right_(std::move(right)) {
    rows_.push_back(std::move(headers));
  }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void write(std::ostream& out) const {
    std::vector<std::size_t> width(rows_.front().size(), 0);
    for (const auto& row : rows_)
      for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], code_points(row[i]));
    for (const auto& row : rows_) {
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) {
        const std::string fill(width[i] - code_points(row[i]), ' ');
        if (i > 0) line += "  ";
        line += right_[i] ? fill + row[i] : row[i] + fill;
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out << line << '\n';
    }
  }

 private:
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// The widest a free-text cell gets, so a row fits a terminal.
constexpr std::size_t kTextWidth = 60;

std::string plural(std::int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string uptime(std::chrono::seconds s) {
  if (s.count() < 60) return std::to_string(std::max<std::int64_t>(0, s.count())) + "s";
  const auto days = s.count() / 86400, hours = s.count() % 86400 / 3600, minutes = s.count() % 3600 / 60;
  std::string text;
  if (days > 0) text += std::to_string(days) + "d ";
  if (days > 0 || hours > 0) text += std::to_string(hours) + "h ";
  return text + std::to_string(minutes) + "m";
}

// "everything" or "channel x".
std::string what(const std::string& channel) { return channel.empty() ? "everything" : "channel " + channel; }

// When and why of a pause: "since ... until ...: reason".
std::string pause_span(const json::object& p, const date::time_zone& zone) {
  std::string text;
  if (instant(p, "since")) text += "since " + when(p, "since", zone) + " ";
  text += instant(p, "until") ? "until " + when(p, "until", zone) : "until resumed";
  const std::string reason = str(p, "reason");
  if (!reason.empty()) text += ": " + reason;
  return text;
}

// One pause as a sentence: "channel x since ... until ...: reason".
std::string describe_pause(const json::object& p, const date::time_zone& zone) {
  return what(str(p, "channel")) + " " + pause_span(p, zone);
}

// The queued states `herald status` adds up: not out yet, not needing a person.
constexpr std::array<std::string_view, 5> kQueuedStates{"planned", "waiting", "held", "retry_wait", "sending"};

std::int64_t queued(const json::object& counts) {
  std::int64_t n = 0;
  for (auto s : kQueuedStates) n += num(counts, s);
  return n;
}

// Prints a failed request's message and returns its exit code.
int report(ControlContext& ctx, const char* command, const StatusError& error) {
  // The not-running and token messages stand alone; the daemon's own refusals get the command's name.
  if (error.kind == StatusError::Kind::refused || error.kind == StatusError::Kind::failed)
    ctx.err << "herald " << command << ": " << error.message << '\n';
  else
    ctx.err << error.message << '\n';
  return exit_code(error);
}

void write_json(std::ostream& out, const json::value& body) { out << json::serialize(body) << '\n'; }

// Runs one request; prints JSON or hands the object to `table`.
template <class Print>
int answer(ControlContext& ctx, const char* command, const StatusReply& reply, Print table) {
  if (!reply) return report(ctx, command, *reply.error);
  if (ctx.format == OutputFormat::json) write_json(ctx.out, reply.body);
  else table(reply.body.as_object());
  return kExitOk;
}

void write_pauses_in_force(std::ostream& out, const json::object& answer, const std::string& except, bool after_pause,
                           const date::time_zone& zone) {
  const auto* pauses = arr(answer, "pauses");
  if (!pauses) return;
  for (const auto& v : *pauses) {
    if (!v.is_object()) continue;
    const auto& p = v.as_object();
    if (after_pause && str(p, "channel") == except) continue;
    out << (after_pause ? "also paused: " : "still paused: ") << describe_pause(p, zone) << '\n';
  }
}

}  // namespace

std::string local_display(const date::time_zone& zone, Instant at) {
  const std::string rfc = format_local(zone, at);  // 2027-03-02T10:00:00+01:00
  return rfc.substr(0, 10) + " " + rfc.substr(11, 5) + " " + rfc.substr(19);
}

int exit_code(const StatusError& error) {
  return error.kind == StatusError::Kind::not_running ? kExitNotRunning : kExitFailed;
}

void write_status_table(std::ostream& out, const json::object& s, const date::time_zone& zone) {
  out << "herald " << str(s, "version");
  const auto started = instant(s, "started"), now = instant(s, "now");
  if (started && now) out << ", up " << uptime(*now - *started) << " (since " << local_display(zone, *started) << ")";
  out << ", times in " << zone.name() << '\n';

  out << "calendar: " << plural(num(s, "posts"), "post", "posts");
  if (const auto* cal = obj(s, "calendar")) {
    if (!flag(*cal, "ok", true)) {
      out << "; the edit read at " << when(*cal, "last_reload", zone)
          << " was rejected, the last good calendar keeps running:\n";
      const std::string error = str(*cal, "error");
      std::size_t start = 0;
      while (start < error.size()) {
        auto end = error.find('\n', start);
        if (end == std::string::npos) end = error.size();
        if (end > start) out << "  " << error.substr(start, end - start) << '\n';
        start = end + 1;
      }
    } else if (instant(*cal, "last_reload")) {
      out << ", loaded " << when(*cal, "last_reload", zone) << '\n';
    } else {
      out << '\n';
    }
  } else {
    out << '\n';
  }
  if (const auto* cal = obj(s, "calendar"))
    if (const auto* held = obj(*cal, "held"))
      out << "HELD EDIT: the calendar edit read at " << when(*held, "at", zone) << " would cancel "
          << num(*held, "cancelled") << " of the " << num(*held, "pending") << " pending deliveries ("
          << str(*held, "sample") << "); it is not applied. If that is intended: herald reload --accept-cancellations\n";
  if (const auto* shared = obj(s, "shared")) {
    const std::string active = str(*shared, "active_instance");
    if (str(*shared, "role") == "active")
      out << "shared store: this instance (" << str(*shared, "instance") << ") is the active one: it dispatches\n";
    else
      out << "STANDING BY: this instance (" << str(*shared, "instance") << ") dispatches nothing; the active instance is "
          << (active.empty() ? std::string("none yet") : active)
          << ". It takes over when the active one's lease lapses; pause and resume here act on the shared store\n";
    if (flag(*shared, "calendar_differs", false)) {
      out << "CALENDAR DIFFERS: this host's calendar (" << str(*shared, "calendar")
          << ") is not the one whose plan the shared store holds (" << str(*shared, "store_calendar") << ")";
      if (flag(*shared, "keeping_store_plan", false))
        out << "; the store's plan is kept: only deliveries this calendar plans the same are sent. Deploy the "
               "same calendar here, or apply this one with herald reload\n";
      else
        out << "; deploy the same calendar on every host: this one would keep the store's plan if it took over\n";
    }
  }
  if (const auto* store = obj(s, "store"); store && !flag(*store, "ok", true))
    out << "STATE DATABASE UNAVAILABLE: no create starts until it is usable again: " << str(*store, "problem") << '\n';
  const auto* global = obj(s, "paused");
  if (global) out << "PAUSED: " << describe_pause(*global, zone) << '\n';
  out << '\n';

  Table table({"CHANNEL", "KIND", "STATUS", "QUEUED", "FAILED", "REVIEW", "NEXT"},
              {false, false, false, true, true, true, false});
  std::vector<std::string> notes;
  if (const auto* channels = arr(s, "channels")) {
    for (const auto& v : *channels) {
      if (!v.is_object()) continue;
      const auto& c = v.as_object();
      const std::string name = str(c, "name");
      const auto* pause = obj(c, "paused");
      const bool can_publish = flag(c, "can_publish", true);
      std::string state = !can_publish ? "cannot publish" : pause ? "paused" : global ? "paused (all)" : "ok";
      const json::object empty;
      const auto* counts = obj(c, "counts");
      if (!counts) counts = &empty;
      std::string next = "-";
      if (const auto* n = obj(c, "next")) next = when(*n, "planned", zone) + "  " + str(*n, "key");
      table.add({name, str(c, "kind"), state, std::to_string(queued(*counts)), std::to_string(num(*counts, "failed")),
                 std::to_string(num(*counts, "needs_review")), next});
      if (pause) notes.push_back(name + ": paused " + pause_span(*pause, zone));
      if (!can_publish) notes.push_back(name + ": cannot publish: " + str(c, "problem"));
      if (const std::string warning = str(c, "warning"); !warning.empty()) notes.push_back(name + ": " + warning);
    }
  }
  table.write(out);
  if (!notes.empty()) out << '\n';
  for (const auto& n : notes) out << n << '\n';
  // Drafts are never published: what awaits approval, and what was due
  // and did not go out because it still is a draft.
  if (const auto* drafts = arr(s, "drafts"); drafts && !drafts->empty()) {
    out << "\nDRAFTS awaiting approval (removing draft: true approves one):\n";
    for (const auto& v : *drafts) {
      if (!v.is_object()) continue;
      const auto& d = v.as_object();
      out << "  " << when(d, "at", zone) << "  " << str(d, "key")
          << (flag(d, "passed", false) ? "  its time has passed: not published" : "") << '\n';
    }
  }
}

void write_queue_table(std::ostream& out, const json::object& answer, const date::time_zone& zone, int limit) {
  Table table({"LOCAL (" + std::string(zone.name()) + ")", "STATE", "CHANNEL", "KEY", "ATTEMPTS", "WHY / URL"},
              {false, false, false, false, true, false});
  std::int64_t count = 0;
  if (const auto* deliveries = arr(answer, "deliveries")) {
    for (const auto& v : *deliveries) {
      if (!v.is_object()) continue;
      const auto& d = v.as_object();
      const std::string state = str(d, "state");
      // Why it has not gone out (the daemon says: its pause, what it waits
      // for, what holds its channel), else the error a person must read.
      std::string last = state == "published" ? str(d, "url") : str(d, "why");
      if (last.empty() && state != "published") last = str(d, "last_error");
      if (last.empty()) last = state == "published" ? str(d, "last_error") : str(d, "url");
      table.add({when(d, "planned", zone), state, str(d, "channel"), str(d, "key"), std::to_string(num(d, "attempts")),
                 first_line(last, kTextWidth)});
      ++count;
    }
  }
  table.write(out);
  out << plural(count, "delivery", "deliveries");
  if (count > 0 && count == (limit > 0 ? limit : 100)) out << " (the first " << count << "; --limit shows more)";
  out << '\n';
}

void write_history_table(std::ostream& out, const json::object& answer, const date::time_zone& zone, int limit) {
  Table table({"LOCAL (" + std::string(zone.name()) + ")", "KEY", "EVENT", "FROM -> TO", "DETAIL"},
              {false, false, false, false, false});
  std::int64_t count = 0;
  if (const auto* events = arr(answer, "events")) {
    for (const auto& v : *events) {
      if (!v.is_object()) continue;
      const auto& e = v.as_object();
      const std::string key = str(e, "key"), from = str(e, "from"), to = str(e, "to");
      const std::string change = from.empty() && to.empty() ? "-" : (from.empty() ? "-" : from) + " -> " + (to.empty() ? "-" : to);
      table.add({when(e, "at", zone), key.empty() ? "-" : key, str(e, "event"), change,
                 first_line(str(e, "detail"), kTextWidth)});
      ++count;
    }
  }
  table.write(out);
  out << plural(count, "event", "events");
  if (count > 0 && count == (limit > 0 ? limit : 50)) out << " (the newest " << count << "; --limit shows more)";
  out << '\n';
}

namespace {

// A common word's sum: "-" where no post of the row gave it (Mastodon
// counts no views), so a missing counter is never read as zero.
std::string metric_cell(const json::object& o, std::string_view word) {
  const auto* v = o.if_contains(word);
  if (!v || v->is_null()) return "-";
  return std::to_string(num(o, word));
}

// Engagement per post, one decimal.
std::string per_post(std::int64_t engagement, std::int64_t posts) {
  if (posts <= 0) return "-";
  const std::int64_t tenths = (engagement * 10 + posts / 2) / posts;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void write_posts(std::ostream& out, const json::array* posts, const date::time_zone& zone) {
  Table table({"KEY", "ENGAGEMENT", "VIEWS", "LIKES", "SHARES", "REPLIES", "PUBLISHED", "URL"},
              {false, true, true, true, true, true, false, false});
  if (posts) {
    for (const auto& v : *posts) {
      if (!v.is_object()) continue;
      const auto& p = v.as_object();
      table.add({str(p, "key"), std::to_string(num(p, "engagement")), metric_cell(p, "views"), metric_cell(p, "likes"),
                 metric_cell(p, "shares"), metric_cell(p, "replies"), when(p, "published_at", zone), str(p, "url")});
    }
  }
  table.write(out);
}

}  // namespace

void write_report_table(std::ostream& out, const json::object& answer, const date::time_zone& zone) {
  const std::string by = str(answer, "by");
  out << "Published " << when(answer, "from", zone) << " to " << when(answer, "to", zone) << ", by " << by << '\n';
  std::string head = by;
  for (auto& c : head) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Table groups({head, "POSTS", "READ", "VIEWS", "LIKES", "SHARES", "REPLIES", "CLICKS", "ENGAGEMENT", "PER POST"},
               {false, true, true, true, true, true, true, true, true, true});
  if (const auto* rows = arr(answer, "groups")) {
    for (const auto& v : *rows) {
      if (!v.is_object()) continue;
      const auto& g = v.as_object();
      groups.add({str(g, "name"), std::to_string(num(g, "posts")), std::to_string(num(g, "read")),
                  metric_cell(g, "views"), metric_cell(g, "likes"), metric_cell(g, "shares"), metric_cell(g, "replies"),
                  metric_cell(g, "clicks"), std::to_string(num(g, "engagement")),
                  per_post(num(g, "engagement"), num(g, "read"))});
    }
  }
  groups.write(out);
  out << "(engagement: likes + shares + replies + clicks; per post: of the posts whose counters were read)\n";
  out << "\nTop posts\n";
  write_posts(out, arr(answer, "top"), zone);
  out << "\nBottom posts\n";
  write_posts(out, arr(answer, "bottom"), zone);
  out << "\nConversations to answer (replies since " << when(answer, "since", zone) << ")\n";
  const auto* talk = arr(answer, "conversations");
  if (!talk || talk->empty()) {
    out << "none\n";
    return;
  }
  Table conversations({"KEY", "NEW", "REPLIES", "READ", "URL"}, {false, true, true, false, false});
  for (const auto& v : *talk) {
    if (!v.is_object()) continue;
    const auto& c = v.as_object();
    conversations.add({str(c, "key"), "+" + std::to_string(num(c, "new_replies")), std::to_string(num(c, "replies")),
                       when(c, "read_at", zone), str(c, "url")});
  }
  conversations.write(out);
}

void write_report_csv(std::ostream& out, const json::object& answer) {
  out << csv_field(str(answer, "by")) << ",posts,read,views,likes,shares,replies,clicks,engagement\r\n";
  if (const auto* rows = arr(answer, "groups")) {
    for (const auto& v : *rows) {
      if (!v.is_object()) continue;
      const auto& g = v.as_object();
      out << csv_field(str(g, "name")) << ',' << num(g, "posts") << ',' << num(g, "read");
      for (const char* word : {"views", "likes", "shares", "replies", "clicks"}) {
        const std::string cell = metric_cell(g, word);
        out << ',' << (cell == "-" ? "" : cell);
      }
      out << ',' << num(g, "engagement") << "\r\n";
    }
  }
}

int control_report(ControlContext& ctx, const ReportRequest& request) {
  const StatusReply reply = ctx.client.report(request.from, request.to, request.by, request.since, request.top);
  if (!reply) return report(ctx, "report", *reply.error);
  const auto& body = reply.body.as_object();
  if (request.format == "json") {
    write_json(ctx.out, reply.body);
  } else if (request.format == "csv") {
    write_report_csv(ctx.out, body);
  } else {
    write_report_table(ctx.out, body, *ctx.settings.zone);
    // Shown to a person: the next report's conversations start now.
    if (!request.keep_unread) {
      const StatusReply looked = ctx.client.looked();
      if (!looked)
        ctx.err << "herald report: the conversations could not be marked as looked at: " << looked.error->message
                << '\n';
    }
  }
  return kExitOk;
}

int control_status(ControlContext& ctx) {
  return answer(ctx, "status", ctx.client.status(),
                [&](const json::object& o) { write_status_table(ctx.out, o, *ctx.settings.zone); });
}

int control_queue(ControlContext& ctx, const std::string& channel, const std::string& state, int limit) {
  return answer(ctx, "queue", ctx.client.queue(channel, state, limit),
                [&](const json::object& o) { write_queue_table(ctx.out, o, *ctx.settings.zone, limit); });
}

int control_history(ControlContext& ctx, int limit, const std::string& key) {
  return answer(ctx, "history", ctx.client.history(limit, key),
                [&](const json::object& o) { write_history_table(ctx.out, o, *ctx.settings.zone, limit); });
}

int control_pause(ControlContext& ctx, const std::string& reason, const std::string& channel,
                  std::optional<Instant> until) {
  const auto& zone = *ctx.settings.zone;
  const std::string span =
      until ? " until " + local_display(zone, *until) + " (" + format_utc(*until) + ")"
            : " until resumed (herald resume" + (channel.empty() ? "" : " --channel " + channel) + ")";
  StatusReply reply = ctx.client.pause(reason, channel, until);
  if (!reply) {
    // A pause must hold even when the endpoint is starved or the loop stuck:
    // the running daemon's store takes it directly.
    const auto standby = standing_by_daemon(ctx.settings, *reply.error);
    if (auto pid = standby ? standby : unanswered_daemon(ctx.settings, *reply.error)) {
      try {
        pause_in_store(ctx.settings, Pause{channel, reason, ctx.now, until}, *pid, ctx.now);
      } catch (const std::exception& e) {
        ctx.err << "herald pause: " << reply.error->message << "\nherald pause: " << e.what() << '\n';
        return kExitFailed;
      }
      if (standby)
        ctx.err << "herald pause: this host's herald stands by (the active instance is "
                << reply.error->active_instance
                << "); the pause was written into the shared store directly: every instance holds it\n";
      else
        ctx.err << "herald pause: " << reply.error->message
                << "; the pause was written into herald's state database directly (pid " << *pid
                << " signalled): no create starts from now on\n";
      if (ctx.format == OutputFormat::json)
        write_json(ctx.out, json::object{{"pauses", json::array{}}, {"written_to_store", true}});
      else
        ctx.out << "paused " << what(channel) << span << ": " << reason << '\n';
      return kExitOk;
    }
  }
  return answer(ctx, "pause", reply, [&](const json::object& o) {
    ctx.out << "paused " << what(channel) << span << ": " << reason << '\n';
    write_pauses_in_force(ctx.out, o, channel, true, zone);
  });
}

int control_resume(ControlContext& ctx, const std::string& channel) {
  StatusReply reply = ctx.client.resume(channel);
  if (!reply) {
    const auto standby = standing_by_daemon(ctx.settings, *reply.error);
    if (auto pid = standby ? standby : unanswered_daemon(ctx.settings, *reply.error)) {
      bool cleared = false;
      try {
        cleared = resume_in_store(ctx.settings, channel, *pid, ctx.now);
      } catch (const std::exception& e) {
        ctx.err << "herald resume: " << reply.error->message << "\nherald resume: " << e.what() << '\n';
        return kExitFailed;
      }
      if (!cleared) {
        ctx.err << "herald resume: " << (channel.empty() ? std::string("herald") : "channel '" + channel + "'")
                << " is not paused\n";
        return kExitFailed;
      }
      if (standby)
        ctx.err << "herald resume: this host's herald stands by (the active instance is "
                << reply.error->active_instance << "); the pause was lifted in the shared store directly\n";
      else
        ctx.err << "herald resume: " << reply.error->message
                << "; the pause was lifted in herald's state database directly (pid " << *pid << " signalled)\n";
      ctx.out << "resumed " << what(channel) << "; overdue posts follow the late window\n";
      return kExitOk;
    }
  }
  return answer(ctx, "resume", reply, [&](const json::object& o) {
    ctx.out << "resumed " << what(channel) << "; overdue posts follow the late window\n";
    write_pauses_in_force(ctx.out, o, channel, false, *ctx.settings.zone);
  });
}

int control_reload(ControlContext& ctx, bool accept_cancellations) {
  return answer(ctx, "reload", ctx.client.reload(accept_cancellations), [&](const json::object&) {
    ctx.out << "calendar reloaded" << (accept_cancellations ? " (cancellations accepted)" : "") << '\n';
  });
}

int control_retry(ControlContext& ctx, const std::string& key) {
  return answer(ctx, "retry", ctx.client.retry(key), [&](const json::object& o) {
    const json::object empty;
    const auto* d = obj(o, "delivery");
    if (!d) d = &empty;
    ctx.out << key << ": will be sent again; now " << str(*d, "state") << ", due "
            << when(*d, "planned", *ctx.settings.zone) << '\n';
  });
}

int control_resolve(ControlContext& ctx, const std::string& key, const std::string& url) {
  return answer(ctx, "resolve", ctx.client.resolve(key, url), [&](const json::object& o) {
    const json::object empty;
    const auto* d = obj(o, "delivery");
    if (!d) d = &empty;
    const std::string shown = str(*d, "url");
    ctx.out << key << ": " << str(*d, "state") << " at " << (shown.empty() ? url : shown)
            << " (settled by hand; it will not be sent)\n";
  });
}

std::filesystem::path pid_file(const Settings& settings) { return settings.state_dir / "herald.pid"; }

}  // namespace herald
