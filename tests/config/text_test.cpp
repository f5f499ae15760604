// The small text helpers every layer shares (config/text).
#include "config/text.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace herald
