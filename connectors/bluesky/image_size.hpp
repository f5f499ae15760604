#pragma once
// The pixel size of an image from its header bytes, for the aspectRatio
// Bluesky's app.bsky.embed.images takes (so the app lays the image out
// before it loads it).

#include <optional>
#include <string_view>

namespace herald {

/// Width and height in pixels.
struct ImageSize {
  unsigned width = 0;
  unsigned height = 0;
  friend bool operator==(const ImageSize&, const ImageSize&) = default;
};

/// The size a PNG (IHDR), GIF (logical screen) or JPEG (first SOFn marker)
/// declares; nullopt for other bytes, a truncated header or a zero side.
std::optional<ImageSize> image_size(std::string_view bytes);

}  // namespace herald
