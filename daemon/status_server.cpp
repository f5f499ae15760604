#include "daemon/status_server.hpp"

#include "daemon/status_page.hpp"

#include "connectors/http_client.hpp"
#include "daemon/status_json.hpp"

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
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
enum class Endpoint { none, page, healthz, metrics, status, queue, delivery, history, pause, resume, reload, retry, resolve };

struct Route {
  Endpoint endpoint = Endpoint::none;
  std::string key;
  bool bad_key = false;
};

bool is_post(Endpoint e) {
  return e == Endpoint::pause || e == Endpoint::resume || e == Endpoint::reload || e == Endpoint::retry ||
         e == Endpoint::resolve;
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
    else return r;
    auto key = status_json::percent_decode(encoded);
    if (key) r.key = std::move(*key);
    else r.bad_key = true;
  }
  return r;
}

void send_json(httplib::Response& res, int status, const boost::json::value& body) {
  res.status = status;
  res.set_content(status_json::serialize(body), kJson);
}

void send_error(httplib::Response& res, int status, std::string_view message) {
  send_json(res, status, status_json::error(message));
}

std::string_view reason_for(int status) {
  switch (status) {
    case 400: return "bad request";
    case 401: return "a valid bearer token is required";
    case 404: return "no such endpoint";
    case 405: return "method not allowed";
    case 413: return "the request body is too large";
    case 414: return "the request target is too long";
    case 431: return "the request headers are too large";
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

bool valid_port(std::string_view text, int& port) {
  if (text.empty() || text.size() > 5) return false;
  int n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n > 65535) return false;
  port = n;
  return true;
}

std::size_t header_bytes(const httplib::Request& req) {
  std::size_t n = 0;
  for (const auto& [name, value] : req.headers) n += name.size() + value.size() + 4;  // ": " and CRLF
  return n;
}

// SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, with which a
// second daemon would silently share the port instead of failing to start.
void socket_options(socket_t sock) {
  int yes = 1;
  ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

// Whether something accepts connections on the unix socket at `path`.
bool unix_socket_alive(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const bool alive = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return alive;
}

// A request path as a log line may show it: no control characters.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 200)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? '?' : c;
  return out;
}

std::string bind_failure(int err) {
  if (err == EADDRINUSE) return "address already in use (is another herald running?)";
  if (err == EADDRNOTAVAIL) return "address not available on this machine";
  if (err == EACCES) return "permission denied";
  if (err != 0) return std::strerror(err);
  return "cannot bind";
}

}  // namespace

std::optional<ListenAddress> parse_listen(std::string_view text, std::string& error) {
  ListenAddress a;
  if (text.starts_with("unix:")) {
    a.unix_socket = true;
    a.host = std::string(text.substr(5));
    if (a.host.empty() || a.host.front() != '/') {
      error = "a unix socket needs an absolute path (unix:/run/herald/status.sock)";
      return std::nullopt;
    }
    if (a.host.size() >= sizeof(sockaddr_un{}.sun_path) || a.host.find('\0') != std::string::npos) {
      error = "the unix socket path is too long";
      return std::nullopt;
    }
    return a;
  }
  const std::string form = "expected HOST:PORT, [IPV6]:PORT or unix:/path";
  std::string_view host, port;
  if (text.starts_with("[")) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) {
      error = form;
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    in6_addr v6{};
    if (::inet_pton(AF_INET6, std::string(host).c_str(), &v6) != 1) {
      error = "'" + std::string(host) + "' is not an IPv6 address";
      return std::nullopt;
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      error = form;
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      error = "write an IPv6 address in brackets: [::1]:8787";
      return std::nullopt;
    }
  }
  if (host.empty()) {
    error = "the host is missing (" + form + ")";
    return std::nullopt;
  }
  if (!valid_port(port, a.port)) {
    error = "'" + std::string(port) + "' is not a port (0 to 65535)";
    return std::nullopt;
  }
  a.host = std::string(host);
  return a;
}

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

void StatusServer::log_warning(const std::string& line) {
  std::lock_guard lock(log_mutex_);
  logger_.warning(line);
}

void StatusServer::log_error(const std::string& line) {
  std::lock_guard lock(log_mutex_);
  logger_.error(line);
}

void StatusServer::start() {
  if (server_) throw std::logic_error("status server already started");
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

  auto server = std::make_unique<httplib::Server>();
  const std::size_t threads = std::max<std::size_t>(1, limits_.threads);
  server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server->set_payload_max_length(limits_.max_body);
  server->set_read_timeout(limits_.read_timeout);
  server->set_write_timeout(limits_.write_timeout);
  // Without TCP_NODELAY a small answer written in two parts waits for the
  // client's delayed ACK (about 40 ms) on a kept-alive connection.
  server->set_tcp_nodelay(true);
  server->set_keep_alive_max_count(limits_.keep_alive_max);
  server->set_keep_alive_timeout(static_cast<time_t>(limits_.keep_alive_timeout.count()));
  server->set_socket_options(socket_options);
  server->set_default_headers({{"Cache-Control", "no-store"},
                               {"X-Content-Type-Options", "nosniff"},
                               {"Referrer-Policy", "no-referrer"},
                               {"X-Frame-Options", "DENY"}});
  // Limits first, then GET and HEAD are answered here, before cpp-httplib's
  // regex routing (which never sees a long target); other methods go on so
  // their body is read under the payload limit, and land in handle() below.
  server->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (refuse_oversized(req, res)) return httplib::Server::HandlerResponse::Handled;
    if (req.method == "GET" || req.method == "HEAD") {
      handle(req, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  const std::string any = "[\\s\\S]*";
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  server->Post(any, handler);
  server->Put(any, handler);
  server->Patch(any, handler);
  server->Delete(any, handler);
  server->Options(any, handler);
  // Answers cpp-httplib produced itself (400, 413, ...) get a JSON body too.
  server->set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) send_error(res, res.status, reason_for(res.status));
    return httplib::Server::HandlerResponse::Handled;
  }));
  server->set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    log_error("status API: unexpected exception while answering a request");
    send_error(res, 500, "internal error");
  });

  errno = 0;
  if (address->unix_socket) {
    namespace fs = std::filesystem;
    const fs::path path(address->host);
    std::error_code ec;
    const auto st = fs::symlink_status(path, ec);
    if (!ec && fs::exists(st)) {
      if (!fs::is_socket(st)) throw std::runtime_error(where + address->host + " exists and is not a socket");
      if (unix_socket_alive(address->host))
        throw std::runtime_error(where + "another process serves on " + address->host);
      fs::remove(path, ec);  // a stale socket of a previous run
      if (ec) throw std::runtime_error(where + "cannot remove the stale socket: " + ec.message());
    }
    server->set_address_family(AF_UNIX);
    if (!server->bind_to_port(address->host, 80)) throw std::runtime_error(where + bind_failure(errno));
    unix_path_ = address->host;
    if (::chmod(unix_path_.c_str(), 0660) != 0) {
      const int err = errno;
      ::unlink(unix_path_.c_str());
      unix_path_.clear();
      throw std::runtime_error(where + "cannot make the socket 0660: " + std::strerror(err));
    }
    port_ = 0;
  } else if (address->port == 0) {
    const int port = server->bind_to_any_port(address->host);
    if (port < 0) throw std::runtime_error(where + bind_failure(errno));
    port_ = port;
  } else {
    if (!server->bind_to_port(address->host, address->port)) throw std::runtime_error(where + bind_failure(errno));
    port_ = address->port;
  }

  server_ = std::move(server);
  auto done = std::make_shared<std::atomic<bool>>(false);
  thread_ = std::thread([srv = server_.get(), done] {
    srv->listen_after_bind();
    done->store(true);
  });
  // stop() only works once the accept loop runs; wait for it (briefly).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server_->is_running() && !done->load() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!server_->is_running()) {
    stop();
    throw std::runtime_error(where + "the server did not start");
  }
}

void StatusServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
  if (!unix_path_.empty()) {
    ::unlink(unix_path_.c_str());
    unix_path_.clear();
  }
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

// The steps cpp-httplib takes between the request line and start()'s
// handlers, in the same order: the target split at '?' (a second '?' is a
// 400), the pre-routing limits, the body limit (only for the methods that
// get past pre-routing, whose body is read), the handler, the exception
// handler, and the JSON body for an answer without one.
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

  Reply reply;
  reply.status = res.status;
  reply.headers.assign(res.headers.begin(), res.headers.end());
  reply.body = std::move(res.body);
  return reply;
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
      send_error(res, r.http_status, r.error.empty() ? reason_for(r.http_status) : std::string_view(r.error));
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
