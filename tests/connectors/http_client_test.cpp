// HttplibClient against a real cpp-httplib server on 127.0.0.1.
// Debian's cpp-httplib is a compiled library: its header is read with the
// feature macros it was built with (cpp-httplib.pc, top-level CMakeLists.txt).
#include <httplib.h>

#include "connectors/http_client.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <vector>
#include <cstdlib>
#include <filesystem>
#include <chrono>
#include <string>
#include <thread>

namespace herald {
namespace {

using namespace std::chrono_literals;

// A loopback server on an ephemeral port, serving from its own thread.
class LoopbackServer {
 public:
  LoopbackServer() = default;
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  ~LoopbackServer() { stop(); }

  httplib::Server& server() { return server_; }

  void start(time_t keep_alive_s = 1) {
    // The client keeps its connection alive: stop() waits for the server's
    // keep-alive timeout of a connection still open, 5 s by default.
    server_.set_keep_alive_timeout(keep_alive_s);
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    // The socket already listens after bind_to_any_port: a client connecting
    // before the thread reaches accept() simply waits in the backlog.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  void stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

// A loopback port nothing listens on: bound, never listened, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(HttpClient, GetRoundTripWithHeaders) {
  LoopbackServer s;
  std::string user_agent, auth, query;
  s.server().Get("/hello", [&](const httplib::Request& req, httplib::Response& res) {
    user_agent = req.get_header_value("User-Agent");
    auth = req.get_header_value("Authorization");
    query = req.get_param_value("q");
    res.set_header("X-Rate-Limit-Remaining", "41");
    res.set_content("{\"ok\":true}", "application/json");
  });
  s.start();

  HttplibClient client("1.2.3");
  const auto r = client.send({"GET", s.url("/hello?q=a%20b"), {{"Authorization", "Bearer t0k"}}, "", ""});
  s.stop();

  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"ok\":true}");
  EXPECT_EQ(user_agent, "herald/1.2.3");
  EXPECT_EQ(auth, "Bearer t0k");
  EXPECT_EQ(query, "a b");
  ASSERT_EQ(r.headers.count("x-rate-limit-remaining"), 1u);  // names come back lower-case
  EXPECT_EQ(r.headers.find("x-rate-limit-remaining")->second, "41");
  EXPECT_EQ(r.headers.find("content-type")->second, "application/json");
}

TEST(HttpClient, PostSendsBodyAndContentType) {
  LoopbackServer s;
  std::string body, content_type, length;
  s.server().Post("/2/tweets", [&](const httplib::Request& req, httplib::Response& res) {
    body = req.body;
    content_type = req.get_header_value("Content-Type");
    length = req.get_header_value("Content-Length");
    res.status = 201;
    res.set_content("{\"data\":{\"id\":\"1\"}}", "application/json");
  });
  s.start();

  HttplibClient client("0.1.0");
  const auto r = client.send({"POST", s.url("/2/tweets"), {}, "{\"text\":\"hi\"}", "application/json"});
  s.stop();

  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "{\"data\":{\"id\":\"1\"}}");
  EXPECT_EQ(body, "{\"text\":\"hi\"}");
  EXPECT_EQ(content_type, "application/json");
  EXPECT_EQ(length, "13");
}

TEST(HttpClient, ErrorStatusIsAResponseNotAnError) {
  LoopbackServer s;
  s.server().Post("/x", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_header("Retry-After", "7");
    res.set_content("busy", "text/plain");
  });
  s.start();
  HttplibClient client("0.1.0");
  const auto r = client.send({"POST", s.url("/x"), {}, "a=b", "application/x-www-form-urlencoded"});
  s.stop();
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers.find("retry-after")->second, "7");
}

TEST(HttpClient, RedirectsAreNotFollowed) {
  LoopbackServer s;
  s.server().Get("/old", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("/new");
  });
  s.start();
  HttplibClient client("0.1.0");
  const auto r = client.send({"GET", s.url("/old"), {}, "", ""});
  s.stop();
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.headers.find("location")->second, "/new");
}

TEST(HttpClient, ReadTimeout) {
  LoopbackServer s;
  std::atomic<bool> release{false};
  s.server().Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    // Wait for the test to finish (not a fixed sleep), bounded in case it fails.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!release && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    res.set_content("late", "text/plain");
  });
  s.start();

  HttpLimits limits;
  limits.read_timeout = 1s;
  HttplibClient client("0.1.0", limits);
  const auto started = std::chrono::steady_clock::now();
  const auto r = client.send({"GET", s.url("/slow"), {}, "", ""});
  const auto took = std::chrono::steady_clock::now() - started;
  release = true;
  s.stop();

  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error, "");
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 4s);
}

TEST(HttpClient, OversizedBodyIsRefused) {
  LoopbackServer s;
  s.server().Get("/big", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(2000, 'x'), "text/plain");
  });
  s.server().Get("/chunked", [](const httplib::Request&, httplib::Response& res) {
    // No Content-Length: the limit must hold while streaming too.
    res.set_chunked_content_provider("text/plain", [](size_t, httplib::DataSink& sink) {
      const std::string piece(300, 'y');
      for (int i = 0; i < 10; ++i) {
        if (!sink.write(piece.data(), piece.size())) return false;
      }
      sink.done();
      return true;
    });
  });
  s.server().Get("/fits", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(1000, 'z'), "text/plain");
  });
  s.start();

  HttpLimits limits;
  limits.max_response_bytes = 1000;
  HttplibClient client("0.1.0", limits);
  const auto big = client.send({"GET", s.url("/big"), {}, "", ""});
  const auto chunked = client.send({"GET", s.url("/chunked"), {}, "", ""});
  const auto fits = client.send({"GET", s.url("/fits"), {}, "", ""});
  s.stop();

  EXPECT_EQ(big.error, "response larger than 1000 bytes");
  EXPECT_EQ(big.status, 0);
  EXPECT_EQ(chunked.error, "response larger than 1000 bytes");
  EXPECT_EQ(fits.error, "");
  EXPECT_EQ(fits.body.size(), 1000u);
}

TEST(HttpClient, ConnectErrorOnClosedPortKeepsSecretsOut) {
  HttplibClient client("0.1.0");
  const auto url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/feed?access_token=SECRET1";
  const auto r = client.send({"POST", url, {{"Authorization", "Bearer SECRET2"}}, "m=1", "text/plain"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error, "");
  EXPECT_EQ(r.error.find("SECRET"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("127.0.0.1"), std::string::npos) << r.error;
}

TEST(HttpClient, PlainHttpRefusedForNonLoopbackHosts) {
  HttplibClient client("0.1.0");
  // Refused before connecting, so no network is needed (a connect attempt to
  // these names would fail differently, or hang until the connect timeout).
  for (const char* url : {"http://api.x.com/2/tweets?token=SECRET", "http://192.0.2.1/x",
                          "http://10.0.0.1:8080/", "http://[2001:db8::1]/"}) {
    const auto r = client.send({"POST", url, {{"Authorization", "Bearer SECRET"}}, "", ""});
    EXPECT_EQ(r.status, 0) << url;
    EXPECT_NE(r.error.find("plain http refused"), std::string::npos) << url << ": " << r.error;
    EXPECT_EQ(r.error.find("SECRET"), std::string::npos) << r.error;
  }
}

TEST(HttpClient, RejectsUnusableUrls) {
  HttplibClient client("0.1.0");
  for (const char* url : {"ftp://example.com/x", "not a url", "https://user:pw@example.com/",
                          "/relative/path"}) {
    const auto r = client.send({"GET", url, {}, "", ""});
    EXPECT_EQ(r.status, 0) << url;
    EXPECT_NE(r.error, "") << url;
    EXPECT_EQ(r.error.find("pw"), std::string::npos) << r.error;
  }
}

TEST(HttpClient, HttpsToAPlainServerFailsTheHandshake) {
  LoopbackServer s;
  s.server().Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  s.start();
  HttplibClient client("0.1.0");
  std::string url = s.url("/");
  url.replace(0, 4, "https");
  const auto r = client.send({"GET", url, {}, "", ""});
  s.stop();
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error, "");
}

// TLS verification is on: a server whose certificate no trusted CA signed
// is refused; the same server is accepted when its certificate is the CA
// bundle the client trusts, so the refusal is the verification, not TLS.
TEST(HttpClient, CertificatesAreVerifiedAgainstTheCaBundle) {
  const auto dir = std::filesystem::temp_directory_path() / ("herald-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto key = dir / "key.pem", cert = dir / "cert.pem";
  const std::string make_cert = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
                                "-addext subjectAltName=DNS:localhost -keyout '" + key.string() + "' -out '" +
                                cert.string() + "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(make_cert.c_str()), 0) << "openssl (Debian package openssl) makes the test certificate";
  httplib::SSLServer server(cert.c_str(), key.c_str());
  ASSERT_TRUE(server.is_valid());
  server.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread thread([&] { server.listen_after_bind(); });
  const std::string url = "https://localhost:" + std::to_string(port) + "/";

  HttplibClient system_cas("0.1.0", HttpLimits{.connect_timeout = 2s, .read_timeout = 2s, .write_timeout = 2s});
  const auto refused = system_cas.send({"GET", url, {}, "", ""});
  HttplibClient trusting("0.1.0", HttpLimits{.connect_timeout = 2s, .read_timeout = 2s, .write_timeout = 2s},
                         cert.string());
  const auto accepted = trusting.send({"GET", url, {}, "", ""});
  server.stop();
  thread.join();
  std::filesystem::remove_all(dir);
  EXPECT_EQ(refused.status, 0);
  EXPECT_NE(refused.error, "");
  EXPECT_EQ(accepted.status, 200) << accepted.error;
  EXPECT_EQ(accepted.body, "ok");
}

TEST(HttpClient, LoopbackHosts) {
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("LocalHost"));
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.255.3.4"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_TRUE(is_loopback_host("[::1]"));
  EXPECT_FALSE(is_loopback_host("128.0.0.1"));
  EXPECT_FALSE(is_loopback_host("localhost.example.com"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1.nip.io"));
  EXPECT_FALSE(is_loopback_host("::2"));
  EXPECT_FALSE(is_loopback_host(""));
}

TEST(HttpClient, LocalhostNameIsAllowedOverHttp) {
  LoopbackServer s;
  s.server().Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  s.start();
  HttplibClient client("0.1.0");
  std::string url = s.url("/");
  url.replace(url.find("127.0.0.1"), 9, "localhost");
  const auto r = client.send({"GET", url, {}, "", ""});
  s.stop();
  // localhost may resolve to ::1 first; httplib tries each address.
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.body, "ok");
}

// Kept-alive connections (issue 15.3). A plain TCP server on 127.0.0.1 that
// speaks just enough HTTP/1.1 to script what cpp-httplib's server cannot:
// closing a kept-alive connection after answering, or after reading a
// request without answering it. It records every request with the number
// of the connection it came on.
class ScriptedHttpServer {
 public:
  enum class After { keep_open, close, close_unanswered };
  struct Seen {
    int connection;
    std::string method;
    std::string path;
  };
  using Script = std::function<After(int n)>;

  /// `script`: what it does after reading request number n (from 0), over
  /// all connections. Given here, before the serving thread starts, so that
  /// thread never reads it while the test writes it.
  explicit ScriptedHttpServer(Script script = [](int) { return After::keep_open; }) : script_(std::move(script)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedHttpServer() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }
  int connections() {
    std::lock_guard<std::mutex> lock(mutex_);
    return connections_;
  }
  /// Waits until the server has closed the connection after request n
  /// (its FIN is on its way before the client's next request).
  void wait_closed(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    closed_cv_.wait(lock, [&] { return closed_after_ > n; });
  }

 private:
  // One connection at a time, served in turn: the tests send one request
  // at a time.
  void serve() {
    for (;;) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      int connection;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        connection = ++connections_;
      }
      std::string buffer;
      bool closed = false;
      for (bool open = true; open;) {
        std::size_t end;
        while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
          char chunk[4096];
          const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
          if (n <= 0) {
            open = false;
            break;
          }
          buffer.append(chunk, static_cast<std::size_t>(n));
        }
        if (!open) break;
        const std::string head = buffer.substr(0, end);
        std::size_t length = 0;
        if (auto at = head.find("Content-Length: "); at != std::string::npos)
          length = std::stoul(head.substr(at + 16));
        while (buffer.size() < end + 4 + length) {
          char chunk[4096];
          const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
          if (n <= 0) break;
          buffer.append(chunk, static_cast<std::size_t>(n));
        }
        buffer.erase(0, end + 4 + length);
        const auto space = head.find(' ');
        const auto space2 = head.find(' ', space + 1);
        int index;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          index = static_cast<int>(seen_.size());
          seen_.push_back({connection, head.substr(0, space), head.substr(space + 1, space2 - space - 1)});
        }
        const After after = script_(index);
        if (after != After::close_unanswered) {
          const std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";
          ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
        }
        if (after != After::keep_open) {
          ::close(fd);
          closed = true;
          std::lock_guard<std::mutex> lock(mutex_);
          closed_after_ = index + 1;
          closed_cv_.notify_all();
          open = false;
        }
      }
      if (!closed) ::close(fd);  // the client ended it
    }
  }

  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable closed_cv_;
  std::vector<Seen> seen_;
  int connections_ = 0;
  int closed_after_ = 0;
  const Script script_;
};

TEST(HttpClient, RequestsToOneOriginReuseAKeptAliveConnection) {
  ScriptedHttpServer server;
  HttplibClient client("test");
  for (int i = 0; i < 5; ++i) {
    const auto r = client.send({"POST", server.url("/create"), {}, "{}", "application/json"});
    ASSERT_EQ(r.status, 200) << r.error;
  }
  EXPECT_EQ(server.connections(), 1) << "five requests, one connection";
  for (const auto& s : server.seen()) EXPECT_EQ(s.connection, 1);
}

// Several threads at once: each request has a connection to itself, and
// the pool keeps what they opened for the next ones.
TEST(HttpClient, ThreadsNeverShareAConnection) {
  LoopbackServer s;
  std::mutex mutex;
  std::map<int, int> in_use;  // remote port -> requests on it now
  bool shared = false;
  std::set<int> ports;
  s.server().Get("/slow", [&](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (++in_use[req.remote_port] > 1) shared = true;
      ports.insert(req.remote_port);
    }
    std::this_thread::yield();
    {
      std::lock_guard<std::mutex> lock(mutex);
      --in_use[req.remote_port];
    }
    res.set_content("ok", "text/plain");
  });
  s.server().set_keep_alive_max_count(1000);  // cpp-httplib's server closes after 5 by default
  s.start(/*keep_alive_s=*/5);
  HttplibClient client("test");
  // One request first, on this thread: cpp-httplib builds a function-local
  // static std::regex on a client's first answer, in Debian's uninstrumented
  // libcpp-httplib.so, whose guard ThreadSanitizer cannot see (scripts/
  // tsan.supp). Built before the threads start, it is ordered before them.
  std::atomic<int> ok{client.send({"GET", s.url("/slow"), {}, "", ""}).status == 200 ? 1 : 0};
  ASSERT_EQ(ok, 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i)
        if (client.send({"GET", s.url("/slow"), {}, "", ""}).status == 200) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 101);
  std::lock_guard<std::mutex> lock(mutex);  // the server's threads wrote them
  EXPECT_FALSE(shared);
  EXPECT_LE(ports.size(), 8u) << "connections are reused, at most the idle bound per origin";
}

// The server closed the idle connection: cpp-httplib sees the FIN before
// writing and connects anew; the POST goes out once, on the new connection.
TEST(HttpClient, AConnectionTheServerClosedWhileIdleIsReplaced) {
  ScriptedHttpServer server([](int n) { return n == 0 ? ScriptedHttpServer::After::close : ScriptedHttpServer::After::keep_open; });
  HttplibClient client("test");
  ASSERT_EQ(client.send({"POST", server.url("/a"), {}, "{}", "application/json"}).status, 200);
  server.wait_closed(0);
  const auto r = client.send({"POST", server.url("/b"), {}, "{}", "application/json"});
  EXPECT_EQ(r.status, 200) << r.error;
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].path, "/b");
  EXPECT_EQ(seen[1].connection, 2);
}

// The server read the POST on a kept-alive connection and closed it without
// answering: the request may have made a post, so it is never sent again;
// the caller gets the error (and the dispatcher settles the create).
TEST(HttpClient, APostIsNeverSentTwiceWhenAKeptAliveConnectionDiesUnderIt) {
  ScriptedHttpServer server([](int n) {
    return n == 1 ? ScriptedHttpServer::After::close_unanswered : ScriptedHttpServer::After::keep_open;
  });
  HttplibClient client("test");
  ASSERT_EQ(client.send({"POST", server.url("/first"), {}, "{}", "application/json"}).status, 200);
  const auto r = client.send({"POST", server.url("/create"), {}, "{\"text\":\"hi\"}", "application/json"});
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
  server.wait_closed(1);
  const auto seen = server.seen();
  int creates = 0;
  for (const auto& s : seen) creates += s.path == "/create";
  EXPECT_EQ(creates, 1) << "the create reached the server once and was not resent";
  EXPECT_EQ(server.connections(), 1);
  // The next request opens a new connection.
  EXPECT_EQ(client.send({"POST", server.url("/next"), {}, "{}", "application/json"}).status, 200);
  EXPECT_EQ(server.connections(), 2);
}

// The same failure under a GET, which creates nothing: sent once more on a
// new connection, and the caller gets the answer.
TEST(HttpClient, AGetIsSentAgainOnANewConnectionWhenAKeptAliveOneDies) {
  ScriptedHttpServer server([](int n) {
    return n == 1 ? ScriptedHttpServer::After::close_unanswered : ScriptedHttpServer::After::keep_open;
  });
  HttplibClient client("test");
  ASSERT_EQ(client.send({"GET", server.url("/first"), {}, "", ""}).status, 200);
  const auto r = client.send({"GET", server.url("/look"), {}, "", ""});
  EXPECT_EQ(r.status, 200) << r.error;
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].path, "/look");
  EXPECT_EQ(seen[2].path, "/look");
  EXPECT_EQ(seen[2].connection, 2);
}

// A connection idle longer than keep_alive_idle is not reused.
TEST(HttpClient, AConnectionIdleTooLongIsNotReused) {
  ScriptedHttpServer server;
  HttpLimits limits;
  limits.keep_alive_idle = 0ms;
  HttplibClient client("test", limits);
  ASSERT_EQ(client.send({"GET", server.url("/a"), {}, "", ""}).status, 200);
  std::this_thread::yield();
  ASSERT_EQ(client.send({"GET", server.url("/b"), {}, "", ""}).status, 200);
  EXPECT_EQ(server.connections(), 2);
}

}  // namespace
}  // namespace herald
