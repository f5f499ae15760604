#include "compose/composer.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

struct Fixture {
  Settings settings;
  Calendar calendar;
  explicit Fixture(const std::string& posts) {
    Diagnostics d;
    settings = *load_settings_text(R"(calendar: calendar.yaml
timezone: Europe/Amsterdam
links:
  own_domains: [example.nl]
channels:
  x: {kind: x, account: example_nl, credentials: x}
  facebook: {kind: facebook, page_id: "1234567890", credentials: f}
  youtube: {kind: youtube, credentials: y, utm: {source: yt}}
  blog: {kind: wordpress, site: https://blog.example.nl/, credentials: b}
  site: {kind: static, dir: /srv/site, url: "https://example.nl/news/{post}/"}
)",
                                   "/cal/herald.yaml", {}, d);
    EXPECT_TRUE(load_calendar_text(posts, "/cal/calendar.yaml", settings, calendar, d))
        << (d.items().empty() ? "" : format(d.items()[0]));
  }
  Composed compose_for(const std::string& post, const std::string& channel, const UrlLookup& urls) const {
    return compose(*calendar.find(post), *settings.channel(channel), settings, calendar, urls, "2027-03-02T10:00:00+01:00");
  }
  Composed preview(const std::string& post, const std::string& channel) const {
    return compose_for(post, channel, preview_urls(calendar, settings));
  }
};

const char* kCampaign = R"(posts:
  - {id: video, at: 2027-03-02 10:00, channels: [youtube], title: "Spring", text: "Read https://example.nl/spring", youtube: {video: dQw4w9WgXcQ}}
  - {id: story, at: 2027-03-02 09:00, channels: [blog], title: "Spring is here", text: "Our video: {link video}"}
  - id: teaser
    at: 2027-03-02 10:05
    channels: [x, facebook]
    campaign: spring-2027
    text: "Out now: {link video} and the story {link story}"
    x: {text: "New on YouTube: {link video} #spring"}
)";

TEST(Composer, ResolvesLinksAndTagsOwnOnesPerChannel) {
  Fixture f(kCampaign);
  auto urls = [](const std::string& key) -> std::optional<std::string> {
    if (key == "video@youtube") return "https://www.youtube.com/watch?v=dQw4w9WgXcQ";
    if (key == "story@blog") return "https://example.nl/2027/03/spring-is-here/";
    return std::nullopt;
  };
  auto fb = f.compose_for("teaser", "facebook", urls);
  EXPECT_EQ(fb.text,
            "Out now: https://www.youtube.com/watch?v=dQw4w9WgXcQ and the story "
            "https://example.nl/2027/03/spring-is-here/"
            "?utm_source=facebook&utm_medium=social&utm_campaign=spring-2027&utm_content=teaser");
  EXPECT_EQ(fb.link, "https://www.youtube.com/watch?v=dQw4w9WgXcQ") << "the first URL is the link preview";
  EXPECT_TRUE(fb.waiting_for.empty());
  auto x = f.compose_for("teaser", "x", urls);
  EXPECT_EQ(x.text, "New on YouTube: https://www.youtube.com/watch?v=dQw4w9WgXcQ #spring");
  ASSERT_EQ(x.measures.size(), 1u);
  EXPECT_EQ(x.measures[0].length, 16u + 23u + 8u) << "URLs count 23";
  EXPECT_EQ(x.measures[0].limit, 280u);
  // The YouTube channel's own UTM template replaces the default one.
  auto yt = f.compose_for("video", "youtube", urls);
  EXPECT_EQ(yt.text, "Read https://example.nl/spring?utm_source=yt");
}

TEST(Composer, UnknownUrlsKeepThePlaceholderAndAreListed) {
  Fixture f(kCampaign);
  auto none = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto fb = f.compose_for("teaser", "facebook", none);
  EXPECT_EQ(fb.text, "Out now: {link video} and the story {link story}");
  EXPECT_EQ(fb.waiting_for, (std::vector<std::string>{"video@youtube", "story@blog"}));
}

TEST(Composer, PreviewUrls) {
  Fixture f(kCampaign);
  auto fb = f.preview("teaser", "facebook");
  EXPECT_EQ(fb.text,
            "Out now: https://www.youtube.com/watch?v=dQw4w9WgXcQ and the story https://blog.example.nl/story/"
            "?utm_source=facebook&utm_medium=social&utm_campaign=spring-2027&utm_content=teaser");
}

TEST(Composer, XThreadEachTweetMeasured) {
  Fixture f(R"(posts:
  - id: t
    at: 2027-03-02 10:00
    channels: [x]
    text: "1/ first"
    thread: ["2/ second", "3/ third"]
)");
  auto c = f.preview("t", "x");
  EXPECT_EQ(c.text, "1/ first");
  EXPECT_EQ(c.thread, (std::vector<std::string>{"2/ second", "3/ third"}));
  ASSERT_EQ(c.measures.size(), 3u);
  EXPECT_EQ(c.measures[1].part, "tweet 2 of 3");
  EXPECT_EQ(c.measures[1].length, 9u);
}

TEST(Composer, XLimitIsWeighted) {
  std::string cjk;
  for (int i = 0; i < 141; ++i) cjk += "\xE6\x98\xA5";  // 春, weight 2
  Fixture f("posts:\n  - {id: t, at: 2027-03-02 10:00, channels: [x], text: \"" + cjk + "\"}\n");
  auto c = f.preview("t", "x");
  ASSERT_NE(c.over_limit(), nullptr);
  EXPECT_EQ(c.over_limit()->length, 282u);
}

TEST(Composer, YoutubeDescriptionInBytesAndNoAngleBrackets) {
  Fixture f(R"(posts:
  - {id: v, at: 2027-03-02 10:00, channels: [youtube], title: "A <b> title", text: "caf\u00e9 <3", youtube: {video: dQw4w9WgXcQ}}
)");
  auto c = f.preview("v", "youtube");
  EXPECT_EQ(c.measures[0].part, "description");
  EXPECT_EQ(c.measures[0].length, 8u) << "é is two bytes";
  EXPECT_EQ(c.measures[0].unit, "bytes");
  EXPECT_EQ(c.problems, (std::vector<std::string>{"YouTube does not accept '<' or '>' in a description",
                                                  "YouTube does not accept '<' or '>' in a title"}));
  EXPECT_EQ(c.privacy, "public");
  EXPECT_EQ(c.video, "dQw4w9WgXcQ");
}

TEST(Composer, WordpressHtml) {
  Fixture f(R"(posts:
  - id: b
    at: 2027-03-02 10:00
    channels: [blog]
    title: "Tips & tricks"
    excerpt: short
    tags: [a]
    text: |
      Line one <3
      line two with https://example.nl/x.

      Second paragraph: www.youtube.com
)");
  auto c = f.preview("b", "blog");
  EXPECT_EQ(c.title, "Tips & tricks");
  EXPECT_EQ(c.text,
            "<p>Line one &lt;3<br>\nline two with <a "
            "href=\"https://example.nl/x?utm_source=blog&amp;utm_medium=social&amp;utm_campaign=b&amp;utm_content=b\">"
            "https://example.nl/x?utm_source=blog&amp;utm_medium=social&amp;utm_campaign=b&amp;utm_content=b</a>.</p>\n"
            "<p>Second paragraph: <a href=\"https://www.youtube.com\">www.youtube.com</a></p>\n");
  EXPECT_EQ(c.excerpt, "short");
  EXPECT_EQ(c.tags, std::vector<std::string>{"a"});
}

TEST(Composer, StaticMarkdownWithFrontMatter) {
  Fixture f(R"(posts:
  - {id: news, at: 2027-03-02 10:00, channels: [site], title: "Open: \"Easter\"", text: "We are open.\n", tags: [nieuws]}
)");
  auto c = f.preview("news", "site");
  EXPECT_EQ(c.text,
            "---\ntitle: \"Open: \\\"Easter\\\"\"\ndate: 2027-03-02T10:00:00+01:00\ntags: [nieuws]\nherald_post: news\n---\n\n"
            "We are open.\n");
}

TEST(Composer, TextToHtmlEscapes) {
  EXPECT_EQ(text_to_html("a & b \"c\""), "<p>a &amp; b &quot;c&quot;</p>\n");
  EXPECT_EQ(text_to_html(""), "");
  EXPECT_EQ(text_to_html("\n\n\n"), "");
}

TEST(Composer, TweetWeightedLength) {
  EXPECT_EQ(tweet_weighted_length(std::string(280, 'a')), 280u);
  EXPECT_EQ(tweet_weighted_length(std::string(281, 'a')), 281u);
  EXPECT_EQ(tweet_weighted_length("https://example.nl/a/very/long/path/that/is/longer/than/23"), 23u);
  EXPECT_EQ(tweet_weighted_length("e\xCC\x81"), 1u) << "NFC composes e + combining acute";
}

}  // namespace
}  // namespace herald
