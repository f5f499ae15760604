// The linkedin connector against the in-process sandbox, over real HTTP on
// loopback (tests/sandbox/sandbox_linkedin.cpp emulates LinkedIn from its
// documents; each test names the document its behaviour comes from). No
// mocks: a recording client passes every request to the real one so tests
// can count what went over the wire.
#include "connectors/linkedin/linkedin_connector.hpp"

#include "compose/little_text.hpp"
#include "compose/public_url.hpp"
#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "connectors/json_fields.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/support/recording_client.hpp"
#include "tests/support/sandbox_records.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

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

constexpr const char* kOrg = "urn:li:organization:2414183";
constexpr const char* kOrgToken = "FAKE-linkedin-org-token-for-tests";
constexpr const char* kMember = "urn:li:person:FAKEexpiredMember";
constexpr const char* kMemberToken = "FAKE-linkedin-expired-member-token";
constexpr const char* kMemberRefresh = "FAKE-linkedin-member-refresh-token";
constexpr const char* kClientId = "86fakeclientid";
constexpr const char* kClientSecret = "FAKE-linkedin-client-secret";

// A sandbox author; with `refresh`, one whose token the app kClientId may refresh.
LinkedinSandboxConfig::Author author(const char* urn, const char* token, std::int64_t expires_at = 0,
                                     const char* refresh = "") {
  LinkedinSandboxConfig::Author a;
  a.urn = urn;
  a.access_token = token;
  a.expires_at = expires_at;
  if (*refresh) {
    a.refresh_token = refresh;
    a.client_id = kClientId;
    a.client_secret = kClientSecret;
  }
  return a;
}

// What a credential file gives the connector: a token, and maybe a refresh token.
LinkedinCredentials credentials(const std::string& token, const std::string& refresh = {}) {
  LinkedinCredentials c;
  c.access_token = Secret(token);
  if (!refresh.empty()) {
    c.refresh_token = Secret(refresh);
    c.client_id = kClientId;
    c.client_secret = Secret(kClientSecret);
  }
  return c;
}

// The connector's clock: 2026-12-02T10:00:00Z, 14 hours before midnight UTC.
Instant fixed_now() { return Instant{date::sys_days{date::year{2026} / 12 / 2}} + 10h; }

PublishRequest request_for(std::string text, std::string link = {}, std::string title = {}) {
  PublishRequest request;
  request.key = "post@linkedin";
  request.post = "post";
  request.channel = "linkedin";
  request.composed.kind = ChannelKind::linkedin;
  request.composed.text = std::move(text);
  request.composed.link = std::move(link);
  request.composed.title = std::move(title);
  return request;
}

class LinkedinConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.linkedin.authors.push_back(author(kOrg, kOrgToken));
    // A member whose token expired at 1 (Unix seconds): every request is
    // 401 until the connector refreshes it with the app's refresh token.
    config.linkedin.authors.push_back(author(kMember, kMemberToken, 1, kMemberRefresh));
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "linkedin";
    channel_.kind = ChannelKind::linkedin;
    channel_.author = kOrg;
    channel_.api_version = "202510";
    channel_.api_base = testing::sandbox_api_base(*sandbox_);
  }
  void TearDown() override { sandbox_->stop(); }

  LinkedinConnector connector(std::string token = kOrgToken, HttpClient* http = nullptr) {
    return LinkedinConnector(channel_, credentials(token), http ? *http : recorder_, state_, fixed_now);
  }

  std::vector<Sandbox::Create> posts() const {
    return testing::creates_on(*sandbox_, "linkedin");
  }

  std::filesystem::path write_file(const std::string& name, const std::string& bytes) {
    return dir_.write(name, bytes);
  }

  // Waits (on the sandbox's state, up to 10 s) until a request held by a
  // delay fault has been let go and has made its post after the client gave up.
  void wait_for_posts(std::size_t count) {
    testing::wait_for_creates(*sandbox_, "linkedin", count);
  }

  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 2s, .read_timeout = 5s, .write_timeout = 5s}};
  // For the hang and drop tests: a read timeout well below the faults' delay.
  HttplibClient short_http_{"test",
                            HttpLimits{.connect_timeout = 2s, .read_timeout = 300ms, .write_timeout = 2s}};
  RecordingClient recorder_{http_};
  MemoryConnectorState state_;
  testing::TempDir dir_;
};

// Bytes that start like each format (compose's sniff_media reads the first
// ones) and then include NUL, CR and LF, so a mangled body would show.
std::string png_bytes(int seed) {
  std::string bytes("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  for (int i = 0; i < 700; ++i) bytes += static_cast<char>(i * 7 + seed);
  return bytes;
}
std::string jpeg_bytes() {
  std::string bytes("\xFF\xD8\xFF\xE0\0\x10JFIF\0", 11);
  for (int i = 0; i < 500; ++i) bytes += static_cast<char>(i * 13);
  return bytes;
}
std::string mp4_bytes(std::size_t size) {
  std::string bytes("\0\0\0\x18" "ftypmp42", 12);
  bytes.reserve(size);
  for (std::size_t i = bytes.size(); i < size; ++i) bytes += static_cast<char>((i * 31) ^ (i >> 8));
  return bytes;
}

// Posts API (learn.microsoft.com .../community-management/shares/posts-api):
// a text post with the versioned headers, answered 201 with x-restli-id.
TEST_F(LinkedinConnectorTest, PublishesTextWithTheVersionedHeaders) {
  auto linkedin = connector();
  PublishResult result = linkedin.publish(request_for("Spring is here"));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  const auto& published = std::get<Published>(result);
  EXPECT_TRUE(published.remote_id.starts_with("urn:li:share:")) << published.remote_id;
  EXPECT_EQ(published.url, "https://www.linkedin.com/feed/update/" + published.remote_id + "/");
  auto created = posts();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].id, published.remote_id);
  EXPECT_EQ(created[0].account, kOrg);
  EXPECT_EQ(created[0].text, "Spring is here");
  EXPECT_EQ(created[0].fields.at("visibility"), "PUBLIC");
  EXPECT_EQ(created[0].fields.at("feed_distribution"), "MAIN_FEED");
  EXPECT_EQ(created[0].fields.at("lifecycle_state"), "PUBLISHED");
  EXPECT_EQ(created[0].fields.at("content"), "none");
  EXPECT_EQ(created[0].headers.at("LinkedIn-Version"), "202510");
  EXPECT_EQ(created[0].headers.at("X-Restli-Protocol-Version"), "2.0.0");
  EXPECT_FALSE(linkedin.settle_policy().repeat_is_safe);
  EXPECT_EQ(linkedin.settle_policy().margin, 120s);
}

// Posts API, "Article post": content.article with source and title.
TEST_F(LinkedinConnectorTest, PublishesTheLinkAsAnArticleCard) {
  auto linkedin = connector();
  PublishResult result = linkedin.publish(
      request_for("Read our spring report", "https://example.nl/report?utm_source=linkedin", "Spring report 2027"));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto created = posts();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].fields.at("content"), "article");
  EXPECT_EQ(created[0].fields.at("article_source"), "https://example.nl/report?utm_source=linkedin");
  EXPECT_EQ(created[0].fields.at("article_title"), "Spring report 2027");
}

// Images API (.../shares/images-api): initializeUpload, PUT of the bytes, then
// the post's content.media.id is the image URN; the bytes arrive intact.
TEST_F(LinkedinConnectorTest, PublishesOneImageWhoseBytesArriveIntact) {
  const std::string bytes = jpeg_bytes();
  auto request = request_for("A photo of spring");
  request.composed.media.push_back(write_file("spring.jpg", bytes));
  auto linkedin = connector();
  PublishResult result = linkedin.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto created = posts();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].fields.at("content"), "media");
  ASSERT_EQ(created[0].media_ids.size(), 1u);
  EXPECT_TRUE(created[0].media_ids[0].starts_with("urn:li:image:"));
  EXPECT_EQ(created[0].fields.at("media:" + created[0].media_ids[0]),
            std::to_string(bytes.size()) + " bytes fnv1a64 " + fnv1a64_hex(bytes));
  EXPECT_EQ(recorder_.count("POST", "/rest/images?action=initializeUpload"), 1);
}

// MultiImage API (.../shares/multiimage-post-api): 2 to 20 images as
// content.multiImage.images, in order, each uploaded through the Images API.
TEST_F(LinkedinConnectorTest, PublishesThreeImagesAsAMultiImagePost) {
  std::vector<std::string> bytes{png_bytes(1), png_bytes(2), jpeg_bytes()};
  auto request = request_for("Three views");
  for (std::size_t i = 0; i < bytes.size(); ++i)
    request.composed.media.push_back(write_file("view" + std::to_string(i) + (i < 2 ? ".png" : ".jpg"), bytes[i]));
  auto linkedin = connector();
  PublishResult result = linkedin.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto created = posts();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].fields.at("content"), "multiImage");
  ASSERT_EQ(created[0].media_ids.size(), 3u);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    EXPECT_EQ(created[0].fields.at("media:" + created[0].media_ids[i]),
              std::to_string(bytes[i].size()) + " bytes fnv1a64 " + fnv1a64_hex(bytes[i]))
        << i;
  }
}

// Images API + Posts API: a create that failed (a 500) after the uploads is
// Unsure; the retry reuses the remembered image URNs instead of uploading again.
TEST_F(LinkedinConnectorTest, ARetryReusesTheImagesAnEarlierAttemptUploaded) {
  auto request = request_for("Two views, one retry");
  request.composed.media.push_back(write_file("a.png", png_bytes(3)));
  request.composed.media.push_back(write_file("b.png", png_bytes(4)));
  sandbox_->add_fault({"POST /rest/posts", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto linkedin = connector();
  PublishResult first = linkedin.publish(request);
  ASSERT_TRUE(std::holds_alternative<Unsure>(first)) << message_of(first);
  EXPECT_EQ(recorder_.count("POST", "/rest/images?action=initializeUpload"), 2);
  PublishResult second = linkedin.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(second)) << message_of(second);
  EXPECT_EQ(recorder_.count("POST", "/rest/images?action=initializeUpload"), 2);
  EXPECT_EQ(recorder_.count("PUT", "/dms-uploads/image/"), 2);
  ASSERT_EQ(posts().size(), 1u);
  EXPECT_EQ(posts()[0].media_ids.size(), 2u);
}

// Videos API (.../shares/videos-api): initializeUpload with fileSizeBytes,
// PUT of the one part, finalizeUpload with its ETag, then content.media.id.
TEST_F(LinkedinConnectorTest, PublishesAVideo) {
  const std::string bytes = mp4_bytes(100'000);
  auto request = request_for("Spring in motion");
  request.composed.media.push_back(write_file("spring.mp4", bytes));
  auto linkedin = connector();
  PublishResult result = linkedin.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto created = posts();
  ASSERT_EQ(created.size(), 1u);
  ASSERT_EQ(created[0].media_ids.size(), 1u);
  EXPECT_TRUE(created[0].media_ids[0].starts_with("urn:li:video:"));
  EXPECT_EQ(created[0].fields.at("media:" + created[0].media_ids[0]),
            std::to_string(bytes.size()) + " bytes fnv1a64 " + fnv1a64_hex(bytes));
  EXPECT_EQ(recorder_.count("PUT", "/dms-uploads/video/"), 1);
  EXPECT_EQ(recorder_.count("POST", "/rest/videos?action=finalizeUpload"), 1);
}

// Videos API: a file over 4 MiB goes up in the parts the instructions name,
// and finalizeUpload lists every part's ETag in order.
TEST_F(LinkedinConnectorTest, PublishesAVideoInSeveralParts) {
  const std::string bytes = mp4_bytes(2 * 4 * 1024 * 1024 + 12345);
  auto request = request_for("A longer video");
  request.composed.media.push_back(write_file("long.mp4", bytes));
  auto linkedin = connector();
  PublishResult result = linkedin.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_EQ(recorder_.count("PUT", "/dms-uploads/video/"), 3);
  auto created = posts();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].fields.at("media:" + created[0].media_ids[0]),
            std::to_string(bytes.size()) + " bytes fnv1a64 " + fnv1a64_hex(bytes));
}

// Little text format (.../shares/little-text-format): every reserved
// character, escaped by compose, arrives as written: at the start, in the
// middle of a word and of a sentence, and at the end.
TEST_F(LinkedinConnectorTest, EveryReservedCharacterArrivesAsWritten) {
  auto linkedin = connector();
  int n = 0;
  for (char c : std::string("\\|{}@[]()<>#*_~")) {
    const std::string s(1, c);
    const std::string written =
        s + " opens post " + std::to_string(++n) + ", mid" + s + "word and in a sentence " + s + " here, ends " + s;
    PublishResult result = linkedin.publish(request_for(escape_little_text(written)));
    ASSERT_TRUE(std::holds_alternative<Published>(result)) << c << ": " << message_of(result);
    const auto created = posts().back();
    EXPECT_EQ(created.fields.at("rendered"), written) << "reserved character " << c;
    EXPECT_EQ(created.fields.at("rendered_complete"), "true") << c;
  }
  EXPECT_EQ(posts().size(), 15u);
}

// Little text format: a hashtag stays a hashtag and a link with utm_
// parameters stays a working link; the reader sees the text as written.
TEST_F(LinkedinConnectorTest, AHashtagAndATrackedLinkArriveAsWritten) {
  const std::string written =
      "Spring is here #spring2027 (finally) - read https://example.nl/a_b?utm_source=linkedin&utm_medium=social "
      "and tell us [what] you think <3 *now*";
  auto linkedin = connector();
  PublishResult result = linkedin.publish(request_for(escape_little_text(written)));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  const auto created = posts().back();
  EXPECT_EQ(created.fields.at("rendered"), written);
  EXPECT_NE(created.text.find("#spring2027"), std::string::npos) << created.text;  // not escaped: a hashtag
  EXPECT_NE(created.text.find("utm_source=linkedin&utm_medium"), std::string::npos) << created.text;
  EXPECT_NE(created.text.find("\\(finally\\)"), std::string::npos) << created.text;
}

// Little text format: the check above has teeth. Unescaped, the same text
// is cut at the first reserved character, as LinkedIn shows it.
TEST_F(LinkedinConnectorTest, AnUnescapedReservedCharacterIsCutOff) {
  auto linkedin = connector();
  PublishResult result = linkedin.publish(request_for("Spring (finally) is here"));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  const auto created = posts().back();
  EXPECT_EQ(created.fields.at("rendered"), "Spring ");
  EXPECT_EQ(created.fields.at("rendered_complete"), "false");
}

// Error handling (learn.microsoft.com/linkedin/shared/api-guide/concepts/error-handling):
// 401 INVALID_ACCESS_TOKEN is AuthFailed, and the token is in no message.
TEST_F(LinkedinConnectorTest, ABadTokenIsAuthFailedWithoutTheToken) {
  const std::string token = "FAKE-wrong-token-XYZZY";
  auto linkedin = connector(token);
  PublishResult result = linkedin.publish(request_for("Hello"));
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("Invalid access token"), std::string::npos) << message_of(result);
  EXPECT_EQ(message_of(result).find(token), std::string::npos);
  EXPECT_TRUE(posts().empty());
}

// Error handling: an expired token is 401 EXPIRED_ACCESS_TOKEN (serviceErrorCode 65602).
TEST_F(LinkedinConnectorTest, AnExpiredTokenIsAuthFailed) {
  channel_.author = kMember;
  auto linkedin = connector(kMemberToken);
  PublishResult result = linkedin.publish(request_for("Hello"));
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("expired"), std::string::npos) << message_of(result);
  EXPECT_NE(message_of(result).find("65602"), std::string::npos) << message_of(result);
}

// Programmatic refresh (learn.microsoft.com/linkedin/shared/authentication/
// programmatic-refresh-tokens): with a refresh token, the expired access
// token's 401 makes the connector refresh and send again; later requests use
// the refreshed token without refreshing again.
TEST_F(LinkedinConnectorTest, AnExpiredTokenIsRefreshedWhenTheFileHasARefreshToken) {
  channel_.author = kMember;
  channel_.credentials = "linkedin-member";
  LinkedinConnector linkedin(channel_, credentials(kMemberToken, kMemberRefresh), recorder_, state_, fixed_now);
  PublishResult first = linkedin.publish(request_for("Refreshed once"));
  ASSERT_TRUE(std::holds_alternative<Published>(first)) << message_of(first);
  PublishResult second = linkedin.publish(request_for("And still fresh"));
  ASSERT_TRUE(std::holds_alternative<Published>(second)) << message_of(second);
  EXPECT_EQ(recorder_.count("POST", "/oauth/v2/accessToken"), 1);
  EXPECT_EQ(recorder_.count("POST", "/rest/posts"), 3);  // the refused one, then two
  ASSERT_EQ(posts().size(), 2u);
  EXPECT_EQ(posts()[0].account, kMember);
}

// Programmatic refresh: a refresh token LinkedIn refuses is AuthFailed,
// saying which credential to replace and no secret.
TEST_F(LinkedinConnectorTest, ARefusedRefreshTokenIsAuthFailedWithoutSecrets) {
  channel_.author = kMember;
  channel_.credentials = "linkedin-member";
  LinkedinConnector linkedin(channel_, credentials(kMemberToken, "FAKE-revoked-refresh-XYZZY"), recorder_, state_,
                             fixed_now);
  PublishResult result = linkedin.publish(request_for("Never out"));
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << message_of(result);
  const std::string message = message_of(result);
  EXPECT_NE(message.find("invalid_grant"), std::string::npos) << message;
  EXPECT_NE(message.find("linkedin-member"), std::string::npos) << message;
  for (const char* secret : {"FAKE-revoked-refresh-XYZZY", kClientSecret, kMemberToken})
    EXPECT_EQ(message.find(secret), std::string::npos) << message;
  EXPECT_TRUE(posts().empty());
}

// Rate limits (learn.microsoft.com/linkedin/shared/api-guide/concepts/rate-limits):
// 429 without Retry-After waits until the daily reset at midnight UTC.
TEST_F(LinkedinConnectorTest, ARateLimitIsRetryLaterUntilMidnightUtc) {
  sandbox_->add_fault({"POST /rest/posts", Sandbox::FaultMode::rate_limit, 1, 60, 0});
  auto linkedin = connector();
  PublishResult result = linkedin.publish(request_for("Hello"));
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << message_of(result);
  ASSERT_TRUE(std::get<RetryLater>(result).after.has_value());
  EXPECT_EQ(*std::get<RetryLater>(result).after, 14h);
  EXPECT_NE(message_of(result).find("throttle"), std::string::npos) << message_of(result);
  EXPECT_TRUE(posts().empty());
}

// Posts API: commentary is limited to 3,000 characters; LinkedIn's 422 is
// Failed with its own words.
TEST_F(LinkedinConnectorTest, AnOverLongCommentaryFailsWithLinkedInsMessage) {
  auto linkedin = connector();
  PublishResult result = linkedin.publish(request_for(std::string(3001, 'a')));
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("exceeds the maximum allowed length of 3000"), std::string::npos)
      << message_of(result);
  EXPECT_NE(message_of(result).find("HTTP 422"), std::string::npos) << message_of(result);
  EXPECT_TRUE(posts().empty());
  // 3,000 is allowed (characters, not bytes: é is two bytes).
  std::string longest;
  for (int i = 0; i < 3000; ++i) longest += "\xC3\xA9";
  EXPECT_TRUE(std::holds_alternative<Published>(linkedin.publish(request_for(longest))));
}

// Posts API + "Find Posts by Authors": an answer lost after the create is
// Unsure; the lookup by exact commentary finds the one post.
TEST_F(LinkedinConnectorTest, ADroppedAnswerIsUnsureAndTheLookupFindsThePost) {
  sandbox_->add_fault({"POST /rest/posts", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  RecordingClient short_recorder{short_http_};
  auto linkedin = connector(kOrgToken, &short_recorder);
  const auto request = request_for(escape_little_text("Lost answer (but posted)"));
  PublishResult result = linkedin.publish(request);
  ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << message_of(result);
  ASSERT_EQ(posts().size(), 1u);
  LookupResult found = linkedin.lookup(request);
  ASSERT_TRUE(std::holds_alternative<Found>(found));
  EXPECT_EQ(std::get<Found>(found).remote_id, posts()[0].id);
  EXPECT_EQ(std::get<Found>(found).url, linkedin_post_url(posts()[0].id));
  EXPECT_EQ(posts().size(), 1u);
}

// "Find Posts by Authors" + little text format: a post read back with its
// hashtags as templates ({hashtag|\#|spring}) is still recognised as the
// one herald sent with #spring.
TEST_F(LinkedinConnectorTest, TheLookupRecognisesHashtagsReadBackAsTemplates) {
  sandbox_->add_fault({"POST /rest/posts", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  auto linkedin = connector(kOrgToken, &short_http_);
  const auto request = request_for(escape_little_text("Lost in #spring (2027) #fiets"));
  ASSERT_TRUE(std::holds_alternative<Unsure>(linkedin.publish(request)));
  LookupResult found = linkedin.lookup(request);
  ASSERT_TRUE(std::holds_alternative<Found>(found));
  EXPECT_EQ(std::get<Found>(found).remote_id, posts().at(0).id);
  EXPECT_TRUE(std::holds_alternative<Absent>(linkedin.lookup(request_for(escape_little_text("Lost in #summer (2027) #fiets")))));
}

// Posts API: an answer that never comes within the client's read timeout is
// Unsure; LinkedIn makes the post anyway, and a second create of the same
// commentary is refused as DUPLICATE_POST, which is Duplicate: no second post.
TEST_F(LinkedinConnectorTest, AHangIsUnsureAndTheRepeatIsDuplicate) {
  sandbox_->add_fault({"POST /rest/posts", Sandbox::FaultMode::delay, 1, 60, 1000});
  auto linkedin = connector(kOrgToken, &short_http_);
  const auto request = request_for("Slow but sure");
  PublishResult first = linkedin.publish(request);
  ASSERT_TRUE(std::holds_alternative<Unsure>(first)) << message_of(first);
  wait_for_posts(1);
  ASSERT_EQ(posts().size(), 1u);
  PublishResult second = linkedin.publish(request);
  ASSERT_TRUE(std::holds_alternative<Duplicate>(second)) << message_of(second);
  EXPECT_NE(message_of(second).find("Content is a duplicate of " + posts()[0].id), std::string::npos)
      << message_of(second);
  EXPECT_NE(message_of(second).find("DUPLICATE_POST"), std::string::npos) << message_of(second);
  EXPECT_EQ(posts().size(), 1u);
}

// Error handling: a 5xx to the create may come after the post was stored,
// so it is Unsure, not RetryLater.
TEST_F(LinkedinConnectorTest, AServerErrorToTheCreateIsUnsure) {
  sandbox_->add_fault({"POST /rest/posts", Sandbox::FaultMode::server_error, 1, 60, 0});
  PublishResult result = connector().publish(request_for("Hello"));
  EXPECT_TRUE(std::holds_alternative<Unsure>(result)) << message_of(result);
}

// "Find Posts by Authors": no post with this commentary is Absent (another
// post of the author's is not taken for it); an error reading is Unknown.
TEST_F(LinkedinConnectorTest, TheLookupIsAbsentWithoutThePostAndUnknownOnErrors) {
  auto linkedin = connector();
  ASSERT_TRUE(std::holds_alternative<Published>(linkedin.publish(request_for("Another post"))));
  EXPECT_TRUE(std::holds_alternative<Absent>(linkedin.lookup(request_for("Never sent"))));
  sandbox_->add_fault({"GET /rest/posts", Sandbox::FaultMode::server_error, 1, 60, 0});
  EXPECT_TRUE(std::holds_alternative<Unknown>(linkedin.lookup(request_for("Never sent"))));
  EXPECT_TRUE(std::holds_alternative<Unknown>(connector("FAKE-bad").lookup(request_for("Another post"))));
}

// API versioning (learn.microsoft.com/linkedin/marketing/versioning): a
// retired version is 426 NONEXISTENT_VERSION, Failed with LinkedIn's words.
TEST_F(LinkedinConnectorTest, ARetiredVersionFailsNamingIt) {
  channel_.api_version = "202301";
  PublishResult result = connector().publish(request_for("Hello"));
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("Requested version 202301 is not active"), std::string::npos)
      << message_of(result);
  EXPECT_NE(message_of(result).find("NONEXISTENT_VERSION"), std::string::npos) << message_of(result);
}

// Posts API: a token may post only as its own author (403 ACCESS_DENIED).
TEST_F(LinkedinConnectorTest, AnotherAuthorsPostIsFailed) {
  channel_.author = "urn:li:organization:999";
  PublishResult result = connector().publish(request_for("Hello"));
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("ACCESS_DENIED"), std::string::npos) << message_of(result);
}

// Stands in for an answer whose uploadUrl names another host: rewrites
// 127.0.0.1 to localhost in the answer to initializeUpload (the same
// sandbox under another name, so the upload still arrives).
class OtherUploadHostClient : public HttpClient {
 public:
  explicit OtherUploadHostClient(HttpClient& inner) : inner_(inner) {}
  HttpResponse send(const HttpRequest& request) override {
    HttpResponse response = inner_.send(request);
    if (request.url.find("action=initializeUpload") != std::string::npos) {
      if (auto at = response.body.find("127.0.0.1"); at != std::string::npos) response.body.replace(at, 9, "localhost");
    }
    return response;
  }

 private:
  HttpClient& inner_;
};

// Images API: the upload URL comes from LinkedIn's answer; the token goes
// only to LinkedIn's hosts (here: the api_base's), never to another one, so
// the sandbox's upload, which needs it, is refused and nothing is posted.
TEST_F(LinkedinConnectorTest, TheTokenGoesToNoOtherUploadHost) {
  auto request = request_for("A photo");
  request.composed.media.push_back(write_file("a.jpg", jpeg_bytes()));
  RecordingClient wire{http_};
  OtherUploadHostClient elsewhere{wire};
  auto linkedin = connector(kOrgToken, &elsewhere);
  PublishResult result = linkedin.publish(request);
  EXPECT_FALSE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_FALSE(std::holds_alternative<Unsure>(result)) << message_of(result);
  ASSERT_EQ(wire.count("PUT", "http://localhost:"), 1);
  EXPECT_EQ(wire.last_header("PUT", "Authorization"), "");
  EXPECT_TRUE(posts().empty());
  // And to the api_base's own host it does go (the other tests' uploads).
  RecordingClient direct{http_};
  request.composed.text = "A photo, uploaded to LinkedIn's own host";
  ASSERT_TRUE(std::holds_alternative<Published>(connector(kOrgToken, &direct).publish(request)));
  EXPECT_EQ(direct.last_header("PUT", "Authorization"), std::string("Bearer ") + kOrgToken);
}

class LinkedinCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("herald-li-cred-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  Credentials load(const std::string& body) {
    const auto path = dir_ / "linkedin";
    std::ofstream(path) << body;
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return load_credentials(dir_, "linkedin", credential_keys(ChannelKind::linkedin));
  }
  std::filesystem::path dir_;
};

// Programmatic refresh / token introspection
// (learn.microsoft.com/linkedin/shared/authentication/programmatic-refresh-tokens):
// access tokens live 60 days; herald reads when from the file's expires_at.
TEST_F(LinkedinCredentialsTest, CredentialsExpireAtComesFromExpiresAt) {
  HttplibClient http{"test"};
  MemoryConnectorState state;
  ChannelSettings channel;
  channel.kind = ChannelKind::linkedin;
  channel.author = kOrg;
  auto rfc3339 = linkedin_credentials(load("access_token: FAKE-token-1\nexpires_at: 2027-01-31T12:00:00Z\n"));
  LinkedinConnector a(channel, rfc3339, http, state, fixed_now);
  ASSERT_TRUE(a.credentials_expire_at().has_value());
  EXPECT_EQ(*a.credentials_expire_at(),
            std::chrono::system_clock::time_point{date::sys_days{date::year{2027} / 1 / 31} + 12h});
  auto unix_seconds = linkedin_credentials(load("access_token: FAKE-token-1\nexpires_at: 1800000000\n"));
  LinkedinConnector b(channel, unix_seconds, http, state, fixed_now);
  EXPECT_EQ(*b.credentials_expire_at(), std::chrono::system_clock::time_point{std::chrono::seconds{1800000000}});
  auto with_offset = linkedin_credentials(load("access_token: FAKE-token-1\nexpires_at: 2027-01-31T13:00:00+01:00\n"));
  EXPECT_EQ(with_offset.expires_at, rfc3339.expires_at);
  auto none = linkedin_credentials(load("access_token: FAKE-token-1\n"));
  LinkedinConnector c(channel, none, http, state, fixed_now);
  EXPECT_FALSE(c.credentials_expire_at().has_value());
  // A refresh token renews the access token: its end is not the credentials'.
  auto refreshable = linkedin_credentials(load("access_token: FAKE-token-1\nexpires_at: 1800000000\n"
                                               "refresh_token: FAKE-r\nclient_id: id\nclient_secret: FAKE-s\n"));
  LinkedinConnector d(channel, refreshable, http, state, fixed_now);
  EXPECT_FALSE(d.credentials_expire_at().has_value());
}

TEST_F(LinkedinCredentialsTest, ARefreshTokenNeedsTheClient) {
  auto full = linkedin_credentials(
      load("access_token: FAKE-a\nrefresh_token: FAKE-r\nclient_id: id1\nclient_secret: FAKE-s\n"));
  ASSERT_TRUE(full.refresh_token.has_value());
  EXPECT_EQ(full.client_id, "id1");
  try {
    linkedin_credentials(load("access_token: FAKE-a\nrefresh_token: FAKE-r-SECRET\nclient_id: id1\n"));
    ADD_FAILURE() << "a refresh token without client_secret was accepted";
  } catch (const CredentialError& e) {
    EXPECT_NE(std::string(e.what()).find("client_secret"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("FAKE-r-SECRET"), std::string::npos) << e.what();
  }
}

TEST_F(LinkedinCredentialsTest, ABadExpiresAtNamesFileAndKeyButNoValue) {
  for (std::string bad : {"next-tuesday-SECRETISH", "2027-01-31 12:00", "1800000000000000"}) {
    try {
      linkedin_credentials(load("access_token: FAKE-token-SECRET-value\nexpires_at: " + bad + "\n"));
      ADD_FAILURE() << "accepted " << bad;
    } catch (const CredentialError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find((dir_ / "linkedin").string()), std::string::npos) << what;
      EXPECT_NE(what.find("expires_at"), std::string::npos) << what;
      EXPECT_EQ(what.find(bad), std::string::npos) << what;
      EXPECT_EQ(what.find("FAKE-token-SECRET-value"), std::string::npos) << what;
    }
  }
}

}  // namespace
}  // namespace herald
