// The calendar and settings fields the open networks added: media with alt
// text, Mastodon's visibility, content warning and language per post, and
// the mastodon and bluesky channel keys, each bad value reported at
// file:line:col with what was expected.
#include "config/calendar.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald {
namespace {

const std::string kChannels = R"(channels:
  mastodon: {kind: mastodon, instance: "https://mastodon.social", credentials: m}
  bluesky: {kind: bluesky, handle: bakery.bsky.social, credentials: b}
  x: {kind: x, account: bakery, credentials: x}
)";

struct Loaded {
  bool ok = false;
  Settings settings;
  Calendar calendar;
  std::vector<std::string> messages;
};

Loaded load_settings(const std::string& channels) {
  Loaded l;
  Diagnostics diags;
  auto s = load_settings_text("calendar: calendar.yaml\ntimezone: Europe/Amsterdam\n" + channels, "/cal/herald.yaml",
                              {}, diags);
  for (const auto& d : diags.sorted()) l.messages.push_back(format(d));
  l.ok = s.has_value();
  if (s) l.settings = *s;
  return l;
}

Loaded load_posts(const std::string& posts) {
  Loaded l = load_settings(kChannels);
  EXPECT_TRUE(l.ok);
  Diagnostics diags;
  l.ok = load_calendar_text(posts, "/cal/calendar.yaml", l.settings, l.calendar, diags);
  for (const auto& d : diags.sorted()) l.messages.push_back(format(d));
  return l;
}

TEST(MediaAlt, AnItemMayBeAFileOrAFileWithAltText) {
  const auto l = load_posts(R"(posts:
  - id: p
    at: 2027-03-02 10:00
    channels: [mastodon, bluesky]
    text: Fresh bread
    media: [{file: bread.jpg, alt: "A loaf on the counter"}, cake.jpg]
    bluesky: {media: [{file: cake.jpg, alt: "A cake"}]}
)");
  ASSERT_TRUE(l.ok) << (l.messages.empty() ? "" : l.messages.front());
  const Post& p = l.calendar.posts.front();
  EXPECT_EQ(p.media, (std::vector<std::string>{"bread.jpg", "cake.jpg"}));
  EXPECT_EQ(p.alt.at("bread.jpg"), "A loaf on the counter");
  EXPECT_EQ(p.alt.at("cake.jpg"), "A cake");
  EXPECT_EQ(*p.overrides.at("bluesky").media, std::vector<std::string>{"cake.jpg"});
}

TEST(MediaAlt, BadItemsAreErrorsAtTheirPlace) {
  const auto l = load_posts(R"(posts:
  - id: p
    at: 2027-03-02 10:00
    channels: [mastodon]
    text: Fresh bread
    media: [{alt: "no file"}, {file: a.jpg, caption: "x"}, {file: b.jpg, alt: one}, {file: b.jpg, alt: two}]
)");
  EXPECT_FALSE(l.ok);
  EXPECT_EQ(l.messages, (std::vector<std::string>{
                            "/cal/calendar.yaml:6:13: error: media item has no file (give {file: NAME, alt: TEXT})",
                            "/cal/calendar.yaml:6:45: error: unknown key 'caption' in media item (expected one of: "
                            "file, alt)",
                            "/cal/calendar.yaml:6:85: error: media: b.jpg has two different alt texts in this post",
                        }));
}

TEST(MastodonPostFields, VisibilityContentWarningAndLanguage) {
  const auto l = load_posts(R"(posts:
  - id: p
    at: 2027-03-02 10:00
    channels: [mastodon]
    text: Spoilers ahead
    mastodon: {visibility: unlisted, spoiler_text: "Film ending", language: nl}
)");
  ASSERT_TRUE(l.ok) << (l.messages.empty() ? "" : l.messages.front());
  const ChannelOverride& o = l.calendar.posts.front().overrides.at("mastodon");
  EXPECT_EQ(o.visibility, "unlisted");
  EXPECT_EQ(o.spoiler_text, "Film ending");
  EXPECT_EQ(o.language, "nl");
}

TEST(MastodonPostFields, WrongValuesAndFieldsOfOtherNetworksAreErrors) {
  const auto l = load_posts(R"(posts:
  - id: p
    at: 2027-03-02 10:00
    channels: [mastodon, x, bluesky]
    text: Hi
    mastodon: {visibility: friends, language: Dutch}
    x: {spoiler_text: "no"}
    bluesky: {visibility: public}
)");
  EXPECT_FALSE(l.ok);
  EXPECT_EQ(l.messages,
            (std::vector<std::string>{
                "/cal/calendar.yaml:6:28: error: mastodon.visibility must be public, unlisted, private or direct, "
                "not 'friends'",
                "/cal/calendar.yaml:6:47: error: mastodon.language must be an ISO 639 language code such as nl, en or "
                "pt-BR, not 'Dutch'",
                "/cal/calendar.yaml:7:9: error: 'spoiler_text' does not apply to an x channel",
                "/cal/calendar.yaml:8:15: error: 'visibility' does not apply to a bluesky channel",
            }));
}

TEST(OpenNetworkChannels, KeysAndDefaults) {
  const auto l = load_settings(R"(channels:
  m: {kind: mastodon, instance: "https://fosstodon.org", credentials: m, visibility: unlisted, language: en,
      max_characters: 1000}
  b: {kind: bluesky, handle: bakery.example.nl, pds: "https://pds.example.nl", credentials: b, card: fetch}
)");
  ASSERT_TRUE(l.ok) << (l.messages.empty() ? "" : l.messages.front());
  const ChannelSettings* m = l.settings.channel("m");
  EXPECT_EQ(m->instance, "https://fosstodon.org");
  EXPECT_EQ(m->visibility, "unlisted");
  EXPECT_EQ(m->language, "en");
  EXPECT_EQ(m->max_characters, 1000u);
  const ChannelSettings* b = l.settings.channel("b");
  EXPECT_EQ(b->handle, "bakery.example.nl");
  EXPECT_EQ(b->pds, "https://pds.example.nl");
  EXPECT_EQ(b->card, "fetch");
  const auto d = load_settings("channels:\n  b: {kind: bluesky, handle: a.bsky.social, credentials: b}\n");
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.settings.channel("b")->pds, "https://bsky.social");
  EXPECT_EQ(d.settings.channel("b")->card, "post");
}

struct BadKey {
  std::string channel;
  std::string expected;
};

class OpenNetworkChannelErrors : public ::testing::TestWithParam<BadKey> {};

TEST_P(OpenNetworkChannelErrors, SayWhereAndWhat) {
  const auto l = load_settings("channels:\n  c: " + GetParam().channel + "\n");
  EXPECT_FALSE(l.ok);
  ASSERT_EQ(l.messages.size(), 1u);
  EXPECT_EQ(l.messages.front(), "/cal/herald.yaml:4:" + GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    All, OpenNetworkChannelErrors,
    ::testing::Values(
        BadKey{"{kind: mastodon, credentials: m}", "3: error: channel 'c' (kind mastodon) needs 'instance'"},
        BadKey{"{kind: mastodon, instance: mastodon.social, credentials: m}",
               "33: error: channel 'c' instance must be an http(s) URL such as https://mastodon.social"},
        BadKey{"{kind: mastodon, instance: \"https://m.nl\", visibility: friends, credentials: m}",
               "61: error: channel 'c' visibility must be public, unlisted, private or direct, not 'friends'"},
        BadKey{"{kind: mastodon, instance: \"https://m.nl\", max_characters: 0, credentials: m}",
               "65: error: channel 'c' max_characters must be a whole number from 1 such as 500, not '0'"},
        BadKey{"{kind: bluesky, handle: \"@bakery.bsky.social\", credentials: b}",
               "30: error: channel 'c' handle must be a handle such as example.bsky.social (without '@'), not "
               "'@bakery.bsky.social'"},
        BadKey{"{kind: bluesky, handle: bakery, credentials: b}",
               "30: error: channel 'c' handle must be a handle such as example.bsky.social (without '@'), not "
               "'bakery'"},
        BadKey{"{kind: bluesky, handle: a.bsky.social, card: og, credentials: b}",
               "51: error: channel 'c' card must be post (the card from the post's title and excerpt) or fetch "
               "(from the page's og: tags), not 'og'"},
        BadKey{"{kind: bluesky, handle: a.bsky.social, language: english, credentials: b}",
               "55: error: channel 'c' language must be an ISO 639 language code such as nl, en or pt-BR, not "
               "'english'"}));

TEST(OpenNetworkChannels, LanguageAndHandleChecks) {
  for (auto good : {"nl", "en", "pt-BR", "zh-Hant", "gsw"}) EXPECT_TRUE(valid_language(good)) << good;
  for (auto bad : {"", "n", "english", "EN", "nl-", "nl_NL", "nl-B"}) EXPECT_FALSE(valid_language(bad)) << bad;
  for (auto good : {"a.bsky.social", "bakery.example.nl", "x-y.co"}) EXPECT_TRUE(valid_handle(good)) << good;
  for (auto bad : {"bakery", "@a.bsky.social", "a..b", "-a.nl", "a.1nl", "a b.nl"})
    EXPECT_FALSE(valid_handle(bad)) << bad;
}

}  // namespace
}  // namespace herald
