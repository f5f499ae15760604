#include "connectors/oauth1.hpp"
#include "config/text.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

namespace herald {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A query component is application/x-www-form-urlencoded (RFC 5849 3.4.1.3.1),
// so '+' is a space. A malformed escape is kept as it stands rather than
// guessed at: the server sees the same bytes we sign.
std::string form_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

struct SplitUrl {
  std::string base;  // scheme://authority/path, normalised per RFC 5849 3.4.1.2
  std::string_view query;
};

SplitUrl split_url(std::string_view url) {
  if (auto hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  std::string_view query;
  if (auto q = url.find('?'); q != std::string_view::npos) {
    query = url.substr(q + 1);
    url = url.substr(0, q);
  }
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) throw std::invalid_argument("OAuth 1.0a: not an absolute URL");
  std::string scheme = ascii_lower(url.substr(0, scheme_end));
  std::string_view rest = url.substr(scheme_end + 3);
  auto slash = rest.find('/');
  std::string authority = ascii_lower(rest.substr(0, slash));
  std::string_view path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  // The default port is not part of the signed URL; any other port is.
  std::string_view default_port = scheme == "https" ? ":443" : scheme == "http" ? ":80" : "";
  if (!default_port.empty() && authority.ends_with(default_port)) {
    authority.resize(authority.size() - default_port.size());
  }
  return {scheme + "://" + authority + std::string(path), query};
}

void append_query_params(std::string_view query, std::vector<std::pair<std::string, std::string>>& encoded) {
  for (const std::string_view pair : split(query, '&')) {
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    encoded.emplace_back(percent_encode(form_decode(name)), percent_encode(form_decode(value)));
  }
}

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

}  // namespace

std::string signature_base_string(std::string_view method, std::string_view url, const Params& params) {
  SplitUrl split = split_url(url);
  // Sorting encoded pairs byte-wise orders by encoded name, then encoded value.
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& [name, value] : params) encoded.emplace_back(percent_encode(name), percent_encode(value));
  append_query_params(split.query, encoded);
  std::sort(encoded.begin(), encoded.end());

  std::string parameter_string;
  for (const auto& [name, value] : encoded) {
    if (!parameter_string.empty()) parameter_string += '&';
    parameter_string += name;
    parameter_string += '=';
    parameter_string += value;
  }
  std::string upper_method(method);
  std::transform(upper_method.begin(), upper_method.end(), upper_method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return upper_method + '&' + percent_encode(split.base) + '&' + percent_encode(parameter_string);
}

std::string hmac_sha1_signature(std::string_view base_string, const Secret& consumer_secret,
                                const Secret& token_secret) {
  std::string key = percent_encode(consumer_secret.reveal()) + '&' + percent_encode(token_secret.reveal());
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  const unsigned char* ok =
      HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(base_string.data()), base_string.size(), digest.data(), &digest_size);
  // The key is a secret: do not leave a copy in freed memory.
  OPENSSL_cleanse(key.data(), key.size());
  if (ok == nullptr) throw std::runtime_error("OAuth 1.0a: HMAC-SHA1 failed");
  return base64(digest.data(), digest_size);
}

std::string oauth1_authorization(std::string_view method, std::string_view url, const Params& form_params,
                                 const OAuth1Credentials& credentials, std::string_view nonce,
                                 std::int64_t timestamp) {
  // Already in name order, which is also the header's order.
  Params oauth{{"oauth_consumer_key", credentials.consumer_key},
               {"oauth_nonce", std::string(nonce)},
               {"oauth_signature_method", "HMAC-SHA1"},
               {"oauth_timestamp", std::to_string(timestamp)}};
  if (!credentials.token.empty()) oauth.emplace_back("oauth_token", credentials.token);
  oauth.emplace_back("oauth_version", "1.0");

  Params signed_params = oauth;
  signed_params.insert(signed_params.end(), form_params.begin(), form_params.end());
  std::string signature = hmac_sha1_signature(signature_base_string(method, url, signed_params),
                                              credentials.consumer_secret, credentials.token_secret);
  oauth.emplace_back("oauth_signature", std::move(signature));
  std::sort(oauth.begin(), oauth.end());

  std::string header = "OAuth ";
  for (std::size_t i = 0; i < oauth.size(); ++i) {
    if (i > 0) header += ", ";
    header += percent_encode(oauth[i].first);
    header += "=\"";
    header += percent_encode(oauth[i].second);
    header += '"';
  }
  return header;
}

}  // namespace herald
