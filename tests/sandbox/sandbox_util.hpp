#pragma once
// Small helpers the emulated platforms share: JSON answers, parsing, the
// dropped-answer trick, and strict reading of the sandbox's YAML.

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace httplib {
struct Response;
}  // namespace httplib
namespace YAML {
class Node;
}  // namespace YAML

namespace herald {

class Sandbox;

/// Sets status and a JSON body (application/json; charset=utf-8).
void send_json(httplib::Response& res, int status, const std::string& body);
/// Decodes %XX escapes (and nothing else; '+' stays '+').
std::string percent_decode(std::string_view in);
/// A whole decimal integer, or nullopt.
std::optional<std::int64_t> parse_int(std::string_view text);
/// Decodes standard base64 (RFC 4648 section 4, padding optional); nullopt on
/// a character outside the alphabet. For Basic credentials.
std::optional<std::string> base64_decode(std::string_view in);
/// `s` with & < > " ' written as character references (&#39; for '), as
/// Rails' ERB::Util#h and the pages sites serve write them.
std::string html_escape(std::string_view s);
/// Compares without an early exit on the first difference.
bool equal_constant_time(std::string_view a, std::string_view b);
/// Makes the answer to an accepted create never arrive: holds the request for
/// `delay` (so the client's read timeout fires first), then promises a body
/// and fails to produce it, so the server closes the connection mid-response.
void drop_response(Sandbox& sandbox, httplib::Response& res, int status, std::chrono::milliseconds delay);
/// Throws std::runtime_error "file:line:col: error: unknown key 'k'" for a key
/// of `map` not in `known`.
void reject_unknown_keys(const YAML::Node& map, std::initializer_list<std::string_view> known,
                         const std::string& file);
/// Throws std::runtime_error "file:line:col: error: <what>" at `node`'s mark.
[[noreturn]] void config_error(const YAML::Node& node, const std::string& file, const std::string& what);

}  // namespace herald
