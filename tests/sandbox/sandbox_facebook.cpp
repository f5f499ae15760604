#include "tests/sandbox/sandbox_facebook.hpp"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <regex>

#include "config/text.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"
#include "tests/sandbox/sandbox_graph.hpp"
#include "tests/sandbox/sandbox_util.hpp"

// Sources for the emulated Facebook Graph API behaviour (checked 2025):
// - Versioned paths (/vXX.X/...), Page feed posts with `message` and `link`,
//   answer {"id":"PAGEID_POSTID"}; a post's `permalink_url` field:
//   https://developers.facebook.com/docs/pages-api/posts and
//   https://developers.facebook.com/docs/graph-api/reference/page/feed
// - Page photos: `source` as multipart/form-data or `url`, caption in
//   `message`, answer {"id":PHOTO_ID,"post_id":"PAGEID_POSTID"}; "(#324)
//   Requires upload file" without either; with published=false an
//   unpublished photo, answer {"id":PHOTO_ID} only, which a feed post then
//   carries with attached_media=[{"media_fbid":PHOTO_ID}]:
//   https://developers.facebook.com/docs/graph-api/reference/page/photos and
//   https://developers.facebook.com/docs/pages-api/posts (multi-photo posts)
// - Unpublished posts: `published`=false on POST /{page-id}/feed makes a
//   post that is not on the Page (not in /feed, /posts or /published_posts)
//   until `POST /{page-post-id}` with is_published=true publishes it, answer
//   {"success":true}; `GET /{page-post-id}?fields=is_published` tells which;
//   DELETE /{page-post-id} deletes a post, answer {"success":true}:
//   https://developers.facebook.com/docs/graph-api/reference/page/feed ,
//   https://developers.facebook.com/docs/graph-api/reference/pagepost ,
//   https://developers.facebook.com/docs/graph-api/reference/page/published_posts ;
//   facebook-python-business-sdk's PagePost.api_update lists is_published,
//   message and attached_media among its parameters. What Graph answers to
//   publishing an already published post is not documented: the sandbox
//   answers success (nothing changes).
// - Engagement on a post (https://developers.facebook.com/docs/graph-api/reference/pagepost
//   and its edges /reactions, /comments: `fields=reactions.summary(total_count).limit(0),
//   comments.summary(total_count).limit(0),shares` answers {"reactions":
//   {"data":[],"summary":{"total_count","viewer_reaction"}},"comments":
//   {"data":[],"summary":{"order","total_count","can_comment"}},"shares":
//   {"count"}}; `shares` is left out of a post nobody shared:
//   https://developers.facebook.com/docs/graph-api/reference/object/reactions ,
//   https://developers.facebook.com/docs/graph-api/reference/object/comments).
//   The sandbox lists no single reaction or comment (data is always empty)
//   and grows the totals with the post's age on its clock
//   (sandbox_engagement).
// - Comments on a post (https://developers.facebook.com/docs/graph-api/reference/object/comments):
//   POST /{object-id}/comments with `message` (a Page token comments as the
//   Page), answer {"id":"{post-number}_{comment-number}"}; GET
//   /{object-id}/comments lists them ({"data":[{"id","message","from":
//   {"name","id"},"created_time","permalink_url"}],"paging":{...}}),
//   chronological by default, `order=reverse_chronological` newest first,
//   `filter=toplevel` (the default) without replies. A comment's
//   permalink_url is the post's with ?comment_id= (as Facebook's web links
//   are). A post that is gone answers both as any missing object (400,
//   code 100, subcode 33). The post's comments.summary counts them.
// - Post insights, GET /{post-id}/insights?metric=post_impressions: {"data":
//   [{"name","period":"lifetime","values":[{"value"}],"title","description",
//   "id":"{post-id}/insights/post_impressions/lifetime"}]}; a Page token
//   whose user may not ANALYZE the Page (read_insights, pages_read_engagement)
//   is refused: https://developers.facebook.com/docs/graph-api/reference/insights
//   and https://developers.facebook.com/docs/graph-api/reference/post/insights .
//   The refusal's words are the sandbox's ("(#10) ..." with code 10, the
//   permission code of the error-handling guide); an unknown metric is
//   "(#100) The value must be a valid insights metric".
// - Error object {"error":{"message","type","code","error_subcode",
//   "error_user_title","error_user_msg","fbtrace_id"}}, code 190 for a bad
//   token, 506 duplicate post, 1/2 temporary, 4/17/32/613 throttling:
//   https://developers.facebook.com/docs/graph-api/guides/error-handling
// - A bad token is HTTP 400 (not 401) with code 190, type OAuthException,
//   "Invalid OAuth access token - Cannot parse access token", and a
//   WWW-Authenticate: OAuth "Facebook Platform" "invalid_token" "..." header,
//   as reported from the live API in
//   https://github.com/home-assistant/core/issues/152416 ("Error 400 ...
//   (Code 190)"), https://github.com/roundrop/facebook4j-oauth-example/issues/3
//   (statusCode=400, errorCode=190) and https://github.com/daroczig/fbRads/issues/74
//   (the WWW-Authenticate header).
// - Duplicate: code 506, subcode 1455006, "Duplicate status message", user
//   message "This status update is identical to the last one you posted."
//   (as quoted by many client libraries' issue trackers; the docs list 506
//   "Duplicate Post" without the body).
// - Throttling and usage headers (X-Page-Usage percentages;
//   X-Business-Use-Case-Usage {"<id>":[{"type","call_count","total_cputime",
//   "total_time","estimated_time_to_regain_access" (minutes)}]}, which Page
//   access tokens are subject to): https://developers.facebook.com/docs/graph-api/overview/rate-limiting
//
// Deliberate strictness: Graph routes an unversioned call to the app's oldest
// available version; the sandbox answers it (and any version not in its
// list) with Graph's "Unknown path components" error (code 2500), so a
// connector that forgets its version prefix fails in tests, not in production.

namespace herald {
namespace json = boost::json;

namespace {

constexpr const char* kFeedRoute = "/:version/:page-id/feed";
constexpr const char* kPhotosRoute = "/:version/:page-id/photos";
constexpr const char* kPostsRoute = "/:version/:page-id/posts";
constexpr const char* kPostRoute = "/:version/:post-id";
constexpr const char* kCommentsRoute = "/:version/:post-id/comments";
constexpr std::int64_t kFirstPostNumber = 1'000'000'000'000'000;  // 16 digits, as Page post ids have

// A request parameter as Graph reads it: from a JSON body, the query or a
// form body, or a plain multipart field.
std::optional<std::string> param(const httplib::Request& req, const json::object* body, const std::string& name) {
  if (body) {
    if (const json::value* v = body->if_contains(name)) {
      if (v->is_string()) return std::string(v->as_string());
      return json::serialize(*v);
    }
  }
  if (req.has_param(name.c_str())) return req.get_param_value(name.c_str());
  if (req.has_file(name.c_str())) {
    auto part = req.get_file_value(name.c_str());
    if (part.filename.empty()) return part.content;
  }
  return std::nullopt;
}

std::string permalink(const std::string& post_id) {
  auto underscore = post_id.find('_');
  return "https://www.facebook.com/" + post_id.substr(0, underscore) + "/posts/" + post_id.substr(underscore + 1);
}

// A field of a `fields` list without its modifiers: "reactions" of
// "reactions.summary(total_count).limit(0)".
std::string_view field_name(std::string_view field) {
  return field.substr(0, std::min(field.find('.'), field.find('{')));
}

// One post's fields as Graph answers them (a recorded create or a stored
// post), `now_ms` on the sandbox clock.
template <class PostLike>
json::object post_fields(const PostLike& c, const std::string& fields, std::int64_t now_ms, std::int64_t comments = 0) {
  json::object out;
  // The engagement edges, with a summary when the field asks for one; real
  // comments count among the replies.
  Engagement engagement = engagement_after(now_ms - c.at_ms);
  engagement.replies += comments;
  for (std::string_view field : split(fields, ',')) {
    const std::string_view name = field_name(field);
    const bool summary = field.find(".summary(") != std::string_view::npos;
    if (name == "reactions") {
      json::object edge{{"data", json::array{}}};
      if (summary) edge["summary"] = json::object{{"total_count", engagement.likes}, {"viewer_reaction", "NONE"}};
      out["reactions"] = std::move(edge);
    } else if (name == "comments") {
      json::object edge{{"data", json::array{}}};
      if (summary)
        edge["summary"] =
            json::object{{"order", "ranked"}, {"total_count", engagement.replies}, {"can_comment", true}};
      out["comments"] = std::move(edge);
    } else if (name == "shares" && engagement.shares > 0) {
      out["shares"] = json::object{{"count", engagement.shares}};
    }
  }
  auto wants = [&](std::string_view name) {
    if (fields.empty()) return name == "message" || name == "created_time";  // Graph's default fields
    return graph_wants_field(fields, name);
  };
  // Graph leaves a field out when the post has no value for it.
  if (wants("message") && !c.text.empty()) out["message"] = c.text;
  if (wants("created_time")) out["created_time"] = graph_time(c.at_ms);
  if (wants("permalink_url")) out["permalink_url"] = permalink(c.id);
  if (wants("link") && c.fields.count("link")) out["link"] = c.fields.at("link");
  if (wants("is_published")) out["is_published"] = c.fields.count("published") == 0 || c.fields.at("published") == "true";
  out["id"] = c.id;
  return out;
}

// A boolean parameter as Graph reads it: JSON true/false, or the words.
std::optional<bool> flag(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  if (*value == "true" || *value == "1") return true;
  if (*value == "false" || *value == "0") return false;
  return std::nullopt;
}

// Answers for an injected fault that ends the request here (delay cut short
// by stop(), rate limit, server error); false when there is none, or the
// fault acts later (delay, once held; drop_after_create).
bool answer_fault(Sandbox& sandbox, const std::optional<Sandbox::Fault>& fault, const std::string& page_id,
                  const std::string& trace, httplib::Response& res) {
  if (fault && fault->mode == Sandbox::FaultMode::rate_limit) {
    // Page access tokens fall under the Business Use Case limits, whose
    // header carries the wait in minutes; X-Page-Usage gives percentages.
    const auto minutes = static_cast<std::int64_t>(std::ceil(fault->reset_in / 60.0));
    json::object usage{{"type", "pages"},  {"call_count", 100}, {"total_cputime", 40},
                       {"total_time", 60}, {"estimated_time_to_regain_access", minutes}};
    res.set_header("X-Business-Use-Case-Usage",
                   json::serialize(json::object{{page_id, json::array{std::move(usage)}}}));
    res.set_header("X-Page-Usage", R"({"call_count":100,"total_cputime":40,"total_time":60})");
    send_graph_error(res, 400, graph_error("(#32) Page request limit reached", "OAuthException", 32, trace));
    return true;
  }
  return answer_graph_fault(sandbox, fault, trace, res);
}

}  // namespace

FacebookSandbox::FacebookSandbox(Sandbox& sandbox) : sandbox_(sandbox), config_(sandbox.config().facebook) {}

void FacebookSandbox::install(httplib::Server& server) {
  server.Post(R"(/(v\d+\.\d+)/(\d+_\d+)/comments)",
              [this](const httplib::Request& req, httplib::Response& res) { create_comment(req, res); });
  server.Get(R"(/(v\d+\.\d+)/(\d+_\d+)/comments)",
             [this](const httplib::Request& req, httplib::Response& res) { list_comments(req, res); });
  server.Post(R"(/(v\d+\.\d+)/(\d+)/feed)",
              [this](const httplib::Request& req, httplib::Response& res) { create(req, res, false); });
  server.Post(R"(/(v\d+\.\d+)/(\d+)/photos)",
              [this](const httplib::Request& req, httplib::Response& res) { create(req, res, true); });
  server.Get(R"(/(v\d+\.\d+)/(\d+)/(posts|feed|published_posts))",
             [this](const httplib::Request& req, httplib::Response& res) { list(req, res); });
  server.Get(R"(/(v\d+\.\d+)/(\d+_\d+))",
             [this](const httplib::Request& req, httplib::Response& res) { post(req, res); });
  server.Post(R"(/(v\d+\.\d+)/(\d+_\d+))",
              [this](const httplib::Request& req, httplib::Response& res) { update(req, res); });
  server.Delete(R"(/(v\d+\.\d+)/(\d+_\d+))",
                [this](const httplib::Request& req, httplib::Response& res) { remove(req, res); });
  server.Get(R"(/(v\d+\.\d+)/(\d+_\d+)/insights)",
             [this](const httplib::Request& req, httplib::Response& res) { insights(req, res); });
  // The same paths without a version: see "Deliberate strictness" above.
  auto unversioned = [this](const httplib::Request& req, httplib::Response& res) {
    authenticate(req, res, {}, {});
  };
  server.Post(R"(/(\d+)/(feed|photos))", unversioned);
  server.Get(R"(/(\d+)/(posts|feed|published_posts))", unversioned);
  server.Get(R"(/(\d+_\d+))", unversioned);
  server.Post(R"(/(\d+_\d+))", unversioned);
  server.Delete(R"(/(\d+_\d+))", unversioned);
  server.Get(R"(/(\d+_\d+)/insights)", unversioned);
}

void FacebookSandbox::reset() {
  std::lock_guard lock(mutex_);
  last_id_ = 0;
  posts_.clear();
  post_at_.clear();
  photos_.clear();
  comments_.clear();
}

std::int64_t FacebookSandbox::comment_count(const std::string& post_id) const {
  return std::count_if(comments_.begin(), comments_.end(), [&](const Comment& c) { return c.post_id == post_id; });
}

FacebookSandbox::Post* FacebookSandbox::find(const std::string& post_id, const std::string& page_id) {
  auto at = post_at_.find(post_id);
  if (at == post_at_.end()) return nullptr;
  Post& p = posts_[at->second];
  return p.deleted || p.account != page_id ? nullptr : &p;
}

// Graph refuses a status identical to the Page's latest published one
// (code 506). The docs do not say whether an unpublished post is checked
// when it is made or when it is published; the sandbox checks when a status
// goes on the Page, which is what the rule is about.
bool FacebookSandbox::refuse_duplicate(const std::string& page_id, const std::string& text, const std::string& link,
                                       httplib::Response& res) {
  const Post* latest = nullptr;
  for (const Post& p : posts_)
    if (p.published && !p.deleted && p.account == page_id && (!latest || p.published_order > latest->published_order))
      latest = &p;
  const std::string latest_link = latest && latest->fields.count("link") ? latest->fields.at("link") : "";
  if (!latest || text.empty() || latest->text != text || latest_link != link) return false;
  json::object error = graph_error("Duplicate status message", "OAuthException", 506, trace_id());
  error["error_subcode"] = 1455006;
  error["is_transient"] = false;
  error["error_user_title"] = "Duplicate Status Update";
  error["error_user_msg"] =
      "This status update is identical to the last one you posted. Try posting something different, or delete "
      "your previous update.";
  send_graph_error(res, 400, std::move(error));
  return true;
}

// Graph's answer for an id the token cannot see: gone, another Page's, or none.
void FacebookSandbox::not_found(const std::string& id, httplib::Response& res) {
  send_graph_not_found(res, id, trace_id());
}

// fbtrace_id values are 11 opaque characters; these only need to differ.
std::string FacebookSandbox::trace_id() {
  return graph_trace_id('A', static_cast<std::uint64_t>(++traces_) * 0x9E3779B97F4A7C15ull);
}

// Graph's order: the path (version) first, then the token, then whether the
// token's page may act on the page in the path.
std::optional<FacebookSandbox::Page> FacebookSandbox::authenticate(const httplib::Request& req,
                                                                   httplib::Response& res,
                                                                   const std::string& version,
                                                                   const std::string& page_id) {
  if (std::find(config_.versions.begin(), config_.versions.end(), version) == config_.versions.end()) {
    json::object error = graph_error("Unknown path components: " + req.path, "OAuthException", 2500, trace_id());
    std::string known;
    for (const auto& v : config_.versions) known += (known.empty() ? "" : ", ") + v;
    error["error_user_msg"] = "herald-sandbox answers Graph API versions " + known + " only, as /vXX.X/...";
    send_graph_error(res, 400, std::move(error));
    return std::nullopt;
  }
  const std::string token = graph_access_token(req);
  if (token.empty()) {
    send_graph_token_required(res, trace_id());
    return std::nullopt;
  }
  auto page = std::find_if(config_.pages.begin(), config_.pages.end(),
                           [&](const Page& p) { return equal_constant_time(p.page_token, token); });
  if (page == config_.pages.end()) {
    send_graph_token_invalid(res, trace_id());
    return std::nullopt;
  }
  if (!page_id.empty() && page->page_id != page_id) {
    send_graph_error(res, 403,
                     graph_error("(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts "
                                 "as an admin with sufficient administrative permission",
                                 "OAuthException", 200, trace_id()));
    return std::nullopt;
  }
  return *page;
}

// POST /vX/{page-id}/feed and /photos: version, token, page, injected
// faults, parameters, the duplicate check, then record and answer unless the
// fault drops the answer. published=false makes an unpublished post, or an
// unpublished photo (not a post, so not recorded) to attach to one.
void FacebookSandbox::create(const httplib::Request& req, httplib::Response& res, bool photo) {
  const std::string version = req.matches[1];
  const std::string page_id = req.matches[2];
  auto page = authenticate(req, res, version, page_id);
  if (!page) return;

  auto fault = sandbox_.take_fault("POST", req.path, photo ? kPhotosRoute : kFeedRoute);
  if (answer_fault(sandbox_, fault, page_id, trace_id(), res)) return;

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
  const auto published_param = param(req, body, "published");
  const std::optional<bool> published = published_param ? flag(published_param) : std::optional<bool>(true);
  if (!published) return bad_param("Param published must be a boolean");

  Sandbox::Create create;
  create.platform = "facebook";
  create.account = page->page_id;
  create.text = param(req, body, "message").value_or("");
  std::vector<std::string> attached;
  if (photo) {
    if (create.text.empty()) create.text = param(req, body, "caption").value_or("");
    if (req.has_file("source") && !req.get_file_value("source").filename.empty()) {
      const auto source = req.get_file_value("source");
      if (source.content.empty()) {
        send_graph_error(res, 400, graph_error("(#324) Requires upload file", "OAuthException", 324, trace_id()));
        return;
      }
      create.fields["photo"] = source.content_type + " " + std::to_string(source.content.size()) + " bytes fnv1a64 " +
                               fnv1a64_hex(source.content);
      create.fields["photo_filename"] = source.filename;
    } else if (auto url = param(req, body, "url"); url && !url->empty()) {
      create.fields["photo_url"] = *url;
    } else {
      send_graph_error(res, 400, graph_error("(#324) Requires upload file", "OAuthException", 324, trace_id()));
      return;
    }
  } else {
    if (auto link = param(req, body, "link"); link && !link->empty()) create.fields["link"] = *link;
    if (auto media = param(req, body, "attached_media"); media && !media->empty()) {
      boost::system::error_code ec;
      json::value list = json::parse(*media, ec);
      if (ec || !list.is_array()) return bad_param("Param attached_media must be an array");
      for (const auto& item : list.as_array()) {
        const json::object* o = item.if_object();
        const json::value* id = o ? o->if_contains("media_fbid") : nullptr;
        if (!id || !id->is_string()) return bad_param("Param attached_media[0] must have a media_fbid");
        attached.emplace_back(id->as_string());
      }
    }
    if (create.text.empty() && !create.fields.count("link") && attached.empty()) {
      send_graph_error(res, 400, graph_error("(#100) Missing message or attachment", "OAuthException", 100, trace_id()));
      return;
    }
  }
  for (const char* name : {"Content-Type", "User-Agent"})
    if (req.has_header(name)) create.headers[name] = req.get_header_value(name);

  std::string photo_id;
  {
    std::lock_guard lock(mutex_);  // the duplicate check and the record, as one step
    if (photo && !*published) {
      // An unpublished photo: an object to attach, not a post.
      photo_id = std::to_string(last_id_ = std::max(last_id_ + 1, kFirstPostNumber + 1));
      photos_[photo_id] = Photo{page->page_id, create.fields};
    } else {
      for (const std::string& id : attached) {
        auto it = photos_.find(id);
        if (it == photos_.end() || it->second.page_id != page->page_id)
          return bad_param("Param attached_media[0][media_fbid] must be the id of an unpublished photo of this Page");
      }
      // A status (message and link; photos are not statuses) is checked
      // when it goes on the Page: now if it is published, else when it is.
      const std::string link = create.fields.count("link") ? create.fields.at("link") : "";
      if (!photo && attached.empty() && *published && refuse_duplicate(page->page_id, create.text, link, res)) return;
      for (const std::string& id : attached) {
        // The record shows the photo the post carries (the first, as a
        // photo post shows its one image).
        auto it = photos_.find(id);
        if (!create.fields.count("photo_id")) {
          for (const auto& [name, value] : it->second.fields) create.fields[name] = value;
          create.fields["photo_id"] = id;
        }
        photos_.erase(it);
      }
      if (!attached.empty()) {
        std::string ids;
        for (const auto& id : attached) ids += (ids.empty() ? "" : ",") + id;
        create.fields["attached_media"] = ids;
      }
      last_id_ = std::max(last_id_ + 1, kFirstPostNumber + 1);
      create.id = page->page_id + "_" + std::to_string(last_id_);
      if (photo) create.fields["photo_id"] = std::to_string(++last_id_);
      create.fields["published"] = *published ? "true" : "false";
      create.at_ms = sandbox_.now_ms();
      post_at_[create.id] = posts_.size();
      posts_.push_back(Post{create.id, create.account, create.text, create.fields, create.at_ms, *published, false,
                            *published ? ++published_order_ : 0});
      sandbox_.record(create);
    }
  }
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox_, res, 200, std::chrono::milliseconds(fault->delay_ms));
  if (!photo_id.empty()) {
    send_json(res, 200, json::serialize(json::object{{"id", photo_id}}));
  } else if (photo) {
    send_json(res, 200, json::serialize(json::object{{"id", create.fields["photo_id"]}, {"post_id", create.id}}));
  } else {
    send_json(res, 200, json::serialize(json::object{{"id", create.id}}));
  }
}

// GET /vX/{page-id}/posts (and /feed, /published_posts): the Page's
// published posts, newest first, with the requested fields and Graph's
// cursor paging.
void FacebookSandbox::list(const httplib::Request& req, httplib::Response& res) {
  const std::string version = req.matches[1];
  const std::string page_id = req.matches[2];
  auto page = authenticate(req, res, version, page_id);
  if (!page) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, kPostsRoute), page_id, trace_id(), res)) return;
  std::int64_t limit = 25;  // Graph's default page size
  if (req.has_param("limit")) {
    auto parsed = parse_int(req.get_param_value("limit"));
    if (!parsed || *parsed < 1) {
      send_graph_error(res, 400, graph_error("(#100) The parameter limit must be a positive integer", "OAuthException",
                                             100, trace_id()));
      return;
    }
    limit = std::min<std::int64_t>(*parsed, 100);
  }
  const std::string fields = req.has_param("fields") ? req.get_param_value("fields") : std::string();
  json::array data;
  std::int64_t matching = 0;
  {
    std::lock_guard lock(mutex_);
    for (auto it = posts_.rbegin(); it != posts_.rend(); ++it) {
      if (!it->published || it->deleted || it->account != page_id) continue;
      if (++matching <= limit) data.push_back(post_fields(*it, fields, sandbox_.now_ms(), comment_count(it->id)));
    }
  }
  json::object body{{"data", data}};
  if (!data.empty()) {
    json::object paging{{"cursors", json::object{{"before", "QVFIUkJFRk9SRQ"}, {"after", "QVFIUkFGVEVS"}}}};
    // Graph gives `next` only when there is more to read.
    if (matching > limit) {
      paging["next"] = "https://graph.facebook.com/" + version + "/" + page_id + "/posts?limit=" +
                       std::to_string(limit) + "&after=QVFIUkFGVEVS";
    }
    body["paging"] = std::move(paging);
  }
  send_json(res, 200, json::serialize(body));
}

// GET /vX/{post-id}?fields=...: one post, published or not, if the token's
// page owns it.
void FacebookSandbox::post(const httplib::Request& req, httplib::Response& res) {
  const std::string version = req.matches[1];
  const std::string post_id = req.matches[2];
  auto page = authenticate(req, res, version, {});
  if (!page) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, kPostRoute), page->page_id, trace_id(), res)) return;
  const std::string fields = req.has_param("fields") ? req.get_param_value("fields") : std::string();
  std::lock_guard lock(mutex_);
  if (const Post* p = find(post_id, page->page_id))
    return send_json(res, 200, json::serialize(post_fields(*p, fields, sandbox_.now_ms(), comment_count(p->id))));
  not_found(post_id, res);
}

// POST /vX/{post-id} {"is_published": true}: publishes an unpublished post.
void FacebookSandbox::update(const httplib::Request& req, httplib::Response& res) {
  const std::string version = req.matches[1];
  const std::string post_id = req.matches[2];
  auto page = authenticate(req, res, version, {});
  if (!page) return;
  auto fault = sandbox_.take_fault("POST", req.path, kPostRoute);
  if (answer_fault(sandbox_, fault, page->page_id, trace_id(), res)) return;
  json::value parsed;
  const json::object* body = graph_json_body(req, parsed);
  const auto is_published = flag(param(req, body, "is_published"));
  if (!is_published || !*is_published) {
    send_graph_error(res, 400,
                     graph_error("(#100) herald-sandbox emulates is_published=true on a post, nothing else", "OAuthException",
                                 100, trace_id()));
    return;
  }
  {
    std::lock_guard lock(mutex_);
    Post* p = find(post_id, page->page_id);
    if (!p) return not_found(post_id, res);
    if (!p->published) {
      const std::string link = p->fields.count("link") ? p->fields.at("link") : "";
      if (!p->fields.count("attached_media") && refuse_duplicate(page->page_id, p->text, link, res)) return;
      p->published = true;
      p->published_order = ++published_order_;
      p->fields["published"] = "true";
      sandbox_.update_record("facebook", post_id, [](Sandbox::Create& c) { c.fields["published"] = "true"; });
    }
  }
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox_, res, 200, std::chrono::milliseconds(fault->delay_ms));
  send_json(res, 200, R"({"success":true})");
}

// DELETE /vX/{post-id}: the post is gone (from the lists and from GET).
void FacebookSandbox::remove(const httplib::Request& req, httplib::Response& res) {
  const std::string version = req.matches[1];
  const std::string post_id = req.matches[2];
  auto page = authenticate(req, res, version, {});
  if (!page) return;
  auto fault = sandbox_.take_fault("DELETE", req.path, kPostRoute);
  if (answer_fault(sandbox_, fault, page->page_id, trace_id(), res)) return;
  {
    std::lock_guard lock(mutex_);
    Post* p = find(post_id, page->page_id);
    if (!p) return not_found(post_id, res);
    p->deleted = true;
    sandbox_.update_record("facebook", post_id, [](Sandbox::Create& c) { c.fields["deleted"] = "true"; });
  }
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox_, res, 200, std::chrono::milliseconds(fault->delay_ms));
  send_json(res, 200, R"({"success":true})");
}

// POST /vX/{post-id}/comments: version, token, faults, the post (any
// published one the token can see), `message`; then record and answer
// {"id"} unless the fault drops the answer.
void FacebookSandbox::create_comment(const httplib::Request& req, httplib::Response& res) {
  const std::string version = req.matches[1];
  const std::string post_id = req.matches[2];
  auto page = authenticate(req, res, version, {});
  if (!page) return;
  auto fault = sandbox_.take_fault("POST", req.path, kCommentsRoute);
  if (answer_fault(sandbox_, fault, page->page_id, trace_id(), res)) return;
  json::value parsed;
  const json::object* body = graph_json_body(req, parsed);
  const std::string message = param(req, body, "message").value_or("");
  Sandbox::Create create;
  {
    std::lock_guard lock(mutex_);
    auto at = post_at_.find(post_id);
    if (at == post_at_.end() || posts_[at->second].deleted || !posts_[at->second].published)
      return not_found(post_id, res);
    if (message.empty() && !param(req, body, "attachment_url") && !param(req, body, "source")) {
      send_graph_error(res, 400, graph_error("(#100) Missing message or attachment", "OAuthException", 100, trace_id()));
      return;
    }
    last_id_ = std::max(last_id_ + 1, kFirstPostNumber + 1);
    Comment comment{post_id.substr(post_id.find('_') + 1) + "_" + std::to_string(last_id_), post_id, page->page_id,
                    page->name, message, sandbox_.now_ms()};
    comments_.push_back(comment);
    create.platform = "facebook";
    create.account = page->page_id;
    create.id = comment.id;
    create.text = message;
    create.in_reply_to = post_id;
    create.fields["comment"] = "true";
    create.fields["published"] = "true";  // as every Facebook record says
    create.at_ms = comment.at_ms;
    for (const char* name : {"Content-Type", "User-Agent"})
      if (req.has_header(name)) create.headers[name] = req.get_header_value(name);
    sandbox_.record(create);
  }
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox_, res, 200, std::chrono::milliseconds(fault->delay_ms));
  send_json(res, 200, json::serialize(json::object{{"id", create.id}}));
}

// GET /vX/{post-id}/comments: the post's comments, chronological unless
// order=reverse_chronological, `limit` (default 25) with Graph's paging.
void FacebookSandbox::list_comments(const httplib::Request& req, httplib::Response& res) {
  const std::string version = req.matches[1];
  const std::string post_id = req.matches[2];
  auto page = authenticate(req, res, version, {});
  if (!page) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, kCommentsRoute), page->page_id, trace_id(), res))
    return;
  std::int64_t limit = 25;
  if (req.has_param("limit")) {
    auto parsed = parse_int(req.get_param_value("limit"));
    if (!parsed || *parsed < 1) {
      send_graph_error(res, 400, graph_error("(#100) The parameter limit must be a positive integer", "OAuthException",
                                             100, trace_id()));
      return;
    }
    limit = std::min<std::int64_t>(*parsed, 100);
  }
  const bool newest_first = req.get_param_value("order") == "reverse_chronological";
  const std::string fields = req.has_param("fields") ? req.get_param_value("fields") : std::string();
  auto wants = [&](std::string_view name) {
    if (fields.empty()) return name == "message" || name == "created_time" || name == "from";
    return graph_wants_field(fields, name);
  };
  json::array data;
  std::int64_t matching = 0;
  {
    std::lock_guard lock(mutex_);
    auto at = post_at_.find(post_id);
    if (at == post_at_.end() || posts_[at->second].deleted) return not_found(post_id, res);
    std::vector<const Comment*> on;
    for (const Comment& c : comments_)
      if (c.post_id == post_id) on.push_back(&c);
    if (newest_first) std::reverse(on.begin(), on.end());
    for (const Comment* c : on) {
      if (++matching > limit) continue;
      json::object o{{"id", c->id}};
      if (wants("message")) o["message"] = c->message;
      if (wants("created_time")) o["created_time"] = graph_time(c->at_ms);
      if (wants("from")) o["from"] = json::object{{"name", c->from_name}, {"id", c->from_id}};
      if (wants("permalink_url"))
        o["permalink_url"] = permalink(post_id) + "?comment_id=" + c->id.substr(c->id.find('_') + 1);
      data.push_back(std::move(o));
    }
  }
  json::object body{{"data", data}};
  if (!data.empty()) {
    json::object paging{{"cursors", json::object{{"before", "QVFIUkJFRk9SRQ"}, {"after", "QVFIUkFGVEVS"}}}};
    if (matching > limit)
      paging["next"] = "https://graph.facebook.com/" + version + "/" + post_id + "/comments?limit=" +
                       std::to_string(limit) + "&after=QVFIUkFGVEVS";
    body["paging"] = std::move(paging);
  }
  send_json(res, 200, json::serialize(body));
}

// Deleted by a Page admin on Facebook: gone from the lists and from GET.
void FacebookSandbox::remove_post(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (auto at = post_at_.find(id); at != post_at_.end()) posts_[at->second].deleted = true;
}

// GET /vX/{post-id}/insights?metric=post_impressions: the post's lifetime
// impressions, for a token that may read insights.
void FacebookSandbox::insights(const httplib::Request& req, httplib::Response& res) {
  const std::string version = req.matches[1];
  const std::string post_id = req.matches[2];
  auto page = authenticate(req, res, version, {});
  if (!page) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, "/:version/:post-id/insights"), page->page_id,
                   trace_id(), res))
    return;
  std::lock_guard lock(mutex_);
  const Post* p = find(post_id, page->page_id);
  if (!p) return not_found(post_id, res);
  if (!page->insights) {
    send_graph_error(res, 403,
                     graph_error("(#10) This endpoint requires the 'read_insights' permission and a Page role that "
                                 "can analyze the Page",
                                 "OAuthException", 10, trace_id()));
    return;
  }
  const std::string metric = req.has_param("metric") ? req.get_param_value("metric") : std::string();
  json::array data;
  for (std::string_view name : split(metric, ',')) {
    if (name != "post_impressions") {
      send_graph_error(res, 400, graph_error("(#100) The value must be a valid insights metric", "OAuthException", 100,
                                             trace_id()));
      return;
    }
    data.push_back(json::object{
        {"name", "post_impressions"},
        {"period", "lifetime"},
        {"values", json::array{json::object{{"value", engagement_after(sandbox_.now_ms() - p->at_ms).views}}}},
        {"title", "Lifetime Post Total Impressions"},
        {"description",
         "Lifetime: The number of times your Page's post entered a person's screen. Posts include statuses, photos, "
         "links, videos and more. (Total Count)"},
        {"id", post_id + "/insights/post_impressions/lifetime"}});
  }
  if (data.empty()) {
    json::object error = graph_error("No metric was specified to be fetched. Please specify one or more metrics to be "
                                     "fetched and try again.",
                                     "OAuthException", 3001, trace_id());
    error["error_subcode"] = 1504028;
    send_graph_error(res, 400, std::move(error));
    return;
  }
  send_json(res, 200, json::serialize(json::object{{"data", std::move(data)}}));
}

FacebookSandboxConfig load_facebook_sandbox_config(const YAML::Node& node, const std::string& file) {
  FacebookSandboxConfig config;
  reject_unknown_keys(node, {"pages", "versions"}, file);
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
  if (const YAML::Node pages = node["pages"]) {
    if (!pages.IsSequence()) config_error(pages, file, "pages must be a list");
    for (const auto& p : pages) {
      reject_unknown_keys(p, {"page_id", "name", "page_token", "insights"}, file);
      FacebookSandboxConfig::Page page;
      for (const char* key : {"page_id", "page_token"})
        if (!p[key]) config_error(p, file, std::string("a page needs '") + key + "'");
      page.page_id = p["page_id"].as<std::string>();
      page.name = p["name"] ? p["name"].as<std::string>() : std::string();
      page.page_token = p["page_token"].as<std::string>();
      if (p["insights"]) page.insights = p["insights"].as<bool>();
      if (page.page_id.empty() || !std::all_of(page.page_id.begin(), page.page_id.end(),
                                               [](char c) { return c >= '0' && c <= '9'; }))
        config_error(p["page_id"], file, "page_id must be digits, as Facebook's are");
      if (page.page_token.empty()) config_error(p["page_token"], file, "page_token must not be empty");
      config.pages.push_back(std::move(page));
    }
  }
  return config;
}

}  // namespace herald
