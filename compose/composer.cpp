#include "compose/composer.hpp"

#include "compose/graphemes.hpp"
#include "compose/links.hpp"
#include "compose/little_text.hpp"
#include "compose/public_url.hpp"
#include "compose/references.hpp"
#include "compose/tweet_length.hpp"
#include "config/text.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>

namespace herald {

namespace {

std::size_t code_point_count(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

void escape_html(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
}

std::string trim_trailing_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// The first link of a text as an absolute URL, or empty.
std::string first_link(const std::string& text) {
  auto links = extract_links(text);
  if (links.empty()) return {};
  std::string url = text.substr(links.front().begin, links.front().end - links.front().begin);
  return links.front().has_scheme ? url : "https://" + url;
}

// Instagram's hashtags: `#` at the start or after a non-word character,
// followed by a letter, digit or underscore (or a non-ASCII letter).
std::size_t hashtag_count(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] != '#') continue;
    const auto prev = i == 0 ? ' ' : static_cast<unsigned char>(s[i - 1]);
    const auto next = static_cast<unsigned char>(s[i + 1]);
    if (prev < 0x80 && (std::isalnum(prev) || prev == '_')) continue;
    if (std::isalnum(next) || next == '_' || next >= 0x80) ++n;
  }
  return n;
}

// Where the calendar's media live: the calendar directory (or the directory
// of the calendar file).
std::filesystem::path media_root(const Settings& settings) {
  std::error_code ec;
  if (std::filesystem::is_directory(settings.calendar, ec)) return settings.calendar;
  return settings.calendar.parent_path();
}

// The public URL of a media file: media_url + its path under the media root,
// each segment percent-encoded.
std::string public_media_url(const Settings& settings, const std::filesystem::path& file) {
  const auto rel = file.lexically_relative(media_root(settings).lexically_normal());
  std::string out = settings.media_url;
  bool first = true;
  for (const auto& part : rel) {
    if (!first) out += '/';
    first = false;
    for (unsigned char ch : part.string()) {
      if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
        out += static_cast<char>(ch);
      } else {
        static constexpr char hex[] = "0123456789ABCDEF";
        out += '%';
        out += hex[ch >> 4];
        out += hex[ch & 15];
      }
    }
  }
  return out;
}

const ChannelOverride* override_of(const Post& post, const std::string& channel) {
  auto it = post.overrides.find(channel);
  return it == post.overrides.end() ? nullptr : &it->second;
}

}  // namespace

const Measure* Composed::over_limit() const {
  for (const auto& m : measures)
    if (m.over()) return &m;
  return nullptr;
}

const Measure* Composed::main_measure() const { return measures.empty() ? nullptr : &measures.front(); }

std::size_t tweet_weighted_length(std::string_view text) {
  const std::string nfc = to_nfc(text);
  std::vector<ByteSpan> spans;
  for (const Link& l : extract_links(nfc)) spans.push_back({l.begin, l.end});
  return static_cast<std::size_t>(parse_tweet(nfc, spans).weighted_length);
}

std::string text_to_html(std::string_view text) {
  std::string out;
  std::string body = trim_trailing_newlines(std::string(text));
  // Split into paragraphs at blank lines.
  std::vector<std::string> paragraphs;
  std::string current;
  for (std::string_view line : split(body, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      if (!current.empty()) paragraphs.push_back(std::move(current));
      current.clear();
    } else {
      if (!current.empty()) current += '\n';
      current += line;
    }
  }
  if (!current.empty()) paragraphs.push_back(std::move(current));
  for (const auto& p : paragraphs) {
    out += "<p>";
    std::size_t at = 0;
    for (const Link& l : extract_links(p)) {
      std::string before = p.substr(at, l.begin - at);
      for (std::size_t i = 0; i < before.size(); ++i) {
        if (before[i] == '\n') out += "<br>\n";
        else escape_html(out, std::string_view(&before[i], 1));
      }
      std::string url = p.substr(l.begin, l.end - l.begin);
      std::string href = l.has_scheme ? url : "https://" + url;
      out += "<a href=\"";
      escape_html(out, href);
      out += "\">";
      escape_html(out, url);
      out += "</a>";
      at = l.end;
    }
    for (std::size_t i = at; i < p.size(); ++i) {
      if (p[i] == '\n') out += "<br>\n";
      else escape_html(out, std::string_view(&p[i], 1));
    }
    out += "</p>\n";
  }
  return out;
}

Composed compose_first_comment(const Post& post, const ChannelSettings& channel, const Settings& settings,
                               const Calendar& calendar, const UrlLookup& url_of) {
  // The comment as a post of its own words: the post's id and campaign
  // (its UTM tags), file and zone, nothing else.
  Post comment;
  comment.id = post.id;
  comment.campaign = post.campaign;
  comment.kind = post.kind;
  comment.text = post.first_comment;
  comment.file = post.file;
  comment.source = post.source;
  comment.zone_name = post.zone_name;
  comment.zone = post.zone;
  Composed c = compose(comment, channel, settings, calendar, url_of);
  for (auto& m : c.measures) m.part = "first comment";
  // The network's notes speak of a post's parts ("an Instagram caption").
  for (auto& n : c.notes)
    if (auto at = n.find("caption"); at != std::string::npos) n.replace(at, 7, "comment");
  return c;
}

UrlLookup preview_urls(const Calendar& calendar, const Settings& settings) {
  return [&calendar, &settings](const std::string& key) -> std::optional<std::string> {
    const auto at = key.find('@');
    const Post* post = calendar.find(std::string_view(key).substr(0, at));
    const ChannelSettings* channel = settings.channel(key.substr(at + 1));
    if (!post || !channel) return std::nullopt;
    return preview_url(*post, *channel);
  };
}

Composed compose(const Post& post, const ChannelSettings& channel, const Settings& settings, const Calendar& calendar,
                 const UrlLookup& url_of, const std::string& local_time) {
  Composed c;
  c.kind = channel.kind;
  const ChannelOverride* o = override_of(post, channel.name);
  const UtmContext utm_ctx{channel.name, post.campaign.empty() ? post.id : post.campaign, post.id};
  const UtmTemplate& utm = settings.utm(channel);
  // Resolve cross-post links first, then tag own links: a resolved URL on an
  // own domain (the blog) is tagged like any link the editor wrote.
  auto finish = [&](std::string_view text) {
    Rendered r = render_references(text, calendar, url_of);
    for (auto& key : r.missing)
      if (std::find(c.waiting_for.begin(), c.waiting_for.end(), key) == c.waiting_for.end())
        c.waiting_for.push_back(key);
    return tag_links(r.text, utm, utm_ctx, settings.links.own_domains);
  };

  const std::string& base_text = o && o->text ? *o->text : post.text;
  const std::vector<std::string>& thread = o && o->thread ? *o->thread : post.thread;
  c.title = o && o->title ? *o->title : post.title;
  const auto& media = o && o->media ? *o->media : post.media;
  for (const auto& m : media) c.media.push_back((post.file.parent_path() / m).lexically_normal());
  // The alt text of each file, for the networks that send it.
  auto alt_texts = [&] {
    std::vector<std::string> out;
    for (const auto& m : media) {
      auto alt = post.alt.find(m);
      out.push_back(alt == post.alt.end() ? std::string() : alt->second);
    }
    return out;
  };
  const std::string& language = o && o->language ? *o->language : channel.language;

  switch (channel.kind) {
    case ChannelKind::x: {
      std::vector<std::string> tweets;
      if (!base_text.empty()) tweets.push_back(finish(trim_trailing_newlines(base_text)));
      for (const auto& t : thread) tweets.push_back(finish(trim_trailing_newlines(t)));
      for (std::size_t i = 0; i < tweets.size(); ++i) {
        std::string part = tweets.size() == 1 ? "tweet" : "tweet " + std::to_string(i + 1) + " of " + std::to_string(tweets.size());
        c.measures.push_back({part, tweet_weighted_length(tweets[i]), kTweetLimit, "weighted characters"});
      }
      if (!tweets.empty()) {
        c.text = tweets.front();
        c.thread.assign(tweets.begin() + 1, tweets.end());
      }
      break;
    }
    case ChannelKind::facebook: {
      c.text = finish(trim_trailing_newlines(base_text));
      c.measures.push_back({"message", code_point_count(c.text), kFacebookMessageLimit, "characters"});
      const std::string& link = o && o->link ? *o->link : post.link;
      c.link = link.empty() ? first_link(c.text) : finish(link);
      break;
    }
    case ChannelKind::linkedin: {
      // The commentary is sent in little text format; its limit is counted
      // on what is sent (each escape is a character of the field).
      const std::string plain = finish(trim_trailing_newlines(base_text));
      c.text = escape_little_text(plain);
      c.measures.push_back({"commentary", code_point_count(c.text), kLinkedinCommentaryLimit, "characters"});
      const std::string& link = o && o->link ? *o->link : post.link;
      c.link = link.empty() ? first_link(plain) : finish(link);
      if (!c.link.empty() && c.title.empty()) c.title = c.link;
      if (!c.link.empty() && !c.media.empty())
        c.notes.push_back("LinkedIn shows the media, not the article card of " + c.link);
      break;
    }
    case ChannelKind::instagram: {
      c.text = finish(trim_trailing_newlines(base_text));
      c.measures.push_back({"caption", code_point_count(c.text), kInstagramCaptionLimit, "characters"});
      if (const std::size_t tags = hashtag_count(c.text); tags > kInstagramHashtagLimit)
        c.problems.push_back("the caption has " + std::to_string(tags) + " hashtags; Instagram allows at most " +
                             std::to_string(kInstagramHashtagLimit));
      if (!extract_links(c.text).empty())
        c.notes.push_back("a link in an Instagram caption is not clickable");
      if (!settings.media_url.empty())
        for (const auto& m : c.media) c.media_urls.push_back(public_media_url(settings, m));
      break;
    }
    case ChannelKind::mastodon: {
      c.text = finish(trim_trailing_newlines(base_text));
      c.visibility = o && o->visibility ? *o->visibility : channel.visibility;
      if (o && o->spoiler_text) c.spoiler_text = *o->spoiler_text;
      c.language = language;
      c.media_alt = alt_texts();
      c.measures.push_back({"status", mastodon_length(c.text, c.spoiler_text), channel.max_characters,
                            "characters (each link 23)"});
      break;
    }
    case ChannelKind::bluesky: {
      const std::string plain = finish(trim_trailing_newlines(base_text));
      RichText rich = bluesky_rich_text(plain);
      c.text = std::move(rich.text);
      c.facets = std::move(rich.facets);
      c.language = language;
      c.media_alt = alt_texts();
      c.measures.push_back({"post", grapheme_count(c.text), kBlueskyGraphemeLimit, "graphemes"});
      if (c.text.size() > kBlueskyByteLimit)
        c.problems.push_back("the post is " + std::to_string(c.text.size()) + " bytes of UTF-8; Bluesky takes at most " +
                             std::to_string(kBlueskyByteLimit));
      // The first link is also the post's card (app.bsky.embed.external),
      // unless the post carries images (a post has one embed).
      const std::string& link = o && o->link ? *o->link : post.link;
      c.link = link.empty() ? first_link(plain) : finish(link);
      if (!c.link.empty()) {
        if (c.title.empty()) c.title = c.link;
        c.excerpt = o && o->excerpt ? *o->excerpt : post.excerpt;
      }
      if (!c.link.empty() && !c.media.empty())
        c.notes.push_back("Bluesky shows the images, not the link card of " + c.link);
      break;
    }
    case ChannelKind::youtube: {
      const std::string& description = o && o->description ? *o->description : base_text;
      c.text = finish(trim_trailing_newlines(description));
      c.measures.push_back({"description", c.text.size(), kYoutubeDescriptionLimit, "bytes"});
      if (!c.title.empty()) c.measures.push_back({"title", code_point_count(c.title), kYoutubeTitleLimit, "characters"});
      if (c.text.find_first_of("<>") != std::string::npos)
        c.problems.push_back("YouTube does not accept '<' or '>' in a description");
      if (c.title.find_first_of("<>") != std::string::npos)
        c.problems.push_back("YouTube does not accept '<' or '>' in a title");
      if (o && o->video) c.video = *o->video;
      if (o && o->file) c.video_file = (post.file.parent_path() / *o->file).lexically_normal().string();
      c.privacy = o && o->privacy ? *o->privacy : "public";
      break;
    }
    case ChannelKind::wordpress: {
      c.text = text_to_html(finish(base_text));
      c.excerpt = o && o->excerpt ? *o->excerpt : post.excerpt;
      c.categories = o && o->categories ? *o->categories : post.categories;
      c.tags = o && o->tags ? *o->tags : post.tags;
      break;
    }
    case ChannelKind::static_site: {
      c.excerpt = o && o->excerpt ? *o->excerpt : post.excerpt;
      c.categories = o && o->categories ? *o->categories : post.categories;
      c.tags = o && o->tags ? *o->tags : post.tags;
      // Markdown with YAML front matter, emitted by yaml-cpp so titles with
      // quotes or colons stay valid YAML.
      YAML::Emitter fm;
      fm << YAML::BeginMap;
      fm << YAML::Key << "title" << YAML::Value << YAML::DoubleQuoted << c.title;
      if (!local_time.empty()) fm << YAML::Key << "date" << YAML::Value << local_time;
      if (!c.excerpt.empty()) fm << YAML::Key << "summary" << YAML::Value << YAML::DoubleQuoted << c.excerpt;
      if (!c.categories.empty()) fm << YAML::Key << "categories" << YAML::Value << YAML::Flow << c.categories;
      if (!c.tags.empty()) fm << YAML::Key << "tags" << YAML::Value << YAML::Flow << c.tags;
      fm << YAML::Key << "herald_post" << YAML::Value << post.id;
      fm << YAML::EndMap;
      c.text = std::string("---\n") + fm.c_str() + "\n---\n\n" + trim_trailing_newlines(finish(base_text)) + "\n";
      break;
    }
  }
  return c;
}

}  // namespace herald
