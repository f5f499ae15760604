// Table tests for connectors/http_result: realistic error answers from each
// platform's documentation (see the page list at the top of http_result.cpp).
#include "connectors/http_result.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace herald {
namespace {

using namespace std::chrono_literals;
using namespace date::literals;
using std::chrono::seconds;

// 2024-01-16 12:00:00 UTC (04:00 in Los Angeles); epoch 1705406400.
const Instant kNow = date::sys_days{2024_y / 1 / 16} + 12h;

HttpResponse response(int status, std::string body,
                      std::multimap<std::string, std::string> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

enum class Kind { none, published, retry, failed, auth, unsure, duplicate };

Kind kind_of(const std::optional<PublishResult>& r) {
  if (!r) return Kind::none;
  if (std::holds_alternative<Published>(*r)) return Kind::published;
  if (std::holds_alternative<RetryLater>(*r)) return Kind::retry;
  if (std::holds_alternative<Failed>(*r)) return Kind::failed;
  if (std::holds_alternative<AuthFailed>(*r)) return Kind::auth;
  if (std::holds_alternative<Unsure>(*r)) return Kind::unsure;
  return Kind::duplicate;
}

std::string message_of(const std::optional<PublishResult>& r) {
  if (!r) return {};
  return std::visit(
      [](const auto& v) -> std::string {
        if constexpr (requires { v.message; }) return v.message;
        return {};
      },
      *r);
}

std::optional<seconds> after_of(const std::optional<PublishResult>& r) {
  if (!r || !std::holds_alternative<RetryLater>(*r)) return std::nullopt;
  return std::get<RetryLater>(*r).after;
}

struct Case {
  const char* name;
  HttpResponse response;
  Kind kind;
  std::string says;  ///< a substring the message must contain
  std::optional<seconds> after = std::nullopt;
};

using Classifier = std::function<std::optional<PublishResult>(const HttpResponse&, Instant)>;

void run(const Classifier& classify, const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto r = classify(c.response, kNow);
    EXPECT_EQ(kind_of(r), c.kind);
    EXPECT_NE(message_of(r).find(c.says), std::string::npos) << message_of(r);
    if (c.kind == Kind::retry) {
      EXPECT_EQ(after_of(r), c.after);
    }
  }
}

// --- retry_after -----------------------------------------------------------

TEST(HttpResult, RetryAfterSeconds) {
  EXPECT_EQ(retry_after(response(429, "", {{"retry-after", "120"}}), kNow), 120s);
  EXPECT_EQ(retry_after(response(503, "", {{"retry-after", " 0 "}}), kNow), 0s);
}

TEST(HttpResult, RetryAfterHttpDate) {
  EXPECT_EQ(retry_after(response(503, "", {{"retry-after", "Tue, 16 Jan 2024 12:05:00 GMT"}}), kNow), 300s);
  EXPECT_EQ(retry_after(response(503, "", {{"retry-after", "Mon, 15 Jan 2024 12:00:00 GMT"}}), kNow), 0s);
}

TEST(HttpResult, RetryAfterIgnoresGarbage) {
  EXPECT_EQ(retry_after(response(503, "", {{"retry-after", "soon"}}), kNow), std::nullopt);
  EXPECT_EQ(retry_after(response(503, "", {{"retry-after", "-5"}}), kNow), 0s);
  EXPECT_EQ(retry_after(response(503, ""), kNow), std::nullopt);
}

TEST(HttpResult, XRateLimitResetIsEpochSeconds) {
  // docs.x.com/fundamentals/rate-limits example value.
  EXPECT_EQ(retry_after(response(429, "", {{"x-rate-limit-reset", "1705420800"}}), kNow), 4h);
  EXPECT_EQ(retry_after(response(429, "", {{"x-rate-limit-reset", "1705400000"}}), kNow), 0s);
}

TEST(HttpResult, RetryAfterWinsOverResetAndUsage) {
  const auto r = response(429, "", {{"retry-after", "30"},
                                    {"x-rate-limit-reset", "1705420800"},
                                    {"x-business-use-case-usage",
                                     R"({"1":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":19}]})"}});
  EXPECT_EQ(retry_after(r, kNow), 30s);
}

TEST(HttpResult, BusinessUseCaseUsageMinutes) {
  const auto r = response(400, "", {{"x-business-use-case-usage",
      R"({"112233445566":[{"type":"pages","call_count":100,"total_cputime":25,"total_time":25,"estimated_time_to_regain_access":19},)"
      R"({"type":"pages","call_count":40,"total_cputime":10,"total_time":10,"estimated_time_to_regain_access":0}]})"}});
  EXPECT_EQ(retry_after(r, kNow), 19min);
  EXPECT_EQ(graph_usage_percent(r), 100);
}

TEST(HttpResult, AppUsageGivesPercentNotTime) {
  const auto r = response(400, "", {{"x-app-usage", R"({"call_count":28,"total_time":25,"total_cputime":104})"}});
  EXPECT_EQ(retry_after(r, kNow), std::nullopt);
  EXPECT_EQ(graph_usage_percent(r), 104);
  EXPECT_EQ(graph_usage_percent(response(200, "", {{"x-app-usage", "not json"}})), std::nullopt);
  EXPECT_EQ(graph_usage_percent(response(200, "")), std::nullopt);
}

TEST(HttpResult, NextPacificMidnight) {
  // Winter (PST, UTC-8).
  EXPECT_EQ(next_pacific_midnight(kNow), date::sys_days{2024_y / 1 / 17} + 8h);
  // Summer (PDT, UTC-7), half an hour before midnight.
  EXPECT_EQ(next_pacific_midnight(date::sys_days{2024_y / 7 / 1} + 6h + 30min),
            date::sys_days{2024_y / 7 / 1} + 7h);
  // The evening before spring-forward: the next midnight is still PST.
  EXPECT_EQ(next_pacific_midnight(date::sys_days{2024_y / 3 / 10} + 7h + 30min),
            date::sys_days{2024_y / 3 / 10} + 8h);
  // Exactly at midnight: the next one, a day later.
  EXPECT_EQ(next_pacific_midnight(date::sys_days{2024_y / 1 / 17} + 8h),
            date::sys_days{2024_y / 1 / 18} + 8h);
}

// --- shared rules ------------------------------------------------------------

TEST(HttpResult, SuccessIsLeftToTheConnector) {
  EXPECT_EQ(kind_of(classify_x(response(201, R"({"data":{"id":"1","text":"hi"}})"), kNow)), Kind::none);
  EXPECT_EQ(kind_of(classify_graph(response(200, R"({"id":"1_2"})"), kNow)), Kind::none);
  EXPECT_EQ(kind_of(classify_google(response(200, "{}"), kNow)), Kind::none);
  EXPECT_EQ(kind_of(classify_wordpress(response(201, "{}"), kNow)), Kind::none);
}

TEST(HttpResult, TransportErrorRetriesForEveryPlatform) {
  HttpResponse r;
  r.error = "Connection timed out (POST https://api.x.com:443)";
  for (const Classifier& c :
       std::vector<Classifier>{classify_x, classify_graph, classify_google, classify_wordpress, classify_linkedin}) {
    const auto out = c(r, kNow);
    EXPECT_EQ(kind_of(out), Kind::retry);
    EXPECT_NE(message_of(out).find("timed out"), std::string::npos);
    EXPECT_EQ(after_of(out), std::nullopt);
  }
}

TEST(HttpResult, MessagesAreBoundedOneLineAndNeverTheRawBody) {
  const std::string long_detail(2000, 'a');
  const auto r = classify_x(response(400, R"({"title":"Invalid Request","detail":")" + long_detail +
                                              R"(\nsecond line","type":"about:blank","status":400})"), kNow);
  const auto m = message_of(r);
  EXPECT_LT(m.size(), kMaxMessage + 40);
  EXPECT_EQ(m.find('\n'), std::string::npos);
  // A body that is not the platform's JSON is not quoted at all.
  const auto html = classify_wordpress(response(502, "<html><body>Bad Gateway token=abc</body></html>"), kNow);
  EXPECT_EQ(kind_of(html), Kind::retry);
  EXPECT_EQ(message_of(html).find("token"), std::string::npos);
}

// --- X -----------------------------------------------------------------------

TEST(HttpResult, XTable) {
  run(classify_x, {
      {"rate limited with reset",
       response(429, R"({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})",
                {{"x-rate-limit-limit", "100"}, {"x-rate-limit-remaining", "0"}, {"x-rate-limit-reset", "1705407300"}}),
       Kind::retry, "Too Many Requests", 900s},
      {"rate limited, v1.1 style body",
       response(429, R"({"errors":[{"code":88,"message":"Rate limit exceeded"}]})"),
       Kind::retry, "Rate limit exceeded"},
      {"server error", response(503, R"({"title":"Service Unavailable","detail":"Service Unavailable","type":"about:blank","status":503})"),
       Kind::retry, "Service Unavailable"},
      {"unauthorized",
       response(401, R"({"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"})"),
       Kind::auth, "X: Unauthorized (HTTP 401)"},
      {"duplicate content",
       response(403, R"({"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403})"),
       Kind::duplicate, "You are not allowed to create a Tweet with duplicate content."},
      {"forbidden, not enrolled",
       response(403, R"({"client_id":"1","detail":"When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project.","registration_url":"https://developer.x.com/","title":"Client Forbidden","required_enrollment":"Appropriate Level of API Access","reason":"client-not-enrolled","type":"https://api.twitter.com/2/problems/client-forbidden"})"),
       Kind::failed, "attached to a Project"},
      {"validation error",
       response(400, R"({"errors":[{"parameters":{"text":["..."]},"message":"Tweet text is too long"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"})"),
       Kind::failed, "One or more parameters to your request was invalid."},
      {"empty body", response(400, ""), Kind::failed, "X: no error message (HTTP 400)"},
  });
}

// --- Facebook Graph API ------------------------------------------------------

TEST(HttpResult, GraphTable) {
  const std::multimap<std::string, std::string> buc{
      {"x-business-use-case-usage",
       R"({"104812345678901":[{"type":"pages","call_count":100,"total_cputime":12,"total_time":15,"estimated_time_to_regain_access":7}]})"}};
  run(classify_graph, {
      {"token expired",
       response(400, R"({"error":{"message":"Error validating access token: Session has expired on Tuesday, 16-Jan-24 04:00:00 PST.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"AbCdEf123"}})"),
       Kind::auth, "Session has expired"},
      {"token invalid, 401",
       response(401, R"({"error":{"message":"Invalid OAuth access token - Cannot parse access token","type":"OAuthException","code":190,"fbtrace_id":"A1"}})"),
       Kind::auth, "code 190"},
      {"application throttled",
       response(403, R"({"error":{"message":"(#4) Application request limit reached","type":"OAuthException","is_transient":true,"code":4,"fbtrace_id":"B2"}})"),
       Kind::retry, "Application request limit reached"},
      {"user throttled", response(400, R"({"error":{"message":"(#17) User request limit reached","type":"OAuthException","code":17,"fbtrace_id":"C3"}})"),
       Kind::retry, "(#17)"},
      {"page throttled, BUC header",
       response(400, R"({"error":{"message":"(#32) Page request limit reached","type":"OAuthException","code":32,"fbtrace_id":"D4"}})", buc),
       Kind::retry, "Page request limit reached", 7min},
      {"custom throttled",
       response(400, R"({"error":{"message":"(#613) Calls to this api have exceeded the rate limit.","type":"OAuthException","code":613,"fbtrace_id":"E5"}})"),
       Kind::retry, "exceeded the rate limit"},
      {"business use case throttled",
       response(400, R"({"error":{"message":"(#80001) There have been too many calls to this Page account. Wait a bit and try again.","type":"OAuthException","code":80001,"fbtrace_id":"F6"}})", buc),
       Kind::retry, "too many calls to this Page account", 7min},
      {"duplicate post",
       response(400, R"({"error":{"message":"Duplicate status message","type":"OAuthException","code":506,"error_subcode":1455006,"fbtrace_id":"G7"}})"),
       Kind::failed, "Duplicate status message (HTTP 400, code 506, subcode 1455006, fbtrace_id G7)"},
      {"permission missing",
       response(403, R"({"error":{"message":"(#200) The user hasn't authorized the application to perform this action","type":"OAuthException","code":200,"fbtrace_id":"H8"}})"),
       Kind::failed, "(#200)"},
      {"bad link",
       response(400, R"({"error":{"message":"Invalid parameter","type":"OAuthException","code":100,"error_subcode":1609005,"error_user_msg":"Posting links is unavailable","fbtrace_id":"I9"}})"),
       Kind::failed, "Invalid parameter"},
      {"temporary service error", response(500, R"({"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","is_transient":true,"code":2,"fbtrace_id":"J0"}})"),
       Kind::retry, "retry your request later"},
      {"gateway html", response(502, "<html>Bad Gateway</html>"), Kind::retry, "Facebook: no error message (HTTP 502)"},
      {"token invalidated, subcode 467 only",
       response(400, R"({"error":{"message":"Error validating access token: The session is invalid because the user logged out.","type":"OAuthException","code":100,"error_subcode":467,"fbtrace_id":"K1"}})"),
       Kind::auth, "subcode 467"},
      {"no token", response(400, R"({"error":{"message":"An access token is required to request this resource.","type":"OAuthException","code":104,"fbtrace_id":"K2"}})"),
       Kind::auth, "access token is required"},
      {"blocked for policy",
       response(400, R"({"error":{"message":"It looks like you were misusing this feature by going too fast. You've been temporarily blocked from using it.","type":"OAuthException","code":368,"fbtrace_id":"K3"}})"),
       Kind::failed, "temporarily blocked"},
      {"page throttled, usage percent without a time",
       response(400, R"({"error":{"message":"(#32) Page request limit reached","type":"OAuthException","code":32,"fbtrace_id":"K4"}})",
                {{"x-page-usage", R"({"call_count":100,"total_cputime":20,"total_time":30})"}}),
       Kind::retry, "(#32)", kGraphThrottleDefaultWait},
      {"page throttled, X-Page-Usage with a time",
       response(400, R"({"error":{"message":"(#32) Page request limit reached","type":"OAuthException","code":32,"fbtrace_id":"K5"}})",
                {{"x-page-usage", R"({"call_count":100,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":3})"}}),
       Kind::retry, "(#32)", 3min},
      {"internal error with a Graph body",
       response(500, R"({"error":{"message":"An unknown error occurred","type":"OAuthException","code":1,"fbtrace_id":"K6"}})"),
       Kind::retry, "An unknown error occurred"},
      {"server error without a code", response(503, R"({"error":{"message":"Service temporarily unavailable"}})"),
       Kind::retry, "Service temporarily unavailable (HTTP 503)"},
  });
}

TEST(HttpResult, GraphThrottleWithoutUsageHeadersLeavesTheWaitToTheDispatcher) {
  const auto r = classify_graph(
      response(400, R"({"error":{"message":"(#613) Calls to this api have exceeded the rate limit.","type":"OAuthException","code":613}})"),
      kNow);
  EXPECT_EQ(kind_of(r), Kind::retry);
  EXPECT_EQ(after_of(r), std::nullopt);
}

// --- YouTube (Google APIs) ---------------------------------------------------

TEST(HttpResult, GoogleTable) {
  const seconds to_midnight = next_pacific_midnight(kNow) - kNow;
  ASSERT_EQ(to_midnight, 20h);
  run(classify_google, {
      {"quota exceeded",
       response(403, R"({"error":{"code":403,"message":"The request cannot be completed because you have exceeded your \u003ca href=\"/youtube/v3/getting-started#quota\"\u003equota\u003c/a\u003e.","errors":[{"message":"The request cannot be completed because you have exceeded your \u003ca href=\"/youtube/v3/getting-started#quota\"\u003equota\u003c/a\u003e.","domain":"youtube.quota","reason":"quotaExceeded"}]}})"),
       Kind::retry, "you have exceeded your quota. (HTTP 403, quotaExceeded)", to_midnight},
      {"daily limit",
       response(403, R"({"error":{"errors":[{"domain":"usageLimits","reason":"dailyLimitExceeded","message":"Daily Limit Exceeded. The quota will be reset at midnight Pacific Time (PT)."}],"code":403,"message":"Daily Limit Exceeded. The quota will be reset at midnight Pacific Time (PT)."}})"),
       Kind::retry, "midnight Pacific Time", to_midnight},
      {"rate limit",
       response(403, R"({"error":{"errors":[{"domain":"usageLimits","reason":"rateLimitExceeded","message":"Rate Limit Exceeded"}],"code":403,"message":"Rate Limit Exceeded"}})",
                {{"retry-after", "60"}}),
       Kind::retry, "Rate Limit Exceeded", 60s},
      {"user rate limit",
       response(403, R"({"error":{"errors":[{"domain":"usageLimits","reason":"userRateLimitExceeded","message":"User Rate Limit Exceeded"}],"code":403,"message":"User Rate Limit Exceeded"}})"),
       Kind::retry, "userRateLimitExceeded"},
      {"expired token",
       response(401, R"({"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.","errors":[{"message":"Invalid Credentials","domain":"global","reason":"authError","location":"Authorization","locationType":"header"}],"status":"UNAUTHENTICATED"}})"),
       Kind::auth, "invalid authentication credentials"},
      {"forbidden",
       response(403, R"({"error":{"code":403,"message":"Access forbidden. The request may not be properly authorized.","errors":[{"message":"Access forbidden.","domain":"youtube.common","reason":"forbidden"}]}})"),
       Kind::failed, "Access forbidden"},
      {"video not found",
       response(404, R"({"error":{"code":404,"message":"The video that you are trying to update cannot be found.","errors":[{"message":"The video that you are trying to update cannot be found.","domain":"youtube.video","reason":"videoNotFound"}]}})"),
       Kind::failed, "videoNotFound"},
      {"missing scope",
       response(403, R"({"error":{"code":403,"message":"Request had insufficient authentication scopes.","errors":[{"message":"Insufficient Permission","domain":"global","reason":"insufficientPermissions"}],"status":"PERMISSION_DENIED"}})"),
       Kind::auth, "insufficient authentication scopes"},
      {"invalid description",
       response(400, R"({"error":{"code":400,"message":"The request metadata specifies an invalid video description.","errors":[{"message":"The request metadata specifies an invalid video description.","domain":"youtube.video","reason":"invalidDescription"}]}})"),
       Kind::failed, "invalid video description. (HTTP 400, invalidDescription)"},
      {"too many requests",
       response(429, R"({"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}})",
                {{"retry-after", "30"}}),
       Kind::retry, "Resource has been exhausted", 30s},
      {"upload host html 502", response(502, "<html>Bad Gateway</html>"), Kind::retry, "YouTube: no error message (HTTP 502)"},
      {"backend error", response(503, R"({"error":{"code":503,"message":"The service is currently unavailable.","errors":[{"message":"The service is currently unavailable.","domain":"global","reason":"backendError"}]}})"),
       Kind::retry, "currently unavailable"},
  });
}

// --- WordPress ---------------------------------------------------------------

TEST(HttpResult, WordPressTable) {
  run(classify_wordpress, {
      {"not allowed, unauthenticated",
       response(401, R"({"code":"rest_cannot_create","message":"Sorry, you are not allowed to create posts as this user.","data":{"status":401}})"),
       Kind::auth, "Sorry, you are not allowed to create posts as this user. (HTTP 401, rest_cannot_create)"},
      {"not allowed, no capability",
       response(403, R"({"code":"rest_cannot_create","message":"Sorry, you are not allowed to create posts as this user.","data":{"status":403}})"),
       Kind::auth, "rest_cannot_create"},
      {"wrong application password",
       response(401, R"({"code":"incorrect_password","message":"The provided password is an invalid application password.","data":null})"),
       Kind::auth, "invalid application password"},
      {"other 401", response(401, R"({"code":"rest_not_logged_in","message":"You are not currently logged in.","data":{"status":401}})"),
       Kind::auth, "not currently logged in"},
      {"forbidden for another reason",
       response(403, R"({"code":"rest_cannot_publish","message":"Sorry, you are not allowed to publish posts as this user.","data":{"status":403}})"),
       Kind::failed, "publish posts"},
      {"invalid parameter",
       response(400, R"({"code":"rest_invalid_param","message":"Invalid parameter(s): status","data":{"status":400,"params":{"status":"status is not one of publish, future, draft, pending, private."}}})"),
       Kind::failed, "Invalid parameter(s): status"},
      // status=any for a user without edit_posts: the sanitizer's error,
      // wrapped by WP_REST_Request::sanitize_params.
      {"may not list drafts",
       response(400, R"({"code":"rest_invalid_param","message":"Invalid parameter(s): status","data":{"status":400,"params":{"status":"Status is forbidden."},"details":{"status":{"code":"rest_forbidden_status","message":"Status is forbidden.","data":{"status":403}}}}})"),
       Kind::auth, "Status is forbidden. (HTTP 400, rest_forbidden_status)"},
      {"may not read for editing",
       response(403, R"({"code":"rest_forbidden_context","message":"Sorry, you are not allowed to edit posts in this post type.","data":{"status":403}})"),
       Kind::auth, "rest_forbidden_context"},
      {"no route", response(404, R"({"code":"rest_no_route","message":"No route was found matching the URL and request method.","data":{"status":404}})"),
       Kind::failed, "No route"},
      {"server error", response(500, R"({"code":"internal_server_error","message":"<p>There has been a critical error on this website.</p>","data":{"status":500}})"),
       Kind::retry, "There has been a critical error on this website."},
      {"no route says what to check",
       response(404, R"({"code":"rest_no_route","message":"No route was found matching the URL and request method.","data":{"status":404}})"),
       Kind::failed, "is the REST API enabled at this site?"},
      {"HTML 404 says what to check", response(404, "<html><body>Not Found</body></html>"),
       Kind::failed, "WordPress: no error message (HTTP 404); is the REST API enabled at this site?"},
      {"rate limited by the host",
       response(429, R"({"code":"too_many_requests","message":"Too many requests.","data":{"status":429}})",
                {{"retry-after", "120"}}),
       Kind::retry, "Too many requests.", 120s},
      {"no capability to create terms",
       response(403, R"({"code":"rest_cannot_create","message":"Sorry, you are not allowed to create terms in this taxonomy.","data":{"status":403}})"),
       Kind::auth, "create terms in this taxonomy"},
      {"no capability to upload",
       response(403, R"({"code":"rest_cannot_create","message":"Sorry, you are not allowed to upload media on this site.","data":{"status":403}})"),
       Kind::auth, "upload media"},
      {"unknown user",
       response(401, R"({"code":"invalid_username","message":"<strong>Error:</strong> Unknown username. Check again or try your email address.","data":{"status":401}})"),
       Kind::auth, "WordPress: Error: Unknown username. Check again or try your email address. (HTTP 401, invalid_username)"},
      {"empty post", response(400, R"({"code":"empty_content","message":"Content, title, and excerpt are empty.","data":{"status":400}})"),
       Kind::failed, "Content, title, and excerpt are empty."},
  });
}

// A 5xx to a create may come after the post was stored: Unsure, so it is
// looked up; other results, and a 429, pass through.
// LinkedIn (learn.microsoft.com/linkedin/shared/api-guide/concepts/error-handling
// and .../rate-limits; DUPLICATE_POST as the live API answers it, quoted in
// github.com/Arisamiga/Linkedin-RSS/issues/5).
TEST(HttpResult, LinkedinTable) {
  run(classify_linkedin, {
      {"invalid token", response(401, R"({"status":401,"serviceErrorCode":65600,"code":"INVALID_ACCESS_TOKEN","message":"Invalid access token"})"),
       Kind::auth, "LinkedIn: Invalid access token (HTTP 401, INVALID_ACCESS_TOKEN serviceErrorCode 65600)"},
      {"expired token", response(401, R"({"status":401,"serviceErrorCode":65602,"code":"EXPIRED_ACCESS_TOKEN","message":"The token used in the request has expired"})"),
       Kind::auth, "has expired"},
      {"duplicate",
       response(422, R"({"errorDetailType":"com.linkedin.common.error.BadRequest","message":"com.linkedin.content.common.exception.BadRequestResponseException: Content is a duplicate of urn:li:share:7141138937766391808","errorDetails":{"inputErrors":[{"description":"Duplicate post is detected","input":{},"code":"DUPLICATE_POST"}]},"status":422})"),
       Kind::duplicate, "LinkedIn: Content is a duplicate of urn:li:share:7141138937766391808 (HTTP 422, DUPLICATE_POST)"},
      {"other 422",
       response(422, R"({"errorDetailType":"com.linkedin.common.error.BadRequest","message":"/commentary :: length 3001 exceeds the maximum allowed length of 3000","errorDetails":{"inputErrors":[{"description":"Commentary is too long","input":{"inputPath":{"fieldPath":"commentary"}},"code":"MAX_LENGTH_EXCEEDED"}]},"status":422})"),
       Kind::failed, "exceeds the maximum allowed length of 3000 (HTTP 422, MAX_LENGTH_EXCEEDED)"},
      {"retired version", response(426, R"({"status":426,"code":"NONEXISTENT_VERSION","message":"Requested version 20240901 is not active"})"),
       Kind::failed, "Requested version 20240901 is not active"},
      {"no permission", response(403, R"({"status":403,"serviceErrorCode":100,"code":"ACCESS_DENIED","message":"Not enough permissions to access: partnerApiPostsExternal.CREATE.20251001"})"),
       Kind::failed, "Not enough permissions"},
      // Daily limits reset at midnight UTC: 12 hours after kNow.
      {"daily limit", response(429, R"({"status":429,"code":"TOO_MANY_REQUESTS","message":"Resource level throttle APPLICATION DAY limit for calls to this resource is reached."})"),
       Kind::retry, "throttle", seconds{12 * 3600}},
      {"limit with Retry-After", response(429, "", {{"retry-after", "90"}}), Kind::retry, "HTTP 429", seconds{90}},
      {"server error", response(504, "Gateway Timeout"), Kind::retry, "HTTP 504", std::nullopt},
  });
  EXPECT_EQ(next_utc_midnight(kNow), Instant{date::sys_days{2024_y / 1 / 17}});
  EXPECT_EQ(next_utc_midnight(Instant{date::sys_days{2024_y / 1 / 17}}), Instant{date::sys_days{2024_y / 1 / 18}});
}

TEST(CreateOutcome, ServerErrorsBecomeUnsureOthersPassThrough) {
  auto unsure = create_outcome(response(503, "busy"), RetryLater{std::nullopt, "X: HTTP 503"});
  ASSERT_TRUE(std::holds_alternative<Unsure>(unsure));
  EXPECT_NE(std::get<Unsure>(unsure).message.find("503"), std::string::npos);
  EXPECT_TRUE(std::holds_alternative<RetryLater>(
      create_outcome(response(429, ""), RetryLater{std::chrono::seconds(60), "rate limited"})));
  EXPECT_TRUE(std::holds_alternative<Failed>(create_outcome(response(400, ""), Failed{"bad"})));
  EXPECT_TRUE(std::holds_alternative<AuthFailed>(create_outcome(response(401, ""), AuthFailed{"token"})));
}

// Graph's "Object with ID ... does not exist, cannot be loaded due to
// missing permissions, or does not support this operation": code 100 with
// subcode 33, and nothing else (a plain code 100 is a bad parameter).
TEST(GraphObjectMissing, IsCode100WithSubcode33Only) {
  EXPECT_TRUE(graph_object_missing(
      response(400, R"({"error":{"message":"Unsupported get request.","type":"GraphMethodException","code":100,"error_subcode":33}})")));
  EXPECT_FALSE(graph_object_missing(response(400, R"({"error":{"message":"(#100) bad","code":100}})")));
  EXPECT_FALSE(graph_object_missing(response(400, R"({"error":{"code":190,"error_subcode":33}})")));
  EXPECT_FALSE(graph_object_missing(response(400, "not json")));
}

// The platform's words for a result: one line, no markup, bounded.
TEST(CleanWords, OneLineWithoutMarkupAndBounded) {
  EXPECT_EQ(clean_words("  Could not <a href=\"x\">find</a>\ntweet  "), "Could not find tweet");
  const std::string cut = clean_words(std::string(kMaxMessage + 50, 'a'));
  EXPECT_EQ(cut.size(), kMaxMessage + 3);
  EXPECT_TRUE(cut.ends_with("..."));
}

}  // namespace
}  // namespace herald
