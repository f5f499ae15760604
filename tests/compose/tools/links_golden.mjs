// Writes tests/compose/links_golden.inc: what the official twitter-text 3.1.0
// extracts (extractUrlsWithIndices, extractUrlsWithoutProtocol on) from each
// text below, as the substrings it marks. links_test.cpp checks
// herald::extract_links against it.
//
// Run it with twitter-text installed in a scratch directory outside the repo:
//   mkdir -p /tmp/tt2 && cd /tmp/tt2 && npm init -y && npm install twitter-text@3.1.0
//   cd /tmp/tt2 && node <repo>/tests/compose/tools/links_golden.mjs > <repo>/tests/compose/links_golden.inc
//
// twitter-text's indices count UTF-16 code units, so the table holds the
// substrings they delimit, which compare the same in UTF-8. A text whose
// result could depend on a TLD that twitter-text's own list and ours
// (compose/data/tlds.inc, from the Public Suffix List) disagree on is left out
// and listed in a comment: there we follow our list on purpose.

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(`${process.cwd()}/`);  // twitter-text from where we run
const version = require('twitter-text/package.json').version;
if (version !== '3.1.0') {
  console.error(`expected twitter-text 3.1.0, found ${version}`);
  process.exit(1);
}
const twttr = require('twitter-text');

const texts = [
  // Trailing punctuation belongs to the sentence.
  'Lees https://example.nl.',
  'Zie https://example.nl/pagina, en meer',
  'Wow https://example.nl/nieuws!',
  'Al gezien: https://example.nl/faq?',
  'Link: https://example.nl/a: daarna',
  'Eerst https://example.nl/x; dan',
  'Tot https://example.nl/pad/...',
  'Lees https://example.nl/blog/post-1/.',
  'Klik https://example.nl/a?!',
  "Dit is https://example.nl/x'",
  'Ook example.nl, of example.nl. Of example.nl!',
  // Quotes around a URL.
  '"https://example.nl/a"',
  "'https://example.nl/a'",
  '“https://example.nl/a”',
  '‘https://example.nl/a’',
  '«https://example.nl/a»',
  '"www.example.nl"',
  'Hij zei "example.nl/x".',
  // Parentheses: balanced in the path, around the URL, both.
  'https://en.wikipedia.org/wiki/Foo_(bar)',
  '(see https://example.nl)',
  '(zie https://en.wikipedia.org/wiki/Foo_(bar))',
  '(https://en.wikipedia.org/wiki/Foo_(bar)_baz)',
  'https://example.nl/a(b(c)d)e',
  'https://example.nl/a(b)',
  'https://example.nl/a.(b)',
  'https://example.nl/(a)(b)',
  'https://example.nl/path)',
  'https://example.nl/(onaf',
  '(example.nl)',
  '(example.nl/x)',
  '[https://example.nl/x]',
  '{https://example.nl/x}',
  '<https://example.nl/x>',
  // Ports.
  'https://example.nl:8080/x',
  'https://example.nl:8080',
  'http://localhost:8080/x',
  'example.nl:8080/x',
  'example.nl:8080',
  'https://example.nl:/x',
  'https://example.nl:abc',
  // Query strings and fragments.
  'https://example.nl/zoek?q=fiets&kleur=rood#resultaten',
  'https://example.nl/?utm_source=x&utm_medium=y',
  'https://example.nl?q=1',
  'https://example.nl/p?q=a.',
  'https://example.nl/p?q=(a)',
  'https://example.nl#top',
  'https://example.nl/#/route',
  'https://example.nl/p#sectie-2.',
  'example.nl/a?q=1',
  'example.nl?q=1',
  // Scheme in any case.
  'HTTPS://Example.nl',
  'HTTP://EXAMPLE.NL/PAD',
  'hTtPs://example.nl/x',
  // IDN hosts, Unicode and punycode.
  'https://bücher.de/',
  'bücher.de',
  'Ga naar bücher.de/boeken',
  'https://xn--bcher-kva.de',
  'xn--bcher-kva.de',
  'https://münchen.de/stadt',
  'https://пример.рф',
  'пример.рф',
  'https://example.xn--p1ai/',
  'https://例え.jp/',
  'www.straße.de',
  'übung.de',
  // Other schemes.
  'ftp://x.nl',
  'ftp://files.example.nl/a.zip',
  'sftp://x.nl',
  'mailto:info@example.nl',
  // E-mail addresses and handles.
  'info@example.nl',
  'Mail info@example.nl of bel',
  'info@mail.example.nl',
  'voor.naam@example.nl',
  '@example.nl',
  'Ping ＠example.nl',
  // www. and protocol-less links.
  'www.example.nl',
  'Kijk op www.example.nl/agenda.',
  'WWW.EXAMPLE.NL',
  'example.nl/page',
  'example.com/a/b/c?x=1#y',
  'example.co.uk/path',
  'sub.example.co.uk',
  'www.example',
  'example.nl.',
  // Short ccTLD domains, t.co.
  'x.nl',
  'ab.nl',
  't.co',
  't.co/abc',
  'https://t.co/abc123',
  'https://t.co/abc-def',
  'https://t.co/abc?x=1&y=2',
  `https://t.co/${'a'.repeat(40)}`,
  `https://t.co/${'a'.repeat(41)}`,
  // Not links.
  'v1.2.3 en 1.2.3.4',
  'https://192.168.0.1/',
  'bestand.txt en index.html',
  'e.g. dit, i.e. dat',
  '#hashtag.nl $cashtag.nl',
  'a#example.nl',
  '.example.nl -example.nl _example.nl /example.nl',
  'https://ex_ample.nl',
  'https://sub_domein.example.nl',
  'a_b.example.com',
  // Dutch text around URLs.
  'Kom naar ons evenement! Aanmelden via https://example.nl/aanmelden, het is gratis.',
  'Meer info op www.gemeente.nl/afval of bel 14 020.',
  "Vanavond live: https://youtube.com/live/abc123 (vanaf 20:00 uur).",
  'Zie ook: example.nl/blog/2024/07/zomer-tips.',
  'Tickets (€ 12,50) via https://example.nl/tickets?dag=za&tijd=20:00!',
  // Several URLs in one text.
  'https://a.nl https://b.nl/x,https://c.nl',
  'a.nl b.nl c.nl',
  'Eerst https://example.nl/a en dan www.example.com/b en tot slot t.co/xyz.',
  'https://a.nl/x;https://b.nl/y',
  'https://a.nlhttps://b.nl',
  // Next to CJK text.
  '请访问https://example.cn/页面了解更多',
  '詳しくはhttps://example.jp/をご覧ください',
  '日本語example.com日本語',
  '見てexample.jp/abc。',
  '한국어 https://example.kr/글 테스트',
  'https://example.com/日本',
  'example.com日本.nl/pad',
  // Emoji and invisible marks next to URLs.
  '🎉https://example.nl🎉',
  '👉 example.nl/x 👈',
  'a😀.example.com',
  '\u200fhttps://example.nl',
  'zie\u00a0example.nl',
  // At the very start and the very end.
  'https://example.nl aan het begin',
  'aan het eind https://example.nl',
  'https://example.nl',
  // A scheme and nothing else.
  'https://',
  'https:// ',
  'Ga naar https://.',
  'https://example',
  'http://x',
  // TLDs that only one of the two lists has (left out, see below).
  'Deals op example.amazon/deals',
  'Oud: example.an/x',
];

// --- TLD lists: twitter-text's and ours ---------------------------------
function twitterTlds(name) {
  const source = require(`twitter-text/dist/regexp/${name}`).source;
  return source.match(/\(\?:\(\?:(.*)\)\(\?=/)[1].split('|');
}
const theirs = new Set([...twitterTlds('validGTLD'), ...twitterTlds('validCCTLD')]);
const ours = new Set();
const inc = readFileSync(new URL('../../../compose/data/tlds.inc', import.meta.url), 'utf8');
for (const line of inc.split('\n')) {
  const m = line.match(/^"((?:[^"\\]|\\x[0-9a-f]{2})*)",/);
  if (!m) continue;
  const bytes = [];
  for (let i = 0; i < m[1].length;) {
    if (m[1][i] === '\\') { bytes.push(parseInt(m[1].slice(i + 2, i + 4), 16)); i += 4; }
    else { bytes.push(m[1].charCodeAt(i)); i += 1; }
  }
  ours.add(Buffer.from(bytes).toString('utf8'));
}
// Any "xn--" label is a TLD to twitter-text, so those never differ.
const differing = [...theirs].filter((t) => !ours.has(t))
  .concat([...ours].filter((t) => !theirs.has(t) && !t.startsWith('xn--')));

// The differing TLDs a text has right after a dot, where a TLD can match.
function differingTldsIn(text) {
  const lower = text.toLowerCase();
  const hits = new Set();
  for (let i = 1; i < lower.length; i++) {
    if (lower[i - 1] !== '.') continue;
    for (const t of differing) if (lower.startsWith(t, i)) hits.add(t);
  }
  return [...hits];
}

// --- C++ output -----------------------------------------------------------
// A string literal: printable characters as they are, invisible ones and
// controls as escaped UTF-8 bytes (with the literal split after an escape so
// a following hex digit is not swallowed).
function cpp(s) {
  let out = '"';
  let afterHex = false;
  for (const ch of s) {
    let piece;
    if (ch === '"' || ch === '\\') piece = `\\${ch}`;
    else if (ch === '\n') piece = '\\n';
    else if (ch === '\t') piece = '\\t';
    else if (ch !== ' ' && /[\p{C}\p{Z}]/u.test(ch)) {
      out += [...Buffer.from(ch, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
      afterHex = true;
      continue;
    } else piece = ch;
    if (afterHex && /^[0-9a-fA-F]/.test(piece)) out += '" "';
    out += piece;
    afterHex = false;
  }
  return `${out}"`;
}

const lines = [
  '// Generated by tests/compose/tools/links_golden.mjs from twitter-text 3.1.0',
  '// (extractUrlsWithIndices); do not edit by hand. Each entry: a text and the',
  '// links twitter-text finds in it, as substrings.',
];
const excluded = [];
for (const text of texts) {
  const hits = differingTldsIn(text);
  const links = twttr.extractUrlsWithIndices(text);
  const found = links.map((l) => text.slice(l.indices[0], l.indices[1]));
  if (hits.length) {
    excluded.push(`//   ${cpp(text)}: twitter-text finds ${JSON.stringify(found)}; ` +
      `".${hits.join('", ".')}" is a TLD in only one of the two lists.`);
    continue;
  }
  const notes = links.filter((l, i) => l.url !== found[i])
    .map((l) => ` // twitter-text's url field reads ${JSON.stringify(l.url)}`);
  lines.push(`{${cpp(text)}, {${found.map(cpp).join(', ')}}},${notes.join('')}`);
}
if (excluded.length) {
  lines.push('// Left out because our TLD list (Public Suffix List, ICANN section) and');
  lines.push("// twitter-text's own differ there; links_test.cpp checks our side:");
  lines.push(...excluded);
}
console.log(lines.join('\n'));
