// First comments and replies in herald-sandbox, spoken to directly with an
// HTTP client: each platform's comment endpoints answer as its documents
// say (sources in each sandbox_<platform>.cpp), keep what was made, count
// it in the post's engagement, and refuse a post that is gone.
#include "tests/sandbox/sandbox.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <string>

namespace herald {
namespace {
namespace json = boost::json;

constexpr const char* kPage = "1234567890";
constexpr const char* kPageToken = "FAKE-page-token-comments";
constexpr const char* kMastodonId = "109000000000000001";
constexpr const char* kMastodonToken = "FAKE-mastodon-token-comments";
constexpr const char* kOrg = "urn:li:organization:2414183";
constexpr const char* kLinkedinToken = "FAKE-linkedin-token-comments";
constexpr const char* kIgAccount = "17841400000000001";
constexpr const char* kIgToken = "FAKE-instagram-token-comments";
constexpr const char* kHandle = "herald-test.bsky.social";
constexpr const char* kDid = "did:plc:heraldtest00000000000001";
constexpr const char* kPassword = "FAKE-bluesky-app-password";

class CommentsSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.facebook.pages.push_back({kPage, "Page A", kPageToken});
    config.mastodon.accounts = {{kMastodonId, "herald", kMastodonToken, {"read", "write"}}};
    LinkedinSandboxConfig::Author author;
    author.urn = kOrg;
    author.access_token = kLinkedinToken;
    config.linkedin.authors.push_back(author);
    config.instagram.accounts.push_back({kIgAccount, "herald_test", kIgToken});
    config.bluesky.accounts = {{kHandle, kDid, kPassword}};
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", sandbox_->port());
    client_->set_read_timeout(std::chrono::seconds(2));
  }
  void TearDown() override { sandbox_->stop(); }

  static httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }
  static httplib::Headers linkedin() {
    return {{"Authorization", std::string("Bearer ") + kLinkedinToken},
            {"LinkedIn-Version", "202510"},
            {"X-Restli-Protocol-Version", "2.0.0"}};
  }
  static json::value body(const httplib::Result& res) { return json::parse(res->body); }

  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<httplib::Client> client_;
};

// Graph API, object/comments: POST {message} answers {"id"}, GET lists the
// Page's comment with `from`; the post's comments.summary counts it; a post
// that is gone is code 100.
TEST_F(CommentsSandboxTest, FacebookCommentsAreMadeListedCountedAndRefusedOnAGonePost) {
  auto post = client_->Post((std::string("/v21.0/") + kPage + "/feed").c_str(), bearer(kPageToken),
                            R"({"message":"Hello"})", "application/json");
  ASSERT_TRUE(post);
  const std::string post_id(body(post).at("id").as_string());
  const std::string comments = "/v21.0/" + post_id + "/comments";
  auto made = client_->Post(comments.c_str(), bearer(kPageToken), R"({"message":"First!"})", "application/json");
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 200) << made->body;
  const std::string comment_id(body(made).at("id").as_string());
  EXPECT_EQ(comment_id.substr(0, comment_id.find('_')), post_id.substr(post_id.find('_') + 1));
  auto list = client_->Get((comments + "?fields=id,message,from,permalink_url&order=reverse_chronological").c_str(),
                           bearer(kPageToken));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  const json::value listed = body(list);
  const auto& data = listed.at("data").as_array();
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0].at("id").as_string(), comment_id);
  EXPECT_EQ(data[0].at("message").as_string(), "First!");
  EXPECT_EQ(data[0].at("from").at("id").as_string(), kPage);
  EXPECT_NE(std::string(data[0].at("permalink_url").as_string()).find("?comment_id="), std::string::npos);
  auto counts = client_->Get(
      ("/v21.0/" + post_id + "?fields=comments.summary(total_count).limit(0)").c_str(), bearer(kPageToken));
  ASSERT_TRUE(counts);
  EXPECT_GE(body(counts).at("comments").at("summary").at("total_count").to_number<std::int64_t>(), 1);
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 2u);
  EXPECT_EQ(creates[1].in_reply_to, post_id);
  EXPECT_EQ(creates[1].text, "First!");

  ASSERT_TRUE(sandbox_->delete_post("facebook", post_id));
  auto gone = client_->Post(comments.c_str(), bearer(kPageToken), R"({"message":"Again"})", "application/json");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 400);
  EXPECT_EQ(body(gone).at("error").at("code").to_number<int>(), 100);
  EXPECT_EQ(sandbox_->creates().size(), 2u);
}

// The lost-answer fault works on comments as on posts: made, answer dropped.
TEST_F(CommentsSandboxTest, FacebookDropAfterCreateKeepsTheComment) {
  auto post = client_->Post((std::string("/v21.0/") + kPage + "/feed").c_str(), bearer(kPageToken),
                            R"({"message":"Hello"})", "application/json");
  ASSERT_TRUE(post);
  const std::string post_id(body(post).at("id").as_string());
  sandbox_->add_fault({"POST /:version/:post-id/comments", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  auto lost = client_->Post(("/v21.0/" + post_id + "/comments").c_str(), bearer(kPageToken), R"({"message":"Lost"})",
                            "application/json");
  EXPECT_FALSE(lost && lost->status == 200 && !lost->body.empty());
  ASSERT_EQ(sandbox_->creates().size(), 2u);
  EXPECT_EQ(sandbox_->creates()[1].text, "Lost");
}

// methods/statuses: in_reply_to_id makes a reply (404 for a status that is
// not there); /context lists it among the descendants; replies_count counts it.
TEST_F(CommentsSandboxTest, MastodonRepliesAreInTheContextAndRefusedOnAGoneStatus) {
  auto post = client_->Post("/api/v1/statuses", bearer(kMastodonToken), R"({"status":"Hello"})", "application/json");
  ASSERT_TRUE(post);
  const std::string id(body(post).at("id").as_string());
  auto reply = client_->Post("/api/v1/statuses", bearer(kMastodonToken),
                             R"({"status":"First!","in_reply_to_id":")" + id + R"("})", "application/json");
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;
  EXPECT_EQ(body(reply).at("in_reply_to_id").as_string(), id);
  EXPECT_EQ(body(reply).at("in_reply_to_account_id").as_string(), kMastodonId);
  auto context = client_->Get(("/api/v1/statuses/" + id + "/context").c_str(), bearer(kMastodonToken));
  ASSERT_TRUE(context);
  ASSERT_EQ(context->status, 200) << context->body;
  EXPECT_TRUE(body(context).at("ancestors").as_array().empty());
  const json::value thread = body(context);
  const auto& descendants = thread.at("descendants").as_array();
  ASSERT_EQ(descendants.size(), 1u);
  EXPECT_EQ(descendants[0].at("id"), body(reply).at("id"));
  auto up = client_->Get(("/api/v1/statuses/" + std::string(body(reply).at("id").as_string()) + "/context").c_str(),
                         bearer(kMastodonToken));
  ASSERT_TRUE(up);
  ASSERT_EQ(body(up).at("ancestors").as_array().size(), 1u);
  auto status = client_->Get(("/api/v1/statuses/" + id).c_str(), bearer(kMastodonToken));
  EXPECT_GE(body(status).at("replies_count").to_number<std::int64_t>(), 1);

  ASSERT_TRUE(sandbox_->delete_post("mastodon", id));
  auto gone = client_->Post("/api/v1/statuses", bearer(kMastodonToken),
                            R"({"status":"Again","in_reply_to_id":")" + id + R"("})", "application/json");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 404);
  EXPECT_EQ(body(gone).at("error").as_string(), "The post you are trying to reply to does not appear to exist.");
  auto no_context = client_->Get(("/api/v1/statuses/" + id + "/context").c_str(), bearer(kMastodonToken));
  ASSERT_TRUE(no_context);
  EXPECT_EQ(no_context->status, 404);
}

// Comments API: POST {actor, object, message.text} 201 with the comment;
// GET lists it; another actor is refused; a post that is gone is 404.
TEST_F(CommentsSandboxTest, LinkedinCommentsAreMadeListedAndRefused) {
  auto post = client_->Post("/rest/posts", linkedin(),
                            json::serialize(json::object{
                                {"author", kOrg},
                                {"commentary", "Hello"},
                                {"visibility", "PUBLIC"},
                                {"distribution", json::object{{"feedDistribution", "MAIN_FEED"}}},
                                {"lifecycleState", "PUBLISHED"}}),
                            "application/json");
  ASSERT_TRUE(post);
  ASSERT_EQ(post->status, 201) << post->body;
  const std::string urn = post->get_header_value("x-restli-id");
  const std::string encoded = "urn%3Ali%3Ashare%3A" + urn.substr(std::string("urn:li:share:").size());
  const std::string path = "/rest/socialActions/" + encoded + "/comments";
  auto made = client_->Post(path.c_str(), linkedin(),
                            json::serialize(json::object{
                                {"actor", kOrg}, {"object", urn}, {"message", json::object{{"text", "First!"}}}}),
                            "application/json");
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 201) << made->body;
  const std::string comment_urn(body(made).at("commentUrn").as_string());
  EXPECT_TRUE(comment_urn.starts_with("urn:li:comment:(" + urn + ",")) << comment_urn;
  EXPECT_EQ(made->get_header_value("x-restli-id"), body(made).at("id").as_string());
  auto list = client_->Get(path.c_str(), linkedin());
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  const json::value listed = body(list);
  const auto& elements = listed.at("elements").as_array();
  ASSERT_EQ(elements.size(), 1u);
  EXPECT_EQ(elements[0].at("message").at("text").as_string(), "First!");
  EXPECT_EQ(elements[0].at("actor").as_string(), kOrg);
  auto summary = client_->Get(("/rest/socialActions/" + encoded).c_str(), linkedin());
  EXPECT_GE(body(summary).at("commentsSummary").at("totalFirstLevelComments").to_number<std::int64_t>(), 1);

  auto other = client_->Post(path.c_str(), linkedin(),
                             json::serialize(json::object{{"actor", "urn:li:organization:1"},
                                                          {"message", json::object{{"text", "Not mine"}}}}),
                             "application/json");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403);
  auto raw = client_->Post(("/rest/socialActions/" + urn + "/comments").c_str(), linkedin(),
                           json::serialize(json::object{{"actor", kOrg}, {"message", json::object{{"text", "x"}}}}),
                           "application/json");
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->status, 400);  // the URN not encoded in the path
  ASSERT_TRUE(sandbox_->delete_post("linkedin", urn));
  auto gone = client_->Post(path.c_str(), linkedin(),
                            json::serialize(json::object{{"actor", kOrg}, {"message", json::object{{"text", "Again"}}}}),
                            "application/json");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 404);
}

// IG Media comments: POST {message} answers {"id"}; GET lists it with
// `from`; comments_count counts it; a media that is gone is code 100.
TEST_F(CommentsSandboxTest, InstagramCommentsAreMadeListedAndRefusedOnAGoneMedia) {
  const std::string base = std::string("/v21.0/") + kIgAccount;
  auto container = client_->Post((base + "/media").c_str(), bearer(kIgToken),
                                 R"({"image_url":"https://media.example.nl/a.jpg","caption":"Hello"})",
                                 "application/json");
  ASSERT_TRUE(container);
  ASSERT_EQ(container->status, 200) << container->body;
  auto published = client_->Post((base + "/media_publish").c_str(), bearer(kIgToken),
                                  R"({"creation_id":")" + std::string(body(container).at("id").as_string()) + R"("})",
                                  "application/json");
  ASSERT_TRUE(published);
  ASSERT_EQ(published->status, 200) << published->body;
  const std::string media_id(body(published).at("id").as_string());
  const std::string path = "/v21.0/" + media_id + "/comments";
  auto made = client_->Post(path.c_str(), bearer(kIgToken), R"({"message":"First!"})", "application/json");
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 200) << made->body;
  auto list = client_->Get((path + "?fields=id,text,from,username").c_str(), bearer(kIgToken));
  ASSERT_TRUE(list);
  const json::value listed = body(list);
  const auto& data = listed.at("data").as_array();
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0].at("id"), body(made).at("id"));
  EXPECT_EQ(data[0].at("text").as_string(), "First!");
  EXPECT_EQ(data[0].at("from").at("id").as_string(), kIgAccount);
  EXPECT_EQ(data[0].at("username").as_string(), "herald_test");
  auto counts = client_->Get(("/v21.0/" + media_id + "?fields=comments_count").c_str(), bearer(kIgToken));
  EXPECT_GE(body(counts).at("comments_count").to_number<std::int64_t>(), 1);
  ASSERT_TRUE(sandbox_->delete_post("instagram", media_id));
  auto gone = client_->Post(path.c_str(), bearer(kIgToken), R"({"message":"Again"})", "application/json");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 400);
  EXPECT_EQ(body(gone).at("error").at("code").to_number<int>(), 100);
}

// app.bsky.feed.post#replyRef: root and parent strongRefs are required in
// a reply; a well-formed reply is stored and counted in replyCount.
TEST_F(CommentsSandboxTest, BlueskyRepliesNeedBothStrongRefsAndAreCounted) {
  auto session = client_->Post("/xrpc/com.atproto.server.createSession",
                               json::serialize(json::object{{"identifier", kHandle}, {"password", kPassword}}),
                               "application/json");
  ASSERT_TRUE(session);
  ASSERT_EQ(session->status, 200) << session->body;
  const httplib::Headers auth = bearer(std::string(body(session).at("accessJwt").as_string()));
  auto create = [&](json::object record) {
    record["$type"] = "app.bsky.feed.post";
    record["createdAt"] = "2027-03-02T09:00:00.000Z";
    return client_->Post("/xrpc/com.atproto.repo.createRecord", auth,
                         json::serialize(json::object{
                             {"repo", kDid}, {"collection", "app.bsky.feed.post"}, {"record", std::move(record)}}),
                         "application/json");
  };
  auto post = create(json::object{{"text", "Hello"}});
  ASSERT_TRUE(post);
  ASSERT_EQ(post->status, 200) << post->body;
  const json::object ref{{"uri", body(post).at("uri")}, {"cid", body(post).at("cid")}};
  auto no_root = create(json::object{{"text", "x"}, {"reply", json::object{{"parent", ref}}}});
  ASSERT_TRUE(no_root);
  EXPECT_EQ(no_root->status, 400);
  EXPECT_NE(no_root->body.find("Record/reply must have the property \\\"root\\\""), std::string::npos) << no_root->body;
  auto no_cid = create(json::object{{"text", "x"},
                                    {"reply", json::object{{"root", ref}, {"parent", json::object{{"uri", ref.at("uri")}}}}}});
  ASSERT_TRUE(no_cid);
  EXPECT_EQ(no_cid->status, 400);
  auto reply = create(json::object{{"text", "First!"}, {"reply", json::object{{"root", ref}, {"parent", ref}}}});
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 2u);
  EXPECT_EQ(creates[1].in_reply_to, ref.at("uri").as_string());
  auto views = client_->Get(("/xrpc/app.bsky.feed.getPosts?uris=" + std::string(ref.at("uri").as_string())).c_str(), auth);
  ASSERT_TRUE(views);
  ASSERT_EQ(views->status, 200) << views->body;
  EXPECT_GE(body(views).at("posts").at(0).at("replyCount").to_number<std::int64_t>(), 1);
}

}  // namespace
}  // namespace herald
