#pragma once
// The `wordpress` channel: the WordPress REST API (wp/v2) with an Application
// Password over HTTP Basic auth. A post is `POST /wp-json/wp/v2/posts`,
// published at once, with a slug herald derives from the delivery so a crash
// lookup can find it; categories and tags are given by name and looked up or
// created; the first image of the post becomes its featured image.

#include "config/local_time.hpp"
#include "config/settings.hpp"
#include "connectors/connector.hpp"
#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "connectors/oauth1.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

/// What the wordpress connector needs from its credential file.
struct WordpressCredentials {
  std::string user;      ///< the WordPress login name
  Secret app_password;   ///< an Application Password; WordPress's spaces may stay in
};

/// Reads WordpressCredentials from a file loaded with credential_keys(ChannelKind::wordpress).
WordpressCredentials wordpress_credentials(const Credentials& file);

/// The slug herald gives a delivery: the post id (as blog_slug does), plus the
/// occurrence part of the key (after '#') for a repeating post, reduced to
/// what WordPress keeps in a slug: a-z, 0-9 and single hyphens, no hyphen at
/// either end, at most 190 characters.
std::string wordpress_slug(const PublishRequest& request);

/// Decodes the HTML character references WordPress puts in term names and
/// rendered titles: &amp; &lt; &gt; &quot; &apos; &#NNN; &#xHH;. Anything
/// else is left as it is.
std::string decode_html_entities(std::string_view text);

/// The "Basic base64(user:password)" header value (RFC 7617). The password is
/// sent exactly as given: WordPress ignores the spaces it shows it with.
std::string basic_authorization(std::string_view user, const Secret& password);

/// Publishes to a WordPress site.
class WordpressConnector : public Connector {
 public:
  using Clock = std::function<Instant()>;

  /// Requests go to `channel.api_base` if set, else `channel.site`, under
  /// /wp-json/wp/v2/. `clock` turns an HTTP-date Retry-After into a wait.
  WordpressConnector(ChannelSettings channel, WordpressCredentials credentials, HttpClient& http, Clock clock);

  /// Resolves categories and tags to ids (creating missing ones), uploads the
  /// first image as featured media (reusing one a failed attempt uploaded),
  /// then creates the post with status publish and herald's slug.
  PublishResult publish(const PublishRequest& request) override;
  /// Found when a post (any status) has herald's slug for this delivery and
  /// composed.title; Absent when no post has that slug.
  LookupResult lookup(const PublishRequest& request) override;

  /// Largest image file uploaded as featured media.
  static constexpr std::size_t kMaxImageBytes = 32 * 1024 * 1024;

 private:
  struct Step;
  Step term_id(std::string_view taxonomy, const std::string& name);
  Step featured_media(const std::filesystem::path& image, const std::string& post_slug);
  HttpRequest authorized(std::string method, std::string url) const;
  std::string route(std::string_view path) const;
  std::string where() const;

  ChannelSettings channel_;
  WordpressCredentials credentials_;
  HttpClient& http_;
  Clock clock_;
  std::string base_;
};

}  // namespace herald
