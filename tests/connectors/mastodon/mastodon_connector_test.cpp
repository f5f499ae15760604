// The mastodon connector against the in-process sandbox, over real HTTP on
// loopback (tests/sandbox/sandbox_mastodon.cpp emulates a Mastodon instance
// from docs.joinmastodon.org; each test names the document its behaviour
// comes from). No mocks: a recording client passes every request to the
// real one so tests can count what went over the wire. The connector and
// the sandbox share one injected clock, so an hour passes in a statement.
#include "connectors/mastodon/mastodon_connector.hpp"

#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "connectors/json_fields.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/support/recording_client.hpp"
#include "tests/support/sandbox_records.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace herald {
namespace {
using namespace std::chrono_literals;

constexpr const char* kToken = "FAKE-mastodon-token-for-connector-tests";
constexpr const char* kReadOnlyToken = "FAKE-mastodon-read-only-token-for-tests";
constexpr const char* kAccountId = "109000000000000001";
// 2026-12-02T10:00:00Z.
constexpr std::int64_t kStart = 1796205600;

// Bytes that start like a PNG (compose's sniff_media and the sandbox read
// the first ones) and then include NUL, CR and LF, so a mangled body shows.
std::string png_bytes(int seed) {
  std::string bytes("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  for (int i = 0; i < 700; ++i) bytes += static_cast<char>(i * 7 + seed);
  return bytes;
}

// A result's message never holds a token.
void expect_no_token(const PublishResult& result) {
  for (const char* token : {kToken, kReadOnlyToken})
    EXPECT_EQ(message_of(result).find(token), std::string::npos) << message_of(result);
}

class MastodonConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    start(MastodonSandboxConfig{});
    channel_.name = "mastodon";
    channel_.kind = ChannelKind::mastodon;
    channel_.instance = "https://mastodon.example";
    channel_.account = "sandbox_herald";
    channel_.credentials = "mastodon";
  }
  void TearDown() override { sandbox_->stop(); }

  // A sandbox with `config` and the two test accounts, on the shared clock.
  void start(MastodonSandboxConfig config) {
    if (sandbox_) sandbox_->stop();
    config.accounts = {{kAccountId, "sandbox_herald", kToken, {"read", "write"}},
                       {"109000000000000002", "reader", kReadOnlyToken, {"read"}}};
    Sandbox::Config c;
    c.mastodon = std::move(config);
    c.now_ms = [this] { return now_s_.load() * 1000; };
    sandbox_ = std::make_unique<Sandbox>(std::move(c));
    sandbox_->start("127.0.0.1", 0);
    channel_.api_base = testing::sandbox_api_base(*sandbox_);
  }

  MastodonConnector connector(const std::string& token = kToken, HttpClient* http = nullptr) {
    return MastodonConnector(channel_, MastodonCredentials{Secret(token)}, http ? *http : recorder_, state_,
                             [this] { return Instant{std::chrono::seconds{now_s_.load()}}; });
  }

  static PublishRequest request_for(std::string text, std::string key = "spring@mastodon") {
    PublishRequest request;
    request.key = std::move(key);
    request.post = "spring";
    request.channel = "mastodon";
    request.composed.kind = ChannelKind::mastodon;
    request.composed.text = std::move(text);
    request.composed.visibility = "public";
    return request;
  }

  std::vector<Sandbox::Create> statuses() const {
    return testing::creates_on(*sandbox_, "mastodon");
  }

  std::filesystem::path write_file(const std::string& name, const std::string& bytes) {
    return dir_.write(name, bytes);
  }

  // Waits (on the sandbox's state, up to 10 s) until a request held by a
  // delay fault has been let go and has made its status after the client gave up.
  void wait_for_statuses(std::size_t count) {
    testing::wait_for_creates(*sandbox_, "mastodon", count);
  }

  void advance(std::chrono::seconds by) { now_s_ += by.count(); }

  std::atomic<std::int64_t> now_s_{kStart};
  std::unique_ptr<Sandbox> sandbox_;
  ChannelSettings channel_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 2s, .read_timeout = 5s, .write_timeout = 5s}};
  // For the hang and drop tests: a read timeout well below the faults' delay.
  HttplibClient short_http_{"test",
                            HttpLimits{.connect_timeout = 2s, .read_timeout = 300ms, .write_timeout = 2s}};
  RecordingClient recorder_{http_};
  MemoryConnectorState state_;
  testing::TempDir dir_;
};

// methods/statuses "Post a new status": status, visibility, spoiler_text
// and language with a Bearer token and an Idempotency-Key; entities/Status:
// the id, and the status's `url` as its address.
TEST_F(MastodonConnectorTest, PublishesAStatusWithItsVisibilityWarningAndLanguage) {
  auto request = request_for("Spring is here");
  request.composed.visibility = "unlisted";
  request.composed.spoiler_text = "seasons";
  request.composed.language = "nl";
  auto mastodon = connector();
  PublishResult result = mastodon.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  const auto& published = std::get<Published>(result);
  auto created = statuses();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(published.remote_id, created[0].id);
  EXPECT_EQ(published.url, "https://mastodon.example/@sandbox_herald/" + created[0].id);
  EXPECT_EQ(created[0].text, "Spring is here");
  EXPECT_EQ(created[0].fields.at("visibility"), "unlisted");
  EXPECT_EQ(created[0].fields.at("spoiler_text"), "seasons");
  EXPECT_EQ(created[0].fields.at("language"), "nl");
  EXPECT_TRUE(created[0].fields.at("idempotency_key").starts_with("herald-")) << created[0].fields.at("idempotency_key");
  EXPECT_EQ(created[0].headers.at("Content-Type"), "application/json");
  EXPECT_EQ(recorder_.headers("POST", "/api/v1/statuses", "Authorization"),
            std::vector<std::string>{std::string("Bearer ") + kToken});
  EXPECT_TRUE(mastodon.settle_policy().repeat_is_safe);
}

// methods/statuses: the channel's visibility when the post says none;
// a link goes as written and counts 23 however long it is (instance
// characters_reserved_per_url).
TEST_F(MastodonConnectorTest, PublishesALinkAndTheChannelsVisibility) {
  channel_.visibility = "private";
  auto request = request_for("Read https://example.nl/" + std::string(300, 'x') + "?utm_source=mastodon now");
  request.composed.visibility.clear();
  PublishResult result = connector().publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto created = statuses();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].text, request.composed.text);
  EXPECT_EQ(created[0].fields.at("visibility"), "private");
  EXPECT_EQ(created[0].fields.at("length"), "32");  // "Read " 5 + 23 + " now" 4
}

// methods/media (POST /api/v2/media: file and description) and
// methods/statuses media_ids[]: two pictures, in order, each with its alt
// text (or none), their bytes intact; the remembered uploads are dropped
// once the status is out.
TEST_F(MastodonConnectorTest, PublishesPicturesWithAltText) {
  const std::string a = png_bytes(1), b = png_bytes(2);
  auto request = request_for("Two views of spring");
  request.composed.media = {write_file("a.png", a), write_file("b.png", b)};
  request.composed.media_alt = {"A red bike against a wall", ""};
  PublishResult result = connector().publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  auto created = statuses();
  ASSERT_EQ(created.size(), 1u);
  ASSERT_EQ(created[0].media_ids.size(), 2u);
  const auto& first = created[0].media_ids[0];
  const auto& second = created[0].media_ids[1];
  EXPECT_EQ(created[0].fields.at("alt:" + first), "A red bike against a wall");
  EXPECT_EQ(created[0].fields.at("alt:" + second), "");
  EXPECT_EQ(created[0].fields.at("media:" + first), std::to_string(a.size()) + " bytes fnv1a64 " + fnv1a64_hex(a));
  EXPECT_EQ(created[0].fields.at("media:" + second), std::to_string(b.size()) + " bytes fnv1a64 " + fnv1a64_hex(b));
  EXPECT_EQ(recorder_.count("POST", "/api/v2/media"), 2);
  EXPECT_EQ(recorder_.count("GET", "/api/v1/media/"), 0);  // processed at once (200)
}

// methods/statuses "Idempotency-Key": a status whose answer was dropped is
// Unsure; the repeat carries the same key, and Mastodon answers the first
// status: the sandbox holds one.
TEST_F(MastodonConnectorTest, ARetryAfterADroppedAnswerSendsTheSameKey) {
  sandbox_->add_fault({"POST /api/v1/statuses", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  RecordingClient short_recorder{short_http_};
  auto mastodon = connector(kToken, &short_recorder);
  auto request = request_for("Lost answer, one status");
  PublishResult first = mastodon.publish(request);
  ASSERT_TRUE(std::holds_alternative<Unsure>(first)) << message_of(first);
  ASSERT_EQ(statuses().size(), 1u);
  request.answer_lost_before = true;
  PublishResult second = mastodon.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(second)) << message_of(second);
  EXPECT_EQ(std::get<Published>(second).remote_id, statuses()[0].id);
  EXPECT_EQ(statuses().size(), 1u);
  const auto keys = short_recorder.headers("POST", "/api/v1/statuses", "Idempotency-Key");
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0], keys[1]);
  EXPECT_EQ(keys[0], statuses()[0].fields.at("idempotency_key"));
}

// The same after a restart: a new connector over the same ConnectorState
// derives the same key (nothing random), so one status; and a repeat after
// the answer was had (herald lost it before committing) is answered from
// the state without a request.
TEST_F(MastodonConnectorTest, ARestartSendsTheSameKey) {
  sandbox_->add_fault({"POST /api/v1/statuses", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  auto request = request_for("Across a restart");
  request.composed.media = {write_file("a.png", png_bytes(3))};
  request.composed.media_alt = {"a view"};
  {
    auto before = connector(kToken, &short_http_);
    ASSERT_TRUE(std::holds_alternative<Unsure>(before.publish(request)));
  }
  ASSERT_EQ(statuses().size(), 1u);
  request.answer_lost_before = true;
  auto after = connector();
  PublishResult result = after.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_EQ(std::get<Published>(result).remote_id, statuses()[0].id);
  EXPECT_EQ(statuses().size(), 1u);
  EXPECT_EQ(statuses()[0].media_ids.size(), 1u);
  const int requests = recorder_.total();
  auto again = connector().publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(again)) << message_of(again);
  EXPECT_EQ(std::get<Published>(again).remote_id, statuses()[0].id);
  EXPECT_EQ(recorder_.total(), requests);
}

// An edited text is another status: a new key (the content is part of
// it), so Mastodon makes a new status rather than answering the old one.
TEST_F(MastodonConnectorTest, AnEditedTextGetsANewKey) {
  auto mastodon = connector();
  auto request = request_for("First words");
  ASSERT_TRUE(std::holds_alternative<Published>(mastodon.publish(request)));
  request.composed.text = "Better words";
  PublishResult edited = mastodon.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(edited)) << message_of(edited);
  auto created = statuses();
  ASSERT_EQ(created.size(), 2u);
  EXPECT_EQ(created[1].text, "Better words");
  EXPECT_NE(created[0].fields.at("idempotency_key"), created[1].fields.at("idempotency_key"));
}

// The key is a pure function of the delivery and its content.
TEST(MastodonIdempotencyKeyTest, EveryPartOfTheContentChangesIt) {
  const MastodonStatusContent base{"text", "cw", "public", "en", {{"aa", "alt"}}};
  const std::string key = mastodon_idempotency_key("p@mastodon", base);
  EXPECT_EQ(key, mastodon_idempotency_key("p@mastodon", base));
  EXPECT_TRUE(key.starts_with("herald-"));
  EXPECT_EQ(key.size(), 7u + 64u);
  EXPECT_NE(key, mastodon_idempotency_key("p@mastodon#2027-03-08", base));
  auto changed = [&](auto change) {
    MastodonStatusContent c = base;
    change(c);
    return mastodon_idempotency_key("p@mastodon", c);
  };
  EXPECT_NE(key, changed([](auto& c) { c.text = "text!"; }));
  EXPECT_NE(key, changed([](auto& c) { c.spoiler_text = ""; }));
  EXPECT_NE(key, changed([](auto& c) { c.visibility = "unlisted"; }));
  EXPECT_NE(key, changed([](auto& c) { c.language = "nl"; }));
  EXPECT_NE(key, changed([](auto& c) { c.media[0].first = "ab"; }));
  EXPECT_NE(key, changed([](auto& c) { c.media[0].second = "other alt"; }));
  EXPECT_NE(key, changed([](auto& c) { c.media.clear(); }));
  // Parts are length-prefixed: moving a character between parts is a change.
  EXPECT_NE(changed([](auto& c) { c.text = "textc"; c.spoiler_text = "w"; }), key);
}

// methods/media: a 202 answer (url null) is processed in the background;
// publish answers Processing without waiting, a later call asks GET
// /api/v1/media/:id (206: still Processing), and once it is 200 the status
// goes out with the same attachment: one upload.
TEST_F(MastodonConnectorTest, A202MediaAnswerIsProcessingAndALaterCallPublishesWithTheSameAttachment) {
  MastodonSandboxConfig config;
  config.image_processing_seconds = 30;
  start(config);
  auto request = request_for("Patience");
  request.composed.media = {write_file("slow.png", png_bytes(4))};
  auto mastodon = connector();
  PublishResult first = mastodon.publish(request);
  ASSERT_TRUE(std::holds_alternative<Processing>(first)) << message_of(first);
  EXPECT_EQ(std::get<Processing>(first).after, 5s);
  EXPECT_TRUE(statuses().empty());
  advance(10s);
  PublishResult second = mastodon.publish(request);
  ASSERT_TRUE(std::holds_alternative<Processing>(second)) << message_of(second);
  EXPECT_EQ(std::get<Processing>(second).after, 10s);
  advance(20s);
  PublishResult third = mastodon.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(third)) << message_of(third);
  EXPECT_EQ(recorder_.count("POST", "/api/v2/media"), 1);
  EXPECT_EQ(recorder_.count("GET", "/api/v1/media/"), 2);
  ASSERT_EQ(statuses().size(), 1u);
  ASSERT_EQ(statuses()[0].media_ids.size(), 1u);
}

// methods/instance: configuration.statuses.max_characters is the
// instance's own; one that allows 1,000 takes 800 although the channel
// says 500.
TEST_F(MastodonConnectorTest, AnInstanceWithALargerLimitTakesALongerStatus) {
  MastodonSandboxConfig config;
  config.max_characters = 1000;
  start(config);
  PublishResult result = connector().publish(request_for(std::string(800, 'a')));
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_EQ(statuses().size(), 1u);
}

// methods/instance, default 500 with each link 23 (Mastodon's
// StatusLengthValidator): 501 as Mastodon measures is Failed with both
// numbers and never sent; 500 goes out.
TEST_F(MastodonConnectorTest, TheDefaultLimitRefuses501AsMastodonMeasures) {
  const std::string url = "https://example.nl/" + std::string(200, 'y');
  auto mastodon = connector();
  PublishResult over = mastodon.publish(request_for(std::string(477, 'a') + " " + url));
  ASSERT_TRUE(std::holds_alternative<Failed>(over)) << message_of(over);
  EXPECT_NE(message_of(over).find("501 characters"), std::string::npos) << message_of(over);
  EXPECT_NE(message_of(over).find("limit is 500"), std::string::npos) << message_of(over);
  EXPECT_EQ(recorder_.count("POST", "/api/v1/statuses"), 0);
  PublishResult fits = mastodon.publish(request_for(std::string(476, 'a') + " " + url));
  ASSERT_TRUE(std::holds_alternative<Published>(fits)) << message_of(fits);
  EXPECT_EQ(statuses().at(0).fields.at("length"), "500");
  // The content warning counts as well.
  auto warned = request_for(std::string(476, 'b') + " " + url);
  warned.composed.spoiler_text = "!";
  EXPECT_TRUE(std::holds_alternative<Failed>(mastodon.publish(warned)));
}

// An instance that cannot be read leaves the channel's max_characters (and
// 23 per link); the fallback is not kept, so the next call reads it.
TEST_F(MastodonConnectorTest, AnUnreadableInstanceFallsBackToTheChannelsLimit) {
  MastodonSandboxConfig config;
  config.max_characters = 1000;
  start(config);
  sandbox_->add_fault({"GET /api/v2/instance", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto mastodon = connector();
  PublishResult first = mastodon.publish(request_for(std::string(800, 'a')));
  ASSERT_TRUE(std::holds_alternative<Failed>(first)) << message_of(first);
  EXPECT_NE(message_of(first).find("limit is 500"), std::string::npos) << message_of(first);
  PublishResult second = mastodon.publish(request_for(std::string(800, 'a')));
  EXPECT_TRUE(std::holds_alternative<Published>(second)) << message_of(second);
}

// The instance's limits are kept in the state for a day, then read again.
TEST_F(MastodonConnectorTest, TheInstancesLimitsAreKeptForADay) {
  auto mastodon = connector();
  ASSERT_TRUE(std::holds_alternative<Published>(mastodon.publish(request_for("one"))));
  ASSERT_TRUE(std::holds_alternative<Published>(connector().publish(request_for("two", "b@mastodon"))));
  EXPECT_EQ(recorder_.count("GET", "/api/v2/instance"), 1);
  advance(25h);
  ASSERT_TRUE(std::holds_alternative<Published>(mastodon.publish(request_for("three", "c@mastodon"))));
  EXPECT_EQ(recorder_.count("GET", "/api/v2/instance"), 2);
}

// methods/statuses 422 {"error":"Validation failed: ..."} is Failed with
// Mastodon's words: here an instance that lowered its limit after herald
// read it (the kept 1,000 against today's 500).
TEST_F(MastodonConnectorTest, A422IsFailedWithMastodonsMessage) {
  state_.put("mastodon:" + std::string("http://127.0.0.1:") + std::to_string(sandbox_->port()) + ":instance",
             R"({"max_characters":1000,"characters_reserved_per_url":23,"max_media_attachments":4,"fetched":)" +
                 std::to_string(kStart) + "}");
  PublishResult result = connector().publish(request_for(std::string(800, 'a')));
  ASSERT_TRUE(std::holds_alternative<Failed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("Validation failed: Text character limit of 500 exceeded"), std::string::npos)
      << message_of(result);
  EXPECT_NE(message_of(result).find("HTTP 422"), std::string::npos) << message_of(result);
  EXPECT_EQ(recorder_.count("GET", "/api/v2/instance"), 0);
  EXPECT_TRUE(statuses().empty());
}

// api/rate-limits: 429 is RetryLater until X-RateLimit-Reset (an ISO 8601
// timestamp), here 120 s on the shared clock.
TEST_F(MastodonConnectorTest, ARateLimitIsRetryLaterUntilTheReset) {
  sandbox_->add_fault({"POST /api/v1/statuses", Sandbox::FaultMode::rate_limit, 1, 120, 0});
  PublishResult result = connector().publish(request_for("Hello"));
  ASSERT_TRUE(std::holds_alternative<RetryLater>(result)) << message_of(result);
  ASSERT_TRUE(std::get<RetryLater>(result).after.has_value());
  EXPECT_EQ(*std::get<RetryLater>(result).after, 120s);
  EXPECT_NE(message_of(result).find("Too many requests"), std::string::npos) << message_of(result);
  EXPECT_TRUE(statuses().empty());
  expect_no_token(result);
}

// methods/statuses 401 {"error":"The access token is invalid"}: AuthFailed
// with Mastodon's words and without the token.
TEST_F(MastodonConnectorTest, ABadTokenIsAuthFailedWithoutTheToken) {
  const std::string token = "FAKE-wrong-mastodon-token-XYZZY";
  PublishResult result = connector(token).publish(request_for("Hello"));
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("The access token is invalid"), std::string::npos) << message_of(result);
  EXPECT_NE(message_of(result).find("HTTP 401"), std::string::npos) << message_of(result);
  EXPECT_EQ(message_of(result).find(token), std::string::npos) << message_of(result);
  EXPECT_TRUE(statuses().empty());
}

// api/oauth-scopes: a token without write:statuses is 403 "This action is
// outside the authorized scopes": AuthFailed (the token must be replaced).
TEST_F(MastodonConnectorTest, ATokenWithoutTheWriteScopeIsAuthFailed) {
  PublishResult result = connector(kReadOnlyToken).publish(request_for("Hello"));
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(result)) << message_of(result);
  EXPECT_NE(message_of(result).find("outside the authorized scopes"), std::string::npos) << message_of(result);
  EXPECT_NE(message_of(result).find("HTTP 403"), std::string::npos) << message_of(result);
  expect_no_token(result);
}

// A 5xx to the create may come after the status was stored: Unsure. To an
// upload it is RetryLater: nothing public exists yet.
TEST_F(MastodonConnectorTest, AServerErrorIsUnsureOnlyForTheCreate) {
  sandbox_->add_fault({"POST /api/v1/statuses", Sandbox::FaultMode::server_error, 1, 60, 0});
  PublishResult create = connector().publish(request_for("Hello"));
  EXPECT_TRUE(std::holds_alternative<Unsure>(create)) << message_of(create);
  expect_no_token(create);
  sandbox_->add_fault({"POST /api/v2/media", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto request = request_for("With a picture");
  request.composed.media = {write_file("a.png", png_bytes(5))};
  PublishResult upload = connector().publish(request);
  EXPECT_TRUE(std::holds_alternative<RetryLater>(upload)) << message_of(upload);
  expect_no_token(upload);
}

// methods/statuses: an answer that never comes within the client's read
// timeout is Unsure; Mastodon makes the status anyway; the repeat with the
// same key answers it: exactly one status.
TEST_F(MastodonConnectorTest, AHangPastTheTimeoutThenCompletionMakesOneStatus) {
  sandbox_->add_fault({"POST /api/v1/statuses", Sandbox::FaultMode::delay, 1, 60, 1000});
  auto mastodon = connector(kToken, &short_http_);
  auto request = request_for("Slow but sure");
  PublishResult first = mastodon.publish(request);
  ASSERT_TRUE(std::holds_alternative<Unsure>(first)) << message_of(first);
  expect_no_token(first);
  wait_for_statuses(1);
  ASSERT_EQ(statuses().size(), 1u);
  request.answer_lost_before = true;
  PublishResult second = mastodon.publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(second)) << message_of(second);
  EXPECT_EQ(std::get<Published>(second).remote_id, statuses()[0].id);
  EXPECT_EQ(statuses().size(), 1u);
}

// methods/accounts (verify_credentials, the account's statuses) and
// entities/Status content: after a lost answer the status is Found by its
// text read back from HTML; another text is Absent; an unreadable list or a
// bad token is Unknown.
TEST_F(MastodonConnectorTest, TheLookupIsFoundAbsentOrUnknown) {
  sandbox_->add_fault({"POST /api/v1/statuses", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  auto mastodon = connector(kToken, &short_http_);
  const auto request = request_for("Lost, then found");
  ASSERT_TRUE(std::holds_alternative<Unsure>(mastodon.publish(request)));
  LookupResult found = mastodon.lookup(request);
  ASSERT_TRUE(std::holds_alternative<Found>(found));
  EXPECT_EQ(std::get<Found>(found).remote_id, statuses().at(0).id);
  EXPECT_EQ(std::get<Found>(found).url, statuses().at(0).fields.at("url"));
  EXPECT_TRUE(std::holds_alternative<Absent>(mastodon.lookup(request_for("Never sent"))));
  sandbox_->add_fault({"GET /api/v1/accounts/:id/statuses", Sandbox::FaultMode::server_error, 1, 60, 0});
  EXPECT_TRUE(std::holds_alternative<Unknown>(mastodon.lookup(request_for("Never sent"))));
  EXPECT_TRUE(std::holds_alternative<Unknown>(connector("FAKE-bad").lookup(request_for("Never sent"))));
  EXPECT_TRUE(std::holds_alternative<Unknown>(mastodon.lookup(request_for(""))));
}

// entities/Status content: what herald wrote is recognised in the HTML
// Mastodon makes of it (a long link cut behind invisible/ellipsis spans, a
// hashtag, a remote mention shown as @user, paragraphs and line breaks,
// escaped characters), without any state to go by.
TEST_F(MastodonConnectorTest, TheLookupRecognisesTheTextInMastodonsHtml) {
  const std::string text =
      "Spring is here!\nRead https://www.example.nl/blog/2027/spring-is-here-at-last?utm_source=mastodon & tell "
      "@anna@other.example #spring2027\n\n<b>Bold</b> \"quoted\" it's";
  ASSERT_TRUE(std::holds_alternative<Published>(connector().publish(request_for(text))));
  MemoryConnectorState fresh;
  MastodonConnector elsewhere(channel_, MastodonCredentials{Secret(kToken)}, recorder_, fresh,
                              [this] { return Instant{std::chrono::seconds{now_s_.load()}}; });
  LookupResult found = elsewhere.lookup(request_for(text));
  ASSERT_TRUE(std::holds_alternative<Found>(found));
  EXPECT_EQ(std::get<Found>(found).remote_id, statuses().at(0).id);
  EXPECT_TRUE(std::holds_alternative<Absent>(elsewhere.lookup(request_for(text + " (and more)"))));
}

// methods/statuses "Idempotency keys are stored for up to 1 hour": a
// repeat more than 50 minutes after the key was first sent, after a lost
// answer, may not rely on it; the connector looks the status up and answers
// it, sending nothing.
TEST_F(MastodonConnectorTest, ARepeatPastTheKeysHourSettlesByLookup) {
  sandbox_->add_fault({"POST /api/v1/statuses", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  RecordingClient short_recorder{short_http_};
  auto request = request_for("An hour late");
  ASSERT_TRUE(std::holds_alternative<Unsure>(connector(kToken, &short_recorder).publish(request)));
  ASSERT_EQ(statuses().size(), 1u);
  advance(61min);  // past Mastodon's hour: the sandbox would make a second status now
  request.answer_lost_before = true;
  PublishResult result = connector(kToken, &short_recorder).publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_EQ(std::get<Published>(result).remote_id, statuses()[0].id);
  EXPECT_EQ(statuses().size(), 1u);
  EXPECT_EQ(short_recorder.count("POST", "/api/v1/statuses"), 1);
  EXPECT_EQ(short_recorder.count("GET", "/statuses?limit=40"), 1);
}

// The same past the hour when the lost attempt made nothing (a 5xx before
// the status was stored): Absent, so it is sent (once) and published.
TEST_F(MastodonConnectorTest, ARepeatPastTheKeysHourSendsWhenTheLookupFindsNothing) {
  sandbox_->add_fault({"POST /api/v1/statuses", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto request = request_for("Not there yet");
  ASSERT_TRUE(std::holds_alternative<Unsure>(connector().publish(request)));
  advance(61min);
  request.answer_lost_before = true;
  PublishResult result = connector().publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_EQ(statuses().size(), 1u);
  EXPECT_EQ(recorder_.count("GET", "/statuses?limit=40"), 1);
  EXPECT_EQ(recorder_.count("POST", "/api/v1/statuses"), 2);
}

// Past the hour and the statuses cannot be read: Unsure, nothing sent
// (the dispatcher retries, and ends in needs_review if it never can).
TEST_F(MastodonConnectorTest, ARepeatPastTheKeysHourThatCannotLookIsUnsure) {
  sandbox_->add_fault({"POST /api/v1/statuses", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  auto request = request_for("Cannot tell");
  ASSERT_TRUE(std::holds_alternative<Unsure>(connector(kToken, &short_http_).publish(request)));
  advance(61min);
  request.answer_lost_before = true;
  sandbox_->add_fault({"GET /api/v1/accounts/:id/statuses", Sandbox::FaultMode::server_error, 1, 60, 0});
  PublishResult result = connector().publish(request);
  ASSERT_TRUE(std::holds_alternative<Unsure>(result)) << message_of(result);
  EXPECT_EQ(recorder_.count("POST", "/api/v1/statuses"), 0);
  EXPECT_EQ(statuses().size(), 1u);
}

// Within the key's trust (50 minutes) the repeat relies on the key: no
// lookup, the same status.
TEST_F(MastodonConnectorTest, ARepeatWithinTheHourReliesOnTheKey) {
  sandbox_->add_fault({"POST /api/v1/statuses", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  auto request = request_for("Still within the hour");
  ASSERT_TRUE(std::holds_alternative<Unsure>(connector(kToken, &short_http_).publish(request)));
  advance(49min);
  request.answer_lost_before = true;
  PublishResult result = connector().publish(request);
  ASSERT_TRUE(std::holds_alternative<Published>(result)) << message_of(result);
  EXPECT_EQ(std::get<Published>(result).remote_id, statuses().at(0).id);
  EXPECT_EQ(recorder_.count("GET", "/statuses?limit=40"), 0);
  EXPECT_EQ(statuses().size(), 1u);
}

// No result message ever holds the token, whatever went wrong.
TEST_F(MastodonConnectorTest, TokensAppearInNoResultMessage) {
  using Mode = Sandbox::FaultMode;
  auto picture = request_for("With a picture", "pic@mastodon");
  picture.composed.media = {write_file("p.png", png_bytes(6))};
  for (auto [path, mode] : {std::pair{"POST /api/v1/statuses", Mode::server_error},
                            std::pair{"POST /api/v1/statuses", Mode::rate_limit},
                            std::pair{"POST /api/v1/statuses", Mode::drop_after_create},
                            std::pair{"POST /api/v2/media", Mode::server_error},
                            std::pair{"POST /api/v2/media", Mode::rate_limit}}) {
    sandbox_->add_fault({path, mode, 1, 60, 0});
    expect_no_token(connector(kToken, &short_http_).publish(picture));
  }
  expect_no_token(connector(kReadOnlyToken).publish(request_for("Hello")));
  sandbox_->stop();  // no server at all
  expect_no_token(connector().publish(request_for("Nobody home", "gone@mastodon")));
  LookupResult unknown = connector().lookup(request_for("Nobody home", "gone@mastodon"));
  ASSERT_TRUE(std::holds_alternative<Unknown>(unknown));
  EXPECT_EQ(std::get<Unknown>(unknown).message.find(kToken), std::string::npos);
}

// The credential file's one key.
TEST(MastodonCredentialsTest, TheAccessTokenComesFromTheFile) {
  const auto dir = std::filesystem::temp_directory_path() / ("herald-mastodon-cred-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "mastodon") << "access_token: FAKE-token-from-file\n";
  }
  std::filesystem::permissions(dir / "mastodon", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto credentials = mastodon_credentials(load_credentials(dir, "mastodon", credential_keys(ChannelKind::mastodon)));
  EXPECT_EQ(credentials.access_token.reveal(), "FAKE-token-from-file");
  {
    std::ofstream(dir / "mastodon") << "token: FAKE-wrong-key\n";
  }
  EXPECT_THROW(load_credentials(dir, "mastodon", credential_keys(ChannelKind::mastodon)), CredentialError);
  std::filesystem::remove_all(dir);
}

// api/rate-limits: X-RateLimit-Reset is ISO 8601 with a fraction; a
// Retry-After, if given, wins. And the processing waits.
TEST(MastodonAnswersTest, RateLimitWaitsAndTimestamps) {
  const Instant now{std::chrono::seconds{kStart}};
  EXPECT_EQ(parse_mastodon_time("2026-12-02T10:05:00.000000Z"), now + 300s);
  EXPECT_EQ(parse_mastodon_time("2026-12-02T10:00:00.123Z"), now);
  EXPECT_EQ(parse_mastodon_time("2026-12-02T11:00:00+01:00"), now);
  EXPECT_EQ(parse_mastodon_time("2026-12-02T10:00:00"), std::nullopt);  // no offset
  EXPECT_EQ(parse_mastodon_time("2026-12-02T10:00:00.Z"), std::nullopt);
  EXPECT_EQ(parse_mastodon_time("soon"), std::nullopt);
  HttpResponse limited;
  limited.status = 429;
  limited.body = R"({"error":"Too many requests"})";
  limited.headers.emplace("x-ratelimit-reset", "2026-12-02T10:02:00.000000Z");
  EXPECT_EQ(mastodon_rate_limit_wait(limited, now), 120s);
  EXPECT_EQ(mastodon_rate_limit_wait(limited, now + 1h), 0s);
  limited.headers.emplace("retry-after", "30");
  EXPECT_EQ(mastodon_rate_limit_wait(limited, now), 30s);
  auto classified = classify_mastodon(limited, now);
  ASSERT_TRUE(classified && std::holds_alternative<RetryLater>(*classified));
  EXPECT_EQ(message_of(*classified), "Mastodon: Too many requests (HTTP 429)");
  HttpResponse ok;
  ok.status = 200;
  EXPECT_FALSE(classify_mastodon(ok, now).has_value());
  HttpResponse gone;
  gone.status = 404;
  gone.body = R"({"error":"Record not found"})";
  EXPECT_TRUE(std::holds_alternative<Failed>(*classify_mastodon(gone, now)));
  EXPECT_EQ(mastodon_processing_wait(0s), 5s);
  EXPECT_EQ(mastodon_processing_wait(20s), 20s);
  EXPECT_EQ(mastodon_processing_wait(10min), 60s);
}

}  // namespace
}  // namespace herald
