#include "config/yaml_node.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(YamlNode, AnUndefinedNodeAnswersEveryQuestionEmpty) {
  const YamlNode none;
  EXPECT_FALSE(none.defined());
  EXPECT_FALSE(none.is_null() || none.is_scalar() || none.is_list() || none.is_map());
  EXPECT_EQ(none.scalar(), "");
  EXPECT_EQ(none.line(), 0);
  EXPECT_EQ(none.column(), 0);
  EXPECT_EQ(none.size(), 0u);
  EXPECT_FALSE(none["key"].defined());
  EXPECT_FALSE(none[std::size_t{0}].defined());
  EXPECT_EQ(none.begin(), none.end());
}

TEST(YamlNode, AMappingFindsTheFirstOfAKeyGivenTwice) {
  YamlNode map = YamlNode::make(YamlNode::Kind::map, 3, 5);
  map.add_entry(YamlNode::make(YamlNode::Kind::scalar, 3, 5, "a"), YamlNode::make(YamlNode::Kind::scalar, 3, 8, "1"));
  map.add_entry(YamlNode::make(YamlNode::Kind::scalar, 4, 5, "a"), YamlNode::make(YamlNode::Kind::scalar, 4, 8, "2"));
  map.add_entry(YamlNode::make(YamlNode::Kind::null, 5, 5), YamlNode::make(YamlNode::Kind::scalar, 5, 8, "x"));
  EXPECT_TRUE(map.is_map());
  EXPECT_EQ(map.size(), 3u);
  EXPECT_EQ(map["a"].scalar(), "1");
  EXPECT_EQ(map["a"].line(), 3);
  // A null key is not the empty name, and a mapping has no items.
  EXPECT_FALSE(map[""].defined());
  EXPECT_FALSE(map[std::size_t{0}].defined());
  EXPECT_EQ(map.begin(), map.end());
}

TEST(YamlNode, AListIsWalkedInOrderAndCopiesShareTheirChildren) {
  YamlNode list = YamlNode::make(YamlNode::Kind::list, 1, 1);
  const YamlNode copy = list;  // a handle: items added later are seen through it too
  list.add_item(YamlNode::make(YamlNode::Kind::scalar, 1, 2, "x"));
  list.add_item(YamlNode::make(YamlNode::Kind::scalar, 1, 5, "y"));
  std::string seen;
  for (const YamlNode& item : copy) seen += item.scalar();
  EXPECT_EQ(seen, "xy");
  EXPECT_EQ(copy[std::size_t{1}].column(), 5);
  EXPECT_FALSE(copy[std::size_t{2}].defined());
  EXPECT_FALSE(copy["x"].defined());
  EXPECT_TRUE(copy.entries().empty());
}

}  // namespace
}  // namespace herald
