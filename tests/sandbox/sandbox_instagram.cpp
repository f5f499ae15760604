#include "tests/sandbox/sandbox_instagram.hpp"
#include "config/text.hpp"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <regex>

#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"
#include "tests/sandbox/sandbox_graph.hpp"
#include "tests/sandbox/sandbox_util.hpp"

// Sources for the emulated Instagram Graph API behaviour (Instagram API with
// Facebook Login, host graph.facebook.com, checked 2026):
// - Content Publishing guide,
//   https://developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/content-publishing :
//   a container is made with POST /{ig-user-id}/media (image_url, or
//   video_url with media_type=REELS, and caption), then published with POST
//   /{ig-user-id}/media_publish creation_id=...; carousels are up to 10
//   item containers made with is_carousel_item=true, then a container with
//   media_type=CAROUSEL, children (comma-separated ids) and caption; media
//   must be on a public server, Instagram fetches it ("cURL"s it) when the
//   container is made; JPEG is the only image format; limits: 50 API-published
//   posts per rolling 24 hours, captions up to 2,200 characters and 30
//   hashtags; a carousel counts as one post.
// - IG User Media, .../instagram-graph-api/reference/ig-user/media :
//   the create parameters above and the answer {"id": container id}; GET
//   lists the user's media newest first, with fields and cursor paging.
// - IG Container, .../instagram-graph-api/reference/ig-container :
//   GET /{container-id}?fields=status_code,status; status_code EXPIRED (not
//   published within 24 hours), ERROR (status is then the error subcode),
//   FINISHED (ready to publish), IN_PROGRESS, PUBLISHED.
// - IG User Media Publish, .../reference/ig-user/media_publish :
//   creation_id, answer {"id": IG media id}.
// - IG User Content Publishing Limit,
//   .../reference/ig-user/content_publishing_limit : fields quota_usage and
//   config {quota_total, quota_duration}, answer {"data":[{...}]}.
// - IG Media comments, .../reference/ig-media/comments : POST
//   /{ig-media-id}/comments with `message` (the account comments on its own
//   media; instagram_manage_comments), answer {"id": IG_COMMENT_ID}; GET
//   lists {"data":[{"timestamp","text","id"}]} with fields= id, text,
//   timestamp, username, from {id, username} (IG Comment,
//   .../reference/ig-comment), oldest first here; a media that is gone is
//   any missing object (400, code 100, subcode 33). comments_count counts
//   them.
// - IG Media, .../reference/ig-media : id, caption, media_type (IMAGE,
//   VIDEO, CAROUSEL_ALBUM), media_product_type, permalink, timestamp
//   (ISO 8601 with +0000), children.
// - IG Media engagement fields like_count and comments_count,
//   https://developers.facebook.com/docs/instagram-platform/reference/instagram-media ;
//   media insights, GET /{ig-media-id}/insights?metric=reach,saved,views ->
//   {"data":[{"name","period":"lifetime","values":[{"value"}],"title",
//   "description","id":"{media-id}/insights/{metric}/lifetime"}]}, with
//   instagram_manage_insights (a token without it is refused with code 10;
//   the words are the sandbox's), an unknown metric (100):
//   https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights .
//   The sandbox's counts grow with the media's age on its clock
//   (sandbox_engagement); its reach is half its views.
// - Error codes, .../instagram-graph-api/reference/error-codes : the error
//   object as in the Graph API; code 9 subcode 2207042 "You reached maximum
//   number of posts that is allowed to be published by Content Publishing
//   API."; code -2 subcode 2207020 for an expired container; code 9007
//   subcode 2207027 "Media ID is not available" (the media is not ready for
//   publishing) for publishing a container that is not FINISHED.
// Where the documents do not say, the sandbox chooses and says so here:
// - publishing a container that was published already answers the same 9007
//   "Media ID is not available" error (the container is not available for
//   publishing); no second media is made;
// - a caption over the limits is refused when the container is made, with
//   code 100 and Graph's "(#100)" wording;
// - the sandbox fetches nothing: any http or https URL is accepted and
//   recorded; an image_url whose path does not end in .jpg or .jpeg is
//   refused as Instagram refuses a non-JPEG image (subcode 2207005, "The
//   image format is not supported", as client libraries quote it; code
//   36001 is the sandbox's pick from the 36000 image-error family),
//   and a URL containing one of config.failing_urls makes a container that
//   ends in ERROR.

namespace herald {
namespace json = boost::json;

namespace {

constexpr const char* kMediaRoute = "/:version/:ig-user-id/media";
constexpr const char* kPublishRoute = "/:version/:ig-user-id/media_publish";
constexpr const char* kLimitRoute = "/:version/:ig-user-id/content_publishing_limit";
constexpr const char* kObjectRoute = "/:version/:ig-id";
constexpr const char* kCommentsRoute = "/:version/:ig-media-id/comments";
constexpr std::int64_t kFirstId = 17'900'000'000'000'000;  // 17 digits, as IG ids have
constexpr std::size_t kCaptionLimit = 2200;
constexpr std::size_t kHashtagLimit = 30;
constexpr std::size_t kMaxChildren = 10;

// A parameter as Graph reads it: a JSON body member, the query, or a form field.
std::optional<std::string> param(const httplib::Request& req, const json::object* body, const std::string& name) {
  if (body) {
    if (const json::value* v = body->if_contains(name)) {
      if (v->is_string()) return std::string(v->as_string());
      if (v->is_array()) {  // children may come as a JSON array of ids
        std::string joined;
        for (const auto& item : v->as_array())
          joined += (joined.empty() ? "" : ",") + (item.is_string() ? std::string(item.as_string()) : json::serialize(item));
        return joined;
      }
      return json::serialize(*v);
    }
  }
  if (req.has_param(name.c_str())) return req.get_param_value(name.c_str());
  return std::nullopt;
}

std::int64_t code_points(std::string_view s) {
  std::int64_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

// A hashtag: '#' not preceded by a word character and followed by one.
std::size_t hashtags(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] != '#') continue;
    const auto before = i == 0 ? ' ' : static_cast<unsigned char>(s[i - 1]);
    const auto after = static_cast<unsigned char>(s[i + 1]);
    if (before < 0x80 && (std::isalnum(before) || before == '_')) continue;
    if (std::isalnum(after) || after == '_' || after >= 0x80) ++n;
  }
  return n;
}

// The URL's path, lower case, without query or fragment.
std::string url_path(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  auto slash = rest.find('/');
  std::string path = slash == std::string::npos ? std::string() : rest.substr(slash);
  path = path.substr(0, path.find_first_of("?#"));
  std::transform(path.begin(), path.end(), path.begin(), [](unsigned char c) { return std::tolower(c); });
  return path;
}

bool is_http_url(const std::string& url) {
  return (url.starts_with("https://") || url.starts_with("http://")) && url.find("://") + 3 < url.size();
}

// Instagram permalinks name a shortcode, not the id; any distinct one will do.
std::string permalink_for(std::int64_t number) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string code;
  auto n = static_cast<std::uint64_t>(number);
  while (n) {
    code.insert(code.begin(), kAlphabet[n & 63]);
    n >>= 6;
  }
  return "https://www.instagram.com/p/" + code + "/";
}

}  // namespace

InstagramSandbox::InstagramSandbox(Sandbox& sandbox) : sandbox_(sandbox), config_(sandbox.config().instagram) {}

void InstagramSandbox::install(httplib::Server& server) {
  server.Post(R"(/(v\d+\.\d+)/(\d+)/media)",
              [this](const httplib::Request& req, httplib::Response& res) { create(req, res); });
  server.Get(R"(/(v\d+\.\d+)/(\d+)/media)",
             [this](const httplib::Request& req, httplib::Response& res) { media_list(req, res); });
  server.Post(R"(/(v\d+\.\d+)/(\d+)/media_publish)",
              [this](const httplib::Request& req, httplib::Response& res) { publish(req, res); });
  server.Get(R"(/(v\d+\.\d+)/(\d+)/content_publishing_limit)",
             [this](const httplib::Request& req, httplib::Response& res) { limit(req, res); });
  server.Post(R"(/(v\d+\.\d+)/(\d+)/comments)",
              [this](const httplib::Request& req, httplib::Response& res) { create_comment(req, res); });
  server.Get(R"(/(v\d+\.\d+)/(\d+)/comments)",
             [this](const httplib::Request& req, httplib::Response& res) { list_comments(req, res); });
  server.Get(R"(/(v\d+\.\d+)/(\d+)/insights)",
             [this](const httplib::Request& req, httplib::Response& res) { insights(req, res); });
  // Digits only: Facebook Page posts (PAGE_POST) have their own route.
  server.Get(R"(/(v\d+\.\d+)/(\d+))",
             [this](const httplib::Request& req, httplib::Response& res) { object(req, res); });
}

void InstagramSandbox::reset() {
  std::lock_guard lock(mutex_);
  last_id_ = 0;
  containers_.clear();
  media_.clear();
  comments_.clear();
}

std::string InstagramSandbox::trace_id() {
  return graph_trace_id('I', static_cast<std::uint64_t>(++traces_) * 0x9E3779B97F4A7C15ull + 7);
}

void InstagramSandbox::not_found(const std::string& id, httplib::Response& res) {
  send_graph_not_found(res, id, trace_id());
}

// The path's version first, then the token (Bearer or access_token), then
// whether the token's account is the IG user in the path.
std::optional<InstagramSandbox::Account> InstagramSandbox::authenticate(const httplib::Request& req,
                                                                        httplib::Response& res,
                                                                        const std::string& version,
                                                                        const std::string& account_id) {
  if (std::find(config_.versions.begin(), config_.versions.end(), version) == config_.versions.end()) {
    json::object error = graph_error("Unknown path components: /" + version, "OAuthException", 2500, trace_id());
    send_graph_error(res, 400, std::move(error));
    return std::nullopt;
  }
  const std::string token = graph_access_token(req);
  if (token.empty()) {
    send_graph_token_required(res, trace_id());
    return std::nullopt;
  }
  auto account = std::find_if(config_.accounts.begin(), config_.accounts.end(),
                              [&](const Account& a) { return equal_constant_time(a.access_token, token); });
  if (account == config_.accounts.end()) {
    send_graph_token_invalid(res, trace_id());
    return std::nullopt;
  }
  if (!account_id.empty() && account->account_id != account_id) {
    send_graph_error(res, 403,
                     graph_error("(#10) Application does not have permission for this action", "OAuthException", 10,
                                 trace_id()));
    return std::nullopt;
  }
  return *account;
}

namespace {

// Answers an injected fault that ends the request here; false when there is
// none or it acts later (drop_after_create).
bool answer_fault(Sandbox& sandbox, const std::optional<Sandbox::Fault>& fault, const std::string& trace,
                  httplib::Response& res) {
  if (fault && fault->mode == Sandbox::FaultMode::rate_limit) {
    // The Instagram Platform's rate limiting is Graph's Business Use Case
    // limit (header X-Business-Use-Case-Usage, wait in minutes), error 4
    // "Application request limit reached" for the app-level one.
    const auto minutes = static_cast<std::int64_t>(std::ceil(fault->reset_in / 60.0));
    json::object usage{{"type", "instagram"}, {"call_count", 100}, {"total_cputime", 30},
                       {"total_time", 40},    {"estimated_time_to_regain_access", minutes}};
    res.set_header("X-Business-Use-Case-Usage",
                   json::serialize(json::object{{"17841400000000000", json::array{std::move(usage)}}}));
    send_graph_error(res, 400, graph_error("(#4) Application request limit reached", "OAuthException", 4, trace));
    return true;
  }
  return answer_graph_fault(sandbox, fault, trace, res);
}

}  // namespace

std::string InstagramSandbox::status_of(Container& c, std::int64_t now_ms, bool poll) {
  if (!c.media_id.empty()) return "PUBLISHED";
  if (now_ms >= c.created_ms + config_.container_lifetime_s * 1000) return "EXPIRED";
  if (c.media_type == "CAROUSEL") {
    // A carousel is as far as its least ready item.
    bool waiting = false;
    for (const std::string& id : c.children) {
      auto it = containers_.find(id);
      if (it == containers_.end()) continue;
      const std::string s = status_of(it->second, now_ms, poll);
      if (s == "ERROR") return "ERROR";
      if (s == "IN_PROGRESS") waiting = true;
    }
    if (waiting) return "IN_PROGRESS";
  }
  if (c.polls_left > 0) {
    if (poll) --c.polls_left;
    return "IN_PROGRESS";
  }
  if (now_ms < c.ready_ms) return "IN_PROGRESS";
  return c.fails ? "ERROR" : "FINISHED";
}

int InstagramSandbox::published_in_window(const std::string& account, std::int64_t now_ms,
                                          std::int64_t* oldest_ms) const {
  int n = 0;
  for (const Media& m : media_) {
    if (m.account != account || m.at_ms <= now_ms - config_.publishing_window_s * 1000) continue;
    if (oldest_ms && (n == 0 || m.at_ms < *oldest_ms)) *oldest_ms = m.at_ms;
    ++n;
  }
  return n;
}

// POST /vX/{ig-user-id}/media: an image, a Reel, a carousel item or a
// carousel container. Nothing is public yet, so nothing is recorded.
void InstagramSandbox::create(const httplib::Request& req, httplib::Response& res) {
  const std::string version = req.matches[1];
  const std::string account_id = req.matches[2];
  auto account = authenticate(req, res, version, account_id);
  if (!account) return;
  auto fault = sandbox_.take_fault("POST", req.path, kMediaRoute);
  if (answer_fault(sandbox_, fault, trace_id(), res)) return;

  json::value parsed;
  const json::object* body = graph_json_body(req, parsed);
  if (!body && graph_sends_json(req)) {
    send_graph_error(res, 400, graph_error("(#100) The request body is not a JSON object", "OAuthException", 100,
                                           trace_id()));
    return;
  }
  auto bad_param = [&](const std::string& words) {
    send_graph_error(res, 400, graph_error("(#100) " + words, "OAuthException", 100, trace_id()));
  };
  const std::string media_type = param(req, body, "media_type").value_or("");
  const std::string image_url = param(req, body, "image_url").value_or("");
  const std::string video_url = param(req, body, "video_url").value_or("");
  const std::string caption = param(req, body, "caption").value_or("");
  const std::string item_flag = param(req, body, "is_carousel_item").value_or("false");
  const bool carousel_item = item_flag == "true" || item_flag == "1";

  Container c;
  c.account = account->account_id;
  c.carousel_item = carousel_item;
  c.caption = caption;
  const std::int64_t now = sandbox_.now_ms();
  c.created_ms = now;

  if (!carousel_item) {
    if (code_points(caption) > static_cast<std::int64_t>(kCaptionLimit))
      return bad_param("The caption is longer than " + std::to_string(kCaptionLimit) + " characters");
    if (hashtags(caption) > kHashtagLimit)
      return bad_param("The caption has more than " + std::to_string(kHashtagLimit) + " hashtags");
  }

  std::lock_guard lock(mutex_);
  if (media_type == "CAROUSEL") {
    if (carousel_item) return bad_param("A carousel cannot be an item of a carousel");
    std::string list = param(req, body, "children").value_or("");
    std::vector<std::string> children;
    for (const std::string_view piece : split(list, ',')) {
      std::string id(piece);
      id.erase(std::remove(id.begin(), id.end(), ' '), id.end());
      if (!id.empty()) children.push_back(id);
    }
    if (children.size() < 2 || children.size() > kMaxChildren)
      return bad_param("Param children must name 2 to " + std::to_string(kMaxChildren) + " carousel items");
    for (const std::string& id : children) {
      auto it = containers_.find(id);
      if (it == containers_.end() || it->second.account != c.account || !it->second.carousel_item)
        return bad_param("Param children: " + id + " is not a carousel item container of this account");
    }
    c.media_type = "CAROUSEL";
    c.children = std::move(children);
    c.ready_ms = now + config_.image_processing_ms;
    c.polls_left = config_.image_processing_polls;
  } else if (!video_url.empty()) {
    if (!is_http_url(video_url)) return bad_param("Param video_url must be a valid URL");
    if (carousel_item ? media_type != "VIDEO" : media_type != "REELS")
      return bad_param(carousel_item ? "A video carousel item needs media_type=VIDEO"
                                     : "A video needs media_type=REELS (feed videos are shared as Reels)");
    c.media_type = media_type;
    c.url = video_url;
    c.ready_ms = now + config_.video_processing_ms;
    c.polls_left = config_.video_processing_polls;
  } else if (!image_url.empty()) {
    if (!is_http_url(image_url)) return bad_param("Param image_url must be a valid URL");
    if (!media_type.empty() && media_type != "IMAGE") return bad_param("Param media_type must be IMAGE for an image");
    const std::string path = url_path(image_url);
    if (!path.ends_with(".jpg") && !path.ends_with(".jpeg")) {
      json::object error = graph_error("The image format is not supported.", "OAuthException", 36001, trace_id());
      error["error_subcode"] = 2207005;
      error["error_user_msg"] = "Only JPEG images are supported.";
      send_graph_error(res, 400, std::move(error));
      return;
    }
    c.media_type = "IMAGE";
    c.url = image_url;
    c.ready_ms = now + config_.image_processing_ms;
    c.polls_left = config_.image_processing_polls;
  } else {
    return bad_param("The parameter image_url or video_url is required");
  }
  c.fails = std::any_of(config_.failing_urls.begin(), config_.failing_urls.end(),
                        [&](const std::string& part) { return !c.url.empty() && c.url.find(part) != std::string::npos; });
  last_id_ = std::max(last_id_ + 1, kFirstId + 1);
  c.id = std::to_string(last_id_);
  containers_[c.id] = c;
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox_, res, 200, std::chrono::milliseconds(fault->delay_ms));
  send_json(res, 200, json::serialize(json::object{{"id", c.id}}));
}

// POST /vX/{ig-user-id}/media_publish creation_id=...: the container's media
// goes public, once; the record gets one entry.
void InstagramSandbox::publish(const httplib::Request& req, httplib::Response& res) {
  const std::string version = req.matches[1];
  const std::string account_id = req.matches[2];
  auto account = authenticate(req, res, version, account_id);
  if (!account) return;
  auto fault = sandbox_.take_fault("POST", req.path, kPublishRoute);
  if (answer_fault(sandbox_, fault, trace_id(), res)) return;

  json::value parsed;
  const json::object* body = graph_json_body(req, parsed);
  const std::string creation_id = param(req, body, "creation_id").value_or("");
  if (creation_id.empty()) {
    send_graph_error(res, 400, graph_error("(#100) The parameter creation_id is required", "OAuthException", 100,
                                           trace_id()));
    return;
  }
  std::string media_id;
  {
    std::lock_guard lock(mutex_);
    auto it = containers_.find(creation_id);
    if (it == containers_.end() || it->second.account != account->account_id || it->second.carousel_item)
      return not_found(creation_id, res);
    Container& c = it->second;
    const std::int64_t now = sandbox_.now_ms();
    const std::string status = status_of(c, now, false);
    if (status == "EXPIRED") {
      json::object error = graph_error("The media you are trying to access has expired. Please try to upload again.",
                                       "OAuthException", -2, trace_id());
      error["error_subcode"] = 2207020;
      return send_graph_error(res, 400, std::move(error));
    }
    if (status != "FINISHED") {
      json::object error = graph_error("Media ID is not available", "OAuthException", 9007, trace_id());
      error["error_subcode"] = 2207027;
      error["error_user_msg"] = status == "PUBLISHED" ? "The media has been published already."
                                                      : "The media is not ready for publishing, please wait for a moment.";
      return send_graph_error(res, 400, std::move(error));
    }
    std::int64_t oldest = 0;
    if (published_in_window(account->account_id, now, &oldest) >= config_.publishing_limit) {
      json::object error = graph_error(
          "You reached maximum number of posts that is allowed to be published by Content Publishing API.",
          "OAuthException", 9, trace_id());
      error["error_subcode"] = 2207042;
      return send_graph_error(res, 400, std::move(error));
    }
    last_id_ = std::max(last_id_ + 1, kFirstId + 1);
    media_id = std::to_string(last_id_);
    c.media_id = media_id;
    Media m;
    m.id = media_id;
    m.account = c.account;
    m.caption = c.caption;
    m.container_id = c.id;
    m.at_ms = now;
    m.permalink = permalink_for(last_id_);
    m.media_type = c.media_type == "CAROUSEL" ? "CAROUSEL_ALBUM" : c.media_type == "REELS" ? "VIDEO" : "IMAGE";
    Sandbox::Create create;
    create.platform = "instagram";
    create.account = c.account;
    create.id = media_id;
    create.text = c.caption;
    create.fields["media_type"] = c.media_type;  // IMAGE, REELS or CAROUSEL
    create.fields["container_id"] = c.id;
    create.fields["permalink"] = m.permalink;
    if (c.media_type == "CAROUSEL") {
      create.fields["children"] = std::to_string(c.children.size());
      for (const std::string& id : c.children) {
        const Container& child = containers_.at(id);
        m.urls.push_back(child.url);
        create.media_ids.push_back(child.url);
        create.fields["child_types"] += (create.fields["child_types"].empty() ? "" : ",") + child.media_type;
      }
    } else {
      m.urls.push_back(c.url);
      create.media_ids.push_back(c.url);
    }
    create.at_ms = now;
    for (const char* name : {"Content-Type", "User-Agent"})
      if (req.has_header(name)) create.headers[name] = req.get_header_value(name);
    media_.push_back(std::move(m));
    sandbox_.record(create);
  }
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox_, res, 200, std::chrono::milliseconds(fault->delay_ms));
  send_json(res, 200, json::serialize(json::object{{"id", media_id}}));
}

// GET /vX/{id}: a container (status_code, status) or a media object.
void InstagramSandbox::object(const httplib::Request& req, httplib::Response& res) {
  const std::string version = req.matches[1];
  const std::string id = req.matches[2];
  auto account = authenticate(req, res, version, {});
  if (!account) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, kObjectRoute), trace_id(), res)) return;
  const std::string fields = req.has_param("fields") ? req.get_param_value("fields") : std::string("id");
  std::lock_guard lock(mutex_);
  if (auto it = containers_.find(id); it != containers_.end() && it->second.account == account->account_id) {
    Container& c = it->second;
    const bool asks_status = graph_wants_field(fields, "status_code") || graph_wants_field(fields, "status");
    const std::string code = status_of(c, sandbox_.now_ms(), asks_status);
    json::object out{{"id", c.id}};
    if (graph_wants_field(fields, "status_code")) out["status_code"] = code;
    if (graph_wants_field(fields, "status")) {
      if (code == "ERROR") out["status"] = config_.error_status;
      else if (code == "EXPIRED") out["status"] = "Expired: the container was not published within 24 hours.";
      else if (code == "PUBLISHED") out["status"] = "Published: " + c.media_id;
      else if (code == "FINISHED") out["status"] = "Finished: Media has been uploaded and it is ready to be published.";
      else out["status"] = "In Progress: Media is still being processed.";
    }
    return send_json(res, 200, json::serialize(out));
  }
  for (const Media& m : media_) {
    if (m.id != id || m.account != account->account_id) continue;
    json::object out{{"id", m.id}};
    if (graph_wants_field(fields, "caption") && !m.caption.empty()) out["caption"] = m.caption;
    if (graph_wants_field(fields, "permalink")) out["permalink"] = m.permalink;
    if (graph_wants_field(fields, "media_type")) out["media_type"] = m.media_type;
    if (graph_wants_field(fields, "media_product_type")) out["media_product_type"] = m.media_type == "VIDEO" ? "REELS" : "FEED";
    if (graph_wants_field(fields, "timestamp")) out["timestamp"] = graph_time(m.at_ms);
    if (graph_wants_field(fields, "media_url") && m.urls.size() == 1) out["media_url"] = m.urls.front();
    Engagement engagement = engagement_after(sandbox_.now_ms() - m.at_ms);
    engagement.replies += std::count_if(comments_.begin(), comments_.end(), [&](const Comment& c) { return c.media_id == m.id; });
    if (graph_wants_field(fields, "like_count")) out["like_count"] = engagement.likes;
    if (graph_wants_field(fields, "comments_count")) out["comments_count"] = engagement.replies;
    return send_json(res, 200, json::serialize(out));
  }
  not_found(id, res);
}

// GET /vX/{ig-user-id}/media: the account's media, newest first.
void InstagramSandbox::media_list(const httplib::Request& req, httplib::Response& res) {
  const std::string version = req.matches[1];
  const std::string account_id = req.matches[2];
  auto account = authenticate(req, res, version, account_id);
  if (!account) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, kMediaRoute), trace_id(), res)) return;
  std::int64_t limit = 25;
  if (req.has_param("limit")) {
    auto parsed = parse_int(req.get_param_value("limit"));
    if (!parsed || *parsed < 1) {
      send_graph_error(res, 400, graph_error("(#100) The parameter limit must be a positive integer", "OAuthException", 100,
                                             trace_id()));
      return;
    }
    limit = std::min<std::int64_t>(*parsed, 100);
  }
  const std::string fields = req.has_param("fields") ? req.get_param_value("fields") : std::string("id");
  json::array data;
  std::int64_t matching = 0;
  {
    std::lock_guard lock(mutex_);
    for (auto it = media_.rbegin(); it != media_.rend(); ++it) {
      if (it->account != account_id) continue;
      if (++matching > limit) continue;
      json::object item{{"id", it->id}};
      if (graph_wants_field(fields, "caption") && !it->caption.empty()) item["caption"] = it->caption;
      if (graph_wants_field(fields, "permalink")) item["permalink"] = it->permalink;
      if (graph_wants_field(fields, "timestamp")) item["timestamp"] = graph_time(it->at_ms);
      if (graph_wants_field(fields, "media_type")) item["media_type"] = it->media_type;
      data.push_back(std::move(item));
    }
  }
  json::object body{{"data", data}};
  if (!data.empty()) {
    json::object paging{{"cursors", json::object{{"before", "QVFIUkJFRk9SRQ"}, {"after", "QVFIUkFGVEVS"}}}};
    if (matching > limit)
      paging["next"] = "https://graph.facebook.com/" + version + "/" + account_id + "/media?limit=" +
                       std::to_string(limit) + "&after=QVFIUkFGVEVS";
    body["paging"] = std::move(paging);
  }
  send_json(res, 200, json::serialize(body));
}

// GET /vX/{ig-user-id}/content_publishing_limit?fields=quota_usage,config
void InstagramSandbox::limit(const httplib::Request& req, httplib::Response& res) {
  const std::string version = req.matches[1];
  const std::string account_id = req.matches[2];
  auto account = authenticate(req, res, version, account_id);
  if (!account) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, kLimitRoute), trace_id(), res)) return;
  const std::string fields = req.has_param("fields") ? req.get_param_value("fields") : std::string("quota_usage");
  int usage = 0;
  {
    std::lock_guard lock(mutex_);
    usage = published_in_window(account_id, sandbox_.now_ms(), nullptr);
  }
  json::object item;
  if (graph_wants_field(fields, "quota_usage")) item["quota_usage"] = usage;
  if (graph_wants_field(fields, "config"))
    item["config"] = json::object{{"quota_total", config_.publishing_limit}, {"quota_duration", config_.publishing_window_s}};
  send_json(res, 200, json::serialize(json::object{{"data", json::array{std::move(item)}}}));
}

// POST /vX/{ig-media-id}/comments?message=...: the account's comment on a
// media it can see; recorded and answered {"id"} unless a fault drops it.
void InstagramSandbox::create_comment(const httplib::Request& req, httplib::Response& res) {
  const std::string version = req.matches[1];
  const std::string media_id = req.matches[2];
  auto account = authenticate(req, res, version, {});
  if (!account) return;
  auto fault = sandbox_.take_fault("POST", req.path, kCommentsRoute);
  if (answer_fault(sandbox_, fault, trace_id(), res)) return;
  json::value parsed;
  const json::object* body = graph_json_body(req, parsed);
  const std::string message = param(req, body, "message").value_or("");
  Sandbox::Create create;
  {
    std::lock_guard lock(mutex_);
    auto media = std::find_if(media_.begin(), media_.end(), [&](const Media& m) { return m.id == media_id; });
    if (media == media_.end()) return not_found(media_id, res);
    if (message.empty()) {
      send_graph_error(res, 400, graph_error("(#100) The parameter message is required", "OAuthException", 100, trace_id()));
      return;
    }
    const std::string id = std::to_string(++last_id_ + 18'000'000'000'000'000);
    comments_.push_back(Comment{id, media_id, account->account_id, account->username, message, sandbox_.now_ms()});
    create.platform = "instagram";
    create.account = account->account_id;
    create.id = id;
    create.text = message;
    create.in_reply_to = media_id;
    create.fields["comment"] = "true";
    create.at_ms = sandbox_.now_ms();
    for (const char* name : {"Content-Type", "User-Agent"})
      if (req.has_header(name)) create.headers[name] = req.get_header_value(name);
    sandbox_.record(create);
  }
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox_, res, 200, std::chrono::milliseconds(fault->delay_ms));
  send_json(res, 200, json::serialize(json::object{{"id", create.id}}));
}

// GET /vX/{ig-media-id}/comments?fields=...: the media's comments.
void InstagramSandbox::list_comments(const httplib::Request& req, httplib::Response& res) {
  const std::string version = req.matches[1];
  const std::string media_id = req.matches[2];
  auto account = authenticate(req, res, version, {});
  if (!account) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, kCommentsRoute), trace_id(), res)) return;
  const std::string fields = req.has_param("fields") ? req.get_param_value("fields") : std::string("timestamp,text,id");
  json::array data;
  {
    std::lock_guard lock(mutex_);
    if (std::none_of(media_.begin(), media_.end(), [&](const Media& m) { return m.id == media_id; }))
      return not_found(media_id, res);
    for (const Comment& c : comments_) {
      if (c.media_id != media_id) continue;
      json::object item{{"id", c.id}};
      if (graph_wants_field(fields, "text")) item["text"] = c.text;
      if (graph_wants_field(fields, "timestamp")) item["timestamp"] = graph_time(c.at_ms);
      if (graph_wants_field(fields, "username")) item["username"] = c.username;
      if (graph_wants_field(fields, "from")) item["from"] = json::object{{"id", c.account_id}, {"username", c.username}};
      data.push_back(std::move(item));
    }
  }
  send_json(res, 200, json::serialize(json::object{{"data", std::move(data)}}));
}

// Deleted by its owner in the Instagram app: gone from the media list and GET.
void InstagramSandbox::remove_post(const std::string& id) {
  std::lock_guard lock(mutex_);
  std::erase_if(media_, [&](const Media& m) { return m.id == id; });
}

// GET /vX/{ig-media-id}/insights?metric=...: lifetime metrics of a
// published media, for a token with instagram_manage_insights.
void InstagramSandbox::insights(const httplib::Request& req, httplib::Response& res) {
  const std::string version = req.matches[1];
  const std::string id = req.matches[2];
  auto account = authenticate(req, res, version, {});
  if (!account) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, "/:version/:ig-media-id/insights"), trace_id(), res))
    return;
  std::lock_guard lock(mutex_);
  auto media = std::find_if(media_.begin(), media_.end(),
                            [&](const Media& m) { return m.id == id && m.account == account->account_id; });
  if (media == media_.end()) return not_found(id, res);
  if (!account->insights) {
    send_graph_error(res, 403,
                     graph_error("(#10) Application does not have permission for this action: "
                                 "instagram_manage_insights is needed",
                                 "OAuthException", 10, trace_id()));
    return;
  }
  const Engagement engagement = engagement_after(sandbox_.now_ms() - media->at_ms);
  const std::string metric = req.has_param("metric") ? req.get_param_value("metric") : std::string();
  json::array data;
  for (std::string_view name : split(metric, ',')) {
    std::int64_t value = 0;
    std::string title;
    if (name == "reach") {
      value = engagement.views / 2;
      title = "Accounts reached";
    } else if (name == "saved") {
      value = engagement.saves;
      title = "Saved";
    } else if (name == "views") {
      value = engagement.views;
      title = "Views";
    } else {
      send_graph_error(res, 400,
                       graph_error("(#100) metric[0] must be one of the following values: reach, saved, views "
                                   "(the metrics herald-sandbox emulates)",
                                   "OAuthException", 100, trace_id()));
      return;
    }
    data.push_back(json::object{{"name", name},
                                {"period", "lifetime"},
                                {"values", json::array{json::object{{"value", value}}}},
                                {"title", title},
                                {"description", title},
                                {"id", id + "/insights/" + std::string(name) + "/lifetime"}});
  }
  if (data.empty())
    return send_graph_error(res, 400, graph_error("(#100) The parameter metric is required", "OAuthException", 100,
                                                  trace_id()));
  send_json(res, 200, json::serialize(json::object{{"data", std::move(data)}}));
}

InstagramSandboxConfig load_instagram_sandbox_config(const YAML::Node& node, const std::string& file) {
  InstagramSandboxConfig config;
  reject_unknown_keys(node,
                      {"accounts", "versions", "image_processing_ms", "video_processing_ms", "image_processing_polls",
                       "video_processing_polls", "failing_urls", "error_status", "publishing_limit",
                       "publishing_window_seconds", "container_lifetime_seconds"},
                      file);
  if (const YAML::Node versions = node["versions"]) {
    if (!versions.IsSequence() || versions.size() == 0)
      config_error(versions, file, "versions must be a non-empty list");
    config.versions.clear();
    for (const auto& v : versions) {
      const std::string text = v.as<std::string>();
      if (!std::regex_match(text, std::regex(R"(v\d+\.\d+)")))
        config_error(v, file, "a Graph API version looks like v21.0, not '" + text + "'");
      config.versions.push_back(text);
    }
  }
  auto number = [&](const char* key, std::int64_t low, std::int64_t& out) {
    if (const YAML::Node n = node[key]) {
      const auto value = parse_int(n.as<std::string>());
      if (!value || *value < low) config_error(n, file, std::string(key) + " must be a whole number >= " + std::to_string(low));
      out = *value;
    }
  };
  std::int64_t value = 0;
  number("image_processing_ms", 0, config.image_processing_ms);
  number("video_processing_ms", 0, config.video_processing_ms);
  value = config.image_processing_polls;
  number("image_processing_polls", 0, value);
  config.image_processing_polls = static_cast<int>(value);
  value = config.video_processing_polls;
  number("video_processing_polls", 0, value);
  config.video_processing_polls = static_cast<int>(value);
  value = config.publishing_limit;
  number("publishing_limit", 1, value);
  config.publishing_limit = static_cast<int>(value);
  number("publishing_window_seconds", 1, config.publishing_window_s);
  number("container_lifetime_seconds", 1, config.container_lifetime_s);
  if (const YAML::Node failing = node["failing_urls"]) {
    if (!failing.IsSequence()) config_error(failing, file, "failing_urls must be a list");
    for (const auto& f : failing) config.failing_urls.push_back(f.as<std::string>());
  }
  if (const YAML::Node status = node["error_status"]) config.error_status = status.as<std::string>();
  if (const YAML::Node accounts = node["accounts"]) {
    if (!accounts.IsSequence()) config_error(accounts, file, "accounts must be a list");
    for (const auto& a : accounts) {
      reject_unknown_keys(a, {"account_id", "username", "access_token", "insights"}, file);
      for (const char* key : {"account_id", "access_token"})
        if (!a[key]) config_error(a, file, std::string("an account needs '") + key + "'");
      InstagramSandboxConfig::Account account;
      account.account_id = a["account_id"].as<std::string>();
      account.username = a["username"] ? a["username"].as<std::string>() : std::string();
      account.access_token = a["access_token"].as<std::string>();
      if (a["insights"]) account.insights = a["insights"].as<bool>();
      if (account.account_id.empty() || !std::all_of(account.account_id.begin(), account.account_id.end(),
                                                     [](char c) { return c >= '0' && c <= '9'; }))
        config_error(a["account_id"], file, "account_id must be digits, as IG user ids are");
      if (account.access_token.empty()) config_error(a["access_token"], file, "access_token must not be empty");
      config.accounts.push_back(std::move(account));
    }
  }
  return config;
}

}  // namespace herald
