#pragma once
// OAuth 1.0a request signing (HMAC-SHA1) as X documents it in "Creating a
// signature" and "Authorizing a request" (RFC 5849 section 3.4). Pure: the
// nonce and the timestamp are inputs, so the same request always signs the
// same way. Also the RFC 3986 percent-encoding and the Secret wrapper the
// OAuth 2.0 helpers (oauth2.hpp) share.

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald {

/// A credential value that never prints: operator<< writes "[redacted]" and
/// there is no implicit conversion to a string; reveal() is the one way out.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  /// The value itself, for the one place that must send it.
  [[nodiscard]] const std::string& reveal() const { return value_; }
  [[nodiscard]] bool empty() const { return value_.empty(); }
  friend bool operator==(const Secret&, const Secret&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Secret&) { return out << "[redacted]"; }

 private:
  std::string value_;
};

/// Name/value pairs, raw (not encoded), in request order; names may repeat.
using Params = std::vector<std::pair<std::string, std::string>>;

/// RFC 3986 percent-encoding: keeps A-Z a-z 0-9 - . _ ~, writes every other
/// byte as %XX with uppercase hex (so ' ' is %20, never '+').
std::string percent_encode(std::string_view raw);

/// An application/x-www-form-urlencoded body, encoded exactly as the
/// signature sees it (percent_encode on names and values, joined by & and =).
std::string form_urlencode(const Params& params);

/// The user's half and the app's half of an OAuth 1.0a credential.
struct OAuth1Credentials {
  std::string consumer_key;
  Secret consumer_secret;
  std::string token;  ///< empty while obtaining a request token: then oauth_token is left out
  Secret token_secret;
};

/// The signature base string: METHOD&enc(base URL)&enc(parameter string).
/// `url` may carry a query; its parameters are signed and it is left out of
/// the base URL, as is a fragment. `params` are every other signed parameter
/// (oauth_* and form body ones), raw. A JSON body is never signed.
std::string signature_base_string(std::string_view method, std::string_view url, const Params& params);

/// base64(HMAC-SHA1(enc(consumer_secret)&enc(token_secret), base_string)).
std::string hmac_sha1_signature(std::string_view base_string, const Secret& consumer_secret,
                                const Secret& token_secret);

/// The Authorization header value ("OAuth oauth_consumer_key=\"...\", ...")
/// for a request to `url` (query included) with form body `form_params`
/// (empty for a JSON or empty body). Holds no secret, only the signature.
std::string oauth1_authorization(std::string_view method, std::string_view url, const Params& form_params,
                                 const OAuth1Credentials& credentials, std::string_view nonce,
                                 std::int64_t timestamp);

}  // namespace herald
