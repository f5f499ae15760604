#include "tests/support/real_wordpress.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <httplib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <system_error>

// How each part is started, and the documents it follows:
//  - MariaDB: mariadb-install-db and mariadbd with --no-defaults (nothing
//    from /etc/mysql), a unix socket and --skip-networking, as the `mysql`
//    account; --init-file creates the database and its user at start-up.
//    https://mariadb.com/kb/en/mariadb-install-db/ ,
//    https://mariadb.com/kb/en/server-system-variables/#init_file
//  - Apache: `apache2 -f CONF -DFOREGROUND` with a config of our own
//    (prefork and mod_php, and the rewrite rules WordPress itself writes to
//    .htaccess for pretty permalinks), as `www-data` throughout: the server
//    is started unprivileged, so it never needs `User`/`Group` to drop root.
//    mod_php hands Basic credentials to PHP itself, so the Authorization
//    passing those rules add for CGI setups is not needed.
//    https://httpd.apache.org/docs/2.4/invoking.html ,
//    https://developer.wordpress.org/reference/classes/wp_rewrite/mod_rewrite_rules/
//  - WordPress: a copy of Debian's /usr/share/wordpress with our own
//    wp-config.php (Debian's reads /etc/wordpress), installed by a PHP CLI
//    script with wp_install(); Application Passwords work over plain http
//    because the environment type is "local"
//    (wp_is_application_passwords_supported()).
//    https://developer.wordpress.org/apis/wp-config-php/

namespace herald::testing {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kDatabaseAccount = "mysql";   // created by mariadb-server
constexpr const char* kWebAccount = "www-data";     // Debian's web server account
constexpr const char* kWordpressTree = "/usr/share/wordpress";
constexpr const char* kApacheModules = "/usr/lib/apache2/modules";
constexpr const char* kSiteTitle = "herald test site";

/// A file (or an account) a part needs, and the Debian package that provides it.
struct Requirement {
  const char* name;
  const char* package;
};

constexpr Requirement kRequirements[] = {
    {"/usr/sbin/mariadbd", "mariadb-server"},
    {"/usr/bin/mariadb-install-db", "mariadb-server"},
    {"/usr/bin/mariadb", "mariadb-client"},
    {"/usr/sbin/apache2", "apache2"},
    {"/usr/lib/apache2/modules/mod_mpm_prefork.so", "apache2"},
    {"/usr/lib/apache2/modules/mod_rewrite.so", "apache2"},
    {"/usr/bin/php", "php-cli"},
    {"/usr/share/wordpress/wp-settings.php", "wordpress"},
    {"/usr/bin/timeout", "coreutils"},
};

std::string setup_hint(const std::string& what, const std::string& package) {
  return "a real WordPress cannot run here: " + what + " (Debian package " + package + "); run scripts/setup";
}

/// Apache's PHP module (libapache2-mod-php), whatever PHP version it is for.
fs::path php_module() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kApacheModules, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("libphp", 0) == 0 && entry.path().extension() == ".so") return entry.path();
  }
  return {};
}

/// PHP's mysqli extension (php-mysql), in any of PHP's extension directories.
bool have_mysqli() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/php", ec))
    if (fs::exists(entry.path() / "mysqli.so", ec)) return true;
  return false;
}

void write_text(const fs::path& path, const std::string& text, fs::perms mode) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
  fs::permissions(path, mode);
}

/// Throws unless `account` can use `path` (`test -r` or `-w`): a temporary
/// directory under a private home folder is out of the servers' reach.
void check_reachable(const fs::path& path, const char* account, const char* test) {
  if (run_process({"/usr/bin/test", test, path.string()}, {}, account).exit_code != 0)
    throw std::runtime_error("the account " + std::string(account) + " cannot use " + path.string() +
                             "; set TMPDIR to a directory every account may pass through, such as /tmp");
}

/// A PHP single-quoted string literal.
std::string php_string(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// The must-use plugin behind the fault switches. Each switch is a file in
// the faults directory holding "COUNT MILLISECONDS": the next COUNT REST
// creates of a post are held that long. Must-use plugins load on every
// request without activation: https://codex.wordpress.org/Must_Use_Plugins
constexpr const char* kFaultPlugin = R"php(<?php
/*
 * Plugin Name: herald test fault switches
 * Description: Written by herald's tests/support/real_wordpress.cpp; never for a real site.
 *
 * Hooks, from the WordPress developer reference:
 *  - rest_pre_insert_{$this->post_type} filters a post prepared from a REST
 *    request before it is inserted:
 *    https://developer.wordpress.org/reference/hooks/rest_pre_insert_this-post_type/
 *    "slow-create" waits here, so the post does not exist until it is over.
 *  - rest_after_insert_{$this->post_type} fires after a post is completely
 *    created or updated through the REST API ($creating is true for a create):
 *    https://developer.wordpress.org/reference/hooks/rest_after_insert_this-post_type/
 *    "lost-answer" waits here, after the post is saved, before the answer.
 */

/* Takes one create from switch $name: its delay in milliseconds, or 0. */
function herald_test_take_fault( $name ) {
	$file = @fopen( HERALD_TEST_FAULTS . '/' . $name, 'r+' );
	if ( ! $file ) {
		return 0;
	}
	flock( $file, LOCK_EX );
	$fields = explode( ' ', trim( stream_get_contents( $file ) ) );
	$count  = (int) $fields[0];
	$delay  = isset( $fields[1] ) ? (int) $fields[1] : 0;
	if ( $count > 0 ) {
		ftruncate( $file, 0 );
		rewind( $file );
		fwrite( $file, ( $count - 1 ) . ' ' . $delay . "\n" );
		fflush( $file );
	}
	flock( $file, LOCK_UN );
	fclose( $file );
	return $count > 0 ? $delay : 0;
}

function herald_test_fault_event( $line ) {
	file_put_contents( HERALD_TEST_FAULTS . '/events.log', $line . "\n", FILE_APPEND | LOCK_EX );
}

// The lost-answer delay of the create this request is making.
$herald_test_lost_answer = 0;

add_filter(
	'rest_pre_insert_post',
	function ( $prepared_post, $request ) {
		global $herald_test_lost_answer;
		// An update carries the post's ID; only creates are held.
		if ( ! empty( $prepared_post->ID ) ) {
			return $prepared_post;
		}
		// Both switches are taken here, as the create begins: a switch set
		// later must not reach a create already under way (one whose client
		// gave up, say, and which the server still runs to its end).
		$delay                   = herald_test_take_fault( 'slow-create' );
		$herald_test_lost_answer = herald_test_take_fault( 'lost-answer' );
		if ( $delay > 0 ) {
			herald_test_fault_event( 'slow-create hold' );
			usleep( $delay * 1000 );
			herald_test_fault_event( 'slow-create release' );
		}
		return $prepared_post;
	},
	10,
	2
);

add_action(
	'rest_after_insert_post',
	function ( $post, $request, $creating ) {
		global $herald_test_lost_answer;
		if ( $creating && $herald_test_lost_answer > 0 ) {
			herald_test_fault_event( 'lost-answer hold post=' . $post->ID );
			usleep( $herald_test_lost_answer * 1000 );
			herald_test_fault_event( 'lost-answer release post=' . $post->ID );
		}
	},
	10,
	3
);

// No mail leaves a test site (https://developer.wordpress.org/reference/hooks/pre_wp_mail/).
add_filter( 'pre_wp_mail', '__return_false' );
)php";

// Installs the site and creates its users, run with PHP CLI as the web
// server's account. The Application Passwords go to stdout only, on one
// line the harness looks for, never into a log.
//  - wp_install(): https://developer.wordpress.org/reference/functions/wp_install/
//  - wp_insert_user() and roles: https://developer.wordpress.org/reference/functions/wp_insert_user/ ,
//    https://wordpress.org/documentation/article/roles-and-capabilities/
//  - WP_Application_Passwords::create_new_application_password() returns
//    [password, item]: https://developer.wordpress.org/reference/classes/wp_application_passwords/create_new_application_password/
//  - WP_Rewrite::set_permalink_structure(): the REST API's /wp-json/ routes
//    need pretty permalinks; https://developer.wordpress.org/reference/classes/wp_rewrite/set_permalink_structure/
constexpr const char* kInstallScript = R"php(<?php
define( 'WP_INSTALLING', true );
require $argv[1] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

// wp_install() probes pretty permalinks with a request to the site (not up
// yet) and mails the admin: neither may happen here.
add_filter( 'pre_http_request', function () { return new WP_Error( 'herald_test', 'no HTTP while installing' ); } );
add_filter( 'pre_wp_mail', '__return_false' );

$installed = wp_install( $argv[2], 'admin', 'admin@example.invalid', false, '', wp_generate_password( 32, true, true ) );
$users     = array();
foreach ( array( 'admin' => 'administrator', 'editor' => 'editor', 'author' => 'author' ) as $login => $role ) {
	$id = 'admin' === $login ? $installed['user_id'] : wp_insert_user(
		array(
			'user_login' => $login,
			'user_pass'  => wp_generate_password( 32, true, true ),
			'user_email' => $login . '@example.invalid',
			'role'       => $role,
		)
	);
	if ( is_wp_error( $id ) ) {
		fwrite( STDERR, "cannot create user $login: " . $id->get_error_message() . "\n" );
		exit( 1 );
	}
	$made = WP_Application_Passwords::create_new_application_password( $id, array( 'name' => 'herald test' ) );
	if ( is_wp_error( $made ) ) {
		fwrite( STDERR, "cannot create an application password for $login: " . $made->get_error_message() . "\n" );
		exit( 1 );
	}
	$users[] = array( 'id' => $id, 'login' => $login, 'role' => $role, 'app_password' => $made[0] );
}

global $wp_rewrite;
$wp_rewrite->set_permalink_structure( '/%postname%/' );
$wp_rewrite->flush_rules( false );

echo 'herald-users ', wp_json_encode( $users ), "\n";
)php";

}  // namespace

std::string RealWordpress::unavailable() {
  for (const auto& requirement : kRequirements)
    if (::access(requirement.name, R_OK) != 0)
      return setup_hint(std::string(requirement.name) + " is missing", requirement.package);
  if (php_module().empty())
    return setup_hint(std::string("Apache's PHP module (") + kApacheModules + "/libphp*.so) is missing",
                      "libapache2-mod-php");
  if (!have_mysqli()) return setup_hint("PHP's mysqli extension is missing", "php-mysql");
  if (::geteuid() == 0) {
    // mariadbd refuses to run as root, and the web server should not either.
    for (const Requirement& account : {Requirement{kDatabaseAccount, "mariadb-server"}, Requirement{kWebAccount, "apache2"}})
      if (!account_exists(account.name))
        return setup_hint(std::string("the account ") + account.name + " does not exist", account.package);
  }
  return {};
}

StartedWordpress RealWordpress::start() {
  StartedWordpress started;
  started.unavailable = unavailable();
  if (!started.unavailable.empty()) return started;

  std::unique_ptr<RealWordpress> site(new RealWordpress);
  std::string pattern = (fs::temp_directory_path() / "herald-wordpress-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory " + pattern);
  site->dir_ = pattern;
  // Traversable, not listable: the servers' accounts reach their own folders.
  fs::permissions(site->dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  // A unix socket path has room for 107 bytes.
  if ((site->dir_ / "mariadb/mysqld.sock").string().size() > 107)
    throw std::runtime_error("the temporary directory " + site->dir_.string() +
                             " is too deep for MariaDB's socket; set TMPDIR to a shorter path");

  // The copy of WordPress (56 MB) runs while MariaDB starts: both wait on
  // the disk more than on the CPU. cp runs as a process of its own, not on
  // a thread of the test: start_database() forks a keeper that never execs,
  // and a fork while another thread runs leaves that thread behind in the
  // keeper (ThreadSanitizer reports it as leaked when the keeper exits).
  const fs::path root = site->dir_ / "wordpress";
  const fs::path copy_log = site->dir_ / "cp.log";
  // cp -a keeps Debian's symlinks into /usr/share/javascript and friends.
  BackgroundProcess copy({"/bin/cp", "-a", kWordpressTree, root.string()}, copy_log.string());
  site->start_database();
  if (const int copied = copy.wait(std::chrono::minutes(10)); copied != 0)
    throw std::runtime_error("cannot copy " + std::string(kWordpressTree) + " (exit " + std::to_string(copied) +
                             "): " + read_file(copy_log.string()));
  site->install_wordpress();
  site->start_web_server();
  started.site = std::move(site);
  return started;
}

RealWordpress::~RealWordpress() {
  web_.reset();       // the keeper kills the group and reaps it
  database_.reset();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::string RealWordpress::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void RealWordpress::start_database() {
  const fs::path home = dir_ / "mariadb";
  fs::create_directories(home / "data");
  fs::create_directories(home / "tmp");
  for (const auto& path : {home, home / "data", home / "tmp"}) hand_over(path, kDatabaseAccount);
  check_reachable(home / "data", kDatabaseAccount, "-w");

  db_password_ = random_hex(32);
  const fs::path socket = home / "mysqld.sock";
  write_text(dir_ / "init.sql",
             "CREATE DATABASE IF NOT EXISTS wordpress CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n"
             "CREATE USER IF NOT EXISTS 'wordpress'@'localhost' IDENTIFIED BY '" + db_password_ + "';\n"
             "GRANT ALL PRIVILEGES ON wordpress.* TO 'wordpress'@'localhost';\n",
             fs::perms::owner_read | fs::perms::owner_write);
  hand_over(dir_ / "init.sql", kDatabaseAccount);
  write_text(dir_ / "client.cnf",
             "[client]\nsocket=" + socket.string() + "\nuser=wordpress\npassword=" + db_password_ +
                 "\ndatabase=wordpress\ndefault-character-set=utf8mb4\n",
             fs::perms::owner_read | fs::perms::owner_write);

  // Small InnoDB files and no fsync: a throwaway database starts in about
  // a second and a half instead of writing 100 MB of logs.
  const std::vector<std::string> innodb = {"--innodb-log-file-size=8M", "--innodb-buffer-pool-size=32M",
                                           "--innodb-flush-method=nosync", "--innodb-flush-log-at-trx-commit=0",
                                           "--innodb-doublewrite=0"};
  std::vector<std::string> install = {"/usr/bin/timeout", "-k", "5", "120", "/usr/bin/mariadb-install-db",
                                      "--no-defaults", "--datadir=" + (home / "data").string(),
                                      "--auth-root-authentication-method=socket", "--skip-test-db",
                                      // Only the unix socket is used: no host names, and --force is
                                      // the documented way to go on when the machine's own name does
                                      // not resolve (a minimal container without /etc/hosts).
                                      "--skip-name-resolve", "--force"};
  install.insert(install.end(), innodb.begin(), innodb.end());
  const ProcessResult installed = run_process(install, {}, kDatabaseAccount);
  if (installed.exit_code != 0)
    throw std::runtime_error("mariadb-install-db exited with " + std::to_string(installed.exit_code) + ":\n" +
                             installed.out + installed.err);

  std::vector<std::string> server = {"/usr/sbin/mariadbd", "--no-defaults",
                                     "--datadir=" + (home / "data").string(),
                                     "--socket=" + socket.string(),
                                     "--skip-networking",
                                     "--pid-file=" + (home / "mysqld.pid").string(),
                                     "--log-error=" + (home / "error.log").string(),
                                     "--tmpdir=" + (home / "tmp").string(),
                                     "--init-file=" + (dir_ / "init.sql").string(),
                                     "--skip-name-resolve",
                                     "--character-set-server=utf8mb4",
                                     "--collation-server=utf8mb4_unicode_ci"};
  server.insert(server.end(), innodb.begin(), innodb.end());
  database_ = std::make_unique<ServerProcess>(server, (home / "server.log").string(), std::vector<std::string>{},
                                              kDatabaseAccount);

  // Up when our own user can run a query: the socket exists only once the
  // server accepts connections, and the user only after the init file ran.
  bool died = false;
  const bool up = eventually(
      [&] {
        if (!database_->running()) return died = true;
        return run_process({"/usr/bin/mariadb", "--defaults-file=" + (dir_ / "client.cnf").string(), "-e",
                            "SELECT 1"})
                   .exit_code == 0;
      },
      60s);
  if (died || !up)
    throw std::runtime_error(std::string("MariaDB ") + (died ? "exited" : "did not accept connections within 60 s") +
                             ":\n" + tail_of(home / "error.log") + tail_of(home / "server.log"));
}

void RealWordpress::write_site_config() const {
  const fs::path root = dir_ / "wordpress";
  std::ostringstream config;
  config << "<?php\n"
            "// Written by herald's tests/support/real_wordpress.cpp for one test run.\n"
            "// https://developer.wordpress.org/apis/wp-config-php/\n"
         << "define( 'DB_NAME', 'wordpress' );\n"
         << "define( 'DB_USER', 'wordpress' );\n"
         << "define( 'DB_PASSWORD', " << php_string(db_password_) << " );\n"
         << "// host:socket, as wp-config-php documents for a unix socket\n"
         << "define( 'DB_HOST', " << php_string("localhost:" + (dir_ / "mariadb/mysqld.sock").string()) << " );\n"
         << "define( 'DB_CHARSET', 'utf8mb4' );\n"
         << "define( 'DB_COLLATE', '' );\n"
         << "$table_prefix = 'wp_';\n";
  for (const char* key : {"AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT",
                          "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"})
    config << "define( '" << key << "', '" << random_hex(64) << "' );\n";
  config << "define( 'WP_HOME', " << php_string(base_url()) << " );\n"
         << "define( 'WP_SITEURL', " << php_string(base_url()) << " );\n"
         << "// Application Passwords need https unless the environment is local.\n"
         << "define( 'WP_ENVIRONMENT_TYPE', 'local' );\n"
         << "// Nothing leaves the machine: no HTTP beyond the site itself, no updates, no cron spawns.\n"
         << "define( 'WP_HTTP_BLOCK_EXTERNAL', true );\n"
         << "define( 'AUTOMATIC_UPDATER_DISABLED', true );\n"
         << "define( 'WP_AUTO_UPDATE_CORE', false );\n"
         << "define( 'DISABLE_WP_CRON', true );\n"
         << "define( 'HERALD_TEST_FAULTS', " << php_string((dir_ / "faults").string()) << " );\n"
         << "if ( ! defined( 'ABSPATH' ) ) {\n\tdefine( 'ABSPATH', __DIR__ . '/' );\n}\n"
         << "require_once ABSPATH . 'wp-settings.php';\n";
  write_text(root / "wp-config.php", config.str(),
             fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
}

void RealWordpress::install_wordpress() {
  const fs::path root = dir_ / "wordpress";
  fs::create_directories(root / "wp-content/uploads");
  fs::create_directories(root / "wp-content/mu-plugins");
  hand_over(root / "wp-content/uploads", kWebAccount);

  const fs::path faults = dir_ / "faults";
  fs::create_directories(faults);
  hand_over(faults, kWebAccount);
  for (const char* name : {"slow-create", "lost-answer"}) write_fault(name, 0, 0ms);
  write_text(faults / "events.log", "", fs::perms::all & ~(fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec));
  hand_over(faults / "events.log", kWebAccount);
  write_text(root / "wp-content/mu-plugins/herald-test-faults.php", kFaultPlugin,
             fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);

  fs::create_directories(dir_ / "apache");
  hand_over(dir_ / "apache", kWebAccount);
  port_ = free_loopback_port();
  write_site_config();
  check_reachable(root / "wp-config.php", kWebAccount, "-r");
  write_text(dir_ / "install.php", kInstallScript,
             fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);

  const ProcessResult result =
      run_process({"/usr/bin/timeout", "-k", "5", "120", "/usr/bin/php", "-d", "display_errors=stderr",
                   (dir_ / "install.php").string(), root.string(), kSiteTitle},
                  {}, kWebAccount);
  // stdout holds the passwords: only stderr may reach a message.
  const std::string marker = "herald-users ";
  const auto at = result.out.find(marker);
  if (result.exit_code != 0 || at == std::string::npos)
    throw std::runtime_error("installing WordPress failed (exit " + std::to_string(result.exit_code) + "):\n" +
                             result.err);
  const auto end = result.out.find('\n', at);
  json::value parsed;
  try {
    parsed = json::parse(result.out.substr(at + marker.size(), end == std::string::npos ? end : end - at - marker.size()));
  } catch (const std::exception&) {
    throw std::runtime_error("the WordPress install script printed no readable list of users");
  }
  for (const auto& item : parsed.as_array()) {
    const auto& o = item.as_object();
    WordpressUser user;
    user.id = o.at("id").to_number<std::int64_t>();
    user.login = json::value_to<std::string>(o.at("login"));
    user.role = json::value_to<std::string>(o.at("role"));
    user.app_password = Secret(json::value_to<std::string>(o.at("app_password")));
    users_.push_back(std::move(user));
  }
  if (users_.size() != 3) throw std::runtime_error("the WordPress install script did not create three users");
}

void RealWordpress::start_web_server() {
  const fs::path home = dir_ / "apache";
  const fs::path modules = kApacheModules;
  constexpr int kAttempts = 5;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    std::ostringstream conf;
    conf << "# Written by herald's tests/support/real_wordpress.cpp for one test run.\n"
         << "ServerRoot " << home << "\n"
         << "Listen 127.0.0.1:" << port_ << "\n"
         << "ServerName 127.0.0.1\n"
         << "PidFile " << (home / "httpd.pid") << "\n"
         << "DefaultRuntimeDir " << home << "\n"
         << "ErrorLog " << (home / "error.log") << "\n"
         << "LogLevel warn\n"
         << "LoadModule mpm_prefork_module " << (modules / "mod_mpm_prefork.so") << "\n"
         << "LoadModule authz_core_module " << (modules / "mod_authz_core.so") << "\n"
         << "LoadModule dir_module " << (modules / "mod_dir.so") << "\n"
         << "LoadModule mime_module " << (modules / "mod_mime.so") << "\n"
         << "LoadModule rewrite_module " << (modules / "mod_rewrite.so") << "\n"
         << "LoadModule php_module " << php_module() << "\n"
         // One process per request (mod_php needs prefork): enough spare
         // processes that a request held by a fault switch, or a client's
         // idle keep-alive connection, never blocks the next request.
         << "StartServers 4\nMinSpareServers 4\nMaxSpareServers 8\nServerLimit 16\nMaxRequestWorkers 16\n"
         << "TypesConfig /etc/mime.types\n"
         << "LogFormat \"%h %t \\\"%r\\\" %>s %b %Dus\" herald\n"
         << "CustomLog " << (home / "access.log") << " herald\n"
         << "DocumentRoot " << (dir_ / "wordpress") << "\n"
         << "<Directory />\n  AllowOverride None\n  Require all denied\n</Directory>\n"
         << "<Directory " << (dir_ / "wordpress") << ">\n"
         << "  Options FollowSymLinks\n  AllowOverride None\n  Require all granted\n"
         << "  DirectoryIndex index.php\n"
         << "  RewriteEngine On\n  RewriteRule ^index\\.php$ - [L]\n"
         << "  RewriteCond %{REQUEST_FILENAME} !-f\n  RewriteCond %{REQUEST_FILENAME} !-d\n"
         << "  RewriteRule . /index.php [L]\n"
         << "</Directory>\n"
         << "<FilesMatch \"\\.php$\">\n  SetHandler application/x-httpd-php\n</FilesMatch>\n";
    write_text(dir_ / "httpd.conf", conf.str(),
               fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);

    web_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{"/usr/sbin/apache2", "-f", (dir_ / "httpd.conf").string(), "-DFOREGROUND"},
        (home / "server.log").string(), std::vector<std::string>{}, kWebAccount);

    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(1s);
    client.set_read_timeout(30s);
    bool died = false;
    const bool up = eventually(
        [&] {
          if (!web_->running()) return died = true;
          auto answer = client.Get("/wp-json/");
          return answer && answer->status == 200 && answer->body.find(kSiteTitle) != std::string::npos;
        },
        60s);
    if (up && !died) return;
    const std::string errors = read_file((home / "error.log").string()) + read_file((home / "server.log").string());
    web_.reset();
    // Someone took the port between free_loopback_port() and Apache's bind.
    if (died && errors.find("Address already in use") != std::string::npos && attempt < kAttempts) {
      port_ = free_loopback_port();
      write_site_config();
      continue;
    }
    throw std::runtime_error(std::string("Apache ") + (died ? "exited" : "did not answer GET /wp-json/ within 60 s") +
                             ":\n" + logs());
  }
}

std::vector<std::string> RealWordpress::sql(const std::string& statement) const {
  const ProcessResult result = run_process({"/usr/bin/mariadb", "--defaults-file=" + (dir_ / "client.cnf").string(),
                                            "--batch", "--skip-column-names", "--raw", "-e", statement});
  if (result.exit_code != 0) throw std::runtime_error("mariadb: " + result.err);
  std::vector<std::string> lines;
  std::istringstream in(result.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<WordpressPost> RealWordpress::posts() const {
  // One JSON array, so titles and contents with tabs or newlines survive.
  const auto lines = sql(
      "SET SESSION group_concat_max_len = 67108864; "
      "SELECT JSON_ARRAYAGG(JSON_OBJECT('id', p.ID, 'status', p.post_status, 'slug', p.post_name, "
      "'title', p.post_title, 'content', p.post_content, 'author', COALESCE(u.user_login, '')) ORDER BY p.ID) "
      "FROM wp_posts p LEFT JOIN wp_users u ON u.ID = p.post_author WHERE p.post_type = 'post'");
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  std::vector<WordpressPost> out;
  if (lines.empty() || lines.front() == "NULL") return out;
  const json::value parsed = json::parse(text);
  for (const auto& item : parsed.as_array()) {
    const auto& o = item.as_object();
    WordpressPost post;
    post.id = o.at("id").to_number<std::int64_t>();
    post.status = json::value_to<std::string>(o.at("status"));
    post.slug = json::value_to<std::string>(o.at("slug"));
    post.title = json::value_to<std::string>(o.at("title"));
    post.content = json::value_to<std::string>(o.at("content"));
    post.author = json::value_to<std::string>(o.at("author"));
    out.push_back(std::move(post));
  }
  return out;
}

std::vector<WordpressPost> RealWordpress::posts_with_slug(const std::string& slug) const {
  std::vector<WordpressPost> out;
  for (auto& post : posts())
    if (post.slug == slug) out.push_back(std::move(post));
  return out;
}

// The plugin takes one create at a time under flock(); so does this side,
// rewriting the file in place so a create in flight never loses its count.
void RealWordpress::write_fault(const std::string& name, int count, std::chrono::milliseconds delay) {
  const fs::path path = dir_ / "faults" / name;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  ::fchmod(fd, 0666);  // whatever the umask: the web server's account rewrites it
  ::flock(fd, LOCK_EX);
  const std::string text = std::to_string(count) + " " + std::to_string(delay.count()) + "\n";
  const bool ok = ::ftruncate(fd, 0) == 0 && ::pwrite(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size());
  ::flock(fd, LOCK_UN);
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + path.string());
}

int RealWordpress::fault_left(const std::string& name) const {
  const fs::path path = dir_ / "faults" / name;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ::flock(fd, LOCK_SH);
  char buffer[64] = {};
  const ssize_t got = ::pread(fd, buffer, sizeof buffer - 1, 0);
  ::flock(fd, LOCK_UN);
  ::close(fd);
  return got > 0 ? std::atoi(buffer) : 0;
}

void RealWordpress::slow_creates(int count, std::chrono::milliseconds delay) { write_fault("slow-create", count, delay); }
void RealWordpress::lose_answers(int count, std::chrono::milliseconds delay) { write_fault("lost-answer", count, delay); }
int RealWordpress::slow_creates_left() const { return fault_left("slow-create"); }
int RealWordpress::lost_answers_left() const { return fault_left("lost-answer"); }

std::vector<std::string> RealWordpress::fault_events() const {
  std::vector<std::string> lines;
  std::istringstream in(read_file((dir_ / "faults/events.log").string()));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

std::string RealWordpress::logs() const {
  return tail_of(dir_ / "mariadb/error.log") + tail_of(dir_ / "apache/server.log") +
         tail_of(dir_ / "apache/error.log") + tail_of(dir_ / "apache/access.log");
}

}  // namespace herald::testing
