#pragma once
// Reading a media file a connector uploads, with a size limit, so a file
// too large for the platform is refused before it fills memory.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace herald {

/// The whole file, or nullopt when it cannot be read or exceeds `limit` bytes.
std::optional<std::string> read_file_bytes(const std::filesystem::path& path, std::size_t limit);

}  // namespace herald
