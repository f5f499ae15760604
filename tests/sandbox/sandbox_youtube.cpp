#include "tests/sandbox/sandbox_youtube.hpp"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/sandbox_util.hpp"

namespace herald {

YoutubeSandboxConfig load_youtube_sandbox_config(const YAML::Node& node, const std::string& file) {
  reject_unknown_keys(node, {}, file);
  return {};
}

YoutubeSandbox::YoutubeSandbox(Sandbox& sandbox) : sandbox_(sandbox) {}

void YoutubeSandbox::install(httplib::Server&) {}

void YoutubeSandbox::reset() {}

}  // namespace herald
