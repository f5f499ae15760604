#include "tests/sandbox/sandbox_mastodon.hpp"
#include "config/text.hpp"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <functional>
#include <regex>

#include "compose/links.hpp"
#include "compose/mastodon_text.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"
#include "tests/sandbox/sandbox_facebook.hpp"  // fnv1a64_hex, the record's name for uploaded bytes
#include "tests/sandbox/sandbox_util.hpp"

// Sources for the emulated Mastodon behaviour (docs.joinmastodon.org, the
// documentation's source github.com/mastodon/documentation, read 2026):
// - methods/statuses, "Post a new status": POST /api/v1/statuses, form data
//   (or JSON) status, media_ids[], spoiler_text, visibility (public,
//   unlisted, private, direct), language, sensitive; OAuth user token +
//   write:statuses; "Idempotency-Key: ... to prevent duplicate submissions
//   of the same status ... Idempotency keys are stored for up to 1 hour";
//   200 with the Status; 401 {"error":"The access token is invalid"}; 422
//   {"error":"Validation failed: Text can't be blank"}. "View a single
//   status": GET /api/v1/statuses/:id, 404 {"error":"Record not found"}
//   (also for a deleted status). in_reply_to_id makes the status a reply;
//   a status that is not there (or the poster may not see) is a 404
//   {"error":"The post you are trying to reply to does not appear to exist."}
//   (app/controllers/api/v1/statuses_controller.rb `set_thread`,
//   statuses.errors.in_reply_not_found). "View statuses above and below
//   this status in the thread": GET /api/v1/statuses/:id/context,
//   {"ancestors":[...],"descendants":[...]} (entities/Context), 404 "Record
//   not found" for a status that is not there.
// - methods/media: POST /api/v2/media, multipart file ("must have a MIME
//   type"), description (alt text), focus; write:media; 200 with the
//   MediaAttachment when processed synchronously (images, since 4.0), 202
//   with `url` null while the full-size file is processed (video, gifv,
//   audio); 422 {"error":"Validation failed: File content type is invalid,
//   File is invalid"}. GET /api/v1/media/:id: 206 while processing, 200
//   with `url` when done, 404 when the attachment is not the caller's
//   unattached one.
// - methods/instance, GET /api/v2/instance: configuration.statuses
//   {max_characters, max_media_attachments, characters_reserved_per_url}
//   and configuration.media_attachments {supported_mime_types,
//   description_limit, ...}; public.
// - methods/accounts: GET /api/v1/accounts/verify_credentials (user token +
//   read:accounts or profile; a CredentialAccount with `source`); GET
//   /api/v1/accounts/:id/statuses (public for public statuses, a token +
//   read:statuses for the author's own; limit default 20, max 40; max_id,
//   since_id, min_id; exclude_reblogs; newest first; 404 "Record not found").
// - entities/Status (id, created_at, sensitive, spoiler_text, visibility,
//   language, uri, url, content as HTML, account, media_attachments,
//   replies_count, reblogs_count, favourites_count, and since 4.5
//   quotes_count, ...; https://docs.joinmastodon.org/entities/Status ; the
//   sandbox's counts grow with the status's age, sandbox_engagement),
//   entities/MediaAttachment (id, type image|gifv|video|audio, url,
//   preview_url, description, ...), entities/Error ({"error"}).
// - api/rate-limits: X-RateLimit-Limit, X-RateLimit-Remaining,
//   X-RateLimit-Reset ("Timestamp when your rate limit will reset"; 300
//   requests per 5 minutes per account, 30 media uploads per 30 minutes);
//   Mastodon's code (config/initializers/rack_attack.rb,
//   app/controllers/concerns/rate_limit_headers.rb) sends the reset as ISO
//   8601 with microseconds at the end of a window aligned on the epoch, and
//   a 429 {"error":"Too many requests"}.
// - api/oauth-scopes: read, write and their read:... / write:... parts; a
//   token without the scope gets 403 {"error":"This action is outside the
//   authorized scopes"} (Mastodon's Api::BaseController).
// From Mastodon's code where the documents do not say (app/services/
// post_status_service.rb, app/validators/status_length_validator.rb,
// app/lib/text_formatter.rb, config/locales/en.yml): the Idempotency-Key is
// checked first, per account, and kept for 3,600 s from the status's
// creation; then the media: more than the limit is "Cannot attach more than
// N files", an id that is not the account's unattached attachment is "Media
// N not found" (the sandbox's wording), a video with anything else "Cannot
// attach a video to a post that already contains images", an attachment
// still processing "Cannot attach files that have not finished processing.
// Try again in a moment!" (all 422); the text and content warning stripped;
// the length over the limit "Validation failed: Text character limit of 500
// exceeded"; the content rendered as in mastodon_render_html.
// The sandbox's own choices: every mentioned account is taken to be known
// (rendered as an h-card showing @user); a GIF becomes a gifv processed like
// a video; a 5xx is {"error":"Internal Server Error"}; scheduled_at and polls
// are refused (not emulated).

namespace herald {
namespace json = boost::json;

namespace {

constexpr const char* kStatusesRoute = "/api/v1/statuses";
constexpr const char* kStatusRoute = "/api/v1/statuses/:id";
constexpr const char* kContextRoute = "/api/v1/statuses/:id/context";
constexpr const char* kMediaRoute = "/api/v2/media";
constexpr const char* kMediaIdRoute = "/api/v1/media/:id";
constexpr const char* kInstanceRoute = "/api/v2/instance";
constexpr const char* kVerifyRoute = "/api/v1/accounts/verify_credentials";
constexpr const char* kAccountStatusesRoute = "/api/v1/accounts/:id/statuses";

void error(httplib::Response& res, int status, std::string_view message) {
  send_json(res, status, json::serialize(json::object{{"error", message}}));
}

std::string bearer_token(const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  if (header.size() > 7 && (header.starts_with("Bearer ") || header.starts_with("bearer "))) return header.substr(7);
  return {};
}

// ISO 8601 UTC with `digits` of fraction: created_at has 3, X-RateLimit-Reset 6.
std::string iso_time(std::int64_t ms, int digits) {
  using namespace std::chrono;
  const sys_time<milliseconds> at{milliseconds(ms)};
  const auto day = floor<days>(at);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> time{at - day};
  char out[64];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  std::string fraction = std::to_string(1000 + time.subseconds().count()).substr(1);  // milliseconds, 3 digits
  fraction.resize(static_cast<std::size_t>(digits), '0');
  return std::string(out) + "." + fraction + "Z";
}

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The first `n` code points of `s` (byte length).
std::size_t code_point_prefix(std::string_view s, std::size_t n) {
  std::size_t i = 0, seen = 0;
  while (i < s.size()) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (seen == n) break;
      ++seen;
    }
    ++i;
  }
  return i;
}

bool word_byte(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

// One entity of a status text: [begin, end) and its HTML.
struct Entity {
  std::size_t begin = 0, end = 0;
  std::string html;
};

// TextFormatter#link_to_url: the scheme (and www.) hidden, 30 characters
// shown, the rest hidden; "ellipsis" when something was cut.
std::string link_html(std::string_view url) {
  std::string_view prefix;
  for (std::string_view p : {"https://www.", "http://www.", "https://", "http://"})
    if (url.starts_with(p)) {
      prefix = p;
      break;
    }
  const std::string_view rest = url.substr(prefix.size());
  const std::size_t shown = code_point_prefix(rest, 30);
  const bool cut = code_points(rest) > 30;
  return "<a href=\"" + html_escape(url) + "\" target=\"_blank\" rel=\"nofollow noopener noreferrer\">" +
         "<span class=\"invisible\">" + html_escape(prefix) + "</span><span class=\"" + (cut ? "ellipsis" : "") + "\">" +
         html_escape(rest.substr(0, shown)) + "</span><span class=\"invisible\">" + html_escape(rest.substr(shown)) +
         "</span></a>";
}

std::vector<Entity> entities(std::string_view text, const std::string& domain) {
  std::vector<Entity> out;
  // Links with a scheme only (extract_url_without_protocol: false), as
  // mastodon_length counts them.
  for (const Link& link : extract_links(text))
    if (link.has_scheme) out.push_back({link.begin, link.end, link_html(link_text(text, link))});
  auto inside_link = [&](std::size_t at) {
    return std::any_of(out.begin(), out.end(), [&](const Entity& e) { return at >= e.begin && at < e.end; });
  };
  std::vector<Entity> more;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c != '#' && c != '@') || inside_link(i)) continue;
    const unsigned char before = i == 0 ? ' ' : static_cast<unsigned char>(text[i - 1]);
    if (word_byte(before) || before == '/' || before == ')' || before == '&') continue;
    if (c == '#') {
      // A hashtag: word characters, not all digits.
      std::size_t end = i + 1;
      while (end < text.size() && word_byte(static_cast<unsigned char>(text[end]))) ++end;
      const std::string_view tag = text.substr(i + 1, end - i - 1);
      if (tag.empty() || std::all_of(tag.begin(), tag.end(), [](char d) { return std::isdigit(static_cast<unsigned char>(d)); }))
        continue;
      more.push_back({i, end, "<a href=\"https://" + html_escape(domain) + "/tags/" + html_escape(tag) +
                                  "\" class=\"mention hashtag\" rel=\"tag\">#<span>" + html_escape(tag) + "</span></a>"});
      i = end - 1;
      continue;
    }
    // A mention: @user or @user@domain.
    std::size_t user_end = i + 1;
    while (user_end < text.size() && (std::isalnum(static_cast<unsigned char>(text[user_end])) ||
                                      text[user_end] == '_' || text[user_end] == '.' || text[user_end] == '-'))
      ++user_end;
    while (user_end > i + 1 && (text[user_end - 1] == '.' || text[user_end - 1] == '-')) --user_end;
    if (user_end == i + 1) continue;
    const std::string_view user = text.substr(i + 1, user_end - i - 1);
    std::string_view host = domain;
    std::size_t end = user_end;
    if (user_end < text.size() && text[user_end] == '@') {
      std::size_t domain_end = user_end + 1;
      while (domain_end < text.size() && (std::isalnum(static_cast<unsigned char>(text[domain_end])) ||
                                          text[domain_end] == '.' || text[domain_end] == '-'))
        ++domain_end;
      while (domain_end > user_end + 1 && (text[domain_end - 1] == '.' || text[domain_end - 1] == '-')) --domain_end;
      if (domain_end > user_end + 1) {
        host = text.substr(user_end + 1, domain_end - user_end - 1);
        end = domain_end;
      }
    }
    more.push_back({i, end, "<span class=\"h-card\"><a href=\"https://" + html_escape(host) + "/@" + html_escape(user) +
                                "\" class=\"u-url mention\">@<span>" + html_escape(user) + "</span></a></span>"});
    i = end - 1;
  }
  out.insert(out.end(), more.begin(), more.end());
  std::sort(out.begin(), out.end(), [](const Entity& a, const Entity& b) { return a.begin < b.begin; });
  return out;
}

// Rails' simple_format on already escaped HTML, then every "\n" deleted (as
// TextFormatter does): paragraphs split at two or more line breaks, each in
// <p>, and a single line break inside one as <br />.
std::string simple_format(std::string html) {
  std::string unix;
  for (std::size_t i = 0; i < html.size(); ++i) {
    if (html[i] == '\r') {
      unix += '\n';
      if (i + 1 < html.size() && html[i + 1] == '\n') ++i;
    } else {
      unix += html[i];
    }
  }
  std::vector<std::string> paragraphs;
  std::size_t start = 0;
  while (true) {
    const auto at = unix.find("\n\n", start);
    if (at == std::string::npos) {
      paragraphs.push_back(unix.substr(start));
      break;
    }
    paragraphs.push_back(unix.substr(start, at - start));
    start = at;
    while (start < unix.size() && unix[start] == '\n') ++start;
  }
  while (!paragraphs.empty() && paragraphs.back().empty()) paragraphs.pop_back();
  std::string out;
  for (const auto& p : paragraphs) {
    out += "<p>";
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (p[i] == '\n') {
        if (i > 0 && i + 1 < p.size()) out += "<br />";
        continue;
      }
      out += p[i];
    }
    out += "</p>";
  }
  return paragraphs.empty() ? "<p></p>" : out;
}

bool has_scope(const std::vector<std::string>& granted, std::string_view wanted) {
  const std::string_view family = wanted.substr(0, wanted.find(':'));
  return std::any_of(granted.begin(), granted.end(), [&](const std::string& s) { return s == wanted || s == family; });
}

// The media type Mastodon makes of a file, from its first bytes; the MIME
// types that may declare it; the extension of its stored name.
struct Kind {
  std::string type, extension;
  std::vector<std::string_view> mimes;
};
std::optional<Kind> sniff(std::string_view b) {
  if (b.starts_with("\xFF\xD8\xFF")) return Kind{"image", "jpeg", {"image/jpeg"}};
  if (b.starts_with("\x89PNG\r\n\x1a\n")) return Kind{"image", "png", {"image/png"}};
  if (b.starts_with("GIF87a") || b.starts_with("GIF89a")) return Kind{"gifv", "mp4", {"image/gif"}};
  if (b.size() >= 12 && b.starts_with("RIFF") && b.substr(8, 4) == "WEBP") return Kind{"image", "webp", {"image/webp"}};
  if (b.size() >= 12 && b.substr(4, 4) == "ftyp") {
    if (b.substr(8, 2) == "qt") return Kind{"video", "mov", {"video/quicktime"}};
    return Kind{"video", "mp4", {"video/mp4", "video/quicktime"}};
  }
  if (b.starts_with("\x1A\x45\xDF\xA3")) return Kind{"video", "webm", {"video/webm"}};
  return std::nullopt;
}

// A request parameter: a JSON body member, a form or query field, or a
// multipart field.
std::optional<std::string> param(const httplib::Request& req, const json::object* body, const char* name) {
  if (body) {
    if (const json::value* v = body->if_contains(name)) {
      if (v->is_string()) return std::string(v->as_string());
      if (v->is_null()) return std::nullopt;
      return json::serialize(*v);
    }
    return std::nullopt;
  }
  if (req.has_param(name)) return req.get_param_value(name);
  if (req.has_file(name)) return req.get_file_value(name).content;
  return std::nullopt;
}

// media_ids[] (form, multipart) or media_ids (JSON array), in order.
std::optional<std::vector<std::string>> media_ids_of(const httplib::Request& req, const json::object* body) {
  std::vector<std::string> ids;
  if (body) {
    const json::value* v = body->if_contains("media_ids");
    if (!v || v->is_null()) return ids;
    if (!v->is_array()) return std::nullopt;
    for (const auto& item : v->as_array()) {
      if (item.is_string()) ids.emplace_back(item.as_string());
      else if (item.is_int64()) ids.push_back(std::to_string(item.as_int64()));
      else return std::nullopt;
    }
    return ids;
  }
  for (const char* name : {"media_ids[]", "media_ids"}) {
    const auto count = req.get_param_value_count(name);
    for (std::size_t i = 0; i < count; ++i) ids.push_back(req.get_param_value(name, i));
    auto [first, last] = req.files.equal_range(name);
    for (auto it = first; it != last; ++it) ids.push_back(it->second.content);
  }
  return ids;
}

std::int64_t window_end_ms(std::int64_t now_ms, std::int64_t period_s) {
  const std::int64_t now_s = now_ms / 1000;
  return (now_s + (period_s - now_s % period_s)) * 1000;
}

}  // namespace

std::string mastodon_render_html(std::string_view text, const std::string& domain) {
  if (trim(text).empty()) return {};
  std::string html;
  std::size_t at = 0;
  for (const Entity& e : entities(text, domain)) {
    if (e.begin < at) continue;  // overlapping: the earlier one wins
    html += html_escape(text.substr(at, e.begin - at));
    html += e.html;
    at = e.end;
  }
  html += html_escape(text.substr(at));
  return simple_format(std::move(html));
}

MastodonSandbox::MastodonSandbox(Sandbox& sandbox) : sandbox_(sandbox), config_(sandbox.config().mastodon) {}

void MastodonSandbox::install(httplib::Server& server) {
  server.Post(kStatusesRoute, [this](const httplib::Request& req, httplib::Response& res) { create_status(req, res); });
  server.Get(R"(/api/v1/statuses/(\d+))",
             [this](const httplib::Request& req, httplib::Response& res) { get_status(req, res); });
  server.Get(R"(/api/v1/statuses/(\d+)/context)",
             [this](const httplib::Request& req, httplib::Response& res) { status_context(req, res); });
  server.Post(kMediaRoute, [this](const httplib::Request& req, httplib::Response& res) { upload_media(req, res); });
  server.Get(R"(/api/v1/media/(\d+))", [this](const httplib::Request& req, httplib::Response& res) { get_media(req, res); });
  server.Get(kInstanceRoute, [this](const httplib::Request& req, httplib::Response& res) { instance(req, res); });
  server.Get(kVerifyRoute, [this](const httplib::Request& req, httplib::Response& res) { verify_credentials(req, res); });
  server.Get(R"(/api/v1/accounts/(\d+)/statuses)",
             [this](const httplib::Request& req, httplib::Response& res) { account_statuses(req, res); });
}

void MastodonSandbox::reset() {
  std::lock_guard lock(mutex_);
  last_id_ = 0;
  statuses_.clear();
  media_.clear();
  idempotency_.clear();
  windows_.clear();
}

// Deleted by its author in Mastodon's app: gone from every answer, as a
// status deleted through DELETE /api/v1/statuses/:id is.
void MastodonSandbox::remove_post(const std::string& id) {
  std::lock_guard lock(mutex_);
  std::erase_if(statuses_, [&](const Status& s) { return s.id == id; });
}

// Mastodon's ids are snowflakes: milliseconds since the epoch, shifted 16
// bits, and a sequence; always increasing here.
std::string MastodonSandbox::next_id() {
  const std::int64_t stamp = sandbox_.now_ms() << 16;
  last_id_ = std::max(last_id_ + 1, stamp);
  return std::to_string(last_id_);
}

const MastodonSandbox::Account* MastodonSandbox::account_by_id(const std::string& id) const {
  for (const Account& a : config_.accounts)
    if (a.id == id) return &a;
  return nullptr;
}

MastodonSandbox::Caller MastodonSandbox::caller(const httplib::Request& req) {
  Caller who;
  const std::string token = bearer_token(req);
  if (token.empty()) return who;
  for (const Account& a : config_.accounts)
    if (equal_constant_time(a.access_token, token)) who.account = a;
  who.token_invalid = !who.account;
  return who;
}

// Rack::Attack's throttles: a counter per bucket and window (windows
// aligned on the epoch); the headers report the bucket closest to its limit.
bool MastodonSandbox::throttled(const httplib::Request& req, httplib::Response& res, const Caller& who,
                                bool media_upload) {
  const std::int64_t now = sandbox_.now_ms();
  struct Bucket {
    std::string key;
    int limit;
    std::int64_t period;
  };
  std::vector<Bucket> buckets{{who.account ? "account:" + who.account->id : "ip:" + req.remote_addr,
                               config_.rate_limit, std::max<std::int64_t>(config_.rate_window_seconds, 1)}};
  if (media_upload && who.account)
    buckets.push_back({"media:" + who.account->id, config_.media_limit,
                       std::max<std::int64_t>(config_.media_window_seconds, 1)});
  int remaining = 0;
  std::int64_t reset_ms = 0;
  int limit = 0;
  bool over = false;
  {
    std::lock_guard lock(mutex_);
    bool first = true;
    for (const Bucket& b : buckets) {
      Window& w = windows_[b.key];
      const std::int64_t index = now / 1000 / b.period;
      if (w.index != index) w = Window{index, 0};
      ++w.count;
      const int left = b.limit - w.count;
      if (w.count > b.limit) over = true;
      if (first || left < remaining) {
        remaining = left;
        limit = b.limit;
        reset_ms = window_end_ms(now, b.period);
        first = false;
      }
    }
  }
  res.set_header("X-RateLimit-Limit", std::to_string(limit));
  res.set_header("X-RateLimit-Remaining", std::to_string(std::max(remaining, 0)));
  res.set_header("X-RateLimit-Reset", iso_time(reset_ms, 6));
  if (over) error(res, 429, "Too many requests");
  return over;
}

bool MastodonSandbox::fault(const std::string& method, const httplib::Request& req, httplib::Response& res,
                            const char* route, std::optional<int>* drop_delay_ms) {
  auto f = sandbox_.take_fault(method, req.path, route);
  if (!f) return false;
  using Mode = Sandbox::FaultMode;
  switch (f->mode) {
    case Mode::delay:
      if (!sandbox_.hold(std::chrono::milliseconds(f->delay_ms))) {
        error(res, 503, "Service Unavailable");
        return true;
      }
      return false;  // then answered as usual
    case Mode::rate_limit: {
      const std::int64_t now_s = sandbox_.now_ms() / 1000;
      for (const char* name : {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"})
        res.headers.erase(name);
      res.set_header("X-RateLimit-Limit", std::to_string(config_.rate_limit));
      res.set_header("X-RateLimit-Remaining", "0");
      res.set_header("X-RateLimit-Reset", iso_time((now_s + f->reset_in) * 1000, 6));
      error(res, 429, "Too many requests");
      return true;
    }
    case Mode::server_error: error(res, 500, "Internal Server Error"); return true;
    case Mode::drop_after_create:
      if (drop_delay_ms) *drop_delay_ms = f->delay_ms;
      return false;
  }
  return false;
}

std::optional<MastodonSandbox::Account> MastodonSandbox::authorize(const Caller& who, httplib::Response& res,
                                                                   std::string_view scope) {
  if (!who.account) {
    error(res, 401, "The access token is invalid");
    return std::nullopt;
  }
  if (!has_scope(who.account->scopes, scope)) {
    error(res, 403, "This action is outside the authorized scopes");
    return std::nullopt;
  }
  return who.account;
}

std::string MastodonSandbox::account_json(const Account& a, bool credential) const {
  std::size_t count = 0;
  for (const Status& s : statuses_)
    if (s.account_id == a.id) ++count;
  json::object o{{"id", a.id},
                 {"username", a.username},
                 {"acct", a.username},
                 {"display_name", a.username},
                 {"locked", false},
                 {"bot", false},
                 {"discoverable", true},
                 {"group", false},
                 {"created_at", "2026-01-01T00:00:00.000Z"},
                 {"note", ""},
                 {"url", "https://" + config_.domain + "/@" + a.username},
                 {"uri", "https://" + config_.domain + "/users/" + a.username},
                 {"avatar", "https://" + config_.domain + "/avatars/original/missing.png"},
                 {"avatar_static", "https://" + config_.domain + "/avatars/original/missing.png"},
                 {"header", "https://" + config_.domain + "/headers/original/missing.png"},
                 {"header_static", "https://" + config_.domain + "/headers/original/missing.png"},
                 {"followers_count", 0},
                 {"following_count", 0},
                 {"statuses_count", count},
                 {"emojis", json::array{}},
                 {"fields", json::array{}}};
  if (credential)
    o["source"] = json::object{{"privacy", "public"}, {"sensitive", false}, {"language", ""},
                               {"note", ""},          {"fields", json::array{}}, {"follow_requests_count", 0}};
  return json::serialize(o);
}

std::string MastodonSandbox::media_json(const Media& m, std::int64_t now_ms) const {
  const bool ready = now_ms >= m.ready_ms;
  const std::string base = "https://files." + config_.domain + "/media_attachments/files/" + m.id;
  json::object o{{"id", m.id},
                 {"type", m.type},
                 {"url", ready ? json::value(base + "/original/" + m.hash + "." + m.extension) : json::value(nullptr)},
                 {"preview_url", base + "/small/" + m.hash + ".png"},
                 {"remote_url", nullptr},
                 {"meta", json::object{}},
                 {"description", m.description.empty() ? json::value(nullptr) : json::value(m.description)},
                 {"blurhash", nullptr}};
  return json::serialize(o);
}

std::string MastodonSandbox::status_json(const Status& s) const {
  const Account* account = account_by_id(s.account_id);
  json::array media;
  const std::int64_t now = sandbox_.now_ms();
  Engagement engagement = engagement_after(now - s.created_ms);
  // Real replies count too.
  engagement.replies += std::count_if(statuses_.begin(), statuses_.end(),
                                      [&](const Status& other) { return other.in_reply_to_id == s.id; });
  for (const auto& id : s.media_ids)
    if (auto it = media_.find(id); it != media_.end()) media.push_back(json::parse(media_json(it->second, now)));
  json::object o{{"id", s.id},
                 {"created_at", iso_time(s.created_ms, 3)},
                 {"in_reply_to_id", s.in_reply_to_id.empty() ? json::value(nullptr) : json::value(s.in_reply_to_id)},
                 {"in_reply_to_account_id",
                  s.in_reply_to_account_id.empty() ? json::value(nullptr) : json::value(s.in_reply_to_account_id)},
                 {"sensitive", !s.spoiler_text.empty()},
                 {"spoiler_text", s.spoiler_text},
                 {"visibility", s.visibility},
                 {"language", s.language.empty() ? json::value(nullptr) : json::value(s.language)},
                 {"uri", s.uri},
                 {"url", s.url},
                 {"replies_count", engagement.replies},
                 {"reblogs_count", engagement.shares},
                 {"favourites_count", engagement.likes},
                 {"quotes_count", engagement.quotes},
                 {"edited_at", nullptr},
                 {"content", s.content},
                 {"reblog", nullptr},
                 {"application", json::object{{"name", "herald"}, {"website", nullptr}}},
                 {"account", account ? json::parse(account_json(*account, false)) : json::value(nullptr)},
                 {"media_attachments", std::move(media)},
                 {"mentions", json::array{}},
                 {"tags", json::array{}},
                 {"emojis", json::array{}},
                 {"card", nullptr},
                 {"poll", nullptr}};
  return json::serialize(o);
}

// POST /api/v1/statuses: the rate limit, faults, the token and its scope,
// then Mastodon's order: the Idempotency-Key (a key this account used within
// the window answers its status and nothing is made), the media, the text;
// then the status is recorded and answered (unless a fault drops the answer).
void MastodonSandbox::create_status(const httplib::Request& req, httplib::Response& res) {
  const Caller who = caller(req);
  if (throttled(req, res, who, false)) return;
  std::optional<int> drop;
  if (fault("POST", req, res, kStatusesRoute, &drop)) return;
  auto account = authorize(who, res, "write:statuses");
  if (!account) return;

  std::optional<json::object> body_object;
  if (req.get_header_value("Content-Type").starts_with("application/json")) {
    boost::system::error_code ec;
    json::value v = json::parse(req.body, ec);
    if (ec || !v.is_object()) return error(res, 400, "The request body is not a JSON object");
    body_object = std::move(v.as_object());
  }
  const json::object* body = body_object ? &*body_object : nullptr;
  const std::string key = req.get_header_value("Idempotency-Key");
  const std::int64_t now = sandbox_.now_ms();

  std::string answer;
  {
    std::lock_guard lock(mutex_);  // the key, the media and the record as one step
    if (!key.empty()) {
      auto it = idempotency_.find(account->id + "\n" + key);
      if (it != idempotency_.end() && now - it->second.second < config_.idempotency_seconds * 1000) {
        for (const Status& s : statuses_)
          if (s.id == it->second.first) return send_json(res, 200, status_json(s));
      }
    }
    if (param(req, body, "scheduled_at") || param(req, body, "poll"))
      return error(res, 422, "herald-sandbox does not emulate scheduled_at or polls");

    auto ids = media_ids_of(req, body);
    if (!ids) return error(res, 422, "Validation failed: media_ids must be a list of attachment ids");
    if (ids->size() > config_.max_media_attachments)
      return error(res, 422, "Cannot attach more than " + std::to_string(config_.max_media_attachments) + " files");
    std::vector<std::string> missing;
    std::vector<Media*> attached;
    for (const auto& id : *ids) {
      auto it = media_.find(id);
      if (it == media_.end() || it->second.account_id != account->id || !it->second.status_id.empty())
        missing.push_back(id);
      else
        attached.push_back(&it->second);
    }
    if (!missing.empty()) {
      std::string list;
      for (const auto& id : missing) list += (list.empty() ? "" : ", ") + id;
      return error(res, 422, "Media " + list + " not found");
    }
    if (attached.size() > 1 && std::any_of(attached.begin(), attached.end(), [](const Media* m) {
          return m->type == "video" || m->type == "gifv" || m->type == "audio";
        }))
      return error(res, 422, "Cannot attach a video to a post that already contains images");
    if (std::any_of(attached.begin(), attached.end(), [&](const Media* m) { return now < m->ready_ms; }))
      return error(res, 422, "Cannot attach files that have not finished processing. Try again in a moment!");

    const std::string text(trim(param(req, body, "status").value_or("")));
    const std::string spoiler(trim(param(req, body, "spoiler_text").value_or("")));
    std::string visibility = param(req, body, "visibility").value_or("public");
    if (visibility.empty()) visibility = "public";
    if (visibility != "public" && visibility != "unlisted" && visibility != "private" && visibility != "direct")
      return error(res, 422, "'" + visibility + "' is not a valid visibility");
    const std::string language = param(req, body, "language").value_or("");
    if (!language.empty() && !std::regex_match(language, std::regex("[a-z]{2,3}")))
      return error(res, 422, "Validation failed: Language is not a valid ISO 639 code");
    if (text.empty() && attached.empty()) return error(res, 422, "Validation failed: Text can't be blank");
    const std::string in_reply_to = param(req, body, "in_reply_to_id").value_or("");
    const Status* thread = nullptr;
    if (!in_reply_to.empty()) {
      for (const Status& s : statuses_)
        if (s.id == in_reply_to &&
            (s.visibility == "public" || s.visibility == "unlisted" || s.account_id == account->id))
          thread = &s;
      if (!thread) return error(res, 404, "The post you are trying to reply to does not appear to exist.");
    }
    const std::size_t length = mastodon_length(text, spoiler, config_.characters_reserved_per_url);
    if (length > config_.max_characters)
      return error(res, 422, "Validation failed: Text character limit of " + std::to_string(config_.max_characters) +
                                 " exceeded");

    Status status;
    status.id = next_id();
    status.account_id = account->id;
    status.text = text;
    status.spoiler_text = spoiler;
    status.visibility = visibility;
    status.language = language;
    status.content = mastodon_render_html(text, config_.domain);
    status.url = "https://" + config_.domain + "/@" + account->username + "/" + status.id;
    status.uri = "https://" + config_.domain + "/users/" + account->username + "/statuses/" + status.id;
    status.idempotency_key = key;
    status.created_ms = now;
    if (thread) {
      status.in_reply_to_id = thread->id;
      status.in_reply_to_account_id = thread->account_id;
    }

    Sandbox::Create create;
    create.platform = "mastodon";
    create.account = account->username;
    create.id = status.id;
    create.text = text;
    create.at_ms = now;
    create.fields["visibility"] = visibility;
    create.fields["spoiler_text"] = spoiler;
    create.fields["language"] = language;
    create.fields["idempotency_key"] = key;
    create.fields["content"] = status.content;
    create.fields["url"] = status.url;
    create.fields["length"] = std::to_string(length);
    create.in_reply_to = status.in_reply_to_id;
    for (Media* m : attached) {
      m->status_id = status.id;
      status.media_ids.push_back(m->id);
      create.media_ids.push_back(m->id);
      create.fields["alt:" + m->id] = m->description;
      create.fields["media:" + m->id] = std::to_string(m->size) + " bytes fnv1a64 " + m->hash;
    }
    for (const char* name : {"Idempotency-Key", "Content-Type", "User-Agent"})
      if (req.has_header(name)) create.headers[name] = req.get_header_value(name);
    statuses_.push_back(status);
    // Mastodon stores the key once the status is made, for an hour from then.
    if (!key.empty()) idempotency_[account->id + "\n" + key] = {status.id, now};
    sandbox_.record(create);
    answer = status_json(status);
  }
  if (drop) return drop_response(sandbox_, res, 200, std::chrono::milliseconds(*drop));
  send_json(res, 200, answer);
}

// GET /api/v1/statuses/:id: public and unlisted statuses to anyone, the
// rest to their author.
void MastodonSandbox::get_status(const httplib::Request& req, httplib::Response& res) {
  const Caller who = caller(req);
  if (throttled(req, res, who, false)) return;
  if (fault("GET", req, res, kStatusRoute, nullptr)) return;
  if (who.token_invalid) return error(res, 401, "The access token is invalid");
  const std::string id = req.matches[1];
  std::lock_guard lock(mutex_);
  for (const Status& s : statuses_) {
    if (s.id != id) continue;
    const bool visible = s.visibility == "public" || s.visibility == "unlisted" ||
                         (who.account && who.account->id == s.account_id);
    if (!visible) break;
    return send_json(res, 200, status_json(s));
  }
  error(res, 404, "Record not found");
}

// GET /api/v1/statuses/:id/context: the statuses above (ancestors, oldest
// first) and below (descendants, depth first in order of creation) the
// status in its thread, as far as the caller may see them.
void MastodonSandbox::status_context(const httplib::Request& req, httplib::Response& res) {
  const Caller who = caller(req);
  if (throttled(req, res, who, false)) return;
  if (fault("GET", req, res, kContextRoute, nullptr)) return;
  if (who.token_invalid) return error(res, 401, "The access token is invalid");
  const std::string id = req.matches[1];
  std::lock_guard lock(mutex_);
  auto visible = [&](const Status& s) {
    return s.visibility == "public" || s.visibility == "unlisted" || (who.account && who.account->id == s.account_id);
  };
  auto find = [&](const std::string& wanted) -> const Status* {
    for (const Status& s : statuses_)
      if (s.id == wanted && visible(s)) return &s;
    return nullptr;
  };
  const Status* status = find(id);
  if (!status) return error(res, 404, "Record not found");
  json::array ancestors, descendants;
  for (const Status* up = find(status->in_reply_to_id); up; up = find(up->in_reply_to_id))
    ancestors.insert(ancestors.begin(), json::parse(status_json(*up)));
  std::function<void(const std::string&)> below = [&](const std::string& parent) {
    for (const Status& s : statuses_) {
      if (s.in_reply_to_id != parent || !visible(s)) continue;
      descendants.push_back(json::parse(status_json(s)));
      below(s.id);
    }
  };
  below(status->id);
  send_json(res, 200, json::serialize(json::object{{"ancestors", std::move(ancestors)}, {"descendants", std::move(descendants)}}));
}

// POST /api/v2/media: the file (its declared type must be one Mastodon
// takes and match its bytes) and the alt text; 200 if processed now, 202
// while processing.
void MastodonSandbox::upload_media(const httplib::Request& req, httplib::Response& res) {
  const Caller who = caller(req);
  if (throttled(req, res, who, true)) return;
  std::optional<int> drop;
  if (fault("POST", req, res, kMediaRoute, &drop)) return;
  auto account = authorize(who, res, "write:media");
  if (!account) return;
  if (!req.has_file("file") || req.get_file_value("file").filename.empty())
    return error(res, 400, "param is missing or the value is empty: file");
  const auto file = req.get_file_value("file");
  const auto kind = sniff(file.content);
  if (file.content.empty() || !kind ||
      std::find(kind->mimes.begin(), kind->mimes.end(), file.content_type) == kind->mimes.end())
    return error(res, 422, "Validation failed: File content type is invalid, File is invalid");
  const std::string description = req.has_file("description") ? req.get_file_value("description").content
                                                               : req.get_param_value("description");
  if (code_points(description) > config_.description_limit)
    return error(res, 422, "Validation failed: Description is too long (maximum is " +
                               std::to_string(config_.description_limit) + " characters)");
  const std::int64_t now = sandbox_.now_ms();
  const std::int64_t processing = kind->type == "image" ? config_.image_processing_seconds
                                                        : config_.video_processing_seconds;
  Media m;
  {
    std::lock_guard lock(mutex_);
    m.id = next_id();
    m.account_id = account->id;
    m.type = kind->type;
    m.mime = file.content_type;
    m.extension = kind->extension;
    m.description = description;
    m.hash = fnv1a64_hex(file.content);
    m.size = file.content.size();
    m.created_ms = now;
    m.ready_ms = now + processing * 1000;
    media_[m.id] = m;
  }
  const int status = processing > 0 ? 202 : 200;
  if (drop) return drop_response(sandbox_, res, status, std::chrono::milliseconds(*drop));
  send_json(res, status, media_json(m, now));
}

// GET /api/v1/media/:id: the caller's unattached attachment; 206 while
// processing, 200 once done.
void MastodonSandbox::get_media(const httplib::Request& req, httplib::Response& res) {
  const Caller who = caller(req);
  if (throttled(req, res, who, false)) return;
  if (fault("GET", req, res, kMediaIdRoute, nullptr)) return;
  auto account = authorize(who, res, "write:media");
  if (!account) return;
  const std::string id = req.matches[1];
  const std::int64_t now = sandbox_.now_ms();
  std::lock_guard lock(mutex_);
  auto it = media_.find(id);
  if (it == media_.end() || it->second.account_id != account->id || !it->second.status_id.empty())
    return error(res, 404, "Record not found");
  send_json(res, now < it->second.ready_ms ? 206 : 200, media_json(it->second, now));
}

// GET /api/v2/instance: public.
void MastodonSandbox::instance(const httplib::Request& req, httplib::Response& res) {
  const Caller who = caller(req);
  if (throttled(req, res, who, false)) return;
  if (fault("GET", req, res, kInstanceRoute, nullptr)) return;
  json::object o{
      {"domain", config_.domain},
      {"title", "herald-sandbox"},
      {"version", "4.3.0"},
      {"source_url", "https://github.com/mastodon/mastodon"},
      {"description", "An emulated Mastodon instance for herald's tests"},
      {"languages", json::array{"en"}},
      {"configuration",
       json::object{
           {"urls", json::object{{"streaming", "wss://" + config_.domain}}},
           {"accounts", json::object{{"max_featured_tags", 10}, {"max_pinned_statuses", 5}}},
           {"statuses", json::object{{"max_characters", config_.max_characters},
                                     {"max_media_attachments", config_.max_media_attachments},
                                     {"characters_reserved_per_url", config_.characters_reserved_per_url}}},
           {"media_attachments",
            json::object{{"supported_mime_types", json::array{"image/jpeg", "image/png", "image/gif", "image/webp",
                                                              "video/mp4", "video/quicktime", "video/webm"}},
                         {"description_limit", config_.description_limit},
                         {"image_size_limit", 16777216},
                         {"image_matrix_limit", 33177600},
                         {"video_size_limit", 103809024},
                         {"video_frame_rate_limit", 120},
                         {"video_matrix_limit", 8294400}}},
           {"polls", json::object{{"max_options", 4},
                                  {"max_characters_per_option", 50},
                                  {"min_expiration", 300},
                                  {"max_expiration", 2629746}}},
           {"translation", json::object{{"enabled", false}}}}},
      {"registrations", json::object{{"enabled", false}, {"approval_required", false}, {"message", nullptr}}},
      {"api_versions", json::object{{"mastodon", 2}}},
      {"rules", json::array{}}};
  send_json(res, 200, json::serialize(o));
}

// GET /api/v1/accounts/verify_credentials: the token's account.
void MastodonSandbox::verify_credentials(const httplib::Request& req, httplib::Response& res) {
  const Caller who = caller(req);
  if (throttled(req, res, who, false)) return;
  if (fault("GET", req, res, kVerifyRoute, nullptr)) return;
  if (!who.account) return error(res, 401, "The access token is invalid");
  if (!has_scope(who.account->scopes, "read:accounts") && !has_scope(who.account->scopes, "profile"))
    return error(res, 403, "This action is outside the authorized scopes");
  std::lock_guard lock(mutex_);
  send_json(res, 200, account_json(*who.account, true));
}

// GET /api/v1/accounts/:id/statuses: newest first; an anonymous caller (or
// another account) sees public and unlisted statuses only; a token without
// read:statuses is refused.
void MastodonSandbox::account_statuses(const httplib::Request& req, httplib::Response& res) {
  const Caller who = caller(req);
  if (throttled(req, res, who, false)) return;
  if (fault("GET", req, res, kAccountStatusesRoute, nullptr)) return;
  if (who.token_invalid) return error(res, 401, "The access token is invalid");
  if (who.account && !has_scope(who.account->scopes, "read:statuses"))
    return error(res, 403, "This action is outside the authorized scopes");
  const std::string id = req.matches[1];
  if (!account_by_id(id)) return error(res, 404, "Record not found");
  std::int64_t limit = 20;
  if (req.has_param("limit")) {
    auto n = parse_int(req.get_param_value("limit"));
    if (n) limit = std::clamp<std::int64_t>(*n, 1, 40);
  }
  auto bound = [&](const char* name) -> std::optional<std::int64_t> {
    return req.has_param(name) ? parse_int(req.get_param_value(name)) : std::nullopt;
  };
  const auto max_id = bound("max_id"), since_id = bound("since_id"), min_id = bound("min_id");
  const bool own = who.account && who.account->id == id;
  json::array list;
  std::string newest, oldest;
  std::lock_guard lock(mutex_);
  std::vector<const Status*> picked;
  for (auto it = statuses_.rbegin(); it != statuses_.rend(); ++it) {
    const Status& s = *it;
    if (s.account_id != id) continue;
    if (!own && s.visibility != "public" && s.visibility != "unlisted") continue;
    const std::int64_t n = std::stoll(s.id);
    if ((max_id && n >= *max_id) || (since_id && n <= *since_id) || (min_id && n <= *min_id)) continue;
    picked.push_back(&s);
  }
  // min_id pages forward from it: the statuses just after it, still newest first.
  if (min_id && static_cast<std::int64_t>(picked.size()) > limit)
    picked.erase(picked.begin(), picked.end() - limit);
  if (static_cast<std::int64_t>(picked.size()) > limit) picked.resize(static_cast<std::size_t>(limit));
  for (const Status* s : picked) list.push_back(json::parse(status_json(*s)));
  if (!picked.empty()) {
    // Pagination as Mastodon links it (api/guidelines#pagination).
    const std::string base = "https://" + config_.domain + "/api/v1/accounts/" + id + "/statuses?limit=" +
                             std::to_string(limit);
    res.set_header("Link", "<" + base + "&max_id=" + picked.back()->id + ">; rel=\"next\", <" + base +
                               "&min_id=" + picked.front()->id + ">; rel=\"prev\"");
  }
  send_json(res, 200, json::serialize(list));
}

MastodonSandboxConfig load_mastodon_sandbox_config(const YAML::Node& node, const std::string& file) {
  MastodonSandboxConfig config;
  reject_unknown_keys(node,
                      {"domain", "max_characters", "characters_reserved_per_url", "max_media_attachments",
                       "description_limit", "image_processing_seconds", "video_processing_seconds", "rate_limit",
                       "rate_window_seconds", "media_limit", "media_window_seconds", "idempotency_seconds",
                       "accounts"},
                      file);
  auto number = [&](const char* key, std::int64_t minimum) -> std::optional<std::int64_t> {
    const YAML::Node n = node[key];
    if (!n) return std::nullopt;
    const auto value = parse_int(n.as<std::string>());
    if (!value || *value < minimum)
      config_error(n, file, std::string(key) + " must be a whole number >= " + std::to_string(minimum));
    return value;
  };
  if (const YAML::Node domain = node["domain"]) {
    config.domain = domain.as<std::string>();
    if (!std::regex_match(config.domain, std::regex(R"([a-z0-9]([a-z0-9.-]*[a-z0-9])?)")))
      config_error(domain, file, "domain must be a host name such as mastodon.example");
  }
  if (auto v = number("max_characters", 1)) config.max_characters = static_cast<std::size_t>(*v);
  if (auto v = number("characters_reserved_per_url", 0)) config.characters_reserved_per_url = static_cast<std::size_t>(*v);
  if (auto v = number("max_media_attachments", 0)) config.max_media_attachments = static_cast<std::size_t>(*v);
  if (auto v = number("description_limit", 0)) config.description_limit = static_cast<std::size_t>(*v);
  if (auto v = number("image_processing_seconds", 0)) config.image_processing_seconds = *v;
  if (auto v = number("video_processing_seconds", 0)) config.video_processing_seconds = *v;
  if (auto v = number("rate_limit", 1)) config.rate_limit = static_cast<int>(*v);
  if (auto v = number("rate_window_seconds", 1)) config.rate_window_seconds = *v;
  if (auto v = number("media_limit", 1)) config.media_limit = static_cast<int>(*v);
  if (auto v = number("media_window_seconds", 1)) config.media_window_seconds = *v;
  if (auto v = number("idempotency_seconds", 0)) config.idempotency_seconds = *v;
  if (const YAML::Node accounts = node["accounts"]) {
    if (!accounts.IsSequence()) config_error(accounts, file, "accounts must be a list");
    for (const auto& a : accounts) {
      reject_unknown_keys(a, {"id", "username", "access_token", "scopes"}, file);
      for (const char* key : {"id", "username", "access_token"})
        if (!a[key]) config_error(a, file, std::string("an account needs '") + key + "'");
      MastodonSandboxConfig::Account account;
      account.id = a["id"].as<std::string>();
      account.username = a["username"].as<std::string>();
      account.access_token = a["access_token"].as<std::string>();
      if (!std::regex_match(account.id, std::regex(R"(\d{1,20})")))
        config_error(a["id"], file, "an account id is digits, as Mastodon's ids are");
      if (!std::regex_match(account.username, std::regex(R"([A-Za-z0-9_]+)")))
        config_error(a["username"], file, "a username is letters, digits and '_'");
      if (account.access_token.empty()) config_error(a["access_token"], file, "access_token must not be empty");
      if (const YAML::Node scopes = a["scopes"]) {
        if (!scopes.IsSequence()) config_error(scopes, file, "scopes must be a list such as [read, write]");
        account.scopes.clear();
        for (const auto& s : scopes) account.scopes.push_back(s.as<std::string>());
      }
      config.accounts.push_back(std::move(account));
    }
  }
  return config;
}

}  // namespace herald
