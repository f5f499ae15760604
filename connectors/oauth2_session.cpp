#include "connectors/oauth2_session.hpp"

#include "connectors/digest.hpp"


#include <exception>
#include <utility>

namespace herald {
namespace {

// Which credential-file token a stored rotation descends from, so that an
// operator who authorizes again and replaces the file is not overruled by
// the stale rotation in the state directory. A hash, never the token.
std::string fingerprint(const Secret& token) { return sha256_hex(token.reveal()); }

}  // namespace

std::string refresh_token_state_key(const std::string& credential_name) {
  return "oauth2_refresh_token:" + credential_name;
}

OAuth2Session::OAuth2Session(std::string token_url, std::string client_id, std::optional<Secret> client_secret,
                             Secret file_refresh_token, ConnectorState& state, std::string state_key, HttpClient& http,
                             Clock clock, ClientAuth client_auth)
    : token_url_(std::move(token_url)),
      client_id_(std::move(client_id)),
      client_secret_(std::move(client_secret)),
      file_refresh_token_(std::move(file_refresh_token)),
      state_(state),
      state_key_(std::move(state_key)),
      http_(http),
      clock_(std::move(clock)),
      client_auth_(client_auth) {}

std::variant<Secret, TokenError> OAuth2Session::access_token() {
  std::lock_guard lock(mutex_);
  if (access_token_ && expires_at_ - clock_() > kExpiryMargin) return *access_token_;
  return refresh_locked();
}

void OAuth2Session::invalidate() {
  std::lock_guard lock(mutex_);
  access_token_.reset();
}

std::variant<Secret, TokenError> OAuth2Session::refresh_locked() {
  access_token_.reset();
  // The newest refresh token wins: one this process could not store, then the
  // stored rotation, then the credential file's.
  Secret refresh_token = file_refresh_token_;
  if (unsaved_refresh_token_) {
    refresh_token = *unsaved_refresh_token_;
  } else {
    try {
      auto stored = state_.get(state_key_);
      auto from = state_.get(state_key_ + ":from");
      if (stored && !stored->empty() && (!from || *from == fingerprint(file_refresh_token_))) {
        refresh_token = Secret(std::move(*stored));
      }
    } catch (const std::exception& e) {
      return TokenError{"state_unreadable", std::string("cannot read the stored refresh token: ") + e.what(), false,
                        true};
    }
  }

  HttpRequest request;
  request.method = "POST";
  request.url = token_url_;
  request.content_type = "application/x-www-form-urlencoded";
  if (client_secret_ && client_auth_ == ClientAuth::http_basic) {
    // The secret rides in the header; client_id stays in the body, as X's
    // own examples send it.
    request.body = refresh_request_body(client_id_, refresh_token);
    request.headers.emplace_back("Authorization", basic_client_authorization(client_id_, *client_secret_));
  } else {
    request.body = refresh_request_body(client_id_, refresh_token, client_secret_);
  }
  request.headers.emplace_back("Accept", "application/json");
  const HttpResponse response = http_.send(request);
  // A refresh creates nothing a retry could duplicate: any transport failure
  // is simply "later". The error text never holds the body or a header.
  if (!response.error.empty()) {
    return TokenError{"transport", "token endpoint unreachable: " + response.error, false, true};
  }

  auto parsed = parse_token_response(response.status, response.body);
  if (auto* error = std::get_if<TokenError>(&parsed)) return std::move(*error);
  auto& token = std::get<TokenResponse>(parsed);

  if (token.refresh_token && !(*token.refresh_token == refresh_token)) {
    // Rotation: the old refresh token may already be dead at the server, so
    // the new one is made durable before its access token is used at all.
    try {
      state_.put(state_key_, token.refresh_token->reveal());
      state_.put(state_key_ + ":from", fingerprint(file_refresh_token_));
      unsaved_refresh_token_.reset();
    } catch (const std::exception& e) {
      unsaved_refresh_token_ = std::move(token.refresh_token);
      return TokenError{"state_unwritable", std::string("cannot store the rotated refresh token: ") + e.what(), false,
                        true};
    }
  }
  const std::chrono::seconds lifetime = token.expires_in.value_or(kDefaultLifetime);
  access_token_ = token.access_token;
  expires_at_ = clock_() + lifetime;
  return std::move(token.access_token);
}

std::string describe_token_error(const TokenError& error, const std::string& platform, const std::string& credential) {
  std::string words = error.error;
  if (!error.description.empty()) words += ": " + error.description;
  if (error.auth_failed) {
    const bool grant = error.error == "invalid_grant";
    return platform + ": " + (grant ? "refresh token rejected (" : "OAuth client rejected (") + words +
           "); authorize again and replace " + (grant ? "refresh_token" : "client_id/client_secret") +
           " in credential '" + credential + "'";
  }
  return platform + ": token refresh failed (" + words + ")";
}

}  // namespace herald
