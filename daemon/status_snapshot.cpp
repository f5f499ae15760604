#include "daemon/status_snapshot.hpp"

namespace herald {

int StatusSnapshot::total(State s) const {
  int n = 0;
  for (const auto& [channel, by_state] : counts)
    if (auto it = by_state.find(s); it != by_state.end()) n += it->second;
  return n;
}

int StatusSnapshot::queue_depth(const std::string& channel) const {
  int n = 0;
  if (auto c = counts.find(channel); c != counts.end())
    for (const auto& [state, count] : c->second)
      if (is_open(state)) n += count;
  return n;
}

std::optional<StoredDelivery> StatusSnapshot::next_overall() const {
  std::optional<StoredDelivery> out;
  for (const auto& [channel, d] : next)
    if (!out || d.planned < out->planned || (d.planned == out->planned && d.key < out->key)) out = d;
  return out;
}

StatusSummary StatusSnapshot::summary() const {
  StatusSummary s;
  for (const auto& [channel, by_state] : counts)
    for (const auto& [state, n] : by_state) {
      if (needs_attention(state)) s.attention += static_cast<std::size_t>(n);
      else if (is_open(state)) s.queued += static_cast<std::size_t>(n);
    }
  s.paused = global_pause.has_value();
  if (auto n = next_overall()) s.next = StatusSummary::Next{n->channel, n->planned};
  return s;
}

MetricsGauges StatusSnapshot::gauges(const std::vector<std::string>& channels, bool store_ok) const {
  MetricsGauges g;
  // The gauges the store cannot give now are left out; herald_store_ok says why.
  g.store_ok = store_ok && store_error.empty();
  g.deliveries = counts;
  for (const auto& c : channels) {
    g.deliveries[c];  // a channel with nothing stored shows zeros
    g.queue_depth[c] = queue_depth(c);
    g.channel_paused[c] = channel_pauses.count(c) > 0;
  }
  g.paused = global_pause.has_value();
  return g;
}

StatusSnapshot take_snapshot(Store& store, const Dispatcher* dispatcher, const std::vector<std::string>& channels,
                             Instant now) {
  StatusSnapshot out;
  out.now = now;
  try {
    std::vector<Pause> pauses;
    if (dispatcher) {
      pauses = dispatcher->pauses_in_force();
    } else {
      for (auto& p : store.pauses())
        if (p.active_at(now)) pauses.push_back(std::move(p));
    }
    for (const auto& p : pauses) {
      if (p.channel.empty()) out.global_pause = p;
      else out.channel_pauses.emplace(p.channel, p);
    }
    out.counts = store.counts();
    const std::vector<State> pending{State::planned, State::waiting, State::retry_wait};
    for (const auto& c : channels) {
      auto next = store.in_states(pending, c, 1);
      if (next.empty()) continue;
      if (dispatcher) next.front().why = dispatcher->why(next.front());
      out.next.emplace(c, std::move(next.front()));
    }
  } catch (const std::exception& e) {
    out.store_error = describe_store_failure(e);
  }
  return out;
}

}  // namespace herald
