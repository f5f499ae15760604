#include "daemon/status_json.hpp"

#include "connectors/form_encoding.hpp"
#include "config/text.hpp"

#include <boost/json.hpp>

#include <array>
#include <cctype>

namespace herald::status_json {

namespace {

constexpr std::array kStates = {State::planned,   State::waiting, State::held,         State::sending,  State::retry_wait,
                                State::published, State::failed,  State::needs_review, State::cancelled};

constexpr int kMaxLimit = 1000;
constexpr std::size_t kMaxUrl = 2048;

boost::json::value time_or_null(const std::optional<Instant>& at) {
  if (!at) return nullptr;
  return boost::json::value(format_utc(*at));
}

boost::json::value pause_or_null(const std::optional<Pause>& p) {
  if (!p) return nullptr;
  return pause(*p);
}

// Boost.JSON writes a string's bytes as they are, so a message quoting a
// request ("unknown parameter 'l\x9fimit'") or a platform's error text
// could make the answer invalid UTF-8, which JSON parsers refuse. Each
// maximal ill-formed subpart becomes U+FFFD (Unicode 15, section 3.9); it
// never contains an ASCII byte, so the JSON's structure is untouched.
std::string valid_utf8(std::string text) {
  const auto u = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  std::size_t i = 0;
  while (i < text.size() && u(i) < 0x80) ++i;
  if (i == text.size()) return text;  // ASCII: the common case
  std::string out(text, 0, i);
  while (i < text.size()) {
    const unsigned char c = u(i);
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range (Table 3-7)
    if (c < 0x80) len = 1;
    else if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    std::size_t j = 1;
    while (j < len && i + j < text.size() && u(i + j) >= (j == 1 ? lo : 0x80) && u(i + j) <= (j == 1 ? hi : 0xBF)) ++j;
    if (len != 0 && j == len) out.append(text, i, len);
    else out += "\xEF\xBF\xBD";
    i += j;
  }
  return out;
}

// The body as a JSON object; an empty (or blank) body is an empty object.
std::optional<boost::json::object> body_object(std::string_view body, std::string& error) {
  if (trim(body).empty()) return boost::json::object{};
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec) {
    error = "the body is not valid JSON";
    return std::nullopt;
  }
  if (!v.is_object()) {
    error = "the body must be a JSON object";
    return std::nullopt;
  }
  return std::move(v.as_object());
}

bool only_fields(const boost::json::object& o, std::initializer_list<std::string_view> allowed, std::string& error) {
  for (const auto& kv : o) {
    bool known = false;
    for (auto a : allowed) known = known || kv.key() == a;
    if (!known) {
      error = "unknown field '" + std::string(kv.key()) + "'";
      return false;
    }
  }
  return true;
}

// An optional string field: absent or null gives "", another type is an error.
bool string_field(const boost::json::object& o, std::string_view name, std::string& out, std::string& error) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null()) return true;
  if (!it->value().is_string()) {
    error = "'" + std::string(name) + "' must be a string";
    return false;
  }
  out = std::string(it->value().as_string());
  return true;
}

bool one_value(const Query& query, const std::string& name, std::optional<std::string>& out, std::string& error) {
  auto [lo, hi] = query.equal_range(name);
  if (lo == hi) return true;
  if (std::next(lo) != hi) {
    error = "'" + name + "' given more than once";
    return false;
  }
  out = lo->second;
  return true;
}

bool known_params(const Query& query, std::initializer_list<std::string_view> allowed, std::string& error) {
  for (const auto& [name, value] : query) {
    bool known = false;
    for (auto a : allowed) known = known || name == a;
    if (!known) {
      error = "unknown parameter '" + name + "'";
      return false;
    }
  }
  return true;
}

std::optional<int> parse_limit(const std::optional<std::string>& text, int fallback, std::string& error) {
  if (!text) return fallback;
  const std::string msg = "limit must be a whole number from 1 to " + std::to_string(kMaxLimit);
  if (text->empty() || text->size() > 4) {
    error = msg;
    return std::nullopt;
  }
  int n = 0;
  for (char c : *text) {
    if (c < '0' || c > '9') {
      error = msg;
      return std::nullopt;
    }
    n = n * 10 + (c - '0');
  }
  if (n < 1 || n > kMaxLimit) {
    error = msg;
    return std::nullopt;
  }
  return n;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

bool http_url(std::string_view url) {
  std::size_t rest = 0;
  if (starts_with_nocase(url, "https://")) rest = 8;
  else if (starts_with_nocase(url, "http://")) rest = 7;
  else return false;
  if (url.size() > kMaxUrl) return false;
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7F) return false;
  // A host must follow the scheme.
  const std::size_t host_end = url.find_first_of("/?#", rest);
  std::string_view authority = url.substr(rest, host_end == std::string_view::npos ? url.npos : host_end - rest);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  return !authority.empty() && authority.front() != ':';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

boost::json::object delivery(const StoredDelivery& d, const date::time_zone& zone) {
  boost::json::object o;
  o["key"] = d.key;
  o["post"] = d.post;
  o["channel"] = d.channel;
  o["state"] = to_string(d.state);
  o["planned"] = format_utc(d.planned);
  o["local"] = format_local(zone, d.planned);
  o["attempts"] = d.attempts;
  o["next_attempt"] = time_or_null(d.next_attempt);
  o["remote_id"] = d.remote_id;
  o["url"] = d.url;
  o["last_error"] = d.last_error;
  o["text"] = d.sent_text;
  o["why"] = d.why;
  return o;
}

boost::json::object pause(const Pause& p) {
  boost::json::object o;
  o["channel"] = p.channel;
  o["reason"] = p.reason;
  o["since"] = format_utc(p.since);
  o["until"] = time_or_null(p.until);
  return o;
}

boost::json::object counts(const std::map<State, int>& by_state) {
  boost::json::object o;
  for (State s : kStates) {
    auto it = by_state.find(s);
    o[to_string(s)] = it == by_state.end() ? 0 : it->second;
  }
  return o;
}

boost::json::object status(const DaemonStatus& s, const date::time_zone& zone) {
  boost::json::object o;
  o["version"] = s.version;
  o["started"] = format_utc(s.started);
  o["now"] = format_utc(s.now);
  o["timezone"] = s.timezone;
  o["posts"] = s.posts;
  boost::json::object calendar;
  calendar["last_reload"] = time_or_null(s.last_reload);
  calendar["ok"] = s.last_reload_ok;
  calendar["error"] = s.last_reload_error;
  if (s.held_reload) {
    boost::json::object held;
    held["at"] = format_utc(s.held_reload->at);
    held["cancelled"] = s.held_reload->cancelled;
    held["pending"] = s.held_reload->pending;
    held["sample"] = s.held_reload->sample;
    calendar["held"] = std::move(held);
  } else {
    calendar["held"] = nullptr;
  }
  o["calendar"] = std::move(calendar);
  boost::json::array drafts;
  for (const auto& d : s.drafts) {
    boost::json::object draft;
    draft["key"] = d.key;
    draft["post"] = d.post;
    draft["channel"] = d.channel;
    draft["at"] = format_utc(d.at);
    draft["local"] = format_local(zone, d.at);
    draft["passed"] = d.at <= s.now;
    drafts.emplace_back(std::move(draft));
  }
  o["drafts"] = std::move(drafts);
  boost::json::object store;
  store["ok"] = s.store_problem.empty();
  store["problem"] = s.store_problem;
  o["store"] = std::move(store);
  if (s.shared) {
    boost::json::object shared;
    shared["role"] = s.shared->active ? "active" : "standby";
    shared["instance"] = s.shared->instance;
    shared["active_instance"] = s.shared->active_instance;
    shared["calendar"] = s.shared->calendar;
    shared["store_calendar"] = s.shared->store_calendar;
    shared["calendar_differs"] = s.shared->calendar_differs();
    shared["keeping_store_plan"] = s.shared->keeping_store_plan;
    o["shared"] = std::move(shared);
  } else {
    o["shared"] = nullptr;
  }
  o["paused"] = pause_or_null(s.global_pause);
  o["counts"] = counts(s.counts);
  boost::json::array channels;
  for (const auto& c : s.channels) {
    boost::json::object ch;
    ch["name"] = c.name;
    ch["kind"] = to_string(c.kind);
    ch["can_publish"] = c.can_publish;
    ch["problem"] = c.problem;
    if (c.credentials_expire_at) ch["credentials_expire_at"] = format_utc(*c.credentials_expire_at);
    else ch["credentials_expire_at"] = nullptr;
    ch["credentials_refused"] = c.credentials_refused;
    ch["warning"] = c.warning;
    ch["paused"] = pause_or_null(c.pause);
    ch["counts"] = counts(c.counts);
    if (c.next) ch["next"] = delivery(*c.next, zone);
    else ch["next"] = nullptr;
    channels.emplace_back(std::move(ch));
  }
  o["channels"] = std::move(channels);
  return o;
}

boost::json::object queue(const std::vector<StoredDelivery>& deliveries, const date::time_zone& zone) {
  boost::json::array list;
  for (const auto& d : deliveries) list.emplace_back(delivery(d, zone));
  boost::json::object o;
  o["deliveries"] = std::move(list);
  return o;
}

boost::json::object history(const std::vector<HistoryEvent>& events) {
  boost::json::array list;
  for (const auto& e : events) {
    boost::json::object o;
    o["id"] = e.id;
    o["at"] = format_utc(e.at);
    o["key"] = e.key;
    o["event"] = e.event;
    o["from"] = e.from_state;
    o["to"] = e.to_state;
    o["detail"] = e.detail;
    list.emplace_back(std::move(o));
  }
  boost::json::object o;
  o["events"] = std::move(list);
  return o;
}

boost::json::object pauses(const std::vector<Pause>& in_force) {
  boost::json::array list;
  for (const auto& p : in_force) list.emplace_back(pause(p));
  boost::json::object o;
  o["pauses"] = std::move(list);
  return o;
}

boost::json::object delivery_result(const std::optional<StoredDelivery>& d, const date::time_zone& zone) {
  boost::json::object o;
  if (d) o["delivery"] = delivery(*d, zone);
  else o["delivery"] = nullptr;
  return o;
}

boost::json::object health(const Health& h) {
  boost::json::object o;
  o["status"] = h.ok ? "ok" : "unhealthy";
  if (!h.ok) o["reason"] = h.reason;
  return o;
}

boost::json::object error(std::string_view message) {
  boost::json::object o;
  o["error"] = message;
  return o;
}

std::string serialize(const boost::json::value& v) { return valid_utf8(boost::json::serialize(v)); }

std::optional<PauseRequest> parse_pause(std::string_view body, std::string& error) {
  auto o = body_object(body, error);
  if (!o || !only_fields(*o, {"reason", "channel", "until"}, error)) return std::nullopt;
  PauseRequest r;
  std::string until;
  if (!string_field(*o, "reason", r.reason, error) || !string_field(*o, "channel", r.channel, error) ||
      !string_field(*o, "until", until, error))
    return std::nullopt;
  if (trim(r.reason).empty()) {
    error = "'reason' is required: say why publishing is paused";
    return std::nullopt;
  }
  if (!until.empty()) {
    std::string why;
    auto ts = parse_timestamp(until, why);
    if (!ts) {
      error = "'until' is not an RFC 3339 time: " + why;
      return std::nullopt;
    }
    const Instant* at = std::get_if<Instant>(&*ts);
    if (!at) {
      error = "'until' needs a UTC offset or Z (e.g. 2027-03-02T09:00:00Z)";
      return std::nullopt;
    }
    r.until = *at;
  }
  return r;
}

std::optional<std::string> parse_resume(std::string_view body, std::string& error) {
  auto o = body_object(body, error);
  if (!o || !only_fields(*o, {"channel"}, error)) return std::nullopt;
  std::string channel;
  if (!string_field(*o, "channel", channel, error)) return std::nullopt;
  return channel;
}

std::optional<std::string> parse_resolve(std::string_view body, std::string& error) {
  auto o = body_object(body, error);
  if (!o || !only_fields(*o, {"url"}, error)) return std::nullopt;
  std::string url;
  if (!string_field(*o, "url", url, error)) return std::nullopt;
  if (!http_url(url)) {
    error = "'url' must be the http(s) URL where the post went out";
    return std::nullopt;
  }
  return url;
}

std::optional<bool> parse_reload(std::string_view body, std::string& error) {
  auto o = body_object(body, error);
  if (!o || !only_fields(*o, {"accept_cancellations"}, error)) return std::nullopt;
  const auto* v = o->if_contains("accept_cancellations");
  if (!v || v->is_null()) return false;
  if (!v->is_bool()) {
    error = "'accept_cancellations' must be true or false";
    return std::nullopt;
  }
  return v->as_bool();
}

bool parse_empty(std::string_view body, std::string& error) {
  auto o = body_object(body, error);
  return o && only_fields(*o, {}, error);
}

std::optional<QueueFilter> parse_queue_query(const Query& query, std::string& error) {
  if (!known_params(query, {"channel", "state", "limit"}, error)) return std::nullopt;
  std::optional<std::string> channel, state, limit;
  if (!one_value(query, "channel", channel, error) || !one_value(query, "state", state, error) ||
      !one_value(query, "limit", limit, error))
    return std::nullopt;
  QueueFilter f;
  if (channel) f.channel = *channel;
  if (state && !state->empty()) {
    f.state = parse_state(*state);
    if (!f.state) {
      error = "unknown state '" + *state +
              "' (planned, waiting, held, sending, retry_wait, published, failed, needs_review or cancelled)";
      return std::nullopt;
    }
  }
  auto n = parse_limit(limit, 100, error);
  if (!n) return std::nullopt;
  f.limit = *n;
  return f;
}

std::optional<HistoryQuery> parse_history_query(const Query& query, std::string& error) {
  if (!known_params(query, {"limit", "key"}, error)) return std::nullopt;
  std::optional<std::string> key, limit;
  if (!one_value(query, "key", key, error) || !one_value(query, "limit", limit, error)) return std::nullopt;
  HistoryQuery h;
  if (key) h.key = *key;
  auto n = parse_limit(limit, 50, error);
  if (!n) return std::nullopt;
  h.limit = *n;
  return h;
}

namespace {

// One instant parameter: RFC 3339 with an offset or Z.
bool instant_param(const Query& query, const char* name, std::optional<Instant>& out, std::string& error) {
  std::optional<std::string> text;
  if (!one_value(query, name, text, error)) return false;
  if (!text) return true;
  std::string why;
  auto ts = parse_timestamp(*text, why);
  const Instant* at = ts ? std::get_if<Instant>(&*ts) : nullptr;
  if (!at) {
    error = std::string("'") + name + "' must be an RFC 3339 time with an offset or Z (e.g. 2027-03-02T09:00:00Z)";
    return false;
  }
  out = *at;
  return true;
}

boost::json::value metric_or_null(const ReportTotals& totals, const char* word) {
  auto it = totals.find(word);
  if (it == totals.end()) return nullptr;
  return it->second;
}

void put_totals(boost::json::object& o, const ReportTotals& totals) {
  for (const char* word : kReportMetrics) o[word] = metric_or_null(totals, word);
}

boost::json::object report_post(const ReportPost& p) {
  boost::json::object o;
  o["key"] = p.key;
  o["post"] = p.post;
  o["channel"] = p.channel;
  o["campaign"] = p.campaign;
  o["kind"] = p.kind;
  o["url"] = p.url;
  o["published_at"] = format_utc(p.published_at);
  o["read_at"] = p.read_at ? boost::json::value(format_utc(*p.read_at)) : boost::json::value(nullptr);
  put_totals(o, p.totals);
  o["engagement"] = p.engagement;
  boost::json::object own;
  for (const auto& c : p.counters) own[c.name] = c.value;
  o["counters"] = std::move(own);
  return o;
}

}  // namespace

boost::json::object calendar(const std::vector<CalendarEntry>& entries, Instant from, Instant to,
                             const date::time_zone& zone) {
  boost::json::object o;
  o["from"] = format_utc(from);
  o["to"] = format_utc(to);
  boost::json::array list;
  for (const auto& e : entries) {
    boost::json::object d = delivery(e.delivery, zone);
    d["text"] = e.text;
    d["channel_kind"] = e.channel_kind;
    d["post_kind"] = e.post_kind;
    d["campaign"] = e.campaign;
    d["title"] = e.title;
    boost::json::array thread;
    for (const auto& t : e.thread) thread.push_back(boost::json::value(t));
    d["thread"] = std::move(thread);
    boost::json::array media;
    for (std::size_t i = 0; i < e.media_alt.size(); ++i) {
      media.push_back(boost::json::object{
          {"url", "api/v1/media?post=" + percent_encode(e.delivery.post) + "&n=" + std::to_string(i)},
          {"alt", e.media_alt[i]}});
    }
    d["media"] = std::move(media);
    if (e.read_at) {
      boost::json::object c;
      put_totals(c, e.counters);
      d["counters"] = std::move(c);
    } else {
      d["counters"] = nullptr;
    }
    d["engagement"] = engagement_of(e.counters);
    d["read_at"] = time_or_null(e.read_at);
    list.push_back(std::move(d));
  }
  o["deliveries"] = std::move(list);
  return o;
}

boost::json::object engagement(const std::string& key, const std::vector<EngagementSample>& samples) {
  boost::json::array list;
  for (const auto& s : samples)
    list.push_back(boost::json::object{{"at", format_utc(s.at)}, {"name", s.name}, {"common", s.common}, {"value", s.value}});
  return boost::json::object{{"key", key}, {"samples", std::move(list)}};
}

boost::json::object report(const Report& r) {
  boost::json::object o;
  o["from"] = format_utc(r.query.from);
  o["to"] = format_utc(r.query.to);
  o["by"] = std::string(to_string(r.query.by));
  o["since"] = format_utc(r.since);
  boost::json::array groups;
  for (const auto& g : r.groups) {
    boost::json::object row;
    row["name"] = g.name;
    row["posts"] = g.posts;
    row["read"] = g.read;
    put_totals(row, g.totals);
    row["engagement"] = g.engagement;
    groups.push_back(std::move(row));
  }
  o["groups"] = std::move(groups);
  for (auto [name, list] : {std::pair{"top", &r.top}, std::pair{"bottom", &r.bottom}}) {
    boost::json::array a;
    for (const auto& p : *list) a.push_back(report_post(p));
    o[name] = std::move(a);
  }
  boost::json::array talk;
  for (const auto& c : r.conversations) {
    boost::json::object row;
    row["key"] = c.key;
    row["channel"] = c.channel;
    row["url"] = c.url;
    row["replies"] = c.replies;
    row["new_replies"] = c.new_replies;
    row["read_at"] = format_utc(c.read_at);
    talk.push_back(std::move(row));
  }
  o["conversations"] = std::move(talk);
  return o;
}

std::optional<ReportQuery> parse_report_query(const Query& query, Instant now, std::string& error) {
  if (!known_params(query, {"from", "to", "by", "since", "top"}, error)) return std::nullopt;
  std::optional<Instant> from, to, since;
  std::optional<std::string> by, top;
  if (!instant_param(query, "from", from, error) || !instant_param(query, "to", to, error) ||
      !instant_param(query, "since", since, error) || !one_value(query, "by", by, error) ||
      !one_value(query, "top", top, error))
    return std::nullopt;
  ReportQuery q;
  q.to = to.value_or(now);
  q.from = from.value_or(q.to - std::chrono::hours(24 * 30));
  if (q.from >= q.to) {
    error = "'from' must be before 'to'";
    return std::nullopt;
  }
  q.since = since;
  if (by) {
    auto b = parse_report_by(*by);
    if (!b) {
      error = "'by' must be channel, campaign, kind or post, not '" + *by + "'";
      return std::nullopt;
    }
    q.by = *b;
  }
  if (top) {
    auto n = parse_limit(top, 5, error);
    if (!n || *n > 100) {
      error = "top must be a whole number from 1 to 100";
      return std::nullopt;
    }
    q.top = *n;
  }
  return q;
}

std::optional<std::pair<Instant, Instant>> parse_calendar_query(const Query& query, Instant now, std::string& error) {
  if (!known_params(query, {"from", "to"}, error)) return std::nullopt;
  std::optional<Instant> from, to;
  if (!instant_param(query, "from", from, error) || !instant_param(query, "to", to, error)) return std::nullopt;
  const Instant f = from.value_or(now - std::chrono::hours(24 * 7));
  const Instant t = to.value_or(f + std::chrono::hours(24 * 42));
  if (f >= t) {
    error = "'from' must be before 'to'";
    return std::nullopt;
  }
  if (t - f > std::chrono::hours(24 * 100)) {
    error = "at most 100 days at once";
    return std::nullopt;
  }
  return std::pair{f, t};
}

std::optional<std::pair<std::string, int>> parse_media_query(const Query& query, std::string& error) {
  if (!known_params(query, {"post", "n"}, error)) return std::nullopt;
  std::optional<std::string> post, n;
  if (!one_value(query, "post", post, error) || !one_value(query, "n", n, error)) return std::nullopt;
  if (!post || post->empty() || !n || n->empty() || n->size() > 2 ||
      n->find_first_not_of("0123456789") != std::string::npos) {
    error = "'post' (a post id) and 'n' (0 to 99) are required";
    return std::nullopt;
  }
  return std::pair{*post, std::stoi(*n)};
}

std::optional<std::string> percent_decode(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out += segment[i];
      continue;
    }
    if (i + 2 >= segment.size()) return std::nullopt;
    const int hi = hex_value(segment[i + 1]), lo = hex_value(segment[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    const char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return std::nullopt;
    out += c;
    i += 2;
  }
  return out;
}

}  // namespace herald::status_json
