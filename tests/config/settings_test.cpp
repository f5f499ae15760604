#include "config/settings.hpp"

#include <gtest/gtest.h>
#include "config/yaml_reader.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace herald {
namespace {

using namespace std::chrono_literals;

const char* kMinimal = R"(calendar: calendar.yaml
timezone: Europe/Amsterdam
channels:
  x: {kind: x, account: example_nl, credentials: x}
)";

struct Result {
  std::optional<Settings> settings;
  std::vector<std::string> messages;
};

Result load(const std::string& text, SettingsEnvironment env = {}) {
  Diagnostics diags;
  Result r;
  r.settings = load_settings_text(text, "/etc/herald/herald.yaml", env, diags);
  for (const auto& d : diags.sorted()) r.messages.push_back(format(d));
  return r;
}

const std::string kHeadForVersion = "calendar: calendar.yaml\ntimezone: Europe/Amsterdam\n";

TEST(Settings, MinimalFileGetsDefaults) {
  auto r = load(kMinimal);
  ASSERT_TRUE(r.settings) << ::testing::PrintToString(r.messages);
  const Settings& s = *r.settings;
  EXPECT_EQ(s.calendar, "/etc/herald/calendar.yaml");
  EXPECT_EQ(s.state_dir, "/etc/herald/var");
  EXPECT_EQ(s.credentials_dir, "/etc/herald/credentials");
  EXPECT_EQ(s.timezone, "Europe/Amsterdam");
  ASSERT_NE(s.zone, nullptr);
  EXPECT_EQ(s.status.listen, "127.0.0.1:8787");
  EXPECT_EQ(s.publishing.late_window, 15min);
  EXPECT_EQ(s.publishing.retry.attempts, 5);
  EXPECT_EQ(s.publishing.retry.backoff, 30s);
  EXPECT_EQ(s.publishing.retry.max_backoff, 30min);
  EXPECT_DOUBLE_EQ(s.lint.promo_share, 0.2);
  EXPECT_EQ(s.lint.max_gap, 72h);
  ASSERT_EQ(s.links.utm.params.size(), 4u);
  EXPECT_EQ(s.links.utm.params[0], (std::pair<std::string, std::string>{"source", "{channel}"}));
  ASSERT_EQ(s.channels.size(), 1u);
  EXPECT_EQ(s.channels[0].kind, ChannelKind::x);
  EXPECT_EQ(s.channel("x")->account, "example_nl");
}

TEST(Settings, ChannelsAreFoundByNameAlsoAfterTheListChanges) {
  auto r = load(kHeadForVersion + "channels:\n  x: {kind: x, account: a, credentials: x}\n"
                                  "  blog: {kind: wordpress, site: 'https://example.nl', credentials: wp}\n");
  ASSERT_TRUE(r.settings) << ::testing::PrintToString(r.messages);
  Settings s = *r.settings;  // a copy keeps a working index
  EXPECT_EQ(s.channel("blog"), &s.channels[1]);
  EXPECT_EQ(s.channel("x"), &s.channels[0]);
  EXPECT_EQ(s.channel("facebook"), nullptr);
  EXPECT_EQ(s.channel(""), nullptr);
  // Changed after loading (as tests and tools do): still right, by a scan.
  std::swap(s.channels[0], s.channels[1]);
  EXPECT_EQ(s.channel("x"), &s.channels[1]);
  s.channels.push_back(s.channels[0]);
  s.channels.back().name = "news";
  EXPECT_EQ(s.channel("news"), &s.channels[2]);
  s.index_channels();
  EXPECT_EQ(s.channel("news"), &s.channels[2]);
  EXPECT_EQ(s.channel("blog"), &s.channels[0]);
  EXPECT_EQ(s.channel("nope"), nullptr);
}

TEST(Settings, FacebookApiVersionIsConfigurable) {
  auto r = load(kHeadForVersion + "channels:\n  fb: {kind: facebook, page_id: '1', credentials: f, api_version: v22.0}\n");
  ASSERT_TRUE(r.settings) << ::testing::PrintToString(r.messages);
  EXPECT_EQ(r.settings->channel("fb")->api_version, "v22.0");
}

TEST(Settings, LinkedinAndInstagramTakeTheirKeysAndDefaults) {
  auto r = load(kHeadForVersion + "media_url: https://media.example.nl/herald\nchannels:\n"
                "  li: {kind: linkedin, author: 'urn:li:organization:2414183', credentials: li}\n"
                "  me: {kind: linkedin, author: 'urn:li:person:AbC-12_x', credentials: li, api_version: '202601'}\n"
                "  ig: {kind: instagram, account_id: '17841400000000000', credentials: ig}\n"
                "  ig2: {kind: instagram, account_id: '17841400000000001', credentials: ig, rate: 20/24h}\n");
  ASSERT_TRUE(r.settings) << ::testing::PrintToString(r.messages);
  const Settings& s = *r.settings;
  EXPECT_EQ(s.media_url, "https://media.example.nl/herald/") << "a trailing slash is added";
  EXPECT_EQ(s.channel("li")->author, "urn:li:organization:2414183");
  EXPECT_EQ(s.channel("li")->api_version, "202611") << "LinkedIn's default version";
  EXPECT_EQ(s.channel("me")->api_version, "202601");
  EXPECT_EQ(s.channel("ig")->account_id, "17841400000000000");
  EXPECT_EQ(s.channel("ig")->api_version, "v21.0");
  ASSERT_TRUE(s.channel("ig")->rate);
  EXPECT_EQ(s.channel("ig")->rate->count, 50) << "Instagram's own 50 posts per 24 h";
  EXPECT_EQ(s.channel("ig")->rate->per, std::chrono::hours(24));
  EXPECT_EQ(s.channel("ig2")->rate->count, 20) << "a stricter rate of the operator's wins";
  EXPECT_FALSE(s.channel("li")->rate);
}

TEST(Settings, EnvironmentSuppliesDirectoriesWhenFileIsSilent) {
  SettingsEnvironment env{"/var/lib/herald", "/run/credentials/herald.service"};
  auto r = load(kMinimal, env);
  ASSERT_TRUE(r.settings);
  EXPECT_EQ(r.settings->state_dir, "/var/lib/herald");
  EXPECT_EQ(r.settings->credentials_dir, "/run/credentials/herald.service");
}

TEST(Settings, TheDesignExampleLoadsWithEveryKey) {
  auto r = load(R"(calendar: calendar.yaml
state_dir: /var/lib/herald
credentials_dir: credentials
timezone: Europe/Amsterdam
status:
  listen: 127.0.0.1:8787
  token: status-token
publishing:
  late_window: 15m
  retry: {attempts: 5, backoff: 30s, max_backoff: 30m}
links:
  own_domains: [example.nl, blog.example.nl]
  utm: {source: "{channel}", medium: social, campaign: "{campaign}", content: "{post}"}
lint:
  promo_share: 0.2
  max_gap: 3d
  competitors: [Acme]
channels:
  x:        {kind: x, account: example_nl, credentials: x, slots: ["mon-fri 09:15", "mon-fri 17:30"], min_spacing: 20m, rate: 50/24h}
  facebook: {kind: facebook, page_id: "1234567890", credentials: facebook, api_base: "http://127.0.0.1:9000", paused: true, late_window: 1h}
  youtube:  {kind: youtube, credentials: youtube, utm: {source: yt, medium: video}}
  blog:     {kind: wordpress, site: https://blog.example.nl, credentials: blog}
  site:     {kind: static, dir: /srv/site/content/posts, after: "git -C /srv/site commit -am post"}
)");
  ASSERT_TRUE(r.settings) << ::testing::PrintToString(r.messages);
  const Settings& s = *r.settings;
  EXPECT_EQ(s.credentials_dir, "/etc/herald/credentials");
  EXPECT_EQ(s.state_dir, "/var/lib/herald");
  EXPECT_EQ(s.links.own_domains, (std::vector<std::string>{"example.nl", "blog.example.nl"}));
  EXPECT_EQ(s.lint.competitors, std::vector<std::string>{"Acme"});
  ASSERT_EQ(s.channels.size(), 5u);
  const auto& x = *s.channel("x");
  ASSERT_EQ(x.slots.size(), 2u);
  EXPECT_EQ(x.slots[0].time_of_day, 9h + 15min);
  EXPECT_EQ(x.min_spacing, 20min);
  ASSERT_TRUE(x.rate);
  EXPECT_EQ(x.rate->count, 50);
  EXPECT_EQ(x.rate->per, 24h);
  const auto& fb = *s.channel("facebook");
  EXPECT_TRUE(fb.paused);
  EXPECT_EQ(fb.api_base, "http://127.0.0.1:9000");
  EXPECT_EQ(fb.api_version, "v21.0");  // the default
  EXPECT_EQ(s.late_window(fb), 1h);
  EXPECT_EQ(s.late_window(x), 15min);
  EXPECT_EQ(s.utm(*s.channel("youtube")).params.size(), 2u);
  EXPECT_EQ(&s.utm(x), &s.links.utm);
  EXPECT_EQ(s.channel("site")->kind, ChannelKind::static_site);
  EXPECT_EQ(s.channel("site")->after, "git -C /srv/site commit -am post");
  EXPECT_EQ(s.channel("blog")->site, "https://blog.example.nl");
}

// Each invalid settings file and the exact diagnostics it must produce.
struct BadCase {
  const char* name;
  std::string text;
  std::vector<std::string> expected;
};

class SettingsErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(SettingsErrors, ReportsExactLocation) {
  auto r = load(GetParam().text);
  EXPECT_FALSE(r.settings);
  EXPECT_EQ(r.messages, GetParam().expected);
}

const std::string kHead = "calendar: calendar.yaml\ntimezone: Europe/Amsterdam\n";
const std::string kF = "/etc/herald/herald.yaml:";

INSTANTIATE_TEST_SUITE_P(
    All, SettingsErrors,
    ::testing::Values(
        BadCase{"unknown_top_key", kHead + "chanels: {}\nchannels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "3:1: error: unknown key 'chanels' in settings (expected one of: calendar, state_dir, "
                      "credentials_dir, timezone, media_url, status, publishing, reload, store, report, state_check, links, lint, channels)"}},
        BadCase{"unknown_channel_key",
                kHead + "channels:\n  x: {kind: x, account: a, credentials: x, slot: []}\n",
                {kF + "4:44: error: unknown key 'slot' in channel 'x' (expected one of: kind, account, credentials, "
                      "api_base, slots, min_spacing, rate, paused, late_window, utm, max_gap)"}},
        BadCase{"unknown_kind", kHead + "channels:\n  tt: {kind: tiktok, credentials: i}\n",
                {kF + "4:14: error: unknown channel kind 'tiktok' (expected x, facebook, youtube, wordpress, static, "
                      "linkedin, instagram, mastodon or bluesky)"}},
        BadCase{"missing_kind", kHead + "channels:\n  x: {account: a}\n",
                {kF + "4:3: error: channel 'x' has no kind (one of x, facebook, youtube, wordpress, static, linkedin, instagram, mastodon, bluesky)"}},
        BadCase{"missing_required", kHead + "channels:\n  fb: {kind: facebook}\n",
                {kF + "4:3: error: channel 'fb' (kind facebook) needs 'page_id'",
                 kF + "4:3: error: channel 'fb' (kind facebook) needs 'credentials'"}},
        BadCase{"key_of_other_kind", kHead + "channels:\n  x: {kind: x, account: a, credentials: x, page_id: '1'}\n",
                {kF + "4:44: error: 'page_id' is not a setting of an x channel"}},
        BadCase{"api_version_not_for_x", kHead + "channels:\n  x: {kind: x, account: a, credentials: x, api_version: v21.0}\n",
                {kF + "4:44: error: 'api_version' is not a setting of an x channel"}},
        BadCase{"api_version_malformed",
                kHead + "channels:\n  fb: {kind: facebook, page_id: '1', credentials: f, api_version: '21.0'}\n",
                {kF + "4:67: error: channel 'fb' api_version must be a Graph API version such as v21.0, not '21.0'"}},
        BadCase{"api_version_no_minor",
                kHead + "channels:\n  fb: {kind: facebook, page_id: '1', credentials: f, api_version: v21}\n",
                {kF + "4:67: error: channel 'fb' api_version must be a Graph API version such as v21.0, not 'v21'"}},
        BadCase{"bad_duration", kHead + "publishing:\n  late_window: 15 minutes\nchannels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "4:16: error: publishing.late_window must be a duration such as 30s, 15m, 1h30m or 3d, not '15 minutes'"}},
        BadCase{"duration_out_of_range", kHead + "lint:\n  max_gap: 30m\nchannels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "4:12: error: lint.max_gap must be between 1h and 365d, not 30m"}},
        BadCase{"wrong_type_list", kHead + "lint:\n  competitors: Acme\nchannels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "4:16: error: lint.competitors must be a list such as [a, b], not 'Acme'"}},
        BadCase{"wrong_type_bool", kHead + "channels:\n  x: {kind: x, account: a, credentials: x, paused: maybe}\n",
                {kF + "4:52: error: channel 'x' paused must be true or false, not 'maybe'"}},
        BadCase{"wrong_type_number", kHead + "lint:\n  promo_share: lots\nchannels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "4:16: error: lint.promo_share must be a number, not 'lots'"}},
        BadCase{"number_out_of_range", kHead + "lint:\n  promo_share: 1.5\nchannels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "4:16: error: lint.promo_share must be between 0.00 and 1.00, not 1.5"}},
        BadCase{"bad_attempts", kHead + "publishing:\n  retry: {attempts: 0}\nchannels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "4:21: error: publishing.retry.attempts must be between 1 and 100, not 0"}},
        BadCase{"max_backoff_below_backoff", kHead + "publishing:\n  retry: {backoff: 5m, max_backoff: 1m}\nchannels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "4:10: error: publishing.retry.max_backoff (1m) is shorter than backoff (5m)"}},
        BadCase{"bad_rate", kHead + "channels:\n  x: {kind: x, account: a, credentials: x, rate: 50 per day}\n",
                {kF + "4:50: error: channel 'x' rate must be COUNT/DURATION such as 50/24h (1 to 100000 per 1m to 31d), not '50 per day'"}},
        BadCase{"bad_slot", kHead + "channels:\n  x: {kind: x, account: a, credentials: x, slots: [\"mon-fri 09:15\", \"funday 10:00\"]}\n",
                {kF + "4:69: error: channel 'x' slots: unknown weekday 'funday'"}},
        BadCase{"invalid_zone", "calendar: c.yaml\ntimezone: Europe/Amsterdm\nchannels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "2:11: error: unknown time zone 'Europe/Amsterdm' (expected an IANA name such as Europe/Amsterdam)"}},
        BadCase{"missing_zone_and_calendar", "channels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "1:1: error: settings need 'calendar' (a file or a directory of calendar files)",
                 kF + "1:1: error: settings need 'timezone' (an IANA zone such as Europe/Amsterdam), so wall times "
                      "are never read in a guessed zone"}},
        BadCase{"duplicate_key", kHead + "timezone: UTC\nchannels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "3:1: error: duplicate key 'timezone' in settings"}},
        BadCase{"reserved_channel_name", kHead + "channels:\n  text: {kind: x, account: a, credentials: x}\n",
                {kF + "4:3: error: channel name 'text' is reserved: it is a post field"}},
        BadCase{"bad_channel_name", kHead + "channels:\n  \"my x\": {kind: x, account: a, credentials: x}\n",
                {kF + "4:3: error: channel name 'my x' may use only a-z, 0-9, '_' and '-'"}},
        BadCase{"credentials_path", kHead + "channels:\n  x: {kind: x, account: a, credentials: ../x}\n",
                {kF + "4:41: error: channel 'x' credentials must be a file name in the credentials directory, not a path"}},
        BadCase{"remote_listen", kHead + "status: {listen: 0.0.0.0:8787}\nchannels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "3:18: error: status.listen '0.0.0.0:8787' is not a loopback address; set status.allow_remote: true to expose the status endpoint"}},
        BadCase{"bad_listen", kHead + "status: {listen: localhost}\nchannels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "3:18: error: status.listen must be HOST:PORT (port 0 to 65535) or unix:/PATH, not 'localhost'"}},
        BadCase{"own_domain_with_scheme", kHead + "links: {own_domains: [https://example.nl]}\nchannels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "3:23: error: links.own_domains: 'https://example.nl' must be a domain name such as example.nl, without scheme or path"}},
        BadCase{"no_channels", kHead, {kF + "1:1: error: settings define no channels"}},
        BadCase{"syntax_error", kHead + "channels: [x\n",
                {kF + "4:1: error: YAML syntax: flow sequence without a closing bracket"}},
        BadCase{"unclosed_quote",
                kHead + "status:\n  token: \"status-token\nchannels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "4:10: error: the quoted text that starts here is not closed (a missing closing \"); line 5 is "
                      "not indented enough to continue it"}},
        BadCase{"unclosed_quote_at_end", kHead + "channels:\n  x: {kind: x, account: 'a, credentials: x}\n",
                {kF + "4:25: error: the quoted text that starts here is not closed (a missing closing ')"}},
        BadCase{"not_a_mapping", "- just\n- a list\n",
                {kF + "1:1: error: settings must be a mapping of key: value, not a list",
                 kF + "1:1: error: settings need 'calendar' (a file or a directory of calendar files)",
                 kF + "1:1: error: settings need 'timezone' (an IANA zone such as Europe/Amsterdam), so wall times "
                      "are never read in a guessed zone"}},
        BadCase{"linkedin_without_author", kHead + "channels:\n  li: {kind: linkedin, credentials: li}\n",
                {kF + "4:3: error: channel 'li' (kind linkedin) needs 'author'"}},
        BadCase{"linkedin_author_not_an_urn",
                kHead + "channels:\n  li: {kind: linkedin, author: bakkerij-jansen, credentials: li}\n",
                {kF + "4:32: error: channel 'li' author must be urn:li:organization:NUMBER or urn:li:person:ID, not "
                      "'bakkerij-jansen'"}},
        BadCase{"linkedin_organization_not_a_number",
                kHead + "channels:\n  li: {kind: linkedin, author: 'urn:li:organization:abc', credentials: li}\n",
                {kF + "4:32: error: channel 'li' author must be urn:li:organization:NUMBER or urn:li:person:ID, not "
                      "'urn:li:organization:abc'"}},
        BadCase{"linkedin_version_is_yyyymm",
                kHead + "channels:\n  li: {kind: linkedin, author: 'urn:li:person:a', credentials: li, "
                        "api_version: v21.0}\n",
                {kF + "4:81: error: channel 'li' api_version must be a LinkedIn API version YYYYMM such as 202611, "
                      "not 'v21.0'"}},
        BadCase{"instagram_account_id_digits",
                kHead + "channels:\n  ig: {kind: instagram, account_id: bakkerij, credentials: ig}\n",
                {kF + "4:37: error: channel 'ig' account_id must be the account's numeric id such as "
                      "17841400000000000, not 'bakkerij'"}},
        BadCase{"instagram_key_on_linkedin",
                kHead + "channels:\n  li: {kind: linkedin, author: 'urn:li:person:a', account_id: '1', credentials: li}\n",
                {kF + "4:51: error: 'account_id' is not a setting of a linkedin channel"}},
        BadCase{"media_url_not_a_url", kHead + "media_url: media/\nchannels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "3:12: error: media_url must be an http(s) URL such as https://media.example.nl/herald/"}},
        BadCase{"several_errors_in_one_run",
                kHead + "publishing:\n  late_window: soon\nlint:\n  max_gap: never\nchannels:\n  x: {kind: x, account: a, credentials: x}\n",
                {kF + "4:16: error: publishing.late_window must be a duration such as 30s, 15m, 1h30m or 3d, not 'soon'",
                 kF + "6:12: error: lint.max_gap must be a duration such as 30s, 15m, 1h30m or 3d, not 'never'"}}),
    [](const auto& test_case) { return std::string(test_case.param.name); });

TEST(Settings, RemoteListenAllowedWhenExplicit) {
  auto r = load(kHead + "status: {listen: 0.0.0.0:8787, allow_remote: true}\nchannels:\n  x: {kind: x, account: a, credentials: x}\n");
  ASSERT_TRUE(r.settings) << ::testing::PrintToString(r.messages);
  EXPECT_TRUE(r.settings->status.allow_remote);
}

TEST(Settings, DeepNestingIsACleanError) {
  std::string deep = kHead + "lint: ";
  deep += std::string(100000, '[');
  auto r = load(deep);
  EXPECT_FALSE(r.settings);
  ASSERT_FALSE(r.messages.empty());
  EXPECT_NE(r.messages[0].find("error:"), std::string::npos);
}

TEST(Settings, OversizedFileIsACleanError) {
  std::string big = kHead + "# " + std::string(2 << 20, 'x') + "\n";
  auto r = load(big);
  EXPECT_FALSE(r.settings);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_NE(r.messages[0].find("more than the limit"), std::string::npos);
}

// The tables (STYLE.md 15): every row of settings.cpp's table is a key that
// is accepted where its path says and fills its field; every mapping's
// "expected one of" is its rows; a channel takes exactly the keys of its
// kind's row and those every channel takes.

// Every key with a value that is not its default.
const char* kEveryKey = R"(calendar: posts
state_dir: state
credentials_dir: /run/creds
timezone: Europe/Amsterdam
media_url: https://media.example.nl/h
status:
  listen: 127.0.0.1:9999
  token: other-token
  allow_remote: true
publishing:
  late_window: 1h
  retry: {attempts: 7, backoff: 1m, max_backoff: 2h}
  request_timeout: 45s
  settle_margin: 2m
  workers: 12
  max_in_flight: 3
reload:
  max_delay: 9s
  hold_cancellations: {share: 0.5, min: 3}
store:
  postgresql: postgresql://herald@db.example.nl:6432/herald?sslmode=verify-full
  password: db-password
  lease: 20s
  instance: db-host-1
report:
  collect_after: [30m, 2d]
state_check: 2m
links:
  own_domains: [Example.NL]
  utm: {source: s, term: t}
lint:
  promo_share: 0.4
  max_gap: 2d
  competitors: [Acme, Bolt]
channels:
  x: {kind: x, account: a, credentials: x}
)";

TEST(SettingsTable, EveryRowIsAKeyThatFillsItsField) {
  auto r = load(kEveryKey);
  ASSERT_TRUE(r.settings) << ::testing::PrintToString(r.messages);
  const Settings& s = *r.settings;
  EXPECT_EQ(s.calendar, "/etc/herald/posts");
  EXPECT_EQ(s.state_dir, "/etc/herald/state");
  EXPECT_EQ(s.credentials_dir, "/run/creds");
  EXPECT_EQ(s.timezone, "Europe/Amsterdam");
  EXPECT_EQ(s.media_url, "https://media.example.nl/h/");
  EXPECT_EQ(s.status.listen, "127.0.0.1:9999");
  EXPECT_EQ(s.status.token, "other-token");
  EXPECT_TRUE(s.status.allow_remote);
  EXPECT_EQ(s.publishing.late_window, 1h);
  EXPECT_EQ(s.publishing.retry.attempts, 7);
  EXPECT_EQ(s.publishing.retry.backoff, 1min);
  EXPECT_EQ(s.publishing.retry.max_backoff, 2h);
  EXPECT_EQ(s.publishing.request_timeout, 45s);
  EXPECT_EQ(s.publishing.settle_margin, 2min);
  EXPECT_EQ(s.publishing.workers, 12);
  EXPECT_EQ(s.publishing.max_in_flight, 3);
  EXPECT_EQ(s.reload.max_delay, 9s);
  EXPECT_DOUBLE_EQ(s.reload.hold_share, 0.5);
  EXPECT_EQ(s.reload.hold_min, 3);
  EXPECT_EQ(s.store.postgresql, "postgresql://herald@db.example.nl:6432/herald?sslmode=verify-full");
  EXPECT_EQ(s.store.password, "db-password");
  EXPECT_EQ(s.store.lease, 20s);
  EXPECT_EQ(s.store.instance, "db-host-1");
  EXPECT_EQ(s.report.collect_after, (std::vector<std::chrono::seconds>{30min, 48h}));
  EXPECT_EQ(s.state_check, 2min);
  EXPECT_EQ(s.links.own_domains, std::vector<std::string>{"example.nl"});
  EXPECT_EQ(s.links.utm.params, (std::vector<std::pair<std::string, std::string>>{{"source", "s"}, {"term", "t"}}));
  EXPECT_DOUBLE_EQ(s.lint.promo_share, 0.4);
  EXPECT_EQ(s.lint.max_gap, 48h);
  EXPECT_EQ(s.lint.competitors, (std::vector<std::string>{"Acme", "Bolt"}));
  EXPECT_EQ(s.channels.size(), 1u);

  // A row added to the table without a line above fails here.
  Diagnostics parse_diags;
  const YamlNode doc = parse_yaml(kEveryKey, "every.yaml", parse_diags, 1 << 20).root;
  for (auto path : setting_paths()) {
    YamlNode node = doc;
    for (std::size_t start = 0; start <= path.size();) {
      const std::size_t dot = std::min(path.find('.', start), path.size());
      node = YamlNode(node[std::string_view(path.substr(start, dot - start))]);
      start = dot + 1;
    }
    EXPECT_TRUE(node.defined()) << path << " is not in kEveryKey";
  }
}

// The PostgreSQL store (issue 16): the URL never holds the password, which
// comes from a credential; errors are at the value, and never repeat it.
TEST(Settings, ThePostgresqlStoreTakesItsPasswordFromACredential) {
  auto r = load(kMinimal);
  ASSERT_TRUE(r.settings);
  EXPECT_EQ(r.settings->store.postgresql, "");  // SQLite in state_dir
  const std::string channels = "channels:\n  x: {kind: x, account: a, credentials: x}\n";
  r = load(kHeadForVersion + "store: {postgresql: \"postgres://herald@127.0.0.1/herald\"}\n" + channels);
  ASSERT_TRUE(r.settings) << (r.messages.empty() ? "" : r.messages[0]);
  EXPECT_EQ(r.settings->store.password, "");  // libpq's own ways (a .pgpass file, peer) still work
  for (const char* url : {"postgresql://herald:hunter2@db/herald", "postgresql://db/herald?password=hunter2",
                          "postgresql://db/herald?sslmode=require&PASSWORD=hunter2"}) {
    r = load(kHeadForVersion + "store:\n  postgresql: \"" + url + "\"\n" + channels);
    EXPECT_FALSE(r.settings) << url;
    ASSERT_EQ(r.messages.size(), 1u) << url;
    EXPECT_EQ(r.messages[0].rfind("/etc/herald/herald.yaml:4:15: error: store.postgresql must not hold a password", 0),
              0u)
        << r.messages[0];
    EXPECT_EQ(r.messages[0].find("hunter2"), std::string::npos) << r.messages[0];
  }
  r = load(kHeadForVersion + "store:\n  postgresql: \"mysql://db/herald\"\n" + channels);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_NE(r.messages[0].find("must be a PostgreSQL URL"), std::string::npos) << r.messages[0];
  r = load(kHeadForVersion + "store:\n  password: db-password\n" + channels);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].rfind("/etc/herald/herald.yaml:4:13: error: store.password names", 0), 0u) << r.messages[0];
}

// The worker pool and each platform's share of it (issue 15.3): defaults,
// values, and bounds reported where the value is.
TEST(Settings, WorkersAndMaxInFlight) {
  auto r = load(kMinimal);
  ASSERT_TRUE(r.settings);
  EXPECT_EQ(r.settings->publishing.workers, 4);
  EXPECT_EQ(r.settings->publishing.max_in_flight, std::nullopt);
  r = load(kHeadForVersion + "publishing: {workers: 16, max_in_flight: 3}\nchannels:\n  x: {kind: x, account: a, credentials: x}\n");
  ASSERT_TRUE(r.settings) << (r.messages.empty() ? "" : r.messages[0]);
  EXPECT_EQ(r.settings->publishing.workers, 16);
  EXPECT_EQ(r.settings->publishing.max_in_flight, 3);
  r = load(kHeadForVersion + "publishing:\n  workers: 0\n  max_in_flight: 65\nchannels:\n  x: {kind: x, account: a, credentials: x}\n");
  EXPECT_FALSE(r.settings);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].rfind("/etc/herald/herald.yaml:4:12: error:", 0), 0u) << r.messages[0];
  EXPECT_NE(r.messages[0].find("workers"), std::string::npos) << r.messages[0];
  EXPECT_EQ(r.messages[1].rfind("/etc/herald/herald.yaml:5:18: error:", 0), 0u) << r.messages[1];
}

// The keys a mapping of the settings expects, from the table's paths.
std::string expected_under(const std::string& prefix) {
  std::vector<std::string> names;
  for (auto path : setting_paths()) {
    if (path.substr(0, prefix.size()) != prefix) continue;
    const std::string name(path.substr(prefix.size(), path.find('.', prefix.size()) - prefix.size()));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  return list;
}

TEST(SettingsTable, AnUnknownKeyListsTheRowsOfItsMapping) {
  // Written out for two mappings, so the lists themselves are pinned too.
  EXPECT_EQ(expected_under("publishing."),
            "late_window, retry, request_timeout, settle_margin, workers, max_in_flight");
  EXPECT_EQ(expected_under("reload.hold_cancellations."), "share, min");
  // Each mapping of the table, with an unknown key on line 3.
  const std::vector<std::pair<std::string, std::string>> mappings = {
      {"status", "status: {nope: 1}\n"},
      {"publishing", "publishing: {nope: 1}\n"},
      {"publishing.retry", "publishing: {retry: {nope: 1}}\n"},
      {"reload", "reload: {nope: 1}\n"},
      {"reload.hold_cancellations", "reload: {hold_cancellations: {nope: 1}}\n"},
      {"links", "links: {nope: 1}\n"},
      {"lint", "lint: {nope: 1}\n"},
  };
  for (const auto& [what, text] : mappings) {
    auto r = load(kHead + text + "channels:\n  x: {kind: x, account: a, credentials: x}\n");
    EXPECT_FALSE(r.settings);
    ASSERT_EQ(r.messages.size(), 1u) << what;
    const std::size_t column = text.find("nope") + 1;
    EXPECT_EQ(r.messages[0], kF + "3:" + std::to_string(column) + ": error: unknown key 'nope' in " + what +
                                 " (expected one of: " + expected_under(what + ".") + ")");
  }
  auto top = load(kHead + "nope: 1\nchannels:\n  x: {kind: x, account: a, credentials: x}\n");
  ASSERT_EQ(top.messages.size(), 1u);
  EXPECT_EQ(top.messages[0],
            kF + "3:1: error: unknown key 'nope' in settings (expected one of: " + expected_under("") + ")");
}

// A valid value of each platform key, the kind's own API version for api_version.
std::string value_for(const ChannelKey& key, const ChannelKindInfo& kind) {
  return key.name == "api_version" ? std::string(kind.api_version) : std::string(key.example);
}

// Each platform key's field, as text, by its name.
std::string field_of(const ChannelSettings& c, std::string_view key) {
  const std::map<std::string_view, std::string> fields = {
      {"account", c.account},       {"page_id", c.page_id},       {"site", c.site},
      {"dir", c.dir.string()},      {"after", c.after},           {"url", c.url},
      {"author", c.author},         {"account_id", c.account_id}, {"credentials", c.credentials},
      {"api_base", c.api_base},     {"api_version", c.api_version}, {"instance", c.instance},
      {"visibility", c.visibility}, {"language", c.language},
      {"max_characters", std::to_string(c.max_characters)},       {"handle", c.handle},
      {"pds", c.pds},               {"card", c.card}};
  EXPECT_EQ(fields.size(), channel_keys().size()) << "a platform key without its field here";
  const auto it = fields.find(key);
  return it == fields.end() ? "(no field for " + std::string(key) + ")" : it->second;
}

TEST(SettingsTable, EveryKindTakesTheKeysOfItsRowAndThoseOfEveryChannel) {
  EXPECT_EQ(every_channel_keys(), (std::vector<std::string_view>{"slots", "min_spacing", "rate", "paused",
                                                                  "late_window", "utm", "max_gap"}));
  for (const auto& kind : channel_kinds()) {
    const std::string head = kHead + "channels:\n  c: {kind: " + std::string(kind.name);
    std::string keys = head;
    for (auto name : kind.keys) keys += ", " + std::string(name) + ": '" + value_for(*channel_key(name), kind) + "'";

    // Every key it takes, at a valid value, lands in its field.
    auto r = load(keys + ", slots: ['mon 09:00'], min_spacing: 5m, rate: 3/1h, paused: true, late_window: 2h, "
                         "utm: {source: s}, max_gap: 2d}\n");
    ASSERT_TRUE(r.settings) << kind.name << ": " << ::testing::PrintToString(r.messages);
    const ChannelSettings& c = r.settings->channels.at(0);
    for (auto name : kind.keys) EXPECT_EQ(field_of(c, name), value_for(*channel_key(name), kind)) << kind.name;
    EXPECT_EQ(c.slots.size(), 1u);
    EXPECT_EQ(c.min_spacing, 5min);
    ASSERT_TRUE(c.rate);
    EXPECT_EQ(c.rate->count, 3);
    EXPECT_TRUE(c.paused);
    EXPECT_EQ(c.late_window, 2h);
    ASSERT_TRUE(c.utm);
    EXPECT_EQ(c.utm->params.size(), 1u);
    EXPECT_EQ(c.max_gap, 48h);

    // An unknown key lists exactly these.
    std::string expected = "kind";
    for (auto name : kind.keys) expected += ", " + std::string(name);
    for (auto name : every_channel_keys()) expected += ", " + std::string(name);
    auto unknown = load(keys + ", nope: 1}\n");
    ASSERT_EQ(unknown.messages.size(), 1u) << kind.name;
    EXPECT_NE(unknown.messages[0].find("error: unknown key 'nope' in channel 'c' (expected one of: " + expected + ")"),
              std::string::npos)
        << unknown.messages[0];

    // Every other kind's key is known, and refused as not this kind's.
    for (const auto& key : channel_keys()) {
      if (std::find(kind.keys.begin(), kind.keys.end(), key.name) != kind.keys.end()) continue;
      auto other = load(keys + ", " + std::string(key.name) + ": '" + std::string(key.example) + "'}\n");
      ASSERT_EQ(other.messages.size(), 1u) << kind.name << " " << key.name;
      EXPECT_NE(other.messages[0].find("error: '" + std::string(key.name) + "' is not a setting of " +
                                       a_kind(kind.kind) + " channel"),
                std::string::npos)
          << other.messages[0];
    }
  }
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

// report.collect_after: increasing durations, each within bounds; the
// error says where and what.
TEST(SettingsReport, CollectAfterMustBeIncreasingDurations) {
  const std::string base = "calendar: c.yaml\ntimezone: UTC\nchannels: {x: {kind: x, account: a, credentials: x}}\n"
                           "report:\n  collect_after: ";
  auto r = load(base + "[1h, 24h, 7d]\n");
  ASSERT_TRUE(r.settings) << ::testing::PrintToString(r.messages);
  EXPECT_EQ(r.settings->report.collect_after, (std::vector<std::chrono::seconds>{1h, 24h, 7 * 24h}));
  r = load(base + "[]\n");
  ASSERT_TRUE(r.settings);
  EXPECT_TRUE(r.settings->report.collect_after.empty());
  r = load(base + "[24h, 1h]\n");
  EXPECT_FALSE(r.settings);
  ASSERT_FALSE(r.messages.empty());
  EXPECT_NE(r.messages[0].find(":5:24: error: report.collect_after must increase: 1h comes after 1d"), std::string::npos)
      << r.messages[0];
  r = load(base + "[2s]\n");
  EXPECT_FALSE(r.settings);
  r = load(base + "1h\n");
  EXPECT_FALSE(r.settings);
  ASSERT_FALSE(r.messages.empty());
  EXPECT_NE(r.messages[0].find("must be a list of durations such as [1h, 24h, 7d]"), std::string::npos) << r.messages[0];
}

}  // namespace
}  // namespace herald
