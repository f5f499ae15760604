#include "scheduler/check.hpp"

#include "compose/composer.hpp"
#include "compose/media.hpp"

#include <set>

namespace herald {

CheckReport check_calendar(const Calendar& calendar, const Settings& settings, Instant now, Diagnostics& diags) {
  CheckReport report;
  report.references = check_references(calendar, settings, diags);
  check_media(calendar, settings, diags);

  // Each post on each channel, composed with the URLs its links will have.
  const UrlLookup previews = preview_urls(calendar, settings);
  for (const Post& post : calendar.posts) {
    for (const auto& channel : post.channels) {
      const ChannelSettings* cs = settings.channel(channel);
      if (!cs) continue;
      const Composed c = compose(post, *cs, settings, calendar, previews);
      const auto ov = post.overrides.find(channel);
      const bool own_text = ov != post.overrides.end() && (ov->second.text || ov->second.description);
      const Location where = post.location(own_text ? (ov->second.description ? channel + ".description" : channel + ".text")
                                                    : "text");
      for (const auto& m : c.measures) {
        if (!m.over()) continue;
        diags.error(m.part == "title" ? post.location("title") : where,
                    "post '" + post.id + "' on " + channel + ": " + m.part + " is " + std::to_string(m.length) + " " +
                        m.unit + ", more than the " + std::to_string(m.limit) + " " + std::string(to_string(cs->kind)) +
                        " allows");
      }
      for (const auto& n : c.notes) diags.warning(where, "post '" + post.id + "' on " + channel + ": " + n);
      for (const auto& p : c.problems)
        diags.error(p.find("title") != std::string::npos ? post.location(own_text ? channel + ".title" : "title") : where,
                    "post '" + post.id + "' on " + channel + ": " + p);
    }
  }

  PlanRequest req{now, now, now + kCheckHorizon, {}, {}};
  const auto deliveries = plan(calendar, settings, req, diags);
  report.deliveries = deliveries.size();
  std::vector<LintItem> items;
  items.reserve(deliveries.size());
  for (const auto& d : deliveries) items.push_back({d.key, d.source, d.channel, d.at});
  report.lint = lint(items, settings);
  for (const auto& w : report.lint) diags.warning(w.where, w.message);
  return report;
}

}  // namespace herald
