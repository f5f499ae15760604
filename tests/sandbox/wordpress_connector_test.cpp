// The wordpress connector against the in-process sandbox, over real HTTP on
// loopback. (It lives here, not in tests/connectors/, because it links
// herald_sandbox.)
#include "connectors/json_fields.hpp"
#include "connectors/wordpress/wordpress_connector.hpp"

#include "connectors/http_client.hpp"
#include "tests/sandbox/sandbox.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <unistd.h>

namespace herald {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

const std::string kPassword = "abcd EFGH ijkl MNOP qrst UVWX";

Instant now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

PublishRequest request_for(std::string post, std::string title, std::string key = {}) {
  PublishRequest request;
  request.post = post;
  request.channel = "blog";
  request.key = key.empty() ? post + "@blog" : std::move(key);
  request.composed.kind = ChannelKind::wordpress;
  request.composed.title = std::move(title);
  request.composed.text = "<p>Hello from herald</p>";
  request.composed.excerpt = "A short summary";
  return request;
}

// Passes requests on, but the first time a term is about to be created it
// lets "another writer" create the same term first: the race term_exists
// answers.
class RacingClient : public HttpClient {
 public:
  RacingClient(HttpClient& inner, int port) : inner_(inner), port_(port) {}
  HttpResponse send(const HttpRequest& request) override {
    if (!raced_ && request.method == "POST" && request.url.find("/wp-json/wp/v2/categories") != std::string::npos) {
      raced_ = true;
      httplib::Client other("127.0.0.1", port_);
      other.Post("/wp-json/wp/v2/categories",
                 httplib::Headers{{"Authorization", basic_authorization("herald", Secret(kPassword))}},
                 request.body, "application/json");
    }
    return inner_.send(request);
  }

 private:
  HttpClient& inner_;
  int port_;
  bool raced_ = false;
};

class WordpressConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Sandbox::Config config;
    config.wordpress.users.push_back({1, "herald", "administrator", {kPassword}});
    config.wordpress.users.push_back({2, "reader", "subscriber", {"rrrr rrrr rrrr rrrr rrrr rrrr"}});
    config.wordpress.categories = {"News", "Food & Drink"};  // ids 2 and 3 (1 is Uncategorized)
    config.wordpress.tags = {"herald"};                       // id 4
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    channel_.name = "blog";
    channel_.kind = ChannelKind::wordpress;
    channel_.site = "https://blog.example.com";
    channel_.api_base = "http://127.0.0.1:" + std::to_string(sandbox_->port()) + "/";
    client_ = std::make_unique<httplib::Client>("127.0.0.1", sandbox_->port());
    dir_ = std::filesystem::temp_directory_path() / ("herald-wp-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    sandbox_->stop();
    std::filesystem::remove_all(dir_);
  }

  WordpressConnector connector(std::string user = "herald", std::string password = kPassword,
                               HttpClient* http = nullptr) {
    return WordpressConnector(channel_, WordpressCredentials{std::move(user), Secret(std::move(password))},
                              http ? *http : http_, now);
  }

  std::filesystem::path image(const std::string& name) {
    auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << std::string("\xFF\xD8\xFF\xE0 fake jpeg bytes", 20);
    return path;
  }

  json::value get(const std::string& target) {
    auto res = client_->Get(target, httplib::Headers{{"Authorization", basic_authorization("herald", Secret(kPassword))}});
    EXPECT_TRUE(res);
    return json::parse(res ? res->body : "null");
  }

  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<httplib::Client> client_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 1s, .read_timeout = 1s, .write_timeout = 1s}};
  std::filesystem::path dir_;
};

TEST_F(WordpressConnectorTest, PublishesTitleContentExcerptWithHeraldsSlug) {
  auto wp = connector();
  PublishResult result = wp.publish(request_for("Spring_Launch", "Spring launch"));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  const auto& published = std::get<Published>(result);
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].id, published.remote_id);
  EXPECT_EQ(creates[0].account, "herald");
  EXPECT_EQ(creates[0].text, "<p>Hello from herald</p>");
  EXPECT_EQ(creates[0].fields.at("title"), "Spring launch");
  EXPECT_EQ(creates[0].fields.at("excerpt"), "A short summary");
  EXPECT_EQ(creates[0].fields.at("status"), "publish");
  EXPECT_EQ(creates[0].fields.at("slug"), "spring-launch");
  EXPECT_EQ(creates[0].fields.at("categories"), "1");  // WordPress's default category
  EXPECT_EQ(creates[0].fields.at("featured_media"), "0");
  EXPECT_EQ(creates[0].headers.at("Content-Type"), "application/json");
  EXPECT_EQ(published.url, "https://blog.example.com/spring-launch/");
}

TEST_F(WordpressConnectorTest, SlugCarriesTheOccurrenceOfARepeatingPost) {
  EXPECT_EQ(wordpress_slug(request_for("weekly", "W", "weekly@blog#2025-03-07")), "weekly-2025-03-07");
  EXPECT_EQ(wordpress_slug(request_for("Daily.Tip", "D", "Daily.Tip@blog#2025-03-07T09:30")),
            "daily-tip-2025-03-07t09-30");
  EXPECT_EQ(wordpress_slug(request_for("a__b-", "x")), "a-b");
  auto wp = connector();
  auto first = wp.publish(request_for("weekly", "Weekly", "weekly@blog#2025-03-07"));
  auto second = wp.publish(request_for("weekly", "Weekly", "weekly@blog#2025-03-14"));
  ASSERT_TRUE(std::holds_alternative<Published>(first)) << message_of(first);
  ASSERT_TRUE(std::holds_alternative<Published>(second)) << message_of(second);
  EXPECT_EQ(std::get<Published>(second).url, "https://blog.example.com/weekly-2025-03-14/");
  EXPECT_TRUE(std::holds_alternative<Found>(wp.lookup(request_for("weekly", "Weekly", "weekly@blog#2025-03-07"))));
  EXPECT_TRUE(std::holds_alternative<Absent>(wp.lookup(request_for("weekly", "Weekly", "weekly@blog#2025-03-21"))));
}

TEST_F(WordpressConnectorTest, CategoriesAndTagsByNameAreReusedOrCreatedOnce) {
  auto wp = connector();
  PublishRequest request = request_for("terms", "Terms");
  request.composed.categories = {"News", "food & drink", "Fresh"};
  request.composed.tags = {"herald", "new-tag", "HERALD"};
  ASSERT_TRUE(std::holds_alternative<Published>(wp.publish(request)));
  PublishRequest again = request_for("terms-again", "Terms again");
  again.composed.categories = request.composed.categories;
  again.composed.tags = request.composed.tags;
  PublishResult second = wp.publish(again);
  ASSERT_TRUE(std::holds_alternative<Published>(second)) << message_of(second);

  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 2u);
  EXPECT_EQ(creates[0].fields.at("categories"), "2,3,5");  // Fresh is new: 5
  EXPECT_EQ(creates[0].fields.at("tags"), "4,6");          // new-tag is new: 6; HERALD is herald
  EXPECT_EQ(creates[1].fields.at("categories"), "2,3,5");
  EXPECT_EQ(creates[1].fields.at("tags"), "4,6");
  EXPECT_EQ(get("/wp-json/wp/v2/categories?search=fresh").as_array().size(), 1u);
  EXPECT_EQ(get("/wp-json/wp/v2/tags?search=new-tag").as_array().size(), 1u);
}

TEST_F(WordpressConnectorTest, TermCreatedMeanwhileIsTakenFromTermExists) {
  RacingClient racing(http_, sandbox_->port());
  auto wp = connector("herald", kPassword, &racing);
  PublishRequest request = request_for("race", "Race");
  request.composed.categories = {"Contested"};
  PublishResult result = wp.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto categories = get("/wp-json/wp/v2/categories?search=contested");
  ASSERT_EQ(categories.as_array().size(), 1u);
  EXPECT_EQ(sandbox_->creates()[0].fields.at("categories"), std::to_string(categories.at(0).at("id").as_int64()));
}

TEST_F(WordpressConnectorTest, FeaturedImageIsUploadedAndSet) {
  auto wp = connector();
  PublishRequest request = request_for("with-image", "With image");
  request.composed.media = {image("cover.jpg")};
  PublishResult result = wp.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto media = get("/wp-json/wp/v2/media?slug=with-image-image");
  ASSERT_EQ(media.as_array().size(), 1u);
  EXPECT_EQ(media.at(0).at("mime_type").as_string(), "image/jpeg");
  EXPECT_TRUE(std::string(media.at(0).at("source_url").as_string()).ends_with("/cover.jpg"));
  EXPECT_EQ(sandbox_->creates()[0].fields.at("featured_media"), std::to_string(media.at(0).at("id").as_int64()));
}

TEST_F(WordpressConnectorTest, RetryAfterAFailedCreateReusesTheUploadedImage) {
  sandbox_->add_fault({"/wp-json/wp/v2/posts", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto wp = connector();
  PublishRequest request = request_for("retry-image", "Retry image");
  request.composed.media = {image("pic.png")};
  PublishResult first = wp.publish(request);
  ASSERT_TRUE(std::holds_alternative<Unsure>(first)) << message_of(first);  // a 5xx on the create
  PublishResult second = wp.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(second)) << message_of(second);
  auto media = get("/wp-json/wp/v2/media?per_page=100");
  ASSERT_EQ(media.as_array().size(), 1u);
  EXPECT_EQ(sandbox_->creates().size(), 1u);
  EXPECT_EQ(sandbox_->creates()[0].fields.at("featured_media"), std::to_string(media.at(0).at("id").as_int64()));
}

TEST_F(WordpressConnectorTest, MediaThatIsNotAnImageIsFailed) {
  auto wp = connector();
  PublishRequest request = request_for("clip", "Clip");
  request.composed.media = {dir_ / "clip.mp4"};
  PublishResult result = wp.publish(request);
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("clip.mp4"), std::string::npos) << message_of(result);
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(WordpressConnectorTest, WrongPasswordIsAuthFailedWithoutThePassword) {
  const std::string wrong = "zzzz yyyy xxxx wwww vvvv uuuu";
  auto wp = connector("herald", wrong);
  PublishResult result = wp.publish(request_for("denied", "Denied"));
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << message_of(result);
  const std::string message = message_of(result);
  EXPECT_NE(message.find("invalid application password"), std::string::npos) << message;
  EXPECT_NE(message.find("blog.example.com"), std::string::npos) << message;
  EXPECT_EQ(message.find(wrong), std::string::npos) << message;
  EXPECT_EQ(message.find("zzzzyyyy"), std::string::npos) << message;
  EXPECT_EQ(message.find(basic_authorization("herald", Secret(wrong)).substr(6)), std::string::npos) << message;
  // The term lookup before the create fails the same way.
  PublishRequest with_terms = request_for("denied", "Denied");
  with_terms.composed.categories = {"News"};
  EXPECT_TRUE(std::holds_alternative<AuthFailed>(wp.publish(with_terms)));
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(WordpressConnectorTest, UserWithoutTheCapabilityIsAuthFailed) {
  auto wp = connector("reader", "rrrr rrrr rrrr rrrr rrrr rrrr");
  PublishResult result = wp.publish(request_for("not-allowed", "Not allowed"));
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("rest_cannot_create"), std::string::npos) << message_of(result);
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(WordpressConnectorTest, RejectedPostIsFailedWithWordpressWords) {
  auto wp = connector();
  PublishRequest request = request_for("empty", "");
  request.composed.text.clear();
  request.composed.excerpt.clear();
  PublishResult result = wp.publish(request);
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("Content, title, and excerpt are empty."), std::string::npos)
      << message_of(result);
  EXPECT_NE(message_of(result).find("'empty'"), std::string::npos) << message_of(result);
}

TEST_F(WordpressConnectorTest, RateLimitIsRetryLaterWithRetryAfter) {
  sandbox_->add_fault({"/wp-json/wp/v2/posts", Sandbox::FaultMode::rate_limit, 1, 120, 0});
  auto wp = connector();
  PublishResult result = wp.publish(request_for("limited", "Limited"));
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << message_of(result);
  EXPECT_EQ(std::get<RetryLater>(result).after, 120s);
  EXPECT_TRUE(sandbox_->creates().empty());
}

// A 5xx on the create may come after the post was saved: Unsure, so the
// dispatcher looks the slug up (here: absent, so it retries later).
TEST_F(WordpressConnectorTest, ServerErrorOnTheCreateIsUnsureAndLookupDecides) {
  sandbox_->add_fault({"/wp-json/wp/v2/posts", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto wp = connector();
  PublishRequest request = request_for("broken", "Broken");
  PublishResult result = wp.publish(request);
  ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("critical error"), std::string::npos) << message_of(result);
  EXPECT_TRUE(sandbox_->creates().empty());
  EXPECT_TRUE(std::holds_alternative<Absent>(wp.lookup(request)));
}

TEST_F(WordpressConnectorTest, TermFailureBeforeTheCreateFollowsTheClassification) {
  sandbox_->add_fault({"/wp-json/wp/v2/categories", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto wp = connector();
  PublishRequest request = request_for("term-fail", "Term fail");
  request.composed.categories = {"News"};
  PublishResult result = wp.publish(request);
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("category 'News'"), std::string::npos) << message_of(result);
  EXPECT_TRUE(sandbox_->creates().empty());
}

TEST_F(WordpressConnectorTest, TimeoutOnTheCreateIsUnsure) {
  sandbox_->add_fault({"/wp-json/wp/v2/posts", Sandbox::FaultMode::delay, 1, 60, 1500});
  auto wp = connector();
  PublishResult result = wp.publish(request_for("slow", "Slow"));
  ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("'slow'"), std::string::npos) << message_of(result);
}

TEST_F(WordpressConnectorTest, DropAfterCreateIsUnsureAndANewConnectorFindsIt) {
  sandbox_->add_fault({"/wp-json/wp/v2/posts", Sandbox::FaultMode::drop_after_create, 1, 60, 1500});
  PublishRequest request = request_for("dropped", "Dropped");
  {
    auto wp = connector();
    PublishResult result = wp.publish(request);
    ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << message_of(result);
  }
  auto restarted = connector();  // as after a crash
  LookupResult found = restarted.lookup(request);
  ASSERT_TRUE(std::holds_alternative<Found>(found)) << found.index();
  auto creates = sandbox_->creates();
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(std::get<Found>(found).remote_id, creates[0].id);
  EXPECT_EQ(std::get<Found>(found).url, "https://blog.example.com/dropped/");
}

TEST_F(WordpressConnectorTest, LookupIsAbsentWhenNoPostHasTheSlug) {
  auto wp = connector();
  ASSERT_TRUE(std::holds_alternative<Published>(wp.publish(request_for("other", "Other"))));
  EXPECT_TRUE(std::holds_alternative<Absent>(wp.lookup(request_for("never-sent", "Never sent"))));
}

TEST_F(WordpressConnectorTest, LookupOfSomeoneElsesPostAtTheSlugIsUnknown) {
  auto res = client_->Post("/wp-json/wp/v2/posts",
                           httplib::Headers{{"Authorization", basic_authorization("herald", Secret(kPassword))}},
                           R"({"title":"Written by hand","content":"x","status":"draft","slug":"taken"})",
                           "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  auto wp = connector();
  LookupResult result = wp.lookup(request_for("taken", "Herald's post"));
  ASSERT_TRUE(std::holds_alternative<Unknown>(result)) << result.index();
  EXPECT_NE(std::get<Unknown>(result).message.find("Written by hand"), std::string::npos);
}

TEST_F(WordpressConnectorTest, LookupWithAWrongPasswordIsUnknown) {
  auto wp = connector("herald", "nope nope nope");
  LookupResult result = wp.lookup(request_for("any", "Any"));
  ASSERT_TRUE(std::holds_alternative<Unknown>(result));
  EXPECT_EQ(std::get<Unknown>(result).message.find("nope"), std::string::npos);
}

TEST_F(WordpressConnectorTest, MissingRestApiIsFailedNamingTheSite) {
  channel_.api_base += "no-wordpress-here";
  auto wp = connector();
  PublishResult result = wp.publish(request_for("nowhere", "Nowhere"));
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("is the REST API enabled"), std::string::npos) << message_of(result);
  EXPECT_NE(message_of(result).find("https://blog.example.com"), std::string::npos) << message_of(result);
}

TEST(WordpressHelpers, DecodesTheEntitiesWordpressWrites) {
  EXPECT_EQ(decode_html_entities("Food &amp; Drink"), "Food & Drink");
  EXPECT_EQ(decode_html_entities("&lt;b&gt; &quot;q&quot; &#039;s&#39; &#8211; &#x2014;"),
            "<b> \"q\" 's' \xE2\x80\x93 \xE2\x80\x94");
  EXPECT_EQ(decode_html_entities("AT&T & co &unknown; &#xZZ;"), "AT&T & co &unknown; &#xZZ;");
}

TEST(WordpressHelpers, BasicAuthorizationKeepsThePasswordAsGiven) {
  EXPECT_EQ(basic_authorization("admin", Secret("abcd efgh")), "Basic YWRtaW46YWJjZCBlZmdo");
}

}  // namespace
}  // namespace herald
