// A reload reads and composes again only what an edit touched (the files
// whose text changed, the posts whose text or links changed), and the
// result must be exactly what reading everything gives: the same errors and
// warnings, the same deliveries with the same content hashes. Checked here
// on randomized edits of a generated calendar split over several files,
// against a full load_checked of the same files, and on a real store: the
// sync after an edit of one post changes only that post's deliveries.

#include "daemon/calendar_applier.hpp"
#include "scheduler/planned.hpp"
#include "scheduler/store.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

namespace herald {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

const std::string kSettings = R"(calendar: calendar
timezone: Europe/Amsterdam
links:
  own_domains: [example.nl]
channels:
  x:        {kind: x, account: example_nl, credentials: x}
  facebook: {kind: facebook, page_id: "1234567890", credentials: facebook}
  blog:     {kind: wordpress, site: https://blog.example.nl, credentials: blog}
)";

// The same settings with another UTM source: everything composes differently.
const std::string kOtherSettings = R"(calendar: calendar
timezone: Europe/Amsterdam
links:
  own_domains: [example.nl]
  utm: {source: "{channel}-b", medium: social, campaign: "{campaign}"}
channels:
  x:        {kind: x, account: example_nl, credentials: x}
  facebook: {kind: facebook, page_id: "1234567890", credentials: facebook}
  blog:     {kind: wordpress, site: https://blog.example.nl, credentials: blog}
)";

struct PostSpec {
  std::string id;
  int day = 1, hour = 9;                 // in March 2027
  std::vector<std::string> channels;
  std::string text;
  std::string link_to;                   // a post linked with {link ID@blog}, or ""
};

// The calendar as files of posts; written out as YAML.
struct Model {
  std::vector<std::vector<PostSpec>> files;
  int next_id = 0;

  std::string yaml(const std::vector<PostSpec>& posts) const {
    std::string out = "posts:\n";
    for (const auto& p : posts) {
      out += "  - id: " + p.id + "\n";
      out += "    at: 2027-03-" + std::string(p.day < 10 ? "0" : "") + std::to_string(p.day) + " " +
             (p.hour < 10 ? "0" : "") + std::to_string(p.hour) + ":00\n";
      out += "    channels: [";
      for (std::size_t i = 0; i < p.channels.size(); ++i) out += (i ? ", " : "") + p.channels[i];
      out += "]\n";
      if (std::find(p.channels.begin(), p.channels.end(), "blog") != p.channels.end())
        out += "    title: \"Title of " + p.id + "\"\n";
      std::string text = p.text;
      if (!p.link_to.empty()) text += " {link " + p.link_to + "@blog}";
      out += "    text: \"" + text + "\"\n";
    }
    return out;
  }

  void write(const TempDir& dir) const {
    for (std::size_t f = 0; f < files.size(); ++f)
      dir.write("calendar/" + std::string(1, static_cast<char>('a' + f)) + ".yaml", yaml(files[f]));
  }

  std::vector<PostSpec*> all() {
    std::vector<PostSpec*> out;
    for (auto& f : files)
      for (auto& p : f) out.push_back(&p);
    return out;
  }
};

class Edits {
 public:
  explicit Edits(unsigned seed) : rng_(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  PostSpec fresh(Model& m) {
    PostSpec p;
    p.id = "p" + std::to_string(m.next_id++);
    p.day = 1 + pick(28);
    p.hour = 8 + pick(10);
    static const std::vector<std::vector<std::string>> choices{
        {"x"}, {"facebook"}, {"blog"}, {"x", "facebook"}, {"x", "blog"}, {"facebook", "blog"}, {"x", "facebook", "blog"}};
    p.channels = choices[static_cast<std::size_t>(pick(static_cast<int>(choices.size())))];
    p.text = words(3 + pick(12));
    return p;
  }

  std::string words(int n) {
    static const std::vector<std::string> vocabulary{"fiets", "winter", "https://example.nl/shop", "regen",
                                                     "bakfiets", "route", "https://other.org/x", "#fietsen",
                                                     "nieuw", "korting", "open", "zondag"};
    std::string out;
    for (int i = 0; i < n; ++i)
      out += (i ? " " : "") + vocabulary[static_cast<std::size_t>(pick(static_cast<int>(vocabulary.size())))];
    return out;
  }

  // One random edit of the model; returns what it was, for failure messages.
  std::string apply(Model& m) {
    auto posts = m.all();
    const int kind = pick(13);
    PostSpec* p = posts.empty() ? nullptr : posts[static_cast<std::size_t>(pick(static_cast<int>(posts.size())))];
    auto& file = m.files[static_cast<std::size_t>(pick(static_cast<int>(m.files.size())))];
    switch (kind) {
      case 0:
        if (p) p->text = words(2 + pick(14));
        return "text of " + (p ? p->id : "");
      case 1:
        if (p) p->day = 1 + pick(28);
        return "time of " + (p ? p->id : "");
      case 2:
        file.push_back(fresh(m));
        return "added " + file.back().id;
      case 3:
        if (!file.empty()) {
          const auto at = static_cast<std::size_t>(pick(static_cast<int>(file.size())));
          const std::string id = file[at].id;
          file.erase(file.begin() + static_cast<std::ptrdiff_t>(at));
          return "removed " + id;
        }
        return "nothing";
      case 4: {
        // A link to a post on the blog (or, now and then, to one that is not).
        std::vector<PostSpec*> blog;
        for (auto* q : posts)
          if (q != p && std::find(q->channels.begin(), q->channels.end(), "blog") != q->channels.end()) blog.push_back(q);
        if (p && !blog.empty()) p->link_to = blog[static_cast<std::size_t>(pick(static_cast<int>(blog.size())))]->id;
        return "link from " + (p ? p->id : "") + " to " + (p ? p->link_to : "");
      }
      case 5:
        if (p) p->text = std::string(300, 'x');  // too long for X, an error where it goes to X
        return "long text of " + (p ? p->id : "");
      case 6:
        if (p) p->channels = {"x"};  // posts linking to it @blog now point at a channel it is not on
        return "channels of " + (p ? p->id : "");
      case 7:
        if (p) p->link_to.clear();
        return "unlinked " + (p ? p->id : "");
      case 8:
        if (p) {
          PostSpec moved = *p;
          for (auto& f : m.files) std::erase_if(f, [&](const PostSpec& q) { return q.id == moved.id; });
          file.push_back(moved);
          return "moved " + moved.id;
        }
        return "nothing";
      case 9:
        return "rewrote the files unchanged";
      default: {
        // A person fixes what the check reported: links to posts that are
        // gone or not on the blog, texts too long for X.
        std::set<std::string> on_blog;
        for (auto* q : posts)
          if (std::find(q->channels.begin(), q->channels.end(), "blog") != q->channels.end()) on_blog.insert(q->id);
        for (auto* q : posts) {
          if (!q->link_to.empty() && (!on_blog.count(q->link_to) || q->link_to == q->id)) q->link_to.clear();
          if (q->text.size() > 200) q->text = words(4);
        }
        return "repaired";
      }
    }
  }

 private:
  std::mt19937 rng_;
};

std::vector<std::string> messages(const Diagnostics& d) {
  std::vector<std::string> out;
  for (const auto& item : d.sorted()) out.push_back(format(item));
  return out;
}

std::vector<std::string> deliveries(const LoadedCalendar& cal, Instant now) {
  std::vector<std::string> out;
  for (const auto& d : planned_deliveries(cal, now, now, now + date::days(60), {}))
    out.push_back(d.key + " " + std::to_string(d.planned.time_since_epoch().count()) + " " + d.content_hash);
  return out;
}

const Instant kNow = date::sys_days{date::year{2027} / 3 / 1} + 0h;

// A settings file and a calendar folder of `files` files holding `posts`
// generated posts, dealt round the files.
struct Generated {
  TempDir dir;
  std::string config = dir.write("herald.yaml", kSettings).string();
  Edits edits;
  Model model;

  Generated(unsigned seed, int files, int posts) : edits(seed) {
    std::filesystem::create_directories(dir.path() / "calendar");
    model.files.resize(static_cast<std::size_t>(files));
    for (int i = 0; i < posts; ++i)
      model.files[static_cast<std::size_t>(i % files)].push_back(edits.fresh(model));
  }
  /// The model written out and read, from `previous` when given.
  std::shared_ptr<LoadedCalendar> load(ComposeCache& cache, const LoadedCalendar* previous = nullptr) {
    model.write(dir);
    Diagnostics d;
    return CalendarApplier::load_checked(config, kNow, d, previous, &cache);
  }
};

TEST(IncrementalReload, EqualsAFullReadOnRandomizedEdits) {
  Generated c(20271203, 4, 40);
  auto& [dir, config, edits, model] = c;
  model.write(dir);

  ComposeCache cache;
  Diagnostics first;
  std::shared_ptr<LoadedCalendar> running = CalendarApplier::load_checked(config, kNow, first, nullptr, &cache);
  ASSERT_TRUE(running) << (messages(first).empty() ? "" : messages(first)[0]);
  int accepted = 0, rejected = 0;
  std::size_t composed_again = 0, reused = 0;
  for (int step = 0; step < 150; ++step) {
    std::string what = edits.apply(model);
    if (step % 37 == 36) {
      // Now and then the settings change: nothing composed before may be reused.
      dir.write("herald.yaml", step % 2 ? kOtherSettings : kSettings);
      what += " and changed the settings";
    }
    model.write(dir);
    Diagnostics full_diags, inc_diags;
    const auto full = CalendarApplier::load_checked(config, kNow, full_diags);
    const auto inc = CalendarApplier::load_checked(config, kNow, inc_diags, running.get(), &cache);
    SCOPED_TRACE("step " + std::to_string(step) + ": " + what);
    ASSERT_EQ(messages(inc_diags), messages(full_diags));
    ASSERT_EQ(inc != nullptr, full != nullptr);
    composed_again += cache.misses();
    reused += cache.hits();
    if (!inc) {
      ++rejected;
      continue;
    }
    ++accepted;
    ASSERT_EQ(inc->calendar.posts.size(), full->calendar.posts.size());
    for (std::size_t i = 0; i < inc->calendar.posts.size(); ++i) {
      EXPECT_EQ(inc->calendar.posts[i].id, full->calendar.posts[i].id);
      EXPECT_EQ(inc->calendar.posts[i].source, full->calendar.posts[i].source);
    }
    ASSERT_EQ(deliveries(*inc, kNow), deliveries(*full, kNow));
    // And check's fingerprints are what composing each delivery gives.
    if (step % 10 == 0) {
      LoadedCalendar bare = *inc;
      bare.fingerprints.clear();
      ASSERT_EQ(deliveries(bare, kNow), deliveries(*inc, kNow));
    }
    running = inc;
  }
  // The walk saw both kinds of outcome, and most compositions were reused.
  EXPECT_GT(accepted, 20);
  EXPECT_GT(rejected, 5);
  EXPECT_GT(reused, 5 * composed_again);
}

TEST(IncrementalReload, AnEditOfOnePostComposesOnlyItAndThePostsLinkingToIt) {
  Generated c(7, 3, 30);
  auto& [dir, config, edits, model] = c;
  // Two posts link to p0 on the blog.
  model.files[0][0].channels = {"blog"};
  model.files[1][1].link_to = "p0";
  model.files[2][2].link_to = "p0";
  model.write(dir);
  ComposeCache cache;
  Diagnostics d;
  const auto running = CalendarApplier::load_checked(config, kNow, d, nullptr, &cache);
  ASSERT_TRUE(running) << (messages(d).empty() ? "" : messages(d)[0]);
  std::size_t all = 0;
  for (const auto& p : running->calendar.posts) all += p.channels.size();
  EXPECT_EQ(cache.misses(), all);

  // Another post's text: only its own channels are composed again.
  PostSpec& other = model.files[2][5];
  other.text = "a new text";
  model.write(dir);
  Diagnostics d2;
  auto next = CalendarApplier::load_checked(config, kNow, d2, running.get(), &cache);
  ASSERT_TRUE(next);
  EXPECT_EQ(cache.misses(), other.channels.size());
  EXPECT_EQ(cache.hits(), all - other.channels.size());

  // p0's title: only p0 (the URL a link to it gets is made of its id).
  std::string text = model.yaml(model.files[0]);
  text.replace(text.find("Title of p0"), 11, "A new title");
  dir.write("calendar/a.yaml", text);
  Diagnostics d3;
  auto third = CalendarApplier::load_checked(config, kNow, d3, next.get(), &cache);
  ASSERT_TRUE(third);
  EXPECT_EQ(cache.misses(), 1u);

  // p0 removed: the two posts linking to it are composed again (their link
  // resolves to nothing now), and the calendar is refused for it.
  model.files[0].erase(model.files[0].begin());
  model.write(dir);
  Diagnostics d4;
  EXPECT_FALSE(CalendarApplier::load_checked(config, kNow, d4, third.get(), &cache));
  EXPECT_EQ(cache.misses(), model.files[1][1].channels.size() + model.files[2][2].channels.size());
  bool named = false;
  for (const auto& m : messages(d4)) named = named || m.find("{link p0@blog} names no post") != std::string::npos;
  EXPECT_TRUE(named) << ::testing::PrintToString(messages(d4));
}

// The posts of a file whose text did not change are the running calendar's
// own (shared, not copied); the edited file's are read again.
TEST(IncrementalReload, UnchangedFilesShareTheirPostsWithTheRunningCalendar) {
  Generated c(7, 3, 30);
  auto& model = c.model;
  ComposeCache cache;
  auto running = c.load(cache);
  ASSERT_TRUE(running);
  model.files[1][2].text = "an edited text";
  auto next = c.load(cache, running.get());
  ASSERT_TRUE(next);
  const auto& before = running->calendar.posts;
  const auto& after = next->calendar.posts;
  ASSERT_EQ(after.size(), before.size());
  std::size_t shared = 0, read_again = 0;
  for (std::size_t i = 0; i < after.size(); ++i) {
    const bool in_edited_file = after[i].file.filename() == "b.yaml";
    EXPECT_EQ(&after[i] == &before[i], !in_edited_file) << after[i].id;
    (in_edited_file ? read_again : shared) += 1;
    EXPECT_EQ(next->calendar.find(after[i].id), &after[i]);
  }
  EXPECT_EQ(read_again, model.files[1].size());
  EXPECT_EQ(shared, model.files[0].size() + model.files[2].size());
  // The running calendar may go (the edit applied): what is shared lives on.
  const Post* kept = &after[0];
  running.reset();
  EXPECT_EQ(kept->id, model.files[0][0].id);
}

TEST(IncrementalReload, TheStoreSyncChangesOnlyTheEditedPostsDeliveries) {
  Generated c(11, 2, 40);
  ComposeCache cache;
  auto running = c.load(cache);
  ASSERT_TRUE(running);
  auto store = Store::open(c.dir.path() / "state");
  const Instant to = kNow + date::days(60);
  const auto first = store->sync(planned_deliveries(*running, kNow, kNow, to, {}), kNow, to, kNow);
  EXPECT_GT(first.added, 40);

  PostSpec& edited = c.model.files[1][3];
  edited.text = "an edited text";
  auto next = c.load(cache, running.get());
  ASSERT_TRUE(next);
  const auto second = store->sync(planned_deliveries(*next, kNow, kNow, to, {}), kNow, to, kNow);
  EXPECT_EQ(second.added, 0);
  EXPECT_EQ(second.cancelled, 0);
  EXPECT_EQ(second.updated, static_cast<int>(edited.channels.size()));
  EXPECT_EQ(second.unchanged, first.added - second.updated);
}

}  // namespace
}  // namespace herald
