#include "connectors/json_fields.hpp"
#include "connectors/form_encoding.hpp"
#include "connectors/x/x_connector.hpp"

#include "compose/public_url.hpp"
#include "connectors/counters.hpp"
#include "connectors/http_result.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

namespace herald {
namespace {
namespace json = boost::json;

constexpr const char* kDefaultBase = "https://api.x.com";
constexpr const char* kTokenPath = "/2/oauth2/token";

std::string trimmed_base(std::string_view api_base) {
  std::string base(api_base.empty() ? std::string_view(kDefaultBase) : api_base);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

std::string join_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

}  // namespace

bool x_text_matches(std::string_view posted, std::string_view composed, bool with_media) {
  if (posted == composed) return true;
  if (!with_media) return false;
  // X ends the text of a post with media with the media's t.co link.
  constexpr std::string_view kLink = "https://t.co/";
  if (composed.empty()) return posted.starts_with(kLink);
  return posted.size() > composed.size() + 1 + kLink.size() && posted.starts_with(composed) &&
         posted.substr(composed.size()).starts_with(" " + std::string(kLink));
}

namespace {
// Whether a post (with tweet.fields=referenced_tweets) replies to `parent`.
bool x_replies_to(const json::object& post, const std::string& parent) {
  const auto* refs = post.if_contains("referenced_tweets");
  if (!refs || !refs->is_array()) return false;
  for (const auto& ref : refs->get_array()) {
    const auto* r = ref.if_object();
    if (r && member_string(*r, "type") == "replied_to" && member_string(*r, "id") == parent) return true;
  }
  return false;
}
}  // namespace

struct XConnector::Create {
  std::string id;                       ///< set when X accepted the post
  std::optional<PublishResult> error;   ///< set otherwise
};

// Media ids already uploaded for a delivery (key + file), so that a retry of
// the same delivery after a failed post does not upload the files again.
// Guarded: publish may run on several worker threads.
struct XConnector::UploadCache {
  struct Entry {
    std::string media_id;
    Instant usable_until;
  };
  std::mutex mutex;
  std::map<std::string, Entry> entries;
};

XCredentials x_credentials(const Credentials& file) {
  XCredentials out;
  if (auto user = file.find("user_id")) out.user_id = user->reveal();
  if (auto client_id = file.find("client_id")) {
    out.oauth2 = XOAuth2Credentials{client_id->reveal(), file.find("client_secret"), file.at("refresh_token")};
    return out;
  }
  out.oauth.consumer_key = file.at("consumer_key").reveal();
  out.oauth.consumer_secret = file.at("consumer_secret");
  out.oauth.token = file.at("access_token").reveal();
  out.oauth.token_secret = file.at("access_token_secret");
  return out;
}

std::string x_token_url(std::string_view api_base) { return trimmed_base(api_base) + kTokenPath; }

PublishResult x_token_problem(const TokenError& error, const std::string& credential) {
  // X does not say invalid_grant for a dead refresh token: it answers 400
  // invalid_request "Value passed for the token was invalid.". Our request
  // is well formed, so invalid_request means the grant is gone; waiting
  // will not bring it back.
  if (error.error == "invalid_request") {
    std::string words = error.error;
    if (!error.description.empty()) words += ": " + error.description;
    return AuthFailed{"X: refresh token rejected (" + words + "); authorize again and replace refresh_token in credential '" +
                      credential + "'"};
  }
  std::string message = describe_token_error(error, "X", credential);
  if (error.auth_failed) return AuthFailed{std::move(message)};
  return RetryLater{std::nullopt, std::move(message)};
}

std::string random_nonce() {
  std::random_device device;
  std::uniform_int_distribution<int> digit(0, 15);
  std::string out;
  for (int i = 0; i < 32; ++i) out += "0123456789abcdef"[digit(device)];
  return out;
}

XConnector::XConnector(ChannelSettings channel, XCredentials credentials, HttpClient& http, NonceSource nonce,
                       Clock clock, Sleeper sleep, XMediaOptions media)
    : XConnector(std::move(channel), std::move(credentials), http, static_cast<ConnectorState*>(nullptr),
                 std::move(nonce), std::move(clock), std::move(sleep), media) {}

XConnector::XConnector(ChannelSettings channel, XCredentials credentials, HttpClient& http, ConnectorState& state,
                       NonceSource nonce, Clock clock, Sleeper sleep, XMediaOptions media)
    : XConnector(std::move(channel), std::move(credentials), http, &state, std::move(nonce), std::move(clock),
                 std::move(sleep), media) {}

XConnector::XConnector(ChannelSettings channel, XCredentials credentials, HttpClient& http, ConnectorState* state,
                       NonceSource nonce, Clock clock, Sleeper sleep, XMediaOptions media)
    : channel_(std::move(channel)),
      credentials_(std::move(credentials)),
      http_(http),
      nonce_(std::move(nonce)),
      clock_(std::move(clock)),
      sleep_(std::move(sleep)),
      media_options_(media),
      base_(trimmed_base(channel_.api_base)),
      credential_name_(channel_.credentials.empty() ? channel_.name : channel_.credentials),
      uploads_(std::make_unique<UploadCache>()) {
  if (!sleep_) sleep_ = [](std::chrono::seconds wait) { std::this_thread::sleep_for(wait); };
  if (credentials_.oauth2) {
    if (state == nullptr) {
      throw std::invalid_argument("X: credential '" + credential_name_ +
                                  "' holds OAuth 2.0 keys; its rotating refresh token needs the connector state");
    }
    XOAuth2Credentials& oauth2 = *credentials_.oauth2;
    // X's confidential clients authenticate with HTTP Basic; a public client
    // has no secret and sends client_id alone.
    session_ = std::make_unique<OAuth2Session>(x_token_url(channel_.api_base), oauth2.client_id, oauth2.client_secret,
                                               oauth2.refresh_token, *state, refresh_token_state_key(credential_name_),
                                               http_, clock_, ClientAuth::http_basic);
  }
}

XConnector::~XConnector() = default;
XConnector::XConnector(XConnector&&) noexcept = default;

std::string XConnector::oauth1_header(std::string_view method, std::string_view url) {
  // A JSON or multipart body is not part of the OAuth 1.0a signature; the
  // URL's query is.
  const std::int64_t timestamp = clock_().time_since_epoch().count();
  return oauth1_authorization(method, url, {}, credentials_.oauth, nonce_(), timestamp);
}

// With OAuth 2.0 a 401 means the access token died before we expected
// (revoked, or X's clock disagrees with ours): refresh once and send again;
// a second 401 is the answer. Nothing was created by a 401, so the resend
// cannot duplicate a post.
XSent XConnector::send(const HttpRequest& request) {
  for (int attempt = 0;; ++attempt) {
    HttpRequest authorized = request;
    if (!session_) {
      authorized.headers.emplace_back("Authorization", oauth1_header(request.method, request.url));
      return {http_.send(authorized), std::nullopt};
    }
    auto token = session_->access_token();
    if (const auto* error = std::get_if<TokenError>(&token)) return {{}, x_token_problem(*error, credential_name_)};
    authorized.headers.emplace_back("Authorization", "Bearer " + std::get<Secret>(token).reveal());
    HttpResponse response = http_.send(authorized);
    if (response.status == 401 && attempt == 0) {
      session_->invalidate();
      continue;
    }
    return {std::move(response), std::nullopt};
  }
}

XConnector::Create XConnector::create(const std::string& text, const std::string& in_reply_to,
                                     const std::vector<std::string>& media_ids) {
  json::object body;
  // X takes a post of media alone; "text" then stays out.
  if (!text.empty() || media_ids.empty()) body["text"] = text;
  if (!in_reply_to.empty()) body["reply"] = json::object{{"in_reply_to_tweet_id", in_reply_to}};
  if (!media_ids.empty()) {
    json::array ids;
    for (const auto& id : media_ids) ids.emplace_back(id);
    body["media"] = json::object{{"media_ids", std::move(ids)}};
  }
  HttpRequest request;
  request.method = "POST";
  request.url = base_ + "/2/tweets";
  request.body = json::serialize(body);
  request.content_type = "application/json";
  XSent sent = send(request);
  // No access token: nothing went out.
  if (sent.auth_problem) return {{}, std::move(sent.auth_problem)};
  const HttpResponse& response = sent.response;

  // The request may have reached X before the connection failed: the post may
  // exist, so this is never a plain retry.
  if (!response.error.empty()) return {{}, Unsure{"X: no answer to the create: " + response.error}};
  if (auto problem = classify_x(response, clock_())) return {{}, create_outcome(response, std::move(*problem))};

  std::string id;
  if (auto value = parse_json(response.body); value && value->is_object()) {
    if (const auto* data = value->get_object().if_contains("data"); data && data->is_object()) {
      id = member_string(data->get_object(), "id");
    }
  }
  if (id.empty()) {
    return {{}, Unsure{"X: answered " + std::to_string(response.status) + " to the create without a post id"}};
  }
  return {std::move(id), std::nullopt};
}

std::optional<PublishResult> XConnector::upload_media(const PublishRequest& request, std::vector<std::string>& ids) {
  XMediaUploadContext context{base_,
                              [this](const HttpRequest& r) { return send(r); },
                              clock_,
                              sleep_,
                              media_options_,
                              [this] { return "herald-" + nonce_(); }};
  {
    // Ids past their use-by time are of no use to any retry.
    std::lock_guard lock(uploads_->mutex);
    std::erase_if(uploads_->entries, [now = clock_()](const auto& entry) { return entry.second.usable_until <= now; });
  }
  for (const auto& file : request.composed.media) {
    const std::string cache_key = request.key + '\n' + file.string();
    {
      std::lock_guard lock(uploads_->mutex);
      auto it = uploads_->entries.find(cache_key);
      if (it != uploads_->entries.end() && it->second.usable_until > clock_()) {
        ids.push_back(it->second.media_id);
        continue;
      }
    }
    XUploaded uploaded = upload_x_media(file, context);
    if (uploaded.error) return std::move(uploaded.error);
    // Keep a minute's margin before X's expiry: the post still has to go out.
    const Instant until = clock_() + std::chrono::seconds(uploaded.expires_after_secs) - std::chrono::seconds(60);
    {
      std::lock_guard lock(uploads_->mutex);
      uploads_->entries[cache_key] = {uploaded.media_id, until};
    }
    ids.push_back(std::move(uploaded.media_id));
  }
  return std::nullopt;
}

// A first comment is a reply to the post, made as a thread's replies are
// (POST /2/tweets with reply.in_reply_to_tweet_id,
// https://docs.x.com/x-api/posts/creation-of-a-post): its text alone.
PublishResult XConnector::publish_reply(const PublishRequest& request) {
  const CommentOn& on = *request.comment_on;
  if (on.remote_id.empty()) return Failed{"X: the post this comment goes under has no recorded post id"};
  Create reply = create(request.composed.text, on.remote_id, {});
  if (!reply.error) return Published{reply.id, x_status_url(channel_.account, reply.id)};
  // X's 403 for a reply to a post that is deleted or not visible ("You
  // attempted to reply to a Tweet that is deleted or not visible to you.").
  if (const auto* failed = std::get_if<Failed>(&*reply.error);
      failed && failed->message.find("deleted or not visible") != std::string::npos) {
    return Failed{"X: the post this comment goes under is gone (post " + on.remote_id + "): " + failed->message};
  }
  return std::move(*reply.error);
}

PublishResult XConnector::publish(const PublishRequest& request) {
  if (request.comment_on) return publish_reply(request);
  const Composed& composed = request.composed;

  std::vector<std::string> media_ids;
  if (auto problem = upload_media(request, media_ids)) return std::move(*problem);

  Create first = create(composed.text, {}, media_ids);
  // Once the post exists or can never go out with these ids, forget them; a
  // RetryLater or Unsure keeps them for the next attempt of this delivery.
  const bool keep_uploads =
      first.error && (std::holds_alternative<RetryLater>(*first.error) || std::holds_alternative<Unsure>(*first.error));
  if (!media_ids.empty() && !keep_uploads) {
    std::lock_guard lock(uploads_->mutex);
    for (const auto& file : composed.media) uploads_->entries.erase(request.key + '\n' + file.string());
  }
  if (first.error) return std::move(*first.error);

  // Each reply answers the one before. Once the first post is out, any later
  // failure is Failed with what went out: neither a retry (it would post the
  // thread again) nor Published (the thread is incomplete) is right.
  std::vector<std::string> ids{first.id};
  const std::size_t total = composed.thread.size() + 1;
  for (const auto& reply : composed.thread) {
    Create next = create(reply, ids.back(), {});
    if (next.error) {
      return Failed{"X thread incomplete: " + std::to_string(ids.size()) + " of " + std::to_string(total) +
                    " posts went out (ids " + join_ids(ids) + "); post " + std::to_string(ids.size() + 1) +
                    ": " + message_of(*next.error)};
    }
    ids.push_back(std::move(next.id));
  }
  return Published{first.id, x_status_url(channel_.account, first.id)};
}

LookupResult XConnector::lookup(const PublishRequest& request) {
  if (credentials_.user_id.empty()) return Unknown{"no user_id in the credentials"};
  // A first comment is one of the account's own posts too: the reply among
  // them whose referenced_tweets say it replied to the post
  // (tweet.fields=referenced_tweets, docs.x.com/x-api/fundamentals/data-dictionary).
  const std::string* replied_to = request.comment_on ? &request.comment_on->remote_id : nullptr;
  const std::string url = base_ + "/2/users/" + percent_encode(credentials_.user_id) + "/tweets?max_results=100" +
                          (replied_to ? "&tweet.fields=referenced_tweets" : "");
  XSent sent = send(HttpRequest{"GET", url, {}, {}, {}});
  if (sent.auth_problem) return Unknown{message_of(*sent.auth_problem)};
  const HttpResponse& response = sent.response;
  if (!response.error.empty()) return Unknown{"X: timeline read failed: " + response.error};
  if (auto problem = classify_x(response, clock_())) return Unknown{message_of(*problem)};

  auto value = parse_json(response.body);
  if (!value || !value->is_object()) return Unknown{"X: timeline answer is not JSON"};
  const json::object& root = value->get_object();
  if (const auto* data = root.if_contains("data")) {
    if (!data->is_array()) return Unknown{"X: timeline answer has no post list"};
    for (const auto& item : data->get_array()) {
      const auto* post = item.if_object();
      if (!post || !x_text_matches(member_string(*post, "text"), request.composed.text,
                                   !replied_to && !request.composed.media.empty())) {
        continue;
      }
      if (replied_to && !x_replies_to(*post, *replied_to)) continue;
      std::string id = member_string(*post, "id");
      if (id.empty()) continue;
      return Found{id, x_status_url(channel_.account, id)};
    }
  }
  // Only a complete page proves absence: with more posts beyond these 100,
  // the post may be further back.
  if (const auto* meta = root.if_contains("meta"); meta && meta->is_object()) {
    if (!member_string(meta->get_object(), "next_token").empty()) {
      return Unknown{"X: not among the last 100 posts"};
    }
  }
  return Absent{};
}

// Post lookup by id with public_metrics (docs.x.com/x-api/posts/post-lookup-by-post-ids,
// developer.x.com/en/docs/x-api/metrics). X answers an id it does not have
// (deleted, or never made) with 200: `errors` holds a "Not Found Error" for
// it and `data` does not hold it. A read changes nothing, so even a 5xx here
// is only RetryLater.
CountersResult XConnector::read_counters(const CountersRequest& request) {
  const std::string& id = request.remote_id;
  if (id.empty()) return Failed{"X: no post id was recorded for " + request.key};
  XSent sent = send(HttpRequest{
      "GET", base_ + "/2/tweets?ids=" + percent_encode(id) + "&tweet.fields=public_metrics", {}, {}, {}});
  if (sent.auth_problem) return counters_problem(std::move(*sent.auth_problem));
  const HttpResponse& response = sent.response;
  if (auto problem = classify_x(response, clock_())) return counters_problem(std::move(*problem));

  auto value = parse_json(response.body);
  if (!value || !value->is_object()) return RetryLater{std::nullopt, "X: the post lookup answer is not JSON"};
  const json::object& root = value->get_object();
  if (const auto* data = root.if_contains("data"); data && data->is_array()) {
    for (const auto& item : data->get_array()) {
      const auto* post = item.if_object();
      if (!post || member_string(*post, "id") != id) continue;
      const json::object* metrics = member_object(*post, "public_metrics");
      if (!metrics) return Failed{"X: post " + id + " came back without public_metrics"};
      Counters out;
      append_counters(out.values, *metrics,
                      {{"impression_count", metric::views},
                       {"like_count", metric::likes},
                       {"retweet_count", metric::shares},
                       {"quote_count", metric::shares},
                       {"reply_count", metric::replies},
                       {"bookmark_count", ""}});
      return out;
    }
  }
  if (const auto* errors = root.if_contains("errors"); errors && errors->is_array()) {
    for (const auto& item : errors->get_array()) {
      const auto* error = item.if_object();
      if (!error) continue;
      const std::string words = clean_words(member_string(*error, "detail").empty() ? member_string(*error, "title")
                                                                                  : member_string(*error, "detail"));
      // Another kind of error (an "Authorization Error" for a post of a
      // protected or suspended account) is X refusing this read.
      if (member_string(*error, "title") == "Not Found Error") return Gone{"X: " + words};
      return Failed{"X: " + words};
    }
  }
  return RetryLater{std::nullopt, "X: the post lookup answer has neither post " + id + " nor an error about it"};
}

}  // namespace herald
