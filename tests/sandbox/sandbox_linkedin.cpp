#include "tests/sandbox/sandbox_linkedin.hpp"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <regex>

#include "compose/little_text.hpp"
#include "config/text.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"
#include "tests/sandbox/sandbox_facebook.hpp"  // fnv1a64_hex, the record's name for uploaded bytes
#include "tests/sandbox/sandbox_util.hpp"

// Sources for the emulated LinkedIn behaviour (learn.microsoft.com, LinkedIn
// Marketing, Community Management; read 2026):
// - Posts API (.../community-management/shares/posts-api): POST /rest/posts
//   with author, commentary, visibility (PUBLIC), distribution
//   {feedDistribution: MAIN_FEED, targetEntities, thirdPartyDistributionChannels},
//   lifecycleState PUBLISHED, isReshareDisabledByAuthor, and optional content
//   (article {source, title, description, thumbnail}, media {id, title,
//   altText}, multiImage {images: [{id, altText}]}); the answer is 201 with
//   the post's URN in the x-restli-id header (urn:li:share:N or
//   urn:li:ugcPost:N). "Find Posts by Authors": GET
//   /rest/posts?author={encoded URN}&q=author&count=N&sortBy=LAST_MODIFIED,
//   answer {"elements":[post...],"paging":{"start","count","links","total"}};
//   the sandbox answers each hashtag there as its template (as_read_back).
//   Permissions w_organization_social / w_member_social (create) and
//   r_organization_social / r_member_social (read). Every call needs the
//   LinkedIn-Version: YYYYMM and X-Restli-Protocol-Version: 2.0.0 headers.
// - MultiImage API (.../shares/multiimage-post-api): 2 to 20 images.
// - Images API (.../shares/images-api): POST
//   /rest/images?action=initializeUpload {"initializeUploadRequest":{"owner"}}
//   answers {"value":{"uploadUrlExpiresAt","uploadUrl","image":"urn:li:image:..."}};
//   the bytes go with PUT uploadUrl and the Authorization header (201).
// - Videos API (.../shares/videos-api): POST
//   /rest/videos?action=initializeUpload {"initializeUploadRequest":{"owner",
//   "fileSizeBytes","uploadCaptions","uploadThumbnail"}} answers
//   {"value":{"uploadUrlsExpireAt","video","uploadInstructions":[{"uploadUrl",
//   "firstByte","lastByte"}],"uploadToken"}}, parts of 4 MiB; each part is
//   PUT and answers an ETag header; POST /rest/videos?action=finalizeUpload
//   {"finalizeUploadRequest":{"video","uploadToken","uploadedPartIds":[etags]}}.
//   The sandbox makes a finalized video AVAILABLE at once (LinkedIn processes
//   it for a while first).
// - Little text format (.../shares/little-text-format): the commentary's
//   reserved characters; the record renders it with render_little_text.
// - API versioning (learn.microsoft.com/linkedin/marketing/versioning):
//   monthly versions under /rest/, each answered for at least a year. The
//   error bodies for a missing or retired version are not on that page; the
//   sandbox answers the forms the live API gives as reported by its users:
//   {"status":426,"code":"NONEXISTENT_VERSION","message":"Requested version
//   20240901 is not active"} (github.com/PipedreamHQ/pipedream/issues/18398,
//   n8n-io/n8n#28967), and for no header 400 VERSION_MISSING (assumed wording).
// - Rate limits (learn.microsoft.com/linkedin/shared/api-guide/concepts/rate-limits):
//   daily limits per application and per member that reset at midnight UTC;
//   a limited request gets 429. No Retry-After header is documented, so the
//   sandbox sends none (a fault's reset_in is not used here).
// - Errors (learn.microsoft.com/linkedin/shared/api-guide/concepts/error-handling):
//   {"status","serviceErrorCode","code","message"}; 401 for an invalid token
//   (serviceErrorCode 65600 INVALID_ACCESS_TOKEN "Invalid access token"; an
//   expired one 65602 EXPIRED_ACCESS_TOKEN "The token used in the request has
//   expired", as LinkedIn clients quote it); 403 ACCESS_DENIED "Not enough
//   permissions to access: ...".
// - Duplicate content: not on the Posts API page. LinkedIn refuses a post
//   whose content repeats a recent one of the same author with 422 and
//   {"errorDetailType":"com.linkedin.common.error.BadRequest","message":
//   "com.linkedin.content.common.exception.BadRequestResponseException:
//   Content is a duplicate of urn:li:share:N","errorDetails":{"inputErrors":
//   [{"description":"Duplicate post is detected","input":{},"code":
//   "DUPLICATE_POST"}]},"status":422}, as quoted from the live API in
//   github.com/Arisamiga/Linkedin-RSS/issues/5 and
//   github.com/ComposioHQ/composio/issues/2710 (which reports it lasting
//   24-48 h). The sandbox compares the commentary exactly, same author,
//   within duplicate_window_seconds (default 24 h): an assumption.
// - Social actions summary (.../community-management/shares/network-update-social-actions,
//   "Retrieve a Summary of Social Actions"): GET /rest/socialActions/{URN,
//   percent-encoded} answers {"commentsSummary":{"totalFirstLevelComments",
//   "aggregatedTotalComments"},"likesSummary":{"likedByCurrentUser",
//   "totalLikes","aggregatedTotalLikes"},"target","$URN"};
//   r_organization_social / r_member_social. (The Social Metadata API,
//   .../shares/social-metadata-api, is its successor with reactions; the
//   sandbox emulates socialActions, which herald reads.)
// - Comments API (.../community-management/shares/comments-api, "Create a
//   Comment", "Get Comments on Shares"): POST
//   /rest/socialActions/{share or ugcPost URN, encoded}/comments {"actor":
//   author URN, "object": the post's URN, "message": {"text"}} makes a
//   first-level comment, 201 with the comment {"actor","object","message",
//   "id","commentUrn":"urn:li:comment:(TARGET,ID)","created":{"actor",
//   "time"}} (the sandbox also names it in x-restli-id, the Rest.li create
//   key); GET the same path lists {"elements":[comment...],"paging":
//   {"start","count","total"}}, oldest first. w_organization_social /
//   w_member_social to write, r_* to read; the actor must be the token's
//   author. A post that is gone: 404 NOT_FOUND, as socialActions answers.
//   Real comments count in commentsSummary.
// - Organization share statistics (.../community-management/organizations/share-statistics):
//   GET /rest/organizationalEntityShareStatistics?q=organizationalEntity&
//   organizationalEntity={org URN}&shares=List({share URN})
//   (ugcPosts=List(...) for ugcPost URNs), lifetime statistics without
//   timeIntervals: {"elements":[{"organizationalEntity","share"|"ugcPost",
//   "totalShareStatistics":{"uniqueImpressionsCount","shareCount",
//   "engagement","clickCount","likeCount","impressionCount","commentCount"}}],
//   "paging"}; needs rw_organization_admin (an ADMINISTRATOR of the
//   organization, the author's `admin`). Organic activity only.
//   Not documented, so the sandbox's: a post that is gone (deleted) is 404
//   {"status":404,"code":"NOT_FOUND","message":"Not Found"} from socialActions
//   and left out of the statistics' elements; a URN not percent-encoded in
//   the path is 400. Counts grow with the post's age (sandbox_engagement);
//   the first-level comments are four fifths of all.
// - Commentary over 3,000 characters: 422 (the limit is on the Posts API
//   page; the body is the same input-error form, code and wording assumed),
//   counted in Unicode code points of the commentary as sent.
//
// Deliberate strictness: the sandbox refuses a request without
// X-Restli-Protocol-Version: 2.0.0 (400), where LinkedIn would fall back to
// protocol 1.0 and answer differently, so a connector that forgets it fails
// in tests.

namespace herald {
namespace json = boost::json;

namespace {

constexpr const char* kPostsRoute = "/rest/posts";
constexpr const char* kImagesRoute = "/rest/images";
constexpr const char* kVideosRoute = "/rest/videos";
constexpr const char* kImageUploadRoute = "/dms-uploads/image/:id";
constexpr const char* kVideoUploadRoute = "/dms-uploads/video/:id/part/:part";
constexpr std::int64_t kFirstShare = 7'400'000'000'000'000'000;  // 19 digits, as share ids have
constexpr std::size_t kMaxCommentary = 3000;

void send_error(httplib::Response& res, int status, json::object body) {
  body["status"] = status;
  send_json(res, status, json::serialize(body));
}

void simple_error(httplib::Response& res, int status, std::string_view message, std::string_view code = {},
                  int service_code = 0) {
  json::object body{{"message", message}};
  if (!code.empty()) body["code"] = code;
  if (service_code) body["serviceErrorCode"] = service_code;
  send_error(res, status, std::move(body));
}

// Rest.li's input-error form (the one DUPLICATE_POST comes in).
void input_error(httplib::Response& res, int status, const std::string& message, std::string_view description,
                 std::string_view code, std::string_view field) {
  json::object input;
  if (!field.empty()) input["inputPath"] = json::object{{"fieldPath", field}};
  send_error(res, status,
             json::object{{"errorDetailType", "com.linkedin.common.error.BadRequest"},
                          {"message", message},
                          {"errorDetails",
                           json::object{{"inputErrors", json::array{json::object{
                                                            {"description", description},
                                                            {"input", std::move(input)},
                                                            {"code", code}}}}}}});
}

std::string bearer_token(const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  if (header.size() > 7 && (header.starts_with("Bearer ") || header.starts_with("bearer "))) return header.substr(7);
  return {};
}

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::optional<json::object> body_object(const httplib::Request& req) {
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::string string_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// Where the upload URLs point: this server, as the client reached it.
std::string own_base(const httplib::Request& req) {
  std::string host = req.get_header_value("Host");
  if (host.empty()) host = "127.0.0.1";
  return "http://" + host;
}

// Media asset ids look like LinkedIn's (C5F10AQ...): a prefix and letters.
std::string asset_id(std::string_view prefix, std::int64_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out(prefix);
  std::uint64_t x = static_cast<std::uint64_t>(n) * 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < 12; ++i, x /= 62) out += kAlphabet[x % 62];
  return out + "-" + std::to_string(n);
}

std::vector<std::string> default_versions() {
  std::vector<std::string> out;
  for (int ym = 202510; ym <= 202612; ++ym) {
    if (ym % 100 == 13) ym += 88;  // 202513 -> 202601
    out.push_back(std::to_string(ym));
  }
  return out;
}

// A commentary as the finder reads it back: each hashtag as its template,
// {hashtag|\#|tag} (little text format, "HashtagTemplate"). That LinkedIn
// answers hashtags this way is an assumption (the page documents the
// template, not when GET uses it); it keeps a connector from relying on
// getting back exactly what it sent.
std::string as_read_back(std::string_view commentary) {
  std::string out;
  for (std::size_t i = 0; i < commentary.size();) {
    const bool starts = commentary[i] == '#' && (i == 0 || std::isspace(static_cast<unsigned char>(commentary[i - 1])));
    std::size_t end = i + 1;
    while (starts && end < commentary.size() &&
           (std::isalnum(static_cast<unsigned char>(commentary[end])) ||
            static_cast<unsigned char>(commentary[end]) >= 0x80))
      ++end;
    if (starts && end > i + 1) {
      out += "{hashtag|\\#|";
      out.append(commentary.substr(i + 1, end - i - 1));
      out += '}';
      i = end;
      continue;
    }
    out += commentary[i++];
  }
  return out;
}

// Answers an injected fault that ends the request here; false when there is
// none, or it acts later (a delay, once held; drop_after_create).
bool answer_fault(Sandbox& sandbox, const std::optional<Sandbox::Fault>& fault, httplib::Response& res) {
  if (!fault) return false;
  using Mode = Sandbox::FaultMode;
  if (fault->mode == Mode::delay && !sandbox.hold(std::chrono::milliseconds(fault->delay_ms))) {
    simple_error(res, 503, "Service Unavailable");
    return true;
  }
  if (fault->mode == Mode::rate_limit) {
    simple_error(res, 429, "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
                 "TOO_MANY_REQUESTS");
    return true;
  }
  if (fault->mode == Mode::server_error) {
    simple_error(res, 500, "Internal Server Error");
    return true;
  }
  return false;
}

}  // namespace

LinkedinSandbox::LinkedinSandbox(Sandbox& sandbox)
    : sandbox_(sandbox),
      config_(sandbox.config().linkedin),
      versions_(config_.versions.empty() ? default_versions() : config_.versions) {}

void LinkedinSandbox::install(httplib::Server& server) {
  server.Post("/rest/posts", [this](const httplib::Request& req, httplib::Response& res) { create_post(req, res); });
  server.Get("/rest/posts", [this](const httplib::Request& req, httplib::Response& res) { find_posts(req, res); });
  server.Post(R"(/rest/socialActions/([^/]+)/comments)",
              [this](const httplib::Request& req, httplib::Response& res) { create_comment(req, res); });
  server.Get(R"(/rest/socialActions/([^/]+)/comments)",
             [this](const httplib::Request& req, httplib::Response& res) { list_comments(req, res); });
  server.Get(R"(/rest/socialActions/([^/]+))",
             [this](const httplib::Request& req, httplib::Response& res) { social_actions(req, res); });
  server.Get("/rest/organizationalEntityShareStatistics",
             [this](const httplib::Request& req, httplib::Response& res) { share_statistics(req, res); });
  server.Post("/rest/images", [this](const httplib::Request& req, httplib::Response& res) { images_action(req, res); });
  server.Post("/rest/videos", [this](const httplib::Request& req, httplib::Response& res) { videos_action(req, res); });
  server.Put(R"(/dms-uploads/image/(\d+))",
             [this](const httplib::Request& req, httplib::Response& res) { put_image(req, res); });
  server.Put(R"(/dms-uploads/video/(\d+)/part/(\d+))",
             [this](const httplib::Request& req, httplib::Response& res) { put_video_part(req, res); });
  server.Post("/oauth/v2/introspectToken",
              [this](const httplib::Request& req, httplib::Response& res) { introspect(req, res); });
  server.Post("/oauth/v2/accessToken",
              [this](const httplib::Request& req, httplib::Response& res) { refresh(req, res); });
}

void LinkedinSandbox::reset() {
  std::lock_guard lock(mutex_);
  last_post_ = 0;
  last_asset_ = 0;
  posts_.clear();
  images_.clear();
  image_ids_.clear();
  videos_.clear();
  video_ids_.clear();
  issued_.clear();
  comments_.clear();
  last_comment_ = 0;
}

std::optional<std::pair<LinkedinSandbox::Author, std::int64_t>> LinkedinSandbox::token_owner(const std::string& token) {
  if (token.empty()) return std::nullopt;
  for (const Author& a : config_.authors)
    if (equal_constant_time(a.access_token, token)) return std::pair{a, a.expires_at};
  std::lock_guard lock(mutex_);
  auto it = issued_.find(token);
  if (it == issued_.end()) return std::nullopt;
  return std::pair{config_.authors[it->second.first], it->second.second};
}

// The token first (LinkedIn's gateway), then the version and protocol
// headers of the versioned API.
std::optional<LinkedinSandbox::Author> LinkedinSandbox::authenticate(const httplib::Request& req,
                                                                     httplib::Response& res, bool versioned) {
  const auto owner = token_owner(bearer_token(req));
  if (!owner) {
    simple_error(res, 401, "Invalid access token", "INVALID_ACCESS_TOKEN", 65600);
    return std::nullopt;
  }
  const Author* author = &owner->first;
  if (owner->second > 0 && sandbox_.now_ms() / 1000 >= owner->second) {
    simple_error(res, 401, "The token used in the request has expired", "EXPIRED_ACCESS_TOKEN", 65602);
    return std::nullopt;
  }
  if (!versioned) return *author;
  if (!req.has_header("LinkedIn-Version")) {
    simple_error(res, 400, "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
                 "VERSION_MISSING");
    return std::nullopt;
  }
  const std::string version = req.get_header_value("LinkedIn-Version");
  if (std::find(versions_.begin(), versions_.end(), version) == versions_.end()) {
    simple_error(res, 426, "Requested version " + version + " is not active", "NONEXISTENT_VERSION");
    return std::nullopt;
  }
  if (req.get_header_value("X-Restli-Protocol-Version") != "2.0.0") {
    simple_error(res, 400,
                 "herald-sandbox answers Rest.li protocol 2.0.0 only: send X-Restli-Protocol-Version: 2.0.0, as the "
                 "Posts API documents");
    return std::nullopt;
  }
  return *author;
}

// POST /rest/posts: auth and headers, injected faults, the body checked as
// the Posts API documents it, media that must be uploaded and the author's,
// the length and duplicate rules; then the post is recorded and its URN
// answered in x-restli-id (unless a fault drops the answer).
void LinkedinSandbox::create_post(const httplib::Request& req, httplib::Response& res) {
  auto author = authenticate(req, res, true);
  if (!author) return;
  auto fault = sandbox_.take_fault("POST", req.path, kPostsRoute);
  if (answer_fault(sandbox_, fault, res)) return;

  auto body = body_object(req);
  if (!body) return simple_error(res, 400, "The request body is not a JSON object");
  auto missing = [&](std::string_view field) {
    input_error(res, 422, "/" + std::string(field) + " :: field is required but not found and has no default value",
                "Field is required but not found", "FIELD_MISSING", field);
  };
  const std::string post_author = string_of(*body, "author");
  if (post_author.empty()) return missing("author");
  if (post_author != author->urn) {
    return simple_error(res, 403, "Not enough permissions to access: partnerApiPostsExternal.CREATE.20251001",
                        "ACCESS_DENIED", 100);
  }
  const json::value* commentary_value = body->if_contains("commentary");
  if (commentary_value && !commentary_value->is_string())
    return input_error(res, 422, "/commentary :: not a string", "Invalid type", "INVALID_TYPE", "commentary");
  const std::string commentary = commentary_value ? std::string(commentary_value->as_string()) : std::string();
  const std::string visibility = string_of(*body, "visibility");
  if (visibility.empty()) return missing("visibility");
  if (visibility != "PUBLIC" && visibility != "CONNECTIONS" && visibility != "LOGGED_IN" && visibility != "CONTAINER")
    return input_error(res, 422, "/visibility :: invalid enum value " + visibility, "Invalid enum value",
                       "INVALID_ENUM_VALUE", "visibility");
  const json::value* distribution = body->if_contains("distribution");
  if (!distribution || !distribution->is_object()) return missing("distribution");
  const std::string feed = string_of(distribution->as_object(), "feedDistribution");
  if (feed != "MAIN_FEED" && feed != "NONE") return missing("distribution/feedDistribution");
  const std::string lifecycle = string_of(*body, "lifecycleState");
  if (lifecycle.empty()) return missing("lifecycleState");
  if (lifecycle != "PUBLISHED")
    return simple_error(res, 400, "herald-sandbox emulates lifecycleState PUBLISHED only, not " + lifecycle);

  Sandbox::Create create;
  create.platform = "linkedin";
  create.account = author->urn;
  create.text = commentary;
  create.fields["visibility"] = visibility;
  create.fields["feed_distribution"] = feed;
  create.fields["lifecycle_state"] = lifecycle;
  create.fields["content"] = "none";
  std::vector<std::string> media;
  if (const json::value* content = body->if_contains("content")) {
    const json::object* c = content->if_object();
    if (!c || c->size() != 1)
      return simple_error(res, 400, "/content :: must hold exactly one of article, media, multiImage");
    if (const json::value* article = c->if_contains("article")) {
      const json::object* a = article->if_object();
      const std::string source = a ? string_of(*a, "source") : std::string();
      const std::string title = a ? string_of(*a, "title") : std::string();
      if (source.empty()) return missing("content/article/source");
      if (title.empty()) return missing("content/article/title");
      if (!source.starts_with("https://") && !source.starts_with("http://"))
        return input_error(res, 422, "/content/article/source :: not a URL", "Invalid URL", "INVALID_URL",
                           "content/article/source");
      create.fields["content"] = "article";
      create.fields["article_source"] = source;
      create.fields["article_title"] = title;
    } else if (const json::value* one = c->if_contains("media")) {
      const json::object* m = one->if_object();
      const std::string id = m ? string_of(*m, "id") : std::string();
      if (id.empty()) return missing("content/media/id");
      media.push_back(id);
      create.fields["content"] = "media";
    } else if (const json::value* multi = c->if_contains("multiImage")) {
      const json::object* m = multi->if_object();
      const json::value* images = m ? m->if_contains("images") : nullptr;
      if (!images || !images->is_array()) return missing("content/multiImage/images");
      for (const auto& item : images->as_array()) {
        const json::object* i = item.if_object();
        const std::string id = i ? string_of(*i, "id") : std::string();
        if (!id.starts_with("urn:li:image:"))
          return input_error(res, 422, "/content/multiImage/images :: each image needs an id urn:li:image:...",
                             "Invalid image", "INVALID_URN", "content/multiImage/images");
        media.push_back(id);
      }
      if (media.size() < 2 || media.size() > 20)
        return input_error(res, 422, "/content/multiImage/images :: a multi-image post has 2 to 20 images, not " +
                                         std::to_string(media.size()),
                           "Invalid number of images", "INVALID_ARRAY_SIZE", "content/multiImage/images");
      create.fields["content"] = "multiImage";
    } else {
      return simple_error(res, 400, "/content :: herald-sandbox emulates article, media and multiImage content");
    }
  }
  if (commentary.empty() && media.empty() && create.fields["content"] != "article") return missing("commentary");
  if (code_points(commentary) > kMaxCommentary) {
    return input_error(res, 422,
                       "/commentary :: length " + std::to_string(code_points(commentary)) +
                           " exceeds the maximum allowed length of " + std::to_string(kMaxCommentary),
                       "Commentary is too long", "MAX_LENGTH_EXCEEDED", "commentary");
  }
  const LittleTextRendering rendered = render_little_text(commentary);
  create.fields["rendered"] = rendered.text;
  create.fields["rendered_complete"] = rendered.complete ? "true" : "false";
  for (const char* name : {"LinkedIn-Version", "X-Restli-Protocol-Version", "Content-Type", "User-Agent"})
    if (req.has_header(name)) create.headers[name] = req.get_header_value(name);

  {
    std::lock_guard lock(mutex_);  // media state, the duplicate check and the record, as one step
    for (const std::string& id : media) {
      std::string described;
      if (id.starts_with("urn:li:image:")) {
        auto at = image_ids_.find(id);
        const Image* image = at == image_ids_.end() ? nullptr : &images_[at->second];
        if (!image || image->owner != author->urn || !image->uploaded)
          return simple_error(res, 400, "/content :: " + id + " is not an uploaded image of " + author->urn);
        described = std::to_string(image->size) + " bytes fnv1a64 " + image->hash;
      } else if (id.starts_with("urn:li:video:") && create.fields["content"] == "media") {
        auto at = video_ids_.find(id);
        const Video* video = at == video_ids_.end() ? nullptr : &videos_[at->second];
        if (!video || video->owner != author->urn || !video->available)
          return simple_error(res, 400, "/content :: " + id + " is not an uploaded and finalized video of " +
                                            author->urn);
        described = std::to_string(video->size) + " bytes fnv1a64 " + video->hash;
      } else {
        return input_error(res, 422, "/content/media/id :: " + id + " is not an image or video URN", "Invalid URN",
                           "INVALID_URN", "content/media/id");
      }
      create.media_ids.push_back(id);
      create.fields["media:" + id] = described;
    }
    const std::int64_t now = sandbox_.now_ms();
    if (!commentary.empty()) {
      for (auto it = posts_.rbegin(); it != posts_.rend(); ++it) {
        if (it->author != author->urn || it->commentary != commentary) continue;
        if (now - it->at_ms >= config_.duplicate_window_seconds * 1000) break;
        return input_error(res, 422,
                           "com.linkedin.content.common.exception.BadRequestResponseException: Content is a duplicate "
                           "of " + it->urn,
                           "Duplicate post is detected", "DUPLICATE_POST", {});
      }
    }
    last_post_ = std::max(last_post_ + 1, kFirstShare + 1);
    create.id = "urn:li:share:" + std::to_string(last_post_);
    create.at_ms = now;
    posts_.push_back(Post{create.id, author->urn, commentary, now});
    sandbox_.record(create);
  }
  res.set_header("x-restli-id", create.id);
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox_, res, 201, std::chrono::milliseconds(fault->delay_ms));
  res.status = 201;
}

// GET /rest/posts?q=author&author=URN&count=N&sortBy=LAST_MODIFIED: the
// author's posts, newest first (posts are never modified here, so both
// sort orders are creation order).
void LinkedinSandbox::find_posts(const httplib::Request& req, httplib::Response& res) {
  auto author = authenticate(req, res, true);
  if (!author) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, kPostsRoute), res)) return;
  if (req.get_param_value("q") != "author")
    return simple_error(res, 400, "herald-sandbox emulates the author finder of /rest/posts only (q=author)");
  const std::string wanted = req.get_param_value("author");
  if (wanted.empty()) return simple_error(res, 400, "Missing required parameter author");
  if (wanted != author->urn)
    return simple_error(res, 403, "Not enough permissions to access: partnerApiPostsExternal.FINDER-author.20251001",
                        "ACCESS_DENIED", 100);
  const std::string sort = req.has_param("sortBy") ? req.get_param_value("sortBy") : "LAST_MODIFIED";
  if (sort != "LAST_MODIFIED" && sort != "CREATED")
    return simple_error(res, 400, "Invalid value for sortBy: " + sort);
  std::int64_t count = 10, start = 0;
  if (req.has_param("count")) {
    auto n = parse_int(req.get_param_value("count"));
    if (!n || *n < 1 || *n > 100) return simple_error(res, 400, "count must be between 1 and 100");
    count = *n;
  }
  if (req.has_param("start")) {
    auto n = parse_int(req.get_param_value("start"));
    if (!n || *n < 0) return simple_error(res, 400, "start must not be negative");
    start = *n;
  }
  json::array elements;
  std::int64_t total = 0;
  {
    std::lock_guard lock(mutex_);
    for (auto it = posts_.rbegin(); it != posts_.rend(); ++it) {
      if (it->author != author->urn) continue;
      if (total >= start && total < start + count) {
        elements.push_back(json::object{
            {"id", it->urn},
            {"author", it->author},
            {"commentary", as_read_back(it->commentary)},
            {"visibility", "PUBLIC"},
            {"lifecycleState", "PUBLISHED"},
            {"distribution", json::object{{"feedDistribution", "MAIN_FEED"},
                                          {"targetEntities", json::array{}},
                                          {"thirdPartyDistributionChannels", json::array{}}}},
            {"createdAt", it->at_ms},
            {"lastModifiedAt", it->at_ms},
            {"publishedAt", it->at_ms}});
      }
      ++total;
    }
  }
  send_json(res, 200,
            json::serialize(json::object{
                {"elements", elements},
                {"paging", json::object{{"start", start}, {"count", count}, {"links", json::array{}}, {"total", total}}}}));
}

// Deleted by its author on LinkedIn: gone from the finder and the counts.
void LinkedinSandbox::remove_post(const std::string& id) {
  std::lock_guard lock(mutex_);
  std::erase_if(posts_, [&](const Post& p) { return p.urn == id; });
}

// GET /rest/socialActions/{encoded URN}: the post's likes and comments, for
// its author's token.
void LinkedinSandbox::social_actions(const httplib::Request& req, httplib::Response& res) {
  auto author = authenticate(req, res, true);
  if (!author) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, "/rest/socialActions/:urn"), res)) return;
  // Rest.li 2.0 wants the URN's colons encoded in the path; httplib has
  // decoded req.path, so the target as sent tells.
  if (ascii_lower(req.target).find("urn%3ali%3a") == std::string::npos)
    return simple_error(res, 400, "Syntax exception in path variables", "ILLEGAL_ARGUMENT");
  const std::string urn = req.matches[1];
  std::lock_guard lock(mutex_);
  auto post = std::find_if(posts_.begin(), posts_.end(), [&](const Post& p) { return p.urn == urn; });
  if (post == posts_.end()) return simple_error(res, 404, "Not Found", "NOT_FOUND");
  if (post->author != author->urn)
    return simple_error(res, 403, "Not enough permissions to access: socialActions.GET.20251001", "ACCESS_DENIED", 100);
  Engagement e = engagement_after(sandbox_.now_ms() - post->at_ms);
  e.replies += std::count_if(comments_.begin(), comments_.end(), [&](const Comment& c) { return c.target == urn; });
  const std::int64_t comments = e.replies + e.replies / 4;
  send_json(res, 200,
            json::serialize(json::object{
                {"commentsSummary", json::object{{"totalFirstLevelComments", e.replies},
                                                 {"aggregatedTotalComments", comments}}},
                {"likesSummary",
                 json::object{{"likedByCurrentUser", false}, {"totalLikes", e.likes}, {"aggregatedTotalLikes", e.likes}}},
                {"target", urn},
                {"$URN", "urn:li:socialActions:" + urn}}));
}

namespace {
json::object comment_json(const std::string& urn, const std::string& id, const std::string& target,
                          const std::string& actor, const std::string& text, std::int64_t at_ms) {
  return json::object{{"actor", actor},
                      {"agent", actor},
                      {"object", target},
                      {"message", json::object{{"text", text}}},
                      {"id", id},
                      {"commentUrn", urn},
                      {"created", json::object{{"actor", actor}, {"time", at_ms}}},
                      {"lastModified", json::object{{"actor", actor}, {"time", at_ms}}}};
}
}  // namespace

// POST /rest/socialActions/{encoded URN}/comments: auth and headers,
// faults, the URN encoded in the path, the post, the body; then the comment
// is recorded and answered 201 (unless a fault drops the answer).
void LinkedinSandbox::create_comment(const httplib::Request& req, httplib::Response& res) {
  auto author = authenticate(req, res, true);
  if (!author) return;
  auto fault = sandbox_.take_fault("POST", req.path, "/rest/socialActions/:urn/comments");
  if (answer_fault(sandbox_, fault, res)) return;
  if (ascii_lower(req.target).find("urn%3ali%3a") == std::string::npos)
    return simple_error(res, 400, "Syntax exception in path variables", "ILLEGAL_ARGUMENT");
  const std::string target = req.matches[1];
  auto body = body_object(req);
  if (!body) return simple_error(res, 400, "The request body is not a JSON object");
  auto missing = [&](std::string_view field) {
    input_error(res, 422, "/" + std::string(field) + " :: field is required but not found and has no default value",
                "Field is required but not found", "FIELD_MISSING", field);
  };
  const std::string actor = string_of(*body, "actor");
  if (actor.empty()) return missing("actor");
  if (actor != author->urn)
    return simple_error(res, 403, "Not enough permissions to access: socialActions.comments.CREATE.20251001",
                        "ACCESS_DENIED", 100);
  const json::value* message = body->if_contains("message");
  const std::string text = message && message->is_object() ? string_of(message->as_object(), "text") : std::string();
  if (text.empty()) return missing("message/text");
  if (const std::string object = string_of(*body, "object"); !object.empty() && object != target)
    return simple_error(res, 400, "/object :: " + object + " is not the post in the path, " + target);
  if (code_points(text) > 1250)
    return input_error(res, 422, "/message/text :: length exceeds the maximum allowed length of 1250",
                       "Comment is too long", "MAX_LENGTH_EXCEEDED", "message/text");
  json::object answer;
  Sandbox::Create create;
  {
    std::lock_guard lock(mutex_);
    if (std::none_of(posts_.begin(), posts_.end(), [&](const Post& p) { return p.urn == target; }))
      return simple_error(res, 404, "Not Found", "NOT_FOUND");
    last_comment_ = std::max(last_comment_ + 1, kFirstShare + 1);
    const std::string id = std::to_string(last_comment_);
    const std::string urn = "urn:li:comment:(" + target + "," + id + ")";
    const std::int64_t now = sandbox_.now_ms();
    comments_.push_back(Comment{urn, id, target, actor, text, now});
    create.platform = "linkedin";
    create.account = actor;
    create.id = urn;
    create.text = text;
    create.in_reply_to = target;
    create.at_ms = now;
    create.fields["comment"] = "true";
    for (const char* name : {"LinkedIn-Version", "X-Restli-Protocol-Version", "Content-Type", "User-Agent"})
      if (req.has_header(name)) create.headers[name] = req.get_header_value(name);
    sandbox_.record(create);
    answer = comment_json(urn, id, target, actor, text, now);
    res.set_header("x-restli-id", id);
  }
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox_, res, 201, std::chrono::milliseconds(fault->delay_ms));
  send_json(res, 201, json::serialize(answer));
}

// GET /rest/socialActions/{encoded URN}/comments?start&count: the post's
// comments, oldest first.
void LinkedinSandbox::list_comments(const httplib::Request& req, httplib::Response& res) {
  auto author = authenticate(req, res, true);
  if (!author) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, "/rest/socialActions/:urn/comments"), res)) return;
  if (ascii_lower(req.target).find("urn%3ali%3a") == std::string::npos)
    return simple_error(res, 400, "Syntax exception in path variables", "ILLEGAL_ARGUMENT");
  const std::string target = req.matches[1];
  std::int64_t count = 10, start = 0;
  if (req.has_param("count")) {
    auto n = parse_int(req.get_param_value("count"));
    if (!n || *n < 1 || *n > 100) return simple_error(res, 400, "count must be between 1 and 100");
    count = *n;
  }
  if (req.has_param("start")) {
    auto n = parse_int(req.get_param_value("start"));
    if (!n || *n < 0) return simple_error(res, 400, "start must not be negative");
    start = *n;
  }
  json::array elements;
  std::int64_t total = 0;
  {
    std::lock_guard lock(mutex_);
    if (std::none_of(posts_.begin(), posts_.end(), [&](const Post& p) { return p.urn == target; }))
      return simple_error(res, 404, "Not Found", "NOT_FOUND");
    for (const Comment& c : comments_) {
      if (c.target != target) continue;
      if (total >= start && total < start + count)
        elements.push_back(comment_json(c.urn, c.id, c.target, c.actor, c.text, c.at_ms));
      ++total;
    }
  }
  send_json(res, 200,
            json::serialize(json::object{
                {"elements", elements},
                {"paging", json::object{{"start", start}, {"count", count}, {"links", json::array{}}, {"total", total}}}}));
}

// GET /rest/organizationalEntityShareStatistics?q=organizationalEntity&...:
// lifetime statistics of the organization's posts named in shares= or
// ugcPosts=, for an administrator's token.
void LinkedinSandbox::share_statistics(const httplib::Request& req, httplib::Response& res) {
  auto author = authenticate(req, res, true);
  if (!author) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, "/rest/organizationalEntityShareStatistics"), res))
    return;
  if (req.get_param_value("q") != "organizationalEntity")
    return simple_error(res, 400, "herald-sandbox emulates the organizationalEntity finder only");
  const std::string entity = req.get_param_value("organizationalEntity");
  if (!entity.starts_with("urn:li:organization:"))
    return simple_error(res, 400, "Invalid value for param organizationalEntity: " + entity);
  if (entity != author->urn || !author->admin)
    return simple_error(res, 403,
                        "Not enough permissions to access: organizationalEntityShareStatistics.FINDER-organizationalEntity.20251001",
                        "ACCESS_DENIED", 100);
  if (req.has_param("timeIntervals"))
    return simple_error(res, 400, "herald-sandbox emulates lifetime statistics only (no timeIntervals)");
  // shares=List(urn:li:share:1,urn:li:share:2), as httplib has decoded it.
  std::vector<std::pair<std::string, std::string>> wanted;  // (element key, URN)
  for (auto [param, key] : {std::pair{"shares", "share"}, std::pair{"ugcPosts", "ugcPost"}}) {
    if (!req.has_param(param)) continue;
    std::string list = req.get_param_value(param);
    if (!list.starts_with("List(") || !list.ends_with(")"))
      return simple_error(res, 400, std::string("Invalid value for param ") + param + ": " + list);
    for (std::string_view urn : split(std::string_view(list).substr(5, list.size() - 6), ','))
      wanted.emplace_back(key, std::string(urn));
  }
  json::array elements;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, urn] : wanted) {
      auto post = std::find_if(posts_.begin(), posts_.end(),
                               [&](const Post& p) { return p.urn == urn && p.author == author->urn; });
      if (post == posts_.end()) continue;
      const Engagement e = engagement_after(sandbox_.now_ms() - post->at_ms);
      const double engagement = e.views > 0 ? static_cast<double>(e.likes + e.replies + e.shares + e.clicks) /
                                                  static_cast<double>(e.views)
                                            : 0.0;
      elements.push_back(json::object{{"organizationalEntity", entity},
                                      {key, urn},
                                      {"totalShareStatistics", json::object{{"uniqueImpressionsCount", e.views / 2},
                                                                            {"shareCount", e.shares},
                                                                            {"engagement", engagement},
                                                                            {"clickCount", e.clicks},
                                                                            {"likeCount", e.likes},
                                                                            {"impressionCount", e.views},
                                                                            {"commentCount", e.replies}}}});
    }
  }
  const auto count = elements.size();
  send_json(res, 200,
            json::serialize(json::object{
                {"elements", std::move(elements)},
                {"paging", json::object{{"start", 0}, {"count", count}, {"links", json::array{}}}}}));
}

// POST /rest/images?action=initializeUpload.
void LinkedinSandbox::images_action(const httplib::Request& req, httplib::Response& res) {
  auto author = authenticate(req, res, true);
  if (!author) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("POST", req.path, kImagesRoute), res)) return;
  if (req.get_param_value("action") != "initializeUpload")
    return simple_error(res, 400, "herald-sandbox emulates action=initializeUpload of /rest/images only");
  auto body = body_object(req);
  const json::value* request = body ? body->if_contains("initializeUploadRequest") : nullptr;
  const std::string owner = request && request->is_object() ? string_of(request->as_object(), "owner") : "";
  if (owner.empty())
    return input_error(res, 422, "/initializeUploadRequest/owner :: field is required but not found",
                       "Field is required but not found", "FIELD_MISSING", "initializeUploadRequest/owner");
  if (owner != author->urn)
    return simple_error(res, 403, "Not enough permissions to access: images.ACTION-initializeUpload.20251001",
                        "ACCESS_DENIED", 100);
  std::string id, urn;
  {
    std::lock_guard lock(mutex_);
    id = std::to_string(++last_asset_);
    urn = "urn:li:image:" + asset_id("D4E10AQ", last_asset_);
    images_[id] = Image{owner, false, {}, 0};
    image_ids_[urn] = id;
  }
  const std::int64_t expires = sandbox_.now_ms() + 24 * 3600 * 1000;
  send_json(res, 200,
            json::serialize(json::object{{"value", json::object{{"uploadUrlExpiresAt", expires},
                                                                 {"uploadUrl", own_base(req) + "/dms-uploads/image/" + id},
                                                                 {"image", urn}}}}));
}

// PUT {uploadUrl}: the image's bytes, with the owner's token.
void LinkedinSandbox::put_image(const httplib::Request& req, httplib::Response& res) {
  auto author = authenticate(req, res, false);
  if (!author) return;
  auto fault = sandbox_.take_fault("PUT", req.path, kImageUploadRoute);
  if (answer_fault(sandbox_, fault, res)) return;
  const std::string id = req.matches[1];
  std::lock_guard lock(mutex_);
  auto it = images_.find(id);
  if (it == images_.end()) return simple_error(res, 404, "No upload at this URL");
  if (it->second.owner != author->urn) return simple_error(res, 403, "Not the owner of this upload", "ACCESS_DENIED");
  if (req.body.empty()) return simple_error(res, 400, "Empty upload");
  it->second.uploaded = true;
  it->second.hash = fnv1a64_hex(req.body);
  it->second.size = req.body.size();
  res.status = 201;
}

// POST /rest/videos?action=initializeUpload | finalizeUpload.
void LinkedinSandbox::videos_action(const httplib::Request& req, httplib::Response& res) {
  auto author = authenticate(req, res, true);
  if (!author) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("POST", req.path, kVideosRoute), res)) return;
  const std::string action = req.get_param_value("action");
  auto body = body_object(req);
  if (action == "initializeUpload") {
    const json::value* request = body ? body->if_contains("initializeUploadRequest") : nullptr;
    const json::object* r = request ? request->if_object() : nullptr;
    const std::string owner = r ? string_of(*r, "owner") : "";
    const json::value* size_value = r ? r->if_contains("fileSizeBytes") : nullptr;
    if (owner.empty() || !size_value || !size_value->is_int64() || size_value->as_int64() <= 0)
      return input_error(res, 422, "/initializeUploadRequest :: owner and a positive fileSizeBytes are required",
                         "Field is required but not found", "FIELD_MISSING", "initializeUploadRequest");
    if (owner != author->urn)
      return simple_error(res, 403, "Not enough permissions to access: videos.ACTION-initializeUpload.20251001",
                          "ACCESS_DENIED", 100);
    const std::int64_t size = size_value->as_int64();
    const std::int64_t parts = (size + kLinkedinVideoPartBytes - 1) / kLinkedinVideoPartBytes;
    std::string id, urn, token;
    {
      std::lock_guard lock(mutex_);
      id = std::to_string(++last_asset_);
      urn = "urn:li:video:" + asset_id("D5610AQ", last_asset_);
      // One part needs no token; several are tied together by one.
      token = parts > 1 ? "herald-sandbox-upload-" + id : "";
      Video video{owner, size, token, std::vector<std::string>(static_cast<std::size_t>(parts)),
                  std::string(static_cast<std::size_t>(size), '\0'), false, {}};
      videos_[id] = std::move(video);
      video_ids_[urn] = id;
    }
    json::array instructions;
    for (std::int64_t p = 0; p < parts; ++p) {
      const std::int64_t first = p * kLinkedinVideoPartBytes;
      const std::int64_t last = std::min(size, first + kLinkedinVideoPartBytes) - 1;
      instructions.push_back(json::object{{"uploadUrl", own_base(req) + "/dms-uploads/video/" + id + "/part/" +
                                                            std::to_string(p)},
                                          {"firstByte", first},
                                          {"lastByte", last}});
    }
    const std::int64_t expires = sandbox_.now_ms() + 24 * 3600 * 1000;
    return send_json(res, 200,
                     json::serialize(json::object{{"value", json::object{{"uploadUrlsExpireAt", expires},
                                                                          {"video", urn},
                                                                          {"uploadInstructions", instructions},
                                                                          {"uploadToken", token}}}}));
  }
  if (action == "finalizeUpload") {
    const json::value* request = body ? body->if_contains("finalizeUploadRequest") : nullptr;
    const json::object* r = request ? request->if_object() : nullptr;
    const std::string urn = r ? string_of(*r, "video") : "";
    const json::value* ids = r ? r->if_contains("uploadedPartIds") : nullptr;
    if (urn.empty() || !ids || !ids->is_array())
      return input_error(res, 422, "/finalizeUploadRequest :: video and uploadedPartIds are required",
                         "Field is required but not found", "FIELD_MISSING", "finalizeUploadRequest");
    std::lock_guard lock(mutex_);
    auto at = video_ids_.find(urn);
    if (at == video_ids_.end()) return simple_error(res, 404, "No video " + urn);
    Video& video = videos_[at->second];
    if (video.owner != author->urn) return simple_error(res, 403, "Not the owner of " + urn, "ACCESS_DENIED", 100);
    if (string_of(*r, "uploadToken") != video.upload_token)
      return simple_error(res, 400, "The uploadToken does not belong to " + urn);
    std::vector<std::string> given;
    for (const auto& v : ids->as_array())
      if (v.is_string()) given.emplace_back(v.as_string());
    if (given != video.etags || std::any_of(video.etags.begin(), video.etags.end(), [](auto& e) { return e.empty(); }))
      return simple_error(res, 400, "The uploadedPartIds do not match the uploaded parts of " + urn);
    video.available = true;
    video.hash = fnv1a64_hex(video.bytes);
    video.bytes.clear();
    video.bytes.shrink_to_fit();
    return send_json(res, 200, "{}");
  }
  simple_error(res, 400, "herald-sandbox emulates action=initializeUpload and finalizeUpload of /rest/videos only");
}

// PUT {uploadUrl} of one video part: exactly its bytes; the answer's ETag
// names the part at finalizeUpload.
void LinkedinSandbox::put_video_part(const httplib::Request& req, httplib::Response& res) {
  auto fault = sandbox_.take_fault("PUT", req.path, kVideoUploadRoute);
  if (answer_fault(sandbox_, fault, res)) return;
  const std::string id = req.matches[1];
  const auto part = parse_int(req.matches[2].str());
  std::lock_guard lock(mutex_);
  auto it = videos_.find(id);
  if (it == videos_.end() || !part || *part < 0 || *part >= static_cast<std::int64_t>(it->second.etags.size()))
    return simple_error(res, 404, "No upload at this URL");
  Video& video = it->second;
  if (video.available) return simple_error(res, 400, "The upload is finalized already");
  const std::int64_t first = *part * kLinkedinVideoPartBytes;
  const std::int64_t length = std::min(video.size, first + kLinkedinVideoPartBytes) - first;
  if (static_cast<std::int64_t>(req.body.size()) != length)
    return simple_error(res, 400, "Part " + std::to_string(*part) + " must be " + std::to_string(length) +
                                      " bytes, not " + std::to_string(req.body.size()));
  video.bytes.replace(static_cast<std::size_t>(first), static_cast<std::size_t>(length), req.body);
  video.etags[static_cast<std::size_t>(*part)] = "/AQ" + fnv1a64_hex(req.body) + "-" + std::to_string(*part);
  res.set_header("ETag", video.etags[static_cast<std::size_t>(*part)]);
  res.status = 200;
}

// POST /oauth/v2/introspectToken (learn.microsoft.com/linkedin/shared/
// authentication/token-introspection): form token (+ client_id,
// client_secret, not checked here); answers whether it is active and when
// it expires (Unix seconds; a token without expiry here reads as 60 days
// from now).
void LinkedinSandbox::introspect(const httplib::Request& req, httplib::Response& res) {
  const auto owner = token_owner(req.get_param_value("token"));
  const std::int64_t now = sandbox_.now_ms() / 1000;
  if (!owner) return send_json(res, 200, R"({"active":false})");
  const std::int64_t expires = owner->second > 0 ? owner->second : now + 60 * 24 * 3600;
  const bool active = expires > now;
  send_json(res, 200,
            json::serialize(json::object{{"active", active},
                                         {"status", active ? "active" : "expired"},
                                         {"expires_at", expires},
                                         {"auth_type", "3L"}}));
}

// POST /oauth/v2/accessToken, grant_type=refresh_token (programmatic
// refresh, learn.microsoft.com/linkedin/shared/authentication/
// programmatic-refresh-tokens): client_id, client_secret and refresh_token
// in the form; answers a new access token for 60 days, and the same
// refresh token (LinkedIn does not rotate it; its remaining life goes
// down). Errors in RFC 6749's form: invalid_client for the app,
// invalid_grant for the refresh token (LinkedIn's exact wording assumed).
void LinkedinSandbox::refresh(const httplib::Request& req, httplib::Response& res) {
  if (req.get_param_value("grant_type") != "refresh_token")
    return send_json(res, 400, R"({"error":"unsupported_grant_type","error_description":"herald-sandbox emulates grant_type=refresh_token only"})");
  const std::string client_id = req.get_param_value("client_id");
  const std::string secret = req.get_param_value("client_secret");
  const std::string refresh_token = req.get_param_value("refresh_token");
  const bool known_client = std::any_of(config_.authors.begin(), config_.authors.end(), [&](const Author& a) {
    return !a.client_id.empty() && a.client_id == client_id && equal_constant_time(a.client_secret, secret);
  });
  if (!known_client)
    return send_json(res, 401, R"({"error":"invalid_client","error_description":"Client authentication failed"})");
  for (std::size_t i = 0; i < config_.authors.size(); ++i) {
    const Author& a = config_.authors[i];
    if (a.refresh_token.empty() || a.client_id != client_id || !equal_constant_time(a.refresh_token, refresh_token))
      continue;
    const std::int64_t now = sandbox_.now_ms() / 1000;
    const std::int64_t lifetime = 60 * 24 * 3600;
    std::string token;
    {
      std::lock_guard lock(mutex_);
      token = "FAKE-linkedin-refreshed-" + std::to_string(issued_.size() + 1) + "-" + std::to_string(i);
      issued_[token] = {i, now + lifetime};
    }
    return send_json(res, 200,
                     json::serialize(json::object{{"access_token", token},
                                                  {"expires_in", lifetime},
                                                  {"refresh_token", a.refresh_token},
                                                  {"refresh_token_expires_in", 300 * 24 * 3600},
                                                  {"scope", "r_organization_social,w_organization_social"}}));
  }
  send_json(res, 400,
            R"({"error":"invalid_grant","error_description":"The provided refresh token is invalid, expired or revoked"})");
}

LinkedinSandboxConfig load_linkedin_sandbox_config(const YAML::Node& node, const std::string& file) {
  LinkedinSandboxConfig config;
  reject_unknown_keys(node, {"authors", "versions", "duplicate_window_seconds"}, file);
  if (const YAML::Node versions = node["versions"]) {
    if (!versions.IsSequence() || versions.size() == 0)
      config_error(versions, file, "versions must be a non-empty list");
    for (const auto& v : versions) {
      const std::string text = v.as<std::string>();
      if (!std::regex_match(text, std::regex(R"(20\d\d(0[1-9]|1[0-2]))")))
        config_error(v, file, "a LinkedIn-Version looks like 202510 (YYYYMM), not '" + text + "'");
      config.versions.push_back(text);
    }
  }
  if (const YAML::Node window = node["duplicate_window_seconds"]) {
    const auto seconds = parse_int(window.as<std::string>());
    if (!seconds || *seconds < 0) config_error(window, file, "duplicate_window_seconds must be a whole number >= 0");
    config.duplicate_window_seconds = *seconds;
  }
  if (const YAML::Node authors = node["authors"]) {
    if (!authors.IsSequence()) config_error(authors, file, "authors must be a list");
    for (const auto& a : authors) {
      reject_unknown_keys(
          a, {"urn", "name", "access_token", "expires_at", "refresh_token", "client_id", "client_secret", "admin"}, file);
      for (const char* key : {"urn", "access_token"})
        if (!a[key]) config_error(a, file, std::string("an author needs '") + key + "'");
      LinkedinSandboxConfig::Author author;
      author.urn = a["urn"].as<std::string>();
      author.name = a["name"] ? a["name"].as<std::string>() : std::string();
      author.access_token = a["access_token"].as<std::string>();
      if (a["admin"]) author.admin = a["admin"].as<bool>();
      if (!std::regex_match(author.urn, std::regex(R"(urn:li:(organization:\d+|person:[A-Za-z0-9_-]+))")))
        config_error(a["urn"], file, "urn must be urn:li:organization:N or urn:li:person:ID");
      if (author.access_token.empty()) config_error(a["access_token"], file, "access_token must not be empty");
      if (a["expires_at"]) {
        const auto at = parse_int(a["expires_at"].as<std::string>());
        if (!at || *at < 0) config_error(a["expires_at"], file, "expires_at must be Unix seconds");
        author.expires_at = *at;
      }
      for (auto [key, field] : {std::pair{"refresh_token", &author.refresh_token}, std::pair{"client_id", &author.client_id},
                                std::pair{"client_secret", &author.client_secret}})
        if (a[key]) *field = a[key].as<std::string>();
      if (!author.refresh_token.empty() && (author.client_id.empty() || author.client_secret.empty()))
        config_error(a, file, "an author's refresh_token needs client_id and client_secret");
      config.authors.push_back(std::move(author));
    }
  }
  return config;
}

}  // namespace herald
