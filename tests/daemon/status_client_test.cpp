#include "daemon/status_client.hpp"

#include "tests/daemon/status_test_support.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace herald {
namespace {

using namespace date::literals;
using namespace std::chrono_literals;
using testing::FakeStatusServer;
using testing::RefusingPort;
using testing::StatusTestDir;

constexpr const char* kToken = "s3cret-status-token-value";

Settings load(const StatusTestDir& dir) {
  Diagnostics diags;
  auto s = load_settings(dir.config(), SettingsEnvironment{}, diags);
  if (!s) throw std::runtime_error("settings do not load");
  return *s;
}

TEST(StatusListen, ParsesEachForm) {
  std::string error;
  auto a = parse_status_listen("127.0.0.1:8787", error);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8787);
  EXPECT_EQ(a->display(), "127.0.0.1:8787");
  auto v6 = parse_status_listen("[::1]:9000", error);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9000);
  EXPECT_EQ(v6->display(), "[::1]:9000");
  auto unix_socket = parse_status_listen("unix:/run/herald/status.sock", error);
  ASSERT_TRUE(unix_socket);
  EXPECT_EQ(unix_socket->socket_path, "/run/herald/status.sock");
  EXPECT_EQ(unix_socket->display(), "unix:/run/herald/status.sock");
}

TEST(StatusListen, RejectsNonsense) {
  std::string error;
  for (const char* bad : {"8787", "host:", "host:0", "host:65536", "::1:80", "[::1]80", "unix:relative", ":80"}) {
    EXPECT_FALSE(parse_status_listen(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(StatusClient, DeliveryPathsEncodeTheKey) {
  EXPECT_EQ(delivery_path("spring@x"), "/api/v1/deliveries/spring%40x");
  EXPECT_EQ(delivery_path("weekly@x#2027-03-07T09:30"), "/api/v1/deliveries/weekly%40x%232027-03-07T09%3A30");
  EXPECT_EQ(delivery_path("a b/c?d%e"), "/api/v1/deliveries/a%20b%2Fc%3Fd%25e");
}

TEST(StatusClient, GetsWithoutTheTokenAndParsesTheAnswer) {
  FakeStatusServer server;
  server.answer("GET", "/api/v1/status", 200, R"({"version":"0.6.0","channels":[]})");
  StatusTestDir dir(server.listen(), kToken);
  StatusClient client(load(dir));
  auto reply = client.status();
  ASSERT_TRUE(reply) << reply.error->message;
  EXPECT_EQ(reply.body.at("version").as_string(), "0.6.0");
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_FALSE(seen[0].has_authorization);
}

TEST(StatusClient, QueryParametersAreEncoded) {
  FakeStatusServer server;
  server.answer("GET", "/api/v1/queue?channel=x&state=needs_review&limit=5", 200, R"({"deliveries":[]})");
  server.answer("GET", "/api/v1/history?limit=3&key=weekly%40x%232027-03-07T09%3A30", 200, R"({"events":[]})");
  StatusTestDir dir(server.listen(), kToken);
  StatusClient client(load(dir));
  EXPECT_TRUE(client.queue("x", "needs_review", 5));
  EXPECT_TRUE(client.history(3, "weekly@x#2027-03-07T09:30"));
  for (const auto& r : server.requests()) EXPECT_FALSE(r.has_authorization) << r.target;
}

TEST(StatusClient, PostsCarryTheBearerToken) {
  FakeStatusServer server;
  server.answer("POST", "/api/v1/deliveries/weekly%40x%232027-03-07T09%3A30/retry", 200, R"({"delivery":{}})");
  server.answer("POST", "/api/v1/deliveries/a%40fb/resolve", 200, R"({"delivery":{}})");
  server.answer("POST", "/api/v1/resume", 200, R"({"pauses":[]})");
  StatusTestDir dir(server.listen(), kToken);
  StatusClient client(load(dir));
  ASSERT_TRUE(client.retry("weekly@x#2027-03-07T09:30"));
  ASSERT_TRUE(client.resolve("a@fb", "https://facebook.com/1_2"));
  ASSERT_TRUE(client.resume(""));
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);
  for (const auto& r : seen) {
    EXPECT_EQ(r.authorization, std::string("Bearer ") + kToken) << r.target;
    EXPECT_EQ(r.content_type, "application/json");
  }
  EXPECT_EQ(boost::json::parse(seen[1].body), boost::json::parse(R"({"url":"https://facebook.com/1_2"})"));
  EXPECT_EQ(boost::json::parse(seen[2].body), boost::json::parse("{}"));
}

TEST(StatusClient, PauseBodyHasReasonChannelAndUtcUntil) {
  FakeStatusServer server;
  server.answer("POST", "/api/v1/pause", 200, R"({"pauses":[]})");
  StatusTestDir dir(server.listen(), kToken);
  StatusClient client(load(dir));
  ASSERT_TRUE(client.pause("storm", "x", date::sys_days{2027_y / 3 / 2} + 17h));
  ASSERT_TRUE(client.pause("storm", "", std::nullopt));
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(boost::json::parse(seen[0].body),
            boost::json::parse(R"({"reason":"storm","channel":"x","until":"2027-03-02T17:00:00Z"})"));
  EXPECT_EQ(boost::json::parse(seen[1].body), boost::json::parse(R"({"reason":"storm"})"));
}

TEST(StatusClient, NotRunningWhenNothingAnswers) {
  RefusingPort port;
  StatusTestDir dir(port.listen(), kToken);
  StatusClient client(load(dir));
  auto reply = client.status();
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error->kind, StatusError::Kind::not_running);
  EXPECT_EQ(reply.error->message, "herald is not running: nothing answers at " + port.listen() +
                                      " (start it with systemctl start herald)");
  EXPECT_EQ(client.retry("a@x").error->kind, StatusError::Kind::not_running);
}

TEST(StatusClient, NotRunningWhenTheSocketFileIsMissing) {
  StatusTestDir dir("unix:/nonexistent-herald-dir/status.sock", kToken);
  StatusClient client(load(dir));
  auto reply = client.status();
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error->kind, StatusError::Kind::not_running);
  EXPECT_NE(reply.error->message.find("nothing answers at unix:/nonexistent-herald-dir/status.sock"),
            std::string::npos);
}

TEST(StatusClient, TalksOverAUnixSocket) {
  StatusTestDir probe("127.0.0.1:1", "");
  const auto socket = probe.dir() / "status.sock";
  FakeStatusServer server(socket);
  server.answer("GET", "/api/v1/status", 200, R"({"version":"0.6.0"})");
  server.answer("POST", "/api/v1/resume", 200, R"({"pauses":[]})");
  StatusTestDir dir("unix:" + socket.string(), kToken);
  StatusClient client(load(dir));
  auto reply = client.status();
  ASSERT_TRUE(reply) << reply.error->message;
  EXPECT_EQ(reply.body.at("version").as_string(), "0.6.0");
  ASSERT_TRUE(client.resume(""));
  EXPECT_EQ(server.requests().back().authorization, std::string("Bearer ") + kToken);
}

TEST(StatusClient, RefusedTokenNamesTheFileNotTheToken) {
  FakeStatusServer server;
  server.answer("POST", "/api/v1/resume", 401, R"({"error":"a valid bearer token is required"})");
  StatusTestDir dir(server.listen(), kToken);
  StatusClient client(load(dir));
  auto reply = client.resume("");
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error->kind, StatusError::Kind::token_refused);
  EXPECT_EQ(reply.error->http_status, 401);
  EXPECT_EQ(reply.error->message, "the status endpoint refused the token in " + dir.token_file().string() +
                                      ": a valid bearer token is required");
}

TEST(StatusClient, AnAnswerEchoingTheTokenIsRedacted) {
  FakeStatusServer server;
  server.answer("POST", "/api/v1/resume", 401, std::string(R"({"error":"token )") + kToken + R"( is wrong"})");
  StatusTestDir dir(server.listen(), kToken);
  StatusClient client(load(dir));
  auto reply = client.resume("");
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error->message.find(kToken), std::string::npos) << reply.error->message;
  EXPECT_NE(reply.error->message.find("token [redacted] is wrong"), std::string::npos);
}

TEST(StatusClient, MissingTokenFileStopsAPostBeforeItIsSent) {
  FakeStatusServer server;
  StatusTestDir dir(server.listen(), "");
  StatusClient client(load(dir));
  auto reply = client.retry("a@x");
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error->kind, StatusError::Kind::no_token);
  EXPECT_EQ(reply.error->message, "no status token: " + dir.token_file().string() + ": No such file or directory");
  EXPECT_TRUE(server.requests().empty());
}

TEST(StatusClient, TokenFileNewlineIsTrimmedAndAnEmptyFileRefused) {
  FakeStatusServer server;
  server.answer("POST", "/api/v1/resume", 200, R"({"pauses":[]})");
  StatusTestDir dir(server.listen(), "");
  std::ofstream(dir.token_file()) << "tok\r\n";
  StatusClient client(load(dir));
  ASSERT_TRUE(client.resume(""));
  EXPECT_EQ(server.requests().back().authorization, "Bearer tok");
  std::ofstream(dir.token_file()) << "\n";
  auto reply = client.resume("");
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error->message, "no status token: " + dir.token_file().string() + ": the file is empty");
}

TEST(StatusClient, ServerErrorsCarryTheServersMessage) {
  FakeStatusServer server;
  server.answer("POST", "/api/v1/deliveries/a%40x/retry", 409,
                R"({"error":"a@x is published; only failed or needs_review deliveries can be retried"})");
  server.answer("GET", "/api/v1/status", 503, R"({"error":"the daemon did not answer within 2 s"})");
  server.answer("GET", "/api/v1/history", 500, "<html>oops</html>");
  server.answer("GET", "/api/v1/queue", 200, "not json");
  StatusTestDir dir(server.listen(), kToken);
  StatusClient client(load(dir));
  auto conflict = client.retry("a@x");
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error->kind, StatusError::Kind::refused);
  EXPECT_EQ(conflict.error->http_status, 409);
  EXPECT_EQ(conflict.error->message, "a@x is published; only failed or needs_review deliveries can be retried");
  auto busy = client.status();
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error->kind, StatusError::Kind::failed);
  EXPECT_EQ(busy.error->message, "the daemon did not answer within 2 s");
  auto broken = client.history(0, "");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error->message, "HTTP 500 from the status endpoint at " + server.listen());
  auto garbled = client.queue("", "", 0);
  ASSERT_FALSE(garbled);
  EXPECT_EQ(garbled.error->kind, StatusError::Kind::failed);
}

TEST(StatusClient, ADaemonThatDoesNotAnswerInTimeIsAFailureNotNotRunning) {
  FakeStatusServer server;
  server.hold("GET", "/api/v1/status");
  StatusTestDir dir(server.listen(), kToken);
  StatusClient client(load(dir), StatusClientLimits{2s, 200ms});
  auto reply = client.status();
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error->kind, StatusError::Kind::failed);
  EXPECT_EQ(reply.error->message,
            "herald did not answer at " + server.listen() + " within 200 ms (it may be busy; try again)");
}

}  // namespace
}  // namespace herald
