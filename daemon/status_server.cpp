#include "daemon/status_server.hpp"

#include <sys/resource.h>

#include "daemon/status_page.hpp"

#include "connectors/http_client.hpp"
#include "daemon/status_json.hpp"

#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <stdexcept>

namespace herald {

namespace {

constexpr const char* kJson = "application/json; charset=utf-8";
constexpr const char* kHtml = "text/html; charset=utf-8";
constexpr const char* kMetrics = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kPlaceholderPage =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>herald</title></head>"
    "<body><h1>herald</h1><p>See <a href=\"/api/v1/status\">/api/v1/status</a>.</p></body></html>";

// The endpoints of docs/api.md. `key` is the decoded delivery key.
enum class Endpoint {
  none, page, healthz, metrics, status, queue, delivery, engagement, history, calendar, media, report, looked, pause,
  resume, reload, retry, resolve
};

struct Route {
  Endpoint endpoint = Endpoint::none;
  std::string key;
  bool bad_key = false;
};

bool is_post(Endpoint e) {
  return e == Endpoint::pause || e == Endpoint::resume || e == Endpoint::reload || e == Endpoint::retry ||
         e == Endpoint::resolve || e == Endpoint::looked;
}

// Matches the raw (still percent-encoded) path, so an encoded '/' in a key
// never splits it.
Route match(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  Route r;
  if (path == "/") r.endpoint = Endpoint::page;
  else if (path == "/healthz") r.endpoint = Endpoint::healthz;
  else if (path == "/metrics") r.endpoint = Endpoint::metrics;
  else if (path == "/api/v1/status") r.endpoint = Endpoint::status;
  else if (path == "/api/v1/queue") r.endpoint = Endpoint::queue;
  else if (path == "/api/v1/history") r.endpoint = Endpoint::history;
  else if (path == "/api/v1/report") r.endpoint = Endpoint::report;
  else if (path == "/api/v1/calendar") r.endpoint = Endpoint::calendar;
  else if (path == "/api/v1/media") r.endpoint = Endpoint::media;
  else if (path == "/api/v1/report/looked") r.endpoint = Endpoint::looked;
  else if (path == "/api/v1/pause") r.endpoint = Endpoint::pause;
  else if (path == "/api/v1/resume") r.endpoint = Endpoint::resume;
  else if (path == "/api/v1/reload") r.endpoint = Endpoint::reload;
  else if (constexpr std::string_view prefix = "/api/v1/deliveries/"; path.starts_with(prefix)) {
    std::string_view rest = path.substr(prefix.size());
    const auto slash = rest.find('/');
    const std::string_view encoded = rest.substr(0, slash);
    if (encoded.empty()) return r;
    if (slash == std::string_view::npos) r.endpoint = Endpoint::delivery;
    else if (rest.substr(slash) == "/retry") r.endpoint = Endpoint::retry;
    else if (rest.substr(slash) == "/resolve") r.endpoint = Endpoint::resolve;
    else if (rest.substr(slash) == "/engagement") r.endpoint = Endpoint::engagement;
    else return r;
    auto key = status_json::percent_decode(encoded);
    if (key) r.key = std::move(*key);
    else r.bad_key = true;
  }
  return r;
}

// The media types of the images the page shows (LoopBackend::media_file
// serves no other kind).
const char* image_type(const std::filesystem::path& file) {
  std::string ext = file.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".png") return "image/png";
  if (ext == ".gif") return "image/gif";
  if (ext == ".webp") return "image/webp";
  return "image/jpeg";
}

// A calendar image, whole, up to 16 MiB (the page scales it down).
bool read_image(const std::filesystem::path& file, std::string& bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec || size > (16u << 20)) return false;
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return static_cast<bool>(in) || in.eof();
}

void send_json(httplib::Response& res, int status, const boost::json::value& body) {
  res.status = status;
  res.set_content(status_json::serialize(body), kJson);
}

void send_error(httplib::Response& res, int status, std::string_view message) {
  send_json(res, status, status_json::error(message));
}

// Every answer carries these (docs/api.md "Conventions"); the page adds a
// Content-Security-Policy.
constexpr std::array<std::pair<const char*, const char*>, 4> kDefaultHeaders{{{"Cache-Control", "no-store"},
                                                                             {"X-Content-Type-Options", "nosniff"},
                                                                             {"Referrer-Policy", "no-referrer"},
                                                                             {"X-Frame-Options", "DENY"}}};

std::string_view reason_for(int status) {
  switch (status) {
    case 400: return "bad request";
    case 401: return "a valid bearer token is required";
    case 404: return "no such endpoint";
    case 405: return "method not allowed";
    case 413: return "the request body is too large";
    case 414: return "the request target is too long";
    case 431: return "the request headers are too large";
    case 500: return "internal error";
    case 503: return "service unavailable";
    default: return status >= 500 ? "internal error" : "request refused";
  }
}

std::array<unsigned char, 32> sha256(std::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 || len != out.size())
    throw std::runtime_error("SHA-256 failed");
  return out;
}

bool equals_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::size_t header_bytes(const httplib::Request& req) {
  std::size_t n = 0;
  for (const auto& [name, value] : req.headers) n += name.size() + value.size() + 4;  // ": " and CRLF
  return n;
}

// A request path as a log line may show it: no control characters.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 200)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? '?' : c;
  return out;
}

// The answer as the listener sends it, with the default headers.
StatusServer::Reply to_reply(httplib::Response& res) {
  for (const auto& [name, value] : kDefaultHeaders)
    if (!res.has_header(name)) res.set_header(name, value);
  StatusServer::Reply reply;
  reply.status = res.status;
  reply.headers.assign(res.headers.begin(), res.headers.end());
  reply.body = std::move(res.body);
  return reply;
}

}  // namespace

StatusServer::StatusServer(StatusSettings settings, Secret token, const date::time_zone& zone, StatusBackend& backend,
                           Logger& logger, std::function<std::string()> page, StatusLimits limits)
    : settings_(std::move(settings)),
      token_(std::move(token)),
      zone_(zone),
      backend_(backend),
      logger_(logger),
      page_(std::move(page)),
      limits_(limits) {}

StatusServer::~StatusServer() { stop(); }

void StatusServer::log(Priority priority, const std::string& line) {
  std::lock_guard lock(log_mutex_);
  logger_.log(priority, line);
}

namespace {

// 1,000 connections to the status port cost 1,000 descriptors; the soft
// limit (often 1024) would let them starve the store and the connectors.
void raise_file_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

void StatusServer::start() {
  if (listener_) throw std::logic_error("status server already started");
  raise_file_limit();
  const std::string where = "status.listen '" + settings_.listen + "': ";
  std::string error;
  const auto address = parse_listen(settings_.listen, error);
  if (!address) throw std::runtime_error(where + error);
  if (!address->unix_socket && !is_loopback_host(address->host)) {
    if (!settings_.allow_remote)
      throw std::runtime_error(where +
                               "not a loopback address; the status API would be reachable from the network. "
                               "Set status.allow_remote: true to allow it, or listen on 127.0.0.1 or a unix socket");
    log_warning("status API listens on " + settings_.listen +
                ", reachable from the network (status.allow_remote is true): keep the token secret and "
                "put TLS in front of it");
  }
  if (token_.empty())
    log_warning("status API: the credential '" + settings_.token + "' is empty, so every POST answers 401");

  StatusRoutes routes;
  routes.lane = &StatusServer::lane;
  routes.answer = [this](const Request& request) { return answer(request); };
  routes.refusal = [this](int status) { return refusal(status); };
  routes.log = [this](Priority priority, const std::string& line) { log(priority, line); };
  try {
    listener_ = std::make_unique<StatusListener>(*address, limits_, std::move(routes));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(where + e.what());
  }
  port_ = listener_->port();
  listener_->run();
}

std::string StatusServer::where() const {
  const std::string& listen = settings_.listen;
  if (listen.starts_with("unix:") || port_ == 0) return listen;
  return listen.substr(0, listen.rfind(':') + 1) + std::to_string(port_);
}

void StatusServer::stop() {
  if (!listener_) return;
  listener_->stop();
  listener_.reset();
}

bool StatusServer::refuse_oversized(const httplib::Request& req, httplib::Response& res) const {
  if (req.target.size() > limits_.max_target) {
    send_error(res, 414, reason_for(414));
    res.set_header("Connection", "close");
    return true;
  }
  if (header_bytes(req) > limits_.max_header_bytes) {
    send_error(res, 431, reason_for(431));
    res.set_header("Connection", "close");
    return true;
  }
  return false;
}

// The steps between a parsed request and its answer, in the order the
// cpp-httplib server this replaced took them: the target split at '?' (a
// second '?' is a 400), the target and header limits, the body limit (the
// listener also refuses a larger body before reading it), the handler, the
// exception handler, the JSON body for an answer without one, and the
// default headers.
StatusServer::Reply StatusServer::answer(const Request& request) {
  httplib::Request req;
  httplib::Response res;
  req.method = request.method;
  req.target = request.target;
  for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
  req.body = request.body;
  std::size_t parts = 0;
  httplib::detail::split(req.target.data(), req.target.data() + req.target.size(), '?',
                         [&](const char* b, const char* e) {
                           if (parts == 0) req.path = httplib::detail::decode_url(std::string(b, e), false);
                           else if (parts == 1) httplib::detail::parse_query_text(std::string(b, e), req.params);
                           ++parts;
                         });
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (parts > 2) {
    res.status = 400;
  } else if (!refuse_oversized(req, res)) {
    if (!get && req.body.size() > limits_.max_body) {
      res.status = 413;
    } else {
      try {
        handle(req, res);
      } catch (...) {
        log_error("status API: unexpected exception while answering a request");
        res.headers.clear();
        send_error(res, 500, "internal error");
      }
    }
  }
  if (res.status >= 400 && res.body.empty()) send_error(res, res.status, reason_for(res.status));
  return to_reply(res);
}

StatusServer::Reply StatusServer::refusal(int status) const {
  httplib::Response res;
  send_error(res, status, reason_for(status));
  if (status == 503) res.set_header("Retry-After", "1");
  res.set_header("Connection", "close");
  return to_reply(res);
}

// The actions have their own threads so that a pause never queues behind
// reads waiting for a busy loop; /healthz has its own because it must show a
// stuck loop rather than wait behind it.
StatusLane StatusServer::lane(const Request& request) {
  const Endpoint endpoint = match(request.target).endpoint;
  if (endpoint == Endpoint::healthz) return StatusLane::health;
  if (is_post(endpoint)) return StatusLane::action;
  return StatusLane::read;
}

bool StatusServer::authorized(const httplib::Request& req) const {
  const std::string header = req.get_header_value("Authorization");
  std::string_view presented;
  if (header.size() > 7 && equals_nocase(std::string_view(header).substr(0, 7), "bearer ")) {
    presented = std::string_view(header).substr(7);
    while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
    while (!presented.empty() && presented.back() == ' ') presented.remove_suffix(1);
  }
  // Comparing fixed-size digests keeps the time independent of where the
  // strings differ and of their lengths.
  const auto want = sha256(token_.reveal());
  const auto got = sha256(presented);
  const bool same = CRYPTO_memcmp(want.data(), got.data(), want.size()) == 0;
  return same && !token_.empty() && !presented.empty();
}

// One request: route on the raw path, check the method and the token, ask
// the backend, answer JSON. Backend failures never leak details.
void StatusServer::handle(const httplib::Request& req, httplib::Response& res) {
  const Route route = match(req.target);
  if (route.endpoint == Endpoint::none) return send_error(res, 404, reason_for(404));
  const bool post = is_post(route.endpoint);
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (post ? req.method != "POST" : !get) {
    res.set_header("Allow", post ? "POST" : "GET, HEAD");
    return send_error(res, 405, "use " + std::string(post ? "POST" : "GET") + " here");
  }
  if (post && !authorized(req)) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"herald\"");
    return send_error(res, 401, reason_for(401));
  }
  if (route.bad_key) return send_error(res, 400, "the delivery key in the path is not correctly percent-encoded");

  auto answer = [&](const ActionResult& r, bool with_pauses) {
    if (r.http_status == 200) {
      if (with_pauses) send_json(res, 200, status_json::pauses(r.pauses));
      else send_json(res, 200, status_json::delivery_result(r.delivery, zone_));
    } else if (r.http_status >= 400 && r.http_status <= 599) {
      auto body = status_json::error(r.error.empty() ? reason_for(r.http_status) : std::string_view(r.error));
      if (!r.active_instance.empty()) body["active_instance"] = r.active_instance;
      send_json(res, r.http_status, body);
    } else {
      log_error("status API: the daemon answered " + req.method + " " + printable(req.path) + " with status " +
                std::to_string(r.http_status));
      send_error(res, 500, "internal error");
    }
  };

  std::string error;
  try {
    switch (route.endpoint) {
      case Endpoint::page:
        res.status = 200;
        res.set_header("Content-Security-Policy", std::string(status_page_content_security_policy()));
        res.set_content(page_ ? page_() : std::string(kPlaceholderPage), kHtml);
        return;
      case Endpoint::healthz: {
        const Health h = backend_.health();
        return send_json(res, h.ok ? 200 : 503, status_json::health(h));
      }
      case Endpoint::metrics:
        res.status = 200;
        res.set_content(backend_.metrics(), kMetrics);
        return;
      case Endpoint::status: return send_json(res, 200, status_json::status(backend_.status(), zone_));
      case Endpoint::queue: {
        auto filter = status_json::parse_queue_query(req.params, error);
        if (!filter) return send_error(res, 400, error);
        if (!filter->channel.empty()) {
          const DaemonStatus s = backend_.status();
          bool known = false;
          for (const auto& c : s.channels) known = known || c.name == filter->channel;
          if (!known) return send_error(res, 404, "no channel named '" + filter->channel + "'");
        }
        return send_json(res, 200, status_json::queue(backend_.queue(*filter), zone_));
      }
      case Endpoint::delivery: {
        auto d = backend_.delivery(route.key);
        if (!d) return send_error(res, 404, "no delivery with key '" + route.key + "'");
        return send_json(res, 200, status_json::delivery(*d, zone_));
      }
      case Endpoint::history: {
        auto q = status_json::parse_history_query(req.params, error);
        if (!q) return send_error(res, 400, error);
        return send_json(res, 200, status_json::history(backend_.history(q->limit, q->key)));
      }
      case Endpoint::calendar: {
        const Instant now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        auto window = status_json::parse_calendar_query(req.params, now, error);
        if (!window) return send_error(res, 400, error);
        return send_json(res, 200,
                         status_json::calendar(backend_.calendar(window->first, window->second), window->first,
                                               window->second, zone_));
      }
      case Endpoint::engagement: {
        if (!backend_.delivery(route.key)) return send_error(res, 404, "no delivery with key '" + route.key + "'");
        return send_json(res, 200, status_json::engagement(route.key, backend_.engagement(route.key)));
      }
      case Endpoint::media: {
        auto which = status_json::parse_media_query(req.params, error);
        if (!which) return send_error(res, 400, error);
        auto file = backend_.media_file(which->first, which->second);
        std::string bytes;
        if (file && read_image(*file, bytes)) {
          res.status = 200;
          res.set_header("Cache-Control", "private, max-age=300");
          res.set_content(std::move(bytes), image_type(*file));
          return;
        }
        return send_error(res, 404, "no such image of that post");
      }
      case Endpoint::report: {
        const Instant now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        auto q = status_json::parse_report_query(req.params, now, error);
        if (!q) return send_error(res, 400, error);
        auto r = backend_.report(*q);
        if (!r) return send_error(res, 404, "reports are not available here");
        return send_json(res, 200, status_json::report(*r));
      }
      case Endpoint::looked: {
        if (!status_json::parse_empty(req.body, error)) return send_error(res, 400, error);
        const ActionResult r = backend_.looked();
        if (r.http_status == 200) return send_json(res, 200, boost::json::object{{"looked", true}});
        return answer(r, false);
      }
      case Endpoint::pause: {
        auto p = status_json::parse_pause(req.body, error);
        if (!p) return send_error(res, 400, error);
        return answer(backend_.pause(p->reason, p->channel, p->until), true);
      }
      case Endpoint::resume: {
        auto channel = status_json::parse_resume(req.body, error);
        if (!channel) return send_error(res, 400, error);
        return answer(backend_.resume(*channel), true);
      }
      case Endpoint::reload: {
        auto accept = status_json::parse_reload(req.body, error);
        if (!accept) return send_error(res, 400, error);
        const ActionResult r = backend_.reload(*accept);
        if (r.http_status == 200) return send_json(res, 200, boost::json::object{{"reloaded", true}});
        return answer(r, false);
      }
      case Endpoint::retry:
        if (!status_json::parse_empty(req.body, error)) return send_error(res, 400, error);
        return answer(backend_.retry(route.key), false);
      case Endpoint::resolve: {
        auto url = status_json::parse_resolve(req.body, error);
        if (!url) return send_error(res, 400, error);
        return answer(backend_.resolve(route.key, *url), false);
      }
      case Endpoint::none: break;
    }
    send_error(res, 404, reason_for(404));
  } catch (const BackendBusy&) {
    res.set_header("Retry-After", "1");
    send_error(res, 503, "the daemon is busy; try again in a moment");
  } catch (const std::exception& e) {
    log_error("status API: " + req.method + " " + printable(req.path) + " failed: " + printable(e.what()));
    send_error(res, 500, "internal error");
  }
}

}  // namespace herald
