#pragma once
// Credential files (DESIGN.md "Files"): credentials_dir/NAME holds YAML
// `key: value` lines, so systemd's LoadCredential can supply it. Loading reads
// every value into a Secret; errors and warnings name the file and the key,
// never a value.

#include "config/settings.hpp"
#include "connectors/secret.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// A credential file that could not be used; the message names the file and
/// the key, never a value.
class CredentialError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One complete way to authenticate, such as X's OAuth 1.0a or OAuth 2.0 keys.
struct CredentialKeySet {
  std::string_view name;  ///< "OAuth 1.0a", for messages
  std::vector<std::string_view> required;
  std::vector<std::string_view> optional;
};

/// The keys one kind of channel needs and may carry in its credential file.
struct CredentialKeys {
  std::vector<std::string_view> required;
  std::vector<std::string_view> optional;
  /// When not empty, the file holds exactly one of these sets, complete, and
  /// no key of another set.
  std::vector<CredentialKeySet> alternatives = {};
};

/// X's two sets: OAuth 1.0a (consumer_key, consumer_secret, access_token,
/// access_token_secret) and OAuth 2.0 (client_id, refresh_token, client_secret
/// optional for a public client).
std::vector<CredentialKeySet> x_key_sets();

/// How long before a channel's credentials expire herald starts to warn.
inline constexpr std::chrono::hours kCredentialWarningAhead{7 * 24};

/// What to say about credentials that expire at `at`, seen at `now`: nullopt
/// while that is more than kCredentialWarningAhead away.
std::optional<std::string> credential_expiry_warning(std::chrono::system_clock::time_point at,
                                                     std::chrono::system_clock::time_point now);

/// The keys for `kind` (x: user_id optional, and one of x_key_sets()).
/// Static channels have no credential file: every list is empty.
CredentialKeys credential_keys(ChannelKind kind);

/// One loaded credential file.
struct Credentials {
  std::filesystem::path file;
  std::map<std::string, Secret> values;
  /// Set when the file is readable or writable by group or others (mode & 077).
  std::optional<std::string> warning;

  /// The value of `key`; throws CredentialError naming the file and key when absent.
  [[nodiscard]] const Secret& at(std::string_view key) const;
  /// The value of `key`, or nullopt.
  [[nodiscard]] std::optional<Secret> find(std::string_view key) const;
  /// The `expires_at` key (RFC 3339 such as 2027-01-31T09:00:00Z, or Unix
  /// seconds), or nullopt when absent; a value that is neither throws
  /// CredentialError naming the file and the key, never the value.
  [[nodiscard]] std::optional<std::chrono::system_clock::time_point> expires_at() const;
};

/// Reads `dir/name` as a mapping of scalar values, checked against `keys`
/// (every required key present and non-empty, no key outside the lists, and
/// exactly one alternative set, complete, when there are alternatives).
/// Throws CredentialError on a missing file, bad YAML or a key problem.
Credentials load_credentials(const std::filesystem::path& dir, const std::string& name,
                             const CredentialKeys& keys);

}  // namespace herald
