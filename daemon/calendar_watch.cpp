#include "daemon/calendar_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>

namespace herald {

namespace asio = boost::asio;

CalendarWatch::CalendarWatch(asio::io_context& io, Logger& log, std::function<std::chrono::seconds()> max_delay,
                             std::function<void()> changed)
    : io_(io), log_(log), max_delay_(std::move(max_delay)), changed_(std::move(changed)), debounce_(io) {}

CalendarWatch::~CalendarWatch() = default;

void CalendarWatch::start(const std::filesystem::path& calendar) {
  const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    log_.warning("cannot watch the calendar (inotify); reload with SIGHUP");
    return;
  }
  std::error_code ec;
  const bool is_dir = std::filesystem::is_directory(calendar, ec);
  dir_ = is_dir ? calendar : calendar.parent_path();
  name_ = is_dir ? std::string() : calendar.filename().string();
  if (inotify_add_watch(fd, dir_.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM) < 0) {
    ::close(fd);
    log_.warning("cannot watch " + dir_.string() + "; reload with SIGHUP");
    return;
  }
  watch_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
  read();
}

void CalendarWatch::stop() {
  stopped_ = true;
  debounce_.cancel();
  if (watch_) watch_->cancel();
}

void CalendarWatch::read() {
  watch_->async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    alignas(inotify_event) char buf[16384];
    bool relevant = false;
    for (;;) {
      const ssize_t n = ::read(watch_->native_handle(), buf, sizeof buf);
      if (n <= 0) break;
      for (ssize_t off = 0; off < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
        const std::string name = ev->len ? ev->name : "";
        if (name_.empty()) {
          relevant = relevant ||
                     (!name.empty() && name.front() != '.' && (name.ends_with(".yaml") || name.ends_with(".yml")));
        } else {
          relevant = relevant || name == name_;
        }
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      }
    }
    if (relevant) {
      // Quiet for kQuiet, but never later than max_delay after the first
      // change of a burst: an editor (or a sync tool) that keeps writing
      // cannot postpone the reload forever.
      const auto now = std::chrono::steady_clock::now();
      if (!burst_started_) burst_started_ = now;
      const auto deadline = *burst_started_ + max_delay_();
      debounce_.expires_at(std::min(now + std::chrono::steady_clock::duration(kQuiet), deadline));
      debounce_.async_wait([this](const boost::system::error_code& e) {
        if (e || stopped_) return;
        burst_started_.reset();
        changed_();
      });
    }
    read();
  });
}

}  // namespace herald
