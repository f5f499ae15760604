#include "compose/utm.hpp"
#include "config/text.hpp"

#include "compose/links.hpp"

#include <boost/url.hpp>

#include <algorithm>
#include <cctype>

namespace herald {

namespace {

bool has_scheme(std::string_view url) {
  auto colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0) return false;
  return std::all_of(url.begin(), url.begin() + static_cast<std::ptrdiff_t>(colon),
                     [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; });
}

// Whether the query has a parameter named `key` (percent-decoded, as
// utm_* are written). Read from the encoded query here, not through
// params(): Boost.URL 1.81's params iterator reads past the end of the URL
// when the query is empty and a fragment follows ("/a?#top"; found by
// tests/fuzz, confirmed under valgrind; boostorg/url#864, fixed after 1.81).
bool has_param(const boost::urls::url_view_base& u, std::string_view key) {
  for (const std::string_view pair : split(u.encoded_query(), '&')) {
    const std::string_view name = pair.substr(0, pair.find('='));
    if (auto decoded = boost::urls::make_pct_string_view(name); decoded && decoded->decode() == key) return true;
  }
  return false;
}

}  // namespace

bool is_own_host(std::string_view host, const std::vector<std::string>& own_domains) {
  std::string h = ascii_lower(host);
  if (!h.empty() && h.back() == '.') h.pop_back();
  for (const auto& domain : own_domains) {
    const std::string d = ascii_lower(domain);
    if (h == d) return true;
    if (h.size() > d.size() && h.compare(h.size() - d.size(), d.size(), d) == 0 && h[h.size() - d.size() - 1] == '.')
      return true;
  }
  return false;
}

std::string fill_utm_value(std::string_view value, const UtmContext& ctx) {
  std::string out;
  for (std::size_t i = 0; i < value.size();) {
    auto take = [&](std::string_view name, const std::string& with) {
      if (value.substr(i, name.size()) != name) return false;
      out += with;
      i += name.size();
      return true;
    };
    if (take("{channel}", ctx.channel) || take("{campaign}", ctx.campaign) || take("{post}", ctx.post)) continue;
    out += value[i++];
  }
  return out;
}

std::string tag_url(std::string_view url, const UtmTemplate& utm, const UtmContext& ctx,
                    const std::vector<std::string>& own_domains) {
  // Protocol-less links ("www.example.nl/x") are parsed with a scheme added
  // and written back without it, so the text keeps its form.
  const bool schemeless = !has_scheme(url);
  const std::string full = schemeless ? "https://" + std::string(url) : std::string(url);
  auto parsed = boost::urls::parse_uri(full);
  if (!parsed) return std::string(url);
  boost::urls::url u = *parsed;
  if (!is_own_host(u.encoded_host(), own_domains)) return std::string(url);
  std::vector<std::pair<std::string, std::string>> missing;
  for (const auto& [name, value] : utm.params) {
    std::string key = "utm_" + name;
    if (!has_param(u, key)) missing.emplace_back(std::move(key), fill_utm_value(value, ctx));
  }
  if (missing.empty()) return std::string(url);
  // An empty query ("/a?#top") is replaced, not appended to ("/a?&utm_...").
  if (u.has_query() && u.encoded_query().empty()) u.remove_query();
  // "example.nl?utm_..." is valid, but "example.nl/?utm_..." is what every
  // link finder reads as one URL, which keeps tagging idempotent.
  // (Boost.URL 1.81's set_path writes "/./" here, so the "/" is spliced in
  // after the authority instead.)
  if (u.encoded_path().empty()) {
    std::string with_slash(u.buffer());
    with_slash.insert(u.encoded_origin().size(), "/");
    u = boost::urls::url(with_slash);
  }
  for (const auto& [key, value] : missing) u.params().append({key, value});
  std::string out(u.buffer());
  if (schemeless) out.erase(0, std::string_view("https://").size());
  return out;
}

std::string tag_links(std::string_view text, const UtmTemplate& utm, const UtmContext& ctx,
                      const std::vector<std::string>& own_domains) {
  const std::vector<Link> links = extract_links(text);
  std::vector<std::string> tagged;
  tagged.reserve(links.size());
  for (const Link& link : links) {
    const std::string_view url = text.substr(link.begin, link.end - link.begin);
    // A protocol-less link the finder ended right before '?', ':' or '#'
    // ("example.nl?y=1") would be broken by tagging; it is left as written.
    const char next = link.end < text.size() ? text[link.end] : ' ';
    if (!link.has_scheme && (next == '?' || next == ':' || next == '#')) tagged.emplace_back(url);
    else tagged.push_back(tag_url(url, utm, ctx, own_domains));
  }

  // A tagged link must still be found as the same link where it stands, or
  // the platform links something else and tagging twice differs from once:
  // "/a'#top" tagged is "/a'?utm_...#top", which a link finder ends at "/a";
  // "example.nl,*'x" tagged is "example.nl/?utm_...,*'x", whose query runs
  // on into the text after it; a link over 4096 characters is no link. Each
  // turn writes the text and finds its links again; a link that moved drops
  // its own tag and its neighbours' (the only tags that can have moved it),
  // until the links are where they were written. Usually one turn.
  std::vector<bool> tag(links.size());
  for (std::size_t i = 0; i < links.size(); ++i) tag[i] = tagged[i] != link_text(text, links[i]);
  for (;;) {
    std::string out;
    std::vector<Link> want;  // where each link is in `out`
    std::size_t at = 0;
    for (std::size_t i = 0; i < links.size(); ++i) {
      out.append(text.substr(at, links[i].begin - at));
      const std::string_view written = tag[i] ? std::string_view(tagged[i]) : link_text(text, links[i]);
      want.push_back({out.size(), out.size() + written.size(), links[i].has_scheme});
      out.append(written);
      at = links[i].end;
    }
    out.append(text.substr(at));
    if (std::find(tag.begin(), tag.end(), true) == tag.end()) return out;

    const std::vector<Link> found = extract_links(out);
    std::vector<std::size_t> moved;
    std::size_t f = 0, kept = 0;
    for (std::size_t i = 0; i < want.size(); ++i) {
      while (f < found.size() && found[f].end <= want[i].begin) ++f;
      if (f < found.size() && found[f].begin == want[i].begin && found[f].end == want[i].end) ++kept;
      else moved.push_back(i);
    }
    if (moved.empty() && kept == found.size()) return out;
    bool dropped = false;
    for (std::size_t i : moved) {
      for (std::size_t j = i == 0 ? 0 : i - 1; j <= i + 1 && j < tag.size(); ++j) {
        dropped = dropped || tag[j];
        tag[j] = false;
      }
    }
    // A new link appeared between the written ones: keep the text as it was.
    if (!dropped) std::fill(tag.begin(), tag.end(), false);
  }
}

}  // namespace herald
