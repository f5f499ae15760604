#pragma once
// Everything `herald check` verifies beyond loading, in one place, so the
// command and the daemon's reload accept or reject a calendar the same way.

#include "compose/composer.hpp"
#include "compose/lint.hpp"
#include "compose/references.hpp"
#include "config/calendar.hpp"
#include "config/diagnostics.hpp"
#include "config/settings.hpp"
#include "scheduler/plan.hpp"

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace herald {

/// How far ahead check plans for warnings about recurring and queued posts and the lint.
inline constexpr date::days kCheckHorizon{366};

/// What a check found besides diagnostics, for plan to show.
struct CheckReport {
  ReferenceGraph references;
  std::vector<LintWarning> lint;
  std::size_t deliveries = 0;   ///< planned in [now, now + kCheckHorizon)
  /// By post index, then in the order of the post's channels: the
  /// composed_fingerprint of each (planned_deliveries uses it, so a reload
  /// composes each post once).
  std::vector<std::vector<std::uint64_t>> fingerprints;
};

/// What check composed of each post on each channel, kept by the daemon
/// from one reload to the next, so an edit composes again only what it
/// touched. An entry is used only when everything compose reads is the
/// same: the post's text as written (with its file and zone: Post::source),
/// the channel, the settings (Settings::source), and the answer of every
/// link to another post it resolved (so editing a post recomposes the posts
/// that link to it). The result is exactly what composing again would give.
class ComposeCache {
 public:
  struct Entry {
    std::uint64_t fingerprint = 0;
    std::vector<Measure> over;                 ///< measures over their limit
    std::vector<std::string> notes, problems;
    std::vector<std::pair<std::string, std::optional<std::string>>> lookups;  ///< key, answer
  };
  /// The entry for a post on a channel, if every lookup it made still gets
  /// the same answer from `url_of`.
  const Entry* find(std::uint64_t key, const UrlLookup& url_of);
  /// Starts a check: entries of other settings are dropped.
  void begin(std::uint64_t settings_source);
  void keep(std::uint64_t key, Entry entry);
  /// Ends a check: entries it did not use are dropped.
  void end();

  std::size_t size() const { return entries_.size(); }
  std::size_t hits() const { return hits_; }      ///< in the last check
  std::size_t misses() const { return misses_; }  ///< composed in the last check

 private:
  std::uint64_t settings_ = 0;
  std::unordered_map<std::uint64_t, Entry> entries_, used_;
  std::size_t hits_ = 0, misses_ = 0;
};

/// Checks a loaded calendar: cross-post links (unknown, ambiguous, cycles),
/// every post composed for every channel against the platform's limits and
/// rules, media files, DST adjustments and queue placement in the coming
/// year, and the content lint. Errors and warnings go to `diags`.
/// `cache`, when given, is used and refreshed (the daemon's reloads).
CheckReport check_calendar(const Calendar& calendar, const Settings& settings, Instant now, Diagnostics& diags,
                           ComposeCache* cache = nullptr);

}  // namespace herald
