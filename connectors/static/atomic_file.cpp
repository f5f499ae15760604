#include "connectors/static/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace herald {
namespace {

/// Closes a descriptor on scope exit unless released.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  /// Closes now, reporting the error close() gives (NFS reports write errors there).
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

FileError error_now(std::string what, const std::filesystem::path& path) {
  return FileError{errno, std::move(what) + " " + path.string()};
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Unique within the process; the pid makes it unique across processes, and
// O_EXCL catches anything left over from a crashed run with a recycled pid.
std::filesystem::path temporary_name(const std::filesystem::path& path) {
  static std::atomic<unsigned long> counter{0};
  std::string name = "." + path.filename().string() + ".herald-" + std::to_string(::getpid()) + "-" +
                     std::to_string(counter.fetch_add(1)) + ".tmp";
  return path.parent_path() / name;
}

}  // namespace

std::string FileError::message() const { return what + ": " + std::strerror(code); }

std::optional<FileError> create_file_atomically(const std::filesystem::path& path, std::string_view content) {
  const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  const std::filesystem::path tmp = temporary_name(dir / path.filename());

  Fd file(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (file.get() < 0) return error_now("create", tmp);
  bool keep_tmp = false;
  struct Cleanup {
    const std::filesystem::path& tmp;
    bool& keep;
    ~Cleanup() {
      if (!keep) ::unlink(tmp.c_str());
    }
  } cleanup{tmp, keep_tmp};

  // The umask may have taken bits away; the site's web server needs to read the file.
  if (::fchmod(file.get(), 0644) != 0) return error_now("chmod", tmp);
  if (!write_all(file.get(), content)) return error_now("write", tmp);
  if (::fsync(file.get()) != 0) return error_now("fsync", tmp);
  if (file.close() != 0) return error_now("close", tmp);

  // RENAME_NOREPLACE makes "refuse to overwrite" atomic: a file that appeared
  // since the caller looked is never replaced. Filesystems without it get
  // link(), which fails with EEXIST just the same.
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno != EINVAL && errno != ENOSYS) return error_now("rename to", path);
    if (::link(tmp.c_str(), path.c_str()) != 0) return error_now("link to", path);
    // The temporary name is removed by Cleanup; the target is complete already.
  } else {
    keep_tmp = true;  // renamed away: nothing to remove
  }

  // The rename is durable only once the directory entry is on disk.
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.get() < 0) return error_now("open directory", dir);
  if (::fsync(d.get()) != 0) return error_now("fsync directory", dir);
  return std::nullopt;
}

FileMatch compare_file(const std::filesystem::path& path, std::string_view content,
                       std::optional<FileError>& error) {
  error.reset();
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return FileMatch::absent;
    error = error_now("stat", path);
    return FileMatch::different;
  }
  if (!S_ISREG(st.st_mode)) return FileMatch::not_regular;
  if (static_cast<std::size_t>(st.st_size) != content.size()) return FileMatch::different;

  Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (file.get() < 0) {
    if (errno == ENOENT) return FileMatch::absent;
    error = error_now("open", path);
    return FileMatch::different;
  }
  // Read one byte past the expected size to notice a file that grew meanwhile.
  std::string data(content.size() + 1, '\0');
  std::size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::read(file.get(), data.data() + got, data.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = error_now("read", path);
      return FileMatch::different;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return std::string_view(data.data(), got) == content ? FileMatch::same : FileMatch::different;
}

}  // namespace herald
