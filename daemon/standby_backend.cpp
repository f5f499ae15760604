#include "daemon/standby_backend.hpp"

#include "daemon/status_snapshot.hpp"
#include "daemon/version.hpp"

namespace herald {

StandbyBackend::StandbyBackend(Store& store, const Clock& clock, Metrics& metrics, std::string instance,
                               Instant started, View view)
    : store_(store),
      clock_(clock),
      metrics_(metrics),
      instance_(std::move(instance)),
      started_(started),
      view_(std::move(view)) {}

void StandbyBackend::update(View view) {
  std::lock_guard lock(view_mutex_);
  view_ = std::move(view);
}

StandbyBackend::View StandbyBackend::view() const {
  std::lock_guard lock(view_mutex_);
  return view_;
}

DaemonStatus StandbyBackend::status() {
  const View v = view();
  const Settings& settings = v.calendar->settings;
  std::vector<std::string> channels;
  for (const auto& c : settings.channels) channels.push_back(c.name);
  const StatusSnapshot snap = with_store([&](Store& s) { return take_snapshot(s, nullptr, channels, clock_.now()); });
  DaemonStatus out;
  out.version = kVersion;
  out.started = started_;
  out.now = snap.now;
  out.timezone = settings.timezone;
  out.posts = v.calendar->calendar.posts.size();
  out.last_reload = started_;
  out.store_problem = !v.problem.empty() ? v.problem : snap.store_error;
  out.global_pause = snap.global_pause;
  for (const auto& [channel, by_state] : snap.counts)
    for (const auto& [state, n] : by_state) out.counts[state] += n;
  for (const auto& c : settings.channels) {
    ChannelStatus cs;
    cs.name = c.name;
    cs.kind = c.kind;
    if (auto it = snap.channel_pauses.find(c.name); it != snap.channel_pauses.end()) cs.pause = it->second;
    if (auto it = snap.counts.find(c.name); it != snap.counts.end()) cs.counts = it->second;
    if (auto it = snap.next.find(c.name); it != snap.next.end()) cs.next = it->second;
    out.channels.push_back(std::move(cs));
  }
  out.shared = DaemonStatus::Shared{false, instance_, v.active_instance, v.calendar_fingerprint, v.store_calendar,
                                    false};
  return out;
}

std::vector<StoredDelivery> StandbyBackend::queue(const QueueFilter& filter) {
  std::vector<State> states{State::planned, State::waiting,  State::held,        State::sending,
                            State::retry_wait, State::failed, State::needs_review};
  if (filter.state) states = {*filter.state};
  return with_store([&](Store& s) { return s.in_states(states, filter.channel, filter.limit); });
}

std::optional<StoredDelivery> StandbyBackend::delivery(const std::string& key) {
  return with_store([&](Store& s) { return s.get(key); });
}

std::vector<HistoryEvent> StandbyBackend::history(int limit, const std::string& key) {
  return with_store([&](Store& s) { return s.history(limit, key); });
}

ActionResult StandbyBackend::refuse(const std::string& what) const {
  const View v = view();
  ActionResult r;
  r.http_status = 409;
  r.active_instance = v.active_instance.empty() ? "none" : v.active_instance;
  r.error = "this instance (" + instance_ + ") is standing by; " + what + " is for the active instance, " +
            r.active_instance + ": ask its status endpoint, or run the herald command on its host";
  return r;
}

ActionResult StandbyBackend::pause(const std::string&, const std::string&, std::optional<Instant>) {
  return refuse("a pause");
}
ActionResult StandbyBackend::resume(const std::string&) { return refuse("a resume"); }
ActionResult StandbyBackend::looked() { return refuse("marking the conversations as looked at"); }

std::optional<Report> StandbyBackend::report(const ReportQuery& query) {
  return with_store([&](Store& s) { return std::optional<Report>(build_report(s, nullptr, query)); });
}
ActionResult StandbyBackend::retry(const std::string&) { return refuse("a retry"); }
ActionResult StandbyBackend::resolve(const std::string&, const std::string&) { return refuse("resolving a delivery"); }
ActionResult StandbyBackend::reload(bool) { return refuse("a reload"); }

// Healthy while it can ask the store: it is ready to take over.
Health StandbyBackend::health() {
  const View v = view();
  if (!v.problem.empty()) return {false, v.problem};
  return {};
}

std::string StandbyBackend::metrics() {
  const View v = view();
  std::vector<std::string> channels;
  for (const auto& c : v.calendar->settings.channels) channels.push_back(c.name);
  const StatusSnapshot snap = with_store([&](Store& s) { return take_snapshot(s, nullptr, channels, clock_.now()); });
  MetricsGauges g = snap.gauges(channels, v.problem.empty());
  g.version = kVersion;
  return metrics_.render(g);
}

}  // namespace herald
