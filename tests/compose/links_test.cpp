#include "compose/links.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace herald {
namespace {

using namespace std::string_view_literals;

std::vector<std::string_view> texts_of(std::string_view text) {
  std::vector<std::string_view> out;
  for (const Link& link : extract_links(text)) out.push_back(link_text(text, link));
  return out;
}

// --- The golden table: what twitter-text 3.1.0 itself extracts --------------

struct GoldenCase {
  std::string_view text;
  std::vector<std::string_view> links;
};

const GoldenCase kGolden[] = {
#include "links_golden.inc"
};

class LinksGolden : public testing::TestWithParam<GoldenCase> {};

TEST_P(LinksGolden, FindsWhatTwitterTextFinds) {
  const GoldenCase& c = GetParam();
  EXPECT_EQ(texts_of(c.text), c.links) << "text: " << c.text;
}

INSTANTIATE_TEST_SUITE_P(TwitterText310, LinksGolden, testing::ValuesIn(kGolden),
                         [](const testing::TestParamInfo<GoldenCase>& param) {
                           return "case" + std::to_string(param.index);
                         });

TEST(LinksGoldenTable, CoversTheCasesWeRelyOn) {
  // Guards against regenerating the table from an empty or truncated list.
  EXPECT_GE(std::size(kGolden), 120u);
}

// --- Offsets and flags ------------------------------------------------------

TEST(ExtractLinks, ReportsByteOffsetsIntoTheUtf8Text) {
  const std::string_view text = "Zie 日本 https://example.nl/x en www.voorbeeld.nl.";
  const auto links = extract_links(text);
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].begin, text.find("https://"));
  EXPECT_EQ(links[0].end, text.find(" en"));
  EXPECT_TRUE(links[0].has_scheme);
  EXPECT_EQ(links[1].begin, text.find("www."));
  EXPECT_EQ(links[1].end, text.size() - 1);
  EXPECT_FALSE(links[1].has_scheme);
}

TEST(ExtractLinks, SchemeFlagFollowsTheText) {
  const auto links = extract_links("HTTP://A.NL b.nl https://c.nl");
  ASSERT_EQ(links.size(), 3u);
  EXPECT_TRUE(links[0].has_scheme);
  EXPECT_FALSE(links[1].has_scheme);
  EXPECT_TRUE(links[2].has_scheme);
}

TEST(ExtractLinks, LinksAreInTextOrderAndDoNotOverlap) {
  const std::string_view text =
      "a.nl https://b.nl/x(y) (c.nl) \"www.d.nl\" https://e.nl:1/f?g=h#i 日本f.nl";
  const auto links = extract_links(text);
  ASSERT_EQ(links.size(), 6u);
  for (std::size_t i = 0; i < links.size(); ++i) {
    EXPECT_LT(links[i].begin, links[i].end);
    EXPECT_LE(links[i].end, text.size());
    if (i > 0) {
      EXPECT_LE(links[i - 1].end, links[i].begin);
    }
  }
}

TEST(ExtractLinks, NothingInTextsWithoutLinks) {
  EXPECT_TRUE(extract_links("").empty());
  EXPECT_TRUE(extract_links("geen link hier").empty());
  EXPECT_TRUE(extract_links("...").empty());
  EXPECT_TRUE(extract_links("https://").empty());
  EXPECT_TRUE(extract_links("Bel 06-12345678 of mail info@example.nl").empty());
}

TEST(LinkText, ReturnsTheSpanAndRejectsSpansOutsideTheText) {
  EXPECT_EQ(link_text("abc https://x.nl", Link{4, 16, true}), "https://x.nl");
  EXPECT_EQ(link_text("abc", Link{2, 9, false}), "");
  EXPECT_EQ(link_text("abc", Link{3, 2, false}), "");
}

// --- Behaviour the golden table shows, spelled out ---------------------------

TEST(ExtractLinks, ProtocolLessLinksNeedANonAlphanumericCharacterBefore) {
  EXPECT_EQ(texts_of("zie example.nl"), (std::vector{"example.nl"sv}));
  EXPECT_EQ(texts_of("(example.nl)"), (std::vector{"example.nl"sv}));
  EXPECT_TRUE(texts_of("info@example.nl").empty());
  EXPECT_TRUE(texts_of("x#example.nl").empty());
  EXPECT_TRUE(texts_of("$example.nl").empty());
  // After - _ . / a protocol-less match is the tail of something else.
  EXPECT_TRUE(texts_of("ftp://x.nl").empty());
  EXPECT_TRUE(texts_of("info@mail.example.nl").empty());
}

TEST(ExtractLinks, ProtocolLessLinkKeepsPortAndQueryOnlyWithAPath) {
  EXPECT_EQ(texts_of("example.nl:8080/x?y=1"), (std::vector{"example.nl:8080/x?y=1"sv}));
  EXPECT_EQ(texts_of("example.nl:8080"), (std::vector{"example.nl"sv}));
  EXPECT_EQ(texts_of("example.nl?y=1"), (std::vector{"example.nl"sv}));
  EXPECT_EQ(texts_of("https://example.nl?y=1"), (std::vector{"https://example.nl?y=1"sv}));
}

TEST(ExtractLinks, TcoLinksEndAfterTheirSlug) {
  EXPECT_EQ(texts_of("https://t.co/AbC9-x"), (std::vector{"https://t.co/AbC9"sv}));
  EXPECT_EQ(texts_of("http://T.CO/a/b"), (std::vector{"http://T.CO/a"sv}));
  EXPECT_TRUE(texts_of("https://t.co/" + std::string(41, 'z')).empty());
}

TEST(ExtractLinks, RefusesHostLabelsLongerThan63Characters) {
  const std::string ok(63, 'a');
  const std::string too_long(64, 'a');
  EXPECT_EQ(texts_of("https://" + ok + ".nl").size(), 1u);
  EXPECT_TRUE(texts_of("https://" + too_long + ".nl").empty());
  // Unicode labels count in their punycode form: "xn--" + 59 characters for
  // 57 × "ü", 64 for 58 of them.
  const auto umlauts = [](int count) {
    std::string label;
    for (int i = 0; i < count; ++i) label += "ü";
    return label;
  };
  EXPECT_EQ(texts_of("https://" + umlauts(57) + ".de").size(), 1u);
  EXPECT_TRUE(texts_of("https://" + umlauts(58) + ".de").empty());
}

TEST(ExtractLinks, RefusesUrlsLongerThan4096Characters) {
  // twitter-text counts the URL's UTF-16 units plus its scheme once more
  // (8, as for "https://", when it has none): 4088 is the most either way.
  const std::string head = "https://example.nl/";
  EXPECT_EQ(texts_of(head + std::string(4088 - head.size(), 'p')).size(), 1u);
  EXPECT_TRUE(texts_of(head + std::string(4089 - head.size(), 'p')).empty());
  const std::string bare = "example.nl/";
  EXPECT_EQ(texts_of(bare + std::string(4088 - bare.size(), 'p')).size(), 1u);
  EXPECT_TRUE(texts_of(bare + std::string(4089 - bare.size(), 'p')).empty());
}

TEST(ExtractLinks, InvalidUtf8BytesReadAsReplacementCharacters) {
  const std::string text = "\xff https://example.nl/a \xc3 b.nl \xe2\x82";
  EXPECT_EQ(texts_of(text), (std::vector{"https://example.nl/a"sv, "b.nl"sv}));
  // U+FFFD is a letter to the host rules, as in any other Unicode host.
  EXPECT_EQ(texts_of("https://a\xff.nl"), (std::vector{"https://a\xff.nl"sv}));
}

// --- Where we differ from twitter-text on purpose: the TLD list --------------

TEST(ExtractLinks, FollowsThePublicSuffixListWhereTwitterTextsListDiffers) {
  // New TLDs twitter-text 3.1.0 does not know.
  EXPECT_EQ(texts_of("Deals op example.amazon/deals"), (std::vector{"example.amazon/deals"sv}));
  EXPECT_EQ(texts_of("kids.kids"), (std::vector{"kids.kids"sv}));
  // Retired TLDs twitter-text still has (.an, Netherlands Antilles, until 2015).
  EXPECT_TRUE(texts_of("Oud: example.an/x").empty());
  // With a scheme the host still needs a known TLD.
  EXPECT_TRUE(texts_of("https://example.an/x").empty());
}

TEST(IsKnownTld, MatchesTheTableCaseInsensitively) {
  EXPECT_TRUE(is_known_tld("nl"));
  EXPECT_TRUE(is_known_tld("NL"));
  EXPECT_TRUE(is_known_tld("com"));
  EXPECT_TRUE(is_known_tld("рф"));
  EXPECT_TRUE(is_known_tld("РФ"));
  EXPECT_TRUE(is_known_tld("xn--p1ai"));
  EXPECT_TRUE(is_known_tld("ΕΛ"));
  EXPECT_TRUE(is_known_tld("VERMÖGENSBERATUNG"));
  EXPECT_TRUE(is_known_tld("香港"));
  EXPECT_FALSE(is_known_tld(""));
  EXPECT_FALSE(is_known_tld("example"));
  EXPECT_FALSE(is_known_tld("nl."));
  EXPECT_FALSE(is_known_tld("\xe2\x84\xaa" "z"));  // Kelvin sign + z is not "kz"
}

TEST(ExtractLinks, UpperCaseUnicodeTldsMatchLikeJavaScriptsCaseFolding) {
  EXPECT_EQ(texts_of("https://пример.РФ/x"), (std::vector{"https://пример.РФ/x"sv}));
  EXPECT_EQ(texts_of("https://example.ΕΛ"), (std::vector{"https://example.ΕΛ"sv}));
}

// --- Large inputs: linear time, no recursion ----------------------------------

constexpr std::size_t kMegabyte = 1 << 20;

std::string repeat_to_megabyte(std::string_view unit) {
  std::string out;
  out.reserve(kMegabyte + unit.size());
  while (out.size() < kMegabyte) out += unit;
  return out;
}

TEST(ExtractLinksLarge, OneMegabyteOfPostsFinishes) {
  const std::string unit = "Kijk op https://example.nl/pagina?x=1 en www.voorbeeld.nl. ";
  const std::string text = repeat_to_megabyte(unit);
  const auto links = extract_links(text);
  EXPECT_EQ(links.size(), 2 * (text.size() / unit.size()));
}

TEST(ExtractLinksLarge, PathologicalMegabytesFinish) {
  // Each of these would make a naive scanner (or a backtracking regex) try
  // every start position against the whole rest of the text.
  const std::string_view units[] = {
      "a.", "a.b", "日本語", "😀.", "https://", "(", "((a)", "a_", "a-", "..", "xn--a.",
      "@a.nl", "t.co/", "?", "/(",
  };
  for (const std::string_view unit : units) {
    const std::string text = repeat_to_megabyte(unit);
    const auto links = extract_links(text);
    for (const Link& link : links) ASSERT_LE(link.end, text.size()) << unit;
  }
  // One huge host, path or query: found, then refused as too long.
  EXPECT_TRUE(extract_links(repeat_to_megabyte("a.") + "com").empty());
  EXPECT_TRUE(extract_links("https://x.nl/" + repeat_to_megabyte("p")).empty());
  EXPECT_TRUE(extract_links("https://x.nl/?" + repeat_to_megabyte("q")).empty());
  EXPECT_EQ(extract_links("https://x.nl/" + repeat_to_megabyte("(")).size(), 1u);
}

TEST(ExtractLinksLarge, ManyShortLinks) {
  const std::string text = repeat_to_megabyte("x.nl ");
  EXPECT_EQ(extract_links(text).size(), text.size() / 5);
}

}  // namespace
}  // namespace herald
