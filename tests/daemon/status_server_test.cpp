#include "daemon/status_server.hpp"

#include "tests/support/process.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

using namespace herald;
using namespace std::chrono_literals;

namespace {

constexpr const char* kToken = "s3cr3t-T0ken-4f9a";

Instant at(int day, std::chrono::seconds time) { return date::sys_days{date::year{2027} / 3 / day} + time; }

const date::time_zone& berlin() { return *find_zone("Europe/Berlin"); }

StoredDelivery sample_delivery(const std::string& key = "launch@x") {
  StoredDelivery d;
  d.key = key;
  d.post = "launch";
  d.channel = "x";
  d.planned = at(2, 9h + 5min);
  d.state = State::failed;
  d.attempts = 1;
  d.last_error = "403 duplicate content";
  d.sent_text = "We launch today";
  return d;
}

constexpr const char* kDelivery =
    R"({"key":"launch@x","post":"launch","channel":"x","state":"failed","planned":"2027-03-02T09:05:00Z",)"
    R"("local":"2027-03-02T10:05:00+01:00","attempts":1,"next_attempt":null,"remote_id":"","url":"",)"
    R"("last_error":"403 duplicate content","text":"We launch today","why":""})";

// Answers from fixed data and records what it was asked. The test's thread
// and the server's handler threads share its data only under `mutex_`: an
// answer read from the socket orders nothing that ThreadSanitizer can see.
class FakeBackend : public StatusBackend {
 public:
  /// What the handlers were last asked.
  struct Calls {
    QueueFilter last_filter;
    int last_limit = 0;
    std::string last_key, last_reason, last_channel, last_url;
    std::optional<Instant> last_until;
  };
  std::atomic<bool> busy{false};
  std::atomic<bool> explode{false};
  std::atomic<int> actions{0};  // POST calls that reached the backend
  std::atomic<int> held{0};     // status() calls waiting at the gate

  /// A copy of what was asked so far.
  Calls calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  void set_health(Health h) {
    std::lock_guard lock(mutex_);
    healthy_ = std::move(h);
  }
  /// What the next POSTs answer (http_status 200 by default).
  void set_next_action(ActionResult r) {
    std::lock_guard lock(mutex_);
    next_action_ = std::move(r);
  }
  void add_delivery(const std::string& key, StoredDelivery d) {
    std::lock_guard lock(mutex_);
    deliveries_[key] = std::move(d);
  }

  // While held, status() waits until released: the read lane's threads stay busy.
  void hold_status() {
    std::lock_guard lock(gate_mutex_);
    gate_closed_ = true;
  }
  void release_status() {
    {
      std::lock_guard lock(gate_mutex_);
      gate_closed_ = false;
    }
    gate_.notify_all();
  }

  void check() {
    if (busy) throw BackendBusy("loop did not answer in 2 s");
    if (explode) throw std::runtime_error("sqlite: disk I/O error at /var/lib/herald/herald.db");
  }
  DaemonStatus status() override {
    {
      std::unique_lock lock(gate_mutex_);
      if (gate_closed_) {
        ++held;
        gate_.wait(lock, [this] { return !gate_closed_; });
        --held;
      }
    }
    check();
    DaemonStatus s;
    s.version = "0.1.0";
    s.started = at(1, 12h);
    s.now = at(2, 9h);
    s.timezone = "Europe/Berlin";
    s.posts = 1;
    s.last_reload = at(2, 8h);
    s.counts = {{State::failed, 1}};
    ChannelStatus x;
    x.name = "x";
    x.counts = {{State::failed, 1}};
    s.channels = {x};
    return s;
  }
  std::vector<StoredDelivery> queue(const QueueFilter& filter) override {
    check();
    std::lock_guard lock(mutex_);
    calls_.last_filter = filter;
    return {sample_delivery()};
  }
  std::optional<StoredDelivery> delivery(const std::string& key) override {
    check();
    std::lock_guard lock(mutex_);
    calls_.last_key = key;
    auto it = deliveries_.find(key);
    if (it == deliveries_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<HistoryEvent> history(int limit, const std::string& key) override {
    check();
    std::lock_guard lock(mutex_);
    calls_.last_limit = limit;
    calls_.last_key = key;
    return {HistoryEvent{3, at(2, 9h + 5min), "launch@x", "failed", "sending", "failed", "403 duplicate content"}};
  }
  ActionResult pause(const std::string& reason, const std::string& channel, std::optional<Instant> until) override {
    check();
    ++actions;
    std::lock_guard lock(mutex_);
    calls_.last_reason = reason;
    calls_.last_channel = channel;
    calls_.last_until = until;
    ActionResult r = next_action_;
    if (r.http_status == 200) r.pauses = {Pause{channel, reason, at(2, 9h), until}};
    return r;
  }
  ActionResult resume(const std::string& channel) override {
    check();
    ++actions;
    std::lock_guard lock(mutex_);
    calls_.last_channel = channel;
    return next_action_;
  }
  ActionResult retry(const std::string& key) override {
    check();
    ++actions;
    std::lock_guard lock(mutex_);
    calls_.last_key = key;
    ActionResult r = next_action_;
    if (r.http_status == 200) {
      r.delivery = sample_delivery(key);
      r.delivery->state = State::planned;
    }
    return r;
  }
  ActionResult resolve(const std::string& key, const std::string& url) override {
    check();
    ++actions;
    std::lock_guard lock(mutex_);
    calls_.last_key = key;
    calls_.last_url = url;
    ActionResult r = next_action_;
    if (r.http_status == 200) {
      r.delivery = sample_delivery(key);
      r.delivery->state = State::published;
      r.delivery->url = url;
    }
    return r;
  }
  Health health() override {
    std::lock_guard lock(mutex_);
    return healthy_;
  }
  std::string metrics() override {
    check();
    if (huge_metrics) return std::string(8 << 20, '#');
    return "# TYPE herald_deliveries gauge\nherald_deliveries{state=\"failed\"} 1\n";
  }
  std::atomic<bool> huge_metrics{false};  // an answer larger than the sockets buffer

 private:
  std::mutex mutex_;
  Calls calls_;
  std::map<std::string, StoredDelivery> deliveries_{{"launch@x", sample_delivery()}};
  Health healthy_{true, ""};
  ActionResult next_action_;
  std::mutex gate_mutex_;
  std::condition_variable gate_;
  bool gate_closed_ = false;
};

// A MemoryLogger a test may read while the server's threads write to it.
class LockedLogger : public Logger {
 public:
  void log(Priority p, const std::string& line) override {
    std::lock_guard lock(mutex_);
    lines_.push_back({p, line});
  }
  bool has(const std::string& text) {
    std::lock_guard lock(mutex_);
    return std::any_of(lines_.begin(), lines_.end(), [&](const auto& l) { return l.text.find(text) != std::string::npos; });
  }
  std::vector<MemoryLogger::Line> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::vector<MemoryLogger::Line> lines_;
};

using herald::testing::eventually;

// Connects to 127.0.0.1:port from `source` (any 127.x.y.z address works on
// Linux), so one test can be several TCP clients.
int connect_tcp(int port, const char* source = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (source) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &from.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int connect_unix(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// True once the peer closed (EOF or reset); reads and drops whatever came.
bool peer_closed(int fd, int wait_ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, wait_ms) <= 0) return false;
  char buf[4096];
  const auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  return n <= 0;
}

// Reads one answer (headers, then Content-Length bytes of body) within
// `timeout`; "" when the connection closed or timed out first.
std::string read_answer(int fd, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string got;
  for (;;) {
    const auto end = got.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::size_t length = 0;
      const auto at = got.find("Content-Length: ");
      if (at != std::string::npos && at < end) length = std::stoul(got.substr(at + 16));
      if (got.size() >= end + 4 + length) return got.substr(0, end + 4 + length);
    }
    using std::chrono::milliseconds;
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
    char buf[4096];
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return "";
    got.append(buf, static_cast<std::size_t>(n));
  }
}

// The status code of an answer read by read_answer (0 for none).
int status_of(const std::string& answer) {
  if (answer.size() < 12 || !answer.starts_with("HTTP/1.")) return 0;
  return std::atoi(answer.c_str() + 9);
}

// Sends one whole request on `fd` and returns the status of its answer.
int round_trip(int fd, std::string_view request) {
  send_all(fd, request);
  return status_of(read_answer(fd));
}

// A deliberately slow client on its own thread: sends a request's header
// one byte every `every`, forever, and notes when the server closes on it.
class Trickler {
 public:
  Trickler(int fd, std::chrono::milliseconds every) : fd_(fd), thread_([this, every] { run(every); }) {}
  ~Trickler() {
    stop();
    if (fd_ >= 0) ::close(fd_);
  }
  Trickler(const Trickler&) = delete;
  Trickler& operator=(const Trickler&) = delete;
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  [[nodiscard]] int sent() const { return sent_; }
  [[nodiscard]] bool closed() const { return closed_; }
  [[nodiscard]] std::chrono::steady_clock::time_point closed_at() const { return closed_at_; }

 private:
  void run(std::chrono::milliseconds every) {
    const std::string header = "GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(4096, 'a');
    for (std::size_t i = 0; !stop_ && i < header.size(); ++i) {
      // poll() paces the bytes and sees the server's close at once.
      if (peer_closed(fd_, i == 0 ? 0 : static_cast<int>(every.count())) ||
          ::send(fd_, &header[i], 1, MSG_NOSIGNAL) != 1) {
        closed_at_ = std::chrono::steady_clock::now();
        closed_ = true;
        return;
      }
      ++sent_;
    }
  }

  int fd_;
  std::atomic<bool> stop_{false};
  std::atomic<int> sent_{0};
  std::atomic<bool> closed_{false};
  std::chrono::steady_clock::time_point closed_at_;
  std::thread thread_;  // last: starts once the rest is set up
};

// A header byte every this often: slow, but never idle for a per-read timeout.
constexpr auto kTrickle = 100ms;

const std::string kHealthz = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
const std::string kHealthzClose = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

// An IPv4 address of this machine that is not loopback, if any.
std::optional<std::string> non_loopback_ipv4() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return std::nullopt;
  std::optional<std::string> found;
  for (ifaddrs* i = list; i && !found; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text)) found = text;
  }
  ::freeifaddrs(list);
  return found;
}

std::string bearer(std::string_view token) { return "Bearer " + std::string(token); }

class StatusServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A client writing to a connection the server closed (evicted, refused)
    // must see an error, not end the test process.
    std::signal(SIGPIPE, SIG_IGN);
    start();
  }

  void start(StatusSettings settings = {"127.0.0.1:0", "status-token", false}, StatusLimits limits = {}) {
    server = std::make_unique<StatusServer>(settings, Secret(kToken), berlin(), backend, logger,
                                            [] { return std::string("<!doctype html><p>status page</p>"); }, limits);
    server->start();
    port = server->bound_port();
    client = std::make_unique<httplib::Client>("127.0.0.1", port);
    client->set_url_encode(false);
    client->set_read_timeout(10, 0);
  }

  void TearDown() override {
    backend.release_status();
    server->stop();
    // The token never shows in an answer or a log line.
    for (const auto& text : seen) EXPECT_EQ(text.find(kToken), std::string::npos) << text;
    for (const auto& line : logger.lines) EXPECT_EQ(line.text.find(kToken), std::string::npos) << line.text;
  }

  // Records every answer (status line, headers, body) for the token scan.
  httplib::Result remember(httplib::Result r) {
    if (r) {
      std::string all = std::to_string(r->status) + "\n";
      for (const auto& [k, v] : r->headers) all += k + ": " + v + "\n";
      seen.push_back(all + r->body);
      EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store") << all;
      EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff") << all;
    }
    return r;
  }
  httplib::Result get(const std::string& path) { return remember(client->Get(path.c_str())); }
  httplib::Result post(const std::string& path, const std::string& body, std::optional<std::string> auth = bearer(kToken)) {
    httplib::Headers h;
    if (auth) h.emplace("Authorization", *auth);
    return remember(client->Post(path.c_str(), h, body, "application/json"));
  }

  FakeBackend backend;
  MemoryLogger logger;
  std::unique_ptr<StatusServer> server;
  std::unique_ptr<httplib::Client> client;
  std::vector<std::string> seen;
  int port = 0;
};

void expect_json(const httplib::Result& r, int status, const std::string& body) {
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, status);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(r->body, body);
}

}  // namespace

// --- pure helpers --------------------------------------------------------

TEST(StatusServerListen, ParsesTheThreeForms) {
  std::string error;
  auto a = parse_listen("127.0.0.1:8787", error);
  ASSERT_TRUE(a) << error;
  EXPECT_FALSE(a->unix_socket);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8787);
  a = parse_listen("[::1]:0", error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 0);
  a = parse_listen("unix:/run/herald/status.sock", error);
  ASSERT_TRUE(a) << error;
  EXPECT_TRUE(a->unix_socket);
  EXPECT_EQ(a->host, "/run/herald/status.sock");
  for (const char* bad : {"", "8787", "127.0.0.1", "127.0.0.1:", ":8787", "127.0.0.1:65536", "127.0.0.1:80x",
                          "::1:8787", "[::1]8787", "[nothost]:80", "unix:", "unix:relative.sock",
                          "unix:/" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    error.clear();
    EXPECT_FALSE(parse_listen(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

// --- every endpoint's JSON -------------------------------------------------

TEST_F(StatusServerTest, StatusGolden) {
  expect_json(get("/api/v1/status"), 200,
              R"({"version":"0.1.0","started":"2027-03-01T12:00:00Z","now":"2027-03-02T09:00:00Z",)"
              R"("timezone":"Europe/Berlin","posts":1,"calendar":{"last_reload":"2027-03-02T08:00:00Z","ok":true,"error":"",)"
              R"("held":null},"drafts":[],"store":{"ok":true,"problem":""},"shared":null,)"
              R"("paused":null,"counts":{"planned":0,"waiting":0,"held":0,"sending":0,"retry_wait":0,"published":0,)"
              R"("failed":1,"needs_review":0,"cancelled":0},"channels":[{"name":"x","kind":"x","can_publish":true,)"
              R"("problem":"","credentials_expire_at":null,"credentials_refused":false,"warning":"","paused":null,)"
              R"("counts":{"planned":0,"waiting":0,"held":0,"sending":0,"retry_wait":0,)"
              R"("published":0,"failed":1,"needs_review":0,"cancelled":0},"next":null}]})");
}

TEST_F(StatusServerTest, QueueGoldenAndFilter) {
  expect_json(get("/api/v1/queue"), 200, std::string(R"({"deliveries":[)") + kDelivery + "]}");
  EXPECT_EQ(backend.calls().last_filter.limit, 100);
  EXPECT_EQ(backend.calls().last_filter.channel, "");
  EXPECT_FALSE(backend.calls().last_filter.state);
  expect_json(get("/api/v1/queue?channel=x&state=failed&limit=7"), 200,
              std::string(R"({"deliveries":[)") + kDelivery + "]}");
  EXPECT_EQ(backend.calls().last_filter.limit, 7);
  EXPECT_EQ(backend.calls().last_filter.channel, "x");
  EXPECT_EQ(backend.calls().last_filter.state, State::failed);
}

TEST_F(StatusServerTest, QueueBadParameters) {
  expect_json(get("/api/v1/queue?state=done"), 400,
              R"j({"error":"unknown state 'done' (planned, waiting, held, sending, retry_wait, published, failed, )j"
              R"j(needs_review or cancelled)"})j");
  expect_json(get("/api/v1/queue?limit=0"), 400, R"({"error":"limit must be a whole number from 1 to 1000"})");
  expect_json(get("/api/v1/queue?limit=1001"), 400, R"({"error":"limit must be a whole number from 1 to 1000"})");
  expect_json(get("/api/v1/queue?channel=nope"), 404, R"({"error":"no channel named 'nope'"})");
}

TEST_F(StatusServerTest, DeliveryGoldenAndUnknownKey) {
  expect_json(get("/api/v1/deliveries/launch%40x"), 200, kDelivery);
  expect_json(get("/api/v1/deliveries/launch@x"), 200, kDelivery);
  expect_json(get("/api/v1/deliveries/nope@x"), 404, R"({"error":"no delivery with key 'nope@x'"})");
  expect_json(get("/api/v1/deliveries/bad%zzkey"), 400,
              R"({"error":"the delivery key in the path is not correctly percent-encoded"})");
}

TEST_F(StatusServerTest, EncodedKeysWithHashSlashPercentSpace) {
  for (const std::string key : {"launch@x#2027-03-07T09:30", "a/b@x", "100%@x", "what now?@x", "sp ace@x"}) {
    backend.add_delivery(key, sample_delivery(key));
    std::string encoded;
    for (unsigned char c : key) {
      if (std::isalnum(c) || c == '@' || c == '-' || c == ':' || c == '.') encoded += static_cast<char>(c);
      else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        encoded += buf;
      }
    }
    auto r = get("/api/v1/deliveries/" + encoded);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << encoded << " " << r->body;
    EXPECT_EQ(backend.calls().last_key, key);
    auto retry = post("/api/v1/deliveries/" + encoded + "/retry", "");
    ASSERT_TRUE(retry);
    EXPECT_EQ(retry->status, 200) << encoded;
    EXPECT_EQ(backend.calls().last_key, key);
  }
}

TEST_F(StatusServerTest, HistoryGolden) {
  const std::string events =
      R"({"events":[{"id":3,"at":"2027-03-02T09:05:00Z","key":"launch@x","event":"failed","from":"sending",)"
      R"("to":"failed","detail":"403 duplicate content"}]})";
  expect_json(get("/api/v1/history"), 200, events);
  EXPECT_EQ(backend.calls().last_limit, 50);
  EXPECT_EQ(backend.calls().last_key, "");
  expect_json(get("/api/v1/history?limit=2&key=launch%40x%232027-03-07T09%3A30"), 200, events);
  EXPECT_EQ(backend.calls().last_limit, 2);
  EXPECT_EQ(backend.calls().last_key, "launch@x#2027-03-07T09:30");
  expect_json(get("/api/v1/history?limit=x"), 400, R"({"error":"limit must be a whole number from 1 to 1000"})");
}

TEST_F(StatusServerTest, PauseAndResume) {
  expect_json(post("/api/v1/pause", R"({"reason":"launch week","channel":"x","until":"2027-03-03T00:00:00Z"})"), 200,
              R"({"pauses":[{"channel":"x","reason":"launch week","since":"2027-03-02T09:00:00Z",)"
              R"("until":"2027-03-03T00:00:00Z"}]})");
  EXPECT_EQ(backend.calls().last_reason, "launch week");
  EXPECT_EQ(backend.calls().last_channel, "x");
  EXPECT_EQ(backend.calls().last_until, at(3, 0s));
  expect_json(post("/api/v1/pause", R"({"channel":"x"})"), 400,
              R"({"error":"'reason' is required: say why publishing is paused"})");
  expect_json(post("/api/v1/pause", R"({"reason":"r","until":"2027-03-03 10:00"})"), 400,
              R"j({"error":"'until' needs a UTC offset or Z (e.g. 2027-03-02T09:00:00Z)"})j");
  expect_json(post("/api/v1/resume", ""), 200, R"({"pauses":[]})");
  EXPECT_EQ(backend.calls().last_channel, "");
  backend.set_next_action(ActionResult{409, "x is not paused", std::nullopt, {}});
  expect_json(post("/api/v1/resume", R"({"channel":"x"})"), 409, R"({"error":"x is not paused"})");
  EXPECT_EQ(backend.calls().last_channel, "x");
}

TEST_F(StatusServerTest, RetryAndResolve) {
  std::string planned = kDelivery;
  planned.replace(planned.find("\"failed\""), 8, "\"planned\"");
  expect_json(post("/api/v1/deliveries/launch%40x/retry", ""), 200, R"({"delivery":)" + planned + "}");
  std::string published = kDelivery;
  published.replace(published.find("\"failed\""), 8, "\"published\"");
  published.replace(published.find(R"("url":"")"), 8, R"("url":"https://x.com/a/status/9")");
  expect_json(post("/api/v1/deliveries/launch%40x/resolve", R"({"url":"https://x.com/a/status/9"})"), 200,
              R"({"delivery":)" + published + "}");
  EXPECT_EQ(backend.calls().last_url, "https://x.com/a/status/9");
  expect_json(post("/api/v1/deliveries/launch%40x/resolve", R"({"url":"ftp://x.com/a"})"), 400,
              R"({"error":"'url' must be the http(s) URL where the post went out"})");
  expect_json(post("/api/v1/deliveries/launch%40x/resolve", ""), 400,
              R"({"error":"'url' must be the http(s) URL where the post went out"})");
  backend.set_next_action(ActionResult{409, "launch@x is published; nothing to retry", std::nullopt, {}});
  expect_json(post("/api/v1/deliveries/launch%40x/retry", ""), 409,
              R"({"error":"launch@x is published; nothing to retry"})");
  backend.set_next_action(ActionResult{404, "no delivery with key 'nope@x'", std::nullopt, {}});
  expect_json(post("/api/v1/deliveries/nope%40x/retry", ""), 404, R"({"error":"no delivery with key 'nope@x'"})");
}

TEST_F(StatusServerTest, HealthzMetricsPage) {
  expect_json(get("/healthz"), 200, R"({"status":"ok"})");
  backend.set_health(Health{false, "loop heartbeat is 40 s old"});
  expect_json(get("/healthz"), 503, R"({"status":"unhealthy","reason":"loop heartbeat is 40 s old"})");
  auto m = get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_EQ(m->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(m->body, "# TYPE herald_deliveries gauge\nherald_deliveries{state=\"failed\"} 1\n");
  auto page = get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page->body, "<!doctype html><p>status page</p>");
  const std::string csp = page->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
}

TEST_F(StatusServerTest, BusyBackendIs503AndFailureIs500WithoutDetails) {
  backend.busy = true;
  auto r = get("/api/v1/status");
  expect_json(r, 503, R"({"error":"the daemon is busy; try again in a moment"})");
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  expect_json(post("/api/v1/pause", R"({"reason":"r"})"), 503, R"({"error":"the daemon is busy; try again in a moment"})");
  backend.busy = false;
  backend.explode = true;
  expect_json(get("/api/v1/queue"), 500, R"({"error":"internal error"})");
  expect_json(get("/metrics"), 500, R"({"error":"internal error"})");
  server->stop();
  ASSERT_FALSE(logger.lines.empty());
  EXPECT_NE(logger.lines.back().text.find("disk I/O error"), std::string::npos) << logger.lines.back().text;
}

TEST_F(StatusServerTest, UnknownPathsAndMethods) {
  for (const char* path : {"/nope", "/api", "/api/", "/api/v1", "/api/v1/", "/api/v1/status/", "/api/v1/deliveries/",
                           "/api/v1/deliveries/launch%40x/delete", "/../../etc/passwd", "/static/", "/index.html"})
    expect_json(get(path), 404, R"({"error":"no such endpoint"})");
  auto r = get("/api/v1/pause");
  expect_json(r, 405, R"({"error":"use POST here"})");
  EXPECT_EQ(r->get_header_value("Allow"), "POST");
  r = post("/api/v1/status", "{}");
  expect_json(r, 405, R"({"error":"use GET here"})");
  EXPECT_EQ(r->get_header_value("Allow"), "GET, HEAD");
  r = remember(client->Delete("/api/v1/status"));
  expect_json(r, 405, R"({"error":"use GET here"})");
  r = remember(client->Put("/api/v1/pause", "{}", "application/json"));
  expect_json(r, 405, R"({"error":"use POST here"})");
  r = remember(client->Head("/api/v1/status"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// --- auth ------------------------------------------------------------------

TEST_F(StatusServerTest, EveryPostNeedsTheToken) {
  const std::vector<std::pair<std::string, std::string>> posts = {
      {"/api/v1/pause", R"({"reason":"r"})"},
      {"/api/v1/resume", ""},
      {"/api/v1/deliveries/launch%40x/retry", ""},
      {"/api/v1/deliveries/launch%40x/resolve", R"({"url":"https://x.com/a/status/1"})"}};
  const std::string token(kToken);
  for (const auto& [path, body] : posts) {
    for (const std::optional<std::string>& auth :
         {std::optional<std::string>{}, std::optional<std::string>{"Bearer wrong"},
          std::optional<std::string>{bearer(token.substr(0, token.size() - 1))},
          std::optional<std::string>{bearer(token + "x")}, std::optional<std::string>{"Basic " + token},
          std::optional<std::string>{token}, std::optional<std::string>{"Bearer "}}) {
      const int before = backend.actions;
      auto r = post(path, body, auth);
      expect_json(r, 401, R"({"error":"a valid bearer token is required"})");
      EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer realm=\"herald\"") << path;
      EXPECT_EQ(backend.actions, before) << "the backend was called without a token";
    }
    auto ok = post(path, body, bearer(token));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200) << path << " " << ok->body;
    ok = post(path, body, "bearer  " + token);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200) << path << " (scheme is case-insensitive)";
  }
}

TEST_F(StatusServerTest, EmptyTokenRefusesEveryPostAndSaysSo) {
  server->stop();
  MemoryLogger quiet;
  StatusServer no_token({"127.0.0.1:0", "status-token", false}, Secret(), berlin(), backend, quiet);
  no_token.start();
  httplib::Client c("127.0.0.1", no_token.bound_port());
  auto r = c.Post("/api/v1/resume", httplib::Headers{{"Authorization", "Bearer "}}, "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = c.Post("/api/v1/resume", "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("herald"), std::string::npos);
  no_token.stop();
  ASSERT_EQ(quiet.lines.size(), 1u);
  EXPECT_EQ(quiet.lines[0].priority, Priority::warning);
  EXPECT_NE(quiet.lines[0].text.find("every POST answers 401"), std::string::npos) << quiet.lines[0].text;
}

// --- limits ----------------------------------------------------------------

TEST_F(StatusServerTest, OversizedBodyIs413) {
  const std::string big = R"({"reason":")" + std::string(70 * 1024, 'a') + R"("})";
  auto r = post("/api/v1/pause", big);
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->body, R"({"error":"the request body is too large"})");
  EXPECT_EQ(backend.calls().last_reason, "");
  // A body just under the limit is read.
  const std::string fits = R"({"reason":")" + std::string(60 * 1024, 'a') + R"("})";
  r = post("/api/v1/pause", fits);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(StatusServerTest, OversizedHeadersAreRefused) {
  httplib::Headers many;
  for (int i = 0; i < 24; ++i) many.emplace("X-Filler-" + std::to_string(i), std::string(1000, 'h'));
  auto r = remember(client->Get("/api/v1/status", many));
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->body, R"({"error":"the request headers are too large"})");
  // One header line beyond cpp-httplib's line limit: refused or cut off, never answered 200.
  httplib::Client fresh("127.0.0.1", port);
  auto one = remember(fresh.Get("/api/v1/status", httplib::Headers{{"X-Huge", std::string(20000, 'h')}}));
  if (one) {
    EXPECT_GE(one->status, 400);
  }
  auto long_target = get("/api/v1/status?" + std::string(5000, 'q'));
  ASSERT_TRUE(long_target);
  EXPECT_EQ(long_target->status, 414);
}

TEST_F(StatusServerTest, SlowClientIsDroppedWithoutBlockingOthers) {
  server->stop();
  StatusLimits limits;
  limits.request_timeout = 1000ms;
  limits.keep_alive_timeout = 1s;
  start({"127.0.0.1:0", "status-token", false}, limits);
  const int slow = connect_tcp(port);
  ASSERT_GE(slow, 0);
  send_all(slow, "GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ");
  // Another client is served while the slow one hangs.
  auto r = get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(peer_closed(slow, 0)) << "the slow client should still be connected now";
  // The read timeout (1 s) drops it; well before the 5 s default.
  const auto start_wait = std::chrono::steady_clock::now();
  EXPECT_TRUE(eventually([&] { return peer_closed(slow, 50); }, 4s));
  EXPECT_LT(std::chrono::steady_clock::now() - start_wait, 4s);
  ::close(slow);
  // A client that connects and sends nothing is dropped too.
  const int idle = connect_tcp(port);
  ASSERT_GE(idle, 0);
  EXPECT_TRUE(eventually([&] { return peer_closed(idle, 50); }, 4s));
  ::close(idle);
}

// --- slow, idle and many clients -------------------------------------------

namespace {

const std::string kStatusRequest = "GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

bool all_sent(const std::vector<std::unique_ptr<Trickler>>& slow, int bytes) {
  return std::all_of(slow.begin(), slow.end(), [&](const auto& t) { return t->sent() >= bytes; });
}

}  // namespace

// The fault this transport fixes: four clients trickling a header byte by
// byte held all four threads of the old server, and `herald pause` gave up.
TEST_F(StatusServerTest, TricklingClientsHoldNoThreadSoHealthzAndAPauseAnswer) {
  std::vector<std::unique_ptr<Trickler>> slow;
  for (int i = 0; i < 4; ++i) {
    const int fd = connect_tcp(port);
    ASSERT_GE(fd, 0);
    slow.push_back(std::make_unique<Trickler>(fd, kTrickle));
  }
  ASSERT_TRUE(eventually([&] { return all_sent(slow, 3); }, 5s));
  expect_json(get("/healthz"), 200, R"({"status":"ok"})");
  auto r = post("/api/v1/pause", R"({"reason":"crisis"})");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(backend.calls().last_reason, "crisis");
  for (const auto& t : slow) EXPECT_FALSE(t->closed()) << "the slow clients were connected all along";
}

TEST_F(StatusServerTest, TricklingClientsOnTheUnixSocketHoldNoThreadEither) {
  char dir_template[] = "/tmp/herald-status-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/status.sock";
  server->stop();
  start({"unix:" + path, "status-token", false});
  std::vector<std::unique_ptr<Trickler>> slow;
  for (int i = 0; i < 4; ++i) {
    const int fd = connect_unix(path);
    ASSERT_GE(fd, 0);
    slow.push_back(std::make_unique<Trickler>(fd, kTrickle));
  }
  ASSERT_TRUE(eventually([&] { return all_sent(slow, 3); }, 5s));
  httplib::Client c(path, 80);
  c.set_address_family(AF_UNIX);
  c.set_read_timeout(10, 0);
  expect_json(remember(c.Get("/healthz")), 200, R"({"status":"ok"})");
  auto r = remember(c.Post("/api/v1/pause", httplib::Headers{{"Authorization", bearer(kToken)}},
                           R"({"reason":"crisis"})", "application/json"));
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(backend.calls().last_reason, "crisis");
  for (const auto& t : slow) EXPECT_FALSE(t->closed()) << "the slow clients were connected all along";
  slow.clear();
  server->stop();
  std::filesystem::remove_all(dir_template);
}

TEST_F(StatusServerTest, AThousandIdleConnectionsLockNobodyOut) {
  rlimit files{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &files), 0);
  if (files.rlim_cur < 1500) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, 4096);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &files), 0);
  }
  if (files.rlim_cur < 1500) GTEST_SKIP() << "RLIMIT_NOFILE's hard limit is below 1500";
  std::vector<int> idle;
  for (int i = 0; i < 1000; ++i) {
    const int fd = connect_tcp(port);
    ASSERT_GE(fd, 0) << i;
    idle.push_back(fd);
  }
  expect_json(get("/healthz"), 200, R"({"status":"ok"})");
  auto r = post("/api/v1/pause", R"({"reason":"crisis"})");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(backend.calls().last_reason, "crisis");
  // On loopback they are all one client: the per-client cap (32) closed
  // the oldest idle ones as the newer ones came.
  EXPECT_TRUE(eventually(
      [&] { return std::count_if(idle.begin(), idle.end(), [](int fd) { return peer_closed(fd, 0); }) >= 1000 - 32; },
      5s));
  for (const int fd : idle) ::close(fd);
}

TEST_F(StatusServerTest, AWholeRequestHasOneDeadlineHoweverSteadilyItTrickles) {
  server->stop();
  StatusLimits limits;
  limits.request_timeout = 600ms;
  start({"127.0.0.1:0", "status-token", false}, limits);
  const auto began = std::chrono::steady_clock::now();
  const int fd = connect_tcp(port);
  ASSERT_GE(fd, 0);
  Trickler slow(fd, 50ms);
  ASSERT_TRUE(eventually([&] { return slow.closed(); }, 5s)) << "a client that never stops sending is never cut off";
  const auto lasted = slow.closed_at() - began;
  EXPECT_GE(lasted, 600ms);
  EXPECT_LT(lasted, 3s);
  EXPECT_GE(slow.sent(), 5) << "it was sending all the time";
}

TEST_F(StatusServerTest, AKeptAliveConnectionServesTheNextRequestThenClosesWhenIdle) {
  server->stop();
  StatusLimits limits;
  limits.keep_alive_timeout = 300ms;
  start({"127.0.0.1:0", "status-token", false}, limits);
  const int fd = connect_tcp(port);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(round_trip(fd, kHealthz), 200);
  EXPECT_EQ(round_trip(fd, kHealthz), 200);
  const auto idle_from = std::chrono::steady_clock::now();
  EXPECT_TRUE(eventually([&] { return peer_closed(fd, 50); }, 3s));
  EXPECT_GE(std::chrono::steady_clock::now() - idle_from, 250ms);
  ::close(fd);
}

TEST_F(StatusServerTest, ExpectContinueGetsAnInterimAnswer) {
  const int fd = connect_tcp(port);
  ASSERT_GE(fd, 0);
  const std::string body = R"({"reason":"crisis"})";
  send_all(fd, "POST /api/v1/pause HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + std::string(kToken) +
                   "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(status_of(read_answer(fd)), 100);
  EXPECT_EQ(round_trip(fd, body), 200);
  EXPECT_EQ(backend.calls().last_reason, "crisis");
  ::close(fd);
}

TEST_F(StatusServerTest, MalformedRequestsAndHugeRequestLinesGetJsonErrors) {
  int fd = connect_tcp(port);
  send_all(fd, "GET /healthz HTTP/1.1\r\nNo colon here\r\n\r\n");
  std::string a = read_answer(fd);
  EXPECT_EQ(status_of(a), 400) << a;
  EXPECT_NE(a.find(R"({"error":"bad request"})"), std::string::npos) << a;
  EXPECT_NE(a.find("Cache-Control: no-store"), std::string::npos) << a;
  EXPECT_TRUE(peer_closed(fd, 2000));
  ::close(fd);
  // Beyond what the parser holds at all: told apart from large headers.
  fd = connect_tcp(port);
  send_all(fd, "GET /api/v1/status?" + std::string(30000, 'q') + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  a = read_answer(fd);
  EXPECT_EQ(status_of(a), 414) << a.substr(0, 200);
  EXPECT_NE(a.find(R"({"error":"the request target is too long"})"), std::string::npos);
  ::close(fd);
}

TEST_F(StatusServerTest, PerClientCapClosesThatClientsOldestWaitingConnection) {
  server->stop();
  StatusLimits limits;
  limits.max_connections_per_client = 3;
  limits.max_connections = 10;
  start({"127.0.0.1:0", "status-token", false}, limits);
  std::vector<int> mine;
  for (int i = 0; i < 3; ++i) {
    mine.push_back(connect_tcp(port));
    ASSERT_GE(mine.back(), 0);
    send_all(mine.back(), "GET /api/v1/sta");
  }
  // Another client (peer address) does not count against this one.
  const int other = connect_tcp(port, "127.0.0.2");
  ASSERT_GE(other, 0);
  EXPECT_EQ(round_trip(other, kHealthzClose), 200);
  for (const int fd : mine) EXPECT_FALSE(peer_closed(fd, 0));
  // A fourth of its own: its oldest incomplete connection makes room.
  const int newest = connect_tcp(port);
  ASSERT_GE(newest, 0);
  EXPECT_EQ(round_trip(newest, kHealthz), 200);
  EXPECT_TRUE(peer_closed(mine[0], 2000));
  EXPECT_FALSE(peer_closed(mine[1], 0));
  EXPECT_FALSE(peer_closed(mine[2], 0));
  for (const int fd : mine) ::close(fd);
  ::close(other);
  ::close(newest);
  server->stop();
  ASSERT_FALSE(logger.lines.empty());
  EXPECT_NE(logger.lines.back().text.find("connection limit reached (3 per client, 10 in all; latest from 127.0.0.1)"),
            std::string::npos)
      << logger.lines.back().text;
}

TEST_F(StatusServerTest, TotalCapClosesTheOldestWaitingConnectionOfAnyone) {
  server->stop();
  StatusLimits limits;
  limits.max_connections_per_client = 3;
  limits.max_connections = 3;
  start({"127.0.0.1:0", "status-token", false}, limits);
  const int a1 = connect_tcp(port, "127.0.0.2");
  const int b1 = connect_tcp(port, "127.0.0.3");
  const int a2 = connect_tcp(port, "127.0.0.2");
  for (const int fd : {a1, b1, a2}) {
    ASSERT_GE(fd, 0);
    send_all(fd, "GET /");
  }
  const int c = connect_tcp(port);
  ASSERT_GE(c, 0);
  EXPECT_EQ(round_trip(c, kHealthz), 200);
  EXPECT_TRUE(peer_closed(a1, 2000));
  EXPECT_FALSE(peer_closed(b1, 0));
  EXPECT_FALSE(peer_closed(a2, 0));
  for (const int fd : {a1, b1, a2, c}) ::close(fd);
}

TEST_F(StatusServerTest, RequestsBeingHandledAreNeverEvictedAndAFullHouseIs503) {
  server->stop();
  StatusLimits limits;
  limits.max_connections_per_client = 2;
  limits.read_handlers = 2;
  start({"127.0.0.1:0", "status-token", false}, limits);
  backend.hold_status();
  const int first = connect_tcp(port);
  ASSERT_GE(first, 0);
  send_all(first, kStatusRequest);
  ASSERT_TRUE(eventually([&] { return backend.held == 1; }, 5s));
  const int waiting = connect_tcp(port);
  ASSERT_GE(waiting, 0);
  send_all(waiting, "GET /api/v1/sta");
  // The oldest connection is being answered; the incomplete one makes room.
  const int second = connect_tcp(port);
  ASSERT_GE(second, 0);
  send_all(second, kStatusRequest);
  EXPECT_TRUE(peer_closed(waiting, 5000));
  ASSERT_TRUE(eventually([&] { return backend.held == 2; }, 5s));
  // Nothing left to evict: the newcomer is refused.
  const int refused = connect_tcp(port);
  ASSERT_GE(refused, 0);
  const std::string a = read_answer(refused);
  EXPECT_EQ(status_of(a), 503) << a;
  EXPECT_NE(a.find(R"({"error":"service unavailable"})"), std::string::npos) << a;
  EXPECT_NE(a.find("Retry-After: 1"), std::string::npos) << a;
  EXPECT_FALSE(peer_closed(first, 0));
  backend.release_status();
  EXPECT_EQ(status_of(read_answer(first)), 200);
  EXPECT_EQ(status_of(read_answer(second)), 200);
  for (const int fd : {first, waiting, second, refused}) ::close(fd);
}

TEST_F(StatusServerTest, AFloodOfReadsNeverDelaysAPause) {
  backend.hold_status();
  std::vector<int> reads;
  for (int i = 0; i < 8; ++i) {
    reads.push_back(connect_tcp(port));
    ASSERT_GE(reads.back(), 0);
    send_all(reads.back(), kStatusRequest);
  }
  // Both read threads wait for the (held) loop; six more reads queue behind them.
  ASSERT_TRUE(eventually([&] { return backend.held == 2; }, 5s));
  auto r = post("/api/v1/pause", R"({"reason":"crisis"})");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(backend.calls().last_reason, "crisis");
  expect_json(get("/healthz"), 200, R"({"status":"ok"})");
  EXPECT_EQ(backend.held, 2) << "the reads were still waiting meanwhile";
  backend.release_status();
  for (const int fd : reads) EXPECT_EQ(status_of(read_answer(fd)), 200);
  for (const int fd : reads) ::close(fd);
}

TEST_F(StatusServerTest, AcceptGoesOnAfterRunningOutOfFileDescriptors) {
  server->stop();
  LockedLogger log;
  StatusLimits limits;
  limits.accept_backoff = 20ms;
  StatusServer s({"127.0.0.1:0", "status-token", false}, Secret(kToken), berlin(), backend, log, {}, limits);
  s.start();
  const int early = ::socket(AF_INET, SOCK_STREAM, 0);  // made while descriptors are free
  ASSERT_GE(early, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(s.bound_port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // No descriptor can be made from here on: the server's accept() fails with EMFILE.
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  const int lowest_free = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(lowest_free, 0);
  ::close(lowest_free);
  rlimit none = saved;
  none.rlim_cur = static_cast<rlim_t>(lowest_free);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &none), 0);
  const bool connected = ::connect(early, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  const bool failing = eventually([&] { return log.has("cannot accept connections"); }, 5s);
  ::setrlimit(RLIMIT_NOFILE, &saved);
  ASSERT_TRUE(connected);
  ASSERT_TRUE(failing);
  // Descriptors are back: the waiting connection and new ones are served.
  EXPECT_EQ(round_trip(early, kHealthzClose), 200);
  httplib::Client c("127.0.0.1", s.bound_port());
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  s.stop();
  ::close(early);
  const auto lines = log.lines();
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const auto& l) { return l.text.find("cannot accept") != std::string::npos; }),
            1)
      << "one line for the whole episode";
  EXPECT_TRUE(log.has("accepting connections again"));
}

TEST_F(StatusServerTest, QueuedReadsFromOneClientCannotCrowdOutItsPause) {
  server->stop();
  StatusLimits limits;
  limits.max_connections_per_client = 6;
  limits.read_handlers = 2;
  start({"127.0.0.1:0", "status-token", false}, limits);
  backend.hold_status();
  // Every slot of the (loopback) client holds a whole request: two run
  // (held by the loop), four wait in the read lane's queue.
  std::vector<int> reads;
  for (int i = 0; i < 6; ++i) {
    reads.push_back(connect_tcp(port));
    ASSERT_GE(reads.back(), 0);
    send_all(reads.back(), kStatusRequest);
  }
  ASSERT_TRUE(eventually([&] { return backend.held == 2; }, 5s));
  // A queued read (the oldest) makes room; the running ones are kept.
  auto r = post("/api/v1/pause", R"({"reason":"crisis"})");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(backend.calls().last_reason, "crisis");
  EXPECT_TRUE(peer_closed(reads[2], 2000)) << "the oldest queued read was closed";
  EXPECT_EQ(backend.held, 2);
  backend.release_status();
  EXPECT_EQ(status_of(read_answer(reads[0])), 200);
  EXPECT_EQ(status_of(read_answer(reads[1])), 200);
  for (const int fd : reads) ::close(fd);
}

namespace {

// A client that asks for /metrics (8 MiB with huge_metrics) with a tiny
// receive buffer and does not read: the server's write stalls. Returns once
// the answer has begun to arrive.
int stalled_reader(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  send_all(fd, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  pollfd p{fd, POLLIN, 0};
  ::poll(&p, 1, 5000);
  return fd;
}

// Reads until the end of the stream (or a reset, or 5 s of silence).
std::size_t drain(int fd) {
  std::size_t got = 0;
  char buf[65536];
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, 5000) > 0) {
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  return got;
}

}  // namespace

TEST_F(StatusServerTest, AnAnswerNobodyReadsIsCutOffAtTheWriteDeadline) {
  server->stop();
  StatusLimits limits;
  limits.write_timeout = 300ms;
  start({"127.0.0.1:0", "status-token", false}, limits);
  backend.huge_metrics = true;
  const int fd = stalled_reader(port);
  ASSERT_GE(fd, 0);
  std::this_thread::sleep_for(900ms);  // the deliberately slow reader, past the write deadline
  // The server closed it: the stream ends (or resets) short of the answer.
  EXPECT_LT(drain(fd), std::size_t{8} << 20);
  ::close(fd);
}

TEST_F(StatusServerTest, AnAnswerNobodyReadsMakesRoomAtTheCap) {
  server->stop();
  StatusLimits limits;
  limits.max_connections_per_client = 1;
  limits.write_timeout = 10s;
  start({"127.0.0.1:0", "status-token", false}, limits);
  backend.huge_metrics = true;
  const int fd = stalled_reader(port);
  ASSERT_GE(fd, 0);
  // The only connection of 127.0.0.1 is writing an answer nobody takes.
  expect_json(get("/healthz"), 200, R"({"status":"ok"})");
  EXPECT_LT(drain(fd), std::size_t{8} << 20);
  ::close(fd);
}

// --- where it listens -------------------------------------------------------

TEST_F(StatusServerTest, NonLoopbackRefusedWithoutAllowRemote) {
  std::vector<std::string> listens = {"0.0.0.0:0", "[::]:0", "example.org:8787", "128.0.0.1:0", "[::ffff:10.0.0.1]:0",
                                      "localhost.example.org:0"};
  if (auto ip = non_loopback_ipv4()) listens.push_back(*ip + ":0");
  for (const auto& listen : listens) {
    MemoryLogger log;
    StatusServer s({listen, "status-token", false}, Secret(kToken), berlin(), backend, log);
    try {
      s.start();
      ADD_FAILURE() << listen << " was bound without allow_remote";
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("status.allow_remote"), std::string::npos) << what;
      EXPECT_NE(what.find(listen), std::string::npos) << what;
    }
  }
}

TEST_F(StatusServerTest, LoopbackFormsStartWithoutWarning) {
  std::vector<std::string> listens = {"localhost:0", "127.0.0.2:0"};
  if (std::filesystem::exists("/proc/net/if_inet6")) listens.push_back("[::1]:0");
  for (const auto& listen : listens) {
    MemoryLogger log;
    StatusServer s({listen, "status-token", false}, Secret(kToken), berlin(), backend, log);
    ASSERT_NO_THROW(s.start()) << listen;
    EXPECT_GT(s.bound_port(), 0) << listen;
    s.stop();
    EXPECT_TRUE(log.lines.empty()) << listen;
  }
}

TEST_F(StatusServerTest, NonLoopbackAcceptedWithAllowRemoteAndWarns) {
  const std::string host = non_loopback_ipv4().value_or("0.0.0.0");
  MemoryLogger log;
  StatusServer s({host + ":0", "status-token", true}, Secret(kToken), berlin(), backend, log);
  s.start();
  httplib::Client c(host == "0.0.0.0" ? "127.0.0.1" : host, s.bound_port());
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  s.stop();
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_EQ(log.lines[0].priority, Priority::warning);
  EXPECT_NE(log.lines[0].text.find("reachable from the network"), std::string::npos) << log.lines[0].text;
  EXPECT_EQ(log.lines[0].text.find(kToken), std::string::npos);
}

TEST_F(StatusServerTest, AddressInUseAndBadListenAreClearErrors) {
  MemoryLogger log;
  StatusServer second({"127.0.0.1:" + std::to_string(port), "status-token", false}, Secret(kToken), berlin(), backend,
                      log);
  try {
    second.start();
    ADD_FAILURE() << "a second server bound the same port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("address already in use"), std::string::npos) << e.what();
  }
  StatusServer bad({"localhost", "status-token", false}, Secret(kToken), berlin(), backend, log);
  try {
    bad.start();
    ADD_FAILURE() << "'localhost' without a port was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("status.listen 'localhost'"), std::string::npos) << e.what();
  }
  // The first server still answers.
  auto r = get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(StatusServerTest, UnixSocket) {
  char dir_template[] = "/tmp/herald-status-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string path = dir + "/status.sock";
  {
    // A stale socket file from a previous run that nobody serves.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
    ASSERT_TRUE(std::filesystem::exists(path));
  }
  MemoryLogger log;
  StatusServer s({"unix:" + path, "status-token", false}, Secret(kToken), berlin(), backend, log);
  s.start();
  EXPECT_EQ(s.bound_port(), 0);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  {
    // A second server on the same live socket is refused.
    StatusServer twin({"unix:" + path, "status-token", false}, Secret(kToken), berlin(), backend, log);
    EXPECT_THROW(twin.start(), std::runtime_error);
  }
  httplib::Client c(path, 80);
  c.set_address_family(AF_UNIX);
  auto r = c.Get("/api/v1/deliveries/launch%40x");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, kDelivery);
  auto p = c.Post("/api/v1/resume", httplib::Headers{{"Authorization", bearer(kToken)}}, "", "application/json");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 200);
  s.stop();
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(log.lines.empty());

  // A regular file where the socket should be is not removed.
  { std::ofstream(path) << "not a socket"; }
  StatusServer on_file({"unix:" + path, "status-token", false}, Secret(kToken), berlin(), backend, log);
  EXPECT_THROW(on_file.start(), std::runtime_error);
  EXPECT_TRUE(std::filesystem::is_regular_file(path));
  std::filesystem::remove_all(dir);
}

// --- answer(): one request without sockets (tests/fuzz uses it) -------------

TEST(StatusServerAnswer, RoutesChecksTheTokenAndLimitsLikeTheListeningServer) {
  FakeBackend backend;
  MemoryLogger logger;
  StatusLimits limits;
  limits.max_target = 64;
  limits.max_body = 128;
  StatusServer server({}, Secret(kToken), berlin(), backend, logger, {}, limits);  // never started

  const StatusServer::Reply status = server.answer({"GET", "/api/v1/status", {}, ""});
  EXPECT_EQ(status.status, 200);
  EXPECT_NE(std::find(status.headers.begin(), status.headers.end(),
                      std::pair<std::string, std::string>{"Content-Type", "application/json; charset=utf-8"}),
            status.headers.end());
  EXPECT_EQ(server.answer({"GET", "/api/v1/deliveries/launch%40x", {}, ""}).status, 200);
  EXPECT_EQ(server.answer({"GET", "/api/v1/deliveries/%zz", {}, ""}).status, 400);
  EXPECT_EQ(server.answer({"GET", "/api/v1/queue?a=1?b=2", {}, ""}).status, 400);
  EXPECT_EQ(server.answer({"GET", "/api/v1/" + std::string(64, 'a'), {}, ""}).status, 414);
  EXPECT_EQ(server.answer({"DELETE", "/api/v1/status", {}, ""}).status, 405);

  const std::string pause = R"({"reason":"holiday"})";
  EXPECT_EQ(server.answer({"POST", "/api/v1/pause", {}, pause}).status, 401);
  EXPECT_EQ(backend.actions, 0);
  EXPECT_EQ(server.answer({"POST", "/api/v1/pause", {{"Authorization", bearer(kToken)}}, pause}).status, 200);
  EXPECT_EQ(backend.actions, 1);
  EXPECT_EQ(server.answer({"POST", "/api/v1/pause", {{"Authorization", bearer(kToken)}}, std::string(129, ' ')}).status,
            413);
}

// Found by tests/fuzz (fuzz_status): a query parameter name with a byte that
// is not UTF-8 was quoted into the 400 answer, which was then not valid JSON.
TEST(StatusServerAnswer, UnknownParameterWithInvalidUtf8IsValidJson) {
  FakeBackend backend;
  MemoryLogger logger;
  StatusServer server({}, Secret(kToken), berlin(), backend, logger);
  const StatusServer::Reply r = server.answer({"GET", "/api/v1/history?l\x9fimit=5&key=launces40x", {}, ""});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "{\"error\":\"unknown parameter 'l\xEF\xBF\xBDimit'\"}");
}
