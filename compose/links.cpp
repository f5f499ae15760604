#include "compose/links.hpp"
#include "config/text.hpp"

// A hand-written scanner that reproduces what twitter-text v3's URL regex and
// extractUrlsWithIndices() decide, without a regex engine: std::regex would be
// slow and recursion-prone on long posts. The regex is a backtracking one, so
// the rules below are stated as "what its first successful match is":
//
//   match   = preceding-char  [http(s)://]  domain  [:port]  [/path]  [?query]
//   domain  = label "." ... label "." tld      (the last label before the TLD
//             may not hold "_", a TLD is only a TLD when no ASCII letter, digit,
//             "@", "+" or "-" follows it; any "xn--" label also counts)
//   path    = "/" + path characters and balanced "(...)" up to the last
//             character that may end a path (letters, digits, "+-=_#/"),
//             plus "(...)" groups directly after that
//   query   = "?" + everything up to the last character that may end a query
//
// A match is then reported whole (with a scheme; a t.co link cut after its
// slug), as the ASCII domains inside it (without a scheme), or not at all
// (label over 63 characters in punycode, URL over 4096, a bare link after
// "-", "_", "." or "/"); the scan goes on after the match in every case.
//
// The regex runs over UTF-16 code units and its /i flag folds case the way
// JavaScript does; both show through in a few places, noted where they do.
// Every table is indexed by code point; byte offsets are only used at the end.

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

namespace herald {
namespace {

constexpr std::string_view kTlds[] = {
#include "data/tlds.inc"
};
static_assert(std::is_sorted(std::begin(kTlds), std::end(kTlds)),
              "compose/data/tlds.inc must be sorted by bytes");

constexpr std::size_t kMaxTldBytes = [] {
  std::size_t longest = 0;
  for (const auto tld : kTlds) longest = std::max(longest, tld.size());
  return longest;
}();

// twitter-text refuses a URL when its length in UTF-16 code units plus the
// length of its scheme (once more; 8 for "https://" when it has none) is over
// this.
constexpr std::size_t kMaxUrlLength = 4096;
constexpr std::size_t kDefaultSchemeLength = 8;  // "https://"
constexpr std::size_t kMaxTcoSlugLength = 40;
constexpr std::size_t kMaxLabelLength = 63;      // DNS, after punycode

constexpr char32_t kReplacementChar = 0xFFFD;
using Index = std::uint32_t;
constexpr Index kNone = std::numeric_limits<Index>::max();

constexpr bool in_range(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }
constexpr bool is_astral(char32_t c) { return c > 0xFFFF; }
constexpr bool is_ascii_digit(char32_t c) { return in_range(c, '0', '9'); }
constexpr bool is_ascii_alpha(char32_t c) {
  return in_range(c, 'a', 'z') || in_range(c, 'A', 'Z');
}
constexpr bool is_ascii_alnum(char32_t c) { return is_ascii_digit(c) || is_ascii_alpha(c); }
constexpr char32_t ascii_lower(char32_t c) { return in_range(c, 'A', 'Z') ? c + 32 : c; }

// ---------------------------------------------------------------------------
// Character classes, as twitter-text defines them.

constexpr bool is_space(char32_t c) {
  return in_range(c, 0x09, 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         c == 0x180E || in_range(c, 0x2000, 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

constexpr bool is_invalid_char(char32_t c) { return c == 0xFFFE || c == 0xFEFF || c == 0xFFFF; }

constexpr bool is_directional_mark(char32_t c) {
  return in_range(c, 0x202A, 0x202E) || c == 0x061C || c == 0x200E || c == 0x200F ||
         in_range(c, 0x2066, 0x2069);
}

// twitter-text's "punct": ASCII punctuation except '"' and '`', which it
// leaves out, so those two are domain characters.
constexpr bool is_domain_punct(char32_t c) {
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case '-': case '.': case '/': case ':': case ';':
    case '<': case '=': case '>': case '?': case '@': case '[': case '\\': case ']':
    case '^': case '_': case '{': case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

// Anything that is not punctuation, space, a directional mark or a
// non-character may be part of a domain label: letters of every script,
// digits, emoji, even control characters.
constexpr bool is_domain_char(char32_t c) {
  return !is_domain_punct(c) && !is_space(c) && !is_invalid_char(c) && !is_directional_mark(c);
}

constexpr bool is_label_char(char32_t c) { return is_domain_char(c) || c == '_' || c == '-'; }

// A URL starts after a character that is not an ASCII letter or digit, "@",
// "$", "#" (or their full-width forms), or at the start of the text.
constexpr bool is_preceding_char(char32_t c) {
  return !is_ascii_alnum(c) && c != '@' && c != 0xFF20 && c != '$' && c != '#' &&
         c != 0xFF03 && !is_invalid_char(c);
}

// A protocol-less link directly after one of these is refused: it is the tail
// of something else ("ftp://x.nl", "mail.example.nl" after a subdomain).
constexpr bool blocks_bare_link(char32_t c) { return c == '-' || c == '_' || c == '.' || c == '/'; }

// twitter-text's latinAccentChars. The regex has the /i flag, and JavaScript's
// non-Unicode case folding also lets in a few characters whose upper case is
// in the ranges (e.g. U+0292 ʒ, whose upper case Ʒ is in Latin Extended-B).
constexpr bool is_latin_accent(char32_t c) {
  if (in_range(c, 0xC0, 0xD6) || in_range(c, 0xD8, 0xF6) || in_range(c, 0xF8, 0x24F) ||
      in_range(c, 0x300, 0x36F) || in_range(c, 0x1E00, 0x1EFF)) {
    return true;
  }
  switch (c) {
    case 0x253: case 0x254: case 0x256: case 0x257: case 0x259: case 0x25B: case 0x263:
    case 0x268: case 0x26F: case 0x272: case 0x289: case 0x28B: case 0x2BB:
    // Added by /i case folding:
    case 0x260: case 0x269: case 0x275: case 0x280: case 0x283: case 0x288: case 0x28A:
    case 0x28C: case 0x292: case 0x399: case 0x3B9: case 0x1FBE: case 0x2C65: case 0x2C66:
    case 0x2C7E: case 0x2C7F: case 0xA7DC:
      return true;
    default:
      return false;
  }
}

// Cyrillic block, plus the Cyrillic Extended-C letters /i folds into it.
constexpr bool is_cyrillic(char32_t c) {
  return in_range(c, 0x400, 0x4FF) || in_range(c, 0x1C80, 0x1C87);
}

constexpr bool is_path_char(char32_t c) {
  if (is_ascii_alnum(c) || is_cyrillic(c) || is_latin_accent(c) || c == 0x2013) return true;
  switch (c) {
    case '!': case '*': case '\'': case ';': case ':': case '=': case '+': case ',': case '.':
    case '$': case '/': case '%': case '#': case '[': case ']': case '-': case '_': case '~':
    case '@': case '|': case '&':
      return true;
    default:
      return false;
  }
}

// What a path may end with; anything else at the end ("." "," "!" "?" ":" "'"
// ...) is taken as the sentence's punctuation, not the link's.
constexpr bool is_path_end_char(char32_t c) {
  return is_ascii_alnum(c) || is_cyrillic(c) || is_latin_accent(c) || c == '+' || c == '-' ||
         c == '=' || c == '_' || c == '#' || c == '/';
}

constexpr bool is_query_char(char32_t c) {
  if (is_ascii_alnum(c)) return true;
  switch (c) {
    case '!': case '?': case '*': case '\'': case '@': case '(': case ')': case ';': case ':':
    case '&': case '=': case '+': case '$': case '/': case '%': case '#': case '[': case ']':
    case '-': case '_': case '.': case ',': case '~': case '|':
      return true;
    default:
      return false;
  }
}

constexpr bool is_query_end_char(char32_t c) {
  return is_ascii_alnum(c) || c == '-' || c == '_' || c == '&' || c == '=' || c == '#' ||
         c == '/';
}

// The characters of the ASCII part of a protocol-less domain.
constexpr bool is_ascii_domain_char(char32_t c) {
  return is_ascii_alnum(c) || c == '-' || is_latin_accent(c);
}

// A TLD must not run on into one of these.
constexpr bool may_follow_tld(char32_t c) {
  return !is_ascii_alnum(c) && c != '@' && c != '+' && c != '-';
}

// Maps a character to the lower-case letter of tlds.inc it matches under
// JavaScript's /i, for the scripts that occur in TLDs. Non-ASCII characters
// never fold to ASCII (JavaScript's rule), so the Kelvin sign is not a "k".
constexpr char32_t fold_tld_char(char32_t c) {
  if (c < 0x80) return ascii_lower(c);
  if (in_range(c, 0xC0, 0xDE) && c != 0xD7) return c + 0x20;  // Latin-1
  if (in_range(c, 0x391, 0x3A9) && c != 0x3A2) return c + 0x20;  // Greek
  if (c == 0x3F5) return 0x3B5;  // lunate epsilon, upper case Ε
  if (in_range(c, 0x410, 0x42F)) return c + 0x20;  // Cyrillic
  if (in_range(c, 0x400, 0x40F)) return c + 0x50;
  if ((in_range(c, 0x460, 0x481) || in_range(c, 0x48A, 0x4BF) || in_range(c, 0x4D0, 0x4FF)) &&
      c % 2 == 0) {
    return c + 1;
  }
  if (in_range(c, 0x4C1, 0x4CE) && c % 2 == 1) return c + 1;
  if (c == 0x4C0) return 0x4CF;
  if (in_range(c, 0x1C80, 0x1C87)) {  // Cyrillic Extended-C: variants of в д о с т т ъ ѣ
    constexpr char32_t kLower[] = {0x432, 0x434, 0x43E, 0x441, 0x442, 0x442, 0x44A, 0x463};
    return kLower[c - 0x1C80];
  }
  if (in_range(c, 0x531, 0x556)) return c + 0x30;  // Armenian
  if (in_range(c, 0x1C90, 0x1CBA) || in_range(c, 0x1CBD, 0x1CBF)) return c - 0xBC0;  // Georgian
  return c;
}

// Appends `c` as UTF-8 (config/text's encode_utf8); returns false when
// `out` has no room left.
template <std::size_t N>
bool append_utf8(std::array<char, N>& out, std::size_t& size, char32_t c) {
  char bytes[4];
  const std::size_t count = encode_utf8(c, bytes);
  if (size + count > N) return false;
  std::copy_n(bytes, count, out.begin() + static_cast<std::ptrdiff_t>(size));
  size += count;
  return true;
}

bool in_tld_table(std::string_view folded) {
  return std::binary_search(std::begin(kTlds), std::end(kTlds), folded);
}

// ---------------------------------------------------------------------------
// UTF-8 in, code points out.

struct Decoded {
  std::vector<char32_t> cp;
  std::vector<std::size_t> offset;  // byte offset of each code point, then the text's size
};

Decoded decode_utf8(std::string_view text) {
  Decoded d;
  d.cp.reserve(text.size());
  d.offset.reserve(text.size() + 1);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t trail = 0;
    char32_t c = lead;
    char32_t smallest = 0;
    if (in_range(lead, 0xC2, 0xDF)) {
      trail = 1, c = lead & 0x1Fu, smallest = 0x80;
    } else if (in_range(lead, 0xE0, 0xEF)) {
      trail = 2, c = lead & 0x0Fu, smallest = 0x800;
    } else if (in_range(lead, 0xF0, 0xF4)) {
      trail = 3, c = lead & 0x07u, smallest = 0x10000;
    }
    bool ok = lead < 0x80 || (trail > 0 && i + trail < text.size());
    for (std::size_t k = 1; ok && k <= trail; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      ok = (b & 0xC0) == 0x80;
      c = (c << 6) | (b & 0x3Fu);
    }
    ok = ok && c >= smallest && c <= 0x10FFFF && !in_range(c, 0xD800, 0xDFFF);
    d.cp.push_back(ok ? c : kReplacementChar);
    d.offset.push_back(i);
    i += ok ? trail + 1 : 1;  // a bad byte stands for one U+FFFD
  }
  d.offset.push_back(text.size());
  return d;
}

// ---------------------------------------------------------------------------
// Punycode (RFC 3492), only as far as twitter-text uses it: the length of a
// label's ASCII form, which must be 1..63.

std::size_t punycode_length(const std::vector<char32_t>& input) {
  constexpr std::uint64_t kBase = 36, kTmin = 1, kTmax = 26, kSkew = 38, kDamp = 700;
  const auto adapt = [&](std::uint64_t delta, std::uint64_t points, bool first) {
    delta = first ? delta / kDamp : delta / 2;
    delta += delta / points;
    std::uint64_t k = 0;
    while (delta > ((kBase - kTmin) * kTmax) / 2) {
      delta /= kBase - kTmin;
      k += kBase;
    }
    return k + (kBase - kTmin + 1) * delta / (delta + kSkew);
  };
  const auto basic = static_cast<std::size_t>(
      std::count_if(input.begin(), input.end(), [](char32_t c) { return c < 0x80; }));
  std::size_t length = basic + (basic > 0 ? 1 : 0);
  std::uint64_t n = 0x80, delta = 0, bias = 72;
  std::size_t handled = basic;
  while (handled < input.size()) {
    std::uint64_t next = std::numeric_limits<std::uint64_t>::max();
    for (const char32_t c : input) {
      if (c >= n) next = std::min<std::uint64_t>(next, c);
    }
    delta += (next - n) * (handled + 1);
    n = next;
    for (const char32_t c : input) {
      if (c < n) ++delta;
      if (c != n) continue;
      std::uint64_t q = delta;
      for (std::uint64_t k = kBase;; k += kBase) {
        const std::uint64_t t = k <= bias ? kTmin : (k >= bias + kTmax ? kTmax : k - bias);
        if (q < t) break;
        ++length;
        q = (q - t) / (kBase - t);
      }
      ++length;
      bias = adapt(delta, handled + 1, handled == basic);
      delta = 0;
      ++handled;
    }
    ++delta;
    ++n;
  }
  return length;
}

// The length of one dot-separated label after the punycode library's
// toASCII(): it splits again at the IDNA full stops, and encodes a part when
// it has a character outside U+0000..U+007E.
std::size_t ascii_label_length(const std::vector<char32_t>& label) {
  if (label.size() > kMaxLabelLength) return label.size();  // each character costs >= 1
  std::size_t total = 0;
  std::vector<char32_t> part;
  const auto flush = [&] {
    const bool ascii = std::all_of(part.begin(), part.end(), [](char32_t c) { return c <= 0x7E; });
    total += ascii ? part.size() : 4 + punycode_length(part);
    part.clear();
  };
  for (const char32_t c : label) {
    if (c == 0x3002 || c == 0xFF0E || c == 0xFF61) {
      flush();
      ++total;  // the '.' it becomes
    } else {
      part.push_back(c);
    }
  }
  flush();
  return total;
}

// ---------------------------------------------------------------------------
// The scanner.

struct Span {
  std::size_t begin;
  std::size_t end;
  bool has_scheme;
};

// Where the regex would try to start a URL: just after the preceding
// character it consumed, or at the text's start.
struct Start {
  std::size_t at = 0;
  bool bare_allowed = true;  // false after - _ . /
  // The regex sees UTF-16: after an emoji's high surrogate it tries a URL
  // that starts at the low surrogate, i.e. in the middle of code point `at`.
  bool inside_astral = false;
};

struct Match {
  std::size_t begin;       // the URL, scheme included
  std::size_t domain;      // where the host starts
  std::size_t domain_end;
  bool has_path;
  std::size_t end;
};

class UrlScanner {
 public:
  explicit UrlScanner(const std::vector<char32_t>& cp) : cp_(cp), n_(cp.size()) {
    if (n_ >= kNone) throw std::length_error("extract_links: text too long");
    index_labels();
  }

  // Each turn finds the regex's next match at or after the end of the
  // previous one (its lastIndex), decides whether twitter-text reports it
  // (whole, in ASCII parts, cut to a t.co link, or not at all) and moves on
  // past it either way.
  std::vector<Span> scan() {
    std::vector<Span> out;
    std::size_t last = 0;
    while (last < n_) {
      const auto found = next_match(last);
      if (!found) break;
      report(found->first, found->second, out);
      last = found->second.end;
    }
    return out;
  }

 private:
  // label_end_[i]: first index >= i that cannot be in a domain label.
  // underscore_[i]: first "_" at or after i.
  // chain_[i], for i just after a ".": the start of the label that the
  // greedy domain regex takes as the one before the TLD when the labels from
  // i onwards are the subdomains, or kNone. Computed right to left, it makes
  // every start position O(1), so the scan stays linear.
  void index_labels() {
    label_end_.assign(n_ + 1, static_cast<Index>(n_));
    underscore_.assign(n_ + 1, static_cast<Index>(n_));
    chain_.assign(n_ + 1, kNone);
    for (std::size_t i = n_; i-- > 0;) {
      label_end_[i] = is_label_char(cp_[i]) ? label_end_[i + 1] : static_cast<Index>(i);
      underscore_[i] = cp_[i] == '_' ? static_cast<Index>(i) : underscore_[i + 1];
    }
    for (std::size_t i = n_; i-- > 1;) {
      if (cp_[i - 1] != '.') continue;
      const std::size_t e = label_end_[i];
      if (!subdomain_label(i, e)) continue;
      if (chain_[e + 1] != kNone) {
        chain_[i] = chain_[e + 1];
      } else if (underscore_[i] >= e && tld_length(e + 1, n_) > 0) {
        chain_[i] = static_cast<Index>(i);
      }
    }
  }

  // [from, e) is a label followed by a "." (and its first and last characters
  // are domain characters, not "_" or "-").
  bool subdomain_label(std::size_t from, std::size_t e) const {
    return from < e && e < n_ && cp_[e] == '.' && is_domain_char(cp_[from]) &&
           is_domain_char(cp_[e - 1]);
  }

  // The length of the TLD at `at` (0: none), looking no further than `limit`,
  // where the text counts as ended. The longest table entry wins; else any
  // "xn--" label is taken, as twitter-text does.
  std::size_t tld_length(std::size_t at, std::size_t limit) const {
    std::array<char, kMaxTldBytes> key{};
    std::size_t size = 0;
    std::size_t found = 0;
    for (std::size_t k = at; k < limit; ++k) {
      if (!is_domain_char(cp_[k]) && cp_[k] != '-') break;
      if (!append_utf8(key, size, fold_tld_char(cp_[k]))) break;
      const bool boundary = k + 1 == limit || may_follow_tld(cp_[k + 1]);
      if (boundary && in_tld_table(std::string_view(key.data(), size))) found = k + 1 - at;
    }
    if (found > 0) return found;
    if (at + 4 < limit && ascii_lower(cp_[at]) == 'x' && ascii_lower(cp_[at + 1]) == 'n' &&
        cp_[at + 2] == '-' && cp_[at + 3] == '-') {
      std::size_t k = at + 4;
      while (k < limit && (is_ascii_alnum(cp_[k]) || cp_[k] == '-')) ++k;
      if (k > at + 4) return k - at;
    }
    return 0;
  }

  // The end of the domain starting at `d`, if one does.
  std::optional<std::size_t> domain_end(std::size_t d) const {
    if (d >= n_) return std::nullopt;
    const std::size_t e = label_end_[d];
    if (!subdomain_label(d, e)) return std::nullopt;
    std::size_t last_label = chain_[e + 1];
    if (last_label == kNone) {
      if (underscore_[d] < e || tld_length(e + 1, n_) == 0) return std::nullopt;
      last_label = d;
    }
    const std::size_t tld = label_end_[last_label] + 1;
    return tld + tld_length(tld, n_);
  }

  std::size_t scheme_length(std::size_t at) const {
    const auto has = [&](std::string_view s) {
      if (at + s.size() > n_) return false;
      for (std::size_t k = 0; k < s.size(); ++k) {
        if (ascii_lower(cp_[at + k]) != static_cast<char32_t>(s[k])) return false;
      }
      return true;
    };
    if (has("https://")) return 8;
    if (has("http://")) return 7;
    return 0;
  }

  // The end of a balanced "(...)" at `open` (one nested pair allowed), if any.
  std::optional<std::size_t> balanced_parens(std::size_t open) const {
    if (open >= n_ || cp_[open] != '(') return std::nullopt;
    std::size_t k = open + 1;
    while (k < n_ && is_path_char(cp_[k])) ++k;
    if (k < n_ && cp_[k] == ')' && k > open + 1) return k + 1;
    if (k >= n_ || cp_[k] != '(') return std::nullopt;
    const std::size_t inner = k + 1;
    k = inner;
    while (k < n_ && is_path_char(cp_[k])) ++k;
    if (k == inner || k >= n_ || cp_[k] != ')') return std::nullopt;
    ++k;
    while (k < n_ && is_path_char(cp_[k])) ++k;
    if (k < n_ && cp_[k] == ')') return k + 1;
    return std::nullopt;
  }

  // The path after its "/" at `from`. twitter-text's path is a series of
  // units, each either "path characters and balanced (...) ending in a
  // path-ending character" or a lone balanced "(...)". So: the longest run of
  // those is cut after its last path-ending character, and "(...)" groups
  // directly after the cut are kept ("/a(b)" whole, "/a.(b)" only "/a").
  std::size_t path_end(std::size_t from) const {
    std::size_t end = from;
    for (std::size_t k = from; k < n_;) {
      if (is_path_char(cp_[k])) {
        ++k;
        if (is_path_end_char(cp_[k - 1])) end = k;
      } else if (const auto close = balanced_parens(k)) {
        k = *close;
      } else {
        break;
      }
    }
    while (const auto close = balanced_parens(end)) end = *close;
    return end;
  }

  // The end of a query whose text starts at `from` (after its "?"), if it has
  // a character that may end one.
  std::optional<std::size_t> query_end(std::size_t from, std::size_t limit) const {
    std::optional<std::size_t> end;
    for (std::size_t k = from; k < limit && is_query_char(cp_[k]); ++k) {
      if (is_query_end_char(cp_[k])) end = k + 1;
    }
    return end;
  }

  std::optional<Match> match_at(const Start& start) const {
    const std::size_t scheme = start.inside_astral ? 0 : scheme_length(start.at);
    const std::size_t d = start.at + scheme;
    // With a scheme the host must follow it: "http" itself is never a domain.
    const auto host_end = domain_end(d);
    if (!host_end) return std::nullopt;
    std::size_t k = *host_end;
    if (k + 1 < n_ && cp_[k] == ':' && is_ascii_digit(cp_[k + 1])) {
      ++k;
      while (k < n_ && is_ascii_digit(cp_[k])) ++k;
    }
    const bool has_path = k < n_ && cp_[k] == '/';
    if (has_path) k = path_end(k + 1);
    if (k < n_ && cp_[k] == '?') k = query_end(k + 1, n_).value_or(k);
    return Match{start.at, d, *host_end, has_path, k};
  }

  // The regex's next match whose preceding character is at or after `last`,
  // with the start it was found from. At each position it tries, in order:
  // a URL after this character, then (only at 0) one at the text's start.
  std::optional<std::pair<Start, Match>> next_match(std::size_t last) const {
    const auto attempt = [&](const Start& s) -> std::optional<std::pair<Start, Match>> {
      if (s.at >= n_) return std::nullopt;
      if (auto m = match_at(s)) return std::pair{s, *m};
      return std::nullopt;
    };
    for (std::size_t p = last; p < n_; ++p) {
      const char32_t c = cp_[p];
      std::optional<std::pair<Start, Match>> found;
      if (is_astral(c)) {
        // High surrogate consumed: a URL from the low surrogate on.
        found = attempt(Start{p, true, true});
      } else if (is_preceding_char(c)) {
        found = attempt(Start{p + 1, !blocks_bare_link(c), false});
      }
      if (!found && p == 0) found = attempt(Start{0, true, false});
      if (!found && is_astral(c)) {
        // Low surrogate consumed: a URL after the whole character.
        found = attempt(Start{p + 1, true, false});
      }
      if (found) return found;
    }
    return std::nullopt;
  }

  std::size_t utf16_length(std::size_t begin, std::size_t end) const {
    std::size_t units = 0;
    for (std::size_t k = begin; k < end; ++k) units += is_astral(cp_[k]) ? 2 : 1;
    return units;
  }

  // twitter-text's isValidUrl(): not too long, and every label of the host
  // 1..63 characters long in its ASCII form. A host spelled from "xn--" on
  // must also hold an ASCII domain.
  bool valid_url(const Start& start, const Match& m, std::size_t scheme) const {
    const std::size_t units = utf16_length(m.begin, m.end) - (start.inside_astral ? 1 : 0);
    if ((scheme > 0 ? scheme : kDefaultSchemeLength) + units > kMaxUrlLength) return false;
    const std::size_t d = m.domain;
    if (m.domain_end - d >= 4 && cp_[d] == 'x' && cp_[d + 1] == 'n' && cp_[d + 2] == '-' &&
        cp_[d + 3] == '-' && ascii_domains(d, m.domain_end).empty()) {
      return false;
    }
    std::size_t label_begin = d;
    for (std::size_t k = d; k <= m.domain_end; ++k) {
      if (k < m.domain_end && cp_[k] != '.') continue;
      // Every character costs at least one in the ASCII form.
      if (k - label_begin > kMaxLabelLength) return false;
      std::vector<char32_t> label(cp_.begin() + static_cast<std::ptrdiff_t>(label_begin),
                                  cp_.begin() + static_cast<std::ptrdiff_t>(k));
      if (start.inside_astral && label_begin == d) {
        // The host starts at the low surrogate, which punycode reads as a
        // code point of its own.
        label.front() = 0xDC00 + ((label.front() - 0x10000) & 0x3FF);
      }
      const std::size_t length = ascii_label_length(label);
      if (length < 1 || length > kMaxLabelLength) return false;
      label_begin = k + 1;
    }
    return true;
  }

  // twitter-text's validAsciiDomain, run over a protocol-less host: the
  // stretches "label.label.tld" made of ASCII letters, digits, "-" and Latin
  // accented letters, leftmost first. As in the domain rule, the labels are
  // taken greedily and the TLD is the last one that fits.
  std::vector<std::pair<std::size_t, std::size_t>> ascii_domains(std::size_t begin,
                                                                 std::size_t end) const {
    const std::size_t size = end - begin;
    std::vector<std::size_t> run_end(size + 1, end);  // first non-ASCII-domain char
    std::vector<std::size_t> tld_at(size + 1, n_);    // index of the chosen TLD, n_: none
    for (std::size_t k = end; k-- > begin;) {
      run_end[k - begin] = is_ascii_domain_char(cp_[k]) ? run_end[k + 1 - begin] : k;
    }
    for (std::size_t k = end; k-- > begin + 1;) {
      if (cp_[k - 1] != '.') continue;
      const std::size_t e = run_end[k - begin];
      const std::size_t further =
          (k < e && e < end && cp_[e] == '.') ? tld_at[e + 1 - begin] : n_;
      tld_at[k - begin] = further != n_ ? further : (tld_length(k, end) > 0 ? k : n_);
    }
    std::vector<std::pair<std::size_t, std::size_t>> found;
    for (std::size_t s = begin; s < end;) {
      const std::size_t e = run_end[s - begin];
      const std::size_t tld = (s < e && e < end && cp_[e] == '.') ? tld_at[e + 1 - begin] : n_;
      if (tld == n_) {
        ++s;
        continue;
      }
      const std::size_t stop = tld + tld_length(tld, end);
      found.emplace_back(s, stop);
      s = stop;
    }
    return found;
  }

  // The end of "http(s)://t.co/slug[?query]" within the match, kNone when the
  // match is no such link, 0 when its slug is too long to be real.
  std::size_t tco_end(const Match& m) const {
    const std::size_t d = m.domain;
    if (d + 5 > m.end || ascii_lower(cp_[d]) != 't' || cp_[d + 1] != '.' ||
        ascii_lower(cp_[d + 2]) != 'c' || ascii_lower(cp_[d + 3]) != 'o' || cp_[d + 4] != '/') {
      return kNone;
    }
    std::size_t k = d + 5;
    while (k < m.end && is_ascii_alnum(cp_[k])) ++k;
    if (k == d + 5) return kNone;
    if (k - (d + 5) > kMaxTcoSlugLength) return 0;
    if (k < m.end && cp_[k] == '?') k = query_end(k + 1, m.end).value_or(k);
    return k;
  }

  void report(const Start& start, const Match& m, std::vector<Span>& out) const {
    const std::size_t scheme = m.domain - m.begin;
    if (!valid_url(start, m, scheme)) return;
    if (scheme > 0) {
      // A t.co link is cut after its slug (and query): nothing else follows.
      const std::size_t tco = tco_end(m);
      if (tco == 0) return;
      out.push_back({m.begin, tco == kNone ? m.end : tco, true});
      return;
    }
    if (!start.bare_allowed) return;
    const auto parts = ascii_domains(m.domain, m.domain_end);
    for (const auto& [begin, end] : parts) out.push_back({begin, end, false});
    // Only with a path does the last part keep what follows the host; a bare
    // "example.nl:8080" or "example.nl?q=1" is reported as "example.nl".
    if (!parts.empty() && m.has_path) out.back().end = m.end;
  }

  const std::vector<char32_t>& cp_;
  std::size_t n_;
  std::vector<Index> label_end_;
  std::vector<Index> underscore_;
  std::vector<Index> chain_;
};

}  // namespace

std::vector<Link> extract_links(std::string_view utf8) {
  if (utf8.find('.') == std::string_view::npos) return {};  // no domain without a dot
  const Decoded text = decode_utf8(utf8);
  std::vector<Link> links;
  for (const Span& s : UrlScanner(text.cp).scan()) {
    links.push_back({text.offset[s.begin], text.offset[s.end], s.has_scheme});
  }
  return links;
}

std::string_view link_text(std::string_view text, const Link& link) {
  if (link.begin > link.end || link.end > text.size()) return {};
  return text.substr(link.begin, link.end - link.begin);
}

bool is_known_tld(std::string_view label) {
  const Decoded d = decode_utf8(label);
  std::array<char, kMaxTldBytes> key{};
  std::size_t size = 0;
  for (const char32_t c : d.cp) {
    if (c == kReplacementChar || !append_utf8(key, size, fold_tld_char(c))) return false;
  }
  return size > 0 && in_tld_table(std::string_view(key.data(), size));
}

}  // namespace herald
