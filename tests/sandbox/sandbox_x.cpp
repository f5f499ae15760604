#include "tests/sandbox/sandbox_x.hpp"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>

#include "compose/composer.hpp"
#include "connectors/oauth1.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_util.hpp"

// Sources for the emulated X behaviour (checked 2025):
// - Create post, request and 201 response {"data":{"id","text"}}:
//   https://docs.x.com/x-api/posts/creation-of-a-post and
//   https://docs.x.com/x-api/posts/manage-tweets/quickstart
// - Rate-limit headers x-rate-limit-limit/-remaining/-reset (Unix seconds) on
//   every response, 15-minute windows, 429 when exceeded:
//   https://docs.x.com/fundamentals/rate-limits
// - Duplicate text: 403 {"detail":"You are not allowed to create a Tweet with
//   duplicate content.","type":"about:blank","title":"Forbidden","status":403}
//   as reported from the live API in https://github.com/akrherz/iembot/issues/163
//   and https://github.com/sferik/x-ruby/issues/24 (the docs do not print it).
// - User post timeline, {"data":[...],"meta":{"result_count","newest_id",
//   "oldest_id"}}: https://docs.x.com/x-api/posts/timelines/quickstart/reverse-chron-quickstart
//   (same response shape as GET /2/users/:id/tweets).

namespace herald {
namespace json = boost::json;

namespace {

constexpr std::string_view kCreateRoute = "/2/tweets";
constexpr std::string_view kTimelineRoute = "/2/users/:id/tweets";
constexpr std::int64_t kTwitterEpochMs = 1288834974657;  // snowflake ids count from here

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

XSandbox::XSandbox(Sandbox& sandbox) : sandbox_(sandbox), config_(sandbox.config().x) {}

void XSandbox::install(httplib::Server& server) {
  server.Post(std::string(kCreateRoute),
              [this](const httplib::Request& req, httplib::Response& res) { create(req, res); });
  server.Get(R"(/2/users/([^/]+)/tweets)",
             [this](const httplib::Request& req, httplib::Response& res) { timeline(req, res); });
}

void XSandbox::reset() {
  std::lock_guard lock(mutex_);
  nonces_.clear();
  windows_.clear();
  last_id_ = 0;
}

// OAuth 1.0a user context, checked as X does: a known consumer key and access
// token, HMAC-SHA1, a timestamp near now, an unused nonce, and a signature over
// the method, the URL the client used (query included) and the oauth_*
// parameters. The JSON body is not signed.
std::optional<XSandbox::Account> XSandbox::authenticate(const httplib::Request& req, httplib::Response& res) {
  auto params = parse_oauth_header(req.get_header_value("Authorization"));
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
  return *account;
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
    for (const Sandbox::Create& earlier : sandbox_.creates()) {
      if (earlier.platform == "x" && earlier.account == create.account && earlier.text == create.text &&
          create.media_ids.empty() && !create.text.empty()) {
        send_json(res, 403,
                  problem("Forbidden", 403, "You are not allowed to create a Tweet with duplicate content."));
        return;
      }
    }
    create.at_ms = sandbox_.now_ms();
    // Snowflake-shaped ids: milliseconds since the Twitter epoch in the high
    // bits, so they have 19 digits today and grow with time.
    std::int64_t id = std::max<std::int64_t>(create.at_ms - kTwitterEpochMs, 0) << 22;
    id = std::max({id, last_id_ + 1, std::int64_t{1'000'000'000'000'000'000}});
    last_id_ = id;
    create.id = std::to_string(id);
    sandbox_.record(create);
  }
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox_, res, 201, std::chrono::milliseconds(fault->delay_ms));
  send_json(res, 201, json::serialize(json::object{{"data", json::object{{"id", create.id}, {"text", create.text}}}}));
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
    if (it->platform == "x" && it->account == user_id) data.push_back(json::object{{"id", it->id}, {"text", it->text}});
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

XSandboxConfig load_x_sandbox_config(const YAML::Node& x, const std::string& file) {
  XSandboxConfig config;
  reject_unknown_keys(x, {"accounts", "create_limit", "timeline_limit", "window_seconds"}, file);
  if (x["create_limit"]) config.create_limit = x["create_limit"].as<int>();
  if (x["timeline_limit"]) config.timeline_limit = x["timeline_limit"].as<int>();
  if (x["window_seconds"]) config.rate_window = std::chrono::seconds(x["window_seconds"].as<int>());
  for (const auto& node : x["accounts"]) {
    reject_unknown_keys(node, {"username", "user_id", "consumer_key", "consumer_secret", "access_token",
                               "access_token_secret"},
                        file);
    XSandboxConfig::Account account;
    account.username = node["username"].as<std::string>();
    account.user_id = node["user_id"].as<std::string>();
    account.consumer_key = node["consumer_key"].as<std::string>();
    account.consumer_secret = node["consumer_secret"].as<std::string>();
    account.access_token = node["access_token"].as<std::string>();
    account.access_token_secret = node["access_token_secret"].as<std::string>();
    config.accounts.push_back(std::move(account));
  }
  return config;
}

}  // namespace herald
