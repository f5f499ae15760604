#pragma once
// Loads a page in Debian's headless Chromium, the way a person would see it:
// scripts run, the page's own fetches complete (virtual time), and what is
// left is the DOM as text and, if asked, a screenshot.

#include <filesystem>
#include <stdexcept>
#include <string>

namespace herald::testing {

/// Chromium is not installed (or not where HERALD_CHROMIUM says).
class BrowserUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What Chromium left behind after loading a page.
struct BrowserPage {
  std::string dom;                     ///< the serialized DOM after the scripts ran
  std::string text;                    ///< the DOM with tags removed and whitespace collapsed: what a person reads
  std::filesystem::path screenshot;    ///< the PNG written, or empty when none was asked for
  std::string log;                     ///< Chromium's stderr (console messages included), for failure messages
};

/// How to load a page.
struct BrowserOptions {
  int virtual_time_ms = 5000;  ///< virtual time the page may run for (timers, fetches) before the DOM is taken
  int width = 1280;
  int height = 1000;
  int timeout_s = 60;          ///< wall-clock limit for the whole Chromium run
};

/// The Chromium binary: $HERALD_CHROMIUM, else /usr/bin/chromium. Throws
/// BrowserUnavailable, naming scripts/setup, when it is not there.
std::filesystem::path find_browser();

/// Empty when a browser is available; otherwise why not, naming scripts/setup.
std::string browser_unavailable();

/// Loads `url` in a fresh headless Chromium profile and returns the DOM; when
/// `screenshot` is not empty, also writes a PNG there (its folder is created).
/// Throws BrowserUnavailable, or std::runtime_error when Chromium fails or times out.
BrowserPage load_page(const std::string& url, const std::filesystem::path& screenshot = {},
                      const BrowserOptions& options = {});

/// The visible text of an HTML fragment: tags, <script> and <style> removed,
/// common entities decoded, whitespace collapsed to single spaces.
std::string visible_text(const std::string& html);

}  // namespace herald::testing

/// In a gtest test body: fails, saying how to install it, when Chromium is
/// missing. Never a skip: scripts/setup installs it, in CI and for developers.
#define HERALD_REQUIRE_BROWSER()                                                     \
  do {                                                                               \
    const std::string herald_browser_why = ::herald::testing::browser_unavailable(); \
    if (!herald_browser_why.empty()) FAIL() << herald_browser_why;                   \
  } while (false)
