#pragma once
// What an HTTP answer means for the dispatcher (DESIGN.md "Publishing
// semantics"): pure functions from an HttpResponse to the PublishResult
// classes, one per platform family, and the shared reading of rate-limit
// headers. A 2xx is not judged here: the connector reads its body.
//
// Shared rules: a transport error, 429 or 5xx is RetryLater; 401 is
// AuthFailed; other 4xx are Failed. Each family then refines by its error
// body. Messages quote the platform's error text (never the body wholesale,
// never request headers); they are cut to kMaxMessage bytes.

#include "config/local_time.hpp"
#include "connectors/connector.hpp"
#include "connectors/http_client.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

/// Longest platform message kept in a result.
inline constexpr std::size_t kMaxMessage = 500;

/// A platform's words made safe to show in a result: one line, no markup,
/// at most kMaxMessage bytes (cut on a UTF-8 boundary, then "...").
std::string clean_words(std::string_view words);

/// How long the platform asked us to wait, from the response headers, first
/// match wins:
///  1. `Retry-After` (RFC 9110 10.2.3): delay-seconds or an HTTP-date;
///  2. `x-rate-limit-reset` (X): epoch seconds when the window resets;
///  3. `X-Business-Use-Case-Usage` (Facebook): the largest
///     `estimated_time_to_regain_access`, in minutes.
/// A time already past gives 0s. Unparseable values are ignored.
std::optional<std::chrono::seconds> retry_after(const HttpResponse& response, Instant now);

/// The highest usage percentage Facebook reports in `X-App-Usage`,
/// `X-Page-Usage` or `X-Business-Use-Case-Usage` (call_count, total_cputime,
/// total_time); 100 means throttled. Absent when no such header parses.
std::optional<int> graph_usage_percent(const HttpResponse& response);

/// X API v2 (`POST /2/tweets`): a 403 whose words say "duplicate" is
/// Duplicate (X refuses a text the account posted already). Empty for a 2xx.
std::optional<PublishResult> classify_x(const HttpResponse& response, Instant now);

/// How long to wait on a Graph throttling error whose usage headers report a
/// percentage but no estimated_time_to_regain_access.
inline constexpr std::chrono::seconds kGraphThrottleDefaultWait{3600};

/// Facebook Graph API (`/{page-id}/feed`, `/photos`), by the error body's
/// code: 190/102/104 and subcodes 463/467 are AuthFailed; throttling (4, 17,
/// 32, 341, 613, 80000-80014) is RetryLater with the usage headers' wait (or
/// kGraphThrottleDefaultWait when they give usage without a time); 1, 2 and
/// is_transient are RetryLater; 506 (duplicate) and 368 (blocked for policy)
/// are Failed; the rest follows the status. Empty for a 2xx.
std::optional<PublishResult> classify_graph(const HttpResponse& response, Instant now);

/// Whether a Graph answer says the object does not exist, or that the token
/// cannot see it (code 100, subcode 33: "Object with ID ... does not exist,
/// cannot be loaded due to missing permissions, or does not support this
/// operation"): a deleted Page post or IG media, among others.
bool graph_object_missing(const HttpResponse& response);

/// Google APIs (YouTube Data API v3, its upload endpoint). Empty for a 2xx.
std::optional<PublishResult> classify_google(const HttpResponse& response, Instant now);

/// WordPress REST API (`/wp-json/wp/v2/posts`): a user who may not create
/// posts or terms, upload media, or list posts in any status or with
/// context=edit is AuthFailed (the role must change). Empty for a 2xx.
std::optional<PublishResult> classify_wordpress(const HttpResponse& response, Instant now);

/// LinkedIn's versioned REST API (`/rest/posts`, `/rest/images`,
/// `/rest/videos`), by the error body {"status","serviceErrorCode","code",
/// "message","errorDetails":{"inputErrors":[{"code"}]}}: 401 is AuthFailed;
/// 422 with the input error DUPLICATE_POST is Duplicate; 429 is RetryLater
/// with Retry-After if given, else until the next midnight UTC (LinkedIn's
/// daily limits reset then and it documents no header); the rest follows
/// the status (426 NONEXISTENT_VERSION is Failed: the channel's api_version
/// must change). Empty for a 2xx.
std::optional<PublishResult> classify_linkedin(const HttpResponse& response, Instant now);

/// The next midnight UTC after `now`: when LinkedIn's daily limits reset.
Instant next_utc_midnight(Instant now);

/// For the answer to a create request: a 5xx may come after the platform
/// stored the post (a timeout or a failing hook behind its front end), so a
/// RetryLater for a 5xx becomes Unsure, and the dispatcher looks the post up
/// before anything is sent again. Other results pass through.
PublishResult create_outcome(const HttpResponse& response, PublishResult classified);

/// The next midnight in America/Los_Angeles after `now`: when YouTube's daily
/// quota resets.
Instant next_pacific_midnight(Instant now);

}  // namespace herald
