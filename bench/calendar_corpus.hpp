#pragma once
// Generated calendars for the benchmarks: bench/gen_calendar.py writes them
// into a temporary directory the first time a benchmark asks for a size, and
// they are removed when the program exits.

#include "config/calendar.hpp"
#include "config/local_time.hpp"
#include "config/settings.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace herald::bench {

/// How the generated calendar is laid out on disk.
enum class Layout {
  one_file,     ///< calendar.yaml holding every post
  daily_files,  ///< calendar/YYYY-MM-DD.yaml, one file per day of the year
};

/// A calendar written by gen_calendar.py, with its herald.yaml.
struct GeneratedCalendar {
  std::filesystem::path settings_file;
  std::uintmax_t calendar_bytes = 0;  ///< all calendar files together
};

/// The generated calendar of `posts` posts in `layout`, made on first use.
/// Returns nullptr and sets `error` when the generator fails.
const GeneratedCalendar* generated_calendar(std::size_t posts, Layout layout, std::string& error);

/// A generated calendar loaded through load_settings and load_calendar.
struct LoadedCalendar {
  Settings settings;
  Calendar calendar;
};

/// The calendar of `posts` posts (the one-file layout), loaded once with the
/// project's loader. Returns nullptr and sets `error` when it does not load.
const LoadedCalendar* loaded_calendar(std::size_t posts, std::string& error);

/// The start of the generated year, 2027-01-01T00:00:00Z: the "now" the
/// planning benchmarks use.
Instant year_start();

}  // namespace herald::bench
