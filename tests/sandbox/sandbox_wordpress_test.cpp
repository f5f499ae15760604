// The WordPress part of herald-sandbox, over HTTP: Application Password auth,
// WordPress's error bodies, slugs, terms, media and the injected faults.
#include "tests/sandbox/sandbox.hpp"

#include "connectors/wordpress/wordpress_connector.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <string>

namespace herald {
namespace {
namespace json = boost::json;

const std::string kAdminPassword = "abcd EFGH ijkl MNOP qrst UVWX";

WordpressSandboxConfig site_config() {
  WordpressSandboxConfig config;
  config.users.push_back({1, "herald", "administrator", {kAdminPassword}});
  config.users.push_back({2, "reader", "subscriber", {"rrrr rrrr rrrr rrrr rrrr rrrr"}});
  config.users.push_back({3, "writer", "author", {"wwww wwww wwww wwww wwww wwww"}});
  config.users.push_back({4, "helper", "contributor", {"cccc cccc cccc cccc cccc cccc"}});
  config.categories = {"News", "Food & Drink"};
  config.tags = {"herald"};
  return config;
}

class SandboxWordpressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.wordpress = site_config();
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", sandbox_->port());
    client_->set_read_timeout(std::chrono::seconds(1));
  }
  void TearDown() override { sandbox_->stop(); }

  static httplib::Headers auth(const std::string& user = "herald", const std::string& password = kAdminPassword) {
    return {{"Authorization", basic_authorization(user, Secret(password))}};
  }

  httplib::Result post(const std::string& path, const json::object& body, const httplib::Headers& headers = auth()) {
    return client_->Post(path, headers, json::serialize(body), "application/json");
  }

  httplib::Result create_post(const std::string& title, const std::string& slug, const std::string& status = "publish",
                              const httplib::Headers& headers = auth()) {
    return post("/wp-json/wp/v2/posts",
                json::object{{"title", title}, {"content", "<p>body</p>"}, {"status", status}, {"slug", slug}}, headers);
  }

  static void expect_error(const httplib::Result& res, int status, const std::string& code) {
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, status) << res->body;
    json::value body = json::parse(res->body);
    EXPECT_EQ(body.at("code").as_string(), code) << res->body;
    EXPECT_EQ(body.at("data").at("status").as_int64(), status) << res->body;
  }

  void arm(const std::string& body) {
    auto res = client_->Post("/_sandbox/faults", body, "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 201) << res->body;
  }

  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(SandboxWordpressTest, CreatedPostIsThePostObjectAndIsRecorded) {
  auto res = post("/wp-json/wp/v2/posts", json::object{{"title", "  Hello  "},
                                                        {"content", "<p>Hi</p>"},
                                                        {"excerpt", "Short"},
                                                        {"status", "publish"},
                                                        {"slug", "Hello World!"},
                                                        {"categories", json::array{2, 99}},
                                                        {"tags", json::array{4}}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  json::value body = json::parse(res->body);
  const std::string id = std::to_string(body.at("id").as_int64());
  EXPECT_EQ(body.at("slug").as_string(), "hello-world");
  EXPECT_EQ(body.at("status").as_string(), "publish");
  EXPECT_EQ(body.at("type").as_string(), "post");
  EXPECT_EQ(body.at("link").as_string(), "https://blog.example.com/hello-world/");
  EXPECT_EQ(body.at("title").at("raw").as_string(), "Hello");
  EXPECT_EQ(body.at("author").as_int64(), 1);
  EXPECT_EQ(body.at("categories").as_array(), (json::array{2}));  // 99 does not exist: dropped
  EXPECT_EQ(res->get_header_value("Location").find("/wp-json/wp/v2/posts/" + id) != std::string::npos, true);
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].platform, "wordpress");
  EXPECT_EQ(creates[0].account, "herald");
  EXPECT_EQ(creates[0].id, id);
  EXPECT_EQ(creates[0].text, "<p>Hi</p>");
  EXPECT_EQ(creates[0].fields.at("title"), "Hello");
  EXPECT_EQ(creates[0].fields.at("excerpt"), "Short");
  EXPECT_EQ(creates[0].fields.at("categories"), "2");
  EXPECT_EQ(creates[0].fields.at("tags"), "4");
  EXPECT_EQ(creates[0].fields.at("featured_media"), "0");
}

TEST_F(SandboxWordpressTest, ApplicationPasswordSpacesAreIgnored) {
  auto res = create_post("No spaces", "no-spaces", "publish", auth("herald", "abcdEFGHijklMNOPqrstUVWX"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;
}

TEST_F(SandboxWordpressTest, BadCredentialsAreWordpressErrors) {
  expect_error(create_post("x", "x", "publish", auth("herald", "wrong wrong wrong")), 401, "incorrect_password");
  expect_error(create_post("x", "x", "publish", auth("nobody", kAdminPassword)), 401, "invalid_username");
  // Bad credentials are refused even where anonymous reads are fine.
  expect_error(client_->Get("/wp-json/wp/v2/categories", auth("herald", "nope")), 401, "incorrect_password");
  // No credentials: anonymous, refused by the route's permission check.
  expect_error(create_post("x", "x", "publish", {}), 401, "rest_cannot_create");
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(SandboxWordpressTest, CapabilitiesFollowTheRoles) {
  auto reader = auth("reader", "rrrr rrrr rrrr rrrr rrrr rrrr");
  auto writer = auth("writer", "wwww wwww wwww wwww wwww wwww");
  auto helper = auth("helper", "cccc cccc cccc cccc cccc cccc");
  expect_error(create_post("x", "x", "publish", reader), 403, "rest_cannot_create");
  expect_error(create_post("x", "x", "publish", helper), 403, "rest_cannot_publish");
  EXPECT_EQ(create_post("draft", "draft", "draft", helper)->status, 201);
  expect_error(post("/wp-json/wp/v2/categories", json::object{{"name", "Mine"}}, writer), 403, "rest_cannot_create");
  EXPECT_EQ(post("/wp-json/wp/v2/tags", json::object{{"name", "mine"}}, writer)->status, 201);
  expect_error(client_->Post("/wp-json/wp/v2/media", helper, "GIF89a", "image/gif"), 403, "rest_cannot_create");
}

TEST_F(SandboxWordpressTest, BadArgumentsAre400) {
  expect_error(post("/wp-json/wp/v2/posts", json::object{{"status", "publish"}}), 400, "empty_content");
  expect_error(create_post("x", "x", "live"), 400, "rest_invalid_param");
  expect_error(post("/wp-json/wp/v2/posts", json::object{{"title", "x"}, {"categories", "News"}}), 400,
               "rest_invalid_param");
  expect_error(post("/wp-json/wp/v2/posts", json::object{{"title", "x"}, {"featured_media", 12345}}), 400,
               "rest_invalid_featured_media");
  expect_error(client_->Post("/wp-json/wp/v2/posts", auth(), "{not json", "application/json"), 400,
               "rest_invalid_json");
  expect_error(client_->Get("/wp-json/wp/v2/nothing-here"), 404, "rest_no_route");
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(SandboxWordpressTest, TakenSlugGetsASuffixAsWordpressDoes) {
  EXPECT_EQ(json::parse(create_post("A", "same")->body).at("slug").as_string(), "same");
  EXPECT_EQ(json::parse(create_post("B", "same")->body).at("slug").as_string(), "same-2");
  EXPECT_EQ(json::parse(create_post("C", "same")->body).at("slug").as_string(), "same-3");
}

TEST_F(SandboxWordpressTest, StatusAnyNeedsAnEditor) {
  ASSERT_EQ(create_post("Draft", "a-draft", "draft")->status, 201);
  auto anonymous = client_->Get("/wp-json/wp/v2/posts?slug=a-draft&status=any");
  expect_error(anonymous, 400, "rest_invalid_param");
  json::value body = json::parse(anonymous->body);
  EXPECT_EQ(body.at("message").as_string(), "Invalid parameter(s): status");
  EXPECT_EQ(body.at("data").at("params").at("status").as_string(), "Status is forbidden.");
  EXPECT_EQ(body.at("data").at("details").at("status").at("code").as_string(), "rest_forbidden_status");
  EXPECT_EQ(body.at("data").at("details").at("status").at("data").at("status").as_int64(), 401);
  expect_error(client_->Get("/wp-json/wp/v2/posts?context=edit"), 401, "rest_forbidden_context");

  auto res = client_->Get("/wp-json/wp/v2/posts?slug=a-draft&status=any&context=edit", auth());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json::value list = json::parse(res->body);
  ASSERT_EQ(list.as_array().size(), 1u);
  EXPECT_EQ(list.at(0).at("title").at("raw").as_string(), "Draft");
  EXPECT_EQ(res->get_header_value("X-WP-Total"), "1");
  // Without status the default is publish only.
  EXPECT_EQ(json::parse(client_->Get("/wp-json/wp/v2/posts?slug=a-draft", auth())->body).as_array().size(), 0u);
}

TEST_F(SandboxWordpressTest, TermsAreSearchedEscapedAndUniqueByName) {
  auto res = client_->Get("/wp-json/wp/v2/categories?search=food&per_page=100");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  json::value list = json::parse(res->body);
  ASSERT_EQ(list.as_array().size(), 1u);
  EXPECT_EQ(list.at(0).at("name").as_string(), "Food &amp; Drink");
  EXPECT_EQ(list.at(0).at("id").as_int64(), 3);
  EXPECT_EQ(list.at(0).at("taxonomy").as_string(), "category");

  auto duplicate = post("/wp-json/wp/v2/categories", json::object{{"name", "news"}});
  expect_error(duplicate, 400, "term_exists");
  EXPECT_EQ(json::parse(duplicate->body).at("data").at("term_id").as_int64(), 2);

  auto created = post("/wp-json/wp/v2/tags", json::object{{"name", "Fresh Tag"}});
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(json::parse(created->body).at("slug").as_string(), "fresh-tag");
  EXPECT_EQ(json::parse(created->body).at("taxonomy").as_string(), "post_tag");
  expect_error(client_->Get("/wp-json/wp/v2/tags?per_page=101"), 400, "rest_invalid_param");
}

TEST_F(SandboxWordpressTest, MediaUploadNeedsTheFileHeaders) {
  expect_error(client_->Post("/wp-json/wp/v2/media", auth(), "GIF89a", "image/gif"), 400,
               "rest_upload_no_content_disposition");
  expect_error(client_->Post("/wp-json/wp/v2/media", auth(), "", "image/gif"), 400, "rest_upload_no_data");
  auto headers = auth();
  headers.emplace("Content-Disposition", R"(attachment; filename="cover photo.gif")");
  auto res = client_->Post("/wp-json/wp/v2/media?slug=my-cover", headers, "GIF89a", "image/gif");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  json::value media = json::parse(res->body);
  EXPECT_GT(media.at("id").as_int64(), 0);
  EXPECT_EQ(media.at("slug").as_string(), "my-cover");
  EXPECT_EQ(media.at("mime_type").as_string(), "image/gif");
  const std::string source(media.at("source_url").as_string());
  EXPECT_TRUE(source.starts_with("https://blog.example.com/wp-content/uploads/")) << source;
  EXPECT_TRUE(source.ends_with("/cover photo.gif")) << source;
  auto found = json::parse(client_->Get("/wp-json/wp/v2/media?slug=my-cover")->body);
  ASSERT_EQ(found.as_array().size(), 1u);
  EXPECT_EQ(found.at(0).at("id"), media.at("id"));
  // Uploads are not posts: nothing recorded.
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(SandboxWordpressTest, FaultsAnswerInWordpressShape) {
  arm(R"({"path":"/wp-json/wp/v2/posts","mode":"rate_limit","reset_in":90})");
  auto limited = create_post("x", "x");
  expect_error(limited, 429, "too_many_requests");
  EXPECT_EQ(limited->get_header_value("Retry-After"), "90");
  arm(R"({"path":"/wp-json/wp/v2/posts","mode":"server_error"})");
  auto failed = create_post("x", "x");
  expect_error(failed, 500, "internal_server_error");
  EXPECT_NE(json::parse(failed->body).at("message").as_string().find("critical error"), std::string::npos);
  EXPECT_TRUE(sandbox_->creates().empty());
  arm(R"({"path":"/wp-json/wp/v2/posts","mode":"drop_after_create","delay_ms":0})");
  EXPECT_FALSE(create_post("dropped", "dropped"));
  ASSERT_EQ(sandbox_->creates().size(), 1u);
  EXPECT_EQ(sandbox_->creates()[0].fields.at("slug"), "dropped");
}

TEST_F(SandboxWordpressTest, ResetForgetsPostsAndNewTerms) {
  ASSERT_EQ(create_post("A", "same")->status, 201);
  ASSERT_EQ(post("/wp-json/wp/v2/categories", json::object{{"name", "Later"}})->status, 201);
  sandbox_->reset();
  EXPECT_EQ(json::parse(create_post("A", "same")->body).at("slug").as_string(), "same");
  EXPECT_EQ(json::parse(client_->Get("/wp-json/wp/v2/categories?search=later")->body).as_array().size(), 0u);
  EXPECT_EQ(json::parse(client_->Get("/wp-json/wp/v2/categories?search=news")->body).as_array().size(), 1u);
}

TEST(SandboxWordpressConfig, LoadsTheExampleSection) {
  auto config = load_sandbox_config(HERALD_SOURCE_DIR "/tests/sandbox/sandbox.example.yaml");
  EXPECT_EQ(config.wordpress.site, "https://blog.example.com");
  ASSERT_EQ(config.wordpress.users.size(), 1u);
  EXPECT_EQ(config.wordpress.users[0].login, "sandbox_editor");
  EXPECT_EQ(config.wordpress.users[0].role, "administrator");
  ASSERT_EQ(config.wordpress.users[0].app_passwords.size(), 1u);
  EXPECT_NE(config.wordpress.users[0].app_passwords[0].find("FAKE"), std::string::npos);
}

TEST(SandboxWordpressRoles, FollowTheDefaultRoles) {
  EXPECT_TRUE(wordpress_role_can("administrator", "manage_categories"));
  EXPECT_TRUE(wordpress_role_can("editor", "manage_categories"));
  EXPECT_FALSE(wordpress_role_can("author", "manage_categories"));
  EXPECT_TRUE(wordpress_role_can("author", "publish_posts"));
  EXPECT_TRUE(wordpress_role_can("contributor", "edit_posts"));
  EXPECT_FALSE(wordpress_role_can("contributor", "publish_posts"));
  EXPECT_FALSE(wordpress_role_can("subscriber", "edit_posts"));
  EXPECT_EQ(wordpress_sanitize_slug("  Hello,  World -- Again_1 "), "hello-world-again_1");
}

}  // namespace
}  // namespace herald
