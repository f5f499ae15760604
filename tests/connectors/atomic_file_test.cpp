#include "connectors/static/atomic_file.hpp"

#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>

namespace herald {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

TEST(AtomicFile, CreatesTheFileWithMode0644AndNoLeftovers) {
  TempDir tmp;
  const auto path = tmp.path() / "a.md";
  const mode_t old_umask = ::umask(077);
  auto error = create_file_atomically(path, "hello\n");
  ::umask(old_umask);
  ASSERT_FALSE(error) << error->message();
  EXPECT_EQ(read_file(path), "hello\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(tmp.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(AtomicFile, NeverReplacesAnExistingFile) {
  TempDir tmp;
  const auto path = tmp.path() / "a.md";
  write_file(path, "theirs");
  auto error = create_file_atomically(path, "ours");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, EEXIST);
  EXPECT_EQ(read_file(path), "theirs");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(tmp.path())) ++entries;
  EXPECT_EQ(entries, 1);  // the temporary file is gone
}

TEST(AtomicFile, ReportsAMissingDirectory) {
  TempDir tmp;
  auto error = create_file_atomically(tmp.path() / "no" / "a.md", "x");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, ENOENT);
  EXPECT_NE(error->message().find("No such file"), std::string::npos) << error->message();
}

TEST(AtomicFile, CompareFile) {
  TempDir tmp;
  const auto path = tmp.path() / "a.md";
  std::optional<FileError> error;
  EXPECT_EQ(compare_file(path, "abc", error), FileMatch::absent);
  write_file(path, "abc");
  EXPECT_EQ(compare_file(path, "abc", error), FileMatch::same);
  EXPECT_EQ(compare_file(path, "abd", error), FileMatch::different);
  EXPECT_EQ(compare_file(path, "abcd", error), FileMatch::different);
  EXPECT_EQ(compare_file(path, "", error), FileMatch::different);
  EXPECT_FALSE(error);
  std::filesystem::create_directory(tmp.path() / "d.md");
  EXPECT_EQ(compare_file(tmp.path() / "d.md", "", error), FileMatch::not_regular);
  std::filesystem::create_symlink(path, tmp.path() / "link.md");
  EXPECT_EQ(compare_file(tmp.path() / "link.md", "abc", error), FileMatch::not_regular);
}

}  // namespace
}  // namespace herald
