// Fault 10 of issue 11 and the WordPress cases of faults 1 and 11, against
// the emulated WordPress and against a real one (Debian's wordpress with
// MariaDB and Apache, tests/support/real_wordpress): a lost answer and a
// slow create end in exactly one public post, and a title WordPress stores
// with HTML entities (an Author lacks unfiltered_html, so kses turns
// `Fish & chips` into `Fish &amp; chips`) is still recognised as herald's own
// post, never a post "with another title" that needs a person.
#include "scheduler/store.hpp"
#include "tests/support/herald_daemon.hpp"
#include "tests/support/real_wordpress.hpp"
#include "tests/support/sandbox_process.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::HeraldDaemon;
using testing::read_file;
using testing::SandboxProcess;
using testing::utc_in;

const char* kTitle = "Fish & chips";

std::string blog_post(std::chrono::seconds in) {
  return "posts:\n  - {id: fish, at: \"" + utc_in(in) +
         "\", channels: [blog], title: \"Fish & chips\", text: \"Salt & vinegar, every Friday.\"}\n";
}

// In the sandbox: an Author publishes `Fish & chips`; the answer to the
// request that makes it public is lost; herald is then killed while a repeat
// hangs and restarted. Each time herald must recognise its post.
TEST(WordpressFaults, AnAuthorsTitleWithAnEntityIsHeraldsOwnPostAfterALostAnswer) {
  HeraldDaemon herald;
  std::string config = read_file(HERALD_SOURCE_DIR "/tests/sandbox/sandbox.example.yaml");
  config += "    - login: sandbox_author\n      id: 2\n      role: author\n"
            "      app_passwords: [\"FAKE auth orpa sswo rdno treal\"]\n";
  SandboxProcess sandbox(herald.dir() / "sandbox", config);
  herald.write_credential("blog", "user: sandbox_author\napp_password: FAKE auth orpa sswo rdno treal\n");
  herald.write_settings("  blog: {kind: wordpress, site: \"https://blog.example.com\", credentials: blog, api_base: \"" +
                            sandbox.base_url() + "\"}\n",
                        "publishing: {request_timeout: 2s, retry: {backoff: 1s, max_backoff: 2s}}\n");
  herald.write_calendar(blog_post(2s));
  sandbox.add_fault(R"({"path":"POST /wp-json/wp/v2/posts/:id","mode":"drop_after_create","delay_ms":0})");
  herald.start();
  ASSERT_TRUE(herald.wait_started());
  ASSERT_TRUE(herald.wait_for_log("fish@blog: sending -> published", 30s)) << herald.log();
  EXPECT_EQ(herald.stop(), 0);
  const auto posts = sandbox.public_posts("wordpress");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].fields.at("title"), "Fish &amp; chips") << "stored the way WordPress stores an Author's title";
  auto store = Store::open_existing(herald.state_dir());
  EXPECT_EQ(store->get("fish@blog")->state, State::published);
  EXPECT_EQ(store->get("fish@blog")->remote_id, posts[0].id);

  // A new store must find it too (its lookup compares titles, decoded).
  std::filesystem::remove(herald.state_dir() / "herald.db");
  herald.start();
  ASSERT_TRUE(herald.wait_started());
  ASSERT_TRUE(herald.wait_for_log("fish@blog: planned -> published (found on the platform", 20s)) << herald.log();
  EXPECT_EQ(herald.stop(), 0);
  EXPECT_EQ(sandbox.public_posts("wordpress").size(), 1u);
}

// ---- a real WordPress -----------------------------------------------------

class RealWordpressFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = testing::RealWordpress::start();
    if (!started.site) GTEST_SKIP() << started.unavailable;
    wp_ = std::move(started.site);
  }
  void run_as(const testing::WordpressUser& user) {
    herald_.write_credential("blog", "user: " + user.login + "\napp_password: " + user.app_password.reveal() + "\n");
    herald_.write_settings("  blog: {kind: wordpress, site: \"" + wp_->base_url() + "\", credentials: blog}\n",
                           "publishing: {request_timeout: 2s, retry: {backoff: 1s, max_backoff: 2s}}\n");
    herald_.write_calendar(blog_post(2s));
    herald_.start();
    ASSERT_TRUE(herald_.wait_started());
    ASSERT_TRUE(herald_.wait_for_log("fish@blog: sending -> published", 60s)) << herald_.log() << wp_->logs();
  }
  /// herald's public posts (WordPress's install publishes its own "Hello
  /// world!", which is not herald's).
  std::vector<testing::WordpressPost> published() const {
    std::vector<testing::WordpressPost> out;
    for (const auto& p : wp_->posts())
      if (p.status == "publish" && p.slug.starts_with("fish")) out.push_back(p);
    return out;
  }
  void expect_one_post(const std::string& stored_title) {
    // The held request completes at WordPress after herald gave up on it.
    ASSERT_TRUE(eventually([&] { return wp_->slow_creates_left() == 0 && wp_->lost_answers_left() == 0; }, 30s));
    ASSERT_TRUE(eventually(
        [&] {
          const auto events = wp_->fault_events();
          return events.empty() || events.back().find("release") != std::string::npos;
        },
        60s));
    const auto posts = published();
    std::string all;
    for (const auto& p : wp_->posts()) all += std::to_string(p.id) + " " + p.status + " " + p.slug + " " + p.title + "\n";
    ASSERT_EQ(posts.size(), 1u) << "exactly one public post:\n" << all;
    EXPECT_EQ(posts[0].title, stored_title);
    auto store = Store::open_existing(herald_.state_dir());
    const auto d = store->get("fish@blog");
    EXPECT_EQ(d->state, State::published);
    EXPECT_EQ(d->remote_id, std::to_string(posts[0].id));
  }

  std::unique_ptr<testing::RealWordpress> wp_;
  HeraldDaemon herald_;
};

TEST_F(RealWordpressFaults, ALostAnswerEndsInOnePost) {
  wp_->lose_answers(1, 6s);
  run_as(wp_->editor());
  expect_one_post(kTitle);
  EXPECT_EQ(herald_.stop(), 0);
}

TEST_F(RealWordpressFaults, ACreateSlowerThanTheClientEndsInOnePost) {
  wp_->slow_creates(1, 6s);
  run_as(wp_->editor());
  expect_one_post(kTitle);
  EXPECT_EQ(herald_.stop(), 0);
}

TEST_F(RealWordpressFaults, AnAuthorsEntityTitleAfterALostAnswerIsHeraldsOwnPost) {
  wp_->lose_answers(1, 6s);
  run_as(wp_->author());
  expect_one_post("Fish &amp; chips");
  EXPECT_EQ(herald_.stop(), 0);
  // The lookup of a new store recognises it as well.
  std::filesystem::remove(herald_.state_dir() / "herald.db");
  herald_.start();
  ASSERT_TRUE(herald_.wait_started());
  ASSERT_TRUE(herald_.wait_for_log("fish@blog: planned -> published (found on the platform", 30s)) << herald_.log();
  EXPECT_EQ(herald_.stop(), 0);
  EXPECT_EQ(published().size(), 1u);
}

}  // namespace
}  // namespace herald
