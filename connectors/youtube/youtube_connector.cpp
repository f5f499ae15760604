#include "connectors/json_fields.hpp"
#include "connectors/form_encoding.hpp"
#include "connectors/youtube/youtube_connector.hpp"

#include "compose/public_url.hpp"
#include "connectors/counters.hpp"
#include "connectors/http_result.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <utility>

// Documentation followed:
//  - videos.list / videos.update (update replaces every mutable property of
//    the parts named in `part`; snippet.title and snippet.categoryId are
//    required when updating the snippet):
//    https://developers.google.com/youtube/v3/docs/videos/update
//  - the video resource, which properties are writable:
//    https://developers.google.com/youtube/v3/docs/videos
//  - resumable upload (Location session URI, Content-Range chunks in
//    multiples of 256 KiB, 308 Resume Incomplete with Range, the
//    "bytes */SIZE" status query, 404 for an expired session):
//    https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol
//  - the statistics part (viewCount, likeCount, dislikeCount, favoriteCount,
//    commentCount, unsigned longs as strings; dislikeCount private since
//    2021, favoriteCount deprecated and always 0):
//    https://developers.google.com/youtube/v3/docs/videos#statistics ; an id
//    YouTube does not have is left out of videos.list's items:
//    https://developers.google.com/youtube/v3/docs/videos/list
//  - errors (quotaExceeded until midnight Pacific Time):
//    https://developers.google.com/youtube/v3/docs/errors

namespace herald {
namespace {
namespace json = boost::json;

constexpr const char* kDefaultBase = "https://www.googleapis.com";
constexpr const char* kGoogleTokenUrl = "https://oauth2.googleapis.com/token";
constexpr std::size_t kChunkUnit = 256 * 1024;
// A 308 that does not move the offset this many times in a row means the
// server is not taking the bytes: stop and let the dispatcher back off.
constexpr int kMaxStalls = 3;

// Properties YouTube sets itself; the docs list them as not writable, so
// they are not sent back with an update.
constexpr std::array<std::string_view, 6> kReadOnlySnippet{
    "publishedAt", "channelId", "thumbnails", "channelTitle", "liveBroadcastContent", "localized"};
constexpr std::array<std::string_view, 4> kReadOnlyStatus{"uploadStatus", "failureReason", "rejectionReason",
                                                          "madeForKids"};

std::string session_key(const std::string& key) { return "youtube_upload:" + key; }
std::string uploaded_key(const std::string& key) { return "youtube_uploaded:" + key; }

std::string privacy_of(const Composed& composed) { return composed.privacy.empty() ? "public" : composed.privacy; }

// The first item of a videos.list answer; nullopt when there is none, and
// an error message when the answer is not a list.
struct FirstVideo {
  std::optional<json::object> video;
  std::string error;
};
FirstVideo first_video(const std::string& body) {
  auto value = parse_json(body);
  if (!value || !value->is_object()) return {std::nullopt, "YouTube: videos.list answer is not a JSON object"};
  const auto* items = value->get_object().if_contains("items");
  if (!items) return {};
  if (!items->is_array()) return {std::nullopt, "YouTube: videos.list answer has no item list"};
  for (const auto& item : items->get_array())
    if (item.is_object()) return {item.get_object(), {}};
  return {};
}

// The update body: the video's own snippet and status, minus what YouTube
// sets itself, with the composed description, title and privacy.
json::object updated_video(const std::string& id, const json::object& video, const Composed& composed) {
  json::object snippet;
  if (const auto* s = video.if_contains("snippet"); s && s->is_object()) snippet = s->get_object();
  for (auto name : kReadOnlySnippet) snippet.erase(name);
  snippet["description"] = composed.text;
  if (!composed.title.empty()) snippet["title"] = composed.title;

  json::object status;
  if (const auto* s = video.if_contains("status"); s && s->is_object()) status = s->get_object();
  for (auto name : kReadOnlyStatus) status.erase(name);
  const std::string privacy = privacy_of(composed);
  status["privacyStatus"] = privacy;
  // A scheduled publishAt is only allowed on a private video; going public
  // now replaces the schedule.
  if (privacy != "private") status.erase("publishAt");
  return json::object{{"id", id}, {"snippet", std::move(snippet)}, {"status", std::move(status)}};
}

// The container's usual type; YouTube also takes application/octet-stream.
std::string video_content_type(const std::filesystem::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".mp4" || ext == ".m4v") return "video/mp4";
  if (ext == ".mov") return "video/quicktime";
  if (ext == ".webm") return "video/webm";
  if (ext == ".mkv") return "video/x-matroska";
  if (ext == ".avi") return "video/x-msvideo";
  if (ext == ".mpg" || ext == ".mpeg") return "video/mpeg";
  return "application/octet-stream";
}

// Bytes the server holds, from a 308's "Range: bytes=0-N" (N+1 bytes); no
// Range means none arrived yet. nullopt when the header is malformed.
std::optional<std::uint64_t> received_bytes(const HttpResponse& response) {
  const std::string* range = find_header(response, "range");
  if (!range) return 0;
  std::string_view v = *range;
  if (!v.starts_with("bytes=0-")) return std::nullopt;
  v.remove_prefix(8);
  std::uint64_t last = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), last);
  if (ec != std::errc{} || end != v.data() + v.size()) return std::nullopt;
  return last + 1;
}

std::string location_of(const HttpResponse& response) {
  const std::string* location = find_header(response, "location");
  return location ? *location : std::string();
}

}  // namespace

YoutubeCredentials youtube_credentials(const Credentials& file) {
  return {file.at("client_id").reveal(), file.at("client_secret"), file.at("refresh_token")};
}

/// One request sent with a bearer token: the answer, or why nothing was sent.
struct YoutubeConnector::Sent {
  HttpResponse response;
  std::optional<PublishResult> token_problem;
};

namespace {

std::string connector_base(const ChannelSettings& channel) {
  std::string base = channel.api_base.empty() ? kDefaultBase : channel.api_base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

std::string credential_name(const ChannelSettings& channel) {
  return channel.credentials.empty() ? channel.name : channel.credentials;
}

std::size_t checked_chunk_size(std::size_t size) {
  if (size == 0 || size % kChunkUnit != 0)
    throw std::invalid_argument("youtube: upload chunk size must be a positive multiple of 262144 bytes");
  return size;
}

}  // namespace

YoutubeConnector::YoutubeConnector(ChannelSettings channel, YoutubeCredentials credentials, HttpClient& http,
                                   ConnectorState& state, Clock clock, YoutubeOptions options)
    : channel_(std::move(channel)),
      credential_name_(credential_name(channel_)),
      http_(http),
      state_(state),
      clock_(std::move(clock)),
      options_{checked_chunk_size(options.chunk_size)},
      base_(connector_base(channel_)),
      session_(channel_.api_base.empty() ? std::string(kGoogleTokenUrl) : base_ + "/token",
               std::move(credentials.client_id), std::move(credentials.client_secret),
               std::move(credentials.refresh_token), state, refresh_token_state_key(credential_name_), http, clock_) {}

// Sends with the current access token. A 401 means the token died early
// (revoked, or the server's clock disagrees with ours): refresh once and send
// again; a second 401 is the answer.
YoutubeConnector::Sent YoutubeConnector::send(HttpRequest request) {
  for (int attempt = 0;; ++attempt) {
    auto token = session_.access_token();
    if (auto* error = std::get_if<TokenError>(&token)) {
      std::string message = describe_token_error(*error, "YouTube", credential_name_);
      if (error->auth_failed) return {{}, AuthFailed{std::move(message)}};
      return {{}, RetryLater{std::nullopt, std::move(message)}};
    }
    HttpRequest signed_request = request;
    signed_request.headers.emplace_back("Authorization", "Bearer " + std::get<Secret>(token).reveal());
    HttpResponse response = http_.send(signed_request);
    if (response.status == 401 && attempt == 0) {
      session_.invalidate();
      continue;
    }
    return {std::move(response), std::nullopt};
  }
}

PublishResult YoutubeConnector::publish(const PublishRequest& request) {
  const Composed& c = request.composed;
  const std::string privacy = privacy_of(c);
  if (privacy != "public" && privacy != "unlisted" && privacy != "private")
    return Failed{"YouTube: privacy '" + privacy + "' is not one of public, unlisted, private"};
  if (!c.video.empty() && !c.video_file.empty())
    return Failed{"YouTube: both a video id and a file to upload are given; choose one"};
  if (!c.video.empty()) return publish_existing(request);
  if (!c.video_file.empty()) return upload(request);
  return Failed{"YouTube: nothing to publish: give the id of an uploaded video or a file to upload"};
}

PublishResult YoutubeConnector::publish_existing(const PublishRequest& request) {
  const std::string& id = request.composed.video;
  HttpRequest read{"GET", base_ + "/youtube/v3/videos?part=snippet,status&id=" + percent_encode(id), {}, {}, {}};
  Sent got = send(read);
  if (got.token_problem) return std::move(*got.token_problem);
  if (!got.response.error.empty())
    return RetryLater{std::nullopt, "YouTube: reading video " + id + " failed: " + got.response.error};
  if (auto problem = classify_google(got.response, clock_())) return std::move(*problem);
  FirstVideo found = first_video(got.response.body);
  if (!found.error.empty()) return RetryLater{std::nullopt, found.error};
  if (!found.video) return Failed{"YouTube: video " + id + " not found on the channel"};

  HttpRequest update{"PUT",
                     base_ + "/youtube/v3/videos?part=snippet,status",
                     {},
                     json::serialize(updated_video(id, *found.video, request.composed)),
                     "application/json; charset=UTF-8"};
  Sent put = send(std::move(update));
  if (put.token_problem) return std::move(*put.token_problem);
  // The update may have been applied before the answer was lost: the video
  // may be public already, so the dispatcher must look before resending.
  if (!put.response.error.empty())
    return Unsure{"YouTube: no answer to videos.update of " + id + ": " + put.response.error};
  if (auto problem = classify_google(put.response, clock_())) return std::move(*problem);
  return Published{id, youtube_watch_url(id)};
}

PublishResult YoutubeConnector::upload(const PublishRequest& request) {
  const std::filesystem::path file = request.composed.video_file;
  const std::string where = "YouTube upload of " + file.string();
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec) return Failed{where + ": cannot read the file: " + ec.message()};
  if (size == 0) return Failed{where + ": the file is empty"};

  std::optional<std::string> uri;
  try {
    if (auto done = state_.get(uploaded_key(request.key))) return Published{*done, youtube_watch_url(*done)};
    uri = state_.get(session_key(request.key));
  } catch (const std::exception& e) {
    return RetryLater{std::nullopt, where + ": connector state unreadable: " + e.what()};
  }

  // Each turn: ask where a stored session stands (or open a new one), then
  // send chunks from the server's offset until it answers with the video.
  std::uint64_t offset = 0;
  if (uri) {
    HttpRequest query{"PUT", *uri, {{"Content-Range", "bytes */" + std::to_string(size)}}, {}, {}};
    Sent asked = send(std::move(query));
    if (asked.token_problem) return std::move(*asked.token_problem);
    const HttpResponse& r = asked.response;
    if (!r.error.empty()) return RetryLater{std::nullopt, where + ": upload status query failed: " + r.error};
    if (r.status == 200 || r.status == 201) return finish_upload(request, r.body);
    if (r.status == 404 || r.status == 410) {
      // The session expired (they last about a week) before any completion:
      // no video came of it, so a new session is the right next step.
      try {
        state_.erase(session_key(request.key));
      } catch (const std::exception& e) {
        return RetryLater{std::nullopt, where + ": connector state unwritable: " + e.what()};
      }
      uri.reset();
    } else if (r.status == 308) {
      auto received = received_bytes(r);
      if (!received || *received > size)
        return RetryLater{std::nullopt, where + ": unreadable Range in the upload status"};
      offset = *received;
    } else if (auto problem = classify_google(r, clock_())) {
      return std::move(*problem);
    } else {
      return RetryLater{std::nullopt, where + ": unexpected HTTP " + std::to_string(r.status) + " to the status query"};
    }
  }

  const std::string content_type = video_content_type(file);
  if (!uri) {
    json::object snippet{{"title", request.composed.title.empty() ? file.stem().string() : request.composed.title},
                         {"description", request.composed.text}};
    json::object metadata{{"snippet", std::move(snippet)},
                          {"status", json::object{{"privacyStatus", privacy_of(request.composed)}}}};
    HttpRequest start{"POST",
                      base_ + "/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status",
                      {{"X-Upload-Content-Length", std::to_string(size)}, {"X-Upload-Content-Type", content_type}},
                      json::serialize(metadata),
                      "application/json; charset=UTF-8"};
    Sent started = send(std::move(start));
    if (started.token_problem) return std::move(*started.token_problem);
    // Opening a session creates no video, so a lost answer is only "later".
    if (!started.response.error.empty())
      return RetryLater{std::nullopt, where + ": could not open an upload session: " + started.response.error};
    if (auto problem = classify_google(started.response, clock_())) return std::move(*problem);
    std::string location = location_of(started.response);
    if (location.empty()) return RetryLater{std::nullopt, where + ": the upload session answer has no Location"};
    // Durable before the first byte: a restart resumes this session.
    try {
      state_.put(session_key(request.key), location);
    } catch (const std::exception& e) {
      return RetryLater{std::nullopt, where + ": cannot store the upload session: " + e.what()};
    }
    uri = std::move(location);
  }

  std::ifstream in(file, std::ios::binary);
  if (!in) return Failed{where + ": cannot open the file"};
  std::string chunk;
  int stalls = 0;
  while (true) {
    const std::uint64_t length = std::min<std::uint64_t>(options_.chunk_size, size - offset);
    chunk.resize(static_cast<std::size_t>(length));
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    if (!in.read(chunk.data(), static_cast<std::streamsize>(length)))
      return Failed{where + ": the file could not be read at byte " + std::to_string(offset) + " (did it change?)"};
    const bool last = offset + length == size;
    HttpRequest put{"PUT",
                    *uri,
                    {{"Content-Range", "bytes " + std::to_string(offset) + "-" + std::to_string(offset + length - 1) +
                                           "/" + std::to_string(size)}},
                    chunk,
                    content_type};
    Sent sent = send(std::move(put));
    if (sent.token_problem) return std::move(*sent.token_problem);
    const HttpResponse& r = sent.response;
    if (!r.error.empty()) {
      // Only the last chunk completes the video; an earlier one lost in
      // transit is resent from the server's offset next time.
      if (last) return Unsure{where + ": no answer to the last upload request; the video may exist: " + r.error};
      return RetryLater{std::nullopt, where + ": interrupted at byte " + std::to_string(offset) + " of " +
                                          std::to_string(size) + "; the next attempt resumes: " + r.error};
    }
    if (r.status == 200 || r.status == 201) return finish_upload(request, r.body);
    if (r.status == 308) {
      auto received = received_bytes(r);
      if (!received || *received > size)
        return RetryLater{std::nullopt, where + ": unreadable Range in the upload answer"};
      stalls = *received > offset ? 0 : stalls + 1;
      if (stalls >= kMaxStalls) return RetryLater{std::nullopt, where + ": the server is not accepting the upload"};
      offset = *received;
      continue;
    }
    if (r.status == 404 || r.status == 410) {
      try {
        state_.erase(session_key(request.key));
      } catch (const std::exception&) {
        // The status query finds the session gone next time anyway.
      }
      return RetryLater{std::nullopt, where + ": the upload session expired; the next attempt starts again"};
    }
    if (auto problem = classify_google(r, clock_())) {
      if (last && std::holds_alternative<RetryLater>(*problem) && r.status >= 500) {
        // A 5xx to the last chunk may come after the video was stored.
        return Unsure{message_of(*problem)};
      }
      return std::move(*problem);
    }
    return Unsure{where + ": unexpected HTTP " + std::to_string(r.status) + " to an upload request"};
  }
}

PublishResult YoutubeConnector::finish_upload(const PublishRequest& request, const std::string& body) {
  std::string id;
  if (auto value = parse_json(body); value && value->is_object()) id = member_string(value->get_object(), "id");
  if (id.empty()) return Unsure{"YouTube upload of " + request.composed.video_file + ": completed without a video id"};
  try {
    // The id outlives the session, so a lookup after a crash still finds it.
    state_.put(uploaded_key(request.key), id);
    state_.erase(session_key(request.key));
  } catch (const std::exception&) {
    // The video exists either way; a stale session only answers "complete".
  }
  return Published{id, youtube_watch_url(id)};
}

LookupResult YoutubeConnector::lookup(const PublishRequest& request) {
  if (!request.composed.video.empty()) return lookup_existing(request);
  if (!request.composed.video_file.empty()) return lookup_upload(request);
  return Absent{};
}

LookupResult YoutubeConnector::lookup_existing(const PublishRequest& request) {
  const std::string& id = request.composed.video;
  Sent got = send({"GET", base_ + "/youtube/v3/videos?part=snippet,status&id=" + percent_encode(id), {}, {}, {}});
  if (got.token_problem) return Unknown{message_of(*got.token_problem)};
  if (!got.response.error.empty()) return Unknown{"YouTube: reading video " + id + " failed: " + got.response.error};
  if (auto problem = classify_google(got.response, clock_())) return Unknown{message_of(*problem)};
  FirstVideo found = first_video(got.response.body);
  if (!found.error.empty()) return Unknown{found.error};
  if (!found.video) return Absent{};
  std::string privacy, description;
  if (const auto* s = found.video->if_contains("status"); s && s->is_object())
    privacy = member_string(s->get_object(), "privacyStatus");
  if (const auto* s = found.video->if_contains("snippet"); s && s->is_object())
    description = member_string(s->get_object(), "description");
  if (privacy == privacy_of(request.composed) && description == request.composed.text)
    return Found{id, youtube_watch_url(id)};
  return Absent{};
}

LookupResult YoutubeConnector::lookup_upload(const PublishRequest& request) {
  const std::string where = "YouTube upload of " + request.composed.video_file;
  std::optional<std::string> uri;
  try {
    if (auto done = state_.get(uploaded_key(request.key))) return Found{*done, youtube_watch_url(*done)};
    uri = state_.get(session_key(request.key));
  } catch (const std::exception& e) {
    return Unknown{where + ": connector state unreadable: " + e.what()};
  }
  if (!uri) return Absent{};  // no session was ever opened, so no video
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(request.composed.video_file, ec);
  if (ec) return Unknown{where + ": cannot read the file: " + ec.message()};
  Sent asked = send({"PUT", *uri, {{"Content-Range", "bytes */" + std::to_string(size)}}, {}, {}});
  if (asked.token_problem) return Unknown{message_of(*asked.token_problem)};
  const HttpResponse& r = asked.response;
  if (!r.error.empty()) return Unknown{where + ": upload status query failed: " + r.error};
  if (r.status == 200 || r.status == 201) {
    std::string id;
    if (auto value = parse_json(r.body); value && value->is_object()) id = member_string(value->get_object(), "id");
    if (id.empty()) return Unknown{where + ": the session is complete but names no video"};
    // The session stays: a publish after this lookup answers from it again
    // rather than uploading a second copy.
    try {
      state_.put(uploaded_key(request.key), id);
    } catch (const std::exception&) {
    }
    return Found{id, youtube_watch_url(id)};
  }
  // Incomplete: nothing exists yet and publish resumes the session. Expired
  // before completion: nothing exists either.
  if (r.status == 308 || r.status == 404 || r.status == 410) return Absent{};
  if (auto problem = classify_google(r, clock_())) return Unknown{message_of(*problem)};
  return Unknown{where + ": unexpected HTTP " + std::to_string(r.status) + " to the status query"};
}

// One videos.list call (1 quota unit). dislikeCount and favoriteCount are
// left out: the one is the owner's alone since 2021 and no engagement to add
// up, the other is always 0.
CountersResult YoutubeConnector::read_counters(const CountersRequest& request) {
  const std::string& id = request.remote_id;
  if (id.empty()) return Failed{"YouTube: no video id was recorded for " + request.key};
  Sent got = send({"GET", base_ + "/youtube/v3/videos?part=statistics&id=" + percent_encode(id), {}, {}, {}});
  if (got.token_problem) return counters_problem(std::move(*got.token_problem));
  if (auto problem = classify_google(got.response, clock_())) return counters_problem(std::move(*problem));
  FirstVideo found = first_video(got.response.body);
  if (!found.error.empty()) return RetryLater{std::nullopt, found.error};
  if (!found.video) return Gone{"YouTube: video " + id + " is gone (videos.list does not list it)"};
  const json::object* statistics = member_object(*found.video, "statistics");
  if (!statistics) return Failed{"YouTube: video " + id + " came back without statistics"};
  Counters out;
  append_counters(out.values, *statistics,
                  {{"viewCount", metric::views}, {"likeCount", metric::likes}, {"commentCount", metric::replies}});
  return out;
}

}  // namespace herald
