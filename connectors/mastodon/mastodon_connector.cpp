#include "connectors/mastodon/mastodon_connector.hpp"
#include "connectors/form_encoding.hpp"

#include "compose/mastodon_text.hpp"
#include "compose/media.hpp"
#include "connectors/counters.hpp"
#include "connectors/digest.hpp"
#include "connectors/file_bytes.hpp"
#include "connectors/http_result.hpp"
#include "connectors/json_fields.hpp"
#include "connectors/mastodon/mastodon_html.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <utility>

// Mastodon documents this follows (docs.joinmastodon.org; the sandbox,
// tests/sandbox/sandbox_mastodon.cpp, cites the same and emulates them):
//  - methods/statuses, "Post a new status": POST /api/v1/statuses with
//    status, media_ids[], spoiler_text, visibility (public, unlisted,
//    private, direct), language; OAuth user token + write:statuses; the
//    Idempotency-Key header ("Idempotency keys are stored for up to 1
//    hour"); 200 with the Status, 401 {"error":"The access token is
//    invalid"}, 422 {"error":"Validation failed: ..."}.
//  - methods/media: POST /api/v2/media (multipart: file, description = alt
//    text; write:media) answers 200 with the processed MediaAttachment, or
//    202 with `url` null while the full-size file is processed in the
//    background; GET /api/v1/media/:id answers 206 while processing, 200
//    with `url` once done, 404 for an attachment that is not the caller's
//    unattached one, 422 when processing failed.
//  - methods/instance, GET /api/v2/instance: configuration.statuses
//    {max_characters, max_media_attachments, characters_reserved_per_url}.
//  - methods/accounts: GET /api/v1/accounts/verify_credentials (the
//    token's account: read:accounts), GET /api/v1/accounts/:id/statuses
//    (newest first; limit, default 20, at most 40; read:statuses).
//  - entities/Status: id, created_at, content (HTML), url, spoiler_text;
//    the counts replies_count, reblogs_count, favourites_count and (4.5)
//    quotes_count (https://docs.joinmastodon.org/entities/Status), read by
//    GET /api/v1/statuses/:id ("View a single status", 404 "Record not
//    found" for a status that is gone).
//  - entities/Error: {"error", "error_description"?}.
//  - api/rate-limits: X-RateLimit-Limit, -Remaining and -Reset ("Timestamp
//    when your rate limit will reset"; Mastodon's code sends ISO 8601 with
//    microseconds, app/controllers/concerns/rate_limit_headers.rb), a 429
//    when exhausted.
// And a message from Mastodon's code that is not in the documents: a status
// with an attachment still being processed is refused with 422 "Cannot
// attach files that have not finished processing. Try again in a moment!"
// (PostStatusService, media_attachments.validations.not_ready).

namespace herald {
namespace {
namespace json = boost::json;


// Mastodon's words, made safe to show: one line, bounded, cut on a UTF-8
// boundary.
std::string clean(std::string_view words) {
  std::string out;
  for (char c : words) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(out.begin());
  if (out.size() > kMaxMessage) {
    std::size_t cut = kMaxMessage;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out = out.substr(0, cut) + "...";
  }
  return out;
}

// entities/Error: {"error": "...", "error_description": "..."}.
std::string error_words(const HttpResponse& response) {
  auto body = parse_json(response.body);
  const json::object* o = body ? body->if_object() : nullptr;
  if (!o) return {};
  std::string words = member_string(*o, "error");
  const std::string description = member_string(*o, "error_description");
  if (!description.empty() && description != words) words += (words.empty() ? "" : ": ") + description;
  return words;
}

std::string describe(const HttpResponse& response) {
  std::string words = clean(error_words(response));
  return "Mastodon: " + (words.empty() ? std::string("no error message") : words) + " (HTTP " +
         std::to_string(response.status) + ")";
}

const json::object* as_object(const std::optional<json::value>& value) {
  return value ? value->if_object() : nullptr;
}

// The MIME type Mastodon is told for a file (it must have one: methods/media
// "The file must have a MIME type"): by its first bytes, else by its name.
std::string mime_type(const std::string& path) {
  if (auto sniffed = sniff_media(path)) {
    switch (*sniffed) {
      case MediaType::jpeg: return "image/jpeg";
      case MediaType::png: return "image/png";
      case MediaType::gif: return "image/gif";
      case MediaType::mp4: return "video/mp4";
    }
  }
  std::string name = path;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::pair<std::string_view, std::string_view> kByExtension[] = {
      {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".png", "image/png"},  {".gif", "image/gif"},
      {".webp", "image/webp"}, {".mp4", "video/mp4"},  {".m4v", "video/mp4"},  {".webm", "video/webm"},
      {".mov", "video/quicktime"}};
  for (const auto& [ext, type] : kByExtension)
    if (name.ends_with(ext)) return std::string(type);
  return {};
}

// One multipart/form-data body (RFC 7578): the alt text as `description`
// and the file as `file` with its name and type. The boundary comes from the
// file's hash, lengthened until it does not occur in the bytes.
std::pair<std::string, std::string> media_form(const std::string& file_name, const std::string& type,
                                               std::string_view bytes, const std::string& sha256,
                                               const std::string& alt) {
  std::string boundary = "herald-" + sha256.substr(0, 32);
  while (bytes.find(boundary) != std::string_view::npos || alt.find(boundary) != std::string::npos) boundary += "x";
  std::string safe_name;
  for (char c : file_name) safe_name += (c == '"' || c == '\\' || c == '\r' || c == '\n') ? '_' : c;
  std::string body;
  const std::string dash = "--" + boundary;
  if (!alt.empty())
    body += dash + "\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n" + alt + "\r\n";
  body += dash + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + safe_name +
          "\"\r\nContent-Type: " + type + "\r\n\r\n";
  body.append(bytes);
  body += "\r\n" + dash + "--\r\n";
  return {"multipart/form-data; boundary=" + boundary, std::move(body)};
}

// The result with the step it came from: "Mastodon: <step>: <Mastodon's words>".
PublishResult during(PublishResult result, const std::string& step) {
  std::visit(
      [&](auto& r) {
        if constexpr (requires { r.message; }) {
          std::string rest = r.message;
          if (rest.starts_with("Mastodon: ")) rest.erase(0, 10);
          r.message = "Mastodon: " + step + ": " + rest;
        }
      },
      result);
  return result;
}

std::string trimmed_base(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

/// An attachment an attempt of this delivery uploaded.
struct MastodonConnector::Attachment {
  std::string id;
  std::int64_t uploaded = 0;  ///< Unix seconds, on the connector's clock
  bool ready = false;         ///< processed: Mastodon answered its url
};

/// What the connector knows of a status it sent with one Idempotency-Key.
struct MastodonConnector::Sent {
  std::int64_t first_sent = 0;  ///< Unix seconds: when the key first went out
  std::string id, url;          ///< set once Mastodon answered the status
};

MastodonCredentials mastodon_credentials(const Credentials& file) { return MastodonCredentials{file.at("access_token")}; }

std::string mastodon_idempotency_key(std::string_view delivery_key, const MastodonStatusContent& content) {
  // Length-prefixed parts, so no two different contents read the same.
  std::string all;
  auto add = [&](std::string_view part) {
    all += std::to_string(part.size());
    all += ':';
    all.append(part);
  };
  add(delivery_key);
  add(content.text);
  add(content.spoiler_text);
  add(content.visibility);
  add(content.language);
  for (const auto& [sha256, alt] : content.media) {
    add(sha256);
    add(alt);
  }
  // Only for a reply, so a post's key stays what it was.
  if (!content.in_reply_to.empty()) add("in_reply_to:" + content.in_reply_to);
  return "herald-" + sha256_hex(all);
}

std::string mastodon_media_state_key(const std::string& account, const std::string& delivery_key,
                                     const std::string& sha256_hex) {
  return "mastodon:" + account + ":" + delivery_key + ":" + sha256_hex;
}

std::string mastodon_status_state_key(const std::string& account, const std::string& idempotency_key) {
  return "mastodon:" + account + ":status:" + idempotency_key;
}

std::optional<Instant> parse_mastodon_time(std::string_view text) {
  // parse_timestamp reads whole seconds: the fraction is dropped first.
  std::string whole(text);
  if (whole.size() > 20 && whole[19] == '.') {
    std::size_t end = 20;
    while (end < whole.size() && std::isdigit(static_cast<unsigned char>(whole[end]))) ++end;
    if (end == 20) return std::nullopt;
    whole.erase(19, end - 19);
  }
  std::string error;
  auto parsed = parse_timestamp(whole, error);
  if (!parsed) return std::nullopt;
  if (const auto* instant = std::get_if<Instant>(&*parsed)) return *instant;
  return std::nullopt;  // no offset: not a timestamp Mastodon sends
}

std::chrono::seconds mastodon_processing_wait(std::chrono::seconds since_uploaded) {
  // Asking about as often as the attachment has been processing doubles the
  // interval with each poll: 5, 5, 10, 20, 40, 60, 60, ... seconds.
  return std::clamp(since_uploaded, std::chrono::seconds{5}, std::chrono::seconds{60});
}

std::optional<std::chrono::seconds> mastodon_rate_limit_wait(const HttpResponse& response, Instant now) {
  if (find_header(response, "retry-after"))
    if (auto wait = retry_after(response, now)) return wait;
  if (const std::string* reset = find_header(response, "x-ratelimit-reset"))
    if (auto at = parse_mastodon_time(*reset)) return std::max(std::chrono::seconds{0}, *at - now);
  return std::nullopt;
}

std::optional<PublishResult> classify_mastodon(const HttpResponse& response, Instant now) {
  if (!response.error.empty()) return RetryLater{std::nullopt, "Mastodon: " + response.error};
  if (response.status >= 200 && response.status < 300) return std::nullopt;
  std::string message = describe(response);
  if (response.status == 429) return RetryLater{mastodon_rate_limit_wait(response, now), std::move(message)};
  // 401: the token is invalid or revoked; 403: it lacks a scope, or the
  // account may not act (disabled, unconfirmed). A person must fix either.
  if (response.status == 401 || response.status == 403) return AuthFailed{std::move(message)};
  if (response.status >= 500 || response.status == 0) return RetryLater{retry_after(response, now), std::move(message)};
  return Failed{std::move(message)};
}

MastodonConnector::MastodonConnector(ChannelSettings channel, MastodonCredentials credentials, HttpClient& http,
                                     ConnectorState& state, Clock clock)
    : channel_(std::move(channel)),
      credentials_(std::move(credentials)),
      http_(http),
      state_(state),
      clock_(std::move(clock)) {
  base_ = trimmed_base(channel_.api_base.empty() ? channel_.instance : channel_.api_base);
  // The account's identity in state keys is where it lives, not where the
  // requests go (a proxy or the sandbox in front of the instance).
  account_ = trimmed_base(channel_.instance.empty() ? base_ : channel_.instance);
  if (!channel_.account.empty()) account_ += "/@" + channel_.account;
}

SettlePolicy MastodonConnector::settle_policy() const { return {true, kSettleMargin}; }

HttpRequest MastodonConnector::request(std::string method, const std::string& path) const {
  HttpRequest out;
  out.method = std::move(method);
  out.url = base_ + path;
  out.headers.emplace_back("Authorization", "Bearer " + credentials_.access_token.reveal());
  return out;
}

// The instance's limits, from the state if read within kLimitsLifetime, else
// read now. An instance that cannot be read leaves the last limits it gave,
// or else the channel's max_characters and Mastodon's defaults.
MastodonLimits MastodonConnector::limits() {
  const std::string key = "mastodon:" + base_ + ":instance";
  const Instant now = clock_();
  std::optional<MastodonLimits> cached;
  std::int64_t fetched = 0;
  try {
    if (auto value = state_.get(key)) {
      auto parsed = parse_json(*value);
      if (const json::object* o = as_object(parsed)) {
        MastodonLimits l;
        l.max_characters = static_cast<std::size_t>(member_int(*o, "max_characters").value_or(0));
        l.characters_reserved_per_url = static_cast<std::size_t>(member_int(*o, "characters_reserved_per_url").value_or(23));
        l.max_media_attachments = static_cast<std::size_t>(member_int(*o, "max_media_attachments").value_or(4));
        fetched = member_int(*o, "fetched").value_or(0);
        if (l.max_characters > 0) cached = l;
      }
    }
  } catch (const std::exception&) {
    // Unreadable state: read the instance instead.
  }
  const auto age = now - Instant{std::chrono::seconds{fetched}};
  if (cached && age >= std::chrono::seconds{0} && age < kLimitsLifetime) return *cached;

  const HttpResponse response = http_.send(request("GET", "/api/v2/instance"));
  if (response.error.empty() && response.status == 200) {
    auto body = parse_json(response.body);
    const json::object* configuration = as_object(body) ? member_object(*as_object(body), "configuration") : nullptr;
    const json::object* statuses = configuration ? member_object(*configuration, "statuses") : nullptr;
    const auto max = statuses ? member_int(*statuses, "max_characters") : std::nullopt;
    if (max && *max > 0) {
      MastodonLimits l;
      l.max_characters = static_cast<std::size_t>(*max);
      if (auto per_url = member_int(*statuses, "characters_reserved_per_url"); per_url && *per_url >= 0)
        l.characters_reserved_per_url = static_cast<std::size_t>(*per_url);
      if (auto media = member_int(*statuses, "max_media_attachments"); media && *media > 0)
        l.max_media_attachments = static_cast<std::size_t>(*media);
      try {
        state_.put(key, json::serialize(json::object{
                            {"max_characters", l.max_characters},
                            {"characters_reserved_per_url", l.characters_reserved_per_url},
                            {"max_media_attachments", l.max_media_attachments},
                            {"fetched", now.time_since_epoch().count()}}));
      } catch (const std::exception&) {
        // Not kept: read again next time.
      }
      return l;
    }
  }
  if (cached) return *cached;
  MastodonLimits fallback;
  fallback.max_characters = channel_.max_characters > 0 ? channel_.max_characters : kMastodonDefaultLimit;
  fallback.characters_reserved_per_url = kMastodonUrlCharacters;
  return fallback;
}

// POST /api/v2/media: the file and its alt text. Nothing public comes of an
// upload, so its failures are RetryLater at worst, never Unsure.
std::variant<MastodonConnector::Attachment, PublishResult> MastodonConnector::upload(const std::string& path,
                                                                                      const std::string& bytes,
                                                                                      const std::string& alt) {
  const std::string name = std::filesystem::path(path).filename().string();
  const std::string type = mime_type(path);
  if (type.empty()) return Failed{"Mastodon: " + path + " is not an image or video type Mastodon takes"};
  auto [content_type, body] = media_form(name, type, bytes, sha256_hex(bytes), alt);
  HttpRequest post = request("POST", "/api/v2/media");
  post.content_type = std::move(content_type);
  post.body = std::move(body);
  const HttpResponse response = http_.send(post);
  const std::string what = "uploading " + name;
  if (!response.error.empty())
    return RetryLater{std::nullopt, "Mastodon: no answer to " + what + " (" + response.error + ")"};
  if (auto problem = classify_mastodon(response, clock_())) return during(std::move(*problem), what);
  auto parsed = parse_json(response.body);
  const json::object* o = as_object(parsed);
  Attachment out;
  out.id = o ? member_string(*o, "id") : std::string();
  if (out.id.empty()) return RetryLater{std::nullopt, "Mastodon: the answer to " + what + " has no attachment id"};
  out.uploaded = clock_().time_since_epoch().count();
  // 200: processed at once (url set); 202: processing in the background.
  out.ready = response.status == 200 && !member_string(*o, "url").empty();
  return out;
}

// GET /api/v1/media/:id for a remembered attachment: ready (200), still
// processing (206), or gone (404: Mastodon removed it, or it is attached to
// a status already) -- then its id is cleared and it is uploaded anew.
std::optional<PublishResult> MastodonConnector::poll(Attachment& attachment, const std::string& state_key) {
  const HttpResponse response = http_.send(request("GET", "/api/v1/media/" + percent_encode(attachment.id)));
  const std::string what = "asking about attachment " + attachment.id;
  if (!response.error.empty())
    return RetryLater{std::nullopt, "Mastodon: no answer to " + what + " (" + response.error + ")"};
  if (response.status == 404) {
    attachment.id.clear();
    return std::nullopt;
  }
  if (response.status == 422) {
    // Processing failed: this file will not do as it is.
    try {
      state_.erase(state_key);
    } catch (const std::exception&) {
    }
    const std::string words = clean(error_words(response));
    return Failed{"Mastodon: attachment " + attachment.id + " could not be processed: " +
                  (words.empty() ? std::string("no reason given") : words) + " (HTTP 422)"};
  }
  if (auto problem = classify_mastodon(response, clock_())) return during(std::move(*problem), what);
  attachment.ready = response.status == 200;
  return std::nullopt;
}

// One file: the attachment an earlier attempt of this delivery uploaded (if
// Mastodon still has it), else uploaded now and remembered. Not ready means
// Mastodon is still processing it.
std::variant<MastodonConnector::Attachment, PublishResult> MastodonConnector::attachment(
    const std::string& delivery_key, const std::string& path, const std::string& bytes, const std::string& sha256,
    const std::string& alt) {
  const std::string key = mastodon_media_state_key(account_, delivery_key, sha256);
  std::optional<Attachment> remembered;
  try {
    if (auto value = state_.get(key)) {
      auto parsed = parse_json(*value);
      if (const json::object* o = as_object(parsed)) {
        Attachment a{member_string(*o, "id"), member_int(*o, "uploaded").value_or(0), false};
        if (const json::value* ready = o->if_contains("ready"); ready && ready->is_bool()) a.ready = ready->get_bool();
        if (!a.id.empty()) remembered = a;
      }
    }
  } catch (const std::exception& e) {
    return RetryLater{std::nullopt, std::string("Mastodon: connector state unreadable: ") + e.what()};
  }
  auto remember = [&](const Attachment& a) -> std::optional<PublishResult> {
    try {
      state_.put(key, json::serialize(json::object{{"id", a.id}, {"uploaded", a.uploaded}, {"ready", a.ready}}));
    } catch (const std::exception& e) {
      // A retry uploads the file again, which Mastodon allows; the
      // attachment made now is never shown and Mastodon removes it.
      return RetryLater{std::nullopt, "Mastodon: cannot remember the upload of " + path + ": " + e.what()};
    }
    return std::nullopt;
  };

  if (remembered) {
    const auto age = clock_() - Instant{std::chrono::seconds{remembered->uploaded}};
    // A processed attachment from a recent attempt is used as it is: it may
    // be attached to a status whose answer was lost, which GET would call
    // gone (404), and the Idempotency-Key makes that repeat the same status
    // anyway. An older one is asked about: Mastodon removes attachments
    // that no status used after a while.
    if (remembered->ready && age < kIdempotencyWindow) return *remembered;
    const bool was_ready = remembered->ready;
    if (auto problem = poll(*remembered, key)) return std::move(*problem);
    if (!remembered->id.empty()) {
      if (!remembered->ready && age > kProcessingBound) {
        try {
          state_.erase(key);
        } catch (const std::exception&) {
        }
        return Failed{"Mastodon: attachment " + remembered->id + " for " + path + " was still being processed " +
                      std::to_string(std::chrono::duration_cast<std::chrono::minutes>(age).count()) +
                      " minutes after the upload; herald gave up on it (retry the delivery to upload it again)"};
      }
      if (remembered->ready && !was_ready)
        if (auto problem = remember(*remembered)) return std::move(*problem);
      return *remembered;
    }
    // Gone: uploaded again below.
  }
  auto uploaded = upload(path, bytes, alt);
  if (const auto* made = std::get_if<Attachment>(&uploaded))
    if (auto problem = remember(*made)) return std::move(*problem);
  return uploaded;
}

std::optional<MastodonConnector::Sent> MastodonConnector::sent(const std::string& state_key) {
  auto value = state_.get(state_key);  // throws: the caller says what that means
  if (!value) return std::nullopt;
  auto parsed = parse_json(*value);
  const json::object* o = as_object(parsed);
  if (!o) return std::nullopt;
  return Sent{member_int(*o, "first_sent").value_or(0), member_string(*o, "id"), member_string(*o, "url")};
}

// Kept after publishing (never erased): a repeat of this key, after herald
// lost Mastodon's answer before committing it, answers the same status
// without a request, whenever it comes.
void MastodonConnector::remember_published(const std::string& state_key, const Sent& sent, const std::string& id,
                                           const std::string& url) {
  try {
    state_.put(state_key, json::serialize(json::object{{"first_sent", sent.first_sent}, {"id", id}, {"url", url}}));
  } catch (const std::exception&) {
    // Best effort: a repeat within the key's hour gets the same status from
    // Mastodon, later it looks the status up.
  }
}

PublishResult MastodonConnector::publish(const PublishRequest& req) {
  if (req.comment_on && !req.composed.media.empty()) {
    // A first comment is its text alone.
    PublishRequest text_only = req;
    text_only.composed.media.clear();
    text_only.composed.media_alt.clear();
    return publish(text_only);
  }
  const Composed& composed = req.composed;
  if (composed.text.empty() && composed.media.empty()) return Failed{"Mastodon: nothing to post (no text and no media)"};
  if (req.comment_on && req.comment_on->remote_id.empty())
    return Failed{"Mastodon: the post this comment goes under has no recorded status id"};

  // The files first: their hashes are part of the status's identity.
  MastodonStatusContent content{composed.text, composed.spoiler_text,
                                composed.visibility.empty() ? channel_.visibility : composed.visibility,
                                composed.language,
                                {}};
  if (content.visibility.empty()) content.visibility = "public";
  if (req.comment_on) content.in_reply_to = req.comment_on->remote_id;
  std::vector<std::string> files;
  for (std::size_t i = 0; i < composed.media.size(); ++i) {
    const std::string path = composed.media[i].string();
    auto bytes = read_file_bytes(path, kMastodonMaxFileBytes);
    if (!bytes) {
      return Failed{"Mastodon: cannot read " + path + " (missing, unreadable or over " +
                    std::to_string(kMastodonMaxFileBytes / (1024 * 1024)) + " MB)"};
    }
    content.media.emplace_back(sha256_hex(*bytes), i < composed.media_alt.size() ? composed.media_alt[i] : "");
    files.push_back(std::move(*bytes));
  }
  const std::string key = mastodon_idempotency_key(req.key, content);
  const std::string status_key = mastodon_status_state_key(account_, key);
  std::optional<Sent> record;
  try {
    record = sent(status_key);
  } catch (const std::exception& e) {
    return RetryLater{std::nullopt, std::string("Mastodon: connector state unreadable: ") + e.what()};
  }
  if (record && !record->id.empty()) return Published{record->id, record->url};

  // Never send what the instance would refuse: measure as it counts.
  const MastodonLimits lim = limits();
  const std::size_t length = mastodon_length(composed.text, composed.spoiler_text, lim.characters_reserved_per_url);
  if (length > lim.max_characters) {
    return Failed{"Mastodon: the status is " + std::to_string(length) + " characters as the instance counts them (" +
                  "each link " + std::to_string(lim.characters_reserved_per_url) +
                  ", with the content warning); its limit is " + std::to_string(lim.max_characters)};
  }
  if (composed.media.size() > lim.max_media_attachments) {
    return Failed{"Mastodon: " + std::to_string(composed.media.size()) + " attachments; the instance takes at most " +
                  std::to_string(lim.max_media_attachments) + " per status"};
  }

  // Past the key's trust, after a lost answer: Mastodon may have forgotten
  // the key, so a repeat could make a second status. Look first.
  const Instant now = clock_();
  if (record && req.answer_lost_before &&
      now - Instant{std::chrono::seconds{record->first_sent}} > kIdempotencyTrust) {
    LookupResult found =
        req.comment_on ? find_reply(req.comment_on->remote_id, composed.text, composed.spoiler_text)
                       : find_status(composed.text, composed.spoiler_text,
                                     Instant{std::chrono::seconds{record->first_sent}} - std::chrono::seconds{60});
    if (const auto* f = std::get_if<Found>(&found)) {
      remember_published(status_key, *record, f->remote_id, f->url);
      return Published{f->remote_id, f->url};
    }
    if (const auto* u = std::get_if<Unknown>(&found)) {
      return Unsure{"Mastodon: an earlier attempt lost its answer more than " +
                    std::to_string(std::chrono::duration_cast<std::chrono::minutes>(kIdempotencyTrust).count()) +
                    " minutes ago, past what the Idempotency-Key covers, and the status could not be looked up: " +
                    u->message};
    }
    record.reset();  // absent: a new send, a new hour
  }

  // Media: every file uploaded (or remembered) before any is waited for.
  std::vector<std::string> media_ids, media_keys;
  std::optional<std::chrono::seconds> wait;
  std::string waiting_for;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string path = composed.media[i].string();
    auto got = attachment(req.key, path, files[i], content.media[i].first, content.media[i].second);
    if (auto* problem = std::get_if<PublishResult>(&got)) return std::move(*problem);
    const Attachment& a = std::get<Attachment>(got);
    media_ids.push_back(a.id);
    media_keys.push_back(mastodon_media_state_key(account_, req.key, content.media[i].first));
    if (!a.ready) {
      const auto w = mastodon_processing_wait(now - Instant{std::chrono::seconds{a.uploaded}});
      wait = wait ? std::min(*wait, w) : w;
      waiting_for += (waiting_for.empty() ? "" : ", ") + a.id;
    }
  }
  if (wait) return Processing{*wait, "Mastodon is processing attachment " + waiting_for};

  // Durable before the create goes out: when this key was first sent.
  if (!record) {
    record = Sent{now.time_since_epoch().count(), {}, {}};
    try {
      state_.put(status_key, json::serialize(json::object{{"first_sent", record->first_sent}}));
    } catch (const std::exception& e) {
      return RetryLater{std::nullopt, std::string("Mastodon: cannot remember the status before sending it: ") + e.what()};
    }
  }

  json::object body{{"visibility", content.visibility}};
  if (!composed.text.empty()) body["status"] = composed.text;
  if (!composed.spoiler_text.empty()) body["spoiler_text"] = composed.spoiler_text;
  if (!composed.language.empty()) body["language"] = composed.language;
  // A first comment: a reply to the post (docs.joinmastodon.org/methods/statuses/#create, in_reply_to_id).
  if (req.comment_on) body["in_reply_to_id"] = req.comment_on->remote_id;
  if (!media_ids.empty()) {
    json::array ids;
    for (const auto& id : media_ids) ids.emplace_back(id);
    body["media_ids"] = std::move(ids);
  }
  HttpRequest create = request("POST", "/api/v1/statuses");
  create.headers.emplace_back("Idempotency-Key", key);
  create.content_type = "application/json";
  create.body = json::serialize(body);
  const HttpResponse response = http_.send(create);
  if (!response.error.empty()) {
    return Unsure{"Mastodon: no answer to the status (" + response.error +
                  "); the status may exist, and a repeat with the same Idempotency-Key is the same status"};
  }
  if (response.status >= 200 && response.status < 300) {
    auto parsed = parse_json(response.body);
    const json::object* status = as_object(parsed);
    const std::string id = status ? member_string(*status, "id") : std::string();
    if (id.empty())
      return Unsure{"Mastodon: answered " + std::to_string(response.status) + " to the status without its id"};
    const std::string url = member_string(*status, "url");
    remember_published(status_key, *record, id, url);
    // The attachments are spent (best effort; a leftover entry names an
    // attachment the status holds).
    for (const auto& k : media_keys) {
      try {
        state_.erase(k);
      } catch (const std::exception&) {
      }
    }
    return Published{id, url};
  }
  if (response.status == 422 && error_words(response).find("not finished processing") != std::string::npos) {
    // An attachment Mastodon called processed is not ready after all.
    return Processing{std::chrono::seconds{5}, describe(response)};
  }
  if (req.comment_on && response.status == 404) {
    // Mastodon's set_thread: "The post you are trying to reply to does not
    // appear to exist." (deleted, or no longer visible to this account).
    return Failed{"Mastodon: the post this comment goes under is gone (status " + req.comment_on->remote_id +
                  "): " + describe(response)};
  }
  auto problem = classify_mastodon(response, clock_());
  return during(create_outcome(response, std::move(*problem)), "creating the status");
}

std::variant<std::string, LookupResult> MastodonConnector::account_id() {
  {
    std::lock_guard lock(mutex_);
    if (!account_id_.empty()) return account_id_;
  }
  const HttpResponse response = http_.send(request("GET", "/api/v1/accounts/verify_credentials"));
  if (!response.error.empty()) return Unknown{"Mastodon: reading the token's account failed: " + response.error};
  if (auto problem = classify_mastodon(response, clock_()))
    return Unknown{"Mastodon: reading the token's account: " + message_of(*problem)};
  auto parsed = parse_json(response.body);
  const std::string id = as_object(parsed) ? member_string(*as_object(parsed), "id") : std::string();
  if (id.empty()) return Unknown{"Mastodon: the token's account has no id"};
  std::lock_guard lock(mutex_);
  account_id_ = id;
  return id;
}

// The account's newest statuses, for one that shows `text` with
// `spoiler_text`. Mastodon answers each status's text only as HTML (it
// keeps no plain copy in the API), so the comparison reads the HTML back
// to text (mastodon_plain_text: tags dropped with their text kept, so a
// link's hidden spans give the full URL again; <br> and paragraphs as line
// breaks; character references decoded) and compares both with whitespace
// normalized and remote mentions as @user, the two things the rendering
// does not keep (mastodon_comparable_text). A status made before this
// content was first sent (a recurring post's earlier week) is not it.
LookupResult MastodonConnector::find_status(const std::string& text, const std::string& spoiler_text,
                                            std::optional<Instant> not_before) {
  auto id = account_id();
  if (auto* unknown = std::get_if<LookupResult>(&id)) return std::move(*unknown);
  const HttpResponse response =
      http_.send(request("GET", "/api/v1/accounts/" + percent_encode(std::get<std::string>(id)) +
                                    "/statuses?limit=" + std::to_string(kLookupStatuses) + "&exclude_reblogs=true"));
  if (!response.error.empty()) return Unknown{"Mastodon: reading the account's statuses failed: " + response.error};
  if (auto problem = classify_mastodon(response, clock_()))
    return Unknown{"Mastodon: reading the account's statuses: " + message_of(*problem)};
  auto parsed = parse_json(response.body);
  if (!parsed || !parsed->is_array()) return Unknown{"Mastodon: the account's statuses answer is not a list"};
  const std::string wanted_spoiler = mastodon_comparable_text(spoiler_text);
  for (const auto& item : parsed->get_array()) {
    const json::object* status = item.if_object();
    if (!status || !mastodon_content_matches(member_string(*status, "content"), text)) continue;
    if (mastodon_comparable_text(member_string(*status, "spoiler_text")) != wanted_spoiler) continue;
    if (not_before) {
      auto at = parse_mastodon_time(member_string(*status, "created_at"));
      if (at && *at < *not_before) continue;
    }
    const std::string status_id = member_string(*status, "id");
    if (!status_id.empty()) return Found{status_id, member_string(*status, "url")};
  }
  // The newest 40 are enough: a lookup asks about a create that was under
  // way an hour ago at most, and statuses are listed newest first.
  return Absent{};
}

// A first comment is a reply to the post: it is among the post's
// descendants (GET /api/v1/statuses/:id/context,
// docs.joinmastodon.org/methods/statuses/#context), by this account, its
// in_reply_to_id the post, showing the text. A post that is gone (404) has
// no replies left to find, and a new reply to it is refused: Absent, and
// the publish that follows says it is gone.
LookupResult MastodonConnector::find_reply(const std::string& parent, const std::string& text,
                                           const std::string& spoiler_text) {
  if (parent.empty()) return Unknown{"Mastodon: the post this comment goes under has no recorded status id"};
  auto id = account_id();
  if (auto* unknown = std::get_if<LookupResult>(&id)) return std::move(*unknown);
  const HttpResponse response = http_.send(request("GET", "/api/v1/statuses/" + percent_encode(parent) + "/context"));
  if (!response.error.empty()) return Unknown{"Mastodon: reading the replies to status " + parent + " failed: " + response.error};
  if (response.status == 404) return Absent{};
  if (auto problem = classify_mastodon(response, clock_()))
    return Unknown{"Mastodon: reading the replies to status " + parent + ": " + message_of(*problem)};
  auto parsed = parse_json(response.body);
  const json::object* context = as_object(parsed);
  const json::value* descendants = context ? context->if_contains("descendants") : nullptr;
  if (!descendants || !descendants->is_array()) return Unknown{"Mastodon: the thread answer has no descendants"};
  const std::string wanted_spoiler = mastodon_comparable_text(spoiler_text);
  for (const auto& item : descendants->get_array()) {
    const json::object* status = item.if_object();
    if (!status || member_string(*status, "in_reply_to_id") != parent) continue;
    const json::object* account = member_object(*status, "account");
    if (!account || member_string(*account, "id") != std::get<std::string>(id)) continue;
    if (!mastodon_content_matches(member_string(*status, "content"), text)) continue;
    if (mastodon_comparable_text(member_string(*status, "spoiler_text")) != wanted_spoiler) continue;
    const std::string status_id = member_string(*status, "id");
    if (!status_id.empty()) return Found{status_id, member_string(*status, "url")};
  }
  return Absent{};
}

LookupResult MastodonConnector::lookup(const PublishRequest& req) {
  const Composed& composed = req.composed;
  if (composed.text.empty())
    return Unknown{"Mastodon: a status without text cannot be recognised among the account's statuses"};
  // What this connector remembers of the content: the status itself, or
  // when its key was first sent.
  std::optional<Sent> record;
  MastodonStatusContent content{composed.text, composed.spoiler_text,
                                composed.visibility.empty() ? channel_.visibility : composed.visibility,
                                composed.language,
                                {}};
  if (content.visibility.empty()) content.visibility = "public";
  if (req.comment_on) content.in_reply_to = req.comment_on->remote_id;
  bool files_read = true;
  // A first comment carries no media.
  for (std::size_t i = 0; !req.comment_on && i < composed.media.size() && files_read; ++i) {
    auto bytes = read_file_bytes(composed.media[i], kMastodonMaxFileBytes);
    if (!bytes) files_read = false;
    else content.media.emplace_back(sha256_hex(*bytes), i < composed.media_alt.size() ? composed.media_alt[i] : "");
  }
  if (files_read) {
    try {
      record = sent(mastodon_status_state_key(account_, mastodon_idempotency_key(req.key, content)));
    } catch (const std::exception&) {
      // Looked up without it.
    }
  }
  if (record && !record->id.empty()) return Found{record->id, record->url};
  if (req.comment_on) return find_reply(req.comment_on->remote_id, composed.text, composed.spoiler_text);
  std::optional<Instant> not_before;
  if (record) not_before = Instant{std::chrono::seconds{record->first_sent}} - std::chrono::seconds{60};
  return find_status(composed.text, composed.spoiler_text, not_before);
}

// A read changes nothing, so every failure is one of classify_mastodon's
// and none is Unsure; a 404 is the status gone (deleted by its author, or
// removed by a moderator).
CountersResult MastodonConnector::read_counters(const CountersRequest& req) {
  if (req.remote_id.empty()) return Failed{"Mastodon: no status id was recorded for " + req.key};
  const HttpResponse response = http_.send(request("GET", "/api/v1/statuses/" + percent_encode(req.remote_id)));
  if (response.error.empty() && response.status == 404) return Gone{describe(response)};
  if (auto problem = classify_mastodon(response, clock_())) return counters_problem(std::move(*problem));
  auto parsed = parse_json(response.body);
  const json::object* status = as_object(parsed);
  if (!status || member_string(*status, "id").empty())
    return RetryLater{std::nullopt, "Mastodon: the answer about status " + req.remote_id + " is not a status"};
  Counters out;
  append_counters(out.values, *status,
                  {{"favourites_count", metric::likes},
                   {"reblogs_count", metric::shares},
                   {"quotes_count", metric::shares},
                   {"replies_count", metric::replies}});
  return out;
}

}  // namespace herald
