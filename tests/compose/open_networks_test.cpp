// Composing for Mastodon and Bluesky: lengths counted the way each platform
// counts (Mastodon: grapheme clusters with every link 23, the content warning
// included; Bluesky: 300 grapheme clusters of the text as posted), and the
// Bluesky facets that make links and #tags work, at UTF-8 byte offsets.
#include "compose/bluesky_text.hpp"
#include "compose/composer.hpp"
#include "compose/graphemes.hpp"
#include "compose/mastodon_text.hpp"
#include "config/diagnostics.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald {
namespace {

// U+1F468 U+200D U+1F469 U+200D U+1F467 U+200D U+1F466: a family, one cluster.
const std::string kFamily = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466";
// Regional indicators N and L: the Dutch flag, one cluster.
const std::string kFlag = "\U0001F1F3\U0001F1F1";
// "e" and U+0301 COMBINING ACUTE ACCENT: one cluster, three bytes.
const std::string kAccented = "e\u0301";
// A thumbs-up with a skin tone modifier: one cluster.
const std::string kThumb = "\U0001F44D\U0001F3FD";

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// Unicode UAX #29 extended grapheme clusters, as Bluesky's lexicon
// (app.bsky.feed.post: text maxGraphemes 300) and Mastodon's
// StatusLengthValidator (each_grapheme_cluster) count.
TEST(Graphemes, ClustersNotCodePointsNorBytes) {
  EXPECT_EQ(grapheme_count(""), 0u);
  EXPECT_EQ(grapheme_count("abc"), 3u);
  EXPECT_EQ(grapheme_count(kAccented), 1u);
  EXPECT_EQ(grapheme_count(kFlag), 1u);
  EXPECT_EQ(grapheme_count(kFlag + kFlag), 2u) << "a second flag is a second cluster";
  EXPECT_EQ(grapheme_count(kFamily), 1u) << "a ZWJ sequence is one cluster";
  EXPECT_EQ(grapheme_count(kThumb), 1u);
  EXPECT_EQ(grapheme_count("\u65E5\u672C\u8A9E"), 3u) << "CJK: one cluster per ideograph";
  EXPECT_EQ(grapheme_count("a\r\nb"), 3u) << "CR LF is one cluster";
  EXPECT_EQ(grapheme_count(std::string("a\xFF") + "b"), 3u) << "an invalid byte counts one";
}

TEST(MastodonLength, LinksCountTwentyThreeAndTheContentWarningCounts) {
  const std::string url = "https://example.nl/a/very/long/path/that/goes/on?utm_source=mastodon&utm_medium=social";
  EXPECT_EQ(mastodon_length("Read " + url), 5u + 23u);
  EXPECT_EQ(mastodon_length("Read " + url + " and http://b.org"), 5u + 23u + 5u + 23u);
  EXPECT_EQ(mastodon_length("example.nl without a scheme"), 27u) << "only http(s) links get the concession";
  EXPECT_EQ(mastodon_length("text", "CW: food"), 12u);
  EXPECT_EQ(mastodon_length(url, {}, 30), 30u) << "the instance's characters_reserved_per_url";
  EXPECT_EQ(mastodon_length(kFamily + kFlag + kAccented), 3u);
}

TEST(MastodonLength, ARemoteMentionCountsOnlyItsUserName) {
  EXPECT_EQ(mastodon_length("hi @bakery@mastodon.social!"), std::string("hi @bakery!").size());
  EXPECT_EQ(mastodon_length("hi @bakery"), 10u);
  EXPECT_EQ(mastodon_length("mail me at a@b.nl"), 17u) << "an address inside a word is not a mention";
}

TEST(BlueskyText, ShortUrlKeepsHostAndThirteenCharactersOfAPathLongerThanFifteen) {
  EXPECT_EQ(short_url("https://example.nl/"), "example.nl");
  EXPECT_EQ(short_url("https://example.nl"), "example.nl");
  EXPECT_EQ(short_url("http://example.nl/abc"), "example.nl/abc");
  EXPECT_EQ(short_url("https://example.nl/exactly-15-ch"), "example.nl/exactly-15-ch");
  EXPECT_EQ(short_url("https://example.nl/sixteen-chars-x"), "example.nl/sixteen-char...");
  EXPECT_EQ(short_url("example.nl/open?utm_source=bluesky"), "example.nl/open?utm_sou...");
}

// The text before each link is full of multi-byte clusters, so a facet that
// counted code points or UTF-16 units instead of UTF-8 bytes would miss.
TEST(BlueskyText, FacetsPointAtTheLinksByUtf8BytesWhateverComesBefore) {
  const std::string first = "https://example.nl/open-day-2027?utm_source=bluesky";
  const std::string text = "Caf\u00E9 " + kAccented + " " + kFlag + " " + kFamily + " \u65E5\u672C\u8A9E " + first +
                           " " + kThumb + " and b.org/x and https://c.org/";
  const RichText rich = bluesky_rich_text(text);
  ASSERT_EQ(rich.facets.size(), 3u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"example.nl/open-day-202...", first}, {"b.org/x", "https://b.org/x"}, {"c.org", "https://c.org/"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Facet& f = rich.facets[i];
    EXPECT_EQ(f.kind, Facet::Kind::link);
    ASSERT_LE(f.byte_end, rich.text.size());
    EXPECT_EQ(rich.text.substr(f.byte_start, f.byte_end - f.byte_start), expected[i].first) << i;
    EXPECT_EQ(f.value, expected[i].second) << i;
  }
  EXPECT_EQ(rich.text.substr(0, rich.facets[0].byte_start),
            "Caf\u00E9 " + kAccented + " " + kFlag + " " + kFamily + " \u65E5\u672C\u8A9E ");
}

TEST(BlueskyText, TagsAreFacetedWithoutTheirHashAndTrailingPunctuation) {
  const std::string text = kFamily + " #bakkerij, #Lente2027. #\u65E5\u672C #123 room#2 # alone https://x.nl/#frag";
  const RichText rich = bluesky_rich_text(text);
  std::vector<std::string> tags, slices;
  for (const Facet& f : rich.facets) {
    if (f.kind != Facet::Kind::tag) continue;
    tags.push_back(f.value);
    slices.push_back(rich.text.substr(f.byte_start, f.byte_end - f.byte_start));
  }
  EXPECT_EQ(tags, (std::vector<std::string>{"bakkerij", "Lente2027", "\u65E5\u672C"}));
  EXPECT_EQ(slices, (std::vector<std::string>{"#bakkerij", "#Lente2027", "#\u65E5\u672C"}));
}

struct Fixture {
  Settings settings;
  Calendar calendar;
  Diagnostics diags;
  bool loaded = false;
  explicit Fixture(const std::string& posts, const std::string& mastodon_extra = {}) {
    settings = *load_settings_text(R"(calendar: calendar.yaml
timezone: Europe/Amsterdam
links:
  own_domains: [example.nl]
channels:
  mastodon: {kind: mastodon, instance: "https://mastodon.social", account: bakery, credentials: m)" +
                                       mastodon_extra + R"(}
  bluesky: {kind: bluesky, handle: bakery.bsky.social, credentials: b, language: nl}
)",
                                   "/cal/herald.yaml", {}, diags);
    loaded = load_calendar_text(posts, "/cal/calendar.yaml", settings, calendar, diags);
  }
  Composed preview(const std::string& post, const std::string& channel) const {
    return compose(*calendar.find(post), *settings.channel(channel), settings, calendar,
                   preview_urls(calendar, settings));
  }
};

TEST(ComposeMastodon, StatusVisibilityWarningLanguageAndTheMeasuredLength) {
  Fixture f(R"(posts:
  - id: open
    at: 2027-03-02 10:00
    channels: [mastodon]
    text: "Open day at https://example.nl/open"
    media: [{file: bread.jpg, alt: "A loaf on the counter"}, cake.jpg]
    mastodon: {spoiler_text: "Food", visibility: unlisted, language: nl}
)");
  ASSERT_TRUE(f.loaded) << (f.diags.items().empty() ? "" : format(f.diags.items().front()));
  const Composed c = f.preview("open", "mastodon");
  EXPECT_EQ(c.text,
            "Open day at https://example.nl/open?utm_source=mastodon&utm_medium=social&utm_campaign=open&utm_content=open");
  EXPECT_EQ(c.spoiler_text, "Food");
  EXPECT_EQ(c.visibility, "unlisted");
  EXPECT_EQ(c.language, "nl");
  EXPECT_EQ(c.media_alt, (std::vector<std::string>{"A loaf on the counter", ""}));
  ASSERT_NE(c.main_measure(), nullptr);
  EXPECT_EQ(c.main_measure()->length, 4u + 12u + 23u) << "the warning, the text, the link as 23";
  EXPECT_EQ(c.main_measure()->limit, 500u);
}

TEST(ComposeMastodon, TheLimitIsTheChannelsMaxCharacters) {
  const std::string text = std::string(600, 'a');
  Fixture big("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [mastodon], text: \"" + text + "\"}\n",
              ", max_characters: 1000");
  ASSERT_TRUE(big.loaded);
  EXPECT_EQ(big.preview("p", "mastodon").over_limit(), nullptr);
  Fixture standard("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [mastodon], text: \"" + text + "\"}\n");
  ASSERT_TRUE(standard.loaded);
  const Composed c = standard.preview("p", "mastodon");
  ASSERT_NE(c.over_limit(), nullptr);
  EXPECT_EQ(c.over_limit()->length, 600u);
  EXPECT_EQ(c.over_limit()->limit, 500u);
  EXPECT_EQ(standard.settings.channel("mastodon")->visibility, "public") << "the default";
}

TEST(ComposeBluesky, ThreeHundredGraphemesFitAndThreeHundredAndOneDoNot) {
  // 299 families and a flag: 300 clusters, 7,5 kB of UTF-8 over the byte limit,
  // so a 300-cluster text of mostly ASCII is used for the limit itself.
  const std::string fits = std::string(298, 'a') + kFamily + kFlag;
  const std::string over = fits + kAccented;
  Fixture f("posts:\n  - {id: fits, at: 2027-03-02 10:00, channels: [bluesky], text: \"" + fits +
            "\"}\n  - {id: over, at: 2027-03-02 11:00, channels: [bluesky], text: \"" + over + "\"}\n");
  ASSERT_TRUE(f.loaded);
  const Composed a = f.preview("fits", "bluesky");
  ASSERT_NE(a.main_measure(), nullptr);
  EXPECT_EQ(a.main_measure()->length, 300u);
  EXPECT_EQ(a.main_measure()->unit, "graphemes");
  EXPECT_EQ(a.over_limit(), nullptr);
  const Composed b = f.preview("over", "bluesky");
  ASSERT_NE(b.over_limit(), nullptr);
  EXPECT_EQ(b.over_limit()->length, 301u);
  // 300 families: 300 clusters but 7,500 bytes, over the record's 3,000.
  Fixture g("posts:\n  - {id: wide, at: 2027-03-02 10:00, channels: [bluesky], text: \"" + repeat(kFamily, 300) +
            "\"}\n");
  ASSERT_TRUE(g.loaded);
  const Composed w = g.preview("wide", "bluesky");
  EXPECT_EQ(w.over_limit(), nullptr);
  ASSERT_EQ(w.problems.size(), 1u);
  EXPECT_NE(w.problems.front().find("7500 bytes"), std::string::npos) << w.problems.front();
}

TEST(ComposeBluesky, UtmTaggedLinksAreShortenedOnScreenAndWholeInTheFacetAndCard) {
  Fixture f(R"(posts:
  - {id: open, at: 2027-03-02 10:00, channels: [bluesky], title: "Open day", excerpt: "Saturday, all day",
     text: "Caf\u00E9 open: https://example.nl/open #bakkerij"}
)");
  ASSERT_TRUE(f.loaded);
  const Composed c = f.preview("open", "bluesky");
  const std::string tagged =
      "https://example.nl/open?utm_source=bluesky&utm_medium=social&utm_campaign=open&utm_content=open";
  EXPECT_EQ(c.text, "Caf\u00E9 open: example.nl/open?utm_sou... #bakkerij");
  ASSERT_EQ(c.facets.size(), 2u);
  EXPECT_EQ(c.facets[0].value, tagged);
  EXPECT_EQ(c.text.substr(c.facets[0].byte_start, c.facets[0].byte_end - c.facets[0].byte_start),
            "example.nl/open?utm_sou...");
  EXPECT_EQ(c.facets[1].value, "bakkerij");
  EXPECT_EQ(c.link, tagged);
  EXPECT_EQ(c.title, "Open day");
  EXPECT_EQ(c.excerpt, "Saturday, all day");
  EXPECT_EQ(c.language, "nl") << "the channel's language";
  EXPECT_EQ(c.main_measure()->length, grapheme_count(c.text)) << "measured on what is shown";
}

TEST(ComposeBluesky, AnOverrideLinkIsTheCardAndItsExcerptTheDescription) {
  Fixture f(R"(posts:
  - {id: p, at: 2027-03-02 10:00, channels: [bluesky], text: "No link here",
     bluesky: {link: "https://other.org/page", excerpt: "From elsewhere", language: en}}
)");
  ASSERT_TRUE(f.loaded);
  const Composed c = f.preview("p", "bluesky");
  EXPECT_TRUE(c.facets.empty());
  EXPECT_EQ(c.link, "https://other.org/page");
  EXPECT_EQ(c.title, "https://other.org/page") << "a card without a title is titled by its URL";
  EXPECT_EQ(c.excerpt, "From elsewhere");
  EXPECT_EQ(c.language, "en");
}

TEST(ComposeOpenNetworks, PreviewUrlsHaveEachNetworksShape) {
  Fixture f(R"(posts:
  - {id: p, at: 2027-03-02 10:00, channels: [mastodon, bluesky], text: "Hi"}
)");
  ASSERT_TRUE(f.loaded);
  const auto urls = preview_urls(f.calendar, f.settings);
  EXPECT_EQ(urls("p@mastodon"), "https://mastodon.social/@bakery/000000000000000000");
  EXPECT_EQ(urls("p@bluesky"), "https://bsky.app/profile/bakery.bsky.social/post/2222222222222");
}

}  // namespace
}  // namespace herald
