// The facebook connector against the in-process sandbox, over real HTTP on
// loopback. (It lives here, not in tests/connectors/, because it links
// herald_sandbox.)
#include "connectors/facebook/facebook_connector.hpp"

#include "connectors/http_client.hpp"
#include "tests/sandbox/sandbox.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace herald {
namespace {
using namespace std::chrono_literals;

constexpr const char* kPageId = "1234567890";
constexpr const char* kToken = "FAKE-page-token-for-tests";

Instant now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

PublishRequest request_for(std::string text, std::string link = {}) {
  PublishRequest request;
  request.key = "post@facebook";
  request.post = "post";
  request.channel = "facebook";
  request.composed.kind = ChannelKind::facebook;
  request.composed.text = std::move(text);
  request.composed.link = std::move(link);
  return request;
}

// Passes requests to the real client and keeps a copy of each, so tests can
// look at what went over the wire.
class RecordingClient : public HttpClient {
 public:
  explicit RecordingClient(HttpClient& inner) : inner_(inner) {}
  HttpResponse send(const HttpRequest& request) override {
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    return inner_.send(request);
  }
  std::vector<HttpRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  HttpClient& inner_;
  std::mutex mutex_;
  std::vector<HttpRequest> requests_;
};

class FacebookConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.facebook.pages.push_back({kPageId, "Test Page", kToken});
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "facebook";
    channel_.kind = ChannelKind::facebook;
    channel_.page_id = kPageId;
    channel_.api_base = "http://127.0.0.1:" + std::to_string(sandbox_->port()) + "/";
    dir_ = std::filesystem::temp_directory_path() /
           ("herald-fb-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    sandbox_->stop();
    std::filesystem::remove_all(dir_);
  }

  FacebookConnector connector(std::string token = kToken) {
    return FacebookConnector(channel_, FacebookCredentials{Secret(std::move(token))}, recorder_, now);
  }

  std::filesystem::path write_file(const std::string& name, const std::string& bytes) {
    std::filesystem::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  std::string permalink_of(const std::string& post_id) {
    return "https://www.facebook.com/" + std::string(kPageId) + "/posts/" + post_id.substr(post_id.find('_') + 1);
  }

  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 1s, .write_timeout = 1s}};
  RecordingClient recorder_{http_};
  std::filesystem::path dir_;
};

// A small PNG: the signature, then an IHDR chunk and bytes that include NUL,
// CR and LF, so a body that mangled binary data would show.
std::string png_bytes() {
  std::string bytes("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0", 33);
  for (int i = 0; i < 300; ++i) bytes += static_cast<char>(i * 7);
  return bytes;
}

TEST_F(FacebookConnectorTest, PublishesMessageAndLinkWithThePermalink) {
  auto facebook = connector();
  PublishResult result = facebook.publish(request_for("Spring is here", "https://example.nl/spring?utm_source=fb"));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << result.index();
  const auto& published = std::get<Published>(result);
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].platform, "facebook");
  EXPECT_EQ(creates[0].account, kPageId);
  EXPECT_EQ(creates[0].text, "Spring is here");
  EXPECT_EQ(creates[0].fields.at("link"), "https://example.nl/spring?utm_source=fb");
  EXPECT_EQ(published.remote_id, creates[0].id);
  EXPECT_TRUE(published.remote_id.starts_with(std::string(kPageId) + "_")) << published.remote_id;
  // The permalink Graph gave, not the fallback built from the id.
  EXPECT_EQ(published.url, permalink_of(published.remote_id));
}

TEST_F(FacebookConnectorTest, TheTokenGoesInABearerHeaderAndNeverInAUrl) {
  auto facebook = connector();
  ASSERT_TRUE(std::holds_alternative<Published>(facebook.publish(request_for("hello"))));
  ASSERT_TRUE(std::holds_alternative<Absent>(facebook.lookup(request_for("not this one"))));
  auto requests = recorder_.requests();
  ASSERT_EQ(requests.size(), 3u);  // create, permalink, lookup
  for (const HttpRequest& r : requests) {
    EXPECT_EQ(r.url.find(kToken), std::string::npos) << r.url;
    EXPECT_TRUE(r.url.find("/v21.0/") != std::string::npos) << r.url;
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].first, "Authorization");
    EXPECT_EQ(r.headers[0].second, std::string("Bearer ") + kToken);
  }
}

TEST_F(FacebookConnectorTest, PublishesOnePhotoAndTheSandboxGetsItsBytes) {
  const std::string bytes = png_bytes();
  auto facebook = connector();
  PublishRequest request = request_for("Our new shop front");
  request.composed.media.push_back(write_file("front.png", bytes));
  PublishResult result = facebook.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << result.index();
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].text, "Our new shop front");
  EXPECT_EQ(creates[0].fields.at("photo"),
            "image/png " + std::to_string(bytes.size()) + " bytes fnv1a64 " + fnv1a64_hex(bytes));
  EXPECT_EQ(creates[0].fields.at("photo_filename"), "front.png");
  EXPECT_TRUE(creates[0].headers.at("Content-Type").starts_with("multipart/form-data; boundary="));
  // The post's id, not the photo's.
  EXPECT_EQ(std::get<Published>(result).remote_id, creates[0].id);
  EXPECT_NE(creates[0].fields.at("photo_id"), creates[0].id);
  EXPECT_EQ(std::get<Published>(result).url, permalink_of(creates[0].id));
}

TEST_F(FacebookConnectorTest, MoreThanOneImageOrANonImageIsFailedBeforeSending) {
  auto facebook = connector();
  PublishRequest two = request_for("two pictures");
  two.composed.media = {write_file("a.png", png_bytes()), write_file("b.png", png_bytes())};
  PublishResult result = facebook.publish(two);
  ASSERT_TRUE(std::holds_alternative<Failed>(result));
  EXPECT_EQ(std::get<Failed>(result).message, "Facebook: one image per post, not 2");

  PublishRequest text_file = request_for("not a picture");
  text_file.composed.media = {write_file("notes.png", "just text")};
  result = facebook.publish(text_file);
  ASSERT_TRUE(std::holds_alternative<Failed>(result));
  EXPECT_NE(std::get<Failed>(result).message.find("notes.png is not a JPEG, PNG or GIF image"), std::string::npos)
      << std::get<Failed>(result).message;
  EXPECT_TRUE(recorder_.requests().empty());
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(FacebookConnectorTest, BadTokenIsAuthFailedAndTheMessageHasNoToken) {
  const std::string wrong = "FAKE-wrong-token-3f9a1c";
  auto facebook = connector(wrong);
  PublishResult result = facebook.publish(request_for("Hello"));
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << result.index();
  const std::string& message = std::get<AuthFailed>(result).message;
  EXPECT_NE(message.find("Invalid OAuth access token"), std::string::npos) << message;
  EXPECT_NE(message.find("code 190"), std::string::npos) << message;
  EXPECT_EQ(message.find(wrong), std::string::npos) << message;
  EXPECT_EQ(message.find(kToken), std::string::npos) << message;
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(FacebookConnectorTest, DuplicateIsFailedWithGraphsWords) {
  auto facebook = connector();
  ASSERT_TRUE(std::holds_alternative<Published>(facebook.publish(request_for("same words"))));
  PublishResult result = facebook.publish(request_for("same words"));
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << result.index();
  const std::string& message = std::get<Failed>(result).message;
  EXPECT_NE(message.find("Duplicate status message"), std::string::npos) << message;
  EXPECT_NE(message.find("code 506"), std::string::npos) << message;
  EXPECT_EQ(sandbox_->creates().size(), 1u);
}

TEST_F(FacebookConnectorTest, RateLimitIsRetryLaterWithTheUsageHeadersTime) {
  // 150 s until the reset: Graph says minutes, rounded up, so 3 minutes.
  sandbox_->add_fault({"/:version/:page-id/feed", Sandbox::FaultMode::rate_limit, 1, 150, 0});
  auto facebook = connector();
  PublishResult result = facebook.publish(request_for("limited"));
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << result.index();
  const auto& retry = std::get<RetryLater>(result);
  ASSERT_TRUE(retry.after);
  EXPECT_EQ(*retry.after, 3min);
  EXPECT_NE(retry.message.find("(#32) Page request limit reached"), std::string::npos) << retry.message;
  EXPECT_TRUE(sandbox_->creates().empty());
}

// A 5xx may come after Graph stored the post: Unsure, so the dispatcher
// looks it up (here: absent, so it retries later) instead of resending.
TEST_F(FacebookConnectorTest, ServerErrorOnTheCreateIsUnsureAndLookupDecides) {
  sandbox_->add_fault({"/:version/:page-id/feed", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto facebook = connector();
  PublishRequest request = request_for("a");
  PublishResult result = facebook.publish(request);
  ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << result.index();
  EXPECT_NE(std::get<Unsure>(result).message.find("HTTP 500"), std::string::npos);
  EXPECT_TRUE(sandbox_->creates().empty());
  EXPECT_TRUE(std::holds_alternative<Absent>(facebook.lookup(request)));
}

TEST_F(FacebookConnectorTest, TimeoutOnACreateIsUnsure) {
  // The sandbox holds the request past the client's 1 s read timeout.
  sandbox_->add_fault({"/:version/:page-id/feed", Sandbox::FaultMode::delay, 1, 60, 2500});
  auto facebook = connector();
  PublishResult result = facebook.publish(request_for("slow"));
  ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << result.index();
  EXPECT_EQ(std::get<Unsure>(result).message.find(kToken), std::string::npos);
}

TEST_F(FacebookConnectorTest, PhotoTimeoutIsUnsureToo) {
  sandbox_->add_fault({"/:version/:page-id/photos", Sandbox::FaultMode::drop_after_create, 1, 60, 1500});
  auto facebook = connector();
  PublishRequest request = request_for("photo, answer lost");
  request.composed.media.push_back(write_file("p.png", png_bytes()));
  ASSERT_TRUE(std::holds_alternative<Unsure>(facebook.publish(request)));
  EXPECT_EQ(sandbox_->creates().size(), 1u);
}

TEST_F(FacebookConnectorTest, DropAfterCreateThenANewConnectorFindsThePost) {
  sandbox_->add_fault({"/:version/:page-id/feed", Sandbox::FaultMode::drop_after_create, 1, 60, 1500});
  PublishRequest request = request_for("dropped answer", "https://example.nl/a");
  {
    auto before_crash = connector();
    PublishResult result = before_crash.publish(request);
    ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << result.index();
  }
  // After a restart: a fresh connector, and only a lookup.
  auto after_restart = connector();
  LookupResult found = after_restart.lookup(request);
  ASSERT_TRUE(std::holds_alternative<Found>(found)) << found.index();
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(std::get<Found>(found).remote_id, creates[0].id);
  EXPECT_EQ(std::get<Found>(found).url, permalink_of(creates[0].id));
  // The lookup itself sent nothing that creates.
  auto requests = recorder_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].url.find("/posts?fields=id,message,permalink_url&limit=100"),
            requests[1].url.size() - std::string("/posts?fields=id,message,permalink_url&limit=100").size());
}

TEST_F(FacebookConnectorTest, LookupOfANeverSentMessageIsAbsent) {
  auto facebook = connector();
  ASSERT_TRUE(std::holds_alternative<Published>(facebook.publish(request_for("something else"))));
  ASSERT_TRUE(std::holds_alternative<Published>(facebook.publish(request_for("never sent, almost"))));
  EXPECT_TRUE(std::holds_alternative<Absent>(facebook.lookup(request_for("never sent"))));
}

TEST_F(FacebookConnectorTest, LookupErrorsAreUnknown) {
  sandbox_->add_fault({"/:version/:page-id/posts", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto facebook = connector();
  EXPECT_TRUE(std::holds_alternative<Unknown>(facebook.lookup(request_for("anything"))));
  auto bad = connector("FAKE-wrong-token");
  LookupResult result = bad.lookup(request_for("anything"));
  ASSERT_TRUE(std::holds_alternative<Unknown>(result));
  EXPECT_NE(std::get<Unknown>(result).message.find("code 190"), std::string::npos);
}

TEST_F(FacebookConnectorTest, PermalinkReadFailureFallsBackToTheIdUrl) {
  sandbox_->add_fault({"/:version/:post-id", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto facebook = connector();
  PublishResult result = facebook.publish(request_for("url by id"));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << result.index();
  const auto& published = std::get<Published>(result);
  EXPECT_EQ(published.url, "https://www.facebook.com/" + published.remote_id);
}

TEST_F(FacebookConnectorTest, TheConfiguredVersionIsInEveryPath) {
  channel_.api_version = "v22.0";
  auto facebook = connector();
  ASSERT_TRUE(std::holds_alternative<Published>(facebook.publish(request_for("on v22"))));
  for (const HttpRequest& r : recorder_.requests()) EXPECT_NE(r.url.find("/v22.0/"), std::string::npos) << r.url;

  // A version Graph does not know is a permanent failure, not a retry.
  channel_.api_version = "v1.0";
  auto old = connector();
  PublishResult result = old.publish(request_for("on v1"));
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << result.index();
  EXPECT_NE(std::get<Failed>(result).message.find("Unknown path components"), std::string::npos);
  EXPECT_EQ(sandbox_->creates().size(), 1u);
}

TEST(FacebookCredentialsTest, ReadsThePageToken) {
  const auto dir = std::filesystem::temp_directory_path() / ("herald-fb-cred-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "facebook") << "page_token: FAKE-token-from-file\n";
  std::filesystem::permissions(dir / "facebook",
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const Credentials file = load_credentials(dir, "facebook", credential_keys(ChannelKind::facebook));
  EXPECT_EQ(facebook_credentials(file).page_token.reveal(), "FAKE-token-from-file");
  std::filesystem::remove_all(dir);
}

TEST(MultipartBodyTest, PartsAreFramedByTheBoundary) {
  const std::string body = multipart_body(
      {{"message", "hi", {}, {}}, {"source", std::string("\0\r\n", 3), "a\"b.png", "image/png"}}, "BOUND");
  EXPECT_EQ(body, std::string("--BOUND\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\nhi\r\n"
                              "--BOUND\r\nContent-Disposition: form-data; name=\"source\"; filename=\"a_b.png\"\r\n"
                              "Content-Type: image/png\r\n\r\n") +
                      std::string("\0\r\n", 3) + "\r\n--BOUND--\r\n");
}

}  // namespace
}  // namespace herald
