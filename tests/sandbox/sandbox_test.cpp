#include "tests/sandbox/sandbox.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <ifaddrs.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <unistd.h>
#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "connectors/oauth1.hpp"
#include "connectors/oauth2.hpp"

namespace herald {
namespace {
namespace json = boost::json;

XSandboxConfig::Account test_account() {
  return {"ck-test", "cs-test", "1001-at-test", "ats-test", "1001", "herald_test"};
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.x.accounts.push_back(test_account());
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", sandbox_->port());
    client_->set_read_timeout(std::chrono::seconds(1));
  }
  void TearDown() override { sandbox_->stop(); }

  std::string base() const { return "http://127.0.0.1:" + std::to_string(sandbox_->port()); }

  std::string sign(const std::string& method, const std::string& target, XSandboxConfig::Account account = test_account(),
                   std::int64_t timestamp = unix_now()) {
    OAuth1Credentials credentials{account.consumer_key, Secret(account.consumer_secret), account.access_token,
                                  Secret(account.access_token_secret)};
    return oauth1_authorization(method, base() + target, {}, credentials, "nonce" + std::to_string(++nonce_),
                                timestamp);
  }

  httplib::Result post_tweet(const std::string& text, XSandboxConfig::Account account = test_account(),
                             std::int64_t timestamp = unix_now()) {
    httplib::Headers headers{{"Authorization", sign("POST", "/2/tweets", account, timestamp)}};
    return client_->Post("/2/tweets", headers, json::serialize(json::object{{"text", text}}), "application/json");
  }

  httplib::Result timeline(const std::string& query) {
    std::string target = "/2/users/1001/tweets" + query;
    return client_->Get(target, httplib::Headers{{"Authorization", sign("GET", target)}});
  }

  httplib::Result media_initialize(const std::string& body) {
    const std::string target = "/2/media/upload/initialize";
    return client_->Post(target, httplib::Headers{{"Authorization", sign("POST", target)}}, body, "application/json");
  }

  httplib::Result media_append(const std::string& id, int index, const std::string& bytes) {
    const std::string target = "/2/media/upload/" + id + "/append";
    httplib::MultipartFormDataItems items{{"segment_index", std::to_string(index), "", ""},
                                          {"media", bytes, "blob", "application/octet-stream"}};
    return client_->Post(target, httplib::Headers{{"Authorization", sign("POST", target)}}, items);
  }

  httplib::Result media_finalize(const std::string& id) {
    const std::string target = "/2/media/upload/" + id + "/finalize";
    return client_->Post(target, httplib::Headers{{"Authorization", sign("POST", target)}}, "", "");
  }

  httplib::Result media_status(const std::string& id) {
    const std::string target = "/2/media/upload?command=STATUS&media_id=" + id;
    return client_->Get(target, httplib::Headers{{"Authorization", sign("GET", target)}});
  }

  void arm(const std::string& body) {
    auto res = client_->Post("/_sandbox/faults", body, "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 201) << res->body;
  }

  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<httplib::Client> client_;
  int nonce_ = 0;
};

TEST_F(SandboxTest, SignedCreateSucceedsAndIsRecorded) {
  auto res = post_tweet("Hello from herald");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;
  json::value body = json::parse(res->body);
  std::string id(body.at("data").at("id").as_string());
  EXPECT_EQ(id.size(), 19u);
  EXPECT_EQ(body.at("data").at("text").as_string(), "Hello from herald");
  EXPECT_EQ(res->get_header_value("x-rate-limit-limit"), "100");
  EXPECT_EQ(res->get_header_value("x-rate-limit-remaining"), "99");
  EXPECT_GT(std::stoll(res->get_header_value("x-rate-limit-reset")), unix_now());
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].platform, "x");
  EXPECT_EQ(creates[0].account, "1001");
  EXPECT_EQ(creates[0].id, id);
  EXPECT_EQ(creates[0].text, "Hello from herald");
}

TEST_F(SandboxTest, ReplyIsRecorded) {
  auto first = post_tweet("first");
  ASSERT_TRUE(first);
  const std::string parent(json::parse(first->body).at("data").at("id").as_string());
  std::string body = R"({"text":"second","reply":{"in_reply_to_tweet_id":")" + parent + R"("}})";
  auto res = client_->Post("/2/tweets", httplib::Headers{{"Authorization", sign("POST", "/2/tweets")}}, body,
                           "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 2u);
  EXPECT_EQ(creates[1].in_reply_to, parent);
  // The timeline says what it replies to when asked (tweet.fields=referenced_tweets).
  auto listed = timeline("?tweet.fields=referenced_tweets");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->status, 200) << listed->body;
  const json::value answer = json::parse(listed->body);
  const auto& data = answer.at("data").as_array();
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0].at("referenced_tweets").at(0).at("type").as_string(), "replied_to");
  EXPECT_EQ(data[0].at("referenced_tweets").at(0).at("id").as_string(), parent);
  EXPECT_FALSE(data[1].as_object().contains("referenced_tweets"));
}

// A reply to a post that is deleted (or never was): X's 403 "You attempted
// to reply to a Tweet that is deleted or not visible to you."
TEST_F(SandboxTest, AReplyToADeletedPostIs403) {
  auto first = post_tweet("to be deleted");
  ASSERT_TRUE(first);
  const std::string parent(json::parse(first->body).at("data").at("id").as_string());
  ASSERT_TRUE(sandbox_->delete_post("x", parent));
  for (const std::string& to : {parent, std::string("42")}) {
    std::string body = R"({"text":"reply","reply":{"in_reply_to_tweet_id":")" + to + R"("}})";
    auto res = client_->Post("/2/tweets", httplib::Headers{{"Authorization", sign("POST", "/2/tweets")}}, body,
                             "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 403) << res->body;
    EXPECT_EQ(json::parse(res->body).at("detail").as_string(),
              "You attempted to reply to a Tweet that is deleted or not visible to you.");
  }
  EXPECT_EQ(sandbox_->creates().size(), 1u);
}

TEST_F(SandboxTest, MediaIdsTheSandboxDidNotIssueAre400) {
  std::string body = R"({"text":"pictures","media":{"media_ids":["7","8"]}})";
  auto res = client_->Post("/2/tweets", httplib::Headers{{"Authorization", sign("POST", "/2/tweets")}}, body,
                           "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  json::value answer = json::parse(res->body);
  EXPECT_EQ(answer.at("errors").at(0).at("message").as_string(), "Your media IDs are invalid.");
  EXPECT_EQ(answer.at("title").as_string(), "Invalid Request");
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(SandboxTest, MediaUploadChecksTypeSizeSegmentOrderAndTotal) {
  auto res = media_initialize(R"({"media_type":"image/svg+xml","total_bytes":10})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  res = media_initialize(R"({"media_type":"image/png","total_bytes":5242881,"media_category":"tweet_image"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body).at("errors").at(0).at("message").as_string(), "File size exceeds 5242880 bytes.");
  res = media_initialize(R"({"media_type":"image/gif","total_bytes":15728641,"media_category":"tweet_gif"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  res = media_initialize(R"({"media_type":"video/mp4","total_bytes":536870912,"media_category":"tweet_video"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;

  res = media_initialize(R"({"media_type":"image/png","total_bytes":10,"media_category":"tweet_image"})");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json::value started = json::parse(res->body);
  const std::string id(started.at("data").at("id").as_string());
  EXPECT_EQ(std::string(started.at("data").at("media_key").as_string()), "3_" + id);
  EXPECT_EQ(started.at("data").at("expires_after_secs").as_int64(), 86400);

  EXPECT_EQ(media_append(id, 1, "abcd")->status, 400);  // segment 0 comes first
  res = media_append(id, 0, "abcd");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(json::parse(res->body).at("data").as_object().contains("expires_at"));
  res = media_finalize(id);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body).at("errors").at(0).at("message").as_string(),
            "Segments do not add up to provided total file size.");
  EXPECT_EQ(media_append(id, 1, "efghijklmnop")->status, 400);  // past total_bytes
  EXPECT_EQ(media_append(id, 1, "efghij")->status, 200);
  res = media_finalize(id);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_FALSE(json::parse(res->body).at("data").as_object().contains("processing_info"));  // an image is ready

  std::string tweet = R"({"text":"picture","media":{"media_ids":[")" + id + R"("]}})";
  res = client_->Post("/2/tweets", httplib::Headers{{"Authorization", sign("POST", "/2/tweets")}}, tweet,
                      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;
  // The answer's text ends with the media link, as X's does.
  const std::string text(json::parse(res->body).at("data").at("text").as_string());
  EXPECT_TRUE(text.starts_with("picture https://t.co/")) << text;
}

TEST_F(SandboxTest, VideoProcessesOverStatusPollsAndIsUnusableUntilThen) {
  auto res = media_initialize(R"({"media_type":"video/mp4","total_bytes":12,"media_category":"tweet_video"})");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const std::string id(json::parse(res->body).at("data").at("id").as_string());
  ASSERT_EQ(media_append(id, 0, std::string("\0\0\0\x18" "ftypmp42", 12))->status, 200);
  res = media_finalize(id);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json::value info = json::parse(res->body).at("data").at("processing_info");
  EXPECT_EQ(info.at("state").as_string(), "pending");
  EXPECT_EQ(info.at("check_after_secs").as_int64(), 1);

  std::string tweet = R"({"text":"clip","media":{"media_ids":[")" + id + R"("]}})";
  auto post = [&] {
    return client_->Post("/2/tweets", httplib::Headers{{"Authorization", sign("POST", "/2/tweets")}}, tweet,
                         "application/json");
  };
  EXPECT_EQ(post()->status, 400);  // not processed yet

  res = media_status(id);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body).at("data").at("processing_info").at("state").as_string(), "in_progress");
  res = media_status(id);
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body).at("data").at("processing_info").at("state").as_string(), "succeeded");
  EXPECT_EQ(post()->status, 201);
}

TEST_F(SandboxTest, MediaRoutesCheckTheSignatureIncludingTheQuery) {
  XSandboxConfig::Account wrong = test_account();
  wrong.consumer_secret = "wrong";
  auto res = client_->Post("/2/media/upload/initialize",
                           httplib::Headers{{"Authorization", sign("POST", "/2/media/upload/initialize", wrong)}},
                           R"({"media_type":"image/png","total_bytes":10})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  std::string signed_target = "/2/media/upload?command=STATUS&media_id=1";
  res = client_->Get("/2/media/upload?command=STATUS&media_id=2",
                     httplib::Headers{{"Authorization", sign("GET", signed_target)}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

TEST_F(SandboxTest, BadSignatureIs401WithTheDocumentedBody) {
  XSandboxConfig::Account wrong = test_account();
  wrong.access_token_secret = "not-the-secret";
  auto res = post_tweet("Hello", wrong);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(json::parse(res->body),
            json::parse(R"({"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"})"));
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(SandboxTest, UnknownConsumerKeyMissingHeaderAndReplayAre401) {
  XSandboxConfig::Account unknown = test_account();
  unknown.consumer_key = "someone-else";
  auto res = post_tweet("Hello", unknown);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = client_->Post("/2/tweets", R"({"text":"x"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  httplib::Headers headers{{"Authorization", sign("POST", "/2/tweets")}};
  res = client_->Post("/2/tweets", headers, R"({"text":"once"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201);
  res = client_->Post("/2/tweets", headers, R"({"text":"twice"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(sandbox_->creates().size(), 1u);
}

TEST_F(SandboxTest, TimestampMoreThanFiveMinutesOffIs401) {
  auto res = post_tweet("late", test_account(), unix_now() - 301);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = post_tweet("early", test_account(), unix_now() + 400);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(SandboxTest, DuplicateTextIs403WithTheDocumentedDetail) {
  ASSERT_EQ(post_tweet("same words")->status, 201);
  auto res = post_tweet("same words");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  json::value body = json::parse(res->body);
  EXPECT_EQ(body.at("detail").as_string(), "You are not allowed to create a Tweet with duplicate content.");
  EXPECT_EQ(body.at("title").as_string(), "Forbidden");
  EXPECT_EQ(sandbox_->creates().size(), 1u);
}

TEST_F(SandboxTest, OverLongTextIs400AndWeightedLengthCounts) {
  auto res = post_tweet(std::string(281, 'a'));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_TRUE(sandbox_->creates().empty());
  EXPECT_EQ(post_tweet(std::string(280, 'a'))->status, 201);
  // CJK characters weigh 2: 141 of them are 282.
  std::string cjk;
  for (int i = 0; i < 141; ++i) cjk += "\xE6\x97\xA5";
  EXPECT_EQ(post_tweet(cjk)->status, 400);
}

TEST_F(SandboxTest, TimelineListsCreatedPostsNewestFirst) {
  std::string first = json::parse(post_tweet("one")->body).at("data").at("id").as_string().c_str();
  std::string second = json::parse(post_tweet("two")->body).at("data").at("id").as_string().c_str();
  auto res = timeline("?max_results=5");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json::value body = json::parse(res->body);
  const auto& data = body.at("data").as_array();
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0].at("id").as_string(), second);
  EXPECT_EQ(data[0].at("text").as_string(), "two");
  EXPECT_EQ(data[1].at("id").as_string(), first);
  EXPECT_EQ(body.at("meta").at("result_count").as_int64(), 2);
  EXPECT_EQ(body.at("meta").at("newest_id").as_string(), second);
}

TEST_F(SandboxTest, TimelineSignatureCoversTheQuery) {
  std::string signed_target = "/2/users/1001/tweets?max_results=5";
  auto res = client_->Get("/2/users/1001/tweets?max_results=10",
                          httplib::Headers{{"Authorization", sign("GET", signed_target)}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = timeline("?max_results=500");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
}

TEST_F(SandboxTest, RateLimitFaultGives429WithResetAndBody) {
  arm(R"({"path":"/2/tweets","mode":"rate_limit","count":1,"reset_in":120})");
  auto res = post_tweet("limited");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(res->get_header_value("x-rate-limit-remaining"), "0");
  auto reset = std::stoll(res->get_header_value("x-rate-limit-reset"));
  EXPECT_GE(reset, unix_now() + 118);
  EXPECT_LE(reset, unix_now() + 121);
  json::value body = json::parse(res->body);
  EXPECT_EQ(body.at("title").as_string(), "Too Many Requests");
  EXPECT_EQ(body.at("status").as_int64(), 429);
  EXPECT_TRUE(sandbox_->creates().empty());
  EXPECT_EQ(post_tweet("limited")->status, 201);  // count was 1
}

TEST_F(SandboxTest, GenuineRateLimitAfterTheWindowIsSpent) {
  sandbox_->stop();
  Sandbox::Config config;
  config.x.accounts.push_back(test_account());
  config.x.create_limit = 2;
  sandbox_ = std::make_unique<Sandbox>(std::move(config));
  sandbox_->start("127.0.0.1", 0);
  client_ = std::make_unique<httplib::Client>("127.0.0.1", sandbox_->port());
  EXPECT_EQ(post_tweet("a")->status, 201);
  EXPECT_EQ(post_tweet("b")->get_header_value("x-rate-limit-remaining"), "0");
  EXPECT_EQ(post_tweet("c")->status, 429);
  EXPECT_EQ(sandbox_->creates().size(), 2u);
}

TEST_F(SandboxTest, ServerErrorFault) {
  arm(R"({"path":"/2/tweets","mode":"server_error","count":2})");
  EXPECT_EQ(post_tweet("a")->status, 500);
  EXPECT_EQ(post_tweet("a")->status, 500);
  EXPECT_EQ(post_tweet("a")->status, 201);
  EXPECT_EQ(sandbox_->creates().size(), 1u);
}

TEST_F(SandboxTest, DelayFaultOutlastsTheClientTimeout) {
  arm(R"({"path":"/2/tweets","mode":"delay","delay_ms":1500})");
  auto res = post_tweet("slow");
  EXPECT_FALSE(res);
  EXPECT_EQ(res.error(), httplib::Error::Read);
}

// X judges a duplicate when it stores a post, not when the request comes
// in: of two identical creates the one that completes second is refused,
// even if it was sent first (a create held past the client's timeout that
// completes after an identical retry).
TEST_F(SandboxTest, DuplicateIsJudgedWhenACreateCompletes) {
  arm(R"({"path":"/2/tweets","mode":"delay","delay_ms":800})");
  const httplib::Headers first_headers{{"Authorization", sign("POST", "/2/tweets")}};
  const std::string body = json::serialize(json::object{{"text", "sent twice"}});
  int first_status = 0;
  std::string first_body;
  std::thread slow([&] {
    httplib::Client patient("127.0.0.1", sandbox_->port());
    patient.set_read_timeout(std::chrono::seconds(5));
    if (auto res = patient.Post("/2/tweets", first_headers, body, "application/json")) {
      first_status = res->status;
      first_body = res->body;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the first is held by now
  auto second = post_tweet("sent twice");
  slow.join();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 201) << second->body;
  ASSERT_EQ(first_status, 403) << first_body;
  EXPECT_EQ(json::parse(first_body).at("detail").as_string(),
            "You are not allowed to create a Tweet with duplicate content.");
  ASSERT_EQ(sandbox_->creates().size(), 1u);
  EXPECT_EQ(sandbox_->creates()[0].id, std::string(json::parse(second->body).at("data").at("id").as_string()));
}

TEST_F(SandboxTest, DropAfterCreateRecordsButNeverAnswers) {
  arm(R"({"path":"/2/tweets","mode":"drop_after_create","delay_ms":1500})");
  auto res = post_tweet("dropped");
  EXPECT_FALSE(res);
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].text, "dropped");
  // The post exists: the crash lookup finds it, and a retry is a duplicate.
  auto list = timeline("?max_results=5");
  ASSERT_TRUE(list);
  EXPECT_EQ(json::parse(list->body).at("data").at(0).at("text").as_string(), "dropped");
  EXPECT_EQ(post_tweet("dropped")->status, 403);
}

TEST_F(SandboxTest, DropWithoutHoldClosesMidResponse) {
  arm(R"({"path":"/2/tweets","mode":"drop_after_create","delay_ms":0})");
  auto res = post_tweet("cut");
  EXPECT_FALSE(res);
  EXPECT_EQ(sandbox_->creates().size(), 1u);
}

TEST_F(SandboxTest, ControlApiListsCreatesAndResets) {
  ASSERT_EQ(post_tweet("listed")->status, 201);
  auto res = client_->Get("/_sandbox/creates");
  ASSERT_TRUE(res);
  json::value body = json::parse(res->body);
  ASSERT_EQ(body.at("creates").as_array().size(), 1u);
  EXPECT_EQ(body.at("creates").at(0).at("text").as_string(), "listed");
  EXPECT_EQ(body.at("creates").at(0).at("platform").as_string(), "x");
  EXPECT_EQ(body.at("creates").at(0).at("headers").at("Content-Type").as_string(), "application/json");
  EXPECT_EQ(client_->Post("/_sandbox/reset")->status, 204);
  EXPECT_TRUE(sandbox_->creates().empty());
  EXPECT_EQ(post_tweet("listed")->status, 201);  // no longer a duplicate
  EXPECT_EQ(client_->Post("/_sandbox/faults", R"({"path":"/2/tweets","mode":"explode"})", "application/json")->status,
            400);
}

// POST /_sandbox/delete: a person deleted the post in the platform's own
// app. The record says so, and the platform answers for it as for a
// missing post (each platform module's tests show how); a post the record
// does not hold, or a body without platform and id, is refused.
TEST_F(SandboxTest, ControlApiDeletesAPostAsAPersonWould) {
  auto created = post_tweet("deleted by hand");
  ASSERT_EQ(created->status, 201);
  const std::string id(json::parse(created->body).at("data").at("id").as_string());
  EXPECT_EQ(client_->Post("/_sandbox/delete", R"({"platform":"x"})", "application/json")->status, 400);
  EXPECT_EQ(client_->Post("/_sandbox/delete", R"({"platform":"x","id":"1"})", "application/json")->status, 404);
  EXPECT_EQ(client_->Post("/_sandbox/delete", R"({"platform":"mastodon","id":")" + id + R"("})", "application/json")
                ->status,
            404);
  auto deleted = client_->Post("/_sandbox/delete", R"({"platform":"x","id":")" + id + R"("})", "application/json");
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 204);
  ASSERT_EQ(sandbox_->creates().size(), 1u);
  EXPECT_EQ(sandbox_->creates()[0].fields.at("deleted"), "true");
  // Gone from the account's timeline too.
  auto listed = timeline("?max_results=10");
  ASSERT_TRUE(listed);
  EXPECT_FALSE(json::parse(listed->body).as_object().contains("data")) << listed->body;
}

TEST(SandboxLoopback, RecognisesLoopbackPeers) {
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("127.3.2.1"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_TRUE(is_loopback_address("::ffff:127.0.0.1"));
  EXPECT_FALSE(is_loopback_address("10.0.0.5"));
  EXPECT_FALSE(is_loopback_address("::ffff:192.168.1.2"));
  EXPECT_FALSE(is_loopback_address(""));
}

// A peer on a non-loopback interface of this machine is refused the control
// API (skipped when the machine has no such interface).
TEST(SandboxLoopback, ControlApiRefusesOtherPeers) {
  std::string external;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (ifaddrs* it = list; it; it = it->ifa_next) {
      if (!it->ifa_addr || it->ifa_addr->sa_family != AF_INET) continue;
      char text[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(it->ifa_addr)->sin_addr, text, sizeof text);
      if (!is_loopback_address(text)) {
        external = text;
        break;
      }
    }
    freeifaddrs(list);
  }
  if (external.empty()) GTEST_SKIP() << "no non-loopback IPv4 interface";
  Sandbox sandbox(Sandbox::Config{});
  sandbox.start("0.0.0.0", 0);
  httplib::Client outside(external, sandbox.port());
  auto res = outside.Get("/_sandbox/creates");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  httplib::Client inside("127.0.0.1", sandbox.port());
  EXPECT_EQ(inside.Get("/_sandbox/creates")->status, 200);
  sandbox.stop();
}

TEST(SandboxOAuthHeader, ParsesAndDecodes) {
  auto params = parse_oauth_header(R"(OAuth oauth_consumer_key="a%20b", oauth_nonce="n",oauth_signature="x%2By%3D")");
  ASSERT_TRUE(params);
  EXPECT_EQ(params->at("oauth_consumer_key"), "a b");
  EXPECT_EQ(params->at("oauth_signature"), "x+y=");
  EXPECT_FALSE(parse_oauth_header("Bearer abc"));
  EXPECT_FALSE(parse_oauth_header(R"(OAuth oauth_nonce="unterminated)"));
}

// The keys of the read endpoints: X's lookup window, and the permissions a
// token may lack (Facebook and Instagram insights, LinkedIn's administrator
// role for share statistics).
TEST(SandboxConfig, LoadsTheKeysOfTheReadEndpoints) {
  const std::string file = ::testing::TempDir() + "herald-sandbox-reads-" + std::to_string(::getpid()) + ".yaml";
  std::ofstream(file) << "x:\n  lookup_limit: 7\n"
                         "facebook:\n  pages:\n    - {page_id: \"1\", page_token: t, insights: false}\n"
                         "instagram:\n  accounts:\n    - {account_id: \"2\", access_token: t, insights: false}\n"
                         "linkedin:\n  authors:\n    - {urn: \"urn:li:organization:3\", access_token: t, admin: false}\n";
  auto config = load_sandbox_config(file);
  std::remove(file.c_str());
  EXPECT_EQ(config.x.lookup_limit, 7);
  ASSERT_EQ(config.facebook.pages.size(), 1u);
  EXPECT_FALSE(config.facebook.pages[0].insights);
  ASSERT_EQ(config.instagram.accounts.size(), 1u);
  EXPECT_FALSE(config.instagram.accounts[0].insights);
  ASSERT_EQ(config.linkedin.authors.size(), 1u);
  EXPECT_FALSE(config.linkedin.authors[0].admin);
  // And the defaults: every permission granted.
  auto example = load_sandbox_config(HERALD_SOURCE_DIR "/tests/sandbox/sandbox.example.yaml");
  EXPECT_EQ(example.x.lookup_limit, 900);
  EXPECT_TRUE(example.facebook.pages.at(0).insights);
  EXPECT_TRUE(example.instagram.accounts.at(0).insights);
  EXPECT_TRUE(example.linkedin.authors.at(0).admin);
}

TEST(SandboxConfig, LoadsTheExample) {
  auto config = load_sandbox_config(HERALD_SOURCE_DIR "/tests/sandbox/sandbox.example.yaml");
  ASSERT_EQ(config.x.accounts.size(), 1u);
  EXPECT_EQ(config.x.accounts[0].username, "sandbox_herald");
  EXPECT_EQ(config.x.create_limit, 100);
  EXPECT_EQ(config.x.media_limit, 1000);
  EXPECT_EQ(config.x.media_processing_polls, 2);
  EXPECT_EQ(config.x.access_token_seconds, 7200);
  ASSERT_EQ(config.x.oauth2_clients.size(), 1u);
  EXPECT_FALSE(config.x.oauth2_clients[0].client_secret.empty());
  EXPECT_EQ(config.x.accounts[0].oauth2_client_id, config.x.oauth2_clients[0].client_id);
  EXPECT_EQ(config.x.accounts[0].refresh_tokens.size(), 1u);
}

// --- X OAuth 2.0: the token endpoint and Bearer tokens ----------------------

constexpr const char* kConfidentialId = "conf-client";
constexpr const char* kConfidentialSecret = "conf-secret";
constexpr const char* kPublicId = "public-client";
constexpr const char* kStartToken = "refresh-0";
constexpr const char* kPublicToken = "public-refresh-0";

class SandboxXOAuth2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    XSandboxConfig::Account account = test_account();
    account.oauth2_client_id = kConfidentialId;
    account.refresh_tokens = {kStartToken};
    XSandboxConfig::Account other{"ck-2", "cs-2", "2002-at", "ats-2", "2002", "other"};
    other.oauth2_client_id = kPublicId;
    other.refresh_tokens = {kPublicToken};
    config.x.accounts = {account, other};
    config.x.oauth2_clients = {{kConfidentialId, kConfidentialSecret}, {kPublicId}};
    config.now_ms = [this] { return now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", sandbox_->port());
    client_->set_read_timeout(std::chrono::seconds(1));
  }
  void TearDown() override { sandbox_->stop(); }

  static std::string basic(const char* id = kConfidentialId, const char* secret = kConfidentialSecret) {
    return basic_client_authorization(id, Secret(secret));
  }
  httplib::Result refresh(const std::string& form, const std::string& authorization = basic()) {
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    return client_->Post("/2/oauth2/token", headers, form, "application/x-www-form-urlencoded");
  }
  static std::string grant(const std::string& token, const std::string& client_id = kConfidentialId) {
    return "grant_type=refresh_token&refresh_token=" + percent_encode(token) + "&client_id=" + client_id;
  }
  httplib::Result tweet(const std::string& bearer, const std::string& text) {
    return client_->Post("/2/tweets", httplib::Headers{{"Authorization", "Bearer " + bearer}},
                         json::serialize(json::object{{"text", text}}), "application/json");
  }
  static void expect_oauth_error(const httplib::Result& res, int status, const std::string& error,
                                 const std::string& description) {
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, status) << res->body;
    EXPECT_EQ(json::parse(res->body),
              (json::value(json::object{{"error", error}, {"error_description", description}})));
  }

  std::atomic<std::int64_t> now_ms_{1'900'000'000'000};
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(SandboxXOAuth2Test, RefreshAnswersXsJsonAndAlwaysRotates) {
  auto res = refresh(grant(kStartToken));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Cache-Control"), "no-store");
  json::object body = json::parse(res->body).as_object();
  EXPECT_EQ(body.at("token_type").as_string(), "bearer");
  EXPECT_EQ(body.at("expires_in").as_int64(), 7200);
  EXPECT_EQ(body.at("scope").as_string(), "tweet.read tweet.write users.read offline.access media.write");
  const std::string access(body.at("access_token").as_string());
  const std::string rotated(body.at("refresh_token").as_string());
  EXPECT_NE(rotated, kStartToken);
  EXPECT_FALSE(access.empty());

  // The spent token is dead, in X's words; the new one works, once.
  expect_oauth_error(refresh(grant(kStartToken)), 400, "invalid_request", "Value passed for the token was invalid.");
  res = refresh(grant(rotated));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  expect_oauth_error(refresh(grant(rotated)), 400, "invalid_request", "Value passed for the token was invalid.");

  // The access token is a Bearer for the account it was granted by.
  res = tweet(access, "with a bearer");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].account, "1001");
  EXPECT_EQ(creates[0].fields.at("auth"), "oauth2");
}

TEST_F(SandboxXOAuth2Test, AConfidentialClientMustUseBasic) {
  const std::string unauthorized = "Missing valid authorization header";
  expect_oauth_error(refresh(grant(kStartToken), ""), 401, "unauthorized_client", unauthorized);
  expect_oauth_error(refresh(grant(kStartToken) + "&client_secret=" + kConfidentialSecret, ""), 401,
                     "unauthorized_client", unauthorized);
  expect_oauth_error(refresh(grant(kStartToken), basic(kConfidentialId, "wrong")), 401, "unauthorized_client",
                     unauthorized);
  expect_oauth_error(refresh(grant(kStartToken), "Bearer abc"), 401, "unauthorized_client", unauthorized);
  // None of those spent the token.
  auto res = refresh(grant(kStartToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST_F(SandboxXOAuth2Test, APublicClientNamesItselfInTheBody) {
  auto res = refresh(grant(kPublicToken, kPublicId), "");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const std::string access(json::parse(res->body).at("access_token").as_string());
  res = tweet(access, "from the public client");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;
  EXPECT_EQ(sandbox_->creates().at(0).account, "2002");
  expect_oauth_error(refresh("grant_type=refresh_token&refresh_token=x", ""), 400, "invalid_request",
                     "Missing required parameter [client_id].");
}

TEST_F(SandboxXOAuth2Test, RequestProblemsAreXsOAuthErrors) {
  expect_oauth_error(refresh("refresh_token=refresh-0&client_id=conf-client"), 400, "invalid_request",
                     "Missing required parameter [grant_type].");
  expect_oauth_error(refresh("grant_type=client_credentials"), 400, "unsupported_grant_type",
                     "Value passed for the grant type was not supported.");
  expect_oauth_error(refresh("grant_type=refresh_token&client_id=conf-client"), 400, "invalid_request",
                     "Missing required parameter [refresh_token].");
  expect_oauth_error(refresh(grant(kStartToken, "nobody"), basic("nobody", "x")), 401, "invalid_client",
                     "Client authentication failed.");
  // A token granted to another client.
  expect_oauth_error(refresh(grant(kPublicToken)), 400, "invalid_grant",
                     "The refresh token was issued to another client.");
  auto res = client_->Post("/2/oauth2/token", httplib::Headers{{"Authorization", basic()}}, grant(kStartToken),
                           "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
}

TEST_F(SandboxXOAuth2Test, BadOrExpiredBearersAre401OnEveryRoute) {
  const std::string unauthorized = R"({"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"})";
  auto res = tweet("not-a-token", "nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(json::parse(res->body), json::parse(unauthorized));
  // A refresh token is not an access token.
  res = tweet(kStartToken, "nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);

  res = refresh(grant(kStartToken));
  ASSERT_TRUE(res);
  const std::string access(json::parse(res->body).at("access_token").as_string());
  const httplib::Headers bearer{{"Authorization", "Bearer " + access}};
  res = client_->Get("/2/users/1001/tweets?max_results=100", bearer);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  res = client_->Post("/2/media/upload/initialize", bearer, R"({"media_type":"image/png","total_bytes":10})",
                      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;

  now_ms_ += 7200 * 1000;  // two hours on: the token has expired
  res = tweet(access, "too late");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(json::parse(res->body), json::parse(unauthorized));
  res = client_->Get("/2/users/1001/tweets", bearer);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = client_->Post("/2/media/upload/initialize", bearer, R"({"media_type":"image/png","total_bytes":10})",
                      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(SandboxXOAuth2Test, ResetRevivesTheConfiguredTokensAndForgetsIssuedOnes) {
  auto res = refresh(grant(kStartToken));
  ASSERT_TRUE(res);
  const std::string access(json::parse(res->body).at("access_token").as_string());
  auto reset = client_->Post("/_sandbox/reset", "", "application/json");
  ASSERT_TRUE(reset);
  res = tweet(access, "after reset");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = refresh(grant(kStartToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST_F(SandboxXOAuth2Test, TokenEndpointHonoursFaults) {
  auto armed = client_->Post("/_sandbox/faults", R"({"path":"/2/oauth2/token","mode":"rate_limit","reset_in":30})",
                             "application/json");
  ASSERT_TRUE(armed);
  ASSERT_EQ(armed->status, 201) << armed->body;
  auto res = refresh(grant(kStartToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(res->get_header_value("x-rate-limit-reset"), std::to_string(now_ms_.load() / 1000 + 30));
  // Rotation happens before a dropped answer: the client's token is spent.
  armed = client_->Post("/_sandbox/faults", R"({"path":"/2/oauth2/token","mode":"drop_after_create","delay_ms":0})",
                        "application/json");
  ASSERT_TRUE(armed);
  ASSERT_EQ(armed->status, 201) << armed->body;
  res = refresh(grant(kStartToken));
  EXPECT_TRUE(!res || res->status != 200);
  expect_oauth_error(refresh(grant(kStartToken)), 400, "invalid_request", "Value passed for the token was invalid.");
}

}  // namespace
}  // namespace herald
