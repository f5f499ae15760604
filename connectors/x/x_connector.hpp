#pragma once
// The `x` channel: X API v2 with OAuth 1.0a user context, or an OAuth 2.0
// user access token (Authorization Code with PKCE, scopes tweet.read
// tweet.write users.read offline.access media.write) refreshed from a refresh
// token at POST /2/oauth2/token. X rotates refresh tokens on every refresh:
// OAuth2Session stores the new one in the ConnectorState before its access
// token is used. A post is `POST /2/tweets`; a thread is the first post and
// then each reply to the one before; a crash lookup reads the user's recent
// posts. Media (x_media.hpp) goes up through the v2 chunked upload before the
// first post and is attached to it.

#include "config/local_time.hpp"
#include "config/settings.hpp"
#include "connectors/connector.hpp"
#include "connectors/connector_state.hpp"
#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "connectors/oauth1.hpp"
#include "connectors/oauth2.hpp"
#include "connectors/oauth2_session.hpp"
#include "connectors/x/x_media.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// An X OAuth 2.0 client and the refresh token a user granted it.
struct XOAuth2Credentials {
  std::string client_id;
  std::optional<Secret> client_secret;  ///< confidential client (HTTP Basic at the token endpoint); none: public
  Secret refresh_token;                 ///< the credential file's; a rotated one lives in the ConnectorState
};

/// What the x connector needs from its credential file.
struct XCredentials {
  OAuth1Credentials oauth;  ///< OAuth 1.0a user context; unused when oauth2 is set
  std::string user_id;      ///< the account's numeric id, for lookups; may be empty
  std::optional<XOAuth2Credentials> oauth2 = std::nullopt;  ///< set: OAuth 2.0 user context instead
};

/// Reads XCredentials from a file loaded with credential_keys(ChannelKind::x):
/// OAuth 2.0 when it has client_id, else OAuth 1.0a.
XCredentials x_credentials(const Credentials& file);

/// The token endpoint for `api_base` (empty: https://api.x.com/2/oauth2/token).
std::string x_token_url(std::string_view api_base);

/// What a failed refresh means for a publish: AuthFailed when an operator
/// must authorize again (X refuses a spent or revoked refresh token with
/// 400 invalid_request "Value passed for the token was invalid."), else
/// RetryLater. The message names the credential, never a token.
PublishResult x_token_problem(const TokenError& error, const std::string& credential);

/// Whether a post's text as X returns it is `composed`: the same, or, for a
/// post with media, `composed` followed by X's " https://t.co/..." media link.
bool x_text_matches(std::string_view posted, std::string_view composed, bool with_media);

/// A fresh random OAuth nonce (32 hex digits).
std::string random_nonce();

/// Publishes to X.
class XConnector : public Connector {
 public:
  using NonceSource = std::function<std::string()>;
  using Clock = std::function<Instant()>;
  using Sleeper = XSleeper;

  /// `channel.account` names the account in URLs; `channel.api_base`, if set,
  /// replaces https://api.x.com. `nonce` and `clock` feed the signatures (and
  /// `clock` the rate-limit waits), so tests can make them deterministic.
  /// `sleep` waits between media STATUS polls (default: the thread sleeps);
  /// `media` sets the APPEND segment size and the processing wait bound.
  /// Throws std::invalid_argument for OAuth 2.0 credentials, whose rotating
  /// refresh token needs the ConnectorState constructor below.
  XConnector(ChannelSettings channel, XCredentials credentials, HttpClient& http, NonceSource nonce,
             Clock clock, Sleeper sleep = {}, XMediaOptions media = {});
  /// Either kind of credentials. With OAuth 2.0, `channel.credentials` (else
  /// the channel name) names the credential: the rotated refresh token is
  /// kept under refresh_token_state_key(that name) in `state`; the token
  /// endpoint is x_token_url(channel.api_base).
  XConnector(ChannelSettings channel, XCredentials credentials, HttpClient& http, ConnectorState& state,
             NonceSource nonce, Clock clock, Sleeper sleep = {}, XMediaOptions media = {});
  ~XConnector() override;
  XConnector(XConnector&&) noexcept;

  /// X has no idempotency key: a repeat could make a second post, so an
  /// unsure create is settled by lookups, and absence counts only after the
  /// margin.
  SettlePolicy settle_policy() const override { return {false, kSettleMargin}; }
  /// Uploads composed.media, then posts composed.text with the media ids,
  /// then each of composed.thread as a reply to the one before. Published
  /// carries the first post. A media failure comes before any post, so it is
  /// RetryLater, Failed or AuthFailed, never Unsure. X's refusal of the first
  /// post as a copy of one the account has is Duplicate. If a reply fails
  /// after the first post went out (a Duplicate included), the result is
  /// Failed naming what went out: retrying would duplicate the posts already
  /// made, so a person settles it.
  /// With request.comment_on, the text goes out as a reply to that post
  /// (no media, no thread); a post X says is deleted is Failed.
  PublishResult publish(const PublishRequest& request) override;
  /// Found if one of the user's last 100 posts has exactly composed.text
  /// (followed by X's media link when the post carries media); for a first
  /// comment, the one among them that replies to the post with that text.
  LookupResult lookup(const PublishRequest& request) override;
  /// X keeps public_metrics for every post.
  bool reads_counters() const override { return true; }
  /// The post's public_metrics (GET /2/tweets?ids=ID&tweet.fields=public_metrics):
  /// impression_count (views), like_count (likes), retweet_count and
  /// quote_count (shares), reply_count (replies), bookmark_count (none).
  /// A post X does not have (its "Not Found Error") is Gone.
  CountersResult read_counters(const CountersRequest& request) override;

  /// How long after herald stopped waiting X may still complete a create
  /// (and a lookup may not yet show it).
  static constexpr std::chrono::seconds kSettleMargin{120};

 private:
  struct Create;
  struct UploadCache;
  XConnector(ChannelSettings channel, XCredentials credentials, HttpClient& http, ConnectorState* state,
             NonceSource nonce, Clock clock, Sleeper sleep, XMediaOptions media);
  Create create(const std::string& text, const std::string& in_reply_to, const std::vector<std::string>& media_ids);
  /// A first comment: the reply to request.comment_on.
  PublishResult publish_reply(const PublishRequest& request);
  /// Authorizes `request` (OAuth 1.0a signature, or a Bearer token refreshed
  /// once more after a 401) and sends it.
  XSent send(const HttpRequest& request);
  std::string oauth1_header(std::string_view method, std::string_view url);
  /// Uploads each file, reusing ids this delivery already got and that have
  /// not expired; fills `ids` or returns why not.
  std::optional<PublishResult> upload_media(const PublishRequest& request, std::vector<std::string>& ids);

  ChannelSettings channel_;
  XCredentials credentials_;
  HttpClient& http_;
  NonceSource nonce_;
  Clock clock_;
  Sleeper sleep_;
  XMediaOptions media_options_;
  std::string base_;
  std::string credential_name_;
  std::unique_ptr<OAuth2Session> session_;  // set for OAuth 2.0 credentials
  std::unique_ptr<UploadCache> uploads_;    // media ids of deliveries not yet published
};

}  // namespace herald
