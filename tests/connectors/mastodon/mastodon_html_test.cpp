// Reading a status's HTML content back as text (connectors/mastodon/
// mastodon_html), against the HTML shapes of docs.joinmastodon.org
// entities/Status ("content: HTML-encoded status content") and of the
// sandbox's rendering of Mastodon's TextFormatter.
#include "connectors/mastodon/mastodon_html.hpp"

#include "tests/sandbox/sandbox_mastodon.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald {
namespace {

// entities/Status example: "<p>Hello world</p>"; a link's three spans give
// the whole URL; <br /> a line break; paragraphs a blank line.
TEST(MastodonHtmlTest, PlainTextKeepsLinksLineBreaksAndParagraphs) {
  EXPECT_EQ(mastodon_plain_text("<p>Hello world</p>"), "Hello world");
  EXPECT_EQ(mastodon_plain_text("<p>one<br />two<br>three</p><p>four</p>"), "one\ntwo\nthree\n\nfour");
  EXPECT_EQ(mastodon_plain_text(
                "<p>See <a href=\"https://www.patreon.com/mastodon\" rel=\"nofollow noopener noreferrer\" "
                "target=\"_blank\"><span class=\"invisible\">https://www.</span><span class=\"\">patreon.com/"
                "mastodon</span><span class=\"invisible\"></span></a></p>"),
            "See https://www.patreon.com/mastodon");
}

// Character references: the five ERB escapes, numeric ones, &nbsp;; an
// ampersand that is no reference stays.
TEST(MastodonHtmlTest, CharacterReferencesAreDecoded) {
  EXPECT_EQ(mastodon_plain_text("<p>&lt;b&gt; &amp; &quot;q&quot; it&#39;s &#x1F600; &#233;&apos;</p>"),
            "<b> & \"q\" it's \xF0\x9F\x98\x80 \xC3\xA9'");
  EXPECT_EQ(mastodon_plain_text("<p>a &b; & c</p>"), "a &b; & c");
  EXPECT_EQ(mastodon_plain_text("<p>x&nbsp;y</p>"), "x\xC2\xA0y");
}

// The comparison form: whitespace as single spaces, trimmed; a remote
// mention as @user (an e-mail address is no mention).
TEST(MastodonHtmlTest, ComparableTextNormalizesSpaceAndRemoteMentions) {
  EXPECT_EQ(mastodon_comparable_text("  a\n\n b\tc  "), "a b c");
  EXPECT_EQ(mastodon_comparable_text("hi @anna@other.example and @bob."), "hi @anna and @bob.");
  EXPECT_EQ(mastodon_comparable_text("mail me@example.nl"), "mail me@example.nl");
  EXPECT_EQ(mastodon_comparable_text("x\xC2\xA0y"), "x y");
}

// Round trip: whatever the sandbox's TextFormatter rendering makes of a
// text, herald recognises the text in it, and not another.
TEST(MastodonHtmlTest, TheRenderedHtmlMatchesTheTextItCameFrom) {
  for (const std::string& text :
       {std::string("Plain words"),
        std::string("Line one\nline two\n\nNew paragraph"),
        std::string("A link https://www.example.nl/a/very/long/path/that/is/cut/off?utm_source=mastodon&x=1 here"),
        std::string("Tags #spring #2027 and @anna@other.example and @local"),
        std::string("Escapes <b>&</b> \"quotes\" it's > <"),
        std::string("Accents \xC3\xA9\xC3\xA8 and emoji \xF0\x9F\x8C\xB8 and CJK \xE6\x98\xA5")}) {
    const std::string html = mastodon_render_html(text, "mastodon.example");
    EXPECT_TRUE(mastodon_content_matches(html, text)) << text << "\n" << html;
    EXPECT_FALSE(mastodon_content_matches(html, text + "!")) << text;
  }
}

}  // namespace
}  // namespace herald
