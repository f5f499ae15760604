#include "connectors/json_fields.hpp"

#include <boost/json/parse.hpp>

#include <charconv>

namespace herald {
namespace json = boost::json;

std::optional<json::value> parse_json(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

const json::object* member_object(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

std::string member_string(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return {};
  return std::string(v->get_string());
}

std::optional<std::int64_t> member_int(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  if (v->is_string()) {
    std::string_view s = v->get_string();
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    std::int64_t out = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

std::string message_of(const PublishResult& result) {
  return std::visit(
      [](const auto& r) -> std::string {
        if constexpr (requires { r.message; }) {
          return r.message;
        } else {
          return "published";
        }
      },
      result);
}

PublishResult with_context(PublishResult result, const std::string& context) {
  std::visit(
      [&](auto& r) {
        if constexpr (requires { r.message; }) r.message = context + ": " + r.message;
      },
      result);
  return result;
}

}  // namespace herald
