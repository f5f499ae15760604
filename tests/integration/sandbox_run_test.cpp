// The real `herald run` publishing through real HTTP to the real
// herald-sandbox process, on each platform: a create whose
// answer is lost is looked up, not sent again, whether the daemon lives on
// (Unsure, then lookup) or is killed while the request hangs and restarted
// (reconcile, then lookup): exactly one create recorded.
#include "compose/bluesky_text.hpp"
#include "scheduler/store.hpp"
#include "tests/support/browser.hpp"
#include "tests/support/herald_daemon.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sandbox_process.hpp"

#include <boost/json.hpp>
#include <date/date.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>

namespace herald {
namespace {

using testing::BackgroundProcess;
using testing::eventually;
using testing::read_file;
using testing::utc_in;
using testing::SandboxProcess;
using namespace std::chrono_literals;

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

/// One platform of the example sandbox: herald's channel for it, its
/// credential file, the create route a fault is armed on, and a post.
struct Platform {
  std::string name;
  std::string channel;      ///< the channel's line in herald.yaml, after "  name: "
  std::string credentials;  ///< the credential file (the example sandbox's fake account)
  std::string create_path;  ///< the fault's path or route in the sandbox
  std::string post_fields;  ///< what the calendar entry adds besides id, at, channels
  std::string sandbox_platform;
  /// The create route of a first comment, a fault's path; empty where the
  /// network takes none (FirstComment::none: YouTube, a blog).
  std::string comment_path = {};
};

std::string platform_name(const ::testing::TestParamInfo<Platform>& info) { return info.param.name; }
void PrintTo(const Platform& platform, std::ostream* out) { *out << platform.name; }

const std::vector<Platform>& platforms() {
  static const std::vector<Platform> all{
      {"x", "{kind: x, account: sandbox_herald, credentials: x, api_base: \"API\"}",
       "consumer_key: FAKE-consumer-key-not-real\nconsumer_secret: FAKE-consumer-secret-not-real\n"
       "access_token: 1000000000000000001-FAKEaccesstoken\n"
       "access_token_secret: FAKE-access-token-secret-not-real\nuser_id: \"1000000000000000001\"\n",
       "/2/tweets", "text: \"TEXT\"", "x", "/2/tweets"},
      {"facebook", "{kind: facebook, page_id: \"1234567890\", credentials: facebook, api_base: \"API\"}",
       // The request that makes the post public: the unpublished create before
       // it may be repeated harmlessly (docs/connectors.md, Facebook).
       "page_token: FAKE-page-token-not-real\n", "POST /:version/:post-id", "text: \"TEXT\"", "facebook",
       "POST /:version/:post-id/comments"},
      {"youtube", "{kind: youtube, credentials: youtube, api_base: \"API\"}",
       "client_id: FAKE-0000.apps.googleusercontent.com\nclient_secret: GOCSPX-FAKE-client-secret-not-real\n"
       "refresh_token: 1//FAKE-youtube-refresh-token-not-real\n",
       "PUT /youtube/v3/videos", "title: Spring video, text: \"TEXT\", youtube: {video: dQw4w9WgXcQ, privacy: public}",
       "youtube"},
      {"blog", "{kind: wordpress, site: \"https://blog.example.com\", credentials: blog, api_base: \"API\"}",
       // The request that makes the draft public (a lost answer to the draft
       // create is settled inside the connector, which lists the slug again).
       "user: sandbox_editor\napp_password: FAKE abcd efgh ijkl mnop qrst\n", "POST /wp-json/wp/v2/posts/:id",
       "title: Een keer, text: \"TEXT\"", "wordpress"},
      // LinkedIn has no idempotency key: a lost answer is settled by lookup
      // (docs/connectors.md, LinkedIn).
      {"linkedin", "{kind: linkedin, author: \"urn:li:organization:2414183\", credentials: linkedin, api_base: \"API\"}",
       "access_token: FAKE-linkedin-organization-token-not-real\n", "POST /rest/posts", "text: \"TEXT\"", "linkedin",
       "POST /rest/socialActions/:urn/comments"},
      {"instagram", "{kind: instagram, account_id: \"17841400000000001\", credentials: instagram, api_base: \"API\"}",
       // The request that makes the post public; the container before it is
       // the idempotency key (docs/connectors.md, Instagram). The image is at
       // media_url (the sandbox fetches nothing).
       "access_token: FAKE-instagram-user-token-not-real\n", "POST /:version/:ig-user-id/media_publish",
       "media: [photo.jpg], text: \"TEXT\"", "instagram", "POST /:version/:ig-media-id/comments"},
      // Mastodon: the repeat carries the same Idempotency-Key, and the
      // instance answers it with the first status (docs/connectors.md, Mastodon).
      {"mastodon", "{kind: mastodon, instance: \"https://mastodon.example\", credentials: mastodon, api_base: \"API\"}",
       "access_token: FAKE-mastodon-access-token-not-real\n", "POST /api/v1/statuses", "text: \"TEXT\"", "mastodon",
       "POST /api/v1/statuses"},
      // Bluesky: the record key is chosen and stored before the create, so a
      // repeat is the same record, and getRecord settles it (docs/connectors.md, Bluesky).
      {"bluesky", "{kind: bluesky, handle: sandbox-herald.bsky.social, credentials: bluesky, api_base: \"API\"}",
       "app_password: FAKE-abcd-efgh-ijkl-mnop\n", "POST /xrpc/com.atproto.repo.createRecord", "text: \"TEXT\"",
       "bluesky", "POST /xrpc/com.atproto.repo.createRecord"},
  };
  return all;
}

std::string replace_all(std::string text, const std::string& what, const std::string& with) {
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size()))
    text.replace(at, what.size(), with);
  return text;
}

class SandboxRun : public ::testing::TestWithParam<Platform> {
 protected:
  /// The sandbox's configuration: the example's.
  virtual std::string sandbox_yaml() const { return read_file(HERALD_SOURCE_DIR "/tests/sandbox/sandbox.example.yaml"); }
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("herald-sbx-" + std::to_string(::getpid()) + "-" + GetParam().name + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    sandbox_ = std::make_unique<SandboxProcess>(dir_ / "sandbox", sandbox_yaml());
    const Platform& p = GetParam();
    testing::write_status_token((dir_ / "credentials").string());
    // A JPEG for the platforms whose post needs media (Instagram).
    std::ofstream(dir_ / "photo.jpg", std::ios::binary) << std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00", 11)
                                                        << std::string(100, 'j');
    std::ofstream(dir_ / "credentials" / p.name) << p.credentials;
    std::filesystem::permissions(dir_ / "credentials" / p.name, std::filesystem::perms::owner_read);
    std::ofstream(dir_ / "herald.yaml") << "calendar: calendar.yaml\nstate_dir: state\ncredentials_dir: credentials\n"
                                           "timezone: Europe/Amsterdam\nstatus: {listen: \"127.0.0.1:0\"}\n"
                                           // Where Instagram would fetch the calendar's media.
                                           "media_url: \"https://media.example.nl/herald/\"\n"
                                           // A repeat after a lost answer follows the retry backoff.
                                           "publishing: {retry: {backoff: 1s, max_backoff: 5s}}\nchannels:\n  "
                                        << p.name << ": " << replace_all(p.channel, "API", sandbox_->base_url())
                                        << "\n";
  }
  void TearDown() override {
    sandbox_.reset();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
    else std::cerr << "log:\n" << log();
  }
  /// One post, due in 2 s, with `more` fields (", first_comment: ...").
  void write_calendar(const std::string& text, const std::string& more = {}) {
    const Platform& p = GetParam();
    if (at_.empty()) at_ = utc_in(2s);
    std::ofstream(dir_ / "calendar.yaml") << "posts:\n  - {id: hello, at: \"" << at_ << "\", channels: [" << p.name
                                          << "], " << replace_all(p.post_fields, "TEXT", text) << more << "}\n";
  }
  void arm(const std::string& mode, int delay_ms) {
    sandbox_->add_fault(R"({"path":")" + GetParam().create_path + R"(","mode":")" + mode +
                        R"(","delay_ms":)" + std::to_string(delay_ms) + "}");
  }
  std::string key() const { return "hello@" + GetParam().name; }
  std::unique_ptr<BackgroundProcess> start() {
    return std::make_unique<BackgroundProcess>(
        std::vector<std::string>{HERALD_BINARY, "run", "--config", (dir_ / "herald.yaml").string()},
        (dir_ / "herald.log").string());
  }
  std::string log() const { return read_file((dir_ / "herald.log").string()); }
  std::vector<testing::SandboxCreate> creates() const {
    std::vector<testing::SandboxCreate> out;
    for (auto& c : sandbox_->creates())
      if (c.platform == GetParam().sandbox_platform) out.push_back(c);
    return out;
  }
  std::vector<testing::SandboxCreate> public_posts() const {
    return sandbox_->public_posts(GetParam().sandbox_platform);
  }
  bool history_has(const std::string& event) const {
    auto store = Store::open(dir_ / "state");
    for (const auto& e : store->history(100, key()))
      if (e.event == event) return true;
    return false;
  }

  std::filesystem::path dir_;
  std::unique_ptr<SandboxProcess> sandbox_;
  std::string at_;  ///< the post's time, kept across edits of the calendar
};

// A lost answer is settled, never guessed: looked up (X, LinkedIn) or sent again where
// the platform makes the repeat the same post (YouTube's update, WordPress's
// draft, Facebook's unpublished post made public by id, Mastodon's
// Idempotency-Key, Bluesky's record key).
TEST_P(SandboxRun, LostAnswerEndsInExactlyOnePublicPost) {
  write_calendar("Hallo vanuit herald");
  // The sandbox records the create, then cuts the connection mid-answer.
  arm("drop_after_create", 0);
  auto herald = start();
  ASSERT_TRUE(eventually([&] { return log().find(key() + ": sending -> published") != std::string::npos; }, 60s));
  herald->signal(SIGTERM);
  ASSERT_EQ(herald->wait(20s), 0);
  const auto made = public_posts();
  ASSERT_EQ(made.size(), 1u);
  EXPECT_NE(made[0].text.find("Hallo vanuit herald"), std::string::npos) << made[0].text;
  auto store = Store::open(dir_ / "state");
  auto d = store->get(key());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->state, State::published);
  EXPECT_EQ(d->remote_id, made[0].id);
  EXPECT_TRUE(history_has("answer_lost")) << "the history shows the answer was lost";
}

TEST_P(SandboxRun, KilledWhileTheCreateHangsThenRestartedCreatesOnce) {
  write_calendar("Een keer, niet twee keer");
  // The create is recorded, then the answer hangs (longer than the test).
  arm("drop_after_create", 120000);
  auto herald = start();
  ASSERT_TRUE(eventually([&] { return creates().size() == 1; }, 30s));
  ASSERT_NE(log().find(key() + ": planned -> sending"), std::string::npos);
  herald->signal(SIGKILL);
  herald->wait(10s);
  herald = start();
  // The restart finds the delivery in `sending`: looks it up and finds the
  // post, or sends it again where a repeat is the same post.
  ASSERT_TRUE(eventually([&] { return log().find(key() + ": sending -> published") != std::string::npos; }, 60s));
  herald->signal(SIGTERM);
  ASSERT_EQ(herald->wait(20s), 0);
  ASSERT_EQ(public_posts().size(), 1u);
  EXPECT_EQ(count(log(), "herald started"), 2u);
  auto store = Store::open(dir_ / "state");
  EXPECT_EQ(store->get(key())->remote_id, public_posts()[0].id);
}

// First comments (issue 18) on the real binary and the real sandbox: added
// to a post that is out, the comment goes under it as its own delivery
// (hello@CHANNEL+comment); its answer is lost, and it is settled as every
// create is (looked up under the post, or sent again where the platform
// makes the repeat the same reply), so exactly one comment is there. Where
// the network takes none, check says why and nothing is planned.
TEST_P(SandboxRun, AFirstCommentWhoseAnswerIsLostEndsInExactlyOneComment) {
  const Platform& p = GetParam();
  write_calendar("Vandaag open tot 18:00");
  auto herald = start();
  ASSERT_TRUE(eventually([&] { return log().find(key() + ": sending -> published") != std::string::npos; }, 60s));
  const std::string comment = ", first_comment: \"Vragen? Stel ze hieronder\"";
  if (p.comment_path.empty()) {
    write_calendar("Vandaag open tot 18:00", comment);
    const auto check = testing::run_process({HERALD_BINARY, "check", "--config", (dir_ / "herald.yaml").string()});
    EXPECT_EQ(check.exit_code, 0) << check.err;
    EXPECT_NE(check.err.find("warning: post 'hello' on " + p.name + ": no first comment: "), std::string::npos)
        << check.err;
    const auto plan = testing::run_process({HERALD_BINARY, "plan", "--config", (dir_ / "herald.yaml").string(),
                                            "--format", "json", "--from", "2000-01-01", "--days", "3660"});
    EXPECT_EQ(plan.out.find("+comment"), std::string::npos) << plan.out;
    herald->signal(SIGTERM);
    ASSERT_EQ(herald->wait(20s), 0);
    return;
  }
  // The sandbox records the comment, then cuts the connection mid-answer.
  sandbox_->add_fault(R"({"path":")" + p.comment_path + R"(","mode":"drop_after_create"})");
  write_calendar("Vandaag open tot 18:00", comment);
  ASSERT_TRUE(eventually([&] { return log().find(key() + "+comment: sending -> published") != std::string::npos; },
                         60s))
      << log();
  herald->signal(SIGTERM);
  ASSERT_EQ(herald->wait(20s), 0);
  auto store = Store::open(dir_ / "state");
  const auto post = store->get(key());
  const auto reply = store->get(key() + "+comment");
  ASSERT_TRUE(post && reply);
  std::vector<testing::SandboxCreate> comments;
  for (const auto& c : creates())
    if (!c.in_reply_to.empty()) comments.push_back(c);
  ASSERT_EQ(comments.size(), 1u) << "exactly one comment, under the post";
  EXPECT_NE(comments[0].text.find("Vragen? Stel ze hieronder"), std::string::npos) << comments[0].text;
  EXPECT_NE(comments[0].in_reply_to.find(post->remote_id.substr(post->remote_id.rfind('/') + 1)), std::string::npos)
      << comments[0].in_reply_to << " vs " << post->remote_id;
  EXPECT_EQ(reply->state, State::published);
  EXPECT_FALSE(reply->url.empty());
  bool lost = false;
  for (const auto& e : store->history(100, key() + "+comment")) lost = lost || e.event == "answer_lost";
  EXPECT_TRUE(lost) << "the history shows the comment's answer was lost";
  // One post on the platform still, and its comment is not collected.
  std::size_t posts = 0;
  for (const auto& c : public_posts()) posts += c.in_reply_to.empty() ? 1 : 0;
  EXPECT_EQ(posts, 1u);
  EXPECT_FALSE(store->collection(key() + "+comment"));
}

// Token health (issue 17): a platform that refuses a channel's credentials
// (a revoked token, a Google refresh token withdrawn, a Bluesky app password
// deleted) is named in the status with the file to replace, the log and
// /metrics; once the file is replaced and herald reloads, the warning goes.
TEST_P(SandboxRun, RefusedCredentialsNameTheFileToReplaceUntilItIsReplaced) {
  const Platform& p = GetParam();
  const auto file = dir_ / "credentials" / p.name;
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::ofstream(file) << replace_all(p.credentials, "FAKE", "REVOKED");
  write_calendar("Werkt dit nog?");
  auto herald = start();
  const std::string said = "channel " + p.name + ": the platform refused the credentials at ";
  ASSERT_TRUE(eventually([&] { return log().find(said) != std::string::npos; }, 60s)) << log();
  const std::string text = log();
  const auto at = text.find("status endpoint on ");
  ASSERT_NE(at, std::string::npos);
  const std::string where = text.substr(at + 19, text.find('\n', at) - at - 19);
  httplib::Client client("127.0.0.1", std::stoi(where.substr(where.rfind(':') + 1)));
  client.set_read_timeout(std::chrono::seconds(20));
  auto status = client.Get("/api/v1/status");
  ASSERT_TRUE(status);
  const auto channel = boost::json::parse(status->body).at("channels").as_array().at(0).as_object();
  EXPECT_EQ(channel.at("credentials_refused"), true) << status->body;
  const std::string warning(channel.at("warning").as_string());
  EXPECT_NE(warning.find("replace " + file.string() + ", then herald reload"), std::string::npos) << warning;
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("herald_credentials_refused{channel=\"" + p.name + "\"} 1"), std::string::npos);
  // Never the credential itself.
  EXPECT_EQ(status->body.find("REVOKED"), std::string::npos) << status->body;
  EXPECT_EQ(log().find("REVOKED"), std::string::npos) << log();
  // The file replaced and herald reloaded: the warning is gone.
  std::ofstream(file) << p.credentials;
  auto reload = client.Post("/api/v1/reload", httplib::Headers{{"Authorization", "Bearer " + std::string(testing::kTestStatusToken)}},
                            "{}", "application/json");
  ASSERT_TRUE(reload);
  EXPECT_EQ(reload->status, 200) << reload->body;
  status = client.Get("/api/v1/status");
  ASSERT_TRUE(status);
  EXPECT_EQ(boost::json::parse(status->body).at("channels").as_array().at(0).at("credentials_refused"), false)
      << status->body;
  herald->signal(SIGTERM);
  ASSERT_EQ(herald->wait(20s), 0);
}

// Instagram's Reel: the container is IN_PROGRESS for the sandbox's first two
// status reads (video_processing_polls in sandbox.example.yaml), so the
// connector answers Processing twice; the dispatcher asks again from its
// timers (not counted as attempts) and the same container is published once.
// (Instagram Platform, Content Publishing: "Reels"; IG Container: status_code.)
class InstagramRun : public SandboxRun {};

TEST_P(InstagramRun, AReelIsProcessingThenPublishedFromItsContainer) {
  std::ofstream(dir_ / "reel.mp4", std::ios::binary) << std::string("\x00\x00\x00\x18" "ftypmp42", 12)
                                                     << std::string(100, 'v');
  std::ofstream(dir_ / "calendar.yaml") << "posts:\n  - {id: hello, at: \"" << utc_in(2s)
                                        << "\", channels: [instagram], media: [reel.mp4], text: \"Achter de schermen\"}\n";
  auto herald = start();
  ASSERT_TRUE(eventually([&] { return log().find(key() + ": sending -> published") != std::string::npos; }, 60s));
  herald->signal(SIGTERM);
  ASSERT_EQ(herald->wait(20s), 0);
  EXPECT_EQ(count(log(), "Instagram is processing"), 2u) << log();
  const auto made = public_posts();
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0].fields.at("media_type"), "REELS");
  auto store = Store::open(dir_ / "state");
  auto d = store->get(key());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->state, State::published);
  EXPECT_EQ(d->remote_id, made[0].id);
  // Each Processing is a `processing` line in the history, which the retry
  // policy does not count as an attempt (the store's attempts column counts
  // every request that went out, polls included).
  int processing = 0;
  for (const auto& e : store->history(100, key())) processing += e.event == "processing";
  EXPECT_EQ(processing, 2);
}

// Mastodon processes a video after answering its upload 202 (methods/media:
// "POST /api/v2/media ... 202: Accepted, url null"; GET /api/v1/media/:id
// answers 206 until it is ready): the connector answers Processing without
// holding a worker, the dispatcher asks again from its timers, and the
// status goes out once, with the one attachment and its alt text.
class MastodonRun : public SandboxRun {
 protected:
  std::string sandbox_yaml() const override {
    std::string yaml = SandboxRun::sandbox_yaml();
    const std::string from = "video_processing_seconds: 10";
    const auto at = yaml.find(from);
    EXPECT_NE(at, std::string::npos) << "the example sandbox's video processing time";
    if (at != std::string::npos) yaml.replace(at, from.size(), "video_processing_seconds: 2");
    return yaml;
  }
};

TEST_P(MastodonRun, AVideoIsProcessingThenTheStatusGoesOutOnceWithIt) {
  std::ofstream(dir_ / "clip.mp4", std::ios::binary) << std::string("\x00\x00\x00\x18" "ftypmp42", 12)
                                                     << std::string(100, 'v');
  std::ofstream(dir_ / "calendar.yaml") << "posts:\n  - {id: hello, at: \"" << utc_in(2s)
                                        << "\", channels: [mastodon], text: \"Achter de schermen\",\n"
                                           "     media: [{file: clip.mp4, alt: \"Sanne in de werkplaats\"}]}\n";
  auto herald = start();
  ASSERT_TRUE(eventually([&] { return log().find(key() + ": sending -> published") != std::string::npos; }, 60s));
  herald->signal(SIGTERM);
  ASSERT_EQ(herald->wait(20s), 0);
  EXPECT_NE(log().find("Mastodon is processing attachment"), std::string::npos) << log();
  const auto made = public_posts();
  ASSERT_EQ(made.size(), 1u);
  ASSERT_EQ(made[0].media_ids.size(), 1u);
  EXPECT_EQ(made[0].fields.at("alt:" + made[0].media_ids[0]), "Sanne in de werkplaats");
  auto store = Store::open(dir_ / "state");
  auto d = store->get(key());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->state, State::published);
  EXPECT_EQ(d->remote_id, made[0].id);
  int processing = 0;
  for (const auto& e : store->history(100, key())) processing += e.event == "processing";
  EXPECT_GE(processing, 1);
}

INSTANTIATE_TEST_SUITE_P(Platforms, SandboxRun, ::testing::ValuesIn(platforms()), platform_name);
INSTANTIATE_TEST_SUITE_P(Platforms, MastodonRun,
                         ::testing::Values(*std::find_if(platforms().begin(), platforms().end(),
                                                         [](const Platform& p) { return p.name == "mastodon"; })),
                         platform_name);
INSTANTIATE_TEST_SUITE_P(Platforms, InstagramRun,
                         ::testing::Values(*std::find_if(platforms().begin(), platforms().end(),
                                                         [](const Platform& p) { return p.name == "instagram"; })),
                         platform_name);

// The demo's scenario, asserted: a YouTube video, a blog post linking to it,
// and a tweet and a Facebook post linking to both, each with an image where
// the platform takes one; every link resolved to the URL the platform gave.
TEST(SandboxRunAllChannels, PublishesOnEveryPlatformWithCrossPromotionLinks) {
  const auto dir = std::filesystem::temp_directory_path() / ("herald-sbx-all-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  SandboxProcess sandbox(dir / "sandbox", read_file(HERALD_SOURCE_DIR "/tests/sandbox/sandbox.example.yaml"));
  const auto creds = dir / "credentials";
  std::filesystem::create_directories(creds);
  // The example sandbox's fake accounts.
  std::ofstream(creds / "x") << "consumer_key: FAKE-consumer-key-not-real\n"
                                "consumer_secret: FAKE-consumer-secret-not-real\n"
                                "access_token: 1000000000000000001-FAKEaccesstoken\n"
                                "access_token_secret: FAKE-access-token-secret-not-real\n"
                                "user_id: \"1000000000000000001\"\n";
  std::ofstream(creds / "facebook") << "page_token: FAKE-page-token-not-real\n";
  std::ofstream(creds / "youtube") << "client_id: FAKE-0000.apps.googleusercontent.com\n"
                                      "client_secret: GOCSPX-FAKE-client-secret-not-real\n"
                                      "refresh_token: 1//FAKE-youtube-refresh-token-not-real\n";
  std::ofstream(creds / "blog") << "user: sandbox_editor\napp_password: FAKE abcd efgh ijkl mnop qrst\n";
  // The LinkedIn token expires in three days: herald warns in the log and the status.
  const auto in_three_days = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) +
                             std::chrono::hours(72);
  std::ofstream(creds / "linkedin") << "access_token: FAKE-linkedin-organization-token-not-real\nexpires_at: "
                                    << date::format("%FT%TZ", in_three_days) << "\n";
  std::ofstream(creds / "instagram") << "access_token: FAKE-instagram-user-token-not-real\n";
  std::ofstream(creds / "mastodon") << "access_token: FAKE-mastodon-access-token-not-real\n";
  std::ofstream(creds / "bluesky") << "app_password: FAKE-abcd-efgh-ijkl-mnop\n";
  for (const auto& entry : std::filesystem::directory_iterator(creds))
    std::filesystem::permissions(entry.path(), std::filesystem::perms::owner_read);
  testing::write_status_token(creds.string());
  std::filesystem::copy_file(HERALD_SOURCE_DIR "/examples/media/voorjaarsbeurt.png", dir / "photo.png");
  std::filesystem::copy_file(HERALD_SOURCE_DIR "/examples/media/voorjaarsbeurt.jpg", dir / "photo.jpg");
  const std::string api = sandbox.base_url();
  std::ofstream(dir / "herald.yaml") << "calendar: calendar.yaml\nstate_dir: state\ncredentials_dir: credentials\n"
                                        "timezone: Europe/Amsterdam\nstatus: {listen: \"127.0.0.1:0\"}\n"
                                        "media_url: https://media.example.com/herald/\n"
                                        "links: {own_domains: [blog.example.com], utm: {source: \"{channel}\", "
                                        "medium: social}}\n"
                                        // The counters are read 5 s after a post went out, and an hour later.
                                        "report: {collect_after: [5s, 1h]}\n"
                                        "channels:\n"
                                        "  x: {kind: x, account: sandbox_herald, credentials: x, api_base: \"" << api << "\"}\n"
                                        "  facebook: {kind: facebook, page_id: \"1234567890\", credentials: facebook, "
                                        "api_base: \"" << api << "\"}\n"
                                        "  youtube: {kind: youtube, credentials: youtube, api_base: \"" << api << "\"}\n"
                                        "  blog: {kind: wordpress, site: \"https://blog.example.com\", credentials: blog, "
                                        "api_base: \"" << api << "\"}\n"
                                        "  linkedin: {kind: linkedin, author: \"urn:li:organization:2414183\", "
                                        "credentials: linkedin, api_base: \"" << api << "\"}\n"
                                        "  instagram: {kind: instagram, account_id: \"17841400000000001\", "
                                        "credentials: instagram, api_base: \"" << api << "\"}\n"
                                        "  mastodon: {kind: mastodon, instance: \"https://mastodon.example\", "
                                        "account: sandbox_herald, credentials: mastodon, api_base: \"" << api << "\"}\n"
                                        "  bluesky: {kind: bluesky, handle: sandbox-herald.bsky.social, "
                                        "credentials: bluesky, language: nl, api_base: \"" << api << "\"}\n";
  std::ofstream(dir / "calendar.yaml")
      << "posts:\n"
         "  - {id: video, at: \"" << utc_in(2s) << "\", channels: [youtube], title: Zo smeer je je ketting,\n"
         "     text: \"Monteur Sanne laat zien hoe het moet.\", youtube: {video: dQw4w9WgXcQ, privacy: public}}\n"
         "  - {id: blog, at: \"" << utc_in(3s) << "\", channels: [blog], title: Voorjaarsbeurt in vijf stappen,\n"
         "     text: \"Bekijk de video: {link video}\", excerpt: Vijf stappen, categories: [Onderhoud],\n"
         "     tags: [voorjaar], media: [photo.png]}\n"
         "  - {id: teaser, at: \"" << utc_in(4s) << "\", channels: [x, facebook], media: [photo.png],\n"
         "     text: \"Video: {link video} Alle stappen: {link blog}\", facebook: {link: \"{link blog}\"}}\n"
         "  - {id: zakelijk, at: \"" << utc_in(4s) << "\", channels: [linkedin], title: Voorjaarsbeurt (zakelijk),\n"
         "     text: \"Leasefietsen klaar voor de lente (en het woon-werkverkeer)? {link blog} #fietsleasing\"}\n"
         "  - {id: foto, at: \"" << utc_in(4s) << "\", channels: [instagram], media: [photo.jpg],\n"
         "     text: \"Klaar voor de lente. #fiets #voorjaarsbeurt\"}\n"
         "  - {id: verder, at: \"" << utc_in(5s) << "\", channels: [facebook],\n"
         "     text: \"Zakelijk: {link zakelijk} En op Instagram: {link foto}\"}\n"
         "  - {id: open, at: \"" << utc_in(4s) << "\", channels: [mastodon, bluesky], title: Vijf stappen,\n"
         "     excerpt: \"Ketting, remmen, banden, licht en bel.\",\n"
         "     text: \"Caf\\u00E9-fietsers \\U0001F6B2\\U0001F3FD: alle stappen op {link blog} #fiets\",\n"
         "     mastodon: {spoiler_text: Onderhoud, media: [{file: photo.jpg, alt: \"Een ketting in de olie\"}]}}\n"
         "  - {id: fediverse, at: \"" << utc_in(5s) << "\", channels: [x],\n"
         "     text: \"Ook op Mastodon: {link open@mastodon} en Bluesky: {link open@bluesky}\"}\n";
  BackgroundProcess herald({HERALD_BINARY, "run", "--config", (dir / "herald.yaml").string()},
                           (dir / "herald.log").string());
  const auto log = [&] { return read_file((dir / "herald.log").string()); };
  ASSERT_TRUE(eventually([&] { return log().find("teaser@facebook: sending -> published") != std::string::npos &&
                                      log().find("teaser@x: sending -> published") != std::string::npos &&
                                      log().find("verder@facebook: sending -> published") != std::string::npos &&
                                      log().find("fediverse@x: sending -> published") != std::string::npos; },
                         60s))
      << log();
  // The LinkedIn token's expiry, a week ahead: in the log and the status.
  EXPECT_NE(log().find("channel linkedin: the access token expires at " + date::format("%FT%TZ", in_three_days)),
            std::string::npos)
      << log();
  {
    // herald status, pointed at the port the daemon got.
    const std::string text = log();
    const auto at = text.find("status endpoint on ");
    ASSERT_NE(at, std::string::npos) << text;
    const std::string where = text.substr(at + 19, text.find('\n', at) - at - 19);
    std::string settings = read_file((dir / "herald.yaml").string());
    settings.replace(settings.find("127.0.0.1:0"), 11, where);
    std::ofstream(dir / "status.yaml") << settings;
    const auto status = testing::run_process({HERALD_BINARY, "status", "--config", (dir / "status.yaml").string()});
    EXPECT_NE(status.out.find("linkedin: the access token expires at"), std::string::npos) << status.out << status.err;

    // Then herald listens (issue 17): every platform's counters are read
    // 5 s after its post went out, and `herald report` shows them.
    const std::string config = (dir / "status.yaml").string();
    boost::json::object report;
    auto read_everywhere = [&] {
      const auto r = testing::run_process({HERALD_BINARY, "report", "--config", config, "--format", "json"});
      if (r.exit_code != 0) return false;
      report = boost::json::parse(r.out).as_object();
      std::size_t read = 0;
      for (const auto& g : report.at("groups").as_array()) read += g.at("read").as_int64() > 0;
      return read == 8;
    };
    ASSERT_TRUE(eventually(read_everywhere, 60s)) << boost::json::serialize(report) << log();
    std::map<std::string, boost::json::object> by_channel;
    for (const auto& g : report.at("groups").as_array())
      by_channel[std::string(g.at("name").as_string())] = g.as_object();
    // Each platform's own counters, in the common words (docs/connectors.md,
    // "Engagement counters"): a platform without views says null, not 0.
    for (const auto& [channel, words] : std::map<std::string, std::vector<std::string>>{
             {"x", {"views", "likes", "shares", "replies"}},
             {"facebook", {"likes", "shares", "replies"}},
             {"youtube", {"views", "likes", "replies"}},
             {"blog", {"replies"}},
             {"linkedin", {"likes", "replies"}},
             {"instagram", {"likes", "replies"}},
             {"mastodon", {"likes", "shares", "replies"}},
             {"bluesky", {"likes", "shares", "replies"}}}) {
      for (const auto& word : words)
        EXPECT_TRUE(by_channel[channel].at(word).is_int64()) << channel << " " << word << ": "
                                                             << boost::json::serialize(by_channel[channel]);
    }
    EXPECT_TRUE(by_channel["mastodon"].at("views").is_null());
    EXPECT_TRUE(by_channel["bluesky"].at("views").is_null());
    // The table a person reads, with the conversations to answer.
    const auto table = testing::run_process({HERALD_BINARY, "report", "--config", config, "--by", "kind"});
    EXPECT_EQ(table.exit_code, 0) << table.err;
    EXPECT_NE(table.out.find("KIND   POSTS  READ"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("Conversations to answer"), std::string::npos) << table.out;
    // /metrics counts the reads.
    httplib::Client client("127.0.0.1", std::stoi(where.substr(where.rfind(':') + 1)));
    auto metrics = client.Get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_NE(metrics->body.find("herald_engagement_reads_total{channel=\"x\",outcome=\"read\"}"), std::string::npos)
        << metrics->body;
    // The page's calendar: the exact text each network received, the link,
    // the counters; the picture of a post served from the calendar's folder.
    auto calendar = client.Get("/api/v1/calendar");
    ASSERT_TRUE(calendar);
    const auto entries = boost::json::parse(calendar->body).at("deliveries").as_array();
    bool teaser = false;
    for (const auto& e : entries) {
      if (e.at("key") != "foto@instagram") continue;
      teaser = true;
      EXPECT_EQ(e.at("text"), "Klaar voor de lente. #fiets #voorjaarsbeurt");
      EXPECT_FALSE(e.at("counters").is_null());
      EXPECT_EQ(e.at("media").as_array().at(0).at("url"), "api/v1/media?post=foto&n=0");
    }
    EXPECT_TRUE(teaser) << calendar->body;
    auto picture = client.Get("/api/v1/media?post=foto&n=0");
    ASSERT_TRUE(picture);
    EXPECT_EQ(picture->status, 200);
    EXPECT_EQ(picture->get_header_value("Content-Type"), "image/jpeg");
    EXPECT_EQ(picture->body, read_file((dir / "photo.jpg").string()));
    // Nothing but the calendar's pictures: not a post's other files, not a path.
    EXPECT_EQ(client.Get("/api/v1/media?post=foto&n=1")->status, 404);
    EXPECT_EQ(client.Get("/api/v1/media?post=..%2Fherald.yaml&n=0")->status, 404);
    EXPECT_EQ(client.Get("/api/v1/media?post=teaser&n=0")->status, 200);  // the PNG
    auto series = client.Get("/api/v1/deliveries/teaser%40x/engagement");
    ASSERT_TRUE(series);
    EXPECT_NE(series->body.find("\"common\":\"likes\""), std::string::npos) << series->body;
    // The page, as a person sees it: the week with the cards, and the charts.
    const auto shots = std::filesystem::read_symlink("/proc/self/exe").parent_path() / "screenshots";
    if (testing::browser_unavailable().empty()) {
      const auto page = testing::load_page("http://" + where + "/", shots / "herald-run-week.png");
      EXPECT_NE(page.text.find("Klaar voor de lente. #fiets #voorjaarsbeurt"), std::string::npos) << page.text;
      EXPECT_NE(page.text.find("By channel"), std::string::npos) << page.text;
      const auto detail = testing::load_page("http://" + where + "/#delivery=teaser%40x", shots / "herald-run-detail.png");
      EXPECT_NE(detail.text.find("History"), std::string::npos);
    } else {
      ADD_FAILURE() << testing::browser_unavailable();
    }
  }
  herald.signal(SIGTERM);
  ASSERT_EQ(herald.wait(20s), 0);

  std::map<std::string, testing::SandboxCreate> by_platform;
  testing::SandboxCreate further;  // the second Facebook post, linking to LinkedIn and Instagram
  testing::SandboxCreate fediverse;  // the second tweet, linking to Mastodon and Bluesky
  for (const auto& c : sandbox.creates()) {
    if (c.platform == "facebook" && c.text.starts_with("Zakelijk")) {
      further = c;
      continue;
    }
    if (c.platform == "x" && c.text.starts_with("Ook op Mastodon")) {
      fediverse = c;
      continue;
    }
    EXPECT_FALSE(by_platform.contains(c.platform)) << "two creates on " << c.platform;
    by_platform[c.platform] = c;
  }
  ASSERT_EQ(by_platform.size(), 8u) << log();
  const auto store = Store::open(dir / "state");
  const std::string video_url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ";
  EXPECT_EQ(store->get("video@youtube")->url, video_url);
  EXPECT_EQ(by_platform["youtube"].fields["privacy"], "public");
  const std::string blog_url = store->get("blog@blog")->url;
  EXPECT_TRUE(blog_url.starts_with("https://blog.example.com/")) << blog_url;
  // The blog links to the video; the teasers link to both, the own blog
  // link tagged for the channel it appears on.
  EXPECT_NE(by_platform["wordpress"].text.find(video_url), std::string::npos) << by_platform["wordpress"].text;
  EXPECT_NE(by_platform["x"].text.find(video_url), std::string::npos) << by_platform["x"].text;
  EXPECT_NE(by_platform["x"].text.find(blog_url + "?utm_source=x&utm_medium=social"), std::string::npos)
      << by_platform["x"].text;
  EXPECT_NE(by_platform["facebook"].text.find(blog_url + "?utm_source=facebook&utm_medium=social"),
            std::string::npos)
      << by_platform["facebook"].text;
  // Images went along: X media, a Facebook photo post, a featured image.
  EXPECT_FALSE(by_platform["x"].media_ids.empty());
  EXPECT_FALSE(by_platform["facebook"].fields["photo"].empty());
  EXPECT_NE(by_platform["wordpress"].fields["featured_media"], "0");
  // LinkedIn: the blog as the article card and in the text, tagged for
  // LinkedIn; the text arrives as written (its parentheses escaped).
  EXPECT_EQ(by_platform["linkedin"].fields["article_source"].rfind(blog_url + "?utm_source=linkedin&utm_medium=social", 0),
            0u)
      << by_platform["linkedin"].fields["article_source"];
  EXPECT_EQ(by_platform["linkedin"].fields["article_title"], "Voorjaarsbeurt (zakelijk)");
  EXPECT_EQ(by_platform["linkedin"].fields["rendered"],
            "Leasefietsen klaar voor de lente (en het woon-werkverkeer)? " + blog_url +
                "?utm_source=linkedin&utm_medium=social #fietsleasing");
  // Instagram: the picture from media_url, published from its container.
  EXPECT_EQ(by_platform["instagram"].media_ids, std::vector<std::string>{"https://media.example.com/herald/photo.jpg"});
  EXPECT_EQ(by_platform["instagram"].fields["media_type"], "IMAGE");
  // {link zakelijk} and {link foto} became the URLs the sandbox gave.
  const std::string linkedin_url = store->get("zakelijk@linkedin")->url;
  const std::string instagram_url = store->get("foto@instagram")->url;
  EXPECT_EQ(linkedin_url, "https://www.linkedin.com/feed/update/" + by_platform["linkedin"].id + "/");
  EXPECT_EQ(instagram_url, by_platform["instagram"].fields["permalink"]);
  EXPECT_EQ(further.text, "Zakelijk: " + linkedin_url + " En op Instagram: " + instagram_url);
  // Mastodon: the blog tagged for Mastodon in the status, the content
  // warning, the picture with its alt text.
  const auto& toot = by_platform["mastodon"];
  EXPECT_EQ(toot.text, "Caf\u00E9-fietsers \U0001F6B2\U0001F3FD: alle stappen op " + blog_url +
                           "?utm_source=mastodon&utm_medium=social #fiets");
  EXPECT_EQ(toot.fields.at("spoiler_text"), "Onderhoud");
  ASSERT_EQ(toot.media_ids.size(), 1u);
  EXPECT_EQ(toot.fields.at("alt:" + toot.media_ids[0]), "Een ketting in de olie");
  // Bluesky: the link shown shortened, its facet at the UTF-8 bytes of what
  // is shown (after an accent and an emoji with a skin tone) and pointing at
  // the full tagged address, the #tag faceted, the card for the blog.
  const auto& sky = by_platform["bluesky"];
  const std::string sky_link = blog_url + "?utm_source=bluesky&utm_medium=social";
  EXPECT_EQ(sky.text, "Caf\u00E9-fietsers \U0001F6B2\U0001F3FD: alle stappen op " + short_url(sky_link) + " #fiets");
  const auto facets = boost::json::parse(sky.fields.at("facets")).as_array();
  ASSERT_EQ(facets.size(), 2u) << sky.fields.at("facets");
  std::vector<std::string> slices, features;
  for (const auto& f : facets) {
    const auto& index = f.at("index").as_object();
    const auto start = static_cast<std::size_t>(index.at("byteStart").as_int64());
    const auto end = static_cast<std::size_t>(index.at("byteEnd").as_int64());
    ASSERT_LE(end, sky.text.size());
    slices.push_back(sky.text.substr(start, end - start));
    const auto& feature = f.at("features").as_array().at(0).as_object();
    features.push_back(feature.contains("uri") ? std::string(feature.at("uri").as_string())
                                               : "#" + std::string(feature.at("tag").as_string()));
  }
  EXPECT_EQ(slices, (std::vector<std::string>{short_url(sky_link), "#fiets"}));
  EXPECT_EQ(features, (std::vector<std::string>{sky_link, "#fiets"}));
  EXPECT_EQ(sky.fields.at("card_uri"), sky_link);
  EXPECT_EQ(sky.fields.at("card_title"), "Vijf stappen");
  EXPECT_EQ(sky.fields.at("card_description"), "Ketting, remmen, banden, licht en bel.");
  EXPECT_EQ(sky.fields.at("langs"), "nl");
  // {link open@mastodon} and {link open@bluesky} became their addresses.
  const std::string toot_url = store->get("open@mastodon")->url;
  const std::string sky_url = store->get("open@bluesky")->url;
  EXPECT_EQ(toot_url, "https://mastodon.example/@sandbox_herald/" + toot.id);
  EXPECT_EQ(sky_url, "https://bsky.app/profile/sandbox-herald.bsky.social/post/" + sky.fields.at("rkey"));
  EXPECT_EQ(fediverse.text, "Ook op Mastodon: " + toot_url + " en Bluesky: " + sky_url);
  for (const auto& key : {"video@youtube", "blog@blog", "teaser@x", "teaser@facebook", "zakelijk@linkedin",
                          "foto@instagram", "verder@facebook", "open@mastodon", "open@bluesky", "fediverse@x"})
    EXPECT_EQ(store->get(key)->state, State::published) << key;
  // Not one credential value in the log.
  for (const char* secret : {"FAKE-consumer-secret-not-real", "FAKE-access-token-secret-not-real",
                             "FAKE-page-token-not-real", "GOCSPX-FAKE-client-secret-not-real",
                             "1//FAKE-youtube-refresh-token-not-real", "FAKE abcd efgh",
                             "FAKE-linkedin-organization-token-not-real", "FAKE-instagram-user-token-not-real",
                             "FAKE-mastodon-access-token-not-real", "FAKE-abcd-efgh-ijkl-mnop"})
    EXPECT_EQ(log().find(secret), std::string::npos) << secret;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace herald
