#pragma once
// An HttpClient that passes every request to a real one (the in-process
// sandbox's) and keeps a copy, so connector tests can see what went over
// the wire. Safe to use from the connector's threads and the test's.

#include "connectors/http_client.hpp"

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace herald {

class RecordingClient : public HttpClient {
 public:
  explicit RecordingClient(HttpClient& inner) : inner_(inner) {}

  HttpResponse send(const HttpRequest& request) override {
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    if (before) before(request);
    return inner_.send(request);
  }

  /// Runs before each request is passed on (a test's hook), when set.
  std::function<void(const HttpRequest&)> before;

  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  int total() const { return static_cast<int>(requests().size()); }
  /// How many went out as `method` (any method when empty) to a URL containing `url_part`.
  int count(const std::string& method, const std::string& url_part) const {
    int n = 0;
    for (const auto& r : requests())
      if ((method.empty() || r.method == method) && r.url.find(url_part) != std::string::npos) ++n;
    return n;
  }
  /// How many went out as `method` to a URL whose path (before `?`) ends in `tail`.
  int count_path_ending(const std::string& method, const std::string& tail) const {
    int n = 0;
    for (const auto& r : requests())
      if (r.method == method && r.url.substr(0, r.url.find('?')).ends_with(tail)) ++n;
    return n;
  }
  /// The values of header `name` on every request with `method` to `url_part`, in order.
  std::vector<std::string> headers(const std::string& method, const std::string& url_part,
                                   const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& r : requests()) {
      if (r.method != method || r.url.find(url_part) == std::string::npos) continue;
      for (const auto& [n, v] : r.headers)
        if (n == name) out.push_back(v);
    }
    return out;
  }
  /// Header `name` of the last request with `method`, or "" (none, or it had none).
  std::string last_header(const std::string& method, const std::string& name) const {
    const auto all = requests();
    for (auto r = all.rbegin(); r != all.rend(); ++r) {
      if (r->method != method) continue;
      for (const auto& [n, v] : r->headers)
        if (n == name) return v;
      return {};
    }
    return {};
  }

 private:
  HttpClient& inner_;
  mutable std::mutex mutex_;
  std::vector<HttpRequest> requests_;
};

}  // namespace herald
