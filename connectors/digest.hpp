#pragma once
// SHA-256 (OpenSSL's libcrypto) for what connectors remember by content: an
// uploaded file's key in the ConnectorState, a record key derived from a
// delivery key, a blob's CID in the sandbox.

#include <string>
#include <string_view>

namespace herald {

/// The 32-byte SHA-256 digest of `bytes`; empty only if libcrypto fails.
std::string sha256(std::string_view bytes);
/// The same as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

}  // namespace herald
