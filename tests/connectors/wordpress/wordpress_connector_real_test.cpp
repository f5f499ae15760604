// WordpressConnector::read_counters against a real WordPress
// (tests/support/real_wordpress: Debian 12's WordPress 6.1 on MariaDB and
// Apache, started for the test on 127.0.0.1), so what the sandbox emulates
// is checked against the thing itself (STYLE.md 17): the approved comments
// of a published post counted by X-WP-Total of GET
// /wp/v2/comments?post=<id>
// (developer.wordpress.org/rest-api/reference/comments/#list-comments), a
// comment held for moderation not counted, and a post in the trash, then
// deleted for good, read as gone
// (developer.wordpress.org/rest-api/reference/posts/#retrieve-a-post).
// Skipped, naming scripts/setup, when the packages are missing.
#include "connectors/wordpress/wordpress_connector.hpp"

#include "connectors/http_client.hpp"
#include "tests/support/counters_result.hpp"
#include "tests/support/real_wordpress.hpp"
#include "tests/support/wall_clock.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <boost/json.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace herald::testing {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

class WordpressRealCountersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StartedWordpress started = RealWordpress::start();
    if (!started.site) GTEST_SKIP() << started.unavailable;
    site_ = std::move(started.site);
  }
  void TearDown() override {
    if (site_ && HasFailure()) ADD_FAILURE() << "logs of the WordPress under test:\n" << site_->logs();
  }

  std::unique_ptr<httplib::Client> client(const WordpressUser& user) const {
    auto out = std::make_unique<httplib::Client>("127.0.0.1", site_->port());
    out->set_basic_auth(user.login, user.app_password.reveal());
    out->set_connection_timeout(5s);
    out->set_read_timeout(30s);
    return out;
  }

  // POST /wp/v2/comments as `user`; the id of the comment made.
  std::int64_t comment(const WordpressUser& user, const std::string& post, const std::string& words) {
    auto res = client(user)->Post("/wp-json/wp/v2/comments",
                                  json::serialize(json::object{{"post", std::stoll(post)}, {"content", words}}),
                                  "application/json");
    EXPECT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res ? res->status : 0, 201) << (res ? res->body : "");
    return res && res->status == 201 ? json::parse(res->body).at("id").as_int64() : 0;
  }

  std::unique_ptr<RealWordpress> site_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 5s, .read_timeout = 30s, .write_timeout = 30s}};
};

TEST_F(WordpressRealCountersTest, CountsApprovedCommentsAndReadsATrashedPostAsGone) {
  ChannelSettings channel;
  channel.name = "blog";
  channel.kind = ChannelKind::wordpress;
  channel.site = site_->base_url();
  WordpressConnector wp(channel, WordpressCredentials{site_->editor().login, site_->editor().app_password}, http_,
                        wall_now);
  PublishRequest request;
  request.post = "counted";
  request.channel = "blog";
  request.key = "counted@blog";
  request.composed.kind = ChannelKind::wordpress;
  request.composed.title = "Counted on a real WordPress";
  request.composed.text = "<p>Comments welcome</p>";
  PublishResult published = wp.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(published)) << published.index();
  const CountersRequest read{request.key, request.post, request.channel, std::get<Published>(published).remote_id,
                             std::get<Published>(published).url};

  CountersResult none = wp.read_counters(read);
  ASSERT_TRUE(std::holds_alternative<Counters>(none)) << describe(none);
  EXPECT_EQ(std::get<Counters>(none).values, (std::vector<Counter>{{"comments", metric::replies, 0}}));

  // Two comments by users who may moderate (approved at once, as
  // wp_allow_comment does for them), and a third held for moderation.
  ASSERT_NE(comment(site_->editor(), read.remote_id, "First!"), 0);
  ASSERT_NE(comment(site_->admin(), read.remote_id, "Well written."), 0);
  const std::int64_t held = comment(site_->admin(), read.remote_id, "Awaiting moderation.");
  ASSERT_NE(held, 0);
  auto hold = client(site_->admin())->Post("/wp-json/wp/v2/comments/" + std::to_string(held), R"({"status":"hold"})",
                                           "application/json");
  ASSERT_TRUE(hold);
  ASSERT_EQ(hold->status, 200) << hold->body;

  CountersResult two = wp.read_counters(read);
  ASSERT_TRUE(std::holds_alternative<Counters>(two)) << describe(two);
  EXPECT_EQ(std::get<Counters>(two).values, (std::vector<Counter>{{"comments", metric::replies, 2}}));

  // "Move to Trash": WordPress still has the post, in the trash.
  auto trashed = client(site_->editor())->Delete("/wp-json/wp/v2/posts/" + read.remote_id);
  ASSERT_TRUE(trashed);
  ASSERT_EQ(trashed->status, 200) << trashed->body;
  CountersResult in_trash = wp.read_counters(read);
  ASSERT_TRUE(std::holds_alternative<Gone>(in_trash)) << describe(in_trash);
  EXPECT_NE(std::get<Gone>(in_trash).message.find("in the trash"), std::string::npos);

  // Deleted for good: 404 rest_post_invalid_id.
  auto deleted = client(site_->editor())->Delete("/wp-json/wp/v2/posts/" + read.remote_id + "?force=true");
  ASSERT_TRUE(deleted);
  ASSERT_EQ(deleted->status, 200) << deleted->body;
  CountersResult gone = wp.read_counters(read);
  ASSERT_TRUE(std::holds_alternative<Gone>(gone)) << describe(gone);
  EXPECT_NE(std::get<Gone>(gone).message.find("is gone from"), std::string::npos);
}

}  // namespace
}  // namespace herald::testing
