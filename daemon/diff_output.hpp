#pragma once
// How `herald diff` shows what an edit does to the schedule: an aligned
// table for a terminal, JSON lines for tools, Markdown for a pull request.

#include "scheduler/schedule_diff.hpp"

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

namespace herald {

/// Everything a writer shows: the changes and what was compared.
struct DiffReport {
  std::vector<ScheduleChange> changes = {};  ///< errors first, then by kind (schedule_diff.hpp)
  std::string old_label = {};                ///< "HEAD", or the old settings or calendar path
  std::string new_label = {};                ///< the new settings file
  std::string zone = {};                     ///< the settings' zone the local times are in
  std::string from_local = {}, to_local = {};  ///< the window, RFC 3339 local
  /// Not empty when the old calendar could not be read or has errors: its
  /// schedule is taken as empty and this says why.
  std::string old_problem = {};
};

/// Limits of the Markdown output: a pull-request comment holds at most
/// 65,536 characters.
struct MarkdownLimits {
  std::size_t rows_per_table = 50;
  std::size_t max_chars = 60000;
};

/// "Our [-new-]{+newest+} video": git's plain word-diff markers.
std::string plain_word_diff(const std::vector<WordEdit>& edits);

/// For a terminal; errors are only counted (the command prints them on the error output).
void write_diff_table(std::ostream& out, const DiffReport& report);
/// One JSON object per change, with a "change" field (to_string(ChangeKind)).
void write_diff_jsonl(std::ostream& out, const DiffReport& report);
void write_diff_markdown(std::ostream& out, const DiffReport& report, const MarkdownLimits& limits = {});

}  // namespace herald
