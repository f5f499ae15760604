#pragma once
// What every emulated platform in herald-sandbox is: routes installed on the
// shared server, and state the control API can forget. Each platform lives in
// its own sandbox_<platform>.{hpp,cpp} and reaches the shared services
// (clock, faults, the record of creates) through the Sandbox it is given.

#include <string>

namespace httplib {
class Server;
}  // namespace httplib

namespace herald {

class Sandbox;

class SandboxPlatform {
 public:
  virtual ~SandboxPlatform() = default;
  /// Adds this platform's routes.
  virtual void install(httplib::Server& server) = 0;
  /// Forgets this platform's own state (POST /_sandbox/reset).
  virtual void reset() = 0;
  /// A person deleted the post `id` (as the record names it) in the
  /// platform's own app (POST /_sandbox/delete): from now on the platform
  /// answers for it as for a missing post. The core has marked its record
  /// deleted already; a platform that keeps posts in its own state forgets
  /// it there.
  virtual void remove_post(const std::string& id) { (void)id; }
};

}  // namespace herald
