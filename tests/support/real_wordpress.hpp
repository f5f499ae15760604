#pragma once
// A real WordPress for one test: Debian 12's own mariadb-server, apache2 with
// mod_php and wordpress packages, started on loopback with everything in a
// temporary directory, and torn down (every process killed, the directory
// removed) when the object goes away. Test-only fault switches hold REST
// post creates to play a platform slower than its client, or one whose
// answer is lost after the post was saved.

#include "connectors/secret.hpp"  // Secret
#include "tests/support/process.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace herald::testing {

/// A WordPress user the harness created, with an Application Password.
struct WordpressUser {
  std::int64_t id = 0;
  std::string login;
  std::string role;      ///< administrator, editor or author
  Secret app_password;   ///< for HTTP Basic auth; Secret never prints it
};

/// A post (post_type "post") as stored in the database, whatever its status.
struct WordpressPost {
  std::int64_t id = 0;
  std::string status;   ///< post_status: publish, draft, pending, trash, ...
  std::string slug;     ///< post_name
  std::string title;    ///< post_title exactly as stored (after WordPress's filters)
  std::string content;  ///< post_content exactly as stored
  std::string author;   ///< the author's login
};

class RealWordpress;

/// What RealWordpress::start() gives: a running site, or why none can run here.
struct StartedWordpress {
  std::unique_ptr<RealWordpress> site;  ///< null when `unavailable` says why
  std::string unavailable;              ///< a missing package or binary, naming scripts/setup
};

/// One WordPress site on 127.0.0.1, its database and web server.
class RealWordpress {
 public:
  /// Why this machine cannot run a real WordPress ("" when it can): a package
  /// scripts/setup installs is missing, or an account the servers run as.
  static std::string unavailable();

  /// Starts MariaDB, Apache and WordPress in a new temporary directory,
  /// installs WordPress and creates its users. A missing package gives
  /// `unavailable`; anything installed that fails to start throws
  /// std::runtime_error with the servers' logs.
  static StartedWordpress start();

  /// Kills both servers' process groups and removes the directory.
  ~RealWordpress();
  RealWordpress(const RealWordpress&) = delete;
  RealWordpress& operator=(const RealWordpress&) = delete;

  /// "http://127.0.0.1:PORT", the site's home and REST base (BASE/wp-json/).
  std::string base_url() const;
  int port() const { return port_; }
  /// The temporary directory everything lives in.
  const std::filesystem::path& directory() const { return dir_; }

  /// The administrator ("admin"), an Editor ("editor") and an Author ("author").
  const WordpressUser& admin() const { return users_.at(0); }
  const WordpressUser& editor() const { return users_.at(1); }
  const WordpressUser& author() const { return users_.at(2); }

  /// Every post in the database, by id, read over MariaDB's socket (not
  /// through WordPress, so it also sees what a REST answer never told).
  std::vector<WordpressPost> posts() const;
  /// The posts whose slug is exactly `slug`.
  std::vector<WordpressPost> posts_with_slug(const std::string& slug) const;

  /// The next `count` REST post creates wait `delay` before the post is
  /// inserted, then complete normally: a platform slower than its client.
  /// A switch counts the creates that begin after it is set (that pass
  /// WordPress's rest_pre_insert_post filter); a create already under way,
  /// even one whose client gave up, is not affected.
  void slow_creates(int count, std::chrono::milliseconds delay);
  /// The next `count` REST post creates insert the post, then wait `delay`
  /// before answering: the client times out although the post exists.
  /// Counted as slow_creates() counts.
  void lose_answers(int count, std::chrono::milliseconds delay);
  /// How many of the creates switched above have not begun yet.
  int slow_creates_left() const;
  int lost_answers_left() const;
  /// What the switches did, one line per event, in order:
  /// "slow-create hold", "slow-create release",
  /// "lost-answer hold post=ID", "lost-answer release post=ID".
  std::vector<std::string> fault_events() const;

  /// The servers' and WordPress's logs (no secrets), for failure messages.
  std::string logs() const;

 private:
  RealWordpress() = default;
  void start_database();
  void install_wordpress();
  void start_web_server();
  void write_site_config() const;
  void write_fault(const std::string& name, int count, std::chrono::milliseconds delay);
  int fault_left(const std::string& name) const;
  std::vector<std::string> sql(const std::string& statement) const;

  std::filesystem::path dir_;
  int port_ = 0;
  std::string db_password_;
  std::vector<WordpressUser> users_;
  std::unique_ptr<ServerProcess> database_;
  std::unique_ptr<ServerProcess> web_;
};

}  // namespace herald::testing
