// Composing for LinkedIn and Instagram: the commentary in little text format
// with its limit counted on what is sent, the article card, the caption's
// limits and hashtags, and the public URLs Instagram fetches media from.
#include "compose/composer.hpp"
#include "compose/little_text.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace herald {
namespace {

struct Fixture {
  Settings settings;
  Calendar calendar;
  Diagnostics diags;
  bool loaded = false;
  explicit Fixture(const std::string& posts, const std::string& media_url = "https://media.example.nl/herald") {
    settings = *load_settings_text("calendar: calendar.yaml\ntimezone: Europe/Amsterdam\n" +
                                       (media_url.empty() ? std::string() : "media_url: " + media_url + "\n") +
                                       R"(links:
  own_domains: [example.nl]
channels:
  linkedin: {kind: linkedin, author: "urn:li:organization:123", credentials: li}
  instagram: {kind: instagram, account_id: "17841400000000000", credentials: ig}
)",
                                   "/cal/herald.yaml", {}, diags);
    loaded = load_calendar_text(posts, "/cal/calendar.yaml", settings, calendar, diags);
  }
  Composed preview(const std::string& post, const std::string& channel) const {
    return compose(*calendar.find(post), *settings.channel(channel), settings, calendar,
                   preview_urls(calendar, settings));
  }
};

TEST(ComposeLinkedin, CommentaryIsEscapedAndTheFirstLinkIsTheArticleCard) {
  Fixture f(R"(posts:
  - {id: open, at: 2027-03-02 10:00, channels: [linkedin], title: "Open day",
     text: "Open day (Saturday) at https://example.nl/open — #bakkerij"}
)");
  ASSERT_TRUE(f.loaded);
  const Composed c = f.preview("open", "linkedin");
  const std::string tagged =
      "https://example.nl/open?utm_source=linkedin&utm_medium=social&utm_campaign=open&utm_content=open";
  EXPECT_EQ(c.text, "Open day \\(Saturday\\) at " + tagged + " — #bakkerij");
  EXPECT_EQ(render_little_text(c.text).text, "Open day (Saturday) at " + tagged + " — #bakkerij");
  EXPECT_EQ(c.link, tagged);
  EXPECT_EQ(c.title, "Open day");
  ASSERT_NE(c.main_measure(), nullptr);
  EXPECT_EQ(c.main_measure()->part, "commentary");
  EXPECT_EQ(c.main_measure()->limit, kLinkedinCommentaryLimit);
}

TEST(ComposeLinkedin, TheLimitCountsTheEscapesThatAreSent) {
  // 2,990 letters and 10 parentheses: 3,000 as written, 3,010 as sent.
  const std::string text = std::string(2990, 'a') + "()()()()()";
  Fixture f("posts:\n  - {id: long, at: 2027-03-02 10:00, channels: [linkedin], text: \"" + text + "\"}\n");
  ASSERT_TRUE(f.loaded);
  const Composed c = f.preview("long", "linkedin");
  ASSERT_NE(c.over_limit(), nullptr);
  EXPECT_EQ(c.over_limit()->length, 3010u);
}

TEST(ComposeLinkedin, ACardWithoutATitleIsTitledByItsUrl) {
  Fixture f(R"(posts:
  - {id: p, at: 2027-03-02 10:00, channels: [linkedin], text: "See https://other.org/page"}
)");
  ASSERT_TRUE(f.loaded);
  const Composed c = f.preview("p", "linkedin");
  EXPECT_EQ(c.link, "https://other.org/page");
  EXPECT_EQ(c.title, "https://other.org/page");
}

TEST(ComposeInstagram, CaptionLimitsHashtagsAndALinkThatIsNotClickable) {
  std::string tags;
  for (int i = 0; i < 31; ++i) tags += " #tag" + std::to_string(i);
  Fixture f("posts:\n  - {id: many, at: 2027-03-02 10:00, channels: [instagram], media: [a.jpg], text: \"Spring" +
            tags + "\"}\n  - {id: thirty, at: 2027-03-02 11:00, channels: [instagram], media: [a.jpg], text: \"x" +
            tags.substr(0, tags.rfind(" #")) + " see https://example.nl/x\"}\n");
  ASSERT_TRUE(f.loaded);
  const Composed many = f.preview("many", "instagram");
  ASSERT_EQ(many.problems.size(), 1u);
  EXPECT_EQ(many.problems[0], "the caption has 31 hashtags; Instagram allows at most 30");
  EXPECT_TRUE(many.notes.empty());
  const Composed thirty = f.preview("thirty", "instagram");
  EXPECT_TRUE(thirty.problems.empty()) << thirty.problems[0];
  ASSERT_EQ(thirty.notes.size(), 1u);
  EXPECT_EQ(thirty.notes[0], "a link in an Instagram caption is not clickable");
  ASSERT_NE(thirty.main_measure(), nullptr);
  EXPECT_EQ(thirty.main_measure()->limit, kInstagramCaptionLimit);
}

// A first comment (issue 18) is composed as its own text: measured and
// noted as a comment, its links tagged, without the post's picture or caption.
TEST(ComposeInstagram, AFirstCommentIsItsOwnTextMeasuredAsAComment) {
  Fixture f("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [instagram], media: [a.jpg], text: Caption,\n"
            "     first_comment: \"Details at https://example.nl/x\"}\n");
  ASSERT_TRUE(f.loaded);
  const Composed c = compose_first_comment(*f.calendar.find("p"), *f.settings.channel("instagram"), f.settings,
                                           f.calendar, preview_urls(f.calendar, f.settings));
  // Tagged like any text on an own domain.
  EXPECT_EQ(c.text, "Details at https://example.nl/x?utm_source=instagram&utm_medium=social&utm_campaign=p&utm_content=p");
  EXPECT_TRUE(c.media.empty());
  ASSERT_NE(c.main_measure(), nullptr);
  EXPECT_EQ(c.main_measure()->part, "first comment");
  EXPECT_EQ(c.notes, std::vector<std::string>{"a link in an Instagram comment is not clickable"});
}

TEST(ComposeInstagram, MediaGetTheirPublicUrlUnderMediaUrl) {
  Fixture f(R"(posts:
  - {id: p, at: 2027-03-02 10:00, channels: [instagram], media: ["img/spring bread.jpg", ../cal/b.jpg], text: "Spring"}
)");
  ASSERT_TRUE(f.loaded);
  const Composed c = f.preview("p", "instagram");
  ASSERT_EQ(c.media_urls.size(), 2u);
  EXPECT_EQ(c.media_urls[0], "https://media.example.nl/herald/img/spring%20bread.jpg");
  EXPECT_EQ(c.media_urls[1], "https://media.example.nl/herald/b.jpg");
}

TEST(ComposeInstagram, NoMediaUrlMeansNoPublicUrls) {
  Fixture f(R"(posts:
  - {id: p, at: 2027-03-02 10:00, channels: [instagram], media: [a.jpg], text: "Spring"}
)",
            "");
  ASSERT_TRUE(f.loaded);
  EXPECT_TRUE(f.preview("p", "instagram").media_urls.empty());
}

TEST(ComposeInstagram, APostWithoutMediaIsAnError) {
  Fixture f(R"(posts:
  - {id: bare, at: 2027-03-02 10:00, channels: [instagram], text: "Spring"}
)");
  EXPECT_FALSE(f.loaded);
  ASSERT_FALSE(f.diags.items().empty());
  EXPECT_EQ(format(f.diags.items().back()),
            "/cal/calendar.yaml:2:5: error: post 'bare' on instagram channel 'instagram' needs media: an image, 2 to "
            "10 for a carousel, or a video for a Reel");
}

}  // namespace
}  // namespace herald
