#include "connectors/bluesky/bluesky_connector.hpp"
#include "connectors/form_encoding.hpp"
#include "config/text.hpp"

#include "compose/graphemes.hpp"
#include "compose/media.hpp"
#include "compose/public_url.hpp"
#include "compose/utm.hpp"
#include "connectors/bluesky/image_size.hpp"
#include "connectors/bluesky/open_graph.hpp"
#include "connectors/bluesky/tid.hpp"
#include "connectors/bluesky/xrpc.hpp"
#include "connectors/counters.hpp"
#include "connectors/digest.hpp"
#include "connectors/file_bytes.hpp"
#include "connectors/json_fields.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <system_error>
#include <utility>

// What this follows (the sandbox, tests/sandbox/sandbox_bluesky.cpp, cites
// the same and emulates them):
//  - XRPC (atproto.com/specs/xrpc): POST /xrpc/<nsid> with a JSON body for
//    procedures, GET with query parameters for queries; errors
//    {"error","message"}; Authorization: Bearer <accessJwt>.
//  - Lexicons (github.com/bluesky-social/atproto, lexicons/): 
//    com.atproto.repo.createRecord {repo, collection, rkey, record} ->
//    {uri, cid}; com.atproto.repo.getRecord ?repo&collection&rkey ->
//    {uri, cid, value}, RecordNotFound; com.atproto.repo.uploadBlob (the raw
//    bytes with their Content-Type) -> {blob}; app.bsky.feed.post (text: 300
//    graphemes, 3,000 bytes; createdAt a datetime; langs; facets; embed;
//    record key type "tid"); app.bsky.richtext.facet (byteSlice of UTF-8
//    bytes, #link {uri}, #tag {tag}); app.bsky.embed.images (at most 4,
//    {alt, image, aspectRatio}); app.bsky.embed.external {uri, title,
//    description, thumb (a blob of at most 1,000,000 bytes)}.
//  - Record keys (atproto.com/specs/record-key) and TIDs (atproto.com/specs/tid).
//  - app.bsky.feed.getPosts ?uris (at most 25) -> {posts: [postView]}, each
//    app.bsky.feed.defs#postView with replyCount, repostCount, likeCount,
//    quoteCount (lexicons/app/bsky/feed/getPosts.json and defs.json;
//    https://docs.bsky.app/docs/api/app-bsky-feed-get-posts); a post the
//    AppView does not have is left out of `posts`. The PDS proxies app.bsky
//    reads to the AppView for the signed-in account.
//  - "Posting via the Bluesky API" (docs.bsky.app/docs/advanced-guides/posts):
//    link cards as external embeds, the page's og: tags read by the client,
//    the thumbnail uploaded as a blob first.
//  - Rate limits (docs.bsky.app/docs/advanced-guides/rate-limits): 429 with
//    RateLimit-Reset in Unix seconds.
//  - A create at a key that is taken: the reference PDS answers 500
//    InternalServerError today (github.com/bluesky-social/atproto/issues/3718,
//    bluesky-social/indigo#873); the change under review that names it
//    (atproto pull 4728) answers 400 RecordAlreadyExists "Record already
//    exists: ...". Both are read here as "the record is there", confirmed
//    with getRecord, which a 500 for another reason is not.

namespace herald {
namespace {
namespace json = boost::json;
using std::chrono::microseconds;

constexpr const char* kCollection = "app.bsky.feed.post";
constexpr const char* kDefaultPds = "https://bsky.social";

bool contains_ci(std::string_view haystack, std::string_view needle) {
  return ascii_lower(std::string(haystack)).find(ascii_lower(std::string(needle))) != std::string::npos;
}

// The media type without parameters, lower case ("text/html; charset=utf-8" -> "text/html").
std::string media_type(const HttpResponse& r) {
  const std::string* value = find_header(r, "content-type");
  if (!value) return {};
  std::string type = value->substr(0, value->find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return ascii_lower(type);
}

const char* mime_of(MediaType type) {
  switch (type) {
    case MediaType::jpeg: return "image/jpeg";
    case MediaType::png: return "image/png";
    case MediaType::gif: return "image/gif";
    case MediaType::mp4: return "video/mp4";
  }
  return "application/octet-stream";
}

// The instant of the request's planned local time (RFC 3339 with an offset).
std::optional<Instant> planned_instant(const std::string& local_time) {
  if (local_time.empty()) return std::nullopt;
  std::string error;
  auto parsed = parse_timestamp(local_time, error);
  if (!parsed) return std::nullopt;
  if (const auto* instant = std::get_if<Instant>(&*parsed)) return *instant;
  return std::nullopt;
}

// "Bluesky: WORDS" -> "Bluesky: WHAT: WORDS".
PublishResult in_context(PublishResult result, const std::string& what) {
  std::visit(
      [&](auto& r) {
        if constexpr (requires { r.message; }) {
          if (r.message.starts_with("Bluesky: ")) r.message.insert(9, what + ": ");
          else r.message = "Bluesky: " + what + ": " + r.message;
        }
      },
      result);
  return result;
}

std::string with_thousands(std::uintmax_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// A blob reference as uploadBlob answers it: {$type: blob, ref: {$link}, mimeType, size}.
bool is_blob(const json::object& o) {
  const json::object* ref = member_object(o, "ref");
  return member_string(o, "$type") == "blob" && ref && !member_string(*ref, "$link").empty();
}

}  // namespace

/// The external embed's words and picture.
struct BlueskyConnector::Card {
  std::string title;
  std::string description;
  std::optional<json::object> thumb;
};

BlueskyCredentials bluesky_credentials(const Credentials& file) { return {file.at("app_password")}; }

std::string bluesky_rkey_state_key(const std::string& handle, const std::string& delivery_key) {
  return "bluesky:" + ascii_lower(handle) + ":rkey:" + delivery_key;
}

std::string bluesky_blob_state_key(const std::string& handle, const std::string& delivery_key,
                                   const std::string& sha256_hex) {
  return "bluesky:" + ascii_lower(handle) + ":blob:" + delivery_key + ":" + sha256_hex;
}

std::string bluesky_datetime(std::chrono::sys_time<microseconds> at) {
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(at);
  const auto day = std::chrono::floor<date::days>(ms);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<std::chrono::milliseconds> time{ms - day};
  char out[32];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()), static_cast<int>(time.subseconds().count()));
  return out;
}

namespace {
std::string base_of(const ChannelSettings& channel) {
  std::string base = !channel.api_base.empty() ? channel.api_base : !channel.pds.empty() ? channel.pds : kDefaultPds;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}
}  // namespace

BlueskyConnector::BlueskyConnector(ChannelSettings channel, BlueskyCredentials credentials,
                                   std::vector<std::string> own_domains, HttpClient& http, ConnectorState& state,
                                   Clock clock)
    : channel_(std::move(channel)),
      own_domains_(std::move(own_domains)),
      http_(http),
      state_(state),
      clock_(std::move(clock)),
      base_(base_of(channel_)),
      credential_name_(channel_.credentials.empty() ? channel_.name : channel_.credentials),
      session_(base_, channel_.handle, std::move(credentials.app_password), credential_name_, state_, http_, clock_) {}

BlueskyConnector::~BlueskyConnector() = default;

SettlePolicy BlueskyConnector::settle_policy() const { return {true, kSettleMargin}; }

HttpRequest BlueskyConnector::xrpc(std::string method, const std::string& nsid) {
  HttpRequest out;
  out.method = std::move(method);
  out.url = base_ + "/xrpc/" + nsid;
  return out;
}

std::string BlueskyConnector::repo() const {
  std::string did = session_.did();
  return did.empty() ? channel_.handle : did;
}

std::string BlueskyConnector::uri_of(const std::string& rkey) const {
  return "at://" + repo() + "/" + kCollection + "/" + rkey;
}

// The access JWT rides only to the PDS (base_): every authenticated call
// is an xrpc() request.
BlueskyConnector::Sent BlueskyConnector::send_authed(HttpRequest request) {
  for (int attempt = 0;; ++attempt) {
    auto access = session_.access();
    if (auto* problem = std::get_if<PublishResult>(&access)) return {{}, std::move(*problem)};
    const Secret jwt = std::get<BlueskySession::Access>(access).access_jwt;
    HttpRequest signed_request = request;
    signed_request.headers.emplace_back("Authorization", "Bearer " + jwt.reveal());
    HttpResponse response = http_.send(signed_request);
    // An expired or unknown token is refused before anything is done, so
    // sending again, even a create, is safe.
    if (attempt == 0 && token_refused(response)) {
      session_.invalidate(jwt);
      continue;
    }
    return {std::move(response), std::nullopt};
  }
}

// getRecord needs no session: records are public.
BlueskyConnector::Lookup BlueskyConnector::get_record(const std::string& rkey) {
  HttpRequest request = xrpc("GET", "com.atproto.repo.getRecord");
  request.url += "?repo=" + percent_encode(repo()) + "&collection=" + kCollection + "&rkey=" + percent_encode(rkey);
  const HttpResponse response = http_.send(request);
  Lookup out;
  if (!response.error.empty()) {
    out.message = "Bluesky: reading record " + rkey + " failed: " + response.error;
    return out;
  }
  if (response.status == 200) {
    auto body = parse_json(response.body);
    const json::object* o = body ? body->if_object() : nullptr;
    out.uri = o ? member_string(*o, "uri") : "";
    if (!out.uri.starts_with("at://")) out.uri = uri_of(rkey);
    out.state = RecordState::found;
    return out;
  }
  if (response.status == 400 && xrpc_error(response).error == "RecordNotFound") {
    out.state = RecordState::absent;
    return out;
  }
  out.message = describe_xrpc(response);
  out.message.insert(9, "reading record " + rkey + ": ");
  return out;
}

// One blob: from an earlier attempt of this delivery, else uploaded now and
// remembered. Nothing public comes of an upload, so its failures are
// RetryLater at worst.
std::variant<json::object, PublishResult> BlueskyConnector::upload_blob(const std::string& delivery_key,
                                                                        const std::string& bytes,
                                                                        const std::string& mime,
                                                                        const std::string& what,
                                                                        std::vector<std::string>& state_keys) {
  const std::string key = bluesky_blob_state_key(channel_.handle, delivery_key, sha256_hex(bytes));
  state_keys.push_back(key);
  try {
    if (auto stored = state_.get(key)) {
      auto parsed = parse_json(*stored);
      if (parsed && parsed->is_object() && is_blob(parsed->get_object())) return parsed->get_object();
    }
  } catch (const std::exception& e) {
    return RetryLater{std::nullopt, std::string("Bluesky: connector state unreadable: ") + e.what()};
  }
  HttpRequest upload = xrpc("POST", "com.atproto.repo.uploadBlob");
  upload.body = bytes;
  upload.content_type = mime;
  Sent sent = send_authed(std::move(upload));
  if (sent.session_problem) return std::move(*sent.session_problem);
  const HttpResponse& response = sent.response;
  if (auto problem = classify_xrpc(response, clock_())) return in_context(std::move(*problem), "uploading " + what);
  auto body = parse_json(response.body);
  const json::object* answer = body ? body->if_object() : nullptr;
  const json::object* blob = answer ? member_object(*answer, "blob") : nullptr;
  if (!blob || !is_blob(*blob))
    return RetryLater{std::nullopt, "Bluesky: the answer to uploading " + what + " has no blob"};
  try {
    state_.put(key, json::serialize(*blob));
  } catch (const std::exception&) {
    // Not fatal: a retry uploads the bytes again, which makes the same blob.
  }
  return *blob;
}

// The card of a post without images: the post's title and excerpt, or the
// linked page's og: tags when the channel says `card: fetch` and the page is
// on an own domain. Reading the page or its image never fails the post.
BlueskyConnector::Card BlueskyConnector::card_for(const std::string& delivery_key, const Composed& composed,
                                                  std::vector<std::string>& state_keys) {
  Card card{composed.title.empty() ? composed.link : composed.title, composed.excerpt, std::nullopt};
  if (channel_.card != "fetch") return card;
  auto page_url = boost::urls::parse_uri(composed.link);
  if (!page_url || !is_own_host(page_url->encoded_host(), own_domains_)) return card;

  HttpRequest get;
  get.method = "GET";
  get.url = composed.link;
  get.headers.emplace_back("Accept", "text/html,application/xhtml+xml");
  const HttpResponse page = http_.send(get);
  if (!page.error.empty() || page.status != 200 || media_type(page).find("html") == std::string::npos) return card;
  const OpenGraph og = read_open_graph(page.body);
  if (!og.title.empty()) card.title = og.title;
  if (!og.description.empty()) card.description = og.description;
  if (og.image.empty()) return card;

  auto reference = boost::urls::parse_uri_reference(og.image);
  if (!reference) return card;
  boost::urls::url image_url;
  if (!boost::urls::resolve(*page_url, *reference, image_url)) return card;
  const std::string scheme = ascii_lower(std::string(image_url.scheme()));
  if (scheme != "https" && scheme != "http") return card;
  HttpRequest get_image;
  get_image.method = "GET";
  get_image.url = std::string(image_url.buffer());
  const HttpResponse image = http_.send(get_image);
  const std::string type = media_type(image);
  if (!image.error.empty() || image.status != 200 || !type.starts_with("image/") || image.body.empty() ||
      image.body.size() > kBlueskyMaxImageBytes)
    return card;
  auto blob = upload_blob(delivery_key, image.body, type, "the card's image", state_keys);
  if (auto* object = std::get_if<json::object>(&blob)) card.thumb = std::move(*object);
  return card;
}

// A reply names its parent and its thread's root, each by URI and CID
// (docs.bsky.app/docs/advanced-guides/posts "Replies"; app.bsky.feed.post
// #replyRef). The parent is herald's own post, so its record, CID and any
// reply ref of its own (a parent that is itself a reply has the thread's
// root there) come from the PDS with com.atproto.repo.getRecord, which
// knows a record the moment it is made, unlike the AppView's getPosts.
std::variant<json::object, PublishResult> BlueskyConnector::reply_ref(const std::string& parent_uri) {
  // at://AUTHORITY/app.bsky.feed.post/RKEY
  const std::string prefix = "at://";
  const std::string middle = std::string("/") + kCollection + "/";
  const auto at = parent_uri.find(middle);
  if (!parent_uri.starts_with(prefix) || at == std::string::npos || at <= prefix.size())
    return Failed{"Bluesky: the post this comment goes under has no post URI (recorded: '" + parent_uri + "')"};
  const std::string authority = parent_uri.substr(prefix.size(), at - prefix.size());
  const std::string rkey = parent_uri.substr(at + middle.size());
  HttpRequest request = xrpc("GET", "com.atproto.repo.getRecord");
  request.url += "?repo=" + percent_encode(authority) + "&collection=" + kCollection + "&rkey=" + percent_encode(rkey);
  const HttpResponse response = http_.send(request);
  if (!response.error.empty())
    return RetryLater{std::nullopt, "Bluesky: reading the post this comment goes under failed: " + response.error};
  if (response.status == 400 && xrpc_error(response).error == "RecordNotFound")
    return Failed{"Bluesky: the post this comment goes under is gone (" + parent_uri + "): " + describe_xrpc(response).substr(9)};
  if (response.status != 200) {
    auto classified = classify_xrpc(response, clock_());
    return in_context(classified ? std::move(*classified) : PublishResult{Failed{describe_xrpc(response)}},
                      "reading the post this comment goes under");
  }
  auto body = parse_json(response.body);
  const json::object* o = body ? body->if_object() : nullptr;
  const std::string cid = o ? member_string(*o, "cid") : "";
  if (cid.empty()) return RetryLater{std::nullopt, "Bluesky: the post this comment goes under came back without its CID"};
  const std::string uri = member_string(*o, "uri").starts_with("at://") ? member_string(*o, "uri") : parent_uri;
  json::object parent{{"uri", uri}, {"cid", cid}};
  json::object root = parent;
  if (const json::object* value = member_object(*o, "value"))
    if (const json::object* reply = member_object(*value, "reply"))
      if (const json::object* r = member_object(*reply, "root"); r && !member_string(*r, "cid").empty())
        root = json::object{{"uri", member_string(*r, "uri")}, {"cid", member_string(*r, "cid")}};
  return json::object{{"root", std::move(root)}, {"parent", std::move(parent)}};
}

PublishResult BlueskyConnector::publish(const PublishRequest& req) {
  if (req.comment_on && (!req.composed.media.empty() || !req.composed.link.empty())) {
    // A first comment is its text alone (a link in it stays a link facet).
    PublishRequest text_only = req;
    text_only.composed.media.clear();
    text_only.composed.media_alt.clear();
    text_only.composed.link.clear();
    return publish(text_only);
  }
  const Composed& composed = req.composed;

  // The record key: stored before anything goes out, then the same on every
  // attempt and after a restart.
  const std::string rkey_key = bluesky_rkey_state_key(channel_.handle, req.key);
  std::string rkey;
  try {
    if (auto stored = state_.get(rkey_key); stored && parse_tid(*stored)) rkey = *stored;
  } catch (const std::exception& e) {
    return RetryLater{std::nullopt, std::string("Bluesky: connector state unreadable: ") + e.what()};
  }
  // An earlier attempt may have made the record already (its answer lost,
  // or herald stopped before taking it in): then there is nothing to send,
  // whatever has become of the post's text or files since.
  if (!rkey.empty()) {
    const Lookup earlier = get_record(rkey);
    if (earlier.state == RecordState::found) {
      for (const auto& file : composed.media) {
        try {
          if (auto bytes = read_file_bytes(file, kBlueskyMaxImageBytes))
            state_.erase(bluesky_blob_state_key(channel_.handle, req.key, sha256_hex(*bytes)));
        } catch (const std::exception&) {
        }
      }
      return Published{earlier.uri, bluesky_post_url(channel_.handle, rkey)};
    }
  }

  if (composed.text.empty() && composed.link.empty() && composed.media.empty())
    return Failed{"Bluesky: nothing to post (no text, link or images)"};
  if (composed.media.size() > kBlueskyMaxImages)
    return Failed{"Bluesky: at most " + std::to_string(kBlueskyMaxImages) + " images per post, not " +
                  std::to_string(composed.media.size())};
  if (const auto graphemes = grapheme_count(composed.text); graphemes > kBlueskyGraphemeLimit)
    return Failed{"Bluesky: the text is " + std::to_string(graphemes) + " graphemes; a post takes at most " +
                  std::to_string(kBlueskyGraphemeLimit)};
  if (composed.text.size() > kBlueskyByteLimit)
    return Failed{"Bluesky: the text is " + std::to_string(composed.text.size()) + " bytes of UTF-8; a post takes at most " +
                  std::to_string(kBlueskyByteLimit)};

  // The images are read and checked before anything is sent, so each
  // failure here is certain and nothing is left behind.
  struct Image {
    std::string path, bytes, mime, alt;
    std::optional<ImageSize> size;
  };
  std::vector<Image> images;
  for (std::size_t i = 0; i < composed.media.size(); ++i) {
    const std::string path = composed.media[i].string();
    const auto type = sniff_media(path);
    if (!type || *type == MediaType::mp4)
      return Failed{"Bluesky: " + path + " is not a JPEG, PNG or GIF image (herald posts images to Bluesky, not video)"};
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) return Failed{"Bluesky: cannot read " + path};
    if (size > kBlueskyMaxImageBytes)
      return Failed{"Bluesky: " + path + " is " + with_thousands(size) + " bytes; Bluesky takes images of at most " +
                    with_thousands(kBlueskyMaxImageBytes) + " bytes"};
    auto bytes = read_file_bytes(path, kBlueskyMaxImageBytes);
    if (!bytes) return Failed{"Bluesky: cannot read " + path + " (or it grew over " +
                              with_thousands(kBlueskyMaxImageBytes) + " bytes)"};
    Image image{path, std::move(*bytes), mime_of(*type), i < composed.media_alt.size() ? composed.media_alt[i] : "", {}};
    image.size = image_size(image.bytes);
    images.push_back(std::move(image));
  }

  const auto planned = planned_instant(req.local_time);
  if (rkey.empty()) {
    rkey = delivery_tid(planned.value_or(clock_()), req.key);
    try {
      state_.put(rkey_key, rkey);
    } catch (const std::exception& e) {
      return RetryLater{std::nullopt, "Bluesky: cannot store the record key (nothing was sent): " + std::string(e.what())};
    }
  }
  const std::string url = bluesky_post_url(channel_.handle, rkey);
  // createdAt is the planned instant; without one, the time the key was made at.
  const auto created = planned ? std::chrono::sys_time<microseconds>(*planned)
                               : std::chrono::sys_time<microseconds>(microseconds{
                                     static_cast<microseconds::rep>(parse_tid(rkey)->micros)});

  auto access = session_.access();
  if (auto* problem = std::get_if<PublishResult>(&access)) return std::move(*problem);
  const std::string did = std::get<BlueskySession::Access>(access).did;

  std::optional<json::object> reply;
  if (req.comment_on) {
    auto ref = reply_ref(req.comment_on->remote_id);
    if (auto* problem = std::get_if<PublishResult>(&ref)) return std::move(*problem);
    reply = std::get<json::object>(std::move(ref));
  }

  std::vector<std::string> blob_keys;
  json::array embedded_images;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const Image& image = images[i];
    auto blob = upload_blob(req.key, image.bytes, image.mime,
                            "image " + std::to_string(i + 1) + " (" + image.path + ")", blob_keys);
    if (auto* problem = std::get_if<PublishResult>(&blob)) return std::move(*problem);
    json::object item{{"alt", image.alt}, {"image", std::get<json::object>(std::move(blob))}};
    if (image.size)
      item["aspectRatio"] = json::object{{"width", image.size->width}, {"height", image.size->height}};
    embedded_images.push_back(std::move(item));
  }

  json::object record{{"$type", kCollection}, {"text", composed.text}, {"createdAt", bluesky_datetime(created)}};
  if (!composed.language.empty()) record["langs"] = json::array{json::value(composed.language)};
  if (reply) record["reply"] = std::move(*reply);
  if (!composed.facets.empty()) {
    json::array facets;
    for (const Facet& facet : composed.facets) {
      json::object feature =
          facet.kind == Facet::Kind::link
              ? json::object{{"$type", "app.bsky.richtext.facet#link"}, {"uri", facet.value}}
              : json::object{{"$type", "app.bsky.richtext.facet#tag"}, {"tag", facet.value}};
      facets.push_back(json::object{{"index", json::object{{"byteStart", static_cast<std::int64_t>(facet.byte_start)},
                                                           {"byteEnd", static_cast<std::int64_t>(facet.byte_end)}}},
                                    {"features", json::array{std::move(feature)}}});
    }
    record["facets"] = std::move(facets);
  }
  if (!embedded_images.empty()) {
    record["embed"] = json::object{{"$type", "app.bsky.embed.images"}, {"images", std::move(embedded_images)}};
  } else if (!composed.link.empty()) {
    Card card = card_for(req.key, composed, blob_keys);
    json::object external{{"uri", composed.link}, {"title", card.title}, {"description", card.description}};
    if (card.thumb) external["thumb"] = std::move(*card.thumb);
    record["embed"] = json::object{{"$type", "app.bsky.embed.external"}, {"external", std::move(external)}};
  }

  HttpRequest create = xrpc("POST", "com.atproto.repo.createRecord");
  create.content_type = "application/json";
  create.body = json::serialize(
      json::object{{"repo", did}, {"collection", kCollection}, {"rkey", rkey}, {"record", std::move(record)}});
  Sent sent = send_authed(std::move(create));
  if (sent.session_problem) return std::move(*sent.session_problem);  // nothing was sent
  // Once the record is there (or a blob is gone) the remembered uploads are
  // of no more use (best effort: a leftover entry names a blob the record holds).
  auto forget_blobs = [&] {
    for (const auto& key : blob_keys) {
      try {
        state_.erase(key);
      } catch (const std::exception&) {
      }
    }
  };
  const HttpResponse& response = sent.response;
  if (!response.error.empty()) {
    return Unsure{"Bluesky: no answer to the create of record " + rkey + " (" + response.error +
                  "); the record may exist; sent again it keeps its key, so it cannot become a second post"};
  }
  if (response.status >= 200 && response.status < 300) {
    auto body = parse_json(response.body);
    const json::object* o = body ? body->if_object() : nullptr;
    std::string uri = o ? member_string(*o, "uri") : "";
    if (!uri.starts_with("at://")) uri = "at://" + did + "/" + kCollection + "/" + rkey;
    forget_blobs();
    return Published{std::move(uri), url};
  }
  const XrpcError error = xrpc_error(response);
  // The key is taken: by this delivery's own earlier create, since nothing
  // else uses it. getRecord gives the record's URI (and, for a 500, tells
  // "taken" from any other failure).
  const bool taken = error.error == "RecordAlreadyExists" ||
                     (response.status == 400 && contains_ci(error.message, "already exists"));
  if (taken || response.status >= 500) {
    const Lookup existing = get_record(rkey);
    if (existing.state == RecordState::found || taken) forget_blobs();
    if (existing.state == RecordState::found) return Published{existing.uri, url};
    if (taken) return Published{"at://" + did + "/" + kCollection + "/" + rkey, url};
    return Unsure{"Bluesky: answered " + std::to_string(response.status) + " to the create of record " + rkey + " (" +
                  describe_xrpc(response).substr(9) +
                  "); the record may exist; sent again it keeps its key, so it cannot become a second post"};
  }
  // A blob the PDS no longer has (an upload it let go of before the record
  // came): the next attempt uploads again.
  if (error.error == "BlobNotFound" || error.error == "InvalidMimeType" || error.error == "InvalidSize") {
    forget_blobs();
    return RetryLater{std::nullopt, describe_xrpc(response) + "; the images are uploaded again"};
  }
  auto classified = classify_xrpc(response, clock_());
  return in_context(classified ? std::move(*classified) : PublishResult{Failed{describe_xrpc(response)}},
                    "creating the post");
}

LookupResult BlueskyConnector::lookup(const PublishRequest& req) {
  std::optional<std::string> rkey;
  try {
    rkey = state_.get(bluesky_rkey_state_key(channel_.handle, req.key));
  } catch (const std::exception& e) {
    return Unknown{std::string("Bluesky: connector state unreadable: ") + e.what()};
  }
  // The key is stored before a create goes out: without one, none went out.
  if (!rkey || !parse_tid(*rkey)) return Absent{};
  const Lookup found = get_record(*rkey);
  switch (found.state) {
    case RecordState::found: return Found{found.uri, bluesky_post_url(channel_.handle, *rkey)};
    case RecordState::absent: return Absent{};
    case RecordState::unknown: break;
  }
  return Unknown{found.message};
}

// One post asked for, so the answer holds it or nothing: the AppView leaves
// out a post that is gone (deleted) rather than answering an error.
CountersResult BlueskyConnector::read_counters(const CountersRequest& req) {
  const std::string& uri = req.remote_id;
  if (!uri.starts_with("at://")) return Failed{"Bluesky: the post id recorded for " + req.key + " is not an AT-URI"};
  HttpRequest get = xrpc("GET", "app.bsky.feed.getPosts");
  get.url += "?uris=" + percent_encode(uri);
  Sent sent = send_authed(std::move(get));
  if (sent.session_problem) return counters_problem(std::move(*sent.session_problem));
  if (auto problem = classify_xrpc(sent.response, clock_())) return counters_problem(std::move(*problem));
  auto body = parse_json(sent.response.body);
  const json::object* root = body ? body->if_object() : nullptr;
  const json::value* posts = root ? root->if_contains("posts") : nullptr;
  if (!posts || !posts->is_array()) return RetryLater{std::nullopt, "Bluesky: the answer to getPosts has no post list"};
  for (const auto& item : posts->get_array()) {
    const json::object* post = item.if_object();
    if (!post) continue;
    Counters out;
    append_counters(out.values, *post,
                    {{"likeCount", metric::likes},
                     {"repostCount", metric::shares},
                     {"quoteCount", metric::shares},
                     {"replyCount", metric::replies}});
    return out;
  }
  return Gone{"Bluesky: the AppView has no post " + uri + " (deleted)"};
}

}  // namespace herald
