// The youtube connector against the in-process sandbox, over real HTTP on
// loopback: publishing an uploaded video, resumable uploads that survive an
// interruption and a restart, and the error mapping.
#include "connectors/json_fields.hpp"
#include "connectors/youtube/youtube_connector.hpp"

#include "connectors/http_client.hpp"
#include "connectors/http_result.hpp"
#include "tests/sandbox/sandbox.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace herald {
namespace {
using namespace std::chrono_literals;

constexpr const char* kClientId = "test-client.apps.googleusercontent.com";
constexpr const char* kClientSecret = "GOCSPX-test-client-secret";
constexpr const char* kRefreshToken = "1//test-refresh-token";
constexpr const char* kChannel = "UCtestchannel0000000001";
constexpr const char* kVideo = "vidPrivate1";
constexpr std::size_t kChunk = 256 * 1024;
constexpr std::size_t kFileSize = 600 * 1024;

// 2024-01-16 12:00:00 UTC, 04:00 in Los Angeles: 20 h before the quota resets.
const Instant kFixedNow = Instant{std::chrono::seconds{1705406400}};

YoutubeSandboxConfig sandbox_config(bool rotate = false) {
  YoutubeSandboxConfig config;
  config.rotate_refresh_tokens = rotate;
  config.clients.push_back({kClientId, kClientSecret});
  YoutubeSandboxConfig::Channel channel;
  channel.id = kChannel;
  channel.title = "Herald Test";
  channel.client_id = kClientId;
  channel.refresh_tokens = {kRefreshToken};
  YoutubeSandboxConfig::Video video;
  video.id = kVideo;
  video.title = "Spring video";
  video.description = "draft";
  video.tags = {"spring", "herald"};
  video.category_id = "27";
  video.default_language = "nl";
  video.privacy = "private";
  channel.videos.push_back(video);
  config.channels.push_back(channel);
  return config;
}

YoutubeCredentials credentials(std::string refresh = kRefreshToken) {
  return {kClientId, Secret(kClientSecret), Secret(std::move(refresh))};
}

// Passes requests on, logging each one, and can spoil the Bearer token on
// API requests (as a revoked grant would make every token fail).
struct WatchingClient : HttpClient {
  explicit WatchingClient(HttpClient& next) : inner(next) {}
  HttpResponse send(const HttpRequest& request) override {
    HttpRequest copy = request;
    {
      std::lock_guard lock(mutex);
      log.push_back(request.method + " " + request.url.substr(request.url.find('/', 8)));
      if (request.url.ends_with("/token")) ++token_requests;
    }
    if (spoil_bearer)
      for (auto& [name, value] : copy.headers)
        if (name == "Authorization") value = "Bearer ya29.spoiled";
    return inner.send(copy);
  }
  HttpClient& inner;
  std::mutex mutex;
  std::vector<std::string> log;
  int token_requests = 0;
  bool spoil_bearer = false;
};

// Logs puts into the client's log, so the order of store and use shows.
struct LoggingState : ConnectorState {
  explicit LoggingState(WatchingClient& watcher) : client(watcher) {}
  std::optional<std::string> get(const std::string& key) override { return inner.get(key); }
  void put(const std::string& key, const std::string& value) override {
    {
      std::lock_guard lock(client.mutex);
      client.log.push_back("put " + key);
    }
    inner.put(key, value);
  }
  void erase(const std::string& key) override { inner.erase(key); }
  WatchingClient& client;
  MemoryConnectorState inner;
};

class YoutubeConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override { start(false); }
  void TearDown() override {
    sandbox_->stop();
    std::filesystem::remove_all(dir_);
  }
  void start(bool rotate) {
    if (sandbox_) sandbox_->stop();
    Sandbox::Config config;
    config.youtube = sandbox_config(rotate);
    config.now_ms = [this] { return sandbox_now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "youtube";
    channel_.kind = ChannelKind::youtube;
    channel_.credentials = "youtube";
    channel_.api_base = "http://127.0.0.1:" + std::to_string(sandbox_->port()) + "/";
  }

  YoutubeConnector connector(YoutubeCredentials creds = credentials(), Instant now = Instant{}) {
    YoutubeConnector::Clock clock = [now] {
      return now == Instant{} ? std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) : now;
    };
    return YoutubeConnector(channel_, std::move(creds), watching_, state_, clock, YoutubeOptions{kChunk});
  }

  PublishRequest existing(std::string description = "Our spring video. More: https://blog.example.nl/spring",
                          std::string privacy = "public") {
    PublishRequest request;
    request.key = "spring-video@youtube";
    request.post = "spring-video";
    request.channel = "youtube";
    request.composed.kind = ChannelKind::youtube;
    request.composed.video = kVideo;
    request.composed.text = std::move(description);
    request.composed.privacy = std::move(privacy);
    return request;
  }

  PublishRequest upload_request() {
    std::filesystem::create_directories(dir_);
    const auto path = dir_ / "spring.mp4";
    std::ofstream out(path, std::ios::binary);
    for (std::size_t i = 0; i < kFileSize; ++i) out.put(static_cast<char>(i * 7 % 251));
    out.close();
    PublishRequest request;
    request.key = "spring-upload@youtube";
    request.post = "spring-upload";
    request.channel = "youtube";
    request.composed.kind = ChannelKind::youtube;
    request.composed.video_file = path.string();
    request.composed.title = "Spring, uploaded";
    request.composed.text = "Uploaded by herald";
    request.composed.privacy = "unlisted";
    return request;
  }

  std::vector<Sandbox::Create> youtube_creates() const {
    std::vector<Sandbox::Create> out;
    for (auto& c : sandbox_->creates())
      if (c.platform == "youtube") out.push_back(c);
    return out;
  }

  std::atomic<std::int64_t> sandbox_now_ms_{
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count()};
  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 1s, .write_timeout = 1s}};
  WatchingClient watching_{http_};
  LoggingState state_{watching_};
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / ("herald-youtube-test-" + std::to_string(::getpid()));
};

TEST_F(YoutubeConnectorTest, PublishesAnUploadedVideoKeepingItsSnippet) {
  auto yt = connector();
  PublishResult result = yt.publish(existing());
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_EQ(std::get<Published>(result).remote_id, kVideo);
  EXPECT_EQ(std::get<Published>(result).url, std::string("https://www.youtube.com/watch?v=") + kVideo);
  auto creates = youtube_creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].id, kVideo);
  EXPECT_EQ(creates[0].account, kChannel);
  EXPECT_EQ(creates[0].text, "Our spring video. More: https://blog.example.nl/spring");
  EXPECT_EQ(creates[0].fields["privacy"], "public");
  EXPECT_EQ(creates[0].fields["title"], "Spring video");  // no composed title: kept
  EXPECT_EQ(creates[0].fields["tags"], "spring,herald");
  EXPECT_EQ(creates[0].fields["categoryId"], "27");
  EXPECT_EQ(creates[0].fields["defaultLanguage"], "nl");
}

TEST_F(YoutubeConnectorTest, ComposedTitleReplacesTheTitle) {
  auto yt = connector();
  PublishRequest request = existing("text", "unlisted");
  request.composed.title = "Spring is here";
  ASSERT_TRUE(std::holds_alternative<Published>(yt.publish(request)));
  auto creates = youtube_creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].fields["title"], "Spring is here");
  EXPECT_EQ(creates[0].fields["privacy"], "unlisted");
  EXPECT_EQ(creates[0].fields["tags"], "spring,herald");
}

TEST_F(YoutubeConnectorTest, UnknownVideoIsFailed) {
  auto yt = connector();
  PublishRequest request = existing();
  request.composed.video = "noSuchVideo";
  PublishResult result = yt.publish(request);
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("video noSuchVideo not found on the channel"), std::string::npos)
      << message_of(result);
  EXPECT_TRUE(youtube_creates().empty());
}

TEST_F(YoutubeConnectorTest, DescriptionTheApiRejectsIsFailedWithGooglesWords) {
  auto yt = connector();
  PublishResult result = yt.publish(existing("a <b> tag"));
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("invalidDescription"), std::string::npos) << message_of(result);
  EXPECT_TRUE(youtube_creates().empty());
}

TEST_F(YoutubeConnectorTest, LookupFindsAnExistingVideoOnlyOncePublished) {
  auto yt = connector();
  EXPECT_TRUE(std::holds_alternative<Absent>(yt.lookup(existing())));
  ASSERT_TRUE(std::holds_alternative<Published>(yt.publish(existing())));
  LookupResult found = yt.lookup(existing());
  ASSERT_TRUE(std::holds_alternative<Found>(found));
  EXPECT_EQ(std::get<Found>(found).url, std::string("https://www.youtube.com/watch?v=") + kVideo);
  EXPECT_TRUE(std::holds_alternative<Absent>(yt.lookup(existing("another text"))));
}

TEST_F(YoutubeConnectorTest, RotatedRefreshTokenIsStoredBeforeTheApiIsCalled) {
  start(true);
  auto yt = connector();
  ASSERT_TRUE(std::holds_alternative<Published>(yt.publish(existing())));
  const std::vector<std::string> expected{"POST /token", "put oauth2_refresh_token:youtube",
                                          "put oauth2_refresh_token:youtube:from"};
  ASSERT_GE(watching_.log.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(watching_.log.begin(), watching_.log.begin() + 3), expected);
  EXPECT_TRUE(watching_.log[3].starts_with("GET /youtube/v3/videos?")) << watching_.log[3];
  EXPECT_TRUE(watching_.log[4].starts_with("PUT /youtube/v3/videos?")) << watching_.log[4];
  // A restarted connector with the same state and the old file token works.
  auto restarted = connector();
  ASSERT_TRUE(std::holds_alternative<Found>(restarted.lookup(existing())));
}

TEST_F(YoutubeConnectorTest, UploadsAFileInChunks) {
  auto yt = connector();
  PublishRequest request = upload_request();
  PublishResult result = yt.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto creates = youtube_creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(std::get<Published>(result).remote_id, creates[0].id);
  EXPECT_EQ(std::get<Published>(result).url, "https://www.youtube.com/watch?v=" + creates[0].id);
  EXPECT_EQ(creates[0].fields["title"], "Spring, uploaded");
  EXPECT_EQ(creates[0].fields["privacy"], "unlisted");
  EXPECT_EQ(creates[0].text, "Uploaded by herald");
  EXPECT_EQ(creates[0].fields["bytes_received"], std::to_string(kFileSize));
  EXPECT_EQ(creates[0].headers["Content-Type"], "video/mp4");
  int chunks = 0;
  for (const auto& line : watching_.log) chunks += line.starts_with("PUT /upload/") ? 1 : 0;
  EXPECT_EQ(chunks, 3);  // 256 + 256 + 88 KiB
  EXPECT_FALSE(state_.get("youtube_upload:" + request.key));
  // Publishing again answers from the record instead of uploading twice.
  ASSERT_TRUE(std::holds_alternative<Published>(connector().publish(request)));
  EXPECT_EQ(youtube_creates().size(), 1u);
}

TEST_F(YoutubeConnectorTest, InterruptedUploadResumesInANewConnector) {
  // The first chunk arrives, its answer is lost.
  sandbox_->add_fault({"PUT /upload/youtube/v3/videos", Sandbox::FaultMode::drop_after_create, 1, 60, 1200});
  PublishRequest request = upload_request();
  {
    auto yt = connector();
    PublishResult result = yt.publish(request);
    ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << message_of(result);
    EXPECT_NE(message_of(result).find("resumes"), std::string::npos) << message_of(result);
  }
  ASSERT_TRUE(state_.get("youtube_upload:" + request.key));
  EXPECT_TRUE(youtube_creates().empty());

  auto restarted = connector();
  PublishResult result = restarted.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto creates = youtube_creates();
  ASSERT_EQ(creates.size(), 1u);
  const auto received = std::stoull(creates[0].fields["bytes_received"]);
  EXPECT_GE(received, kFileSize);
  EXPECT_LT(received, 2 * kFileSize);
  int initiations = 0;
  for (const auto& line : watching_.log) initiations += line.starts_with("POST /upload/") ? 1 : 0;
  EXPECT_EQ(initiations, 1);
}

TEST_F(YoutubeConnectorTest, LostAnswerToTheLastChunkIsUnsureAndLookupFindsTheVideo) {
  sandbox_->add_fault({"PUT /upload/youtube/v3/videos#final", Sandbox::FaultMode::drop_after_create, 1, 60, 1200});
  PublishRequest request = upload_request();
  {
    auto yt = connector();
    PublishResult result = yt.publish(request);
    ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << message_of(result);
  }
  auto creates = youtube_creates();
  ASSERT_EQ(creates.size(), 1u);
  auto restarted = connector();
  LookupResult found = restarted.lookup(request);
  ASSERT_TRUE(std::holds_alternative<Found>(found));
  EXPECT_EQ(std::get<Found>(found).remote_id, creates[0].id);
  PublishResult again = restarted.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(again)) << message_of(again);
  EXPECT_EQ(std::get<Published>(again).remote_id, creates[0].id);
  EXPECT_EQ(youtube_creates().size(), 1u);
}

// The resumable protocol (Google's "Resume an interrupted upload": a PUT
// with "Content-Range: bytes */SIZE" answers 308 with the bytes held, or the
// finished video): the session URI is stored before the first byte, so a
// repeat right after a lost answer to the last chunk asks the session and
// gets the video, without uploading a second one.
TEST_F(YoutubeConnectorTest, LostAnswerToTheLastChunkThenARepeatGivesOneVideo) {
  sandbox_->add_fault({"PUT /upload/youtube/v3/videos#final", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  PublishRequest request = upload_request();
  auto yt = connector();
  EXPECT_TRUE(yt.settle_policy().repeat_is_safe);
  ASSERT_TRUE(std::holds_alternative<Unsure>(yt.publish(request)));
  PublishResult again = yt.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(again)) << message_of(again);
  auto creates = youtube_creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(std::get<Published>(again).remote_id, creates[0].id);
  // The repeat asked the session; it did not open another.
  int sessions = 0;
  for (const auto& line : watching_.log) sessions += line.starts_with("POST /upload/youtube/v3/videos");
  EXPECT_EQ(sessions, 1);
}

// The last chunk held past the client's timeout while a repeat sends it
// again: the repeat completes the video, and the slow request, completing
// later, finds it complete (bytes it holds already are taken and ignored).
TEST_F(YoutubeConnectorTest, SlowLastChunkThenAnImmediateRepeatGivesOneVideo) {
  sandbox_->add_fault({"PUT /upload/youtube/v3/videos#final", Sandbox::FaultMode::delay, 1, 60, 1500});
  PublishRequest request = upload_request();
  auto yt = connector();
  ASSERT_TRUE(std::holds_alternative<Unsure>(yt.publish(request)));  // timed out after 1 s
  PublishResult again = yt.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(again)) << message_of(again);
  std::this_thread::sleep_for(800ms);  // the held chunk completes
  auto creates = youtube_creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(std::get<Published>(again).remote_id, creates[0].id);
}

TEST_F(YoutubeConnectorTest, LookupOfAnUploadWithoutSessionIsAbsentAndIncompleteIsAbsent) {
  PublishRequest request = upload_request();
  auto yt = connector();
  EXPECT_TRUE(std::holds_alternative<Absent>(yt.lookup(request)));
  sandbox_->add_fault({"PUT /upload/youtube/v3/videos", Sandbox::FaultMode::server_error, 1, 60, 0});
  ASSERT_TRUE(std::holds_alternative<RetryLater>(yt.publish(request)));
  ASSERT_TRUE(state_.get("youtube_upload:" + request.key));
  EXPECT_TRUE(std::holds_alternative<Absent>(yt.lookup(request)));
}

TEST_F(YoutubeConnectorTest, ExpiredUploadSessionStartsANewOne) {
  PublishRequest request = upload_request();
  state_.put("youtube_upload:" + request.key,
             "http://127.0.0.1:" + std::to_string(sandbox_->port()) +
                 "/upload/youtube/v3/videos?uploadType=resumable&upload_id=expired-long-ago");
  auto yt = connector();
  PublishResult result = yt.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_EQ(youtube_creates().size(), 1u);
}

TEST_F(YoutubeConnectorTest, QuotaExceededRetriesAfterPacificMidnight) {
  sandbox_->add_fault({"/youtube/v3/videos", Sandbox::FaultMode::rate_limit, 1, 60, 0});
  auto yt = connector(credentials(), kFixedNow);
  PublishResult result = yt.publish(existing());
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << message_of(result);
  const auto& retry = std::get<RetryLater>(result);
  ASSERT_TRUE(retry.after);
  EXPECT_EQ(*retry.after, next_pacific_midnight(kFixedNow) - kFixedNow);
  EXPECT_EQ(*retry.after, 20h);
  EXPECT_NE(retry.message.find("quotaExceeded"), std::string::npos) << retry.message;
  EXPECT_TRUE(youtube_creates().empty());
}

TEST_F(YoutubeConnectorTest, QuotaOnUploadInitiationRetriesAfterPacificMidnight) {
  sandbox_->add_fault({"/upload/youtube/v3/videos", Sandbox::FaultMode::rate_limit, 1, 60, 0});
  auto yt = connector(credentials(), kFixedNow);
  PublishResult result = yt.publish(upload_request());
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << message_of(result);
  EXPECT_EQ(std::get<RetryLater>(result).after, next_pacific_midnight(kFixedNow) - kFixedNow);
}

TEST_F(YoutubeConnectorTest, RejectedAccessTokensAreAuthFailedAfterOneFreshTry) {
  watching_.spoil_bearer = true;
  auto yt = connector();
  PublishResult result = yt.publish(existing());
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << message_of(result);
  const std::string message = message_of(result);
  EXPECT_NE(message.find("HTTP 401"), std::string::npos) << message;
  EXPECT_EQ(watching_.token_requests, 2);  // the first token, then one fresh one
  for (const char* secret : {kClientSecret, kRefreshToken, "ya29"})
    EXPECT_EQ(message.find(secret), std::string::npos) << message;
  EXPECT_TRUE(youtube_creates().empty());
}

TEST_F(YoutubeConnectorTest, RevokedRefreshTokenIsAuthFailedNamingNoSecret) {
  auto yt = connector(credentials("1//revoked-refresh-token"));
  PublishResult result = yt.publish(existing());
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << message_of(result);
  const std::string message = message_of(result);
  EXPECT_NE(message.find("refresh token rejected (invalid_grant: Token has been expired or revoked.)"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find("revoked-refresh-token"), std::string::npos) << message;
  EXPECT_EQ(message.find(kClientSecret), std::string::npos) << message;
  EXPECT_TRUE(std::holds_alternative<Unknown>(yt.lookup(existing())));
}

TEST_F(YoutubeConnectorTest, AccessTokenExpiredAtTheServerIsRefreshedAndSentAgain) {
  auto yt = connector(credentials(), kFixedNow);  // our clock stands still: the cached token looks fresh
  ASSERT_TRUE(std::holds_alternative<Published>(yt.publish(existing("first"))));
  sandbox_now_ms_ += 2 * 3600 * 1000;  // the sandbox's does not
  PublishResult result = yt.publish(existing("second"));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_EQ(watching_.token_requests, 2);
  ASSERT_EQ(youtube_creates().size(), 2u);
  EXPECT_EQ(youtube_creates()[1].text, "second");
}

TEST_F(YoutubeConnectorTest, ServerErrorIsRetryLater) {
  sandbox_->add_fault({"/youtube/v3/videos", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto yt = connector();
  PublishResult result = yt.publish(existing());
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("HTTP 500"), std::string::npos) << message_of(result);
  EXPECT_TRUE(youtube_creates().empty());
}

TEST_F(YoutubeConnectorTest, TimeoutOnTheUpdateIsUnsure) {
  sandbox_->add_fault({"PUT /youtube/v3/videos", Sandbox::FaultMode::delay, 1, 60, 1500});
  auto yt = connector();
  PublishResult result = yt.publish(existing());
  ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << message_of(result);
}

TEST_F(YoutubeConnectorTest, DroppedAnswerIsUnsureAndLookupFindsExactlyOne) {
  sandbox_->add_fault({"/youtube/v3/videos", Sandbox::FaultMode::drop_after_create, 1, 60, 1200});
  auto yt = connector();
  PublishRequest request = existing();
  PublishResult result = yt.publish(request);
  ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << message_of(result);
  LookupResult found = yt.lookup(request);
  ASSERT_TRUE(std::holds_alternative<Found>(found));
  EXPECT_EQ(std::get<Found>(found).remote_id, kVideo);
  EXPECT_EQ(youtube_creates().size(), 1u);
}

TEST_F(YoutubeConnectorTest, ChunkSizeMustBeAMultipleOf256KiB) {
  EXPECT_THROW(YoutubeConnector(
                   channel_, credentials(), http_, state_, [] { return kFixedNow; }, YoutubeOptions{100 * 1024}),
               std::invalid_argument);
}

}  // namespace
}  // namespace herald
