#pragma once
// A Bluesky account's session with its PDS (docs.bsky.app, "API Hosts and
// Auth"; lexicons com.atproto.server.createSession and refreshSession): an
// access JWT for requests, good for a couple of hours (its `exp` claim), and
// a refresh JWT that renews both.
//
// createSession with the handle and the app password is rate-limited hard
// (30 per 5 minutes, 300 per day per account), so the refresh JWT is what
// lasts: it is kept in the ConnectorState (durable in the daemon) and a
// restart refreshes instead of logging in. refreshSession answers a new
// refresh JWT each time and the old one stops working soon after, so the new
// one is stored before the new access JWT is used at all. Only when the
// refresh JWT is refused (expired, revoked) does the session log in again
// with the app password. Neither JWT, nor the password, ever goes into a
// message. Thread-safe: one renewal at a time.

#include "config/local_time.hpp"
#include "connectors/connector.hpp"
#include "connectors/connector_state.hpp"
#include "connectors/http_client.hpp"
#include "connectors/secret.hpp"

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

namespace herald {

/// The ConnectorState key of an account's refresh JWT: "bluesky:<handle>:refresh_jwt".
std::string bluesky_refresh_state_key(const std::string& handle);

/// Access to one account's PDS.
class BlueskySession {
 public:
  using Clock = std::function<Instant()>;

  /// An access JWT and the account it acts for.
  struct Access {
    Secret access_jwt;
    std::string did;
  };

  /// An access JWT is renewed when it has less than this left.
  static constexpr std::chrono::seconds kExpiryMargin{60};
  /// Assumed lifetime of an access JWT whose exp cannot be read.
  static constexpr std::chrono::seconds kUnknownLifetime{15 * 60};

  /// `base` is the PDS (https://bsky.social, or the sandbox) without a
  /// trailing slash; `credential` names the credential file in messages.
  BlueskySession(std::string base, std::string handle, Secret app_password, std::string credential,
                 ConnectorState& state, HttpClient& http, Clock clock);

  /// A usable access JWT: the cached one, else one from refreshSession
  /// (with the stored refresh JWT), else from createSession. Failing that,
  /// why: AuthFailed when the app password is refused, RetryLater otherwise.
  std::variant<Access, PublishResult> access();
  /// The PDS refused `access_jwt` (ExpiredToken, InvalidToken): the next
  /// access() renews, unless another call already did.
  void invalidate(const Secret& access_jwt);
  /// The account's DID once a session has told it, else empty.
  std::string did() const;

 private:
  enum class Refreshed { ok, refused, failed };
  Refreshed refresh_locked(const Secret& refresh_jwt, PublishResult& problem);
  std::optional<PublishResult> create_locked();
  std::optional<PublishResult> adopt_locked(const HttpResponse& response, const char* what);

  std::string base_;
  std::string handle_;
  Secret app_password_;
  std::string credential_;
  ConnectorState& state_;
  HttpClient& http_;
  Clock clock_;

  mutable std::mutex mutex_;
  std::optional<Secret> access_jwt_;
  Instant access_expires_{};
  std::string did_;
  /// A refresh JWT the state would not store: the newest, spent next, but
  /// its access JWT was not used.
  std::optional<Secret> unsaved_refresh_;
};

}  // namespace herald
