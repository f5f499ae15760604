// The text functions every compose runs: the X weighted length
// (tweet_weighted_length), link extraction (compose/links.hpp) and UTM
// tagging of own links (compose/utm.hpp `tag_links`).

#include "bench/calendar_corpus.hpp"
#include "compose/composer.hpp"
#include "compose/links.hpp"
#include "compose/references.hpp"
#include "compose/utm.hpp"

#include <benchmark/benchmark.h>

#include <string_view>
#include <vector>

namespace herald::bench {
namespace {

// Texts as editors write them, each under X's limit.
constexpr std::string_view kShort = "Tip: use a password manager.";
constexpr std::string_view kLong =
    "Nieuw in de winkel: de stadsfietsen van dit seizoen, met naaf-versnellingen en LED-verlichting. "
    "Plan je proefrit op https://example.nl/afspraak?ref=x of lees de test op "
    "https://blog.example.nl/2027/03/stadsfietsen-getest/ en kom zaterdag langs, we zijn open tot 17:00. #fiets";
constexpr std::string_view kEmoji =
    "🚲🌷🎉 Voorjaar! 👩‍🔧 Sanne zet je fiets klaar 👍🏽👍🏻🙌🏿 🇳🇱🏳️‍🌈 ❤️‍🔥 1️⃣ 2️⃣ 3️⃣ 👨‍👩‍👧‍👦 "
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿 ☀️🌧️💡🔧🛠️ https://example.nl/voorjaar 🎈🎈🎈";
constexpr std::string_view kCjk =
    "自転車のタイヤは二週間ごとに空気を入れましょう。新しいシティサイクルが入荷しました。"
    "チェーンをきれいにすると走りが軽くなります。週末は九時から五時まで営業しています。"
    "电动自行车的电池要定期充电。雨天骑车请注意安全。詳しくは https://example.nl/ja をご覧ください。";

void BM_TweetWeightedLength(benchmark::State& state, std::string_view text) {
  for (auto _ : state) benchmark::DoNotOptimize(tweet_weighted_length(text));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
  state.counters["weighted"] = static_cast<double>(tweet_weighted_length(text));
}
BENCHMARK_CAPTURE(BM_TweetWeightedLength, short, kShort);
BENCHMARK_CAPTURE(BM_TweetWeightedLength, long, kLong);
BENCHMARK_CAPTURE(BM_TweetWeightedLength, emoji, kEmoji);
BENCHMARK_CAPTURE(BM_TweetWeightedLength, cjk, kCjk);

// A text as compose sees it, with the UTM values of its post and channel.
struct Sample {
  std::string text;
  UtmContext utm;
};

// Every text of the generated 10k-post calendar on every channel, with its
// cross-post links resolved to preview URLs, as compose hands them on.
const std::vector<Sample>* calendar_texts(std::string& error) {
  static std::vector<Sample> samples;
  if (!samples.empty()) return &samples;
  const LoadedCalendar* c = loaded_calendar(10000, error);
  if (!c) return nullptr;
  const UrlLookup previews = preview_urls(c->calendar, c->settings);
  for (const Post& post : c->calendar.posts)
    for (const auto& channel : post.channels)
      for (const auto& [field, text] : channel_texts(post, channel))
        samples.push_back({render_references(text, c->calendar, previews).text,
                           {channel, post.campaign.empty() ? post.id : post.campaign, post.id}});
  return &samples;
}

// A long text (a blog body) of about `bytes` bytes: paragraphs with own,
// other and scheme-less links and some emoji. Link extraction promises to be
// linear in the text's size, so bytes/s should not fall as it grows.
std::string long_text(std::size_t bytes) {
  constexpr std::string_view kParagraph =
      "Onze werkplaats repareert ook bakfietsen en e-bikes 🔧. Plan een beurt op https://example.nl/afspraak "
      "of lees eerst https://blog.example.nl/2027/03/onderhoud/?utm_source=newsletter#stap-2 en het weerbericht "
      "op https://www.knmi.nl/nederland-nu/weer (of www.example.nl/routes). Tot zaterdag! 🚲\n\n";
  std::string out;
  while (out.size() < bytes) out += kParagraph;
  return out;
}

const std::vector<std::string>& own_domains() {
  static const std::vector<std::string> domains{"example.nl", "blog.example.nl"};
  return domains;
}

UtmTemplate utm_template() {
  return {{{"source", "{channel}"}, {"medium", "social"}, {"campaign", "{campaign}"}, {"content", "{post}"}}};
}

void BM_ExtractLinks_calendar(benchmark::State& state) {
  std::string error;
  const auto* samples = calendar_texts(error);
  if (!samples) {
    state.SkipWithError(error.c_str());
    return;
  }
  std::int64_t bytes = 0, links = 0;
  for (const auto& s : *samples) {
    bytes += static_cast<std::int64_t>(s.text.size());
    links += static_cast<std::int64_t>(extract_links(s.text).size());
  }
  for (auto _ : state)
    for (const auto& s : *samples) benchmark::DoNotOptimize(extract_links(s.text).data());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(samples->size()));
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["texts"] = static_cast<double>(samples->size());
  state.counters["links"] = static_cast<double>(links);
}
BENCHMARK(BM_ExtractLinks_calendar)->Unit(benchmark::kMillisecond);

void BM_ExtractLinks_long(benchmark::State& state) {
  const std::string text = long_text(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(extract_links(text).data());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
  state.counters["links"] = static_cast<double>(extract_links(text).size());
}
BENCHMARK(BM_ExtractLinks_long)->Arg(1 << 10)->Arg(1 << 14)->Arg(1 << 18)->Unit(benchmark::kMicrosecond);

void BM_TagLinks_calendar(benchmark::State& state) {
  std::string error;
  const auto* samples = calendar_texts(error);
  if (!samples) {
    state.SkipWithError(error.c_str());
    return;
  }
  const UtmTemplate utm = utm_template();
  std::int64_t bytes = 0;
  for (const auto& s : *samples) bytes += static_cast<std::int64_t>(s.text.size());
  for (auto _ : state)
    for (const auto& s : *samples) benchmark::DoNotOptimize(tag_links(s.text, utm, s.utm, own_domains()).data());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(samples->size()));
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["texts"] = static_cast<double>(samples->size());
}
BENCHMARK(BM_TagLinks_calendar)->Unit(benchmark::kMillisecond);

void BM_TagLinks_long(benchmark::State& state) {
  const std::string text = long_text(static_cast<std::size_t>(state.range(0)));
  const UtmTemplate utm = utm_template();
  const UtmContext ctx{"x", "spring-2027", "spring-blog"};
  for (auto _ : state) benchmark::DoNotOptimize(tag_links(text, utm, ctx, own_domains()).data());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_TagLinks_long)->Arg(1 << 10)->Arg(1 << 14)->Arg(1 << 18)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace herald::bench
