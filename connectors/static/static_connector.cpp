#include "connectors/static/static_connector.hpp"

#include "compose/public_url.hpp"
#include "connectors/static/atomic_file.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

namespace herald {
namespace {

// How much of the after command's output goes into a failure message; the
// capture itself is bounded by CommandLimits::output_limit.
constexpr std::size_t kMessageOutputLines = 20;
constexpr std::size_t kMessageOutputBytes = 4096;

bool file_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.';
}

/// Errors that may clear up by themselves (a full disk, too many open files)
/// are worth a retry; the rest (permissions, a read-only mount) need a person.
PublishResult file_failure(const FileError& error) {
  switch (error.code) {
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case EAGAIN:
    case EBUSY:
      return RetryLater{std::nullopt, error.message()};
    default:
      return Failed{error.message()};
  }
}

/// The first lines of a command's output, for a message.
std::string excerpt(const CommandOutcome& outcome) {
  std::string_view text = outcome.output;
  std::size_t end = 0, lines = 0;
  while (end < text.size() && lines < kMessageOutputLines) {
    auto nl = text.find('\n', end);
    end = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lines;
  }
  if (end > kMessageOutputBytes) {
    end = kMessageOutputBytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // keep UTF-8 whole
  }
  const bool cut = end < text.size() || outcome.truncated;
  text = text.substr(0, end);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  std::string out(text);
  if (cut) out += "\n...";
  return out;
}

/// file:// URL of an absolute path, bytes outside [A-Za-z0-9-._~/] percent-encoded.
std::string file_url(const std::filesystem::path& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "file://";
  for (unsigned char c : path.string()) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string different_file(const std::filesystem::path& path) {
  return "a different file already exists at " + path.string();
}

}  // namespace

std::optional<std::string> static_file_name(const std::string& key, const std::string& post) {
  std::string stem = blog_slug(post);
  if (auto hash = key.find('#'); hash != std::string::npos) stem += "-" + key.substr(hash + 1);
  if (stem.empty() || stem.front() == '.' || !std::all_of(stem.begin(), stem.end(), file_name_char))
    return std::nullopt;
  return stem + ".md";
}

StaticConnector::StaticConnector(ChannelSettings channel, CommandLimits after_limits)
    : channel_(std::move(channel)), after_limits_(after_limits) {}

std::string StaticConnector::url_for(const std::filesystem::path& file) const {
  // The page is named after the file, so a recurring delivery's URL carries
  // its date as well ({post} becomes the file's stem).
  if (!channel_.url.empty()) return static_post_url(channel_, file.stem().string());
  return file_url(std::filesystem::absolute(file));
}

PublishResult StaticConnector::publish(const PublishRequest& request) {
  if (request.composed.kind != ChannelKind::static_site)
    return Failed{"channel " + channel_.name + " publishes Markdown files, but " + request.key + " was composed for " +
                  std::string(to_string(request.composed.kind))};
  const auto name = static_file_name(request.key, request.post);
  if (!name) return Failed{"no safe file name for " + request.key};
  const std::filesystem::path& dir = channel_.dir;
  if (dir.empty()) return Failed{"channel " + channel_.name + " has no dir"};

  // The directory itself is created if missing, its parents are not: a
  // missing parent is more likely a typo or an unmounted disk than a wish.
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    if (errno == ENOENT) return Failed{"directory " + dir.string() + " does not exist, nor does its parent"};
    return file_failure(FileError{errno, "create directory " + dir.string()});
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return file_failure(FileError{errno, "stat " + dir.string()});
  if (!S_ISDIR(st.st_mode)) return Failed{dir.string() + " is not a directory"};

  // Publishing is creating a file that does not exist yet. The same content
  // already there means an earlier attempt got this far: not an error, and
  // `after` runs again (after fixing a failed site build, a retry lands here).
  const std::filesystem::path path = dir / *name;
  const std::string& text = request.composed.text;
  std::optional<FileError> error;
  auto match = compare_file(path, text, error);
  if (error) return file_failure(*error);
  if (match == FileMatch::absent) {
    if (auto created = create_file_atomically(path, text)) {
      if (created->code != EEXIST) return file_failure(*created);
      match = compare_file(path, text, error);  // appeared meanwhile: whose is it?
      if (error) return file_failure(*error);
    } else {
      match = FileMatch::same;
    }
  }
  switch (match) {
    case FileMatch::same: break;
    case FileMatch::not_regular: return Failed{path.string() + " exists and is not a regular file"};
    case FileMatch::absent:
    case FileMatch::different: return Failed{different_file(path)};
  }

  if (!channel_.after.empty()) {
    // The file is out, but the site may not show it. Reporting Published would
    // hide a broken build; RetryLater would rerun a command that likely fails
    // the same way. So it is Failed, saying the file was written: a person
    // fixes the build and retries (which reruns `after`) or resolves it.
    // What was published, for scripts that need to know (a commit message, a log).
    const std::vector<std::string> env{"HERALD_KEY=" + request.key, "HERALD_POST=" + request.post,
                                       "HERALD_CHANNEL=" + request.channel, "HERALD_FILE=" + path.string(),
                                       "HERALD_URL=" + url_for(path)};
    const CommandOutcome outcome = run_shell_command(channel_.after, dir, after_limits_, env);
    if (!outcome.ok()) {
      std::string message =
          "wrote " + path.string() + ", but the after command failed (" + describe(outcome, after_limits_) + ")";
      if (auto out = excerpt(outcome); !out.empty()) message += ":\n" + out;
      return Failed{std::move(message)};
    }
  }
  return Published{path.string(), url_for(path)};
}

LookupResult StaticConnector::lookup(const PublishRequest& request) {
  const auto name = static_file_name(request.key, request.post);
  if (!name) return Unknown{"no safe file name for " + request.key};
  const std::filesystem::path path = channel_.dir / *name;
  std::optional<FileError> error;
  switch (compare_file(path, request.composed.text, error)) {
    case FileMatch::absent: return error ? LookupResult{Unknown{error->message()}} : LookupResult{Absent{}};
    case FileMatch::same: return Found{path.string(), url_for(path)};
    case FileMatch::not_regular: return Unknown{path.string() + " exists and is not a regular file"};
    case FileMatch::different: break;
  }
  if (error) return Unknown{error->message()};
  // Ours with other content (the post was edited since) or someone else's:
  // only a person can tell.
  return Unknown{"a different file exists at " + path.string()};
}

}  // namespace herald
