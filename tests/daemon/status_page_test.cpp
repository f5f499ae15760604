// The status page (daemon/status_page.cpp): the document itself, and what a
// person sees when headless Chromium loads it against a canned API that
// follows the status API's JSON contract.

#include "daemon/status_page.hpp"
#include "tests/support/browser.hpp"
#include "tests/support/process.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

namespace herald {
namespace {

using herald::testing::BrowserPage;
using herald::testing::load_page;

// --- the document, without a browser -------------------------------------

TEST(StatusPageHtml, IsOneSelfContainedDocument) {
  const std::string html = status_page_html();
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(html.find("<title>herald status</title>"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  // No external assets: nothing loaded from elsewhere, not even from this server.
  for (const char* external : {"http://", "https://", "//cdn", "<link", "<script src", "<img", "@import", "url(",
                               "<iframe", "src=\"", "href=\""}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
  // Its only requests are its own API, by relative URL.
  EXPECT_NE(html.find("fetchJson(\"api/v1/status\")"), std::string::npos);
  EXPECT_NE(html.find("\"api/v1/queue?limit=\" + QUEUE_LIMIT"), std::string::npos);
  EXPECT_NE(html.find("QUEUE_LIMIT = 500"), std::string::npos);
  EXPECT_NE(html.find("REFRESH_MS = 10000"), std::string::npos);
}

TEST(StatusPageHtml, HasNoTemplateHolesAndNoHtmlInjectionSinks) {
  const std::string html = status_page_html();
  for (const char* hole : {"{{", "}}", "${", "@@", "%s", "TODO", "XXX"}) {
    EXPECT_EQ(html.find(hole), std::string::npos) << hole;
  }
  // Data reaches the page only as text nodes and attributes.
  for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("}) {
    EXPECT_EQ(html.find(sink), std::string::npos) << sink;
  }
  EXPECT_EQ(html, status_page_html());
}

TEST(StatusPageHtml, ContentSecurityPolicyAllowsOnlyItself) {
  EXPECT_EQ(status_page_content_security_policy(),
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
            "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
}

TEST(StatusPageHtml, VisibleTextDropsMarkupScriptsAndStyles) {
  EXPECT_EQ(herald::testing::visible_text("<p>a&amp;b</p><script>var x = '<p>no</p>';</script><STYLE>p{}</STYLE>"
                                          "<time>10:05</time><span>launch</span> &lt;img&gt;"),
            "a&b 10:05 launch <img>");
}

// --- the page in a browser ------------------------------------------------

std::string delivery(const std::string& post, const std::string& channel, const std::string& state,
                     const std::string& planned, const std::string& local, const std::string& last_error = "",
                     const std::string& key_suffix = "", int attempts = 0, const std::string& why = "") {
  return R"({"key":")" + post + "@" + channel + key_suffix + R"(","post":")" + post + R"(","channel":")" + channel +
         R"(","state":")" + state + R"(","planned":")" + planned + R"(","local":")" + local +
         R"(","attempts":)" + std::to_string(attempts) +
         R"(,"next_attempt":null,"remote_id":"","url":"","last_error":")" + last_error +
         R"(","text":"Hello","why":")" + why + R"("})";
}

std::string counts(int planned, int waiting, int failed, int needs_review, int published) {
  return R"({"planned":)" + std::to_string(planned) + R"(,"waiting":)" + std::to_string(waiting) +
         R"(,"held":0,"sending":0,"retry_wait":0,"published":)" + std::to_string(published) +
         R"(,"failed":)" + std::to_string(failed) + R"(,"needs_review":)" + std::to_string(needs_review) +
         R"(,"cancelled":0})";
}

// 2027-03-02 09:00 UTC is 10:00 in Berlin (+01:00): "today" is Tue 2 Mar.
const std::string kSpringVideo = delivery("spring-video", "acme-youtube", "planned", "2027-03-02T14:00:00Z",
                                          "2027-03-02T15:00:00+01:00");
const std::string kQueue =
    R"({"deliveries":[)" +
    delivery("blog-recap", "acme-blog", "needs_review", "2027-03-01T10:00:00Z", "2027-03-01T11:00:00+01:00",
             "outcome unknown: the connection dropped after the create request", "#2027-03-01T11:00", 1) +
    "," +
    delivery("old-promo", "acme-facebook", "failed", "2027-03-01T12:00:00Z", "2027-03-01T13:00:00+01:00",
             "<img src=x onerror=alert(1)> (#200) permissions error", "", 1) +
    "," +
    delivery("spring-teaser", "acme-x", "waiting", "2027-03-02T08:30:00Z", "2027-03-02T09:30:00+01:00",
             "waiting for spring-video@acme-youtube") +
    "," + kSpringVideo + "," +
    delivery("launch-thread", "acme-x", "planned", "2027-03-04T16:15:00Z", "2027-03-04T17:15:00+01:00") + "," +
    delivery("summer-sale", "acme-facebook", "planned", "2027-03-20T08:00:00Z", "2027-03-20T09:00:00+01:00") + "]}";

std::string status_json(const std::string& global_pause) {
  return R"({"version":"0.1.0","started":"2027-03-01T07:00:00Z","now":"2027-03-02T09:00:00Z",)"
         R"("timezone":"Europe/Berlin","posts":6,)"
         R"("calendar":{"last_reload":"2027-03-02T08:00:00Z","ok":true,"error":""},"paused":)" +
         global_pause + R"(,"counts":)" + counts(3, 1, 1, 1, 0) + R"(,"channels":[)" +
         R"({"name":"acme-x","kind":"x","can_publish":true,"problem":"","paused":null,"counts":)" +
         counts(1, 1, 0, 0, 0) + R"(,"next":null},)" +
         R"({"name":"acme-youtube","kind":"youtube","can_publish":true,"problem":"","paused":null,"counts":)" +
         counts(1, 0, 0, 0, 0) + R"(,"next":)" + kSpringVideo + "}," +
         R"({"name":"acme-blog","kind":"wordpress","can_publish":false,)"
         R"("problem":"credential file /etc/herald/credentials/blog-app-password: not found","paused":null,"counts":)" +
         counts(0, 0, 0, 1, 0) + R"(,"next":null},)" +
         R"({"name":"acme-facebook","kind":"facebook","can_publish":true,"problem":"","paused":null,"counts":)" +
         counts(1, 0, 1, 0, 0) + R"(,"next":null}]})";
}

const std::string kGlobalPause =
    R"({"channel":"","reason":"brand review after the outage","since":"2027-03-02T08:55:00Z","until":"2027-03-03T09:00:00Z"})";

// The page's calendar (GET /api/v1/calendar): what went out this week with
// its counters, what is coming, and a post of last week for the charts.
std::string calendar_delivery(const std::string& post, const std::string& channel, const std::string& kind,
                              const std::string& state, const std::string& planned, const std::string& local,
                              const std::string& text, const std::string& url, const std::string& counters,
                              int engagement, const std::string& post_kind, bool media = false) {
  return R"({"key":")" + post + "@" + channel + R"(","post":")" + post + R"(","channel":")" + channel +
         R"(","state":")" + state + R"(","planned":")" + planned + R"(","local":")" + local +
         R"(","attempts":1,"next_attempt":null,"remote_id":"1","url":")" + url + R"(","last_error":"","text":")" + text +
         R"(","why":"","channel_kind":")" + kind + R"(","post_kind":")" + post_kind +
         R"(","campaign":"spring","title":"","thread":[],"media":)" +
         (media ? R"([{"url":"api/v1/media?post=)" + post + R"(&n=0","alt":"A loaf on a board"}])" : std::string("[]")) +
         R"(,"counters":)" + counters + R"(,"engagement":)" + std::to_string(engagement) +
         R"(,"read_at":)" + (counters == "null" ? std::string("null") : std::string(R"("2027-03-02T08:00:00Z")")) + "}";
}

const std::string kCalendar =
    R"({"from":"2027-02-28T00:00:00Z","to":"2027-03-09T00:00:00Z","deliveries":[)" +
    calendar_delivery("howto", "acme-x", "x", "published", "2027-02-24T09:00:00Z", "2027-02-24T10:00:00+01:00",
                      "How to keep bread fresh", "https://x.example/acme/status/0",
                      R"({"views":800,"likes":30,"shares":6,"replies":4,"clicks":null})", 40, "help") + "," +
    calendar_delivery("launch", "acme-x", "x", "published", "2027-03-01T09:00:00Z", "2027-03-01T10:00:00+01:00",
                      "Spring is here: our new rye https://acme.example/rye?utm_source=acme-x",
                      "https://x.example/acme/status/1",
                      R"({"views":1200,"likes":40,"shares":9,"replies":5,"clicks":null})", 54, "promo", true) + "," +
    calendar_delivery("launch", "acme-facebook", "facebook", "published", "2027-03-01T09:05:00Z",
                      "2027-03-01T10:05:00+01:00", "Spring is here: our new rye", "https://facebook.example/acme/1",
                      R"({"views":null,"likes":12,"shares":2,"replies":3,"clicks":null})", 17, "promo") + "," +
    calendar_delivery("old-promo", "acme-facebook", "facebook", "failed", "2027-03-01T12:00:00Z",
                      "2027-03-01T13:00:00+01:00", "Last chance", "", "null", 0, "promo") + "," +
    calendar_delivery("spring-video", "acme-youtube", "youtube", "planned", "2027-03-02T14:00:00Z",
                      "2027-03-02T15:00:00+01:00", "How we bake rye, in four minutes", "", "null", 0, "tip") + "," +
    calendar_delivery("launch-thread", "acme-x", "x", "planned", "2027-03-04T16:15:00Z", "2027-03-04T17:15:00+01:00",
                      "Three things about rye (1/3)", "", "null", 0, "news") +
    "]}";

const std::string kEngagement =
    R"({"key":"launch@acme-x","samples":[)"
    R"({"at":"2027-03-01T10:00:00Z","name":"like_count","common":"likes","value":10},)"
    R"({"at":"2027-03-01T10:00:00Z","name":"reply_count","common":"replies","value":1},)"
    R"({"at":"2027-03-02T08:00:00Z","name":"like_count","common":"likes","value":40},)"
    R"({"at":"2027-03-02T08:00:00Z","name":"reply_count","common":"replies","value":5}]})";

const std::string kHistory =
    R"({"events":[{"id":3,"at":"2027-03-01T09:00:02Z","key":"launch@acme-x","event":"published","from":"sending",)"
    R"("to":"published","detail":"https://x.example/acme/status/1"},{"id":2,"at":"2027-03-01T09:00:00Z",)"
    R"("key":"launch@acme-x","event":"sending","from":"planned","to":"sending","detail":"attempt 1"}]})";

// A picture for the card's thumbnail (the real endpoint serves the
// calendar's own image files).
constexpr const char* kPicture =
    "<svg xmlns='http://www.w3.org/2000/svg' width='160' height='100'><rect width='160' height='100' fill='#d9a066'/>"
    "<circle cx='80' cy='50' r='30' fill='#8f5a2a'/></svg>";

/// The status API, canned: serves the page at / (with its CSP) and the JSON
/// the test sets, on 127.0.0.1 and a free port; records the paths asked for.
class CannedStatusServer {
 public:
  CannedStatusServer() {
    server_.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Content-Security-Policy", std::string(status_page_content_security_policy()));
      res.set_content(status_page_html(), "text/html; charset=utf-8");
    });
    server_.Get("/api/v1/status", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      std::lock_guard lock(mutex_);
      res.set_content(status_, "application/json; charset=utf-8");
    });
    server_.Get("/api/v1/queue", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      std::lock_guard lock(mutex_);
      res.set_content(queue_, "application/json; charset=utf-8");
    });
    server_.Get("/api/v1/calendar", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      std::lock_guard lock(mutex_);
      res.set_content(calendar_, "application/json; charset=utf-8");
    });
    server_.Get(R"(/api/v1/deliveries/([^/]+)/engagement)", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content(kEngagement, "application/json; charset=utf-8");
    });
    server_.Get(R"(/api/v1/deliveries/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.status = 404;
      res.set_content(R"({"error":"not canned"})", "application/json; charset=utf-8");
    });
    server_.Get("/api/v1/history", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content(kHistory, "application/json; charset=utf-8");
    });
    server_.Get("/api/v1/media", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content(kPicture, "image/svg+xml");
    });
    server_.set_logger([this](const httplib::Request& req, const httplib::Response&) { record(req); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    herald::testing::eventually([this] { return server_.is_running(); }, std::chrono::seconds(5));
  }
  ~CannedStatusServer() {
    server_.stop();
    thread_.join();
  }
  CannedStatusServer(const CannedStatusServer&) = delete;
  CannedStatusServer& operator=(const CannedStatusServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  void set_status(std::string json) {
    std::lock_guard lock(mutex_);
    status_ = std::move(json);
  }
  void set_calendar(std::string json) {
    std::lock_guard lock(mutex_);
    calendar_ = std::move(json);
  }
  void set_queue(std::string json) {
    std::lock_guard lock(mutex_);
    queue_ = std::move(json);
  }
  std::set<std::string> requested() {
    std::lock_guard lock(mutex_);
    return requested_;
  }

 private:
  void record(const httplib::Request& req) {
    std::string what = req.path;
    for (const auto& [name, value] : req.params) what += (what == req.path ? "?" : "&") + name + "=" + value;
    std::lock_guard lock(mutex_);
    requested_.insert(what);
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::string status_ = status_json("null");
  std::string queue_ = kQueue;
  std::string calendar_ = kCalendar;
  std::set<std::string> requested_;
};

/// Where screenshots go: next to the test executable, under the build dir.
std::filesystem::path screenshot_path(const std::string& name) {
  return std::filesystem::read_symlink("/proc/self/exe").parent_path() / "screenshots" / name;
}

/// A PNG Chromium rendered at the window size, with more in it than a blank page.
void expect_screenshot(const std::filesystem::path& png) {
  const std::string bytes = herald::testing::read_file(png.string());
  ASSERT_GT(bytes.size(), 20u * 1024) << png << " is too small to show the page";
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  auto be32 = [&](std::size_t at) {
    return (static_cast<unsigned char>(bytes[at]) << 24) | (static_cast<unsigned char>(bytes[at + 1]) << 16) |
           (static_cast<unsigned char>(bytes[at + 2]) << 8) | static_cast<unsigned char>(bytes[at + 3]);
  };
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  EXPECT_EQ(be32(16), 1280);  // width
  EXPECT_EQ(be32(20), 1000);  // height
}

/// The cells of the timeline row of `channel`: [0] is the row header, then
/// one per day (today first), then "Later".
std::vector<std::string> timeline_row(const std::string& dom, const std::string& channel) {
  auto table = dom.find("<table class=\"timeline\"");
  auto row = dom.find("<th scope=\"row\">" + channel + "<", table);
  auto end = dom.find("</tr>", row);
  if (table == std::string::npos || row == std::string::npos || end == std::string::npos) return {};
  std::vector<std::string> cells;
  const std::string segment = dom.substr(row, end - row);
  std::size_t at = 0;
  while (true) {
    auto next = segment.find("<td", at + 1);
    cells.push_back(herald::testing::visible_text(segment.substr(at, next == std::string::npos ? next : next - at)));
    if (next == std::string::npos) break;
    at = next;
  }
  return cells;
}

TEST(StatusPageInBrowser, ShowsChannelsTimelineWaitingAndWhatNeedsAttention) {
  HERALD_REQUIRE_BROWSER();
  CannedStatusServer server;
  const auto png = screenshot_path("status-page.png");
  const BrowserPage page = load_page(server.url(), png);
  const std::string& text = page.text;
  SCOPED_TRACE("visible text: " + text + "\nChromium log:\n" + page.log);

  EXPECT_NE(text.find("updated 10:00:00 (Europe/Berlin)"), std::string::npos);
  EXPECT_EQ(text.find("cannot reach herald"), std::string::npos);
  EXPECT_EQ(text.find("Loading"), std::string::npos);
  // Not paused: no banner.
  EXPECT_EQ(text.find("paused:"), std::string::npos);
  EXPECT_EQ(text.find("Paused"), std::string::npos);
  EXPECT_EQ(text.find("PAUSED"), std::string::npos);

  // The channels, each with its kind.
  for (const char* channel : {"acme-x x", "acme-youtube youtube", "acme-blog wordpress cannot publish",
                              "acme-facebook facebook"})
    EXPECT_NE(text.find(channel), std::string::npos) << channel;
  // The timeline: today is Tue 2 Mar in Berlin; a delivery by its local time and post id, on its day.
  EXPECT_NE(text.find("Today, Tue 2 Mar"), std::string::npos);
  EXPECT_NE(text.find("Mon 8 Mar"), std::string::npos);
  const auto youtube = timeline_row(page.dom, "acme-youtube");
  ASSERT_EQ(youtube.size(), 9u) << page.dom;
  EXPECT_EQ(youtube[1], "15:00 spring-video");
  const auto x = timeline_row(page.dom, "acme-x");
  ASSERT_EQ(x.size(), 9u);
  EXPECT_EQ(x[1], "09:30 spring-teaser waiting");
  EXPECT_EQ(x[2], "");
  EXPECT_EQ(x[3], "17:15 launch-thread");  // Thu 4 Mar
  const auto facebook = timeline_row(page.dom, "acme-facebook");
  ASSERT_EQ(facebook.size(), 9u);
  EXPECT_EQ(facebook[8], "1 more, next Sat 20 Mar 09:00 summer-sale");
  EXPECT_EQ(text.find("old-promo waiting"), std::string::npos);  // failed ones are not on the timeline

  // What is waiting, and why.
  EXPECT_NE(text.find("spring-teaser@acme-x waiting Tue 2 Mar 09:30 waiting for spring-video@acme-youtube"),
            std::string::npos);
  // Needs attention: the reason and the commands that settle it (the key quoted for the shell).
  EXPECT_NE(text.find("blog-recap@acme-blog#2027-03-01T11:00 needs review planned Mon 1 Mar 11:00, 1 attempt "
                      "outcome unknown: the connection dropped after the create request"),
            std::string::npos);
  EXPECT_NE(text.find("herald resolve 'blog-recap@acme-blog#2027-03-01T11:00' --url URL"), std::string::npos);
  EXPECT_NE(text.find("herald retry 'blog-recap@acme-blog#2027-03-01T11:00'"), std::string::npos);
  EXPECT_NE(text.find("herald retry old-promo@acme-facebook"), std::string::npos);
  // A channel that cannot publish shows why.
  EXPECT_NE(text.find("cannot publish: credential file /etc/herald/credentials/blog-app-password: not found"),
            std::string::npos);
  EXPECT_NE(text.find("Tue 2 Mar 15:00 spring-video"), std::string::npos);  // acme-youtube's next

  // Data is text, never markup: the failed delivery's error shows literally.
  EXPECT_NE(text.find("<img src=x onerror=alert(1)> (#200) permissions error"), std::string::npos);
  EXPECT_EQ(page.dom.find("<img src=x"), std::string::npos);

  // Under its CSP, with no script errors, and nothing fetched but its own API.
  // (Chromium logs CSP refusals and script errors as CONSOLE lines.)
  EXPECT_EQ(page.log.find("Content Security Policy"), std::string::npos);
  EXPECT_EQ(page.log.find("Uncaught"), std::string::npos);
  EXPECT_EQ(page.log.find(":CONSOLE"), std::string::npos);
  const auto requested = server.requested();
  EXPECT_TRUE(requested.count("/api/v1/status"));
  EXPECT_TRUE(requested.count("/api/v1/queue?limit=500"));
  for (const auto& path : requested)
    EXPECT_TRUE(path == "/" || path == "/api/v1/status" || path == "/api/v1/queue?limit=500" ||
                path.starts_with("/api/v1/calendar?") || path.starts_with("/api/v1/media?") || path == "/favicon.ico")
        << path;

  expect_screenshot(png);
}

TEST(StatusPageInBrowser, ShowsThePauseBannerWithItsReason) {
  HERALD_REQUIRE_BROWSER();
  CannedStatusServer server;
  server.set_status(status_json(kGlobalPause));
  const auto png = screenshot_path("status-page-paused.png");
  const BrowserPage page = load_page(server.url(), png);
  SCOPED_TRACE("visible text: " + page.text + "\nChromium log:\n" + page.log);

  EXPECT_NE(page.text.find("Paused: nothing is being published Everything is paused: brand review after the outage "
                           "(since Tue 2 Mar 09:55, until Wed 3 Mar 10:00) — resume with herald resume"),
            std::string::npos);
  EXPECT_NE(page.dom.find("<title>PAUSED - herald status</title>"), std::string::npos);
  // The banner comes before everything else in the page.
  EXPECT_LT(page.text.find("brand review after the outage"), page.text.find("Needs attention"));
  EXPECT_NE(page.text.find("paused (everything)"), std::string::npos);
  expect_screenshot(png);
}

TEST(StatusPageInBrowser, ShowsWhyDueDeliveriesWaitAnUnusableStoreAndAHeldEdit) {
  HERALD_REQUIRE_BROWSER();
  CannedStatusServer server;
  std::string status = status_json("null");
  const std::string calendar = R"("calendar":{"last_reload":"2027-03-02T08:00:00Z","ok":true,"error":""})";
  status.replace(status.find(calendar), calendar.size(),
                 R"("calendar":{"last_reload":"2027-03-02T08:00:00Z","ok":false,)"
                 R"("error":"calendar.yaml:4:3: unknown key 'tittle'",)"
                 R"("held":{"at":"2027-03-02T08:40:00Z","cancelled":17,"pending":20,"sample":"p3@acme-x, p4@acme-x"}},)"
                 R"("store":{"ok":false,"problem":"the disk holding the state database is full"})");
  server.set_status(status);
  server.set_queue(
      R"({"deliveries":[)" +
      delivery("rate-limited", "acme-x", "planned", "2027-03-02T08:45:00Z", "2027-03-02T09:45:00+01:00", "", "", 0,
               "the channel's rate (50 per 1d): next free at 2027-03-02T11:00:00Z") +
      "," +
      delivery("next-up", "acme-facebook", "planned", "2027-03-02T08:50:00Z", "2027-03-02T09:50:00+01:00", "", "", 0,
               "due; goes out next") +
      "]}");
  const auto png = screenshot_path("status-page-store-held-why.png");
  const BrowserPage page = load_page(server.url(), png);
  SCOPED_TRACE("visible text: " + page.text + "\nChromium log:\n" + page.log);
  EXPECT_NE(page.text.find("herald's state database is unavailable: nothing is being published until it is usable "
                           "again. the disk holding the state database is full"),
            std::string::npos);
  EXPECT_NE(page.text.find("is held: it would cancel 17 of the 20 pending deliveries"), std::string::npos);
  EXPECT_NE(page.text.find("herald reload --accept-cancellations"), std::string::npos);
  // A rejected edit shows its errors (the banner once dropped everything after its first line).
  EXPECT_NE(page.text.find("was rejected; herald keeps publishing the calendar it had before. "
                           "calendar.yaml:4:3: unknown key 'tittle'"),
            std::string::npos);
  // A due delivery held back says why, in the Waiting list; one that simply
  // goes out next is not "waiting".
  EXPECT_NE(page.text.find("rate-limited@acme-x planned Tue 2 Mar 09:45 the channel's rate (50 per 1d): next free at "
                           "2027-03-02T11:00:00Z"),
            std::string::npos);
  EXPECT_EQ(page.text.find("next-up@acme-facebook planned"), std::string::npos);
  EXPECT_EQ(page.log.find(":CONSOLE"), std::string::npos);
  expect_screenshot(png);
}

// --- the calendar, the cards, the detail view and the charts (issue 17) ---

/// The text of the element whose opening tag starts with `open`, up to its
/// closing `close` (the first one after it): enough for these flat parts.
std::string part(const std::string& dom, const std::string& open, const std::string& close) {
  auto at = dom.find(open);
  if (at == std::string::npos) return {};
  auto end = dom.find(close, at);
  return herald::testing::visible_text(dom.substr(at, end == std::string::npos ? std::string::npos : end - at));
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(StatusPageInBrowser, TheWeekShowsEachPostAsACardWithItsTextStateLinkCountersAndPicture) {
  HERALD_REQUIRE_BROWSER();
  CannedStatusServer server;
  const auto png = screenshot_path("status-page-week.png");
  const BrowserPage page = load_page(server.url(), png);
  SCOPED_TRACE("visible text: " + page.text + "\nChromium log:\n" + page.log);
  // This week, Monday first: today is Tue 2 Mar in Berlin.
  EXPECT_NE(page.text.find("Mon 1 Mar \u2013 Sun 7 Mar"), std::string::npos);
  const std::string monday = part(page.dom, "<section class=\"day\" aria-label=\"Mon 1 Mar\"", "</section>");
  // Published: the exact text the network received, its link, its counters, its picture.
  EXPECT_NE(monday.find("10:00 acme-x published Spring is here: our new rye https://acme.example/rye?utm_source=acme-x "
                        "on x 1200 views"),
            std::string::npos)
      << monday;
  EXPECT_NE(monday.find("1200 views \u00b7 40 likes \u00b7 9 shares \u00b7 5 replies"), std::string::npos) << monday;
  EXPECT_NE(monday.find("10:05 acme-facebook published Spring is here: our new rye on facebook 12 likes"),
            std::string::npos)
      << monday;
  EXPECT_NE(monday.find("13:00 acme-facebook failed Last chance"), std::string::npos) << monday;
  EXPECT_NE(page.dom.find("<a href=\"https://x.example/acme/status/1\""), std::string::npos);
  EXPECT_NE(page.dom.find("<img src=\"api/v1/media?post=launch&amp;n=0\" alt=\"A loaf on a board\""), std::string::npos);
  // Coming: planned posts on their days, with the text they will have.
  const std::string tuesday = part(page.dom, "<section class=\"day today\" aria-label=\"Tue 2 Mar\"", "</section>");
  EXPECT_NE(tuesday.find("15:00 acme-youtube planned How we bake rye, in four minutes"), std::string::npos) << tuesday;
  const std::string thursday = part(page.dom, "<section class=\"day\" aria-label=\"Thu 4 Mar\"", "</section>");
  EXPECT_NE(thursday.find("17:15 acme-x planned Three things about rye (1/3)"), std::string::npos) << thursday;
  // Last week's post is not in this week.
  EXPECT_EQ(page.text.find("How to keep bread fresh"), std::string::npos);

  // The charts: engagement per day of the last 30 days, per channel and per kind.
  const std::string charts = part(page.dom, "<div id=\"charts\"", "<section");
  // (Each bar's title is its day and value, here as text too.)
  EXPECT_EQ(charts.find("By channel acme-facebook \u2014 17 interactions Mon 1 Feb: 0"), 0u) << charts;
  EXPECT_NE(charts.find("Sun 28 Feb: 0 Mon 1 Mar: 17 Tue 2 Mar: 0 acme-x \u2014 94 interactions"), std::string::npos);
  EXPECT_NE(charts.find("Tue 2 Mar: 0 By kind help \u2014 40 interactions"), std::string::npos);
  EXPECT_NE(charts.find("Tue 2 Mar: 0 promo \u2014 71 interactions"), std::string::npos);
  EXPECT_NE(page.dom.find("aria-label=\"acme-x: engagement per day of the posts that went out that day\""),
            std::string::npos);
  EXPECT_EQ(count(page.dom, "<rect "), 4u * 30u);  // 30 days in each of 4 charts
  EXPECT_NE(page.dom.find("<title>Wed 24 Feb: 40</title>"), std::string::npos);

  EXPECT_EQ(page.log.find("Content Security Policy"), std::string::npos);
  EXPECT_EQ(page.log.find("Uncaught"), std::string::npos);
  EXPECT_EQ(page.log.find(":CONSOLE"), std::string::npos);
  EXPECT_TRUE(server.requested().count("/api/v1/media?n=0&post=launch"));
  expect_screenshot(png);
  // The whole page, charts included, for people to look at.
  herald::testing::BrowserOptions tall;
  tall.height = 2400;
  const auto whole = screenshot_path("status-page-whole.png");
  load_page(server.url(), whole, tall);
  EXPECT_GT(herald::testing::read_file(whole.string()).size(), 20u * 1024);
}

TEST(StatusPageInBrowser, TheCalendarOfOneChannel) {
  HERALD_REQUIRE_BROWSER();
  CannedStatusServer server;
  const BrowserPage page = load_page(server.url() + "#channel=acme-facebook");
  SCOPED_TRACE("visible text: " + page.text + "\nChromium log:\n" + page.log);
  const std::string monday = part(page.dom, "<section class=\"day\" aria-label=\"Mon 1 Mar\"", "</section>");
  EXPECT_EQ(monday, "Mon 1 Mar 10:05 acme-facebook published Spring is here: our new rye on facebook 12 likes \u00b7 "
                    "2 shares \u00b7 3 replies Details 13:00 acme-facebook failed Last chance Details");
  EXPECT_NE(page.dom.find("<option value=\"acme-facebook\" selected"), std::string::npos);
  EXPECT_EQ(page.log.find("Uncaught"), std::string::npos);
}

TEST(StatusPageInBrowser, TheMonthShowsEveryDayOfItsWeeks) {
  HERALD_REQUIRE_BROWSER();
  CannedStatusServer server;
  const auto png = screenshot_path("status-page-month.png");
  const BrowserPage page = load_page(server.url() + "#month", png);
  SCOPED_TRACE("visible text: " + page.text + "\nChromium log:\n" + page.log);
  // March 2027 from Monday 1 March: six weeks, to Sun 11 April.
  EXPECT_NE(page.text.find("Mon 1 Mar \u2013 Sun 11 Apr"), std::string::npos);
  EXPECT_EQ(count(page.dom, "class=\"cell"), 42u);
  EXPECT_NE(page.text.find("Mon Tue Wed Thu Fri Sat Sun 1 10:00 acme-x launch 10:05 acme-facebook launch "
                           "13:00 acme-facebook old-promo 2 15:00 acme-youtube spring-video 3 4 17:15 acme-x launch-thread"),
            std::string::npos);
  EXPECT_NE(page.dom.find("<button type=\"button\" class=\"item published\" data-key=\"launch@acme-x\""),
            std::string::npos);
  EXPECT_NE(page.dom.find("aria-pressed=\"true\">Month"), std::string::npos);
  EXPECT_EQ(page.log.find("Uncaught"), std::string::npos);
  expect_screenshot(png);
}

TEST(StatusPageInBrowser, TheDetailOfADeliveryShowsItsTextCountersOverTimeAndHistory) {
  HERALD_REQUIRE_BROWSER();
  CannedStatusServer server;
  const auto png = screenshot_path("status-page-detail.png");
  const BrowserPage page = load_page(server.url() + "#delivery=launch%40acme-x", png);
  SCOPED_TRACE("visible text: " + page.text + "\nChromium log:\n" + page.log);
  const std::string detail = part(page.dom, "<div id=\"detail\"", "<footer");
  EXPECT_NE(detail.find("Close launch@acme-x published Mon 1 Mar 10:00 on acme-x \u00b7 campaign spring \u00b7 promo "
                        "https://x.example/acme/status/1 Spring is here: our new rye https://acme.example/rye?utm_source=acme-x "
                        "Engagement 1200 views \u00b7 40 likes \u00b7 9 shares \u00b7 5 replies History "
                        "Mon 1 Mar 10:00 sending: attempt 1 Mon 1 Mar 10:00 published: https://x.example/acme/status/1"),
            std::string::npos)
      << detail;
  EXPECT_EQ(page.dom.find("<div id=\"detail\" role=\"dialog\" aria-labelledby=\"detail-title\" hidden"),
            std::string::npos);
  // Engagement over time: likes + replies at each read, 11 then 45 (the top).
  EXPECT_NE(page.dom.find("<polyline points=\"5.0,50.3 295.0,5.0\""), std::string::npos) << detail;
  EXPECT_TRUE(server.requested().count("/api/v1/deliveries/launch@acme-x/engagement"));
  EXPECT_TRUE(server.requested().count("/api/v1/history?key=launch@acme-x&limit=100"));
  EXPECT_EQ(page.log.find("Uncaught"), std::string::npos);
  expect_screenshot(png);
}

TEST(StatusPageInBrowser, NeedsAttentionFirstWithRefusedCredentialsAndAHeldEdit) {
  HERALD_REQUIRE_BROWSER();
  CannedStatusServer server;
  std::string status = status_json("null");
  const std::string held = R"("calendar":{"last_reload":"2027-03-02T08:00:00Z","ok":true,"error":"",)"
                           R"("held":{"at":"2027-03-02T08:40:00Z","cancelled":12,"pending":30,"sample":"a@x, b@x"}})";
  status.replace(status.find(R"("calendar":{)"), status.find("},", status.find(R"("calendar":{)")) + 1 -
                                                     status.find(R"("calendar":{)"), held);
  const std::string warned =
      R"("problem":"","warning":"the platform refused the credentials at 2027-03-02T08:30:00Z (401 Unauthorized); )"
      R"(replace /etc/herald/credentials/youtube, then herald reload",)";
  status.replace(status.find(R"("problem":"",)", status.find("acme-youtube")), std::string(R"("problem":"",)").size(),
                 warned);
  server.set_status(status);
  const auto png = screenshot_path("status-page-attention.png");
  const BrowserPage page = load_page(server.url(), png);
  SCOPED_TRACE("visible text: " + page.text + "\nChromium log:\n" + page.log);
  const std::string attention = part(page.dom, "<div id=\"attention\"", "</section>");
  EXPECT_EQ(attention.find("A calendar edit is held It would cancel 12 of 30 pending deliveries (a@x, b@x). "
                           "If that is meant: herald reload --accept-cancellations Credentials of acme-youtube "
                           "the platform refused the credentials at 2027-03-02T08:30:00Z (401 Unauthorized); "
                           "replace /etc/herald/credentials/youtube, then herald reload blog-recap@acme-blog"),
            0u)
      << attention;
  // Before the calendar: what needs a person comes first on the page.
  EXPECT_LT(page.text.find("Needs attention"), page.text.find("Calendar"));
  expect_screenshot(png);
}

// Drafts (issue 18): listed for approval; one whose time passed says it was
// not published.
TEST(StatusPageInBrowser, ListsDraftsAwaitingApprovalAndTheOnesWhoseTimePassed) {
  HERALD_REQUIRE_BROWSER();
  CannedStatusServer server;
  std::string status = status_json("null");
  status.insert(status.find(R"("paused":)"),
                R"("drafts":[{"key":"teaser@acme-x","post":"teaser","channel":"acme-x","at":"2027-03-02T07:00:00Z",)"
                R"("local":"2027-03-02T08:00:00+01:00","passed":true},)"
                R"({"key":"summer@acme-facebook","post":"summer","channel":"acme-facebook","at":"2027-03-04T08:00:00Z",)"
                R"("local":"2027-03-04T09:00:00+01:00","passed":false}],)");
  server.set_status(status);
  const auto png = screenshot_path("status-page-drafts.png");
  const BrowserPage page = load_page(server.url(), png);
  SCOPED_TRACE("visible text: " + page.text + "\nChromium log:\n" + page.log);
  const std::string drafts = part(page.dom, "<div id=\"drafts\"", "</section>");
  EXPECT_NE(drafts.find("teaser@acme-x"), std::string::npos) << drafts;
  EXPECT_NE(drafts.find("its time has passed: not published (still a draft)"), std::string::npos) << drafts;
  EXPECT_NE(drafts.find("summer@acme-facebook"), std::string::npos) << drafts;
  EXPECT_NE(drafts.find("remove draft: true to approve"), std::string::npos) << drafts;
  EXPECT_LT(drafts.find("teaser@acme-x"), drafts.find("summer@acme-facebook"));
  expect_screenshot(png);
}

TEST(StatusPageInBrowser, TheCanonicalStatusSaysNoDrafts) {
  HERALD_REQUIRE_BROWSER();
  CannedStatusServer server;
  server.set_status(status_json("null"));
  const BrowserPage page = load_page(server.url(), screenshot_path("status-page-no-drafts.png"));
  EXPECT_EQ(part(page.dom, "<div id=\"drafts\"", "</section>"), "No drafts.") << page.text;
}

TEST(StatusPageInBrowser, ReadableOnAPhone) {
  HERALD_REQUIRE_BROWSER();
  CannedStatusServer server;
  const auto png = screenshot_path("status-page-phone.png");
  herald::testing::BrowserOptions phone;
  phone.width = 390;
  phone.height = 1800;
  const BrowserPage page = load_page(server.url(), png, phone);
  SCOPED_TRACE("visible text: " + page.text + "\nChromium log:\n" + page.log);
  EXPECT_NE(page.text.find("Spring is here: our new rye"), std::string::npos);
  const std::string bytes = herald::testing::read_file(png.string());
  ASSERT_GT(bytes.size(), 24u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[18]) * 256 + static_cast<unsigned char>(bytes[19]), 390);
}

TEST(StatusPageInBrowser, ACalendarOfFiveHundredPostsIsDrawnWhole) {
  HERALD_REQUIRE_BROWSER();
  CannedStatusServer server;
  std::string big = R"({"from":"2027-02-28T00:00:00Z","to":"2027-03-09T00:00:00Z","deliveries":[)";
  for (int i = 0; i < 500; ++i) {
    const int day = 1 + i % 7, minute = i % 60, hour = 6 + (i / 60) % 14;
    char planned[32], local[40];
    std::snprintf(planned, sizeof planned, "2027-03-%02dT%02d:%02d:00Z", day, hour - 1, minute);
    std::snprintf(local, sizeof local, "2027-03-%02dT%02d:%02d:00+01:00", day, hour, minute);
    if (i) big += ",";
    big += calendar_delivery("p" + std::to_string(i), i % 2 ? "acme-x" : "acme-facebook", i % 2 ? "x" : "facebook",
                             day == 1 ? "published" : "planned", planned, local, "Post number " + std::to_string(i),
                             day == 1 ? "https://x.example/" + std::to_string(i) : "",
                             day == 1 ? R"({"views":10,"likes":1,"shares":0,"replies":0,"clicks":null})" : "null",
                             day == 1 ? 1 : 0, "tip");
  }
  big += "]}";
  server.set_calendar(big);
  const auto png = screenshot_path("status-page-500.png");
  const BrowserPage page = load_page(server.url(), png);
  SCOPED_TRACE("Chromium log:\n" + page.log);
  EXPECT_EQ(count(page.dom, "<article class=\"pc "), 500u);
  EXPECT_NE(page.dom.find("data-render-ms=\""), std::string::npos);
  EXPECT_EQ(page.log.find("Uncaught"), std::string::npos);
}

TEST(StatusPageInBrowser, SaysSoWhenHeraldCannotBeReached) {
  HERALD_REQUIRE_BROWSER();
  // A server that serves the page but whose API answers 503 like a busy backend.
  httplib::Server server;
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(status_page_html(), "text/html; charset=utf-8");
  });
  server.Get(R"(/api/v1/.*)", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_content(R"({"error":"the event loop did not answer within 2 s"})", "application/json; charset=utf-8");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  herald::testing::eventually([&] { return server.is_running(); }, std::chrono::seconds(5));
  BrowserPage page;
  try {
    page = load_page("http://127.0.0.1:" + std::to_string(port) + "/");
  } catch (...) {
    server.stop();
    thread.join();
    throw;
  }
  server.stop();
  thread.join();
  EXPECT_NE(page.text.find("cannot reach herald: the event loop did not answer within 2 s"), std::string::npos)
      << page.text;
  EXPECT_NE(page.dom.find("class=\"stale\""), std::string::npos);
}

}  // namespace
}  // namespace herald
