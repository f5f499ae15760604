#include "bench/calendar_corpus.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

namespace herald::bench {

namespace {

// Owns the temporary directory for the life of the program, so the
// benchmarks share one generated calendar per size and nothing is left behind.
class Corpora {
 public:
  ~Corpora() {
    if (root_.empty() || std::getenv("HERALD_BENCH_KEEP")) return;
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  const GeneratedCalendar* generated(std::size_t posts, Layout layout, std::string& error) {
    const auto key = std::make_pair(posts, layout);
    if (auto it = generated_.find(key); it != generated_.end()) return &it->second;
    if (!make_root(error)) return nullptr;
    const std::string split = layout == Layout::one_file ? "none" : "daily";
    const std::filesystem::path dir = root_ / (std::to_string(posts) + "-" + split);
    // The generator's summary goes to stderr so a JSON report on stdout stays clean.
    const std::string command = std::string("'") + HERALD_BENCH_PYTHON + "' '" + HERALD_BENCH_GENERATOR + "' '" +
                                dir.string() + "' --posts " + std::to_string(posts) + " --split " + split + " 1>&2";
    if (std::system(command.c_str()) != 0) {
      error = "generator failed: " + command;
      return nullptr;
    }
    GeneratedCalendar g;
    g.settings_file = dir / "herald.yaml";
    std::error_code ec;
    const std::filesystem::path calendar = layout == Layout::one_file ? dir / "calendar.yaml" : dir / "calendar";
    if (layout == Layout::one_file) {
      g.calendar_bytes = std::filesystem::file_size(calendar, ec);
    } else {
      for (const auto& entry : std::filesystem::directory_iterator(calendar, ec)) {
        if (entry.path().extension() != ".yaml" || !entry.is_regular_file(ec)) continue;  // media/
        g.calendar_bytes += entry.file_size(ec);
        if (ec) break;
      }
    }
    if (ec) {
      error = "cannot read the generated calendar " + calendar.string() + ": " + ec.message();
      return nullptr;
    }
    return &generated_.emplace(key, std::move(g)).first->second;
  }

  const LoadedCalendar* loaded(std::size_t posts, std::string& error) {
    if (auto it = loaded_.find(posts); it != loaded_.end()) return &it->second;
    const GeneratedCalendar* g = generated(posts, Layout::one_file, error);
    if (!g) return nullptr;
    Diagnostics diags;
    auto settings = load_settings(g->settings_file, SettingsEnvironment{}, diags);
    std::optional<Calendar> calendar;
    if (settings) calendar = load_in_chunks(*settings, diags);
    if (!calendar) {
      error = "the generated calendar does not load";
      for (const auto& d : diags.sorted()) {
        if (d.severity != Severity::error) continue;
        error += ": " + format(d);
        break;
      }
      return nullptr;
    }
    return &loaded_.emplace(posts, LoadedCalendar{std::move(*settings), std::move(*calendar)}).first->second;
  }

 private:
  // The calendar file read through load_calendar_text a few dozen posts at a
  // time, each chunk into a calendar of its own, then joined. The posts are
  // the ones load_calendar would give (only their line numbers differ), but a
  // 100k-post calendar is ready in seconds: load_calendar on one file is
  // quadratic in the posts per file, and on a directory in files x posts (see
  // docs/performance.md), which BM_LoadCalendar measures; here it is set-up.
  static std::optional<Calendar> load_in_chunks(const Settings& settings, Diagnostics& diags) {
    constexpr std::size_t kPostsPerChunk = 50;
    constexpr std::string_view kPostStart = "\n  - id: ";
    std::ifstream in(settings.calendar, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const std::size_t first = text.find(kPostStart);
    if (!in || first == std::string::npos) {
      diags.error({settings.calendar.string(), 0, 0}, "cannot read the generated calendar");
      return std::nullopt;
    }
    const std::string header = text.substr(0, first + 1);  // up to and with "posts:\n"
    Calendar calendar;
    calendar.files.push_back(settings.calendar);
    std::size_t begin = first + 1;
    while (begin < text.size()) {
      std::size_t end = begin;
      for (std::size_t n = 0; n < kPostsPerChunk && end != std::string::npos; ++n)
        end = text.find(kPostStart, end + 1);
      end = end == std::string::npos ? text.size() : end + 1;
      Calendar part;
      if (!load_calendar_text(header + text.substr(begin, end - begin), settings.calendar, settings, part, diags))
        return std::nullopt;
      calendar.posts.append(part.posts);
      begin = end;
    }
    return calendar;
  }

  bool make_root(std::string& error) {
    if (!root_.empty()) return true;
    std::string pattern = (std::filesystem::temp_directory_path() / "herald-bench-XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
      error = "cannot create a temporary directory from " + pattern;
      return false;
    }
    root_ = pattern;
    return true;
  }

  std::filesystem::path root_;
  std::map<std::pair<std::size_t, Layout>, GeneratedCalendar> generated_;
  std::map<std::size_t, LoadedCalendar> loaded_;  // a map keeps each at one address: deliveries point into it
};

Corpora& corpora() {
  static Corpora instance;
  return instance;
}

}  // namespace

const GeneratedCalendar* generated_calendar(std::size_t posts, Layout layout, std::string& error) {
  return corpora().generated(posts, layout, error);
}

const LoadedCalendar* loaded_calendar(std::size_t posts, std::string& error) {
  return corpora().loaded(posts, error);
}

Instant year_start() { return date::sys_days{date::year{2027} / date::January / 1}; }

}  // namespace herald::bench
