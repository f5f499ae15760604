#include "compose/word_diff.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald {
namespace {

using Op = WordEdit::Op;

std::string side(const std::vector<WordEdit>& edits, Op skip) {
  std::string out;
  for (const auto& e : edits)
    if (e.op != skip) out += e.text;
  return out;
}

TEST(WordDiff, EqualTextsAreOneUnchangedRun) {
  EXPECT_EQ(word_diff("a b  c", "a b  c"), (std::vector<WordEdit>{{Op::same, "a b  c"}}));
  EXPECT_TRUE(word_diff("", "").empty());
}

TEST(WordDiff, OneWordReplaced) {
  EXPECT_EQ(word_diff("Our new video is out", "Our newest video is out"),
            (std::vector<WordEdit>{{Op::same, "Our "}, {Op::removed, "new"}, {Op::added, "newest"},
                                   {Op::same, " video is out"}}));
}

TEST(WordDiff, WhitespaceBetweenChangedWordsJoinsTheChange) {
  EXPECT_EQ(word_diff("x a b y", "x c d y"),
            (std::vector<WordEdit>{{Op::same, "x "}, {Op::removed, "a b"}, {Op::added, "c d"}, {Op::same, " y"}}));
}

TEST(WordDiff, InsertionsAndDeletionsAtTheEnds) {
  EXPECT_EQ(word_diff("b c", "a b c d"),
            (std::vector<WordEdit>{{Op::added, "a "}, {Op::same, "b c"}, {Op::added, " d"}}));
  EXPECT_EQ(word_diff("a b c", ""), (std::vector<WordEdit>{{Op::removed, "a b c"}}));
  EXPECT_EQ(word_diff("", "new"), (std::vector<WordEdit>{{Op::added, "new"}}));
}

TEST(WordDiff, LineBreaksAreWhitespaceToo) {
  auto d = word_diff("Title\n\nfirst line", "Title\n\nsecond line");
  EXPECT_EQ(d, (std::vector<WordEdit>{{Op::same, "Title\n\n"}, {Op::removed, "first"}, {Op::added, "second"},
                                      {Op::same, " line"}}));
}

TEST(WordDiff, EachSideJoinsBackToItsText) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"the quick brown fox jumps over the lazy dog", "a quick red fox jumped over lazy dogs"},
      {"  leading and trailing  ", "leading, and trailing"},
      {"Über café ☕ naïve", "Über cafe ☕ naïve résumé"},
      {"one\ntwo\nthree", "one\nthree\ntwo"},
  };
  for (const auto& [a, b] : cases) {
    auto d = word_diff(a, b);
    EXPECT_EQ(side(d, Op::added), a) << a << " -> " << b;
    EXPECT_EQ(side(d, Op::removed), b) << a << " -> " << b;
    for (std::size_t i = 1; i < d.size(); ++i) {
      EXPECT_NE(d[i].op, d[i - 1].op) << "runs of one kind are merged";
      EXPECT_FALSE(d[i].op == Op::removed && d[i - 1].op == Op::added) << "removed comes before added";
    }
  }
}

TEST(WordDiff, LongTextsStillDiffByWords) {
  std::string a, b;
  for (int i = 0; i < 3000; ++i) {
    a += "w" + std::to_string(i) + " ";
    b += (i == 1500 ? "changed" : "w" + std::to_string(i)) + " ";
  }
  auto d = word_diff(a, b);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[1], (WordEdit{Op::removed, "w1500"}));
  EXPECT_EQ(d[2], (WordEdit{Op::added, "changed"}));
}

TEST(WordDiff, TwoLongUnrelatedTextsAreRemovedThenAdded) {
  // Past 4 million cells the table is not built: the middle is replaced whole.
  std::string a, b;
  for (int i = 0; i < 1100; ++i) {
    a += "a" + std::to_string(i) + " ";
    b += "b" + std::to_string(i) + " ";
  }
  a = "same " + a + "end";
  b = "same " + b + "end";
  auto d = word_diff(a, b);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0], (WordEdit{Op::same, "same "}));
  EXPECT_EQ(d[1].op, Op::removed);
  EXPECT_EQ(d[2].op, Op::added);
  EXPECT_EQ(d[3], (WordEdit{Op::same, " end"}));
  EXPECT_EQ(side(d, Op::added), a);
  EXPECT_EQ(side(d, Op::removed), b);
}

TEST(WordDiff, AbbreviateKeepsContextAroundChanges) {
  auto d = word_diff("one two three four five six seven eight nine ten", "one two three four five SIX seven eight nine ten");
  EXPECT_EQ(abbreviate(d, 2), (std::vector<WordEdit>{{Op::same, "… four five "}, {Op::removed, "six"}, {Op::added, "SIX"},
                                                     {Op::same, " seven eight …"}}));
  // Short unchanged runs stay whole.
  EXPECT_EQ(abbreviate(d, 5), d);
  // Between two changes both sides keep their context.
  auto two = word_diff("a b c d e f g h i j", "A b c d e f g h i J");
  EXPECT_EQ(abbreviate(two, 1), (std::vector<WordEdit>{{Op::removed, "a"}, {Op::added, "A"}, {Op::same, " b … i "},
                                                       {Op::removed, "j"}, {Op::added, "J"}}));
}

}  // namespace
}  // namespace herald
