#include "daemon/loop_backend.hpp"

#include "compose/composer.hpp"
#include "connectors/credentials.hpp"
#include "daemon/on_loop.hpp"
#include "daemon/version.hpp"
#include "scheduler/plan.hpp"

namespace herald {

namespace {

/// How long a status request waits for the loop before answering 503.
constexpr std::chrono::seconds kBackendDeadline{5};
/// /healthz fails when the loop has not beaten for this long.
constexpr std::chrono::seconds kStaleAfter{10};
/// The most deliveries the page's calendar gets in one answer.
constexpr int kCalendarLimit = 5000;
/// The drafts the status lists: a week past their time (reported, not
/// published) to a month ahead.
constexpr std::chrono::hours kDraftsPast{24 * 7};
constexpr std::chrono::hours kDraftsAhead{24 * 30};

}  // namespace

template <typename F>
auto LoopBackend::on_loop(F f) -> decltype(f()) {
  try {
    return run_on_loop(parts_.io, std::move(f), kBackendDeadline);
  } catch (const LoopBusy& e) {
    throw BackendBusy(e.what());
  }
}

StatusSnapshot LoopBackend::snapshot() {
  std::vector<std::string> channels;
  for (const auto& c : parts_.calendar.settings().channels) channels.push_back(c.name);
  return take_snapshot(parts_.store, &parts_.dispatcher, channels, parts_.clock.now());
}

DaemonStatus LoopBackend::status() {
  return on_loop([this] {
    const CalendarApplier& cal = parts_.calendar;
    const StatusSnapshot snap = snapshot();
    DaemonStatus out;
    out.version = kVersion;
    out.started = parts_.started;
    out.now = snap.now;
    out.timezone = cal.settings().timezone;
    out.posts = cal.calendar().calendar.posts.size();
    out.last_reload = cal.last_reload();
    out.last_reload_ok = cal.last_reload_ok();
    out.last_reload_error = cal.last_reload_error();
    // What the store can still tell; when it cannot, the status says why
    // rather than failing.
    out.store_problem = parts_.watch.problem();
    if (out.store_problem.empty()) out.store_problem = snap.store_error;
    if (const auto& held = cal.held())
      out.held_reload = DaemonStatus::HeldReload{held->at, held->cancelled, held->pending, held->sample};
    for (const auto& d : planned_drafts(cal.calendar().calendar, cal.settings(), out.now, out.now - kDraftsPast,
                                        out.now + kDraftsAhead))
      out.drafts.push_back({d.key, d.post, d.channel, d.at});
    out.global_pause = snap.global_pause;
    for (const auto& [channel, by_state] : snap.counts)
      for (const auto& [state, n] : by_state) out.counts[state] += n;
    for (const auto& c : cal.settings().channels) {
      ChannelStatus cs;
      cs.name = c.name;
      cs.kind = c.kind;
      if (auto it = cal.channel_problems().find(c.name); it != cal.channel_problems().end()) {
        cs.can_publish = false;
        cs.problem = it->second;
      }
      if (auto it = cal.credential_expiry().find(c.name); it != cal.credential_expiry().end())
        cs.credentials_expire_at = std::chrono::floor<std::chrono::seconds>(it->second);
      cs.warning = cal.credential_warning(c.name, out.now).value_or("");
      cs.credentials_refused = cal.refused_credentials().count(c.name) > 0;
      if (auto it = snap.channel_pauses.find(c.name); it != snap.channel_pauses.end()) cs.pause = it->second;
      if (auto it = snap.counts.find(c.name); it != snap.counts.end()) cs.counts = it->second;
      if (auto it = snap.next.find(c.name); it != snap.next.end()) cs.next = it->second;
      out.channels.push_back(std::move(cs));
    }
    if (parts_.shared) out.shared = parts_.shared();
    return out;
  });
}

std::vector<StoredDelivery> LoopBackend::queue(const QueueFilter& filter) {
  return on_loop([this, filter] {
    std::vector<State> states{State::planned, State::waiting,  State::held,         State::sending,
                              State::retry_wait, State::failed, State::needs_review};
    if (filter.state) states = {*filter.state};
    auto out = parts_.store.in_states(states, filter.channel, filter.limit);
    for (auto& d : out) d.why = parts_.dispatcher.why(d);
    return out;
  });
}

std::optional<StoredDelivery> LoopBackend::delivery(const std::string& key) {
  return on_loop([this, key] {
    auto d = parts_.store.get(key);
    if (d) d->why = parts_.dispatcher.why(*d);
    return d;
  });
}

std::vector<HistoryEvent> LoopBackend::history(int limit, const std::string& key) {
  return on_loop([this, limit, key] { return parts_.store.history(limit, key); });
}

std::optional<Report> LoopBackend::report(const ReportQuery& query) {
  return on_loop([this, query] {
    return std::optional<Report>(build_report(parts_.store, &parts_.calendar.calendar().calendar, query));
  });
}

std::vector<CalendarEntry> LoopBackend::calendar(Instant from, Instant to) {
  return on_loop([this, from, to] {
    const LoadedCalendar& cal = parts_.calendar.calendar();
    const Settings& settings = cal.settings;
    std::map<std::string, std::vector<EngagementSample>> counters;
    for (auto& sample : parts_.store.latest_engagement(parts_.clock.now()))
      counters[sample.key].push_back(std::move(sample));
    const UrlLookup published = [this](const std::string& key) -> std::optional<std::string> {
      auto target = parts_.store.get(key);
      if (target && target->state == State::published && !target->url.empty()) return target->url;
      return std::nullopt;
    };
    std::vector<CalendarEntry> out;
    for (auto& d : parts_.store.planned_between(from, to, kCalendarLimit)) {
      CalendarEntry e;
      const ChannelSettings* cs = settings.channel(d.channel);
      if (cs) e.channel_kind = std::string(to_string(cs->kind));
      if (const Post* post = cal.calendar.find(d.post)) {
        e.post_kind = std::string(to_string(post->kind));
        e.campaign = post->campaign;
        if (cs) {
          const Composed c = comment_parent(d.key)
                                 ? compose_first_comment(*post, *cs, settings, cal.calendar, published)
                                 : compose(*post, *cs, settings, cal.calendar, published,
                                           format_local(*settings.zone, d.planned));
          e.title = c.title;
          e.text = c.text;
          e.thread = c.thread;
          for (std::size_t i = 0; i < c.media.size(); ++i) e.media_alt.push_back(i < c.media_alt.size() ? c.media_alt[i] : "");
        }
      }
      if (!d.sent_text.empty()) e.text = d.sent_text;  // what went out is what it says
      if (auto it = counters.find(d.key); it != counters.end()) {
        e.read_at = it->second.front().at;
        for (const auto& sample : it->second)
          if (!sample.common.empty()) e.counters[sample.common] += sample.value;
      }
      d.why = parts_.dispatcher.why(d);
      e.delivery = std::move(d);
      out.push_back(std::move(e));
    }
    return out;
  });
}

std::vector<EngagementSample> LoopBackend::engagement(const std::string& key) {
  return on_loop([this, key] { return parts_.store.engagement(key); });
}

std::optional<std::filesystem::path> LoopBackend::media_file(const std::string& post_id, int n) {
  return on_loop([this, post_id, n]() -> std::optional<std::filesystem::path> {
    const Post* post = parts_.calendar.calendar().calendar.find(post_id);
    if (!post || n < 0 || static_cast<std::size_t>(n) >= post->media.size()) return std::nullopt;
    std::filesystem::path file = post->file.parent_path() / post->media[static_cast<std::size_t>(n)];
    std::string ext = file.extension().string();
    for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (ext != ".jpg" && ext != ".jpeg" && ext != ".png" && ext != ".gif" && ext != ".webp") return std::nullopt;
    return file;
  });
}

ActionResult LoopBackend::looked() {
  return on_loop([this] {
    parts_.store.record_look(parts_.clock.now());
    return ActionResult{};
  });
}

ActionResult LoopBackend::pause(const std::string& reason, const std::string& channel, std::optional<Instant> until) {
  return on_loop([this, reason, channel, until] {
    if (!channel.empty() && !parts_.calendar.settings().channel(channel))
      return ActionResult{404, "no channel '" + channel + "'", std::nullopt, {}};
    if (until && *until <= parts_.clock.now()) return ActionResult{400, "'until' is in the past", std::nullopt, {}};
    parts_.dispatcher.pause(channel, reason, until);
    parts_.pump_all();
    ActionResult r;
    r.pauses = parts_.store.pauses();
    return r;
  });
}

ActionResult LoopBackend::resume(const std::string& channel) {
  return on_loop([this, channel] {
    if (!parts_.dispatcher.resume(channel))
      return ActionResult{409, (channel.empty() ? std::string("herald") : "channel '" + channel + "'") +
                                   " is not paused",
                          std::nullopt, parts_.store.pauses()};
    parts_.pump_all();
    ActionResult r;
    r.pauses = parts_.store.pauses();
    return r;
  });
}

ActionResult LoopBackend::retry(const std::string& key) {
  return on_loop([this, key] {
    // The dispatcher wakes the delivery's channel and the channels waiting for it.
    auto done = parts_.dispatcher.retry_by_hand(key);
    return ActionResult{done.status, done.error, parts_.store.get(key), {}};
  });
}

ActionResult LoopBackend::resolve(const std::string& key, const std::string& url) {
  return on_loop([this, key, url] {
    auto done = parts_.dispatcher.resolve_by_hand(key, url);
    return ActionResult{done.status, done.error, parts_.store.get(key), {}};
  });
}

ActionResult LoopBackend::reload(bool accept_cancellations) {
  return on_loop([this, accept_cancellations] {
    parts_.reload(accept_cancellations);
    const CalendarApplier& cal = parts_.calendar;
    if (!cal.last_reload_ok()) return ActionResult{422, "the calendar has errors: " + cal.last_reload_error(), {}, {}};
    if (const auto& held = cal.held())
      return ActionResult{409,
                          "the edit would cancel " + std::to_string(held->cancelled) + " of the " +
                              std::to_string(held->pending) + " pending deliveries (" + held->sample +
                              "); it is held. If that is intended: herald reload --accept-cancellations",
                          {},
                          {}};
    return ActionResult{200, "", {}, {}};
  });
}

Health LoopBackend::health() {
  const auto silent = parts_.heartbeat.silence();
  if (silent > kStaleAfter)
    return {false, "the event loop has not run for " +
                       std::to_string(std::chrono::duration_cast<std::chrono::seconds>(silent).count()) + " s"};
  // What the store watch found on the loop, every beat (a second): the file
  // deleted, replaced, damaged or without room, or a commit that failed.
  if (auto problem = parts_.watch.problem(); !problem.empty()) return {false, problem};
  return {};
}

std::string LoopBackend::metrics() {
  auto gauges = on_loop([this] {
    const StatusSnapshot snap = snapshot();
    std::vector<std::string> channels;
    for (const auto& c : parts_.calendar.settings().channels) channels.push_back(c.name);
    MetricsGauges g = snap.gauges(channels, parts_.watch.problem().empty());
    g.version = kVersion;
    g.reload_held = parts_.calendar.held().has_value();
    const auto& expiry = parts_.calendar.credential_expiry();
    for (const auto& [channel, at] : expiry) g.credentials_expire[channel] = std::chrono::floor<std::chrono::seconds>(at);
    for (const auto& [channel, refused] : parts_.calendar.refused_credentials()) g.credentials_refused.insert(channel);
    g.now = parts_.clock.now();
    return g;
  });
  return parts_.metrics.render(gauges);
}

}  // namespace herald
