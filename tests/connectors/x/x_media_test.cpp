// X media through the v2 chunked upload: the pure readers of x_media.hpp, and
// the x connector uploading to the in-process sandbox over real HTTP.
#include "connectors/x/x_media.hpp"
#include "tests/support/wall_clock.hpp"

#include "connectors/http_client.hpp"
#include "connectors/x/x_connector.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace herald {
namespace {
using namespace std::chrono_literals;
namespace json = boost::json;
namespace fs = std::filesystem;

// --- pure readers ----------------------------------------------------------

TEST(XMediaAnswer, ReadsTheDocumentedFailedStatus) {
  auto answer = parse_x_media_answer(
      R"({"data":{"id":"710511363345354753","media_key":"7_710511363345354753","expires_after_secs":3595,
          "processing_info":{"state":"failed","progress_percent":12,
          "error":{"code":1,"name":"InvalidMedia","message":"Unsupported video format"}}}})");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->id, "710511363345354753");
  EXPECT_EQ(answer->media_key, "7_710511363345354753");
  EXPECT_EQ(answer->expires_after_secs, 3595);
  ASSERT_TRUE(answer->processing);
  EXPECT_EQ(answer->processing->state, "failed");
  EXPECT_EQ(answer->processing->error, "Unsupported video format (InvalidMedia, code 1)");
}

TEST(XMediaAnswer, ReadsCheckAfterAndRejectsAnAnswerWithoutId) {
  auto answer = parse_x_media_answer(
      R"({"data":{"id":"1","processing_info":{"state":"in_progress","check_after_secs":10,"progress_percent":8}}})");
  ASSERT_TRUE(answer && answer->processing);
  EXPECT_EQ(answer->processing->check_after, 10s);
  EXPECT_FALSE(answer->processing->error.size());
  EXPECT_FALSE(parse_x_media_answer(R"({"data":{"media_key":"3_1"}})"));
  EXPECT_FALSE(parse_x_media_answer("not json"));
  EXPECT_FALSE(parse_x_media_answer(R"({"errors":[{"message":"x"}]})"));
}

TEST(XMediaMultipart, FieldsThenFileWithCrlfBoundaries) {
  MultipartBody form = multipart_form({{"segment_index", "2"}}, "media", std::string("a\0b", 3), "BND");
  EXPECT_EQ(form.content_type, "multipart/form-data; boundary=BND");
  EXPECT_EQ(form.body, "--BND\r\nContent-Disposition: form-data; name=\"segment_index\"\r\n\r\n2\r\n"
                       "--BND\r\nContent-Disposition: form-data; name=\"media\"; filename=\"blob\"\r\n"
                       "Content-Type: application/octet-stream\r\n\r\n" +
                           std::string("a\0b", 3) + "\r\n--BND--\r\n");
}

TEST(XTextMatches, MediaPostsEndWithTheMediaLink) {
  EXPECT_TRUE(x_text_matches("hello", "hello", false));
  EXPECT_FALSE(x_text_matches("hello https://t.co/abc", "hello", false));
  EXPECT_TRUE(x_text_matches("hello https://t.co/abc", "hello", true));
  EXPECT_FALSE(x_text_matches("hello world https://t.co/abc", "hello", true));
  EXPECT_TRUE(x_text_matches("https://t.co/abc", "", true));
  EXPECT_FALSE(x_text_matches("other", "", true));
}

// --- the connector against the sandbox ------------------------------------

XSandboxConfig::Account test_account() {
  return {"ck-test", "cs-test", "1001-at-test", "ats-test", "1001", "herald_test"};
}

XCredentials credentials_for(const XSandboxConfig::Account& account) {
  return {{account.consumer_key, Secret(account.consumer_secret), account.access_token,
           Secret(account.access_token_secret)},
          account.user_id};
}

Instant now() { return herald::testing::wall_now(); }

std::uint64_t fnv1a(const std::string& bytes) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string hex(std::uint64_t value) {
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(value));
  return out;
}

// `size` bytes starting with `head`, then a pattern that differs per byte
// position, so a segment out of order or lost changes the digest.
std::string content(std::string head, std::size_t size) {
  std::string out = std::move(head);
  for (std::size_t i = out.size(); i < size; ++i) out += static_cast<char>('a' + (i * 7) % 26);
  return out;
}

const std::string kPng("\x89PNG\r\n\x1a\n", 8);
const std::string kMp4("\0\0\0\x18" "ftypmp42", 12);

class XMediaTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }
  void TearDown() override { sandbox_->stop(); }

  void start(XSandboxConfig x) {
    if (sandbox_) sandbox_->stop();
    Sandbox::Config config;
    x.accounts = {test_account()};
    config.x = std::move(x);
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "x";
    channel_.account = "herald_test";
    channel_.api_base = "http://127.0.0.1:" + std::to_string(sandbox_->port());
  }

  fs::path write(const std::string& name, const std::string& bytes) {
    return dir_.write(name, bytes);
  }

  XConnector connector(XCredentials credentials = credentials_for(test_account()),
                       std::chrono::seconds max_wait = 300s) {
    XMediaOptions options;
    options.segment_bytes = 1000;  // a file of a few KB goes in several segments
    options.max_processing_wait = max_wait;
    return XConnector(
        channel_, std::move(credentials), http_, [this] { return "nonce" + std::to_string(++nonce_); }, now,
        [this](std::chrono::seconds wait) { sleeps_.push_back(wait); }, options);
  }

  PublishRequest request_for(std::string text, std::vector<fs::path> media, std::vector<std::string> thread = {}) {
    PublishRequest request;
    request.key = "post@x";
    request.post = "post";
    request.channel = "x";
    request.composed.text = std::move(text);
    request.composed.thread = std::move(thread);
    request.composed.media = std::move(media);
    return request;
  }

  // The sandbox's upload sessions (GET /_sandbox/x/media), oldest id first.
  json::array media_sessions() {
    httplib::Client client("127.0.0.1", sandbox_->port());
    auto res = client.Get("/_sandbox/x/media");
    EXPECT_TRUE(res);
    if (!res) return {};
    EXPECT_EQ(res->status, 200) << res->body;
    return json::parse(res->body).at("media").as_array();
  }

  testing::TempDir dir_;
  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 1s, .write_timeout = 1s}};
  int nonce_ = 0;
  std::vector<std::chrono::seconds> sleeps_;
};

TEST_F(XMediaTest, ImagePostCarriesTheIssuedMediaIdAndEveryByteArrivedInOrder) {
  const std::string bytes = content(kPng, 2500);
  auto x = connector();
  PublishResult result = x.publish(request_for("with a picture", {write("picture.png", bytes)}));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << result.index();

  json::array sessions = media_sessions();
  ASSERT_EQ(sessions.size(), 1u);
  const json::object& media = sessions[0].as_object();
  EXPECT_EQ(media.at("media_type").as_string(), "image/png");
  EXPECT_EQ(media.at("media_category").as_string(), "tweet_image");
  EXPECT_EQ(media.at("total_bytes").as_int64(), 2500);
  EXPECT_EQ(media.at("received_bytes").as_int64(), 2500);
  EXPECT_EQ(media.at("segments").as_int64(), 3);
  EXPECT_EQ(media.at("state").as_string(), "succeeded");
  EXPECT_EQ(media.at("fnv1a64").as_string(), hex(fnv1a(bytes)));

  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].text, "with a picture");
  EXPECT_EQ(creates[0].media_ids, std::vector<std::string>{std::string(media.at("id").as_string())});
  EXPECT_EQ(std::get<Published>(result).remote_id, creates[0].id);
  EXPECT_TRUE(sleeps_.empty());  // an image needs no processing
}

TEST_F(XMediaTest, TwoImagesGoInOnePostInTheirOrder) {
  auto x = connector();
  PublishResult result =
      x.publish(request_for("two", {write("a.png", content(kPng, 1200)), write("b.png", content(kPng, 300))}));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << result.index();
  json::array sessions = media_sessions();
  ASSERT_EQ(sessions.size(), 2u);
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  // Ids grow with time, so the sessions (ordered by id) are in upload order.
  EXPECT_EQ(creates[0].media_ids, (std::vector<std::string>{std::string(sessions[0].at("id").as_string()),
                                                            std::string(sessions[1].at("id").as_string())}));
  EXPECT_EQ(sessions[0].at("total_bytes").as_int64(), 1200);
}

TEST_F(XMediaTest, VideoWaitsForProcessingThroughTheSleeperNotTheWallClock) {
  const std::string bytes = content(kMp4, 3500);
  auto x = connector();
  const auto started = std::chrono::steady_clock::now();
  PublishResult result = x.publish(request_for("a clip", {write("clip.mp4", bytes)}));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << result.index();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 900ms);

  // FINALIZE said pending, check after 1s; STATUS said in_progress, check
  // after 1s; then succeeded.
  EXPECT_EQ(sleeps_, (std::vector<std::chrono::seconds>{1s, 1s}));
  json::array sessions = media_sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].at("media_type").as_string(), "video/mp4");
  EXPECT_EQ(sessions[0].at("media_category").as_string(), "tweet_video");
  EXPECT_EQ(sessions[0].at("status_polls").as_int64(), 2);
  EXPECT_EQ(sessions[0].at("segments").as_int64(), 4);
  EXPECT_EQ(sessions[0].at("fnv1a64").as_string(), hex(fnv1a(bytes)));
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].media_ids, std::vector<std::string>{std::string(sessions[0].at("id").as_string())});
}

TEST_F(XMediaTest, FailedProcessingIsFailedWithXsWords) {
  auto x = connector();
  // Named .mp4 but not an ISO media file: X takes it, then fails to process it.
  PublishResult result = x.publish(request_for("broken clip", {write("broken.mp4", content("not a video", 1500))}));
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << result.index();
  const std::string& message = std::get<Failed>(result).message;
  EXPECT_NE(message.find("Unsupported video format"), std::string::npos) << message;
  EXPECT_NE(message.find("InvalidMedia"), std::string::npos) << message;
  EXPECT_NE(message.find("broken.mp4"), std::string::npos) << message;
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(XMediaTest, ProcessingPastTheBoundIsRetryLater) {
  XSandboxConfig slow;
  slow.media_processing_polls = 50;
  start(slow);
  auto x = connector(credentials_for(test_account()), 5s);
  PublishResult result = x.publish(request_for("slow clip", {write("slow.mp4", content(kMp4, 500))}));
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << result.index();
  EXPECT_NE(std::get<RetryLater>(result).message.find("still processing"), std::string::npos);
  EXPECT_EQ(sleeps_.size(), 5u);  // 1s each, up to the 5s bound
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(XMediaTest, ServerErrorOnAppendIsRetryLaterAndNothingIsPosted) {
  sandbox_->add_fault({"/2/media/upload/:id/append", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto x = connector();
  PublishResult result = x.publish(request_for("later", {write("p.png", content(kPng, 2500))}));
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << result.index();
  const std::string& message = std::get<RetryLater>(result).message;
  EXPECT_NE(message.find("APPEND segment 1 of 3"), std::string::npos) << message;
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(XMediaTest, LostAnswerDuringUploadIsRetryLaterNeverUnsure) {
  sandbox_->add_fault({"/2/media/upload/:id/finalize", Sandbox::FaultMode::drop_after_create, 1, 60, 1500});
  auto x = connector();
  PublishResult result = x.publish(request_for("lost", {write("p.png", content(kPng, 800))}));
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << result.index();
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(XMediaTest, RateLimitOnInitializeIsRetryLaterWithTheResetTime) {
  sandbox_->add_fault({"/2/media/upload/initialize", Sandbox::FaultMode::rate_limit, 1, 120, 0});
  auto x = connector();
  PublishResult result = x.publish(request_for("limited", {write("p.png", content(kPng, 800))}));
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << result.index();
  ASSERT_TRUE(std::get<RetryLater>(result).after);
  EXPECT_GE(*std::get<RetryLater>(result).after, 117s);
  EXPECT_LE(*std::get<RetryLater>(result).after, 121s);
}

TEST_F(XMediaTest, AuthFailureOnInitializeIsAuthFailedWithoutSecrets) {
  XSandboxConfig::Account wrong = test_account();
  wrong.access_token_secret = "not-the-secret";
  auto x = connector(credentials_for(wrong));
  PublishResult result = x.publish(request_for("hello", {write("p.png", content(kPng, 800))}));
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << result.index();
  const std::string& message = std::get<AuthFailed>(result).message;
  EXPECT_NE(message.find("INITIALIZE"), std::string::npos) << message;
  EXPECT_EQ(message.find("not-the-secret"), std::string::npos) << message;
  EXPECT_EQ(message.find("cs-test"), std::string::npos) << message;
  EXPECT_TRUE(media_sessions().empty());
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(XMediaTest, ThreadCarriesMediaOnTheFirstPostOnly) {
  auto x = connector();
  PublishResult result = x.publish(request_for("one", {write("p.png", content(kPng, 1500))}, {"two", "three"}));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << result.index();
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 3u);
  EXPECT_EQ(creates[0].media_ids.size(), 1u);
  EXPECT_TRUE(creates[1].media_ids.empty());
  EXPECT_TRUE(creates[2].media_ids.empty());
  EXPECT_EQ(creates[1].in_reply_to, creates[0].id);
  EXPECT_EQ(creates[2].in_reply_to, creates[1].id);
}

TEST_F(XMediaTest, RetryOfTheSameDeliveryReusesTheUpload) {
  sandbox_->add_fault({"/2/tweets", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto x = connector();
  PublishRequest request = request_for("again", {write("p.png", content(kPng, 1500))});
  ASSERT_TRUE(std::holds_alternative<Unsure>(x.publish(request)));  // a 5xx on the create
  ASSERT_TRUE(std::holds_alternative<Published>(x.publish(request)));
  json::array sessions = media_sessions();
  ASSERT_EQ(sessions.size(), 1u);  // uploaded once
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].media_ids, std::vector<std::string>{std::string(sessions[0].at("id").as_string())});
  // A later delivery with the same file uploads anew.
  PublishRequest other = request_for("other", request.composed.media);
  other.key = "other@x";
  ASSERT_TRUE(std::holds_alternative<Published>(x.publish(other)));
  EXPECT_EQ(media_sessions().size(), 2u);
}

TEST_F(XMediaTest, LookupFindsAMediaPostByItsTextBeforeTheMediaLink) {
  sandbox_->add_fault({"/2/tweets", Sandbox::FaultMode::drop_after_create, 1, 60, 1500});
  auto x = connector();
  PublishRequest request = request_for("dropped with media", {write("p.png", content(kPng, 800))});
  ASSERT_TRUE(std::holds_alternative<Unsure>(x.publish(request)));
  LookupResult found = x.lookup(request);
  ASSERT_TRUE(std::holds_alternative<Found>(found)) << found.index();
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(std::get<Found>(found).remote_id, creates[0].id);
}

TEST_F(XMediaTest, MissingFileIsFailedNamingIt) {
  auto x = connector();
  PublishResult result = x.publish(request_for("gone", {dir_.path() / "gone.png"}));
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << result.index();
  EXPECT_NE(std::get<Failed>(result).message.find("gone.png"), std::string::npos);
  EXPECT_TRUE(media_sessions().empty());
}

}  // namespace
}  // namespace herald
