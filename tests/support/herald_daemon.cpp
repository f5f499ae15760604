#include "tests/support/herald_daemon.hpp"

#include <date/date.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <csignal>
#include <fstream>
#include <optional>
#include <regex>

namespace herald::testing {

using namespace std::chrono_literals;

HeraldDaemon::HeraldDaemon(const std::string& suffix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "-" + info->name() : "herald";
  if (!suffix.empty()) name += "-" + suffix;
  for (char& c : name)
    if (c == '/') c = '-';
  dir_ = std::filesystem::temp_directory_path() / ("herald-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  write_status_token(credentials_dir().string());
}

HeraldDaemon::~HeraldDaemon() {
  process_.reset();  // SIGKILLs it if it still runs
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info && info->result()->Failed()) {
    std::cerr << "herald.log of " << dir_ << ":\n" << log() << '\n';
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void HeraldDaemon::write_settings(const std::string& channels, const std::string& extra) {
  // `extra` may name its own state_dir.
  const bool own_state = extra.find("state_dir:") != std::string::npos;
  std::ofstream(config()) << "calendar: calendar.yaml\n" << (own_state ? "" : "state_dir: state\n")
                          << "credentials_dir: credentials\ntimezone: UTC\nstatus: {listen: \"127.0.0.1:0\"}\n"
                          << extra << (extra.empty() || extra.back() == '\n' ? "" : "\n") << "channels:\n"
                          << channels;
}

void HeraldDaemon::write_credential(const std::string& name, const std::string& text) {
  const auto file = credentials_dir() / name;
  std::filesystem::create_directories(credentials_dir());
  std::error_code ec;
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  std::ofstream(file, std::ios::trunc) << text;
  std::filesystem::permissions(file, std::filesystem::perms::owner_read);
}

void HeraldDaemon::write_calendar(const std::string& text, bool by_rename) {
  if (!by_rename) {
    std::ofstream(dir_ / "calendar.yaml", std::ios::trunc) << text;
    return;
  }
  std::ofstream(dir_ / ".calendar.yaml.tmp", std::ios::trunc) << text;
  std::filesystem::rename(dir_ / ".calendar.yaml.tmp", dir_ / "calendar.yaml");
}

void HeraldDaemon::start(const std::vector<std::string>& env, const std::vector<std::string>& args) {
  log_start_ = log().size();
  port_ = 0;
  std::vector<std::string> command{HERALD_BINARY, "run", "--config", config().string()};
  command.insert(command.end(), args.begin(), args.end());
  process_ = std::make_unique<BackgroundProcess>(command, (dir_ / "herald.log").string(), env);
}

bool HeraldDaemon::wait_started(std::chrono::milliseconds timeout, bool standing_by) {
  // The last endpoint of this run: a standby's ("(standing by)") is
  // replaced by the active instance's when it takes over.
  static const std::regex bound("status endpoint on 127\\.0\\.0\\.1:([0-9]+)( \\(standing by\\))?");
  const auto last_port = [&](const std::string& text) -> std::optional<int> {
    std::optional<int> port;
    bool standby = false;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), bound); it != std::sregex_iterator(); ++it) {
      port = std::stoi((*it)[1]);
      standby = (*it)[2].matched;
    }
    if (port && standby == standing_by) return port;
    return std::nullopt;
  };
  const bool up = eventually(
      [&] { return last_port(log_of_this_run()) || (process_ && !process_->running()); }, timeout);
  const auto port = last_port(log_of_this_run());
  if (!up || !port) return false;
  port_ = *port;
  // The `herald` command reads status.listen from the settings: give it the
  // port the daemon bound (the daemon reads `status:` only at start-up, and
  // a restart binds the same port again).
  std::string settings = read_file(config().string());
  const std::string any = "listen: \"127.0.0.1:0\"";
  if (auto at = settings.find(any); at != std::string::npos) {
    settings.replace(at, any.size(), "listen: \"127.0.0.1:" + std::to_string(port_) + "\"");
    std::ofstream(config(), std::ios::trunc) << settings;
  }
  return true;
}

int HeraldDaemon::stop(std::chrono::milliseconds timeout) {
  if (!process_) return -1;
  process_->signal(SIGTERM);
  return process_->wait(timeout);
}

void HeraldDaemon::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait(10s);
}

std::string HeraldDaemon::log() const { return read_file((dir_ / "herald.log").string()); }

std::string HeraldDaemon::log_of_this_run() const {
  const std::string all = log();
  return log_start_ < all.size() ? all.substr(log_start_) : std::string();
}

bool HeraldDaemon::wait_for_log(const std::string& text, std::chrono::milliseconds timeout) {
  return eventually([&] { return log_of_this_run().find(text) != std::string::npos; }, timeout);
}

HttpAnswer HeraldDaemon::get(const std::string& path, std::chrono::seconds timeout) const {
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  auto r = client.Get(path.c_str());
  if (!r) return {};
  return {r->status, r->body};
}

HttpAnswer HeraldDaemon::post(const std::string& path, const std::string& body, std::chrono::seconds timeout) const {
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  httplib::Headers headers{{"Authorization", std::string("Bearer ") + kTestStatusToken}};
  auto r = client.Post(path.c_str(), headers, body, "application/json");
  if (!r) return {};
  return {r->status, r->body};
}

ProcessResult HeraldDaemon::cli(std::vector<std::string> args) const {
  args.insert(args.begin(), HERALD_BINARY);
  args.push_back("--config");
  args.push_back(config().string());
  return run_process(args);
}

std::string utc_in(std::chrono::seconds from_now) {
  const auto t = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) + from_now;
  return date::format("%FT%TZ", t);
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace herald::testing
