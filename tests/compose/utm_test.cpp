#include "compose/utm.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

const std::vector<std::string> kOwn = {"example.nl", "blog.example.nl"};
const UtmTemplate kUtm{{{"source", "{channel}"}, {"medium", "social"}, {"campaign", "{campaign}"}, {"content", "{post}"}}};
const UtmContext kCtx{"x", "spring-2027", "spring-teaser"};
const std::string kTags = "utm_source=x&utm_medium=social&utm_campaign=spring-2027&utm_content=spring-teaser";

struct Case {
  const char* name;
  std::string in;
  std::string out;
};

class TagUrl : public ::testing::TestWithParam<Case> {};

TEST_P(TagUrl, Rewrites) {
  EXPECT_EQ(tag_url(GetParam().in, kUtm, kCtx, kOwn), GetParam().out);
  // Idempotent: rewriting twice equals rewriting once.
  EXPECT_EQ(tag_url(GetParam().out, kUtm, kCtx, kOwn), GetParam().out);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, TagUrl,
    ::testing::Values(
        Case{"own_domain", "https://example.nl/shop", "https://example.nl/shop?" + kTags},
        Case{"subdomain", "https://blog.example.nl/p/1", "https://blog.example.nl/p/1?" + kTags},
        Case{"deeper_subdomain", "https://www.shop.example.nl/", "https://www.shop.example.nl/?" + kTags},
        Case{"uppercase_host", "https://EXAMPLE.NL/a", "https://EXAMPLE.NL/a?" + kTags},
        Case{"not_own", "https://youtube.com/watch?v=abc", "https://youtube.com/watch?v=abc"},
        Case{"suffix_is_not_subdomain", "https://notexample.nl/", "https://notexample.nl/"},
        Case{"own_as_path_is_not_own", "https://evil.com/example.nl", "https://evil.com/example.nl"},
        Case{"keeps_fragment", "https://example.nl/a#section-2", "https://example.nl/a?" + kTags + "#section-2"},
        Case{"keeps_port", "https://example.nl:8443/a", "https://example.nl:8443/a?" + kTags},
        Case{"keeps_other_params_in_order", "https://example.nl/s?q=fiets&page=2",
             "https://example.nl/s?q=fiets&page=2&" + kTags},
        Case{"never_overwrites_existing_utm", "https://example.nl/?utm_source=newsletter&b=1",
             "https://example.nl/?utm_source=newsletter&b=1&utm_medium=social&utm_campaign=spring-2027&utm_content=spring-teaser"},
        Case{"all_present_unchanged", "https://example.nl/?" + kTags, "https://example.nl/?" + kTags},
        Case{"schemeless", "www.example.nl/fiets", "www.example.nl/fiets?" + kTags},
        Case{"schemeless_bare", "example.nl", "example.nl/?" + kTags},
        Case{"http", "http://example.nl", "http://example.nl/?" + kTags},
        Case{"query_without_path", "https://example.nl?a=1", "https://example.nl/?a=1&" + kTags},
        Case{"empty_query", "https://example.nl/?", "https://example.nl/?" + kTags},
        Case{"encoded_chars_kept", "https://example.nl/a%20b?x=%C3%A9", "https://example.nl/a%20b?x=%C3%A9&" + kTags},
        Case{"unparseable_unchanged", "https://exa mple.nl/", "https://exa mple.nl/"}),
    [](const auto& test_case) { return std::string(test_case.param.name); });

TEST(Utm, TemplateValuesAreFilledAndEncoded) {
  const UtmTemplate t{{{"source", "herald-{channel}"}, {"campaign", "{campaign} & more"}}};
  EXPECT_EQ(tag_url("https://example.nl/", t, {"fb", "lente 2027", "p"}, kOwn),
            "https://example.nl/?utm_source=herald-fb&utm_campaign=lente%202027%20%26%20more");
}

TEST(Utm, IsOwnHost) {
  EXPECT_TRUE(is_own_host("example.nl", kOwn));
  EXPECT_TRUE(is_own_host("example.nl.", kOwn));
  EXPECT_TRUE(is_own_host("a.b.example.nl", kOwn));
  EXPECT_FALSE(is_own_host("example.nl.evil.com", kOwn));
  EXPECT_FALSE(is_own_host("xexample.nl", kOwn));
  EXPECT_FALSE(is_own_host("", kOwn));
  EXPECT_FALSE(is_own_host("example.nl", {}));
}

TEST(Utm, TagLinksRewritesOnlyOwnLinksInText) {
  const std::string text = "Nieuw: https://example.nl/a, en https://youtube.com/x. Zie ook www.example.nl!";
  const std::string tagged = tag_links(text, kUtm, kCtx, kOwn);
  EXPECT_EQ(tagged, "Nieuw: https://example.nl/a?" + kTags + ", en https://youtube.com/x. Zie ook www.example.nl/?" +
                        kTags + "!");
  EXPECT_EQ(tag_links(tagged, kUtm, kCtx, kOwn), tagged);
  EXPECT_EQ(tag_links("no links here", kUtm, kCtx, kOwn), "no links here");
  EXPECT_EQ(tag_links("mail info@example.nl", kUtm, kCtx, kOwn), "mail info@example.nl");
}

TEST(Utm, FillValue) {
  EXPECT_EQ(fill_utm_value("{channel}-{post}-{campaign}-{other}", {"x", "c", "p"}), "x-p-c-{other}");
}

// Found by tests/fuzz (fuzz_utm): a path ending in "'" before a fragment was
// tagged into "/a'?utm_...#top", which a link finder ends at "/a", so the
// platform linked the untagged URL and tagging twice differed from once.
TEST(Utm, TagLinksLeavesALinkThatTaggingWouldCutShort) {
  const std::string text = "Lees https://example.nl/a'#top nu";
  EXPECT_EQ(tag_links(text, kUtm, kCtx, kOwn), text);
  const std::string fuzzed("https://example.nl/pagie.nl/pagi/fex'#\xfb\xff\xff" "aarp");
  EXPECT_EQ(tag_links(fuzzed, kUtm, kCtx, kOwn), fuzzed);
  // The same link without the quote is tagged as before.
  EXPECT_EQ(tag_links("Lees https://example.nl/a#top nu", kUtm, kCtx, kOwn),
            "Lees https://example.nl/a?" + kTags + "#top nu");
}

// Found by tests/fuzz (fuzz_utm): "/a?#!pa", a link with an empty query and
// a fragment, made Boost.URL 1.81's params().contains() read past the end of
// the URL (a crash now and then). The empty query is replaced by the tags.
TEST(Utm, AnEmptyQueryIsReplacedByTheTags) {
  EXPECT_EQ(tag_url("https://example.nl/a?#!pa", kUtm, kCtx, kOwn), "https://example.nl/a?" + kTags + "#!pa");
  EXPECT_EQ(tag_url("https://example.nl/a?", kUtm, kCtx, kOwn), "https://example.nl/a?" + kTags);
  EXPECT_EQ(tag_url("https://example.nl/?#", kUtm, kCtx, kOwn), "https://example.nl/?" + kTags + "#");
  const std::string text = "Zie https://example.nl/a?#top en meer";
  const std::string once = tag_links(text, kUtm, kCtx, kOwn);
  EXPECT_EQ(once, "Zie https://example.nl/a?" + kTags + "#top en meer");
  EXPECT_EQ(tag_links(once, kUtm, kCtx, kOwn), once);
  // A query that is there keeps its parameters, in order; a tag already
  // present (even percent-encoded) is not added twice.
  EXPECT_EQ(tag_url("https://example.nl/a?x=1&utm%5Fsource=nieuwsbrief#t", kUtm, kCtx, kOwn).find("utm_source"),
            std::string::npos);
}

// Found by tests/fuzz (fuzz_utm): "example.nl" followed by ",*'..." got a
// query, and the query's characters let the link run on into the text after
// it ("...utm_content=...,*'*A*l"), so the platform linked something else.
TEST(Utm, TagLinksLeavesALinkWhoseQueryWouldRunIntoTheText) {
  const std::string text = "Zie example.nl,*'*A*l, nu";
  EXPECT_EQ(tag_links(text, kUtm, kCtx, kOwn), text);
  // A comma and a space after it end the tagged link as they ended the link.
  EXPECT_EQ(tag_links("Zie example.nl, nu", kUtm, kCtx, kOwn), "Zie example.nl/?" + kTags + ", nu");
}

}  // namespace
}  // namespace herald
