#pragma once
// Media attached to posts: does each file exist, is it of a type the channel
// takes (by extension and by its first bytes), and within the platform's limits.

#include "config/calendar.hpp"
#include "config/diagnostics.hpp"
#include "config/settings.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace herald {

enum class MediaType { jpeg, png, gif, mp4 };
std::string_view to_string(MediaType t);

/// The type a file's first bytes say it is, if it is one herald knows.
std::optional<MediaType> sniff_media(const std::filesystem::path& file);

/// What a channel kind accepts: the types, the size limit of each, and how many.
struct MediaRule {
  bool accepts(MediaType t) const;
  std::uintmax_t max_bytes(MediaType t) const;
  ChannelKind kind;
};

/// Checks the media of every post on every channel it is sent to; errors go
/// to `diags` at the `media` field (or the channel override's).
void check_media(const Calendar& calendar, const Settings& settings, Diagnostics& diags);

}  // namespace herald
