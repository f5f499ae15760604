// The og: tags of a page (ogp.me), read for a Bluesky link card
// (connectors/bluesky/open_graph).
#include "connectors/bluesky/open_graph.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(OpenGraph, ReadsTitleDescriptionAndImage) {
  const OpenGraph og = read_open_graph(R"(<!DOCTYPE html>
<html lang="nl"><head>
<meta charset="utf-8">
<title>Not the card's title</title>
<meta property="og:title" content="Tulpen &amp; meer &#8211; lente">
<META NAME='og:description' CONTENT='Alles over &quot;tulpen&quot; &#x1F337;'>
<meta content=/img/tulip.jpg property=og:image />
<meta property="og:title" content="A second title is ignored">
</head><body><meta property="og:image" content="/not-in-head.jpg"></body></html>)");
  EXPECT_EQ(og.title, "Tulpen & meer \xE2\x80\x93 lente");
  EXPECT_EQ(og.description, "Alles over \"tulpen\" \xF0\x9F\x8C\xB7");
  EXPECT_EQ(og.image, "/img/tulip.jpg");
}

TEST(OpenGraph, SkipsCommentsScriptsAndTheBody) {
  const OpenGraph og = read_open_graph(R"(<html><head>
<!-- <meta property="og:title" content="commented out"> -->
<script>var s = '<meta property="og:title" content="in a script">';</script>
<style>/* <meta property="og:description" content="in a style"> */</style>
<meta property="og:image:secure_url" content="https://cdn.example.nl/a.png">
</head>
<body><meta property="og:title" content="in the body"></body></html>)");
  EXPECT_EQ(og.title, "");
  EXPECT_EQ(og.description, "");
  EXPECT_EQ(og.image, "https://cdn.example.nl/a.png");
}

TEST(OpenGraph, NeverFailsOnWhatIsNotHtml) {
  EXPECT_EQ(read_open_graph("").title, "");
  EXPECT_EQ(read_open_graph("{\"json\": true}").title, "");
  EXPECT_EQ(read_open_graph("<meta property=\"og:title\" content=\"unterminated").title, "unterminated");
  EXPECT_EQ(read_open_graph("<meta property=\"og:title\" content=\"a &bogus; &#xZZ; & b\">").title, "a &bogus; &#xZZ; & b");
}

}  // namespace
}  // namespace herald
