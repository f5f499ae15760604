#pragma once
// What a calendar edit does to the schedule (`herald diff`): two sets of
// planned deliveries, as `herald plan` shows them, compared key by key.
// Pure: the rows come composed and timed from the caller.

#include "compose/word_diff.hpp"
#include "config/diagnostics.hpp"
#include "config/local_time.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// One delivery of one side, as compared: its key and what it would do.
struct ScheduledRow {
  std::string key = {};      ///< POST@CHANNEL[#DATE]
  std::string post = {};
  std::string channel = {};
  Instant at = {};
  std::string local = {};    ///< `at` in the settings' zone, RFC 3339 with its offset
  std::string text = {};     ///< what the network receives (composed); a title first for titled kinds
  bool queued = false;       ///< placed in a queue slot
  bool draft = false;
  bool waiting = false;      ///< a cross-post target is planned later or not at all
  std::vector<std::string> depends_on = {};
  std::vector<std::string> warnings = {};  ///< as `herald plan` shows them (lint, DST, limits)
};

/// The kinds of change, in the order they are shown.
enum class ChangeKind {
  error,           ///< the new calendar fails `herald check`
  added,           ///< a delivery only the new calendar has
  removed,         ///< a delivery only the old calendar has: cancelled
  moved,           ///< same delivery, another time
  slot_shifted,    ///< a queued delivery whose slot moved (another post took or freed one)
  retexted,        ///< same delivery, another composed text
  drafted,         ///< it became a draft: it will not be published
  approved,        ///< it stopped being a draft: it will be published
  now_waiting,     ///< it now waits for a cross-post target
  no_longer_waiting,
  warning_new,     ///< a `herald check` warning (lint, DST, ...) the edit brings
  warning_gone,    ///< one it clears
};
inline constexpr int kChangeKinds = static_cast<int>(ChangeKind::warning_gone) + 1;

/// The name of a kind in JSON ("slot_shifted"), and a heading for people ("Queue slots shifted").
std::string_view to_string(ChangeKind kind);
std::string_view title_of(ChangeKind kind);

/// One change. Delivery changes have `before` and/or `after`; warnings and
/// errors have `finding`.
struct ScheduleChange {
  ChangeKind kind = ChangeKind::added;
  std::optional<ScheduledRow> before = {};
  std::optional<ScheduledRow> after = {};
  std::vector<WordEdit> text_diff = {};   ///< retexted: old text to new
  std::optional<Diagnostic> finding = {};

  /// The row to name the delivery by: the new one, else the old one.
  const ScheduledRow& row() const { return after ? *after : *before; }
};

/// Compares two schedules: the rows of each side that concern the window
/// (each key present on either side in the window, with its row on the
/// other side wherever it is planned). One delivery may change in several
/// ways (moved and retexted): one change of each. Sorted by kind, then time
/// (the new time, else the old), then key.
std::vector<ScheduleChange> diff_schedules(const std::vector<ScheduledRow>& before,
                                           const std::vector<ScheduledRow>& after);

/// Warnings of `herald check` new and gone, compared by message (a line
/// number moves with every edit above it); each keeps its own side's place.
std::vector<ScheduleChange> diff_warnings(const std::vector<Diagnostic>& before, const std::vector<Diagnostic>& after);

/// How many changes of each kind.
std::vector<std::size_t> count_by_kind(const std::vector<ScheduleChange>& changes);

}  // namespace herald
