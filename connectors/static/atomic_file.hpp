#pragma once
// Creating a file so that readers see all of it or none of it, even across a
// crash, and comparing a file with the content it should have.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

/// A failed file operation: the errno and what was being done ("fsync /x/.y").
struct FileError {
  int code = 0;
  std::string what;
  /// "what: strerror(code)".
  std::string message() const;
};

/// Creates `path` holding exactly `content`, mode 0644: writes a temporary
/// file in the same directory (O_EXCL), fsyncs it, renames it into place
/// without replacing anything, and fsyncs the directory. If `path` already
/// exists the result has code EEXIST and nothing changes.
std::optional<FileError> create_file_atomically(const std::filesystem::path& path, std::string_view content);

/// How a file on disk compares with the content it should have.
enum class FileMatch { absent, same, different, not_regular };

/// Compares `path` with `content` without following a final symlink. Reads
/// the file only when its size equals `content`'s, so the read is bounded.
/// `error` is set (and the result meaningless) when the check itself failed.
FileMatch compare_file(const std::filesystem::path& path, std::string_view content,
                       std::optional<FileError>& error);

}  // namespace herald
