#pragma once
// Builds each channel's Connector from its settings and credential file, for
// `herald run`. The connectors share one HttpClient and one ConnectorState.

#include "config/local_time.hpp"
#include "config/settings.hpp"
#include "connectors/connector.hpp"
#include "connectors/connector_state.hpp"
#include "connectors/http_client.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace herald {

struct ConnectorServices {
  HttpClient& http;
  ConnectorState& state;
  std::function<Instant()> now;
};

/// The connector for `channel`. Reads settings.credentials_dir/<channel.credentials>;
/// throws CredentialError (naming the file and key, never a value) when it
/// is missing or incomplete. A credential file readable by others adds a
/// line to `warnings`.
std::unique_ptr<Connector> make_connector(const ChannelSettings& channel, const Settings& settings,
                                          ConnectorServices services, std::vector<std::string>& warnings);

}  // namespace herald
