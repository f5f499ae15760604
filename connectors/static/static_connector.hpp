#pragma once
// The `static` channel: a Markdown file with front matter written into the
// site's directory, then the channel's `after` command (a site build, a sync).

#include "config/settings.hpp"
#include "connectors/connector.hpp"
#include "connectors/static/shell_command.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace herald {

/// The file name a delivery gets: blog_slug(post) + ".md", or for a recurring
/// delivery (key POST@CHANNEL#DATE) blog_slug(post) + "-DATE.md". Nullopt if
/// the result is not a plain file name (a DATE with a '/', say).
std::optional<std::string> static_file_name(const std::string& key, const std::string& post);

/// Publishes to a static site's directory.
class StaticConnector : public Connector {
 public:
  /// `channel` is a static channel (dir, after, url); `after_limits` bounds its `after` command.
  explicit StaticConnector(ChannelSettings channel, CommandLimits after_limits = {});

  /// Settled by a lookup, at once: the file is local, so looking is exact
  /// and nothing goes on after publish returns (no margin). A repeat would
  /// also find the same file (fixed name, created atomically), but it runs
  /// `after` again (a second `git commit`, a second deploy), which a lookup
  /// of the written file avoids.
  SettlePolicy settle_policy() const override { return {false, std::chrono::seconds{0}}; }
  /// Writes dir/NAME.md atomically (see static_file_name), never replacing a
  /// different file, then runs `after` in dir.
  PublishResult publish(const PublishRequest& request) override;
  /// Found if the file holds exactly the composed text, Absent if there is no
  /// file, Unknown otherwise.
  LookupResult lookup(const PublishRequest& request) override;

 private:
  ChannelSettings channel_;
  CommandLimits after_limits_;

  std::string url_for(const std::filesystem::path& file) const;
};

}  // namespace herald
