#include "tests/sandbox/sandbox.hpp"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <unistd.h>

#include "compose/composer.hpp"
#include "connectors/oauth1.hpp"

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

void send_json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json; charset=utf-8");
}

void unauthorized(httplib::Response& res) {
  send_json(res, 401, problem("Unauthorized", 401, "Unauthorized"));
}

void invalid_request(httplib::Response& res, std::string_view message) {
  // X's "invalid request" problem: a 400 with the offending parameter listed.
  json::object body{{"errors", json::array{json::object{{"message", message}}}},
                    {"title", "Invalid Request"},
                    {"detail", "One or more parameters to your request was invalid."},
                    {"type", "https://api.twitter.com/2/problems/invalid-request"}};
  send_json(res, 400, json::serialize(body));
}

std::string percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int value = 0;
      auto [ptr, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, value, 16);
      if (ec == std::errc() && ptr == in.data() + i + 3) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

const char* fault_mode_name(Sandbox::FaultMode mode) {
  switch (mode) {
    case Sandbox::FaultMode::rate_limit: return "rate_limit";
    case Sandbox::FaultMode::server_error: return "server_error";
    case Sandbox::FaultMode::delay: return "delay";
    case Sandbox::FaultMode::drop_after_create: return "drop_after_create";
  }
  return "?";
}

}  // namespace

struct Sandbox::State {
  struct Window {
    std::int64_t reset_s = 0;
    int used = 0;
  };
  std::vector<Create> creates;
  std::vector<Fault> faults;
  std::set<std::string> nonces;
  std::map<std::string, Window> windows;  // by user id + route
  std::int64_t last_id = 0;
};

bool is_loopback_address(std::string_view address) {
  if (address.starts_with("::ffff:")) address.remove_prefix(7);
  return address == "::1" || address.starts_with("127.");
}

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

std::optional<Sandbox::FaultMode> parse_fault_mode(std::string_view name) {
  using Mode = Sandbox::FaultMode;
  for (auto mode : {Mode::rate_limit, Mode::server_error, Mode::delay, Mode::drop_after_create})
    if (name == fault_mode_name(mode)) return mode;
  return std::nullopt;
}

Sandbox::Sandbox(Config config)
    : config_(std::move(config)), server_(std::make_unique<httplib::Server>()), state_(std::make_unique<State>()) {
  if (!config_.now_ms) {
    config_.now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  routes();
}

Sandbox::~Sandbox() { stop(); }

std::int64_t Sandbox::now_ms() const { return config_.now_ms(); }

void Sandbox::start(const std::string& host, int port) {
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else {
    port_ = server_->bind_to_port(host, port) ? port : -1;
  }
  if (port_ <= 0) throw std::runtime_error("herald-sandbox: cannot bind " + host + ":" + std::to_string(port));
  // The socket is listening once bound, so clients may connect before the
  // accept loop below is scheduled.
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib::Server::stop() does nothing until the accept loop has started,
  // so wait for it here; a stop() right after start() would otherwise hang.
  while (!server_->is_running()) ::usleep(1000);
}

int Sandbox::port() const { return port_; }

void Sandbox::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stopping_cv_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::vector<Sandbox::Create> Sandbox::creates() const {
  std::lock_guard lock(mutex_);
  return state_->creates;
}

void Sandbox::add_fault(Fault fault) {
  std::lock_guard lock(mutex_);
  state_->faults.push_back(std::move(fault));
}

void Sandbox::reset() {
  std::lock_guard lock(mutex_);
  *state_ = State{};
}

bool Sandbox::hold(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex_);
  return !stopping_cv_.wait_for(lock, duration, [this] { return stopping_; });
}

std::optional<Sandbox::Fault> Sandbox::take_fault(const std::string& path, const std::string& route) {
  std::lock_guard lock(mutex_);
  auto& faults = state_->faults;
  auto it = std::find_if(faults.begin(), faults.end(),
                         [&](const Fault& f) { return f.count > 0 && (f.path == path || f.path == route); });
  if (it == faults.end()) return std::nullopt;
  Fault taken = *it;
  if (--it->count == 0) faults.erase(it);
  return taken;
}

// OAuth 1.0a user context, checked as X does: a known consumer key and access
// token, HMAC-SHA1, a timestamp near now, an unused nonce, and a signature over
// the method, the URL the client used (query included) and the oauth_*
// parameters. The JSON body is not signed.
std::optional<Sandbox::XAccount> Sandbox::authenticate(const httplib::Request& req, httplib::Response& res) {
  auto params = parse_oauth_header(req.get_header_value("Authorization"));
  if (!params) {
    unauthorized(res);
    return std::nullopt;
  }
  auto field = [&](const char* name) -> std::string {
    auto it = params->find(name);
    return it == params->end() ? std::string() : it->second;
  };
  auto account = std::find_if(config_.x_accounts.begin(), config_.x_accounts.end(), [&](const XAccount& a) {
    return a.consumer_key == field("oauth_consumer_key") && a.access_token == field("oauth_token");
  });
  auto timestamp = parse_int(field("oauth_timestamp"));
  auto skew_ms = std::chrono::duration_cast<std::chrono::milliseconds>(config_.max_clock_skew).count();
  if (account == config_.x_accounts.end() || field("oauth_signature_method") != "HMAC-SHA1" || !timestamp ||
      std::llabs(*timestamp * 1000 - now_ms()) > skew_ms || field("oauth_nonce").empty()) {
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
  if (!state_->nonces.insert(account->consumer_key + '\n' + field("oauth_timestamp") + '\n' + field("oauth_nonce"))
           .second) {
    unauthorized(res);  // a replayed request
    return std::nullopt;
  }
  return *account;
}

// Counts the request against the account's window for this route and sets
// the three x-rate-limit-* headers; answers 429 when the window is spent.
bool Sandbox::rate_limited(const XAccount& account, const std::string& route, int limit, httplib::Response& res) {
  std::int64_t now_s = now_ms() / 1000;
  State::Window window;
  {
    std::lock_guard lock(mutex_);
    auto& w = state_->windows[account.user_id + ' ' + route];
    if (w.reset_s <= now_s) w = State::Window{now_s + config_.rate_window.count(), 0};
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

void Sandbox::routes() {
  server_->Post(std::string(kCreateRoute), [this](const httplib::Request& req, httplib::Response& res) {
    x_create(req, res);
  });
  server_->Get(R"(/2/users/([^/]+)/tweets)", [this](const httplib::Request& req, httplib::Response& res) {
    x_timeline(req, res);
  });

  server_->Post("/_sandbox/faults", [this](const httplib::Request& req, httplib::Response& res) {
    if (!control_allowed(req, res)) return;
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    const json::object* object = ec ? nullptr : body.if_object();
    const json::value* mode_value = object ? object->if_contains("mode") : nullptr;
    std::optional<FaultMode> mode =
        mode_value && mode_value->is_string() ? parse_fault_mode(mode_value->as_string()) : std::nullopt;
    const json::value* path_value = object ? object->if_contains("path") : nullptr;
    if (!mode || !path_value || !path_value->is_string()) {
      send_json(res, 400, R"({"error":"expected {\"path\",\"mode\":\"rate_limit|server_error|delay|drop_after_create\"}"})");
      return;
    }
    Fault fault;
    fault.path = std::string(path_value->as_string());
    fault.mode = *mode;
    auto integer = [&](const char* name, int fallback) {
      const json::value* v = object->if_contains(name);
      return v && v->is_int64() ? static_cast<int>(v->as_int64()) : fallback;
    };
    fault.count = integer("count", 1);
    fault.reset_in = integer("reset_in", fault.reset_in);
    fault.delay_ms = integer("delay_ms", fault.delay_ms);
    add_fault(fault);
    send_json(res, 201, json::serialize(json::object{{"path", fault.path}, {"mode", fault_mode_name(fault.mode)},
                                                     {"count", fault.count}}));
  });

  server_->Get("/_sandbox/creates", [this](const httplib::Request& req, httplib::Response& res) {
    if (!control_allowed(req, res)) return;
    json::array list;
    for (const Create& c : creates()) {
      json::object headers;
      for (const auto& [name, value] : c.headers) headers[name] = value;
      json::array media;
      for (const auto& id : c.media_ids) media.emplace_back(id);
      list.push_back(json::object{{"platform", c.platform}, {"account", c.account}, {"id", c.id},
                                  {"text", c.text}, {"in_reply_to", c.in_reply_to}, {"media_ids", media},
                                  {"at_ms", c.at_ms}, {"headers", headers}});
    }
    send_json(res, 200, json::serialize(json::object{{"creates", list}}));
  });

  server_->Post("/_sandbox/reset", [this](const httplib::Request& req, httplib::Response& res) {
    if (!control_allowed(req, res)) return;
    reset();
    res.status = 204;
  });
}

bool Sandbox::control_allowed(const httplib::Request& req, httplib::Response& res) const {
  if (is_loopback_address(req.remote_addr)) return true;
  send_json(res, 403, R"({"error":"the sandbox control API answers loopback peers only"})");
  return false;
}

// POST /2/tweets: auth, injected faults, the rate-limit window, body checks
// (text length, duplicate), then record and answer 201 unless the fault says
// to drop the answer.
// Answers for an injected fault that ends the request here (delay, 429, 500);
// false when there is none, or the fault (drop_after_create) acts later.
bool Sandbox::answer_fault(const std::optional<Fault>& fault, int limit, httplib::Response& res) {
  if (!fault) return false;
  if (fault->mode == FaultMode::delay && !hold(std::chrono::milliseconds(fault->delay_ms))) {
    send_json(res, 503, problem("Service Unavailable", 503, "Service Unavailable"));
    return true;
  }
  if (fault->mode == FaultMode::rate_limit) {
    res.set_header("x-rate-limit-limit", std::to_string(limit));
    res.set_header("x-rate-limit-remaining", "0");
    res.set_header("x-rate-limit-reset", std::to_string(now_ms() / 1000 + fault->reset_in));
    send_json(res, 429, problem("Too Many Requests", 429, "Too Many Requests"));
    return true;
  }
  if (fault->mode == FaultMode::server_error) {
    send_json(res, 500, problem("Internal Server Error", 500, "Internal Server Error"));
    return true;
  }
  return false;
}

void Sandbox::x_create(const httplib::Request& req, httplib::Response& res) {
  auto account = authenticate(req, res);
  if (!account) return;
  auto fault = take_fault(req.path, std::string(kCreateRoute));
  if (answer_fault(fault, config_.x_create_limit, res)) return;
  if (rate_limited(*account, std::string(kCreateRoute), config_.x_create_limit, res)) return;

  boost::system::error_code ec;
  json::value body = json::parse(req.body, ec);
  const json::object* object = ec ? nullptr : body.if_object();
  if (!object) return invalid_request(res, "The request body is not a JSON object.");
  Create create;
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
    std::lock_guard lock(mutex_);
    for (const Create& earlier : state_->creates) {
      if (earlier.platform == "x" && earlier.account == create.account && earlier.text == create.text &&
          create.media_ids.empty() && !create.text.empty()) {
        send_json(res, 403,
                  problem("Forbidden", 403, "You are not allowed to create a Tweet with duplicate content."));
        return;
      }
    }
    create.at_ms = now_ms();
    // Snowflake-shaped ids: milliseconds since the Twitter epoch in the high
    // bits, so they have 19 digits today and grow with time.
    std::int64_t id = std::max<std::int64_t>(create.at_ms - kTwitterEpochMs, 0) << 22;
    id = std::max({id, state_->last_id + 1, std::int64_t{1'000'000'000'000'000'000}});
    state_->last_id = id;
    create.id = std::to_string(id);
    state_->creates.push_back(create);
  }
  if (fault && fault->mode == FaultMode::drop_after_create) {
    // The create is recorded; the answer never arrives. cpp-httplib gives a
    // handler no socket, so: hold the request (the client's read timeout
    // fires first), then promise a body and fail to produce it, which makes
    // the server close the connection without completing the response.
    hold(std::chrono::milliseconds(fault->delay_ms));
    res.status = 201;
    res.set_content_provider(
        64, "application/json", [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
    return;
  }
  send_json(res, 201, json::serialize(json::object{{"data", json::object{{"id", create.id}, {"text", create.text}}}}));
}

// GET /2/users/:id/tweets: the account's recent posts, newest first.
void Sandbox::x_timeline(const httplib::Request& req, httplib::Response& res) {
  auto account = authenticate(req, res);
  if (!account) return;
  auto fault = take_fault(req.path, std::string(kTimelineRoute));
  if (answer_fault(fault, config_.x_timeline_limit, res)) return;
  if (rate_limited(*account, std::string(kTimelineRoute), config_.x_timeline_limit, res)) return;

  std::string user_id = req.matches[1];
  std::int64_t max_results = 10;  // X's default
  if (req.has_param("max_results")) {
    auto parsed = parse_int(req.get_param_value("max_results"));
    if (!parsed || *parsed < 5 || *parsed > 100)
      return invalid_request(res, "The `max_results` query parameter value is not between 5 and 100");
    max_results = *parsed;
  }
  bool known = std::any_of(config_.x_accounts.begin(), config_.x_accounts.end(),
                           [&](const XAccount& a) { return a.user_id == user_id; });
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
  {
    std::lock_guard lock(mutex_);
    for (auto it = state_->creates.rbegin(); it != state_->creates.rend() && std::ssize(data) < max_results; ++it)
      if (it->platform == "x" && it->account == user_id)
        data.push_back(json::object{{"id", it->id}, {"text", it->text}});
  }
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

void reject_unknown_keys(const YAML::Node& map, std::initializer_list<std::string_view> known, const std::string& file) {
  for (const auto& entry : map) {
    auto key = entry.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      auto mark = entry.first.Mark();
      throw std::runtime_error(file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) +
                               ": error: unknown key '" + key + "'");
    }
  }
}

}  // namespace

Sandbox::Config load_sandbox_config(const std::string& path) {
  YAML::Node root = YAML::LoadFile(path);
  Sandbox::Config config;
  if (!root.IsMap()) throw std::runtime_error(path + ": error: expected a mapping at the top");
  reject_unknown_keys(root, {"x"}, path);
  if (YAML::Node x = root["x"]) {
    reject_unknown_keys(x, {"accounts", "create_limit", "timeline_limit", "window_seconds"}, path);
    if (x["create_limit"]) config.x_create_limit = x["create_limit"].as<int>();
    if (x["timeline_limit"]) config.x_timeline_limit = x["timeline_limit"].as<int>();
    if (x["window_seconds"]) config.rate_window = std::chrono::seconds(x["window_seconds"].as<int>());
    for (const auto& node : x["accounts"]) {
      reject_unknown_keys(node, {"username", "user_id", "consumer_key", "consumer_secret", "access_token",
                                 "access_token_secret"},
                          path);
      Sandbox::XAccount account;
      account.username = node["username"].as<std::string>();
      account.user_id = node["user_id"].as<std::string>();
      account.consumer_key = node["consumer_key"].as<std::string>();
      account.consumer_secret = node["consumer_secret"].as<std::string>();
      account.access_token = node["access_token"].as<std::string>();
      account.access_token_secret = node["access_token_secret"].as<std::string>();
      config.x_accounts.push_back(std::move(account));
    }
  }
  return config;
}

}  // namespace herald
