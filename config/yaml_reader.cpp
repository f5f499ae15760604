#include "config/yaml_reader.hpp"

#include "config/duration.hpp"

#include <libfyaml.h>
#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>
#include <set>

namespace herald {

namespace {

// Deeper nesting than this is refused before yaml-cpp sees it. yaml-cpp's own
// guard (DepthGuard<2000>, about four steps per level) stops near 500 levels,
// so nothing it accepted is refused; a calendar needs five.
constexpr int kMaxNesting = 500;

// The 1-based place of a byte offset, counted the way yaml-cpp's marks are
// (lines by '\n', columns in bytes, after a UTF-8 byte order mark), so every
// diagnostic of a file points the same way. libfyaml counts columns in
// characters.
Location location_at(const std::string& text, std::size_t offset, const std::filesystem::path& file) {
  offset = std::min(offset, text.size());
  const auto begin = text.begin();
  const auto line = 1 + std::count(begin, begin + static_cast<std::ptrdiff_t>(offset), '\n');
  const std::size_t newline = offset == 0 ? std::string::npos : text.rfind('\n', offset - 1);
  std::size_t line_start = newline == std::string::npos ? 0 : newline + 1;
  if (line_start == 0 && text.compare(0, 3, "\xEF\xBB\xBF") == 0 && offset >= 3) line_start = 3;
  return {file.string(), static_cast<int>(line), static_cast<int>(offset - line_start) + 1};
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// UTF-16 and UTF-32, told apart as the YAML spec (5.2) and yaml-cpp do: by a
// byte order mark or a zero byte among the first two. yaml-cpp converts them;
// libfyaml reads UTF-8 only.
bool is_utf16_or_32(std::string_view text) {
  return text.size() >= 2 && (text[0] == '\0' || text[1] == '\0' || starts_with(text, "\xFE\xFF") ||
                              starts_with(text, "\xFF\xFE"));
}

// The offset of the first byte that is not part of well-formed UTF-8 (RFC
// 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or is a
// zero byte, which YAML does not allow either; npos if there is none.
// libfyaml 0.7.12 must not see either: it takes a zero byte for the end of
// the text (leaving the rest unchecked) and loops forever on malformed UTF-8
// after a '%' (fixed upstream after 0.7.12, commit 7f7be36).
std::size_t first_bad_byte(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const auto continuation = [&](std::size_t i) { return i < text.size() && (byte(i) & 0xC0) == 0x80; };
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned char b = byte(i);
    if (b == 0) return i;
    std::size_t length = 1;
    if (b >= 0x80) {
      // The allowed range of the second byte narrows for E0, ED, F0 and F4.
      unsigned char low = 0x80, high = 0xBF;
      if (b >= 0xC2 && b <= 0xDF) {
        length = 2;
      } else if (b >= 0xE0 && b <= 0xEF) {
        length = 3;
        if (b == 0xE0) low = 0xA0;
        if (b == 0xED) high = 0x9F;
      } else if (b >= 0xF0 && b <= 0xF4) {
        length = 4;
        if (b == 0xF0) low = 0x90;
        if (b == 0xF4) high = 0x8F;
      } else {
        return i;
      }
      if (i + 1 >= text.size() || byte(i + 1) < low || byte(i + 1) > high) return i;
      for (std::size_t k = 2; k < length; ++k)
        if (!continuation(i + k)) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

// libfyaml's message, made into one an editor understands, at the place it is about.
Diagnostic describe_syntax_error(const fy_diag_error& e, const std::string& text, const std::filesystem::path& file) {
  const fy_mark* start = fy_token_start_mark(e.fyt);
  const fy_mark* end = fy_token_end_mark(e.fyt);
  const std::string_view msg = e.msg;
  std::size_t offset = start ? std::min(start->input_pos, text.size()) : 0;

  // An unclosed quote runs on to the end of the file, or to a line not
  // indented enough to continue the text (a later post, usually). Either way
  // the place to fix is the opening quote: libfyaml marks the first case just
  // after it, the second at it.
  const bool single = msg.find("single-quoted") != std::string_view::npos;
  const std::string unclosed = std::string("the quoted text that starts here is not closed (a missing closing ") +
                               (single ? '\'' : '"') + ")";
  if (msg == "double-quoted scalar without closing quote" || msg == "single-quoted scalar without closing quote") {
    if (offset > 0 && (text[offset - 1] == '"' || text[offset - 1] == '\'')) --offset;
    return {Severity::error, location_at(text, offset, file), unclosed};
  }
  if (msg == "wrongly indented double-quoted scalar" || msg == "wrongly indented single-quoted scalar") {
    std::string what = unclosed;
    if (end)
      what += "; line " + std::to_string(location_at(text, end->input_pos, file).line) +
              " is not indented enough to continue it";
    return {Severity::error, location_at(text, offset, file), what};
  }

  std::string what = "YAML syntax: " + std::string(msg);
  if (starts_with(msg, "wrongly indented flow ") || msg.find("in flow mode") != std::string_view::npos) {
    // yaml-cpp let these through; YAML does not (see docs/calendar.md).
    what += " (the lines of a [list] or {mapping} written over several lines, its closing bracket too, must be "
            "indented further than its key)";
  }
  return {Severity::error, location_at(text, offset, file), what};
}

// The parser's diagnostics go nowhere: they are collected and read back.
void discard_output(fy_diag*, void*, const char*, size_t) {}

// Reads the whole text with libfyaml's event parser, which follows the YAML
// spec where yaml-cpp 0.7 does not (it takes an unclosed quote at the end of
// a file as running to the end, silently swallowing the posts after it).
// Streaming, with no tree: it adds no memory beyond the text itself. Returns
// false after reporting one error; true when the text is valid YAML, and also
// when libfyaml failed without saying where or the text is UTF-16 or UTF-32,
// leaving the verdict to yaml-cpp as before.
bool check_syntax(const std::string& text, const std::filesystem::path& file, Diagnostics& diags) {
  if (is_utf16_or_32(text)) return true;  // rare enough to leave to yaml-cpp alone, as before
  if (const std::size_t bad = first_bad_byte(text); bad != std::string_view::npos) {
    diags.error(location_at(text, bad, file), text[bad] == '\0' ? "a zero byte, which YAML does not allow"
                                                                 : "invalid UTF-8 (save the file as UTF-8)");
    return false;
  }
  fy_diag_cfg diag_cfg;
  fy_diag_cfg_default(&diag_cfg);  // its default writes to stderr
  diag_cfg.fp = nullptr;
  diag_cfg.output_fn = discard_output;
  diag_cfg.colorize = false;
  diag_cfg.level = FYET_ERROR;
  // fy_diag_destroy, not fy_diag_unref: only it frees the collected errors.
  std::unique_ptr<fy_diag, void (*)(fy_diag*)> diag(fy_diag_create(&diag_cfg), fy_diag_destroy);
  if (!diag) {
    diags.error({file.string(), 0, 0}, "cannot read YAML: out of memory");
    return false;
  }
  // libfyaml 0.7.12 ignores FYPCF_QUIET and reads FYPCF_COLLECT_DIAG only
  // when it builds a document: for the event parser, the diagnostic object
  // above is what keeps it quiet and collects. Likewise its depth limit
  // (FYPCF_DISABLE_DEPTH_LIMIT is left unset) guards only document trees,
  // hence kMaxNesting.
  fy_diag_set_collect_errors(diag.get(), true);
  fy_parse_cfg cfg{};
  cfg.flags = static_cast<fy_parse_cfg_flags>(FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_JSON_NONE);
  cfg.diag = diag.get();
  std::unique_ptr<fy_parser, void (*)(fy_parser*)> parser(fy_parser_create(&cfg), fy_parser_destroy);
  if (!parser || fy_parser_set_string(parser.get(), text.data(), text.size()) != 0) {
    diags.error({file.string(), 0, 0}, "cannot read YAML: out of memory");
    return false;
  }
  int depth = 0;
  while (fy_event* event = fy_parser_parse(parser.get())) {
    if (event->type == FYET_MAPPING_START || event->type == FYET_SEQUENCE_START) {
      if (++depth > kMaxNesting) {
        const fy_mark* m = fy_event_start_mark(event);
        diags.error(location_at(text, m ? m->input_pos : 0, file), "nesting is too deep");
        fy_parser_event_free(parser.get(), event);
        return false;
      }
    } else if (event->type == FYET_MAPPING_END || event->type == FYET_SEQUENCE_END) {
      --depth;
    }
    fy_parser_event_free(parser.get(), event);
  }
  if (!fy_parser_get_stream_error(parser.get()) && !fy_diag_got_error(diag.get())) return true;
  void* iter = nullptr;
  while (const fy_diag_error* e = fy_diag_errors_iterate(diag.get(), &iter)) {
    if (e->type < FYET_ERROR || !e->fyt) continue;
    diags.add(describe_syntax_error(*e, text, file));
    return false;
  }
  return true;
}

}  // namespace

YamlDocument parse_yaml(const std::string& text, const std::filesystem::path& file, Diagnostics& diags,
                        std::size_t max_bytes) {
  YamlDocument doc;
  if (text.size() > max_bytes) {
    diags.error({file.string(), 0, 0}, "file is " + std::to_string(text.size()) + " bytes, more than the limit of " +
                                           std::to_string(max_bytes));
    return doc;
  }
  if (!check_syntax(text, file, diags)) return doc;
  try {
    // yaml-cpp guards its recursive descent (DeepRecursion), so a deeply
    // nested file throws here instead of overflowing the stack.
    doc.root = YAML::Load(text);
    doc.ok = true;
  } catch (const YAML::DeepRecursion& e) {
    diags.error({file.string(), e.mark.line + 1, e.mark.column + 1}, "nesting is too deep");
  } catch (const YAML::Exception& e) {
    Location where{file.string(), 0, 0};
    if (!e.mark.is_null()) where = {file.string(), e.mark.line + 1, e.mark.column + 1};
    diags.error(where, "YAML syntax: " + e.msg);
  } catch (const std::exception& e) {
    diags.error({file.string(), 0, 0}, std::string("cannot read YAML: ") + e.what());
  }
  return doc;
}

Location YamlReader::at(const YAML::Node& node) const {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return {file_.string(), 0, 0};
  return {file_.string(), m.line + 1, m.column + 1};
}

void YamlReader::error(const YAML::Node& node, std::string message) { diags_.error(at(node), std::move(message)); }

void YamlReader::warning(const YAML::Node& node, std::string message) {
  diags_.warning(at(node), std::move(message));
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return "'" + node.Scalar() + "'";
}

bool YamlReader::each_entry(const YAML::Node& node, std::string_view what,
                            std::initializer_list<std::string_view> allowed,
                            const std::function<bool(const std::string&)>& allow_other,
                            const std::function<void(const std::string&, const YAML::Node&, const YAML::Node&)>& each) {
  return each_entry(node, what, std::span<const std::string_view>(allowed.begin(), allowed.size()), allow_other,
                    each);
}

bool YamlReader::each_entry(const YAML::Node& node, std::string_view what,
                            std::span<const std::string_view> allowed,
                            const std::function<bool(const std::string&)>& allow_other,
                            const std::function<void(const std::string&, const YAML::Node&, const YAML::Node&)>& each) {
  if (!node.IsMap()) {
    error(node, std::string(what) + " must be a mapping of key: value, not " + describe(node));
    return false;
  }
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      error(key, std::string("a key in ") + std::string(what) + " must be a plain name");
      continue;
    }
    const std::string name = key.Scalar();
    if (!seen.insert(name).second) {
      error(key, "duplicate key '" + name + "' in " + std::string(what));
      continue;
    }
    bool known = false;
    for (auto a : allowed) known = known || a == name;
    if (!known && !(allow_other && allow_other(name))) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      error(key, "unknown key '" + name + "' in " + std::string(what) + " (expected one of: " + list + ")");
      continue;
    }
    each(name, key, it->second);
  }
  return true;
}

namespace {

// each_path for the mapping at `prefix` ("" for the top, "publishing.retry."
// inside): its keys are the next parts of the paths that start with it.
void each_path_at(YamlReader& r, const YAML::Node& node, std::string_view what, const std::string& prefix,
                  std::span<const std::string_view> paths, const std::function<bool(std::size_t)>& listed,
                  const std::function<void(std::size_t, const YAML::Node&, const YAML::Node&)>& each) {
  const auto part = [&](std::string_view path) {
    return path.substr(prefix.size(), path.find('.', prefix.size()) - prefix.size());
  };
  const auto under = [&](std::string_view path) { return path.substr(0, prefix.size()) == prefix; };
  std::vector<std::string_view> expected, unlisted;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (!under(paths[i])) continue;
    auto& names = !listed || listed(i) ? expected : unlisted;
    if (std::find(names.begin(), names.end(), part(paths[i])) == names.end()) names.push_back(part(paths[i]));
  }
  r.each_entry(
      node, what, expected,
      [&](const std::string& name) { return std::find(unlisted.begin(), unlisted.end(), name) != unlisted.end(); },
      [&](const std::string& name, const YAML::Node& key, const YAML::Node& value) {
        const std::string path = prefix + name;
        for (std::size_t i = 0; i < paths.size(); ++i) {
          if (paths[i] == path) return each(i, key, value);
        }
        // Not a row's whole path, so the start of some: a mapping of its own.
        each_path_at(r, value, path, path + ".", paths, listed, each);
      });
}

}  // namespace

void YamlReader::each_path(const YAML::Node& node, std::string_view what, std::span<const std::string_view> paths,
                           const std::function<bool(std::size_t)>& listed,
                           const std::function<void(std::size_t, const YAML::Node&, const YAML::Node&)>& each) {
  each_path_at(*this, node, what, "", paths, listed, each);
}

std::optional<std::string> YamlReader::string(const YAML::Node& node, std::string_view what) {
  if (!node.IsScalar()) {
    error(node, std::string(what) + " must be a text, not " + describe(node));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<std::string> YamlReader::text(const YAML::Node& node, std::string_view what) {
  auto s = string(node, what);
  if (s && s->empty()) {
    error(node, std::string(what) + " must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& node, std::string_view what) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  error(node, std::string(what) + " must be true or false, not " + describe(node));
  return std::nullopt;
}

std::optional<long long> YamlReader::integer(const YAML::Node& node, std::string_view what, long long min,
                                             long long max) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) {
      if (v < min || v > max) {
        error(node, std::string(what) + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                        ", not " + s);
        return std::nullopt;
      }
      return v;
    }
  }
  error(node, std::string(what) + " must be a whole number, not " + describe(node));
  return std::nullopt;
}

std::optional<double> YamlReader::number(const YAML::Node& node, std::string_view what, double min, double max) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty() && std::isfinite(v)) {
      if (v < min || v > max) {
        error(node, std::string(what) + " must be between " + std::to_string(min).substr(0, 4) + " and " +
                        std::to_string(max).substr(0, 4) + ", not " + s);
        return std::nullopt;
      }
      return v;
    }
  }
  error(node, std::string(what) + " must be a number, not " + describe(node));
  return std::nullopt;
}

std::optional<std::chrono::seconds> YamlReader::duration(const YAML::Node& node, std::string_view what,
                                                         std::chrono::seconds min, std::chrono::seconds max) {
  if (node.IsScalar()) {
    if (auto d = parse_duration(node.Scalar())) {
      if (*d < min || *d > max) {
        error(node, std::string(what) + " must be between " + format_duration(min) + " and " + format_duration(max) +
                        ", not " + node.Scalar());
        return std::nullopt;
      }
      return d;
    }
  }
  error(node, std::string(what) + " must be a duration such as 30s, 15m, 1h30m or 3d, not " + describe(node));
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlReader::string_list(const YAML::Node& node, std::string_view what) {
  if (!node.IsSequence()) {
    error(node, std::string(what) + " must be a list such as [a, b], not " + describe(node));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& item : node) {
    if (auto s = text(item, std::string(what) + " item")) {
      out.push_back(*s);
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace herald
