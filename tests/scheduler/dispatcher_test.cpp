// The dispatcher on a manual clock, a real SQLite store and a scripted
// connector: days of schedule in milliseconds, no sleeping.
#include "scheduler/dispatcher.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <map>

namespace herald {
namespace {

using namespace std::chrono_literals;
using namespace date::literals;

Instant utc(date::year_month_day ymd, std::chrono::hours h, std::chrono::minutes m = 0min) {
  return date::sys_days{ymd} + h + m;
}
const Instant k0900 = utc(2027_y / date::March / 2, 8h);  // 09:00 in Amsterdam

/// A platform that answers from a script and records every create.
class ScriptedConnector : public Connector {
 public:
  std::deque<PublishResult> script;
  std::vector<PublishRequest> creates;
  LookupResult lookup_result = Absent{};
  /// When set, answers lookups instead of lookup_result (a platform whose answer changes over time).
  std::function<LookupResult()> lookup_fn;
  int lookups = 0;
  SettlePolicy policy;  ///< X-like by default: a repeat is not safe, margin 120 s
  SettlePolicy settle_policy() const override { return policy; }
  PublishResult publish(const PublishRequest& r) override {
    creates.push_back(r);
    if (script.empty()) return Published{"id-" + std::to_string(creates.size()), "https://example.test/" + r.key};
    auto next = script.front();
    script.pop_front();
    return next;
  }
  std::vector<PublishRequest> looked_up;
  LookupResult lookup(const PublishRequest& r) override {
    ++lookups;
    looked_up.push_back(r);
    return lookup_fn ? lookup_fn() : lookup_result;
  }
};

/// Holds results until the test releases them: a request in flight.
class DeferredExecutor : public Executor {
 public:
  void publish(const std::string&, Connector& c, PublishRequest r, std::function<void(PublishResult)> done) override {
    pending.push_back([&c, r = std::move(r), done = std::move(done)] { done(c.publish(r)); });
  }
  void lookup(const std::string&, Connector& c, PublishRequest r, std::function<void(LookupResult)> done) override {
    done(c.lookup(r));
  }
  void release_all() {
    auto jobs = std::move(pending);
    pending.clear();
    for (auto& j : jobs) j();
  }
  std::vector<std::function<void()>> pending;
};

/// The daemon's loop, by hand: creates of the channels `hold` picks are held
/// (requests in flight) until release(); results are handed back as the
/// worker pool would, and what the dispatcher posts behind them (soon) runs
/// when the test ends the loop turn (turn()).
class LoopExecutor : public Executor {
 public:
  std::function<bool(const PublishRequest&)> hold = [](const PublishRequest&) { return true; };
  void publish(const std::string& lane, Connector& c, PublishRequest r,
               std::function<void(PublishResult)> done) override {
    lanes[r.key] = lane;
    if (!hold(r)) {
      done(c.publish(r));
      return;
    }
    held.push_back({r.key, [&c, r, done = std::move(done)] { done(c.publish(r)); }});
  }
  void lookup(const std::string& lane, Connector& c, PublishRequest r,
              std::function<void(LookupResult)> done) override {
    lanes[r.key] = lane;
    done(c.lookup(r));
  }
  void soon(std::function<void()> f) override { posted.push_back(std::move(f)); }
  /// Hands back every held result whose key `which` picks, in one loop turn.
  void release(const std::function<bool(const std::string&)>& which = {}) {
    std::vector<std::pair<std::string, std::function<void()>>> keep, go;
    for (auto& h : held) (!which || which(h.first) ? go : keep).push_back(std::move(h));
    held = std::move(keep);
    for (auto& g : go) g.second();
    turn();
  }
  /// The end of a loop turn: what was posted runs.
  void turn() {
    while (!posted.empty()) {
      auto now = std::move(posted);
      posted.clear();
      for (auto& f : now) f();
    }
  }
  std::vector<std::pair<std::string, std::function<void()>>> held;  ///< key, the call
  std::vector<std::function<void()>> posted;
  std::map<std::string, std::string> lanes;  ///< key, the lane of its last call
};

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("herald-dispatch-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store_ = Store::open(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void load(const std::string& channels, const std::string& posts) {
    Diagnostics d;
    auto cal = std::make_shared<LoadedCalendar>();
    cal->settings = *load_settings_text("calendar: c.yaml\ntimezone: Europe/Amsterdam\npublishing: {late_window: 15m, "
                                        "retry: {attempts: 3, backoff: 30s, max_backoff: 10m}}\nchannels:\n" + channels,
                                        dir_ / "herald.yaml", {}, d);
    EXPECT_TRUE(load_calendar_text(posts, dir_ / "calendar.yaml", cal->settings, cal->calendar, d));
    cal->references = check_references(cal->calendar, cal->settings, d);
    EXPECT_FALSE(d.has_errors()) << (d.items().empty() ? "" : format(d.items()[0]));
    cal_ = cal;
  }

  Dispatcher& start(Executor* executor = nullptr, int workers = 4) {
    dispatcher_ = std::make_unique<Dispatcher>(*store_, clock_, executor ? *executor : inline_, wakes_, log_, workers);
    dispatcher_->set_random([] { return 0.5; });
    dispatcher_->configure(cal_);
    for (const auto& c : cal_->settings.channels) dispatcher_->set_connector(c.name, &connector_);
    sync();
    return *dispatcher_;
  }
  void sync() {
    const Instant from = clock_.now() - 24h;
    const Instant to = clock_.now() + date::days{30};
    store_->sync(planned_deliveries(*cal_, clock_.now(), from, to, {}), from, to, clock_.now());
  }
  State state(const std::string& key) { return store_->get(key)->state; }
  /// Advances the clock to each wake-up the dispatcher booked, in turn,
  /// until `until`, firing it as the daemon's timers would: only what the
  /// dispatcher booked itself runs, so a wake-up it forgets fails here.
  void run_until(Instant until) {
    dispatcher_->pump_all();
    for (int guard = 0; guard < 100000; ++guard) {
      const auto next = wakes_.earliest();
      if (!next || next->second > until) break;
      if (next->second > clock_.now()) clock_.set(next->second);
      wakes_.fire(next->first);
    }
    clock_.set(std::max(clock_.now(), until));
    dispatcher_->pump_all();
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  ManualClock clock_{k0900 - 1h};
  InlineExecutor inline_;
  ManualWakes wakes_;
  MemoryLogger log_;
  ScriptedConnector connector_;
  std::shared_ptr<LoadedCalendar> cal_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

const std::string kX = "  x: {kind: x, account: a, credentials: x}\n";

// The content hash tells the store a delivery was edited. An edit of only
// Mastodon's content warning, visibility or language, or of an alt text,
// changes what goes out, so it changes the hash; a post without any of
// them keeps the hash it had before these fields existed.
TEST_F(DispatcherTest, ContentWarningVisibilityLanguageAndAltTextAreEdits) {
  const std::string channels =
      "  m: {kind: mastodon, instance: \"https://mastodon.social\", credentials: m}\n"
      "  x: {kind: x, account: a, credentials: x}\n";
  auto hash_of = [&](const std::string& fields, const std::string& key = "p@m") {
    load(channels, "posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [m, x], text: Hi" + fields + "}\n");
    const Instant at = clock_.now();
    for (const auto& d : planned_deliveries(*cal_, at, at - 24h, at + date::days{400}, {}))
      if (d.key == key) return d.content_hash;
    ADD_FAILURE() << "no delivery " << key;
    return std::string();
  };
  const std::string plain = hash_of("");
  EXPECT_NE(hash_of(", m: {spoiler_text: Food}"), plain);
  EXPECT_NE(hash_of(", m: {visibility: unlisted}"), plain);
  EXPECT_NE(hash_of(", m: {language: nl}"), plain);
  // The media file need not exist for planning; its alt text is what changes.
  EXPECT_NE(hash_of(", media: [{file: a.jpg, alt: A loaf}]"), hash_of(", media: [{file: a.jpg, alt: A cake}]"));
  EXPECT_EQ(hash_of(", media: [a.jpg]"), hash_of(", media: [{file: a.jpg}]"));
  // On X, which sends no alt text here, the same post hashes as before.
  EXPECT_EQ(hash_of(", media: [a.jpg]", "p@x"), hash_of(", media: [{file: a.jpg, alt: A loaf}]", "p@x"));
}

TEST_F(DispatcherTest, PublishesAtItsTimeNotBefore) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: hello}\n");
  auto& d = start();
  d.pump("x");
  EXPECT_TRUE(connector_.creates.empty());
  EXPECT_EQ(d.next_wake("x"), k0900);
  clock_.set(k0900 - 1s);
  d.pump("x");
  EXPECT_TRUE(connector_.creates.empty());
  clock_.set(k0900);
  d.pump("x");
  ASSERT_EQ(connector_.creates.size(), 1u);
  EXPECT_EQ(connector_.creates[0].composed.text, "hello");
  EXPECT_EQ(state("a@x"), State::published);
  EXPECT_EQ(store_->get("a@x")->url, "https://example.test/a@x");
  EXPECT_EQ(d.next_wake("x"), std::nullopt);
  d.pump("x");
  EXPECT_EQ(connector_.creates.size(), 1u) << "never twice";
}

// Another calendar's plan kept (an instance that took a shared store over
// with a stale checkout): what this calendar plans the same goes out;
// a delivery whose post it lacks, or whose text or time it has otherwise,
// is neither sent nor cancelled.
TEST_F(DispatcherTest, KeepingTheStoresPlanSendsOnlyWhatThisCalendarPlansTheSame) {
  load(kX, R"(posts:
  - {id: same, at: 2027-03-02 09:00, channels: [x], text: same}
  - {id: gone, at: 2027-03-02 09:00, channels: [x], text: gone}
  - {id: edited, at: 2027-03-02 09:00, channels: [x], text: before}
  - {id: moved, at: 2027-03-02 09:00, channels: [x], text: moved}
)");
  start();  // the store's plan, of this calendar
  load(kX, R"(posts:
  - {id: same, at: 2027-03-02 09:00, channels: [x], text: same}
  - {id: edited, at: 2027-03-02 09:00, channels: [x], text: after}
  - {id: moved, at: 2027-03-02 09:30, channels: [x], text: moved}
  - {id: mine, at: 2027-03-02 09:00, channels: [x], text: mine}
)");
  dispatcher_->configure(cal_);
  EXPECT_EQ(delivery_content_hash(*cal_, "same", "x", k0900), store_->get("same@x")->content_hash);
  EXPECT_EQ(delivery_content_hash(*cal_, "gone", "x", k0900), std::nullopt);
  EXPECT_EQ(delivery_content_hash(*cal_, "same", "blog", k0900), std::nullopt);
  dispatcher_->keep_store_plan(true);
  run_until(k0900 + 2h);
  // The store's plan: its time, with the text both calendars give it.
  ASSERT_EQ(connector_.creates.size(), 2u);
  EXPECT_EQ(connector_.creates[0].key, "moved@x");
  EXPECT_EQ(connector_.creates[1].key, "same@x");
  for (const auto* key : {"gone@x", "edited@x"}) EXPECT_EQ(state(key), State::planned) << key;
  // What waits does not wake the channel again and again.
  EXPECT_EQ(dispatcher_->next_wake("x"), std::nullopt);
  EXPECT_FALSE(store_->get("mine@x"));
  // Without it, the same calendar cancels what it lacks and sends its own text.
  dispatcher_->keep_store_plan(false);
  run_until(k0900 + 3h);
  EXPECT_EQ(state("gone@x"), State::cancelled);
  ASSERT_EQ(connector_.creates.size(), 3u);
  EXPECT_EQ(connector_.creates[2].composed.text, "after");
}

// Drafts (issue 18) are planned but never queued, so never sent; a draft
// again (the flag put back) cancels what was pending; and even a plan kept
// from another calendar, which holds it, never sends a draft.
TEST_F(DispatcherTest, ADraftIsNeverQueuedNorSent) {
  load(kX, R"(posts:
  - {id: draft, at: 2027-03-02 09:00, channels: [x], text: draft, draft: true}
  - {id: ready, at: 2027-03-02 09:00, channels: [x], text: ready}
)");
  start();
  EXPECT_FALSE(store_->get("draft@x"));
  run_until(k0900 + 2h);
  ASSERT_EQ(connector_.creates.size(), 1u);
  EXPECT_EQ(connector_.creates[0].key, "ready@x");
}

TEST_F(DispatcherTest, ADraftIsNeverSentEvenFromAKeptStorePlan) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: same}\n");
  start();
  ASSERT_EQ(state("a@x"), State::planned);
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: same, draft: true}\n");
  dispatcher_->configure(cal_);
  // The same text at the same time: the kept plan holds it as this calendar's.
  EXPECT_EQ(delivery_content_hash(*cal_, "a", "x", k0900), store_->get("a@x")->content_hash);
  dispatcher_->keep_store_plan(true);
  run_until(k0900 + 2h);
  EXPECT_TRUE(connector_.creates.empty());
  EXPECT_EQ(state("a@x"), State::cancelled);
}

TEST_F(DispatcherTest, DependencyWaitsThenUsesThePublishedUrl) {
  load(kX + "  blog: {kind: wordpress, site: https://blog.example.nl, credentials: b}\n",
       R"(posts:
  - {id: teaser, at: 2027-03-02 09:00, channels: [x], text: "Read {link story}"}
  - {id: story, at: 2027-03-02 10:00, channels: [blog], title: T, text: hi}
)");
  start();
  clock_.set(k0900);
  dispatcher_->pump_all();
  EXPECT_EQ(state("teaser@x"), State::waiting);
  EXPECT_TRUE(connector_.creates.empty());
  run_until(k0900 + 2h);
  ASSERT_EQ(connector_.creates.size(), 2u);
  EXPECT_EQ(connector_.creates[0].key, "story@blog");
  EXPECT_EQ(connector_.creates[1].key, "teaser@x");
  EXPECT_EQ(connector_.creates[1].composed.text, "Read https://example.test/story@blog");
  EXPECT_EQ(state("teaser@x"), State::published);
}

// A first comment (issue 18) is its own delivery, KEY+comment: it waits for
// its post, then goes under the post as published (its id and URL), with
// its own words tagged like any text, and its counters are not collected.
TEST_F(DispatcherTest, AFirstCommentWaitsForItsPostThenGoesUnderIt) {
  // min_spacing holds posts apart, not a post and its first comment.
  load("  x: {kind: x, account: a, credentials: x, min_spacing: 20m}\n", R"(posts:
  - {id: a, at: 2027-03-02 09:00, channels: [x], text: hello, first_comment: "Tickets at the door"}
  - {id: b, at: 2027-03-02 09:00, channels: [x], text: later}
)");
  DeferredExecutor deferred;
  start(&deferred);
  ASSERT_TRUE(store_->get("a@x+comment"));
  EXPECT_EQ(store_->get("a@x+comment")->planned, k0900);
  clock_.set(k0900);
  dispatcher_->pump_all();
  ASSERT_EQ(deferred.pending.size(), 1u) << "only the post: its comment waits for it";
  EXPECT_EQ(connector_.creates.size(), 0u);
  deferred.release_all();
  ASSERT_EQ(connector_.creates.size(), 1u);
  EXPECT_EQ(connector_.creates[0].key, "a@x");
  EXPECT_FALSE(connector_.creates[0].comment_on);
  run_until(k0900 + 1min);
  ASSERT_EQ(deferred.pending.size(), 1u) << "the comment goes once its post is out, not 20 minutes later";
  deferred.release_all();
  ASSERT_EQ(connector_.creates.size(), 2u);
  EXPECT_EQ(connector_.creates[1].key, "a@x+comment");
  EXPECT_EQ(connector_.creates[1].composed.text, "Tickets at the door");
  ASSERT_TRUE(connector_.creates[1].comment_on);
  EXPECT_EQ(connector_.creates[1].comment_on->remote_id, "id-1");
  EXPECT_EQ(connector_.creates[1].comment_on->url, "https://example.test/a@x");
  EXPECT_EQ(state("a@x+comment"), State::published);
  EXPECT_EQ(state("b@x"), State::planned) << "the next post keeps the channel's spacing";
  EXPECT_TRUE(store_->collection("a@x"));
  EXPECT_FALSE(store_->collection("a@x+comment"));
}

// A comment whose post has not gone out waits for it, and says so.
TEST_F(DispatcherTest, AFirstCommentWaitsWhileItsPostFails) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: hello, first_comment: More}\n");
  connector_.script = {Failed{"refused"}};
  start();
  run_until(k0900 + 1h);
  EXPECT_EQ(state("a@x"), State::failed);
  EXPECT_EQ(state("a@x+comment"), State::waiting);
  EXPECT_EQ(dispatcher_->why(*store_->get("a@x+comment")), "waits for a@x");
  ASSERT_EQ(connector_.creates.size(), 1u);
}

// A first comment whose answer is lost is settled as every create is: looked
// up under its post, found, never sent twice.
TEST_F(DispatcherTest, AFirstCommentWhoseAnswerIsLostIsLookedUpUnderItsPost) {
  load(kX, R"(posts:
  - {id: a, at: 2027-03-02 09:00, channels: [x], text: hello, first_comment: "More below"}
)");
  connector_.script = {Published{"post-1", "https://x.example/a"}, Unsure{"timed out"}};
  connector_.lookup_result = Found{"reply-1", "https://x.example/reply-1"};
  start();
  run_until(k0900 + 1h);
  ASSERT_EQ(connector_.creates.size(), 2u);
  EXPECT_EQ(state("a@x+comment"), State::published);
  EXPECT_EQ(store_->get("a@x+comment")->url, "https://x.example/reply-1");
  ASSERT_FALSE(connector_.looked_up.empty());
  EXPECT_EQ(connector_.looked_up.back().key, "a@x+comment");
  ASSERT_TRUE(connector_.looked_up.back().comment_on);
  EXPECT_EQ(connector_.looked_up.back().comment_on->remote_id, "post-1");
  EXPECT_EQ(connector_.looked_up.back().composed.text, "More below");
}

TEST_F(DispatcherTest, MinSpacingAndOneRequestInFlightPerChannel) {
  load("  x: {kind: x, account: a, credentials: x, min_spacing: 20m}\n", R"(posts:
  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}
  - {id: b, at: 2027-03-02 09:00, channels: [x], text: b}
  - {id: c, at: 2027-03-02 09:05, channels: [x], text: c}
)");
  DeferredExecutor deferred;
  start(&deferred);
  clock_.set(k0900);
  dispatcher_->pump("x");
  ASSERT_EQ(deferred.pending.size(), 1u);
  dispatcher_->pump("x");
  EXPECT_EQ(deferred.pending.size(), 1u) << "one request in flight per channel";
  EXPECT_EQ(dispatcher_->next_wake("x"), std::nullopt) << "the result wakes the channel";
  deferred.release_all();
  EXPECT_EQ(dispatcher_->next_wake("x"), k0900 + 20min);
  clock_.set(k0900 + 20min - 1s);
  dispatcher_->pump("x");
  EXPECT_TRUE(deferred.pending.empty());
  clock_.set(k0900 + 20min);
  dispatcher_->pump("x");
  deferred.release_all();
  clock_.set(k0900 + 40min);
  dispatcher_->pump("x");
  deferred.release_all();
  ASSERT_EQ(connector_.creates.size(), 3u);
  EXPECT_EQ(connector_.creates[0].key, "a@x");
  EXPECT_EQ(connector_.creates[1].key, "b@x");
  EXPECT_EQ(connector_.creates[2].key, "c@x");
}

TEST_F(DispatcherTest, RateLimitSpreadsSends) {
  load("  x: {kind: x, account: a, credentials: x, rate: 2/1h}\n", R"(posts:
  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}
  - {id: b, at: 2027-03-02 09:00, channels: [x], text: b}
  - {id: c, at: 2027-03-02 09:00, channels: [x], text: c}
)");
  start();
  clock_.set(k0900);
  dispatcher_->pump("x");
  dispatcher_->pump("x");
  dispatcher_->pump("x");
  EXPECT_EQ(connector_.creates.size(), 2u);
  EXPECT_EQ(dispatcher_->next_wake("x"), k0900 + 1h);
  run_until(k0900 + 1h);
  EXPECT_EQ(connector_.creates.size(), 3u);
}

TEST_F(DispatcherTest, TransientErrorsRetryWithJitterAndHonourThePlatformsTime) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  connector_.script = {RetryLater{std::nullopt, "HTTP 503"}, RetryLater{120s, "HTTP 429"}};
  start();
  clock_.set(k0900);
  dispatcher_->pump("x");
  auto d = store_->get("a@x");
  EXPECT_EQ(d->state, State::retry_wait);
  // Full jitter with random 0.5: 0.5 * 30s.
  EXPECT_EQ(d->next_attempt, k0900 + 15s);
  EXPECT_EQ(d->last_error, "HTTP 503");
  clock_.set(k0900 + 15s);
  dispatcher_->pump("x");
  d = store_->get("a@x");
  // 0.5 * 60s = 30s, but the platform asked for 120s.
  EXPECT_EQ(d->next_attempt, k0900 + 15s + 120s);
  run_until(k0900 + 1h);
  EXPECT_EQ(state("a@x"), State::published);
  EXPECT_EQ(store_->get("a@x")->attempts, 3);
}

TEST_F(DispatcherTest, ARetryWaitingForItsTimeLetsLaterDeliveriesGo) {
  load(kX, R"(posts:
  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}
  - {id: b, at: 2027-03-02 09:01, channels: [x], text: b}
)");
  connector_.script = {RetryLater{std::nullopt, "HTTP 503"}};
  start();
  clock_.set(k0900);
  dispatcher_->pump("x");
  ASSERT_EQ(state("a@x"), State::retry_wait);
  EXPECT_EQ(store_->get("a@x")->next_attempt, k0900 + 15s);
  // a's retry comes first; b is not due yet.
  EXPECT_EQ(dispatcher_->next_wake("x"), k0900 + 15s);
  // Suppose a's retry is later than b's time: b goes at its own.
  // (Staged through the state table: due, sent again, and a later retry.)
  ASSERT_EQ(store_->apply("a@x", Event::retry_due, {}, k0900), Applied::done);
  ASSERT_EQ(store_->apply("a@x", Event::start_send, Effects{.sent_text = "a"}, k0900), Applied::done);
  ASSERT_EQ(store_->apply("a@x", Event::transient_error, Effects{.detail = "HTTP 503", .next_attempt = k0900 + 10min},
                          k0900),
            Applied::done);
  EXPECT_EQ(dispatcher_->next_wake("x"), k0900 + 1min);
  clock_.set(k0900 + 1min);
  dispatcher_->pump("x");
  EXPECT_EQ(state("b@x"), State::published);
  EXPECT_EQ(state("a@x"), State::retry_wait);
  // Nothing is due until a's retry: no wake in the past (a busy loop).
  EXPECT_EQ(dispatcher_->next_wake("x"), k0900 + 10min);
  run_until(k0900 + 10min);
  EXPECT_EQ(state("a@x"), State::published);
  ASSERT_EQ(connector_.creates.size(), 3u);
  EXPECT_EQ(connector_.creates[1].key, "b@x");
}

TEST_F(DispatcherTest, APlatformsRateLimitHoldsTheWholeChannel) {
  load(kX, R"(posts:
  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}
  - {id: b, at: 2027-03-02 09:00, channels: [x], text: b}
)");
  connector_.script = {RetryLater{15min, "HTTP 429, x-rate-limit-reset"}};
  start();
  clock_.set(k0900);
  dispatcher_->pump("x");
  dispatcher_->pump("x");
  EXPECT_EQ(connector_.creates.size(), 1u) << "b would meet the same limit";
  EXPECT_EQ(state("b@x"), State::planned);
  EXPECT_EQ(dispatcher_->next_wake("x"), k0900 + 15min);
  clock_.set(k0900 + 15min);
  dispatcher_->pump("x");
  dispatcher_->pump("x");
  EXPECT_EQ(state("a@x"), State::published);
  EXPECT_EQ(state("b@x"), State::published);
  ASSERT_EQ(connector_.creates.size(), 3u);
  EXPECT_EQ(connector_.creates[1].key, "a@x") << "in planned order after the wait";
}

TEST_F(DispatcherTest, AChannelWithoutAConnectorDoesNotWakeForNothing) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  start();
  dispatcher_->set_connector("x", nullptr);
  clock_.set(k0900 + 1min);
  dispatcher_->pump("x");
  EXPECT_EQ(state("a@x"), State::planned) << "waits for its credentials";
  EXPECT_EQ(dispatcher_->next_wake("x"), std::nullopt) << "a due time in the past would spin the loop";
  dispatcher_->pause("x", "storm", std::nullopt);
  EXPECT_EQ(dispatcher_->next_wake("x"), k0900) << "paused, it wakes to hold what is due";
  dispatcher_->pump("x");
  EXPECT_EQ(state("a@x"), State::held);
}

TEST_F(DispatcherTest, ALongQueueIsWalkedPageByPage) {
  // More due deliveries than one page, most waiting for a post of another
  // channel that is not published: the pump walks past all of them to the
  // one that can go.
  std::string posts = "posts:\n  - {id: video, at: 2027-03-02 12:00, channels: [y], text: v}\n";
  for (int i = 0; i < 70; ++i)
    posts += "  - {id: w" + std::to_string(100 + i) + ", at: 2027-03-02 08:30, channels: [x], text: \"see {link video}\"}\n";
  posts += "  - {id: last, at: 2027-03-02 08:59, channels: [x], text: free}\n";
  load(kX + "  y: {kind: x, account: b, credentials: y}\n", posts);
  start();
  clock_.set(k0900);
  dispatcher_->pump("x");
  ASSERT_EQ(connector_.creates.size(), 1u);
  EXPECT_EQ(connector_.creates[0].key, "last@x");
  EXPECT_EQ(store_->in_states({State::waiting}, "x").size(), 70u);
  EXPECT_EQ(store_->channels_in(State::waiting), std::vector<std::string>{"x"});
}

TEST_F(DispatcherTest, RetriesUsedUpFail) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  connector_.script = {RetryLater{std::nullopt, "HTTP 500"}, RetryLater{std::nullopt, "HTTP 500"},
                       RetryLater{std::nullopt, "HTTP 502"}};
  start();
  run_until(k0900 + 2h);
  EXPECT_EQ(state("a@x"), State::failed);
  EXPECT_EQ(store_->get("a@x")->last_error, "gave up after 3 attempts: HTTP 502");
  EXPECT_EQ(connector_.creates.size(), 3u);
}

// An Instagram container still IN_PROGRESS: the dispatcher asks again after
// the connector's wait, from its timers, and the asking is not an attempt.
TEST_F(DispatcherTest, ProcessingIsAskedAgainLaterWithoutUsingUpRetries) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  for (int i = 0; i < 6; ++i)  // more polls than the 3 attempts allowed
    connector_.script.push_back(Processing{std::chrono::seconds{10}, "the platform is processing the video"});
  start();
  clock_.set(k0900);
  dispatcher_->pump("x");
  ASSERT_EQ(connector_.creates.size(), 1u);
  EXPECT_EQ(state("a@x"), State::retry_wait);
  EXPECT_EQ(dispatcher_->next_wake("x"), k0900 + 10s) << "the connector's wait, no backoff";
  clock_.set(k0900 + 9s);
  dispatcher_->pump("x");
  EXPECT_EQ(connector_.creates.size(), 1u) << "not before its time";
  run_until(k0900 + 10min);
  ASSERT_EQ(connector_.creates.size(), 7u) << "six polls, then the publish";
  EXPECT_EQ(state("a@x"), State::published) << "polls are not failed attempts";
  int processing = 0;
  for (const auto& e : store_->history(100, "a@x")) processing += e.event == "processing";
  EXPECT_EQ(processing, 6);
  // A real failure after polls still has its full retries.
}

TEST_F(DispatcherTest, AFailureAfterProcessingStillHasItsRetries) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  for (int i = 0; i < 4; ++i) connector_.script.push_back(Processing{std::chrono::seconds{5}, "processing"});
  connector_.script.push_back(RetryLater{std::nullopt, "503"});
  connector_.script.push_back(RetryLater{std::nullopt, "503"});
  start();
  clock_.set(k0900);
  run_until(k0900 + 1h);
  EXPECT_EQ(state("a@x"), State::published) << "2 failures of 3 allowed attempts, the third goes out";
  EXPECT_EQ(connector_.creates.size(), 7u);
}

TEST_F(DispatcherTest, AnEditGivesAFailedDeliveryItsRetriesAgain) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  for (int i = 0; i < 3; ++i) connector_.script.push_back(RetryLater{std::nullopt, "HTTP 500"});
  start();
  run_until(k0900 + 2h);
  ASSERT_EQ(state("a@x"), State::failed);
  // The editor fixes the text; the platform fails once more, transiently.
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 11:30, channels: [x], text: fixed}\n");
  dispatcher_->configure(cal_);
  sync();
  EXPECT_EQ(state("a@x"), State::planned);
  connector_.script = {RetryLater{std::nullopt, "HTTP 503"}};
  run_until(k0900 + 3h);
  EXPECT_EQ(state("a@x"), State::published) << "a transient error after the edit is retried, not final";
  EXPECT_EQ(connector_.creates.back().composed.text, "fixed");
}

TEST_F(DispatcherTest, AnUnsureCreateIsSettledByLookupsNeverGuessed) {
  load(kX, R"(posts:
  - {id: found, at: 2027-03-02 09:00, channels: [x], text: a}
  - {id: absent, at: 2027-03-02 09:10, channels: [x], text: b}
  - {id: unknown, at: 2027-03-02 09:20, channels: [x], text: c}
)");
  connector_.script = {Unsure{"read timeout after sending"}};
  start();
  connector_.lookup_result = Found{"1", "https://x.com/a/status/1"};
  run_until(k0900 + 1min);
  EXPECT_EQ(state("found@x"), State::published);
  EXPECT_EQ(store_->get("found@x")->url, "https://x.com/a/status/1");
  EXPECT_EQ(connector_.lookups, 1);
  const auto found_history = store_->history(1, "found@x");
  EXPECT_EQ(found_history[0].event, "found_on_platform");
  EXPECT_NE(found_history[0].detail.find("found by lookup after a lost answer"), std::string::npos)
      << found_history[0].detail;
  EXPECT_EQ(store_->history(2, "found@x")[1].event, "answer_lost") << "the history shows the answer was lost";

  // Absent: proves nothing while the platform may still finish the request
  // (the margin, 120 s for this connector); the delivery stays sending and
  // its channel waits; only an absence that outlasts the margin allows a
  // new attempt.
  connector_.script = {Unsure{"connection reset"}};
  connector_.lookup_result = Absent{};
  connector_.lookups = 0;
  run_until(k0900 + 10min + 119s);
  EXPECT_EQ(state("absent@x"), State::sending) << "absence before the margin is no proof";
  EXPECT_GE(connector_.lookups, 3) << "lookups repeat over the margin";
  EXPECT_EQ(connector_.creates.size(), 2u) << "nothing sent again yet";
  run_until(k0900 + 10min + 121s);
  EXPECT_EQ(state("absent@x"), State::published) << "absent after the margin: sent again";
  ASSERT_EQ(connector_.creates.size(), 3u);
  EXPECT_TRUE(connector_.creates[2].answer_lost_before) << "the repeat knows an earlier answer was lost";
  bool absent_line = false;
  for (const auto& e : store_->history(20, "absent@x"))
    absent_line = absent_line || (e.event == "absent_on_platform" &&
                                  e.detail.find("lookup: absent 120 s after the answer was lost") != std::string::npos);
  EXPECT_TRUE(absent_line) << "the history says how the outcome was established";

  // Unknown until the margin has passed: a person decides.
  connector_.script = {Unsure{"timeout"}};
  connector_.lookup_result = Unknown{"HTTP 503"};
  run_until(k0900 + 30min);
  EXPECT_EQ(state("unknown@x"), State::needs_review);
  EXPECT_NE(store_->get("unknown@x")->last_error.find("HTTP 503"), std::string::npos);
  EXPECT_EQ(connector_.creates.size(), 4u) << "found, absent and its repeat, unknown: nothing sent twice blindly";
}

TEST_F(DispatcherTest, ASlowPlatformThatCompletesLateIsFoundNotSentTwice) {
  // The create takes longer than herald waits: the lookups find nothing at
  // first, then the post, once the platform has finished.
  load(kX, "posts:\n  - {id: slow, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  connector_.script = {Unsure{"read timeout after 30 s"}};
  start();
  connector_.lookup_fn = [&]() -> LookupResult {
    if (clock_.now() < k0900 + 75s) return Absent{};
    return Found{"7", "https://x.com/a/status/7"};
  };
  run_until(k0900 + 1h);
  EXPECT_EQ(state("slow@x"), State::published);
  EXPECT_EQ(store_->get("slow@x")->url, "https://x.com/a/status/7");
  EXPECT_EQ(connector_.creates.size(), 1u) << "never a second create";
  EXPECT_GE(connector_.lookups, 2);
}

TEST_F(DispatcherTest, WhereARepeatIsSafeALostAnswerIsSentAgain) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  connector_.policy.repeat_is_safe = true;
  connector_.script = {Unsure{"read timeout"}};
  start();
  run_until(k0900 + 1h);
  EXPECT_EQ(state("a@x"), State::published);
  EXPECT_EQ(connector_.lookups, 0) << "no lookup: the platform makes the repeat the same post";
  ASSERT_EQ(connector_.creates.size(), 2u);
  EXPECT_FALSE(connector_.creates[0].answer_lost_before);
  EXPECT_TRUE(connector_.creates[1].answer_lost_before);
  EXPECT_EQ(store_->get("a@x")->lost_answers, 1);
}

TEST_F(DispatcherTest, RetriesUsedUpOnLostAnswersNeedReviewNotFailure) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  connector_.policy.repeat_is_safe = true;
  connector_.script = {Unsure{"timeout"}, Unsure{"timeout"}, Unsure{"timeout"}};
  start();
  run_until(k0900 + 1h);
  EXPECT_EQ(connector_.creates.size(), 3u) << "the fixture's 3 attempts";
  EXPECT_EQ(state("a@x"), State::needs_review) << "the last attempt may have made the post";
  EXPECT_NE(store_->get("a@x")->last_error.find("the post may be out"), std::string::npos);
}

TEST_F(DispatcherTest, ADuplicateRefusalAfterALostAnswerIsEvidence) {
  load(kX, R"(posts:
  - {id: found, at: 2027-03-02 09:00, channels: [x], text: a}
  - {id: unseen, at: 2027-03-02 09:10, channels: [x], text: b}
  - {id: plain, at: 2027-03-02 09:20, channels: [x], text: c}
)");
  // found@x: the answer is lost, the margin passes without the post showing
  // (a slow timeline), the repeat is refused as a duplicate: the post exists.
  connector_.script = {Unsure{"timeout"}, Duplicate{"duplicate content"}};
  int lookups_before_duplicate = 0;
  connector_.lookup_fn = [&]() -> LookupResult {
    if (connector_.creates.size() < 2) {
      ++lookups_before_duplicate;
      return Absent{};
    }
    return Found{"9", "https://x.com/a/status/9"};
  };
  start();
  run_until(k0900 + 9min);
  EXPECT_EQ(state("found@x"), State::published);
  EXPECT_EQ(store_->get("found@x")->url, "https://x.com/a/status/9");
  EXPECT_GT(lookups_before_duplicate, 0);

  // unseen@x: the same, but the lookup never finds it: a person decides.
  connector_.script = {Unsure{"timeout"}, Duplicate{"duplicate content"}};
  connector_.lookup_fn = nullptr;
  connector_.lookup_result = Absent{};
  run_until(k0900 + 19min);
  EXPECT_EQ(state("unseen@x"), State::needs_review);
  EXPECT_NE(store_->get("unseen@x")->last_error.find("duplicate"), std::string::npos);

  // plain@x: a duplicate refusal with no lost answer before is a failure.
  connector_.script = {Duplicate{"You are not allowed to create a Tweet with duplicate content."}};
  run_until(k0900 + 30min);
  EXPECT_EQ(state("plain@x"), State::failed);
}

TEST_F(DispatcherTest, PermanentErrorFailsAtOnce) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  connector_.script = {Failed{"You are not allowed to create a Tweet with duplicate content."}};
  start();
  run_until(k0900 + 1h);
  EXPECT_EQ(state("a@x"), State::failed);
  EXPECT_EQ(store_->get("a@x")->last_error, "You are not allowed to create a Tweet with duplicate content.");
  EXPECT_EQ(connector_.creates.size(), 1u);
}

TEST_F(DispatcherTest, APersonRetriesAFailedDeliveryWithItsFullRetries) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  connector_.script = {Failed{"rejected"}};
  auto& d = start();
  std::vector<std::string> results;
  d.on_result = [&](const std::string& channel, const PublishResult& r, Instant planned, Instant now) {
    results.push_back(channel + " " + std::to_string(r.index()) + " late " +
                      std::to_string((now - planned).count()));
  };
  run_until(k0900 + 1h);
  ASSERT_EQ(state("a@x"), State::failed);
  EXPECT_EQ(d.retry_by_hand("nope@x").status, 404);
  clock_.set(k0900 + 2h);
  auto r = d.retry_by_hand("a@x");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(state("a@x"), State::planned);
  d.pump("x");  // due at once, although long past its planned time
  EXPECT_EQ(state("a@x"), State::published);
  EXPECT_EQ(connector_.creates.size(), 2u);
  auto again = d.retry_by_hand("a@x");
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.error.find("published"), std::string::npos) << again.error;
  // Each create request reported once, with how late it came back.
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0], "x 2 late 0");      // Failed
  EXPECT_EQ(results[1], "x 0 late 7200");  // Published, two hours after its planned time
  EXPECT_EQ(store_->history(1, "a@x")[0].event, "published");
}

TEST_F(DispatcherTest, APersonResolvesANeedsReviewDeliveryAndItsDependentsGo) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n"
           "  - {id: b, at: 2027-03-02 09:30, channels: [x], text: \"see {link a}\"}\n");
  connector_.script = {Unsure{"no answer"}};
  connector_.lookup_result = Unknown{"timeline unavailable"};
  auto& d = start();
  run_until(k0900 + 1h);
  ASSERT_EQ(state("a@x"), State::needs_review);
  EXPECT_EQ(state("b@x"), State::waiting);
  EXPECT_EQ(d.resolve_by_hand("b@x", "https://x.com/a/status/1").status, 409);
  auto r = d.resolve_by_hand("a@x", "https://x.com/a/status/42");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(state("a@x"), State::published);
  EXPECT_EQ(store_->get("a@x")->url, "https://x.com/a/status/42");
  EXPECT_EQ(store_->history(1, "a@x")[0].event, "resolved");
  run_until(k0900 + 2h);
  EXPECT_EQ(state("b@x"), State::published);
  EXPECT_EQ(connector_.creates.back().composed.text, "see https://x.com/a/status/42");
  EXPECT_EQ(connector_.creates.size(), 2u) << "a was never sent again";
}

TEST_F(DispatcherTest, AuthFailurePausesTheChannel) {
  load(kX, R"(posts:
  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}
  - {id: b, at: 2027-03-02 09:10, channels: [x], text: b}
)");
  connector_.script = {AuthFailed{"Invalid or expired token"}};
  start();
  run_until(k0900 + 1h);
  EXPECT_EQ(state("a@x"), State::held);
  EXPECT_EQ(state("b@x"), State::held);
  ASSERT_TRUE(dispatcher_->pause_of("x"));
  EXPECT_EQ(dispatcher_->pause_of("x")->reason, "credentials rejected: Invalid or expired token");
  EXPECT_EQ(connector_.creates.size(), 1u);
}

TEST_F(DispatcherTest, PauseHoldsAndResumeWithinTheLateWindowSends) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  start();
  dispatcher_->pause("", "storm in the news", std::nullopt);
  run_until(k0900 + 10min);
  EXPECT_EQ(state("a@x"), State::held);
  EXPECT_TRUE(connector_.creates.empty());
  EXPECT_TRUE(dispatcher_->resume(""));
  dispatcher_->pump_all();
  EXPECT_EQ(state("a@x"), State::published);
}

TEST_F(DispatcherTest, ResumeAfterTheLateWindowNeedsReview) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  start();
  dispatcher_->pause("x", "incident", std::nullopt);
  run_until(k0900 + 16min);
  EXPECT_TRUE(dispatcher_->resume("x"));
  dispatcher_->pump_all();
  EXPECT_EQ(state("a@x"), State::needs_review);
  EXPECT_EQ(store_->get("a@x")->last_error, "missed: due at 2027-03-02 09:00, daemon was paused");
  EXPECT_TRUE(connector_.creates.empty());
}

TEST_F(DispatcherTest, PauseUntilEndsByItself) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  start();
  dispatcher_->pause("x", "lunch", k0900 + 5min);
  run_until(k0900 + 10min);
  EXPECT_EQ(state("a@x"), State::published);
  EXPECT_EQ(connector_.creates.size(), 1u);
  EXPECT_FALSE(dispatcher_->pause_of("x"));
}

TEST_F(DispatcherTest, LateStartSendsRecentInOrderAndReviewsOld) {
  load("  x: {kind: x, account: a, credentials: x, min_spacing: 1m}\n", R"(posts:
  - {id: old, at: 2027-03-02 08:00, channels: [x], text: a}
  - {id: recent2, at: 2027-03-02 08:55, channels: [x], text: b}
  - {id: recent1, at: 2027-03-02 08:50, channels: [x], text: c}
)");
  clock_.set(k0900 - 2h);
  start();  // plans while "up", then the daemon is down until 09:00
  clock_.set(k0900);
  dispatcher_->apply_late_window("was down");
  EXPECT_EQ(state("old@x"), State::needs_review);
  EXPECT_EQ(store_->get("old@x")->last_error, "missed: due at 2027-03-02 08:00, daemon was down");
  run_until(k0900 + 5min);
  ASSERT_EQ(connector_.creates.size(), 2u);
  EXPECT_EQ(connector_.creates[0].key, "recent1@x");
  EXPECT_EQ(connector_.creates[1].key, "recent2@x");
}

TEST_F(DispatcherTest, AfterACrashSendingIsSettledNeverResent) {
  load(kX, R"(posts:
  - {id: found, at: 2027-03-02 09:00, channels: [x], text: a}
  - {id: later, at: 2027-03-02 09:00, channels: [x], text: b}
)");
  start();
  clock_.set(k0900);
  store_->apply("found@x", Event::start_send, Effects{.sent_text = "a"}, clock_.now());  // the crash came after the commit
  connector_.lookup_result = Found{"123", "https://x.com/a/status/123"};
  clock_.set(k0900 + 10s);
  start();  // a new process
  dispatcher_->reconcile();
  EXPECT_EQ(state("found@x"), State::sending) << "settled by its channel's lookups";
  dispatcher_->pump("x");
  EXPECT_EQ(state("found@x"), State::published);
  EXPECT_EQ(store_->get("found@x")->url, "https://x.com/a/status/123");
  EXPECT_EQ(store_->get("found@x")->lost_answers, 1);
  run_until(k0900 + 1h);
  ASSERT_EQ(connector_.creates.size(), 1u) << "never sent blindly";
  EXPECT_EQ(connector_.creates[0].key, "later@x") << "the channel went on once it was settled";
}

TEST_F(DispatcherTest, AfterACrashAbsenceCountsOnlyAfterTheMarginAndUnknownNeedsReview) {
  load(kX, R"(posts:
  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}
  - {id: b, at: 2027-03-02 10:00, channels: [x], text: b}
)");
  start();
  clock_.set(k0900);
  store_->apply("a@x", Event::start_send, Effects{.sent_text = "a"}, clock_.now());
  // Restarted 5 s later: the request may still be running at the platform,
  // which stopped being waited for at the crash, at the latest now.
  const Instant restart = k0900 + 5s;
  clock_.set(restart);
  start();
  dispatcher_->reconcile();
  connector_.lookup_result = Absent{};
  run_until(restart + 119s);
  EXPECT_EQ(state("a@x"), State::sending);
  EXPECT_TRUE(connector_.creates.empty());
  EXPECT_NE(dispatcher_->why(*store_->get("a@x")).find("looking it up"), std::string::npos);
  run_until(restart + 121s);
  EXPECT_EQ(state("a@x"), State::published);
  ASSERT_EQ(connector_.creates.size(), 1u);

  clock_.set(k0900 + 1h);
  store_->apply("b@x", Event::start_send, Effects{.sent_text = "b"}, clock_.now());
  start();
  dispatcher_->reconcile();
  connector_.lookup_result = Unknown{"HTTP 503 on lookup"};
  run_until(k0900 + 2h);
  EXPECT_EQ(state("b@x"), State::needs_review);
  EXPECT_NE(store_->get("b@x")->last_error.find("HTTP 503 on lookup"), std::string::npos);
  EXPECT_EQ(connector_.creates.size(), 1u);
}

TEST_F(DispatcherTest, RestartsWhileSettlingDoNotPostponeTheDecision) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  start();
  clock_.set(k0900);
  store_->apply("a@x", Event::start_send, Effects{.sent_text = "a"}, clock_.now());
  connector_.lookup_result = Absent{};
  // Crash loop: a restart every 30 s; each looks, none may push the
  // moment absence counts (first restart + 120 s) further out.
  for (int i = 0; i < 4; ++i) {
    clock_.set(k0900 + 5s + std::chrono::seconds(30 * i));
    start();
    dispatcher_->reconcile();
    dispatcher_->pump("x");
  }
  EXPECT_EQ(store_->get("a@x")->settle_from, k0900 + 5s + 120s);
  EXPECT_EQ(state("a@x"), State::sending);
  run_until(k0900 + 5s + 120s);
  EXPECT_EQ(state("a@x"), State::published) << "decided 120 s after the first restart, not after the last";
  EXPECT_EQ(connector_.creates.size(), 1u);
  bool said = false;
  for (const auto& e : store_->history(30, "a@x"))
    said = said || e.detail.find("lookup: absent 120 s after the answer was lost") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST_F(DispatcherTest, AfterACrashARepeatSafePlatformIsSentAgainAtOnce) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  connector_.policy.repeat_is_safe = true;
  start();
  clock_.set(k0900);
  store_->apply("a@x", Event::start_send, Effects{.sent_text = "a"}, clock_.now());
  clock_.set(k0900 + 5s);
  start();
  dispatcher_->reconcile();
  EXPECT_EQ(state("a@x"), State::planned);
  EXPECT_EQ(store_->history(1, "a@x")[0].event, "safe_to_repeat");
  dispatcher_->pump("x");
  EXPECT_EQ(state("a@x"), State::published);
  EXPECT_EQ(connector_.lookups, 0);
  ASSERT_EQ(connector_.creates.size(), 1u);
  EXPECT_TRUE(connector_.creates[0].answer_lost_before);
}

TEST_F(DispatcherTest, APauseCommittedByAnotherProcessHoldsTheNextCreate) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  start();
  // `herald pause` writing into the store directly: the dispatcher never
  // heard of it, but the sending commit reads the pauses table.
  auto other = Store::open_existing(dir_);
  other->set_pause({"", "crisis", k0900 - 1min, std::nullopt}, k0900 - 1min);
  clock_.set(k0900);
  dispatcher_->pump("x");
  EXPECT_EQ(state("a@x"), State::held);
  EXPECT_TRUE(connector_.creates.empty());
}

TEST_F(DispatcherTest, NoCreateStartsWhileTheDatabaseFileIsGone) {
  load(kX, "posts:\n  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}\n");
  auto& d = start();
  std::vector<std::string> failures;
  d.on_store_failure = [&](const std::string& why) { failures.push_back(why); };
  const auto file = store_->file();
  const auto moved = std::filesystem::path(file).concat(".moved");
  std::filesystem::rename(file, moved);
  clock_.set(k0900);
  d.pump("x");
  EXPECT_TRUE(connector_.creates.empty());
  ASSERT_FALSE(failures.empty());
  EXPECT_NE(failures[0].find("was deleted"), std::string::npos) << failures[0];
  ASSERT_TRUE(d.store_problem());
  EXPECT_EQ(d.next_wake("x"), std::nullopt) << "the store watch wakes it, not a timer";
  EXPECT_NE(d.why(*store_->get("a@x")).find("state database is unavailable"), std::string::npos);
  std::filesystem::rename(moved, file);  // the same file is back
  d.set_store_problem(std::nullopt);
  d.pump("x");
  EXPECT_EQ(state("a@x"), State::published);
}

TEST_F(DispatcherTest, ANewStoreLooksOverdueDeliveriesUpBeforeSending) {
  load(kX, R"(posts:
  - {id: out, at: 2027-03-02 08:50, channels: [x], text: a}
  - {id: notout, at: 2027-03-02 08:55, channels: [x], text: b}
  - {id: unsure, at: 2027-03-02 08:56, channels: [x], text: c}
  - {id: future, at: 2027-03-02 09:30, channels: [x], text: d}
)");
  // The store is new (SetUp made it): its first sync marks what is overdue.
  clock_.set(k0900);
  start();
  EXPECT_TRUE(store_->get("out@x")->verify);
  EXPECT_FALSE(store_->get("future@x")->verify);
  int n = 0;
  connector_.lookup_fn = [&]() -> LookupResult {
    switch (n++) {
      case 0: return Found{"1", "https://x.com/a/status/1"};
      case 1: return Absent{};
      default: return Unknown{"timeline unavailable"};
    }
  };
  run_until(k0900 + 1h);
  EXPECT_EQ(state("out@x"), State::published) << "found: not sent again";
  EXPECT_EQ(state("notout@x"), State::published);
  EXPECT_EQ(state("unsure@x"), State::needs_review);
  EXPECT_EQ(state("future@x"), State::published);
  ASSERT_EQ(connector_.creates.size(), 2u);
  EXPECT_EQ(connector_.creates[0].key, "notout@x");
  EXPECT_EQ(connector_.creates[1].key, "future@x");
  // A second sync (a reload) marks nothing more.
  sync();
  EXPECT_FALSE(store_->get("future@x")->verify);
}

TEST_F(DispatcherTest, EveryDueDeliverySaysWhyItHasNotGone) {
  load("  x: {kind: x, account: a, credentials: x, rate: 1/1h}\n", R"(posts:
  - {id: a, at: 2027-03-02 09:00, channels: [x], text: a}
  - {id: b, at: 2027-03-02 09:05, channels: [x], text: b}
  - {id: c, at: 2027-03-02 09:10, channels: [x], text: "see {link a}"}
)");
  DeferredExecutor deferred;
  auto& d = start(&deferred);
  clock_.set(k0900 + 6min);
  d.pump("x");  // a goes out and hangs
  EXPECT_EQ(d.why(*store_->get("b@x")), "behind a@x, being sent");
  deferred.release_all();
  d.pump("x");
  EXPECT_NE(d.why(*store_->get("b@x")).find("the channel's rate (1 per 1h)"), std::string::npos)
      << d.why(*store_->get("b@x"));
  EXPECT_EQ(d.why(*store_->get("a@x")), "") << "published: nothing to explain";
  d.pause("x", "storm", std::nullopt);
  EXPECT_EQ(d.why(*store_->get("b@x")), "paused: storm");
}

TEST_F(DispatcherTest, ADayOfRecurringPostsRunsOnTheManualClock) {
  load(kX, "posts:\n  - {id: tip, every: daily 09:00, from: 2027-03-01, channels: [x], text: tip}\n");
  start();
  dispatcher_->apply_late_window("was down");  // yesterday's occurrence is long past
  EXPECT_EQ(state("tip@x#2027-03-01"), State::needs_review);
  run_until(k0900 + date::days{6});
  ASSERT_EQ(connector_.creates.size(), 7u);
  EXPECT_EQ(connector_.creates[0].key, "tip@x#2027-03-02");
  EXPECT_EQ(connector_.creates[6].key, "tip@x#2027-03-08");
}


// Group commit (issue 15.3). Deliveries of many channels due at one instant
// are woken together and made `sending` in one commit, before any request.
TEST_F(DispatcherTest, DeliveriesDueTogetherShareOneSendingCommit) {
  std::string channels, posts = "posts:\n";
  for (int i = 1; i <= 6; ++i) {
    channels += "  x" + std::to_string(i) + ": {kind: x, account: a, credentials: x}\n";
    posts += "  - {id: p" + std::to_string(i) + ", at: 2027-03-02 09:00, channels: [x" + std::to_string(i) +
             "], text: t" + std::to_string(i) + "}\n";
  }
  load(channels, posts);
  LoopExecutor loop;
  start(&loop, /*workers=*/8);
  dispatcher_->pump_all();  // each channel books 09:00
  for (int i = 1; i <= 6; ++i) ASSERT_EQ(wakes_.booked("x" + std::to_string(i)), k0900);
  clock_.set(k0900);
  const auto before = store_->commits();
  EXPECT_EQ(wakes_.fire_due(clock_.now()), 6u);
  EXPECT_EQ(store_->commits(), before + 1) << "one sending commit for six deliveries";
  ASSERT_EQ(loop.held.size(), 6u);
  for (int i = 1; i <= 6; ++i) EXPECT_EQ(state("p" + std::to_string(i) + "@x" + std::to_string(i)), State::sending);

  // Their answers come back in one loop turn: one commit for all six.
  const auto sent = store_->commits();
  loop.release();
  EXPECT_EQ(store_->commits(), sent + 1) << "one result commit for six answers";
  for (int i = 1; i <= 6; ++i) {
    const auto d = store_->get("p" + std::to_string(i) + "@x" + std::to_string(i));
    EXPECT_EQ(d->state, State::published);
    EXPECT_EQ(d->url, "https://example.test/" + d->key);
  }
}

// A batch whose `sending` commit fails sends nothing: no delivery is
// `sending`, no request leaves; once the store is back they all go.
TEST_F(DispatcherTest, NothingLeavesWhenTheSendingCommitFails) {
  load("  x1: {kind: x, account: a, credentials: x}\n  x2: {kind: x, account: a, credentials: x}\n"
       "  x3: {kind: x, account: a, credentials: x}\n",
       "posts:\n  - {id: p, at: 2027-03-02 09:00, channels: [x1, x2, x3], text: t}\n");
  LoopExecutor loop;
  start(&loop);
  std::string problem;
  dispatcher_->on_store_failure = [&](const std::string& why) { problem = why; };
  {
    // The last delivery's write fails inside the batch (as a full disk would).
    SQLite::Database other((dir_ / "herald.db").string(), SQLite::OPEN_READWRITE);
    other.exec("CREATE TRIGGER refuse BEFORE UPDATE OF state ON deliveries WHEN NEW.key = 'p@x3' "
               "AND NEW.state = 'sending' BEGIN SELECT RAISE(ABORT, 'disk trouble'); END");
  }
  clock_.set(k0900);
  dispatcher_->pump_all();
  EXPECT_TRUE(loop.held.empty()) << "no request of a failed batch goes out";
  EXPECT_TRUE(connector_.creates.empty());
  for (const auto* k : {"p@x1", "p@x2", "p@x3"}) EXPECT_EQ(state(k), State::planned) << k;
  EXPECT_NE(problem.find("disk trouble"), std::string::npos) << problem;
  ASSERT_TRUE(dispatcher_->store_problem());
  EXPECT_EQ(dispatcher_->next_wake("x1"), std::nullopt) << "nothing starts while the store is unusable";

  {
    SQLite::Database other((dir_ / "herald.db").string(), SQLite::OPEN_READWRITE);
    other.exec("DROP TRIGGER refuse");
  }
  dispatcher_->set_store_problem(std::nullopt);
  const auto before = store_->commits();
  dispatcher_->pump_all();
  EXPECT_EQ(store_->commits(), before + 1) << dispatcher_->store_problem().value_or("") << (log_.lines.empty() ? "" : log_.lines.back().text);
  EXPECT_EQ(loop.held.size(), 3u);
  loop.release();
  for (const auto* k : {"p@x1", "p@x2", "p@x3"}) EXPECT_EQ(state(k), State::published) << k;
  EXPECT_EQ(connector_.creates.size(), 3u) << "each sent once";
}

// Results of one loop turn are written in one commit, each as it would be
// alone: published, a retry, a permanent failure; if that commit fails all
// of them wait in memory (their deliveries still `sending` on disk) and are
// written together once the store is back.
TEST_F(DispatcherTest, ResultsOfOneTurnShareOneCommitOrAllWait) {
  load("  x1: {kind: x, account: a, credentials: x}\n  x2: {kind: x, account: a, credentials: x}\n"
       "  x3: {kind: x, account: a, credentials: x}\n",
       "posts:\n  - {id: p, at: 2027-03-02 09:00, channels: [x1, x2, x3], text: t}\n");
  LoopExecutor loop;
  start(&loop);
  connector_.script = {Published{"1", "https://x.com/a/status/1"}, RetryLater{std::nullopt, "503"},
                       Failed{"text refused"}};
  clock_.set(k0900);
  dispatcher_->pump_all();
  ASSERT_EQ(loop.held.size(), 3u);
  {
    SQLite::Database other((dir_ / "herald.db").string(), SQLite::OPEN_READWRITE);
    other.exec("CREATE TRIGGER refuse BEFORE UPDATE OF state ON deliveries WHEN NEW.key = 'p@x3' "
               "AND NEW.state = 'failed' BEGIN SELECT RAISE(ABORT, 'disk trouble'); END");
  }
  const auto before = store_->commits();
  loop.release();
  EXPECT_EQ(store_->commits(), before) << "the results' batch failed as a whole";
  for (const auto* k : {"p@x1", "p@x2", "p@x3"}) EXPECT_EQ(state(k), State::sending) << k;
  ASSERT_TRUE(dispatcher_->store_problem());
  SQLite::Database((dir_ / "herald.db").string(), SQLite::OPEN_READWRITE).exec("DROP TRIGGER refuse");
  dispatcher_->set_store_problem(std::nullopt);
  EXPECT_EQ(store_->commits(), before + 1) << "written together once the store is back";
  EXPECT_EQ(state("p@x1"), State::published);
  EXPECT_EQ(state("p@x2"), State::retry_wait);
  EXPECT_EQ(state("p@x3"), State::failed);
  EXPECT_EQ(store_->get("p@x3")->last_error, "text refused");
  EXPECT_EQ(connector_.creates.size(), 3u);
}

// A slow platform cannot hold the workers another needs (issue 15.3): each
// request runs in its platform's lane, and configure() gives each lane its
// share of the workers (the AsioExecutor's tests show a full lane leaving
// the others theirs), or publishing.max_in_flight.
TEST_F(DispatcherTest, EachPlatformsRequestsRunInItsOwnLaneWithItsShareOfTheWorkers) {
  const std::string channels =
      "  x1: {kind: x, account: a, credentials: x}\n  x2: {kind: x, account: a, credentials: x}\n"
      "  m: {kind: mastodon, instance: \"https://mastodon.social\", credentials: m}\n";
  load(channels, R"(posts:
  - {id: a, at: 2027-03-02 09:00, channels: [x1, x2, m], text: a}
)");
  LoopExecutor loop;
  start(&loop, /*workers=*/5);
  EXPECT_EQ(dispatcher_->max_in_flight(), 2) << "five workers shared by two platforms";
  EXPECT_EQ(loop.lane_limit(), 2);
  dispatcher_->pump_all();
  clock_.set(k0900);
  wakes_.fire_due(clock_.now());
  ASSERT_EQ(loop.held.size(), 3u) << "every due create goes to the executor; the lanes hold back what may not run";
  EXPECT_EQ(loop.lanes["a@x1"], "x");
  EXPECT_EQ(loop.lanes["a@x2"], "x");
  EXPECT_EQ(loop.lanes["a@m"], "mastodon");
  loop.release();
  for (const auto* k : {"a@x1", "a@x2", "a@m"}) EXPECT_EQ(state(k), State::published) << k;

  start(&loop, /*workers=*/1);
  EXPECT_EQ(loop.lane_limit(), 1) << "at least one each, even when the platforms outnumber the workers";
  const std::string with_setting = "calendar: c.yaml\ntimezone: Europe/Amsterdam\npublishing: {max_in_flight: 7}\n";
  Diagnostics d;
  auto cal = std::make_shared<LoadedCalendar>(*cal_);
  cal->settings = *load_settings_text(with_setting + "channels:\n" + channels, dir_ / "herald.yaml", {}, d);
  ASSERT_FALSE(d.has_errors());
  dispatcher_->configure(cal);
  EXPECT_EQ(loop.lane_limit(), 7) << "publishing.max_in_flight wins";
}

}  // namespace
}  // namespace herald
