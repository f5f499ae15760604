#pragma once
// Watching the calendar for edits (docs/daemon.md, "Reload"): inotify on the
// calendar's directory, so editors that save by writing a new file and
// renaming it over the old one are seen as well as direct writes, and a
// debounce, so a burst of writes is one reload: quiet for a moment, but
// never later than `max_delay` after the burst's first change.

#include "scheduler/logger.hpp"

#include <boost/asio.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace herald {

class CalendarWatch {
 public:
  /// How long a burst must be quiet before `changed` is called.
  static constexpr std::chrono::milliseconds kQuiet{300};

  /// `max_delay` is asked at each burst (a reload may change it); `changed`
  /// runs on `io`'s thread.
  CalendarWatch(boost::asio::io_context& io, Logger& log, std::function<std::chrono::seconds()> max_delay,
                std::function<void()> changed);
  ~CalendarWatch();
  CalendarWatch(const CalendarWatch&) = delete;
  CalendarWatch& operator=(const CalendarWatch&) = delete;

  /// Starts watching `calendar` (a file: that file; a directory: its
  /// *.yaml and *.yml files, not hidden ones). When inotify is not
  /// available, logs a warning that says to reload with SIGHUP.
  void start(const std::filesystem::path& calendar);
  /// Stops watching; a pending debounce is cancelled.
  void stop();

 private:
  void read();

  boost::asio::io_context& io_;
  Logger& log_;
  std::function<std::chrono::seconds()> max_delay_;
  std::function<void()> changed_;
  boost::asio::steady_timer debounce_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> watch_;
  std::filesystem::path dir_;
  std::string name_;  ///< the watched file's name; empty when a directory is watched
  std::optional<std::chrono::steady_clock::time_point> burst_started_;
  bool stopped_ = false;
};

}  // namespace herald
