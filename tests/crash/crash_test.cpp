// Kills the real daemon with SIGKILL, at random moments and at its named
// fault points, over and over while a calendar falls due, restarting it each
// time; then checks the promises: every due delivery published exactly once
// or needing review, none created twice, and a sound database. On a static
// channel (each create appends a line to a file), and on X, Facebook,
// LinkedIn, Instagram, Mastodon and Bluesky through herald-sandbox over real
// HTTP (the sandbox records every create).
//
// CI size by default; HERALD_CRASH_KILLS=500 for the long run.
#include "scheduler/store.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sandbox_process.hpp"

#include <date/date.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace herald {
namespace {

using testing::BackgroundProcess;
using testing::eventually;
using testing::read_file;
using namespace std::chrono_literals;

int kills_wanted() {
  const char* env = std::getenv("HERALD_CRASH_KILLS");
  return env ? std::max(1, std::atoi(env)) : 24;
}

/// One channel the crash test runs on: herald's channel line (API stands
/// for the sandbox's address), the sandbox's configuration and the
/// credential file (none for the static channel), and the address a
/// published delivery must have, from its remote id (or the permalink the
/// sandbox recorded).
struct CrashChannel {
  std::string name;
  std::string channel;
  std::string sandbox_yaml;
  std::string credentials;
  std::function<std::string(const std::string& id, const std::string& permalink)> url_of;
};

const std::vector<CrashChannel>& crash_channels() {
  static const std::vector<CrashChannel> all{
      // Each create is recorded by the after-command, so a second create of
      // the same delivery would show as a second line.
      {"static", R"({kind: static, dir: site, url: "https://example.nl/{post}/", after: "echo \"$HERALD_KEY\" >> ../creates.log"})",
       "", "", nullptr},
      {"x", "{kind: x, account: sandbox_herald, credentials: x, api_base: \"API\"}", "",
       testing::sandbox_x_credentials(),
       [](const std::string& id, const std::string&) { return "https://x.com/sandbox_herald/status/" + id; }},
      // An unpublished post, remembered, then made public by id: only public
      // posts count (an unpublished one left by a kill is harmless).
      {"facebook", "{kind: facebook, page_id: \"1234567890\", credentials: facebook, api_base: \"API\"}",
       read_file(HERALD_SOURCE_DIR "/tests/sandbox/sandbox.example.yaml"), "page_token: FAKE-page-token-not-real\n",
       [](const std::string& id, const std::string&) {
         // The permalink Graph gives: PAGE/posts/POST for the id PAGE_POST.
         const auto underscore = id.find('_');
         if (underscore == std::string::npos) return "not a page post id: " + id;
         return "https://www.facebook.com/" + id.substr(0, underscore) + "/posts/" + id.substr(underscore + 1);
       }},
      {"linkedin", "{kind: linkedin, author: \"urn:li:organization:2414183\", credentials: linkedin, api_base: \"API\"}",
       read_file(HERALD_SOURCE_DIR "/tests/sandbox/sandbox.example.yaml"),
       "access_token: FAKE-linkedin-organization-token-not-real\n",
       [](const std::string& id, const std::string&) { return "https://www.linkedin.com/feed/update/" + id + "/"; }},
      // Every post is a picture, fetched (by the real Instagram) from
      // media_url; the publishing limit and herald's default rate (50/24h)
      // are raised.
      {"instagram",
       "{kind: instagram, account_id: \"17841400000000001\", credentials: instagram, rate: 100000/1m, api_base: \"API\"}",
       "instagram:\n  publishing_limit: 100000\n  accounts:\n    - {account_id: \"17841400000000001\", username: "
       "sandbox_herald, access_token: FAKE-instagram-user-token-not-real}\n",
       "access_token: FAKE-instagram-user-token-not-real\n",
       [](const std::string&, const std::string& permalink) { return permalink.empty() ? "(no permalink)" : permalink; }},
      // Every repeat carries the delivery's Idempotency-Key.
      {"mastodon", "{kind: mastodon, instance: \"https://mastodon.example\", credentials: mastodon, api_base: \"API\"}",
       "mastodon:\n  domain: mastodon.example\n  rate_limit: 100000\n  accounts:\n"
       "    - {id: \"109000000000000001\", username: sandbox_herald, access_token: FAKE-mastodon-access-token-not-real}\n",
       "access_token: FAKE-mastodon-access-token-not-real\n",
       [](const std::string& id, const std::string&) { return "https://mastodon.example/@sandbox_herald/" + id; }},
      // Every create goes under the record key stored before it; a restart
      // renews the session with the stored refresh JWT.
      {"bluesky", "{kind: bluesky, handle: sandbox-herald.bsky.social, credentials: bluesky, api_base: \"API\"}",
       "bluesky:\n  write_points_per_hour: 1000000\n  session_limit: 1000\n  accounts:\n"
       "    - {handle: sandbox-herald.bsky.social, did: \"did:plc:fakesandboxherald0000001\", "
       "app_password: FAKE-abcd-efgh-ijkl-mnop}\n",
       "app_password: FAKE-abcd-efgh-ijkl-mnop\n",
       [](const std::string& id, const std::string&) {
         return "https://bsky.app/profile/sandbox-herald.bsky.social/post/" + id.substr(id.rfind('/') + 1);
       }},
  };
  return all;
}

const CrashChannel& crash_channel(const std::string& name) {
  for (const auto& c : crash_channels())
    if (c.name == name) return c;
  throw std::invalid_argument("no crash channel " + name);
}

/// What differs between the runs: the channel, and how creates are counted.
class Crash : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("herald-crash-" + GetParam() + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "site");
  }
  void TearDown() override {
    sandbox_.reset();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<testing::SandboxProcess> sandbox_;
};

TEST_P(Crash, SigkillAnywhereNeverPublishesTwiceNorLosesADelivery) {
  const int kills = kills_wanted();
  const auto& dir = dir_;
  const CrashChannel& channel = crash_channel(GetParam());
  const bool on_sandbox = !channel.sandbox_yaml.empty() || channel.name == "x";
  // Two posts a second, for as long as the kills need (a kill takes about a
  // second, start-up included), so the kills never run out of posts.
  const int posts = std::max(20, kills * 3);
  testing::write_status_token((dir / "credentials").string());
  std::string channel_line = channel.channel;
  if (on_sandbox) {
    // The sandbox answers every create at once; its own limits are raised so
    // the calendar can fall due at two posts a second.
    sandbox_ = std::make_unique<testing::SandboxProcess>(
        dir / "sandbox", channel.name == "x" ? testing::sandbox_x_section(posts * 2) : channel.sandbox_yaml);
    std::ofstream(dir / "credentials" / channel.name) << channel.credentials;
    std::filesystem::permissions(dir / "credentials" / channel.name, std::filesystem::perms::owner_read);
    channel_line.replace(channel_line.find("API"), 3, sandbox_->base_url());
  }
  if (channel.name == "instagram")
    std::filesystem::copy_file(HERALD_SOURCE_DIR "/examples/media/voorjaarsbeurt.jpg", dir / "photo.jpg");
  std::ofstream(dir / "herald.yaml") << "calendar: calendar.yaml\nstate_dir: state\ncredentials_dir: credentials\n"
                                        "timezone: UTC\nstatus: {listen: \"127.0.0.1:0\"}\n"
                                        // Where Instagram would fetch the calendar's media.
                                        "media_url: https://media.example.com/herald/\n"
                                        // The sandbox finishes every create at once: a short settle margin
                                        // keeps the kills coming (a lost answer is still settled by lookups).
                                        "publishing: {settle_margin: 3s}\n"
                                        "channels:\n  site: "
                                     << channel_line << "\n";
  const auto start = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) + 2s;
  {
    std::ofstream cal(dir / "calendar.yaml");
    cal << "posts:\n";
    for (int i = 0; i < posts; ++i)
      cal << "  - {id: p" << i << ", at: \"" << date::format("%FT%TZ", start + std::chrono::seconds(i / 2))
          << "\", channels: [site], title: \"Post " << i << "\", text: \"Body " << i << "\""
          << (channel.name == "instagram" ? ", media: [photo.jpg]" : "") << "}\n";
  }
  const std::vector<std::string> argv{HERALD_BINARY, "run", "--config", (dir / "herald.yaml").string()};
  const std::vector<std::string> points{"after_sending_commit", "after_request", "before_result_commit"};
  std::mt19937 rng(20271123);
  int done_kills = 0, fault_kills = 0, random_kills = 0;
  const auto log = (dir / "herald.log").string();
  const auto last_due = start + std::chrono::seconds(posts / 2);
  auto all_final = [&] {
    auto store = Store::open(dir / "state");
    const auto all = store->all();
    for (const auto& d : all)
      if (d.state != State::published && d.state != State::needs_review) return false;
    return all.size() == static_cast<std::size_t>(posts);
  };
  auto until_last_due = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(last_due - std::chrono::system_clock::now()) + 5s;
  };
  while (done_kills < kills && !(done_kills > 0 && all_final())) {
    std::vector<std::string> env;
    const bool at_fault_point = done_kills % 2 == 0;
    if (at_fault_point) env.push_back("HERALD_FAULT=" + points[static_cast<std::size_t>(done_kills / 2) % points.size()] +
                                      ":" + std::to_string(1 + rng() % 3));
    const auto log_size_before = read_file(log).size();
    BackgroundProcess herald(argv, log, env);
    if (at_fault_point) {
      // It kills itself at the fault point; give it until its posts are long due.
      if (herald.wait(std::max<std::chrono::milliseconds>(until_last_due(), 3s)) == 128 + SIGKILL) {
        ++fault_kills;
      } else {
        herald.signal(SIGKILL);
        herald.wait(10s);
        ++random_kills;
      }
    } else {
      // Half of these land during start-up (loading, reconciling), half
      // while it publishes.
      if (done_kills % 4 == 1)
        eventually([&] { return read_file(log).find("herald started", log_size_before) != std::string::npos; }, 20s);
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 600));
      herald.signal(SIGKILL);
      herald.wait(10s);
      ++random_kills;
    }
    ++done_kills;
  }
  // A last, undisturbed run publishes what is left, then stops cleanly.
  {
    const auto log_before = read_file(log).size();
    BackgroundProcess herald(argv, log);
    // Signals sent before main() runs would not reach the daemon's handler.
    ASSERT_TRUE(eventually([&] { return read_file(log).find("herald started", log_before) != std::string::npos; }, 20s));
    ASSERT_TRUE(eventually(all_final, std::max<std::chrono::milliseconds>(until_last_due(), 0ms) + 60s +
                                          std::chrono::milliseconds(50 * posts)))
        << read_file(log).substr(0, 20000);
    herald.signal(SIGTERM);
    ASSERT_EQ(herald.wait(20s), 0);
  }

  // Creates per delivery key: the static channel's log has keys; the
  // sandbox's record has texts, "Body N" for post pN.
  std::map<std::string, int> creates;
  std::map<std::string, std::string> remote_ids;
  std::map<std::string, std::string> permalinks;
  if (on_sandbox) {
    for (const auto& c : sandbox_->creates()) {
      if (c.platform != GetParam()) continue;
      const auto field = [&c](const char* name) {
        auto it = c.fields.find(name);
        return it == c.fields.end() ? std::string() : it->second;
      };
      if (channel.name == "facebook" && (field("published") != "true" || field("deleted") == "true")) continue;
      const std::string key = "p" + c.text.substr(std::string("Body ").size()) + "@site";
      ++creates[key];
      remote_ids[key] = c.id;
      if (auto it = c.fields.find("permalink"); it != c.fields.end()) permalinks[key] = it->second;
    }
  } else {
    std::istringstream lines(read_file((dir / "creates.log").string()));
    for (std::string line; std::getline(lines, line);) ++creates[line];
  }
  auto store = Store::open(dir / "state");
  int published = 0, review = 0;
  for (const auto& d : store->all()) {
    EXPECT_LE(creates[d.key], 1) << d.key << " was created twice";
    if (d.state == State::published) {
      ++published;
      if (on_sandbox) {
        EXPECT_EQ(d.remote_id, remote_ids[d.key]) << d.key;
        EXPECT_EQ(d.url, channel.url_of(remote_ids[d.key], permalinks[d.key])) << d.key;
      } else {
        EXPECT_TRUE(std::filesystem::exists(dir / "site" / (d.post + ".md"))) << d.key;
      }
    } else {
      ++review;
      EXPECT_EQ(d.state, State::needs_review) << d.key;
    }
  }
  EXPECT_EQ(published + review, posts);
  // Not vacuous: the daemon really died at its fault points and at random moments
  // (a build without HERALD_FAULT_POINTS fails here).
  EXPECT_GT(fault_kills, 0);
  EXPECT_GT(random_kills, 0);
  EXPECT_TRUE(store->integrity_ok());
  std::cout << "[crash " << GetParam() << "] kills: " << done_kills << " (" << fault_kills << " at fault points, " << random_kills
            << " at random moments); deliveries: " << posts << ", published " << published << ", needs_review "
            << review << ", created twice: 0\n";
}

INSTANTIATE_TEST_SUITE_P(Channels, Crash, ::testing::Values("static", "x", "facebook", "linkedin", "instagram",
                                                            "mastodon", "bluesky"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) { return param_info.param; });

}  // namespace
}  // namespace herald
