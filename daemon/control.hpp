#pragma once
// The commands that ask the running daemon through its status endpoint:
// `herald status`, `queue`, `history`, `report`, `pause`, `resume`, `retry`, `resolve`.
// Each runs one StatusClient request and prints the answer, a table for
// people (times in the settings' zone) or the endpoint's JSON as is. The
// table writers are pure, so tests pin their text.

#include "config/settings.hpp"
#include "daemon/status_client.hpp"

#include <boost/json/object.hpp>

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

namespace herald {

/// Exit codes of the control commands (docs/commands.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;      ///< the daemon refused the request (4xx) or it failed
inline constexpr int kExitUsage = 2;       ///< bad arguments
inline constexpr int kExitNotRunning = 3;  ///< nothing answers at status.listen

/// `--format`: a table for people, or the endpoint's JSON.
enum class OutputFormat { table, json };

/// What a control command needs: the settings (zone, channels), the client and where to write.
struct ControlContext {
  const Settings& settings;
  StatusClient& client;
  OutputFormat format = OutputFormat::table;
  std::ostream& out;
  std::ostream& err;
  Instant now{};  ///< for a pause written into the store directly
};

/// Each runs one request and prints the answer; returns the exit code.
int control_status(ControlContext& ctx);
/// Empty channel/state: all; limit 0: the endpoint's default (100).
int control_queue(ControlContext& ctx, const std::string& channel, const std::string& state, int limit);
/// limit 0: the endpoint's default (50); empty key: every event.
int control_history(ControlContext& ctx, int limit, const std::string& key);
/// Empty channel: everything.
int control_pause(ControlContext& ctx, const std::string& reason, const std::string& channel,
                  std::optional<Instant> until);
/// Empty channel: the global pause.
int control_resume(ControlContext& ctx, const std::string& channel);
/// Reads the calendar again now; `accept_cancellations` applies an edit
/// that was held because it would cancel many pending deliveries.
int control_reload(ControlContext& ctx, bool accept_cancellations);
/// A failed or needs_review delivery goes out again.
int control_retry(ControlContext& ctx, const std::string& key);
/// A person confirms a needs_review or failed delivery is out at `url`.
int control_resolve(ControlContext& ctx, const std::string& key, const std::string& url);

/// `herald report`: what went out in [from, to) and its engagement, grouped
/// `by` (channel, campaign, kind, post). `since`: the conversations' start
/// (default the last look). `format` table, json or csv; after a table the
/// conversations count as looked at unless `keep_unread`.
struct ReportRequest {
  std::optional<Instant> from, to, since;
  std::string by = "channel";
  std::string format = "table";
  int top = 5;
  bool keep_unread = false;
};
int control_report(ControlContext& ctx, const ReportRequest& request);

/// The exit code for a failed request: kExitNotRunning or kExitFailed.
int exit_code(const StatusError& error);

/// `herald status`: version, uptime, calendar, the global pause, a row per channel.
void write_status_table(std::ostream& out, const boost::json::object& status, const date::time_zone& zone);
/// `herald queue`: a row per delivery; `limit` is the one asked for (to say when the list was cut).
void write_queue_table(std::ostream& out, const boost::json::object& answer, const date::time_zone& zone,
                       int limit);
/// `herald history`: a row per event, newest first.
void write_history_table(std::ostream& out, const boost::json::object& answer, const date::time_zone& zone,
                         int limit);

/// `herald report` as a table: the groups, the top and bottom posts, the
/// conversations to answer.
void write_report_table(std::ostream& out, const boost::json::object& answer, const date::time_zone& zone);
/// `herald report --format csv`: a header and a row per group (RFC 4180).
void write_report_csv(std::ostream& out, const boost::json::object& answer);

/// A time as the tables show it: `2027-03-02 10:05 +01:00` in `zone`.
std::string local_display(const date::time_zone& zone, Instant at);

/// The pid file of a running daemon, in its state directory.
std::filesystem::path pid_file(const Settings& settings);

}  // namespace herald
