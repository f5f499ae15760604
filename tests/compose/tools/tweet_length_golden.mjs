// Writes tests/compose/tweet_length_golden.inc: what the official twitter-text
// 3.1.0 (JavaScript, with its twemoji-parser 11.0.2) says about the texts
// below, and what TextDecoder + String.normalize('NFC') make of the byte
// strings below, as C++ tables for tests/compose/tweet_length_test.cpp.
//
// Run from the repository root (twitter-text is installed outside the repo):
//   mkdir -p /tmp/tt && cd /tmp/tt && npm init -y && npm install twitter-text@3.1.0 && cd -
//   node tests/compose/tools/tweet_length_golden.mjs /tmp/tt > tests/compose/tweet_length_golden.inc
//
// twitter-text works on UTF-16 code units; herald on UTF-8 bytes. This script
// converts: URL spans come from twttr.extractUrlsWithIndices on the NFC text
// (UTF-16 indices turned into byte offsets), and validRangeEnd (the inclusive
// UTF-16 index of the last unit that fits) becomes the byte offset just after
// that character. Texts are fed to parseTweet already normalized (parseTweet
// normalizes again, which changes nothing) so that its indices refer to the
// NFC text; the script checks that the raw text gives the same length.

import { createRequire } from 'node:module';
import path from 'node:path';

const ttDir = path.resolve(process.argv[2] ?? '/tmp/tt');
const require = createRequire(path.join(ttDir, 'package.json'));
const twttr = require('twitter-text');
const ttVersion = require('twitter-text/package.json').version;
const emojiVersion = require('twemoji-parser/package.json').version;
if (ttVersion !== '3.1.0') throw new Error(`need twitter-text 3.1.0, found ${ttVersion} in ${ttDir}`);

const cp = (...points) => String.fromCodePoint(...points);
const tags = (s) => [...s].map((ch) => 0xe0000 + ch.charCodeAt(0));
const rep = (s, n) => s.repeat(n);

// [name (a C++ identifier fragment), text]. The text may be non-NFC; the C++
// test normalizes it with to_nfc first.
const tweets = [
  // ASCII and whitespace
  ['empty', ''],
  ['ascii_word', 'a'],
  ['ascii_sentence', 'Hello, world! Spring sale starts Monday.'],
  ['ascii_punctuation', '#herald @someone $TICK (50% off) [x] {y} <z> ~^`|\\"\''],
  ['single_space', ' '],
  ['whitespace_only', ' \t\n\r\n  '],
  ['newlines', 'line one\nline two\r\nline three'],
  ['nul_character', 'a\u0000b'],
  // Latin, combining marks, NFC
  ['latin_precomposed', 'café naïve façade'],
  ['latin_e_combining_acute', 'cafe\u0301'],
  ['latin_c_combining_cedilla', 'fac\u0327ade'],
  ['latin_two_marks_reordered', 'a\u0302\u0323'],
  ['latin_mark_without_precomposed', 'q\u0301'],
  ['angstrom_sign_singleton', '\u212b'],
  ['ohm_sign_singleton', '\u2126'],
  ['latin_extended_vietnamese', 'Tiê\u0301ng Viê\u0323t'],
  ['greek_cyrillic_hebrew_arabic', 'αβγ абв אבג ابت'],
  ['devanagari_thai', 'नमस्ते สวัสดี'],
  ['georgian_last_weight_one', '\u10d0\u10ff'],
  ['hangul_jamo_range_start', '\u1100'],
  ['ethiopic', '\u1200\u1201'],
  // CJK
  ['chinese', '中文字符'],
  ['japanese_hiragana', 'こんにちは'],
  ['japanese_katakana', 'カタカナ'],
  ['halfwidth_katakana', 'ｶﾀｶﾅ'],
  ['korean_hangul', '한국어'],
  ['korean_jamo_composed_by_nfc', '\u1100\u1161\u11a8'],
  ['korean_jamo_lv_plus_t', '\uac00\u11a8'],
  ['ideographic_space_and_punctuation', '中\u3000文。'],
  ['mixed_latin_cjk', 'Sale 大特価 today'],
  // Emoji
  ['emoji_single', cp(0x1f600)],
  ['emoji_three', cp(0x1f389, 0x1f60d, 0x1f680)],
  ['emoji_skin_tone', cp(0x1f44d, 0x1f3fd)],
  ['emoji_skin_tone_text_presentation_base', cp(0x261d, 0xfe0f, 0x1f3fb)],
  ['emoji_zwj_family', cp(0x1f468, 0x200d, 0x1f469, 0x200d, 0x1f467, 0x200d, 0x1f466)],
  ['emoji_zwj_profession_skin', cp(0x1f469, 0x1f3fd, 0x200d, 0x1f4bb)],
  ['emoji_zwj_health_worker', cp(0x1f468, 0x200d, 0x2695, 0xfe0f)],
  ['emoji_zwj_health_worker_unqualified', cp(0x1f468, 0x200d, 0x2695)],
  ['emoji_zwj_gendered_activity', cp(0x1f3cb, 0xfe0f, 0x200d, 0x2640, 0xfe0f)],
  ['emoji_zwj_couple_kiss', cp(0x1f469, 0x200d, 0x2764, 0xfe0f, 0x200d, 0x1f48b, 0x200d, 0x1f468)],
  ['emoji_rainbow_flag', cp(0x1f3f3, 0xfe0f, 0x200d, 0x1f308)],
  ['emoji_rainbow_flag_unqualified', cp(0x1f3f3, 0x200d, 0x1f308)],
  ['emoji_pirate_flag', cp(0x1f3f4, 0x200d, 0x2620, 0xfe0f)],
  ['emoji_eye_in_speech_bubble_bare', cp(0x1f441, 0x200d, 0x1f5e8)],
  ['emoji_flag_netherlands', cp(0x1f1f3, 0x1f1f1)],
  ['emoji_flags_us_jp', cp(0x1f1fa, 0x1f1f8, 0x1f1ef, 0x1f1f5)],
  ['emoji_flag_eu', cp(0x1f1ea, 0x1f1fa)],
  ['emoji_regional_indicator_alone', cp(0x1f1e6)],
  ['emoji_regional_indicators_not_a_flag', cp(0x1f1e6, 0x1f1e6)],
  ['emoji_regional_indicators_odd_count', cp(0x1f1fa, 0x1f1f8, 0x1f1fa)],
  ['emoji_england_tag_flag', cp(0x1f3f4, ...tags('gbeng'), 0xe007f)],
  ['emoji_scotland_tag_flag', cp(0x1f3f4, ...tags('gbsct'), 0xe007f)],
  ['emoji_tag_flag_not_rgi', cp(0x1f3f4, ...tags('usca'), 0xe007f)],
  ['emoji_keycap_one', cp(0x31, 0xfe0f, 0x20e3)],
  ['emoji_keycap_hash', cp(0x23, 0xfe0f, 0x20e3)],
  ['emoji_keycap_asterisk', cp(0x2a, 0xfe0f, 0x20e3)],
  ['emoji_keycap_without_vs16', cp(0x31, 0x20e3)],
  ['digit_with_vs16_only', cp(0x31, 0xfe0f)],
  ['emoji_keycap_ten', cp(0x1f51f)],
  ['heart_without_vs16', '\u2764'],
  ['heart_with_vs16', '\u2764\ufe0f'],
  ['heart_with_vs15', '\u2764\ufe0e'],
  ['copyright_without_vs16', '\u00a9'],
  ['copyright_with_vs16', '\u00a9\ufe0f'],
  ['registered_without_vs16', '\u00ae'],
  ['registered_with_vs16', '\u00ae\ufe0f'],
  ['trade_mark_without_vs16', '\u2122'],
  ['trade_mark_with_vs16', '\u2122\ufe0f'],
  ['brand_line', 'Herald\u00ae and Co\u2122 \u00a9 2027'],
  ['watch_with_vs16', '\u231a\ufe0f'],
  ['fast_forward_with_vs16', '\u23e9\ufe0f'],
  ['emoji_presentation_with_stray_vs16', cp(0x1f600, 0xfe0f)],
  ['emoji_with_combining_mark', cp(0x1f600, 0x301)],
  ['stray_vs16', '\ufe0f'],
  ['skin_tone_alone', cp(0x1f3fd)],
  ['emoji_private_use_e50a', '\ue50a'],
  ['emoji_sentence', `I \u2764\ufe0f NYC ${cp(0x1f5fd)} and ${cp(0x1f1f3, 0x1f1f1)}!`],
  ['emoji_newest_single', cp(0x1fae0)],
  // Astral characters that are not emoji
  ['math_bold', cp(0x1d400, 0x1d401, 0x1d402)],
  ['cjk_extension_b', cp(0x20000, 0x20001)],
  ['egyptian_hieroglyph', cp(0x13000)],
  // Invisible and directional characters
  ['zero_width_space', 'a\u200bb'],
  ['zero_width_non_joiner', 'a\u200cb'],
  ['zero_width_joiner', 'a\u200db'],
  ['lrm_rlm', 'a\u200eb\u200fc'],
  ['bidi_embeddings_overrides', 'a\u202ab\u202bc\u202cd\u202de\u202ef'],
  ['bidi_isolates', 'a\u2066b\u2067c\u2068d\u2069e'],
  ['arabic_letter_mark', 'a\u061cb'],
  ['bom_invalid', 'a\ufeffb'],
  ['bom_first_nothing_fits', '\ufeffa'],
  ['noncharacter_fffe_invalid', 'a\ufffe'],
  ['noncharacter_ffff_invalid', 'a\uffff'],
  ['replacement_character', 'a\ufffdb'],
  // Punctuation in and around the weight-1 ranges
  ['curly_quotes', '\u201cquoted\u201d \u2018single\u2019 \u201alow\u201e'],
  ['dashes', 'a\u2010b\u2011c\u2012d\u2013e\u2014f\u2015g'],
  ['double_vertical_line_and_dagger', '\u2016\u2017\u2020\u2021'],
  ['bullet_and_ellipsis_weigh_two', '\u2022 item\u2026'],
  ['primes', '5\u2032 3\u2033 \u2034\u2035\u2036\u2037'],
  ['general_punctuation_after_primes', '\u2038\u203b'],
  ['spaces_2000_200a', 'a\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200ab'],
  ['nbsp_and_narrow_nbsp', 'a\u00a0b\u202fc'],
  ['euro_sign', '\u20ac5'],
  // Limits
  ['a_279', rep('a', 279)],
  ['a_280', rep('a', 280)],
  ['a_281', rep('a', 281)],
  ['a_300', rep('a', 300)],
  ['cjk_139', rep('中', 139)],
  ['cjk_140', rep('中', 140)],
  ['cjk_141', rep('中', 141)],
  ['cjk_139_plus_ab', rep('中', 139) + 'ab'],
  ['cjk_139_plus_abc', rep('中', 139) + 'abc'],
  ['cjk_139_plus_a_cjk', rep('中', 139) + 'a中'],
  ['a_279_plus_cjk', rep('a', 279) + '中'],
  ['emoji_140', rep(cp(0x1f600), 140)],
  ['emoji_141', rep(cp(0x1f600), 141)],
  ['family_140', rep(cp(0x1f468, 0x200d, 0x1f469, 0x200d, 0x1f467), 140)],
  ['keycap_140', rep(cp(0x31, 0xfe0f, 0x20e3), 140)],
  ['a_278_plus_emoji', rep('a', 278) + cp(0x1f600)],
  ['a_279_plus_emoji', rep('a', 279) + cp(0x1f600)],
  ['a_279_plus_bom', rep('a', 279) + '\ufeff'],
  ['combining_280_after_nfc', rep('e\u0301', 280)],
  ['jamo_140_syllables_after_nfc', rep('\u1100\u1161', 140)],
  // URLs (23 each, whatever their length)
  ['url_only', 'https://example.com'],
  ['url_in_sentence', 'Our spring sale: https://example.com/shop?utm_source=x&utm_medium=social now!'],
  ['url_two', 'Read https://blog.example.nl/post/1 and http://example.org/a'],
  ['url_without_scheme', 'Visit example.com today'],
  ['url_long_path', 'https://example.com/' + rep('path/', 60)],
  ['url_unicode_path_nfc', 'https://example.com/cafe\u0301 ok'],
  ['url_after_cjk', '詳細はこちら https://example.jp/sale'],
  ['url_then_emoji', 'https://example.com/x' + ' ' + cp(0x1f389)],
  ['url_tco', 'https://t.co/abcdefghij'],
  ['url_right_after_emoji', cp(0x1f600) + 'https://example.com'],
  ['url_ends_inside_keycap', 'https://example.com/1\ufe0f\u20e3'],
  ['url_12_over_limit', rep('https://example.com/x ', 12).trimEnd()],
  ['url_a_256_fits', rep('a', 256) + ' https://example.com/'],
  ['url_a_257_over', rep('a', 257) + ' https://example.com/'],
];

// [name, bytes] for to_nfc: expected output is TextDecoder (which replaces each
// maximal ill-formed subpart with U+FFFD) followed by NFC.
const utf8 = (s) => [...Buffer.from(s, 'utf8')];
const nfcCases = [
  ['empty', []],
  ['ascii', utf8('plain ASCII text')],
  ['already_nfc', utf8('café 中文 한국어 ' + cp(0x1f600))],
  ['e_combining_acute', utf8('e\u0301')],
  ['marks_reordered_and_composed', utf8('a\u0323\u0302')],
  ['mark_stays_when_no_precomposed', utf8('q\u0301')],
  ['angstrom_sign', utf8('\u212b')],
  ['hangul_jamo', utf8('\u1100\u1161\u11a8')],
  ['hangul_lv_plus_t', utf8('\uac00\u11a8')],
  ['ligature_kept_compatibility_only', utf8('\ufb01')],
  ['noncharacters_kept', utf8('\ufffe\uffff\ufeff')],
  ['embedded_nul', [0x61, 0x00, 0x62]],
  ['lone_continuation', [0x61, 0x80, 0x62]],
  ['bad_second_byte', [0xc3, 0x28]],
  ['truncated_three_byte', [0xe2, 0x82]],
  ['truncated_three_byte_then_ascii', [0xe2, 0x82, 0x41]],
  ['truncated_four_byte', [0xf0, 0x9f, 0x98]],
  ['encoded_surrogate', [0xed, 0xa0, 0x80]],
  ['overlong_slash', [0xc0, 0xaf]],
  ['overlong_three_byte', [0xe0, 0x80, 0xaf]],
  ['above_10ffff', [0xf4, 0x90, 0x80, 0x80]],
  ['five_byte_form', [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ['ff_fe_bytes', [0xff, 0xfe]],
  ['invalid_between_base_and_mark', [0x65, 0xff, 0xcc, 0x81]],
  ['truncated_mark_after_e', [0x65, 0xcc]],
];

// ---- C++ output ----

const hex2 = (b) => b.toString(16).toUpperCase().padStart(2, '0');

// A C++ string literal (with the sv suffix) for some bytes: printable ASCII as
// itself, everything else as \xHH, split into several literals where a hex
// digit follows an escape and every ~100 columns.
function cxxLiteral(bytes, indent) {
  const pieces = [];
  let cur = '';
  let lastWasHex = false;
  for (const b of bytes) {
    let piece;
    if (b === 0x22) piece = '\\"';
    else if (b === 0x5c) piece = '\\\\';
    else if (b === 0x3f) piece = '?';
    else if (b >= 0x20 && b < 0x7f) piece = String.fromCharCode(b);
    else piece = '\\x' + hex2(b);
    const isHexDigit = /^[0-9A-Fa-f]$/.test(piece);
    if ((lastWasHex && isHexDigit) || cur.length + piece.length > 100) {
      pieces.push(cur);
      cur = '';
    }
    cur += piece;
    lastWasHex = piece.startsWith('\\x');
  }
  pieces.push(cur);
  return pieces.map((p) => `"${p}"`).join('\n' + indent) + 'sv';
}

const utf8Length = (s) => Buffer.byteLength(s, 'utf8');

function urlSpans(nfc) {
  return twttr.extractUrlsWithIndices(nfc).map(({ indices: [b, e] }) => [
    utf8Length(nfc.slice(0, b)),
    utf8Length(nfc.slice(0, e)),
  ]);
}

// Byte offset just after the character at UTF-16 index `last` (inclusive).
// twitter-text reports 0 both when only the first character fits and when
// nothing does; the latter happens only when the first character is invalid.
function validRangeEndBytes(nfc, last) {
  if (nfc.length === 0 || /^[\ufffe\ufeff\uffff]/.test(nfc)) return 0;
  let end = last + 1;
  const unit = nfc.charCodeAt(end);
  if (unit >= 0xdc00 && unit <= 0xdfff) end += 1;
  return utf8Length(nfc.slice(0, end));
}

const out = [];
out.push('// Generated by tests/compose/tools/tweet_length_golden.mjs from twitter-text');
out.push(`// ${ttVersion} (twemoji-parser ${emojiVersion}) on Node ${process.versions.node}; do not edit.`);
out.push('// {name, text, NFC text if it differs, URL byte spans (in the NFC text), weightedLength,');
out.push('//  valid, permillage, validRangeEnd as the byte offset after the last character that fits}');
out.push('const TweetGolden kTweetGolden[] = {');
const seen = new Set();
for (const [name, text] of tweets) {
  if (seen.has(name)) throw new Error(`duplicate name ${name}`);
  seen.add(name);
  const nfc = text.normalize('NFC');
  const r = twttr.parseTweet(nfc);
  const raw = twttr.parseTweet(text);
  if (raw.weightedLength !== r.weightedLength || raw.valid !== r.valid) throw new Error(`${name}: NFC changed the result`);
  const spans = urlSpans(nfc).map(([b, e]) => `{${b}, ${e}}`).join(', ');
  const ind = '     ';
  out.push(`    {"${name}",`);
  out.push(`${ind}${cxxLiteral(utf8(text), ind)},`);
  out.push(`${ind}${nfc === text ? '{}' : cxxLiteral(utf8(nfc), ind)},`);
  out.push(`${ind}{${spans}}, ${r.weightedLength}, ${r.valid}, ${r.permillage}, ${validRangeEndBytes(nfc, r.validRangeEnd)}},`);
}
out.push('};');
out.push('');
out.push('// {name, bytes, TextDecoder("utf-8").decode(bytes).normalize("NFC") as UTF-8}');
out.push('const NfcGolden kNfcGolden[] = {');
const decoder = new TextDecoder('utf-8', { fatal: false });
for (const [name, bytes] of nfcCases) {
  const expected = utf8(decoder.decode(Uint8Array.from(bytes)).normalize('NFC'));
  const ind = '     ';
  out.push(`    {"${name}", ${cxxLiteral(bytes, ind)},`);
  out.push(`${ind}${cxxLiteral(expected, ind)}},`);
}
out.push('};');
process.stdout.write(out.join('\n') + '\n');
