#include "tests/sandbox/sandbox_wordpress.hpp"
#include "config/text.hpp"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <functional>
#include <map>

#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"
#include "tests/sandbox/sandbox_util.hpp"

// Sources for the emulated WordPress behaviour (WordPress 6.x core, checked 2025):
// - Endpoints, arguments and response shapes:
//   https://developer.wordpress.org/rest-api/reference/posts/ ,
//   https://developer.wordpress.org/rest-api/reference/categories/ ,
//   https://developer.wordpress.org/rest-api/reference/tags/ ,
//   https://developer.wordpress.org/rest-api/reference/media/
// - Error shape {"code","message","data":{"status"}} and the common codes:
//   https://developer.wordpress.org/rest-api/using-the-rest-api/global-parameters/
//   and https://developer.wordpress.org/rest-api/frequently-asked-questions/
// - Application Passwords over Basic auth; a bad login is 401 invalid_username
//   ("Unknown username. Check again or try your email address."), a bad
//   password 401 incorrect_password ("The provided password is an invalid
//   application password."); spaces in the password are ignored:
//   https://developer.wordpress.org/reference/functions/wp_authenticate_application_password/ ,
//   https://developer.wordpress.org/reference/functions/rest_application_password_check_errors/ ,
//   https://make.wordpress.org/core/2020/11/05/application-passwords-integration-guide/
// - Without credentials a request is anonymous: creating answers 401
//   rest_cannot_create, and 403 for a signed-in user without the capability
//   (rest_authorization_required_code()).
// - status=any without edit_posts: the status sanitizer's rest_forbidden_status
//   is wrapped by WP_REST_Request::sanitize_params into 400 rest_invalid_param
//   "Invalid parameter(s): status" with params and details:
//   https://developer.wordpress.org/reference/classes/wp_rest_posts_controller/sanitize_post_statuses/ ,
//   https://developer.wordpress.org/reference/classes/wp_rest_request/sanitize_params/
// - Publishing without publish_posts: 403 rest_cannot_publish
//   (WP_REST_Posts_Controller::handle_status_param). Empty post: 400
//   empty_content "Content, title, and excerpt are empty." Unknown featured
//   image: 400 rest_invalid_featured_media "Invalid featured media ID.".
// - Duplicate term: 400 term_exists with data.term_id:
//   https://developer.wordpress.org/reference/classes/wp_rest_terms_controller/create_item/
//   Creating a category needs manage_categories; a tag needs assign_terms
//   (edit_posts). Term names come back HTML-escaped (&amp;).
// - Media upload with the file as the body: rest_upload_no_data,
//   rest_upload_no_content_type, rest_upload_no_content_disposition (400);
//   https://github.com/WP-API/WP-API/issues/2609 shows the body.
// - Slugs (wp_unique_post_slug, called by wp_insert_post on every save):
//   a draft or pending post keeps the slug it is given, so drafts may share
//   one; any other status gets the first free of SLUG, SLUG-2, SLUG-3, ...
//   among all posts of the type in any status except itself ("SELECT
//   post_name FROM wp_posts WHERE post_name = %s AND post_type = %s AND ID !=
//   %d"), so a draft holding the slug pushes a post being published to -2;
//   attachment slugs are unique across every post type:
//   https://developer.wordpress.org/reference/functions/wp_unique_post_slug/
//   Trashing renames the slug to SLUG__trashed, so a trashed post no longer
//   holds it (wp_add_trashed_suffix_to_post_name_for_post, called from
//   wp_insert_post): https://developer.wordpress.org/reference/functions/wp_add_trashed_suffix_to_post_name_for_post/
// - Update: POST /wp/v2/posts/<id> with any of the create arguments; a
//   status change to publish needs publish_posts (403 rest_cannot_publish),
//   editing another user's post edit_others_posts and a published one
//   edit_published_posts (403 rest_cannot_edit "Sorry, you are not allowed
//   to edit this post."); an unknown id is 404 rest_post_invalid_id
//   "Invalid post ID.": https://developer.wordpress.org/rest-api/reference/posts/#update-a-post
//   and WP_REST_Posts_Controller::update_item_permissions_check.
// - Delete: DELETE /wp/v2/posts/<id> moves the post to the trash and answers
//   it (status trash); force=true deletes it for good and answers
//   {"deleted":true,"previous":{...}}; trashing it again is 410
//   rest_already_trashed "The post has already been deleted."; deleting
//   needs delete_posts (own), delete_published_posts (own published),
//   delete_others_posts (403 rest_cannot_delete "Sorry, you are not allowed
//   to delete this post."): https://developer.wordpress.org/rest-api/reference/posts/#delete-a-post
//   and WP_REST_Posts_Controller::delete_item.
// - Read one post: GET /wp/v2/posts/<id>; an unknown or deleted id is 404
//   rest_post_invalid_id; a post that is not published (a draft, one in the
//   trash) is read only by a user who may edit it, else 401/403
//   rest_forbidden "Sorry, you are not allowed to do that."
//   (WP_REST_Posts_Controller::get_item_permissions_check and
//   check_read_permission): https://developer.wordpress.org/rest-api/reference/posts/#retrieve-a-post
// - Comments: GET /wp/v2/comments?post=<id>&per_page=N lists the approved
//   comments (status approve, type comment by default) with the collection
//   headers X-WP-Total and X-WP-TotalPages; a post the caller may not read
//   is 401/403 rest_cannot_read_post "Sorry, you are not allowed to read the
//   post for this comment."; a post that does not exist simply has none; the
//   comments of a trashed post become post-trashed, so none is listed:
//   https://developer.wordpress.org/rest-api/reference/comments/#list-comments ,
//   https://developer.wordpress.org/rest-api/using-the-rest-api/pagination/ ,
//   WP_REST_Comments_Controller::get_items_permissions_check and
//   wp_trash_post_comments(). The sandbox makes up the approved comments of
//   a published post from its age on the sandbox clock (sandbox_engagement).
// - The signed-in user: GET /wp/v2/users/me; anonymous is 401
//   rest_not_logged_in "You are not currently logged in.":
//   https://developer.wordpress.org/rest-api/reference/users/#retrieve-a-user
// - kses on titles: for a user without unfiltered_html, kses_init_filters
//   hooks wp_filter_kses to title_save_pre, and kses normalises entities, so
//   "Fish & chips" is stored as "Fish &amp; chips"
//   (https://developer.wordpress.org/reference/functions/kses_init_filters/ ,
//   https://developer.wordpress.org/reference/functions/wp_kses_normalize_entities/);
//   on a single site only Editor and Administrator have unfiltered_html
//   (https://wordpress.org/documentation/article/roles-and-capabilities/#unfiltered_html).
// - A fatal error answers 500 internal_server_error "There has been a critical
//   error on this website." (WP_Fatal_Error_Handler). WordPress itself does not
//   rate-limit; the 429 with Retry-After is what hosts and security plugins send.

namespace herald {
namespace json = boost::json;

namespace {

constexpr const char* kPostsRoute = "/wp-json/wp/v2/posts";
constexpr const char* kMediaRoute = "/wp-json/wp/v2/media";

void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message,
                json::object data = {}) {
  data["status"] = status;
  send_json(res, status, json::serialize(json::object{{"code", code}, {"message", message}, {"data", std::move(data)}}));
}

void invalid_param(httplib::Response& res, const std::string& param, const std::string& why,
                   std::optional<json::object> detail = std::nullopt) {
  json::object data{{"params", json::object{{param, why}}}};
  if (detail) data["details"] = json::object{{param, std::move(*detail)}};
  send_error(res, 400, "rest_invalid_param", "Invalid parameter(s): " + param, std::move(data));
}

// Answers for an injected fault that ends the request here (delay when the
// sandbox stops, 429, 500); false when there is none or it acts later.
bool answer_fault(Sandbox& sandbox, const std::optional<Sandbox::Fault>& fault, httplib::Response& res) {
  if (!fault) return false;
  using Mode = Sandbox::FaultMode;
  if (fault->mode == Mode::delay && !sandbox.hold(std::chrono::milliseconds(fault->delay_ms))) {
    send_error(res, 503, "service_unavailable", "Service Unavailable");
    return true;
  }
  if (fault->mode == Mode::rate_limit) {
    res.set_header("Retry-After", std::to_string(fault->reset_in));
    send_error(res, 429, "too_many_requests", "Too many requests. Please try again later.");
    return true;
  }
  if (fault->mode == Mode::server_error) {
    json::object body{{"code", "internal_server_error"},
                      {"message",
                       "<p>There has been a critical error on this website.</p><p><a "
                       "href=\"https://wordpress.org/documentation/article/faq-troubleshooting/\">Learn more about "
                       "troubleshooting WordPress.</a></p>"},
                      {"data", json::object{{"status", 500}}},
                      {"additional_errors", json::array{}}};
    send_json(res, 500, json::serialize(body));
    return true;
  }
  return false;
}

// WordPress checks an Application Password with everything but letters and
// digits removed, so the spaced form it displays works as typed.
std::string alnum_only(std::string_view s) {
  std::string out;
  for (char c : s)
    if (std::isalnum(static_cast<unsigned char>(c))) out += c;
  return out;
}

// Term names are stored and served HTML-escaped, as sanitize_term_field does.
std::string escape_name(std::string_view s) {
  std::string out;
  for (char c : s) out += c == '&' ? std::string("&amp;") : std::string(1, c);
  return out;
}

// A string field, or the "raw" of an {"raw": ...} object; nullopt if neither.
std::optional<std::string> text_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::string();
  if (v->is_string()) return std::string(v->as_string());
  if (const auto* inner = v->if_object()) {
    if (const auto* raw = inner->if_contains("raw"); raw && raw->is_string()) return std::string(raw->as_string());
  }
  return std::nullopt;
}

std::string join_ids(const std::vector<std::int64_t>& ids) {
  std::string out;
  for (auto id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

json::array id_array(const std::vector<std::int64_t>& ids) {
  json::array out;
  for (auto id : ids) out.emplace_back(id);
  return out;
}

std::vector<std::string> comma_list(const std::string& value) {
  std::vector<std::string> out;
  for (const std::string_view piece : split(value, ','))
    if (const std::string_view item = trim(piece); !item.empty()) out.emplace_back(item);
  return out;
}

// per_page: 1 to 100, default 10, as every wp/v2 collection takes it.
std::optional<std::int64_t> per_page(const httplib::Request& req, httplib::Response& res) {
  if (!req.has_param("per_page")) return 10;
  auto n = parse_int(req.get_param_value("per_page"));
  if (!n || *n < 1 || *n > 100) {
    invalid_param(res, "per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)");
    return std::nullopt;
  }
  return *n;
}

void set_totals(httplib::Response& res, std::size_t total, std::int64_t page_size) {
  res.set_header("X-WP-Total", std::to_string(total));
  res.set_header("X-WP-TotalPages",
                 std::to_string((static_cast<std::int64_t>(total) + page_size - 1) / page_size));
}

std::optional<std::string> filename_of(const std::string& disposition) {
  const std::string l = ascii_lower(disposition);
  auto at = l.find("filename=");
  if (at == std::string::npos) return std::nullopt;
  std::string_view rest = std::string_view(disposition).substr(at + 9);
  std::string name;
  if (!rest.empty() && rest.front() == '"') {
    auto close = rest.find('"', 1);
    if (close == std::string_view::npos) return std::nullopt;
    name = std::string(rest.substr(1, close - 1));
  } else {
    name = std::string(trim(rest.substr(0, rest.find(';'))));
  }
  if (name.empty() || name.find('/') != std::string::npos) return std::nullopt;
  return name;
}

}  // namespace

bool wordpress_role_can(std::string_view role, std::string_view capability) {
  const int rank = role == "administrator" ? 5 : role == "editor" ? 4 : role == "author" ? 3
                 : role == "contributor"   ? 2 : 0;
  if (capability == "edit_posts" || capability == "delete_posts") return rank >= 2;
  if (capability == "publish_posts" || capability == "upload_files" || capability == "edit_published_posts" ||
      capability == "delete_published_posts")
    return rank >= 3;
  if (capability == "manage_categories" || capability == "edit_others_posts" ||
      capability == "delete_others_posts" || capability == "unfiltered_html")
    return rank >= 4;
  return false;
}

std::string wordpress_kses_entities(std::string_view text) {
  // How long the character reference at `at` is (&name; with a letter first,
  // &#DIGITS; or &#xHEX;), or 0 when the '&' starts none.
  auto reference_length = [&](std::size_t at) -> std::size_t {
    std::size_t i = at + 1;
    auto at_char = [&](std::size_t k) { return k < text.size() ? static_cast<unsigned char>(text[k]) : 0; };
    if (at_char(i) == '#') {
      ++i;
      const bool hex = at_char(i) == 'x' || at_char(i) == 'X';
      if (hex) ++i;
      const std::size_t digits = i;
      while (at_char(i) != 0 && (hex ? std::isxdigit(at_char(i)) : std::isdigit(at_char(i))) != 0) ++i;
      if (i == digits) return 0;
    } else {
      if (std::isalpha(at_char(i)) == 0) return 0;
      while (std::isalnum(at_char(i)) != 0) ++i;
    }
    return i < text.size() && text[i] == ';' ? i + 1 - at : 0;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '&' && reference_length(i) == 0) {
      out += "&amp;";
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string wordpress_sanitize_slug(std::string_view text) {
  std::string slug;
  bool dash = false;
  for (char c : text) {
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_') {
      if (dash && !slug.empty()) slug += '-';
      dash = false;
      slug += l;
    } else if (l == ' ' || l == '-' || l == '\t') {
      dash = true;
    }
  }
  return slug;
}

WordpressSandbox::WordpressSandbox(Sandbox& sandbox) : sandbox_(sandbox), config_(sandbox.config().wordpress) {
  seed();
}

void WordpressSandbox::seed() {
  terms_.clear();
  posts_.clear();
  media_.clear();
  post_at_.clear();
  slug_posts_.clear();
  media_slugs_.clear();
  next_post_id_ = 100;
  terms_["categories"].push_back({1, "Uncategorized", "uncategorized", 0});
  next_term_id_ = 2;
  for (const auto& [taxonomy, names] : {std::pair{"categories", &config_.categories}, std::pair{"tags", &config_.tags}}) {
    for (const auto& name : *names) {
      terms_[taxonomy].push_back({next_term_id_++, name, wordpress_sanitize_slug(name), 0});
    }
  }
}

void WordpressSandbox::reset() {
  std::lock_guard lock(mutex_);
  seed();
}

void WordpressSandbox::install(httplib::Server& server) {
  server.Post(kPostsRoute, [this](const httplib::Request& req, httplib::Response& res) { create_post(req, res); });
  server.Get(kPostsRoute, [this](const httplib::Request& req, httplib::Response& res) { list_posts(req, res); });
  server.Post(R"(/wp-json/wp/v2/posts/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    update_post(req.matches[1], req, res);
  });
  server.Get(R"(/wp-json/wp/v2/posts/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    get_post(req.matches[1], req, res);
  });
  server.Delete(R"(/wp-json/wp/v2/posts/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    delete_post(req.matches[1], req, res);
  });
  server.Get("/wp-json/wp/v2/comments",
             [this](const httplib::Request& req, httplib::Response& res) { list_comments(req, res); });
  server.Get("/wp-json/wp/v2/users/me",
             [this](const httplib::Request& req, httplib::Response& res) { current_user(req, res); });
  server.Get(R"(/wp-json/wp/v2/(categories|tags))", [this](const httplib::Request& req, httplib::Response& res) {
    list_terms(req.matches[1], req, res);
  });
  server.Post(R"(/wp-json/wp/v2/(categories|tags))", [this](const httplib::Request& req, httplib::Response& res) {
    create_term(req.matches[1], req, res);
  });
  server.Post(kMediaRoute, [this](const httplib::Request& req, httplib::Response& res) { upload_media(req, res); });
  server.Get(kMediaRoute, [this](const httplib::Request& req, httplib::Response& res) { list_media(req, res); });
  // Everything else under /wp-json: WordPress's answer for an unknown route.
  auto no_route = [](const httplib::Request&, httplib::Response& res) {
    send_error(res, 404, "rest_no_route", "No route was found matching the URL and request method.");
  };
  server.Get(R"(/wp-json(/.*)?)", no_route);
  server.Post(R"(/wp-json(/.*)?)", no_route);
  server.Delete(R"(/wp-json(/.*)?)", no_route);
}

// HTTP Basic with an Application Password. No Basic credentials at all is an
// anonymous request (WordPress lets the route's permission check answer);
// credentials that do not match are refused here, whatever the route.
WordpressSandbox::Caller WordpressSandbox::authenticate(const httplib::Request& req, httplib::Response& res) const {
  const std::string header = req.get_header_value("Authorization");
  if (header.size() < 6 || ascii_lower(header.substr(0, 6)) != "basic ") return {};
  auto decoded = base64_decode(trim(std::string_view(header).substr(6)));
  if (!decoded) return {};
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return {};
  const std::string login = decoded->substr(0, colon);
  const std::string password = alnum_only(std::string_view(*decoded).substr(colon + 1));
  auto user = std::find_if(config_.users.begin(), config_.users.end(),
                           [&](const User& u) { return u.login == login; });
  if (user == config_.users.end()) {
    send_error(res, 401, "invalid_username",
               "<strong>Error:</strong> Unknown username. Check again or try your email address.");
    return {true, nullptr};
  }
  bool match = false;
  for (const auto& known : user->app_passwords) match = equal_constant_time(alnum_only(known), password) || match;
  if (!match || password.empty()) {
    send_error(res, 401, "incorrect_password", "The provided password is an invalid application password.");
    return {true, nullptr};
  }
  return {false, &*user};
}

std::string WordpressSandbox::now_text() const {
  const std::time_t t = static_cast<std::time_t>(sandbox_.now_ms() / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

std::string WordpressSandbox::unique_post_slug(const std::string& wanted, bool attachment, std::int64_t self) const {
  auto taken = [&](const std::string& slug) {
    if (attachment && media_slugs_.contains(slug)) return true;
    auto holders = slug_posts_.find(slug);
    return holders != slug_posts_.end() &&
           std::any_of(holders->second.begin(), holders->second.end(), [&](std::int64_t id) { return id != self; });
  };
  if (!taken(wanted)) return wanted;
  for (int n = 2;; ++n) {
    std::string candidate = wanted + "-" + std::to_string(n);
    if (!taken(candidate)) return candidate;
  }
}

WordpressSandbox::Post* WordpressSandbox::find_post(std::int64_t id) {
  auto at = post_at_.find(id);
  if (at == post_at_.end() || posts_[at->second].status == "gone") return nullptr;
  return &posts_[at->second];
}

// Moves the post to `slug` in the slug index.
void WordpressSandbox::set_slug(Post& post, const std::string& slug) {
  if (auto holders = slug_posts_.find(post.slug); holders != slug_posts_.end()) {
    std::erase(holders->second, post.id);
    if (holders->second.empty()) slug_posts_.erase(holders);
  }
  post.slug = slug;
  if (!slug.empty()) slug_posts_[slug].push_back(post.id);
}

void WordpressSandbox::count_terms(const Post& post, int delta) {
  for (auto [taxonomy, ids] : {std::pair{"categories", &post.categories}, std::pair{"tags", &post.tags}}) {
    auto& terms = terms_[taxonomy];
    for (auto id : *ids) {
      auto term = std::find_if(terms.begin(), terms.end(), [&](const Term& t) { return t.id == id; });
      if (term != terms.end()) term->count += delta;
    }
  }
}

// The record of creates shows the post as it is now.
void WordpressSandbox::record_state(const Post& post) {
  sandbox_.update_record("wordpress", std::to_string(post.id), [&](Sandbox::Create& c) {
    c.text = post.content;
    c.fields["title"] = post.title;
    c.fields["slug"] = post.slug;
    c.fields["excerpt"] = post.excerpt;
    c.fields["status"] = post.status;
    c.fields["categories"] = join_ids(post.categories);
    c.fields["tags"] = join_ids(post.tags);
    c.fields["featured_media"] = std::to_string(post.featured_media);
  });
}

json::object WordpressSandbox::post_json(const Post& post, bool edit) const {
  const std::string link = config_.site + "/" + post.slug + "/";
  json::object title{{"rendered", post.title}}, content{{"rendered", post.content}, {"protected", false}},
      excerpt{{"rendered", post.excerpt}, {"protected", false}},
      guid{{"rendered", config_.site + "/?p=" + std::to_string(post.id)}};
  if (edit) {
    title["raw"] = post.title;
    content["raw"] = post.content;
    excerpt["raw"] = post.excerpt;
    guid["raw"] = guid["rendered"];
  }
  return json::object{{"id", post.id},
                      {"date", post.date},
                      {"date_gmt", post.date},
                      {"guid", std::move(guid)},
                      {"modified", post.date},
                      {"modified_gmt", post.date},
                      {"slug", post.slug},
                      {"status", post.status},
                      {"type", "post"},
                      {"link", link},
                      {"title", std::move(title)},
                      {"content", std::move(content)},
                      {"excerpt", std::move(excerpt)},
                      {"author", post.author},
                      {"featured_media", post.featured_media},
                      {"comment_status", "open"},
                      {"ping_status", "open"},
                      {"sticky", false},
                      {"template", ""},
                      {"format", "standard"},
                      {"meta", json::array{}},
                      {"categories", id_array(post.categories)},
                      {"tags", id_array(post.tags)}};
}

json::object WordpressSandbox::term_json(const std::string& taxonomy, const Term& term) const {
  const bool category = taxonomy == "categories";
  json::object out{{"id", term.id},
                   {"count", term.count},
                   {"description", ""},
                   {"link", config_.site + (category ? "/category/" : "/tag/") + term.slug + "/"},
                   {"name", escape_name(term.name)},
                   {"slug", term.slug},
                   {"taxonomy", category ? "category" : "post_tag"},
                   {"meta", json::array{}}};
  if (category) out["parent"] = 0;
  return out;
}

json::object WordpressSandbox::media_json(const Media& media) const {
  return json::object{{"id", media.id},
                      {"date", media.date},
                      {"date_gmt", media.date},
                      {"slug", media.slug},
                      {"status", "inherit"},
                      {"type", "attachment"},
                      {"link", config_.site + "/" + media.slug + "/"},
                      {"title", json::object{{"rendered", media.title}}},
                      {"author", media.author},
                      {"alt_text", ""},
                      {"media_type", "image"},
                      {"mime_type", media.mime_type},
                      {"media_details", json::object{{"filesize", media.size}}},
                      {"post", nullptr},
                      {"source_url", media.source_url}};
}

// POST /wp-json/wp/v2/posts: auth and capability, faults, the arguments as
// WordPress validates them, then the post with a unique slug, recorded.
void WordpressSandbox::create_post(const httplib::Request& req, httplib::Response& res) {
  const Caller caller = authenticate(req, res);
  if (caller.rejected) return;
  if (!caller.user || !wordpress_role_can(caller.user->role, "edit_posts")) {
    return send_error(res, caller.user ? 403 : 401, "rest_cannot_create",
                      "Sorry, you are not allowed to create posts as this user.");
  }
  const auto fault = sandbox_.take_fault("POST", req.path, kPostsRoute);
  if (answer_fault(sandbox_, fault, res)) return;

  boost::system::error_code ec;
  json::value parsed = json::parse(req.body, ec);
  const json::object* body = ec ? nullptr : parsed.if_object();
  if (!body) {
    return send_error(res, 400, "rest_invalid_json", "Invalid JSON body passed.",
                      json::object{{"json_error_code", 4}, {"json_error_message", "Syntax error"}});
  }
  Post post;
  for (auto [key, into] : {std::pair{"title", &post.title}, std::pair{"content", &post.content},
                           std::pair{"excerpt", &post.excerpt}}) {
    auto text = text_field(*body, key);
    if (!text) return invalid_param(res, key, std::string(key) + " is not of type object,string.");
    *into = *text;
  }
  post.title = std::string(trim(post.title));  // title_save_pre
  if (!wordpress_role_can(caller.user->role, "unfiltered_html")) post.title = wordpress_kses_entities(post.title);
  post.status = "draft";
  if (const auto* status = body->if_contains("status")) {
    static const std::vector<std::string> kStatuses{"publish", "future", "draft", "pending", "private"};
    if (!status->is_string() ||
        std::find(kStatuses.begin(), kStatuses.end(), std::string(status->as_string())) == kStatuses.end())
      return invalid_param(res, "status", "status is not one of publish, future, draft, pending, private.");
    post.status = std::string(status->as_string());
  }
  if (post.status != "draft" && post.status != "pending" && !wordpress_role_can(caller.user->role, "publish_posts")) {
    return send_error(res, 403, "rest_cannot_publish", "Sorry, you are not allowed to publish posts in this post type.");
  }
  for (auto [key, into] : {std::pair{"categories", &post.categories}, std::pair{"tags", &post.tags}}) {
    const json::value* ids = body->if_contains(key);
    if (!ids) continue;
    if (!ids->is_array()) return invalid_param(res, key, std::string(key) + " is not of type array.");
    for (std::size_t i = 0; i < ids->as_array().size(); ++i) {
      const auto& id = ids->as_array()[i];
      if (!id.is_int64()) {
        return invalid_param(res, key, std::string(key) + "[" + std::to_string(i) + "] is not of type integer.");
      }
      into->push_back(id.as_int64());
    }
  }
  std::string wanted_slug;
  if (const auto* slug = body->if_contains("slug")) {
    if (!slug->is_string()) return invalid_param(res, "slug", "slug is not of type string.");
    wanted_slug = wordpress_sanitize_slug(slug->as_string());
  }
  if (const auto* media = body->if_contains("featured_media")) {
    if (!media->is_int64()) return invalid_param(res, "featured_media", "featured_media is not of type integer.");
    post.featured_media = media->as_int64();
  }
  if (post.title.empty() && post.content.empty() && post.excerpt.empty()) {
    return send_error(res, 400, "empty_content", "Content, title, and excerpt are empty.");
  }

  Sandbox::Create create;
  {
    std::lock_guard lock(mutex_);
    if (post.featured_media != 0 &&
        std::none_of(media_.begin(), media_.end(), [&](const Media& m) { return m.id == post.featured_media; })) {
      return send_error(res, 400, "rest_invalid_featured_media", "Invalid featured media ID.");
    }
    // Unknown term ids are dropped silently, as wp_set_object_terms does.
    for (auto [taxonomy, ids] : {std::pair{"categories", &post.categories}, std::pair{"tags", &post.tags}}) {
      auto& terms = terms_[taxonomy];
      std::vector<std::int64_t> kept;
      for (auto id : *ids) {
        auto term = std::find_if(terms.begin(), terms.end(), [&](const Term& t) { return t.id == id; });
        if (term == terms.end() || std::find(kept.begin(), kept.end(), id) != kept.end()) continue;
        kept.push_back(id);
        ++term->count;
      }
      *ids = std::move(kept);
    }
    if (post.categories.empty()) {
      post.categories.push_back(1);  // the default category
      ++terms_["categories"].front().count;
    }
    post.id = next_post_id_++;
    post.author = caller.user->id;
    post.date = now_text();
    if (post.status == "publish") post.published_ms = sandbox_.now_ms();
    if (wanted_slug.empty()) wanted_slug = wordpress_sanitize_slug(post.title);
    if (wanted_slug.empty()) wanted_slug = std::to_string(post.id);
    // Drafts and pending posts keep the slug asked for; it is made unique
    // when the post is published.
    const std::string slug =
        post.status == "draft" || post.status == "pending" ? wanted_slug : unique_post_slug(wanted_slug, false);
    post_at_[post.id] = posts_.size();
    posts_.push_back(post);
    set_slug(posts_.back(), slug);
    post.slug = slug;

    create.platform = "wordpress";
    create.account = caller.user->login;
    create.id = std::to_string(post.id);
    create.text = post.content;
    create.fields = {{"title", post.title},
                     {"slug", post.slug},
                     {"excerpt", post.excerpt},
                     {"status", post.status},
                     {"categories", join_ids(post.categories)},
                     {"tags", join_ids(post.tags)},
                     {"featured_media", std::to_string(post.featured_media)}};
    for (const char* name : {"Content-Type", "User-Agent"})
      if (req.has_header(name)) create.headers[name] = req.get_header_value(name);
    sandbox_.record(create);
  }
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox_, res, 201, std::chrono::milliseconds(fault->delay_ms));
  res.set_header("Location", "http://" + req.get_header_value("Host") + kPostsRoute + "/" + create.id);
  send_json(res, 201, json::serialize(post_json(post, true)));
}

// GET /wp-json/wp/v2/posts: slug, status (default publish; others need
// edit_posts), context (edit needs edit_posts), per_page.
void WordpressSandbox::list_posts(const httplib::Request& req, httplib::Response& res) {
  const Caller caller = authenticate(req, res);
  if (caller.rejected) return;
  const auto fault = sandbox_.take_fault("GET", req.path, kPostsRoute);
  if (answer_fault(sandbox_, fault, res)) return;
  const bool can_edit = caller.user && wordpress_role_can(caller.user->role, "edit_posts");
  const int refused = caller.user ? 403 : 401;

  // Arguments are sanitized before the permission check, so a forbidden
  // status is a 400 about the parameter, not a 401.
  std::vector<std::string> statuses{"publish"};
  if (req.has_param("status")) {
    statuses = comma_list(req.get_param_value("status"));
    static const std::vector<std::string> kKnown{"publish", "future", "draft", "pending", "private", "trash", "any"};
    for (const auto& s : statuses) {
      if (s == "publish") continue;
      if (!can_edit) {
        return invalid_param(res, "status", "Status is forbidden.",
                             json::object{{"code", "rest_forbidden_status"},
                                          {"message", "Status is forbidden."},
                                          {"data", json::object{{"status", refused}}}});
      }
      if (std::find(kKnown.begin(), kKnown.end(), s) == kKnown.end())
        return invalid_param(res, "status", "status[0] is not one of publish, future, draft, pending, private, trash, and any.");
    }
  }
  auto page_size = per_page(req, res);
  if (!page_size) return;
  const std::string context = req.has_param("context") ? req.get_param_value("context") : "view";
  if (context != "view" && context != "embed" && context != "edit")
    return invalid_param(res, "context", "context is not one of view, embed, and edit.");
  if (context == "edit" && !can_edit) {
    return send_error(res, refused, "rest_forbidden_context",
                      "Sorry, you are not allowed to edit posts in this post type.");
  }
  const std::vector<std::string> slugs =
      req.has_param("slug") ? comma_list(req.get_param_value("slug")) : std::vector<std::string>{};
  const bool any = std::find(statuses.begin(), statuses.end(), "any") != statuses.end();

  json::array list;
  std::size_t total = 0;
  std::lock_guard lock(mutex_);
  auto consider = [&](const Post& p) {
    if (p.status == "gone") return;
    const bool status_ok = any ? p.status != "trash"
                               : std::find(statuses.begin(), statuses.end(), p.status) != statuses.end();
    if (!status_ok) return;
    ++total;
    if (std::ssize(list) < *page_size) list.push_back(post_json(p, context == "edit"));
  };
  if (slugs.empty()) {
    for (auto it = posts_.rbegin(); it != posts_.rend(); ++it) consider(*it);  // newest first
  } else {
    std::vector<std::int64_t> ids;
    for (const auto& slug : slugs)
      if (auto holders = slug_posts_.find(slug); holders != slug_posts_.end())
        ids.insert(ids.end(), holders->second.begin(), holders->second.end());
    std::sort(ids.begin(), ids.end(), std::greater<>());  // newest first: ids grow with each insert
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (auto id : ids) consider(posts_[post_at_.at(id)]);
  }
  set_totals(res, total, *page_size);
  send_json(res, 200, json::serialize(list));
}

// POST /wp-json/wp/v2/posts/<id>: the create's arguments, each optional;
// the slug made unique again when the post is (or stays) public.
void WordpressSandbox::update_post(const std::string& id_text, const httplib::Request& req, httplib::Response& res) {
  const Caller caller = authenticate(req, res);
  if (caller.rejected) return;
  const auto id = parse_int(id_text);
  {
    std::lock_guard lock(mutex_);
    const Post* post = id ? find_post(*id) : nullptr;
    if (!post) return send_error(res, 404, "rest_post_invalid_id", "Invalid post ID.");
    const bool own = caller.user && caller.user->id == post->author;
    const bool allowed = caller.user && wordpress_role_can(caller.user->role, own ? "edit_posts" : "edit_others_posts") &&
                         (post->status != "publish" || wordpress_role_can(caller.user->role, "edit_published_posts"));
    if (!allowed)
      return send_error(res, caller.user ? 403 : 401, "rest_cannot_edit", "Sorry, you are not allowed to edit this post.");
  }
  const auto fault = sandbox_.take_fault("POST", req.path, "/wp-json/wp/v2/posts/:id");
  if (answer_fault(sandbox_, fault, res)) return;

  boost::system::error_code ec;
  json::value parsed = json::parse(req.body, ec);
  const json::object* body = ec ? nullptr : parsed.if_object();
  if (!body) return send_error(res, 400, "rest_invalid_json", "Invalid JSON body passed.");
  std::map<std::string, std::string> texts;
  for (const char* key : {"title", "content", "excerpt"}) {
    if (!body->contains(key)) continue;
    auto text = text_field(*body, key);
    if (!text) return invalid_param(res, key, std::string(key) + " is not of type object,string.");
    texts[key] = *text;
  }
  std::optional<std::string> status;
  if (const auto* s = body->if_contains("status")) {
    static const std::vector<std::string> kStatuses{"publish", "future", "draft", "pending", "private"};
    if (!s->is_string() || std::find(kStatuses.begin(), kStatuses.end(), std::string(s->as_string())) == kStatuses.end())
      return invalid_param(res, "status", "status is not one of publish, future, draft, pending, private.");
    status = std::string(s->as_string());
    if (*status != "draft" && *status != "pending" && !wordpress_role_can(caller.user->role, "publish_posts"))
      return send_error(res, 403, "rest_cannot_publish", "Sorry, you are not allowed to publish posts in this post type.");
  }
  std::map<std::string, std::vector<std::int64_t>> term_ids;
  for (const char* key : {"categories", "tags"}) {
    const json::value* ids = body->if_contains(key);
    if (!ids) continue;
    if (!ids->is_array()) return invalid_param(res, key, std::string(key) + " is not of type array.");
    auto& into = term_ids[key];
    for (const auto& v : ids->as_array()) {
      if (!v.is_int64()) return invalid_param(res, key, std::string(key) + "[0] is not of type integer.");
      into.push_back(v.as_int64());
    }
  }
  std::optional<std::string> wanted_slug;
  if (const auto* slug = body->if_contains("slug")) {
    if (!slug->is_string()) return invalid_param(res, "slug", "slug is not of type string.");
    wanted_slug = wordpress_sanitize_slug(slug->as_string());
  }
  std::optional<std::int64_t> featured;
  if (const auto* media = body->if_contains("featured_media")) {
    if (!media->is_int64()) return invalid_param(res, "featured_media", "featured_media is not of type integer.");
    featured = media->as_int64();
  }

  json::object answer;
  {
    std::lock_guard lock(mutex_);
    Post* post = find_post(*id);
    if (!post) return send_error(res, 404, "rest_post_invalid_id", "Invalid post ID.");  // deleted meanwhile
    if (featured && *featured != 0 &&
        std::none_of(media_.begin(), media_.end(), [&](const Media& m) { return m.id == *featured; }))
      return send_error(res, 400, "rest_invalid_featured_media", "Invalid featured media ID.");
    if (texts.contains("title")) {
      post->title = std::string(trim(texts["title"]));
      if (!wordpress_role_can(caller.user->role, "unfiltered_html")) post->title = wordpress_kses_entities(post->title);
    }
    if (texts.contains("content")) post->content = texts["content"];
    if (texts.contains("excerpt")) post->excerpt = texts["excerpt"];
    if (featured) post->featured_media = *featured;
    if (!term_ids.empty()) {
      count_terms(*post, -1);
      for (auto [taxonomy, ids] : {std::pair{"categories", &post->categories}, std::pair{"tags", &post->tags}}) {
        auto given = term_ids.find(taxonomy);
        if (given == term_ids.end()) continue;
        const auto& terms = terms_[taxonomy];
        ids->clear();
        for (auto term_id : given->second)
          if (std::any_of(terms.begin(), terms.end(), [&](const Term& t) { return t.id == term_id; }) &&
              std::find(ids->begin(), ids->end(), term_id) == ids->end())
            ids->push_back(term_id);
      }
      if (post->categories.empty()) post->categories.push_back(1);
      count_terms(*post, +1);
    }
    if (status) post->status = *status;
    if (post->status == "publish" && post->published_ms == 0) post->published_ms = sandbox_.now_ms();
    std::string slug = wanted_slug.value_or(post->slug);
    if (slug.empty()) slug = wordpress_sanitize_slug(post->title);
    if (slug.empty()) slug = std::to_string(post->id);
    if (post->status != "draft" && post->status != "pending") slug = unique_post_slug(slug, false, post->id);
    set_slug(*post, slug);
    record_state(*post);
    answer = post_json(*post, true);
  }
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox_, res, 200, std::chrono::milliseconds(fault->delay_ms));
  send_json(res, 200, json::serialize(answer));
}

// DELETE /wp-json/wp/v2/posts/<id>[?force=true]: to the trash (the slug
// given up as SLUG__trashed), or deleted for good.
void WordpressSandbox::delete_post(const std::string& id_text, const httplib::Request& req, httplib::Response& res) {
  const Caller caller = authenticate(req, res);
  if (caller.rejected) return;
  const auto id = parse_int(id_text);
  {
    std::lock_guard lock(mutex_);
    const Post* post = id ? find_post(*id) : nullptr;
    if (!post) return send_error(res, 404, "rest_post_invalid_id", "Invalid post ID.");
    const bool own = caller.user && caller.user->id == post->author;
    const bool allowed =
        caller.user && wordpress_role_can(caller.user->role, own ? "delete_posts" : "delete_others_posts") &&
        (post->status != "publish" || wordpress_role_can(caller.user->role, "delete_published_posts"));
    if (!allowed)
      return send_error(res, caller.user ? 403 : 401, "rest_cannot_delete",
                        "Sorry, you are not allowed to delete this post.");
  }
  const auto fault = sandbox_.take_fault("DELETE", req.path, "/wp-json/wp/v2/posts/:id");
  if (answer_fault(sandbox_, fault, res)) return;
  const std::string force = req.has_param("force") ? req.get_param_value("force") : "false";

  json::value answer;
  {
    std::lock_guard lock(mutex_);
    Post* post = find_post(*id);
    if (!post) return send_error(res, 404, "rest_post_invalid_id", "Invalid post ID.");
    if (force == "true" || force == "1") {
      json::object previous = post_json(*post, true);
      count_terms(*post, -1);
      set_slug(*post, "");
      post->status = "gone";
      record_state(*post);
      answer = json::object{{"deleted", true}, {"previous", std::move(previous)}};
    } else {
      if (post->status == "trash")
        return send_error(res, 410, "rest_already_trashed", "The post has already been deleted.");
      post->status = "trash";
      if (!post->slug.empty()) set_slug(*post, post->slug + "__trashed");
      record_state(*post);
      answer = post_json(*post, true);
    }
  }
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox_, res, 200, std::chrono::milliseconds(fault->delay_ms));
  send_json(res, 200, json::serialize(answer));
}

// Deleted by a person in wp-admin: to the trash, as "Move to Trash" does.
void WordpressSandbox::remove_post(const std::string& id_text) {
  const auto id = parse_int(id_text);
  std::lock_guard lock(mutex_);
  Post* post = id ? find_post(*id) : nullptr;
  if (!post || post->status == "trash") return;
  post->status = "trash";
  if (!post->slug.empty()) set_slug(*post, post->slug + "__trashed");
  record_state(*post);
}

bool WordpressSandbox::may_edit(const User* caller, const Post& post) const {
  if (!caller) return false;
  const bool own = caller->id == post.author;
  return wordpress_role_can(caller->role, own ? "edit_posts" : "edit_others_posts") &&
         (post.status != "publish" || wordpress_role_can(caller->role, "edit_published_posts"));
}

bool WordpressSandbox::may_read(const User* caller, const Post& post) const {
  return post.status == "publish" || may_edit(caller, post);
}

// GET /wp-json/wp/v2/posts/<id>[?context=edit].
void WordpressSandbox::get_post(const std::string& id_text, const httplib::Request& req, httplib::Response& res) {
  const Caller caller = authenticate(req, res);
  if (caller.rejected) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, "/wp-json/wp/v2/posts/:id"), res)) return;
  const auto id = parse_int(id_text);
  const bool edit = req.has_param("context") && req.get_param_value("context") == "edit";
  std::lock_guard lock(mutex_);
  const Post* post = id ? find_post(*id) : nullptr;
  if (!post) return send_error(res, 404, "rest_post_invalid_id", "Invalid post ID.");
  if (edit && !may_edit(caller.user, *post))
    return send_error(res, caller.user ? 403 : 401, "rest_forbidden_context",
                      "Sorry, you are not allowed to edit this post.");
  if (!may_read(caller.user, *post))
    return send_error(res, caller.user ? 403 : 401, "rest_forbidden", "Sorry, you are not allowed to do that.");
  send_json(res, 200, json::serialize(post_json(*post, edit)));
}

// GET /wp-json/wp/v2/comments?post=<id>[&per_page=N][&page=P]: the approved
// comments on the post, newest first, and how many there are.
void WordpressSandbox::list_comments(const httplib::Request& req, httplib::Response& res) {
  const Caller caller = authenticate(req, res);
  if (caller.rejected) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, "/wp-json/wp/v2/comments"), res)) return;
  const auto size = per_page(req, res);
  if (!size) return;
  std::int64_t page = 1;
  if (req.has_param("page")) {
    auto n = parse_int(req.get_param_value("page"));
    if (!n || *n < 1) return invalid_param(res, "page", "page must be greater than or equal to 1");
    page = *n;
  }
  if (!req.has_param("post"))
    return send_error(res, 400, "rest_invalid_param",
                      "herald-sandbox lists the comments of one post only: give post=<id>");
  const auto id = parse_int(req.get_param_value("post"));
  if (!id) return invalid_param(res, "post", "post[0] is not of type integer.");

  std::int64_t total = 0;
  std::string link;
  {
    std::lock_guard lock(mutex_);
    if (const Post* post = find_post(*id)) {
      if (!may_read(caller.user, *post))
        return send_error(res, caller.user ? 403 : 401, "rest_cannot_read_post",
                          "Sorry, you are not allowed to read the post for this comment.");
      // Only a published post gathers comments; those of a trashed one are
      // post-trashed now, not approved.
      if (post->status == "publish" && post->published_ms > 0)
        total = engagement_after(sandbox_.now_ms() - post->published_ms).replies;
      link = config_.site + "/" + post->slug + "/";
    }
  }
  json::array comments;
  for (std::int64_t n = total - (page - 1) * *size; n > 0 && std::ssize(comments) < *size; --n) {
    comments.push_back(json::object{{"id", *id * 100000 + n},
                                    {"post", *id},
                                    {"parent", 0},
                                    {"author", 0},
                                    {"author_name", "Reader " + std::to_string(n)},
                                    {"author_url", ""},
                                    {"date", now_text()},
                                    {"date_gmt", now_text()},
                                    {"content", json::object{{"rendered", "<p>Comment " + std::to_string(n) + "</p>\n"}}},
                                    {"link", link + "#comment-" + std::to_string(*id * 100000 + n)},
                                    {"status", "approved"},
                                    {"type", "comment"},
                                    {"meta", json::array{}}});
  }
  set_totals(res, static_cast<std::size_t>(total), *size);
  send_json(res, 200, json::serialize(comments));
}

// GET /wp-json/wp/v2/users/me: who the credentials sign in as.
void WordpressSandbox::current_user(const httplib::Request& req, httplib::Response& res) {
  const Caller caller = authenticate(req, res);
  if (caller.rejected) return;
  if (!caller.user) return send_error(res, 401, "rest_not_logged_in", "You are not currently logged in.");
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, "/wp-json/wp/v2/users/me"), res)) return;
  const std::string slug = wordpress_sanitize_slug(caller.user->login);
  send_json(res, 200,
            json::serialize(json::object{{"id", caller.user->id},
                                         {"name", caller.user->login},
                                         {"url", ""},
                                         {"description", ""},
                                         {"link", config_.site + "/author/" + slug + "/"},
                                         {"slug", slug}}));
}

// GET /wp-json/wp/v2/categories|tags: public; search matches name or slug,
// ordered by name.
void WordpressSandbox::list_terms(const std::string& taxonomy, const httplib::Request& req, httplib::Response& res) {
  const Caller caller = authenticate(req, res);
  if (caller.rejected) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, "/wp-json/wp/v2/" + taxonomy), res)) return;
  auto page_size = per_page(req, res);
  if (!page_size) return;
  const std::string search = ascii_lower(req.has_param("search") ? req.get_param_value("search") : "");
  std::lock_guard lock(mutex_);
  std::vector<Term> found;
  for (const Term& t : terms_[taxonomy]) {
    if (search.empty() || ascii_lower(t.name).find(search) != std::string::npos || t.slug.find(search) != std::string::npos)
      found.push_back(t);
  }
  std::sort(found.begin(), found.end(), [](const Term& a, const Term& b) { return ascii_lower(a.name) < ascii_lower(b.name); });
  json::array list;
  for (const Term& t : found)
    if (std::ssize(list) < *page_size) list.push_back(term_json(taxonomy, t));
  set_totals(res, found.size(), *page_size);
  send_json(res, 200, json::serialize(list));
}

// POST /wp-json/wp/v2/categories|tags {"name"}: a duplicate name is 400
// term_exists naming the existing term.
void WordpressSandbox::create_term(const std::string& taxonomy, const httplib::Request& req, httplib::Response& res) {
  const Caller caller = authenticate(req, res);
  if (caller.rejected) return;
  const char* capability = taxonomy == "categories" ? "manage_categories" : "edit_posts";
  if (!caller.user || !wordpress_role_can(caller.user->role, capability)) {
    return send_error(res, caller.user ? 403 : 401, "rest_cannot_create",
                      "Sorry, you are not allowed to create terms in this taxonomy.");
  }
  if (answer_fault(sandbox_, sandbox_.take_fault("POST", req.path, "/wp-json/wp/v2/" + taxonomy), res)) return;
  boost::system::error_code ec;
  json::value parsed = json::parse(req.body, ec);
  const json::object* body = ec ? nullptr : parsed.if_object();
  if (!body) return send_error(res, 400, "rest_invalid_json", "Invalid JSON body passed.");
  const json::value* name_value = body->if_contains("name");
  if (!name_value) {
    return send_error(res, 400, "rest_missing_callback_param", "Missing parameter(s): name",
                      json::object{{"params", json::array{"name"}}});
  }
  if (!name_value->is_string()) return invalid_param(res, "name", "name is not of type string.");
  const std::string name(trim(name_value->as_string()));
  if (name.empty()) return send_error(res, 400, "empty_term_name", "A name is required for this term.");

  std::lock_guard lock(mutex_);
  auto& terms = terms_[taxonomy];
  // wp_insert_term: a name already in the taxonomy (compared as MySQL does,
  // case-insensitively) is term_exists; a slug clash only gets a suffix.
  for (const Term& t : terms) {
    if (ascii_lower(t.name) == ascii_lower(name)) {
      return send_error(res, 400, "term_exists",
                        taxonomy == "categories" ? "A term with the name provided already exists with this parent."
                                                 : "A term with the name provided already exists in this taxonomy.",
                        json::object{{"term_id", t.id}});
    }
  }
  Term term{next_term_id_++, name, wordpress_sanitize_slug(name), 0};
  if (term.slug.empty()) term.slug = std::to_string(term.id);
  const std::string base_slug = term.slug;
  for (int n = 2; std::any_of(terms.begin(), terms.end(), [&](const Term& t) { return t.slug == term.slug; }); ++n)
    term.slug = base_slug + "-" + std::to_string(n);
  terms.push_back(term);
  res.set_header("Location", "http://" + req.get_header_value("Host") + "/wp-json/wp/v2/" + taxonomy + "/" +
                                 std::to_string(term.id));
  send_json(res, 201, json::serialize(term_json(taxonomy, term)));
}

// POST /wp-json/wp/v2/media with the file as the body.
void WordpressSandbox::upload_media(const httplib::Request& req, httplib::Response& res) {
  const Caller caller = authenticate(req, res);
  if (caller.rejected) return;
  if (!caller.user || !wordpress_role_can(caller.user->role, "upload_files")) {
    return send_error(res, caller.user ? 403 : 401, "rest_cannot_create",
                      "Sorry, you are not allowed to upload media on this site.");
  }
  if (answer_fault(sandbox_, sandbox_.take_fault("POST", req.path, kMediaRoute), res)) return;
  if (req.body.empty()) return send_error(res, 400, "rest_upload_no_data", "No data supplied.");
  const std::string type = ascii_lower(trim(req.get_header_value("Content-Type")));
  if (type.empty()) return send_error(res, 400, "rest_upload_no_content_type", "No Content-Type supplied.");
  if (!req.has_header("Content-Disposition"))
    return send_error(res, 400, "rest_upload_no_content_disposition", "No Content-Disposition supplied.");
  auto filename = filename_of(req.get_header_value("Content-Disposition"));
  if (!filename) {
    return send_error(res, 400, "rest_upload_invalid_disposition",
                      "Invalid Content-Disposition supplied. Content-Disposition needs to be formatted as "
                      "`attachment; filename=\"image.png\"` or similar.");
  }
  static const std::vector<std::string> kTypes{"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"};
  if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end())
    return send_error(res, 500, "rest_upload_sideload_error", "Sorry, you are not allowed to upload this file type.");

  const std::string stem = filename->substr(0, filename->rfind('.'));
  Media media;
  std::lock_guard lock(mutex_);
  media.id = next_post_id_++;
  media.author = caller.user->id;
  media.date = now_text();
  media.title = stem;
  media.mime_type = type;
  media.size = req.body.size();
  std::string wanted = wordpress_sanitize_slug(req.has_param("slug") ? req.get_param_value("slug") : stem);
  if (wanted.empty()) wanted = std::to_string(media.id);
  media.slug = unique_post_slug(wanted, true);
  media.source_url = config_.site + "/wp-content/uploads/" + media.date.substr(0, 4) + "/" + media.date.substr(5, 2) +
                     "/" + *filename;
  media_.push_back(media);
  media_slugs_.insert(media.slug);
  res.set_header("Location", "http://" + req.get_header_value("Host") + kMediaRoute + "/" + std::to_string(media.id));
  send_json(res, 201, json::serialize(media_json(media)));
}

// GET /wp-json/wp/v2/media: public; slug and search filters, newest first.
void WordpressSandbox::list_media(const httplib::Request& req, httplib::Response& res) {
  const Caller caller = authenticate(req, res);
  if (caller.rejected) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, kMediaRoute), res)) return;
  auto page_size = per_page(req, res);
  if (!page_size) return;
  const std::vector<std::string> slugs =
      req.has_param("slug") ? comma_list(req.get_param_value("slug")) : std::vector<std::string>{};
  const std::string search = ascii_lower(req.has_param("search") ? req.get_param_value("search") : "");
  std::lock_guard lock(mutex_);
  json::array list;
  std::size_t total = 0;
  for (auto it = media_.rbegin(); it != media_.rend(); ++it) {
    if (!slugs.empty() && std::find(slugs.begin(), slugs.end(), it->slug) == slugs.end()) continue;
    if (!search.empty() && ascii_lower(it->title).find(search) == std::string::npos) continue;
    ++total;
    if (std::ssize(list) < *page_size) list.push_back(media_json(*it));
  }
  set_totals(res, total, *page_size);
  send_json(res, 200, json::serialize(list));
}

WordpressSandboxConfig load_wordpress_sandbox_config(const YAML::Node& node, const std::string& file) {
  WordpressSandboxConfig config;
  reject_unknown_keys(node, {"site", "users", "categories", "tags"}, file);
  if (node["site"]) {
    config.site = node["site"].as<std::string>();
    while (!config.site.empty() && config.site.back() == '/') config.site.pop_back();
  }
  for (const char* key : {"categories", "tags"}) {
    if (!node[key]) continue;
    if (!node[key].IsSequence()) config_error(node[key], file, std::string(key) + ": expected a list of names");
    for (const auto& name : node[key])
      (std::string(key) == "categories" ? config.categories : config.tags).push_back(name.as<std::string>());
  }
  if (node["users"]) {
    if (!node["users"].IsSequence()) config_error(node["users"], file, "users: expected a list");
    for (const auto& entry : node["users"]) {
      reject_unknown_keys(entry, {"id", "login", "role", "app_passwords"}, file);
      WordpressSandboxConfig::User user;
      if (!entry["login"]) config_error(entry, file, "a user needs a login");
      user.login = entry["login"].as<std::string>();
      user.id = entry["id"] ? entry["id"].as<std::int64_t>() : static_cast<std::int64_t>(config.users.size() + 1);
      if (entry["role"]) {
        user.role = entry["role"].as<std::string>();
        static const std::vector<std::string> kRoles{"administrator", "editor", "author", "contributor", "subscriber"};
        if (std::find(kRoles.begin(), kRoles.end(), user.role) == kRoles.end())
          config_error(entry["role"], file, "role must be administrator, editor, author, contributor or subscriber");
      }
      if (entry["app_passwords"]) {
        for (const auto& p : entry["app_passwords"]) user.app_passwords.push_back(p.as<std::string>());
      }
      config.users.push_back(std::move(user));
    }
  }
  return config;
}

}  // namespace herald
