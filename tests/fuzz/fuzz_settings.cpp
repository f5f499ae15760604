// Fuzzes the settings loader (config/settings.hpp): any bytes as herald.yaml.
// A load either succeeds without errors or fails with at least one error
// diagnostic; nothing may throw, crash or hang.
#include "config/settings.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  herald::Diagnostics diags;
  const auto settings = herald::load_settings_text(text, "/etc/herald/herald.yaml", {}, diags);
  if (settings.has_value() == diags.has_errors()) std::abort();  // a result iff no error
  if (settings && settings->zone == nullptr) std::abort();
  for (const auto& d : diags.sorted()) (void)herald::format(d);
  return 0;
}
