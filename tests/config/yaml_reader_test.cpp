#include "config/yaml_reader.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

using namespace std::chrono_literals;

struct Fixture {
  Diagnostics diags;
  YamlReader reader{"f.yaml", diags};
  YAML::Node root;
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
                                  [&](const std::string& k, const YAML::Node&, const YAML::Node&) { seen.push_back(k); }));
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(f.diags.items().size(), 2u);
  EXPECT_EQ(format(f.diags.items()[0]), "f.yaml:3:1: error: unknown key 'zz' in thing (expected one of: a, b)");
  EXPECT_EQ(format(f.diags.items()[1]), "f.yaml:4:1: error: duplicate key 'a' in thing");
}

TEST(YamlReader, AllowOtherAcceptsExtraKeys) {
  Fixture f("x: 1\n");
  int n = 0;
  f.reader.each_entry(f.root, "thing", {}, [](const std::string& k) { return k == "x"; },
                      [&](const std::string&, const YAML::Node&, const YAML::Node&) { ++n; });
  EXPECT_EQ(n, 1);
  EXPECT_FALSE(f.diags.has_errors());
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

}  // namespace
}  // namespace herald
