#include "connectors/bluesky/image_size.hpp"

#include <cstdint>

namespace herald {
namespace {

unsigned byte(std::string_view b, std::size_t i) { return static_cast<unsigned char>(b[i]); }
unsigned be16(std::string_view b, std::size_t i) { return byte(b, i) << 8 | byte(b, i + 1); }
unsigned le16(std::string_view b, std::size_t i) { return byte(b, i + 1) << 8 | byte(b, i); }
unsigned be32(std::string_view b, std::size_t i) { return be16(b, i) << 16 | be16(b, i + 2); }

std::optional<ImageSize> nonzero(unsigned width, unsigned height) {
  if (width == 0 || height == 0) return std::nullopt;
  return ImageSize{width, height};
}

// JPEG (ITU T.81 B.1): markers FF xx; every segment but SOI, EOI and RSTn
// has a 2-byte length; SOF0-SOF15 (except DHT C4, JPG C8, DAC CC) carry
// precision, height, width.
std::optional<ImageSize> jpeg_size(std::string_view b) {
  std::size_t i = 2;
  while (i + 4 <= b.size()) {
    if (byte(b, i) != 0xFF) return std::nullopt;
    const unsigned marker = byte(b, i + 1);
    if (marker == 0xFF) {
      ++i;  // fill byte
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      i += 2;
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) return std::nullopt;  // end, or scan data before any SOF
    const unsigned length = be16(b, i + 2);
    if (length < 2) return std::nullopt;
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      if (i + 9 > b.size()) return std::nullopt;
      return nonzero(be16(b, i + 7), be16(b, i + 5));
    }
    i += 2 + length;
  }
  return std::nullopt;
}

}  // namespace

std::optional<ImageSize> image_size(std::string_view b) {
  if (b.size() >= 24 && b.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8) && b.substr(12, 4) == "IHDR")
    return nonzero(be32(b, 16), be32(b, 20));
  if (b.size() >= 10 && (b.substr(0, 6) == "GIF87a" || b.substr(0, 6) == "GIF89a")) return nonzero(le16(b, 6), le16(b, 8));
  if (b.size() >= 4 && byte(b, 0) == 0xFF && byte(b, 1) == 0xD8) return jpeg_size(b);
  return std::nullopt;
}

}  // namespace herald
