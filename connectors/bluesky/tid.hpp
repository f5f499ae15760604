#pragma once
// Timestamp identifiers (atproto.com/specs/tid): the record keys of
// app.bsky.feed.post. A TID is a 64-bit integer, top bit 0, then 53 bits of
// microseconds since the Unix epoch and 10 bits of "clock identifier",
// written as 13 characters of base32-sortable (234567abcdefghijklmnopqrstuvwxyz),
// most significant first, so TIDs sort as their times do.
//
// herald chooses each post's record key itself, from the delivery, so that
// sending the create again names the same record and cannot make a second one.

#include "config/local_time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

/// What a TID holds.
struct TidParts {
  std::uint64_t micros = 0;   ///< microseconds since the Unix epoch (53 bits)
  unsigned clock_id = 0;      ///< 0 to 1023

  friend bool operator==(const TidParts&, const TidParts&) = default;
};

/// The TID of `micros` (cut to 53 bits) and `clock_id` (cut to 10 bits).
std::string encode_tid(std::uint64_t micros, unsigned clock_id);

/// The parts of a valid TID: 13 characters of the alphabet, the first one
/// of 234567abcdefghij (top bit 0); nullopt for anything else.
std::optional<TidParts> parse_tid(std::string_view tid);

/// herald's record key for a delivery: the planned instant, plus an offset
/// below one second and a clock id both taken from the SHA-256 of the
/// delivery key, so two deliveries planned for the same second get
/// different keys (about one in a billion alike) and the key still reads as
/// the planned time.
std::string delivery_tid(Instant planned, std::string_view delivery_key);

}  // namespace herald
