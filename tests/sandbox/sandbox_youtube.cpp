#include "tests/sandbox/sandbox_youtube.hpp"
#include "config/text.hpp"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"
#include "tests/sandbox/sandbox_util.hpp"

// Sources for the emulated Google / YouTube behaviour (checked 2025):
// - Token endpoint, refresh-token grant, form-urlencoded, client auth in the
//   body or HTTP Basic (RFC 6749 2.3.1, 6, 5.1, 5.2); Google's answer
//   {"access_token","expires_in":3599,"scope","token_type":"Bearer"}:
//   https://developers.google.com/identity/protocols/oauth2/web-server#offline
//   and https://datatracker.ietf.org/doc/html/rfc6749 ; a dead refresh token
//   is 400 {"error":"invalid_grant","error_description":"Token has been
//   expired or revoked."} (as quoted in
//   https://www.nango.dev/blog/google-oauth-invalid-grant-token-has-been-expired-or-revoked);
//   an unknown client is 401 invalid_client "The OAuth client was not found.".
// - videos.list / videos.update (PUT, `part` required, update replaces all
//   mutable properties of the named parts, snippet.title and
//   snippet.categoryId required with the snippet part):
//   https://developers.google.com/youtube/v3/docs/videos/list and
//   https://developers.google.com/youtube/v3/docs/videos/update ; the video
//   resource and its limits (title 100 characters, description 5000 bytes,
//   no < or >): https://developers.google.com/youtube/v3/docs/videos
// - The statistics part of a video (videos.list part=statistics):
//   viewCount, likeCount, dislikeCount, favoriteCount, commentCount, each an
//   unsigned long written as a string; dislikeCount only to the video's
//   owner since December 2021 and favoriteCount deprecated (always 0):
//   https://developers.google.com/youtube/v3/docs/videos#statistics . An id
//   YouTube does not have (a deleted video) is left out of `items`:
//   https://developers.google.com/youtube/v3/docs/videos/list . The
//   sandbox's counts grow from the video's first record (published by
//   videos.update, or uploaded) on its clock (sandbox_engagement).
// - Resumable upload: initiation POST with X-Upload-Content-Length and
//   X-Upload-Content-Type answering 200 with the session URI in Location;
//   PUT chunks with Content-Range; 308 Resume Incomplete with
//   Range: bytes=0-N (no Range when nothing arrived); the
//   "Content-Range: bytes */SIZE" status query; 201 with the video resource
//   on completion; 404 for an unknown or expired session:
//   https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol
// - Errors: {"error":{"code","message","errors":[{"message","domain",
//   "reason"}],"status"}}, quotaExceeded (403, domain youtube.quota),
//   authError (401, WWW-Authenticate: Bearer ... error="invalid_token"),
//   invalidTitle / invalidDescription / invalidCategoryId / videoNotFound:
//   https://developers.google.com/youtube/v3/docs/errors and
//   https://developers.google.com/youtube/v3/docs/videos/update#errors

namespace herald {
namespace json = boost::json;

namespace {

constexpr const char* kTokenRoute = "/token";
constexpr const char* kVideosRoute = "/youtube/v3/videos";
constexpr const char* kUploadRoute = "/upload/youtube/v3/videos";
constexpr const char* kScope = "https://www.googleapis.com/auth/youtube";
constexpr std::size_t kDescriptionLimit = 5000;  // bytes
constexpr std::size_t kTitleLimit = 100;         // characters

std::string google_error(int code, std::string_view message, std::string_view reason, std::string_view domain,
                         std::string_view status = {}) {
  json::object error{
      {"code", code},
      {"message", message},
      {"errors", json::array{json::object{{"message", message}, {"domain", domain}, {"reason", reason}}}}};
  if (!status.empty()) error["status"] = status;
  return json::serialize(json::object{{"error", std::move(error)}});
}

void bad_request(httplib::Response& res, std::string_view reason, std::string_view message) {
  send_json(res, 400, google_error(400, message, reason, "youtube.video", "INVALID_ARGUMENT"));
}

void unauthenticated(httplib::Response& res) {
  res.set_header("WWW-Authenticate", R"(Bearer realm="https://accounts.google.com/", error="invalid_token")");
  send_json(res, 401,
            google_error(401,
                         "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                         "cookie or other valid authentication credential. See "
                         "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                         "authError", "global", "UNAUTHENTICATED"));
}

void oauth_error(httplib::Response& res, int status, std::string_view error, std::string_view description) {
  send_json(res, status, json::serialize(json::object{{"error", error}, {"error_description", description}}));
}

// Answers an injected fault that ends the request here; false when there is
// none, the delay has passed, or the fault (drop_after_create) acts later.
bool answer_fault(Sandbox& sandbox, const std::optional<Sandbox::Fault>& fault, bool upload_host,
                  httplib::Response& res) {
  if (!fault) return false;
  using Mode = Sandbox::FaultMode;
  if (fault->mode == Mode::delay && !sandbox.hold(std::chrono::milliseconds(fault->delay_ms))) {
    send_json(res, 503,
              google_error(503, "The service is currently unavailable.", "backendError", "global", "UNAVAILABLE"));
    return true;
  }
  if (fault->mode == Mode::rate_limit) {
    send_json(res, 403,
              google_error(403,
                           "The request cannot be completed because you have exceeded your <a "
                           "href=\"/youtube/v3/getting-started#quota\">quota</a>.",
                           "quotaExceeded", "youtube.quota"));
    return true;
  }
  if (fault->mode == Mode::server_error) {
    if (upload_host) {
      send_json(res, 503,
                google_error(503, "The service is currently unavailable.", "backendError", "global", "UNAVAILABLE"));
    } else {
      send_json(res, 500, google_error(500, "Internal error encountered.", "backendError", "global", "INTERNAL"));
    }
    return true;
  }
  return false;
}

// application/x-www-form-urlencoded, '+' as space.
std::map<std::string, std::string> parse_form(std::string_view body) {
  std::map<std::string, std::string> out;
  for (const std::string_view piece : split(body, '&')) {
    if (piece.empty()) continue;
    std::string pair(piece);
    std::replace(pair.begin(), pair.end(), '+', ' ');
    auto eq = pair.find('=');
    if (eq == std::string::npos)
      out[percent_decode(pair)] = "";
    else
      out[percent_decode(pair.substr(0, eq))] = percent_decode(pair.substr(eq + 1));
  }
  return out;
}

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string string_member(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
  return {};
}

std::string join_tags(const json::object& snippet) {
  std::string out;
  if (const auto* tags = snippet.if_contains("tags"); tags && tags->is_array())
    for (const auto& t : tags->as_array())
      if (t.is_string()) out += (out.empty() ? "" : ",") + std::string(t.as_string());
  return out;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  for (const std::string_view item : split(s, ','))
    if (!item.empty()) out.emplace_back(item);
  return out;
}

// The snippet checks videos.insert and videos.update share; empty when fine,
// else {reason, message}.
std::optional<std::pair<std::string, std::string>> snippet_problem(const json::object& snippet) {
  const auto* title = snippet.if_contains("title");
  if (!title || !title->is_string() || title->as_string().empty())
    return std::pair{"invalidTitle", "The request metadata specifies an invalid or empty video title."};
  std::string_view t = title->as_string();
  if (code_points(t) > kTitleLimit || t.find_first_of("<>") != std::string_view::npos)
    return std::pair{"invalidTitle", "The request metadata specifies an invalid or empty video title."};
  if (const auto* d = snippet.if_contains("description")) {
    if (!d->is_string())
      return std::pair{"invalidDescription", "The request metadata specifies an invalid video description."};
    std::string_view desc = d->as_string();
    if (desc.size() > kDescriptionLimit || desc.find_first_of("<>") != std::string_view::npos)
      return std::pair{"invalidDescription", "The request metadata specifies an invalid video description."};
  }
  if (const auto* c = snippet.if_contains("categoryId")) {
    std::string id = c->is_string() ? std::string(c->as_string()) : std::string();
    if (id.empty() || !std::all_of(id.begin(), id.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      return std::pair{"invalidCategoryId",
                       "The snippet.categoryId property specifies an invalid category ID. Use the "
                       "videoCategories.list method to retrieve supported categories."};
  }
  if (const auto* tags = snippet.if_contains("tags")) {
    if (!tags->is_array() || !std::all_of(tags->as_array().begin(), tags->as_array().end(),
                                          [](const json::value& v) { return v.is_string(); }))
      return std::pair{"invalidTags", "The request metadata specifies invalid video keywords."};
  }
  return std::nullopt;
}

bool valid_privacy(std::string_view p) { return p == "public" || p == "unlisted" || p == "private"; }

// The parts of a video resource `part` asks for (plus kind, etag, id).
json::object with_parts(const json::object& video, const std::vector<std::string>& parts) {
  json::object out{{"kind", "youtube#video"},
                   {"etag", "sandbox-etag-" + string_member(video, "id")},
                   {"id", string_member(video, "id")}};
  for (const auto& part : parts)
    if (const auto* v = video.if_contains(part)) out[part] = *v;
  return out;
}

std::string video_id_for(std::int64_t n) {
  // 11 characters from YouTube's id alphabet, like real ids.
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string id = "sbx";
  std::uint64_t v = static_cast<std::uint64_t>(n) * 2654435761u;
  for (int i = 0; i < 8; ++i) {
    id += kAlphabet[v % 64];
    v /= 64;
  }
  return id;
}

}  // namespace

YoutubeSandbox::YoutubeSandbox(Sandbox& sandbox) : sandbox_(sandbox), config_(sandbox.config().youtube) {
  std::lock_guard lock(mutex_);
  load_state();
}

void YoutubeSandbox::reset() {
  std::lock_guard lock(mutex_);
  load_state();
}

void YoutubeSandbox::load_state() {
  refresh_tokens_.clear();
  access_tokens_.clear();
  videos_.clear();
  video_channel_.clear();
  published_ms_.clear();
  uploads_.clear();
  issued_ = 0;
  for (const auto& channel : config_.channels) {
    for (const auto& token : channel.refresh_tokens) refresh_tokens_[token] = Grant{channel.id, channel.client_id};
    for (const auto& v : channel.videos) {
      json::array tags;
      for (const auto& t : v.tags) tags.emplace_back(t);
      json::object snippet{
          {"publishedAt", "2027-01-01T00:00:00Z"},
          {"channelId", channel.id},
          {"title", v.title},
          {"description", v.description},
          {"thumbnails",
           json::object{{"default", json::object{{"url", "https://i.ytimg.com/vi/" + v.id + "/default.jpg"},
                                                 {"width", 120},
                                                 {"height", 90}}}}},
          {"channelTitle", channel.title},
          {"categoryId", v.category_id},
          {"liveBroadcastContent", "none"},
          {"localized", json::object{{"title", v.title}, {"description", v.description}}}};
      if (!v.tags.empty()) snippet["tags"] = std::move(tags);
      if (!v.default_language.empty()) snippet["defaultLanguage"] = v.default_language;
      json::object status{{"uploadStatus", "processed"},
                          {"privacyStatus", v.privacy},
                          {"license", "youtube"},
                          {"embeddable", true},
                          {"publicStatsViewable", true},
                          {"madeForKids", false},
                          {"selfDeclaredMadeForKids", false}};
      videos_[v.id] = json::object{
          {"kind", "youtube#video"}, {"id", v.id}, {"snippet", std::move(snippet)}, {"status", std::move(status)}};
      video_channel_[v.id] = channel.id;
    }
  }
}

void YoutubeSandbox::install(httplib::Server& server) {
  server.Post(kTokenRoute, [this](const httplib::Request& req, httplib::Response& res) { token(req, res); });
  server.Get(kVideosRoute, [this](const httplib::Request& req, httplib::Response& res) { list(req, res); });
  server.Put(kVideosRoute, [this](const httplib::Request& req, httplib::Response& res) { update(req, res); });
  server.Post(kUploadRoute, [this](const httplib::Request& req, httplib::Response& res) { start_upload(req, res); });
  server.Put(kUploadRoute, [this](const httplib::Request& req, httplib::Response& res) { upload_chunk(req, res); });
}

// Deleted by its owner in YouTube Studio: gone from videos.list.
void YoutubeSandbox::remove_post(const std::string& id) {
  std::lock_guard lock(mutex_);
  videos_.erase(id);
  video_channel_.erase(id);
  published_ms_.erase(id);
}

// POST /token: the refresh-token grant. The client authenticates with
// client_id + client_secret in the body or with HTTP Basic, not both.
void YoutubeSandbox::token(const httplib::Request& req, httplib::Response& res) {
  auto fault = sandbox_.take_fault(req.path, kTokenRoute);
  if (fault && fault->mode == Sandbox::FaultMode::rate_limit) {
    return oauth_error(res, 429, "rate_limit_exceeded", "Rate limit exceeded.");
  }
  if (answer_fault(sandbox_, fault, false, res)) return;
  if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) != 0)
    return oauth_error(res, 400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded.");
  auto form = parse_form(req.body);
  std::string client_id = form["client_id"], client_secret = form["client_secret"];
  if (std::string auth = req.get_header_value("Authorization"); !auth.empty()) {
    auto decoded = auth.rfind("Basic ", 0) == 0 ? base64_decode(auth.substr(6)) : std::nullopt;
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) return oauth_error(res, 401, "invalid_client", "Unauthorized");
    if (!client_secret.empty())
      return oauth_error(res, 400, "invalid_request", "Multiple client authentication methods.");
    std::string basic_id = percent_decode(decoded->substr(0, colon));
    if (!client_id.empty() && client_id != basic_id)
      return oauth_error(res, 400, "invalid_request", "client_id does not match the authenticated client.");
    client_id = basic_id;
    client_secret = percent_decode(decoded->substr(colon + 1));
  }
  if (form["grant_type"] != "refresh_token")
    return oauth_error(res, 400, "unsupported_grant_type", "Invalid grant_type: " + form["grant_type"]);
  auto client = std::find_if(config_.clients.begin(), config_.clients.end(),
                             [&](const auto& c) { return c.client_id == client_id; });
  if (client_id.empty() || client == config_.clients.end())
    return oauth_error(res, 401, "invalid_client", "The OAuth client was not found.");
  if (!equal_constant_time(client->client_secret, client_secret))
    return oauth_error(res, 401, "invalid_client", "Unauthorized");
  const std::string refresh = form["refresh_token"];
  if (refresh.empty()) return oauth_error(res, 400, "invalid_request", "Missing required parameter: refresh_token");

  json::object answer;
  {
    std::lock_guard lock(mutex_);
    auto grant = refresh_tokens_.find(refresh);
    if (grant == refresh_tokens_.end() || grant->second.client_id != client_id)
      return oauth_error(res, 400, "invalid_grant", "Token has been expired or revoked.");
    const Grant owner = grant->second;
    ++issued_;
    const std::string access = "ya29.sandbox-" + std::to_string(issued_) + "-" + std::to_string(sandbox_.now_ms());
    access_tokens_[access] = AccessToken{owner.channel_id, sandbox_.now_ms() + config_.access_token_seconds * 1000LL};
    answer = json::object{{"access_token", access},
                          {"expires_in", config_.access_token_seconds},
                          {"scope", kScope},
                          {"token_type", "Bearer"}};
    if (config_.rotate_refresh_tokens) {
      // The one just used dies; only the new one works from now on.
      refresh_tokens_.erase(grant);
      const std::string next = "1//sandbox-rotated-" + std::to_string(issued_);
      refresh_tokens_[next] = owner;
      answer["refresh_token"] = next;
    }
  }
  res.set_header("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate");
  res.set_header("Pragma", "no-cache");
  send_json(res, 200, json::serialize(answer));
}

// "Authorization: Bearer <token>" with a token this sandbox issued and that
// has not expired by the sandbox clock; the channel it belongs to.
std::optional<std::string> YoutubeSandbox::authenticate(const httplib::Request& req, httplib::Response& res) {
  const std::string header = req.get_header_value("Authorization");
  if (header.rfind("Bearer ", 0) == 0) {
    std::lock_guard lock(mutex_);
    auto it = access_tokens_.find(header.substr(7));
    if (it != access_tokens_.end() && it->second.expires_ms > sandbox_.now_ms()) return it->second.channel_id;
  }
  unauthenticated(res);
  return std::nullopt;
}

// GET /youtube/v3/videos?part=...&id=ID[,ID...]: the caller's own videos in
// any privacy, other channels' only when public.
void YoutubeSandbox::list(const httplib::Request& req, httplib::Response& res) {
  auto channel = authenticate(req, res);
  if (!channel) return;
  auto fault = sandbox_.take_fault("GET " + req.path, std::string("GET ") + kVideosRoute);
  if (answer_fault(sandbox_, fault, false, res)) return;
  if (!req.has_param("part") || req.get_param_value("part").empty())
    return send_json(res, 400, google_error(400, "Required parameter: part", "required", "global", "INVALID_ARGUMENT"));
  if (!req.has_param("id"))
    return send_json(res, 400,
                     google_error(400, "No filter selected. Expected one of: chart, id, myRated",
                                  "missingRequiredParameter", "youtube.parameter", "INVALID_ARGUMENT"));
  const auto parts = split_commas(req.get_param_value("part"));
  json::array items;
  {
    std::lock_guard lock(mutex_);
    for (const auto& id : split_commas(req.get_param_value("id"))) {
      auto it = videos_.find(id);
      if (it == videos_.end()) continue;
      const json::object& status = it->second.at("status").as_object();
      if (video_channel_[id] != *channel && string_member(status, "privacyStatus") != "public") continue;
      json::object item = with_parts(it->second, parts);
      if (std::find(parts.begin(), parts.end(), "statistics") != parts.end()) {
        auto since = published_ms_.find(id);
        const Engagement e =
            since == published_ms_.end() ? Engagement{} : engagement_after(sandbox_.now_ms() - since->second);
        json::object statistics{{"viewCount", std::to_string(e.views)},
                                {"likeCount", std::to_string(e.likes)},
                                {"favoriteCount", "0"},
                                {"commentCount", std::to_string(e.replies)}};
        if (video_channel_[id] == *channel) statistics["dislikeCount"] = "0";
        item["statistics"] = std::move(statistics);
      }
      items.push_back(std::move(item));
    }
  }
  json::object page{{"totalResults", items.size()}, {"resultsPerPage", items.size()}};
  send_json(res, 200,
            json::serialize(json::object{{"kind", "youtube#videoListResponse"},
                                         {"etag", "sandbox-list"},
                                         {"items", std::move(items)},
                                         {"pageInfo", std::move(page)}}));
}

// PUT /youtube/v3/videos?part=snippet,status: replaces every mutable property
// of the named parts with what the body holds (what it leaves out is
// cleared, as the docs warn), keeps what YouTube sets itself.
void YoutubeSandbox::update(const httplib::Request& req, httplib::Response& res) {
  auto channel = authenticate(req, res);
  if (!channel) return;
  auto fault = sandbox_.take_fault(req.path, std::string("PUT ") + kVideosRoute);
  if (answer_fault(sandbox_, fault, false, res)) return;
  const auto parts = split_commas(req.get_param_value("part"));
  if (parts.empty())
    return send_json(res, 400, google_error(400, "Required parameter: part", "required", "global", "INVALID_ARGUMENT"));
  boost::system::error_code ec;
  json::value parsed = json::parse(req.body, ec);
  const json::object* body = ec ? nullptr : parsed.if_object();
  if (!body) return bad_request(res, "parseError", "Parse Error");
  const std::string id = string_member(*body, "id");
  const bool with_snippet = std::find(parts.begin(), parts.end(), "snippet") != parts.end();
  const bool with_status = std::find(parts.begin(), parts.end(), "status") != parts.end();

  json::object snippet, status;
  if (with_snippet) {
    const auto* s = body->if_contains("snippet");
    if (!s || !s->is_object())
      return bad_request(res, "invalidTitle", "The request metadata specifies an invalid or empty video title.");
    snippet = s->as_object();
    if (!snippet.contains("categoryId"))
      return bad_request(res, "invalidCategoryId",
                         "The snippet.categoryId property specifies an invalid category ID. Use the "
                         "videoCategories.list method to retrieve supported categories.");
    if (auto problem = snippet_problem(snippet)) return bad_request(res, problem->first, problem->second);
  }
  if (with_status) {
    if (const auto* s = body->if_contains("status"); s && s->is_object()) status = s->as_object();
    if (status.contains("privacyStatus") && !valid_privacy(string_member(status, "privacyStatus")))
      return bad_request(res, "invalidVideoMetadata", "The request metadata is invalid.");
    if (status.contains("publishAt") && string_member(status, "privacyStatus") != "private")
      return bad_request(res, "invalidPublishAt",
                         "The request metadata specifies an invalid scheduled publishing time.");
  }

  Sandbox::Create create;
  json::object updated;
  {
    std::lock_guard lock(mutex_);
    auto it = videos_.find(id);
    if (it == videos_.end() || video_channel_[id] != *channel) {
      return send_json(res, 404,
                       google_error(404,
                                    "The video that you are trying to update cannot be found. Check the value of "
                                    "the id field in the request body to ensure that it is correct.",
                                    "videoNotFound", "youtube.video", "NOT_FOUND"));
    }
    json::object& video = it->second;
    if (with_snippet) {
      json::object& old = video["snippet"].as_object();
      json::object next;
      for (const char* kept : {"publishedAt", "channelId", "thumbnails", "channelTitle", "liveBroadcastContent"})
        if (const auto* v = old.if_contains(kept)) next[kept] = *v;
      for (const char* writable :
           {"title", "description", "tags", "categoryId", "defaultLanguage", "defaultAudioLanguage"})
        if (const auto* v = snippet.if_contains(writable)) next[writable] = *v;
      if (!next.contains("description")) next["description"] = "";
      next["localized"] = json::object{{"title", next["title"]}, {"description", next["description"]}};
      old = std::move(next);
    }
    if (with_status) {
      json::object& old = video["status"].as_object();
      json::object next{{"uploadStatus", old["uploadStatus"]},
                        {"privacyStatus", "public"},  // the default when left out
                        {"license", "youtube"},
                        {"embeddable", true},
                        {"publicStatsViewable", true},
                        {"madeForKids", old["madeForKids"]},
                        {"selfDeclaredMadeForKids", false}};
      for (const char* writable : {"privacyStatus", "license", "embeddable", "publicStatsViewable", "publishAt",
                                   "selfDeclaredMadeForKids", "containsSyntheticMedia"})
        if (const auto* v = status.if_contains(writable)) next[writable] = *v;
      old = std::move(next);
    }
    updated = with_parts(video, parts);
    const json::object& s = video["snippet"].as_object();
    create.platform = "youtube";
    create.account = *channel;
    create.id = id;
    create.text = string_member(s, "description");
    create.fields = {{"title", string_member(s, "title")},
                     {"privacy", string_member(video["status"].as_object(), "privacyStatus")},
                     {"tags", join_tags(s)},
                     {"categoryId", string_member(s, "categoryId")},
                     {"defaultLanguage", string_member(s, "defaultLanguage")}};
    create.headers["Content-Type"] = req.get_header_value("Content-Type");
    sandbox_.record(create);
    published_ms_.emplace(id, sandbox_.now_ms());
  }
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox_, res, 200, std::chrono::milliseconds(fault->delay_ms));
  send_json(res, 200, json::serialize(updated));
}

// POST /upload/youtube/v3/videos?uploadType=resumable&part=...: opens a
// session for X-Upload-Content-Length bytes; the body is the video resource.
void YoutubeSandbox::start_upload(const httplib::Request& req, httplib::Response& res) {
  auto channel = authenticate(req, res);
  if (!channel) return;
  auto fault = sandbox_.take_fault(req.path, std::string("POST ") + kUploadRoute);
  if (answer_fault(sandbox_, fault, true, res)) return;
  if (req.get_param_value("uploadType") != "resumable")
    return bad_request(res, "badRequest", "herald-sandbox emulates uploadType=resumable only.");
  if (split_commas(req.get_param_value("part")).empty())
    return send_json(res, 400, google_error(400, "Required parameter: part", "required", "global", "INVALID_ARGUMENT"));
  auto size = parse_int(req.get_header_value("X-Upload-Content-Length"));
  if (!size || *size <= 0)
    return bad_request(res, "mediaBodyRequired", "The request does not include the video content.");
  const std::string type = req.get_header_value("X-Upload-Content-Type");
  if (type.rfind("video/", 0) != 0 && type != "application/octet-stream")
    return bad_request(res, "invalidVideoMetadata", "The request metadata is invalid.");
  boost::system::error_code ec;
  json::value parsed = json::parse(req.body, ec);
  const json::object* body = ec ? nullptr : parsed.if_object();
  if (!body) return bad_request(res, "parseError", "Parse Error");
  json::object metadata = *body;
  if (const auto* s = metadata.if_contains("snippet"); !s || !s->is_object()) {
    return bad_request(res, "invalidTitle", "The request metadata specifies an invalid or empty video title.");
  } else if (auto problem = snippet_problem(s->as_object())) {
    return bad_request(res, problem->first, problem->second);
  }
  if (const auto* s = metadata.if_contains("status"); s && s->is_object() && s->as_object().contains("privacyStatus") &&
                                                      !valid_privacy(string_member(s->as_object(), "privacyStatus")))
    return bad_request(res, "invalidVideoMetadata", "The request metadata is invalid.");

  std::string upload_id;
  {
    std::lock_guard lock(mutex_);
    upload_id = "sandbox-upload-" + std::to_string(uploads_.size() + 1) + "-" + std::to_string(sandbox_.now_ms());
    Upload upload;
    upload.channel_id = *channel;
    upload.metadata = std::move(metadata);
    upload.size = static_cast<std::uint64_t>(*size);
    uploads_[upload_id] = std::move(upload);
  }
  res.set_header("Location", "http://" + req.get_header_value("Host") + kUploadRoute +
                                 "?uploadType=resumable&upload_id=" + upload_id);
  res.status = 200;
}

// PUT to a session URI: a chunk ("Content-Range: bytes A-B/SIZE" with the
// bytes) or a status query ("bytes */SIZE", empty). The session URI is the
// credential here; a Bearer token, when sent, must still be valid.
void YoutubeSandbox::upload_chunk(const httplib::Request& req, httplib::Response& res) {
  if (req.has_header("Authorization") && !authenticate(req, res)) return;
  const std::string upload_id = req.get_param_value("upload_id");
  const std::string range = req.get_header_value("Content-Range");
  std::uint64_t first = 0, last = 0, total = 0;
  bool query = false;
  {
    unsigned long long a = 0, b = 0, t = 0;
    int used = 0;
    if (std::sscanf(range.c_str(), "bytes */%llu%n", &t, &used) == 1 &&
        static_cast<std::size_t>(used) == range.size()) {
      query = true;
    } else if (std::sscanf(range.c_str(), "bytes %llu-%llu/%llu%n", &a, &b, &t, &used) == 3 &&
               static_cast<std::size_t>(used) == range.size() && a <= b) {
      first = a;
      last = b;
    } else {
      return bad_request(res, "badContent", "Failed to parse Content-Range header.");
    }
    total = t;
  }
  std::optional<Sandbox::Fault> fault;
  {
    std::lock_guard lock(mutex_);
    auto it = uploads_.find(upload_id);
    const bool final_chunk = it != uploads_.end() && !query && it->second.video_id.empty() &&
                             last + 1 == it->second.size && first <= it->second.received;
    if (final_chunk)
      fault = sandbox_.take_fault(std::string("PUT ") + kUploadRoute + "#final",
                                  std::string("PUT ") + kUploadRoute + "#final");
  }
  if (!fault) fault = sandbox_.take_fault(std::string("PUT ") + kUploadRoute, std::string("PUT ") + kUploadRoute);
  if (answer_fault(sandbox_, fault, true, res)) return;

  Sandbox::Create create;
  json::object video;
  bool completed_now = false;
  {
    std::lock_guard lock(mutex_);
    auto it = uploads_.find(upload_id);
    if (it == uploads_.end())
      return send_json(res, 404, google_error(404, "Not Found", "notFound", "global", "NOT_FOUND"));
    Upload& upload = it->second;
    if (total != upload.size)
      return bad_request(res, "badContent", "Content-Range total does not match X-Upload-Content-Length.");
    if (!query) {
      if (req.body.size() != last - first + 1)
        return bad_request(res, "badContent", "Content-Range does not match the request body length.");
      upload.bytes_received += req.body.size();
      // Bytes already held are accepted again and ignored; a gap is not taken.
      if (upload.video_id.empty() && first <= upload.received && last + 1 > upload.received) upload.received = last + 1;
      if (upload.video_id.empty() && upload.received == upload.size) {
        ++issued_;
        upload.video_id = video_id_for(issued_ + static_cast<std::int64_t>(videos_.size()));
        json::object snippet = upload.metadata["snippet"].as_object();
        if (!snippet.contains("categoryId")) snippet["categoryId"] = "22";
        if (!snippet.contains("description")) snippet["description"] = "";
        snippet["channelId"] = upload.channel_id;
        snippet["publishedAt"] = "2027-01-01T00:00:00Z";
        json::object status{{"uploadStatus", "uploaded"}, {"privacyStatus", "public"},   {"license", "youtube"},
                            {"embeddable", true},         {"publicStatsViewable", true}, {"madeForKids", false}};
        if (const auto* s = upload.metadata.if_contains("status"); s && s->is_object())
          for (const auto& [name, value] : s->as_object()) status[name] = value;
        videos_[upload.video_id] = json::object{{"kind", "youtube#video"},
                                                {"id", upload.video_id},
                                                {"snippet", std::move(snippet)},
                                                {"status", std::move(status)}};
        video_channel_[upload.video_id] = upload.channel_id;
        completed_now = true;
        const json::object& s = videos_[upload.video_id]["snippet"].as_object();
        create.platform = "youtube";
        create.account = upload.channel_id;
        create.id = upload.video_id;
        create.text = string_member(s, "description");
        create.fields = {{"title", string_member(s, "title")},
                         {"privacy", string_member(videos_[upload.video_id]["status"].as_object(), "privacyStatus")},
                         {"tags", join_tags(s)},
                         {"categoryId", string_member(s, "categoryId")},
                         {"upload", "resumable"},
                         {"size", std::to_string(upload.size)},
                         {"bytes_received", std::to_string(upload.bytes_received)}};
        create.headers["Content-Type"] = req.get_header_value("Content-Type");
        sandbox_.record(create);
        published_ms_.emplace(upload.video_id, sandbox_.now_ms());
      }
    }
    if (!upload.video_id.empty()) {
      video = videos_[upload.video_id];
    } else if (upload.received > 0) {
      res.set_header("Range", "bytes=0-" + std::to_string(upload.received - 1));
    }
  }
  // The bytes are stored either way; only the answer is lost.
  if (!query && fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox_, res, video.empty() ? 308 : 201, std::chrono::milliseconds(fault->delay_ms));
  if (video.empty()) {
    res.status = 308;  // Resume Incomplete
    return;
  }
  send_json(res, completed_now ? 201 : 200, json::serialize(video));
}

YoutubeSandboxConfig load_youtube_sandbox_config(const YAML::Node& node, const std::string& file) {
  YoutubeSandboxConfig config;
  reject_unknown_keys(node, {"rotate_refresh_tokens", "access_token_seconds", "clients", "channels"}, file);
  if (node["rotate_refresh_tokens"]) config.rotate_refresh_tokens = node["rotate_refresh_tokens"].as<bool>();
  if (node["access_token_seconds"]) config.access_token_seconds = node["access_token_seconds"].as<int>();
  for (const auto& c : node["clients"]) {
    reject_unknown_keys(c, {"client_id", "client_secret"}, file);
    config.clients.push_back({c["client_id"].as<std::string>(), c["client_secret"].as<std::string>()});
  }
  for (const auto& c : node["channels"]) {
    reject_unknown_keys(c, {"id", "title", "client_id", "refresh_tokens", "videos"}, file);
    YoutubeSandboxConfig::Channel channel;
    channel.id = c["id"].as<std::string>();
    channel.title = c["title"] ? c["title"].as<std::string>() : channel.id;
    channel.client_id = c["client_id"].as<std::string>();
    if (std::none_of(config.clients.begin(), config.clients.end(),
                     [&](const auto& client) { return client.client_id == channel.client_id; }))
      config_error(c["client_id"], file, "client_id '" + channel.client_id + "' is not among youtube.clients");
    for (const auto& t : c["refresh_tokens"]) channel.refresh_tokens.push_back(t.as<std::string>());
    for (const auto& v : c["videos"]) {
      reject_unknown_keys(v, {"id", "title", "description", "tags", "category_id", "default_language", "privacy"},
                          file);
      YoutubeSandboxConfig::Video video;
      video.id = v["id"].as<std::string>();
      video.title = v["title"].as<std::string>();
      if (v["description"]) video.description = v["description"].as<std::string>();
      for (const auto& t : v["tags"]) video.tags.push_back(t.as<std::string>());
      if (v["category_id"]) video.category_id = v["category_id"].as<std::string>();
      if (v["default_language"]) video.default_language = v["default_language"].as<std::string>();
      if (v["privacy"]) video.privacy = v["privacy"].as<std::string>();
      if (!valid_privacy(video.privacy))
        config_error(v["privacy"], file, "privacy must be public, unlisted or private");
      channel.videos.push_back(std::move(video));
    }
    config.channels.push_back(std::move(channel));
  }
  return config;
}

}  // namespace herald
