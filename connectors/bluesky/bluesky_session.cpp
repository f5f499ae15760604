#include "connectors/bluesky/bluesky_session.hpp"
#include "config/text.hpp"

#include "connectors/bluesky/xrpc.hpp"
#include "connectors/json_fields.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <exception>
#include <utility>

// Lexicons (github.com/bluesky-social/atproto, lexicons/com/atproto/server/):
//  - createSession: input {identifier, password}, output {accessJwt,
//    refreshJwt, handle, did, ...}; a wrong identifier or password is 401
//    AuthenticationRequired "Invalid identifier or password" (the reference
//    PDS, packages/pds/src/account-manager), a taken-down account 401
//    AccountTakedown. Rate-limited to 30 per 5 minutes and 300 per day per
//    account (docs.bsky.app, "Rate Limits").
//  - refreshSession: no input, `Authorization: Bearer <refreshJwt>`, the
//    same output with a new refresh JWT; errors ExpiredToken (expired, or
//    "Token has been revoked" once a used one's grace period is over),
//    InvalidToken, AccountTakedown.
// The reference PDS answers a refused token with 400 (InvalidRequestError)
// and the names ExpiredToken / InvalidToken; both count as "refused" here.

namespace herald {
namespace {
namespace json = boost::json;

}  // namespace

std::string bluesky_refresh_state_key(const std::string& handle) { return "bluesky:" + ascii_lower(handle) + ":refresh_jwt"; }

BlueskySession::BlueskySession(std::string base, std::string handle, Secret app_password, std::string credential,
                               ConnectorState& state, HttpClient& http, Clock clock)
    : base_(std::move(base)),
      handle_(std::move(handle)),
      app_password_(std::move(app_password)),
      credential_(std::move(credential)),
      state_(state),
      http_(http),
      clock_(std::move(clock)) {}

std::string BlueskySession::did() const {
  std::lock_guard lock(mutex_);
  return did_;
}

void BlueskySession::invalidate(const Secret& access_jwt) {
  std::lock_guard lock(mutex_);
  if (access_jwt_ && *access_jwt_ == access_jwt) access_jwt_.reset();
}

std::variant<BlueskySession::Access, PublishResult> BlueskySession::access() {
  std::lock_guard lock(mutex_);
  if (access_jwt_ && access_expires_ - clock_() > kExpiryMargin) return Access{*access_jwt_, did_};
  access_jwt_.reset();

  // The newest refresh JWT: one this process could not store, else the stored one.
  std::optional<Secret> refresh = unsaved_refresh_;
  if (!refresh) {
    try {
      if (auto stored = state_.get(bluesky_refresh_state_key(handle_)); stored && !stored->empty())
        refresh = Secret(std::move(*stored));
    } catch (const std::exception& e) {
      return RetryLater{std::nullopt, std::string("Bluesky: cannot read the stored session: ") + e.what()};
    }
  }
  if (refresh) {
    PublishResult problem = RetryLater{};
    switch (refresh_locked(*refresh, problem)) {
      case Refreshed::ok: return Access{*access_jwt_, did_};
      case Refreshed::failed: return problem;
      case Refreshed::refused: break;  // log in again below
    }
  }
  if (auto problem = create_locked()) return std::move(*problem);
  return Access{*access_jwt_, did_};
}

BlueskySession::Refreshed BlueskySession::refresh_locked(const Secret& refresh_jwt, PublishResult& problem) {
  HttpRequest request;
  request.method = "POST";
  request.url = base_ + "/xrpc/com.atproto.server.refreshSession";
  request.headers.emplace_back("Authorization", "Bearer " + refresh_jwt.reveal());
  const HttpResponse response = http_.send(request);
  // Nothing a retry could duplicate: trouble on the way is "later", and the
  // refresh JWT is kept (the PDS may never have seen it).
  if (!response.error.empty()) {
    problem = RetryLater{std::nullopt, "Bluesky: no answer to renewing the session (" + response.error + ")"};
    return Refreshed::failed;
  }
  if (response.status >= 200 && response.status < 300) {
    if (auto adopted = adopt_locked(response, "refreshSession")) {
      problem = std::move(*adopted);
      return Refreshed::failed;
    }
    return Refreshed::ok;
  }
  if (response.status == 429 || response.status >= 500) {
    problem = RetryLater{bluesky_wait(response, clock_()), "Bluesky: renewing the session: " + describe_xrpc(response)};
    return Refreshed::failed;
  }
  // Expired, revoked or not a refresh token: it is of no more use.
  unsaved_refresh_.reset();
  try {
    state_.erase(bluesky_refresh_state_key(handle_));
  } catch (const std::exception&) {
    // A stale entry is refused again next time and erased then.
  }
  return Refreshed::refused;
}

std::optional<PublishResult> BlueskySession::create_locked() {
  HttpRequest request;
  request.method = "POST";
  request.url = base_ + "/xrpc/com.atproto.server.createSession";
  request.content_type = "application/json";
  request.body = json::serialize(json::object{{"identifier", handle_}, {"password", app_password_.reveal()}});
  const HttpResponse response = http_.send(request);
  if (!response.error.empty())
    return RetryLater{std::nullopt, "Bluesky: no answer to logging in as " + handle_ + " (" + response.error + ")"};
  if (response.status >= 200 && response.status < 300) return adopt_locked(response, "createSession");
  if (response.status == 429) {
    return RetryLater{bluesky_wait(response, clock_()),
                      "Bluesky: logging in as " + handle_ +
                          " is rate-limited (createSession: 30 per 5 minutes, 300 per day): " + describe_xrpc(response)};
  }
  if (response.status >= 500)
    return RetryLater{bluesky_wait(response, clock_()), "Bluesky: logging in as " + handle_ + ": " + describe_xrpc(response)};
  // 401 "Invalid identifier or password", AccountTakedown, a malformed
  // handle: only an operator can mend it.
  return AuthFailed{"Bluesky: logging in as " + handle_ + " was refused: " + describe_xrpc(response) +
                    "; check the channel's handle, and create an app password (Settings > Privacy and security > "
                    "App passwords) for credential '" + credential_ + "' (key app_password)"};
}

std::optional<PublishResult> BlueskySession::adopt_locked(const HttpResponse& response, const char* what) {
  auto body = parse_json(response.body);
  const json::object* o = body ? body->if_object() : nullptr;
  std::string access = o ? member_string(*o, "accessJwt") : "";
  std::string refresh = o ? member_string(*o, "refreshJwt") : "";
  std::string did = o ? member_string(*o, "did") : "";
  if (access.empty() || refresh.empty() || !did.starts_with("did:"))
    return RetryLater{std::nullopt, std::string("Bluesky: the answer to ") + what + " has no accessJwt, refreshJwt and did"};
  // Durable before the access JWT is used: the refresh JWT just spent stops
  // working soon, and a restart must find the new one.
  try {
    state_.put(bluesky_refresh_state_key(handle_), refresh);
    unsaved_refresh_.reset();
  } catch (const std::exception& e) {
    unsaved_refresh_ = Secret(std::move(refresh));
    return RetryLater{std::nullopt, std::string("Bluesky: cannot store the session's refresh token: ") + e.what()};
  }
  access_expires_ = jwt_expiry(access).value_or(clock_() + kUnknownLifetime);
  access_jwt_ = Secret(std::move(access));
  did_ = std::move(did);
  return std::nullopt;
}

}  // namespace herald
