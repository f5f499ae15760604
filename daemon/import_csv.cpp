#include "daemon/import_csv.hpp"

#include "config/calendar.hpp"
#include "config/csv_reader.hpp"
#include "config/text.hpp"
#include "scheduler/check.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <variant>

// The layouts read here, and where they come from:
//
// Hootsuite's bulk composer (Publisher > Bulk Composer; the rules its upload
// dialog lists beside the downloadable sample file): no header row; column A
// the date and time, column B the message, column C an optional URL, which
// Hootsuite adds to the message; one file per set of social accounts, chosen
// at upload; the date format (day/month/year, month/day/year, year first) is
// chosen in the upload dialog, and the time is 24-hour hh:mm. Read from the
// descriptions of that dialog by its users ("Hootsuite bulk messaging
// explained", jycalcano.blogspot.com, 2015: the date format is chosen at
// upload, mm/dd/yyyy hh:mm in its example; "Using Hootsuite Pro's bulk
// message scheduler", kim-iverson-headlee.blogspot.com, 2016: each row is
// the date and time stamp, the message and the link; "Bulk Update Algo",
// gussetbeard.com: time, post text and a link if any, which Hootsuite
// shortens and counts in the message), as Hootsuite's own help page was not
// at hand. Hootsuite's other rules (a time at least 10 minutes ahead and on
// a multiple of 5 minutes, one post per time slot, at most 350 rows) are
// Hootsuite's scheduling limits, not herald's, and are not enforced.
//
// Buffer's bulk upload: a header row naming the columns Text, Image URL,
// Tags and Posting Time (empty: the next free slot of the queue). Buffer's
// help pages were not at hand either; the column names are those of the
// template Buffer offers for download, and herald also takes a Link column
// (some exports have one). Any other column is an error, so nothing in the
// file is dropped unseen.

namespace herald {

namespace {

/// The CSV file's name in the diagnostics of the YAML it became, before they
/// are moved to the rows.
constexpr const char* kGenerated = "<import>";

std::string two(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02u", v);
  return buf;
}

std::string iso_day(const date::year_month_day& d) {
  return std::to_string(static_cast<int>(d.year())) + "-" + two(static_cast<unsigned>(d.month())) + "-" +
         two(static_cast<unsigned>(d.day()));
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

unsigned number(std::string_view s) {
  unsigned v = 0;
  for (char c : s) v = v * 10 + static_cast<unsigned>(c - '0');
  return v;
}

std::string_view order_name(DateOrder o) {
  switch (o) {
    case DateOrder::dmy: return "dmy";
    case DateOrder::mdy: return "mdy";
    case DateOrder::ymd: return "ymd";
    case DateOrder::ydm: return "ydm";
    case DateOrder::unset: break;
  }
  return "";
}

// A time of day `H:MM` or `HH:MM[:SS]`, 24-hour.
std::optional<std::chrono::seconds> read_clock(std::string_view s, std::string& error) {
  const auto parts = split(s, ':');
  const bool shaped = (parts.size() == 2 || parts.size() == 3) && all_digits(parts[0]) && parts[0].size() <= 2 &&
                      std::all_of(parts.begin() + 1, parts.end(), [](std::string_view p) {
                        return p.size() == 2 && all_digits(p);
                      });
  if (!shaped) {
    const std::string lower = ascii_lower(s);
    if (lower.find("am") != std::string::npos || lower.find("pm") != std::string::npos)
      error = "the time '" + std::string(s) + "' uses AM/PM; write it on the 24-hour clock (13:30)";
    else
      error = "the time '" + std::string(s) + "' is not HH:MM (24-hour)";
    return std::nullopt;
  }
  const unsigned h = number(parts[0]), m = number(parts[1]), sec = parts.size() == 3 ? number(parts[2]) : 0;
  if (h > 23 || m > 59 || sec > 59) {
    error = "the time '" + std::string(s) + "' does not exist (00:00 to 23:59)";
    return std::nullopt;
  }
  return std::chrono::hours(h) + std::chrono::minutes(m) + std::chrono::seconds(sec);
}

/// A row's date and time: ISO 8601 (`2027-03-02 10:00`, `2027-03-02T10:00:00+01:00`)
/// or a spreadsheet's `DD/MM/YYYY HH:MM`-like form, whose day and month
/// order comes from `order`, or from the date itself when only one order
/// gives a real day. Never a guess between two real days.
std::optional<Timestamp> read_when(std::string_view raw, DateOrder order, std::string& error) {
  const std::string_view s = trim(raw);
  if (s.size() >= 5 && all_digits(s.substr(0, 4)) && s[4] == '-') {
    std::string why;
    auto ts = parse_timestamp(s, why);
    if (!ts) error = "'" + std::string(s) + "' is not a date and time (" + why + ")";
    return ts;
  }
  const std::size_t space = s.find(' ');
  if (space == std::string_view::npos) {
    error = "'" + std::string(s) + "' is not a date and time (expected e.g. 02/03/2027 10:00 or 2027-03-02 10:00)";
    return std::nullopt;
  }
  const std::string_view day_text = s.substr(0, space);
  const std::string_view clock_text = trim(s.substr(space + 1));
  const char sep = day_text.find('/') != std::string_view::npos ? '/' : day_text.find('.') != std::string_view::npos ? '.' : '-';
  const auto parts = split(day_text, sep);
  if (parts.size() != 3 || !std::all_of(parts.begin(), parts.end(), [](std::string_view p) {
        return all_digits(p) && p.size() <= 4;
      })) {
    error = "'" + std::string(s) + "' is not a date and time (expected e.g. 02/03/2027 10:00 or 2027-03-02 10:00)";
    return std::nullopt;
  }
  const bool year_first = parts[0].size() == 4, year_last = parts[2].size() == 4;
  if (!year_first && !year_last) {
    error = "the date '" + std::string(day_text) + "' has no four-digit year";
    return std::nullopt;
  }
  if (parts[year_first ? 1 : 0].size() > 2 || parts[year_first ? 2 : 1].size() > 2) {
    error = "the date '" + std::string(day_text) + "' is not a day (a day or month has at most two digits)";
    return std::nullopt;
  }
  auto clock = read_clock(clock_text, error);
  if (!clock) return std::nullopt;
  const int year = static_cast<int>(number(year_first ? parts[0] : parts[2]));
  const unsigned a = number(year_first ? parts[1] : parts[0]), b = number(year_first ? parts[2] : parts[1]);
  // The two readings: the first of the two non-year numbers as the month, or as the day.
  const DateOrder month_first = year_first ? DateOrder::ymd : DateOrder::mdy;
  const DateOrder day_first = year_first ? DateOrder::ydm : DateOrder::dmy;
  const date::year_month_day as_month_first{date::year{year}, date::month{a}, date::day{b}};
  const date::year_month_day as_day_first{date::year{year}, date::month{b}, date::day{a}};
  std::optional<date::year_month_day> day;
  if (order != DateOrder::unset) {
    if (order != month_first && order != day_first) {
      error = "the date '" + std::string(day_text) + "' has its year " + (year_first ? "first" : "last") +
              ", which --date-order " + std::string(order_name(order)) + " does not read";
      return std::nullopt;
    }
    day = order == month_first ? as_month_first : as_day_first;
    if (!day->ok()) {
      error = "the date '" + std::string(day_text) + "' is not a day when read as " + std::string(order_name(order));
      return std::nullopt;
    }
  } else {
    const bool m_ok = as_month_first.ok(), d_ok = as_day_first.ok();
    if (m_ok && d_ok && as_month_first != as_day_first) {
      error = "the date '" + std::string(day_text) + "' is ambiguous: " + iso_day(as_day_first) + " (" +
              std::string(order_name(day_first)) + ") or " + iso_day(as_month_first) + " (" +
              std::string(order_name(month_first)) + "); say which with --date-order " +
              std::string(order_name(day_first)) + " or " + std::string(order_name(month_first));
      return std::nullopt;
    }
    if (!m_ok && !d_ok) {
      error = "the date '" + std::string(day_text) + "' is not a day";
      return std::nullopt;
    }
    day = m_ok ? as_month_first : as_day_first;
  }
  return Timestamp{WallTime{date::local_days{*day}} + *clock};
}

bool http_url(std::string_view s) {
  const std::string lower = ascii_lower(s.substr(0, 8));
  std::size_t host = 0;
  if (lower.rfind("https://", 0) == 0) host = 8;
  else if (lower.rfind("http://", 0) == 0) host = 7;
  else return false;
  if (host >= s.size() || s[host] == '/' || s[host] == '?' || s[host] == '#') return false;
  return std::none_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

/// One row read: what its post says, and where.
struct Row {
  int line = 0;
  int column = 1;                       ///< the message's column, for what is found in the text
  std::optional<Timestamp> when = {};   ///< nullopt: queued (Buffer's empty Posting Time)
  std::string text = {};
  std::string link = {};
};

/// Where a field is, for a message about it: its own line and column when it
/// starts on the record's line, else the record's line and column 1.
Location at_field(const std::string& file, const CsvRecord& record, const CsvField* field) {
  if (!field || field->line != record.line) return {file, record.line, 1};
  return {file, record.line, field->column};
}

/// The record's fields without the empty ones at its end (a spreadsheet
/// writes them when another row is wider): nothing is in them.
std::size_t used_fields(const CsvRecord& record) {
  std::size_t n = record.fields.size();
  while (n > 0 && trim(record.fields[n - 1].value).empty()) --n;
  return n;
}

/// What both layouts share once a row's fields are found.
class RowReader {
 public:
  RowReader(const std::string& file, const Settings& settings, const ImportOptions& options, Diagnostics& diags)
      : file_(file), settings_(settings), options_(options), diags_(diags) {}

  void read(const CsvRecord& record, const CsvField* when, const CsvField* message, const CsvField* link,
            bool empty_when_queues, const std::string& header_hint) {
    const int before = diags_.error_count();
    Row row;
    row.line = record.line;
    if (message && message->line == record.line) row.column = message->column;
    if (!when || trim(when->value).empty()) {
      if (!empty_when_queues) diags_.error(at_field(file_, record, when), "no date and time");
    } else {
      std::string error;
      row.when = read_when(when->value, options_.date_order, error);
      if (!row.when) diags_.error(at_field(file_, record, when), error + header_hint);
      else check_time(record, when, *row.when);
    }
    row.text = message ? std::string(trim(message->value)) : std::string();
    // A line break in a quoted message may be CRLF (RFC 4180's own); the post's is LF.
    for (std::size_t at; (at = row.text.find("\r\n")) != std::string::npos;) row.text.erase(at, 1);
    if (row.text.empty()) diags_.error(at_field(file_, record, message), "empty message");
    if (link) {
      row.link = std::string(trim(link->value));
      if (!row.link.empty() && !http_url(row.link))
        diags_.error(at_field(file_, record, link), "the link '" + row.link + "' is not an http or https URL");
    }
    if (diags_.error_count() == before) rows_.push_back(std::move(row));
  }

  std::vector<Row>& rows() { return rows_; }

 private:
  // A wall time that DST skips or repeats is an error: the file cannot say
  // which instant it meant, and herald would move it. A time that has passed
  // is a warning: herald keeps it, but will not publish it late.
  void check_time(const CsvRecord& record, const CsvField* when, const Timestamp& ts) {
    const date::time_zone& zone = *settings_.zone;
    Instant instant;
    if (const auto* wall = std::get_if<WallTime>(&ts)) {
      const Resolved r = resolve(zone, *wall);
      if (r.fit == WallFit::gap) {
        diags_.error(at_field(file_, record, when),
                     format_wall(*wall) + " does not exist in " + settings_.timezone +
                         " (the clocks go forward then); write the time it should be, e.g. " +
                         format_wall(*wall + r.shift));
        return;
      }
      if (r.fit == WallFit::repeated) {
        diags_.error(at_field(file_, record, when),
                     format_wall(*wall) + " happens twice in " + settings_.timezone +
                         " (the clocks go back then); write another time, or the time with its UTC offset "
                         "(2027-10-31T02:30:00+01:00) with --from buffer");
        return;
      }
      instant = r.instant;
    } else {
      instant = std::get<Instant>(ts);
    }
    if (instant < options_.now)
      diags_.warning(at_field(file_, record, when),
                     format_local(zone, instant) + " has passed; herald will not publish it later than the late "
                                                   "window allows (docs/calendar.md)");
  }

  const std::string& file_;
  const Settings& settings_;
  const ImportOptions& options_;
  Diagnostics& diags_;
  std::vector<Row> rows_;
};

void read_hootsuite(const std::vector<CsvRecord>& records, RowReader& reader, const std::string& file,
                    Diagnostics& diags) {
  for (std::size_t i = 0; i < records.size(); ++i) {
    const CsvRecord& r = records[i];
    // Column B is there, even empty, when the row has two fields: its
    // message is what is wrong then, not the number of columns.
    const std::size_t n = std::max(used_fields(r), std::min<std::size_t>(r.fields.size(), 2));
    if (used_fields(r) == 0) continue;  // an empty spreadsheet row
    if (n < 2 || n > 3) {
      diags.error({file, r.line, 1}, "expected 2 or 3 columns (A: date and time, B: message, C: optional link), found " +
                                         std::to_string(n));
      continue;
    }
    std::string hint;
    const std::string& a = r.fields[0].value;
    if (i == 0 && std::none_of(a.begin(), a.end(), [](char c) { return c >= '0' && c <= '9'; }))
      hint = " (Hootsuite's bulk CSV has no header row: remove it; for Buffer's CSV use --from buffer)";
    // A header row: the one message that says so, not one per column.
    reader.read(r, &r.fields[0], &r.fields[1], n == 3 && hint.empty() ? &r.fields[2] : nullptr, false, hint);
  }
}

enum class BufferColumn { text, posting_time, link, image_url, tags };

void read_buffer(const std::vector<CsvRecord>& records, RowReader& reader, const std::string& file,
                 Diagnostics& diags) {
  if (records.empty()) return;
  static const std::map<std::string, BufferColumn> kColumns{{"text", BufferColumn::text},
                                                            {"posting time", BufferColumn::posting_time},
                                                            {"link", BufferColumn::link},
                                                            {"image url", BufferColumn::image_url},
                                                            {"tags", BufferColumn::tags}};
  const CsvRecord& header = records.front();
  std::map<BufferColumn, std::size_t> where;
  const int before = diags.error_count();
  for (std::size_t i = 0; i < used_fields(header); ++i) {
    const CsvField& f = header.fields[i];
    const std::string name = ascii_lower(trim(f.value));
    auto it = kColumns.find(name);
    if (it == kColumns.end()) {
      diags.error(at_field(file, header, &f), "unknown column '" + f.value +
                                                  "' (Buffer's bulk upload has Text, Posting Time, Image URL and "
                                                  "Tags; herald also reads Link)");
      continue;
    }
    if (!where.emplace(it->second, i).second)
      diags.error(at_field(file, header, &f), "column '" + f.value + "' appears twice");
  }
  if (!where.count(BufferColumn::text))
    diags.error({file, header.line, 1}, "the header names no Text column (the first row of Buffer's CSV names its columns)");
  if (diags.error_count() != before) return;
  const std::size_t width = used_fields(header);
  auto field = [&](const CsvRecord& r, BufferColumn c) -> const CsvField* {
    auto it = where.find(c);
    if (it == where.end() || it->second >= r.fields.size()) return nullptr;
    return &r.fields[it->second];
  };
  for (std::size_t i = 1; i < records.size(); ++i) {
    const CsvRecord& r = records[i];
    const std::size_t n = used_fields(r);
    if (n == 0) continue;  // an empty spreadsheet row
    if (n > width || r.fields.size() < width) {
      diags.error({file, r.line, 1}, "expected " + std::to_string(width) + " columns, as the header on line " +
                                         std::to_string(header.line) + " names, found " + std::to_string(r.fields.size()));
      continue;
    }
    if (const CsvField* image = field(r, BufferColumn::image_url); image && !trim(image->value).empty()) {
      diags.error(at_field(file, r, image), "an Image URL is not imported: herald publishes media files next to the "
                                            "calendar; download it and add it to the post as media: [FILE]");
      continue;
    }
    if (const CsvField* tags = field(r, BufferColumn::tags); tags && !trim(tags->value).empty())
      diags.warning(at_field(file, r, tags), "Buffer's tags '" + std::string(trim(tags->value)) +
                                                 "' are not imported (herald's nearest is campaign:)");
    reader.read(r, field(r, BufferColumn::posting_time), field(r, BufferColumn::text), field(r, BufferColumn::link),
                true, {});
  }
}

// The first words of a message, lower-case ASCII letters and digits joined
// by '-', without its links: at most 5 words and 30 characters, whole words
// only (a first word longer than that is cut).
std::string slug(std::string_view message) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < message.size() && words.size() < 5) {
    const auto space = [&](std::size_t k) {
      return message[k] == ' ' || message[k] == '\n' || message[k] == '\t' || message[k] == '\r';
    };
    while (i < message.size() && space(i)) ++i;
    std::size_t end = i;
    while (end < message.size() && !space(end)) ++end;
    const std::string token = ascii_lower(message.substr(i, end - i));
    i = end;
    if (token.rfind("http://", 0) == 0 || token.rfind("https://", 0) == 0 || token.rfind("www.", 0) == 0) continue;
    std::string word;
    for (char c : token) {
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) word += c;
      else if (!word.empty()) {
        words.push_back(std::move(word));
        word.clear();
      }
    }
    if (!word.empty()) words.push_back(std::move(word));
  }
  std::string out;
  for (std::size_t w = 0; w < words.size() && w < 5; ++w) {
    if (out.empty()) out = words[w].substr(0, 30);
    else if (out.size() + 1 + words[w].size() <= 30) out += "-" + words[w];
    else break;
  }
  return out;
}

/// The `at:` of a row: a wall time in the settings' zone, or RFC 3339 with
/// its offset when a wall time would not say which instant (the second
/// pass of a repeated hour, given with its offset).
std::string at_text(const Timestamp& ts, const date::time_zone& zone) {
  WallTime wall;
  if (const auto* w = std::get_if<WallTime>(&ts)) {
    wall = *w;
  } else {
    const Instant instant = std::get<Instant>(ts);
    wall = to_wall(zone, instant);
    const Resolved r = resolve(zone, wall);
    if (r.fit != WallFit::exact || r.instant != instant) return format_local(zone, instant);
  }
  std::string out = format_wall(wall);
  const auto seconds = (wall - date::floor<std::chrono::minutes>(wall)).count();
  if (seconds != 0) out += ":" + two(static_cast<unsigned>(seconds));
  return out;
}

std::string id_label(const std::optional<Timestamp>& when, const date::time_zone& zone) {
  if (!when) return "queued";
  const std::string at = at_text(*when, zone);
  // 2027-03-02 10:00 -> 2027-03-02-1000; 2027-10-31T02:30:00+01:00 (the
  // second 02:30 of a night the clocks go back) -> 2027-10-31-0230-p0100.
  std::string out = at.substr(0, 10) + "-" + at.substr(11, 2) + at.substr(14, 2);
  if (at.size() > 16 && at[16] == ':' && at.substr(17, 2) != "00") out += at.substr(17, 2);
  if (at.size() == 25) out += std::string("-") + (at[19] == '+' ? 'p' : 'm') + at.substr(20, 2) + at.substr(23, 2);
  return out;
}

}  // namespace

std::string import_post_id(const std::string& label, std::string_view message) {
  const std::uint64_t h = fnv1a(fnv1a(kFnvStart, label), message);
  char hex[8];
  std::snprintf(hex, sizeof hex, "%06llx", static_cast<unsigned long long>(h & 0xFFFFFF));
  const std::string s = slug(message);
  return label + "-" + (s.empty() ? std::string() : s + "-") + hex;
}

std::optional<std::string> import_csv(std::string_view csv, const std::string& file, const Settings& settings,
                                      const ImportOptions& options, Diagnostics& diags) {
  const auto records = read_csv(csv, file, diags);
  if (diags.has_errors()) return std::nullopt;
  RowReader reader(file, settings, options, diags);
  if (options.source == CsvSource::hootsuite) read_hootsuite(records, reader, file, diags);
  else read_buffer(records, reader, file, diags);
  if (diags.has_errors()) return std::nullopt;
  if (reader.rows().empty()) {
    diags.error({file, 0, 0}, "no rows to import");
    return std::nullopt;
  }

  // The YAML, post by post, each emitted by yaml-cpp (it quotes what needs
  // quoting), remembering the line each post starts on.
  std::string yaml = "# herald import csv --from " +
                     std::string(options.source == CsvSource::hootsuite ? "hootsuite" : "buffer") + "\nposts:\n";
  int line = 3;
  std::vector<int> starts;
  for (const Row& row : reader.rows()) {
    std::string text = row.text;
    // Hootsuite adds column C's link to the message; so does the import, so
    // X and Mastodon, which have no link field, carry it too. `link:` makes
    // it the card where a network shows one.
    if (!row.link.empty() && text.find(row.link) == std::string::npos) text += " " + row.link;
    YAML::Emitter e;
    e << YAML::BeginSeq << YAML::BeginMap;
    e << YAML::Key << "id" << YAML::Value << import_post_id(id_label(row.when, *settings.zone), row.text);
    if (row.when) e << YAML::Key << "at" << YAML::Value << at_text(*row.when, *settings.zone);
    else e << YAML::Key << "queue" << YAML::Value << true;
    e << YAML::Key << "channels" << YAML::Value << YAML::Flow << options.channels;
    e << YAML::Key << "text" << YAML::Value << text;
    if (!row.link.empty()) e << YAML::Key << "link" << YAML::Value << row.link;
    e << YAML::EndMap << YAML::EndSeq;
    const std::string item = std::string(e.c_str()) + "\n";
    starts.push_back(line);
    line += static_cast<int>(std::count(item.begin(), item.end(), '\n'));
    yaml += item;
  }

  // Loaded and checked as `herald check` would (lengths on each channel,
  // duplicate ids, references), each finding moved to its row.
  Diagnostics found;
  Calendar calendar;
  std::vector<std::string> lint;
  if (load_calendar_text(yaml, kGenerated, settings, calendar, found))
    for (const auto& w : check_calendar(calendar, settings, options.now, found).lint) lint.push_back(w.message);
  for (Diagnostic d : found.items()) {
    // The lint (gaps, promo share, spacing) is about the whole calendar, of
    // which these rows are a part: `herald check` says it once they are in.
    if (d.severity == Severity::warning && std::find(lint.begin(), lint.end(), d.message) != lint.end()) continue;
    if (d.where.file == kGenerated) {
      const auto it = std::upper_bound(starts.begin(), starts.end(), d.where.line);
      const std::size_t index = it == starts.begin() ? 0 : static_cast<std::size_t>(it - starts.begin()) - 1;
      const Row& row = reader.rows()[index];
      d.where = {file, row.line, row.column};
    }
    diags.add(std::move(d));
  }
  if (diags.has_errors()) return std::nullopt;
  return yaml;
}

}  // namespace herald
