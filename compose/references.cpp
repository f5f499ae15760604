#include "compose/references.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace herald {

namespace {

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.';
}

// The channel a reference points at, if the calendar makes it unambiguous.
std::optional<std::string> target_channel(const Reference& ref, const Post& target) {
  if (!ref.channel.empty()) return ref.channel;
  if (target.channels.size() == 1) return target.channels.front();
  return std::nullopt;
}

}  // namespace

namespace {

// "{Link x}", "{LINK x}", "{ link x}", "{link: x}": meant as placeholders, but
// would go out as written; reported so the editor can fix them.
void find_lookalikes(std::string_view text, std::vector<std::string>& malformed) {
  for (std::size_t pos = text.find('{'); pos != std::string_view::npos; pos = text.find('{', pos + 1)) {
    std::size_t i = pos + 1;
    while (i < text.size() && text[i] == ' ') ++i;
    if (text.size() - i < 4) continue;
    std::string word(text.substr(i, 4));
    for (auto& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (word != "link") continue;
    const char after = i + 4 < text.size() ? text[i + 4] : '\0';
    const bool exact = i == pos + 1 && text.substr(i, 4) == "link" && (after == ' ' || after == '}');
    if (exact || (after != ' ' && after != ':' && after != '}')) continue;
    const auto close = text.find('}', pos);
    malformed.emplace_back(text.substr(pos, close == std::string_view::npos ? 40 : close + 1 - pos));
  }
}

}  // namespace

std::vector<Reference> find_references(std::string_view text, std::vector<std::string>* malformed) {
  static constexpr std::string_view kOpen = "{link";
  std::vector<Reference> out;
  if (malformed) find_lookalikes(text, *malformed);
  std::size_t pos = 0;
  while ((pos = text.find(kOpen, pos)) != std::string_view::npos) {
    const std::size_t close = text.find('}', pos);
    const std::size_t next_open = text.find('{', pos + 1);
    if (close == std::string_view::npos || (next_open != std::string_view::npos && next_open < close)) {
      if (malformed) malformed->emplace_back(text.substr(pos, std::min<std::size_t>(text.size() - pos, 40)));
      pos += kOpen.size();
      continue;
    }
    std::string_view inner = text.substr(pos + kOpen.size(), close - pos - kOpen.size());
    // "{linked}" or "{links}" are ordinary text, not placeholders.
    if (!inner.empty() && inner.front() != ' ') {
      pos = close + 1;
      continue;
    }
    while (!inner.empty() && inner.front() == ' ') inner.remove_prefix(1);
    while (!inner.empty() && inner.back() == ' ') inner.remove_suffix(1);
    Reference ref{pos, close + 1, {}, {}};
    const auto at = inner.find('@');
    ref.post = std::string(inner.substr(0, at));
    if (at != std::string_view::npos) ref.channel = std::string(inner.substr(at + 1));
    const bool ok = !ref.post.empty() && std::all_of(ref.post.begin(), ref.post.end(), id_char) &&
                    (at == std::string_view::npos ||
                     (!ref.channel.empty() && std::all_of(ref.channel.begin(), ref.channel.end(), id_char)));
    if (ok) out.push_back(std::move(ref));
    else if (malformed) malformed->emplace_back(text.substr(pos, close + 1 - pos));
    pos = close + 1;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> channel_texts(const Post& post, const std::string& channel) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto it = post.overrides.find(channel);
  const ChannelOverride* o = it == post.overrides.end() ? nullptr : &it->second;
  if (o && o->text) out.emplace_back(channel + ".text", *o->text);
  else if (!post.text.empty()) out.emplace_back("text", post.text);
  const auto& thread = o && o->thread ? *o->thread : post.thread;
  const std::string thread_field = o && o->thread ? channel + ".thread" : "thread";
  for (std::size_t i = 0; i < thread.size(); ++i)
    out.emplace_back(thread_field + "[" + std::to_string(i) + "]", thread[i]);
  if (o && o->description) out.emplace_back(channel + ".description", *o->description);
  if (o && o->link) out.emplace_back(channel + ".link", *o->link);
  else if (!post.link.empty()) out.emplace_back("link", post.link);
  return out;
}

const std::vector<std::string>& ReferenceGraph::of(const std::string& post_at_channel) const {
  static const std::vector<std::string> kNone;
  auto it = depends_on.find(post_at_channel);
  return it == depends_on.end() ? kNone : it->second;
}

ReferenceGraph check_references(const Calendar& calendar, const Settings& settings, Diagnostics& diags) {
  ReferenceGraph graph;
  // Where each edge was written, to report a cycle at one of its references.
  std::map<std::string, Location> edge_where;
  for (const Post& post : calendar.posts) {
    // A shared text is met once per channel; each mistake is reported once.
    std::set<std::string> reported_here;
    for (const char* field : {"title", "excerpt"}) {
      const std::string& text = std::string(field) == "title" ? post.title : post.excerpt;
      if (!find_references(text).empty())
        diags.error(post.location(field), "post '" + post.id + "': {link ...} works in text, thread, description and "
                                          "link, not in the " + std::string(field));
    }
    for (const auto& channel : post.channels) {
      const std::string from = post.id + "@" + channel;
      for (const auto& [field, text] : channel_texts(post, channel)) {
        const Location where = post.location(field);
        // A named copy: clang before 16 cannot capture a structured binding.
        const std::string& field_name = field;
        auto report_error = [&](const std::string& message) {
          if (reported_here.insert(field_name + "\n" + message).second) diags.error(where, message);
        };
        std::vector<std::string> malformed;
        auto refs = find_references(text, &malformed);
        for (const auto& m : malformed)
          report_error("post '" + post.id + "': '" + m +
                       "' is not a cross-post link; write {link POST} or {link POST@CHANNEL}");
        for (const auto& ref : refs) {
          const std::string written = "{link " + ref.post + (ref.channel.empty() ? "" : "@" + ref.channel) + "}";
          const Post* target = calendar.find(ref.post);
          if (!target) {
            report_error("post '" + post.id + "': " + written + " names no post in the calendar");
            continue;
          }
          if (std::holds_alternative<Repeating>(target->timing)) {
            report_error("post '" + post.id + "': " + written + " names a repeating post; link to one post");
            continue;
          }
          auto tch = target_channel(ref, *target);
          if (!tch) {
            std::string choices;
            for (const auto& c : target->channels) choices += (choices.empty() ? "" : ", ") + ("{link " + target->id + "@" + c + "}");
            report_error("post '" + post.id + "': " + written + " is published on several channels; write one of " +
                                     choices);
            continue;
          }
          if (std::find(target->channels.begin(), target->channels.end(), *tch) == target->channels.end()) {
            report_error("post '" + post.id + "': " + written + ": post '" + target->id +
                                     "' is not published on channel '" + *tch + "'");
            continue;
          }
          const ChannelSettings* tcs = settings.channel(*tch);
          if (tcs && tcs->kind == ChannelKind::static_site && tcs->url.empty()) {
            report_error("post '" + post.id + "': " + written + ": channel '" + *tch +
                                     "' has no 'url', so its posts have no public address to link to");
            continue;
          }
          if (std::holds_alternative<Queued>(target->timing) && tcs && tcs->slots.empty()) {
            report_error("post '" + post.id + "': " + written + ": post '" + target->id + "' is queued on channel '" +
                         *tch + "', which has no slots, so it is never published and this post would wait forever");
            continue;
          }
          const std::string to = target->id + "@" + *tch;
          auto& deps = graph.depends_on[from];
          if (std::find(deps.begin(), deps.end(), to) == deps.end()) {
            deps.push_back(to);
            edge_where.emplace(from + " " + to, where);
          }
        }
      }
    }
  }

  // Cycles: depth-first search, colouring nodes; a back edge closes a cycle.
  enum class Mark { none, active, done };
  std::map<std::string, Mark> mark;
  std::vector<std::string> stack;
  std::set<std::string> reported;
  std::function<void(const std::string&)> visit = [&](const std::string& node) {
    mark[node] = Mark::active;
    stack.push_back(node);
    for (const auto& next : graph.of(node)) {
      if (mark[next] == Mark::active) {
        auto start = std::find(stack.begin(), stack.end(), next);
        std::string path;
        std::vector<std::string> members(start, stack.end());
        for (const auto& k : members) path += k + " -> ";
        path += next;
        std::sort(members.begin(), members.end());
        std::string id;
        for (const auto& k : members) id += k + " ";
        if (reported.insert(id).second)
          diags.error(edge_where.at(node + " " + next),
                      members.size() == 1 ? "post '" + node.substr(0, node.find('@')) + "' links to itself (" + node +
                                                "); it would wait for itself forever"
                                          : "cross-post links form a cycle: " + path +
                                                "; each would wait for the other forever");
      } else if (mark[next] == Mark::none) {
        visit(next);
      }
    }
    stack.pop_back();
    mark[node] = Mark::done;
  };
  for (const auto& [node, deps] : graph.depends_on)
    if (mark[node] == Mark::none) visit(node);
  return graph;
}

Rendered render_references(std::string_view text, const Calendar& calendar,
                           const std::function<std::optional<std::string>(const std::string& key)>& url_of) {
  Rendered out;
  std::size_t at = 0;
  for (const auto& ref : find_references(text)) {
    out.text.append(text.substr(at, ref.begin - at));
    at = ref.end;
    const Post* target = calendar.find(ref.post);
    std::optional<std::string> channel = target ? target_channel(ref, *target) : std::nullopt;
    std::optional<std::string> url;
    if (channel) {
      const std::string key = ref.post + "@" + *channel;
      url = url_of(key);
      if (!url) out.missing.push_back(key);
    } else {
      out.missing.push_back(ref.post + (ref.channel.empty() ? "" : "@" + ref.channel));
    }
    if (url) out.text += *url;
    else out.text.append(text.substr(ref.begin, ref.end - ref.begin));
  }
  out.text.append(text.substr(at));
  return out;
}

}  // namespace herald
