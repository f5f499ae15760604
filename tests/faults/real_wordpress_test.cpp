// The real-WordPress harness (tests/support/real_wordpress) proved with plain
// HTTP: Debian 12's WordPress 6.1 answers its REST API with Application
// Passwords, stores what its own filters make of a post, and the fault
// switches hold creates the way the daemon's fault tests need. Each test
// case starts its own site (ctest runs each case as its own process), so
// there are few cases, each checking several things.
//
// The WordPress behaviour asserted here is observed, with the source that
// explains it:
//  - Posts endpoint: https://developer.wordpress.org/rest-api/reference/posts/
//  - An Author lacks unfiltered_html, so the title goes through kses
//    (wp_filter_kses on title_save_pre, added by kses_init_filters()), which
//    writes a lone '&' as "&amp;"; an Editor has unfiltered_html on a single
//    site and the title is stored as sent:
//    https://wordpress.org/documentation/article/roles-and-capabilities/#unfiltered_html
//  - wp_unique_post_slug() keeps a draft's slug as it is, but
//    WP_REST_Posts_Controller::create_item() first passes a draft's or a
//    pending post's chosen slug through it "with the 'publish' status"
//    (wp-includes/rest-api/endpoints/class-wp-rest-posts-controller.php), so
//    over REST a second draft with a taken slug gets "-2" at once:
//    https://developer.wordpress.org/reference/functions/wp_unique_post_slug/
//  - Trashing a post renames its slug to SLUG__trashed
//    (wp_add_trashed_suffix_to_post_name_for_post()), freeing the slug:
//    https://developer.wordpress.org/reference/functions/wp_trash_post/
#include "tests/support/process.hpp"
#include "tests/support/real_wordpress.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <string>

namespace herald::testing {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class RealWordpressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto begun = Clock::now();
    StartedWordpress started = RealWordpress::start();
    if (!started.site) GTEST_SKIP() << started.unavailable;
    site_ = std::move(started.site);
    RecordProperty("start_ms", static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    Clock::now() - begun).count()));
  }

  void TearDown() override {
    if (site_ && HasFailure()) ADD_FAILURE() << "logs of the WordPress under test:\n" << site_->logs();
  }

  /// A client for one user; `timeout` is how long it waits for an answer.
  std::unique_ptr<httplib::Client> client(const WordpressUser& user, std::chrono::seconds timeout = 30s) const {
    auto out = std::make_unique<httplib::Client>("127.0.0.1", site_->port());
    out->set_basic_auth(user.login, user.app_password.reveal());
    out->set_connection_timeout(5s);
    out->set_read_timeout(timeout);
    return out;
  }

  /// POST /wp-json/wp/v2/posts with these fields, as `user`.
  httplib::Result create(const WordpressUser& user, const json::object& fields, std::chrono::seconds timeout = 30s) {
    return client(user, timeout)->Post("/wp-json/wp/v2/posts", json::serialize(fields), "application/json");
  }

  /// The JSON object of a successful answer with `status`; fails the test otherwise.
  static json::object answer(const httplib::Result& result, int status) {
    EXPECT_TRUE(result) << "no answer: " << httplib::to_string(result.error());
    if (!result) return {};
    EXPECT_EQ(result->status, status) << result->body;
    auto parsed = json::parse(result->body);
    EXPECT_TRUE(parsed.is_object()) << result->body;
    return parsed.is_object() ? parsed.as_object() : json::object{};
  }

  static std::int64_t id_of(const json::object& post) { return post.contains("id") ? post.at("id").to_number<std::int64_t>() : 0; }
  static std::string string_at(const json::object& object, const char* key) {
    const auto* v = object.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  }

  std::size_t events_named(const std::string& prefix) const {
    const auto events = site_->fault_events();
    return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [&](const std::string& e) {
      return e.rfind(prefix, 0) == 0;
    }));
  }

  std::unique_ptr<RealWordpress> site_;
};

TEST_F(RealWordpressTest, StoresPostsTheWayWordpressDoes) {
  // The REST API answers, offering Application Passwords over plain http.
  httplib::Client anonymous("127.0.0.1", site_->port());
  const json::object index = answer(anonymous.Get("/wp-json/"), 200);
  const auto& namespaces = index.at("namespaces").as_array();
  EXPECT_NE(std::find(namespaces.begin(), namespaces.end(), json::value("wp/v2")), namespaces.end());
  EXPECT_TRUE(index.at("authentication").as_object().contains("application-passwords"));

  // Each user's Application Password authenticates as that user and role.
  for (const WordpressUser* user : {&site_->admin(), &site_->editor(), &site_->author()}) {
    const json::object me = answer(client(*user)->Get("/wp-json/wp/v2/users/me?context=edit"), 200);
    EXPECT_EQ(id_of(me), user->id);
    EXPECT_EQ(json::serialize(me.at("roles")), "[\"" + user->role + "\"]");
  }

  // The Editor publishes a post.
  const json::object published = answer(create(site_->editor(), {{"title", "Spring is here"},
                                                                 {"content", "<p>Our new video</p>"},
                                                                 {"status", "publish"},
                                                                 {"slug", "spring-blog"}}),
                                        201);
  EXPECT_EQ(string_at(published, "status"), "publish");
  EXPECT_EQ(string_at(published, "slug"), "spring-blog");
  auto stored = site_->posts_with_slug("spring-blog");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].id, id_of(published));
  EXPECT_EQ(stored[0].status, "publish");
  EXPECT_EQ(stored[0].title, "Spring is here");
  EXPECT_EQ(stored[0].author, "editor");

  // An Author's '&' is stored as "&amp;" (kses); an Editor's as sent.
  const json::object by_author =
      answer(create(site_->author(), {{"title", "Fish & chips"}, {"content", "<p>Salt & vinegar</p>"},
                                      {"status", "publish"}, {"slug", "fish-author"}}),
             201);
  EXPECT_EQ(by_author.at("title").as_object().at("raw").as_string(), "Fish &amp; chips");
  stored = site_->posts_with_slug("fish-author");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].title, "Fish &amp; chips");
  EXPECT_EQ(stored[0].content, "<p>Salt &amp; vinegar</p>");
  EXPECT_EQ(stored[0].author, "author");
  answer(create(site_->editor(), {{"title", "Fish & chips"}, {"status", "publish"}, {"slug", "fish-editor"}}), 201);
  stored = site_->posts_with_slug("fish-editor");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].title, "Fish & chips");

  // A draft with a chosen slug keeps it and is published by id; a second
  // draft asking for the same slug gets "-2" at once over REST.
  const json::object draft = answer(
      create(site_->editor(), {{"title", "Draft one"}, {"status", "draft"}, {"slug", "spring-draft"}}), 201);
  EXPECT_EQ(string_at(draft, "status"), "draft");
  EXPECT_EQ(string_at(draft, "slug"), "spring-draft");
  const json::object second = answer(
      create(site_->editor(), {{"title", "Draft two"}, {"status", "draft"}, {"slug", "spring-draft"}}), 201);
  EXPECT_EQ(string_at(second, "slug"), "spring-draft-2");
  EXPECT_EQ(site_->posts_with_slug("spring-draft").size(), 1u);
  EXPECT_EQ(site_->posts_with_slug("spring-draft-2").size(), 1u);

  const json::object now_published =
      answer(client(site_->editor())
                 ->Post("/wp-json/wp/v2/posts/" + std::to_string(id_of(draft)), R"({"status":"publish"})",
                        "application/json"),
             200);
  EXPECT_EQ(string_at(now_published, "status"), "publish");
  EXPECT_EQ(string_at(now_published, "slug"), "spring-draft");
  stored = site_->posts_with_slug("spring-draft");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].id, id_of(draft));
  EXPECT_EQ(stored[0].status, "publish");

  // Trashing renames the slug, so it can be taken again.
  const json::object trashed =
      answer(client(site_->editor())->Delete("/wp-json/wp/v2/posts/" + std::to_string(id_of(draft))), 200);
  EXPECT_EQ(string_at(trashed, "status"), "trash");
  stored = site_->posts_with_slug("spring-draft__trashed");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].status, "trash");
  EXPECT_TRUE(site_->posts_with_slug("spring-draft").empty());
  const json::object again = answer(
      create(site_->editor(), {{"title", "Draft one again"}, {"status", "publish"}, {"slug", "spring-draft"}}), 201);
  EXPECT_EQ(string_at(again, "slug"), "spring-draft");
}

TEST_F(RealWordpressTest, FaultSwitchesHoldCreates) {
  // Slow create: held before the insert; another request is served meanwhile.
  constexpr auto kHold = 5s;
  site_->slow_creates(1, kHold);
  const auto sent = Clock::now();
  auto slow = std::async(std::launch::async, [&] {
    return create(site_->editor(), {{"title", "Slow"}, {"status", "publish"}, {"slug", "slow-create"}}, 60s);
  });
  ASSERT_TRUE(eventually([&] { return events_named("slow-create hold") == 1; }, 30s)) << site_->logs();
  EXPECT_EQ(site_->slow_creates_left(), 0);

  const auto listed = client(site_->admin())->Get("/wp-json/wp/v2/posts?slug=slow-create&status=any&context=edit");
  EXPECT_EQ(slow.wait_for(0s), std::future_status::timeout) << "the held create ended before a second request was served";
  ASSERT_TRUE(listed) << httplib::to_string(listed.error());
  EXPECT_EQ(listed->status, 200);
  EXPECT_EQ(listed->body, "[]");
  // Not in the database while still held: the release is logged before the insert.
  const bool absent = site_->posts_with_slug("slow-create").empty();
  if (events_named("slow-create release") == 0) {
    EXPECT_TRUE(absent);
  }

  const json::object slow_post = answer(slow.get(), 201);
  EXPECT_GE(Clock::now() - sent, kHold);
  auto stored = site_->posts_with_slug("slow-create");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].id, id_of(slow_post));
  EXPECT_EQ(stored[0].status, "publish");

  // A create slower than the client's timeout: the client gives up, and the
  // post appears afterwards all the same.
  site_->slow_creates(1, 3s);
  const auto too_slow = create(site_->editor(), {{"title", "Too slow"}, {"status", "publish"}, {"slug", "too-slow"}}, 1s);
  EXPECT_FALSE(too_slow) << "status " << too_slow->status;
  if (events_named("slow-create release") < 2) {
    EXPECT_TRUE(site_->posts_with_slug("too-slow").empty());
  }
  EXPECT_TRUE(eventually([&] { return site_->posts_with_slug("too-slow").size() == 1; }, 30s)) << site_->logs();
  EXPECT_EQ(site_->posts_with_slug("too-slow").at(0).status, "publish");

  // Lost answer: the post is saved, then the answer is held past the timeout.
  site_->lose_answers(1, 3s);
  const auto lost = create(site_->editor(), {{"title", "Lost"}, {"status", "publish"}, {"slug", "lost-answer"}}, 1s);
  EXPECT_FALSE(lost) << "status " << lost->status;
  EXPECT_TRUE(eventually([&] { return site_->posts_with_slug("lost-answer").size() == 1; }, 30s)) << site_->logs();
  stored = site_->posts_with_slug("lost-answer");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].status, "publish");
  EXPECT_TRUE(eventually([&] { return events_named("lost-answer hold post=" + std::to_string(stored[0].id)) == 1; }, 30s));
  EXPECT_EQ(site_->lost_answers_left(), 0);
}

}  // namespace
}  // namespace herald::testing
