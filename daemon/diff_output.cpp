#include "daemon/diff_output.hpp"

#include "config/local_time.hpp"
#include "daemon/plan_output.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <ostream>
#include <sstream>

namespace herald {

namespace {

// 2027-03-02T10:00:00+01:00 -> 2027-03-02 10:00 +01:00 (as herald plan's table).
std::string short_local(const std::string& rfc) {
  if (rfc.size() < 20) return rfc;
  return rfc.substr(0, 10) + " " + rfc.substr(11, 5) + " " + rfc.substr(19);
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

bool is_finding(ChangeKind k) {
  return k == ChangeKind::error || k == ChangeKind::warning_new || k == ChangeKind::warning_gone;
}

// "1 added, 2 moved" (or with another separator), kinds in order, none left out but zeros.
std::string counts(const std::vector<ScheduleChange>& changes, const char* sep) {
  const auto n = count_by_kind(changes);
  std::string out;
  for (int k = 0; k < kChangeKinds; ++k) {
    if (n[static_cast<std::size_t>(k)] == 0) continue;
    if (!out.empty()) out += sep;
    out += std::to_string(n[static_cast<std::size_t>(k)]) + " " + std::string(to_string(static_cast<ChangeKind>(k)));
  }
  return out;
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string one_line(std::string text) {
  // Line breaks as ↵ so a multi-line text stays on its row.
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') continue;
    if (text[i] == '\n') out += "↵";
    else out += text[i];
  }
  return out;
}

}  // namespace

std::string plain_word_diff(const std::vector<WordEdit>& edits) {
  std::string out;
  for (std::size_t i = 0; i < edits.size(); ++i) {
    const WordEdit& e = edits[i];
    if (e.op == WordEdit::Op::same) {
      out += e.text;
      continue;
    }
    const char* open = e.op == WordEdit::Op::removed ? "[-" : "{+";
    const char* close = e.op == WordEdit::Op::removed ? "-]" : "+}";
    // A word added or removed alone reads "Our {+whole+} story": its
    // whitespace outside the marks. In a replacement the runs stay whole.
    const bool alone = !(i > 0 && edits[i - 1].op != WordEdit::Op::same) &&
                       !(i + 1 < edits.size() && edits[i + 1].op != WordEdit::Op::same);
    const std::size_t b = alone ? e.text.find_first_not_of(" \t\r\n") : 0;
    const std::size_t end = alone ? e.text.find_last_not_of(" \t\r\n") + 1 : e.text.size();
    if (b == std::string::npos) {
      out += open + e.text + close;
      continue;
    }
    out += e.text.substr(0, b) + open + e.text.substr(b, end - b) + close + e.text.substr(end);
  }
  return out;
}

namespace {

// The text column of a delivery change: what about it changed, in one line.
std::string detail(const ScheduleChange& c) {
  const ScheduledRow& r = c.row();
  switch (c.kind) {
    case ChangeKind::retexted: return one_line(plain_word_diff(abbreviate(c.text_diff, 5)));
    case ChangeKind::now_waiting: return "waits for " + join(r.depends_on, ", ");
    case ChangeKind::no_longer_waiting:
      return "no longer waits for " + join(c.before->depends_on, ", ");
    default: return first_line(r.text, 60);
  }
}

std::string key_cell(const ScheduleChange& c) {
  return c.row().key + (c.row().draft ? " (draft)" : "");
}

}  // namespace

void write_diff_table(std::ostream& out, const DiffReport& report) {
  out << "herald diff: " << report.old_label << " -> " << report.new_label << ", " << short_local(report.from_local)
      << " to " << short_local(report.to_local) << " (" << report.zone << ")\n";
  if (!report.old_problem.empty()) out << "note: " << report.old_problem << '\n';
  const auto errors = count_by_kind(report.changes)[static_cast<std::size_t>(ChangeKind::error)];
  if (errors > 0) {
    // The errors themselves are on the error output, as herald check prints them.
    out << "the new calendar has " << plural(errors, "error", "errors") << " (on the error output); nothing compared\n";
    return;
  }
  if (report.changes.empty()) {
    out << "no change to the schedule\n";
    return;
  }
  const std::string old_head = "OLD (" + report.zone + ")", new_head = "NEW (" + report.zone + ")";
  std::size_t kind_w = 6, key_w = 3, channel_w = 7, old_w = 23, new_w = 23;
  for (const auto& c : report.changes) {
    kind_w = std::max(kind_w, to_string(c.kind).size());
    if (is_finding(c.kind)) continue;
    key_w = std::max(key_w, code_points(key_cell(c)));
    channel_w = std::max(channel_w, code_points(c.row().channel));
  }
  old_w = std::max(old_w, code_points(old_head));
  new_w = std::max(new_w, code_points(new_head));
  auto pad = [](const std::string& s, std::size_t w) {
    const std::size_t n = code_points(s);
    return n >= w ? s : s + std::string(w - n, ' ');
  };
  out << pad("CHANGE", kind_w) << "  " << pad("KEY", key_w) << "  " << pad("CHANNEL", channel_w) << "  "
      << pad(old_head, old_w) << "  " << pad(new_head, new_w) << "  TEXT\n";
  for (const auto& c : report.changes) {
    if (is_finding(c.kind)) {
      out << pad(std::string(to_string(c.kind)), kind_w) << "  " << format(*c.finding) << '\n';
      continue;
    }
    const std::string was = c.before ? short_local(c.before->local) : "-";
    const std::string is = c.after ? short_local(c.after->local) : "-";
    std::string line = pad(std::string(to_string(c.kind)), kind_w) + "  " + pad(key_cell(c), key_w) + "  " +
                       pad(c.row().channel, channel_w) + "  " + pad(was, old_w) + "  " + pad(is, new_w) + "  " +
                       detail(c);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
  out << plural(report.changes.size(), "change", "changes") << ": " << counts(report.changes, ", ") << '\n';
}

void write_diff_jsonl(std::ostream& out, const DiffReport& report) {
  for (const auto& c : report.changes) {
    boost::json::object o;
    o["change"] = to_string(c.kind);
    if (c.finding) {
      o["severity"] = c.finding->severity == Severity::error ? "error" : "warning";
      o["file"] = c.finding->where.file;
      o["line"] = c.finding->where.line;
      o["column"] = c.finding->where.column;
      o["message"] = c.finding->message;
      out << boost::json::serialize(o) << '\n';
      continue;
    }
    const ScheduledRow& r = c.row();
    o["key"] = r.key;
    o["post"] = r.post;
    o["channel"] = r.channel;
    o["draft"] = r.draft;
    auto side = [&](const char* prefix, const std::optional<ScheduledRow>& row) {
      const std::string p = prefix;
      if (row) {
        o[p + "_at"] = format_utc(row->at);
        o[p + "_local"] = row->local;
        o[p + "_text"] = row->text;
        o[p + "_queued"] = row->queued;
        o[p + "_draft"] = row->draft;
        o[p + "_waiting"] = row->waiting;
      } else {
        for (const char* f : {"_at", "_local", "_text", "_queued", "_draft", "_waiting"}) o[p + f] = nullptr;
      }
    };
    side("old", c.before);
    side("new", c.after);
    boost::json::array diff;
    for (const auto& e : c.text_diff) {
      boost::json::object d;
      d["op"] = e.op == WordEdit::Op::same ? "same" : e.op == WordEdit::Op::removed ? "removed" : "added";
      d["text"] = e.text;
      diff.push_back(std::move(d));
    }
    o["diff"] = std::move(diff);
    o["waiting"] = r.waiting;
    boost::json::array deps, warns;
    for (const auto& k : r.depends_on) deps.emplace_back(k);
    for (const auto& w : r.warnings) warns.emplace_back(w);
    o["depends_on"] = std::move(deps);
    o["warnings"] = std::move(warns);
    out << boost::json::serialize(o) << '\n';
  }
}

namespace {

// Text safe in a Markdown table cell: Markdown's punctuation escaped, HTML
// kept literal, line breaks as <br>.
std::string md_escape(std::string_view text) {
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '\\': case '|': case '`': case '*': case '_': case '~': case '[': case ']': case '#':
        out += '\\';
        out += ch;
        break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '\r': break;
      case '\n': out += "<br>"; break;
      default: out += ch;
    }
  }
  return out;
}

// A changed run in ~~ or **: the markers go around each line's words, the
// whitespace stays outside (Markdown ignores "** word**").
std::string md_mark(std::string_view text, const char* marker) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    std::size_t b = line.find_first_not_of(" \t\r"), e = line.find_last_not_of(" \t\r");
    if (b == std::string_view::npos) {
      out += md_escape(line);
    } else {
      out += md_escape(line.substr(0, b));
      out += marker + md_escape(line.substr(b, e - b + 1)) + marker;
      out += md_escape(line.substr(e + 1));
    }
    if (nl == std::string_view::npos) break;
    out += "<br>";
    start = nl + 1;
  }
  return out;
}

std::string md_word_diff(const std::vector<WordEdit>& edits) {
  std::string out;
  for (std::size_t i = 0; i < edits.size(); ++i) {
    const WordEdit& e = edits[i];
    if (e.op == WordEdit::Op::same) {
      out += md_escape(e.text);
      continue;
    }
    // A replacement reads "~~old~~ **new**", not "~~old~~**new**".
    if (e.op == WordEdit::Op::added && i > 0 && edits[i - 1].op == WordEdit::Op::removed) out += ' ';
    out += md_mark(e.text, e.op == WordEdit::Op::removed ? "~~" : "**");
  }
  return out;
}

std::string md_code(const std::string& text) {
  std::string clean;
  for (char ch : text)
    if (ch != '`' && ch != '|' && ch != '\n') clean += ch;
  return "`" + clean + "`";
}

std::string md_key(const ScheduleChange& c) { return md_code(c.row().key) + (c.row().draft ? " (draft)" : ""); }

std::string md_when(const std::optional<ScheduledRow>& r) { return r ? short_local(r->local) : "–"; }

// The header and one row of a change kind's table.
std::string md_header(ChangeKind k) {
  switch (k) {
    case ChangeKind::error: return "| Where | Error |\n|---|---|\n";
    case ChangeKind::warning_new:
    case ChangeKind::warning_gone: return "| Where | Warning |\n|---|---|\n";
    case ChangeKind::moved:
    case ChangeKind::slot_shifted: return "| Key | Channel | From | To | Text |\n|---|---|---|---|---|\n";
    case ChangeKind::retexted: return "| Key | Channel | When | Change |\n|---|---|---|---|\n";
    case ChangeKind::now_waiting:
    case ChangeKind::no_longer_waiting: return "| Key | Channel | When | Waits for |\n|---|---|---|---|\n";
    case ChangeKind::removed: return "| Key | Channel | Was | Text |\n|---|---|---|---|\n";
    default: return "| Key | Channel | When | Text |\n|---|---|---|---|\n";
  }
}

std::string md_row(const ScheduleChange& c) {
  if (c.finding) {
    const auto& w = c.finding->where;
    std::string where = w.file;
    if (w.line > 0) where += ":" + std::to_string(w.line) + (w.column > 0 ? ":" + std::to_string(w.column) : "");
    return "| " + md_code(where) + " | " + md_escape(c.finding->message) + " |\n";
  }
  const ScheduledRow& r = c.row();
  const std::string head = "| " + md_key(c) + " | " + md_escape(r.channel) + " | ";
  switch (c.kind) {
    case ChangeKind::moved:
    case ChangeKind::slot_shifted:
      return head + md_when(c.before) + " | " + md_when(c.after) + " | " + md_escape(first_line(r.text, 80)) + " |\n";
    case ChangeKind::retexted:
      return head + md_when(c.after) + " | " + md_word_diff(abbreviate(c.text_diff, 8)) + " |\n";
    case ChangeKind::now_waiting:
      return head + md_when(c.after) + " | " + md_escape(join(r.depends_on, ", ")) + " |\n";
    case ChangeKind::no_longer_waiting:
      return head + md_when(c.after) + " | ~~" + md_escape(join(c.before->depends_on, ", ")) + "~~ |\n";
    case ChangeKind::removed: return head + md_when(c.before) + " | " + md_escape(first_line(r.text, 80)) + " |\n";
    default: return head + md_when(c.after) + " | " + md_escape(first_line(r.text, 80)) + " |\n";
  }
}

}  // namespace

void write_diff_markdown(std::ostream& out, const DiffReport& report, const MarkdownLimits& limits) {
  const auto n = count_by_kind(report.changes);
  const auto errors = n[static_cast<std::size_t>(ChangeKind::error)];
  std::string text;
  if (errors > 0) text = "### herald diff: the new calendar has " + plural(errors, "error", "errors") + "\n\n";
  else if (report.changes.empty()) text = "### herald diff: no change to the schedule\n\n";
  else text = "### herald diff: " + plural(report.changes.size(), "change", "changes") + " to the schedule\n\n";
  text += md_code(report.old_label) + " → " + md_code(report.new_label) + ", " + short_local(report.from_local) +
          " to " + short_local(report.to_local) + " (" + md_escape(report.zone) + ")\n\n";
  if (!report.old_problem.empty()) text += "> **Note:** " + md_escape(report.old_problem) + "\n\n";
  if (errors == 0 && !report.changes.empty()) text += counts(report.changes, " · ") + "\n\n";

  // One table per kind, each capped; past the comment's budget the rest is counted, not shown.
  std::size_t shown = 0;
  bool over_budget = false;
  for (int k = 0; k < kChangeKinds && !over_budget; ++k) {
    const auto kind = static_cast<ChangeKind>(k);
    const std::size_t count = n[static_cast<std::size_t>(k)];
    if (count == 0) continue;
    text += "#### " + std::string(title_of(kind)) + " (" + std::to_string(count) + ")\n\n" + md_header(kind);
    std::size_t in_table = 0;
    for (const auto& c : report.changes) {
      if (c.kind != kind) continue;
      if (in_table == limits.rows_per_table) break;
      std::string row = md_row(c);
      if (text.size() + row.size() > limits.max_chars) {
        over_budget = true;
        break;
      }
      text += row;
      ++in_table;
      ++shown;
    }
    if (in_table < count && !over_budget) text += "\n… and " + std::to_string(count - in_table) + " more\n";
    text += "\n";
  }
  if (over_budget)
    text += "\n\n… and " + std::to_string(report.changes.size() - shown) +
            " more changes, not shown to keep this comment short: run `herald diff` for all of them.\n";
  while (text.size() > 1 && text.ends_with("\n\n")) text.pop_back();
  out << text;
}

}  // namespace herald
