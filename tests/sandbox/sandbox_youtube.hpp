#pragma once
// The YouTube part of herald-sandbox: Google's OAuth 2.0 token endpoint
// (POST /token, the refresh-token grant, optionally rotating refresh tokens),
// and the YouTube Data API v3 routes herald uses, with Bearer access tokens
// checked: videos.list by id (GET /youtube/v3/videos; part=statistics gives
// viewCount, likeCount, favoriteCount and commentCount as strings, growing
// from when herald published the video on the sandbox clock, and
// dislikeCount to the video's own channel), videos.update
// (PUT /youtube/v3/videos) and the resumable upload protocol
// (POST /upload/youtube/v3/videos?uploadType=resumable, then PUTs to the
// session URI /upload/youtube/v3/videos?uploadType=resumable&upload_id=...).
//
// Faults, by the path they are armed on:
//  - "/token": the token endpoint;
//  - "/youtube/v3/videos" or "PUT /youtube/v3/videos": videos.update (the
//    create); "GET /youtube/v3/videos": videos.list only;
//  - "/upload/youtube/v3/videos" or "POST /upload/youtube/v3/videos": the
//    session initiation;
//  - "PUT /upload/youtube/v3/videos": any request to a session URI (chunks,
//    status queries); "PUT /upload/youtube/v3/videos#final": only a chunk
//    that completes the file (taken before the general one).
// rate_limit answers 403 quotaExceeded in Google's error body; server_error
// 500 (503 on the upload host paths); delay holds the request and then
// serves it; drop_after_create applies the update or stores the chunk (any
// chunk, not only the last), then cuts the answer.
//
// Every successful videos.update and every completed upload is recorded as
// a Create: platform "youtube", account = channel id, id = video id,
// text = description, fields title, privacy, tags (comma-joined),
// categoryId, defaultLanguage, and for uploads bytes_received (every byte
// that arrived for the session, resends included) and size.

#include "tests/sandbox/sandbox_platform.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib
namespace YAML {
class Node;
}  // namespace YAML

namespace herald {

struct YoutubeSandboxConfig {
  /// An OAuth client registered with Google.
  struct Client {
    std::string client_id, client_secret;
  };
  /// A video already on the channel (uploaded, usually private).
  struct Video {
    std::string id, title, description, category_id = "22", default_language, privacy = "private";
    std::vector<std::string> tags;
  };
  /// A channel and the refresh tokens its owner granted to `client_id`.
  struct Channel {
    std::string id, title, client_id;
    std::vector<std::string> refresh_tokens;
    std::vector<Video> videos;
  };
  std::vector<Client> clients;
  std::vector<Channel> channels;
  /// Each refresh answers a new refresh token and revokes the one used.
  bool rotate_refresh_tokens = false;
  /// expires_in of the access tokens issued (Google: 3599).
  int access_token_seconds = 3599;
};

/// Reads the `youtube:` section of the sandbox YAML.
YoutubeSandboxConfig load_youtube_sandbox_config(const YAML::Node& node, const std::string& file);

class YoutubeSandbox : public SandboxPlatform {
 public:
  explicit YoutubeSandbox(Sandbox& sandbox);
  void install(httplib::Server& server) override;
  void reset() override;
  void remove_post(const std::string& id) override;

 private:
  struct Grant {
    std::string channel_id, client_id;
  };
  struct AccessToken {
    std::string channel_id;
    std::int64_t expires_ms = 0;
  };
  struct Upload {
    std::string channel_id;
    boost::json::object metadata;
    std::uint64_t size = 0;
    std::uint64_t received = 0;        ///< contiguous bytes stored
    std::uint64_t bytes_received = 0;  ///< every byte that arrived, resends included
    std::string video_id;              ///< set once complete
  };

  void load_state();  // with mutex_ held
  void token(const httplib::Request& req, httplib::Response& res);
  std::optional<std::string> authenticate(const httplib::Request& req, httplib::Response& res);
  void list(const httplib::Request& req, httplib::Response& res);
  void update(const httplib::Request& req, httplib::Response& res);
  void start_upload(const httplib::Request& req, httplib::Response& res);
  void upload_chunk(const httplib::Request& req, httplib::Response& res);

  Sandbox& sandbox_;
  const YoutubeSandboxConfig& config_;
  std::mutex mutex_;
  std::map<std::string, Grant> refresh_tokens_;        // valid ones
  std::map<std::string, AccessToken> access_tokens_;   // issued ones
  std::map<std::string, boost::json::object> videos_;  // by id: the video resource
  std::map<std::string, std::string> video_channel_;   // video id -> channel id
  std::map<std::string, std::int64_t> published_ms_;   // video id -> its first record (update or upload), on the sandbox clock
  std::map<std::string, Upload> uploads_;              // by upload_id
  std::int64_t issued_ = 0;
};

}  // namespace herald
