#include "daemon/metrics.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <set>
#include <sstream>
#include <type_traits>

namespace herald {

namespace {

constexpr std::array<PublishOutcome, 7> kOutcomes = {PublishOutcome::published,  PublishOutcome::retry,
                                                     PublishOutcome::failed,     PublishOutcome::auth_failed,
                                                     PublishOutcome::unsure,     PublishOutcome::duplicate,
                                                     PublishOutcome::processing};
constexpr std::array<State, 9> kStates = {State::planned,   State::waiting,   State::held,
                                          State::sending,   State::retry_wait, State::published,
                                          State::failed,    State::needs_review, State::cancelled};

// The shortest decimal that reads back as the same double, never in
// exponent form (Prometheus reads both; fixed is easier on people).
std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::array<char, 400> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed);
  if (ec != std::errc{}) return "NaN";
  return std::string(buf.data(), end);
}

// HELP text escapes only backslash and newline.
std::string escape_help(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void family(std::ostream& out, std::string_view name, std::string_view type, std::string_view help) {
  out << "# HELP " << name << ' ' << escape_help(help) << '\n' << "# TYPE " << name << ' ' << type << '\n';
}

std::string label(std::string_view name, std::string_view value) {
  return std::string(name) + "=\"" + escape_label_value(value) + '"';
}

}  // namespace

std::string_view to_string(PublishOutcome outcome) {
  switch (outcome) {
    case PublishOutcome::published: return "published";
    case PublishOutcome::retry: return "retry";
    case PublishOutcome::failed: return "failed";
    case PublishOutcome::auth_failed: return "auth_failed";
    case PublishOutcome::unsure: return "unsure";
    case PublishOutcome::duplicate: return "duplicate";
    case PublishOutcome::processing: return "processing";
  }
  return "unknown";
}

PublishOutcome outcome_of(const PublishResult& result) {
  return std::visit(
      [](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, Published>) return PublishOutcome::published;
        else if constexpr (std::is_same_v<T, RetryLater>) return PublishOutcome::retry;
        else if constexpr (std::is_same_v<T, Failed>) return PublishOutcome::failed;
        else if constexpr (std::is_same_v<T, AuthFailed>) return PublishOutcome::auth_failed;
        else if constexpr (std::is_same_v<T, Duplicate>) return PublishOutcome::duplicate;
        else if constexpr (std::is_same_v<T, Processing>) return PublishOutcome::processing;
        else return PublishOutcome::unsure;
      },
      result);
}

std::string_view read_outcome(const CountersResult& result) {
  return std::visit(
      [](const auto& r) -> std::string_view {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, Counters>) return "read";
        else if constexpr (std::is_same_v<T, RetryLater>) return "retry";
        else if constexpr (std::is_same_v<T, Failed>) return "failed";
        else if constexpr (std::is_same_v<T, AuthFailed>) return "auth_failed";
        else return "gone";
      },
      result);
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void Metrics::attempt(const std::string& channel) {
  std::lock_guard lock(mutex_);
  ++attempts_[channel];
}

void Metrics::counter_read(const std::string& channel, std::string_view outcome) {
  std::lock_guard lock(mutex_);
  ++reads_[channel][std::string(outcome)];
}

void Metrics::result(const std::string& channel, PublishOutcome outcome) {
  std::lock_guard lock(mutex_);
  ++results_[channel][outcome];
}

void Metrics::lateness(const std::string& channel, std::chrono::duration<double> lateness) {
  // A result a little before its planned instant is clock skew, not earliness
  // worth a negative sum; NaN never reaches the histogram.
  const double seconds = std::isnan(lateness.count()) ? 0.0 : std::max(0.0, lateness.count());
  std::lock_guard lock(mutex_);
  Histogram& h = lateness_[channel];
  const auto* bound = std::lower_bound(kLatenessBuckets.begin(), kLatenessBuckets.end(), seconds);
  if (bound != kLatenessBuckets.end()) ++h.buckets[static_cast<std::size_t>(bound - kLatenessBuckets.begin())];
  ++h.count;
  h.sum += seconds;
}

void Metrics::reload(bool ok, Instant at) {
  std::lock_guard lock(mutex_);
  ++(ok ? reloads_ok_ : reloads_failed_);
  last_reload_ = at;
}

void Metrics::lease_taken(bool took_over) {
  std::lock_guard lock(mutex_);
  leader_ = true;
  if (took_over) ++takeovers_;
}

void Metrics::lease_renewed() {
  std::lock_guard lock(mutex_);
  ++lease_renewals_;
}

void Metrics::lease_lost() {
  std::lock_guard lock(mutex_);
  leader_ = false;
}

void Metrics::standing_by() {
  std::lock_guard lock(mutex_);
  leader_ = false;
}

void Metrics::calendar_differs(bool differs) {
  std::lock_guard lock(mutex_);
  calendar_differs_ = differs;
}

std::string Metrics::render(const MetricsGauges& g) const {
  std::ostringstream out;
  std::lock_guard lock(mutex_);

  // Every channel either side knows of, so a channel's counters exist (at 0)
  // from the first scrape and rate() sees their first increase.
  std::set<std::string> channels;
  for (const auto& [c, _] : g.deliveries) channels.insert(c);
  for (const auto& [c, _] : g.queue_depth) channels.insert(c);
  for (const auto& [c, _] : g.channel_paused) channels.insert(c);
  for (const auto& [c, _] : attempts_) channels.insert(c);
  for (const auto& [c, _] : results_) channels.insert(c);
  for (const auto& [c, _] : lateness_) channels.insert(c);

  family(out, "herald_build_info", "gauge", "herald's version; always 1.");
  out << "herald_build_info{" << label("version", g.version) << "} 1\n";

  family(out, "herald_deliveries", "gauge", "Deliveries in the store by channel and state.");
  for (const auto& [channel, counts] : g.deliveries) {
    for (State s : kStates) {
      const auto it = counts.find(s);
      out << "herald_deliveries{" << label("channel", channel) << ',' << label("state", to_string(s)) << "} "
          << (it == counts.end() ? 0 : it->second) << '\n';
    }
  }

  family(out, "herald_queue_depth", "gauge", "Deliveries of a channel not yet out (planned, waiting, held, sending, retry_wait).");
  for (const auto& [channel, depth] : g.queue_depth)
    out << "herald_queue_depth{" << label("channel", channel) << "} " << depth << '\n';

  family(out, "herald_paused", "gauge", "1 while everything is paused.");
  out << "herald_paused " << (g.paused ? 1 : 0) << '\n';

  family(out, "herald_store_ok", "gauge", "1 while the state database is usable; 0 while no create starts.");
  out << "herald_store_ok " << (g.store_ok ? 1 : 0) << '\n';

  family(out, "herald_reload_held", "gauge", "1 while a calendar edit that would cancel many deliveries waits to be accepted.");
  out << "herald_reload_held " << (g.reload_held ? 1 : 0) << '\n';

  family(out, "herald_channel_paused", "gauge", "1 while the channel's own pause is in force.");
  for (const auto& [channel, paused] : g.channel_paused)
    out << "herald_channel_paused{" << label("channel", channel) << "} " << (paused ? 1 : 0) << '\n';

  family(out, "herald_credentials_expiry_timestamp_seconds", "gauge",
         "When the channel's credentials expire (Unix time), where the platform says (LinkedIn).");
  for (const auto& [channel, at] : g.credentials_expire)
    out << "herald_credentials_expiry_timestamp_seconds{" << label("channel", channel) << "} "
        << at.time_since_epoch().count() << '\n';

  if (!reads_.empty()) {
    family(out, "herald_engagement_reads_total", "counter",
           "Reads of published posts' counters (engagement): read, retry, failed, auth_failed, gone.");
    for (const auto& [channel, outcomes] : reads_)
      for (const auto& [outcome, n] : outcomes)
        out << "herald_engagement_reads_total{" << label("channel", channel) << ',' << label("outcome", outcome) << "} "
            << n << '\n';
  }

  if (!g.credentials_expire.empty()) {
    family(out, "herald_credential_expiry_seconds", "gauge",
           "Seconds until the channel's credentials expire (negative: expired), where the platform says.");
    for (const auto& [channel, at] : g.credentials_expire)
      out << "herald_credential_expiry_seconds{" << label("channel", channel) << "} "
          << (at - g.now).count() << '\n';
  }
  if (!g.credentials_refused.empty()) {
    family(out, "herald_credentials_refused", "gauge",
           "1 while the platform refuses the channel's credentials (replace the file, then herald reload).");
    for (const auto& channel : g.credentials_refused)
      out << "herald_credentials_refused{" << label("channel", channel) << "} 1\n";
  }

  family(out, "herald_publish_attempts_total", "counter", "Create requests sent to the platform.");
  for (const auto& channel : channels) {
    const auto it = attempts_.find(channel);
    out << "herald_publish_attempts_total{" << label("channel", channel) << "} "
        << (it == attempts_.end() ? 0 : it->second) << '\n';
  }

  family(out, "herald_publish_results_total", "counter",
         "What create requests came to: published, retry, failed, auth_failed, unsure (outcome unknown).");
  for (const auto& channel : channels) {
    const auto it = results_.find(channel);
    for (PublishOutcome o : kOutcomes) {
      std::uint64_t n = 0;
      if (it != results_.end()) {
        if (auto found = it->second.find(o); found != it->second.end()) n = found->second;
      }
      out << "herald_publish_results_total{" << label("channel", channel) << ',' << label("outcome", to_string(o))
          << "} " << n << '\n';
    }
  }

  family(out, "herald_publish_lateness_seconds", "histogram",
         "Seconds from a delivery's planned instant to its published result.");
  for (const auto& channel : channels) {
    const auto it = lateness_.find(channel);
    const Histogram h = it == lateness_.end() ? Histogram{} : it->second;
    const std::string ch = label("channel", channel);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kLatenessBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      out << "herald_publish_lateness_seconds_bucket{" << ch << ',' << label("le", number(kLatenessBuckets[i]))
          << "} " << cumulative << '\n';
    }
    out << "herald_publish_lateness_seconds_bucket{" << ch << ",le=\"+Inf\"} " << h.count << '\n';
    out << "herald_publish_lateness_seconds_sum{" << ch << "} " << number(h.sum) << '\n';
    out << "herald_publish_lateness_seconds_count{" << ch << "} " << h.count << '\n';
  }

  family(out, "herald_calendar_reloads_total", "counter", "Calendar loads (start-up included) by result.");
  out << "herald_calendar_reloads_total{result=\"success\"} " << reloads_ok_ << '\n';
  out << "herald_calendar_reloads_total{result=\"failure\"} " << reloads_failed_ << '\n';

  if (last_reload_) {
    family(out, "herald_calendar_last_reload_timestamp_seconds", "gauge",
           "Unix time of the last calendar load attempt.");
    out << "herald_calendar_last_reload_timestamp_seconds " << last_reload_->time_since_epoch().count() << '\n';
  }

  if (leader_) {
    family(out, "herald_leader", "gauge", "1 while this instance holds the shared store's lease and dispatches.");
    out << "herald_leader " << (*leader_ ? 1 : 0) << '\n';
    family(out, "herald_lease_renewals_total", "counter", "Renewals of the shared store's lease by this instance.");
    out << "herald_lease_renewals_total " << lease_renewals_ << '\n';
    family(out, "herald_failovers_total", "counter",
           "Times this instance took the shared store's lease over from another whose lease had lapsed.");
    out << "herald_failovers_total " << takeovers_ << '\n';
  }
  if (calendar_differs_) {
    family(out, "herald_calendar_differs", "gauge",
           "1 while this host's calendar is not the one whose plan the shared store holds.");
    out << "herald_calendar_differs " << (*calendar_differs_ ? 1 : 0) << '\n';
  }
  return out.str();
}

}  // namespace herald
