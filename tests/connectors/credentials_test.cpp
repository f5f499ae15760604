#include "connectors/credentials.hpp"

#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

namespace herald {
namespace {
using testing::TempDir;
using testing::write_file;
namespace fs = std::filesystem;

constexpr const char* kFullX =
    "consumer_key: ck-VALUE\nconsumer_secret: cs-VALUE\naccess_token: at-VALUE\naccess_token_secret: ats-VALUE\n";

void write_private(const fs::path& path, const std::string& text) {
  write_file(path, text);
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

std::string load_error(const fs::path& dir, const std::string& name, ChannelKind kind = ChannelKind::x) {
  try {
    load_credentials(dir, name, credential_keys(kind));
  } catch (const CredentialError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Credentials, LoadsXKeysAsSecrets) {
  TempDir dir;
  write_private(dir.path() / "x", std::string(kFullX) + "user_id: \"1001\"\n");
  Credentials c = load_credentials(dir.path(), "x", credential_keys(ChannelKind::x));
  EXPECT_EQ(c.at("consumer_key").reveal(), "ck-VALUE");
  EXPECT_EQ(c.at("access_token_secret").reveal(), "ats-VALUE");
  ASSERT_TRUE(c.find("user_id"));
  EXPECT_EQ(c.find("user_id")->reveal(), "1001");
  EXPECT_FALSE(c.find("client_id"));
  EXPECT_FALSE(c.warning);
}

TEST(Credentials, UserIdIsOptional) {
  TempDir dir;
  write_private(dir.path() / "x", kFullX);
  Credentials c = load_credentials(dir.path(), "x", credential_keys(ChannelKind::x));
  EXPECT_FALSE(c.find("user_id"));
  EXPECT_THROW((void)c.at("user_id"), CredentialError);
}

TEST(Credentials, MissingFileNamesTheFile) {
  TempDir dir;
  std::string error = load_error(dir.path(), "nope");
  EXPECT_NE(error.find((dir.path() / "nope").string()), std::string::npos) << error;
}

TEST(Credentials, MissingKeyNamesFileAndKeyButNoValue) {
  TempDir dir;
  write_private(dir.path() / "x", "consumer_key: ck-VALUE\nconsumer_secret: cs-VALUE\naccess_token: at-VALUE\n");
  std::string error = load_error(dir.path(), "x");
  EXPECT_NE(error.find((dir.path() / "x").string()), std::string::npos) << error;
  EXPECT_NE(error.find("access_token_secret"), std::string::npos) << error;
  EXPECT_EQ(error.find("VALUE"), std::string::npos) << error;
}

TEST(Credentials, EmptyRequiredValueIsAnError) {
  TempDir dir;
  write_private(dir.path() / "y",
                "consumer_key: ck-VALUE\nconsumer_secret: \"\"\naccess_token: at-VALUE\naccess_token_secret: ats-VALUE\n");
  std::string error = load_error(dir.path(), "y");
  EXPECT_NE(error.find("consumer_secret"), std::string::npos) << error;
  EXPECT_NE(error.find("empty"), std::string::npos) << error;
}

TEST(Credentials, NotAMappingIsAnError) {
  TempDir dir;
  write_private(dir.path() / "x", "just-a-token-VALUE\n");
  std::string error = load_error(dir.path(), "x");
  EXPECT_NE(error.find((dir.path() / "x").string()), std::string::npos) << error;
  EXPECT_NE(error.find("key: value"), std::string::npos) << error;
  EXPECT_EQ(error.find("VALUE"), std::string::npos) << error;
}

TEST(Credentials, BadYamlReportsPositionNotContent) {
  TempDir dir;
  write_private(dir.path() / "x", "consumer_key: [ck-VALUE\n");
  std::string error = load_error(dir.path(), "x");
  EXPECT_NE(error.find((dir.path() / "x").string() + ":"), std::string::npos) << error;
  EXPECT_EQ(error.find("VALUE"), std::string::npos) << error;
}

TEST(Credentials, UnknownAndNestedKeysAreErrors) {
  TempDir dir;
  write_private(dir.path() / "x", std::string(kFullX) + "password: pw-VALUE\n");
  std::string error = load_error(dir.path(), "x");
  EXPECT_NE(error.find("unknown key 'password'"), std::string::npos) << error;
  EXPECT_EQ(error.find("VALUE"), std::string::npos) << error;

  write_private(dir.path() / "y",
                "consumer_key: {a: ck-VALUE}\nconsumer_secret: s\naccess_token: t\naccess_token_secret: u\n");
  error = load_error(dir.path(), "y");
  EXPECT_NE(error.find("'consumer_key' must be a single value"), std::string::npos) << error;
  EXPECT_EQ(error.find("VALUE"), std::string::npos) << error;
}

constexpr const char* kOAuth2X = "client_id: cid-VALUE\nclient_secret: csec-VALUE\nrefresh_token: rt-VALUE\n";

TEST(Credentials, XTakesOAuth2Keys) {
  TempDir dir;
  write_private(dir.path() / "x", std::string(kOAuth2X) + "user_id: \"1001\"\n");
  Credentials c = load_credentials(dir.path(), "x", credential_keys(ChannelKind::x));
  EXPECT_EQ(c.at("client_id").reveal(), "cid-VALUE");
  EXPECT_EQ(c.at("client_secret").reveal(), "csec-VALUE");
  EXPECT_EQ(c.at("refresh_token").reveal(), "rt-VALUE");
  EXPECT_EQ(c.find("user_id")->reveal(), "1001");
  EXPECT_FALSE(c.find("consumer_key"));
}

TEST(Credentials, XOAuth2PublicClientNeedsNoSecret) {
  TempDir dir;
  write_private(dir.path() / "x", "client_id: cid-VALUE\nrefresh_token: rt-VALUE\n");
  Credentials c = load_credentials(dir.path(), "x", credential_keys(ChannelKind::x));
  EXPECT_FALSE(c.find("client_secret"));
  EXPECT_EQ(c.at("refresh_token").reveal(), "rt-VALUE");
}

TEST(Credentials, XWithBothSetsIsRejectedNamingTheKeys) {
  TempDir dir;
  write_private(dir.path() / "x", std::string(kFullX) + kOAuth2X);
  std::string error = load_error(dir.path(), "x");
  EXPECT_NE(error.find((dir.path() / "x").string()), std::string::npos) << error;
  EXPECT_NE(error.find("OAuth 1.0a"), std::string::npos) << error;
  EXPECT_NE(error.find("OAuth 2.0"), std::string::npos) << error;
  EXPECT_NE(error.find("consumer_key"), std::string::npos) << error;
  EXPECT_NE(error.find("refresh_token"), std::string::npos) << error;
  EXPECT_NE(error.find("exactly one"), std::string::npos) << error;
  EXPECT_EQ(error.find("VALUE"), std::string::npos) << error;

  // A single stray key of the other set is a mix too.
  write_private(dir.path() / "y", std::string(kFullX) + "client_secret: csec-VALUE\n");
  error = load_error(dir.path(), "y");
  EXPECT_NE(error.find("client_secret"), std::string::npos) << error;
  EXPECT_NE(error.find("exactly one"), std::string::npos) << error;
  EXPECT_EQ(error.find("VALUE"), std::string::npos) << error;
}

TEST(Credentials, XPartialOAuth2SetNamesTheMissingKey) {
  TempDir dir;
  write_private(dir.path() / "x", "client_id: cid-VALUE\nclient_secret: csec-VALUE\n");
  std::string error = load_error(dir.path(), "x");
  EXPECT_NE(error.find((dir.path() / "x").string()), std::string::npos) << error;
  EXPECT_NE(error.find("missing 'refresh_token'"), std::string::npos) << error;
  EXPECT_NE(error.find("OAuth 2.0"), std::string::npos) << error;
  EXPECT_EQ(error.find("VALUE"), std::string::npos) << error;

  write_private(dir.path() / "y", "refresh_token: rt-VALUE\n");
  error = load_error(dir.path(), "y");
  EXPECT_NE(error.find("missing 'client_id'"), std::string::npos) << error;
}

TEST(Credentials, XWithNeitherSetNamesBoth) {
  TempDir dir;
  write_private(dir.path() / "x", "user_id: \"1001\"\n");
  std::string error = load_error(dir.path(), "x");
  EXPECT_NE(error.find((dir.path() / "x").string()), std::string::npos) << error;
  EXPECT_NE(error.find("consumer_key"), std::string::npos) << error;
  EXPECT_NE(error.find("refresh_token"), std::string::npos) << error;
}

TEST(Credentials, XEmptyClientSecretIsAnError) {
  TempDir dir;
  write_private(dir.path() / "x", "client_id: cid-VALUE\nclient_secret: \"\"\nrefresh_token: rt-VALUE\n");
  std::string error = load_error(dir.path(), "x");
  EXPECT_NE(error.find("'client_secret' is empty"), std::string::npos) << error;
}

TEST(Credentials, XKeySetsAreTheDesignedOnes) {
  auto sets = x_key_sets();
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0].required.size(), 4u);
  EXPECT_EQ(sets[1].required, (std::vector<std::string_view>{"client_id", "refresh_token"}));
  EXPECT_EQ(sets[1].optional, (std::vector<std::string_view>{"client_secret"}));
  EXPECT_EQ(credential_keys(ChannelKind::x).optional, (std::vector<std::string_view>{"user_id"}));
  EXPECT_TRUE(credential_keys(ChannelKind::facebook).alternatives.empty());
}

TEST(Credentials, OtherKindsHaveTheirOwnKeys) {
  TempDir dir;
  write_private(dir.path() / "facebook", "page_token: pt-VALUE\n");
  EXPECT_EQ(load_credentials(dir.path(), "facebook", credential_keys(ChannelKind::facebook))
                .at("page_token")
                .reveal(),
            "pt-VALUE");
  write_private(dir.path() / "blog", "user: editor\n");
  std::string error = load_error(dir.path(), "blog", ChannelKind::wordpress);
  EXPECT_NE(error.find("app_password"), std::string::npos) << error;
}

TEST(Credentials, WarnsWhenGroupOrOthersCanRead) {
  TempDir dir;
  write_file(dir.path() / "x", kFullX);
  fs::permissions(dir.path() / "x", fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  Credentials c = load_credentials(dir.path(), "x", credential_keys(ChannelKind::x));
  ASSERT_TRUE(c.warning);
  EXPECT_NE(c.warning->find((dir.path() / "x").string()), std::string::npos);
  EXPECT_EQ(c.warning->find("VALUE"), std::string::npos);

  fs::permissions(dir.path() / "x", fs::perms::owner_read);
  EXPECT_FALSE(load_credentials(dir.path(), "x", credential_keys(ChannelKind::x)).warning);
}

TEST(Credentials, SecretsPrintRedacted) {
  TempDir dir;
  write_private(dir.path() / "x", kFullX);
  Credentials c = load_credentials(dir.path(), "x", credential_keys(ChannelKind::x));
  std::ostringstream out;
  out << c.at("consumer_secret");
  EXPECT_EQ(out.str(), "[redacted]");
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

using std::chrono::system_clock;

system_clock::time_point at_utc(int y, unsigned m, unsigned d, int h) {
  return date::sys_days{date::year{y} / date::month{m} / date::day{d}} + std::chrono::hours{h};
}

TEST(Credentials, ExpiresAtIsReadAsRfc3339OrUnixSeconds) {
  testing::TempDir dir;
  const std::pair<const char*, system_clock::time_point> cases[] = {
      {"2027-01-31T09:00:00Z", at_utc(2027, 1, 31, 9)},
      {"2027-01-31T10:00:00+01:00", at_utc(2027, 1, 31, 9)},
      {"2027-01-31T04:30:00-04:30", at_utc(2027, 1, 31, 9)},
      {"\"1801386000\"", system_clock::time_point{std::chrono::seconds{1801386000}}},
  };
  for (const auto& [text, expected] : cases) {
    write_private(dir.path() / "li", std::string("access_token: AQV-secret-value\nexpires_at: ") + text + "\n");
    Credentials c = load_credentials(dir.path(), "li", credential_keys(ChannelKind::linkedin));
    ASSERT_TRUE(c.expires_at()) << text;
    EXPECT_EQ(*c.expires_at(), expected) << text;
  }
  write_private(dir.path() / "li", "access_token: AQV-secret-value\n");
  EXPECT_FALSE(load_credentials(dir.path(), "li", credential_keys(ChannelKind::linkedin)).expires_at());
}

TEST(Credentials, ABadExpiresAtNamesTheFileAndKeyNotTheValue) {
  testing::TempDir dir;
  for (const char* bad : {"next-tuesday-SECRETISH", "2027-02-30T09:00:00Z", "2027-01-31T09:00:00", "2027-01-31"}) {
    write_private(dir.path() / "li", std::string("access_token: AQV-secret-value\nexpires_at: ") + bad + "\n");
    Credentials c = load_credentials(dir.path(), "li", credential_keys(ChannelKind::linkedin));
    try {
      (void)c.expires_at();
      ADD_FAILURE() << bad << " was accepted";
    } catch (const CredentialError& e) {
      // The whole message: the file and the key, never the value.
      EXPECT_EQ(std::string(e.what()), (dir.path() / "li").string() +
                                           ": 'expires_at' must be an RFC 3339 time such as 2027-01-31T09:00:00Z "
                                           "or Unix seconds");
    }
  }
}

TEST(Credentials, ExpiryIsWarnedOfAWeekAhead) {
  const auto expires = at_utc(2027, 1, 31, 9);
  EXPECT_FALSE(credential_expiry_warning(expires, expires - std::chrono::hours(7 * 24 + 1)));
  EXPECT_EQ(credential_expiry_warning(expires, expires - std::chrono::hours(7 * 24)),
            "the access token expires at 2027-01-31T09:00:00Z (in 7 days); renew it before then");
  EXPECT_EQ(credential_expiry_warning(expires, expires - std::chrono::hours(30)),
            "the access token expires at 2027-01-31T09:00:00Z (in 30 hours); renew it before then");
  EXPECT_EQ(credential_expiry_warning(expires, expires),
            "the access token expired at 2027-01-31T09:00:00Z; renew it, publishing fails until then");
}

}  // namespace
}  // namespace herald
