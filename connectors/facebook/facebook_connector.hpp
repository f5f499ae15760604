#pragma once
// The `facebook` channel: a Facebook Page through the Graph API, with a Page
// access token. A post is `POST /{version}/{page-id}/feed` (message, link),
// or `POST /{version}/{page-id}/photos` (multipart, one image with the
// message as caption); its URL is read back as `permalink_url`. A crash
// lookup reads the Page's recent posts.

#include "config/local_time.hpp"
#include "config/settings.hpp"
#include "connectors/connector.hpp"
#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "connectors/oauth1.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace herald {

/// What the facebook connector needs from its credential file.
struct FacebookCredentials {
  Secret page_token;
};

/// Reads FacebookCredentials from a file loaded with
/// credential_keys(ChannelKind::facebook).
FacebookCredentials facebook_credentials(const Credentials& file);

/// One part of a multipart/form-data body (RFC 7578).
struct FormPart {
  std::string name;
  std::string content;
  std::string filename;      ///< set for a file part
  std::string content_type;  ///< set for a file part
};

/// A multipart/form-data body of `parts` separated by `boundary`, which must
/// not occur in any part.
std::string multipart_body(const std::vector<FormPart>& parts, const std::string& boundary);

/// Largest image file the connector reads (Facebook's photo limit is 4 MB;
/// compose/media.cpp checks that before publishing).
inline constexpr std::size_t kFacebookMaxImageBytes = 10 * 1024 * 1024;

/// Publishes to a Facebook Page.
class FacebookConnector : public Connector {
 public:
  using Clock = std::function<Instant()>;

  /// `channel.page_id` names the Page, `channel.api_version` the Graph
  /// version in every path; `channel.api_base`, if set, replaces
  /// https://graph.facebook.com. `clock` dates the rate-limit waits.
  FacebookConnector(ChannelSettings channel, FacebookCredentials credentials, HttpClient& http, Clock clock);

  /// Creates the post (a photo post when composed.media holds one image) and
  /// reads its permalink; a failed permalink read falls back to
  /// https://www.facebook.com/{post-id}, never to a failure.
  PublishResult publish(const PublishRequest& request) override;
  /// Found if one of the Page's last 100 posts has exactly composed.text as
  /// its message.
  LookupResult lookup(const PublishRequest& request) override;

 private:
  struct Create;
  Create create_feed(const Composed& composed);
  Create create_photo(const Composed& composed);
  Create created(const HttpResponse& response, bool photo);
  std::string permalink(const std::string& post_id);
  HttpRequest request(std::string method, const std::string& path_and_query);

  ChannelSettings channel_;
  FacebookCredentials credentials_;
  HttpClient& http_;
  Clock clock_;
  std::string base_;  ///< base URL with the version: https://graph.facebook.com/v21.0
};

}  // namespace herald
