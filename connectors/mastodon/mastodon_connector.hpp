#pragma once
// The `mastodon` channel: a status on any Mastodon instance, with a user
// access token (Bearer). Media go up first (`POST /api/v2/media`, the file
// and its alt text as `description`); an attachment Mastodon processes in
// the background (202, `url` null) is asked about with `GET
// /api/v1/media/:id` until it is ready, and meanwhile publish answers
// Processing so no worker waits. Each attachment id is kept in the
// ConnectorState under the delivery and the file's SHA-256, so a retry or a
// restart does not upload again. Then one `POST /api/v1/statuses` with an
// `Idempotency-Key` derived from the delivery key and a hash of the
// content: the same on every retry and after a restart, another when the
// text is edited. Mastodon answers a repeat of a key it holds (for an hour)
// with the first status, so a repeat is safe; a repeat more than
// kIdempotencyTrust after the key was first sent, after a lost answer, looks
// the status up first. The instance's own limits (`GET /api/v2/instance`)
// are read and kept for a day, and a status over them is never sent.

#include "config/local_time.hpp"
#include "config/settings.hpp"
#include "connectors/connector.hpp"
#include "connectors/connector_state.hpp"
#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "connectors/secret.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace herald {

/// What the mastodon connector needs from its credential file.
struct MastodonCredentials {
  Secret access_token;
};

/// Reads MastodonCredentials from a file loaded with
/// credential_keys(ChannelKind::mastodon).
MastodonCredentials mastodon_credentials(const Credentials& file);

/// What a status is made of, as far as its identity goes: two attempts
/// with the same content are the same status.
struct MastodonStatusContent {
  std::string text, spoiler_text, visibility, language;
  /// Each attached file's SHA-256 (hex) and its alt text, in order.
  std::vector<std::pair<std::string, std::string>> media;
  /// The status this one replies to (a first comment); empty for a post.
  std::string in_reply_to = {};
};

/// The Idempotency-Key for a delivery's status: "herald-" and the SHA-256
/// (hex) of the delivery key and every part of `content`, each
/// length-prefixed. Deterministic: the same for every attempt and after a
/// restart; another for an edited text, content warning, visibility,
/// language, file or alt text.
std::string mastodon_idempotency_key(std::string_view delivery_key, const MastodonStatusContent& content);

/// Where the connector remembers an uploaded attachment in the
/// ConnectorState: "mastodon:<account>:<delivery key>:<sha256 of the file>",
/// `account` being the instance URL and, when set, "/@" + the channel's account.
std::string mastodon_media_state_key(const std::string& account, const std::string& delivery_key,
                                     const std::string& sha256_hex);

/// Where the connector remembers a status it sent (when the key was first
/// sent; the status once Mastodon answered it):
/// "mastodon:<account>:status:<idempotency key>".
std::string mastodon_status_state_key(const std::string& account, const std::string& idempotency_key);

/// A Mastodon timestamp: ISO 8601 with a fraction of any length and Z or an
/// offset (2026-12-02T10:05:00.000000Z, as X-RateLimit-Reset and created_at
/// come); nullopt if it is not one.
std::optional<Instant> parse_mastodon_time(std::string_view text);

/// How long to wait before asking again about an attachment still being
/// processed, by how long ago it was uploaded: 5 s at first, growing with
/// its age, at most 60 s.
std::chrono::seconds mastodon_processing_wait(std::chrono::seconds since_uploaded);

/// The wait a Mastodon answer asks for: `Retry-After` if given, else until
/// `X-RateLimit-Reset` (an ISO 8601 timestamp, docs.joinmastodon.org
/// api/rate-limits); nullopt when neither is readable.
std::optional<std::chrono::seconds> mastodon_rate_limit_wait(const HttpResponse& response, Instant now);

/// What a non-2xx Mastodon answer means (entities/Error: {"error"}): 429
/// RetryLater with mastodon_rate_limit_wait; 401 and 403 AuthFailed; 5xx
/// RetryLater; other 4xx Failed; each with Mastodon's `error` words and the
/// HTTP status. nullopt for a 2xx. A transport error is RetryLater.
std::optional<PublishResult> classify_mastodon(const HttpResponse& response, Instant now);

/// The limits an instance sets on statuses (GET /api/v2/instance:
/// configuration.statuses).
struct MastodonLimits {
  std::size_t max_characters = 500;
  std::size_t characters_reserved_per_url = 23;
  std::size_t max_media_attachments = 4;
};

/// Largest file the connector reads: compose/media.cpp's limit for a
/// Mastodon video (it checks each type's own limit before publishing).
inline constexpr std::size_t kMastodonMaxFileBytes = 99u * 1024 * 1024;

/// Publishes statuses to a Mastodon instance.
class MastodonConnector : public Connector {
 public:
  using Clock = std::function<Instant()>;

  /// Requests go to `channel.api_base` if set, else `channel.instance`
  /// (a trailing '/' trimmed), with the access token as a Bearer token on
  /// every one. `state` keeps attachments, sent keys and the instance's
  /// limits (durable in the daemon); `clock` dates them and the rate-limit
  /// waits.
  MastodonConnector(ChannelSettings channel, MastodonCredentials credentials, HttpClient& http, ConnectorState& state,
                    Clock clock);

  /// A repeat is safe: the Idempotency-Key makes it the same status.
  SettlePolicy settle_policy() const override;
  /// A first comment's reply carries its own Idempotency-Key: a repeat is safe too.
  SettlePolicy comment_settle_policy() const override { return settle_policy(); }
  /// Uploads the media (or goes on with what earlier attempts uploaded;
  /// Processing while one is not ready), measures the status against the
  /// instance's limit, then creates it with the Idempotency-Key. Only the
  /// create can end Unsure.
  PublishResult publish(const PublishRequest& request) override;
  /// Found when one of the account's 40 newest statuses shows
  /// composed.text (mastodon_content_matches), made no earlier than this
  /// content was first sent; Absent when none does; Unknown when they
  /// cannot be read or the status has no text.
  /// For a first comment (request.comment_on): among the replies below the
  /// post (GET /api/v1/statuses/:id/context, `descendants`), one by this
  /// account replying to the post itself with composed.text.
  LookupResult lookup(const PublishRequest& request) override;
  /// Mastodon counts favourites, boosts, quotes and replies of every status.
  bool reads_counters() const override { return true; }
  /// GET /api/v1/statuses/:id: favourites_count (likes), reblogs_count and,
  /// from Mastodon 4.5, quotes_count (shares), replies_count (replies). A
  /// 404 (the status was deleted, or the token may no longer see it) is Gone.
  CountersResult read_counters(const CountersRequest& request) override;

  /// How long Mastodon keeps an Idempotency-Key (docs.joinmastodon.org,
  /// methods/statuses: "Idempotency keys are stored for up to 1 hour").
  static constexpr std::chrono::seconds kIdempotencyWindow{3600};
  /// How long after a key was first sent herald still relies on it; after
  /// that a repeat following a lost answer looks the status up first
  /// (margin for clocks and for a create that completed late).
  static constexpr std::chrono::seconds kIdempotencyTrust{50 * 60};
  /// How long Mastodon may go on with a create after herald stopped waiting.
  static constexpr std::chrono::seconds kSettleMargin{120};
  /// How long an attachment may stay in processing before herald gives up on it.
  static constexpr std::chrono::seconds kProcessingBound{30 * 60};
  /// How long the instance's limits are kept before they are read again.
  static constexpr std::chrono::seconds kLimitsLifetime{24 * 3600};
  /// How many of the account's newest statuses a lookup reads (the API's maximum).
  static constexpr int kLookupStatuses = 40;

 private:
  struct Attachment;
  struct Sent;
  HttpRequest request(std::string method, const std::string& path) const;
  MastodonLimits limits();
  std::variant<Attachment, PublishResult> attachment(const std::string& delivery_key, const std::string& path,
                                                     const std::string& bytes, const std::string& sha256,
                                                     const std::string& alt);
  std::variant<Attachment, PublishResult> upload(const std::string& path, const std::string& bytes,
                                                 const std::string& alt);
  std::optional<PublishResult> poll(Attachment& attachment, const std::string& state_key);
  std::variant<std::string, LookupResult> account_id();
  /// The reply by this account to `parent` that shows `text`, among the
  /// parent's descendants; Absent when the parent itself is gone.
  LookupResult find_reply(const std::string& parent, const std::string& text, const std::string& spoiler_text);
  LookupResult find_status(const std::string& text, const std::string& spoiler_text, std::optional<Instant> not_before);
  std::optional<Sent> sent(const std::string& state_key);
  void remember_published(const std::string& state_key, const Sent& sent, const std::string& id,
                          const std::string& url);

  ChannelSettings channel_;
  MastodonCredentials credentials_;
  HttpClient& http_;
  ConnectorState& state_;
  Clock clock_;
  std::string base_;     ///< where requests go: api_base or instance, no trailing '/'
  std::string account_;  ///< the account's identity in state keys
  std::mutex mutex_;
  std::string account_id_;  ///< from verify_credentials, once read
};

}  // namespace herald
