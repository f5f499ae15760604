#include "config/recurrence.hpp"
#include "config/text.hpp"

#include "config/slots.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <iterator>

namespace herald {
namespace {

using date::local_days;

constexpr int kMaxInterval = 10000;
constexpr int kMaxCount = 1000000;
constexpr int kLastYear = 9999;               // RFC 5545 dates have four-digit years
constexpr date::days kGiveUpAfter{146097};    // 400 years: the Gregorian calendar's cycle

// ---------------------------------------------------------------------------
// Text helpers

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
}

/// A decimal integer with an optional sign (when allowed). Values too large for
/// any of our ranges are clamped so the caller's range check reports them.
std::optional<long long> parse_int(std::string_view s, bool allow_sign) {
  bool negative = false;
  if (allow_sign && !s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (!all_digits(s)) return std::nullopt;
  long long value = 0;
  for (char c : s) value = std::min(value * 10 + (c - '0'), 1'000'000'000'000LL);
  return negative ? -value : value;
}

// ---------------------------------------------------------------------------
// Weekdays

struct DayName {
  std::string_view abbr;   // `every:` short name
  std::string_view full;   // `every:` full name
  std::string_view rfc;    // RFC 5545 two-letter code
  date::weekday day;
};

constexpr std::array<DayName, 7> kDays{{
    {"mon", "monday", "MO", date::Monday},
    {"tue", "tuesday", "TU", date::Tuesday},
    {"wed", "wednesday", "WE", date::Wednesday},
    {"thu", "thursday", "TH", date::Thursday},
    {"fri", "friday", "FR", date::Friday},
    {"sat", "saturday", "SA", date::Saturday},
    {"sun", "sunday", "SU", date::Sunday},
}};

// The same spelling as queue slots accept, so `every:` and `slots:` agree.
std::optional<date::weekday> weekday_by_name(std::string_view name) { return parse_weekday(name); }

std::optional<date::weekday> weekday_by_code(std::string_view code) {
  const auto u = upper(code);
  for (const auto& d : kDays) {
    if (u == d.rfc) return d.day;
  }
  return std::nullopt;
}

/// Sorts Monday first and drops repeats, so equal rules compare equal.
void normalise(std::vector<date::weekday>& days) {
  const auto key = [](date::weekday w) { return w.iso_encoding(); };
  std::sort(days.begin(), days.end(), [&](auto a, auto b) { return key(a) < key(b); });
  days.erase(std::unique(days.begin(), days.end()), days.end());
}

void normalise(std::vector<NthWeekday>& days) {
  const auto key = [](const NthWeekday& n) { return std::pair(n.nth, n.day.iso_encoding()); };
  std::sort(days.begin(), days.end(), [&](auto& a, auto& b) { return key(a) < key(b); });
  days.erase(std::unique(days.begin(), days.end()), days.end());
}

template <class T>
void normalise(std::vector<T>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

// ---------------------------------------------------------------------------
// `every:`

/// `H:MM` or `HH:MM`, 00:00 to 23:59.
std::optional<std::chrono::minutes> parse_hhmm(std::string_view s) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2) return std::nullopt;
  const auto hh = s.substr(0, colon);
  const auto mm = s.substr(colon + 1);
  if (!all_digits(hh) || !all_digits(mm) || mm.size() != 2) return std::nullopt;
  const auto h = *parse_int(hh, false);
  const auto m = *parse_int(mm, false);
  if (h > 23 || m > 59) return std::nullopt;
  return std::chrono::hours{h} + std::chrono::minutes{m};
}

bool parse_times(std::string_view token, Recurrence& r, std::string& error) {
  std::vector<std::chrono::minutes> times;
  for (auto item : split(token, ',')) {
    const auto t = parse_hhmm(item);
    if (!t) {
      error = "expected HH:MM, got " + quoted(item);
      return false;
    }
    times.push_back(*t);
  }
  normalise(times);
  std::vector<int> hours;
  std::vector<int> minutes;
  for (auto t : times) {
    hours.push_back(static_cast<int>(t.count() / 60));
    minutes.push_back(static_cast<int>(t.count() % 60));
  }
  normalise(hours);
  normalise(minutes);
  // 09:00,17:00 is BYHOUR=9,17;BYMINUTE=0, but 09:00,17:30 is no such product.
  if (hours.size() * minutes.size() == times.size()) {
    r.by_hour = std::move(hours);
    r.by_minute = std::move(minutes);
  } else {
    r.times = std::move(times);
  }
  return true;
}

bool parse_weekdays(std::string_view token, Recurrence& r, std::string& error) {
  for (auto item : split(token, ',')) {
    if (item.empty()) {
      error = "empty weekday in " + quoted(token);
      return false;
    }
    const auto dash = item.find('-');
    if (dash == std::string_view::npos) {
      const auto day = weekday_by_name(item);
      if (!day) {
        error = "unknown weekday " + quoted(item);
        return false;
      }
      r.by_day.push_back(*day);
      continue;
    }
    const auto a = item.substr(0, dash);
    const auto b = item.substr(dash + 1);
    if (a.empty() || b.empty()) {
      error = "incomplete weekday range " + quoted(item);
      return false;
    }
    const auto first = weekday_by_name(a);
    const auto last = weekday_by_name(b);
    if (!first || !last) {
      error = "unknown weekday " + quoted(first ? b : a);
      return false;
    }
    if (*first == *last) {
      // As in slots: "mon-mon" could mean one day or the whole week.
      error = "day range " + quoted(item) + " starts and ends on the same day";
      return false;
    }
    // Ranges wrap around the week: fri-mon is Friday to Monday.
    for (auto d = *first;; ++d) {
      r.by_day.push_back(d);
      if (d == *last) break;
    }
  }
  normalise(r.by_day);
  return true;
}

bool parse_month_days(std::string_view token, Recurrence& r, std::string& error) {
  for (auto item : split(token, ',')) {
    const auto n = parse_int(item, true);
    if (!n || *n == 0 || *n > 31 || *n < -31) {
      error = "expected a day of the month (1 to 31, or -1 for the last day), got " + quoted(item);
      return false;
    }
    r.by_month_day.push_back(static_cast<int>(*n));
  }
  normalise(r.by_month_day);
  return true;
}

// ---------------------------------------------------------------------------
// `rrule:`

std::string part_text(std::string_view name, std::string_view value) {
  return std::string(name) + "=" + std::string(value);
}

/// A comma-separated list of integers within [lo, hi], zero excluded when
/// `signed_` (BYMONTHDAY's -31..-1, 1..31).
bool parse_int_list(std::string_view name, std::string_view value, int lo, int hi, bool signed_,
                    std::vector<int>& out, std::string& error) {
  for (auto item : split(value, ',')) {
    if (item.empty()) {
      error = "empty item in " + part_text(name, value);
      return false;
    }
    const auto n = parse_int(item, true);   // so BYHOUR=-1 reads as out of range
    if (!n) {
      error = std::string(name) + ": expected a number, got " + quoted(item);
      return false;
    }
    const bool ok = signed_ ? (*n != 0 && *n >= -hi && *n <= hi) : (*n >= lo && *n <= hi);
    if (!ok) {
      error = part_text(name, item) + " is out of range (" +
              (signed_ ? std::to_string(lo) + " to " + std::to_string(hi) + " or -" +
                             std::to_string(hi) + " to -" + std::to_string(lo)
                       : std::to_string(lo) + " to " + std::to_string(hi)) +
              ")";
      return false;
    }
    out.push_back(static_cast<int>(*n));
  }
  normalise(out);
  return true;
}

bool parse_bounded(std::string_view name, std::string_view value, int lo, int hi, int& out,
                   std::string& error) {
  const auto n = parse_int(value, false);
  if (!n) {
    error = std::string(name) + ": expected a number, got " + quoted(value);
    return false;
  }
  if (*n < lo || *n > hi) {
    error = part_text(name, value) + " is out of range (" + std::to_string(lo) + " to " +
            std::to_string(hi) + ")";
    return false;
  }
  out = static_cast<int>(*n);
  return true;
}

/// One BYDAY entry as written, kept for error messages about its ordinal.
struct WrittenNth {
  NthWeekday day;
  std::string text;
};

bool parse_byday(std::string_view value, Recurrence& r, std::vector<WrittenNth>& nths,
                 std::string& error) {
  for (auto item : split(value, ',')) {
    if (item.empty()) {
      error = "empty item in " + part_text("BYDAY", value);
      return false;
    }
    if (item.size() < 2) {
      error = "unknown weekday " + quoted(item) + " in BYDAY";
      return false;
    }
    const auto code = item.substr(item.size() - 2);
    const auto ordinal = item.substr(0, item.size() - 2);
    const auto day = weekday_by_code(code);
    if (!day) {
      error = "unknown weekday " + quoted(item) + " in BYDAY (expected MO, TU, WE, TH, FR, SA, SU)";
      return false;
    }
    if (ordinal.empty()) {
      r.by_day.push_back(*day);
      continue;
    }
    const auto n = parse_int(ordinal, true);
    if (!n) {
      error = "unknown weekday " + quoted(item) + " in BYDAY (expected MO, TU, WE, TH, FR, SA, SU)";
      return false;
    }
    if (*n == 0 || *n > 53 || *n < -53) {
      error = "BYDAY=" + std::string(item) + ": the ordinal must be 1 to 53 or -53 to -1";
      return false;
    }
    NthWeekday nth{static_cast<int>(*n), *day};
    r.by_day_nth.push_back(nth);
    nths.push_back({nth, std::string(item)});
  }
  normalise(r.by_day);
  normalise(r.by_day_nth);
  return true;
}

/// UNTIL as YYYYMMDD (through the end of that day), YYYYMMDDTHHMMSS (wall time
/// in `zone`) or YYYYMMDDTHHMMSSZ (UTC).
bool parse_until(std::string_view value, const date::time_zone& zone, Recurrence& r,
                 std::string& error) {
  const auto v = upper(value);
  const bool utc = v.size() == 16 && v.back() == 'Z';
  const bool has_time = v.size() == 15 || utc;
  const bool shape_ok = (v.size() == 8 && all_digits(v)) ||
                        (has_time && all_digits(std::string_view(v).substr(0, 8)) && v[8] == 'T' &&
                         all_digits(std::string_view(v).substr(9, 6)));
  if (!shape_ok) {
    error = part_text("UNTIL", value) +
            ": expected YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ";
    return false;
  }
  const auto num = [&](std::size_t at, std::size_t len) {
    return static_cast<int>(*parse_int(std::string_view(v).substr(at, len), false));
  };
  const date::year_month_day ymd{date::year{num(0, 4)}, date::month{static_cast<unsigned>(num(4, 2))},
                                 date::day{static_cast<unsigned>(num(6, 2))}};
  if (!ymd.ok()) {
    error = part_text("UNTIL", value) + ": no such date";
    return false;
  }
  const local_days day{ymd};
  if (!has_time) {
    r.until = WallTime{day + date::days{1}} - std::chrono::seconds{1};
    return true;
  }
  const int h = num(9, 2), m = num(11, 2), s = num(13, 2);
  if (h > 23 || m > 59 || s > 59) {
    error = part_text("UNTIL", value) + ": no such time of day";
    return false;
  }
  const auto time = std::chrono::hours{h} + std::chrono::minutes{m} + std::chrono::seconds{s};
  if (utc) {
    r.until = zone.to_local(date::sys_seconds{date::sys_days{ymd} + time});
  } else {
    r.until = WallTime{day + time};
  }
  return true;
}

// ---------------------------------------------------------------------------
// Expansion

int days_in(date::year_month ym) {
  return static_cast<int>(static_cast<unsigned>((ym / date::last).day()));
}

/// Days of month `ym` named by BYMONTHDAY-style numbers (negative counts from
/// the end); days the month lacks (31 in April) are skipped.
void add_month_days(const std::vector<int>& month_days, date::year_month ym,
                    std::vector<local_days>& out) {
  const int len = days_in(ym);
  for (int md : month_days) {
    const int d = md > 0 ? md : len + 1 + md;
    if (d >= 1 && d <= len) out.emplace_back(ym / date::day{static_cast<unsigned>(d)});
  }
}

/// Days of [first, last] that BYDAY names: every plain weekday, and the nth of
/// each ordinal weekday counted within [first, last].
void add_weekdays(const Recurrence& r, local_days first, local_days last,
                  std::vector<local_days>& out) {
  for (auto wd : r.by_day) {
    for (auto d = first + (wd - date::weekday{first}); d <= last; d += date::days{7}) {
      out.push_back(d);
    }
  }
  for (const auto& n : r.by_day_nth) {
    if (n.nth > 0) {
      const auto d = first + (n.day - date::weekday{first}) + date::days{7 * (n.nth - 1)};
      if (d <= last) out.push_back(d);
    } else {
      const auto d = last - (date::weekday{last} - n.day) - date::days{7 * (-n.nth - 1)};
      if (d >= first) out.push_back(d);
    }
  }
}

/// Days of whole months [first, last] chosen by BYMONTHDAY and BYDAY; when
/// both are given a day needs both (BYDAY limits BYMONTHDAY, RFC 5545 table).
void select_days(const Recurrence& r, local_days first, local_days last,
                 std::vector<local_days>& out) {
  const bool by_md = !r.by_month_day.empty();
  const bool by_wd = !r.by_day.empty() || !r.by_day_nth.empty();
  std::vector<local_days> month_days;
  if (by_md) {
    const date::year_month_day a{first}, b{last};
    for (auto ym = a.year() / a.month(); ym <= b.year() / b.month(); ym += date::months{1}) {
      add_month_days(r.by_month_day, ym, month_days);
    }
  }
  if (!by_wd) {
    out.insert(out.end(), month_days.begin(), month_days.end());
    return;
  }
  std::vector<local_days> week_days;
  add_weekdays(r, first, last, week_days);
  if (!by_md) {
    out.insert(out.end(), week_days.begin(), week_days.end());
    return;
  }
  std::sort(month_days.begin(), month_days.end());
  std::sort(week_days.begin(), week_days.end());
  std::set_intersection(month_days.begin(), month_days.end(), week_days.begin(), week_days.end(),
                        std::back_inserter(out));
}

/// The days one month contributes in MONTHLY (or YEARLY with BYMONTH): those
/// chosen by BYMONTHDAY/BYDAY, else DTSTART's day of the month.
void month_candidates(const Recurrence& r, date::year_month ym, unsigned start_day,
                      std::vector<local_days>& out) {
  if (r.by_month_day.empty() && r.by_day.empty() && r.by_day_nth.empty()) {
    add_month_days({static_cast<int>(start_day)}, ym, out);
    return;
  }
  select_days(r, local_days{ym / 1}, local_days{ym / date::last}, out);
}

bool contains(const std::vector<int>& values, int v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

bool matches_month_day(const std::vector<int>& month_days, const date::year_month_day& ymd) {
  const int len = days_in(ymd.year() / ymd.month());
  const int d = static_cast<int>(static_cast<unsigned>(ymd.day()));
  return std::any_of(month_days.begin(), month_days.end(),
                     [&](int md) { return md == d || md == d - len - 1; });
}

/// The times of day a rule fires at, ascending.
std::vector<std::chrono::seconds> times_of_day(const Recurrence& r) {
  std::vector<std::chrono::seconds> out;
  if (!r.times.empty()) {
    out.assign(r.times.begin(), r.times.end());
  } else {
    const std::vector<int> midnight{0};
    const auto& hours = r.by_hour.empty() ? midnight : r.by_hour;
    const auto& minutes = r.by_minute.empty() ? midnight : r.by_minute;
    for (int h : hours) {
      for (int m : minutes) out.push_back(std::chrono::hours{h} + std::chrono::minutes{m});
    }
  }
  normalise(out);
  return out;
}

/// Walks a rule's periods (a day, week, month or year, every INTERVAL-th one
/// counted from DTSTART's) and lists the days each contributes.
class Periods {
 public:
  Periods(const Recurrence& rule, local_days start) : rule_(rule), start_(start), s_(start) {
    switch (rule_.freq) {
      case Recurrence::Freq::daily: first_ = start.time_since_epoch().count(); break;
      case Recurrence::Freq::weekly: first_ = week_of(start); break;
      case Recurrence::Freq::monthly: first_ = month_of(s_); break;
      case Recurrence::Freq::yearly: first_ = static_cast<int>(s_.year()); break;
    }
  }

  /// The index of the last period on or before `day`'s (0 when `day` is early).
  long long index_near(local_days day) const {
    const date::year_month_day ymd{day};
    long long p = 0;
    switch (rule_.freq) {
      case Recurrence::Freq::daily: p = day.time_since_epoch().count(); break;
      case Recurrence::Freq::weekly: p = week_of(day); break;
      case Recurrence::Freq::monthly: p = month_of(ymd); break;
      case Recurrence::Freq::yearly: p = static_cast<int>(ymd.year()); break;
    }
    if (p <= first_) return 0;
    const long long step = rule_.freq == Recurrence::Freq::weekly ? 7LL * rule_.interval
                                                                   : rule_.interval;
    return (p - first_) / step;
  }

  /// The first day of period `i`.
  local_days first_day(long long i) const {
    switch (rule_.freq) {
      case Recurrence::Freq::daily: return day_at(first_ + i * rule_.interval);
      case Recurrence::Freq::weekly: return day_at(first_ + i * 7 * rule_.interval);
      case Recurrence::Freq::monthly: {
        const long long m = first_ + i * rule_.interval;
        return local_days{year_month_at(m) / 1};
      }
      case Recurrence::Freq::yearly: break;
    }
    return local_days{date::year{static_cast<int>(first_ + i * rule_.interval)} / 1 / 1};
  }

  /// The days period `i` contributes, sorted, on or after DTSTART.
  void days(long long i, std::vector<local_days>& out) const {
    out.clear();
    const auto first = first_day(i);
    const date::year_month_day fymd{first};
    switch (rule_.freq) {
      case Recurrence::Freq::daily:
        out.push_back(first);
        break;
      case Recurrence::Freq::weekly: {
        const std::vector<date::weekday> own{date::weekday{start_}};
        for (auto wd : rule_.by_day.empty() ? own : rule_.by_day) {
          out.push_back(first + (wd - rule_.week_start));
        }
        break;
      }
      case Recurrence::Freq::monthly:
        month_candidates(rule_, fymd.year() / fymd.month(), static_cast<unsigned>(s_.day()), out);
        break;
      case Recurrence::Freq::yearly:
        if (rule_.by_month.empty() &&
            (!rule_.by_month_day.empty() || !rule_.by_day.empty() || !rule_.by_day_nth.empty())) {
          // BYMONTHDAY/BYDAY without BYMONTH range over the whole year.
          select_days(rule_, first, local_days{fymd.year() / date::dec / 31}, out);
        } else {
          const std::vector<int> own{static_cast<int>(static_cast<unsigned>(s_.month()))};
          for (int m : rule_.by_month.empty() ? own : rule_.by_month) {
            month_candidates(rule_, fymd.year() / date::month{static_cast<unsigned>(m)},
                             static_cast<unsigned>(s_.day()), out);
          }
        }
        break;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    out.erase(std::remove_if(out.begin(), out.end(), [&](local_days d) { return !keep(d); }),
              out.end());
  }

 private:
  // The limiting BYxxx parts (RFC 5545 table): BYMONTH for DAILY and WEEKLY,
  // BYMONTHDAY and BYDAY for DAILY. For the other frequencies these were
  // already applied while expanding, so checking again changes nothing.
  bool keep(local_days d) const {
    if (d < start_) return false;
    const date::year_month_day ymd{d};
    if (!rule_.by_month.empty() &&
        !contains(rule_.by_month, static_cast<int>(static_cast<unsigned>(ymd.month())))) {
      return false;
    }
    if (rule_.freq == Recurrence::Freq::daily || rule_.freq == Recurrence::Freq::weekly) {
      if (!rule_.by_month_day.empty() && !matches_month_day(rule_.by_month_day, ymd)) return false;
    }
    if (rule_.freq == Recurrence::Freq::daily && !rule_.by_day.empty()) {
      const date::weekday wd{d};
      if (std::find(rule_.by_day.begin(), rule_.by_day.end(), wd) == rule_.by_day.end()) {
        return false;
      }
    }
    return true;
  }

  long long week_of(local_days d) const {
    return (d - (date::weekday{d} - rule_.week_start)).time_since_epoch().count();
  }
  static long long month_of(const date::year_month_day& ymd) {
    return static_cast<long long>(static_cast<int>(ymd.year())) * 12 +
           static_cast<unsigned>(ymd.month()) - 1;
  }
  static local_days day_at(long long n) { return local_days{date::days{static_cast<int>(n)}}; }
  static date::year_month year_month_at(long long m) {
    const long long y = m >= 0 ? m / 12 : (m - 11) / 12;
    return date::year{static_cast<int>(y)} / date::month{static_cast<unsigned>(m - y * 12 + 1)};
  }

  const Recurrence& rule_;
  local_days start_;
  date::year_month_day s_;
  long long first_ = 0;   // period number of DTSTART's period (day, week start, month, year)
};

}  // namespace

std::optional<Recurrence> parse_every(std::string_view text, std::string& error) {
  // Words split on whitespace, but spaces around commas are harmless:
  // "mon, thu" reads as "mon,thu".
  std::vector<std::string> tokens;
  bool join_next = false;
  for (std::size_t i = 0; i < text.size();) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    const auto word = text.substr(i, j - i);
    if (!tokens.empty() && (join_next || word.front() == ',')) {
      tokens.back() += word;
    } else {
      tokens.emplace_back(word);
    }
    join_next = tokens.back().back() == ',';
    i = j;
  }
  if (tokens.empty()) {
    error = "empty rule; expected e.g. 'daily 09:00', 'weekly mon,thu 09:00' or 'monthly 1 09:00'";
    return std::nullopt;
  }

  Recurrence r;
  const auto kind = ascii_lower(tokens[0]);
  std::size_t time_at = 1;
  if (kind == "daily") {
    r.freq = Recurrence::Freq::daily;
  } else if (kind == "weekly" || kind == "monthly") {
    const bool weekly = kind == "weekly";
    r.freq = weekly ? Recurrence::Freq::weekly : Recurrence::Freq::monthly;
    if (tokens.size() < 3) {
      error = weekly ? "weekly needs weekdays and a time, e.g. 'weekly mon,thu 09:00'"
                     : "monthly needs days of the month and a time, e.g. 'monthly 1,15 09:00'";
      return std::nullopt;
    }
    if (!(weekly ? parse_weekdays(tokens[1], r, error) : parse_month_days(tokens[1], r, error))) {
      return std::nullopt;
    }
    time_at = 2;
  } else {
    error = "unknown frequency " + quoted(tokens[0]) + "; expected daily, weekly or monthly";
    return std::nullopt;
  }
  if (tokens.size() <= time_at) {
    error = "daily needs a time, e.g. 'daily 09:00'";
    return std::nullopt;
  }
  if (tokens.size() > time_at + 1) {
    error = "unexpected " + quoted(tokens[time_at + 1]) + " after the time";
    return std::nullopt;
  }
  if (!parse_times(tokens[time_at], r, error)) return std::nullopt;
  return r;
}

std::optional<Recurrence> parse_rrule(std::string_view text, const date::time_zone& zone,
                                      std::string& error) {
  auto rest = trim(text);
  if (rest.size() >= 6 && upper(rest.substr(0, 6)) == "RRULE:") rest = trim(rest.substr(6));
  if (rest.empty()) {
    error = "empty rule; expected e.g. 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0'";
    return std::nullopt;
  }

  Recurrence r;
  bool have_freq = false;
  std::vector<std::string> seen;
  std::vector<WrittenNth> nths;
  for (auto raw : split(rest, ';')) {
    const auto part = trim(raw);
    if (part.empty()) {
      error = "empty part in the rule (a stray ';')";
      return std::nullopt;
    }
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      error = "expected NAME=VALUE, got " + quoted(part);
      return std::nullopt;
    }
    const auto name = upper(trim(part.substr(0, eq)));
    const auto value = trim(part.substr(eq + 1));
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      error = "duplicate " + name;
      return std::nullopt;
    }
    seen.push_back(name);
    if (value.empty()) {
      error = "empty value for " + name;
      return std::nullopt;
    }

    bool ok = true;
    if (name == "FREQ") {
      const auto f = upper(value);
      have_freq = true;
      if (f == "DAILY") {
        r.freq = Recurrence::Freq::daily;
      } else if (f == "WEEKLY") {
        r.freq = Recurrence::Freq::weekly;
      } else if (f == "MONTHLY") {
        r.freq = Recurrence::Freq::monthly;
      } else if (f == "YEARLY") {
        r.freq = Recurrence::Freq::yearly;
      } else if (f == "HOURLY" || f == "MINUTELY" || f == "SECONDLY") {
        error = "FREQ=" + f + " is not supported";
        ok = false;
      } else {
        error = "unknown FREQ " + quoted(value) + "; expected DAILY, WEEKLY, MONTHLY or YEARLY";
        ok = false;
      }
    } else if (name == "INTERVAL") {
      ok = parse_bounded(name, value, 1, kMaxInterval, r.interval, error);
    } else if (name == "COUNT") {
      int count = 0;
      ok = parse_bounded(name, value, 1, kMaxCount, count, error);
      r.count = count;
    } else if (name == "UNTIL") {
      ok = parse_until(value, zone, r, error);
    } else if (name == "BYDAY") {
      ok = parse_byday(value, r, nths, error);
    } else if (name == "BYMONTHDAY") {
      ok = parse_int_list(name, value, 1, 31, true, r.by_month_day, error);
    } else if (name == "BYMONTH") {
      ok = parse_int_list(name, value, 1, 12, false, r.by_month, error);
    } else if (name == "BYHOUR") {
      ok = parse_int_list(name, value, 0, 23, false, r.by_hour, error);
    } else if (name == "BYMINUTE") {
      ok = parse_int_list(name, value, 0, 59, false, r.by_minute, error);
    } else if (name == "WKST") {
      const auto day = weekday_by_code(value);
      if (day) {
        r.week_start = *day;
      } else {
        error = "unknown weekday " + quoted(value) + " in WKST (expected MO, TU, WE, TH, FR, SA, SU)";
        ok = false;
      }
    } else if (name == "BYSECOND" || name == "BYYEARDAY" || name == "BYWEEKNO" ||
               name == "BYSETPOS") {
      error = name + " is not supported";
      ok = false;
    } else {
      error = "unknown rule part " + quoted(trim(part.substr(0, eq)));
      ok = false;
    }
    if (!ok) return std::nullopt;
  }

  // Checks that need the whole rule (RFC 5545 allows the parts in any order).
  if (!have_freq) {
    error = "missing FREQ";
    return std::nullopt;
  }
  if (r.count && r.until) {
    error = "COUNT and UNTIL cannot both be given";
    return std::nullopt;
  }
  if (r.freq == Recurrence::Freq::weekly && !r.by_month_day.empty()) {
    error = "BYMONTHDAY is not allowed with FREQ=WEEKLY";
    return std::nullopt;
  }
  const bool in_month = r.freq == Recurrence::Freq::monthly ||
                        (r.freq == Recurrence::Freq::yearly && !r.by_month.empty());
  for (const auto& n : nths) {
    if (r.freq == Recurrence::Freq::daily || r.freq == Recurrence::Freq::weekly) {
      error = "BYDAY=" + n.text + ": an ordinal weekday needs FREQ=MONTHLY or FREQ=YEARLY";
      return std::nullopt;
    }
    if (in_month && (n.day.nth > 5 || n.day.nth < -5)) {
      error = "BYDAY=" + n.text + ": the ordinal must be 1 to 5 or -5 to -1 within a month";
      return std::nullopt;
    }
  }
  return r;
}

std::vector<WallTime> expand(const Recurrence& rule, date::local_days start, WallTime from,
                             WallTime to, std::size_t limit) {
  std::vector<WallTime> out;
  const WallTime end_of_calendar{local_days{date::year{kLastYear + 1} / 1 / 1}};
  if (limit == 0 || from >= to || from >= end_of_calendar) return out;
  if (rule.interval < 1 || rule.interval > kMaxInterval) return out;   // not from a parser
  if (rule.count && *rule.count <= 0) return out;

  const auto times = times_of_day(rule);
  const Periods periods(rule, start);
  std::size_t counted = 0;

  // Without COUNT nothing before `from` matters: begin at its period.
  long long i = 0;
  if (!rule.count && from > WallTime{start}) {
    i = periods.index_near(date::floor<date::days>(from));
  }

  // Each turn takes one period (every INTERVAL-th day/week/month/year), lists
  // its days and emits day x time in order; it stops at `to`, UNTIL, COUNT,
  // `limit`, the year 9999, or after 400 years of empty periods.
  std::vector<local_days> days;
  auto last_hit = periods.first_day(i);
  for (;; ++i) {
    const auto first = periods.first_day(i);
    if (date::year_month_day{first}.year() > date::year{kLastYear}) break;
    if (WallTime{first} >= to) break;
    if (rule.until && WallTime{first} > *rule.until) break;
    periods.days(i, days);
    bool hit = false;
    for (auto day : days) {
      for (auto t : times) {
        const WallTime at = WallTime{day} + t;
        if (at >= to || (rule.until && at > *rule.until)) return out;
        if (rule.count && counted == static_cast<std::size_t>(*rule.count)) return out;
        ++counted;
        hit = true;
        if (at >= from) {
          out.push_back(at);
          if (out.size() == limit) return out;
        }
      }
    }
    if (hit) {
      last_hit = first;
    } else if (first - last_hit > kGiveUpAfter) {
      break;
    }
  }
  return out;
}

}  // namespace herald
