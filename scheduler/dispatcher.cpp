#include "scheduler/dispatcher.hpp"

#include "compose/composer.hpp"
#include "scheduler/fault.hpp"
#include "scheduler/plan.hpp"

#include <algorithm>

namespace herald {

namespace {

std::string local_text(const Settings& s, Instant at) {
  const std::string rfc = format_local(*s.zone, at);
  return rfc.substr(0, 10) + " " + rfc.substr(11, 5);
}

// FNV-1a: a stable hash across runs and builds, to notice edits of a post.
std::string content_hash(const Composed& c, Instant at) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char ch : s) {
      h ^= ch;
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  };
  mix(c.text);
  for (const auto& t : c.thread) mix(t);
  mix(c.title);
  mix(c.link);
  mix(c.excerpt);
  for (const auto& m : c.media) mix(m.string());
  mix(c.video);
  mix(c.video_file);
  mix(c.privacy);
  for (const auto& t : c.tags) mix(t);
  for (const auto& t : c.categories) mix(t);
  mix(std::to_string(at.time_since_epoch().count()));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

std::vector<PlannedDelivery> planned_deliveries(const LoadedCalendar& cal, Instant now, Instant from, Instant to,
                                                const std::map<std::string, Instant>& pinned) {
  PlanRequest req{now, from, to, {}, {}};
  req.pinned = pinned;
  Diagnostics ignored;
  const auto deliveries = plan(cal.calendar, cal.settings, req, ignored);
  const UrlLookup previews = preview_urls(cal.calendar, cal.settings);
  std::vector<PlannedDelivery> out;
  out.reserve(deliveries.size());
  for (const auto& d : deliveries) {
    const ChannelSettings* cs = cal.settings.channel(d.channel);
    const Composed c = compose(*d.source, *cs, cal.settings, cal.calendar, previews);
    out.push_back({d.key, d.post, d.channel, d.at, content_hash(c, d.at), d.queued});
  }
  return out;
}

Dispatcher::Dispatcher(Store& store, const Clock& clock, Executor& executor, Logger& log)
    : store_(store), clock_(clock), executor_(executor), log_(log) {
  random_ = [gen = std::mt19937_64{std::random_device{}()}]() mutable {
    return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
  };
}

void Dispatcher::configure(std::shared_ptr<const LoadedCalendar> calendar) { cal_ = std::move(calendar); }

void Dispatcher::set_connector(const std::string& channel, Connector* connector) { connectors_[channel] = connector; }

std::vector<std::string> Dispatcher::channels() const {
  std::vector<std::string> out;
  if (cal_)
    for (const auto& c : cal_->settings.channels) out.push_back(c.name);
  return out;
}

void Dispatcher::change(const StoredDelivery& d, Event event, const std::string& detail) {
  auto to = transition(d.state, event);
  if (!to) {
    log_.warning(d.key + ": ignored " + std::string(to_string(event)) + " in state " + std::string(to_string(d.state)));
    return;
  }
  store_.set_state(d.key, *to, std::string(to_string(event)), detail, clock_.now());
  log_.log(*to == State::needs_review || *to == State::failed ? Priority::warning : Priority::info,
           d.key + ": " + std::string(to_string(d.state)) + " -> " + std::string(to_string(*to)) +
               (detail.empty() ? "" : " (" + detail + ")"));
}

std::optional<Pause> Dispatcher::pause_of(const std::string& channel) const {
  const Instant now = clock_.now();
  std::optional<Pause> found;
  for (const auto& p : store_.pauses()) {
    if (p.until && *p.until <= now) continue;
    if (p.channel.empty() || p.channel == channel) {
      if (!found || p.channel.empty()) found = p;
    }
  }
  return found;
}

void Dispatcher::pause(const std::string& channel, const std::string& reason, std::optional<Instant> until) {
  store_.set_pause({channel, reason, clock_.now(), until}, clock_.now());
  log_.warning((channel.empty() ? std::string("all channels") : "channel " + channel) + " paused: " + reason);
}

bool Dispatcher::resume(const std::string& channel) {
  if (!store_.clear_pause(channel, clock_.now())) return false;
  log_.info((channel.empty() ? std::string("all channels") : "channel " + channel) + " resumed");
  // Held deliveries come back; those overdue beyond the late window need a person.
  for (const auto& d : store_.in_states({State::held})) {
    if (pause_of(d.channel)) continue;
    change(d, Event::resume, "");
  }
  apply_late_window("was paused");
  return true;
}

void Dispatcher::reconcile(std::function<void()> done) {
  const auto pending = cal_ ? store_.in_states({State::sending}) : std::vector<StoredDelivery>{};
  // Counts the lookups still out; the last one to answer calls `done`.
  auto left = std::make_shared<std::size_t>(pending.size() + 1);
  auto one_done = [left, done] {
    if (--*left == 0 && done) done();
  };
  for (const auto& d : pending) {
    const Post* post = cal_->calendar.find(d.post);
    const ChannelSettings* cs = cal_->settings.channel(d.channel);
    auto it = connectors_.find(d.channel);
    if (!post || !cs || it == connectors_.end() || !it->second) {
      change(d, Event::outcome_unknown, "outcome unknown after a restart, and the post or its connector is gone");
      one_done();
      continue;
    }
    PublishRequest req = request_for(d, *post, *cs);
    req.composed.text = d.sent_text.empty() ? req.composed.text : d.sent_text;
    const std::string key = d.key;
    executor_.lookup(*it->second, std::move(req), [this, key, one_done](LookupResult r) {
      auto cur = store_.get(key);
      if (!cur || cur->state != State::sending) {
        one_done();
        return;
      }
      if (auto* f = std::get_if<Found>(&r)) {
        store_.mark_published(key, f->remote_id, f->url, clock_.now());
        log_.info(key + ": sending -> published (found on the platform after a restart: " + f->url + ")");
      } else if (std::get_if<Absent>(&r)) {
        change(*cur, Event::absent_on_platform, "not on the platform after a restart; due again");
      } else {
        change(*cur, Event::outcome_unknown,
               "outcome unknown after a restart: " + std::get<Unknown>(r).message + "; check the platform and resolve or retry");
      }
      one_done();
    });
  }
  one_done();
}

void Dispatcher::apply_late_window(const std::string& why) {
  if (!cal_) return;
  const Instant now = clock_.now();
  for (const auto& d : store_.in_states({State::planned, State::retry_wait})) {
    const ChannelSettings* cs = cal_->settings.channel(d.channel);
    if (!cs) continue;
    const Instant due = d.state == State::retry_wait && d.next_attempt ? *d.next_attempt : d.planned;
    if (now - due > cal_->settings.late_window(*cs))
      change(d, Event::missed, "missed: due at " + local_text(cal_->settings, due) + ", daemon " + why);
  }
}

bool Dispatcher::dependencies_published(const StoredDelivery& d, std::vector<std::string>& missing) {
  for (const auto& dep : cal_->references.of(d.post + "@" + d.channel)) {
    auto target = store_.get(dep);
    if (!target || target->state != State::published || target->url.empty()) missing.push_back(dep);
  }
  return missing.empty();
}

std::optional<Instant> Dispatcher::spacing_wait(const ChannelSettings& cs, const ChannelState& st) const {
  std::optional<Instant> wait;
  if (st.last_sent && cs.min_spacing.count() > 0) wait = *st.last_sent + cs.min_spacing;
  if (cs.rate && static_cast<int>(st.recent.size()) >= cs.rate->count) {
    const Instant free_at = st.recent.front() + cs.rate->per;
    if (!wait || free_at > *wait) wait = free_at;
  }
  if (st.platform_wait && (!wait || *st.platform_wait > *wait)) wait = st.platform_wait;
  if (wait && *wait <= clock_.now()) return std::nullopt;
  return wait;
}

PublishRequest Dispatcher::request_for(const StoredDelivery& d, const Post& post, const ChannelSettings& cs) {
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
  req.composed = compose(post, cs, cal_->settings, cal_->calendar, published, req.local_time);
  return req;
}

void Dispatcher::pump_all() {
  for (const auto& c : channels()) pump(c);
}

void Dispatcher::pump(const std::string& channel) {
  if (!cal_) return;
  const ChannelSettings* cs = cal_->settings.channel(channel);
  if (!cs) return;
  ChannelState& st = channels_[channel];
  const Instant now = clock_.now();
  while (!st.recent.empty() && cs->rate && st.recent.front() + cs->rate->per <= now) st.recent.pop_front();

  // A pause whose `until` has come ends here, and what it held comes back
  // under the late-window rule, as after `herald resume`.
  for (const auto& p : store_.pauses()) {
    if (p.until && *p.until <= now && (p.channel.empty() || p.channel == channel)) {
      store_.clear_pause(p.channel, now);
      log_.info((p.channel.empty() ? std::string("all channels") : "channel " + p.channel) + " resumed (until reached)");
    }
  }
  const auto pause = pause_of(channel);
  if (!pause) {
    bool released = false;
    for (const auto& d : store_.in_states({State::held}, channel)) {
      change(d, Event::resume, "");
      released = true;
    }
    if (released) apply_late_window("was paused");
  }
  const bool has_connector = connectors_.count(channel) && connectors_[channel];
  if (!has_connector && !pause) {
    if (st.warned_no_connector) return;
    st.warned_no_connector = true;
    log_.warning("channel " + channel + " (" + std::string(to_string(cs->kind)) +
                 ") cannot publish; its deliveries wait until its credentials are fixed and the calendar reloaded");
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
  const Post* post = cal_->calendar.find(d.post);
  if (!post) {
    change(d, Event::removed, "its post is no longer in the calendar");
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
  if (spacing_wait(cs, st)) return true;
  if (d.state == State::waiting) change(d, Event::dependency_met, "");
  if (d.state == State::retry_wait) change(d, Event::retry_due, "");
  auto fresh = store_.get(d.key);
  if (!fresh || fresh->state != State::planned) return false;
  start_send(*fresh, *post, cs);
  return true;  // one request in flight per channel
}

void Dispatcher::start_send(const StoredDelivery& d, const Post& post, const ChannelSettings& cs) {
  PublishRequest req = request_for(d, post, cs);
  ChannelState& st = channels_[d.channel];
  // Durable before the request: after a crash this delivery is looked up, never resent blindly.
  store_.mark_sending(d.key, req.composed.text, clock_.now());
  fault_point("after_sending_commit");
  log_.info(d.key + ": planned -> sending (attempt " + std::to_string(d.attempts + 1) + ")");
  st.in_flight = true;
  st.last_sent = clock_.now();
  st.recent.push_back(clock_.now());
  const std::string key = d.key, channel = d.channel;
  executor_.publish(*connectors_[d.channel], std::move(req),
                    [this, key, channel](PublishResult r) { finish(key, channel, std::move(r)); });
}

void Dispatcher::finish(const std::string& key, const std::string& channel, PublishResult result) {
  ChannelState& st = channels_[channel];
  st.in_flight = false;
  auto d = store_.get(key);
  if (!d || d->state != State::sending) return;
  const Instant now = clock_.now();
  fault_point("before_result_commit");
  if (auto* unsure = std::get_if<Unsure>(&result)) {
    if (on_result) on_result(channel, result, d->planned, now);
    // The post may exist: look before leaping. The channel stays busy until
    // the lookup answers, so nothing else overtakes this delivery.
    const Post* post = cal_ ? cal_->calendar.find(d->post) : nullptr;
    const ChannelSettings* cs = cal_ ? cal_->settings.channel(channel) : nullptr;
    auto conn = connectors_.find(channel);
    if (!post || !cs || conn == connectors_.end() || !conn->second) {
      change(*d, Event::outcome_unknown, "outcome unknown: " + unsure->message);
      if (on_change) on_change(channel);
      return;
    }
    st.in_flight = true;
    PublishRequest req = request_for(*d, *post, *cs);
    req.composed.text = d->sent_text.empty() ? req.composed.text : d->sent_text;
    const std::string message = unsure->message;
    executor_.lookup(*conn->second, std::move(req), [this, key, channel, message](LookupResult r) {
      channels_[channel].in_flight = false;
      if (auto* f = std::get_if<Found>(&r)) {
        finish(key, channel, Published{f->remote_id, f->url});
      } else if (std::get_if<Absent>(&r)) {
        finish(key, channel, RetryLater{std::nullopt, message + "; the platform has no such post"});
      } else {
        auto cur = store_.get(key);
        if (cur && cur->state == State::sending)
          change(*cur, Event::outcome_unknown,
                 "outcome unknown: " + message + "; lookup: " + std::get<Unknown>(r).message);
        if (on_change) on_change(channel);
      }
    });
    return;
  }
  if (on_result) on_result(channel, result, d->planned, now);
  if (auto* p = std::get_if<Published>(&result)) {
    store_.mark_published(key, p->remote_id, p->url, now);
    log_.info(key + ": sending -> published " + p->url);
  } else if (auto* r = std::get_if<RetryLater>(&result)) {
    const RetryPolicy policy = cal_ ? RetryPolicy::from(cal_->settings.publishing.retry) : RetryPolicy{};
    // Attempts since the editor or a person last gave it a fresh start, so an
    // edited or retried delivery gets its full retries again.
    int attempts = 0;
    for (const auto& e : store_.history(100000, key)) {  // newest first
      if (e.event == "edited" || e.event == "retry_requested") break;
      if (e.to_state == "sending") ++attempts;
    }
    attempts = std::max(attempts, 1);
    // The platform's own wait (a rate limit's reset) holds the whole
    // channel: the account is limited, not this one post.
    if (r->after) st.platform_wait = now + *r->after;
    if (auto delay = policy.delay(attempts, random_(), r->after)) {
      store_.mark_retry(key, now + *delay, r->message, now);
      log_.warning(key + ": sending -> retry_wait in " + std::to_string(delay->count()) + "s (" + r->message + ")");
    } else {
      change(*d, Event::permanent_error, "gave up after " + std::to_string(attempts) + " attempts: " + r->message);
    }
  } else if (auto* f = std::get_if<Failed>(&result)) {
    change(*d, Event::permanent_error, f->message);
  } else if (auto* dup = std::get_if<Duplicate>(&result)) {
    change(*d, Event::permanent_error, dup->message);
  } else if (auto* a = std::get_if<AuthFailed>(&result)) {
    change(*d, Event::auth_error, "credentials rejected: " + a->message);
    pause(channel, "credentials rejected: " + a->message, std::nullopt);
  }
  if (on_change) on_change(channel);
}

Dispatcher::ManualResult Dispatcher::retry_by_hand(const std::string& key) {
  auto d = store_.get(key);
  if (!d) return {404, "no delivery '" + key + "'"};
  if (!transition(d->state, Event::retry_requested))
    return {409, key + " is " + std::string(to_string(d->state)) + "; only failed and needs_review deliveries can be retried"};
  // Planned again at its old instant, so it is due at once and goes before
  // later deliveries of its channel; the late window is not applied to it:
  // a person asked for it now.
  change(*d, Event::retry_requested, "asked for by a person");
  if (on_change) on_change(d->channel);
  return {};
}

Dispatcher::ManualResult Dispatcher::resolve_by_hand(const std::string& key, const std::string& url) {
  auto d = store_.get(key);
  if (!d) return {404, "no delivery '" + key + "'"};
  if (!transition(d->state, Event::resolved))
    return {409, key + " is " + std::string(to_string(d->state)) +
                     "; only needs_review and failed deliveries can be resolved by hand"};
  store_.mark_published(key, d->remote_id, url, clock_.now(), std::string(to_string(Event::resolved)));
  log_.info(key + ": " + std::string(to_string(d->state)) + " -> published " + url + " (resolved by a person)");
  if (on_change) on_change(d->channel);
  return {};
}

std::optional<Instant> Dispatcher::next_wake(const std::string& channel) const {
  if (!cal_) return std::nullopt;
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
  auto connector = connectors_.find(channel);
  if (!paused && (connector == connectors_.end() || !connector->second)) return wake;
  const auto due = store_.next_due(channel);
  if (due) consider(*due);
  // While paused, due deliveries are woken only to be held; no spacing applies.
  if (due && *due <= clock_.now() && !paused)
    if (auto w = spacing_wait(*cs, st)) wake = *w;
  return wake;
}

}  // namespace herald
