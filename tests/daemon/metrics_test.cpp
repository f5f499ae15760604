#include "daemon/metrics.hpp"

#include "tests/support/process.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>
#include <vector>

namespace herald {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines_of(text))
    if (l == line) return true;
  return false;
}

MetricsGauges sample_gauges() {
  MetricsGauges g;
  g.version = "1.2.3";
  g.deliveries["x"] = {{State::planned, 12}, {State::published, 40}, {State::needs_review, 1}};
  g.deliveries["blog"] = {{State::failed, 2}};
  g.queue_depth = {{"x", 12}, {"blog", 0}};
  g.channel_paused = {{"x", false}, {"blog", true}};
  g.paused = false;
  return g;
}

std::string promtool_path() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
    const auto p = std::filesystem::path(dir) / "promtool";
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return {};
}

/// Runs `promtool check metrics` on `text`; its exit code and output.
testing::ProcessResult promtool_check(const std::string& text) {
  const auto file = std::filesystem::temp_directory_path() /
                    ("herald-metrics-" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream out(file, std::ios::binary);
    out << text;
  }
  auto r = testing::run_process({"/bin/sh", "-c", "\"$0\" check metrics < \"$1\"", promtool_path(), file.string()});
  std::filesystem::remove(file);
  return r;
}

TEST(Metrics, RendersGaugesFromTheStoreWithHelpAndType) {
  Metrics m;
  const std::string text = m.render(sample_gauges());
  EXPECT_TRUE(has_line(text, "# HELP herald_build_info herald's version; always 1.")) << text;
  EXPECT_TRUE(has_line(text, "# TYPE herald_build_info gauge"));
  EXPECT_TRUE(has_line(text, "herald_build_info{version=\"1.2.3\"} 1"));
  EXPECT_TRUE(has_line(text, "# TYPE herald_deliveries gauge"));
  EXPECT_TRUE(has_line(text, "herald_deliveries{channel=\"x\",state=\"planned\"} 12"));
  EXPECT_TRUE(has_line(text, "herald_deliveries{channel=\"x\",state=\"published\"} 40"));
  EXPECT_TRUE(has_line(text, "herald_deliveries{channel=\"x\",state=\"needs_review\"} 1"));
  // Every state appears, at 0 when the store has none.
  EXPECT_TRUE(has_line(text, "herald_deliveries{channel=\"x\",state=\"cancelled\"} 0"));
  EXPECT_TRUE(has_line(text, "herald_deliveries{channel=\"blog\",state=\"failed\"} 2"));
  EXPECT_TRUE(has_line(text, "herald_queue_depth{channel=\"x\"} 12"));
  EXPECT_TRUE(has_line(text, "herald_queue_depth{channel=\"blog\"} 0"));
  EXPECT_TRUE(has_line(text, "herald_paused 0"));
  EXPECT_TRUE(has_line(text, "herald_channel_paused{channel=\"blog\"} 1"));
  EXPECT_TRUE(has_line(text, "herald_channel_paused{channel=\"x\"} 0"));
  // Counters exist at 0 for every known channel before the first request.
  EXPECT_TRUE(has_line(text, "# TYPE herald_publish_attempts_total counter"));
  EXPECT_TRUE(has_line(text, "herald_publish_attempts_total{channel=\"x\"} 0"));
  EXPECT_TRUE(has_line(text, "herald_publish_results_total{channel=\"blog\",outcome=\"auth_failed\"} 0"));
  EXPECT_TRUE(has_line(text, "herald_publish_lateness_seconds_bucket{channel=\"x\",le=\"+Inf\"} 0"));
  EXPECT_TRUE(has_line(text, "herald_calendar_reloads_total{result=\"success\"} 0"));
  // No reload yet: no timestamp to show.
  EXPECT_EQ(text.find("herald_calendar_last_reload_timestamp_seconds"), std::string::npos);
  for (const auto& line : lines_of(text)) {
    if (line.starts_with("#")) continue;
    EXPECT_TRUE(line.starts_with("herald_")) << line;
  }
}

TEST(Metrics, GlobalPauseIsOne) {
  Metrics m;
  auto g = sample_gauges();
  g.paused = true;
  EXPECT_TRUE(has_line(m.render(g), "herald_paused 1"));
}

TEST(Metrics, CountsAttemptsAndResultsByChannelAndClass) {
  Metrics m;
  m.attempt("x");
  m.attempt("x");
  m.attempt("facebook");
  m.result("x", PublishOutcome::published);
  m.result("x", PublishOutcome::retry);
  m.result("x", PublishOutcome::retry);
  m.result("facebook", PublishOutcome::unsure);
  m.result("facebook", outcome_of(PublishResult{AuthFailed{"token expired"}}));
  const std::string text = m.render({});
  EXPECT_TRUE(has_line(text, "herald_publish_attempts_total{channel=\"x\"} 2")) << text;
  EXPECT_TRUE(has_line(text, "herald_publish_attempts_total{channel=\"facebook\"} 1"));
  EXPECT_TRUE(has_line(text, "herald_publish_results_total{channel=\"x\",outcome=\"published\"} 1"));
  EXPECT_TRUE(has_line(text, "herald_publish_results_total{channel=\"x\",outcome=\"retry\"} 2"));
  EXPECT_TRUE(has_line(text, "herald_publish_results_total{channel=\"x\",outcome=\"failed\"} 0"));
  EXPECT_TRUE(has_line(text, "herald_publish_results_total{channel=\"facebook\",outcome=\"unsure\"} 1"));
  EXPECT_TRUE(has_line(text, "herald_publish_results_total{channel=\"facebook\",outcome=\"auth_failed\"} 1"));
  // The error message of a result is never a label.
  EXPECT_EQ(text.find("token expired"), std::string::npos);
}

TEST(Metrics, OutcomeOfEveryConnectorResult) {
  EXPECT_EQ(outcome_of(PublishResult{Published{"1", "https://x.com/a/status/1"}}), PublishOutcome::published);
  EXPECT_EQ(outcome_of(PublishResult{RetryLater{std::nullopt, "429"}}), PublishOutcome::retry);
  EXPECT_EQ(outcome_of(PublishResult{Failed{"bad"}}), PublishOutcome::failed);
  EXPECT_EQ(outcome_of(PublishResult{AuthFailed{"401"}}), PublishOutcome::auth_failed);
  EXPECT_EQ(outcome_of(PublishResult{Unsure{"timeout"}}), PublishOutcome::unsure);
  EXPECT_EQ(to_string(PublishOutcome::auth_failed), "auth_failed");
}

TEST(Metrics, LatenessHistogramIsCumulative) {
  Metrics m;
  m.lateness("x", 0.05s);   // <= 0.1
  m.lateness("x", 0.5s);    // exactly on a bound: counts in le="0.5"
  m.lateness("x", 45s);     // <= 60
  m.lateness("x", 2h);      // above 3600: only +Inf
  m.lateness("x", -3s);     // clock skew: counts as 0
  const std::string text = m.render({});
  EXPECT_TRUE(has_line(text, "# TYPE herald_publish_lateness_seconds histogram")) << text;
  EXPECT_TRUE(has_line(text, "herald_publish_lateness_seconds_bucket{channel=\"x\",le=\"0.1\"} 2"));
  EXPECT_TRUE(has_line(text, "herald_publish_lateness_seconds_bucket{channel=\"x\",le=\"0.5\"} 3"));
  EXPECT_TRUE(has_line(text, "herald_publish_lateness_seconds_bucket{channel=\"x\",le=\"1\"} 3"));
  EXPECT_TRUE(has_line(text, "herald_publish_lateness_seconds_bucket{channel=\"x\",le=\"30\"} 3"));
  EXPECT_TRUE(has_line(text, "herald_publish_lateness_seconds_bucket{channel=\"x\",le=\"60\"} 4"));
  EXPECT_TRUE(has_line(text, "herald_publish_lateness_seconds_bucket{channel=\"x\",le=\"3600\"} 4"));
  EXPECT_TRUE(has_line(text, "herald_publish_lateness_seconds_bucket{channel=\"x\",le=\"+Inf\"} 5"));
  EXPECT_TRUE(has_line(text, "herald_publish_lateness_seconds_count{channel=\"x\"} 5"));
  EXPECT_TRUE(has_line(text, "herald_publish_lateness_seconds_sum{channel=\"x\"} 7245.55"));
}

TEST(Metrics, ReloadsAndLastReloadTimestamp) {
  Metrics m;
  const Instant t1 = date::sys_days{date::year{2027} / 3 / 2} + 9h;
  m.reload(true, t1);
  m.reload(false, t1 + 60s);
  m.reload(true, t1 + 120s);
  const std::string text = m.render({});
  EXPECT_TRUE(has_line(text, "herald_calendar_reloads_total{result=\"success\"} 2")) << text;
  EXPECT_TRUE(has_line(text, "herald_calendar_reloads_total{result=\"failure\"} 1"));
  EXPECT_TRUE(has_line(text, "# TYPE herald_calendar_last_reload_timestamp_seconds gauge"));
  EXPECT_TRUE(has_line(text, "herald_calendar_last_reload_timestamp_seconds " +
                                 std::to_string((t1 + 120s).time_since_epoch().count())));
}

TEST(Metrics, TheLeaseOfASharedStore) {
  Metrics m;
  // SQLite, one host: no lease, no series.
  EXPECT_EQ(m.render({}).find("herald_leader"), std::string::npos);
  m.lease_taken(true);
  m.lease_renewed();
  m.lease_renewed();
  std::string text = m.render({});
  EXPECT_TRUE(has_line(text, "# TYPE herald_leader gauge")) << text;
  EXPECT_TRUE(has_line(text, "herald_leader 1"));
  EXPECT_TRUE(has_line(text, "herald_lease_renewals_total 2"));
  EXPECT_TRUE(has_line(text, "herald_failovers_total 1"));
  m.lease_lost();
  text = m.render({});
  EXPECT_TRUE(has_line(text, "herald_leader 0")) << text;
}

TEST(Metrics, EscapesLabelValues) {
  EXPECT_EQ(escape_label_value(R"(a"b\c)"), R"(a\"b\\c)");
  EXPECT_EQ(escape_label_value("line\nbreak"), "line\\nbreak");
  Metrics m;
  MetricsGauges g;
  g.version = "1.0 \"beta\"\n";
  g.queue_depth["we\"ird\\name"] = 3;
  const std::string text = m.render(g);
  EXPECT_TRUE(has_line(text, R"(herald_build_info{version="1.0 \"beta\"\n"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(herald_queue_depth{channel="we\"ird\\name"} 3)"));
}

TEST(Metrics, SafeToRecordFromManyThreads) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) {
        m.attempt("x");
        m.result("x", PublishOutcome::published);
        m.lateness("x", 1s);
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::string text = m.render({});
  EXPECT_TRUE(has_line(text, "herald_publish_attempts_total{channel=\"x\"} 4000"));
  EXPECT_TRUE(has_line(text, "herald_publish_results_total{channel=\"x\",outcome=\"published\"} 4000"));
  EXPECT_TRUE(has_line(text, "herald_publish_lateness_seconds_count{channel=\"x\"} 4000"));
  EXPECT_TRUE(has_line(text, "herald_publish_lateness_seconds_sum{channel=\"x\"} 4000"));
}

// Token health (issue 17): seconds left of each channel's credentials, and
// the channels whose credentials a platform refused; counter reads by outcome.
TEST(Metrics, CredentialsAndCounterReads) {
  Metrics m;
  auto g = sample_gauges();
  g.now = date::sys_days{date::year{2027} / 3 / 2} + 9h;
  g.credentials_expire["li"] = g.now + 72h;
  g.credentials_expire["ig"] = g.now - 60s;
  g.credentials_refused = {"yt"};
  std::string text = m.render(g);
  EXPECT_TRUE(has_line(text, "# TYPE herald_credential_expiry_seconds gauge"));
  EXPECT_TRUE(has_line(text, "herald_credential_expiry_seconds{channel=\"li\"} 259200"));
  EXPECT_TRUE(has_line(text, "herald_credential_expiry_seconds{channel=\"ig\"} -60"));
  EXPECT_TRUE(has_line(text, "herald_credentials_refused{channel=\"yt\"} 1"));
  EXPECT_EQ(text.find("herald_engagement_reads_total"), std::string::npos) << "shown once a read was made";
  m.counter_read("x", read_outcome(Counters{}));
  m.counter_read("x", read_outcome(Counters{}));
  m.counter_read("x", read_outcome(RetryLater{}));
  m.counter_read("m", read_outcome(Gone{}));
  text = m.render(g);
  EXPECT_TRUE(has_line(text, "herald_engagement_reads_total{channel=\"x\",outcome=\"read\"} 2"));
  EXPECT_TRUE(has_line(text, "herald_engagement_reads_total{channel=\"x\",outcome=\"retry\"} 1"));
  EXPECT_TRUE(has_line(text, "herald_engagement_reads_total{channel=\"m\",outcome=\"gone\"} 1"));
  EXPECT_EQ(read_outcome(Failed{}), "failed");
  EXPECT_EQ(read_outcome(AuthFailed{}), "auth_failed");
}

TEST(Metrics, PromtoolAcceptsTheExposition) {
  if (promtool_path().empty()) GTEST_SKIP() << "promtool is not installed (scripts/setup installs it)";
  Metrics m;
  m.attempt("x");
  m.result("x", PublishOutcome::published);
  m.lateness("x", 12.5s);
  m.result("blog", PublishOutcome::failed);
  m.reload(true, date::sys_days{date::year{2027} / 3 / 2} + 9h);
  m.reload(false, date::sys_days{date::year{2027} / 3 / 2} + 10h);
  m.lease_taken(false);
  m.lease_renewed();
  m.counter_read("x", "read");
  auto g = sample_gauges();
  g.queue_depth["we\"ird\\name"] = 1;
  g.now = date::sys_days{date::year{2027} / 3 / 2} + 9h;
  g.credentials_expire["x"] = g.now + 1h;
  g.credentials_refused = {"blog"};
  const auto r = promtool_check(m.render(g));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out + r.err, "");
}

TEST(Metrics, PromtoolRejectsABrokenExposition) {
  // The check above can fail: promtool does reject what it should.
  if (promtool_path().empty()) GTEST_SKIP() << "promtool is not installed (scripts/setup installs it)";
  const auto bad = promtool_check("# TYPE herald_x counter\nherald_x{channel=\"x} 1\n");
  EXPECT_NE(bad.exit_code, 0);
  const auto lint = promtool_check("# HELP herald_sent sent\n# TYPE herald_sent counter\nherald_sent 1\n");
  EXPECT_NE(lint.exit_code, 0) << "a counter without _total should be reported";
}

}  // namespace
}  // namespace herald
