#include "compose/public_url.hpp"

#include <cctype>

namespace herald {

std::string x_status_url(const std::string& account, const std::string& id) {
  return "https://x.com/" + account + "/status/" + id;
}

std::string youtube_watch_url(const std::string& video_id) { return "https://www.youtube.com/watch?v=" + video_id; }

std::string facebook_post_url(const std::string& graph_id) { return "https://www.facebook.com/" + graph_id; }

std::string linkedin_post_url(const std::string& urn) { return "https://www.linkedin.com/feed/update/" + urn + "/"; }

std::string bluesky_post_url(const std::string& handle, const std::string& rkey) {
  return "https://bsky.app/profile/" + handle + "/post/" + rkey;
}

std::string static_post_url(const ChannelSettings& channel, const std::string& post_id) {
  std::string out = channel.url;
  const std::string slug = blog_slug(post_id);
  for (auto pos = out.find("{post}"); pos != std::string::npos; pos = out.find("{post}", pos + slug.size()))
    out.replace(pos, 6, slug);
  return out;
}

std::string blog_slug(const std::string& post_id) {
  std::string slug;
  for (char c : post_id) {
    if (c == '.' || c == '_') slug += '-';
    else slug += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return slug;
}

std::string preview_url(const Post& post, const ChannelSettings& channel) {
  switch (channel.kind) {
    case ChannelKind::x: return x_status_url(channel.account, std::string(19, '0'));
    case ChannelKind::facebook: return facebook_post_url(channel.page_id + "_" + std::string(16, '0'));
    case ChannelKind::youtube: {
      auto it = post.overrides.find(channel.name);
      if (it != post.overrides.end() && it->second.video) return youtube_watch_url(*it->second.video);
      return youtube_watch_url(std::string(11, '0'));
    }
    case ChannelKind::wordpress: {
      std::string site = channel.site;
      while (!site.empty() && site.back() == '/') site.pop_back();
      return site + "/" + blog_slug(post.id) + "/";
    }
    case ChannelKind::static_site: return static_post_url(channel, post.id);
    case ChannelKind::linkedin: return linkedin_post_url("urn:li:share:" + std::string(19, '0'));
    case ChannelKind::instagram: return "https://www.instagram.com/p/" + std::string(11, '0') + "/";
    case ChannelKind::mastodon: {
      std::string instance = channel.instance;
      while (!instance.empty() && instance.back() == '/') instance.pop_back();
      return instance + "/@" + (channel.account.empty() ? std::string("account") : channel.account) + "/" +
             std::string(18, '0');
    }
    case ChannelKind::bluesky: return bluesky_post_url(channel.handle, std::string(13, '2'));
  }
  return {};
}

}  // namespace herald
