// Planning a year (scheduler/plan.hpp) and the whole `herald check`
// (scheduler/check.hpp) over generated calendars.

#include "bench/calendar_corpus.hpp"
#include "scheduler/check.hpp"
#include "scheduler/plan.hpp"

#include <benchmark/benchmark.h>

namespace herald::bench {
namespace {

void BM_PlanYear(benchmark::State& state) {
  const auto posts = static_cast<std::size_t>(state.range(0));
  std::string error;
  const LoadedCalendar* c = loaded_calendar(posts, error);
  if (!c) {
    state.SkipWithError(error.c_str());
    return;
  }
  const Instant now = year_start();
  PlanRequest request;
  request.now = request.from = now;
  request.to = now + date::days{365};
  std::size_t deliveries = 0;
  int warnings = 0;
  for (auto _ : state) {
    Diagnostics diags;
    const auto planned = plan(c->calendar, c->settings, request, diags);
    deliveries = planned.size();
    warnings = diags.warning_count();
    benchmark::DoNotOptimize(planned.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(deliveries));
  state.counters["posts"] = static_cast<double>(posts);
  state.counters["deliveries"] = static_cast<double>(deliveries);
  state.counters["warnings"] = warnings;
}
BENCHMARK(BM_PlanYear)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_CheckCalendar(benchmark::State& state) {
  const auto posts = static_cast<std::size_t>(state.range(0));
  std::string error;
  const LoadedCalendar* c = loaded_calendar(posts, error);
  if (!c) {
    state.SkipWithError(error.c_str());
    return;
  }
  std::size_t deliveries = 0;
  int warnings = 0;
  for (auto _ : state) {
    Diagnostics diags;
    const CheckReport report = check_calendar(c->calendar, c->settings, year_start(), diags);
    if (diags.has_errors()) {
      // The generator promises a calendar without errors; timing error paths would mislead.
      error = "the generated calendar has " + std::to_string(diags.error_count()) + " check errors";
      for (const auto& d : diags.sorted())
        if (d.severity == Severity::error) {
          error += ", the first: " + format(d);
          break;
        }
      state.SkipWithError(error.c_str());
      break;
    }
    deliveries = report.deliveries;
    warnings = diags.warning_count();
    benchmark::DoNotOptimize(report.lint.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(posts));
  state.counters["posts"] = static_cast<double>(posts);
  state.counters["deliveries"] = static_cast<double>(deliveries);
  state.counters["warnings"] = warnings;
}
BENCHMARK(BM_CheckCalendar)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
// Half a minute a run today (cross-post lookups are linear; see docs/performance.md).
BENCHMARK(BM_CheckCalendar)->Arg(100000)->Repetitions(3)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace herald::bench
