#pragma once
// Support for the tests of the commands that talk to the status endpoint.
// FakeStatusServer: a stand-in for the daemon's status endpoint, in the test process: an
// httplib::Server on 127.0.0.1 (port 0) or a unix socket that answers canned
// JSON per request line and records every request as it arrived.

#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace herald::testing {

/// One request as the server saw it; `target` is the raw request target (still encoded).
struct RecordedRequest {
  std::string method;
  std::string target;
  bool has_authorization = false;
  std::string authorization;
  std::string content_type;
  std::string body;
};

class FakeStatusServer {
 public:
  /// Listens on 127.0.0.1 at a free port.
  FakeStatusServer() {
    setup();
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("cannot bind 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  /// Listens on a unix socket at `socket`.
  explicit FakeStatusServer(const std::filesystem::path& socket) {
    setup();
    server_.set_address_family(AF_UNIX);
    if (!server_.bind_to_port(socket.string(), 80)) throw std::runtime_error("cannot bind " + socket.string());
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeStatusServer() {
    // stop() only acts on a running loop: wait for the thread to reach it.
    for (int i = 0; i < 5000 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    {
      std::lock_guard lock(mutex_);
      release_ = true;
    }
    released_.notify_all();
    server_.stop();
    thread_.join();
  }
  FakeStatusServer(const FakeStatusServer&) = delete;
  FakeStatusServer& operator=(const FakeStatusServer&) = delete;

  /// What `METHOD target` (target as sent, encoded) answers.
  void answer(const std::string& method, const std::string& target, int status, std::string body) {
    std::lock_guard lock(mutex_);
    answers_[method + " " + target] = {status, std::move(body)};
  }
  /// `METHOD target` answers only once the server is destroyed (to test read deadlines).
  void hold(const std::string& method, const std::string& target) {
    std::lock_guard lock(mutex_);
    held_.insert(method + " " + target);
  }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string listen() const { return "127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::vector<RecordedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void setup() {
    // Routed handlers (not a pre-routing one): they run after the body is read.
    auto handle = [this](const httplib::Request& req, httplib::Response& res) {
      std::unique_lock lock(mutex_);
      if (held_.count(req.method + " " + req.target)) released_.wait(lock, [this] { return release_; });
      requests_.push_back({req.method, req.target, req.has_header("Authorization"),
                           req.get_header_value("Authorization"), req.get_header_value("Content-Type"), req.body});
      auto it = answers_.find(req.method + " " + req.target);
      if (it == answers_.end()) {
        res.status = 404;
        res.set_content(R"({"error":"no canned answer for )" + req.method + " " + req.target + "\"}",
                        "application/json; charset=utf-8");
      } else {
        res.status = it->second.first;
        if (res.status == 401) res.set_header("WWW-Authenticate", "Bearer");
        res.set_content(it->second.second, "application/json; charset=utf-8");
      }
    };
    server_.Get(".*", handle);
    server_.Post(".*", handle);
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::map<std::string, std::pair<int, std::string>> answers_;
  std::vector<RecordedRequest> requests_;
  std::set<std::string> held_;
  bool release_ = false;
  std::condition_variable released_;
};

/// A settings file in a fresh directory (Europe/Amsterdam, channels x, fb and
/// blog) whose status endpoint is `listen`, with the token file
/// credentials/status-token holding `token` (none when token is empty).
class StatusTestDir {
 public:
  StatusTestDir(const std::string& listen, const std::string& token) {
    dir_ = std::filesystem::temp_directory_path() /
           ("herald-status-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "credentials");
    std::ofstream(dir_ / "herald.yaml") << "calendar: calendar.yaml\n"
                                           "state_dir: state\n"
                                           "credentials_dir: credentials\n"
                                           "timezone: Europe/Amsterdam\n"
                                           "status: {listen: \"" << listen << "\"}\n"
                                           "channels:\n"
                                           "  x: {kind: x, account: a, credentials: x}\n"
                                           "  fb: {kind: facebook, page_id: \"1\", credentials: fb}\n"
                                           "  blog: {kind: wordpress, site: https://blog.example.nl, credentials: b}\n";
    if (!token.empty()) std::ofstream(dir_ / "credentials" / "status-token") << token << "\n";
  }
  ~StatusTestDir() { std::filesystem::remove_all(dir_); }
  StatusTestDir(const StatusTestDir&) = delete;
  StatusTestDir& operator=(const StatusTestDir&) = delete;
  [[nodiscard]] std::string config() const { return (dir_ / "herald.yaml").string(); }
  [[nodiscard]] std::filesystem::path token_file() const { return dir_ / "credentials" / "status-token"; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  static inline int counter_ = 0;
};

/// A TCP port on 127.0.0.1 bound but not listening: connecting to it is
/// refused (nothing answers), and no other process takes it while it lives.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("cannot bind a port");
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  [[nodiscard]] std::string listen() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace herald::testing
