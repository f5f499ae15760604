// The instagram connector against the in-process herald-sandbox, over real
// HTTP on loopback. The sandbox and the connector share one manual clock, so
// processing, expiry and the 24-hour limit are driven by moving it, never by
// sleeping. Each test names the Instagram Platform document it follows
// (developers.facebook.com/docs/instagram-platform/...):
//   [publishing] instagram-api-with-facebook-login/content-publishing
//   [media]      instagram-graph-api/reference/ig-user/media
//   [container]  instagram-graph-api/reference/ig-container
//   [publish]    instagram-graph-api/reference/ig-user/media_publish
//   [limit]      instagram-graph-api/reference/ig-user/content_publishing_limit
//   [ig-media]   instagram-graph-api/reference/ig-media
//   [errors]     instagram-graph-api/reference/error-codes
#include "connectors/instagram/instagram_connector.hpp"

#include "connectors/http_client.hpp"
#include "connectors/json_fields.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/support/recording_client.hpp"
#include "tests/support/sandbox_records.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace herald {
namespace {
using namespace std::chrono_literals;

constexpr const char* kAccount = "17841400000000001";
constexpr const char* kToken = "FAKE-instagram-token-for-tests";
constexpr const char* kMediaBase = "https://media.example.nl/herald/";
// 2026-12-01T12:00:00Z: the shared clock starts here.
constexpr std::int64_t kStartMs = 1'796'126'400'000;

class InstagramConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    channel_.name = "instagram";
    channel_.kind = ChannelKind::instagram;
    channel_.account_id = kAccount;
  }
  void TearDown() override { if (sandbox_) sandbox_->stop(); }

  // Starts the sandbox with `config` (the account is added here).
  void start(InstagramSandboxConfig config = {}) {
    Sandbox::Config all;
    config.accounts.push_back({kAccount, "herald_test", kToken});
    all.instagram = std::move(config);
    all.now_ms = [this] { return clock_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(all));
    sandbox_->start("127.0.0.1", 0);
    channel_.api_base = testing::sandbox_api_base(*sandbox_);
  }
  void advance(std::chrono::milliseconds by) { clock_ms_ += by.count(); }
  Instant now() const { return Instant{std::chrono::duration_cast<std::chrono::seconds>(std::chrono::milliseconds(clock_ms_.load()))}; }

  InstagramConnector connector(std::string token = kToken, HttpClient* http = nullptr) {
    return InstagramConnector(channel_, InstagramCredentials{Secret(std::move(token)), std::nullopt},
                              http ? *http : recorder_, state_, [this] { return now(); });
  }

  std::filesystem::path write_jpeg(const std::string& name) {
    std::string bytes("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00", 11);
    bytes += std::string(200, 'j');
    return write_file(name, bytes);
  }
  std::filesystem::path write_mp4(const std::string& name) {
    std::string bytes("\x00\x00\x00\x18" "ftypmp42", 12);
    bytes += std::string(200, 'v');
    return write_file(name, bytes);
  }
  std::filesystem::path write_file(const std::string& name, const std::string& bytes) {
    return dir_.write(name, bytes);
  }

  // A delivery of `files` (written here) with their public URLs under kMediaBase.
  PublishRequest request_for(std::string caption, const std::vector<std::string>& files,
                             std::string key = "post@instagram") {
    PublishRequest request;
    request.key = std::move(key);
    request.post = "post";
    request.channel = "instagram";
    request.composed.kind = ChannelKind::instagram;
    request.composed.text = std::move(caption);
    for (const std::string& name : files) {
      request.composed.media.push_back(name.ends_with(".mp4") ? write_mp4(name) : write_jpeg(name));
      request.composed.media_urls.push_back(kMediaBase + name);
    }
    return request;
  }

  std::vector<Sandbox::Create> posts() const {
    return testing::creates_on(*sandbox_, "instagram");
  }

  std::atomic<std::int64_t> clock_ms_{kStartMs};
  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 1s, .write_timeout = 1s}};
  RecordingClient recorder_{http_};
  MemoryConnectorState state_;
  testing::TempDir dir_;
};

// [publishing] "Single image": a container with image_url and caption, its
// status_code checked, then media_publish; [ig-media] the permalink read back.
TEST_F(InstagramConnectorTest, PublishesOneImageWithItsPermalink) {
  start();
  auto instagram = connector();
  PublishResult result = instagram.publish(request_for("Spring is here #herald", {"spring.jpg"}));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto out = posts();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].account, kAccount);
  EXPECT_EQ(out[0].text, "Spring is here #herald");
  EXPECT_EQ(out[0].fields.at("media_type"), "IMAGE");
  EXPECT_EQ(out[0].media_ids, std::vector<std::string>{std::string(kMediaBase) + "spring.jpg"});
  EXPECT_EQ(std::get<Published>(result).remote_id, out[0].id);
  EXPECT_EQ(std::get<Published>(result).url, out[0].fields.at("permalink"));
  EXPECT_TRUE(std::get<Published>(result).url.starts_with("https://www.instagram.com/p/"));
  // Kept once published: herald may be killed before it commits the answer,
  // and the repeat after the restart must find the container PUBLISHED.
  EXPECT_TRUE(state_.get(instagram_state_key(kAccount, "post@instagram")));
  // The limit, the container, its status, the publish, the permalink; the
  // token in a Bearer header only, the version in every path.
  auto requests = recorder_.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_NE(requests[0].url.find("/content_publishing_limit?"), std::string::npos) << requests[0].url;
  EXPECT_TRUE(requests[1].url.ends_with(std::string("/v21.0/") + kAccount + "/media")) << requests[1].url;
  EXPECT_NE(requests[2].url.find("fields=status_code,status"), std::string::npos) << requests[2].url;
  EXPECT_TRUE(requests[3].url.ends_with("/media_publish")) << requests[3].url;
  for (const HttpRequest& r : requests) {
    EXPECT_EQ(r.url.find(kToken), std::string::npos) << r.url;
    EXPECT_EQ(r.body.find(kToken), std::string::npos);
    EXPECT_NE(r.url.find("/v21.0/"), std::string::npos) << r.url;
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].second, std::string("Bearer ") + kToken);
  }
}

// A repeat of a delivery that went out (herald killed after the answer,
// before committing it): the remembered container is PUBLISHED, so the
// repeat finds its media instead of making a second post.
TEST_F(InstagramConnectorTest, ARepeatAfterThePostWentOutIsTheSamePost) {
  start();
  auto instagram = connector();
  PublishResult first = instagram.publish(request_for("Once only", {"spring.jpg"}));
  ASSERT_TRUE(std::holds_alternative<Published>(first)) << message_of(first);
  PublishResult repeat = instagram.publish(request_for("Once only", {"spring.jpg"}));
  ASSERT_TRUE(std::holds_alternative<Published>(repeat)) << message_of(repeat);
  EXPECT_EQ(std::get<Published>(repeat).remote_id, std::get<Published>(first).remote_id);
  EXPECT_EQ(posts().size(), 1u);
}

// [publishing] "Reels": video_url with media_type=REELS; [container] the
// status_code is IN_PROGRESS until the video is processed: Processing, with
// publish called again as the dispatcher would, the same container each time.
TEST_F(InstagramConnectorTest, AReelIsProcessingThenPublishedFromTheSameContainer) {
  InstagramSandboxConfig config;
  config.video_processing_polls = 4;  // two publishes and two lookups each read the status once
  start(config);
  auto instagram = connector();
  const PublishRequest request = request_for("Behind the scenes", {"reel.mp4"});
  for (int i = 0; i < 2; ++i) {
    PublishResult result = instagram.publish(request);
    ASSERT_TRUE(std::holds_alternative<Processing>(result)) << message_of(result);
    EXPECT_EQ(std::get<Processing>(result).after, 5s);
    EXPECT_NE(std::get<Processing>(result).message.find("Instagram is processing"), std::string::npos);
    EXPECT_TRUE(posts().empty());
    EXPECT_TRUE(std::holds_alternative<Absent>(instagram.lookup(request)));
  }
  PublishResult result = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto out = posts();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].fields.at("media_type"), "REELS");
  EXPECT_EQ(out[0].media_ids, std::vector<std::string>{std::string(kMediaBase) + "reel.mp4"});
  EXPECT_EQ(recorder_.count_path_ending("POST", "/media"), 1);  // one container for the three calls
  EXPECT_EQ(recorder_.count_path_ending("GET", "/content_publishing_limit"), 1);
  auto requests = recorder_.requests();
  const auto create = std::find_if(requests.begin(), requests.end(), [](const HttpRequest& r) {
    return r.method == "POST" && r.url.ends_with("/media");
  });
  ASSERT_NE(create, requests.end());
  EXPECT_NE(create->body.find("\"media_type\":\"REELS\""), std::string::npos) << create->body;
  EXPECT_NE(create->body.find("\"video_url\""), std::string::npos) << create->body;
}

// [container] processing measured in time: the wait grows with the
// container's age (5 s, then as long as it has waited, at most 60 s).
TEST_F(InstagramConnectorTest, TheProcessingWaitGrowsWithTheContainersAge) {
  InstagramSandboxConfig config;
  config.video_processing_polls = 0;
  config.video_processing_ms = 90'000;
  start(config);
  auto instagram = connector();
  const PublishRequest request = request_for("Slow video", {"slow.mp4"});
  PublishResult result = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Processing>(result)) << message_of(result);
  EXPECT_EQ(std::get<Processing>(result).after, 5s);
  advance(30s);
  result = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Processing>(result)) << message_of(result);
  EXPECT_EQ(std::get<Processing>(result).after, 30s);
  advance(45s);
  result = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Processing>(result)) << message_of(result);
  EXPECT_EQ(std::get<Processing>(result).after, 60s);
  advance(15s);
  result = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_EQ(posts().size(), 1u);
}

// [container] the five status codes, and the bound on IN_PROGRESS.
TEST(InstagramContainerStepTest, EachStatusCodeHasItsStep) {
  constexpr auto bound = InstagramConnector::kProcessingBound;
  EXPECT_EQ(instagram_container_step("FINISHED", 10s, bound), ContainerStep::publish);
  EXPECT_EQ(instagram_container_step("PUBLISHED", 10s, bound), ContainerStep::find_media);
  EXPECT_EQ(instagram_container_step("IN_PROGRESS", 30min, bound), ContainerStep::wait);
  EXPECT_EQ(instagram_container_step("IN_PROGRESS", 30min + 1s, bound), ContainerStep::give_up);
  EXPECT_EQ(instagram_container_step("ERROR", 10s, bound), ContainerStep::fail);
  EXPECT_EQ(instagram_container_step("EXPIRED", 25h, bound), ContainerStep::make_new);
  EXPECT_EQ(instagram_container_step("SOMETHING_NEW", 10s, bound), ContainerStep::ask_later);
  // A container published or finished long ago is still that.
  EXPECT_EQ(instagram_container_step("FINISHED", 2h, bound), ContainerStep::publish);
}

TEST(InstagramProcessingWaitTest, FiveSecondsGrowingToSixty) {
  EXPECT_EQ(instagram_processing_wait(0s), 5s);
  EXPECT_EQ(instagram_processing_wait(5s), 5s);
  EXPECT_EQ(instagram_processing_wait(20s), 20s);
  EXPECT_EQ(instagram_processing_wait(59s), 59s);
  EXPECT_EQ(instagram_processing_wait(10min), 60s);
}

// [publishing] "Carousel posts": each item a container with
// is_carousel_item=true, then media_type=CAROUSEL with the children in order.
TEST_F(InstagramConnectorTest, ACarouselOfThreeKeepsItsOrder) {
  InstagramSandboxConfig config;
  config.video_processing_polls = 0;
  start(config);
  auto instagram = connector();
  PublishResult result = instagram.publish(request_for("Three views", {"a.jpg", "b.mp4", "c.jpg"}));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto out = posts();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].fields.at("media_type"), "CAROUSEL");
  EXPECT_EQ(out[0].fields.at("children"), "3");
  EXPECT_EQ(out[0].fields.at("child_types"), "IMAGE,VIDEO,IMAGE");
  EXPECT_EQ(out[0].media_ids, (std::vector<std::string>{std::string(kMediaBase) + "a.jpg",
                                                        std::string(kMediaBase) + "b.mp4",
                                                        std::string(kMediaBase) + "c.jpg"}));
  EXPECT_EQ(out[0].text, "Three views");
  // Three items, then the carousel naming them in the order they were made.
  std::vector<std::string> bodies;
  for (const auto& r : recorder_.requests())
    if (r.method == "POST" && r.url.ends_with("/media")) bodies.push_back(r.body);
  ASSERT_EQ(bodies.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(bodies[i].find("\"is_carousel_item\":true"), std::string::npos) << bodies[i];
    EXPECT_EQ(bodies[i].find("caption"), std::string::npos) << bodies[i];
  }
  EXPECT_NE(bodies[3].find("\"media_type\":\"CAROUSEL\""), std::string::npos) << bodies[3];
}

// [container] status_code ERROR: "The container failed to complete the
// publishing process"; `status` says why. Failed with it, and forgotten.
TEST_F(InstagramConnectorTest, AContainerInErrorIsFailedWithItsStatus) {
  InstagramSandboxConfig config;
  config.video_processing_polls = 1;
  config.failing_urls = {"broken"};
  start(config);
  auto instagram = connector();
  const PublishRequest request = request_for("Will not work", {"broken.mp4"});
  ASSERT_TRUE(std::holds_alternative<Processing>(instagram.publish(request)));
  PublishResult result = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("2207026"), std::string::npos) << message_of(result);
  EXPECT_TRUE(posts().empty());
  EXPECT_FALSE(state_.get(instagram_state_key(kAccount, "post@instagram")));
}

// [container] EXPIRED: "not published within 24 hours". A new container is
// made and published; the old one never is.
TEST_F(InstagramConnectorTest, AnExpiredContainerIsReplacedByANewOne) {
  InstagramSandboxConfig config;
  config.video_processing_polls = 0;
  config.video_processing_ms = 10 * 60'000;
  start(config);
  auto instagram = connector();
  const PublishRequest request = request_for("Late video", {"late.mp4"});
  ASSERT_TRUE(std::holds_alternative<Processing>(instagram.publish(request)));
  advance(25h);  // say the daemon was stopped
  PublishResult result = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Processing>(result)) << message_of(result);  // the new one is processing
  EXPECT_EQ(recorder_.count_path_ending("POST", "/media"), 2);
  advance(10min);
  result = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto out = posts();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(recorder_.count_path_ending("POST", "/media"), 2);
}

// A container IN_PROGRESS for longer than the bound: Failed, and forgotten,
// so a retry makes a new one.
TEST_F(InstagramConnectorTest, AContainerProcessingTooLongIsFailed) {
  InstagramSandboxConfig config;
  config.video_processing_polls = 0;
  config.video_processing_ms = 3 * 3600'000;
  start(config);
  auto instagram = connector();
  const PublishRequest request = request_for("Endless", {"endless.mp4"});
  ASSERT_TRUE(std::holds_alternative<Processing>(instagram.publish(request)));
  advance(31min);
  PublishResult result = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("still being processed 31 minutes"), std::string::npos) << message_of(result);
  EXPECT_FALSE(state_.get(instagram_state_key(kAccount, "post@instagram")));
}

// [limit] quota_usage against config.quota_total (50 in 86400 s); [publishing]
// "Limitations": 50 API-published posts in a moving 24-hour period. At the
// limit nothing is made, and the wait runs until the oldest post leaves the window.
TEST_F(InstagramConnectorTest, AtThePublishingLimitNothingIsMadeAndTheWaitEndsWithTheWindow) {
  start();
  auto instagram = connector();
  for (int i = 0; i < 50; ++i) {
    PublishResult result =
        instagram.publish(request_for("Post " + std::to_string(i), {"p.jpg"}, "p" + std::to_string(i) + "@instagram"));
    ASSERT_TRUE(std::holds_alternative<Published>(result)) << i << ": " << message_of(result);
    advance(1min);
  }
  ASSERT_EQ(posts().size(), 50u);
  const int containers = recorder_.count_path_ending("POST", "/media");
  const PublishRequest request = request_for("One too many", {"late.jpg"}, "late@instagram");
  PublishResult result = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << message_of(result);
  EXPECT_EQ(std::get<RetryLater>(result).message, "Instagram's publishing limit (50 per 24 h) is reached");
  // The first post went out 50 minutes ago: it leaves the window in 23 h 10 min.
  ASSERT_TRUE(std::get<RetryLater>(result).after);
  EXPECT_EQ(*std::get<RetryLater>(result).after, 24h - 50min);
  EXPECT_EQ(recorder_.count_path_ending("POST", "/media"), containers);
  EXPECT_EQ(posts().size(), 50u);
  // Once the oldest has left the window, the post goes out.
  advance(24h - 50min + 1s);
  result = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_EQ(posts().size(), 51u);
}

// [errors] and the Graph API's error handling: code 190 OAuthException is a
// token to renew; the token is in no message.
TEST_F(InstagramConnectorTest, ABadTokenIsAuthFailed) {
  start();
  auto instagram = connector("FAKE-not-the-right-token");
  PublishResult result = instagram.publish(request_for("hello", {"x.jpg"}));
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("code 190"), std::string::npos) << message_of(result);
  EXPECT_TRUE(message_of(result).starts_with("Instagram: ")) << message_of(result);
  EXPECT_EQ(message_of(result).find("FAKE-not-the-right-token"), std::string::npos);
  EXPECT_TRUE(posts().empty());
}

// Graph's rate limiting (code 4 with X-Business-Use-Case-Usage): RetryLater
// with the header's wait; nothing published.
TEST_F(InstagramConnectorTest, ARateLimitIsRetryLaterWithGraphsWait) {
  start();
  sandbox_->add_fault({"POST /:version/:ig-user-id/media", Sandbox::FaultMode::rate_limit, 1, 120, 0});
  auto instagram = connector();
  PublishResult result = instagram.publish(request_for("hello", {"x.jpg"}));
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << message_of(result);
  ASSERT_TRUE(std::get<RetryLater>(result).after);
  EXPECT_EQ(*std::get<RetryLater>(result).after, 120s);
  EXPECT_TRUE(posts().empty());
  // The same on the limit read and on media_publish.
  sandbox_->add_fault({"GET /:version/:ig-user-id/content_publishing_limit", Sandbox::FaultMode::rate_limit, 1, 60, 0});
  EXPECT_TRUE(std::holds_alternative<RetryLater>(instagram.publish(request_for("hello", {"x.jpg"}))));
  sandbox_->add_fault({"POST /:version/:ig-user-id/media_publish", Sandbox::FaultMode::rate_limit, 1, 60, 0});
  result = instagram.publish(request_for("hello", {"x.jpg"}));
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << message_of(result);
  EXPECT_TRUE(posts().empty());
  // The container is kept; the next attempt publishes it.
  result = instagram.publish(request_for("hello", {"x.jpg"}));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_EQ(posts().size(), 1u);
}

// [publish] the answer to media_publish is lost after Instagram published:
// Unsure. The container is the idempotency key: a repeat (here by a new
// connector on the same state, as after a restart) finds it PUBLISHED and
// its media among the recent media; one post, and lookup finds it.
TEST_F(InstagramConnectorTest, ALostPublishAnswerThenARepeatIsOnePost) {
  start();
  sandbox_->add_fault({"POST /:version/:ig-user-id/media_publish", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  const PublishRequest request = request_for("Only once", {"once.jpg"});
  {
    auto instagram = connector();
    PublishResult result = instagram.publish(request);
    ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << message_of(result);
    EXPECT_TRUE(instagram.settle_policy().repeat_is_safe);
    EXPECT_EQ(instagram.settle_policy().margin, 120s);
  }
  ASSERT_EQ(posts().size(), 1u);
  auto instagram = connector();
  LookupResult found = instagram.lookup(request);
  ASSERT_TRUE(std::holds_alternative<Found>(found)) << found.index();
  EXPECT_EQ(std::get<Found>(found).remote_id, posts()[0].id);
  PublishResult again = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(again)) << message_of(again);
  EXPECT_EQ(std::get<Published>(again).remote_id, posts()[0].id);
  EXPECT_EQ(std::get<Published>(again).url, posts()[0].fields.at("permalink"));
  EXPECT_EQ(posts().size(), 1u);
  EXPECT_EQ(recorder_.count_path_ending("POST", "/media_publish"), 1);
  EXPECT_EQ(recorder_.count_path_ending("POST", "/media"), 1);
}

// A 5xx to media_publish before Instagram acted: Unsure; the repeat finds the
// container FINISHED (not published) and publishes it.
TEST_F(InstagramConnectorTest, AServerErrorOnPublishIsUnsureThenTheRepeatPublishes) {
  start();
  sandbox_->add_fault({"POST /:version/:ig-user-id/media_publish", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto instagram = connector();
  const PublishRequest request = request_for("Second time lucky", {"s.jpg"});
  PublishResult result = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << message_of(result);
  EXPECT_TRUE(posts().empty());
  EXPECT_TRUE(std::holds_alternative<Absent>(instagram.lookup(request)));
  result = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_EQ(posts().size(), 1u);
  EXPECT_EQ(recorder_.count_path_ending("POST", "/media"), 1);
}

// [publish] held past the client's read timeout (1 s against 300 ms):
// Unsure; the repeat publishes the container, and the slow request, when it
// is let through, finds it published already: one post.
TEST_F(InstagramConnectorTest, AHangPastTheTimeoutThenARepeatIsOnePost) {
  start();
  HttplibClient quick{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 300ms, .write_timeout = 1s}};
  RecordingClient recorder{quick};
  sandbox_->add_fault({"POST /:version/:ig-user-id/media_publish", Sandbox::FaultMode::delay, 1, 60, 1000});
  auto instagram = connector(kToken, &recorder);
  const PublishRequest request = request_for("Patience", {"p.jpg"});
  PublishResult first = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Unsure>(first)) << message_of(first);
  EXPECT_EQ(message_of(first).find(kToken), std::string::npos);
  PublishResult again = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(again)) << message_of(again);
  // The held request is answered once the sandbox lets it go (after its
  // second); wait for that by the sandbox's count, not by the clock.
  for (int i = 0; i < 500 && sandbox_->held() > 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(sandbox_->held(), 0);
  // Released, its handler goes on to media_publish (microseconds): give a
  // second post, if the sandbox or the connector let one happen, time to show.
  for (int i = 0; i < 20 && posts().size() < 2; ++i) std::this_thread::sleep_for(10ms);
  auto out = posts();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, std::get<Published>(again).remote_id);
  LookupResult found = instagram.lookup(request);
  ASSERT_TRUE(std::holds_alternative<Found>(found)) << found.index();
}

// [publishing] "Limitations": captions are limited to 2,200 characters and
// 30 hashtags. The sandbox refuses the container; the connector reports
// Graph's words as Failed.
TEST_F(InstagramConnectorTest, ACaptionOverTheLimitsIsRefused) {
  start();
  auto instagram = connector();
  std::string long_caption;
  for (int i = 0; i < 2201; ++i) long_caption += "\xC3\xA9";  // é: 2,201 characters, 4,402 bytes
  PublishResult result = instagram.publish(request_for(long_caption, {"x.jpg"}));
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("longer than 2200 characters"), std::string::npos) << message_of(result);

  std::string tags;
  for (int i = 0; i < 31; ++i) tags += "#tag" + std::to_string(i) + " ";
  result = instagram.publish(request_for(tags, {"x.jpg"}, "tags@instagram"));
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("more than 30 hashtags"), std::string::npos) << message_of(result);
  EXPECT_TRUE(posts().empty());

  // At the limits exactly it goes out.
  long_caption.resize(long_caption.size() - 2);
  std::string thirty;
  for (int i = 0; i < 30; ++i) thirty += "#tag" + std::to_string(i) + " ";
  EXPECT_TRUE(std::holds_alternative<Published>(instagram.publish(request_for(long_caption, {"x.jpg"}, "a@instagram"))));
  EXPECT_TRUE(std::holds_alternative<Published>(instagram.publish(request_for(thirty, {"y.jpg"}, "b@instagram"))));
  EXPECT_EQ(posts().size(), 2u);
}

// [publishing] JPEG is the only image format; the sandbox judges the URL.
// And a post without public URLs never leaves herald.
TEST_F(InstagramConnectorTest, ANonJpegUrlOrNoPublicUrlIsFailed) {
  start();
  auto instagram = connector();
  PublishRequest request = request_for("A PNG in disguise", {"x.jpg"});
  request.composed.media_urls = {std::string(kMediaBase) + "x.png"};
  PublishResult result = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("subcode 2207005"), std::string::npos) << message_of(result);

  request.composed.media_urls.clear();
  result = instagram.publish(request);
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("media_url"), std::string::npos) << message_of(result);
  EXPECT_TRUE(posts().empty());
}

// [publish] the sandbox itself: a container is published once ([errors]
// 9007 "Media ID is not available" the second time), not while IN_PROGRESS.
TEST_F(InstagramConnectorTest, TheSandboxPublishesAContainerOnceAndOnlyWhenFinished) {
  InstagramSandboxConfig config;
  config.video_processing_polls = 1;
  start(config);
  auto send = [&](const std::string& method, const std::string& path, const std::string& body) {
    HttpRequest r{method, channel_.api_base + "v21.0/" + path, {{"Authorization", std::string("Bearer ") + kToken}},
                  body, body.empty() ? "" : "application/json"};
    return http_.send(r);
  };
  HttpResponse made = send("POST", std::string(kAccount) + "/media",
                           R"({"video_url":"https://media.example.nl/v.mp4","media_type":"REELS","caption":"c"})");
  ASSERT_EQ(made.status, 200) << made.body;
  const std::string id = std::string(boost::json::parse(made.body).at("id").as_string());
  HttpResponse early = send("POST", std::string(kAccount) + "/media_publish", R"({"creation_id":")" + id + R"("})");
  EXPECT_EQ(early.status, 400);
  EXPECT_NE(early.body.find("9007"), std::string::npos) << early.body;
  HttpResponse status = send("GET", id + "?fields=status_code", "");
  EXPECT_NE(status.body.find("IN_PROGRESS"), std::string::npos) << status.body;
  status = send("GET", id + "?fields=status_code", "");
  EXPECT_NE(status.body.find("FINISHED"), std::string::npos) << status.body;
  HttpResponse published = send("POST", std::string(kAccount) + "/media_publish", R"({"creation_id":")" + id + R"("})");
  ASSERT_EQ(published.status, 200) << published.body;
  HttpResponse twice = send("POST", std::string(kAccount) + "/media_publish", R"({"creation_id":")" + id + R"("})");
  EXPECT_EQ(twice.status, 400);
  EXPECT_NE(twice.body.find("9007"), std::string::npos) << twice.body;
  status = send("GET", id + "?fields=status_code", "");
  EXPECT_NE(status.body.find("PUBLISHED"), std::string::npos) << status.body;
  EXPECT_EQ(posts().size(), 1u);
  // The token as an access_token parameter works too; another is 190.
  HttpRequest query{"GET", channel_.api_base + "v21.0/" + kAccount + "/content_publishing_limit?fields=quota_usage,config&access_token=" + kToken, {}, {}, {}};
  HttpResponse limit = http_.send(query);
  EXPECT_EQ(limit.status, 200) << limit.body;
  EXPECT_NE(limit.body.find(R"("quota_usage":1)"), std::string::npos) << limit.body;
  EXPECT_NE(limit.body.find(R"("quota_total":50)"), std::string::npos) << limit.body;
  query.url = channel_.api_base + "v21.0/" + kAccount + "/content_publishing_limit?access_token=FAKE-other";
  limit = http_.send(query);
  EXPECT_EQ(limit.status, 400);
  EXPECT_NE(limit.body.find("190"), std::string::npos) << limit.body;
}

// A caption edited while the first container is still processing: that
// container is dropped (never published; it expires) and a new one made with
// the new words. [container] a container is published only by media_publish.
TEST_F(InstagramConnectorTest, AnEditBeforePublishingMakesANewContainer) {
  InstagramSandboxConfig config;
  config.video_processing_polls = 1;
  start(config);
  auto instagram = connector();
  ASSERT_TRUE(std::holds_alternative<Processing>(instagram.publish(request_for("first words", {"v.mp4"}))));
  PublishResult result = instagram.publish(request_for("second words", {"v.mp4"}));
  ASSERT_TRUE(std::holds_alternative<Processing>(result)) << message_of(result);
  result = instagram.publish(request_for("second words", {"v.mp4"}));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto out = posts();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].text, "second words");
  EXPECT_EQ(recorder_.count_path_ending("POST", "/media"), 2);
}

// The limit: once Instagram published the container (only the answer was
// lost), an edit made meanwhile is not a second post.
TEST_F(InstagramConnectorTest, AnEditAfterThePostWentOutIsNotASecondPost) {
  start();
  sandbox_->add_fault({"POST /:version/:ig-user-id/media_publish", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  auto instagram = connector();
  ASSERT_TRUE(std::holds_alternative<Unsure>(instagram.publish(request_for("went out", {"w.jpg"}))));
  PublishResult again = instagram.publish(request_for("edited too late", {"w.jpg"}));
  ASSERT_TRUE(std::holds_alternative<Published>(again)) << message_of(again);
  auto out = posts();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].text, "went out");
  EXPECT_EQ(std::get<Published>(again).remote_id, out[0].id);
}

// A lookup without a remembered container: the recent media by exact caption.
TEST_F(InstagramConnectorTest, LookupWithoutStateFindsTheCaptionOrNothing) {
  start();
  auto instagram = connector();
  ASSERT_TRUE(std::holds_alternative<Published>(instagram.publish(request_for("Find me", {"f.jpg"}))));
  auto fresh = InstagramConnector(channel_, InstagramCredentials{Secret(kToken), std::nullopt}, recorder_,
                                  [this] { return now(); });  // no durable state
  EXPECT_FALSE(fresh.settle_policy().repeat_is_safe);
  LookupResult found = fresh.lookup(request_for("Find me", {"f.jpg"}));
  ASSERT_TRUE(std::holds_alternative<Found>(found)) << found.index();
  EXPECT_EQ(std::get<Found>(found).remote_id, posts()[0].id);
  EXPECT_TRUE(std::holds_alternative<Absent>(fresh.lookup(request_for("Not me", {"f.jpg"}))));
}

TEST(InstagramCredentialsTest, GraphTimestampsHaveAnOffsetWithoutColon) {
  EXPECT_EQ(parse_graph_timestamp("2027-01-30T12:00:00+0000"), Instant{std::chrono::seconds{1801310400}});
}

TEST(InstagramCredentialsTest, TheTokensExpiryIsTheCredentialsExpiry) {
  HttplibClient http{"test"};
  ChannelSettings channel;
  channel.account_id = kAccount;
  InstagramConnector with(channel, InstagramCredentials{Secret("t"), Instant{std::chrono::seconds{1801310400}}}, http,
                          [] { return Instant{}; });
  ASSERT_TRUE(with.credentials_expire_at());
  EXPECT_EQ(with.credentials_expire_at()->time_since_epoch(), std::chrono::seconds{1801310400});
  InstagramConnector without(channel, InstagramCredentials{Secret("t"), std::nullopt}, http, [] { return Instant{}; });
  EXPECT_FALSE(without.credentials_expire_at());
}

}  // namespace
}  // namespace herald
