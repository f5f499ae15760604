#include "daemon/status_server.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
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
    R"("last_error":"403 duplicate content","text":"We launch today"})";

// Answers from fixed data and records what it was asked.
class FakeBackend : public StatusBackend {
 public:
  std::mutex mutex;
  std::atomic<bool> busy{false};
  std::atomic<bool> explode{false};
  QueueFilter last_filter;
  int last_limit = 0;
  std::string last_key, last_reason, last_channel, last_url;
  std::optional<Instant> last_until;
  std::map<std::string, StoredDelivery> deliveries{{"launch@x", sample_delivery()}};
  Health healthy{true, ""};
  ActionResult next_action;  // http_status 200 by default
  std::atomic<int> actions{0};  // POST calls that reached the backend

  void check() {
    if (busy) throw BackendBusy("loop did not answer in 2 s");
    if (explode) throw std::runtime_error("sqlite: disk I/O error at /var/lib/herald/herald.db");
  }
  DaemonStatus status() override {
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
    std::lock_guard lock(mutex);
    last_filter = filter;
    return {sample_delivery()};
  }
  std::optional<StoredDelivery> delivery(const std::string& key) override {
    check();
    std::lock_guard lock(mutex);
    last_key = key;
    auto it = deliveries.find(key);
    if (it == deliveries.end()) return std::nullopt;
    return it->second;
  }
  std::vector<HistoryEvent> history(int limit, const std::string& key) override {
    check();
    std::lock_guard lock(mutex);
    last_limit = limit;
    last_key = key;
    return {HistoryEvent{3, at(2, 9h + 5min), "launch@x", "failed", "sending", "failed", "403 duplicate content"}};
  }
  ActionResult pause(const std::string& reason, const std::string& channel, std::optional<Instant> until) override {
    check();
    ++actions;
    std::lock_guard lock(mutex);
    last_reason = reason;
    last_channel = channel;
    last_until = until;
    ActionResult r = next_action;
    if (r.http_status == 200) r.pauses = {Pause{channel, reason, at(2, 9h), until}};
    return r;
  }
  ActionResult resume(const std::string& channel) override {
    check();
    ++actions;
    std::lock_guard lock(mutex);
    last_channel = channel;
    return next_action;
  }
  ActionResult retry(const std::string& key) override {
    check();
    ++actions;
    std::lock_guard lock(mutex);
    last_key = key;
    ActionResult r = next_action;
    if (r.http_status == 200) {
      r.delivery = sample_delivery(key);
      r.delivery->state = State::planned;
    }
    return r;
  }
  ActionResult resolve(const std::string& key, const std::string& url) override {
    check();
    ++actions;
    std::lock_guard lock(mutex);
    last_key = key;
    last_url = url;
    ActionResult r = next_action;
    if (r.http_status == 200) {
      r.delivery = sample_delivery(key);
      r.delivery->state = State::published;
      r.delivery->url = url;
    }
    return r;
  }
  Health health() override { return healthy; }
  std::string metrics() override {
    check();
    return "# TYPE herald_deliveries gauge\nherald_deliveries{state=\"failed\"} 1\n";
  }
};

// Polls `condition` until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

int connect_tcp(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
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
  void SetUp() override { start(); }

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
              R"("timezone":"Europe/Berlin","posts":1,"calendar":{"last_reload":"2027-03-02T08:00:00Z","ok":true,"error":""},)"
              R"("paused":null,"counts":{"planned":0,"waiting":0,"held":0,"sending":0,"retry_wait":0,"published":0,)"
              R"("failed":1,"needs_review":0,"cancelled":0},"channels":[{"name":"x","kind":"x","can_publish":true,)"
              R"("problem":"","paused":null,"counts":{"planned":0,"waiting":0,"held":0,"sending":0,"retry_wait":0,)"
              R"("published":0,"failed":1,"needs_review":0,"cancelled":0},"next":null}]})");
}

TEST_F(StatusServerTest, QueueGoldenAndFilter) {
  expect_json(get("/api/v1/queue"), 200, std::string(R"({"deliveries":[)") + kDelivery + "]}");
  EXPECT_EQ(backend.last_filter.limit, 100);
  EXPECT_EQ(backend.last_filter.channel, "");
  EXPECT_FALSE(backend.last_filter.state);
  expect_json(get("/api/v1/queue?channel=x&state=failed&limit=7"), 200,
              std::string(R"({"deliveries":[)") + kDelivery + "]}");
  EXPECT_EQ(backend.last_filter.limit, 7);
  EXPECT_EQ(backend.last_filter.channel, "x");
  EXPECT_EQ(backend.last_filter.state, State::failed);
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
    backend.deliveries[key] = sample_delivery(key);
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
    EXPECT_EQ(backend.last_key, key);
    auto retry = post("/api/v1/deliveries/" + encoded + "/retry", "");
    ASSERT_TRUE(retry);
    EXPECT_EQ(retry->status, 200) << encoded;
    EXPECT_EQ(backend.last_key, key);
  }
}

TEST_F(StatusServerTest, HistoryGolden) {
  const std::string events =
      R"({"events":[{"id":3,"at":"2027-03-02T09:05:00Z","key":"launch@x","event":"failed","from":"sending",)"
      R"("to":"failed","detail":"403 duplicate content"}]})";
  expect_json(get("/api/v1/history"), 200, events);
  EXPECT_EQ(backend.last_limit, 50);
  EXPECT_EQ(backend.last_key, "");
  expect_json(get("/api/v1/history?limit=2&key=launch%40x%232027-03-07T09%3A30"), 200, events);
  EXPECT_EQ(backend.last_limit, 2);
  EXPECT_EQ(backend.last_key, "launch@x#2027-03-07T09:30");
  expect_json(get("/api/v1/history?limit=x"), 400, R"({"error":"limit must be a whole number from 1 to 1000"})");
}

TEST_F(StatusServerTest, PauseAndResume) {
  expect_json(post("/api/v1/pause", R"({"reason":"launch week","channel":"x","until":"2027-03-03T00:00:00Z"})"), 200,
              R"({"pauses":[{"channel":"x","reason":"launch week","since":"2027-03-02T09:00:00Z",)"
              R"("until":"2027-03-03T00:00:00Z"}]})");
  EXPECT_EQ(backend.last_reason, "launch week");
  EXPECT_EQ(backend.last_channel, "x");
  EXPECT_EQ(backend.last_until, at(3, 0s));
  expect_json(post("/api/v1/pause", R"({"channel":"x"})"), 400,
              R"({"error":"'reason' is required: say why publishing is paused"})");
  expect_json(post("/api/v1/pause", R"({"reason":"r","until":"2027-03-03 10:00"})"), 400,
              R"j({"error":"'until' needs a UTC offset or Z (e.g. 2027-03-02T09:00:00Z)"})j");
  expect_json(post("/api/v1/resume", ""), 200, R"({"pauses":[]})");
  EXPECT_EQ(backend.last_channel, "");
  backend.next_action = ActionResult{409, "x is not paused", std::nullopt, {}};
  expect_json(post("/api/v1/resume", R"({"channel":"x"})"), 409, R"({"error":"x is not paused"})");
  EXPECT_EQ(backend.last_channel, "x");
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
  EXPECT_EQ(backend.last_url, "https://x.com/a/status/9");
  expect_json(post("/api/v1/deliveries/launch%40x/resolve", R"({"url":"ftp://x.com/a"})"), 400,
              R"({"error":"'url' must be the http(s) URL where the post went out"})");
  expect_json(post("/api/v1/deliveries/launch%40x/resolve", ""), 400,
              R"({"error":"'url' must be the http(s) URL where the post went out"})");
  backend.next_action = ActionResult{409, "launch@x is published; nothing to retry", std::nullopt, {}};
  expect_json(post("/api/v1/deliveries/launch%40x/retry", ""), 409,
              R"({"error":"launch@x is published; nothing to retry"})");
  backend.next_action = ActionResult{404, "no delivery with key 'nope@x'", std::nullopt, {}};
  expect_json(post("/api/v1/deliveries/nope%40x/retry", ""), 404, R"({"error":"no delivery with key 'nope@x'"})");
}

TEST_F(StatusServerTest, HealthzMetricsPage) {
  expect_json(get("/healthz"), 200, R"({"status":"ok"})");
  backend.healthy = Health{false, "loop heartbeat is 40 s old"};
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
  EXPECT_EQ(backend.last_reason, "");
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
  limits.read_timeout = 1000ms;
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
