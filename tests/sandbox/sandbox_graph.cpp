#include "tests/sandbox/sandbox_graph.hpp"

#include <httplib.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <vector>

#include "config/text.hpp"
#include "tests/sandbox/sandbox_util.hpp"

namespace herald {
namespace json = boost::json;

json::object graph_error(std::string_view message, std::string_view type, int code, const std::string& trace) {
  return json::object{{"message", message}, {"type", type}, {"code", code}, {"fbtrace_id", trace}};
}

void send_graph_error(httplib::Response& res, int status, json::object error) {
  send_json(res, status, json::serialize(json::object{{"error", std::move(error)}}));
}

void send_graph_not_found(httplib::Response& res, const std::string& id, const std::string& trace) {
  json::object error = graph_error("Unsupported get request. Object with ID '" + id +
                                       "' does not exist, cannot be loaded due to missing permissions, or does not "
                                       "support this operation. Please read the Graph API documentation at "
                                       "https://developers.facebook.com/docs/graph-api",
                                   "GraphMethodException", 100, trace);
  error["error_subcode"] = 33;
  send_graph_error(res, 400, std::move(error));
}

void send_graph_token_required(httplib::Response& res, const std::string& trace) {
  send_graph_error(res, 400, graph_error("An access token is required to request this resource.", "OAuthException", 104,
                                         trace));
}

void send_graph_token_invalid(httplib::Response& res, const std::string& trace) {
  const char* words = "Invalid OAuth access token - Cannot parse access token";
  res.set_header("WWW-Authenticate", std::string(R"(OAuth "Facebook Platform" "invalid_token" ")") + words + "\"");
  send_graph_error(res, 400, graph_error(words, "OAuthException", 190, trace));
}

bool answer_graph_fault(Sandbox& sandbox, const std::optional<Sandbox::Fault>& fault, const std::string& trace,
                        httplib::Response& res) {
  if (!fault) return false;
  using Mode = Sandbox::FaultMode;
  if (fault->mode == Mode::delay && !sandbox.hold(std::chrono::milliseconds(fault->delay_ms))) {
    send_graph_error(res, 503, graph_error("Service temporarily unavailable", "OAuthException", 2, trace));
    return true;
  }
  if (fault->mode == Mode::server_error) {
    json::object error = graph_error("An unknown error has occurred.", "OAuthException", 1, trace);
    error["is_transient"] = true;
    send_graph_error(res, 500, std::move(error));
    return true;
  }
  return false;
}

std::string graph_access_token(const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  for (std::string_view scheme : {"Bearer ", "OAuth "}) {
    if (header.size() > scheme.size() && std::equal(scheme.begin(), scheme.end(), header.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      return header.substr(scheme.size());
    }
  }
  if (req.has_param("access_token")) return req.get_param_value("access_token");
  if (req.has_file("access_token")) return req.get_file_value("access_token").content;
  return {};
}

bool graph_wants_field(std::string_view fields, std::string_view name) {
  if (fields.empty()) return false;
  const std::vector<std::string_view> listed = split(fields, ',');
  return std::find(listed.begin(), listed.end(), name) != listed.end();
}

bool graph_sends_json(const httplib::Request& req) {
  return req.get_header_value("Content-Type").starts_with("application/json");
}

const json::object* graph_json_body(const httplib::Request& req, json::value& parsed) {
  if (!graph_sends_json(req)) return nullptr;
  boost::system::error_code ec;
  parsed = json::parse(req.body, ec);
  return ec ? nullptr : parsed.if_object();
}

std::string graph_time(std::int64_t at_ms) {
  using namespace std::chrono;
  const sys_seconds at{duration_cast<seconds>(milliseconds(at_ms))};
  const auto day = floor<days>(at);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> time{at - day};
  char out[64];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d+0000", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return out;
}

std::string graph_trace_id(char first, std::uint64_t seed) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  std::string out(1, first);
  for (int i = 0; i < 10; ++i, seed >>= 6) out += kAlphabet[seed & 63];
  return out;
}

}  // namespace herald
