#include "compose/tweet_length.hpp"
#include "config/text.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>

namespace herald {

namespace {

// ---- twitter-text v3 configuration (its "defaults", config version 3) ----

struct WeightRange {
  char32_t first, last;
  int weight;
};

constexpr int kScale = 100;
constexpr int kDefaultWeight = 200;
constexpr int kTransformedUrlLength = 23;
constexpr std::array<WeightRange, 4> kWeightRanges{{
    {0, 4351, 100},     // Latin, Greek, Cyrillic, Hebrew, Arabic, Indic, ... up to Georgian
    {8192, 8205, 100},  // spaces, zero-width space / non-joiner / joiner
    {8208, 8223, 100},  // dashes, curly quotes
    {8242, 8247, 100},  // primes
}};

// U+FFFE, U+FEFF and U+FFFF make a tweet invalid (twitter-text's invalidChars;
// the bidi controls U+202A..U+202E only matter to its URL extraction).
bool is_invalid_char(char32_t c) { return c == 0xFFFE || c == 0xFEFF || c == 0xFFFF; }

int char_weight(char32_t c) {
  for (const auto& r : kWeightRanges)
    if (c >= r.first && c <= r.last) return r.weight;
  return kDefaultWeight;
}

// ---- UTF-8 ----

constexpr char32_t kReplacementChar = 0xFFFD;

struct Decoded {
  char32_t value;     // U+FFFD when ill-formed
  std::size_t size;   // bytes consumed: the sequence, or the ill-formed subpart
  bool well_formed;
};

// Decodes the code point at s[i]. Ill-formed input yields U+FFFD for its
// maximal subpart (Unicode 15 section 3.9, "U+FFFD Substitution of Maximal
// Subparts"), which is what JavaScript's TextDecoder does too.
Decoded decode_at(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return {lead, 1, true};
  std::size_t trail = 0;
  char32_t value = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the first trail byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    trail = 1;
    value = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    trail = 2;
    value = lead & 0x0Fu;
    if (lead == 0xE0) lo = 0xA0;  // no overlong forms
    if (lead == 0xED) hi = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    trail = 3;
    value = lead & 0x07u;
    if (lead == 0xF0) lo = 0x90;  // no overlong forms
    if (lead == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {kReplacementChar, 1, false};
  }
  std::size_t n = 1;
  for (; n <= trail; ++n) {
    if (i + n >= s.size()) return {kReplacementChar, n, false};
    const auto b = static_cast<unsigned char>(s[i + n]);
    if (b < lo || b > hi) return {kReplacementChar, n, false};
    lo = 0x80;
    hi = 0xBF;
    value = (value << 6) | (b & 0x3Fu);
  }
  return {value, n, true};
}

std::string repair_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const Decoded d = decode_at(s, i);
    if (d.well_formed)
      out.append(s.substr(i, d.size));
    else
      append_utf8(out, kReplacementChar);
    i += d.size;
  }
  return out;
}

struct CodePoint {
  char32_t value;
  std::size_t begin, end;  // bytes
};

std::vector<CodePoint> decode(std::string_view s) {
  std::vector<CodePoint> out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const Decoded d = decode_at(s, i);
    out.push_back({d.value, i, i + d.size});
    i += d.size;
  }
  return out;
}

// ---- Emoji ----
//
// twitter-text (emojiParsingEnabled) counts each emoji that twemoji-parser's
// regular expression finds as one character of weight 200, however many code
// points it has. That expression is a leftmost-first scan of the whole text,
// not a grapheme segmentation: an emoji followed by a combining mark is an
// emoji plus a mark, and only some emoji take a following VS16 (U+FE0F) into
// the match; after the others the VS16 weighs 200 of its own. The scanner
// below reproduces those matches from Unicode properties rather than from
// twemoji-parser's list of sequences; EmojiScanner::emoji_length says where
// the two differ.

constexpr std::uint8_t kPres = 1;     // Emoji_Presentation
constexpr std::uint8_t kVs = 2;       // takes a VS16 (see kEmojiRanges)
constexpr std::uint8_t kModBase = 4;  // Emoji_Modifier_Base (takes a skin tone)

struct EmojiRange {
  char32_t first, last;
  std::uint8_t flags;
};

// Every Emoji=Yes code point of Unicode 15.0 (the version utf8proc 2.8
// implements) except ASCII, regional indicators and skin tones, which have
// rules of their own. Derived from Debian's unicode-data 15.0 files:
// kPres = Emoji_Presentation and kModBase = Emoji_Modifier_Base from
// emoji/emoji-data.txt; kVs = has an emoji variation sequence in
// emoji/emoji-variation-sequences.txt and is either text-presentation or
// older than Unicode 6.0 (DerivedAge.txt). The emoji-presentation characters
// of Unicode 6.0 and later (😀, ✅, ⏩) only gained variation sequences after
// Emoji 11.0, so twemoji-parser 11 leaves their VS16 out of the match.
// Adjacent code points with equal flags are merged into one range.
constexpr EmojiRange kEmojiRanges[] = {
    {0x00A9, 0x00A9, kVs}, {0x00AE, 0x00AE, kVs}, {0x203C, 0x203C, kVs}, {0x2049, 0x2049, kVs},
    {0x2122, 0x2122, kVs}, {0x2139, 0x2139, kVs}, {0x2194, 0x2199, kVs}, {0x21A9, 0x21AA, kVs},
    {0x231A, 0x231B, kPres | kVs}, {0x2328, 0x2328, kVs}, {0x23CF, 0x23CF, kVs},
    {0x23E9, 0x23EC, kPres}, {0x23ED, 0x23EF, kVs}, {0x23F0, 0x23F0, kPres}, {0x23F1, 0x23F2, kVs},
    {0x23F3, 0x23F3, kPres}, {0x23F8, 0x23FA, kVs}, {0x24C2, 0x24C2, kVs}, {0x25AA, 0x25AB, kVs},
    {0x25B6, 0x25B6, kVs}, {0x25C0, 0x25C0, kVs}, {0x25FB, 0x25FC, kVs},
    {0x25FD, 0x25FE, kPres | kVs}, {0x2600, 0x2604, kVs}, {0x260E, 0x260E, kVs},
    {0x2611, 0x2611, kVs}, {0x2614, 0x2615, kPres | kVs}, {0x2618, 0x2618, kVs},
    {0x261D, 0x261D, kVs | kModBase}, {0x2620, 0x2620, kVs}, {0x2622, 0x2623, kVs},
    {0x2626, 0x2626, kVs}, {0x262A, 0x262A, kVs}, {0x262E, 0x262F, kVs}, {0x2638, 0x263A, kVs},
    {0x2640, 0x2640, kVs}, {0x2642, 0x2642, kVs}, {0x2648, 0x2653, kPres | kVs},
    {0x265F, 0x2660, kVs}, {0x2663, 0x2663, kVs}, {0x2665, 0x2666, kVs}, {0x2668, 0x2668, kVs},
    {0x267B, 0x267B, kVs}, {0x267E, 0x267E, kVs}, {0x267F, 0x267F, kPres | kVs},
    {0x2692, 0x2692, kVs}, {0x2693, 0x2693, kPres | kVs}, {0x2694, 0x2697, kVs},
    {0x2699, 0x2699, kVs}, {0x269B, 0x269C, kVs}, {0x26A0, 0x26A0, kVs},
    {0x26A1, 0x26A1, kPres | kVs}, {0x26A7, 0x26A7, kVs}, {0x26AA, 0x26AB, kPres | kVs},
    {0x26B0, 0x26B1, kVs}, {0x26BD, 0x26BE, kPres | kVs}, {0x26C4, 0x26C5, kPres | kVs},
    {0x26C8, 0x26C8, kVs}, {0x26CE, 0x26CE, kPres}, {0x26CF, 0x26CF, kVs}, {0x26D1, 0x26D1, kVs},
    {0x26D3, 0x26D3, kVs}, {0x26D4, 0x26D4, kPres | kVs}, {0x26E9, 0x26E9, kVs},
    {0x26EA, 0x26EA, kPres | kVs}, {0x26F0, 0x26F1, kVs}, {0x26F2, 0x26F3, kPres | kVs},
    {0x26F4, 0x26F4, kVs}, {0x26F5, 0x26F5, kPres | kVs}, {0x26F7, 0x26F8, kVs},
    {0x26F9, 0x26F9, kVs | kModBase}, {0x26FA, 0x26FA, kPres | kVs}, {0x26FD, 0x26FD, kPres | kVs},
    {0x2702, 0x2702, kVs}, {0x2705, 0x2705, kPres}, {0x2708, 0x2709, kVs},
    {0x270A, 0x270B, kPres | kModBase}, {0x270C, 0x270D, kVs | kModBase}, {0x270F, 0x270F, kVs},
    {0x2712, 0x2712, kVs}, {0x2714, 0x2714, kVs}, {0x2716, 0x2716, kVs}, {0x271D, 0x271D, kVs},
    {0x2721, 0x2721, kVs}, {0x2728, 0x2728, kPres}, {0x2733, 0x2734, kVs}, {0x2744, 0x2744, kVs},
    {0x2747, 0x2747, kVs}, {0x274C, 0x274C, kPres}, {0x274E, 0x274E, kPres},
    {0x2753, 0x2755, kPres}, {0x2757, 0x2757, kPres | kVs}, {0x2763, 0x2764, kVs},
    {0x2795, 0x2797, kPres}, {0x27A1, 0x27A1, kVs}, {0x27B0, 0x27B0, kPres},
    {0x27BF, 0x27BF, kPres}, {0x2934, 0x2935, kVs}, {0x2B05, 0x2B07, kVs},
    {0x2B1B, 0x2B1C, kPres | kVs}, {0x2B50, 0x2B50, kPres | kVs}, {0x2B55, 0x2B55, kPres | kVs},
    {0x3030, 0x3030, kVs}, {0x303D, 0x303D, kVs}, {0x3297, 0x3297, kVs}, {0x3299, 0x3299, kVs},
    {0x1F004, 0x1F004, kPres | kVs}, {0x1F0CF, 0x1F0CF, kPres}, {0x1F170, 0x1F171, kVs},
    {0x1F17E, 0x1F17F, kVs}, {0x1F18E, 0x1F18E, kPres}, {0x1F191, 0x1F19A, kPres},
    {0x1F201, 0x1F201, kPres}, {0x1F202, 0x1F202, kVs}, {0x1F21A, 0x1F21A, kPres | kVs},
    {0x1F22F, 0x1F22F, kPres | kVs}, {0x1F232, 0x1F236, kPres}, {0x1F237, 0x1F237, kVs},
    {0x1F238, 0x1F23A, kPres}, {0x1F250, 0x1F251, kPres}, {0x1F300, 0x1F320, kPres},
    {0x1F321, 0x1F321, kVs}, {0x1F324, 0x1F32C, kVs}, {0x1F32D, 0x1F335, kPres},
    {0x1F336, 0x1F336, kVs}, {0x1F337, 0x1F37C, kPres}, {0x1F37D, 0x1F37D, kVs},
    {0x1F37E, 0x1F384, kPres}, {0x1F385, 0x1F385, kPres | kModBase}, {0x1F386, 0x1F393, kPres},
    {0x1F396, 0x1F397, kVs}, {0x1F399, 0x1F39B, kVs}, {0x1F39E, 0x1F39F, kVs},
    {0x1F3A0, 0x1F3C1, kPres}, {0x1F3C2, 0x1F3C4, kPres | kModBase}, {0x1F3C5, 0x1F3C6, kPres},
    {0x1F3C7, 0x1F3C7, kPres | kModBase}, {0x1F3C8, 0x1F3C9, kPres},
    {0x1F3CA, 0x1F3CA, kPres | kModBase}, {0x1F3CB, 0x1F3CC, kVs | kModBase},
    {0x1F3CD, 0x1F3CE, kVs}, {0x1F3CF, 0x1F3D3, kPres}, {0x1F3D4, 0x1F3DF, kVs},
    {0x1F3E0, 0x1F3F0, kPres}, {0x1F3F3, 0x1F3F3, kVs}, {0x1F3F4, 0x1F3F4, kPres},
    {0x1F3F5, 0x1F3F5, kVs}, {0x1F3F7, 0x1F3F7, kVs}, {0x1F3F8, 0x1F3FA, kPres},
    {0x1F400, 0x1F43E, kPres}, {0x1F43F, 0x1F43F, kVs}, {0x1F440, 0x1F440, kPres},
    {0x1F441, 0x1F441, kVs}, {0x1F442, 0x1F443, kPres | kModBase}, {0x1F444, 0x1F445, kPres},
    {0x1F446, 0x1F450, kPres | kModBase}, {0x1F451, 0x1F465, kPres},
    {0x1F466, 0x1F478, kPres | kModBase}, {0x1F479, 0x1F47B, kPres},
    {0x1F47C, 0x1F47C, kPres | kModBase}, {0x1F47D, 0x1F480, kPres},
    {0x1F481, 0x1F483, kPres | kModBase}, {0x1F484, 0x1F484, kPres},
    {0x1F485, 0x1F487, kPres | kModBase}, {0x1F488, 0x1F48E, kPres},
    {0x1F48F, 0x1F48F, kPres | kModBase}, {0x1F490, 0x1F490, kPres},
    {0x1F491, 0x1F491, kPres | kModBase}, {0x1F492, 0x1F4A9, kPres},
    {0x1F4AA, 0x1F4AA, kPres | kModBase}, {0x1F4AB, 0x1F4FC, kPres}, {0x1F4FD, 0x1F4FD, kVs},
    {0x1F4FF, 0x1F53D, kPres}, {0x1F549, 0x1F54A, kVs}, {0x1F54B, 0x1F54E, kPres},
    {0x1F550, 0x1F567, kPres}, {0x1F56F, 0x1F570, kVs}, {0x1F573, 0x1F573, kVs},
    {0x1F574, 0x1F575, kVs | kModBase}, {0x1F576, 0x1F579, kVs},
    {0x1F57A, 0x1F57A, kPres | kModBase}, {0x1F587, 0x1F587, kVs}, {0x1F58A, 0x1F58D, kVs},
    {0x1F590, 0x1F590, kVs | kModBase}, {0x1F595, 0x1F596, kPres | kModBase},
    {0x1F5A4, 0x1F5A4, kPres}, {0x1F5A5, 0x1F5A5, kVs}, {0x1F5A8, 0x1F5A8, kVs},
    {0x1F5B1, 0x1F5B2, kVs}, {0x1F5BC, 0x1F5BC, kVs}, {0x1F5C2, 0x1F5C4, kVs},
    {0x1F5D1, 0x1F5D3, kVs}, {0x1F5DC, 0x1F5DE, kVs}, {0x1F5E1, 0x1F5E1, kVs},
    {0x1F5E3, 0x1F5E3, kVs}, {0x1F5E8, 0x1F5E8, kVs}, {0x1F5EF, 0x1F5EF, kVs},
    {0x1F5F3, 0x1F5F3, kVs}, {0x1F5FA, 0x1F5FA, kVs}, {0x1F5FB, 0x1F644, kPres},
    {0x1F645, 0x1F647, kPres | kModBase}, {0x1F648, 0x1F64A, kPres},
    {0x1F64B, 0x1F64F, kPres | kModBase}, {0x1F680, 0x1F6A2, kPres},
    {0x1F6A3, 0x1F6A3, kPres | kModBase}, {0x1F6A4, 0x1F6B3, kPres},
    {0x1F6B4, 0x1F6B6, kPres | kModBase}, {0x1F6B7, 0x1F6BF, kPres},
    {0x1F6C0, 0x1F6C0, kPres | kModBase}, {0x1F6C1, 0x1F6C5, kPres}, {0x1F6CB, 0x1F6CB, kVs},
    {0x1F6CC, 0x1F6CC, kPres | kModBase}, {0x1F6CD, 0x1F6CF, kVs}, {0x1F6D0, 0x1F6D2, kPres},
    {0x1F6D5, 0x1F6D7, kPres}, {0x1F6DC, 0x1F6DF, kPres}, {0x1F6E0, 0x1F6E5, kVs},
    {0x1F6E9, 0x1F6E9, kVs}, {0x1F6EB, 0x1F6EC, kPres}, {0x1F6F0, 0x1F6F0, kVs},
    {0x1F6F3, 0x1F6F3, kVs}, {0x1F6F4, 0x1F6FC, kPres}, {0x1F7E0, 0x1F7EB, kPres},
    {0x1F7F0, 0x1F7F0, kPres}, {0x1F90C, 0x1F90C, kPres | kModBase}, {0x1F90D, 0x1F90E, kPres},
    {0x1F90F, 0x1F90F, kPres | kModBase}, {0x1F910, 0x1F917, kPres},
    {0x1F918, 0x1F91F, kPres | kModBase}, {0x1F920, 0x1F925, kPres},
    {0x1F926, 0x1F926, kPres | kModBase}, {0x1F927, 0x1F92F, kPres},
    {0x1F930, 0x1F939, kPres | kModBase}, {0x1F93A, 0x1F93A, kPres},
    {0x1F93C, 0x1F93E, kPres | kModBase}, {0x1F93F, 0x1F945, kPres}, {0x1F947, 0x1F976, kPres},
    {0x1F977, 0x1F977, kPres | kModBase}, {0x1F978, 0x1F9B4, kPres},
    {0x1F9B5, 0x1F9B6, kPres | kModBase}, {0x1F9B7, 0x1F9B7, kPres},
    {0x1F9B8, 0x1F9B9, kPres | kModBase}, {0x1F9BA, 0x1F9BA, kPres},
    {0x1F9BB, 0x1F9BB, kPres | kModBase}, {0x1F9BC, 0x1F9CC, kPres},
    {0x1F9CD, 0x1F9CF, kPres | kModBase}, {0x1F9D0, 0x1F9D0, kPres},
    {0x1F9D1, 0x1F9DD, kPres | kModBase}, {0x1F9DE, 0x1F9FF, kPres}, {0x1FA70, 0x1FA7C, kPres},
    {0x1FA80, 0x1FA88, kPres}, {0x1FA90, 0x1FABD, kPres}, {0x1FABF, 0x1FAC2, kPres},
    {0x1FAC3, 0x1FAC5, kPres | kModBase}, {0x1FACE, 0x1FADB, kPres}, {0x1FAE0, 0x1FAE8, kPres},
    {0x1FAF0, 0x1FAF8, kPres | kModBase},
};

std::uint8_t emoji_flags(char32_t c) {
  const auto* end = std::end(kEmojiRanges);
  const auto* it = std::upper_bound(std::begin(kEmojiRanges), end, c,
                                    [](char32_t v, const EmojiRange& r) { return v < r.first; });
  if (it == std::begin(kEmojiRanges)) return 0;
  --it;
  return c <= it->last ? it->flags : 0;
}

// The 258 region codes whose regional-indicator pair is an RGI flag (Unicode
// 15.0 emoji-sequences.txt). Any other pair is two lone indicators.
constexpr std::string_view kFlagRegions =
    "AC AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD "
    "BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC "
    "CD CF CG CH CI CK CL CM CN CO CP CR CU CV CW CX CY CZ DE DG "
    "DJ DK DM DO DZ EA EC EE EG EH ER ES ET EU FI FJ FK FM FO FR "
    "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK "
    "HM HN HR HT HU IC ID IE IL IM IN IO IQ IR IS IT JE JM JO JP "
    "KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU "
    "LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU "
    "MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE "
    "PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB "
    "SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TA "
    "TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM UN "
    "US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

constexpr char32_t kVs16 = 0xFE0F;
constexpr char32_t kZwj = 0x200D;
constexpr char32_t kKeycap = 0x20E3;
constexpr char32_t kBlackFlag = 0x1F3F4;
constexpr char32_t kCancelTag = 0xE007F;

bool is_regional_indicator(char32_t c) {
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->boundclass ==
         UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR;
}
bool is_skin_tone(char32_t c) { return c >= 0x1F3FB && c <= 0x1F3FF; }
bool is_keycap_base(char32_t c) { return c == '#' || c == '*' || (c >= '0' && c <= '9'); }

bool is_flag(char32_t a, char32_t b) {
  const char region[2] = {static_cast<char>('A' + (a - 0x1F1E6)), static_cast<char>('A' + (b - 0x1F1E6))};
  for (std::size_t k = 0; k + 1 < kFlagRegions.size(); k += 3)
    if (kFlagRegions[k] == region[0] && kFlagRegions[k + 1] == region[1]) return true;
  return false;
}

class EmojiScanner {
 public:
  explicit EmojiScanner(const std::vector<CodePoint>& cps) : cps_(cps) {}

  // The number of code points of the emoji that starts at index i, 0 if none.
  //
  // Where this differs from twitter-text 3.1.0, whose twemoji-parser 11 knows
  // Emoji 11.0 (2018) only:
  //  - any well-formed emoji ZWJ sequence is one emoji here; twemoji-parser
  //    counts the parts of every sequence it does not list ("❤️‍🔥", Emoji
  //    13.1: 2 here, 5 there; "😀‍😀", not RGI: 2 here, 5 there);
  //  - a skin tone binds to the Emoji_Modifier_Base characters of Unicode 15
  //    ("🫶🏽": 2 here, 4 there; "⛷🏽", not a modifier base in Unicode 15:
  //    4 here, 2 there);
  //  - "👁️‍🗨️" with its VS16s is 2 here, 5 there (twemoji-parser lists it
  //    only without them), and "♾️" is 2 here, 4 there.
  // X itself counts the newer sequences as one emoji (🧑‍🔧 is 2 on x.com but
  // 5 in twitter-text 3.1.0: twitter/twitter-text#369).
  std::size_t emoji_length(std::size_t i) const {
    const char32_t c = at(i);
    if (is_keycap_base(c)) {  // "1️⃣", also without the VS16; a bare digit is text
      const std::size_t j = at(i + 1) == kVs16 ? i + 2 : i + 1;
      return at(j) == kKeycap ? j + 1 - i : 0;
    }
    if (c == 0xA9 || c == 0xAE)  // © and ® are text (weight 100) unless a VS16 follows
      return at(i + 1) == kVs16 ? 2 : 0;
    if (is_regional_indicator(c))  // a valid pair is a flag; a lone indicator is an emoji too
      return is_regional_indicator(at(i + 1)) && is_flag(c, at(i + 1)) ? 2 : 1;
    if (c == kBlackFlag) {
      if (const std::size_t n = tag_sequence_length(i)) return n;
    }
    const Element first = element(i);
    if (first.length == 0) return 0;
    // A ZWJ sequence needs every element in emoji form: "🏳️‍🌈" is one emoji,
    // "🏳‍🌈" (no VS16) three. The one exception twemoji-parser 11 lists is
    // the eye in speech bubble without VS16s.
    std::size_t n = first.length;
    if (c == 0x1F441 && at(i + 1) == kZwj && at(i + 2) == 0x1F5E8) return 3;
    if (!first.emoji_form) return n;
    while (at(i + n) == kZwj) {
      const Element next = element(i + n + 1);
      if (next.length == 0 || !next.emoji_form) break;
      n += 1 + next.length;
    }
    return n;
  }

 private:
  struct Element {
    std::size_t length;  // code points: the emoji with its VS16 and skin tone
    bool emoji_form;     // emoji presentation by default, or made so by VS16 or a skin tone
  };

  char32_t at(std::size_t i) const { return i < cps_.size() ? cps_[i].value : 0; }

  Element element(std::size_t i) const {
    const std::uint8_t flags = emoji_flags(at(i));
    if (flags == 0) return {0, false};
    std::size_t j = i + 1;
    bool emoji_form = (flags & kPres) != 0;
    if ((flags & kVs) != 0 && at(j) == kVs16) {
      ++j;
      emoji_form = true;
    }
    if ((flags & kModBase) != 0 && is_skin_tone(at(j))) {
      ++j;
      emoji_form = true;
    }
    return {j - i, emoji_form};
  }

  // 🏴 + tag letters + cancel tag: only England, Scotland and Wales are emoji.
  std::size_t tag_sequence_length(std::size_t i) const {
    std::string tag;
    std::size_t j = i + 1;
    while (at(j) >= 0xE0020 && at(j) <= 0xE007E && tag.size() < 8) tag += static_cast<char>(at(j++) - 0xE0000);
    if (at(j) != kCancelTag) return 0;
    return tag == "gbeng" || tag == "gbsct" || tag == "gbwls" ? j + 1 - i : 0;
  }

  const std::vector<CodePoint>& cps_;
};

}  // namespace

std::string to_nfc(std::string_view utf8) {
  const std::string valid = repair_utf8(utf8);
  if (valid.empty()) return valid;
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(valid.data()), static_cast<utf8proc_ssize_t>(valid.size()),
                   &out, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  const std::unique_ptr<utf8proc_uint8_t, void (*)(void*)> owned(out, &std::free);
  // The input is valid UTF-8, so only running out of memory can fail here.
  if (n < 0) throw std::runtime_error(std::string("to_nfc: ") + utf8proc_errmsg(n));
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

TweetLength parse_tweet(std::string_view nfc_text, const std::vector<ByteSpan>& urls) {
  const std::vector<CodePoint> cps = decode(nfc_text);

  // URLs by their first byte; of two starting at the same byte the later one
  // wins, as in twitter-text's entity map. Spans that do not fit are ignored.
  std::map<std::size_t, std::size_t> url_end;
  for (const ByteSpan& u : urls)
    if (u.begin < u.end && u.end <= nfc_text.size()) url_end[u.begin] = u.end;

  // Emoji are found in one scan of the whole text before weighing, so a URL
  // does not restart the scan (twitter-text runs its regex over the text).
  std::vector<std::size_t> emoji_at(cps.size(), 0);
  const EmojiScanner scanner(cps);
  for (std::size_t i = 0; i < cps.size();) {
    const std::size_t n = scanner.emoji_length(i);
    emoji_at[i] = n;
    i += n == 0 ? 1 : n;
  }

  // Each turn weighs one unit: a URL, an emoji or a single code point. The
  // text stays valid while no unit ends in an invalid character (twitter-text
  // looks at the last character of each unit) and the running total fits.
  std::int64_t weighted = 0;  // in 1/kScale characters
  bool chars_valid = true;
  std::size_t valid_end = 0;
  for (std::size_t i = 0; i < cps.size();) {
    std::size_t next = i + 1;
    if (const auto url = url_end.find(cps[i].begin); url != url_end.end()) {
      weighted += std::int64_t{kTransformedUrlLength} * kScale;
      while (next < cps.size() && cps[next].begin < url->second) ++next;
    } else if (emoji_at[i] != 0) {
      weighted += kDefaultWeight;
      next = i + emoji_at[i];
    } else {
      weighted += char_weight(cps[i].value);
    }
    const CodePoint& last = cps[next - 1];
    chars_valid = chars_valid && !is_invalid_char(last.value);
    if (chars_valid && weighted <= std::int64_t{kMaxWeightedTweetLength} * kScale) valid_end = last.end;
    i = next;
  }

  const std::int64_t length = weighted / kScale;
  constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
  TweetLength r;
  r.weighted_length = static_cast<int>(std::min(length, kIntMax));
  r.valid = chars_valid && length > 0 && length <= kMaxWeightedTweetLength;
  r.permillage = static_cast<int>(std::min(length * 1000 / kMaxWeightedTweetLength, kIntMax));
  r.valid_range_end = valid_end;
  return r;
}

}  // namespace herald
