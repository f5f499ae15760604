// The Facebook part of herald-sandbox, spoken to directly with an HTTP
// client: auth, request and answer shapes, Graph's error bodies, faults.
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"
#include "connectors/form_encoding.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <httplib.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

namespace herald {
namespace {
namespace json = boost::json;

constexpr const char* kPage = "1234567890";
constexpr const char* kToken = "FAKE-page-token-a";
constexpr const char* kOtherPage = "2222222222";
constexpr const char* kOtherToken = "FAKE-page-token-b";

class FacebookSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.facebook.pages.push_back({kPage, "Page A", kToken});
    config.facebook.pages.push_back({kOtherPage, "Page B", kOtherToken});
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", sandbox_->port());
    client_->set_read_timeout(std::chrono::seconds(1));
  }
  void TearDown() override { sandbox_->stop(); }

  static httplib::Headers bearer(const std::string& token = kToken) {
    return {{"Authorization", "Bearer " + token}};
  }

  httplib::Result feed(const std::string& body, const std::string& token = kToken,
                       const std::string& path = std::string("/v21.0/") + kPage + "/feed") {
    return client_->Post(path.c_str(), bearer(token), body, "application/json");
  }

  static json::object error_of(const httplib::Result& res) {
    return json::parse(res->body).at("error").as_object();
  }

  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(FacebookSandboxTest, FeedPostAnswersThePostIdAndIsRecorded) {
  auto res = feed(R"({"message":"Hello","link":"https://example.nl/"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  json::object body = json::parse(res->body).as_object();
  ASSERT_EQ(body.size(), 1u);
  const std::string id(body.at("id").as_string());
  EXPECT_TRUE(id.starts_with(std::string(kPage) + "_")) << id;
  EXPECT_EQ(id.size(), std::string(kPage).size() + 1 + 16);
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].platform, "facebook");
  EXPECT_EQ(creates[0].account, kPage);
  EXPECT_EQ(creates[0].id, id);
  EXPECT_EQ(creates[0].text, "Hello");
  EXPECT_EQ(creates[0].fields.at("link"), "https://example.nl/");
}

TEST_F(FacebookSandboxTest, FormBodyAndAccessTokenParameterWorkToo) {
  httplib::Params params{{"message", "form post"}, {"access_token", kToken}};
  auto res = client_->Post((std::string("/v21.0/") + kPage + "/feed").c_str(), params);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  ASSERT_EQ(sandbox_->creates().size(), 1u);
  EXPECT_EQ(sandbox_->creates()[0].text, "form post");
}

TEST_F(FacebookSandboxTest, MissingTokenIsCode104) {
  auto res = client_->Post((std::string("/v21.0/") + kPage + "/feed").c_str(), R"({"message":"x"})",
                           "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(error_of(res).at("code").as_int64(), 104);
  EXPECT_EQ(error_of(res).at("type").as_string(), "OAuthException");
}

TEST_F(FacebookSandboxTest, BadTokenIs400WithCode190AndWwwAuthenticate) {
  auto res = feed(R"({"message":"x"})", "FAKE-not-a-token");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  json::object error = error_of(res);
  EXPECT_EQ(error.at("code").as_int64(), 190);
  EXPECT_EQ(error.at("type").as_string(), "OAuthException");
  EXPECT_EQ(error.at("message").as_string(), "Invalid OAuth access token - Cannot parse access token");
  EXPECT_FALSE(error.at("fbtrace_id").as_string().empty());
  EXPECT_TRUE(res->get_header_value("WWW-Authenticate").starts_with(R"(OAuth "Facebook Platform" "invalid_token")"));
  EXPECT_EQ(res->body.find("FAKE-not-a-token"), std::string::npos);
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(FacebookSandboxTest, AnotherPagesTokenIsAPermissionError) {
  auto res = feed(R"({"message":"x"})", kOtherToken);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(error_of(res).at("code").as_int64(), 200);
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(FacebookSandboxTest, VersionPrefixIsRequiredAndMustBeKnown) {
  for (const std::string& path : {std::string("/") + kPage + "/feed", std::string("/v99.0/") + kPage + "/feed"}) {
    SCOPED_TRACE(path);
    auto res = feed(R"({"message":"x"})", kToken, path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    json::object error = error_of(res);
    EXPECT_EQ(error.at("code").as_int64(), 2500);
    EXPECT_EQ(error.at("message").as_string(), "Unknown path components: " + path);
  }
  auto list = client_->Get((std::string("/") + kPage + "/posts").c_str(), bearer());
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 400);
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(FacebookSandboxTest, FeedNeedsMessageOrLink) {
  auto res = feed(R"({"published":true})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(error_of(res).at("code").as_int64(), 100);
  EXPECT_EQ(feed(R"({"link":"https://example.nl/only-a-link"})")->status, 200);
}

TEST_F(FacebookSandboxTest, DuplicateOfTheLatestPostIs506) {
  EXPECT_EQ(feed(R"({"message":"same"})")->status, 200);
  auto res = feed(R"({"message":"same"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  json::object error = error_of(res);
  EXPECT_EQ(error.at("code").as_int64(), 506);
  EXPECT_EQ(error.at("error_subcode").as_int64(), 1455006);
  EXPECT_EQ(error.at("message").as_string(), "Duplicate status message");
  // Another page may say the same.
  EXPECT_EQ(feed(R"({"message":"same"})", kOtherToken, std::string("/v21.0/") + kOtherPage + "/feed")->status, 200);
  EXPECT_EQ(sandbox_->creates().size(), 2u);
}

TEST_F(FacebookSandboxTest, PhotoUploadAnswersPhotoAndPostIds) {
  const std::string bytes("\x89PNG\r\n\x1a\n\0\0binary\r\n--x", 22);
  httplib::MultipartFormDataItems items{{"message", "caption here", "", ""},
                                        {"source", bytes, "pic.png", "image/png"}};
  auto res = client_->Post((std::string("/v21.0/") + kPage + "/photos").c_str(), bearer(), items);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  json::object body = json::parse(res->body).as_object();
  const std::string post_id(body.at("post_id").as_string());
  const std::string photo_id(body.at("id").as_string());
  EXPECT_TRUE(post_id.starts_with(std::string(kPage) + "_"));
  EXPECT_NE(photo_id, post_id);
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].id, post_id);
  EXPECT_EQ(creates[0].text, "caption here");
  EXPECT_EQ(creates[0].fields.at("photo"), "image/png 22 bytes fnv1a64 " + fnv1a64_hex(bytes));
  EXPECT_EQ(creates[0].fields.at("photo_id"), photo_id);
}

TEST_F(FacebookSandboxTest, PhotoNeedsSourceOrUrl) {
  auto res = client_->Post((std::string("/v21.0/") + kPage + "/photos").c_str(), bearer(),
                           R"({"message":"no picture"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(error_of(res).at("code").as_int64(), 324);
  auto by_url = client_->Post((std::string("/v21.0/") + kPage + "/photos").c_str(), bearer(),
                              R"({"url":"https://example.nl/p.jpg"})", "application/json");
  ASSERT_TRUE(by_url);
  EXPECT_EQ(by_url->status, 200);
  ASSERT_EQ(sandbox_->creates().size(), 1u);
  EXPECT_EQ(sandbox_->creates()[0].fields.at("photo_url"), "https://example.nl/p.jpg");
}

TEST_F(FacebookSandboxTest, PostsAreListedNewestFirstWithPaging) {
  for (const char* text : {"one", "two", "three"}) {
    ASSERT_EQ(feed(std::string(R"({"message":")") + text + "\"}")->status, 200);
  }
  auto res = client_->Get((std::string("/v21.0/") + kPage + "/posts?fields=id,message,permalink_url&limit=2").c_str(),
                          bearer());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  json::object body = json::parse(res->body).as_object();
  const json::array& data = body.at("data").as_array();
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0].at("message").as_string(), "three");
  EXPECT_EQ(data[1].at("message").as_string(), "two");
  const std::string id(data[0].at("id").as_string());
  EXPECT_EQ(data[0].at("permalink_url").as_string(),
            "https://www.facebook.com/" + std::string(kPage) + "/posts/" + id.substr(id.find('_') + 1));
  EXPECT_FALSE(data[0].as_object().contains("created_time"));  // not asked for
  EXPECT_TRUE(body.at("paging").as_object().contains("next"));

  auto all = client_->Get((std::string("/v21.0/") + kPage + "/feed").c_str(), bearer());
  json::object all_body = json::parse(all->body).as_object();
  EXPECT_EQ(all_body.at("data").as_array().size(), 3u);
  EXPECT_FALSE(all_body.at("paging").as_object().contains("next"));
  // Graph's default fields: message and created_time, and always the id.
  const json::object& first = all_body.at("data").as_array()[0].as_object();
  EXPECT_TRUE(first.contains("created_time"));
  EXPECT_EQ(first.at("created_time").as_string().size(), std::string("2025-01-01T00:00:00+0000").size());
  EXPECT_FALSE(first.contains("permalink_url"));

  auto empty = client_->Get((std::string("/v21.0/") + kOtherPage + "/posts").c_str(), bearer(kOtherToken));
  EXPECT_EQ(empty->body, R"({"data":[]})");
}

TEST_F(FacebookSandboxTest, OnePostAndItsPermalink) {
  auto created = feed(R"({"message":"find me"})");
  const std::string id(json::parse(created->body).at("id").as_string());
  auto res = client_->Get(("/v21.0/" + id + "?fields=permalink_url").c_str(), bearer());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  json::object body = json::parse(res->body).as_object();
  EXPECT_EQ(body.at("id").as_string(), id);
  EXPECT_TRUE(body.at("permalink_url").as_string().starts_with("https://www.facebook.com/"));

  // Someone else's post, or none: Graph's "Unsupported get request".
  auto other = client_->Get(("/v21.0/" + id + "?fields=permalink_url").c_str(), bearer(kOtherToken));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 400);
  EXPECT_EQ(error_of(other).at("code").as_int64(), 100);
  EXPECT_EQ(error_of(other).at("error_subcode").as_int64(), 33);
}

TEST_F(FacebookSandboxTest, RateLimitFaultCarriesTheWaitInMinutes) {
  sandbox_->add_fault({"/:version/:page-id/feed", Sandbox::FaultMode::rate_limit, 1, 61, 0});
  auto res = feed(R"({"message":"limited"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(error_of(res).at("code").as_int64(), 32);
  json::value usage = json::parse(res->get_header_value("X-Business-Use-Case-Usage"));
  const json::object& entry = usage.at(kPage).as_array()[0].as_object();
  EXPECT_EQ(entry.at("type").as_string(), "pages");
  EXPECT_EQ(entry.at("estimated_time_to_regain_access").as_int64(), 2);  // ceil(61 / 60)
  EXPECT_EQ(json::parse(res->get_header_value("X-Page-Usage")).at("call_count").as_int64(), 100);
  EXPECT_TRUE(sandbox_->creates().empty());
  EXPECT_EQ(feed(R"({"message":"limited"})")->status, 200);  // count was 1
}

TEST_F(FacebookSandboxTest, ServerErrorFaultHasAGraphBody) {
  sandbox_->add_fault({std::string("/v21.0/") + kPage + "/feed", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto res = feed(R"({"message":"x"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(error_of(res).at("code").as_int64(), 1);
  EXPECT_TRUE(error_of(res).at("is_transient").as_bool());
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(FacebookSandboxTest, DropAfterCreateRecordsButNeverAnswers) {
  sandbox_->add_fault({"/:version/:page-id/feed", Sandbox::FaultMode::drop_after_create, 1, 60, 1500});
  auto res = feed(R"({"message":"lost answer"})");
  EXPECT_FALSE(res);
  ASSERT_EQ(sandbox_->creates().size(), 1u);
  EXPECT_EQ(sandbox_->creates()[0].text, "lost answer");
}

// published=false: a post that is not on the Page (not in /feed, /posts or
// /published_posts) until POST /{post-id} with is_published=true; GET
// /{post-id}?fields=is_published says which; the record's "published" field
// follows it.
TEST_F(FacebookSandboxTest, AnUnpublishedPostIsOnThePageOnlyOncePublished) {
  auto made = feed(R"({"message":"later","published":false})");
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 200) << made->body;
  const std::string id(json::parse(made->body).at("id").as_string());
  const std::string page = std::string("/v21.0/") + kPage;
  for (const char* edge : {"/posts", "/feed", "/published_posts"})
    EXPECT_EQ(json::parse(client_->Get((page + edge).c_str(), bearer())->body).at("data").as_array().size(), 0u) << edge;
  auto state = client_->Get(("/v21.0/" + id + "?fields=is_published,permalink_url").c_str(), bearer());
  ASSERT_EQ(state->status, 200) << state->body;
  EXPECT_FALSE(json::parse(state->body).at("is_published").as_bool());
  ASSERT_EQ(sandbox_->creates().size(), 1u);
  EXPECT_EQ(sandbox_->creates()[0].fields.at("published"), "false");

  auto published = client_->Post(("/v21.0/" + id).c_str(), bearer(), R"({"is_published":true})", "application/json");
  ASSERT_EQ(published->status, 200) << published->body;
  EXPECT_EQ(published->body, R"({"success":true})");
  for (const char* edge : {"/posts", "/feed", "/published_posts"})
    EXPECT_EQ(json::parse(client_->Get((page + edge).c_str(), bearer())->body).at("data").as_array().size(), 1u) << edge;
  EXPECT_TRUE(json::parse(client_->Get(("/v21.0/" + id + "?fields=is_published").c_str(), bearer())->body)
                  .at("is_published")
                  .as_bool());
  EXPECT_EQ(sandbox_->creates()[0].fields.at("published"), "true");
  // Publishing again changes nothing.
  EXPECT_EQ(client_->Post(("/v21.0/" + id).c_str(), bearer(), "is_published=true", "application/x-www-form-urlencoded")->status, 200);
  EXPECT_EQ(sandbox_->creates().size(), 1u);
  // Another Page's token cannot see or publish it.
  EXPECT_EQ(client_->Post(("/v21.0/" + id).c_str(), bearer(kOtherToken), R"({"is_published":true})", "application/json")->status, 400);
}

// An unpublished photo is an object to attach, not a post: its answer has no
// post_id and nothing is recorded until a post carries it (attached_media).
TEST_F(FacebookSandboxTest, AnUnpublishedPhotoIsAttachedToAPost) {
  const std::string bytes("\x89PNG\r\n\x1a\n\0\0photo", 14);
  httplib::MultipartFormDataItems items{{"published", "false", "", ""}, {"source", bytes, "pic.png", "image/png"}};
  auto photo = client_->Post((std::string("/v21.0/") + kPage + "/photos").c_str(), bearer(), items);
  ASSERT_EQ(photo->status, 200) << photo->body;
  json::object answer = json::parse(photo->body).as_object();
  EXPECT_FALSE(answer.contains("post_id"));
  const std::string photo_id(answer.at("id").as_string());
  EXPECT_TRUE(sandbox_->creates().empty());
  auto post = feed(R"({"message":"with a picture","published":false,"attached_media":[{"media_fbid":")" + photo_id +
                   R"("}]})");
  ASSERT_EQ(post->status, 200) << post->body;
  ASSERT_EQ(sandbox_->creates().size(), 1u);
  const Sandbox::Create c = sandbox_->creates()[0];
  EXPECT_EQ(c.fields.at("photo"), "image/png 14 bytes fnv1a64 " + fnv1a64_hex(bytes));
  EXPECT_EQ(c.fields.at("attached_media"), photo_id);
  EXPECT_EQ(c.fields.at("published"), "false");
  // A photo is attached once; an id that is no unpublished photo of this Page is refused.
  auto again = feed(R"({"message":"again","published":false,"attached_media":[{"media_fbid":")" + photo_id + R"("}]})");
  EXPECT_EQ(again->status, 400);
  EXPECT_EQ(error_of(again).at("code").as_int64(), 100);
}

TEST_F(FacebookSandboxTest, ADeletedPostIsGone) {
  auto made = feed(R"({"message":"short-lived"})");
  const std::string id(json::parse(made->body).at("id").as_string());
  auto deleted = client_->Delete(("/v21.0/" + id).c_str(), bearer());
  ASSERT_EQ(deleted->status, 200) << deleted->body;
  EXPECT_EQ(deleted->body, R"({"success":true})");
  auto read = client_->Get(("/v21.0/" + id + "?fields=is_published").c_str(), bearer());
  EXPECT_EQ(read->status, 400);
  EXPECT_EQ(error_of(read).at("error_subcode").as_int64(), 33);
  EXPECT_EQ(json::parse(client_->Get((std::string("/v21.0/") + kPage + "/posts").c_str(), bearer())->body)
                .at("data")
                .as_array()
                .size(),
            0u);
  EXPECT_EQ(sandbox_->creates()[0].fields.at("deleted"), "true");
  EXPECT_EQ(client_->Delete(("/v21.0/" + id).c_str(), bearer())->status, 400);
}

// The duplicate rule is about the Page: an unpublished copy of the latest
// status may be made, but not published.
TEST_F(FacebookSandboxTest, DuplicateIsCheckedWhenAStatusGoesOnThePage) {
  ASSERT_EQ(feed(R"({"message":"same"})")->status, 200);
  auto copy = feed(R"({"message":"same","published":false})");
  ASSERT_EQ(copy->status, 200) << copy->body;
  const std::string id(json::parse(copy->body).at("id").as_string());
  auto published = client_->Post(("/v21.0/" + id).c_str(), bearer(), R"({"is_published":true})", "application/json");
  ASSERT_EQ(published->status, 400);
  EXPECT_EQ(error_of(published).at("code").as_int64(), 506);
  EXPECT_EQ(sandbox_->creates()[1].fields.at("published"), "false");
}

TEST_F(FacebookSandboxTest, FaultsOnOnePostsRoute) {
  auto made = feed(R"({"message":"faulty","published":false})");
  const std::string id(json::parse(made->body).at("id").as_string());
  sandbox_->add_fault({"POST /:version/:post-id", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto failed = client_->Post(("/v21.0/" + id).c_str(), bearer(), R"({"is_published":true})", "application/json");
  ASSERT_EQ(failed->status, 500);
  EXPECT_TRUE(error_of(failed).at("is_transient").as_bool());
  EXPECT_EQ(sandbox_->creates()[0].fields.at("published"), "false");
  // A drop on the route waits past the GET for the request that acts.
  sandbox_->add_fault({"/:version/:post-id", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  EXPECT_EQ(client_->Get(("/v21.0/" + id + "?fields=is_published").c_str(), bearer())->status, 200);
  EXPECT_FALSE(client_->Post(("/v21.0/" + id).c_str(), bearer(), R"({"is_published":true})", "application/json"));
  EXPECT_EQ(sandbox_->creates()[0].fields.at("published"), "true");
  sandbox_->add_fault({"DELETE /:version/:post-id", Sandbox::FaultMode::rate_limit, 1, 60, 0});
  EXPECT_EQ(error_of(client_->Delete(("/v21.0/" + id).c_str(), bearer())).at("code").as_int64(), 32);
}

TEST_F(FacebookSandboxTest, ExampleConfigLoadsItsPage) {
  auto config = load_sandbox_config(HERALD_SOURCE_DIR "/tests/sandbox/sandbox.example.yaml");
  ASSERT_EQ(config.facebook.pages.size(), 1u);
  EXPECT_EQ(config.facebook.pages[0].page_id, "1234567890");
  EXPECT_TRUE(config.facebook.pages[0].page_token.starts_with("FAKE-"));
  EXPECT_FALSE(config.facebook.versions.empty());
}

TEST(FacebookSandboxConfig, BadVersionAndUnknownKeysAreErrorsWithAPlace) {
  const std::string file = ::testing::TempDir() + "herald-fb-sandbox-" + std::to_string(::getpid()) + ".yaml";
  auto load = [&](const std::string& text) -> std::string {
    std::ofstream(file) << text;
    try {
      load_sandbox_config(file);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "loaded";
  };
  EXPECT_EQ(load("facebook:\n  versions: [21.0]\n"),
            file + ":2:14: error: a Graph API version looks like v21.0, not '21.0'");
  EXPECT_EQ(load("facebook:\n  pages:\n    - {page_id: '1', page_tokn: x}\n"),
            file + ":3:22: error: unknown key 'page_tokn'");
  EXPECT_EQ(load("facebook:\n  pages:\n    - {page_id: 'abc', page_token: x}\n"),
            file + ":3:17: error: page_id must be digits, as Facebook's are");
  std::remove(file.c_str());
}

// A Page whose token may read insights and one whose may not, on a clock
// the test moves.
class FacebookSandboxEngagementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.facebook.pages.push_back({kPage, "Page A", kToken});
    config.facebook.pages.push_back({kOtherPage, "Page B", kOtherToken, false});
    config.now_ms = [this] { return now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", sandbox_->port());
    client_->set_read_timeout(std::chrono::seconds(1));
  }
  void TearDown() override { sandbox_->stop(); }

  std::string post(const char* page, const char* token, const std::string& message) {
    auto res = client_->Post((std::string("/v21.0/") + page + "/feed").c_str(),
                             httplib::Headers{{"Authorization", std::string("Bearer ") + token}},
                             json::serialize(json::object{{"message", message}}), "application/json");
    EXPECT_TRUE(res && res->status == 200) << (res ? res->body : "no answer");
    return res ? std::string(json::parse(res->body).at("id").as_string()) : std::string();
  }
  httplib::Result get(const std::string& target, const char* token = kToken) {
    return client_->Get(target, httplib::Headers{{"Authorization", std::string("Bearer ") + token}});
  }

  // 2026-12-02T10:00:00Z.
  std::atomic<std::int64_t> now_ms_{1'796'205'600'000};
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<httplib::Client> client_;
};

// pagepost with the reactions and comments edges' summary (total_count) and
// limit(0), and shares {count}, left out while nobody shared the post.
TEST_F(FacebookSandboxEngagementTest, APostsEngagementFieldsGrowWithItsAge) {
  const std::string id = post(kPage, kToken, "Counted");
  const std::string fields =
      "?fields=reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares";
  now_ms_ += 10'000;
  auto early = get("/v21.0/" + id + fields);
  ASSERT_EQ(early->status, 200) << early->body;
  EXPECT_FALSE(json::parse(early->body).as_object().contains("shares")) << early->body;
  now_ms_ += 590'000;
  auto res = get("/v21.0/" + id + fields);
  ASSERT_EQ(res->status, 200) << res->body;
  const json::value body = json::parse(res->body);
  const Engagement e = engagement_after(600'000);
  EXPECT_EQ(body.at("id").as_string(), id);
  EXPECT_TRUE(body.at("reactions").at("data").as_array().empty());
  EXPECT_EQ(body.at("reactions").at("summary").at("total_count").as_int64(), e.likes);
  EXPECT_EQ(body.at("comments").at("summary").at("total_count").as_int64(), e.replies);
  EXPECT_EQ(body.at("shares").at("count").as_int64(), e.shares);
  EXPECT_FALSE(body.as_object().contains("message"));  // not asked for
  // Without .summary(...) an edge has no totals.
  auto bare = get("/v21.0/" + id + "?fields=reactions");
  EXPECT_FALSE(json::parse(bare->body).at("reactions").as_object().contains("summary"));
}

// insights (metric post_impressions, period lifetime): the value for a token
// that may read insights; a permission error (code 10) for one that may not;
// an unknown metric (100); a post that is gone, Graph's 100/33.
TEST_F(FacebookSandboxEngagementTest, PostInsightsForATokenThatMayReadThem) {
  const std::string id = post(kPage, kToken, "Seen");
  now_ms_ += 600'000;
  auto res = get("/v21.0/" + id + "/insights?metric=post_impressions");
  ASSERT_EQ(res->status, 200) << res->body;
  const json::value metric = json::parse(res->body).at("data").at(0);
  EXPECT_EQ(metric.at("name").as_string(), "post_impressions");
  EXPECT_EQ(metric.at("period").as_string(), "lifetime");
  EXPECT_EQ(metric.at("values").at(0).at("value").as_int64(), engagement_after(600'000).views);
  EXPECT_EQ(metric.at("id").as_string(), id + "/insights/post_impressions/lifetime");

  auto unknown = get("/v21.0/" + id + "/insights?metric=post_engaged_users");
  ASSERT_EQ(unknown->status, 400);
  EXPECT_EQ(json::parse(unknown->body).at("error").at("code").as_int64(), 100);

  const std::string other = post(kOtherPage, kOtherToken, "Not for insights");
  auto refused = get("/v21.0/" + other + "/insights?metric=post_impressions", kOtherToken);
  ASSERT_EQ(refused->status, 403) << refused->body;
  EXPECT_EQ(json::parse(refused->body).at("error").at("code").as_int64(), 10);
  EXPECT_EQ(json::parse(refused->body).at("error").at("type").as_string(), "OAuthException");

  ASSERT_TRUE(sandbox_->delete_post("facebook", id));
  auto gone = get("/v21.0/" + id + "/insights?metric=post_impressions");
  ASSERT_EQ(gone->status, 400);
  EXPECT_EQ(json::parse(gone->body).at("error").at("code").as_int64(), 100);
  EXPECT_EQ(json::parse(gone->body).at("error").at("error_subcode").as_int64(), 33);
  auto fields = get("/v21.0/" + id + "?fields=shares");
  ASSERT_EQ(fields->status, 400);
  EXPECT_EQ(json::parse(fields->body).at("error").at("error_subcode").as_int64(), 33);
}

}  // namespace
}  // namespace herald
