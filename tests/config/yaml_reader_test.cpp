#include "config/yaml_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace herald {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

struct Fixture {
  Diagnostics diags;
  YamlReader reader{"f.yaml", diags};
  YamlNode root;
  explicit Fixture(const std::string& text) {
    auto doc = parse_yaml(text, "f.yaml", diags, 1 << 20);
    EXPECT_TRUE(doc.ok);
    root = doc.root;
  }
  std::string first() const { return diags.items().empty() ? "" : format(diags.items()[0]); }
};

TEST(YamlReader, EachEntryReportsUnknownAndDuplicateKeysButVisitsTheRest) {
  Fixture f("a: 1\nb: 2\nzz: 3\na: 4\n");
  std::vector<std::string> seen;
  EXPECT_TRUE(f.reader.each_entry(f.root, "thing", {"a", "b"}, nullptr,
                                  [&](const std::string& k, const YamlNode&, const YamlNode&) { seen.push_back(k); }));
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(f.diags.items().size(), 2u);
  EXPECT_EQ(format(f.diags.items()[0]), "f.yaml:3:1: error: unknown key 'zz' in thing (expected one of: a, b)");
  EXPECT_EQ(format(f.diags.items()[1]), "f.yaml:4:1: error: duplicate key 'a' in thing");
}

TEST(YamlReader, AllowOtherAcceptsExtraKeys) {
  Fixture f("x: 1\n");
  int n = 0;
  f.reader.each_entry(f.root, "thing", {}, [](const std::string& k) { return k == "x"; },
                      [&](const std::string&, const YamlNode&, const YamlNode&) { ++n; });
  EXPECT_EQ(n, 1);
  EXPECT_FALSE(f.diags.has_errors());
}

TEST(YamlReader, EachPathReadsDottedPathsAsNestedMappings) {
  Fixture f("a: 1\nb: {c: 2, d: {e: 3, f: 4}, g: 5}\nx: 6\nzz: 7\nb2: [1]\n");
  const std::vector<std::string_view> paths{"a", "b.c", "b.d.e", "x", "b2.y"};
  std::vector<std::pair<std::size_t, std::string>> seen;
  f.reader.each_path(
      f.root, "thing", paths, [](std::size_t i) { return i != 3; },
      [&](std::size_t i, const YamlNode& key, const YamlNode& value) {
        seen.emplace_back(i, key.scalar() + "=" + value.scalar());
      });
  EXPECT_EQ(seen, (std::vector<std::pair<std::size_t, std::string>>{{0, "a=1"}, {1, "c=2"}, {2, "e=3"}, {3, "x=6"}}));
  std::vector<std::string> messages;
  for (const auto& d : f.diags.items()) messages.push_back(format(d));
  // A mapping inside is named by its path; x is known but not listed.
  EXPECT_EQ(messages, (std::vector<std::string>{
                          "f.yaml:2:21: error: unknown key 'f' in b.d (expected one of: e)",
                          "f.yaml:2:28: error: unknown key 'g' in b (expected one of: c, d)",
                          "f.yaml:4:1: error: unknown key 'zz' in thing (expected one of: a, b, b2)",
                          "f.yaml:5:5: error: b2 must be a mapping of key: value, not a list",
                      }));
}

// Single-quoted scalars are read through a token iterator of our own (the
// fy_token_get_text leak, yaml_reader.cpp): escapes, folding, a key, and a
// value longer than the iterator's buffer all read as YAML says.
TEST(YamlReader, SingleQuotedScalarsReadAsYamlSays) {
  std::string many_escapes, expected;
  for (int i = 0; i < 40; ++i) many_escapes += "''", expected += "'";
  std::string long_text;
  for (int i = 0; i < 3000; ++i) long_text += "it''s ";
  std::string long_expected;
  for (int i = 0; i < 3000; ++i) long_expected += "it's ";
  Fixture f("a: '" + many_escapes + "'\n'" + many_escapes + "': key\nb: 'one\n  two\n\n  three  '\nc: '" +
            long_text + "'\nd: ''\n");
  ASSERT_TRUE(f.root.is_map()) << f.first();
  EXPECT_EQ(f.root["a"].scalar(), expected);
  EXPECT_EQ(f.root[expected].scalar(), "key") << "a single-quoted key";
  EXPECT_EQ(f.root["b"].scalar(), "one two\nthree  ") << "a line break folds to a space, an empty line to a newline";
  EXPECT_EQ(f.root["c"].scalar(), long_expected);
  EXPECT_TRUE(f.root["d"].is_scalar()) << "an empty quoted scalar is text, not null";
  EXPECT_EQ(f.root["d"].scalar(), "");
  EXPECT_EQ(f.root["a"].column(), 4) << "marked at its quote";
}

// Single-quoted scalars with blanks, line breaks (LF and CRLF), empty lines
// and runs of '', as an independent reader reads them: the expected values
// are PyYAML 6.0's (yaml.safe_load). Neither libfyaml 0.8's document API nor
// yaml-cpp 0.7 serves as the oracle here: both misread some of these.
TEST(YamlReader, SingleQuotedScalarsFoldAsPyYamlReadsThem) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"\t\n\n   \n  \r\n  a", "\n\n\na"},
      {"\tb c\n \n  ab cé", "\tb c\nab cé"},
      {"\n\n  \n \n   ''''", "\n\n\n''"},
      {"\n\n  ''\té\t\t''''", "\n'\té\t\t''"},
      {"\n\n  ''\n\n  \n  a", "\n'\n\na"},
      {"\n\n  é\r\n  é  aa", "\né é  aa"},
      {"\n \n  \r\n  a''''", "\n\na''"},
      {"\n \n  é\n\n  \n\n  ", "\né\n\n\n"},
      {" a''''\n \n  \n  ", " a''\n\n"},
      {"''''\r\n  \t\r\n  a", "''\na"},
      {"a\n\n  ''\n\n  b c", "a\n'\nb c"},
      {"b cb cb cé''''", "b cb cb cé''"},
      {"é\t''''\r\n  \n   ", "é\t''\n"},
      {"\n \n  ''''''''''", "\n'''''"},
  };
  for (const auto& [raw, expected] : cases) {
    Fixture f("k: '" + raw + "'\n");
    EXPECT_EQ(f.root["k"].scalar(), expected) << raw;
  }
}

TEST(YamlReader, NotAMapping) {
  Fixture f("[1, 2]\n");
  EXPECT_FALSE(f.reader.each_entry(f.root, "thing", {}, nullptr, [](auto&, auto&, auto&) {}));
  EXPECT_EQ(f.first(), "f.yaml:1:1: error: thing must be a mapping of key: value, not a list");
}

TEST(YamlReader, TypedValues) {
  Fixture f("s: hello\ne: ''\nb: true\nbb: yes\ni: 42\nn: 0.25\nd: 1h30m\nl: [a, b]\nm: {k: v}\n");
  auto& r = f.reader;
  EXPECT_EQ(r.string(f.root["s"], "s"), "hello");
  EXPECT_EQ(r.boolean(f.root["b"], "b"), true);
  EXPECT_EQ(r.integer(f.root["i"], "i", 0, 100), 42);
  EXPECT_DOUBLE_EQ(*r.number(f.root["n"], "n", 0, 1), 0.25);
  EXPECT_EQ(r.duration(f.root["d"], "d", 0s, 24h), 90min);
  EXPECT_EQ(r.string_list(f.root["l"], "l"), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(f.diags.has_errors());

  EXPECT_FALSE(r.text(f.root["e"], "e"));
  EXPECT_FALSE(r.boolean(f.root["bb"], "bb"));
  EXPECT_FALSE(r.integer(f.root["i"], "i", 0, 10));
  EXPECT_FALSE(r.integer(f.root["n"], "n", 0, 10));
  EXPECT_FALSE(r.duration(f.root["d"], "d", 0s, 1h));
  EXPECT_FALSE(r.string_list(f.root["s"], "s"));
  EXPECT_FALSE(r.string(f.root["m"], "m"));
  std::vector<std::string> got;
  for (const auto& d : f.diags.items()) got.push_back(format(d));
  EXPECT_EQ(got, (std::vector<std::string>{
                     "f.yaml:2:4: error: e must not be empty",
                     "f.yaml:4:5: error: bb must be true or false, not 'yes'",
                     "f.yaml:5:4: error: i must be between 0 and 10, not 42",
                     "f.yaml:6:4: error: n must be a whole number, not '0.25'",
                     "f.yaml:7:4: error: d must be between 0s and 1h, not 1h30m",
                     "f.yaml:1:4: error: s must be a list such as [a, b], not 'hello'",
                     "f.yaml:9:4: error: m must be a text, not a mapping",
                 }));
}

TEST(ParseYaml, SyntaxErrorsAndLimitsAreDiagnosticsNotExceptions) {
  Diagnostics d;
  EXPECT_FALSE(parse_yaml("a: [1, 2\n", "f.yaml", d, 100).ok);
  EXPECT_FALSE(parse_yaml(std::string(200, 'x'), "f.yaml", d, 100).ok);
  EXPECT_FALSE(parse_yaml("a: " + std::string(100000, '{'), "f.yaml", d, 1 << 20).ok);
  EXPECT_FALSE(parse_yaml("\t- tab\n  indented: wrong\n", "f.yaml", d, 100).ok);
  EXPECT_EQ(d.error_count(), 4);
}

// parse_yaml's verdict on a text: "ok", or its one diagnostic.
std::string verdict(const std::string& text) {
  Diagnostics d;
  const bool ok = parse_yaml(text, "f.yaml", d, 1 << 20).ok;
  std::string out = ok ? "ok" : "";
  for (const auto& item : d.items()) out += (out.empty() ? "" : " | ") + format(item);
  return out;
}

// The calendar of the bug report: yaml-cpp 0.7 alone read post a's text as
// running to the end of the file, so post b was never seen.
const std::string kUnclosedBeforeNextPost = R"(posts:
  - id: a
    at: 2027-03-02 10:00
    channels: [x]
    text: "hello
  - id: b
    at: 2027-03-02 11:00
    channels: [x]
    text: world
)";

TEST(ParseYaml, UnclosedQuoteBeforeTheNextPostIsAnErrorAtTheQuote) {
  EXPECT_EQ(verdict(kUnclosedBeforeNextPost),
            "f.yaml:5:11: error: the quoted text that starts here is not closed (a missing closing \"); line 6 is not "
            "indented enough to continue it");
}

TEST(ParseYaml, UnclosedQuoteAtTheEndOfTheFile) {
  EXPECT_EQ(verdict("a: 1\ntext: \"hello\n"),
            "f.yaml:2:7: error: the quoted text that starts here is not closed (a missing closing \")");
  EXPECT_EQ(verdict("a: 1\ntext: 'it''s\n"),
            "f.yaml:2:7: error: the quoted text that starts here is not closed (a missing closing ')");
  // Lines indented under it would continue the text, so the end of the file
  // is where it runs out.
  EXPECT_EQ(verdict("text: \"hello\n  world\n  and more\n"),
            "f.yaml:1:7: error: the quoted text that starts here is not closed (a missing closing \")");
}

TEST(ParseYaml, UnclosedQuoteInTheMiddleClosedByALaterOne) {
  // yaml-cpp alone complained at line 9 ("end of map not found").
  const std::string text = R"(posts:
  - id: a
    text: "hello
  - id: b
    text: "world"
)";
  EXPECT_EQ(verdict(text),
            "f.yaml:3:11: error: the quoted text that starts here is not closed (a missing closing \"); line 4 is not "
            "indented enough to continue it");
  const std::string single = "posts:\n  - id: a\n    text: 'hello\n  - id: b\n    text: 'world'\n";
  EXPECT_EQ(verdict(single),
            "f.yaml:3:11: error: the quoted text that starts here is not closed (a missing closing '); line 4 is not "
            "indented enough to continue it");
}

TEST(ParseYaml, UnclosedQuoteInAFlowMapping) {
  EXPECT_EQ(verdict("posts:\n  - {id: a, text: \"abc}\n"),
            "f.yaml:2:19: error: the quoted text that starts here is not closed (a missing closing \")");
  EXPECT_EQ(verdict("posts:\n  - {id: a, text: 'abc}\n  - {id: b, text: 'def'}\n"),
            "f.yaml:2:19: error: the quoted text that starts here is not closed (a missing closing '); line 3 is not "
            "indented enough to continue it");
}

TEST(ParseYaml, ColumnsCountBytesAsYamlCppMarksDo) {
  // libfyaml counts characters; every other diagnostic of herald counts bytes.
  EXPECT_EQ(verdict("caf\xC3\xA9: \"x\n"),
            "f.yaml:1:8: error: the quoted text that starts here is not closed (a missing closing \")");
  EXPECT_EQ(verdict("\xEF\xBB\xBF" "ab: \"x\n"),
            "f.yaml:1:5: error: the quoted text that starts here is not closed (a missing closing \")");
}

TEST(ParseYaml, QuotedTextOverSeveralIndentedLinesStillParses) {
  Fixture f("posts:\n  - id: a\n    text: \"hello\n      world\"\n    other: 'it''s\n      fine'\n");
  EXPECT_EQ(f.root["posts"][0]["text"].scalar(), "hello world");
  EXPECT_EQ(f.root["posts"][0]["other"].scalar(), "it's fine");
  EXPECT_FALSE(f.diags.has_errors());
}

TEST(ParseYaml, TheSyntaxCheckWritesNothingToStderr) {
  // libfyaml's default diagnostics print to stderr; herald's go to `diags` only.
  testing::internal::CaptureStderr();
  EXPECT_NE(verdict(kUnclosedBeforeNextPost), "ok");
  EXPECT_NE(verdict("a: [x,\ny]\n"), "ok");
  EXPECT_NE(verdict("%YAML 2.0\n---\na: 1\n"), "ok");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(ParseYaml, ValidYamlThatYamlCppAcceptedStillParses) {
  for (const char* text : {
           "a:\tb\nc: [1,\t2]\n",                 // tabs between tokens (not as indentation)
           "%YAML 1.2\n---\na: 1\n",              // directives, YAML 1.1 and 1.2
           "%YAML 1.1\n---\na: 1\n",
           "\xEF\xBB\xBF" "a: 1\n",               // a byte order mark
           "a: 1\r\nb: \"x\r\n  y\"\r\n",         // CRLF line ends
           "a: 1\na: 2\n",                        // a duplicate key: herald's reader reports it itself
           "a: &x 1\nb: *x\nc: !!str 2\n",        // anchors, aliases, tags
           "a: [x, y, ]\nb: {c: 1,\n  d: 2}\n",   // a trailing comma; a mapping over indented lines
           "a: \"x\n\n  y\"\n",                   // a blank line inside quotes
           "? a\n: 1\n",                          // an explicit key
           "a: x # comment\n...\n",               // a comment, the end of the document
           "",                                    // an empty file
       }) {
    EXPECT_EQ(verdict(text), "ok") << text;
  }
}

TEST(ParseYaml, InvalidYamlThatYamlCppLetThroughIsRefused) {
  // YAML requires the lines of a flow collection to be indented further than
  // its key; yaml-cpp did not check.
  EXPECT_EQ(verdict("posts:\n  - id: a\n    channels: [\n      x\n    ]\n"),
            "f.yaml:5:5: error: YAML syntax: wrongly indented sequence end in flow mode (the lines of a [list] or "
            "{mapping} written over several lines, its closing bracket too, must be indented further than its key)");
  // A comment needs a space before its '#'.
  EXPECT_EQ(verdict("text: \"hi\"#tag\n"),
            "f.yaml:1:11: error: YAML syntax: invalid comment without whitespace after double-quoted scalar");
}

TEST(ParseYaml, OnlyUtf8WithoutZeroBytesReachesTheSyntaxCheck) {
  // A Latin-1 file is not YAML (yaml-cpp took it, and its texts would have
  // reached the platforms garbled), not even in a comment.
  EXPECT_EQ(verdict("text: caf\xE9\n"), "f.yaml:1:10: error: invalid UTF-8 (save the file as UTF-8)");
  EXPECT_EQ(verdict("# caf\xE9\na: 1\n"), "f.yaml:1:6: error: invalid UTF-8 (save the file as UTF-8)");
  // A surrogate, an overlong '/', a character cut short.
  EXPECT_EQ(verdict("a: \"\xED\xA0\x80\"\n"), "f.yaml:1:5: error: invalid UTF-8 (save the file as UTF-8)");
  EXPECT_EQ(verdict("a: \xC0\xAF\n"), "f.yaml:1:4: error: invalid UTF-8 (save the file as UTF-8)");
  EXPECT_EQ(verdict("a: \xF0\x9F\x98\n"), "f.yaml:1:4: error: invalid UTF-8 (save the file as UTF-8)");
  EXPECT_EQ(verdict("a: \xF0\x9F\x98\x80 \xE2\x82\xAC \xC3\xA9\n"), "ok");
  // libfyaml 0.7.12 stops at a zero byte; yaml-cpp went on, so an unclosed
  // quote after one went unnoticed.
  EXPECT_EQ(verdict("# x\0\na: 1\nb: \"abc\nc: 2\n"s),
            "f.yaml:1:4: error: a zero byte, which YAML does not allow");
  // libfyaml 0.7.12 looped forever on this (found by fuzz_settings).
  EXPECT_EQ(verdict("%  own\xA1\x9B: x\na: 1\n"), "f.yaml:1:7: error: invalid UTF-8 (save the file as UTF-8)");
  // UTF-16 and UTF-32 are YAML: read as UTF-8.
  EXPECT_EQ(verdict("\xFF\xFE" "a\0:\0 \0" "1\0\n\0"s), "ok");
  Fixture utf16("\xFF\xFE" "a\0:\0 \0\xE9\0\n\0"s);
  EXPECT_EQ(utf16.root["a"].scalar(), "\xC3\xA9");
  Fixture utf32be("\0\0\0a\0\0\0:\0\0\0 \0\0\0b"s);
  EXPECT_EQ(utf32be.root["a"].scalar(), "b");
  EXPECT_EQ(verdict("\xFF\xFE" "a\0:\0 \0\x00\xD8\n\0"s), "f.yaml:1:1: error: the text is not valid UTF-16 or UTF-32 (save the file as UTF-8)");
}

TEST(ParseYaml, AStreamedListHandsOverEachItemAndKeepsNone) {
  const std::string text = "zone: here\nposts:\n  - {id: a}\n  - id: b\n    text: x\nafter: 1\nmore: [1]\n";
  std::vector<std::string> items;
  std::vector<bool> zone_known;
  const YamlStream stream{"posts", [&](const YamlNode& item, const YamlNode& root, std::string_view item_text) {
                            items.push_back(item["id"].scalar() + "@" + std::to_string(item.line()) + ":" +
                                            std::to_string(item.column()) + " '" + std::string(item_text) + "'");
                            zone_known.push_back(root["zone"].scalar() == "here" && !root["after"].defined());
                          }};
  Diagnostics d;
  const auto doc = parse_yaml(text, "f.yaml", d, 1 << 20, &stream);
  ASSERT_TRUE(doc.ok);
  EXPECT_EQ(items, (std::vector<std::string>{"a@3:5 '{id: a}'", "b@4:5 'id: b\n    text: x\n'"}));
  EXPECT_EQ(zone_known, (std::vector<bool>{true, true}));
  // The list itself is left empty; the rest of the document is whole.
  EXPECT_TRUE(doc.root["posts"].is_list());
  EXPECT_EQ(doc.root["posts"].size(), 0u);
  EXPECT_EQ(doc.root["after"].scalar(), "1");
  EXPECT_EQ(doc.root["more"].size(), 1u);
}

TEST(ParseYaml, OnlyTheFirstListUnderTheKeyIsStreamed) {
  // A second `posts:` is built as a tree, for the reader to report as a
  // duplicate key; a `posts:` deeper down is not the stream's.
  int streamed = 0;
  const YamlStream stream{"posts", [&](const YamlNode&, const YamlNode&, std::string_view) { ++streamed; }};
  Diagnostics d;
  const auto doc = parse_yaml("x: {posts: [1, 2]}\nposts: [a]\nposts: [b, c]\n", "f.yaml", d, 1 << 20, &stream);
  ASSERT_TRUE(doc.ok);
  EXPECT_EQ(streamed, 1);
  EXPECT_EQ(doc.root["x"]["posts"].size(), 2u);
  ASSERT_EQ(doc.root.entries().size(), 3u);
  EXPECT_EQ(doc.root.entries()[2].second.size(), 2u);
}

TEST(ParseYaml, NodesFollowYamlsCoreSchemaForNull) {
  Fixture f("a:\nb: ~\nc: null\nd: \"null\"\ne: ''\nf: !!str null\ng: &x [1]\nh: *x\n");
  EXPECT_TRUE(f.root["a"].is_null());
  EXPECT_TRUE(f.root["b"].is_null());
  EXPECT_TRUE(f.root["c"].is_null());
  EXPECT_TRUE(f.root["d"].is_scalar());
  EXPECT_TRUE(f.root["e"].is_scalar());
  EXPECT_TRUE(f.root["f"].is_scalar());
  EXPECT_FALSE(f.root["zz"].defined());
  EXPECT_EQ(f.root["h"].size(), 1u);
  EXPECT_EQ(f.root["h"].line(), 7);  // an alias is the anchored node
  Diagnostics d;
  EXPECT_FALSE(parse_yaml("a: *nowhere\n", "f.yaml", d, 1 << 20).ok);
  EXPECT_EQ(format(d.items().at(0)), "f.yaml:1:4: error: the alias *nowhere names no anchor defined before it (&nowhere)");
}

TEST(ParseYaml, DeepNestingIsACleanErrorAndWhatYamlCppAcceptedStillParses) {
  // At the 501st level; the mapping of `a:` is the first.
  EXPECT_EQ(verdict("a: " + std::string(100000, '[')), "f.yaml:1:503: error: nesting is too deep");
  std::string block = "a:\n";
  for (int i = 0; i < 100000; ++i) block += "- ";
  EXPECT_EQ(verdict(block + "x\n"), "f.yaml:2:999: error: nesting is too deep");
  // 400 levels were within yaml-cpp's own limit: still read.
  EXPECT_EQ(verdict("a: " + std::string(400, '[') + std::string(400, ']') + "\n"), "ok");
}

}  // namespace
}  // namespace herald
