#pragma once
// Media for the `x` channel: the X API v2 chunked upload. Each file goes up as
// INITIALIZE (JSON: media_type, total_bytes, media_category), APPEND of
// numbered segments (multipart/form-data: segment_index, media), FINALIZE,
// and, while FINALIZE or STATUS report processing_info pending/in_progress,
// STATUS polls after check_after_secs. The pure readers (media kind, answer
// parsing, the multipart body) are separate from the one upload adapter.

#include "config/local_time.hpp"
#include "connectors/connector.hpp"
#include "connectors/http_client.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// How a file goes to X: its MIME type and the media category for a post.
struct XMediaKind {
  std::string media_type;      ///< image/jpeg, image/png, image/gif, image/webp, video/mp4
  std::string media_category;  ///< tweet_image, tweet_gif or tweet_video
};

/// The kind of `file` by its first bytes, else by its extension; std::nullopt
/// for a file X does not take in a post.
std::optional<XMediaKind> x_media_kind(const std::filesystem::path& file);

/// processing_info of an upload answer.
struct XProcessing {
  std::string state;                      ///< pending | in_progress | succeeded | failed
  std::chrono::seconds check_after{0};    ///< check_after_secs, 0 when absent
  std::string error;                      ///< failed: "message (name, code n)"
};

/// An upload answer: {"data":{"id","media_key","expires_after_secs","processing_info"?}}.
struct XMediaAnswer {
  std::string id;
  std::string media_key;
  std::int64_t expires_after_secs = 0;
  std::optional<XProcessing> processing;
};

/// Reads an INITIALIZE, FINALIZE or STATUS answer body; std::nullopt when it
/// is not JSON of that shape or has no data.id.
std::optional<XMediaAnswer> parse_x_media_answer(std::string_view body);

/// A multipart/form-data body and its Content-Type (with the boundary).
struct MultipartBody {
  std::string content_type;
  std::string body;
};

/// One text field and one binary file part, CRLF-delimited as RFC 7578
/// says; `boundary` must not occur in `file_bytes` (callers pick a random one).
MultipartBody multipart_form(const std::vector<std::pair<std::string, std::string>>& fields,
                             std::string_view file_field, std::string_view file_bytes, std::string_view boundary);

/// Tuning of the upload, as values (STYLE.md 4).
struct XMediaOptions {
  /// Bytes per APPEND. X takes at most 5 MB per segment (POST media/upload
  /// APPEND: "It must be <= 5 MB") and at most 1000 segments.
  std::size_t segment_bytes = 4 * 1024 * 1024;
  /// Longest total wait for X to process a video or GIF before giving up
  /// with RetryLater (the media id stays valid; a later attempt uploads anew).
  std::chrono::seconds max_processing_wait{300};
};

/// Waits; tests pass one that records instead of sleeping.
using XSleeper = std::function<void(std::chrono::seconds)>;

/// The answer to a request the connector authorized and sent, or why it
/// could not be authorized (no OAuth 2.0 access token: AuthFailed or
/// RetryLater); then nothing was sent.
struct XSent {
  HttpResponse response;
  std::optional<PublishResult> auth_problem;
};

/// What the upload adapter needs from the connector.
struct XMediaUploadContext {
  std::string base;  ///< https://api.x.com, no trailing slash
  /// Adds the channel's Authorization (an OAuth 1.0a signature over the
  /// method and URL, or an OAuth 2.0 Bearer token) and sends the request.
  std::function<XSent(const HttpRequest&)> send;
  std::function<Instant()> clock;
  XSleeper sleep;
  XMediaOptions options;
  std::function<std::string()> boundary;  ///< a fresh multipart boundary
};

/// A media id X accepted and processed, or why there is none. An error is
/// never Unsure: no post exists yet, so it is RetryLater, Failed or AuthFailed.
struct XUploaded {
  std::string media_id;
  std::int64_t expires_after_secs = 0;
  std::optional<PublishResult> error;
};

/// Uploads one file (INITIALIZE, APPEND..., FINALIZE, STATUS while processing).
XUploaded upload_x_media(const std::filesystem::path& file, const XMediaUploadContext& context);

}  // namespace herald
