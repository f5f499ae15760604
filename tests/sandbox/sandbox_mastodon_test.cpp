// The Mastodon part of herald-sandbox, spoken to directly with an HTTP
// client: statuses and their Idempotency-Key, the length rule, the HTML
// content, media processing, the instance, the account's statuses, tokens
// and scopes, rate-limit headers and faults, each as the Mastodon document
// named above the test says (docs.joinmastodon.org). Time is the sandbox's
// injected clock: no test waits for the wall clock.
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace herald {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kToken = "FAKE-mastodon-token-a";
constexpr const char* kAccountId = "109000000000000001";
constexpr const char* kReadOnlyToken = "FAKE-mastodon-read-only-token";
constexpr const char* kOtherToken = "FAKE-mastodon-token-b";
constexpr const char* kOtherId = "109000000000000002";
// 2026-12-02T10:00:00Z, on a 5-minute boundary.
constexpr std::int64_t kStartMs = 1796205600000;

std::string png_bytes() {
  std::string bytes("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  for (int i = 0; i < 300; ++i) bytes += static_cast<char>(i * 7);
  return bytes;
}
std::string mp4_bytes() {
  std::string bytes("\0\0\0\x18" "ftypmp42", 12);
  for (int i = 0; i < 300; ++i) bytes += static_cast<char>(i * 11);
  return bytes;
}

class MastodonSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override { start(MastodonSandboxConfig{}); }
  void TearDown() override { sandbox_->stop(); }

  // Starts a sandbox with `mastodon`, and the three test accounts unless
  // `own_accounts` (then the accounts given).
  void start(MastodonSandboxConfig mastodon, bool own_accounts = false) {
    if (sandbox_) sandbox_->stop();
    if (!own_accounts) {
      MastodonSandboxConfig::Account a{kAccountId, "sandbox_herald", kToken, {"read", "write"}};
      MastodonSandboxConfig::Account read_only{"109000000000000003", "reader", kReadOnlyToken, {"read"}};
      MastodonSandboxConfig::Account other{kOtherId, "other", kOtherToken, {"read", "write"}};
      mastodon.accounts = {a, read_only, other};
    }
    Sandbox::Config config;
    config.mastodon = std::move(mastodon);
    config.now_ms = [this] { return now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", sandbox_->port());
    client_->set_read_timeout(std::chrono::seconds(5));
  }

  static httplib::Headers auth(const std::string& token = kToken, const std::string& key = {}) {
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    if (!key.empty()) h.emplace("Idempotency-Key", key);
    return h;
  }
  httplib::Result post_status(json::object body, const httplib::Headers& h = auth()) {
    return client_->Post("/api/v1/statuses", h, json::serialize(body), "application/json");
  }
  httplib::Result upload(const std::string& bytes, const std::string& type, const std::string& description = {},
                         const std::string& token = kToken) {
    httplib::MultipartFormDataItems items{{"file", bytes, "picture", type}};
    if (!description.empty()) items.push_back({"description", description, "", ""});
    return client_->Post("/api/v2/media", auth(token), items);
  }
  static json::value body_of(const httplib::Result& res) { return json::parse(res->body); }
  static std::string error_of(const httplib::Result& res) {
    return json::value_to<std::string>(body_of(res).at("error"));
  }
  static std::string str(const json::value& v, const char* key) {
    return json::value_to<std::string>(v.at(key));
  }
  std::size_t statuses() const { return sandbox_->creates().size(); }
  void advance(std::chrono::seconds by) { now_ms_ += std::chrono::milliseconds(by).count(); }

  std::atomic<std::int64_t> now_ms_{kStartMs};
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<httplib::Client> client_;
};

// methods/statuses "Post a new status" and entities/Status: 200 with the
// Status (id, url on the instance, HTML content, visibility, spoiler_text,
// language); the record keeps what was sent.
TEST_F(MastodonSandboxTest, ACreateAnswersTheStatus) {
  auto res = post_status({{"status", "Hello fediverse"},
                          {"visibility", "unlisted"},
                          {"spoiler_text", "greeting"},
                          {"language", "en"}},
                         auth(kToken, "key-1"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto status = body_of(res);
  const std::string id = str(status, "id");
  EXPECT_EQ(str(status, "url"), "https://mastodon.example/@sandbox_herald/" + id);
  EXPECT_EQ(str(status, "uri"), "https://mastodon.example/users/sandbox_herald/statuses/" + id);
  EXPECT_EQ(str(status, "content"), "<p>Hello fediverse</p>");
  EXPECT_EQ(str(status, "visibility"), "unlisted");
  EXPECT_EQ(str(status, "spoiler_text"), "greeting");
  EXPECT_TRUE(status.at("sensitive").as_bool());
  EXPECT_EQ(str(status, "language"), "en");
  EXPECT_EQ(str(status, "created_at"), "2026-12-02T10:00:00.000Z");
  EXPECT_EQ(str(status.at("account"), "id"), kAccountId);
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].platform, "mastodon");
  EXPECT_EQ(creates[0].account, "sandbox_herald");
  EXPECT_EQ(creates[0].id, id);
  EXPECT_EQ(creates[0].text, "Hello fediverse");
  EXPECT_EQ(creates[0].fields.at("idempotency_key"), "key-1");
  EXPECT_EQ(creates[0].fields.at("visibility"), "unlisted");
  EXPECT_EQ(creates[0].fields.at("spoiler_text"), "greeting");
  EXPECT_EQ(creates[0].fields.at("language"), "en");
  EXPECT_EQ(creates[0].headers.at("Idempotency-Key"), "key-1");
  // GET /api/v1/statuses/:id ("View a single status") answers the same.
  auto got = client_->Get("/api/v1/statuses/" + id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(str(body_of(got), "content"), "<p>Hello fediverse</p>");
}

// methods/statuses: the parameters are form data; media_ids[] repeats.
TEST_F(MastodonSandboxTest, FormDataIsAcceptedAsWell) {
  auto media = upload(png_bytes(), "image/png", "a tiny picture");
  ASSERT_EQ(media->status, 200) << media->body;
  const std::string media_id = str(body_of(media), "id");
  auto res = client_->Post("/api/v1/statuses", auth(),
                           "status=From+a+form&visibility=private&media_ids%5B%5D=" + media_id,
                           "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].text, "From a form");
  EXPECT_EQ(creates[0].fields.at("visibility"), "private");
  ASSERT_EQ(creates[0].media_ids, std::vector<std::string>{media_id});
  EXPECT_EQ(creates[0].fields.at("alt:" + media_id), "a tiny picture");
}

// methods/statuses 401 and api/oauth-scopes: no token or an unknown one is
// 401 "The access token is invalid"; a token without write:statuses is 403
// "This action is outside the authorized scopes". Nothing is made.
TEST_F(MastodonSandboxTest, TokensAndScopesAreChecked) {
  auto none = post_status({{"status", "a"}}, auth(""));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(error_of(none), "The access token is invalid");
  auto bad = post_status({{"status", "a"}}, auth("FAKE-nobody"));
  EXPECT_EQ(bad->status, 401);
  auto read_only = post_status({{"status", "a"}}, auth(kReadOnlyToken));
  EXPECT_EQ(read_only->status, 403);
  EXPECT_EQ(error_of(read_only), "This action is outside the authorized scopes");
  EXPECT_EQ(upload(png_bytes(), "image/png", "", kReadOnlyToken)->status, 403);
  EXPECT_EQ(statuses(), 0u);
  // Reading is what the read-only token may do.
  auto me = client_->Get("/api/v1/accounts/verify_credentials", auth(kReadOnlyToken));
  EXPECT_EQ(me->status, 200);
}

// methods/statuses with Mastodon's StatusLengthValidator: the content
// warning and the text together, each URL as characters_reserved_per_url
// (23), a remote mention as @user; over max_characters is 422 "Validation
// failed: Text character limit of 500 exceeded".
TEST_F(MastodonSandboxTest, TheLengthIsMeasuredAsMastodonDoes) {
  const std::string url = "https://example.nl/" + std::string(100, 'x');  // 119 characters, counts 23
  const std::string exactly = std::string(476, 'a') + " " + url;           // 476 + 1 + 23 = 500
  auto ok = post_status({{"status", exactly}});
  ASSERT_EQ(ok->status, 200) << ok->body;
  auto over = post_status({{"status", "b" + exactly}});
  ASSERT_EQ(over->status, 422);
  EXPECT_EQ(error_of(over), "Validation failed: Text character limit of 500 exceeded");
  // The content warning counts too.
  auto warned = post_status({{"status", exactly}, {"spoiler_text", "!"}});
  EXPECT_EQ(warned->status, 422);
  // A remote mention counts as @user: 9 + 1 + 490 = 500.
  auto mention = post_status({{"status", "@anna@other.example " + std::string(490, 'c')}});
  EXPECT_EQ(mention->status, 200) << mention->body;
  // Blank text without media is 422 as documented.
  auto blank = post_status({{"status", "   "}});
  EXPECT_EQ(blank->status, 422);
  EXPECT_EQ(error_of(blank), "Validation failed: Text can't be blank");
  EXPECT_EQ(statuses(), 2u);
}

// methods/statuses "Idempotency-Key ... stored for up to 1 hour" (and
// PostStatusService: per account, checked first): the same key of the same
// account within the hour answers the first status and makes nothing, even
// with other content; another account's key is its own; after the hour
// (sandbox clock) the key is forgotten.
TEST_F(MastodonSandboxTest, TheIdempotencyKeyAnswersTheFirstStatusForAnHour) {
  auto first = post_status({{"status", "Once"}}, auth(kToken, "same-key"));
  ASSERT_EQ(first->status, 200);
  const std::string id = str(body_of(first), "id");
  advance(59min);
  auto again = post_status({{"status", "Once, but edited"}}, auth(kToken, "same-key"));
  ASSERT_EQ(again->status, 200);
  EXPECT_EQ(str(body_of(again), "id"), id);
  EXPECT_EQ(str(body_of(again), "content"), "<p>Once</p>");
  EXPECT_EQ(statuses(), 1u);
  auto other = post_status({{"status", "Once"}}, auth(kOtherToken, "same-key"));
  ASSERT_EQ(other->status, 200);
  EXPECT_NE(str(body_of(other), "id"), id);
  EXPECT_EQ(statuses(), 2u);
  advance(61s);  // an hour and a second after the first status was made
  auto later = post_status({{"status", "Once"}}, auth(kToken, "same-key"));
  ASSERT_EQ(later->status, 200);
  EXPECT_NE(str(body_of(later), "id"), id);
  EXPECT_EQ(statuses(), 3u);
}

// entities/Status "content" as Mastodon's TextFormatter makes it:
// characters escaped, a URL's scheme and www. hidden, 30 characters shown
// and the rest hidden behind an ellipsis, a hashtag and a mention as links,
// a line break as <br />, paragraphs at blank lines.
TEST_F(MastodonSandboxTest, TheContentIsRenderedAsMastodonRendersIt) {
  const std::string text =
      "Spring is here!\nRead https://www.example.nl/blog/2027/spring-is-here-at-last?utm_source=mastodon & tell "
      "@anna@other.example #spring2027\n\n<b>Bold</b> \"quoted\" it's https://x.nl/a";
  const std::string expected =
      "<p>Spring is here!<br />Read <a href=\"https://www.example.nl/blog/2027/spring-is-here-at-last?utm_source="
      "mastodon\" target=\"_blank\" rel=\"nofollow noopener noreferrer\"><span class=\"invisible\">https://www."
      "</span><span class=\"ellipsis\">example.nl/blog/2027/spring-is</span><span class=\"invisible\">-here-at-last"
      "?utm_source=mastodon</span></a> &amp; tell <span class=\"h-card\"><a href=\"https://other.example/@anna\" "
      "class=\"u-url mention\">@<span>anna</span></a></span> <a href=\"https://mastodon.example/tags/spring2027\" "
      "class=\"mention hashtag\" rel=\"tag\">#<span>spring2027</span></a></p><p>&lt;b&gt;Bold&lt;/b&gt; &quot;"
      "quoted&quot; it&#39;s <a href=\"https://x.nl/a\" target=\"_blank\" rel=\"nofollow noopener noreferrer\">"
      "<span class=\"invisible\">https://</span><span class=\"\">x.nl/a</span><span class=\"invisible\"></span>"
      "</a></p>";
  EXPECT_EQ(mastodon_render_html(text, "mastodon.example"), expected);
  auto res = post_status({{"status", text}});
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(str(body_of(res), "content"), expected);
  EXPECT_EQ(sandbox_->creates().at(0).fields.at("content"), expected);
  // Three line breaks are one paragraph break; the status's text is
  // stripped before it is rendered (Status#prepare_contents).
  auto stripped = post_status({{"status", "  a\n\n\nb\nc \n"}});
  ASSERT_EQ(stripped->status, 200);
  EXPECT_EQ(str(body_of(stripped), "content"), "<p>a</p><p>b<br />c</p>");
}

// methods/media: an image is processed at once (200 with its url); with
// processing time, 202 with url null, GET /api/v1/media/:id 206 until the
// sandbox clock has passed it, then 200 with the url; a status with an
// attachment still processing is 422 "Cannot attach files that have not
// finished processing. Try again in a moment!"; once attached, GET is 404.
TEST_F(MastodonSandboxTest, MediaAreProcessedOnTheSandboxClock) {
  auto now = upload(png_bytes(), "image/png", "processed at once");
  ASSERT_EQ(now->status, 200) << now->body;
  EXPECT_FALSE(body_of(now).at("url").is_null());
  EXPECT_EQ(str(body_of(now), "type"), "image");
  EXPECT_EQ(str(body_of(now), "description"), "processed at once");

  auto video = upload(mp4_bytes(), "video/mp4", "a short film");  // video_processing_seconds: 10
  ASSERT_EQ(video->status, 202) << video->body;
  EXPECT_TRUE(body_of(video).at("url").is_null());
  EXPECT_FALSE(body_of(video).at("preview_url").is_null());
  const std::string id = str(body_of(video), "id");
  auto processing = client_->Get("/api/v1/media/" + id, auth());
  ASSERT_EQ(processing->status, 206);
  auto early = post_status({{"status", "Too soon"}, {"media_ids", json::array{id}}});
  ASSERT_EQ(early->status, 422);
  EXPECT_EQ(error_of(early), "Cannot attach files that have not finished processing. Try again in a moment!");
  advance(10s);
  auto done = client_->Get("/api/v1/media/" + id, auth());
  ASSERT_EQ(done->status, 200);
  EXPECT_FALSE(body_of(done).at("url").is_null());
  auto posted = post_status({{"status", "Now"}, {"media_ids", json::array{id}}});
  ASSERT_EQ(posted->status, 200) << posted->body;
  EXPECT_EQ(str(body_of(posted).at("media_attachments").at(0), "id"), id);
  EXPECT_EQ(client_->Get("/api/v1/media/" + id, auth())->status, 404);
  // Another account's attachment is not found either.
  EXPECT_EQ(client_->Get("/api/v1/media/" + str(body_of(now), "id"), auth(kOtherToken))->status, 404);
}

// methods/media 422 "Validation failed: File content type is invalid, File
// is invalid" (a type Mastodon does not take, or one the bytes belie);
// configuration.media_attachments.description_limit; PostStatusService:
// at most max_media_attachments, a video alone, only the account's own
// unattached attachments.
TEST_F(MastodonSandboxTest, MediaAreValidated) {
  auto octets = upload(png_bytes(), "application/octet-stream");
  ASSERT_EQ(octets->status, 422);
  EXPECT_EQ(error_of(octets), "Validation failed: File content type is invalid, File is invalid");
  EXPECT_EQ(upload(png_bytes(), "image/jpeg")->status, 422);
  auto long_alt = upload(png_bytes(), "image/png", std::string(1501, 'x'));
  ASSERT_EQ(long_alt->status, 422);
  EXPECT_EQ(error_of(long_alt), "Validation failed: Description is too long (maximum is 1500 characters)");

  json::array five;
  for (int i = 0; i < 5; ++i) five.emplace_back(str(body_of(upload(png_bytes(), "image/png")), "id"));
  auto too_many = post_status({{"status", "five"}, {"media_ids", five}});
  ASSERT_EQ(too_many->status, 422);
  EXPECT_EQ(error_of(too_many), "Cannot attach more than 4 files");
  advance(10s);
  const std::string video = str(body_of(upload(mp4_bytes(), "video/mp4")), "id");
  advance(10s);
  auto mixed = post_status({{"status", "mixed"}, {"media_ids", json::array{five[0], video}}});
  ASSERT_EQ(mixed->status, 422);
  EXPECT_EQ(error_of(mixed), "Cannot attach a video to a post that already contains images");
  auto foreign = post_status({{"status", "not mine"}, {"media_ids", json::array{five[0]}}}, auth(kOtherToken));
  ASSERT_EQ(foreign->status, 422);
  EXPECT_EQ(error_of(foreign), "Media " + json::value_to<std::string>(five[0]) + " not found");
  EXPECT_EQ(statuses(), 0u);
}

// methods/instance: GET /api/v2/instance, public, configuration.statuses
// from the sandbox's settings.
TEST_F(MastodonSandboxTest, TheInstanceTellsItsLimits) {
  MastodonSandboxConfig config;
  config.max_characters = 1000;
  config.characters_reserved_per_url = 30;
  config.max_media_attachments = 6;
  start(config);
  auto res = client_->Get("/api/v2/instance");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const auto statuses_config = body_of(res).at("configuration").at("statuses");
  EXPECT_EQ(statuses_config.at("max_characters").as_int64(), 1000);
  EXPECT_EQ(statuses_config.at("characters_reserved_per_url").as_int64(), 30);
  EXPECT_EQ(statuses_config.at("max_media_attachments").as_int64(), 6);
  EXPECT_EQ(str(body_of(res), "domain"), "mastodon.example");
  EXPECT_EQ(post_status({{"status", std::string(1000, 'a')}})->status, 200);
  EXPECT_EQ(post_status({{"status", std::string(1001, 'a')}})->status, 422);
}

// methods/accounts: verify_credentials names the token's account; its
// statuses come newest first, `limit` at most 40, public and unlisted to
// anyone, private ones only to the author; a token without read:statuses is
// 403; an unknown account 404.
TEST_F(MastodonSandboxTest, TheAccountsStatusesAreListedNewestFirst) {
  auto me = client_->Get("/api/v1/accounts/verify_credentials", auth());
  ASSERT_EQ(me->status, 200);
  EXPECT_EQ(str(body_of(me), "id"), kAccountId);
  EXPECT_EQ(str(body_of(me), "username"), "sandbox_herald");
  EXPECT_TRUE(body_of(me).as_object().contains("source"));
  EXPECT_EQ(client_->Get("/api/v1/accounts/verify_credentials", auth("FAKE-nobody"))->status, 401);

  for (int i = 0; i < 45; ++i) {
    ASSERT_EQ(post_status({{"status", "Status " + std::to_string(i)}})->status, 200);
    advance(1s);
  }
  ASSERT_EQ(post_status({{"status", "Followers only"}, {"visibility", "private"}})->status, 200);
  const std::string path = std::string("/api/v1/accounts/") + kAccountId + "/statuses";
  auto own = client_->Get(path + "?limit=100", auth());
  ASSERT_EQ(own->status, 200);
  const auto list = body_of(own).as_array();
  ASSERT_EQ(list.size(), 40u);
  EXPECT_EQ(str(list[0], "content"), "<p>Followers only</p>");
  EXPECT_EQ(str(list[1], "content"), "<p>Status 44</p>");
  EXPECT_FALSE(own->get_header_value("Link").empty());
  auto anonymous = client_->Get(path + "?limit=2");
  ASSERT_EQ(anonymous->status, 200);
  EXPECT_EQ(str(body_of(anonymous).at(0), "content"), "<p>Status 44</p>");
  EXPECT_EQ(body_of(client_->Get(path)).as_array().size(), 20u);  // the default limit
  auto older = client_->Get(path + "?limit=1&max_id=" + str(list[1], "id"), auth());
  EXPECT_EQ(str(body_of(older).at(0), "content"), "<p>Status 43</p>");
  EXPECT_EQ(client_->Get(path, auth("FAKE-nobody"))->status, 401);
  EXPECT_EQ(client_->Get("/api/v1/accounts/123/statuses", auth())->status, 404);
  // A token with write only may not read statuses.
  MastodonSandboxConfig writer;
  writer.accounts = {{kAccountId, "writer", kToken, {"write"}}};
  start(writer, true);
  auto refused = client_->Get(path, auth());
  ASSERT_EQ(refused->status, 403);
  EXPECT_EQ(error_of(refused), "This action is outside the authorized scopes");
}

// api/rate-limits: X-RateLimit-Limit, -Remaining and -Reset (ISO 8601, the
// end of the window) on every answer; past the limit 429 {"error":"Too many
// requests"}; a new window lets requests through again.
TEST_F(MastodonSandboxTest, RateLimitHeadersOnEveryAnswerAnd429PastTheLimit) {
  MastodonSandboxConfig config;
  config.rate_limit = 3;
  start(config);
  auto first = client_->Get("/api/v2/instance", auth());
  ASSERT_EQ(first->status, 200);
  EXPECT_EQ(first->get_header_value("X-RateLimit-Limit"), "3");
  EXPECT_EQ(first->get_header_value("X-RateLimit-Remaining"), "2");
  EXPECT_EQ(first->get_header_value("X-RateLimit-Reset"), "2026-12-02T10:05:00.000000Z");
  EXPECT_EQ(post_status({{"status", "two"}})->get_header_value("X-RateLimit-Remaining"), "1");
  EXPECT_EQ(post_status({{"status", "three"}})->get_header_value("X-RateLimit-Remaining"), "0");
  auto limited = post_status({{"status", "four"}});
  ASSERT_EQ(limited->status, 429);
  EXPECT_EQ(error_of(limited), "Too many requests");
  EXPECT_EQ(limited->get_header_value("X-RateLimit-Remaining"), "0");
  EXPECT_EQ(limited->get_header_value("X-RateLimit-Reset"), "2026-12-02T10:05:00.000000Z");
  EXPECT_EQ(statuses(), 2u);
  // Another account has its own bucket; the next window is fresh.
  EXPECT_EQ(post_status({{"status", "other"}}, auth(kOtherToken))->status, 200);
  advance(300s);
  auto next = post_status({{"status", "five"}});
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->get_header_value("X-RateLimit-Reset"), "2026-12-02T10:10:00.000000Z");
}

// api/rate-limits: media uploads have their own bucket (30 per 30 minutes
// by default; here 2), and the headers report the bucket closer to its limit.
TEST_F(MastodonSandboxTest, MediaUploadsHaveTheirOwnBucket) {
  MastodonSandboxConfig config;
  config.media_limit = 2;
  start(config);
  auto one = upload(png_bytes(), "image/png");
  ASSERT_EQ(one->status, 200);
  EXPECT_EQ(one->get_header_value("X-RateLimit-Limit"), "2");
  EXPECT_EQ(one->get_header_value("X-RateLimit-Remaining"), "1");
  EXPECT_EQ(one->get_header_value("X-RateLimit-Reset"), "2026-12-02T10:30:00.000000Z");
  EXPECT_EQ(upload(png_bytes(), "image/png")->status, 200);
  EXPECT_EQ(upload(png_bytes(), "image/png")->status, 429);
  EXPECT_EQ(post_status({{"status", "text still goes"}})->status, 200);
}

// The core's faults on Mastodon's routes: server_error (500, nothing
// made), rate_limit (429, X-RateLimit-Reset reset_in seconds ahead),
// drop_after_create (the status is made, the answer never arrives; the
// same key then answers it), delay (held, then made).
TEST_F(MastodonSandboxTest, FaultsActOnMastodonsRoutes) {
  sandbox_->add_fault({"POST /api/v1/statuses", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto failed = post_status({{"status", "a"}});
  ASSERT_EQ(failed->status, 500);
  EXPECT_EQ(statuses(), 0u);

  sandbox_->add_fault({"/api/v1/statuses", Sandbox::FaultMode::rate_limit, 1, 120, 0});
  auto limited = post_status({{"status", "a"}});
  ASSERT_EQ(limited->status, 429);
  EXPECT_EQ(limited->get_header_value("X-RateLimit-Reset"), "2026-12-02T10:02:00.000000Z");
  EXPECT_EQ(limited->get_header_value("X-RateLimit-Remaining"), "0");
  EXPECT_EQ(statuses(), 0u);

  sandbox_->add_fault({"POST /api/v1/statuses", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  auto dropped = post_status({{"status", "lost answer"}}, auth(kToken, "drop-key"));
  EXPECT_FALSE(dropped && dropped->status == 200);
  ASSERT_EQ(statuses(), 1u);
  auto repeat = post_status({{"status", "lost answer"}}, auth(kToken, "drop-key"));
  ASSERT_EQ(repeat->status, 200);
  EXPECT_EQ(str(body_of(repeat), "id"), sandbox_->creates()[0].id);
  EXPECT_EQ(statuses(), 1u);

  sandbox_->add_fault({"POST /api/v1/statuses", Sandbox::FaultMode::delay, 1, 60, 300});
  client_->set_read_timeout(std::chrono::milliseconds(100));
  auto slow = post_status({{"status", "slow"}}, auth(kToken, "slow-key"));
  EXPECT_FALSE(slow && slow->status == 200);
  for (int i = 0; i < 2000 && (sandbox_->held() > 0 || statuses() < 2); ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(statuses(), 2u);

  sandbox_->add_fault({"GET /api/v1/accounts/:id/statuses", Sandbox::FaultMode::server_error, 1, 60, 0});
  client_->set_read_timeout(std::chrono::seconds(5));
  EXPECT_EQ(client_->Get(std::string("/api/v1/accounts/") + kAccountId + "/statuses", auth())->status, 500);
}

// entities/Status: replies_count, reblogs_count, favourites_count and (4.5)
// quotes_count, read with "View a single status"; the sandbox's grow with
// the status's age on its clock.
TEST_F(MastodonSandboxTest, AStatusCountsGrowWithItsAge) {
  auto created = post_status({{"status", "Counted"}});
  ASSERT_EQ(created->status, 200);
  const std::string id = str(body_of(created), "id");
  EXPECT_EQ(body_of(created).at("favourites_count").as_int64(), 0);
  advance(600s);
  auto read = client_->Get("/api/v1/statuses/" + id, auth());
  ASSERT_EQ(read->status, 200) << read->body;
  const Engagement e = engagement_after(600'000);
  const json::value status = body_of(read);
  EXPECT_EQ(status.at("replies_count").as_int64(), e.replies);
  EXPECT_EQ(status.at("reblogs_count").as_int64(), e.shares);
  EXPECT_EQ(status.at("favourites_count").as_int64(), e.likes);
  EXPECT_EQ(status.at("quotes_count").as_int64(), e.quotes);
  advance(1h);
  EXPECT_EQ(body_of(client_->Get("/api/v1/statuses/" + id, auth())).at("favourites_count").as_int64(),
            engagement_after(4'200'000).likes);
  // Public: anyone may read a public status's counts.
  EXPECT_EQ(client_->Get("/api/v1/statuses/" + id)->status, 200);
}

// "View a single status": 404 {"error":"Record not found"} for a status
// deleted (here by its author in Mastodon's app); it is gone from the
// account's statuses too.
TEST_F(MastodonSandboxTest, ADeletedStatusIsRecordNotFound) {
  auto created = post_status({{"status", "Deleted by hand"}});
  ASSERT_EQ(created->status, 200);
  const std::string id = str(body_of(created), "id");
  ASSERT_TRUE(sandbox_->delete_post("mastodon", id));
  auto read = client_->Get("/api/v1/statuses/" + id, auth());
  ASSERT_EQ(read->status, 404);
  EXPECT_EQ(error_of(read), "Record not found");
  auto listed = client_->Get(std::string("/api/v1/accounts/") + kAccountId + "/statuses", auth());
  ASSERT_EQ(listed->status, 200);
  EXPECT_TRUE(body_of(listed).as_array().empty());
  EXPECT_EQ(sandbox_->creates().at(0).fields.at("deleted"), "true");
}

// The example configuration has a Mastodon account with a fake token.
TEST(MastodonSandboxConfigTest, TheExampleConfigurationLoads) {
  auto config = load_sandbox_config(HERALD_SOURCE_DIR "/tests/sandbox/sandbox.example.yaml");
  ASSERT_FALSE(config.mastodon.accounts.empty());
  EXPECT_TRUE(config.mastodon.accounts[0].access_token.starts_with("FAKE-"));
  EXPECT_EQ(config.mastodon.max_characters, 500u);
  EXPECT_EQ(config.mastodon.idempotency_seconds, 3600);
}

}  // namespace
}  // namespace herald
