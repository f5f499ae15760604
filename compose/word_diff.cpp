#include "compose/word_diff.hpp"

#include <algorithm>
#include <cstdint>

namespace herald {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Words and the whitespace runs between them, in order; joined they are the text.
std::vector<std::string_view> tokens(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    const bool space = is_space(text[i]);
    std::size_t j = i + 1;
    while (j < text.size() && is_space(text[j]) == space) ++j;
    out.push_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

bool blank(std::string_view s) { return std::all_of(s.begin(), s.end(), is_space); }

void push(std::vector<WordEdit>& out, WordEdit::Op op, std::string_view text) {
  if (text.empty()) return;
  if (!out.empty() && out.back().op == op) out.back().text += text;
  else out.push_back({op, std::string(text)});
}

// Above this many cells the longest common subsequence is not worked out:
// the differing middle shows as removed, then added (two long unrelated texts).
constexpr std::size_t kMaxCells = 4'000'000;

}  // namespace

std::vector<WordEdit> word_diff(std::string_view before, std::string_view after) {
  const auto a = tokens(before), b = tokens(after);
  // The common head and tail need no table.
  std::size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
  std::size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) ++tail;
  const std::size_t n = a.size() - head - tail, m = b.size() - head - tail;

  std::vector<WordEdit> raw;
  for (std::size_t i = 0; i < head; ++i) push(raw, WordEdit::Op::same, a[i]);
  if (n * m > kMaxCells || n == 0 || m == 0) {
    for (std::size_t i = 0; i < n; ++i) push(raw, WordEdit::Op::removed, a[head + i]);
    for (std::size_t j = 0; j < m; ++j) push(raw, WordEdit::Op::added, b[head + j]);
  } else {
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..] (middles only).
    std::vector<std::uint32_t> lcs((n + 1) * (m + 1), 0);
    auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& { return lcs[i * (m + 1) + j]; };
    for (std::size_t i = n; i-- > 0;)
      for (std::size_t j = m; j-- > 0;)
        at(i, j) = a[head + i] == b[head + j] ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
    std::size_t i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[head + i] == b[head + j]) {
        push(raw, WordEdit::Op::same, a[head + i]);
        ++i, ++j;
      } else if (j < m && (i == n || at(i, j + 1) >= at(i + 1, j))) {
        push(raw, WordEdit::Op::added, b[head + j++]);
      } else {
        push(raw, WordEdit::Op::removed, a[head + i++]);
      }
    }
  }
  for (std::size_t i = a.size() - tail; i < a.size(); ++i) push(raw, WordEdit::Op::same, a[i]);

  // Whitespace alone between two changes joins them, so "a b" -> "c d" reads
  // as one change, not as a word-by-word alternation; then each changed
  // stretch is its removed text followed by its added text.
  std::vector<WordEdit> out;
  std::string removed, added;
  auto flush = [&] {
    push(out, WordEdit::Op::removed, removed);
    push(out, WordEdit::Op::added, added);
    removed.clear();
    added.clear();
  };
  for (std::size_t k = 0; k < raw.size(); ++k) {
    const WordEdit& e = raw[k];
    if (e.op == WordEdit::Op::removed) removed += e.text;
    else if (e.op == WordEdit::Op::added) added += e.text;
    else if (blank(e.text) && !(removed.empty() && added.empty()) && k + 1 < raw.size()) {
      removed += e.text;
      added += e.text;
    } else {
      flush();
      push(out, WordEdit::Op::same, e.text);
    }
  }
  flush();
  return out;
}

std::vector<WordEdit> abbreviate(const std::vector<WordEdit>& edits, std::size_t context) {
  std::vector<WordEdit> out;
  for (std::size_t k = 0; k < edits.size(); ++k) {
    const WordEdit& e = edits[k];
    if (e.op != WordEdit::Op::same) {
      out.push_back(e);
      continue;
    }
    const auto t = tokens(e.text);
    std::size_t words = 0;
    for (auto s : t) words += !blank(s);
    const bool change_before = k > 0, change_after = k + 1 < edits.size();
    const std::size_t keep = (change_before ? context : 0) + (change_after ? context : 0);
    if (words <= keep + 1) {
      out.push_back(e);
      continue;
    }
    // Keeps `context` words (with the whitespace around them) on each side next to a change.
    std::string text;
    if (change_before) {
      std::size_t seen = 0, i = 0;
      for (; i < t.size() && seen < context; ++i) {
        seen += !blank(t[i]);
        text += t[i];
      }
      if (i < t.size() && blank(t[i])) text += t[i];
    }
    text += "…";
    if (change_after) {
      std::size_t seen = 0, i = t.size();
      while (i > 0 && seen < context) seen += !blank(t[--i]);
      if (i > 0 && blank(t[i - 1])) --i;
      for (; i < t.size(); ++i) text += t[i];
    }
    out.push_back({WordEdit::Op::same, std::move(text)});
  }
  return out;
}

}  // namespace herald
