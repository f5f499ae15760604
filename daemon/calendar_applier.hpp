#pragma once
// The running calendar: loads and checks settings and calendar, builds each
// channel's connector, writes the coming weeks to the store as a diff, and
// reads an edit again when asked — applying it, rejecting it whole when it
// has errors, or holding it when it would cancel a large share of what is
// still to go out (a half-written or truncated file looks exactly like
// that) until a person accepts it.

#include "connectors/connector_state.hpp"
#include "connectors/http_client.hpp"
#include "daemon/store_watch.hpp"
#include "scheduler/check.hpp"
#include "scheduler/collector.hpp"
#include "scheduler/dispatcher.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace herald {

/// A calendar edit that was read but not applied (it would cancel too much).
struct HeldReload {
  Instant at;
  int cancelled = 0;
  int pending = 0;
  std::string sample;  ///< a few of the keys it would cancel
};

class CalendarApplier {
 public:
  struct Parts {
    Store& store;
    Dispatcher& dispatcher;
    Collector& collector;  ///< reads the counters of what went out, with the same connectors
    StoreWatch& watch;
    HttpClient& http;
    ConnectorState& connector_state;
    const Clock& clock;
    Logger& log;
  };
  /// `calendar` was loaded and checked at start-up (load_checked, which
  /// filled `composed`).
  CalendarApplier(std::string config, std::shared_ptr<LoadedCalendar> calendar, Parts parts,
                  ComposeCache composed = {});

  /// Loads and checks settings and calendar; nullptr (with the errors in
  /// `diags`) if anything is wrong, so a bad edit is rejected whole. With
  /// `previous` (the calendar running) and `composed`, only what changed is
  /// read and composed again: files whose text changed, posts whose text
  /// or links changed; the result is the same as reading everything.
  static std::shared_ptr<LoadedCalendar> load_checked(const std::string& config, Instant now, Diagnostics& diags,
                                                      const LoadedCalendar* previous = nullptr,
                                                      ComposeCache* composed = nullptr);

  /// Start-up: the connectors and the coming weeks of the calendar given.
  /// False when the store could not take it.
  bool apply_first();
  /// Reads the calendar again; true when an edit was applied (every channel
  /// should be pumped). An edit the store could not take is read again
  /// once it can (reload_after_recovery).
  /// `by_person`: a person asked for it (`herald reload`), which also
  /// applies this host's calendar over a kept store plan (keep_store_plan).
  bool reload(const std::string& why, bool accept_cancellations = false, bool by_person = false);
  /// Writes the coming weeks again (hourly, so repeating posts always have
  /// their next weeks planned); true when written.
  bool resync();
  /// A shared store whose plan was written from the calendar `store_calendar`
  /// (a fingerprint), not this one: before apply_first, keeps that plan
  /// (Dispatcher::keep_store_plan) and writes nothing of this calendar until
  /// this host's calendar is the same or a person reloads it.
  void keep_store_plan(std::string store_calendar);
  /// The store's calendar whose plan is kept; empty when this one's is written.
  const std::string& kept_plan() const { return kept_plan_; }
  /// The running calendar's fingerprint (calendar_fingerprint).
  const std::string& fingerprint() const { return fingerprint_; }

  /// Credentials the platform says will expire: a warning in the log once a
  /// day from a week before.
  void warn_of_expiring_credentials();

  const LoadedCalendar& calendar() const { return *cal_; }
  const Settings& settings() const { return cal_->settings; }

  // What the status shows of it.
  Instant last_reload() const { return last_reload_; }
  bool last_reload_ok() const { return last_reload_ok_; }
  const std::string& last_reload_error() const { return last_reload_error_; }
  const std::optional<HeldReload>& held() const { return held_; }
  /// channel -> why it cannot publish (its credentials could not be used).
  const std::map<std::string, std::string>& channel_problems() const { return channel_problems_; }
  /// channel -> when its credentials expire, where the connector knows.
  const std::map<std::string, std::chrono::system_clock::time_point>& credential_expiry() const {
    return credential_expiry_;
  }
  /// The platform refused a channel's credentials (a create's or a counter
  /// read's AuthFailed, with the platform's words): the status, the page
  /// and /metrics say so, and the log once, until a request works again or
  /// a reload reads the file again. `works` ends it.
  void credentials_refused(const std::string& channel, const std::string& message);
  void credentials_work(const std::string& channel);
  /// channel -> when and why its credentials were refused.
  struct Refused {
    Instant at;
    std::string message;
  };
  const std::map<std::string, Refused>& refused_credentials() const { return refused_; }
  /// The credential file of a channel (credentials_dir/credentials), or "".
  std::string credential_file(const std::string& channel) const;
  /// What a person must do about a channel's credentials now, if anything:
  /// refused, expired, or expiring within a week, naming the file to
  /// replace (herald reload reads it again).
  std::optional<std::string> credential_warning(const std::string& channel, Instant now) const;
  /// Why of an edit the store could not take, to read again once it can.
  std::string take_reload_after_recovery() { return std::exchange(reload_after_recovery_, {}); }

 private:
  struct PlanWindow {
    Instant from, to;
    std::vector<PlannedDelivery> planned;
  };
  PlanWindow plan_window(const LoadedCalendar& cal);
  void sync();
  void sync(const PlanWindow& w);
  /// Makes `cal` the running calendar and writes its coming weeks: the
  /// plan given (`planned`, of `cal`), or a new one.
  void apply(std::shared_ptr<LoadedCalendar> cal, const PlanWindow* planned = nullptr);

  std::string config_;
  std::shared_ptr<LoadedCalendar> cal_;
  ComposeCache composed_;
  Parts parts_;
  std::vector<std::unique_ptr<Connector>> connectors_;
  std::vector<std::unique_ptr<Connector>> retired_;
  std::map<std::string, std::string> channel_problems_;
  std::map<std::string, std::chrono::system_clock::time_point> credential_expiry_;
  std::map<std::string, Instant> credential_warned_;
  std::map<std::string, Refused> refused_;
  Instant last_reload_;
  bool last_reload_ok_ = true;
  std::string last_reload_error_;
  std::optional<HeldReload> held_;
  std::string last_hold_text_;
  std::string reload_after_recovery_;
  std::string fingerprint_;
  std::string kept_plan_;
};

}  // namespace herald
