// The LinkedIn part of herald-sandbox, spoken to directly with an HTTP
// client: the versioned headers, auth, the duplicate rule, uploads and the
// author finder, each as the LinkedIn document named above the test says.
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"
#include "connectors/form_encoding.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <httplib.h>

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <string>

namespace herald {
namespace {
namespace json = boost::json;

constexpr const char* kOrg = "urn:li:organization:2414183";
constexpr const char* kToken = "FAKE-linkedin-org-token-a";
constexpr const char* kPerson = "urn:li:person:FAKEmember";
constexpr const char* kPersonToken = "FAKE-linkedin-member-token-b";

class LinkedinSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    LinkedinSandboxConfig::Author org, person;
    org.urn = kOrg;
    org.access_token = kToken;
    person.urn = kPerson;
    person.access_token = kPersonToken;
    person.refresh_token = "FAKE-member-refresh";
    person.client_id = "app1";
    person.client_secret = "FAKE-app1-secret";
    config.linkedin.authors = {org, person};
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", sandbox_->port());
    client_->set_read_timeout(std::chrono::seconds(2));
  }
  void TearDown() override { sandbox_->stop(); }

  static httplib::Headers headers(const std::string& token = kToken, const std::string& version = "202510",
                                  bool restli = true) {
    httplib::Headers h{{"Authorization", "Bearer " + token}};
    if (!version.empty()) h.emplace("LinkedIn-Version", version);
    if (restli) h.emplace("X-Restli-Protocol-Version", "2.0.0");
    return h;
  }
  static std::string post_body(const std::string& commentary, const std::string& author = kOrg,
                               const std::string& content = {}) {
    json::object body{{"author", author},
                      {"commentary", commentary},
                      {"visibility", "PUBLIC"},
                      {"distribution", json::object{{"feedDistribution", "MAIN_FEED"}}},
                      {"lifecycleState", "PUBLISHED"}};
    if (!content.empty()) body["content"] = json::parse(content);
    return json::serialize(body);
  }
  httplib::Result create(const std::string& body, const httplib::Headers& h = headers()) {
    return client_->Post("/rest/posts", h, body, "application/json");
  }
  static json::object body_of(const httplib::Result& res) { return json::parse(res->body).as_object(); }

  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<httplib::Client> client_;
};

// Posts API: 201, the URN in x-restli-id, and the record keeps the
// commentary as sent and as rendered.
TEST_F(LinkedinSandboxTest, ACreateAnswersTheUrnInXRestliId) {
  auto res = create(post_body(R"(Hello \(world\))"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201);
  const std::string urn = res->get_header_value("x-restli-id");
  EXPECT_TRUE(urn.starts_with("urn:li:share:")) << urn;
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].id, urn);
  EXPECT_EQ(creates[0].text, R"(Hello \(world\))");
  EXPECT_EQ(creates[0].fields.at("rendered"), "Hello (world)");
}

// API versioning (learn.microsoft.com/linkedin/marketing/versioning): every
// call needs LinkedIn-Version; a missing one is 400 VERSION_MISSING, a
// retired or unknown one 426 NONEXISTENT_VERSION; and the Posts API needs
// X-Restli-Protocol-Version: 2.0.0. None of them makes a post.
TEST_F(LinkedinSandboxTest, TheVersionedHeadersAreRequired) {
  auto missing = create(post_body("a"), headers(kToken, ""));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(json::value_to<std::string>(body_of(missing).at("code")), "VERSION_MISSING");
  auto retired = create(post_body("b"), headers(kToken, "202301"));
  ASSERT_TRUE(retired);
  EXPECT_EQ(retired->status, 426);
  EXPECT_EQ(json::value_to<std::string>(body_of(retired).at("code")), "NONEXISTENT_VERSION");
  EXPECT_EQ(json::value_to<std::string>(body_of(retired).at("message")), "Requested version 202301 is not active");
  auto no_restli = create(post_body("c"), headers(kToken, "202510", false));
  ASSERT_TRUE(no_restli);
  EXPECT_EQ(no_restli->status, 400);
  auto finder = client_->Get("/rest/posts?q=author&author=urn%3Ali%3Aorganization%3A2414183", headers(kToken, ""));
  ASSERT_TRUE(finder);
  EXPECT_EQ(finder->status, 400);
  EXPECT_TRUE(sandbox_->creates().empty());
  EXPECT_EQ(create(post_body("d"))->status, 201);  // the same with the headers
}

// Error handling: 401 {"serviceErrorCode":65600,"message":"Invalid access
// token"}; and a token posts only as its own author (403 ACCESS_DENIED).
TEST_F(LinkedinSandboxTest, TokensAreCheckedAgainstTheAuthor) {
  auto bad = create(post_body("a"), headers("FAKE-nobody"));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  EXPECT_EQ(body_of(bad).at("serviceErrorCode").as_int64(), 65600);
  EXPECT_EQ(json::value_to<std::string>(body_of(bad).at("message")), "Invalid access token");
  auto other = create(post_body("a", kPerson));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403);
  EXPECT_EQ(json::value_to<std::string>(body_of(other).at("code")), "ACCESS_DENIED");
  EXPECT_EQ(create(post_body("a", kPerson), headers(kPersonToken))->status, 201);
}

// Duplicate content (the live API's 422 DUPLICATE_POST, see
// sandbox_linkedin.cpp): the same author's same commentary again is refused
// naming the first post; another author, or other words, are not.
TEST_F(LinkedinSandboxTest, TheSameCommentaryAgainIsDuplicatePost) {
  auto first = create(post_body("Once only"));
  ASSERT_EQ(first->status, 201);
  auto again = create(post_body("Once only"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 422);
  auto body = body_of(again);
  EXPECT_NE(json::value_to<std::string>(body.at("message"))
                .find("Content is a duplicate of " + first->get_header_value("x-restli-id")),
            std::string::npos);
  EXPECT_EQ(json::value_to<std::string>(
                body.at("errorDetails").at("inputErrors").at(0).at("code")),
            "DUPLICATE_POST");
  EXPECT_EQ(create(post_body("Once only", kPerson), headers(kPersonToken))->status, 201);
  EXPECT_EQ(create(post_body("Once only, twice"))->status, 201);
  EXPECT_EQ(sandbox_->creates().size(), 3u);
}

// Images API: a post may only use an image whose bytes were uploaded, by
// its author; the upload answers 201 and the record names the bytes.
TEST_F(LinkedinSandboxTest, AnImageMustBeUploadedBeforeAPostUsesIt) {
  auto init = client_->Post("/rest/images?action=initializeUpload", headers(),
                            R"({"initializeUploadRequest":{"owner":"urn:li:organization:2414183"}})",
                            "application/json");
  ASSERT_TRUE(init);
  ASSERT_EQ(init->status, 200);
  auto value = body_of(init).at("value").as_object();
  const std::string urn = json::value_to<std::string>(value.at("image"));
  const std::string url = json::value_to<std::string>(value.at("uploadUrl"));
  const std::string content = R"({"media":{"id":")" + urn + R"("}})";
  auto early = create(post_body("With image", kOrg, content));
  ASSERT_TRUE(early);
  EXPECT_EQ(early->status, 400);
  const std::string path = url.substr(url.find("/dms-uploads/"));
  EXPECT_EQ(client_->Put(path, headers(kPersonToken), "bytes", "application/octet-stream")->status, 403);
  EXPECT_EQ(client_->Put(path, headers(), "bytes", "application/octet-stream")->status, 201);
  auto posted = create(post_body("With image", kOrg, content));
  ASSERT_EQ(posted->status, 201);
  EXPECT_EQ(sandbox_->creates().at(0).fields.at("media:" + urn), "5 bytes fnv1a64 " + fnv1a64_hex("bytes"));
}

// Videos API: finalizeUpload needs every part's ETag, in order.
TEST_F(LinkedinSandboxTest, AVideoIsUsableOnlyOnceFinalizedWithItsETags) {
  auto init = client_->Post("/rest/videos?action=initializeUpload", headers(),
                            R"({"initializeUploadRequest":{"owner":"urn:li:organization:2414183","fileSizeBytes":10,)"
                            R"("uploadCaptions":false,"uploadThumbnail":false}})",
                            "application/json");
  ASSERT_TRUE(init);
  ASSERT_EQ(init->status, 200);
  auto value = body_of(init).at("value").as_object();
  const std::string urn = json::value_to<std::string>(value.at("video"));
  const auto& parts = value.at("uploadInstructions").as_array();
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].at("firstByte").as_int64(), 0);
  EXPECT_EQ(parts[0].at("lastByte").as_int64(), 9);
  const std::string url = json::value_to<std::string>(parts[0].at("uploadUrl"));
  auto put = client_->Put(url.substr(url.find("/dms-uploads/")), "0123456789", "application/octet-stream");
  ASSERT_EQ(put->status, 200);
  const std::string etag = put->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  const std::string content = R"({"media":{"id":")" + urn + R"("}})";
  EXPECT_EQ(create(post_body("Video", kOrg, content))->status, 400);  // not finalized
  auto finalize = [&](const std::string& id) {
    return client_->Post("/rest/videos?action=finalizeUpload", headers(),
                         R"({"finalizeUploadRequest":{"video":")" + urn +
                             R"(","uploadToken":"","uploadedPartIds":[")" + id + R"("]}})",
                         "application/json");
  };
  EXPECT_EQ(finalize("wrong-etag")->status, 400);
  EXPECT_EQ(finalize(etag)->status, 200);
  EXPECT_EQ(create(post_body("Video", kOrg, content))->status, 201);
}

// Posts API, "Find Posts by Authors": newest first, with id and commentary,
// count honoured; another author's posts are not listed.
TEST_F(LinkedinSandboxTest, TheAuthorFinderListsNewestFirst) {
  ASSERT_EQ(create(post_body("first"))->status, 201);
  ASSERT_EQ(create(post_body("second #spring"))->status, 201);
  ASSERT_EQ(create(post_body("other", kPerson), headers(kPersonToken))->status, 201);
  auto res = client_->Get("/rest/posts?author=urn%3Ali%3Aorganization%3A2414183&q=author&count=1&sortBy=LAST_MODIFIED",
                          headers());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  auto body = body_of(res);
  ASSERT_EQ(body.at("elements").as_array().size(), 1u);
  // Hashtags come back as templates (an assumption, see as_read_back).
  EXPECT_EQ(json::value_to<std::string>(body.at("elements").at(0).at("commentary")), R"(second {hashtag|\#|spring})");
  EXPECT_EQ(body.at("paging").at("total").as_int64(), 2);
  auto other = client_->Get("/rest/posts?author=urn%3Ali%3Aperson%3AFAKEmember&q=author", headers());
  EXPECT_EQ(other->status, 403);
}

// Rate limits: a 429 with LinkedIn's throttle words and no Retry-After; the
// core's faults work on LinkedIn paths.
TEST_F(LinkedinSandboxTest, FaultsApplyToLinkedInPaths) {
  sandbox_->add_fault({"POST /rest/posts", Sandbox::FaultMode::rate_limit, 1, 60, 0});
  auto limited = create(post_body("a"));
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_FALSE(limited->has_header("Retry-After"));
  sandbox_->add_fault({"/rest/posts", Sandbox::FaultMode::server_error, 1, 60, 0});
  EXPECT_EQ(create(post_body("a"))->status, 500);
  EXPECT_TRUE(sandbox_->creates().empty());
  EXPECT_EQ(create(post_body("a"))->status, 201);
}

// Token introspection (learn.microsoft.com/linkedin/shared/authentication/token-introspection).
TEST_F(LinkedinSandboxTest, IntrospectionSaysWhenATokenExpires) {
  auto res = client_->Post("/oauth/v2/introspectToken", "client_id=a&client_secret=b&token=" + std::string(kToken),
                           "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  auto body = body_of(res);
  EXPECT_TRUE(body.at("active").as_bool());
  EXPECT_GT(body.at("expires_at").as_int64(), 0);
  auto unknown = client_->Post("/oauth/v2/introspectToken", "token=FAKE-nobody", "application/x-www-form-urlencoded");
  EXPECT_FALSE(body_of(unknown).at("active").as_bool());
}

// Programmatic refresh: a new access token for the refresh token's author;
// a wrong client or refresh token is refused in RFC 6749's form.
TEST_F(LinkedinSandboxTest, ARefreshTokenGivesANewAccessToken) {
  auto refreshed = client_->Post("/oauth/v2/accessToken",
                                 "grant_type=refresh_token&refresh_token=FAKE-member-refresh&client_id=app1&"
                                 "client_secret=FAKE-app1-secret",
                                 "application/x-www-form-urlencoded");
  ASSERT_TRUE(refreshed);
  ASSERT_EQ(refreshed->status, 200) << refreshed->body;
  auto body = body_of(refreshed);
  const std::string token = json::value_to<std::string>(body.at("access_token"));
  EXPECT_EQ(body.at("expires_in").as_int64(), 60 * 24 * 3600);
  EXPECT_EQ(create(post_body("With a refreshed token", kPerson), headers(token))->status, 201);
  auto wrong_client = client_->Post("/oauth/v2/accessToken",
                                    "grant_type=refresh_token&refresh_token=FAKE-member-refresh&client_id=app1&"
                                    "client_secret=wrong",
                                    "application/x-www-form-urlencoded");
  EXPECT_EQ(wrong_client->status, 401);
  EXPECT_EQ(json::value_to<std::string>(body_of(wrong_client).at("error")), "invalid_client");
  auto wrong_grant = client_->Post("/oauth/v2/accessToken",
                                   "grant_type=refresh_token&refresh_token=nope&client_id=app1&"
                                   "client_secret=FAKE-app1-secret",
                                   "application/x-www-form-urlencoded");
  EXPECT_EQ(wrong_grant->status, 400);
  EXPECT_EQ(json::value_to<std::string>(body_of(wrong_grant).at("error")), "invalid_grant");
}

TEST(LinkedinSandboxConfig, LoadsTheExample) {
  auto config = load_sandbox_config(HERALD_SOURCE_DIR "/tests/sandbox/sandbox.example.yaml");
  ASSERT_EQ(config.linkedin.authors.size(), 2u);
  EXPECT_TRUE(config.linkedin.authors[0].urn.starts_with("urn:li:organization:"));
  EXPECT_TRUE(config.linkedin.authors[1].urn.starts_with("urn:li:person:"));
  EXPECT_EQ(config.linkedin.duplicate_window_seconds, 86400);
  EXPECT_NE(std::find(config.linkedin.versions.begin(), config.linkedin.versions.end(), "202510"),
            config.linkedin.versions.end());
}

// The same authors (the organization's member no administrator when asked)
// on a clock the test moves.
class LinkedinSandboxEngagementTest : public LinkedinSandboxTest {
 protected:
  void SetUp() override { start(true); }
  void start(bool admin) {
    if (sandbox_) sandbox_->stop();
    Sandbox::Config config;
    LinkedinSandboxConfig::Author org, person;
    org.urn = kOrg;
    org.access_token = kToken;
    org.admin = admin;
    person.urn = kPerson;
    person.access_token = kPersonToken;
    config.linkedin.authors = {org, person};
    config.now_ms = [this] { return now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", sandbox_->port());
    client_->set_read_timeout(std::chrono::seconds(2));
  }
  std::string made(const std::string& commentary, const std::string& author = kOrg,
                   const std::string& token = kToken) {
    auto res = create(post_body(commentary, author), headers(token));
    EXPECT_TRUE(res && res->status == 201) << (res ? res->body : "no answer");
    return res ? res->get_header_value("x-restli-id") : std::string();
  }
  httplib::Result statistics(const std::string& query, const std::string& token = kToken) {
    return client_->Get("/rest/organizationalEntityShareStatistics" + query, headers(token));
  }
  // 2026-12-02T10:00:00Z.
  std::atomic<std::int64_t> now_ms_{1'796'205'600'000};
};

// Network Update Social Actions, "Retrieve a Summary of Social Actions":
// the URN percent-encoded in the path; likesSummary and commentsSummary,
// here growing with the post's age; 404 once the post is deleted.
TEST_F(LinkedinSandboxEngagementTest, ASummaryOfSocialActionsGrowsWithThePostsAge) {
  const std::string urn = made("Counted");
  now_ms_ += 600'000;
  auto res = client_->Get("/rest/socialActions/" + percent_encode(urn), headers());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json::object body = body_of(res);
  const Engagement e = engagement_after(600'000);
  EXPECT_EQ(body.at("likesSummary").at("totalLikes").as_int64(), e.likes);
  EXPECT_EQ(body.at("likesSummary").at("aggregatedTotalLikes").as_int64(), e.likes);
  EXPECT_FALSE(body.at("likesSummary").at("likedByCurrentUser").as_bool());
  EXPECT_EQ(body.at("commentsSummary").at("totalFirstLevelComments").as_int64(), e.replies);
  EXPECT_EQ(body.at("commentsSummary").at("aggregatedTotalComments").as_int64(), e.replies + e.replies / 4);
  EXPECT_EQ(body.at("target").as_string(), urn);

  // Rest.li 2.0: the URN in the path is encoded; the versioned headers too.
  EXPECT_EQ(client_->Get("/rest/socialActions/" + urn, headers())->status, 400);
  EXPECT_EQ(client_->Get("/rest/socialActions/" + percent_encode(urn), headers(kToken, ""))->status, 400);
  EXPECT_EQ(client_->Get("/rest/socialActions/" + percent_encode(urn), headers("FAKE-nobody"))->status, 401);
  // Another author's token may not read it.
  EXPECT_EQ(client_->Get("/rest/socialActions/" + percent_encode(urn), headers(kPersonToken))->status, 403);

  ASSERT_TRUE(sandbox_->delete_post("linkedin", urn));
  auto gone = client_->Get("/rest/socialActions/" + percent_encode(urn), headers());
  ASSERT_EQ(gone->status, 404);
  EXPECT_EQ(body_of(gone).at("status").as_int64(), 404);
}

// Organization Share Statistics: the organizationalEntity finder with
// shares=List(...), lifetime totalShareStatistics per post; an
// administrator's token (rw_organization_admin) only; a deleted post is
// left out.
TEST_F(LinkedinSandboxEngagementTest, ShareStatisticsOfAnOrganizationsPosts) {
  const std::string first = made("First");
  const std::string second = made("Second");
  now_ms_ += 600'000;
  const std::string query = "?q=organizationalEntity&organizationalEntity=" + percent_encode(kOrg) +
                            "&shares=List(" + percent_encode(first) + "," + percent_encode(second) + ")";
  auto res = statistics(query);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto elements = body_of(res).at("elements").as_array();
  ASSERT_EQ(elements.size(), 2u);
  EXPECT_EQ(elements[0].at("share").as_string(), first);
  EXPECT_EQ(elements[0].at("organizationalEntity").as_string(), kOrg);
  const json::object& totals = elements[0].at("totalShareStatistics").as_object();
  const Engagement e = engagement_after(600'000);
  EXPECT_EQ(totals.at("impressionCount").as_int64(), e.views);
  EXPECT_EQ(totals.at("uniqueImpressionsCount").as_int64(), e.views / 2);
  EXPECT_EQ(totals.at("shareCount").as_int64(), e.shares);
  EXPECT_EQ(totals.at("clickCount").as_int64(), e.clicks);
  EXPECT_EQ(totals.at("likeCount").as_int64(), e.likes);
  EXPECT_EQ(totals.at("commentCount").as_int64(), e.replies);

  ASSERT_TRUE(sandbox_->delete_post("linkedin", first));
  EXPECT_EQ(body_of(statistics(query)).at("elements").as_array().size(), 1u);
  // Not an organization, not the token's, or with time intervals: refused.
  EXPECT_EQ(statistics("?q=organizationalEntity&organizationalEntity=" + percent_encode(kPerson), kPersonToken)->status,
            400);
  EXPECT_EQ(statistics(query, kPersonToken)->status, 403);
  EXPECT_EQ(statistics(query + "&timeIntervals=(timeRange:(start:0),timeGranularityType:DAY)")->status, 400);
  start(false);
  auto refused = statistics(query);
  ASSERT_EQ(refused->status, 403);
  EXPECT_EQ(body_of(refused).at("code").as_string(), "ACCESS_DENIED");
}

}  // namespace
}  // namespace herald
