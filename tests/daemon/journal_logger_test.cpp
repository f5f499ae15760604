#include "daemon/journal_logger.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace herald {
namespace {

/// Runs `body` with stderr sent to a temporary file; returns what was written.
template <class F>
std::string capture_stderr(F body) {
  char path[] = "/tmp/herald-journal-XXXXXX";
  const int fd = ::mkstemp(path);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(fd, STDERR_FILENO);
  body();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::string out;
  ::lseek(fd, 0, SEEK_SET);
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  ::unlink(path);
  return out;
}

TEST(JournalLogger, PrefixesEachLineWithItsPriority) {
  JournalLogger log;
  const std::string out = capture_stderr([&] {
    log.info("a@x: planned -> sending (attempt 1)");
    log.warning("b@x: sending -> retry_wait in 15s (HTTP 503)");
    log.error("calendar rejected");
    log.log(Priority::debug, "detail");
  });
  EXPECT_EQ(out,
            "<6>a@x: planned -> sending (attempt 1)\n"
            "<4>b@x: sending -> retry_wait in 15s (HTTP 503)\n"
            "<3>calendar rejected\n"
            "<7>detail\n");
}

TEST(JournalLogger, ALineBreakNeverStartsAnEntryWithoutPriority) {
  JournalLogger log;
  const std::string out = capture_stderr([&] { log.error("wrote f.md, but the after command failed:\nline 2\r\nline 3"); });
  EXPECT_EQ(out, "<3>wrote f.md, but the after command failed: line 2  line 3\n");
}

}  // namespace
}  // namespace herald
