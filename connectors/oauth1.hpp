#pragma once
// OAuth 1.0a request signing (HMAC-SHA1) as X documents it in "Creating a
// signature" and "Authorizing a request" (RFC 5849 section 3.4). Pure: the
// nonce and the timestamp are inputs, so the same request always signs the
// same way.

#include "connectors/form_encoding.hpp"
#include "connectors/secret.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace herald {

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
