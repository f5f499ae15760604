#include "config/csv_reader.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

std::vector<std::vector<std::string>> values(const std::vector<CsvRecord>& records) {
  std::vector<std::vector<std::string>> out;
  for (const auto& r : records) {
    out.emplace_back();
    for (const auto& f : r.fields) out.back().push_back(f.value);
  }
  return out;
}

std::vector<std::string> errors(std::string_view text) {
  Diagnostics d;
  EXPECT_TRUE(read_csv(text, "f.csv", d).empty());
  std::vector<std::string> out;
  for (const auto& m : d.sorted()) out.push_back(format(m));
  return out;
}

TEST(CsvReader, FieldsQuotesAndLineEndings) {
  Diagnostics d;
  auto r = read_csv("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\n\n1,,3", "f.csv", d);
  EXPECT_FALSE(d.has_errors());
  EXPECT_EQ(values(r), (std::vector<std::vector<std::string>>{{"a", "b", "c"}, {"x, y", "say \"hi\"", ""}, {"1", "", "3"}}));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].line, 1);
  EXPECT_EQ(r[1].line, 2);
  EXPECT_EQ(r[2].line, 4);  // the empty line 3 is no record
  EXPECT_EQ(r[1].fields[1].column, 8);
}

TEST(CsvReader, AQuotedFieldSpansLinesAndTheRecordKeepsItsFirstLine) {
  Diagnostics d;
  auto r = read_csv("\xEF\xBB\xBFone,\"two\nlines\"\r\nthree,\"a\r\nb\",after\n", "f.csv", d);
  EXPECT_FALSE(d.has_errors());
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].line, 1);
  EXPECT_EQ(r[0].fields[0].column, 1);  // after the byte order mark
  EXPECT_EQ(r[0].fields[1].value, "two\nlines");
  EXPECT_EQ(r[1].line, 3);
  EXPECT_EQ(r[1].fields[1].value, "a\r\nb");
  EXPECT_EQ(r[1].fields[2].line, 4);
}

TEST(CsvReader, QuotingMistakesAreErrorsWhereTheyAre) {
  EXPECT_EQ(errors("a,b\nx,\"open\nand on"),
            std::vector<std::string>{"f.csv:2:3: error: unclosed quote: the quoted field that starts here has no closing '\"'"});
  EXPECT_EQ(errors("a,\"b\"c\n"), std::vector<std::string>{
                                       "f.csv:1:6: error: text after the closing quote of a field (a quote inside a "
                                       "quoted field is written \"\")"});
  EXPECT_EQ(errors("ok\nsay \"hi\",b\n"), std::vector<std::string>{
                                              "f.csv:2:5: error: a quote inside an unquoted field (quote the whole "
                                              "field and double the quote: \"\")"});
  EXPECT_EQ(errors("a,caf\xE9\n"),
            std::vector<std::string>{"f.csv:1:6: error: this byte is not UTF-8 (save the file as UTF-8)"});
}

}  // namespace
}  // namespace herald
