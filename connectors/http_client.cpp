#include "connectors/http_client.hpp"
#include "config/text.hpp"

// httplib.h is read with the feature macros of Debian's build (OpenSSL,
// zlib, Brotli), which CMake takes from cpp-httplib.pc (top-level
// CMakeLists.txt).
#include <httplib.h>

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace herald {
namespace {

HttpResponse fail(std::string what) {
  HttpResponse r;
  r.error = std::move(what);
  return r;
}

// Where a request goes, taken apart. The query may carry a token (Graph
// accepts access_token there), so nothing from it reaches an error message.
struct Target {
  bool https = false;
  std::string host;
  int port = 0;
  std::string path_and_query;
};

// Returns an error message, or empty on success.
std::string parse_target(const std::string& url, Target& out) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return "invalid URL";
  const auto& u = *parsed;
  const std::string scheme = ascii_lower(std::string(u.scheme()));
  if (scheme != "https" && scheme != "http") return "unsupported URL scheme (only https)";
  if (u.has_userinfo()) return "credentials in the URL are not allowed";
  switch (u.host_type()) {
    case boost::urls::host_type::name:
    case boost::urls::host_type::ipv4:
      out.host = std::string(u.encoded_host());
      break;
    case boost::urls::host_type::ipv6:
      out.host = u.host_ipv6_address().to_string();
      break;
    default:
      return "URL has no usable host";
  }
  if (out.host.empty() || out.host.find('%') != std::string::npos) return "URL has no usable host";
  out.https = scheme == "https";
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0) return "invalid port in URL";
    out.port = u.port_number();
  } else {
    out.port = out.https ? 443 : 80;
  }
  out.path_and_query = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
  if (u.has_query()) out.path_and_query += "?" + std::string(u.encoded_query());
  return {};
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  std::string h = ascii_lower(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h == "localhost" || h == "localhost.") return true;
  if (auto v4 = boost::urls::parse_ipv4_address(h)) return (v4->to_uint() >> 24) == 127;
  if (auto v6 = boost::urls::parse_ipv6_address(h)) return *v6 == boost::urls::ipv6_address::loopback();
  return false;
}

const std::string* find_header(const HttpResponse& response, const std::string& lower_name) {
  auto it = response.headers.find(lower_name);
  return it == response.headers.end() ? nullptr : &it->second;
}

// Idle kept-alive connections by origin (scheme://host:port). A connection
// is taken out while a request uses it, so no two threads ever share one
// (an httplib client object serves one request at a time), and put back
// only while its socket is open. The newest idle one is reused first; one
// idle longer than keep_alive_idle is closed instead.
class ConnectionPool {
 public:
  explicit ConnectionPool(const HttpLimits& limits) : limits_(limits) {}

  std::unique_ptr<httplib::ClientImpl> take(const std::string& origin) {
    std::vector<Idle> stale;  // closed after the lock is let go (a TLS close writes)
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = idle_.find(origin);
    if (it == idle_.end()) return nullptr;
    const auto now = std::chrono::steady_clock::now();
    while (!it->second.empty()) {
      Idle c = std::move(it->second.back());
      it->second.pop_back();
      --total_;
      if (now - c.since <= limits_.keep_alive_idle) return std::move(c.client);
      stale.push_back(std::move(c));
    }
    return nullptr;
  }

  void give_back(const std::string& origin, std::unique_ptr<httplib::ClientImpl> client) {
    if (!client->is_socket_open()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    auto& list = idle_[origin];
    if (list.size() >= limits_.idle_per_origin || total_ >= limits_.idle_total) return;
    list.push_back({std::move(client), std::chrono::steady_clock::now()});
    ++total_;
  }

 private:
  struct Idle {
    std::unique_ptr<httplib::ClientImpl> client;
    std::chrono::steady_clock::time_point since;
  };
  HttpLimits limits_;
  std::mutex mutex_;
  std::map<std::string, std::vector<Idle>> idle_;
  std::size_t total_ = 0;
};

HttplibClient::HttplibClient(std::string version, HttpLimits limits, std::string ca_bundle)
    : user_agent_("herald/" + std::move(version)),
      limits_(limits),
      ca_bundle_(std::move(ca_bundle)),
      pool_(std::make_unique<ConnectionPool>(limits_)) {}

HttplibClient::~HttplibClient() = default;

namespace {

// A new connection's client with every deadline and the TLS rules.
std::unique_ptr<httplib::ClientImpl> new_client(const Target& target, const HttpLimits& limits,
                                                const std::string& ca_bundle) {
  std::unique_ptr<httplib::ClientImpl> client;
  if (target.https) {
    auto tls = std::make_unique<httplib::SSLClient>(target.host, target.port);
    tls->set_ca_cert_path(ca_bundle.c_str());
    tls->enable_server_certificate_verification(true);
    client = std::move(tls);
  } else {
    client = std::make_unique<httplib::ClientImpl>(target.host, target.port);
  }
  client->set_connection_timeout(limits.connect_timeout);
  client->set_read_timeout(limits.read_timeout);
  client->set_write_timeout(limits.write_timeout);
  client->set_follow_location(false);  // a redirect is an answer for the connector to judge
  client->set_keep_alive(true);
  // Without it a kept-alive connection meets Nagle and the peer's delayed
  // ACK: a request written in two segments waits ~40 ms for the second.
  client->set_tcp_nodelay(true);
  return client;
}

// Methods that create nothing (RFC 9110 9.2.1): the only ones sent again
// after a kept-alive connection failed under them.
bool is_safe_method(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

struct Exchange {
  HttpResponse response;
  bool transport_failed = false;  // no complete response, for a reason other than the size limit
};

Exchange exchange(httplib::ClientImpl& client, const Target& target, const HttpRequest& request,
                  const std::string& user_agent, std::size_t limit) {
  httplib::Request req;
  req.method = request.method;
  req.path = target.path_and_query;
  for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
  if (!req.has_header("User-Agent")) req.headers.emplace("User-Agent", user_agent);
  if (!request.content_type.empty() && !req.has_header("Content-Type")) {
    req.headers.emplace("Content-Type", request.content_type);
  }
  req.body = request.body;

  // The size limit is enforced while reading: a declared Content-Length over
  // the limit stops before the body, and a streamed body stops at the limit
  // (after decompression, so a small gzip bomb is caught too).
  bool too_large = false;
  std::string body;
  req.response_handler = [&](const httplib::Response& head) {
    if (head.has_header("Content-Length")) {
      const auto declared = head.get_header_value<std::uint64_t>("Content-Length");
      if (declared > limit) {
        too_large = true;
        return false;
      }
    }
    return true;
  };
  req.content_receiver = [&](const char* data, std::size_t length, std::uint64_t, std::uint64_t) {
    if (length > limit - body.size()) {
      too_large = true;
      return false;
    }
    body.append(data, length);
    return true;
  };

  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  const bool ok = client.send(req, res, error);
  Exchange out;
  if (too_large) {
    out.response = fail("response larger than " + std::to_string(limit) + " bytes");
    return out;
  }
  if (!ok) {
    // httplib's own words name the failure class (connection, read, TLS
    // verification...); the host says where. No header or query is echoed.
    out.response = fail(httplib::to_string(error) + " (" + request.method + " " +
                        (target.https ? "https://" : "http://") + target.host + ":" +
                        std::to_string(target.port) + ")");
    out.transport_failed = true;
    return out;
  }
  out.response.status = res.status;
  for (const auto& [name, value] : res.headers) out.response.headers.emplace(ascii_lower(name), value);
  out.response.body = std::move(body);
  return out;
}

}  // namespace

HttpResponse HttplibClient::send(const HttpRequest& request) {
  Target target;
  if (auto problem = parse_target(request.url, target); !problem.empty()) return fail(problem);
  // Production talks https only; plain http is for the sandbox on loopback.
  // Decided before any socket is opened.
  if (!target.https && !is_loopback_host(target.host)) {
    return fail("plain http refused for non-loopback host " + target.host + " (use https)");
  }
  const std::string origin =
      std::string(target.https ? "https://" : "http://") + target.host + ":" + std::to_string(target.port);

  // A kept-alive connection the server has closed while it sat idle is
  // found by cpp-httplib itself: before writing on an open socket,
  // ClientImpl::send peeks at it (detail::is_socket_alive, a MSG_PEEK read
  // that sees the FIN) and connects anew, nothing written yet. What it
  // cannot see is a close that crosses the request (the server's keep-alive
  // timeout running out as the request travels, or a close after reading
  // it): then send fails with Write or Read, and cpp-httplib 0.11 never
  // sends again by itself. Nor do we for a POST (or any method that may
  // create): its request may have reached the platform, so the failure goes
  // to the connector as it would on a new connection, and the dispatcher
  // settles it. A safe method (GET, HEAD) creates nothing and is sent once
  // more on a new connection.
  auto client = pool_->take(origin);
  const bool reused = client != nullptr;
  if (!client) client = new_client(target, limits_, ca_bundle_);
  Exchange result = exchange(*client, target, request, user_agent_, limits_.max_response_bytes);
  if (result.transport_failed && reused && is_safe_method(request.method)) {
    client = new_client(target, limits_, ca_bundle_);
    result = exchange(*client, target, request, user_agent_, limits_.max_response_bytes);
  }
  if (!result.transport_failed) pool_->give_back(origin, std::move(client));
  return std::move(result.response);
}

}  // namespace herald
