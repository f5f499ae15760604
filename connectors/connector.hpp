#pragma once
// The one interface every platform adapter implements (DESIGN.md "Connectors").
// Called on worker threads; an implementation must not touch shared mutable
// state without its own locking, and every call has a deadline.

#include "compose/composer.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <variant>

namespace herald {

/// One delivery, composed, ready to go out.
struct PublishRequest {
  std::string key;       ///< POST@CHANNEL[#DATE]: the idempotency key
  std::string post;
  std::string channel;
  Composed composed;
  std::string local_time;  ///< planned local time, RFC 3339 (for front matter)
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
/// after sending, a dropped connection): the post may exist. The dispatcher
/// looks it up before anything is sent again; never map this to RetryLater.
struct Unsure {
  std::string message;
};
/// What a create request came to.
using PublishResult = std::variant<Published, RetryLater, Failed, AuthFailed, Unsure>;

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

/// A platform adapter.
class Connector {
 public:
  virtual ~Connector() = default;
  /// Creates the post. Must not retry by itself: the dispatcher decides.
  virtual PublishResult publish(const PublishRequest& request) = 0;
  /// Looks for a post this request would have created (after a crash).
  virtual LookupResult lookup(const PublishRequest& request) = 0;
};

}  // namespace herald
