#include "daemon/status_json.hpp"

#include <gtest/gtest.h>

using namespace herald;
using namespace std::chrono_literals;
namespace sj = herald::status_json;

namespace {

Instant at(int day, std::chrono::seconds time) { return date::sys_days{date::year{2027} / 3 / day} + time; }

const date::time_zone& berlin() { return *find_zone("Europe/Berlin"); }

StoredDelivery sample_delivery() {
  StoredDelivery d;
  d.key = "launch@x";
  d.post = "launch";
  d.channel = "x";
  d.planned = at(2, 9h + 5min);
  d.state = State::retry_wait;
  d.attempts = 2;
  d.next_attempt = at(2, 9h + 10min);
  d.last_error = "503 from api.x.com";
  d.sent_text = "We launch today \"v2\"";
  d.content_hash = "not shown";
  d.why = "retry at 2027-03-02T09:10:00Z after: 503 from api.x.com";
  return d;
}

constexpr const char* kDelivery =
    R"({"key":"launch@x","post":"launch","channel":"x","state":"retry_wait","planned":"2027-03-02T09:05:00Z",)"
    R"("local":"2027-03-02T10:05:00+01:00","attempts":2,"next_attempt":"2027-03-02T09:10:00Z","remote_id":"",)"
    R"("url":"","last_error":"503 from api.x.com","text":"We launch today \"v2\"",)"
    R"("why":"retry at 2027-03-02T09:10:00Z after: 503 from api.x.com"})";

sj::Query query(std::initializer_list<std::pair<const std::string, std::string>> items) { return sj::Query(items); }

}  // namespace

TEST(StatusJson, DeliveryGolden) { EXPECT_EQ(sj::serialize(sj::delivery(sample_delivery(), berlin())), kDelivery); }

TEST(StatusJson, DeliveryLocalTimeFollowsSummerTime) {
  StoredDelivery d = sample_delivery();
  d.planned = at(30, 8h);
  d.next_attempt.reset();
  d.state = State::published;
  d.remote_id = "1234";
  d.url = "https://x.com/a/status/1234";
  d.why.clear();
  EXPECT_EQ(sj::serialize(sj::delivery(d, berlin())),
            R"({"key":"launch@x","post":"launch","channel":"x","state":"published","planned":"2027-03-30T08:00:00Z",)"
            R"("local":"2027-03-30T10:00:00+02:00","attempts":2,"next_attempt":null,"remote_id":"1234",)"
            R"("url":"https://x.com/a/status/1234","last_error":"503 from api.x.com","text":"We launch today \"v2\"",)"
            R"("why":""})");
}

TEST(StatusJson, PauseGolden) {
  Pause p{"", "stop everything", at(2, 8h), std::nullopt};
  EXPECT_EQ(sj::serialize(sj::pause(p)),
            R"({"channel":"","reason":"stop everything","since":"2027-03-02T08:00:00Z","until":null})");
  p.channel = "x";
  p.until = at(3, 0s);
  EXPECT_EQ(sj::serialize(sj::pause(p)),
            R"({"channel":"x","reason":"stop everything","since":"2027-03-02T08:00:00Z","until":"2027-03-03T00:00:00Z"})");
}

TEST(StatusJson, CountsHaveAllNineStatesInOrder) {
  EXPECT_EQ(sj::serialize(sj::counts({{State::failed, 2}, {State::planned, 5}})),
            R"({"planned":5,"waiting":0,"held":0,"sending":0,"retry_wait":0,"published":0,"failed":2,)"
            R"("needs_review":0,"cancelled":0})");
}

TEST(StatusJson, StatusGolden) {
  DaemonStatus s;
  s.version = "0.1.0";
  s.started = at(1, 12h);
  s.now = at(2, 9h);
  s.timezone = "Europe/Berlin";
  s.posts = 3;
  s.last_reload = at(2, 8h + 30min);
  s.last_reload_ok = false;
  s.last_reload_error = "calendar.yaml:4:3: unknown key 'tittle'";
  s.global_pause = Pause{"", "maintenance", at(2, 8h), std::nullopt};
  s.counts = {{State::planned, 4}, {State::retry_wait, 1}};
  s.held_reload = DaemonStatus::HeldReload{at(2, 8h + 40min), 12, 30, "a@x, b@x"};
  s.store_problem = "the disk holding the state database is full";
  s.drafts = {{"teaser@x", "teaser", "x", at(2, 8h)}, {"summer@x", "summer", "x", at(9, 8h)}};
  ChannelStatus x;
  x.name = "x";
  x.kind = ChannelKind::x;
  x.counts = {{State::retry_wait, 1}};
  x.next = sample_delivery();
  x.pause = Pause{"x", "rate limited", at(2, 7h), at(2, 10h)};
  x.credentials_expire_at = at(5, 9h);
  x.warning = "the access token expires at 2027-03-05T09:00:00Z (in 3 days); renew it before then";
  ChannelStatus blog;
  blog.name = "blog";
  blog.kind = ChannelKind::static_site;
  blog.can_publish = false;
  blog.problem = "dir /srv/www is not writable";
  blog.counts = {{State::planned, 4}};
  s.channels = {x, blog};
  const std::string zeros_but = R"("waiting":0,"held":0,"sending":0,)";
  EXPECT_EQ(sj::serialize(sj::status(s, berlin())),
            std::string(R"({"version":"0.1.0","started":"2027-03-01T12:00:00Z","now":"2027-03-02T09:00:00Z",)") +
                R"("timezone":"Europe/Berlin","posts":3,"calendar":{"last_reload":"2027-03-02T08:30:00Z","ok":false,)"
                R"("error":"calendar.yaml:4:3: unknown key 'tittle'",)"
                R"("held":{"at":"2027-03-02T08:40:00Z","cancelled":12,"pending":30,"sample":"a@x, b@x"}},)"
                R"("drafts":[{"key":"teaser@x","post":"teaser","channel":"x","at":"2027-03-02T08:00:00Z",)"
                R"("local":"2027-03-02T09:00:00+01:00","passed":true},)"
                R"({"key":"summer@x","post":"summer","channel":"x","at":"2027-03-09T08:00:00Z",)"
                R"("local":"2027-03-09T09:00:00+01:00","passed":false}],)"
                R"("store":{"ok":false,"problem":"the disk holding the state database is full"},"shared":null,)"
                R"("paused":{"channel":"","reason":"maintenance","since":"2027-03-02T08:00:00Z","until":null},)"
                R"("counts":{"planned":4,)" + zeros_but +
                R"("retry_wait":1,"published":0,"failed":0,"needs_review":0,"cancelled":0},)"
                R"("channels":[{"name":"x","kind":"x","can_publish":true,"problem":"",)"
                R"("credentials_expire_at":"2027-03-05T09:00:00Z","credentials_refused":false,)"
                R"("warning":"the access token expires at 2027-03-05T09:00:00Z (in 3 days); renew it before then",)"
                R"("paused":{"channel":"x","reason":"rate limited","since":"2027-03-02T07:00:00Z","until":"2027-03-02T10:00:00Z"},)"
                R"("counts":{"planned":0,)" + zeros_but +
                R"("retry_wait":1,"published":0,"failed":0,"needs_review":0,"cancelled":0},"next":)" + kDelivery +
                R"(},{"name":"blog","kind":"static","can_publish":false,"problem":"dir /srv/www is not writable",)"
                R"("credentials_expire_at":null,"credentials_refused":false,"warning":"","paused":null,"counts":{"planned":4,)" + zeros_but +
                R"("retry_wait":0,"published":0,"failed":0,"needs_review":0,"cancelled":0},"next":null}]})");
}

TEST(StatusJson, StatusWithoutReloadOrPause) {
  DaemonStatus s;
  s.version = "0.1.0";
  s.started = at(1, 0s);
  s.now = at(1, 0s);
  s.timezone = "UTC";
  const std::string json = sj::serialize(sj::status(s, berlin()));
  EXPECT_NE(json.find(R"("calendar":{"last_reload":null,"ok":true,"error":"","held":null},"drafts":[],)"
                      R"("store":{"ok":true,"problem":""},"shared":null,"paused":null,)"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("channels":[])"), std::string::npos) << json;
}

// An instance of a shared store: its role, the active instance, and
// whether its calendar is the one whose plan the store holds.
TEST(StatusJson, TheSharedPartOfAStandby) {
  DaemonStatus s;
  s.shared = DaemonStatus::Shared{false, "web2/977", "web1/4242", "3f09c1d2a8e4b761", "a1b2c3d4e5f60718", false};
  const std::string json = sj::serialize(sj::status(s, berlin()));
  EXPECT_NE(json.find(R"("shared":{"role":"standby","instance":"web2/977","active_instance":"web1/4242",)"
                      R"("calendar":"3f09c1d2a8e4b761","store_calendar":"a1b2c3d4e5f60718",)"
                      R"("calendar_differs":true,"keeping_store_plan":false})"),
            std::string::npos)
      << json;
  s.shared->active = true;
  s.shared->store_calendar = s.shared->calendar;
  const std::string active = sj::serialize(sj::status(s, berlin()));
  EXPECT_NE(active.find(R"("role":"active")"), std::string::npos) << active;
  EXPECT_NE(active.find(R"("calendar_differs":false)"), std::string::npos) << active;
  s.shared->store_calendar.clear();  // no plan written yet: nothing differs
  EXPECT_NE(sj::serialize(sj::status(s, berlin())).find(R"("calendar_differs":false)"),
            std::string::npos);
}

TEST(StatusJson, QueueHistoryPausesGolden) {
  EXPECT_EQ(sj::serialize(sj::queue({sample_delivery()}, berlin())), std::string(R"({"deliveries":[)") + kDelivery + "]}");
  EXPECT_EQ(sj::serialize(sj::queue({}, berlin())), R"({"deliveries":[]})");
  HistoryEvent e{7, at(2, 9h + 5min), "launch@x", "retry_scheduled", "sending", "retry_wait", "503 from api.x.com"};
  HistoryEvent reload{6, at(2, 8h + 30min), "", "calendar_reloaded", "", "", "3 posts"};
  EXPECT_EQ(sj::serialize(sj::history({e, reload})),
            R"({"events":[{"id":7,"at":"2027-03-02T09:05:00Z","key":"launch@x","event":"retry_scheduled",)"
            R"("from":"sending","to":"retry_wait","detail":"503 from api.x.com"},)"
            R"({"id":6,"at":"2027-03-02T08:30:00Z","key":"","event":"calendar_reloaded","from":"","to":"","detail":"3 posts"}]})");
  EXPECT_EQ(sj::serialize(sj::pauses({Pause{"x", "why", at(2, 8h), std::nullopt}})),
            R"({"pauses":[{"channel":"x","reason":"why","since":"2027-03-02T08:00:00Z","until":null}]})");
  EXPECT_EQ(sj::serialize(sj::delivery_result(sample_delivery(), berlin())), std::string(R"({"delivery":)") + kDelivery + "}");
  EXPECT_EQ(sj::serialize(sj::delivery_result(std::nullopt, berlin())), R"({"delivery":null})");
}

TEST(StatusJson, HealthAndError) {
  EXPECT_EQ(sj::serialize(sj::health({true, ""})), R"({"status":"ok"})");
  EXPECT_EQ(sj::serialize(sj::health({false, "loop heartbeat 45 s old"})),
            R"({"status":"unhealthy","reason":"loop heartbeat 45 s old"})");
  EXPECT_EQ(sj::serialize(sj::error("no \"such\" thing")), R"({"error":"no \"such\" thing"})");
}

// Found by tests/fuzz (fuzz_status): a message quoting a request byte that
// is not UTF-8 made the answer invalid JSON; now it is U+FFFD.
TEST(StatusJson, SerializeRepairsInvalidUtf8) {
  EXPECT_EQ(sj::serialize(sj::error("unknown parameter 'l\x9fimit'")),
            "{\"error\":\"unknown parameter 'l\xEF\xBF\xBDimit'\"}");
  // Truncated, overlong and surrogate sequences; valid text stays as it is.
  EXPECT_EQ(sj::serialize(sj::error("a\xE2\x82 b\xC0\xAF c\xED\xA0\x80 d\xF4\x90")),
            "{\"error\":\"a\xEF\xBF\xBD b\xEF\xBF\xBD\xEF\xBF\xBD c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD d\xEF\xBF\xBD\xEF\xBF\xBD\"}");
  EXPECT_EQ(sj::serialize(sj::error("fiets \xE2\x82\xAC 9 \xF0\x9F\x9A\xB2")),
            "{\"error\":\"fiets \xE2\x82\xAC 9 \xF0\x9F\x9A\xB2\"}");
}

TEST(StatusJson, ParsePause) {
  std::string error;
  auto p = sj::parse_pause(R"({"reason":"launch week","channel":"x","until":"2027-03-02T10:00:00+01:00"})", error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->reason, "launch week");
  EXPECT_EQ(p->channel, "x");
  EXPECT_EQ(p->until, at(2, 9h));
  p = sj::parse_pause(R"({"reason":"everything"})", error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->channel, "");
  EXPECT_FALSE(p->until);
  p = sj::parse_pause(R"({"reason":"null until","until":null})", error);
  ASSERT_TRUE(p) << error;
  EXPECT_FALSE(p->until);
}

TEST(StatusJson, ParsePauseRejects) {
  struct Case {
    const char* body;
    const char* message_part;
  };
  for (const Case& c : {Case{"", "'reason' is required"}, Case{"{}", "'reason' is required"},
                        Case{R"({"reason":"  "})", "'reason' is required"},
                        Case{R"({"reason":5})", "'reason' must be a string"},
                        Case{R"({"reason":"x","until":"tomorrow"})", "'until' is not an RFC 3339 time"},
                        Case{R"({"reason":"x","until":"2027-03-02T10:00"})", "needs a UTC offset"},
                        Case{R"({"reason":"x","until":"2027-02-30T10:00:00Z"})", "'until' is not an RFC 3339 time"},
                        Case{R"({"reason":"x","chanel":"x"})", "unknown field 'chanel'"},
                        Case{"[1]", "must be a JSON object"}, Case{"{nope", "not valid JSON"}}) {
    std::string error;
    EXPECT_FALSE(sj::parse_pause(c.body, error)) << c.body;
    EXPECT_NE(error.find(c.message_part), std::string::npos) << c.body << " -> " << error;
  }
}

TEST(StatusJson, ParseResumeResolveEmpty) {
  std::string error;
  EXPECT_EQ(sj::parse_resume("", error), "");
  EXPECT_EQ(sj::parse_resume("{}", error), "");
  EXPECT_EQ(sj::parse_resume(R"({"channel":"x"})", error), "x");
  EXPECT_FALSE(sj::parse_resume(R"({"channel":1})", error));
  EXPECT_FALSE(sj::parse_resume(R"({"reason":"x"})", error));

  EXPECT_EQ(sj::parse_resolve(R"({"url":"https://x.com/a/status/1"})", error), "https://x.com/a/status/1");
  EXPECT_EQ(sj::parse_resolve(R"({"url":"HTTP://example.org"})", error), "HTTP://example.org");
  for (const char* bad : {"", "{}", R"({"url":""})", R"({"url":"ftp://x.com/a"})", R"j({"url":"javascript:alert(1)"})j",
                          R"({"url":"https://"})", R"({"url":"https:///path"})", R"({"url":"https://x.com/a b"})",
                          R"({"url":"https://x.com","extra":1})"}) {
    error.clear();
    EXPECT_FALSE(sj::parse_resolve(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  EXPECT_TRUE(sj::parse_empty("", error));
  EXPECT_TRUE(sj::parse_empty(" {} ", error));
  EXPECT_FALSE(sj::parse_empty(R"({"force":true})", error));
}

TEST(StatusJson, QueueQuery) {
  std::string error;
  auto f = sj::parse_queue_query({}, error);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->limit, 100);
  EXPECT_EQ(f->channel, "");
  EXPECT_FALSE(f->state);
  f = sj::parse_queue_query(query({{"channel", "x"}, {"state", "needs_review"}, {"limit", "1000"}}), error);
  ASSERT_TRUE(f) << error;
  EXPECT_EQ(f->channel, "x");
  EXPECT_EQ(f->state, State::needs_review);
  EXPECT_EQ(f->limit, 1000);
  f = sj::parse_queue_query(query({{"limit", "1"}}), error);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->limit, 1);
  for (auto bad : {query({{"limit", "0"}}), query({{"limit", "1001"}}), query({{"limit", "-1"}}),
                   query({{"limit", "ten"}}), query({{"limit", ""}}), query({{"limit", "99999999999"}}),
                   query({{"state", "done"}}), query({{"colour", "red"}}),
                   query({{"limit", "1"}, {"limit", "2"}})}) {
    error.clear();
    EXPECT_FALSE(sj::parse_queue_query(bad, error));
    EXPECT_FALSE(error.empty());
  }
  sj::parse_queue_query(query({{"state", "done"}}), error);
  EXPECT_NE(error.find("unknown state 'done'"), std::string::npos) << error;
  sj::parse_queue_query(query({{"limit", "0"}}), error);
  EXPECT_EQ(error, "limit must be a whole number from 1 to 1000");
}

TEST(StatusJson, HistoryQuery) {
  std::string error;
  auto h = sj::parse_history_query({}, error);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->limit, 50);
  EXPECT_EQ(h->key, "");
  h = sj::parse_history_query(query({{"limit", "5"}, {"key", "a@x#2027-03-07T09:30"}}), error);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->limit, 5);
  EXPECT_EQ(h->key, "a@x#2027-03-07T09:30");
  EXPECT_FALSE(sj::parse_history_query(query({{"limit", "1001"}}), error));
  EXPECT_FALSE(sj::parse_history_query(query({{"state", "planned"}}), error));
}

TEST(StatusJson, PercentDecode) {
  EXPECT_EQ(sj::percent_decode("a%40x%232027-03-07T09%3A30"), "a@x#2027-03-07T09:30");
  EXPECT_EQ(sj::percent_decode("a%2Fb%20c+d%25"), "a/b c+d%");
  EXPECT_EQ(sj::percent_decode("plain@x"), "plain@x");
  EXPECT_FALSE(sj::percent_decode("a%2"));
  EXPECT_FALSE(sj::percent_decode("a%"));
  EXPECT_FALSE(sj::percent_decode("a%zz"));
  EXPECT_FALSE(sj::percent_decode("a%00b"));
}
