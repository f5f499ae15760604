#pragma once
// The dispatcher: decides, channel by channel, what goes out now, and turns
// connector results into state changes. It owns no thread: it books each
// channel's next wake-up itself (Wakes: asio timers in the daemon) after
// every pump and every result, and runs the blocking connector calls through
// an Executor; tests drive it with a manual clock, manual wakes and an
// inline executor, running days of schedule in milliseconds.

#include "compose/references.hpp"
#include "config/calendar.hpp"
#include "config/settings.hpp"
#include "connectors/connector.hpp"
#include "scheduler/clock.hpp"
#include "scheduler/executor.hpp"
#include "scheduler/logger.hpp"
#include "scheduler/planned.hpp"
#include "scheduler/retry_policy.hpp"
#include "scheduler/settle.hpp"
#include "scheduler/store.hpp"
#include "scheduler/wakes.hpp"

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

namespace herald {

class Dispatcher {
 public:
  /// Books its wake-ups in `wakes`, whose handler becomes pump().
  /// `workers`: the executor's pool size, which max_in_flight defaults from.
  Dispatcher(Store& store, const Clock& clock, Executor& executor, Wakes& wakes, Logger& log, int workers = 4);

  /// Uses a new calendar (start-up and every accepted reload).
  void configure(std::shared_ptr<const LoadedCalendar> calendar);
  /// The connector of a channel; a channel without one is held with a reason.
  void set_connector(const std::string& channel, Connector* connector);
  /// Uniform numbers in [0, 1) for jitter (seeded in tests).
  void set_random(std::function<double()> random01) { random_ = std::move(random01); }

  /// Start-up: reconcile(), then the late window ("daemon <why>"), then every
  /// channel pumped in planned order and its next wake-up booked.
  void start(const std::string& why);
  /// After a restart: every `sending` delivery's answer was lost with the
  /// process. Where the platform makes a repeat the same post it is due
  /// again at once; elsewhere it is settled by lookups (settle.hpp), and
  /// its channel waits meanwhile.
  void reconcile();
  /// Deliveries overdue by more than their channel's late window become
  /// needs_review ("missed: due at ..., daemon was down"); younger ones stay due.
  void apply_late_window(const std::string& why);

  /// Does what is due on one channel now: at most one request in flight per
  /// channel (a create, or a lookup settling one), in planned order, keeping
  /// min_spacing and rate; then books the channel's next wake-up. Never
  /// throws: a store failure becomes the store problem (on_store_failure)
  /// and nothing more starts.
  void pump(const std::string& channel);
  /// pump() of several channels in one loop turn (those whose wake-ups came
  /// together): their creates start with one `sending` commit
  /// (Store::begin_send_batch) before any of their requests goes out.
  void pump(const std::vector<std::string>& channels);
  /// Every channel (after a reload, a pause or resume, the store's recovery).
  void pump_all();
  /// When `channel` next needs a pump, if ever (due time, retry time, the end
  /// of a spacing or rate wait, a pause's `until`, the next settling lookup).
  std::optional<Instant> next_wake(const std::string& channel) const;
  /// Channels of the current calendar.
  std::vector<std::string> channels() const;

  /// Pauses everything (empty channel) or one channel, persisted. When the
  /// store cannot take it now, the pause holds in memory and is written
  /// first when the store is back.
  void pause(const std::string& channel, const std::string& reason, std::optional<Instant> until);
  /// Lifts a pause; held deliveries come back under the late-window rule.
  bool resume(const std::string& channel);

  /// An instance that took over a shared store whose plan was written from
  /// another calendar than its own keeps that plan (DESIGN.md "The store
  /// beyond one host"): it sends only the deliveries its own calendar
  /// would have planned the same (same post, text and time), and leaves the
  /// others as they are, neither sent nor cancelled, until the calendars
  /// agree or a person applies this one.
  void keep_store_plan(bool keep) { keep_store_plan_ = keep; }
  bool keeping_store_plan() const { return keep_store_plan_; }

  /// The store cannot be used (the daemon's watch says why) or can again
  /// (nullopt). While it cannot, no create or lookup starts; results that
  /// could not be written wait in memory and are written first on recovery.
  void set_store_problem(std::optional<std::string> problem);
  const std::optional<std::string>& store_problem() const { return store_problem_; }
  /// How long after herald stopped waiting for a create a channel's platform
  /// may still complete it (the connector's, or publishing.settle_margin).
  std::chrono::seconds settle_margin(const std::string& channel) const;
  /// Lookup timing of unsure creates (tests shorten it).
  void set_settle_schedule(SettleSchedule schedule) { schedule_ = schedule; }
  /// The most requests (creates and lookups) of one platform (channel kind)
  /// running at once, set on the executor's lanes by configure():
  /// publishing.max_in_flight, else the worker pool's size shared among the
  /// kinds of the calendar's channels (at least one each), so a slow
  /// platform cannot hold the workers another one needs. Limiting requests
  /// running, not deliveries decided, keeps every worker busy while the
  /// loop commits.
  int max_in_flight() const { return executor_.lane_limit(); }

  /// Called with what each create request came to (metrics): the channel,
  /// the result, the delivery's planned instant, and now.
  std::function<void(const std::string& channel, const PublishResult& result, Instant planned, Instant now)> on_result;
  /// Called when a delivery of the channel was published (a create's
  /// answer, a lookup that found it, a person's resolve), once its change is
  /// applied (inside a batch: before the batch's commit): the collector
  /// books its first counter read.
  std::function<void(const std::string& channel)> on_published;
  /// Called when a store operation on the dispatcher's path failed, with
  /// the reason in words (describe_store_failure); the daemon reports it
  /// once, watches the store and calls set_store_problem(nullopt) when it is
  /// usable again.
  std::function<void(const std::string& why)> on_store_failure;

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
  /// Every pause in force now: the store's and those it could not take yet.
  std::vector<Pause> pauses_in_force() const;
  /// Why a delivery that is not out yet has not gone: its pause, the
  /// delivery it waits for, its retry, or what holds its channel (a request
  /// in flight, a lost answer being settled, spacing, the channel's or the
  /// platform's rate limit, missing credentials, the store). Empty when it is
  /// simply not due yet or is out.
  std::string why(const StoredDelivery& d) const;

 private:
  struct ChannelState {
    bool in_flight = false;
    std::string in_flight_key;  // the create or lookup under way
    std::string in_flight_what; // "being sent", "being looked up"
    std::optional<Instant> last_sent;
    std::deque<Instant> recent;  // send times within the rate window
    std::optional<Instant> platform_wait;  // the platform's own "not before" (rate limit reset)
    std::deque<Settling> settling;  // unsure creates of this channel, oldest first
    bool warned_no_connector = false;
  };
  /// A result not written yet: arrived in this loop turn, or one the store
  /// could not take.
  struct Unsaved {
    std::string key;
    std::string channel;
    PublishResult result;
  };

  void pump_channel(const std::string& channel);
  /// The creates this turn decided on: one `sending` commit for all of them,
  /// then their requests; none goes out if the commit fails.
  void start_sends();
  /// The channel has a request in flight (`key`, `what` it is); idle() ends it.
  void busy(const std::string& channel, const std::string& key, const std::string& what);
  void idle(const std::string& channel);
  /// The executor lane of a channel's requests: its platform.
  std::string lane(const std::string& channel) const;
  /// Results that arrived in one loop turn (or waited for the store),
  /// written in one commit (Store::Batch); on failure all wait in memory.
  void finish_all(std::vector<Unsaved> results);
  /// Books the channel's next wake-up (next_wake), or none.
  void arm(const std::string& channel);
  /// A delivery of `channel` left `sending` (or a person settled one): that
  /// channel goes on at once, and so do the channels with deliveries waiting
  /// for another's URL. Only those: waking every channel after every
  /// delivery made a large calendar quadratic.
  void went_on(const std::string& channel);
  void went_on(const std::vector<std::string>& channels);
  /// One due delivery of a pump: true when the turn ends here (a request
  /// went out, or the channel must wait).
  bool turn(const StoredDelivery& d, const ChannelSettings& cs, ChannelState& st, const std::optional<Pause>& pause);
  bool start_send(const StoredDelivery& d, const Post& post, const ChannelSettings& cs);
  void start_verify(const StoredDelivery& d, const Post& post, const ChannelSettings& cs);
  void start_settle_lookup(const std::string& channel, ChannelState& st);
  void settle(const StoredDelivery& d, const std::string& lost, Instant since, Instant absent_counts_from);
  void on_publish_result(const std::string& key, const std::string& channel, PublishResult result);
  /// One result's writes inside finish_all's batch; what must wait until the
  /// batch is committed (lookups, pauses, the channel going on) goes to `then`.
  void record(const Unsaved& r, std::vector<std::function<void()>>& then);
  void on_settle_result(const std::string& channel, const std::string& key, LookupResult result);
  void on_verify_result(const std::string& channel, const std::string& key, LookupResult result);
  void on_duplicate_lookup(const std::string& channel, const std::string& key, const std::string& message,
                           LookupResult result);
  /// A retry with the policy's backoff, or the end of retries: `failed`, or
  /// `needs_review` when the last answer was lost (the post may be out).
  void retry_later(const StoredDelivery& d, ChannelState& st, const RetryLater& r, bool answer_lost);
  bool dependencies_published(const StoredDelivery& d, std::vector<std::string>& missing) const;
  /// When the channel may send again (nullopt: now). A first comment
  /// (`comment`) keeps the channel's rates and the platform's waits, not its
  /// min_spacing: it goes right under its post, it is no post of its own.
  std::optional<Instant> spacing_wait(const ChannelSettings& cs, const ChannelState& st, bool comment = false) const;
  PublishRequest request_for(const StoredDelivery& d, const Post& post, const ChannelSettings& cs) const;
  /// The request a lookup of `d` needs: the text as it was sent.
  std::optional<PublishRequest> lookup_request(const StoredDelivery& d) const;
  Connector* connector(const std::string& channel) const;
  void change(const StoredDelivery& d, Event event, const std::string& detail);
  /// A delivery of `channel` was published: on_published.
  void went_out(const std::string& channel) {
    if (on_published) on_published(channel);
  }
  /// Runs `f`; a store failure becomes the store problem instead of escaping.
  template <typename F>
  bool guarded(F f);
  void store_failed(const std::exception& e);
  void write_pending_pauses();

  Store& store_;
  const Clock& clock_;
  Executor& executor_;
  Wakes& wakes_;
  Logger& log_;
  int workers_;
  std::shared_ptr<const LoadedCalendar> cal_;
  std::map<std::string, Connector*> connectors_;
  std::map<std::string, ChannelState> channels_;
  std::function<double()> random_;
  SettleSchedule schedule_;
  std::optional<std::string> store_problem_;
  bool keep_store_plan_ = false;
  std::vector<Unsaved> unsaved_;
  std::vector<Unsaved> arrived_;  // results handed back this loop turn, not yet written
  /// A create decided this turn, waiting for the batch's `sending` commit.
  struct Start {
    StoredDelivery delivery;
    PublishRequest request;
  };
  std::vector<Start> starts_;

  std::vector<Pause> pending_pauses_;  // pauses the store could not take yet
};

}  // namespace herald
