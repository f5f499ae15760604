// Fuzzes the status server's request handling (daemon/status_server.hpp,
// daemon/status_json.hpp) without sockets, through StatusServer::answer with
// a fake backend. Input, as text:
//   METHOD TARGET\n
//   Name: value\n      (headers, up to an empty line)
//   \n
//   body
// The token is "fuzz-token". Every answer is a status in 100..599 with a
// JSON body when it says so, and no POST reaches the backend without the token.
#include "daemon/status_json.hpp"
#include "daemon/status_server.hpp"

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

using namespace std::chrono_literals;

herald::StoredDelivery sample(const std::string& key) {
  herald::StoredDelivery d;
  d.key = key;
  d.post = "launch";
  d.channel = "x";
  d.planned = herald::Instant{date::sys_days{date::year{2027} / 3 / 2}} + 9h;
  d.state = herald::State::failed;
  d.attempts = 2;
  d.last_error = "403 duplicate content";
  d.updated = d.planned;
  return d;
}

// Answers like the daemon would, from canned data; some keys make it fail
// the ways a real backend can ("busy": 503, "boom": an exception, "gone": 404).
class FakeBackend : public herald::StatusBackend {
 public:
  bool acted = false;  // a POST action reached the backend

  herald::DaemonStatus status() override {
    herald::DaemonStatus s;
    s.version = "0.1.0";
    s.timezone = "Europe/Amsterdam";
    herald::ChannelStatus x;
    x.name = "x";
    x.counts = {{herald::State::failed, 1}};
    x.next = sample("launch@x");
    s.channels = {x};
    s.counts = x.counts;
    s.global_pause = herald::Pause{"", "holiday", {}, {}};
    return s;
  }
  std::vector<herald::StoredDelivery> queue(const herald::QueueFilter&) override { return {sample("launch@x")}; }
  std::optional<herald::StoredDelivery> delivery(const std::string& key) override {
    check(key);
    if (key == "gone") return std::nullopt;
    return sample(key);
  }
  std::vector<herald::HistoryEvent> history(int, const std::string& key) override {
    check(key);
    return {herald::HistoryEvent{3, {}, key, "failed", "sending", "failed", "403 duplicate content"}};
  }
  herald::ActionResult pause(const std::string& reason, const std::string& channel,
                             std::optional<herald::Instant> until) override {
    acted = true;
    check(reason);
    herald::ActionResult r;
    r.pauses = {herald::Pause{channel, reason, {}, until}};
    return r;
  }
  herald::ActionResult resume(const std::string& channel) override {
    acted = true;
    check(channel);
    return {};
  }
  herald::ActionResult retry(const std::string& key) override {
    acted = true;
    check(key);
    herald::ActionResult r;
    if (key == "gone") r.http_status = 404;
    else if (key == "odd") r.http_status = 302;
    else r.delivery = sample(key);
    return r;
  }
  herald::ActionResult resolve(const std::string& key, const std::string& url) override {
    acted = true;
    check(key);
    herald::ActionResult r;
    r.delivery = sample(key);
    r.delivery->url = url;
    return r;
  }
  herald::Health health() override { return {false, "the loop's heartbeat is 40 s old"}; }
  std::string metrics() override { return "herald_up 1\n"; }

 private:
  static void check(const std::string& what) {
    if (what == "busy") throw herald::BackendBusy("loop did not answer in 2 s");
    if (what == "boom") throw std::runtime_error("sqlite: disk I/O error");
  }
};

class NullLogger : public herald::Logger {
 public:
  void log(herald::Priority, const std::string&) override {}
};

herald::StatusServer::Request parse(std::string_view input) {
  herald::StatusServer::Request r;
  auto line = [&input] {
    const auto end = input.find('\n');
    std::string_view l = input.substr(0, end);
    input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
    return l;
  };
  const std::string_view request_line = line();
  const auto space = request_line.find(' ');
  r.method = std::string(request_line.substr(0, space));
  if (space != std::string_view::npos) r.target = std::string(request_line.substr(space + 1));
  while (!input.empty()) {
    const std::string_view header = line();
    if (header.empty()) break;
    const auto colon = header.find(':');
    std::string_view value = colon == std::string_view::npos ? "" : header.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    r.headers.emplace_back(std::string(header.substr(0, colon)), std::string(value));
  }
  r.body = std::string(input);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const date::time_zone* zone = date::locate_zone("Europe/Amsterdam");
  static NullLogger logger;
  const herald::StatusServer::Request request = parse(std::string_view(reinterpret_cast<const char*>(data), size));

  FakeBackend backend;
  herald::StatusLimits limits;
  limits.max_body = 4096;
  limits.max_target = 1024;
  limits.max_header_bytes = 2048;
  herald::StatusServer server({}, herald::Secret("fuzz-token"), *zone, backend, logger, {}, limits);
  const herald::StatusServer::Reply reply = server.answer(request);

  if (reply.status < 100 || reply.status > 599) std::abort();
  bool json = false;
  for (const auto& [name, value] : reply.headers)
    if (name == "Content-Type" && value.starts_with("application/json")) json = true;
  if (json) {
    boost::system::error_code ec;
    (void)boost::json::parse(reply.body, ec);
    if (ec) std::abort();
  }
  if (backend.acted) {
    bool token = false;
    for (const auto& [name, value] : request.headers)
      if (value.find("fuzz-token") != std::string::npos) token = true;
    if (!token) std::abort();  // a POST without the token reached the daemon
  }

  // The body and target parsers directly, whatever the route.
  std::string error;
  (void)herald::status_json::parse_pause(request.body, error);
  (void)herald::status_json::parse_resume(request.body, error);
  (void)herald::status_json::parse_resolve(request.body, error);
  (void)herald::status_json::parse_empty(request.body, error);
  (void)herald::status_json::percent_decode(request.target);
  return 0;
}
