// systemd/herald.service.in and the example /etc/herald: the unit as
// systemd-analyze sees it (verify clean, exposure <= 1.5), its agreement with
// the settings defaults, and what `cmake --install` puts where.

#include "config/settings.hpp"
#include "tests/support/process.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace herald {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::run_process;

const fs::path kSource = HERALD_SOURCE_DIR;
const fs::path kBinary = HERALD_BINARY;

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

/// The unit as `cmake --install` makes it, for the binary this build made.
std::string generated_unit() {
  std::string unit = read_file((kSource / "systemd/herald.service.in").string());
  unit = replace_all(unit, "@CMAKE_INSTALL_FULL_BINDIR@", kBinary.parent_path().string());
  unit = replace_all(unit, "@HERALD_DOC_DIR@", "/usr/share/doc/herald");
  return unit;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// `name` found on $PATH, or "".
std::string which(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path p = fs::path(dir.empty() ? "." : dir) / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return {};
}

std::string systemd_analyze() { return which("systemd-analyze"); }

/// A temporary directory holding herald.service, removed at the end.
class UnitDir {
 public:
  explicit UnitDir(const std::string& unit) {
    dir_ = fs::temp_directory_path() / ("herald-unit-" + std::to_string(::getpid()) + "-" + std::to_string(next_++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "herald.service") << unit;
  }
  ~UnitDir() { fs::remove_all(dir_); }
  fs::path unit() const { return dir_ / "herald.service"; }

 private:
  static inline int next_ = 0;
  fs::path dir_;
};

/// Lines of `systemd-analyze verify` about the unit itself (the container's
/// own environment may add others, which are not ours to judge).
std::vector<std::string> verify_complaints(const std::string& unit) {
  UnitDir dir(unit);
  // --man=no: Documentation=man:herald(1) resolves only where herald is
  // installed; tests/package verifies the installed unit with its man page.
  const auto r = run_process({systemd_analyze(), "verify", "--man=no", dir.unit().string()});
  std::vector<std::string> out;
  for (const auto& line : lines_of(r.out + r.err))
    if (line.find("herald.service") != std::string::npos || line.find(dir.unit().string()) != std::string::npos)
      out.push_back(line);
  if (r.exit_code != 0 && out.empty()) out.push_back("exit " + std::to_string(r.exit_code) + ": " + r.err);
  return out;
}

/// "Overall exposure level for herald.service: X.Y" as a number (-1 if absent).
double exposure(const std::string& unit, std::string* report = nullptr) {
  UnitDir dir(unit);
  const auto r = run_process({systemd_analyze(), "security", "--offline=yes", "--no-pager", dir.unit().string()},
                             {"SYSTEMD_COLORS=0"});
  if (report) *report = r.out + r.err;
  std::smatch m;
  const std::string all = r.out + r.err;
  static const std::regex re(R"(Overall exposure level for herald\.service: ([0-9]+\.[0-9]+))");
  if (!std::regex_search(all, m, re)) return -1;
  return std::stod(m[1].str());
}

TEST(Unit, TemplateNamesTheServiceAsDesigned) {
  const std::string unit = generated_unit();
  EXPECT_FALSE(std::regex_search(unit, std::regex("@[A-Z_]+@"))) << "a placeholder left over";
  const auto lines = lines_of(unit);
  const std::set<std::string> have(lines.begin(), lines.end());
  const std::vector<std::string> wanted = {
      "Type=notify", "ExecStart=" + kBinary.string() + " run --config /etc/herald/herald.yaml",
      "ExecReload=/bin/kill -HUP $MAINPID", "WatchdogSec=30s", "Restart=on-failure", "DynamicUser=yes",
      "StateDirectory=herald", "ConfigurationDirectory=herald", "RuntimeDirectory=herald", "UMask=0077",
      "NoNewPrivileges=yes", "ProtectSystem=strict", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
      "CapabilityBoundingSet=", "SystemCallFilter=@system-service", "SystemCallArchitectures=native",
      "ProtectProc=invisible", "ProcSubset=pid", "MemoryDenyWriteExecute=yes"};
  for (const auto& want : wanted)
    EXPECT_TRUE(have.count(want)) << want;
  // herald must reach the platforms: no network cut-off.
  for (const auto& line : lines) {
    EXPECT_FALSE(line.starts_with("IPAddressDeny=")) << line;
    EXPECT_FALSE(line.starts_with("PrivateNetwork=yes")) << line;
  }
}

TEST(Unit, ExampleSettingsAgreeWithTheUnit) {
  const fs::path yaml = kSource / "systemd/etc/herald/herald.yaml";
  // As under systemd: the directories come from the environment the unit sets.
  Diagnostics diags;
  auto settings = load_settings(yaml, SettingsEnvironment{"/var/lib/herald", "/run/credentials/herald.service"}, diags);
  ASSERT_TRUE(settings) << "the example herald.yaml does not load";
  EXPECT_EQ(settings->state_dir, fs::path("/var/lib/herald")) << "StateDirectory=herald is /var/lib/herald";
  EXPECT_EQ(settings->credentials_dir, fs::path("/run/credentials/herald.service"))
      << "credentials_dir must default to $CREDENTIALS_DIRECTORY, not be set in the example";
  // From a shell (no systemd environment) the same state and the source of the credentials.
  Diagnostics shell_diags;
  auto shell = load_settings(yaml, SettingsEnvironment{}, shell_diags);
  ASSERT_TRUE(shell);
  EXPECT_EQ(shell->state_dir, fs::path("/var/lib/herald"));
  EXPECT_EQ(shell->credentials_dir, fs::path("/etc/herald/credentials"));

  // Every credential the example names has its LoadCredential= line.
  const std::string unit = generated_unit();
  std::set<std::string> names{settings->status.token};
  for (const auto& c : settings->channels)
    if (!c.credentials.empty()) names.insert(c.credentials);
  for (const auto& name : names)
    EXPECT_NE(unit.find("\nLoadCredential=" + name + ":/etc/herald/credentials/" + name + "\n"), std::string::npos)
        << name;
}

TEST(Unit, ExampleCalendarPassesCheck) {
  const auto r = run_process({kBinary.string(), "check", "--config", (kSource / "systemd/etc/herald/herald.yaml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0 warnings"), std::string::npos) << r.out << r.err;
}

TEST(Unit, SystemdAnalyzeVerifyIsClean) {
  if (systemd_analyze().empty()) GTEST_SKIP() << "systemd-analyze is not installed (scripts/setup installs systemd)";
  const auto complaints = verify_complaints(generated_unit());
  EXPECT_TRUE(complaints.empty()) << ::testing::PrintToString(complaints);
}

TEST(Unit, SystemdAnalyzeVerifyCatchesMistakes) {
  // The check above can fail: a misspelt key and a missing binary are reported.
  if (systemd_analyze().empty()) GTEST_SKIP() << "systemd-analyze is not installed";
  std::string bad = replace_all(generated_unit(), "UMask=0077", "UMask=0077\nProtectSystm=yes");
  EXPECT_FALSE(verify_complaints(bad).empty());
  bad = replace_all(generated_unit(), kBinary.string() + " run", "/nonexistent/herald run");
  EXPECT_FALSE(verify_complaints(bad).empty());
}

TEST(Unit, ExposureAtMostOnePointFive) {
  if (systemd_analyze().empty()) GTEST_SKIP() << "systemd-analyze is not installed (scripts/setup installs systemd)";
  std::string report;
  const double level = exposure(generated_unit(), &report);
  ASSERT_GE(level, 0) << report;
  EXPECT_LE(level, 1.5) << report;
}

TEST(Unit, ExposureOfAnUnhardenedUnitIsHigh) {
  // The parse above reads the real figure: without the hardening block it rises.
  if (systemd_analyze().empty()) GTEST_SKIP() << "systemd-analyze is not installed";
  std::string unit = generated_unit();
  const auto from = unit.find("# Hardening");
  const auto to = unit.find("[Install]");
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  unit.erase(from, to - from);
  EXPECT_GT(exposure(unit), 1.5);
}

mode_t mode_of(const fs::path& p) {
  struct stat st{};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

TEST(Install, CmakeInstallPutsEverythingInPlace) {
  const fs::path build = kBinary.parent_path().parent_path();
  ASSERT_TRUE(fs::exists(build / "CMakeCache.txt")) << build;
  const fs::path tmp = fs::temp_directory_path() / ("herald-install-" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  const fs::path prefix = "/opt/herald-test";
  const fs::path dest = tmp / "dest";
  auto install = [&] {
    return run_process({which("cmake"), "--install", build.string(), "--prefix", prefix.string()},
                       {"DESTDIR=" + dest.string()});
  };
  auto r = install();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const fs::path root = dest / prefix.relative_path();

  const fs::path bin = root / "bin/herald";
  EXPECT_TRUE(fs::exists(bin));
  EXPECT_NE(mode_of(bin) & 0111, 0u);
  const fs::path unit = root / "lib/systemd/system/herald.service";
  ASSERT_TRUE(fs::exists(unit));
  const std::string text = read_file(unit.string());
  // The prefix given to --install, not the one the build was configured with.
  EXPECT_NE(text.find("\nExecStart=/opt/herald-test/bin/herald run --config /etc/herald/herald.yaml\n"),
            std::string::npos)
      << text;
  EXPECT_FALSE(std::regex_search(text, std::regex("@[A-Z_]+@"))) << text;
  EXPECT_TRUE(fs::exists(root / "share/doc/herald/operations.md"));
  EXPECT_TRUE(fs::exists(root / "share/man/man1/herald.1.gz"));
  EXPECT_TRUE(fs::exists(root / "share/doc/herald/examples/etc/herald/herald.yaml"));

  // The example settings land in /etc/herald (under DESTDIR), credentials owner-only.
  const fs::path etc = dest / "etc/herald";
  EXPECT_EQ(read_file((etc / "herald.yaml").string()),
            read_file((kSource / "systemd/etc/herald/herald.yaml").string()));
  EXPECT_TRUE(fs::exists(etc / "calendar.yaml"));
  EXPECT_TRUE(fs::exists(etc / "credentials/README"));
  EXPECT_EQ(mode_of(etc / "credentials"), 0700u);
  EXPECT_EQ(mode_of(etc / "credentials/README"), 0600u);

  // Installing again (an upgrade) keeps what the operator changed.
  std::ofstream(etc / "herald.yaml") << "# mine\n";
  r = install();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(read_file((etc / "herald.yaml").string()), "# mine\n");
  fs::remove_all(tmp);
}

}  // namespace
}  // namespace herald
