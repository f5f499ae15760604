#pragma once
// Reading a Bluesky PDS's XRPC answers (atproto.com/specs/xrpc): pure
// functions from an HttpResponse to what it means for a publish.
//
// An XRPC error is a non-2xx status with the body {"error": NAME,
// "message": WORDS}. Rate limits (docs.bsky.app, "Rate Limits") come as 429
// with the IETF draft headers RateLimit-Limit, -Remaining, -Policy and
// -Reset, the last in Unix seconds. Session tokens are JWTs whose payload's
// `exp` says when they stop working.

#include "config/local_time.hpp"
#include "connectors/connector.hpp"
#include "connectors/http_client.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

/// The error body of an XRPC answer; both empty when the body is not one.
struct XrpcError {
  std::string error;    ///< InvalidRequest, ExpiredToken, RecordNotFound, ...
  std::string message;  ///< the server's words
};

/// The {"error","message"} of `response`, as sent (possibly empty).
XrpcError xrpc_error(const HttpResponse& response);

/// How long to wait: `ratelimit-reset` (Unix seconds), else `Retry-After`;
/// 0s for a time already past; nullopt when neither header parses.
std::optional<std::chrono::seconds> bluesky_wait(const HttpResponse& response, Instant now);

/// Whether the PDS refused the access token itself (ExpiredToken or
/// InvalidToken, which a PDS answers with 400, or 401 with those names): a
/// renewed session may succeed where this one did not.
bool token_refused(const HttpResponse& response);

/// "Bluesky: WORDS (HTTP 400, NAME)": the server's message, one line, cut
/// to kMaxMessage bytes, never the body wholesale.
std::string describe_xrpc(const HttpResponse& response);

/// What a non-2xx answer (or no answer) means for the request it answers;
/// nullopt for a 2xx. No answer, 429 (with bluesky_wait) and 5xx are
/// RetryLater; 401, and a token still refused (token_refused), AuthFailed;
/// any other 4xx Failed with the server's words. A create's caller turns a
/// lost answer or a 5xx into Unsure itself.
std::optional<PublishResult> classify_xrpc(const HttpResponse& response, Instant now);

/// The `exp` claim of a JWT (its payload is base64url JSON); nullopt when
/// the token is not a JWT or has no numeric exp. The signature is not
/// checked: only the PDS can, and it does.
std::optional<Instant> jwt_expiry(std::string_view jwt);

}  // namespace herald
