#pragma once
// The public address of a published delivery, per platform.

#include "config/calendar.hpp"
#include "config/settings.hpp"

#include <string>

namespace herald {

/// URL of a post on X: https://x.com/ACCOUNT/status/ID.
std::string x_status_url(const std::string& account, const std::string& id);
/// URL of a video on YouTube: https://www.youtube.com/watch?v=ID.
std::string youtube_watch_url(const std::string& video_id);
/// URL of a Facebook Page post from its Graph id (PAGEID_POSTID).
std::string facebook_post_url(const std::string& graph_id);
/// https://www.linkedin.com/feed/update/URN/ (the URN as LinkedIn gives it:
/// urn:li:share:N or urn:li:ugcPost:N).
std::string linkedin_post_url(const std::string& urn);
/// https://bsky.app/profile/HANDLE/post/RKEY
std::string bluesky_post_url(const std::string& handle, const std::string& rkey);
/// URL of a static-site post: the channel's `url` with {post} filled in.
std::string static_post_url(const ChannelSettings& channel, const std::string& post_id);
/// The slug herald gives a blog post: its id, lowercased, '.' and '_' as '-'.
std::string blog_slug(const std::string& post_id);

/// What a delivery's URL will look like before it is published, for previews
/// and length checks. Exact where the URL is known in advance (a YouTube
/// video, a static page); otherwise the platform's form with an id of the
/// usual length made of zeros (X: 19 digits; Facebook: PAGEID_ + 16 digits)
/// or, for WordPress, the site with the slug.
std::string preview_url(const Post& post, const ChannelSettings& channel);

}  // namespace herald
