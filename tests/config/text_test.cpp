// The small text helpers every layer shares (config/text).
#include "config/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace herald {
namespace {

using Pieces = std::vector<std::string_view>;

TEST(Text, AsciiLowerChangesOnlyAsciiLetters) {
  EXPECT_EQ(ascii_lower("Content-Type: IMAGE/JPEG"), "content-type: image/jpeg");
  EXPECT_EQ(ascii_lower("\u00C9T\u00C9"), "\u00C9t\u00C9");  // UTF-8 bytes untouched
  EXPECT_EQ(ascii_lower(""), "");
}

TEST(Text, TrimDropsAsciiWhitespaceAtBothEnds) {
  EXPECT_EQ(trim(" \t\r\n\v\fword two \n"), "word two");
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(trim("\u00A0x\u00A0"), "\u00A0x\u00A0");  // a no-break space is not ASCII whitespace
}

TEST(Text, SplitKeepsEveryPieceInOrder) {
  EXPECT_EQ(split("mo,tu,we", ','), (Pieces{"mo", "tu", "we"}));
  EXPECT_EQ(split("one", ','), (Pieces{"one"}));
  EXPECT_EQ(split("a;b", ','), (Pieces{"a;b"}));
}

TEST(Text, SplitKeepsEmptyPiecesForTheCallerToJudge) {
  EXPECT_EQ(split("", ','), (Pieces{""}));
  EXPECT_EQ(split(",", ','), (Pieces{"", ""}));
  EXPECT_EQ(split("a,,b,", ','), (Pieces{"a", "", "b", ""}));
  EXPECT_EQ(split(",a", ','), (Pieces{"", "a"}));
}

TEST(Text, SplitPiecesPointIntoTheText) {
  const std::string_view text = "key=1&other=2";
  const Pieces pieces = split(text, '&');
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0].data(), text.data());
  EXPECT_EQ(pieces[1].data(), text.data() + 6);
}

TEST(Text, AppendUtf8ReplacesWhatIsNotAScalarValue) {
  std::string out;
  append_utf8(out, 0x41);
  append_utf8(out, 0xD800);
  append_utf8(out, 0x110000);
  append_utf8(out, 0x1F6B2);
  EXPECT_EQ(out, "A\uFFFD\uFFFD\U0001F6B2");
}

TEST(Text, EncodeUtf8WritesOneToFourBytes) {
  char bytes[4];
  const auto encoded = [&](char32_t c) { return std::string(bytes, encode_utf8(c, bytes)); };
  EXPECT_EQ(encoded(0x00), std::string(1, '\0'));  // U+0000 is a scalar value
  EXPECT_EQ(encoded(0x7F), "\x7F");
  EXPECT_EQ(encoded(0x80), "\xC2\x80");
  EXPECT_EQ(encoded(0x7FF), "\xDF\xBF");
  EXPECT_EQ(encoded(0x800), "\xE0\xA0\x80");
  EXPECT_EQ(encoded(0xD7FF), "\xED\x9F\xBF");
  EXPECT_EQ(encoded(0xDFFF), "\xEF\xBF\xBD");  // the last surrogate: U+FFFD
  EXPECT_EQ(encoded(0xE000), "\xEE\x80\x80");
  EXPECT_EQ(encoded(0xFFFF), "\xEF\xBF\xBF");
  EXPECT_EQ(encoded(0x10000), "\xF0\x90\x80\x80");
  EXPECT_EQ(encoded(0x10FFFF), "\xF4\x8F\xBF\xBF");
}

}  // namespace
}  // namespace herald
