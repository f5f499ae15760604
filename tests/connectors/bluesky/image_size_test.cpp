// Pixel sizes from image headers (connectors/bluesky/image_size), for the
// aspectRatio of app.bsky.embed.images: PNG's IHDR (RFC 2083 / ISO 15948),
// GIF's logical screen descriptor (GIF89a), JPEG's SOFn (ITU T.81 B.2.2).
#include "connectors/bluesky/image_size.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald {
namespace {

TEST(ImageSize, ReadsPngGifAndJpeg) {
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x04\xB0\0\0\x02\x76\x08\x02\0\0\0", 29);
  EXPECT_EQ(image_size(png), (ImageSize{1200, 630}));
  EXPECT_EQ(image_size(std::string("GIF89a\x40\x01\xF0\0", 10)), (ImageSize{320, 240}));
  // SOI, an APP0 segment of 16 bytes, then SOF2 (progressive): height 480, width 640.
  std::string jpeg("\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 20);
  jpeg += std::string("\xFF\xC2\0\x11\x08\x01\xE0\x02\x80\x03\x01\x22\0\x02\x11\x01\x03\x11\x01", 19);
  EXPECT_EQ(image_size(jpeg), (ImageSize{640, 480}));
}

TEST(ImageSize, GivesNothingForOtherBytes) {
  EXPECT_EQ(image_size(""), std::nullopt);
  EXPECT_EQ(image_size("GIF89a"), std::nullopt);  // truncated
  EXPECT_EQ(image_size(std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\0\0\0\0\x10", 24)), std::nullopt);  // zero width
  EXPECT_EQ(image_size(std::string("\xFF\xD8\xFF\xDA\0\x02", 6)), std::nullopt);  // scan before any frame
  EXPECT_EQ(image_size(std::string("\0\0\0\x18" "ftypmp42", 12)), std::nullopt);
}

}  // namespace
}  // namespace herald
