// znn compress: files, folders or stdin to .znn; each output is named after its input with
// ".znn" added.
#include "commands.hpp"
#include "file_job.hpp"

namespace znn::cli {

int run_compress(const Options& options) {
    const auto target_for = [](const std::string& input,
                               const Options& o) -> std::optional<std::string> {
        return output_name_for(o.mode, input);
    };
    return run_inputs(options, target_for) ? kExitOk : kExitError;
}

}  // namespace znn::cli
