#include "daemon/diff_command.hpp"

#include "config/calendar.hpp"
#include "config/settings.hpp"
#include "daemon/diff_output.hpp"
#include "daemon/git_tree.hpp"
#include "daemon/plan_output.hpp"
#include "scheduler/check.hpp"
#include "scheduler/plan.hpp"
#include "scheduler/schedule_diff.hpp"

#include <functional>
#include <map>
#include <ostream>
#include <set>

namespace herald {

namespace {

namespace fs = std::filesystem;

/// One side of the comparison: its settings and calendar, loaded and checked.
struct Side {
  std::optional<Settings> settings = {};
  std::optional<Calendar> calendar = {};
  Diagnostics diags = {};
  CheckReport report = {};
  bool ok() const { return settings && calendar && !diags.has_errors(); }
};

void load_calendar_of(Side& side, Instant now) {
  side.calendar = load_calendar(*side.settings, side.diags);
  if (side.calendar) side.report = check_calendar(*side.calendar, *side.settings, now, side.diags);
}

bool under(const fs::path& path, const fs::path& dir) {
  const auto rel = path.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

bool titled(ChannelKind kind) {
  return kind == ChannelKind::wordpress || kind == ChannelKind::static_site || kind == ChannelKind::youtube;
}

/// The window and the instant the plan is made at.
struct Window {
  Instant now, from, to;
  std::string channel;
};

/// Every delivery of a side planned around the window: by key (of the
/// window's channel), so a delivery the edit moves out of the window is
/// still found on the other side; and when each cross-post target goes out
/// (all channels), to tell which deliveries wait.
struct WidePlan {
  std::map<std::string, Delivery> by_key;
  PlannedAt planned_at;
};

WidePlan plan_wide(const Side& side, const Window& w) {
  Diagnostics ignored;
  const auto all = plan(*side.calendar, *side.settings,
                        {w.now, std::min(w.from, w.now) - kCheckHorizon, std::max(w.to, w.now) + kCheckHorizon, {}, {}},
                        ignored);
  WidePlan out;
  for (const auto& d : all) {
    out.planned_at.emplace(d.post + "@" + d.channel, d.at);
    if (w.channel.empty() || d.channel == w.channel) out.by_key.emplace(d.key, d);
  }
  return out;
}

/// The rows of the deliveries of `keys` this side has, composed as `herald plan` composes them.
std::vector<ScheduledRow> rows_of(const Side& side, const WidePlan& wide, const std::set<std::string>& keys) {
  std::vector<Delivery> picked;
  for (const auto& k : keys)
    if (auto it = wide.by_key.find(k); it != wide.by_key.end()) picked.push_back(it->second);
  const auto composed = plan_rows(picked, *side.calendar, *side.settings, side.report, wide.planned_at);
  std::vector<ScheduledRow> rows;
  for (const auto& p : composed) {
    const Delivery& d = *p.delivery;
    ScheduledRow r;
    r.key = d.key;
    r.post = d.post;
    r.channel = d.channel;
    r.at = d.at;
    r.local = format_local(*side.settings->zone, d.at);
    const ChannelSettings* cs = side.settings->channel(d.channel);
    // A blog's or video's title is part of what people see: a new title is a new text.
    r.text = cs && titled(cs->kind) && p.summary != p.text && !p.summary.empty() ? p.summary + "\n\n" + p.text
                                                                                 : p.text;
    r.queued = d.queued;
    r.draft = d.source->draft;
    r.waiting = p.waiting;
    r.depends_on = p.depends_on;
    r.warnings = p.warnings;
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<Diagnostic> shown_as(const Diagnostics& diags, const std::function<std::string(const std::string&)>& name) {
  std::vector<Diagnostic> out = diags.sorted();
  for (auto& d : out) d.where.file = name(d.where.file);
  return out;
}

}  // namespace

int run_diff(CliContext& ctx, const std::string& config, const DiffOptions& opt) {
  const int sources = !opt.against.empty() + !opt.old_settings.empty() + !opt.old_calendar.empty();
  if (sources != 1) {
    ctx.err << "herald diff: name the old side once: --against GIT_REF, OLD_SETTINGS or --old-calendar PATH\n";
    return kDiffUsage;
  }
  const auto env = SettingsEnvironment::from_process();
  Side now_side;
  now_side.settings = load_settings(config, env, now_side.diags);
  if (!now_side.settings) {
    for (const auto& d : now_side.diags.sorted()) ctx.err << format(d) << '\n';
    return kDiffNewErrors;
  }
  const Settings& settings = *now_side.settings;
  const auto& zone = *settings.zone;
  Window w;
  w.now = ctx.now;
  std::string error;
  if (!opt.now.empty()) {
    auto n = parse_instant_arg(opt.now, zone, error);
    if (!n) {
      ctx.err << "herald diff: --now '" << opt.now << "': expected a date or time (" << error << ")\n";
      return kDiffUsage;
    }
    w.now = *n;
  }
  w.from = w.now;
  if (!opt.from.empty()) {
    auto f = parse_instant_arg(opt.from, zone, error);
    if (!f) {
      ctx.err << "herald diff: --from '" << opt.from << "': expected a date (2027-03-01) or time (" << error << ")\n";
      return kDiffUsage;
    }
    w.from = *f;
  }
  // N calendar days in the settings' zone, as herald plan counts them.
  w.to = resolve(zone, to_wall(zone, w.from) + date::days{opt.days}).instant;
  if (!opt.channel.empty() && !settings.channel(opt.channel)) {
    ctx.err << "herald diff: unknown channel '" << opt.channel << "'\n";
    return kDiffUsage;
  }
  w.channel = opt.channel;

  // The old side.
  Side old_side;
  std::optional<GitTree> tree;
  std::function<std::string(const std::string&)> old_name = [](const std::string& f) { return f; };
  DiffReport report;
  report.new_label = config;
  report.zone = settings.timezone;
  report.from_local = format_local(zone, w.from);
  report.to_local = format_local(zone, w.to);
  if (!opt.against.empty()) {
    // The settings' repository when the settings are in one, else the calendar's.
    const bool settings_in_git = run_git(fs::absolute(config).parent_path(), {"rev-parse", "--show-toplevel"}).exit_code == 0;
    auto opened = GitTree::open(settings_in_git ? fs::path(config) : settings.calendar, opt.against, error);
    if (!opened) {
      ctx.err << "herald diff: " << error << '\n';
      return kDiffCannotCompare;
    }
    tree.emplace(std::move(*opened));
    old_name = [&t = *tree](const std::string& f) { return t.display(f); };
    report.old_label = opt.against;
    const fs::path old_config = tree->at_revision(config);
    std::error_code ec;
    if (settings_in_git && fs::exists(old_config, ec)) {
      old_side.settings = load_settings(old_config, env, old_side.diags);
      // An absolute calendar path into the same work tree is read at the revision too.
      if (old_side.settings && !under(old_side.settings->calendar, tree->files()) &&
          tree->holds(old_side.settings->calendar))
        old_side.settings->calendar = tree->at_revision(old_side.settings->calendar);
    } else {
      // Settings outside the repository (/etc/herald), or new at this
      // revision: the calendar as it was, read with today's settings.
      if (!tree->holds(settings.calendar)) {
        ctx.err << "herald diff: the calendar " << settings.calendar.string() << " is not in the git work tree "
                << tree->top().string() << '\n';
        return kDiffCannotCompare;
      }
      old_side.settings = settings;
      old_side.settings->calendar = tree->at_revision(settings.calendar);
    }
  } else if (!opt.old_settings.empty()) {
    report.old_label = opt.old_settings;
    old_side.settings = load_settings(opt.old_settings, env, old_side.diags);
  } else {
    report.old_label = opt.old_calendar;
    std::error_code ec;
    if (!fs::exists(opt.old_calendar, ec)) {
      ctx.err << "herald diff: --old-calendar " << opt.old_calendar << ": no such file or directory\n";
      return kDiffCannotCompare;
    }
    old_side.settings = settings;
    old_side.settings->calendar = fs::absolute(opt.old_calendar);
  }
  if (old_side.settings) load_calendar_of(old_side, w.now);
  if (!old_side.ok()) {
    const int n = old_side.diags.error_count();
    report.old_problem = "the old calendar (" + report.old_label + ") has " + std::to_string(n) +
                         (n == 1 ? " error" : " errors") + ", so its schedule is taken as empty";
    ctx.err << "herald diff: " << report.old_problem << ":\n";
    for (const auto& d : shown_as(old_side.diags, old_name))
      if (d.severity == Severity::error) ctx.err << format(d) << '\n';
  }

  // The new side: errors in it are what this change must not bring.
  load_calendar_of(now_side, w.now);
  auto write = [&] {
    if (opt.format == "jsonl" || opt.format == "json") write_diff_jsonl(ctx.out, report);
    else if (opt.format == "markdown") write_diff_markdown(ctx.out, report);
    else write_diff_table(ctx.out, report);
  };
  // In a repository, the new side's files are named from its top, as the
  // old side's are (REF:path): what a pull-request comment should show.
  std::function<std::string(const std::string&)> new_name = [](const std::string& f) { return f; };
  if (tree) {
    new_name = [&t = *tree](const std::string& f) {
      return t.holds(f) ? fs::weakly_canonical(fs::absolute(f)).lexically_relative(t.top()).generic_string() : f;
    };
    report.new_label = new_name(config);
  }
  if (!now_side.ok()) {
    for (const auto& d : now_side.diags.sorted()) {
      if (d.severity != Severity::error) continue;
      ctx.err << format(d) << '\n';
      Diagnostic shown = d;
      shown.where.file = new_name(d.where.file);
      report.changes.push_back({ChangeKind::error, std::nullopt, std::nullopt, {}, shown});
    }
    write();
    return kDiffNewErrors;
  }

  // The keys either side plans in the window, and each one's row on both sides.
  const WidePlan new_wide = plan_wide(now_side, w);
  WidePlan old_wide;
  if (old_side.ok()) old_wide = plan_wide(old_side, w);
  std::set<std::string> keys;
  auto in_window = [&](const WidePlan& wide) {
    for (const auto& [key, d] : wide.by_key)
      if (d.at >= w.from && d.at < w.to) keys.insert(key);
  };
  in_window(old_wide);
  in_window(new_wide);
  std::vector<ScheduledRow> old_rows;
  if (old_side.ok()) old_rows = rows_of(old_side, old_wide, keys);
  const auto new_rows = rows_of(now_side, new_wide, keys);
  report.changes = diff_schedules(old_rows, new_rows);
  if (old_side.ok()) {
    auto warnings = diff_warnings(shown_as(old_side.diags, old_name), shown_as(now_side.diags, new_name));
    report.changes.insert(report.changes.end(), warnings.begin(), warnings.end());
  }
  write();
  return report.changes.empty() ? kDiffNoChange : kDiffChanges;
}

}  // namespace herald
