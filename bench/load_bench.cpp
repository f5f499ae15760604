// Loading and validating a calendar: what `herald check` and every reload
// do before anything else (load_settings + load_calendar, from disk).

#include "bench/calendar_corpus.hpp"

#include <benchmark/benchmark.h>

namespace herald::bench {
namespace {

void BM_LoadCalendar(benchmark::State& state, Layout layout) {
  const auto posts = static_cast<std::size_t>(state.range(0));
  std::string error;
  const GeneratedCalendar* generated = generated_calendar(posts, layout, error);
  if (!generated) {
    state.SkipWithError(error.c_str());
    return;
  }
  for (auto _ : state) {
    Diagnostics diags;
    auto settings = load_settings(generated->settings_file, SettingsEnvironment{}, diags);
    auto calendar = settings ? load_calendar(*settings, diags) : std::nullopt;
    if (!calendar) {
      state.SkipWithError("the generated calendar does not load");
      break;
    }
    benchmark::DoNotOptimize(&calendar->posts.front());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(posts));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(generated->calendar_bytes));
  state.counters["posts"] = static_cast<double>(posts);
}

// One file per day is how a large calendar loads quickest today; one file
// for everything takes time quadratic in its posts, so it runs at sizes that
// finish (10k posts in one file take about 14 minutes; see
// docs/performance.md). A 100k load takes over a minute, so it runs once.
BENCHMARK_CAPTURE(BM_LoadCalendar, daily_files, Layout::daily_files)
    ->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LoadCalendar, daily_files, Layout::daily_files)
    ->Arg(100000)->Repetitions(1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LoadCalendar, one_file, Layout::one_file)
    ->Arg(1000)->Arg(2000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace herald::bench
