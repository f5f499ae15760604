#include "connectors/bluesky/xrpc.hpp"

#include "connectors/http_result.hpp"
#include "connectors/json_fields.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace herald {
namespace {
namespace json = boost::json;

std::optional<std::int64_t> whole_number(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// One line, no control characters, at most kMaxMessage bytes cut on a
// UTF-8 boundary.
std::string clean(std::string_view words) {
  std::string out;
  for (char c : words) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(0, 1);
  if (out.size() > kMaxMessage) {
    std::size_t cut = kMaxMessage;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out = out.substr(0, cut) + "...";
  }
  return out;
}

// RFC 4648 section 5, padding optional.
std::optional<std::string> base64url_decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : in) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
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

}  // namespace

XrpcError xrpc_error(const HttpResponse& response) {
  XrpcError out;
  if (auto v = parse_json(response.body); v && v->is_object()) {
    out.error = member_string(v->get_object(), "error");
    out.message = member_string(v->get_object(), "message");
  }
  return out;
}

std::optional<std::chrono::seconds> bluesky_wait(const HttpResponse& response, Instant now) {
  if (const auto* reset = find_header(response, "ratelimit-reset")) {
    if (auto epoch = whole_number(*reset))
      return std::max(Instant{std::chrono::seconds{*epoch}} - now, std::chrono::seconds{0});
  }
  return retry_after(response, now);
}

bool token_refused(const HttpResponse& response) {
  if (response.status != 400 && response.status != 401) return false;
  const std::string name = xrpc_error(response).error;
  return name == "ExpiredToken" || name == "InvalidToken";
}

std::string describe_xrpc(const HttpResponse& response) {
  const XrpcError e = xrpc_error(response);
  const std::string words = clean(e.message);
  std::string out = "Bluesky: " + (words.empty() ? std::string("no error message") : words) + " (HTTP " +
                    std::to_string(response.status);
  if (!e.error.empty()) out += ", " + clean(e.error);
  return out + ")";
}

std::optional<PublishResult> classify_xrpc(const HttpResponse& response, Instant now) {
  if (!response.error.empty()) return RetryLater{std::nullopt, "Bluesky: no answer (" + response.error + ")"};
  if (response.status >= 200 && response.status < 300) return std::nullopt;
  const std::string message = describe_xrpc(response);
  if (response.status == 429) return RetryLater{bluesky_wait(response, now), message};
  if (response.status >= 500 || response.status == 0) return RetryLater{bluesky_wait(response, now), message};
  if (response.status == 401 || token_refused(response)) return AuthFailed{message};
  return Failed{message};
}

std::optional<Instant> jwt_expiry(std::string_view jwt) {
  const auto first = jwt.find('.');
  const auto second = first == std::string_view::npos ? first : jwt.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  auto payload = base64url_decode(jwt.substr(first + 1, second - first - 1));
  if (!payload) return std::nullopt;
  auto claims = parse_json(*payload);
  if (!claims || !claims->is_object()) return std::nullopt;
  const json::value* exp = claims->get_object().if_contains("exp");
  if (!exp || !(exp->is_int64() || exp->is_uint64() || exp->is_double())) return std::nullopt;
  return Instant{std::chrono::seconds{member_int(claims->get_object(), "exp").value_or(0)}};
}

}  // namespace herald
