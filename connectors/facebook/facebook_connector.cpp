#include "connectors/json_fields.hpp"
#include "connectors/facebook/facebook_connector.hpp"

#include "compose/media.hpp"
#include "compose/public_url.hpp"
#include "connectors/http_result.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <utility>

// Graph API pages this follows (the sandbox, tests/sandbox/sandbox_facebook.cpp,
// cites the same and emulates them):
//  - https://developers.facebook.com/docs/pages-api/posts (feed posts,
//    permalink_url, reading a Page's posts)
//  - https://developers.facebook.com/docs/graph-api/reference/page/photos
//    (multipart `source`, answer {"id","post_id"})
//  - https://developers.facebook.com/docs/graph-api/guides/error-handling and
//    .../overview/rate-limiting (classify_graph reads these)

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

// The whole file, or nullopt when it cannot be read or exceeds `limit`.
std::optional<std::string> read_file(const std::filesystem::path& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes;
  char buffer[64 * 1024];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    bytes.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > limit) return std::nullopt;
  }
  if (in.bad()) return std::nullopt;
  return bytes;
}

}  // namespace

/// A create's outcome: the post's id once Graph accepted it, else the result.
struct FacebookConnector::Create {
  std::string post_id;
  std::optional<PublishResult> error;
};

FacebookCredentials facebook_credentials(const Credentials& file) { return {file.at("page_token")}; }

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
                                     Clock clock)
    : channel_(std::move(channel)), credentials_(std::move(credentials)), http_(http), clock_(std::move(clock)) {
  base_ = channel_.api_base.empty() ? kDefaultBase : channel_.api_base;
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  base_ += "/" + (channel_.api_version.empty() ? std::string(kDefaultVersion) : channel_.api_version);
}

// Graph accepts the token as a Bearer credential; a URL would put it in
// proxies' and servers' logs, so it never goes into one.
HttpRequest FacebookConnector::request(std::string method, const std::string& path_and_query) {
  HttpRequest out;
  out.method = std::move(method);
  out.url = base_ + path_and_query;
  out.headers.emplace_back("Authorization", "Bearer " + credentials_.page_token.reveal());
  return out;
}

FacebookConnector::Create FacebookConnector::created(const HttpResponse& response, bool photo) {
  // The request may have reached Graph before the connection failed: the
  // post may exist, so this is never a plain retry.
  if (!response.error.empty()) return {{}, Unsure{"Facebook: no answer to the create: " + response.error}};
  if (auto problem = classify_graph(response, clock_())) return {{}, create_outcome(response, std::move(*problem))};
  std::string id;
  if (auto body = parse_object(response.body)) id = string_member(*body, photo ? "post_id" : "id");
  if (id.empty()) {
    return {{}, Unsure{"Facebook: answered " + std::to_string(response.status) + " to the create without a post id"}};
  }
  return {std::move(id), std::nullopt};
}

FacebookConnector::Create FacebookConnector::create_feed(const Composed& composed) {
  json::object body{{"message", composed.text}};
  if (!composed.link.empty()) body["link"] = composed.link;
  HttpRequest post = request("POST", "/" + percent_encode(channel_.page_id) + "/feed");
  post.body = json::serialize(body);
  post.content_type = "application/json";
  return created(http_.send(post), false);
}

FacebookConnector::Create FacebookConnector::create_photo(const Composed& composed) {
  // Checked before anything is sent, so each failure here is certain.
  const std::filesystem::path& file = composed.media.front();
  const auto type = sniff_media(file);
  const char* content_type = type ? image_content_type(*type) : nullptr;
  if (!content_type) return {{}, Failed{"Facebook: " + file.string() + " is not a JPEG, PNG or GIF image"}};
  auto bytes = read_file(file, kFacebookMaxImageBytes);
  if (!bytes) {
    return {{}, Failed{"Facebook: cannot read " + file.string() + " (missing, unreadable or over " +
                       std::to_string(kFacebookMaxImageBytes / (1024 * 1024)) + " MB)"}};
  }
  // The link preview has no place on a photo post; the message keeps any
  // link that is in the text.
  std::vector<FormPart> parts;
  if (!composed.text.empty()) parts.push_back({"message", composed.text, {}, {}});
  parts.push_back({"source", std::move(*bytes), file.filename().string(), content_type});
  std::string boundary = random_boundary();
  auto occurs = [&](const std::string& b) {
    return std::any_of(parts.begin(), parts.end(),
                       [&](const FormPart& p) { return p.content.find(b) != std::string::npos; });
  };
  while (occurs(boundary)) boundary = random_boundary();
  HttpRequest post = request("POST", "/" + percent_encode(channel_.page_id) + "/photos");
  post.body = multipart_body(parts, boundary);
  post.content_type = "multipart/form-data; boundary=" + boundary;
  return created(http_.send(post), true);
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

PublishResult FacebookConnector::publish(const PublishRequest& req) {
  const Composed& composed = req.composed;
  if (composed.media.size() > 1) {
    return Failed{"Facebook: one image per post, not " + std::to_string(composed.media.size())};
  }
  if (composed.media.empty() && composed.text.empty() && composed.link.empty()) {
    return Failed{"Facebook: nothing to post (no message, link or image)"};
  }
  Create create = composed.media.empty() ? create_feed(composed) : create_photo(composed);
  if (create.error) return std::move(*create.error);
  return Published{create.post_id, permalink(create.post_id)};
}

LookupResult FacebookConnector::lookup(const PublishRequest& req) {
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

}  // namespace herald
