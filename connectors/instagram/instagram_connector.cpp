#include "connectors/instagram/instagram_connector.hpp"
#include "connectors/form_encoding.hpp"

#include "compose/media.hpp"
#include "connectors/counters.hpp"
#include "connectors/digest.hpp"
#include "connectors/http_result.hpp"
#include "connectors/json_fields.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <utility>

// Instagram Platform pages this follows (the sandbox,
// tests/sandbox/sandbox_instagram.cpp, cites the same and emulates them):
//  - Content Publishing (Instagram API with Facebook Login),
//    https://developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/content-publishing :
//    containers, media_publish, carousels (is_carousel_item, CAROUSEL with
//    children), Reels (media_type=REELS), JPEG only, media on a public
//    server, the 50 posts per 24 hours limit, "check the container's
//    status_code before publishing"
//  - IG User Media (.../reference/ig-user/media): image_url, video_url,
//    media_type, is_carousel_item, children, caption; GET lists media
//  - IG Container (.../reference/ig-container): status_code EXPIRED, ERROR,
//    FINISHED, IN_PROGRESS, PUBLISHED; status (the error subcode on ERROR);
//    a container not published within 24 hours expires
//  - IG User Media Publish (.../reference/ig-user/media_publish):
//    creation_id, answer {"id"}
//  - IG User Content Publishing Limit
//    (.../reference/ig-user/content_publishing_limit): quota_usage and
//    config {quota_total, quota_duration}
//  - IG Media (.../reference/ig-media): permalink, caption, timestamp;
//    like_count and comments_count
//    (https://developers.facebook.com/docs/instagram-platform/reference/instagram-media)
//  - IG Media Insights
//    (https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights):
//    metric=reach,saved (impressions is gone for media made after July 2024;
//    a metric with no data is left out of `data`); instagram_manage_insights,
//    and "(#10) Not enough viewers for the media to show insights"
//  - Error codes (.../instagram-graph-api/reference/error-codes): code 9
//    subcode 2207042 (the publishing limit), -2/2207020 (expired), 9007
//    "Media ID is not available" (not ready to publish); and the Graph API's
//    error handling guide for 190 and the throttling codes (classify_graph).

namespace herald {
namespace {
namespace json = boost::json;

constexpr const char* kDefaultBase = "https://graph.facebook.com";
constexpr const char* kDefaultVersion = "v21.0";
constexpr std::size_t kMaxItems = 10;
// How many of the account's newest media a search reads: the publishing
// limit's worth, so a post herald made in the last day is among them unless
// the account also posted that many by hand since.
constexpr int kRecentMedia = 50;

std::optional<json::object> parse_object(const std::string& body) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

std::string string_member(const json::object& object, std::string_view key) {
  if (const auto* v = object.if_contains(key)) {
    if (v->is_string()) return std::string(v->as_string());
    if (v->is_int64()) return std::to_string(v->as_int64());
    if (v->is_uint64()) return std::to_string(v->as_uint64());
  }
  return {};
}

// classify_graph words its messages for Facebook; the same Graph answers
// here are Instagram's.
PublishResult instagram_words(PublishResult result) {
  std::visit(
      [](auto& r) {
        if constexpr (requires { r.message; }) {
          if (r.message.starts_with("Facebook: ")) r.message.replace(0, 8, "Instagram");
        }
      },
      result);
  return result;
}

// The Graph error object's code and subcode, if the body has one.
std::pair<std::int64_t, std::int64_t> error_codes(const HttpResponse& response) {
  auto body = parse_object(response.body);
  const json::object* error = body ? member_object(*body, "error") : nullptr;
  if (!error) return {0, 0};
  return {member_int(*error, "code").value_or(0), member_int(*error, "error_subcode").value_or(0)};
}

// SHA-256 (hex) of what a container is made of: caption and media URLs.
// Two attempts with the same fingerprint make the same post.
std::string fingerprint(const std::string& caption, const std::vector<std::string>& urls) {
  std::string all = caption;
  for (const auto& url : urls) {
    all += '\0';
    all += url;
  }
  return sha256_hex(all);
}

std::string lower_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

}  // namespace

/// One media item of a post: its public URL and whether it is a video.
struct InstagramConnector::Item {
  std::string url;
  bool video = false;
};

/// The container an earlier attempt made for a delivery.
struct InstagramConnector::Remembered {
  std::string container;
  std::int64_t created = 0;  ///< Unix seconds, on the connector's clock
  std::string made_with;
  std::string caption;
};

/// What Graph says of a container, or why it could not be read.
struct InstagramConnector::Status {
  std::string code;  ///< status_code
  std::string words;  ///< status
  std::optional<PublishResult> error;
};

/// A media found among the account's recent media, or why the search failed.
struct InstagramConnector::MediaFound {
  std::string id, permalink;
  std::optional<std::string> error;
};

InstagramCredentials instagram_credentials(const Credentials& file) {
  InstagramCredentials out{file.at("access_token"), std::nullopt};
  if (auto expires = file.expires_at()) out.expires_at = std::chrono::floor<std::chrono::seconds>(*expires);
  return out;
}

std::string instagram_state_key(const std::string& account_id, const std::string& delivery_key) {
  return "instagram:" + account_id + ":" + delivery_key;
}

std::chrono::seconds instagram_processing_wait(std::chrono::seconds since_created) {
  // Asking about as often as the container has been waiting doubles the
  // interval with each poll: 5, 5, 10, 20, 40, 60, 60, ... seconds.
  return std::clamp(since_created, std::chrono::seconds{5}, std::chrono::seconds{60});
}

ContainerStep instagram_container_step(std::string_view status_code, std::chrono::seconds age,
                                       std::chrono::seconds bound) {
  if (status_code == "FINISHED") return ContainerStep::publish;
  if (status_code == "PUBLISHED") return ContainerStep::find_media;
  if (status_code == "IN_PROGRESS") return age > bound ? ContainerStep::give_up : ContainerStep::wait;
  if (status_code == "ERROR") return ContainerStep::fail;
  if (status_code == "EXPIRED") return ContainerStep::make_new;
  return ContainerStep::ask_later;
}

std::optional<Instant> parse_graph_timestamp(std::string_view text) {
  // 2026-12-02T19:45:00+0000: RFC 3339 but for the offset's missing colon.
  if (text.size() != 24 || (text[19] != '+' && text[19] != '-')) return std::nullopt;
  std::string rfc(text.substr(0, 22));
  rfc += ':';
  rfc += text.substr(22);
  std::string error;
  auto parsed = parse_timestamp(rfc, error);
  if (!parsed) return std::nullopt;
  if (const auto* instant = std::get_if<Instant>(&*parsed)) return *instant;
  return std::nullopt;
}

InstagramConnector::InstagramConnector(ChannelSettings channel, InstagramCredentials credentials, HttpClient& http,
                                       ConnectorState& state, Clock clock)
    : InstagramConnector(std::move(channel), std::move(credentials), http, &state, std::move(clock)) {}

InstagramConnector::InstagramConnector(ChannelSettings channel, InstagramCredentials credentials, HttpClient& http,
                                       Clock clock)
    : InstagramConnector(std::move(channel), std::move(credentials), http, static_cast<ConnectorState*>(nullptr),
                         std::move(clock)) {}

InstagramConnector::InstagramConnector(ChannelSettings channel, InstagramCredentials credentials, HttpClient& http,
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

InstagramConnector::~InstagramConnector() = default;
InstagramConnector::InstagramConnector(InstagramConnector&&) noexcept = default;

SettlePolicy InstagramConnector::settle_policy() const { return {own_state_ == nullptr, kSettleMargin}; }

std::optional<std::chrono::system_clock::time_point> InstagramConnector::credentials_expire_at() const {
  if (!credentials_.expires_at) return std::nullopt;
  return std::chrono::system_clock::time_point(credentials_.expires_at->time_since_epoch());
}

// The token goes as a Bearer credential, never into a URL (the documents
// show access_token as a query parameter; Graph takes either, and a URL ends
// up in logs).
HttpRequest InstagramConnector::request(std::string method, const std::string& path_and_query) {
  HttpRequest out;
  out.method = std::move(method);
  out.url = base_ + path_and_query;
  out.headers.emplace_back("Authorization", "Bearer " + credentials_.access_token.reveal());
  return out;
}

PublishResult InstagramConnector::graph_problem(const HttpResponse& response, const std::string& what) {
  auto problem = classify_graph(response, clock_());
  if (!problem) {
    return RetryLater{std::nullopt, "Instagram: " + what + ": unexpected answer (HTTP " +
                                        std::to_string(response.status) + ")"};
  }
  return with_context(instagram_words(std::move(*problem)), "Instagram: " + what);
}

void InstagramConnector::forget(const std::string& key) {
  try {
    state_->erase(key);
  } catch (const std::exception&) {
    // Best effort: an entry left behind names a container that is
    // published, failed or expired, and the next attempt asks Graph which.
  }
}

// GET /{ig-user-id}/content_publishing_limit: at the limit, wait until the
// oldest post of the window leaves it. Graph does not say which post that
// is; the oldest of the account's recent media inside the window is an
// estimate (it may include posts made by hand, so it may be early, and then
// the next attempt waits again).
std::optional<PublishResult> InstagramConnector::check_limit() {
  const std::string path = "/" + percent_encode(channel_.account_id);
  const HttpResponse response = http_.send(request("GET", path + "/content_publishing_limit?fields=quota_usage,config"));
  const std::string what = "reading the content publishing limit";
  if (!response.error.empty())
    return RetryLater{std::nullopt, "Instagram: " + what + ": no answer (" + response.error + ")"};
  if (response.status < 200 || response.status >= 300) return graph_problem(response, what);
  auto body = parse_object(response.body);
  const json::value* data = body ? body->if_contains("data") : nullptr;
  const json::object* item = data && data->is_array() && !data->as_array().empty() ? data->as_array()[0].if_object() : nullptr;
  if (!item) return RetryLater{std::nullopt, "Instagram: " + what + ": the answer has no data"};
  const std::int64_t usage = member_int(*item, "quota_usage").value_or(0);
  std::int64_t total = 50, duration = 86400;
  if (const json::object* config = member_object(*item, "config")) {
    total = member_int(*config, "quota_total").value_or(total);
    duration = member_int(*config, "quota_duration").value_or(duration);
  }
  if (usage < total) return std::nullopt;

  const std::string reason = "Instagram's publishing limit (" + std::to_string(total) + " per " +
                             std::to_string(duration / 3600) + " h) is reached";
  const Instant now = clock_();
  std::optional<Instant> oldest;
  const HttpResponse recent = http_.send(
      request("GET", path + "/media?fields=id,timestamp&limit=" + std::to_string(std::min<std::int64_t>(total, 100))));
  if (recent.error.empty() && recent.status == 200) {
    if (auto list = parse_object(recent.body)) {
      if (const json::value* media = list->if_contains("data"); media && media->is_array()) {
        for (const auto& m : media->as_array()) {
          const json::object* o = m.if_object();
          auto at = o ? parse_graph_timestamp(member_string(*o, "timestamp")) : std::nullopt;
          if (at && *at > now - std::chrono::seconds{duration} && (!oldest || *at < *oldest)) oldest = at;
        }
      }
    }
  }
  if (!oldest) return RetryLater{kLimitDefaultWait, reason};
  const auto wait = std::max(std::chrono::seconds{60}, *oldest + std::chrono::seconds{duration} - now);
  return RetryLater{wait, reason};
}

// POST /{ig-user-id}/media with a JSON body. Nothing public can come of a
// container, so no failure here is Unsure: a lost answer leaves at most an
// unpublished container, which expires.
std::optional<PublishResult> InstagramConnector::create_one(const std::string& body, const std::string& what,
                                                            std::string& id) {
  HttpRequest post = request("POST", "/" + percent_encode(channel_.account_id) + "/media");
  post.body = body;
  post.content_type = "application/json";
  const HttpResponse response = http_.send(post);
  if (!response.error.empty()) {
    return RetryLater{std::nullopt, "Instagram: no answer to " + what + " (" + response.error +
                                        "); if it was made it is never published and expires"};
  }
  if (response.status < 200 || response.status >= 300) return graph_problem(response, what);
  if (auto parsed = parse_object(response.body)) id = string_member(*parsed, "id");
  if (id.empty())
    return RetryLater{std::nullopt, "Instagram: answered " + std::to_string(response.status) + " to " + what +
                                        " without an id"};
  return std::nullopt;
}

// One image or Reel container; or each carousel item in order, then the
// CAROUSEL container naming them.
std::optional<PublishResult> InstagramConnector::create_containers(const std::vector<Item>& items,
                                                                   const std::string& caption,
                                                                   std::string& container_id) {
  if (items.size() == 1) {
    const Item& item = items.front();
    json::object body{{"caption", caption}};
    if (item.video) {
      body["video_url"] = item.url;
      body["media_type"] = "REELS";
    } else {
      body["image_url"] = item.url;
    }
    return create_one(json::serialize(body), item.video ? "making the Reel container" : "making the image container",
                      container_id);
  }
  std::string children;
  for (std::size_t i = 0; i < items.size(); ++i) {
    json::object body{{"is_carousel_item", true}};
    if (items[i].video) {
      body["video_url"] = items[i].url;
      body["media_type"] = "VIDEO";
    } else {
      body["image_url"] = items[i].url;
    }
    std::string id;
    if (auto problem = create_one(json::serialize(body), "making carousel item " + std::to_string(i + 1), id))
      return problem;
    children += (children.empty() ? "" : ",") + id;
  }
  json::object body{{"media_type", "CAROUSEL"}, {"children", children}, {"caption", caption}};
  return create_one(json::serialize(body), "making the carousel container", container_id);
}

// GET /{container-id}?fields=status_code,status
InstagramConnector::Status InstagramConnector::read_status(const std::string& container_id) {
  Status out;
  const HttpResponse response =
      http_.send(request("GET", "/" + percent_encode(container_id) + "?fields=status_code,status"));
  const std::string what = "reading the status of container " + container_id;
  if (!response.error.empty()) {
    out.error = RetryLater{std::nullopt, "Instagram: " + what + ": no answer (" + response.error + ")"};
    return out;
  }
  if (response.status < 200 || response.status >= 300) {
    PublishResult problem = graph_problem(response, what);
    // A container Graph cannot read is no post; only a person can fix
    // whatever is wrong with it, so this is not Failed but waits.
    if (std::holds_alternative<Failed>(problem)) problem = RetryLater{std::nullopt, message_of(problem)};
    out.error = std::move(problem);
    return out;
  }
  auto body = parse_object(response.body);
  out.code = body ? string_member(*body, "status_code") : std::string();
  out.words = body ? string_member(*body, "status") : std::string();
  if (out.code.empty()) out.error = RetryLater{std::nullopt, "Instagram: " + what + ": the answer has no status_code"};
  return out;
}

// The account's newest media, looking for `caption` (made no earlier than
// `not_before`, when given).
InstagramConnector::MediaFound InstagramConnector::find_media(const std::string& caption,
                                                              std::optional<Instant> not_before) {
  MediaFound out;
  const HttpResponse response =
      http_.send(request("GET", "/" + percent_encode(channel_.account_id) +
                                    "/media?fields=id,caption,permalink,timestamp&limit=" + std::to_string(kRecentMedia)));
  if (!response.error.empty()) {
    out.error = "Instagram: reading the account's recent media failed: " + response.error;
    return out;
  }
  if (response.status < 200 || response.status >= 300) {
    out.error = message_of(graph_problem(response, "reading the account's recent media"));
    return out;
  }
  auto body = parse_object(response.body);
  const json::value* data = body ? body->if_contains("data") : nullptr;
  if (!data || !data->is_array()) {
    out.error = "Instagram: the account's media answer has no media list";
    return out;
  }
  for (const auto& item : data->as_array()) {
    const json::object* media = item.if_object();
    if (!media || string_member(*media, "caption") != caption) continue;
    if (not_before) {
      // A clock a minute apart from Instagram's should not hide the post.
      auto at = parse_graph_timestamp(member_string(*media, "timestamp"));
      if (at && *at < *not_before - std::chrono::seconds{60}) continue;
    }
    out.id = string_member(*media, "id");
    if (out.id.empty()) continue;
    out.permalink = member_string(*media, "permalink");
    return out;
  }
  return out;
}

// The post is out once this is called: a failed read leaves the URL empty
// (an Instagram permalink names a shortcode that cannot be built from the id).
std::string InstagramConnector::permalink(const std::string& media_id) {
  const HttpResponse response = http_.send(request("GET", "/" + percent_encode(media_id) + "?fields=permalink"));
  if (response.error.empty() && response.status == 200) {
    if (auto body = parse_object(response.body)) {
      std::string url = string_member(*body, "permalink");
      if (url.starts_with("https://")) return url;
    }
  }
  return {};
}

// The container is PUBLISHED but its answer was lost: its media is the
// newest with its caption.
PublishResult InstagramConnector::published_already(const std::string& key, const Remembered& remembered) {
  MediaFound found = find_media(remembered.caption, Instant{std::chrono::seconds{remembered.created}});
  if (found.error) return RetryLater{std::nullopt, *found.error};
  if (found.id.empty()) {
    return RetryLater{std::nullopt, "Instagram: container " + remembered.container +
                                        " is published but its media is not among the account's recent media yet"};
  }
  // Still remembered: a repeat after a crash before this answer is
  // committed finds the container PUBLISHED again, never a new container.
  (void)key;
  return Published{found.id, found.permalink};
}

// POST /{ig-user-id}/media_publish creation_id=CONTAINER. Instagram publishes
// a container once, so after a lost answer a repeat finds it PUBLISHED
// instead of making a second post.
PublishResult InstagramConnector::publish_container(const std::string& key, const Remembered& remembered) {
  HttpRequest post = request("POST", "/" + percent_encode(channel_.account_id) + "/media_publish");
  post.body = json::serialize(json::object{{"creation_id", remembered.container}});
  post.content_type = "application/json";
  const HttpResponse response = http_.send(post);
  const std::string what = "publishing container " + remembered.container;
  if (!response.error.empty()) {
    return Unsure{"Instagram: " + what + ": no answer (" + response.error +
                  "); the container is the key: a repeat finds it published or publishes it"};
  }
  if (response.status >= 200 && response.status < 300) {
    std::string id;
    if (auto body = parse_object(response.body)) id = string_member(*body, "id");
    if (id.empty()) return Unsure{"Instagram: " + what + ": answered without a media id"};
    // The container stays remembered: herald may be killed before this
    // answer is committed, and the repeat must find it PUBLISHED.
    return Published{id, permalink(id)};
  }
  const auto [code, subcode] = error_codes(response);
  if (code == 9007) {
    // Not ready after all (or published meanwhile by an earlier request):
    // the next call reads the status again.
    return Processing{instagram_processing_wait(clock_() - Instant{std::chrono::seconds{remembered.created}}),
                      "Instagram is processing the media of container " + remembered.container};
  }
  if (subcode == 2207020) {
    forget(key);
    return Processing{std::chrono::seconds{5}, "Instagram: container " + remembered.container +
                                                   " expired before it was published; a new one is made next"};
  }
  if (code == 9 && subcode == 2207042) {
    // Kept: the finished container is published once the window allows.
    return RetryLater{kLimitDefaultWait, "Instagram's publishing limit (50 per 24 h) is reached"};
  }
  return create_outcome(response, graph_problem(response, what));
}

// Goes on from a container: nullopt when a new one must be made (expired).
std::optional<PublishResult> InstagramConnector::advance(const std::string& key, const Remembered& remembered) {
  Status status = read_status(remembered.container);
  if (status.error) return std::move(*status.error);
  const auto age = clock_() - Instant{std::chrono::seconds{remembered.created}};
  const std::string& id = remembered.container;
  switch (instagram_container_step(status.code, age, kProcessingBound)) {
    case ContainerStep::publish: return publish_container(key, remembered);
    case ContainerStep::find_media: return published_already(key, remembered);
    case ContainerStep::wait:
      return Processing{instagram_processing_wait(age),
                        "Instagram is processing the media of container " + id +
                            (status.words.empty() ? std::string() : " (" + status.words + ")")};
    case ContainerStep::give_up:
      forget(key);
      return Failed{"Instagram: container " + id + " was still being processed " +
                    std::to_string(std::chrono::duration_cast<std::chrono::minutes>(age).count()) +
                    " minutes after it was made; herald gave up on it (retry the delivery to make a new one)"};
    case ContainerStep::fail:
      forget(key);
      return Failed{"Instagram could not prepare the media of container " + id + ": " +
                    (status.words.empty() ? std::string("no reason given") : status.words)};
    case ContainerStep::make_new:
      forget(key);
      return std::nullopt;
    case ContainerStep::ask_later: break;
  }
  return RetryLater{std::nullopt, "Instagram: container " + id + " has the unknown status " + status.code};
}

// A first comment: POST /{ig-media-id}/comments with `message`
// (developers.facebook.com, Instagram Platform, IG Media Comments), the
// account commenting on its own media. Graph makes a new comment on every
// such request, so after a lost answer the media's comments are read
// first, whatever the dispatcher's policy. Instagram gives no address of a
// comment: its URL is the media's permalink.
PublishResult InstagramConnector::publish_comment(const PublishRequest& req) {
  const CommentOn& on = *req.comment_on;
  const std::string& text = req.composed.text;
  if (on.remote_id.empty()) return Failed{"Instagram: the post this comment goes under has no recorded media id"};
  if (text.empty()) return Failed{"Instagram: the comment has no text"};
  if (req.answer_lost_before) {
    LookupResult found = find_comment(on, text);
    if (const auto* f = std::get_if<Found>(&found)) return Published{f->remote_id, f->url};
    if (const auto* u = std::get_if<Unknown>(&found))
      return Unsure{"Instagram: an earlier attempt lost its answer and the media's comments cannot be read: " +
                    u->message};
  }
  HttpRequest post = request("POST", "/" + percent_encode(on.remote_id) + "/comments");
  post.body = json::serialize(json::object{{"message", text}});
  post.content_type = "application/json";
  const HttpResponse response = http_.send(post);
  if (!response.error.empty()) return Unsure{"Instagram: no answer to the comment (" + response.error + "); it may exist"};
  if (response.status == 400 && graph_object_missing(response)) {
    return Failed{"Instagram: the post this comment goes under is gone (media " + on.remote_id +
                  " does not exist any more)"};
  }
  if (auto problem = classify_graph(response, clock_()))
    return with_context(create_outcome(response, instagram_words(std::move(*problem))), "Instagram: commenting");
  std::string id;
  if (auto body = parse_object(response.body)) id = string_member(*body, "id");
  if (id.empty())
    return Unsure{"Instagram: answered " + std::to_string(response.status) + " to the comment without an id"};
  return Published{id, on.url};
}

// GET /{ig-media-id}/comments: the account's own comment with the text
// (IG Comment `from` {id, username}).
LookupResult InstagramConnector::find_comment(const CommentOn& on, const std::string& text) {
  if (on.remote_id.empty()) return Unknown{"Instagram: the post this comment goes under has no recorded media id"};
  const HttpResponse response = http_.send(
      request("GET", "/" + percent_encode(on.remote_id) + "/comments?fields=id,text,timestamp,from,username"));
  if (!response.error.empty()) return Unknown{"Instagram: reading the media's comments failed: " + response.error};
  // The media is gone, its comments with it; a new one would be refused.
  if (response.status == 400 && graph_object_missing(response)) return Absent{};
  if (auto problem = classify_graph(response, clock_())) return Unknown{"Instagram: " + message_of(*problem)};
  auto body = parse_object(response.body);
  const json::value* data = body ? body->if_contains("data") : nullptr;
  if (!data || !data->is_array()) return Unknown{"Instagram: the media's comments answer has no comment list"};
  for (const auto& item : data->as_array()) {
    const auto* comment = item.if_object();
    if (!comment || string_member(*comment, "text") != text) continue;
    const auto* from = comment->if_contains("from");
    if (!from || !from->is_object() || string_member(from->as_object(), "id") != channel_.account_id) continue;
    const std::string id = string_member(*comment, "id");
    if (!id.empty()) return Found{id, on.url};
  }
  return Absent{};
}

PublishResult InstagramConnector::publish(const PublishRequest& req) {
  if (req.comment_on) return publish_comment(req);
  const Composed& composed = req.composed;
  if (composed.media.empty()) return Failed{"Instagram: every post needs an image or a video"};
  if (composed.media.size() > kMaxItems)
    return Failed{"Instagram: at most " + std::to_string(kMaxItems) + " media in a carousel, not " +
                  std::to_string(composed.media.size())};
  if (composed.media_urls.size() != composed.media.size())
    return Failed{"Instagram: the media have no public URL; set media_url in the settings to where the calendar's "
                  "directory is served, so Instagram can fetch them"};
  // The type of each item is known before anything is sent, so each failure
  // here is certain.
  std::vector<Item> items;
  for (std::size_t i = 0; i < composed.media.size(); ++i) {
    const auto& file = composed.media[i];
    bool video = false;
    if (auto type = sniff_media(file)) {
      if (*type != MediaType::jpeg && *type != MediaType::mp4)
        return Failed{"Instagram: " + file.string() + " is not a JPEG image or an MP4 video"};
      video = *type == MediaType::mp4;
    } else {
      const std::string ext = lower_extension(file);
      if (ext != ".jpg" && ext != ".jpeg" && ext != ".mp4")
        return Failed{"Instagram: " + file.string() + " is not a JPEG image or an MP4 video"};
      video = ext == ".mp4";
    }
    items.push_back({composed.media_urls[i], video});
  }
  const std::string made_with = fingerprint(composed.text, composed.media_urls);
  const std::string key = instagram_state_key(channel_.account_id, req.key);

  std::optional<Remembered> remembered;
  try {
    if (auto value = state_->get(key)) {
      if (auto o = parse_object(*value)) {
        remembered = Remembered{string_member(*o, "container"), member_int(*o, "created").value_or(0),
                                string_member(*o, "made_with"), string_member(*o, "caption")};
      }
    }
  } catch (const std::exception& e) {
    return RetryLater{std::nullopt, std::string("Instagram: connector state unreadable: ") + e.what()};
  }

  if (remembered && !remembered->container.empty()) {
    if (remembered->made_with == made_with) {
      if (auto result = advance(key, *remembered)) return std::move(*result);
      // Expired: a new container below.
    } else {
      // Made with an earlier caption or media. Published already: an edit
      // cannot be applied by a second post. Otherwise it is dropped, never
      // published, and expires on its own.
      Status status = read_status(remembered->container);
      if (status.error) return std::move(*status.error);
      if (status.code == "PUBLISHED") return published_already(key, *remembered);
      forget(key);
    }
  }

  if (auto stop = check_limit()) return std::move(*stop);
  std::string container;
  if (auto problem = create_containers(items, composed.text, container)) return std::move(*problem);
  const Remembered made{container, clock_().time_since_epoch().count(), made_with, composed.text};
  // Durable before anything can publish it: a repeat goes on from this one.
  try {
    state_->put(key, json::serialize(json::object{{"container", made.container},
                                                  {"created", made.created},
                                                  {"made_with", made.made_with},
                                                  {"caption", made.caption}}));
  } catch (const std::exception& e) {
    return RetryLater{std::nullopt, "Instagram: cannot remember container " + container +
                                        " (it is never published and expires): " + e.what()};
  }
  if (auto result = advance(key, made)) return std::move(*result);
  return RetryLater{std::nullopt, "Instagram: container " + container + " expired at once"};
}

LookupResult InstagramConnector::lookup(const PublishRequest& req) {
  if (req.comment_on) return find_comment(*req.comment_on, req.composed.text);
  const std::string key = instagram_state_key(channel_.account_id, req.key);
  std::optional<Remembered> remembered;
  try {
    if (auto value = state_->get(key))
      if (auto o = parse_object(*value))
        remembered = Remembered{string_member(*o, "container"), member_int(*o, "created").value_or(0),
                                string_member(*o, "made_with"), string_member(*o, "caption")};
  } catch (const std::exception& e) {
    return Unknown{std::string("Instagram: connector state unreadable: ") + e.what()};
  }
  if (remembered && !remembered->container.empty()) {
    Status status = read_status(remembered->container);
    if (status.error) return Unknown{message_of(*status.error)};
    if (status.code != "PUBLISHED") return Absent{};  // made, not public: a repeat goes on from it
    MediaFound found = find_media(remembered->caption, Instant{std::chrono::seconds{remembered->created}});
    if (found.error) return Unknown{*found.error};
    if (found.id.empty())
      return Unknown{"Instagram: container " + remembered->container +
                     " is published but its media is not among the account's recent media"};
    return Found{found.id, found.permalink};
  }
  const std::string& caption = req.composed.text;
  if (caption.empty())
    return Unknown{"Instagram: a post without a caption cannot be recognised among the account's media"};
  MediaFound found = find_media(caption, std::nullopt);
  if (found.error) return Unknown{*found.error};
  if (found.id.empty()) return Absent{};
  return Found{found.id, found.permalink};
}

// Two reads, as for a Facebook post: the media's own counts, then its
// insights, whose refusal (Failed) keeps the counts every token may read.
CountersResult InstagramConnector::read_counters(const CountersRequest& req) {
  const std::string& id = req.remote_id;
  if (id.empty()) return Failed{"Instagram: no media id was recorded for " + req.key};
  const HttpResponse response = http_.send(request("GET", "/" + percent_encode(id) + "?fields=like_count,comments_count"));
  if (response.status == 400 && graph_object_missing(response)) return Gone{"Instagram: media " + id + " is gone"};
  if (auto problem = classify_graph(response, clock_()))
    return counters_problem(with_context(instagram_words(std::move(*problem)), "Instagram: reading media " + id));
  auto body = parse_object(response.body);
  if (!body) return RetryLater{std::nullopt, "Instagram: the answer about media " + id + " is not a JSON object"};
  Counters out;
  append_counters(out.values, *body, {{"like_count", metric::likes}, {"comments_count", metric::replies}});

  const HttpResponse insights = http_.send(request("GET", "/" + percent_encode(id) + "/insights?metric=reach,saved"));
  if (insights.status == 400 && graph_object_missing(insights)) return Gone{"Instagram: media " + id + " is gone"};
  if (auto problem = classify_graph(insights, clock_())) {
    if (std::holds_alternative<Failed>(*problem)) return out;
    return counters_problem(
        with_context(instagram_words(std::move(*problem)), "Instagram: reading the insights of media " + id));
  }
  if (auto answer = parse_object(insights.body))
    append_insights(out.values, *answer, {{"reach", metric::views}, {"saved", ""}});
  return out;
}

}  // namespace herald
