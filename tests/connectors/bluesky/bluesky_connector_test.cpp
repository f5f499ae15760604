// The bluesky connector against the in-process sandbox, over real HTTP on
// loopback (tests/sandbox/sandbox_bluesky.cpp emulates a PDS from the
// atproto lexicons, atproto.com/specs and docs.bsky.app; each test names
// the document its behaviour comes from). Requests are built with
// compose(), so the facets are herald's own. No mocks: a recording client
// passes every request to the real one, so tests count what went over the
// wire.
#include "connectors/bluesky/bluesky_connector.hpp"

#include "compose/composer.hpp"
#include "compose/public_url.hpp"
#include "config/calendar.hpp"
#include "connectors/bluesky/tid.hpp"
#include "connectors/digest.hpp"
#include "connectors/http_client.hpp"
#include "connectors/json_fields.hpp"
#include "tests/sandbox/sandbox.hpp"
#include "tests/support/recording_client.hpp"
#include "tests/support/sandbox_records.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace herald {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kHandle = "herald-test.bsky.social";
constexpr const char* kDid = "did:plc:heraldtest00000000000001";
constexpr const char* kPassword = "FAKE-test-app-pass-word";
constexpr std::int64_t kStart = 1'803'978'000'000;  // 2027-03-02T09:00:00Z, Unix ms
constexpr const char* kLocalTime = "2027-03-02T10:00:00+01:00";

// A state that refuses to store what `refuse` names.
class PickyState : public ConnectorState {
 public:
  std::optional<std::string> get(const std::string& key) override { return inner.get(key); }
  void put(const std::string& key, const std::string& value) override {
    if (refuse(key)) throw std::runtime_error("disk full");
    inner.put(key, value);
  }
  void erase(const std::string& key) override { inner.erase(key); }
  MemoryConnectorState inner;
  std::function<bool(const std::string&)> refuse = [](const std::string&) { return false; };
};

std::string png_bytes(std::size_t size, unsigned width = 1200, unsigned height = 630) {
  std::string bytes("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  for (unsigned side : {width, height})
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((side >> shift) & 0xFF);
  bytes += std::string("\x08\x02\0\0\0\r\n\0", 8);
  while (bytes.size() < size) bytes += static_cast<char>(bytes.size() * 7);
  return bytes;
}
std::string jpeg_bytes() {
  std::string bytes("\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 20);
  bytes += std::string("\xFF\xC0\0\x11\x08\x01\xE0\x02\x80\x03\x01\x22\0\x02\x11\x01\x03\x11\x01", 19);
  for (int i = 0; i < 600; ++i) bytes += static_cast<char>(i * 13);
  return bytes;
}

// The UTF-8 bytes [start, end) of `text`: what a reader sees at a facet.
std::string slice(const std::string& text, const json::value& facet) {
  const auto& index = facet.at("index").as_object();
  const auto start = static_cast<std::size_t>(index.at("byteStart").to_number<std::int64_t>());
  const auto end = static_cast<std::size_t>(index.at("byteEnd").to_number<std::int64_t>());
  return text.substr(start, end - start);
}

class BlueskyConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override { start_sandbox({}); }
  void TearDown() override { sandbox_->stop(); }

  void start_sandbox(const std::function<void(BlueskySandboxConfig&)>& adjust) {
    if (sandbox_) sandbox_->stop();
    Sandbox::Config config;
    config.bluesky.accounts = {{kHandle, kDid, kPassword}};
    config.bluesky.access_jwt_seconds = 7200;
    config.bluesky.refresh_grace_seconds = 0;  // stricter than a PDS: a used refresh JWT is dead at once
    if (adjust) adjust(config.bluesky);
    config.now_ms = [this] { return sandbox_now_ms_.load(); };
    sandbox_ = std::make_unique<Sandbox>(std::move(config));
    sandbox_->start("127.0.0.1", 0);
    load_settings("post");
  }
  // The settings (and so the channel connector() builds) for `card`, pointed at the sandbox.
  void load_settings(const std::string& card) {
    Diagnostics diags;
    auto settings = load_settings_text(settings_yaml(card), "/cal/herald.yaml", {}, diags);
    ASSERT_TRUE(settings) << (diags.items().empty() ? "" : format(diags.items().front()));
    settings_ = *settings;
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(sandbox_->port()); }

  // The channel as herald.yaml would give it, pointed at the sandbox.
  std::string settings_yaml(const std::string& card = "post") const {
    return "calendar: calendar.yaml\ntimezone: Europe/Amsterdam\nlinks:\n  own_domains: [example.nl, 127.0.0.1]\n"
           "  utm: {source: \"{channel}\", medium: social, campaign: \"{campaign}\"}\nchannels:\n"
           "  bluesky: {kind: bluesky, handle: " + std::string(kHandle) + ", credentials: bluesky, language: nl, card: " +
           card + ", api_base: \"" + base() + "/\"}\n";
  }

  // A delivery of post `id` from `posts` (calendar YAML), composed as herald does.
  PublishRequest request(const std::string& posts, const std::string& id = "p", const std::string& card = "post") {
    load_settings(card);
    Diagnostics diags;
    Calendar calendar;
    EXPECT_TRUE(load_calendar_text(posts, dir_.path() / "calendar.yaml", settings_, calendar, diags))
        << (diags.items().empty() ? "" : format(diags.items().front()));
    const Post* post = calendar.find(id);
    EXPECT_NE(post, nullptr);
    if (!post) return {};
    PublishRequest r;
    r.key = id + "@bluesky";
    r.post = id;
    r.channel = "bluesky";
    r.composed = compose(*post, *settings_.channel("bluesky"), settings_, calendar,
                         [](const std::string&) { return std::optional<std::string>{}; }, kLocalTime);
    r.local_time = kLocalTime;
    return r;
  }
  PublishRequest text_request(const std::string& text, const std::string& id = "p") {
    json::object post{{"id", id}, {"at", "2027-03-02 10:00"}, {"channels", json::array{"bluesky"}}, {"text", text}};
    return request("posts:\n  - " + json::serialize(post) + "\n", id);
  }

  BlueskyConnector connector(ConnectorState& state, HttpClient* http = nullptr, std::string password = kPassword) {
    ChannelSettings channel = *settings_.channel("bluesky");
    return BlueskyConnector(channel, BlueskyCredentials{Secret(std::move(password))}, settings_.links.own_domains,
                            http ? *http : recorder_, state,
                            [this] { return Instant{std::chrono::seconds{connector_now_ms_.load() / 1000}}; });
  }

  std::vector<Sandbox::Create> posts() const {
    return testing::creates_on(*sandbox_, "bluesky");
  }
  std::filesystem::path write_file(const std::string& name, const std::string& bytes) {
    return dir_.write(name, bytes);
  }
  void advance(std::chrono::seconds by) {
    sandbox_now_ms_ += by.count() * 1000;
    connector_now_ms_ += by.count() * 1000;
  }
  // Waits (on the sandbox's state, up to 10 s) until a request held by a
  // delay fault has been let go and has made its record.
  void wait_for_posts(std::size_t count) {
    testing::wait_for_creates(*sandbox_, "bluesky", count);
  }

  std::atomic<std::int64_t> sandbox_now_ms_{kStart};
  std::atomic<std::int64_t> connector_now_ms_{kStart};
  std::unique_ptr<Sandbox> sandbox_;
  Settings settings_;
  HttplibClient http_{"test", HttpLimits{.connect_timeout = 2s, .read_timeout = 5s, .write_timeout = 5s}};
  // For the hang and drop tests: a read timeout well below the faults' delay.
  HttplibClient short_http_{"test", HttpLimits{.connect_timeout = 2s, .read_timeout = 300ms, .write_timeout = 2s}};
  RecordingClient recorder_{http_};
  MemoryConnectorState state_;
  testing::TempDir dir_;
};

template <class T>
const T& as(const PublishResult& result) {
  EXPECT_TRUE(std::holds_alternative<T>(result)) << message_of(result);
  static const T empty{};
  return std::holds_alternative<T>(result) ? std::get<T>(result) : empty;
}

// app.bsky.feed.post through com.atproto.repo.createRecord: the record key
// is herald's TID, createdAt the planned instant in UTC with milliseconds,
// langs the channel's language; the URL bsky.app/profile/HANDLE/post/RKEY.
TEST_F(BlueskyConnectorTest, PublishesAPostUnderItsOwnRecordKey) {
  auto req = text_request("Spring is here");
  auto bluesky = connector(state_);
  const PublishResult result = bluesky.publish(req);
  const Published published = as<Published>(result);
  const std::string rkey = *state_.get(bluesky_rkey_state_key(kHandle, "p@bluesky"));
  EXPECT_EQ(rkey, delivery_tid(Instant{std::chrono::seconds{kStart / 1000}}, "p@bluesky"));
  EXPECT_EQ(published.remote_id, std::string("at://") + kDid + "/app.bsky.feed.post/" + rkey);
  EXPECT_EQ(published.url, "https://bsky.app/profile/herald-test.bsky.social/post/" + rkey);
  auto created = posts();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].id, published.remote_id);
  EXPECT_EQ(created[0].account, kHandle);
  EXPECT_EQ(created[0].text, "Spring is here");
  EXPECT_EQ(created[0].fields.at("rkey"), rkey);
  EXPECT_EQ(created[0].fields.at("createdAt"), "2027-03-02T09:00:00.000Z");
  EXPECT_EQ(created[0].fields.at("langs"), "nl");
  EXPECT_EQ(created[0].fields.at("embed"), "none");
  EXPECT_EQ(created[0].headers.at("Content-Type"), "application/json");
  EXPECT_TRUE(bluesky.settle_policy().repeat_is_safe);
  EXPECT_EQ(bluesky.settle_policy().margin, 120s);
}

// app.bsky.richtext.facet ("Links, mentions, and rich text", docs.bsky.app):
// each link and #tag is a facet over UTF-8 bytes of the text; the text shows
// the link shortened, the facet's uri is the full URL with its UTM
// parameters. Checked by slicing the record's bytes at each facet.
TEST_F(BlueskyConnectorTest, LinksAndTagsAreFacetsOverTheRecordsBytes) {
  auto req = text_request(
      "Spring: https://example.nl/blog/2027/spring-has-come-to-the-bakery and https://other.org/x #tulpen #lente");
  ASSERT_EQ(as<Published>(connector(state_).publish(req)).url.empty(), false);
  auto created = posts();
  ASSERT_EQ(created.size(), 1u);
  const std::string text = created[0].text;
  const json::array facets = json::parse(created[0].fields.at("facets")).as_array();
  ASSERT_EQ(facets.size(), 4u);
  const std::string full =
      "https://example.nl/blog/2027/spring-has-come-to-the-bakery?utm_source=bluesky&utm_medium=social&utm_campaign=p";
  const auto& link = facets[0].at("features").at(0).as_object();
  EXPECT_EQ(link.at("$type").as_string(), "app.bsky.richtext.facet#link");
  EXPECT_EQ(link.at("uri").as_string(), full);
  EXPECT_EQ(slice(text, facets[0]), "example.nl/blog/2027/sp...");
  EXPECT_EQ(slice(text, facets[0]), short_url(full));
  EXPECT_EQ(facets[1].at("features").at(0).at("uri").as_string(), "https://other.org/x");  // not ours: no UTM
  EXPECT_EQ(slice(text, facets[1]), "other.org/x");
  EXPECT_EQ(facets[2].at("features").at(0).at("$type").as_string(), "app.bsky.richtext.facet#tag");
  EXPECT_EQ(facets[2].at("features").at(0).at("tag").as_string(), "tulpen");
  EXPECT_EQ(slice(text, facets[2]), "#tulpen");
  EXPECT_EQ(slice(text, facets[3]), "#lente");
  // The facets are the composer's, byte for byte.
  ASSERT_EQ(req.composed.facets.size(), 4u);
  EXPECT_EQ(text, req.composed.text);
  EXPECT_EQ(facets[0].at("index").at("byteStart").to_number<std::size_t>(), req.composed.facets[0].byte_start);
  // The first link is the card (app.bsky.embed.external), with the full URL.
  EXPECT_EQ(created[0].fields.at("embed"), "app.bsky.embed.external");
  EXPECT_EQ(created[0].fields.at("card_uri"), full);
}

// The facet spec counts bytes, not characters: emoji (4 bytes, and a ZWJ
// family of 18), a flag (8), combining accents (e + U+0301) and CJK (3
// bytes each) before and between links must not move them.
TEST_F(BlueskyConnectorTest, FacetsStayOnTheLinksAfterEmojiAccentsAndCjk) {
  const std::string family = "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7";
  const std::string flag = "\xF0\x9F\x87\xB3\xF0\x9F\x87\xB1";
  const std::string cafe = "cafe\xCC\x81";
  const std::string cjk = "\xE6\x98\xA5\xE3\x81\xAE\xE8\x8A\xB1";  // 春の花
  auto req = text_request("\xF0\x9F\x8C\xB7" + family + " " + cafe + " " + cjk + " https://example.nl/a " + flag +
                          " https://example.nl/b?x=1 " + cjk + " #" + cjk);
  as<Published>(connector(state_).publish(req));
  auto created = posts();
  ASSERT_EQ(created.size(), 1u);
  const std::string text = created[0].text;
  const json::array facets = json::parse(created[0].fields.at("facets")).as_array();
  ASSERT_EQ(facets.size(), 3u);
  EXPECT_EQ(slice(text, facets[0]), "example.nl/a?utm_source...");
  EXPECT_EQ(slice(text, facets[0]), short_url(std::string(facets[0].at("features").at(0).at("uri").as_string())));
  EXPECT_EQ(facets[0].at("features").at(0).at("uri").as_string(),
            "https://example.nl/a?utm_source=bluesky&utm_medium=social&utm_campaign=p");
  EXPECT_EQ(slice(text, facets[1]), short_url(std::string(facets[1].at("features").at(0).at("uri").as_string())));
  EXPECT_TRUE(facets[1].at("features").at(0).at("uri").as_string().starts_with("https://example.nl/b?x=1&utm_source="));
  EXPECT_EQ(slice(text, facets[2]), "#" + cjk);
  EXPECT_EQ(facets[2].at("features").at(0).at("tag").as_string(), cjk);
  // The first link's facet starts after 4 + 18 + 1 + 6 + 1 + 9 + 1 bytes.
  EXPECT_EQ(facets[0].at("index").at("byteStart").to_number<int>(), 40);
}

// app.bsky.feed.post's text: maxGraphemes 300, grapheme clusters as
// Unicode UAX #29 defines them (compose's grapheme_count): a flag (two
// regional indicators, 8 bytes) and a ZWJ family (18 bytes) are one each.
// 300 go out; 301 fail before anything is sent.
TEST_F(BlueskyConnectorTest, ThreeHundredGraphemesGoOutAndOneMoreFails) {
  const std::string flag = "\xF0\x9F\x87\xB3\xF0\x9F\x87\xB1";
  const std::string family = "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7";
  std::string text;
  for (int i = 0; i < 100; ++i) text += flag;
  for (int i = 0; i < 50; ++i) text += family;
  text += std::string(150, 'a');  // 300 graphemes, 1,850 bytes
  as<Published>(connector(state_).publish(text_request(text, "a")));
  ASSERT_EQ(posts().size(), 1u);
  EXPECT_EQ(posts()[0].text, text);
  EXPECT_EQ(as<Failed>(connector(state_).publish(text_request(flag + text, "b"))).message,
            "Bluesky: the text is 301 graphemes; a post takes at most 300");
  EXPECT_EQ(recorder_.count("", "com.atproto.repo.createRecord"), 1);
}

// app.bsky.embed.images via com.atproto.repo.uploadBlob: each image goes up
// as its raw bytes with its Content-Type, then the record names the blobs
// with their alt text (from the calendar) and aspect ratio; the bytes arrive
// intact; with images there is no link card (one embed per post).
TEST_F(BlueskyConnectorTest, PublishesImagesWithAltText) {
  const std::string png = png_bytes(5000, 1600, 900);
  const std::string jpeg = jpeg_bytes();
  write_file("tulip.png", png);
  write_file("bakery.jpg", jpeg);
  auto req = request(R"(posts:
  - id: p
    at: 2027-03-02 10:00
    channels: [bluesky]
    text: "Two photos https://example.nl/spring"
    media: [{file: tulip.png, alt: "A red tulip in the sun"}, {file: bakery.jpg, alt: "Our bakery's window"}]
)");
  as<Published>(connector(state_).publish(req));
  auto created = posts();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].fields.at("embed"), "app.bsky.embed.images");
  EXPECT_EQ(json::parse(created[0].fields.at("alts")), (json::array{"A red tulip in the sun", "Our bakery's window"}));
  ASSERT_EQ(created[0].media_ids.size(), 2u);
  EXPECT_EQ(created[0].media_ids[0], BlueskySandbox::blob_cid(png));
  EXPECT_EQ(created[0].fields.at("blob:" + created[0].media_ids[0]),
            "5000 bytes image/png fnv1a64 " + fnv1a64_hex(png));
  EXPECT_EQ(created[0].fields.at("blob:" + created[0].media_ids[1]),
            std::to_string(jpeg.size()) + " bytes image/jpeg fnv1a64 " + fnv1a64_hex(jpeg));
  EXPECT_EQ(created[0].fields.at("aspectRatio:" + created[0].media_ids[0]), "1600x900");
  EXPECT_EQ(created[0].fields.at("aspectRatio:" + created[0].media_ids[1]), "640x480");
  EXPECT_EQ(recorder_.count("", "com.atproto.repo.uploadBlob"), 2);
  EXPECT_FALSE(created[0].fields.contains("card_uri"));
  // The blobs were spent on the record: nothing is left in the state.
  EXPECT_FALSE(state_.get(bluesky_blob_state_key(kHandle, "p@bluesky", sha256_hex(png))));
}

// app.bsky.embed.external's thumb and herald's limit for images: 1,000,000
// bytes, checked before anything is sent; at most 4 images
// (app.bsky.embed.images maxLength); no video.
TEST_F(BlueskyConnectorTest, ImagesOverTheLimitFailBeforeAnythingIsSent) {
  write_file("big.png", png_bytes(1'000'001));
  write_file("ok.png", png_bytes(1'000'000));
  auto big = request(
      "posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [bluesky], text: big, media: [ok.png, big.png]}\n");
  const PublishResult result = connector(state_).publish(big);
  EXPECT_EQ(as<Failed>(result).message,
            "Bluesky: " + (dir_.path() / "big.png").string() +
                " is 1,000,001 bytes; Bluesky takes images of at most 1,000,000 bytes");
  for (int i = 0; i < 5; ++i) write_file("i" + std::to_string(i) + ".png", png_bytes(100 + i));
  auto five = request("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [bluesky], text: five, "
                      "media: [i0.png, i1.png, i2.png, i3.png, i4.png]}\n");
  EXPECT_EQ(as<Failed>(connector(state_).publish(five)).message, "Bluesky: at most 4 images per post, not 5");
  write_file("clip.mp4", std::string("\0\0\0\x18" "ftypmp42", 12) + std::string(100, 'x'));
  auto video = request("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [bluesky], text: v, media: [clip.mp4]}\n");
  EXPECT_TRUE(std::holds_alternative<Failed>(connector(state_).publish(video)));
  EXPECT_EQ(recorder_.count("", "/xrpc/"), 0);
  EXPECT_TRUE(posts().empty());
}

// app.bsky.embed.external from the post: the card's uri is the first link
// (full, UTM-tagged), its title the post's title, its description the excerpt.
TEST_F(BlueskyConnectorTest, TheFirstLinkIsACardFromThePost) {
  auto req = request(R"(posts:
  - {id: p, at: 2027-03-02 10:00, channels: [bluesky], title: "Spring at the bakery", excerpt: "Tulips and bread",
     text: "Read https://example.nl/spring and https://example.nl/later"}
)");
  as<Published>(connector(state_).publish(req));
  auto created = posts();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].fields.at("card_uri"),
            "https://example.nl/spring?utm_source=bluesky&utm_medium=social&utm_campaign=p");
  EXPECT_EQ(created[0].fields.at("card_title"), "Spring at the bakery");
  EXPECT_EQ(created[0].fields.at("card_description"), "Tulips and bread");
  EXPECT_EQ(created[0].fields.at("card_thumb"), "");
}

// "Posting via the Bluesky API" (docs.bsky.app): a client makes the card
// from the page's og: tags and uploads og:image as the thumb. With
// `card: fetch` herald does that for pages on its own domains (here the
// sandbox's page, on 127.0.0.1), the image resolved against the page.
TEST_F(BlueskyConnectorTest, CardFetchReadsThePagesOgTags) {
  const std::string page = base() +
                           "/bluesky-sandbox/page?title=Tulpen%20%26%20brood&description=Alles%20over%20de%20lente"
                           "&image=%2Fbluesky-sandbox%2Fimage.png%3Fbytes%3D4000";
  auto req = request("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [bluesky], title: Fallback, text: Read on, "
                     "link: \"" + page + "\"}\n",
                     "p", "fetch");
  as<Published>(connector(state_).publish(req));
  auto created = posts();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].fields.at("card_uri"), req.composed.link);
  EXPECT_EQ(created[0].fields.at("card_title"), "Tulpen & brood");
  EXPECT_EQ(created[0].fields.at("card_description"), "Alles over de lente");
  const std::string thumb = created[0].fields.at("card_thumb");
  ASSERT_FALSE(thumb.empty());
  EXPECT_TRUE(created[0].fields.at("blob:" + thumb).starts_with("4000 bytes image/png"));
  EXPECT_EQ(recorder_.count("", "/bluesky-sandbox/page"), 1);
  EXPECT_EQ(recorder_.count("", "/bluesky-sandbox/image.png"), 1);
}

// Any failure of the page or its image falls back, never failing the post:
// a page that is not there gives the post's title and excerpt; an image
// over 1,000,000 bytes is left out; a page on someone else's domain is not
// fetched at all.
TEST_F(BlueskyConnectorTest, CardFetchFallsBackToThePost) {
  auto missing = request("posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [bluesky], title: From the post, "
                         "excerpt: Its excerpt, text: One, link: \"" + base() + "/no-such-page\"}\n",
                         "a", "fetch");
  as<Published>(connector(state_).publish(missing));
  const std::string big_image = base() + "/bluesky-sandbox/page?title=Big&image=%2Fbluesky-sandbox%2Fimage.png%3Fbytes%3D1000001";
  auto big = request("posts:\n  - {id: b, at: 2027-03-02 10:00, channels: [bluesky], text: Two, link: \"" + big_image +
                         "\"}\n",
                     "b", "fetch");
  as<Published>(connector(state_).publish(big));
  auto foreign = request("posts:\n  - {id: c, at: 2027-03-02 10:00, channels: [bluesky], title: Theirs, "
                         "text: \"Three https://other.org/page\"}\n",
                         "c", "fetch");
  as<Published>(connector(state_).publish(foreign));
  auto created = posts();
  ASSERT_EQ(created.size(), 3u);
  EXPECT_EQ(created[0].fields.at("card_title"), "From the post");
  EXPECT_EQ(created[0].fields.at("card_description"), "Its excerpt");
  EXPECT_EQ(created[1].fields.at("card_title"), "Big");
  EXPECT_EQ(created[1].fields.at("card_thumb"), "");
  EXPECT_EQ(created[2].fields.at("card_title"), "Theirs");
  EXPECT_EQ(recorder_.count("", "other.org"), 0);
  EXPECT_EQ(recorder_.count("", "com.atproto.repo.uploadBlob"), 0);
}

// The record key is stored before the create goes out (so a crash right
// after sending still finds it), and is the one the record gets.
TEST_F(BlueskyConnectorTest, TheRecordKeyIsStoredBeforeTheCreate) {
  std::optional<std::string> stored_at_create;
  recorder_.before = [&](const HttpRequest& r) {
    if (r.url.find("com.atproto.repo.createRecord") != std::string::npos)
      stored_at_create = state_.get(bluesky_rkey_state_key(kHandle, "p@bluesky"));
  };
  as<Published>(connector(state_).publish(text_request("Keyed")));
  ASSERT_TRUE(stored_at_create);
  ASSERT_EQ(posts().size(), 1u);
  EXPECT_EQ(posts()[0].fields.at("rkey"), *stored_at_create);
  // The state refusing to store it: nothing is sent.
  PickyState picky;
  picky.refuse = [](const std::string& key) { return key.find(":rkey:") != std::string::npos; };
  auto other = text_request("Not keyed", "q");
  EXPECT_TRUE(std::holds_alternative<RetryLater>(connector(picky).publish(other)));
  EXPECT_EQ(recorder_.count("", "com.atproto.repo.createRecord"), 1);
}

// A dropped answer (the record made, the answer lost) is Unsure; the
// repeat uses the stored key, finds the record with getRecord and sends
// nothing again; so does a new connector on the same state (a restart).
// The sandbox holds exactly one record.
TEST_F(BlueskyConnectorTest, ADroppedAnswerAndARestartKeepTheSameKeyAndOneRecord) {
  auto req = text_request("Once only");
  sandbox_->add_fault({"POST /xrpc/com.atproto.repo.createRecord", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  RecordingClient short_recorder{short_http_};
  auto first = connector(state_, &short_recorder);
  const PublishResult lost = first.publish(req);
  EXPECT_NE(as<Unsure>(lost).message.find("cannot become a second post"), std::string::npos);
  const std::string rkey = *state_.get(bluesky_rkey_state_key(kHandle, "p@bluesky"));
  ASSERT_EQ(posts().size(), 1u);
  EXPECT_EQ(posts()[0].fields.at("rkey"), rkey);

  req.answer_lost_before = true;
  const Published again = as<Published>(first.publish(req));
  EXPECT_EQ(again.url, "https://bsky.app/profile/herald-test.bsky.social/post/" + rkey);
  auto restarted = connector(state_);
  const Published after_restart = as<Published>(restarted.publish(req));
  EXPECT_EQ(after_restart.remote_id, again.remote_id);
  EXPECT_EQ(*state_.get(bluesky_rkey_state_key(kHandle, "p@bluesky")), rkey);
  EXPECT_EQ(short_recorder.count("", "com.atproto.repo.createRecord") + recorder_.count("", "com.atproto.repo.createRecord"), 1);
  EXPECT_EQ(posts().size(), 1u);
}

// The record a lost answer made is found before anything about the post is
// judged again: an edit since (here a text now over the limit) cannot turn
// a published post into a failed one.
TEST_F(BlueskyConnectorTest, ARecordMadeBeforeAnEditIsStillPublished) {
  auto req = text_request("Short and sent");
  sandbox_->add_fault({"POST /xrpc/com.atproto.repo.createRecord", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  EXPECT_TRUE(std::holds_alternative<Unsure>(connector(state_, &short_http_).publish(req)));
  req.composed.text = std::string(301, 'a');
  as<Published>(connector(state_).publish(req));
  ASSERT_EQ(posts().size(), 1u);
  EXPECT_EQ(posts()[0].text, "Short and sent");
}

// A create at a taken key: the reference PDS answers 500 (atproto#3718),
// the lexicon change under review 400 RecordAlreadyExists (atproto pull
// 4728). herald reads both as "made already" (getRecord confirms) and
// answers Published, here for a delivery whose state was lost (a new
// state derives the same key from the same delivery and planned time).
TEST_F(BlueskyConnectorTest, AnAlreadyExistsAnswerIsPublished) {
  for (const char* answer : {"internal_server_error", "record_already_exists"}) {
    SCOPED_TRACE(answer);
    start_sandbox([&](BlueskySandboxConfig& c) { c.duplicate_rkey = answer; });
    auto req = text_request("Made before");
    MemoryConnectorState first_state, lost_state;
    const Published first = as<Published>(connector(first_state).publish(req));
    const PublishResult repeat = connector(lost_state).publish(req);
    EXPECT_EQ(as<Published>(repeat).remote_id, first.remote_id);
    EXPECT_EQ(as<Published>(repeat).url, first.url);
    ASSERT_EQ(posts().size(), 1u);
    EXPECT_EQ(posts()[0].text, "Made before");
  }
}

// A 5xx to the create that is not about the key (the record is not there):
// Unsure; the repeat makes the record under the same key.
TEST_F(BlueskyConnectorTest, AServerErrorOnTheCreateIsUnsureThenTheRepeatPublishes) {
  write_file("a.png", png_bytes(3000));
  auto req = request("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [bluesky], text: Retry, media: [a.png]}\n");
  sandbox_->add_fault({"POST /xrpc/com.atproto.repo.createRecord", Sandbox::FaultMode::server_error, 1, 60, 0});
  auto bluesky = connector(state_);
  EXPECT_NE(as<Unsure>(bluesky.publish(req)).message.find("answered 500"), std::string::npos);
  EXPECT_TRUE(posts().empty());
  as<Published>(bluesky.publish(req));
  // The image an earlier attempt uploaded is used again, not uploaded twice.
  EXPECT_EQ(recorder_.count("", "com.atproto.repo.uploadBlob"), 1);
  ASSERT_EQ(posts().size(), 1u);
  EXPECT_EQ(posts()[0].media_ids.size(), 1u);
}

// A hang past the client's timeout that the PDS completes afterwards: the
// first attempt is Unsure, the PDS makes the record once it lets go, and
// the repeat finds it: one record.
TEST_F(BlueskyConnectorTest, AHangPastTheTimeoutThenCompletionMakesOneRecord) {
  auto req = text_request("Slow going");
  sandbox_->add_fault({"POST /xrpc/com.atproto.repo.createRecord", Sandbox::FaultMode::delay, 1, 60, 1500});
  auto slow = connector(state_, &short_http_);
  EXPECT_TRUE(std::holds_alternative<Unsure>(slow.publish(req)));
  wait_for_posts(1);
  req.answer_lost_before = true;
  as<Published>(connector(state_).publish(req));
  EXPECT_EQ(posts().size(), 1u);
}

// com.atproto.server.createSession once, then the session lasts: the access
// JWT's exp (read from the token) is honoured, refreshSession renews it
// when the sandbox clock passes it, and the rotated refresh JWT is stored.
TEST_F(BlueskyConnectorTest, TheSessionIsRefreshedWhenTheAccessTokenExpires) {
  auto bluesky = connector(state_);
  as<Published>(bluesky.publish(text_request("One", "a")));
  as<Published>(bluesky.publish(text_request("Two", "b")));
  EXPECT_EQ(recorder_.count("", "com.atproto.server.createSession"), 1);
  EXPECT_EQ(recorder_.count("", "com.atproto.server.refreshSession"), 0);
  const std::string first_refresh = *state_.get(bluesky_refresh_state_key(kHandle));
  advance(2h);
  as<Published>(bluesky.publish(text_request("Three", "c")));
  EXPECT_EQ(recorder_.count("", "com.atproto.server.createSession"), 1);
  EXPECT_EQ(recorder_.count("", "com.atproto.server.refreshSession"), 1);
  const std::string second_refresh = *state_.get(bluesky_refresh_state_key(kHandle));
  EXPECT_NE(second_refresh, first_refresh);
  EXPECT_EQ(posts().size(), 3u);
}

// The XRPC error ExpiredToken (400, as the reference PDS's auth verifier
// answers it): when the PDS says the access JWT expired before herald's
// clock does, herald refreshes and sends once more.
TEST_F(BlueskyConnectorTest, AnExpiredTokenAnswerRefreshesAndSendsAgain) {
  auto bluesky = connector(state_);
  as<Published>(bluesky.publish(text_request("One", "a")));
  sandbox_now_ms_ += 3 * 3600 * 1000;  // the PDS's clock runs ahead of herald's
  as<Published>(bluesky.publish(text_request("Two", "b")));
  EXPECT_EQ(recorder_.count("", "com.atproto.server.refreshSession"), 1);
  EXPECT_EQ(recorder_.count("", "com.atproto.server.createSession"), 1);
  EXPECT_EQ(recorder_.count("", "com.atproto.repo.createRecord"), 3);  // one refused, sent again
  EXPECT_EQ(posts().size(), 2u);
}

// A restart refreshes with the stored refresh JWT instead of logging in
// (createSession is limited to 30 per 5 minutes, docs.bsky.app). The sandbox
// refuses a used refresh JWT at once, so this works only if the rotated
// one was stored.
TEST_F(BlueskyConnectorTest, ARestartRefreshesWithTheStoredRotatedToken) {
  as<Published>(connector(state_).publish(text_request("Before", "a")));
  as<Published>(connector(state_).publish(text_request("After one restart", "b")));
  as<Published>(connector(state_).publish(text_request("After two", "c")));
  EXPECT_EQ(recorder_.count("", "com.atproto.server.createSession"), 1);
  EXPECT_EQ(recorder_.count("", "com.atproto.server.refreshSession"), 2);
  EXPECT_EQ(posts().size(), 3u);
}

// The rotated refresh JWT is durable before its access JWT is used: when the
// state cannot store it, nothing is sent with the new session.
TEST_F(BlueskyConnectorTest, NothingIsSentWhenTheRotatedTokenCannotBeStored) {
  PickyState picky;
  picky.refuse = [](const std::string& key) { return key.ends_with(":refresh_jwt"); };
  const PublishResult result = connector(picky).publish(text_request("Unsaved"));
  EXPECT_NE(as<RetryLater>(result).message.find("cannot store the session's refresh token"), std::string::npos);
  EXPECT_EQ(recorder_.count("", "com.atproto.repo.createRecord"), 0);
}

// refreshSession refused (a revoked or foreign refresh JWT: 400
// InvalidToken/ExpiredToken): herald logs in again with the app password.
TEST_F(BlueskyConnectorTest, ARefusedRefreshLogsInAgain) {
  state_.put(bluesky_refresh_state_key(kHandle), "not.a.token");
  as<Published>(connector(state_).publish(text_request("Fresh")));
  EXPECT_EQ(recorder_.count("", "com.atproto.server.refreshSession"), 1);
  EXPECT_EQ(recorder_.count("", "com.atproto.server.createSession"), 1);
  EXPECT_NE(*state_.get(bluesky_refresh_state_key(kHandle)), "not.a.token");
}

// createSession refused (401 AuthenticationRequired "Invalid identifier or
// password"): AuthFailed, naming the credential and the key, never a secret.
TEST_F(BlueskyConnectorTest, ARefusedAppPasswordIsAuthFailed) {
  const PublishResult result = connector(state_, nullptr, "FAKE-wrong-pass-word").publish(text_request("No"));
  const std::string message = as<AuthFailed>(result).message;
  EXPECT_NE(message.find("Invalid identifier or password"), std::string::npos) << message;
  EXPECT_NE(message.find("credential 'bluesky' (key app_password)"), std::string::npos) << message;
  EXPECT_EQ(message.find("FAKE-wrong-pass-word"), std::string::npos);
  EXPECT_TRUE(posts().empty());
}

// docs.bsky.app "Rate Limits": 429 with RateLimit-Reset (Unix seconds) is
// RetryLater until then; on createSession too.
TEST_F(BlueskyConnectorTest, RateLimitsWaitUntilTheReset) {
  sandbox_->add_fault({"POST /xrpc/com.atproto.repo.createRecord", Sandbox::FaultMode::rate_limit, 1, 90, 0});
  auto bluesky = connector(state_);
  EXPECT_EQ(as<RetryLater>(bluesky.publish(text_request("Later"))).after, 90s);
  start_sandbox([](BlueskySandboxConfig& c) { c.session_limit = 1; });
  MemoryConnectorState fresh;
  as<Published>(connector(fresh).publish(text_request("One", "a")));
  MemoryConnectorState other;
  const PublishResult limited = connector(other).publish(text_request("Two", "b"));
  EXPECT_EQ(as<RetryLater>(limited).after, 300s);
  EXPECT_NE(as<RetryLater>(limited).message.find("rate-limited"), std::string::npos);
}

// Each error class, as XRPC answers it: a record the PDS refuses (400
// InvalidRequest) is Failed with its words; an upload that fails (500, or
// no answer) is RetryLater, never Unsure (nothing public can exist yet).
TEST_F(BlueskyConnectorTest, EachErrorClass) {
  auto bad = text_request("Bad language");
  bad.composed.language = "not a tag";
  const PublishResult refused = connector(state_).publish(bad);
  EXPECT_EQ(as<Failed>(refused).message,
            "Bluesky: creating the post: Invalid app.bsky.feed.post record: Record/langs/0 must be a well-formed BCP "
            "47 language tag (HTTP 400, InvalidRequest)");
  write_file("a.png", png_bytes(2000));
  auto with_image =
      request("posts:\n  - {id: i, at: 2027-03-02 10:00, channels: [bluesky], text: Image, media: [a.png]}\n", "i");
  sandbox_->add_fault({"POST /xrpc/com.atproto.repo.uploadBlob", Sandbox::FaultMode::server_error, 1, 60, 0});
  const PublishResult upload_failed = connector(state_).publish(with_image);
  EXPECT_NE(as<RetryLater>(upload_failed).message.find("uploading image 1"), std::string::npos);
  sandbox_->add_fault({"POST /xrpc/com.atproto.repo.uploadBlob", Sandbox::FaultMode::drop_after_create, 1, 60, 0});
  EXPECT_TRUE(std::holds_alternative<RetryLater>(connector(state_, &short_http_).publish(with_image)));
  EXPECT_TRUE(posts().empty());
  as<Published>(connector(state_).publish(with_image));
}

// BlobNotFound (the PDS's blob transactor): a remembered upload the PDS no
// longer has is RetryLater and forgotten; the next attempt uploads again.
TEST_F(BlueskyConnectorTest, ABlobThePdsLostIsUploadedAgain) {
  const std::string png = png_bytes(2500);
  write_file("a.png", png);
  auto req = request("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [bluesky], text: Lost blob, media: [a.png]}\n");
  const std::string key = bluesky_blob_state_key(kHandle, "p@bluesky", sha256_hex(png));
  state_.put(key, json::serialize(json::object{{"$type", "blob"},
                                               {"ref", json::object{{"$link", BlueskySandbox::blob_cid("gone")}}},
                                               {"mimeType", "image/png"},
                                               {"size", 2500}}));
  auto bluesky = connector(state_);
  EXPECT_NE(as<RetryLater>(bluesky.publish(req)).message.find("BlobNotFound"), std::string::npos);
  EXPECT_FALSE(state_.get(key));
  as<Published>(bluesky.publish(req));
  EXPECT_EQ(recorder_.count("", "com.atproto.repo.uploadBlob"), 1);
  ASSERT_EQ(posts().size(), 1u);
  EXPECT_EQ(posts()[0].media_ids.at(0), BlueskySandbox::blob_cid(png));
}

// Lookup with com.atproto.repo.getRecord: Found for the stored key's
// record; Absent without a stored key (nothing was ever sent) or when
// getRecord says RecordNotFound; Unknown when it cannot be read.
TEST_F(BlueskyConnectorTest, LookupByTheStoredRecordKey) {
  auto bluesky = connector(state_);
  auto req = text_request("Look me up");
  EXPECT_TRUE(std::holds_alternative<Absent>(bluesky.lookup(req)));
  const Published published = as<Published>(bluesky.publish(req));
  const LookupResult found = bluesky.lookup(req);
  ASSERT_TRUE(std::holds_alternative<Found>(found));
  EXPECT_EQ(std::get<Found>(found).remote_id, published.remote_id);
  EXPECT_EQ(std::get<Found>(found).url, published.url);
  auto never_made = text_request("Keyed, never made", "q");
  state_.put(bluesky_rkey_state_key(kHandle, "q@bluesky"), delivery_tid(Instant{}, "q@bluesky"));
  EXPECT_TRUE(std::holds_alternative<Absent>(bluesky.lookup(never_made)));
  sandbox_->add_fault({"GET /xrpc/com.atproto.repo.getRecord", Sandbox::FaultMode::server_error, 1, 60, 0});
  const LookupResult unknown = bluesky.lookup(req);
  ASSERT_TRUE(std::holds_alternative<Unknown>(unknown));
  EXPECT_NE(std::get<Unknown>(unknown).message.find("HTTP 500"), std::string::npos);
}

// DESIGN.md "Publishing semantics": secrets never appear in messages. Every
// message of the paths above that touch the session, with the app password
// and every JWT the sandbox issued looked for.
TEST_F(BlueskyConnectorTest, SecretsNeverAppearInMessages) {
  std::vector<std::string> messages;
  auto bluesky = connector(state_);
  messages.push_back(message_of(bluesky.publish(text_request("One", "a"))));
  const std::string refresh_jwt = *state_.get(bluesky_refresh_state_key(kHandle));
  sandbox_->add_fault({"POST /xrpc/com.atproto.repo.createRecord", Sandbox::FaultMode::server_error, 1, 60, 0});
  messages.push_back(message_of(bluesky.publish(text_request("Two", "b"))));
  sandbox_->add_fault({"POST /xrpc/com.atproto.server.refreshSession", Sandbox::FaultMode::server_error, 1, 60, 0});
  advance(3h);
  messages.push_back(message_of(bluesky.publish(text_request("Three", "c"))));
  messages.push_back(message_of(connector(state_, nullptr, "FAKE-wrong-pass-word").publish(text_request("Four", "d"))));
  state_.erase(bluesky_refresh_state_key(kHandle));
  messages.push_back(message_of(connector(state_, nullptr, "FAKE-wrong-pass-word").publish(text_request("Five", "e"))));
  sandbox_->add_fault({"GET /xrpc/com.atproto.repo.getRecord", Sandbox::FaultMode::server_error, 1, 60, 0});
  const LookupResult unknown = bluesky.lookup(text_request("One", "a"));
  ASSERT_TRUE(std::holds_alternative<Unknown>(unknown));
  messages.push_back(std::get<Unknown>(unknown).message);
  for (const std::string& m : messages) {
    SCOPED_TRACE(m);
    EXPECT_EQ(m.find(kPassword), std::string::npos);
    EXPECT_EQ(m.find("FAKE-wrong-pass-word"), std::string::npos);
    EXPECT_EQ(m.find(refresh_jwt), std::string::npos);
    EXPECT_EQ(m.find("eyJ"), std::string::npos);  // the start of any JWT's header
  }
  EXPECT_EQ(messages.size(), 6u);
}

TEST(BlueskyCredentialsTest, ReadsTheAppPassword) {
  Credentials file;
  file.file = "/etc/herald/credentials/bluesky";
  file.values.emplace("app_password", Secret("abcd-efgh-ijkl-mnop"));
  EXPECT_EQ(bluesky_credentials(file).app_password.reveal(), "abcd-efgh-ijkl-mnop");
  Credentials empty;
  empty.file = "/etc/herald/credentials/bluesky";
  EXPECT_THROW(bluesky_credentials(empty), CredentialError);
}

// atproto.com/specs/lexicon "datetime": RFC 3339 in UTC, Z, milliseconds.
TEST(BlueskyDatetimeTest, IsUtcWithMilliseconds) {
  using std::chrono::microseconds;
  const auto at = std::chrono::sys_time<microseconds>(
      std::chrono::sys_days{std::chrono::year{2027} / 3 / 2} + 9h + 5min + 7s + 123456us);
  EXPECT_EQ(bluesky_datetime(at), "2027-03-02T09:05:07.123Z");
  EXPECT_EQ(bluesky_datetime(std::chrono::sys_time<microseconds>{}), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace herald
