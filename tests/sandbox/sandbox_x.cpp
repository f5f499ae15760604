#include "tests/sandbox/sandbox_x.hpp"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "compose/composer.hpp"
#include "connectors/oauth1.hpp"
#include "config/text.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"
#include "tests/sandbox/sandbox_util.hpp"

// Sources for the emulated X behaviour (checked 2025):
// - Create post, request and 201 response {"data":{"id","text"}}:
//   https://docs.x.com/x-api/posts/creation-of-a-post and
//   https://docs.x.com/x-api/posts/manage-tweets/quickstart
// - Rate-limit headers x-rate-limit-limit/-remaining/-reset (Unix seconds) on
//   every response, 15-minute windows, 429 when exceeded:
//   https://docs.x.com/fundamentals/rate-limits
// - A reply (reply.in_reply_to_tweet_id, https://docs.x.com/x-api/posts/creation-of-a-post)
//   to a post that is deleted or not visible: 403 "You attempted to reply to
//   a Tweet that is deleted or not visible to you." (code 385 in v1.1; as
//   clients report it, github.com/plhery/node-twitter-api-v2/issues/366).
//   tweet.fields=referenced_tweets gives a reply's [{"type":"replied_to",
//   "id"}] (https://docs.x.com/x-api/fundamentals/data-dictionary, Tweet
//   object), on the timeline as on the lookup; so do in_reply_to_user_id
//   and conversation_id.
// - Duplicate text: 403 {"detail":"You are not allowed to create a Tweet with
//   duplicate content.","type":"about:blank","title":"Forbidden","status":403}
//   as reported from the live API in https://github.com/akrherz/iembot/issues/163
//   and https://github.com/sferik/x-ruby/issues/24 (the docs do not print it).
// - User post timeline, {"data":[...],"meta":{"result_count","newest_id",
//   "oldest_id"}}: https://docs.x.com/x-api/posts/timelines/quickstart/reverse-chron-quickstart
//   (same response shape as GET /2/users/:id/tweets).
// - Post lookup, GET /2/tweets?ids=ID[,ID...] (1 to 100 ids) with
//   tweet.fields, answering {"data":[{"id","text","edit_history_tweet_ids",
//   ...}]}; an id X does not have (never made, or deleted) is an entry of
//   `errors` {"value","detail":"Could not find tweet with ids: [ID].",
//   "title":"Not Found Error","resource_type":"tweet","parameter":"ids",
//   "resource_id","type":".../resource-not-found"} beside `data`, and with
//   none found the 200 has `errors` only:
//   https://docs.x.com/x-api/posts/post-lookup-by-post-ids ; 900 requests
//   per 15 minutes per user. public_metrics {retweet_count, reply_count,
//   like_count, quote_count, bookmark_count, impression_count}:
//   https://developer.x.com/en/docs/x-api/metrics and
//   https://docs.x.com/x-api/fundamentals/metrics . The sandbox's counters
//   grow with the post's age on its clock (sandbox_engagement).
// - Media upload. The v2 API reference documents dedicated endpoints, and
//   these are what the sandbox (and the connector) use:
//   POST /2/media/upload/initialize (JSON media_type, total_bytes,
//   media_category in amplify_video|tweet_gif|tweet_image|tweet_video):
//   https://docs.x.com/x-api/media/initialize-media-upload ;
//   POST /2/media/upload/{id}/append (segment_index, media):
//   https://docs.x.com/x-api/media/append-media-upload ;
//   POST /2/media/upload/{id}/finalize:
//   https://docs.x.com/x-api/media/finalize-media-upload ;
//   GET /2/media/upload?command=STATUS&media_id=..., answering
//   {"data":{"id","media_key","expires_after_secs","size","processing_info":
//   {"state","check_after_secs","progress_percent"}}}:
//   https://docs.x.com/x-api/media/get-media-upload-status . The official
//   sample moved to these endpoints in August 2025 (JSON initialize,
//   multipart append): https://github.com/xdevplatform/samples/pull/199 .
//   The quickstart https://docs.x.com/x-api/media/quickstart/media-upload-chunked
//   still shows the older single POST /2/media/upload with command=INIT|
//   APPEND|FINALIZE form fields; the sandbox does not emulate that form.
// - Segments: multipart/form-data, each <= 5 MB, segment_index 0-999 in
//   order; "Segments do not add up to provided total file size." and "File
//   size exceeds N bytes." are X's words for a wrong total and an oversized
//   file; processing_info states pending -> in_progress -> succeeded|failed,
//   a failure carrying error {"code":1,"name":"InvalidMedia","message":
//   "Unsupported video format"}: the v1.1 references
//   https://developer.x.com/en/docs/twitter-api/v1/media/upload-media/api-reference/post-media-upload-append
//   and .../get-media-upload-status (same flow on v2).
// - Size limits (image 5 MB, GIF 15 MB, video 512 MB) and up to 4 photos or
//   1 GIF or 1 video per post: https://docs.x.com/x-api/media and
//   https://docs.x.com/x-api/media/quickstart/best-practices . A media id the
//   API did not issue, or that is not processed yet, makes POST /2/tweets a
//   400 invalid request ("Your media IDs are invalid.", X's words as clients
//   report them; the docs say only that such ids are rejected).
// - OAuth 2.0 user context (Authorization Code with PKCE): POST
//   /2/oauth2/token, form-urlencoded grant_type=refresh_token, refresh_token,
//   client_id; a confidential client authenticates with HTTP Basic
//   base64(client_id:client_secret); the answer {"token_type":"bearer",
//   "expires_in":7200,"access_token","scope","refresh_token"}; access tokens
//   last two hours; refresh tokens need offline.access; then
//   "Authorization: Bearer <user access token>" on the v2 endpoints:
//   https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code
//   and https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token .
//   X rotates: each refresh answers a new refresh token and the spent one
//   stops working. X's refusals, as its clients report them (the docs do not
//   print them): a spent or unknown refresh token is 400 {"error":
//   "invalid_request","error_description":"Value passed for the token was
//   invalid."} (https://github.com/plhery/node-twitter-api-v2/issues/496 and
//   the same words quoted by many X clients); a confidential client without
//   a valid Basic header is 401 {"error":"unauthorized_client",
//   "error_description":"Missing valid authorization header"}
//   (https://github.com/unasuke/omniauth-twitter2/issues/4,
//   https://github.com/tweepy/tweepy/issues/2035); missing parameters are
//   400 invalid_request "Missing required parameter [name].". Not seen
//   reported, so RFC 6749 5.2 codes: an unknown client is 401
//   invalid_client, a refresh token of another client is 400 invalid_grant,
//   another grant type is 400 unsupported_grant_type.

namespace herald {
namespace json = boost::json;

namespace {

constexpr std::string_view kCreateRoute = "/2/tweets";
constexpr std::string_view kTimelineRoute = "/2/users/:id/tweets";
constexpr std::string_view kInitializeRoute = "/2/media/upload/initialize";
constexpr std::string_view kAppendRoute = "/2/media/upload/:id/append";
constexpr std::string_view kFinalizeRoute = "/2/media/upload/:id/finalize";
constexpr std::string_view kStatusRoute = "/2/media/upload";
constexpr std::int64_t kMB = 1024 * 1024;
constexpr std::int64_t kMediaLifetimeS = 86400;  // expires_after_secs of a fresh upload
constexpr std::int64_t kTwitterEpochMs = 1288834974657;  // snowflake ids count from here
constexpr std::string_view kTokenRoute = "/2/oauth2/token";
constexpr int kTokenLimit = 1000;  // x-rate-limit-limit an injected 429 at the token endpoint reports
constexpr std::string_view kScopes = "tweet.read tweet.write users.read offline.access media.write";

std::string problem(std::string_view title, int status, std::string_view detail,
                    std::string_view type = "about:blank") {
  return json::serialize(json::object{{"title", title}, {"type", type}, {"status", status}, {"detail", detail}});
}

void unauthorized(httplib::Response& res) { send_json(res, 401, problem("Unauthorized", 401, "Unauthorized")); }

void invalid_request(httplib::Response& res, std::string_view message) {
  // X's "invalid request" problem: a 400 with the offending parameter listed.
  json::object body{{"errors", json::array{json::object{{"message", message}}}},
                    {"title", "Invalid Request"},
                    {"detail", "One or more parameters to your request was invalid."},
                    {"type", "https://api.twitter.com/2/problems/invalid-request"}};
  send_json(res, 400, json::serialize(body));
}

void invalid_media_ids(httplib::Response& res, const std::string& id) {
  json::object error{{"parameters", json::object{{"media.media_ids", json::array{json::value(id)}}}},
                     {"message", "Your media IDs are invalid."}};
  json::object body{{"errors", json::array{error}},
                    {"title", "Invalid Request"},
                    {"detail", "One or more parameters to your request was invalid."},
                    {"type", "https://api.twitter.com/2/problems/invalid-request"}};
  send_json(res, 400, json::serialize(body));
}

// An OAuth 2.0 token endpoint refusal (RFC 6749 5.2), in X's shape.
void oauth_error(httplib::Response& res, int status, std::string_view error, std::string_view description) {
  res.set_header("Cache-Control", "no-store");
  send_json(res, status, json::serialize(json::object{{"error", error}, {"error_description", description}}));
}

bool is_video(std::string_view category) { return category == "tweet_video" || category == "amplify_video"; }

// The link X appends to the text of a post with media ("https://t.co/..."),
// made from the post id so it is stable.
std::string media_link(const std::string& post_id) {
  std::string code;
  std::uint64_t n = std::stoull(post_id);
  while (n != 0 && code.size() < 10) {
    code += "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[n % 62];
    n /= 62;
  }
  return "https://t.co/" + code;
}

std::string displayed_text(const Sandbox::Create& create) {
  if (create.media_ids.empty()) return create.text;
  return (create.text.empty() ? "" : create.text + " ") + media_link(create.id);
}

// Answers for an injected fault that ends the request here (delay, 429, 500);
// false when there is none, or the fault (drop_after_create) acts later.
bool answer_fault(Sandbox& sandbox, const std::optional<Sandbox::Fault>& fault, int limit, httplib::Response& res) {
  if (!fault) return false;
  using Mode = Sandbox::FaultMode;
  if (fault->mode == Mode::delay && !sandbox.hold(std::chrono::milliseconds(fault->delay_ms))) {
    send_json(res, 503, problem("Service Unavailable", 503, "Service Unavailable"));
    return true;
  }
  if (fault->mode == Mode::rate_limit) {
    res.set_header("x-rate-limit-limit", std::to_string(limit));
    res.set_header("x-rate-limit-remaining", "0");
    res.set_header("x-rate-limit-reset", std::to_string(sandbox.now_ms() / 1000 + fault->reset_in));
    send_json(res, 429, problem("Too Many Requests", 429, "Too Many Requests"));
    return true;
  }
  if (fault->mode == Mode::server_error) {
    send_json(res, 500, problem("Internal Server Error", 500, "Internal Server Error"));
    return true;
  }
  return false;
}

// A post as X answers it: id and text, and of the fields asked for those
// that say what it replies to.
json::object post_json(const Sandbox::Create& post, const std::vector<Sandbox::Create>& creates,
                       const std::set<std::string>& fields) {
  json::object out{{"id", post.id}, {"text", displayed_text(post)}};
  if (post.in_reply_to.empty()) {
    if (fields.contains("conversation_id")) out["conversation_id"] = post.id;
    return out;
  }
  if (fields.contains("conversation_id")) out["conversation_id"] = post.in_reply_to;
  if (fields.contains("referenced_tweets"))
    out["referenced_tweets"] = json::array{json::object{{"type", "replied_to"}, {"id", post.in_reply_to}}};
  if (fields.contains("in_reply_to_user_id")) {
    for (const auto& c : creates)
      if (c.platform == "x" && c.id == post.in_reply_to) out["in_reply_to_user_id"] = c.account;
  }
  return out;
}

}  // namespace

std::optional<std::map<std::string, std::string>> parse_oauth_header(std::string_view header) {
  if (!header.starts_with("OAuth ")) return std::nullopt;
  header.remove_prefix(6);
  std::map<std::string, std::string> params;
  while (!header.empty()) {
    while (!header.empty() && (header.front() == ' ' || header.front() == ',')) header.remove_prefix(1);
    if (header.empty()) break;
    auto eq = header.find('=');
    if (eq == std::string_view::npos || eq + 1 >= header.size() || header[eq + 1] != '"') return std::nullopt;
    std::string name(header.substr(0, eq));
    header.remove_prefix(eq + 2);
    auto close = header.find('"');
    if (close == std::string_view::npos) return std::nullopt;
    params[percent_decode(name)] = percent_decode(header.substr(0, close));
    header.remove_prefix(close + 1);
  }
  return params;
}

XSandbox::XSandbox(Sandbox& sandbox) : sandbox_(sandbox), config_(sandbox.config().x) {
  std::lock_guard lock(mutex_);
  load_grants_locked();
}

// The configured refresh tokens live again; issued access tokens are gone.
void XSandbox::load_grants_locked() {
  refresh_tokens_.clear();
  access_tokens_.clear();
  for (const auto& account : config_.accounts)
    for (const auto& token : account.refresh_tokens) refresh_tokens_[token] = Grant{account.user_id, account.oauth2_client_id};
}

void XSandbox::install(httplib::Server& server) {
  server.Post(std::string(kCreateRoute),
              [this](const httplib::Request& req, httplib::Response& res) { create(req, res); });
  server.Get(std::string(kCreateRoute),
             [this](const httplib::Request& req, httplib::Response& res) { lookup(req, res); });
  server.Get(R"(/2/users/([^/]+)/tweets)",
             [this](const httplib::Request& req, httplib::Response& res) { timeline(req, res); });
  server.Post(std::string(kInitializeRoute),
              [this](const httplib::Request& req, httplib::Response& res) { media_initialize(req, res); });
  server.Post(R"(/2/media/upload/([^/]+)/append)",
              [this](const httplib::Request& req, httplib::Response& res) { media_append(req, res); });
  server.Post(R"(/2/media/upload/([^/]+)/finalize)",
              [this](const httplib::Request& req, httplib::Response& res) { media_finalize(req, res); });
  server.Get(std::string(kStatusRoute),
             [this](const httplib::Request& req, httplib::Response& res) { media_status(req, res); });
  server.Post(std::string(kTokenRoute),
              [this](const httplib::Request& req, httplib::Response& res) { token(req, res); });
  server.Get("/_sandbox/x/media",
             [this](const httplib::Request& req, httplib::Response& res) { media_list(req, res); });
}

void XSandbox::reset() {
  std::lock_guard lock(mutex_);
  nonces_.clear();
  windows_.clear();
  media_.clear();
  posted_.clear();
  load_grants_locked();
  issued_ = 0;
  last_id_ = 0;
}

// Snowflake-shaped ids: milliseconds since the Twitter epoch in the high
// bits, so they have 19 digits today and grow with time. Posts and media
// share the sequence, as on X.
std::string XSandbox::next_id_locked() {
  std::int64_t id = std::max<std::int64_t>(sandbox_.now_ms() - kTwitterEpochMs, 0) << 22;
  id = std::max({id, last_id_ + 1, std::int64_t{1'000'000'000'000'000'000}});
  last_id_ = id;
  return std::to_string(id);
}

// OAuth 1.0a user context, checked as X does: a known consumer key and access
// token, HMAC-SHA1, a timestamp near now, an unused nonce, and a signature over
// the method, the URL the client used (query included) and the oauth_*
// parameters. The JSON body is not signed.
std::optional<XSandbox::Caller> XSandbox::authenticate(const httplib::Request& req, httplib::Response& res) {
  const std::string header = req.get_header_value("Authorization");
  if (header.starts_with("Bearer ")) return authenticate_bearer(std::string_view(header).substr(7), res);
  auto params = parse_oauth_header(header);
  if (!params) {
    unauthorized(res);
    return std::nullopt;
  }
  auto field = [&](const char* name) -> std::string {
    auto it = params->find(name);
    return it == params->end() ? std::string() : it->second;
  };
  auto account = std::find_if(config_.accounts.begin(), config_.accounts.end(), [&](const Account& a) {
    return a.consumer_key == field("oauth_consumer_key") && a.access_token == field("oauth_token");
  });
  auto timestamp = parse_int(field("oauth_timestamp"));
  auto skew_ms = std::chrono::duration_cast<std::chrono::milliseconds>(sandbox_.config().max_clock_skew).count();
  if (account == config_.accounts.end() || field("oauth_signature_method") != "HMAC-SHA1" || !timestamp ||
      std::llabs(*timestamp * 1000 - sandbox_.now_ms()) > skew_ms || field("oauth_nonce").empty()) {
    unauthorized(res);
    return std::nullopt;
  }
  Params signed_params;
  for (const auto& [name, value] : *params)
    if (name != "oauth_signature" && name != "realm") signed_params.emplace_back(name, value);
  std::string url = "http://" + req.get_header_value("Host") + req.target;
  std::string expected = hmac_sha1_signature(signature_base_string(req.method, url, signed_params),
                                             Secret(account->consumer_secret), Secret(account->access_token_secret));
  if (!equal_constant_time(expected, field("oauth_signature"))) {
    unauthorized(res);
    return std::nullopt;
  }
  std::lock_guard lock(mutex_);
  if (!nonces_.insert(account->consumer_key + '\n' + field("oauth_timestamp") + '\n' + field("oauth_nonce")).second) {
    unauthorized(res);  // a replayed request
    return std::nullopt;
  }
  return Caller{*account, "oauth1"};
}

// OAuth 2.0 user context: an access token the token endpoint issued, not
// expired by the sandbox clock. Anything else is X's plain 401.
std::optional<XSandbox::Caller> XSandbox::authenticate_bearer(std::string_view token, httplib::Response& res) {
  std::string user_id;
  {
    std::lock_guard lock(mutex_);
    auto it = access_tokens_.find(std::string(token));
    if (it != access_tokens_.end() && it->second.expires_ms > sandbox_.now_ms()) user_id = it->second.user_id;
  }
  auto account = std::find_if(config_.accounts.begin(), config_.accounts.end(),
                              [&](const Account& a) { return !user_id.empty() && a.user_id == user_id; });
  if (account == config_.accounts.end()) {
    unauthorized(res);
    return std::nullopt;
  }
  return Caller{*account, "oauth2"};
}

// POST /2/oauth2/token: the refresh-token grant. A confidential client
// authenticates with HTTP Basic, a public one names itself in client_id.
// Every refresh rotates: the spent refresh token dies, a new one comes back.
void XSandbox::token(const httplib::Request& req, httplib::Response& res) {
  auto fault = sandbox_.take_fault(req.path, std::string(kTokenRoute));
  if (answer_fault(sandbox_, fault, kTokenLimit, res)) return;
  if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) != 0)
    return oauth_error(res, 400, "invalid_request", "Missing required parameter [grant_type].");
  // httplib has parsed the form body into the parameters.
  auto param = [&](const char* name) { return req.has_param(name) ? req.get_param_value(name) : std::string(); };
  const std::string grant_type = param("grant_type");
  if (grant_type.empty()) return oauth_error(res, 400, "invalid_request", "Missing required parameter [grant_type].");
  if (grant_type != "refresh_token")
    return oauth_error(res, 400, "unsupported_grant_type", "Value passed for the grant type was not supported.");

  std::string client_id = param("client_id");
  std::string basic_secret;
  const bool basic = req.has_header("Authorization");
  if (basic) {
    const std::string header = req.get_header_value("Authorization");
    auto decoded = header.starts_with("Basic ") ? base64_decode(std::string_view(header).substr(6)) : std::nullopt;
    const auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos)
      return oauth_error(res, 401, "unauthorized_client", "Missing valid authorization header");
    const std::string basic_id = percent_decode(decoded->substr(0, colon));
    if (!client_id.empty() && client_id != basic_id)
      return oauth_error(res, 400, "invalid_request", "Value passed for client_id did not match the authorization header.");
    client_id = basic_id;
    basic_secret = percent_decode(decoded->substr(colon + 1));
  }
  if (client_id.empty()) return oauth_error(res, 400, "invalid_request", "Missing required parameter [client_id].");
  auto client = std::find_if(config_.oauth2_clients.begin(), config_.oauth2_clients.end(),
                             [&](const XSandboxConfig::OAuth2Client& c) { return c.client_id == client_id; });
  if (client == config_.oauth2_clients.end())
    return oauth_error(res, 401, "invalid_client", "Client authentication failed.");
  const bool confidential = !client->client_secret.empty();
  if (confidential && (!basic || !equal_constant_time(client->client_secret, basic_secret)))
    return oauth_error(res, 401, "unauthorized_client", "Missing valid authorization header");
  const std::string refresh = param("refresh_token");
  if (refresh.empty()) return oauth_error(res, 400, "invalid_request", "Missing required parameter [refresh_token].");

  json::object answer;
  {
    std::lock_guard lock(mutex_);
    auto grant = refresh_tokens_.find(refresh);
    if (grant == refresh_tokens_.end())
      return oauth_error(res, 400, "invalid_request", "Value passed for the token was invalid.");
    if (grant->second.client_id != client_id)
      return oauth_error(res, 400, "invalid_grant", "The refresh token was issued to another client.");
    const Grant owner = grant->second;
    refresh_tokens_.erase(grant);  // spent: only the new one works from now on
    ++issued_;
    const std::string stamp = std::to_string(issued_) + "-" + std::to_string(sandbox_.now_ms());
    const std::string access = "sandbox-x-access-" + stamp;
    const std::string next = "sandbox-x-refresh-" + stamp;
    access_tokens_[access] = Bearer{owner.user_id, sandbox_.now_ms() + config_.access_token_seconds * 1000LL};
    refresh_tokens_[next] = owner;
    answer = json::object{{"token_type", "bearer"},
                          {"expires_in", config_.access_token_seconds},
                          {"access_token", access},
                          {"scope", kScopes},
                          {"refresh_token", next}};
  }
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create) {
    // Rotated, and the answer lost: the client's refresh token is dead now,
    // as it would be on X.
    return drop_response(sandbox_, res, 200, std::chrono::milliseconds(fault->delay_ms));
  }
  res.set_header("Cache-Control", "no-store");
  send_json(res, 200, json::serialize(answer));
}

// Counts the request against the account's window for this route and sets
// the three x-rate-limit-* headers; answers 429 when the window is spent.
bool XSandbox::rate_limited(const Account& account, const std::string& route, int limit, httplib::Response& res) {
  std::int64_t now_s = sandbox_.now_ms() / 1000;
  Window window;
  {
    std::lock_guard lock(mutex_);
    auto& w = windows_[account.user_id + ' ' + route];
    if (w.reset_s <= now_s) w = Window{now_s + config_.rate_window.count(), 0};
    if (w.used < limit) ++w.used;
    else w.used = limit + 1;
    window = w;
  }
  res.set_header("x-rate-limit-limit", std::to_string(limit));
  res.set_header("x-rate-limit-remaining", std::to_string(std::max(0, limit - window.used)));
  res.set_header("x-rate-limit-reset", std::to_string(window.reset_s));
  if (window.used <= limit) return false;
  send_json(res, 429, problem("Too Many Requests", 429, "Too Many Requests"));
  return true;
}

// POST /2/tweets: auth, injected faults, the rate-limit window, body checks
// (text length, duplicate), then record and answer 201 unless the fault says
// to drop the answer.
void XSandbox::create(const httplib::Request& req, httplib::Response& res) {
  auto account = authenticate(req, res);
  if (!account) return;
  auto fault = sandbox_.take_fault(req.path, std::string(kCreateRoute));
  if (answer_fault(sandbox_, fault, config_.create_limit, res)) return;
  if (rate_limited(*account, std::string(kCreateRoute), config_.create_limit, res)) return;

  boost::system::error_code ec;
  json::value body = json::parse(req.body, ec);
  const json::object* object = ec ? nullptr : body.if_object();
  if (!object) return invalid_request(res, "The request body is not a JSON object.");
  Sandbox::Create create;
  create.platform = "x";
  create.account = account->user_id;
  create.fields["auth"] = account->auth;
  if (const json::value* text = object->if_contains("text")) {
    if (!text->is_string()) return invalid_request(res, "$.text: expected a string");
    create.text = std::string(text->as_string());
  }
  if (const json::value* reply = object->if_contains("reply")) {
    const json::value* to = reply->is_object() ? reply->as_object().if_contains("in_reply_to_tweet_id") : nullptr;
    if (!to || !to->is_string()) return invalid_request(res, "$.reply.in_reply_to_tweet_id: expected a string");
    create.in_reply_to = std::string(to->as_string());
  }
  if (const json::value* media = object->if_contains("media")) {
    const json::value* ids = media->is_object() ? media->as_object().if_contains("media_ids") : nullptr;
    if (!ids || !ids->is_array() || ids->as_array().empty() || ids->as_array().size() > 4)
      return invalid_request(res, "$.media.media_ids: expected 1 to 4 ids");
    for (const auto& id : ids->as_array()) {
      if (!id.is_string()) return invalid_request(res, "$.media.media_ids: expected strings");
      create.media_ids.emplace_back(id.as_string());
    }
  }
  if (create.text.empty() && create.media_ids.empty())
    return invalid_request(res, "Either text or media must be present.");
  if (tweet_weighted_length(create.text) > 280) return invalid_request(res, "$.text: longer than 280 characters");
  for (const char* name : {"Content-Type", "User-Agent", "Idempotency-Key", "X-Herald-Key"})
    if (req.has_header(name)) create.headers[name] = req.get_header_value(name);
  {
    std::lock_guard lock(mutex_);  // the duplicate check and the record, as one step
    if (!create.in_reply_to.empty()) {
      const auto creates = sandbox_.creates();
      const bool there = std::any_of(creates.begin(), creates.end(), [&](const Sandbox::Create& c) {
        return c.platform == "x" && c.id == create.in_reply_to && !c.fields.contains("deleted");
      });
      if (!there) {
        send_json(res, 403,
                  problem("Forbidden", 403, "You attempted to reply to a Tweet that is deleted or not visible to you."));
        return;
      }
    }
    if (create.media_ids.empty() && !create.text.empty() && posted_.count({create.account, create.text})) {
      send_json(res, 403, problem("Forbidden", 403, "You are not allowed to create a Tweet with duplicate content."));
      return;
    }
    // Only media this account uploaded and X finished processing, unexpired;
    // a video or GIF goes alone.
    for (const std::string& id : create.media_ids) {
      auto it = media_.find(id);
      if (it == media_.end() || it->second.account != account->user_id ||
          it->second.state != Media::State::succeeded || it->second.expires_at_ms <= sandbox_.now_ms() ||
          (create.media_ids.size() > 1 && it->second.category != "tweet_image")) {
        return invalid_media_ids(res, id);
      }
    }
    create.at_ms = sandbox_.now_ms();
    create.id = next_id_locked();
    sandbox_.record(create);
    posted_.emplace(create.account, create.text);
  }
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox_, res, 201, std::chrono::milliseconds(fault->delay_ms));
  send_json(res, 201,
            json::serialize(json::object{{"data", json::object{{"id", create.id}, {"text", displayed_text(create)}}}}));
}

// GET /2/users/:id/tweets: the account's recent posts, newest first.
void XSandbox::timeline(const httplib::Request& req, httplib::Response& res) {
  auto account = authenticate(req, res);
  if (!account) return;
  auto fault = sandbox_.take_fault(req.path, std::string(kTimelineRoute));
  if (answer_fault(sandbox_, fault, config_.timeline_limit, res)) return;
  if (rate_limited(*account, std::string(kTimelineRoute), config_.timeline_limit, res)) return;

  std::string user_id = req.matches[1];
  std::int64_t max_results = 10;  // X's default
  if (req.has_param("max_results")) {
    auto parsed = parse_int(req.get_param_value("max_results"));
    if (!parsed || *parsed < 5 || *parsed > 100)
      return invalid_request(res, "The `max_results` query parameter value is not between 5 and 100");
    max_results = *parsed;
  }
  const std::string fields_param = req.get_param_value("tweet.fields");  // outlives split's views
  std::set<std::string> fields;
  for (std::string_view field : split(fields_param, ','))
    if (!field.empty()) fields.emplace(field);
  bool known = std::any_of(config_.accounts.begin(), config_.accounts.end(),
                           [&](const Account& a) { return a.user_id == user_id; });
  if (!known) {
    json::object error{{"value", user_id},
                       {"detail", "Could not find user with id: [" + user_id + "]."},
                       {"title", "Not Found Error"},
                       {"resource_type", "user"},
                       {"parameter", "id"},
                       {"resource_id", user_id},
                       {"type", "https://api.twitter.com/2/problems/resource-not-found"}};
    send_json(res, 200, json::serialize(json::object{{"errors", json::array{error}}}));
    return;
  }
  json::array data;
  auto creates = sandbox_.creates();
  for (auto it = creates.rbegin(); it != creates.rend() && std::ssize(data) < max_results; ++it)
    if (it->platform == "x" && it->account == user_id && !it->fields.contains("deleted"))
      data.push_back(post_json(*it, creates, fields));
  json::object meta{{"result_count", data.size()}};
  json::object body;
  if (!data.empty()) {
    meta["newest_id"] = data.front().as_object().at("id");
    meta["oldest_id"] = data.back().as_object().at("id");
    body["data"] = std::move(data);
  }
  body["meta"] = std::move(meta);
  send_json(res, 200, json::serialize(body));
}

namespace {

// X's problem entry for an id it does not have.
json::object post_not_found(const std::string& id) {
  return json::object{{"value", id},
                      {"detail", "Could not find tweet with ids: [" + id + "]."},
                      {"title", "Not Found Error"},
                      {"resource_type", "tweet"},
                      {"parameter", "ids"},
                      {"resource_id", id},
                      {"type", "https://api.twitter.com/2/problems/resource-not-found"}};
}

// An ISO 8601 UTC time with milliseconds, as X writes created_at.
std::string x_time(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

// GET /2/tweets?ids=...&tweet.fields=...: each post asked for that X holds,
// with the fields asked for; the others as "Not Found Error" entries.
void XSandbox::lookup(const httplib::Request& req, httplib::Response& res) {
  auto account = authenticate(req, res);
  if (!account) return;
  auto fault = sandbox_.take_fault("GET", req.path, std::string(kCreateRoute));
  if (answer_fault(sandbox_, fault, config_.lookup_limit, res)) return;
  if (rate_limited(*account, "GET " + std::string(kCreateRoute), config_.lookup_limit, res)) return;

  const std::string ids_param = req.get_param_value("ids");
  const std::string fields_param = req.get_param_value("tweet.fields");
  std::vector<std::string> ids;
  for (std::string_view id : split(ids_param, ','))
    if (!id.empty()) ids.emplace_back(id);
  if (ids.empty()) return invalid_request(res, "The `ids` query parameter can not be empty");
  if (ids.size() > 100)
    return invalid_request(res, "The number of values in the `ids` query parameter list [" +
                                    std::to_string(ids.size()) + "] is not between 1 and 100");
  static const std::set<std::string> kFields{"id", "text", "created_at", "author_id", "public_metrics",
                                             "edit_history_tweet_ids", "conversation_id", "lang",
                                             "referenced_tweets", "in_reply_to_user_id"};
  std::set<std::string> fields;
  for (std::string_view field : split(fields_param, ',')) {
    if (field.empty()) continue;
    if (!kFields.contains(std::string(field)))
      return invalid_request(res, "The `tweet.fields` query parameter value [" + std::string(field) +
                                      "] is not one of the fields herald-sandbox emulates");
    fields.emplace(field);
  }

  const std::int64_t now = sandbox_.now_ms();
  const auto creates = sandbox_.creates();
  json::array data, errors;
  for (const std::string& id : ids) {
    auto it = std::find_if(creates.rbegin(), creates.rend(), [&](const Sandbox::Create& c) {
      return c.platform == "x" && c.id == id && !c.fields.contains("deleted");
    });
    if (it == creates.rend()) {
      errors.push_back(post_not_found(id));
      continue;
    }
    json::object post = post_json(*it, creates, fields);
    post["edit_history_tweet_ids"] = json::array{json::value(it->id)};
    if (fields.contains("created_at")) post["created_at"] = x_time(it->at_ms);
    if (fields.contains("author_id")) post["author_id"] = it->account;
    if (fields.contains("public_metrics")) {
      Engagement e = engagement_after(now - it->at_ms);
      // Real replies count too.
      e.replies += std::count_if(creates.begin(), creates.end(), [&](const Sandbox::Create& c) {
        return c.platform == "x" && c.in_reply_to == it->id && !c.fields.contains("deleted");
      });
      post["public_metrics"] = json::object{{"retweet_count", e.shares},     {"reply_count", e.replies},
                                            {"like_count", e.likes},         {"quote_count", e.quotes},
                                            {"bookmark_count", e.saves},     {"impression_count", e.views}};
    }
    data.push_back(std::move(post));
  }
  json::object body;
  if (!data.empty()) body["data"] = std::move(data);
  if (!errors.empty()) body["errors"] = std::move(errors);
  send_json(res, 200, json::serialize(body));
}

// The first steps of every media route: OAuth 1.0a or a Bearer token, an injected fault, the
// account's media window.
std::optional<XSandbox::Caller> XSandbox::media_gate(const httplib::Request& req, httplib::Response& res,
                                                      std::string_view route) {
  auto account = authenticate(req, res);
  if (!account) return std::nullopt;
  auto fault = sandbox_.take_fault(req.path, std::string(route));
  if (answer_fault(sandbox_, fault, config_.media_limit, res)) return std::nullopt;
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create) {
    // The media steps have no create to keep: the answer is simply lost.
    drop_response(sandbox_, res, 200, std::chrono::milliseconds(fault->delay_ms));
    return std::nullopt;
  }
  if (rate_limited(*account, "media", config_.media_limit, res)) return std::nullopt;
  return account;
}

namespace {

const char* state_name(int state) {
  static constexpr const char* kNames[] = {"uploading", "pending", "in_progress", "succeeded", "failed"};
  return kNames[state];
}

// FNV-1a 64 carried on over `bytes` (no end marker, unlike config/text's
// fnv1a): a running digest of the segments as they arrive.
std::uint64_t fnv1a_continued(std::uint64_t hash, std::string_view bytes) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

// POST /2/media/upload/initialize: a new upload session for total_bytes of
// media_type, checked against the category's size limit.
void XSandbox::media_initialize(const httplib::Request& req, httplib::Response& res) {
  auto account = media_gate(req, res, kInitializeRoute);
  if (!account) return;
  boost::system::error_code ec;
  json::value body = json::parse(req.body, ec);
  const json::object* object = ec ? nullptr : body.if_object();
  if (!object) return invalid_request(res, "The request body is not a JSON object.");
  static const std::set<std::string> kTypes{"image/jpeg", "image/pjpeg", "image/png",  "image/gif",
                                            "image/webp", "image/bmp",   "image/tiff", "video/mp4",
                                            "video/webm", "video/mp2t",  "video/quicktime"};
  const json::value* type = object->if_contains("media_type");
  if (!type || !type->is_string() || !kTypes.contains(std::string(type->as_string())))
    return invalid_request(res, "$.media_type: expected one of the supported media types");
  const std::string media_type(type->as_string());
  const json::value* total = object->if_contains("total_bytes");
  std::int64_t total_bytes = 0;
  if (total && total->is_int64()) total_bytes = total->as_int64();
  if (total && total->is_uint64() && total->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    total_bytes = static_cast<std::int64_t>(total->as_uint64());
  if (total_bytes <= 0) return invalid_request(res, "$.total_bytes: expected a positive integer");

  // Without a category X takes the media as a post's: by its content type.
  const bool video = media_type.starts_with("video/");
  std::string category = video ? "tweet_video" : media_type == "image/gif" ? "tweet_gif" : "tweet_image";
  if (const json::value* given = object->if_contains("media_category")) {
    static const std::set<std::string> kCategories{"amplify_video", "tweet_gif", "tweet_image", "tweet_video"};
    if (!given->is_string() || !kCategories.contains(std::string(given->as_string())))
      return invalid_request(res, "$.media_category: expected amplify_video, tweet_gif, tweet_image or tweet_video");
    category = std::string(given->as_string());
  }
  if (is_video(category) != video || (category == "tweet_gif" && media_type != "image/gif"))
    return invalid_request(res, "$.media_category: " + category + " does not take " + media_type);
  const std::int64_t limit = is_video(category) ? 512 * kMB : category == "tweet_gif" ? 15 * kMB : 5 * kMB;
  if (total_bytes > limit) return invalid_request(res, "File size exceeds " + std::to_string(limit) + " bytes.");

  Media media;
  media.account = account->user_id;
  media.auth = account->auth;
  media.media_type = media_type;
  media.category = category;
  media.total_bytes = total_bytes;
  media.expires_at_ms = sandbox_.now_ms() + kMediaLifetimeS * 1000;
  {
    std::lock_guard lock(mutex_);
    media.id = next_id_locked();
    const char* prefix = category == "amplify_video" ? "13_"
                         : is_video(category)         ? "7_"
                         : category == "tweet_gif"    ? "16_"
                                                      : "3_";
    media.media_key = prefix + media.id;
    media_[media.id] = media;
  }
  send_json(res, 200,
            json::serialize(json::object{{"data", json::object{{"id", media.id},
                                                               {"media_key", media.media_key},
                                                               {"expires_after_secs", kMediaLifetimeS}}}}));
}

// POST /2/media/upload/{id}/append: multipart segment_index + media, in order.
void XSandbox::media_append(const httplib::Request& req, httplib::Response& res) {
  auto account = media_gate(req, res, kAppendRoute);
  if (!account) return;
  if (!req.is_multipart_form_data()) return invalid_request(res, "Expected a multipart/form-data body.");
  if (!req.has_file("segment_index") || !req.has_file("media"))
    return invalid_request(res, "The `segment_index` and `media` fields are required.");
  auto index = parse_int(req.get_file_value("segment_index").content);
  const std::string& bytes = req.get_file_value("media").content;
  if (!index || *index < 0 || *index > 999) return invalid_request(res, "$.segment_index: expected 0 to 999");
  if (std::ssize(bytes) > 5 * kMB) return invalid_request(res, "$.media: a segment must be <= 5 MB");
  std::int64_t expires_at_s = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = media_.find(req.matches[1]);
    if (it == media_.end() || it->second.account != account->user_id)
      return invalid_request(res, "Media id " + std::string(req.matches[1]) + " was not found.");
    Media& media = it->second;
    if (media.state != Media::State::uploading) return invalid_request(res, "The upload is already finalized.");
    if (*index != media.segments)
      return invalid_request(res, "$.segment_index: expected " + std::to_string(media.segments) + ", got " +
                                      std::to_string(*index));
    if (media.received_bytes + std::ssize(bytes) > media.total_bytes)
      return invalid_request(res, "Segments do not add up to provided total file size.");
    media.received_bytes += std::ssize(bytes);
    ++media.segments;
    media.digest = fnv1a_continued(media.digest, bytes);
    if (media.head.size() < 12) media.head += bytes.substr(0, 12 - media.head.size());
    expires_at_s = media.expires_at_ms / 1000;
  }
  send_json(res, 200, json::serialize(json::object{{"data", json::object{{"expires_at", expires_at_s}}}}));
}

namespace {

// The {"data":{...}} answer of FINALIZE and STATUS for a session's state.
template <typename Media>
std::string media_answer(const Media& media, std::int64_t now_ms, int polls_needed) {
  json::object data{{"id", media.id},
                    {"media_key", media.media_key},
                    {"size", media.total_bytes},
                    {"expires_after_secs", std::max<std::int64_t>(0, (media.expires_at_ms - now_ms) / 1000)}};
  using State = typename Media::State;
  if (media.state != State::uploading && !(media.state == State::succeeded && media.category == "tweet_image")) {
    json::object info{{"state", state_name(static_cast<int>(media.state))}};
    if (media.state == State::pending || media.state == State::in_progress) info["check_after_secs"] = 1;
    if (media.state != State::pending) {
      info["progress_percent"] =
          media.state == State::in_progress ? media.polls * 100 / std::max(polls_needed, 1) : 100;
    }
    if (media.state == State::failed) {
      info["error"] = json::object{{"code", 1}, {"name", "InvalidMedia"}, {"message", media.failure}};
    }
    data["processing_info"] = std::move(info);
  }
  return json::serialize(json::object{{"data", std::move(data)}});
}

}  // namespace

// POST /2/media/upload/{id}/finalize: all bytes in; an image is ready, a
// video or GIF starts processing (pending, check after 1s). A video without
// an ISO "ftyp" box or a GIF without its signature will fail processing.
void XSandbox::media_finalize(const httplib::Request& req, httplib::Response& res) {
  auto account = media_gate(req, res, kFinalizeRoute);
  if (!account) return;
  std::string answer;
  {
    std::lock_guard lock(mutex_);
    auto it = media_.find(req.matches[1]);
    if (it == media_.end() || it->second.account != account->user_id)
      return invalid_request(res, "Media id " + std::string(req.matches[1]) + " was not found.");
    Media& media = it->second;
    if (media.state == Media::State::uploading) {
      if (media.received_bytes != media.total_bytes)
        return invalid_request(res, "Segments do not add up to provided total file size.");
      if (media.category == "tweet_image") {
        media.state = Media::State::succeeded;
      } else {
        media.state = Media::State::pending;
        const bool ftyp = media.head.size() >= 8 && media.head.substr(4, 4) == "ftyp";
        if (is_video(media.category) && media.media_type == "video/mp4" && !ftyp)
          media.failure = "Unsupported video format";
        if (media.category == "tweet_gif" && !media.head.starts_with("GIF8"))
          media.failure = "Unsupported GIF format";
      }
    }
    answer = media_answer(media, sandbox_.now_ms(), config_.media_processing_polls);
  }
  send_json(res, 200, answer);
}

// GET /2/media/upload?command=STATUS&media_id=...: each poll after FINALIZE
// moves processing on; the last of media_processing_polls settles it.
void XSandbox::media_status(const httplib::Request& req, httplib::Response& res) {
  auto account = media_gate(req, res, kStatusRoute);
  if (!account) return;
  if (req.has_param("command") && req.get_param_value("command") != "STATUS")
    return invalid_request(res, "The `command` query parameter value must be STATUS");
  const std::string id = req.get_param_value("media_id");
  if (id.empty()) return invalid_request(res, "The `media_id` query parameter can not be empty");
  std::string answer;
  {
    std::lock_guard lock(mutex_);
    auto it = media_.find(id);
    if (it == media_.end() || it->second.account != account->user_id)
      return invalid_request(res, "Media id " + id + " was not found.");
    Media& media = it->second;
    if (media.state == Media::State::pending || media.state == Media::State::in_progress) {
      ++media.polls;
      if (media.polls < config_.media_processing_polls) media.state = Media::State::in_progress;
      else media.state = media.failure.empty() ? Media::State::succeeded : Media::State::failed;
    }
    answer = media_answer(media, sandbox_.now_ms(), config_.media_processing_polls);
  }
  send_json(res, 200, answer);
}

// GET /_sandbox/x/media: every upload session, for tests and the demo.
void XSandbox::media_list(const httplib::Request& req, httplib::Response& res) {
  if (!is_loopback_address(req.remote_addr)) {
    send_json(res, 403, R"({"error":"the control API answers loopback peers only"})");
    return;
  }
  json::array list;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, media] : media_) {
      char digest[17];
      std::snprintf(digest, sizeof digest, "%016llx", static_cast<unsigned long long>(media.digest));
      list.push_back(json::object{{"id", id},
                                  {"media_key", media.media_key},
                                  {"account", media.account},
                                  {"media_type", media.media_type},
                                  {"media_category", media.category},
                                  {"total_bytes", media.total_bytes},
                                  {"received_bytes", media.received_bytes},
                                  {"segments", media.segments},
                                  {"state", state_name(static_cast<int>(media.state))},
                                  {"status_polls", media.polls},
                                  {"auth", media.auth},
                                  {"fnv1a64", digest}});
    }
  }
  send_json(res, 200, json::serialize(json::object{{"media", std::move(list)}}));
}

XSandboxConfig load_x_sandbox_config(const YAML::Node& x, const std::string& file) {
  XSandboxConfig config;
  reject_unknown_keys(
      x,
      {"accounts", "create_limit", "timeline_limit", "lookup_limit", "media_limit", "media_processing_polls", "window_seconds",
       "oauth2_clients", "access_token_seconds"},
      file);
  if (x["create_limit"]) config.create_limit = x["create_limit"].as<int>();
  if (x["timeline_limit"]) config.timeline_limit = x["timeline_limit"].as<int>();
  if (x["lookup_limit"]) config.lookup_limit = x["lookup_limit"].as<int>();
  if (x["media_limit"]) config.media_limit = x["media_limit"].as<int>();
  if (x["media_processing_polls"]) {
    config.media_processing_polls = x["media_processing_polls"].as<int>();
    if (config.media_processing_polls < 1 || config.media_processing_polls > 100)
      config_error(x["media_processing_polls"], file, "x.media_processing_polls must be between 1 and 100");
  }
  if (x["window_seconds"]) config.rate_window = std::chrono::seconds(x["window_seconds"].as<int>());
  if (x["access_token_seconds"]) {
    config.access_token_seconds = x["access_token_seconds"].as<int>();
    if (config.access_token_seconds < 1 || config.access_token_seconds > 86400)
      config_error(x["access_token_seconds"], file, "x.access_token_seconds must be between 1 and 86400");
  }
  for (const auto& node : x["oauth2_clients"]) {
    reject_unknown_keys(node, {"client_id", "client_secret"}, file);
    XSandboxConfig::OAuth2Client client;
    client.client_id = node["client_id"].as<std::string>();
    if (node["client_secret"]) client.client_secret = node["client_secret"].as<std::string>();
    config.oauth2_clients.push_back(std::move(client));
  }
  for (const auto& node : x["accounts"]) {
    reject_unknown_keys(node, {"username", "user_id", "consumer_key", "consumer_secret", "access_token",
                               "access_token_secret", "oauth2_client_id", "refresh_tokens"},
                        file);
    XSandboxConfig::Account account;
    account.username = node["username"].as<std::string>();
    account.user_id = node["user_id"].as<std::string>();
    account.consumer_key = node["consumer_key"].as<std::string>();
    account.consumer_secret = node["consumer_secret"].as<std::string>();
    account.access_token = node["access_token"].as<std::string>();
    account.access_token_secret = node["access_token_secret"].as<std::string>();
    if (node["oauth2_client_id"]) account.oauth2_client_id = node["oauth2_client_id"].as<std::string>();
    for (const auto& token : node["refresh_tokens"]) account.refresh_tokens.push_back(token.as<std::string>());
    const bool known_client =
        std::any_of(config.oauth2_clients.begin(), config.oauth2_clients.end(),
                    [&](const XSandboxConfig::OAuth2Client& c) { return c.client_id == account.oauth2_client_id; });
    if (!account.refresh_tokens.empty() && !known_client)
      config_error(node, file, "x.accounts: refresh_tokens need an oauth2_client_id listed in x.oauth2_clients");
    config.accounts.push_back(std::move(account));
  }
  return config;
}

}  // namespace herald
