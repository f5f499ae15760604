#include "daemon/cli.hpp"

#include "config/calendar.hpp"
#include "config/settings.hpp"
#include "daemon/control.hpp"
#include "daemon/diff_command.hpp"
#include "daemon/import_csv.hpp"
#include "daemon/journal_logger.hpp"
#include "daemon/plan_output.hpp"
#include "daemon/run.hpp"
#include "daemon/status_client.hpp"
#include "daemon/version.hpp"
#include "scheduler/check.hpp"
#include "scheduler/plan.hpp"
#include "scheduler/state.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>
#include <vector>

namespace herald {

namespace {

constexpr const char* kDefaultConfig = "/etc/herald/herald.yaml";

std::string default_config() {
  if (const char* env = std::getenv("HERALD_CONFIG"); env && *env) return env;
  return kDefaultConfig;
}

void print_diagnostics(std::ostream& err, const Diagnostics& diags) {
  for (const auto& d : diags.sorted()) err << format(d) << '\n';
}

/// Settings and calendar, loaded and checked; nullopt after printing errors.
struct Loaded {
  Settings settings;
  Calendar calendar;
};

std::optional<Loaded> load_all(const std::string& config, Diagnostics& diags) {
  auto settings = load_settings(config, SettingsEnvironment::from_process(), diags);
  if (!settings) return std::nullopt;
  auto calendar = load_calendar(*settings, diags);
  if (!calendar) return std::nullopt;
  return Loaded{std::move(*settings), std::move(*calendar)};
}

/// `herald check --strict`: drafts due within `days` days are errors (CI on
/// the main branch: what goes out soon must be approved), one per post, at
/// its `draft` field.
void refuse_drafts_due(const Loaded& loaded, Instant now, int days, Diagnostics& diags) {
  std::set<std::string> named;
  for (const auto& d : planned_drafts(loaded.calendar, loaded.settings, now, now, now + date::days{days})) {
    if (!named.insert(d.post).second) continue;
    diags.error(d.source->location("draft"),
                "post '" + d.post + "' is a draft due " + local_display(*loaded.settings.zone, d.at) + " on " +
                    d.channel + ", within " + std::to_string(days) + (days == 1 ? " day" : " days") +
                    " (--strict): approve it by removing draft: true, or move it later");
  }
}

int cmd_check(CliContext& ctx, const std::string& config, bool strict, int draft_days) {
  Diagnostics diags;
  auto loaded = load_all(config, diags);
  std::size_t deliveries = 0;
  if (loaded) deliveries = check_calendar(loaded->calendar, loaded->settings, ctx.now, diags).deliveries;
  if (loaded && strict) refuse_drafts_due(*loaded, ctx.now, draft_days, diags);
  print_diagnostics(ctx.err, diags);
  if (diags.has_errors() || !loaded) {
    ctx.out << config << ": " << diags.error_count() << (diags.error_count() == 1 ? " error" : " errors") << ", "
            << diags.warning_count() << (diags.warning_count() == 1 ? " warning" : " warnings") << '\n';
    return 1;
  }
  const auto posts = loaded->calendar.posts.size();
  ctx.out << config << ": ok, " << posts << (posts == 1 ? " post" : " posts") << " in "
          << loaded->calendar.files.size() << (loaded->calendar.files.size() == 1 ? " file" : " files") << ", "
          << deliveries << (deliveries == 1 ? " delivery" : " deliveries") << " in the next " << kCheckHorizon.count()
          << " days, " << diags.warning_count()
          << (diags.warning_count() == 1 ? " warning" : " warnings") << '\n';
  return 0;
}

struct PlanOptions {
  std::string from;
  int days = 7;
  std::string channel;
  std::string format = "table";
  std::string now;
};

int cmd_plan(CliContext& ctx, const std::string& config, const PlanOptions& opt) {
  Diagnostics diags;
  auto loaded = load_all(config, diags);
  if (!loaded) {
    print_diagnostics(ctx.err, diags);
    return 1;
  }
  const auto& zone = *loaded->settings.zone;
  std::string error;
  Instant now = ctx.now;
  if (!opt.now.empty()) {
    auto n = parse_instant_arg(opt.now, zone, error);
    if (!n) {
      ctx.err << "herald plan: --now '" << opt.now << "': expected a date or time (" << error << ")\n";
      return 2;
    }
    now = *n;
  }
  Instant from = now;
  if (!opt.from.empty()) {
    auto f = parse_instant_arg(opt.from, zone, error);
    if (!f) {
      ctx.err << "herald plan: --from '" << opt.from << "': expected a date (2027-03-01) or time (" << error << ")\n";
      return 2;
    }
    from = *f;
  }
  if (!opt.channel.empty() && !loaded->settings.channel(opt.channel)) {
    ctx.err << "herald plan: unknown channel '" << opt.channel << "'\n";
    return 2;
  }
  // The same checks as `herald check`: a calendar check rejects is not planned.
  CheckReport report = check_calendar(loaded->calendar, loaded->settings, now, diags);
  if (diags.has_errors()) {
    print_diagnostics(ctx.err, diags);
    return 1;
  }
  // N calendar days in the settings' zone, so a 23- or 25-hour DST day is a whole day.
  const Instant to = resolve(zone, to_wall(zone, from) + date::days{opt.days}).instant;
  Diagnostics plan_notes;
  auto deliveries = plan(loaded->calendar, loaded->settings, {now, from, to, opt.channel, {}}, plan_notes);
  // When each cross-post target goes out, to tell which deliveries will wait.
  // The lint runs over the same wider span, so the window's rows carry
  // findings even when the window lies beyond check's year ahead.
  PlannedAt planned_at;
  Diagnostics ignored;
  const auto wide = plan(loaded->calendar, loaded->settings,
                         {now, std::min(from, now) - kCheckHorizon, std::max(to, now) + kCheckHorizon, {}, {}}, ignored);
  std::vector<LintItem> items;
  const Instant lint_from = std::max(std::min(from, now), from - date::days{7});
  const Instant lint_to = to + date::days{7};
  for (const auto& d : wide) {
    planned_at.emplace(d.post + "@" + d.channel, d.at);
    if (!d.comment && d.at >= lint_from && d.at < lint_to) items.push_back({d.key, d.source, d.channel, d.at});
  }
  report.lint = lint(items, loaded->settings);
  print_diagnostics(ctx.err, diags);
  auto rows = plan_rows(deliveries, loaded->calendar, loaded->settings, report, planned_at);
  if (opt.format == "json") write_plan_json(ctx.out, rows, loaded->settings);
  else write_plan_table(ctx.out, rows, loaded->settings);
  return 0;
}

/// The options of the commands that ask the running daemon.
struct ControlOptions {
  std::string format = "table";
  std::string channel;
  std::string state;
  int limit = 0;  ///< 0: the endpoint's default
  std::string key;
  std::string reason;
  std::string until;
  std::string url;
  bool accept_cancellations = false;
  // herald report
  std::string from, to, since;
  ReportRequest report;
};

// A report's --from, --to or --since: RFC 3339, a local time, or a date (a
// --to date counts that whole day). False, with a usage message, when it is none.
bool report_time(CliContext& ctx, const Settings& settings, const char* name, const std::string& text, bool end_of_day,
                 std::optional<Instant>& out) {
  if (text.empty()) return true;
  std::string error;
  auto at = parse_instant_arg(text, *settings.zone, error);
  if (!at) {
    ctx.err << "herald report: " << name << " '" << text
            << "': expected RFC 3339 (2027-03-02T18:00:00+01:00), a local time (2027-03-02 18:00) or a date\n";
    return false;
  }
  if (end_of_day && text.size() == 10) *at = parse_instant_arg(text + " 00:00", *settings.zone, error).value_or(*at) +
                                             std::chrono::hours(24);
  out = at;
  return true;
}

int cmd_control(CliContext& ctx, const std::string& config, const std::string& command, const ControlOptions& opt) {
  Diagnostics diags;
  auto settings = load_settings(config, SettingsEnvironment::from_process(), diags);
  if (!settings) {
    print_diagnostics(ctx.err, diags);
    return kExitFailed;
  }
  // Channel names are checked here, as plan does, so a typo is a usage error.
  if (!opt.channel.empty() && !settings->channel(opt.channel)) {
    ctx.err << "herald " << command << ": unknown channel '" << opt.channel << "'\n";
    return kExitUsage;
  }
  // A pause or resume that gets no answer soon is written into the running
  // daemon's store instead (daemon/direct_control.hpp): wait less for it.
  StatusClientLimits limits;
  if (command == "pause" || command == "resume") limits.read_timeout = std::chrono::seconds(3);
  StatusClient client(*settings, limits);
  ControlContext c{*settings, client, opt.format == "json" ? OutputFormat::json : OutputFormat::table, ctx.out,
                   ctx.err, ctx.now};
  if (command == "status") return control_status(c);
  if (command == "queue") return control_queue(c, opt.channel, opt.state, opt.limit);
  if (command == "history") return control_history(c, opt.limit, opt.key);
  if (command == "report") {
    ReportRequest r = opt.report;
    if (!report_time(ctx, *settings, "--from", opt.from, false, r.from) ||
        !report_time(ctx, *settings, "--to", opt.to, true, r.to) ||
        !report_time(ctx, *settings, "--since", opt.since, false, r.since))
      return kExitUsage;
    if (r.from && r.to && *r.from >= *r.to) {
      ctx.err << "herald report: --from must be before --to\n";
      return kExitUsage;
    }
    return control_report(c, r);
  }
  if (command == "resume") return control_resume(c, opt.channel);
  if (command == "reload") return control_reload(c, opt.accept_cancellations);
  if (command == "retry") return control_retry(c, opt.key);
  if (command == "resolve") return control_resolve(c, opt.key, opt.url);
  // pause
  if (opt.reason.find_first_not_of(" \t") == std::string::npos) {
    ctx.err << "herald pause: --reason must say why\n";
    return kExitUsage;
  }
  std::optional<Instant> until;
  if (!opt.until.empty()) {
    std::string error;
    until = parse_instant_arg(opt.until, *settings->zone, error);
    if (!until) {
      ctx.err << "herald pause: --until '" << opt.until
              << "': expected RFC 3339 (2027-03-02T18:00:00+01:00), a local time (2027-03-02 18:00) or a date\n";
      return kExitUsage;
    }
    if (*until <= ctx.now) {
      ctx.err << "herald pause: --until '" << opt.until << "' is " << local_display(*settings->zone, *until)
              << ", which has passed\n";
      return kExitUsage;
    }
  }
  return control_pause(c, opt.reason, opt.channel, until);
}

/// The options of `herald import csv`.
struct ImportCsvOptions {
  std::string file = {};
  std::string from = "hootsuite";
  std::vector<std::string> channels = {};
  std::string date_order = {};
};

int cmd_import_csv(CliContext& ctx, const std::string& config, const ImportCsvOptions& opt) {
  Diagnostics diags;
  auto settings = load_settings(config, SettingsEnvironment::from_process(), diags);
  if (!settings) {
    print_diagnostics(ctx.err, diags);
    return kExitFailed;
  }
  ImportOptions options;
  options.source = opt.from == "buffer" ? CsvSource::buffer : CsvSource::hootsuite;
  options.now = ctx.now;
  if (opt.date_order == "dmy") options.date_order = DateOrder::dmy;
  else if (opt.date_order == "mdy") options.date_order = DateOrder::mdy;
  else if (opt.date_order == "ymd") options.date_order = DateOrder::ymd;
  else if (opt.date_order == "ydm") options.date_order = DateOrder::ydm;
  // Each target must be a channel of these settings: a typo is a usage error.
  for (const auto& c : opt.channels) {
    if (!settings->channel(c)) {
      ctx.err << "herald import csv: unknown channel '" << c << "'\n";
      return kExitUsage;
    }
    if (std::find(options.channels.begin(), options.channels.end(), c) == options.channels.end())
      options.channels.push_back(c);
  }
  // Read whole, within the calendar loader's per-file limit.
  std::error_code ec;
  const auto size = std::filesystem::file_size(opt.file, ec);
  std::ifstream in(opt.file, std::ios::binary);
  if (ec || !in) {
    ctx.err << "herald import csv: cannot read " << opt.file << (ec ? ": " + ec.message() : std::string()) << '\n';
    return kExitUsage;
  }
  if (size > LoadLimits{}.max_file_bytes) {
    ctx.err << "herald import csv: " << opt.file << " is " << size << " bytes; at most " << LoadLimits{}.max_file_bytes
            << " are read\n";
    return kExitUsage;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto yaml = import_csv(text.str(), opt.file, *settings, options, diags);
  print_diagnostics(ctx.err, diags);
  if (!yaml) return kExitFailed;
  ctx.out << *yaml;
  return 0;
}

}  // namespace

int run_cli(int argc, const char* const* argv, CliContext& ctx) {
  CLI::App app{"herald: publishes a social-media content calendar"};
  app.require_subcommand(1);
  std::string config = default_config();
  app.add_option("--config", config, "settings file (default $HERALD_CONFIG or /etc/herald/herald.yaml)");

  auto* check = app.add_subcommand("check", "validate settings and calendar; exit 1 on any error");
  check->add_option("--config", config, "settings file");
  bool strict = false;
  int draft_days = 3;
  check->add_flag("--strict", strict, "also refuse drafts due within --draft-days days (CI on the main branch)");
  check->add_option("--draft-days", draft_days, "with --strict: how many days ahead a draft is refused (default 3)")
      ->check(CLI::Range(0, 3660));

  PlanOptions plan_opt;
  auto* plan_cmd = app.add_subcommand("plan", "show what will be published when");
  plan_cmd->add_option("--config", config, "settings file");
  plan_cmd->add_option("--from", plan_opt.from, "start: a date (local midnight) or a time; default now");
  plan_cmd->add_option("--days", plan_opt.days, "how many days to show (default 7)")->check(CLI::Range(1, 3660));
  plan_cmd->add_option("--channel", plan_opt.channel, "only this channel");
  plan_cmd->add_option("--format", plan_opt.format, "table or json (one object per line)")
      ->check(CLI::IsMember({"table", "json"}));
  plan_cmd->add_option("--now", plan_opt.now, "plan as if it were this time (for queued posts)");

  DiffOptions diff_opt;
  auto* diff_cmd = app.add_subcommand(
      "diff", "what an edit does to the schedule; exit 0 no change, 1 errors in the new calendar, 2 changes");
  diff_cmd->add_option("--config", config, "settings file (the new side)");
  diff_cmd->add_option("--against", diff_opt.against, "the old side: the files as they were at this git revision");
  diff_cmd->add_option("OLD_SETTINGS", diff_opt.old_settings, "the old side: another settings file");
  diff_cmd->add_option("--old-calendar", diff_opt.old_calendar,
                       "the old side: another calendar (file or directory), read with the new settings");
  diff_cmd->add_option("--from", diff_opt.from, "start: a date (local midnight) or a time; default now");
  diff_cmd->add_option("--days", diff_opt.days, "how many days to compare (default 30)")->check(CLI::Range(1, 3660));
  diff_cmd->add_option("--channel", diff_opt.channel, "only this channel");
  diff_cmd->add_option("--format", diff_opt.format, "table, jsonl (one object per change; also: json) or markdown")
      ->check(CLI::IsMember({"table", "jsonl", "json", "markdown"}));
  diff_cmd->add_option("--now", diff_opt.now, "compare as if it were this time (for queued posts)");

  auto* version = app.add_subcommand("version", "print herald's version");

  auto* run_cmd = app.add_subcommand("run", "run the daemon: publish the calendar at its planned times");
  run_cmd->add_option("--config", config, "settings file");
  RunOptions run_opt;
  run_cmd->add_flag("--take-over-with-my-calendar", run_opt.take_over_with_my_calendar,
                    "on a shared store, apply this host's calendar when taking over from another host even when it "
                    "is not the one whose plan the store holds");

  // The commands that ask the running daemon (daemon/control.hpp).
  ControlOptions ctl;
  auto control_command = [&](const char* name, const char* description) {
    auto* cmd = app.add_subcommand(name, description);
    cmd->add_option("--config", config, "settings file");
    cmd->add_option("--format", ctl.format, "table or json (the endpoint's answer)")
        ->check(CLI::IsMember({"table", "json"}));
    return cmd;
  };
  std::vector<std::string> state_names;
  for (int i = 0; i <= static_cast<int>(State::cancelled); ++i)
    state_names.emplace_back(to_string(static_cast<State>(i)));

  auto* status_cmd = control_command("status", "ask the running daemon how it is: calendar, pauses, channels");
  auto* queue_cmd = control_command("queue", "list deliveries not yet out, and the ones needing a person");
  queue_cmd->add_option("--channel", ctl.channel, "only this channel");
  queue_cmd->add_option("--state", ctl.state, "only this state")->check(CLI::IsMember(state_names));
  queue_cmd->add_option("--limit", ctl.limit, "at most this many (default 100)")->check(CLI::Range(1, 1000));
  auto* history_cmd = control_command("history", "what happened, newest first");
  history_cmd->add_option("--limit", ctl.limit, "at most this many events (default 50)")->check(CLI::Range(1, 1000));
  history_cmd->add_option("--key", ctl.key, "only the events of this delivery");
  auto* report_cmd = app.add_subcommand("report", "engagement of what went out: per channel, campaign, kind or post");
  report_cmd->add_option("--config", config, "settings file");
  report_cmd->add_option("--from", ctl.from, "published from: a date, a local time or RFC 3339 (default 30 days ago)");
  report_cmd->add_option("--to", ctl.to, "published before: a time, or a date (that day included); default now");
  report_cmd->add_option("--by", ctl.report.by, "channel, campaign, kind or post (default channel)")
      ->check(CLI::IsMember({"channel", "campaign", "kind", "post"}));
  report_cmd->add_option("--format", ctl.report.format, "table, json (the endpoint's answer) or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  report_cmd->add_option("--top", ctl.report.top, "how many top and bottom posts (default 5)")->check(CLI::Range(1, 100));
  report_cmd->add_option("--since", ctl.since, "conversations: replies since this time (default: since the last look)");
  report_cmd->add_flag("--keep-unread", ctl.report.keep_unread,
                       "do not count the conversations as looked at (a table counts them otherwise)");
  auto* pause_cmd = control_command("pause", "stop publishing (everything, or one channel) until resumed");
  pause_cmd->add_option("--reason", ctl.reason, "why (shown in status and logs)")->required();
  pause_cmd->add_option("--channel", ctl.channel, "only this channel");
  pause_cmd->add_option("--until", ctl.until,
                        "resume by itself at this time: RFC 3339, or a local time (2027-03-02 18:00) or date");
  auto* resume_cmd = control_command("resume", "publish again; overdue posts follow the late window");
  resume_cmd->add_option("--channel", ctl.channel, "only this channel");
  auto* reload_cmd = control_command("reload", "read the calendar again now (the daemon also follows edits by itself)");
  reload_cmd->add_flag("--accept-cancellations", ctl.accept_cancellations,
                       "apply an edit that was held because it would cancel many pending deliveries");
  auto* retry_cmd = control_command("retry", "send a failed or needs_review delivery again");
  retry_cmd->add_option("KEY", ctl.key, "the delivery (post@channel)")->required();
  auto* resolve_cmd = control_command("resolve", "confirm a needs_review or failed delivery went out, at URL");
  resolve_cmd->add_option("KEY", ctl.key, "the delivery (post@channel)")->required();
  resolve_cmd->add_option("--url", ctl.url, "where it is published (http or https)")->required();

  auto* import_cmd = app.add_subcommand("import", "turn another scheduler's export into calendar YAML");
  import_cmd->require_subcommand(1);
  import_cmd->add_option("--config", config, "settings file");
  ImportCsvOptions import_opt;
  auto* import_csv_cmd = import_cmd->add_subcommand(
      "csv", "a Hootsuite or Buffer bulk-upload CSV to calendar YAML on stdout; every row checked");
  import_csv_cmd->add_option("FILE", import_opt.file, "the CSV file")->required();
  import_csv_cmd->add_option("--config", config, "settings file");
  import_csv_cmd->add_option("--from", import_opt.from, "hootsuite (default) or buffer: whose layout the file has")
      ->check(CLI::IsMember({"hootsuite", "buffer"}));
  import_csv_cmd->add_option("--channel", import_opt.channels, "a channel to post every row on (repeat, or a,b)")
      ->required()
      ->delimiter(',')
      ->allow_extra_args(false);
  import_csv_cmd->add_option("--date-order", import_opt.date_order,
                             "how to read dates with slashes: dmy, mdy (year last), ymd or ydm (year first); "
                             "needed when a date reads as two different days")
      ->check(CLI::IsMember({"dmy", "mdy", "ymd", "ydm"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostream& stream = e.get_exit_code() == 0 ? ctx.out : ctx.err;
    // Every usage error exits 2 (docs/commands.md), whatever CLI11's own
    // code; but for diff, whose 2 means "changes", 64.
    return app.exit(e, stream, stream) == 0 ? 0 : diff_cmd->parsed() ? kDiffUsage : kExitUsage;
  }
  if (check->parsed()) return cmd_check(ctx, config, strict, draft_days);
  if (import_csv_cmd->parsed()) return cmd_import_csv(ctx, config, import_opt);
  if (plan_cmd->parsed()) return cmd_plan(ctx, config, plan_opt);
  if (diff_cmd->parsed()) return run_diff(ctx, config, diff_opt);
  if (run_cmd->parsed()) {
    JournalLogger log;
    return run_daemon(config, log, run_opt);
  }
  for (auto* cmd : {status_cmd, queue_cmd, history_cmd, report_cmd, pause_cmd, resume_cmd, reload_cmd, retry_cmd, resolve_cmd})
    if (cmd->parsed()) return cmd_control(ctx, config, cmd->get_name(), ctl);
  if (version->parsed()) {
    ctx.out << "herald " << kVersion << '\n';
    return 0;
  }
  return 2;
}

}  // namespace herald
