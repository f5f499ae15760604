#pragma once
// The dispatcher: decides, channel by channel, what goes out now, and turns
// connector results into state changes. It owns no thread and no timer: the
// daemon calls pump() when a channel's wake time comes and runs the blocking
// connector calls through an Executor; tests drive it with a manual clock and
// an inline executor, running days of schedule in milliseconds.

#include "compose/references.hpp"
#include "config/calendar.hpp"
#include "config/settings.hpp"
#include "connectors/connector.hpp"
#include "scheduler/logger.hpp"
#include "scheduler/retry_policy.hpp"
#include "scheduler/store.hpp"

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

namespace herald {

/// Where "now" comes from.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
};

/// A clock tests set by hand.
class ManualClock : public Clock {
 public:
  explicit ManualClock(Instant start) : now_(start) {}
  Instant now() const override { return now_; }
  void set(Instant t) { now_ = t; }
  void advance(std::chrono::seconds d) { now_ += d; }

 private:
  Instant now_;
};

/// Runs blocking connector calls and hands results back on the loop.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual void publish(Connector& c, PublishRequest request, std::function<void(PublishResult)> done) = 0;
  virtual void lookup(Connector& c, PublishRequest request, std::function<void(LookupResult)> done) = 0;
};

/// Runs each call at once, on the caller's thread (tests, `herald` one-shots).
class InlineExecutor : public Executor {
 public:
  void publish(Connector& c, PublishRequest r, std::function<void(PublishResult)> done) override {
    done(c.publish(r));
  }
  void lookup(Connector& c, PublishRequest r, std::function<void(LookupResult)> done) override { done(c.lookup(r)); }
};

/// The calendar as the dispatcher needs it: kept alive together, replaced whole on reload.
struct LoadedCalendar {
  Settings settings;
  Calendar calendar;
  ReferenceGraph references;
};

class Dispatcher {
 public:
  Dispatcher(Store& store, const Clock& clock, Executor& executor, Logger& log);

  /// Uses a new calendar (start-up and every accepted reload).
  void configure(std::shared_ptr<const LoadedCalendar> calendar);
  /// The connector of a channel; a channel without one is held with a reason.
  void set_connector(const std::string& channel, Connector* connector);
  /// Uniform numbers in [0, 1) for jitter (seeded in tests).
  void set_random(std::function<double()> random01) { random_ = std::move(random01); }

  /// After a restart: every `sending` delivery is looked up on its platform:
  /// found -> published; proven absent -> due again; else needs_review.
  /// `done` runs once every lookup has answered, so sending can start in
  /// planned order only after that.
  void reconcile(std::function<void()> done = {});
  /// Deliveries overdue by more than their channel's late window become
  /// needs_review ("missed: due at ..., daemon was down"); younger ones stay due.
  void apply_late_window(const std::string& why);

  /// Does what is due on one channel now: at most one create request in
  /// flight per channel, in planned order, keeping min_spacing and rate.
  void pump(const std::string& channel);
  void pump_all();
  /// When `channel` next needs a pump, if ever (due time, retry time, the end
  /// of a spacing or rate wait, a pause's `until`).
  std::optional<Instant> next_wake(const std::string& channel) const;
  /// Channels of the current calendar.
  std::vector<std::string> channels() const;

  /// Pauses everything (empty channel) or one channel, persisted.
  void pause(const std::string& channel, const std::string& reason, std::optional<Instant> until);
  /// Lifts a pause; held deliveries come back under the late-window rule.
  bool resume(const std::string& channel);

  /// Called when a delivery of `channel` left `sending` (or a person settled
  /// one), so that channel can go on; when one was published, deliveries
  /// waiting for it (`waiting`, any channel) may go too.
  std::function<void(const std::string& channel)> on_change;
  /// Called with what each create request came to (metrics): the channel,
  /// the result, the delivery's planned instant, and now.
  std::function<void(const std::string& channel, const PublishResult& result, Instant planned, Instant now)> on_result;

  /// What a person's action came to: 200, or 404 (no such delivery) or 409
  /// (its state does not allow it) with the reason.
  struct ManualResult {
    int status = 200;
    std::string error;
  };
  /// `herald retry KEY`: a failed or needs_review delivery is planned again,
  /// due now, with its full retries.
  ManualResult retry_by_hand(const std::string& key);
  /// `herald resolve KEY --url U`: a person confirms a needs_review or failed
  /// delivery went out at `url`; it is published (posts linking to it can go).
  ManualResult resolve_by_hand(const std::string& key, const std::string& url);

  /// Whether a channel is paused now (globally or itself), and why.
  std::optional<Pause> pause_of(const std::string& channel) const;

 private:
  struct ChannelState {
    bool in_flight = false;
    std::optional<Instant> last_sent;
    std::deque<Instant> recent;  // send times within the rate window
    std::optional<Instant> platform_wait;  // the platform's own "not before" (rate limit reset)
    bool warned_no_connector = false;
  };

  /// One due delivery of a pump: true when the turn ends here (a request
  /// went out, or the channel must wait).
  bool turn(const StoredDelivery& d, const ChannelSettings& cs, ChannelState& st, const std::optional<Pause>& pause);
  void start_send(const StoredDelivery& d, const Post& post, const ChannelSettings& cs);
  void finish(const std::string& key, const std::string& channel, PublishResult result);
  bool dependencies_published(const StoredDelivery& d, std::vector<std::string>& missing);
  std::optional<Instant> spacing_wait(const ChannelSettings& cs, const ChannelState& st) const;
  PublishRequest request_for(const StoredDelivery& d, const Post& post, const ChannelSettings& cs);
  void change(const StoredDelivery& d, Event event, const std::string& detail);

  Store& store_;
  const Clock& clock_;
  Executor& executor_;
  Logger& log_;
  std::shared_ptr<const LoadedCalendar> cal_;
  std::map<std::string, Connector*> connectors_;
  std::map<std::string, ChannelState> channels_;
  std::function<double()> random_;
};

/// The plan of the coming days as the store's sync wants it: each delivery
/// with a hash of what it will say, queued deliveries pinned to the times
/// already stored for them.
std::vector<PlannedDelivery> planned_deliveries(const LoadedCalendar& cal, Instant now, Instant from, Instant to,
                                                const std::map<std::string, Instant>& pinned);

}  // namespace herald
