#pragma once
// `herald diff`: what an edit of the calendar (or the settings) does to the
// schedule. Loads both sides (the old one from git, or from other files),
// plans and composes each as `herald plan` does, compares them
// (scheduler/schedule_diff) and prints the changes (diff_output).

#include "daemon/cli.hpp"

#include <string>

namespace herald {

/// Exit codes of `herald diff` (docs/commands.md): unlike the other
/// commands, 2 means "changes", so a usage error is 64 (EX_USAGE).
inline constexpr int kDiffNoChange = 0;
inline constexpr int kDiffNewErrors = 1;   ///< the new calendar fails `herald check`
inline constexpr int kDiffChanges = 2;
inline constexpr int kDiffCannotCompare = 3;  ///< the old side could not be had (git failed, no such file)
inline constexpr int kDiffUsage = 64;

/// The options of `herald diff`.
struct DiffOptions {
  std::string against = {};       ///< a git revision: the old side is the files as they were there
  std::string old_settings = {};  ///< or: the old side's settings file
  std::string old_calendar = {};  ///< or: the old calendar (file or directory), read with the new settings
  std::string from = {};          ///< window start; default now
  int days = 30;
  std::string now = {};
  std::string channel = {};
  std::string format = "table";   ///< table, jsonl (json: the same) or markdown
};

/// Runs `herald diff` with the new side's settings file `config`; returns the exit code.
int run_diff(CliContext& ctx, const std::string& config, const DiffOptions& options);

}  // namespace herald
