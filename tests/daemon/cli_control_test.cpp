// The commands that talk to the status endpoint, run in-process against a
// fake endpoint serving canned answers per the JSON contract.

#include "daemon/cli.hpp"
#include "daemon/control.hpp"

#include "tests/daemon/status_test_support.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace herald {
namespace {

using namespace date::literals;
using namespace std::chrono_literals;
using testing::FakeStatusServer;
using testing::RefusingPort;
using testing::StatusTestDir;

constexpr const char* kToken = "s3cret-status-token-value";
const Instant kNow = date::sys_days{2027_y / date::March / 2} + 9h + 5min;

struct Result {
  int code = 0;
  std::string out;
  std::string err;
};

Result herald(std::vector<std::string> args, Instant now = kNow) {
  std::ostringstream out, err;
  CliContext ctx{out, err, now};
  std::vector<const char*> argv{"herald"};
  for (const auto& a : args) argv.push_back(a.c_str());
  Result r;
  r.code = run_cli(static_cast<int>(argv.size()), argv.data(), ctx);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// The endpoint's answers for the golden tables.
const std::string kStatus = R"({"version":"0.6.0","started":"2027-03-01T07:00:00Z","now":"2027-03-02T09:05:00Z",
 "timezone":"Europe/Amsterdam","posts":13,
 "calendar":{"last_reload":"2027-03-02T08:55:00Z","ok":true,"error":""},
 "paused":null,
 "counts":{"planned":3,"waiting":1,"held":0,"sending":0,"retry_wait":1,"published":5,"failed":1,"needs_review":1,"cancelled":0},
 "channels":[
  {"name":"x","kind":"x","can_publish":true,"problem":"","paused":null,
   "credentials_expire_at":"2027-03-05T09:00:00Z",
   "warning":"the access token expires at 2027-03-05T09:00:00Z (in 3 days); renew it before then",
   "counts":{"planned":2,"waiting":1,"held":0,"sending":0,"retry_wait":1,"published":5,"failed":1,"needs_review":0,"cancelled":0},
   "next":{"key":"spring@x","post":"spring","channel":"x","state":"planned","planned":"2027-03-02T09:30:00Z",
           "local":"2027-03-02T10:30:00+01:00","attempts":0,"next_attempt":null,"remote_id":"","url":"","last_error":"","text":""}},
  {"name":"fb","kind":"facebook","can_publish":true,"problem":"",
   "paused":{"channel":"fb","reason":"token expired","since":"2027-03-02T07:00:00Z","until":null},
   "counts":{"planned":1,"waiting":0,"held":0,"sending":0,"retry_wait":0,"published":0,"failed":0,"needs_review":1,"cancelled":0},
   "next":null},
  {"name":"blog","kind":"wordpress","can_publish":false,"problem":"credential file credentials/b: No such file or directory",
   "paused":null,
   "counts":{"planned":0,"waiting":0,"held":0,"sending":0,"retry_wait":0,"published":0,"failed":0,"needs_review":0,"cancelled":0},
   "next":null}]})";

const std::string kQueue = R"({"deliveries":[
 {"key":"launch@fb","post":"launch","channel":"fb","state":"needs_review","planned":"2027-03-01T17:00:00Z",
  "local":"2027-03-01T18:00:00+01:00","attempts":1,"next_attempt":null,"remote_id":"","url":"",
  "last_error":"outcome unknown after a timeout; look on the page","text":"We launch"},
 {"key":"spring@x","post":"spring","channel":"x","state":"planned","planned":"2027-03-02T09:30:00Z",
  "local":"2027-03-02T10:30:00+01:00","attempts":0,"next_attempt":null,"remote_id":"","url":"","last_error":"","text":"",
  "why":"behind launch@x, being sent"},
 {"key":"weekly@x#2027-03-07T09:30","post":"weekly","channel":"x","state":"retry_wait","planned":"2027-03-07T08:30:00Z",
  "local":"2027-03-07T09:30:00+01:00","attempts":2,"next_attempt":"2027-03-07T08:40:00Z","remote_id":"","url":"",
  "last_error":"HTTP 503 from api.x.com: Service Unavailable, the platform asked us to wait a while","text":""},
 {"key":"news@blog","post":"news","channel":"blog","state":"published","planned":"2027-03-28T08:00:00Z",
  "local":"2027-03-28T10:00:00+02:00","attempts":1,"next_attempt":null,"remote_id":"42",
  "url":"https://blog.example.nl/news/","last_error":"","text":""}]})";

const std::string kHistory = R"({"events":[
 {"id":12,"at":"2027-03-02T09:00:00Z","key":"spring@x","event":"published","from":"sending","to":"published",
  "detail":"https://x.com/a/status/1"},
 {"id":11,"at":"2027-03-02T07:00:00Z","key":"","event":"paused","from":"","to":"","detail":"fb: token expired"},
 {"id":10,"at":"2027-03-01T17:00:30Z","key":"launch@fb","event":"outcome_unknown","from":"sending","to":"needs_review",
  "detail":"no answer within 30 s; the post may or may not be on the page"}]})";

const std::string kDeliveryAfterRetry = R"({"delivery":{"key":"weekly@x#2027-03-07T09:30","post":"weekly","channel":"x",
 "state":"planned","planned":"2027-03-02T09:05:00Z","local":"2027-03-02T10:05:00+01:00","attempts":3,"next_attempt":null,
 "remote_id":"","url":"","last_error":"","text":""}})";

const std::string kDeliveryAfterResolve = R"({"delivery":{"key":"launch@fb","post":"launch","channel":"fb",
 "state":"published","planned":"2027-03-01T17:00:00Z","local":"2027-03-01T18:00:00+01:00","attempts":1,"next_attempt":null,
 "remote_id":"","url":"https://facebook.com/1_2","last_error":"","text":""}})";

// The one-line JSON the commands print for an answer.
std::string compact(const std::string& json) { return boost::json::serialize(boost::json::parse(json)) + "\n"; }

class CliControl : public ::testing::Test {
 protected:
  FakeStatusServer server_;
  StatusTestDir dir_{server_.listen(), kToken};

  Result run(std::vector<std::string> args, Instant now = kNow) {
    args.insert(args.begin() + 1, {"--config", dir_.config()});
    return herald(std::move(args), now);
  }
  boost::json::value last_body() const { return boost::json::parse(server_.requests().back().body); }
};

TEST_F(CliControl, StatusTable) {
  server_.answer("GET", "/api/v1/status", 200, kStatus);
  auto r = run({"status"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out,
            "herald 0.6.0, up 1d 2h 5m (since 2027-03-01 08:00 +01:00), times in Europe/Amsterdam\n"
            "calendar: 13 posts, loaded 2027-03-02 09:55 +01:00\n"
            "\n"
            "CHANNEL  KIND       STATUS          QUEUED  FAILED  REVIEW  NEXT\n"
            "x        x          ok                   4       1       0  2027-03-02 10:30 +01:00  spring@x\n"
            "fb       facebook   paused               1       0       1  -\n"
            "blog     wordpress  cannot publish       0       0       0  -\n"
            "\n"
            "x: the access token expires at 2027-03-05T09:00:00Z (in 3 days); renew it before then\n"
            "fb: paused since 2027-03-02 08:00 +01:00 until resumed: token expired\n"
            "blog: cannot publish: credential file credentials/b: No such file or directory\n");
}

TEST_F(CliControl, StatusShowsTheGlobalPauseAndARejectedCalendar) {
  auto status = boost::json::parse(kStatus).as_object();
  status["paused"] = boost::json::parse(
      R"({"channel":"","reason":"storm in the news","since":"2027-03-02T08:00:00Z","until":"2027-03-02T17:00:00Z"})");
  status["calendar"] = boost::json::parse(
      R"({"last_reload":"2027-03-02T09:00:00Z","ok":false,
          "error":"calendar.yaml:3:7: error: no such channel 'instagram'\ncalendar.yaml:9:1: error: duplicate id 'a'"})");
  server_.answer("GET", "/api/v1/status", 200, boost::json::serialize(status));
  auto r = run({"status"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find("\n\n") + 2),
            "herald 0.6.0, up 1d 2h 5m (since 2027-03-01 08:00 +01:00), times in Europe/Amsterdam\n"
            "calendar: 13 posts; the edit read at 2027-03-02 10:00 +01:00 was rejected, the last good calendar keeps "
            "running:\n"
            "  calendar.yaml:3:7: error: no such channel 'instagram'\n"
            "  calendar.yaml:9:1: error: duplicate id 'a'\n"
            "PAUSED: everything since 2027-03-02 09:00 +01:00 until 2027-03-02 18:00 +01:00: storm in the news\n"
            "\n");
  EXPECT_NE(r.out.find("x        x          paused (all)"), std::string::npos) << r.out;
}

TEST_F(CliControl, StatusJsonIsTheEndpointsAnswer) {
  server_.answer("GET", "/api/v1/status", 200, kStatus);
  auto r = run({"status", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, compact(kStatus));
}

TEST_F(CliControl, QueueTable) {
  server_.answer("GET", "/api/v1/queue", 200, kQueue);
  auto r = run({"queue"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "LOCAL (Europe/Amsterdam)  STATE         CHANNEL  KEY                        ATTEMPTS  WHY / URL\n"
            "2027-03-01 18:00 +01:00   needs_review  fb       launch@fb                         1  outcome unknown "
            "after a timeout; look on the page\n"
            "2027-03-02 10:30 +01:00   planned       x        spring@x                          0  behind launch@x, "
            "being sent\n"
            "2027-03-07 09:30 +01:00   retry_wait    x        weekly@x#2027-03-07T09:30         2  HTTP 503 from "
            "api.x.com: Service Unavailable, the platform a…\n"
            "2027-03-28 10:00 +02:00   published     blog     news@blog                         1  "
            "https://blog.example.nl/news/\n"
            "4 deliveries\n");
}

TEST_F(CliControl, QueueFiltersAndJson) {
  server_.answer("GET", "/api/v1/queue?channel=fb&state=needs_review&limit=2", 200, kQueue);
  auto r = run({"queue", "--channel", "fb", "--state", "needs_review", "--limit", "2", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, compact(kQueue));
  EXPECT_FALSE(server_.requests().back().has_authorization);
}

TEST_F(CliControl, QueueSaysWhenTheLimitCutTheList) {
  server_.answer("GET", "/api/v1/queue?limit=4", 200, kQueue);
  auto r = run({"queue", "--limit", "4"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\n4 deliveries (the first 4; --limit shows more)\n"), std::string::npos) << r.out;
}

TEST_F(CliControl, QueueRejectsBadArgumentsBeforeAsking) {
  EXPECT_EQ(run({"queue", "--state", "lost"}).code, 2);
  EXPECT_EQ(run({"queue", "--limit", "0"}).code, 2);
  auto r = run({"queue", "--channel", "instagram"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "herald queue: unknown channel 'instagram'\n");
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(CliControl, HistoryTable) {
  server_.answer("GET", "/api/v1/history", 200, kHistory);
  auto r = run({"history"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "LOCAL (Europe/Amsterdam)  KEY        EVENT            FROM -> TO               DETAIL\n"
            "2027-03-02 10:00 +01:00   spring@x   published        sending -> published     "
            "https://x.com/a/status/1\n"
            "2027-03-02 08:00 +01:00   -          paused           -                        fb: token expired\n"
            "2027-03-01 18:00 +01:00   launch@fb  outcome_unknown  sending -> needs_review  no answer within 30 s; "
            "the post may or may not be on the pag…\n"
            "3 events\n");
}

TEST_F(CliControl, HistoryOfOneKeyAsJson) {
  server_.answer("GET", "/api/v1/history?limit=5&key=weekly%40x%232027-03-07T09%3A30", 200, kHistory);
  auto r = run({"history", "--limit", "5", "--key", "weekly@x#2027-03-07T09:30", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, compact(kHistory));
}

TEST_F(CliControl, PauseEverythingSendsTheReasonWithTheToken) {
  server_.answer("POST", "/api/v1/pause", 200,
                 R"({"pauses":[{"channel":"","reason":"storm in the news","since":"2027-03-02T09:05:00Z","until":null},
                               {"channel":"fb","reason":"token expired","since":"2027-03-02T07:00:00Z","until":null}]})");
  auto r = run({"pause", "--reason", "storm in the news"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "paused everything until resumed (herald resume): storm in the news\n"
            "also paused: channel fb since 2027-03-02 08:00 +01:00 until resumed: token expired\n");
  const auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].authorization, std::string("Bearer ") + kToken);
  EXPECT_EQ(last_body(), boost::json::parse(R"({"reason":"storm in the news"})"));
}

TEST_F(CliControl, PauseUntilALocalTimeIsSentInUtcAcrossTheDstChange) {
  server_.answer("POST", "/api/v1/pause", 200, R"({"pauses":[]})");
  const Instant before = date::sys_days{2027_y / date::March / 20};
  struct Case {
    const char* until;
    const char* utc;
  };
  // Europe/Amsterdam goes from +01:00 to +02:00 at 02:00 on 2027-03-28;
  // 02:30 that night does not exist and moves forward to 03:30, like calendar times.
  for (const auto& c : {Case{"2027-03-27 18:00", "2027-03-27T17:00:00Z"}, Case{"2027-03-28 18:00", "2027-03-28T16:00:00Z"},
                        Case{"2027-03-28 02:30", "2027-03-28T01:30:00Z"},
                        Case{"2027-03-28T18:00:00+02:00", "2027-03-28T16:00:00Z"},
                        Case{"2027-03-28T16:00:00Z", "2027-03-28T16:00:00Z"},
                        Case{"2027-03-29", "2027-03-28T22:00:00Z"}}) {
    auto r = run({"pause", "--reason", "storm", "--channel", "x", "--until", c.until}, before);
    ASSERT_EQ(r.code, 0) << c.until << ": " << r.err;
    EXPECT_EQ(last_body(), (boost::json::value{{"reason", "storm"}, {"channel", "x"}, {"until", c.utc}})) << c.until;
  }
  auto r = run({"pause", "--reason", "storm", "--channel", "x", "--until", "2027-03-28 18:00"}, before);
  EXPECT_EQ(r.out, "paused channel x until 2027-03-28 18:00 +02:00 (2027-03-28T16:00:00Z): storm\n");
}

TEST_F(CliControl, PauseRejectsBadArguments) {
  EXPECT_EQ(run({"pause", "--channel", "x"}).code, 2);  // no reason
  EXPECT_EQ(run({"pause", "--reason", "  "}).code, 2);
  auto bad = run({"pause", "--reason", "r", "--until", "tomorrow"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--until 'tomorrow': expected RFC 3339"), std::string::npos) << bad.err;
  auto past = run({"pause", "--reason", "r", "--until", "2027-03-01 18:00"});
  EXPECT_EQ(past.code, 2);
  EXPECT_EQ(past.err, "herald pause: --until '2027-03-01 18:00' is 2027-03-01 18:00 +01:00, which has passed\n");
  EXPECT_EQ(run({"pause", "--reason", "r", "--channel", "instagram"}).code, 2);
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(CliControl, ResumeSaysWhatIsStillPaused) {
  server_.answer("POST", "/api/v1/resume", 200,
                 R"({"pauses":[{"channel":"fb","reason":"token expired","since":"2027-03-02T07:00:00Z","until":null}]})");
  auto r = run({"resume"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "resumed everything; overdue posts follow the late window\n"
            "still paused: channel fb since 2027-03-02 08:00 +01:00 until resumed: token expired\n");
  EXPECT_EQ(last_body(), boost::json::parse("{}"));
  EXPECT_EQ(server_.requests().back().authorization, std::string("Bearer ") + kToken);
}

TEST_F(CliControl, ResumeAChannelThatWasNotPausedShowsTheConflict) {
  server_.answer("POST", "/api/v1/resume", 409, R"({"error":"channel x is not paused"})");
  auto r = run({"resume", "--channel", "x"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "herald resume: channel x is not paused\n");
  EXPECT_EQ(last_body(), boost::json::parse(R"({"channel":"x"})"));
}

TEST_F(CliControl, RetryEncodesTheKey) {
  server_.answer("POST", "/api/v1/deliveries/weekly%40x%232027-03-07T09%3A30/retry", 200, kDeliveryAfterRetry);
  auto r = run({"retry", "weekly@x#2027-03-07T09:30"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "weekly@x#2027-03-07T09:30: will be sent again; now planned, due 2027-03-02 10:05 +01:00\n");
  EXPECT_EQ(server_.requests().back().authorization, std::string("Bearer ") + kToken);
  auto j = run({"retry", "weekly@x#2027-03-07T09:30", "--format", "json"});
  EXPECT_EQ(j.out, compact(kDeliveryAfterRetry));
}

TEST_F(CliControl, RetryOfAPublishedDeliveryIsRefused) {
  server_.answer("POST", "/api/v1/deliveries/news%40blog/retry", 409,
                 R"({"error":"news@blog is published; only failed or needs_review deliveries can be retried"})");
  auto r = run({"retry", "news@blog"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "herald retry: news@blog is published; only failed or needs_review deliveries can be retried\n");
}

TEST_F(CliControl, ResolveSendsTheUrl) {
  server_.answer("POST", "/api/v1/deliveries/launch%40fb/resolve", 200, kDeliveryAfterResolve);
  auto r = run({"resolve", "launch@fb", "--url", "https://facebook.com/1_2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "launch@fb: published at https://facebook.com/1_2 (settled by hand; it will not be sent)\n");
  EXPECT_EQ(last_body(), boost::json::parse(R"({"url":"https://facebook.com/1_2"})"));
  EXPECT_EQ(run({"resolve", "launch@fb"}).code, 2);  // --url is required
}

TEST_F(CliControl, ResolveUnknownKeyShowsTheServersMessage) {
  server_.answer("POST", "/api/v1/deliveries/nope%40fb/resolve", 404, R"({"error":"no delivery nope@fb"})");
  auto r = run({"resolve", "nope@fb", "--url", "https://facebook.com/1_2", "--format", "json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "herald resolve: no delivery nope@fb\n");
}

TEST_F(CliControl, WrongTokenExitsOneNamingTheFileNeverTheToken) {
  server_.answer("POST", "/api/v1/pause", 401, R"({"error":"a valid bearer token is required"})");
  auto r = run({"pause", "--reason", "storm"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "the status endpoint refused the token in " + dir_.token_file().string() +
                       ": a valid bearer token is required\n");
  EXPECT_EQ(r.err.find(kToken), std::string::npos);
}

TEST_F(CliControl, MissingTokenFileExitsOne) {
  std::filesystem::remove(dir_.token_file());
  auto r = run({"retry", "a@x"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "no status token: " + dir_.token_file().string() + ": No such file or directory\n");
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(CliControl, ConfigFromTheEnvironment) {
  server_.answer("GET", "/api/v1/status", 200, kStatus);
  ::setenv("HERALD_CONFIG", dir_.config().c_str(), 1);
  auto r = herald({"status", "--format", "json"});
  ::unsetenv("HERALD_CONFIG");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, compact(kStatus));
}

TEST(CliControlNotRunning, EveryCommandExitsThreeWithTheSameMessage) {
  RefusingPort port;
  StatusTestDir dir(port.listen(), kToken);
  const std::string message =
      "herald is not running: nothing answers at " + port.listen() + " (start it with systemctl start herald)\n";
  for (std::vector<std::string> args :
       {std::vector<std::string>{"status"}, {"queue"}, {"history"}, {"pause", "--reason", "r"}, {"resume"},
        {"retry", "a@x"}, {"resolve", "a@x", "--url", "https://x.com/a/status/1"}, {"status", "--format", "json"}}) {
    args.insert(args.begin() + 1, {"--config", dir.config()});
    auto r = herald(args);
    EXPECT_EQ(r.code, 3) << args[0];
    EXPECT_EQ(r.err, message) << args[0];
    EXPECT_EQ(r.out, "") << args[0];
  }
}

TEST(CliControlUnixSocket, StatusOverTheSocket) {
  StatusTestDir probe("127.0.0.1:1", "");
  const auto socket = probe.dir() / "status.sock";
  FakeStatusServer server(socket);
  server.answer("GET", "/api/v1/status", 200, kStatus);
  StatusTestDir dir("unix:" + socket.string(), kToken);
  auto r = herald({"status", "--config", dir.config(), "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, compact(kStatus));
}

}  // namespace
}  // namespace herald
