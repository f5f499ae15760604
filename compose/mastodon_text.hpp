#pragma once
// A status's length as Mastodon counts it (app/validators/status_length_validator.rb):
// the content warning and the text together, in grapheme clusters, with
// every http(s) URL counted as `characters_reserved_per_url` (23 unless the
// instance says otherwise) and a remote mention @user@domain as @user.

#include <cstddef>
#include <string_view>

namespace herald {

/// Mastodon's default limits, used until the instance says its own
/// (GET /api/v2/instance: configuration.statuses).
inline constexpr std::size_t kMastodonDefaultLimit = 500;
inline constexpr std::size_t kMastodonUrlCharacters = 23;

/// The length Mastodon measures for a status with `spoiler_text` and `text`.
std::size_t mastodon_length(std::string_view text, std::string_view spoiler_text = {},
                            std::size_t url_characters = kMastodonUrlCharacters);

}  // namespace herald
