#include "connectors/json_fields.hpp"
#include "connectors/form_encoding.hpp"
#include "config/text.hpp"
#include "connectors/wordpress/wordpress_connector.hpp"

#include "connectors/html_text.hpp"

#include "compose/public_url.hpp"
#include "connectors/counters.hpp"
#include "connectors/http_result.hpp"

#include <boost/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

// Documentation the requests follow:
//  - Posts (create: title, content, excerpt, status, slug, categories, tags,
//    featured_media; list: slug (one or more, comma-separated), status
//    (any), context (edit gives the raw title and needs edit_posts);
//    update: POST /wp/v2/posts/<id> with the same arguments; delete:
//    DELETE /wp/v2/posts/<id>, to the trash unless force=true, 410
//    rest_already_trashed when it is there already):
//    https://developer.wordpress.org/rest-api/reference/posts/
//  - Slugs: a draft keeps the slug it is given and drafts may share one;
//    a post being published gets the first free of SLUG, SLUG-2, ... among
//    all other posts of any status (drafts included); trashing renames a
//    post's slug SLUG__trashed, freeing it:
//    https://developer.wordpress.org/reference/functions/wp_unique_post_slug/ ,
//    https://developer.wordpress.org/reference/functions/wp_add_trashed_suffix_to_post_name_for_post/
//  - Titles of users without unfiltered_html (the Author and Contributor
//    roles) pass through kses, which stores "&" as "&amp;":
//    https://developer.wordpress.org/reference/functions/kses_init_filters/ ,
//    https://developer.wordpress.org/reference/functions/wp_kses_normalize_entities/
//  - Reading one post (GET /wp/v2/posts/<id>: 404 rest_post_invalid_id for
//    a post deleted for good; one in the trash comes back with status
//    "trash" to a user who may edit it) and its approved comments (GET
//    /wp/v2/comments?post=<id>: status approve by default; the comments of
//    a trashed post become post-trashed, so none is listed; X-WP-Total, the
//    collection's size):
//    https://developer.wordpress.org/rest-api/reference/posts/#retrieve-a-post ,
//    https://developer.wordpress.org/rest-api/reference/comments/#list-comments ,
//    https://developer.wordpress.org/rest-api/using-the-rest-api/pagination/
//  - The signed-in user (GET /wp/v2/users/me):
//    https://developer.wordpress.org/rest-api/reference/users/#retrieve-a-user
//  - Categories and tags (list with search and per_page <= 100; create with
//    name; a duplicate name is 400 term_exists with data.term_id):
//    https://developer.wordpress.org/rest-api/reference/categories/ ,
//    https://developer.wordpress.org/rest-api/reference/tags/ and
//    https://developer.wordpress.org/reference/classes/wp_rest_terms_controller/create_item/
//  - Media (the file as the body with Content-Type and Content-Disposition):
//    https://developer.wordpress.org/rest-api/reference/media/
//  - Application Passwords over Basic auth:
//    https://developer.wordpress.org/rest-api/using-the-rest-api/authentication/
//    and https://make.wordpress.org/core/2020/11/05/application-passwords-integration-guide/

namespace herald {
namespace {
namespace json = boost::json;

// WordPress ids are JSON numbers; a plugin may turn them into strings.
std::optional<std::int64_t> id_member(const json::object& object, std::string_view key) {
  const auto* v = object.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64() && v->as_int64() > 0) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_string()) {
    const std::string s(v->as_string());
    if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    return std::stoll(s);
  }
  return std::nullopt;
}

// A post's title as WordPress holds it: "raw" in context=edit, else
// "rendered", else a plain string; entities are left for the comparison.
std::string stored_title(const json::object& post) {
  const auto* v = post.if_contains("title");
  if (!v) return {};
  if (v->is_string()) return std::string(v->as_string());
  if (const auto* o = v->if_object()) {
    if (const auto* raw = o->if_contains("raw"); raw && raw->is_string()) return std::string(raw->as_string());
    return member_string(*o, "rendered");
  }
  return {};
}


// The image types WordPress accepts for upload by default.
std::string image_content_type(const std::filesystem::path& path) {
  const std::string ext = ascii_lower(path.extension().string());
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".png") return "image/png";
  if (ext == ".gif") return "image/gif";
  if (ext == ".webp") return "image/webp";
  if (ext == ".avif") return "image/avif";
  return {};
}

// A filename safe inside a quoted Content-Disposition parameter: printable
// ASCII without quote or backslash.
std::string disposition_filename(const std::filesystem::path& path) {
  std::string out;
  for (char c : path.filename().string()) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') ? '_' : c;
  }
  return out;
}

}  // namespace

struct WordpressConnector::Step {
  std::int64_t id = 0;                 ///< set when the step succeeded
  std::optional<PublishResult> error;  ///< set otherwise
  bool may_have_acted = false;         ///< error, but WordPress may have done it (no answer, a 5xx)
};

// A post of the slug listing, as publish and lookup judge it.
struct WordpressConnector::SlugPost {
  std::int64_t id = 0;
  std::int64_t author = 0;
  std::string slug, status, title, link;  ///< title as WordPress stores it (raw), entities and all
};

// The posts at a slug, or why they could not be listed.
struct WordpressConnector::Listing {
  std::vector<SlugPost> posts;
  std::optional<PublishResult> error;
};

// What publish makes of the posts at the slug.
struct WordpressConnector::Survey {
  std::optional<PublishResult> done;  ///< the result, when nothing is left to do
  std::vector<SlugPost> drafts;       ///< herald's drafts at the slug, oldest first
};

WordpressCredentials wordpress_credentials(const Credentials& file) {
  WordpressCredentials out;
  out.user = file.at("user").reveal();
  out.app_password = file.at("app_password");
  return out;
}

std::string wordpress_slug(const PublishRequest& request) {
  std::string raw = blog_slug(request.post);
  // A repeating post's deliveries differ only in the occurrence after '#'
  // (DATE or DATETHH:MM): it must be in the slug, or every occurrence after
  // the first would look published already.
  if (auto hash = request.key.find('#'); hash != std::string::npos) raw += "-" + request.key.substr(hash + 1);
  std::string slug;
  bool gap = false;
  for (char c : raw) {
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9')) {
      if (gap && !slug.empty()) slug += '-';
      gap = false;
      slug += l;
    } else {
      gap = true;
    }
  }
  // WordPress cuts slugs at 200 bytes; staying under that keeps ours intact.
  constexpr std::size_t kMaxSlug = 190;
  if (slug.size() > kMaxSlug) slug.resize(kMaxSlug);
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}


std::string basic_authorization(std::string_view user, const Secret& password) {
  std::string plain(user);
  plain += ':';
  plain += password.reveal();
  std::string out(4 * ((plain.size() + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(plain.data()),
                                      static_cast<int>(plain.size()));
  out.resize(static_cast<std::size_t>(written));
  std::fill(plain.begin(), plain.end(), '\0');
  return "Basic " + out;
}

WordpressConnector::WordpressConnector(ChannelSettings channel, WordpressCredentials credentials, HttpClient& http,
                                       Clock clock)
    : channel_(std::move(channel)),
      credentials_(std::move(credentials)),
      http_(http),
      clock_(std::move(clock)),
      base_(channel_.api_base.empty() ? channel_.site : channel_.api_base) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

std::string WordpressConnector::route(std::string_view path) const {
  return base_ + "/wp-json/wp/v2/" + std::string(path);
}

std::string WordpressConnector::where() const { return channel_.site.empty() ? base_ : channel_.site; }

HttpRequest WordpressConnector::authorized(std::string method, std::string url) const {
  HttpRequest out;
  out.method = std::move(method);
  out.url = std::move(url);
  out.headers.emplace_back("Authorization", basic_authorization(credentials_.user, credentials_.app_password));
  return out;
}

// A category or tag id by name: the exact name (case-insensitive, after
// decoding the HTML WordPress escapes names with) among the search results,
// else a new term. Nothing is published yet, so every failure here follows
// the classification and is never Unsure.
WordpressConnector::Step WordpressConnector::term_id(std::string_view taxonomy, const std::string& name) {
  const std::string what = std::string(taxonomy == "categories" ? "category" : "tag") + " '" + name + "'";
  const std::string wanted = ascii_lower(trim(name));

  // search matches names and slugs by substring; 100 is the most per page, and
  // the exact name is among the first 100 matches unless the site has more
  // than 100 terms containing it.
  const HttpResponse found =
      http_.send(authorized("GET", route(taxonomy) + "?search=" + percent_encode(name) + "&per_page=100"));
  if (auto problem = classify_wordpress(found, clock_())) {
    return {0, with_context(std::move(*problem), "WordPress: looking up " + what + " at " + where())};
  }
  auto list = parse_json(found.body);
  if (!list || !list->is_array()) {
    return {0, Failed{"WordPress: the answer to the " + what + " lookup at " + where() +
                      " is not a list of terms; is the REST API enabled at " + where() + "?"}};
  }
  for (const auto& item : list->as_array()) {
    const auto* term = item.if_object();
    if (!term || ascii_lower(trim(decode_html_entities(member_string(*term, "name")))) != wanted) continue;
    if (auto id = id_member(*term, "id")) return {*id, std::nullopt};
  }

  HttpRequest create = authorized("POST", route(taxonomy));
  create.body = json::serialize(json::object{{"name", name}});
  create.content_type = "application/json";
  const HttpResponse made = http_.send(create);
  if (made.status == 400) {
    // Another writer created it since the search: WordPress names the
    // existing term in data.term_id.
    if (auto body = parse_json(made.body); body && body->is_object() && member_string(body->as_object(), "code") == "term_exists") {
      if (const auto* data = body->as_object().if_contains("data"); data && data->is_object()) {
        if (auto id = id_member(data->as_object(), "term_id")) return {*id, std::nullopt};
      }
    }
  }
  if (auto problem = classify_wordpress(made, clock_())) {
    return {0, with_context(std::move(*problem), "WordPress: creating " + what + " at " + where())};
  }
  if (auto body = parse_json(made.body); body && body->is_object()) {
    if (auto id = id_member(body->as_object(), "id")) return {*id, std::nullopt};
  }
  return {0, RetryLater{std::nullopt, "WordPress: creating " + what + " at " + where() + " answered " +
                                          std::to_string(made.status) + " without a term id"}};
}

// The featured image. The upload carries a slug derived from the post's, so a
// retry after a later step failed finds the image it uploaded the first time
// (GET /media?slug=) instead of filling the media library with copies.
WordpressConnector::Step WordpressConnector::featured_media(const std::filesystem::path& image,
                                                            const std::string& post_slug) {
  const std::string what = "image " + image.string();
  const std::string content_type = image_content_type(image);
  if (content_type.empty()) {
    return {0, Failed{"WordPress: " + what + " is not a JPEG, PNG, GIF, WebP or AVIF image; only a featured image "
                      "can be attached"}};
  }
  const std::string media_slug = post_slug + "-image";

  const HttpResponse found = http_.send(authorized("GET", route("media") + "?slug=" + percent_encode(media_slug)));
  if (auto problem = classify_wordpress(found, clock_())) {
    return {0, with_context(std::move(*problem), "WordPress: looking for an earlier upload of " + what + " at " + where())};
  }
  if (auto list = parse_json(found.body); list && list->is_array()) {
    for (const auto& item : list->as_array()) {
      const auto* media = item.if_object();
      if (!media || member_string(*media, "slug") != media_slug) continue;
      if (auto id = id_member(*media, "id")) return {*id, std::nullopt};
    }
  }

  std::ifstream in(image, std::ios::binary);
  if (!in) return {0, Failed{"WordPress: cannot read " + what}};
  std::string bytes;
  char buffer[64 * 1024];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    bytes.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > kMaxImageBytes) {
      return {0, Failed{"WordPress: " + what + " is larger than " + std::to_string(kMaxImageBytes >> 20) + " MiB"}};
    }
  }
  if (in.bad()) return {0, Failed{"WordPress: cannot read " + what}};
  if (bytes.empty()) return {0, Failed{"WordPress: " + what + " is empty"}};

  HttpRequest upload = authorized("POST", route("media") + "?slug=" + percent_encode(media_slug));
  upload.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + disposition_filename(image) + "\"");
  upload.content_type = content_type;
  upload.body = std::move(bytes);
  const HttpResponse made = http_.send(upload);
  if (auto problem = classify_wordpress(made, clock_())) {
    return {0, with_context(std::move(*problem), "WordPress: uploading " + what + " to " + where())};
  }
  if (auto body = parse_json(made.body); body && body->is_object()) {
    if (auto id = id_member(body->as_object(), "id")) return {*id, std::nullopt};
  }
  return {0, RetryLater{std::nullopt, "WordPress: uploading " + what + " to " + where() + " answered " +
                                          std::to_string(made.status) + " without a media id"}};
}

namespace {

// Titles are compared as text: WordPress may store "&" as "&amp;" (kses,
// for a user without unfiltered_html) and renders "&#038;", and the calendar
// may hold either.
bool same_title(std::string_view stored, std::string_view wanted) {
  return trim(decode_html_entities(stored)) == trim(decode_html_entities(wanted));
}

// The slugs a post of this delivery can have: herald's, and the -2 and -3
// WordPress gives a post published while another post (a draft that a slow
// earlier request made meanwhile) holds it (wp_unique_post_slug).
std::string slug_variants(const std::string& slug) { return slug + "," + slug + "-2," + slug + "-3"; }

}  // namespace

// GET /wp/v2/posts?slug=...&status=any&context=edit: every post at herald's
// slug (and its variants) in any status but trash, with the raw title and
// the author. status=any and context=edit need a user who can edit posts.
WordpressConnector::Listing WordpressConnector::posts_at(const std::string& slug) {
  Listing out;
  const HttpResponse response = http_.send(authorized(
      "GET", route("posts") + "?slug=" + percent_encode(slug_variants(slug)) + "&status=any&context=edit&per_page=100"));
  if (auto problem = classify_wordpress(response, clock_())) {
    out.error = with_context(std::move(*problem), "WordPress: looking for the post '" + slug + "' at " + where());
    return out;
  }
  auto value = parse_json(response.body);
  if (!value || !value->is_array()) {
    out.error = Failed{"WordPress: the answer to the lookup of '" + slug + "' at " + where() +
                       " is not a list of posts; is the REST API enabled at " + where() + "?"};
    return out;
  }
  for (const auto& item : value->as_array()) {
    const auto* post = item.if_object();
    if (!post) continue;
    SlugPost p;
    p.id = id_member(*post, "id").value_or(0);
    p.author = id_member(*post, "author").value_or(0);
    p.slug = member_string(*post, "slug");
    p.status = member_string(*post, "status");
    p.title = stored_title(*post);
    p.link = member_string(*post, "link");
    if (p.id > 0) out.posts.push_back(std::move(p));
  }
  return out;
}

// GET /wp/v2/users/me: the id of the user herald signs in as.
WordpressConnector::Step WordpressConnector::own_user_id() {
  const HttpResponse response = http_.send(authorized("GET", route("users/me")));
  if (auto problem = classify_wordpress(response, clock_()))
    return {0, with_context(std::move(*problem), "WordPress: asking " + where() + " who herald's user is")};
  if (auto body = parse_json(response.body); body && body->is_object())
    if (auto id = id_member(body->as_object(), "id")) return {*id, std::nullopt};
  return {0, RetryLater{std::nullopt, "WordPress: the answer to /users/me at " + where() + " has no user id"}};
}

// POST /wp/v2/posts with status draft. A draft is never public, so nothing
// here is Unsure: if this answer is lost (or is a 5xx) the draft may exist
// (may_have_acted), and whoever looks at the slug next finds and publishes it.
WordpressConnector::Step WordpressConnector::create_draft(json::object body, const std::string& slug) {
  body["status"] = "draft";
  HttpRequest create = authorized("POST", route("posts"));
  create.body = json::serialize(body);
  create.content_type = "application/json";
  const HttpResponse response = http_.send(create);
  const std::string what = "WordPress: creating a draft of '" + slug + "' at " + where();
  if (!response.error.empty())
    return {0, RetryLater{std::nullopt, what + ": no answer (" + response.error +
                                            "); the next attempt publishes that draft if it was made"},
            true};
  if (auto problem = classify_wordpress(response, clock_()))
    return {0, with_context(std::move(*problem), what), response.status >= 500};
  if (auto value = parse_json(response.body); value && value->is_object())
    if (auto id = id_member(value->as_object(), "id")) return {*id, std::nullopt};
  return {0, RetryLater{std::nullopt, what + ": answered " + std::to_string(response.status) + " without a post id"},
          true};
}

// DELETE /wp/v2/posts/ID without force: to the trash, where it gives up the
// slug (WordPress renames it SLUG__trashed). Already trashed (410) or gone
// (404) is as good.
std::optional<PublishResult> WordpressConnector::trash(std::int64_t id, const std::string& slug) {
  const HttpResponse response = http_.send(authorized("DELETE", route("posts/" + std::to_string(id))));
  if (response.status == 410 || response.status == 404) return std::nullopt;
  if (auto problem = classify_wordpress(response, clock_()))
    return with_context(std::move(*problem), "WordPress: moving the extra draft " + std::to_string(id) + " of '" +
                                                 slug + "' at " + where() + " to the trash");
  return std::nullopt;
}

// POST /wp/v2/posts/ID with status publish and the delivery's current
// fields, so an edit since the draft was made is applied. Sending this again
// publishes the same post, so a lost answer is Unsure: the dispatcher may
// repeat the whole publish.
PublishResult WordpressConnector::publish_draft(std::int64_t id, json::object body, const std::string& slug) {
  body["status"] = "publish";
  HttpRequest publish = authorized("POST", route("posts/" + std::to_string(id)));
  publish.body = json::serialize(body);
  publish.content_type = "application/json";
  const HttpResponse response = http_.send(publish);
  const std::string what = "WordPress: publishing draft " + std::to_string(id) + " of '" + slug + "' at " + where();
  if (!response.error.empty())
    return Unsure{what + ": no answer (" + response.error + "); sending it again publishes the same draft"};
  // A 5xx may come after WordPress saved the post (a plugin failing in a
  // save hook): create_outcome makes it Unsure.
  if (auto problem = classify_wordpress(response, clock_()))
    return with_context(create_outcome(response, std::move(*problem)), what);
  auto value = parse_json(response.body);
  const json::object* post = value ? value->if_object() : nullptr;
  if (!post) return Unsure{what + ": answered " + std::to_string(response.status) + " without the post"};
  const std::string status = member_string(*post, "status");
  if (status != "publish") {
    // A workflow plugin may hold posts for review: not public, and not ours
    // to force.
    return Failed{what + ": WordPress kept it as '" + status + "', not published"};
  }
  return Published{std::to_string(id), member_string(*post, "link")};
}

// What the site holds at herald's slug, judged: this delivery's post
// published already (done), something there that stops the publish (done),
// or the drafts of herald's user to publish from (possibly none).
WordpressConnector::Survey WordpressConnector::survey(const std::string& slug, const std::string& title) {
  Survey out;
  Listing found = posts_at(slug);
  if (found.error) {
    out.done = std::move(found.error);
    return out;
  }
  for (const SlugPost& p : found.posts) {
    if (p.status == "publish" && same_title(p.title, title)) {
      out.done = Published{std::to_string(p.id), p.link};
      return out;
    }
  }
  for (const SlugPost& p : found.posts) {
    if (p.slug != slug) continue;
    if (p.status == "draft") {
      out.drafts.push_back(p);
      continue;
    }
    // Publishing beside it would give this delivery SLUG-2, where neither a
    // repeat nor a lookup would look: a person decides.
    out.done = Failed{"WordPress: post " + std::to_string(p.id) + " at " + where() + " already has the slug '" + slug +
                      "' (" + p.status + ", titled '" + std::string(trim(decode_html_entities(p.title))) + "', not '" + std::string(trim(title)) +
                      "'); if it is this delivery's post (its title edited since), resolve the delivery with its URL; "
                      "otherwise give that post another slug and retry"};
    return out;
  }
  if (!out.drafts.empty()) {
    // A draft at herald's slug written by another user is not ours to publish.
    Step me = own_user_id();
    if (me.error) {
      out.done = std::move(me.error);
      return out;
    }
    for (const SlugPost& d : out.drafts) {
      if (d.author == me.id) continue;
      out.done = Failed{"WordPress: draft " + std::to_string(d.id) + " at " + where() + " has herald's slug '" + slug +
                        "' but another author; herald publishes only its own drafts: give that draft another slug "
                        "and retry"};
      return out;
    }
    std::sort(out.drafts.begin(), out.drafts.end(), [](const SlugPost& a, const SlugPost& b) { return a.id < b.id; });
  }
  return out;
}

PublishResult WordpressConnector::publish(const PublishRequest& request) {
  const Composed& composed = request.composed;
  if (base_.empty()) return Failed{"WordPress channel '" + channel_.name + "' has no site"};
  const std::string slug = wordpress_slug(request);
  if (slug.empty()) return Failed{"WordPress: cannot make a slug from post id '" + request.post + "'"};

  // What the site holds at herald's slug: an earlier attempt whose answer
  // was lost left its post there, published or as a draft.
  Survey found = survey(slug, composed.title);
  if (found.done) return std::move(*found.done);

  json::array categories, tags;
  for (auto [names, taxonomy, ids] : {std::tuple{&composed.categories, "categories", &categories},
                                      std::tuple{&composed.tags, "tags", &tags}}) {
    for (const auto& name : *names) {
      if (trim(name).empty()) continue;
      Step term = term_id(taxonomy, name);
      if (term.error) return std::move(*term.error);
      if (std::find(ids->begin(), ids->end(), json::value(term.id)) == ids->end()) ids->emplace_back(term.id);
    }
  }
  json::object body{{"title", composed.title},       {"content", composed.text}, {"excerpt", composed.excerpt},
                    {"slug", slug},                  {"categories", std::move(categories)},
                    {"tags", std::move(tags)}};
  if (!composed.media.empty()) {
    Step media = featured_media(composed.media.front(), slug);
    if (media.error) return std::move(*media.error);
    body["featured_media"] = media.id;
  }

  if (found.drafts.empty()) {
    Step draft = create_draft(body, slug);
    if (draft.error && !draft.may_have_acted) return std::move(*draft.error);
    if (draft.error) {
      // Only the answer may be lost: look at the slug again (a read, not a
      // second create) and publish the draft if it is there. A slow create
      // still under way is not there yet: a retry later finds it.
      Survey again = survey(slug, composed.title);
      if (again.done) return std::move(*again.done);
      if (again.drafts.empty()) return std::move(*draft.error);
      found = std::move(again);
    } else {
      SlugPost made;
      made.id = draft.id;
      found.drafts.push_back(made);
    }
  }

  // The oldest draft at the slug is the one to publish. The others go to the
  // trash first: a draft keeps the slug it was given and holds it against a
  // post being published, which would get SLUG-2.
  for (std::size_t i = 1; i < found.drafts.size(); ++i)
    if (auto problem = trash(found.drafts[i].id, slug)) return std::move(*problem);
  return publish_draft(found.drafts.front().id, std::move(body), slug);
}

// Found only for a published post of this delivery: at herald's slug (or
// the -2/-3 WordPress may have given it) with the delivery's title. A draft
// is not public: Absent. A published post at the slug with another title is
// someone else's, or this one with its title edited: Unknown, so a person
// decides rather than herald marking a delivery published that never went
// out.
LookupResult WordpressConnector::lookup(const PublishRequest& request) {
  if (base_.empty()) return Unknown{"WordPress channel '" + channel_.name + "' has no site"};
  const std::string slug = wordpress_slug(request);
  if (slug.empty()) return Unknown{"WordPress: cannot make a slug from post id '" + request.post + "'"};
  Listing found = posts_at(slug);
  if (found.error) return Unknown{message_of(*found.error)};
  for (const SlugPost& p : found.posts)
    if (p.status == "publish" && same_title(p.title, request.composed.title)) return Found{std::to_string(p.id), p.link};
  for (const SlugPost& p : found.posts) {
    if (p.status != "publish" || p.slug != slug) continue;
    return Unknown{"WordPress: post " + std::to_string(p.id) + " at " + where() + " has the slug '" + slug +
                   "' but the title '" + std::string(trim(decode_html_entities(p.title))) + "', not '" +
                   std::string(trim(request.composed.title)) + "'"};
  }
  return Absent{};
}

// The comments collection cannot tell a post that is gone from one without
// comments (WordPress lists none for either), so the post is read first.
CountersResult WordpressConnector::read_counters(const CountersRequest& request) {
  const std::string& id = request.remote_id;
  if (base_.empty()) return Failed{"WordPress channel '" + channel_.name + "' has no site"};
  if (id.empty() || id.size() > 18 || !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return Failed{"WordPress: the post id recorded for " + request.key + " is not a WordPress post id"};

  const HttpResponse post = http_.send(authorized("GET", route("posts/" + id)));
  if (post.error.empty() && post.status == 404) {
    auto body = parse_json(post.body);
    if (body && body->is_object() && member_string(body->as_object(), "code") == "rest_post_invalid_id")
      return Gone{"WordPress: post " + id + " is gone from " + where()};
  }
  if (auto problem = classify_wordpress(post, clock_()))
    return counters_problem(with_context(std::move(*problem), "WordPress: reading post " + id + " at " + where()));
  auto body = parse_json(post.body);
  if (!body || !body->is_object())
    return RetryLater{std::nullopt, "WordPress: the answer about post " + id + " at " + where() + " is not a post"};
  if (member_string(body->as_object(), "status") == "trash")
    return Gone{"WordPress: post " + id + " at " + where() + " is in the trash"};

  const HttpResponse comments = http_.send(authorized("GET", route("comments?post=" + id + "&per_page=1")));
  if (auto problem = classify_wordpress(comments, clock_()))
    return counters_problem(
        with_context(std::move(*problem), "WordPress: counting the comments on post " + id + " at " + where()));
  const std::string* total = find_header(comments, "x-wp-total");
  std::int64_t count = -1;
  if (total) {
    const std::string_view digits = trim(*total);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (ec != std::errc{} || end != digits.data() + digits.size()) count = -1;
  }
  if (count < 0)
    return RetryLater{std::nullopt, "WordPress: the comments of post " + id + " at " + where() + " came without X-WP-Total"};
  return Counters{{Counter{"comments", metric::replies, count}}};
}

}  // namespace herald
