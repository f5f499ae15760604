#include "tests/support/browser.hpp"

#include "tests/support/process.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <system_error>
#include <vector>

namespace herald::testing {

namespace {

std::string install_hint(const std::filesystem::path& where) {
  return "headless Chromium not found at " + where.string() +
         ": run scripts/setup (it installs Debian's chromium package), or set HERALD_CHROMIUM to the binary";
}

/// A fresh, empty profile directory, removed when the run ends: no state
/// (cache, cookies, service workers) carries from one load to the next.
class TempProfile {
 public:
  TempProfile() {
    std::string pattern = (std::filesystem::temp_directory_path() / "herald-chromium-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary Chromium profile in " + pattern);
    path_ = pattern;
  }
  ~TempProfile() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempProfile(const TempProfile&) = delete;
  TempProfile& operator=(const TempProfile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

/// Lower-case copy, for finding tag names whatever their case.
std::string lowered(const std::string& s) {
  std::string out = s;
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::filesystem::path find_browser() {
  const char* configured = std::getenv("HERALD_CHROMIUM");
  std::filesystem::path path = configured && *configured ? configured : "/usr/bin/chromium";
  if (::access(path.c_str(), X_OK) != 0) throw BrowserUnavailable(install_hint(path));
  return path;
}

std::string browser_unavailable() {
  try {
    find_browser();
    return "";
  } catch (const BrowserUnavailable& e) {
    return e.what();
  }
}

BrowserPage load_page(const std::string& url, const std::filesystem::path& screenshot, const BrowserOptions& options) {
  const auto browser = find_browser();
  TempProfile profile;
  BrowserPage page;
  if (!screenshot.empty()) {
    if (screenshot.has_parent_path()) std::filesystem::create_directories(screenshot.parent_path());
    std::error_code ec;
    std::filesystem::remove(screenshot, ec);  // so a stale file cannot pass for a new one
    page.screenshot = screenshot;
  }
  // coreutils' timeout bounds the run: a hung browser fails the test instead of blocking it.
  std::vector<std::string> argv = {
      "/usr/bin/timeout", "-k", "5", std::to_string(options.timeout_s), browser.string(),
      "--headless=new",
      "--no-sandbox",  // CI runs as root, where Chromium's sandbox refuses to start
      "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
      "--disable-extensions", "--disable-sync", "--disable-background-networking", "--disable-component-update",
      "--hide-scrollbars", "--mute-audio",
      "--enable-logging=stderr", "--v=0",  // console messages and CSP refusals land in the log
      "--user-data-dir=" + profile.path().string(),
      "--virtual-time-budget=" + std::to_string(options.virtual_time_ms),
      "--window-size=" + std::to_string(options.width) + "," + std::to_string(options.height),
      "--dump-dom"};
  if (!screenshot.empty()) argv.push_back("--screenshot=" + screenshot.string());
  argv.push_back(url);

  auto result = run_process(argv, {"HOME=" + profile.path().string()});
  page.log = result.err;
  if (result.exit_code == 124 || result.exit_code == 128 + 9)
    throw std::runtime_error("Chromium did not finish loading " + url + " within " + std::to_string(options.timeout_s) +
                             " s; its log:\n" + page.log);
  if (result.exit_code != 0)
    throw std::runtime_error("Chromium exited with " + std::to_string(result.exit_code) + " loading " + url +
                             "; its log:\n" + page.log);
  page.dom = result.out;
  page.text = visible_text(page.dom);
  if (!screenshot.empty() && !std::filesystem::exists(screenshot))
    throw std::runtime_error("Chromium wrote no screenshot to " + screenshot.string() + "; its log:\n" + page.log);
  return page;
}

std::string visible_text(const std::string& html) {
  std::string text;
  const std::string lower = lowered(html);
  std::size_t i = 0;
  while (i < html.size()) {
    if (html[i] != '<') {
      text += html[i++];
      continue;
    }
    // Script and style bodies are not shown; skip to their closing tag.
    bool skipped = false;
    for (const std::string tag : {"script", "style"}) {
      if (lower.compare(i + 1, tag.size(), tag) == 0) {
        auto close = lower.find("</" + tag, i);
        auto end = close == std::string::npos ? std::string::npos : lower.find('>', close);
        i = end == std::string::npos ? html.size() : end + 1;
        skipped = true;
        break;
      }
    }
    if (!skipped) {
      auto end = html.find('>', i);
      i = end == std::string::npos ? html.size() : end + 1;
    }
    text += ' ';  // a tag boundary separates words ("10:05</time><span>launch")
  }
  replace_all(text, "&nbsp;", " ");
  replace_all(text, "&hellip;", "...");
  replace_all(text, "&lt;", "<");
  replace_all(text, "&gt;", ">");
  replace_all(text, "&quot;", "\"");
  replace_all(text, "&#39;", "'");
  replace_all(text, "&amp;", "&");  // last, so "&amp;lt;" stays "&lt;"
  std::string collapsed;
  for (char c : text) {
    bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (space) {
      if (!collapsed.empty() && collapsed.back() != ' ') collapsed += ' ';
    } else {
      collapsed += c;
    }
  }
  while (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
  return collapsed;
}

}  // namespace herald::testing
