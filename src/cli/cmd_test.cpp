// znn test: decode .znn files, folders or stdin and verify every checksum, writing nothing.
#include "commands.hpp"
#include "file_job.hpp"

namespace znn::cli {

int run_test(const Options& options) {
    const auto no_output = [](const std::string&, const Options&) -> std::optional<std::string> {
        return std::string();
    };
    return run_inputs(options, no_output) ? kExitOk : kExitError;
}

}  // namespace znn::cli
