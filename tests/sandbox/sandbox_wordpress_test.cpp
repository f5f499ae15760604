// The WordPress part of herald-sandbox, over HTTP: Application Password auth,
// WordPress's error bodies, slugs (drafts, publishing, trash), updates and
// deletes by id, kses on titles, the current user, terms, media and the
// injected faults.
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"

#include "connectors/wordpress/wordpress_connector.hpp"

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

  httplib::Result update(std::int64_t id, const json::object& body, const httplib::Headers& headers = auth()) {
    return post("/wp-json/wp/v2/posts/" + std::to_string(id), body, headers);
  }

  httplib::Result remove(std::int64_t id, const std::string& query = "", const httplib::Headers& headers = auth()) {
    return client_->Delete("/wp-json/wp/v2/posts/" + std::to_string(id) + query, headers);
  }

  static std::int64_t id_of(const httplib::Result& res) { return json::parse(res->body).at("id").as_int64(); }
  static std::string field(const httplib::Result& res, const char* name) {
    return std::string(json::parse(res->body).at(name).as_string());
  }

  // The record's view of post `id`.
  Sandbox::Create recorded(std::int64_t id) const {
    for (const auto& c : sandbox_->creates())
      if (c.id == std::to_string(id)) return c;
    ADD_FAILURE() << "post " << id << " is not recorded";
    return {};
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

// wp_unique_post_slug: drafts keep the slug they are given, so two may
// share it; a post being published takes the first free of SLUG, SLUG-2, ...
// among all other posts, drafts included; trashing renames the slug
// SLUG__trashed and frees it.
TEST_F(SandboxWordpressTest, DraftsShareASlugPublishingMakesItUniqueTrashFreesIt) {
  auto first = create_post("One", "same", "draft");
  auto second = create_post("Two", "same", "draft");
  ASSERT_EQ(first->status, 201);
  EXPECT_EQ(field(first, "slug"), "same");
  EXPECT_EQ(field(second, "slug"), "same");
  auto published = update(id_of(second), json::object{{"status", "publish"}});
  ASSERT_EQ(published->status, 200) << published->body;
  EXPECT_EQ(field(published, "status"), "publish");
  EXPECT_EQ(field(published, "slug"), "same-2");  // the other draft holds "same"
  auto trashed = remove(id_of(first));
  ASSERT_EQ(trashed->status, 200) << trashed->body;
  EXPECT_EQ(field(trashed, "status"), "trash");
  EXPECT_EQ(field(trashed, "slug"), "same__trashed");
  auto moved = update(id_of(second), json::object{{"slug", "same"}});
  EXPECT_EQ(field(moved, "slug"), "same");
  // The record follows each post.
  EXPECT_EQ(recorded(id_of(first)).fields.at("status"), "trash");
  EXPECT_EQ(recorded(id_of(first)).fields.at("slug"), "same__trashed");
  EXPECT_EQ(recorded(id_of(second)).fields.at("status"), "publish");
  EXPECT_EQ(recorded(id_of(second)).fields.at("slug"), "same");
  // status=any leaves the trash out.
  auto any = client_->Get("/wp-json/wp/v2/posts?slug=same,same__trashed&status=any&context=edit", auth());
  ASSERT_EQ(json::parse(any->body).as_array().size(), 1u);
}

TEST_F(SandboxWordpressTest, UpdateByIdReplacesTheFieldsGiven) {
  auto draft = create_post("Old title", "upd", "draft");
  auto res = update(id_of(draft), json::object{{"title", " New title "},
                                               {"content", "<p>new</p>"},
                                               {"categories", json::array{2}},
                                               {"status", "publish"}});
  ASSERT_EQ(res->status, 200) << res->body;
  json::value body = json::parse(res->body);
  EXPECT_EQ(body.at("title").at("raw").as_string(), "New title");
  EXPECT_EQ(body.at("content").at("raw").as_string(), "<p>new</p>");
  EXPECT_EQ(body.at("categories").as_array(), (json::array{2}));
  EXPECT_EQ(body.at("link").as_string(), "https://blog.example.com/upd/");
  const auto record = recorded(id_of(draft));
  EXPECT_EQ(record.text, "<p>new</p>");
  EXPECT_EQ(record.fields.at("title"), "New title");
  EXPECT_EQ(record.fields.at("status"), "publish");
  EXPECT_EQ(sandbox_->creates().size(), 1u);  // an update is not a create
  expect_error(update(99999, json::object{{"status", "publish"}}), 404, "rest_post_invalid_id");
  expect_error(update(id_of(draft), json::object{{"status", "live"}}), 400, "rest_invalid_param");
}

TEST_F(SandboxWordpressTest, DeleteTrashesOnceAndForceDeletes) {
  auto a = create_post("A", "a", "draft");
  ASSERT_EQ(remove(id_of(a))->status, 200);
  expect_error(remove(id_of(a)), 410, "rest_already_trashed");
  auto b = create_post("B", "b", "publish");
  auto gone = remove(id_of(b), "?force=true");
  ASSERT_EQ(gone->status, 200) << gone->body;
  EXPECT_TRUE(json::parse(gone->body).at("deleted").as_bool());
  EXPECT_EQ(json::parse(gone->body).at("previous").at("slug").as_string(), "b");
  expect_error(remove(id_of(b)), 404, "rest_post_invalid_id");
  EXPECT_EQ(json::parse(client_->Get("/wp-json/wp/v2/posts?slug=b")->body).as_array().size(), 0u);
}

TEST_F(SandboxWordpressTest, EditingAndDeletingFollowTheRoles) {
  auto writer = auth("writer", "wwww wwww wwww wwww wwww wwww");
  auto helper = auth("helper", "cccc cccc cccc cccc cccc cccc");
  auto admins = create_post("Admin's", "admins", "draft");
  expect_error(update(id_of(admins), json::object{{"title", "mine now"}}, writer), 403, "rest_cannot_edit");
  expect_error(remove(id_of(admins), "", writer), 403, "rest_cannot_delete");
  expect_error(update(id_of(admins), json::object{{"title", "x"}}, {}), 401, "rest_cannot_edit");
  auto own = create_post("Helper's", "helpers", "draft", helper);
  expect_error(update(id_of(own), json::object{{"status", "publish"}}, helper), 403, "rest_cannot_publish");
  EXPECT_EQ(update(id_of(own), json::object{{"title", "Still a draft"}}, helper)->status, 200);
  EXPECT_EQ(remove(id_of(own), "", helper)->status, 200);
  auto writers = create_post("Writer's", "writers", "draft", writer);
  EXPECT_EQ(update(id_of(writers), json::object{{"status", "publish"}}, writer)->status, 200);
}

// kses: users without unfiltered_html (Author, Contributor) get "&" stored
// as "&amp;" in titles; Editor and Administrator keep what they send.
TEST_F(SandboxWordpressTest, TitlesOfUsersWithoutUnfilteredHtmlPassThroughKses) {
  auto writer = auth("writer", "wwww wwww wwww wwww wwww wwww");
  auto helper = auth("helper", "cccc cccc cccc cccc cccc cccc");
  auto by_author = create_post("Fish & chips", "fish", "publish", writer);
  EXPECT_EQ(json::parse(by_author->body).at("title").at("raw").as_string(), "Fish &amp; chips");
  EXPECT_EQ(recorded(id_of(by_author)).fields.at("title"), "Fish &amp; chips");
  auto by_contributor = create_post("Salt & vinegar", "salt", "draft", helper);
  EXPECT_EQ(json::parse(by_contributor->body).at("title").at("raw").as_string(), "Salt &amp; vinegar");
  auto updated = update(id_of(by_contributor), json::object{{"title", "Salt & pepper"}}, helper);
  EXPECT_EQ(json::parse(updated->body).at("title").at("raw").as_string(), "Salt &amp; pepper");
  auto by_admin = create_post("Fish & chips", "fish-admin", "publish");
  EXPECT_EQ(json::parse(by_admin->body).at("title").at("raw").as_string(), "Fish & chips");
}

TEST(SandboxWordpressKses, NormalisesAmpersandsThatStartNoReference) {
  EXPECT_EQ(wordpress_kses_entities("Fish & chips"), "Fish &amp; chips");
  EXPECT_EQ(wordpress_kses_entities("&amp; &lt; &#38; &#x26; &nbsp;"), "&amp; &lt; &#38; &#x26; &nbsp;");
  EXPECT_EQ(wordpress_kses_entities("AT&T &; &#; &#x; & end&"), "AT&amp;T &amp;; &amp;#; &amp;#x; &amp; end&amp;");
}

TEST_F(SandboxWordpressTest, CurrentUserIsWhoTheCredentialsSignInAs) {
  auto me = client_->Get("/wp-json/wp/v2/users/me", auth());
  ASSERT_TRUE(me);
  ASSERT_EQ(me->status, 200) << me->body;
  EXPECT_EQ(json::parse(me->body).at("id").as_int64(), 1);
  EXPECT_EQ(json::parse(me->body).at("slug").as_string(), "herald");
  expect_error(client_->Get("/wp-json/wp/v2/users/me"), 401, "rest_not_logged_in");
}

// A fault may name a method ("POST /wp-json/wp/v2/posts": the create, not the
// list on the same route); a GET leaves a drop_after_create fault for the
// next request that creates; /wp-json/wp/v2/posts/:id covers updates and
// deletes.
TEST_F(SandboxWordpressTest, FaultsOnTheRoutesById) {
  auto draft = create_post("Faulty", "faulty", "draft");
  arm(R"({"path":"POST /wp-json/wp/v2/posts/:id","mode":"server_error"})");
  expect_error(update(id_of(draft), json::object{{"status", "publish"}}), 500, "internal_server_error");
  EXPECT_EQ(recorded(id_of(draft)).fields.at("status"), "draft");
  arm(R"({"path":"/wp-json/wp/v2/posts/:id","mode":"drop_after_create","delay_ms":0})");
  EXPECT_FALSE(update(id_of(draft), json::object{{"status", "publish"}}));
  EXPECT_EQ(recorded(id_of(draft)).fields.at("status"), "publish");  // done; only the answer was lost
  arm(R"({"path":"DELETE /wp-json/wp/v2/posts/:id","mode":"rate_limit","reset_in":30})");
  expect_error(remove(id_of(draft)), 429, "too_many_requests");
  arm(R"({"path":"POST /wp-json/wp/v2/posts","mode":"server_error"})");
  EXPECT_EQ(client_->Get("/wp-json/wp/v2/posts?slug=faulty", auth())->status, 200);
  expect_error(create_post("x", "x"), 500, "internal_server_error");
  arm(R"({"path":"/wp-json/wp/v2/posts","mode":"drop_after_create","delay_ms":0})");
  EXPECT_EQ(client_->Get("/wp-json/wp/v2/posts?slug=faulty", auth())->status, 200);
  EXPECT_FALSE(create_post("dropped", "dropped", "draft"));
  EXPECT_EQ(sandbox_->creates().back().fields.at("slug"), "dropped");
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
  EXPECT_TRUE(wordpress_role_can("editor", "unfiltered_html"));
  EXPECT_FALSE(wordpress_role_can("author", "unfiltered_html"));
  EXPECT_FALSE(wordpress_role_can("contributor", "unfiltered_html"));
  EXPECT_TRUE(wordpress_role_can("author", "delete_published_posts"));
  EXPECT_FALSE(wordpress_role_can("author", "edit_others_posts"));
  EXPECT_FALSE(wordpress_role_can("subscriber", "edit_posts"));
  EXPECT_EQ(wordpress_sanitize_slug("  Hello,  World -- Again_1 "), "hello-world-again_1");
}

// The same site on a clock the test moves, for what grows with time.
class SandboxWordpressClockTest : public SandboxWordpressTest {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.wordpress = site_config();
    config.now_ms = [this] { return now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", sandbox_->port());
    client_->set_read_timeout(std::chrono::seconds(1));
  }
  httplib::Result comments(std::int64_t post, const std::string& more = "", const httplib::Headers& headers = auth()) {
    return client_->Get("/wp-json/wp/v2/comments?post=" + std::to_string(post) + more, headers);
  }
  // 2026-12-02T10:00:00Z.
  std::atomic<std::int64_t> now_ms_{1'796'205'600'000};
};

// Posts, "Retrieve a Post": a published post to anyone; a draft or a
// trashed post only to a user who may edit it (401 rest_forbidden
// anonymously, 403 for a subscriber); deleted for good (force=true) or
// never made, 404 rest_post_invalid_id.
TEST_F(SandboxWordpressClockTest, APostIsReadByIdAsItsStatusAllows) {
  const auto published = id_of(create_post("Read me", "read-me"));
  const auto draft = id_of(create_post("Not yet", "not-yet", "draft"));
  auto anyone = client_->Get("/wp-json/wp/v2/posts/" + std::to_string(published));
  ASSERT_EQ(anyone->status, 200) << anyone->body;
  EXPECT_EQ(field(anyone, "status"), "publish");
  EXPECT_FALSE(json::parse(anyone->body).at("title").as_object().contains("raw"));
  expect_error(client_->Get("/wp-json/wp/v2/posts/" + std::to_string(draft)), 401, "rest_forbidden");
  expect_error(client_->Get("/wp-json/wp/v2/posts/" + std::to_string(draft),
                            auth("reader", "rrrr rrrr rrrr rrrr rrrr rrrr")),
               403, "rest_forbidden");
  auto editing = client_->Get("/wp-json/wp/v2/posts/" + std::to_string(draft) + "?context=edit", auth());
  ASSERT_EQ(editing->status, 200);
  EXPECT_EQ(json::parse(editing->body).at("title").at("raw").as_string(), "Not yet");
  expect_error(client_->Get("/wp-json/wp/v2/posts/" + std::to_string(published) + "?context=edit"), 401,
               "rest_forbidden_context");

  ASSERT_EQ(remove(published)->status, 200);  // to the trash
  expect_error(client_->Get("/wp-json/wp/v2/posts/" + std::to_string(published)), 401, "rest_forbidden");
  auto trashed = client_->Get("/wp-json/wp/v2/posts/" + std::to_string(published), auth());
  ASSERT_EQ(trashed->status, 200);
  EXPECT_EQ(field(trashed, "status"), "trash");
  ASSERT_EQ(remove(published, "?force=true")->status, 200);
  expect_error(client_->Get("/wp-json/wp/v2/posts/" + std::to_string(published), auth()), 404, "rest_post_invalid_id");
  expect_error(client_->Get("/wp-json/wp/v2/posts/99999", auth()), 404, "rest_post_invalid_id");
}

// Comments, "List Comments": the approved comments of the post with
// X-WP-Total and X-WP-TotalPages (Pagination); here they arrive as the
// published post ages.
TEST_F(SandboxWordpressClockTest, APublishedPostsApprovedCommentsGrowWithItsAge) {
  const auto id = id_of(create_post("Commented", "commented"));
  auto fresh = comments(id);
  ASSERT_EQ(fresh->status, 200) << fresh->body;
  EXPECT_EQ(fresh->get_header_value("X-WP-Total"), "0");
  EXPECT_TRUE(json::parse(fresh->body).as_array().empty());
  now_ms_ += 3'600'000;
  const auto total = engagement_after(3'600'000).replies;
  auto one = comments(id, "&per_page=1");
  ASSERT_EQ(one->status, 200);
  EXPECT_EQ(one->get_header_value("X-WP-Total"), std::to_string(total));
  EXPECT_EQ(one->get_header_value("X-WP-TotalPages"), std::to_string(total));
  const auto list = json::parse(one->body).as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("post").as_int64(), id);
  EXPECT_EQ(list[0].at("status").as_string(), "approved");
  EXPECT_EQ(list[0].at("type").as_string(), "comment");
  auto page = comments(id, "&per_page=100", {});  // anonymous: the post is public
  ASSERT_EQ(page->status, 200);
  EXPECT_EQ(json::parse(page->body).as_array().size(), static_cast<std::size_t>(total));
  now_ms_ += 3'600'000;
  EXPECT_EQ(comments(id)->get_header_value("X-WP-Total"), std::to_string(engagement_after(7'200'000).replies));
}

// Comments: none on a draft; a trashed post's comments are post-trashed, so
// none is listed; a post that does not exist has none; a post the caller may
// not read is 401/403 rest_cannot_read_post.
TEST_F(SandboxWordpressClockTest, CommentsOfDraftsTrashedAndUnknownPosts) {
  const auto draft = id_of(create_post("Draft", "draft-c", "draft"));
  const auto published = id_of(create_post("Published", "published-c"));
  now_ms_ += 3'600'000;
  EXPECT_EQ(comments(draft)->get_header_value("X-WP-Total"), "0");
  expect_error(comments(draft, "", {}), 401, "rest_cannot_read_post");
  EXPECT_EQ(comments(99999)->get_header_value("X-WP-Total"), "0");
  ASSERT_NE(comments(published)->get_header_value("X-WP-Total"), "0");
  ASSERT_TRUE(sandbox_->delete_post("wordpress", std::to_string(published)));  // a person moved it to the trash
  EXPECT_EQ(recorded(published).fields.at("status"), "trash");
  auto trashed = comments(published);
  ASSERT_EQ(trashed->status, 200);
  EXPECT_EQ(trashed->get_header_value("X-WP-Total"), "0");
  EXPECT_EQ(client_->Get("/wp-json/wp/v2/comments", auth())->status, 400);  // the sandbox lists one post's only
}

}  // namespace
}  // namespace herald
