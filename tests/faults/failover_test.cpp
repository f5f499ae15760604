// Two real `herald run` processes on one real PostgreSQL (DESIGN.md "The
// store beyond one host"), publishing to the real herald-sandbox: one holds
// the store's lease and dispatches, the other stands by. The active one is
// killed with SIGKILL, or frozen with SIGSTOP past its lease and then let go
// on; the standby takes over, and every post is created exactly once.
#include "tests/support/herald_daemon.hpp"
#include "tests/support/process.hpp"
#include "tests/support/real_postgresql.hpp"
#include "tests/support/sandbox_process.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <regex>
#include <thread>

namespace herald {
namespace {

using testing::eventually;
using testing::HeraldDaemon;
using testing::RealPostgresql;
using testing::SandboxProcess;
using testing::utc_in;
using namespace std::chrono_literals;

constexpr int kPosts = 24;

class Failover : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = RealPostgresql::unavailable(); !why.empty()) GTEST_SKIP() << why;
    auto started = RealPostgresql::start();
    ASSERT_TRUE(started.server) << started.unavailable;
    db_ = std::move(started.server);
    sandbox_ = std::make_unique<SandboxProcess>(a_.dir() / "sandbox", testing::sandbox_x_section(1000));
    write_both(kPosts);
  }

  // Settings and a calendar of `posts` posts for both instances: from 6 s
  // on, two a second, so some fall due before the active instance goes and
  // most after.
  void write_both(int posts, const std::string& lease = "2s") {
    posts_ = posts;
    std::string calendar = "posts:\n";
    for (int i = 0; i < posts; ++i)
      calendar += "  - {id: p" + std::to_string(i) + ", at: \"" + utc_in(std::chrono::seconds(6 + i / 2)) +
                  "\", channels: [x], text: \"Failover post " + std::to_string(i) + "\"}\n";
    for (HeraldDaemon* h : {&a_, &b_}) {
      // Two hosts, as far as the instances can tell (store.instance).
      const std::string host = h == &a_ ? "host-a" : "host-b";
      h->write_credential("x", testing::sandbox_x_credentials());
      h->write_credential("db", "password: \"" + db_->password() + "\"\n");
      h->write_settings("  x: {kind: x, account: sandbox_herald, credentials: x, api_base: \"" +
                            sandbox_->base_url() + "\"}\n",
                        // The sandbox finishes a create before it answers: a short settle
                        // margin (as in the crash test) keeps a channel whose create was cut
                        // off waiting seconds, not a minute, before its lookup may say "absent".
                        "publishing: {settle_margin: 3s}\nstore:\n  postgresql: \"" + db_->url() +
                            "\"\n  password: db\n  lease: " + lease + "\n  instance: " + host + "\n");
      h->write_calendar(calendar);
    }
    calendar_ = calendar;
  }

  // A holds the lease, B stands by.
  void start_both() {
    a_.start();
    ASSERT_TRUE(a_.wait_for_log("holds the store's lease", 30s)) << a_.log();
    b_.start();
    ASSERT_TRUE(b_.wait_for_log("standing by: the active instance is", 30s)) << b_.log();
  }

  std::size_t created() const { return sandbox_->creates().size(); }
  // How many creates carried `text`.
  int created_with(const std::string& text) const {
    int n = 0;
    for (const auto& c : sandbox_->creates()) n += c.text == text;
    return n;
  }

  // The instance name an instance logged when it took the lease.
  static std::string name_of(const HeraldDaemon& h) {
    static const std::regex took("this instance \\(([^)]+)\\) holds the store's lease");
    const std::string log = h.log_of_this_run();
    std::smatch m;
    return std::regex_search(log, m, took) ? m[1].str() : std::string();
  }

  // GET `path` of `h`'s endpoint as JSON (null when it is not JSON).
  static boost::json::value get_json(const HeraldDaemon& h, const std::string& path) {
    boost::system::error_code ec;
    auto v = boost::json::parse(h.get(path).body, ec);
    return ec ? boost::json::value() : v;
  }

  // The `shared` part of `h`'s status ("" for a field it lacks).
  static std::string shared_field(const HeraldDaemon& h, const std::string& field) {
    const auto status = get_json(h, "/api/v1/status");
    if (!status.is_object()) return "";
    const auto* shared = status.as_object().if_contains("shared");
    if (!shared || !shared->is_object()) return "";
    const auto* v = shared->as_object().if_contains(field);
    if (!v) return "";
    if (v->is_bool()) return v->as_bool() ? "true" : "false";
    return v->is_string() ? std::string(v->as_string()) : "";
  }

  // At the end: each post published once, or waiting for a person
  // (needs_review); never created twice.
  void expect_each_post_once_or_for_review() {
    ASSERT_TRUE(eventually(
        [&] {
          return db_->query("SELECT count(*) FROM deliveries WHERE state IN ('published', 'needs_review')") ==
                 std::to_string(posts_);
        },
        90s))
        << db_->query("SELECT string_agg(key || ' ' || state, ', ') FROM deliveries WHERE state NOT IN "
                      "('published', 'needs_review')");
    std::map<std::string, int> times;
    for (const auto& c : sandbox_->creates()) ++times[c.text];
    for (const auto& [text, n] : times) EXPECT_EQ(n, 1) << text;
    const std::string published = db_->query("SELECT count(*) FROM deliveries WHERE state = 'published'");
    const std::string review = db_->query("SELECT count(*) FROM deliveries WHERE state = 'needs_review'");
    std::cout << posts_ << " posts: " << published << " published, " << review << " needing review, "
              << times.size() << " created\n";
    EXPECT_EQ(std::to_string(times.size()), published);
  }

  std::string state_of(const std::string& key) const {
    return db_->query("SELECT state FROM deliveries WHERE key = '" + key + "'");
  }

  // Every post created once, none twice, nothing else.
  void expect_each_post_once() {
    ASSERT_TRUE(eventually([&] { return created() >= static_cast<std::size_t>(posts_); }, 60s))
        << created() << " of " << posts_ << " created\nA:\n" << a_.log() << "\nB:\n" << b_.log();
    std::map<std::string, int> times;
    for (const auto& c : sandbox_->creates()) ++times[c.text];
    EXPECT_EQ(times.size(), static_cast<std::size_t>(posts_));
    for (int i = 0; i < posts_; ++i)
      EXPECT_EQ(times["Failover post " + std::to_string(i)], 1) << "post p" << i;
  }

  std::unique_ptr<RealPostgresql> db_;
  HeraldDaemon a_{"a"}, b_{"b"};
  int posts_ = kPosts;
  std::string calendar_;
  std::unique_ptr<SandboxProcess> sandbox_;
};

TEST_F(Failover, TheStandbyTakesOverFromAKilledInstanceAndNothingGoesOutTwice) {
  start_both();
  ASSERT_TRUE(eventually([&] { return created() >= 4; }, 30s)) << a_.log();
  a_.kill();
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(b_.wait_for_log("holds the store's lease", 30s)) << b_.log();
  const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed);
  // A figure for docs/performance.md, not a timing assertion: the lease is
  // 2 s and the standby asks every 667 ms.
  RecordProperty("leaderless_ms", static_cast<int>(gap.count()));
  std::cout << "no instance held the lease for " << gap.count() << " ms after the SIGKILL\n";
  // The new active instance serves the status endpoint, and says what happened.
  ASSERT_TRUE(b_.wait_started()) << b_.log();
  const std::string metrics = b_.get("/metrics").body;
  EXPECT_NE(metrics.find("\nherald_leader 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nherald_failovers_total 1\n"), std::string::npos) << metrics;
  expect_each_post_once();
  EXPECT_EQ(b_.stop(), 0);
}

TEST_F(Failover, AFrozenInstanceThatWakesUpAfterItsLeaseCreatesNothingAndStandsDown) {
  start_both();
  ASSERT_TRUE(eventually([&] { return created() >= 4; }, 30s)) << a_.log();
  a_.process()->signal(SIGSTOP);
  ASSERT_TRUE(b_.wait_for_log("holds the store's lease", 30s)) << b_.log();
  const std::size_t before = created();
  ASSERT_TRUE(eventually([&] { return created() >= before + 3; }, 30s)) << b_.log();
  // Woken mid-pump with posts due: it may not create any, and it goes.
  a_.process()->signal(SIGCONT);
  EXPECT_EQ(a_.process()->wait(30s), 75) << a_.log();
  EXPECT_NE(a_.log().find("exits, so that it starts again as a standby"), std::string::npos) << a_.log();
  expect_each_post_once();
  EXPECT_EQ(b_.stop(), 0);
}

TEST_F(Failover, AStoppedInstanceHandsTheLeaseOverAtOnce) {
  start_both();
  EXPECT_EQ(a_.stop(), 0);
  ASSERT_TRUE(b_.wait_for_log("holds the store's lease", 30s)) << b_.log();
  expect_each_post_once();
  EXPECT_EQ(b_.stop(), 0);
}

// The calendar is deployed again while B stands by: when B takes over, it
// applies the calendar on its disk then, not the one it read at its start.
TEST_F(Failover, TheStandbyAppliesTheCalendarOnItsDiskWhenItTakesOver) {
  start_both();
  const std::string added = "Failover post " + std::to_string(posts_);
  // Deployed on both hosts; A applies it, then goes.
  for (HeraldDaemon* h : {&a_, &b_})
    h->write_calendar(calendar_ + "  - {id: added, at: \"" + utc_in(5s) + "\", channels: [x], text: \"" + added + "\"}\n");
  ++posts_;
  ASSERT_TRUE(a_.wait_for_log("calendar reloaded", 30s)) << a_.log();
  ASSERT_TRUE(eventually([&] { return created() >= 2; }, 30s)) << a_.log();
  a_.kill();
  ASSERT_TRUE(b_.wait_for_log("holds the store's lease", 30s)) << b_.log();
  expect_each_post_once();
  EXPECT_EQ(b_.stop(), 0);
}

// B stands by: its endpoint answers from the shared store, marked standby
// with A's name; actions are refused with a pointer to A, and the herald
// command on B's host writes a pause into the shared store, which A holds
// until it is lifted the same way.
TEST_F(Failover, AStandbyAnswersFromTheSharedStoreAndItsPauseHoldsTheActiveInstance) {
  start_both();
  ASSERT_TRUE(b_.wait_started(30s, true)) << b_.log();
  ASSERT_TRUE(a_.wait_started()) << a_.log();
  const std::string active = name_of(a_);
  ASSERT_FALSE(active.empty()) << a_.log();
  EXPECT_EQ(shared_field(b_, "role"), "standby");
  EXPECT_EQ(shared_field(b_, "active_instance"), active);
  EXPECT_EQ(shared_field(b_, "instance").rfind("host-b/", 0), 0u) << shared_field(b_, "instance");
  EXPECT_EQ(shared_field(a_, "role"), "active");
  EXPECT_EQ(shared_field(a_, "calendar_differs"), "false");
  // The shared store's deliveries: every one A planned, in B's counts and queue.
  const auto status_json = get_json(b_, "/api/v1/status");
  ASSERT_TRUE(status_json.is_object());
  std::int64_t counted = 0;
  for (const auto& [state, n] : status_json.as_object().at("counts").as_object()) counted += n.as_int64();
  EXPECT_EQ(counted, posts_) << boost::json::serialize(status_json);
  const auto queue = get_json(b_, "/api/v1/queue?limit=1000");
  ASSERT_TRUE(queue.is_object()) << b_.get("/api/v1/queue").body;
  EXPECT_GE(queue.as_object().at("deliveries").as_array().size(), 1u);
  const std::string metrics = b_.get("/metrics").body;
  EXPECT_NE(metrics.find("\nherald_leader 0\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nherald_calendar_differs 0\n"), std::string::npos) << metrics;
  // `herald status` on B's host names the active instance.
  const auto status = b_.cli({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("STANDING BY"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("the active instance is " + active), std::string::npos) << status.out;

  // An action on the standby's endpoint: 409, and where to go.
  const auto refused = b_.post("/api/v1/pause", R"({"reason": "crisis"})");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("\"active_instance\":\"" + active + "\""), std::string::npos) << refused.body;

  // The herald command on B's host: the pause goes into the shared store.
  const auto paused = b_.cli({"pause", "--reason", "crisis"});
  ASSERT_EQ(paused.exit_code, 0) << paused.out << paused.err;
  EXPECT_NE(paused.err.find("every instance holds it"), std::string::npos) << paused.err;
  const std::size_t at_pause = created();
  // A holds what falls due meanwhile, and says so.
  ASSERT_TRUE(eventually([&] { return db_->query("SELECT count(*) FROM deliveries WHERE state = 'held'") != "0"; },
                         30s))
      << a_.log();
  EXPECT_LE(created(), at_pause + 1);  // at most a create already running when the pause was written
  const auto a_status = get_json(a_, "/api/v1/status");
  ASSERT_TRUE(a_status.is_object());
  EXPECT_TRUE(a_status.as_object().at("paused").is_object()) << boost::json::serialize(a_status);

  const auto resumed = b_.cli({"resume"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  expect_each_post_once();
  EXPECT_EQ(a_.stop(), 0);
  EXPECT_EQ(b_.stop(), 0);
}

// B's checkout is stale: it lacks p1 and has a post of its own. B says so
// while standing by; taking over, it keeps the store's plan (A's): what its
// calendar plans the same goes out, p1 waits, its own post is not added.
// A person's `herald reload` on B then applies B's calendar.
TEST_F(Failover, AStandbyWithAnotherCalendarSaysSoAndKeepsTheStoresPlanWhenItTakesOver) {
  std::string stale;
  for (std::size_t at = 0; at < calendar_.size();) {
    const std::size_t end = calendar_.find('\n', at) + 1;
    const std::string line = calendar_.substr(at, end - at);
    if (line.find("id: p1,") == std::string::npos) stale += line;
    at = end;
  }
  stale += "  - {id: stale, at: \"" + utc_in(8s) + "\", channels: [x], text: \"Stale post\"}\n";
  b_.write_calendar(stale);
  start_both();
  ASSERT_TRUE(b_.wait_started(30s, true)) << b_.log();
  ASSERT_TRUE(eventually([&] { return shared_field(b_, "calendar_differs") == "true"; }, 30s)) << b_.log();
  EXPECT_NE(b_.get("/metrics").body.find("\nherald_calendar_differs 1\n"), std::string::npos);
  ASSERT_TRUE(b_.wait_for_log("is not the one whose plan the shared store holds", 30s)) << b_.log();

  a_.kill();
  ASSERT_TRUE(b_.wait_for_log("holds the store's lease", 30s)) << b_.log();
  ASSERT_TRUE(b_.wait_for_log("the store's plan is kept", 30s)) << b_.log();
  ASSERT_TRUE(b_.wait_started()) << b_.log();
  EXPECT_EQ(shared_field(b_, "keeping_store_plan"), "true");
  EXPECT_EQ(shared_field(b_, "calendar_differs"), "true");
  // Everything both calendars plan the same goes out once.
  ASSERT_TRUE(eventually([&] { return created() >= static_cast<std::size_t>(posts_ - 1); }, 60s))
      << created() << "\n" << b_.log();
  for (int i = 0; i < posts_; ++i) {
    if (i != 1) {
      EXPECT_EQ(created_with("Failover post " + std::to_string(i)), 1) << "post p" << i;
    }
  }
  // p1, which B's calendar lacks, is neither sent nor cancelled; B's own post is not in the store.
  EXPECT_EQ(created_with("Failover post 1"), 0);
  EXPECT_EQ(state_of("p1@x"), "planned");
  EXPECT_EQ(db_->query("SELECT count(*) FROM deliveries WHERE post = 'stale'"), "0");
  EXPECT_EQ(created_with("Stale post"), 0);

  // A person applies B's calendar.
  const auto reloaded = b_.cli({"reload"});
  ASSERT_EQ(reloaded.exit_code, 0) << reloaded.out << reloaded.err;
  ASSERT_TRUE(eventually([&] { return created_with("Stale post") == 1; }, 30s)) << b_.log();
  EXPECT_EQ(state_of("p1@x"), "cancelled");
  EXPECT_EQ(shared_field(b_, "calendar_differs"), "false");
  EXPECT_EQ(created_with("Failover post 1"), 0);
  EXPECT_EQ(b_.stop(), 0);
}

// Told to, the instance taking over applies its own calendar at once.
TEST_F(Failover, TakingOverWithMyCalendarAppliesThisHostsCalendar) {
  b_.write_calendar(calendar_ + "  - {id: mine, at: \"" + utc_in(8s) + "\", channels: [x], text: \"My post\"}\n");
  a_.start();
  ASSERT_TRUE(a_.wait_for_log("holds the store's lease", 30s)) << a_.log();
  b_.start({}, {"--take-over-with-my-calendar"});
  ASSERT_TRUE(b_.wait_for_log("standing by: the active instance is", 30s)) << b_.log();
  a_.kill();
  ASSERT_TRUE(b_.wait_for_log("is applied over the store's plan", 30s)) << b_.log();
  ++posts_;
  ASSERT_TRUE(eventually([&] { return created_with("My post") == 1; }, 60s)) << b_.log();
  EXPECT_EQ(b_.stop(), 0);
}

// PostgreSQL itself restarted under the active instance, quicker than its
// lease: no create starts while the database is gone, herald says so, and it
// goes on by itself when the database is back, still holding the lease.
TEST_F(Failover, PostgresqlRestartedUnderTheActiveInstanceStopsCreatesThenGoesOn) {
  write_both(kPosts, "30s");
  a_.start();
  ASSERT_TRUE(a_.wait_for_log("holds the store's lease", 30s)) << a_.log();
  ASSERT_TRUE(eventually([&] { return created() >= 3; }, 30s)) << a_.log();
  db_->stop();
  ASSERT_TRUE(a_.wait_for_log("no create starts until the state database is usable again", 30s)) << a_.log();
  const std::size_t while_down = created();
  EXPECT_NE(a_.log_of_this_run().find("PostgreSQL store cannot be reached"), std::string::npos) << a_.log();
  db_->start_again();
  ASSERT_TRUE(a_.wait_for_log("the state database is usable again; publishing goes on", 30s)) << a_.log();
  EXPECT_GE(created(), while_down);
  expect_each_post_once();
  EXPECT_EQ(a_.log_of_this_run().find("stops dispatching and exits"), std::string::npos) << a_.log();
  EXPECT_EQ(a_.stop(), 0);
}

// The active instance killed again and again at random moments while posts
// fall due, and started again each time as systemd would (it comes back as
// the standby). CI size by default; HERALD_FAILOVER_KILLS=50 for the long run.
TEST_F(Failover, RepeatedKillsOfTheActiveInstanceNeverPublishTwiceNorLoseAPost) {
  int kills = 6;
  if (const char* env = std::getenv("HERALD_FAILOVER_KILLS")) kills = std::max(1, std::atoi(env));
  // About 3 s a kill (the lease, the restart, a random wait): posts over that time.
  write_both(6 * kills + 12);
  std::mt19937 rng(16);
  start_both();
  HeraldDaemon* active = &a_;
  HeraldDaemon* standby = &b_;
  std::vector<long> gaps;
  for (int k = 0; k < kills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 1500));  // a random moment, not a deadline
    active->kill();
    const auto killed = std::chrono::steady_clock::now();
    ASSERT_TRUE(standby->wait_for_log("holds the store's lease", 30s)) << "kill " << k << "\n" << standby->log();
    gaps.push_back(static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed).count()));
    active->start();  // systemd's Restart=
    ASSERT_TRUE(active->wait_for_log("standing by: the active instance is", 30s)) << active->log();
    std::swap(active, standby);
  }
  std::sort(gaps.begin(), gaps.end());
  std::cout << kills << " kills; no instance held the lease for " << gaps.front() << " to " << gaps.back()
            << " ms (median " << gaps[gaps.size() / 2] << ")\n";
  expect_each_post_once_or_for_review();
  EXPECT_EQ(active->stop(), 0);
}

// The active instance dies at the crash test's fault points (scheduler/
// fault.hpp): right after a `sending` commit, right after a request came
// back, and right before its result is written. Each time the standby
// takes over, settles what was left `sending` by looking it up, and the
// dead one comes back (as systemd would) as the standby, set to die at the
// next point when it is active again. CI size by default;
// HERALD_FAILOVER_KILLS=50 for the long run.
TEST_F(Failover, KilledAtTheFaultPointsTheStandbyTakesOverAndNothingGoesOutTwice) {
  const std::vector<std::string> points{"after_sending_commit", "after_request", "before_result_commit"};
  int kills = 6;
  if (const char* env = std::getenv("HERALD_FAILOVER_KILLS")) kills = std::max(1, std::atoi(env));
  write_both(6 * kills + 12);
  // The n-th death's point, reached the second time in that instance's life.
  const auto fault = [&](int n) {
    return n < kills ? std::vector<std::string>{"HERALD_FAULT=" + points[static_cast<std::size_t>(n) % points.size()] + ":2"}
                     : std::vector<std::string>{};
  };
  a_.start(fault(0));
  ASSERT_TRUE(a_.wait_for_log("holds the store's lease", 30s)) << a_.log();
  b_.start(fault(1));
  ASSERT_TRUE(b_.wait_for_log("standing by: the active instance is", 30s)) << b_.log();
  HeraldDaemon* active = &a_;
  HeraldDaemon* standby = &b_;
  for (int k = 0; k < kills; ++k) {
    EXPECT_EQ(active->process()->wait(60s), 128 + SIGKILL) << "death " << k << "\n" << active->log();
    ASSERT_TRUE(standby->wait_for_log("holds the store's lease", 30s)) << "death " << k << "\n" << standby->log();
    active->start(fault(k + 2));  // systemd's Restart=
    ASSERT_TRUE(active->wait_for_log("standing by: the active instance is", 30s)) << active->log();
    std::swap(active, standby);
  }
  expect_each_post_once_or_for_review();
  EXPECT_EQ(active->stop(), 0);
  EXPECT_EQ(standby->stop(), 0);
}

// PostgreSQL down for longer than the lease: the active instance cannot
// renew it, stops dispatching and exits 75 (systemd starts it again); once
// the database is back an instance takes over, settles what was in flight,
// and every post goes out once.
TEST_F(Failover, APostgresqlOutageLongerThanTheLeaseDeposesTheActiveInstanceAndOneTakesOverAfter) {
  start_both();
  ASSERT_TRUE(eventually([&] { return created() >= 3; }, 30s)) << a_.log();
  db_->stop();
  EXPECT_EQ(a_.process()->wait(30s), 75) << a_.log();
  EXPECT_NE(a_.log_of_this_run().find("the store's lease lapsed: it could not be renewed"), std::string::npos)
      << a_.log();
  const std::size_t while_down = created();
  ASSERT_TRUE(b_.wait_for_log("cannot take the store's lease", 30s)) << b_.log();
  EXPECT_EQ(created(), while_down);  // no create without the store
  db_->start_again();
  a_.start();  // systemd's Restart=
  // Whichever reaches the database first takes over; the other stands by.
  ASSERT_TRUE(eventually(
      [&] {
        return a_.log_of_this_run().find("holds the store's lease") != std::string::npos ||
               b_.log_of_this_run().find("holds the store's lease") != std::string::npos;
      },
      30s))
      << a_.log() << b_.log();
  expect_each_post_once_or_for_review();
  EXPECT_EQ(a_.stop(), 0);
  EXPECT_EQ(b_.stop(), 0);
}

// A start-up longer than the lease (here stalled for 5 s before the first
// sync; a large calendar's sync does the same): the lease is renewed from
// another connection meanwhile, so the standby does not take over from an
// instance that is only starting, and the instance goes on to publish.
TEST_F(Failover, AStartUpLongerThanTheLeaseKeepsTheLease) {
  a_.start({"HERALD_STALL=start:5"});
  ASSERT_TRUE(a_.wait_for_log("holds the store's lease", 30s)) << a_.log();
  b_.start();
  ASSERT_TRUE(b_.wait_for_log("standing by: the active instance is", 30s)) << b_.log();
  ASSERT_TRUE(a_.wait_for_log("herald started", 30s)) << a_.log();
  expect_each_post_once();
  EXPECT_EQ(b_.log_of_this_run().find("holds the store's lease"), std::string::npos) << b_.log();
  EXPECT_EQ(a_.log_of_this_run().find("stops dispatching"), std::string::npos) << a_.log();
  EXPECT_EQ(a_.stop(), 0);
  EXPECT_EQ(b_.stop(), 0);
}

}  // namespace
}  // namespace herald
