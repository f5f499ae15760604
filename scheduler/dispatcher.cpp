#include "scheduler/dispatcher.hpp"

#include "compose/composer.hpp"
#include "config/duration.hpp"
#include "scheduler/fault.hpp"
#include "scheduler/plan.hpp"

#include <algorithm>
#include <set>

namespace herald {

namespace {

std::string local_text(const Settings& s, Instant at) {
  const std::string rfc = format_local(*s.zone, at);
  return rfc.substr(0, 10) + " " + rfc.substr(11, 5);
}

}  // namespace

Dispatcher::Dispatcher(Store& store, const Clock& clock, Executor& executor, Wakes& wakes, Logger& log, int workers)
    : store_(store), clock_(clock), executor_(executor), wakes_(wakes), log_(log), workers_(std::max(workers, 1)) {
  wakes_.on_wake([this](const std::vector<std::string>& channels) { pump(channels); });
  random_ = [gen = std::mt19937_64{std::random_device{}()}]() mutable {
    return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
  };
}

void Dispatcher::configure(std::shared_ptr<const LoadedCalendar> calendar) {
  cal_ = std::move(calendar);
  // The pool shared among the platforms in use, so that together they
  // cannot take every worker: one slow platform leaves the others theirs.
  std::set<ChannelKind> kinds;
  for (const auto& c : cal_->settings.channels) kinds.insert(c.kind);
  executor_.set_lane_limit(cal_->settings.publishing.max_in_flight.value_or(
      std::max(1, workers_ / std::max(1, static_cast<int>(kinds.size())))));
}

std::string Dispatcher::lane(const std::string& channel) const {
  const ChannelSettings* cs = cal_ ? cal_->settings.channel(channel) : nullptr;
  return cs ? std::string(to_string(cs->kind)) : channel;
}

void Dispatcher::busy(const std::string& channel, const std::string& key, const std::string& what) {
  ChannelState& st = channels_[channel];
  st.in_flight = true;
  st.in_flight_key = key;
  st.in_flight_what = what;
}

void Dispatcher::idle(const std::string& channel) {
  channels_[channel].in_flight = false;
}

void Dispatcher::set_connector(const std::string& channel, Connector* connector) { connectors_[channel] = connector; }

Connector* Dispatcher::connector(const std::string& channel) const {
  auto it = connectors_.find(channel);
  return it == connectors_.end() ? nullptr : it->second;
}

std::vector<std::string> Dispatcher::channels() const {
  std::vector<std::string> out;
  if (cal_)
    for (const auto& c : cal_->settings.channels) out.push_back(c.name);
  return out;
}

template <typename F>
bool Dispatcher::guarded(F f) {
  try {
    f();
    return true;
  } catch (const std::exception& e) {
    store_failed(e);
    return false;
  }
}

void Dispatcher::store_failed(const std::exception& e) {
  const std::string why = describe_store_failure(e);
  if (!store_problem_) store_problem_ = why;
  if (on_store_failure) on_store_failure(why);
}

void Dispatcher::set_store_problem(std::optional<std::string> problem) {
  store_problem_ = std::move(problem);
  if (store_problem_) return;
  // Back: what the store could not take comes first, pauses before results,
  // so a pause asked for during the outage holds before anything can go.
  write_pending_pauses();
  if (store_problem_) return;
  auto waiting = std::move(unsaved_);
  unsaved_.clear();
  // In one commit; failed again, they all wait again, in order.
  if (!waiting.empty()) finish_all(std::move(waiting));
}

void Dispatcher::write_pending_pauses() {
  while (!pending_pauses_.empty()) {
    const Pause p = pending_pauses_.front();
    if (!guarded([&] { store_.set_pause(p, clock_.now()); })) return;
    pending_pauses_.erase(pending_pauses_.begin());
  }
}

std::chrono::seconds Dispatcher::settle_margin(const std::string& channel) const {
  if (cal_ && cal_->settings.publishing.settle_margin) return *cal_->settings.publishing.settle_margin;
  if (const Connector* c = connector(channel)) return c->settle_policy().margin;
  return SettlePolicy{}.margin;
}

void Dispatcher::change(const StoredDelivery& d, Event event, const std::string& detail) {
  auto to = transition(d.state, event);
  if (!to) {
    log_.warning(d.key + ": ignored " + std::string(to_string(event)) + " in state " + std::string(to_string(d.state)));
    return;
  }
  store_.apply(d.key, event, Effects{.detail = detail}, clock_.now());
  log_.log(needs_attention(*to) ? Priority::warning : Priority::info,
           d.key + ": " + std::string(to_string(d.state)) + " -> " + std::string(to_string(*to)) +
               (detail.empty() ? "" : " (" + detail + ")"));
}

std::vector<Pause> Dispatcher::pauses_in_force() const {
  const Instant now = clock_.now();
  std::vector<Pause> out;
  for (const auto& p : pending_pauses_)
    if (p.active_at(now)) out.push_back(p);
  // The store may be unreadable (the outage a pending pause is for): the
  // pauses in memory still hold.
  try {
    for (const auto& p : store_.pauses())
      if (p.active_at(now) && std::none_of(out.begin(), out.end(), [&](const Pause& q) { return q.channel == p.channel; }))
        out.push_back(p);
  } catch (const std::exception&) {
  }
  return out;
}

std::optional<Pause> Dispatcher::pause_of(const std::string& channel) const {
  std::optional<Pause> found;
  for (const auto& p : pauses_in_force())
    if (p.holds(channel) && (!found || p.channel.empty())) found = p;
  return found;
}

void Dispatcher::pause(const std::string& channel, const std::string& reason, std::optional<Instant> until) {
  const Pause p{channel, reason, clock_.now(), until};
  log_.warning((channel.empty() ? std::string("all channels") : "channel " + channel) + " paused: " + reason);
  if (store_problem_ || !guarded([&] { store_.set_pause(p, clock_.now()); })) {
    // No create starts while the store is unusable; the pause is written
    // before anything else once it is usable again.
    std::erase_if(pending_pauses_, [&](const Pause& q) { return q.channel == channel; });
    pending_pauses_.push_back(p);
    log_.warning("the pause is held in memory until the state database can be written: " +
                 store_problem_.value_or("unknown problem"));
  }
}

bool Dispatcher::resume(const std::string& channel) {
  const bool pending = std::erase_if(pending_pauses_, [&](const Pause& q) { return q.channel == channel; }) > 0;
  bool cleared = false;
  if (!guarded([&] { cleared = store_.clear_pause(channel, clock_.now()); })) return pending;
  if (!cleared && !pending) return false;
  log_.info((channel.empty() ? std::string("all channels") : "channel " + channel) + " resumed");
  guarded([&] {
    // Held deliveries come back; those overdue beyond the late window need a person.
    for (const auto& d : store_.in_states({State::held})) {
      if (pause_of(d.channel)) continue;
      change(d, Event::resume, "");
    }
    apply_late_window("was paused");
  });
  return true;
}

std::optional<PublishRequest> Dispatcher::lookup_request(const StoredDelivery& d) const {
  if (!cal_) return std::nullopt;
  const Post* post = cal_->calendar.find(d.post);
  const ChannelSettings* cs = cal_->settings.channel(d.channel);
  if (!post || !cs || !connector(d.channel)) return std::nullopt;
  PublishRequest req = request_for(d, *post, *cs);
  if (!d.sent_text.empty()) req.composed.text = d.sent_text;
  return req;
}

void Dispatcher::settle(const StoredDelivery& d, const std::string& lost, Instant since, Instant absent_counts_from) {
  ChannelState& st = channels_[d.channel];
  for (const auto& s : st.settling)
    if (s.key == d.key) return;
  Settling s;
  s.key = d.key;
  s.since = since;
  s.absent_counts_from = absent_counts_from;
  s.next_lookup = since;
  s.lost = lost;
  st.settling.push_back(std::move(s));
}

void Dispatcher::start(const std::string& why) {
  reconcile();
  apply_late_window(why);
  pump_all();
}

void Dispatcher::reconcile() {
  guarded([&] {
    const Instant now = clock_.now();
    for (const auto& d : cal_ ? store_.in_states({State::sending}) : std::vector<StoredDelivery>{}) {
      const std::string lost = "herald stopped while attempt " + std::to_string(d.attempts) + " was in flight";
      Connector* c = connector(d.channel);
      if (!cal_->calendar.find(d.post) || !cal_->settings.channel(d.channel) || !c) {
        change(d, Event::outcome_unknown, "outcome unknown after a restart, and the post or its connector is gone");
        continue;
      }
      if (c->settle_policy().repeat_is_safe) {
        store_.note_lost_answer(d.key, lost + "; the platform makes a repeat the same post", now);
        change(d, Event::safe_to_repeat, lost + "; sent again: the platform makes a repeat the same post");
        continue;
      }
      // The request may still be running at the platform: herald stopped
      // waiting at the crash, at the latest now. A restart while it was
      // already being settled keeps the moment found then.
      const std::chrono::seconds margin = settle_margin(d.channel);
      const Instant until = d.settle_from.value_or(now + margin);
      store_.note_lost_answer(d.key, lost + "; looking it up, absence counts from " + format_utc(until), now, until);
      settle(d, lost, std::min(now, until - margin), until);
      log_.warning(d.key + ": " + lost + "; looking it up before anything is sent (absence counts from " +
                   format_utc(until) + ")");
    }
  });
}

void Dispatcher::apply_late_window(const std::string& why) {
  if (!cal_) return;
  guarded([&] {
    const Instant now = clock_.now();
    // Only what is later than the shortest late window can be missed: the
    // rest is not read (at start-up, the whole queue).
    if (cal_->settings.channels.empty()) return;
    std::chrono::seconds shortest = std::chrono::seconds::max();
    for (const auto& c : cal_->settings.channels) shortest = std::min(shortest, cal_->settings.late_window(c));
    for (const auto& d : store_.overdue(now - shortest)) {
      const ChannelSettings* cs = cal_->settings.channel(d.channel);
      if (!cs) continue;
      const Instant due = d.state == State::retry_wait && d.next_attempt ? *d.next_attempt : d.planned;
      if (now - due > cal_->settings.late_window(*cs))
        change(d, Event::missed, "missed: due at " + local_text(cal_->settings, due) + ", daemon " + why);
    }
  });
}

bool Dispatcher::dependencies_published(const StoredDelivery& d, std::vector<std::string>& missing) const {
  for (const auto& dep : cal_->references.of(d.post + "@" + d.channel)) {
    auto target = store_.get(dep);
    if (!target || target->state != State::published || target->url.empty()) missing.push_back(dep);
  }
  // A first comment waits for the post it goes under.
  if (const auto parent = comment_parent(d.key)) {
    auto target = store_.get(*parent);
    if (!target || target->state != State::published) missing.push_back(*parent);
  }
  return missing.empty();
}

std::optional<Instant> Dispatcher::spacing_wait(const ChannelSettings& cs, const ChannelState& st, bool comment) const {
  std::optional<Instant> wait;
  if (st.last_sent && cs.min_spacing.count() > 0 && !comment) wait = *st.last_sent + cs.min_spacing;
  if (cs.rate && static_cast<int>(st.recent.size()) >= cs.rate->count) {
    const Instant free_at = st.recent.front() + cs.rate->per;
    if (!wait || free_at > *wait) wait = free_at;
  }
  if (st.platform_wait && (!wait || *st.platform_wait > *wait)) wait = st.platform_wait;
  if (wait && *wait <= clock_.now()) return std::nullopt;
  return wait;
}

PublishRequest Dispatcher::request_for(const StoredDelivery& d, const Post& post, const ChannelSettings& cs) const {
  const UrlLookup published = [this](const std::string& key) -> std::optional<std::string> {
    auto target = store_.get(key);
    if (target && target->state == State::published && !target->url.empty()) return target->url;
    return std::nullopt;
  };
  PublishRequest req;
  req.key = d.key;
  req.post = d.post;
  req.channel = d.channel;
  req.local_time = format_local(*cal_->settings.zone, d.planned);
  req.answer_lost_before = d.lost_answers > 0;
  if (const auto parent = comment_parent(d.key)) {
    // A first comment: its own words, under the post as published.
    req.composed = compose_first_comment(post, cs, cal_->settings, cal_->calendar, published);
    if (auto target = store_.get(*parent)) req.comment_on = CommentOn{target->remote_id, target->url};
    return req;
  }
  req.composed = compose(post, cs, cal_->settings, cal_->calendar, published, req.local_time);
  return req;
}

void Dispatcher::pump_all() { pump(channels()); }

void Dispatcher::pump(const std::string& channel) { pump(std::vector<std::string>{channel}); }

// Each turn: every channel given decides what it does now (pump_channel),
// the creates they decided on are committed `sending` together and go out
// (start_sends), channels waiting for their platform's free requests are
// offered the ones left, and each channel books its next wake-up.
void Dispatcher::pump(const std::vector<std::string>& channels) {
  for (const auto& c : channels) {
    if (store_problem_) break;
    guarded([&] { pump_channel(c); });
  }
  start_sends();
  for (const auto& c : channels) arm(c);
}

void Dispatcher::arm(const std::string& channel) { wakes_.wake_at(channel, next_wake(channel)); }

void Dispatcher::went_on(const std::string& channel) { went_on(std::vector<std::string>{channel}); }

void Dispatcher::went_on(const std::vector<std::string>& channels) {
  const Instant now = clock_.now();
  for (const auto& c : channels) wakes_.wake_at(c, now);
  std::vector<std::string> waiting;
  if (!guarded([&] { waiting = store_.channels_in(State::waiting); })) return;
  for (const auto& c : waiting)
    if (std::find(channels.begin(), channels.end(), c) == channels.end()) wakes_.wake_at(c, now);
}

void Dispatcher::pump_channel(const std::string& channel) {
  if (!cal_) return;
  const ChannelSettings* cs = cal_->settings.channel(channel);
  if (!cs) return;
  ChannelState& st = channels_[channel];
  const Instant now = clock_.now();
  while (!st.recent.empty() && cs->rate && st.recent.front() + cs->rate->per <= now) st.recent.pop_front();

  // A pause whose `until` has come ends here, and what it held comes back
  // under the late-window rule, as after `herald resume`.
  for (const auto& p : store_.pauses()) {
    if (!p.active_at(now) && p.holds(channel)) {
      store_.clear_pause(p.channel, now);
      log_.info((p.channel.empty() ? std::string("all channels") : "channel " + p.channel) + " resumed (until reached)");
    }
  }
  const auto pause = pause_of(channel);
  // An index probe first: on almost every turn nothing is held.
  if (!pause && store_.any_in_state(State::held, channel)) {
    bool released = false;
    for (const auto& d : store_.in_states({State::held}, channel)) {
      change(d, Event::resume, "");
      released = true;
    }
    if (released) apply_late_window("was paused");
  }
  if (!connector(channel) && !pause) {
    if (st.warned_no_connector) return;
    st.warned_no_connector = true;
    log_.warning("channel " + channel + " (" + std::string(to_string(cs->kind)) +
                 ") cannot publish; its deliveries wait until its credentials are fixed and the calendar reloaded");
    return;
  }
  if (st.in_flight) return;
  // An unsure create holds its channel until it is settled: nothing may
  // overtake it, and a pause does not stop looking (a lookup creates nothing).
  if (!st.settling.empty()) {
    if (st.settling.front().next_lookup <= now && connector(channel)) start_settle_lookup(channel, st);
    return;
  }
  // Only this channel's deliveries planned by now, a page at a time: a turn
  // usually ends at the first one it sends, so it reads a few rows whether
  // ten or a hundred thousand are queued behind them.
  constexpr int kPage = 32;
  const std::vector<State> pending{State::planned, State::waiting, State::retry_wait};
  std::optional<StoredDelivery> last;
  for (;;) {
    const auto page = store_.due_page(pending, channel, now, last ? &*last : nullptr, kPage);
    for (const auto& d : page)
      if (turn(d, *cs, st, pause)) return;
    if (static_cast<int>(page.size()) < kPage) return;
    last = page.back();
  }
}

bool Dispatcher::turn(const StoredDelivery& d, const ChannelSettings& cs, ChannelState& st,
                      const std::optional<Pause>& pause) {
  // A retry whose time has not come lets later deliveries go (each has
  // its own retries; a platform's rate limit holds the whole channel).
  if (d.state == State::retry_wait && d.next_attempt && *d.next_attempt > clock_.now()) return false;
  if (pause) {
    change(d, Event::pause, "paused: " + pause->reason);
    return false;
  }
  // Another calendar's plan, kept: what this one would not have planned
  // the same is neither sent nor cancelled here.
  if (keep_store_plan_ &&
      delivery_content_hash(*cal_, d.post, d.channel, d.planned, comment_parent(d.key).has_value()) != d.content_hash)
    return false;
  const Post* post = cal_->calendar.find(d.post);
  if (!post) {
    change(d, Event::removed, "its post is no longer in the calendar");
    return false;
  }
  // A draft never goes out, whatever plan the store holds (another host's,
  // kept): removing `draft: true` is the approval.
  if (post->draft) {
    change(d, Event::removed, "its post is a draft (draft: true); removing the flag approves it");
    return false;
  }
  std::vector<std::string> missing;
  if (!dependencies_published(d, missing)) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    if (d.state == State::planned) change(d, Event::wait_for_dependency, "waits for " + list);
    return false;
  }
  if (st.in_flight) return true;
  if (spacing_wait(cs, st, comment_parent(d.key).has_value())) return true;
  if (d.state == State::waiting) change(d, Event::dependency_met, "");
  if (d.state == State::retry_wait) change(d, Event::retry_due, "");
  auto fresh = store_.get(d.key);
  if (!fresh || fresh->state != State::planned) return false;
  if (fresh->verify) {
    start_verify(*fresh, *post, cs);
    return true;
  }
  return start_send(*fresh, *post, cs);
}

// The create is decided here and made durable with the others of this
// turn in start_sends: the channel is busy from now on, so its turn ends.
bool Dispatcher::start_send(const StoredDelivery& d, const Post& post, const ChannelSettings& cs) {
  PublishRequest req = request_for(d, post, cs);
  busy(d.channel, d.key, "being sent");
  starts_.push_back({d, std::move(req)});
  return true;
}

void Dispatcher::start_sends() {
  if (starts_.empty()) return;
  auto starts = std::move(starts_);
  starts_.clear();
  std::vector<SendStart> batch;
  batch.reserve(starts.size());
  for (const auto& s : starts) batch.push_back({s.delivery.key, s.request.composed.text});
  // Durable before the requests, and the last word on pauses: after a crash
  // these deliveries are settled, never resent blindly, and a pause committed
  // by anyone before this commit holds them. One commit for the whole turn;
  // if it fails, none of them is `sending` and none goes out.
  std::vector<SendGate> gates;
  if (store_problem_ || !guarded([&] { gates = store_.begin_send_batch(batch, clock_.now()); })) {
    for (const auto& s : starts) idle(s.delivery.channel);
    return;
  }
  fault_point("after_sending_commit");
  const Instant now = clock_.now();
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const StoredDelivery& d = starts[i].delivery;
    if (gates[i] != SendGate::sending) {
      idle(d.channel);
      if (gates[i] == SendGate::paused)
        log_.warning(d.key + ": planned -> held (a pause in the state database holds channel " + d.channel + ")");
      continue;
    }
    log_.info(d.key + ": planned -> sending (attempt " + std::to_string(d.attempts + 1) + ")");
    ChannelState& st = channels_[d.channel];
    st.last_sent = now;
    st.recent.push_back(now);
    const std::string key = d.key, channel = d.channel;
    executor_.publish(lane(channel), *connector(channel), std::move(starts[i].request),
                      [this, key, channel](PublishResult r) { on_publish_result(key, channel, std::move(r)); });
  }
}

// A new store cannot know what an earlier one published: an overdue
// delivery is looked up once before its first create (as a `sending` one is
// after a crash). Found: out already. Absent: nothing was in flight, so it
// may go at once. Unknown: a person decides.
void Dispatcher::start_verify(const StoredDelivery& d, const Post& post, const ChannelSettings& cs) {
  PublishRequest req = request_for(d, post, cs);
  busy(d.channel, d.key, "being looked up (the store is new)");
  const std::string key = d.key, channel = d.channel;
  executor_.lookup(lane(channel), *connector(channel), std::move(req),
                   [this, key, channel](LookupResult r) { on_verify_result(channel, key, std::move(r)); });
}

void Dispatcher::on_verify_result(const std::string& channel, const std::string& key, LookupResult result) {
  idle(channel);
  guarded([&] {
    auto d = store_.get(key);
    if (!d || d->state != State::planned || !d->verify) return;
    const Instant now = clock_.now();
    if (auto* f = std::get_if<Found>(&result)) {
      store_.apply(key, Event::found_on_platform,
                   Effects{.detail = "found on the platform before the first create (the store is new): " + f->url,
                           .remote_id = f->remote_id,
                           .url = f->url},
                   now);
      went_out(d->channel);
      log_.info(key + ": planned -> published (found on the platform; the store is new: " + f->url + ")");
    } else if (std::holds_alternative<Absent>(result)) {
      store_.clear_verify(key, "not on the platform; the store is new, so it was looked up before the first create",
                          now);
    } else {
      change(*d, Event::cannot_verify,
             "the store is new and the platform could not tell whether this overdue delivery is out: " +
                 std::get<Unknown>(result).message + "; check the platform, then herald resolve or herald retry");
    }
  });
  went_on(channel);
}

void Dispatcher::start_settle_lookup(const std::string& channel, ChannelState& st) {
  Settling& s = st.settling.front();
  auto d = store_.get(s.key);
  if (!d || d->state != State::sending) {
    st.settling.pop_front();
    went_on(channel);
    return;
  }
  auto req = lookup_request(*d);
  if (!req) {
    change(*d, Event::outcome_unknown, "outcome unknown: " + s.lost + "; the post or its connector is gone");
    st.settling.pop_front();
    went_on(channel);
    return;
  }
  busy(channel, s.key, "being looked up (its answer was lost)");
  const std::string key = s.key;
  executor_.lookup(lane(channel), *connector(channel), std::move(*req),
                   [this, channel, key](LookupResult r) { on_settle_result(channel, key, std::move(r)); });
}

void Dispatcher::on_settle_result(const std::string& channel, const std::string& key, LookupResult result) {
  ChannelState& st = channels_[channel];
  idle(channel);
  auto it = std::find_if(st.settling.begin(), st.settling.end(), [&](const Settling& s) { return s.key == key; });
  if (it == st.settling.end()) return;
  const Instant now = clock_.now();
  const SettleDecision decision = settle_step(result, *it, now, schedule_);
  // A store failure leaves the settling in place: the lookup runs again once
  // the store is back (a lookup creates nothing).
  const bool done = guarded([&] {
    auto d = store_.get(key);
    if (!d || d->state != State::sending) return;
    switch (decision.action) {
      case SettleAction::publish: {
        const auto& f = std::get<Found>(result);
        store_.apply(key, Event::found_on_platform,
                     Effects{.detail = decision.detail, .remote_id = f.remote_id, .url = f.url}, now);
        went_out(d->channel);
        log_.info(key + ": sending -> published (" + decision.detail + ")");
        break;
      }
      case SettleAction::send_again: change(*d, Event::absent_on_platform, decision.detail); break;
      case SettleAction::needs_review: change(*d, Event::outcome_unknown, decision.detail); break;
      case SettleAction::look_again:
        log_.info(key + ": " + decision.detail + "; next lookup at " + format_utc(decision.next));
        break;
    }
  });
  if (!done) return;
  if (decision.action == SettleAction::look_again) {
    it->next_lookup = decision.next;
    ++it->lookups;
  } else {
    st.settling.erase(it);
  }
  went_on(channel);
}

void Dispatcher::on_publish_result(const std::string& key, const std::string& channel, PublishResult result) {
  if (on_result) {
    // Metrics: once per answer, whatever happens to it in the store.
    Instant planned = clock_.now();
    try {
      if (auto d = store_.get(key)) planned = d->planned;
    } catch (const std::exception&) {
    }
    on_result(channel, result, planned, clock_.now());
  }
  // Written with the others that arrive in this loop turn: one commit.
  arrived_.push_back({key, channel, std::move(result)});
  if (arrived_.size() == 1) executor_.soon([this] {
    auto results = std::move(arrived_);
    arrived_.clear();
    if (store_problem_) {
      for (auto& r : results) unsaved_.push_back(std::move(r));
      return;
    }
    finish_all(std::move(results));
  });
}

void Dispatcher::finish_all(std::vector<Unsaved> results) {
  std::vector<std::function<void()>> then;
  const bool written = guarded([&] {
    auto batch = store_.batch();
    for (const auto& r : results) record(r, then);
    batch.commit();
  });
  if (!written) {
    // Nothing of the batch is on disk: each delivery is still `sending`
    // there (a crash now settles it like any lost answer), and each result
    // waits in memory, its channel busy, until the store is back.
    for (auto& r : results) unsaved_.push_back(std::move(r));
    return;
  }
  for (auto& f : then) f();
}

// The answer to a create, written to the store inside finish_all's batch.
// The channel stays busy until it is written: if the store fails, the result
// waits in memory (unsaved_) and the delivery stays `sending` on disk, so a
// crash meanwhile settles it like any lost answer. Nothing that reaches
// outside the store (a lookup, the channel going on) happens before the
// batch is committed.
void Dispatcher::record(const Unsaved& r, std::vector<std::function<void()>>& then) {
  const std::string& key = r.key;
  const std::string& channel = r.channel;
  const PublishResult& result = r.result;
  ChannelState& st = channels_[channel];
  bool looking_up = false;  // a duplicate refusal being looked up keeps the channel busy
  [&] {
    auto d = store_.get(key);
    if (!d || d->state != State::sending) return;
    const Instant now = clock_.now();
    fault_point("before_result_commit");
    if (auto* unsure = std::get_if<Unsure>(&result)) {
      Connector* c = connector(channel);
      if (c && c->settle_policy().repeat_is_safe) {
        store_.note_lost_answer(key, "no answer: " + unsure->message + "; the platform makes a repeat the same post",
                                now);
        retry_later(*d, st,
                    RetryLater{std::nullopt, "no answer: " + unsure->message +
                                                 "; sending again is safe: the platform makes a repeat the same post"},
                    /*answer_lost=*/true);
        return;
      }
      const Instant until = now + settle_margin(channel);
      store_.note_lost_answer(key,
                              "no answer: " + unsure->message + "; looking it up, absence counts from " +
                                  format_utc(until),
                              now, until);
      log_.warning(key + ": no answer (" + unsure->message + "); looking it up before anything is sent again");
      settle(*d, "no answer: " + unsure->message, now, until);
      return;
    }
    if (auto* dup = std::get_if<Duplicate>(&result)) {
      if (d->lost_answers > 0) {
        // The platform refuses an identical text because it has it: an
        // earlier attempt whose answer was lost went out. Find it.
        auto req = lookup_request(*d);
        if (req) {
          looking_up = true;
          busy(channel, key, "being looked up (the platform says it has it)");
          then.push_back([this, channel, key, message = dup->message, req = std::move(*req)]() mutable {
            executor_.lookup(lane(channel), *connector(channel), std::move(req), [this, channel, key, message](LookupResult l) {
              on_duplicate_lookup(channel, key, message, std::move(l));
            });
          });
          return;
        }
        change(*d, Event::outcome_unknown, "the platform refused it as a duplicate after an earlier answer was lost: " +
                                               dup->message + "; it is most likely out: check, then herald resolve");
        return;
      }
      change(*d, Event::permanent_error, dup->message);
      return;
    }
    if (auto* p = std::get_if<Published>(&result)) {
      store_.apply(key, Event::sent, Effects{.remote_id = p->remote_id, .url = p->url}, now);
      went_out(d->channel);
      log_.info(key + ": sending -> published " + p->url);
    } else if (auto* later = std::get_if<RetryLater>(&result)) {
      retry_later(*d, st, *later, /*answer_lost=*/false);
    } else if (auto* pr = std::get_if<Processing>(&result)) {
      // Not an attempt that failed: the platform is preparing the post.
      const auto after = std::max(pr->after, std::chrono::seconds{1});
      store_.apply(key, Event::processing, Effects{.detail = pr->message, .next_attempt = now + after}, now);
      log_.info(key + ": " + pr->message + "; asking again in " + std::to_string(after.count()) + "s");
    } else if (auto* f = std::get_if<Failed>(&result)) {
      change(*d, Event::permanent_error, f->message);
    } else if (auto* a = std::get_if<AuthFailed>(&result)) {
      change(*d, Event::auth_error, "credentials rejected: " + a->message);
      then.push_back([this, channel, why = "credentials rejected: " + a->message] { pause(channel, why, std::nullopt); });
    }
  }();
  if (looking_up) return;  // its answer goes on
  then.push_back([this, channel] {
    idle(channel);
    went_on(channel);
  });
}

void Dispatcher::on_duplicate_lookup(const std::string& channel, const std::string& key, const std::string& message,
                                     LookupResult result) {
  idle(channel);
  guarded([&] {
    auto d = store_.get(key);
    if (!d || d->state != State::sending) return;
    if (auto* f = std::get_if<Found>(&result)) {
      store_.apply(key, Event::found_on_platform,
                   Effects{.detail = "found by lookup after the platform refused a repeat as a duplicate of the "
                                     "attempt whose answer was lost: " + f->url,
                           .remote_id = f->remote_id,
                           .url = f->url},
                   clock_.now());
      went_out(d->channel);
      log_.info(key + ": sending -> published (found after a duplicate refusal: " + f->url + ")");
      return;
    }
    change(*d, Event::outcome_unknown,
           "the platform refused a repeat as a duplicate (" + message +
               ") after an earlier attempt's answer was lost, so that attempt is most likely out, but a lookup did not "
               "find it; check the platform, then herald resolve KEY --url URL");
  });
  went_on(channel);
}

void Dispatcher::retry_later(const StoredDelivery& d, ChannelState& st, const RetryLater& r, bool answer_lost) {
  const Instant now = clock_.now();
  const RetryPolicy policy = cal_ ? RetryPolicy::from(cal_->settings.publishing.retry) : RetryPolicy{};
  // Attempts since the editor or a person last gave it a fresh start, so an
  // edited or retried delivery gets its full retries again.
  const int attempts = std::max(d.tries, 1);
  // The platform's own wait (a rate limit's reset) holds the whole
  // channel: the account is limited, not this one post.
  if (r.after) st.platform_wait = now + *r.after;
  if (auto delay = policy.delay(attempts, random_(), r.after)) {
    store_.apply(d.key, Event::transient_error, Effects{.detail = r.message, .next_attempt = now + *delay}, now);
    log_.warning(d.key + ": sending -> retry_wait in " + std::to_string(delay->count()) + "s (" + r.message + ")");
  } else if (answer_lost) {
    // The last attempt may have made the post: not a failure, a question.
    change(d, Event::outcome_unknown,
           "retries used up after " + std::to_string(attempts) + " attempts and the last answer was lost (" +
               r.message + "): the post may be out; check the platform, then herald resolve or herald retry");
  } else {
    change(d, Event::permanent_error, "gave up after " + std::to_string(attempts) + " attempts: " + r.message);
  }
}

Dispatcher::ManualResult Dispatcher::retry_by_hand(const std::string& key) {
  ManualResult out;
  std::string channel;
  const bool ok = guarded([&] {
    auto d = store_.get(key);
    if (!d) {
      out = {404, "no delivery '" + key + "'"};
      return;
    }
    if (!transition(d->state, Event::retry_requested)) {
      out = {409, key + " is " + std::string(to_string(d->state)) +
                      "; only failed and needs_review deliveries can be retried"};
      return;
    }
    // Planned again at its old instant, so it is due at once and goes before
    // later deliveries of its channel; the late window is not applied to it:
    // a person asked for it now.
    change(*d, Event::retry_requested, "asked for by a person");
    channel = d->channel;
  });
  if (!ok) return {503, "the state database is unavailable: " + store_problem_.value_or("")};
  if (!channel.empty()) went_on(channel);
  return out;
}

Dispatcher::ManualResult Dispatcher::resolve_by_hand(const std::string& key, const std::string& url) {
  ManualResult out;
  std::string channel;
  const bool ok = guarded([&] {
    auto d = store_.get(key);
    if (!d) {
      out = {404, "no delivery '" + key + "'"};
      return;
    }
    if (!transition(d->state, Event::resolved)) {
      out = {409, key + " is " + std::string(to_string(d->state)) +
                      "; only needs_review and failed deliveries can be resolved by hand"};
      return;
    }
    store_.apply(key, Event::resolved, Effects{.remote_id = d->remote_id, .url = url}, clock_.now());
    went_out(d->channel);
    log_.info(key + ": " + std::string(to_string(d->state)) + " -> published " + url + " (resolved by a person)");
    channel = d->channel;
  });
  if (!ok) return {503, "the state database is unavailable: " + store_problem_.value_or("")};
  if (!channel.empty()) went_on(channel);
  return out;
}

std::optional<Instant> Dispatcher::next_wake(const std::string& channel) const {
  if (!cal_ || store_problem_) return std::nullopt;
  const ChannelSettings* cs = cal_->settings.channel(channel);
  if (!cs) return std::nullopt;
  auto it = channels_.find(channel);
  const ChannelState empty;
  const ChannelState& st = it == channels_.end() ? empty : it->second;
  if (st.in_flight) return std::nullopt;  // the result wakes it
  std::optional<Instant> wake;
  auto consider = [&](Instant t) {
    if (!wake || t < *wake) wake = t;
  };
  const auto paused = pause_of(channel);
  if (paused && paused->until) consider(*paused->until);
  // A channel that cannot publish waits for a reload, not for a time (its
  // pump would send nothing, and a past wake time would spin the loop).
  if (!connector(channel) && !paused) return std::nullopt;
  if (!st.settling.empty() && connector(channel)) {
    consider(st.settling.front().next_lookup);
    return wake;
  }
  std::optional<Instant> due;
  try {
    due = store_.next_due(channel);
    // Kept from another calendar's plan, what is due now and was not sent
    // waits for the calendars to agree (a reload pumps every channel): the
    // channel wakes for what falls due next, not again at once.
    if (keep_store_plan_ && due && *due <= clock_.now()) due = store_.next_due_after(channel, clock_.now());
  } catch (const std::exception&) {
    return wake;
  }
  if (due) consider(*due);
  // While paused, due deliveries are woken only to be held; no spacing applies.
  if (due && *due <= clock_.now() && !paused)
    if (auto w = spacing_wait(*cs, st)) wake = *w;
  return wake;
}

std::string Dispatcher::why(const StoredDelivery& d) const {
  const Instant now = clock_.now();
  switch (d.state) {
    case State::held:
    case State::waiting: return d.last_error;
    case State::retry_wait:
      return "retry" + (d.next_attempt ? " at " + format_utc(*d.next_attempt) : std::string()) +
             (d.last_error.empty() ? "" : " after: " + d.last_error);
    case State::sending: {
      auto it = channels_.find(d.channel);
      if (it != channels_.end())
        for (const auto& s : it->second.settling)
          if (s.key == d.key)
            return "its answer was lost (" + s.lost + "); looking it up, absence counts from " +
                   format_utc(s.absent_counts_from);
      return "being sent";
    }
    case State::planned: break;
    default: return {};
  }
  if (d.planned > now) return {};
  // Due, not yet sent: what holds it, most fundamental first.
  if (store_problem_) return "no create starts while the state database is unavailable: " + *store_problem_;
  if (auto p = pause_of(d.channel)) return "paused: " + p->reason;
  if (!cal_) return {};
  const ChannelSettings* cs = cal_->settings.channel(d.channel);
  if (!cs) return "its channel is no longer in the settings";
  if (!connector(d.channel)) return "channel " + d.channel + " cannot publish (its credentials could not be used)";
  auto it = channels_.find(d.channel);
  const ChannelState empty;
  const ChannelState& st = it == channels_.end() ? empty : it->second;
  if (!st.settling.empty() && st.settling.front().key != d.key)
    return "behind " + st.settling.front().key + ", whose lost answer is being settled (absence counts from " +
           format_utc(st.settling.front().absent_counts_from) + ")";
  if (st.in_flight && st.in_flight_key != d.key) return "behind " + st.in_flight_key + ", " + st.in_flight_what;
  if (st.in_flight && st.in_flight_key == d.key) return st.in_flight_what;
  if (st.platform_wait && *st.platform_wait > now)
    return "the platform's rate limit: not before " + format_utc(*st.platform_wait);
  if (cs->rate && static_cast<int>(st.recent.size()) >= cs->rate->count && st.recent.front() + cs->rate->per > now)
    return "the channel's rate (" + std::to_string(cs->rate->count) + " per " + format_duration(cs->rate->per) +
           "): next free at " + format_utc(st.recent.front() + cs->rate->per);
  if (st.last_sent && cs->min_spacing.count() > 0 && *st.last_sent + cs->min_spacing > now)
    return "min_spacing " + format_duration(cs->min_spacing) + ": not before " +
           format_utc(*st.last_sent + cs->min_spacing);
  if (d.verify) return "due; it is looked up on its platform first (the store is new)";
  return "due; goes out next";
}

}  // namespace herald
