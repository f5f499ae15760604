// Character references as platforms return them (a WordPress title, a
// Mastodon status, a page's og: tags): decoded when they are references,
// left as written when they are not.
#include "connectors/html_text.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(HtmlText, NumericAndNamedReferences) {
  EXPECT_EQ(decode_html_entities("Caf&#233; &#xE9; &amp; &lt;b&gt; &quot;q&quot; &apos;"), "Caf\u00E9 \u00E9 & <b> \"q\" '");
  EXPECT_EQ(decode_html_entities("a&nbsp;b &ndash; &mdash; &hellip; &lsquo;x&rsquo; &ldquo;y&rdquo;"),
            "a\u00A0b \u2013 \u2014 \u2026 \u2018x\u2019 \u201Cy\u201D");
  EXPECT_EQ(decode_html_entities("&#x1F6B2;"), "\U0001F6B2");
}

TEST(HtmlText, WhatIsNotAReferenceStaysAsWritten) {
  EXPECT_EQ(decode_html_entities("AT&T & co &unknown; &#xZZ; &#; &#0; &#xD800; &#x110000; &amp"),
            "AT&T & co &unknown; &#xZZ; &#; &#0; &#xD800; &#x110000; &amp");
}

}  // namespace
}  // namespace herald
