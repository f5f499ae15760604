#pragma once
// The `x` channel: X API v2 with OAuth 1.0a user context. A post is
// `POST /2/tweets`; a thread is the first post and then each reply to the one
// before; a crash lookup reads the user's recent posts. Media (x_media.hpp)
// goes up through the v2 chunked upload before the first post and is attached
// to it.

#include "config/local_time.hpp"
#include "config/settings.hpp"
#include "connectors/connector.hpp"
#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "connectors/oauth1.hpp"
#include "connectors/x/x_media.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// What the x connector needs from its credential file.
struct XCredentials {
  OAuth1Credentials oauth;
  std::string user_id;  ///< the account's numeric id, for lookups; may be empty
};

/// Reads XCredentials from a file loaded with credential_keys(ChannelKind::x).
XCredentials x_credentials(const Credentials& file);

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
  XConnector(ChannelSettings channel, XCredentials credentials, HttpClient& http, NonceSource nonce,
             Clock clock, Sleeper sleep = {}, XMediaOptions media = {});
  ~XConnector() override;
  XConnector(XConnector&&) noexcept;

  /// Uploads composed.media, then posts composed.text with the media ids,
  /// then each of composed.thread as a reply to the one before. Published
  /// carries the first post. A media failure comes before any post, so it is
  /// RetryLater, Failed or AuthFailed, never Unsure. If a reply fails after
  /// the first post went out, the result is Failed naming what went out:
  /// retrying would duplicate the posts already made, so a person settles it.
  PublishResult publish(const PublishRequest& request) override;
  /// Found if one of the user's last 100 posts has exactly composed.text
  /// (followed by X's media link when the post carries media).
  LookupResult lookup(const PublishRequest& request) override;

 private:
  struct Create;
  struct UploadCache;
  Create create(const std::string& text, const std::string& in_reply_to, const std::vector<std::string>& media_ids);
  HttpRequest sign(std::string method, std::string url, std::string body);
  std::string authorization(std::string_view method, std::string_view url);
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
  std::unique_ptr<UploadCache> uploads_;  // media ids of deliveries not yet published
};

}  // namespace herald
