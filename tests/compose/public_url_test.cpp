#include "compose/public_url.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(PublicUrl, PlatformForms) {
  EXPECT_EQ(x_status_url("example_nl", "1234"), "https://x.com/example_nl/status/1234");
  EXPECT_EQ(youtube_watch_url("dQw4w9WgXcQ"), "https://www.youtube.com/watch?v=dQw4w9WgXcQ");
  EXPECT_EQ(facebook_post_url("1_2"), "https://www.facebook.com/1_2");
  EXPECT_EQ(blog_slug("Spring.Blog_2027"), "spring-blog-2027");
  ChannelSettings site;
  site.url = "https://example.nl/news/{post}/";
  EXPECT_EQ(static_post_url(site, "Easter_hours"), "https://example.nl/news/easter-hours/");
}

TEST(PublicUrl, Previews) {
  Post post;
  post.id = "spring";
  ChannelSettings x;
  x.kind = ChannelKind::x;
  x.account = "example_nl";
  EXPECT_EQ(preview_url(post, x), "https://x.com/example_nl/status/0000000000000000000");
  ChannelSettings fb;
  fb.kind = ChannelKind::facebook;
  fb.page_id = "42";
  EXPECT_EQ(preview_url(post, fb), "https://www.facebook.com/42_0000000000000000");
  ChannelSettings wp;
  wp.kind = ChannelKind::wordpress;
  wp.site = "https://blog.example.nl//";
  EXPECT_EQ(preview_url(post, wp), "https://blog.example.nl/spring/");
  ChannelSettings yt;
  yt.kind = ChannelKind::youtube;
  yt.name = "youtube";
  post.overrides["youtube"].video = "dQw4w9WgXcQ";
  EXPECT_EQ(preview_url(post, yt), "https://www.youtube.com/watch?v=dQw4w9WgXcQ");
}

}  // namespace
}  // namespace herald
