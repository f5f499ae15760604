// herald diff --against REF on a real git repository made by the test: the
// real herald binary, the real git.
#include "daemon/git_tree.hpp"

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace herald {
namespace {

namespace fs = std::filesystem;
using testing::ProcessResult;
using testing::run_process;
using testing::TempDir;

const char* kSettings = R"(calendar: calendar.yaml
timezone: Europe/Amsterdam
channels:
  x: {kind: x, account: a, credentials: x}
)";

const char* kCalendar = R"(posts:
  - id: spring
    at: 2027-03-26 10:00
    channels: [x]
    text: Spring is here
)";

/// git's path: run_process does not search $PATH.
std::string git_binary() {
  const char* path = std::getenv("PATH");
  std::string dirs = path && *path ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const fs::path candidate = fs::path(dirs.substr(start, end - start)) / "git";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return "/usr/bin/git";
}

/// A git repository in a temporary directory, with the settings and a calendar committed.
class Repo {
 public:
  Repo() {
    dir_.write("herald.yaml", kSettings);
    dir_.write("calendar.yaml", kCalendar);
    git({"init", "-q"});
    commit("the calendar");
  }
  ProcessResult git(std::vector<std::string> args) const {
    // No user configuration: the test names its author itself.
    std::vector<std::string> argv{git_binary(), "-C", dir_.path().string(), "-c", "user.name=herald test", "-c",
                                  "user.email=test@example.nl", "-c", "commit.gpgsign=false"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_process(argv, {"GIT_CONFIG_NOSYSTEM=1", "HOME=" + dir_.path().string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  }
  void commit(const std::string& message) const {
    git({"add", "-A"});
    git({"commit", "-q", "-m", message});
  }
  void write(const std::string& name, const std::string& text) const { dir_.write(name, text); }
  const fs::path& path() const { return dir_.path(); }

  ProcessResult diff(std::vector<std::string> more) const {
    std::vector<std::string> argv{HERALD_BINARY, "diff", "--config", (dir_.path() / "herald.yaml").string(),
                                  "--now", "2027-03-01 08:00", "--from", "2027-03-01", "--days", "31"};
    argv.insert(argv.end(), more.begin(), more.end());
    return run_process(argv);
  }

 private:
  TempDir dir_;
};

std::string moved_calendar() {
  std::string text = kCalendar;
  text.replace(text.find("2027-03-26"), 10, "2027-03-29");
  return text;
}

TEST(GitDiff, NoChangeAgainstHeadExitsZero) {
  Repo repo;
  auto r = repo.diff({"--against", "HEAD"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  // Files are named from the repository's top, as in a pull request.
  EXPECT_EQ(r.out, "herald diff: HEAD -> herald.yaml, 2027-03-01 00:00 +01:00 to 2027-04-01 00:00 +02:00 "
                   "(Europe/Amsterdam)\n"
                       "no change to the schedule\n");
}

TEST(GitDiff, AnEditOfTheWorkTreeIsAChange) {
  Repo repo;
  repo.write("calendar.yaml", moved_calendar());
  auto r = repo.diff({"--against", "HEAD"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("moved   spring@x  x        2027-03-26 10:00 +01:00  2027-03-29 10:00 +02:00  Spring is here\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("1 change: 1 moved\n"), std::string::npos) << r.out;

  auto md = repo.diff({"--against", "HEAD", "--format", "markdown"});
  EXPECT_EQ(md.exit_code, 2);
  EXPECT_NE(md.out.find("### herald diff: 1 change to the schedule\n"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("| `spring@x` | x | 2027-03-26 10:00 +01:00 | 2027-03-29 10:00 +02:00 | Spring is here |"),
            std::string::npos)
      << md.out;
}

TEST(GitDiff, AnOlderCommitByItsName) {
  Repo repo;
  repo.write("calendar.yaml", moved_calendar());
  repo.commit("move spring");
  EXPECT_EQ(repo.diff({"--against", "HEAD"}).exit_code, 0);
  auto r = repo.diff({"--against", "HEAD~1", "--format", "jsonl"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.out.find(R"("change":"moved","key":"spring@x")"), std::string::npos) << r.out;
}

TEST(GitDiff, TheSettingsAreReadAtTheRevisionToo) {
  // New slots in herald.yaml alone shift a queued post.
  auto with_slot = [](const std::string& slot) {
    std::string text = kSettings;
    return text.replace(text.find("credentials: x}"), 15, "credentials: x, slots: [\"mon-fri " + slot + "\"]}");
  };
  Repo repo;
  repo.write("herald.yaml", with_slot("09:15"));
  repo.write("calendar.yaml", "posts:\n  - {id: tip, queue: true, channels: [x], text: hi}\n");
  repo.commit("a queue");
  repo.write("herald.yaml", with_slot("11:00"));
  auto r = repo.diff({"--against", "HEAD", "--format", "jsonl"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.out.find(R"("change":"slot_shifted","key":"tip@x")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("old_local":"2027-03-01T09:15:00+01:00")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("new_local":"2027-03-01T11:00:00+01:00")"), std::string::npos) << r.out;
}

TEST(GitDiff, ABrokenNewCalendarExitsOneWithItsErrors) {
  Repo repo;
  repo.write("calendar.yaml", "posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [tiktok], text: hi}\n");
  auto r = repo.diff({"--against", "HEAD"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, (repo.path() / "calendar.yaml").string() +
                       ":2:46: error: unknown channel 'tiktok' (the settings define: x)\n");
  EXPECT_NE(r.out.find("the new calendar has 1 error (on the error output); nothing compared\n"), std::string::npos)
      << r.out;
}

TEST(GitDiff, ABrokenOldCalendarIsSaidWithItsErrorsAtTheRevision) {
  Repo repo;
  repo.write("calendar.yaml", "posts:\n  - {id: a, at: soon, channels: [x], text: hi}\n");
  repo.commit("broken");
  repo.write("calendar.yaml", kCalendar);
  auto r = repo.diff({"--against", "HEAD"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("herald diff: the old calendar (HEAD) has 1 error, so its schedule is taken as empty:\n"
                       "HEAD:calendar.yaml:2:17: error: "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("added   spring@x"), std::string::npos) << r.out;
}

TEST(GitDiff, AnUnknownRevisionIsSaidClearly) {
  Repo repo;
  auto r = repo.diff({"--against", "no-such-branch"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "herald diff: git: unknown revision 'no-such-branch' in " + repo.path().string() + "\n");
  // Not taken for an option either.
  EXPECT_EQ(repo.diff({"--against=--output=/tmp/x"}).exit_code, 3);
}

TEST(GitDiff, OutsideARepositoryIsSaidClearly) {
  TempDir dir;
  dir.write("herald.yaml", kSettings);
  dir.write("calendar.yaml", kCalendar);
  auto r = run_process({HERALD_BINARY, "diff", "--config", (dir.path() / "herald.yaml").string(), "--against", "HEAD"},
                       {"GIT_CEILING_DIRECTORIES=" + dir.path().parent_path().string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("herald diff: git: " + dir.path().string() + " is not in a git work tree"), std::string::npos)
      << r.err;
}

TEST(GitDiff, SettingsOutsideTheRepositoryReadTheCalendarAtTheRevision) {
  // /etc/herald/herald.yaml naming a calendar kept in git.
  Repo repo;
  TempDir etc;
  etc.write("herald.yaml", std::string(kSettings).replace(10, 13, (repo.path() / "calendar.yaml").string()));
  repo.write("calendar.yaml", moved_calendar());
  auto r = run_process({HERALD_BINARY, "diff", "--config", (etc.path() / "herald.yaml").string(), "--against", "HEAD",
                        "--now", "2027-03-01 08:00", "--format", "jsonl"},
                       {"GIT_CEILING_DIRECTORIES=" + etc.path().parent_path().string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.out.find(R"("change":"moved","key":"spring@x")"), std::string::npos) << r.out;
}

TEST(GitTree, MapsPathsAndNamesThemByRevision) {
  Repo repo;
  std::string error;
  auto tree = GitTree::open(repo.path() / "herald.yaml", "HEAD", error);
  ASSERT_TRUE(tree) << error;
  EXPECT_EQ(tree->top(), repo.path());
  EXPECT_EQ(tree->commit().size(), 40u);
  const fs::path old = tree->at_revision(repo.path() / "calendar.yaml");
  EXPECT_EQ(testing::read_file(old), kCalendar);
  EXPECT_EQ(tree->display(old.string()), "HEAD:calendar.yaml");
  EXPECT_TRUE(tree->holds(repo.path() / "calendar.yaml"));
  EXPECT_FALSE(tree->holds("/etc/herald/herald.yaml"));
  EXPECT_FALSE(fs::exists(tree->files() / ".git"));
  const fs::path files = tree->files();
  tree.reset();
  EXPECT_FALSE(fs::exists(files)) << "the revision's files are removed with the tree";
}

}  // namespace
}  // namespace herald
