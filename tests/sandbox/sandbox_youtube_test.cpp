// herald-sandbox's YouTube module spoken to directly: the token endpoint, the
// Data API's auth and validation, and the resumable upload protocol.
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"

#include "connectors/http_client.hpp"
#include "connectors/oauth2.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>

#include <unistd.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace herald {
namespace {
using namespace std::chrono_literals;
namespace json = boost::json;

constexpr const char* kClientId = "sbx-client.apps.googleusercontent.com";
constexpr const char* kClientSecret = "GOCSPX-sbx-secret";
constexpr const char* kRefresh = "1//sbx-refresh";

json::object parse(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  EXPECT_FALSE(ec) << body;
  return v.is_object() ? v.as_object() : json::object{};
}

std::string header(const HttpResponse& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

std::string reason_of(const HttpResponse& r) {
  auto body = parse(r.body);
  const auto& errors = body["error"].as_object()["errors"].as_array();
  return std::string(errors[0].as_object().at("reason").as_string());
}

class SandboxYoutubeTest : public ::testing::Test {
 protected:
  void SetUp() override { start(false); }
  void TearDown() override { sandbox_->stop(); }
  void start(bool rotate) {
    if (sandbox_) sandbox_->stop();
    Sandbox::Config config;
    config.youtube.rotate_refresh_tokens = rotate;
    config.youtube.clients.push_back({kClientId, kClientSecret});
    YoutubeSandboxConfig::Channel channel;
    channel.id = "UCsbx";
    channel.title = "Sandbox";
    channel.client_id = kClientId;
    channel.refresh_tokens = {kRefresh};
    YoutubeSandboxConfig::Video video;
    video.id = "vidSandbox1";
    video.title = "Title";
    video.description = "draft";
    video.tags = {"a", "b"};
    channel.videos.push_back(video);
    config.youtube.channels.push_back(channel);
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    base_ = "http://127.0.0.1:" + std::to_string(sandbox_->port());
  }

  HttpResponse refresh(const std::string& token, const std::string& secret = kClientSecret, bool basic = false) {
    HttpRequest r{"POST", base_ + "/token", {}, {}, "application/x-www-form-urlencoded"};
    if (basic) {
      r.headers.emplace_back("Authorization", basic_client_authorization(kClientId, Secret(secret)));
      r.body = refresh_request_body(kClientId, Secret(token));
    } else {
      r.body = refresh_request_body(kClientId, Secret(token), Secret(secret));
    }
    return http_.send(r);
  }
  std::string access_token() {
    auto r = refresh(kRefresh);
    EXPECT_EQ(r.status, 200) << r.body;
    return std::string(parse(r.body)["access_token"].as_string());
  }
  HttpResponse api(std::string method, const std::string& path, std::string body = {},
                   std::vector<std::pair<std::string, std::string>> headers = {},
                   std::string type = "application/json") {
    headers.emplace_back("Authorization", "Bearer " + token_);
    if (body.empty()) type.clear();
    return http_.send(HttpRequest{std::move(method), path.starts_with("http") ? path : base_ + path, std::move(headers),
                                  std::move(body), std::move(type)});
  }

  std::unique_ptr<Sandbox> sandbox_;
  std::string base_;
  std::string token_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 1s, .write_timeout = 1s}};
};

TEST_F(SandboxYoutubeTest, TokenEndpointAnswersLikeGoogle) {
  auto r = refresh(kRefresh);
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = parse(r.body);
  EXPECT_TRUE(body["access_token"].as_string().starts_with("ya29."));
  EXPECT_EQ(body["expires_in"].as_int64(), 3599);
  EXPECT_EQ(body["token_type"].as_string(), "Bearer");
  EXPECT_EQ(body["scope"].as_string(), "https://www.googleapis.com/auth/youtube");
  EXPECT_FALSE(body.contains("refresh_token"));
  EXPECT_EQ(refresh(kRefresh, kClientSecret, true).status, 200);  // HTTP Basic client auth
}

TEST_F(SandboxYoutubeTest, TokenEndpointErrorsFollowRfc6749) {
  auto grant = refresh("1//unknown");
  EXPECT_EQ(grant.status, 400);
  EXPECT_EQ(parse(grant.body)["error"].as_string(), "invalid_grant");
  EXPECT_EQ(parse(grant.body)["error_description"].as_string(), "Token has been expired or revoked.");
  auto client = refresh(kRefresh, "wrong");
  EXPECT_EQ(client.status, 401);
  EXPECT_EQ(parse(client.body)["error"].as_string(), "invalid_client");
  EXPECT_EQ(refresh(kRefresh, "wrong", true).status, 401);
  HttpRequest both{"POST",
                   base_ + "/token",
                   {{"Authorization", basic_client_authorization(kClientId, Secret(kClientSecret))}},
                   refresh_request_body(kClientId, Secret(kRefresh), Secret(kClientSecret)),
                   "application/x-www-form-urlencoded"};
  auto twice = http_.send(both);
  EXPECT_EQ(twice.status, 400);
  EXPECT_EQ(parse(twice.body)["error"].as_string(), "invalid_request");
}

TEST_F(SandboxYoutubeTest, RotationIssuesANewRefreshTokenAndRevokesTheOld) {
  start(true);
  auto r = refresh(kRefresh);
  ASSERT_EQ(r.status, 200);
  const std::string next(parse(r.body)["refresh_token"].as_string());
  EXPECT_NE(next, kRefresh);
  EXPECT_EQ(parse(refresh(kRefresh).body)["error"].as_string(), "invalid_grant");
  EXPECT_EQ(refresh(next).status, 200);
}

TEST_F(SandboxYoutubeTest, ApiRequiresAnIssuedBearerToken) {
  token_ = "ya29.forged";
  auto r = api("GET", "/youtube/v3/videos?part=snippet&id=vidSandbox1");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(reason_of(r), "authError");
  EXPECT_EQ(parse(r.body)["error"].as_object()["status"].as_string(), "UNAUTHENTICATED");
  EXPECT_NE(header(r, "www-authenticate").find("invalid_token"), std::string::npos);
  token_ = access_token();
  auto ok = api("GET", "/youtube/v3/videos?part=snippet,status&id=vidSandbox1,nope");
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto items = parse(ok.body)["items"].as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].as_object()["snippet"].as_object()["title"].as_string(), "Title");
  EXPECT_EQ(items[0].as_object()["status"].as_object()["privacyStatus"].as_string(), "private");
}

TEST_F(SandboxYoutubeTest, UpdateValidatesTheSnippetAndReplacesMutableFields) {
  token_ = access_token();
  auto no_category = api("PUT", "/youtube/v3/videos?part=snippet",
                         R"({"id":"vidSandbox1","snippet":{"title":"T","description":"d"}})");
  EXPECT_EQ(no_category.status, 400);
  EXPECT_EQ(reason_of(no_category), "invalidCategoryId");
  auto no_title =
      api("PUT", "/youtube/v3/videos?part=snippet", R"({"id":"vidSandbox1","snippet":{"categoryId":"22"}})");
  EXPECT_EQ(reason_of(no_title), "invalidTitle");
  auto markup = api("PUT", "/youtube/v3/videos?part=snippet",
                    R"({"id":"vidSandbox1","snippet":{"title":"T","categoryId":"22","description":"<b>"}})");
  EXPECT_EQ(reason_of(markup), "invalidDescription");
  auto long_body = json::serialize(json::object{
      {"id", "vidSandbox1"},
      {"snippet", json::object{{"title", "T"}, {"categoryId", "22"}, {"description", std::string(5001, 'x')}}}});
  EXPECT_EQ(reason_of(api("PUT", "/youtube/v3/videos?part=snippet", long_body)), "invalidDescription");
  auto missing =
      api("PUT", "/youtube/v3/videos?part=snippet", R"({"id":"nope","snippet":{"title":"T","categoryId":"22"}})");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(reason_of(missing), "videoNotFound");
  EXPECT_TRUE(sandbox_->creates().empty());

  // Tags left out are cleared, as the docs warn: why the connector sends the
  // whole snippet back.
  auto ok = api(
      "PUT", "/youtube/v3/videos?part=snippet,status",
      R"({"id":"vidSandbox1","snippet":{"title":"T","categoryId":"22","description":"d"},"status":{"privacyStatus":"public"}})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_FALSE(parse(ok.body)["snippet"].as_object().contains("tags"));
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].platform, "youtube");
  EXPECT_EQ(creates[0].text, "d");
  EXPECT_EQ(creates[0].fields["privacy"], "public");
  EXPECT_EQ(creates[0].fields["tags"], "");
}

TEST_F(SandboxYoutubeTest, ResumableUploadProtocol) {
  token_ = access_token();
  const std::string data(300 * 1024, 'v');
  auto start = api("POST", "/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status",
                   R"({"snippet":{"title":"Up","description":"desc"},"status":{"privacyStatus":"private"}})",
                   {{"X-Upload-Content-Length", std::to_string(data.size())}, {"X-Upload-Content-Type", "video/mp4"}},
                   "application/json; charset=UTF-8");
  ASSERT_EQ(start.status, 200) << start.body;
  const std::string session = header(start, "location");
  ASSERT_TRUE(session.starts_with(base_ + "/upload/youtube/v3/videos?uploadType=resumable&upload_id=")) << session;

  auto status = api("PUT", session, {}, {{"Content-Range", "bytes */" + std::to_string(data.size())}});
  EXPECT_EQ(status.status, 308);
  EXPECT_EQ(header(status, "range"), "");

  auto first = api("PUT", session, data.substr(0, 256 * 1024),
                   {{"Content-Range", "bytes 0-262143/" + std::to_string(data.size())}}, "video/mp4");
  EXPECT_EQ(first.status, 308);
  EXPECT_EQ(header(first, "range"), "bytes=0-262143");

  auto gone = api("PUT", base_ + "/upload/youtube/v3/videos?uploadType=resumable&upload_id=nope", {},
                  {{"Content-Range", "bytes */" + std::to_string(data.size())}});
  EXPECT_EQ(gone.status, 404);
  EXPECT_TRUE(sandbox_->creates().empty());

  auto last =
      api("PUT", session, data.substr(256 * 1024),
          {{"Content-Range", "bytes 262144-" + std::to_string(data.size() - 1) + "/" + std::to_string(data.size())}},
          "video/mp4");
  ASSERT_EQ(last.status, 201) << last.body;
  auto video = parse(last.body);
  const std::string id(video["id"].as_string());
  EXPECT_EQ(id.size(), 11u);
  EXPECT_EQ(video["status"].as_object()["privacyStatus"].as_string(), "private");

  auto done = api("PUT", session, {}, {{"Content-Range", "bytes */" + std::to_string(data.size())}});
  EXPECT_EQ(done.status, 200);
  EXPECT_EQ(parse(done.body)["id"].as_string(), id);
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].id, id);
  EXPECT_EQ(creates[0].text, "desc");
  EXPECT_EQ(creates[0].fields["bytes_received"], std::to_string(data.size()));
}

TEST_F(SandboxYoutubeTest, QuotaFaultAnswersInGooglesFormat) {
  token_ = access_token();
  sandbox_->add_fault({"/upload/youtube/v3/videos", Sandbox::FaultMode::rate_limit, 1, 60, 0});
  auto r = api("POST", "/upload/youtube/v3/videos?uploadType=resumable&part=snippet", R"({"snippet":{"title":"Up"}})",
               {{"X-Upload-Content-Length", "10"}, {"X-Upload-Content-Type", "video/mp4"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(reason_of(r), "quotaExceeded");
}

TEST_F(SandboxYoutubeTest, LoadsItsYamlSection) {
  const auto path = std::filesystem::temp_directory_path() / ("herald-sbx-yt-" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(path);
    out << "youtube:\n"
           "  rotate_refresh_tokens: true\n"
           "  clients: [{client_id: c1, client_secret: s1}]\n"
           "  channels:\n"
           "    - id: UC1\n"
           "      client_id: c1\n"
           "      refresh_tokens: [r1]\n"
           "      videos: [{id: v1, title: T, tags: [x, y], category_id: '10', default_language: en}]\n";
  }
  auto config = load_sandbox_config(path.string());
  EXPECT_TRUE(config.youtube.rotate_refresh_tokens);
  ASSERT_EQ(config.youtube.channels.size(), 1u);
  ASSERT_EQ(config.youtube.channels[0].videos.size(), 1u);
  EXPECT_EQ(config.youtube.channels[0].videos[0].category_id, "10");
  EXPECT_EQ(config.youtube.channels[0].videos[0].tags, (std::vector<std::string>{"x", "y"}));
  {
    std::ofstream out(path);
    out << "youtube:\n  clients: []\n  channels: [{id: UC1, client_id: nobody}]\n";
  }
  try {
    load_sandbox_config(path.string());
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(":3:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not among youtube.clients"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

// Two channels on a clock the test moves, for the statistics part.
class SandboxYoutubeStatisticsTest : public SandboxYoutubeTest {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.youtube.clients.push_back({kClientId, kClientSecret});
    for (const char* id : {"UCsbx", "UCother"}) {
      YoutubeSandboxConfig::Channel channel;
      channel.id = id;
      channel.title = id;
      channel.client_id = kClientId;
      channel.refresh_tokens = {std::string(kRefresh) + "-" + id};
      YoutubeSandboxConfig::Video video;
      video.id = std::string("vid-") + id;
      video.title = "Title";
      channel.videos.push_back(video);
      config.youtube.channels.push_back(channel);
    }
    config.now_ms = [this] { return now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    base_ = "http://127.0.0.1:" + std::to_string(sandbox_->port());
  }
  std::string token_for(const std::string& channel) {
    auto r = refresh(std::string(kRefresh) + "-" + channel);
    EXPECT_EQ(r.status, 200) << r.body;
    return std::string(parse(r.body)["access_token"].as_string());
  }
  // videos.update: the video made public, which the sandbox counts from.
  void publish(const std::string& id) {
    auto r = api("PUT", "/youtube/v3/videos?part=snippet,status",
                 json::serialize(json::object{{"id", id},
                                              {"snippet", json::object{{"title", "Title"}, {"categoryId", "22"}}},
                                              {"status", json::object{{"privacyStatus", "public"}}}}));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // 2026-12-02T10:00:00Z.
  std::atomic<std::int64_t> now_ms_{1'796'205'600'000};
};

// videos#statistics: viewCount, likeCount, favoriteCount (always 0) and
// commentCount as strings, dislikeCount to the video's own channel only;
// here growing from when the video was published.
TEST_F(SandboxYoutubeStatisticsTest, StatisticsAreStringsThatGrowFromThePublish) {
  token_ = token_for("UCsbx");
  auto before = api("GET", "/youtube/v3/videos?part=statistics&id=vid-UCsbx");
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_EQ(parse(before.body)["items"].as_array().at(0).at("statistics").at("viewCount").as_string(), "0");
  publish("vid-UCsbx");
  now_ms_ += 600'000;
  auto r = api("GET", "/youtube/v3/videos?part=statistics&id=vid-UCsbx");
  ASSERT_EQ(r.status, 200) << r.body;
  const json::object item = parse(r.body)["items"].as_array().at(0).as_object();
  EXPECT_EQ(item.at("id").as_string(), "vid-UCsbx");
  EXPECT_FALSE(item.contains("snippet"));  // only the parts asked for
  const json::object& statistics = item.at("statistics").as_object();
  const Engagement e = engagement_after(600'000);
  EXPECT_EQ(statistics.at("viewCount").as_string(), std::to_string(e.views));
  EXPECT_EQ(statistics.at("likeCount").as_string(), std::to_string(e.likes));
  EXPECT_EQ(statistics.at("favoriteCount").as_string(), "0");
  EXPECT_EQ(statistics.at("commentCount").as_string(), std::to_string(e.replies));
  EXPECT_EQ(statistics.at("dislikeCount").as_string(), "0");
  // Another channel sees the public video's statistics, without dislikes.
  token_ = token_for("UCother");
  auto other = api("GET", "/youtube/v3/videos?part=statistics&id=vid-UCsbx");
  ASSERT_EQ(other.status, 200);
  const json::object seen = parse(other.body)["items"].as_array().at(0).at("statistics").as_object();
  EXPECT_FALSE(seen.contains("dislikeCount"));
  EXPECT_EQ(seen.at("viewCount").as_string(), std::to_string(e.views));
}

// videos.list leaves out an id YouTube does not have, such as a video its
// owner deleted.
TEST_F(SandboxYoutubeStatisticsTest, ADeletedVideoIsLeftOutOfTheList) {
  token_ = token_for("UCsbx");
  publish("vid-UCsbx");
  ASSERT_TRUE(sandbox_->delete_post("youtube", "vid-UCsbx"));
  auto r = api("GET", "/youtube/v3/videos?part=statistics&id=vid-UCsbx");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(parse(r.body)["items"].as_array().empty());
  EXPECT_EQ(parse(r.body)["pageInfo"].as_object().at("totalResults").as_int64(), 0);
}

}  // namespace
}  // namespace herald
