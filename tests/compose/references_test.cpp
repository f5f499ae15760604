#include "compose/references.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

Settings settings() {
  Diagnostics d;
  auto s = load_settings_text(R"(calendar: c.yaml
timezone: Europe/Amsterdam
channels:
  x: {kind: x, account: a, credentials: x}
  facebook: {kind: facebook, page_id: "1", credentials: f}
  youtube: {kind: youtube, credentials: y}
  blog: {kind: wordpress, site: https://blog.example.nl, credentials: b}
  site: {kind: static, dir: /srv/site}
)",
                              "/cal/herald.yaml", {}, d);
  return *s;
}

struct Checked {
  Calendar calendar;
  ReferenceGraph graph;
  std::vector<std::string> messages;
};

Checked check(const std::string& text) {
  static const Settings s = settings();
  Checked c;
  Diagnostics d;
  EXPECT_TRUE(load_calendar_text(text, "/cal/calendar.yaml", s, c.calendar, d));
  Diagnostics refs;
  c.graph = check_references(c.calendar, s, refs);
  for (const auto& m : refs.sorted()) c.messages.push_back(format(m));
  return c;
}

TEST(References, FindsPlaceholders) {
  auto refs = find_references("a {link spring-video} b {link spring-blog@blog}{link x.y_z}");
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(refs[0].post, "spring-video");
  EXPECT_EQ(refs[0].channel, "");
  EXPECT_EQ(refs[0].begin, 2u);
  EXPECT_EQ(refs[0].end, 21u);
  EXPECT_EQ(refs[1].post, "spring-blog");
  EXPECT_EQ(refs[1].channel, "blog");
  EXPECT_EQ(refs[2].post, "x.y_z");
}

TEST(References, MalformedAndLookalikes) {
  std::vector<std::string> bad;
  auto refs = find_references("{link} {link a b} {linked} {links} {link a@} {link a", &bad);
  EXPECT_TRUE(refs.empty());
  EXPECT_EQ(bad, (std::vector<std::string>{"{link}", "{link a b}", "{link a@}", "{link a"}));
}

TEST(References, ResolveToDependencies) {
  auto c = check(R"(posts:
  - {id: video, at: 2027-03-02 10:00, channels: [youtube], youtube: {video: dQw4w9WgXcQ}}
  - {id: blog, at: 2027-03-02 09:00, channels: [blog], title: t, text: "see {link video}"}
  - id: teaser
    at: 2027-03-02 10:05
    channels: [x, facebook]
    text: "{link video} and {link blog@blog}"
    x: {text: "{link video}"}
)");
  EXPECT_TRUE(c.messages.empty()) << ::testing::PrintToString(c.messages);
  EXPECT_EQ(c.graph.of("blog@blog"), std::vector<std::string>{"video@youtube"});
  EXPECT_EQ(c.graph.of("teaser@x"), std::vector<std::string>{"video@youtube"});
  EXPECT_EQ(c.graph.of("teaser@facebook"), (std::vector<std::string>{"video@youtube", "blog@blog"}));
  EXPECT_TRUE(c.graph.of("video@youtube").empty());
}

TEST(References, Errors) {
  auto c = check(R"(posts:
  - {id: multi, at: 2027-03-02 10:00, channels: [x, facebook], text: hi}
  - {id: weekly, every: weekly mon 09:00, channels: [x], text: hi}
  - {id: page, at: 2027-03-02 10:00, channels: [site], title: t, text: hi}
  - {id: a, at: 2027-03-02 10:00, channels: [x], text: "{link nope}"}
  - {id: b, at: 2027-03-02 10:00, channels: [x], text: "{link multi}"}
  - {id: c, at: 2027-03-02 10:00, channels: [x], text: "{link multi@youtube}"}
  - {id: d, at: 2027-03-02 10:00, channels: [x], text: "{link weekly}"}
  - {id: e, at: 2027-03-02 10:00, channels: [x], text: "{link page}"}
  - {id: f, at: 2027-03-02 10:00, channels: [x], text: "{link f}"}
  - {id: g, at: 2027-03-02 10:00, channels: [x], text: "{link a b}"}
)");
  const std::string F = "/cal/calendar.yaml:";
  EXPECT_EQ(c.messages,
            (std::vector<std::string>{
                F + "5:56: error: post 'a': {link nope} names no post in the calendar",
                F + "6:56: error: post 'b': {link multi} is published on several channels; write one of {link multi@x}, {link multi@facebook}",
                F + "7:56: error: post 'c': {link multi@youtube}: post 'multi' is not published on channel 'youtube'",
                F + "8:56: error: post 'd': {link weekly} names a repeating post; link to one post",
                F + "9:56: error: post 'e': {link page}: channel 'site' has no 'url', so its posts have no public address to link to",
                F + "10:56: error: post 'f' links to itself (f@x); it would wait for itself forever",
                F + "11:56: error: post 'g': '{link a b}' is not a cross-post link; write {link POST} or {link POST@CHANNEL}",
            }));
}

TEST(References, CycleAcrossPostsIsReportedOnce) {
  auto c = check(R"(posts:
  - {id: a, at: 2027-03-02 10:00, channels: [x], text: "{link b}"}
  - {id: b, at: 2027-03-02 10:00, channels: [facebook], text: "{link c}"}
  - {id: c, at: 2027-03-02 10:00, channels: [blog], title: t, text: "{link a}"}
)");
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0], "/cal/calendar.yaml:4:69: error: cross-post links form a cycle: a@x -> b@facebook -> "
                           "c@blog -> a@x; each would wait for the other forever");
}

TEST(References, RenderWithKnownAndUnknownUrls) {
  auto c = check(R"(posts:
  - {id: video, at: 2027-03-02 10:00, channels: [youtube], youtube: {video: dQw4w9WgXcQ}}
  - {id: blog, at: 2027-03-02 09:00, channels: [blog], title: t, text: hi}
)");
  auto url_of = [](const std::string& key) -> std::optional<std::string> {
    if (key == "video@youtube") return "https://www.youtube.com/watch?v=dQw4w9WgXcQ";
    return std::nullopt;
  };
  auto r = render_references("Watch {link video}, read {link blog}.", c.calendar, url_of);
  EXPECT_EQ(r.text, "Watch https://www.youtube.com/watch?v=dQw4w9WgXcQ, read {link blog}.");
  EXPECT_EQ(r.missing, std::vector<std::string>{"blog@blog"});
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

TEST(References, ErrorsInAThreadPointAtTheThread) {
  auto c = check("posts:\n  - id: t\n    at: 2027-03-02 10:00\n    channels: [x]\n    thread: [\"1/ a\", \"2/ {link nope}\"]\n");
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0], "/cal/calendar.yaml:5:13: error: post 't': {link nope} names no post in the calendar");
}

}  // namespace
}  // namespace herald
