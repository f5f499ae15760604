#include "connectors/facebook/facebook_connector.hpp"
#include "connectors/form_encoding.hpp"

#include "compose/media.hpp"
#include "compose/public_url.hpp"
#include "connectors/counters.hpp"
#include "connectors/file_bytes.hpp"
#include "connectors/http_result.hpp"
#include "connectors/json_fields.hpp"

#include <boost/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <utility>

// Graph API pages this follows (the sandbox, tests/sandbox/sandbox_facebook.cpp,
// cites the same and emulates them):
//  - https://developers.facebook.com/docs/pages-api/posts (feed posts,
//    permalink_url, reading a Page's posts, deleting a post with DELETE
//    /{page-post-id}) and
//    https://developers.facebook.com/docs/graph-api/reference/page/feed
//    (publishing: message, link, `published` false for an unpublished post,
//    `attached_media` [{"media_fbid"}] for photos uploaded unpublished; the
//    answer {"id"}; unpublished posts are not in /feed, /posts or
//    /published_posts)
//  - https://developers.facebook.com/docs/graph-api/reference/page/photos
//    (multipart `source`, answer {"id","post_id"}; with published=false an
//    unpublished photo, answer {"id"}, to attach to a post)
//  - https://developers.facebook.com/docs/graph-api/reference/pagepost
//    (reading `is_published`, `permalink_url`; updating with `is_published`
//    publishes an unpublished post, answer {"success":true}); the same
//    parameters in facebook-python-business-sdk, PagePost.api_update
//    (attached_media, is_published, message) and its `is_published` field
//  - https://developers.facebook.com/docs/graph-api/guides/error-handling and
//    .../overview/rate-limiting (classify_graph reads these)
//  - engagement: https://developers.facebook.com/docs/graph-api/reference/pagepost
//    with its edges https://developers.facebook.com/docs/graph-api/reference/object/reactions
//    and .../object/comments (summary=total_count, limit(0) for no items;
//    `shares` {count}, absent when nobody shared the post), and
//    https://developers.facebook.com/docs/graph-api/reference/insights
//    (post_impressions, lifetime; the token's user must be able to ANALYZE
//    the Page, read_insights / pages_read_engagement)

namespace herald {
namespace {
namespace json = boost::json;

constexpr const char* kDefaultBase = "https://graph.facebook.com";
constexpr const char* kDefaultVersion = "v21.0";

std::optional<json::object> parse_object(const std::string& body) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

std::string string_member(const json::object& object, std::string_view key) {
  if (const auto* v = object.if_contains(key)) {
    if (v->is_string()) return std::string(v->as_string());
    // Photo ids sometimes come back as numbers in older answers.
    if (v->is_int64()) return std::to_string(v->as_int64());
    if (v->is_uint64()) return std::to_string(v->as_uint64());
  }
  return {};
}

std::string random_boundary() {
  std::random_device device;
  std::uniform_int_distribution<int> digit(0, 15);
  std::string out = "herald-";
  for (int i = 0; i < 32; ++i) out += "0123456789abcdef"[digit(device)];
  return out;
}

const char* image_content_type(MediaType type) {
  switch (type) {
    case MediaType::jpeg: return "image/jpeg";
    case MediaType::png: return "image/png";
    case MediaType::gif: return "image/gif";
    case MediaType::mp4: return nullptr;  // not an image; compose/media.cpp refuses it for facebook
  }
  return nullptr;
}

}  // namespace

/// A create's outcome: the new object's id once Graph accepted it, else the result.
struct FacebookConnector::Create {
  std::string post_id;
  std::optional<PublishResult> error;
};

/// The one image of a photo post, read and checked before anything is sent.
struct FacebookConnector::Image {
  std::string bytes;
  std::string filename;
  std::string content_type;
};

/// The unpublished post an earlier attempt made for a delivery, and the
/// fingerprint of what it was made with.
struct FacebookConnector::Remembered {
  std::string post_id;
  std::string made_with;
};

/// What Graph says of one post: there or gone, published or not, or why it
/// could not be read.
struct FacebookConnector::PostState {
  bool exists = false;
  bool published = false;
  std::string permalink;
  std::optional<std::string> error;
};

namespace {

// SHA-256 (hex) of what a post is made of: message, link, image bytes. Two
// attempts with the same fingerprint make the same post, so the second may
// publish the first one's.
std::string fingerprint(const Composed& composed, const std::string& image_bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const char separator = '\0';
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), composed.text.data(), composed.text.size()) != 1 ||
      EVP_DigestUpdate(context.get(), &separator, 1) != 1 ||
      EVP_DigestUpdate(context.get(), composed.link.data(), composed.link.size()) != 1 ||
      EVP_DigestUpdate(context.get(), &separator, 1) != 1 ||
      EVP_DigestUpdate(context.get(), image_bytes.data(), image_bytes.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest, &length) != 1)
    return {};
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += "0123456789abcdef"[digest[i] >> 4];
    hex += "0123456789abcdef"[digest[i] & 0xF];
  }
  return hex;
}

}  // namespace

FacebookCredentials facebook_credentials(const Credentials& file) {
  FacebookCredentials out{file.at("page_token")};
  if (auto expires = file.expires_at()) out.expires_at = std::chrono::floor<std::chrono::seconds>(*expires);
  return out;
}

std::optional<std::chrono::system_clock::time_point> FacebookConnector::credentials_expire_at() const {
  if (!credentials_.expires_at) return std::nullopt;
  return std::chrono::system_clock::time_point(credentials_.expires_at->time_since_epoch());
}

std::string facebook_state_key(const std::string& page_id, const std::string& delivery_key) {
  return "facebook:" + page_id + ":" + delivery_key;
}

std::string multipart_body(const std::vector<FormPart>& parts, const std::string& boundary) {
  std::string body;
  for (const FormPart& part : parts) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part.name + "\"";
    if (!part.filename.empty()) {
      // A quote or line break would end the header early (RFC 7578 4.2).
      std::string name = part.filename;
      std::replace_if(name.begin(), name.end(), [](char c) { return c == '"' || c == '\r' || c == '\n'; }, '_');
      body += "; filename=\"" + name + "\"";
    }
    body += "\r\n";
    if (!part.content_type.empty()) body += "Content-Type: " + part.content_type + "\r\n";
    body += "\r\n" + part.content + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  return body;
}

FacebookConnector::FacebookConnector(ChannelSettings channel, FacebookCredentials credentials, HttpClient& http,
                                     ConnectorState& state, Clock clock)
    : FacebookConnector(std::move(channel), std::move(credentials), http, &state, std::move(clock)) {}

FacebookConnector::FacebookConnector(ChannelSettings channel, FacebookCredentials credentials, HttpClient& http,
                                     Clock clock)
    : FacebookConnector(std::move(channel), std::move(credentials), http, static_cast<ConnectorState*>(nullptr),
                        std::move(clock)) {}

FacebookConnector::FacebookConnector(ChannelSettings channel, FacebookCredentials credentials, HttpClient& http,
                                     ConnectorState* state, Clock clock)
    : channel_(std::move(channel)),
      credentials_(std::move(credentials)),
      http_(http),
      own_state_(state ? nullptr : std::make_unique<MemoryConnectorState>()),
      state_(state ? state : own_state_.get()),
      clock_(std::move(clock)) {
  base_ = channel_.api_base.empty() ? kDefaultBase : channel_.api_base;
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  base_ += "/" + (channel_.api_version.empty() ? std::string(kDefaultVersion) : channel_.api_version);
}

FacebookConnector::~FacebookConnector() = default;
FacebookConnector::FacebookConnector(FacebookConnector&&) noexcept = default;

SettlePolicy FacebookConnector::settle_policy() const { return {own_state_ == nullptr, kSettleMargin}; }

ConnectorState& FacebookConnector::state() { return *state_; }

// Graph accepts the token as a Bearer credential; a URL would put it in
// proxies' and servers' logs, so it never goes into one.
HttpRequest FacebookConnector::request(std::string method, const std::string& path_and_query) {
  HttpRequest out;
  out.method = std::move(method);
  out.url = base_ + path_and_query;
  out.headers.emplace_back("Authorization", "Bearer " + credentials_.page_token.reveal());
  return out;
}

// The answer to a create of something unpublished (a post, or a photo to
// attach). Nothing public can come of it, so no failure here is Unsure: a
// lost answer leaves at most an unpublished orphan, never seen on the Page.
FacebookConnector::Create FacebookConnector::created(const HttpResponse& response, const std::string& what) {
  if (!response.error.empty()) {
    return {{}, RetryLater{std::nullopt, "Facebook: no answer to " + what + " (" + response.error +
                                             "); if it was made it stays unpublished"}};
  }
  if (auto problem = classify_graph(response, clock_())) return {{}, with_context(std::move(*problem), "Facebook: " + what)};
  std::string id;
  if (auto body = parse_object(response.body)) id = string_member(*body, "id");
  if (id.empty()) {
    return {{}, RetryLater{std::nullopt, "Facebook: answered " + std::to_string(response.status) + " to " + what +
                                             " without an id"}};
  }
  return {std::move(id), std::nullopt};
}

FacebookConnector::Create FacebookConnector::create_feed(const Composed& composed) {
  json::object body{{"message", composed.text}, {"published", false}};
  if (!composed.link.empty()) body["link"] = composed.link;
  HttpRequest post = request("POST", "/" + percent_encode(channel_.page_id) + "/feed");
  post.body = json::serialize(body);
  post.content_type = "application/json";
  return created(http_.send(post), "creating the unpublished post");
}

// The photo goes up unpublished, then an unpublished post carries it
// (attached_media) and the message. The link preview has no place on a
// photo post; the message keeps any link that is in the text.
FacebookConnector::Create FacebookConnector::create_photo(const Composed& composed, const Image& image) {
  std::vector<FormPart> parts;
  parts.push_back({"published", "false", {}, {}});
  parts.push_back({"source", image.bytes, image.filename, image.content_type});
  std::string boundary = random_boundary();
  auto occurs = [&](const std::string& b) {
    return std::any_of(parts.begin(), parts.end(),
                       [&](const FormPart& p) { return p.content.find(b) != std::string::npos; });
  };
  while (occurs(boundary)) boundary = random_boundary();
  HttpRequest upload = request("POST", "/" + percent_encode(channel_.page_id) + "/photos");
  upload.body = multipart_body(parts, boundary);
  upload.content_type = "multipart/form-data; boundary=" + boundary;
  Create photo = created(http_.send(upload), "uploading the photo unpublished");
  if (photo.error) return photo;

  json::object body{{"published", false},
                    {"attached_media", json::array{json::object{{"media_fbid", photo.post_id}}}}};
  if (!composed.text.empty()) body["message"] = composed.text;
  HttpRequest post = request("POST", "/" + percent_encode(channel_.page_id) + "/feed");
  post.body = json::serialize(body);
  post.content_type = "application/json";
  return created(http_.send(post), "creating the unpublished post with photo " + photo.post_id);
}

// GET /{post-id}?fields=is_published,permalink_url.
FacebookConnector::PostState FacebookConnector::read_post(const std::string& post_id) {
  PostState out;
  const HttpResponse response =
      http_.send(request("GET", "/" + percent_encode(post_id) + "?fields=is_published,permalink_url"));
  if (response.status == 400 && graph_object_missing(response)) return out;
  if (auto problem = classify_graph(response, clock_())) {
    out.error = "Facebook: reading post " + post_id + ": " + message_of(*problem);
    return out;
  }
  auto body = parse_object(response.body);
  const json::value* published = body ? body->if_contains("is_published") : nullptr;
  if (!published || !published->is_bool()) {
    out.error = "Facebook: the answer about post " + post_id + " does not say whether it is published";
    return out;
  }
  out.exists = true;
  out.published = published->get_bool();
  std::string url = string_member(*body, "permalink_url");
  out.permalink = url.starts_with("https://") ? url : facebook_post_url(post_id);
  return out;
}

// POST /{post-id} {"is_published": true}. Publishing the same post again
// changes nothing, so a lost answer here is Unsure and a repeat is safe.
PublishResult FacebookConnector::publish_post(const std::string& state_key, const std::string& post_id) {
  HttpRequest publish = request("POST", "/" + percent_encode(post_id));
  publish.body = json::serialize(json::object{{"is_published", true}});
  publish.content_type = "application/json";
  const HttpResponse response = http_.send(publish);
  const std::string what = "Facebook: publishing post " + post_id;
  if (!response.error.empty())
    return Unsure{what + ": no answer (" + response.error + "); sending it again publishes the same post"};
  if (auto problem = classify_graph(response, clock_()))
    return with_context(create_outcome(response, std::move(*problem)), what);
  // The remembered post stays: herald may be killed before this answer is
  // committed, and the repeat after the restart must find it public rather
  // than make another (the crash test kills it exactly there).
  (void)state_key;
  return Published{post_id, permalink(post_id)};
}

void FacebookConnector::forget(const std::string& state_key) {
  try {
    state().erase(state_key);
  } catch (const std::exception&) {
    // Best effort: an entry left behind names a post that is published or
    // gone, and a later attempt or lookup asks Graph which before acting.
  }
}

// DELETE /{post-id}; gone already is as good.
std::optional<PublishResult> FacebookConnector::delete_post(const std::string& post_id) {
  const HttpResponse response = http_.send(request("DELETE", "/" + percent_encode(post_id)));
  if (response.status == 400 && graph_object_missing(response)) return std::nullopt;
  if (auto problem = classify_graph(response, clock_()))
    return with_context(std::move(*problem), "Facebook: deleting the stale unpublished post " + post_id);
  return std::nullopt;
}

// The post is out once this is called: any failure to read its permalink
// falls back to the URL built from the id, never to an error.
std::string FacebookConnector::permalink(const std::string& post_id) {
  const HttpResponse response = http_.send(request("GET", "/" + percent_encode(post_id) + "?fields=permalink_url"));
  if (response.error.empty() && response.status == 200) {
    if (auto body = parse_object(response.body)) {
      std::string url = string_member(*body, "permalink_url");
      if (url.starts_with("https://")) return url;
    }
  }
  return facebook_post_url(post_id);
}

namespace {
// A comment's address: the post's with ?comment_id= and the comment's own
// number (the part of "{post-number}_{comment-number}" after the '_'), as
// Facebook's web links to a comment are.
std::string comment_url(const CommentOn& on, const std::string& comment_id) {
  const std::string post = on.url.empty() ? facebook_post_url(on.remote_id) : on.url;
  const auto underscore = comment_id.find('_');
  const std::string number = underscore == std::string::npos ? comment_id : comment_id.substr(underscore + 1);
  return post + (post.find('?') == std::string::npos ? "?" : "&") + "comment_id=" + number;
}
}  // namespace

// A first comment: POST /{page-post-id}/comments {"message"}
// (https://developers.facebook.com/docs/graph-api/reference/object/comments),
// with the Page token, so the Page comments. Graph makes a new comment on
// every such request, so after a lost answer the post's comments are read
// first, whatever the dispatcher's policy.
PublishResult FacebookConnector::publish_comment(const PublishRequest& req) {
  const CommentOn& on = *req.comment_on;
  const std::string& text = req.composed.text;
  if (on.remote_id.empty()) return Failed{"Facebook: the post this comment goes under has no recorded post id"};
  if (text.empty()) return Failed{"Facebook: the comment has no text"};
  if (req.answer_lost_before) {
    LookupResult found = find_comment(on, text);
    if (const auto* f = std::get_if<Found>(&found)) return Published{f->remote_id, f->url};
    if (const auto* u = std::get_if<Unknown>(&found))
      return Unsure{"Facebook: an earlier attempt lost its answer and the post's comments cannot be read: " + u->message};
  }
  HttpRequest post = request("POST", "/" + percent_encode(on.remote_id) + "/comments");
  post.body = json::serialize(json::object{{"message", text}});
  post.content_type = "application/json";
  const HttpResponse response = http_.send(post);
  if (!response.error.empty()) {
    return Unsure{"Facebook: no answer to the comment (" + response.error + "); it may exist"};
  }
  if (response.status == 400 && graph_object_missing(response)) {
    return Failed{"Facebook: the post this comment goes under is gone (post " + on.remote_id +
                  " does not exist on the Page any more)"};
  }
  if (auto problem = classify_graph(response, clock_()))
    return with_context(create_outcome(response, std::move(*problem)), "Facebook: commenting");
  std::string id;
  if (auto body = parse_object(response.body)) id = string_member(*body, "id");
  if (id.empty()) return Unsure{"Facebook: answered " + std::to_string(response.status) + " to the comment without an id"};
  return Published{id, comment_url(on, id)};
}

// GET /{post-id}/comments, newest first: the Page's own comment with the text.
LookupResult FacebookConnector::find_comment(const CommentOn& on, const std::string& text) {
  if (on.remote_id.empty()) return Unknown{"Facebook: the post this comment goes under has no recorded post id"};
  const HttpResponse response =
      http_.send(request("GET", "/" + percent_encode(on.remote_id) +
                                    "/comments?fields=id,message,from,permalink_url&order=reverse_chronological&limit=100"));
  if (!response.error.empty()) return Unknown{"Facebook: reading the post's comments failed: " + response.error};
  // The post is gone, and its comments with it; a new one would be refused.
  if (response.status == 400 && graph_object_missing(response)) return Absent{};
  if (auto problem = classify_graph(response, clock_())) return Unknown{message_of(*problem)};
  auto body = parse_object(response.body);
  const json::value* data = body ? body->if_contains("data") : nullptr;
  if (!data || !data->is_array()) return Unknown{"Facebook: the post's comments answer has no comment list"};
  for (const auto& item : data->as_array()) {
    const auto* comment = item.if_object();
    if (!comment || string_member(*comment, "message") != text) continue;
    const auto* from = comment->if_contains("from");
    if (!from || !from->is_object() || string_member(from->as_object(), "id") != channel_.page_id) continue;
    std::string id = string_member(*comment, "id");
    if (id.empty()) continue;
    std::string url = string_member(*comment, "permalink_url");
    return Found{id, url.starts_with("https://") ? url : comment_url(on, id)};
  }
  // A first comment is among the newest 100 unless 100 more came in the
  // minutes since it was made.
  return Absent{};
}

PublishResult FacebookConnector::publish(const PublishRequest& req) {
  if (req.comment_on) return publish_comment(req);
  const Composed& composed = req.composed;
  if (composed.media.size() > 1) {
    return Failed{"Facebook: one image per post, not " + std::to_string(composed.media.size())};
  }
  if (composed.media.empty() && composed.text.empty() && composed.link.empty()) {
    return Failed{"Facebook: nothing to post (no message, link or image)"};
  }
  // The image is checked before anything is sent, so each failure here is certain.
  std::optional<Image> image;
  if (!composed.media.empty()) {
    const std::filesystem::path& file = composed.media.front();
    const auto type = sniff_media(file);
    const char* content_type = type ? image_content_type(*type) : nullptr;
    if (!content_type) return Failed{"Facebook: " + file.string() + " is not a JPEG, PNG or GIF image"};
    auto bytes = read_file_bytes(file, kFacebookMaxImageBytes);
    if (!bytes) {
      return Failed{"Facebook: cannot read " + file.string() + " (missing, unreadable or over " +
                    std::to_string(kFacebookMaxImageBytes / (1024 * 1024)) + " MB)"};
    }
    image = Image{std::move(*bytes), file.filename().string(), content_type};
  }
  const std::string made_with = fingerprint(composed, image ? image->bytes : std::string());
  const std::string key = facebook_state_key(channel_.page_id, req.key);

  std::optional<Remembered> remembered;
  try {
    if (auto value = state().get(key)) {
      if (auto o = parse_object(*value)) remembered = Remembered{string_member(*o, "post_id"), string_member(*o, "made_with")};
    }
  } catch (const std::exception& e) {
    return RetryLater{std::nullopt, std::string("Facebook: connector state unreadable: ") + e.what()};
  }

  if (remembered && !remembered->post_id.empty()) {
    // An earlier attempt made this post: where does it stand?
    const std::string& id = remembered->post_id;
    PostState now = read_post(id);
    if (now.error) return RetryLater{std::nullopt, *now.error};
    if (now.exists && now.published) {
      // Out already (the answer to publishing it was lost). An edit made
      // since cannot be applied by a second post. Still remembered, for a
      // repeat after a crash before this answer is committed.
      return Published{id, now.permalink};
    }
    if (now.exists && remembered->made_with == made_with) return publish_post(key, id);
    if (now.exists) {
      // Made with an earlier message, link or image. It goes before a new
      // one is made: if it stayed, a slow earlier request to publish it
      // could still make it public beside the new one. Then it is
      // forgotten, so that its absence is never taken for a person's doing.
      if (auto problem = delete_post(id)) return std::move(*problem);
      try {
        state().erase(key);
      } catch (const std::exception& e) {
        return RetryLater{std::nullopt, "Facebook: deleted the stale unpublished post " + id +
                                            " but cannot forget it: " + e.what()};
      }
    } else if (remembered->made_with == made_with) {
      // Herald never deletes a post it still means to publish: a person did,
      // and only a person can tell whether it had gone out.
      forget(key);
      return Failed{"Facebook: the unpublished post " + id +
                    " herald made for this delivery is gone from the Page; retry the delivery to make a new one"};
    }
  }

  Create create = image ? create_photo(composed, *image) : create_feed(composed);
  if (create.error) return std::move(*create.error);
  // Durable before the post is published: a repeat publishes this one.
  try {
    state().put(key, json::serialize(json::object{{"post_id", create.post_id}, {"made_with", made_with}}));
  } catch (const std::exception& e) {
    return RetryLater{std::nullopt, "Facebook: cannot remember the unpublished post " + create.post_id +
                                        " (it stays unpublished): " + e.what()};
  }
  return publish_post(key, create.post_id);
}

LookupResult FacebookConnector::lookup(const PublishRequest& req) {
  if (req.comment_on) return find_comment(*req.comment_on, req.composed.text);
  const std::string key = facebook_state_key(channel_.page_id, req.key);
  std::string remembered;
  try {
    if (auto value = state().get(key))
      if (auto o = parse_object(*value)) remembered = string_member(*o, "post_id");
  } catch (const std::exception& e) {
    return Unknown{std::string("Facebook: connector state unreadable: ") + e.what()};
  }
  if (!remembered.empty()) {
    PostState now = read_post(remembered);
    if (now.error) return Unknown{*now.error};
    if (now.exists) {
      if (now.published) return Found{remembered, now.permalink};
      return Absent{};  // made, not public: a repeat publishes it
    }
    // Gone: the Page's posts may still hold this delivery's.
  }

  const std::string& text = req.composed.text;
  if (text.empty()) return Unknown{"Facebook: a post without a message cannot be recognised among the Page's posts"};
  const HttpResponse response = http_.send(
      request("GET", "/" + percent_encode(channel_.page_id) + "/posts?fields=id,message,permalink_url&limit=100"));
  if (!response.error.empty()) return Unknown{"Facebook: reading the Page's posts failed: " + response.error};
  if (auto problem = classify_graph(response, clock_())) return Unknown{message_of(*problem)};

  auto body = parse_object(response.body);
  const json::value* data = body ? body->if_contains("data") : nullptr;
  if (!data || !data->is_array()) return Unknown{"Facebook: the Page's posts answer has no post list"};
  for (const auto& item : data->as_array()) {
    const auto* post = item.if_object();
    if (!post || string_member(*post, "message") != text) continue;
    std::string id = string_member(*post, "id");
    if (id.empty()) continue;
    std::string url = string_member(*post, "permalink_url");
    return Found{id, url.starts_with("https://") ? url : facebook_post_url(id)};
  }
  // One page is enough: Graph lists posts newest first, and a lookup asks
  // about a create that was under way when herald stopped, so the post, if it
  // exists, is among the newest 100 unless the Page got 100 more since.
  // Unlike the X connector this does not answer Unknown when more pages
  // exist: Graph's `paging.next` is there on any Page with over 100 posts,
  // which would make every lookup Unknown.
  return Absent{};
}

// Two reads: the post's engagement edges, then its insights. A read
// changes nothing, so a failure is never Unsure. The insights need a
// permission many Page tokens lack; their refusal (Failed) must not cost
// the counters every token may read.
CountersResult FacebookConnector::read_counters(const CountersRequest& req) {
  const std::string& id = req.remote_id;
  if (id.empty()) return Failed{"Facebook: no post id was recorded for " + req.key};
  const HttpResponse response = http_.send(request(
      "GET", "/" + percent_encode(id) + "?fields=" +
                 percent_encode("reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares")));
  if (response.status == 400 && graph_object_missing(response)) return Gone{"Facebook: post " + id + " is gone from the Page"};
  if (auto problem = classify_graph(response, clock_()))
    return counters_problem(with_context(std::move(*problem), "Facebook: reading post " + id));
  auto body = parse_object(response.body);
  if (!body) return RetryLater{std::nullopt, "Facebook: the answer about post " + id + " is not a JSON object"};
  auto total_of = [&](std::string_view edge) -> std::optional<std::int64_t> {
    const json::object* field = member_object(*body, edge);
    const json::object* summary = field ? member_object(*field, "summary") : nullptr;
    return summary ? member_int(*summary, "total_count") : std::nullopt;
  };
  Counters out;
  if (auto n = total_of("reactions")) out.values.push_back(Counter{"reactions", metric::likes, *n});
  if (auto n = total_of("comments")) out.values.push_back(Counter{"comments", metric::replies, *n});
  const json::object* shares = member_object(*body, "shares");
  out.values.push_back(Counter{"shares", metric::shares, shares ? member_int(*shares, "count").value_or(0) : 0});

  const HttpResponse insights = http_.send(request("GET", "/" + percent_encode(id) + "/insights?metric=post_impressions"));
  if (insights.status == 400 && graph_object_missing(insights)) return Gone{"Facebook: post " + id + " is gone from the Page"};
  if (auto problem = classify_graph(insights, clock_())) {
    if (std::holds_alternative<Failed>(*problem)) return out;
    return counters_problem(with_context(std::move(*problem), "Facebook: reading the insights of post " + id));
  }
  if (auto answer = parse_object(insights.body)) append_insights(out.values, *answer, {{"post_impressions", metric::views}});
  return out;
}

}  // namespace herald
