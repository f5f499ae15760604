#pragma once
// An OAuth 2.0 access-token source for one credential: refreshes with the
// refresh-token grant (oauth2.hpp) when the cached access token is missing or
// close to expiry, and honours refresh-token rotation as DESIGN.md demands: a
// new refresh token from the endpoint is put() into the ConnectorState (the
// state directory, never the credential file) before the new access token is
// handed out. The next refresh uses the stored token, which is newer than the
// file's, as long as the file still holds the token the rotation descends
// from (a SHA-256 fingerprint kept under state_key + ":from"): an operator who
// authorizes again and replaces the file is not overruled. Thread-safe: one refresh at a time, so two workers never
// spend the same rotating refresh token.

#include "config/local_time.hpp"
#include "connectors/connector_state.hpp"
#include "connectors/http_client.hpp"
#include "connectors/secret.hpp"
#include "connectors/oauth2.hpp"

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

namespace herald {

/// The ConnectorState key a credential's rotated refresh token is kept under.
std::string refresh_token_state_key(const std::string& credential_name);

/// How a client with a secret authenticates at the token endpoint (RFC 6749
/// 2.3.1): client_secret in the body (Google), or HTTP Basic (X's
/// confidential clients). A client without a secret sends only client_id.
enum class ClientAuth { request_body, http_basic };

/// Hands out access tokens for one OAuth 2.0 client and refresh token.
class OAuth2Session {
 public:
  using Clock = std::function<Instant()>;

  /// A cached access token is reused while it has more than this left.
  static constexpr std::chrono::seconds kExpiryMargin{60};
  /// Assumed lifetime when the endpoint does not send expires_in.
  static constexpr std::chrono::seconds kDefaultLifetime{3600};

  /// `token_url` is the endpoint (https://oauth2.googleapis.com/token);
  /// `file_refresh_token` is the one from the credential file, used only
  /// while `state` holds nothing under `state_key`. The client secret, when
  /// given, goes in the request body (RFC 6749 2.3.1, as Google documents)
  /// or, with ClientAuth::http_basic, in an Authorization: Basic header.
  OAuth2Session(std::string token_url, std::string client_id, std::optional<Secret> client_secret,
                Secret file_refresh_token, ConnectorState& state, std::string state_key, HttpClient& http, Clock clock,
                ClientAuth client_auth = ClientAuth::request_body);

  /// A usable access token, refreshed first if needed. A TokenError holds no
  /// token: auth_failed means an operator must replace the credential;
  /// retryable means try later (transport errors and 5xx included).
  std::variant<Secret, TokenError> access_token();
  /// Forgets the cached access token (after a 401): the next call refreshes.
  void invalidate();

 private:
  std::variant<Secret, TokenError> refresh_locked();

  std::string token_url_;
  std::string client_id_;
  std::optional<Secret> client_secret_;
  Secret file_refresh_token_;
  ConnectorState& state_;
  std::string state_key_;
  HttpClient& http_;
  Clock clock_;
  ClientAuth client_auth_;

  std::mutex mutex_;
  std::optional<Secret> access_token_;
  Instant expires_at_{};
  /// A rotated refresh token the state refused to store: still the newest,
  /// so it is the one to spend next, but its access token was not used.
  std::optional<Secret> unsaved_refresh_token_;
};

/// What a failed refresh means for a publish, in words an operator can act
/// on; `platform` and `credential` name where ("YouTube", "youtube").
std::string describe_token_error(const TokenError& error, const std::string& platform, const std::string& credential);

}  // namespace herald
