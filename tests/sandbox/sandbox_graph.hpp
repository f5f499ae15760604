#pragma once
// What the Facebook and Instagram emulations share, both being the Graph API:
// its error bodies and the answers every endpoint gives (an unknown object,
// a missing or unknown token, an injected delay or server error), the
// access token of a request, the `fields=` list, a JSON request body, the
// time format and fbtrace_id values.

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tests/sandbox/sandbox.hpp"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace herald {

/// Graph's error object: message, type, code and fbtrace_id.
boost::json::object graph_error(std::string_view message, std::string_view type, int code, const std::string& trace);
/// Answers `status` with {"error": error}.
void send_graph_error(httplib::Response& res, int status, boost::json::object error);
/// Graph's answer for an id the token cannot see: gone, another account's, or none (400, code 100, subcode 33).
void send_graph_not_found(httplib::Response& res, const std::string& id, const std::string& trace);
/// Graph's answer to a request without an access token (400, code 104).
void send_graph_token_required(httplib::Response& res, const std::string& trace);
/// Graph's answer to a token it cannot parse (400, code 190, with WWW-Authenticate).
void send_graph_token_invalid(httplib::Response& res, const std::string& trace);

/// The answers every Graph endpoint gives an injected fault that ends the
/// request here: a delay cut short by stop() (503, code 2) and a server
/// error (500, code 1, transient). False for none, and for the faults that
/// act later (delay, once held; drop_after_create) or that each product
/// answers its own way (rate_limit).
bool answer_graph_fault(Sandbox& sandbox, const std::optional<Sandbox::Fault>& fault, const std::string& trace,
                        httplib::Response& res);

/// The access token of a Graph request: `Authorization: Bearer|OAuth TOKEN`,
/// else the `access_token` query or form parameter; empty when none.
std::string graph_access_token(const httplib::Request& req);

/// Whether a Graph `fields` parameter (a comma list, as sent) names `name`.
bool graph_wants_field(std::string_view fields, std::string_view name);

/// Whether the request says its body is JSON (Content-Type application/json).
bool graph_sends_json(const httplib::Request& req);
/// The request's JSON body, parsed into `parsed`: the object in it, or
/// nullptr when the request does not send JSON or the body is no JSON object.
const boost::json::object* graph_json_body(const httplib::Request& req, boost::json::value& parsed);

/// Graph's time format: ISO 8601 in UTC with a +0000 offset
/// ("2025-01-01T00:00:00+0000"), as created_time and timestamp are.
std::string graph_time(std::int64_t at_ms);

/// An opaque fbtrace_id-like value: `first`, then ten characters from `seed`.
std::string graph_trace_id(char first, std::uint64_t seed);

}  // namespace herald
