#pragma once
// The one place outgoing HTTP happens. Connectors build an HttpRequest, hand it
// to an HttpClient and read the HttpResponse; tests give them a fake client.
// HttplibClient is the real one: cpp-httplib with deadlines and a size limit
// from one HttpLimits value (STYLE.md 8), TLS verification on, and plain http
// only to loopback hosts (the sandbox and tests).

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace herald {

/// One outgoing request. `url` is absolute: https://host[:port]/path?query.
struct HttpRequest {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type;  ///< sent as Content-Type when not empty
};

/// What came back. `error` is set (and `status` 0) when no complete response
/// arrived: connect failure, timeout, TLS failure, refused URL, size limit.
/// It never holds header values or the URL's query.
struct HttpResponse {
  int status = 0;
  std::multimap<std::string, std::string> headers;  ///< names in lower case
  std::string body;
  std::string error;
};

/// The (first) value of the response header `lower_name`, given in lower
/// case as `headers` keeps names; nullptr when the response has none.
const std::string* find_header(const HttpResponse& response, const std::string& lower_name);

/// Sends requests; blocking, one at a time per call. Implementations may be
/// called from several worker threads at once.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  /// Sends the request and waits for the whole response or an error.
  virtual HttpResponse send(const HttpRequest& request) = 0;
};

/// Deadlines and the response size limit for every outgoing request.
struct HttpLimits {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds{10}};
  std::chrono::milliseconds read_timeout{std::chrono::seconds{30}};
  std::chrono::milliseconds write_timeout{std::chrono::seconds{30}};
  std::size_t max_response_bytes = 8 * 1024 * 1024;
  /// A kept-alive connection idle longer than this is closed, not reused:
  /// below the usual servers' keep-alive timeouts (5 s for Apache and
  /// cpp-httplib), so a reused connection is rarely one the server is closing.
  std::chrono::milliseconds keep_alive_idle{std::chrono::seconds{2}};
  /// Idle connections kept per origin (scheme, host, port) and in all.
  std::size_t idle_per_origin = 8;
  std::size_t idle_total = 64;
};

/// The system CA bundle on Debian (ca-certificates).
inline constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

class ConnectionPool;

/// The real client: cpp-httplib over OpenSSL. Keeps connections alive and
/// reuses them per origin (a small bounded pool of idle connections; each
/// used by one thread at a time); follows no redirects. A request that
/// fails on a reused connection is sent again on a new one only if its
/// method is idempotent: a POST that may have been written is never resent.
class HttplibClient : public HttpClient {
 public:
  /// `version` goes into the User-Agent as herald/<version>.
  explicit HttplibClient(std::string version, HttpLimits limits = {},
                         std::string ca_bundle = kSystemCaBundle);
  ~HttplibClient() override;
  HttpResponse send(const HttpRequest& request) override;

 private:
  std::string user_agent_;
  HttpLimits limits_;
  std::string ca_bundle_;
  std::unique_ptr<ConnectionPool> pool_;
};

/// True for hosts plain http may go to: localhost, 127.0.0.0/8 and ::1.
bool is_loopback_host(const std::string& host);

}  // namespace herald
