#pragma once
// herald-sandbox as a real process on loopback, for tests that run the real
// daemon against it: started on a free port, its creates read through the
// control API.

#include "tests/support/process.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace herald::testing {

/// One create as GET /_sandbox/creates lists it.
struct SandboxCreate {
  std::string platform, account, id, text, in_reply_to;
  std::vector<std::string> media_ids;
  std::map<std::string, std::string> fields;
};

class SandboxProcess {
 public:
  /// Starts HERALD_SANDBOX_BINARY with `config_yaml` written to dir/sandbox.yaml;
  /// its log goes to dir/sandbox.log. Throws if it does not come up in 20 s.
  SandboxProcess(const std::filesystem::path& dir, const std::string& config_yaml);
  ~SandboxProcess();  ///< SIGTERM, then waits

  /// http://127.0.0.1:PORT
  std::string base_url() const { return base_url_; }
  std::vector<SandboxCreate> creates() const;
  /// What the public sees on `platform` ("x", "facebook", "youtube",
  /// "wordpress"): WordPress posts whose status is publish, Facebook posts
  /// made public and not deleted, X posts, and YouTube videos once each (an
  /// update repeated on the same video is still one video).
  std::vector<SandboxCreate> public_posts(const std::string& platform) const;
  /// Requests the sandbox holds right now (a delay fault, a dropped answer).
  int held() const;
  /// POST /_sandbox/faults with this JSON body; throws unless 201.
  void add_fault(const std::string& json) const;

 private:
  std::unique_ptr<BackgroundProcess> process_;
  std::string base_url_;
};

/// The sandbox's X account (tests/sandbox/sandbox.example.yaml's, fake) as
/// a sandbox config section and as herald's credential file for it.
std::string sandbox_x_section(int create_limit = 100);
std::string sandbox_x_credentials();

}  // namespace herald::testing
