// The Instagram part of herald-sandbox, spoken to directly with an HTTP
// client: containers, carousels, status, publishing once, the limit, media
// lists, errors and faults. Each test names the Instagram Platform document
// it follows (developers.facebook.com/docs/instagram-platform/...; the list
// is at the top of tests/sandbox/sandbox_instagram.cpp). The sandbox's clock
// is a seam the tests move; nothing sleeps.
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

namespace herald {
namespace {
namespace json = boost::json;

constexpr const char* kAccount = "17841400000000001";
constexpr const char* kToken = "FAKE-ig-token-a";
constexpr const char* kOtherAccount = "17841400000000002";
constexpr const char* kOtherToken = "FAKE-ig-token-b";

class InstagramSandboxTest : public ::testing::Test {
 protected:
  // `other_insights`: whether the second account's token may read insights.
  void start(InstagramSandboxConfig ig = {}, bool other_insights = true) {
    Sandbox::Config config;
    ig.accounts.push_back({kAccount, "a", kToken});
    ig.accounts.push_back({kOtherAccount, "b", kOtherToken, other_insights});
    config.instagram = std::move(ig);
    config.facebook.pages.push_back({"1234567890", "Page", "FAKE-page-token"});
    config.now_ms = [this] { return now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", sandbox_->port());
    client_->set_read_timeout(std::chrono::seconds(1));
  }
  void TearDown() override {
    if (sandbox_) sandbox_->stop();
  }
  static httplib::Headers bearer(const std::string& token = kToken) { return {{"Authorization", "Bearer " + token}}; }

  httplib::Result post(const std::string& path, const json::object& body, const std::string& token = kToken) {
    return client_->Post(("/v21.0/" + path).c_str(), bearer(token), json::serialize(body), "application/json");
  }
  httplib::Result get(const std::string& path, const std::string& token = kToken) {
    return client_->Get(("/v21.0/" + path).c_str(), bearer(token));
  }
  static json::object body_of(const httplib::Result& r) { return json::parse(r->body).as_object(); }
  static json::object error_of(const httplib::Result& r) { return body_of(r).at("error").as_object(); }
  std::string container(const json::object& body) {
    auto r = post(std::string(kAccount) + "/media", body);
    EXPECT_EQ(r->status, 200) << r->body;
    return std::string(body_of(r).at("id").as_string());
  }
  httplib::Result publish(const std::string& id) { return post(std::string(kAccount) + "/media_publish", {{"creation_id", id}}); }

  std::atomic<std::int64_t> now_ms_{1'796'126'400'000};
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<httplib::Client> client_;
};

// [publishing] "Carousel posts": 2 to 10 items made with is_carousel_item,
// the CAROUSEL container names them as children; [ig-media] CAROUSEL_ALBUM.
TEST_F(InstagramSandboxTest, ACarouselNeedsTwoToTenItemsOfTheAccount) {
  start();
  const std::string a = container({{"image_url", "https://m.example/a.jpg"}, {"is_carousel_item", true}});
  const std::string b = container({{"image_url", "https://m.example/b.JPEG?v=2"}, {"is_carousel_item", true}});
  auto one = post(std::string(kAccount) + "/media", {{"media_type", "CAROUSEL"}, {"children", a}});
  EXPECT_EQ(one->status, 400);
  EXPECT_EQ(error_of(one).at("code").as_int64(), 100);
  const std::string single = container({{"image_url", "https://m.example/s.jpg"}, {"caption", "single"}});
  auto not_item = post(std::string(kAccount) + "/media", {{"media_type", "CAROUSEL"}, {"children", a + "," + single}});
  EXPECT_EQ(not_item->status, 400) << not_item->body;
  // An item is no post of its own.
  EXPECT_EQ(publish(a)->status, 400);
  const std::string carousel =
      container({{"media_type", "CAROUSEL"}, {"children", b + "," + a}, {"caption", "two views"}});
  auto published = publish(carousel);
  ASSERT_EQ(published->status, 200) << published->body;
  const std::string media_id(body_of(published).at("id").as_string());
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].id, media_id);
  EXPECT_EQ(creates[0].fields.at("media_type"), "CAROUSEL");
  EXPECT_EQ(creates[0].fields.at("children"), "2");
  EXPECT_EQ(creates[0].media_ids, (std::vector<std::string>{"https://m.example/b.JPEG?v=2", "https://m.example/a.jpg"}));
  auto media = get(media_id + "?fields=id,caption,media_type,permalink,timestamp");
  ASSERT_EQ(media->status, 200);
  EXPECT_EQ(body_of(media).at("media_type").as_string(), "CAROUSEL_ALBUM");
  EXPECT_EQ(body_of(media).at("caption").as_string(), "two views");
  EXPECT_EQ(body_of(media).at("timestamp").as_string(), "2026-12-01T12:00:00+0000");
}

// [media] a video needs media_type=REELS; [publishing] JPEG only.
TEST_F(InstagramSandboxTest, VideosAreReelsAndImagesAreJpeg) {
  start();
  auto video = post(std::string(kAccount) + "/media", {{"video_url", "https://m.example/v.mp4"}, {"caption", "c"}});
  EXPECT_EQ(video->status, 400);
  auto png = post(std::string(kAccount) + "/media", {{"image_url", "https://m.example/a.png"}});
  EXPECT_EQ(png->status, 400);
  EXPECT_EQ(error_of(png).at("error_subcode").as_int64(), 2207005);
  auto ftp = post(std::string(kAccount) + "/media", {{"image_url", "ftp://m.example/a.jpg"}});
  EXPECT_EQ(ftp->status, 400);
  auto none = post(std::string(kAccount) + "/media", {{"caption", "nothing"}});
  EXPECT_EQ(none->status, 400);
}

// [container] EXPIRED 24 hours after it was made; [errors] -2 / 2207020
// when it is published then.
TEST_F(InstagramSandboxTest, AContainerExpiresAfterADay) {
  start();
  const std::string id = container({{"image_url", "https://m.example/a.jpg"}});
  EXPECT_EQ(body_of(get(id + "?fields=status_code")).at("status_code").as_string(), "FINISHED");
  now_ms_ += 24LL * 3600 * 1000;
  EXPECT_EQ(body_of(get(id + "?fields=status_code,status")).at("status_code").as_string(), "EXPIRED");
  auto late = publish(id);
  EXPECT_EQ(late->status, 400);
  EXPECT_EQ(error_of(late).at("error_subcode").as_int64(), 2207020);
  EXPECT_TRUE(sandbox_->creates().empty());
}

// [limit] quota_usage counts the window's posts; [errors] code 9 / 2207042
// past the limit; a post leaving the window frees its place.
TEST_F(InstagramSandboxTest, ThePublishingLimitRollsWithTheWindow) {
  InstagramSandboxConfig config;
  config.publishing_limit = 2;
  start(config);
  ASSERT_EQ(publish(container({{"image_url", "https://m.example/1.jpg"}}))->status, 200);
  now_ms_ += 3600'000;
  ASSERT_EQ(publish(container({{"image_url", "https://m.example/2.jpg"}}))->status, 200);
  const std::string third = container({{"image_url", "https://m.example/3.jpg"}});
  auto refused = publish(third);
  ASSERT_EQ(refused->status, 400);
  EXPECT_EQ(error_of(refused).at("code").as_int64(), 9);
  EXPECT_EQ(error_of(refused).at("error_subcode").as_int64(), 2207042);
  auto limit = get(std::string(kAccount) + "/content_publishing_limit?fields=quota_usage,config");
  const auto data = body_of(limit).at("data").as_array().at(0).as_object();
  EXPECT_EQ(data.at("quota_usage").as_int64(), 2);
  EXPECT_EQ(data.at("config").as_object().at("quota_total").as_int64(), 2);
  EXPECT_EQ(data.at("config").as_object().at("quota_duration").as_int64(), 86400);
  now_ms_ += 23LL * 3600'000 + 1000;  // the first leaves the window
  EXPECT_EQ(publish(third)->status, 200);
  EXPECT_EQ(sandbox_->creates().size(), 3u);
}

// [media] GET lists the account's media newest first, another account's not.
TEST_F(InstagramSandboxTest, MediaListsAreNewestFirstPerAccount) {
  start();
  ASSERT_EQ(publish(container({{"image_url", "https://m.example/1.jpg"}, {"caption", "first"}}))->status, 200);
  now_ms_ += 1000;
  ASSERT_EQ(publish(container({{"image_url", "https://m.example/2.jpg"}, {"caption", "second"}}))->status, 200);
  auto list = get(std::string(kAccount) + "/media?fields=id,caption,permalink,timestamp&limit=1");
  ASSERT_EQ(list->status, 200);
  auto data = body_of(list).at("data").as_array();
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0].as_object().at("caption").as_string(), "second");
  EXPECT_TRUE(body_of(list).at("paging").as_object().contains("next"));
  auto other = get(std::string(kOtherAccount) + "/media?fields=id", kOtherToken);
  EXPECT_TRUE(body_of(other).at("data").as_array().empty());
  // Another account's token may not publish here, nor read this account's container.
  auto forbidden = post(std::string(kAccount) + "/media", {{"image_url", "https://m.example/x.jpg"}}, kOtherToken);
  EXPECT_EQ(forbidden->status, 403);
  const std::string mine = container({{"image_url", "https://m.example/m.jpg"}});
  EXPECT_EQ(error_of(get(mine + "?fields=status_code", kOtherToken)).at("code").as_int64(), 100);
}

// The core's faults on Instagram's routes: drop_after_create on media_publish
// publishes and cuts the answer; rate_limit is Graph's code 4; server_error
// is a 500 with is_transient. Facebook's routes still answer beside these.
TEST_F(InstagramSandboxTest, FaultsActOnInstagramsRoutes) {
  start();
  const std::string id = container({{"image_url", "https://m.example/a.jpg"}, {"caption", "dropped"}});
  sandbox_->add_fault({"POST /:version/:ig-user-id/media_publish", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  EXPECT_FALSE(publish(id));
  ASSERT_EQ(sandbox_->creates().size(), 1u);
  EXPECT_EQ(body_of(get(id + "?fields=status_code")).at("status_code").as_string(), "PUBLISHED");
  sandbox_->add_fault({"/:version/:ig-user-id/media", Sandbox::FaultMode::rate_limit, 1, 60, 0});
  auto limited = post(std::string(kAccount) + "/media", {{"image_url", "https://m.example/b.jpg"}});
  EXPECT_EQ(error_of(limited).at("code").as_int64(), 4);
  EXPECT_TRUE(limited->has_header("X-Business-Use-Case-Usage"));
  sandbox_->add_fault({"GET /:version/:ig-id", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto failed = get(id + "?fields=status_code");
  EXPECT_EQ(failed->status, 500);
  EXPECT_TRUE(error_of(failed).at("is_transient").as_bool());
  auto facebook = client_->Get("/v21.0/1234567890_1?fields=is_published", bearer("FAKE-page-token"));
  EXPECT_EQ(facebook->status, 400);
  EXPECT_EQ(error_of(facebook).at("error_subcode").as_int64(), 33);  // Facebook's "does not exist", not Instagram's route
}

TEST(InstagramSandboxConfigTest, ExampleConfigLoadsItsAccount) {
  auto config = load_sandbox_config(HERALD_SOURCE_DIR "/tests/sandbox/sandbox.example.yaml");
  ASSERT_EQ(config.instagram.accounts.size(), 1u);
  EXPECT_EQ(config.instagram.accounts[0].account_id, "17841400000000001");
  EXPECT_TRUE(config.instagram.accounts[0].access_token.starts_with("FAKE-"));
  EXPECT_EQ(config.instagram.publishing_limit, 50);
  EXPECT_EQ(config.instagram.video_processing_polls, 2);
}

TEST(InstagramSandboxConfigTest, BadValuesAndUnknownKeysAreErrorsWithAPlace) {
  const std::string file = ::testing::TempDir() + "herald-ig-sandbox-" + std::to_string(::getpid()) + ".yaml";
  auto load = [&](const std::string& text) -> std::string {
    std::ofstream(file) << text;
    try {
      load_sandbox_config(file);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "loaded";
  };
  EXPECT_EQ(load("instagram:\n  accounts:\n    - {account_id: 'x1', access_token: t}\n"),
            file + ":3:20: error: account_id must be digits, as IG user ids are");
  EXPECT_EQ(load("instagram:\n  publishing_limt: 3\n"), file + ":2:3: error: unknown key 'publishing_limt'");
  EXPECT_EQ(load("instagram:\n  publishing_limit: 0\n"),
            file + ":2:21: error: publishing_limit must be a whole number >= 1");
  EXPECT_EQ(load("instagram:\n  video_processing_polls: 3\n"), "loaded");
  std::remove(file.c_str());
}

// [ig-media] like_count and comments_count; Instagram Media Insights
// (.../reference/instagram-media/insights): reach, saved and views,
// lifetime, here growing with the media's age; a token without
// instagram_manage_insights is refused (code 10); an unknown metric is
// (#100); a media its owner deleted is Graph's 100/33 to both.
TEST_F(InstagramSandboxTest, AMediasCountsAndInsightsGrowWithItsAge) {
  start({}, false);
  auto published = publish(container({{"image_url", "https://m.example/a.jpg"}, {"caption", "counted"}}));
  ASSERT_EQ(published->status, 200) << published->body;
  const std::string media(body_of(published).at("id").as_string());
  now_ms_ += 600'000;
  const Engagement e = engagement_after(600'000);
  auto fields = get(media + "?fields=like_count,comments_count");
  ASSERT_EQ(fields->status, 200) << fields->body;
  EXPECT_EQ(body_of(fields).at("like_count").as_int64(), e.likes);
  EXPECT_EQ(body_of(fields).at("comments_count").as_int64(), e.replies);
  EXPECT_FALSE(body_of(fields).contains("caption"));  // not asked for

  auto insights = get(media + "/insights?metric=reach,saved,views");
  ASSERT_EQ(insights->status, 200) << insights->body;
  const auto data = body_of(insights).at("data").as_array();
  ASSERT_EQ(data.size(), 3u);
  EXPECT_EQ(data[0].at("name").as_string(), "reach");
  EXPECT_EQ(data[0].at("period").as_string(), "lifetime");
  EXPECT_EQ(data[0].at("values").at(0).at("value").as_int64(), e.views / 2);
  EXPECT_EQ(data[0].at("id").as_string(), media + "/insights/reach/lifetime");
  EXPECT_EQ(data[1].at("values").at(0).at("value").as_int64(), e.saves);
  EXPECT_EQ(data[2].at("values").at(0).at("value").as_int64(), e.views);
  EXPECT_EQ(get(media + "/insights?metric=impressions")->status, 400);

  // The other account's media, read with its token that lacks the permission.
  auto theirs = client_->Post((std::string("/v21.0/") + kOtherAccount + "/media").c_str(), bearer(kOtherToken),
                              json::serialize(json::object{{"image_url", "https://m.example/b.jpg"}}), "application/json");
  ASSERT_EQ(theirs->status, 200) << theirs->body;
  auto their_media = client_->Post((std::string("/v21.0/") + kOtherAccount + "/media_publish").c_str(),
                                   bearer(kOtherToken),
                                   json::serialize(json::object{{"creation_id", body_of(theirs).at("id")}}),
                                   "application/json");
  ASSERT_EQ(their_media->status, 200) << their_media->body;
  auto refused = get(std::string(body_of(their_media).at("id").as_string()) + "/insights?metric=reach", kOtherToken);
  ASSERT_EQ(refused->status, 403) << refused->body;
  EXPECT_EQ(error_of(refused).at("code").as_int64(), 10);

  ASSERT_TRUE(sandbox_->delete_post("instagram", media));
  for (const std::string& path : {media + "?fields=like_count", media + "/insights?metric=reach"}) {
    auto gone = get(path);
    ASSERT_EQ(gone->status, 400) << path;
    EXPECT_EQ(error_of(gone).at("code").as_int64(), 100);
    EXPECT_EQ(error_of(gone).at("error_subcode").as_int64(), 33);
  }
}

}  // namespace
}  // namespace herald
