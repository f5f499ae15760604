// Fuzzes the calendar loader (config/calendar.hpp): any bytes as one
// calendar.yaml, loaded against fixed settings with one channel of each kind.
// The loader answers with diagnostics only: nothing may throw, crash or hang.
#include "config/calendar.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

const herald::Settings& settings() {
  static const herald::Settings s = [] {
    herald::Diagnostics diags;
    auto loaded = herald::load_settings_text(R"(calendar: calendar.yaml
timezone: Europe/Amsterdam
links:
  own_domains: [example.nl]
channels:
  x:        {kind: x, account: example_nl, credentials: x, slots: ["mon-fri 09:15"]}
  facebook: {kind: facebook, page_id: "1234567890", credentials: facebook}
  youtube:  {kind: youtube, credentials: youtube}
  blog:     {kind: wordpress, site: https://blog.example.nl, credentials: blog}
  site:     {kind: static, dir: /srv/site}
)",
                                             "/cal/herald.yaml", {}, diags);
    if (!loaded) std::abort();
    return *loaded;
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  herald::Calendar calendar;
  herald::Diagnostics diags;
  const bool ok = herald::load_calendar_text(text, "/cal/calendar.yaml", settings(), calendar, diags);
  if (ok == diags.has_errors()) std::abort();  // accepted iff no error
  for (const auto& d : diags.sorted()) (void)herald::format(d);
  for (const auto& post : calendar.posts) {
    if (calendar.find(post.id) == nullptr) std::abort();
  }
  return 0;
}
