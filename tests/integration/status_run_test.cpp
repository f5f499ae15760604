// The real `herald run` and its status endpoint, reached over real HTTP by
// a client, by the `herald` commands, and by headless Chromium: every
// endpoint answers with the example configuration; the commands show and
// steer the queue, and a pause survives a restart; /healthz turns 503 while
// the event loop is stuck; the page shows what a person needs to see; no
// credential value appears in any answer or log line.
#include "scheduler/store.hpp"
#include "tests/support/browser.hpp"
#include "tests/support/herald_daemon.hpp"
#include "tests/support/process.hpp"

#include <date/date.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <boost/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>

namespace herald {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::BackgroundProcess;
using testing::eventually;
using testing::read_file;
using testing::utc_in;
using testing::run_process;
using namespace std::chrono_literals;

const std::string kToken = "status-token-FAKE-9f3c2a";

class StatusRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("herald-status-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    herald_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
    else std::cerr << "log:\n" << log();
  }

  /// A known calendar on a static channel: one post due soon, two later.
  void known_calendar() {
    fs::create_directories(dir_ / "credentials");
    fs::create_directories(dir_ / "site");
    write_token(dir_ / "credentials");
    config_ = dir_ / "herald.yaml";
    std::ofstream(config_) << "calendar: calendar.yaml\nstate_dir: state\ncredentials_dir: credentials\n"
                              "timezone: Europe/Amsterdam\nstatus: {listen: \"127.0.0.1:0\"}\n"
                              "channels:\n"
                              "  site: {kind: static, dir: site, url: \"https://example.nl/news/{post}/\"}\n"
                              "  news: {kind: static, dir: site, url: \"https://example.nl/extra/{post}/\"}\n";
    std::ofstream(dir_ / "calendar.yaml") << "posts:\n"
                                             "  - {id: soon, at: \"" << utc_in(3600s)
                                          << "\", channels: [site], title: Soon, text: \"Binnenkort open\"}\n"
                                             "  - {id: later, at: \"" << utc_in(2 * 86400s)
                                          << "\", channels: [site, news], title: Later, text: \"Later deze week\"}\n";
  }
  void write_token(const fs::path& credentials) {
    std::ofstream(credentials / "status-token") << kToken << "\n";
    fs::permissions(credentials / "status-token", fs::perms::owner_read | fs::perms::owner_write);
  }

  void start(const std::vector<std::string>& env = {}) {
    const auto before = log().size();
    herald_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{HERALD_BINARY, "run", "--config", config_.string()}, (dir_ / "herald.log").string(),
        env);
    // The port the endpoint bound (the settings ask for any free one).
    const std::regex bound("status endpoint on 127\\.0\\.0\\.1:([0-9]+)");
    std::smatch m;
    std::string text;
    ASSERT_TRUE(eventually(
        [&] {
          text = log().substr(before);
          return std::regex_search(text, m, bound);
        },
        20s))
        << log();
    port_ = std::stoi(m[1]);
    // The commands read the address from the settings: point them at it.
    std::string settings = read_file(config_.string());
    settings = std::regex_replace(settings, std::regex("listen: \"127\\.0\\.0\\.1:0\""),
                                  "listen: \"127.0.0.1:" + std::to_string(port_) + "\"");
    std::ofstream(dir_ / "cli.yaml") << settings;
  }
  void stop() {
    herald_->signal(SIGTERM);
    ASSERT_EQ(herald_->wait(20s), 0) << log();
  }
  std::string log() const { return read_file((dir_ / "herald.log").string()); }

  // The server gives up on a stuck loop after 5 s; the client waits longer
  // (httplib's own default is also 5 s, which raced the server's answer).
  static constexpr auto kClientWait = std::chrono::seconds(20);

  httplib::Result get(const std::string& path) {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(kClientWait);
    auto r = client.Get(path);
    if (r) answers_ += r->body;
    return r;
  }
  httplib::Result post(const std::string& path, const std::string& body, const std::string& token = kToken) {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(kClientWait);
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    auto r = client.Post(path, headers, body, "application/json");
    if (r) answers_ += r->body;
    return r;
  }
  testing::ProcessResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), HERALD_BINARY);
    args.insert(args.begin() + 2, {"--config", (dir_ / "cli.yaml").string()});
    auto r = run_process(args);
    answers_ += r.out + r.err;
    return r;
  }

  fs::path dir_;
  fs::path config_;
  int port_ = 0;
  std::unique_ptr<BackgroundProcess> herald_;
  std::string answers_;  ///< every answer and command output, for the secret scan
};

json::object parse_object(const httplib::Result& r) {
  EXPECT_TRUE(r);
  if (!r) return {};
  boost::system::error_code ec;
  auto v = json::parse(r->body, ec);
  EXPECT_FALSE(ec) << r->body;
  return v.is_object() ? v.as_object() : json::object{};
}

TEST_F(StatusRun, TheExampleConfigurationAnswersEveryEndpoint) {
  // The examples as shipped, in a scratch copy (their state_dir is relative),
  // with a status token and any free port.
  fs::copy(HERALD_SOURCE_DIR "/examples", dir_ / "examples", fs::copy_options::recursive);
  fs::create_directories(dir_ / "examples" / "credentials");
  write_token(dir_ / "examples" / "credentials");
  config_ = dir_ / "examples" / "herald.yaml";
  std::string settings = read_file(config_.string());
  settings = std::regex_replace(settings, std::regex("listen: 127\\.0\\.0\\.1:8787"), "listen: \"127.0.0.1:0\"");
  std::ofstream(config_) << settings;
  start();

  auto health = get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, R"({"status":"ok"})");

  auto status = parse_object(get("/api/v1/status"));
  EXPECT_EQ(status.at("posts").as_int64(), 16);
  EXPECT_EQ(status.at("timezone").as_string(), "Europe/Amsterdam");
  std::vector<std::string> channels;
  for (const auto& c : status.at("channels").as_array()) channels.emplace_back(c.at("name").as_string());
  EXPECT_EQ(channels,
            (std::vector<std::string>{"x", "facebook", "linkedin", "instagram", "mastodon", "bluesky", "youtube", "blog",
                                      "site"}));
  // No credential files in the examples: the platform channels say why they cannot publish.
  const auto& x = status.at("channels").as_array()[0].as_object();
  EXPECT_FALSE(x.at("can_publish").as_bool());
  EXPECT_NE(std::string(x.at("problem").as_string()).find("credentials/x"), std::string::npos);

  auto queue = get("/api/v1/queue?limit=50");
  ASSERT_TRUE(queue);
  EXPECT_EQ(queue->status, 200);
  EXPECT_TRUE(parse_object(queue).contains("deliveries"));
  EXPECT_EQ(get("/api/v1/queue?state=nonsense")->status, 400);
  EXPECT_EQ(get("/api/v1/deliveries/no-such%40x")->status, 404);
  EXPECT_TRUE(parse_object(get("/api/v1/history?limit=5")).contains("events"));

  auto metrics = get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  EXPECT_NE(metrics->body.find("herald_build_info{version=\""), std::string::npos);
  EXPECT_NE(metrics->body.find("herald_calendar_reloads_total{result=\"success\"} 1"), std::string::npos)
      << metrics->body;
  // Prometheus's own linter accepts what the live endpoint serves.
  std::ofstream(dir_ / "metrics.txt") << metrics->body;
  auto promtool = run_process({"/bin/sh", "-c", "promtool check metrics < '" + (dir_ / "metrics.txt").string() + "'"});
  EXPECT_EQ(promtool.exit_code, 0) << promtool.out << promtool.err;

  auto page = get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_FALSE(page->get_header_value("Content-Security-Policy").empty());

  // POSTs: no token, a wrong one, the right one.
  EXPECT_EQ(post("/api/v1/pause", R"({"reason":"test"})", "")->status, 401);
  EXPECT_EQ(post("/api/v1/pause", R"({"reason":"test"})", "not-the-token")->status, 401);
  auto paused = post("/api/v1/pause", R"({"reason":"Storm in het nieuws","channel":"x"})");
  ASSERT_TRUE(paused);
  EXPECT_EQ(paused->status, 200) << paused->body;
  EXPECT_EQ(post("/api/v1/resume", R"({"channel":"x"})")->status, 200);
  EXPECT_EQ(post("/api/v1/resume", R"({"channel":"x"})")->status, 409);
  EXPECT_EQ(post("/api/v1/deliveries/no-such%40x/retry", "{}")->status, 404);
  EXPECT_EQ(post("/api/v1/deliveries/no-such%40x/resolve", R"({"url":"https://x.com/a/status/1"})")->status, 404);
  stop();

  // The token reached no answer, no command output and no log line.
  EXPECT_EQ(answers_.find(kToken), std::string::npos);
  EXPECT_EQ(log().find(kToken), std::string::npos);
}

TEST_F(StatusRun, CommandsShowTheQueueAndAPauseSurvivesARestart) {
  known_calendar();
  start();
  auto status = cli({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("site"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("news"), std::string::npos) << status.out;
  auto queue = cli({"queue"});
  ASSERT_EQ(queue.exit_code, 0) << queue.err;
  EXPECT_NE(queue.out.find("soon@site"), std::string::npos) << queue.out;
  EXPECT_NE(queue.out.find("later@news"), std::string::npos) << queue.out;
  auto one_channel = cli({"queue", "--channel", "news", "--format", "json"});
  ASSERT_EQ(one_channel.exit_code, 0) << one_channel.err;
  EXPECT_EQ(one_channel.out.find("soon@site"), std::string::npos) << one_channel.out;

  auto pause = cli({"pause", "--reason", "Storm in het nieuws"});
  ASSERT_EQ(pause.exit_code, 0) << pause.err;
  stop();
  start();  // the pause is in the store: still paused after a restart
  auto after = cli({"status", "--format", "json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  const auto status_json = json::parse(after.out).as_object();
  ASSERT_TRUE(status_json.at("paused").is_object()) << after.out;
  EXPECT_EQ(status_json.at("paused").at("reason").as_string(), "Storm in het nieuws");
  auto resume = cli({"resume"});
  ASSERT_EQ(resume.exit_code, 0) << resume.err;
  EXPECT_TRUE(json::parse(cli({"status", "--format", "json"}).out).at("paused").is_null());
  auto again = cli({"resume"});
  EXPECT_EQ(again.exit_code, 1) << again.out;
  stop();

  // With the daemon stopped, the commands say so.
  auto down = cli({"status"});
  EXPECT_EQ(down.exit_code, 3);
  EXPECT_NE(down.err.find("not running"), std::string::npos) << down.err;
  EXPECT_EQ(answers_.find(kToken), std::string::npos);
}

TEST_F(StatusRun, RetryAndResolveSettleWhatNeedsAPerson) {
  known_calendar();
  // A post an hour overdue at start-up is beyond the late window: needs_review.
  std::ofstream(dir_ / "calendar.yaml", std::ios::app)
      << "  - {id: missed, at: \"" << utc_in(-3600s) << "\", channels: [site], title: Missed, text: \"Te laat\"}\n"
      << "  - {id: gone, at: \"" << utc_in(-3600s) << "\", channels: [news], title: Gone, text: \"Ook te laat\"}\n";
  start();
  ASSERT_TRUE(eventually([&] { return log().find("missed@site: planned -> needs_review") != std::string::npos; }, 20s));
  auto review = cli({"queue", "--state", "needs_review"});
  ASSERT_EQ(review.exit_code, 0) << review.err;
  EXPECT_NE(review.out.find("missed@site"), std::string::npos) << review.out;
  EXPECT_NE(review.out.find("missed: due at"), std::string::npos) << review.out;

  auto retry = cli({"retry", "missed@site"});
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  ASSERT_TRUE(eventually([&] { return fs::exists(dir_ / "site" / "missed.md"); }, 20s));
  auto resolve = cli({"resolve", "gone@news", "--url", "https://example.nl/extra/gone/"});
  ASSERT_EQ(resolve.exit_code, 0) << resolve.err;
  auto refused = cli({"retry", "missed@site"});
  EXPECT_EQ(refused.exit_code, 1);
  stop();
  auto store = Store::open(dir_ / "state");
  EXPECT_EQ(store->get("missed@site")->state, State::published);
  EXPECT_EQ(store->get("gone@news")->state, State::published);
  EXPECT_EQ(store->get("gone@news")->url, "https://example.nl/extra/gone/");
  EXPECT_FALSE(fs::exists(dir_ / "site" / "gone.md")) << "resolved by a person, never sent";
}

TEST_F(StatusRun, HealthzTurns503WhileTheEventLoopIsStuck) {
  known_calendar();
  // A reload blocks the loop for 30 s (a test-build stall point): /healthz
  // notices after 10 s, and a request that needs the loop gives up after 5.
  // (The margins are wide: under a loaded CI machine the signal and the
  // polls may come late.)
  start({"HERALD_STALL=reload:30"});
  ASSERT_EQ(get("/healthz")->status, 200);
  herald_->signal(SIGHUP);
  std::string reason;
  ASSERT_TRUE(eventually(
      [&] {
        auto r = get("/healthz");
        if (!r || r->status != 503) return false;
        reason = r->body;
        return true;
      },
      28s))
      << log();
  EXPECT_NE(reason.find("event loop has not run"), std::string::npos) << reason;
  // Requests that need the loop say it is busy instead of hanging.
  auto busy = get("/api/v1/status");
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503);
  // The stall ends; the heartbeat is fresh again.
  ASSERT_TRUE(eventually(
      [&] {
        auto r = get("/healthz");
        return r && r->status == 200;
      },
      40s));
  stop();
}

TEST_F(StatusRun, ThePageShowsTheQueueAndThePauseBannerInChromium) {
  HERALD_REQUIRE_BROWSER();
  known_calendar();
  start();
  const fs::path shots = fs::path(HERALD_BINARY).parent_path().parent_path() / "tests" / "screenshots";
  const std::string url = "http://127.0.0.1:" + std::to_string(port_) + "/";
  auto page = testing::load_page(url, shots / "herald-run-status.png");
  EXPECT_NE(page.text.find("site"), std::string::npos) << page.text;
  EXPECT_NE(page.text.find("news"), std::string::npos) << page.text;
  EXPECT_NE(page.text.find("soon"), std::string::npos) << page.text;
  EXPECT_EQ(page.text.find("Storm in het nieuws"), std::string::npos);

  auto pause = cli({"pause", "--reason", "Storm in het nieuws"});
  ASSERT_EQ(pause.exit_code, 0) << pause.err;
  auto paused = testing::load_page(url, shots / "herald-run-status-paused.png");
  EXPECT_NE(paused.text.find("Storm in het nieuws"), std::string::npos) << paused.text;
  EXPECT_NE(paused.dom.find("PAUSED"), std::string::npos);
  EXPECT_GT(fs::file_size(shots / "herald-run-status-paused.png"), 10000u);
  stop();
}

}  // namespace
}  // namespace herald
