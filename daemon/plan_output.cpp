#include "daemon/plan_output.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <iomanip>
#include <ostream>

namespace herald {

namespace {

std::optional<std::size_t> channel_limit(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::x: return 280;
    case ChannelKind::facebook: return 63206;
    case ChannelKind::youtube: return 5000;
    case ChannelKind::wordpress:
    case ChannelKind::static_site: return std::nullopt;
  }
  return std::nullopt;
}

std::string raw_text(const Post& post, const std::string& channel) {
  if (auto it = post.overrides.find(channel); it != post.overrides.end()) {
    const auto& o = it->second;
    if (o.description) return *o.description;
    if (o.text) return *o.text;
    if (o.thread && !o.thread->empty()) return o.thread->front();
  }
  if (!post.text.empty()) return post.text;
  if (!post.thread.empty()) return post.thread.front();
  return {};
}

std::string wall_text(WallTime w) {
  auto day = date::floor<date::days>(w);
  date::hh_mm_ss<std::chrono::seconds> t{w - day};
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(t.hours().count()),
                static_cast<int>(t.minutes().count()));
  return format_date(day) + " " + buf;
}

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

std::vector<PlanRow> plan_rows(const std::vector<Delivery>& deliveries, const Settings& settings) {
  std::vector<PlanRow> rows;
  rows.reserve(deliveries.size());
  for (const auto& d : deliveries) {
    PlanRow row;
    row.delivery = &d;
    row.text = raw_text(*d.source, d.channel);
    row.length = code_points(row.text);
    if (const auto* c = settings.channel(d.channel)) row.limit = channel_limit(c->kind);
    if (d.fit == WallFit::gap) {
      row.warnings.push_back(wall_text(d.local) + " does not exist in " + d.source->zone_name +
                             " (clocks go forward); published at " + wall_text(to_wall(*d.source->zone, d.at)));
    } else if (d.fit == WallFit::repeated) {
      row.warnings.push_back(wall_text(d.local) + " occurs twice in " + d.source->zone_name +
                             " (clocks go back); the first is used");
    }
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
        << pad(d.key, key_width) << "  " << first_line(row.text, 60) << note << '\n';
  }
  out << rows.size() << (rows.size() == 1 ? " delivery\n" : " deliveries\n");
}

}  // namespace herald
