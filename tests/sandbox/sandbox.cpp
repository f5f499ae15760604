#include "tests/sandbox/sandbox.hpp"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <stdexcept>
#include <unistd.h>

#include "tests/sandbox/sandbox_util.hpp"

namespace herald {
namespace json = boost::json;

namespace {

const char* fault_mode_name(Sandbox::FaultMode mode) {
  switch (mode) {
    case Sandbox::FaultMode::rate_limit: return "rate_limit";
    case Sandbox::FaultMode::server_error: return "server_error";
    case Sandbox::FaultMode::delay: return "delay";
    case Sandbox::FaultMode::drop_after_create: return "drop_after_create";
  }
  return "?";
}

}  // namespace

bool is_loopback_address(std::string_view address) {
  if (address.starts_with("::ffff:")) address.remove_prefix(7);
  return address == "::1" || address.starts_with("127.");
}

std::optional<Sandbox::FaultMode> parse_fault_mode(std::string_view name) {
  using Mode = Sandbox::FaultMode;
  for (auto mode : {Mode::rate_limit, Mode::server_error, Mode::delay, Mode::drop_after_create})
    if (name == fault_mode_name(mode)) return mode;
  return std::nullopt;
}

Sandbox::Sandbox(Config config) : config_(std::move(config)), server_(std::make_unique<httplib::Server>()) {
  if (!config_.now_ms) {
    config_.now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  platforms_.emplace_back("x", std::make_unique<XSandbox>(*this));
  platforms_.emplace_back("facebook", std::make_unique<FacebookSandbox>(*this));
  platforms_.emplace_back("youtube", std::make_unique<YoutubeSandbox>(*this));
  platforms_.emplace_back("wordpress", std::make_unique<WordpressSandbox>(*this));
  platforms_.emplace_back("linkedin", std::make_unique<LinkedinSandbox>(*this));
  platforms_.emplace_back("instagram", std::make_unique<InstagramSandbox>(*this));
  platforms_.emplace_back("mastodon", std::make_unique<MastodonSandbox>(*this));
  platforms_.emplace_back("bluesky", std::make_unique<BlueskySandbox>(*this));
  server_->set_keep_alive_max_count(config_.requests_per_connection);
  server_->set_tcp_nodelay(true);  // answers written in two parts must not wait for a delayed ACK
  for (auto& [name, platform] : platforms_) platform->install(*server_);
  routes();
}

Sandbox::~Sandbox() { stop(); }

std::int64_t Sandbox::now_ms() const { return config_.now_ms(); }

void Sandbox::start(const std::string& host, int port) {
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else {
    port_ = server_->bind_to_port(host, port) ? port : -1;
  }
  if (port_ <= 0) throw std::runtime_error("herald-sandbox: cannot bind " + host + ":" + std::to_string(port));
  // The socket is listening once bound, so clients may connect before the
  // accept loop below is scheduled.
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib::Server::stop() does nothing until the accept loop has started,
  // so wait for it here; a stop() right after start() would otherwise hang.
  // A loop that never starts (the thread failed) is an error, not a hang.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server_->is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      server_->stop();
      if (thread_.joinable()) thread_.join();
      throw std::runtime_error("herald-sandbox: the server on " + host + ":" + std::to_string(port_) +
                               " did not start accepting within 10 s");
    }
    ::usleep(1000);
  }
}

int Sandbox::port() const { return port_; }

void Sandbox::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stopping_cv_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::vector<Sandbox::Create> Sandbox::creates() const {
  std::lock_guard lock(mutex_);
  return creates_;
}

Sandbox::Create Sandbox::record(Create create) {
  if (create.at_ms == 0) create.at_ms = now_ms();
  std::lock_guard lock(mutex_);
  creates_.push_back(create);
  return create;
}

bool Sandbox::update_record(const std::string& platform, const std::string& id,
                            const std::function<void(Create&)>& change) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(creates_.rbegin(), creates_.rend(),
                         [&](const Create& c) { return c.platform == platform && c.id == id; });
  if (it == creates_.rend()) return false;
  change(*it);
  return true;
}

void Sandbox::add_fault(Fault fault) {
  std::lock_guard lock(mutex_);
  faults_.push_back(std::move(fault));
}

void Sandbox::reset() {
  {
    std::lock_guard lock(mutex_);
    creates_.clear();
    faults_.clear();
  }
  for (auto& [name, platform] : platforms_) platform->reset();
}

bool Sandbox::delete_post(const std::string& platform, const std::string& id) {
  if (!update_record(platform, id, [](Create& c) { c.fields["deleted"] = "true"; })) return false;
  for (auto& [name, module] : platforms_)
    if (name == platform) module->remove_post(id);
  return true;
}

bool Sandbox::hold(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex_);
  ++held_;
  const bool stopped = stopping_cv_.wait_for(lock, duration, [this] { return stopping_; });
  --held_;
  return !stopped;
}

int Sandbox::held() const {
  std::lock_guard lock(mutex_);
  return held_;
}

std::optional<Sandbox::Fault> Sandbox::take_fault(const std::string& path, const std::string& route) {
  return take_fault({}, path, route);
}

std::optional<Sandbox::Fault> Sandbox::take_fault(const std::string& method, const std::string& path,
                                                  const std::string& route) {
  const std::string method_path = method.empty() ? std::string() : method + " " + path;
  const std::string method_route = method.empty() ? std::string() : method + " " + route;
  std::lock_guard lock(mutex_);
  // The first armed fault that matches in any form, so faults fire in the
  // order they were armed.
  auto it = std::find_if(faults_.begin(), faults_.end(), [&](const Fault& f) {
    if (method == "GET" && f.mode == FaultMode::drop_after_create) return false;
    return f.count > 0 && (f.path == path || f.path == route ||
                           (!method.empty() && (f.path == method_path || f.path == method_route)));
  });
  if (it == faults_.end()) return std::nullopt;
  Fault taken = *it;
  if (--it->count == 0) faults_.erase(it);
  return taken;
}

void Sandbox::routes() {
  server_->Post("/_sandbox/faults", [this](const httplib::Request& req, httplib::Response& res) {
    if (!control_allowed(req, res)) return;
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    const json::object* object = ec ? nullptr : body.if_object();
    const json::value* mode_value = object ? object->if_contains("mode") : nullptr;
    std::optional<FaultMode> mode =
        mode_value && mode_value->is_string() ? parse_fault_mode(mode_value->as_string()) : std::nullopt;
    const json::value* path_value = object ? object->if_contains("path") : nullptr;
    if (!mode || !path_value || !path_value->is_string()) {
      send_json(res, 400,
                R"({"error":"expected {\"path\",\"mode\":\"rate_limit|server_error|delay|drop_after_create\"}"})");
      return;
    }
    Fault fault;
    fault.path = std::string(path_value->as_string());
    fault.mode = *mode;
    auto integer = [&](const char* name, int fallback) {
      const json::value* v = object->if_contains(name);
      return v && v->is_int64() ? static_cast<int>(v->as_int64()) : fallback;
    };
    fault.count = integer("count", 1);
    fault.reset_in = integer("reset_in", fault.reset_in);
    fault.delay_ms = integer("delay_ms", fault.delay_ms);
    add_fault(fault);
    send_json(res, 201, json::serialize(json::object{{"path", fault.path}, {"mode", fault_mode_name(fault.mode)},
                                                     {"count", fault.count}}));
  });

  server_->Get("/_sandbox/creates", [this](const httplib::Request& req, httplib::Response& res) {
    if (!control_allowed(req, res)) return;
    json::array list;
    for (const Create& c : creates()) {
      json::object headers;
      for (const auto& [name, value] : c.headers) headers[name] = value;
      json::object fields;
      for (const auto& [name, value] : c.fields) fields[name] = value;
      json::array media;
      for (const auto& id : c.media_ids) media.emplace_back(id);
      list.push_back(json::object{{"platform", c.platform}, {"account", c.account}, {"id", c.id},
                                  {"text", c.text}, {"in_reply_to", c.in_reply_to}, {"media_ids", media},
                                  {"fields", fields}, {"at_ms", c.at_ms}, {"headers", headers}});
    }
    send_json(res, 200, json::serialize(json::object{{"creates", list}}));
  });

  server_->Get("/_sandbox/held", [this](const httplib::Request& req, httplib::Response& res) {
    if (!control_allowed(req, res)) return;
    send_json(res, 200, json::serialize(json::object{{"held", held()}}));
  });

  // A person deleted a post in the platform's own app.
  server_->Post("/_sandbox/delete", [this](const httplib::Request& req, httplib::Response& res) {
    if (!control_allowed(req, res)) return;
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    const json::object* object = ec ? nullptr : body.if_object();
    const json::value* platform = object ? object->if_contains("platform") : nullptr;
    const json::value* id = object ? object->if_contains("id") : nullptr;
    if (!platform || !platform->is_string() || !id || !id->is_string()) {
      send_json(res, 400, R"({"error":"expected {\"platform\",\"id\"}"})");
      return;
    }
    if (!delete_post(std::string(platform->as_string()), std::string(id->as_string()))) {
      send_json(res, 404, R"({"error":"no such post in the record of creates"})");
      return;
    }
    res.status = 204;
  });

  server_->Post("/_sandbox/reset", [this](const httplib::Request& req, httplib::Response& res) {
    if (!control_allowed(req, res)) return;
    reset();
    res.status = 204;
  });
}

bool Sandbox::control_allowed(const httplib::Request& req, httplib::Response& res) const {
  if (is_loopback_address(req.remote_addr)) return true;
  send_json(res, 403, R"({"error":"the sandbox control API answers loopback peers only"})");
  return false;
}

Sandbox::Config load_sandbox_config(const std::string& path) {
  YAML::Node root = YAML::LoadFile(path);
  Sandbox::Config config;
  if (!root.IsMap()) throw std::runtime_error(path + ": error: expected a mapping at the top");
  reject_unknown_keys(root, {"x", "facebook", "youtube", "wordpress", "linkedin", "instagram", "mastodon", "bluesky"},
                      path);
  if (YAML::Node x = root["x"]) config.x = load_x_sandbox_config(x, path);
  if (YAML::Node facebook = root["facebook"]) config.facebook = load_facebook_sandbox_config(facebook, path);
  if (YAML::Node youtube = root["youtube"]) config.youtube = load_youtube_sandbox_config(youtube, path);
  if (YAML::Node wordpress = root["wordpress"]) config.wordpress = load_wordpress_sandbox_config(wordpress, path);
  if (YAML::Node linkedin = root["linkedin"]) config.linkedin = load_linkedin_sandbox_config(linkedin, path);
  if (YAML::Node instagram = root["instagram"]) config.instagram = load_instagram_sandbox_config(instagram, path);
  if (YAML::Node mastodon = root["mastodon"]) config.mastodon = load_mastodon_sandbox_config(mastodon, path);
  if (YAML::Node bluesky = root["bluesky"]) config.bluesky = load_bluesky_sandbox_config(bluesky, path);
  return config;
}

}  // namespace herald
