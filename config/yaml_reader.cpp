#include "config/yaml_reader.hpp"

#include "config/duration.hpp"

#include <libfyaml.h>
#include <iconv.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>
#include <cstring>
#include <optional>
#include <set>
#include <unordered_map>

namespace herald {

namespace {

// Deeper nesting than this is refused (yaml-cpp, read before, stopped near
// 500 levels, so nothing it accepted is refused); a calendar needs five.
constexpr int kMaxNesting = 500;

// The 1-based place of a byte offset (lines by '\n', columns in bytes, after
// a UTF-8 byte order mark), as herald's diagnostics have always counted (the
// way yaml-cpp's marks did). libfyaml counts columns in characters.
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
// byte order mark or a zero byte among the first two. libfyaml reads UTF-8
// only, so they are converted first.
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

// UTF-16 or UTF-32 text (YAML 1.2, 5.2) as UTF-8, through glibc's iconv;
// nullopt when it does not decode.
std::optional<std::string> to_utf8(const std::string& text) {
  const auto b = [&](std::size_t i) { return i < text.size() ? static_cast<unsigned char>(text[i]) : 1u; };
  const char* from = "UTF-16LE";
  if (b(0) == 0 && b(1) == 0) from = "UTF-32BE";
  else if (b(0) == 0xFF && b(1) == 0xFE && b(2) == 0 && b(3) == 0) from = "UTF-32LE";
  else if (b(0) != 0 && b(1) == 0 && b(2) == 0 && b(3) == 0) from = "UTF-32LE";
  else if (b(0) == 0xFE && b(1) == 0xFF) from = "UTF-16BE";
  else if (b(0) == 0) from = "UTF-16BE";
  iconv_t cd = iconv_open("UTF-8", from);
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out(text.size() * 2 + 16, '\0');
  char* in_p = const_cast<char*>(text.data());
  std::size_t in_left = text.size();
  char* out_p = out.data();
  std::size_t out_left = out.size();
  const std::size_t r = iconv(cd, &in_p, &in_left, &out_p, &out_left);
  iconv_close(cd);
  if (r == static_cast<std::size_t>(-1) || in_left != 0) return std::nullopt;
  out.resize(out.size() - out_left);
  return out;
}

// 1-based line and byte column of offsets that mostly come in increasing
// order (the parser's events), counted as location_at counts them, in time
// linear in the text over a whole parse.
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text), bom_(starts_with(text, "\xEF\xBB\xBF")) {}

  std::pair<int, int> at(std::size_t offset) {
    offset = std::min(offset, text_.size());
    if (offset >= pos_) {
      for (std::size_t i = pos_; i < offset; ++i) {
        const void* nl = std::memchr(text_.data() + i, '\n', offset - i);
        if (!nl) break;
        i = static_cast<std::size_t>(static_cast<const char*>(nl) - text_.data());
        ++line_;
        line_start_ = i + 1;
      }
    } else {
      line_ -= static_cast<int>(std::count(text_.begin() + static_cast<std::ptrdiff_t>(offset),
                                           text_.begin() + static_cast<std::ptrdiff_t>(pos_), '\n'));
      const std::size_t nl = offset == 0 ? std::string_view::npos : text_.rfind('\n', offset - 1);
      line_start_ = nl == std::string_view::npos ? 0 : nl + 1;
    }
    pos_ = offset;
    const std::size_t start = line_start_ == 0 && bom_ && offset >= 3 ? 3 : line_start_;
    return {line_, static_cast<int>(offset - start) + 1};
  }

 private:
  std::string_view text_;
  bool bom_;
  std::size_t pos_ = 0, line_start_ = 0;
  int line_ = 1;
};

std::string_view token_text(fy_token* token) {
  std::size_t length = 0;
  const char* text = token ? fy_token_get_text(token, &length) : nullptr;
  return text ? std::string_view(text, length) : std::string_view();
}

// The value of a single-quoted scalar from its text between the quotes
// (YAML 1.2, 7.3.2): '' is one quote; at a line break, the blanks around it
// go, one break folds to a space and each further (empty) line is a newline.
// Our own, not libfyaml's: 0.8's fy_token_get_text leaks the atom
// iterator's chunk array (4 KiB) of a single-quoted scalar with more than a
// few '' escapes (upstream pantoniou/libfyaml#337 is that array's leak;
// found by tests/fuzz/fuzz_calendar), and 0.8's token iterator, the other
// way to its text, reads runs of '' wrongly.
std::string single_quoted_text(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    const char c = raw[i];
    if (c == '\'') {
      out += '\'';
      i += 2;  // the scanner accepted the text: a quote inside it is doubled
      continue;
    }
    if (c != '\n' && c != '\r') {
      out += c;
      ++i;
      continue;
    }
    while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
    int breaks = 0;
    while (i < raw.size()) {
      if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') {
        i += 2, ++breaks;
      } else if (raw[i] == '\n' || raw[i] == '\r') {
        ++i, ++breaks;
      } else if (raw[i] == ' ' || raw[i] == '\t') {
        ++i;
      } else {
        break;
      }
    }
    if (breaks == 1)
      out += ' ';
    else
      out.append(static_cast<std::size_t>(breaks - 1), '\n');
  }
  return out;
}

// A plain scalar YAML's core schema reads as null (what yaml-cpp read as null too).
bool null_text(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

// Builds the first document's nodes from libfyaml's events (the later
// documents of a stream are checked, not kept), handing the items of the
// streamed list to the stream as each completes.
class Builder {
 public:
  Builder(const std::string& text, const std::filesystem::path& file, Diagnostics& diags, const YamlStream* stream)
      : text_(text), file_(file), diags_(diags), stream_(stream), lines_(text) {}

  // False after reporting an error.
  bool on(fy_event* event) {
    switch (event->type) {
      case FYET_DOCUMENT_START:
        ++documents_;
        anchors_.clear();
        return true;
      case FYET_SCALAR: {
        if (!building()) return true;
        const fy_scalar_style style = fy_token_scalar_style(event->scalar.value);
        std::string value = style == FYSS_SINGLE_QUOTED ? single_quoted(event->scalar.value)
                                                        : std::string(token_text(event->scalar.value));
        const bool null = style == FYSS_PLAIN && event->scalar.tag == nullptr && null_text(value);
        // A quoted scalar starts at its quote (libfyaml marks the text after it).
        const bool quoted = style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED;
        return finish(node(event, null ? YamlNode::Kind::null : YamlNode::Kind::scalar, std::move(value), quoted),
                      token_text(event->scalar.anchor), span(event));
      }
      case FYET_ALIAS: {
        if (!building()) return true;
        const std::string name(token_text(event->alias.anchor));
        const auto found = anchors_.find(name);
        if (found == anchors_.end()) {
          error(event, "the alias *" + name + " names no anchor defined before it (&" + name + ")", '*');
          return false;
        }
        return finish(found->second, {}, span(event));
      }
      case FYET_SEQUENCE_START:
      case FYET_MAPPING_START: {
        if (++depth_ > kMaxNesting) {
          error(event, "nesting is too deep");
          return false;
        }
        if (!building()) return true;
        const bool map = event->type == FYET_MAPPING_START;
        Frame f;
        f.node = node(event, map ? YamlNode::Kind::map : YamlNode::Kind::list);
        // Copied: the token goes with the event.
        f.anchor = token_text(map ? event->mapping_start.anchor : event->sequence_start.anchor);
        f.begin = span(event).first;
        f.streamed = !map && starts_stream();
        stack_.push_back(std::move(f));
        return true;
      }
      case FYET_SEQUENCE_END:
      case FYET_MAPPING_END: {
        --depth_;
        if (!building()) return true;
        Frame f = std::move(stack_.back());
        stack_.pop_back();
        return finish(std::move(f.node), f.anchor, {f.begin, span(event).second});
      }
      default:
        return true;
    }
  }

  YamlNode root() const { return root_; }

 private:
  struct Frame {
    YamlNode node;
    std::string anchor;
    YamlNode key;
    bool has_key = false;
    bool streamed = false;
    std::size_t begin = 0;  ///< offset of its start in the text
  };

  // The byte offsets an event spans.
  // The token's marks are the text between its quotes.
  std::string single_quoted(fy_token* token) const {
    const fy_mark* b = fy_token_start_mark(token);
    const fy_mark* e = fy_token_end_mark(token);
    if (!b || !e || b->input_pos > e->input_pos || e->input_pos > text_.size()) return std::string(token_text(token));
    return single_quoted_text(std::string_view(text_).substr(b->input_pos, e->input_pos - b->input_pos));
  }

  std::pair<std::size_t, std::size_t> span(fy_event* event) const {
    const fy_mark* b = fy_event_start_mark(event);
    const fy_mark* e = fy_event_end_mark(event);
    const std::size_t begin = std::min(b ? b->input_pos : 0, text_.size());
    return {begin, std::clamp(e ? e->input_pos : begin, begin, text_.size())};
  }

  bool building() const { return documents_ == 1; }

  // The list about to start is the one to stream: the value of the stream's
  // key in the root mapping, the first time that key is given.
  bool starts_stream() {
    if (!stream_ || streamed_ || stack_.size() != 1) return false;
    const Frame& top = stack_.back();
    if (!top.node.is_map() || !top.has_key || !top.key.is_scalar() || top.key.scalar() != stream_->key) return false;
    streamed_ = true;
    return true;
  }

  YamlNode node(fy_event* event, YamlNode::Kind kind, std::string value = {}, bool quoted = false) {
    const fy_mark* m = fy_event_start_mark(event);
    std::size_t offset = m ? m->input_pos : 0;
    if (quoted && offset > 0 && offset <= text_.size() && (text_[offset - 1] == '"' || text_[offset - 1] == '\'')) --offset;
    const auto [line, column] = lines_.at(offset);
    return YamlNode::make(kind, line, column, std::move(value));
  }

  // At the event, or at the `mark` character just before it (an alias's '*').
  void error(fy_event* event, std::string message, char mark = '\0') {
    const fy_mark* m = fy_event_start_mark(event);
    std::size_t offset = m ? std::min(m->input_pos, text_.size()) : 0;
    if (mark && offset > 0 && text_[offset - 1] == mark) --offset;
    const auto [line, column] = lines_.at(offset);
    diags_.error({file_.string(), line, column}, std::move(message));
  }

  bool finish(YamlNode n, std::string_view anchor, std::pair<std::size_t, std::size_t> at) {
    if (!anchor.empty()) anchors_[std::string(anchor)] = n;
    if (stack_.empty()) {
      root_ = std::move(n);
      return true;
    }
    Frame& f = stack_.back();
    if (f.node.is_map()) {
      if (!f.has_key) {
        f.key = std::move(n);
        f.has_key = true;
      } else {
        f.node.add_entry(std::move(f.key), std::move(n));
        f.key = {};
        f.has_key = false;
      }
    } else if (f.streamed) {
      stream_->item(n, stack_.front().node, std::string_view(text_).substr(at.first, at.second - at.first));
    } else {
      f.node.add_item(std::move(n));
    }
    return true;
  }

  const std::string& text_;
  const std::filesystem::path& file_;
  Diagnostics& diags_;
  const YamlStream* stream_;
  LineCounter lines_;
  std::vector<Frame> stack_;
  std::unordered_map<std::string, YamlNode> anchors_;
  YamlNode root_;
  int documents_ = 0;
  int depth_ = 0;
  bool streamed_ = false;
};

// Reads the text with libfyaml's event parser, which follows the YAML spec
// (yaml-cpp 0.7, read before, took an unclosed quote at the end of a file as
// running to the end, silently swallowing the posts after it), building
// nodes as the events come: no second pass and no tree beyond what is kept.
// False after reporting one error.
bool read_events(const std::string& text, const std::filesystem::path& file, Diagnostics& diags, Builder& builder) {
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
  while (fy_event* event = fy_parser_parse(parser.get())) {
    const bool ok = builder.on(event);
    fy_parser_event_free(parser.get(), event);
    if (!ok) return false;
  }
  if (!fy_parser_get_stream_error(parser.get()) && !fy_diag_got_error(diag.get())) return true;
  void* iter = nullptr;
  while (const fy_diag_error* e = fy_diag_errors_iterate(diag.get(), &iter)) {
    if (e->type < FYET_ERROR || !e->fyt) continue;
    diags.add(describe_syntax_error(*e, text, file));
    return false;
  }
  diags.error({file.string(), 0, 0}, "YAML syntax: the parser stopped without saying where");
  return false;
}

}  // namespace

YamlDocument parse_yaml(const std::string& text_in, const std::filesystem::path& file, Diagnostics& diags,
                        std::size_t max_bytes, const YamlStream* stream) {
  YamlDocument doc;
  if (text_in.size() > max_bytes) {
    diags.error({file.string(), 0, 0}, "file is " + std::to_string(text_in.size()) +
                                           " bytes, more than the limit of " + std::to_string(max_bytes));
    return doc;
  }
  std::optional<std::string> converted;
  if (is_utf16_or_32(text_in)) {
    converted = to_utf8(text_in);
    if (!converted) {
      diags.error({file.string(), 1, 1}, "the text is not valid UTF-16 or UTF-32 (save the file as UTF-8)");
      return doc;
    }
  }
  const std::string& text = converted ? *converted : text_in;
  Builder builder(text, file, diags, stream);
  if (!read_events(text, file, diags, builder)) return doc;
  doc.root = builder.root();
  doc.ok = true;
  return doc;
}

Location YamlReader::at(const YamlNode& node) const { return {file_.string(), node.line(), node.column()}; }

void YamlReader::error(const YamlNode& node, std::string message) { diags_.error(at(node), std::move(message)); }

void YamlReader::warning(const YamlNode& node, std::string message) {
  diags_.warning(at(node), std::move(message));
}

std::string describe(const YamlNode& node) {
  if (!node.defined() || node.is_null()) return "nothing";
  if (node.is_map()) return "a mapping";
  if (node.is_list()) return "a list";
  return "'" + node.scalar() + "'";
}

bool YamlReader::each_entry(const YamlNode& node, std::string_view what,
                            std::initializer_list<std::string_view> allowed,
                            const std::function<bool(const std::string&)>& allow_other,
                            const std::function<void(const std::string&, const YamlNode&, const YamlNode&)>& each) {
  return each_entry(node, what, std::span<const std::string_view>(allowed.begin(), allowed.size()), allow_other,
                    each);
}

bool YamlReader::each_entry(const YamlNode& node, std::string_view what,
                            std::span<const std::string_view> allowed,
                            const std::function<bool(const std::string&)>& allow_other,
                            const std::function<void(const std::string&, const YamlNode&, const YamlNode&)>& each) {
  if (!node.is_map()) {
    error(node, std::string(what) + " must be a mapping of key: value, not " + describe(node));
    return false;
  }
  std::set<std::string> seen;
  for (const auto& [key, value] : node.entries()) {
    if (!key.is_scalar()) {
      error(key, std::string("a key in ") + std::string(what) + " must be a plain name");
      continue;
    }
    const std::string name = key.scalar();
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
    each(name, key, value);
  }
  return true;
}

namespace {

// each_path for the mapping at `prefix` ("" for the top, "publishing.retry."
// inside): its keys are the next parts of the paths that start with it.
void each_path_at(YamlReader& r, const YamlNode& node, std::string_view what, const std::string& prefix,
                  std::span<const std::string_view> paths, const std::function<bool(std::size_t)>& listed,
                  const std::function<void(std::size_t, const YamlNode&, const YamlNode&)>& each) {
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
      [&](const std::string& name, const YamlNode& key, const YamlNode& value) {
        const std::string path = prefix + name;
        for (std::size_t i = 0; i < paths.size(); ++i) {
          if (paths[i] == path) return each(i, key, value);
        }
        // Not a row's whole path, so the start of some: a mapping of its own.
        each_path_at(r, value, path, path + ".", paths, listed, each);
      });
}

}  // namespace

void YamlReader::each_path(const YamlNode& node, std::string_view what, std::span<const std::string_view> paths,
                           const std::function<bool(std::size_t)>& listed,
                           const std::function<void(std::size_t, const YamlNode&, const YamlNode&)>& each) {
  each_path_at(*this, node, what, "", paths, listed, each);
}

std::optional<std::string> YamlReader::string(const YamlNode& node, std::string_view what) {
  if (!node.is_scalar()) {
    error(node, std::string(what) + " must be a text, not " + describe(node));
    return std::nullopt;
  }
  return node.scalar();
}

std::optional<std::string> YamlReader::text(const YamlNode& node, std::string_view what) {
  auto s = string(node, what);
  if (s && s->empty()) {
    error(node, std::string(what) + " must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<bool> YamlReader::boolean(const YamlNode& node, std::string_view what) {
  if (node.is_scalar()) {
    const std::string& s = node.scalar();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  error(node, std::string(what) + " must be true or false, not " + describe(node));
  return std::nullopt;
}

std::optional<long long> YamlReader::integer(const YamlNode& node, std::string_view what, long long min,
                                             long long max) {
  if (node.is_scalar()) {
    const std::string& s = node.scalar();
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

std::optional<double> YamlReader::number(const YamlNode& node, std::string_view what, double min, double max) {
  if (node.is_scalar()) {
    const std::string& s = node.scalar();
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

std::optional<std::chrono::seconds> YamlReader::duration(const YamlNode& node, std::string_view what,
                                                         std::chrono::seconds min, std::chrono::seconds max) {
  if (node.is_scalar()) {
    if (auto d = parse_duration(node.scalar())) {
      if (*d < min || *d > max) {
        error(node, std::string(what) + " must be between " + format_duration(min) + " and " + format_duration(max) +
                        ", not " + node.scalar());
        return std::nullopt;
      }
      return d;
    }
  }
  error(node, std::string(what) + " must be a duration such as 30s, 15m, 1h30m or 3d, not " + describe(node));
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlReader::string_list(const YamlNode& node, std::string_view what) {
  if (!node.is_list()) {
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
