#pragma once
// `herald import csv`: another scheduler's bulk-upload CSV (Hootsuite's bulk
// composer, Buffer's bulk upload) to calendar YAML, every row validated and
// nothing guessed silently (DESIGN.md "Editors' workflow additions").

#include "config/diagnostics.hpp"
#include "config/local_time.hpp"
#include "config/settings.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// Whose CSV layout a file has.
enum class CsvSource { hootsuite, buffer };

/// How to read a date written with slashes (03/04/2027): Hootsuite asks the
/// uploader for the file's date format; herald asks for it the same way when
/// a date reads as two different days.
enum class DateOrder { unset, dmy, mdy, ymd, ydm };

/// What the command line says about one import.
struct ImportOptions {
  CsvSource source = CsvSource::hootsuite;
  std::vector<std::string> channels = {};  ///< each a channel of the settings (the CLI checks)
  DateOrder date_order = DateOrder::unset;
  Instant now = {};                        ///< rows before it are warned about
};

/// The calendar YAML of `csv` (the text of `file`): one post per row, with a
/// stable id, its time as a wall time in the settings' zone, the options'
/// channels, its text and link. Every problem goes to `diags` at
/// `file`:line:col of the row (the line its record starts on); the posts
/// are also loaded and checked as `herald check` would, and what that finds
/// is reported at the row too. nullopt when there is any error.
std::optional<std::string> import_csv(std::string_view csv, const std::string& file, const Settings& settings,
                                      const ImportOptions& options, Diagnostics& diags);

/// A row's stable post id: `label` (`2027-03-02-1000`, or `queued`), a slug
/// of the first words of `message`, and 6 hex digits of a hash of both.
std::string import_post_id(const std::string& label, std::string_view message);

}  // namespace herald
