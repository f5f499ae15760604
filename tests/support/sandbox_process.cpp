#include "tests/support/sandbox_process.hpp"

#include "connectors/http_client.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <map>
#include <stdexcept>

namespace herald::testing {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

HttpResponse send(const std::string& method, const std::string& url, const std::string& body = {}) {
  HttplibClient client("test");
  HttpRequest request{method, url, {}, body, body.empty() ? "" : "application/json"};
  return client.send(request);
}

}  // namespace

SandboxProcess::SandboxProcess(const std::filesystem::path& dir, const std::string& config_yaml) {
  std::filesystem::create_directories(dir);
  const auto config = dir / "sandbox.yaml";
  std::ofstream(config) << config_yaml;
  const auto log = (dir / "sandbox.log").string();
  const auto before = read_file(log).size();
  process_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{HERALD_SANDBOX_BINARY, "--listen", "127.0.0.1:0", "--config", config.string()}, log);
  const std::string marker = "herald-sandbox: listening on 127.0.0.1:";
  std::size_t at = std::string::npos;
  eventually([&] { return (at = read_file(log).find(marker, before)) != std::string::npos; }, 20s);
  if (at == std::string::npos) throw std::runtime_error("herald-sandbox did not start: " + read_file(log));
  const std::string text = read_file(log);
  base_url_ = "http://127.0.0.1:" + std::to_string(std::stoi(text.substr(at + marker.size())));
}

SandboxProcess::~SandboxProcess() {
  process_->signal(SIGTERM);
  process_->wait(10s);
}

std::vector<SandboxCreate> SandboxProcess::creates() const {
  HttpResponse response = send("GET", base_url_ + "/_sandbox/creates");
  if (response.status != 200) throw std::runtime_error("GET /_sandbox/creates: " + response.error);
  std::vector<SandboxCreate> out;
  const json::value body = json::parse(response.body);
  for (const auto& item : body.at("creates").as_array()) {
    const auto& o = item.as_object();
    SandboxCreate c;
    c.platform = json::value_to<std::string>(o.at("platform"));
    c.account = json::value_to<std::string>(o.at("account"));
    c.id = json::value_to<std::string>(o.at("id"));
    c.text = json::value_to<std::string>(o.at("text"));
    c.in_reply_to = json::value_to<std::string>(o.at("in_reply_to"));
    for (const auto& id : o.at("media_ids").as_array()) c.media_ids.emplace_back(id.as_string());
    if (const auto* fields = o.if_contains("fields"))
      for (const auto& [name, value] : fields->as_object())
        c.fields[std::string(name)] = value.is_string() ? std::string(value.as_string()) : json::serialize(value);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<SandboxCreate> SandboxProcess::public_posts(const std::string& platform) const {
  std::vector<SandboxCreate> out;
  for (auto& c : creates()) {
    if (c.platform != platform) continue;
    const auto field = [&](const char* name) {
      auto it = c.fields.find(name);
      return it == c.fields.end() ? std::string() : it->second;
    };
    if (platform == "wordpress" && field("status") != "publish") continue;
    if (platform == "facebook" && (field("published") == "false" || field("deleted") == "true")) continue;
    if (platform == "youtube" && std::any_of(out.begin(), out.end(), [&](const SandboxCreate& o) { return o.id == c.id; }))
      continue;
    out.push_back(c);
  }
  return out;
}

int SandboxProcess::held() const {
  HttpResponse response = send("GET", base_url_ + "/_sandbox/held");
  if (response.status != 200) throw std::runtime_error("GET /_sandbox/held: " + response.error);
  return static_cast<int>(json::parse(response.body).at("held").as_int64());
}

void SandboxProcess::add_fault(const std::string& body) const {
  HttpResponse response = send("POST", base_url_ + "/_sandbox/faults", body);
  if (response.status != 201) throw std::runtime_error("POST /_sandbox/faults: " + response.body + response.error);
}

std::string sandbox_x_section(int create_limit) {
  return "x:\n"
         "  create_limit: " + std::to_string(create_limit) + "\n"
         "  accounts:\n"
         "    - {username: sandbox_herald, user_id: \"1000000000000000001\", consumer_key: FAKE-ck,\n"
         "       consumer_secret: FAKE-cs, access_token: 1000000000000000001-FAKE-at, access_token_secret: FAKE-ats}\n";
}

std::string sandbox_x_credentials() {
  return "consumer_key: FAKE-ck\nconsumer_secret: FAKE-cs\naccess_token: 1000000000000000001-FAKE-at\n"
         "access_token_secret: FAKE-ats\nuser_id: \"1000000000000000001\"\n";
}

}  // namespace herald::testing
