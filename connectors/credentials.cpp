#include "connectors/credentials.hpp"

#include "config/local_time.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

namespace herald {
namespace {

bool listed(const std::vector<std::string_view>& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

bool in_set(const CredentialKeySet& set, std::string_view key) {
  return listed(set.required, key) || listed(set.optional, key);
}

std::string join(const std::vector<std::string_view>& keys) {
  std::string out;
  for (auto key : keys) out += (out.empty() ? "" : ", ") + std::string(key);
  return out;
}

// The alternative set the file uses: exactly one set may have keys in the
// file, and all its required keys must be there. Messages name keys only.
void check_alternatives(const Credentials& result, const std::vector<CredentialKeySet>& sets) {
  const std::string file = result.file.string();
  std::vector<const CredentialKeySet*> used;
  for (const auto& set : sets) {
    for (const auto& [key, value] : result.values) {
      if (in_set(set, key)) {
        used.push_back(&set);
        break;
      }
    }
  }
  if (used.empty()) {
    std::string choices;
    for (const auto& set : sets) {
      choices += (choices.empty() ? "" : ", or ") + join(set.required) + " (" + std::string(set.name) + ")";
    }
    throw CredentialError(file + ": missing '" + std::string(sets.front().required.front()) + "': give " + choices);
  }
  if (used.size() > 1) {
    std::string mix;
    for (const auto* set : used) {
      std::vector<std::string_view> present;
      for (const auto& [key, value] : result.values)
        if (in_set(*set, key)) present.push_back(key);
      mix += (mix.empty() ? "" : " and ") + std::string(set->name) + " keys (" + join(present) + ")";
    }
    throw CredentialError(file + ": mixes " + mix + "; keep exactly one set");
  }
  const CredentialKeySet& set = *used.front();
  for (auto key : set.required) {
    auto it = result.values.find(std::string(key));
    if (it == result.values.end()) {
      throw CredentialError(file + ": missing '" + std::string(key) + "' (" + std::string(set.name) + " needs " +
                            join(set.required) + ")");
    }
  }
  for (const auto& [key, value] : result.values) {
    if (in_set(set, key) && value.empty()) {
      throw CredentialError(file + ": '" + key + "' is empty" +
                            (listed(set.optional, key) ? "; leave it out if there is none" : ""));
    }
  }
}

std::string where(const std::filesystem::path& file, const YAML::Mark& mark) {
  if (mark.is_null()) return file.string();
  return file.string() + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

}  // namespace

std::vector<CredentialKeySet> x_key_sets() {
  return {{"OAuth 1.0a", {"consumer_key", "consumer_secret", "access_token", "access_token_secret"}, {}},
          {"OAuth 2.0", {"client_id", "refresh_token"}, {"client_secret"}}};
}

CredentialKeys credential_keys(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::x:
      return {{}, {"user_id"}, x_key_sets()};
    // A Page token from a long-lived user token does not expire; one from a
    // short-lived token does (Graph's debug_token `expires_at`): the file may say when.
    case ChannelKind::facebook: return {{"page_token"}, {"expires_at"}};
    case ChannelKind::youtube: return {{"client_id", "client_secret", "refresh_token"}, {}};
    case ChannelKind::wordpress: return {{"user", "app_password"}, {}};
    case ChannelKind::static_site: return {};
    case ChannelKind::linkedin:
      return {{"access_token"}, {"expires_at", "refresh_token", "client_id", "client_secret"}};
    case ChannelKind::instagram: return {{"access_token"}, {"expires_at"}};
    case ChannelKind::mastodon: return {{"access_token"}, {}};
    case ChannelKind::bluesky: return {{"app_password"}, {}};
  }
  return {};
}

std::optional<std::chrono::system_clock::time_point> Credentials::expires_at() const {
  auto value = find("expires_at");
  if (!value) return std::nullopt;
  const std::string& text = value->reveal();
  const bool digits = !text.empty() && text.size() <= 12 &&
                      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) return std::chrono::system_clock::time_point{std::chrono::seconds{std::stoll(text)}};
  // RFC 3339 with Z or an offset, read as the calendar reads its times; a
  // wall time without an offset names no instant.
  std::string error;
  if (auto parsed = parse_timestamp(text, error))
    if (const auto* instant = std::get_if<Instant>(&*parsed)) return *instant;
  throw CredentialError(file.string() + ": 'expires_at' must be an RFC 3339 time such as 2027-01-31T09:00:00Z or "
                                        "Unix seconds");
}

std::optional<std::string> credential_expiry_warning(std::chrono::system_clock::time_point at,
                                                     std::chrono::system_clock::time_point now) {
  const auto when = format_utc(std::chrono::floor<std::chrono::seconds>(at));
  if (at <= now) return "the access token expired at " + when + "; renew it, publishing fails until then";
  if (at - now > kCredentialWarningAhead) return std::nullopt;
  const auto hours = std::chrono::duration_cast<std::chrono::hours>(at - now).count();
  const std::string left = hours >= 48 ? std::to_string(hours / 24) + " days" : std::to_string(hours) + " hours";
  return "the access token expires at " + when + " (in " + left + "); renew it before then";
}

const Secret& Credentials::at(std::string_view key) const {
  auto it = values.find(std::string(key));
  if (it == values.end()) throw CredentialError(file.string() + ": no '" + std::string(key) + "'");
  return it->second;
}

std::optional<Secret> Credentials::find(std::string_view key) const {
  auto it = values.find(std::string(key));
  if (it == values.end()) return std::nullopt;
  return it->second;
}

Credentials load_credentials(const std::filesystem::path& dir, const std::string& name,
                             const CredentialKeys& keys) {
  Credentials result;
  result.file = dir / name;
  const std::string file = result.file.string();

  std::ifstream in(result.file, std::ios::binary);
  if (!in) throw CredentialError(file + ": cannot read the credential file");
  std::ostringstream text;
  text << in.rdbuf();

  // yaml-cpp's own messages ("illegal map value") hold no input text, so they
  // are safe to pass on; the node contents never are.
  YAML::Node root;
  try {
    root = YAML::Load(text.str());
  } catch (const YAML::Exception& e) {
    throw CredentialError(where(result.file, e.mark) + ": not valid YAML: " + e.msg);
  }
  if (!root.IsMap()) throw CredentialError(file + ": expected `key: value` lines");

  for (const auto& entry : root) {
    if (!entry.first.IsScalar()) throw CredentialError(where(result.file, entry.first.Mark()) + ": a key must be a name");
    const std::string key = entry.first.Scalar();
    const bool in_alternative = std::any_of(keys.alternatives.begin(), keys.alternatives.end(),
                                            [&](const CredentialKeySet& set) { return in_set(set, key); });
    if (!listed(keys.required, key) && !listed(keys.optional, key) && !in_alternative) {
      throw CredentialError(where(result.file, entry.first.Mark()) + ": unknown key '" + key + "'");
    }
    if (!entry.second.IsScalar()) {
      throw CredentialError(where(result.file, entry.first.Mark()) + ": '" + key + "' must be a single value");
    }
    if (result.values.count(key)) throw CredentialError(where(result.file, entry.first.Mark()) + ": '" + key + "' given twice");
    result.values.emplace(key, Secret(entry.second.Scalar()));
  }
  for (auto key : keys.required) {
    auto it = result.values.find(std::string(key));
    if (it == result.values.end()) throw CredentialError(file + ": missing '" + std::string(key) + "'");
    if (it->second.empty()) throw CredentialError(file + ": '" + std::string(key) + "' is empty");
  }
  if (!keys.alternatives.empty()) check_alternatives(result, keys.alternatives);

  std::error_code ec;
  const auto mode = std::filesystem::status(result.file, ec).permissions();
  using std::filesystem::perms;
  if (!ec && (mode & (perms::group_all | perms::others_all)) != perms::none) {
    result.warning = file + " is accessible to group or others; make it mode 0600 (or 0400)";
  }
  return result;
}

}  // namespace herald
