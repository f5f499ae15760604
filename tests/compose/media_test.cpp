#include "compose/media.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace herald {
namespace {

class MediaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("herald-media-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_ / "media");
    Diagnostics d;
    settings_ = *load_settings_text(R"(calendar: calendar.yaml
timezone: Europe/Amsterdam
channels:
  x: {kind: x, account: a, credentials: x}
  facebook: {kind: facebook, page_id: "1", credentials: f}
  blog: {kind: wordpress, site: https://b.example.nl, credentials: b}
  li: {kind: linkedin, author: "urn:li:organization:1", credentials: li}
  ig: {kind: instagram, account_id: "1", credentials: ig}
)" + media_url_,
                                    dir_ / "herald.yaml", {}, d);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, std::string head, std::size_t size) {
    head.resize(std::max(size, head.size()), '\0');
    std::ofstream(dir_ / "media" / name, std::ios::binary) << head;
  }
  std::vector<std::string> check(const std::string& posts) {
    Calendar cal;
    Diagnostics d;
    EXPECT_TRUE(load_calendar_text(posts, dir_ / "calendar.yaml", settings_, cal, d));
    Diagnostics out;
    check_media(cal, settings_, out);
    std::vector<std::string> msgs;
    for (const auto& m : out.sorted()) msgs.push_back(m.message);
    return msgs;
  }

  std::filesystem::path dir_;
  std::string media_url_ = "media_url: https://media.example.nl/herald/\n";
  Settings settings_;
};

class MediaWithoutUrlTest : public MediaTest {
 protected:
  MediaWithoutUrlTest() { media_url_.clear(); }
};

const std::string kJpeg = "\xFF\xD8\xFF\xE0";
const std::string kPng = "\x89PNG\r\n\x1A\n";
const std::string kGif = "GIF89a";
const std::string kMp4 = std::string("\0\0\0\x18", 4) + "ftypmp42";

TEST_F(MediaTest, SniffsByContent) {
  write("a.jpg", kJpeg, 10);
  write("a.png", kPng, 10);
  write("a.gif", kGif, 10);
  write("a.mp4", kMp4, 20);
  write("a.txt", "hello", 5);
  EXPECT_EQ(sniff_media(dir_ / "media/a.jpg"), MediaType::jpeg);
  EXPECT_EQ(sniff_media(dir_ / "media/a.png"), MediaType::png);
  EXPECT_EQ(sniff_media(dir_ / "media/a.gif"), MediaType::gif);
  EXPECT_EQ(sniff_media(dir_ / "media/a.mp4"), MediaType::mp4);
  EXPECT_EQ(sniff_media(dir_ / "media/a.txt"), std::nullopt);
  EXPECT_EQ(sniff_media(dir_ / "media/none"), std::nullopt);
}

TEST_F(MediaTest, AcceptsGoodMedia) {
  write("spring.jpg", kJpeg, 1000);
  EXPECT_TRUE(check("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [x, facebook], text: t, media: [media/spring.jpg]}\n").empty());
}

TEST_F(MediaTest, Errors) {
  write("fake.jpg", "not an image", 20);
  write("clip.mp4", kMp4, 100);
  write("big.png", kPng, 5 * 1024 * 1024 + 1);
  write("a.jpg", kJpeg, 10);
  write("doc.pdf", "%PDF", 10);
  EXPECT_EQ(check(R"(posts:
  - {id: missing, at: 2027-03-02 10:00, channels: [x], text: t, media: [media/nope.jpg]}
  - {id: fake, at: 2027-03-02 10:00, channels: [x], text: t, media: [media/fake.jpg]}
  - {id: video-on-fb, at: 2027-03-02 10:00, channels: [facebook], text: t, media: [media/clip.mp4]}
  - {id: too-big, at: 2027-03-02 10:00, channels: [x, facebook], text: t, media: [media/big.png]}
  - {id: too-many, at: 2027-03-02 10:00, channels: [x], text: t, media: [media/a.jpg, media/clip.mp4]}
  - {id: pdf, at: 2027-03-02 10:00, channels: [x], text: t, media: [media/doc.pdf]}
)"),
            (std::vector<std::string>{
                "post 'missing': media file 'media/nope.jpg' not found (" + (dir_ / "media/nope.jpg").string() + ")",
                "post 'fake': media file 'media/fake.jpg' is named .jpg but its content is not a known image or video",
                "post 'video-on-fb' on facebook: MP4 file 'media/clip.mp4' is not accepted by facebook",
                "post 'too-big' on x: media file 'media/big.png' is 5242881 bytes, more than the 5242880 bytes x takes for a PNG",
                "post 'too-big' on facebook: media file 'media/big.png' is 5.0 MB, more than the 4.0 MB facebook takes for a PNG",
                "post 'too-many' on x: X takes up to 4 images, or one GIF, or one video per post",
                "post 'pdf': media file 'media/doc.pdf' is not a .jpg, .png, .gif or .mp4 file",
            }));
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

// Instagram's Content Publishing: images are JPEG only (8 MB), Reels MP4,
// a carousel 2 to 10 items, all fetched from a public URL.
TEST_F(MediaTest, InstagramTakesJpegAndMp4UpToTenItems) {
  write("a.jpg", kJpeg, 1000);
  write("a.png", kPng, 1000);
  write("a.mp4", kMp4, 1000);
  write("big.jpg", kJpeg, 8 * 1024 * 1024 + 1);
  EXPECT_TRUE(check("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [ig], media: [media/a.jpg, media/a.mp4]}\n")
                  .empty());
  EXPECT_EQ(check("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [ig], media: [media/a.png]}\n"),
            std::vector<std::string>{"post 'p' on ig: PNG file 'media/a.png' is not accepted by instagram"});
  EXPECT_EQ(check("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [ig], media: [media/big.jpg]}\n"),
            std::vector<std::string>{
                "post 'p' on ig: media file 'media/big.jpg' is 8388609 bytes, more than the 8388608 bytes instagram "
                "takes for a JPEG"});
  std::string eleven;
  for (int i = 0; i < 11; ++i) eleven += std::string(i ? ", " : "") + "media/a.jpg";
  EXPECT_EQ(check("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [ig], media: [" + eleven + "]}\n"),
            std::vector<std::string>{"post 'p' on ig: Instagram takes at most 10 items (a carousel of 2 to 10)"});
}

TEST_F(MediaWithoutUrlTest, InstagramMediaNeedMediaUrl) {
  write("a.jpg", kJpeg, 1000);
  EXPECT_EQ(check("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [ig], media: [media/a.jpg]}\n"),
            std::vector<std::string>{"post 'p' on ig: Instagram fetches media from a public URL: set media_url in the "
                                     "settings to where the calendar's directory is served"});
}

TEST_F(MediaTest, InstagramMediaMustBeInsideTheCalendarDirectory) {
  write("a.jpg", kJpeg, 1000);
  const auto outside = dir_.parent_path() / (dir_.filename().string() + "-outside.jpg");
  std::ofstream(outside, std::ios::binary) << kJpeg;
  const auto msgs = check("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [ig], media: [\"" + outside.string() +
                          "\"]}\n");
  std::filesystem::remove(outside);
  EXPECT_EQ(msgs, std::vector<std::string>{"post 'p' on ig: media file '" + outside.string() +
                                           "' is outside the calendar's directory, so media_url cannot serve it"});
}

TEST_F(MediaTest, LinkedinTakesImagesOrOneVideo) {
  write("a.jpg", kJpeg, 1000);
  write("a.png", kPng, 1000);
  write("a.mp4", kMp4, 1000);
  EXPECT_TRUE(check("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [li], text: t, media: [media/a.jpg, "
                    "media/a.png, media/a.jpg]}\n")
                  .empty());
  EXPECT_TRUE(check("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [li], text: t, media: [media/a.mp4]}\n").empty());
  EXPECT_EQ(check("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [li], text: t, media: [media/a.jpg, "
                  "media/a.mp4]}\n"),
            std::vector<std::string>{"post 'p' on li: LinkedIn takes up to 20 images, or one video, per post"});
}

}  // namespace
}  // namespace herald
