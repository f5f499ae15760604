#include "connectors/linkedin/linkedin_connector.hpp"
#include "connectors/form_encoding.hpp"

#include "compose/media.hpp"
#include "connectors/counters.hpp"
#include "connectors/digest.hpp"
#include "compose/public_url.hpp"
#include "connectors/file_bytes.hpp"
#include "connectors/http_result.hpp"
#include "connectors/json_fields.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <fstream>
#include <memory>
#include <utility>

// LinkedIn documents this follows (learn.microsoft.com, LinkedIn Marketing,
// Community Management; the sandbox, tests/sandbox/sandbox_linkedin.cpp,
// cites the same and emulates them):
//  - Posts API (.../shares/posts-api): POST /rest/posts {author, commentary,
//    visibility, distribution, lifecycleState, isReshareDisabledByAuthor,
//    content}, 201 with the URN in x-restli-id; "Find Posts by Authors"
//    (q=author, count, sortBy=LAST_MODIFIED) for the lookup; the headers
//    LinkedIn-Version: YYYYMM and X-Restli-Protocol-Version: 2.0.0 on every
//    call; commentary up to 3,000 characters.
//  - MultiImage API (.../shares/multiimage-post-api): 2 to 20 images.
//  - Images API (.../shares/images-api) and Videos API (.../shares/videos-api):
//    initializeUpload, PUT of the bytes (video: each part, its ETag), and
//    for video finalizeUpload with the ETags as uploadedPartIds.
//  - Little text format (.../shares/little-text-format): compose/ escapes the
//    commentary; it is sent as composed and looked up as sent.
//  - Rate limits (learn.microsoft.com/linkedin/shared/api-guide/concepts/rate-limits)
//    and error handling (.../concepts/error-handling): classify_linkedin.
//  - Social actions (.../community-management/shares/network-update-social-actions,
//    "Retrieve a Summary of Social Actions"): GET /rest/socialActions/{URN}
//    with the URN percent-encoded, {likesSummary {totalLikes,
//    aggregatedTotalLikes}, commentsSummary {totalFirstLevelComments,
//    aggregatedTotalComments}}. The Social Metadata API
//    (.../shares/social-metadata-api) succeeds it with reaction types.
//  - Organization share statistics (.../community-management/organizations/share-statistics):
//    GET /rest/organizationalEntityShareStatistics?q=organizationalEntity&
//    organizationalEntity={org}&shares=List({share URN}) (ugcPosts=List(...)
//    for a ugcPost), lifetime totalShareStatistics {impressionCount,
//    uniqueImpressionsCount, shareCount, clickCount, likeCount,
//    commentCount, engagement}; rw_organization_admin, organic only.
//  - Duplicate content: 422 with the input error DUPLICATE_POST, as the live
//    API answers it (quoted in github.com/Arisamiga/Linkedin-RSS/issues/5).

namespace herald {
namespace {
namespace json = boost::json;

constexpr const char* kDefaultBase = "https://api.linkedin.com";
constexpr const char* kDefaultVersion = "202510";
// Programmatic refresh (learn.microsoft.com/linkedin/shared/authentication/
// programmatic-refresh-tokens): grant_type=refresh_token with client_id and
// client_secret in the form body, on LinkedIn's www host.
constexpr const char* kTokenUrl = "https://www.linkedin.com/oauth/v2/accessToken";


std::string host_of(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return {};
  std::string host = parsed->host();
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host;
}

// The `value` object of an action's answer (Rest.li wraps action results).
const json::object* action_value(const std::optional<json::value>& body) {
  return body && body->is_object() ? member_object(body->get_object(), "value") : nullptr;
}

// LinkedIn may read a hashtag back as its template, {hashtag|\#|spring}
// (little text format, "HashtagTemplate"), where herald sent #spring; both
// sides of a lookup's comparison are read with hashtags as plain #tag.
std::string plain_hashtags(std::string_view commentary) {
  static constexpr std::string_view kOpen = "{hashtag|\\#|";
  std::string out;
  for (std::size_t i = 0; i < commentary.size();) {
    if (commentary.substr(i, kOpen.size()) == kOpen) {
      const auto close = commentary.find('}', i + kOpen.size());
      if (close != std::string_view::npos) {
        out += '#';
        out.append(commentary.substr(i + kOpen.size(), close - i - kOpen.size()));
        i = close + 1;
        continue;
      }
    }
    out += commentary[i++];
  }
  return out;
}

}  // namespace

LinkedinCredentials linkedin_credentials(const Credentials& file) {
  LinkedinCredentials out{file.at("access_token"), std::nullopt, file.find("refresh_token"), {},
                          file.find("client_secret")};
  if (auto id = file.find("client_id")) out.client_id = id->reveal();  // an app's public id, not a secret
  if (out.refresh_token && (out.client_id.empty() || !out.client_secret)) {
    throw CredentialError(file.file.string() +
                          ": 'refresh_token' needs 'client_id' and 'client_secret' (LinkedIn's refresh sends both)");
  }
  if (auto expires = file.expires_at()) out.expires_at = std::chrono::floor<std::chrono::seconds>(*expires);
  return out;
}

std::string linkedin_media_state_key(const std::string& author, const std::string& delivery_key,
                                     const std::string& sha256_hex) {
  return "linkedin:" + author + ":" + delivery_key + ":" + sha256_hex;
}

LinkedinConnector::LinkedinConnector(ChannelSettings channel, LinkedinCredentials credentials, HttpClient& http,
                                     ConnectorState& state, Clock clock)
    : channel_(std::move(channel)),
      credentials_(std::move(credentials)),
      http_(http),
      state_(state),
      clock_(std::move(clock)) {
  base_ = channel_.api_base.empty() ? kDefaultBase : channel_.api_base;
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  version_ = channel_.api_version.empty() ? kDefaultVersion : channel_.api_version;
  credential_name_ = channel_.credentials.empty() ? channel_.name : channel_.credentials;
  if (credentials_.refresh_token) {
    session_ = std::make_unique<OAuth2Session>(
        channel_.api_base.empty() ? std::string(kTokenUrl) : base_ + "/oauth/v2/accessToken", credentials_.client_id,
        credentials_.client_secret, *credentials_.refresh_token, state_, refresh_token_state_key(credential_name_),
        http_, clock_);
  }
}

LinkedinConnector::~LinkedinConnector() = default;

// The file's access token until LinkedIn refuses it; then, with a refresh
// token, a refreshed one, and from then on the session's. A 401 is a refusal
// before anything was done, so sending again is safe, even for a create.
LinkedinConnector::Sent LinkedinConnector::send(HttpRequest request, bool with_token) {
  for (int attempt = 0;; ++attempt) {
    HttpRequest signed_request = request;
    if (with_token) {
      std::string token = credentials_.access_token.reveal();
      if (session_ && refreshed_) {
        auto fresh = session_->access_token();
        if (auto* error = std::get_if<TokenError>(&fresh)) {
          std::string message = describe_token_error(*error, "LinkedIn", credential_name_);
          if (error->auth_failed) return {{}, AuthFailed{std::move(message)}};
          return {{}, RetryLater{std::nullopt, std::move(message)}};
        }
        token = std::get<Secret>(fresh).reveal();
      }
      signed_request.headers.emplace_back("Authorization", "Bearer " + token);
    }
    HttpResponse response = http_.send(signed_request);
    if (response.status == 401 && with_token && session_ && attempt == 0) {
      if (refreshed_.exchange(true)) session_->invalidate();
      continue;
    }
    return {std::move(response), std::nullopt};
  }
}

SettlePolicy LinkedinConnector::settle_policy() const { return {false, kSettleMargin}; }

std::optional<std::chrono::system_clock::time_point> LinkedinConnector::credentials_expire_at() const {
  // With a refresh token the access token's end is not the credentials'
  // (the refresh token's own 365 days are not in the file).
  if (!credentials_.expires_at || session_) return std::nullopt;
  return std::chrono::system_clock::time_point{*credentials_.expires_at};
}

HttpRequest LinkedinConnector::request(std::string method, const std::string& path_and_query) {
  HttpRequest out;
  out.method = std::move(method);
  out.url = base_ + path_and_query;
  out.headers.emplace_back("LinkedIn-Version", version_);
  out.headers.emplace_back("X-Restli-Protocol-Version", "2.0.0");
  return out;
}

// An upload URL comes from LinkedIn's answer; the token goes along only to
// LinkedIn's own hosts (or the configured base's, the sandbox), never to
// wherever an answer might point.
bool LinkedinConnector::may_carry_token(const std::string& url) const {
  const std::string host = host_of(url);
  if (host.empty()) return false;
  if (host == host_of(base_)) return true;
  return url.starts_with("https://") && (host == "linkedin.com" || host.ends_with(".linkedin.com"));
}

// PUT of upload bytes. Nothing public comes of an upload, so its failures
// are RetryLater at worst, never Unsure.
std::optional<PublishResult> LinkedinConnector::put_bytes(const std::string& url, std::string_view bytes,
                                                          const std::string& what, std::string* etag) {
  HttpRequest put;
  put.method = "PUT";
  put.url = url;
  put.body = std::string(bytes);
  put.content_type = "application/octet-stream";
  Sent sent = send(std::move(put), may_carry_token(url));
  if (sent.token_problem) return std::move(*sent.token_problem);
  const HttpResponse& response = sent.response;
  if (!response.error.empty())
    return RetryLater{std::nullopt, "LinkedIn: no answer to " + what + " (" + response.error + ")"};
  if (auto problem = classify_linkedin(response, clock_())) return with_context(std::move(*problem), what);
  if (etag) {
    const std::string* value = find_header(response, "etag");
    if (!value || value->empty()) return RetryLater{std::nullopt, "LinkedIn: " + what + " answered without an ETag"};
    *etag = *value;
  }
  return std::nullopt;
}

std::variant<std::string, PublishResult> LinkedinConnector::upload_image(const std::string& bytes) {
  HttpRequest init = request("POST", "/rest/images?action=initializeUpload");
  init.body = json::serialize(json::object{{"initializeUploadRequest", json::object{{"owner", channel_.author}}}});
  init.content_type = "application/json";
  Sent sent = send(std::move(init));
  if (sent.token_problem) return std::move(*sent.token_problem);
  const HttpResponse& response = sent.response;
  const std::string what = "starting an image upload";
  if (!response.error.empty())
    return RetryLater{std::nullopt, "LinkedIn: no answer to " + what + " (" + response.error + ")"};
  if (auto problem = classify_linkedin(response, clock_())) return with_context(std::move(*problem), what);
  const auto parsed = parse_json(response.body);
  const json::object* value = action_value(parsed);
  const std::string url = value ? member_string(*value, "uploadUrl") : "";
  const std::string urn = value ? member_string(*value, "image") : "";
  if (url.empty() || !urn.starts_with("urn:li:image:"))
    return RetryLater{std::nullopt, "LinkedIn: the answer to " + what + " has no uploadUrl and image"};
  if (auto problem = put_bytes(url, bytes, "uploading image " + urn, nullptr)) return std::move(*problem);
  return urn;
}

std::variant<std::string, PublishResult> LinkedinConnector::upload_video(const std::string& bytes) {
  HttpRequest init = request("POST", "/rest/videos?action=initializeUpload");
  init.body = json::serialize(json::object{
      {"initializeUploadRequest", json::object{{"owner", channel_.author},
                                               {"fileSizeBytes", static_cast<std::int64_t>(bytes.size())},
                                               {"uploadCaptions", false},
                                               {"uploadThumbnail", false}}}});
  init.content_type = "application/json";
  const std::string what = "starting a video upload";
  Sent sent = send(std::move(init));
  if (sent.token_problem) return std::move(*sent.token_problem);
  const HttpResponse& response = sent.response;
  if (!response.error.empty())
    return RetryLater{std::nullopt, "LinkedIn: no answer to " + what + " (" + response.error + ")"};
  if (auto problem = classify_linkedin(response, clock_())) return with_context(std::move(*problem), what);
  const auto parsed = parse_json(response.body);
  const json::object* value = action_value(parsed);
  const std::string urn = value ? member_string(*value, "video") : "";
  const json::value* instructions = value ? value->if_contains("uploadInstructions") : nullptr;
  if (!urn.starts_with("urn:li:video:") || !instructions || !instructions->is_array() ||
      instructions->get_array().empty())
    return RetryLater{std::nullopt, "LinkedIn: the answer to " + what + " has no video and uploadInstructions"};

  // Each instruction names a byte range and where it goes; the ETags, in
  // order, finish the upload.
  json::array etags;
  for (const auto& item : instructions->get_array()) {
    const json::object* part = item.if_object();
    const std::string url = part ? member_string(*part, "uploadUrl") : "";
    const auto first = part ? member_int(*part, "firstByte") : std::nullopt;
    const auto last = part ? member_int(*part, "lastByte") : std::nullopt;
    if (url.empty() || !first || !last || *first < 0 || *last < *first ||
        *last >= static_cast<std::int64_t>(bytes.size()))
      return RetryLater{std::nullopt, "LinkedIn: an upload instruction for video " + urn + " is not usable"};
    std::string etag;
    const std::string_view range =
        std::string_view(bytes).substr(static_cast<std::size_t>(*first), static_cast<std::size_t>(*last - *first + 1));
    if (auto problem = put_bytes(url, range, "uploading part " + std::to_string(etags.size() + 1) + " of video " + urn,
                                 &etag))
      return std::move(*problem);
    etags.emplace_back(etag);
  }
  HttpRequest finalize = request("POST", "/rest/videos?action=finalizeUpload");
  finalize.body = json::serialize(json::object{
      {"finalizeUploadRequest",
       json::object{{"video", urn}, {"uploadToken", member_string(*value, "uploadToken")}, {"uploadedPartIds", etags}}}});
  finalize.content_type = "application/json";
  Sent finalized = send(std::move(finalize));
  if (finalized.token_problem) return std::move(*finalized.token_problem);
  const HttpResponse& done = finalized.response;
  const std::string finishing = "finishing the upload of video " + urn;
  if (!done.error.empty())
    return RetryLater{std::nullopt, "LinkedIn: no answer to " + finishing + " (" + done.error + ")"};
  if (auto problem = classify_linkedin(done, clock_())) return with_context(std::move(*problem), finishing);
  return urn;
}

// One file: its URN from an earlier attempt of this delivery, else uploaded
// now and remembered.
std::variant<std::string, PublishResult> LinkedinConnector::upload(const std::string& delivery_key,
                                                                   const std::string& path, std::string& state_key) {
  const auto type = sniff_media(path);
  if (!type) return Failed{"LinkedIn: " + path + " is not a JPEG, PNG or GIF image or an MP4 video"};
  auto bytes = read_file_bytes(path, kLinkedinMaxFileBytes);
  if (!bytes) {
    return Failed{"LinkedIn: cannot read " + path + " (missing, unreadable or over " +
                  std::to_string(kLinkedinMaxFileBytes / (1024 * 1024)) + " MB)"};
  }
  const std::string key = linkedin_media_state_key(channel_.author, delivery_key, sha256_hex(*bytes));
  state_key = key;
  try {
    if (auto urn = state_.get(key); urn && !urn->empty()) return *urn;
  } catch (const std::exception& e) {
    return RetryLater{std::nullopt, std::string("LinkedIn: connector state unreadable: ") + e.what()};
  }
  auto uploaded = *type == MediaType::mp4 ? upload_video(*bytes) : upload_image(*bytes);
  if (const auto* urn = std::get_if<std::string>(&uploaded)) {
    try {
      state_.put(key, *urn);
    } catch (const std::exception& e) {
      // Not fatal: a retry uploads the file again, which LinkedIn allows.
      return RetryLater{std::nullopt, "LinkedIn: cannot remember the upload of " + path + ": " + e.what()};
    }
  }
  return uploaded;
}

namespace {
// A comment's address: the post's with ?commentUrn= (as LinkedIn's own
// "copy link to comment" gives it).
std::string comment_url(const CommentOn& on, const std::string& comment_urn) {
  const std::string post = on.url.empty() ? linkedin_post_url(on.remote_id) : on.url;
  return post + (post.find('?') == std::string::npos ? "?" : "&") + "commentUrn=" + percent_encode(comment_urn);
}
}  // namespace

// A first comment: POST /rest/socialActions/{URN}/comments {actor, object,
// message.text} (learn.microsoft.com, LinkedIn Community Management,
// Comments API, "Create a Comment"), as the channel's author. LinkedIn
// has no idempotency key, so a lost answer is settled by lookups
// (settle_policy says a repeat is not safe, for posts and comments alike).
PublishResult LinkedinConnector::publish_comment(const PublishRequest& req) {
  const CommentOn& on = *req.comment_on;
  const std::string& text = req.composed.text;
  if (!on.remote_id.starts_with("urn:li:"))
    return Failed{"LinkedIn: the post this comment goes under has no recorded URN"};
  if (text.empty()) return Failed{"LinkedIn: the comment has no text"};
  HttpRequest create = request("POST", "/rest/socialActions/" + percent_encode(on.remote_id) + "/comments");
  create.body = json::serialize(
      json::object{{"actor", channel_.author}, {"object", on.remote_id}, {"message", json::object{{"text", text}}}});
  create.content_type = "application/json";
  Sent sent = send(std::move(create));
  if (sent.token_problem) return std::move(*sent.token_problem);
  const HttpResponse& response = sent.response;
  if (!response.error.empty()) {
    return Unsure{"LinkedIn: no answer to the comment (" + response.error +
                  "); it may exist, and LinkedIn has no idempotency key, so it is looked up first"};
  }
  if (response.status == 404)
    return Failed{"LinkedIn: the post this comment goes under is gone (" + on.remote_id + " is not found)"};
  if (auto problem = classify_linkedin(response, clock_()))
    return with_context(create_outcome(response, std::move(*problem)), "LinkedIn: commenting");
  auto body = parse_json(response.body);
  const json::object* comment = body && body->is_object() ? &body->get_object() : nullptr;
  std::string urn = comment ? member_string(*comment, "commentUrn") : "";
  if (!urn.starts_with("urn:li:comment:")) {
    std::string id = comment ? member_string(*comment, "id") : "";
    if (const std::string* header = find_header(response, "x-restli-id"); id.empty() && header) id = *header;
    if (id.empty())
      return Unsure{"LinkedIn: answered " + std::to_string(response.status) +
                    " to the comment without naming it; it is looked up"};
    urn = "urn:li:comment:(" + on.remote_id + "," + id + ")";
  }
  return Published{urn, comment_url(on, urn)};
}

// GET /rest/socialActions/{URN}/comments ("Get Comments on Shares"): the
// author's comment with the text. Comments are listed oldest first, so a
// first comment is on the first page.
LookupResult LinkedinConnector::find_comment(const CommentOn& on, const std::string& text) {
  if (!on.remote_id.starts_with("urn:li:"))
    return Unknown{"LinkedIn: the post this comment goes under has no recorded URN"};
  Sent sent = send(request("GET", "/rest/socialActions/" + percent_encode(on.remote_id) + "/comments?count=100"));
  if (sent.token_problem) return Unknown{message_of(*sent.token_problem)};
  const HttpResponse& response = sent.response;
  if (!response.error.empty()) return Unknown{"LinkedIn: reading the post's comments failed: " + response.error};
  // The post is gone, its comments with it; a new one would be refused.
  if (response.status == 404) return Absent{};
  if (auto problem = classify_linkedin(response, clock_()))
    return Unknown{"LinkedIn: reading the post's comments: " + message_of(*problem)};
  auto body = parse_json(response.body);
  const json::value* elements = body && body->is_object() ? body->get_object().if_contains("elements") : nullptr;
  if (!elements || !elements->is_array()) return Unknown{"LinkedIn: the post's comments answer has no elements"};
  for (const auto& item : elements->get_array()) {
    const json::object* comment = item.if_object();
    if (!comment || member_string(*comment, "actor") != channel_.author) continue;
    const json::object* message = member_object(*comment, "message");
    if (!message || member_string(*message, "text") != text) continue;
    std::string urn = member_string(*comment, "commentUrn");
    if (!urn.starts_with("urn:li:comment:")) {
      const std::string id = member_string(*comment, "id");
      if (id.empty()) continue;
      urn = "urn:li:comment:(" + on.remote_id + "," + id + ")";
    }
    return Found{urn, comment_url(on, urn)};
  }
  return Absent{};
}

PublishResult LinkedinConnector::publish(const PublishRequest& req) {
  if (req.comment_on) return publish_comment(req);
  const Composed& composed = req.composed;
  if (composed.text.empty() && composed.link.empty() && composed.media.empty())
    return Failed{"LinkedIn: nothing to post (no commentary, link or media)"};
  std::size_t videos = 0;
  for (const auto& file : composed.media)
    if (sniff_media(file) == MediaType::mp4) ++videos;
  if (videos > 0 && composed.media.size() > 1)
    return Failed{"LinkedIn: one video per post, and not with images"};
  if (composed.media.size() > 20)
    return Failed{"LinkedIn: up to 20 images per post, not " + std::to_string(composed.media.size())};

  // Media first; every failure here comes before anything is public.
  std::vector<std::string> urns, state_keys;
  for (const auto& file : composed.media) {
    auto uploaded = upload(req.key, file.string(), state_keys.emplace_back());
    if (auto* problem = std::get_if<PublishResult>(&uploaded)) return std::move(*problem);
    urns.push_back(std::get<std::string>(std::move(uploaded)));
  }

  json::object post{{"author", channel_.author},
                    {"commentary", composed.text},
                    {"visibility", "PUBLIC"},
                    {"distribution", json::object{{"feedDistribution", "MAIN_FEED"},
                                                  {"targetEntities", json::array{}},
                                                  {"thirdPartyDistributionChannels", json::array{}}}},
                    {"lifecycleState", "PUBLISHED"},
                    {"isReshareDisabledByAuthor", false}};
  if (urns.size() == 1) {
    post["content"] = json::object{{"media", json::object{{"id", urns.front()}}}};
  } else if (urns.size() > 1) {
    json::array images;
    for (const auto& urn : urns) images.push_back(json::object{{"id", urn}});
    post["content"] = json::object{{"multiImage", json::object{{"images", std::move(images)}}}};
  } else if (!composed.link.empty()) {
    // With media the card has no place (compose notes that); without, the
    // link is the article card.
    post["content"] = json::object{
        {"article", json::object{{"source", composed.link},
                                 {"title", composed.title.empty() ? composed.link : composed.title}}}};
  }
  HttpRequest create = request("POST", "/rest/posts");
  create.body = json::serialize(post);
  create.content_type = "application/json";
  Sent sent = send(std::move(create));
  if (sent.token_problem) return std::move(*sent.token_problem);
  const HttpResponse& response = sent.response;
  if (!response.error.empty()) {
    return Unsure{"LinkedIn: no answer to the create (" + response.error +
                  "); the post may exist, and LinkedIn has no idempotency key, so it is looked up first"};
  }
  if (auto problem = classify_linkedin(response, clock_()))
    return with_context(create_outcome(response, std::move(*problem)), "LinkedIn: creating the post");

  const std::string* id = find_header(response, "x-restli-id");
  if (!id || !id->starts_with("urn:li:")) {
    return Unsure{"LinkedIn: answered " + std::to_string(response.status) +
                  " to the create without the post's URN in x-restli-id; it is looked up"};
  }
  // Published: the uploads are spent (best effort; a leftover entry only
  // names an asset LinkedIn already has).
  for (const auto& key : state_keys) {
    try {
      state_.erase(key);
    } catch (const std::exception&) {
    }
  }
  return Published{*id, linkedin_post_url(*id)};
}

LookupResult LinkedinConnector::lookup(const PublishRequest& req) {
  if (req.comment_on) return find_comment(*req.comment_on, req.composed.text);
  const std::string& text = req.composed.text;
  if (text.empty()) return Unknown{"LinkedIn: a post without commentary cannot be recognised among the author's posts"};
  Sent sent = send(request(
      "GET", "/rest/posts?author=" + percent_encode(channel_.author) + "&q=author&count=100&sortBy=LAST_MODIFIED"));
  if (sent.token_problem) return Unknown{message_of(*sent.token_problem)};
  const HttpResponse& response = sent.response;
  if (!response.error.empty()) return Unknown{"LinkedIn: reading the author's posts failed: " + response.error};
  if (auto problem = classify_linkedin(response, clock_()))
    return Unknown{"LinkedIn: reading the author's posts: " + message_of(*problem)};
  auto body = parse_json(response.body);
  const json::value* elements = body && body->is_object() ? body->get_object().if_contains("elements") : nullptr;
  if (!elements || !elements->is_array()) return Unknown{"LinkedIn: the author's posts answer has no elements"};
  const std::string wanted = plain_hashtags(text);
  for (const auto& item : elements->get_array()) {
    const json::object* post = item.if_object();
    if (!post || plain_hashtags(member_string(*post, "commentary")) != wanted) continue;
    const std::string id = member_string(*post, "id");
    if (id.starts_with("urn:li:")) return Found{id, linkedin_post_url(id)};
  }
  // The newest 100 are enough: a lookup asks about a create that was under
  // way moments ago, and LinkedIn lists by last modification.
  return Absent{};
}

// The social actions summary for any author; for an organization, also
// its share statistics, whose refusal (Failed: the member is no
// administrator of the page) keeps the summary. likeCount and commentCount
// of the statistics repeat the summary and are left out.
CountersResult LinkedinConnector::read_counters(const CountersRequest& req) {
  const std::string& urn = req.remote_id;
  const bool share = urn.starts_with("urn:li:share:");
  if (!share && !urn.starts_with("urn:li:ugcPost:"))
    return Failed{"LinkedIn: the post id recorded for " + req.key + " is not a share or ugcPost URN"};
  Sent sent = send(request("GET", "/rest/socialActions/" + percent_encode(urn)));
  if (sent.token_problem) return counters_problem(std::move(*sent.token_problem));
  if (sent.response.error.empty() && sent.response.status == 404) return Gone{"LinkedIn: post " + urn + " is gone"};
  if (auto problem = classify_linkedin(sent.response, clock_()))
    return counters_problem(with_context(std::move(*problem), "LinkedIn: reading the social actions of " + urn));
  auto body = parse_json(sent.response.body);
  const json::object* root = body && body->is_object() ? &body->get_object() : nullptr;
  if (!root) return RetryLater{std::nullopt, "LinkedIn: the social actions answer for " + urn + " is not a JSON object"};
  Counters out;
  if (const json::object* likes = member_object(*root, "likesSummary"))
    append_counters(out.values, *likes, {{"totalLikes", metric::likes}});
  if (const json::object* comments = member_object(*root, "commentsSummary"))
    append_counters(out.values, *comments, {{"aggregatedTotalComments", metric::replies}});
  if (!channel_.author.starts_with("urn:li:organization:")) return out;

  sent = send(request("GET", "/rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=" +
                                 percent_encode(channel_.author) + (share ? "&shares=List(" : "&ugcPosts=List(") +
                                 percent_encode(urn) + ")"));
  if (sent.token_problem) return counters_problem(std::move(*sent.token_problem));
  if (auto problem = classify_linkedin(sent.response, clock_())) {
    if (std::holds_alternative<Failed>(*problem)) return out;
    return counters_problem(with_context(std::move(*problem), "LinkedIn: reading the share statistics of " + urn));
  }
  auto statistics = parse_json(sent.response.body);
  const json::value* elements =
      statistics && statistics->is_object() ? statistics->get_object().if_contains("elements") : nullptr;
  if (elements && elements->is_array()) {
    for (const auto& item : elements->get_array()) {
      const json::object* element = item.if_object();
      if (!element || member_string(*element, share ? "share" : "ugcPost") != urn) continue;
      if (const json::object* totals = member_object(*element, "totalShareStatistics"))
        append_counters(out.values, *totals,
                        {{"impressionCount", metric::views},
                         {"uniqueImpressionsCount", ""},
                         {"shareCount", metric::shares},
                         {"clickCount", metric::clicks}});
      break;
    }
  }
  return out;
}

}  // namespace herald
