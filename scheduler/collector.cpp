#include "scheduler/collector.hpp"

#include "config/channel_kind.hpp"
#include "config/duration.hpp"

#include <algorithm>

namespace herald {

namespace {

using namespace std::chrono_literals;

// A failed read waits 1 minute, then twice as long each time, at most 6 hours.
std::chrono::seconds backoff(int failures) {
  std::chrono::seconds wait = 1min;
  for (int i = 1; i < failures && wait < 6h; ++i) wait *= 2;
  return std::min<std::chrono::seconds>(wait, 6h);
}

// Credentials the platform refused: tried again in an hour (a person
// replaces the file; the dispatcher's creates say so as well).
constexpr std::chrono::seconds kAuthWait = 1h;

// A post the platform says is gone is asked for once more, this much later.
constexpr std::chrono::seconds kGoneAgain = 1h;
const std::string kGoneOnce = "the platform says the post is gone (asking once more): ";

}  // namespace

Collector::Collector(Store& store, const Clock& clock, Executor& executor, Wakes& wakes, Logger& log)
    : store_(store), clock_(clock), executor_(executor), wakes_(wakes), log_(log) {
  wakes_.on_wake([this](const std::vector<std::string>& platforms) {
    for (const auto& p : platforms) pump(p);
  });
}

void Collector::configure(const Settings& settings) {
  schedule_ = settings.report.collect_after;
  platform_of_.clear();
  std::map<std::string, Platform> next;
  for (const auto& c : settings.channels) {
    const ChannelKindInfo& info = kind_info(c.kind);
    const std::string platform(info.name);
    platform_of_[c.name] = platform;
    Platform& p = next[platform];
    p.spacing = info.read_spacing;
    // What is under way goes on: a read in flight, the platform's own wait.
    if (auto it = platforms_.find(platform); it != platforms_.end()) {
      p.in_flight = it->second.in_flight;
      p.not_before = it->second.not_before;
    }
  }
  // A platform no channel uses any more reads nothing.
  for (const auto& [platform, p] : platforms_)
    if (!next.count(platform)) wakes_.wake_at(platform, std::nullopt);
  platforms_ = std::move(next);
  for (auto& [channel, connector] : connectors_) set_connector(channel, connector);
  wake_all();
}

void Collector::set_connector(const std::string& channel, Connector* connector) {
  connectors_[channel] = connector;
  auto it = platform_of_.find(channel);
  if (it == platform_of_.end()) return;
  auto& channels = platforms_[it->second].channels;
  const bool reads = connector && connector->reads_counters();
  const auto at = std::find(channels.begin(), channels.end(), channel);
  if (reads && at == channels.end()) channels.push_back(channel);
  if (!reads && at != channels.end()) channels.erase(at);
}

void Collector::wake_all() {
  for (const auto& [platform, p] : platforms_) book(platform, clock_.now());
}

void Collector::published(const std::string& channel) {
  // Called with the create's result, before the loop writes it: the store
  // has no collection for it yet. Its first read is due after the first
  // delay from now; the platform's booking moves up to it if it is sooner.
  auto it = platform_of_.find(channel);
  if (it == platform_of_.end() || schedule_.empty()) return;
  Platform& p = platforms_[it->second];
  if (p.in_flight) return;  // the read's result books from the store
  const Instant first = clock_.now() + schedule_.front();
  if (!p.next || first < *p.next) book(it->second, first);
}

std::optional<Instant> Collector::next_read(const std::string& platform) const {
  auto it = platforms_.find(platform);
  return it == platforms_.end() ? std::nullopt : it->second.next;
}

Instant Collector::due(const Collection& c) const {
  if (c.stage == 0 && !schedule_.empty()) return c.published_at + schedule_.front();
  return c.next_read;
}

void Collector::book(const std::string& platform, std::optional<Instant> at) {
  auto it = platforms_.find(platform);
  if (it != platforms_.end()) it->second.next = at;
  wakes_.wake_at(platform, at);
}

void Collector::pump(const std::string& platform) {
  auto it = platforms_.find(platform);
  if (it == platforms_.end() || schedule_.empty()) return;
  Platform& p = it->second;
  if (p.in_flight) return;  // its result books the next read
  const Instant now = clock_.now();
  if (p.not_before && *p.not_before > now) return book(platform, p.not_before);

  std::optional<Collection> best;
  std::optional<Instant> next;  // when something may be read, if not now
  auto sooner = [&](Instant at) {
    if (!next || at < *next) next = at;
  };
  try {
    for (const auto& channel : p.channels) {
      if (pause_of_) {
        if (auto pause = pause_of_(channel)) {
          // None of its reads while it holds; a pause without an end is
          // lifted by a person, whose resume wakes every platform.
          if (pause->until) sooner(*pause->until);
          continue;
        }
      }
      for (auto& c : store_.pending_reads(channel, 1)) {
        if (!best || due(c) < due(*best)) best = std::move(c);
      }
    }
  } catch (const std::exception& e) {
    // The dispatcher reports the store's problems; counters wait a minute.
    log_.warning("engagement: " + platform + ": the store could not be read (" + describe_store_failure(e) +
                 "); reading counters again in a minute");
    return book(platform, now + 1min);
  }
  if (!best) return book(platform, next);
  if (due(*best) > now) {
    sooner(due(*best));
    return book(platform, next);
  }
  Connector* connector = connectors_[best->channel];
  if (!connector) return book(platform, next);
  p.in_flight = true;
  book(platform, std::nullopt);
  CountersRequest request{best->key, {}, best->channel, best->remote_id, best->url};
  if (const auto at = best->key.find('@'); at != std::string::npos) request.post = best->key.substr(0, at);
  executor_.read_counters(*connector, std::move(request),
                          [this, platform, c = *best](CountersResult result) { on_result(platform, c, std::move(result)); });
}

int Collector::passed(const Collection& c, Instant now, int done) const {
  int n = 0;
  while (n < static_cast<int>(schedule_.size()) && c.published_at + schedule_[n] <= now) ++n;
  return std::max(n, done);
}

std::optional<Instant> Collector::after(const Collection& c, int reads) const {
  if (reads >= static_cast<int>(schedule_.size())) return std::nullopt;
  return c.published_at + schedule_[reads];
}

ReadRecord Collector::record_for(const Collection& c, const CountersResult& result, Instant now, Platform& p) const {
  ReadRecord r;
  // This read is over (read, or given up): the next scheduled one, skipping
  // those whose time passed meanwhile (a daemon down for days reads once).
  auto move_on = [&] {
    r.reads = passed(c, now, c.reads + 1);
    r.next_read = after(c, r.reads);
    r.failures = 0;
  };
  // Tried again later, unless it failed too often: then the next one.
  auto again = [&](std::chrono::seconds wait, const std::string& why) {
    r.failures = c.failures + 1;
    r.error = why;
    if (r.failures >= kTries) {
      move_on();
      r.error = why + " (gave this read up after " + std::to_string(kTries) + " tries)";
      return;
    }
    r.reads = c.reads;
    r.next_read = now + wait;
  };
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Counters>) {
          for (const auto& counter : v.values)
            r.samples.push_back(EngagementSample{c.key, now, counter.name, counter.common, counter.value});
          move_on();
        } else if constexpr (std::is_same_v<T, RetryLater>) {
          if (v.after && (!p.not_before || now + *v.after > *p.not_before)) p.not_before = now + *v.after;
          again(v.after.value_or(backoff(c.failures + 1)), v.message);
        } else if constexpr (std::is_same_v<T, AuthFailed>) {
          again(kAuthWait, "the credentials were refused: " + v.message);
        } else if constexpr (std::is_same_v<T, Failed>) {
          move_on();
          r.error = v.message;
        } else if constexpr (std::is_same_v<T, Gone>) {
          // Believed the second time in a row: a platform's "not found" may
          // also be a token that lost access for a while.
          if (!c.last_error.starts_with(kGoneOnce)) {
            r.reads = c.reads;
            r.failures = c.failures;
            r.next_read = now + kGoneAgain;
            r.error = kGoneOnce + v.message;
            return;
          }
          r.reads = c.reads;
          r.next_read = std::nullopt;
          r.error = v.message;
          r.event = "gone_from_platform";
          r.detail = "the post is no longer on the platform; its counters are no longer read" +
                     (v.message.empty() ? std::string() : " (" + v.message + ")");
        }
      },
      result);
  return r;
}

void Collector::on_result(const std::string& platform, const Collection& c, CountersResult result) {
  const Instant now = clock_.now();
  auto it = platforms_.find(platform);
  if (it == platforms_.end()) return;  // no channel of that platform is left
  Platform& p = it->second;
  p.in_flight = false;
  const Instant spaced = now + p.spacing;
  if (!p.not_before || *p.not_before < spaced) p.not_before = spaced;
  if (on_read) on_read(c.channel, result);
  const ReadRecord record = record_for(c, result, now, p);
  if (std::holds_alternative<AuthFailed>(result)) {
    if (warned_auth_.insert(c.channel).second)
      log_.warning("engagement: " + c.channel + ": " + record.error + "; counters are read again in an hour");
  } else if (std::holds_alternative<Counters>(result)) {
    warned_auth_.erase(c.channel);
  }
  if (!record.event.empty()) log_.warning("engagement: " + c.key + ": " + record.detail);
  try {
    store_.record_read(c.key, record, now);
  } catch (const std::exception& e) {
    // Not written: the read is due again and is simply made again.
    log_.warning("engagement: " + c.key + ": the counters could not be written (" + describe_store_failure(e) + ")");
  }
  pump(platform);
}

}  // namespace herald
