#include "tests/sandbox/sandbox_util.hpp"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <stdexcept>

#include "tests/sandbox/sandbox.hpp"

namespace herald {

std::string fnv1a64_hex(std::string_view bytes) {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(hash));
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

void send_json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json; charset=utf-8");
}

std::string percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int value = 0;
      auto [ptr, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, value, 16);
      if (ec == std::errc() && ptr == in.data() + i + 3) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::string> base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) return std::nullopt;
    bits = ((bits << 6) | static_cast<unsigned>(v)) & 0xFFFFFFu;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

void drop_response(Sandbox& sandbox, httplib::Response& res, int status, std::chrono::milliseconds delay) {
  // cpp-httplib gives a handler no socket, so the connection is cut by a
  // content provider that promises 64 bytes and produces none.
  sandbox.hold(delay);
  res.status = status;
  res.set_content_provider(64, "application/json",
                           [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
}

void config_error(const YAML::Node& node, const std::string& file, const std::string& what) {
  auto mark = node.Mark();
  throw std::runtime_error(file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) +
                           ": error: " + what);
}

void reject_unknown_keys(const YAML::Node& map, std::initializer_list<std::string_view> known,
                         const std::string& file) {
  if (!map.IsMap()) config_error(map, file, "expected a mapping");
  for (const auto& entry : map) {
    auto key = entry.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end())
      config_error(entry.first, file, "unknown key '" + key + "'");
  }
}

}  // namespace herald
