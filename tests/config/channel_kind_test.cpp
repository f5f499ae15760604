// The channel kinds' table: every kind has a row, its spelling reads back,
// and what it takes comes from the row.
#include "config/channel_kind.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace herald {
namespace {

TEST(ChannelKind, EveryKindReadsBackFromItsSpellingAndAliases) {
  for (const auto& info : channel_kinds()) {
    EXPECT_EQ(&kind_info(info.kind), &info);
    EXPECT_EQ(parse_channel_kind(to_string(info.kind)), info.kind);
    for (auto alias : info.aliases) EXPECT_EQ(parse_channel_kind(alias), info.kind) << alias;
    for (auto key : info.keys) EXPECT_NE(channel_key(key), nullptr) << info.name << " takes unknown key " << key;
    for (auto key : info.required)
      EXPECT_NE(std::find(info.keys.begin(), info.keys.end(), key), info.keys.end()) << info.name << " " << key;
  }
  EXPECT_EQ(parse_channel_kind("twitter"), ChannelKind::x);
  EXPECT_EQ(parse_channel_kind("tiktok"), std::nullopt);
  EXPECT_EQ(channel_key("slots"), nullptr) << "not a platform key";
}

TEST(ChannelKind, ArticlesNamesAndOverrideFields) {
  EXPECT_EQ(a_kind(ChannelKind::x), "an x");
  EXPECT_EQ(a_kind(ChannelKind::instagram), "an instagram");
  EXPECT_EQ(a_kind(ChannelKind::linkedin), "a linkedin");
  EXPECT_EQ(a_kind(ChannelKind::static_site), "a static");
  EXPECT_EQ(kind_names(), "x, facebook, youtube, wordpress, static, linkedin, instagram, mastodon or bluesky");
  EXPECT_TRUE(override_field_allowed("media", ChannelKind::instagram));
  EXPECT_TRUE(override_field_allowed("link", ChannelKind::linkedin));
  EXPECT_FALSE(override_field_allowed("link", ChannelKind::instagram));
  EXPECT_TRUE(override_field_allowed("thread", ChannelKind::x));
  EXPECT_FALSE(override_field_allowed("thread", ChannelKind::linkedin));
  EXPECT_TRUE(override_field_allowed("file", ChannelKind::youtube));
  EXPECT_TRUE(override_field_allowed("tags", ChannelKind::static_site));
}

TEST(ChannelKind, DefaultsComeFromTheRow) {
  EXPECT_EQ(kind_info(ChannelKind::linkedin).api_version, "202611");
  EXPECT_EQ(kind_info(ChannelKind::instagram).api_version, "v21.0");
  ASSERT_TRUE(kind_info(ChannelKind::instagram).rate);
  EXPECT_EQ(kind_info(ChannelKind::instagram).rate->first, 50);
  EXPECT_FALSE(kind_info(ChannelKind::static_site).needs_credentials);
  EXPECT_TRUE(kind_info(ChannelKind::linkedin).needs_credentials);
}

}  // namespace
}  // namespace herald
