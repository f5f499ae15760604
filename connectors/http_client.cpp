#include "connectors/http_client.hpp"
#include "config/text.hpp"

// httplib.h is read with the feature macros of Debian's build (OpenSSL,
// zlib, Brotli), which CMake takes from cpp-httplib.pc (top-level
// CMakeLists.txt).
#include <httplib.h>

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>

namespace herald {
namespace {

HttpResponse fail(std::string what) {
  HttpResponse r;
  r.error = std::move(what);
  return r;
}

// Where a request goes, taken apart. The query may carry a token (Graph
// accepts access_token there), so nothing from it reaches an error message.
struct Target {
  bool https = false;
  std::string host;
  int port = 0;
  std::string path_and_query;
};

// Returns an error message, or empty on success.
std::string parse_target(const std::string& url, Target& out) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return "invalid URL";
  const auto& u = *parsed;
  const std::string scheme = ascii_lower(std::string(u.scheme()));
  if (scheme != "https" && scheme != "http") return "unsupported URL scheme (only https)";
  if (u.has_userinfo()) return "credentials in the URL are not allowed";
  switch (u.host_type()) {
    case boost::urls::host_type::name:
    case boost::urls::host_type::ipv4:
      out.host = std::string(u.encoded_host());
      break;
    case boost::urls::host_type::ipv6:
      out.host = u.host_ipv6_address().to_string();
      break;
    default:
      return "URL has no usable host";
  }
  if (out.host.empty() || out.host.find('%') != std::string::npos) return "URL has no usable host";
  out.https = scheme == "https";
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0) return "invalid port in URL";
    out.port = u.port_number();
  } else {
    out.port = out.https ? 443 : 80;
  }
  out.path_and_query = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
  if (u.has_query()) out.path_and_query += "?" + std::string(u.encoded_query());
  return {};
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  std::string h = ascii_lower(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h == "localhost" || h == "localhost.") return true;
  if (auto v4 = boost::urls::parse_ipv4_address(h)) return (v4->to_uint() >> 24) == 127;
  if (auto v6 = boost::urls::parse_ipv6_address(h)) return *v6 == boost::urls::ipv6_address::loopback();
  return false;
}

HttplibClient::HttplibClient(std::string version, HttpLimits limits, std::string ca_bundle)
    : user_agent_("herald/" + std::move(version)), limits_(limits), ca_bundle_(std::move(ca_bundle)) {}

const std::string* find_header(const HttpResponse& response, const std::string& lower_name) {
  auto it = response.headers.find(lower_name);
  return it == response.headers.end() ? nullptr : &it->second;
}

HttpResponse HttplibClient::send(const HttpRequest& request) {
  Target target;
  if (auto problem = parse_target(request.url, target); !problem.empty()) return fail(problem);
  // Production talks https only; plain http is for the sandbox on loopback.
  // Decided before any socket is opened.
  if (!target.https && !is_loopback_host(target.host)) {
    return fail("plain http refused for non-loopback host " + target.host + " (use https)");
  }

  std::unique_ptr<httplib::ClientImpl> client;
  if (target.https) {
    auto tls = std::make_unique<httplib::SSLClient>(target.host, target.port);
    tls->set_ca_cert_path(ca_bundle_.c_str());
    tls->enable_server_certificate_verification(true);
    client = std::move(tls);
  } else {
    client = std::make_unique<httplib::ClientImpl>(target.host, target.port);
  }
  client->set_connection_timeout(limits_.connect_timeout);
  client->set_read_timeout(limits_.read_timeout);
  client->set_write_timeout(limits_.write_timeout);
  client->set_follow_location(false);  // a redirect is an answer for the connector to judge
  client->set_keep_alive(false);

  httplib::Request req;
  req.method = request.method;
  req.path = target.path_and_query;
  for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
  if (!req.has_header("User-Agent")) req.headers.emplace("User-Agent", user_agent_);
  if (!request.content_type.empty() && !req.has_header("Content-Type")) {
    req.headers.emplace("Content-Type", request.content_type);
  }
  req.body = request.body;

  // The size limit is enforced while reading: a declared Content-Length over
  // the limit stops before the body, and a streamed body stops at the limit
  // (after decompression, so a small gzip bomb is caught too).
  bool too_large = false;
  std::string body;
  const std::size_t limit = limits_.max_response_bytes;
  req.response_handler = [&](const httplib::Response& head) {
    if (head.has_header("Content-Length")) {
      const auto declared = head.get_header_value<std::uint64_t>("Content-Length");
      if (declared > limit) {
        too_large = true;
        return false;
      }
    }
    return true;
  };
  req.content_receiver = [&](const char* data, std::size_t length, std::uint64_t, std::uint64_t) {
    if (length > limit - body.size()) {
      too_large = true;
      return false;
    }
    body.append(data, length);
    return true;
  };

  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  const bool ok = client->send(req, res, error);
  if (too_large) return fail("response larger than " + std::to_string(limit) + " bytes");
  if (!ok) {
    // httplib's own words name the failure class (connection, read, TLS
    // verification...); the host says where. No header or query is echoed.
    return fail(httplib::to_string(error) + " (" + request.method + " " +
                (target.https ? "https://" : "http://") + target.host + ":" +
                std::to_string(target.port) + ")");
  }

  HttpResponse out;
  out.status = res.status;
  for (const auto& [name, value] : res.headers) out.headers.emplace(ascii_lower(name), value);
  out.body = std::move(body);
  return out;
}

}  // namespace herald
