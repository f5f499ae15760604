#include "daemon/status_client.hpp"

// Debian's libcpp-httplib-dev is the split build; its header is read with the
// library's feature macros (cpp-httplib.pc, top-level CMakeLists.txt).
#include <httplib.h>

#include "connectors/form_encoding.hpp"
#include "daemon/version.hpp"

#include <boost/json.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace herald {
namespace {

// The largest answer read; a queue of 1000 deliveries with their texts fits well.
constexpr std::size_t kMaxAnswerBytes = 16 * 1024 * 1024;

StatusReply fail(StatusError::Kind kind, int http_status, std::string message) {
  StatusReply r;
  r.error = StatusError{kind, http_status, std::move(message)};
  return r;
}

}  // namespace

std::optional<Secret> read_status_token(const std::filesystem::path& file, std::string& error) {
  // Say what is wrong with the file itself: an unreadable token is not an
  // "empty" one, and the operator needs to know which to fix.
  std::error_code ec;
  const auto st = std::filesystem::status(file, ec);
  if (ec) {
    error = ec.message();
    return std::nullopt;
  }
  if (!std::filesystem::is_regular_file(st)) {
    error = std::filesystem::is_directory(st) ? "it is a directory, not a file" : "it is not a regular file";
    return std::nullopt;
  }
  errno = 0;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error = errno != 0 ? std::strerror(errno) : "cannot open it";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    error = "cannot read it";
    return std::nullopt;
  }
  std::string token = text.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ' || token.back() == '\t'))
    token.pop_back();
  if (token.empty()) {
    error = "the file is empty";
    return std::nullopt;
  }
  return Secret(std::move(token));
}

namespace {

// Never let the token reach a person, even if an answer were to echo it.
std::string scrub(std::string text, const std::string& token) {
  if (token.empty()) return text;
  for (auto at = text.find(token); at != std::string::npos; at = text.find(token, at)) {
    text.replace(at, token.size(), "[redacted]");
    at += 10;
  }
  return text;
}

std::string seconds_text(std::chrono::milliseconds d) {
  const auto ms = d.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

}  // namespace

std::string StatusAddress::display() const {
  if (!socket_path.empty()) return "unix:" + socket_path;
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<StatusAddress> parse_status_listen(std::string_view listen, std::string& error) {
  StatusAddress a;
  if (listen.starts_with("unix:")) {
    a.socket_path = std::string(listen.substr(5));
    if (a.socket_path.empty() || a.socket_path.front() != '/') {
      error = "expected unix:/absolute/path";
      return std::nullopt;
    }
    return a;
  }
  std::string_view host, port;
  if (listen.starts_with("[")) {
    const auto close = listen.find(']');
    if (close == std::string_view::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      error = "expected [ADDRESS]:PORT";
      return std::nullopt;
    }
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    const auto colon = listen.rfind(':');
    if (colon == std::string_view::npos || listen.find(':') != colon) {
      error = "expected HOST:PORT, [ADDRESS]:PORT or unix:/path";
      return std::nullopt;
    }
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  int number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (host.empty() || ec != std::errc{} || end != port.data() + port.size() || number < 1 || number > 65535) {
    error = "expected HOST:PORT with a port from 1 to 65535";
    return std::nullopt;
  }
  a.host = std::string(host);
  a.port = number;
  return a;
}

std::string delivery_path(const std::string& key) { return "/api/v1/deliveries/" + percent_encode(key); }

StatusClient::StatusClient(const Settings& settings, StatusClientLimits limits)
    : listen_(settings.status.listen),
      token_file_(settings.credentials_dir / settings.status.token),
      limits_(limits) {
  address_ = parse_status_listen(listen_, address_error_);
}

std::string StatusClient::where() const { return address_ ? address_->display() : listen_; }

std::filesystem::path StatusClient::token_file() const { return token_file_; }

StatusReply StatusClient::status() { return get("/api/v1/status"); }

StatusReply StatusClient::queue(const std::string& channel, const std::string& state, int limit) {
  std::string query;
  auto add = [&](const char* name, const std::string& value) {
    query += (query.empty() ? "?" : "&") + std::string(name) + "=" + percent_encode(value);
  };
  if (!channel.empty()) add("channel", channel);
  if (!state.empty()) add("state", state);
  if (limit > 0) add("limit", std::to_string(limit));
  return get("/api/v1/queue" + query);
}

StatusReply StatusClient::delivery(const std::string& key) { return get(delivery_path(key)); }

StatusReply StatusClient::history(int limit, const std::string& key) {
  std::string query;
  if (limit > 0) query += "?limit=" + std::to_string(limit);
  if (!key.empty()) query += (query.empty() ? "?" : "&") + std::string("key=") + percent_encode(key);
  return get("/api/v1/history" + query);
}

StatusReply StatusClient::report(std::optional<Instant> from, std::optional<Instant> to, const std::string& by,
                                 std::optional<Instant> since, int top) {
  std::string query;
  auto add = [&](const char* name, const std::string& value) {
    query += (query.empty() ? "?" : "&") + std::string(name) + "=" + percent_encode(value);
  };
  if (from) add("from", format_utc(*from));
  if (to) add("to", format_utc(*to));
  if (!by.empty()) add("by", by);
  if (since) add("since", format_utc(*since));
  if (top > 0) add("top", std::to_string(top));
  return get("/api/v1/report" + query);
}

StatusReply StatusClient::looked() { return post("/api/v1/report/looked", "{}"); }

StatusReply StatusClient::pause(const std::string& reason, const std::string& channel, std::optional<Instant> until) {
  boost::json::object body;
  body["reason"] = reason;
  if (!channel.empty()) body["channel"] = channel;
  if (until) body["until"] = format_utc(*until);
  return post("/api/v1/pause", boost::json::serialize(body));
}

StatusReply StatusClient::resume(const std::string& channel) {
  boost::json::object body;
  if (!channel.empty()) body["channel"] = channel;
  return post("/api/v1/resume", boost::json::serialize(body));
}

StatusReply StatusClient::reload(bool accept_cancellations) {
  return post("/api/v1/reload", boost::json::serialize(boost::json::object{{"accept_cancellations", accept_cancellations}}));
}

StatusReply StatusClient::retry(const std::string& key) { return post(delivery_path(key) + "/retry", "{}"); }

StatusReply StatusClient::resolve(const std::string& key, const std::string& url) {
  boost::json::object body;
  body["url"] = url;
  return post(delivery_path(key) + "/resolve", boost::json::serialize(body));
}

StatusReply StatusClient::get(const std::string& path_and_query) { return send(false, path_and_query, {}, {}); }

StatusReply StatusClient::post(const std::string& path, const std::string& body) {
  std::string error;
  auto token = read_status_token(token_file_, error);
  if (!token) return fail(StatusError::Kind::no_token, 0, "no status token: " + token_file_.string() + ": " + error);
  return send(true, path, body, token->reveal());
}

StatusReply StatusClient::send(bool is_post, const std::string& target, const std::string& body,
                               const std::string& token) {
  if (!address_) {
    return fail(StatusError::Kind::failed, 0,
                "status.listen '" + listen_ + "' in the settings is not an address: " + address_error_);
  }
  const bool unix_socket = !address_->socket_path.empty();
  httplib::Client client(unix_socket ? address_->socket_path : address_->host, unix_socket ? 80 : address_->port);
  if (unix_socket) client.set_address_family(AF_UNIX);
  const auto connect = std::chrono::duration_cast<std::chrono::microseconds>(limits_.connect_timeout);
  const auto read = std::chrono::duration_cast<std::chrono::microseconds>(limits_.read_timeout);
  client.set_connection_timeout(connect);
  client.set_read_timeout(read);
  client.set_write_timeout(read);
  client.set_keep_alive(false);

  httplib::Request req;
  req.method = is_post ? "POST" : "GET";
  req.path = target;
  req.set_header("Accept", "application/json");
  req.set_header("User-Agent", std::string("herald/") + kVersion);
  if (is_post) {
    req.set_header("Authorization", "Bearer " + token);
    req.set_header("Content-Type", "application/json");
    req.body = body;
  }
  // Read the answer through a receiver so a runaway answer stops at the limit.
  std::string received;
  bool too_big = false;
  req.content_receiver = [&](const char* data, std::size_t length, std::uint64_t, std::uint64_t) {
    if (received.size() + length > kMaxAnswerBytes) {
      too_big = true;
      return false;
    }
    received.append(data, length);
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool sent = client.send(req, res, err);
  const std::string where_text = where();
  if (!sent) {
    if (too_big) {
      return fail(StatusError::Kind::failed, 0,
                  "the status endpoint at " + where_text + " answered with more than " +
                      std::to_string(kMaxAnswerBytes / (1024 * 1024)) + " MiB");
    }
    if (err == httplib::Error::Connection || err == httplib::Error::ConnectionTimeout) {
      return fail(StatusError::Kind::not_running, 0,
                  "herald is not running: nothing answers at " + where_text + " (start it with systemctl start herald)");
    }
    if (err == httplib::Error::Read) {
      return fail(StatusError::Kind::failed, 0,
                  "herald did not answer at " + where_text + " within " + seconds_text(limits_.read_timeout) +
                      " (it may be busy; try again)");
    }
    return fail(StatusError::Kind::failed, 0,
                "the request to the status endpoint at " + where_text + " failed: " + httplib::to_string(err));
  }
  if (received.empty() && !res.body.empty()) received = res.body;

  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(received, ec);
  if (res.status >= 200 && res.status < 300) {
    if (ec || !parsed.is_object()) {
      return fail(StatusError::Kind::failed, res.status,
                  "the status endpoint at " + where_text + " answered with something that is not a JSON object");
    }
    StatusReply ok;
    ok.body = std::move(parsed);
    return ok;
  }
  // The server's own words when it gave them, else the status.
  std::string said;
  if (!ec && parsed.is_object()) {
    if (const auto* e = parsed.as_object().if_contains("error"); e && e->is_string()) said = e->as_string().c_str();
  }
  if (said.empty()) said = "HTTP " + std::to_string(res.status) + " from the status endpoint at " + where_text;
  said = scrub(std::move(said), token);
  if (res.status == 401) {
    return fail(StatusError::Kind::token_refused, 401,
                "the status endpoint refused the token in " + token_file_.string() + ": " + said);
  }
  const auto kind = res.status >= 400 && res.status < 500 ? StatusError::Kind::refused : StatusError::Kind::failed;
  StatusReply out = fail(kind, res.status, said);
  if (!ec && parsed.is_object())
    if (const auto* a = parsed.as_object().if_contains("active_instance"); a && a->is_string())
      out.error->active_instance = a->as_string().c_str();
  return out;
}

}  // namespace herald
