#include "connectors/static/static_connector.hpp"

#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <thread>
#include <vector>

namespace herald {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

const std::string kText =
    "---\ntitle: \"Spring sale: 20% off\"\ndate: 2027-03-01T09:00:00+01:00\nherald_post: Spring_Sale\n---\n\n"
    "Everything in the shop is 20% off this week.\n";

ChannelSettings channel_in(const std::filesystem::path& dir) {
  ChannelSettings c;
  c.name = "blog";
  c.kind = ChannelKind::static_site;
  c.dir = dir;
  return c;
}

PublishRequest request(std::string key = "Spring_Sale@blog", std::string text = kText) {
  PublishRequest r;
  r.key = std::move(key);
  r.post = "Spring_Sale";
  r.channel = "blog";
  r.composed.kind = ChannelKind::static_site;
  r.composed.text = std::move(text);
  r.local_time = "2027-03-01T09:00:00+01:00";
  return r;
}

template <class T>
const T& as(const PublishResult& result) {
  static const T none{};
  if (auto* p = std::get_if<T>(&result)) return *p;
  ADD_FAILURE() << "unexpected result kind " << result.index()
                << (std::holds_alternative<Failed>(result) ? ": " + std::get<Failed>(result).message : "");
  return none;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(StaticFileName, IsTheSlugWithTheDateForRecurringDeliveries) {
  EXPECT_EQ(static_file_name("Spring_Sale@blog", "Spring_Sale"), "spring-sale.md");
  EXPECT_EQ(static_file_name("weekly.tip@blog#2027-03-01", "weekly.tip"), "weekly-tip-2027-03-01.md");
  EXPECT_EQ(static_file_name("a@blog#../../etc/passwd", "a"), std::nullopt);
  EXPECT_EQ(static_file_name("a@blog", ""), std::nullopt);
}

TEST(StaticConnector, WritesTheFileWithExactContent) {
  TempDir tmp;
  StaticConnector connector(channel_in(tmp.path()));
  const auto published = as<Published>(connector.publish(request()));
  const auto path = tmp.path() / "spring-sale.md";
  EXPECT_EQ(read_file(path), kText);
  EXPECT_EQ(published.remote_id, path.string());
  EXPECT_EQ(published.url, "file://" + path.string());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(tmp.path())) ++entries;
  EXPECT_EQ(entries, 1);  // no temporary file left behind
}

TEST(StaticConnector, UrlComesFromTheChannel) {
  TempDir tmp;
  auto channel = channel_in(tmp.path());
  channel.url = "https://www.example.nl/blog/{post}/";
  StaticConnector connector(channel);
  EXPECT_EQ(as<Published>(connector.publish(request())).url, "https://www.example.nl/blog/spring-sale/");
}

TEST(StaticConnector, FileUrlIsPercentEncoded) {
  TempDir tmp;
  StaticConnector connector(channel_in(tmp.path() / "my site"));
  EXPECT_EQ(as<Published>(connector.publish(request())).url,
            "file://" + tmp.path().string() + "/my%20site/spring-sale.md");
}

TEST(StaticConnector, PublishingTheSameContentAgainIsPublishedAndLeavesTheFile) {
  TempDir tmp;
  StaticConnector connector(channel_in(tmp.path()));
  const auto first = as<Published>(connector.publish(request()));
  const auto path = tmp.path() / "spring-sale.md";
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  const auto second = as<Published>(connector.publish(request()));
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(second.remote_id, first.remote_id);
  EXPECT_EQ(second.url, first.url);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  EXPECT_EQ(read_file(path), kText);
}

// The file is local: a lookup is exact and nothing goes on after publish
// returns, so a lost answer (a crash) is settled by one lookup at once; a
// repeat would run `after` (a commit, a deploy) a second time.
TEST(StaticConnector, SettlePolicyLooksUpAtOnce) {
  TempDir tmp;
  StaticConnector connector(channel_in(tmp.path()));
  EXPECT_FALSE(connector.settle_policy().repeat_is_safe);
  EXPECT_EQ(connector.settle_policy().margin, std::chrono::seconds{0});
}

TEST(StaticConnector, RefusesToReplaceADifferentFile) {
  TempDir tmp;
  const auto path = tmp.path() / "spring-sale.md";
  write_file(path, "---\ntitle: Someone else's\n---\n");
  StaticConnector connector(channel_in(tmp.path()));
  const auto failed = as<Failed>(connector.publish(request()));
  EXPECT_EQ(failed.message, "a different file already exists at " + path.string());
  EXPECT_EQ(read_file(path), "---\ntitle: Someone else's\n---\n");
}

TEST(StaticConnector, RefusesWhenTheTargetIsNotARegularFile) {
  TempDir tmp;
  std::filesystem::create_directory(tmp.path() / "spring-sale.md");
  StaticConnector connector(channel_in(tmp.path()));
  EXPECT_TRUE(contains(as<Failed>(connector.publish(request())).message, "not a regular file"));
}

TEST(StaticConnector, ConcurrentPublishesOfTheSameDeliveryBothSucceed) {
  TempDir tmp;
  StaticConnector connector(channel_in(tmp.path()));
  std::vector<PublishResult> results(8);
  std::vector<std::thread> threads;
  for (auto& result : results) threads.emplace_back([&] { result = connector.publish(request()); });
  for (auto& t : threads) t.join();
  for (const auto& result : results) as<Published>(result);
  EXPECT_EQ(read_file(tmp.path() / "spring-sale.md"), kText);
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(tmp.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(StaticConnector, RecurringDeliveryGetsADatedFile) {
  TempDir tmp;
  auto channel = channel_in(tmp.path());
  channel.url = "https://www.example.nl/blog/{post}/";
  StaticConnector connector(channel);
  const auto published = as<Published>(connector.publish(request("Spring_Sale@blog#2027-03-01")));
  EXPECT_EQ(published.remote_id, (tmp.path() / "spring-sale-2027-03-01.md").string());
  EXPECT_EQ(published.url, "https://www.example.nl/blog/spring-sale-2027-03-01/");
  EXPECT_EQ(read_file(tmp.path() / "spring-sale-2027-03-01.md"), kText);
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "spring-sale.md"));
}

TEST(StaticConnector, CreatesTheDirectoryButNotItsParents) {
  TempDir tmp;
  StaticConnector make_dir(channel_in(tmp.path() / "posts"));
  as<Published>(make_dir.publish(request()));
  struct stat st {};
  ASSERT_EQ(::stat((tmp.path() / "posts").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(read_file(tmp.path() / "posts" / "spring-sale.md"), kText);

  StaticConnector no_parent(channel_in(tmp.path() / "site" / "posts"));
  const auto failed = as<Failed>(no_parent.publish(request()));
  EXPECT_TRUE(contains(failed.message, (tmp.path() / "site" / "posts").string() + " does not exist")) << failed.message;
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "site"));
}

TEST(StaticConnector, RefusesADeliveryComposedForAnotherKind) {
  TempDir tmp;
  StaticConnector connector(channel_in(tmp.path()));
  auto r = request();
  r.composed.kind = ChannelKind::wordpress;
  as<Failed>(connector.publish(r));
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "spring-sale.md"));
}

TEST(StaticConnector, AfterRunsInTheDirectoryAndSeesTheFile) {
  TempDir tmp;
  auto channel = channel_in(tmp.path());
  channel.after = "pwd -P > after.log && cp spring-sale.md seen.md";
  StaticConnector connector(channel);
  as<Published>(connector.publish(request()));
  EXPECT_EQ(read_file(tmp.path() / "after.log"), tmp.path().string() + "\n");
  EXPECT_EQ(read_file(tmp.path() / "seen.md"), kText);
}

TEST(StaticConnector, AfterSeesWhatWasPublishedInItsEnvironment) {
  TempDir tmp;
  auto channel = channel_in(tmp.path());
  channel.url = "https://example.nl/{post}/";
  channel.after = "printf '%s|%s|%s|%s|%s' \"$HERALD_KEY\" \"$HERALD_POST\" \"$HERALD_CHANNEL\" \"$HERALD_FILE\" \"$HERALD_URL\" > env.log";
  StaticConnector connector(channel);
  as<Published>(connector.publish(request()));
  EXPECT_EQ(read_file(tmp.path() / "env.log"), "Spring_Sale@blog|Spring_Sale|blog|" +
                                                   (tmp.path() / "spring-sale.md").string() +
                                                   "|https://example.nl/spring-sale/");
}

TEST(StaticConnector, AfterRunsAgainWhenTheFileIsAlreadyThere) {
  TempDir tmp;
  auto channel = channel_in(tmp.path());
  channel.after = "echo run >> after.log";
  StaticConnector connector(channel);
  as<Published>(connector.publish(request()));
  as<Published>(connector.publish(request()));
  EXPECT_EQ(read_file(tmp.path() / "after.log"), "run\nrun\n");
}

TEST(StaticConnector, AfterFailingIsFailedSayingTheFileWasWritten) {
  TempDir tmp;
  auto channel = channel_in(tmp.path());
  channel.after = "echo building; echo 'error: theme not found' >&2; exit 3";
  StaticConnector connector(channel);
  const auto failed = as<Failed>(connector.publish(request()));
  const auto path = tmp.path() / "spring-sale.md";
  EXPECT_EQ(failed.message, "wrote " + path.string() +
                                ", but the after command failed (exit code 3):\nbuilding\nerror: theme not found");
  EXPECT_EQ(read_file(path), kText);
}

TEST(StaticConnector, AfterFailureMessageKeepsOnlyTheFirstLines) {
  TempDir tmp;
  auto channel = channel_in(tmp.path());
  channel.after = "i=0; while [ $i -lt 100 ]; do echo line $i; i=$((i+1)); done; exit 1";
  StaticConnector connector(channel);
  const auto message = as<Failed>(connector.publish(request())).message;
  EXPECT_TRUE(contains(message, "line 19\n...")) << message;
  EXPECT_FALSE(contains(message, "line 20")) << message;
}

// Waits for the 1 s timeout by design: the deadline is real time on a child.
TEST(StaticConnector, AfterPastTheTimeoutIsKilled) {
  TempDir tmp;
  auto channel = channel_in(tmp.path());
  channel.after = "sleep 30";
  StaticConnector connector(channel, CommandLimits{std::chrono::seconds(1), 64 * 1024});
  const auto start = std::chrono::steady_clock::now();
  const auto failed = as<Failed>(connector.publish(request()));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_TRUE(contains(failed.message, "timed out after 1 s and was killed")) << failed.message;
  EXPECT_TRUE(contains(failed.message, "wrote " + (tmp.path() / "spring-sale.md").string())) << failed.message;
  int status = 0;
  EXPECT_EQ(::waitpid(-1, &status, WNOHANG), -1);  // no zombie left
  EXPECT_EQ(errno, ECHILD);
}

TEST(StaticConnector, LookupFoundAbsentUnknown) {
  TempDir tmp;
  auto channel = channel_in(tmp.path());
  channel.url = "https://www.example.nl/blog/{post}/";
  StaticConnector connector(channel);
  EXPECT_TRUE(std::holds_alternative<Absent>(connector.lookup(request())));

  as<Published>(connector.publish(request()));
  const auto found = connector.lookup(request());
  ASSERT_TRUE(std::holds_alternative<Found>(found));
  EXPECT_EQ(std::get<Found>(found).remote_id, (tmp.path() / "spring-sale.md").string());
  EXPECT_EQ(std::get<Found>(found).url, "https://www.example.nl/blog/spring-sale/");

  // The same file, but this request was composed differently (an edit since).
  const auto other = connector.lookup(request("Spring_Sale@blog", kText + "P.S.\n"));
  ASSERT_TRUE(std::holds_alternative<Unknown>(other));
  EXPECT_TRUE(contains(std::get<Unknown>(other).message, "a different file exists at"));

  EXPECT_TRUE(std::holds_alternative<Absent>(connector.lookup(request("Spring_Sale@blog#2027-03-01"))));
}

TEST(StaticConnector, LookupInAMissingDirectoryIsAbsent) {
  TempDir tmp;
  StaticConnector connector(channel_in(tmp.path() / "not-yet"));
  EXPECT_TRUE(std::holds_alternative<Absent>(connector.lookup(request())));
}

}  // namespace
}  // namespace herald
