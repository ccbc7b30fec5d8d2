// The grammar of the subcommands that use compressed files without restoring them: extract
// and mount (list's --tensors is defined with list). Kept apart from arguments.cpp so each
// grammar reads on its own.
#pragma once

#include "options.hpp"

namespace CLI {
class App;
}

namespace znn::cli {

struct AccessCommands {
    CLI::App* extract = nullptr;
    CLI::App* mount = nullptr;
};

AccessCommands add_access_commands(CLI::App& app, Options& options);
// After parsing: sets options.mode if one of them ran. Returns -1 to go on, or the exit code
// of a usage error it has printed.
int finish_access_commands(const AccessCommands& commands, Options& options);

}  // namespace znn::cli
