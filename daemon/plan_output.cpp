#include "daemon/plan_output.hpp"

#include "compose/composer.hpp"
#include "compose/little_text.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <iomanip>
#include <ostream>

namespace herald {

namespace {


}  // namespace

std::size_t code_points(std::string_view utf8) {
  std::size_t n = 0;
  for (unsigned char c : utf8)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string first_line(std::string_view text, std::size_t max) {
  auto nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  std::size_t points = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) {
      if (points == max) return std::string(line.substr(0, i)) + "…";
      ++points;
    }
  }
  std::string out(line);
  if (nl != std::string_view::npos && nl + 1 < text.size()) out += " …";
  return out;
}

std::vector<PlanRow> plan_rows(const std::vector<Delivery>& deliveries, const Calendar& calendar,
                               const Settings& settings, const CheckReport& report, const PlannedAt& planned_at) {
  std::vector<PlanRow> rows;
  rows.reserve(deliveries.size());
  const UrlLookup previews = preview_urls(calendar, settings);
  std::map<std::string, std::vector<const LintWarning*>> lint_by_key;
  for (const auto& w : report.lint)
    for (const auto& k : w.keys) lint_by_key[k].push_back(&w);
  for (const auto& d : deliveries) {
    PlanRow row;
    row.delivery = &d;
    row.draft = d.source->draft;
    const ChannelSettings* cs = settings.channel(d.channel);
    const std::string local_rfc = format_local(d.queued ? *settings.zone : *d.source->zone, d.at);
    const Composed c = d.comment ? compose_first_comment(*d.source, *cs, settings, calendar, previews)
                                 : compose(*d.source, *cs, settings, calendar, previews, local_rfc);
    row.text = c.text;
    row.summary = (cs->kind == ChannelKind::wordpress || cs->kind == ChannelKind::static_site ||
                   (cs->kind == ChannelKind::youtube && !c.title.empty()))
                      ? c.title
                      // The table shows what a reader sees; the JSON the commentary as sent.
                      : cs->kind == ChannelKind::linkedin ? render_little_text(c.text).text
                                                          : c.text;
    if (const Measure* m = c.main_measure()) {
      row.length = m->length;
      row.limit = m->limit;
    } else {
      row.length = code_points(c.text);
    }
    if (d.fit == WallFit::gap) {
      row.warnings.push_back(format_wall(d.local) + " does not exist in " + d.source->zone_name +
                             " (clocks go forward); published at " + format_wall(to_wall(*d.source->zone, d.at)));
    } else if (d.fit == WallFit::repeated) {
      row.warnings.push_back(format_wall(d.local) + " occurs twice in " + d.source->zone_name +
                             " (clocks go back); the first is used");
    }
    // A first comment waits for its post, and only for it.
    if (d.comment) row.depends_on.push_back(*comment_parent(d.key));
    for (const auto& dep : d.comment ? std::vector<std::string>{} : report.references.of(d.post + "@" + d.channel)) {
      row.depends_on.push_back(dep);
      auto it = planned_at.find(dep);
      if (it == planned_at.end()) {
        row.waiting = true;
        row.warnings.push_back("waits for " + dep + ", which is not planned");
      } else if (it->second > d.at) {
        row.waiting = true;
        row.warnings.push_back("waits for " + dep + ", planned later at " + format_local(*settings.zone, it->second));
      }
    }
    if (auto it = lint_by_key.find(d.key); it != lint_by_key.end())
      for (const auto* w : it->second) row.warnings.push_back(w->message);
    for (const auto& p : c.problems) row.warnings.push_back(p);
    for (const auto& n : c.notes) row.warnings.push_back(n);
    if (const Measure* over = c.over_limit())
      row.warnings.push_back(over->part + " is " + std::to_string(over->length) + " " + over->unit + ", more than " +
                             std::to_string(over->limit));
    rows.push_back(std::move(row));
  }
  return rows;
}

void write_plan_json(std::ostream& out, const std::vector<PlanRow>& rows, const Settings& settings) {
  for (const auto& row : rows) {
    const Delivery& d = *row.delivery;
    const auto& zone = d.queued ? *settings.zone : *d.source->zone;
    boost::json::object o;
    o["key"] = d.key;
    o["post"] = d.post;
    o["channel"] = d.channel;
    o["at"] = format_utc(d.at);
    o["local"] = format_local(zone, d.at);
    o["text"] = row.text;
    o["length"] = row.length;
    if (row.limit) o["limit"] = *row.limit;
    else o["limit"] = nullptr;
    boost::json::array deps;
    for (const auto& k : row.depends_on) deps.emplace_back(k);
    o["depends_on"] = std::move(deps);
    boost::json::array warns;
    for (const auto& w : row.warnings) warns.emplace_back(w);
    o["warnings"] = std::move(warns);
    o["waiting"] = row.waiting;
    if (row.draft) o["draft"] = true;
    out << boost::json::serialize(o) << '\n';
  }
}

void write_plan_table(std::ostream& out, const std::vector<PlanRow>& rows, const Settings& settings) {
  std::size_t key_width = 3, channel_width = 7;
  for (const auto& row : rows) {
    key_width = std::max(key_width, code_points(row.delivery->key));
    channel_width = std::max(channel_width, code_points(row.delivery->channel));
  }
  auto pad = [](const std::string& s, std::size_t w) {
    const std::size_t n = code_points(s);
    return n >= w ? s : s + std::string(w - n, ' ');
  };
  out << pad("LOCAL (" + settings.timezone + ")", 26) << "  " << pad("UTC", 20) << "  " << pad("CHANNEL", channel_width)
      << "  " << pad("KEY", key_width) << "  TEXT\n";
  for (const auto& row : rows) {
    const Delivery& d = *row.delivery;
    const std::string rfc = format_local(*settings.zone, d.at);  // 2027-03-02T10:00:00+01:00
    const std::string local = rfc.substr(0, 10) + " " + rfc.substr(11, 5) + " " + rfc.substr(19);
    std::string note = row.warnings.empty() ? "" : "  (!) " + row.warnings.front();
    out << pad(local, 26) << "  " << pad(format_utc(d.at), 20) << "  " << pad(d.channel, channel_width) << "  "
        << pad(d.key, key_width) << "  " << (row.draft ? "[draft] " : "") << first_line(row.summary, 60) << note
        << '\n';
  }
  out << rows.size() << (rows.size() == 1 ? " delivery\n" : " deliveries\n");
}

}  // namespace herald
