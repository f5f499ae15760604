#include "config/local_time.hpp"

#include <cstdio>

#include <cstddef>

namespace herald {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// A cursor over the text being parsed; consume() and digits() move only on a match.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ == text_.size(); }
  std::size_t pos() const { return pos_; }
  std::string_view rest() const { return text_.substr(pos_); }
  std::string_view since(std::size_t start) const { return text_.substr(start, pos_ - start); }

  bool peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  bool consume(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }

  // Exactly `width` decimal digits.
  std::optional<int> digits(std::size_t width) {
    if (text_.size() - pos_ < width) return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      const char c = text_[pos_ + i];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    pos_ += width;
    return value;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

std::optional<date::local_days> read_date(Reader& in, std::string& error) {
  const std::size_t start = in.pos();
  const auto y = in.digits(4);
  if (!y || !in.consume('-')) {
    error = "expected a date YYYY-MM-DD";
    return std::nullopt;
  }
  const auto m = in.digits(2);
  if (!m || !in.consume('-')) {
    error = "expected a date YYYY-MM-DD";
    return std::nullopt;
  }
  const auto d = in.digits(2);
  if (!d) {
    error = "expected a date YYYY-MM-DD";
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year{*y}, date::month{static_cast<unsigned>(*m)},
                                 date::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) {
    error = "no such date " + std::string(in.since(start));
    return std::nullopt;
  }
  return date::local_days{ymd};
}

// HH:MM with the range checks shared by timestamps and time-of-day values.
std::optional<minutes> read_hour_minute(Reader& in, std::string& error) {
  const auto h = in.digits(2);
  if (!h || !in.consume(':')) {
    error = "expected a time HH:MM";
    return std::nullopt;
  }
  const auto m = in.digits(2);
  if (!m) {
    error = "expected a time HH:MM";
    return std::nullopt;
  }
  if (*h > 23) {
    error = "hour must be 00 to 23";
    return std::nullopt;
  }
  if (*m > 59) {
    error = "minute must be 00 to 59";
    return std::nullopt;
  }
  return hours{*h} + minutes{*m};
}

// `Z`, `z` or `+HH:MM` / `-HH:MM`; nullopt (with `error` set) if malformed.
std::optional<seconds> read_offset(Reader& in, std::string& error) {
  if (in.consume('Z') || in.consume('z')) return seconds{0};
  const bool negative = in.peek('-');
  if (!in.consume('+') && !in.consume('-')) {
    error = "unexpected text after the time: '" + std::string(in.rest()) + "'";
    return std::nullopt;
  }
  const auto h = in.digits(2);
  const bool colon = h && in.consume(':');
  const auto m = colon ? in.digits(2) : std::nullopt;
  if (!m) {
    error = "expected a UTC offset +HH:MM or -HH:MM";
    return std::nullopt;
  }
  if (*m > 59) {
    error = "offset minutes must be 00 to 59";
    return std::nullopt;
  }
  const seconds offset = hours{*h} + minutes{*m};
  if (offset > hours{18}) {
    error = "offset beyond +-18:00";
    return std::nullopt;
  }
  return negative ? -offset : offset;
}

std::string two_digits(long long value) {
  std::string out = std::to_string(value);
  if (out.size() < 2) out.insert(0, 1, '0');
  return out;
}

}  // namespace

Resolved resolve(const date::time_zone& zone, WallTime wall) {
  const date::local_info info = zone.get_info(wall);
  // For both gap and repeated hour, `first` is the period before the change:
  // using its offset moves a gap time forward by exactly the gap length and
  // picks the earlier of the two occurrences, as RFC 5545 asks.
  const Instant instant{wall.time_since_epoch() - info.first.offset};
  switch (info.result) {
    case date::local_info::nonexistent:
      return {instant, WallFit::gap, info.second.offset - info.first.offset};
    case date::local_info::ambiguous:
      return {instant, WallFit::repeated, seconds{0}};
    default:
      return {instant, WallFit::exact, seconds{0}};
  }
}

WallTime to_wall(const date::time_zone& zone, Instant at) { return zone.to_local(at); }

std::optional<Timestamp> parse_timestamp(std::string_view text, std::string& error) {
  Reader in(text);
  const auto day = read_date(in, error);
  if (!day) return std::nullopt;
  if (!in.consume('T') && !in.consume(' ')) {
    error = in.at_end() ? "expected a time after the date" : "expected 'T' or a space after the date";
    return std::nullopt;
  }
  const auto hm = read_hour_minute(in, error);
  if (!hm) return std::nullopt;
  seconds time = *hm;
  if (in.consume(':')) {
    const auto s = in.digits(2);
    if (!s) {
      error = "expected seconds SS after HH:MM:";
      return std::nullopt;
    }
    if (*s > 59) {
      error = "second must be 00 to 59";
      return std::nullopt;
    }
    time += seconds{*s};
  }
  const WallTime wall = *day + time;
  if (in.at_end()) return Timestamp{wall};

  const auto offset = read_offset(in, error);
  if (!offset) return std::nullopt;
  if (!in.at_end()) {
    error = "unexpected text after the time: '" + std::string(in.rest()) + "'";
    return std::nullopt;
  }
  return Timestamp{Instant{wall.time_since_epoch() - *offset}};
}

std::optional<Instant> parse_instant_arg(const std::string& text, const date::time_zone& zone, std::string& error) {
  std::string derr;
  if (auto day = parse_date(text, derr)) return resolve(zone, WallTime{*day}).instant;
  if (auto ts = parse_timestamp(text, error)) {
    if (auto* wall = std::get_if<WallTime>(&*ts)) return resolve(zone, *wall).instant;
    return std::get<Instant>(*ts);
  }
  return std::nullopt;
}

std::optional<date::local_days> parse_date(std::string_view text, std::string& error) {
  Reader in(text);
  const auto day = read_date(in, error);
  if (!day) return std::nullopt;
  if (!in.at_end()) {
    error = "unexpected text after the date: '" + std::string(in.rest()) + "'";
    return std::nullopt;
  }
  return day;
}

std::optional<minutes> parse_time_of_day(std::string_view text) {
  // "9:15" as well as "09:15", as `every:` accepts.
  std::string padded;
  if (text.size() == 4 && text[1] == ':') {
    padded = "0" + std::string(text);
    text = padded;
  }
  Reader in(text);
  std::string ignored;
  const auto time = read_hour_minute(in, ignored);
  if (!time || !in.at_end()) return std::nullopt;
  return time;
}

const date::time_zone* find_zone(std::string_view name) {
  try {
    return date::locate_zone(std::string(name));
  } catch (...) {
    // locate_zone reports unknown names (and an unreadable tzdata) by throwing.
    return nullptr;
  }
}

std::string format_utc(Instant at) { return date::format("%FT%TZ", at); }

std::string format_local(const date::time_zone& zone, Instant at) {
  const seconds offset = zone.get_info(at).offset;
  const auto magnitude = date::floor<minutes>(offset < seconds{0} ? -offset : offset);
  std::string out = date::format("%FT%T", zone.to_local(at));
  out += offset < seconds{0} ? '-' : '+';
  out += two_digits(date::floor<hours>(magnitude).count());
  out += ':';
  out += two_digits((magnitude % hours{1}).count());
  return out;
}

std::string format_date(date::local_days day) { return date::format("%F", day); }

}  // namespace herald

namespace herald {

std::string format_hhmm(WallTime w) {
  const date::hh_mm_ss<std::chrono::seconds> t{w - date::floor<date::days>(w)};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(t.hours().count()),
                static_cast<int>(t.minutes().count()));
  return buf;
}

std::string format_wall(WallTime w) { return format_date(date::floor<date::days>(w)) + " " + format_hhmm(w); }

}  // namespace herald
