#pragma once
// The WordPress REST API (wp/v2) part of herald-sandbox: posts (create, list
// by slug and status, read, update by id, trash), the approved comments on a
// post (listed, X-WP-Total; they arrive at a rate set by the post's age on
// the sandbox clock, sandbox_engagement), the current user, categories and
// tags (search, create), media (raw-body upload, list), with Application
// Passwords over HTTP Basic auth and the capabilities of WordPress's default
// roles checked. The record of creates keeps each post's current status and
// slug (a draft published, a post trashed), so a test can count the PUBLIC
// posts at a slug.

#include "tests/sandbox/sandbox_platform.hpp"

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib
namespace YAML {
class Node;
}  // namespace YAML

namespace herald {

struct WordpressSandboxConfig {
  /// One site user and the Application Passwords it may sign in with.
  struct User {
    std::int64_t id = 1;
    std::string login;
    /// A default WordPress role: administrator, editor, author, contributor
    /// or subscriber; it decides what the user may do.
    std::string role = "administrator";
    /// As WordPress shows them (groups of four, spaces ignored when checked).
    std::vector<std::string> app_passwords;
  };
  /// The site's public address, used in `link` and `source_url`.
  std::string site = "https://blog.example.com";
  std::vector<User> users;
  /// Category names present from the start, after "Uncategorized" (id 1).
  std::vector<std::string> categories;
  /// Tag names present from the start.
  std::vector<std::string> tags;
};

/// Reads the `wordpress:` section of the sandbox YAML.
WordpressSandboxConfig load_wordpress_sandbox_config(const YAML::Node& node, const std::string& file);

/// Whether a WordPress role has a capability (edit_posts, delete_posts,
/// publish_posts, edit_published_posts, delete_published_posts, upload_files,
/// edit_others_posts, delete_others_posts, manage_categories,
/// unfiltered_html), as WordPress's default roles grant them on a single site.
bool wordpress_role_can(std::string_view role, std::string_view capability);

/// What kses does to the `&` of a title saved by a user without
/// unfiltered_html (wp_kses_normalize_entities): a `&` that does not start a
/// character reference becomes `&amp;`; `&amp;`, `&lt;`, `&#38;`, `&#x26;`
/// stay. Tags are not emulated.
std::string wordpress_kses_entities(std::string_view text);

/// The slug WordPress makes of a title or name (sanitize_title): lower case,
/// a-z 0-9 '_' '-', runs of spaces and hyphens as one hyphen, none at the ends.
std::string wordpress_sanitize_slug(std::string_view text);

class WordpressSandbox : public SandboxPlatform {
 public:
  explicit WordpressSandbox(Sandbox& sandbox);
  void install(httplib::Server& server) override;
  void reset() override;
  void remove_post(const std::string& id) override;

 private:
  using User = WordpressSandboxConfig::User;
  struct Term {
    std::int64_t id = 0;
    std::string name, slug;
    std::int64_t count = 0;
  };
  struct Post {
    std::int64_t id = 0;
    std::string slug, status, title, content, excerpt, date;
    std::int64_t author = 0, featured_media = 0;
    std::vector<std::int64_t> categories, tags;
    std::int64_t published_ms = 0;  ///< when it was first published, on the sandbox clock (0: never)
  };
  struct Media {
    std::int64_t id = 0;
    std::string slug, title, mime_type, source_url, date;
    std::int64_t author = 0;
    std::size_t size = 0;
  };
  /// Who made the request: nobody (no Basic credentials), a user, or an
  /// answered authentication error.
  struct Caller {
    bool rejected = false;
    const User* user = nullptr;
  };

  Caller authenticate(const httplib::Request& req, httplib::Response& res) const;
  void create_post(const httplib::Request& req, httplib::Response& res);
  void list_posts(const httplib::Request& req, httplib::Response& res);
  void get_post(const std::string& id, const httplib::Request& req, httplib::Response& res);
  void list_comments(const httplib::Request& req, httplib::Response& res);
  /// Whether `caller` may read `post` (WP_REST_Posts_Controller::check_read_permission):
  /// anyone a published one, else a user who may edit it.
  bool may_read(const User* caller, const Post& post) const;
  /// Whether `caller` may edit `post` (the edit_post capability of its status and author).
  bool may_edit(const User* caller, const Post& post) const;
  void update_post(const std::string& id, const httplib::Request& req, httplib::Response& res);
  void delete_post(const std::string& id, const httplib::Request& req, httplib::Response& res);
  void current_user(const httplib::Request& req, httplib::Response& res);
  void list_terms(const std::string& taxonomy, const httplib::Request& req, httplib::Response& res);
  void create_term(const std::string& taxonomy, const httplib::Request& req, httplib::Response& res);
  void upload_media(const httplib::Request& req, httplib::Response& res);
  void list_media(const httplib::Request& req, httplib::Response& res);
  void seed();
  /// wp_unique_post_slug: the first of WANTED, WANTED-2, ... that no other
  /// post (any status: trashed posts gave theirs up) holds, nor, for an
  /// attachment, any media. `self` is the post being saved.
  std::string unique_post_slug(const std::string& wanted, bool attachment, std::int64_t self = 0) const;
  Post* find_post(std::int64_t id);
  void set_slug(Post& post, const std::string& slug);
  void count_terms(const Post& post, int delta);
  void record_state(const Post& post);
  boost::json::object post_json(const Post& post, bool edit) const;
  boost::json::object term_json(const std::string& taxonomy, const Term& term) const;
  boost::json::object media_json(const Media& media) const;
  std::string now_text() const;

  Sandbox& sandbox_;
  const WordpressSandboxConfig& config_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<Term>> terms_;  // by taxonomy route: categories, tags
  std::vector<Post> posts_;  // deleted for good: status "gone"
  std::vector<Media> media_;
  // Indexes over posts_ and media_, so a create, an update or a list by slug
  // costs O(1) rather than a scan of every post (100k creates in the e2e
  // benchmark): a post's place by id, the posts holding each slug (drafts may
  // share one), the media slugs.
  std::unordered_map<std::int64_t, std::size_t> post_at_;
  std::unordered_map<std::string, std::vector<std::int64_t>> slug_posts_;
  std::unordered_set<std::string> media_slugs_;
  std::int64_t next_post_id_ = 100;  // posts and media share WordPress's wp_posts ids
  std::int64_t next_term_id_ = 2;
};

}  // namespace herald
