#include "connectors/http_result.hpp"
#include "config/text.hpp"

#include "connectors/json_fields.hpp"

#include <cstdio>

#include <boost/json.hpp>
#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

// Documentation the mappings follow:
//  - X: https://docs.x.com/fundamentals/rate-limits (x-rate-limit-reset is a
//    Unix timestamp; 429 body {"errors":[{"code":88,"message":"Rate limit
//    exceeded"}]}); https://developer.x.com/en/docs/twitter-api/rate-limits;
//    v2 errors are problem objects {"title","detail","type","status"}; a
//    duplicate post is 403 with detail "You are not allowed to create a Tweet
//    with duplicate content."
//  - Facebook: https://developers.facebook.com/docs/graph-api/guides/error-handling
//    (error object; 190 access token expired, 102 API session -> new token;
//    1, 2 temporary; 4, 17, 341 throttling; 368 temporarily blocked, wait and
//    retry; 506 duplicate post) and
//    https://developers.facebook.com/docs/graph-api/overview/rate-limiting
//    (X-App-Usage / X-Page-Usage percentages; X-Business-Use-Case-Usage with
//    estimated_time_to_regain_access in minutes; 32 page-level and 613 custom
//    throttling; 80000-80014 business use case throttling).
//  - YouTube: https://developers.google.com/youtube/v3/docs/errors
//    (quotaExceeded 403; Google's error body {"error":{"code","message",
//    "errors":[{"message","domain","reason"}]}}; dailyLimitExceeded says "The
//    quota will be reset at midnight Pacific Time (PT)").
//  - WordPress: https://developer.wordpress.org/rest-api/using-the-rest-api/authentication/
//    and the REST error shape {"code","message","data":{"status"}}, e.g.
//    rest_cannot_create "Sorry, you are not allowed to create posts as this
//    user." with status 401 (not authenticated) or 403 (no capability).

namespace herald {
namespace json = boost::json;
using std::chrono::seconds;

namespace {

bool contains_ci(std::string_view haystack, std::string_view needle) {
  return ascii_lower(haystack).find(ascii_lower(needle)) != std::string::npos;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  s = trim(s);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

seconds not_negative(seconds s) { return std::max(s, seconds{0}); }

// RFC 9110 5.6.7 IMF-fixdate, the form senders must generate.
// Parsed by hand: date::parse inlined here trips GCC 12's -Wmaybe-uninitialized
// inside date.h, which -Werror turns into a build failure.
std::optional<Instant> parse_http_date(std::string_view text) {
  const std::string t(trim(text));
  char weekday[4] = {}, month[4] = {};
  int d = 0, y = 0, hh = 0, mm = 0, ss = 0, consumed = 0;
  if (std::sscanf(t.c_str(), "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n", weekday, &d, month, &y, &hh, &mm,
                  &ss, &consumed) != 7 ||
      static_cast<std::size_t>(consumed) != t.size())
    return std::nullopt;
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  unsigned m = 0;
  for (unsigned i = 0; i < 12; ++i)
    if (std::string_view(month) == kMonths[i]) m = i + 1;
  const date::year_month_day ymd{date::year{y}, date::month{m}, date::day{static_cast<unsigned>(d)}};
  if (m == 0 || !ymd.ok() || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  return Instant{date::sys_days{ymd} + std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss}};
}


// The platform's words, made safe to show: one line, no markup (Google puts
// an <a href> in quota messages), bounded, cut on a UTF-8 boundary.
std::string clean(std::string_view words) {
  std::string out;
  bool in_tag = false;
  for (char c : words) {
    if (c == '<') { in_tag = true; continue; }
    if (in_tag) { if (c == '>') in_tag = false; continue; }
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  std::string_view t = trim(out);
  if (t.size() > kMaxMessage) {
    std::size_t cut = kMaxMessage;
    while (cut > 0 && (static_cast<unsigned char>(t[cut]) & 0xC0) == 0x80) --cut;
    return std::string(t.substr(0, cut)) + "...";
  }
  return std::string(t);
}

std::string describe(std::string_view platform, std::string_view words, int status,
                     std::string_view extra = {}) {
  std::string m(platform);
  m += ": ";
  const std::string w = clean(words);
  m += w.empty() ? "no error message" : w;
  m += " (HTTP " + std::to_string(status);
  if (!extra.empty()) {
    m += ", ";
    m += extra;
  }
  m += ")";
  return m;
}

// Handled the same for every platform before its body is read.
std::optional<std::optional<PublishResult>> before_body(std::string_view platform,
                                                        const HttpResponse& r) {
  if (!r.error.empty()) {
    return std::optional<PublishResult>{RetryLater{std::nullopt, std::string(platform) + ": " + r.error}};
  }
  if (r.status >= 200 && r.status < 300) return std::optional<PublishResult>{};
  return std::nullopt;
}

// The status-code rule once no platform-specific reading applied.
PublishResult by_status(const HttpResponse& r, Instant now, std::string message) {
  if (r.status == 429 || r.status >= 500 || r.status == 0) {
    return RetryLater{retry_after(r, now), std::move(message)};
  }
  if (r.status == 401) return AuthFailed{std::move(message)};
  return Failed{std::move(message)};
}

// Facebook usage headers: a JSON object of percentages (X-App-Usage,
// X-Page-Usage) or, for business use case limits, an object of arrays of such
// objects keyed by business object id.
void for_each_usage(const HttpResponse& r, auto&& visit) {
  for (const char* name : {"x-app-usage", "x-page-usage", "x-business-use-case-usage"}) {
    auto [first, last] = r.headers.equal_range(name);
    for (auto it = first; it != last; ++it) {
      auto v = parse_json(it->second);
      if (!v || !v->is_object()) continue;
      const auto& o = v->get_object();
      if (!o.contains("call_count") && !o.contains("total_time") && !o.contains("total_cputime")) {
        for (const auto& [id, entries] : o) {
          if (!entries.is_array()) continue;
          for (const auto& e : entries.get_array()) {
            if (e.is_object()) visit(e.get_object());
          }
        }
      } else {
        visit(o);
      }
    }
  }
}

}  // namespace

std::string clean_words(std::string_view words) { return clean(words); }

std::optional<seconds> retry_after(const HttpResponse& r, Instant now) {
  // Retry-After is the server's explicit instruction for this request, so it
  // wins; X's reset time is exact for its window; Facebook's estimate is last.
  if (const auto* v = find_header(r, "retry-after")) {
    if (auto s = parse_int(*v)) return not_negative(seconds{*s});
    if (auto at = parse_http_date(*v)) return not_negative(*at - now);
  }
  if (const auto* v = find_header(r, "x-rate-limit-reset")) {
    if (auto epoch = parse_int(*v)) return not_negative(Instant{seconds{*epoch}} - now);
  }
  std::optional<std::int64_t> minutes;
  for_each_usage(r, [&](const json::object& usage) {
    if (auto m = member_int(usage, "estimated_time_to_regain_access")) {
      minutes = std::max(minutes.value_or(0), *m);
    }
  });
  if (minutes) return not_negative(std::chrono::minutes{*minutes});
  return std::nullopt;
}

std::optional<int> graph_usage_percent(const HttpResponse& r) {
  std::optional<std::int64_t> highest;
  for_each_usage(r, [&](const json::object& usage) {
    for (const char* key : {"call_count", "total_cputime", "total_time"}) {
      if (auto p = member_int(usage, key)) highest = std::max(highest.value_or(0), *p);
    }
  });
  if (!highest) return std::nullopt;
  return static_cast<int>(std::clamp<std::int64_t>(*highest, 0, 1000));
}

std::optional<PublishResult> classify_x(const HttpResponse& r, Instant now) {
  if (auto early = before_body("X", r)) return *early;
  // v2 problem: {"title","detail","type","status"}; older and rate-limit
  // answers: {"errors":[{"code","message"}]}.
  std::string detail, title, first_message;
  if (auto v = parse_json(r.body); v && v->is_object()) {
    const auto& o = v->get_object();
    detail = member_string(o, "detail");
    title = member_string(o, "title");
    if (auto* errors = o.if_contains("errors"); errors && errors->is_array() && !errors->get_array().empty()) {
      if (const auto* e = errors->get_array()[0].if_object()) first_message = member_string(*e, "message");
    }
  }
  const std::string& words = !detail.empty() ? detail : !first_message.empty() ? first_message : title;
  const std::string message = describe("X", words, r.status);
  // A duplicate is X's anti-spam rule, not a permission problem: never retry
  // it and never pause the channel for it. It is its own result because after
  // a lost answer it is evidence that the first attempt made the post.
  if (r.status == 403 && (contains_ci(detail, "duplicate") || contains_ci(first_message, "duplicate"))) {
    return Duplicate{message};
  }
  return by_status(r, now, message);
}

// The wait for a Graph throttling error: the usage headers' estimate when
// they give one; else, when they report usage but no time, an hour (the
// app- and user-level windows roll over one hour; the page-level one over 24,
// so an hour is the shortest wait that can help); else the dispatcher's
// own backoff.
namespace {
std::optional<seconds> graph_throttle_wait(const HttpResponse& r, Instant now) {
  if (auto wait = retry_after(r, now)) return wait;
  if (graph_usage_percent(r)) return kGraphThrottleDefaultWait;
  return std::nullopt;
}
}  // namespace

std::optional<PublishResult> classify_graph(const HttpResponse& r, Instant now) {
  if (auto early = before_body("Facebook", r)) return *early;
  const json::object* error = nullptr;
  auto v = parse_json(r.body);
  if (v && v->is_object()) error = member_object(v->get_object(), "error");
  if (!error) return by_status(r, now, describe("Facebook", "", r.status));

  const auto code = member_int(*error, "code");
  const auto subcode = member_int(*error, "error_subcode");
  std::string extra;
  if (code) extra += "code " + std::to_string(*code);
  if (subcode) extra += (extra.empty() ? "" : ", ") + std::string("subcode ") + std::to_string(*subcode);
  if (auto trace = member_string(*error, "fbtrace_id"); !trace.empty()) {
    extra += (extra.empty() ? "" : ", ") + std::string("fbtrace_id ") + clean(trace);
  }
  const std::string message = describe("Facebook", member_string(*error, "message"), r.status, extra);

  // Auth first: an expired or invalidated token (190; 102 on old API
  // sessions; 104 when none reached Graph) and the token subcodes 463
  // (expired) and 467 (invalid) need an operator with a new page token.
  const std::int64_t c = code.value_or(0);
  const std::int64_t sub = subcode.value_or(0);
  if (c == 190 || c == 102 || c == 104 || sub == 463 || sub == 467) return AuthFailed{message};
  // Throttling: application (4), user (17), page (32), custom (613) and
  // business use case (80000-80014, 80001 for Pages) limits.
  constexpr std::array<std::int64_t, 5> kThrottled{4, 17, 32, 341, 613};
  if ((c >= 80000 && c <= 80014) || std::find(kThrottled.begin(), kThrottled.end(), c) != kThrottled.end()) {
    return RetryLater{graph_throttle_wait(r, now), message};
  }
  // 1 unknown and 2 service: temporary trouble on Facebook's side.
  if (c == 1 || c == 2) return RetryLater{retry_after(r, now), message};
  // 506: the same message posted twice in a row. 368: the page is
  // temporarily blocked for a policy violation; retrying within our backoff
  // window only repeats the violation, so a person looks at it.
  if (c == 506 || c == 368) return Failed{message};
  if (auto* transient = error->if_contains("is_transient"); transient && transient->is_bool() && transient->get_bool()) {
    return RetryLater{retry_after(r, now), message};
  }
  return by_status(r, now, message);
}

bool graph_object_missing(const HttpResponse& r) {
  auto v = parse_json(r.body);
  const json::object* error = v && v->is_object() ? member_object(v->get_object(), "error") : nullptr;
  return error && member_int(*error, "code") == 100 && member_int(*error, "error_subcode") == 33;
}

std::optional<PublishResult> classify_google(const HttpResponse& r, Instant now) {
  if (auto early = before_body("YouTube", r)) return *early;
  const json::object* error = nullptr;
  auto v = parse_json(r.body);
  if (v && v->is_object()) error = member_object(v->get_object(), "error");
  if (!error) return by_status(r, now, describe("YouTube", "", r.status));

  std::string words = member_string(*error, "message");
  const std::string status = member_string(*error, "status");
  bool quota = false, rate = false, auth = r.status == 401 || status == "UNAUTHENTICATED";
  std::string reasons;
  if (auto* errors = error->if_contains("errors"); errors && errors->is_array()) {
    for (const auto& e : errors->get_array()) {
      const auto* eo = e.if_object();
      if (!eo) continue;
      const std::string reason = member_string(*eo, "reason");
      if (reason.empty()) continue;
      reasons += (reasons.empty() ? "" : ",") + reason;
      if (words.empty()) words = member_string(*eo, "message");
      if (reason == "quotaExceeded" || reason == "dailyLimitExceeded") quota = true;
      if (reason == "rateLimitExceeded" || reason == "userRateLimitExceeded") rate = true;
      // A token without the youtube scope cannot be fixed by retrying: the
      // operator must authorize again with the right scope.
      if (reason == "authError" || reason == "insufficientPermissions") auth = true;
    }
  }
  const std::string message = describe("YouTube", words, r.status, clean(reasons));
  if (auth) return AuthFailed{message};
  // The daily quota resets at midnight Pacific Time; retrying sooner only
  // burns attempts.
  if (quota) return RetryLater{not_negative(next_pacific_midnight(now) - now), message};
  if (rate) return RetryLater{retry_after(r, now), message};
  return by_status(r, now, message);
}

std::optional<PublishResult> classify_wordpress(const HttpResponse& r, Instant now) {
  if (auto early = before_body("WordPress", r)) return *early;
  std::string code, words;
  if (auto v = parse_json(r.body); v && v->is_object()) {
    code = member_string(v->get_object(), "code");
    words = member_string(v->get_object(), "message");
    // A status the user may not list (status=any without edit_posts) comes
    // back as a parameter error; the reason is in data.details.status.
    if (code == "rest_invalid_param") {
      const json::object* data = member_object(v->get_object(), "data");
      const json::object* details = data ? member_object(*data, "details") : nullptr;
      const json::object* status = details ? member_object(*details, "status") : nullptr;
      if (status && member_string(*status, "code") == "rest_forbidden_status") {
        code = "rest_forbidden_status";
        words = member_string(*status, "message");
      }
    }
  }
  const std::string message = describe("WordPress", words, r.status, clean(code));
  // rest_cannot_create: 401 when the request was not authenticated, 403 when
  // the user lacks the capability (to create posts or terms, or to upload
  // media); rest_forbidden_context and rest_forbidden_status likewise for
  // reading posts with context=edit or in any status (which needs
  // edit_posts); incorrect_password and invalid_username come from Application
  // Password checks. Either way an operator must act. Any other 401
  // (rest_not_logged_in, application_passwords_disabled) is AuthFailed by
  // status; 429 from a host or security plugin and 5xx are RetryLater with
  // Retry-After; rest_invalid_param and other 4xx are Failed.
  if ((r.status == 401 || r.status == 403) &&
      (code == "rest_cannot_create" || code == "incorrect_password" || code == "invalid_username" ||
       code == "rest_forbidden_context")) {
    return AuthFailed{message};
  }
  // The user may not see drafts (listing status=any, context=edit): it needs
  // a role that can edit posts.
  if (code == "rest_forbidden_status") return AuthFailed{message};
  // No route: the REST API is off, blocked by a plugin, or the base URL is
  // wrong (a site without pretty permalinks may answer 404 with HTML).
  if (r.status == 404 && (code == "rest_no_route" || code.empty())) {
    return Failed{message + "; is the REST API enabled at this site?"};
  }
  return by_status(r, now, message);
}

// LinkedIn (learn.microsoft.com/linkedin/shared/api-guide/concepts/error-handling
// and .../concepts/rate-limits): the words are `message`, with a Java
// exception's class name in front for Rest.li input errors ("com.linkedin...
// BadRequestResponseException: Content is a duplicate of urn:li:share:N"),
// which is cut off; the codes go in the parenthesis.
std::optional<PublishResult> classify_linkedin(const HttpResponse& r, Instant now) {
  if (auto early = before_body("LinkedIn", r)) return *early;
  std::string words, codes;
  bool duplicate = false;
  if (auto v = parse_json(r.body); v && v->is_object()) {
    const auto& o = v->get_object();
    words = member_string(o, "message");
    if (auto at = words.find("Exception: "); at != std::string::npos && words.starts_with("com.linkedin."))
      words.erase(0, at + 11);
    codes = member_string(o, "code");
    if (auto service = member_int(o, "serviceErrorCode"))
      codes += (codes.empty() ? "" : " ") + std::string("serviceErrorCode ") + std::to_string(*service);
    const json::object* details = member_object(o, "errorDetails");
    const json::value* inputs = details ? details->if_contains("inputErrors") : nullptr;
    if (inputs && inputs->is_array()) {
      for (const auto& e : inputs->get_array()) {
        const auto* eo = e.if_object();
        if (!eo) continue;
        const std::string code = member_string(*eo, "code");
        if (code == "DUPLICATE_POST") duplicate = true;
        if (!code.empty()) codes += (codes.empty() ? "" : ", ") + code;
        if (words.empty()) words = member_string(*eo, "description");
      }
    }
  }
  const std::string message = describe("LinkedIn", words, r.status, clean(codes));
  // LinkedIn's refusal of a repeat of the author's recent post: after a lost
  // answer the evidence that the first attempt made it.
  if (r.status == 422 && duplicate) return Duplicate{message};
  if (r.status == 401) return AuthFailed{message};
  if (r.status == 429) {
    if (auto wait = retry_after(r, now)) return RetryLater{wait, message};
    return RetryLater{not_negative(next_utc_midnight(now) - now), message};
  }
  return by_status(r, now, message);
}

Instant next_utc_midnight(Instant now) { return date::floor<date::days>(now) + date::days{1}; }

Instant next_pacific_midnight(Instant now) {
  const auto* zone = date::locate_zone("America/Los_Angeles");
  const auto local = zone->to_local(now);
  const auto next = date::floor<date::days>(local) + date::days{1};
  // Midnight is never in a DST gap in Los Angeles (changes happen at 02:00).
  return date::floor<seconds>(zone->to_sys(next, date::choose::earliest));
}

PublishResult create_outcome(const HttpResponse& response, PublishResult classified) {
  if (response.status >= 500 && response.status <= 599)
    if (auto* retry = std::get_if<RetryLater>(&classified))
      return Unsure{"answered " + std::to_string(response.status) + " to the create: " + retry->message};
  return classified;
}

}  // namespace herald
