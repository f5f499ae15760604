#pragma once
// The `x` channel: X API v2 with OAuth 1.0a user context. A post is
// `POST /2/tweets`; a thread is the first post and then each reply to the one
// before; a crash lookup reads the user's recent posts. Media upload is not
// implemented yet.

#include "config/local_time.hpp"
#include "config/settings.hpp"
#include "connectors/connector.hpp"
#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "connectors/oauth1.hpp"

#include <functional>
#include <string>

namespace herald {

/// What the x connector needs from its credential file.
struct XCredentials {
  OAuth1Credentials oauth;
  std::string user_id;  ///< the account's numeric id, for lookups; may be empty
};

/// Reads XCredentials from a file loaded with credential_keys(ChannelKind::x).
XCredentials x_credentials(const Credentials& file);

/// A fresh random OAuth nonce (32 hex digits).
std::string random_nonce();

/// Publishes to X.
class XConnector : public Connector {
 public:
  using NonceSource = std::function<std::string()>;
  using Clock = std::function<Instant()>;

  /// `channel.account` names the account in URLs; `channel.api_base`, if set,
  /// replaces https://api.x.com. `nonce` and `clock` feed the signatures (and
  /// `clock` the rate-limit waits), so tests can make them deterministic.
  XConnector(ChannelSettings channel, XCredentials credentials, HttpClient& http, NonceSource nonce,
             Clock clock);

  /// Posts composed.text, then each of composed.thread as a reply to the one
  /// before. Published carries the first post. If a reply fails after the
  /// first post went out, the result is Failed naming what went out: retrying
  /// would duplicate the posts already made, so a person settles it.
  PublishResult publish(const PublishRequest& request) override;
  /// Found if one of the user's last 100 posts has exactly composed.text.
  LookupResult lookup(const PublishRequest& request) override;

 private:
  struct Create;
  Create create(const std::string& text, const std::string& in_reply_to);
  HttpRequest sign(std::string method, std::string url, std::string body);

  ChannelSettings channel_;
  XCredentials credentials_;
  HttpClient& http_;
  NonceSource nonce_;
  Clock clock_;
  std::string base_;
};

}  // namespace herald
