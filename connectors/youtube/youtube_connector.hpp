#pragma once
// The `youtube` channel: YouTube Data API v3 with an OAuth 2.0 refresh token.
// Two kinds of delivery (compose/composer.hpp):
//  - composed.video: publish an uploaded video. videos.list reads the whole
//    snippet and status; videos.update writes them back (so tags, category,
//    language survive: update replaces every mutable field of a part) with
//    the composed description, the title when one is given, and
//    status.privacyStatus = composed.privacy.
//  - composed.video_file: upload it with the resumable protocol. The session
//    URI is kept in the ConnectorState under "youtube_upload:" + key before
//    any byte is sent, so a retry or a restart resumes the same session
//    instead of uploading a second video; the finished video's id is kept
//    under "youtube_uploaded:" + key, so a crash after completion is found.
// URLs: https://www.googleapis.com/youtube/v3/videos and
// /upload/youtube/v3/videos; the token endpoint is
// https://oauth2.googleapis.com/token. When channel.api_base is set (the
// sandbox), all three live under it: api_base + "/youtube/v3/videos",
// api_base + "/upload/youtube/v3/videos" and api_base + "/token".

#include "config/local_time.hpp"
#include "config/settings.hpp"
#include "connectors/connector.hpp"
#include "connectors/connector_state.hpp"
#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "connectors/secret.hpp"
#include "connectors/oauth2_session.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace herald {

/// What the youtube connector needs from its credential file.
struct YoutubeCredentials {
  std::string client_id;
  Secret client_secret;
  Secret refresh_token;
};

/// Reads YoutubeCredentials from a file loaded with credential_keys(ChannelKind::youtube).
YoutubeCredentials youtube_credentials(const Credentials& file);

/// Tunables of the youtube connector.
struct YoutubeOptions {
  /// Bytes per upload request; a multiple of 256 KiB, as the protocol requires.
  std::size_t chunk_size = 8 * 1024 * 1024;
};

/// Publishes to YouTube.
class YoutubeConnector : public Connector {
 public:
  using Clock = std::function<Instant()>;

  /// `channel.credentials` names the credential (the rotated refresh token
  /// is kept under "oauth2_refresh_token:" + that name in `state`);
  /// `channel.api_base`, if set, replaces https://www.googleapis.com and the
  /// token endpoint (see above). `clock` feeds token expiry and quota waits.
  /// Throws std::invalid_argument when options.chunk_size is not a positive
  /// multiple of 256 KiB.
  YoutubeConnector(ChannelSettings channel, YoutubeCredentials credentials, HttpClient& http, ConnectorState& state,
                   Clock clock, YoutubeOptions options = {});

  /// A repeat is safe: videos.update writes the same snippet and status
  /// again, and an upload resumes (or finds complete) the session kept in the
  /// ConnectorState before its first byte, never starting a second video.
  SettlePolicy settle_policy() const override { return {true, kSettleMargin}; }
  /// Publishes composed.video or uploads composed.video_file.
  PublishResult publish(const PublishRequest& request) override;
  /// Existing video: Found when its privacy and description are the target's.
  /// Upload: Found when the stored session (or record) shows it complete.
  LookupResult lookup(const PublishRequest& request) override;
  /// YouTube keeps statistics for every video.
  bool reads_counters() const override { return true; }
  /// videos.list part=statistics (strings read as integers): viewCount
  /// (views), likeCount (likes), commentCount (replies). A video YouTube no
  /// longer lists (deleted) is Gone; the daily quota spent is RetryLater
  /// until midnight Pacific Time.
  CountersResult read_counters(const CountersRequest& request) override;

  /// How long Google may go on with a request after herald stopped waiting.
  static constexpr std::chrono::seconds kSettleMargin{120};

 private:
  struct Sent;
  Sent send(HttpRequest request);
  PublishResult publish_existing(const PublishRequest& request);
  PublishResult upload(const PublishRequest& request);
  PublishResult finish_upload(const PublishRequest& request, const std::string& body);
  LookupResult lookup_existing(const PublishRequest& request);
  LookupResult lookup_upload(const PublishRequest& request);

  ChannelSettings channel_;
  std::string credential_name_;
  HttpClient& http_;
  ConnectorState& state_;
  Clock clock_;
  YoutubeOptions options_;
  std::string base_;
  OAuth2Session session_;
};

}  // namespace herald
