#pragma once
// The one interface every platform adapter implements (DESIGN.md "Connectors").
// Called on worker threads; an implementation must not touch shared mutable
// state without its own locking, and every call has a deadline.

#include "compose/composer.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace herald {

/// The published post a first comment goes under (DESIGN.md "More networks":
/// `first_comment`, its own delivery POST@CHANNEL+comment).
struct CommentOn {
  std::string remote_id;  ///< the post's id as its create (or a lookup, or a person) recorded it
  std::string url;        ///< the post's public URL
};

/// One delivery, composed, ready to go out.
struct PublishRequest {
  std::string key;       ///< POST@CHANNEL[#DATE]: the idempotency key
  std::string post;
  std::string channel;
  Composed composed;
  std::string local_time;  ///< planned local time, RFC 3339 (for front matter)
  /// An earlier attempt of this delivery lost its answer (since it was last
  /// edited or retried by hand): the post may exist already.
  bool answer_lost_before = false;
  /// Set for a first comment: `composed` goes out as the first comment on
  /// (or reply to) this published post, not as a post of its own; lookup
  /// looks for it among that post's comments or replies.
  std::optional<CommentOn> comment_on;
};

struct Published {
  std::string remote_id;
  std::string url;
};
struct RetryLater {
  std::optional<std::chrono::seconds> after;  ///< the platform's own wait, if it gave one
  std::string message;
};
struct Failed {
  std::string message;  ///< the platform's words
};
struct AuthFailed {
  std::string message;
};
/// The request may have reached the platform but no answer came (a timeout
/// after sending, a dropped connection, a 5xx): the post may exist. The
/// dispatcher settles it (SettlePolicy) before anything is sent again; never
/// map this to RetryLater.
struct Unsure {
  std::string message;
};
/// The platform refused the create as a copy of a post it already has (X's
/// 403 "duplicate content"). After an earlier attempt of this delivery lost
/// its answer this is evidence that the post exists (the dispatcher looks it
/// up); otherwise it is a permanent failure with the platform's words.
struct Duplicate {
  std::string message;
};
/// The platform is still preparing the post (an Instagram container whose
/// status is IN_PROGRESS, a Mastodon attachment still processing): nothing
/// went wrong and nothing is public yet. The dispatcher calls publish again
/// after `after`, from the event loop's timers, without holding a worker
/// meanwhile and without counting an attempt; the connector remembers what
/// it made (ConnectorState) and goes on from there.
struct Processing {
  std::chrono::seconds after{5};
  std::string message;
};
/// What a create request came to.
using PublishResult = std::variant<Published, RetryLater, Failed, AuthFailed, Unsure, Duplicate, Processing>;

struct Found {
  std::string remote_id;
  std::string url;
};
struct Absent {};
struct Unknown {
  std::string message;
};
/// What looking a delivery up on the platform proved.
using LookupResult = std::variant<Found, Absent, Unknown>;

/// A published post whose counters herald reads (engagement collection,
/// DESIGN.md "Editors' workflow additions": `herald report`).
struct CountersRequest {
  std::string key;        ///< the delivery's key
  std::string post;
  std::string channel;
  std::string remote_id;  ///< what the create (or a lookup, or a person) recorded
  std::string url;
};

/// The words of the common vocabulary every platform's counters map to, so
/// a report can add X's likes to Mastodon's favourites.
namespace metric {
inline constexpr const char* views = "views";      ///< impressions, views, reach
inline constexpr const char* likes = "likes";      ///< likes, favourites, reactions
inline constexpr const char* shares = "shares";    ///< reposts, reblogs, shares, quotes
inline constexpr const char* replies = "replies";  ///< replies, comments
inline constexpr const char* clicks = "clicks";    ///< link clicks
}  // namespace metric

/// One counter a platform keeps for a post: its own name for it
/// ("impression_count", "favourites_count"), the common word it counts as
/// (metric::*, or "" when it is none of them: X's bookmarks, Instagram's
/// saves), and its value when read.
struct Counter {
  std::string name;
  std::string common;
  std::int64_t value = 0;
  friend bool operator==(const Counter&, const Counter&) = default;
};
/// What a read of a post's counters found.
struct Counters {
  std::vector<Counter> values;
};
/// The post is no longer on the platform (deleted there): nothing more to read.
struct Gone {
  std::string message;
};
/// What reading a post's counters came to. Counters: what the platform
/// gave; a counter it did not give (no views on Mastodon, insights the token
/// may not read) is absent, never 0, and several of one common word (X's
/// retweets and quotes) are added up by whoever reads them. RetryLater: read
/// again later (a rate limit, a timeout, a 5xx; a read changes nothing, so
/// none of it is unsure). Failed: this read cannot be done (the platform
/// refused the request itself); the next scheduled read tries again.
/// AuthFailed: the credentials no longer work. Gone: the platform says the
/// post is not there (the collector asks once more before it believes it:
/// Graph's "does not exist" also means "cannot be loaded").
using CountersResult = std::variant<Counters, RetryLater, Failed, AuthFailed, Gone>;

/// How herald settles a create whose answer was lost (docs/connectors.md,
/// "When an answer is lost"): the platform's own guarantees, per connector.
struct SettlePolicy {
  /// Sending the create again cannot make a second post, because the
  /// platform makes the repeat the same post (an update by id, a draft or an
  /// unpublished post made public by id, a resumable upload session). An
  /// unsure create is then sent again at once instead of looked up.
  bool repeat_is_safe = false;
  /// How long after herald stopped waiting for a create the platform may
  /// still complete it. Before then no lookup counts as "absent".
  std::chrono::seconds margin{120};
};

/// A platform adapter.
class Connector {
 public:
  virtual ~Connector() = default;
  /// What this platform lets herald do when a create's answer is lost.
  virtual SettlePolicy settle_policy() const { return {}; }
  /// The same for a first comment (PublishRequest::comment_on): a comment or
  /// reply is a plain create on most platforms, so a repeat could make a
  /// second one even where a post's repeat is safe (Facebook's and
  /// Instagram's unpublished-then-published posts). By default settled by
  /// lookups with settle_policy()'s margin; a platform that makes the repeat
  /// the same comment (Mastodon's Idempotency-Key, Bluesky's record key)
  /// says so.
  virtual SettlePolicy comment_settle_policy() const { return {false, settle_policy().margin}; }
  /// Creates the post. Must not retry by itself: the dispatcher decides.
  virtual PublishResult publish(const PublishRequest& request) = 0;
  /// Looks for a post this request would have created (after a crash).
  virtual LookupResult lookup(const PublishRequest& request) = 0;
  /// When the channel's credentials stop working, if the platform says
  /// (LinkedIn's 60-day access tokens): the daemon warns a week before.
  virtual std::optional<std::chrono::system_clock::time_point> credentials_expire_at() const { return std::nullopt; }
  /// Whether the platform keeps counters herald can read for a published
  /// post (a static site keeps none).
  virtual bool reads_counters() const { return false; }
  /// Reads a published post's counters, once; never retries by itself. Only
  /// called when reads_counters().
  virtual CountersResult read_counters(const CountersRequest&) { return Failed{"this platform keeps no counters"}; }
};

}  // namespace herald
