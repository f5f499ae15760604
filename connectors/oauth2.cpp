#include "connectors/oauth2.hpp"
#include "connectors/form_encoding.hpp"

#include <openssl/evp.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace herald {
namespace {

namespace json = boost::json;

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](unsigned char x, unsigned char y) {
    return std::tolower(x) == std::tolower(y);
  });
}

std::optional<std::string_view> string_member(const json::object& object, std::string_view name) {
  const json::value* v = object.if_contains(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string_view(v->get_string());
}

// expires_in is a JSON number per RFC 6749 5.1, but some servers send it as
// a string of digits; both mean the same to us.
std::optional<std::int64_t> seconds_member(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(v.get_uint64());
  }
  if (v.is_string()) {
    std::string_view s = v.get_string();
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size()) return n;
  }
  return std::nullopt;
}

TokenError bad_answer(int http_status, std::string what) {
  // Never quote the body: a half-valid answer may still carry a token.
  return TokenError{"invalid_response",
                    "token endpoint answered HTTP " + std::to_string(http_status) + " with " + std::move(what),
                    http_status == 401, http_status == 429 || http_status >= 500};
}

}  // namespace

std::string refresh_request_body(std::string_view client_id, const Secret& refresh_token,
                                 const std::optional<Secret>& client_secret) {
  Params params{{"grant_type", "refresh_token"},
                {"refresh_token", refresh_token.reveal()},
                {"client_id", std::string(client_id)}};
  if (client_secret) params.emplace_back("client_secret", client_secret->reveal());
  return form_urlencode(params);
}

std::string basic_client_authorization(std::string_view client_id, const Secret& client_secret) {
  std::string pair = percent_encode(client_id) + ':' + percent_encode(client_secret.reveal());
  std::string encoded(4 * ((pair.size() + 2) / 3), '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                reinterpret_cast<const unsigned char*>(pair.data()), static_cast<int>(pair.size()));
  OPENSSL_cleanse(pair.data(), pair.size());
  encoded.resize(static_cast<std::size_t>(written));
  return "Basic " + encoded;
}

std::variant<TokenResponse, TokenError> parse_token_response(int http_status, std::string_view body) {
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec) return bad_answer(http_status, "a body that is not JSON");
  const json::object* object = parsed.if_object();
  if (object == nullptr) return bad_answer(http_status, "a JSON body that is not an object");

  // An error answer (RFC 6749 5.2), whatever the status says.
  if (auto error = string_member(*object, "error")) {
    TokenError result;
    result.error = std::string(*error);
    result.description = std::string(string_member(*object, "error_description").value_or(""));
    result.auth_failed =
        *error == "invalid_grant" || *error == "invalid_client" || *error == "unauthorized_client";
    result.retryable = !result.auth_failed && (http_status == 429 || http_status >= 500 ||
                                               *error == "temporarily_unavailable" || *error == "server_error");
    return result;
  }
  if (http_status < 200 || http_status > 299) {
    return TokenError{"http_" + std::to_string(http_status),
                      "token endpoint answered HTTP " + std::to_string(http_status) + " without an error code",
                      http_status == 401, http_status == 429 || http_status >= 500};
  }

  auto access_token = string_member(*object, "access_token");
  if (!access_token || access_token->empty()) return bad_answer(http_status, "no access_token");
  TokenResponse result;
  result.access_token = Secret(std::string(*access_token));
  result.token_type = std::string(string_member(*object, "token_type").value_or(""));
  // We send the token as "Authorization: Bearer"; another type would not work.
  if (!result.token_type.empty() && !equals_ignore_case(result.token_type, "bearer")) {
    return bad_answer(http_status, "token_type \"" + result.token_type + "\", not Bearer");
  }
  if (const json::value* expires = object->if_contains("expires_in"); expires != nullptr && !expires->is_null()) {
    auto seconds = seconds_member(*expires);
    if (!seconds || *seconds < 0) return bad_answer(http_status, "an expires_in that is not a number of seconds");
    result.expires_in = std::chrono::seconds(*seconds);
  }
  if (auto refresh = string_member(*object, "refresh_token"); refresh && !refresh->empty()) {
    result.refresh_token = Secret(std::string(*refresh));
  }
  result.scope = std::string(string_member(*object, "scope").value_or(""));
  return result;
}

}  // namespace herald
