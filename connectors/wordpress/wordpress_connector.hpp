#pragma once
// The `wordpress` channel: the WordPress REST API (wp/v2) with an Application
// Password over HTTP Basic auth. A post is made as a draft with a slug herald
// derives from the delivery (`POST /wp-json/wp/v2/posts`, status draft), then
// published by its id (`POST /wp-json/wp/v2/posts/ID`, status publish); each
// attempt first looks at that slug, so a repeat after a lost answer publishes
// the draft it finds, or finds the post published, and never makes a second
// public post. Categories and tags are given by name and looked up or
// created; the first image of the post becomes its featured image.

#include "config/local_time.hpp"
#include "config/settings.hpp"
#include "connectors/connector.hpp"
#include "connectors/credentials.hpp"
#include "connectors/html_text.hpp"  // decode_html_entities: term names and rendered titles
#include "connectors/http_client.hpp"
#include "connectors/secret.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
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

  /// A repeat finds its own post at herald's slug and publishes that same
  /// post by id, so it is safe whatever happened to earlier attempts.
  SettlePolicy settle_policy() const override { return {true, kSettleMargin}; }
  /// Lists the posts at herald's slug (any status): a published one with
  /// composed.title is this delivery's (Published, nothing sent); another
  /// post there that is not a draft stops it (Failed). Then resolves
  /// categories and tags (creating missing ones), uploads the first image as
  /// featured media (reusing one an earlier attempt uploaded), and publishes
  /// by id the oldest draft at the slug (the other drafts to the trash), or a
  /// new draft, with the delivery's current fields; when the new draft's
  /// answer is lost it looks at the slug once more before giving up. Only
  /// the publish request can end Unsure; every failure before it is safe to
  /// retry.
  PublishResult publish(const PublishRequest& request) override;
  /// Found when a published post has herald's slug (or the -2/-3 WordPress
  /// may have added) and composed.title, compared after decoding HTML
  /// entities on both sides; a draft is Absent (not public); a published
  /// post at the slug with another title is Unknown.
  LookupResult lookup(const PublishRequest& request) override;
  /// WordPress keeps the approved comments of every post.
  bool reads_counters() const override { return true; }
  /// GET /wp/v2/posts/ID first: Gone when WordPress no longer has it (404
  /// rest_post_invalid_id) or it is in the trash. Then GET
  /// /wp/v2/comments?post=ID&per_page=1, whose X-WP-Total counts the
  /// approved comments: "comments" (replies). WordPress itself counts no
  /// views, likes or shares.
  CountersResult read_counters(const CountersRequest& request) override;

  /// How long a request may go on at WordPress after herald stopped
  /// waiting: PHP runs on when the client goes away, up to the web server's
  /// or host's own timeout (max_execution_time counts CPU time only on Linux).
  static constexpr std::chrono::seconds kSettleMargin{300};

  /// Largest image file uploaded as featured media.
  static constexpr std::size_t kMaxImageBytes = 32 * 1024 * 1024;

 private:
  struct Step;
  struct SlugPost;
  struct Listing;
  struct Survey;
  Survey survey(const std::string& slug, const std::string& title);
  Step term_id(std::string_view taxonomy, const std::string& name);
  Step featured_media(const std::filesystem::path& image, const std::string& post_slug);
  Listing posts_at(const std::string& slug);
  Step own_user_id();
  Step create_draft(boost::json::object body, const std::string& slug);
  std::optional<PublishResult> trash(std::int64_t id, const std::string& slug);
  PublishResult publish_draft(std::int64_t id, boost::json::object body, const std::string& slug);
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
