#include "compose/tweet_length.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace herald {
namespace {

using namespace std::string_view_literals;

struct TweetGolden {
  const char* name;
  std::string_view text;
  std::string_view nfc;  ///< empty when `text` is already NFC
  std::vector<ByteSpan> urls;
  int weighted_length;
  bool valid;
  int permillage;
  std::size_t valid_range_end;
};

struct NfcGolden {
  const char* name;
  std::string_view bytes;
  std::string_view nfc;
};

void PrintTo(const TweetGolden& g, std::ostream* os) { *os << g.name; }
void PrintTo(const NfcGolden& g, std::ostream* os) { *os << g.name; }

// kTweetGolden and kNfcGolden: expected values from twitter-text 3.1.0 and
// from JavaScript's TextDecoder + normalize (see the generator script).
#include "tests/compose/tweet_length_golden.inc"

template <class Golden>
std::string golden_name(const ::testing::TestParamInfo<Golden>& info) {
  return info.param.name;
}

// ---- against twitter-text 3.1.0 ----

class TweetLengthGolden : public ::testing::TestWithParam<TweetGolden> {};

TEST_P(TweetLengthGolden, MatchesTwitterText) {
  const TweetGolden& g = GetParam();
  const std::string nfc = to_nfc(g.text);
  EXPECT_EQ(nfc, g.nfc.empty() ? g.text : g.nfc);
  const TweetLength r = parse_tweet(nfc, g.urls);
  EXPECT_EQ(r.weighted_length, g.weighted_length);
  EXPECT_EQ(r.valid, g.valid);
  EXPECT_EQ(r.permillage, g.permillage);
  EXPECT_EQ(r.valid_range_end, g.valid_range_end);
}

INSTANTIATE_TEST_SUITE_P(TwitterText, TweetLengthGolden, ::testing::ValuesIn(kTweetGolden),
                         golden_name<TweetGolden>);

class ToNfcGolden : public ::testing::TestWithParam<NfcGolden> {};

TEST_P(ToNfcGolden, MatchesTextDecoderThenNormalize) {
  const NfcGolden& g = GetParam();
  const std::string nfc = to_nfc(g.bytes);
  EXPECT_EQ(nfc, g.nfc);
  EXPECT_EQ(to_nfc(nfc), nfc);  // idempotent
}

INSTANTIATE_TEST_SUITE_P(JavaScript, ToNfcGolden, ::testing::ValuesIn(kNfcGolden), golden_name<NfcGolden>);

// ---- to_nfc ----

TEST(ToNfc, ComposesBaseAndCombiningMark) { EXPECT_EQ(to_nfc("e\xCC\x81"), "\xC3\xA9"); }

TEST(ToNfc, PassesNfcTextThroughUnchanged) {
  const std::string text = "Caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xED\x95\x9C \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD https://example.com/?a=1";
  EXPECT_EQ(to_nfc(text), text);
}

TEST(ToNfc, EmptyStaysEmpty) { EXPECT_EQ(to_nfc(""), ""); }

TEST(ToNfc, ReplacesInvalidBytesAndStillComposes) {
  // The stray 0xFF becomes U+FFFD; the following e + U+0301 still composes.
  EXPECT_EQ(to_nfc("\xFF" "e\xCC\x81"), "\xEF\xBF\xBD\xC3\xA9");
  EXPECT_EQ(to_nfc("ok\xF0\x9F\x98"), "ok\xEF\xBF\xBD");  // emoji cut off at the end
}

TEST(ToNfc, KeepsEmbeddedNul) { EXPECT_EQ(to_nfc("a\0b"sv), "a\0b"sv); }

// ---- parse_tweet: rules and edge cases ----

TweetLength parse(std::string_view text, const std::vector<ByteSpan>& urls = {}) {
  return parse_tweet(to_nfc(text), urls);
}

TEST(ParseTweet, EmptyTextIsInvalid) {
  const TweetLength r = parse("");
  EXPECT_EQ(r.weighted_length, 0);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.valid_range_end, 0u);
}

TEST(ParseTweet, WhitespaceOnlyIsValidAsInParseTweet) {
  // parseTweet only asks for a positive length; twitter-text's older
  // isInvalidTweet did not reject whitespace either.
  EXPECT_TRUE(parse(" ").valid);
  EXPECT_TRUE(parse("\n\n").valid);
}

TEST(ParseTweet, BidiControlsDoNotInvalidate) {
  // U+202A..U+202E only matter to twitter-text's URL extraction.
  const TweetLength r = parse("a\xE2\x80\xAE" "b");  // a U+202E b
  EXPECT_TRUE(r.valid);
  EXPECT_EQ(r.weighted_length, 4);
}

TEST(ParseTweet, InvalidCharacterEndsTheValidRange) {
  const TweetLength r = parse("ab\xEF\xBB\xBF" "cd");  // U+FEFF in the middle
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.weighted_length, 6);
  EXPECT_EQ(r.valid_range_end, 2u);
}

TEST(ParseTweet, ValidRangeEndNeverSplitsAnEmoji) {
  const std::string family = "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7";
  const TweetLength fits = parse(std::string(278, 'a') + family);
  EXPECT_TRUE(fits.valid);
  EXPECT_EQ(fits.weighted_length, 280);
  EXPECT_EQ(fits.valid_range_end, 278 + family.size());
  const TweetLength over = parse(std::string(279, 'a') + family);
  EXPECT_FALSE(over.valid);
  EXPECT_EQ(over.weighted_length, 281);
  EXPECT_EQ(over.valid_range_end, 279u);
}

TEST(ParseTweet, PermillageRoundsDown) {
  EXPECT_EQ(parse("a").permillage, 3);                       // 3.57
  EXPECT_EQ(parse(std::string(140, 'a')).permillage, 500);
  EXPECT_EQ(parse(std::string(281, 'a')).permillage, 1003);  // 1003.57
}

TEST(ParseTweet, InvalidUtf8DoesNotCrash) {
  // Not NFC input, but parse_tweet must cope: each ill-formed part weighs as U+FFFD.
  const TweetLength r = parse_tweet("\xFF\xFE" "ab\xE2\x82", {});
  EXPECT_EQ(r.weighted_length, 2 + 2 + 1 + 1 + 2);
  EXPECT_TRUE(r.valid);
  EXPECT_EQ(r.valid_range_end, 6u);
}

TEST(ParseTweet, AstralCharactersCountOnceNotPerSurrogate) {
  EXPECT_EQ(parse("\xF0\x9D\x90\x80").weighted_length, 2);   // U+1D400, not 4
  EXPECT_EQ(parse("\xF0\xA0\x80\x80").weighted_length, 2);   // U+20000
}

TEST(ParseTweet, WeightBoundaries) {
  EXPECT_EQ(parse("\xE1\x83\xBF").weighted_length, 1);  // U+10FF, last of 0..4351
  EXPECT_EQ(parse("\xE1\x84\x80").weighted_length, 2);  // U+1100
  EXPECT_EQ(parse("\xE2\x80\x8D").weighted_length, 1);  // U+200D, last of 8192..8205
  EXPECT_EQ(parse("\xE2\x80\x8E").weighted_length, 2);  // U+200E (LRM)
  EXPECT_EQ(parse("\xE2\x80\x90").weighted_length, 1);  // U+2010, first of 8208..8223
  EXPECT_EQ(parse("\xE2\x80\x9F").weighted_length, 1);  // U+201F
  EXPECT_EQ(parse("\xE2\x80\xA0").weighted_length, 2);  // U+2020
  EXPECT_EQ(parse("\xE2\x80\xB2").weighted_length, 1);  // U+2032, first of 8242..8247
  EXPECT_EQ(parse("\xE2\x80\xB7").weighted_length, 1);  // U+2037
  EXPECT_EQ(parse("\xE2\x80\xB8").weighted_length, 2);  // U+2038
}

// ---- URL spans ----

TEST(ParseTweetUrls, AUrlWeighsTwentyThreeWhateverItsLength) {
  const std::string short_url = "https://a.io";
  const std::string long_url = "https://example.com/" + std::string(300, 'x');
  EXPECT_EQ(parse(short_url, {{0, short_url.size()}}).weighted_length, 23);
  const TweetLength r = parse(long_url, {{0, long_url.size()}});
  EXPECT_EQ(r.weighted_length, 23);
  EXPECT_TRUE(r.valid);
  EXPECT_EQ(r.valid_range_end, long_url.size());
}

TEST(ParseTweetUrls, NonAsciiUrlWeighsTwentyThree) {
  const std::string text = "\xE8\xA9\xB3\xE7\xB4\xB0 https://example.jp/\xE3\x83\x91\xE3\x82\xB9";  // 詳細 https://example.jp/パス
  EXPECT_EQ(parse(text, {{7, text.size()}}).weighted_length, 2 + 2 + 1 + 23);
}

TEST(ParseTweetUrls, SpansThatDoNotFitTheTextAreIgnored) {
  const std::string text = "abc";
  EXPECT_EQ(parse(text, {{0, 4}}).weighted_length, 3);   // past the end
  EXPECT_EQ(parse(text, {{2, 2}}).weighted_length, 3);   // empty
  EXPECT_EQ(parse(text, {{2, 1}}).weighted_length, 3);   // reversed
}

TEST(ParseTweetUrls, SpanStartingInsideACharacterIsIgnored) {
  const std::string text = "\xE4\xB8\xAD" "abc";  // 中abc
  EXPECT_EQ(parse(text, {{1, 6}}).weighted_length, 5);
}

TEST(ParseTweetUrls, SpanEndingInsideACharacterTakesTheWholeCharacter) {
  const std::string text = "ab\xE4\xB8\xAD" "c";  // ab中c
  const TweetLength r = parse(text, {{0, 3}});
  EXPECT_EQ(r.weighted_length, 23 + 1);
  EXPECT_EQ(r.valid_range_end, text.size());
}

TEST(ParseTweetUrls, OfTwoSpansAtOneStartTheLastWins) {
  // As twitter-text's entity map, keyed by start index.
  const std::string text = "https://example.com/a b";
  EXPECT_EQ(parse(text, {{0, 21}, {0, 19}}).weighted_length, 23 + 2 + 2);  // "/a" and " b" counted
  EXPECT_EQ(parse(text, {{0, 19}, {0, 21}}).weighted_length, 23 + 2);
}

TEST(ParseTweetUrls, SpanInsideAnotherIsSwallowed) {
  const std::string text = "https://example.com/a";
  EXPECT_EQ(parse(text, {{0, text.size()}, {8, 19}}).weighted_length, 23);
}

TEST(ParseTweetUrls, UnsortedSpansWork) {
  const std::string text = "https://a.io https://b.io";
  EXPECT_EQ(parse(text, {{13, 25}, {0, 12}}).weighted_length, 23 + 1 + 23);
}

// ---- emoji ----

TEST(ParseTweetEmoji, KeycapNeedsTheCombiningKeycap) {
  EXPECT_EQ(parse("1\xEF\xB8\x8F\xE2\x83\xA3").weighted_length, 2);  // 1️⃣
  EXPECT_EQ(parse("1\xE2\x83\xA3").weighted_length, 2);              // 1⃣
  EXPECT_EQ(parse("1\xEF\xB8\x8F").weighted_length, 3);              // digit + stray VS16
  EXPECT_EQ(parse("12").weighted_length, 2);
}

TEST(ParseTweetEmoji, CopyrightIsTextUnlessVs16Follows) {
  EXPECT_EQ(parse("\xC2\xA9").weighted_length, 1);
  EXPECT_EQ(parse("\xC2\xA9\xEF\xB8\x8F").weighted_length, 2);
  EXPECT_EQ(parse("\xC2\xAE").weighted_length, 1);
  EXPECT_EQ(parse("\xC2\xAE\xEF\xB8\x8F").weighted_length, 2);
}

TEST(ParseTweetEmoji, OnlyRgiRegionPairsAreFlags) {
  EXPECT_EQ(parse("\xF0\x9F\x87\xB3\xF0\x9F\x87\xB1").weighted_length, 2);  // NL
  EXPECT_EQ(parse("\xF0\x9F\x87\xBA\xF0\x9F\x87\xB3").weighted_length, 2);  // UN
  EXPECT_EQ(parse("\xF0\x9F\x87\xBD\xF0\x9F\x87\xB0").weighted_length, 2);  // XK
  EXPECT_EQ(parse("\xF0\x9F\x87\xA6\xF0\x9F\x87\xA6").weighted_length, 4);  // AA
  EXPECT_EQ(parse("\xF0\x9F\x87\xBF\xF0\x9F\x87\xBF").weighted_length, 4);  // ZZ
}

TEST(ParseTweetEmoji, OnlyTheThreeRgiSubdivisionFlags) {
  const auto flag = [](std::string_view tag) {
    std::string s = "\xF0\x9F\x8F\xB4";  // U+1F3F4
    for (char c : tag) s += std::string("\xF3\xA0\x81") + static_cast<char>(0x80 + (c - 0x40));  // U+E0000 + c
    return s + "\xF3\xA0\x81\xBF";                                                           // U+E007F
  };
  EXPECT_EQ(parse(flag("gbeng")).weighted_length, 2);
  EXPECT_EQ(parse(flag("gbsct")).weighted_length, 2);
  EXPECT_EQ(parse(flag("gbwls")).weighted_length, 2);
  EXPECT_EQ(parse(flag("gbzzz")).weighted_length, 2 + 6 * 2);  // flag, five tags, cancel tag
}

TEST(ParseTweetEmoji, ZwjSequenceNeedsEveryPartInEmojiForm) {
  EXPECT_EQ(parse("\xF0\x9F\x8F\xB3\xEF\xB8\x8F\xE2\x80\x8D\xF0\x9F\x8C\x88").weighted_length, 2);  // 🏳️‍🌈
  EXPECT_EQ(parse("\xF0\x9F\x8F\xB3\xE2\x80\x8D\xF0\x9F\x8C\x88").weighted_length, 5);              // 🏳‍🌈
  // A joiner at the end belongs to no emoji.
  EXPECT_EQ(parse("\xF0\x9F\x98\x80\xE2\x80\x8D").weighted_length, 3);
}

TEST(ParseTweetEmoji, SkinToneOnlyBindsToAModifierBase) {
  EXPECT_EQ(parse("\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD").weighted_length, 2);  // 👍🏽
  EXPECT_EQ(parse("\xE2\x9D\xA4\xF0\x9F\x8F\xBD").weighted_length, 4);      // ❤ + 🏽
}

// Where herald deliberately differs from twitter-text 3.1.0. That release
// bundles twemoji-parser 11 (Emoji 11.0, 2018) and counts the parts of any
// newer ZWJ or skin-tone sequence; X itself counts e.g. 🧑‍🔧 as 2 while
// twitter-text 3.1.0 says 5 (twitter/twitter-text#369). herald treats every
// well-formed emoji sequence of Unicode 15 as one emoji.
TEST(ParseTweetEmoji, NewerEmojiSequencesCountOnceUnlikeTwitterText310) {
  struct Case {
    const char* what;
    std::string_view text;
    int twitter_text_310;
  };
  const Case cases[] = {
      {"fire heart, E13.1", "\xE2\x9D\xA4\xEF\xB8\x8F\xE2\x80\x8D\xF0\x9F\x94\xA5", 5},
      {"mechanic, E12.1", "\xF0\x9F\xA7\x91\xE2\x80\x8D\xF0\x9F\x94\xA7", 5},
      {"transgender flag, E13.0", "\xF0\x9F\x8F\xB3\xEF\xB8\x8F\xE2\x80\x8D\xE2\x9A\xA7\xEF\xB8\x8F", 7},
      {"black bird, E15.0", "\xF0\x9F\x90\xA6\xE2\x80\x8D\xE2\xAC\x9B", 5},
      {"heart hands + skin tone, E14.0", "\xF0\x9F\xAB\xB6\xF0\x9F\x8F\xBD", 4},
      {"pinched fingers + skin tone, E13.0", "\xF0\x9F\xA4\x8C\xF0\x9F\x8F\xBD", 4},
      {"handshake + skin tone, E14.0", "\xF0\x9F\xA4\x9D\xF0\x9F\x8F\xBD", 4},
      // twemoji-parser 11 lists the eye in speech bubble only without VS16s.
      {"eye in speech bubble, fully qualified", "\xF0\x9F\x91\x81\xEF\xB8\x8F\xE2\x80\x8D\xF0\x9F\x97\xA8\xEF\xB8\x8F", 5},
      // twemoji-parser 11 does not let U+267E (infinity) take a VS16.
      {"infinity with VS16", "\xE2\x99\xBE\xEF\xB8\x8F", 4},
      // Not RGI at all: two faces joined. Unicode calls it an emoji ZWJ sequence.
      {"grinning ZWJ grinning", "\xF0\x9F\x98\x80\xE2\x80\x8D\xF0\x9F\x98\x80", 5},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const TweetLength r = parse(c.text);
    EXPECT_EQ(r.weighted_length, 2);
    EXPECT_NE(r.weighted_length, c.twitter_text_310);
    EXPECT_EQ(r.valid_range_end, c.text.size());
  }
}

TEST(ParseTweetEmoji, EmojiNeverStraddleTheLimit) {
  std::string text;
  for (int i = 0; i < 140; ++i) text += "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD";  // 👍🏽, 8 bytes
  EXPECT_EQ(parse(text).weighted_length, 280);
  EXPECT_TRUE(parse(text).valid);
  text += "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD";
  const TweetLength r = parse(text);
  EXPECT_EQ(r.weighted_length, 282);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.valid_range_end, 140u * 8);
}

}  // namespace
}  // namespace herald
