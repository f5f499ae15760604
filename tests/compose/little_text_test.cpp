// LinkedIn's little text format (learn.microsoft.com, LinkedIn Marketing,
// Community Management, Shares, "little text format"): every reserved
// character is escaped so that what a reader sees is what the editor wrote.
#include "compose/little_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald {
namespace {

constexpr std::string_view kReserved = "\\|{}@[]()<>#*_~";

TEST(LittleText, EscapesEveryReservedCharacterSoItArrivesAsWritten) {
  for (char c : kReserved) {
    for (const std::string& written : {std::string(1, c), "before " + std::string(1, c) + " after",
                                      "a" + std::string(1, c) + "b", std::string(3, c) + " end"}) {
      const std::string sent = escape_little_text(written);
      EXPECT_NE(sent, written) << "'" << c << "' must be escaped";
      const auto seen = render_little_text(sent);
      EXPECT_TRUE(seen.complete) << written;
      EXPECT_EQ(seen.text, written) << "reserved '" << c << "'";
    }
  }
}

TEST(LittleText, AnUnescapedReservedCharacterCutsTheTextOff) {
  // What happens without escaping: LinkedIn shows the text up to there.
  const auto seen = render_little_text("Open (almost) every day");
  EXPECT_FALSE(seen.complete);
  EXPECT_EQ(seen.text, "Open ");
}

TEST(LittleText, HashtagsStayHashtagsAndShowTheSameText) {
  const std::string written = "Spring at the bakery #bakkerij #Lente2027 #café";
  const std::string sent = escape_little_text(written);
  EXPECT_EQ(sent, written) << "a hashtag is an element LinkedIn makes clickable";
  EXPECT_EQ(render_little_text(sent).text, written);
  // A # that does not start a hashtag is text.
  EXPECT_EQ(escape_little_text("order #5, room#2, # alone"), "order #5, room\\#2, \\# alone");
  EXPECT_EQ(render_little_text(escape_little_text("room#2 and C# and # alone")).text, "room#2 and C# and # alone");
}

TEST(LittleText, LinksAreLeftIntactSoTheyStillWork) {
  const std::string written =
      "Read it (today): https://example.nl/a_b?utm_source=linkedin&utm_medium=social_media and ~enjoy~";
  const std::string sent = escape_little_text(written);
  EXPECT_NE(sent.find("https://example.nl/a_b?utm_source=linkedin&utm_medium=social_media"), std::string::npos)
      << sent;
  EXPECT_EQ(sent.find("\\_"), sent.find("\\_")) << sent;
  const auto seen = render_little_text(sent);
  EXPECT_TRUE(seen.complete);
  EXPECT_EQ(seen.text, written);
}

TEST(LittleText, MentionsRenderAsTheirName) {
  EXPECT_EQ(render_little_text("Thanks @[Bakkerij Jansen](urn:li:organization:2414183)!").text,
            "Thanks Bakkerij Jansen!");
}

TEST(LittleText, PlainTextAndUnicodePassUnchanged) {
  const std::string written = "Verse broodjes, 08:00–18:00. Tot ziens! 🍞 “quotes” & 'apostrophes' / slashes";
  EXPECT_EQ(escape_little_text(written), written);
  EXPECT_EQ(render_little_text(written).text, written);
}

}  // namespace
}  // namespace herald
