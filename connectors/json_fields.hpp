#pragma once
// Reading the platforms' JSON answers (Boost.JSON) leniently: a missing or
// mistyped member reads as empty, so each caller decides what absence means.
// And the wording of results: the message of a PublishResult, and context in
// front of it.

#include "connectors/connector.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

/// The parsed body, or nullopt when it is not JSON.
std::optional<boost::json::value> parse_json(std::string_view text);
/// The member `key` if it is an object, else nullptr.
const boost::json::object* member_object(const boost::json::object& o, std::string_view key);
/// The member `key` if it is a string, else "".
std::string member_string(const boost::json::object& o, std::string_view key);
/// The member `key` as an integer: a number or a string of digits (platforms
/// send ids both ways), else nullopt.
std::optional<std::int64_t> member_int(const boost::json::object& o, std::string_view key);

/// The message of a result ("published" for Published).
std::string message_of(const PublishResult& result);
/// The result with "context: " in front of its message.
PublishResult with_context(PublishResult result, const std::string& context);

}  // namespace herald
