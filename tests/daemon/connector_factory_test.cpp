// make_connector and LoopConnectorState: the daemon's wiring of connectors,
// apart from the running daemon (which the integration tests cover).
#include "daemon/connector_factory.hpp"
#include "daemon/loop_connector_state.hpp"

#include "connectors/credentials.hpp"
#include "connectors/linkedin/linkedin_connector.hpp"
#include "connectors/instagram/instagram_connector.hpp"
#include "connectors/static/static_connector.hpp"
#include "connectors/x/x_connector.hpp"
#include "scheduler/store.hpp"

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace herald {
namespace {

namespace fs = std::filesystem;

class ConnectorFactoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("herald-factory-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    settings_.credentials_dir = dir_;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    fs::permissions(dir_ / name, fs::perms::owner_read | fs::perms::owner_write);
  }
  ConnectorServices services() { return {http_, state_, [] { return Instant{}; }}; }

  fs::path dir_;
  Settings settings_;
  HttplibClient http_{"test"};
  MemoryConnectorState state_;
};

TEST_F(ConnectorFactoryTest, BuildsEachKindFromItsCredentialFile) {
  write("x", "consumer_key: ck\nconsumer_secret: FAKE-cs\naccess_token: 1-at\naccess_token_secret: FAKE-ats\n");
  write("fb", "page_token: FAKE-page\n");
  write("yt", "client_id: id\nclient_secret: FAKE-secret\nrefresh_token: FAKE-refresh\n");
  write("wp", "user: editor\napp_password: FAKE abcd\n");
  std::vector<std::string> warnings;
  auto channel = [](std::string name, ChannelKind kind, std::string credentials) {
    ChannelSettings c;
    c.name = std::move(name);
    c.kind = kind;
    c.credentials = std::move(credentials);
    c.page_id = "1";
    c.site = "https://blog.example.com";
    c.dir = "/tmp";
    return c;
  };
  EXPECT_TRUE(dynamic_cast<XConnector*>(
      make_connector(channel("x", ChannelKind::x, "x"), settings_, services(), warnings).get()));
  EXPECT_TRUE(make_connector(channel("facebook", ChannelKind::facebook, "fb"), settings_, services(), warnings));
  EXPECT_TRUE(make_connector(channel("youtube", ChannelKind::youtube, "yt"), settings_, services(), warnings));
  EXPECT_TRUE(make_connector(channel("blog", ChannelKind::wordpress, "wp"), settings_, services(), warnings));
  EXPECT_TRUE(dynamic_cast<StaticConnector*>(
      make_connector(channel("site", ChannelKind::static_site, ""), settings_, services(), warnings).get()));
  EXPECT_TRUE(warnings.empty());
}

TEST_F(ConnectorFactoryTest, BuildsLinkedinWithItsTokenExpiry) {
  write("li", "access_token: FAKE-li-token\nexpires_at: 2027-02-01T00:00:00Z\n");
  write("li-bad", "access_token: FAKE-li-token\nexpires_at: soon-FAKE\n");
  std::vector<std::string> warnings;
  ChannelSettings li;
  li.name = "linkedin";
  li.kind = ChannelKind::linkedin;
  li.author = "urn:li:organization:1";
  li.credentials = "li";
  auto connector = make_connector(li, settings_, services(), warnings);
  ASSERT_TRUE(dynamic_cast<LinkedinConnector*>(connector.get()));
  ASSERT_TRUE(connector->credentials_expire_at().has_value());
  EXPECT_EQ(*connector->credentials_expire_at(),
            std::chrono::system_clock::time_point{date::sys_days{date::year{2027} / 2 / 1}});
  li.credentials = "li-bad";
  try {
    make_connector(li, settings_, services(), warnings);
    FAIL() << "a bad expires_at, yet a connector";
  } catch (const CredentialError& e) {
    EXPECT_NE(std::string(e.what()).find("expires_at"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("soon-FAKE"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("FAKE-li-token"), std::string::npos) << e.what();
  }
}

// The instagram channel: its token and the optional expires_at, which the
// daemon's week-ahead warning reads; the container kept in the durable state
// makes a repeat safe.
TEST_F(ConnectorFactoryTest, BuildsInstagramWithItsTokensExpiry) {
  write("ig", "access_token: FAKE-ig-token\nexpires_at: 2027-01-30T12:00:00Z\n");
  std::vector<std::string> warnings;
  ChannelSettings ig;
  ig.name = "instagram";
  ig.kind = ChannelKind::instagram;
  ig.credentials = "ig";
  ig.account_id = "17841400000000001";
  auto connector = make_connector(ig, settings_, services(), warnings);
  ASSERT_TRUE(dynamic_cast<InstagramConnector*>(connector.get()));
  ASSERT_TRUE(connector->credentials_expire_at());
  EXPECT_EQ(connector->credentials_expire_at()->time_since_epoch(), std::chrono::seconds{1801310400});
  EXPECT_TRUE(connector->settle_policy().repeat_is_safe);
  write("ig", "access_token: FAKE-ig-token\n");
  EXPECT_FALSE(make_connector(ig, settings_, services(), warnings)->credentials_expire_at());
  EXPECT_TRUE(warnings.empty());
}

// A Facebook Page token made from a short-lived user token expires: the
// file's expires_at is when (issue 17's token health); one without it never does.
TEST_F(ConnectorFactoryTest, BuildsFacebookWithItsPageTokensExpiry) {
  write("fb", "page_token: FAKE-page-token\nexpires_at: 2027-01-30T12:00:00Z\n");
  std::vector<std::string> warnings;
  ChannelSettings fb;
  fb.name = "facebook";
  fb.kind = ChannelKind::facebook;
  fb.credentials = "fb";
  fb.page_id = "1234567890";
  auto connector = make_connector(fb, settings_, services(), warnings);
  ASSERT_TRUE(connector->credentials_expire_at());
  EXPECT_EQ(connector->credentials_expire_at()->time_since_epoch(), std::chrono::seconds{1801310400});
  write("fb", "page_token: FAKE-page-token\n");
  EXPECT_FALSE(make_connector(fb, settings_, services(), warnings)->credentials_expire_at());
  EXPECT_TRUE(warnings.empty());
}

TEST_F(ConnectorFactoryTest, AMissingOrLooseFileIsSaidWithoutItsValues) {
  std::vector<std::string> warnings;
  ChannelSettings x;
  x.name = "x";
  x.kind = ChannelKind::x;
  x.credentials = "x";
  try {
    make_connector(x, settings_, services(), warnings);
    FAIL() << "no credential file, yet a connector";
  } catch (const CredentialError& e) {
    EXPECT_NE(std::string(e.what()).find((dir_ / "x").string()), std::string::npos) << e.what();
  }
  write("x", "consumer_key: ck\nconsumer_secret: FAKE-cs-value\n");
  try {
    make_connector(x, settings_, services(), warnings);
    FAIL() << "an incomplete file, yet a connector";
  } catch (const CredentialError& e) {
    EXPECT_EQ(std::string(e.what()).find("FAKE-cs-value"), std::string::npos) << e.what();
  }
  write("x", "consumer_key: ck\nconsumer_secret: FAKE-cs\naccess_token: 1-at\naccess_token_secret: FAKE-ats\n");
  fs::permissions(dir_ / "x", fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  EXPECT_TRUE(make_connector(x, settings_, services(), warnings));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].find("FAKE"), std::string::npos) << warnings[0];
}

class ManualTime : public Clock {
 public:
  Instant now() const override { return Instant{}; }
};

// A worker thread's put() runs on the loop and is in the store when it
// returns; on the loop's own thread the calls run inline (no deadlock).
TEST(LoopConnectorState, WorkerCallsRunOnTheLoopAndAreDurable) {
  const auto dir = fs::temp_directory_path() / ("herald-loopstate-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto store = Store::open(dir);
  boost::asio::io_context io;
  ManualTime clock;
  LoopConnectorState state(io, *store, clock);
  auto guard = boost::asio::make_work_guard(io);
  std::thread loop([&] { io.run(); });
  std::thread worker([&] {
    state.put("oauth2_refresh_token:x", "FAKE-rotated");
    EXPECT_EQ(state.get("oauth2_refresh_token:x"), "FAKE-rotated");
    state.erase("oauth2_refresh_token:x");
    EXPECT_EQ(state.get("oauth2_refresh_token:x"), std::nullopt);
    state.put("youtube_upload:a@youtube", "https://upload.example/session");
  });
  worker.join();
  std::promise<std::optional<std::string>> inline_get;
  boost::asio::post(io, [&] { inline_get.set_value(state.get("youtube_upload:a@youtube")); });
  EXPECT_EQ(inline_get.get_future().get(), "https://upload.example/session");
  guard.reset();
  loop.join();
  store.reset();
  EXPECT_EQ(Store::open(dir)->connector_state("youtube_upload:a@youtube"), "https://upload.example/session");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace herald
