#include "compose/media.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>

namespace herald {

namespace {

constexpr std::uintmax_t MB = 1024 * 1024;

std::optional<MediaType> type_from_extension(const std::filesystem::path& file) {
  std::string ext = file.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".jpg" || ext == ".jpeg") return MediaType::jpeg;
  if (ext == ".png") return MediaType::png;
  if (ext == ".gif") return MediaType::gif;
  if (ext == ".mp4" || ext == ".m4v") return MediaType::mp4;
  return std::nullopt;
}

std::string megabytes(std::uintmax_t bytes) {
  const auto tenths = (bytes * 10 + MB / 2) / MB;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " MB";
}

}  // namespace

std::string_view to_string(MediaType t) {
  switch (t) {
    case MediaType::jpeg: return "JPEG";
    case MediaType::png: return "PNG";
    case MediaType::gif: return "GIF";
    case MediaType::mp4: return "MP4";
  }
  return "?";
}

std::optional<MediaType> sniff_media(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  unsigned char b[12] = {};
  in.read(reinterpret_cast<char*>(b), sizeof b);
  const auto n = in.gcount();
  if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return MediaType::jpeg;
  if (n >= 8 && b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G' && b[4] == 0x0D && b[5] == 0x0A &&
      b[6] == 0x1A && b[7] == 0x0A)
    return MediaType::png;
  if (n >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8' && (b[4] == '7' || b[4] == '9') && b[5] == 'a')
    return MediaType::gif;
  // ISO base media: a box size, then "ftyp".
  if (n >= 12 && b[4] == 'f' && b[5] == 't' && b[6] == 'y' && b[7] == 'p') return MediaType::mp4;
  return std::nullopt;
}

// Limits from the platforms' documentation: X media upload (images 5 MB,
// animated GIF 15 MB, video 512 MB), Graph API page photos (4 MB), the
// upload limits a typical WordPress host sets, LinkedIn's Images API (JPG,
// PNG, GIF) and Videos API (MP4, up to 500 MB), and Instagram's Content
// Publishing (images JPEG only, up to 8 MB; Reels MP4 up to 300 MB),
// Mastodon's media limits since 4.2 (images 16 MB, video 99 MB; 4 attachments
// by default: configuration.statuses.max_media_attachments) and Bluesky's
// app.bsky.embed.images (up to 4 images; uploadBlob takes 1,000,000 bytes
// each; video goes through a separate service herald does not use).
bool MediaRule::accepts(MediaType t) const {
  switch (kind) {
    case ChannelKind::x: return true;
    case ChannelKind::facebook: return t != MediaType::mp4;
    case ChannelKind::youtube: return false;
    case ChannelKind::wordpress: return t != MediaType::mp4;
    case ChannelKind::static_site: return true;
    case ChannelKind::linkedin: return true;
    case ChannelKind::instagram: return t == MediaType::jpeg || t == MediaType::mp4;
    case ChannelKind::mastodon: return true;
    case ChannelKind::bluesky: return t != MediaType::mp4;
  }
  return false;
}

std::uintmax_t MediaRule::max_bytes(MediaType t) const {
  switch (kind) {
    case ChannelKind::x:
      if (t == MediaType::mp4) return 512 * MB;
      if (t == MediaType::gif) return 15 * MB;
      return 5 * MB;
    case ChannelKind::facebook: return 4 * MB;
    case ChannelKind::youtube: return 0;
    case ChannelKind::wordpress: return 64 * MB;
    case ChannelKind::static_site: return 512 * MB;
    case ChannelKind::linkedin: return t == MediaType::mp4 ? 500 * MB : 8 * MB;
    case ChannelKind::instagram: return t == MediaType::mp4 ? 300 * MB : 8 * MB;
    case ChannelKind::mastodon: return t == MediaType::mp4 ? 99 * MB : 16 * MB;
    case ChannelKind::bluesky: return 1000000;
  }
  return 0;
}

void check_media(const Calendar& calendar, const Settings& settings, Diagnostics& diags) {
  for (const Post& post : calendar.posts) {
    for (const auto& channel : post.channels) {
      const ChannelSettings* cs = settings.channel(channel);
      if (!cs) continue;
      auto ov = post.overrides.find(channel);
      const bool own = ov != post.overrides.end() && ov->second.media.has_value();
      const auto& media = own ? *ov->second.media : post.media;
      // Shared media is checked against every channel, but a missing file is reported once.
      const Location where = post.location(own ? channel + ".media" : "media");
      const bool first_channel = own || channel == post.channels.front();
      if (cs->kind == ChannelKind::youtube && ov != post.overrides.end() && ov->second.file) {
        const auto video = (post.file.parent_path() / *ov->second.file).lexically_normal();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(video, ec))
          diags.error(post.location(channel + ".file"), "post '" + post.id + "': video file '" + *ov->second.file +
                                                            "' not found (" + video.string() + ")");
        else if (sniff_media(video) != MediaType::mp4)
          diags.error(post.location(channel + ".file"),
                      "post '" + post.id + "': video file '" + *ov->second.file + "' is not an MP4 video");
      }
      if (media.empty()) continue;
      const MediaRule rule{cs->kind};
      const std::string on = "post '" + post.id + "' on " + channel + ": ";
      if (cs->kind == ChannelKind::youtube) {
        diags.error(where, on + "YouTube takes a video through 'file:', not media");
        continue;
      }
      int images = 0, videos = 0, gifs = 0;
      for (const auto& m : media) {
        const auto path = (post.file.parent_path() / m).lexically_normal();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec)) {
          if (first_channel) diags.error(where, "post '" + post.id + "': media file '" + m + "' not found (" + path.string() + ")");
          continue;
        }
        const auto by_name = type_from_extension(path);
        if (!by_name) {
          if (first_channel)
            diags.error(where, "post '" + post.id + "': media file '" + m + "' is not a .jpg, .png, .gif or .mp4 file");
          continue;
        }
        const auto by_content = sniff_media(path);
        if (by_content != by_name) {
          if (first_channel)
            diags.error(where, "post '" + post.id + "': media file '" + m + "' is named ." +
                                   path.extension().string().substr(1) + " but its content is " +
                                   (by_content ? std::string(to_string(*by_content)) : std::string("not a known image or video")));
          continue;
        }
        if (!rule.accepts(*by_name)) {
          diags.error(where, on + std::string(to_string(*by_name)) + " file '" + m + "' is not accepted by " +
                                 std::string(to_string(cs->kind)));
          continue;
        }
        const auto size = std::filesystem::file_size(path, ec);
        if (!ec && size > rule.max_bytes(*by_name)) {
          const auto limit = rule.max_bytes(*by_name);
          const bool close = megabytes(size) == megabytes(limit);
          diags.error(where, on + "media file '" + m + "' is " +
                                 (close ? std::to_string(size) + " bytes" : megabytes(size)) + ", more than the " +
                                 (close ? std::to_string(limit) + " bytes" : megabytes(limit)) + " " +
                                 std::string(to_string(cs->kind)) + " takes for a " + std::string(to_string(*by_name)));
        }
        if (*by_name == MediaType::mp4) ++videos;
        else if (*by_name == MediaType::gif) ++gifs;
        else ++images;
      }
      const int total = images + videos + gifs;
      if (cs->kind == ChannelKind::x && (total > 4 || ((videos + gifs) > 0 && total > 1)))
        diags.error(where, on + "X takes up to 4 images, or one GIF, or one video per post");
      if ((cs->kind == ChannelKind::facebook || cs->kind == ChannelKind::wordpress) && total > 1)
        diags.error(where, on + std::string(to_string(cs->kind)) + " takes one image per post here");
      // LinkedIn: one image, a multi-image post of 2 to 20, or one video.
      if (cs->kind == ChannelKind::linkedin && (total > 20 || (videos > 0 && total > 1)))
        diags.error(where, on + "LinkedIn takes up to 20 images, or one video, per post");
      if ((cs->kind == ChannelKind::mastodon || cs->kind == ChannelKind::bluesky) && total > 4)
        diags.error(where, on + std::string(to_string(cs->kind)) + " takes up to 4 images per post");
      if (cs->kind == ChannelKind::mastodon && videos > 0 && total > 1)
        diags.error(where, on + "mastodon takes one video, or up to 4 images, per post");
      // Instagram: one image or Reel, or a carousel of 2 to 10 items.
      if (cs->kind == ChannelKind::instagram) {
        if (total > 10) diags.error(where, on + "Instagram takes at most 10 items (a carousel of 2 to 10)");
        if (settings.media_url.empty())
          diags.error(where, on + "Instagram fetches media from a public URL: set media_url in the settings to where "
                                  "the calendar's directory is served");
        const auto root = std::filesystem::is_directory(settings.calendar) ? settings.calendar
                                                                           : settings.calendar.parent_path();
        for (const auto& m : media) {
          const auto rel = (post.file.parent_path() / m).lexically_normal().lexically_relative(root.lexically_normal());
          if (rel.empty() || *rel.begin() == "..")
            diags.error(where, on + "media file '" + m + "' is outside the calendar's directory, so media_url cannot "
                                    "serve it");
        }
      }
    }
  }
}

}  // namespace herald
