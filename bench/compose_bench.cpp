// Composing deliveries (compose/composer.hpp): what plan and check do for
// every delivery, and the dispatcher for each one it sends.

#include "bench/calendar_corpus.hpp"
#include "compose/composer.hpp"
#include "scheduler/plan.hpp"

#include <benchmark/benchmark.h>

namespace herald::bench {
namespace {

constexpr std::size_t kDeliveries = 100000;

struct Job {
  const Post* post;
  const ChannelSettings* channel;
  std::string local_time;  // the static site's front matter date
};

// 100k deliveries composed from the year's plan of a calendar of
// `state.range(0)` posts (the plan repeated when it has fewer), each with the
// preview URLs that plan and check use for cross-post links.
void BM_Compose(benchmark::State& state) {
  const auto posts = static_cast<std::size_t>(state.range(0));
  std::string error;
  const LoadedCalendar* c = loaded_calendar(posts, error);
  if (!c) {
    state.SkipWithError(error.c_str());
    return;
  }
  Diagnostics warnings;
  const Instant now = year_start();
  PlanRequest request;
  request.now = request.from = now;
  request.to = now + date::days{365};
  const auto planned = plan(c->calendar, c->settings, request, warnings);
  if (planned.empty()) {
    state.SkipWithError("the plan is empty");
    return;
  }
  std::vector<Job> jobs;
  jobs.reserve(kDeliveries);
  std::int64_t text_bytes = 0;
  for (std::size_t i = 0; i < kDeliveries; ++i) {
    const Delivery& d = planned[i % planned.size()];
    const ChannelSettings* cs = c->settings.channel(d.channel);
    jobs.push_back({d.source, cs, cs->kind == ChannelKind::static_site ? format_local(*c->settings.zone, d.at) : ""});
    text_bytes += static_cast<std::int64_t>(d.source->text_for(d.channel).size());
  }
  const UrlLookup previews = preview_urls(c->calendar, c->settings);
  for (auto _ : state) {
    for (const Job& job : jobs) {
      Composed composed = compose(*job.post, *job.channel, c->settings, c->calendar, previews, job.local_time);
      benchmark::DoNotOptimize(composed.text.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(jobs.size()));
  state.SetBytesProcessed(state.iterations() * text_bytes);  // the texts as written
  state.counters["posts"] = static_cast<double>(posts);
}
BENCHMARK(BM_Compose)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace herald::bench
