#include "tests/sandbox/sandbox_bluesky.hpp"
#include "connectors/form_encoding.hpp"
#include "config/text.hpp"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <date/date.h>
#include <regex>

#include "compose/graphemes.hpp"
#include "connectors/digest.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_engagement.hpp"
#include "tests/sandbox/sandbox_util.hpp"

// Sources for the emulated Bluesky PDS (read 2026):
// - XRPC (atproto.com/specs/xrpc): procedures are POST /xrpc/<nsid> with a
//   JSON body, queries GET with parameters; an error is a non-2xx status
//   with {"error": NAME, "message": WORDS}; rate limits answer 429 and the
//   RateLimit-Limit, -Remaining, -Reset (Unix seconds) and -Policy headers
//   (also docs.bsky.app/docs/advanced-guides/rate-limits: createSession 30
//   per 5 minutes and 300 per day per account; record writes 5,000 points
//   per hour, a create costing 3). The reference implementation's wording
//   (github.com/bluesky-social/atproto, packages/xrpc-server and
//   packages/pds) is used for the error names and messages: AuthMissing
//   "Authentication Required" (401), InvalidToken "Token could not be
//   verified" (400), ExpiredToken "Token has expired" (400),
//   RateLimitExceeded "Rate Limit Exceeded", InternalServerError "Internal
//   Server Error", PayloadTooLarge "request entity too large" (413).
// - com.atproto.server.createSession {identifier, password} -> {accessJwt,
//   refreshJwt, handle, did, active}; 401 AuthenticationRequired "Invalid
//   identifier or password". Tokens as the reference PDS makes them: HS256
//   JWTs, the access one typ at+jwt with scope com.atproto.appPass (app
//   passwords), sub (the DID), aud, iat, exp (120 minutes); the refresh one
//   typ refresh+jwt, scope com.atproto.refresh, jti, exp (90 days).
// - com.atproto.server.refreshSession (Bearer refresh JWT) -> new tokens.
//   Rotation as packages/pds/src/account-manager does it: a used refresh
//   token still works for a grace period of 2 hours (answering the same
//   next token id), after which it is 400 ExpiredToken "Token has been
//   revoked" (refresh_grace_seconds; 0 refuses a used one at once).
// - com.atproto.repo.createRecord {repo, collection, rkey, validate,
//   record} -> {uri, cid, commit, validationStatus}; a repo that is not the
//   token's account is 401; an invalid record 400 InvalidRequest "Invalid
//   app.bsky.feed.post record: ..." with @atproto/lexicon's wording
//   ("Record/text must not be longer than 300 graphemes"); a bad key
//   "Invalid record key ..."; a referenced blob this account never uploaded
//   400 BlobNotFound "Could not find blob: CID", one whose mimeType or size
//   differs InvalidMimeType / InvalidSize. A key already taken: the
//   reference PDS answers 500 InternalServerError (its repository throws;
//   github.com/bluesky-social/atproto/issues/3718, indigo#873), and the
//   change that names the case (atproto pull 4728, lexicon error
//   RecordAlreadyExists) answers 400 RecordAlreadyExists "Record already
//   exists: app.bsky.feed.post/RKEY": duplicate_rkey picks one.
// - com.atproto.repo.getRecord ?repo&collection&rkey -> {uri, cid, value};
//   400 RecordNotFound "Could not locate record: AT-URI". No auth needed.
// - Replies (docs.bsky.app/docs/advanced-guides/posts, "Replies"; lexicon
//   app.bsky.feed.post#replyRef): record.reply {root, parent}, each a
//   com.atproto.repo.strongRef {uri, cid}; the PDS validates the shape, not
//   that the parent exists. getPosts' replyCount counts them.
// - app.bsky.feed.getPosts ?uris=AT-URI (repeated, at most 25) -> {posts:
//   [app.bsky.feed.defs#postView {uri, cid, author, record, replyCount,
//   repostCount, likeCount, quoteCount, indexedAt, labels}]}; a post the
//   AppView does not have (deleted) is left out, not an error:
//   https://docs.bsky.app/docs/api/app-bsky-feed-get-posts and the lexicons
//   lexicons/app/bsky/feed/getPosts.json and defs.json#postView in
//   github.com/bluesky-social/atproto. A PDS proxies app.bsky.* reads to
//   the AppView for a signed-in account, so the sandbox asks for the access
//   JWT as the PDS does; the counts grow with the post's age on the sandbox
//   clock (sandbox_engagement).
// - com.atproto.repo.uploadBlob: the raw bytes with their Content-Type ->
//   {blob: {$type: blob, ref: {$link: CID}, mimeType, size}}; the PDS sniffs
//   the type from the bytes; a body over the limit is 413.
// - app.bsky.feed.post: text (maxLength 3000 bytes, maxGraphemes 300,
//   counted with compose's grapheme_count), createdAt (format datetime:
//   atproto.com/specs/lexicon#datetime), langs (at most 3 language tags),
//   facets, embed; record key type tid (atproto.com/specs/tid).
//   app.bsky.richtext.facet: index {byteStart, byteEnd} (integers >= 0,
//   UTF-8 bytes), features #link {uri}, #tag {tag: 640 bytes, 64 graphemes},
//   #mention {did}. app.bsky.embed.images: images (at most 4) of {alt,
//   image: a blob of image/* up to 2,000,000 bytes, aspectRatio {width,
//   height}}; app.bsky.embed.external: external {uri, title, description,
//   thumb: a blob of image/* up to 1,000,000 bytes}.
//
// Deliberate strictness: a PDS does not check facets against the text (an
// app shows a misplaced or split link); the sandbox refuses a facet whose
// bytes are not whole characters inside the text, so a wrong offset fails
// in tests. It emulates app.bsky.feed.post records and the images and
// external embeds only.

namespace herald {
namespace json = boost::json;

namespace {

constexpr const char* kCollection = "app.bsky.feed.post";
constexpr const char* kServiceDid = "did:web:sandbox.bsky.invalid";
constexpr const char* kSigningKey = "herald-sandbox-bluesky-not-a-secret";
constexpr std::int64_t kCreatePoints = 3;
constexpr std::int64_t kImageMaxSize = 2'000'000;
constexpr std::int64_t kThumbMaxSize = 1'000'000;

void xrpc_error(httplib::Response& res, int status, std::string_view error, std::string_view message) {
  send_json(res, status, json::serialize(json::object{{"error", error}, {"message", message}}));
}

std::string base64url(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (unsigned char c : bytes) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += kAlphabet[(bits >> count) & 0x3F];
    }
  }
  if (count > 0) out += kAlphabet[(bits << (6 - count)) & 0x3F];
  return out;
}

std::optional<std::string> base64url_decode(std::string_view in) {
  std::string standard(in);
  for (char& c : standard) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
  }
  return base64_decode(standard);
}

// RFC 4648 base32, lower case, no padding: the multibase "b" of CIDs.
std::string base32(std::string_view bytes) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (unsigned char c : bytes) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 5) {
      count -= 5;
      out += kAlphabet[(bits >> count) & 0x1F];
    }
  }
  if (count > 0) out += kAlphabet[(bits << (5 - count)) & 0x1F];
  return out;
}

std::string cid(unsigned char codec, std::string_view bytes) {
  // CIDv1 = version, codec, multihash (sha2-256: 0x12, 32 bytes, digest).
  std::string binary{'\x01', static_cast<char>(codec), '\x12', '\x20'};
  binary += sha256(bytes);
  return "b" + base32(binary);
}

std::string signature_of(std::string_view signed_part) {
  return base64url(fnv1a64_hex(std::string(kSigningKey) + "." + std::string(signed_part)));
}

std::string make_jwt(const json::object& header, const json::object& payload) {
  const std::string signed_part = base64url(json::serialize(header)) + "." + base64url(json::serialize(payload));
  return signed_part + "." + signature_of(signed_part);
}

// The header and payload of a JWT this sandbox signed; nullopt for anything else.
std::optional<std::pair<json::object, json::object>> verify_jwt(std::string_view token) {
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (!equal_constant_time(signature_of(token.substr(0, second)), token.substr(second + 1))) return std::nullopt;
  auto header = base64url_decode(token.substr(0, first));
  auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
  if (!header || !payload) return std::nullopt;
  boost::system::error_code ec1, ec2;
  json::value h = json::parse(*header, ec1);
  json::value p = json::parse(*payload, ec2);
  if (ec1 || ec2 || !h.is_object() || !p.is_object()) return std::nullopt;
  return std::pair{std::move(h.as_object()), std::move(p.as_object())};
}

std::string string_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t int_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : (v && v->is_uint64() ? static_cast<std::int64_t>(v->as_uint64()) : 0);
}

std::string bearer_token(const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  if (header.size() > 7 && (header.starts_with("Bearer ") || header.starts_with("bearer "))) return header.substr(7);
  return {};
}

std::optional<json::object> body_object(const httplib::Request& req) {
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

// atproto.com/specs/tid: 13 characters, the first of 234567abcdefghij.
bool is_tid(const std::string& s) {
  static const std::regex kTid("[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}");
  return std::regex_match(s, kTid);
}

// atproto.com/specs/record-key: 1 to 512 of A-Za-z0-9 . - _ : ~, not "." or "..".
bool is_record_key(const std::string& s) {
  static const std::regex kKey("[A-Za-z0-9._:~-]{1,512}");
  return s != "." && s != ".." && std::regex_match(s, kKey);
}

// atproto.com/specs/lexicon#datetime: RFC 3339 with an upper-case T and a
// time zone (Z or +hh:mm, never -00:00); fractions of a second allowed.
bool is_datetime(const std::string& s) {
  static const std::regex kDatetime(
      R"(([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))");
  std::smatch m;
  if (!std::regex_match(s, m, kDatetime) || m[8] == "-00:00") return false;
  auto number = [&](int i) { return std::stoi(m[i].str()); };
  const date::year_month_day ymd{date::year{number(1)}, date::month{static_cast<unsigned>(number(2))},
                                 date::day{static_cast<unsigned>(number(3))}};
  return ymd.ok() && number(4) < 24 && number(5) < 60 && number(6) < 61;
}

// The lexicon's "language" format: a BCP 47 tag.
bool is_language(const std::string& s) {
  static const std::regex kLanguage("(i|[a-z]{2,3})(-[A-Za-z0-9]{1,8})*");
  return std::regex_match(s, kLanguage);
}

// The lexicon's "uri" format: a scheme, a colon, no white space.
bool is_uri(const std::string& s) {
  static const std::regex kUri(R"([a-z][a-z0-9+.-]*:\S+)");
  return s.size() <= 8192 && std::regex_match(s, kUri);
}

bool is_did(const std::string& s) {
  static const std::regex kDid(R"(did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-])");
  return std::regex_match(s, kDid);
}

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The first bytes of the images a PDS recognises (it sniffs, like file-type).
std::string sniffed_mime(std::string_view b, const std::string& declared) {
  if (b.starts_with("\xFF\xD8\xFF")) return "image/jpeg";
  if (b.starts_with(std::string_view("\x89PNG\r\n\x1a\n", 8))) return "image/png";
  if (b.starts_with("GIF87a") || b.starts_with("GIF89a")) return "image/gif";
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return "image/webp";
  return declared;
}

}  // namespace

std::string BlueskySandbox::blob_cid(std::string_view bytes) { return cid(0x55, bytes); }
std::string BlueskySandbox::record_cid(std::string_view json) { return cid(0x71, json); }

BlueskySandbox::BlueskySandbox(Sandbox& sandbox) : sandbox_(sandbox), config_(sandbox.config().bluesky) {}

void BlueskySandbox::install(httplib::Server& server) {
  server.Post("/xrpc/com.atproto.server.createSession",
              [this](const httplib::Request& req, httplib::Response& res) { create_session(req, res); });
  server.Post("/xrpc/com.atproto.server.refreshSession",
              [this](const httplib::Request& req, httplib::Response& res) { refresh_session(req, res); });
  server.Post("/xrpc/com.atproto.repo.createRecord",
              [this](const httplib::Request& req, httplib::Response& res) { create_record(req, res); });
  server.Get("/xrpc/com.atproto.repo.getRecord",
             [this](const httplib::Request& req, httplib::Response& res) { get_record(req, res); });
  server.Get("/xrpc/app.bsky.feed.getPosts",
             [this](const httplib::Request& req, httplib::Response& res) { get_posts(req, res); });
  server.Post("/xrpc/com.atproto.repo.uploadBlob",
              [this](const httplib::Request& req, httplib::Response& res) { upload_blob(req, res); });
  server.Get("/bluesky-sandbox/page", [this](const httplib::Request& req, httplib::Response& res) { page(req, res); });
  server.Get("/bluesky-sandbox/image.png",
             [this](const httplib::Request& req, httplib::Response& res) { image(req, res); });
}

void BlueskySandbox::reset() {
  std::lock_guard lock(mutex_);
  last_id_ = 0;
  refresh_tokens_.clear();
  session_windows_.clear();
  write_windows_.clear();
  blobs_.clear();
  records_.clear();
}

const BlueskySandboxConfig::Account* BlueskySandbox::account_by(const std::string& handle_or_did) const {
  const std::string wanted = ascii_lower(handle_or_did);
  for (const Account& a : config_.accounts)
    if (ascii_lower(a.handle) == wanted || a.did == handle_or_did) return &a;
  return nullptr;
}

bool BlueskySandbox::rate(Window& window, std::int64_t limit, std::int64_t seconds, std::int64_t cost,
                          httplib::Response& res) {
  const std::int64_t now = sandbox_.now_ms();
  if (window.start_ms == 0 || now >= window.start_ms + seconds * 1000) window = Window{now, 0};
  const bool allowed = window.used + cost <= limit;
  if (allowed) window.used += cost;
  res.set_header("RateLimit-Limit", std::to_string(limit));
  res.set_header("RateLimit-Remaining", std::to_string(std::max<std::int64_t>(0, limit - window.used)));
  res.set_header("RateLimit-Reset", std::to_string((window.start_ms + seconds * 1000) / 1000));
  res.set_header("RateLimit-Policy", std::to_string(limit) + ";w=" + std::to_string(seconds));
  if (!allowed) xrpc_error(res, 429, "RateLimitExceeded", "Rate Limit Exceeded");
  return allowed;
}

namespace {
// Answers an injected fault that ends the request here; false when there is
// none, or it acts later (a delay, once held; drop_after_create).
bool answer_fault(Sandbox& sandbox, const std::optional<Sandbox::Fault>& fault, httplib::Response& res) {
  if (!fault) return false;
  using Mode = Sandbox::FaultMode;
  if (fault->mode == Mode::delay && !sandbox.hold(std::chrono::milliseconds(fault->delay_ms))) {
    xrpc_error(res, 503, "NotEnoughResources", "Not Enough Resources");
    return true;
  }
  if (fault->mode == Mode::rate_limit) {
    const std::int64_t reset = sandbox.now_ms() / 1000 + fault->reset_in;
    res.set_header("RateLimit-Limit", "5000");
    res.set_header("RateLimit-Remaining", "0");
    res.set_header("RateLimit-Reset", std::to_string(reset));
    res.set_header("RateLimit-Policy", "5000;w=3600");
    xrpc_error(res, 429, "RateLimitExceeded", "Rate Limit Exceeded");
    return true;
  }
  if (fault->mode == Mode::server_error) {
    xrpc_error(res, 500, "InternalServerError", "Internal Server Error");
    return true;
  }
  return false;
}

// The answer is ready; a drop_after_create fault makes it never arrive.
void finish(Sandbox& sandbox, const std::optional<Sandbox::Fault>& fault, httplib::Response& res, const json::object& body) {
  if (fault && fault->mode == Sandbox::FaultMode::drop_after_create)
    return drop_response(sandbox, res, 200, std::chrono::milliseconds(fault->delay_ms));
  send_json(res, 200, json::serialize(body));
}
}  // namespace

std::pair<std::string, std::string> BlueskySandbox::issue(const std::string& did, const std::string& jti) {
  const std::int64_t now = sandbox_.now_ms() / 1000;
  const std::string access =
      make_jwt(json::object{{"typ", "at+jwt"}, {"alg", "HS256"}},
               json::object{{"scope", "com.atproto.appPass"}, {"aud", kServiceDid}, {"sub", did}, {"iat", now},
                            {"exp", now + config_.access_jwt_seconds}});
  const std::string refresh =
      make_jwt(json::object{{"typ", "refresh+jwt"}, {"alg", "HS256"}},
               json::object{{"scope", "com.atproto.refresh"}, {"aud", kServiceDid}, {"sub", did}, {"jti", jti},
                            {"iat", now}, {"exp", now + config_.refresh_jwt_seconds}});
  // Stored as the reference PDS stores a new refresh token (a reuse within
  // the grace period finds it there already).
  refresh_tokens_.emplace(jti, RefreshToken{did, sandbox_.now_ms() + config_.refresh_jwt_seconds * 1000, {}, 0});
  return {access, refresh};
}

// POST com.atproto.server.createSession {identifier, password}.
void BlueskySandbox::create_session(const httplib::Request& req, httplib::Response& res) {
  const std::string route = "/xrpc/com.atproto.server.createSession";
  auto fault = sandbox_.take_fault("POST", req.path, route);
  if (answer_fault(sandbox_, fault, res)) return;
  auto body = body_object(req);
  if (!body) return xrpc_error(res, 400, "InvalidRequest", "Request body must be a JSON object");
  for (const char* key : {"identifier", "password"}) {
    const json::value* v = body->if_contains(key);
    if (!v || !v->is_string())
      return xrpc_error(res, 400, "InvalidRequest", std::string("Input must have the property \"") + key + "\"");
  }
  const std::string identifier = string_of(*body, "identifier");
  std::lock_guard lock(mutex_);
  if (!rate(session_windows_[ascii_lower(identifier)], config_.session_limit, config_.session_window_seconds, 1, res)) return;
  const Account* account = account_by(identifier);
  if (!account || !equal_constant_time(account->app_password, string_of(*body, "password")))
    return xrpc_error(res, 401, "AuthenticationRequired", "Invalid identifier or password");
  const auto [access, refresh] = issue(account->did, "herald-sandbox-" + std::to_string(++last_id_));
  finish(sandbox_, fault, res,
         json::object{{"accessJwt", access}, {"refreshJwt", refresh}, {"handle", account->handle},
                      {"did", account->did}, {"active", true}});
}

// POST com.atproto.server.refreshSession with the refresh JWT as Bearer.
void BlueskySandbox::refresh_session(const httplib::Request& req, httplib::Response& res) {
  auto fault = sandbox_.take_fault("POST", req.path, "/xrpc/com.atproto.server.refreshSession");
  if (answer_fault(sandbox_, fault, res)) return;
  const std::string token = bearer_token(req);
  if (token.empty()) return xrpc_error(res, 401, "AuthMissing", "Authentication Required");
  auto jwt = verify_jwt(token);
  if (!jwt || string_of(jwt->first, "typ") != "refresh+jwt" || string_of(jwt->second, "jti").empty())
    return xrpc_error(res, 400, "InvalidToken", "Token could not be verified");
  const std::int64_t now_ms = sandbox_.now_ms();
  if (int_of(jwt->second, "exp") * 1000 <= now_ms) return xrpc_error(res, 400, "ExpiredToken", "Token has expired");
  if (string_of(jwt->second, "scope") != "com.atproto.refresh")
    return xrpc_error(res, 400, "InvalidToken", "Bad token scope");
  const Account* account = account_by(string_of(jwt->second, "sub"));
  if (!account) return xrpc_error(res, 400, "InvalidRequest", "Could not find user info for account");

  std::lock_guard lock(mutex_);
  auto it = refresh_tokens_.find(string_of(jwt->second, "jti"));
  if (it == refresh_tokens_.end() || now_ms >= it->second.expires_ms ||
      (!it->second.next_id.empty() && now_ms >= it->second.grace_until_ms))
    return xrpc_error(res, 400, "ExpiredToken", "Token has been revoked");
  // First use: the token's life shrinks to the grace period and its
  // successor is named; a reuse within the grace answers that successor.
  if (it->second.next_id.empty()) {
    it->second.next_id = "herald-sandbox-" + std::to_string(++last_id_);
    it->second.grace_until_ms = now_ms + config_.refresh_grace_seconds * 1000;
  }
  const std::string next = it->second.next_id;
  const auto [access, refresh] = issue(account->did, next);
  finish(sandbox_, fault, res,
         json::object{{"accessJwt", access}, {"refreshJwt", refresh}, {"handle", account->handle},
                      {"did", account->did}, {"active", true}});
}

// An access JWT: signed here, not expired, an access token of a known account.
std::optional<BlueskySandbox::Account> BlueskySandbox::authenticate(const httplib::Request& req,
                                                                    httplib::Response& res) {
  const std::string token = bearer_token(req);
  if (token.empty()) {
    xrpc_error(res, 401, "AuthMissing", "Authentication Required");
    return std::nullopt;
  }
  auto jwt = verify_jwt(token);
  if (!jwt || string_of(jwt->first, "typ") != "at+jwt") {
    xrpc_error(res, 400, "InvalidToken", "Token could not be verified");
    return std::nullopt;
  }
  if (int_of(jwt->second, "exp") * 1000 <= sandbox_.now_ms()) {
    xrpc_error(res, 400, "ExpiredToken", "Token has expired");
    return std::nullopt;
  }
  const std::string scope = string_of(jwt->second, "scope");
  if (scope != "com.atproto.appPass" && scope != "com.atproto.access") {
    xrpc_error(res, 400, "InvalidToken", "Bad token scope");
    return std::nullopt;
  }
  const Account* account = account_by(string_of(jwt->second, "sub"));
  if (!account) {
    xrpc_error(res, 403, "AccountNotFound", "Account not found");
    return std::nullopt;
  }
  return *account;
}

std::optional<BlueskySandbox::Refusal> BlueskySandbox::validate(const json::object& record, const std::string& did,
                                                               std::vector<std::string>& image_cids) const {
  auto invalid = [](std::string what) {
    return Refusal{400, "InvalidRequest", std::string("Invalid app.bsky.feed.post record: ") + std::move(what)};
  };
  const json::value* text_value = record.if_contains("text");
  if (!text_value) return invalid("Record must have the property \"text\"");
  if (!text_value->is_string()) return invalid("Record/text must be a string");
  const std::string text(text_value->as_string());
  if (text.size() > 3000) return invalid("Record/text must not be longer than 3000 characters");
  if (grapheme_count(text) > 300) return invalid("Record/text must not be longer than 300 graphemes");
  const json::value* created = record.if_contains("createdAt");
  if (!created) return invalid("Record must have the property \"createdAt\"");
  if (!created->is_string() || !is_datetime(std::string(created->as_string())))
    return invalid("Record/createdAt must be an valid atproto datetime (both RFC-3339 and ISO-8601)");

  if (const json::value* langs = record.if_contains("langs")) {
    if (!langs->is_array()) return invalid("Record/langs must be an array");
    if (langs->as_array().size() > 3) return invalid("Record/langs must not have more than 3 elements");
    for (std::size_t i = 0; i < langs->as_array().size(); ++i) {
      const json::value& l = langs->as_array()[i];
      if (!l.is_string() || !is_language(std::string(l.as_string())))
        return invalid("Record/langs/" + std::to_string(i) + " must be a well-formed BCP 47 language tag");
    }
  }

  if (const json::value* facets = record.if_contains("facets")) {
    if (!facets->is_array()) return invalid("Record/facets must be an array");
    for (std::size_t i = 0; i < facets->as_array().size(); ++i) {
      const std::string path = "Record/facets/" + std::to_string(i);
      const json::object* facet = facets->as_array()[i].if_object();
      if (!facet) return invalid(path + " must be an object");
      const json::value* index_value = facet->if_contains("index");
      const json::object* index = index_value ? index_value->if_object() : nullptr;
      if (!index) return invalid(path + " must have the property \"index\"");
      for (const char* key : {"byteStart", "byteEnd"}) {
        const json::value* v = index->if_contains(key);
        if (!v) return invalid(path + "/index must have the property \"" + key + "\"");
        if (!v->is_int64() && !v->is_uint64()) return invalid(path + "/index/" + key + " must be an integer");
        if (v->is_int64() && v->as_int64() < 0) return invalid(path + "/index/" + key + " can not be less than 0");
      }
      const std::int64_t start = int_of(*index, "byteStart"), end = int_of(*index, "byteEnd");
      const auto size = static_cast<std::int64_t>(text.size());
      const auto boundary = [&](std::int64_t at) {
        return at == size || (at < size && !is_continuation(static_cast<unsigned char>(text[static_cast<std::size_t>(at)])));
      };
      if (start >= end || end > size || !boundary(start) || !boundary(end))
        return invalid(path + "/index: herald-sandbox: bytes " + std::to_string(start) + ".." + std::to_string(end) +
                       " are not whole characters of the text's " + std::to_string(size) + " bytes");
      const json::value* features = facet->if_contains("features");
      if (!features) return invalid(path + " must have the property \"features\"");
      if (!features->is_array()) return invalid(path + "/features must be an array");
      for (std::size_t j = 0; j < features->as_array().size(); ++j) {
        const std::string fpath = path + "/features/" + std::to_string(j);
        const json::object* feature = features->as_array()[j].if_object();
        const std::string type = feature ? string_of(*feature, "$type") : "";
        if (type.empty()) return invalid(fpath + " must be an object which includes the \"$type\" property");
        if (type == "app.bsky.richtext.facet#link") {
          if (!feature->contains("uri")) return invalid(fpath + " must have the property \"uri\"");
          if (!is_uri(string_of(*feature, "uri"))) return invalid(fpath + "/uri must be a uri");
        } else if (type == "app.bsky.richtext.facet#tag") {
          if (!feature->contains("tag")) return invalid(fpath + " must have the property \"tag\"");
          const std::string tag = string_of(*feature, "tag");
          if (tag.size() > 640) return invalid(fpath + "/tag must not be longer than 640 characters");
          if (grapheme_count(tag) > 64) return invalid(fpath + "/tag must not be longer than 64 graphemes");
        } else if (type == "app.bsky.richtext.facet#mention") {
          if (!is_did(string_of(*feature, "did"))) return invalid(fpath + "/did must be a valid did");
        }
        // Other types: the union is open, as a PDS reads it.
      }
    }
  }

  // A blob reference: well formed, of an accepted type and size, and one
  // this account uploaded with that type and size.
  auto check_blob = [&](const json::value* value, const std::string& path,
                        std::int64_t max_size) -> std::optional<Refusal> {
    const json::object* blob = value ? value->if_object() : nullptr;
    const json::value* ref = blob ? blob->if_contains("ref") : nullptr;
    const std::string link = ref && ref->is_object() ? string_of(ref->as_object(), "$link") : "";
    if (!blob || string_of(*blob, "$type") != "blob" || link.empty() || !blob->contains("size"))
      return invalid(path + " should be a blob ref");
    const std::string mime = string_of(*blob, "mimeType");
    const std::int64_t size = int_of(*blob, "size");
    if (!mime.starts_with("image/")) return invalid(path + " mimeType (" + mime + ") is not accepted (image/*)");
    if (size > max_size)
      return invalid(path + " is too big (" + std::to_string(size) + " bytes, at most " + std::to_string(max_size) + ")");
    const auto account = blobs_.find(did);
    const Blob* stored = nullptr;
    if (account != blobs_.end())
      if (auto it = account->second.find(link); it != account->second.end()) stored = &it->second;
    if (!stored) return Refusal{400, "BlobNotFound", "Could not find blob: " + link};
    if (stored->mime != mime)
      return Refusal{400, "InvalidMimeType",
                     "Referenced Mimetype does not match stored blob. Expected: " + stored->mime + ", Got: " + mime};
    if (stored->size != size)
      return Refusal{400, "InvalidSize", "Referenced Size does not match stored blob. Expected: " +
                                             std::to_string(stored->size) + ", Got: " + std::to_string(size)};
    return std::nullopt;
  };

  if (const json::value* embed_value = record.if_contains("embed")) {
    const json::object* embed = embed_value->if_object();
    const std::string type = embed ? string_of(*embed, "$type") : "";
    if (type.empty()) return invalid("Record/embed must be an object which includes the \"$type\" property");
    if (type == "app.bsky.embed.images") {
      const json::value* images = embed->if_contains("images");
      if (!images) return invalid("Record/embed must have the property \"images\"");
      if (!images->is_array()) return invalid("Record/embed/images must be an array");
      if (images->as_array().size() > 4) return invalid("Record/embed/images must not have more than 4 elements");
      for (std::size_t i = 0; i < images->as_array().size(); ++i) {
        const std::string path = "Record/embed/images/" + std::to_string(i);
        const json::object* image = images->as_array()[i].if_object();
        if (!image) return invalid(path + " must be an object");
        if (!image->contains("image")) return invalid(path + " must have the property \"image\"");
        if (!image->contains("alt")) return invalid(path + " must have the property \"alt\"");
        if (!image->at("alt").is_string()) return invalid(path + "/alt must be a string");
        if (const json::value* ratio = image->if_contains("aspectRatio")) {
          const json::object* r = ratio->if_object();
          if (!r || int_of(*r, "width") < 1 || int_of(*r, "height") < 1)
            return invalid(path + "/aspectRatio must have integer width and height of at least 1");
        }
        if (auto problem = check_blob(image->if_contains("image"), path + "/image", kImageMaxSize)) return problem;
        image_cids.push_back(string_of(image->at("image").as_object().at("ref").as_object(), "$link"));
      }
    } else if (type == "app.bsky.embed.external") {
      const json::value* external_value = embed->if_contains("external");
      const json::object* external = external_value ? external_value->if_object() : nullptr;
      if (!external) return invalid("Record/embed must have the property \"external\"");
      for (const char* key : {"uri", "title", "description"}) {
        const json::value* v = external->if_contains(key);
        if (!v) return invalid(std::string("Record/embed/external must have the property \"") + key + "\"");
        if (!v->is_string()) return invalid(std::string("Record/embed/external/") + key + " must be a string");
      }
      if (!is_uri(string_of(*external, "uri"))) return invalid("Record/embed/external/uri must be a uri");
      if (external->contains("thumb"))
        if (auto problem = check_blob(external->if_contains("thumb"), "Record/embed/external/thumb", kThumbMaxSize))
          return problem;
    } else {
      return Refusal{400, "InvalidRequest",
                     "herald-sandbox emulates the embeds app.bsky.embed.images and app.bsky.embed.external, not " + type};
    }
  }
  return std::nullopt;
}

// POST com.atproto.repo.createRecord: auth, faults, the record checked as
// the lexicons say, the key's uniqueness and the write points; then stored,
// recorded and answered (unless a fault drops the answer).
void BlueskySandbox::create_record(const httplib::Request& req, httplib::Response& res) {
  auto account = authenticate(req, res);
  if (!account) return;
  auto fault = sandbox_.take_fault("POST", req.path, "/xrpc/com.atproto.repo.createRecord");
  if (answer_fault(sandbox_, fault, res)) return;
  auto body = body_object(req);
  if (!body) return xrpc_error(res, 400, "InvalidRequest", "Request body must be a JSON object");
  for (const char* key : {"repo", "collection", "record"})
    if (!body->contains(key))
      return xrpc_error(res, 400, "InvalidRequest", std::string("Input must have the property \"") + key + "\"");
  const Account* repo = account_by(string_of(*body, "repo"));
  if (!repo) return xrpc_error(res, 403, "AccountNotFound", "Account not found");
  if (repo->did != account->did) return xrpc_error(res, 401, "AuthenticationRequired", "Authentication Required");
  const std::string collection = string_of(*body, "collection");
  if (collection != kCollection)
    return xrpc_error(res, 400, "InvalidRequest", "herald-sandbox emulates app.bsky.feed.post records only");
  const json::object* record_in = body->at("record").if_object();
  if (!record_in) return xrpc_error(res, 400, "InvalidRequest", "Input/record must be an object");
  json::object record = *record_in;
  if (!record.contains("$type")) record["$type"] = collection;
  if (string_of(record, "$type") != collection)
    return xrpc_error(res, 400, "InvalidRequest",
                      "Invalid $type: expected " + collection + ", got " + json::serialize(record["$type"]));

  std::string rkey = string_of(*body, "rkey");
  const bool chosen = body->contains("rkey");
  if (chosen && !is_record_key(rkey)) return xrpc_error(res, 400, "InvalidRequest", "Invalid record key: " + rkey);
  if (chosen && !is_tid(rkey))
    return xrpc_error(res, 400, "InvalidRequest", "Invalid record key for app.bsky.feed.post: must be a valid TID");

  Sandbox::Create create;
  {
    std::lock_guard lock(mutex_);  // validation against the blobs, the key check and the store, as one step
    std::vector<std::string> images;
    if (auto refusal = validate(record, account->did, images))
      return xrpc_error(res, refusal->status, refusal->error, refusal->message);
    // app.bsky.feed.post#replyRef: root and parent, each a
    // com.atproto.repo.strongRef {uri (at-uri), cid}. A PDS checks the
    // shape only: a reply to a post that is gone is stored all the same.
    std::string reply_parent, reply_root;
    if (const json::value* reply_value = record.if_contains("reply")) {
      const json::object* reply = reply_value->if_object();
      if (!reply) return xrpc_error(res, 400, "InvalidRequest", "Invalid app.bsky.feed.post record: Record/reply must be an object");
      for (const char* key : {"root", "parent"}) {
        const std::string path = std::string("Record/reply/") + key;
        const json::value* ref_value = reply->if_contains(key);
        if (!ref_value)
          return xrpc_error(res, 400, "InvalidRequest",
                            std::string("Invalid app.bsky.feed.post record: Record/reply must have the property \"") + key + "\"");
        const json::object* ref = ref_value->if_object();
        if (!ref || !string_of(*ref, "uri").starts_with("at://"))
          return xrpc_error(res, 400, "InvalidRequest", "Invalid app.bsky.feed.post record: " + path + "/uri must be a valid at-uri");
        if (string_of(*ref, "cid").empty())
          return xrpc_error(res, 400, "InvalidRequest", "Invalid app.bsky.feed.post record: " + path + " must have the property \"cid\"");
        (std::string_view(key) == "root" ? reply_root : reply_parent) = string_of(*ref, "uri");
      }
    }
    if (!chosen) {
      // The PDS picks a TID from its clock.
      const auto micros = static_cast<std::uint64_t>(sandbox_.now_ms()) * 1000 + static_cast<std::uint64_t>(++last_id_);
      static constexpr char kAlphabet[] = "234567abcdefghijklmnopqrstuvwxyz";
      std::uint64_t value = (micros & ((std::uint64_t{1} << 53) - 1)) << 10;
      rkey.assign(13, '2');
      for (int i = 12; i >= 0; --i, value >>= 5) rkey[static_cast<std::size_t>(i)] = kAlphabet[value & 0x1F];
    }
    auto& records = records_[account->did];
    if (records.contains(rkey)) {
      if (config_.duplicate_rkey == "record_already_exists")
        return xrpc_error(res, 400, "RecordAlreadyExists", "Record already exists: " + collection + "/" + rkey);
      return xrpc_error(res, 500, "InternalServerError", "Internal Server Error");
    }
    if (!rate(write_windows_[account->did], config_.write_points_per_hour, 3600, kCreatePoints, res)) return;

    const std::string uri = "at://" + account->did + "/" + collection + "/" + rkey;
    const std::string cid = record_cid(json::serialize(record));
    records[rkey] = Record{uri, cid, record, sandbox_.now_ms()};

    create.platform = "bluesky";
    create.account = account->handle;
    create.id = uri;
    create.text = string_of(record, "text");
    create.fields["rkey"] = rkey;
    create.fields["uri"] = uri;
    create.fields["cid"] = cid;
    create.fields["createdAt"] = string_of(record, "createdAt");
    create.in_reply_to = reply_parent;
    if (!reply_root.empty()) create.fields["reply_root"] = reply_root;
    std::string langs;
    if (const json::value* l = record.if_contains("langs"))
      for (const auto& lang : l->as_array()) langs += (langs.empty() ? "" : ",") + std::string(lang.as_string());
    create.fields["langs"] = langs;
    create.fields["facets"] = record.contains("facets") ? json::serialize(record.at("facets")) : "[]";
    create.fields["embed"] = "none";
    json::array alts;
    if (const json::value* e = record.if_contains("embed")) {
      const json::object& embed = e->as_object();
      create.fields["embed"] = string_of(embed, "$type");
      if (const json::value* images_value = embed.if_contains("images")) {
        for (const auto& item : images_value->as_array()) {
          alts.push_back(item.as_object().at("alt"));
          if (const json::value* ratio = item.as_object().if_contains("aspectRatio"))
            create.fields["aspectRatio:" + string_of(item.at("image").as_object().at("ref").as_object(), "$link")] =
                std::to_string(int_of(ratio->as_object(), "width")) + "x" +
                std::to_string(int_of(ratio->as_object(), "height"));
        }
      }
      if (const json::value* external = embed.if_contains("external")) {
        const json::object& card = external->as_object();
        create.fields["card_uri"] = string_of(card, "uri");
        create.fields["card_title"] = string_of(card, "title");
        create.fields["card_description"] = string_of(card, "description");
        create.fields["card_thumb"] = "";
        if (const json::value* thumb = card.if_contains("thumb")) {
          const std::string link = string_of(thumb->as_object().at("ref").as_object(), "$link");
          create.fields["card_thumb"] = link;
          images.push_back(link);
        }
      }
    }
    create.fields["alts"] = json::serialize(alts);
    for (const std::string& blob_cid : images) {
      const Blob& blob = blobs_[account->did][blob_cid];
      create.fields["blob:" + blob_cid] = std::to_string(blob.size) + " bytes " + blob.mime + " fnv1a64 " + blob.hash;
      if (create.fields["card_thumb"] != blob_cid) create.media_ids.push_back(blob_cid);
    }
    for (const char* name : {"Content-Type", "User-Agent"})
      if (req.has_header(name)) create.headers[name] = req.get_header_value(name);
    sandbox_.record(create);
  }
  finish(sandbox_, fault, res,
         json::object{{"uri", create.id},
                       {"cid", create.fields["cid"]},
                       {"commit", json::object{{"cid", record_cid(create.id + "#commit")}, {"rev", create.fields["rkey"]}}},
                       {"validationStatus", "valid"}});
}

// GET com.atproto.repo.getRecord?repo&collection&rkey: public, no auth.
void BlueskySandbox::get_record(const httplib::Request& req, httplib::Response& res) {
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, "/xrpc/com.atproto.repo.getRecord"), res)) return;
  for (const char* key : {"repo", "collection", "rkey"})
    if (!req.has_param(key))
      return xrpc_error(res, 400, "InvalidRequest", std::string("Error: Params must have the property \"") + key + "\"");
  const Account* account = account_by(req.get_param_value("repo"));
  if (!account) return xrpc_error(res, 400, "InvalidRequest", "Could not locate record");
  const std::string collection = req.get_param_value("collection");
  const std::string rkey = req.get_param_value("rkey");
  const std::string uri = "at://" + account->did + "/" + collection + "/" + rkey;
  std::lock_guard lock(mutex_);
  auto repo = records_.find(account->did);
  const Record* record = nullptr;
  if (repo != records_.end() && collection == kCollection)
    if (auto it = repo->second.find(rkey); it != repo->second.end()) record = &it->second;
  if (!record) return xrpc_error(res, 400, "RecordNotFound", "Could not locate record: " + uri);
  send_json(res, 200, json::serialize(json::object{{"uri", record->uri}, {"cid", record->cid}, {"value", record->value}}));
}

namespace {
// The repo (a DID or a handle) and the record key of an app.bsky.feed.post
// AT-URI; nullopt for anything else.
std::optional<std::pair<std::string, std::string>> post_uri_parts(std::string_view uri) {
  const std::string prefix = std::string("/") + kCollection + "/";
  if (!uri.starts_with("at://")) return std::nullopt;
  uri.remove_prefix(5);
  const auto slash = uri.find('/');
  if (slash == std::string_view::npos || uri.substr(slash, prefix.size()) != prefix) return std::nullopt;
  return std::pair{std::string(uri.substr(0, slash)), std::string(uri.substr(slash + prefix.size()))};
}
}  // namespace

// Deleted by its author in a Bluesky app (com.atproto.repo.deleteRecord):
// gone from the repo, so from getRecord and the AppView's views.
void BlueskySandbox::remove_post(const std::string& id) {
  auto parts = post_uri_parts(id);
  if (!parts) return;
  const Account* account = account_by(parts->first);
  std::lock_guard lock(mutex_);
  if (auto repo = records_.find(account ? account->did : parts->first); repo != records_.end())
    repo->second.erase(parts->second);
}

// GET app.bsky.feed.getPosts?uris=...: the AppView's views of the posts it
// has, in the order asked; the others are left out.
void BlueskySandbox::get_posts(const httplib::Request& req, httplib::Response& res) {
  auto caller = authenticate(req, res);
  if (!caller) return;
  if (answer_fault(sandbox_, sandbox_.take_fault("GET", req.path, "/xrpc/app.bsky.feed.getPosts"), res)) return;
  const std::size_t count = req.get_param_value_count("uris");
  if (count == 0) return xrpc_error(res, 400, "InvalidRequest", "Error: Params must have the property \"uris\"");
  if (count > 25) return xrpc_error(res, 400, "InvalidRequest", "Error: uris must not have more than 25 elements");
  const std::int64_t now = sandbox_.now_ms();
  json::array posts;
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string uri = req.get_param_value("uris", i);
    auto parts = post_uri_parts(uri);
    if (!parts) return xrpc_error(res, 400, "InvalidRequest", "Error: uris/" + std::to_string(i) + " must be a valid at-uri");
    const Account* author = account_by(parts->first);
    if (!author) continue;
    auto repo = records_.find(author->did);
    if (repo == records_.end()) continue;
    auto it = repo->second.find(parts->second);
    if (it == repo->second.end()) continue;
    const Record& record = it->second;
    Engagement e = engagement_after(now - record.created_ms);
    // Real replies count too.
    for (const auto& [did, records] : records_)
      for (const auto& [key, other] : records) {
        const json::value* reply = other.value.if_contains("reply");
        const json::value* parent = reply && reply->is_object() ? reply->as_object().if_contains("parent") : nullptr;
        if (parent && parent->is_object() && string_of(parent->as_object(), "uri") == record.uri) ++e.replies;
      }
    const auto at = std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(record.created_ms));
    posts.push_back(json::object{{"uri", record.uri},
                                 {"cid", record.cid},
                                 {"author", json::object{{"did", author->did}, {"handle", author->handle}}},
                                 {"record", record.value},
                                 {"replyCount", e.replies},
                                 {"repostCount", e.shares},
                                 {"likeCount", e.likes},
                                 {"quoteCount", e.quotes},
                                 {"indexedAt", date::format("%FT%TZ", at)},
                                 {"labels", json::array{}}});
  }
  send_json(res, 200, json::serialize(json::object{{"posts", std::move(posts)}}));
}

// POST com.atproto.repo.uploadBlob: the raw bytes with their Content-Type.
void BlueskySandbox::upload_blob(const httplib::Request& req, httplib::Response& res) {
  auto account = authenticate(req, res);
  if (!account) return;
  auto fault = sandbox_.take_fault("POST", req.path, "/xrpc/com.atproto.repo.uploadBlob");
  if (answer_fault(sandbox_, fault, res)) return;
  const std::string declared = req.get_header_value("Content-Type");
  if (declared.empty())
    return xrpc_error(res, 400, "InvalidRequest", "Request encoding (Content-Type) required but not provided");
  if (static_cast<std::int64_t>(req.body.size()) > config_.blob_upload_limit)
    return xrpc_error(res, 413, "PayloadTooLarge", "request entity too large");
  const std::string mime = sniffed_mime(req.body, declared.substr(0, declared.find(';')));
  const std::string link = blob_cid(req.body);
  const auto size = static_cast<std::int64_t>(req.body.size());
  {
    std::lock_guard lock(mutex_);
    blobs_[account->did][link] = Blob{mime, size, fnv1a64_hex(req.body)};
  }
  finish(sandbox_, fault, res,
         json::object{{"blob", json::object{{"$type", "blob"},
                                            {"ref", json::object{{"$link", link}}},
                                            {"mimeType", mime},
                                            {"size", size}}}});
}

// A test aid, not Bluesky's: a page with the og: tags the query names
// (title, description, image), HTML-escaped as a site would write them.
void BlueskySandbox::page(const httplib::Request& req, httplib::Response& res) {
  std::string html = "<!DOCTYPE html>\n<html><head>\n<meta charset=\"utf-8\">\n<title>herald-sandbox page</title>\n";
  for (const char* key : {"title", "description", "image"})
    if (req.has_param(key))
      html += "<meta property=\"og:" + std::string(key) + "\" content=\"" + html_escape(req.get_param_value(key)) +
              "\">\n";
  html += "</head><body><p>A page for link cards.</p></body></html>\n";
  res.status = 200;
  res.set_content(html, "text/html; charset=utf-8");
}

// A test aid: a PNG header of width x height padded to `bytes` bytes.
void BlueskySandbox::image(const httplib::Request& req, httplib::Response& res) {
  const auto bytes = parse_int(req.has_param("bytes") ? req.get_param_value("bytes") : "2000").value_or(2000);
  const auto width = parse_int(req.has_param("width") ? req.get_param_value("width") : "1200").value_or(1200);
  const auto height = parse_int(req.has_param("height") ? req.get_param_value("height") : "630").value_or(630);
  std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  for (std::int64_t side : {width, height})
    for (int shift = 24; shift >= 0; shift -= 8) png += static_cast<char>((side >> shift) & 0xFF);
  png += std::string("\x08\x02\0\0\0", 5);
  while (static_cast<std::int64_t>(png.size()) < bytes) png += static_cast<char>(png.size() * 7);
  res.status = 200;
  res.set_content(png, "image/png");
}

BlueskySandboxConfig load_bluesky_sandbox_config(const YAML::Node& node, const std::string& file) {
  BlueskySandboxConfig config;
  reject_unknown_keys(node,
                      {"accounts", "access_jwt_seconds", "refresh_jwt_seconds", "refresh_grace_seconds",
                       "blob_upload_limit", "duplicate_rkey", "session_limit", "session_window_seconds",
                       "write_points_per_hour"},
                      file);
  auto whole = [&](const char* key, std::int64_t& field, std::int64_t minimum) {
    if (const YAML::Node value = node[key]) {
      const auto n = parse_int(value.as<std::string>());
      if (!n || *n < minimum)
        config_error(value, file, std::string(key) + " must be a whole number >= " + std::to_string(minimum));
      field = *n;
    }
  };
  whole("access_jwt_seconds", config.access_jwt_seconds, 1);
  whole("refresh_jwt_seconds", config.refresh_jwt_seconds, 1);
  whole("refresh_grace_seconds", config.refresh_grace_seconds, 0);
  whole("blob_upload_limit", config.blob_upload_limit, 1);
  whole("session_limit", config.session_limit, 1);
  whole("session_window_seconds", config.session_window_seconds, 1);
  whole("write_points_per_hour", config.write_points_per_hour, kCreatePoints);
  if (const YAML::Node duplicate = node["duplicate_rkey"]) {
    config.duplicate_rkey = duplicate.as<std::string>();
    if (config.duplicate_rkey != "internal_server_error" && config.duplicate_rkey != "record_already_exists")
      config_error(duplicate, file, "duplicate_rkey is internal_server_error or record_already_exists");
  }
  if (const YAML::Node accounts = node["accounts"]) {
    if (!accounts.IsSequence()) config_error(accounts, file, "accounts must be a list");
    for (const auto& a : accounts) {
      reject_unknown_keys(a, {"handle", "did", "app_password"}, file);
      for (const char* key : {"handle", "did", "app_password"})
        if (!a[key] || a[key].as<std::string>().empty())
          config_error(a, file, std::string("an account needs '") + key + "'");
      BlueskySandboxConfig::Account account{a["handle"].as<std::string>(), a["did"].as<std::string>(),
                                            a["app_password"].as<std::string>()};
      if (!std::regex_match(account.did, std::regex(R"(did:(plc|web):[a-z0-9.:%-]+)")))
        config_error(a["did"], file, "did must be did:plc:... or did:web:...");
      if (account.handle.find('.') == std::string::npos)
        config_error(a["handle"], file, "a handle is a domain name such as example.bsky.social");
      config.accounts.push_back(std::move(account));
    }
  }
  return config;
}

}  // namespace herald
