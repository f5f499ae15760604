#pragma once
// The OAuth 2.0 refresh-token grant (RFC 6749 section 6) as Google's
// (https://oauth2.googleapis.com/token) and X's (https://api.x.com/2/oauth2/token)
// token endpoints use it: the request body to send and what the answer means.
// Pure: the caller does the HTTP POST (Content-Type:
// application/x-www-form-urlencoded) and persists a rotated refresh token
// before using the new access token (DESIGN.md).

#include "connectors/secret.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace herald {

/// The body of a refresh request: grant_type=refresh_token, refresh_token,
/// client_id, and client_secret when the client has one (Google always does;
/// an X public client does not).
std::string refresh_request_body(std::string_view client_id, const Secret& refresh_token,
                                 const std::optional<Secret>& client_secret = std::nullopt);

/// "Basic base64(enc(client_id):enc(client_secret))", the RFC 6749 2.3.1
/// client authentication an X confidential client sends instead of a
/// client_secret in the body.
std::string basic_client_authorization(std::string_view client_id, const Secret& client_secret);

/// A successful refresh.
struct TokenResponse {
  Secret access_token;
  std::optional<std::chrono::seconds> expires_in;  ///< absent if the server did not say
  std::optional<Secret> refresh_token;              ///< set when the server rotated it (X does)
  std::string token_type;                           ///< "Bearer" (any case) or empty if not sent
  std::string scope;                                ///< empty if not sent
};

/// A refresh that did not give a token. Holds no token, nor the raw body.
struct TokenError {
  std::string error;        ///< RFC 6749 5.2 code, or "invalid_response" / "http_<status>"
  std::string description;  ///< error_description, or what was wrong with the answer
  bool auth_failed = false;  ///< the grant or client is no good: an operator must act
  bool retryable = false;    ///< a server-side or rate-limit failure: try again later
};

/// Reads the token endpoint's answer: a TokenResponse for a 2xx JSON object
/// with an access_token, otherwise a TokenError.
std::variant<TokenResponse, TokenError> parse_token_response(int http_status, std::string_view body);

}  // namespace herald
