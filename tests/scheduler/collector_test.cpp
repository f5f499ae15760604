// The collector on a manual clock, a real SQLite store, the dispatcher
// publishing, and a connector that answers counter reads from a script:
// when each read happens (issue 17), none during a pause of the channel, a
// platform's rate limit and spacing kept, a failed read tried again later, a
// deleted post, and never a publish delayed by a read. No sleeping: both
// timers are manual and fired as the clock reaches their bookings.
#include "scheduler/collector.hpp"
#include "scheduler/dispatcher.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <filesystem>

namespace herald {
namespace {

using namespace std::chrono_literals;
using namespace date::literals;

const Instant k0900 = date::sys_days{2027_y / date::March / 2} + 8h;  // 09:00 in Amsterdam

/// Publishes every create, and answers counter reads from a script (then
/// counters that grow with each read), recording when each read came.
class CountingConnector : public Connector {
 public:
  explicit CountingConnector(const Clock& clock) : clock_(clock) {}
  PublishResult publish(const PublishRequest& r) override {
    ++creates;
    return Published{"id-" + r.key, "https://example.test/" + r.key};
  }
  LookupResult lookup(const PublishRequest&) override { return Absent{}; }
  bool reads_counters() const override { return true; }
  CountersResult read_counters(const CountersRequest& r) override {
    reads.push_back({r.key, clock_.now()});
    EXPECT_EQ(r.remote_id, "id-" + r.key);
    EXPECT_EQ(r.url, "https://example.test/" + r.key);
    if (!script.empty()) {
      auto next = script.front();
      script.pop_front();
      return next;
    }
    const auto n = static_cast<std::int64_t>(reads.size());
    return Counters{{{"like_count", metric::likes, 10 * n}, {"reply_count", metric::replies, n},
                     {"bookmark_count", "", 2}}};
  }
  int creates = 0;
  std::deque<CountersResult> script;
  std::vector<std::pair<std::string, Instant>> reads;  ///< key, when

 private:
  const Clock& clock_;
};

/// Holds counter reads in flight until the test releases them; creates go at once.
class HoldingReads : public InlineExecutor {
 public:
  void read_counters(Connector& c, CountersRequest r, std::function<void(CountersResult)> done) override {
    held.push_back([&c, r = std::move(r), done = std::move(done)] { done(c.read_counters(r)); });
  }
  std::vector<std::function<void()>> held;
};

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("herald-collect-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store_ = Store::open(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void start(const std::string& posts, const std::string& report = "",
             const std::string& channels = "  x: {kind: x, account: a, credentials: x}\n"
                                           "  m: {kind: mastodon, instance: \"https://m.example\", credentials: m}\n",
             Executor* executor = nullptr) {
    Diagnostics d;
    auto cal = std::make_shared<LoadedCalendar>();
    cal->settings = *load_settings_text(
        "calendar: c.yaml\ntimezone: Europe/Amsterdam\npublishing: {late_window: 15m}\n" + report + "channels:\n" + channels,
        dir_ / "herald.yaml", {}, d);
    EXPECT_TRUE(load_calendar_text(posts, dir_ / "calendar.yaml", cal->settings, cal->calendar, d));
    cal->references = check_references(cal->calendar, cal->settings, d);
    ASSERT_FALSE(d.has_errors()) << (d.items().empty() ? "" : format(d.items()[0]));
    cal_ = cal;
    Executor& ex = executor ? *executor : inline_;
    dispatcher_ = std::make_unique<Dispatcher>(*store_, clock_, ex, wakes_, log_);
    dispatcher_->set_random([] { return 0.5; });
    dispatcher_->configure(cal_);
    collector_ = std::make_unique<Collector>(*store_, clock_, ex, reads_, log_);
    collector_->configure(cal_->settings);
    collector_->set_pauses([this](const std::string& c) { return dispatcher_->pause_of(c); });
    for (const auto& c : cal_->settings.channels) {
      dispatcher_->set_connector(c.name, &connector_);
      collector_->set_connector(c.name, &connector_);
    }
    dispatcher_->on_published = [this](const std::string& channel) { collector_->published(channel); };
    const Instant from = clock_.now() - 24h, to = clock_.now() + date::days{30};
    store_->sync(planned_deliveries(*cal_, clock_.now(), from, to, {}), from, to, clock_.now());
  }

  /// Fires both timers' bookings in time order until `until`, as the
  /// daemon's would: only what was booked runs.
  void run_until(Instant until) {
    dispatcher_->pump_all();
    for (int guard = 0; guard < 100000; ++guard) {
      auto a = wakes_.earliest(), b = reads_.earliest();
      if (a && a->second > until) a.reset();
      if (b && b->second > until) b.reset();
      if (!a && !b) break;
      const bool dispatch = a && (!b || a->second <= b->second);
      const Instant at = dispatch ? a->second : b->second;
      if (at > clock_.now()) clock_.set(at);
      if (dispatch) wakes_.fire(a->first);
      else reads_.fire(b->first);
    }
    clock_.set(std::max(clock_.now(), until));
  }
  /// When `key` was read, in UTC words (what a failure prints).
  std::vector<std::string> read_times(const std::string& key) const {
    std::vector<std::string> out;
    for (const auto& [k, at] : connector_.reads)
      if (k == key) out.push_back(format_utc(at));
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  ManualClock clock_{k0900 - 1h};
  InlineExecutor inline_;
  ManualWakes wakes_, reads_;
  MemoryLogger log_;
  CountingConnector connector_{clock_};
  std::shared_ptr<LoadedCalendar> cal_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Collector> collector_;
};

std::vector<std::string> times(std::initializer_list<Instant> at) {
  std::vector<std::string> out;
  for (auto t : at) out.push_back(format_utc(t));
  return out;
}

const std::string kOnePost = "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: hello}\n";

TEST_F(CollectorTest, ReadsOneHourOneDayAndOneWeekAfterPublishingThenStops) {
  start(kOnePost);
  run_until(k0900 + date::days{30});
  ASSERT_EQ(connector_.creates, 1);
  EXPECT_EQ(read_times("a@x"), times({k0900 + 1h, k0900 + 24h, k0900 + date::days{7}}));
  // The time series: each read's counters at its time, the platform's own
  // names beside the common ones.
  const auto series = store_->engagement("a@x");
  ASSERT_EQ(series.size(), 9u);
  EXPECT_EQ(series[0], (EngagementSample{"a@x", k0900 + 1h, "bookmark_count", "", 2}));
  EXPECT_EQ(series[1], (EngagementSample{"a@x", k0900 + 1h, "like_count", "likes", 10}));
  EXPECT_EQ(series[7], (EngagementSample{"a@x", k0900 + date::days{7}, "like_count", "likes", 30}));
  const auto c = store_->collection("a@x");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->stage, 2);
  EXPECT_EQ(c->reads, 3);
  EXPECT_EQ(c->last_read, k0900 + date::days{7});
  // Nothing more is booked.
  EXPECT_FALSE(reads_.booked("x"));
  EXPECT_FALSE(collector_->next_read("x"));
}

TEST_F(CollectorTest, TheScheduleIsTheSetting) {
  start(kOnePost, "report: {collect_after: [10m, 2h]}\n");
  run_until(k0900 + date::days{30});
  EXPECT_EQ(read_times("a@x"), times({k0900 + 10min, k0900 + 2h}));
}

TEST_F(CollectorTest, AnEmptyScheduleReadsNothing) {
  start(kOnePost, "report: {collect_after: []}\n");
  run_until(k0900 + date::days{30});
  EXPECT_EQ(connector_.creates, 1);
  EXPECT_TRUE(connector_.reads.empty());
}

TEST_F(CollectorTest, NoReadWhileTheChannelIsPausedAndTheOtherChannelIsRead) {
  start("posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x, m], text: hello}\n");
  run_until(k0900 + 30min);
  ASSERT_EQ(connector_.creates, 2);
  dispatcher_->pause("x", "crisis", k0900 + 3h);
  run_until(k0900 + 25h);
  // Mastodon's channel is not paused: read at its time. X's first read
  // waits for the end of the pause, then the schedule goes on.
  EXPECT_EQ(read_times("a@m"), times({k0900 + 1h, k0900 + 24h}));
  EXPECT_EQ(read_times("a@x"), times({k0900 + 3h, k0900 + 24h}));

  // A pause without an end: nothing is read until a person resumes.
  dispatcher_->pause("x", "crisis again", std::nullopt);
  run_until(k0900 + date::days{8});
  EXPECT_EQ(read_times("a@x").size(), 2u);
  EXPECT_EQ(read_times("a@m").size(), 3u);
  ASSERT_TRUE(dispatcher_->resume("x"));
  collector_->wake_all();
  run_until(k0900 + date::days{9});
  // The week's read, late, once: nothing read twice.
  EXPECT_EQ(read_times("a@x"), times({k0900 + 3h, k0900 + 24h, k0900 + date::days{8}}));
}

TEST_F(CollectorTest, OneReadAtATimePerPlatformAtItsSpacing) {
  // Three posts out at 09:00 on X: their first reads are due together. X's
  // read spacing is a minute (config/channel_kind: its read limits).
  start("posts:\n"
        "  - {id: a, at: 2027-03-02 09:00, channels: [x], text: one}\n"
        "  - {id: b, at: 2027-03-02 09:00, channels: [x], text: two}\n"
        "  - {id: c, at: 2027-03-02 09:00, channels: [x, m], text: three}\n");
  run_until(k0900 + 2h);
  ASSERT_EQ(connector_.reads.size(), 4u);
  std::vector<std::string> x_reads;
  for (const auto& [key, at] : connector_.reads)
    if (key.ends_with("@x")) x_reads.push_back(format_utc(at));
  EXPECT_EQ(x_reads, times({k0900 + 1h, k0900 + 1h + 1min, k0900 + 1h + 2min}));
  // Mastodon is another platform: not held up by X's spacing.
  EXPECT_EQ(read_times("c@m"), times({k0900 + 1h}));
}

TEST_F(CollectorTest, APlatformsRateLimitHoldsEveryReadOfThatPlatformUntilItsReset) {
  start("posts:\n"
        "  - {id: a, at: 2027-03-02 09:00, channels: [x], text: one}\n"
        "  - {id: b, at: 2027-03-02 09:00, channels: [x], text: two}\n");
  connector_.script.push_back(RetryLater{15min, "429 Too Many Requests"});
  run_until(k0900 + 2h);
  // a's read met the limit: nothing of X is read until its reset, then
  // b's (due first) and a's again, a minute apart.
  EXPECT_EQ(read_times("a@x"), times({k0900 + 1h, k0900 + 1h + 16min}));
  EXPECT_EQ(read_times("b@x"), times({k0900 + 1h + 15min}));
  const auto c = store_->collection("a@x");
  EXPECT_EQ(c->reads, 1);
  EXPECT_EQ(c->failures, 0);
}

TEST_F(CollectorTest, AFailedReadIsTriedAgainWithBackoffThenGivenUpForTheNextOne) {
  start(kOnePost);
  for (int i = 0; i < Collector::kTries; ++i) connector_.script.push_back(RetryLater{std::nullopt, "503"});
  run_until(k0900 + 1h + 30min);
  // 1 h, then 1, 2, 4 and 8 minutes later.
  EXPECT_EQ(read_times("a@x"), times({k0900 + 1h, k0900 + 1h + 1min, k0900 + 1h + 3min,
                                                     k0900 + 1h + 7min, k0900 + 1h + 15min}));
  auto c = store_->collection("a@x");
  EXPECT_EQ(c->reads, 1);  // given up: the next read is the day's
  EXPECT_EQ(c->failures, 0);
  EXPECT_NE(c->last_error.find("gave this read up after 5 tries"), std::string::npos) << c->last_error;
  EXPECT_EQ(format_utc(collector_->due(*c)), format_utc(k0900 + 24h));
  EXPECT_TRUE(store_->engagement("a@x").empty());
  run_until(k0900 + 25h);
  EXPECT_EQ(read_times("a@x").back(), format_utc(k0900 + 24h));
  EXPECT_EQ(store_->engagement("a@x").size(), 3u);
  EXPECT_EQ(store_->collection("a@x")->last_error, "");
}

TEST_F(CollectorTest, ARefusedPermissionSkipsOnlyThatRead) {
  start(kOnePost);
  connector_.script.push_back(Failed{"(#10) Application does not have permission for this action"});
  run_until(k0900 + 25h);
  EXPECT_EQ(read_times("a@x"), times({k0900 + 1h, k0900 + 24h}));
}

TEST_F(CollectorTest, RefusedCredentialsWaitAnHourAndAreLoggedOnce) {
  start(kOnePost);
  connector_.script.push_back(AuthFailed{"401 Unauthorized"});
  connector_.script.push_back(AuthFailed{"401 Unauthorized"});
  run_until(k0900 + 4h);
  EXPECT_EQ(read_times("a@x"), times({k0900 + 1h, k0900 + 2h, k0900 + 3h}));
  int warnings = 0;
  for (const auto& l : log_.lines)
    if (l.text.find("the credentials were refused") != std::string::npos) ++warnings;
  EXPECT_EQ(warnings, 1);
}

TEST_F(CollectorTest, APostDeletedOnThePlatformEndsItsCollectionWithAHistoryLine) {
  start(kOnePost);
  connector_.script.push_back(Gone{"Could not find tweet with ids: [id-a@x]"});
  connector_.script.push_back(Gone{"Could not find tweet with ids: [id-a@x]"});
  run_until(k0900 + date::days{30});
  // Asked once more an hour later before it is believed.
  EXPECT_EQ(read_times("a@x"), times({k0900 + 1h, k0900 + 2h}));
  EXPECT_EQ(store_->collection("a@x")->stage, 2);
  bool line = false;
  for (const auto& e : store_->history(10, "a@x")) line = line || e.event == "gone_from_platform";
  EXPECT_TRUE(line);
  // The delivery itself stays published: it did go out.
  EXPECT_EQ(store_->get("a@x")->state, State::published);
}

TEST_F(CollectorTest, APostGoneOnceButThereAgainIsStillRead) {
  start(kOnePost);
  connector_.script.push_back(Gone{"(#100) Object does not exist, cannot be loaded due to missing permissions"});
  run_until(k0900 + date::days{30});
  EXPECT_EQ(read_times("a@x"), times({k0900 + 1h, k0900 + 2h, k0900 + 24h, k0900 + date::days{7}}));
  EXPECT_EQ(store_->engagement("a@x").size(), 9u);
  for (const auto& e : store_->history(20, "a@x")) EXPECT_NE(e.event, "gone_from_platform");
}

TEST_F(CollectorTest, ADaemonDownPastSeveralReadsReadsOnceThenGoesOnWithTheSchedule) {
  start(kOnePost);
  run_until(k0900 + 30min);
  // Down from 09:30 until three days later: a new collector over the same store.
  clock_.set(k0900 + date::days{3});
  collector_ = std::make_unique<Collector>(*store_, clock_, inline_, reads_, log_);
  collector_->configure(cal_->settings);
  collector_->set_connector("x", &connector_);
  collector_->set_connector("m", &connector_);
  run_until(k0900 + date::days{10});
  EXPECT_EQ(read_times("a@x"), times({k0900 + date::days{3}, k0900 + date::days{7}}));
}

TEST_F(CollectorTest, AReadInFlightNeverDelaysAPublish) {
  HoldingReads holding;
  start("posts:\n"
        "  - {id: a, at: 2027-03-02 09:00, channels: [x], text: one}\n"
        "  - {id: b, at: 2027-03-02 10:00, channels: [x], text: two}\n"
        "  - {id: c, at: 2027-03-02 10:01, channels: [x], text: three}\n",
        "", "  x: {kind: x, account: a, credentials: x}\n", &holding);
  run_until(k0900 + 3h);
  // a's first read started at 10:00 and never came back; b and c went out
  // at their times all the same.
  ASSERT_EQ(holding.held.size(), 1u);
  EXPECT_EQ(store_->get("b@x")->state, State::published);
  EXPECT_EQ(store_->get("c@x")->state, State::published);
  for (const auto& e : store_->history(50, "c@x")) {
    if (e.event == "sending") {
      EXPECT_EQ(format_utc(e.at), format_utc(k0900 + 1h + 1min));
    }
  }
  // One read at a time: nothing else of X was read while it was in flight.
  holding.held.front()();
  holding.held.erase(holding.held.begin());
  run_until(k0900 + 4h);
  EXPECT_EQ(holding.held.size(), 1u);  // b's first read, now
}

}  // namespace
}  // namespace herald
