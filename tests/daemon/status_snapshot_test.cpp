// The one look at the queue that `status`, /metrics and the STATUS= line
// are made from, on a real SQLite store: what counts as queued and as
// needing attention, which pauses hold, and which delivery is next.
#include "daemon/status_snapshot.hpp"

#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

using namespace std::chrono_literals;

const Instant T0 = Instant{date::sys_days{date::year{2027} / 3 / 2}} + 8h;

PlannedDelivery pd(const std::string& key, Instant at) {
  PlannedDelivery p;
  p.key = key;
  p.post = key.substr(0, key.find('@'));
  p.channel = key.substr(key.find('@') + 1);
  p.planned = at;
  p.content_hash = "h";
  return p;
}

class StatusSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Store::open(dir_.path() / "state");
    store_->sync({pd("a@x", T0), pd("b@x", T0 + 1h), pd("c@x", T0 + 2h), pd("d@x", T0 + 3h), pd("e@fb", T0 + 30min),
                  pd("f@fb", T0 - 1h)},
                 T0 - 24h, T0 + 24h, T0);
  }
  void change(const std::string& key, Event event, const Effects& effects = {}) {
    ASSERT_EQ(store_->apply(key, event, effects, T0), Applied::done) << key;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  ManualClock clock_{T0};
  InlineExecutor executor_;
  ManualWakes wakes_;
  MemoryLogger log_;
};

TEST_F(StatusSnapshotTest, QueuedAttentionAndNextHaveOneMeaning) {
  // a is out; b waits for a link; c failed; f@fb needs a person.
  change("a@x", Event::start_send, Effects{.sent_text = "a"});
  change("a@x", Event::sent, Effects{.remote_id = "1", .url = "https://x.com/a/status/1"});
  change("b@x", Event::wait_for_dependency, Effects{.detail = "waits for v@fb"});
  change("c@x", Event::start_send, Effects{.sent_text = "c"});
  change("c@x", Event::permanent_error, Effects{.detail = "HTTP 400"});
  change("f@fb", Event::missed, Effects{.detail = "missed"});
  Dispatcher dispatcher(*store_, clock_, executor_, wakes_, log_);
  const auto snap = take_snapshot(*store_, &dispatcher, {"x", "fb"}, T0);

  EXPECT_TRUE(snap.store_error.empty());
  EXPECT_EQ(snap.total(State::published), 1);
  EXPECT_EQ(snap.queue_depth("x"), 2) << "b (waiting) and d (planned); not a, published, nor c, failed";
  EXPECT_EQ(snap.queue_depth("fb"), 1);
  EXPECT_EQ(snap.queue_depth("nowhere"), 0);
  // A waiting delivery is the next of its channel, as the status has always shown.
  ASSERT_TRUE(snap.next.count("x"));
  EXPECT_EQ(snap.next.at("x").key, "b@x");
  ASSERT_TRUE(snap.next.count("fb"));
  EXPECT_EQ(snap.next.at("fb").key, "e@fb");
  EXPECT_EQ(snap.next_overall()->key, "e@fb") << "the earliest of the channels' next";

  const StatusSummary summary = snap.summary();
  EXPECT_EQ(summary.queued, 3u);
  EXPECT_EQ(summary.attention, 2u);
  EXPECT_FALSE(summary.paused);
  ASSERT_TRUE(summary.next);
  EXPECT_EQ(summary.next->channel, "fb");
  EXPECT_EQ(summary.next->at, T0 + 30min);
}

// A pause held in memory because the store could not take it counts as
// much as one in the store; one whose `until` has passed holds nothing.
TEST_F(StatusSnapshotTest, PausesInForceIncludeThoseTheStoreCouldNotTake) {
  store_->set_pause(Pause{"fb", "storm", T0 - 2h, T0 - 1h}, T0);  // over already
  Dispatcher dispatcher(*store_, clock_, executor_, wakes_, log_);
  dispatcher.set_store_problem("the disk is full");
  dispatcher.pause("", "crisis", std::nullopt);  // cannot be written: held in memory
  dispatcher.set_store_problem(std::nullopt);    // (the pause is written now)
  store_->set_pause(Pause{"x", "rebrand", T0, std::nullopt}, T0);
  const auto snap = take_snapshot(*store_, &dispatcher, {"x", "fb"}, T0);
  ASSERT_TRUE(snap.global_pause);
  EXPECT_EQ(snap.global_pause->reason, "crisis");
  EXPECT_TRUE(snap.channel_pauses.count("x"));
  EXPECT_FALSE(snap.channel_pauses.count("fb")) << "its until has passed";
  EXPECT_TRUE(snap.summary().paused);

  Dispatcher unwritten(*store_, clock_, executor_, wakes_, log_);
  unwritten.set_store_problem("the disk is full");
  unwritten.pause("fb", "held in memory", std::nullopt);
  const auto held = take_snapshot(*store_, &unwritten, {"x", "fb"}, T0);
  ASSERT_TRUE(held.channel_pauses.count("fb"));
  EXPECT_EQ(held.channel_pauses.at("fb").reason, "held in memory");
}

}  // namespace
}  // namespace herald
