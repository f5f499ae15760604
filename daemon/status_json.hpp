#pragma once
// The status API's JSON (docs/api.md), as pure functions: the backend's
// structs to the documented objects, and the POST bodies and query
// parameters to checked values with a 400 message for a person. No sockets
// here; status_server only adapts HTTP to these.

#include "daemon/status_backend.hpp"
#include "scheduler/report.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace date {
class time_zone;
}

namespace herald::status_json {

/// Query parameters as the HTTP layer decoded them (names may repeat).
using Query = std::multimap<std::string, std::string>;

/// {"key","post","channel","state","planned","local","attempts","next_attempt","remote_id","url","last_error","text"};
/// "local" in `zone` (the settings' zone).
boost::json::object delivery(const StoredDelivery& d, const date::time_zone& zone);
/// {"channel" ("" = everything),"reason","since","until"}.
boost::json::object pause(const Pause& p);
/// The nine states in their order, each with its count (0 when absent).
boost::json::object counts(const std::map<State, int>& by_state);
/// GET /api/v1/status.
boost::json::object status(const DaemonStatus& s, const date::time_zone& zone);
/// GET /api/v1/queue: {"deliveries":[...]}.
boost::json::object queue(const std::vector<StoredDelivery>& deliveries, const date::time_zone& zone);
/// GET /api/v1/history: {"events":[{"id","at","key","event","from","to","detail"}]}.
boost::json::object history(const std::vector<HistoryEvent>& events);
/// GET /api/v1/calendar: {"from","to","deliveries":[the delivery object and
/// "channel_kind","post_kind","campaign","title","thread","media":[{"url","alt"}],
/// "counters" (the common words, null before the first read),"engagement","read_at"]}.
boost::json::object calendar(const std::vector<CalendarEntry>& entries, Instant from, Instant to,
                             const date::time_zone& zone);
/// GET /api/v1/deliveries/{key}/engagement: {"key","samples":[{"at","name","common","value"}]}.
boost::json::object engagement(const std::string& key, const std::vector<EngagementSample>& samples);
/// GET /api/v1/report (docs/api.md "Report").
boost::json::object report(const Report& r);
/// POST pause/resume answers: {"pauses":[...]}.
boost::json::object pauses(const std::vector<Pause>& in_force);
/// POST retry/resolve answers: {"delivery":...} (null when the backend gave none).
boost::json::object delivery_result(const std::optional<StoredDelivery>& d, const date::time_zone& zone);
/// GET /healthz: {"status":"ok"} or {"status":"unhealthy","reason":...}.
boost::json::object health(const Health& h);
/// {"error": message}.
boost::json::object error(std::string_view message);

/// Compact JSON text, as every answer is sent.
std::string serialize(const boost::json::value& v);

/// POST /api/v1/pause body.
struct PauseRequest {
  std::string reason;
  std::string channel;  ///< empty: everything
  std::optional<Instant> until;
};

/// `{"reason": non-empty, "channel"?: string, "until"?: RFC 3339 with an offset or Z}`;
/// unknown fields are refused. On failure returns nullopt and sets `error`.
std::optional<PauseRequest> parse_pause(std::string_view body, std::string& error);
/// `{"channel"?: string}` or an empty body (everything); the channel to resume.
std::optional<std::string> parse_resume(std::string_view body, std::string& error);
/// `{"url": an http or https URL}`; the URL.
std::optional<std::string> parse_resolve(std::string_view body, std::string& error);
/// An empty body or `{}` (retry takes no arguments).
bool parse_empty(std::string_view body, std::string& error);
/// POST /api/v1/reload: {"accept_cancellations": bool} (absent: false), or an empty body.
std::optional<bool> parse_reload(std::string_view body, std::string& error);

/// `channel`, `state` (a state name), `limit` (1..1000, default 100).
std::optional<QueueFilter> parse_queue_query(const Query& query, std::string& error);

/// GET /api/v1/history parameters.
struct HistoryQuery {
  int limit = 50;
  std::string key;  ///< empty: every event
};
/// `limit` (1..1000, default 50), `key`.
std::optional<HistoryQuery> parse_history_query(const Query& query, std::string& error);

/// GET /api/v1/report parameters: `from`, `to` (RFC 3339 with an offset or
/// Z; default the 30 days before `now`), `by` (channel, campaign, kind,
/// post), `since` (the conversations' start; default the last look), `top`
/// (1..100, default 5).
std::optional<ReportQuery> parse_report_query(const Query& query, Instant now, std::string& error);
/// GET /api/v1/calendar parameters: `from`, `to` (RFC 3339 with an offset
/// or Z; default the 7 days before `now` to the 35 after); at most 100 days.
std::optional<std::pair<Instant, Instant>> parse_calendar_query(const Query& query, Instant now, std::string& error);
/// GET /api/v1/media parameters: `post` (an id) and `n` (0..99).
std::optional<std::pair<std::string, int>> parse_media_query(const Query& query, std::string& error);
/// RFC 3986 percent-decoding of one path segment ('+' stays '+'); nullopt on
/// a malformed escape or a decoded NUL.
std::optional<std::string> percent_decode(std::string_view segment);

}  // namespace herald::status_json
